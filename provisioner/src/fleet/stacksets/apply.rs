//! `rollout --engine stacksets`: create or update the stack set, then create or update
//! each instance whose overrides or template changed.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use aws_sdk_cloudformation::types::{
    AutoDeployment, Capability, DeploymentTargets, PermissionModels,
};
use serde_json::json;

use super::api::{describe_stack_set, list_instances, operation_id, parameters, preferences, wait};
use super::code::{administrator, code_statement, regions_of, s3_in, statement_id};
use super::plan::{
    administration_role_arn, deployed_for, stack_set_needs, step_for, template_changes, Plan, Step,
    Wanted,
};
use super::report::{abandoned, row, seconds};
use super::STACK_SET_ROW;
use crate::aws::calls::{Call, Cmd::*, Narrow, On};
use crate::aws::{AwsArgs, Session};
use crate::config::{Fleet, StackSetPermissions};
use crate::deploy::artifact::Artifact;
use crate::deploy::bucket;
use crate::deploy::bucket_policy::set_statement;
use crate::deploy::lifecycle::DeployResult;
use crate::error::{Error, Result};
use crate::fleet::results::{TargetOutcome, TargetResult};
use crate::fleet::targets::Selection;
use crate::progress::Progress;
use crate::template;

/// The calls this module makes (the permissions table, `policy::table`).
pub const CALLS: &[Call] = &[
    Call::new(
        "CloudFormation",
        "CreateStackSet",
        "cloudformation:CreateStackSet",
        &[Rollout],
        On::StackSet,
    ),
    Call::new(
        "CloudFormation",
        "CreateStackSet",
        "cloudformation:TagResource",
        &[Rollout],
        On::StackSet,
    ),
    Call::new(
        "CloudFormation",
        "CreateStackSet",
        "iam:PassRole",
        &[Rollout],
        On::AdministrationRole,
    )
    .narrow(Narrow::PassedTo("cloudformation.amazonaws.com"))
    .note("self-managed stack sets only"),
    Call::new(
        "CloudFormation",
        "UpdateStackSet",
        "cloudformation:UpdateStackSet",
        &[Rollout],
        On::StackSet,
    ),
    Call::new(
        "CloudFormation",
        "UpdateStackSet",
        "iam:PassRole",
        &[Rollout],
        On::AdministrationRole,
    )
    .narrow(Narrow::PassedTo("cloudformation.amazonaws.com"))
    .note("self-managed stack sets only"),
    Call::new(
        "CloudFormation",
        "CreateStackInstances",
        "cloudformation:CreateStackInstances",
        &[Rollout],
        On::StackSet,
    ),
    Call::new(
        "CloudFormation",
        "UpdateStackInstances",
        "cloudformation:UpdateStackInstances",
        &[Rollout],
        On::StackSet,
    ),
];

