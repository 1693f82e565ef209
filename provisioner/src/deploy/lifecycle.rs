//! The stack's lifecycle in one account and region: apply (bootstrap / deploy), diff and
//! teardown, each safe to re-run at any point. Used by the single-account commands and by
//! each target of a rollout.

use std::fmt;

use serde::Serialize;

use super::artifact::{self, Artifact};
use super::changes::PlannedChange;
use super::stack::{self, Applied};
use super::{bucket, concurrency, leftovers, service_role};
use crate::aws::Session;
use crate::config::StackConfig;
use crate::error::{Error, Result};
use crate::progress::{self, Progress};
use crate::scaling;
use crate::template::{self, ids, TemplateFormat};

/// How a bootstrap, deploy or diff ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DeployResult {
    Created,
    Updated,
    UpToDate,
    /// A diff with changes to make.
    Planned,
    /// Declined at the prompt: nothing was changed.
    Cancelled,
}

impl fmt::Display for DeployResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DeployResult::Created => "created",
            DeployResult::Updated => "updated",
            DeployResult::UpToDate => "up-to-date",
            DeployResult::Planned => "planned",
            DeployResult::Cancelled => "cancelled",
        })
    }
}

impl From<Applied> for DeployResult {
    fn from(applied: Applied) -> Self {
        match applied {
            Applied::Created => DeployResult::Created,
            Applied::Updated => DeployResult::Updated,
        }
    }
}

/// The result of bootstrap / deploy / diff, as printed.
#[derive(Debug, Serialize)]
pub struct DeployReport {
    pub stack: String,
    pub account: String,
    pub region: String,
    pub result: DeployResult,
    pub changes: Vec<PlannedChange>,
    pub code_uploaded: bool,
    pub outputs: Vec<(String, String)>,
}

/// What `bootstrap` and `deploy` share. `bootstrap` also prepares the account (role, bucket).
pub struct ApplyOptions<'a> {
    pub config: &'a StackConfig,
    pub artifact: &'a Artifact,
    /// Apply without asking (`--yes`, or a rollout confirmed up front).
    pub yes: bool,
    pub prepare_account: bool,
}

/// Bootstrap (with `prepare_account`) or deploy: code upload, change set, confirmation,
/// execution.
pub async fn apply(
    session: &Session,
    options: ApplyOptions<'_>,
    progress: &Progress,
) -> Result<DeployReport> {
    let config = options.config;
    let stack_name = &config.stack.name;
    progress.line(format!(
        "account {} ({}), region {}",
        session.account, session.caller_arn, session.region
    ));
    // What must stop the run is found before anything is created: a [notify] topic in
    // another region (`--region`), a stack of this name that is not worktime's, and a
    // reservation AWS would refuse.
    config.check_notify_region(&session.region)?;
    if let Some(existing) = stack::describe(&session.cfn, stack_name).await? {
        existing.ensure_ours()?;
    }
    concurrency::check(session, config).await?;
    let bucket = bucket::bucket_name(&session.account, &session.region);
    if options.prepare_account {
        if service_role::ensure(&session.iam).await? {
            progress.line("created the Application Auto Scaling service-linked role for ECS");
        }
        if bucket::ensure(
            &session.s3,
            &bucket,
            &session.account,
            &session.region,
            progress,
        )
        .await?
        {
            progress.line(format!(
                "created artifact bucket {bucket} (versioned, encrypted, public access blocked)"
            ));
        }
    } else {
        let present = session
            .s3
            .head_bucket()
            .bucket(&bucket)
            .expected_bucket_owner(&session.account)
            .send()
            .await;
        if present.is_err() {
            return Err(Error::Usage(format!(
                "artifact bucket {bucket} not found in account {}: run `worktime bootstrap` first",
                session.account
            )));
        }
    }

    // Template first: a config that cannot become a template stops before any upload.
    let template = template::render(config, TemplateFormat::Yaml)?;
    let artifact = options.artifact;
    let key = artifact.key(&artifact::stack_prefix(stack_name));
    let stored = bucket::upload(
        &session.s3,
        &bucket,
        &session.account,
        &key,
        artifact,
        progress,
    )
    .await?;
    let uploaded = stored.uploaded;
    if uploaded {
        progress.line(format!("uploaded function code to s3://{bucket}/{key}"));
    }

    let prepared = stack::prepare(
        &session.cfn,
        stack_name,
        &template,
        &parameters(&bucket, &key, &stored.version_id),
        progress,
    )
    .await?;
    let mut report = DeployReport {
        stack: stack_name.clone(),
        account: session.account.clone(),
        region: session.region.clone(),
        result: DeployResult::UpToDate,
        changes: prepared.changes.clone(),
        code_uploaded: uploaded,
        outputs: Vec::new(),
    };
    if prepared.up_to_date {
        progress.line(format!(
            "stack {stack_name} is up to date: nothing to change"
        ));
        report.result = DeployResult::UpToDate;
        report.outputs = stack::describe(&session.cfn, stack_name)
            .await?
            .map(|s| s.outputs)
            .unwrap_or_default();
        return Ok(report);
    }
    progress.line(format!("{} change(s):", prepared.changes.len()));
    for change in &prepared.changes {
        progress.line(format!("  {change}"));
    }
    let confirmed = progress::confirm(
        "Apply these changes?",
        "deploy applies the changes listed above",
        options.yes,
        Some(progress),
    );
    match confirmed {
        Ok(true) => {}
        Ok(false) => {
            stack::discard(&session.cfn, &prepared).await?;
            progress.line("cancelled: nothing was changed");
            report.result = DeployResult::Cancelled;
            return Ok(report);
        }
        Err(refused) => {
            stack::discard(&session.cfn, &prepared).await?;
            return Err(refused);
        }
    }
    let (applied, info) = stack::execute(&session.cfn, &prepared, progress).await?;
    report.result = applied.into();
    progress.line(format!("stack {stack_name}: {}", info.status.as_str()));
    report.outputs = info.outputs;
    Ok(report)
}

