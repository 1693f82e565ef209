//! Wake on request (issue 18): a service that cannot be woken by a request is refused
//! before anything is made.

use worktime_e2e::balancers::*;

use super::*;

fn woken(service: &str) -> String {
    config(
        "wt",
        "rules",
        &format!(
            "[[services]]\ncluster = \"prod\"\nservice = \"{service}\"\nwake_on_request = true\n"
        ),
    )
}

#[tokio::test]
async fn wake_on_request_without_an_application_load_balancer_rule_or_with_codedeploy_is_refused_before_anything_is_made(
) {
    let moto = Moto::start();
    let sdk = moto.sdk().await;
    let subnets = default_subnets(&moto);
    let (alb, vpc) = create_balancer(&sdk, &subnets, "web", "application").await;
    let (nlb, _) = create_balancer(&sdk, &subnets, "net", "network").await;
    let served = create_target_group(&sdk, &vpc, "served", "HTTP").await;
    let blue = create_target_group(&sdk, &vpc, "blue", "HTTP").await;
    let loose = create_target_group(&sdk, &vpc, "loose", "HTTP").await;
    let tcp = create_target_group(&sdk, &vpc, "tcp", "TCP").await;
    let listener = create_listener(&sdk, &alb, "HTTP", None).await;
    create_rule(&sdk, &listener, 10, "/app/*", &served).await;
    create_rule(&sdk, &listener, 20, "/blue/*", &blue).await;
    create_listener(&sdk, &nlb, "TCP", Some(&tcp)).await;
    aws_sdk_ecs::Client::new(&sdk)
        .create_cluster()
        .cluster_name("prod")
        .send()
        .await
        .unwrap();
    create_balanced_service(&sdk, "prod", "bare", None, None).await;
    create_balanced_service(&sdk, "prod", "nlb", Some(&tcp), None).await;
    create_balanced_service(&sdk, "prod", "bluegreen", Some(&blue), Some("CODE_DEPLOY")).await;
    create_balanced_service(&sdk, "prod", "loose", Some(&loose), None).await;
    create_balanced_service(&sdk, "prod", "app", Some(&served), None).await;

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
    for (service, why) in [
        ("bare", "it has no target group"),
        ("nlb", "is a network load balancer"),
        ("bluegreen", "its deployment controller is CODE_DEPLOY"),
        ("loose", "is attached to no load balancer"),
        ("missing", "the service does not exist"),
    ] {
        let run = bootstrap(&woken(service)).expect_code(2);
        assert!(
            run.stderr.contains("services[0].wake_on_request"),
            "{service}: {}",
            run.stderr
        );
        assert!(
            run.stderr.contains(&format!(
                "service \"{service}\" in cluster \"prod\" cannot be woken by a request"
            )),
            "{service}: {}",
            run.stderr
        );
        assert!(run.stderr.contains(why), "{service}: {}", run.stderr);
        assert!(run.stderr.contains("nothing was changed"), "{}", run.stderr);
    }
    let buckets = moto.s3().await.list_buckets().send().await.unwrap();
    assert!(buckets.buckets().is_empty(), "nothing created");

    // Before the stack exists, report cannot count the wakes: it says so, with the fix, and
    // counts none (not zero); the savings are the schedule's alone.
    write_config(dir.path(), &woken("app"));
    let report = worktime(dir.path(), &moto.env(), &["report", "--output", "json"]).expect_code(0);
    let wakes = &report.json()["wakes"];
    assert!(
        wakes["warning"]
            .as_str()
            .is_some_and(|w| w.contains("/aws/lambda/wt-scaler does not exist")
                && w.contains("fix: deploy the stack")),
        "{wakes}"
    );
    assert_eq!(wakes["services"], serde_json::json!([]), "{wakes}");
    assert!(
        report.stderr.contains("warning: the function's log group"),
        "{}",
        report.stderr
    );
    assert_eq!(
        report.json()["services"][0].get("wake_hours_per_week"),
        None
    );

    // A service an Application Load Balancer's rule forwards to: deployed, with its Lambda
    // target group (the function its target) and the rule it may rewrite in the function's
    // environment.
    bootstrap(&woken("app")).expect_code(0);
    let elb = aws_sdk_elasticloadbalancingv2::Client::new(&sdk);
    let groups = elb
        .describe_target_groups()
        .names("wt-wake-0")
        .send()
        .await
        .unwrap();
    let group = &groups.target_groups()[0];
    assert_eq!(group.target_type().map(|t| t.as_str()), Some("lambda"));
    let woken = deployed_wake_variable(&sdk).await;
    assert_eq!(woken[0]["s"], "prod/app");
    assert_eq!(woken[0]["g"], "wt-wake-0");
    assert_eq!(woken[0]["m"], 60);
    let rules = elb
        .describe_rules()
        .listener_arn(&listener)
        .send()
        .await
        .unwrap();
    let app_rule = rules
        .rules()
        .iter()
        .find(|r| r.priority() == Some("10"))
        .unwrap()
        .rule_arn()
        .unwrap()
        .to_string();
    assert_eq!(woken[0]["r"], serde_json::json!([app_rule]));
}

/// The targets `DescribeTargetHealth` reports: (address, state), sorted.
async fn target_states(sdk: &aws_config::SdkConfig, group: &str) -> Vec<(String, String)> {
    let health = aws_sdk_elasticloadbalancingv2::Client::new(sdk)
        .describe_target_health()
        .target_group_arn(group)
        .send()
        .await
        .unwrap();
    let mut states: Vec<(String, String)> = health
        .target_health_descriptions()
        .iter()
        .map(|d| {
            (
                d.target()
                    .and_then(|t| t.id())
                    .unwrap_or_default()
                    .to_string(),
                d.target_health()
                    .and_then(|h| h.state())
                    .map(|s| s.as_str().to_string())
                    .unwrap_or_default(),
            )
        })
        .collect();
    states.sort();
    states
}

