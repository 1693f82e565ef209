//! Typed errors of the scaling function.

use thiserror::Error;

use crate::apply::Report;

/// An event the function refuses: nothing is changed.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum EventError {
    #[error("malformed event: {reason}")]
    Malformed { reason: String },
    #[error("event field `{field}`: {reason}")]
    Field { field: String, reason: String },
}

/// Why an invocation failed.
#[derive(Debug, Error)]
pub enum HandlerError {
    #[error(transparent)]
    Event(#[from] EventError),
    /// Every other service was applied; these did not.
    #[error("{} of {} services failed: {}", .0.summary.failed, .0.services.len(), failed_list(.0))]
    ServicesFailed(Box<Report>),
    #[error("environment variable {name}: {reason}")]
    Environment { name: &'static str, reason: String },
}

fn failed_list(report: &Report) -> String {
    report
        .failed()
        .map(|s| {
            format!(
                "{} ({})",
                s.resource_id,
                s.reason.as_deref().unwrap_or("unknown")
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}
