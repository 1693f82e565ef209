//! Event validation rules that need no fixture file: the allow-list, the scheduled time and
//! the EventBridge envelope.

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
fn scheduled_time_and_max_delay() {
    let event = ScalingEvent::from_json(
        json!({"action": "scale-in", "services": [{"resource_id": "service/prod/api"}],
               "scheduled_time": "2026-11-27T19:00:00+09:00", "max_delay_minutes": 90}),
        &allow_api(),
        now(),
    )
    .unwrap();
    assert_eq!(
        event.scheduled_time,
        Some(Utc.with_ymd_and_hms(2026, 11, 27, 10, 0, 0).unwrap())
    );
    assert_eq!(event.max_delay, TimeDelta::minutes(90));
    // Default: 60 minutes, and "now" without a scheduled time.
    let event = ScalingEvent::from_json(
        json!({"action": "scale-in", "services": [{"resource_id": "service/prod/api"}]}),
        &allow_api(),
        now(),
    )
    .unwrap();
    assert_eq!(event.max_delay, TimeDelta::minutes(60));
    assert_eq!(event.scheduled_time, None);
    assert_eq!(event.effective_time(now()), now());

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
            json!({"max_delay_minutes": 0}),
            "max_delay_minutes",
            "1 to 1440",
        ),
        (
            json!({"max_delay_minutes": 1441}),
            "max_delay_minutes",
            "1 to 1440",
        ),
        (
            json!({"max_delay_minutes": -5}),
            "max_delay_minutes",
            "invalid value",
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
        scheduled_time: Some("2026-11-27T10:00:00Z".into()),
        max_delay_minutes: Some(30),
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
