//! Event validation rules that need no fixture file: the allow-list, the scheduled time,
//! `ready_within_minutes`, the schedule's crons, the stack's schedules and the EventBridge
//! envelope.

use chrono::TimeZone;
use serde_json::json;

use super::*;
use crate::selector::{AllowedSelector, ClusterScope, TagMatch};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 27, 10, 30, 0).unwrap()
}

fn allow_api() -> EventDefaults {
    EventDefaults::allowing(["service/prod/api"])
}

fn field_of(err: EventError) -> (String, String) {
    match err {
        EventError::Field { field, reason } => (field, reason),
        other => panic!("expected a field error, got {other:?}"),
    }
}

#[test]
fn services_not_on_the_allow_list_are_refused_alone() {
    let event = ScalingEvent::from_json(
        json!({"action": "scale-in", "services": [
            {"resource_id": "service/prod/api"}, {"resource_id": "service/prod/secret"}]}),
        &allow_api(),
        now(),
    )
    .unwrap();
    assert_eq!(event.services[0].refused, None);
    let reason = event.services[1].refused.as_deref().unwrap();
    assert!(
        reason.starts_with(
            "services[1].resource_id: service/prod/secret is not configured for this stack"
        ),
        "{reason}"
    );
    // Nothing allowed at all: every service refused.
    let event = ScalingEvent::from_json(
        json!({"action": "scale-in", "services": [{"resource_id": "service/prod/api"}]}),
        &EventDefaults::default(),
        now(),
    )
    .unwrap();
    assert!(event.services[0].refused.is_some());
}

#[test]
fn scheduled_time_and_ready_within() {
    let event = ScalingEvent::from_json(
        json!({"action": "scale-in", "services": [{"resource_id": "service/prod/api"}],
               "scheduled_time": "2026-11-27T19:00:00+09:00", "ready_within_minutes": 30}),
        &allow_api(),
        now(),
    )
    .unwrap();
    assert_eq!(
        event.scheduled_time,
        Some(Utc.with_ymd_and_hms(2026, 11, 27, 10, 0, 0).unwrap())
    );
    assert_eq!(event.ready_within, TimeDelta::minutes(30));
    // Default: 15 minutes, no crons (the event acts now, whatever the hour), and "now"
    // without a scheduled time.
    let event = ScalingEvent::from_json(
        json!({"action": "scale-in", "services": [{"resource_id": "service/prod/api"}]}),
        &allow_api(),
        now(),
    )
    .unwrap();
    assert_eq!(
        event.ready_within,
        TimeDelta::minutes(DEFAULT_READY_WITHIN_MINUTES.into())
    );
    assert_eq!(event.ready_within, TimeDelta::minutes(15));
    assert_eq!(event.clock, None);
    assert_eq!(event.scheduled_time, None);
    assert_eq!(event.effective_time(now()), now());
    // The bounds themselves are accepted.
    for minutes in [1, MAX_READY_WITHIN_MINUTES] {
        let event = ScalingEvent::from_json(
            json!({"action": "reconcile", "services": [{"resource_id": "service/prod/api"}],
                   "crons": seoul_crons(), "ready_within_minutes": minutes}),
            &allow_api(),
            now(),
        )
        .unwrap();
        assert_eq!(event.ready_within, TimeDelta::minutes(minutes.into()));
    }

    for (patch, field, hint) in [
        (
            json!({"scheduled_time": "tomorrow"}),
            "scheduled_time",
            "RFC 3339",
        ),
        (
            json!({"scheduled_time": "2026-11-27T10:36:00Z"}),
            "scheduled_time",
            "in the future",
        ),
        (
            json!({"scheduled_time": 5}),
            "scheduled_time",
            "invalid type",
        ),
        (
            json!({"ready_within_minutes": 0}),
            "ready_within_minutes",
            "0 is out of range: use 1 to 120 minutes",
        ),
        (
            json!({"ready_within_minutes": 121}),
            "ready_within_minutes",
            "121 is out of range: use 1 to 120 minutes",
        ),
        (
            json!({"ready_within_minutes": -5}),
            "ready_within_minutes",
            "invalid value",
        ),
        (
            json!({"ready_within_minutes": "15"}),
            "ready_within_minutes",
            "invalid type",
        ),
        // The old key is refused by name, whatever its value: the triggers of an earlier
        // release must be redeployed.
        (
            json!({"max_delay_minutes": 60}),
            "max_delay_minutes",
            "no longer read",
        ),
        (
            json!({"max_delay_minutes": null}),
            "max_delay_minutes",
            "worktime deploy",
        ),
        (json!({"dry_run": "yes"}), "dry_run", "invalid type"),
        (
            json!({"services": {"resource_id": "service/prod/api"}}),
            "services",
            "not an array",
        ),
    ] {
        let mut value =
            json!({"action": "scale-in", "services": [{"resource_id": "service/prod/api"}]});
        for (k, v) in patch.as_object().unwrap() {
            value[k] = v.clone();
        }
        let (got, reason) =
            field_of(ScalingEvent::from_json(value, &allow_api(), now()).unwrap_err());
        assert_eq!(got, field, "{patch}");
        assert!(reason.contains(hint), "{patch}: {reason}");
    }
    // A few minutes of clock skew are tolerated.
    ScalingEvent::from_json(
        json!({"action": "scale-in", "services": [{"resource_id": "service/prod/api"}],
               "scheduled_time": "2026-11-27T10:34:00Z"}),
        &allow_api(),
        now(),
    )
    .unwrap();
}

