//! Teardown's first step with woken services (issue 18): every rule and listener default
//! action the deployed function pointed at a wake target group is put back exactly, before the
//! stack is deleted. Elastic Load Balancing deletes a target group only "if it is not
//! referenced by any actions" (DeleteTargetGroup, else `ResourceInUse`): a stack deleted at
//! night, its rules at its wake groups, would end `DELETE_FAILED` with the rules forwarding to
//! a group whose function is being deleted.
//!
//! What may have moved is what the last deploy let the function rewrite: its `WORKTIME_WAKE`
//! (`lambda:GetFunctionConfiguration`), or, when the function is gone and the stack is not (a
//! deletion that failed before), the same variable in the stack's template
//! (`cloudformation:GetTemplate`). The restore is the function's own
//! (`worktime_lambda::wake::apply::move_routes` with `Direction::Back`): the same fingerprint
//! check, so a rule someone changed since the night is left as it is and named.

use aws_config::SdkConfig;
use aws_sdk_elasticloadbalancingv2::Client as Elb;
use worktime_lambda::describe_error;
use worktime_lambda::wake::apply::{move_routes_with, Direction};
use worktime_lambda::wake::route::ROUTE_MEMORY_TAG;
use worktime_lambda::wake::{targets_from, WakeTarget, WAKE_VAR};

use crate::aws::calls::{Call, Cmd, Cmd::*, Narrow, On};
use crate::aws::Session;
use crate::config::StackConfig;
use crate::progress::Progress;
use crate::template::ids;

const ELB: &str = "Elastic Load Balancing v2";
const NO_RESOURCE: &str =
    "elasticloadbalancing:Describe* actions have no resource-level permissions; only with wake_on_request";
const ROUTES: &str = "the rules a deploy finds are read from AWS, which a printed policy cannot do: an Application Load Balancer's rules and listeners of the account and region, as teardown only puts back what the function's own policy (exactly those read at deploy) let it move";

/// `run` moves the routes after its run as the deployed function does; teardown puts them
/// back.
const ROUTES_MOVED_BY: &[Cmd] = &[Run, Teardown];

/// The calls this module makes (the permissions table, `policy::table`).
pub const CALLS: &[Call] = &[
    Call::new(
        "Lambda",
        "GetFunctionConfiguration",
        "lambda:GetFunctionConfiguration",
        ROUTES_MOVED_BY,
        On::Function,
    )
    .narrow(Narrow::WakeServices),
    Call::new(
        "CloudFormation",
        "GetTemplate",
        "cloudformation:GetTemplate",
        ROUTES_MOVED_BY,
        On::Stack,
    )
    .narrow(Narrow::WakeServices),
    Call::new(
        ELB,
        "DescribeTargetGroups",
        "elasticloadbalancing:DescribeTargetGroups",
        ROUTES_MOVED_BY,
        On::Any,
    )
    .narrow(Narrow::WakeServices)
    .note(NO_RESOURCE),
    Call::new(
        ELB,
        "DescribeRules",
        "elasticloadbalancing:DescribeRules",
        ROUTES_MOVED_BY,
        On::Any,
    )
    .narrow(Narrow::WakeServices)
    .note(NO_RESOURCE),
    Call::new(
        ELB,
        "DescribeListeners",
        "elasticloadbalancing:DescribeListeners",
        ROUTES_MOVED_BY,
        On::Any,
    )
    .narrow(Narrow::WakeServices)
    .note(NO_RESOURCE),
    Call::new(
        ELB,
        "DescribeTags",
        "elasticloadbalancing:DescribeTags",
        ROUTES_MOVED_BY,
        On::Any,
    )
    .narrow(Narrow::WakeServices)
    .note(NO_RESOURCE),
    Call::new(
        ELB,
        "ModifyRule",
        "elasticloadbalancing:ModifyRule",
        ROUTES_MOVED_BY,
        On::WakeRoutes,
    )
    .narrow(Narrow::WakeServices)
    .note(ROUTES),
    Call::new(
        ELB,
        "ModifyListener",
        "elasticloadbalancing:ModifyListener",
        ROUTES_MOVED_BY,
        On::WakeRoutes,
    )
    .narrow(Narrow::WakeServices)
    .note(ROUTES),
    // Only the memory tag; `On::WakeRoutes` stands for nothing without a woken service.
    // `run scale-in` remembers a route before it rewrites it.
    Call::new(
        ELB,
        "AddTags",
        "elasticloadbalancing:AddTags",
        &[Run],
        On::WakeRoutes,
    )
    .narrow(Narrow::TagKeys(&[ROUTE_MEMORY_TAG]))
    .note(ROUTES),
    Call::new(
        ELB,
        "RemoveTags",
        "elasticloadbalancing:RemoveTags",
        ROUTES_MOVED_BY,
        On::WakeRoutes,
    )
    .narrow(Narrow::TagKeys(&[ROUTE_MEMORY_TAG]))
    .note(ROUTES),
];

