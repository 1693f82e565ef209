//! `teardown --all-accounts --engine stacksets`: the instances, then the services they
//! scaled in given back, then the stack set, the code statement, and the buckets once empty.

use std::time::Instant;

use aws_sdk_cloudformation::types::DeploymentTargets;
use serde::Serialize;
use worktime_lambda::ScalingEvent;

use super::api::{describe_stack_set, list_instances, operation_id, preferences, wait, Deployed};
use super::code::{administrator, regions_of, s3_in, statement_id};
use super::report::{detail, row, seconds};
use super::{settings, STACK_SET_ROW};
use crate::aws::calls::{Call, Cmd::*, Narrow, On};
use crate::aws::target::TargetError;
use crate::aws::AwsArgs;
use crate::config::{Fleet, StackSetPermissions};
use crate::deploy::artifact::stack_set_prefix;
use crate::deploy::bucket;
use crate::deploy::bucket_policy::set_statement;
use crate::deploy::lifecycle;
use crate::deploy::stack::StackError;
use crate::error::{Error, Result};
use crate::fleet::results::{TargetOutcome, TargetResult};
use crate::fleet::targets::{self, Selection, Target};
use crate::fleet::FleetError;
use crate::progress::Progress;
use crate::template;

/// The calls this module makes (the permissions table, `policy::table`).
pub const CALLS: &[Call] = &[
    Call::new(
        "CloudFormation",
        "DeleteStackInstances",
        "cloudformation:DeleteStackInstances",
        &[Teardown],
        On::StackSet,
    ),
    Call::new(
        "S3",
        "HeadBucket",
        "s3:ListBucket",
        &[Teardown],
        On::ArtifactBucket,
    ),
    Call::new(
        "CloudFormation",
        "DeleteStackSet",
        "cloudformation:DeleteStackSet",
        &[Teardown],
        On::StackSet,
    )
    .narrow(Narrow::StackTag),
];

