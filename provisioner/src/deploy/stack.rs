//! Idempotent apply and delete of one CloudFormation stack, with a stream of stack events
//! and typed failures. "No changes" is an outcome, not an error.
//!
//! The shape follows cloudformatious; the code does not, because two of its choices break
//! against moto (the local endpoint of the tests) while these work on both moto and AWS:
//! - the stack is described **by name** first and the change set type (CREATE or UPDATE) is
//!   chosen explicitly, instead of sending CREATE and waiting for "already exists";
//! - a deleting stack is polled **by name**, never by stack id.

use std::collections::HashSet;
use std::time::Duration;

use aws_sdk_cloudformation::types::{
    Capability, ChangeAction, ChangeSetStatus, ChangeSetType, Parameter, Replacement, StackStatus,
};
use aws_sdk_cloudformation::Client;
use serde::Serialize;
use worktime_lambda::tags::STACK_TAG;

use super::changes::{ChangeKind, PlannedChange};
use crate::aws::calls::{made_by, Call, Cmd::*, Narrow, On};
use crate::aws::Poll;
use crate::error::{Error, Result};
use crate::progress::Progress;

/// A stack or stack set not in a state the command can go on from (exit 1). Each is safe to
/// re-run: worktime resumes from whatever state it finds.
#[derive(Debug, thiserror::Error)]
pub enum StackError {
    /// The change set failed for another reason than "no changes".
    #[error("CloudFormation could not plan the change for stack {stack}: {reason}")]
    PlanFailed { stack: String, reason: String },
    #[error("change set {change_set} was not ready after {minutes} minutes")]
    ChangeSetNotReady { change_set: String, minutes: u64 },
    /// Someone else deleted it while worktime was applying a change set.
    #[error("stack {stack} disappeared while being applied")]
    Vanished { stack: String },
    /// Waiting stopped; the operation goes on in AWS.
    #[error("stack {stack} is still in progress after {minutes} minutes; it goes on in AWS: re-run to resume waiting")]
    StillInProgress { stack: String, minutes: u64 },
    /// Waiting for a stack set operation stopped; it goes on in AWS.
    #[error("stack set operation {id} is still {status} after {minutes} minutes; it goes on in AWS: re-run to resume")]
    OperationStillRunning {
        id: String,
        status: String,
        minutes: u64,
    },
    /// `DeleteStackSet` answered, and the stack set is still described.
    #[error("stack set {name} is still there after DeleteStackSet")]
    StackSetNotDeleted { name: String },
}

/// The calls this module makes (the permissions table, `policy::table`).
pub const CALLS: &[Call] = &[
    Call::new(
        "CloudFormation",
        "DescribeStacks",
        "cloudformation:DescribeStacks",
        &[Bootstrap, Deploy, Diff, Status, Teardown],
        On::Stack,
    ),
    Call::new(
        "CloudFormation",
        "CreateChangeSet",
        "cloudformation:CreateChangeSet",
        made_by::PREPARE,
        On::Stack,
    ),
    // Tags on a new stack (worktime:stack) are tagged by the caller.
    Call::new(
        "CloudFormation",
        "CreateChangeSet",
        "cloudformation:TagResource",
        made_by::CHANGE,
        On::Stack,
    ),
    Call::new(
        "CloudFormation",
        "DescribeChangeSet",
        "cloudformation:DescribeChangeSet",
        made_by::PREPARE,
        On::Stack,
    ),
    Call::new(
        "CloudFormation",
        "DeleteChangeSet",
        "cloudformation:DeleteChangeSet",
        made_by::PREPARE,
        On::Stack,
    ),
    Call::new(
        "CloudFormation",
        "ExecuteChangeSet",
        "cloudformation:ExecuteChangeSet",
        made_by::CHANGE,
        On::Stack,
    ),
    Call::new(
        "CloudFormation",
        "DescribeStackEvents",
        "cloudformation:DescribeStackEvents",
        &[Bootstrap, Deploy, Teardown],
        On::Stack,
    ),
    // A stack left in ROLLBACK_COMPLETE or DELETE_FAILED is deleted again by bootstrap/deploy.
    Call::new(
        "CloudFormation",
        "DeleteStack",
        "cloudformation:DeleteStack",
        &[Bootstrap, Deploy, Teardown],
        On::Stack,
    )
    .narrow(Narrow::StackTag),
    // With [stack] execution_role_arn, CloudFormation acts as that role: the caller passes it.
    Call::new(
        "CloudFormation",
        "CreateChangeSet",
        "iam:PassRole",
        made_by::PREPARE,
        On::ExecutionRole,
    )
    .narrow(Narrow::PassedTo("cloudformation.amazonaws.com")),
    Call::new(
        "CloudFormation",
        "DeleteStack",
        "iam:PassRole",
        &[Bootstrap, Deploy, Teardown],
        On::ExecutionRole,
    )
    .narrow(Narrow::PassedTo("cloudformation.amazonaws.com")),
    Call::new(
        "CloudFormation",
        "ContinueUpdateRollback",
        "iam:PassRole",
        made_by::CHANGE,
        On::ExecutionRole,
    )
    .narrow(Narrow::PassedTo("cloudformation.amazonaws.com")),
    Call::new(
        "CloudFormation",
        "ContinueUpdateRollback",
        "cloudformation:ContinueUpdateRollback",
        made_by::CHANGE,
        On::Stack,
    )
    .narrow(Narrow::StackTag),
];

