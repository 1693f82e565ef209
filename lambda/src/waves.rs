//! Waves: the order in which a scale-out or a scale-in takes a schedule's services, and
//! whether a wave is done so that the next one may start. Pure: no SDK types, no I/O, no clock
//! (the caller passes `now`).
//!
//! A schedule's services sit in waves 0-9. Scale-out goes up (0, 1, 2 ...), each wave
//! starting once the one before is ready: every service running its desired count on a
//! single deployment. Scale-in goes down (... 2, 1, 0), each wave starting once the one
//! before has stopped its tasks. The EC2 capacity under the services (`[[capacity]]`) is its
//! own stage, [`Stage::Capacity`] ("wave -1"): first in the morning, so that the tasks have
//! instances to start on, and last at night, after every service is down.
//!
//! A wave that is not ready within `wave_timeout_minutes` of its start is `not-ready` (with
//! what ECS says), and the next one starts anyway: a late broker should not keep the rest of
//! the morning down. The run then ends failed, so the alarm and `[notify]` hear it.
//!
//! Each step is level-triggered: the wave's services are converged again (every write is
//! idempotent) and then judged on what ECS says now, so a retried step, or one delivered
//! twice, ends where a single one would. The only state carried between steps is
//! [`StepState`]: which stage is under way, since when, and how the finished ones ended.

use std::collections::BTreeSet;
use std::fmt;

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use crate::event::{Action, ScalingEvent, MAX_WAVE};
use crate::observe::Observed;
use crate::report::Outcome;

/// How often a wave that is not ready yet is looked at again. ECS starts a task in tens of
/// seconds; checking more often would only pay for more state transitions.
pub const POLL_SECONDS: u32 = 20;

/// How a run in waves counts time: a minute of `wave_timeout_minutes` (60 s; shorter only
/// in tests, through `WORKTIME_TEST_WAVE_MINUTE_SECONDS`) and the longest wait between two
/// looks at a wave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    pub minute_seconds: u32,
    pub poll_seconds: u32,
}

impl Default for Timing {
    fn default() -> Self {
        Timing {
            minute_seconds: 60,
            poll_seconds: POLL_SECONDS,
        }
    }
}

impl Timing {
    /// `minutes` of wave timeout.
    pub fn timeout(self, minutes: i64) -> TimeDelta {
        TimeDelta::seconds(minutes * i64::from(self.minute_seconds))
    }
}

/// One stage of a morning or a night.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Stage {
    /// The `[[capacity]]` Auto Scaling groups: "wave -1".
    Capacity,
    /// The services of one wave (0-9).
    Services(u8),
}

/// How the capacity stage is written in payloads and reports.
pub const CAPACITY_WAVE: i8 = -1;

impl Stage {
    /// The number a payload carries: -1 for the capacity, else the wave.
    pub fn number(self) -> i8 {
        match self {
            Stage::Capacity => CAPACITY_WAVE,
            // Waves are 0-9, so the cast is exact.
            Stage::Services(wave) => wave as i8,
        }
    }
}

impl TryFrom<i8> for Stage {
    type Error = String;
    fn try_from(number: i8) -> Result<Self, Self::Error> {
        match number {
            CAPACITY_WAVE => Ok(Stage::Capacity),
            n if (0..=MAX_WAVE as i8).contains(&n) => Ok(Stage::Services(n as u8)),
            n => Err(format!(
                "{n} is not a wave: use -1 (the capacity) or 0 to {MAX_WAVE}"
            )),
        }
    }
}

impl Serialize for Stage {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_i8(self.number())
    }
}

impl<'de> Deserialize<'de> for Stage {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let number = i8::deserialize(deserializer)?;
        Stage::try_from(number).map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Stage::Capacity => f.write_str("capacity (wave -1)"),
            Stage::Services(wave) => write!(f, "wave {wave}"),
        }
    }
}

