//! `worktime run scale-in|scale-out|toggle`: the function's own library code, run locally
//! with the user's credentials against the configured services.

use chrono::Utc;
use worktime_lambda::apply::{self, Clients, Outcome, Report};
use worktime_lambda::event::{Action, EventDefaults, ScalingEvent};

use crate::cli::{OutputFormat, RunAction};
use crate::config::Config;
use crate::error::{Error, Result};

impl From<RunAction> for Action {
    fn from(action: RunAction) -> Self {
        match action {
            RunAction::ScaleIn => Action::ScaleIn,
            RunAction::ScaleOut => Action::ScaleOut,
            RunAction::Toggle => Action::Toggle,
        }
    }
}

/// Builds the same event the trigger would carry, marked dry-run on request.
pub fn event_for(config: &Config, action: Action, dry_run: bool) -> Result<ScalingEvent> {
    let mut raw = config.scaling_event(action);
    raw.dry_run = Some(dry_run);
    ScalingEvent::from_raw(raw, &EventDefaults::default())
        .map_err(|e| Error::Usage(format!("{}: {e}", config.path.display())))
}

pub async fn run(
    config: &Config,
    sdk: &aws_config::SdkConfig,
    action: Action,
    dry_run: bool,
    output: OutputFormat,
) -> Result<Report> {
    let event = event_for(config, action, dry_run)?;
    let clients = Clients::new(sdk);
    let report = apply::run(&clients, &event, Utc::now()).await;
    print_report(&report, output);
    if report.has_failures() {
        return Err(Error::ServicesFailed {
            failed: report.summary.failed,
            total: report.services.len(),
        });
    }
    Ok(report)
}

pub fn print_report(report: &Report, output: OutputFormat) {
    if output == OutputFormat::Json {
        println!(
            "{}",
            serde_json::to_string_pretty(report).unwrap_or_default()
        );
        return;
    }
    let show =
        |c: Option<worktime_lambda::Capacity>| c.map_or_else(|| "-".into(), |c| c.to_string());
    let width = report
        .services
        .iter()
        .map(|s| s.resource_id.len())
        .max()
        .unwrap_or(0);
    for service in &report.services {
        let outcome = match service.outcome {
            Outcome::Changed => "changed",
            Outcome::WouldChange => "would change",
            Outcome::Unchanged => "unchanged",
            Outcome::Skipped => "skipped",
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
        println!("{}", line.trim_end());
    }
    let s = &report.summary;
    println!(
        "{}{} {}, {} unchanged, {} skipped, {} failed{}",
        if report.dry_run { "dry run: " } else { "" },
        if report.dry_run {
            s.would_change
        } else {
            s.changed
        },
        if report.dry_run {
            "would change"
        } else {
            "changed"
        },
        s.unchanged,
        s.skipped,
        s.failed,
        if report.dry_run {
            " (nothing was changed)"
        } else {
            ""
        },
    );
}
