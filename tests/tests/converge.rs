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