/// `worktime diff`: the change set's content, then the change set is deleted. Uploads
/// nothing: the code's key is derived from its hash, and code not uploaded yet shows as a
/// new object version.
pub async fn diff(
    session: &Session,
    config: &StackConfig,
    artifact: &Artifact,
    progress: &Progress,
) -> Result<DeployReport> {
    let stack_name = &config.stack.name;
    let template = template::render(config, TemplateFormat::Yaml)?;
    let bucket = bucket::bucket_name(&session.account, &session.region);
    let key = artifact.key(&artifact::stack_prefix(stack_name));
    let version = bucket::stored_version(&session.s3, &bucket, &session.account, &key, artifact)
        .await
        .ok()
        .flatten()
        .unwrap_or_else(|| bucket::NOT_UPLOADED.to_string());
    let prepared = stack::prepare(
        &session.cfn,
        stack_name,
        &template,
        &parameters(&bucket, &key, &version),
        progress,
    )
    .await?;
    stack::discard(&session.cfn, &prepared).await?;
    Ok(DeployReport {
        stack: stack_name.clone(),
        account: session.account.clone(),
        region: session.region.clone(),
        result: if prepared.up_to_date {
            DeployResult::UpToDate
        } else {
            DeployResult::Planned
        },
        changes: prepared.changes,
        code_uploaded: false,
        outputs: Vec::new(),
    })
}

fn parameters(bucket: &str, key: &str, version: &str) -> Vec<(String, String)> {
    vec![
        (ids::CODE_S3_BUCKET.to_string(), bucket.to_string()),
        (ids::CODE_S3_KEY.to_string(), key.to_string()),
        (ids::CODE_S3_OBJECT_VERSION.to_string(), version.to_string()),
    ]
}

impl fmt::Display for DeployReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "stack {} in {}/{}: {}",
            self.stack, self.account, self.region, self.result
        )?;
        if self.result == DeployResult::Planned {
            if self.changes.is_empty() {
                writeln!(f, "no changes")?;
            }
            for change in &self.changes {
                writeln!(f, "  {change}")?;
            }
        }
        for (key, value) in &self.outputs {
            writeln!(f, "  {key:<20} {value}")?;
        }
        Ok(())
    }
}

/// What teardown removed and what it found left behind.
#[derive(Debug, Serialize)]
pub struct TeardownReport {
    pub stack: String,
    pub account: String,
    pub region: String,
    pub stack_deleted: bool,
    pub objects_deleted: usize,
    pub bucket_deleted: bool,
    pub bucket_kept_reason: Option<String>,
    /// Services scaled back out before the stack went (`None`: `--no-restore`, left as
    /// they were).
    pub restored: Option<Vec<String>>,
    /// Services whose `worktime:capacity` tag was removed.
    pub untagged: Vec<String>,
    /// Anything under worktime's names still present after teardown.
    pub leftovers: Vec<String>,
}

