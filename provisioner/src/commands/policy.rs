//! `worktime policy`: the IAM policy the caller needs for this configuration.

use std::time::Duration;

use chrono::Utc;

use crate::aws::{clients, AwsArgs};
use crate::cli::PolicyArgs;
use crate::config;
use crate::error::Result;
use crate::output::{self, OutputFormat};
use crate::policy::{self, AccountSource, PolicyPlan};

/// How long STS may take before the account is printed as `*`.
const STS_WAIT: Duration = Duration::from_secs(5);

pub async fn run(args: &PolicyArgs, aws: &AwsArgs, format: OutputFormat) -> Result<()> {
    let plan = PolicyPlan::from_args(args)?;
    let fleet = config::load(&args.config.config, Utc::now())?;
    let region = aws
        .region
        .clone()
        .unwrap_or_else(|| fleet.home.stack.region.clone());
    let (account, source) = match &plan.account {
        Some(account) => (account.clone(), AccountSource::Flag),
        None => match caller_account(aws, &region).await {
            Some(account) => (account, AccountSource::Sts),
            None => ("*".to_string(), AccountSource::Unknown),
        },
    };
    let report = policy::build(&plan, &fleet, &region, account, source)?;
    output::print(&report, format);
    Ok(())
}

/// The caller's account, if credentials are configured and STS answers in time.
async fn caller_account(aws: &AwsArgs, region: &str) -> Option<String> {
    // One attempt: an endpoint that does not answer means "unknown", not a wait.
    let sdk = aws
        .load(Some(region))
        .await
        .to_builder()
        .retry_config(aws_config::retry::RetryConfig::standard().with_max_attempts(1))
        .build();
    let call = clients::sts(&sdk).get_caller_identity().send();
    let identity = tokio::time::timeout(STS_WAIT, call).await.ok()?.ok()?;
    identity.account().map(str::to_string)
}
