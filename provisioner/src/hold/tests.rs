//! The hold and wake plans: every argument checked against the config before any call.

use std::path::Path;

use chrono::{NaiveDate, TimeZone};

use super::*;
use crate::config;

/// 2026-10-30 12:00 UTC, a Friday: 08:00 in New York (daylight saving time until Nov 1).
fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 10, 30, 12, 0, 0).unwrap()
}

fn stack(zone: &str) -> StackConfig {
    let text = format!(
        r#"
[stack]
name = "wt"
region = "us-east-1"

[schedule]
timezone = "{zone}"
scale_out = "cron(0 9 ? * MON-FRI *)"
scale_in = "cron(0 19 ? * MON-FRI *)"
trigger = "scheduler"

[[services]]
cluster = "prod"
service = "api"
min = 1
max = 3

[[services]]
cluster = "prod"
service = "worker"
"#
    );
    config::parse(&text, Path::new("worktime.toml"), now())
        .expect("a valid config")
        .home
}

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

fn local(text: &str) -> NaiveDateTime {
    parse_local_time(text).expect(text)
}

fn three_hours() -> HoldDuration {
    "3h".parse().unwrap()
}

#[test]
fn for_holds_every_named_service_from_now_rounded_up_to_the_minute() {
    let config = stack("America/New_York");
    let a_bit_later = now() + TimeDelta::seconds(20);
    let targets = plan_hold(
        &config,
        &args(&["prod/api", "prod/worker", "prod/api"]),
        HoldRequest::For(three_hours()),
        a_bit_later,
        &ServiceTags::default(),
    )
    .unwrap();
    let until = Utc.with_ymd_and_hms(2026, 10, 30, 15, 1, 0).unwrap();
    assert_eq!(
        targets,
        vec![
            HoldTarget {
                name: ServiceName::parse("prod/api").unwrap(),
                zone: chrono_tz::America::New_York,
                until: Some(until),
            },
            HoldTarget {
                name: ServiceName::parse("prod/worker").unwrap(),
                zone: chrono_tz::America::New_York,
                until: Some(until),
            },
        ],
        "each service once, in order"
    );
    assert_eq!(hold_end(now(), three_hours()), now() + TimeDelta::hours(3));
}

#[test]
fn until_is_read_in_the_schedule_zone() {
    let config = stack("Asia/Seoul");
    let targets = plan_hold(
        &config,
        &args(&["prod/api"]),
        HoldRequest::Until(local("2026-10-31 06:00")),
        now(),
        &ServiceTags::default(),
    )
    .unwrap();
    assert_eq!(
        targets[0].until,
        Some(Utc.with_ymd_and_hms(2026, 10, 30, 21, 0, 0).unwrap())
    );
    // The `T` form reads the same.
    assert_eq!(local("2026-10-31T06:00"), local("2026-10-31 06:00"));
    let clear = plan_hold(
        &config,
        &args(&["prod/api"]),
        HoldRequest::Clear,
        now(),
        &ServiceTags::default(),
    )
    .unwrap();
    assert_eq!(clear[0].until, None);
}

#[test]
fn until_across_daylight_saving_changes() {
    let config = stack("America/New_York");
    let now = Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap();
    // 2026-03-08 02:30 does not exist in New York (02:00 -> 03:00).
    let error = plan_hold(
        &config,
        &args(&["prod/api"]),
        HoldRequest::Until(local("2026-03-08 02:30")),
        now,
        &ServiceTags::default(),
    )
    .unwrap_err();
    assert!(matches!(error, HoldError::UntilSkipped { .. }), "{error}");
    let message = error.to_string();
    assert!(
        message.contains("2026-03-08 02:30") && message.contains("America/New_York"),
        "{message}"
    );
    // 2026-11-01 01:30 happens twice (EDT, then EST): the earlier one.
    let targets = plan_hold(
        &config,
        &args(&["prod/api"]),
        HoldRequest::Until(local("2026-11-01 01:30")),
        self::now(),
        &ServiceTags::default(),
    )
    .unwrap();
    assert_eq!(
        targets[0].until,
        Some(Utc.with_ymd_and_hms(2026, 11, 1, 5, 30, 0).unwrap())
    );
}

