//! The stack's lifecycle in one account and region: apply (bootstrap / deploy), diff and
//! teardown, each safe to re-run at any point. Used by the single-account commands and by
//! each target of a rollout.

use std::fmt;

use serde::Serialize;

use super::artifact::{self, Artifact};
use super::changes::PlannedChange;
use super::stack::{self, Applied};
use super::{bucket, concurrency, execution_role, leftovers, service_role};
use crate::aws::calls::{Call, Cmd::*, On};
use crate::aws::Session;
use crate::config::StackConfig;
use crate::error::{Error, Result};
use crate::progress::{self, Progress};
use crate::scaling;
use crate::template::{self, ids, TemplateFormat};

/// The calls this module makes (the permissions table, `policy::table`).
pub const CALLS: &[Call] = &[Call::new(
    "S3",
    "HeadBucket",
    "s3:ListBucket",
    &[Bootstrap, Deploy, Teardown],
    On::ArtifactBucket,
)];

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
    execution_role::check(session, config).await?;
    concurrency::check(session, config).await?;
    super::capacity::check(session, config).await?;
    // The woken services' routes, which the template lets the function rewrite.
    let checked = super::wake::check(session, config).await?;
    let config = &checked;
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
            return Err(bucket::BucketError::Missing {
                bucket,
                account: session.account.clone(),
            }
            .into());
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
        config.stack.execution_role_arn.as_deref(),
        &template,
        &parameters(&bucket, &key, &stored.version_id),
        progress,
        session.poll,
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
    let (applied, info) = stack::execute(&session.cfn, &prepared, progress, session.poll).await?;
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
    // The same template a deploy would make: with the woken services' routes.
    let checked = super::wake::check(session, config).await?;
    let config = &checked;
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
        config.stack.execution_role_arn.as_deref(),
        &template,
        &parameters(&bucket, &key, &version),
        progress,
        session.poll,
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
    /// Woken services (`cluster/service`) whose rules were put back from their wake target
    /// groups before the stack was deleted.
    pub routes_put_back: Vec<String>,
    pub objects_deleted: usize,
    pub bucket_deleted: bool,
    pub bucket_kept_reason: Option<String>,
    /// Services scaled back out once the stack (its triggers) was gone (`None`:
    /// `--no-restore`, left as they were).
    pub restored: Option<Vec<String>>,
    /// Services whose `worktime:capacity` tag was removed.
    pub untagged: Vec<String>,
    /// Services (or selectors) that could not be given back, each with why: they stay as they
    /// are, with their `worktime:capacity` tag (re-running teardown gives them back).
    pub not_given_back: Vec<String>,
    /// Anything under worktime's names still present after teardown.
    pub leftovers: Vec<String>,
}

impl TeardownReport {
    /// What is wrong after this teardown, as one message (`None`: nothing): services not
    /// given back, leftovers.
    pub fn problems(&self) -> Option<String> {
        let mut problems = Vec::new();
        if !self.not_given_back.is_empty() {
            problems.push(not_given_back_message(
                &self.stack,
                &self.not_given_back,
                "worktime teardown",
            ));
        }
        if !self.leftovers.is_empty() {
            problems.push(format!(
                "teardown left {} item(s) behind: {}",
                self.leftovers.len(),
                self.leftovers.join(", ")
            ));
        }
        (!problems.is_empty()).then(|| problems.join("; "))
    }
}

/// The services a teardown could not give back, and the fix: correct them, then `rerun` (a
/// teardown that gives back what is still down, with or without the stack).
pub fn not_given_back_message(stack: &str, problems: &[String], rerun: &str) -> String {
    format!(
        "{} of stack {stack} could not be given back and stay as they are (a service keeps its worktime:capacity tag): {}. Fix: correct the service (or its worktime:capacity tag), then run `{rerun}` again: it gives back what is still down",
        if problems.len() == 1 {
            "1 service (or selector)".to_string()
        } else {
            format!("{} services (or selectors)", problems.len())
        },
        problems.join("; ")
    )
}

