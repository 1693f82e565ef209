//! One scaling run: observe → plan → execute → report, with one log line per service and a
//! summary line. Shared by the function's handler and the CLI's `worktime run`.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use tracing::{info, warn};

use crate::clients::Clients;
use crate::ecs::Capacity;
use crate::event::{Action, ScalingEvent, ServiceRequest};
use crate::execute::execute;
use crate::observe::{observe_known, Observed};
use crate::planner;
use crate::report::{Outcome, Report, ServiceOutcome, Summary};
use crate::resolve::{resolve, SelectorOutcome};
use crate::tags::CAPACITY_TAG;
use crate::waves::{check_service, check_target_health, Check, GroupHealth, Stage};

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
    let report = if let Some(reason) = &stale {
        warn!(action = %event.action, reason = %reason, "stale delivery: nothing changed");
        run_observed(clients, event, &HashMap::new(), now).await
    } else if event.action == Action::Notice {
        Box::pin(notice(clients, event, now)).await
    } else {
        // Boxed: inlined, the resolver's futures nest past the compiler's layout depth limit.
        let selected = Box::pin(select_and_observe(clients, event)).await;
        let mut report = run_observed(clients, &selected.event, &selected.observed, now).await;
        report.selectors = selected.selectors;
        report
    };
    log_summary(&report);
    report
}

/// The coming scale-in, planned and not applied: a dry-run scale-in at the time the notice
/// warns of (so a hold that ends before then does not count), reported as action `notice`.
async fn notice(clients: &Clients, event: &ScalingEvent, now: DateTime<Utc>) -> Report {
    let mut scale_in = event.clone();
    scale_in.action = Action::ScaleIn;
    scale_in.dry_run = true;
    scale_in.scheduled_time = Some(notice_stop_time(event, now));
    let selected = Box::pin(select_and_observe(clients, &scale_in)).await;
    let mut report = run_observed(clients, &selected.event, &selected.observed, now).await;
    report.action = Action::Notice;
    report.scheduled_time = event.scheduled_time;
    report.selectors = selected.selectors;
    report
}

/// When the scale-in a notice warns of happens: its scheduled time (else now) plus the
/// warning.
pub fn notice_stop_time(event: &ScalingEvent, now: DateTime<Utc>) -> DateTime<Utc> {
    event.effective_time(now) + event.warn_before.unwrap_or_default()
}

/// An event with the services its selectors select now, and every service's state.
#[derive(Debug, Clone)]
pub struct Selected {
    /// The event, the selected services appended after the listed ones.
    pub event: ScalingEvent,
    /// What each selector resolved to.
    pub selectors: Vec<SelectorOutcome>,
    /// Every service's state, keyed by resource id.
    pub observed: HashMap<String, Observed>,
}

/// The services `event`'s selectors select now (after its listed ones and the stack's
/// ownership: an entry wins, else the first matching selector), with what each selector
/// resolved to; nothing else is read. The CLI asks this of a woken selector at deploy.
pub async fn select(
    clients: &Clients,
    event: &ScalingEvent,
) -> (Vec<ServiceRequest>, Vec<SelectorOutcome>) {
    let (selected, outcomes, _) = resolve(clients, event).await;
    (selected, outcomes)
}

/// Resolves `event`'s selectors (each logged) and reads every service's state once: the
/// services a selector described while resolving are not described again.
pub async fn select_and_observe(clients: &Clients, event: &ScalingEvent) -> Selected {
    let mut event = event.clone();
    let (selectors, described) = if event.selectors.is_empty() {
        (Vec::new(), HashMap::new())
    } else {
        let (selected, outcomes, described) = resolve(clients, &event).await;
        for outcome in &outcomes {
            match &outcome.error {
                None => info!(selector = %outcome.selector, clusters = outcome.clusters,
                              matched = outcome.matched, "selector"),
                Some(reason) => warn!(selector = %outcome.selector, clusters = outcome.clusters,
                                      matched = outcome.matched, reason = %reason, "selector failed"),
            }
        }
        event.services.extend(selected);
        (outcomes, described)
    };
    let observed = observe_known(clients, &event.services, described).await;
    Selected {
        event,
        selectors,
        observed,
    }
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
    Report {
        action: event.action,
        dry_run: event.dry_run,
        scheduled_time: event.scheduled_time,
        schedule: event.schedule.clone(),
        summary,
        services,
        selectors: Vec::new(),
        wave: None,
    }
}