/// How often a change set or a stack is polled on AWS.
const POLL: Duration = Duration::from_secs(2);

/// How long a stack operation may take before worktime stops waiting (it goes on in AWS;
/// re-running the command resumes the wait).
const MAX_WAIT: Duration = Duration::from_secs(30 * 60);

/// What is known of a stack, described by name.
#[derive(Debug, Clone, PartialEq)]
pub struct StackInfo {
    pub id: String,
    pub name: String,
    pub status: StackStatus,
    pub status_reason: Option<String>,
    pub last_updated: Option<String>,
    pub parameters: Vec<(String, String)>,
    pub outputs: Vec<(String, String)>,
    pub tags: Vec<(String, String)>,
}

impl StackInfo {
    /// Refuses a stack that is not worktime's ([`ensure_owned`]).
    pub fn ensure_ours(&self) -> Result<()> {
        let tag = self.tags.iter().find(|(k, _)| k == STACK_TAG);
        ensure_owned("stack", &self.name, &self.id, tag.map(|(_, v)| v.as_str()))
    }
}

/// Refuses a stack or stack set `name` (ARN `arn`) unless its `worktime:stack` tag (`tag`)
/// names it: worktime tags every stack and stack set it creates (a stack also while it is
/// only a change set's placeholder), so anything else is someone else's.
pub fn ensure_owned(kind: &'static str, name: &str, arn: &str, tag: Option<&str>) -> Result<()> {
    if tag == Some(name) {
        return Ok(());
    }
    let mut fields = arn.split(':').skip(3);
    let place = match (fields.next(), fields.next()) {
        (Some(region), Some(account)) => format!("{account}/{region}"),
        _ => "this account and region".to_string(),
    };
    Err(Error::NotOurs {
        kind,
        name: name.to_string(),
        place,
        found: match tag {
            Some(value) => format!("its {STACK_TAG} tag names {value:?}"),
            None => format!("no {STACK_TAG} tag"),
        },
    })
}

/// Describes a stack by name; `None` when there is none (or only a deleted one).
pub async fn describe(cfn: &Client, name: &str) -> Result<Option<StackInfo>> {
    let result = cfn.describe_stacks().stack_name(name).send().await;
    let output = match result {
        Ok(output) => output,
        Err(error) => {
            let missing = error
                .as_service_error()
                .and_then(|e| aws_sdk_cloudformation::error::ProvideErrorMetadata::message(e))
                .is_some_and(|m| m.contains("does not exist"));
            if missing {
                return Ok(None);
            }
            return Err(Error::aws(format!("describing stack {name}"), error));
        }
    };
    let Some(stack) = output.stacks().first() else {
        return Ok(None);
    };
    let status = stack
        .stack_status()
        .cloned()
        .unwrap_or_else(|| StackStatus::from("UNKNOWN"));
    if status == StackStatus::DeleteComplete {
        return Ok(None);
    }
    Ok(Some(StackInfo {
        id: stack.stack_id().unwrap_or_default().to_string(),
        name: stack.stack_name().unwrap_or(name).to_string(),
        status,
        status_reason: stack.stack_status_reason().map(str::to_string),
        last_updated: stack
            .last_updated_time()
            .or(stack.creation_time())
            .map(|t| t.to_string()),
        parameters: stack
            .parameters()
            .iter()
            .map(|p| pair(p.parameter_key(), p.parameter_value()))
            .collect(),
        outputs: stack
            .outputs()
            .iter()
            .map(|o| pair(o.output_key(), o.output_value()))
            .collect(),
        tags: stack
            .tags()
            .iter()
            .map(|t| pair(t.key(), t.value()))
            .collect(),
    }))
}

/// A key and value CloudFormation may leave out, as owned strings ("" when absent).
fn pair(key: Option<&str>, value: Option<&str>) -> (String, String) {
    (
        key.unwrap_or_default().to_string(),
        value.unwrap_or_default().to_string(),
    )
}

fn is_in_progress(status: &StackStatus) -> bool {
    status.as_str().ends_with("_IN_PROGRESS") && *status != StackStatus::ReviewInProgress
}

