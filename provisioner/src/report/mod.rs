//! `worktime report`: what worktime saves. Per schedule, the hours on and off a week (exact,
//! in its zone: `crate::hours`) and a week's chart; per service the function would act on
//! (named, and chosen by tag selectors now), its launch type, task size, the tasks it runs in
//! working hours, the task-hours it is kept down a week and, on Fargate, the dollars a month
//! that saves; the prices used; totals. Shown as text (`text`), JSON, or an HTML page (`html`).
//!
//! `plan` checks the arguments, `services` reads ECS, `workload` judges each service, `prices`
//! holds the price table and the arithmetic.

pub(crate) mod groups;
pub mod html;
pub mod plan;
mod prices;
pub(crate) mod services;
mod text;
pub mod wakes;
mod workload;

use chrono::{DateTime, Utc};
use serde::Serialize;
use worktime_lambda::{Clients, Observed, ServiceRequest};

use crate::config::StackConfig;
use crate::error::Result;
use crate::hours::{week_chart, weekly_hours, WeekChart, WeeklyHours};
use crate::scaling::services_now;

pub use plan::{ReportPlan, ReportRequest};
use prices::{price_for, usd_per_month};
pub use prices::{CpuArchitecture, Price};
use workload::{not_priced_reason, working_desired, TaskSize};
pub use workload::{DesiredSource, Launch};

/// The whole report (`--output json`: these keys).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub schedules: Vec<ScheduleHours>,
    pub services: Vec<ServiceSaving>,
    /// The `[[capacity]]` Auto Scaling groups: instance-hours kept down (absent without).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<groups::GroupSaving>,
    /// The prices of the report's region, one per CPU architecture.
    pub prices: Vec<Price>,
    pub totals: Totals,
    /// Where a cluster's capacity providers keep instances up (absent when none do).
    #[serde(skip_serializing_if = "crate::instances::read::Instances::is_empty")]
    pub instances: crate::instances::read::Instances,
    /// The woken services' wakes on request of the last week (absent without
    /// `wake_on_request`): the savings count the hours they held the services up.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wakes: Option<wakes::Wakes>,
}

/// One schedule in use: its crons and its hours over the period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScheduleHours {
    /// The `[schedules.NAME]` name, or `default` for `[schedule]`.
    pub name: String,
    pub timezone: String,
    /// `rules` or `scheduler`.
    pub trigger: &'static str,
    pub scale_out: String,
    pub scale_in: String,
    /// `first_monday`, `end_monday`, `on_hours_per_week`, `off_hours_per_week`, `weeks`,
    /// `skip_dates`.
    #[serde(flatten)]
    pub hours: WeeklyHours,
    /// The period's first week as the crons make it (skip dates not drawn).
    pub chart: WeekChart,
    /// Tag selectors of this schedule that could not be resolved, and why.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub selector_errors: Vec<String>,
}

/// One service: what it runs in working hours and what keeping it down saves.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServiceSaving {
    pub schedule: String,
    pub resource_id: String,
    /// The tag selector that chose it (`cluster:tag`); absent: listed by name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub selected_by: Option<String>,
    /// `FARGATE`, `EC2`, `EXTERNAL`, or the capacity provider(s); `None`: not read.
    pub launch_type: Option<Launch>,
    pub task_definition: Option<String>,
    pub cpu_architecture: Option<CpuArchitecture>,
    pub cpu_vcpu: Option<f64>,
    pub memory_gib: Option<f64>,
    /// The tasks it runs in working hours.
    pub working_desired: i32,
    pub working_desired_from: DesiredSource,
    /// Its schedule's average off-hours a week.
    pub off_hours_per_week: f64,
    /// The hours a week its wakes on request held it up at night (the last 7 days,
    /// `wakes`); absent: not woken by a request, or its wakes could not be counted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wake_hours_per_week: Option<f64>,
    /// `working_desired` × (`off_hours_per_week` − `wake_hours_per_week`).
    pub task_hours_off_per_week: f64,
    /// Fargate only; `None`: see `reason`.
    pub usd_per_month_saved: Option<f64>,
    /// Why there is no money figure (or why the figures are zero).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The service could not be read (naming the call): its figures are zero.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Totals {
    pub services: usize,
    pub task_hours_off_per_week: f64,
    /// Over the services with a money figure; `None` when none has one.
    pub usd_per_month_saved: Option<f64>,
    pub services_priced: usize,
    /// Task-hours only (EC2, capacity providers, no price, not found), each with its reason.
    pub services_not_priced: usize,
    /// Services that could not be read (their lines say why).
    pub services_unreadable: usize,
    /// The `[[capacity]]` groups' instance-hours off a week (absent without groups).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance_hours_off_per_week: Option<f64>,
    /// Groups that could not be read (their lines say why).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub groups_unreadable: Option<usize>,
}

