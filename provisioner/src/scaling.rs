//! The scaling function's events for a stack's configuration: the payloads its triggers
//! carry (one per schedule in use), validated by the function's own code with the allow-lists
//! its environment holds (used by `run`, `status`, `report`, `wake` and teardown), and what
//! each schedule's services are now.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use worktime_lambda::{
    select_and_observe, Action, AllowedSelector, Clients, EventDefaults, Observed, Report,
    ScalingEvent, Selected, ServiceRequest, Summary,
};

use crate::aws::calls::{made_by, Call, Cmd::Teardown, Narrow, On};
use crate::config::{StackConfig, DEFAULT_SCHEDULE};
use crate::error::{Error, Result};
use worktime_lambda::tags::{CAPACITY_TAG, HOLD_UNTIL_TAG};
use worktime_lambda::wake::record::{WAKE_SECONDS_TAG, WAKE_STARTED_TAG};

/// The calls this module makes (the permissions table, `policy::table`).
/// The function library's calls (`worktime_lambda::{resolve, observe, execute, release}`), made
/// with the caller's credentials by `run`, `wake`, `status`, `report`, `hold` and teardown's
/// give-back.
pub const CALLS: &[Call] = &[
    Call::new("ECS", "DescribeServices", "ecs:DescribeServices", made_by::OBSERVE, On::Services),
    Call::new("ECS", "DescribeServices", "ecs:ListTagsForResource", made_by::OBSERVE, On::Services),
    Call::new("ECS", "ListServices", "ecs:ListServices", made_by::OBSERVE, On::Any)
        .narrow(Narrow::SelectorClusters)
        .note("ecs:ListServices has no resource type, only the ecs:cluster condition key; only with tag selectors"),
    Call::new("ECS", "ListClusters", "ecs:ListClusters", made_by::OBSERVE, On::Any)
        .narrow(Narrow::EverySelectorCluster)
        .note("ecs:ListClusters has no resource type; only for a selector with cluster = \"*\""),
    Call::new("ECS", "UpdateService", "ecs:UpdateService", made_by::SCALE, On::Services),
    Call::new("ECS", "TagResource", "ecs:TagResource", made_by::SCALE, On::Services)
        .narrow(Narrow::TagKeys(&[CAPACITY_TAG, HOLD_UNTIL_TAG])),
    // Teardown's give-back also takes a woken service's wake record off.
    Call::new("ECS", "UntagResource", "ecs:UntagResource", made_by::SCALE, On::Services)
        .narrow(Narrow::TagKeys(&[CAPACITY_TAG, HOLD_UNTIL_TAG, WAKE_STARTED_TAG, WAKE_SECONDS_TAG])),
    Call::new("Application Auto Scaling", "DescribeScalableTargets", "application-autoscaling:DescribeScalableTargets", made_by::OBSERVE, On::Any)
        .note("application-autoscaling:DescribeScalableTargets has no resource type"),
    Call::new("Application Auto Scaling", "RegisterScalableTarget", "application-autoscaling:RegisterScalableTarget", made_by::SCALE, On::ScalableTargets),
    // Registering an ECS service's target checks the caller may change that service.
    Call::new("Application Auto Scaling", "RegisterScalableTarget", "ecs:DescribeServices", made_by::SCALE, On::Services),
    Call::new("Application Auto Scaling", "RegisterScalableTarget", "ecs:UpdateService", made_by::SCALE, On::Services),
    Call::new("Application Auto Scaling", "RegisterScalableTarget", "iam:CreateServiceLinkedRole", made_by::SCALE, On::AutoScalingServiceRole)
        .narrow(Narrow::AwsServiceName("ecs.application-autoscaling.amazonaws.com")),
    Call::new("Application Auto Scaling", "DeregisterScalableTarget", "application-autoscaling:DeregisterScalableTarget", made_by::SCALE, On::ScalableTargets),
    // Teardown gives the `[[capacity]]` groups back (`worktime_lambda::release_groups`).
    Call::new("Auto Scaling", "DescribeAutoScalingGroups", "autoscaling:DescribeAutoScalingGroups", &[Teardown], On::Any)
        .narrow(Narrow::CapacityGroups)
        .note("autoscaling:DescribeAutoScalingGroups has no resource-level permissions"),
    Call::new("Auto Scaling", "UpdateAutoScalingGroup", "autoscaling:UpdateAutoScalingGroup", &[Teardown], On::CapacityGroupArns)
        .narrow(Narrow::CapacityGroups),
    Call::new("Auto Scaling", "DeleteTags", "autoscaling:DeleteTags", &[Teardown], On::CapacityGroupArns)
        .narrow(Narrow::CapacityGroups),
];

