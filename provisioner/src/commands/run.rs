//! `worktime run scale-in|scale-out|reconcile|toggle`: the function's own library code, run locally
//! with the user's credentials against the configured services.

use std::fmt;

use chrono::Utc;
use serde::Serialize;
use worktime_lambda::{Action, Outcome, Report};

use crate::aws::AwsArgs;
use crate::cli::{RunAction, RunArgs};
use crate::config;
use crate::error::{Error, Result};
use crate::output::{self, OutputFormat};
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
    let report = run_events(&crate::aws::clients::function(&sdk), &events, now).await;
    output::print(&Shown(&report), format);
    if report.has_failures() {
        return Err(Error::ServicesFailed {
            failed: report.failed().count(),
            total: report.services.len(),
            selectors_failed: report.failed_selectors().count(),
        });
    }
    Ok(())
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
