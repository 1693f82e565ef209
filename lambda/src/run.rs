//! One scaling run: observe → plan → execute → report, with one log line per service and a
//! summary line. Shared by the function's handler and the CLI's `worktime run`.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use tracing::{info, warn};

use crate::clients::Clients;
use crate::event::{Capacity, ScalingEvent};
use crate::execute::execute;
use crate::observe::{observe, Observed};
use crate::planner;
use crate::report::{Outcome, Report, ServiceOutcome, Summary};
use crate::tags::CAPACITY_TAG;

/// Plans and applies one event at `now`: read, decide, write, report. Never stops at the
/// first failure; the caller turns a report with failures into an error. A stale event is
/// neither read nor written.
pub async fn run(clients: &Clients, event: &ScalingEvent, now: DateTime<Utc>) -> Report {
    if event.implicit_toggle {
        warn!(
            "the event names no action: toggling each service by its current state. A retried or \
             duplicated delivery flips it back; send {{\"action\": \"scale-in\"|\"scale-out\"}} instead"
        );
    }
    let stale = planner::staleness(event, now);
    let observed = match &stale {
        Some(reason) => {
            warn!(action = %event.action, reason = %reason, "stale delivery: nothing changed");
            HashMap::new()
        }
        None => observe(clients, &event.services).await,
    };
    run_observed(clients, event, &observed, now).await
}

/// [`run`] on states already read (`observed`, keyed by resource id): decide, write, report.
pub(crate) async fn run_observed(
    clients: &Clients,
    event: &ScalingEvent,
    observed: &HashMap<String, Observed>,
    now: DateTime<Utc>,
) -> Report {
    for (id, seen) in observed {
        if let Some(reason) = &seen.remembered_error {
            warn!(resource_id = %id, reason = %reason, "broken {CAPACITY_TAG} tag");
        }
    }
    let plan = planner::plan(event, observed, now);
    let services = execute(clients, plan, observed, event.dry_run).await;
    for service in &services {
        log_outcome(service);
    }
    let summary = Summary::of(&services);
    info!(
        action = %event.action,
        dry_run = event.dry_run,
        scheduled_time = %event.scheduled_time.map_or_else(|| "-".to_string(), |t| t.to_rfc3339()),
        changed = summary.changed,
        would_change = summary.would_change,
        unchanged = summary.unchanged,
        skipped = summary.skipped,
        stale = summary.stale,
        failed = summary.failed,
        "summary"
    );
    Report {
        action: event.action,
        dry_run: event.dry_run,
        scheduled_time: event.scheduled_time,
        summary,
        services,
    }
}

fn log_outcome(service: &ServiceOutcome) {
    let bounds = |c: Option<Capacity>| c.map_or_else(|| "-".to_string(), |c| c.to_string());
    let count = |d: Option<i32>| d.map_or_else(|| "-".to_string(), |d| d.to_string());
    let remembered = service
        .remembered
        .map_or_else(|| "-".to_string(), |r| r.to_string());
    let reason = service.reason.as_deref().unwrap_or("");
    if service.outcome == Outcome::Failed {
        warn!(resource_id = %service.resource_id, action = %service.action, outcome = %service.outcome,
              before = %bounds(service.before), after = %bounds(service.after),
              desired_before = %count(service.desired_before), desired_after = %count(service.desired_after),
              reason, "service");
    } else {
        info!(resource_id = %service.resource_id, action = %service.action, outcome = %service.outcome,
              before = %bounds(service.before), after = %bounds(service.after),
              desired_before = %count(service.desired_before), desired_after = %count(service.desired_after),
              remembered = %remembered, reason, "service");
    }
}
