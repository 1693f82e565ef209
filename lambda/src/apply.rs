//! Reading services, applying a plan, and reporting: the I/O around the pure planner.
//!
//! Reads are batched (ECS `DescribeServices` takes 10 services per call, Application Auto
//! Scaling `DescribeScalableTargets` is filtered by at most 50 resource ids so that one
//! page holds the answer). Writes run concurrently up to [`WRITE_CONCURRENCY`]; the SDK's
//! standard retry absorbs throttling. One failing service never stops the others.

use std::collections::HashMap;

use aws_sdk_applicationautoscaling::types::{ScalableDimension, ServiceNamespace};
use aws_sdk_ecs::types::{ServiceField, Tag};
use chrono::{DateTime, Utc};
use futures::stream::{self, StreamExt};
use serde::Serialize;
use tracing::{info, warn};

use crate::event::{Action, Capacity, ScalingEvent, ServiceRequest};
use crate::planner::{self, Decision, Observed, PlannedService};

/// The ECS service tag that holds a restore-mode service's working-hours capacity.
pub const CAPACITY_TAG: &str = "worktime:capacity";

/// How many writes run at once. Application Auto Scaling's documented request rate for
/// `RegisterScalableTarget` is modest; eight in flight keep 200 services inside a few
/// seconds on AWS without provoking sustained throttling, and the SDK's retry handles bursts.
pub const WRITE_CONCURRENCY: usize = 8;

/// ECS `DescribeServices` accepts at most 10 services per call.
const ECS_DESCRIBE_BATCH: usize = 10;
/// `DescribeScalableTargets` pages at 50 results: ask for at most 50 ids at a time.
const TARGETS_DESCRIBE_BATCH: usize = 50;

/// The two clients the function uses, built once per process from one SDK config.
#[derive(Debug, Clone)]
pub struct Clients {
    pub autoscaling: aws_sdk_applicationautoscaling::Client,
    pub ecs: aws_sdk_ecs::Client,
}

impl Clients {
    pub fn new(config: &aws_config::SdkConfig) -> Self {
        Clients {
            autoscaling: aws_sdk_applicationautoscaling::Client::new(config),
            ecs: aws_sdk_ecs::Client::new(config),
        }
    }
}

/// What happened to one service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    Changed,
    /// Dry run: would have changed.
    WouldChange,
    Unchanged,
    Skipped,
    Failed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServiceOutcome {
    pub resource_id: String,
    pub action: Action,
    pub outcome: Outcome,
    pub before: Option<Capacity>,
    pub after: Option<Capacity>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remembered: Option<Capacity>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub changed: usize,
    pub would_change: usize,
    pub unchanged: usize,
    pub skipped: usize,
    pub failed: usize,
}

/// The result of one invocation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    pub action: Action,
    pub dry_run: bool,
    pub summary: Summary,
    pub services: Vec<ServiceOutcome>,
}

impl Report {
    pub fn failed(&self) -> impl Iterator<Item = &ServiceOutcome> {
        self.services
            .iter()
            .filter(|s| s.outcome == Outcome::Failed)
    }

    pub fn has_failures(&self) -> bool {
        self.summary.failed > 0
    }
}

