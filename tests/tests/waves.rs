//! Waves and the EC2 capacity under the services (issue 19): bad input refused before
//! anything is made; the built function stepping waves and the capacity stage; the deployed
//! state machine running nights and mornings in waves, with a `[[capacity]]` group that
//! follows its services (on the AWS model's container instances, `ecs_container_instances.py`);
//! teardown and `report` for groups.

use super::*;
use worktime_e2e::balancers::{
    create_balanced_service, create_balancer, create_listener, create_target_group, default_subnets,
};

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
        // What the machine's first state writes: the execution's start time.
        "step": {"status": "start", "started_at": chrono::Utc::now().to_rfc3339()}
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

// ------------------------------------------------- through the deployed state machine

use chrono::{DateTime, DurationRound, TimeDelta, Timelike, Utc};
use worktime_e2e::triggers::deployed_rule_payload;

/// A daily cron firing at `at`, in Seoul local time (UTC+9 all year).
fn daily(at: DateTime<Utc>) -> String {
    let local = at + TimeDelta::hours(9);
    format!("cron({} {} ? * * *)", local.minute(), local.hour())
}

/// The stack `wt` on rules, whose scale-out fired an hour ago and scale-in comes in six hours
/// (so a scale-out delivered now acts, and so does a scale-in scheduled for now).
fn waves_config(services: &str, extra: &str) -> String {
    let at = Utc::now().duration_trunc(TimeDelta::minutes(1)).unwrap();
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
{extra}
{services}"#,
        daily(at - TimeDelta::hours(1)),
        daily(at + TimeDelta::hours(6)),
    )
}

/// What EventBridge does when the deployed rule fires at `time` and its target is a state
/// machine: `StartExecution` with the rule's payload as input. The execution's ARN.
async fn fire_rule(sdk: &aws_config::SdkConfig, rule: &str, time: DateTime<Utc>) -> String {
    let events = aws_sdk_eventbridge::Client::new(sdk);
    let targets = events
        .list_targets_by_rule()
        .rule(rule)
        .send()
        .await
        .unwrap();
    let machine = targets.targets()[0].arn().to_string();
    assert!(
        machine.contains(":stateMachine:"),
        "{rule} starts {machine}"
    );
    let payload = deployed_rule_payload(sdk, rule, time).await.unwrap();
    aws_sdk_sfn::Client::new(sdk)
        .start_execution()
        .state_machine_arn(machine)
        .input(payload.to_string())
        .send()
        .await
        .unwrap()
        .execution_arn()
        .to_string()
}