#[tokio::test]
async fn the_model_registers_a_services_tasks_in_its_target_group_initial_then_healthy_then_draining(
) {
    let moto = Moto::start();
    let sdk = moto.sdk().await;
    let subnets = default_subnets(&moto);
    let (alb, vpc) = create_balancer(&sdk, &subnets, "web", "application").await;
    let group = create_target_group(&sdk, &vpc, "web", "HTTP").await;
    let listener = create_listener(&sdk, &alb, "HTTP", None).await;
    create_rule(&sdk, &listener, 10, "/*", &group).await;
    aws_sdk_ecs::Client::new(&sdk)
        .create_cluster()
        .cluster_name("prod")
        .send()
        .await
        .unwrap();
    create_balanced_service(&sdk, "prod", "web", Some(&group), None).await;
    let states = target_states(&sdk, &group).await;
    assert_eq!(states.len(), 1, "one running task, registered: {states:?}");
    assert_eq!(states[0].1, "healthy");

    // Tasks that take a while: initial while PENDING, healthy once RUNNING.
    moto.model_ecs_service(
        "prod",
        "web",
        serde_json::json!({"start_seconds": 1, "stop_seconds": 1}),
    );
    set_desired_count(&sdk, "prod", "web", 3).await;
    let states = target_states(&sdk, &group).await;
    let initial = states.iter().filter(|(_, s)| s == "initial").count();
    assert_eq!((states.len(), initial), (3, 2), "{states:?}");
    tokio::time::sleep(std::time::Duration::from_millis(1300)).await;
    let states = target_states(&sdk, &group).await;
    assert!(states.iter().all(|(_, s)| s == "healthy"), "{states:?}");
    assert_eq!(states.len(), 3);

    // Scaled to 0: draining, then gone.
    set_desired_count(&sdk, "prod", "web", 0).await;
    let states = target_states(&sdk, &group).await;
    assert!(states.iter().all(|(_, s)| s == "draining"), "{states:?}");
    tokio::time::sleep(std::time::Duration::from_millis(1300)).await;
    assert!(target_states(&sdk, &group).await.is_empty());
}

/// A rule's (or a listener's default) actions, as Elastic Load Balancing describes them.
async fn rule_actions(
    elb: &aws_sdk_elasticloadbalancingv2::Client,
    rule: &str,
) -> Vec<aws_sdk_elasticloadbalancingv2::types::Action> {
    elb.describe_rules()
        .rule_arns(rule)
        .send()
        .await
        .unwrap()
        .rules()[0]
        .actions()
        .to_vec()
}

async fn default_actions(
    elb: &aws_sdk_elasticloadbalancingv2::Client,
    listener: &str,
) -> Vec<aws_sdk_elasticloadbalancingv2::types::Action> {
    elb.describe_listeners()
        .listener_arns(listener)
        .send()
        .await
        .unwrap()
        .listeners()[0]
        .default_actions()
        .to_vec()
}

async fn memory_tag(elb: &aws_sdk_elasticloadbalancingv2::Client, arn: &str) -> Option<String> {
    elb.describe_tags()
        .resource_arns(arn)
        .send()
        .await
        .unwrap()
        .tag_descriptions()
        .iter()
        .flat_map(|d| d.tags())
        .find(|t| t.key() == Some("worktime:wake-route"))
        .and_then(|t| t.value().map(str::to_string))
}

/// (target group, weight) of a forward action's ForwardConfig.
fn weights(
    actions: &[aws_sdk_elasticloadbalancingv2::types::Action],
) -> Vec<(String, Option<i32>)> {
    actions
        .iter()
        .filter_map(|a| a.forward_config())
        .flat_map(|c| c.target_groups())
        .map(|t| {
            (
                t.target_group_arn().unwrap_or_default().to_string(),
                t.weight(),
            )
        })
        .collect()
}

/// `prod/app` behind the Application Load Balancer `web`: its target group `served` is the
/// listener's default action and the rule `/app/*`'s forward.
struct Balanced {
    elb: aws_sdk_elasticloadbalancingv2::Client,
    served: String,
    listener: String,
    rule: String,
    /// The rule's and the listener's actions by day.
    day_rule: Vec<aws_sdk_elasticloadbalancingv2::types::Action>,
    day_default: Vec<aws_sdk_elasticloadbalancingv2::types::Action>,
}

async fn balanced_app(moto: &Moto, sdk: &aws_config::SdkConfig) -> Balanced {
    let subnets = default_subnets_of(moto, sdk).await;
    let (alb, vpc) = create_balancer(sdk, &subnets, "web", "application").await;
    let served = create_target_group(sdk, &vpc, "served", "HTTP").await;
    let listener = create_listener(sdk, &alb, "HTTP", Some(&served)).await;
    let rule = create_rule(sdk, &listener, 10, "/app/*", &served).await;
    aws_sdk_ecs::Client::new(sdk)
        .create_cluster()
        .cluster_name("prod")
        .send()
        .await
        .unwrap();
    create_balanced_service(sdk, "prod", "app", Some(&served), None).await;
    let elb = aws_sdk_elasticloadbalancingv2::Client::new(sdk);
    let (day_rule, day_default) = (
        rule_actions(&elb, &rule).await,
        default_actions(&elb, &listener).await,
    );
    Balanced {
        elb,
        served,
        listener,
        rule,
        day_rule,
        day_default,
    }
}

