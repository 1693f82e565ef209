//! The planner's rules, one table row each: pure, no network, no clock.

use chrono::TimeZone;

use super::*;

fn cap(min: i32, max: i32) -> Capacity {
    Capacity { min, max }
}

fn mem(bounds: Option<Capacity>, desired: i32) -> Remembered {
    Remembered {
        bounds,
        desired: Some(desired),
    }
}

fn request(declared: Option<Capacity>) -> ServiceRequest {
    ServiceRequest {
        resource_id: "service/prod/api".into(),
        cluster: "prod".into(),
        service: "api".into(),
        declared,
        refused: None,
        selected_by: None,
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
        remembered_error: None,
        lookup_error: None,
        excluded: false,
        hold_until: None,
        hold_error: None,
    }
}

fn apply(
    remember: Option<Remembered>,
    bounds: Option<BoundsWrite>,
    desired: Option<i32>,
) -> Expect {
    Expect::Apply(Writes {
        remember,
        bounds,
        desired,
    })
}

fn register(bounds: Capacity) -> Option<BoundsWrite> {
    Some(BoundsWrite::Register(bounds))
}

const ZERO: Option<BoundsWrite> = Some(BoundsWrite::Register(Capacity::ZERO));
const DEREGISTER: Option<BoundsWrite> = Some(BoundsWrite::Deregister);

