//! The pure planner: from an event, what was observed of each service and the current time,
//! decide per service which writes to make. No SDK types, no I/O, no clock.
//!
//! The state of a service is its scalable target's bounds *and* its desired count, because
//! Application Auto Scaling only moves the desired count when it lies outside the bounds
//! being registered, and `DeregisterScalableTarget` leaves it alone.
//!
//! - **Scale-in**: remember the state (tag, before any other write), bounds 0/0, desired 0.
//!   Re-applied on every delivery (the night guard): a service at 0/0 with tasks desired gets
//!   desired 0 again, its memory kept. A service with no scalable target and no task is
//!   already down and left alone.
//! - **Scale-out**: bounds from the declaration (`min`/`max` in the event), else from the
//!   memory; a memory of "no scalable target" deregisters the night's 0/0 target. Desired
//!   count: the remembered one (old `min/max` tag or nothing remembered: `min`), raised to
//!   at least 1 and clamped into the restored bounds — working hours mean at least one task
//!   wherever the bounds allow one. Already there (same bounds, desired inside them and not
//!   0): unchanged, so a repeated delivery does not fight the day's autoscaling.
//! - A broken memory (see [`crate::memory`]) fails the service at scale-out; nothing is
//!   guessed. At scale-in it is replaced by the current state when the service is running.
//! - A skip date (the scheduled time's local date) skips scale-out; scale-in still runs.
//! - A service tagged `worktime:exclude` (any value) is skipped, whatever the action.
//! - **Hold** (`worktime:hold-until`): while the hold lies after the event's effective time
//!   (scheduled time, else now), scale-in — and a toggle that resolves to scale-in — leaves
//!   the service as it is (`held`); scale-out ignores holds. A hold that has passed is
//!   ignored and its tag removed in the same run (an explicit step; not on a dry run). An
//!   unreadable hold fails the service at scale-in, nothing written: whether it is held
//!   cannot be known, so nothing is guessed.
//! - A delivery later than `max_delay_minutes` after its scheduled time is `stale`: nothing
//!   is read or changed. A service refused by the allow-list fails, untouched.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

use crate::event::{Action, Capacity, ScalingEvent, ServiceRequest};
use crate::memory::Remembered;
use crate::observe::Observed;
use crate::tags::{hold_until_value, EXCLUDE_TAG, HOLD_UNTIL_TAG};

/// A change to the scalable target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BoundsWrite {
    /// `RegisterScalableTarget` with these bounds.
    Register(Capacity),
    /// `DeregisterScalableTarget`: the service had none before scale-in.
    Deregister,
}

/// The writes for one service, executed in this order: tag, bounds, desired count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Writes {
    /// Write the `worktime:capacity` tag first, before anything changes.
    pub remember: Option<Remembered>,
    pub bounds: Option<BoundsWrite>,
    /// ECS `UpdateService` desired count.
    pub desired: Option<i32>,
}