/// `worktime teardown --all-accounts --engine stacksets`: deletes the instances (their
/// stacks too), gives back the services they scaled in, then deletes the stack set and the
/// administrator's code buckets of those regions.
/// With --accounts / --regions only those instances go, and the stack set stays while any
/// instance is left.
pub async fn teardown(
    aws: &AwsArgs,
    base: &aws_config::SdkConfig,
    config: &Fleet,
    selection: &Selection,
    restore: bool,
) -> Result<Vec<TargetResult>> {
    let settings = settings(config)?;
    let permissions = &settings.permissions;
    match permissions {
        // Unknown ids or regions in the filters are a usage error, as for rollout.
        StackSetPermissions::SelfManaged { .. } if !config.accounts.is_empty() => {
            targets::targets(config, selection)?;
        }
        StackSetPermissions::ServiceManaged { .. } if selection.accounts.is_some() => {
            return Err(FleetError::AccountsForServiceManagedTeardown.into());
        }
        _ => {}
    }
    let progress = Progress::prefixed("[stack set] ");
    let name = config.home.stack.name.as_str();
    let session = administrator(aws, base).await?;
    let admin = session.account.clone();
    let home = session.region.clone();
    let existing = describe_stack_set(&session.cfn, name).await?;
    let deployed = match &existing {
        Some(_) => list_instances(&session.cfn, name, false).await?,
        None => Vec::new(),
    };
    let chosen = |d: &Deployed| {
        selection
            .accounts
            .as_ref()
            .is_none_or(|a| a.contains(&d.account))
            && selection
                .regions
                .as_ref()
                .is_none_or(|r| r.contains(&d.region))
    };
    let selected: Vec<Deployed> = deployed.iter().filter(|d| chosen(d)).cloned().collect();
    let order = config.stackset_regions();
    let ordered = |regions: &mut Vec<String>| {
        regions.sort_by_key(|r| order.iter().position(|o| o == r).unwrap_or(usize::MAX));
    };

    // What the give-back will run, made before anything is touched: a target whose config
    // cannot make its events stops the teardown here.
    let give_back_plan = if restore && !selected.is_empty() {
        plan_give_back(config, selection, &selected, &progress)?
    } else {
        Vec::new()
    };

    // ---------------------------------------------------------------- instances
    let mut errors: Vec<(String, String, String)> = Vec::new(); // (account or "*", region, reason)
    let started = Instant::now();
    if !selected.is_empty() {
        // Accounts with the same regions go in one operation; no pair without an instance.
        let mut groups: Vec<(Vec<String>, Vec<String>)> = Vec::new();
        match permissions {
            StackSetPermissions::SelfManaged { .. } => {
                let mut accounts: Vec<String> = Vec::new();
                for d in &selected {
                    if !accounts.contains(&d.account) {
                        accounts.push(d.account.clone());
                    }
                }
                for account in accounts {
                    let mut regions: Vec<String> = selected
                        .iter()
                        .filter(|d| d.account == account)
                        .map(|d| d.region.clone())
                        .collect();
                    ordered(&mut regions);
                    match groups.iter_mut().find(|(_, r)| *r == regions) {
                        Some((accounts, _)) => accounts.push(account),
                        None => groups.push((vec![account], regions)),
                    }
                }
            }
            StackSetPermissions::ServiceManaged { .. } => {
                let mut regions = regions_of(selected.iter().map(|d| d.region.as_str()));
                ordered(&mut regions);
                groups.push((Vec::new(), regions));
            }
        }
        for (accounts, regions) in groups {
            let label = if accounts.is_empty() {
                format!("every instance in {}", regions.join(", "))
            } else {
                format!("{} in {}", accounts.join(", "), regions.join(", "))
            };
            progress.step(format!("deleting stack instances: {label}"));
            let id = operation_id("delete");
            let mut delete = session
                .cfn
                .delete_stack_instances()
                .stack_set_name(name)
                .set_regions(Some(regions.clone()))
                .retain_stacks(false)
                .operation_preferences(preferences(selection, &regions))
                .operation_id(&id);
            delete = match permissions {
                StackSetPermissions::SelfManaged { .. } => {
                    delete.set_accounts(Some(accounts.clone()))
                }
                StackSetPermissions::ServiceManaged {
                    organizational_units,
                    ..
                } => delete.deployment_targets(
                    DeploymentTargets::builder()
                        .set_organizational_unit_ids(Some(organizational_units.clone()))
                        .build(),
                ),
            };
            let outcome = match delete.send().await {
                Ok(out) => {
                    let id = out.operation_id().unwrap_or(&id).to_string();
                    wait(&session.cfn, name, &id, &progress, session.poll)
                        .await
                        .unwrap_or_else(|e| Some(e.to_string()))
                }
                Err(e) => {
                    Some(Error::aws(format!("deleting stack instances ({label})"), e).to_string())
                }
            };
            if let Some(reason) = outcome {
                progress.warn(format!("deleting {label}: {reason}"));
                for region in &regions {
                    if accounts.is_empty() {
                        errors.push(("*".into(), region.clone(), reason.clone()));
                    }
                    for account in &accounts {
                        errors.push((account.clone(), region.clone(), reason.clone()));
                    }
                }
            } else {
                progress.line(format!("deleted stack instances: {label}"));
            }
        }
    }
    // ---------------------------------------------------------------- then the services
    // Once the instances (their triggers and functions) are gone, so that no scale-in takes
    // a service down again after it was given back; and also where an instance could not be
    // deleted: giving back is never worse than leaving the services down (see
    // `lifecycle::teardown`).
    let not_given_back = give_back(aws, base, give_back_plan, &progress).await;
    let remaining = match &existing {
        Some(_) => list_instances(&session.cfn, name, false).await?,
        None => Vec::new(),
    };
    let took = seconds(started.elapsed());
    let mut instance_rows = Vec::new();
    for d in &selected {
        let left = remaining
            .iter()
            .find(|r| r.account == d.account && r.region == d.region);
        let mut r = row(&d.account, &d.region, TargetOutcome::Deleted);
        r.duration_seconds = took;
        if let Some(left) = left {
            r.result = TargetOutcome::Failed;
            let reason = errors
                .iter()
                .find(|(a, g, _)| (a == &d.account || a == "*") && g == &d.region)
                .map(|(_, _, reason)| reason.clone());
            r.error = Some(format!(
                "the stack instance is still there ({}){}",
                left.status,
                reason.map(|r| format!(": {r}")).unwrap_or_default()
            ));
        }
        if let Some((_, problem)) = not_given_back.iter().find(|(target, _)| {
            target.account_id.as_deref() == Some(&d.account) && target.region == d.region
        }) {
            r.result = TargetOutcome::Failed;
            r.error = Some(match r.error.take() {
                Some(error) => format!("{error}; {problem}"),
                None => problem.clone(),
            });
        }
        instance_rows.push(r);
    }
    if selected.is_empty() {
        // Nothing deployed: each target says so.
        match permissions {
            StackSetPermissions::SelfManaged { .. } if !config.accounts.is_empty() => {
                for target in targets::targets(config, selection)? {
                    instance_rows.push(row(
                        target.account_id.as_deref().unwrap_or("caller"),
                        &target.region,
                        TargetOutcome::Absent,
                    ));
                }
            }
            StackSetPermissions::ServiceManaged {
                organizational_units,
                ..
            } => {
                for region in &order {
                    if selection
                        .regions
                        .as_ref()
                        .is_none_or(|r| r.contains(region))
                    {
                        instance_rows.push(row(
                            &organizational_units.join(","),
                            region,
                            TargetOutcome::Absent,
                        ));
                    }
                }
            }
            _ => {}
        }
    }

    // ---------------------------------------------------------------- the stack set and the code
    let mut set_row = row(STACK_SET_ROW, &home, TargetOutcome::Absent);
    let mut set_detail = TeardownDetail {
        stack_set: name,
        administrator: &admin,
        ..TeardownDetail::default()
    };
    let filtered = selection.accounts.is_some() || selection.regions.is_some();
    if filtered && !remaining.is_empty() {
        set_row.result = TargetOutcome::Kept;
        set_detail.kept_because = Some(format!(
            "{} instance(s) outside --accounts/--regions remain",
            remaining.len()
        ));
        progress.line(format!(
            "stack set {name} kept: {} instance(s) remain outside the selection",
            remaining.len()
        ));
    } else if !remaining.is_empty() {
        set_row.result = TargetOutcome::Failed;
        set_row.error = Some(format!(
            "stack set {name} still has {} instance(s): not deleted (see the failed rows)",
            remaining.len()
        ));
    } else {
        let set_outcome: Result<bool> = async {
            if existing.is_none() {
                progress.line(format!(
                    "no stack set {name} in account {admin} region {home}"
                ));
                return Ok(false);
            }
            progress.step(format!("deleting stack set {name}"));
            session
                .cfn
                .delete_stack_set()
                .stack_set_name(name)
                .send()
                .await
                .map_err(|e| Error::aws(format!("deleting stack set {name}"), e))?;
            if describe_stack_set(&session.cfn, name).await?.is_some() {
                return Err(StackError::StackSetNotDeleted {
                    name: name.to_string(),
                }
                .into());
            }
            progress.line(format!("deleted stack set {name}"));
            Ok(true)
        }
        .await;
        let code_regions = {
            let mut regions = order.clone();
            for d in &deployed {
                if !regions.contains(&d.region) {
                    regions.push(d.region.clone());
                }
            }
            regions
        };
        let code_outcome: Result<(Vec<String>, Vec<String>, usize)> = async {
            let (mut deleted, mut kept, mut objects) = (Vec::new(), Vec::new(), 0);
            for region in &code_regions {
                let s3 = s3_in(&session, region, aws.custom_endpoint());
                let bucket = bucket::bucket_name(&admin, region);
                let present = s3
                    .head_bucket()
                    .bucket(&bucket)
                    .expected_bucket_owner(&admin)
                    .send()
                    .await
                    .is_ok();
                if !present {
                    continue;
                }
                let partition = template::partition(region);
                set_statement(&s3, &bucket, &admin, partition, &statement_id(name), None).await?;
                let (count, gone) =
                    bucket::empty_and_delete(&s3, &bucket, &admin, &stack_set_prefix(name)).await?;
                objects += count;
                if gone {
                    progress.line(format!("deleted artifact bucket {bucket}"));
                    deleted.push(bucket);
                } else {
                    progress.line(format!(
                        "bucket {bucket} still holds other stacks' artifacts: kept"
                    ));
                    kept.push(bucket);
                }
            }
            Ok((deleted, kept, objects))
        }
        .await;
        match (set_outcome, code_outcome) {
            (Ok(deleted), Ok((buckets_deleted, buckets_kept, objects))) => {
                set_row.result = if deleted {
                    TargetOutcome::Deleted
                } else {
                    TargetOutcome::Absent
                };
                set_detail.buckets_deleted = Some(buckets_deleted);
                set_detail.buckets_kept = Some(buckets_kept);
                set_detail.artifact_versions_deleted = Some(objects);
            }
            (Err(e), _) | (_, Err(e)) => {
                set_row.result = TargetOutcome::Failed;
                set_row.error = Some(e.to_string());
            }
        }
    }
    set_row.duration_seconds = seconds(started.elapsed());
    set_row.detail = detail(&set_detail);
    let mut rows = vec![set_row];
    rows.extend(instance_rows);
    Ok(rows)
}

