//! `worktime rollout --engine stacksets` and `worktime teardown --all-accounts --engine
//! stacksets`: the organisation-scale alternative to the direct loop of `rollout`. One
//! CloudFormation stack set, named after the stack and kept in the caller's (administrator)
//! account, holds the parameterised template (`template::build_for_stackset`); each target
//! is a stack instance whose parameter overrides carry that account's zone, triggers,
//! payloads and service ARNs, and the code location in its region.
//!
//! The function code stays in the administrator's artifact bucket of each target region;
//! a bucket policy lets the target accounts (self-managed) or the organisation's accounts
//! (service-managed) read this stack's prefix.
//!
//! Results come back as `rollout::TargetResult` rows, printed by `rollout::print`: one row
//! `stack-set` (the stack set itself and the code buckets), then one per stack instance.
//! An instance that should exist but does not, or is not CURRENT/SUCCEEDED, is a failed row
//! with the reason: never silent.
//!
//! Operations are issued one at a time (CloudFormation runs one operation per stack set)
//! and each is waited for by its operation id. One instance operation per (account, region):
//! the overrides differ for each, since ARNs and buckets are regional.

use std::time::{Duration, Instant};

use aws_sdk_cloudformation::types::{
    AutoDeployment, Capability, ConcurrencyMode, DeploymentTargets, Parameter, PermissionModels,
    StackSetOperationPreferences, StackSetOperationResultStatus, StackSetOperationStatus,
};
use aws_sdk_cloudformation::Client;
use serde::Serialize;
use serde_json::{json, Value};

use crate::artifact::{self, Artifact};
use crate::aws::AwsArgs;
use crate::commands::lifecycle::Session;
use crate::commands::rollout::{self, Selection, TargetResult};
use crate::config::{
    Config, StackSetPermissions, StackSetSettings, DEFAULT_ADMINISTRATION_ROLE_NAME,
};
use crate::error::{Error, Result};
use crate::progress::Progress;
use crate::stack::PlannedChange;
use crate::template;

/// The `account` of the row that reports the stack set itself (and the code buckets).
pub const STACK_SET_ROW: &str = "stack-set";

/// How long one stack set operation may take before worktime stops waiting (it goes on in
/// AWS; re-running resumes).
const MAX_WAIT: Duration = Duration::from_secs(60 * 60);

fn poll_interval() -> Duration {
    // As for stacks: tests against a local endpoint set WORKTIME_POLL_MS low.
    std::env::var("WORKTIME_POLL_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .map(Duration::from_millis)
        .unwrap_or(Duration::from_secs(5))
}

/// The `[stacksets]` table, or the usage error that says how to add it.
pub fn settings(config: &Config) -> Result<&StackSetSettings> {
    config.stacksets.as_ref().ok_or_else(|| {
        Error::Usage(format!(
            "--engine stacksets needs a [stacksets] table in {}: add\n\n[stacksets]\npermission_model = \"self-managed\"   # or \"service-managed\" with organizational_units and organization_id\n\nor leave --engine out to deploy to each account directly",
            config.path.display()
        ))
    })
}

/// One stack instance worktime wants.
#[derive(Debug, Clone)]
struct Wanted {
    /// The account id; for service-managed, the organizational units (joined with `,`):
    /// instances then go to every account in them.
    account: String,
    region: String,
    /// Every template parameter; the code location is added once the administrator
    /// account is known.
    parameters: Vec<(String, String)>,
}

/// Everything checked before any AWS call: the stack set template, and every wanted
/// instance's parameter values (each within CloudFormation's limits).
#[derive(Debug, Clone)]
pub struct Plan {
    settings: StackSetSettings,
    template: String,
    resources: usize,
    wanted: Vec<Wanted>,
}

/// Builds the plan: usage errors (exit 2) for anything wrong, before any call.
pub fn plan(config: &Config, selection: &Selection) -> Result<Plan> {
    let settings = settings(config)?.clone();
    let template = template::build_for_stackset(config)?;
    let resources = template.resources.len();
    let template = template
        .to_yaml()
        .map_err(|e| Error::Other(format!("could not serialise the stack set template: {e}")))?;
    let owned = |values: Vec<(&'static str, String)>| {
        values
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect::<Vec<_>>()
    };
    let wanted = match &settings.permissions {
        StackSetPermissions::SelfManaged { .. } => {
            if config.accounts.is_empty() {
                return Err(Error::Usage(format!(
                    "a self-managed stack set deploys to the [[accounts]] of {}, and there are none: add [[accounts]] entries (id, role or profile, regions), or use permission_model = \"service-managed\"",
                    config.path.display()
                )));
            }
            let mut wanted = Vec::new();
            for target in rollout::targets(config, selection)? {
                let account = target.account_id.clone().unwrap_or_default();
                let parameters = template::stackset_parameters(&target.config, &account)?;
                wanted.push(Wanted {
                    account,
                    region: target.region,
                    parameters: owned(parameters),
                });
            }
            wanted
        }
        StackSetPermissions::ServiceManaged {
            organizational_units,
            ..
        } => {
            if selection.accounts.is_some() {
                return Err(Error::Usage(
                    "--accounts: a service-managed stack set deploys to every account of its organizational units, not to chosen accounts: leave --accounts out (--regions works)".into(),
                ));
            }
            // One configuration for every account of the OUs: per-account values can't
            // reach an account that is not named.
            if let Some(account) = config
                .accounts
                .iter()
                .find(|a| a.schedule != config.schedule || a.services != config.services)
            {
                return Err(Error::Usage(format!(
                    "account {} overrides the schedule or the services, but a service-managed stack set gives every account of its organizational units the same configuration: move the overrides to [schedule] / [[services]], or use permission_model = \"self-managed\" (instances per listed account)",
                    account.id
                )));
            }
            let regions = config.stackset_regions();
            if let Some(filter) = &selection.regions {
                if let Some(unknown) = filter.iter().find(|r| !regions.contains(r)) {
                    return Err(Error::Usage(format!(
                        "--regions: {unknown} is not a region of {} (the [[accounts]] regions, or stack.region)",
                        config.path.display()
                    )));
                }
            }
            let mut wanted = Vec::new();
            for region in regions {
                if selection
                    .regions
                    .as_ref()
                    .is_some_and(|f| !f.contains(&region))
                {
                    continue;
                }
                let mut target = config.clone();
                target.stack.region = region.clone();
                target.accounts.clear();
                wanted.push(Wanted {
                    account: organizational_units.join(","),
                    region,
                    parameters: owned(template::stackset_parameters(&target, "*")?),
                });
            }
            wanted
        }
    };
    Ok(Plan {
        settings,
        template,
        resources,
        wanted,
    })
}

/// What the stack set looks like now.
#[derive(Debug, Clone)]
struct Existing {
    template_body: String,
    permission_model: String,
    administration_role_arn: Option<String>,
    execution_role_name: Option<String>,
    auto_deployment: Option<bool>,
}

async fn describe_stack_set(cfn: &Client, name: &str) -> Result<Option<Existing>> {
    match cfn.describe_stack_set().stack_set_name(name).send().await {
        Ok(out) => Ok(out
            .stack_set()
            .filter(|s| s.status().is_none_or(|st| st.as_str() != "DELETED"))
            .map(|s| Existing {
                template_body: s.template_body().unwrap_or_default().to_string(),
                permission_model: s
                    .permission_model()
                    .map(|m| m.as_str().to_string())
                    .unwrap_or_else(|| "SELF_MANAGED".into()),
                administration_role_arn: s.administration_role_arn().map(str::to_string),
                execution_role_name: s.execution_role_name().map(str::to_string),
                auto_deployment: s.auto_deployment().and_then(|a| a.enabled()),
            })),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_stack_set_not_found_exception()) =>
        {
            Ok(None)
        }
        Err(e) => Err(Error::aws(format!("describing stack set {name}"), e)),
    }
}