/// What a row expects: the writes exactly, or the kind of decision and a part of its reason.
#[derive(Debug)]
enum Expect {
    Apply(Writes),
    Unchanged(&'static str),
    Skipped(&'static str),
    Stale(&'static str),
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
    expect: Expect,
}

fn case(
    name: &'static str,
    action: Action,
    declared: Option<Capacity>,
    seen: Observed,
    expect: Expect,
) -> Case {
    let resolved = action;
    Case {
        name,
        action,
        declared,
        seen,
        context: Context::default(),
        resolved,
        refused: false,
        expect,
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
        (Expect::Apply(want), Decision::Apply { writes, .. }) => want == writes,
        (Expect::Unchanged(part), Decision::Unchanged { reason })
        | (Expect::Skipped(part), Decision::Skipped { reason })
        | (Expect::Stale(part), Decision::Stale { reason })
        | (Expect::Fail(part), Decision::Fail { reason }) => reason.contains(part),
        _ => false,
    };
    assert!(
        ok,
        "{}: expected {:?}, got {:?}",
        case.name, case.expect, planned.decision
    );
}

#[test]
fn scale_in_table() {
    use Action::ScaleIn as IN;
    let rows = [
        case(
            "declared service running: remembers bounds and desired, 0/0, desired 0",
            IN,
            Some(cap(1, 3)),
            seen(Some(cap(1, 3)), 2, None),
            apply(Some(mem(Some(cap(1, 3)), 2)), ZERO, Some(0)),
        ),
        case(
            "restore mode remembers bounds and desired count",
            IN,
            None,
            seen(Some(cap(2, 6)), 4, None),
            apply(Some(mem(Some(cap(2, 6)), 4)), ZERO, Some(0)),
        ),
        case(
            "restore mode overwrites yesterday's memory with today's state",
            IN,
            None,
            seen(Some(cap(3, 9)), 5, Some(mem(Some(cap(2, 6)), 4))),
            apply(Some(mem(Some(cap(3, 9)), 5)), ZERO, Some(0)),
        ),
        case(
            "memory already equal: no tag write",
            IN,
            None,
            seen(Some(cap(2, 6)), 4, Some(mem(Some(cap(2, 6)), 4))),
            apply(None, ZERO, Some(0)),
        ),
        case(
            "desired outside the bounds is remembered where AAS would put it",
            IN,
            None,
            seen(Some(cap(2, 6)), 9, None),
            apply(Some(mem(Some(cap(2, 6)), 6)), ZERO, Some(0)),
        ),
        case(
            "min = 0 service with no task: remembered as is, still 0/0",
            IN,
            Some(cap(0, 4)),
            seen(Some(cap(0, 4)), 0, None),
            apply(Some(mem(Some(cap(0, 4)), 0)), ZERO, None),
        ),
        case(
            "no scalable target, running: remembers none@desired",
            IN,
            None,
            seen(None, 3, None),
            apply(Some(mem(None, 3)), ZERO, Some(0)),
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
            seen(Some(Capacity::ZERO), 0, Some(mem(Some(cap(2, 6)), 4))),
            Expect::Unchanged("remembered state kept"),
        ),
        case(
            "night guard: 0/0 with 3 desired gets desired 0, memory untouched",
            IN,
            None,
            seen(Some(Capacity::ZERO), 3, Some(mem(Some(cap(2, 6)), 4))),
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
            apply(Some(mem(Some(cap(2, 6)), 4)), ZERO, Some(0)),
        ),
        Case {
            refused: true,
            ..case(
                "refused by the allow-list: fails, nothing planned",
                IN,
                None,
                seen(Some(cap(2, 6)), 4, None),
                Expect::Fail("not configured for this stack"),
            )
        },
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
    let rows = [
        case(
            "declared: bounds back, remembered desired back",
            OUT,
            Some(cap(1, 3)),
            seen(Some(Capacity::ZERO), 0, Some(mem(Some(cap(1, 3)), 2))),
            apply(None, register(cap(1, 3)), Some(2)),
        ),
        case(
            "declared min = 0 comes back with its remembered desired count",
            OUT,
            Some(cap(0, 4)),
            seen(Some(Capacity::ZERO), 0, Some(mem(Some(cap(0, 4)), 3))),
            apply(None, register(cap(0, 4)), Some(3)),
        ),
        case(
            "declared min = 0, nothing remembered: one task",
            OUT,
            Some(cap(0, 4)),
            seen(Some(Capacity::ZERO), 0, None),
            apply(None, register(cap(0, 4)), Some(1)),
        ),
        case(
            "declared, nothing remembered: min tasks",
            OUT,
            Some(cap(2, 5)),
            seen(Some(Capacity::ZERO), 0, None),
            apply(None, register(cap(2, 5)), Some(2)),
        ),
        case(
            "declared min = 0, remembered 0 tasks: at least one",
            OUT,
            Some(cap(0, 4)),
            seen(Some(Capacity::ZERO), 0, Some(mem(Some(cap(0, 4)), 0))),
            apply(None, register(cap(0, 4)), Some(1)),
        ),
        case(
            "declared bounds changed since: remembered desired clamped into them",
            OUT,
            Some(cap(1, 3)),
            seen(Some(Capacity::ZERO), 0, Some(mem(Some(cap(2, 6)), 5))),
            apply(None, register(cap(1, 3)), Some(3)),
        ),
        case(
            "declared service never registered gets its declared bounds",
            OUT,
            Some(cap(1, 3)),
            seen(None, 0, None),
            apply(None, register(cap(1, 3)), Some(1)),
        ),
        case(
            "restore mode: bounds and desired count back",
            OUT,
            None,
            seen(Some(Capacity::ZERO), 0, Some(mem(Some(cap(2, 6)), 4))),
            apply(None, register(cap(2, 6)), Some(4)),
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
                }),
            ),
            apply(None, register(cap(2, 6)), Some(2)),
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
                }),
            ),
            apply(None, register(cap(0, 4)), Some(1)),
        ),
        case(
            "restore mode, no target before scale-in: deregister, then desired back",
            OUT,
            None,
            seen(Some(Capacity::ZERO), 0, Some(mem(None, 3))),
            apply(None, DEREGISTER, Some(3)),
        ),
        case(
            "no target before, target already gone: desired only",
            OUT,
            None,
            seen(None, 0, Some(mem(None, 3))),
            apply(None, None, Some(3)),
        ),
        case(
            "no target before, already running without one: unchanged",
            OUT,
            None,
            seen(None, 2, Some(mem(None, 3))),
            Expect::Unchanged("already out (no scalable target, 2 desired)"),
        ),
        case(
            "already at its bounds with tasks: unchanged (autoscaling not fought)",
            OUT,
            Some(cap(1, 3)),
            seen(Some(cap(1, 3)), 3, Some(mem(Some(cap(1, 3)), 1))),
            Expect::Unchanged("already out (bounds 1/3, 3 desired)"),
        ),
        case(
            "at its min = 0 bounds but no task (the old bug): desired set",
            OUT,
            Some(cap(0, 4)),
            seen(Some(cap(0, 4)), 0, None),
            apply(None, None, Some(1)),
        ),
        case(
            "bounds right, desired outside: desired set",
            OUT,
            None,
            seen(Some(cap(2, 6)), 0, Some(mem(Some(cap(2, 6)), 4))),
            apply(None, None, Some(4)),
        ),
        case(
            "desired already right, bounds not: register only",
            OUT,
            None,
            seen(Some(Capacity::ZERO), 4, Some(mem(Some(cap(2, 6)), 4))),
            apply(None, register(cap(2, 6)), None),
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
        Case {
            refused: true,
            ..case(
                "refused by the allow-list: fails",
                OUT,
                Some(cap(1, 3)),
                seen(Some(Capacity::ZERO), 0, None),
                Expect::Fail("not configured for this stack"),
            )
        },
    ];
    for row in rows {
        check(row);
    }
}

