//! The pure planner: from an event, what was observed of each service and the current time,
//! decide per service which writes to make. No SDK types, no I/O, no clock.
//!
//! The state of a service is its scalable target's bounds *and* its desired count, because
//! Application Auto Scaling only moves the desired count when it lies outside the bounds
//! being registered, and `DeregisterScalableTarget` leaves it alone. What worktime owes a
//! service is in its `worktime:capacity` tag ([`crate::memory`]): the capacity and whether
//! it was scaled in (owed back) or restored, and when.
//!
//! - **Windows** ([`crate::window`]): an event that carries its schedule's crons knows the
//!   window an instant lies in. A scale-in or scale-out scheduled for S acts until the
//!   schedule's next opposite action after S; after that it is `stale` and nothing is read or
//!   changed. An event without a scheduled time (or without crons) acts now.
//! - **Down** (scale-in, and a reconcile in a down window): remember the state (the tag is
//!   written first, before any other write), bounds 0/0, desired 0. A memory written in this
//!   down window is kept (what the service had when the window began), so night drift — a
//!   deploy that raised the desired count or the bounds — is taken back without forgetting
//!   the day; an older memory is replaced by the current state when the service is running
//!   (the day may have changed it). A service with no scalable target and no task is already
//!   down. A reconcile reports what it takes down as `drift`.
//! - **Up** (scale-out): bounds from the declaration (`min`/`max`), else from the memory; a
//!   memory of "no scalable target" deregisters the night's 0/0 target. Desired count: the
//!   remembered one (old `min/max` tag or nothing remembered: `min`), at least 1 and clamped
//!   into the bounds. While the capacity is owed (the tag says `down`), the scale-out is done
//!   only when bounds *and* desired count are exactly restored, and then the tag says `up`
//!   (written last): a run stopped half-way and retried finishes the job instead of calling a
//!   service at its new minimum "already out". Once restored in this up window, a repeated
//!   delivery leaves the service to the day's autoscaling.
//! - **Reconcile** in an up window writes nothing (teams scale their services in the day); it
//!   checks readiness: a service running fewer tasks than desired longer than
//!   `ready_within_minutes` after it was changed is `not_ready` (with ECS's latest service
//!   event), as is one still scaled in since before this up window began (the scale-out did
//!   not restore it). In a down window, one still running tasks that long after desired 0 is
//!   `not_stopped`. Both fail the invocation, so the errors alarm and `[notify]` hear it.
//! - A broken memory fails the service at scale-out; nothing is guessed. Going down it is
//!   replaced by the current state when the service is running.
//! - A skip date (the scheduled time's local date) skips scale-out; scale-in still runs.
//! - A service tagged `worktime:exclude` (any value) is skipped, whatever the action.
//! - **Hold** (`worktime:hold-until`): while the hold lies after the instant the event acts
//!   for (a scale-in's scheduled time, a reconcile's now), going down leaves the service as
//!   it is (`held`); scale-out ignores holds. A hold that has passed is ignored and its tag
//!   removed in the same run (not on a dry run). An unreadable hold fails the service where
//!   it would be taken down: whether it is held cannot be known, so nothing is guessed.
//! - A service refused by the allow-list fails, untouched.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use chrono_tz::Tz;

use crate::ecs::Capacity;
use crate::event::{Action, ScalingEvent, ServiceRequest};
use crate::memory::{Mark, Remembered};
use crate::observe::Observed;
use crate::tags::{hold_until_value, EXCLUDE_TAG, HOLD_UNTIL_TAG};
use crate::window::Phase;

/// A change to the scalable target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BoundsWrite {
    /// `RegisterScalableTarget` with these bounds.
    Register(Capacity),
    /// `DeregisterScalableTarget`: the service had none before scale-in.
    Deregister,
}

/// The writes for one service, executed in this order: memory, bounds, desired count, mark.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Writes {
    /// Write the `worktime:capacity` tag first, before anything changes (going down).
    pub remember: Option<Remembered>,
    pub bounds: Option<BoundsWrite>,
    /// ECS `UpdateService` desired count.
    pub desired: Option<i32>,
    /// Write the `worktime:capacity` tag last, once bounds and desired count are back (going
    /// up): until then the capacity stays owed.
    pub mark_restored: Option<Remembered>,
}