#[tokio::test]
async fn the_built_function_points_a_sleeping_services_rules_at_its_wake_group_and_puts_them_back_exactly(
) {
    let moto = Moto::start();
    let sdk = moto.sdk().await;
    let Balanced {
        elb,
        served,
        listener,
        rule,
        day_rule,
        day_default,
    } = balanced_app(&moto, &sdk).await;

    let _dir = bootstrapped(&moto, &woken("app"));
    let wake_group = wake_group_arn(&elb).await;
    let mut function = FunctionRuntime::deployed(&sdk, "wt-scaler", moto.env()).await;

    // Scale-in: the service down, the rule and the default action sending everything to the
    // wake group, the service's group kept at weight 0, what was there remembered.
    let scale_in = fired(&sdk, "wt-scale-in").await;
    let report = function.invoke(&scale_in).expect_ok();
    assert_eq!(report["summary"]["changed"], 1, "{report}");
    assert_eq!(desired_count(&sdk, "prod", "app").await, 0);
    let night = vec![(served.clone(), Some(0)), (wake_group.clone(), Some(1))];
    assert_eq!(weights(&rule_actions(&elb, &rule).await), night);
    assert_eq!(weights(&default_actions(&elb, &listener).await), night);
    assert!(memory_tag(&elb, &rule)
        .await
        .is_some_and(|m| m.starts_with("v1 ")));
    // Again: nothing more to do.
    function.invoke(&scale_in).expect_ok();
    assert_eq!(weights(&rule_actions(&elb, &rule).await), night);

    // Scale-out: exactly as before, the memory gone.
    let scale_out = fired(&sdk, "wt-scale-out").await;
    function.invoke(&scale_out).expect_ok();
    assert_eq!(rule_actions(&elb, &rule).await, day_rule);
    assert_eq!(default_actions(&elb, &listener).await, day_default);
    assert_eq!(memory_tag(&elb, &rule).await, None);

    // A rule someone changed while the service slept is left as it is: the run fails saying so.
    let scale_in = fired(&sdk, "wt-scale-in").await;
    function.invoke(&scale_in).expect_ok();
    let by_hand = aws_sdk_elasticloadbalancingv2::types::Action::builder()
        .r#type(aws_sdk_elasticloadbalancingv2::types::ActionTypeEnum::Forward)
        .forward_config(
            aws_sdk_elasticloadbalancingv2::types::ForwardActionConfig::builder()
                .target_groups(
                    aws_sdk_elasticloadbalancingv2::types::TargetGroupTuple::builder()
                        .target_group_arn(&served)
                        .weight(1)
                        .build(),
                )
                .target_groups(
                    aws_sdk_elasticloadbalancingv2::types::TargetGroupTuple::builder()
                        .target_group_arn(&wake_group)
                        .weight(1)
                        .build(),
                )
                .build(),
        )
        .build();
    elb.modify_rule()
        .rule_arn(&rule)
        .actions(by_hand)
        .send()
        .await
        .unwrap();
    let scale_out = fired(&sdk, "wt-scale-out").await;
    let failed = function.invoke(&scale_out).expect_err();
    assert!(failed.to_string().contains("changed since"), "{failed}");
    assert_eq!(
        weights(&rule_actions(&elb, &rule).await),
        vec![(served.clone(), Some(1)), (wake_group.clone(), Some(1))],
        "left as it is"
    );
    // The default action, unchanged by anyone, is back.
    assert_eq!(default_actions(&elb, &listener).await, day_default);

    // The same bootstrap answers the load balancer: its health check is told the service is
    // off (503, Retry-After) and wakes nothing, and an unreadable request gets 400.
    let answer = function
        .invoke(&fixture("alb-health-check.json"))
        .expect_ok();
    assert_eq!(answer["statusCode"], 503, "{answer}");
    assert_eq!(answer["headers"]["retry-after"], "5");
    let malformed = serde_json::json!({"requestContext": {"elb": {}}, "httpMethod": "GET"});
    let answer = function.invoke(&malformed).expect_ok();
    assert_eq!(answer["statusCode"], 400, "{answer}");
}

/// One of the function's fixtures: a load balancer's event as AWS documents it, its target
/// group `wt-wake-0`.
fn fixture(name: &str) -> serde_json::Value {
    let text =
        std::fs::read_to_string(workspace_root().join("lambda/tests/fixtures").join(name)).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// The stack `wt` on rules, with `app` woken by a request, at night now: the scale-in fired
/// two hours ago, the scale-out comes in six (Seoul time).
fn woken_at_night() -> String {
    use chrono::Timelike;
    let daily = |at: chrono::DateTime<chrono::Utc>| {
        let local = at + chrono::TimeDelta::hours(9);
        format!("cron({} {} ? * * *)", local.minute(), local.hour())
    };
    let now = chrono::Utc::now();
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

[[services]]
cluster = "prod"
service = "app"
wake_on_request = true
"#,
        daily(now + chrono::TimeDelta::hours(6)),
        daily(now - chrono::TimeDelta::hours(2)),
    )
}