/// `worktime rollout --engine stacksets`: code buckets, the stack set, then every instance;
/// with `dry_run`, what would be created or updated, changing nothing.
pub async fn rollout(
    aws: &AwsArgs,
    base: &aws_config::SdkConfig,
    config: &Fleet,
    plan: &Plan,
    artifact: &Artifact,
    selection: &Selection,
    dry_run: bool,
) -> Result<Vec<TargetResult>> {
    let progress = Progress::prefixed("[stack set] ");
    let name = config.home.stack.name.as_str();
    let session = administrator(aws, base).await?;
    let admin = session.account.clone();
    let home = session.region.clone();
    let permissions = &plan.settings.permissions;
    progress.line(format!(
        "stack set {name} ({}) in administrator account {admin} ({}), region {home}",
        permissions.as_str(),
        session.caller_arn
    ));
    let key = artifact.key(&crate::deploy::artifact::stack_set_prefix(name));
    let mut wanted = plan.wanted.clone();
    let regions = regions_of(wanted.iter().map(|w| w.region.as_str()));
    let admin_role = administration_role_arn(&plan.settings, config, &admin);

    let existing = describe_stack_set(&session.cfn, name).await?;
    if let Some(e) = &existing {
        if e.permission_model != permissions.model() {
            return Err(Error::Usage(format!(
                "stack set {name} exists with permission model {}, but [stacksets] says {}: CloudFormation can't switch a stack set that has instances; tear it down first (worktime teardown --all-accounts --engine stacksets --yes) or set permission_model back",
                e.permission_model,
                permissions.model()
            )));
        }
    }
    let deployed = match &existing {
        Some(_) => list_instances(&session.cfn, name, true).await?,
        None => Vec::new(),
    };
    // ---------------------------------------------------------------- code, readable by targets
    // Its object version in each region is an instance parameter, so it is known before the
    // instances are compared: uploaded now, or (dry run) read.
    let code = async {
        let mut uploaded = Vec::new();
        let mut versions = HashMap::new();
        for region in &regions {
            let s3 = s3_in(&session, region, aws.custom_endpoint());
            let bucket = bucket::bucket_name(&admin, region);
            if dry_run {
                let version = bucket::stored_version(&s3, &bucket, &admin, &key, artifact)
                    .await
                    .ok()
                    .flatten();
                versions.insert(
                    region.clone(),
                    version.unwrap_or_else(|| bucket::NOT_UPLOADED.to_string()),
                );
                continue;
            }
            if bucket::ensure(&s3, &bucket, &admin, region, &progress).await? {
                progress.line(format!(
                    "created artifact bucket {bucket} (versioned, encrypted, public access blocked)"
                ));
            }
            let stored = bucket::upload(&s3, &bucket, &admin, &key, artifact, &progress).await?;
            if stored.uploaded {
                progress.line(format!("uploaded function code to s3://{bucket}/{key}"));
                uploaded.push(region.clone());
            }
            versions.insert(region.clone(), stored.version_id);
            let statement = code_statement(permissions, config, &bucket, region);
            let partition = template::partition(region);
            set_statement(
                &s3,
                &bucket,
                &admin,
                partition,
                &statement_id(name),
                Some(statement),
            )
            .await?;
        }
        Ok::<_, Error>((uploaded, versions))
    }
    .await;
    let (uploaded, versions) = match code {
        Ok(code) => code,
        Err(error) => {
            return Ok(abandoned(
                &home,
                &wanted,
                format!("the function code could not be made readable for the targets: {error}"),
            ))
        }
    };
    for w in &mut wanted {
        w.parameters.push((
            template::ids::CODE_S3_BUCKET.to_string(),
            bucket::bucket_name(&admin, &w.region),
        ));
        w.parameters
            .push((template::ids::CODE_S3_KEY.to_string(), key.clone()));
        let version = versions.get(&w.region).cloned().unwrap_or_default();
        w.parameters
            .push((template::ids::CODE_S3_OBJECT_VERSION.to_string(), version));
    }

    let changes = template_changes(
        existing.as_ref().map(|e| e.template_body.as_str()),
        &plan.template,
    );
    let needs = existing
        .as_ref()
        .map(|e| stack_set_needs(plan, e, &admin_role))
        .unwrap_or_default();
    let steps: Vec<Step> = wanted
        .iter()
        .map(|w| step_for(permissions, w, &deployed))
        .collect();
    if let StackSetPermissions::SelfManaged { .. } = permissions {
        for d in &deployed {
            let listed = config
                .accounts
                .iter()
                .any(|a| a.id == d.account && a.regions.contains(&d.region));
            if !listed {
                progress.warn(format!(
                    "stack instance {}/{} is not in {}: left as it is (teardown --all-accounts --engine stacksets removes every instance)",
                    d.account,
                    d.region,
                    config.home.path.display()
                ));
            }
        }
    }

    if existing.is_none() {
        progress.line(format!(
            "stack set {name}: {} (new, {} resources per instance)",
            if dry_run {
                "would be created"
            } else {
                "creating"
            },
            plan.resources
        ));
    } else if needs.is_empty() {
        progress.line(format!("stack set {name}: template and roles up to date"));
    } else {
        progress.line(format!(
            "stack set {name}: {} changed{}",
            needs.join(", "),
            if dry_run { " (would be updated)" } else { "" }
        ));
        for change in &changes {
            progress.line(format!(
                "  {:<9} {:<24} {}{}",
                change.action,
                change.logical_id,
                change.resource_type,
                change
                    .detail
                    .as_deref()
                    .map(|d| format!(" ({d})"))
                    .unwrap_or_default()
            ));
        }
    }

    let template_reaches_instances = existing.is_some() && !changes.is_empty();
    let filtered = selection.accounts.is_some() || selection.regions.is_some();
    if template_reaches_instances && filtered {
        progress.warn(
            "the stack set's template changes: CloudFormation updates every instance with it, not only those --accounts / --regions select",
        );
    }
    // An update of the stack set reaches every instance: all their regions, config order first.
    let mut every_region = config.stackset_regions();
    for d in &deployed {
        if !every_region.contains(&d.region) {
            every_region.push(d.region.clone());
        }
    }
    let stack_set_detail = |result: &str| {
        json!({
            "stack_set": name,
            "administrator": admin,
            "permission_model": permissions.model(),
            "result": result,
            "changes": needs,
            "template_changes": changes,
        })
    };

    if dry_run {
        let mut rows = Vec::new();
        let mut set_row = row(
            STACK_SET_ROW,
            &home,
            TargetOutcome::Deploy(DeployResult::Planned),
        );
        if existing.is_some() && needs.is_empty() {
            set_row.result = TargetOutcome::Deploy(DeployResult::UpToDate);
        }
        set_row.changes = if existing.is_none() {
            plan.resources
        } else {
            changes.len()
        };
        set_row.detail = Some(stack_set_detail(&set_row.result.to_string()));
        rows.push(set_row);
        for (w, step) in wanted.iter().zip(&steps) {
            let mut r = row(
                &w.account,
                &w.region,
                TargetOutcome::Deploy(DeployResult::Planned),
            );
            let (what, count, keys) = match step {
                Step::Create => ("create", plan.resources, Vec::new()),
                Step::Update(keys) => ("update", keys.len() + changes.len(), keys.clone()),
                Step::Nothing if template_reaches_instances => {
                    ("update (stack set template)", changes.len(), Vec::new())
                }
                Step::Nothing => {
                    r.result = TargetOutcome::Deploy(DeployResult::UpToDate);
                    ("nothing", 0, Vec::new())
                }
            };
            progress.line(format!("{}/{}: {what}", w.account, w.region));
            r.changes = count;
            r.detail = Some(json!({ "instance": what, "parameters_changed": keys }));
            rows.push(r);
        }
        return Ok(rows);
    }

    let started = Instant::now();
    let mut rows = Vec::new();
    // ---------------------------------------------------------------- the stack set
    // Who runs the operations: the two roles (self-managed) or automatic deployment.
    let roles = match permissions {
        StackSetPermissions::SelfManaged {
            execution_role_name,
            ..
        } => (
            Some(admin_role.clone()),
            Some(execution_role_name.clone()),
            None,
        ),
        StackSetPermissions::ServiceManaged {
            auto_deployment, ..
        } => (
            None,
            None,
            Some(
                AutoDeployment::builder()
                    .enabled(*auto_deployment)
                    .retain_stacks_on_account_removal(false)
                    .build(),
            ),
        ),
    };
    let base_parameters = wanted
        .first()
        .map(|w| w.parameters.clone())
        .unwrap_or_default();
    let set_result = match &existing {
        None => {
            progress.step(format!("creating stack set {name}"));
            session
                .cfn
                .create_stack_set()
                .stack_set_name(name)
                .description(format!(
                    "worktime: keeps ECS services running only during working hours (stack {name})"
                ))
                .template_body(&plan.template)
                .set_parameters(Some(parameters(&base_parameters)))
                .capabilities(Capability::CapabilityNamedIam)
                .permission_model(PermissionModels::from(permissions.model()))
                .tags(
                    aws_sdk_cloudformation::types::Tag::builder()
                        .key(worktime_lambda::tags::STACK_TAG)
                        .value(name)
                        .build(),
                )
                .set_administration_role_arn(roles.0.clone())
                .set_execution_role_name(roles.1.clone())
                .set_auto_deployment(roles.2.clone())
                .send()
                .await
                .map(|_| DeployResult::Created)
                .map_err(|e| Error::aws(format!("creating stack set {name}"), e).to_string())
        }
        Some(_) if needs.is_empty() => Ok(DeployResult::UpToDate),
        Some(_) => {
            // AWS updates every instance with the new template (their own overrides kept).
            // moto 5.2.5 stores the new template but does not update existing instances:
            // the local tests can show the call and its operation, not the propagation.
            progress.step(format!("updating stack set {name} ({})", needs.join(", ")));
            let id = operation_id("update");
            let update = session
                .cfn
                .update_stack_set()
                .stack_set_name(name)
                .template_body(&plan.template)
                .set_parameters(Some(parameters(&base_parameters)))
                .capabilities(Capability::CapabilityNamedIam)
                .operation_id(&id)
                .operation_preferences(preferences(selection, &every_region))
                .set_administration_role_arn(roles.0.clone())
                .set_execution_role_name(roles.1.clone())
                .set_auto_deployment(roles.2.clone());
            match update.send().await {
                Ok(out) => {
                    let id = out.operation_id().unwrap_or(&id).to_string();
                    match wait(&session.cfn, name, &id, &progress, session.poll).await {
                        Ok(None) => Ok(DeployResult::Updated),
                        Ok(Some(reason)) => Err(reason),
                        Err(e) => Err(e.to_string()),
                    }
                }
                Err(e) => Err(Error::aws(format!("updating stack set {name}"), e).to_string()),
            }
        }
    };
    let mut set_row = row(STACK_SET_ROW, &home, TargetOutcome::Failed);
    set_row.duration_seconds = seconds(started.elapsed());
    let set_error = match &set_result {
        Ok(result) => {
            progress.line(format!("stack set {name}: {result}"));
            set_row.result = TargetOutcome::Deploy(*result);
            set_row.changes = match result {
                DeployResult::Created => plan.resources,
                DeployResult::Updated => changes.len().max(1),
                _ => 0,
            };
            None
        }
        Err(reason) => {
            progress.warn(format!("stack set {name}: {reason}"));
            set_row.result = TargetOutcome::Failed;
            set_row.error = Some(reason.clone());
            Some(reason.clone())
        }
    };
    let mut detail = stack_set_detail(&set_row.result.to_string());
    detail["code_uploaded_in"] = json!(uploaded);
    set_row.detail = Some(detail);
    if existing.is_none() && set_error.is_some() {
        let mut rows = abandoned(
            &home,
            &wanted,
            "not started: the stack set could not be created".into(),
        );
        rows[0] = set_row;
        return Ok(rows);
    }
    rows.push(set_row);

    // ---------------------------------------------------------------- instances, one operation each
    let mut failures = 0usize;
    let mut outcomes: Vec<(Option<String>, bool, Duration)> = Vec::new();
    for (w, step) in wanted.iter().zip(&steps) {
        if *step == Step::Nothing {
            outcomes.push((None, true, Duration::ZERO));
            continue;
        }
        if failures > selection.failure_tolerance {
            outcomes.push((None, false, Duration::ZERO));
            continue;
        }
        let began = Instant::now();
        let outcome =
            instance_operation(&session, name, permissions, w, step, selection, &progress).await;
        let error = match outcome {
            Ok(None) => None,
            Ok(Some(reason)) => Some(reason),
            Err(error) => Some(error.to_string()),
        };
        if error.is_some() {
            failures += 1;
        }
        outcomes.push((error, true, began.elapsed()));
    }

    // ---------------------------------------------------------------- what is there now
    let now = list_instances(&session.cfn, name, false).await?;
    for ((w, step), (op_error, ran, took)) in wanted.iter().zip(&steps).zip(outcomes) {
        if !ran {
            let mut r = row(&w.account, &w.region, TargetOutcome::NotStarted);
            r.error = Some("not started: the failure tolerance was exceeded".into());
            rows.push(r);
            continue;
        }
        let present = deployed_for(permissions, w, &now);
        if present.is_empty() {
            let mut r = row(&w.account, &w.region, TargetOutcome::Failed);
            r.duration_seconds = seconds(took);
            let mut error = match permissions {
                StackSetPermissions::SelfManaged { .. } => format!(
                    "no stack instance exists in account {} region {} after the operation",
                    w.account, w.region
                ),
                StackSetPermissions::ServiceManaged { .. } => format!(
                    "no stack instance was created in {} for organizational unit(s) {}: check that they hold active member accounts and that trusted access for CloudFormation StackSets is enabled in AWS Organizations",
                    w.region, w.account
                ),
            };
            if let Some(reason) = op_error.as_ref().or(set_error.as_ref()) {
                error.push_str(&format!(" ({reason})"));
            }
            r.error = Some(error);
            rows.push(r);
            continue;
        }
        for d in present {
            let mut r = row(&d.account, &d.region, TargetOutcome::Failed);
            r.duration_seconds = seconds(took);
            let (result, count, keys) = match step {
                Step::Create => (DeployResult::Created, plan.resources, Vec::new()),
                Step::Update(keys) => (
                    DeployResult::Updated,
                    keys.len() + changes.len(),
                    keys.clone(),
                ),
                Step::Nothing if set_result == Ok(DeployResult::Updated) => {
                    (DeployResult::Updated, changes.len(), Vec::new())
                }
                Step::Nothing => (DeployResult::UpToDate, 0, Vec::new()),
            };
            if d.healthy() && op_error.is_none() {
                r.result = TargetOutcome::Deploy(result);
                r.changes = count;
            } else {
                r.result = TargetOutcome::Failed;
                let mut error = if d.healthy() {
                    String::from("the stack instance operation failed")
                } else {
                    d.problem()
                };
                if let Some(reason) = op_error.as_ref().or(set_error.as_ref()) {
                    error.push_str(&format!(" ({reason})"));
                }
                r.error = Some(error);
            }
            r.detail = Some(json!({
                "stack_set": name,
                "instance": d,
                "parameters_changed": keys,
            }));
            rows.push(r);
        }
    }
    Ok(rows)
}