/// The decision for one service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Decision {
    Apply {
        writes: Writes,
        /// Said in the report (the night guard, say).
        note: Option<String>,
    },
    /// Already where it should be.
    Unchanged { reason: String },
    /// Deliberately left alone (skip date).
    Skipped { reason: String },
    /// Scale-in while a hold lies in the future: left as it is.
    Held { reason: String },
    /// Delivered too late: nothing read, nothing changed.
    Stale { reason: String },
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
            Decision::Apply { writes, note } => Decision::Apply {
                writes,
                note: Some(note.map_or_else(|| extra.clone(), join)),
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

/// Why the event is too late to act on, or `None` when it is on time (or names no time).
pub(crate) fn staleness(event: &ScalingEvent, now: DateTime<Utc>) -> Option<String> {
    let scheduled = event.scheduled_time?;
    let late = now - scheduled;
    (late > event.max_delay).then(|| {
        format!(
            "scheduled for {}, delivered {} minutes late (more than max_delay_minutes = {}): \
             nothing read or changed",
            scheduled.format("%Y-%m-%dT%H:%M:%SZ"),
            late.num_minutes(),
            event.max_delay.num_minutes()
        )
    })
}

/// What holds for every service of one event.
#[derive(Debug, Clone, Default)]
pub(crate) struct Context {
    /// The scheduled date (local) is a skip date.
    pub skip_date: bool,
    /// The delivery is stale, and why.
    pub stale: Option<String>,
    /// The instant the event acts for ([`ScalingEvent::effective_time`]): a hold after it
    /// holds, one at or before it has ended.
    pub effective_time: DateTime<Utc>,
    /// A dry run: nothing is written, not even an ended hold's tag removed.
    pub dry_run: bool,
}

/// Plans every service of an event, in event order.
pub(crate) fn plan(
    event: &ScalingEvent,
    observed: &HashMap<String, Observed>,
    now: DateTime<Utc>,
) -> Vec<PlannedService> {
    let effective_time = event.effective_time(now);
    let date = local_date(effective_time, event.timezone);
    let context = Context {
        skip_date: event.skip_dates.contains(&date),
        stale: staleness(event, now),
        effective_time,
        dry_run: event.dry_run,
    };
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
    let decision = match resolved {
        Action::ScaleOut => {
            let decision = decide_scale_out(request, observed, context.skip_date);
            // Scale-out ignores holds, readable or not; an unreadable one is only mentioned.
            match &observed.hold_error {
                Some(error) => decision.noted(format!("hold ignored at scale-out: {error}")),
                None => decision,
            }
        }
        _ => match (&observed.hold_error, observed.hold_until) {
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
            _ => decide_scale_in(observed),
        },
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

fn decide_scale_in(observed: &Observed) -> Decision {
    let desired = observed.desired_count.unwrap_or(0);
    match observed.target {
        Some(bounds) if bounds.is_zero() => {
            if desired == 0 {
                Decision::Unchanged {
                    reason: "already at 0/0 with no task desired; remembered state kept".into(),
                }
            } else {
                // The night guard: a deploy or a person raised the desired count at night.
                Decision::Apply {
                    writes: Writes {
                        remember: None,
                        bounds: None,
                        desired: Some(0),
                    },
                    note: Some(format!(
                        "night guard: {desired} tasks desired at 0/0, set to 0; remembered state kept"
                    )),
                }
            }
        }
        None if desired == 0 => Decision::Unchanged {
            reason: "no scalable target and no task desired: already down".into(),
        },
        bounds => {
            // Remember today's state (it may have changed during the day), made consistent:
            // a desired count outside the bounds is where Application Auto Scaling would put it.
            let memory = Remembered {
                bounds,
                desired: Some(bounds.map_or(desired, |b| b.clamp(desired))),
            };
            Decision::Apply {
                writes: Writes {
                    remember: (observed.remembered != Some(memory)).then_some(memory),
                    bounds: Some(BoundsWrite::Register(Capacity::ZERO)),
                    desired: (desired != 0).then_some(0),
                },
                note: observed.remembered_error.as_ref().map(|error| {
                    format!("replaced a broken memory with the current state ({error})")
                }),
            }
        }
    }
}

fn decide_scale_out(request: &ServiceRequest, observed: &Observed, skip_date: bool) -> Decision {
    if skip_date {
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

    let (writes, already) = match bounds {
        Some(bounds) => {
            let wanted = bounds.clamp(remembered_desired.unwrap_or(bounds.min).max(1));
            let already = observed.target == Some(bounds)
                && bounds.contains(desired_now)
                && (desired_now > 0 || bounds.max == 0);
            let writes = Writes {
                remember: None,
                bounds: (observed.target != Some(bounds)).then_some(BoundsWrite::Register(bounds)),
                desired: (desired_now != wanted).then_some(wanted),
            };
            (writes, already)
        }
        None => {
            // Restore mode, and the service had no scalable target: none after scale-out.
            // The memory check guarantees a remembered desired count of at least 1.
            let wanted = remembered_desired.unwrap_or(1);
            let already = observed.target.is_none() && desired_now > 0;
            let writes = Writes {
                remember: None,
                bounds: observed.target.map(|_| BoundsWrite::Deregister),
                desired: (desired_now != wanted).then_some(wanted),
            };
            (writes, already)
        }
    };
    let nothing_to_write = writes.bounds.is_none() && writes.desired.is_none();
    if already || nothing_to_write {
        return Decision::Unchanged {
            reason: format!(
                "already out ({})",
                describe_state(observed.target, desired_now)
            ),
        };
    }
    Decision::Apply { writes, note: None }
}

fn describe_state(target: Option<Capacity>, desired: i32) -> String {
    match target {
        Some(bounds) => format!("bounds {bounds}, {desired} desired"),
        None => format!("no scalable target, {desired} desired"),
    }
}

#[cfg(test)]
mod tests;
