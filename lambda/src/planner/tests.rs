//! The planner's rules, one table row each: pure, no network, no clock.

use chrono::TimeZone;

use super::*;
use crate::event::{EventDefaults, RawEvent, ScheduleCrons, ServiceTarget};

fn cap(min: i32, max: i32) -> Capacity {
    Capacity { min, max }
}

// ------------------------------------------------------------------------------- instants

/// The start of the window the table rows act in: Thursday 2026-12-03 19:00 in Seoul (the
/// scale-in's firing, for the rows going down; read as the scale-out's for those going up —
/// the planner only compares instants with it).
fn window_start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 3, 10, 0, 0).unwrap()
}

/// When the table rows run: five minutes into the window.
fn now() -> DateTime<Utc> {
    window_start() + TimeDelta::minutes(5)
}

/// `hours` before the window began (an earlier window when it is more than a few).
fn hours_before(hours: i64) -> DateTime<Utc> {
    window_start() - TimeDelta::hours(hours)
}

// --------------------------------------------------------------------------------- memory

/// A value of an earlier release: no mark (owed, at an unknown time).
fn legacy(bounds: Option<Capacity>, desired: i32) -> Remembered {
    Remembered {
        bounds,
        desired: Some(desired),
        mark: None,
    }
}

/// Scaled in at `at`: owed.
fn down(bounds: Option<Capacity>, desired: i32, at: DateTime<Utc>) -> Remembered {
    legacy(bounds, desired).marked(Mark::Down(at))
}

/// Restored at `at`: nothing owed.
fn up(bounds: Option<Capacity>, desired: i32, at: DateTime<Utc>) -> Remembered {
    legacy(bounds, desired).marked(Mark::Up(at))
}

// -------------------------------------------------------------------------------- context

/// The context of an event acting for `effective_time`, run then, in a window that began then.
fn context_at(effective_time: DateTime<Utc>, dry_run: bool) -> Context {
    Context {
        skip_date: false,
        stale: None,
        effective_time,
        now: effective_time,
        window_start: effective_time,
        phase: None,
        ready_within: TimeDelta::minutes(15),
        dry_run,
    }
}

/// The table rows' context: a scheduled action for [`window_start`], run at [`now`].
fn table_context() -> Context {
    Context {
        now: now(),
        ..context_at(window_start(), false)
    }
}

/// A reconcile run at `at` in a window of `phase` that began at [`window_start`].
fn reconcile_context(phase: Phase, at: DateTime<Utc>) -> Context {
    Context {
        effective_time: at,
        now: at,
        window_start: window_start(),
        phase: Some(phase),
        ..table_context()
    }
}

/// Two hours into the window: when the reconcile rows run.
fn later() -> DateTime<Utc> {
    window_start() + TimeDelta::hours(2)
}

// ------------------------------------------------------------------------------- services

fn request(declared: Option<Capacity>) -> ServiceRequest {
    ServiceRequest {
        resource_id: "service/prod/api".into(),
        cluster: "prod".into(),
        service: "api".into(),
        declared,
        refused: None,
        selected_by: None,
        wave: 0,
    }
}

/// A service ECS knows: its scalable target (or none), desired count and memory.
fn seen(target: Option<Capacity>, desired: i32, remembered: Option<Remembered>) -> Observed {
    Observed {
        exists: true,
        service_arn: Some("arn:aws:ecs:ap-northeast-2:123456789012:service/prod/api".into()),
        desired_count: Some(desired),
        target,
        remembered,
        ..Observed::default()
    }
}

/// [`seen`], with this many tasks running, changed (primary deployment) at `changed`.
fn running(
    target: Option<Capacity>,
    desired: i32,
    running: i32,
    remembered: Option<Remembered>,
    changed: Option<DateTime<Utc>>,
) -> Observed {
    Observed {
        running_count: Some(running),
        last_changed: changed,
        ..seen(target, desired, remembered)
    }
}

const PLACEMENT: &str = "(service api) was unable to place a task because no container \
                         instance met all of its requirements.";
const DRAINING: &str = "(service api) has begun draining connections on 2 tasks.";

fn with_event(observed: Observed, message: &str) -> Observed {
    Observed {
        latest_event: Some(message.into()),
        ..observed
    }
}

// --------------------------------------------------------------------------------- writes

/// Going down: memory, bounds, desired count.
fn apply(
    remember: Option<Remembered>,
    bounds: Option<BoundsWrite>,
    desired: Option<i32>,
) -> Expect {
    Expect::Apply(down_writes(remember, bounds, desired))
}

fn down_writes(
    remember: Option<Remembered>,
    bounds: Option<BoundsWrite>,
    desired: Option<i32>,
) -> Writes {
    Writes {
        remember,
        bounds,
        desired,
        mark_restored: None,
    }
}

/// A reconcile going down: the same writes, reported as drift.
fn drift(
    remember: Option<Remembered>,
    bounds: Option<BoundsWrite>,
    desired: Option<i32>,
) -> Expect {
    Expect::Drift(down_writes(remember, bounds, desired))
}

/// Going up: bounds, desired count, then the tag marked restored.
fn restore(bounds: Option<BoundsWrite>, desired: Option<i32>, restored: Remembered) -> Expect {
    Expect::Apply(Writes {
        remember: None,
        bounds,
        desired,
        mark_restored: Some(restored),
    })
}

/// What scale-in remembers at [`now`].
fn remembered_now(bounds: Option<Capacity>, desired: i32) -> Option<Remembered> {
    Some(down(bounds, desired, now()))
}

/// What scale-out marks restored at [`now`].
fn restored_now(bounds: Option<Capacity>, desired: i32) -> Remembered {
    up(bounds, desired, now())
}

fn register(bounds: Capacity) -> Option<BoundsWrite> {
    Some(BoundsWrite::Register(bounds))
}

const ZERO: Option<BoundsWrite> = Some(BoundsWrite::Register(Capacity::ZERO));
const DEREGISTER: Option<BoundsWrite> = Some(BoundsWrite::Deregister);

// ---------------------------------------------------------------------------------- table