#[test]
fn until_must_lie_in_the_future_and_within_the_limit() {
    let config = stack("Asia/Seoul");
    // now() is 21:00 in Seoul.
    for past in ["2026-10-30 21:00", "2026-10-30 20:59", "2025-01-01 00:00"] {
        let error = plan_hold(
            &config,
            &args(&["prod/api"]),
            HoldRequest::Until(local(past)),
            now(),
            &ServiceTags::default(),
        )
        .unwrap_err();
        assert!(
            matches!(error, HoldError::UntilPast { .. }),
            "{past}: {error}"
        );
        let message = error.to_string();
        assert!(message.contains(past), "{message}");
        assert!(message.contains("2026-10-30 21:00 there now"), "{message}");
        assert!(error.is_usage());
    }
    let error = plan_hold(
        &config,
        &args(&["prod/api"]),
        HoldRequest::Until(local("2026-12-30 21:00")),
        now(),
        &ServiceTags::default(),
    )
    .unwrap_err();
    assert!(matches!(error, HoldError::UntilTooFar { .. }), "{error}");
    for text in [
        "tomorrow",
        "2026-10-31",
        "2026-10-31 25:00",
        "31/10/2026 06:00",
    ] {
        let error = parse_local_time(text).unwrap_err();
        assert!(error.to_string().contains("YYYY-MM-DD HH:MM"), "{error}");
    }
}

#[test]
fn services_must_be_well_formed_and_managed() {
    let config = stack("Asia/Seoul");
    for (arg, problem) in [
        ("api", "no slash"),
        ("prod/api/x", "more than one slash"),
        ("/api", "cluster name \"\""),
        ("prod/", "service name \"\""),
        ("prod/a.pi", "service name \"a.pi\""),
    ] {
        let error = managed_services(&config, &args(&[arg])).unwrap_err();
        let message = error.to_string();
        assert!(
            matches!(error, HoldError::BadService { .. }),
            "{arg}: {error}"
        );
        assert!(
            message.contains(&format!("{arg:?}")) && message.contains(problem),
            "{message}"
        );
        assert!(message.contains("e.g. prod/api"), "{message}");
    }
    let error = managed_services(&config, &args(&["prod/api", "prod/intruder"])).unwrap_err();
    assert!(matches!(error, HoldError::NotManaged { .. }), "{error}");
    let message = error.to_string();
    for part in [
        "\"prod/intruder\"",
        "worktime.toml",
        "prod/api, prod/worker",
        "[[services]]",
    ] {
        assert!(message.contains(part), "{part}: {message}");
    }
    assert!(error.is_usage());
    assert!(managed(&config, "prod", "api"));
    assert!(!managed(&config, "staging", "api"));
}

#[test]
fn wake_scales_out_only_the_named_services_with_their_capacity_and_no_skip_dates() {
    let mut config = stack("Asia/Seoul");
    // Today is a skip date: a wake still means now.
    config.schedule.skip_dates = vec![NaiveDate::from_ymd_opt(2026, 10, 31).unwrap()];
    let plan = plan_wake(
        &config,
        &args(&["prod/worker", "prod/api"]),
        "2h".parse().unwrap(),
        now(),
        &ServiceTags::default(),
    )
    .unwrap();
    assert_eq!(plan.event.action, Action::ScaleOut);
    assert!(plan.event.skip_dates.is_empty());
    assert_eq!(plan.event.scheduled_time, None);
    assert!(!plan.event.dry_run);
    let services: Vec<_> = plan
        .event
        .services
        .iter()
        .map(|s| (s.resource_id.as_str(), s.declared, s.refused.is_some()))
        .collect();
    assert_eq!(
        services,
        vec![
            ("service/prod/worker", None, false),
            ("service/prod/api", Some(Capacity { min: 1, max: 3 }), false),
        ]
    );
    let until = Some(now() + TimeDelta::hours(2));
    assert!(plan.holds.iter().all(|h| h.until == until));
    let error = plan_wake(
        &config,
        &args(&["prod/jobs"]),
        three_hours(),
        now(),
        &ServiceTags::default(),
    )
    .unwrap_err();
    assert!(matches!(error, HoldError::NotManaged { .. }), "{error}");
}

