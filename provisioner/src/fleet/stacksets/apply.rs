//! `rollout --engine stacksets`: create or update the stack set, then create or update
//! each instance whose overrides or template changed, one operation at a time.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use aws_sdk_cloudformation::types::{
    AutoDeployment, Capability, DeploymentTargets, PermissionModels,
};
use serde::Serialize;
use serde_json::Value;

use super::api::{
    describe_stack_set, list_instances, operation_id, parameters, preferences, wait, Deployed,
    Existing,
};
use super::code::{administrator, code_statement, regions_of, s3_in, statement_id};
use super::plan::{
    administration_role_arn, deployed_for, stack_set_needs, step_for, template_changes, Plan, Step,
    Wanted,
};
use super::report::{abandoned, detail, row, seconds};
use super::STACK_SET_ROW;
use crate::aws::calls::{Call, Cmd::*, Narrow, On};
use crate::aws::{AwsArgs, Session};
use crate::config::{Fleet, StackSetPermissions};
use crate::deploy::artifact::Artifact;
use crate::deploy::bucket;
use crate::deploy::bucket_policy::set_statement;
use crate::deploy::changes::PlannedChange;
use crate::deploy::lifecycle::DeployResult;
use crate::error::{Error, Result};
use crate::fleet::results::{TargetOutcome, TargetResult};
use crate::fleet::targets::Selection;
use crate::fleet::FleetError;
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
///
/// In phases, each with a typed result: what is there now ([`Current`]), the code made
/// readable for the targets ([`Code`]), what changes ([`Changes`]); then either the planned
/// rows (dry run) or the stack set created or updated ([`Rollout::stack_set`]), one
/// operation per wanted instance ([`InstanceRun`]) and the rows of what is there after them.
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
    let session = administrator(aws, base).await?;
    let rollout = Rollout {
        name: config.home.stack.name.as_str(),
        admin_role: administration_role_arn(&plan.settings, config, &session.account),
        session,
        config,
        plan,
        selection,
        progress,
    };
    let current = rollout.current().await?;
    let key = artifact.key(&crate::deploy::artifact::stack_set_prefix(rollout.name));
    let mut wanted = plan.wanted.clone();
    let code = match rollout.code(aws, artifact, &key, &wanted, dry_run).await {
        Ok(code) => code,
        Err(error) => {
            return Ok(abandoned(
                &rollout.session.region,
                &wanted,
                format!("the function code could not be made readable for the targets: {error}"),
            ))
        }
    };
    rollout.locate_code(&mut wanted, &key, &code.versions);
    let changes = rollout.changes(&current, &wanted, dry_run);
    if dry_run {
        return Ok(rollout.planned_rows(&current, &changes, &wanted));
    }

    let started = Instant::now();
    let set_result = rollout.stack_set(&current, &changes, &wanted).await;
    let set_row = rollout.stack_set_row(&changes, &set_result, &code, started.elapsed());
    if current.existing.is_none() && set_result.is_err() {
        let mut rows = abandoned(
            &rollout.session.region,
            &wanted,
            "not started: the stack set could not be created".into(),
        );
        rows[0] = set_row;
        return Ok(rows);
    }
    let runs = rollout.instances(&wanted, &changes.steps).await;
    let now = list_instances(&rollout.session.cfn, rollout.name, false).await?;
    let mut rows = vec![set_row];
    rows.extend(rollout.instance_rows(&wanted, &changes, runs, &now, &set_result));
    Ok(rows)
}

/// One rollout's fixed context: the administrator's session and what the plan asks.
struct Rollout<'a> {
    /// The stack set's name: the stack's.
    name: &'a str,
    session: Session,
    /// The administration role a self-managed stack set is run by.
    admin_role: String,
    config: &'a Fleet,
    plan: &'a Plan,
    selection: &'a Selection,
    progress: Progress,
}

/// The stack set and its instances as they are before the rollout.
struct Current {
    existing: Option<Existing>,
    /// Every instance, with its parameter overrides.
    deployed: Vec<Deployed>,
}

/// The function code in the administrator's bucket of each target region.
struct Code {
    /// The regions this run uploaded it to.
    uploaded: Vec<String>,
    /// Its object version per region (a dry run: as stored, or [`bucket::NOT_UPLOADED`]).
    versions: HashMap<String, String>,
}