/// One stack instance as CloudFormation lists it.
#[derive(Debug, Clone, Serialize)]
struct Deployed {
    account: String,
    region: String,
    /// CURRENT / OUTDATED / INOPERABLE.
    status: String,
    /// SUCCEEDED / FAILED / RUNNING / ...
    #[serde(skip_serializing_if = "Option::is_none")]
    detailed_status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
    #[serde(skip)]
    overrides: Vec<(String, String)>,
}

impl Deployed {
    fn healthy(&self) -> bool {
        self.status == "CURRENT"
            && self
                .detailed_status
                .as_deref()
                .is_none_or(|d| d == "SUCCEEDED")
    }

    /// Why it is not healthy, in words.
    fn problem(&self) -> String {
        let mut text = format!("the stack instance is {}", self.status);
        if let Some(detailed) = &self.detailed_status {
            text.push_str(&format!(" ({detailed})"));
        }
        if let Some(reason) = &self.reason {
            text.push_str(&format!(": {reason}"));
        }
        text
    }
}

/// Every instance of the stack set; with `overrides`, each one's parameter overrides too
/// (one `DescribeStackInstance` each: the list does not carry them).
async fn list_instances(cfn: &Client, name: &str, overrides: bool) -> Result<Vec<Deployed>> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = cfn
            .list_stack_instances()
            .stack_set_name(name)
            .set_next_token(token.clone())
            .send()
            .await
            .map_err(|e| Error::aws(format!("listing the instances of stack set {name}"), e))?;
        for summary in page.summaries() {
            out.push(Deployed {
                account: summary.account().unwrap_or_default().to_string(),
                region: summary.region().unwrap_or_default().to_string(),
                status: summary
                    .status()
                    .map(|s| s.as_str().to_string())
                    .unwrap_or_else(|| "UNKNOWN".into()),
                detailed_status: summary
                    .stack_instance_status()
                    .and_then(|s| s.detailed_status())
                    .map(|d| d.as_str().to_string()),
                reason: summary.status_reason().map(str::to_string),
                overrides: Vec::new(),
            });
        }
        match page.next_token() {
            Some(next) if Some(next) != token.as_deref() => token = Some(next.to_string()),
            _ => break,
        }
    }
    if overrides {
        for instance in &mut out {
            let described = cfn
                .describe_stack_instance()
                .stack_set_name(name)
                .stack_instance_account(&instance.account)
                .stack_instance_region(&instance.region)
                .send()
                .await
                .map_err(|e| {
                    Error::aws(
                        format!(
                            "describing stack instance {}/{}",
                            instance.account, instance.region
                        ),
                        e,
                    )
                })?;
            if let Some(described) = described.stack_instance() {
                instance.overrides = described
                    .parameter_overrides()
                    .iter()
                    .map(|p| {
                        (
                            p.parameter_key().unwrap_or_default().to_string(),
                            p.parameter_value().unwrap_or_default().to_string(),
                        )
                    })
                    .collect();
            }
        }
    }
    Ok(out)
}

