//! Hold and wake (issue 10, part 4) as they run for real: `worktime hold` and `worktime wake`
//! against the project's extended moto, then the scale-in trigger's payload built from the
//! deployed rule and delivered to the built `bootstrap` under the harness's Runtime API, every
//! effect read back through ECS and Application Auto Scaling.

use aws_config::SdkConfig;
use chrono::{DateTime, SubsecRound, TimeDelta, Utc};
use serde_json::Value;
use worktime_e2e::triggers::deployed_rule_payload;
use worktime_e2e::*;

const REGION: &str = "ap-northeast-2";
const HOLD_TAG: &str = "worktime:hold-until";

/// api declares its bounds, worker is in restore mode; `extra` adds entries.
fn config(extra: &str) -> String {
    format!(
        r#"
[stack]
name = "wt"
region = "{REGION}"

[schedule]
timezone = "Asia/Seoul"
scale_out = "cron(0 9 ? * MON-FRI *)"
scale_in = "cron(0 19 ? * MON-FRI *)"
trigger = "rules"

[[services]]
cluster = "prod"
service = "api"
min = 1
max = 3

[[services]]
cluster = "prod"
service = "worker"
{extra}"#
    )
}

/// The day: api 1/3 with 2 tasks, worker 2/6 with 4, and a service worktime does not manage.
async fn day_state(sdk: &SdkConfig) {
    create_services(sdk, "prod", &[("api", 2), ("worker", 4), ("intruder", 1)]).await;
    register_target(sdk, "prod", "api", 1, 3).await;
    register_target(sdk, "prod", "worker", 2, 6).await;
}

/// The day, the stack bootstrapped with rules, its deployed function, and the config's dir.
async fn deployed_day() -> (Moto, SdkConfig, FunctionRuntime, tempfile::TempDir) {
    deployed_day_on(Moto::start_in(REGION)).await
}

/// [`deployed_day`] on a given server (one that records its requests, say).
async fn deployed_day_on(moto: Moto) -> (Moto, SdkConfig, FunctionRuntime, tempfile::TempDir) {
    let sdk = moto.sdk().await;
    day_state(&sdk).await;
    let dir = bootstrapped(&moto, &config(""));
    let configuration = aws_sdk_lambda::Client::new(&sdk)
        .get_function_configuration()
        .function_name("wt-scaler")
        .send()
        .await
        .expect("the stack created the function");
    let mut env = moto.env();
    env.extend(
        configuration
            .environment()
            .and_then(|e| e.variables())
            .expect("the function has an environment")
            .iter()
            .map(|(k, v)| (k.clone(), v.clone())),
    );
    let function = FunctionRuntime::start(&env);
    (moto, sdk, function, dir)
}

fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(0)
}

/// The scale-in rule's delivery for a trigger that fired a minute ago, run by the function.
async fn scale_in(sdk: &SdkConfig, function: &mut FunctionRuntime) -> Value {
    let payload = deployed_rule_payload(sdk, "wt-scale-in", now() - TimeDelta::minutes(1))
        .await
        .unwrap();
    function.invoke(&payload).expect_ok()
}

fn reason(line: &Value) -> &str {
    line["reason"].as_str().unwrap_or_default()
}

/// The hold tag's instant, if the service has one.
async fn hold_tag(sdk: &SdkConfig, name: &str) -> Option<DateTime<Utc>> {
    service_tag(sdk, "prod", name, HOLD_TAG).await.map(|value| {
        DateTime::parse_from_rfc3339(&value)
            .unwrap_or_else(|e| panic!("{HOLD_TAG} = {value:?}: {e}"))
            .with_timezone(&Utc)
    })
}