#[test]
fn lines_say_what_the_hold_is_in_local_time_and_utc() {
    let target = HoldTarget {
        name: ServiceName::parse("prod/api").unwrap(),
        zone: chrono_tz::Asia::Seoul,
        until: Some(Utc.with_ymd_and_hms(2026, 11, 27, 21, 0, 0).unwrap()),
    };
    let held = HoldLine::new(&target, HoldOutcome::Held, None);
    assert_eq!(
        held.to_string(),
        "held until 2026-11-28 06:00 (Asia/Seoul) / 2026-11-27T21:00:00Z"
    );
    let json = serde_json::to_value(&held).unwrap();
    assert_eq!(json["outcome"], "held");
    assert_eq!(json["until"], "2026-11-27T21:00:00Z");
    assert_eq!(json["until_local"], "2026-11-28 06:00");
    assert_eq!(json["zone"], "Asia/Seoul");
    let cleared = HoldLine::new(
        &HoldTarget {
            until: None,
            ..target.clone()
        },
        HoldOutcome::Cleared,
        None,
    );
    assert_eq!(cleared.to_string(), "hold cleared");
    let not_held = HoldLine::not_held(&target, "the scale-out failed: x".into());
    assert!(not_held.is_failure());
    assert_eq!(not_held.until, None);
    assert_eq!(
        serde_json::to_value(&not_held).unwrap()["outcome"],
        "not-held"
    );
}

/// New York's `[schedule]` for prod/api by name; Berlin's for the services of "eu" tagged
/// team=web (bounds 1/2).
fn with_selector() -> StackConfig {
    let text = r#"
[stack]
name = "wt"
region = "us-east-1"

[schedule]
timezone = "America/New_York"
scale_out = "cron(0 9 ? * MON-FRI *)"
scale_in = "cron(0 19 ? * MON-FRI *)"

[schedules.berlin]
timezone = "Europe/Berlin"
scale_out = "cron(0 8 ? * MON-FRI *)"
scale_in = "cron(0 18 ? * MON-FRI *)"

[[services]]
cluster = "prod"
service = "api"

[[services]]
cluster = "eu"
tag = "team=web"
min = 1
max = 2
schedule = "berlin"
"#;
    config::parse(text, Path::new("worktime.toml"), now())
        .expect("a valid config")
        .home
}

#[test]
fn a_service_chosen_by_tag_is_held_in_its_schedule_zone_once_its_tags_say_so() {
    let config = with_selector();
    let tagged: ServiceTags = [(
        ServiceName::parse("eu/shop").unwrap(),
        vec![("team".to_string(), "web".to_string())],
    )]
    .into_iter()
    .collect();
    let targets = plan_hold(
        &config,
        &args(&["eu/shop"]),
        HoldRequest::Until(local("2026-10-30 23:00")),
        now(),
        &tagged,
    )
    .unwrap();
    assert_eq!(targets[0].zone, chrono_tz::Europe::Berlin);
    // 23:00 in Berlin (CET after Oct 25) is 22:00 UTC.
    assert_eq!(
        targets[0].until,
        Some(Utc.with_ymd_and_hms(2026, 10, 30, 22, 0, 0).unwrap())
    );
    // Wake restores the selector's bounds.
    let plan = plan_wake(&config, &args(&["eu/shop"]), three_hours(), now(), &tagged).unwrap();
    assert_eq!(
        plan.event.services[0].declared,
        Some(Capacity { min: 1, max: 2 })
    );

    // In the selector's cluster without its tag: not managed, named.
    let untagged: ServiceTags = [(
        ServiceName::parse("eu/shop").unwrap(),
        vec![("team".to_string(), "data".to_string())],
    )]
    .into_iter()
    .collect();
    let error = plan_hold(
        &config,
        &args(&["eu/shop"]),
        HoldRequest::Clear,
        now(),
        &untagged,
    )
    .unwrap_err();
    assert!(matches!(error, HoldError::NotManaged { .. }), "{error}");
    assert!(
        error
            .to_string()
            .contains("the services of eu tagged team=web"),
        "{error}"
    );
    // A cluster no selector looks in is refused before any call.
    assert!(managed_services(&config, &args(&["other/shop"])).is_err());
    assert!(managed_services(&config, &args(&["eu/shop"])).is_ok());
}