/// The parameters whose values differ (or are missing) in `current`.
fn changed_parameters(current: &[(String, String)], wanted: &[(String, String)]) -> Vec<String> {
    wanted
        .iter()
        .filter(|(key, value)| !current.iter().any(|(k, v)| k == key && v == value))
        .map(|(key, _)| key.clone())
        .collect()
}

/// What the new stack set template changes, resource by resource.
fn template_changes(old: Option<&str>, new: &str) -> Vec<PlannedChange> {
    let parse = |text: &str| serde_yaml::from_str::<Value>(text).ok();
    let (Some(new_doc), old_doc) = (parse(new), old.map(parse)) else {
        return Vec::new();
    };
    let resources = |doc: &Value| doc.get("Resources").and_then(Value::as_object).cloned();
    let new_resources = resources(&new_doc).unwrap_or_default();
    let type_of = |r: &Value| r["Type"].as_str().unwrap_or_default().to_string();
    let change = |action: &str, id: &str, resource: &Value| PlannedChange {
        action: action.into(),
        logical_id: id.into(),
        resource_type: type_of(resource),
        detail: None,
    };
    let old_doc = match old_doc {
        None => {
            return new_resources
                .iter()
                .map(|(id, r)| change("add", id, r))
                .collect()
        }
        Some(None) => {
            return vec![PlannedChange {
                action: "modify".into(),
                logical_id: "(template)".into(),
                resource_type: String::new(),
                detail: Some("the current template could not be read".into()),
            }]
        }
        Some(Some(doc)) => doc,
    };
    if old_doc == new_doc {
        return Vec::new();
    }
    let old_resources = resources(&old_doc).unwrap_or_default();
    let mut changes: Vec<PlannedChange> = Vec::new();
    for (id, resource) in &new_resources {
        match old_resources.get(id) {
            None => changes.push(change("add", id, resource)),
            Some(old) if old != resource => changes.push(change("modify", id, resource)),
            Some(_) => {}
        }
    }
    for (id, resource) in &old_resources {
        if !new_resources.contains_key(id) {
            changes.push(change("remove", id, resource));
        }
    }
    if changes.is_empty() {
        changes.push(PlannedChange {
            action: "modify".into(),
            logical_id: "(template)".into(),
            resource_type: String::new(),
            detail: Some("description, parameters or outputs".into()),
        });
    }
    changes
}

fn parameters(values: &[(String, String)]) -> Vec<Parameter> {
    values
        .iter()
        .map(|(k, v)| {
            Parameter::builder()
                .parameter_key(k)
                .parameter_value(v)
                .build()
        })
        .collect()
}

/// A fresh operation id (CloudFormation: `[a-zA-Z0-9][-a-zA-Z0-9]*`, at most 128).
fn operation_id(what: &str) -> String {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    format!(
        "worktime-{what}-{}-{}",
        chrono::Utc::now().format("%Y%m%d%H%M%S%3f"),
        COUNTER.fetch_add(1, Ordering::SeqCst)
    )
}

/// `--concurrency` and `--failure-tolerance` as CloudFormation's operation preferences, with
/// the regions in the config's order. Soft failure tolerance: the concurrency is what was
/// asked for, not capped at tolerance + 1.
fn preferences(selection: &Selection, regions: &[String]) -> StackSetOperationPreferences {
    StackSetOperationPreferences::builder()
        .set_region_order(Some(regions.to_vec()))
        .max_concurrent_count(i32::try_from(selection.concurrency.max(1)).unwrap_or(i32::MAX))
        .failure_tolerance_count(i32::try_from(selection.failure_tolerance).unwrap_or(i32::MAX))
        .concurrency_mode(ConcurrencyMode::SoftFailureTolerance)
        .build()
}

/// Waits for one stack set operation. `None` when it succeeded; otherwise why not, with
/// each failed instance's reason.
async fn wait(cfn: &Client, name: &str, id: &str, progress: &Progress) -> Result<Option<String>> {
    let started = Instant::now();
    loop {
        let described = cfn
            .describe_stack_set_operation()
            .stack_set_name(name)
            .operation_id(id)
            .send()
            .await
            .map_err(|e| Error::aws(format!("describing stack set operation {id}"), e))?;
        let operation = described.stack_set_operation();
        let status = operation.and_then(|o| o.status());
        match status {
            Some(StackSetOperationStatus::Succeeded) => return Ok(None),
            Some(StackSetOperationStatus::Failed) | Some(StackSetOperationStatus::Stopped) => {
                let mut reason = format!(
                    "operation {id} ended {}",
                    status.map(|s| s.as_str()).unwrap_or_default()
                );
                if let Some(text) = operation.and_then(|o| o.status_reason()) {
                    reason.push_str(&format!(": {text}"));
                }
                let results = cfn
                    .list_stack_set_operation_results()
                    .stack_set_name(name)
                    .operation_id(id)
                    .send()
                    .await;
                if let Ok(results) = results {
                    for r in results.summaries() {
                        if r.status() == Some(&StackSetOperationResultStatus::Failed) {
                            reason.push_str(&format!(
                                "; {}/{}: {}",
                                r.account().unwrap_or("?"),
                                r.region().unwrap_or("?"),
                                r.status_reason().unwrap_or("no reason given")
                            ));
                        }
                    }
                }
                return Ok(Some(reason));
            }
            other => {
                if started.elapsed() > MAX_WAIT {
                    return Err(Error::Other(format!(
                        "stack set operation {id} is still {} after {} minutes; it goes on in AWS: re-run to resume",
                        other.map(|s| s.as_str()).unwrap_or("in progress"),
                        MAX_WAIT.as_secs() / 60
                    )));
                }
                progress.step(format!(
                    "operation {id}: {}",
                    other.map(|s| s.as_str()).unwrap_or("pending")
                ));
                tokio::time::sleep(poll_interval()).await;
            }
        }
    }
}

