//! The capacity stage of a run in waves ("wave -1"): reads the event's `[[capacity]]` Auto
//! Scaling groups, applies `groups`' plan to each (the tag first, then the size, so a step
//! stopped between the two and retried remembers the same size) and, in the morning, counts
//! each cluster's ACTIVE container instances. Level-triggered like a wave of services: a
//! repeated step writes only what is still missing.

use std::collections::BTreeMap;

use aws_sdk_autoscaling::types::{AutoScalingGroup, Tag};
use aws_sdk_ecs::types::ContainerInstanceStatus;
use serde::Serialize;
use tracing::{info, warn};

use chrono::{DateTime, Utc};

use crate::clients::{describe_error, Clients};
use crate::event::{Action, CapacityTarget, ScalingEvent};
use crate::groups::{
    instances_check, plan_morning, plan_night, plan_release, size_after, GroupPlan, GroupSize,
};
use crate::report::Outcome;
use crate::run::select_and_observe;
use crate::tags::CAPACITY_TAG;
use crate::waves::Check;

/// The tag's resource type in the Auto Scaling API.
const GROUP_RESOURCE_TYPE: &str = "auto-scaling-group";

/// What a step did to one group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupOutcome {
    pub autoscaling_group: String,
    pub cluster: String,
    /// Changed, unchanged, would-change (dry run) or failed.
    pub outcome: Outcome,
    pub before: Option<GroupSize>,
    pub after: Option<GroupSize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Runs the capacity stage of `event` (scale-in or scale-out): each group converged, then
/// judged. A group that cannot be read or changed fails alone (the run ends failed); in the
/// morning each cluster is pending until it has as many ACTIVE container instances as its
/// groups' desired capacity.
pub async fn run_capacity(
    clients: &Clients,
    event: &ScalingEvent,
    now: DateTime<Utc>,
) -> (Vec<GroupOutcome>, Vec<(String, Check)>) {
    let skip_date = crate::planner::Context::of(event, now).skip_date;
    // At night: the event's services (those its selectors select now too) that still want or
    // run tasks, by cluster.
    let running = if event.action == Action::ScaleIn {
        Box::pin(running_services(clients, event)).await
    } else {
        BTreeMap::new()
    };
    let mut outcomes = Vec::new();
    let mut checks = Vec::new();
    let found = match describe(clients, &event.capacity).await {
        Ok(found) => found,
        Err(reason) => {
            for target in &event.capacity {
                let outcome = failed(target, None, reason.clone());
                checks.push((group_id(target), Check::Failed(reason.clone())));
                outcomes.push(outcome);
            }
            log(&outcomes);
            return (outcomes, checks);
        }
    };
    // The desired capacity each cluster waits for, in the morning.
    let mut wanted: BTreeMap<&str, i32> = BTreeMap::new();
    for target in &event.capacity {
        let Some(group) = found.get(&target.autoscaling_group) else {
            let reason = format!(
                "the Auto Scaling group {} does not exist in this account and region: create \
                 it, or remove its [[capacity]] entry and deploy",
                target.autoscaling_group
            );
            checks.push((group_id(target), Check::Failed(reason.clone())));
            outcomes.push(failed(target, None, reason));
            continue;
        };
        let current = size_of(group);
        let plan = match event.action {
            Action::ScaleIn => plan_night(
                current,
                running.get(&target.cluster).map_or(&[][..], Vec::as_slice),
            ),
            _ => plan_morning(current, remembered(group), skip_date),
        };
        let outcome = apply(clients, event, target, current, &plan).await;
        let check = match outcome.outcome {
            Outcome::Failed => Check::Failed(outcome.reason.clone().unwrap_or_default()),
            Outcome::WouldChange => Check::Ignored,
            _ => Check::Ready,
        };
        if event.action == Action::ScaleOut && outcome.outcome != Outcome::Failed && !event.dry_run
        {
            *wanted.entry(target.cluster.as_str()).or_default() +=
                size_after(current, &plan).desired;
        }
        checks.push((group_id(target), check));
        outcomes.push(outcome);
    }
    for (cluster, wanted) in wanted {
        let id = format!("cluster {cluster}");
        let check = match active_instances(clients, cluster).await {
            Ok(active) => instances_check(cluster, wanted, active),
            Err(reason) => Check::Failed(reason),
        };
        checks.push((id, check));
    }
    log(&outcomes);
    (outcomes, checks)
}

