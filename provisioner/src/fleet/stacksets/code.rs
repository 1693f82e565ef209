//! Code access: the administrator's artifact bucket in each region, and the one bucket
//! policy statement that lets the targets read this stack set's code.

use serde_json::{json, Value};

use crate::aws::{AwsArgs, Session};
use crate::config::{Fleet, StackSetPermissions};
use crate::deploy::artifact::stack_set_prefix;
use crate::error::{Error, Result};
use crate::template;

/// The caller's credentials in the stack's home region: the administrator account.
pub(super) async fn administrator(aws: &AwsArgs, base: &aws_config::SdkConfig) -> Result<Session> {
    Session::connect(base.clone(), aws.custom_endpoint()).await
}

/// An S3 client of the administrator for `region` (a bucket is regional).
pub(super) fn s3_in(session: &Session, region: &str, path_style: bool) -> aws_sdk_s3::Client {
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&session.sdk)
            .region(aws_config::Region::new(region.to_string()))
            .force_path_style(path_style)
            .build(),
    )
}

/// The bucket policy statement that lets the targets read this stack's code.
pub(super) fn code_statement(
    permissions: &StackSetPermissions,
    config: &Fleet,
    bucket: &str,
    region: &str,
) -> Value {
    let partition = template::partition(region);
    let stack = &config.home.stack.name;
    let mut statement = json!({
        "Sid": statement_id(stack),
        "Effect": "Allow",
        "Action": "s3:GetObject",
        "Resource": format!("arn:{partition}:s3:::{bucket}/{}*", stack_set_prefix(stack)),
    });
    match permissions {
        StackSetPermissions::SelfManaged { .. } => {
            // Every account of the config in this region, whatever --accounts selects: a
            // filtered run must not take access away from the others.
            let mut roots: Vec<String> = Vec::new();
            for account in config
                .accounts
                .iter()
                .filter(|a| a.regions.iter().any(|r| r == region))
            {
                let root = format!("arn:{partition}:iam::{}:root", account.id);
                if !roots.contains(&root) {
                    roots.push(root);
                }
            }
            statement["Principal"] = json!({ "AWS": roots });
        }
        StackSetPermissions::ServiceManaged {
            organization_id,
            organizational_units,
            ..
        } => {
            // The listed OUs (at any depth below the root, their child OUs included), not
            // the whole organisation: aws:PrincipalOrgPaths is `o-id/r-id/ou-id/.../`.
            let paths: Vec<String> = organizational_units
                .iter()
                .map(|ou| format!("{organization_id}/*/{ou}/*"))
                .collect();
            statement["Principal"] = json!("*");
            statement["Condition"] = json!({
                "StringEquals": { "aws:PrincipalOrgID": organization_id },
                "ForAnyValue:StringLike": { "aws:PrincipalOrgPaths": paths },
            });
        }
    }
    statement
}

/// This stack set's statement id. `Sid`s allow letters and digits only, so the name is
/// written in hex: one name, one id (dropping the other characters made `wt-prod` and
/// `wtprod` share a statement).
pub(super) fn statement_id(stack: &str) -> String {
    let hex: String = stack.bytes().map(|b| format!("{b:02x}")).collect();
    format!("WorktimeStackSetCode{hex}")
}

/// The bucket's policy, if it has one.
pub(super) async fn bucket_policy(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    account: &str,
) -> Result<Option<Value>> {
    match s3
        .get_bucket_policy()
        .bucket(bucket)
        .expected_bucket_owner(account)
        .send()
        .await
    {
        // A policy worktime can't read is not replaced: its statements would be lost.
        Ok(out) => out
            .policy()
            .map(|p| {
                serde_json::from_str(p).map_err(|e| {
                    Error::Other(format!(
                        "the policy of bucket {bucket} is not JSON worktime can read ({e}): fix or remove it, then re-run"
                    ))
                })
            })
            .transpose(),
        Err(e) if e.raw_response().is_some_and(|r| r.status().as_u16() == 404) => Ok(None),
        Err(e) => Err(Error::aws(
            format!("reading the policy of bucket {bucket}"),
            e,
        )),
    }
}

/// How often a policy write is retried when a concurrent writer replaced it.
const POLICY_WRITE_ATTEMPTS: u32 = 5;

/// Puts `statement` into the bucket policy in place of this stack's earlier one (other
/// statements, another stack's say, stay); with `None`, takes this stack's statement out.
///
/// S3 has no conditional policy write: two rollouts that read the policy at the same time
/// would each write back the other's statement missing. So the policy is read back after
/// the write, and the write is made again (from a fresh read) until this stack's statement
/// is as wanted there.
pub(super) async fn set_code_statement(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    account: &str,
    sid: &str,
    statement: Option<Value>,
) -> Result<()> {
    for attempt in 1..=POLICY_WRITE_ATTEMPTS {
        write_code_statement(s3, bucket, account, sid, statement.clone()).await?;
        let now = bucket_policy(s3, bucket, account).await?;
        let present = now
            .as_ref()
            .and_then(|p| p["Statement"].as_array().cloned())
            .unwrap_or_default()
            .into_iter()
            .find(|s| s["Sid"].as_str() == Some(sid));
        if present == statement {
            return Ok(());
        }
        // Another writer's policy replaced ours: back off a little, then read and write again.
        tokio::time::sleep(std::time::Duration::from_millis(200 * u64::from(attempt))).await;
    }
    Err(Error::Other(format!(
        "the policy of bucket {bucket} kept changing under worktime ({POLICY_WRITE_ATTEMPTS} writes): another rollout is writing it; re-run when it is done"
    )))
}

/// One read-modify-write of the bucket policy.
async fn write_code_statement(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    account: &str,
    sid: &str,
    statement: Option<Value>,
) -> Result<()> {
    let current = bucket_policy(s3, bucket, account).await?;
    let mut statements: Vec<Value> = current
        .as_ref()
        .and_then(|p| p["Statement"].as_array().cloned())
        .unwrap_or_default();
    let before = statements.len();
    statements.retain(|s| s["Sid"].as_str() != Some(sid));
    let removed = statements.len() != before;
    match statement {
        Some(statement) => statements.push(statement),
        None if !removed => return Ok(()),
        None => {}
    }
    if statements.is_empty() {
        s3.delete_bucket_policy()
            .bucket(bucket)
            .expected_bucket_owner(account)
            .send()
            .await
            .map_err(|e| Error::aws(format!("deleting the policy of bucket {bucket}"), e))?;
        return Ok(());
    }
    let policy = json!({ "Version": "2012-10-17", "Statement": statements });
    s3.put_bucket_policy()
        .bucket(bucket)
        .expected_bucket_owner(account)
        .policy(policy.to_string())
        .send()
        .await
        .map_err(|e| Error::aws(format!("setting the policy of bucket {bucket}"), e))?;
    Ok(())
}

/// The distinct regions, in the order they first appear.
pub(super) fn regions_of<'a>(items: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut regions: Vec<String> = Vec::new();
    for region in items {
        if !regions.iter().any(|r| r == region) {
            regions.push(region.to_string());
        }
    }
    regions
}
