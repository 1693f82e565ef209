//! `worktime status`: the stack, its two triggers with their next runs, and each configured
//! service's capacity; and the leftover check that teardown ends with.

use chrono::Utc;
use serde::Serialize;
use worktime_lambda::apply::{self, Clients};
use worktime_lambda::Capacity;

use crate::cli::OutputFormat;
use crate::commands::lifecycle::Session;
use crate::commands::run::event_for;
use crate::config::{Config, Trigger};
use crate::cron::AwsCron;
use crate::error::Result;
use crate::stack;

#[derive(Debug, Serialize)]
pub struct StatusReport {
    pub stack: String,
    pub account: String,
    pub region: String,
    /// The stack status, or `NOT_DEPLOYED`.
    pub stack_status: String,
    pub last_updated: Option<String>,
    pub triggers: Vec<TriggerStatus>,
    pub services: Vec<ServiceStatus>,
}

#[derive(Debug, Serialize)]
pub struct TriggerStatus {
    pub name: String,
    pub kind: &'static str,
    /// The cron as configured, in the schedule's zone.
    pub local_cron: String,
    /// The cron as deployed: UTC for rules, local for Scheduler.
    pub deployed_cron: String,
    pub timezone: String,
    pub next_local: Option<String>,
    pub next_utc: Option<String>,
    /// ENABLED / DISABLED as read from EventBridge; `None` where it could not be read.
    pub state: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct ServiceStatus {
    pub resource_id: String,
    pub exists: bool,
    pub capacity: Option<Capacity>,
    pub desired_count: Option<i32>,
    pub remembered: Option<Capacity>,
    pub declared: Option<Capacity>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The next run of a local cron, in the zone and in UTC.
pub fn next_run(cron: &AwsCron, config: &Config) -> (Option<String>, Option<String>) {
    let zone = config.schedule.timezone;
    let next = cron.next_after(Utc::now().with_timezone(&zone));
    (
        next.map(|t| t.format("%Y-%m-%d %H:%M %Z (%a)").to_string()),
        next.map(|t| {
            t.with_timezone(&Utc)
                .format("%Y-%m-%d %H:%M UTC (%a)")
                .to_string()
        }),
    )
}

pub async fn status(session: &Session, config: &Config) -> Result<StatusReport> {
    let info = stack::describe(&session.cfn, &config.stack.name).await?;
    let events = aws_sdk_eventbridge::Client::new(&session.sdk);
    let mut triggers = Vec::new();
    for (suffix, cron) in [
        ("scale-out", &config.schedule.scale_out),
        ("scale-in", &config.schedule.scale_in),
    ] {
        let name = format!("{}-{suffix}", config.stack.name);
        let (next_local, next_utc) = next_run(cron, config);
        let (kind, deployed_cron, state) = match config.schedule.trigger {
            Trigger::Rules => {
                let rule = events.describe_rule().name(&name).send().await.ok();
                let deployed = rule
                    .as_ref()
                    .and_then(|r| r.schedule_expression().map(str::to_string))
                    .or_else(|| {
                        cron.to_utc(config.schedule.timezone)
                            .ok()
                            .map(|c| c.to_string())
                    })
                    .unwrap_or_default();
                (
                    "eventbridge-rule",
                    deployed,
                    rule.and_then(|r| r.state().map(|s| s.as_str().to_string())),
                )
            }
            // EventBridge Scheduler: the local cron with its zone. (Not read back: the
            // local emulator does not create schedules.)
            Trigger::Scheduler => ("eventbridge-schedule", cron.to_string(), None),
        };
        triggers.push(TriggerStatus {
            name,
            kind,
            local_cron: cron.to_string(),
            deployed_cron,
            timezone: config.schedule.timezone.name().to_string(),
            next_local,
            next_utc,
            state,
        });
    }

    let event = event_for(config, worktime_lambda::Action::ScaleIn, true)?;
    let observed = apply::observe(&Clients::new(&session.sdk), &event.services).await;
    let services = event
        .services
        .iter()
        .map(|request| {
            let seen = observed
                .get(&request.resource_id)
                .cloned()
                .unwrap_or_default();
            ServiceStatus {
                resource_id: request.resource_id.clone(),
                exists: seen.exists,
                capacity: seen.target,
                desired_count: seen.desired_count,
                remembered: seen.remembered,
                declared: request.declared,
                error: seen.lookup_error,
            }
        })
        .collect();

    Ok(StatusReport {
        stack: config.stack.name.clone(),
        account: session.account.clone(),
        region: session.region.clone(),
        stack_status: info.as_ref().map_or_else(
            || "NOT_DEPLOYED".to_string(),
            |i| i.status.as_str().to_string(),
        ),
        last_updated: info.and_then(|i| i.last_updated),
        triggers,
        services,
    })
}

pub fn print_status(report: &StatusReport, output: OutputFormat) {
    if output == OutputFormat::Json {
        println!(
            "{}",
            serde_json::to_string_pretty(report).unwrap_or_default()
        );
        return;
    }
    let show = |c: Option<Capacity>| c.map_or_else(|| "-".to_string(), |c| c.to_string());
    println!(
        "stack {} in {}/{}: {}{}",
        report.stack,
        report.account,
        report.region,
        report.stack_status,
        report
            .last_updated
            .as_deref()
            .map(|t| format!(" (last change {t})"))
            .unwrap_or_default()
    );
    println!("triggers:");
    for t in &report.triggers {
        println!(
            "  {:<24} {:<26} {}{}",
            t.name,
            t.deployed_cron,
            t.state.as_deref().unwrap_or(""),
            if t.local_cron != t.deployed_cron {
                format!("  (local {} {})", t.local_cron, t.timezone)
            } else {
                format!("  ({})", t.timezone)
            }
        );
        println!(
            "  {:<24} next: {} = {}",
            "",
            t.next_local.as_deref().unwrap_or("never"),
            t.next_utc.as_deref().unwrap_or("never")
        );
    }
    println!("services:");
    let width = report
        .services
        .iter()
        .map(|s| s.resource_id.len())
        .max()
        .unwrap_or(0);
    for s in &report.services {
        if let Some(error) = &s.error {
            println!("  {:<width$}  error: {error}", s.resource_id);
        } else if !s.exists {
            println!("  {:<width$}  not found", s.resource_id);
        } else {
            println!(
                "  {:<width$}  min/max {:<5} desired {:<3} remembered {:<5} declared {}",
                s.resource_id,
                show(s.capacity),
                s.desired_count
                    .map_or_else(|| "-".into(), |d| d.to_string()),
                show(s.remembered),
                s.declared
                    .map_or_else(|| "restore".to_string(), |c| c.to_string()),
            );
        }
    }
}

/// Everything under worktime's names in this account and region that still exists. An item
/// that could not be checked is listed as such, never silently passed over.
pub async fn leftovers(session: &Session, config: &Config) -> Vec<String> {
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
            apply::describe_error(&e)
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
            apply::describe_error(&e)
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
            apply::describe_error(&e)
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
            apply::describe_error(&e)
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
                    apply::describe_error(&e)
                ));
                break;
            }
        }
    }
    let bucket = session.bucket();
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
