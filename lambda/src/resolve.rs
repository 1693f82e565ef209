//! Tag selectors resolved when the function runs: ECS `ListClusters` (for `"*"`),
//! `ListServices` per cluster (paginated) and `DescribeServices` with tags (10 per call, a few
//! calls in flight), so that a service tagged after deploy is managed at the next trigger.
//!
//! An explicit entry of the event wins over a selector for the same service, and an earlier
//! selector over a later one: each service is acted on once, with one capacity.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use futures::stream::{self, StreamExt};
use serde::Serialize;

use crate::clients::{describe_error, Clients};
use crate::ecs::resource_id;
use crate::event::{ScalingEvent, ServiceRequest};
use crate::observe::{observed_from, Observed, READ_CONCURRENCY};
use crate::selector::{owner, ClusterScope, Owner, Selector};

/// ECS `DescribeServices` takes at most 10 services per call.
const DESCRIBE_BATCH: usize = 10;
/// `ListServices` and `ListClusters` return at most 100 per page.
const LIST_PAGE: i32 = 100;
/// A guard against an endpoint that never stops paginating.
const MAX_PAGES: usize = 1000;

/// What one selector resolved to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SelectorOutcome {
    /// `cluster:tag`, as configured.
    pub selector: String,
    /// How many clusters were searched.
    pub clusters: usize,
    /// Services it selected (not counting those an explicit entry or an earlier selector
    /// already claimed).
    pub matched: usize,
    /// Why it could not be resolved, in whole or in part: the run fails, after acting on
    /// everything else.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A service ECS listed, with its tags.
struct Listed {
    name: String,
    tags: Vec<(String, String)>,
    /// What ECS said of it (tags included): the run does not describe it again.
    observed: Observed,
}

/// The services the event's selectors select now, as requests (after the event's own), and
/// one outcome per selector.
pub(crate) async fn resolve(
    clients: &Clients,
    event: &ScalingEvent,
) -> (
    Vec<ServiceRequest>,
    Vec<SelectorOutcome>,
    HashMap<String, Observed>,
) {
    let active: Vec<&Selector> = event
        .selectors
        .iter()
        .filter(|s| s.refused.is_none())
        .collect();
    let mut all_clusters: Option<Result<Vec<String>, String>> = None;
    if active.iter().any(|s| s.cluster == ClusterScope::All) {
        all_clusters = Some(list_clusters(clients).await);
    }
    let mut wanted: BTreeSet<String> = active
        .iter()
        .filter_map(|s| match &s.cluster {
            ClusterScope::Named(name) => Some(name.clone()),
            ClusterScope::All => None,
        })
        .collect();
    if let Some(Ok(names)) = &all_clusters {
        wanted.extend(names.iter().cloned());
    }
    let listed: BTreeMap<String, Result<Vec<Listed>, String>> = stream::iter(wanted)
        .map(|cluster| async move {
            let services = list_tagged_services(clients, &cluster).await;
            (cluster, services)
        })
        .buffer_unordered(READ_CONCURRENCY)
        .collect()
        .await;

    let mut claimed: HashSet<String> = event
        .services
        .iter()
        .map(|r| r.resource_id.clone())
        .collect();
    let mut requests = Vec::new();
    let mut described = HashMap::new();
    let mut outcomes = Vec::with_capacity(event.selectors.len());
    for selector in &event.selectors {
        let mut outcome = SelectorOutcome {
            selector: selector.to_string(),
            clusters: 0,
            matched: 0,
            error: selector.refused.clone(),
        };
        if selector.refused.is_some() {
            outcomes.push(outcome);
            continue;
        }
        let clusters: Vec<String> = match &selector.cluster {
            ClusterScope::Named(name) => vec![name.clone()],
            ClusterScope::All => match all_clusters.as_ref() {
                Some(Ok(names)) => names.clone(),
                Some(Err(reason)) => {
                    outcome.error = Some(format!("listing the region's clusters: {reason}"));
                    outcomes.push(outcome);
                    continue;
                }
                None => Vec::new(),
            },
        };
        let mut errors = Vec::new();
        for cluster in &clusters {
            outcome.clusters += 1;
            match listed.get(cluster) {
                Some(Ok(services)) => {
                    for service in services {
                        let tags = || service.tags.iter().map(|(k, v)| (k.as_str(), v.as_str()));
                        if !selector.tag.matches(tags()) {
                            continue;
                        }
                        let id = resource_id(cluster, &service.name);
                        if !belongs_here(event, &id, cluster, tags()) || !claimed.insert(id.clone())
                        {
                            continue;
                        }
                        outcome.matched += 1;
                        described.insert(id.clone(), service.observed.clone());
                        requests.push(ServiceRequest {
                            resource_id: id,
                            cluster: cluster.clone(),
                            service: service.name.clone(),
                            declared: selector.declared,
                            refused: None,
                            selected_by: Some(selector.to_string()),
                            wave: selector.wave,
                        });
                    }
                }
                Some(Err(reason)) => errors.push(format!("cluster {cluster}: {reason}")),
                None => {}
            }
        }
        if !errors.is_empty() {
            outcome.error = Some(errors.join("; "));
        }
        outcomes.push(outcome);
    }
    (requests, outcomes, described)
}

