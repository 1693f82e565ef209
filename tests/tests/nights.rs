//! A night and a morning as AWS would run them: the stack deployed by `worktime bootstrap`,
//! each trigger's payload built from what the stack created (the rule's input transformer
//! applied to the scheduled event; the schedule's context attributes substituted), delivered
//! to the built `bootstrap` under the harness's Lambda Runtime API with the deployed
//! function's own environment, and every effect read back through ECS and Application Auto
//! Scaling on the project's extended moto.

use aws_config::SdkConfig;
use chrono::{DateTime, SubsecRound, TimeDelta, Utc};
use serde_json::{json, Value};
use worktime_e2e::triggers::{deployed_rule_payload, scheduler_input, SchedulerContext};
use worktime_e2e::*;

const REGION: &str = "ap-northeast-2";

/// api and batch declare their bounds (batch may go to 0 in the day); worker and cron are in
/// restore mode (worker has a scalable target of its own, cron none).
const SERVICES: &str = r#"
[[services]]
cluster = "prod"
service = "api"
min = 1
max = 3

[[services]]
cluster = "prod"
service = "batch"
min = 0
max = 4

[[services]]
cluster = "prod"
service = "worker"

[[services]]
cluster = "prod"
service = "cron"
"#;

fn config(trigger: &str) -> String {
    format!(
        r#"
[stack]
name = "wt"
region = "{REGION}"

[schedule]
timezone = "Asia/Seoul"
scale_out = "cron(0 9 ? * MON-FRI *)"
scale_in = "cron(0 19 ? * MON-FRI *)"
trigger = "{trigger}"
skip_dates = ["2026-12-25"]
{SERVICES}"#
    )
}

/// The team's services as they run in the day, plus one worktime was not told about.
async fn day_state(sdk: &SdkConfig) {
    create_services(
        sdk,
        "prod",
        &[
            ("api", 2),
            ("batch", 2),
            ("worker", 4),
            ("cron", 1),
            ("intruder", 2),
        ],
    )
    .await;
    register_target(sdk, "prod", "api", 1, 3).await;
    register_target(sdk, "prod", "worker", 2, 6).await;
}

/// The team's day, the stack bootstrapped with rules, and its deployed function.
async fn day_with_rules() -> (Moto, SdkConfig, FunctionRuntime) {
    let moto = Moto::start_in(REGION);
    let sdk = moto.sdk().await;
    day_state(&sdk).await;
    let _dir = bootstrapped(&moto, &config("rules"));
    let function = deployed_function(&moto, &sdk).await;
    (moto, sdk, function)
}

/// The deployed function: the built `bootstrap` with the environment the stack gave it.
async fn deployed_function(moto: &Moto, sdk: &SdkConfig) -> FunctionRuntime {
    FunctionRuntime::deployed(sdk, "wt-scaler", moto.env()).await
}

fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(0)
}

