//! Waves and the EC2 capacity under the services (issue 19): bad input refused before
//! anything is made.

use super::*;

#[tokio::test]
async fn a_wave_or_wave_timeout_out_of_range_exits_2_naming_the_key_and_creates_nothing() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let zip = function_zip(dir.path(), "fn.zip", None);
    for (from, to, key) in [
        (
            "service = \"api\"",
            "service = \"api\"\nwave = 12",
            "services[0].wave",
        ),
        (
            "trigger = \"rules\"",
            "trigger = \"rules\"\nwave_timeout_minutes = 61",
            "schedule.wave_timeout_minutes",
        ),
    ] {
        let text = config("wt", "rules", TWO_SERVICES);
        assert!(text.contains(from), "{from} in {text}");
        write_config(dir.path(), &text.replacen(from, to, 1));
        let run = worktime(
            dir.path(),
            &moto.env(),
            &["bootstrap", "--yes", "--artifact", zip.to_str().unwrap()],
        )
        .expect_code(2);
        assert!(run.stderr.contains(key), "{key}: {}", run.stderr);
        assert!(run.stderr.contains("Fix: "), "{}", run.stderr);
        assert!(run.stdout.is_empty(), "{}", run.stdout);
    }
    let buckets = moto.s3().await.list_buckets().send().await.unwrap();
    assert!(buckets.buckets().is_empty(), "nothing created");
    let stacks = aws_sdk_cloudformation::Client::new(&moto.sdk().await)
        .list_stacks()
        .send()
        .await
        .unwrap();
    assert!(stacks.stack_summaries().is_empty(), "no stack");
}

/// The built `bootstrap` answers a state machine's steps (the trigger's payload plus
/// `step`), here driven as the machine would: a morning in two waves on the project's model
/// of ECS, where the first wave's tasks take two seconds to start. Wave 1 is not touched until
/// wave 0 runs its tasks; a repeated step (a retry) ends where a single one would.
#[tokio::test]
async fn the_built_function_steps_a_morning_wave_by_wave() {
    let moto = Moto::start();
    let sdk = moto.sdk().await;
    create_services(&sdk, "prod", &[("broker", 0), ("api", 0)]).await;
    register_target(&sdk, "prod", "broker", 0, 0).await;
    register_target(&sdk, "prod", "api", 0, 0).await;
    let down = "down 2026-11-26T10:00:30Z";
    tag_service(
        &sdk,
        "prod",
        "broker",
        "worktime:capacity",
        &format!("1/2@2 {down}"),
    )
    .await;
    tag_service(
        &sdk,
        "prod",
        "api",
        "worktime:capacity",
        &format!("1/3@3 {down}"),
    )
    .await;
    moto.model_ecs_service("prod", "broker", serde_json::json!({"start_seconds": 2}));
    let mut env = moto.env();
    env.push((
        "WORKTIME_ALLOWED_SERVICES".into(),
        "prod/broker,prod/api".into(),
    ));
    let mut function = FunctionRuntime::start(&env);

    let mut payload = serde_json::json!({
        "action": "scale-out",
        "services": [
            {"resource_id": "service/prod/broker"},
            {"resource_id": "service/prod/api", "wave": 1}
        ],
        "timezone": "Asia/Seoul",
        "wave_timeout_minutes": 1,
        "step": {"status": "start"}
    });
    let mut seen = Vec::new();
    for _ in 0..20 {
        let answer = function.invoke(&payload).expect_ok();
        let step = answer["step"].clone();
        let api = service_state(&sdk, "prod", "api").await;
        seen.push((step["wave"].clone(), step["status"].clone(), api));
        if step["wave"] == 0 {
            assert_eq!(api, (Some((0, 0)), 0), "wave 1 waits for wave 0: {seen:?}");
            // A retried step: the same answer, nothing written again.
            let again = function.invoke(&payload).expect_ok();
            if step["status"] == "wait" {
                assert_eq!(again["step"]["status"], "wait", "{again}");
                assert_eq!(again["step"]["started_at"], step["started_at"], "{again}");
            }
        }
        if step["status"] == "done" {
            let finished: Vec<(i64, String)> = step["finished"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| {
                    (
                        r["wave"].as_i64().unwrap(),
                        r["outcome"].as_str().unwrap().to_string(),
                    )
                })
                .collect();
            assert_eq!(
                finished,
                [(0, "ready".into()), (1, "ready".into())],
                "{step}"
            );
            break;
        }
        if step["status"] == "wait" {
            // The machine would wait `wait_seconds`; the model's tasks start in 2 s.
            assert!(step["wait_seconds"].as_u64().unwrap() <= 20, "{step}");
            tokio::time::sleep(std::time::Duration::from_millis(700)).await;
        }
        payload = answer;
    }
    assert_eq!(
        seen.last().map(|s| s.1.clone()),
        Some(serde_json::json!("done")),
        "{seen:?}"
    );
    // The broker's wave waited for its tasks (at least one `wait` before wave 1 began).
    assert!(
        seen.iter()
            .any(|(wave, status, _)| *wave == 0 && status == "wait"),
        "{seen:?}"
    );
    assert_eq!(
        service_state(&sdk, "prod", "broker").await,
        (Some((1, 2)), 2)
    );
    assert_eq!(service_state(&sdk, "prod", "api").await, (Some((1, 3)), 3));
}

const THREE_WAVES: &str = r#"
[[services]]
cluster = "prod"
service = "broker"

[[services]]
cluster = "prod"
service = "api"
wave = 1

[[services]]
cluster = "prod"
service = "web"
wave = 2
"#;

/// A schedule in three waves deploys a Standard state machine whose task is the function,
/// and its scale-in and scale-out rules start it (the reconcile still invokes the function).
#[tokio::test]
async fn a_schedule_in_waves_deploys_a_state_machine_its_triggers_start() {
    let moto = Moto::start();
    let sdk = moto.sdk().await;
    create_services(&sdk, "prod", &[("broker", 1), ("api", 2), ("web", 2)]).await;
    let _dir = bootstrapped(&moto, &config("wt", "rules", THREE_WAVES));
    let sfn = aws_sdk_sfn::Client::new(&sdk);
    let machines = sfn.list_state_machines().send().await.unwrap();
    let names: Vec<&str> = machines.state_machines().iter().map(|m| m.name()).collect();
    assert_eq!(names, ["wt-waves"]);
    let arn = machines.state_machines()[0].state_machine_arn().to_string();
    let machine = sfn
        .describe_state_machine()
        .state_machine_arn(&arn)
        .send()
        .await
        .unwrap();
    let function = aws_sdk_lambda::Client::new(&sdk)
        .get_function_configuration()
        .function_name("wt-scaler")
        .send()
        .await
        .unwrap();
    let definition: serde_json::Value = serde_json::from_str(machine.definition()).unwrap();
    assert_eq!(
        definition["States"]["Step"]["Parameters"]["FunctionName"],
        function.function_arn().unwrap(),
        "the machine's task is this stack's function"
    );
    assert!(
        machine.role_arn().contains("wt-waves-"),
        "{}",
        machine.role_arn()
    );
    let events = aws_sdk_eventbridge::Client::new(&sdk);
    for (rule, target) in [
        ("wt-scale-out", arn.as_str()),
        ("wt-scale-in", arn.as_str()),
        ("wt-reconcile", function.function_arn().unwrap()),
    ] {
        let targets = events
            .list_targets_by_rule()
            .rule(rule)
            .send()
            .await
            .unwrap();
        assert_eq!(targets.targets()[0].arn(), target, "{rule}");
    }
}
