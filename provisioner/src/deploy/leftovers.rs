//! The check teardown ends with: everything under worktime's names in one account and
//! region that still exists.

use worktime_lambda::describe_error;

use super::{artifact, bucket, stack};
use crate::aws::calls::{Call, Cmd::*, Narrow, On};
use crate::aws::Session;
use crate::config::StackConfig;
use crate::template::{ids, wake};

/// The calls this module makes (the permissions table, `policy::table`).
pub const CALLS: &[Call] = &[
    Call::new(
        "Lambda",
        "GetFunction",
        "lambda:GetFunction",
        &[Teardown],
        On::Function,
    ),
    Call::new(
        "CloudWatch Logs",
        "DescribeLogGroups",
        "logs:DescribeLogGroups",
        &[Teardown],
        On::LogGroups,
    )
    .note("logs:DescribeLogGroups is authorized on the account's log groups, not a name"),
    Call::new(
        "EventBridge",
        "DescribeRule",
        "events:DescribeRule",
        &[Teardown],
        On::Rules,
    ),
    Call::new(
        "SQS",
        "GetQueueUrl",
        "sqs:GetQueueUrl",
        &[Teardown],
        On::Queue,
    ),
    Call::new("IAM", "GetRole", "iam:GetRole", &[Teardown], On::StackRoles),
    Call::new(
        "Elastic Load Balancing v2",
        "DescribeTargetGroups",
        "elasticloadbalancing:DescribeTargetGroups",
        &[Teardown],
        On::Any,
    )
    .narrow(Narrow::WakeServices)
    .note("elasticloadbalancing:DescribeTargetGroups has no resource-level permissions; only with wake_on_request"),
];

/// Everything under worktime's names in this account and region that still exists. An item
/// that could not be checked is listed as such, never silently passed over.
pub async fn leftovers(session: &Session, config: &StackConfig) -> Vec<String> {
    let stack_name = &config.stack.name;
    let function = config.function_name();
    let mut found = Vec::new();

    match stack::describe(&session.cfn, stack_name).await {
        Ok(Some(info)) => found.push(format!("stack {stack_name} ({})", info.status.as_str())),
        Ok(None) => {}
        Err(e) => found.push(format!("stack {stack_name}: could not check ({e})")),
    }
    let lambda = crate::aws::clients::lambda(&session.sdk);
    match lambda.get_function().function_name(&function).send().await {
        Ok(_) => found.push(format!("function {function}")),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_resource_not_found_exception()) => {}
        Err(e) => found.push(format!(
            "function {function}: could not check ({})",
            describe_error(&e)
        )),
    }
    let logs = crate::aws::clients::logs(&session.sdk);
    let log_group = format!("/aws/lambda/{function}");
    match logs
        .describe_log_groups()
        .log_group_name_prefix(&log_group)
        .send()
        .await
    {
        Ok(out) => {
            if out
                .log_groups()
                .iter()
                .any(|g| g.log_group_name() == Some(log_group.as_str()))
            {
                found.push(format!("log group {log_group}"));
            }
        }
        Err(e) => found.push(format!(
            "log group {log_group}: could not check ({})",
            describe_error(&e)
        )),
    }
    // Exactly the names this stack creates, never a prefix another stack's names share.
    let events = crate::aws::clients::events(&session.sdk);
    for rule in ids::all_trigger_names(config) {
        match events.describe_rule().name(&rule).send().await {
            Ok(_) => found.push(format!("rule {rule}")),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_resource_not_found_exception()) => {}
            Err(e) => found.push(format!(
                "rule {rule}: could not check ({})",
                describe_error(&e)
            )),
        }
    }
    let sqs = crate::aws::clients::sqs(&session.sdk);
    let queue = ids::queue_name(stack_name);
    match sqs.get_queue_url().queue_name(&queue).send().await {
        Ok(_) => found.push(format!("queue {queue}")),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_queue_does_not_exist()) => {}
        Err(e) => found.push(format!(
            "queue {queue}: could not check ({})",
            describe_error(&e)
        )),
    }
    // IAM is global: the role names carry the region.
    for role in [
        ids::function_role_name(stack_name, &session.region),
        ids::scheduler_role_name(stack_name, &session.region),
    ] {
        match session.iam.get_role().role_name(&role).send().await {
            Ok(_) => found.push(format!("role {role}")),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_no_such_entity_exception()) => {}
            Err(e) => found.push(format!(
                "role {role}: could not check ({})",
                describe_error(&e)
            )),
        }
    }
    // The wake target groups, by the names the stack gives them (moto's stacks never
    // deleted one; on AWS a group still referenced by a rule survives a failed deletion).
    // Every group of the region is listed: a woken selector's services, and so how many
    // groups the last deploy made, are not in the configuration.
    if config.wakes_on_request() {
        let elb = crate::aws::clients::elbv2(&session.sdk);
        match wake_groups(&elb, stack_name).await {
            Ok(groups) => found.extend(groups.into_iter().map(|g| format!("target group {g}"))),
            Err(e) => found.push(format!(
                "the wake target groups {}N: could not check ({e})",
                wake::group_prefix(stack_name)
            )),
        }
    }
    let bucket = bucket::bucket_name(&session.account, &session.region);
    let prefix = artifact::stack_prefix(stack_name);
    if let Ok(out) = session
        .s3
        .list_object_versions()
        .bucket(&bucket)
        .prefix(&prefix)
        .expected_bucket_owner(&session.account)
        .send()
        .await
    {
        let count = out.versions().len() + out.delete_markers().len();
        if count > 0 {
            found.push(format!(
                "{count} artifact version(s) under s3://{bucket}/{prefix}"
            ));
        }
    }
    found
}

/// The region's target groups named as the stack names its wake groups (`<stack>-wake-N`).
async fn wake_groups(
    elb: &aws_sdk_elasticloadbalancingv2::Client,
    stack_name: &str,
) -> Result<Vec<String>, String> {
    let mut names = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let page = elb
            .describe_target_groups()
            .set_marker(marker.clone())
            .send()
            .await
            .map_err(|e| describe_error(&e))?;
        names.extend(
            page.target_groups()
                .iter()
                .filter_map(|g| g.target_group_name())
                .filter(|name| is_wake_group(stack_name, name))
                .map(str::to_string),
        );
        match page.next_marker() {
            Some(next) if !next.is_empty() && Some(next) != marker.as_deref() => {
                marker = Some(next.to_string())
            }
            _ => return Ok(names),
        }
    }
}

/// Whether `name` is one of `stack`'s wake group names (not another stack's whose name
/// starts with this one's).
fn is_wake_group(stack: &str, name: &str) -> bool {
    name.strip_prefix(&wake::group_prefix(stack))
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod wake_group_tests {
    use super::is_wake_group;

    #[test]
    fn only_this_stacks_wake_groups_are_its_leftovers() {
        assert!(is_wake_group("wt", "wt-wake-0"));
        assert!(is_wake_group("wt", "wt-wake-12"));
        assert!(!is_wake_group("wt", "wt-wake-"));
        assert!(!is_wake_group("wt", "wt-wake-wake-0"));
        assert!(!is_wake_group("wt-wake", "wt-wake-0"));
        assert!(!is_wake_group("wt", "app-tg"));
    }
}