/// The caller's credentials in the stack's home region: the administrator account.
async fn administrator(aws: &AwsArgs, base: &aws_config::SdkConfig) -> Result<Session> {
    Session::connect(base.clone(), aws.custom_endpoint()).await
}

/// An S3 client of the administrator for `region` (a bucket is regional).
fn s3_in(session: &Session, region: &str, path_style: bool) -> aws_sdk_s3::Client {
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&session.sdk)
            .region(aws_config::Region::new(region.to_string()))
            .force_path_style(path_style)
            .build(),
    )
}

/// The bucket policy statement that lets the targets read this stack's code.
fn code_statement(
    permissions: &StackSetPermissions,
    config: &Config,
    bucket: &str,
    region: &str,
) -> Value {
    let partition = template::partition(region);
    let stack = &config.stack.name;
    let mut statement = json!({
        "Sid": statement_id(stack),
        "Effect": "Allow",
        "Action": "s3:GetObject",
        "Resource": format!("arn:{partition}:s3:::{bucket}/{stack}/*"),
    });
    match permissions {
        StackSetPermissions::SelfManaged { .. } => {
            // Every account of the config in this region, whatever --accounts selects: a
            // filtered run must not take access away from the others.
            let mut roots: Vec<String> = Vec::new();
            for account in config
                .accounts
                .iter()
                .filter(|a| a.regions.iter().any(|r| r == region))
            {
                let root = format!("arn:{partition}:iam::{}:root", account.id);
                if !roots.contains(&root) {
                    roots.push(root);
                }
            }
            statement["Principal"] = json!({ "AWS": roots });
        }
        StackSetPermissions::ServiceManaged {
            organization_id, ..
        } => {
            statement["Principal"] = json!("*");
            statement["Condition"] =
                json!({ "StringEquals": { "aws:PrincipalOrgID": organization_id } });
        }
    }
    statement
}

/// `Sid`s allow letters and digits only.
fn statement_id(stack: &str) -> String {
    let name: String = stack.chars().filter(char::is_ascii_alphanumeric).collect();
    format!("WorktimeStackSetCode{name}")
}

/// The bucket's policy, if it has one.
async fn bucket_policy(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    account: &str,
) -> Result<Option<Value>> {
    match s3
        .get_bucket_policy()
        .bucket(bucket)
        .expected_bucket_owner(account)
        .send()
        .await
    {
        // A policy worktime can't read is not replaced: its statements would be lost.
        Ok(out) => out
            .policy()
            .map(|p| {
                serde_json::from_str(p).map_err(|e| {
                    Error::Other(format!(
                        "the policy of bucket {bucket} is not JSON worktime can read ({e}): fix or remove it, then re-run"
                    ))
                })
            })
            .transpose(),
        Err(e) if e.raw_response().is_some_and(|r| r.status().as_u16() == 404) => Ok(None),
        Err(e) => Err(Error::aws(
            format!("reading the policy of bucket {bucket}"),
            e,
        )),
    }
}

/// Puts `statement` into the bucket policy in place of this stack's earlier one (other
/// statements, another stack's say, stay); with `None`, takes this stack's statement out.
async fn set_code_statement(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    account: &str,
    sid: &str,
    statement: Option<Value>,
) -> Result<()> {
    let current = bucket_policy(s3, bucket, account).await?;
    let mut statements: Vec<Value> = current
        .as_ref()
        .and_then(|p| p["Statement"].as_array().cloned())
        .unwrap_or_default();
    let before = statements.len();
    statements.retain(|s| s["Sid"].as_str() != Some(sid));
    let removed = statements.len() != before;
    match statement {
        Some(statement) => statements.push(statement),
        None if !removed => return Ok(()),
        None => {}
    }
    if statements.is_empty() {
        s3.delete_bucket_policy()
            .bucket(bucket)
            .expected_bucket_owner(account)
            .send()
            .await
            .map_err(|e| Error::aws(format!("deleting the policy of bucket {bucket}"), e))?;
        return Ok(());
    }
    let policy = json!({ "Version": "2012-10-17", "Statement": statements });
    s3.put_bucket_policy()
        .bucket(bucket)
        .expected_bucket_owner(account)
        .policy(policy.to_string())
        .send()
        .await
        .map_err(|e| Error::aws(format!("setting the policy of bucket {bucket}"), e))?;
    Ok(())
}

/// The distinct regions, in the order they first appear.
fn regions_of<'a>(items: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut regions: Vec<String> = Vec::new();
    for region in items {
        if !regions.iter().any(|r| r == region) {
            regions.push(region.to_string());
        }
    }
    regions
}

/// What to do with one wanted instance.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    Create,
    Update(Vec<String>),
    Nothing,
}

fn row(account: &str, region: &str, result: &str) -> TargetResult {
    TargetResult {
        account: account.to_string(),
        region: region.to_string(),
        result: result.to_string(),
        changes: 0,
        duration_seconds: 0.0,
        error: None,
        detail: None,
    }
}