/// What the deployed function's environment allows: the configured services by name, and
/// every selector with its schedule, in file order.
pub fn event_defaults(config: &StackConfig) -> EventDefaults {
    EventDefaults {
        allowed_selectors: config
            .selectors
            .iter()
            .map(|s| AllowedSelector {
                cluster: s.cluster.clone(),
                tag: s.tag.clone(),
                schedule: s.schedule.clone(),
            })
            .collect(),
        ..EventDefaults::allowing(
            config
                .services
                .iter()
                .map(|s| worktime_lambda::resource_id(&s.cluster, &s.service)),
        )
    }
}

/// The events the triggers would carry for `action` at `now`, one per schedule in use
/// (`[schedule]` first), marked dry-run on request.
pub fn events_for(
    config: &StackConfig,
    action: Action,
    dry_run: bool,
    now: DateTime<Utc>,
) -> Result<Vec<ScalingEvent>> {
    let defaults = event_defaults(config);
    config
        .schedules_in_use()
        .into_iter()
        .map(|schedule| {
            let mut raw = config.scaling_event(action, schedule.name);
            raw.dry_run = Some(dry_run);
            ScalingEvent::from_raw(raw, &defaults, now).map_err(|source| Error::Event {
                config: config.path.clone(),
                source,
            })
        })
        .collect()
}

/// Runs each event in turn (each schedule with its own zone and skip dates) and reports them
/// as one run.
pub async fn run_events(clients: &Clients, events: &[ScalingEvent], now: DateTime<Utc>) -> Report {
    let mut merged: Option<Report> = None;
    for event in events {
        let report = worktime_lambda::run(clients, event, now).await;
        merged = Some(match merged {
            None => report,
            Some(mut all) => {
                all.services.extend(report.services);
                all.selectors.extend(report.selectors);
                all.schedule = None;
                all
            }
        });
    }
    let mut report = merged.unwrap_or_else(|| Report {
        action: events.first().map_or(Action::ScaleIn, |e| e.action),
        dry_run: false,
        scheduled_time: None,
        schedule: None,
        summary: Summary::default(),
        services: Vec::new(),
        selectors: Vec::new(),
        wave: None,
    });
    report.summary = Summary::of(&report.services);
    report
}

/// One schedule's services as the function would find them now: those named and those its
/// selectors select, each with its state.
pub struct ScheduleServices {
    /// The schedule's name (`default` for `[schedule]`).
    pub label: String,
    pub services: Vec<ServiceRequest>,
    /// Keyed by resource id.
    pub observed: HashMap<String, Observed>,
    /// `selector <cluster:tag>: <why>` for each selector that could not be resolved.
    pub selector_errors: Vec<String>,
}

/// Every schedule's services now (`status`, `report`): read only, nothing changed.
pub async fn services_now(
    clients: &Clients,
    config: &StackConfig,
    now: DateTime<Utc>,
) -> Result<Vec<ScheduleServices>> {
    let mut schedules = Vec::new();
    for event in events_for(config, Action::ScaleIn, true, now)? {
        let label = event
            .schedule
            .clone()
            .unwrap_or_else(|| DEFAULT_SCHEDULE.to_string());
        let Selected {
            event,
            selectors,
            observed,
        } = select_and_observe(clients, &event).await;
        schedules.push(ScheduleServices {
            label,
            services: event.services,
            observed,
            selector_errors: selectors
                .into_iter()
                .filter_map(|s| {
                    s.error
                        .map(|reason| format!("selector {}: {reason}", s.selector))
                })
                .collect(),
        });
    }
    Ok(schedules)
}