#[tokio::test]
async fn a_hold_keeps_a_service_up_through_scale_in_until_cleared_and_an_ended_one_is_removed() {
    // The server lives as long as `_moto`.
    let (_moto, sdk, mut function, dir) = deployed_day().await;
    let env = _moto.env();

    let before = now();
    let run = worktime(
        dir.path(),
        &env,
        &["--output", "json", "hold", "prod/api", "--for", "3h"],
    )
    .expect_code(0);
    let line = &run.json()["services"][0];
    assert_eq!(line["service"], "prod/api", "{}", run.stdout);
    assert_eq!(line["outcome"], "held", "{}", run.stdout);
    assert_eq!(line["zone"], "Asia/Seoul", "{}", run.stdout);
    let until = hold_tag(&sdk, "api").await.expect("api is held");
    assert_eq!(
        line["until"],
        until.format("%Y-%m-%dT%H:%M:%SZ").to_string()
    );
    assert!(
        until >= before + TimeDelta::hours(3)
            && until <= now() + TimeDelta::hours(3) + TimeDelta::minutes(1),
        "{until}"
    );
    // worker's hold ended an hour ago (set by hand): ignored, and removed at the next run.
    let ended = (now() - TimeDelta::hours(1))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    tag_service(&sdk, "prod", "worker", HOLD_TAG, &ended).await;

    let report = scale_in(&sdk, &mut function).await;
    assert_eq!(report["summary"]["held"], 1, "{report}");
    assert_eq!(report["summary"]["changed"], 1, "{report}");
    let api = prod_service_line(&report, "api");
    assert_eq!(api["outcome"], "held", "{report}");
    assert!(
        reason(api).contains(&format!(
            "held until {}",
            until.format("%Y-%m-%dT%H:%M:%SZ")
        )),
        "{report}"
    );
    assert_eq!(
        service_state(&sdk, "prod", "api").await,
        (Some((1, 3)), 2),
        "held: as it was"
    );
    assert_eq!(
        remembered_capacity(&sdk, "prod", "api").await,
        None,
        "a held service is not even remembered"
    );
    let worker = prod_service_line(&report, "worker");
    assert_eq!(worker["outcome"], "changed", "{report}");
    assert!(reason(worker).contains("removed"), "{report}");
    assert_eq!(
        service_state(&sdk, "prod", "worker").await,
        (Some((0, 0)), 0)
    );
    assert_eq!(
        hold_tag(&sdk, "worker").await,
        None,
        "the ended hold is gone"
    );

    // --clear: the next scale-in takes api down.
    let run = worktime(dir.path(), &env, &["hold", "prod/api", "--clear"]).expect_code(0);
    assert!(
        run.stdout.contains("prod/api  hold cleared"),
        "{}",
        run.stdout
    );
    assert_eq!(hold_tag(&sdk, "api").await, None);
    let report = scale_in(&sdk, &mut function).await;
    assert_eq!(
        prod_service_line(&report, "api")["outcome"],
        "changed",
        "{report}"
    );
    assert_eq!(report["summary"]["held"], 0, "{report}");
    assert_eq!(service_state(&sdk, "prod", "api").await, (Some((0, 0)), 0));
}

