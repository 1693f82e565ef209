//! The Lambda handler: event JSON in, report JSON out; an error when any service failed,
//! so that Lambda's asynchronous retries and the dead-letter queue act on it.

use chrono::Utc;
use serde_json::Value;

use crate::apply::{self, Clients, Report};
use crate::error::HandlerError;
use crate::event::{EventDefaults, ScalingEvent};

/// Handles one invocation.
pub async fn handle(
    clients: &Clients,
    defaults: &EventDefaults,
    payload: Value,
) -> Result<Report, HandlerError> {
    let event = ScalingEvent::from_json(payload, defaults)?;
    let report = apply::run(clients, &event, Utc::now()).await;
    if report.has_failures() {
        return Err(HandlerError::ServicesFailed(Box::new(report)));
    }
    Ok(report)
}
