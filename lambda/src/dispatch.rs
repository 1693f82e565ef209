//! One invocation of the deployed function, by what delivered it: a state machine's step of a
//! run in waves (`handler::handle_step`), a load balancer's request to a wake target group
//! (`wake::visit`), or a trigger's payload (`handler::handle`, after which the woken services'
//! routes follow the run). Each is level-triggered: whatever fires it, it converges.
//!
//! A failure carries a stable `errorType` for Lambda (`EventRefused`, `ServicesFailed`, ...),
//! which the errors alarm, the dead-letter queue and `aws lambda invoke` show, instead of the
//! Rust type name Lambda's runtime would derive, and logs as one readable line.

use std::fmt;

use chrono::{DateTime, Utc};
use lambda_runtime::Diagnostic;
use serde_json::Value;

use crate::clients::Clients;
use crate::event::EventDefaults;
use crate::handler::{self, HandlerError};
use crate::wake::request::{self, Answer};
use crate::wake::{self, WakeTarget};

/// What the deployed function was started with: its clients, its environment's defaults and
/// the services a request wakes.
pub struct Function<'a> {
    pub clients: &'a Clients,
    pub defaults: &'a EventDefaults,
    pub woken: &'a [WakeTarget],
}

/// Why an invocation failed.
pub enum Failure {
    /// The run (or the step of a run in waves) failed.
    Handler(HandlerError),
    /// The run was applied, but some woken service's routes could not follow it:
    /// `(resource id, why)`.
    WakeRoutes(Vec<(String, String)>),
    /// The report could not be written as JSON.
    Answer(serde_json::Error),
}

impl Failure {
    /// The `errorType` Lambda reports.
    pub fn error_type(&self) -> &'static str {
        match self {
            Failure::Handler(HandlerError::Event(_)) => "EventRefused",
            Failure::Handler(HandlerError::ServicesFailed(_)) => "ServicesFailed",
            Failure::Handler(HandlerError::NoticeUndelivered(_)) => "NoticeUndelivered",
            Failure::Handler(HandlerError::WavesFailed(_)) => "WavesFailed",
            Failure::WakeRoutes(_) => "WakeRoutesFailed",
            Failure::Answer(_) => "AnswerUnwritable",
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Handler(error) => write!(f, "{error}"),
            Failure::WakeRoutes(failures) => {
                let lines: Vec<String> = failures
                    .iter()
                    .map(|(id, why)| format!("{id}: {why}"))
                    .collect();
                write!(f, "wake routes: {}", lines.join("; "))
            }
            Failure::Answer(error) => write!(f, "the report could not be written as JSON: {error}"),
        }
    }
}

/// The runtime logs a handler's error with `Debug`: the same one line as the answer.
impl fmt::Debug for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {self}", self.error_type())
    }
}

impl From<Failure> for Diagnostic {
    fn from(failure: Failure) -> Diagnostic {
        Diagnostic {
            error_type: failure.error_type().to_string(),
            error_message: failure.to_string(),
        }
    }
}

/// Handles one invocation of the deployed function `function_arn`, delivered at `now`.
pub async fn dispatch(
    function: &Function<'_>,
    payload: Value,
    function_arn: &str,
    now: DateTime<Utc>,
) -> Result<Value, Failure> {
    let Function {
        clients,
        defaults,
        woken,
    } = *function;
    // A state machine's step of a run in waves: the next step's payload is the answer.
    if handler::is_step(&payload) {
        return handler::handle_step(clients, defaults, payload, now)
            .await
            .map_err(Failure::Handler);
    }
    // A load balancer's request to a woken service's wake target group: a visitor wakes the
    // service, waits for it, and is sent back once it is up (400 for an unreadable event).
    if request::is_alb_event(&payload) {
        return Ok(match request::parse(&payload) {
            Ok(r) => {
                let answer =
                    wake::visit::handle(clients, &clients.elb, defaults, woken, &r, now).await;
                request::respond(Some(&r), &answer)
            }
            Err(why) => request::respond(None, &Answer::Bad(why)),
        });
    }
    let result =
        handler::handle_invocation(clients, defaults, payload, Some(function_arn), now).await;
    // The woken services' routes follow what the run did to them, also when other services
    // failed; a route that could not follow fails the invocation.
    let report = match &result {
        Ok(report) => Some(report),
        Err(HandlerError::ServicesFailed(report)) => Some(report.as_ref()),
        Err(_) => None,
    };
    if let Some(report) = report {
        let failures = wake::apply::after_run(&clients.elb, woken, report).await;
        if !failures.is_empty() {
            return Err(Failure::WakeRoutes(failures));
        }
    }
    serde_json::to_value(result.map_err(Failure::Handler)?).map_err(Failure::Answer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::EventError;

    #[test]
    fn a_failure_tells_lambda_its_kind_and_reads_as_one_line() {
        let refused = Failure::Handler(HandlerError::Event(EventError::Field {
            field: "action".into(),
            reason: "must be one of scale-in, scale-out".into(),
        }));
        let diagnostic = Diagnostic::from(refused);
        assert_eq!(diagnostic.error_type, "EventRefused");
        assert!(
            diagnostic.error_message.contains("action"),
            "{}",
            diagnostic.error_message
        );

        let routes = Failure::WakeRoutes(vec![
            ("service/prod/web".into(), "rule/1 changed since".into()),
            ("service/prod/api".into(), "denied".into()),
        ]);
        assert_eq!(
            format!("{routes:?}"),
            "WakeRoutesFailed: wake routes: service/prod/web: rule/1 changed since; service/prod/api: denied"
        );
        assert!(!format!("{routes:?}").contains('\n'));
    }
}
