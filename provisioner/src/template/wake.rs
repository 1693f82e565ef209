//! Wake on request (issue 18): per woken service, a Lambda target group that sends its
//! requests to the function, the permission that lets Elastic Load Balancing invoke it, and
//! what the function needs to repoint the service's rules at night and back: the woken
//! services in its environment, and IAM on the rules and listeners found at deploy.
//!
//! The permission's `SourceArn` names the target group by its name
//! (`targetgroup/<name>/*`), not by `!Ref`: registering the function as the group's target
//! needs the permission to exist first, and a permission naming the group's ARN needs the
//! group first, a cycle AWS describes ("How do I fix the circular dependency between an AWS
//! Lambda permission and target group resources in AWS CloudFormation?", AWS Knowledge
//! Center). Lambda matches `SourceArn` with `ArnLike`, so the name's pattern admits exactly
//! the stack's group of that name, which the stack alone creates in the account and region.

use worktime_cfn::iam::Statement;
use worktime_cfn::resources::{ElbTargetGroup, LambdaPermission, TargetDescription};
use worktime_cfn::{Expr, Resource, Template};
use worktime_lambda::tags::HOLD_UNTIL_TAG;
use worktime_lambda::wake::record::{WAKE_SECONDS_TAG, WAKE_STARTED_TAG};
use worktime_lambda::wake::route::ROUTE_MEMORY_TAG;
use worktime_lambda::wake::WakeTarget;

use super::error::TemplateError;
use super::ids::{self, MAX_ENVIRONMENT_BYTES};
use crate::config::StackConfig;

/// ELB's longest target group name.
pub const MAX_GROUP_NAME: usize = 32;

/// The wake target group of the `index`th woken service: `<stack>-wake-<index>`.
pub fn group_name(stack: &str, index: usize) -> String {
    format!("{}{index}", group_prefix(stack))
}

/// What every wake target group name of `stack` starts with.
pub fn group_prefix(stack: &str) -> String {
    format!("{stack}-wake-")
}

/// The logical ids of the `index`th woken service's target group and permission.
fn logical_ids(index: usize) -> (String, String) {
    (
        format!("{}{index}", ids::WAKE_TARGET_GROUP),
        format!("{}{index}", ids::WAKE_PERMISSION),
    )
}

/// The woken services as the function's environment takes them (`WORKTIME_WAKE`); `None`
/// without any.
pub(super) fn environment(config: &StackConfig) -> Option<String> {
    let targets: Vec<WakeTarget> = config
        .woken()
        .enumerate()
        .map(|(index, (service, wake))| {
            let routes = wake.routes.clone().unwrap_or_default();
            WakeTarget {
                service: format!("{}/{}", service.cluster, service.service),
                group: group_name(&config.stack.name, index),
                idle_minutes: wake.idle_minutes,
                capacity: service.capacity,
                rules: routes.rules,
                listeners: routes.listeners,
            }
        })
        .collect();
    (!targets.is_empty()).then(|| serde_json::to_string(&targets).unwrap_or_default())
}

/// Refuses woken services whose routes do not fit in the function's environment, with the
/// allow-list (`others`: the bytes the rest of the environment takes).
pub(super) fn check_environment(config: &StackConfig, others: usize) -> Result<(), TemplateError> {
    let size = environment(config).map_or(0, |e| e.len()) + others;
    if size > MAX_ENVIRONMENT_BYTES {
        return Err(TemplateError::WakeTooLarge {
            size,
            limit: MAX_ENVIRONMENT_BYTES,
        });
    }
    Ok(())
}

