//! The check teardown ends with: everything under worktime's names in one account and
//! region that still exists.

use worktime_lambda::describe_error;

use super::{bucket, stack};
use crate::aws::Session;
use crate::config::StackConfig;

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
    let lambda = aws_sdk_lambda::Client::new(&session.sdk);
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
    let logs = aws_sdk_cloudwatchlogs::Client::new(&session.sdk);
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
    let events = aws_sdk_eventbridge::Client::new(&session.sdk);
    match events
        .list_rules()
        .name_prefix(format!("{stack_name}-scale-"))
        .send()
        .await
    {
        Ok(out) => {
            for rule in out.rules() {
                found.push(format!("rule {}", rule.name().unwrap_or_default()));
            }
        }
        Err(e) => found.push(format!(
            "rules {stack_name}-scale-*: could not check ({})",
            describe_error(&e)
        )),
    }
    let sqs = aws_sdk_sqs::Client::new(&session.sdk);
    let queue = format!("{stack_name}-dlq");
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
    // IAM is global: only this region's roles carry its name.
    let mut marker = None;
    loop {
        match session
            .iam
            .list_roles()
            .set_marker(marker.clone())
            .send()
            .await
        {
            Ok(out) => {
                for role in out.roles() {
                    let name = role.role_name();
                    if name.starts_with(&format!("{stack_name}-"))
                        && name.ends_with(&session.region)
                    {
                        found.push(format!("role {name}"));
                    }
                }
                match out.marker() {
                    Some(next) if out.is_truncated() && Some(next) != marker.as_deref() => {
                        marker = Some(next.to_string())
                    }
                    _ => break,
                }
            }
            Err(e) => {
                found.push(format!(
                    "roles {stack_name}-*: could not check ({})",
                    describe_error(&e)
                ));
                break;
            }
        }
    }
    let bucket = bucket::bucket_name(&session.account, &session.region);
    if let Ok(out) = session
        .s3
        .list_object_versions()
        .bucket(&bucket)
        .prefix(format!("{stack_name}/"))
        .expected_bucket_owner(&session.account)
        .send()
        .await
    {
        let count = out.versions().len() + out.delete_markers().len();
        if count > 0 {
            found.push(format!(
                "{count} artifact version(s) under s3://{bucket}/{stack_name}/"
            ));
        }
    }
    found
}
