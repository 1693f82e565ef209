//! Issue 17, converge instead of toggle, through the deployed rules and the built `bootstrap`:
//! the schedule's crons are placed around the test's own clock, so "in the window", "late" and
//! "a down window" are real, and every effect is read back through ECS and Application Auto
//! Scaling on the project's model of AWS (running tasks follow the desired count; a service
//! whose tasks do not start says why in its events).

use chrono::{DateTime, DurationRound, TimeDelta, Timelike, Utc};
use serde_json::json;
use worktime_e2e::triggers::deployed_rule_payload;
use worktime_e2e::*;

const REGION: &str = "ap-northeast-2";
/// Asia/Seoul has no daylight saving: UTC+9 all year.
const SEOUL_OFFSET_HOURS: i64 = 9;

/// This minute.
fn now() -> DateTime<Utc> {
    Utc::now().duration_trunc(TimeDelta::minutes(1)).unwrap()
}

/// A daily cron firing at `at`, written in Seoul local time.
fn daily(at: DateTime<Utc>) -> String {
    let local = at + TimeDelta::hours(SEOUL_OFFSET_HOURS);
    format!("cron({} {} ? * * *)", local.minute(), local.hour())
}

/// The stack `wt` on rules, scaling out at `scale_out` and in at `scale_in` every day.
fn config(scale_out: DateTime<Utc>, scale_in: DateTime<Utc>, services: &str) -> String {
    format!(
        r#"
[stack]
name = "wt"
region = "{REGION}"

[schedule]
timezone = "Asia/Seoul"
scale_out = "{}"
scale_in = "{}"
trigger = "rules"
ready_within_minutes = 5
{services}"#,
        daily(scale_out),
        daily(scale_in)
    )
}

const API_AND_WORKER: &str = r#"
[[services]]
cluster = "prod"
service = "api"
min = 1
max = 3

[[services]]
cluster = "prod"
service = "worker"
"#;

async fn memory(sdk: &aws_config::SdkConfig, name: &str) -> String {
    service_tag(sdk, "prod", name, "worktime:capacity")
        .await
        .unwrap_or_default()
}