/// The function's wake statements: reading the rules and the targets' health anywhere (no
/// resource-level permissions), the hold tag on the woken services, and rewriting and
/// tagging only the rules and listeners read at deploy. Empty without woken services.
pub(super) fn statements(config: &StackConfig) -> Vec<Statement> {
    if config.woken().next().is_none() {
        return Vec::new();
    }
    let mut statements = vec![Statement::allow(
        [
            "elasticloadbalancing:DescribeRules",
            "elasticloadbalancing:DescribeListeners",
            "elasticloadbalancing:DescribeTargetHealth",
            "elasticloadbalancing:DescribeTags",
            "elasticloadbalancing:DescribeTargetGroups",
        ],
        [Expr::str("*")],
    )
    .sid("ReadWakeRoutes")];
    // A visitor's wake holds the service up for its idle minutes (the scale-out itself is
    // the schedule's, already granted) and records when it started and how long it took:
    // only those tags, only on the woken services.
    let woken: Vec<Expr> = config
        .woken()
        .map(|(service, _)| {
            Expr::sub(format!(
                "arn:${{AWS::Partition}}:ecs:${{AWS::Region}}:${{AWS::AccountId}}:service/{}/{}",
                service.cluster, service.service
            ))
        })
        .collect();
    statements.push(
        Statement::allow(["ecs:TagResource"], woken)
            .sid("HoldWokenServices")
            .condition(
                "ForAllValues:StringEquals",
                "aws:TagKeys",
                vec![
                    Expr::str(HOLD_UNTIL_TAG),
                    Expr::str(WAKE_STARTED_TAG),
                    Expr::str(WAKE_SECONDS_TAG),
                ],
            ),
    );
    let routes: Vec<_> = config
        .woken()
        .filter_map(|(_, w)| w.routes.clone())
        .collect();
    let rules: Vec<Expr> = routes
        .iter()
        .flat_map(|r| r.rules.iter().map(Expr::str))
        .collect();
    let listeners: Vec<Expr> = routes
        .iter()
        .flat_map(|r| r.listeners.iter().map(Expr::str))
        .collect();
    if !rules.is_empty() {
        statements.push(
            Statement::allow(["elasticloadbalancing:ModifyRule"], rules.clone())
                .sid("RepointWakeRules"),
        );
    }
    if !listeners.is_empty() {
        statements.push(
            Statement::allow(["elasticloadbalancing:ModifyListener"], listeners.clone())
                .sid("RepointWakeListeners"),
        );
    }
    let tagged: Vec<Expr> = rules.into_iter().chain(listeners).collect();
    if !tagged.is_empty() {
        // What a rewrite changed is remembered on the rule (or listener) itself.
        statements.push(
            Statement::allow(
                [
                    "elasticloadbalancing:AddTags",
                    "elasticloadbalancing:RemoveTags",
                ],
                tagged,
            )
            .sid("RememberWakeRoutes")
            .condition(
                "ForAllValues:StringEquals",
                "aws:TagKeys",
                Expr::str(ROUTE_MEMORY_TAG),
            ),
        );
    }
    statements
}

/// Adds each woken service's wake target group and invoke permission.
pub(super) fn add(t: &mut Template, config: &StackConfig) {
    let stack = config.stack.name.as_str();
    for index in 0..config.woken().count() {
        let name = group_name(stack, index);
        let (group_id, permission_id) = logical_ids(index);
        t.resource(
            &permission_id,
            Resource::new(LambdaPermission {
                action: "lambda:InvokeFunction".into(),
                function_name: Expr::get_att(ids::FUNCTION, "Arn"),
                principal: "elasticloadbalancing.amazonaws.com".into(),
                source_arn: Some(Expr::sub(format!(
                    "arn:${{AWS::Partition}}:elasticloadbalancing:${{AWS::Region}}:${{AWS::AccountId}}:targetgroup/{name}/*"
                ))),
                source_account: None,
            }),
        );
        t.resource(
            &group_id,
            Resource::new(ElbTargetGroup {
                name: Some(name),
                target_type: "lambda".into(),
                targets: vec![TargetDescription {
                    id: Expr::get_att(ids::FUNCTION, "Arn"),
                }],
                target_group_attributes: Vec::new(),
            })
            // The group registers the function as its target: ELB checks that it may
            // invoke it then.
            .depends_on(&permission_id),
        );
    }
}
