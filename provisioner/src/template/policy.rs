//! IAM: the scaling function's least-privilege policy and the role EventBridge Scheduler
//! assumes.

use worktime_cfn::iam::{PolicyDocument, Principal, Statement};
use worktime_cfn::resources::{IamRole, InlinePolicy};
use worktime_cfn::{Expr, Pseudo, Resource};
use worktime_lambda::delivered::NOTICE_TAG_PREFIX;
use worktime_lambda::tags::{CAPACITY_TAG, HOLD_UNTIL_TAG};

use super::ids;
use super::notify::NotifyTargets;
use super::values::Listing;
use crate::config::CapacitySpec;

/// The service-linked role Application Auto Scaling uses for ECS services.
const ECS_AUTOSCALING_SLR: &str = "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/aws-service-role/ecs.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_ECSService";

/// Least privilege for the scaling function, on the configured services' clusters (every
/// cluster's services only when a selector says `cluster = "*"`). `notices_by`: the
/// function's name when it sends notices (it records on its own tags which topics have one).
/// `capacity`: the `[[capacity]]` groups it sizes, and their clusters.
pub(super) fn function_policy(
    service_arns: Vec<Expr>,
    listing: &Listing,
    notify: &NotifyTargets,
    notices_by: Option<&str>,
    capacity: &[CapacitySpec],
) -> PolicyDocument {
    let mut statements = vec![
        // No resource-level permissions for Describe*: "*" is the only possible resource.
        Statement::allow(
            ["application-autoscaling:DescribeScalableTargets"],
            [Expr::str("*")],
        )
        .sid("DescribeScalableTargets"),
        // Scalable target ARNs carry a random id, not the ECS resource id, so the account's
        // and region's targets are as narrow as a static policy can get; the ECS statement
        // below limits which services registration can actually change.
        Statement::allow(
            [
                "application-autoscaling:RegisterScalableTarget",
                "application-autoscaling:DeregisterScalableTarget",
            ],
            [Expr::sub(
                "arn:${AWS::Partition}:application-autoscaling:${AWS::Region}:${AWS::AccountId}:scalable-target/*",
            )],
        )
        .sid("RegisterScalableTargets"),
        // The function's own ECS calls, which are also what RegisterScalableTarget needs from
        // its caller for an ECS service (ecs:DescribeServices, ecs:UpdateService).
        Statement::allow(
            [
                "ecs:DescribeServices",
                "ecs:ListTagsForResource",
                "ecs:UpdateService",
            ],
            service_arns.clone(),
        )
        .sid("ScaleConfiguredServices"),
        Statement::allow(["ecs:TagResource"], service_arns.clone())
            .sid("RememberCapacity")
            .condition(
                "ForAllValues:StringEquals",
                "aws:TagKeys",
                Expr::str(CAPACITY_TAG),
            ),
        // A hold that has ended is removed by the run that finds it.
        Statement::allow(["ecs:UntagResource"], service_arns)
            .sid("RemoveEndedHolds")
            .condition(
                "ForAllValues:StringEquals",
                "aws:TagKeys",
                Expr::str(HOLD_UNTIL_TAG),
            ),
        Statement::allow(
            ["iam:PassRole"],
            [Expr::sub(ECS_AUTOSCALING_SLR)],
        )
        .sid("PassAutoScalingServiceLinkedRole")
        .condition(
            "StringEquals",
            "iam:PassedToService",
            Expr::str("application-autoscaling.amazonaws.com"),
        ),
        // The first registration in an account creates the ECS service-linked role.
        Statement::allow(
            ["iam:CreateServiceLinkedRole"],
            [Expr::sub(ECS_AUTOSCALING_SLR)],
        )
        .sid("CreateAutoScalingServiceLinkedRole")
        .condition(
            "StringEquals",
            "iam:AWSServiceName",
            Expr::str("ecs.application-autoscaling.amazonaws.com"),
        ),
        Statement::allow(
            ["logs:CreateLogStream", "logs:PutLogEvents"],
            [Expr::get_att(ids::FUNCTION_LOG_GROUP, "Arn")],
        )
        .sid("WriteOwnLogs"),
        Statement::allow(
            ["sqs:SendMessage"],
            [Expr::get_att(ids::DEAD_LETTER_QUEUE, "Arn")],
        )
        .sid("DeadLetters"),
        // One event per run, on the account's default bus only.
        Statement::allow(
            ["events:PutEvents"],
            [Expr::sub(
                "arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:event-bus/default",
            )],
        )
        .sid("PutRunEvents"),
    ];
    if !notify.topics.is_empty() {
        statements
            .push(Statement::allow(["sns:Publish"], notify.topics.clone()).sid("PublishNotices"));
        // A retried notice skips the topics that have it: the function records them on its
        // own tags, and may write no other tag key, on no other function.
        if let Some(function_name) = notices_by {
            let own = Expr::sub(format!(
                "arn:${{AWS::Partition}}:lambda:${{AWS::Region}}:${{AWS::AccountId}}:function:{function_name}"
            ));
            statements
                .push(Statement::allow(["lambda:ListTags"], [own.clone()]).sid("ReadNoticeRecord"));
            statements.push(
                Statement::allow(["lambda:TagResource"], [own])
                    .sid("RecordNoticeDelivery")
                    .condition(
                        "ForAllValues:StringLike",
                        "aws:TagKeys",
                        Expr::str(format!("{NOTICE_TAG_PREFIX}*")),
                    ),
            );
        }
    }
    // Publishing to an encrypted topic encrypts with its key, as the publisher.
    if let Some(key) = &notify.key_arn {
        statements.push(
            Statement::allow(["kms:Decrypt", "kms:GenerateDataKey*"], [key.clone()])
                .sid("EncryptNotices"),
        );
    }
    // Selectors: ListServices has no resource type, only the `ecs:cluster` condition key
    // (Service Authorization Reference, Amazon ECS), so it is narrowed to the named clusters;
    // ListClusters has neither and is granted only for a `"*"` selector.
    match listing {
        Listing::None => {}
        Listing::Clusters(cluster_arns) => statements.push(
            Statement::allow(["ecs:ListServices"], [Expr::str("*")])
                .sid("ListSelectedClusters")
                .condition("ArnEquals", "ecs:cluster", cluster_arns.clone()),
        ),
        Listing::All => statements.push(
            Statement::allow(["ecs:ListClusters", "ecs:ListServices"], [Expr::str("*")])
                .sid("ListEveryCluster"),
        ),
    }
    statements.extend(capacity_statements(capacity));
    PolicyDocument::new(statements)
}

