//! The writes of a plan: per service the memory tag first, then the scalable target, then the
//! desired count, then the removal of a hold that has ended; at most [`WRITE_CONCURRENCY`]
//! services in flight, the SDK's standard retry absorbing throttling. One failing service
//! never stops the others.

use std::collections::HashMap;

use aws_sdk_applicationautoscaling::types::{ScalableDimension, ServiceNamespace};
use aws_sdk_ecs::types::Tag;
use futures::stream::{self, StreamExt};

use crate::clients::{describe_error, Clients};
use crate::memory::Remembered;
use crate::observe::Observed;
use crate::planner::{BoundsWrite, Decision, PlannedService, Writes};
use crate::report::{Outcome, ServiceOutcome};
use crate::tags::{hold_until_value, CAPACITY_TAG, HOLD_UNTIL_TAG};

/// How many services are written at once. Application Auto Scaling's documented request rate
/// for `RegisterScalableTarget` is modest; eight in flight keep 200 services inside a few
/// seconds on AWS without provoking sustained throttling, and the SDK's retry handles bursts.
pub(crate) const WRITE_CONCURRENCY: usize = 8;

/// Executes the plan (or only reports it, on a dry run); outcomes in plan order.
pub(crate) async fn execute(
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
    let mut line = ServiceOutcome {
        resource_id: planned.resource_id.clone(),
        action: planned.action,
        outcome: Outcome::Unchanged,
        before: planned.before,
        after: planned.before,
        desired_before: planned.desired_before,
        desired_after: planned.desired_before,
        remembered: None,
        reason: None,
    };
    // One level of futures only (no helper that awaits `write`): the bootstrap's future is
    // deep enough to reach the compiler's layout depth limit.
    match planned.decision.clone() {
        Decision::Unchanged { reason } => line.end(Outcome::Unchanged, reason),
        Decision::Skipped { reason } => line.end(Outcome::Skipped, reason),
        Decision::Held { reason } => line.end(Outcome::Held, reason),
        Decision::Stale { reason } => line.end(Outcome::Stale, reason),
        Decision::NotReady { reason } => line.end(Outcome::NotReady, reason),
        Decision::NotStopped { reason } => line.end(Outcome::NotStopped, reason),
        Decision::Fail { reason } => line.end(Outcome::Failed, reason),
        Decision::Apply { writes, note, .. } if dry_run => {
            line.reason = note;
            line.outcome = Outcome::WouldChange;
            line.remembered = writes.remember.or(writes.mark_restored);
            apply_to_line(&mut line, &writes);
        }
        Decision::Apply {
            writes,
            note,
            drift,
        } => {
            line.reason = note;
            match write(
                clients,
                &planned,
                service_arn.as_deref(),
                &writes,
                &mut line,
            )
            .await
            {
                Ok(()) if drift => line.outcome = Outcome::Drift,
                Ok(()) => line.outcome = Outcome::Changed,
                Err(reason) => {
                    line.outcome = Outcome::Failed;
                    line.reason = Some(match line.reason.take() {
                        Some(note) => format!("{reason} ({note})"),
                        None => reason,
                    });
                }
            }
        }
    }
    if let (Some(until), false) = (planned.remove_expired_hold, dry_run) {
        // The scaling stands whatever happens here: a tag left behind is ignored (it has
        // ended) and removed again by the next run.
        let ended = hold_until_value(until);
        line.add_reason(
            match remove_hold_tag(clients, service_arn.as_deref()).await {
                Ok(()) => format!("the hold until {ended} had ended: {HOLD_UNTIL_TAG} removed"),
                Err(reason) => format!(
                    "the hold until {ended} had ended (ignored), but removing {HOLD_UNTIL_TAG} \
                 failed: {reason}"
                ),
            },
        );
    }
    line
}

async fn remove_hold_tag(clients: &Clients, service_arn: Option<&str>) -> Result<(), String> {
    let arn = service_arn.ok_or("the service has no ARN to untag")?;
    write_hold_tag(clients, arn, None).await
}

