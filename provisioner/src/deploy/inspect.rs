//! What is deployed and running: the stack, each schedule's two triggers with their next
//! runs, and each service's capacity (those named, and those the selectors choose now),
//! grouped by schedule (`worktime status`, alone or per rollout target).

use std::fmt;

use chrono::{DateTime, Utc};
use serde::Serialize;
use worktime_lambda::window::{Phase, Window};
use worktime_lambda::{Capacity, Remembered};

use crate::aws::calls::{Call, Cmd::*, On};
use crate::aws::Session;
use crate::config::{Schedule, StackConfig, Trigger};
use crate::cron::AwsCron;
use crate::deploy::activity::{self, Activity};
use crate::deploy::stack;
use crate::deploy::wake;
use crate::deploy::wake::status::{self as wake_status, WakeStatus};
use crate::error::Result;
use crate::hours::{weekly_hours, Period};
use crate::instances::read::{self as instances, Instances};
use crate::scaling::services_now;
use crate::template::ids;

/// The calls this module makes (the permissions table, `policy::table`).
pub const CALLS: &[Call] = &[Call::new(
    "EventBridge",
    "DescribeRule",
    "events:DescribeRule",
    &[Status],
    On::Rules,
)];

#[derive(Debug, Serialize)]
pub struct StatusReport {
    pub stack: String,
    pub account: String,
    pub region: String,
    /// The stack status, or `NOT_DEPLOYED`.
    pub stack_status: String,
    pub last_updated: Option<String>,
    pub triggers: Vec<TriggerStatus>,
    /// Each schedule's window now: up or down, since and until when.
    pub windows: Vec<ScheduleNow>,
    /// Each schedule's hours on and off a week (average of the next 4 local weeks).
    pub weekly_hours: Vec<ScheduleWeek>,
    pub services: Vec<ServiceStatus>,
    /// Tag selectors that could not be resolved, and why.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub selector_errors: Vec<String>,
    /// Triggers whose state could not be read (other than not deployed), and why.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub trigger_errors: Vec<String>,
    /// Where a cluster's capacity providers keep instances up, each with its fix (absent when
    /// none do); a warning is not a failure, a read that failed is a problem.
    #[serde(skip_serializing_if = "Instances::is_empty")]
    pub instances: Instances,
    /// Each woken service's routes and where they stand (absent without `wake_on_request`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub wake: Vec<WakeStatus>,
    /// The last runs, the dead-letter queue and the alarms (a deployed stack only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub activity: Option<Activity>,
}