impl Writes {
    fn is_empty(&self) -> bool {
        *self == Writes::default()
    }
}

/// The decision for one service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Decision {
    Apply {
        writes: Writes,
        /// Said in the report (the night guard, say).
        note: Option<String>,
        /// A reconcile took back what should not be running now.
        drift: bool,
    },
    /// Already where it should be.
    Unchanged { reason: String },
    /// Deliberately left alone (skip date).
    Skipped { reason: String },
    /// Going down while a hold lies in the future: left as it is.
    Held { reason: String },
    /// Delivered after its window: nothing read, nothing changed.
    Stale { reason: String },
    /// Up, but not running what it should, for longer than it may take.
    NotReady { reason: String },
    /// Down, but still running tasks, for longer than stopping may take.
    NotStopped { reason: String },
    /// Cannot be done; the others go on.
    Fail { reason: String },
}

/// One service's line in the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PlannedService {
    pub resource_id: String,
    pub cluster: String,
    pub service: String,
    /// The action taken for this service (a toggle resolves to in or out per service).
    pub action: Action,
    pub before: Option<Capacity>,
    pub desired_before: Option<i32>,
    pub decision: Decision,
    /// Remove the `worktime:hold-until` tag of a hold that ended at this instant, after the
    /// decision's writes. A failure to remove it is reported, never fails the service.
    /// Never planned on a dry run.
    pub remove_expired_hold: Option<DateTime<Utc>>,
}

impl Decision {
    /// The same decision with `extra` added to what the report says about it.
    fn noted(self, extra: String) -> Self {
        let join = |text: String| format!("{text}; {extra}");
        match self {
            Decision::Apply {
                writes,
                note,
                drift,
            } => Decision::Apply {
                writes,
                note: Some(note.map_or_else(|| extra.clone(), join)),
                drift,
            },
            Decision::Unchanged { reason } => Decision::Unchanged {
                reason: join(reason),
            },
            Decision::Skipped { reason } => Decision::Skipped {
                reason: join(reason),
            },
            Decision::Held { reason } => Decision::Held {
                reason: join(reason),
            },
            Decision::Stale { reason } => Decision::Stale {
                reason: join(reason),
            },
            Decision::NotReady { reason } => Decision::NotReady {
                reason: join(reason),
            },
            Decision::NotStopped { reason } => Decision::NotStopped {
                reason: join(reason),
            },
            Decision::Fail { reason } => Decision::Fail {
                reason: join(reason),
            },
        }
    }
}

/// The date of an instant in the schedule's zone.
pub(crate) fn local_date(time: DateTime<Utc>, zone: Tz) -> NaiveDate {
    time.with_timezone(&zone).date_naive()
}