/// The event's services that want or run tasks, by cluster (what ECS says now).
async fn running_services(
    clients: &Clients,
    event: &ScalingEvent,
) -> BTreeMap<String, Vec<String>> {
    let selected = select_and_observe(clients, event).await;
    let mut running: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for request in &selected.event.services {
        let Some(seen) = selected.observed.get(&request.resource_id) else {
            continue;
        };
        if seen.exists
            && (seen.desired_count.unwrap_or(0) > 0 || seen.running_count.unwrap_or(0) > 0)
        {
            running
                .entry(request.cluster.clone())
                .or_default()
                .push(request.resource_id.clone());
        }
    }
    running
}

/// What a teardown did to the `[[capacity]]` groups.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct GroupRelease {
    /// Given their remembered size back.
    pub restored: Vec<String>,
    /// Their `worktime:capacity` tag removed.
    pub untagged: Vec<String>,
    /// What could not be given back, each with why (the group keeps its tag then).
    pub problems: Vec<String>,
}

/// Gives the groups worktime left at 0/0/0 their remembered size back and takes the
/// `worktime:capacity` tag off each group that has one (see [`plan_release`]). Run by
/// teardown once the stack's triggers are gone; safe to run again.
pub async fn release_groups(clients: &Clients, targets: &[CapacityTarget]) -> GroupRelease {
    let mut release = GroupRelease::default();
    if targets.is_empty() {
        return release;
    }
    let found = match describe(clients, targets).await {
        Ok(found) => found,
        Err(reason) => {
            release
                .problems
                .extend(targets.iter().map(|t| format!("{}: {reason}", group_id(t))));
            return release;
        }
    };
    for target in targets {
        let name = &target.autoscaling_group;
        // A group that is gone has nothing to give back.
        let Some(group) = found.get(name) else {
            continue;
        };
        let plan = plan_release(size_of(group), remembered(group));
        if let Some(problem) = plan.problem {
            release
                .problems
                .push(format!("{}: {problem}", group_id(target)));
            continue;
        }
        if let Some(size) = plan.restore {
            if let Err(reason) = set_size(clients, name, size).await {
                release
                    .problems
                    .push(format!("{}: {reason}", group_id(target)));
                continue;
            }
            release.restored.push(name.clone());
        }
        if plan.untag {
            match forget_size(clients, name).await {
                Ok(()) => release.untagged.push(name.clone()),
                Err(reason) => release
                    .problems
                    .push(format!("{}: {reason}", group_id(target))),
            }
        }
    }
    release
}

/// Removes the group's `worktime:capacity` tag.
async fn forget_size(clients: &Clients, group: &str) -> Result<(), String> {
    let tag = Tag::builder()
        .resource_id(group)
        .resource_type(GROUP_RESOURCE_TYPE)
        .key(CAPACITY_TAG)
        .build();
    clients
        .groups
        .delete_tags()
        .tags(tag)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| format!("DeleteTags {CAPACITY_TAG} failed: {}", describe_error(&e)))
}

/// How a group is named in a wave's reasons.
fn group_id(target: &CapacityTarget) -> String {
    format!("autoscaling group {}", target.autoscaling_group)
}

fn failed(target: &CapacityTarget, before: Option<GroupSize>, reason: String) -> GroupOutcome {
    GroupOutcome {
        autoscaling_group: target.autoscaling_group.clone(),
        cluster: target.cluster.clone(),
        outcome: Outcome::Failed,
        before,
        after: before,
        reason: Some(reason),
    }
}

/// The event's groups that exist, by name.
async fn describe(
    clients: &Clients,
    targets: &[CapacityTarget],
) -> Result<BTreeMap<String, AutoScalingGroup>, String> {
    let mut found = BTreeMap::new();
    // DescribeAutoScalingGroups takes at most 100 names, the most an event carries.
    let names: Vec<String> = targets
        .iter()
        .map(|t| t.autoscaling_group.clone())
        .collect();
    let mut token: Option<String> = None;
    loop {
        let page = clients
            .groups
            .describe_auto_scaling_groups()
            .set_auto_scaling_group_names(Some(names.clone()))
            .set_next_token(token.clone())
            .send()
            .await
            .map_err(|e| format!("DescribeAutoScalingGroups failed: {}", describe_error(&e)))?;
        for group in page.auto_scaling_groups() {
            if let Some(name) = group.auto_scaling_group_name() {
                found.insert(name.to_string(), group.clone());
            }
        }
        match page.next_token() {
            // A repeated token would loop forever: stop at what was read.
            Some(next) if !next.is_empty() && token.as_deref() != Some(next) => {
                token = Some(next.to_string());
            }
            _ => break,
        }
    }
    Ok(found)
}