/// `worktime teardown`: stack, artifacts (all versions), bucket; then a check for leftovers.
pub async fn teardown(
    session: &Session,
    config: &StackConfig,
    restore: bool,
    progress: &Progress,
) -> Result<TeardownReport> {
    let stack_name = &config.stack.name;
    // Not ours: refused before anything is touched (services included).
    if let Some(existing) = stack::describe(&session.cfn, stack_name).await? {
        existing.ensure_ours()?;
    }
    // The services first: once the stack is gone nothing would bring them back.
    let (restored, untagged) = if restore {
        let (restored, untagged) = release_services(session, config, progress).await?;
        (Some(restored), untagged)
    } else {
        progress.line("--no-restore: services left as they are");
        (None, Vec::new())
    };
    let stack_deleted = stack::delete(&session.cfn, stack_name, progress).await?;
    if stack_deleted {
        progress.line(format!("deleted stack {stack_name}"));
    } else {
        progress.line(format!(
            "no stack {stack_name} in {}/{}",
            session.account, session.region
        ));
    }
    let bucket = bucket::bucket_name(&session.account, &session.region);
    let (objects_deleted, bucket_deleted) = bucket::empty_and_delete(
        &session.s3,
        &bucket,
        &session.account,
        &artifact::stack_prefix(stack_name),
    )
    .await?;
    let bucket_present = !bucket_deleted
        && session
            .s3
            .head_bucket()
            .bucket(&bucket)
            .expected_bucket_owner(&session.account)
            .send()
            .await
            .is_ok();
    let bucket_kept_reason = bucket_present
        .then(|| format!("bucket {bucket} still holds other stacks' artifacts: kept"));
    if objects_deleted > 0 {
        progress.line(format!(
            "deleted {objects_deleted} artifact version(s) from {bucket}"
        ));
    }
    if bucket_deleted {
        progress.line(format!("deleted artifact bucket {bucket}"));
    }
    if let Some(reason) = &bucket_kept_reason {
        progress.line(reason);
    }
    let leftovers = leftovers::leftovers(session, config).await;
    Ok(TeardownReport {
        stack: stack_name.clone(),
        account: session.account.clone(),
        region: session.region.clone(),
        stack_deleted,
        objects_deleted,
        bucket_deleted,
        bucket_kept_reason,
        restored,
        untagged,
        leftovers,
    })
}

/// Scales out the services a scale-in left down (as the morning trigger would) and takes
/// worktime's tag off them; refuses to go on, naming why, when a service cannot be restored.
/// Returns (services restored, services untagged).
pub async fn release_services(
    session: &Session,
    config: &StackConfig,
    progress: &Progress,
) -> Result<(Vec<String>, Vec<String>)> {
    let now = chrono::Utc::now();
    let events = scaling::events_for(config, worktime_lambda::Action::ScaleOut, false, now)?;
    progress.step(format!(
        "restoring the services {} scaled in",
        config.stack.name
    ));
    let clients = worktime_lambda::Clients::new(&session.sdk);
    // Each schedule's services (and the services its selectors select now).
    let mut releases = Vec::with_capacity(events.len());
    for event in &events {
        releases.push(worktime_lambda::release(&clients, event, now).await);
    }
    if releases.iter().any(worktime_lambda::Release::has_failures) {
        let mut problems: Vec<String> = Vec::new();
        for release in &releases {
            problems.extend(release.restored.failed().map(|s| {
                format!(
                    "{} ({})",
                    s.resource_id,
                    s.reason.as_deref().unwrap_or("failed")
                )
            }));
            problems.extend(release.restored.failed_selectors().map(|s| {
                format!(
                    "selector {} ({})",
                    s.selector,
                    s.error.as_deref().unwrap_or("failed")
                )
            }));
            problems.extend(release.tag_errors.iter().cloned());
        }
        return Err(Error::Other(format!(
            "could not give back every service before deleting stack {}: {}. Nothing was deleted. Fix the service (or its worktime:capacity tag) and re-run, or pass --no-restore to leave services as they are",
            config.stack.name,
            problems.join("; ")
        )));
    }
    let restored: Vec<String> = releases
        .iter()
        .flat_map(|r| &r.restored.services)
        .filter(|s| s.outcome == worktime_lambda::Outcome::Changed)
        .map(|s| s.resource_id.clone())
        .collect();
    for id in &restored {
        progress.line(format!("restored {id} to its working-hours capacity"));
    }
    let untagged = releases.into_iter().flat_map(|r| r.untagged).collect();
    Ok((restored, untagged))
}

impl fmt::Display for TeardownReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "teardown of {} in {}/{}: stack {}, {} artifact version(s) deleted, bucket {}",
            self.stack,
            self.account,
            self.region,
            if self.stack_deleted {
                "deleted"
            } else {
                "not found"
            },
            self.objects_deleted,
            if self.bucket_deleted {
                "deleted"
            } else {
                "not deleted"
            },
        )?;
        match &self.restored {
            None => writeln!(f, "services left as they were (--no-restore)")?,
            Some(restored) if restored.is_empty() => {
                writeln!(f, "no service was scaled in: none to restore")?
            }
            Some(restored) => {
                writeln!(f, "restored before the stack went: {}", restored.join(", "))?
            }
        }
        if !self.untagged.is_empty() {
            writeln!(
                f,
                "removed worktime's tags (worktime:capacity, worktime:hold-until) from: {}",
                self.untagged.join(", ")
            )?;
        }
        if self.leftovers.is_empty() {
            writeln!(
                f,
                "nothing of worktime's is left under the name {}",
                self.stack
            )?;
        } else {
            writeln!(f, "still present:")?;
            for item in &self.leftovers {
                writeln!(f, "  {item}")?;
            }
        }
        writeln!(f,
            "kept on purpose: the Application Auto Scaling service-linked role for ECS (AWS's own; other scaling uses it)"
        )?;
        Ok(())
    }
}