#[tokio::test]
async fn a_visitor_wakes_a_sleeping_service_waits_for_it_and_is_sent_back_to_its_rules_put_back_exactly(
) {
    let moto = Moto::start();
    let sdk = moto.sdk().await;
    let Balanced {
        elb,
        served,
        listener,
        rule,
        day_rule,
        day_default,
    } = balanced_app(&moto, &sdk).await;
    let dir = bootstrapped(&moto, &woken_at_night());
    let wake_group = wake_group_arn(&elb).await;
    // The stack registers its function as the wake group's one target (the load balancer
    // invokes it).
    let registered: Vec<String> = elb
        .describe_target_health()
        .target_group_arn(&wake_group)
        .send()
        .await
        .unwrap()
        .target_health_descriptions()
        .iter()
        .filter_map(|d| d.target().and_then(|t| t.id()).map(str::to_string))
        .collect();
    assert_eq!(
        registered,
        vec![format!(
            "arn:aws:lambda:{REGION}:123456789012:function:wt-scaler"
        )]
    );
    // JSON logs, as the stack's LoggingConfig sets them: status and report read them back.
    let json_logs = FunctionConfig {
        log_format: "JSON".into(),
        ..Default::default()
    };
    let mut function =
        FunctionRuntime::deployed_with(&sdk, "wt-scaler", moto.env(), json_logs).await;

    // The night: the service down, its rules at the wake group.
    let scale_in = fired(&sdk, "wt-scale-in").await;
    function.invoke(&scale_in).expect_ok();
    assert_eq!(desired_count(&sdk, "prod", "app").await, 0);
    let night = vec![(served.clone(), Some(0)), (wake_group.clone(), Some(1))];
    assert_eq!(weights(&rule_actions(&elb, &rule).await), night);
    // status: asleep, the rule and the listener default at the wake group, remembered.
    let woken = wake_status(&dir, &moto);
    assert_eq!(woken["state"], "asleep", "{woken}");
    assert_eq!(woken["wake_group"], "wt-wake-0");
    let routes = woken["routes"].as_array().unwrap();
    assert_eq!(routes.len(), 2, "{woken}");
    for route in routes {
        assert_eq!(route["asleep"], true, "{route}");
        assert_eq!(route["remembered"], true, "{route}");
    }
    assert!(routes
        .iter()
        .any(|r| r["kind"] == "rule" && r["arn"] == rule.as_str()));
    assert!(routes
        .iter()
        .any(|r| r["kind"] == "listener-default" && r["arn"] == listener.as_str()));
    assert_eq!(woken.get("usual_wake_seconds"), None, "never woken yet");

    // Requests as the load balancer sends them, to this stack's wake group.
    let to_wake_group = |name: &str| {
        let mut event = fixture(name);
        event["requestContext"]["elb"]["targetGroupArn"] = serde_json::json!(wake_group);
        event
    };
    let mut browser = to_wake_group("alb-browser-get.json");
    browser["path"] = serde_json::json!("/app/orders");
    browser["queryStringParameters"] = serde_json::json!({"page": "2", "q": "a%20b"});

    // The load balancer's health check wakes nothing.
    let answer = function
        .invoke(&to_wake_group("alb-health-check.json"))
        .expect_ok();
    assert_eq!(answer["statusCode"], 503, "{answer}");
    assert_eq!(desired_count(&sdk, "prod", "app").await, 0);
    assert_eq!(
        service_tag(&sdk, "prod", "app", "worktime:hold-until").await,
        None
    );

    // Tasks take a second to start: the visitor's GET wakes the service (its remembered
    // desired count back, held up for its idle minutes) and gets the starting page.
    moto.model_ecs_service(
        "prod",
        "app",
        serde_json::json!({"start_seconds": 1, "stop_seconds": 1}),
    );
    // From now on the run events on the default bus, into a queue.
    let runs = super::notify::capture_run_events(&sdk).await;
    let before = chrono::Utc::now();
    let answer = function.invoke(&browser).expect_ok();
    assert_eq!(answer["statusCode"], 200, "{answer}");
    let page = answer["body"].as_str().unwrap();
    assert!(page.contains("Starting prod/app"));
    assert!(!page.contains("usually"), "no earlier wake to tell: {page}");
    // The wake's start, recorded with the hold (whole seconds).
    let started = service_tag(&sdk, "prod", "app", "worktime:wake-started")
        .await
        .expect("the wake's start recorded");
    let started = chrono::DateTime::parse_from_rfc3339(&started).unwrap();
    assert!(
        (started.with_timezone(&chrono::Utc) - before)
            .num_seconds()
            .abs()
            <= 1,
        "{started} vs {before}"
    );
    assert_eq!(desired_count(&sdk, "prod", "app").await, 1);
    let hold = service_tag(&sdk, "prod", "app", "worktime:hold-until")
        .await
        .expect("held");
    let until = chrono::DateTime::parse_from_rfc3339(&hold).unwrap();
    let held = until.with_timezone(&chrono::Utc) - before;
    assert!(
        (59..=61).contains(&held.num_minutes()),
        "held for the idle minutes: {hold}"
    );
    assert_eq!(weights(&rule_actions(&elb, &rule).await), night, "not yet");

    // While it starts: the page again, nothing written again; a POST gets 503 + Retry-After.
    let answer = function.invoke(&browser).expect_ok();
    assert_eq!(answer["statusCode"], 200, "{answer}");
    assert_eq!(
        service_tag(&sdk, "prod", "app", "worktime:hold-until").await,
        Some(hold.clone()),
        "not written again"
    );
    let answer = function
        .invoke(&to_wake_group("alb-multi-value-post.json"))
        .expect_ok();
    assert_eq!(answer["statusCode"], 503, "{answer}");
    assert_eq!(
        answer["multiValueHeaders"]["retry-after"],
        serde_json::json!(["5"])
    );

    // The wake was one run, and its event says so: the service and its hold.
    let captured = super::notify::drain(&sdk, &runs).await;
    assert_eq!(captured.len(), 1, "{captured:?}");
    let detail = &captured[0]["detail"];
    assert_eq!(detail["action"], "scale-out", "{detail}");
    assert_eq!(detail["summary"]["changed"], 1, "{detail}");
    assert_eq!(
        detail["wake"],
        serde_json::json!({"service": "prod/app", "until": hold}),
        "{detail}"
    );

    // Up and healthy: the rules exactly as they were, the visitor sent back where it asked.
    tokio::time::sleep(std::time::Duration::from_millis(1300)).await;
    let answer = function.invoke(&browser).expect_ok();
    assert_eq!(answer["statusCode"], 302, "{answer}");
    assert_eq!(answer["headers"]["location"], "/app/orders?page=2&q=a%20b");
    assert_eq!(rule_actions(&elb, &rule).await, day_rule);
    assert_eq!(default_actions(&elb, &listener).await, day_default);
    assert_eq!(memory_tag(&elb, &rule).await, None);
    // The wake measured from its start and kept on the service: the tasks took a second
    // to start and the visitor came back 1.3 s after they were asked for.
    let seconds = service_tag(&sdk, "prod", "app", "worktime:wake-seconds")
        .await
        .expect("the wake's duration recorded");
    let first: u64 = seconds
        .parse()
        .unwrap_or_else(|_| panic!("one duration: {seconds:?}"));
    assert!((1..=10).contains(&first), "{seconds}");
    // A second request that finds the rules back only redirects: nothing measured again.
    let answer = function.invoke(&browser).expect_ok();
    assert_eq!(answer["statusCode"], 302, "{answer}");
    assert_eq!(
        service_tag(&sdk, "prod", "app", "worktime:wake-seconds").await,
        Some(seconds.clone())
    );
    // status: awake until the hold's time, the last wake and its duration known.
    let woken = wake_status(&dir, &moto);
    assert_eq!(woken["state"], "awake-until", "{woken}");
    assert_eq!(
        chrono::DateTime::parse_from_rfc3339(woken["until"].as_str().unwrap()).unwrap(),
        until,
        "{woken}"
    );
    assert_eq!(woken["usual_wake_seconds"], first, "{woken}");
    assert!(woken["routes"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["asleep"] == false && r["remembered"] == false));
    assert_eq!(
        chrono::DateTime::parse_from_rfc3339(woken["last_wake"].as_str().unwrap()).unwrap(),
        started
    );

    // The night's reconcile leaves a held service up and its rules as they are.
    let reconcile = fired(&sdk, "wt-reconcile").await;
    function.invoke(&reconcile).expect_ok();
    assert_eq!(desired_count(&sdk, "prod", "app").await, 1);
    assert_eq!(rule_actions(&elb, &rule).await, day_rule);

    // Once the hold has ended, the reconcile takes it down and points its rules at the wake
    // group again.
    tag_service(
        &sdk,
        "prod",
        "app",
        "worktime:hold-until",
        "2020-01-01T00:00:00Z",
    )
    .await;
    let report = function.invoke(&reconcile).expect_ok();
    assert_eq!(report["summary"]["drift"], 1, "{report}");
    assert_eq!(desired_count(&sdk, "prod", "app").await, 0);
    assert_eq!(weights(&rule_actions(&elb, &rule).await), night);
    assert_eq!(weights(&default_actions(&elb, &listener).await), night);

    // The next visitor's starting page says how long a wake usually takes.
    let answer = function.invoke(&browser).expect_ok();
    assert_eq!(answer["statusCode"], 200, "{answer}");
    let page = answer["body"].as_str().unwrap();
    assert!(
        page.contains(&format!("usually takes about {first} seconds")),
        "{page}"
    );

    // Lambda ships the function's lines to its log group: status lists the wakes, and the
    // report counts them (two this night) with the hours they held the service up.
    super::notify::ship_logs(&sdk, "/aws/lambda/wt-scaler", &function.log()).await;
    let (run, made) =
        super::permissions::recorded(dir.path(), &moto, &["status", "--output", "json"]);
    let status = run.expect_code(0).json();
    super::permissions::assert_listed(dir.path(), &moto, "status", &made);
    let phases: Vec<(&str, &str)> = status["activity"]["wakes"]
        .as_array()
        .unwrap_or_else(|| panic!("no wakes: {}", status["activity"]))
        .iter()
        .map(|w| (w["service"].as_str().unwrap(), w["phase"].as_str().unwrap()))
        .collect();
    assert_eq!(
        phases,
        [
            ("prod/app", "started"),
            ("prod/app", "up"),
            ("prod/app", "started")
        ]
    );
    let (run, made) =
        super::permissions::recorded(dir.path(), &moto, &["report", "--output", "json"]);
    let report = run.expect_code(0).json();
    super::permissions::assert_listed(dir.path(), &moto, "report", &made);
    let wakes = &report["wakes"];
    assert_eq!(wakes["days"], 7, "{wakes}");
    assert_eq!(wakes.get("warning"), None, "{wakes}");
    let tally = &wakes["services"][0];
    assert_eq!(tally["resource_id"], "service/prod/app", "{wakes}");
    assert_eq!(tally["wakes"], 2, "{wakes}");
    assert_eq!(tally["usual_seconds"], first, "{wakes}");
    let hours = tally["hours_up_at_night"].as_f64().unwrap();
    assert!(hours > 0.0 && hours < 0.5, "since the wakes began: {hours}");
    let app = &report["services"][0];
    assert_eq!(
        app["wake_hours_per_week"], tally["hours_up_at_night"],
        "{app}"
    );
    let off = app["off_hours_per_week"].as_f64().unwrap();
    let task_hours = app["task_hours_off_per_week"].as_f64().unwrap();
    assert!(
        (task_hours - (off - hours)).abs() < 1e-6,
        "one task, its wakes' hours taken off: {app}"
    );

    // Teardown leaves none of worktime's tags on the service, its wake record included.
    worktime(dir.path(), &moto.env(), &["teardown", "--yes"]).expect_code(0);
    for key in [
        "worktime:capacity",
        "worktime:hold-until",
        "worktime:wake-started",
        "worktime:wake-seconds",
    ] {
        assert_eq!(service_tag(&sdk, "prod", "app", key).await, None, "{key}");
    }
}

