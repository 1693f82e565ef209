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
    let function = aws_sdk_lambda::Client::new(&sdk)
        .get_function_configuration()
        .function_name("wt-scaler")
        .send()
        .await
        .unwrap();
    let woken: serde_json::Value = serde_json::from_str(
        function
            .environment()
            .and_then(|e| e.variables())
            .and_then(|v| v.get("WORKTIME_WAKE"))
            .expect("WORKTIME_WAKE"),
    )
    .unwrap();
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
