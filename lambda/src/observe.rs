//! Batched reads of each service's current state: ECS `DescribeServices` (10 per call, with
//! tags) and Application Auto Scaling `DescribeScalableTargets` (at most 50 ids per call, so
//! one page holds the answer; the loop is guarded against a repeated token), a few calls in
//! flight. Services a selector's resolution described already are not described again.

use std::collections::HashMap;

use aws_sdk_applicationautoscaling::types::{ScalableDimension, ServiceNamespace};
use aws_sdk_ecs::types::{Service, ServiceField};
use chrono::{DateTime, Utc};
use futures::stream::{self, StreamExt};

use crate::clients::{describe_error, Clients};
use crate::ecs::Capacity;
use crate::event::ServiceRequest;
use crate::memory::Remembered;
use crate::tags::{parse_hold_until, CAPACITY_TAG, EXCLUDE_TAG, HOLD_UNTIL_TAG};
use crate::wake::record::{WAKE_SECONDS_TAG, WAKE_STARTED_TAG};

/// ECS `DescribeServices` accepts at most 10 services per call.
const ECS_DESCRIBE_BATCH: usize = 10;
/// `DescribeScalableTargets` pages at 50 results: ask for at most 50 ids at a time.
const TARGETS_DESCRIBE_BATCH: usize = 50;
/// The scalable targets one `DescribeScalableTargets` batch found (resource id, bounds), or
/// why it failed.
type TargetsRead = Result<Vec<(String, Capacity)>, String>;
/// Read calls in flight at once (the resolver's too).
pub(crate) const READ_CONCURRENCY: usize = 8;

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
    /// How many deployments the service has (more than one: a rollout is under way, and the
    /// tasks counted as running may be the old ones).
    pub deployments: Option<usize>,
    /// The target groups the service registers its tasks with (its `loadBalancers`): a wave
    /// waits for their targets to be healthy.
    pub target_groups: Vec<String>,
    /// The `worktime:wake-started` and `worktime:wake-seconds` tags as written (a woken
    /// service's last wake; read by `wake/record.rs`).
    pub wake_started: Option<String>,
    pub wake_seconds: Option<String>,
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
    observe_known(clients, services, HashMap::new()).await
}

/// [`observe`], for services some of which were described already (a selector's resolution
/// reads each service it lists with its tags): those are not described again; every one's
/// scalable target is read.
pub(crate) async fn observe_known(
    clients: &Clients,
    services: &[ServiceRequest],
    mut known: HashMap<String, Observed>,
) -> HashMap<String, Observed> {
    let services: Vec<&ServiceRequest> = services.iter().filter(|r| r.refused.is_none()).collect();
    let mut observed: HashMap<String, Observed> = HashMap::with_capacity(services.len());

    // ECS, per cluster (in event order), in batches of 10, a few calls in flight.
    let mut by_cluster: Vec<(&str, Vec<&ServiceRequest>)> = Vec::new();
    for request in &services {
        if let Some(seen) = known.remove(&request.resource_id) {
            observed.insert(request.resource_id.clone(), seen);
            continue;
        }
        match by_cluster.iter_mut().find(|(c, _)| *c == request.cluster) {
            Some((_, list)) => list.push(request),
            None => by_cluster.push((&request.cluster, vec![request])),
        }
    }
    let batches: Vec<(&str, &[&ServiceRequest])> = by_cluster
        .iter()
        .flat_map(|(cluster, requests)| {
            requests
                .chunks(ECS_DESCRIBE_BATCH)
                .map(move |batch| (*cluster, batch))
        })
        .collect();
    let described: Vec<Vec<(String, Observed)>> = stream::iter(batches)
        .map(|(cluster, batch)| describe_batch(clients, cluster, batch))
        .buffered(READ_CONCURRENCY)
        .collect()
        .await;
    observed.extend(described.into_iter().flatten());

    // Application Auto Scaling, 50 ids at a time, only for services ECS knows.
    let ids: Vec<String> = services
        .iter()
        .filter(|r| observed.get(&r.resource_id).is_some_and(|o| o.exists))
        .map(|r| r.resource_id.clone())
        .collect();
    let targets: Vec<(Vec<String>, TargetsRead)> =
        stream::iter(ids.chunks(TARGETS_DESCRIBE_BATCH).map(<[String]>::to_vec))
            .map(|batch| async move {
                let result = scalable_targets(clients, &batch).await;
                (batch, result)
            })
            .buffered(READ_CONCURRENCY)
            .collect()
            .await;
    for (batch, result) in targets {
        match result {
            Ok(found) => {
                for (id, bounds) in found {
                    if let Some(entry) = observed.get_mut(&id) {
                        entry.target = Some(bounds);
                    }
                }
            }
            Err(message) => {
                for id in &batch {
                    if let Some(entry) = observed.get_mut(id) {
                        entry.lookup_error = Some(message.clone());
                    }
                }
            }
        }
    }
    observed
}

