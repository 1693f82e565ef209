//! `worktime rollout` and the `--all-accounts` forms of `status` and `teardown`: the same
//! single-account lifecycle over every (account, region) target, in parallel up to a bound,
//! with a failure tolerance and a table of what happened where.
//!
//! Targets come from `[[accounts]]`; with none, the caller's own account in `stack.region`.
//! Each target gets its own credentials (an assumed role or a named profile), its own
//! artifact bucket and its own stack; one template, per-target configuration.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use aws_config::SdkConfig;
use aws_credential_types::provider::SharedCredentialsProvider;
use futures::stream::{self, StreamExt};
use serde::Serialize;

use crate::artifact::Artifact;
use crate::aws::AwsArgs;
use crate::cli::OutputFormat;
use crate::commands::lifecycle::{self, ApplyOptions, Session};
use crate::commands::status;
use crate::config::{AccountAccess, Config};
use crate::error::{Error, Result};
use crate::progress::Progress;

/// One (account, region) to act on.
#[derive(Debug, Clone)]
pub struct Target {
    /// `None`: the caller's own account.
    pub account_id: Option<String>,
    pub access: Option<AccountAccess>,
    pub region: String,
    /// The configuration this target deploys.
    pub config: Config,
}

impl Target {
    pub fn label(&self) -> String {
        format!(
            "{}/{}",
            self.account_id.as_deref().unwrap_or("caller"),
            self.region
        )
    }
}

/// Which targets, how many at once, how many failures before no new target starts.
#[derive(Debug, Clone)]
pub struct Selection {
    pub accounts: Option<Vec<String>>,
    pub regions: Option<Vec<String>>,
    pub concurrency: usize,
    pub failure_tolerance: usize,
}

/// Expands the config into targets, filtered by `--accounts` / `--regions`. Unknown ids or
/// regions in the filters are a usage error: a typo must not silently deploy nowhere.
pub fn targets(config: &Config, selection: &Selection) -> Result<Vec<Target>> {
    let mut out = Vec::new();
    if config.accounts.is_empty() {
        if let Some(ids) = &selection.accounts {
            return Err(Error::Usage(format!(
                "--accounts {} given, but {} has no [[accounts]]: add them, or leave --accounts out to deploy to your own account",
                ids.join(","),
                config.path.display()
            )));
        }
        let regions = selection
            .regions
            .clone()
            .unwrap_or_else(|| vec![config.stack.region.clone()]);
        for region in regions {
            let mut target_config = config.clone();
            target_config.stack.region = region.clone();
            out.push(Target {
                account_id: None,
                access: None,
                region,
                config: target_config,
            });
        }
        return Ok(out);
    }
    if let Some(ids) = &selection.accounts {
        for id in ids {
            if !config.accounts.iter().any(|a| &a.id == id) {
                return Err(Error::Usage(format!(
                    "--accounts: {id} is not in {}'s [[accounts]]",
                    config.path.display()
                )));
            }
        }
    }
    if let Some(regions) = &selection.regions {
        for region in regions {
            if !config.accounts.iter().any(|a| a.regions.contains(region)) {
                return Err(Error::Usage(format!(
                    "--regions: no account lists region {region}"
                )));
            }
        }
    }
    for account in &config.accounts {
        if selection
            .accounts
            .as_ref()
            .is_some_and(|ids| !ids.contains(&account.id))
        {
            continue;
        }
        for region in &account.regions {
            if selection
                .regions
                .as_ref()
                .is_some_and(|r| !r.contains(region))
            {
                continue;
            }
            out.push(Target {
                account_id: Some(account.id.clone()),
                access: Some(account.access.clone()),
                region: region.clone(),
                config: config.for_target(account, region),
            });
        }
    }
    if out.is_empty() {
        return Err(Error::Usage(
            "the --accounts / --regions filters leave no target".into(),
        ));
    }
    Ok(out)
}

