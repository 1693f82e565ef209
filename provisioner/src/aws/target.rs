//! Credentials for one target account and region: the caller's own, a named profile's, or
//! an assumed role's; checked to act in the expected account.

use aws_config::SdkConfig;
use aws_credential_types::provider::SharedCredentialsProvider;

use super::calls::{Call, Cmd::*, On};
use super::{AwsArgs, Session};
use crate::config::AccountAccess;
use crate::error::{Error, Result};

/// Why one target's credentials could not be used (exit 1).
#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    #[error("assuming {role}: STS returned no credentials")]
    NoCredentials { role: String },
    /// Connecting with the target's credentials failed; `via` names them (`profile "x"`,
    /// `role ARN`).
    #[error("through {via}: {source}")]
    Through {
        via: String,
        #[source]
        source: Box<Error>,
    },
    /// The credentials work, but in another account than the config says.
    #[error("the credentials for account {expected} act in account {actual} ({caller}): check the role or profile")]
    WrongAccount {
        expected: String,
        actual: String,
        caller: String,
    },
    /// Something the target needs could not be prepared; `target` is its `account/region`.
    #[error("{target}: {source}")]
    At {
        target: String,
        #[source]
        source: Box<Error>,
    },
}

/// The calls this module makes (the permissions table, `policy::table`).
pub const CALLS: &[Call] = &[Call::new(
    "STS",
    "AssumeRole",
    "sts:AssumeRole",
    &[Rollout, Status, Teardown],
    On::TargetRoles,
)
.note("status and teardown only with --all-accounts")];

/// Credentials and clients for one target; checks that they act in the expected account.
pub async fn connect(
    aws: &AwsArgs,
    base: &SdkConfig,
    account_id: Option<&str>,
    access: Option<&AccountAccess>,
    region: &str,
) -> Result<Session> {
    let region = aws_config::Region::new(region.to_string());
    let sdk = match access {
        None => base.to_builder().region(region).build(),
        // The profile's own credentials (keys, SSO, role chain, credential_process), never
        // the environment's: AWS_ACCESS_KEY_ID would otherwise win over the named profile.
        Some(AccountAccess::Profile(profile)) => {
            let provider = aws_config::profile::ProfileFileCredentialsProvider::builder()
                .profile_name(profile)
                .configure(
                    &worktime_lambda::sdk::provider_config().with_region(Some(region.clone())),
                )
                .build();
            base.to_builder()
                .region(region)
                .credentials_provider(SharedCredentialsProvider::new(provider))
                .build()
        }
        Some(AccountAccess::Role { arn, external_id }) => {
            let sts = super::clients::sts(base);
            let assumed = sts
                .assume_role()
                .role_arn(arn)
                .role_session_name("worktime-rollout")
                .set_external_id(external_id.clone())
                .send()
                .await
                .map_err(|e| Error::aws(format!("assuming {arn}"), e))?;
            let creds = assumed
                .credentials()
                .ok_or_else(|| TargetError::NoCredentials { role: arn.clone() })?;
            let expiry = std::time::SystemTime::try_from(*creds.expiration()).ok();
            let credentials = aws_credential_types::Credentials::new(
                creds.access_key_id(),
                creds.secret_access_key(),
                Some(creds.session_token().to_string()),
                expiry,
                "worktime-assume-role",
            );
            base.to_builder()
                .region(region)
                .credentials_provider(SharedCredentialsProvider::new(credentials))
                .build()
        }
    };
    let session = Session::connect(sdk, aws.custom_endpoint(), aws.poll())
        .await
        .map_err(|e| match access {
            Some(AccountAccess::Profile(profile)) => TargetError::Through {
                via: format!("profile {profile:?}"),
                source: Box::new(e),
            }
            .into(),
            Some(AccountAccess::Role { arn, .. }) => TargetError::Through {
                via: format!("role {arn}"),
                source: Box::new(e),
            }
            .into(),
            None => e,
        })?;
    if let Some(id) = account_id {
        if session.account != id {
            return Err(TargetError::WrongAccount {
                expected: id.to_string(),
                actual: session.account,
                caller: session.caller_arn,
            }
            .into());
        }
    }
    Ok(session)
}