fn seconds(d: Duration) -> f64 {
    (d.as_secs_f64() * 10.0).round() / 10.0
}

/// The deployed instances of one wanted entry: the one (account, region) for self-managed;
/// every instance of the region for service-managed (the accounts of the OUs).
fn deployed_for<'a>(
    permissions: &StackSetPermissions,
    wanted: &Wanted,
    deployed: &'a [Deployed],
) -> Vec<&'a Deployed> {
    deployed
        .iter()
        .filter(|d| {
            d.region == wanted.region
                && match permissions {
                    StackSetPermissions::SelfManaged { .. } => d.account == wanted.account,
                    StackSetPermissions::ServiceManaged { .. } => true,
                }
        })
        .collect()
}

fn step_for(permissions: &StackSetPermissions, wanted: &Wanted, deployed: &[Deployed]) -> Step {
    let present = deployed_for(permissions, wanted, deployed);
    if present.is_empty() {
        return Step::Create;
    }
    let mut changed: Vec<String> = Vec::new();
    for instance in &present {
        for key in changed_parameters(&instance.overrides, &wanted.parameters) {
            if !changed.contains(&key) {
                changed.push(key);
            }
        }
    }
    if !changed.is_empty() || present.iter().any(|d| !d.healthy()) {
        Step::Update(changed)
    } else {
        Step::Nothing
    }
}

/// What the stack set itself needs.
fn stack_set_needs(plan: &Plan, existing: &Existing, administration_role_arn: &str) -> Vec<String> {
    let mut needs = Vec::new();
    if existing.template_body != plan.template {
        needs.push("template".to_string());
    }
    match &plan.settings.permissions {
        StackSetPermissions::SelfManaged {
            execution_role_name,
            ..
        } => {
            if existing.administration_role_arn.as_deref() != Some(administration_role_arn) {
                needs.push("administration role".to_string());
            }
            if existing.execution_role_name.as_deref() != Some(execution_role_name.as_str()) {
                needs.push("execution role".to_string());
            }
        }
        StackSetPermissions::ServiceManaged {
            auto_deployment, ..
        } => {
            // Not every endpoint reports AutoDeployment back; only a known difference counts.
            if existing
                .auto_deployment
                .is_some_and(|a| a != *auto_deployment)
            {
                needs.push("automatic deployment".to_string());
            }
        }
    }
    needs
}

fn administration_role_arn(settings: &StackSetSettings, config: &Config, admin: &str) -> String {
    match &settings.permissions {
        StackSetPermissions::SelfManaged {
            administration_role_arn: Some(arn),
            ..
        } => arn.clone(),
        _ => format!(
            "arn:{}:iam::{admin}:role/{DEFAULT_ADMINISTRATION_ROLE_NAME}",
            template::partition(&config.stack.region)
        ),
    }
}