/// The woken services' routes teardown could not put back (or read), and the fix; nothing
/// else was changed.
pub fn routes_not_put_back_message(stack: &str, problems: &[String]) -> String {
    format!(
        "teardown of stack {stack} stopped before deleting anything: its woken services' rules could not all be put back from their wake target groups ({} problem(s)), and Elastic Load Balancing refuses to delete a target group an action still references: {}. Fix: put each rule named back by hand as its worktime:wake-route tag says (or make it forward without the wake target group) and remove that tag, then run `worktime teardown` again",
        problems.len(),
        problems.join("; ")
    )
}

/// `worktime teardown`: the woken services' rules put back from the wake target groups, the
/// stack (its triggers and function), then the services it scaled in given back, then the
/// artifacts (all versions) and the bucket; then a check for leftovers.
pub async fn teardown(
    session: &Session,
    config: &StackConfig,
    restore: bool,
    progress: &Progress,
) -> Result<TeardownReport> {
    let stack_name = &config.stack.name;
    // Not ours, or a missing execution role: refused before anything is touched (services
    // included).
    let existing = stack::describe(&session.cfn, stack_name).await?;
    if let Some(existing) = &existing {
        existing.ensure_ours()?;
    }
    execution_role::check(session, config).await?;
    // The give-back's events are made before anything is touched: a config that cannot
    // make them stops here.
    let events = if restore {
        Some(give_back_events(config)?)
    } else {
        None
    };
    // The woken services' rules back from their wake target groups, before the stack: ELB
    // refuses to delete a target group an action still references, so deleting the stack
    // at night would fail (DELETE_FAILED) with the rules at a group whose function is going.
    // A route that cannot be put back (changed by someone since the night: it still
    // forwards to the wake group) would fail the deletion all the same, so teardown stops
    // here, before anything else changes (exit 1, the rule named with its fix); the routes
    // it did put back stay put back. Window: from here until the services are given back
    // below (the stack's deletion), a sleeping service's rules forward to its own target
    // groups with no task behind them: the load balancer answers 503 instead of the wake
    // page. And until the stack is gone, a scale-in or reconcile delivered meanwhile may
    // point them at the wake group again: the deletion then fails naming the group, and
    // running teardown again puts them back and finishes.
    let routes =
        super::wake::restore::put_back(session, config, existing.is_some(), progress).await;
    if !routes.problems.is_empty() {
        return Err(Error::TeardownIncomplete {
            problems: routes_not_put_back_message(stack_name, &routes.problems),
        });
    }
    // The stack first: while its triggers and function exist, a scale-in delivered (or
    // retried: Lambda keeps an event up to 6 hours) during the teardown would take a service
    // that was just given back down again, and then nothing would be left to bring it back.
    let deleted = stack::delete(
        &session.cfn,
        stack_name,
        config.stack.execution_role_arn.as_deref(),
        progress,
        session.poll,
    )
    .await;
    match &deleted {
        Ok(true) => progress.line(format!("deleted stack {stack_name}")),
        Ok(false) => progress.line(format!(
            "no stack {stack_name} in {}/{}",
            session.account, session.region
        )),
        Err(error) => progress.warn(format!("deleting stack {stack_name} failed: {error}")),
    }
    // Then the services, even when the deletion failed. Giving them back is never worse than
    // leaving them down: if the function and some trigger survived, they act as before the
    // teardown (a scale-in remembers the capacity again, the next teardown gives it back);
    // if not, nothing else would bring the services back. Leaving them down until the stack
    // is fixed would keep them stopped through working hours.
    let give_back = match &events {
        Some(events) => Some(release_services(session, config, events, progress).await),
        None => {
            progress.line("--no-restore: services left as they are");
            None
        }
    };
    let stack_deleted = match deleted {
        Ok(deleted) => deleted,
        Err(error) => {
            if let Some(give_back) = &give_back {
                progress.warn(format!(
                    "stack {stack_name} was not deleted, and its triggers may still scale services in: {}; run `worktime teardown` again once the stack can be deleted",
                    if give_back.problems.is_empty() {
                        "the services were given back all the same".to_string()
                    } else {
                        format!(
                            "{} could not be given back either (see above)",
                            give_back.problems.len()
                        )
                    }
                ));
            }
            return Err(error);
        }
    };
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
    let (restored, untagged, not_given_back) = match give_back {
        Some(g) => (Some(g.restored), g.untagged, g.problems),
        None => (None, Vec::new(), Vec::new()),
    };
    Ok(TeardownReport {
        stack: stack_name.clone(),
        account: session.account.clone(),
        region: session.region.clone(),
        stack_deleted,
        routes_put_back: routes.services,
        objects_deleted,
        bucket_deleted,
        bucket_kept_reason,
        restored,
        untagged,
        not_given_back,
        leftovers,
    })
}