fn is_failed(status: &StackStatus) -> bool {
    let s = status.as_str();
    s.ends_with("_FAILED") || s.ends_with("ROLLBACK_COMPLETE")
}

/// A change set that is ready: either to execute, or empty.
#[derive(Debug)]
pub struct Prepared {
    pub stack_name: String,
    pub change_set_name: String,
    pub kind: ChangeSetType,
    pub changes: Vec<PlannedChange>,
    /// The stack already matches: nothing to execute (the change set is already gone).
    pub up_to_date: bool,
}

/// What an executed change set did ("no changes" never reaches execution).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Applied {
    Created,
    Updated,
}

/// Brings a stack left by an earlier run into a state a change set can start from, and
/// returns it (`None`: there is none, create it). Refuses a stack that is not worktime's.
///
/// - an operation still in progress (an interrupted run): waited out;
/// - `ROLLBACK_COMPLETE`, `ROLLBACK_FAILED`, `CREATE_FAILED` (a failed create) and
///   `REVIEW_IN_PROGRESS` (a create change set never executed): deleted, to create afresh;
/// - `DELETE_FAILED` (a teardown that could not finish): deleted again, naming what blocks
///   it if that fails, then created afresh;
/// - `UPDATE_ROLLBACK_FAILED`: the rollback is continued (`ContinueUpdateRollback`, the
///   only way out AWS offers) until `UPDATE_ROLLBACK_COMPLETE`, then updated.
pub async fn resume(
    cfn: &Client,
    stack_name: &str,
    role: Option<&str>,
    mut existing: Option<StackInfo>,
    progress: &Progress,
    poll: Poll,
) -> Result<Option<StackInfo>> {
    if let Some(info) = &existing {
        info.ensure_ours()?;
        if is_in_progress(&info.status) {
            progress.line(format!(
                "stack {stack_name} is {}: waiting for it to finish",
                info.status.as_str()
            ));
            existing = wait_settled(cfn, stack_name, progress, &mut HashSet::new(), poll).await?;
        }
    }
    let Some(info) = &existing else {
        return Ok(None);
    };
    match info.status {
        StackStatus::RollbackComplete | StackStatus::RollbackFailed | StackStatus::CreateFailed => {
            progress.line(format!(
                "stack {stack_name} is in {} from an earlier failed create: deleting it to create it again",
                info.status.as_str()
            ));
            delete(cfn, stack_name, role, progress, poll).await?;
            Ok(None)
        }
        StackStatus::ReviewInProgress => {
            // A CREATE change set was made but never executed (an interrupted diff): the
            // placeholder stack goes, and we create afresh.
            delete(cfn, stack_name, role, progress, poll).await?;
            Ok(None)
        }
        StackStatus::DeleteFailed => {
            progress.line(format!(
                "stack {stack_name} is in DELETE_FAILED from an earlier teardown: deleting it again, then creating it"
            ));
            delete(cfn, stack_name, role, progress, poll).await?;
            Ok(None)
        }
        StackStatus::UpdateRollbackFailed => {
            progress.line(format!(
                "stack {stack_name} is in UPDATE_ROLLBACK_FAILED: continuing the rollback before updating it"
            ));
            cfn.continue_update_rollback()
                .stack_name(stack_name)
                .set_role_arn(role.map(str::to_string))
                .send()
                .await
                .map_err(|e| {
                    Error::aws(format!("continuing the rollback of stack {stack_name}"), e)
                })?;
            match wait_settled(cfn, stack_name, progress, &mut HashSet::new(), poll).await? {
                Some(info) if info.status == StackStatus::UpdateRollbackComplete => Ok(Some(info)),
                Some(info) => Err(Error::StackFailed {
                    stack: stack_name.into(),
                    status: info.status.as_str().to_string(),
                    reason: failure_reason(cfn, stack_name).await.or(info.status_reason),
                }),
                None => Ok(None),
            }
        }
        _ => Ok(existing),
    }
}

