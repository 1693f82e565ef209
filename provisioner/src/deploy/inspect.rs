//! What is deployed and running: the stack, its two triggers with their next runs, and
//! each configured service's capacity (`worktime status`, alone or per rollout target).

use std::fmt;

use chrono::{DateTime, Utc};
use serde::Serialize;
use worktime_lambda::{observe, Capacity, Clients, Remembered};

use crate::aws::Session;
use crate::config::{StackConfig, Trigger};
use crate::cron::AwsCron;
use crate::deploy::stack;
use crate::error::Result;
use crate::scaling::event_for;

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
    pub remembered: Option<Remembered>,
    pub declared: Option<Capacity>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The next run of a local cron, in the zone and in UTC.
pub fn next_run(
    cron: &AwsCron,
    config: &StackConfig,
    now: DateTime<Utc>,
) -> (Option<String>, Option<String>) {
    let zone = config.schedule.timezone;
    let next = cron.next_after(now.with_timezone(&zone));
    (
        next.map(|t| t.format("%Y-%m-%d %H:%M %Z (%a)").to_string()),
        next.map(|t| {
            t.with_timezone(&Utc)
                .format("%Y-%m-%d %H:%M UTC (%a)")
                .to_string()
        }),
    )
}

/// Reads the stack, its triggers and every configured service; `now` dates the next runs.
pub async fn status(
    session: &Session,
    config: &StackConfig,
    now: DateTime<Utc>,
) -> Result<StatusReport> {
    let info = stack::describe(&session.cfn, &config.stack.name).await?;
    let events = aws_sdk_eventbridge::Client::new(&session.sdk);
    let mut triggers = Vec::new();
    for (suffix, cron) in [
        ("scale-out", &config.schedule.scale_out),
        ("scale-in", &config.schedule.scale_in),
    ] {
        let name = format!("{}-{suffix}", config.stack.name);
        let (next_local, next_utc) = next_run(cron, config, now);
        let (kind, deployed_cron, state) = match config.schedule.trigger {
            Trigger::Rules => {
                let rule = events.describe_rule().name(&name).send().await.ok();
                let deployed = rule
                    .as_ref()
                    .and_then(|r| r.schedule_expression().map(str::to_string))
                    .or_else(|| config.schedule.to_utc(cron).ok().map(|c| c.to_string()))
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

    let event = event_for(config, worktime_lambda::Action::ScaleIn, true, now)?;
    let observed = observe::observe(&Clients::new(&session.sdk), &event.services).await;
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

impl fmt::Display for StatusReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let show = |c: Option<Capacity>| c.map_or_else(|| "-".to_string(), |c| c.to_string());
        writeln!(
            f,
            "stack {} in {}/{}: {}{}",
            self.stack,
            self.account,
            self.region,
            self.stack_status,
            self.last_updated
                .as_deref()
                .map(|t| format!(" (last change {t})"))
                .unwrap_or_default()
        )?;
        writeln!(f, "triggers:")?;
        for t in &self.triggers {
            writeln!(
                f,
                "  {:<24} {:<26} {}{}",
                t.name,
                t.deployed_cron,
                t.state.as_deref().unwrap_or(""),
                if t.local_cron != t.deployed_cron {
                    format!("  (local {} {})", t.local_cron, t.timezone)
                } else {
                    format!("  ({})", t.timezone)
                }
            )?;
            writeln!(
                f,
                "  {:<24} next: {} = {}",
                "",
                t.next_local.as_deref().unwrap_or("never"),
                t.next_utc.as_deref().unwrap_or("never")
            )?;
        }
        writeln!(f, "services:")?;
        let width = self
            .services
            .iter()
            .map(|s| s.resource_id.len())
            .max()
            .unwrap_or(0);
        for s in &self.services {
            if let Some(error) = &s.error {
                writeln!(f, "  {:<width$}  error: {error}", s.resource_id)?;
            } else if !s.exists {
                writeln!(f, "  {:<width$}  not found", s.resource_id)?;
            } else {
                writeln!(
                    f,
                    "  {:<width$}  min/max {:<5} desired {:<3} remembered {:<5} declared {}",
                    s.resource_id,
                    show(s.capacity),
                    s.desired_count
                        .map_or_else(|| "-".into(), |d| d.to_string()),
                    s.remembered
                        .map_or_else(|| "-".to_string(), |r| r.to_string()),
                    s.declared
                        .map_or_else(|| "restore".to_string(), |c| c.to_string()),
                )?;
            }
        }
        Ok(())
    }
}