/// The stages of a run, in the order they run: scale-out the capacity first, then the waves
/// ascending; scale-in the waves descending, then the capacity. `waves` are the waves the
/// event's services and selectors are in (none: wave 0). Any other action is refused: a
/// reconcile converges everything at once, a notice writes nothing, and a toggle decides per
/// service, so none of them has an order to keep.
pub fn stages(
    action: Action,
    waves: impl IntoIterator<Item = u8>,
    capacity: bool,
) -> Result<Vec<Stage>, String> {
    let mut waves: BTreeSet<u8> = waves.into_iter().collect();
    if waves.is_empty() {
        waves.insert(0);
    }
    let capacity = capacity.then_some(Stage::Capacity);
    match action {
        Action::ScaleOut => Ok(capacity
            .into_iter()
            .chain(waves.into_iter().map(Stage::Services))
            .collect()),
        Action::ScaleIn => Ok(waves
            .into_iter()
            .rev()
            .map(Stage::Services)
            .chain(capacity)
            .collect()),
        other => Err(format!(
            "action {other} does not run in waves: only scale-in and scale-out do"
        )),
    }
}

/// The waves an event's services and selectors are in (refused ones included: they fail in
/// their wave, which is where the run reports them).
pub fn event_waves(event: &ScalingEvent) -> BTreeSet<u8> {
    event
        .services
        .iter()
        .map(|s| s.wave)
        .chain(event.selectors.iter().map(|s| s.wave))
        .collect()
}

/// The stage after `current` in `stages` (`None`: `current` was the last, or is not one of
/// them).
pub fn next_stage(stages: &[Stage], current: Stage) -> Option<Stage> {
    let at = stages.iter().position(|s| *s == current)?;
    stages.get(at + 1).copied()
}

/// Where one service of a wave stands after the step's writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Check {
    /// Running its desired count on one deployment (scale-out), or no task left (scale-in).
    Ready,
    /// Not there yet: why.
    Pending(String),
    /// Could not be changed: why. Not waited for (it will not get there by waiting), but the
    /// run ends failed.
    Failed(String),
    /// Not the run's to wait for: skipped, held, stale, a dry run.
    Ignored,
}

/// Judges one service of the wave: `outcome` is what this step did to it, `observed` what ECS
/// said before the step's writes. A service this step changed is pending whatever it said
/// before: its tasks have only just been asked to start or stop.
pub fn check_service(
    action: Action,
    outcome: Outcome,
    reason: Option<&str>,
    observed: &Observed,
) -> Check {
    match outcome {
        Outcome::Failed | Outcome::NotReady | Outcome::NotStopped => {
            Check::Failed(reason.unwrap_or("failed").to_string())
        }
        Outcome::Skipped | Outcome::Held | Outcome::Stale | Outcome::WouldChange => Check::Ignored,
        Outcome::Changed => Check::Pending(match action {
            Action::ScaleIn => "changed in this step: its tasks are stopping".to_string(),
            _ => "changed in this step: its tasks are starting".to_string(),
        }),
        Outcome::Unchanged | Outcome::Drift => {
            let desired = observed.desired_count.unwrap_or(0);
            let running = observed.running_count.unwrap_or(0);
            let deployments = observed.deployments.unwrap_or(1);
            match action {
                Action::ScaleIn if running > 0 => Check::Pending(format!(
                    "{running} task(s) still running{}",
                    ecs_says(observed)
                )),
                Action::ScaleIn => Check::Ready,
                _ if running < desired => Check::Pending(format!(
                    "running {running} of {desired} desired task(s){}",
                    ecs_says(observed)
                )),
                _ if deployments > 1 => Check::Pending(format!(
                    "{deployments} deployments: a rollout is under way{}",
                    ecs_says(observed)
                )),
                _ => Check::Ready,
            }
        }
    }
}

/// The targets of one of a service's target groups, by health state (`healthy`, `initial`,
/// `unhealthy`, `draining`, ...), as Elastic Load Balancing reports them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupHealth {
    pub target_group: String,
    pub states: Vec<String>,
}