/// Builds the report for `config`'s schedules and the services its triggers would act on,
/// with the prices of `region`; `wakes`: the woken services' wakes (`wakes::read`), whose
/// hours up are taken off the savings.
pub async fn build(
    clients: &Clients,
    config: &StackConfig,
    region: &str,
    plan: &ReportPlan,
    wakes: Option<wakes::Wakes>,
    now: DateTime<Utc>,
) -> Result<Report> {
    let mut schedules: Vec<ScheduleHours> = config
        .schedules_in_use()
        .into_iter()
        .map(|schedule_ref| {
            let schedule = schedule_ref.schedule;
            let hours = weekly_hours(schedule, plan.period, now);
            ScheduleHours {
                name: schedule_ref.label().to_string(),
                timezone: schedule.timezone.name().to_string(),
                trigger: schedule.trigger.as_str(),
                scale_out: schedule.scale_out.to_string(),
                scale_in: schedule.scale_in.to_string(),
                chart: week_chart(schedule, hours.first_monday),
                hours,
                selector_errors: Vec::new(),
            }
        })
        .collect();
    let prices: Vec<Price> = CpuArchitecture::ALL
        .into_iter()
        .map(|architecture| price_for(region, architecture, plan.prices))
        .collect();

    let mut services = Vec::new();
    // One event per schedule, as its scale-in trigger carries it, with the services its
    // selectors select now: the services the function would act on.
    let mut requests = Vec::new();
    for now_served in services_now(clients, config, now).await? {
        let Some(schedule) = schedules.iter_mut().find(|s| s.name == now_served.label) else {
            continue;
        };
        schedule.selector_errors.extend(now_served.selector_errors);
        let off_hours = schedule.hours.off_hours_per_week;
        let facts = services::read(&clients.ecs, &now_served.services).await;
        requests.extend(now_served.services.iter().cloned());
        for request in &now_served.services {
            let seen = now_served
                .observed
                .get(&request.resource_id)
                .cloned()
                .unwrap_or_default();
            let fact = facts.get(&request.resource_id).cloned().unwrap_or_default();
            let wake_hours = wakes
                .as_ref()
                .and_then(|w| w.hours_up(&request.resource_id));
            services.push(saving(
                &now_served.label,
                request,
                &seen,
                fact,
                (off_hours, wake_hours),
                &prices,
            ));
        }
    }
    // The groups follow their schedule's hours.
    let specs: Vec<(String, crate::config::CapacitySpec, f64)> = config
        .capacity
        .iter()
        .filter_map(|spec| {
            let label = spec
                .schedule
                .clone()
                .unwrap_or_else(|| worktime_lambda::DEFAULT_SCHEDULE.to_string());
            let off = schedules
                .iter()
                .find(|s| s.name == label)?
                .hours
                .off_hours_per_week;
            Some((label, spec.clone(), off))
        })
        .collect();
    let groups = groups::read(&clients.groups, &specs).await;
    let mut totals = totals(&services);
    if !groups.is_empty() {
        totals.instance_hours_off_per_week =
            Some(groups.iter().map(|g| g.instance_hours_off_per_week).sum());
        totals.groups_unreadable = Some(groups.iter().filter(|g| g.error.is_some()).count());
    }
    let instances = crate::instances::read::check(clients, &requests).await;
    Ok(Report {
        schedules,
        services,
        groups,
        prices,
        totals,
        instances,
        wakes,
    })
}

/// One service's line.
fn saving(
    schedule: &str,
    request: &ServiceRequest,
    observed: &Observed,
    facts: services::ServiceFacts,
    (off_hours_per_week, wake_hours_per_week): (f64, Option<f64>),
    prices: &[Price],
) -> ServiceSaving {
    let error = request
        .refused
        .clone()
        .or(observed.lookup_error.clone())
        .or(facts.error);
    let found = error.is_none() && observed.exists;
    let desired = working_desired(request.declared, observed);
    let working = if found { desired.count } else { 0 };
    // A wake's hours up at night are not saved.
    let off_hours = (off_hours_per_week - wake_hours_per_week.unwrap_or(0.0)).max(0.0);
    let task_hours_off_per_week = f64::from(working) * off_hours;
    let size = facts.size;
    let (usd_per_month_saved, reason) = if error.is_some() {
        (None, None)
    } else if !found {
        (
            None,
            Some("not found: ECS does not know this service (or its cluster)".to_string()),
        )
    } else {
        money(facts.launch.as_ref(), size, task_hours_off_per_week, prices)
    };
    let reason = if found && desired.source == DesiredSource::Unknown {
        // Say first why the figures are zero; the money reason, if any, after it.
        Some(
            std::iter::once(
                "down now with no declared or remembered capacity: scale-out cannot bring it \
                 back, so it runs no task in working hours"
                    .to_string(),
            )
            .chain(reason)
            .collect::<Vec<_>>()
            .join("; "),
        )
    } else {
        reason
    };
    ServiceSaving {
        schedule: schedule.to_string(),
        resource_id: request.resource_id.clone(),
        selected_by: request.selected_by.clone(),
        launch_type: facts.launch,
        task_definition: facts.task_definition,
        cpu_architecture: size.map(|s| s.architecture),
        cpu_vcpu: size.and_then(|s| s.cpu_vcpu),
        memory_gib: size.and_then(|s| s.memory_gib),
        working_desired: working,
        working_desired_from: desired.source,
        off_hours_per_week,
        wake_hours_per_week,
        task_hours_off_per_week,
        usd_per_month_saved,
        reason,
        error,
    }
}