/// What putting the routes back did.
#[derive(Debug, Default)]
pub struct PutBack {
    /// The woken services whose routes are where they were by day (`cluster/service`).
    pub services: Vec<String>,
    /// What could not be put back or read, each naming the service and the rule or listener,
    /// with why.
    pub problems: Vec<String>,
}

/// Puts back every woken service's routes (see the module's comment). `stack_present`: the
/// stack was found; without it there is no wake group a rule could still forward to (a
/// target group in use cannot be deleted), so nothing is read.
pub async fn put_back(
    session: &Session,
    config: &StackConfig,
    stack_present: bool,
    progress: &Progress,
) -> PutBack {
    let mut done = PutBack::default();
    // Only a stack with woken services has wake groups; only then does the policy grant
    // these calls (`Narrow::WakeServices`).
    if !config.wakes_on_request() || !stack_present {
        return done;
    }
    let targets = match woken_targets(&session.sdk, config).await {
        Ok(targets) => targets.unwrap_or_default(),
        Err(reason) => {
            done.problems.push(reason);
            return done;
        }
    };
    if targets.is_empty() {
        return done;
    }
    progress.step(format!(
        "putting back the rules {} pointed at its wake target groups",
        config.stack.name
    ));
    let elb = crate::aws::clients::elbv2(&session.sdk);
    for target in &targets {
        let wake_group = match group_arn(&elb, &target.group).await {
            Ok(Some(arn)) => arn,
            // Gone already (an earlier deletion got that far): no action can reference it.
            Ok(None) => continue,
            Err(reason) => {
                done.problems
                    .push(format!("service/{}: {reason}", target.service));
                continue;
            }
        };
        match move_routes_with(&elb, target, &wake_group, Direction::Back).await {
            Ok(moved) => {
                // Unmoved: already as deployed (the morning, or a wake, put them back).
                if moved {
                    progress.line(format!(
                        "put back the rules of service/{} (no longer at {})",
                        target.service, target.group
                    ));
                }
                done.services.push(target.service.clone());
            }
            Err(reason) => {
                progress.warn(format!(
                    "could not put back the rules of service/{}: {reason}",
                    target.service
                ));
                done.problems
                    .push(format!("service/{}: {reason}", target.service));
            }
        }
    }
    done
}