/// A scale-out service that runs its tasks is ready only once its load balancer sends them
/// traffic: each of its target groups has at least `desired` healthy targets (another
/// service's or an old task's targets may share the group; a draining one is on its way out).
/// `None`: ready; `Some(why)`: not yet.
pub fn check_target_health(desired: i32, groups: &[GroupHealth]) -> Option<String> {
    let wanted = usize::try_from(desired).unwrap_or(0);
    let short: Vec<String> = groups
        .iter()
        .filter_map(|group| {
            let healthy = group.states.iter().filter(|s| *s == "healthy").count();
            (healthy < wanted).then(|| {
                let others: Vec<&str> = group
                    .states
                    .iter()
                    .filter(|s| *s != "healthy")
                    .map(String::as_str)
                    .collect();
                format!(
                    "{healthy} of {wanted} target(s) healthy in {}{}",
                    short_group_name(&group.target_group),
                    if others.is_empty() {
                        String::new()
                    } else {
                        format!(" (others: {})", others.join(", "))
                    }
                )
            })
        })
        .collect();
    (!short.is_empty()).then(|| short.join("; "))
}

/// `targetgroup/<name>/<id>` of a target group ARN: what the console shows.
fn short_group_name(arn: &str) -> &str {
    arn.find("targetgroup/").map_or(arn, |at| &arn[at..])
}

/// "; ECS: <the service's latest event>", when there is one.
fn ecs_says(observed: &Observed) -> String {
    observed
        .latest_event
        .as_deref()
        .map_or_else(String::new, |message| format!("; ECS: {message}"))
}

/// What a step decides about its wave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Every service is there: the next stage may start.
    Ready,
    /// Not yet: look again in this many seconds.
    Wait { seconds: u32 },
    /// Not ready within the timeout: the next stage starts anyway, the run ends failed.
    NotReady { reasons: Vec<String> },
    /// Every service that could be changed is there, but some could not: the next stage
    /// starts, the run ends failed.
    Failed { reasons: Vec<String> },
}

/// Judges a wave from its services' checks (resource id, check): ready when none is
/// pending; past `timeout` since the wave `started` it is not ready; before, wait (at most
/// `poll_seconds`, never past the timeout).
pub fn judge(
    checks: &[(String, Check)],
    started: DateTime<Utc>,
    now: DateTime<Utc>,
    timeout: TimeDelta,
    poll_seconds: u32,
) -> Verdict {
    let listed = |pick: fn(&Check) -> Option<&String>| -> Vec<String> {
        checks
            .iter()
            .filter_map(|(id, check)| pick(check).map(|why| format!("{id}: {why}")))
            .collect()
    };
    let pending = listed(|c| match c {
        Check::Pending(why) => Some(why),
        _ => None,
    });
    let failed = listed(|c| match c {
        Check::Failed(why) => Some(why),
        _ => None,
    });
    if pending.is_empty() {
        return if failed.is_empty() {
            Verdict::Ready
        } else {
            Verdict::Failed { reasons: failed }
        };
    }
    let elapsed = now - started;
    if elapsed >= timeout {
        let mut reasons: Vec<String> = pending
            .into_iter()
            .map(|why| {
                format!(
                    "{why} (not ready {} s after the wave started, timeout {} s)",
                    elapsed.num_seconds(),
                    timeout.num_seconds()
                )
            })
            .collect();
        reasons.extend(failed);
        return Verdict::NotReady { reasons };
    }
    let remaining = (timeout - elapsed).num_seconds().max(1);
    Verdict::Wait {
        seconds: u32::try_from(remaining)
            .unwrap_or(poll_seconds)
            .min(poll_seconds),
    }
}

/// How a finished stage ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StageOutcome {
    Ready,
    NotReady,
    Failed,
    /// The run came after its window: nothing was done (not a failure).
    Stale,
}

impl StageOutcome {
    pub fn is_failure(self) -> bool {
        matches!(self, StageOutcome::NotReady | StageOutcome::Failed)
    }
}

/// One finished stage, as the execution carries it to the end.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StageResult {
    pub wave: Stage,
    pub outcome: StageOutcome,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<String>,
    /// When the stage ended (RFC 3339).
    pub ended_at: String,
}

/// Where an execution stands, as the state machine hands it from step to step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StepStatus {
    /// Set by the state machine's first state: begin with the first stage.
    Start,
    /// The stage is not done: wait `wait_seconds`, then step again.
    Wait,
    /// The stage is done: step again at once, for `wave`.
    Next,
    /// Every stage is done.
    Done,
}

