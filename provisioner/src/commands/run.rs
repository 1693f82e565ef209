//! `worktime run scale-in|scale-out|reconcile|toggle`: the function's own library code, run locally
//! with the user's credentials against the configured services; the woken services' routes
//! follow the run as after the deployed function's (`wake::apply::after_run`).

use std::fmt;

use chrono::Utc;
use serde::Serialize;
use worktime_lambda::{Action, Outcome, Report};

use crate::aws::AwsArgs;
use crate::cli::{RunAction, RunArgs};
use crate::config;
use crate::deploy::wake::restore;
use crate::error::{Error, Result};
use crate::output::{self, OutputFormat};
use crate::progress::Progress;
use crate::scaling::{events_for, run_events};

impl From<RunAction> for Action {
    fn from(action: RunAction) -> Self {
        match action {
            RunAction::ScaleIn => Action::ScaleIn,
            RunAction::ScaleOut => Action::ScaleOut,
            RunAction::Toggle => Action::Toggle,
            RunAction::Reconcile => Action::Reconcile,
        }
    }
}

/// `worktime run`: the event is validated before any call.
pub async fn run(args: &RunArgs, aws: &AwsArgs, format: OutputFormat) -> Result<()> {
    let fleet = config::load(&args.config.config, Utc::now())?;
    let config = &fleet.home;
    let now = Utc::now();
    let events = events_for(config, args.action.into(), args.dry_run, now)?;
    let sdk = aws.load(Some(&config.stack.region)).await;
    let clients = crate::aws::clients::function(&sdk);
    let report = run_events(&clients, &events, now).await;
    // The woken services' routes follow the run, as after the deployed function's (a dry
    // run moves nothing and reads nothing).
    let routes = if args.dry_run {
        Vec::new()
    } else {
        move_routes(&sdk, config, &clients.elb, &report).await
    };
    output::print(&Shown(&report), format);
    if report.has_failures() {
        return Err(Error::ServicesFailed {
            failed: report.failed().count(),
            total: report.services.len(),
            selectors_failed: report.failed_selectors().count(),
        });
    }
    if !routes.is_empty() {
        return Err(Error::RoutesNotMoved { problems: routes });
    }
    Ok(())
}

/// Moves the woken services' routes after `report` with the function's own
/// `wake::apply::after_run`, on what the last deploy let the function rewrite (its
/// `WORKTIME_WAKE`); what could not follow, as `service: why`.
async fn move_routes(
    sdk: &aws_config::SdkConfig,
    config: &config::StackConfig,
    elb: &aws_sdk_elasticloadbalancingv2::Client,
    report: &Report,
) -> Vec<String> {
    use worktime_lambda::wake::apply::{after_run, directions, Direction};
    if !config.wakes_on_request() {
        return Vec::new();
    }
    let progress = Progress::new();
    let targets = match restore::woken_targets(sdk, config).await {
        Ok(Some(targets)) => targets,
        Ok(None) => {
            progress.line(format!(
                "stack {} is not deployed: no wake target group, no rule to move",
                config.stack.name
            ));
            return Vec::new();
        }
        Err(reason) => return vec![reason],
    };
    let failures = after_run(elb, &targets, report).await;
    for (target, direction) in directions(report, &targets) {
        let id = format!("service/{}", target.service);
        if failures.iter().any(|(failed, _)| failed == &id) {
            continue;
        }
        progress.line(match direction {
            Direction::Asleep => format!(
                "rules of {id} point at its wake target group {}",
                target.group
            ),
            Direction::Back => format!("rules of {id} as they were by day"),
        });
    }
    for (id, reason) in &failures {
        progress.warn(format!("rules of {id} did not follow: {reason}"));
    }
    progress.finish();
    failures
        .into_iter()
        .map(|(id, reason)| format!("{id}: {reason}"))
        .collect()
}

/// The function's report as `run` shows it.
#[derive(Serialize)]
#[serde(transparent)]
struct Shown<'a>(&'a Report);

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let show =
            |c: Option<worktime_lambda::Capacity>| c.map_or_else(|| "-".into(), |c| c.to_string());
        let width = self
            .0
            .services
            .iter()
            .map(|s| s.resource_id.len())
            .max()
            .unwrap_or(0);
        for service in &self.0.services {
            let outcome = match service.outcome {
                Outcome::Changed => "changed",
                Outcome::WouldChange => "would change",
                Outcome::Unchanged => "unchanged",
                Outcome::Skipped => "skipped",
                Outcome::Held => "held",
                Outcome::Stale => "stale",
                Outcome::Drift => "drift",
                Outcome::NotReady => "NOT READY",
                Outcome::NotStopped => "NOT STOPPED",
                Outcome::Failed => "FAILED",
            };
            let mut line = format!(
                "{:<9} {:<width$}  {:<12} {:>5} -> {:<5}",
                service.action.as_str(),
                service.resource_id,
                outcome,
                show(service.before),
                show(service.after),
            );
            if let Some(remembered) = service.remembered {
                line.push_str(&format!("  remembered {remembered}"));
            }
            if let Some(reason) = &service.reason {
                line.push_str(&format!("  {reason}"));
            }
            writeln!(f, "{}", line.trim_end())?;
        }
        for selector in &self.0.selectors {
            match &selector.error {
                None => writeln!(
                    f,
                    "selector  {}  {} service(s) in {} cluster(s)",
                    selector.selector, selector.matched, selector.clusters
                )?,
                Some(reason) => writeln!(f, "selector  {}  FAILED  {reason}", selector.selector)?,
            }
        }
        let s = &self.0.summary;
        writeln!(
            f,
            "{}{} {}, {} unchanged, {} skipped, {} held, {} drift, {} not ready, {} not stopped, {} failed{}",
            if self.0.dry_run { "dry run: " } else { "" },
            if self.0.dry_run {
                s.would_change
            } else {
                s.changed
            },
            if self.0.dry_run {
                "would change"
            } else {
                "changed"
            },
            s.unchanged,
            s.skipped,
            s.held,
            s.drift,
            s.not_ready,
            s.not_stopped,
            s.failed,
            if self.0.dry_run {
                " (nothing was changed)"
            } else {
                ""
            },
        )?;
        Ok(())
    }
}