#[tokio::test]
async fn the_reconcile_takes_night_drift_down_and_a_late_morning_still_comes() {
    let moto = Moto::start_in(REGION);
    let sdk = moto.sdk().await;
    create_services(&sdk, "prod", &[("api", 2), ("worker", 4)]).await;
    register_target(&sdk, "prod", "api", 1, 3).await;
    register_target(&sdk, "prod", "worker", 2, 6).await;

    // It is night: the scale-in fired two hours ago and nobody delivered it.
    let at = now();
    let night = config(
        at + TimeDelta::hours(6),
        at - TimeDelta::hours(2),
        API_AND_WORKER,
    );
    let dir = bootstrapped(&moto, &night);
    let mut function = FunctionRuntime::deployed(&sdk, "wt-scaler", moto.env()).await;

    // The reconcile finds both running in a down window: remembered first, then taken down.
    let reconcile = deployed_rule_payload(&sdk, "wt-reconcile", at)
        .await
        .unwrap();
    assert_eq!(reconcile["action"], "reconcile", "{reconcile}");
    let report = function.invoke(&reconcile).expect_ok();
    assert_eq!(report["summary"]["drift"], 2, "{report}");
    assert_eq!(service_state(&sdk, "prod", "api").await, (Some((0, 0)), 0));
    assert_eq!(
        service_state(&sdk, "prod", "worker").await,
        (Some((0, 0)), 0)
    );
    assert!(memory(&sdk, "api").await.starts_with("1/3@2 down "));
    assert!(memory(&sdk, "worker").await.starts_with("2/6@4 down "));

    // A deploy at night raises api's desired count and bounds: the next reconcile takes it
    // down again and keeps what api had when the night began.
    register_target(&sdk, "prod", "api", 1, 5).await;
    set_desired_count(&sdk, "prod", "api", 3).await;
    let before = memory(&sdk, "api").await;
    let report = function.invoke(&reconcile).expect_ok();
    assert_eq!(report["summary"]["drift"], 1, "{report}");
    assert_eq!(prod_service_line(&report, "worker")["outcome"], "unchanged");
    assert_eq!(service_state(&sdk, "prod", "api").await, (Some((0, 0)), 0));
    assert_eq!(
        memory(&sdk, "api").await,
        before,
        "the night's memory is kept"
    );

    // Last night's scale-in delivered now, after this morning's scale-out would have come, is
    // stale; delivered in its window it acts (here: nothing left to do).
    let morning = config(
        at - TimeDelta::hours(2),
        at - TimeDelta::hours(4),
        API_AND_WORKER,
    );
    write_config(dir.path(), &morning);
    worktime(
        dir.path(),
        &moto.env(),
        &["deploy", "--yes", "--artifact", BOOTSTRAPPED_ZIP],
    )
    .expect_code(0);
    let mut function = FunctionRuntime::deployed(&sdk, "wt-scaler", moto.env()).await;
    let last_night = deployed_rule_payload(&sdk, "wt-scale-in", at - TimeDelta::hours(4))
        .await
        .unwrap();
    let report = function.invoke(&last_night).expect_ok();
    assert_eq!(report["summary"]["stale"], 2, "{report}");
    assert!(
        prod_service_line(&report, "api")["reason"]
            .as_str()
            .is_some_and(|r| r.contains("the schedule's next scale-out")),
        "{report}"
    );

    // It is day now (the stack redeployed with this morning's scale-out two hours ago), and
    // both services were scaled in last night. The reconcile writes nothing in the day, but a
    // service still scaled in since before the morning is not ready: the run fails.
    let last_night = (at - TimeDelta::hours(10)).format("%Y-%m-%dT%H:%M:%SZ");
    tag_service(
        &sdk,
        "prod",
        "api",
        "worktime:capacity",
        &format!("1/3@2 down {last_night}"),
    )
    .await;
    tag_service(
        &sdk,
        "prod",
        "worker",
        "worktime:capacity",
        &format!("2/6@4 down {last_night}"),
    )
    .await;
    let reconcile = deployed_rule_payload(&sdk, "wt-reconcile", now())
        .await
        .unwrap();
    let error = function.invoke(&reconcile).expect_err();
    let message = error["errorMessage"].as_str().unwrap_or_default();
    assert!(
        message.contains("service/prod/api") && message.contains("not restored"),
        "{error}"
    );
    assert_eq!(service_state(&sdk, "prod", "api").await, (Some((0, 0)), 0));

    // The scale-out, delivered two hours late in the working day, still acts.
    let late_morning = deployed_rule_payload(&sdk, "wt-scale-out", at - TimeDelta::hours(2))
        .await
        .unwrap();
    let report = function.invoke(&late_morning).expect_ok();
    assert_eq!(report["summary"]["changed"], 2, "{report}");
    assert_eq!(service_state(&sdk, "prod", "api").await, (Some((1, 3)), 2));
    assert_eq!(
        service_state(&sdk, "prod", "worker").await,
        (Some((2, 6)), 4)
    );
    assert!(memory(&sdk, "worker").await.starts_with("2/6@4 up "));

    // Now the day belongs to the team: the reconcile and a repeated delivery change nothing.
    set_desired_count(&sdk, "prod", "worker", 5).await;
    let report = function.invoke(&reconcile).expect_ok();
    assert_eq!(report["summary"]["unchanged"], 2, "{report}");
    let report = function.invoke(&late_morning).expect_ok();
    assert_eq!(report["summary"]["unchanged"], 2, "{report}");
    assert_eq!(
        service_state(&sdk, "prod", "worker").await,
        (Some((2, 6)), 5)
    );
}