/// Creates a change set for `template` and waits for it. Chooses CREATE or UPDATE from the
/// stack's state; deletes a stack left in ROLLBACK_COMPLETE by an earlier failed create
/// (it can only be deleted) and waits out an operation still in progress (an interrupted
/// earlier run), so that re-running always resumes.
pub async fn prepare(
    cfn: &Client,
    stack_name: &str,
    role: Option<&str>,
    template: &str,
    parameters: &[(String, String)],
    progress: &Progress,
    poll: Poll,
) -> Result<Prepared> {
    let existing = resume(
        cfn,
        stack_name,
        role,
        describe(cfn, stack_name).await?,
        progress,
        poll,
    )
    .await?;
    let kind = if existing.is_some() {
        ChangeSetType::Update
    } else {
        ChangeSetType::Create
    };
    let change_set_name = format!("worktime-{}", chrono::Utc::now().format("%Y%m%d%H%M%S%3f"));

    progress.step(format!("creating change set for stack {stack_name}"));
    let created = cfn
        .create_change_set()
        .stack_name(stack_name)
        .change_set_name(&change_set_name)
        .change_set_type(kind.clone())
        .set_role_arn(role.map(str::to_string))
        .template_body(template)
        .set_parameters(Some(
            parameters
                .iter()
                .map(|(k, v)| {
                    Parameter::builder()
                        .parameter_key(k)
                        .parameter_value(v)
                        .build()
                })
                .collect(),
        ))
        .capabilities(Capability::CapabilityNamedIam)
        .tags(
            aws_sdk_cloudformation::types::Tag::builder()
                .key(STACK_TAG)
                .value(stack_name)
                .build(),
        )
        .send()
        .await;
    if let Err(error) = created {
        if no_changes_message(
            error
                .as_service_error()
                .and_then(|e| aws_sdk_cloudformation::error::ProvideErrorMetadata::message(e)),
        ) {
            return Ok(Prepared {
                stack_name: stack_name.into(),
                change_set_name,
                kind,
                changes: Vec::new(),
                up_to_date: true,
            });
        }
        return Err(Error::aws(
            format!("creating a change set for stack {stack_name}"),
            error,
        ));
    }

    // Wait for the change set to be computed.
    let started = std::time::Instant::now();
    let described = loop {
        let described = cfn
            .describe_change_set()
            .stack_name(stack_name)
            .change_set_name(&change_set_name)
            .send()
            .await
            .map_err(|e| Error::aws(format!("describing change set {change_set_name}"), e))?;
        match described.status() {
            Some(ChangeSetStatus::CreateComplete) => break described,
            Some(ChangeSetStatus::Failed) => {
                let reason = described.status_reason().unwrap_or_default().to_string();
                let _ = cfn
                    .delete_change_set()
                    .stack_name(stack_name)
                    .change_set_name(&change_set_name)
                    .send()
                    .await;
                if no_changes_message(Some(&reason)) {
                    return Ok(Prepared {
                        stack_name: stack_name.into(),
                        change_set_name,
                        kind,
                        changes: Vec::new(),
                        up_to_date: true,
                    });
                }
                return Err(StackError::PlanFailed {
                    stack: stack_name.to_string(),
                    reason,
                }
                .into());
            }
            _ if started.elapsed() > MAX_WAIT => {
                return Err(StackError::ChangeSetNotReady {
                    change_set: change_set_name,
                    minutes: MAX_WAIT.as_secs() / 60,
                }
                .into())
            }
            _ => tokio::time::sleep(poll.or(POLL)).await,
        }
    };

    let mut changes: Vec<PlannedChange> = described
        .changes()
        .iter()
        .filter_map(|c| c.resource_change())
        .map(|rc| {
            let replace = rc.replacement() == Some(&Replacement::True);
            let action = match rc.action() {
                Some(ChangeAction::Add) => ChangeKind::Add,
                Some(ChangeAction::Remove) => ChangeKind::Remove,
                Some(ChangeAction::Modify) if replace => ChangeKind::Replace,
                Some(ChangeAction::Modify) => ChangeKind::Modify,
                _ => ChangeKind::Other,
            };
            let detail = (rc.replacement() == Some(&Replacement::Conditional))
                .then(|| "may be replaced".to_string());
            PlannedChange {
                action,
                logical_id: rc.logical_resource_id().unwrap_or_default().to_string(),
                resource_type: rc.resource_type().unwrap_or_default().to_string(),
                detail,
            }
        })
        .collect();

    // Parameter changes (new code, say) are real changes even where a change set lists none
    // for them (moto lists none; AWS lists the resources that use them).
    if let Some(info) = &existing {
        for (key, value) in parameters {
            let old = info
                .parameters
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.as_str());
            if old != Some(value.as_str()) {
                changes.push(PlannedChange {
                    action: ChangeKind::Parameter,
                    logical_id: key.clone(),
                    resource_type: String::new(),
                    detail: Some(format!("{} -> {value}", old.unwrap_or("(none)"))),
                });
            }
        }
    }

    let up_to_date = kind == ChangeSetType::Update && changes.is_empty();
    if up_to_date {
        discard(
            cfn,
            &Prepared {
                stack_name: stack_name.into(),
                change_set_name: change_set_name.clone(),
                kind: kind.clone(),
                changes: Vec::new(),
                up_to_date: false,
            },
        )
        .await?;
    }
    Ok(Prepared {
        stack_name: stack_name.into(),
        change_set_name,
        kind,
        changes,
        up_to_date,
    })
}

fn no_changes_message(message: Option<&str>) -> bool {
    message.is_some_and(|m| {
        m.contains("didn't contain changes") || m.contains("No updates are to be performed")
    })
}