fn seen(target: Option<Capacity>, desired: i32) -> Observed {
    Observed {
        exists: true,
        service_arn: Some("arn:aws:ecs:us-east-1:123456789012:service/prod/x".into()),
        desired_count: Some(desired),
        target,
        ..Observed::default()
    }
}

#[test]
fn hold_refuses_a_service_that_is_down_already_and_names_wake() {
    let api = ServiceName::parse("prod/api").unwrap();
    let worker = ServiceName::parse("prod/worker").unwrap();
    let names = vec![api.clone(), worker.clone()];
    let observed = |a: Observed, w: Observed| -> HashMap<String, Observed> {
        [(api.resource_id(), a), (worker.resource_id(), w)]
            .into_iter()
            .collect()
    };
    // Both up (bounds above zero; or no scalable target and tasks desired): a hold is fine.
    let up = observed(seen(Some(Capacity { min: 1, max: 3 }), 2), seen(None, 4));
    assert_eq!(down_services(&names, &up), Ok(()));
    // Bounds 0/0 (a scale-in's work), desired 0.
    let error = down_services(
        &names,
        &observed(seen(Some(Capacity::ZERO), 0), seen(None, 4)),
    )
    .unwrap_err();
    assert!(!error.is_usage(), "exit 1, not 2: {error}");
    let message = error.to_string();
    for needle in [
        "prod/api (bounds 0/0, desired 0)",
        "already down",
        "nothing was changed",
        "Fix: `worktime wake prod/api` scales it out now and holds it",
    ] {
        assert!(message.contains(needle), "{needle:?} not in {message}");
    }
    assert!(!message.contains("prod/worker"), "{message}");
    // No scalable target and nothing desired: down too; both named, one wake for both.
    let message = down_services(
        &names,
        &observed(seen(Some(Capacity::ZERO), 0), seen(None, 0)),
    )
    .unwrap_err()
    .to_string();
    assert!(
        message.contains("prod/worker (no scalable target, desired 0)")
            && message.contains("`worktime wake prod/api prod/worker` scales them out"),
        "{message}"
    );
    // A service that could not be read stops the command too: nothing is known about it.
    let unreadable = Observed {
        lookup_error: Some("AccessDeniedException: no".into()),
        ..seen(None, 0)
    };
    let error = down_services(&names, &observed(unreadable, seen(None, 4))).unwrap_err();
    assert!(matches!(error, HoldError::Unreadable { .. }), "{error}");
    assert!(!error.is_usage());
    assert!(
        error
            .to_string()
            .contains("prod/api (AccessDeniedException: no)"),
        "{error}"
    );
}

#[test]
fn wake_puts_back_the_hold_a_service_had() {
    let api = ServiceName::parse("prod/api").unwrap();
    let tags: ServiceTags = [(
        api.clone(),
        vec![
            ("team".to_string(), "web".to_string()),
            (
                HOLD_UNTIL_TAG.to_string(),
                "2026-10-30T20:00:00Z".to_string(),
            ),
        ],
    )]
    .into_iter()
    .collect();
    assert_eq!(
        previous_hold(&tags, &api).as_deref(),
        Some("2026-10-30T20:00:00Z")
    );
    assert!(!excluded(&tags, &api));
    let worker = ServiceName::parse("prod/worker").unwrap();
    assert_eq!(previous_hold(&tags, &worker), None);
    let opted_out: ServiceTags = [(
        worker.clone(),
        vec![(EXCLUDE_TAG.to_string(), String::new())],
    )]
    .into_iter()
    .collect();
    assert!(excluded(&opted_out, &worker));
}