/// The `[[capacity]]` groups: read (no resource-level permission for Describe), sized and
/// tagged (`worktime:capacity` only) by name, and their clusters' container instances
/// counted. None without `[[capacity]]`.
fn capacity_statements(capacity: &[CapacitySpec]) -> Vec<Statement> {
    if capacity.is_empty() {
        return Vec::new();
    }
    // A group's ARN carries a random id before its name; the name is what the config knows.
    let groups: Vec<Expr> = capacity
        .iter()
        .map(|c| {
            Expr::sub(format!(
                "arn:${{AWS::Partition}}:autoscaling:${{AWS::Region}}:${{AWS::AccountId}}:autoScalingGroup:*:autoScalingGroupName/{}",
                c.autoscaling_group
            ))
        })
        .collect();
    let mut clusters: Vec<&str> = capacity.iter().map(|c| c.cluster.as_str()).collect();
    clusters.sort_unstable();
    clusters.dedup();
    let cluster_arns: Vec<Expr> = clusters
        .iter()
        .map(|cluster| {
            Expr::sub(format!(
                "arn:${{AWS::Partition}}:ecs:${{AWS::Region}}:${{AWS::AccountId}}:cluster/{cluster}"
            ))
        })
        .collect();
    vec![
        Statement::allow(["autoscaling:DescribeAutoScalingGroups"], [Expr::str("*")])
            .sid("DescribeCapacityGroups"),
        Statement::allow(["autoscaling:UpdateAutoScalingGroup"], groups.clone())
            .sid("SizeCapacityGroups"),
        Statement::allow(["autoscaling:CreateOrUpdateTags"], groups)
            .sid("RememberGroupCapacity")
            .condition(
                "ForAllValues:StringEquals",
                "aws:TagKeys",
                Expr::str(CAPACITY_TAG),
            ),
        Statement::allow(["ecs:ListContainerInstances"], cluster_arns)
            .sid("CountContainerInstances"),
    ]
}

/// The role EventBridge Scheduler assumes to invoke the function and dead-letter failures.
pub(super) fn scheduler_role(stack: &str) -> Resource {
    let trust = Statement::trust(
        Principal::service("scheduler.amazonaws.com"),
        ["sts:AssumeRole"],
    )
    .condition(
        "StringEquals",
        "aws:SourceAccount",
        Expr::pseudo(Pseudo::AccountId),
    );
    Resource::new(IamRole {
        role_name: Some(Expr::sub(format!("{stack}-scheduler-${{AWS::Region}}"))),
        description: Some(format!(
            "{stack} (worktime): lets EventBridge Scheduler invoke the scaling function"
        )),
        assume_role_policy_document: PolicyDocument::new(vec![trust]),
        policies: vec![InlinePolicy {
            policy_name: Expr::str("invoke-scaler"),
            policy_document: PolicyDocument::new(vec![
                Statement::allow(
                    ["lambda:InvokeFunction"],
                    [Expr::get_att(ids::FUNCTION, "Arn")],
                )
                .sid("InvokeScaler"),
                Statement::allow(
                    ["sqs:SendMessage"],
                    [Expr::get_att(ids::DEAD_LETTER_QUEUE, "Arn")],
                )
                .sid("DeadLetters"),
            ]),
        }],
        ..Default::default()
    })
}