/// What the rollout changes, compared before anything is.
struct Changes {
    /// What the existing stack set itself needs (`template`, a role, automatic deployment).
    needs: Vec<String>,
    /// What its new template changes, resource by resource.
    template: Vec<PlannedChange>,
    /// Each wanted instance's step, in the plan's order.
    steps: Vec<Step>,
    /// An update of the existing stack set's template reaches every instance.
    reaches_instances: bool,
    /// The regions an update of the stack set reaches: every instance's, config order first.
    every_region: Vec<String>,
}

/// What one wanted entry's instance operation did.
#[derive(Debug, Clone, PartialEq, Eq)]
struct InstanceRun {
    /// `false`: not started, the failure tolerance was exceeded before it.
    started: bool,
    /// Why the operation failed, if it did.
    error: Option<String>,
    took: Duration,
}

impl InstanceRun {
    /// Nothing to do: it counts as done, in no time.
    const NOTHING: InstanceRun = InstanceRun {
        started: true,
        error: None,
        took: Duration::ZERO,
    };
    const NOT_STARTED: InstanceRun = InstanceRun {
        started: false,
        error: None,
        took: Duration::ZERO,
    };
}

/// The `stack-set` row's detail (`--output json`).
#[derive(Debug, Serialize)]
struct StackSetDetail<'a> {
    stack_set: &'a str,
    administrator: &'a str,
    permission_model: &'static str,
    /// The row's result, as the table shows it.
    result: String,
    /// What the existing stack set needed.
    changes: &'a [String],
    template_changes: &'a [PlannedChange],
    /// The regions the code was uploaded to (not in a dry run).
    #[serde(skip_serializing_if = "Option::is_none")]
    code_uploaded_in: Option<&'a [String]>,
}

/// An instance row's detail in a dry run: what would be done.
#[derive(Debug, Serialize)]
struct PlannedInstanceDetail<'a> {
    instance: &'static str,
    parameters_changed: &'a [String],
}

/// An instance row's detail after the operations: the instance as CloudFormation lists it.
#[derive(Debug, Serialize)]
struct InstanceDetail<'a> {
    stack_set: &'a str,
    instance: &'a Deployed,
    parameters_changed: &'a [String],
}

