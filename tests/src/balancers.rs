//! Load balancers for the wake-on-request tests (issue 18), made through Elastic Load
//! Balancing's API on the test endpoint: an Application or Network Load Balancer in the
//! region's default VPC, a target group, a listener and a rule, and an ECS service
//! registered with the target group.

use aws_config::SdkConfig;
use aws_sdk_elasticloadbalancingv2::types::{
    Action, ActionTypeEnum, FixedResponseActionConfig, LoadBalancerTypeEnum, ProtocolEnum,
    RuleCondition, TargetTypeEnum,
};

use crate::{workspace_root, Moto};

/// The default VPC's subnets, read with EC2 `DescribeSubnets` through boto3 (the tests have
/// no EC2 SDK crate; a load balancer needs two subnets).
pub fn default_subnets(moto: &Moto) -> Vec<String> {
    subnets_with(moto, &moto.region, ("testing", "testing", ""))
}

/// [`default_subnets`] of the account and region `sdk` acts in (another account's default
/// VPC is its own).
pub async fn default_subnets_of(moto: &Moto, sdk: &SdkConfig) -> Vec<String> {
    use aws_sdk_sts::config::ProvideCredentials;
    let credentials = sdk
        .credentials_provider()
        .expect("credentials")
        .provide_credentials()
        .await
        .expect("credentials");
    let region = sdk.region().map_or(moto.region.clone(), |r| r.to_string());
    subnets_with(
        moto,
        &region,
        (
            credentials.access_key_id(),
            credentials.secret_access_key(),
            credentials.session_token().unwrap_or_default(),
        ),
    )
}

fn subnets_with(
    moto: &Moto,
    region: &str,
    (key, secret, token): (&str, &str, &str),
) -> Vec<String> {
    let script = "import boto3,sys\nec2=boto3.client('ec2',endpoint_url=sys.argv[1],region_name=sys.argv[2],aws_access_key_id=sys.argv[3],aws_secret_access_key=sys.argv[4],aws_session_token=sys.argv[5] or None)\nprint(' '.join(s['SubnetId'] for s in ec2.describe_subnets(Filters=[{'Name':'default-for-az','Values':['true']}])['Subnets']))";
    let out = std::process::Command::new(workspace_root().join(".venv/bin/python"))
        .args(["-c", script, &moto.endpoint(), region, key, secret, token])
        .output()
        .expect("run python");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .map(str::to_string)
        .collect()
}

/// A load balancer (`kind` "application" or "network"); returns (its ARN, its VPC).
pub async fn create_balancer(
    sdk: &SdkConfig,
    subnets: &[String],
    name: &str,
    kind: &str,
) -> (String, String) {
    let elb = aws_sdk_elasticloadbalancingv2::Client::new(sdk);
    let lb = elb
        .create_load_balancer()
        .name(name)
        .set_subnets(Some(subnets.iter().take(2).cloned().collect()))
        .r#type(LoadBalancerTypeEnum::from(kind))
        .send()
        .await
        .expect("create load balancer");
    let lb = &lb.load_balancers()[0];
    (
        lb.load_balancer_arn().unwrap().to_string(),
        lb.vpc_id().unwrap().to_string(),
    )
}

/// An `ip` target group (what a Fargate service registers with).
pub async fn create_target_group(sdk: &SdkConfig, vpc: &str, name: &str, protocol: &str) -> String {
    let elb = aws_sdk_elasticloadbalancingv2::Client::new(sdk);
    elb.create_target_group()
        .name(name)
        .protocol(ProtocolEnum::from(protocol))
        .port(80)
        .vpc_id(vpc)
        .target_type(TargetTypeEnum::Ip)
        .send()
        .await
        .expect("create target group")
        .target_groups()[0]
        .target_group_arn()
        .unwrap()
        .to_string()
}

fn forward(target_group: &str) -> Action {
    Action::builder()
        .r#type(ActionTypeEnum::Forward)
        .target_group_arn(target_group)
        .build()
}

fn not_found() -> Action {
    Action::builder()
        .r#type(ActionTypeEnum::FixedResponse)
        .fixed_response_config(
            FixedResponseActionConfig::builder()
                .status_code("404")
                .build(),
        )
        .build()
}

/// A listener on port 80; its default action forwards to `default_group`, or answers 404.
pub async fn create_listener(
    sdk: &SdkConfig,
    balancer: &str,
    protocol: &str,
    default_group: Option<&str>,
) -> String {
    let elb = aws_sdk_elasticloadbalancingv2::Client::new(sdk);
    elb.create_listener()
        .load_balancer_arn(balancer)
        .protocol(ProtocolEnum::from(protocol))
        .port(80)
        .default_actions(default_group.map(forward).unwrap_or_else(not_found))
        .send()
        .await
        .expect("create listener")
        .listeners()[0]
        .listener_arn()
        .unwrap()
        .to_string()
}

/// A rule forwarding `path` (a path pattern) to `target_group`.
pub async fn create_rule(
    sdk: &SdkConfig,
    listener: &str,
    priority: i32,
    path: &str,
    target_group: &str,
) -> String {
    let elb = aws_sdk_elasticloadbalancingv2::Client::new(sdk);
    elb.create_rule()
        .listener_arn(listener)
        .priority(priority)
        .conditions(
            RuleCondition::builder()
                .field("path-pattern")
                .values(path)
                .build(),
        )
        .actions(forward(target_group))
        .send()
        .await
        .expect("create rule")
        .rules()[0]
        .rule_arn()
        .unwrap()
        .to_string()
}

/// An ECS service registered with `target_group` (none: no load balancer), deployed by
/// `controller` (`None`: ECS's default).
pub async fn create_balanced_service(
    sdk: &SdkConfig,
    cluster: &str,
    service: &str,
    target_group: Option<&str>,
    controller: Option<&str>,
) {
    let ecs = aws_sdk_ecs::Client::new(sdk);
    let mut create = ecs
        .create_service()
        .cluster(cluster)
        .service_name(service)
        .desired_count(1);
    if let Some(group) = target_group {
        create = create.load_balancers(
            aws_sdk_ecs::types::LoadBalancer::builder()
                .target_group_arn(group)
                .container_name(service)
                .container_port(80)
                .build(),
        );
    }
    if let Some(kind) = controller {
        create = create.deployment_controller(
            aws_sdk_ecs::types::DeploymentController::builder()
                .r#type(aws_sdk_ecs::types::DeploymentControllerType::from(kind))
                .build()
                .unwrap(),
        );
    }
    create
        .send()
        .await
        .unwrap_or_else(|e| panic!("create service {service}: {e:?}"));
}