/// The woken services the last deploy gave the function: from the function, else (the
/// function gone, the stack not) from the stack's template; `None` when neither is there
/// (nothing deployed: no wake group, no route to move).
pub async fn woken_targets(
    sdk: &SdkConfig,
    config: &StackConfig,
) -> Result<Option<Vec<WakeTarget>>, String> {
    let function = config.function_name();
    let lambda = crate::aws::clients::lambda(sdk);
    match lambda
        .get_function_configuration()
        .function_name(&function)
        .send()
        .await
    {
        Ok(out) => targets_from(
            out.environment()
                .and_then(|e| e.variables())
                .and_then(|v| v.get(WAKE_VAR))
                .map(String::as_str),
        )
        .map(Some)
        .map_err(|e| format!("function {function}: {e}")),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_resource_not_found_exception()) =>
        {
            from_template(sdk, config).await
        }
        Err(e) => Err(format!(
            "reading which rules function {function} may have moved (lambda:GetFunctionConfiguration): {}",
            describe_error(&e)
        )),
    }
}

async fn from_template(
    sdk: &SdkConfig,
    config: &StackConfig,
) -> Result<Option<Vec<WakeTarget>>, String> {
    let stack = &config.stack.name;
    let cfn = crate::aws::clients::cloudformation(sdk);
    let out = match cfn.get_template().stack_name(stack).send().await {
        Ok(out) => out,
        // CloudFormation answers a stack that does not exist with a ValidationError.
        Err(e)
            if e.as_service_error().is_some_and(|s| {
                s.meta().code() == Some("ValidationError")
                    && s.meta().message().is_some_and(|m| m.contains("does not exist"))
            }) =>
        {
            return Ok(None)
        }
        Err(e) => {
            return Err(format!(
                "the function is gone; reading which rules it may have moved from stack {stack}'s template (cloudformation:GetTemplate): {}",
                describe_error(&e)
            ))
        }
    };
    let body = out.template_body().unwrap_or_default();
    let value = wake_variable(body).map_err(|e| {
        format!("the function is gone, and stack {stack}'s template cannot be read: {e}")
    })?;
    targets_from(value.as_deref())
        .map(Some)
        .map_err(|e| format!("stack {stack}'s template: {e}"))
}

/// The function's `WORKTIME_WAKE` in a template (JSON or YAML: YAML reads both); `None`
/// without it.
fn wake_variable(body: &str) -> Result<Option<String>, String> {
    let template: serde_yaml::Value = serde_yaml::from_str(body).map_err(|e| e.to_string())?;
    Ok(template
        .get("Resources")
        .and_then(|r| r.get(ids::FUNCTION))
        .and_then(|f| f.get("Properties"))
        .and_then(|p| p.get("Environment"))
        .and_then(|e| e.get("Variables"))
        .and_then(|v| v.get(WAKE_VAR))
        .and_then(|w| w.as_str())
        .map(str::to_string))
}

/// The wake group's ARN; `None` when it is gone.
async fn group_arn(elb: &Elb, name: &str) -> Result<Option<String>, String> {
    match elb.describe_target_groups().names(name).send().await {
        Ok(out) => Ok(out
            .target_groups()
            .first()
            .and_then(|g| g.target_group_arn())
            .map(str::to_string)),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_target_group_not_found_exception()) =>
        {
            Ok(None)
        }
        Err(e) => Err(format!(
            "elasticloadbalancing:DescribeTargetGroups {name}: {}",
            describe_error(&e)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wake_variable_is_read_from_a_templates_function_environment_and_absent_without_it() {
        let yaml = "Resources:\n  Function:\n    Type: AWS::Lambda::Function\n    Properties:\n      Environment:\n        Variables:\n          WORKTIME_WAKE: '[{\"s\":\"prod/app\",\"g\":\"wt-wake-0\",\"m\":60,\"r\":[\"rule/1\"]}]'\n";
        let value = wake_variable(yaml).unwrap();
        let targets = targets_from(value.as_deref()).unwrap();
        assert_eq!(targets[0].service, "prod/app");
        assert_eq!(targets[0].rules, vec!["rule/1".to_string()]);
        let without = "Resources:\n  Function:\n    Properties:\n      Environment:\n        Variables:\n          RUST_LOG: info\n";
        assert_eq!(wake_variable(without).unwrap(), None);
        assert!(wake_variable("Resources: [").is_err());
    }
}