/// The woken service of `worktime status --output json` (the only one).
fn wake_status(dir: &tempfile::TempDir, moto: &Moto) -> serde_json::Value {
    let status = worktime(dir.path(), &moto.env(), &["status", "--output", "json"])
        .expect_code(0)
        .json();
    let wake = status["wake"]
        .as_array()
        .unwrap_or_else(|| panic!("{status}"));
    assert_eq!(wake.len(), 1, "{status}");
    wake[0].clone()
}

/// A stack `wt` (`woken_at_night`) whose `prod/app` the built function's scale-in took down,
/// its rule and its listener's default action pointed at the wake group, with what they were
/// by day.
pub(crate) struct Night {
    sdk: aws_config::SdkConfig,
    elb: aws_sdk_elasticloadbalancingv2::Client,
    pub(crate) dir: tempfile::TempDir,
    served: String,
    wake_group: String,
    listener: String,
    rule: String,
    day_rule: Vec<aws_sdk_elasticloadbalancingv2::types::Action>,
    day_default: Vec<aws_sdk_elasticloadbalancingv2::types::Action>,
}

/// The stack `wt` (`woken_at_night`) deployed by day: `prod/app` up, its rules as they were.
pub(crate) async fn deployed(moto: &Moto) -> Night {
    let sdk = moto.sdk().await;
    let Balanced {
        elb,
        served,
        listener,
        rule,
        day_rule,
        day_default,
    } = balanced_app(moto, &sdk).await;
    let dir = bootstrapped(moto, &woken_at_night());
    let wake_group = wake_group_arn(&elb).await;
    Night {
        sdk,
        elb,
        dir,
        served,
        wake_group,
        listener,
        rule,
        day_rule,
        day_default,
    }
}

/// `deployed`, then the built function's scale-in: the service down, its rule and default
/// action at the wake group.
pub(crate) async fn night(moto: &Moto) -> Night {
    let night = deployed(moto).await;
    let mut function = FunctionRuntime::deployed(&night.sdk, "wt-scaler", moto.env()).await;
    let scale_in = fired(&night.sdk, "wt-scale-in").await;
    function.invoke(&scale_in).expect_ok();
    assert_eq!(desired_count(&night.sdk, "prod", "app").await, 0);
    assert_asleep(&night).await;
    night
}

/// The rule and the default action at the wake group (the service's group at weight 0),
/// what was there remembered.
pub(crate) async fn assert_asleep(night: &Night) {
    let asleep = vec![
        (night.served.clone(), Some(0)),
        (night.wake_group.clone(), Some(1)),
    ];
    assert_eq!(
        weights(&rule_actions(&night.elb, &night.rule).await),
        asleep
    );
    assert_eq!(
        weights(&default_actions(&night.elb, &night.listener).await),
        asleep
    );
    assert!(memory_tag(&night.elb, &night.rule).await.is_some());
}