/// `worktime rollout --engine stacksets`: code buckets, the stack set, then every instance;
/// with `dry_run`, what would be created or updated, changing nothing.
pub async fn rollout(
    aws: &AwsArgs,
    base: &aws_config::SdkConfig,
    config: &Config,
    plan: &Plan,
    artifact: &Artifact,
    selection: &Selection,
    dry_run: bool,
) -> Result<Vec<TargetResult>> {
    let progress = Progress::prefixed("[stack set] ");
    let name = config.stack.name.as_str();
    let session = administrator(aws, base).await?;
    let admin = session.account.clone();
    let home = session.region.clone();
    let permissions = &plan.settings.permissions;
    progress.line(format!(
        "stack set {name} ({}) in administrator account {admin} ({}), region {home}",
        permissions.as_str(),
        session.caller_arn
    ));
    let key = artifact.key(name);
    let mut wanted = plan.wanted.clone();
    for w in &mut wanted {
        w.parameters.push((
            template::ids::CODE_S3_BUCKET.to_string(),
            artifact::bucket_name(&admin, &w.region),
        ));
        w.parameters
            .push((template::ids::CODE_S3_KEY.to_string(), key.clone()));
    }
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
                    config.path.display()
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
        let mut set_row = row(STACK_SET_ROW, &home, "planned");
        if existing.is_some() && needs.is_empty() {
            set_row.result = "up-to-date".into();
        }
        set_row.changes = if existing.is_none() {
            plan.resources
        } else {
            changes.len()
        };
        set_row.detail = Some(stack_set_detail(&set_row.result));
        rows.push(set_row);
        for (w, step) in wanted.iter().zip(&steps) {
            let mut r = row(&w.account, &w.region, "planned");
            let (what, count, keys) = match step {
                Step::Create => ("create", plan.resources, Vec::new()),
                Step::Update(keys) => ("update", keys.len() + changes.len(), keys.clone()),
                Step::Nothing if template_reaches_instances => {
                    ("update (stack set template)", changes.len(), Vec::new())
                }
                Step::Nothing => {
                    r.result = "up-to-date".into();
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
    // ---------------------------------------------------------------- code, readable by targets
    let code = async {
        let mut uploaded = Vec::new();
        for region in &regions {
            let s3 = s3_in(&session, region, aws.custom_endpoint());
            let bucket = artifact::bucket_name(&admin, region);
            if artifact::ensure_bucket(&s3, &bucket, &admin, region, &progress).await? {
                progress.line(format!(
                    "created artifact bucket {bucket} (versioned, encrypted, public access blocked)"
                ));
            }
            if artifact::upload(&s3, &bucket, &admin, &key, artifact, &progress).await? {
                progress.line(format!("uploaded function code to s3://{bucket}/{key}"));
                uploaded.push(region.clone());
            }
            let statement = code_statement(permissions, config, &bucket, region);
            set_code_statement(&s3, &bucket, &admin, &statement_id(name), Some(statement)).await?;
        }
        Ok::<_, Error>(uploaded)
    }
    .await;
    let uploaded = match code {
        Ok(uploaded) => uploaded,
        Err(error) => {
            return Ok(abandoned(
                &home,
                &wanted,
                format!("the function code could not be made readable for the targets: {error}"),
            ))
        }
    };

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
                        .key("worktime:stack")
                        .value(name)
                        .build(),
                )
                .set_administration_role_arn(roles.0.clone())
                .set_execution_role_name(roles.1.clone())
                .set_auto_deployment(roles.2.clone())
                .send()
                .await
                .map(|_| "created")
                .map_err(|e| Error::aws(format!("creating stack set {name}"), e).to_string())
        }
        Some(_) if needs.is_empty() => Ok("up-to-date"),
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
                    match wait(&session.cfn, name, &id, &progress).await {
                        Ok(None) => Ok("updated"),
                        Ok(Some(reason)) => Err(reason),
                        Err(e) => Err(e.to_string()),
                    }
                }
                Err(e) => Err(Error::aws(format!("updating stack set {name}"), e).to_string()),
            }
        }
    };
    let mut set_row = row(STACK_SET_ROW, &home, "");
    set_row.duration_seconds = seconds(started.elapsed());
    let set_error = match &set_result {
        Ok(result) => {
            progress.line(format!("stack set {name}: {result}"));
            set_row.result = result.to_string();
            set_row.changes = match *result {
                "created" => plan.resources,
                "updated" => changes.len().max(1),
                _ => 0,
            };
            None
        }
        Err(reason) => {
            progress.warn(format!("stack set {name}: {reason}"));
            set_row.result = "failed".into();
            set_row.error = Some(reason.clone());
            Some(reason.clone())
        }
    };
    let mut detail = stack_set_detail(&set_row.result);
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
        let outcome = instance_operation(
            &session.cfn,
            name,
            permissions,
            w,
            step,
            selection,
            &progress,
        )
        .await;
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
            let mut r = row(&w.account, &w.region, "not-started");
            r.error = Some("not started: the failure tolerance was exceeded".into());
            rows.push(r);
            continue;
        }
        let present = deployed_for(permissions, w, &now);
        if present.is_empty() {
            let mut r = row(&w.account, &w.region, "failed");
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
            let mut r = row(&d.account, &d.region, "");
            r.duration_seconds = seconds(took);
            let (result, count, keys) = match step {
                Step::Create => ("created", plan.resources, Vec::new()),
                Step::Update(keys) => ("updated", keys.len() + changes.len(), keys.clone()),
                Step::Nothing if set_result == Ok("updated") => {
                    ("updated", changes.len(), Vec::new())
                }
                Step::Nothing => ("up-to-date", 0, Vec::new()),
            };
            if d.healthy() && op_error.is_none() {
                r.result = result.into();
                r.changes = count;
            } else {
                r.result = "failed".into();
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

/// Rows when nothing could be done for the instances: the stack set row failed with
/// `reason`, every instance not started.
fn abandoned(home: &str, wanted: &[Wanted], reason: String) -> Vec<TargetResult> {
    let mut set_row = row(STACK_SET_ROW, home, "failed");
    set_row.error = Some(reason);
    let mut rows = vec![set_row];
    for w in wanted {
        let mut r = row(&w.account, &w.region, "not-started");
        r.error = Some("not started: see the stack-set row".into());
        rows.push(r);
    }
    rows
}

/// Creates or updates the instance(s) of one wanted entry and waits. `None` when the
/// operation succeeded; otherwise why not.
async fn instance_operation(
    cfn: &Client,
    name: &str,
    permissions: &StackSetPermissions,
    wanted: &Wanted,
    step: &Step,
    selection: &Selection,
    progress: &Progress,
) -> Result<Option<String>> {
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
    let outcome = wait(cfn, name, &id, progress).await?;
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

/// `worktime teardown --all-accounts --engine stacksets`: deletes the instances (their
/// stacks too), then the stack set and the administrator's code buckets of those regions.
/// With --accounts / --regions only those instances go, and the stack set stays while any
/// instance is left.
pub async fn teardown(
    aws: &AwsArgs,
    base: &aws_config::SdkConfig,
    config: &Config,
    selection: &Selection,
) -> Result<Vec<TargetResult>> {
    let settings = settings(config)?;
    let permissions = &settings.permissions;
    match permissions {
        // Unknown ids or regions in the filters are a usage error, as for rollout.
        StackSetPermissions::SelfManaged { .. } if !config.accounts.is_empty() => {
            rollout::targets(config, selection)?;
        }
        StackSetPermissions::ServiceManaged { .. } if selection.accounts.is_some() => {
            return Err(Error::Usage(
                "--accounts: a service-managed stack set's instances are deleted per organizational unit and region, not per account: leave --accounts out (--regions works)".into(),
            ));
        }
        _ => {}
    }
    let progress = Progress::prefixed("[stack set] ");
    let name = config.stack.name.as_str();
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
                    wait(&session.cfn, name, &id, &progress)
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
        let mut r = row(&d.account, &d.region, "deleted");
        r.duration_seconds = took;
        if let Some(left) = left {
            r.result = "failed".into();
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
        instance_rows.push(r);
    }
    if selected.is_empty() {
        // Nothing deployed: each target says so.
        match permissions {
            StackSetPermissions::SelfManaged { .. } if !config.accounts.is_empty() => {
                for target in rollout::targets(config, selection)? {
                    instance_rows.push(row(
                        target.account_id.as_deref().unwrap_or("caller"),
                        &target.region,
                        "absent",
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
                        instance_rows.push(row(&organizational_units.join(","), region, "absent"));
                    }
                }
            }
            _ => {}
        }
    }

    // ---------------------------------------------------------------- the stack set and the code
    let mut set_row = row(STACK_SET_ROW, &home, "absent");
    let mut set_detail = json!({ "stack_set": name, "administrator": admin });
    let filtered = selection.accounts.is_some() || selection.regions.is_some();
    if filtered && !remaining.is_empty() {
        set_row.result = "kept".into();
        set_detail["kept_because"] = json!(format!(
            "{} instance(s) outside --accounts/--regions remain",
            remaining.len()
        ));
        progress.line(format!(
            "stack set {name} kept: {} instance(s) remain outside the selection",
            remaining.len()
        ));
    } else if !remaining.is_empty() {
        set_row.result = "failed".into();
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
                return Err(Error::Other(format!(
                    "stack set {name} is still there after DeleteStackSet"
                )));
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
                let bucket = artifact::bucket_name(&admin, region);
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
                set_code_statement(&s3, &bucket, &admin, &statement_id(name), None).await?;
                let (count, gone) =
                    artifact::empty_and_delete(&s3, &bucket, &admin, &format!("{name}/")).await?;
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
                set_row.result = if deleted { "deleted" } else { "absent" }.into();
                set_detail["buckets_deleted"] = json!(buckets_deleted);
                set_detail["buckets_kept"] = json!(buckets_kept);
                set_detail["artifact_versions_deleted"] = json!(objects);
            }
            (Err(e), _) | (_, Err(e)) => {
                set_row.result = "failed".into();
                set_row.error = Some(e.to_string());
            }
        }
    }
    set_row.duration_seconds = seconds(started.elapsed());
    set_row.detail = Some(set_detail);
    let mut rows = vec![set_row];
    rows.extend(instance_rows);
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    const BASE: &str = r#"
[stack]
name = "wt"
region = "ap-northeast-2"

[schedule]
timezone = "Asia/Seoul"
scale_out = "cron(0 9 ? * MON-FRI *)"
scale_in = "cron(0 19 ? * MON-FRI *)"
trigger = "rules"

[[services]]
cluster = "prod"
service = "api"
min = 1
max = 3

[[accounts]]
id = "111111111111"
role = "OrganizationAccountAccessRole"
regions = ["ap-northeast-2", "us-east-1"]

[accounts.schedule]
timezone = "Asia/Kolkata"

[[accounts]]
id = "222222222222"
role = "OrganizationAccountAccessRole"
regions = ["eu-west-1"]
"#;

    fn config(extra: &str) -> Config {
        crate::config::parse(&format!("{BASE}\n{extra}"), Path::new("worktime.toml"))
            .unwrap_or_else(|e| panic!("{e}"))
    }

    fn all() -> Selection {
        Selection {
            accounts: None,
            regions: None,
            concurrency: 4,
            failure_tolerance: 0,
        }
    }

    fn value<'a>(w: &'a Wanted, key: &str) -> &'a str {
        &w.parameters.iter().find(|(k, _)| k == key).unwrap().1
    }

    #[test]
    fn self_managed_plan_has_one_instance_per_account_and_region_with_its_values() {
        let plan = plan(&config("[stacksets]\n"), &all()).unwrap();
        let pairs: Vec<(&str, &str)> = plan
            .wanted
            .iter()
            .map(|w| (w.account.as_str(), w.region.as_str()))
            .collect();
        assert_eq!(
            pairs,
            [
                ("111111111111", "ap-northeast-2"),
                ("111111111111", "us-east-1"),
                ("222222222222", "eu-west-1"),
            ]
        );
        let first = &plan.wanted[1];
        assert_eq!(value(first, "ScheduleTimezone"), "Asia/Kolkata");
        assert_eq!(
            value(first, "ScaleOutExpression"),
            "cron(30 3 ? * MON-FRI *)"
        );
        assert_eq!(
            value(first, "ServiceArnPatterns"),
            "arn:aws:ecs:us-east-1:111111111111:service/prod/*"
        );
        let input: Value = serde_json::from_str(value(first, "ScaleInInput")).unwrap();
        assert_eq!(input["action"], "scale-in");
        assert_eq!(input["timezone"], "Asia/Kolkata");
        assert_eq!(value(&plan.wanted[2], "ScheduleTimezone"), "Asia/Seoul");
        assert!(plan.template.contains("ServiceArnPatterns"));
        assert!(plan.resources > 5);
    }

    #[test]
    fn service_managed_plan_has_one_entry_per_region_and_refuses_overrides() {
        let sm = "[stacksets]\npermission_model = \"service-managed\"\norganizational_units = [\"ou-abcd-12345678\"]\norganization_id = \"o-abcdefghij\"\n";
        let err = plan(&config(sm), &all()).unwrap_err();
        assert_eq!(err.exit_code(), crate::error::EXIT_USAGE);
        assert!(
            err.to_string().contains("account 111111111111 overrides"),
            "{err}"
        );
        let text = BASE.replace("[accounts.schedule]\ntimezone = \"Asia/Kolkata\"\n", "");
        let c = crate::config::parse(&format!("{text}\n{sm}"), Path::new("worktime.toml")).unwrap();
        let p = plan(&c, &all()).unwrap();
        let regions: Vec<&str> = p.wanted.iter().map(|w| w.region.as_str()).collect();
        assert_eq!(regions, ["ap-northeast-2", "us-east-1", "eu-west-1"]);
        assert_eq!(p.wanted[0].account, "ou-abcd-12345678");
        assert_eq!(
            value(&p.wanted[1], "ServiceArnPatterns"),
            "arn:aws:ecs:us-east-1:*:service/prod/*"
        );
        let err = plan(
            &c,
            &Selection {
                accounts: Some(vec!["111111111111".into()]),
                ..all()
            },
        )
        .unwrap_err();
        assert!(err.to_string().contains("--accounts"), "{err}");
    }

    #[test]
    fn usage_errors_before_any_call() {
        let plain = crate::config::parse(BASE, Path::new("worktime.toml")).unwrap();
        let err = plan(&plain, &all()).unwrap_err();
        assert_eq!(err.exit_code(), crate::error::EXIT_USAGE);
        assert!(err.to_string().contains("[stacksets]"), "{err}");
        let mixed = config("[stacksets]\n").clone();
        let mut mixed = mixed;
        mixed.accounts[1].schedule.trigger = crate::config::Trigger::Scheduler;
        let err = plan(&mixed, &all()).unwrap_err();
        assert_eq!(err.exit_code(), crate::error::EXIT_USAGE);
        assert!(err.to_string().contains("same trigger kind"), "{err}");
    }

    #[test]
    fn template_changes_by_resource() {
        let old = "Resources:\n  A:\n    Type: AWS::SQS::Queue\n    Properties: {}\n  B:\n    Type: AWS::SNS::Topic\n";
        let new = "Resources:\n  A:\n    Type: AWS::SQS::Queue\n    Properties:\n      X: 1\n  C:\n    Type: AWS::IAM::Role\n";
        let changes: Vec<(String, String)> = template_changes(Some(old), new)
            .into_iter()
            .map(|c| (c.action, c.logical_id))
            .collect();
        assert_eq!(
            changes,
            [
                ("modify".to_string(), "A".to_string()),
                ("add".into(), "C".into()),
                ("remove".into(), "B".into())
            ]
        );
        assert!(template_changes(Some(new), new).is_empty());
        assert_eq!(template_changes(None, new).len(), 2);
    }

    #[test]
    fn steps_from_overrides_and_status() {
        let perms = StackSetPermissions::SelfManaged {
            administration_role_arn: None,
            execution_role_name: "E".into(),
        };
        let wanted = Wanted {
            account: "111111111111".into(),
            region: "us-east-1".into(),
            parameters: vec![("A".into(), "1".into()), ("B".into(), "2".into())],
        };
        let deployed = |overrides: &[(&str, &str)], status: &str| Deployed {
            account: "111111111111".into(),
            region: "us-east-1".into(),
            status: status.into(),
            detailed_status: Some("SUCCEEDED".into()),
            reason: None,
            overrides: overrides
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        };
        assert_eq!(step_for(&perms, &wanted, &[]), Step::Create);
        assert_eq!(
            step_for(
                &perms,
                &wanted,
                &[deployed(&[("A", "1"), ("B", "2")], "CURRENT")]
            ),
            Step::Nothing
        );
        assert_eq!(
            step_for(
                &perms,
                &wanted,
                &[deployed(&[("A", "1"), ("B", "3")], "CURRENT")]
            ),
            Step::Update(vec!["B".into()])
        );
        assert_eq!(
            step_for(
                &perms,
                &wanted,
                &[deployed(&[("A", "1"), ("B", "2")], "OUTDATED")]
            ),
            Step::Update(Vec::new()),
            "an unhealthy instance is updated again"
        );
    }

    #[test]
    fn code_statement_per_permission_model() {
        let c = config("[stacksets]\n");
        let s = code_statement(
            &c.stacksets.as_ref().unwrap().permissions,
            &c,
            "worktime-artifacts-999999999999-ap-northeast-2",
            "ap-northeast-2",
        );
        assert_eq!(s["Sid"], "WorktimeStackSetCodewt");
        assert_eq!(
            s["Resource"],
            "arn:aws:s3:::worktime-artifacts-999999999999-ap-northeast-2/wt/*"
        );
        assert_eq!(
            s["Principal"]["AWS"],
            json!(["arn:aws:iam::111111111111:root"]),
            "only the accounts of that region"
        );
        let sm = StackSetPermissions::ServiceManaged {
            organizational_units: vec!["ou-abcd-12345678".into()],
            organization_id: "o-abcdefghij".into(),
            auto_deployment: true,
        };
        let s = code_statement(&sm, &c, "b", "cn-north-1");
        assert_eq!(s["Principal"], "*");
        assert_eq!(
            s["Condition"]["StringEquals"]["aws:PrincipalOrgID"],
            "o-abcdefghij"
        );
        assert_eq!(s["Resource"], "arn:aws-cn:s3:::b/wt/*");
    }
}
