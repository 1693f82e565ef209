//! Issue 19, item 3: `status` and `report` warn where a cluster's capacity providers keep its
//! instances up (a group's `MinSize` above 0, managed scaling off, a service on the `EC2`
//! launch type), each with its fix; a well-set cluster gives none, and a warning leaves the
//! exit code as it was. The services' strategies follow the AWS model's
//! `ecs_capacity_provider_strategy.py`.

use super::*;

use aws_sdk_ecs::types::{
    AutoScalingGroupProvider, CapacityProviderStrategyItem, ManagedScaling, ManagedScalingStatus,
};

const REGION: &str = "eu-west-1";

const CONFIG: &str = r#"
[stack]
name = "wt"
region = "eu-west-1"

[schedule]
timezone = "Asia/Seoul"
scale_out = "cron(0 8 ? * MON-FRI *)"
scale_in = "cron(0 19 ? * MON-FRI *)"
trigger = "rules"

[[services]]
cluster = "batch"
service = "on-ec2"

[[services]]
cluster = "batch"
service = "on-provider"

[[services]]
cluster = "calm"
service = "web"
"#;

/// Cluster `cluster` with one capacity provider `provider` over a new group `group` of
/// `MinSize` `min`, managed scaling as `managed`.
async fn provided_cluster(
    sdk: &aws_config::SdkConfig,
    cluster: &str,
    provider: &str,
    group: &str,
    min: i32,
    managed: bool,
) {
    let groups = aws_sdk_autoscaling::Client::new(sdk);
    groups
        .create_launch_configuration()
        .launch_configuration_name(format!("{group}-lc"))
        .image_id("ami-12c6146b")
        .instance_type("t3.micro")
        .send()
        .await
        .unwrap();
    groups
        .create_auto_scaling_group()
        .auto_scaling_group_name(group)
        .launch_configuration_name(format!("{group}-lc"))
        .min_size(min)
        .max_size(3)
        .desired_capacity(min)
        .availability_zones(format!("{REGION}a"))
        .send()
        .await
        .unwrap();
    let arn = groups
        .describe_auto_scaling_groups()
        .auto_scaling_group_names(group)
        .send()
        .await
        .unwrap()
        .auto_scaling_groups()[0]
        .auto_scaling_group_arn()
        .unwrap()
        .to_string();
    let ecs = aws_sdk_ecs::Client::new(sdk);
    ecs.create_cluster()
        .cluster_name(cluster)
        .send()
        .await
        .unwrap();
    let status = if managed {
        ManagedScalingStatus::Enabled
    } else {
        ManagedScalingStatus::Disabled
    };
    ecs.create_capacity_provider()
        .name(provider)
        .auto_scaling_group_provider(
            AutoScalingGroupProvider::builder()
                .auto_scaling_group_arn(arn)
                .managed_scaling(ManagedScaling::builder().status(status).build())
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    ecs.put_cluster_capacity_providers()
        .cluster(cluster)
        .capacity_providers(provider)
        .set_default_capacity_provider_strategy(Some(Vec::new()))
        .send()
        .await
        .unwrap();
}

/// Service `name` of `cluster`, on launch type `EC2` or on `provider`'s strategy.
async fn service(sdk: &aws_config::SdkConfig, cluster: &str, name: &str, provider: Option<&str>) {
    let ecs = aws_sdk_ecs::Client::new(sdk);
    let create = ecs
        .create_service()
        .cluster(cluster)
        .service_name(name)
        .desired_count(1);
    let create = match provider {
        Some(provider) => create.capacity_provider_strategy(
            CapacityProviderStrategyItem::builder()
                .capacity_provider(provider)
                .weight(1)
                .build()
                .unwrap(),
        ),
        None => create.launch_type(aws_sdk_ecs::types::LaunchType::Ec2),
    };
    create.send().await.unwrap();
}

#[tokio::test]
async fn status_and_report_warn_where_a_capacity_providers_instances_cannot_follow() {
    let moto = Moto::start_in(REGION);
    let sdk = moto.sdk().await;
    provided_cluster(&sdk, "batch", "batch-cp", "batch-asg", 1, false).await;
    service(&sdk, "batch", "on-ec2", None).await;
    service(&sdk, "batch", "on-provider", Some("batch-cp")).await;
    provided_cluster(&sdk, "calm", "calm-cp", "calm-asg", 0, true).await;
    service(&sdk, "calm", "web", Some("calm-cp")).await;
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path(), CONFIG);

    // A warning is not a failure: both commands exit 0.
    let status = worktime(dir.path(), &moto.env(), &["status", "--output", "json"]).expect_code(0);
    let report = worktime(dir.path(), &moto.env(), &["report", "--output", "json"]).expect_code(0);
    for json in [status.json(), report.json()] {
        let warnings = json["instances"]["warnings"]
            .as_array()
            .expect("warnings")
            .clone();
        let kinds: Vec<&str> = warnings
            .iter()
            .map(|w| w["kind"].as_str().unwrap())
            .collect();
        assert_eq!(
            kinds,
            [
                "managed-scaling-off",
                "group-min-above-zero",
                "service-on-launch-type"
            ],
            "{json}"
        );
        assert_eq!(warnings[0]["cluster"], "batch");
        assert_eq!(warnings[0]["provider"], "batch-cp");
        assert_eq!(warnings[1]["group"], "batch-asg");
        assert_eq!(warnings[1]["min"], 1);
        assert_eq!(warnings[2]["service"], "service/batch/on-ec2");
        assert_eq!(warnings[2]["launch_type"], "EC2");
        assert!(warnings[1]["fix"]
            .as_str()
            .unwrap()
            .contains("--auto-scaling-group-name batch-asg --min-size 0"));
        // Nothing about the well-set cluster, nor the service on its provider.
        let text = serde_json::to_string(&warnings).unwrap();
        assert!(
            !text.contains("calm") && !text.contains("on-provider"),
            "{text}"
        );
    }

    for command in ["status", "report"] {
        let run = worktime(dir.path(), &moto.env(), &[command]).expect_code(0);
        for line in [
            "warning: cluster batch: capacity provider batch-cp has managed scaling off",
            "fix: aws ecs update-capacity-provider --name batch-cp --auto-scaling-group-provider managedScaling={status=ENABLED}",
            "warning: cluster batch: capacity provider batch-cp's Auto Scaling group batch-asg has MinSize 1",
            "fix: aws autoscaling update-auto-scaling-group --auto-scaling-group-name batch-asg --min-size 0",
            "warning: service/batch/on-ec2 uses launch type EC2",
            "fix: aws ecs update-service --cluster batch --service on-ec2 --capacity-provider-strategy",
        ] {
            assert!(run.stdout.contains(line), "{command}: no {line:?} in\n{}", run.stdout);
        }
    }
}

#[tokio::test]
async fn well_set_clusters_and_clusters_without_providers_give_no_warning() {
    let moto = Moto::start_in(REGION);
    let sdk = moto.sdk().await;
    provided_cluster(&sdk, "batch", "batch-cp", "batch-asg", 0, true).await;
    service(&sdk, "batch", "on-ec2", Some("batch-cp")).await;
    service(&sdk, "batch", "on-provider", Some("batch-cp")).await;
    // A cluster with no capacity provider: its services' launch type is not the providers'
    // business (nothing follows them; `[[capacity]]` is for that).
    create_services(&sdk, "calm", &[("web", 1)]).await;
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path(), CONFIG);
    for command in ["status", "report"] {
        let json = worktime(dir.path(), &moto.env(), &[command, "--output", "json"])
            .expect_code(0)
            .json();
        assert!(json.get("instances").is_none(), "{command}: {json}");
        let text = worktime(dir.path(), &moto.env(), &[command]).expect_code(0);
        assert!(
            !text.stdout.contains("warning:"),
            "{command}: {}",
            text.stdout
        );
    }
}