#[test]
fn toggle_context_and_staleness_table() {
    let rows = [
        Case {
            resolved: Action::ScaleOut,
            ..case(
                "toggle at 0/0 goes out",
                Action::Toggle,
                Some(cap(1, 3)),
                seen(Some(Capacity::ZERO), 0, None),
                apply(None, register(cap(1, 3)), Some(1)),
            )
        },
        Case {
            resolved: Action::ScaleIn,
            ..case(
                "toggle running goes in",
                Action::Toggle,
                Some(cap(1, 3)),
                seen(Some(cap(1, 3)), 2, None),
                apply(Some(mem(Some(cap(1, 3)), 2)), ZERO, Some(0)),
            )
        },
        Case {
            resolved: Action::ScaleOut,
            ..case(
                "toggle of an unregistered service with no task goes out",
                Action::Toggle,
                Some(cap(1, 3)),
                seen(None, 0, None),
                apply(None, register(cap(1, 3)), Some(1)),
            )
        },
        Case {
            context: Context {
                skip_date: true,
                ..Context::default()
            },
            ..case(
                "scale-out on a skip date does nothing",
                Action::ScaleOut,
                Some(cap(1, 3)),
                seen(Some(Capacity::ZERO), 0, None),
                Expect::Skipped("skip date"),
            )
        },
        Case {
            context: Context {
                skip_date: true,
                ..Context::default()
            },
            ..case(
                "scale-in on a skip date still scales in",
                Action::ScaleIn,
                Some(cap(1, 3)),
                seen(Some(cap(1, 3)), 1, None),
                apply(Some(mem(Some(cap(1, 3)), 1)), ZERO, Some(0)),
            )
        },
        Case {
            context: Context {
                stale: Some("delivered 180 minutes late".into()),
                ..Context::default()
            },
            ..case(
                "a stale delivery changes nothing",
                Action::ScaleIn,
                Some(cap(1, 3)),
                Observed::default(),
                Expect::Stale("180 minutes late"),
            )
        },
        Case {
            refused: true,
            context: Context {
                stale: Some("delivered 180 minutes late".into()),
                ..Context::default()
            },
            ..case(
                "a stale delivery still fails a refused service",
                Action::ScaleIn,
                None,
                Observed::default(),
                Expect::Fail("not configured"),
            )
        },
    ];
    for row in rows {
        check(row);
    }
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
        max_delay: chrono::TimeDelta::minutes(60),
        warn_before: None,
    }
}