/// One `DescribeServices` call: each requested service's state (absent from ECS, or INACTIVE:
/// not found; a failed call: the error on each).
async fn describe_batch(
    clients: &Clients,
    cluster: &str,
    batch: &[&ServiceRequest],
) -> Vec<(String, Observed)> {
    let names: Vec<String> = batch.iter().map(|r| r.service.clone()).collect();
    let result = clients
        .ecs
        .describe_services()
        .cluster(cluster)
        .set_services(Some(names))
        .include(ServiceField::Tags)
        .send()
        .await;
    match result {
        Ok(output) => batch
            .iter()
            .map(|request| {
                let seen = output
                    .services()
                    .iter()
                    .find(|s| s.service_name() == Some(request.service.as_str()))
                    .map(|service| observed_from(service, &request.cluster, &request.service))
                    .unwrap_or_default();
                (request.resource_id.clone(), seen)
            })
            .collect(),
        Err(error) => {
            let not_found = error
                .as_service_error()
                .is_some_and(|e| e.is_cluster_not_found_exception());
            let lookup_error = (!not_found).then(|| describe_error(&error));
            batch
                .iter()
                .map(|request| {
                    let seen = Observed {
                        lookup_error: lookup_error.clone(),
                        ..Observed::default()
                    };
                    (request.resource_id.clone(), seen)
                })
                .collect()
        }
    }
}

/// What ECS says of one service (`DescribeServices` with tags): everything but its scalable
/// target. An INACTIVE service (ECS keeps deleted ones visible for a while) does not exist.
pub(crate) fn observed_from(service: &Service, cluster: &str, name: &str) -> Observed {
    if service.status() == Some("INACTIVE") {
        return Observed::default();
    }
    let tag = |key: &str| {
        service
            .tags()
            .iter()
            .find(|t| t.key() == Some(key))
            .map(|t| t.value().unwrap_or_default())
    };
    let mut seen = Observed {
        exists: true,
        service_arn: service.service_arn().map(str::to_string),
        desired_count: Some(service.desired_count()),
        running_count: Some(service.running_count()),
        excluded: tag(EXCLUDE_TAG).is_some(),
        latest_event: service
            .events()
            .iter()
            .max_by_key(|e| e.created_at().map(|t| (t.secs(), t.subsec_nanos())))
            .and_then(|e| e.message())
            .map(str::to_string),
        last_changed: service
            .deployments()
            .iter()
            .find(|d| d.status() == Some("PRIMARY"))
            .and_then(|d| d.updated_at().or(d.created_at()))
            .and_then(|t| DateTime::from_timestamp(t.secs(), t.subsec_nanos())),
        deployments: Some(service.deployments().len()),
        target_groups: service
            .load_balancers()
            .iter()
            .filter_map(|lb| lb.target_group_arn())
            .map(str::to_string)
            .collect(),
        wake_started: tag(WAKE_STARTED_TAG).map(str::to_string),
        wake_seconds: tag(WAKE_SECONDS_TAG).map(str::to_string),
        ..Observed::default()
    };
    if let Some(value) = tag(CAPACITY_TAG) {
        match Remembered::parse(value) {
            Ok(remembered) => seen.remembered = Some(remembered),
            Err(reason) => seen.remembered_error = Some(reason),
        }
    }
    if let Some(value) = tag(HOLD_UNTIL_TAG) {
        match parse_hold_until(value) {
            Ok(until) => seen.hold_until = Some(until),
            Err(problem) => {
                seen.hold_error = Some(format!(
                    "tag {HOLD_UNTIL_TAG} = {value:?}: {problem}; fix: worktime hold \
                     {cluster}/{name} --clear (or hold it again)"
                ))
            }
        }
    }
    seen
}

/// The bounds of the scalable targets among `ids` (at most 50: one page), guarded against an
/// endpoint that repeats its token (moto 5.2.5 does).
async fn scalable_targets(clients: &Clients, ids: &[String]) -> TargetsRead {
    let mut found = Vec::new();
    let mut next_token: Option<String> = None;
    loop {
        let output = clients
            .autoscaling
            .describe_scalable_targets()
            .service_namespace(ServiceNamespace::Ecs)
            .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
            .set_resource_ids(Some(ids.to_vec()))
            .set_next_token(next_token.clone())
            .send()
            .await
            .map_err(|error| describe_error(&error))?;
        found.extend(output.scalable_targets().iter().map(|target| {
            (
                target.resource_id().to_string(),
                Capacity {
                    min: target.min_capacity(),
                    max: target.max_capacity(),
                },
            )
        }));
        match output.next_token() {
            Some(token) if Some(token) != next_token.as_deref() && !token.is_empty() => {
                next_token = Some(token.to_string());
            }
            _ => return Ok(found),
        }
    }
}