impl Rollout<'_> {
    fn permissions(&self) -> &StackSetPermissions {
        &self.plan.settings.permissions
    }

    /// The stack set and its instances now; refused (nothing changed) when the stack set's
    /// permission model is not the configured one.
    async fn current(&self) -> Result<Current> {
        let (name, permissions, session) = (self.name, self.permissions(), &self.session);
        self.progress.line(format!(
            "stack set {name} ({}) in administrator account {} ({}), region {}",
            permissions.as_str(),
            session.account,
            session.caller_arn,
            session.region
        ));
        let existing = describe_stack_set(&session.cfn, name).await?;
        if let Some(e) = &existing {
            if e.permission_model != permissions.model() {
                return Err(FleetError::PermissionModelSwitch {
                    name: name.to_string(),
                    existing: e.permission_model.clone(),
                    wanted: permissions.model(),
                }
                .into());
            }
        }
        let deployed = match &existing {
            Some(_) => list_instances(&session.cfn, name, true).await?,
            None => Vec::new(),
        };
        Ok(Current { existing, deployed })
    }

    /// The code, readable by the targets in each of their regions. Its object version in
    /// each region is an instance parameter, so it is known before the instances are
    /// compared: uploaded now, or (dry run) read.
    async fn code(
        &self,
        aws: &AwsArgs,
        artifact: &Artifact,
        key: &str,
        wanted: &[Wanted],
        dry_run: bool,
    ) -> Result<Code> {
        let admin = &self.session.account;
        let mut code = Code {
            uploaded: Vec::new(),
            versions: HashMap::new(),
        };
        for region in regions_of(wanted.iter().map(|w| w.region.as_str())) {
            let s3 = s3_in(&self.session, &region, aws.custom_endpoint());
            let bucket = bucket::bucket_name(admin, &region);
            if dry_run {
                let version = bucket::stored_version(&s3, &bucket, admin, key, artifact)
                    .await
                    .ok()
                    .flatten();
                code.versions.insert(
                    region,
                    version.unwrap_or_else(|| bucket::NOT_UPLOADED.to_string()),
                );
                continue;
            }
            if bucket::ensure(&s3, &bucket, admin, &region, &self.progress).await? {
                self.progress.line(format!(
                    "created artifact bucket {bucket} (versioned, encrypted, public access blocked)"
                ));
            }
            let stored = bucket::upload(&s3, &bucket, admin, key, artifact, &self.progress).await?;
            if stored.uploaded {
                self.progress
                    .line(format!("uploaded function code to s3://{bucket}/{key}"));
                code.uploaded.push(region.clone());
            }
            let statement = code_statement(self.permissions(), self.config, &bucket, &region);
            set_statement(
                &s3,
                &bucket,
                admin,
                template::partition(&region),
                &statement_id(self.name),
                Some(statement),
            )
            .await?;
            code.versions.insert(region, stored.version_id);
        }
        Ok(code)
    }

    /// Adds the code's location in its region to each wanted instance's parameters.
    fn locate_code(&self, wanted: &mut [Wanted], key: &str, versions: &HashMap<String, String>) {
        for w in wanted {
            w.parameters.push((
                template::ids::CODE_S3_BUCKET.to_string(),
                bucket::bucket_name(&self.session.account, &w.region),
            ));
            w.parameters
                .push((template::ids::CODE_S3_KEY.to_string(), key.to_string()));
            let version = versions.get(&w.region).cloned().unwrap_or_default();
            w.parameters
                .push((template::ids::CODE_S3_OBJECT_VERSION.to_string(), version));
        }
    }

    /// What changes, said on the progress lines: the stack set (and its template's changes,
    /// resource by resource) and each wanted instance's step; a warning for each instance
    /// the config no longer lists (left as it is) and for a template change that reaches
    /// instances `--accounts` / `--regions` leave out.
    fn changes(&self, current: &Current, wanted: &[Wanted], dry_run: bool) -> Changes {
        let (name, permissions, progress) = (self.name, self.permissions(), &self.progress);
        let Current { existing, deployed } = current;
        let template = template_changes(
            existing.as_ref().map(|e| e.template_body.as_str()),
            &self.plan.template,
        );
        let needs = existing
            .as_ref()
            .map(|e| stack_set_needs(self.plan, e, &self.admin_role))
            .unwrap_or_default();
        let steps: Vec<Step> = wanted
            .iter()
            .map(|w| step_for(permissions, w, deployed))
            .collect();
        if let StackSetPermissions::SelfManaged { .. } = permissions {
            for d in deployed {
                let listed = self
                    .config
                    .accounts
                    .iter()
                    .any(|a| a.id == d.account && a.regions.contains(&d.region));
                if !listed {
                    progress.warn(format!(
                        "stack instance {}/{} is not in {}: left as it is (teardown --all-accounts --engine stacksets removes every instance)",
                        d.account,
                        d.region,
                        self.config.home.path.display()
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
                self.plan.resources
            ));
        } else if needs.is_empty() {
            progress.line(format!("stack set {name}: template and roles up to date"));
        } else {
            progress.line(format!(
                "stack set {name}: {} changed{}",
                needs.join(", "),
                if dry_run { " (would be updated)" } else { "" }
            ));
            for change in &template {
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

        let reaches_instances = existing.is_some() && !template.is_empty();
        let filtered = self.selection.accounts.is_some() || self.selection.regions.is_some();
        if reaches_instances && filtered {
            progress.warn(
                "the stack set's template changes: CloudFormation updates every instance with it, not only those --accounts / --regions select",
            );
        }
        let mut every_region = self.config.stackset_regions();
        for d in deployed {
            if !every_region.contains(&d.region) {
                every_region.push(d.region.clone());
            }
        }
        Changes {
            needs,
            template,
            steps,
            reaches_instances,
            every_region,
        }
    }

    /// The `stack-set` row's detail.
    fn set_detail(
        &self,
        changes: &Changes,
        result: &TargetOutcome,
        code: Option<&Code>,
    ) -> Option<Value> {
        detail(&StackSetDetail {
            stack_set: self.name,
            administrator: &self.session.account,
            permission_model: self.permissions().model(),
            result: result.to_string(),
            changes: &changes.needs,
            template_changes: &changes.template,
            code_uploaded_in: code.map(|c| c.uploaded.as_slice()),
        })
    }

    /// A dry run's rows: what would be created or updated, nothing changed.
    fn planned_rows(
        &self,
        current: &Current,
        changes: &Changes,
        wanted: &[Wanted],
    ) -> Vec<TargetResult> {
        let mut rows = Vec::new();
        let mut set_row = row(
            STACK_SET_ROW,
            &self.session.region,
            TargetOutcome::Deploy(DeployResult::Planned),
        );
        if current.existing.is_some() && changes.needs.is_empty() {
            set_row.result = TargetOutcome::Deploy(DeployResult::UpToDate);
        }
        set_row.changes = if current.existing.is_none() {
            self.plan.resources
        } else {
            changes.template.len()
        };
        set_row.detail = self.set_detail(changes, &set_row.result, None);
        rows.push(set_row);
        for (w, step) in wanted.iter().zip(&changes.steps) {
            let mut r = row(
                &w.account,
                &w.region,
                TargetOutcome::Deploy(DeployResult::Planned),
            );
            let (what, count, keys): (_, _, &[String]) = match step {
                Step::Create => ("create", self.plan.resources, &[]),
                Step::Update(keys) => ("update", keys.len() + changes.template.len(), keys),
                Step::Nothing if changes.reaches_instances => {
                    ("update (stack set template)", changes.template.len(), &[])
                }
                Step::Nothing => {
                    r.result = TargetOutcome::Deploy(DeployResult::UpToDate);
                    ("nothing", 0, &[])
                }
            };
            self.progress
                .line(format!("{}/{}: {what}", w.account, w.region));
            r.changes = count;
            r.detail = detail(&PlannedInstanceDetail {
                instance: what,
                parameters_changed: keys,
            });
            rows.push(r);
        }
        rows
    }

    /// Creates the stack set, or updates it when it needs it (and waits: the update reaches
    /// every instance). `Err`: why it failed.
    async fn stack_set(
        &self,
        current: &Current,
        changes: &Changes,
        wanted: &[Wanted],
    ) -> std::result::Result<DeployResult, String> {
        let (name, session) = (self.name, &self.session);
        // Who runs the operations: the two roles (self-managed) or automatic deployment.
        let (administration_role, execution_role, auto_deployment) = match self.permissions() {
            StackSetPermissions::SelfManaged {
                execution_role_name,
                ..
            } => (
                Some(self.admin_role.clone()),
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
        match &current.existing {
            None => {
                self.progress.step(format!("creating stack set {name}"));
                session
                    .cfn
                    .create_stack_set()
                    .stack_set_name(name)
                    .description(format!(
                        "worktime: keeps ECS services running only during working hours (stack {name})"
                    ))
                    .template_body(&self.plan.template)
                    .set_parameters(Some(parameters(&base_parameters)))
                    .capabilities(Capability::CapabilityNamedIam)
                    .permission_model(PermissionModels::from(self.permissions().model()))
                    .tags(
                        aws_sdk_cloudformation::types::Tag::builder()
                            .key(worktime_lambda::tags::STACK_TAG)
                            .value(name)
                            .build(),
                    )
                    .set_administration_role_arn(administration_role)
                    .set_execution_role_name(execution_role)
                    .set_auto_deployment(auto_deployment)
                    .send()
                    .await
                    .map(|_| DeployResult::Created)
                    .map_err(|e| Error::aws(format!("creating stack set {name}"), e).to_string())
            }
            Some(_) if changes.needs.is_empty() => Ok(DeployResult::UpToDate),
            Some(_) => {
                // AWS updates every instance with the new template (their own overrides
                // kept). moto 5.2.5 stores the new template but does not update existing
                // instances: the local tests can show the call and its operation, not the
                // propagation.
                self.progress.step(format!(
                    "updating stack set {name} ({})",
                    changes.needs.join(", ")
                ));
                let id = operation_id("update");
                let update = session
                    .cfn
                    .update_stack_set()
                    .stack_set_name(name)
                    .template_body(&self.plan.template)
                    .set_parameters(Some(parameters(&base_parameters)))
                    .capabilities(Capability::CapabilityNamedIam)
                    .operation_id(&id)
                    .operation_preferences(preferences(self.selection, &changes.every_region))
                    .set_administration_role_arn(administration_role)
                    .set_execution_role_name(execution_role)
                    .set_auto_deployment(auto_deployment);
                match update.send().await {
                    Ok(out) => {
                        let id = out.operation_id().unwrap_or(&id).to_string();
                        match wait(&session.cfn, name, &id, &self.progress, session.poll).await {
                            Ok(None) => Ok(DeployResult::Updated),
                            Ok(Some(reason)) => Err(reason),
                            Err(e) => Err(e.to_string()),
                        }
                    }
                    Err(e) => Err(Error::aws(format!("updating stack set {name}"), e).to_string()),
                }
            }
        }
    }

    /// The `stack-set` row after its operation.
    fn stack_set_row(
        &self,
        changes: &Changes,
        set_result: &std::result::Result<DeployResult, String>,
        code: &Code,
        took: Duration,
    ) -> TargetResult {
        let name = self.name;
        let mut set_row = row(STACK_SET_ROW, &self.session.region, TargetOutcome::Failed);
        set_row.duration_seconds = seconds(took);
        match set_result {
            Ok(result) => {
                self.progress.line(format!("stack set {name}: {result}"));
                set_row.result = TargetOutcome::Deploy(*result);
                set_row.changes = match result {
                    DeployResult::Created => self.plan.resources,
                    DeployResult::Updated => changes.template.len().max(1),
                    _ => 0,
                };
            }
            Err(reason) => {
                self.progress.warn(format!("stack set {name}: {reason}"));
                set_row.error = Some(reason.clone());
            }
        }
        set_row.detail = self.set_detail(changes, &set_row.result, Some(code));
        set_row
    }

    /// One operation per wanted instance that needs one, in the plan's order (CloudFormation
    /// runs one operation per stack set at a time); once more than `--failure-tolerance`
    /// have failed, the rest are not started.
    async fn instances(&self, wanted: &[Wanted], steps: &[Step]) -> Vec<InstanceRun> {
        let mut failures = 0usize;
        let mut runs = Vec::with_capacity(wanted.len());
        for (w, step) in wanted.iter().zip(steps) {
            if *step == Step::Nothing {
                runs.push(InstanceRun::NOTHING);
                continue;
            }
            if failures > self.selection.failure_tolerance {
                runs.push(InstanceRun::NOT_STARTED);
                continue;
            }
            let began = Instant::now();
            let error = match self.instance_operation(w, step).await {
                Ok(None) => None,
                Ok(Some(reason)) => Some(reason),
                Err(error) => Some(error.to_string()),
            };
            if error.is_some() {
                failures += 1;
            }
            runs.push(InstanceRun {
                started: true,
                error,
                took: began.elapsed(),
            });
        }
        runs
    }

    /// The instance rows, from what CloudFormation lists `now`: a wanted instance that is
    /// not there, or not CURRENT/SUCCEEDED, is a failed row with the reason (its operation's,
    /// else the stack set's).
    fn instance_rows(
        &self,
        wanted: &[Wanted],
        changes: &Changes,
        runs: Vec<InstanceRun>,
        now: &[Deployed],
        set_result: &std::result::Result<DeployResult, String>,
    ) -> Vec<TargetResult> {
        let set_error = set_result.as_ref().err();
        let mut rows = Vec::new();
        for ((w, step), run) in wanted.iter().zip(&changes.steps).zip(runs) {
            if !run.started {
                let mut r = row(&w.account, &w.region, TargetOutcome::NotStarted);
                r.error = Some("not started: the failure tolerance was exceeded".into());
                rows.push(r);
                continue;
            }
            let reason = run.error.as_ref().or(set_error);
            let present = deployed_for(self.permissions(), w, now);
            if present.is_empty() {
                let mut r = row(&w.account, &w.region, TargetOutcome::Failed);
                r.duration_seconds = seconds(run.took);
                let mut error = match self.permissions() {
                    StackSetPermissions::SelfManaged { .. } => format!(
                        "no stack instance exists in account {} region {} after the operation",
                        w.account, w.region
                    ),
                    StackSetPermissions::ServiceManaged { .. } => format!(
                        "no stack instance was created in {} for organizational unit(s) {}: check that they hold active member accounts and that trusted access for CloudFormation StackSets is enabled in AWS Organizations",
                        w.region, w.account
                    ),
                };
                if let Some(reason) = reason {
                    error.push_str(&format!(" ({reason})"));
                }
                r.error = Some(error);
                rows.push(r);
                continue;
            }
            let (result, count, keys): (_, _, &[String]) = match step {
                Step::Create => (DeployResult::Created, self.plan.resources, &[]),
                Step::Update(keys) => (
                    DeployResult::Updated,
                    keys.len() + changes.template.len(),
                    keys,
                ),
                Step::Nothing if *set_result == Ok(DeployResult::Updated) => {
                    (DeployResult::Updated, changes.template.len(), &[])
                }
                Step::Nothing => (DeployResult::UpToDate, 0, &[]),
            };
            for d in present {
                let mut r = row(&d.account, &d.region, TargetOutcome::Failed);
                r.duration_seconds = seconds(run.took);
                if d.healthy() && run.error.is_none() {
                    r.result = TargetOutcome::Deploy(result);
                    r.changes = count;
                } else {
                    let mut error = if d.healthy() {
                        String::from("the stack instance operation failed")
                    } else {
                        d.problem()
                    };
                    if let Some(reason) = reason {
                        error.push_str(&format!(" ({reason})"));
                    }
                    r.error = Some(error);
                }
                r.detail = detail(&InstanceDetail {
                    stack_set: self.name,
                    instance: d,
                    parameters_changed: keys,
                });
                rows.push(r);
            }
        }
        rows
    }

    /// Creates or updates the instance(s) of one wanted entry and waits. `None` when the
    /// operation succeeded; otherwise why not.
    async fn instance_operation(&self, wanted: &Wanted, step: &Step) -> Result<Option<String>> {
        let (name, session, progress, selection) =
            (self.name, &self.session, &self.progress, self.selection);
        let cfn = &session.cfn;
        let regions = vec![wanted.region.clone()];
        let overrides = Some(parameters(&wanted.parameters));
        let (accounts, targets) = match self.permissions() {
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
        // Both operations take the same members and answer an operation id; their builders
        // and errors are different types.
        macro_rules! run {
            ($operation:expr, $what:literal) => {{
                let id = operation_id($what);
                $operation
                    .stack_set_name(name)
                    .set_accounts(accounts)
                    .set_deployment_targets(targets)
                    .set_regions(Some(regions.clone()))
                    .set_parameter_overrides(overrides)
                    .operation_preferences(preferences(selection, &regions))
                    .operation_id(&id)
                    .send()
                    .await
                    .map(|out| out.operation_id().unwrap_or(&id).to_string())
            }};
        }
        let id = match step {
            Step::Nothing => return Ok(None),
            Step::Create => {
                progress.step(format!("creating stack instance {label}"));
                run!(cfn.create_stack_instances(), "create")
                    .map_err(|e| Error::aws(format!("creating stack instance {label}"), e))?
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
                run!(cfn.update_stack_instances(), "update")
                    .map_err(|e| Error::aws(format!("updating stack instance {label}"), e))?
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
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::deploy::changes::ChangeKind;

    /// The typed details serialise as the `json!` values they replaced, keys in order.
    #[test]
    fn details_keep_their_json_shape() {
        let template = vec![PlannedChange {
            action: ChangeKind::Modify,
            logical_id: "Function".into(),
            resource_type: "AWS::Lambda::Function".into(),
            detail: None,
        }];
        let needs = vec!["template".to_string()];
        let uploaded = vec!["eu-west-1".to_string()];
        let set = |code_uploaded_in| StackSetDetail {
            stack_set: "wt",
            administrator: "111111111111",
            permission_model: "SELF_MANAGED",
            result: "updated".into(),
            changes: &needs,
            template_changes: &template,
            code_uploaded_in,
        };
        let old = json!({
            "stack_set": "wt",
            "administrator": "111111111111",
            "permission_model": "SELF_MANAGED",
            "result": "updated",
            "changes": needs,
            "template_changes": template,
        });
        let planned = detail(&set(None)).unwrap();
        assert_eq!(planned.to_string(), old.to_string());
        let mut applied = old.clone();
        applied["code_uploaded_in"] = json!(uploaded);
        let typed = detail(&set(Some(&uploaded))).unwrap();
        assert_eq!(typed.to_string(), applied.to_string());

        let keys = vec!["Timezone".to_string()];
        let instance = detail(&PlannedInstanceDetail {
            instance: "update",
            parameters_changed: &keys,
        })
        .unwrap();
        assert_eq!(
            instance.to_string(),
            json!({ "instance": "update", "parameters_changed": keys }).to_string()
        );
        let deployed = Deployed {
            account: "111111111111".into(),
            region: "eu-west-1".into(),
            status: "CURRENT".into(),
            detailed_status: Some("SUCCEEDED".into()),
            reason: None,
            overrides: Vec::new(),
        };
        let after = detail(&InstanceDetail {
            stack_set: "wt",
            instance: &deployed,
            parameters_changed: &[],
        })
        .unwrap();
        assert_eq!(
            after.to_string(),
            json!({ "stack_set": "wt", "instance": deployed, "parameters_changed": [] })
                .to_string()
        );
    }
}
