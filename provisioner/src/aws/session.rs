//! One account and region: the caller's identity (checked with STS) and the clients.

use super::calls::{made_by, Call};
use crate::error::{Error, Result};

/// The calls this module makes (the permissions table, `policy::table`).
pub const CALLS: &[Call] = &[Call::free(
    "STS",
    "GetCallerIdentity",
    "sts:GetCallerIdentity needs no permission: no policy can deny it",
    made_by::SESSION,
)];

/// The clients and identity of one account and region.
pub struct Session {
    pub account: String,
    pub caller_arn: String,
    pub region: String,
    pub cfn: aws_sdk_cloudformation::Client,
    pub s3: aws_sdk_s3::Client,
    pub iam: aws_sdk_iam::Client,
    pub sdk: aws_config::SdkConfig,
    /// How often long CloudFormation operations are polled (`AwsArgs::poll`).
    pub poll: super::Poll,
}

impl Session {
    /// Checks credentials (STS) and builds the clients.
    pub async fn connect(
        sdk: aws_config::SdkConfig,
        path_style_s3: bool,
        poll: super::Poll,
    ) -> Result<Self> {
        let region = sdk.region().map(|r| r.to_string()).ok_or(Error::NoRegion)?;
        let sts = super::clients::sts(&sdk);
        let identity = sts.get_caller_identity().send().await.map_err(|e| {
            let mut error = Error::aws("checking credentials (sts:GetCallerIdentity)", e);
            if let Error::Aws { message, .. } = &mut error {
                message.push_str(
                    ". Fix: configure credentials (aws configure / aws sso login / AWS_PROFILE, or --profile NAME) and check --endpoint-url",
                );
            }
            error
        })?;
        Ok(Session {
            account: identity.account().unwrap_or_default().to_string(),
            caller_arn: identity.arn().unwrap_or_default().to_string(),
            region,
            cfn: super::clients::cloudformation(&sdk),
            s3: super::clients::s3(&sdk, None, path_style_s3),
            iam: super::clients::iam(&sdk),
            sdk,
            poll,
        })
    }

    /// Loads the SDK config for `region` (unless the flags name another) and connects.
    pub async fn connect_to(aws: &super::AwsArgs, region: &str) -> Result<Self> {
        let sdk = aws.load(Some(region)).await;
        Self::connect(sdk, aws.custom_endpoint(), aws.poll()).await
    }
}