/// The step's part of the payload (`step`): written by the function, read back by it on the
/// next step. The state machine only reads `status` and `wait_seconds`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepState {
    pub status: StepStatus,
    /// The stage under way (absent with `start`: the first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wave: Option<Stage>,
    /// When the stage under way began (RFC 3339): its timeout counts from here. With `start`,
    /// when the run began (the state machine writes its execution's start time), so a retried
    /// first step times the first stage from the same instant; absent, the step's own time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wait_seconds: Option<u32>,
    /// The stages that are done, in the order they ran.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub finished: Vec<StageResult>,
}

/// A step's `started_at`, which the function or the state machine wrote.
fn parse_started(started: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(started)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| format!("started_at {started:?} is not an RFC 3339 time"))
}

impl StepState {
    /// What the state machine's first state writes.
    pub fn start() -> Self {
        StepState {
            status: StepStatus::Start,
            wave: None,
            started_at: None,
            wait_seconds: None,
            finished: Vec::new(),
        }
    }

    /// The stage this step works on and since when, given the run's `stages`: the one under
    /// way, or (at the start) the first, starting `now`. An error when the state is not one
    /// the function wrote for these stages.
    pub fn current(
        &self,
        stages: &[Stage],
        now: DateTime<Utc>,
    ) -> Result<(Stage, DateTime<Utc>), String> {
        match (self.status, self.wave, &self.started_at) {
            (StepStatus::Start, _, started) => {
                let first = *stages.first().ok_or("the run has no stage")?;
                let began = match started {
                    Some(started) => parse_started(started)?.min(now),
                    None => now,
                };
                Ok((first, began))
            }
            (StepStatus::Done, _, _) => {
                Err("the run is done: there is no stage left to step".to_string())
            }
            (_, Some(wave), Some(started)) => {
                if !stages.contains(&wave) {
                    return Err(format!("{wave} is not one of this run's stages"));
                }
                Ok((wave, parse_started(started)?))
            }
            _ => Err("a step under way names its wave and started_at".to_string()),
        }
    }

    /// The state after a step on `stage` (begun at `started`) judged `verdict` at `now`.
    pub fn advance(
        &self,
        stages: &[Stage],
        stage: Stage,
        started: DateTime<Utc>,
        verdict: Verdict,
        now: DateTime<Utc>,
    ) -> StepState {
        let (outcome, reasons) = match verdict {
            Verdict::Wait { seconds } => {
                return StepState {
                    status: StepStatus::Wait,
                    wave: Some(stage),
                    started_at: Some(stamp(started)),
                    wait_seconds: Some(seconds),
                    finished: self.finished.clone(),
                }
            }
            Verdict::Ready => (StageOutcome::Ready, Vec::new()),
            Verdict::NotReady { reasons } => (StageOutcome::NotReady, reasons),
            Verdict::Failed { reasons } => (StageOutcome::Failed, reasons),
        };
        self.finish(stages, stage, outcome, reasons, now)
    }

    /// The state after `stage` ended with `outcome` at `now`: the next stage starts now, or
    /// the run is done.
    pub fn finish(
        &self,
        stages: &[Stage],
        stage: Stage,
        outcome: StageOutcome,
        reasons: Vec<String>,
        now: DateTime<Utc>,
    ) -> StepState {
        let mut finished = self.finished.clone();
        finished.push(StageResult {
            wave: stage,
            outcome,
            reasons,
            ended_at: stamp(now),
        });
        match next_stage(stages, stage) {
            Some(next) => StepState {
                status: StepStatus::Next,
                wave: Some(next),
                started_at: Some(stamp(now)),
                wait_seconds: None,
                finished,
            },
            None => StepState {
                status: StepStatus::Done,
                wave: None,
                started_at: None,
                wait_seconds: None,
                finished,
            },
        }
    }

    /// Why the run failed, once done: every stage that was not ready or failed, with its
    /// reasons; `None`: every stage was ready (or stale).
    pub fn failure(&self) -> Option<String> {
        let failed: Vec<String> = self
            .finished
            .iter()
            .filter(|r| r.outcome.is_failure())
            .map(|r| {
                let outcome = match r.outcome {
                    StageOutcome::NotReady => "not ready",
                    _ => "failed",
                };
                format!("{} {outcome}: {}", r.wave, r.reasons.join("; "))
            })
            .collect();
        (!failed.is_empty()).then(|| failed.join(" | "))
    }
}

fn stamp(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

#[cfg(test)]
mod tests;
