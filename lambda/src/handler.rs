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
use crate::groups_io::run_capacity;
use crate::publish::{notice_message, publish_notice, publish_run};
use crate::report::{Outcome, Report};
use crate::run::{notice_stop_time, run, run_wave};
use crate::waves::{event_waves, judge, stages, Stage, StageOutcome, StepState, StepStatus};

/// The payload key a state machine's step carries (the rest is the trigger's payload).
pub const STEP_KEY: &str = "step";

/// Whether `payload` is a step of a run in waves (the state machine's task), not a
/// trigger's direct invocation.
pub fn is_step(payload: &Value) -> bool {
    payload.get(STEP_KEY).is_some()
}

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
    /// The last step of a run in waves: a wave was not ready in time, or some of its
    /// services failed (every wave was still run).
    #[error("the run in waves ended failed: {0}")]
    WavesFailed(String),
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
    if !event.capacity.is_empty() {
        // Groups wait for their services and the services for them: only the steps of the
        // schedule's state machine keep that order.
        return Err(EventError::Field {
            field: "capacity".into(),
            reason: "Auto Scaling groups follow their services in stages: start the \
                     schedule's state machine with this payload instead of invoking the \
                     function directly"
                .into(),
        }
        .into());
    }
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

/// One step of a run in waves, as the state machine's task delivers it at `now`: the
/// trigger's payload plus `step` (where the run stands). Converges the wave under way and
/// judges it; answers the same payload with the next `step`: `wait` (look again in
/// `wait_seconds`), `next` (the next wave starts now) or `done`. The last step of a run in
/// which a wave was not ready, or a service or selector failed, fails with every such wave's
/// reasons, so that the execution ends failed and the errors alarm hears it. A repeated or
/// retried step converges and judges again: it ends where a single one would.
pub async fn handle_step(
    clients: &Clients,
    defaults: &EventDefaults,
    payload: Value,
    now: DateTime<Utc>,
) -> Result<Value, HandlerError> {
    let Value::Object(mut map) = payload else {
        return Err(EventError::Malformed {
            reason: "the event is not a JSON object".into(),
        }
        .into());
    };
    let step_value = map.remove(STEP_KEY).unwrap_or(Value::Null);
    let state: StepState =
        serde_json::from_value(step_value).map_err(|e| step_error(e.to_string()))?;
    let trigger_payload = Value::Object(map);
    let event = ScalingEvent::from_json(trigger_payload.clone(), defaults, now)?;
    // The `[[capacity]]` groups are a stage of their own: first in the morning, last at night.
    let order = stages(
        event.action,
        event_waves(&event),
        !event.capacity.is_empty(),
    )
    .map_err(|reason| EventError::Field {
        field: "action".into(),
        reason,
    })?;
    let (stage, started) = state.current(&order, now).map_err(step_error)?;
    let stale = crate::planner::staleness(&event, now);
    let (report, checks) = match stage {
        Stage::Services(wave) => {
            let (report, checks) = run_wave(clients, &event, wave, now).await;
            (Some(report), checks)
        }
        // Delivered after its window: no group is read or written.
        Stage::Capacity if stale.is_some() => (None, Vec::new()),
        Stage::Capacity => {
            let (groups, checks) = run_capacity(clients, &event, now).await;
            tracing::info!(
                action = %event.action,
                changed = groups.iter().filter(|g| g.outcome == Outcome::Changed).count(),
                failed = groups.iter().filter(|g| g.outcome == Outcome::Failed).count(),
                "capacity stage"
            );
            (None, checks)
        }
    };
    let next = match stale {
        // Delivered after its window: the run acts no more, and no wave is waited for.
        Some(reason) => StepState {
            status: StepStatus::Done,
            wave: None,
            started_at: None,
            wait_seconds: None,
            ..state.finish(&order, stage, StageOutcome::Stale, vec![reason], now)
        },
        None => state.advance(
            &order,
            stage,
            started,
            judge(
                &checks,
                started,
                now,
                defaults
                    .wave_timing
                    .timeout(event.wave_timeout.num_minutes()),
                defaults.wave_timing.poll_seconds,
            ),
            now,
        ),
    };
    tracing::info!(
        action = %event.action,
        wave = stage.number(),
        status = ?next.status,
        wait_seconds = next.wait_seconds.unwrap_or(0),
        "wave step"
    );
    // Each step that changed services or ended their wave is a run of its own to hear about
    // (the capacity stage's groups are in the function's log).
    if let Some(report) =
        report.filter(|r| next.status != StepStatus::Wait || r.summary.changed > 0)
    {
        publish_run(clients, defaults.stack.as_deref(), &report).await;
    }
    if next.status == StepStatus::Done {
        if let Some(failure) = next.failure() {
            return Err(HandlerError::WavesFailed(failure));
        }
    }
    let mut answer = trigger_payload;
    answer[STEP_KEY] = serde_json::to_value(&next).map_err(|e| step_error(e.to_string()))?;
    Ok(answer)
}

fn step_error(reason: impl Into<String>) -> EventError {
    EventError::Field {
        field: STEP_KEY.into(),
        reason: reason.into(),
    }
}