/// Seoul, 09:00–19:00 Mon–Fri, as Scheduler fires it (in the schedule's zone).
fn seoul_crons() -> Value {
    json!({"scale_out": "cron(0 9 ? * MON-FRI *)", "scale_in": "cron(0 19 ? * MON-FRI *)",
           "timezone": "Asia/Seoul"})
}

fn cron(text: &str) -> AwsCron {
    AwsCron::parse(text).unwrap()
}

#[test]
fn crons_make_the_schedule_clock() {
    // Rule-style: UTC crons fired in UTC; the skip dates stay the schedule's local dates.
    let event = ScalingEvent::from_json(
        json!({"action": "scale-in", "services": [{"resource_id": "service/prod/api"}],
               "timezone": "Asia/Seoul", "skip_dates": ["2026-12-25"],
               "crons": {"scale_out": "cron(0 0 ? * MON-FRI *)",
                         "scale_in": "cron(0 10 ? * MON-FRI *)", "timezone": "UTC"}}),
        &allow_api(),
        now(),
    )
    .unwrap();
    let clock = event.clock.expect("crons make a clock");
    assert_eq!(
        clock.scale_out,
        Firings::new(cron("cron(0 0 ? * MON-FRI *)"), Tz::UTC)
    );
    assert_eq!(
        clock.scale_in,
        Firings::new(cron("cron(0 10 ? * MON-FRI *)"), Tz::UTC)
    );
    assert_eq!(clock.zone, chrono_tz::Asia::Seoul);
    assert_eq!(
        clock.skip_dates,
        BTreeSet::from([NaiveDate::from_ymd_opt(2026, 12, 25).unwrap()])
    );
    // Scheduler-style: local crons fired in the zone.
    let event = ScalingEvent::from_json(
        json!({"action": "scale-out", "services": [{"resource_id": "service/prod/api"}],
               "timezone": "Asia/Seoul", "crons": seoul_crons()}),
        &allow_api(),
        now(),
    )
    .unwrap();
    let clock = event.clock.unwrap();
    assert_eq!(
        clock.scale_out,
        Firings::new(cron("cron(0 9 ? * MON-FRI *)"), chrono_tz::Asia::Seoul)
    );
    // Friday 2026-11-27 19:30 in Seoul: down since 19:00, up again on Monday.
    let window = clock.window_at(now());
    assert_eq!(window.phase, crate::window::Phase::Down);
    assert_eq!(
        window.until,
        Some(Utc.with_ymd_and_hms(2026, 11, 30, 0, 0, 0).unwrap())
    );
}