/// The stack's status, `None` once it is gone.
async fn stack_status(sdk: &aws_config::SdkConfig) -> Option<String> {
    aws_sdk_cloudformation::Client::new(sdk)
        .describe_stacks()
        .stack_name("wt")
        .send()
        .await
        .ok()
        .and_then(|out| {
            out.stacks()
                .first()
                .and_then(|s| s.stack_status())
                .map(|s| s.as_str().to_string())
        })
        .filter(|s| s != "DELETE_COMPLETE")
}

async fn wake_group_present(elb: &aws_sdk_elasticloadbalancingv2::Client) -> bool {
    elb.describe_target_groups()
        .send()
        .await
        .unwrap()
        .target_groups()
        .iter()
        .any(|g| g.target_group_name() == Some("wt-wake-0"))
}

/// Every rule and default action exactly as by day, no memory tag left.
pub(crate) async fn as_by_day(night: &Night) {
    let elb = &night.elb;
    assert_eq!(rule_actions(elb, &night.rule).await, night.day_rule);
    assert_eq!(
        default_actions(elb, &night.listener).await,
        night.day_default
    );
    assert_eq!(memory_tag(elb, &night.rule).await, None);
    assert_eq!(memory_tag(elb, &night.listener).await, None);
}

#[tokio::test]
async fn teardown_at_night_puts_every_rule_back_exactly_before_it_deletes_the_stack_and_its_wake_group(
) {
    let moto = Moto::start();
    let night = night(&moto).await;

    let run = worktime(night.dir.path(), &moto.env(), &["teardown", "--yes"]).expect_code(0);
    as_by_day(&night).await;
    assert_eq!(stack_status(&night.sdk).await, None, "{}", run.stderr);
    assert!(
        !wake_group_present(&night.elb).await,
        "the wake group is gone"
    );
    assert_eq!(
        desired_count(&night.sdk, "prod", "app").await,
        1,
        "given back"
    );
    assert!(
        run.stdout
            .contains("woken services' rules as deployed before the stack was deleted: prod/app"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("nothing of worktime's is left"),
        "{}",
        run.stdout
    );

    // The leftovers check looks for the stack's wake target groups by name: one made again
    // by hand is found by a teardown of nothing.
    let vpc = night
        .elb
        .describe_target_groups()
        .names("served")
        .send()
        .await
        .unwrap()
        .target_groups()[0]
        .vpc_id()
        .unwrap()
        .to_string();
    create_target_group(&night.sdk, &vpc, "wt-wake-0", "HTTP").await;
    let again = worktime(night.dir.path(), &moto.env(), &["teardown", "--yes"]).expect_code(1);
    assert!(
        again.stderr.contains("target group wt-wake-0"),
        "{}",
        again.stderr
    );
}

#[tokio::test]
async fn the_model_fails_a_stack_deletion_while_a_rule_forwards_to_its_wake_group_and_teardown_then_finishes_it(
) {
    let moto = Moto::start();
    let night = night(&moto).await;

    // CloudFormation's own DeleteStack, the rules still at the wake group: as on AWS, the
    // target group cannot be deleted while an action references it.
    let cfn = aws_sdk_cloudformation::Client::new(&night.sdk);
    cfn.delete_stack().stack_name("wt").send().await.unwrap();
    assert_eq!(
        stack_status(&night.sdk).await.as_deref(),
        Some("DELETE_FAILED")
    );
    let events = cfn
        .describe_stack_events()
        .stack_name("wt")
        .send()
        .await
        .unwrap();
    let failed = events
        .stack_events()
        .iter()
        .find(|e| {
            e.logical_resource_id() == Some("WakeTargetGroup0")
                && e.resource_status().map(|s| s.as_str()) == Some("DELETE_FAILED")
        })
        .expect("the wake target group's DELETE_FAILED event");
    let reason = failed.resource_status_reason().unwrap_or_default();
    assert!(
        reason.contains(&night.wake_group) && reason.contains("in use by a listener or a rule"),
        "{reason}"
    );
    assert!(wake_group_present(&night.elb).await);

    // teardown finishes it: the function is gone with the failed deletion (moto deletes what
    // AWS would keep), so which rules it moved is read from the stack's template.
    worktime(night.dir.path(), &moto.env(), &["teardown", "--yes"]).expect_code(0);
    as_by_day(&night).await;
    assert_eq!(stack_status(&night.sdk).await, None);
    assert!(!wake_group_present(&night.elb).await);
    assert_eq!(desired_count(&night.sdk, "prod", "app").await, 1);
}

#[tokio::test]
async fn teardown_names_a_rule_changed_since_the_night_and_stops_before_deleting_anything() {
    let moto = Moto::start();
    let night = night(&moto).await;
    use aws_sdk_elasticloadbalancingv2::types::{
        Action, ActionTypeEnum, ForwardActionConfig, TargetGroupTuple,
    };
    let tuple = |arn: &str| {
        TargetGroupTuple::builder()
            .target_group_arn(arn)
            .weight(1)
            .build()
    };
    let by_hand = Action::builder()
        .r#type(ActionTypeEnum::Forward)
        .forward_config(
            ForwardActionConfig::builder()
                .target_groups(tuple(&night.served))
                .target_groups(tuple(&night.wake_group))
                .build(),
        )
        .build();
    night
        .elb
        .modify_rule()
        .rule_arn(&night.rule)
        .actions(by_hand)
        .send()
        .await
        .unwrap();

    let run = worktime(night.dir.path(), &moto.env(), &["teardown", "--yes"]).expect_code(1);
    for words in [
        night.rule.as_str(),
        "changed since",
        "stopped before deleting anything",
        "Fix: put each rule named back by hand as its worktime:wake-route tag says",
        "run `worktime teardown` again",
    ] {
        assert!(run.stderr.contains(words), "{words}: {}", run.stderr);
    }
    // Nothing else changed: the stack and its wake group, the service down, the rule as it
    // was changed; the default action, which nobody changed, is back.
    assert_eq!(
        stack_status(&night.sdk).await.as_deref(),
        Some("CREATE_COMPLETE")
    );
    assert!(wake_group_present(&night.elb).await);
    assert_eq!(desired_count(&night.sdk, "prod", "app").await, 0);
    assert_eq!(
        weights(&rule_actions(&night.elb, &night.rule).await),
        vec![
            (night.served.clone(), Some(1)),
            (night.wake_group.clone(), Some(1))
        ]
    );
    assert_eq!(
        default_actions(&night.elb, &night.listener).await,
        night.day_default
    );

    // The fix, as the message says; then teardown finishes.
    night
        .elb
        .modify_rule()
        .rule_arn(&night.rule)
        .set_actions(Some(night.day_rule.clone()))
        .send()
        .await
        .unwrap();
    night
        .elb
        .remove_tags()
        .resource_arns(&night.rule)
        .tag_keys("worktime:wake-route")
        .send()
        .await
        .unwrap();
    worktime(night.dir.path(), &moto.env(), &["teardown", "--yes"]).expect_code(0);
    as_by_day(&night).await;
    assert_eq!(stack_status(&night.sdk).await, None);
    assert_eq!(desired_count(&night.sdk, "prod", "app").await, 1);
}

#[tokio::test]
async fn worktime_run_moves_the_routes_as_the_deployed_function_does_and_a_dry_run_moves_nothing() {
    let moto = Moto::start();
    let day = deployed(&moto).await;
    let run = |args: &[&str]| worktime(day.dir.path(), &moto.env(), args);

    run(&["run", "scale-in", "--dry-run"]).expect_code(0);
    as_by_day(&day).await;
    assert_eq!(desired_count(&day.sdk, "prod", "app").await, 1);

    let night = run(&["run", "scale-in"]).expect_code(0);
    assert_eq!(desired_count(&day.sdk, "prod", "app").await, 0);
    assert_asleep(&day).await;
    assert!(
        night
            .stderr
            .contains("rules of service/prod/app point at its wake target group wt-wake-0"),
        "{}",
        night.stderr
    );
    // Again: level-triggered, nothing more to do.
    run(&["run", "scale-in"]).expect_code(0);
    assert_asleep(&day).await;

    run(&["run", "scale-out", "--dry-run"]).expect_code(0);
    assert_asleep(&day).await;

    let morning = run(&["run", "scale-out"]).expect_code(0);
    assert_eq!(desired_count(&day.sdk, "prod", "app").await, 1);
    as_by_day(&day).await;
    assert!(
        morning
            .stderr
            .contains("rules of service/prod/app as they were by day"),
        "{}",
        morning.stderr
    );
}

/// The stack `wt` on rules at night now (see [`woken_at_night`]), waking every service of
/// `prod` tagged `team=web`.
fn selector_woken_at_night() -> String {
    woken_at_night().replace(
        "service = \"app\"\nwake_on_request = true",
        "tag = \"team=web\"\nwake_on_request = true\nwake_idle_minutes = 15",
    )
}

#[tokio::test]
async fn a_tag_selector_with_wake_on_request_wakes_each_service_it_selects_as_a_named_one() {
    let moto = Moto::start();
    let sdk = moto.sdk().await;
    let Balanced {
        elb,
        served,
        listener,
        rule,
        day_rule,
        day_default,
    } = balanced_app(&moto, &sdk).await;
    tag_service(&sdk, "prod", "app", "team", "web").await;
    // A worker the selector also selects, behind no load balancer: no request can wake it,
    // so the deploy is refused naming the selector and the service, nothing made.
    create_balanced_service(&sdk, "prod", "worker", None, None).await;
    tag_service(&sdk, "prod", "worker", "team", "web").await;
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path(), &selector_woken_at_night());
    let zip = function_zip(dir.path(), "fn.zip", None);
    let bootstrap = || {
        super::permissions::recorded(
            dir.path(),
            &moto,
            &["bootstrap", "--yes", "--artifact", zip.to_str().unwrap()],
        )
    };
    let (refused, _) = bootstrap();
    let refused = refused.expect_code(2);
    assert!(
        refused.stderr.contains("services[0].wake_on_request")
            && refused
                .stderr
                .contains("service \"worker\" in cluster \"prod\" cannot be woken by a request")
            && refused.stderr.contains("nothing was changed"),
        "{}",
        refused.stderr
    );
    let buckets = moto.s3().await.list_buckets().send().await.unwrap();
    assert!(buckets.buckets().is_empty(), "nothing created");

    // The worker on another team: the selector wakes `app` alone, as if it were named.
    tag_service(&sdk, "prod", "worker", "team", "batch").await;
    let (run, made) = bootstrap();
    run.expect_code(0);
    super::permissions::assert_listed(dir.path(), &moto, "bootstrap", &made);
    let wake_group = wake_group_arn(&elb).await;
    let woken = deployed_wake_variable(&sdk).await;
    assert_eq!(woken.as_array().map(Vec::len), Some(1), "{woken}");
    assert_eq!(woken[0]["s"], "prod/app", "{woken}");
    assert_eq!(woken[0]["m"], 15, "{woken}");
    assert_eq!(woken[0]["r"], serde_json::json!([rule]), "{woken}");

    // The night: the selector's scale-in takes it down and points its rules at the group.
    let mut function = FunctionRuntime::deployed(&sdk, "wt-scaler", moto.env()).await;
    let scale_in = fired(&sdk, "wt-scale-in").await;
    function.invoke(&scale_in).expect_ok();
    assert_eq!(desired_count(&sdk, "prod", "app").await, 0);
    let night = vec![(served.clone(), Some(0)), (wake_group.clone(), Some(1))];
    assert_eq!(weights(&rule_actions(&elb, &rule).await), night);
    assert_eq!(weights(&default_actions(&elb, &listener).await), night);
    let status = wake_status(&dir, &moto);
    assert_eq!(status["resource_id"], "service/prod/app", "{status}");
    assert_eq!(status["state"], "asleep", "{status}");
    assert_eq!(status["wake_group"], "wt-wake-0", "{status}");

    // A visitor wakes it (held for the selector's 15 minutes), then is sent back.
    let mut browser = fixture("alb-browser-get.json");
    browser["requestContext"]["elb"]["targetGroupArn"] = serde_json::json!(wake_group);
    moto.model_ecs_service(
        "prod",
        "app",
        serde_json::json!({"start_seconds": 1, "stop_seconds": 1}),
    );
    let before = chrono::Utc::now();
    let answer = function.invoke(&browser).expect_ok();
    assert_eq!(answer["statusCode"], 200, "{answer}");
    assert_eq!(desired_count(&sdk, "prod", "app").await, 1);
    let hold = service_tag(&sdk, "prod", "app", "worktime:hold-until")
        .await
        .expect("held");
    let held = chrono::DateTime::parse_from_rfc3339(&hold)
        .unwrap()
        .with_timezone(&chrono::Utc)
        - before;
    assert!((14..=16).contains(&held.num_minutes()), "{hold}");
    tokio::time::sleep(std::time::Duration::from_millis(1300)).await;
    let answer = function.invoke(&browser).expect_ok();
    assert_eq!(answer["statusCode"], 302, "{answer}");
    assert_eq!(rule_actions(&elb, &rule).await, day_rule);
    assert_eq!(default_actions(&elb, &listener).await, day_default);

    // The hold over, the reconcile puts it back to sleep; teardown at night puts every rule
    // back and leaves no wake group behind.
    tag_service(
        &sdk,
        "prod",
        "app",
        "worktime:hold-until",
        "2020-01-01T00:00:00Z",
    )
    .await;
    let reconcile = fired(&sdk, "wt-reconcile").await;
    function.invoke(&reconcile).expect_ok();
    assert_eq!(weights(&rule_actions(&elb, &rule).await), night);
    let (run, made) = super::permissions::recorded(dir.path(), &moto, &["teardown", "--yes"]);
    run.expect_code(0);
    super::permissions::assert_listed(dir.path(), &moto, "teardown", &made);
    assert_eq!(rule_actions(&elb, &rule).await, day_rule);
    assert_eq!(default_actions(&elb, &listener).await, day_default);
    assert!(!wake_group_present(&elb).await, "no wake group left");
}