/// Credentials and clients for one target; checks that they act in the expected account.
pub async fn connect(aws: &AwsArgs, base: &SdkConfig, target: &Target) -> Result<Session> {
    let region = aws_config::Region::new(target.region.clone());
    let sdk = match &target.access {
        None => base.to_builder().region(region).build(),
        // The profile's own credentials (keys, SSO, role chain, credential_process), never
        // the environment's: AWS_ACCESS_KEY_ID would otherwise win over the named profile.
        Some(AccountAccess::Profile(profile)) => {
            let provider = aws_config::profile::ProfileFileCredentialsProvider::builder()
                .profile_name(profile)
                .configure(
                    &aws_config::provider_config::ProviderConfig::default()
                        .with_region(Some(region.clone())),
                )
                .build();
            base.to_builder()
                .region(region)
                .credentials_provider(SharedCredentialsProvider::new(provider))
                .build()
        }
        Some(AccountAccess::Role { arn, external_id }) => {
            let sts = aws_sdk_sts::Client::new(base);
            let assumed = sts
                .assume_role()
                .role_arn(arn)
                .role_session_name("worktime-rollout")
                .set_external_id(external_id.clone())
                .send()
                .await
                .map_err(|e| Error::aws(format!("assuming {arn}"), e))?;
            let creds = assumed.credentials().ok_or_else(|| {
                Error::Other(format!("assuming {arn}: STS returned no credentials"))
            })?;
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
    let session = Session::connect(sdk, aws.custom_endpoint())
        .await
        .map_err(|e| match &target.access {
            Some(AccountAccess::Profile(profile)) => {
                Error::Other(format!("through profile {profile:?}: {e}"))
            }
            Some(AccountAccess::Role { arn, .. }) => {
                Error::Other(format!("through role {arn}: {e}"))
            }
            None => e,
        })?;
    if let Some(id) = &target.account_id {
        if &session.account != id {
            return Err(Error::Other(format!(
                "the credentials for account {id} act in account {} ({}): check the role or profile",
                session.account, session.caller_arn
            )));
        }
    }
    Ok(session)
}

/// What one target ended with.
#[derive(Debug, Clone, Serialize)]
pub struct TargetResult {
    pub account: String,
    pub region: String,
    /// created / updated / up-to-date / planned / deleted / absent / ok / failed / not-started
    pub result: String,
    pub changes: usize,
    pub duration_seconds: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Command-specific detail (the deploy, status or teardown report).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<serde_json::Value>,
}

/// What to do at each target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// Bootstrap if needed, then deploy.
    Deploy,
    /// Show each target's diff; change nothing.
    DryRun,
    Status,
    Teardown,
}

/// Runs `operation` over `targets`: at most `concurrency` at once; once more than
/// `failure_tolerance` targets have failed, no new target starts (those report
/// `not-started`). Results come back in target order.
pub async fn run(
    aws: &AwsArgs,
    base: &SdkConfig,
    targets: Vec<Target>,
    operation: Operation,
    artifact: Option<&Artifact>,
    selection: &Selection,
) -> Vec<TargetResult> {
    let failures = AtomicUsize::new(0);
    let failures = &failures;
    let total = targets.len();
    let concurrency = selection.concurrency.max(1);
    eprintln!(
        "{} target(s), {concurrency} at a time, stopping new targets after {} failure(s)",
        total,
        selection.failure_tolerance + 1
    );
    let mut results: Vec<(usize, TargetResult)> = stream::iter(targets.into_iter().enumerate())
        .map(|(index, target)| async move {
            let started = Instant::now();
            let label = target.label();
            let account = target.account_id.clone().unwrap_or_else(|| "caller".into());
            if failures.load(Ordering::SeqCst) > selection.failure_tolerance {
                eprintln!("[{label}] not started: failure tolerance exceeded");
                return (
                    index,
                    TargetResult {
                        account,
                        region: target.region.clone(),
                        result: "not-started".into(),
                        changes: 0,
                        duration_seconds: 0.0,
                        error: Some("not started: the failure tolerance was exceeded".into()),
                        detail: None,
                    },
                );
            }
            eprintln!("[{label}] started");
            let progress = Progress::prefixed(format!("[{label}] "));
            let outcome = one(aws, base, &target, operation, artifact, &progress).await;
            let duration = started.elapsed();
            let result = match outcome {
                Ok((result, changes, detail)) => {
                    eprintln!("[{label}] {result} ({})", seconds(duration));
                    TargetResult {
                        account,
                        region: target.region.clone(),
                        result,
                        changes,
                        duration_seconds: round(duration),
                        error: None,
                        detail: Some(detail),
                    }
                }
                Err(error) => {
                    failures.fetch_add(1, Ordering::SeqCst);
                    eprintln!("[{label}] FAILED ({}): {error}", seconds(duration));
                    TargetResult {
                        account,
                        region: target.region.clone(),
                        result: "failed".into(),
                        changes: 0,
                        duration_seconds: round(duration),
                        error: Some(error.to_string()),
                        detail: None,
                    }
                }
            };
            (index, result)
        })
        .buffer_unordered(concurrency)
        .collect()
        .await;
    results.sort_by_key(|(index, _)| *index);
    results.into_iter().map(|(_, r)| r).collect()
}

async fn one(
    aws: &AwsArgs,
    base: &SdkConfig,
    target: &Target,
    operation: Operation,
    artifact: Option<&Artifact>,
    progress: &Progress,
) -> Result<(String, usize, serde_json::Value)> {
    let session = connect(aws, base, target).await?;
    let json = |v: &dyn erased::Json| v.to_json();
    match operation {
        Operation::Deploy | Operation::DryRun => {
            let artifact = artifact.ok_or_else(|| Error::Other("no function artifact".into()))?;
            let report = if operation == Operation::Deploy {
                lifecycle::apply(
                    &session,
                    ApplyOptions {
                        config: &target.config,
                        artifact,
                        yes: true,
                        prepare_account: true,
                    },
                    progress,
                )
                .await?
            } else {
                lifecycle::diff(&session, &target.config, artifact, progress).await?
            };
            Ok((report.result.clone(), report.changes.len(), json(&report)))
        }
        Operation::Status => {
            let report = status::status(&session, &target.config).await?;
            Ok((report.stack_status.clone(), 0, json(&report)))
        }
        Operation::Teardown => {
            let report = lifecycle::teardown(&session, &target.config, progress).await?;
            if !report.leftovers.is_empty() {
                return Err(Error::Other(format!(
                    "left behind: {}",
                    report.leftovers.join(", ")
                )));
            }
            let result = if report.stack_deleted {
                "deleted"
            } else {
                "absent"
            };
            Ok((result.into(), 0, json(&report)))
        }
    }
}

/// Serialising the per-command reports without naming each type at the call site.
mod erased {
    pub trait Json {
        fn to_json(&self) -> serde_json::Value;
    }
    impl<T: serde::Serialize> Json for T {
        fn to_json(&self) -> serde_json::Value {
            serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
        }
    }
}

fn round(d: Duration) -> f64 {
    (d.as_secs_f64() * 10.0).round() / 10.0
}

fn seconds(d: Duration) -> String {
    format!("{:.1}s", d.as_secs_f64())
}

/// The final table (text) or the results (JSON) on stdout.
pub fn print(results: &[TargetResult], output: OutputFormat) {
    if output == OutputFormat::Json {
        println!(
            "{}",
            serde_json::to_string_pretty(results).unwrap_or_default()
        );
        return;
    }
    println!(
        "{:<14} {:<16} {:<16} {:>7} {:>8}  error",
        "account", "region", "result", "changes", "seconds"
    );
    for r in results {
        println!(
            "{:<14} {:<16} {:<16} {:>7} {:>8.1}  {}",
            r.account,
            r.region,
            r.result,
            r.changes,
            r.duration_seconds,
            r.error.as_deref().unwrap_or("")
        );
    }
    let failed = results.iter().filter(|r| r.result == "failed").count();
    let skipped = results.iter().filter(|r| r.result == "not-started").count();
    println!(
        "{} target(s): {} succeeded, {failed} failed, {skipped} not started",
        results.len(),
        results.len() - failed - skipped
    );
}

/// Non-zero when any target failed or did not start.
pub fn outcome(results: &[TargetResult]) -> Result<()> {
    let bad = results
        .iter()
        .filter(|r| r.result == "failed" || r.result == "not-started")
        .count();
    if bad == 0 {
        Ok(())
    } else {
        Err(Error::Other(format!(
            "{bad} of {} target(s) failed or did not start (see the table)",
            results.len()
        )))
    }
}
