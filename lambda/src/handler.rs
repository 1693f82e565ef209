//! The Lambda handler: event JSON in, report JSON out, the run's event on the default bus
//! (and the notice to `[notify]`); an error when the event is refused, any service failed or
//! a notice could not be published, so that Lambda's asynchronous retries and the
//! dead-letter queue act on it.

use chrono::{DateTime, Utc};
use serde_json::Value;
use thiserror::Error;

use crate::clients::Clients;
use crate::delivered::DeliveryRecord;
use crate::event::{Action, EventDefaults, EventError, ScalingEvent, DEFAULT_SCHEDULE};
use crate::publish::{notice_message, publish_notice, publish_run};
use crate::report::{Outcome, Report};
use crate::run::{notice_stop_time, run};

/// Whether the run came too late to act (every service `stale`): a late notice is not
/// sent, its scale-in has happened.
fn came_too_late(report: &Report) -> bool {
    report.services.iter().all(|s| s.outcome == Outcome::Stale)
}

/// Why an invocation failed.
#[derive(Debug, Error)]
pub enum HandlerError {
    /// The event was refused: nothing was read or changed.
    #[error(transparent)]
    Event(#[from] EventError),
    /// Every other service was applied; these did not.
    #[error("{}", .0.failure_message())]
    ServicesFailed(Box<Report>),
    /// The notice could not be published (nothing was changed).
    #[error("{0}")]
    NoticeUndelivered(String),
}

/// Handles one invocation, now. `function_arn` is the function's own (the Lambda context's
/// invoked ARN): where a notice records the topics it reached, so a retry does not send it to
/// them again. Without it (`worktime run`, the tests of the library) nothing is recorded.
pub async fn handle(
    clients: &Clients,
    defaults: &EventDefaults,
    payload: Value,
    function_arn: Option<&str>,
) -> Result<Report, HandlerError> {
    handle_invocation(clients, defaults, payload, function_arn, Utc::now()).await
}

/// Handles one invocation delivered at `now`, recording nothing.
pub async fn handle_at(
    clients: &Clients,
    defaults: &EventDefaults,
    payload: Value,
    now: DateTime<Utc>,
) -> Result<Report, HandlerError> {
    handle_invocation(clients, defaults, payload, None, now).await
}

/// Handles one invocation of the function `function_arn` delivered at `now`.
pub async fn handle_invocation(
    clients: &Clients,
    defaults: &EventDefaults,
    payload: Value,
    function_arn: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Report, HandlerError> {
    let event = ScalingEvent::from_json(payload, defaults, now)?;
    let report = run(clients, &event, now).await;
    let stack = defaults.stack.as_deref();
    publish_run(clients, stack, &report).await;
    if event.action == Action::Notice && !came_too_late(&report) {
        let message = notice_message(
            stack,
            &report,
            notice_stop_time(&event, now),
            event.timezone,
        );
        // Only a trigger's delivery (it carries its scheduled time) is the same notice when
        // retried; a notice run by hand is a new one each time.
        let record = function_arn
            .zip(event.scheduled_time)
            .map(|(arn, scheduled)| {
                DeliveryRecord::new(
                    clients,
                    arn,
                    event.schedule.as_deref().unwrap_or(DEFAULT_SCHEDULE),
                    scheduled,
                )
            });
        publish_notice(clients, &defaults.notify_topics, &message, record.as_ref())
            .await
            .map_err(HandlerError::NoticeUndelivered)?;
    }
    if report.has_failures() {
        return Err(HandlerError::ServicesFailed(Box::new(report)));
    }
    Ok(report)
}
