//! The artifact bucket's policy: statements with ids, each one's owner writing only its
//! own (the TLS-only statement of the bucket, a stack set's code-access statement).
//! Statements are compared by meaning (`meaning`): S3 answers a policy in a form of its own.

mod meaning;

use serde_json::{json, Value};

use super::bucket::BucketError;
use crate::aws::calls::{Call, Cmd::*, On};
use crate::error::{Error, Result};

/// The calls this module makes (the permissions table, `policy::table`).
pub const CALLS: &[Call] = &[
    Call::new(
        "S3",
        "GetBucketPolicy",
        "s3:GetBucketPolicy",
        &[Bootstrap, Rollout, Teardown],
        On::ArtifactBucket,
    ),
    Call::new(
        "S3",
        "PutBucketPolicy",
        "s3:PutBucketPolicy",
        &[Bootstrap, Rollout, Teardown],
        On::ArtifactBucket,
    ),
    Call::new(
        "S3",
        "DeleteBucketPolicy",
        "s3:DeleteBucketPolicy",
        &[Rollout, Teardown],
        On::ArtifactBucket,
    ),
];

/// The statement id of the bucket's TLS-only rule.
pub const TLS_ONLY_SID: &str = "WorktimeDenyInsecureTransport";

/// Denies every request to the bucket that does not come over TLS, as AWS's S3 guidance and
/// the `s3-bucket-ssl-requests-only` Config rule expect (S3 User Guide, "Security best
/// practices for Amazon S3": "enforce encryption of data in transit ... aws:SecureTransport").
pub fn tls_only_statement(bucket: &str, partition: &str) -> Value {
    json!({
        "Sid": TLS_ONLY_SID,
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [
            format!("arn:{partition}:s3:::{bucket}"),
            format!("arn:{partition}:s3:::{bucket}/*"),
        ],
        "Condition": { "Bool": { "aws:SecureTransport": "false" } },
    })
}

/// The bucket's policy, if it has one.
pub async fn read(s3: &aws_sdk_s3::Client, bucket: &str, account: &str) -> Result<Option<Value>> {
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
                    BucketError::UnreadablePolicy {
                        bucket: bucket.to_string(),
                        reason: e.to_string(),
                    }
                    .into()
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

/// Puts `statement` into the bucket policy in place of the earlier statement `sid` (other
/// statements, another stack set's say, stay); with `None`, takes statement `sid` out.
/// `partition` is the bucket's (an account id principal means that partition's root ARN).
///
/// S3 has no conditional policy write: two rollouts that read the policy at the same time
/// would each write back the other's statement missing. So the policy is read back after
/// the write, and the write is made again (from a fresh read) until this stack's statement
/// is as wanted there: the same in meaning, as S3 answers it in its own form (a one-element
/// list as its element, lists in its own order, an account id as its root ARN).
pub async fn set_statement(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    account: &str,
    partition: &str,
    sid: &str,
    statement: Option<Value>,
) -> Result<()> {
    for attempt in 1..=POLICY_WRITE_ATTEMPTS {
        write_statement(s3, bucket, account, partition, sid, statement.clone()).await?;
        let present = statements(read(s3, bucket, account).await?)
            .into_iter()
            .find(|s| s["Sid"].as_str() == Some(sid));
        let as_wanted = match (&present, &statement) {
            (None, None) => true,
            (Some(present), Some(wanted)) => meaning::same_meaning(present, wanted, partition),
            _ => false,
        };
        if as_wanted {
            return Ok(());
        }
        // Another writer's policy replaced ours: back off a little, then read and write again.
        tokio::time::sleep(std::time::Duration::from_millis(200 * u64::from(attempt))).await;
    }
    Err(BucketError::PolicyContended {
        bucket: bucket.to_string(),
        attempts: POLICY_WRITE_ATTEMPTS,
    }
    .into())
}

/// A policy's statements (none without a policy).
fn statements(policy: Option<Value>) -> Vec<Value> {
    policy
        .and_then(|p| p["Statement"].as_array().cloned())
        .unwrap_or_default()
}

/// One read-modify-write of the bucket policy.
async fn write_statement(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    account: &str,
    partition: &str,
    sid: &str,
    statement: Option<Value>,
) -> Result<()> {
    let mut statements = statements(read(s3, bucket, account).await?);
    if let Some(wanted) = &statement {
        if statements
            .iter()
            .any(|s| meaning::same_meaning(s, wanted, partition))
        {
            return Ok(()); // already as wanted: no write
        }
    }
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