#[derive(Debug, Serialize)]
pub struct TriggerStatus {
    /// The schedule it belongs to (`default`: `[schedule]`).
    pub schedule: String,
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
    /// The schedule it follows (`default`: `[schedule]`).
    pub schedule: String,
    pub resource_id: String,
    /// The tag selector that chose it (`cluster:tag`); absent: listed by name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub selected_by: Option<String>,
    pub exists: bool,
    pub capacity: Option<Capacity>,
    pub desired_count: Option<i32>,
    pub remembered: Option<Remembered>,
    pub declared: Option<Capacity>,
    /// Tasks running now.
    pub running_count: Option<i32>,
    /// What its schedule says it should be now (a hold counted): up or down.
    pub should_be: Option<Phase>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// What a schedule says now: the window this instant lies in.
#[derive(Debug, Serialize)]
pub struct ScheduleNow {
    pub schedule: String,
    pub window: Window,
}

/// One schedule's weekly figures, as `worktime report` computes them.
#[derive(Debug, Serialize)]
pub struct ScheduleWeek {
    pub schedule: String,
    pub on_hours_per_week: f64,
    pub off_hours_per_week: f64,
    /// The period averaged: its first Monday and the Monday after it (local dates).
    pub first_monday: chrono::NaiveDate,
    pub end_monday: chrono::NaiveDate,
}

/// The next run of a local cron, in the schedule's zone and in UTC.
pub fn next_run(
    cron: &AwsCron,
    schedule: &Schedule,
    now: DateTime<Utc>,
) -> (Option<String>, Option<String>) {
    let zone = schedule.timezone;
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
    let events = crate::aws::clients::events(&session.sdk);
    let mut triggers = Vec::new();
    let mut trigger_errors = Vec::new();
    for schedule_ref in config.schedules_in_use() {
        let schedule = schedule_ref.schedule;
        let names = ids::trigger_names(&config.stack.name, schedule_ref.name);
        for (name, cron) in names
            .into_iter()
            .zip([&schedule.scale_out, &schedule.scale_in])
        {
            let (next_local, next_utc) = next_run(cron, schedule, now);
            let (kind, deployed_cron, state) = match schedule.trigger {
                Trigger::Rules => {
                    let rule = match events.describe_rule().name(&name).send().await {
                        Ok(rule) => Some(rule),
                        Err(e)
                            if e.as_service_error()
                                .is_some_and(|s| s.is_resource_not_found_exception()) =>
                        {
                            None
                        }
                        Err(e) => {
                            trigger_errors.push(format!(
                                "rule {name}: {}",
                                worktime_lambda::describe_error(&e)
                            ));
                            None
                        }
                    };
                    let deployed = rule
                        .as_ref()
                        .and_then(|r| r.schedule_expression().map(str::to_string))
                        .or_else(|| schedule.to_utc(cron).ok().map(|c| c.to_string()))
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
                schedule: schedule_ref.label().to_string(),
                name,
                kind,
                local_cron: cron.to_string(),
                deployed_cron,
                timezone: schedule.timezone.name().to_string(),
                next_local,
                next_utc,
                state,
            });
        }
    }

    // Each schedule's services, with those its selectors select now.
    let clients = crate::aws::clients::function(&session.sdk);
    let mut services = Vec::new();
    let mut selector_errors = Vec::new();
    let mut requests = Vec::new();
    for schedule in services_now(&clients, config, now).await? {
        selector_errors.extend(schedule.selector_errors);
        requests.extend(schedule.services.iter().cloned());
        let clock = config.schedule_labelled(&schedule.label).map(|s| s.clock());
        services.extend(schedule.services.iter().map(|request| {
            let seen = schedule
                .observed
                .get(&request.resource_id)
                .cloned()
                .unwrap_or_default();
            let should_be = clock
                .as_ref()
                .map(|c| c.window_for(now, seen.hold_until).phase);
            ServiceStatus {
                schedule: schedule.label.clone(),
                resource_id: request.resource_id.clone(),
                selected_by: request.selected_by.clone(),
                exists: seen.exists,
                capacity: seen.target,
                desired_count: seen.desired_count,
                remembered: seen.remembered,
                declared: request.declared,
                running_count: seen.running_count,
                should_be,
                error: seen.lookup_error,
            }
        }));
    }

    let instances = instances::check(&clients, &requests).await;
    // The woken selectors' services among those selected now (a failed selector is among
    // the selector errors above).
    let wake = wake_status::read(session, &wake::with_selected(config, &requests), now).await;
    let activity = match &info {
        Some(_) => Some(activity::read(session, config, now).await),
        None => None,
    };
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
        windows: config
            .schedules_in_use()
            .into_iter()
            .map(|schedule_ref| ScheduleNow {
                schedule: schedule_ref.label().to_string(),
                window: schedule_ref.schedule.clock().window_at(now),
            })
            .collect(),
        weekly_hours: config
            .schedules_in_use()
            .into_iter()
            .map(|schedule_ref| {
                let hours = weekly_hours(schedule_ref.schedule, Period::default(), now);
                ScheduleWeek {
                    schedule: schedule_ref.label().to_string(),
                    on_hours_per_week: hours.on_hours_per_week,
                    off_hours_per_week: hours.off_hours_per_week,
                    first_monday: hours.first_monday,
                    end_monday: hours.end_monday,
                }
            })
            .collect(),
        services,
        selector_errors,
        trigger_errors,
        instances,
        wake,
        activity,
    })
}