/// The `stack-set` row's detail after a teardown (`--output json`).
#[derive(Debug, Default, Serialize)]
struct TeardownDetail<'a> {
    stack_set: &'a str,
    administrator: &'a str,
    /// Why the stack set was kept: instances outside `--accounts` / `--regions` remain.
    #[serde(skip_serializing_if = "Option::is_none")]
    kept_because: Option<String>,
    /// The code buckets (once the stack set is gone): deleted, or kept for other stacks'
    /// code, and how many versions of this stack's code were deleted.
    #[serde(skip_serializing_if = "Option::is_none")]
    buckets_deleted: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    buckets_kept: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    artifact_versions_deleted: Option<usize>,
}

/// The targets whose services a teardown gives back, each with its scale-out events: every
/// selected instance the config names access for. An account without one (or a
/// service-managed stack set, whose accounts the config does not list) is warned about and
/// left as it is.
fn plan_give_back(
    config: &Fleet,
    selection: &Selection,
    selected: &[Deployed],
    progress: &Progress,
) -> Result<Vec<(Target, Vec<ScalingEvent>)>> {
    if config.accounts.is_empty() {
        progress.warn(
            "services are not given back: the config lists no [[accounts]] to reach them through (service-managed); scale them out with `worktime run scale-out` in each account, or they stay as they are",
        );
        return Ok(Vec::new());
    }
    let mut plan = Vec::new();
    for target in targets::targets(config, selection)? {
        let deployed = selected.iter().any(|d| {
            Some(d.account.as_str()) == target.account_id.as_deref() && d.region == target.region
        });
        if !deployed {
            continue;
        }
        if target.access.is_none() {
            progress.warn(format!(
                "{}: services not given back: the config names no role or profile for this account",
                target.label()
            ));
            continue;
        }
        let events = lifecycle::give_back_events(&target.config).map_err(|e| TargetError::At {
            target: target.label(),
            source: Box::new(e),
        })?;
        plan.push((target, events));
    }
    Ok(plan)
}