/// Throws a prepared change set away (and the placeholder stack a CREATE change set makes).
pub async fn discard(cfn: &Client, prepared: &Prepared) -> Result<()> {
    if prepared.up_to_date {
        return Ok(());
    }
    cfn.delete_change_set()
        .stack_name(&prepared.stack_name)
        .change_set_name(&prepared.change_set_name)
        .send()
        .await
        .map_err(|e| {
            Error::aws(
                format!("deleting change set {}", prepared.change_set_name),
                e,
            )
        })?;
    if prepared.kind == ChangeSetType::Create {
        if let Some(info) = describe(cfn, &prepared.stack_name).await? {
            if info.status == StackStatus::ReviewInProgress {
                cfn.delete_stack()
                    .stack_name(&prepared.stack_name)
                    .send()
                    .await
                    .map_err(|e| {
                        Error::aws(
                            format!("deleting placeholder stack {}", prepared.stack_name),
                            e,
                        )
                    })?;
            }
        }
    }
    Ok(())
}

/// Executes a prepared change set and waits, streaming stack events, until the stack settles.
pub async fn execute(
    cfn: &Client,
    prepared: &Prepared,
    progress: &Progress,
    poll: Poll,
) -> Result<(Applied, StackInfo)> {
    let mut seen = HashSet::new();
    // Events from before this operation are not news.
    for event in recent_events(cfn, &prepared.stack_name).await {
        if let Some(id) = event.event_id() {
            seen.insert(id.to_string());
        }
    }
    progress.step(format!(
        "executing change set on stack {}",
        prepared.stack_name
    ));
    cfn.execute_change_set()
        .stack_name(&prepared.stack_name)
        .change_set_name(&prepared.change_set_name)
        .send()
        .await
        .map_err(|e| {
            Error::aws(
                format!("executing change set on stack {}", prepared.stack_name),
                e,
            )
        })?;
    let info = wait_settled(cfn, &prepared.stack_name, progress, &mut seen, poll)
        .await?
        .ok_or_else(|| StackError::Vanished {
            stack: prepared.stack_name.clone(),
        })?;
    if is_failed(&info.status) {
        let reason = failure_reason(cfn, &prepared.stack_name)
            .await
            .or(info.status_reason.clone());
        return Err(Error::StackFailed {
            stack: prepared.stack_name.clone(),
            status: info.status.as_str().to_string(),
            reason,
        });
    }
    let applied = if prepared.kind == ChangeSetType::Create {
        Applied::Created
    } else {
        Applied::Updated
    };
    Ok((applied, info))
}

/// Polls the stack by name until no operation is in progress; prints new events on the way.
async fn wait_settled(
    cfn: &Client,
    stack_name: &str,
    progress: &Progress,
    seen: &mut HashSet<String>,
    poll: Poll,
) -> Result<Option<StackInfo>> {
    let started = std::time::Instant::now();
    loop {
        let info = describe(cfn, stack_name).await?;
        let mut events = recent_events(cfn, stack_name).await;
        events.reverse(); // oldest first
        for event in events {
            let Some(id) = event.event_id() else { continue };
            if !seen.insert(id.to_string()) {
                continue;
            }
            let status = event.resource_status().map(|s| s.as_str()).unwrap_or("");
            let mut line = format!(
                "  {:<28} {:<32} {}",
                event.logical_resource_id().unwrap_or_default(),
                event.resource_type().unwrap_or_default(),
                status
            );
            if let Some(reason) = event.resource_status_reason() {
                line.push_str(&format!(" ({reason})"));
            }
            progress.line(line.trim_end());
        }
        match &info {
            Some(stack) if is_in_progress(&stack.status) => {
                progress.step(format!("stack {stack_name}: {}", stack.status.as_str()));
            }
            _ => return Ok(info),
        }
        if started.elapsed() > MAX_WAIT {
            return Err(StackError::StillInProgress {
                stack: stack_name.to_string(),
                minutes: MAX_WAIT.as_secs() / 60,
            }
            .into());
        }
        tokio::time::sleep(poll.or(POLL)).await;
    }
}

async fn recent_events(
    cfn: &Client,
    stack_name: &str,
) -> Vec<aws_sdk_cloudformation::types::StackEvent> {
    // One page (newest first) is enough between two polls; events are progress, not state,
    // so a failure to read them is not worth failing the command for.
    read_events(cfn, stack_name).await.unwrap_or_default()
}

async fn read_events(
    cfn: &Client,
    stack_name: &str,
) -> std::result::Result<Vec<aws_sdk_cloudformation::types::StackEvent>, String> {
    cfn.describe_stack_events()
        .stack_name(stack_name)
        .send()
        .await
        .map(|o| o.stack_events().to_vec())
        .map_err(|e| worktime_lambda::describe_error(&e))
}

