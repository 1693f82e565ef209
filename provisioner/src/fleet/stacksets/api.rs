//! CloudFormation StackSets calls: describe the stack set and its instances, run one
//! operation and wait for it by id.

use std::time::Instant;

use aws_sdk_cloudformation::types::{
    ConcurrencyMode, Parameter, StackSetOperationPreferences, StackSetOperationResultStatus,
    StackSetOperationStatus,
};
use aws_sdk_cloudformation::Client;
use serde::Serialize;

use worktime_lambda::tags::STACK_TAG;

use super::{MAX_WAIT, POLL};
use crate::aws::calls::{Call, Cmd::*, On};
use crate::aws::Poll;
use crate::deploy::stack::{ensure_owned, StackError};
use crate::error::{Error, Result};
use crate::fleet::targets::Selection;
use crate::progress::Progress;

/// The calls this module makes (the permissions table, `policy::table`).
pub const CALLS: &[Call] = &[
    Call::new(
        "CloudFormation",
        "DescribeStackSet",
        "cloudformation:DescribeStackSet",
        &[Rollout, Teardown],
        On::StackSet,
    ),
    Call::new(
        "CloudFormation",
        "ListStackInstances",
        "cloudformation:ListStackInstances",
        &[Rollout, Teardown],
        On::StackSet,
    ),
    Call::new(
        "CloudFormation",
        "DescribeStackInstance",
        "cloudformation:DescribeStackInstance",
        &[Rollout, Teardown],
        On::StackSet,
    ),
    Call::new(
        "CloudFormation",
        "DescribeStackSetOperation",
        "cloudformation:DescribeStackSetOperation",
        &[Rollout, Teardown],
        On::StackSet,
    ),
    Call::new(
        "CloudFormation",
        "ListStackSetOperationResults",
        "cloudformation:ListStackSetOperationResults",
        &[Rollout, Teardown],
        On::StackSet,
    ),
];

/// What the stack set looks like now.
#[derive(Debug, Clone)]
pub(super) struct Existing {
    pub(super) template_body: String,
    pub(super) permission_model: String,
    pub(super) administration_role_arn: Option<String>,
    pub(super) execution_role_name: Option<String>,
    pub(super) auto_deployment: Option<bool>,
}

/// The stack set `name`, if there is one; refused (nothing changed) when it is not
/// worktime's: worktime tags every stack set it creates with `worktime:stack = <name>`.
pub(super) async fn describe_stack_set(cfn: &Client, name: &str) -> Result<Option<Existing>> {
    match cfn.describe_stack_set().stack_set_name(name).send().await {
        Ok(out) => {
            let set = out
                .stack_set()
                .filter(|s| s.status().is_none_or(|st| st.as_str() != "DELETED"));
            if let Some(set) = set {
                let tag = set.tags().iter().find(|t| t.key() == Some(STACK_TAG));
                ensure_owned(
                    "stack set",
                    name,
                    set.stack_set_arn().unwrap_or_default(),
                    tag.and_then(|t| t.value()),
                )?;
            }
            Ok(set.map(|s| Existing {
                template_body: s.template_body().unwrap_or_default().to_string(),
                permission_model: s
                    .permission_model()
                    .map(|m| m.as_str().to_string())
                    .unwrap_or_else(|| "SELF_MANAGED".into()),
                administration_role_arn: s.administration_role_arn().map(str::to_string),
                execution_role_name: s.execution_role_name().map(str::to_string),
                auto_deployment: s.auto_deployment().and_then(|a| a.enabled()),
            }))
        }
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
pub(super) struct Deployed {
    pub(super) account: String,
    pub(super) region: String,
    /// CURRENT / OUTDATED / INOPERABLE.
    pub(super) status: String,
    /// SUCCEEDED / FAILED / RUNNING / ...
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) detailed_status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) reason: Option<String>,
    #[serde(skip)]
    pub(super) overrides: Vec<(String, String)>,
}

impl Deployed {
    pub(super) fn healthy(&self) -> bool {
        self.status == "CURRENT"
            && self
                .detailed_status
                .as_deref()
                .is_none_or(|d| d == "SUCCEEDED")
    }

    /// Why it is not healthy, in words.
    pub(super) fn problem(&self) -> String {
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
pub(super) async fn list_instances(
    cfn: &Client,
    name: &str,
    overrides: bool,
) -> Result<Vec<Deployed>> {
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

pub(super) fn parameters(values: &[(String, String)]) -> Vec<Parameter> {
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
pub(super) fn operation_id(what: &str) -> String {
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
pub(super) fn preferences(
    selection: &Selection,
    regions: &[String],
) -> StackSetOperationPreferences {
    StackSetOperationPreferences::builder()
        .set_region_order(Some(regions.to_vec()))
        .max_concurrent_count(i32::try_from(selection.concurrency.max(1)).unwrap_or(i32::MAX))
        .failure_tolerance_count(i32::try_from(selection.failure_tolerance).unwrap_or(i32::MAX))
        .concurrency_mode(ConcurrencyMode::SoftFailureTolerance)
        .build()
}

/// Waits for one stack set operation. `None` when it succeeded; otherwise why not, with
/// each failed instance's reason.
pub(super) async fn wait(
    cfn: &Client,
    name: &str,
    id: &str,
    progress: &Progress,
    poll: Poll,
) -> Result<Option<String>> {
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
                    return Err(StackError::OperationStillRunning {
                        id: id.to_string(),
                        status: other.map(|s| s.as_str()).unwrap_or("in progress").into(),
                        minutes: MAX_WAIT.as_secs() / 60,
                    }
                    .into());
                }
                progress.step(format!(
                    "operation {id}: {}",
                    other.map(|s| s.as_str()).unwrap_or("pending")
                ));
                tokio::time::sleep(poll.or(POLL)).await;
            }
        }
    }
}