/// Sets a service's `worktime:hold-until` to `value`, or removes it (`None`): the function
/// removes a hold that has ended, the CLI's `hold` and `wake` write and take back holds.
/// `Err`: the service's error.
pub async fn write_hold_tag(
    clients: &Clients,
    arn: &str,
    value: Option<&str>,
) -> Result<(), String> {
    match value {
        Some(value) => clients
            .ecs
            .tag_resource()
            .resource_arn(arn)
            .tags(Tag::builder().key(HOLD_UNTIL_TAG).value(value).build())
            .send()
            .await
            .map(|_| ())
            .map_err(|error| describe_error(&error)),
        None => clients
            .ecs
            .untag_resource()
            .resource_arn(arn)
            .tag_keys(HOLD_UNTIL_TAG)
            .send()
            .await
            .map(|_| ())
            .map_err(|error| describe_error(&error)),
    }
}

impl ServiceOutcome {
    fn end(&mut self, outcome: Outcome, reason: String) {
        self.outcome = outcome;
        self.reason = Some(reason);
    }

    /// Adds `text` to the reason.
    fn add_reason(&mut self, text: String) {
        self.reason = Some(match self.reason.take() {
            Some(reason) => format!("{reason}; {text}"),
            None => text,
        });
    }
}

/// The state the writes lead to, for a dry run's report.
fn apply_to_line(line: &mut ServiceOutcome, writes: &Writes) {
    match writes.bounds {
        Some(BoundsWrite::Register(bounds)) => line.after = Some(bounds),
        Some(BoundsWrite::Deregister) => line.after = None,
        None => {}
    }
    if let Some(desired) = writes.desired {
        line.desired_after = Some(desired);
    }
}

/// The writes, in order; `line` follows what has been done, so a failure half-way reports
/// the state the service was left in.
async fn write(
    clients: &Clients,
    planned: &PlannedService,
    service_arn: Option<&str>,
    writes: &Writes,
    line: &mut ServiceOutcome,
) -> Result<(), String> {
    // Remember first: if tagging fails the service keeps running, rather than going to zero
    // with nothing to come back to.
    if let Some(memory) = writes.remember {
        tag_memory(clients, service_arn, memory).await?;
        line.remembered = Some(memory);
    }
    match writes.bounds {
        Some(BoundsWrite::Register(bounds)) => {
            clients
                .autoscaling
                .register_scalable_target()
                .service_namespace(ServiceNamespace::Ecs)
                .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
                .resource_id(&planned.resource_id)
                .min_capacity(bounds.min)
                .max_capacity(bounds.max)
                .send()
                .await
                .map_err(|error| {
                    format!(
                        "RegisterScalableTarget {bounds} failed: {}",
                        describe_error(&error)
                    )
                })?;
            line.after = Some(bounds);
        }
        Some(BoundsWrite::Deregister) => {
            clients
                .autoscaling
                .deregister_scalable_target()
                .service_namespace(ServiceNamespace::Ecs)
                .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
                .resource_id(&planned.resource_id)
                .send()
                .await
                .map_err(|error| {
                    format!(
                        "DeregisterScalableTarget failed: {}",
                        describe_error(&error)
                    )
                })?;
            line.after = None;
        }
        None => {}
    }
    if let Some(desired) = writes.desired {
        clients
            .ecs
            .update_service()
            .cluster(&planned.cluster)
            .service(&planned.service)
            .desired_count(desired)
            .send()
            .await
            .map_err(|error| {
                format!(
                    "UpdateService desired count {desired} failed: {}",
                    describe_error(&error)
                )
            })?;
        line.desired_after = Some(desired);
    }
    // Marked restored last: until this write the capacity stays owed, so a retry of a run
    // that stopped half-way finishes the job.
    if let Some(memory) = writes.mark_restored {
        tag_memory(clients, service_arn, memory).await?;
        line.remembered = Some(memory);
    }
    Ok(())
}

/// Writes the `worktime:capacity` tag.
async fn tag_memory(
    clients: &Clients,
    service_arn: Option<&str>,
    memory: Remembered,
) -> Result<(), String> {
    let arn = service_arn.ok_or("the service has no ARN to tag")?;
    clients
        .ecs
        .tag_resource()
        .resource_arn(arn)
        .tags(
            Tag::builder()
                .key(CAPACITY_TAG)
                .value(memory.to_string())
                .build(),
        )
        .send()
        .await
        .map(|_| ())
        .map_err(|error| {
            format!(
                "could not remember {memory} (tag {CAPACITY_TAG}): {}",
                describe_error(&error)
            )
        })
}
