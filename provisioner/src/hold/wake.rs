//! [`wake`]: what `worktime wake` does with its prepared plan. The services are held first,
//! then scaled out now with the function's own code (declared or remembered capacity, as the
//! scale-out trigger would), so that a scale-in during the wake — even one arriving while
//! they are being scaled out — leaves them running. A service that does not come up has its
//! hold taken back.

use serde::Serialize;
use worktime_lambda::{Outcome, Report, ServiceOutcome};

use super::write::{restore_hold, write_hold};
use super::{excluded, previous_hold, HoldLine, HoldTarget, Prepared, WakePlan};

/// One service: its scale-out, as the function reports it, and its hold.
#[derive(Debug, Serialize)]
pub struct WakeLine {
    /// `cluster/service`.
    pub service: String,
    /// `None` only if the scaling run did not report the service.
    pub scale_out: Option<ServiceOutcome>,
    pub hold: HoldLine,
}

/// Holds, scales out, and takes back the hold of each service that did not come up. One
/// line per service, in argument order.
pub async fn wake(prepared: &Prepared<WakePlan>) -> Vec<WakeLine> {
    let Prepared {
        plan,
        clients,
        arns,
        tags,
        now,
    } = prepared;
    // The hold first: a scale-in (or a repeated evening trigger) that arrives while the
    // service is being scaled out then finds it held and leaves it up. A service whose hold
    // could not be written is not scaled out (the next scale-in would take it down again);
    // one tagged worktime:exclude gets no hold (the scale-out skips it, and says so).
    let mut written: Vec<Option<HoldLine>> = Vec::with_capacity(plan.holds.len());
    for (target, arn) in plan.holds.iter().zip(arns) {
        written.push(if excluded(tags, &target.name) {
            None
        } else {
            Some(write_hold(clients, target, arn).await)
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
        Some(worktime_lambda::run(clients, &event, *now).await)
    };

    let mut lines = Vec::with_capacity(plan.holds.len());
    for ((target, arn), line) in plan.holds.iter().zip(arns).zip(written) {
        let scale_out = scale_out_of(scaled.as_ref(), target);
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
                        let previous = previous_hold(tags, &target.name);
                        match restore_hold(clients, arn, previous.as_deref()).await {
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
        lines.push(WakeLine {
            service: target.name.to_string(),
            scale_out,
            hold,
        });
    }
    lines
}

/// What the scaling run reported for one service, if it ran and reported it.
fn scale_out_of(scaled: Option<&Report>, target: &HoldTarget) -> Option<ServiceOutcome> {
    let resource_id = target.name.resource_id();
    scaled?
        .services
        .iter()
        .find(|s| s.resource_id == resource_id)
        .cloned()
}