fn observed_at_zero() -> HashMap<String, Observed> {
    HashMap::from([(
        "service/prod/api".to_string(),
        seen(Some(Capacity::ZERO), 0, None),
    )])
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

#[test]
fn staleness_follows_max_delay() {
    let scheduled = Utc.with_ymd_and_hms(2026, 11, 27, 10, 0, 0).unwrap();
    let on_time = event(Action::ScaleIn, Some(scheduled), chrono_tz::UTC);
    assert_eq!(staleness(&on_time, scheduled), None);
    assert_eq!(
        staleness(&on_time, scheduled + chrono::TimeDelta::minutes(60)),
        None
    );
    let reason = staleness(&on_time, scheduled + chrono::TimeDelta::hours(3)).unwrap();
    assert!(reason.contains("180 minutes late"), "{reason}");
    assert!(reason.contains("max_delay_minutes = 60"), "{reason}");
    // No scheduled time: never stale.
    let now_event = event(Action::ScaleIn, None, chrono_tz::UTC);
    assert_eq!(
        staleness(&now_event, scheduled + chrono::TimeDelta::days(3)),
        None
    );
    // A stale plan reads nothing: every service is stale without an observation.
    let planned = plan(
        &on_time,
        &HashMap::new(),
        scheduled + chrono::TimeDelta::hours(3),
    );
    assert!(matches!(planned[0].decision, Decision::Stale { .. }));
}

#[test]
fn an_excluded_service_is_skipped_whatever_the_action() {
    let mut excluded = seen(Some(cap(1, 3)), 2, Some(mem(Some(cap(1, 3)), 2)));
    excluded.excluded = true;
    for action in [Action::ScaleIn, Action::ScaleOut, Action::Toggle] {
        let planned = plan_service(action, &request(None), &excluded, &Context::default());
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

fn context_at(effective_time: DateTime<Utc>, dry_run: bool) -> Context {
    Context {
        effective_time,
        dry_run,
        ..Context::default()
    }
}

/// A running declared service (1/3, 2 desired) held until `until`.
fn held_until(until: DateTime<Utc>) -> Observed {
    Observed {
        hold_until: Some(until),
        ..seen(Some(cap(1, 3)), 2, None)
    }
}

fn scale_in_writes() -> Writes {
    Writes {
        remember: Some(mem(Some(cap(1, 3)), 2)),
        bounds: ZERO,
        desired: Some(0),
    }
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
                writes: scale_in_writes(),
                note: None
            },
            "{until}"
        );
        assert_eq!(planned.remove_expired_hold, Some(until), "{until}");
    }
    // Already down: nothing to scale, the ended hold is still removed.
    let down = Observed {
        hold_until: Some(evening() - chrono::TimeDelta::hours(1)),
        ..seen(Some(Capacity::ZERO), 0, Some(mem(Some(cap(1, 3)), 2)))
    };
    let planned = plan_service(
        Action::ScaleIn,
        &request(Some(cap(1, 3))),
        &down,
        &context_at(evening(), false),
    );
    assert!(matches!(planned.decision, Decision::Unchanged { .. }));
    assert!(planned.remove_expired_hold.is_some());
}

#[test]
fn scale_out_ignores_a_hold() {
    let at_zero = Observed {
        hold_until: Some(evening() + chrono::TimeDelta::hours(2)),
        ..seen(Some(Capacity::ZERO), 0, Some(mem(Some(cap(1, 3)), 2)))
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
            },
            note: None
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
    for action in [Action::ScaleIn, Action::Toggle] {
        let planned = plan_service(
            action,
            &request(Some(cap(1, 3))),
            &broken,
            &context_at(evening(), false),
        );
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
            assert!(note.contains("hold ignored at scale-out"), "{note}")
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
        } => {
            assert_eq!(*writes, scale_in_writes());
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
