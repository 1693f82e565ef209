use super::*;

const ARN: &str = "arn:aws:autoscaling:eu-west-1:123456789012:autoScalingGroup:0b1c:autoScalingGroupName/batch-asg";

fn provider(name: &str, group: Option<&str>, managed: bool) -> Provider {
    Provider {
        name: name.into(),
        group: group.map(str::to_string),
        managed_scaling: managed,
    }
}

fn group(min: i32) -> Group {
    Group {
        name: "batch-asg".into(),
        arn: ARN.into(),
        min_size: min,
    }
}

fn service(name: &str, launch: Option<&str>) -> ServiceLaunch {
    ServiceLaunch {
        resource_id: format!("service/batch/{name}"),
        cluster: "batch".into(),
        launch_type: launch.map(str::to_string),
    }
}

#[test]
fn a_well_set_cluster_has_no_warning() {
    let clusters = vec![("batch".to_string(), vec![provider("cp", Some(ARN), true)])];
    assert!(warnings(&clusters, &[group(0)], &[service("api", None)]).is_empty());
}

#[test]
fn min_above_zero_managed_scaling_off_and_a_launch_type_are_each_warned() {
    let clusters = vec![("batch".to_string(), vec![provider("cp", Some(ARN), false)])];
    let found = warnings(
        &clusters,
        &[group(1)],
        &[service("api", Some("EC2")), service("web", None)],
    );
    assert_eq!(
        found,
        vec![
            CapacityWarning::ManagedScalingOff {
                cluster: "batch".into(),
                provider: "cp".into()
            },
            CapacityWarning::GroupMinAboveZero {
                cluster: "batch".into(),
                provider: "cp".into(),
                group: "batch-asg".into(),
                min: 1
            },
            CapacityWarning::ServiceOnLaunchType {
                service: "service/batch/api".into(),
                launch_type: "EC2".into()
            },
        ]
    );
    assert!(found[1]
        .fix()
        .contains("--auto-scaling-group-name batch-asg --min-size 0"));
    assert!(found[0].fix().contains("--name cp"));
    assert!(found[2].fix().contains("--cluster batch --service api"));
}

#[test]
fn a_group_given_by_name_is_matched_and_an_unread_group_gives_no_warning() {
    let by_name = vec![(
        "batch".to_string(),
        vec![provider("cp", Some("batch-asg"), true)],
    )];
    assert_eq!(warnings(&by_name, &[group(2)], &[]).len(), 1);
    assert!(warnings(&by_name, &[], &[]).is_empty());
}

#[test]
fn fargate_only_clusters_and_fargate_services_are_not_warned() {
    let clusters = vec![("batch".to_string(), vec![provider("FARGATE", None, false)])];
    assert!(warnings(
        &clusters,
        &[],
        &[service("api", Some("FARGATE")), service("b", Some("EC2"))]
    )
    .is_empty());
    let with_group = vec![("batch".to_string(), vec![provider("cp", Some(ARN), true)])];
    assert!(warnings(&with_group, &[group(0)], &[service("api", Some("FARGATE"))]).is_empty());
}

#[test]
fn group_names_come_out_of_arns() {
    assert_eq!(group_name(ARN), "batch-asg");
    assert_eq!(group_name("batch-asg"), "batch-asg");
}

#[test]
fn warned_carries_message_and_fix_in_json() {
    let warned = Warned::from(CapacityWarning::ManagedScalingOff {
        cluster: "batch".into(),
        provider: "cp".into(),
    });
    let json = serde_json::to_value(&warned).unwrap();
    assert_eq!(json["kind"], "managed-scaling-off");
    assert_eq!(json["provider"], "cp");
    assert!(json["fix"]
        .as_str()
        .unwrap()
        .contains("managedScaling={status=ENABLED}"));
}