#[tokio::test]
async fn a_scale_out_stopped_half_way_is_finished_by_its_retry() {
    let moto = Moto::start_in(REGION);
    let sdk = moto.sdk().await;
    create_services(&sdk, "prod", &[("api", 2), ("worker", 4)]).await;
    register_target(&sdk, "prod", "api", 1, 3).await;
    register_target(&sdk, "prod", "worker", 2, 6).await;
    let at = now();
    let _dir = bootstrapped(
        &moto,
        &config(
            at + TimeDelta::hours(6),
            at - TimeDelta::hours(1),
            API_AND_WORKER,
        ),
    );
    let mut function = FunctionRuntime::deployed(&sdk, "wt-scaler", moto.env()).await;
    let evening = deployed_rule_payload(&sdk, "wt-scale-in", at - TimeDelta::hours(1))
        .await
        .unwrap();
    function.invoke(&evening).expect_ok();
    assert_eq!(
        service_state(&sdk, "prod", "worker").await,
        (Some((0, 0)), 0)
    );

    // A scale-out that stopped after its first write (the bounds): Application Auto Scaling
    // moved the desired count to the new minimum, 2, and the run ended there.
    register_target(&sdk, "prod", "worker", 2, 6).await;
    assert_eq!(
        service_state(&sdk, "prod", "worker").await,
        (Some((2, 6)), 2)
    );

    // Lambda retries the delivery: the capacity is still owed, so the retry finishes the job
    // (4 tasks, as in the day) instead of calling 2 "already out".
    let mut morning = deployed_rule_payload(&sdk, "wt-scale-out", at)
        .await
        .unwrap();
    // Scheduled now, after the scale-in it undoes (the deployed cron fires in six hours): it
    // acts until the next scale-in.
    morning["scheduled_time"] = json!(Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string());
    let report = function.invoke(&morning).expect_ok();
    assert_eq!(
        prod_service_line(&report, "worker")["outcome"],
        "changed",
        "{report}"
    );
    assert_eq!(
        service_state(&sdk, "prod", "worker").await,
        (Some((2, 6)), 4)
    );
    assert_eq!(service_state(&sdk, "prod", "api").await, (Some((1, 3)), 2));
    assert!(memory(&sdk, "worker").await.starts_with("2/6@4 up "));

    // Retried once more: done is done.
    let report = function.invoke(&morning).expect_ok();
    assert_eq!(report["summary"]["unchanged"], 2, "{report}");
}

#[tokio::test]
async fn a_service_whose_tasks_do_not_start_fails_the_reconcile_with_ecs_reason() {
    let moto = Moto::start_in(REGION);
    let sdk = moto.sdk().await;
    create_services(&sdk, "prod", &[("api", 1), ("worker", 1)]).await;
    register_target(&sdk, "prod", "api", 1, 3).await;
    let at = now();
    let _dir = bootstrapped(
        &moto,
        &config(
            at - TimeDelta::hours(2),
            at + TimeDelta::hours(6),
            API_AND_WORKER,
        ),
    );
    let mut function = FunctionRuntime::deployed(&sdk, "wt-scaler", moto.env()).await;
    let reconcile = deployed_rule_payload(&sdk, "wt-reconcile", at)
        .await
        .unwrap();

    // Both run what they should: the day's reconcile is quiet.
    let report = function.invoke(&reconcile).expect_ok();
    assert_eq!(report["summary"]["unchanged"], 2, "{report}");

    // api's new tasks cannot be placed; half an hour later it still runs 1 of 2.
    let reason = "(service api) was unable to place a task because no container instance met \
                  all of its requirements.";
    moto.model_ecs_service("prod", "api", json!({ "start_failure": reason }));
    set_desired_count(&sdk, "prod", "api", 2).await;
    let state = moto.model_ecs_service("prod", "api", json!({ "deployment_age_seconds": 1800 }));
    assert_eq!(state["runningCount"], 1, "{state}");

    let error = function.invoke(&reconcile).expect_err();
    let message = error["errorMessage"].as_str().unwrap_or_default();
    assert!(message.contains("service/prod/api"), "{error}");
    assert!(message.contains("running 1 of 2"), "{error}");
    assert!(message.contains(reason), "{error}");
    assert!(!message.contains("service/prod/worker"), "{error}");
    // Nothing was written: the team's service is as it was.
    assert_eq!(service_state(&sdk, "prod", "api").await, (Some((1, 3)), 2));
}

/// The night and the day of `RESTORABLE`'s services, as an uninterrupted run leaves them.
async fn assert_night(sdk: &aws_config::SdkConfig, context: &str) {
    for (name, remembered) in [("api", "1/3@2"), ("worker", "2/6@4"), ("cron", "none@1")] {
        assert_eq!(
            service_state(sdk, "prod", name).await,
            (Some((0, 0)), 0),
            "{name} {context}"
        );
        let tag = memory(sdk, name).await;
        assert!(
            tag.starts_with(&format!("{remembered} down ")),
            "{name} {context}: {tag}"
        );
    }
}