/// The first resource that failed, and CloudFormation's reason (or why the events that
/// hold it could not be read).
async fn failure_reason(cfn: &Client, stack_name: &str) -> Option<String> {
    let mut events = match read_events(cfn, stack_name).await {
        Ok(events) => events,
        Err(why) => {
            return Some(format!(
                "the stack's events, which say why, could not be read (cloudformation:DescribeStackEvents): {why}"
            ))
        }
    };
    events.reverse();
    events
        .iter()
        .find(|e| {
            e.resource_status()
                .is_some_and(|s| s.as_str().ends_with("_FAILED"))
                && e.logical_resource_id() != Some(stack_name)
        })
        .map(|e| {
            format!(
                "{} ({}): {}",
                e.logical_resource_id().unwrap_or_default(),
                e.resource_type().unwrap_or_default(),
                e.resource_status_reason().unwrap_or("no reason given")
            )
        })
}

/// Deletes the stack by name and waits until it is gone. Deleting nothing is not an error:
/// returns whether there was a stack.
pub async fn delete(
    cfn: &Client,
    stack_name: &str,
    role: Option<&str>,
    progress: &Progress,
    poll: Poll,
) -> Result<bool> {
    let Some(info) = describe(cfn, stack_name).await? else {
        return Ok(false);
    };
    info.ensure_ours()?;
    let mut seen = HashSet::new();
    if info.status != StackStatus::DeleteInProgress {
        progress.step(format!("deleting stack {stack_name}"));
        cfn.delete_stack()
            .stack_name(stack_name)
            .set_role_arn(role.map(str::to_string))
            .send()
            .await
            .map_err(|e| Error::aws(format!("deleting stack {stack_name}"), e))?;
    }
    match wait_settled(cfn, stack_name, progress, &mut seen, poll).await? {
        None => Ok(true),
        Some(info) => Err(Error::StackFailed {
            stack: stack_name.into(),
            status: info.status.as_str().to_string(),
            reason: failure_reason(cfn, stack_name).await.or(info.status_reason),
        }),
    }
}

#[cfg(test)]
mod tests {
    //! Outcomes moto cannot produce (its stack operations are synchronous and never roll
    //! back), against a mocked CloudFormation client.
    use aws_sdk_cloudformation::operation::describe_stack_events::DescribeStackEventsOutput;
    use aws_sdk_cloudformation::operation::describe_stacks::DescribeStacksOutput;
    use aws_sdk_cloudformation::operation::execute_change_set::ExecuteChangeSetOutput;
    use aws_sdk_cloudformation::types::{ResourceStatus, Stack, StackEvent};
    use aws_smithy_mocks::{mock, mock_client, RuleMode};

    use super::*;

    /// The mocked stack settles at once: poll every millisecond.
    const FAST: Poll = Poll::every(Duration::from_millis(1));

    fn stack(status: StackStatus) -> Stack {
        Stack::builder()
            .tags(
                aws_sdk_cloudformation::types::Tag::builder()
                    .key(STACK_TAG)
                    .value("wt")
                    .build(),
            )
            .stack_name("wt")
            .stack_id("arn:aws:cloudformation:ap-northeast-2:123456789012:stack/wt/1")
            .stack_status(status)
            .creation_time(aws_smithy_types::DateTime::from_secs(0))
            .build()
    }

    fn event(
        id: &str,
        logical: &str,
        kind: &str,
        status: ResourceStatus,
        reason: Option<&str>,
    ) -> StackEvent {
        StackEvent::builder()
            .stack_id("arn:aws:cloudformation:ap-northeast-2:123456789012:stack/wt/1")
            .stack_name("wt")
            .event_id(id)
            .logical_resource_id(logical)
            .resource_type(kind)
            .resource_status(status)
            .set_resource_status_reason(reason.map(str::to_string))
            .timestamp(aws_smithy_types::DateTime::from_secs(0))
            .build()
    }

    fn prepared(kind: ChangeSetType) -> Prepared {
        Prepared {
            stack_name: "wt".into(),
            change_set_name: "cs".into(),
            kind,
            changes: Vec::new(),
            up_to_date: false,
        }
    }