#[test]
fn bad_crons_are_named() {
    for (crons, field, hint) in [
        (
            json!({"scale_out": "0 9 * * MON-FRI", "scale_in": "cron(0 19 ? * MON-FRI *)",
                   "timezone": "Asia/Seoul"}),
            "crons.scale_out",
            "not an AWS cron expression",
        ),
        (
            json!({"scale_out": "cron(0 9 ? * MON-FRI *)", "scale_in": "cron(0 25 ? * MON-FRI *)",
                   "timezone": "Asia/Seoul"}),
            "crons.scale_in",
            "hours",
        ),
        (
            json!({"scale_out": "cron(0 9 ? * MON-FRI *)", "scale_in": "cron(0 19 ? * MON-FRI *)",
                   "timezone": "Asia/Seol"}),
            "crons.timezone",
            "\"Asia/Seol\" is not an IANA time zone name",
        ),
        (
            json!({"scale_out": "cron(0 9 ? * MON-FRI *)", "scale_in": "cron(0 19 ? * MON-FRI *)"}),
            "crons",
            "missing field `timezone`",
        ),
        (
            json!({"scale_out": "cron(0 9 ? * MON-FRI *)", "scale_in": "cron(0 19 ? * MON-FRI *)",
                   "timezone": "UTC", "zone": "UTC"}),
            "crons",
            "unknown field `zone`",
        ),
        (json!("cron(0 9 ? * MON-FRI *)"), "crons", "invalid type"),
    ] {
        let (got, reason) = field_of(
            ScalingEvent::from_json(
                json!({"action": "scale-in", "services": [{"resource_id": "service/prod/api"}],
                       "crons": crons}),
                &allow_api(),
                now(),
            )
            .unwrap_err(),
        );
        assert_eq!(got, field, "{reason}");
        assert!(reason.contains(hint), "{field}: {reason}");
    }
}

#[test]
fn a_reconcile_needs_crons() {
    let (field, reason) = field_of(
        ScalingEvent::from_json(
            json!({"action": "reconcile", "services": [{"resource_id": "service/prod/api"}]}),
            &allow_api(),
            now(),
        )
        .unwrap_err(),
    );
    assert_eq!(field, "crons");
    assert!(
        reason.contains("a reconcile converges on what the schedule says now"),
        "{reason}"
    );
    assert!(reason.contains("\"scale_out\""), "{reason}");
    let event = ScalingEvent::from_json(
        json!({"action": "reconcile", "services": [{"resource_id": "service/prod/api"}],
               "timezone": "Asia/Seoul", "crons": seoul_crons()}),
        &allow_api(),
        now(),
    )
    .unwrap();
    assert_eq!(event.action, Action::Reconcile);
    assert!(event.clock.is_some());
    assert_eq!("reconcile".parse::<Action>(), Ok(Action::Reconcile));
    assert_eq!(Action::Reconcile.to_string(), "reconcile");
    // The other actions do without crons.
    for action in ["scale-in", "scale-out", "toggle"] {
        ScalingEvent::from_json(
            json!({"action": action, "services": [{"resource_id": "service/prod/api"}]}),
            &allow_api(),
            now(),
        )
        .unwrap_or_else(|e| panic!("{action}: {e}"));
    }
}

#[test]
fn an_event_of_a_schedule_the_stack_does_not_deploy_is_refused() {
    let defaults = EventDefaults {
        schedules: Some(BTreeSet::from([
            "default".to_string(),
            "night-owls".to_string(),
        ])),
        ..allow_api()
    };
    let with_schedule = |schedule: Option<&str>| {
        let mut value =
            json!({"action": "scale-in", "services": [{"resource_id": "service/prod/api"}]});
        if let Some(name) = schedule {
            value["schedule"] = json!(name);
        }
        value
    };
    for schedule in [None, Some("night-owls"), Some("default")] {
        ScalingEvent::from_json(with_schedule(schedule), &defaults, now())
            .unwrap_or_else(|e| panic!("{schedule:?}: {e}"));
    }
    let (field, reason) = field_of(
        ScalingEvent::from_json(with_schedule(Some("weekend")), &defaults, now()).unwrap_err(),
    );
    assert_eq!(field, "schedule");
    assert!(
        reason.starts_with(
            "\"weekend\" is not a schedule of this stack (WORKTIME_SCHEDULES: default, \
             night-owls)"
        ),
        "{reason}"
    );
    // A stack without the default schedule refuses an event that names none.
    let only_named = EventDefaults {
        schedules: Some(BTreeSet::from(["night-owls".to_string()])),
        ..allow_api()
    };
    let (field, reason) =
        field_of(ScalingEvent::from_json(with_schedule(None), &only_named, now()).unwrap_err());
    assert_eq!(field, "schedule");
    assert!(
        reason.starts_with("\"default\" is not a schedule"),
        "{reason}"
    );
    // Not checked when the stack does not say (the CLI's own events).
    ScalingEvent::from_json(with_schedule(Some("weekend")), &allow_api(), now()).unwrap();
}

