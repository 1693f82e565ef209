//! Batched reads of each service's current state: ECS `DescribeServices` (10 per call, with
//! tags) and Application Auto Scaling `DescribeScalableTargets` (at most 50 ids per call, so
//! one page holds the answer; the loop is guarded against a repeated token).

use std::collections::HashMap;

use aws_sdk_applicationautoscaling::types::{ScalableDimension, ServiceNamespace};
use aws_sdk_ecs::types::ServiceField;
use chrono::{DateTime, Utc};

use crate::clients::{describe_error, Clients};
use crate::event::{Capacity, ServiceRequest};
use crate::memory::Remembered;
use crate::tags::{parse_hold_until, CAPACITY_TAG, EXCLUDE_TAG, HOLD_UNTIL_TAG};

/// ECS `DescribeServices` accepts at most 10 services per call.
const ECS_DESCRIBE_BATCH: usize = 10;
/// `DescribeScalableTargets` pages at 50 results: ask for at most 50 ids at a time.
const TARGETS_DESCRIBE_BATCH: usize = 50;

/// What was read of one service before deciding.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Observed {
    /// False when ECS does not know the service (or its cluster).
    pub exists: bool,
    /// The service's ARN, needed to tag it.
    pub service_arn: Option<String>,
    /// The ECS service's desired task count.
    pub desired_count: Option<i32>,
    /// The scalable target's min/max; `None` when none is registered.
    pub target: Option<Capacity>,
    /// What an earlier scale-in remembered (the `worktime:capacity` tag), checked.
    pub remembered: Option<Remembered>,
    /// The tag is present but unreadable, inconsistent or absurd: why (naming tag and value).
    pub remembered_error: Option<String>,
    /// Reading the service failed for another reason (access denied, say): it fails alone.
    pub lookup_error: Option<String>,
    /// The service carries the opt-out tag `worktime:exclude` (any value): never changed.
    pub excluded: bool,
    /// The `worktime:hold-until` tag: scale-in leaves the service alone before this instant.
    pub hold_until: Option<DateTime<Utc>>,
    /// The hold tag is present but unreadable: why (naming tag, value and the fix).
    pub hold_error: Option<String>,
    /// Tasks in the RUNNING state.
    pub running_count: Option<i32>,
    /// The service's latest event message (ECS says why tasks do not start, for one).
    pub latest_event: Option<String>,
    /// When the primary deployment last changed (a new task definition, a desired count).
    pub last_changed: Option<DateTime<Utc>>,
}

impl Observed {
    /// Down for the night: bounds 0/0, or no scalable target and no task desired.
    pub fn is_at_zero(&self) -> bool {
        match self.target {
            Some(bounds) => bounds.is_zero(),
            None => self.desired_count.unwrap_or(0) == 0,
        }
    }
}

/// Reads every requested service's current state, keyed by resource id. Services refused by
/// the allow-list are not read at all.
pub async fn observe(clients: &Clients, services: &[ServiceRequest]) -> HashMap<String, Observed> {
    let services: Vec<&ServiceRequest> = services.iter().filter(|r| r.refused.is_none()).collect();
    let mut observed: HashMap<String, Observed> = HashMap::with_capacity(services.len());

    // ECS, per cluster (in event order), in batches of 10.
    let mut by_cluster: Vec<(&str, Vec<&ServiceRequest>)> = Vec::new();
    for request in &services {
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
                        entry.running_count = Some(service.running_count());
                        entry.latest_event = service
                            .events()
                            .iter()
                            .max_by_key(|e| e.created_at().map(|t| (t.secs(), t.subsec_nanos())))
                            .and_then(|e| e.message())
                            .map(str::to_string);
                        entry.last_changed = service
                            .deployments()
                            .iter()
                            .find(|d| d.status() == Some("PRIMARY"))
                            .and_then(|d| d.updated_at().or(d.created_at()))
                            .and_then(|t| DateTime::from_timestamp(t.secs(), t.subsec_nanos()));
                        entry.excluded =
                            service.tags().iter().any(|t| t.key() == Some(EXCLUDE_TAG));
                        if let Some(tag) = service
                            .tags()
                            .iter()
                            .find(|t| t.key() == Some(CAPACITY_TAG))
                        {
                            match Remembered::parse(tag.value().unwrap_or_default()) {
                                Ok(remembered) => entry.remembered = Some(remembered),
                                Err(reason) => entry.remembered_error = Some(reason),
                            }
                        }
                        if let Some(tag) = service
                            .tags()
                            .iter()
                            .find(|t| t.key() == Some(HOLD_UNTIL_TAG))
                        {
                            let value = tag.value().unwrap_or_default();
                            match parse_hold_until(value) {
                                Ok(until) => entry.hold_until = Some(until),
                                Err(problem) => {
                                    entry.hold_error = Some(format!(
                                        "tag {HOLD_UNTIL_TAG} = {value:?}: {problem}; fix: \
                                         worktime hold {}/{} --clear (or hold it again)",
                                        request.cluster, request.service
                                    ))
                                }
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