    #[tokio::test]
    async fn a_rolled_back_create_is_a_stack_failure_naming_the_resource_and_reason() {
        let execute_rule = mock!(Client::execute_change_set)
            .then_output(|| ExecuteChangeSetOutput::builder().build());
        let describe = mock!(Client::describe_stacks)
            .sequence()
            .output(|| stacks(StackStatus::CreateInProgress))
            .output(|| stacks(StackStatus::RollbackComplete))
            .repeatedly()
            .build();
        let events = mock!(Client::describe_stack_events).then_output(|| {
            // Newest first, as CloudFormation returns them.
            DescribeStackEventsOutput::builder()
                .stack_events(event(
                    "3",
                    "wt",
                    "AWS::CloudFormation::Stack",
                    ResourceStatus::RollbackComplete,
                    None,
                ))
                .stack_events(event(
                    "2",
                    "Function",
                    "AWS::Lambda::Function",
                    ResourceStatus::CreateFailed,
                    Some("Error occurred while GetObject. S3 Error Code: NoSuchKey"),
                ))
                .stack_events(event(
                    "1",
                    "wt",
                    "AWS::CloudFormation::Stack",
                    ResourceStatus::CreateInProgress,
                    None,
                ))
                .build()
        });
        let cfn = mock_client!(
            aws_sdk_cloudformation,
            RuleMode::MatchAny,
            [&execute_rule, &describe, &events]
        );
        let err = execute(
            &cfn,
            &prepared(ChangeSetType::Create),
            &Progress::prefixed(""),
            FAST,
        )
        .await
        .expect_err("a rollback is a failure");
        assert_eq!(err.exit_code(), crate::error::EXIT_STACK_FAILED);
        let text = err.to_string();
        assert!(text.contains("ROLLBACK_COMPLETE"), "{text}");
        assert!(text.contains("Function (AWS::Lambda::Function)"), "{text}");
        assert!(text.contains("NoSuchKey"), "{text}");
    }

    #[tokio::test]
    async fn with_an_execution_role_the_stack_is_deleted_as_that_role() {
        const ROLE: &str = "arn:aws:iam::123456789012:role/wt-cfn";
        let delete_rule = mock!(Client::delete_stack)
            .match_requests(|r| r.role_arn() == Some(ROLE))
            .then_output(|| {
                aws_sdk_cloudformation::operation::delete_stack::DeleteStackOutput::builder()
                    .build()
            });
        let describe = mock!(Client::describe_stacks)
            .sequence()
            .output(|| stacks(StackStatus::CreateComplete))
            .output(|| stacks(StackStatus::DeleteComplete))
            .repeatedly()
            .build();
        let events = mock!(Client::describe_stack_events)
            .then_output(|| DescribeStackEventsOutput::builder().build());
        let cfn = mock_client!(
            aws_sdk_cloudformation,
            RuleMode::MatchAny,
            [&delete_rule, &describe, &events]
        );
        let deleted = delete(&cfn, "wt", Some(ROLE), &Progress::prefixed(""), FAST)
            .await
            .unwrap();
        assert!(deleted);
        assert_eq!(delete_rule.num_calls(), 1);
    }

    #[tokio::test]
    async fn an_update_that_completes_is_reported_as_updated() {
        let execute_rule = mock!(Client::execute_change_set)
            .then_output(|| ExecuteChangeSetOutput::builder().build());
        let describe = mock!(Client::describe_stacks)
            .sequence()
            .output(|| stacks(StackStatus::UpdateInProgress))
            .output(|| stacks(StackStatus::UpdateCompleteCleanupInProgress))
            .output(|| stacks(StackStatus::UpdateComplete))
            .repeatedly()
            .build();
        let events = mock!(Client::describe_stack_events)
            .then_output(|| DescribeStackEventsOutput::builder().build());
        let cfn = mock_client!(
            aws_sdk_cloudformation,
            RuleMode::MatchAny,
            [&execute_rule, &describe, &events]
        );
        let (applied, info) = execute(
            &cfn,
            &prepared(ChangeSetType::Update),
            &Progress::prefixed(""),
            FAST,
        )
        .await
        .unwrap();
        assert_eq!(applied, Applied::Updated);
        assert_eq!(info.status, StackStatus::UpdateComplete);
    }

    #[test]
    fn settled_and_failed_states() {
        assert!(is_in_progress(
            &StackStatus::UpdateCompleteCleanupInProgress
        ));
        assert!(!is_in_progress(&StackStatus::ReviewInProgress));
        assert!(is_failed(&StackStatus::RollbackComplete));
        assert!(is_failed(&StackStatus::UpdateRollbackComplete));
        assert!(is_failed(&StackStatus::DeleteFailed));
        assert!(!is_failed(&StackStatus::UpdateComplete));
        assert!(no_changes_message(Some("The submitted information didn't contain changes. Submit different information to create a change set.")));
        assert!(no_changes_message(Some("No updates are to be performed.")));
        assert!(!no_changes_message(Some("Template format error")));
    }

    fn stacks(status: StackStatus) -> DescribeStacksOutput {
        DescribeStacksOutput::builder()
            .stacks(stack(status))
            .build()
    }

    /// worktime's stack `wt`, as `describe` reads it, in `status`.
    fn info(status: StackStatus) -> StackInfo {
        StackInfo {
            id: "arn:aws:cloudformation:ap-northeast-2:123456789012:stack/wt/1".into(),
            name: "wt".into(),
            status,
            status_reason: None,
            last_updated: None,
            parameters: Vec::new(),
            outputs: Vec::new(),
            tags: vec![(STACK_TAG.to_string(), "wt".to_string())],
        }
    }