#[tokio::test]
async fn a_night_and_a_morning_through_the_deployed_rules() {
    // The server lives as long as `_moto`.
    let (_moto, sdk, mut function) = day_with_rules().await;

    // Evening: the scale-in rule fires. No service keeps a task, whatever its bounds were.
    let evening = now() - TimeDelta::minutes(1);
    let payload = deployed_rule_payload(&sdk, "wt-scale-in", evening)
        .await
        .unwrap();
    assert_eq!(
        payload["scheduled_time"],
        evening.format("%Y-%m-%dT%H:%M:%SZ").to_string()
    );
    let report = function.invoke(&payload).expect_ok();
    assert_eq!(report["summary"]["changed"], 4, "{report}");
    for name in ["api", "batch", "worker", "cron"] {
        assert_eq!(
            service_state(&sdk, "prod", name).await,
            (Some((0, 0)), 0),
            "{name}: {report}"
        );
    }
    assert_eq!(prod_service_line(&report, "worker")["desired_before"], 4);
    assert_eq!(prod_service_line(&report, "worker")["desired_after"], 0);
    assert_eq!(
        remembered_capacity(&sdk, "prod", "worker").await.as_deref(),
        Some("2/6@4")
    );
    assert_eq!(
        remembered_capacity(&sdk, "prod", "cron").await.as_deref(),
        Some("none@1"),
        "cron had no scalable target: that is remembered too"
    );
    // The service worktime was not told about runs on.
    assert_eq!(service_state(&sdk, "prod", "intruder").await, (None, 2));

    // At night a deploy sets api to 3 tasks; the repeated scale-in delivery takes them away
    // again and keeps what api had in the day.
    set_desired_count(&sdk, "prod", "api", 3).await;
    let report = function.invoke(&payload).expect_ok();
    assert_eq!(report["summary"]["changed"], 1, "{report}");
    assert_eq!(prod_service_line(&report, "api")["outcome"], "changed");
    assert_eq!(prod_service_line(&report, "api")["desired_before"], 3);
    assert_eq!(prod_service_line(&report, "worker")["outcome"], "unchanged");
    assert_eq!(service_state(&sdk, "prod", "api").await, (Some((0, 0)), 0));

    // Morning: the scale-out rule fires. Each service is back as it was in the day: bounds and
    // tasks, the min = 0 service with its tasks, cron with no scalable target.
    let morning = now();
    let payload = deployed_rule_payload(&sdk, "wt-scale-out", morning)
        .await
        .unwrap();
    let report = function.invoke(&payload).expect_ok();
    assert_eq!(report["summary"]["changed"], 4, "{report}");
    assert_eq!(
        service_state(&sdk, "prod", "api").await,
        (Some((1, 3)), 2),
        "{report}"
    );
    assert_eq!(
        service_state(&sdk, "prod", "batch").await,
        (Some((0, 4)), 2),
        "{report}"
    );
    assert_eq!(
        service_state(&sdk, "prod", "worker").await,
        (Some((2, 6)), 4),
        "{report}"
    );
    assert_eq!(
        service_state(&sdk, "prod", "cron").await,
        (None, 1),
        "{report}"
    );
    assert_eq!(service_state(&sdk, "prod", "intruder").await, (None, 2));

    // The same morning delivery again: nothing to do, the day's scaling is not fought.
    let report = function.invoke(&payload).expect_ok();
    assert_eq!(report["summary"]["changed"], 0, "{report}");
}

#[tokio::test]
async fn late_foreign_and_tampered_deliveries_change_nothing_of_theirs() {
    // The server lives as long as `_moto`.
    let (_moto, sdk, mut function) = day_with_rules().await;

    // An evening's scale-in delivered after the next morning's scale-out (a week late here,
    // whatever the hour the test runs at): stale, nothing read or changed, and not an error.
    let late = now() - TimeDelta::days(7);
    let payload = deployed_rule_payload(&sdk, "wt-scale-in", late)
        .await
        .unwrap();
    let report = function.invoke(&payload).expect_ok();
    assert_eq!(report["summary"]["stale"], 4, "{report}");
    assert!(
        prod_service_line(&report, "api")["reason"]
            .as_str()
            .is_some_and(|r| r.contains("the schedule's next scale-out")),
        "{report}"
    );
    assert_eq!(service_state(&sdk, "prod", "api").await, (Some((1, 3)), 2));
    assert_eq!(
        service_state(&sdk, "prod", "worker").await,
        (Some((2, 6)), 4)
    );

    // A payload that also names a service of the cluster the stack was not given: refused,
    // untouched, and the invocation fails (so the error alarm fires); the others scale in.
    let mut payload = deployed_rule_payload(&sdk, "wt-scale-in", now())
        .await
        .unwrap();
    payload["services"]
        .as_array_mut()
        .unwrap()
        .push(json!({"resource_id": "service/prod/intruder"}));
    let invocation = function.invoke(&payload);
    let error = invocation.expect_err();
    let message = error["errorMessage"].as_str().unwrap_or_default();
    assert!(
        message.contains("service/prod/intruder") && message.contains("WORKTIME_ALLOWED_SERVICES"),
        "{error}"
    );
    assert_eq!(service_state(&sdk, "prod", "intruder").await, (None, 2));
    assert_eq!(service_state(&sdk, "prod", "api").await, (Some((0, 0)), 0));

    // At night someone edits the remembered capacities: an absurd one and a 0/0 "restore".
    tag_service(&sdk, "prod", "worker", "worktime:capacity", "0/999999@1").await;
    tag_service(&sdk, "prod", "cron", "worktime:capacity", "0/0@0").await;
    let payload = deployed_rule_payload(&sdk, "wt-scale-out", now())
        .await
        .unwrap();
    let error = function.invoke(&payload).expect_err();
    assert_eq!(error["errorType"], "ServicesFailed", "{error}");
    let message = error["errorMessage"].as_str().unwrap_or_default();
    assert!(message.contains("2 of 4 services failed"), "{error}");
    assert!(message.contains("0/999999@1"), "names the value: {error}");
    assert!(message.contains("0/0@0"), "names the value: {error}");
    assert!(
        message.contains("worktime:capacity"),
        "names the tag: {error}"
    );
    // Nothing guessed: both stay down; the declared services come back.
    assert_eq!(
        service_state(&sdk, "prod", "worker").await,
        (Some((0, 0)), 0)
    );
    assert_eq!(service_state(&sdk, "prod", "cron").await, (Some((0, 0)), 0));
    assert_eq!(service_state(&sdk, "prod", "api").await, (Some((1, 3)), 2));
    assert_eq!(
        service_state(&sdk, "prod", "batch").await,
        (Some((0, 4)), 2)
    );
}

