//! Letting go of services when their stack is torn down: each service worktime scaled in is
//! scaled out as the morning trigger would (declared or remembered bounds and desired count),
//! and worktime's tag is taken off every service that carries it — unless restoring it
//! failed, since the tag is then the only record of what it had.
//!
//! Only services that are down for the night *and* remember a scale-in are scaled out: a
//! service torn down in working hours keeps whatever the day made of it.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::clients::{describe_error, Clients};
use crate::event::{Action, ScalingEvent};
use crate::report::{Outcome, Report};
use crate::run::{log_summary, run_observed, select_and_observe, Selected};
use crate::tags::{CAPACITY_TAG, HOLD_UNTIL_TAG};
use crate::wake::record::{WAKE_SECONDS_TAG, WAKE_STARTED_TAG};

/// What a release did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Release {
    /// The scale-out of the services that were down, as `run` reports it.
    pub restored: Report,
    /// Services whose worktime tags (`worktime:capacity`, `worktime:hold-until`) were removed.
    pub untagged: Vec<String>,
    /// Tags that could not be removed, and why (the service keeps its tag).
    pub tag_errors: Vec<String>,
}

impl Release {
    pub fn has_failures(&self) -> bool {
        self.restored.has_failures() || !self.tag_errors.is_empty()
    }
}

/// Scales out the services of `event` (a scale-out event: skip dates do not apply) that a
/// scale-in left down, then removes worktime's tag from each service that has one and was
/// not left failed.
pub async fn release(clients: &Clients, event: &ScalingEvent, now: DateTime<Utc>) -> Release {
    // The services selectors select now are given back too.
    let Selected {
        event,
        selectors,
        observed,
    } = select_and_observe(clients, event).await;
    let event = &event;
    let mut down = event.clone();
    down.action = Action::ScaleOut;
    down.implicit_toggle = false;
    down.skip_dates.clear();
    down.scheduled_time = None;
    down.services.retain(|request| {
        observed.get(&request.resource_id).is_some_and(|seen| {
            seen.exists
                && seen.is_at_zero()
                && (seen.remembered.is_some() || seen.remembered_error.is_some())
        })
    });
    // The services were just read: decided and written on that, not read again.
    let mut restored = run_observed(clients, &down, &observed, now).await;
    restored.selectors = selectors;
    log_summary(&restored);

    let mut untagged = Vec::new();
    let mut tag_errors = Vec::new();
    if !event.dry_run {
        for request in &event.services {
            let Some(seen) = observed.get(&request.resource_id) else {
                continue;
            };
            // worktime's tags: the memory (kept when restoring failed: it is then the only
            // record of what the service had), a hold and a woken service's wake record
            // (nothing reads them any more).
            let failed = restored
                .services
                .iter()
                .any(|s| s.resource_id == request.resource_id && s.outcome == Outcome::Failed);
            let mut keys = Vec::new();
            if (seen.remembered.is_some() || seen.remembered_error.is_some()) && !failed {
                keys.push(CAPACITY_TAG);
            }
            if seen.hold_until.is_some() || seen.hold_error.is_some() {
                keys.push(HOLD_UNTIL_TAG);
            }
            if seen.wake_started.is_some() {
                keys.push(WAKE_STARTED_TAG);
            }
            if seen.wake_seconds.is_some() {
                keys.push(WAKE_SECONDS_TAG);
            }
            let Some(arn) = seen.service_arn.as_deref().filter(|_| !keys.is_empty()) else {
                continue;
            };
            match clients
                .ecs
                .untag_resource()
                .resource_arn(arn)
                .set_tag_keys(Some(keys.iter().map(|k| k.to_string()).collect()))
                .send()
                .await
            {
                Ok(_) => untagged.push(request.resource_id.clone()),
                Err(e) => tag_errors.push(format!(
                    "{}: removing {}: {}",
                    request.resource_id,
                    keys.join(", "),
                    describe_error(&e)
                )),
            }
        }
    }
    Release {
        restored,
        untagged,
        tag_errors,
    }
}
