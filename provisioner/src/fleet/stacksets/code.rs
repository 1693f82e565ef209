//! Code access: the administrator's artifact bucket in each region, and the one bucket
//! policy statement that lets the targets read this stack set's code.

use serde_json::{json, Value};

use crate::aws::{AwsArgs, Session};
use crate::config::{Fleet, StackSetPermissions};
use crate::deploy::artifact::stack_set_prefix;
use crate::error::Result;
use crate::template;

/// The caller's credentials in the stack's home region: the administrator account.
pub(super) async fn administrator(aws: &AwsArgs, base: &aws_config::SdkConfig) -> Result<Session> {
    Session::connect(base.clone(), aws.custom_endpoint(), aws.poll()).await
}

/// An S3 client of the administrator for `region` (a bucket is regional).
pub(super) fn s3_in(session: &Session, region: &str, path_style: bool) -> aws_sdk_s3::Client {
    crate::aws::clients::s3(&session.sdk, Some(region), path_style)
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