async fn assert_day(sdk: &aws_config::SdkConfig, context: &str) {
    for (name, state, remembered) in [
        ("api", (Some((1, 3)), 2), "1/3@2"),
        ("worker", (Some((2, 6)), 4), "2/6@4"),
        ("cron", (None, 1), "none@1"),
    ] {
        assert_eq!(
            service_state(sdk, "prod", name).await,
            state,
            "{name} {context}"
        );
        let tag = memory(sdk, name).await;
        assert!(
            tag.starts_with(&format!("{remembered} up ")),
            "{name} {context}: {tag}"
        );
    }
}

/// api declares 1/3; worker (a scalable target of its own) and cron (none) are restored.
const RESTORABLE: &str = r#"
[[services]]
cluster = "prod"
service = "api"
min = 1
max = 3

[[services]]
cluster = "prod"
service = "worker"

[[services]]
cluster = "prod"
service = "cron"
"#;

/// Nine writes each way: three services × (memory, bounds, desired count) going down, and
/// (bounds, desired count, restored mark) going up.
const WRITES_PER_RUN: u64 = 9;

#[tokio::test]
async fn a_run_stopped_after_any_write_or_throttled_ends_as_an_uninterrupted_one_when_retried() {
    let moto = Moto::start_in(REGION);
    let sdk = moto.sdk().await;
    create_services(&sdk, "prod", &[("api", 2), ("worker", 4), ("cron", 1)]).await;
    register_target(&sdk, "prod", "api", 1, 3).await;
    register_target(&sdk, "prod", "worker", 2, 6).await;
    let at = now();
    let _dir = bootstrapped(
        &moto,
        &config(
            at + TimeDelta::hours(6),
            at - TimeDelta::hours(1),
            RESTORABLE,
        ),
    );
    let mut function = FunctionRuntime::deployed(&sdk, "wt-scaler", moto.env()).await;
    let evening = deployed_rule_payload(&sdk, "wt-scale-in", at - TimeDelta::hours(1))
        .await
        .unwrap();
    let morning = || {
        let mut payload = evening.clone();
        payload["action"] = json!("scale-out");
        // Scheduled now, after the scale-in it undoes.
        payload["scheduled_time"] = json!(Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string());
        payload
    };

    // Each run stops after its first N writes (the rest denied, as a timeout or crash would
    // end it); Lambda's retry then runs the same event on what is left.
    for stop_after in 0..WRITES_PER_RUN {
        moto.model_faults(Some(json!({ "deny_writes_after": stop_after })));
        function.invoke(&evening).expect_err();
        moto.model_faults(Some(json!({})));
        function.invoke(&evening).expect_ok();
        assert_night(
            &sdk,
            &format!("after a scale-in stopped at write {stop_after}"),
        )
        .await;

        let payload = morning();
        moto.model_faults(Some(json!({ "deny_writes_after": stop_after })));
        function.invoke(&payload).expect_err();
        moto.model_faults(Some(json!({})));
        function.invoke(&payload).expect_ok();
        assert_day(
            &sdk,
            &format!("after a scale-out stopped at write {stop_after}"),
        )
        .await;
    }

    // A third of the calls throttled: the SDK retries them, and an invocation that still
    // fails is retried whole, until each run is through.
    for night in [true, false] {
        // The morning is scheduled after the evening's run has written its marks: a scale-in
        // later than a scale-out's time stands against it.
        let payload = if night { evening.clone() } else { morning() };
        moto.model_faults(Some(json!({ "throttle_share": 0.35, "seed": 17 })));
        let mut attempts = 0;
        loop {
            attempts += 1;
            if function.invoke(&payload).result.is_ok() {
                break;
            }
            assert!(attempts < 10, "still failing after {attempts} attempts");
        }
        let counts = moto.model_faults(None);
        assert!(counts["throttled"].as_u64() > Some(0), "{counts}");
        moto.model_faults(Some(json!({})));
        if night {
            assert_night(&sdk, "after throttled runs").await;
        } else {
            assert_day(&sdk, "after throttled runs").await;
        }
    }
}