/// The money a service's task-hours off save, or why there is no such figure.
fn money(
    launch: Option<&Launch>,
    size: Option<TaskSize>,
    task_hours_off_per_week: f64,
    prices: &[Price],
) -> (Option<f64>, Option<String>) {
    let (Some(launch), Some(size)) = (launch, size) else {
        return (
            None,
            Some("the service names no task definition: task-hours only".to_string()),
        );
    };
    if let Some(reason) = not_priced_reason(launch, &size) {
        return (None, Some(reason));
    }
    let price = prices.iter().find(|p| p.architecture == size.architecture);
    match (price.and_then(Price::rates), size.cpu_vcpu, size.memory_gib) {
        (Some(rates), Some(cpu), Some(memory)) => (
            Some(usd_per_month(task_hours_off_per_week, cpu, memory, rates)),
            None,
        ),
        _ => (
            None,
            Some(
                price
                    .and_then(|p| p.reason.clone())
                    .unwrap_or_else(|| format!("no price for {}", size.architecture)),
            ),
        ),
    }
}

fn totals(services: &[ServiceSaving]) -> Totals {
    let priced: Vec<f64> = services
        .iter()
        .filter_map(|s| s.usd_per_month_saved)
        .collect();
    Totals {
        services: services.len(),
        task_hours_off_per_week: services.iter().map(|s| s.task_hours_off_per_week).sum(),
        usd_per_month_saved: (!priced.is_empty()).then(|| priced.iter().sum()),
        services_priced: priced.len(),
        services_not_priced: services.len() - priced.len(),
        services_unreadable: services.iter().filter(|s| s.error.is_some()).count(),
        instance_hours_off_per_week: None,
        groups_unreadable: None,
    }
}

impl Report {
    /// Services whose reads failed for another reason than not existing (access denied, a
    /// throttled call): the report is incomplete.
    pub fn unreadable(&self) -> usize {
        self.totals.services_unreadable
            + self.totals.groups_unreadable.unwrap_or(0)
            + self.instances.unreadable.len()
    }
}

#[cfg(test)]
mod wake_tests {
    use super::*;
    use crate::report::prices::PriceOverrides;
    use worktime_lambda::Capacity;

    #[test]
    fn the_hours_a_wake_held_a_service_up_at_night_are_not_counted_as_saved() {
        let request = ServiceRequest {
            resource_id: "service/prod/web".into(),
            cluster: "prod".into(),
            service: "web".into(),
            declared: Some(Capacity { min: 2, max: 2 }),
            refused: None,
            selected_by: None,
            wave: 0,
        };
        let seen = Observed {
            exists: true,
            desired_count: Some(0),
            ..Observed::default()
        };
        let facts = services::ServiceFacts {
            launch: Some(Launch::Fargate),
            task_definition: Some("td".into()),
            size: Some(TaskSize {
                cpu_vcpu: Some(1.0),
                memory_gib: Some(2.0),
                architecture: CpuArchitecture::X86_64,
                windows: false,
            }),
            error: None,
        };
        let prices: Vec<Price> = CpuArchitecture::ALL
            .into_iter()
            .map(|a| price_for("us-east-1", a, PriceOverrides::default()))
            .collect();
        let plain = saving(
            "default",
            &request,
            &seen,
            facts.clone(),
            (100.0, None),
            &prices,
        );
        let woken = saving(
            "default",
            &request,
            &seen,
            facts,
            (100.0, Some(10.0)),
            &prices,
        );
        assert_eq!(plain.task_hours_off_per_week, 200.0);
        assert_eq!(
            woken.task_hours_off_per_week, 180.0,
            "2 tasks × (100 − 10) h"
        );
        assert_eq!(woken.wake_hours_per_week, Some(10.0));
        let (saved, less) = (
            plain.usd_per_month_saved.unwrap(),
            woken.usd_per_month_saved.unwrap(),
        );
        assert!((less / saved - 0.9).abs() < 1e-9, "{saved} {less}");
    }
}
