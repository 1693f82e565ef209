//! The Lambda handler: event JSON in, report JSON out; an error when the event is refused or
//! any service failed, so that Lambda's asynchronous retries and the dead-letter queue act on it.

use chrono::{DateTime, Utc};
use serde_json::Value;
use thiserror::Error;

use crate::clients::Clients;
use crate::event::{EventDefaults, EventError, ScalingEvent};
use crate::report::Report;
use crate::run::run;

/// Why an invocation failed.
#[derive(Debug, Error)]
pub enum HandlerError {
    /// The event was refused: nothing was read or changed.
    #[error(transparent)]
    Event(#[from] EventError),
    /// Every other service was applied; these did not.
    #[error("{}", .0.failure_message())]
    ServicesFailed(Box<Report>),
}

/// Handles one invocation, now.
pub async fn handle(
    clients: &Clients,
    defaults: &EventDefaults,
    payload: Value,
) -> Result<Report, HandlerError> {
    handle_at(clients, defaults, payload, Utc::now()).await
}

/// Handles one invocation delivered at `now`.
pub async fn handle_at(
    clients: &Clients,
    defaults: &EventDefaults,
    payload: Value,
    now: DateTime<Utc>,
) -> Result<Report, HandlerError> {
    let event = ScalingEvent::from_json(payload, defaults, now)?;
    let report = run(clients, &event, now).await;
    if report.has_failures() {
        return Err(HandlerError::ServicesFailed(Box::new(report)));
    }
    Ok(report)
}
