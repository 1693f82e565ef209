//! `worktime policy`: the IAM policy the caller needs for this configuration.

use std::time::Duration;

use chrono::Utc;

use crate::aws::{clients, AwsArgs};
use std::collections::BTreeSet;

use crate::aws::calls::Cmd;
use crate::cli::{PolicyArgs, PolicyFor};
use crate::config;
use crate::error::{Error, Result};
use crate::output::{self, OutputFormat};
use crate::policy::{self, AccountSource, PolicyPlan};

/// How long STS may take before the account is printed as `*`.
const STS_WAIT: Duration = Duration::from_secs(5);

pub async fn run(args: &PolicyArgs, aws: &AwsArgs, format: OutputFormat) -> Result<()> {
    let plan = plan(args)?;
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

/// The arguments as a checked plan: the commands (all when none is named) and the account.
fn plan(args: &PolicyArgs) -> Result<PolicyPlan> {
    let mut commands = BTreeSet::new();
    for chosen in &args.commands {
        match chosen {
            PolicyFor::All => commands.extend(Cmd::ALL),
            PolicyFor::One(command) => {
                commands.insert(*command);
            }
        }
    }
    if commands.is_empty() {
        commands.extend(Cmd::ALL);
    }
    if let Some(account) = &args.account {
        if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::argument(
                format!("--account {account:?}"),
                "an AWS account id is 12 digits. Fix: --account 123456789012, or leave it out to ask STS",
            ));
        }
    }
    Ok(PolicyPlan {
        commands,
        account: args.account.clone(),
        engine: args.engine,
        execution_role: args.execution_role,
    })
}