/// The execution once it has ended (status, output or error and cause).
async fn ended(
    sdk: &aws_config::SdkConfig,
    execution: &str,
    within: std::time::Duration,
) -> aws_sdk_sfn::operation::describe_execution::DescribeExecutionOutput {
    let sfn = aws_sdk_sfn::Client::new(sdk);
    let give_up = std::time::Instant::now() + within;
    loop {
        let described = sfn
            .describe_execution()
            .execution_arn(execution)
            .send()
            .await
            .unwrap();
        if described.status().as_str() != "RUNNING" {
            return described;
        }
        assert!(
            std::time::Instant::now() < give_up,
            "{execution} still running after {within:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
}

/// The instant in a `worktime:capacity` tag (`... down 2026-...Z` / `... up ...`).
async fn marked_at(sdk: &aws_config::SdkConfig, service: &str, mark: &str) -> DateTime<Utc> {
    let tag = service_tag(sdk, "prod", service, "worktime:capacity")
        .await
        .unwrap_or_default();
    let (_, at) = tag
        .split_once(&format!(" {mark} "))
        .unwrap_or_else(|| panic!("{service}: {tag:?} is not marked {mark}"));
    DateTime::parse_from_rfc3339(at)
        .unwrap()
        .with_timezone(&Utc)
}

/// The function as Lambda runs it for the deployed stack, with every `Invoke` of it (the
/// state machine's tasks) routed to it; waits between looks at a wave last a second.
async fn routed_function(
    moto: &Moto,
    sdk: &aws_config::SdkConfig,
    extra: &[(&str, &str)],
) -> FunctionRuntime {
    let mut env = moto.env();
    env.push(("WORKTIME_TEST_WAVE_POLL_SECONDS".into(), "1".into()));
    env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let function = FunctionRuntime::deployed(sdk, "wt-scaler", env).await;
    moto.route_lambda("wt-scaler", &function);
    function
}

#[tokio::test]
async fn the_deployed_state_machine_runs_the_night_and_the_morning_wave_by_wave() {
    let moto = Moto::start();
    let sdk = moto.sdk().await;
    create_services(&sdk, "prod", &[("broker", 1), ("api", 2), ("web", 2)]).await;
    register_target(&sdk, "prod", "broker", 1, 2).await;
    register_target(&sdk, "prod", "api", 1, 3).await;
    register_target(&sdk, "prod", "web", 1, 4).await;
    let dir = bootstrapped(&moto, &waves_config(THREE_WAVES, ""));
    let function = routed_function(&moto, &sdk, &[]).await;
    // The last wave's tasks take two seconds to drain, the first wave's to start.
    moto.model_ecs_service("prod", "web", serde_json::json!({"stop_seconds": 2}));
    moto.model_ecs_service("prod", "broker", serde_json::json!({"start_seconds": 2}));

    // The night: wave 2, then 1, then 0, each once the one before has stopped its tasks.
    let night = fire_rule(&sdk, "wt-scale-in", Utc::now()).await;
    let done = ended(&sdk, &night, std::time::Duration::from_secs(60)).await;
    assert_eq!(
        done.status().as_str(),
        "SUCCEEDED",
        "{done:?}\n{}",
        function.log()
    );
    let output: serde_json::Value = serde_json::from_str(done.output().unwrap()).unwrap();
    let order: Vec<(i64, &str)> = output["step"]["finished"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["wave"].as_i64().unwrap(), r["outcome"].as_str().unwrap()))
        .collect();
    assert_eq!(
        order,
        [(2, "ready"), (1, "ready"), (0, "ready")],
        "{output}"
    );
    for service in ["broker", "api", "web"] {
        assert_eq!(
            service_state(&sdk, "prod", service).await,
            (Some((0, 0)), 0)
        );
    }
    let (web, api, broker) = (
        marked_at(&sdk, "web", "down").await,
        marked_at(&sdk, "api", "down").await,
        marked_at(&sdk, "broker", "down").await,
    );
    assert!(
        api - web >= TimeDelta::seconds(2),
        "wave 1 went down after wave 2's tasks stopped: web {web}, api {api}"
    );
    assert!(broker >= api, "wave 0 last: api {api}, broker {broker}");

    // The morning: wave 0 first; wave 1 once the broker runs its tasks; then wave 2.
    let morning = fire_rule(&sdk, "wt-scale-out", Utc::now()).await;
    let done = ended(&sdk, &morning, std::time::Duration::from_secs(60)).await;
    assert_eq!(
        done.status().as_str(),
        "SUCCEEDED",
        "{done:?}\n{}",
        function.log()
    );
    assert_eq!(
        service_state(&sdk, "prod", "broker").await,
        (Some((1, 2)), 1)
    );
    assert_eq!(service_state(&sdk, "prod", "api").await, (Some((1, 3)), 2));
    assert_eq!(service_state(&sdk, "prod", "web").await, (Some((1, 4)), 2));
    let (broker, api, web) = (
        marked_at(&sdk, "broker", "up").await,
        marked_at(&sdk, "api", "up").await,
        marked_at(&sdk, "web", "up").await,
    );
    assert!(
        api - broker >= TimeDelta::seconds(2),
        "wave 1 came up after wave 0's tasks ran: broker {broker}, api {api}"
    );
    assert!(web >= api, "wave 2 last: api {api}, web {web}");

    // `worktime status` shows the schedule's last execution: this morning's, succeeded.
    let status = worktime(dir.path(), &moto.env(), &["status", "--output", "json"]).expect_code(0);
    let executions = &status.json()["activity"]["executions"];
    assert_eq!(
        executions.as_array().map(Vec::len),
        Some(1),
        "{}",
        status.stdout
    );
    assert_eq!(executions[0]["schedule"], "default");
    assert_eq!(executions[0]["state_machine"], "wt-waves");
    assert_eq!(executions[0]["action"], "scale-out");
    assert_eq!(executions[0]["status"], "SUCCEEDED");
    let text = worktime(dir.path(), &moto.env(), &["status"]).expect_code(0);
    assert!(
        text.stdout
            .contains("runs in waves (Step Functions, last execution):"),
        "{}",
        text.stdout
    );
}

#[tokio::test]
async fn a_wave_that_times_out_lets_the_next_start_and_fails_the_execution_with_ecs_reason() {
    let moto = Moto::start();
    let sdk = moto.sdk().await;
    create_services(&sdk, "prod", &[("broker", 0), ("api", 0), ("web", 0)]).await;
    let down = "down 2026-11-26T10:00:30Z";
    for (service, memory) in [("broker", "1/1@1"), ("api", "1/2@2"), ("web", "1/2@1")] {
        register_target(&sdk, "prod", service, 0, 0).await;
        tag_service(
            &sdk,
            "prod",
            service,
            "worktime:capacity",
            &format!("{memory} {down}"),
        )
        .await;
    }
    let unable = "(service broker) was unable to place a task because no container instance met all of its requirements.";
    moto.model_ecs_service(
        "prod",
        "broker",
        serde_json::json!({"start_failure": unable}),
    );
    let dir = bootstrapped(
        &moto,
        &waves_config(THREE_WAVES, "wave_timeout_minutes = 1"),
    );
    // A wave's minute lasts three seconds here (the hidden test knob).
    let function =
        routed_function(&moto, &sdk, &[("WORKTIME_TEST_WAVE_MINUTE_SECONDS", "3")]).await;

    let started = std::time::Instant::now();
    let morning = fire_rule(&sdk, "wt-scale-out", Utc::now()).await;
    let done = ended(&sdk, &morning, std::time::Duration::from_secs(60)).await;
    assert_eq!(
        done.status().as_str(),
        "FAILED",
        "{done:?}\n{}",
        function.log()
    );
    assert!(
        started.elapsed() >= std::time::Duration::from_secs(3),
        "the broker's wave was waited for"
    );
    let cause = done.cause().unwrap_or_default();
    assert!(cause.contains("wave 0 not ready"), "{cause}");
    assert!(
        cause.contains("service/prod/broker: running 0 of 1"),
        "{cause}"
    );
    assert!(cause.contains(unable), "ECS's reason: {cause}");
    // The next waves started anyway.
    assert_eq!(service_state(&sdk, "prod", "api").await, (Some((1, 2)), 2));
    assert_eq!(service_state(&sdk, "prod", "web").await, (Some((1, 2)), 1));

    // `worktime status` shows the failed execution and why.
    let status = worktime(dir.path(), &moto.env(), &["status", "--output", "json"]).expect_code(0);
    let last = &status.json()["activity"]["executions"][0];
    assert_eq!(last["status"], "FAILED", "{}", status.stdout);
    assert!(
        last["cause"].as_str().unwrap_or_default().contains(unable),
        "{}",
        status.stdout
    );
}

// ------------------------------------------------------------ [[capacity]] before deploy

/// An Auto Scaling group of `desired` instances for cluster `prod` (a launch configuration
/// and the region's first zone).
async fn create_group(sdk: &aws_config::SdkConfig, name: &str, desired: i32) -> String {
    let groups = aws_sdk_autoscaling::Client::new(sdk);
    groups
        .create_launch_configuration()
        .launch_configuration_name(format!("{name}-lc"))
        .image_id("ami-12c6146b")
        .instance_type("t3.micro")
        .send()
        .await
        .unwrap();
    groups
        .create_auto_scaling_group()
        .auto_scaling_group_name(name)
        .launch_configuration_name(format!("{name}-lc"))
        .min_size(0)
        .max_size(3)
        .desired_capacity(desired)
        .availability_zones(format!("{REGION}a"))
        .send()
        .await
        .unwrap();
    groups
        .describe_auto_scaling_groups()
        .auto_scaling_group_names(name)
        .send()
        .await
        .unwrap()
        .auto_scaling_groups()[0]
        .auto_scaling_group_arn()
        .unwrap()
        .to_string()
}

fn with_capacity(group: &str) -> String {
    config(
        "wt",
        "rules",
        &format!(
            "{TWO_SERVICES}\n[[capacity]]\ncluster = \"prod\"\nautoscaling_group = \"{group}\"\n"
        ),
    )
}

#[tokio::test]
async fn a_capacity_group_that_is_missing_or_a_capacity_providers_is_refused_before_anything_is_made(
) {
    let moto = Moto::start();
    let sdk = moto.sdk().await;
    create_services(&sdk, "prod", &[("api", 1), ("worker", 1)]).await;
    let dir = tempfile::tempdir().unwrap();
    let zip = function_zip(dir.path(), "fn.zip", None);
    let bootstrap = |config: &str| {
        write_config(dir.path(), config);
        worktime(
            dir.path(),
            &moto.env(),
            &["bootstrap", "--yes", "--artifact", zip.to_str().unwrap()],
        )
    };

    // A group that does not exist.
    let run = bootstrap(&with_capacity("no-such-group")).expect_code(2);
    assert!(
        run.stderr.contains("capacity[0].autoscaling_group"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("\"no-such-group\" does not exist"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("nothing was changed"), "{}", run.stderr);

    // A group an ECS capacity provider of the cluster manages.
    let arn = create_group(&sdk, "prod-provided", 1).await;
    let ecs = aws_sdk_ecs::Client::new(&sdk);
    ecs.create_capacity_provider()
        .name("prod-ec2")
        .auto_scaling_group_provider(
            aws_sdk_ecs::types::AutoScalingGroupProvider::builder()
                .auto_scaling_group_arn(&arn)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    ecs.put_cluster_capacity_providers()
        .cluster("prod")
        .capacity_providers("prod-ec2")
        .set_default_capacity_provider_strategy(Some(Vec::new()))
        .send()
        .await
        .unwrap();
    let run = bootstrap(&with_capacity("prod-provided")).expect_code(2);
    assert!(
        run.stderr.contains("capacity[0].autoscaling_group"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("managed by the capacity provider prod-ec2 of cluster \"prod\""),
        "{}",
        run.stderr
    );
    let buckets = moto.s3().await.list_buckets().send().await.unwrap();
    assert!(buckets.buckets().is_empty(), "nothing created");

    // A group no provider manages: deployed, its schedule through the state machine.
    create_group(&sdk, "prod-plain", 1).await;
    bootstrap(&with_capacity("prod-plain")).expect_code(0);
    let machines = aws_sdk_sfn::Client::new(&sdk)
        .list_state_machines()
        .send()
        .await
        .unwrap();
    assert_eq!(machines.state_machines().len(), 1);
}

// ------------------------------------------- [[capacity]] through the deployed state machine

const TWO_WAVES_AND_A_GROUP: &str = r#"
[[services]]
cluster = "prod"
service = "broker"

[[services]]
cluster = "prod"
service = "api"
wave = 1

[[capacity]]
cluster = "prod"
autoscaling_group = "prod-asg"
"#;

/// The Auto Scaling group `name` whose instances run cluster `prod`'s tasks (its user data
/// names the cluster, as an ECS-optimized AMI's agent reads it): 1/3 with 2 desired; its
/// instances register `register_seconds` after they launch (the AWS model's test tag).
async fn create_cluster_group(sdk: &aws_config::SdkConfig, name: &str, register_seconds: u32) {
    let groups = aws_sdk_autoscaling::Client::new(sdk);
    let user_data = "#!/bin/bash\necho ECS_CLUSTER=prod >> /etc/ecs/ecs.config\n";
    groups
        .create_launch_configuration()
        .launch_configuration_name(format!("{name}-lc"))
        .image_id("ami-12c6146b")
        .instance_type("t3.micro")
        // The API takes user data base64-encoded; the Rust SDK sends it as given.
        .user_data(aws_smithy_types::base64::encode(user_data))
        .send()
        .await
        .unwrap();
    groups
        .create_auto_scaling_group()
        .auto_scaling_group_name(name)
        .launch_configuration_name(format!("{name}-lc"))
        .min_size(1)
        .max_size(3)
        .desired_capacity(2)
        .availability_zones(format!("{REGION}a"))
        .tags(
            aws_sdk_autoscaling::types::Tag::builder()
                .resource_id(name)
                .resource_type("auto-scaling-group")
                .key("worktime-model:register-seconds")
                .value(register_seconds.to_string())
                .propagate_at_launch(false)
                .build(),
        )
        .send()
        .await
        .unwrap();
}

/// The group's min/max/desired and its `worktime:capacity` tag.
async fn group_state(sdk: &aws_config::SdkConfig, name: &str) -> ((i32, i32, i32), Option<String>) {
    let described = aws_sdk_autoscaling::Client::new(sdk)
        .describe_auto_scaling_groups()
        .auto_scaling_group_names(name)
        .send()
        .await
        .unwrap();
    let group = &described.auto_scaling_groups()[0];
    let tag = group
        .tags()
        .iter()
        .find(|t| t.key() == Some("worktime:capacity"))
        .and_then(|t| t.value().map(str::to_string));
    (
        (
            group.min_size().unwrap(),
            group.max_size().unwrap(),
            group.desired_capacity().unwrap(),
        ),
        tag,
    )
}

async fn active_container_instances(sdk: &aws_config::SdkConfig, cluster: &str) -> usize {
    aws_sdk_ecs::Client::new(sdk)
        .list_container_instances()
        .cluster(cluster)
        .status(aws_sdk_ecs::types::ContainerInstanceStatus::Active)
        .send()
        .await
        .unwrap()
        .container_instance_arns()
        .len()
}

/// The finished stages of an ended execution: (wave, outcome, ended_at).
fn finished_stages(
    done: &aws_sdk_sfn::operation::describe_execution::DescribeExecutionOutput,
) -> Vec<(i64, String, DateTime<Utc>)> {
    let output: serde_json::Value = serde_json::from_str(done.output().unwrap()).unwrap();
    output["step"]["finished"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["wave"].as_i64().unwrap(),
                r["outcome"].as_str().unwrap().to_string(),
                DateTime::parse_from_rfc3339(r["ended_at"].as_str().unwrap())
                    .unwrap()
                    .with_timezone(&Utc),
            )
        })
        .collect()
}

fn waves_of(stages: &[(i64, String, DateTime<Utc>)]) -> Vec<(i64, &str)> {
    stages.iter().map(|(w, o, _)| (*w, o.as_str())).collect()
}

#[tokio::test]
async fn the_deployed_state_machine_takes_the_group_down_after_its_services_and_up_before_them() {
    let moto = Moto::start();
    let sdk = moto.sdk().await;
    create_services(&sdk, "prod", &[("broker", 1), ("api", 2)]).await;
    register_target(&sdk, "prod", "broker", 1, 2).await;
    register_target(&sdk, "prod", "api", 1, 3).await;
    // The group's instances join the cluster two seconds after they launch.
    create_cluster_group(&sdk, "prod-asg", 2).await;
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    assert_eq!(active_container_instances(&sdk, "prod").await, 2);
    let dir = bootstrapped(&moto, &waves_config(TWO_WAVES_AND_A_GROUP, ""));
    let function = routed_function(&moto, &sdk, &[]).await;

    // The night: wave 1, wave 0, then the group, remembering 1/3@2.
    let night = fire_rule(&sdk, "wt-scale-in", Utc::now()).await;
    let done = ended(&sdk, &night, std::time::Duration::from_secs(60)).await;
    assert_eq!(
        done.status().as_str(),
        "SUCCEEDED",
        "{done:?}\n{}",
        function.log()
    );
    let stages = finished_stages(&done);
    assert_eq!(
        waves_of(&stages),
        [(1, "ready"), (0, "ready"), (-1, "ready")],
        "{stages:?}"
    );
    let broker_down = marked_at(&sdk, "broker", "down").await;
    assert!(
        stages[2].2 >= broker_down,
        "the group after its services: {stages:?}, broker {broker_down}"
    );
    assert_eq!(
        group_state(&sdk, "prod-asg").await,
        ((0, 0, 0), Some("1/3@2".to_string()))
    );
    assert_eq!(active_container_instances(&sdk, "prod").await, 0);
    for service in ["broker", "api"] {
        assert_eq!(
            service_state(&sdk, "prod", service).await,
            (Some((0, 0)), 0)
        );
    }

    // A second night (a repeated trigger) finds the group at 0/0/0: the remembered size stays.
    let again = fire_rule(&sdk, "wt-scale-in", Utc::now()).await;
    let done = ended(&sdk, &again, std::time::Duration::from_secs(60)).await;
    assert_eq!(
        done.status().as_str(),
        "SUCCEEDED",
        "{done:?}\n{}",
        function.log()
    );
    assert_eq!(
        group_state(&sdk, "prod-asg").await,
        ((0, 0, 0), Some("1/3@2".to_string())),
        "0/0/0 is never remembered"
    );

    // The morning: the group first, its instances awaited (two seconds), then wave 0, wave 1.
    let started = Utc::now();
    let morning = fire_rule(&sdk, "wt-scale-out", started).await;
    let done = ended(&sdk, &morning, std::time::Duration::from_secs(60)).await;
    assert_eq!(
        done.status().as_str(),
        "SUCCEEDED",
        "{done:?}\n{}",
        function.log()
    );
    let stages = finished_stages(&done);
    assert_eq!(
        waves_of(&stages),
        [(-1, "ready"), (0, "ready"), (1, "ready")],
        "{stages:?}"
    );
    assert!(
        stages[0].2 - started >= TimeDelta::seconds(1),
        "the capacity stage waited for the container instances: {stages:?} from {started}"
    );
    let broker_up = marked_at(&sdk, "broker", "up").await;
    assert!(
        broker_up >= stages[0].2,
        "wave 0 after the instances: {stages:?}, broker {broker_up}"
    );
    assert!(marked_at(&sdk, "api", "up").await >= broker_up);
    assert_eq!(group_state(&sdk, "prod-asg").await.0, (1, 3, 2));
    assert_eq!(active_container_instances(&sdk, "prod").await, 2);
    assert_eq!(
        service_state(&sdk, "prod", "broker").await,
        (Some((1, 2)), 1)
    );
    assert_eq!(service_state(&sdk, "prod", "api").await, (Some((1, 3)), 2));

    // `worktime status` shows the morning's execution.
    let status = worktime(dir.path(), &moto.env(), &["status", "--output", "json"]).expect_code(0);
    let last = &status.json()["activity"]["executions"][0];
    assert_eq!(last["action"], "scale-out", "{}", status.stdout);
    assert_eq!(last["status"], "SUCCEEDED", "{}", status.stdout);

    // Torn down after a night, the group gets its size back and loses worktime's tag, as the
    // services do.
    let night = fire_rule(&sdk, "wt-scale-in", Utc::now()).await;
    let done = ended(&sdk, &night, std::time::Duration::from_secs(60)).await;
    assert_eq!(
        done.status().as_str(),
        "SUCCEEDED",
        "{done:?}\n{}",
        function.log()
    );
    assert_eq!(group_state(&sdk, "prod-asg").await.0, (0, 0, 0));
    let teardown = worktime(
        dir.path(),
        &moto.env(),
        &["teardown", "--yes", "--output", "json"],
    )
    .expect_code(0);
    let restored = &teardown.json()["restored"];
    assert!(
        restored
            .as_array()
            .is_some_and(|r| r.iter().any(|g| g == "autoscaling-group/prod-asg")),
        "{}",
        teardown.stdout
    );
    assert_eq!(group_state(&sdk, "prod-asg").await, ((1, 3, 2), None));
    assert_eq!(
        service_state(&sdk, "prod", "broker").await,
        (Some((1, 2)), 1)
    );
    // A second teardown finds nothing left to give back.
    worktime(dir.path(), &moto.env(), &["teardown", "--yes"]).expect_code(0);
    assert_eq!(group_state(&sdk, "prod-asg").await, ((1, 3, 2), None));
}

/// The built function's capacity stage on a group whose instances never join the cluster
/// (they would in an hour): the group is restored at once, the stage waits
/// `wave_timeout_minutes` (a minute of two seconds here), is `not-ready` with the count it
/// saw, the services' wave starts anyway, and the last step fails naming the stage.
#[tokio::test]
async fn a_group_whose_instances_never_register_is_not_ready_and_the_waves_start_anyway() {
    let moto = Moto::start();
    let sdk = moto.sdk().await;
    create_services(&sdk, "prod", &[("broker", 0)]).await;
    register_target(&sdk, "prod", "broker", 0, 0).await;
    tag_service(
        &sdk,
        "prod",
        "broker",
        "worktime:capacity",
        "1/2@1 down 2026-11-26T10:00:30Z",
    )
    .await;
    create_cluster_group(&sdk, "prod-asg", 3600).await;
    // What a night left: the group at 0/0/0, remembering 1/3@2.
    let groups = aws_sdk_autoscaling::Client::new(&sdk);
    groups
        .update_auto_scaling_group()
        .auto_scaling_group_name("prod-asg")
        .min_size(0)
        .max_size(0)
        .desired_capacity(0)
        .send()
        .await
        .unwrap();
    groups
        .create_or_update_tags()
        .tags(
            aws_sdk_autoscaling::types::Tag::builder()
                .resource_id("prod-asg")
                .resource_type("auto-scaling-group")
                .key("worktime:capacity")
                .value("1/3@2")
                .propagate_at_launch(false)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let mut env = moto.env();
    env.extend([
        ("WORKTIME_ALLOWED_SERVICES".into(), "prod/broker".into()),
        ("WORKTIME_TEST_WAVE_MINUTE_SECONDS".into(), "2".into()),
        ("WORKTIME_TEST_WAVE_POLL_SECONDS".into(), "1".into()),
    ]);
    let mut function = FunctionRuntime::start(&env);
    let mut payload = serde_json::json!({
        "action": "scale-out",
        "services": [{"resource_id": "service/prod/broker"}],
        "capacity": [{"cluster": "prod", "autoscaling_group": "prod-asg"}],
        "timezone": "Asia/Seoul",
        "wave_timeout_minutes": 1,
        "step": {"status": "start", "started_at": Utc::now().to_rfc3339()}
    });
    let mut seen = Vec::new();
    let failure = loop {
        assert!(seen.len() < 30, "the run never ended: {seen:?}");
        let invocation = function.invoke(&payload);
        let answer = match invocation.result {
            Ok(answer) => answer,
            Err(error) => break error,
        };
        let step = answer["step"].clone();
        seen.push((step["wave"].clone(), step["status"].clone()));
        if step["wave"] == -1 {
            // Restored in the first step; the broker waits for the instances.
            assert_eq!(group_state(&sdk, "prod-asg").await.0, (1, 3, 2));
            assert_eq!(
                service_state(&sdk, "prod", "broker").await,
                (Some((0, 0)), 0)
            );
        }
        assert_ne!(
            step["status"], "done",
            "a run with a stage not ready fails: {step}"
        );
        if step["status"] == "wait" {
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        }
        payload = answer;
    };
    let message = failure.to_string();
    assert!(
        message.contains("capacity (wave -1) not ready"),
        "{message}"
    );
    assert!(
        message.contains("0 of 2 container instance(s) registered and ACTIVE in cluster prod"),
        "{message}"
    );
    assert!(
        seen.iter()
            .any(|(wave, status)| *wave == -1 && status == "wait"),
        "the stage waited: {seen:?}"
    );
    // The wave started anyway, and ran.
    assert_eq!(
        service_state(&sdk, "prod", "broker").await,
        (Some((1, 2)), 1)
    );
    assert_eq!(
        group_state(&sdk, "prod-asg").await,
        ((1, 3, 2), Some("1/3@2".into()))
    );
}

/// At night a group whose cluster still runs a held service keeps its instances: the
/// service's tasks would lose them. The stage is not a failure (the hold is on purpose).
#[tokio::test]
async fn a_held_service_keeps_its_clusters_group_up_at_night() {
    let moto = Moto::start();
    let sdk = moto.sdk().await;
    create_services(&sdk, "prod", &[("broker", 1), ("api", 2)]).await;
    register_target(&sdk, "prod", "broker", 1, 2).await;
    register_target(&sdk, "prod", "api", 1, 3).await;
    let until =
        (Utc::now() + TimeDelta::hours(1)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    tag_service(&sdk, "prod", "api", "worktime:hold-until", &until).await;
    create_cluster_group(&sdk, "prod-asg", 0).await;
    let mut env = moto.env();
    env.extend([
        (
            "WORKTIME_ALLOWED_SERVICES".into(),
            "prod/broker,prod/api".into(),
        ),
        ("WORKTIME_TEST_WAVE_POLL_SECONDS".into(), "1".into()),
    ]);
    let mut function = FunctionRuntime::start(&env);
    let mut payload = serde_json::json!({
        "action": "scale-in",
        "services": [
            {"resource_id": "service/prod/broker"},
            {"resource_id": "service/prod/api", "wave": 1}
        ],
        "capacity": [{"cluster": "prod", "autoscaling_group": "prod-asg"}],
        "timezone": "Asia/Seoul",
        "wave_timeout_minutes": 1,
        "step": {"status": "start", "started_at": Utc::now().to_rfc3339()}
    });
    let mut steps = 0;
    let step = loop {
        steps += 1;
        assert!(steps < 30, "the run never ended");
        let answer = function.invoke(&payload).expect_ok();
        let step = answer["step"].clone();
        if step["status"] == "done" {
            break step;
        }
        if step["status"] == "wait" {
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        }
        payload = answer;
    };
    let finished: Vec<(i64, &str)> = step["finished"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["wave"].as_i64().unwrap(), r["outcome"].as_str().unwrap()))
        .collect();
    assert_eq!(
        finished,
        [(1, "ready"), (0, "ready"), (-1, "ready")],
        "{step}"
    );
    assert_eq!(
        service_state(&sdk, "prod", "broker").await,
        (Some((0, 0)), 0)
    );
    assert_eq!(desired_count(&sdk, "prod", "api").await, 2, "held");
    assert_eq!(
        group_state(&sdk, "prod-asg").await,
        ((1, 3, 2), None),
        "kept up, nothing remembered\n{}",
        function.log()
    );
    assert!(
        function.log().contains("kept at 1/3@2: service/prod/api"),
        "{}",
        function.log()
    );
}

/// `report` counts the instance-hours a `[[capacity]]` group is kept down a week: its
/// desired capacity while up, the remembered one while at 0/0/0, times its schedule's hours
/// off.
#[tokio::test]
async fn report_counts_the_instance_hours_a_capacity_group_is_kept_down() {
    let moto = Moto::start();
    let sdk = moto.sdk().await;
    create_services(&sdk, "prod", &[("broker", 1), ("api", 2)]).await;
    create_cluster_group(&sdk, "prod-asg", 0).await;
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path(), &waves_config(TWO_WAVES_AND_A_GROUP, ""));
    let report = |dir: &std::path::Path| {
        let run = worktime(dir, &moto.env(), &["report", "--output", "json"]).expect_code(0);
        run.json()
    };
    let json = report(dir.path());
    let off = json["schedules"][0]["off_hours_per_week"].as_f64().unwrap();
    assert!(off > 0.0, "{json}");
    let group = &json["groups"][0];
    assert_eq!(group["autoscaling_group"], "prod-asg", "{json}");
    assert_eq!(group["working_instances"], 2, "{json}");
    assert_eq!(group["working_instances_from"], "current", "{json}");
    let hours = group["instance_hours_off_per_week"].as_f64().unwrap();
    assert!((hours - 2.0 * off).abs() < 1e-6, "{json}");
    assert_eq!(
        json["totals"]["instance_hours_off_per_week"],
        group["instance_hours_off_per_week"]
    );

    // Down for the night, remembering one instance: counted from the tag.
    let groups = aws_sdk_autoscaling::Client::new(&sdk);
    groups
        .update_auto_scaling_group()
        .auto_scaling_group_name("prod-asg")
        .min_size(0)
        .max_size(0)
        .desired_capacity(0)
        .send()
        .await
        .unwrap();
    groups
        .create_or_update_tags()
        .tags(
            aws_sdk_autoscaling::types::Tag::builder()
                .resource_id("prod-asg")
                .resource_type("auto-scaling-group")
                .key("worktime:capacity")
                .value("1/3@1")
                .propagate_at_launch(false)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let json = report(dir.path());
    assert_eq!(json["groups"][0]["working_instances"], 1, "{json}");
    assert_eq!(
        json["groups"][0]["working_instances_from"], "remembered",
        "{json}"
    );
    let text = worktime(dir.path(), &moto.env(), &["report"]).expect_code(0);
    assert!(
        text.stdout.contains("group prod-asg (cluster prod, schedule default): 1 instance(s) in working hours (remembered)"),
        "{}",
        text.stdout
    );
}

/// The healthy targets of a target group, and all of them, as the load balancer reports.
async fn healthy_targets(sdk: &aws_config::SdkConfig, group: &str) -> (usize, usize) {
    let health = aws_sdk_elasticloadbalancingv2::Client::new(sdk)
        .describe_target_health()
        .target_group_arn(group)
        .send()
        .await
        .expect("describe target health");
    let states: Vec<String> = health
        .target_health_descriptions()
        .iter()
        .filter_map(|d| d.target_health().and_then(|h| h.state()))
        .map(|s| s.as_str().to_string())
        .collect();
    (
        states.iter().filter(|s| *s == "healthy").count(),
        states.len(),
    )
}

/// A service behind a load balancer is ready when its targets are healthy, not when its tasks
/// run: the broker (wave 0) runs its two tasks at once, but its target group's initial health
/// checks take 3 s (the AWS model's `worktime-model:healthy-after-seconds`); the api (wave 1)
/// is not touched before both of the broker's targets are healthy.
#[tokio::test]
async fn a_wave_behind_a_load_balancer_waits_for_its_targets_to_be_healthy() {
    let moto = Moto::start();
    let sdk = moto.sdk().await;
    create_services(&sdk, "prod", &[("api", 0)]).await;
    let subnets = default_subnets(&moto);
    let (balancer, vpc) = create_balancer(&sdk, &subnets, "prod-alb", "application").await;
    let group = create_target_group(&sdk, &vpc, "broker", "HTTP").await;
    create_listener(&sdk, &balancer, "HTTP", Some(&group)).await;
    create_balanced_service(&sdk, "prod", "broker", Some(&group), None).await;
    aws_sdk_elasticloadbalancingv2::Client::new(&sdk)
        .add_tags()
        .resource_arns(&group)
        .tags(
            aws_sdk_elasticloadbalancingv2::types::Tag::builder()
                .key("worktime-model:healthy-after-seconds")
                .value("3")
                .build(),
        )
        .send()
        .await
        .expect("tag the target group");
    // Both down for the night, their day remembered.
    register_target(&sdk, "prod", "broker", 0, 0).await;
    register_target(&sdk, "prod", "api", 0, 0).await;
    let down = "down 2026-11-26T10:00:30Z";
    tag_service(
        &sdk,
        "prod",
        "broker",
        "worktime:capacity",
        &format!("2/2@2 {down}"),
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
        "step": {"status": "start", "started_at": chrono::Utc::now().to_rfc3339()}
    });
    // (wave, status, broker's running tasks, its healthy targets, api's desired count)
    let mut seen = Vec::new();
    for _ in 0..30 {
        let answer = function.invoke(&payload).expect_ok();
        let step = answer["step"].clone();
        let broker = service_state(&sdk, "prod", "broker").await;
        let (healthy, _) = healthy_targets(&sdk, &group).await;
        let api = service_state(&sdk, "prod", "api").await;
        seen.push((
            step["wave"].clone(),
            step["status"].clone(),
            broker.1,
            healthy,
            api.1,
        ));
        if api.1 > 0 {
            assert_eq!(
                healthy, 2,
                "wave 1 began before the broker's targets were healthy: {seen:?}"
            );
        }
        if step["status"] == "done" {
            break;
        }
        if step["status"] == "wait" {
            tokio::time::sleep(std::time::Duration::from_millis(700)).await;
        }
        payload = answer;
    }
    assert_eq!(
        seen.last().map(|s| s.1.clone()),
        Some(serde_json::json!("done")),
        "{seen:?}"
    );
    // It waited while the broker ran its tasks but its targets were still being checked.
    assert!(
        seen.iter()
            .any(|(wave, status, desired, healthy, _)| *wave == 0
                && status == "wait"
                && *desired == 2
                && *healthy < 2),
        "{seen:?}"
    );
    assert_eq!(service_state(&sdk, "prod", "api").await, (Some((1, 3)), 3));
}