#[test]
fn envelope_keys_are_accepted_and_others_refused() {
    let mut value =
        json!({"action": "scale-in", "services": [{"resource_id": "service/prod/api"}]});
    for key in ENVELOPE_KEYS {
        value[key] = json!("x");
    }
    let event = ScalingEvent::from_json(value.clone(), &allow_api(), now()).unwrap();
    assert_eq!(
        event.scheduled_time, None,
        "not a scheduled event: `time` is not used"
    );
    value["dryrun"] = json!(true);
    let (field, reason) =
        field_of(ScalingEvent::from_json(value, &allow_api(), now()).unwrap_err());
    assert_eq!(field, "dryrun");
    assert!(reason.contains("unknown field"), "{reason}");
    assert!(reason.contains("dry_run"), "{reason}");
}

#[test]
fn a_bare_scheduled_event_carries_its_time() {
    let defaults = EventDefaults {
        services: Some(vec![ServiceTarget::new("prod", "api", None)]),
        ..allow_api()
    };
    let bare = json!({"version": "0", "id": "1", "detail-type": "Scheduled Event",
        "source": "aws.events", "account": "123456789012", "time": "2026-11-27T10:00:00Z",
        "region": "ap-northeast-2", "resources": [], "detail": {}});
    let event = ScalingEvent::from_json(bare.clone(), &defaults, now()).unwrap();
    assert_eq!(
        event.scheduled_time,
        Some(Utc.with_ymd_and_hms(2026, 11, 27, 10, 0, 0).unwrap())
    );
    assert!(event.implicit_toggle);
    // An explicit scheduled_time wins over the envelope's.
    let mut explicit = bare;
    explicit["scheduled_time"] = json!("2026-11-27T10:15:00Z");
    let event = ScalingEvent::from_json(explicit, &defaults, now()).unwrap();
    assert_eq!(
        event.scheduled_time,
        Some(Utc.with_ymd_and_hms(2026, 11, 27, 10, 15, 0).unwrap())
    );
}

#[test]
fn raw_event_round_trips_through_json() {
    let raw = RawEvent {
        action: Some("scale-out".into()),
        services: Some(vec![ServiceTarget::new(
            "prod",
            "api",
            Some(Capacity { min: 1, max: 3 }),
        )]),
        timezone: Some("Asia/Seoul".into()),
        scheduled_time: Some("2026-11-27T10:00:00Z".into()),
        crons: Some(ScheduleCrons {
            scale_out: "cron(0 9 ? * MON-FRI *)".into(),
            scale_in: "cron(0 19 ? * MON-FRI *)".into(),
            timezone: "Asia/Seoul".into(),
        }),
        ready_within_minutes: Some(30),
        ..RawEvent::default()
    };
    let value = serde_json::to_value(&raw).unwrap();
    assert_eq!(
        serde_json::from_value::<RawEvent>(value.clone()).unwrap(),
        raw
    );
    let event = ScalingEvent::from_json(value, &allow_api(), now()).unwrap();
    assert_eq!(
        event,
        ScalingEvent::from_raw(raw, &allow_api(), now()).unwrap()
    );
}

fn allow_selectors() -> EventDefaults {
    EventDefaults {
        allowed_selectors: [("*", "team=web"), ("prod", "worktime")]
            .into_iter()
            .map(|(cluster, tag)| AllowedSelector {
                cluster: ClusterScope::parse(cluster).unwrap(),
                tag: TagMatch::parse(tag).unwrap(),
                schedule: Some("night-owls".into()),
            })
            .collect(),
        ..allow_api()
    }
}

#[test]
fn selectors_alone_make_an_event_and_unlisted_ones_are_refused() {
    let event = ScalingEvent::from_json(
        json!({"action": "scale-in", "schedule": "night-owls", "selectors": [
            {"cluster": "*", "tag": "team=web", "min": 1, "max": 2},
            {"cluster": "prod", "tag": "worktime"},
            {"cluster": "prod", "tag": "team=web"}]}),
        &allow_selectors(),
        now(),
    )
    .unwrap();
    assert!(event.services.is_empty());
    assert_eq!(event.schedule.as_deref(), Some("night-owls"));
    assert_eq!(event.selectors.len(), 3);
    assert_eq!(event.selectors[0].cluster, ClusterScope::All);
    assert_eq!(
        event.selectors[0].declared,
        Some(Capacity { min: 1, max: 2 })
    );
    assert_eq!(event.selectors[1].declared, None);
    assert_eq!(event.selectors[1].refused, None);
    // Same tag, another scope: not what was deployed.
    let reason = event.selectors[2].refused.as_deref().unwrap();
    assert!(
        reason.starts_with(
            "selectors[2]: prod:team=web is not configured for this stack's night-owls schedule"
        ),
        "{reason}"
    );
    // The same selector from another schedule's event: refused too.
    let other = ScalingEvent::from_json(
        json!({"action": "scale-in", "selectors": [{"cluster": "prod", "tag": "worktime"}]}),
        &allow_selectors(),
        now(),
    )
    .unwrap();
    assert!(other.selectors[0].refused.is_some());
}