    #[tokio::test]
    async fn an_update_rollback_failed_stack_is_rolled_back_then_updated() {
        use aws_sdk_cloudformation::operation::continue_update_rollback::ContinueUpdateRollbackOutput;
        let continued = mock!(Client::continue_update_rollback)
            .then_output(|| ContinueUpdateRollbackOutput::builder().build());
        let described = mock!(Client::describe_stacks)
            .sequence()
            .output(|| stacks(StackStatus::UpdateRollbackInProgress))
            .output(|| stacks(StackStatus::UpdateRollbackComplete))
            .repeatedly()
            .build();
        let events = mock!(Client::describe_stack_events)
            .then_output(|| DescribeStackEventsOutput::builder().build());
        let cfn = mock_client!(
            aws_sdk_cloudformation,
            RuleMode::MatchAny,
            [&continued, &described, &events]
        );
        let stuck = describe(&cfn, "wt").await.unwrap();
        assert_eq!(
            stuck.as_ref().map(|s| s.status.clone()),
            Some(StackStatus::UpdateRollbackInProgress)
        );
        let mut stuck = stuck.unwrap();
        stuck.status = StackStatus::UpdateRollbackFailed;
        let resumed = resume(&cfn, "wt", None, Some(stuck), &Progress::prefixed(""), FAST)
            .await
            .unwrap()
            .expect("the stack stays, to be updated");
        assert_eq!(resumed.status, StackStatus::UpdateRollbackComplete);
        assert_eq!(continued.num_calls(), 1, "ContinueUpdateRollback, once");
    }

    #[tokio::test]
    async fn a_rollback_that_fails_again_names_the_resource_that_blocks_it() {
        use aws_sdk_cloudformation::operation::continue_update_rollback::ContinueUpdateRollbackOutput;
        let continued = mock!(Client::continue_update_rollback)
            .then_output(|| ContinueUpdateRollbackOutput::builder().build());
        let described = mock!(Client::describe_stacks)
            .then_output(|| stacks(StackStatus::UpdateRollbackFailed));
        let events = mock!(Client::describe_stack_events).then_output(|| {
            DescribeStackEventsOutput::builder()
                .stack_events(event(
                    "2",
                    "FunctionRole",
                    "AWS::IAM::Role",
                    ResourceStatus::UpdateFailed,
                    Some("User is not authorized to perform iam:UpdateAssumeRolePolicy"),
                ))
                .build()
        });
        let cfn = mock_client!(
            aws_sdk_cloudformation,
            RuleMode::MatchAny,
            [&continued, &described, &events]
        );
        let stuck = info(StackStatus::UpdateRollbackFailed);
        let err = resume(&cfn, "wt", None, Some(stuck), &Progress::prefixed(""), FAST)
            .await
            .expect_err("still stuck");
        assert_eq!(err.exit_code(), crate::error::EXIT_STACK_FAILED);
        let text = err.to_string();
        assert!(text.contains("UPDATE_ROLLBACK_FAILED"), "{text}");
        assert!(text.contains("FunctionRole (AWS::IAM::Role)"), "{text}");
    }

    #[tokio::test]
    async fn a_delete_failed_stack_is_deleted_again_then_created_afresh() {
        use aws_sdk_cloudformation::operation::delete_stack::DeleteStackOutput;
        use aws_sdk_cloudformation::operation::describe_stacks::DescribeStacksError;
        use aws_smithy_types::error::ErrorMetadata;
        let deleted =
            mock!(Client::delete_stack).then_output(|| DeleteStackOutput::builder().build());
        let described = mock!(Client::describe_stacks)
            .sequence()
            .output(|| stacks(StackStatus::DeleteFailed))
            .output(|| stacks(StackStatus::DeleteInProgress))
            .error(|| {
                DescribeStacksError::generic(
                    ErrorMetadata::builder()
                        .code("ValidationError")
                        .message("Stack with id wt does not exist")
                        .build(),
                )
            })
            .repeatedly()
            .build();
        let events = mock!(Client::describe_stack_events)
            .then_output(|| DescribeStackEventsOutput::builder().build());
        let cfn = mock_client!(
            aws_sdk_cloudformation,
            RuleMode::MatchAny,
            [&deleted, &described, &events]
        );
        let failed = info(StackStatus::DeleteFailed);
        let resumed = resume(
            &cfn,
            "wt",
            None,
            Some(failed),
            &Progress::prefixed(""),
            FAST,
        )
        .await
        .unwrap();
        assert_eq!(resumed, None, "gone: the deploy creates it afresh");
        assert_eq!(deleted.num_calls(), 1, "DeleteStack again");
    }
}
