//! The direct engine: the single-account lifecycle over every (account, region) target, in
//! parallel up to a bound, with a failure tolerance (`rollout`, and the `--all-accounts`
//! forms of `status` and `teardown`).
//!
//! Targets come from `[[accounts]]`; with none, the caller's own account in `stack.region`.
//! Each target gets its own credentials (an assumed role or a named profile), its own
//! artifact bucket and its own stack; one template, per-target configuration.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use aws_config::SdkConfig;
use chrono::Utc;
use futures::stream::{self, StreamExt};

use super::results::{Results, TargetOutcome, TargetResult};
use super::targets::{Selection, Target};
use crate::aws::{self, AwsArgs};
use crate::deploy::artifact::Artifact;
use crate::deploy::inspect;
use crate::deploy::lifecycle::{self, ApplyOptions};
use crate::error::{Error, Result};
use crate::progress::Progress;

/// What to do at each target (a deploy and its dry run with the function's code).
#[derive(Debug, Clone, Copy)]
pub enum Operation<'a> {
    /// Bootstrap if needed, then deploy.
    Deploy(&'a Artifact),
    /// Show each target's diff; change nothing.
    DryRun(&'a Artifact),
    Status,
    /// Delete each target's stack; `restore`: then give back the services it scaled in.
    Teardown {
        restore: bool,
    },
}

/// Runs `operation` over `targets`: at most `concurrency` at once; once more than
/// `failure_tolerance` targets have failed, no new target starts (those report
/// `not-started`). Results come back in target order.
pub async fn run(
    aws: &AwsArgs,
    base: &SdkConfig,
    targets: Vec<Target>,
    operation: Operation<'_>,
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
                        result: TargetOutcome::NotStarted,
                        changes: 0,
                        duration_seconds: 0.0,
                        error: Some("not started: the failure tolerance was exceeded".into()),
                        detail: None,
                    },
                );
            }
            eprintln!("[{label}] started");
            let progress = Progress::prefixed(format!("[{label}] "));
            let outcome = one(aws, base, &target, operation, &progress).await;
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
                        result: TargetOutcome::Failed,
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
    operation: Operation<'_>,
    progress: &Progress,
) -> Result<(TargetOutcome, usize, serde_json::Value)> {
    let session = aws::connect(
        aws,
        base,
        target.account_id.as_deref(),
        target.access.as_ref(),
        &target.region,
    )
    .await?;
    let json = |v: serde_json::Result<serde_json::Value>| v.unwrap_or(serde_json::Value::Null);
    match operation {
        Operation::Deploy(artifact) | Operation::DryRun(artifact) => {
            let report = if let Operation::Deploy(_) = operation {
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
            Ok((
                TargetOutcome::Deploy(report.result),
                report.changes.len(),
                json(serde_json::to_value(&report)),
            ))
        }
        Operation::Status => {
            let report = inspect::status(&session, &target.config, Utc::now()).await?;
            // As for the caller's account: a report with holes is a failed target, naming
            // each hole, so `status --all-accounts` exits 1.
            let problems = report.problems();
            if !problems.is_empty() {
                return Err(Error::StatusIncomplete {
                    stack: target.config.stack.name.clone(),
                    problems,
                });
            }
            Ok((
                TargetOutcome::Status(report.stack_status.clone()),
                0,
                json(serde_json::to_value(&report)),
            ))
        }
        Operation::Teardown { restore } => {
            let report = lifecycle::teardown(&session, &target.config, restore, progress).await?;
            if let Some(problems) = report.problems() {
                return Err(Error::TeardownIncomplete { problems });
            }
            let result = if report.stack_deleted {
                TargetOutcome::Deleted
            } else {
                TargetOutcome::Absent
            };
            Ok((result, 0, json(serde_json::to_value(&report))))
        }
    }
}

fn round(d: Duration) -> f64 {
    (d.as_secs_f64() * 10.0).round() / 10.0
}

fn seconds(d: Duration) -> String {
    format!("{:.1}s", d.as_secs_f64())
}

/// `operation` over `targets` (from `targets::targets`, so filters are checked before any
/// prompt or call), with the caller's credentials for `home_region` as the base of each
/// target's own.
pub async fn over_targets(
    aws: &AwsArgs,
    home_region: &str,
    targets: Vec<Target>,
    selection: &Selection,
    operation: Operation<'_>,
) -> Results {
    let base = aws.load(Some(home_region)).await;
    Results(run(aws, &base, targets, operation, selection).await)
}