/// Gives back the services of each planned target (as `teardown` does for one stack), once
/// its instance is gone, through the account access the config names. Returns the targets
/// whose services were not all given back, each with the problem and the fix.
async fn give_back(
    aws: &AwsArgs,
    base: &aws_config::SdkConfig,
    plan: Vec<(Target, Vec<ScalingEvent>)>,
    progress: &Progress,
) -> Vec<(Target, String)> {
    let mut not_given_back = Vec::new();
    for (target, events) in plan {
        let label = target.label();
        // The instance is gone, so a stack-set teardown would not come back here: the direct
        // engine's teardown of this one target gives back what is still down.
        let rerun = format!(
            "worktime teardown --all-accounts --accounts {} --regions {} --yes",
            target.account_id.as_deref().unwrap_or_default(),
            target.region
        );
        let session = match crate::aws::connect(
            aws,
            base,
            target.account_id.as_deref(),
            target.access.as_ref(),
            &target.region,
        )
        .await
        {
            Ok(session) => session,
            Err(e) => {
                let problem = format!(
                    "services not given back: {e}. Fix: once the account can be reached, run `{rerun}`: it gives back what is still down"
                );
                progress.warn(format!("{label}: {problem}"));
                not_given_back.push((target, problem));
                continue;
            }
        };
        let released =
            lifecycle::release_services(&session, &target.config, &events, progress).await;
        if !released.restored.is_empty() {
            progress.line(format!(
                "{label}: gave back {}",
                released.restored.join(", ")
            ));
        }
        if !released.problems.is_empty() {
            let problem = lifecycle::not_given_back_message(
                &target.config.stack.name,
                &released.problems,
                &rerun,
            );
            progress.warn(format!("{label}: {problem}"));
            not_given_back.push((target, problem));
        }
    }
    not_given_back
}