/// Whether a service a selector of `event` matched follows `event`'s schedule: it is not
/// configured explicitly (under any schedule), and the first selector of the stack that
/// matches it is one of this schedule's. Without an allow-list (a hand-made event run
/// locally) every match belongs here.
fn belongs_here<'a>(
    event: &ScalingEvent,
    id: &str,
    cluster: &str,
    tags: impl Iterator<Item = (&'a str, &'a str)> + Clone,
) -> bool {
    let explicit = event.ownership.explicit.get(id);
    match owner(explicit, &event.ownership.selectors, cluster, tags) {
        // Explicit entries of this event were claimed before any selector ran.
        Some(Owner::Entry(_)) => false,
        Some(Owner::Selector(first)) => first.schedule == event.schedule,
        None => true,
    }
}

/// Every cluster name of the region.
async fn list_clusters(clients: &Clients) -> Result<Vec<String>, String> {
    let mut names = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let page = clients
            .ecs
            .list_clusters()
            .max_results(LIST_PAGE)
            .set_next_token(token.clone())
            .send()
            .await
            .map_err(|e| describe_error(&e))?;
        names.extend(page.cluster_arns().iter().map(|arn| last_segment(arn)));
        match page.next_token() {
            Some(next) if !next.is_empty() && Some(next) != token.as_deref() => {
                token = Some(next.to_string());
            }
            _ => return Ok(names),
        }
    }
    Err(format!("ListClusters returned more than {MAX_PAGES} pages"))
}

/// Every active service of `cluster`, with its tags.
async fn list_tagged_services(clients: &Clients, cluster: &str) -> Result<Vec<Listed>, String> {
    let mut names = Vec::new();
    let mut token: Option<String> = None;
    let mut pages = 0;
    loop {
        pages += 1;
        if pages > MAX_PAGES {
            return Err(format!("ListServices returned more than {MAX_PAGES} pages"));
        }
        let page = clients
            .ecs
            .list_services()
            .cluster(cluster)
            .max_results(LIST_PAGE)
            .set_next_token(token.clone())
            .send()
            .await
            .map_err(|e| match e.as_service_error() {
                Some(s) if s.is_cluster_not_found_exception() => {
                    "the cluster does not exist in this account and region".to_string()
                }
                _ => describe_error(&e),
            })?;
        names.extend(page.service_arns().iter().map(|arn| last_segment(arn)));
        match page.next_token() {
            Some(next) if !next.is_empty() && Some(next) != token.as_deref() => {
                token = Some(next.to_string());
            }
            _ => break,
        }
    }
    let batches: Vec<Vec<String>> = names
        .chunks(DESCRIBE_BATCH)
        .map(<[String]>::to_vec)
        .collect();
    let described: Vec<Result<Vec<Listed>, String>> = stream::iter(batches)
        .map(|batch| describe_batch(clients, cluster, batch))
        .buffered(READ_CONCURRENCY)
        .collect()
        .await;
    let mut services = Vec::with_capacity(names.len());
    for batch in described {
        services.extend(batch?);
    }
    Ok(services)
}

async fn describe_batch(
    clients: &Clients,
    cluster: &str,
    names: Vec<String>,
) -> Result<Vec<Listed>, String> {
    let output = clients
        .ecs
        .describe_services()
        .cluster(cluster)
        .set_services(Some(names))
        .include(aws_sdk_ecs::types::ServiceField::Tags)
        .send()
        .await
        .map_err(|e| describe_error(&e))?;
    Ok(output
        .services()
        .iter()
        // ECS keeps deleted services visible as INACTIVE for a while.
        .filter(|s| s.status() != Some("INACTIVE"))
        .filter_map(|s| {
            let name = s.service_name()?;
            Some(Listed {
                name: name.to_string(),
                observed: observed_from(s, cluster, name),
                tags: s
                    .tags()
                    .iter()
                    .filter_map(|t| Some((t.key()?.to_string(), t.value()?.to_string())))
                    .collect(),
            })
        })
        .collect())
}

/// The name at the end of an ECS ARN (`.../cluster/name` or `.../service/cluster/name`).
fn last_segment(arn: &str) -> String {
    arn.rsplit('/').next().unwrap_or(arn).to_string()
}