#[tokio::test]
async fn the_scheduler_schedule_delivers_its_scheduled_time_and_skip_dates_are_local() {
    // No stack is deployed here: the payload comes from the synthesized template, with the
    // context attribute substituted as EventBridge Scheduler documents. (The deployed schedules
    // are read back through GetSchedule in `scheduler_model.rs`.)
    let moto = Moto::start_in(REGION);
    let sdk = moto.sdk().await;
    day_state(&sdk).await;
    let dir = tempfile::tempdir().unwrap();
    // Today in Seoul is a skip date: the scale-out scheduled today (local date) does nothing.
    let scheduled = now() - TimeDelta::minutes(2);
    let seoul_today = scheduled
        .with_timezone(&chrono_tz_seoul())
        .format("%Y-%m-%d")
        .to_string();
    let text = config("scheduler").replace("2026-12-25", &seoul_today);
    write_config(dir.path(), &text);
    let synth = worktime(dir.path(), &moto.env(), &["synth", "--format", "json"]).expect_code(0);
    let template: Value = serde_json::from_str(&synth.stdout).unwrap();
    let resources = &template["Resources"];
    let variables = &resources["Function"]["Properties"]["Environment"]["Variables"];
    let mut env = moto.env();
    for key in ["WORKTIME_TIMEZONE", "WORKTIME_ALLOWED_SERVICES"] {
        env.push((key.into(), variables[key].as_str().unwrap().into()));
    }
    let mut function = FunctionRuntime::start(&env);
    let deliver = |id: &str| {
        let input = resources[id]["Properties"]["Target"]["Input"]
            .as_str()
            .unwrap();
        let context = SchedulerContext::first_attempt(
            &format!("arn:aws:scheduler:{REGION}:123456789012:schedule/default/{id}"),
            scheduled,
        );
        serde_json::from_str::<Value>(&scheduler_input(input, &context)).unwrap()
    };

    let evening = deliver("ScaleInSchedule");
    assert_eq!(
        evening["scheduled_time"],
        scheduled.format("%Y-%m-%dT%H:%M:%SZ").to_string()
    );
    let report = function.invoke(&evening).expect_ok();
    assert_eq!(report["summary"]["changed"], 4, "{report}");

    let morning = deliver("ScaleOutSchedule");
    let report = function.invoke(&morning).expect_ok();
    assert_eq!(report["summary"]["skipped"], 4, "{report}");
    assert_eq!(service_state(&sdk, "prod", "api").await, (Some((0, 0)), 0));
}

fn chrono_tz_seoul() -> chrono::FixedOffset {
    // Asia/Seoul has kept UTC+9 without daylight saving since 1988.
    chrono::FixedOffset::east_opt(9 * 3600).unwrap()
}

#[tokio::test]
async fn a_service_tagged_worktime_exclude_is_never_changed() {
    // The server lives as long as `_moto`.
    let (_moto, sdk, mut function) = day_with_rules().await;
    tag_service(&sdk, "prod", "batch", "worktime:exclude", "release week").await;

    for rule in ["wt-scale-in", "wt-scale-out"] {
        let payload = deployed_rule_payload(&sdk, rule, now()).await.unwrap();
        let report = function.invoke(&payload).expect_ok();
        let batch = prod_service_line(&report, "batch");
        assert_eq!(batch["outcome"], "skipped", "{rule}: {report}");
        assert!(
            batch["reason"]
                .as_str()
                .is_some_and(|r| r.contains("worktime:exclude")),
            "{rule}: {report}"
        );
        assert_eq!(
            service_state(&sdk, "prod", "batch").await,
            (None, 2),
            "{rule}: untouched"
        );
        assert_eq!(
            remembered_capacity(&sdk, "prod", "batch").await,
            None,
            "{rule}: not even remembered"
        );
    }
    // The others scaled in and out as usual.
    assert_eq!(service_state(&sdk, "prod", "api").await, (Some((1, 3)), 2));
}
