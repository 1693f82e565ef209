//! The ECS reads behind a report's service lines: `DescribeServices` (10 per call, per
//! cluster) for how each service's tasks are placed and which task definition it runs, then
//! `DescribeTaskDefinition` once per task definition in use (8 in flight) for the task's size
//! and platform. (Desired count and the remembered capacity come from the function's own
//! `observe`, as for every other command.)

use std::collections::{BTreeSet, HashMap};

use futures::stream::{self, StreamExt};
use worktime_lambda::{describe_error, ServiceRequest};

use super::workload::{Launch, TaskSize};
use crate::aws::calls::{Call, Cmd::*, On};

/// The calls this module makes (the permissions table, `policy::table`).
pub const CALLS: &[Call] = &[Call::new(
    "ECS",
    "DescribeTaskDefinition",
    "ecs:DescribeTaskDefinition",
    &[Report],
    On::Any,
)
.note("ecs:DescribeTaskDefinition has no resource type")];

/// ECS `DescribeServices` accepts at most 10 services per call.
const DESCRIBE_BATCH: usize = 10;
/// Task definitions described at once.
const IN_FLIGHT: usize = 8;

/// What ECS says of one service, for the report.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ServiceFacts {
    /// `None`: not read (not found, or the read failed).
    pub launch: Option<Launch>,
    pub task_definition: Option<String>,
    /// `None`: no task definition, or it could not be read (see `error`).
    pub size: Option<TaskSize>,
    /// A read that failed, naming the call.
    pub error: Option<String>,
}

/// Reads every service of `requests` (refused ones are skipped), keyed by resource id. A
/// service ECS does not know is absent.
pub async fn read(
    ecs: &aws_sdk_ecs::Client,
    requests: &[ServiceRequest],
) -> HashMap<String, ServiceFacts> {
    let mut facts: HashMap<String, ServiceFacts> = HashMap::new();
    let mut by_cluster: Vec<(&str, Vec<&ServiceRequest>)> = Vec::new();
    for request in requests.iter().filter(|r| r.refused.is_none()) {
        match by_cluster.iter_mut().find(|(c, _)| *c == request.cluster) {
            Some((_, list)) => list.push(request),
            None => by_cluster.push((&request.cluster, vec![request])),
        }
    }
    for (cluster, requests) in &by_cluster {
        for batch in requests.chunks(DESCRIBE_BATCH) {
            let names: Vec<String> = batch.iter().map(|r| r.service.clone()).collect();
            let answer = ecs
                .describe_services()
                .cluster(*cluster)
                .set_services(Some(names))
                .send()
                .await;
            match answer {
                Ok(output) => {
                    for service in output.services() {
                        // ECS keeps deleted services visible as INACTIVE for a while.
                        if service.status() == Some("INACTIVE") {
                            continue;
                        }
                        let Some(request) = batch
                            .iter()
                            .find(|r| Some(r.service.as_str()) == service.service_name())
                        else {
                            continue;
                        };
                        let providers: Vec<&str> = service
                            .capacity_provider_strategy()
                            .iter()
                            .map(|item| item.capacity_provider())
                            .collect();
                        facts.insert(
                            request.resource_id.clone(),
                            ServiceFacts {
                                launch: Some(Launch::classify(
                                    service.launch_type().map(|l| l.as_str()),
                                    &providers,
                                )),
                                task_definition: service.task_definition().map(str::to_string),
                                ..ServiceFacts::default()
                            },
                        );
                    }
                }
                Err(error) => {
                    let not_found = error
                        .as_service_error()
                        .is_some_and(|e| e.is_cluster_not_found_exception());
                    if !not_found {
                        let message = format!("ecs:DescribeServices: {}", describe_error(&error));
                        for request in batch {
                            facts.insert(
                                request.resource_id.clone(),
                                ServiceFacts {
                                    error: Some(message.clone()),
                                    ..ServiceFacts::default()
                                },
                            );
                        }
                    }
                }
            }
        }
    }

    let definitions: BTreeSet<String> = facts
        .values()
        .filter_map(|f| f.task_definition.clone())
        .collect();
    let sizes: HashMap<String, Result<TaskSize, String>> = stream::iter(definitions)
        .map(|arn| async move {
            let size = describe_task_definition(ecs, &arn).await;
            (arn, size)
        })
        .buffer_unordered(IN_FLIGHT)
        .collect()
        .await;
    for service in facts.values_mut() {
        let Some(arn) = &service.task_definition else {
            continue;
        };
        match sizes.get(arn) {
            Some(Ok(size)) => service.size = Some(*size),
            Some(Err(error)) => service.error = Some(error.clone()),
            None => {}
        }
    }
    facts
}

async fn describe_task_definition(
    ecs: &aws_sdk_ecs::Client,
    arn: &str,
) -> Result<TaskSize, String> {
    let output = ecs
        .describe_task_definition()
        .task_definition(arn)
        .send()
        .await
        .map_err(|e| format!("ecs:DescribeTaskDefinition {arn}: {}", describe_error(&e)))?;
    let definition = output.task_definition().ok_or_else(|| {
        format!("ecs:DescribeTaskDefinition {arn}: no task definition in the answer")
    })?;
    let platform = definition.runtime_platform();
    Ok(TaskSize::read(
        definition.cpu(),
        definition.memory(),
        platform
            .and_then(|p| p.cpu_architecture())
            .map(|a| a.as_str()),
        platform
            .and_then(|p| p.operating_system_family())
            .map(|o| o.as_str()),
    ))
}