#[tokio::test]
async fn rollout_reads_each_accounts_own_rules_for_its_woken_services_and_teardown_leaves_no_wake_group(
) {
    let moto = Moto::start();
    // `prod/app` behind its load balancer in account 111111111111 only.
    let account = "111111111111";
    let theirs = moto
        .sdk_as(account, "OrganizationAccountAccessRole", REGION)
        .await;
    let Balanced {
        elb,
        rule,
        day_rule,
        ..
    } = balanced_app(&moto, &theirs).await;
    let dir = tempfile::tempdir().unwrap();
    let fleet = format!(
        "{}\n[[accounts]]\nid = \"{account}\"\nrole = \"OrganizationAccountAccessRole\"\n\n[[accounts.services]]\ncluster = \"prod\"\nservice = \"app\"\nwake_on_request = true\n",
        config("wt", "rules", "[[services]]\ncluster = \"prod\"\nservice = \"api\"\n")
    );
    write_config(dir.path(), &fleet);
    let zip = function_zip(dir.path(), "fn.zip", None);
    let rollout = |extra: &[&str]| {
        let mut args = vec![
            "--output",
            "json",
            "rollout",
            "--artifact",
            zip.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        worktime(dir.path(), &moto.env(), &args)
    };
    // The preview reads the account's rules as the deploy will, and changes nothing.
    let preview = rollout(&["--dry-run"]).expect_code(0);
    assert_eq!(preview.json()[0]["result"], "planned", "{}", preview.stdout);
    assert!(wake_groups(&elb).await.is_empty());

    let run = rollout(&["--yes"]).expect_code(0);
    assert_eq!(run.json()[0]["result"], "created", "{}", run.stdout);
    // The account's stack has its wake group, the function its one target, and the function
    // may rewrite that account's rule: the one that forwards to the service there.
    assert_eq!(wake_groups(&elb).await, vec!["wt-wake-0".to_string()]);
    let woken = deployed_wake_variable(&theirs).await;
    assert_eq!(woken[0]["s"], "prod/app", "{woken}");
    assert_eq!(woken[0]["r"], serde_json::json!([rule]), "{woken}");
    assert!(rule.contains(&format!(":{account}:")), "{rule}");

    // A service there that cannot be woken is refused for that target alone, before its
    // stack changes, naming the key.
    write_config(
        dir.path(),
        &fleet.replace("service = \"app\"", "service = \"missing\""),
    );
    let refused = rollout(&["--yes"]).expect_code(1);
    let row = &refused.json()[0];
    assert_eq!(row["result"], "failed", "{}", refused.stdout);
    let error = row["error"].as_str().unwrap_or_default();
    assert!(
        error.contains("wake_on_request") && error.contains("\"missing\""),
        "{error}"
    );
    assert_eq!(wake_groups(&elb).await, vec!["wt-wake-0".to_string()]);

    write_config(dir.path(), &fleet);
    let run = worktime(
        dir.path(),
        &moto.env(),
        &["--output", "json", "teardown", "--all-accounts", "--yes"],
    )
    .expect_code(0);
    assert_eq!(run.json()[0]["result"], "deleted", "{}", run.stdout);
    assert!(wake_groups(&elb).await.is_empty(), "no wake group left");
    assert_eq!(rule_actions(&elb, &rule).await, day_rule);
}

/// The wake target groups (`wt-wake-N`) `elb`'s account has.
async fn wake_groups(elb: &aws_sdk_elasticloadbalancingv2::Client) -> Vec<String> {
    elb.describe_target_groups()
        .send()
        .await
        .unwrap()
        .target_groups()
        .iter()
        .filter_map(|g| g.target_group_name())
        .filter(|name| name.starts_with("wt-wake-"))
        .map(str::to_string)
        .collect()
}

/// The ARN of the stack `wt`'s first wake target group.
async fn wake_group_arn(elb: &aws_sdk_elasticloadbalancingv2::Client) -> String {
    elb.describe_target_groups()
        .names("wt-wake-0")
        .send()
        .await
        .unwrap()
        .target_groups()[0]
        .target_group_arn()
        .unwrap()
        .to_string()
}

/// What the deployed trigger `name` (`wt-scale-in`, ...) delivers when it fires now.
async fn fired(sdk: &aws_config::SdkConfig, name: &str) -> serde_json::Value {
    worktime_e2e::triggers::deployed_rule_payload(sdk, name, chrono::Utc::now())
        .await
        .unwrap()
}

/// The deployed function `wt-scaler`'s `WORKTIME_WAKE`, read as JSON.
async fn deployed_wake_variable(sdk: &aws_config::SdkConfig) -> serde_json::Value {
    let function = aws_sdk_lambda::Client::new(sdk)
        .get_function_configuration()
        .function_name("wt-scaler")
        .send()
        .await
        .unwrap();
    serde_json::from_str(&function.environment().unwrap().variables().unwrap()["WORKTIME_WAKE"])
        .unwrap()
}