impl StatusReport {
    /// What could not be read (a trigger, a service, a selector, the activity), each with
    /// why; empty when the report is whole. A service or rule that is not there is not a
    /// problem: the report says so.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = self.trigger_errors.clone();
        problems.extend(
            self.services
                .iter()
                .filter_map(|s| s.error.as_ref().map(|e| format!("{}: {e}", s.resource_id))),
        );
        problems.extend(self.selector_errors.iter().cloned());
        problems.extend(self.instances.unreadable.iter().cloned());
        problems.extend(self.wake.iter().filter_map(|w| {
            w.error
                .as_ref()
                .map(|e| format!("{} (wake on request): {e}", w.resource_id))
        }));
        if let Some(activity) = &self.activity {
            problems.extend(activity.unreadable.iter().cloned());
        }
        problems
    }
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
        let width = self
            .services
            .iter()
            .map(|s| s.resource_id.len())
            .max()
            .unwrap_or(0);
        let mut schedules: Vec<&str> = self.triggers.iter().map(|t| t.schedule.as_str()).collect();
        schedules.dedup();
        for schedule in schedules {
            writeln!(f, "schedule {schedule}:")?;
            for now in self.windows.iter().filter(|w| w.schedule == schedule) {
                let at = |t: Option<DateTime<Utc>>| {
                    t.map_or_else(
                        || "-".to_string(),
                        |t| t.format("%Y-%m-%d %H:%M UTC").to_string(),
                    )
                };
                writeln!(
                    f,
                    "  now: {} since {}, until {}",
                    now.window.phase.as_str(),
                    at(now.window.since),
                    at(now.window.until)
                )?;
            }
            for week in self.weekly_hours.iter().filter(|w| w.schedule == schedule) {
                writeln!(
                    f,
                    "  hours: {:.1} on / {:.1} off per week (average of the {} weeks from Mon {}; \
                     worktime report for more)",
                    week.on_hours_per_week,
                    week.off_hours_per_week,
                    (week.end_monday - week.first_monday).num_weeks(),
                    week.first_monday,
                )?;
            }
            writeln!(f, "  triggers:")?;
            for t in self.triggers.iter().filter(|t| t.schedule == schedule) {
                writeln!(
                    f,
                    "    {:<28} {:<26} {}{}",
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
                    "    {:<28} next: {} = {}",
                    "",
                    t.next_local.as_deref().unwrap_or("never"),
                    t.next_utc.as_deref().unwrap_or("never")
                )?;
            }
            writeln!(f, "  services:")?;
            for s in self.services.iter().filter(|s| s.schedule == schedule) {
                let by = s
                    .selected_by
                    .as_deref()
                    .map(|sel| format!("  (tag selector {sel})"))
                    .unwrap_or_default();
                if let Some(error) = &s.error {
                    writeln!(f, "    {:<width$}  error: {error}", s.resource_id)?;
                } else if !s.exists {
                    writeln!(f, "    {:<width$}  not found", s.resource_id)?;
                } else {
                    writeln!(
                        f,
                        "    {:<width$}  should be {:<4} min/max {:<5} desired {:<3} running {:<3} remembered {:<5} declared {}{by}",
                        s.resource_id,
                        s.should_be.map_or("-", |p| p.as_str()),
                        show(s.capacity),
                        s.desired_count
                            .map_or_else(|| "-".into(), |d| d.to_string()),
                        s.running_count
                            .map_or_else(|| "-".into(), |d| d.to_string()),
                        s.remembered
                            .map_or_else(|| "-".to_string(), |r| r.to_string()),
                        s.declared
                            .map_or_else(|| "restore".to_string(), |c| c.to_string()),
                    )?;
                }
            }
        }
        for error in &self.selector_errors {
            writeln!(f, "  {error}")?;
        }
        for error in &self.trigger_errors {
            writeln!(f, "  could not read {error}")?;
        }
        write!(f, "{}", self.instances)?;
        if !self.wake.is_empty() {
            writeln!(f, "wake on request:")?;
        }
        for w in &self.wake {
            write!(f, "{w}")?;
        }
        if let Some(activity) = &self.activity {
            write!(f, "{activity}")?;
        }
        Ok(())
    }
}
