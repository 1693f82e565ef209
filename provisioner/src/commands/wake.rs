//! `worktime wake CLUSTER/SERVICE... [--for D]`: holds the services, then scales them out now
//! with the function's own code (declared or remembered capacity, as the scale-out trigger
//! would), so that a scale-in during the wake — even one arriving while they are being scaled
//! out — leaves them running. A service that does not come up has its hold taken back.

use std::fmt;

use chrono::Utc;
use serde::Serialize;
use worktime_lambda::{Capacity, Outcome, ServiceOutcome};

use crate::aws::AwsArgs;
use crate::cli::WakeArgs;
use crate::config;
use crate::error::Result;
use crate::hold::{self, HoldLine};
use crate::output::{self, OutputFormat};

pub async fn run(args: &WakeArgs, aws: &AwsArgs, format: OutputFormat) -> Result<()> {
    let now = Utc::now();
    let fleet = config::load(&args.config.config, now)?;
    let config = &fleet.home;
    // Everything typed is checked before any call (services chosen by tag selectors are
    // confirmed from their tags, read before anything is written).
    hold::plan_wake(
        config,
        &args.services,
        args.duration,
        now,
        &hold::assume_tagged(config, &args.services),
    )?;
    // Every service must exist before any is scaled or tagged.
    let hold::LookedUp {
        clients,
        arns,
        tags,
    } = hold::look_up(config, &args.services, aws).await?;
    let plan = hold::plan_wake(config, &args.services, args.duration, now, &tags)?;

    // The hold first: a scale-in (or a repeated evening trigger) that arrives while the
    // service is being scaled out then finds it held and leaves it up. A service whose hold
    // could not be written is not scaled out (the next scale-in would take it down again);
    // one tagged worktime:exclude gets no hold (the scale-out skips it, and says so).
    let mut written: Vec<Option<HoldLine>> = Vec::with_capacity(plan.holds.len());
    for (target, arn) in plan.holds.iter().zip(&arns) {
        written.push(if hold::excluded(&tags, &target.name) {
            None
        } else {
            Some(hold::write_hold(&clients, target, arn).await)
        });
    }
    let mut event = plan.event.clone();
    event.services.retain(|request| {
        plan.holds.iter().zip(&written).any(|(target, line)| {
            target.name.resource_id() == request.resource_id
                && !line.as_ref().is_some_and(HoldLine::is_failure)
        })
    });
    let scaled = if event.services.is_empty() {
        None
    } else {
        Some(worktime_lambda::run(&clients, &event, now).await)
    };

    let mut services = Vec::with_capacity(plan.holds.len());
    for ((target, arn), line) in plan.holds.iter().zip(&arns).zip(written) {
        let resource_id = target.name.resource_id();
        let scale_out = scaled
            .as_ref()
            .and_then(|report| {
                report
                    .services
                    .iter()
                    .find(|s| s.resource_id == resource_id)
            })
            .cloned();
        let hold = match (line, &scale_out) {
            (Some(mut failed), _) if failed.is_failure() => {
                failed.reason = Some(format!(
                    "{}; not scaled out (the hold comes first, so that a scale-in during the wake leaves the service up)",
                    failed.reason.as_deref().unwrap_or("unknown")
                ));
                failed
            }
            (Some(held), Some(up))
                if matches!(up.outcome, Outcome::Changed | Outcome::Unchanged) =>
            {
                held
            }
            // Not up: a hold on a service that stayed down would keep nothing up and hide
            // that the wake did not work, so the one written above is taken back.
            (line, up) => {
                let why = match up {
                    Some(up) => format!(
                        "the scale-out {}: {}",
                        up.outcome,
                        up.reason.as_deref().unwrap_or("no reason given")
                    ),
                    None => "the scale-out did not report it".to_string(),
                };
                match line {
                    None => HoldLine::not_held(target, why),
                    Some(_) => {
                        let previous = hold::previous_hold(&tags, &target.name);
                        match hold::restore_hold(&clients, arn, previous.as_deref()).await {
                            Ok(()) => HoldLine::not_held(
                                target,
                                format!("{why} (the hold written before it was taken back)"),
                            ),
                            Err(error) => HoldLine::failed(
                                target,
                                format!(
                                    "{why}; the hold written before it is still there: {error}"
                                ),
                            ),
                        }
                    }
                }
            }
        };
        services.push(WakeLine {
            service: target.name.to_string(),
            scale_out,
            hold,
        });
    }
    let report = WakeReport {
        duration: args.duration.to_string(),
        services,
    };
    output::print(&report, format);
    hold::failures(
        report
            .services
            .iter()
            .filter(|line| line.hold.is_failure())
            .map(|line| (line.service.as_str(), line.hold.reason.as_deref())),
        report.services.len(),
        "were not woken and held",
    )?;
    Ok(())
}

/// What `wake` did.
#[derive(Debug, Serialize)]
struct WakeReport {
    /// `--for`, in canonical form (`2h`, `1h30m`).
    duration: String,
    services: Vec<WakeLine>,
}

/// One service: its scale-out, as the function reports it, and its hold.
#[derive(Debug, Serialize)]
struct WakeLine {
    /// `cluster/service`.
    service: String,
    /// `None` only if the scaling run did not report the service.
    scale_out: Option<ServiceOutcome>,
    hold: HoldLine,
}

impl fmt::Display for WakeReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let show = |c: Option<Capacity>| c.map_or_else(|| "-".into(), |c| c.to_string());
        let count = |d: Option<i32>| d.map_or_else(|| "-".into(), |d| d.to_string());
        let width = self
            .services
            .iter()
            .map(|s| s.service.len())
            .max()
            .unwrap_or(0);
        for line in &self.services {
            let Some(up) = &line.scale_out else {
                writeln!(f, "{:<width$}  {}", line.service, line.hold)?;
                continue;
            };
            let outcome = match up.outcome {
                Outcome::Failed => "FAILED".to_string(),
                other => other.to_string(),
            };
            write!(
                f,
                "{:<width$}  scale-out {outcome} (bounds {} -> {}, desired {} -> {})",
                line.service,
                show(up.before),
                show(up.after),
                count(up.desired_before),
                count(up.desired_after),
            )?;
            // A scale-out that did not happen is explained by the hold line.
            if let (Some(reason), false) = (&up.reason, line.hold.is_failure()) {
                write!(f, " {reason}")?;
            }
            writeln!(f, "; {}", line.hold)?;
        }
        writeln!(f, "woken for {}", self.duration)
    }
}