/// Reads every requested service's current state: ECS (existence, desired count, tags)
/// and Application Auto Scaling (the scalable target's bounds).
pub async fn observe(clients: &Clients, services: &[ServiceRequest]) -> HashMap<String, Observed> {
    let mut observed: HashMap<String, Observed> = HashMap::with_capacity(services.len());

    // ECS, per cluster, in batches of 10.
    let mut by_cluster: Vec<(&str, Vec<&ServiceRequest>)> = Vec::new();
    for request in services {
        match by_cluster.iter_mut().find(|(c, _)| *c == request.cluster) {
            Some((_, list)) => list.push(request),
            None => by_cluster.push((&request.cluster, vec![request])),
        }
    }
    for (cluster, requests) in &by_cluster {
        for batch in requests.chunks(ECS_DESCRIBE_BATCH) {
            let names: Vec<String> = batch.iter().map(|r| r.service.clone()).collect();
            let result = clients
                .ecs
                .describe_services()
                .cluster(*cluster)
                .set_services(Some(names))
                .include(ServiceField::Tags)
                .send()
                .await;
            match result {
                Ok(output) => {
                    for service in output.services() {
                        let Some(name) = service.service_name() else {
                            continue;
                        };
                        let Some(request) = batch.iter().find(|r| r.service == name) else {
                            continue;
                        };
                        // ECS keeps deleted services visible as INACTIVE for a while.
                        if service.status() == Some("INACTIVE") {
                            continue;
                        }
                        let entry = observed.entry(request.resource_id.clone()).or_default();
                        entry.exists = true;
                        entry.service_arn = service.service_arn().map(str::to_string);
                        entry.desired_count = Some(service.desired_count());
                        if let Some(tag) = service
                            .tags()
                            .iter()
                            .find(|t| t.key() == Some(CAPACITY_TAG))
                        {
                            match tag.value().unwrap_or_default().parse::<Capacity>() {
                                Ok(capacity) => entry.remembered = Some(capacity),
                                Err(reason) => entry.remembered_unreadable = Some(reason),
                            }
                        }
                    }
                }
                Err(error) => {
                    let not_found = error
                        .as_service_error()
                        .is_some_and(|e| e.is_cluster_not_found_exception());
                    for request in batch {
                        let entry = observed.entry(request.resource_id.clone()).or_default();
                        if !not_found {
                            entry.lookup_error = Some(describe_error(&error));
                        }
                    }
                }
            }
        }
    }

    // Application Auto Scaling, 50 ids at a time, only for services ECS knows.
    let ids: Vec<String> = services
        .iter()
        .filter(|r| observed.get(&r.resource_id).is_some_and(|o| o.exists))
        .map(|r| r.resource_id.clone())
        .collect();
    for batch in ids.chunks(TARGETS_DESCRIBE_BATCH) {
        let mut next_token: Option<String> = None;
        loop {
            let result = clients
                .autoscaling
                .describe_scalable_targets()
                .service_namespace(ServiceNamespace::Ecs)
                .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
                .set_resource_ids(Some(batch.to_vec()))
                .set_next_token(next_token.clone())
                .send()
                .await;
            match result {
                Ok(output) => {
                    for target in output.scalable_targets() {
                        if let Some(entry) = observed.get_mut(target.resource_id()) {
                            entry.target = Some(Capacity {
                                min: target.min_capacity(),
                                max: target.max_capacity(),
                            });
                        }
                    }
                    // Guard against an endpoint that repeats its token (moto 5.2.5 does):
                    // one batch of ≤ 50 ids fits one page anyway.
                    match output.next_token() {
                        Some(token)
                            if Some(token) != next_token.as_deref() && !token.is_empty() =>
                        {
                            next_token = Some(token.to_string());
                        }
                        _ => break,
                    }
                }
                Err(error) => {
                    let message = describe_error(&error);
                    for id in batch {
                        if let Some(entry) = observed.get_mut(id) {
                            entry.lookup_error = Some(message.clone());
                        }
                    }
                    break;
                }
            }
        }
    }
    observed
}

/// Executes the planned registrations (or only reports them on a dry run).
pub async fn execute(
    clients: &Clients,
    plan: Vec<PlannedService>,
    observed: &HashMap<String, Observed>,
    dry_run: bool,
) -> Vec<ServiceOutcome> {
    let mut indexed: Vec<(usize, ServiceOutcome)> = stream::iter(plan.into_iter().enumerate())
        .map(|(index, planned)| async move {
            let arn = observed
                .get(&planned.resource_id)
                .and_then(|o| o.service_arn.clone());
            (index, execute_one(clients, planned, arn, dry_run).await)
        })
        .buffer_unordered(WRITE_CONCURRENCY)
        .collect()
        .await;
    indexed.sort_by_key(|(index, _)| *index);
    indexed.into_iter().map(|(_, outcome)| outcome).collect()
}