/// Creates or updates the instance(s) of one wanted entry and waits. `None` when the
/// operation succeeded; otherwise why not.
async fn instance_operation(
    session: &Session,
    name: &str,
    permissions: &StackSetPermissions,
    wanted: &Wanted,
    step: &Step,
    selection: &Selection,
    progress: &Progress,
) -> Result<Option<String>> {
    let cfn = &session.cfn;
    let regions = vec![wanted.region.clone()];
    let overrides = Some(parameters(&wanted.parameters));
    let (accounts, targets) = match permissions {
        StackSetPermissions::SelfManaged { .. } => (Some(vec![wanted.account.clone()]), None),
        StackSetPermissions::ServiceManaged {
            organizational_units,
            ..
        } => (
            None,
            Some(
                DeploymentTargets::builder()
                    .set_organizational_unit_ids(Some(organizational_units.clone()))
                    .build(),
            ),
        ),
    };
    let label = format!("{}/{}", wanted.account, wanted.region);
    let id = match step {
        Step::Nothing => return Ok(None),
        Step::Create => {
            progress.step(format!("creating stack instance {label}"));
            let id = operation_id("create");
            cfn.create_stack_instances()
                .stack_set_name(name)
                .set_accounts(accounts)
                .set_deployment_targets(targets)
                .set_regions(Some(regions.clone()))
                .set_parameter_overrides(overrides)
                .operation_preferences(preferences(selection, &regions))
                .operation_id(&id)
                .send()
                .await
                .map_err(|e| Error::aws(format!("creating stack instance {label}"), e))?
                .operation_id()
                .unwrap_or(&id)
                .to_string()
        }
        Step::Update(keys) => {
            progress.step(format!(
                "updating stack instance {label}{}",
                if keys.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", keys.join(", "))
                }
            ));
            let id = operation_id("update");
            cfn.update_stack_instances()
                .stack_set_name(name)
                .set_accounts(accounts)
                .set_deployment_targets(targets)
                .set_regions(Some(regions.clone()))
                .set_parameter_overrides(overrides)
                .operation_preferences(preferences(selection, &regions))
                .operation_id(&id)
                .send()
                .await
                .map_err(|e| Error::aws(format!("updating stack instance {label}"), e))?
                .operation_id()
                .unwrap_or(&id)
                .to_string()
        }
    };
    let outcome = wait(cfn, name, &id, progress, session.poll).await?;
    if outcome.is_none() {
        progress.line(format!(
            "{label}: {}",
            if *step == Step::Create {
                "created"
            } else {
                "updated"
            }
        ));
    }
    Ok(outcome)
}