/// One step of a run in waves: the services of `wave` converged (selectors are resolved over
/// the whole event, so that a service two selectors match stays in the first one's wave),
/// then each judged for readiness on what ECS said before this step's writes (a service the
/// step changed is pending). Level-triggered: a repeated step writes only what is still
/// missing. A stale event is neither read nor written.
pub async fn run_wave(
    clients: &Clients,
    event: &ScalingEvent,
    wave: u8,
    now: DateTime<Utc>,
) -> (Report, Vec<(String, Check)>) {
    let mut event = event.clone();
    let mut report = if planner::staleness(&event, now).is_some() {
        event.services.retain(|s| s.wave == wave);
        run_observed(clients, &event, &HashMap::new(), now).await
    } else {
        let (selectors, described) = if event.selectors.is_empty() {
            (Vec::new(), HashMap::new())
        } else {
            let (selected, outcomes, described) = Box::pin(resolve(clients, &event)).await;
            event.services.extend(selected);
            (outcomes, described)
        };
        event.services.retain(|s| s.wave == wave);
        let observed = observe_known(clients, &event.services, described).await;
        let mut report = run_observed(clients, &event, &observed, now).await;
        // A selector of this wave that could not be resolved fails the wave like a service.
        report.selectors = selectors
            .into_iter()
            .filter(|o| {
                event
                    .selectors
                    .iter()
                    .any(|s| s.wave == wave && s.to_string() == o.selector)
            })
            .collect();
        let mut checks: Vec<(String, Check)> = Vec::new();
        for s in &report.services {
            let seen = observed.get(&s.resource_id).cloned().unwrap_or_default();
            let mut check = check_service(s.action, s.outcome, s.reason.as_deref(), &seen);
            // Running its tasks is not yet serving: a service behind a load balancer is
            // ready once its targets are healthy.
            if check == Check::Ready
                && s.action != Action::ScaleIn
                && !seen.target_groups.is_empty()
            {
                check = targets_ready(clients, &seen).await;
            }
            checks.push((s.resource_id.clone(), check));
        }
        checks.extend(report.failed_selectors().map(|o| {
            (
                format!("selector {}", o.selector),
                Check::Failed(o.error.clone().unwrap_or_default()),
            )
        }));
        report.wave = Some(Stage::Services(wave));
        log_summary(&report);
        return (report, checks);
    };
    report.wave = Some(Stage::Services(wave));
    log_summary(&report);
    (report, Vec::new())
}

/// The run's `summary` line: what `worktime status` reads back from the log group as the
/// last run of its schedule's action.
pub(crate) fn log_summary(report: &Report) {
    let summary = &report.summary;
    info!(
        action = %report.action,
        schedule = report.schedule.as_deref().unwrap_or("default"),
        dry_run = report.dry_run,
        scheduled_time = %report.scheduled_time.map_or_else(|| "-".to_string(), |t| t.to_rfc3339()),
        changed = summary.changed,
        would_change = summary.would_change,
        unchanged = summary.unchanged,
        skipped = summary.skipped,
        held = summary.held,
        stale = summary.stale,
        drift = summary.drift,
        wave = report.wave.map_or_else(|| "-".to_string(), |w| w.number().to_string()),
        not_ready = summary.not_ready,
        not_stopped = summary.not_stopped,
        failed = summary.failed,
        selectors_failed = report.failed_selectors().count(),
        "summary"
    );
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

/// Reads the health of each of a ready service's target groups and judges it: still pending
/// while fewer than its desired count are healthy; failed (not waited for) when the health
/// cannot be read.
async fn targets_ready(clients: &Clients, seen: &Observed) -> Check {
    let mut groups = Vec::new();
    for group in &seen.target_groups {
        match clients
            .elb
            .describe_target_health()
            .target_group_arn(group)
            .send()
            .await
        {
            Ok(out) => groups.push(GroupHealth {
                target_group: group.clone(),
                states: out
                    .target_health_descriptions()
                    .iter()
                    .filter_map(|d| d.target_health().and_then(|h| h.state()))
                    .map(|state| state.as_str().to_string())
                    .collect(),
            }),
            Err(e) => {
                return Check::Failed(format!(
                    "could not read the health of target group {group}: {}",
                    crate::clients::describe_error(&e)
                ))
            }
        }
    }
    match check_target_health(seen.desired_count.unwrap_or(0), &groups) {
        None => Check::Ready,
        Some(why) => Check::Pending(why),
    }
}