async fn execute_one(
    clients: &Clients,
    planned: PlannedService,
    service_arn: Option<String>,
    dry_run: bool,
) -> ServiceOutcome {
    let outcome = |outcome, after, remembered, reason| ServiceOutcome {
        resource_id: planned.resource_id.clone(),
        action: planned.action,
        outcome,
        before: planned.before,
        after,
        remembered,
        reason,
    };
    match &planned.decision {
        Decision::Unchanged { reason } => outcome(
            Outcome::Unchanged,
            planned.before,
            None,
            Some(reason.clone()),
        ),
        Decision::Skipped { reason } => {
            outcome(Outcome::Skipped, planned.before, None, Some(reason.clone()))
        }
        Decision::Fail { reason } => {
            outcome(Outcome::Failed, planned.before, None, Some(reason.clone()))
        }
        Decision::Register { to, remember } if dry_run => {
            outcome(Outcome::WouldChange, Some(*to), *remember, None)
        }
        Decision::Register { to, remember } => {
            // Remember first: if tagging fails the service keeps running, rather than going
            // to zero with nothing to come back to.
            if let Some(capacity) = remember {
                let Some(arn) = service_arn.as_deref() else {
                    return outcome(
                        Outcome::Failed,
                        planned.before,
                        None,
                        Some("the service has no ARN to tag".into()),
                    );
                };
                let tagged = clients
                    .ecs
                    .tag_resource()
                    .resource_arn(arn)
                    .tags(
                        Tag::builder()
                            .key(CAPACITY_TAG)
                            .value(capacity.to_string())
                            .build(),
                    )
                    .send()
                    .await;
                if let Err(error) = tagged {
                    return outcome(
                        Outcome::Failed,
                        planned.before,
                        None,
                        Some(format!(
                            "could not remember capacity {capacity} (tag {CAPACITY_TAG}): {}",
                            describe_error(&error)
                        )),
                    );
                }
            }
            let registered = clients
                .autoscaling
                .register_scalable_target()
                .service_namespace(ServiceNamespace::Ecs)
                .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
                .resource_id(&planned.resource_id)
                .min_capacity(to.min)
                .max_capacity(to.max)
                .send()
                .await;
            match registered {
                Ok(_) => outcome(Outcome::Changed, Some(*to), *remember, None),
                Err(error) => outcome(
                    Outcome::Failed,
                    planned.before,
                    *remember,
                    Some(format!(
                        "RegisterScalableTarget {to} failed: {}",
                        describe_error(&error)
                    )),
                ),
            }
        }
    }
}

/// Plans and applies one event: read, decide, write, report. Never stops at the first
/// failure; the caller turns a report with failures into an invocation error.
pub async fn run(clients: &Clients, event: &ScalingEvent, now: DateTime<Utc>) -> Report {
    if event.implicit_toggle {
        warn!(
            "the event names no action: toggling each service by its current state. A retried or \
             duplicated delivery flips it back; send {{\"action\": \"scale-in\"|\"scale-out\"}} instead"
        );
    }
    let observed = observe(clients, &event.services).await;
    for (id, seen) in &observed {
        if let Some(reason) = &seen.remembered_unreadable {
            warn!(resource_id = %id, reason = %reason, "ignoring an unreadable {CAPACITY_TAG} tag");
        }
    }
    let plan = planner::plan(event, &observed, now);
    let services = execute(clients, plan, &observed, event.dry_run).await;

    let mut summary = Summary::default();
    for service in &services {
        match service.outcome {
            Outcome::Changed => summary.changed += 1,
            Outcome::WouldChange => summary.would_change += 1,
            Outcome::Unchanged => summary.unchanged += 1,
            Outcome::Skipped => summary.skipped += 1,
            Outcome::Failed => summary.failed += 1,
        }
        log_outcome(service);
    }
    info!(
        action = %event.action,
        dry_run = event.dry_run,
        changed = summary.changed,
        would_change = summary.would_change,
        unchanged = summary.unchanged,
        skipped = summary.skipped,
        failed = summary.failed,
        "summary"
    );
    Report {
        action: event.action,
        dry_run: event.dry_run,
        summary,
        services,
    }
}

fn log_outcome(service: &ServiceOutcome) {
    let show = |c: Option<Capacity>| c.map_or_else(|| "-".to_string(), |c| c.to_string());
    let outcome = serde_json::to_value(service.outcome).ok();
    let outcome = outcome.as_ref().and_then(|v| v.as_str()).unwrap_or("?");
    let reason = service.reason.as_deref().unwrap_or("");
    if service.outcome == Outcome::Failed {
        warn!(resource_id = %service.resource_id, action = %service.action, outcome, before = %show(service.before), after = %show(service.after), reason, "service");
    } else {
        info!(resource_id = %service.resource_id, action = %service.action, outcome, before = %show(service.before), after = %show(service.after), remembered = %show(service.remembered), reason, "service");
    }
}

/// The service's own error code and message where there is one, else the whole chain of
/// causes (a connection refused, an unparsable answer), not the SDK's bare "service error".
pub fn describe_error<E, R>(error: &aws_sdk_ecs::error::SdkError<E, R>) -> String
where
    E: aws_sdk_ecs::error::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    if let Some(service_error) = error.as_service_error() {
        match (service_error.code(), service_error.message()) {
            (Some(code), Some(message)) => return format!("{code}: {message}"),
            (Some(code), None) => return code.to_string(),
            _ => {}
        }
    }
    aws_sdk_ecs::error::DisplayErrorContext(error).to_string()
}