#[test]
fn bad_selectors_are_named() {
    for (selectors, field, words) in [
        (
            json!([{"cluster": "a b", "tag": "t"}]),
            "selectors[0].cluster",
            "neither a cluster",
        ),
        (
            json!([{"cluster": "prod", "tag": "=web"}]),
            "selectors[0].tag",
            "empty tag key",
        ),
        (
            json!([{"cluster": "prod", "tag": "t", "min": 1}]),
            "selectors[0]",
            "only one of min/max",
        ),
        (
            json!([{"cluster": "prod", "tag": "t", "min": 3, "max": 1}]),
            "selectors[0]",
            "greater than max",
        ),
        (
            json!([{"cluster": "prod", "tag": "t"}, {"cluster": "prod", "tag": "t"}]),
            "selectors[1]",
            "listed twice",
        ),
        (json!([{"cluster": "prod"}]), "selectors[0]", "tag"),
        (json!({"cluster": "prod"}), "selectors", "not an array"),
    ] {
        let (got, reason) = field_of(
            ScalingEvent::from_json(
                json!({"action": "scale-in", "schedule": "night-owls", "selectors": selectors}),
                &allow_selectors(),
                now(),
            )
            .unwrap_err(),
        );
        assert_eq!(got, field, "{reason}");
        assert!(reason.contains(words), "{field}: {reason}");
    }
    let (got, _) = field_of(
        ScalingEvent::from_json(
            json!({"action": "scale-in", "schedule": "", "services": [{"resource_id": "service/prod/api"}]}),
            &allow_api(),
            now(),
        )
        .unwrap_err(),
    );
    assert_eq!(got, "schedule");
}

#[test]
fn capacity_groups_ride_only_on_scale_in_and_scale_out_each_once() {
    let group = json!({"cluster": "prod", "autoscaling_group": "prod-asg"});
    let event = ScalingEvent::from_json(
        json!({"action": "scale-in", "services": [{"resource_id": "service/prod/api"}],
               "capacity": [group]}),
        &allow_api(),
        now(),
    )
    .unwrap();
    assert_eq!(
        event.capacity,
        [CapacityTarget {
            cluster: "prod".into(),
            autoscaling_group: "prod-asg".into()
        }]
    );
    for (payload, field, says) in [
        (
            json!({"action": "reconcile", "capacity": [group]}),
            "capacity",
            "only scale-in and scale-out",
        ),
        (
            json!({"action": "scale-out", "capacity": [group, group]}),
            "capacity[1].autoscaling_group",
            "listed twice",
        ),
        (
            json!({"action": "scale-out", "capacity": [{"cluster": "a b", "autoscaling_group": "g"}]}),
            "capacity[0].cluster",
            "not an ECS cluster name",
        ),
        (
            json!({"action": "scale-out", "capacity": [{"cluster": "prod", "autoscaling_group": ""}]}),
            "capacity[0].autoscaling_group",
            "1-255",
        ),
        (
            json!({"action": "scale-out", "capacity": [{"cluster": "prod", "group": "g"}]}),
            "capacity",
            "unknown field",
        ),
    ] {
        let mut payload = payload;
        payload["services"] = json!([{"resource_id": "service/prod/api"}]);
        payload["crons"] = json!({"scale_out": "cron(0 0 * * ? *)", "scale_in": "cron(0 10 * * ? *)", "timezone": "UTC"});
        let (got, reason) =
            field_of(ScalingEvent::from_json(payload.clone(), &allow_api(), now()).unwrap_err());
        assert_eq!(got, field, "{payload}: {reason}");
        assert!(reason.contains(says), "{payload}: {reason}");
    }
}