fn stamp(time: DateTime<Utc>) -> String {
    time.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Why the event is too late to act on, or `None` when its window still lasts (or it names
/// no time, or carries no crons: it acts now).
pub(crate) fn staleness(event: &ScalingEvent, now: DateTime<Utc>) -> Option<String> {
    let scheduled = event.scheduled_time?;
    let (ends, what) = match event.action {
        Action::Notice => (
            Some(scheduled + event.warn_before.unwrap_or_default()),
            "the scale-in it warns of",
        ),
        Action::ScaleIn => (
            event.clock.as_ref()?.scale_in_acts_until(scheduled),
            "the schedule's next scale-out",
        ),
        Action::ScaleOut => (
            event.clock.as_ref()?.scale_out_acts_until(scheduled),
            "the schedule's next scale-in",
        ),
        Action::Toggle | Action::Reconcile => return None,
    };
    let ends = ends?;
    (now >= ends).then(|| {
        format!(
            "scheduled for {}, delivered at {}: {what} ({}) has come, so this {} no longer \
             applies; nothing read or changed",
            stamp(scheduled),
            stamp(now),
            stamp(ends),
            event.action
        )
    })
}

/// What holds for every service of one event.
#[derive(Debug, Clone)]
pub(crate) struct Context {
    /// The scheduled date (local) is a skip date.
    pub skip_date: bool,
    /// The delivery is stale, and why.
    pub stale: Option<String>,
    /// The instant the event acts for: a reconcile's delivery, else the scheduled time (else
    /// now). A hold after it holds, one at or before it has ended.
    pub effective_time: DateTime<Utc>,
    /// When the run happens: what the tags record.
    pub now: DateTime<Utc>,
    /// When the window the event acts in began (the down window for a scale-in, the up
    /// window for a scale-out; the event's own time without crons or without a scheduled
    /// time): a memory marked before it is from an earlier window.
    pub window_start: DateTime<Utc>,
    /// A reconcile: the schedule's phase now; `None` for the other actions.
    pub phase: Option<Phase>,
    /// How long starting or stopping tasks may take.
    pub ready_within: TimeDelta,
    /// A dry run: nothing is written, not even an ended hold's tag removed.
    pub dry_run: bool,
}

impl Context {
    /// The context of `event` delivered at `now`.
    pub(crate) fn of(event: &ScalingEvent, now: DateTime<Utc>) -> Self {
        let effective_time = match event.action {
            Action::Reconcile => now,
            _ => event.effective_time(now),
        };
        let window = event.clock.as_ref().map(|c| c.window_at(effective_time));
        let going = match event.action {
            Action::ScaleOut => Some(Phase::Up),
            Action::ScaleIn => Some(Phase::Down),
            Action::Reconcile => window.map(|w| w.phase),
            Action::Toggle | Action::Notice => None,
        };
        // A trigger's delivery acts for its window; an event without a scheduled time
        // (`worktime run`, `wake`, teardown's give-back, a manual invoke) is a person's
        // explicit "now", and nothing done earlier in the window stands against it.
        let delivered_by_trigger =
            event.scheduled_time.is_some() || event.action == Action::Reconcile;
        let window_start = match (window, going) {
            (Some(w), Some(phase)) if w.phase == phase && delivered_by_trigger => {
                w.since.unwrap_or(effective_time)
            }
            _ => effective_time,
        };
        Context {
            skip_date: event
                .skip_dates
                .contains(&local_date(effective_time, event.timezone)),
            stale: staleness(event, now),
            effective_time,
            now,
            window_start,
            phase: match event.action {
                Action::Reconcile => window.map(|w| w.phase),
                _ => None,
            },
            ready_within: event.ready_within,
            dry_run: event.dry_run,
        }
    }
}

/// Plans every service of an event, in event order.
pub(crate) fn plan(
    event: &ScalingEvent,
    observed: &HashMap<String, Observed>,
    now: DateTime<Utc>,
) -> Vec<PlannedService> {
    let context = Context::of(event, now);
    let missing = Observed::default();
    event
        .services
        .iter()
        .map(|request| {
            let seen = observed.get(&request.resource_id).unwrap_or(&missing);
            plan_service(event.action, request, seen, &context)
        })
        .collect()
}

/// Plans one service.
pub(crate) fn plan_service(
    action: Action,
    request: &ServiceRequest,
    observed: &Observed,
    context: &Context,
) -> PlannedService {
    let line = |action, decision| PlannedService {
        resource_id: request.resource_id.clone(),
        cluster: request.cluster.clone(),
        service: request.service.clone(),
        action,
        before: observed.target,
        desired_before: observed.desired_count,
        decision,
        remove_expired_hold: None,
    };
    if let Some(reason) = &request.refused {
        return line(
            action,
            Decision::Fail {
                reason: reason.clone(),
            },
        );
    }
    if let Some(reason) = &context.stale {
        return line(
            action,
            Decision::Stale {
                reason: reason.clone(),
            },
        );
    }
    if let Some(error) = &observed.lookup_error {
        return line(
            action,
            Decision::Fail {
                reason: format!("could not read the service: {error}"),
            },
        );
    }
    if !observed.exists {
        return line(
            action,
            Decision::Fail {
                reason: format!(
                    "ECS service {} not found in cluster {}: check the cluster and service names",
                    request.service, request.cluster
                ),
            },
        );
    }
    if observed.excluded {
        return line(
            action,
            Decision::Skipped {
                reason: format!(
                    "tagged {EXCLUDE_TAG}: worktime never changes it (remove the tag to manage it again)"
                ),
            },
        );
    }
    let resolved = match action {
        Action::Toggle if observed.is_at_zero() => Action::ScaleOut,
        Action::Toggle => Action::ScaleIn,
        other => other,
    };
    let going_down = match resolved {
        Action::ScaleIn | Action::Notice => true,
        Action::Reconcile => context.phase == Some(Phase::Down),
        _ => false,
    };
    let decision = if going_down {
        match (&observed.hold_error, observed.hold_until) {
            (Some(error), _) => {
                return line(
                    resolved,
                    Decision::Fail {
                        reason: error.clone(),
                    },
                )
            }
            (None, Some(until)) if until > context.effective_time => Decision::Held {
                reason: format!("held until {} ({HOLD_UNTIL_TAG})", hold_until_value(until)),
            },
            _ => converge_down(observed, context, resolved == Action::Reconcile),
        }
    } else {
        let decision = match resolved {
            Action::Reconcile => check_up(observed, context),
            _ => converge_up(request, observed, context),
        };
        // Going up ignores holds, readable or not; an unreadable one is only mentioned.
        match &observed.hold_error {
            Some(error) => decision.noted(format!("hold ignored: {error}")),
            None => decision,
        }
    };
    // A hold that has ended is removed in this run, whatever the action decided.
    match observed
        .hold_until
        .filter(|until| *until <= context.effective_time)
    {
        Some(until) if context.dry_run => line(
            resolved,
            decision.noted(format!(
                "the hold until {} has ended: its {HOLD_UNTIL_TAG} tag would be removed",
                hold_until_value(until)
            )),
        ),
        Some(until) => PlannedService {
            remove_expired_hold: Some(until),
            ..line(resolved, decision)
        },
        None => line(resolved, decision),
    }
}

/// Down: remember (unless this window's memory is kept), bounds 0/0, no task. `reconcile`:
/// what it takes down is drift, and tasks that do not stop are reported.
fn converge_down(observed: &Observed, context: &Context, reconcile: bool) -> Decision {
    let desired = observed.desired_count.unwrap_or(0);
    let memory_from_this_window = observed
        .remembered
        .and_then(|m| m.down_at())
        .is_some_and(|at| at >= context.window_start);
    match observed.target {
        Some(bounds) if bounds.is_zero() && desired == 0 => stopped_or_not(
            observed,
            context,
            reconcile,
            "already at 0/0 with no task desired",
        ),
        None if desired == 0 => stopped_or_not(
            observed,
            context,
            reconcile,
            "no scalable target and no task desired: already down",
        ),
        Some(bounds) if bounds.is_zero() => {
            // The night guard: a deploy or a person raised the desired count at night.
            Decision::Apply {
                writes: Writes {
                    desired: Some(0),
                    ..Writes::default()
                },
                note: Some(format!(
                    "night guard: {desired} tasks desired at 0/0, set to 0; remembered state kept"
                )),
                drift: reconcile,
            }
        }
        bounds => {
            let remember = if memory_from_this_window && observed.remembered_error.is_none() {
                None
            } else {
                // Today's state (it may have changed during the day), made consistent: a
                // desired count outside the bounds is where Application Auto Scaling would put
                // it.
                Some(Remembered {
                    bounds,
                    desired: Some(bounds.map_or(desired, |b| b.clamp(desired))),
                    mark: Some(Mark::Down(context.now)),
                })
            };
            let note = match (&observed.remembered_error, remember) {
                (Some(error), _) => Some(format!(
                    "replaced a broken memory with the current state ({error})"
                )),
                (None, None) => Some(format!(
                    "running at night ({}): taken down again; what it had when the night began \
                     is kept",
                    describe_state(observed.target, desired)
                )),
                (None, Some(_)) => None,
            };
            Decision::Apply {
                writes: Writes {
                    remember,
                    bounds: Some(BoundsWrite::Register(Capacity::ZERO)),
                    desired: (desired != 0).then_some(0),
                    mark_restored: None,
                },
                note,
                drift: reconcile,
            }
        }
    }
}

/// A service that is down: unchanged, unless a reconcile finds its tasks still running
/// longer after it went down than stopping may take.
fn stopped_or_not(
    observed: &Observed,
    context: &Context,
    reconcile: bool,
    reason: &str,
) -> Decision {
    let running = observed.running_count.unwrap_or(0);
    let since = latest(
        observed.remembered.and_then(|m| m.down_at()),
        observed.last_changed,
    );
    match since {
        Some(since) if reconcile && running > 0 && context.now - since > context.ready_within => {
            Decision::NotStopped {
                reason: format!(
                    "{running} task(s) still running {} minutes after it went down ({}), more \
                     than ready_within_minutes = {}{}",
                    (context.now - since).num_minutes(),
                    stamp(since),
                    context.ready_within.num_minutes(),
                    ecs_says(observed)
                ),
            }
        }
        _ => Decision::Unchanged {
            reason: format!("{reason}; remembered state kept"),
        },
    }
}

/// A reconcile in an up window: nothing written; readiness checked.
fn check_up(observed: &Observed, context: &Context) -> Decision {
    let desired = observed.desired_count.unwrap_or(0);
    let running = observed.running_count.unwrap_or(desired);
    if let Some(down_at) = observed.remembered.and_then(|m| m.down_at()) {
        // The scale-out may still be on its way: give it as long as tasks may take.
        let overdue = context.now - context.window_start > context.ready_within;
        return if down_at < context.window_start && overdue {
            Decision::NotReady {
                reason: format!(
                    "scaled in at {} and not restored since this window's scale-out ({}): \
                     run `worktime run scale-out` or check the function's failed invocations",
                    stamp(down_at),
                    stamp(context.window_start)
                ),
            }
        } else if down_at < context.window_start {
            Decision::Unchanged {
                reason: format!(
                    "scaled in at {}; this window's scale-out ({}) has {} minutes to restore it",
                    stamp(down_at),
                    stamp(context.window_start),
                    context.ready_within.num_minutes()
                ),
            }
        } else {
            Decision::Unchanged {
                reason: format!(
                    "scaled in at {} in working hours (worktime run scale-in): left down",
                    stamp(down_at)
                ),
            }
        };
    }
    let since = latest(
        observed.remembered.and_then(|m| m.up_at()),
        observed.last_changed,
    );
    match since {
        Some(since) if running < desired && context.now - since > context.ready_within => {
            Decision::NotReady {
                reason: format!(
                    "running {running} of {desired} desired task(s) {} minutes after it was \
                     last changed ({}), more than ready_within_minutes = {}{}",
                    (context.now - since).num_minutes(),
                    stamp(since),
                    context.ready_within.num_minutes(),
                    ecs_says(observed)
                ),
            }
        }
        _ => Decision::Unchanged {
            reason: format!(
                "working hours: left to the team ({}, {running} running)",
                describe_state(observed.target, desired)
            ),
        },
    }
}

/// "; ECS: <the service's latest event>", when there is one.
fn ecs_says(observed: &Observed) -> String {
    observed
        .latest_event
        .as_deref()
        .map_or_else(String::new, |message| format!("; ECS: {message}"))
}

fn latest(a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

/// Up: the declared or remembered capacity, exactly while it is owed.
fn converge_up(request: &ServiceRequest, observed: &Observed, context: &Context) -> Decision {
    if context.skip_date {
        return Decision::Skipped {
            reason: "the scheduled date is a skip date in the schedule's time zone: no scale-out"
                .into(),
        };
    }
    if let Some(error) = &observed.remembered_error {
        return Decision::Fail {
            reason: error.clone(),
        };
    }
    let desired_now = observed.desired_count.unwrap_or(0);
    if let Some(up_at) = observed.remembered.and_then(|m| m.up_at()) {
        if up_at >= context.window_start {
            return Decision::Unchanged {
                reason: format!(
                    "restored at {} in this window ({}): the day's changes are the team's",
                    stamp(up_at),
                    describe_state(observed.target, desired_now)
                ),
            };
        }
    }
    // A scale-in after this scale-out's time (`worktime run scale-in` in the day) stands: an
    // older scale-out, retried or late, does not undo it.
    if let Some(down_at) = observed
        .remembered
        .and_then(|m| m.down_at())
        .filter(|at| *at > context.effective_time)
    {
        return Decision::Unchanged {
            reason: format!(
                "scaled in at {}, after this scale-out's time ({}): the later scale-in stands",
                stamp(down_at),
                stamp(context.effective_time)
            ),
        };
    }
    let owed = observed.remembered.is_some_and(|m| m.owed());
    let (bounds, remembered_desired) = match (request.declared, observed.remembered) {
        (Some(declared), memory) => (Some(declared), memory.and_then(|m| m.desired)),
        (None, Some(memory)) => (memory.bounds, memory.desired),
        (None, None) => {
            // Nothing declared and nothing remembered: a service that runs anyway is fine as
            // it is; one at zero cannot be brought back to a capacity nobody gave.
            return if observed.is_at_zero() {
                Decision::Fail {
                    reason: "no declared and no remembered capacity: add min and max for this \
                             service in worktime.toml, or scale it in once with worktime so its \
                             capacity is remembered"
                        .into(),
                }
            } else {
                Decision::Unchanged {
                    reason: format!(
                        "running ({}); no remembered capacity to restore",
                        describe_state(observed.target, desired_now)
                    ),
                }
            };
        }
    };

    let (wanted, bounds_write, running_as_is) = match bounds {
        Some(bounds) => {
            let wanted = bounds.clamp(remembered_desired.unwrap_or(bounds.min).max(1));
            let as_is = observed.target == Some(bounds)
                && bounds.contains(desired_now)
                && (desired_now > 0 || bounds.max == 0);
            let write = (observed.target != Some(bounds)).then_some(BoundsWrite::Register(bounds));
            (wanted, write, as_is)
        }
        None => {
            // Restore mode, and the service had no scalable target: none after scale-out.
            // The memory check guarantees a remembered desired count of at least 1.
            let wanted = remembered_desired.unwrap_or(1);
            let as_is = observed.target.is_none() && desired_now > 0;
            (
                wanted,
                observed.target.map(|_| BoundsWrite::Deregister),
                as_is,
            )
        }
    };
    let restored = Remembered {
        bounds,
        desired: Some(wanted),
        mark: Some(Mark::Up(context.now)),
    };
    // A value the tag can hold (never 0/0 or no task: those are refused when read back).
    let restorable = bounds.map_or(wanted > 0, |b| !b.is_zero());
    let mark_restored = restorable.then_some(restored);
    let writes = Writes {
        remember: None,
        bounds: bounds_write,
        desired: (desired_now != wanted).then_some(wanted),
        mark_restored,
    };
    let restored_already = writes.bounds.is_none() && writes.desired.is_none();
    if owed {
        if writes.is_empty() {
            return Decision::Unchanged {
                reason: format!(
                    "already out ({})",
                    describe_state(observed.target, desired_now)
                ),
            };
        }
        return Decision::Apply {
            writes,
            note: restored_already.then(|| {
                "bounds and desired count were already back (an earlier run stopped before it \
                 finished): marked restored"
                    .to_string()
            }),
            drift: false,
        };
    }
    // Nothing owed (no memory, or one restored in an earlier window): a running service
    // inside its bounds is left to its autoscaling.
    if running_as_is || restored_already {
        return Decision::Unchanged {
            reason: format!(
                "already out ({})",
                describe_state(observed.target, desired_now)
            ),
        };
    }
    Decision::Apply {
        writes,
        note: None,
        drift: false,
    }
}

fn describe_state(target: Option<Capacity>, desired: i32) -> String {
    match target {
        Some(bounds) => format!("bounds {bounds}, {desired} desired"),
        None => format!("no scalable target, {desired} desired"),
    }
}

#[cfg(test)]
mod tests;