/// What giving back a stack's services did.
#[derive(Debug, Default)]
pub struct GiveBack {
    /// Scaled back out to their working-hours capacity.
    pub restored: Vec<String>,
    /// Their worktime tags removed.
    pub untagged: Vec<String>,
    /// What could not be given back, each with why (a service keeps its `worktime:capacity`
    /// tag then: it is the only record of what it had).
    pub problems: Vec<String>,
}

/// The scale-out events a give-back runs, one per schedule in use (skip dates do not apply:
/// `release` clears them).
pub fn give_back_events(config: &StackConfig) -> Result<Vec<worktime_lambda::ScalingEvent>> {
    scaling::events_for(
        config,
        worktime_lambda::Action::ScaleOut,
        false,
        chrono::Utc::now(),
    )
}

/// Scales out the services a scale-in left down (as the morning trigger would) and takes
/// worktime's tags off them. Run once the stack's triggers are gone (see [`teardown`]); what
/// could not be given back is in [`GiveBack::problems`].
pub async fn release_services(
    session: &Session,
    config: &StackConfig,
    events: &[worktime_lambda::ScalingEvent],
    progress: &Progress,
) -> GiveBack {
    let now = chrono::Utc::now();
    progress.step(format!(
        "restoring the services {} scaled in",
        config.stack.name
    ));
    let clients = crate::aws::clients::function(&session.sdk);
    // The `[[capacity]]` groups first, as in the morning: the services' tasks need their
    // instances.
    let groups: Vec<worktime_lambda::CapacityTarget> = events
        .iter()
        .flat_map(|e| e.capacity.iter().cloned())
        .collect();
    let group_release = worktime_lambda::release_groups(&clients, &groups).await;
    // Each schedule's services (and the services its selectors select now).
    let mut releases = Vec::with_capacity(events.len());
    for event in events {
        releases.push(worktime_lambda::release(&clients, event, now).await);
    }
    let mut problems: Vec<String> = group_release.problems;
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
    let restored: Vec<String> = group_release
        .restored
        .iter()
        .map(|g| group_label(g))
        .chain(
            releases
                .iter()
                .flat_map(|r| &r.restored.services)
                .filter(|s| s.outcome == worktime_lambda::Outcome::Changed)
                .map(|s| s.resource_id.clone()),
        )
        .collect();
    for id in &restored {
        progress.line(format!("restored {id} to its working-hours capacity"));
    }
    for problem in &problems {
        progress.warn(format!("not given back: {problem}"));
    }
    let untagged = group_release
        .untagged
        .iter()
        .map(|g| group_label(g))
        .chain(releases.into_iter().flat_map(|r| r.untagged))
        .collect();
    GiveBack {
        restored,
        untagged,
        problems,
    }
}

/// How a give-back names an Auto Scaling group beside the services' resource ids.
fn group_label(group: &str) -> String {
    format!("autoscaling-group/{group}")
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
        if !self.routes_put_back.is_empty() {
            writeln!(
                f,
                "woken services' rules as deployed before the stack was deleted: {}",
                self.routes_put_back.join(", ")
            )?;
        }
        match &self.restored {
            None => writeln!(f, "services left as they were (--no-restore)")?,
            Some(restored) if restored.is_empty() => {
                writeln!(f, "no service was scaled in: none to restore")?
            }
            Some(restored) => writeln!(
                f,
                "restored once the stack was gone: {}",
                restored.join(", ")
            )?,
        }
        if !self.not_given_back.is_empty() {
            writeln!(f, "NOT given back (still as they were):")?;
            for problem in &self.not_given_back {
                writeln!(f, "  {problem}")?;
            }
        }
        if !self.untagged.is_empty() {
            writeln!(
                f,
                "removed worktime's tags (worktime:capacity, worktime:hold-until, the wake record) from: {}",
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