fn size_of(group: &AutoScalingGroup) -> GroupSize {
    GroupSize {
        min: group.min_size().unwrap_or(0),
        max: group.max_size().unwrap_or(0),
        desired: group.desired_capacity().unwrap_or(0),
    }
}

/// The group's `worktime:capacity` tag, read.
fn remembered(group: &AutoScalingGroup) -> Option<Result<GroupSize, String>> {
    group
        .tags()
        .iter()
        .find(|t| t.key() == Some(CAPACITY_TAG))
        .map(|t| GroupSize::parse(t.value().unwrap_or_default()))
}

async fn apply(
    clients: &Clients,
    event: &ScalingEvent,
    target: &CapacityTarget,
    current: GroupSize,
    plan: &GroupPlan,
) -> GroupOutcome {
    let name = &target.autoscaling_group;
    let done = |outcome: Outcome, after: GroupSize| GroupOutcome {
        autoscaling_group: name.clone(),
        cluster: target.cluster.clone(),
        outcome,
        before: Some(current),
        after: Some(after),
        reason: None,
    };
    match plan {
        GroupPlan::Keep => done(Outcome::Unchanged, current),
        GroupPlan::Leave(reason) => GroupOutcome {
            reason: Some(reason.clone()),
            ..done(Outcome::Unchanged, current)
        },
        GroupPlan::Refuse(reason) => failed(target, Some(current), reason.clone()),
        _ if event.dry_run => done(Outcome::WouldChange, current),
        GroupPlan::ScaleIn { remember } => {
            if let Err(reason) = remember_size(clients, name, *remember).await {
                return failed(target, Some(current), reason);
            }
            match set_size(clients, name, GroupSize::ZERO).await {
                Ok(()) => done(Outcome::Changed, GroupSize::ZERO),
                Err(reason) => failed(target, Some(current), reason),
            }
        }
        GroupPlan::Restore(size) => match set_size(clients, name, *size).await {
            Ok(()) => done(Outcome::Changed, *size),
            Err(reason) => failed(target, Some(current), reason),
        },
    }
}

/// Writes `size` to the group's `worktime:capacity` tag (not propagated to its instances).
async fn remember_size(clients: &Clients, group: &str, size: GroupSize) -> Result<(), String> {
    let tag = Tag::builder()
        .resource_id(group)
        .resource_type(GROUP_RESOURCE_TYPE)
        .key(CAPACITY_TAG)
        .value(size.to_string())
        .propagate_at_launch(false)
        .build();
    clients
        .groups
        .create_or_update_tags()
        .tags(tag)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| {
            format!(
                "CreateOrUpdateTags {CAPACITY_TAG}={size} failed (nothing changed): {}",
                describe_error(&e)
            )
        })
}

/// Sets the group's min, max and desired capacity.
pub async fn set_size(clients: &Clients, group: &str, size: GroupSize) -> Result<(), String> {
    clients
        .groups
        .update_auto_scaling_group()
        .auto_scaling_group_name(group)
        .min_size(size.min)
        .max_size(size.max)
        .desired_capacity(size.desired)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| {
            format!(
                "UpdateAutoScalingGroup to {size} failed: {}",
                describe_error(&e)
            )
        })
}

/// The cluster's ACTIVE container instances (registered by their agents).
async fn active_instances(clients: &Clients, cluster: &str) -> Result<usize, String> {
    let mut count = 0;
    let mut token: Option<String> = None;
    loop {
        let page = clients
            .ecs
            .list_container_instances()
            .cluster(cluster)
            .status(ContainerInstanceStatus::Active)
            .set_next_token(token.clone())
            .send()
            .await
            .map_err(|e| {
                format!(
                    "ListContainerInstances of cluster {cluster} failed: {}",
                    describe_error(&e)
                )
            })?;
        count += page.container_instance_arns().len();
        match page.next_token() {
            Some(next) if !next.is_empty() && token.as_deref() != Some(next) => {
                token = Some(next.to_string());
            }
            _ => break,
        }
    }
    Ok(count)
}

fn log(outcomes: &[GroupOutcome]) {
    let size = |s: Option<GroupSize>| s.map_or_else(|| "-".to_string(), |s| s.to_string());
    for o in outcomes {
        let reason = o.reason.as_deref().unwrap_or("");
        if o.outcome == Outcome::Failed {
            warn!(autoscaling_group = %o.autoscaling_group, cluster = %o.cluster, outcome = %o.outcome,
                  before = %size(o.before), after = %size(o.after), reason, "capacity group");
        } else {
            info!(autoscaling_group = %o.autoscaling_group, cluster = %o.cluster, outcome = %o.outcome,
                  before = %size(o.before), after = %size(o.after), reason, "capacity group");
        }
    }
}
