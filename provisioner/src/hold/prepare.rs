//! The step `worktime hold` and `worktime wake` share before anything is written: the config
//! loaded; every argument checked against it (a service chosen by a tag selector is taken to
//! carry its selector's tag, so that `--until` is checked in a zone up front); every named
//! service read from ECS, its ARN and tags (one that ECS does not know stops the command
//! with nothing written for the others); then the plan made again on the real tags, which
//! decide the schedule that owns a service chosen by a tag selector.

use std::path::Path;

use chrono::{DateTime, Utc};
use worktime_lambda::Clients;

use super::{assume_tagged, managed_services, HoldError, ServiceName, ServiceTags};
use crate::aws::calls::{Call, Cmd::*, On};
use crate::aws::AwsArgs;
use crate::config::{self, StackConfig};
use crate::error::Error;

/// The calls this module makes (the permissions table, `policy::table`).
pub const CALLS: &[Call] = &[
    Call::new(
        "ECS",
        "DescribeServices",
        "ecs:DescribeServices",
        &[Hold, Wake],
        On::Services,
    ),
    Call::new(
        "ECS",
        "DescribeServices",
        "ecs:ListTagsForResource",
        &[Hold, Wake],
        On::Services,
    ),
];

/// A checked plan and what it acts on, as read before anything is written.
pub struct Prepared<P> {
    pub plan: P,
    /// The clients to write with (in the config's region, or `--region`).
    pub clients: Clients,
    /// Each named service's ARN, in argument order, once each (the plan's order).
    pub arns: Vec<String>,
    /// Every named service's tags.
    pub tags: ServiceTags,
    /// The instant the plan was made for.
    pub now: DateTime<Utc>,
}

/// Loads the config at `config_path`, checks the request for the services `args` names
/// (`plan`, on the tags assumed before any call), reads them from ECS and plans the request
/// again on their tags. `plan` is the command's own ([`plan_hold`](super::plan_hold) or
/// [`plan_wake`](super::plan_wake)) with its arguments.
pub async fn prepare<P>(
    config_path: &Path,
    args: &[String],
    aws: &AwsArgs,
    now: DateTime<Utc>,
    plan: impl Fn(&StackConfig, &ServiceTags) -> Result<P, HoldError>,
) -> Result<Prepared<P>, Error> {
    let fleet = config::load(config_path, now)?;
    let config = &fleet.home;
    // Everything typed is checked before any call (services chosen by tag selectors are
    // confirmed from their tags, read before anything is written).
    plan(config, &assume_tagged(config, args))?;
    let names = managed_services(config, args)?;
    let sdk = aws.load(Some(&config.stack.region)).await;
    let region = sdk.region().map_or_else(String::new, |r| r.to_string());
    let clients = crate::aws::clients::function(&sdk);
    let (arns, tags) = service_arns(&clients, &names, &region).await?;
    Ok(Prepared {
        plan: plan(config, &tags)?,
        clients,
        arns,
        tags,
        now,
    })
}

/// ECS `DescribeServices` takes at most 10 services per call.
const ECS_DESCRIBE_BATCH: usize = 10;

/// Each service's ARN, in order, and every service's tags. When ECS does not know some of
/// them (or their cluster), an error naming every one of them: nothing is written for the
/// others either.
async fn service_arns(
    clients: &Clients,
    names: &[ServiceName],
    region: &str,
) -> Result<(Vec<String>, ServiceTags), Error> {
    let mut arns: Vec<Option<String>> = vec![None; names.len()];
    let mut tags = ServiceTags::new();
    let mut clusters: Vec<&str> = Vec::new();
    for name in names {
        if !clusters.contains(&name.cluster.as_str()) {
            clusters.push(&name.cluster);
        }
    }
    for cluster in clusters {
        let indexes: Vec<usize> = (0..names.len())
            .filter(|&i| names[i].cluster == cluster)
            .collect();
        for batch in indexes.chunks(ECS_DESCRIBE_BATCH) {
            let result = clients
                .ecs
                .describe_services()
                .cluster(cluster)
                .set_services(Some(
                    batch.iter().map(|&i| names[i].service.clone()).collect(),
                ))
                .include(aws_sdk_ecs::types::ServiceField::Tags)
                .send()
                .await;
            let output = match result {
                Ok(output) => output,
                Err(error)
                    if error
                        .as_service_error()
                        .is_some_and(|e| e.is_cluster_not_found_exception()) =>
                {
                    continue
                }
                Err(error) => {
                    return Err(Error::aws(
                        format!("reading services of cluster {cluster} (ecs:DescribeServices)"),
                        error,
                    ))
                }
            };
            for service in output.services() {
                // ECS keeps a deleted service visible as INACTIVE for a while.
                if service.status() == Some("INACTIVE") {
                    continue;
                }
                if let Some(&i) = batch
                    .iter()
                    .find(|&&i| service.service_name() == Some(names[i].service.as_str()))
                {
                    arns[i] = service.service_arn().map(str::to_string);
                    tags.insert(
                        names[i].clone(),
                        service
                            .tags()
                            .iter()
                            .filter_map(|t| Some((t.key()?.to_string(), t.value()?.to_string())))
                            .collect(),
                    );
                }
            }
        }
    }
    let missing: Vec<String> = names
        .iter()
        .zip(&arns)
        .filter(|(_, arn)| arn.is_none())
        .map(|(name, _)| name.to_string())
        .collect();
    if !missing.is_empty() {
        return Err(HoldError::NotFound {
            services: missing.join(", "),
            region: region.to_string(),
        }
        .into());
    }
    Ok((arns.into_iter().flatten().collect(), tags))
}
