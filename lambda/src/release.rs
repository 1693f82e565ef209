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
use crate::observe::observe;
use crate::report::{Outcome, Report};
use crate::run::run_observed;
use crate::tags::CAPACITY_TAG;

/// What a release did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Release {
    /// The scale-out of the services that were down, as `run` reports it.
    pub restored: Report,
    /// Services whose `worktime:capacity` tag was removed.
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
    let observed = observe(clients, &event.services).await;
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
    let restored = run_observed(clients, &down, &observed, now).await;

    let mut untagged = Vec::new();
    let mut tag_errors = Vec::new();
    if !event.dry_run {
        for request in &event.services {
            let Some(seen) = observed.get(&request.resource_id) else {
                continue;
            };
            let tagged = seen.remembered.is_some() || seen.remembered_error.is_some();
            let failed = restored
                .services
                .iter()
                .any(|s| s.resource_id == request.resource_id && s.outcome == Outcome::Failed);
            let (true, false, Some(arn)) = (tagged, failed, &seen.service_arn) else {
                continue;
            };
            match clients
                .ecs
                .untag_resource()
                .resource_arn(arn)
                .tag_keys(CAPACITY_TAG)
                .send()
                .await
            {
                Ok(_) => untagged.push(request.resource_id.clone()),
                Err(e) => tag_errors.push(format!(
                    "{}: removing {CAPACITY_TAG}: {}",
                    request.resource_id,
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