#[tokio::test]
async fn wake_brings_a_service_up_now_and_scale_in_leaves_it_up_during_the_wake() {
    // The server records every request, in the order it receives them.
    let (moto, sdk, mut function, dir) = deployed_day_on(Moto::start_recording(REGION)).await;
    let env = moto.env();
    scale_in(&sdk, &mut function).await;
    assert_eq!(service_state(&sdk, "prod", "api").await, (Some((0, 0)), 0));

    // A hold on a service that is down would leave it down while saying "held until":
    // refused, exit 1, nothing written, `wake` named as the fix.
    let run = worktime(dir.path(), &env, &["hold", "prod/api", "--for", "3h"]).expect_code(1);
    for needle in [
        "prod/api (bounds 0/0, desired 0)",
        "already down",
        "nothing was changed",
        "worktime wake prod/api",
    ] {
        assert!(
            run.stderr.contains(needle),
            "{needle:?} not in {}",
            run.stderr
        );
    }
    assert!(!run.stdout.contains("held until"), "{}", run.stdout);
    assert_eq!(hold_tag(&sdk, "api").await, None, "nothing written");
    // Both down (worker too): both named, one `wake` for both, nothing written.
    let run = worktime(
        dir.path(),
        &env,
        &["hold", "prod/worker", "prod/api", "--for", "1h"],
    )
    .expect_code(1);
    assert!(
        run.stderr.contains("worktime wake prod/worker prod/api"),
        "{}",
        run.stderr
    );
    assert_eq!(hold_tag(&sdk, "api").await, None);
    assert_eq!(hold_tag(&sdk, "worker").await, None);

    let before = now();
    let calls_before = moto.recorded_operations().len();
    let run = worktime(dir.path(), &env, &["wake", "prod/api"]).expect_code(0);
    // The hold is written before the service is scaled out: a scale-in arriving in between
    // finds it held.
    let calls = moto.recorded_operations()[calls_before..].to_vec();
    let position = |operation: &str| {
        calls
            .iter()
            .position(|c| c == operation)
            .unwrap_or_else(|| panic!("no {operation} in wake's calls: {calls:?}"))
    };
    let held = position("ecs:TagResource");
    for scale_out in [
        "application-autoscaling:RegisterScalableTarget",
        "ecs:UpdateService",
    ] {
        assert!(
            held < position(scale_out),
            "{scale_out} before the hold: {calls:?}"
        );
    }
    assert!(
        run.stdout
            .contains("prod/api  scale-out changed (bounds 0/0 -> 1/3, desired 0 -> 2)"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("held until") && run.stdout.contains("(Asia/Seoul) / "),
        "{}",
        run.stdout
    );
    // Up now with its declared bounds and the tasks it had in the day; held for 2 hours.
    assert_eq!(service_state(&sdk, "prod", "api").await, (Some((1, 3)), 2));
    let until = hold_tag(&sdk, "api").await.expect("api is held");
    assert!(
        until >= before + TimeDelta::hours(2)
            && until <= now() + TimeDelta::hours(2) + TimeDelta::minutes(1),
        "{until}"
    );
    assert_eq!(
        service_state(&sdk, "prod", "worker").await,
        (Some((0, 0)), 0),
        "not woken"
    );

    // The evening's trigger delivered again during the wake: api stays up.
    let report = scale_in(&sdk, &mut function).await;
    assert_eq!(
        prod_service_line(&report, "api")["outcome"],
        "held",
        "{report}"
    );
    assert_eq!(
        prod_service_line(&report, "worker")["outcome"],
        "unchanged",
        "{report}"
    );
    assert_eq!(service_state(&sdk, "prod", "api").await, (Some((1, 3)), 2));

    // Waking worker (restore mode) as JSON: its remembered capacity, typed lines.
    let run = worktime(
        dir.path(),
        &env,
        &["--output", "json", "wake", "prod/worker", "--for", "30m"],
    )
    .expect_code(0);
    let json = run.json();
    assert_eq!(json["duration"], "30m", "{json}");
    let line = &json["services"][0];
    assert_eq!(line["scale_out"]["outcome"], "changed", "{json}");
    assert_eq!(line["scale_out"]["after"]["max"], 6, "{json}");
    assert_eq!(line["hold"]["outcome"], "held", "{json}");
    assert_eq!(
        service_state(&sdk, "prod", "worker").await,
        (Some((2, 6)), 4)
    );
}

#[tokio::test]
async fn bad_hold_and_wake_input_exits_2_and_a_missing_service_stops_everything() {
    // No stack needed: hold and wake act on the services themselves.
    let moto = Moto::start_in(REGION);
    let sdk = moto.sdk().await;
    day_state(&sdk).await;
    let dir = tempfile::tempdir().unwrap();
    // ghost is managed but does not exist in ECS.
    write_config(
        dir.path(),
        &config("\n[[services]]\ncluster = \"prod\"\nservice = \"ghost\"\n"),
    );
    let env = moto.env();

    for (args, needles) in [
        (
            &["hold", "prod/intruder", "--for", "3h"][..],
            &["\"prod/intruder\"", "does not manage", "[[services]]"][..],
        ),
        (
            &["wake", "prod/intruder"],
            &["\"prod/intruder\"", "does not manage"],
        ),
        (
            &["hold", "api", "--for", "3h"],
            &["\"api\"", "CLUSTER/SERVICE"],
        ),
        (
            &["hold", "prod/api", "--until", "2020-01-01 09:00"],
            &["--until \"2020-01-01 09:00\" (Asia/Seoul) is not in the future"],
        ),
        (
            &["hold", "prod/api", "--until", "tomorrow"],
            &["--until", "YYYY-MM-DD HH:MM"],
        ),
        (
            &["hold", "prod/api", "--for", "0m"],
            &["--for", "\"0m\" is zero", "90m, 3h, 1d"],
        ),
        (
            &["hold", "prod/api", "--for", "3x"],
            &["--for", "\"3x\"", "90m, 3h, 1d"],
        ),
        (&["wake", "prod/api", "--for=-2h"], &["--for", "negative"]),
        (&["wake", "prod/api", "--for", "31d"], &["--for", "30 days"]),
        (&["hold", "prod/api"], &["--for", "--until", "--clear"]),
        (
            &["hold", "prod/api", "--for", "3h", "--clear"],
            &["--clear", "cannot be used"],
        ),
    ] {
        let run = worktime(dir.path(), &env, args).expect_code(2);
        for needle in needles {
            assert!(
                run.stderr.contains(needle),
                "{args:?}: {needle:?} not in {}",
                run.stderr
            );
        }
    }
    // A managed service ECS does not know: named, exit 1, and api not held either.
    let run = worktime(
        dir.path(),
        &env,
        &["hold", "prod/api", "prod/ghost", "--for", "3h"],
    )
    .expect_code(1);
    assert!(
        run.stderr.contains("ECS does not know prod/ghost")
            && run.stderr.contains("nothing was changed"),
        "{}",
        run.stderr
    );
    let run = worktime(dir.path(), &env, &["wake", "prod/api", "prod/ghost"]).expect_code(1);
    assert!(run.stderr.contains("prod/ghost"), "{}", run.stderr);

    // Nothing changed anywhere.
    for name in ["api", "worker", "intruder"] {
        assert_eq!(hold_tag(&sdk, name).await, None, "{name}");
    }
    assert_eq!(service_state(&sdk, "prod", "api").await, (Some((1, 3)), 2));
    assert_eq!(
        service_state(&sdk, "prod", "worker").await,
        (Some((2, 6)), 4)
    );
    assert_eq!(service_state(&sdk, "prod", "intruder").await, (None, 1));
}