/// What a row expects: the writes exactly, or the kind of decision and a part of its reason.
#[derive(Debug)]
enum Expect {
    /// Applied, not as drift.
    Apply(Writes),
    /// Applied by a reconcile, reported as drift.
    Drift(Writes),
    Unchanged(&'static str),
    Skipped(&'static str),
    Held(&'static str),
    Stale(&'static str),
    NotReady(&'static str),
    NotStopped(&'static str),
    Fail(&'static str),
}

struct Case {
    name: &'static str,
    action: Action,
    declared: Option<Capacity>,
    seen: Observed,
    context: Context,
    resolved: Action,
    /// Not on the allow-list.
    refused: bool,
    /// A part of the note an applied decision must carry.
    note: Option<&'static str>,
    expect: Expect,
}

fn case(
    name: &'static str,
    action: Action,
    declared: Option<Capacity>,
    seen: Observed,
    expect: Expect,
) -> Case {
    Case {
        name,
        action,
        declared,
        seen,
        context: table_context(),
        resolved: action,
        refused: false,
        note: None,
        expect,
    }
}

impl Case {
    fn noting(self, part: &'static str) -> Self {
        Case {
            note: Some(part),
            ..self
        }
    }

    fn resolving(self, resolved: Action) -> Self {
        Case { resolved, ..self }
    }

    fn refused(self) -> Self {
        Case {
            refused: true,
            ..self
        }
    }

    fn in_context(self, context: Context) -> Self {
        Case { context, ..self }
    }
}

fn check(case: Case) {
    let mut req = request(case.declared);
    if case.refused {
        req.refused = Some("services[0].resource_id: not configured for this stack".into());
    }
    let planned = plan_service(case.action, &req, &case.seen, &case.context);
    assert_eq!(planned.action, case.resolved, "{}", case.name);
    assert_eq!(planned.before, case.seen.target, "{}", case.name);
    assert_eq!(
        planned.desired_before, case.seen.desired_count,
        "{}",
        case.name
    );
    let ok = match (&case.expect, &planned.decision) {
        (
            Expect::Apply(want),
            Decision::Apply {
                writes,
                drift: false,
                ..
            },
        )
        | (
            Expect::Drift(want),
            Decision::Apply {
                writes,
                drift: true,
                ..
            },
        ) => want == writes,
        (Expect::Unchanged(part), Decision::Unchanged { reason })
        | (Expect::Skipped(part), Decision::Skipped { reason })
        | (Expect::Held(part), Decision::Held { reason })
        | (Expect::Stale(part), Decision::Stale { reason })
        | (Expect::NotReady(part), Decision::NotReady { reason })
        | (Expect::NotStopped(part), Decision::NotStopped { reason })
        | (Expect::Fail(part), Decision::Fail { reason }) => reason.contains(part),
        _ => false,
    };
    assert!(
        ok,
        "{}: expected {:?}, got {:?}",
        case.name, case.expect, planned.decision
    );
    if let Some(part) = case.note {
        match &planned.decision {
            Decision::Apply {
                note: Some(note), ..
            } => assert!(note.contains(part), "{}: note {note:?}", case.name),
            other => panic!(
                "{}: expected a note with {part:?}, got {other:?}",
                case.name
            ),
        }
    }
}

#[test]
fn scale_in_table() {
    use Action::ScaleIn as IN;
    let rows = [
        case(
            "declared service running: remembers bounds and desired (marked down now), 0/0, \
             desired 0",
            IN,
            Some(cap(1, 3)),
            seen(Some(cap(1, 3)), 2, None),
            apply(remembered_now(Some(cap(1, 3)), 2), ZERO, Some(0)),
        ),
        case(
            "restore mode remembers bounds and desired count",
            IN,
            None,
            seen(Some(cap(2, 6)), 4, None),
            apply(remembered_now(Some(cap(2, 6)), 4), ZERO, Some(0)),
        ),
        case(
            "a memory from an earlier night is replaced by today's state",
            IN,
            None,
            seen(
                Some(cap(3, 9)),
                5,
                Some(down(Some(cap(2, 6)), 4, hours_before(24))),
            ),
            apply(remembered_now(Some(cap(3, 9)), 5), ZERO, Some(0)),
        ),
        case(
            "a memory marked restored this morning is replaced by today's state",
            IN,
            None,
            seen(
                Some(cap(3, 9)),
                5,
                Some(up(Some(cap(2, 6)), 4, hours_before(10))),
            ),
            apply(remembered_now(Some(cap(3, 9)), 5), ZERO, Some(0)),
        ),
        case(
            "a memory equal to the state but marked up: written again, marked down",
            IN,
            None,
            seen(
                Some(cap(2, 6)),
                4,
                Some(up(Some(cap(2, 6)), 4, hours_before(10))),
            ),
            apply(remembered_now(Some(cap(2, 6)), 4), ZERO, Some(0)),
        ),
        case(
            "a memory of an earlier release (no mark) is replaced, marked down",
            IN,
            None,
            seen(Some(cap(2, 6)), 4, Some(legacy(Some(cap(2, 6)), 4))),
            apply(remembered_now(Some(cap(2, 6)), 4), ZERO, Some(0)),
        ),
        case(
            "a memory from this window is kept: night drift taken back, the day not forgotten",
            IN,
            None,
            seen(Some(cap(3, 9)), 5, Some(down(Some(cap(2, 6)), 4, now()))),
            apply(None, ZERO, Some(0)),
        )
        .noting("taken down again"),
        case(
            "a memory marked down exactly when the window began is from this window",
            IN,
            None,
            seen(
                Some(cap(3, 9)),
                5,
                Some(down(Some(cap(2, 6)), 4, window_start())),
            ),
            apply(None, ZERO, Some(0)),
        )
        .noting("what it had when the night began is kept"),
        case(
            "a memory marked down a second before the window began is from an earlier one",
            IN,
            None,
            seen(
                Some(cap(3, 9)),
                5,
                Some(down(
                    Some(cap(2, 6)),
                    4,
                    window_start() - TimeDelta::seconds(1),
                )),
            ),
            apply(remembered_now(Some(cap(3, 9)), 5), ZERO, Some(0)),
        ),
        case(
            "a memory from this window, already at the remembered state: no tag write",
            IN,
            None,
            seen(Some(cap(2, 6)), 4, Some(down(Some(cap(2, 6)), 4, now()))),
            apply(None, ZERO, Some(0)),
        ),
        case(
            "no scalable target, running, memory from this window: kept, 0/0, no task",
            IN,
            None,
            seen(None, 2, Some(down(None, 3, window_start()))),
            apply(None, ZERO, Some(0)),
        ),
        case(
            "desired outside the bounds is remembered where AAS would put it",
            IN,
            None,
            seen(Some(cap(2, 6)), 9, None),
            apply(remembered_now(Some(cap(2, 6)), 6), ZERO, Some(0)),
        ),
        case(
            "min = 0 service with no task: remembered as is, still 0/0",
            IN,
            Some(cap(0, 4)),
            seen(Some(cap(0, 4)), 0, None),
            apply(remembered_now(Some(cap(0, 4)), 0), ZERO, None),
        ),
        case(
            "no scalable target, running: remembers none@desired",
            IN,
            None,
            seen(None, 3, None),
            apply(remembered_now(None, 3), ZERO, Some(0)),
        ),
        case(
            "no scalable target and no task: already down, nothing registered",
            IN,
            None,
            seen(None, 0, None),
            Expect::Unchanged("already down"),
        ),
        case(
            "repeated delivery at 0/0 with no task: unchanged, memory kept",
            IN,
            None,
            seen(
                Some(Capacity::ZERO),
                0,
                Some(down(Some(cap(2, 6)), 4, window_start())),
            ),
            Expect::Unchanged("remembered state kept"),
        ),
        case(
            "a scale-in never reports tasks still running: that is the reconcile's job",
            IN,
            None,
            running(
                Some(Capacity::ZERO),
                0,
                2,
                Some(down(Some(cap(2, 6)), 4, hours_before(5))),
                None,
            ),
            Expect::Unchanged("already at 0/0"),
        ),
        case(
            "night guard: 0/0 with 3 desired gets desired 0, memory untouched",
            IN,
            None,
            seen(
                Some(Capacity::ZERO),
                3,
                Some(down(Some(cap(2, 6)), 4, window_start())),
            ),
            apply(None, None, Some(0)),
        )
        .noting("night guard"),
        case(
            "night guard with a memory from an earlier night: still untouched",
            IN,
            None,
            seen(
                Some(Capacity::ZERO),
                3,
                Some(down(Some(cap(2, 6)), 4, hours_before(24))),
            ),
            apply(None, None, Some(0)),
        ),
        case(
            "night guard for a declared service too",
            IN,
            Some(cap(1, 3)),
            seen(Some(Capacity::ZERO), 2, None),
            apply(None, None, Some(0)),
        ),
        case(
            "a broken memory is replaced by the current state of a running service",
            IN,
            None,
            Observed {
                remembered_error: Some("tag worktime:capacity = \"x\": ...".into()),
                ..seen(Some(cap(2, 6)), 4, None)
            },
            apply(remembered_now(Some(cap(2, 6)), 4), ZERO, Some(0)),
        )
        .noting("replaced a broken memory"),
        case(
            "refused by the allow-list: fails, nothing planned",
            IN,
            None,
            seen(Some(cap(2, 6)), 4, None),
            Expect::Fail("not configured for this stack"),
        )
        .refused(),
        case(
            "missing service fails alone",
            IN,
            Some(cap(1, 3)),
            Observed::default(),
            Expect::Fail("not found in cluster prod"),
        ),
        case(
            "unreadable service fails alone",
            IN,
            Some(cap(1, 3)),
            Observed {
                lookup_error: Some("AccessDeniedException: no".into()),
                ..Observed::default()
            },
            Expect::Fail("could not read the service: AccessDeniedException"),
        ),
    ];
    for row in rows {
        check(row);
    }
}

#[test]
fn scale_out_table() {
    use Action::ScaleOut as OUT;
    let last_night = || hours_before(14);
    let rows = [
        case(
            "declared: bounds back, remembered desired back, marked restored",
            OUT,
            Some(cap(1, 3)),
            seen(
                Some(Capacity::ZERO),
                0,
                Some(down(Some(cap(1, 3)), 2, last_night())),
            ),
            restore(
                register(cap(1, 3)),
                Some(2),
                restored_now(Some(cap(1, 3)), 2),
            ),
        ),
        case(
            "declared min = 0 comes back with its remembered desired count",
            OUT,
            Some(cap(0, 4)),
            seen(
                Some(Capacity::ZERO),
                0,
                Some(down(Some(cap(0, 4)), 3, last_night())),
            ),
            restore(
                register(cap(0, 4)),
                Some(3),
                restored_now(Some(cap(0, 4)), 3),
            ),
        ),
        case(
            "declared min = 0, nothing remembered: one task",
            OUT,
            Some(cap(0, 4)),
            seen(Some(Capacity::ZERO), 0, None),
            restore(
                register(cap(0, 4)),
                Some(1),
                restored_now(Some(cap(0, 4)), 1),
            ),
        ),
        case(
            "declared, nothing remembered: min tasks",
            OUT,
            Some(cap(2, 5)),
            seen(Some(Capacity::ZERO), 0, None),
            restore(
                register(cap(2, 5)),
                Some(2),
                restored_now(Some(cap(2, 5)), 2),
            ),
        ),
        case(
            "declared min = 0, remembered 0 tasks: at least one",
            OUT,
            Some(cap(0, 4)),
            seen(
                Some(Capacity::ZERO),
                0,
                Some(down(Some(cap(0, 4)), 0, last_night())),
            ),
            restore(
                register(cap(0, 4)),
                Some(1),
                restored_now(Some(cap(0, 4)), 1),
            ),
        ),
        case(
            "declared bounds changed since: remembered desired clamped into them",
            OUT,
            Some(cap(1, 3)),
            seen(
                Some(Capacity::ZERO),
                0,
                Some(down(Some(cap(2, 6)), 5, last_night())),
            ),
            restore(
                register(cap(1, 3)),
                Some(3),
                restored_now(Some(cap(1, 3)), 3),
            ),
        ),
        case(
            "declared service never registered gets its declared bounds",
            OUT,
            Some(cap(1, 3)),
            seen(None, 0, None),
            restore(
                register(cap(1, 3)),
                Some(1),
                restored_now(Some(cap(1, 3)), 1),
            ),
        ),
        case(
            "restore mode: bounds and desired count back",
            OUT,
            None,
            seen(
                Some(Capacity::ZERO),
                0,
                Some(down(Some(cap(2, 6)), 4, last_night())),
            ),
            restore(
                register(cap(2, 6)),
                Some(4),
                restored_now(Some(cap(2, 6)), 4),
            ),
        ),
        case(
            "restore mode, a memory of an earlier release (no mark) is owed: restored",
            OUT,
            None,
            seen(Some(Capacity::ZERO), 0, Some(legacy(Some(cap(2, 6)), 4))),
            restore(
                register(cap(2, 6)),
                Some(4),
                restored_now(Some(cap(2, 6)), 4),
            ),
        ),
        case(
            "restore mode, old min/max tag: min tasks",
            OUT,
            None,
            seen(
                Some(Capacity::ZERO),
                0,
                Some(Remembered {
                    bounds: Some(cap(2, 6)),
                    desired: None,
                    mark: None,
                }),
            ),
            restore(
                register(cap(2, 6)),
                Some(2),
                restored_now(Some(cap(2, 6)), 2),
            ),
        ),
        case(
            "restore mode, old 0/4 tag: one task, not zero",
            OUT,
            None,
            seen(
                Some(Capacity::ZERO),
                0,
                Some(Remembered {
                    bounds: Some(cap(0, 4)),
                    desired: None,
                    mark: None,
                }),
            ),
            restore(
                register(cap(0, 4)),
                Some(1),
                restored_now(Some(cap(0, 4)), 1),
            ),
        ),
        case(
            "restore mode, no target before scale-in: deregister, then desired back",
            OUT,
            None,
            seen(Some(Capacity::ZERO), 0, Some(down(None, 3, last_night()))),
            restore(DEREGISTER, Some(3), restored_now(None, 3)),
        ),
        case(
            "no target before, target already gone: desired only",
            OUT,
            None,
            seen(None, 0, Some(down(None, 3, last_night()))),
            restore(None, Some(3), restored_now(None, 3)),
        ),
        case(
            "no target before, owed, running 2 without one: exactly the remembered 3",
            OUT,
            None,
            seen(None, 2, Some(down(None, 3, last_night()))),
            restore(None, Some(3), restored_now(None, 3)),
        ),
        case(
            "no target before, restored in an earlier window, running without one: unchanged",
            OUT,
            None,
            seen(None, 2, Some(up(None, 3, hours_before(24)))),
            Expect::Unchanged("already out (no scalable target, 2 desired)"),
        ),
        case(
            "restored in an earlier window, at its bounds with tasks: unchanged (autoscaling \
             not fought)",
            OUT,
            Some(cap(1, 3)),
            seen(
                Some(cap(1, 3)),
                3,
                Some(up(Some(cap(1, 3)), 1, hours_before(24))),
            ),
            Expect::Unchanged("already out (bounds 1/3, 3 desired)"),
        ),
        case(
            "nothing remembered, at its bounds with tasks: unchanged",
            OUT,
            Some(cap(1, 3)),
            seen(Some(cap(1, 3)), 3, None),
            Expect::Unchanged("already out (bounds 1/3, 3 desired)"),
        ),
        case(
            "restored in an earlier window, now at zero: restored again",
            OUT,
            None,
            seen(
                Some(Capacity::ZERO),
                0,
                Some(up(Some(cap(2, 6)), 4, hours_before(24))),
            ),
            restore(
                register(cap(2, 6)),
                Some(4),
                restored_now(Some(cap(2, 6)), 4),
            ),
        ),
        case(
            "owed, bounds right but desired inside them and not the remembered one: exact \
             restore",
            OUT,
            Some(cap(1, 3)),
            seen(
                Some(cap(1, 3)),
                3,
                Some(down(Some(cap(1, 3)), 1, last_night())),
            ),
            restore(None, Some(1), restored_now(Some(cap(1, 3)), 1)),
        ),
        case(
            "a scale-out stopped half-way (bounds back, AAS moved desired to the min): \
             finished",
            OUT,
            None,
            seen(
                Some(cap(2, 6)),
                2,
                Some(down(Some(cap(2, 6)), 4, last_night())),
            ),
            restore(None, Some(4), restored_now(Some(cap(2, 6)), 4)),
        ),
        case(
            "bounds and desired already back, the mark still down: only the mark",
            OUT,
            None,
            seen(
                Some(cap(2, 6)),
                4,
                Some(down(Some(cap(2, 6)), 4, last_night())),
            ),
            restore(None, None, restored_now(Some(cap(2, 6)), 4)),
        )
        .noting("marked restored"),
        case(
            "declared, already back, an old mark-less memory: only the mark",
            OUT,
            Some(cap(1, 3)),
            seen(Some(cap(1, 3)), 2, Some(legacy(Some(cap(1, 3)), 2))),
            restore(None, None, restored_now(Some(cap(1, 3)), 2)),
        )
        .noting("already back"),
        case(
            "no target before, already back without one, mark down: only the mark",
            OUT,
            None,
            seen(None, 3, Some(down(None, 3, last_night()))),
            restore(None, None, restored_now(None, 3)),
        ),
        case(
            "restored in this window, autoscaled up since: the day's changes are the team's",
            OUT,
            None,
            seen(Some(cap(2, 6)), 6, Some(up(Some(cap(2, 6)), 4, now()))),
            Expect::Unchanged("restored at 2026-12-03T10:05:00Z in this window"),
        ),
        case(
            "restored in this window, autoscaled down to the min: not fought",
            OUT,
            None,
            seen(Some(cap(2, 6)), 2, Some(up(Some(cap(2, 6)), 4, now()))),
            Expect::Unchanged("the day's changes are the team's"),
        ),
        case(
            "restored exactly when the window began: this window",
            OUT,
            Some(cap(1, 3)),
            seen(
                Some(cap(1, 5)),
                5,
                Some(up(Some(cap(1, 3)), 2, window_start())),
            ),
            Expect::Unchanged("in this window (bounds 1/5, 5 desired)"),
        ),
        case(
            "at its min = 0 bounds but no task (the old bug): desired set",
            OUT,
            Some(cap(0, 4)),
            seen(Some(cap(0, 4)), 0, None),
            restore(None, Some(1), restored_now(Some(cap(0, 4)), 1)),
        ),
        case(
            "bounds right, desired outside: desired set",
            OUT,
            None,
            seen(
                Some(cap(2, 6)),
                0,
                Some(down(Some(cap(2, 6)), 4, last_night())),
            ),
            restore(None, Some(4), restored_now(Some(cap(2, 6)), 4)),
        ),
        case(
            "desired already right, bounds not: register only",
            OUT,
            None,
            seen(
                Some(Capacity::ZERO),
                4,
                Some(down(Some(cap(2, 6)), 4, last_night())),
            ),
            restore(register(cap(2, 6)), None, restored_now(Some(cap(2, 6)), 4)),
        ),
        case(
            "broken memory fails the service, naming the tag",
            OUT,
            None,
            Observed {
                remembered_error: Some("tag worktime:capacity = \"0/999999@4\": too many".into()),
                ..seen(Some(Capacity::ZERO), 0, None)
            },
            Expect::Fail("tag worktime:capacity = \"0/999999@4\""),
        ),
        case(
            "broken memory fails a declared service too (its desired count is unknown)",
            OUT,
            Some(cap(1, 3)),
            Observed {
                remembered_error: Some("tag worktime:capacity = \"abc\": unreadable".into()),
                ..seen(Some(Capacity::ZERO), 0, None)
            },
            Expect::Fail("tag worktime:capacity = \"abc\""),
        ),
        case(
            "nothing declared, nothing remembered, at zero: fails with the fix",
            OUT,
            None,
            seen(Some(Capacity::ZERO), 0, None),
            Expect::Fail("add min and max"),
        ),
        case(
            "nothing declared, nothing remembered, running: left alone",
            OUT,
            None,
            seen(Some(cap(1, 2)), 1, None),
            Expect::Unchanged("no remembered capacity to restore"),
        ),
        case(
            "refused by the allow-list: fails",
            OUT,
            Some(cap(1, 3)),
            seen(Some(Capacity::ZERO), 0, None),
            Expect::Fail("not configured for this stack"),
        )
        .refused(),
    ];
    for row in rows {
        check(row);
    }
}

#[test]
fn toggle_context_and_staleness_table() {
    let rows = [
        case(
            "toggle at 0/0 goes out",
            Action::Toggle,
            Some(cap(1, 3)),
            seen(Some(Capacity::ZERO), 0, None),
            restore(
                register(cap(1, 3)),
                Some(1),
                restored_now(Some(cap(1, 3)), 1),
            ),
        )
        .resolving(Action::ScaleOut),
        case(
            "toggle running goes in",
            Action::Toggle,
            Some(cap(1, 3)),
            seen(Some(cap(1, 3)), 2, None),
            apply(remembered_now(Some(cap(1, 3)), 2), ZERO, Some(0)),
        )
        .resolving(Action::ScaleIn),
        case(
            "toggle of an unregistered service with no task goes out",
            Action::Toggle,
            Some(cap(1, 3)),
            seen(None, 0, None),
            restore(
                register(cap(1, 3)),
                Some(1),
                restored_now(Some(cap(1, 3)), 1),
            ),
        )
        .resolving(Action::ScaleOut),
        case(
            "scale-out on a skip date does nothing",
            Action::ScaleOut,
            Some(cap(1, 3)),
            seen(Some(Capacity::ZERO), 0, None),
            Expect::Skipped("skip date"),
        )
        .in_context(Context {
            skip_date: true,
            ..table_context()
        }),
        case(
            "scale-in on a skip date still scales in",
            Action::ScaleIn,
            Some(cap(1, 3)),
            seen(Some(cap(1, 3)), 1, None),
            apply(remembered_now(Some(cap(1, 3)), 1), ZERO, Some(0)),
        )
        .in_context(Context {
            skip_date: true,
            ..table_context()
        }),
        case(
            "a stale delivery changes nothing",
            Action::ScaleIn,
            Some(cap(1, 3)),
            Observed::default(),
            Expect::Stale("the schedule's next scale-out"),
        )
        .in_context(Context {
            stale: Some("the schedule's next scale-out (2026-12-04T00:00:00Z) has come".into()),
            ..table_context()
        }),
        case(
            "a stale delivery still fails a refused service",
            Action::ScaleIn,
            None,
            Observed::default(),
            Expect::Fail("not configured"),
        )
        .refused()
        .in_context(Context {
            stale: Some("the schedule's next scale-out (2026-12-04T00:00:00Z) has come".into()),
            ..table_context()
        }),
    ];
    for row in rows {
        check(row);
    }
}

// ------------------------------------------------------------------------------ reconcile

#[test]
fn reconcile_in_a_down_window_takes_drift_back() {
    use Action::Reconcile as REC;
    let night = || reconcile_context(Phase::Down, later());
    let taken_down_at = |at| Some(down(Some(cap(2, 6)), 4, at));
    let rows = [
        case(
            "a service running at night without memory: remembered, 0/0, no task, as drift",
            REC,
            None,
            seen(Some(cap(2, 6)), 4, None),
            drift(Some(down(Some(cap(2, 6)), 4, later())), ZERO, Some(0)),
        ),
        case(
            "a night deploy raised bounds and tasks: the memory of this window is kept",
            REC,
            None,
            seen(Some(cap(3, 9)), 5, taken_down_at(window_start())),
            drift(None, ZERO, Some(0)),
        )
        .noting("taken down again"),
        case(
            "a memory marked restored in the day is replaced by the current state",
            REC,
            None,
            seen(
                Some(cap(2, 6)),
                5,
                Some(up(Some(cap(2, 6)), 4, hours_before(10))),
            ),
            drift(Some(down(Some(cap(2, 6)), 5, later())), ZERO, Some(0)),
        ),
        case(
            "a memory from an earlier night is replaced by the current state",
            REC,
            Some(cap(1, 3)),
            seen(Some(cap(1, 3)), 2, taken_down_at(hours_before(24))),
            drift(Some(down(Some(cap(1, 3)), 2, later())), ZERO, Some(0)),
        ),
        case(
            "night guard: 0/0 with tasks desired gets desired 0, memory untouched",
            REC,
            None,
            seen(Some(Capacity::ZERO), 3, taken_down_at(window_start())),
            drift(None, None, Some(0)),
        )
        .noting("night guard"),
        case(
            "a broken memory of a running service is replaced",
            REC,
            None,
            Observed {
                remembered_error: Some("tag worktime:capacity = \"x\": ...".into()),
                ..seen(Some(cap(2, 6)), 4, None)
            },
            drift(Some(down(Some(cap(2, 6)), 4, later())), ZERO, Some(0)),
        )
        .noting("replaced a broken memory"),
        case(
            "down and stopped: unchanged",
            REC,
            None,
            running(
                Some(Capacity::ZERO),
                0,
                0,
                taken_down_at(window_start()),
                Some(window_start()),
            ),
            Expect::Unchanged("already at 0/0 with no task desired"),
        ),
        case(
            "tasks still running two hours after desired 0: not stopped, with ECS's word",
            REC,
            None,
            with_event(
                running(
                    Some(Capacity::ZERO),
                    0,
                    2,
                    taken_down_at(window_start()),
                    None,
                ),
                DRAINING,
            ),
            Expect::NotStopped(
                "2 task(s) still running 120 minutes after it went down \
                 (2026-12-03T10:00:00Z), more than ready_within_minutes = 15; ECS: (service \
                 api) has begun draining connections",
            ),
        ),
        case(
            "tasks still running, but within ready_within of the scale-in: unchanged",
            REC,
            None,
            running(
                Some(Capacity::ZERO),
                0,
                2,
                taken_down_at(later() - TimeDelta::minutes(10)),
                None,
            ),
            Expect::Unchanged("remembered state kept"),
        ),
        case(
            "exactly ready_within after the scale-in: not yet late",
            REC,
            None,
            running(
                Some(Capacity::ZERO),
                0,
                2,
                taken_down_at(later() - TimeDelta::minutes(15)),
                None,
            ),
            Expect::Unchanged("remembered state kept"),
        ),
        case(
            "a deployment changed after the scale-in: stopping counts from it",
            REC,
            None,
            running(
                Some(Capacity::ZERO),
                0,
                1,
                taken_down_at(window_start()),
                Some(later() - TimeDelta::minutes(5)),
            ),
            Expect::Unchanged("already at 0/0"),
        ),
        case(
            "the deployment's change alone says when: not stopped",
            REC,
            None,
            running(
                Some(Capacity::ZERO),
                0,
                1,
                Some(legacy(Some(cap(2, 6)), 4)),
                Some(window_start()),
            ),
            Expect::NotStopped("1 task(s) still running 120 minutes"),
        ),
        case(
            "no scalable target and no task desired, still running: not stopped",
            REC,
            None,
            running(None, 0, 1, Some(down(None, 3, window_start())), None),
            Expect::NotStopped("1 task(s) still running"),
        ),
        case(
            "nothing says when it went down: not judged",
            REC,
            None,
            running(
                Some(Capacity::ZERO),
                0,
                2,
                Some(legacy(Some(cap(2, 6)), 4)),
                None,
            ),
            Expect::Unchanged("remembered state kept"),
        ),
        case(
            "a hold after now leaves it running",
            REC,
            None,
            Observed {
                hold_until: Some(later() + TimeDelta::hours(1)),
                ..seen(Some(cap(2, 6)), 4, None)
            },
            Expect::Held("held until 2026-12-03T13:00:00Z (worktime:hold-until)"),
        ),
        case(
            "a hold at or before now has ended: taken down",
            REC,
            None,
            Observed {
                hold_until: Some(later()),
                ..seen(Some(cap(2, 6)), 4, None)
            },
            drift(Some(down(Some(cap(2, 6)), 4, later())), ZERO, Some(0)),
        ),
        case(
            "an unreadable hold fails the service: whether it is held cannot be known",
            REC,
            None,
            Observed {
                hold_error: Some("tag worktime:hold-until = \"tomorrow\": not a time".into()),
                ..seen(Some(cap(2, 6)), 4, None)
            },
            Expect::Fail("worktime:hold-until = \"tomorrow\""),
        ),
        case(
            "refused by the allow-list: fails, nothing read",
            REC,
            None,
            seen(Some(cap(2, 6)), 4, None),
            Expect::Fail("not configured for this stack"),
        )
        .refused(),
    ];
    for row in rows {
        check(row.in_context(night()));
    }
}

#[test]
fn reconcile_in_an_up_window_writes_nothing_and_checks_readiness() {
    use Action::Reconcile as REC;
    let day = || reconcile_context(Phase::Up, later());
    let restored_at = |at| Some(up(Some(cap(2, 6)), 4, at));
    let rows = [
        case(
            "running what it should: left to the team",
            REC,
            None,
            running(
                Some(cap(2, 6)),
                4,
                4,
                restored_at(window_start()),
                Some(window_start()),
            ),
            Expect::Unchanged("working hours: left to the team (bounds 2/6, 4 desired, 4 running)"),
        ),
        case(
            "running more than the remembered count (autoscaled): left to the team",
            REC,
            None,
            running(Some(cap(2, 6)), 6, 6, restored_at(window_start()), None),
            Expect::Unchanged("left to the team"),
        ),
        case(
            "at 0/0 in the day, nothing owed: not the reconcile's to bring up",
            REC,
            None,
            running(
                Some(Capacity::ZERO),
                0,
                0,
                restored_at(hours_before(24)),
                None,
            ),
            Expect::Unchanged("left to the team"),
        ),
        case(
            "running fewer than desired long after the change: not ready, with ECS's word",
            REC,
            None,
            with_event(
                running(
                    Some(cap(2, 6)),
                    4,
                    1,
                    restored_at(window_start()),
                    Some(window_start()),
                ),
                PLACEMENT,
            ),
            Expect::NotReady(
                "running 1 of 4 desired task(s) 120 minutes after it was last changed \
                 (2026-12-03T10:00:00Z), more than ready_within_minutes = 15; ECS: (service \
                 api) was unable to place a task",
            ),
        ),
        case(
            "not ready without an ECS event: said without one",
            REC,
            Some(cap(1, 3)),
            running(Some(cap(1, 3)), 2, 0, None, Some(window_start())),
            Expect::NotReady("more than ready_within_minutes = 15"),
        ),
        case(
            "running fewer than desired, changed ten minutes ago: still starting",
            REC,
            None,
            running(
                Some(cap(2, 6)),
                4,
                1,
                restored_at(window_start()),
                Some(later() - TimeDelta::minutes(10)),
            ),
            Expect::Unchanged("1 running"),
        ),
        case(
            "exactly ready_within after the change: not yet late",
            REC,
            None,
            running(
                Some(cap(2, 6)),
                4,
                1,
                None,
                Some(later() - TimeDelta::minutes(15)),
            ),
            Expect::Unchanged("left to the team"),
        ),
        case(
            "the memory's restore time counts when it is later than the deployment",
            REC,
            None,
            running(
                Some(cap(2, 6)),
                4,
                1,
                restored_at(later() - TimeDelta::minutes(5)),
                Some(hours_before(24 * 30)),
            ),
            Expect::Unchanged("left to the team"),
        ),
        case(
            "the deployment's change counts when it is later than the restore",
            REC,
            None,
            running(
                Some(cap(2, 6)),
                4,
                1,
                restored_at(window_start()),
                Some(later() - TimeDelta::minutes(5)),
            ),
            Expect::Unchanged("left to the team"),
        ),
        case(
            "a memory of an earlier release is checked for readiness too",
            REC,
            None,
            running(
                Some(cap(2, 6)),
                3,
                1,
                Some(legacy(Some(cap(2, 6)), 3)),
                Some(window_start()),
            ),
            Expect::NotReady("running 1 of 3 desired"),
        ),
        case(
            "nothing says when it was changed: not judged",
            REC,
            None,
            running(Some(cap(2, 6)), 4, 0, None, None),
            Expect::Unchanged("0 running"),
        ),
        case(
            "running count unknown: read as the desired count",
            REC,
            None,
            Observed {
                last_changed: Some(window_start()),
                ..seen(Some(cap(2, 6)), 4, restored_at(window_start()))
            },
            Expect::Unchanged("4 running"),
        ),
        case(
            "scaled in last night and not restored since this window began: not ready",
            REC,
            None,
            running(
                Some(Capacity::ZERO),
                0,
                0,
                Some(down(Some(cap(2, 6)), 4, hours_before(14))),
                None,
            ),
            Expect::NotReady(
                "scaled in at 2026-12-02T20:00:00Z and not restored since this window's \
                 scale-out (2026-12-03T10:00:00Z)",
            ),
        ),
        case(
            "scaled in a second before the window began: not ready",
            REC,
            Some(cap(1, 3)),
            running(
                Some(Capacity::ZERO),
                0,
                0,
                Some(down(
                    Some(cap(1, 3)),
                    2,
                    window_start() - TimeDelta::seconds(1),
                )),
                None,
            ),
            Expect::NotReady("not restored"),
        ),
        case(
            "scaled in deliberately in the day: left down",
            REC,
            None,
            running(
                Some(Capacity::ZERO),
                0,
                0,
                Some(down(
                    Some(cap(2, 6)),
                    4,
                    window_start() + TimeDelta::hours(1),
                )),
                None,
            ),
            Expect::Unchanged("in working hours (worktime run scale-in): left down"),
        ),
        case(
            "scaled in exactly when the window began: this window's, left down",
            REC,
            None,
            running(
                Some(Capacity::ZERO),
                0,
                0,
                Some(down(Some(cap(2, 6)), 4, window_start())),
                None,
            ),
            Expect::Unchanged("left down"),
        ),
        case(
            "a hold is nothing to the day",
            REC,
            None,
            Observed {
                hold_until: Some(later() + TimeDelta::hours(1)),
                ..running(Some(cap(2, 6)), 4, 4, None, Some(window_start()))
            },
            Expect::Unchanged("left to the team"),
        ),
        case(
            "an unreadable hold is only mentioned",
            REC,
            None,
            Observed {
                hold_error: Some("tag worktime:hold-until = \"tomorrow\": not a time".into()),
                ..running(Some(cap(2, 6)), 4, 4, None, Some(window_start()))
            },
            Expect::Unchanged("hold ignored: tag worktime:hold-until"),
        ),
        case(
            "a broken memory is not the reconcile's to judge in the day",
            REC,
            None,
            Observed {
                remembered_error: Some("tag worktime:capacity = \"x\": ...".into()),
                ..running(Some(cap(2, 6)), 4, 4, None, Some(window_start()))
            },
            Expect::Unchanged("left to the team"),
        ),
    ];
    for row in rows {
        check(row.in_context(day()));
    }
}

#[test]
fn a_reconcile_removes_an_ended_hold_and_compares_holds_with_now() {
    let service = |until| Observed {
        hold_until: Some(until),
        ..seen(Some(cap(2, 6)), 4, None)
    };
    let ended = later() - TimeDelta::minutes(1);
    let planned = plan_service(
        Action::Reconcile,
        &request(None),
        &service(ended),
        &reconcile_context(Phase::Down, later()),
    );
    assert!(
        matches!(planned.decision, Decision::Apply { drift: true, .. }),
        "{:?}",
        planned.decision
    );
    assert_eq!(planned.remove_expired_hold, Some(ended));
    // In the day too: the ended hold goes, nothing else is written.
    let planned = plan_service(
        Action::Reconcile,
        &request(None),
        &Observed {
            running_count: Some(4),
            ..service(ended)
        },
        &reconcile_context(Phase::Up, later()),
    );
    assert!(
        matches!(planned.decision, Decision::Unchanged { .. }),
        "{:?}",
        planned.decision
    );
    assert_eq!(planned.remove_expired_hold, Some(ended));
    // A hold that lies after now is in force, whatever the event's scheduled time.
    let context = Context {
        effective_time: later(),
        ..reconcile_context(Phase::Down, later())
    };
    let planned = plan_service(
        Action::Reconcile,
        &request(None),
        &service(later() + TimeDelta::minutes(1)),
        &context,
    );
    assert!(matches!(planned.decision, Decision::Held { .. }));
    assert_eq!(planned.remove_expired_hold, None);
}

// ------------------------------------------------------------------ events and contexts

/// The instant of a Seoul local time (UTC+9, no DST).
fn kst(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap() - TimeDelta::hours(9)
}

/// Seoul, 09:00–19:00 Mon–Fri, as Scheduler fires it.
fn seoul_crons() -> ScheduleCrons {
    ScheduleCrons {
        scale_out: "cron(0 9 ? * MON-FRI *)".into(),
        scale_in: "cron(0 19 ? * MON-FRI *)".into(),
        timezone: "Asia/Seoul".into(),
    }
}

/// A payload of the Seoul schedule for `prod/api` (declared 1/3).
fn raw(action: &str, scheduled: Option<DateTime<Utc>>) -> RawEvent {
    RawEvent {
        action: Some(action.into()),
        services: Some(vec![ServiceTarget::new("prod", "api", Some(cap(1, 3)))]),
        timezone: Some("Asia/Seoul".into()),
        scheduled_time: scheduled.map(stamp),
        crons: Some(seoul_crons()),
        ..RawEvent::default()
    }
}

fn validated(raw: RawEvent, now: DateTime<Utc>) -> ScalingEvent {
    ScalingEvent::from_raw(raw, &EventDefaults::allowing(["service/prod/api"]), now)
        .unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn the_context_knows_the_window_the_event_acts_in() {
    // Thursday's scale-in at 19:00, delivered twenty minutes late.
    let scheduled = kst(2026, 12, 3, 19, 0);
    let delivered = kst(2026, 12, 3, 19, 20);
    let context = Context::of(
        &validated(raw("scale-in", Some(scheduled)), delivered),
        delivered,
    );
    assert_eq!(context.effective_time, scheduled);
    assert_eq!(context.now, delivered);
    assert_eq!(context.window_start, scheduled);
    assert_eq!(context.phase, None);
    assert_eq!(context.stale, None);
    assert_eq!(context.ready_within, TimeDelta::minutes(15));
    assert!(!context.skip_date && !context.dry_run);

    // A scale-in that names no time (`worktime run`, a manual invoke) is a person's "now":
    // nothing done earlier in the night's window stands against it.
    let at = kst(2026, 12, 3, 23, 0);
    let context = Context::of(&validated(raw("scale-in", None), at), at);
    assert_eq!(context.effective_time, at);
    assert_eq!(context.window_start, at);
    // A reconcile, delivered by its trigger, acts for the window it finds: since 19:00.
    let context = Context::of(&validated(raw("reconcile", None), at), at);
    assert_eq!(context.window_start, kst(2026, 12, 3, 19, 0));

    // Friday's scale-out two hours late: still acts, in the window that began at 09:00.
    let scheduled = kst(2026, 12, 4, 9, 0);
    let delivered = kst(2026, 12, 4, 11, 0);
    let context = Context::of(
        &validated(raw("scale-out", Some(scheduled)), delivered),
        delivered,
    );
    assert_eq!(context.stale, None);
    assert_eq!(context.window_start, scheduled);

    // A scale-out asked for at night (no time): the up window is its own.
    let context = Context::of(&validated(raw("scale-out", None), at), at);
    assert_eq!(context.window_start, at);

    // A reconcile acts for now, whatever its scheduled time: at night it goes down since
    // 19:00, in the day it is up since 09:00, on Saturday down since Friday 19:00.
    for (scheduled, now, phase, since) in [
        (
            Some(kst(2026, 12, 3, 22, 45)),
            kst(2026, 12, 3, 23, 0),
            Phase::Down,
            kst(2026, 12, 3, 19, 0),
        ),
        (
            None,
            kst(2026, 12, 4, 12, 0),
            Phase::Up,
            kst(2026, 12, 4, 9, 0),
        ),
        (
            None,
            kst(2026, 12, 5, 12, 0),
            Phase::Down,
            kst(2026, 12, 4, 19, 0),
        ),
    ] {
        let mut payload = raw("reconcile", scheduled);
        payload.ready_within_minutes = Some(30);
        let context = Context::of(&validated(payload, now), now);
        assert_eq!(context.phase, Some(phase), "{now}");
        assert_eq!(context.window_start, since, "{now}");
        assert_eq!(context.effective_time, now, "{now}");
        assert_eq!(context.stale, None, "{now}");
        assert_eq!(context.ready_within, TimeDelta::minutes(30));
    }

    // Without crons an event knows no window: it began at the event's own time.
    let scheduled = kst(2026, 12, 3, 19, 0);
    let delivered = kst(2026, 12, 3, 19, 5);
    let mut payload = raw("scale-in", Some(scheduled));
    payload.crons = None;
    let context = Context::of(&validated(payload, delivered), delivered);
    assert_eq!(context.window_start, scheduled);
}

#[test]
fn skip_date_is_the_scheduled_time_in_the_schedule_zone() {
    // 2026-12-24 23:30 UTC is already 2026-12-25 08:30 in Seoul.
    let now = Utc.with_ymd_and_hms(2026, 12, 24, 23, 30, 0).unwrap();
    let planned = plan(
        &event(Action::ScaleOut, None, chrono_tz::Asia::Seoul),
        &observed_at_zero(),
        now,
    );
    assert!(matches!(planned[0].decision, Decision::Skipped { .. }));
    // The same instant in UTC is still the 24th: in a UTC zone it scales out.
    let planned = plan(
        &event(Action::ScaleOut, None, chrono_tz::UTC),
        &observed_at_zero(),
        now,
    );
    assert!(matches!(planned[0].decision, Decision::Apply { .. }));
    // Scheduled for the 25th 08:30 Seoul, processed 20 minutes later (still the 25th): skipped;
    // scheduled on the 24th and processed after midnight Seoul time: the 24th counts.
    let scheduled = Utc.with_ymd_and_hms(2026, 12, 24, 14, 50, 0).unwrap(); // 23:50 Seoul
    let now = scheduled + chrono::TimeDelta::minutes(20); // 00:10 on the 25th in Seoul
    let planned = plan(
        &event(Action::ScaleOut, Some(scheduled), chrono_tz::Asia::Seoul),
        &observed_at_zero(),
        now,
    );
    assert!(
        matches!(planned[0].decision, Decision::Apply { .. }),
        "{:?}",
        planned[0].decision
    );
}

fn event(action: Action, scheduled: Option<DateTime<Utc>>, zone: Tz) -> ScalingEvent {
    ScalingEvent {
        action,
        implicit_toggle: false,
        services: vec![request(Some(cap(1, 3)))],
        selectors: Vec::new(),
        ownership: Default::default(),
        schedule: None,
        timezone: zone,
        skip_dates: vec![NaiveDate::from_ymd_opt(2026, 12, 25).unwrap()],
        dry_run: false,
        scheduled_time: scheduled,
        clock: None,
        ready_within: TimeDelta::minutes(15),
        warn_before: None,
        wave_timeout: TimeDelta::minutes(10),
        capacity: Vec::new(),
    }
}

fn observed_at_zero() -> HashMap<String, Observed> {
    HashMap::from([(
        "service/prod/api".to_string(),
        seen(Some(Capacity::ZERO), 0, None),
    )])
}

// ------------------------------------------------------------------------------ staleness

#[test]
fn a_scale_in_acts_until_the_next_scale_out() {
    let scheduled = kst(2026, 12, 3, 19, 0); // Thursday
    let scale_in = validated(raw("scale-in", Some(scheduled)), scheduled);
    for now in [scheduled, kst(2026, 12, 3, 22, 0), kst(2026, 12, 4, 8, 59)] {
        assert_eq!(staleness(&scale_in, now), None, "{now}");
    }
    // Delivered after the next morning's scale-out: stale.
    for now in [kst(2026, 12, 4, 9, 0), kst(2026, 12, 4, 9, 30)] {
        let reason = staleness(&scale_in, now).unwrap();
        assert!(
            reason.contains("the schedule's next scale-out (2026-12-04T00:00:00Z) has come"),
            "{reason}"
        );
        assert!(
            reason.contains("scheduled for 2026-12-03T10:00:00Z"),
            "{reason}"
        );
        assert!(reason.contains("nothing read or changed"), "{reason}");
    }
    // Friday's scale-in acts all weekend, until Monday's scale-out.
    let friday = kst(2026, 12, 4, 19, 0);
    let scale_in = validated(raw("scale-in", Some(friday)), friday);
    assert_eq!(staleness(&scale_in, kst(2026, 12, 5, 12, 0)), None);
    assert_eq!(staleness(&scale_in, kst(2026, 12, 7, 8, 59)), None);
    assert!(staleness(&scale_in, kst(2026, 12, 7, 9, 0)).is_some());
    // A skip date's scale-out brings nothing up: Thursday's scale-in acts through Friday.
    let mut payload = raw("scale-in", Some(scheduled));
    payload.skip_dates = Some(vec!["2026-12-04".into()]);
    let scale_in = validated(payload, scheduled);
    assert_eq!(staleness(&scale_in, kst(2026, 12, 4, 9, 30)), None);
    assert!(staleness(&scale_in, kst(2026, 12, 7, 9, 0)).is_some());
}

#[test]
fn a_scale_out_acts_until_the_next_scale_in() {
    let scheduled = kst(2026, 12, 3, 9, 0);
    let scale_out = validated(raw("scale-out", Some(scheduled)), scheduled);
    // Two hours late in the working day: it acts.
    for now in [scheduled, kst(2026, 12, 3, 11, 0), kst(2026, 12, 3, 18, 59)] {
        assert_eq!(staleness(&scale_out, now), None, "{now}");
    }
    let reason = staleness(&scale_out, kst(2026, 12, 3, 19, 0)).unwrap();
    assert!(
        reason.contains("the schedule's next scale-in (2026-12-03T10:00:00Z) has come"),
        "{reason}"
    );
    // A late scale-out plans the restore; a stale one reads nothing.
    let late = kst(2026, 12, 3, 11, 0);
    let planned = plan(&scale_out, &observed_at_zero(), late);
    assert!(
        matches!(planned[0].decision, Decision::Apply { .. }),
        "{:?}",
        planned[0].decision
    );
    let planned = plan(&scale_out, &HashMap::new(), kst(2026, 12, 3, 19, 30));
    assert!(matches!(planned[0].decision, Decision::Stale { .. }));
}

#[test]
fn events_without_crons_or_a_scheduled_time_are_never_stale() {
    let scheduled = kst(2026, 12, 3, 19, 0);
    let days_later = scheduled + TimeDelta::days(3);
    // No crons: acts whenever it comes.
    for action in ["scale-in", "scale-out"] {
        let mut payload = raw(action, Some(scheduled));
        payload.crons = None;
        let event = validated(payload, days_later);
        assert_eq!(staleness(&event, days_later), None, "{action}");
    }
    // No scheduled time: it means now.
    for action in ["scale-in", "scale-out", "reconcile", "toggle"] {
        let event = validated(raw(action, None), days_later);
        assert_eq!(staleness(&event, days_later), None, "{action}");
    }
    // A toggle and a reconcile with a scheduled time and crons: never stale either.
    for action in ["toggle", "reconcile"] {
        let event = validated(raw(action, Some(scheduled)), days_later);
        assert_eq!(staleness(&event, days_later), None, "{action}");
    }
    // A stale plan reads nothing: every service is stale without an observation.
    let scale_in = validated(raw("scale-in", Some(scheduled)), scheduled);
    let planned = plan(&scale_in, &HashMap::new(), days_later);
    assert!(matches!(planned[0].decision, Decision::Stale { .. }));
}

#[test]
fn a_notice_is_stale_once_its_scale_in_has_come() {
    let scheduled = kst(2026, 12, 3, 18, 30);
    for crons in [Some(seoul_crons()), None] {
        let mut payload = raw("notice", Some(scheduled));
        payload.warn_before_minutes = Some(30);
        payload.crons = crons.clone();
        let notice = validated(payload, scheduled);
        assert_eq!(staleness(&notice, kst(2026, 12, 3, 18, 45)), None);
        assert_eq!(staleness(&notice, kst(2026, 12, 3, 18, 59)), None);
        let reason = staleness(&notice, kst(2026, 12, 3, 19, 0)).unwrap();
        assert!(
            reason.contains("the scale-in it warns of"),
            "{crons:?}: {reason}"
        );
    }
}

// --------------------------------------------------------------- a night and a morning

#[test]
fn a_night_and_a_morning_through_the_windows() {
    let evening = kst(2026, 12, 3, 19, 0);
    let scale_in = validated(raw("scale-in", Some(evening)), evening);
    let service = |observed: Observed| HashMap::from([("service/prod/api".to_string(), observed)]);
    let decision = |event: &ScalingEvent, observed: Observed, at| {
        plan(event, &service(observed), at).remove(0).decision
    };

    // 19:01: remembered, marked down then.
    let first = kst(2026, 12, 3, 19, 1);
    assert_eq!(
        decision(&scale_in, seen(Some(cap(1, 3)), 2, None), first),
        Decision::Apply {
            writes: down_writes(Some(down(Some(cap(1, 3)), 2, first)), ZERO, Some(0)),
            note: None,
            drift: false,
        }
    );
    // 21:00: the same scale-in retried after a deploy raised the service: the memory of
    // 19:01 is this window's, kept.
    let memory = Some(down(Some(cap(1, 3)), 2, first));
    assert!(matches!(
        decision(
            &scale_in,
            seen(Some(cap(1, 5)), 5, memory),
            kst(2026, 12, 3, 21, 0)
        ),
        Decision::Apply {
            writes: Writes { remember: None, .. },
            ..
        }
    ));
    // 23:00: a reconcile finds a deploy's tasks again: drift, memory kept.
    let reconcile_at = kst(2026, 12, 3, 23, 0);
    let reconcile = validated(raw("reconcile", None), reconcile_at);
    assert_eq!(
        decision(
            &reconcile,
            seen(Some(Capacity::ZERO), 3, memory),
            reconcile_at
        ),
        Decision::Apply {
            writes: down_writes(None, None, Some(0)),
            note: Some(
                "night guard: 3 tasks desired at 0/0, set to 0; remembered state kept".into()
            ),
            drift: true,
        }
    );

    // Friday 09:00, delivered 09:02: restored, marked up last.
    let morning = kst(2026, 12, 4, 9, 0);
    let delivered = kst(2026, 12, 4, 9, 2);
    let scale_out = validated(raw("scale-out", Some(morning)), delivered);
    assert_eq!(
        decision(&scale_out, seen(Some(Capacity::ZERO), 0, memory), delivered),
        Decision::Apply {
            writes: Writes {
                remember: None,
                bounds: register(cap(1, 3)),
                desired: Some(2),
                mark_restored: Some(up(Some(cap(1, 3)), 2, delivered)),
            },
            note: None,
            drift: false,
        }
    );
    // Retried at 11:00 after autoscaling moved it: this window's restore, not fought.
    let restored = Some(up(Some(cap(1, 3)), 2, delivered));
    assert!(matches!(
        decision(
            &scale_out,
            seen(Some(cap(1, 3)), 3, restored),
            kst(2026, 12, 4, 11, 0)
        ),
        Decision::Unchanged { .. }
    ));
    // 12:00: a reconcile finds it ready; at 12:00 with one task missing since 09:02, not.
    let noon = kst(2026, 12, 4, 12, 0);
    let reconcile = validated(raw("reconcile", None), noon);
    assert!(matches!(
        decision(
            &reconcile,
            running(Some(cap(1, 3)), 3, 3, restored, Some(delivered)),
            noon
        ),
        Decision::Unchanged { .. }
    ));
    assert!(matches!(
        decision(
            &reconcile,
            running(Some(cap(1, 3)), 3, 2, restored, Some(delivered)),
            noon
        ),
        Decision::NotReady { .. }
    ));
    // Had the scale-out never come, the reconcile would say so.
    assert!(matches!(
        decision(
            &reconcile,
            running(Some(Capacity::ZERO), 0, 0, memory, None),
            noon
        ),
        Decision::NotReady { .. }
    ));
}

#[test]
fn an_excluded_service_is_skipped_whatever_the_action() {
    let mut excluded = seen(Some(cap(1, 3)), 2, Some(legacy(Some(cap(1, 3)), 2)));
    excluded.excluded = true;
    for (action, context) in [
        (Action::ScaleIn, table_context()),
        (Action::ScaleOut, table_context()),
        (Action::Toggle, table_context()),
        (Action::Reconcile, reconcile_context(Phase::Down, later())),
        (Action::Reconcile, reconcile_context(Phase::Up, later())),
    ] {
        let planned = plan_service(action, &request(None), &excluded, &context);
        match &planned.decision {
            Decision::Skipped { reason } => {
                assert!(reason.contains("worktime:exclude"), "{action}: {reason}")
            }
            other => panic!("{action}: expected skipped, got {other:?}"),
        }
    }
}

// ---------------------------------------------------------------- holds (worktime:hold-until)

/// 2026-11-27 19:00 UTC: the evening the holds below are compared with.
fn evening() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 27, 19, 0, 0).unwrap()
}

/// A running declared service (1/3, 2 desired) held until `until`.
fn held_until(until: DateTime<Utc>) -> Observed {
    Observed {
        hold_until: Some(until),
        ..seen(Some(cap(1, 3)), 2, None)
    }
}

/// The scale-in of [`held_until`]'s service, run at `at`.
fn scale_in_writes(at: DateTime<Utc>) -> Writes {
    down_writes(Some(down(Some(cap(1, 3)), 2, at)), ZERO, Some(0))
}

#[test]
fn a_hold_in_the_future_keeps_the_service_through_scale_in_and_a_toggle() {
    let until = evening() + chrono::TimeDelta::hours(2);
    for action in [Action::ScaleIn, Action::Toggle] {
        let planned = plan_service(
            action,
            &request(Some(cap(1, 3))),
            &held_until(until),
            &context_at(evening(), false),
        );
        assert_eq!(planned.action, Action::ScaleIn, "{action}");
        assert_eq!(
            planned.decision,
            Decision::Held {
                reason: "held until 2026-11-27T21:00:00Z (worktime:hold-until)".into()
            },
            "{action}"
        );
        assert_eq!(
            planned.remove_expired_hold, None,
            "{action}: still in force"
        );
    }
}

#[test]
fn an_ended_hold_is_ignored_and_its_removal_planned() {
    // Ended an hour ago, and ending exactly now: both ended.
    for until in [evening() - chrono::TimeDelta::hours(1), evening()] {
        let planned = plan_service(
            Action::ScaleIn,
            &request(Some(cap(1, 3))),
            &held_until(until),
            &context_at(evening(), false),
        );
        assert_eq!(
            planned.decision,
            Decision::Apply {
                writes: scale_in_writes(evening()),
                note: None,
                drift: false,
            },
            "{until}"
        );
        assert_eq!(planned.remove_expired_hold, Some(until), "{until}");
    }
    // Already down: nothing to scale, the ended hold is still removed.
    let already_down = Observed {
        hold_until: Some(evening() - chrono::TimeDelta::hours(1)),
        ..seen(
            Some(Capacity::ZERO),
            0,
            Some(down(Some(cap(1, 3)), 2, evening())),
        )
    };
    let planned = plan_service(
        Action::ScaleIn,
        &request(Some(cap(1, 3))),
        &already_down,
        &context_at(evening(), false),
    );
    assert!(matches!(planned.decision, Decision::Unchanged { .. }));
    assert!(planned.remove_expired_hold.is_some());
}

#[test]
fn scale_out_ignores_a_hold() {
    let at_zero = Observed {
        hold_until: Some(evening() + chrono::TimeDelta::hours(2)),
        ..seen(Some(Capacity::ZERO), 0, Some(legacy(Some(cap(1, 3)), 2)))
    };
    let planned = plan_service(
        Action::ScaleOut,
        &request(Some(cap(1, 3))),
        &at_zero,
        &context_at(evening(), false),
    );
    assert_eq!(
        planned.decision,
        Decision::Apply {
            writes: Writes {
                remember: None,
                bounds: register(cap(1, 3)),
                desired: Some(2),
                mark_restored: Some(up(Some(cap(1, 3)), 2, evening())),
            },
            note: None,
            drift: false,
        }
    );
    assert_eq!(
        planned.remove_expired_hold, None,
        "the hold is still to come"
    );
}

#[test]
fn an_unreadable_hold_fails_scale_in_alone_and_writes_nothing() {
    let broken = Observed {
        hold_error: Some(
            "tag worktime:hold-until = \"tomorrow\": not an RFC 3339 time; fix: worktime hold \
             prod/api --clear"
                .into(),
        ),
        ..seen(Some(cap(1, 3)), 2, None)
    };
    for (action, context) in [
        (Action::ScaleIn, context_at(evening(), false)),
        (Action::Toggle, context_at(evening(), false)),
        (
            Action::Reconcile,
            Context {
                phase: Some(Phase::Down),
                ..context_at(evening(), false)
            },
        ),
    ] {
        let planned = plan_service(action, &request(Some(cap(1, 3))), &broken, &context);
        match &planned.decision {
            Decision::Fail { reason } => assert!(
                reason.contains("worktime:hold-until = \"tomorrow\"")
                    && reason.contains("worktime hold prod/api --clear"),
                "{action}: {reason}"
            ),
            other => panic!("{action}: expected a failure, got {other:?}"),
        }
        assert_eq!(planned.remove_expired_hold, None);
    }
    // Scale-out brings it up anyway and says why the hold is ignored.
    let planned = plan_service(
        Action::ScaleOut,
        &request(Some(cap(1, 3))),
        &Observed {
            target: Some(Capacity::ZERO),
            desired_count: Some(0),
            ..broken
        },
        &context_at(evening(), false),
    );
    match &planned.decision {
        Decision::Apply {
            note: Some(note), ..
        } => {
            assert!(
                note.contains("hold ignored: tag worktime:hold-until = \"tomorrow\""),
                "{note}"
            )
        }
        other => panic!("expected a scale-out with a note, got {other:?}"),
    }
}

#[test]
fn a_dry_run_plans_no_untag() {
    let until = evening() - chrono::TimeDelta::hours(1);
    let planned = plan_service(
        Action::ScaleIn,
        &request(Some(cap(1, 3))),
        &held_until(until),
        &context_at(evening(), true),
    );
    assert_eq!(planned.remove_expired_hold, None);
    match &planned.decision {
        Decision::Apply {
            writes,
            note: Some(note),
            drift: false,
        } => {
            assert_eq!(*writes, scale_in_writes(evening()));
            assert!(note.contains("would be removed"), "{note}");
        }
        other => panic!("expected the scale-in with a note, got {other:?}"),
    }
}

#[test]
fn a_hold_is_compared_with_the_scheduled_time_not_the_delivery() {
    // Scheduled at 19:00, delivered at 19:40; the hold ends at 19:30: it held at 19:00.
    let until = evening() + chrono::TimeDelta::minutes(30);
    let mut scale_in = event(Action::ScaleIn, Some(evening()), chrono_tz::UTC);
    let observed = HashMap::from([("service/prod/api".to_string(), held_until(until))]);
    let late = evening() + chrono::TimeDelta::minutes(40);
    let planned = plan(&scale_in, &observed, late);
    assert!(
        matches!(planned[0].decision, Decision::Held { .. }),
        "{:?}",
        planned[0].decision
    );
    // An event that names no time acts for now: the hold has ended.
    scale_in.scheduled_time = None;
    let planned = plan(&scale_in, &observed, late);
    assert!(matches!(planned[0].decision, Decision::Apply { .. }));
    assert_eq!(planned[0].remove_expired_hold, Some(until));
    // On a dry run nothing is removed.
    scale_in.dry_run = true;
    assert_eq!(
        plan(&scale_in, &observed, late)[0].remove_expired_hold,
        None
    );
}

#[test]
fn an_excluded_service_stays_skipped_whatever_its_hold() {
    for until in [
        evening() + chrono::TimeDelta::hours(2),
        evening() - chrono::TimeDelta::hours(2),
    ] {
        let excluded = Observed {
            excluded: true,
            ..held_until(until)
        };
        let planned = plan_service(
            Action::ScaleIn,
            &request(None),
            &excluded,
            &context_at(evening(), false),
        );
        assert!(matches!(planned.decision, Decision::Skipped { .. }));
        assert_eq!(planned.remove_expired_hold, None, "never changed");
    }
}
