//! The last night at a glance (`worktime status`): the last run of each schedule's actions,
//! read from the function's log group (its `summary` lines), the last execution of each wave
//! state machine (Step Functions), the dead-letter queue's depth, and the states of the
//! stack's alarms.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;
use serde_json::Value;
use worktime_lambda::describe_error;

use crate::aws::calls::{Call, Cmd::*, Narrow, On};
use crate::aws::Session;
use crate::config::StackConfig;
use crate::deploy::wake::records::{self, WakeEvent};
use crate::template::ids;

/// The calls this module makes (the permissions table, `policy::table`).
pub const CALLS: &[Call] = &[
    Call::new(
        "CloudWatch Logs",
        "FilterLogEvents",
        "logs:FilterLogEvents",
        // `report` counts the wakes (`report::wakes`).
        &[Status, Report],
        On::LogGroup,
    ),
    Call::new(
        "SQS",
        "GetQueueUrl",
        "sqs:GetQueueUrl",
        &[Status],
        On::Queue,
    ),
    Call::new(
        "SQS",
        "GetQueueAttributes",
        "sqs:GetQueueAttributes",
        &[Status],
        On::Queue,
    ),
    Call::new(
        "CloudWatch",
        "DescribeAlarms",
        "cloudwatch:DescribeAlarms",
        &[Status],
        On::Alarms,
    ),
    Call::new(
        "SFN",
        "ListExecutions",
        "states:ListExecutions",
        &[Status],
        On::StateMachines,
    )
    .narrow(Narrow::RunsInWaves),
    Call::new(
        "SFN",
        "DescribeExecution",
        "states:DescribeExecution",
        &[Status],
        On::Executions,
    )
    .narrow(Narrow::RunsInWaves),
];

/// The most executions read per machine (one page): the latest is among them unless a
/// machine ran more than that many times since, which two triggers a day never do.
const MAX_EXECUTIONS: i32 = 100;

/// How far back the log group is read for the last runs: two weeks holds the last run of a
/// weekday schedule across any holiday season short of that.
const LOOKBACK_DAYS: i64 = 14;
/// A bound on the log pages read (the filter keeps only summary lines: two a day per
/// schedule, a few more with notices and retries).
const MAX_LOG_PAGES: usize = 20;
/// The most wake records `status` shows.
const RECENT_WAKES: usize = 10;

/// The last run of one action of one schedule.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LastRun {
    /// `default` for `[schedule]`.
    pub schedule: String,
    pub action: String,
    /// When the function logged it (UTC).
    pub logged_at: DateTime<Utc>,
    /// The trigger's scheduled time, as the run logged it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scheduled_time: Option<String>,
    pub dry_run: bool,
    /// changed, unchanged, skipped, held, stale, failed... as the summary line counted them.
    pub summary: BTreeMap<String, u64>,
}

/// The last execution of a schedule's wave state machine: the last night's or morning's run
/// in waves, and how it ended.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LastExecution {
    /// `default` for `[schedule]`.
    pub schedule: String,
    pub state_machine: String,
    /// `scale-in` or `scale-out`, from the execution's input.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED.
    pub status: String,
    pub started_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopped_at: Option<DateTime<Utc>>,
    /// Why it failed: the waves that were not ready, with ECS's reasons.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlarmStatus {
    pub name: String,
    /// OK, ALARM, INSUFFICIENT_DATA; `None`: no such alarm.
    pub state: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// What the stack has been doing.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Activity {
    pub last_runs: Vec<LastRun>,
    /// The last execution of each schedule that runs in waves (none ran yet: absent).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub executions: Vec<LastExecution>,
    /// Messages waiting in the dead-letter queue (`None`: not read).
    pub dead_letters: Option<i64>,
    pub alarms: Vec<AlarmStatus>,
    /// The last wakes on request (a visitor woke a service; it was up), oldest first: at
    /// most [`RECENT_WAKES`] records of the last two weeks (absent without any).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub wakes: Vec<WakeEvent>,
    /// What could not be read, and why.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unreadable: Vec<String>,
}

/// Reads the log group, the queue and the alarms of `config`'s stack.
pub async fn read(session: &Session, config: &StackConfig, now: DateTime<Utc>) -> Activity {
    let mut activity = Activity::default();
    let log_group = format!("/aws/lambda/{}", config.function_name());
    let since = now - TimeDelta::days(LOOKBACK_DAYS);
    match log_lines(&session.sdk, &log_group, "summary", since).await {
        Ok(lines) => activity.last_runs = last_runs(lines),
        Err(why) => activity
            .unreadable
            .push(format!("log group {log_group}: {why}")),
    }
    if config.wakes_on_request() {
        match log_lines(&session.sdk, &log_group, records::FILTER, since).await {
            Ok(lines) => {
                let events = records::wake_events(&lines);
                let skip = events.len().saturating_sub(RECENT_WAKES);
                activity.wakes = events.into_iter().skip(skip).collect();
            }
            Err(why) => activity
                .unreadable
                .push(format!("log group {log_group} (wakes): {why}")),
        }
    }
    for schedule in config.schedules_in_use() {
        if !config.runs_in_waves(schedule.name) {
            continue;
        }
        let name = ids::state_machine_name(&config.stack.name, schedule.name);
        let arn = format!(
            "arn:{}:states:{}:{}:stateMachine:{name}",
            crate::template::partition(&session.region),
            session.region,
            session.account
        );
        match last_execution(session, &arn).await {
            Ok(Some(mut execution)) => {
                execution.schedule = schedule.label().to_string();
                execution.state_machine = name;
                activity.executions.push(execution);
            }
            Ok(None) => {}
            Err(why) => activity
                .unreadable
                .push(format!("state machine {name}: {why}")),
        }
    }
    let queue = ids::queue_name(&config.stack.name);
    match dead_letters(session, &queue).await {
        Ok(depth) => activity.dead_letters = Some(depth),
        Err(why) => activity.unreadable.push(format!("queue {queue}: {why}")),
    }
    let names = vec![
        format!("{}-scaler-errors", config.stack.name),
        format!("{}-dlq-messages", config.stack.name),
    ];
    match alarms(session, &names).await {
        Ok(states) => activity.alarms = states,
        Err(why) => activity.unreadable.push(format!("alarms: {why}")),
    }
    activity
}

/// Every log line since `since` that `pattern` finds (`summary`: the runs' summary lines):
/// (log time, the line as JSON); lines that are not JSON are left out. A log group that does
/// not exist has no lines (the function never ran).
async fn log_lines(
    sdk: &aws_config::SdkConfig,
    log_group: &str,
    pattern: &str,
    since: DateTime<Utc>,
) -> Result<Vec<(DateTime<Utc>, Value)>, String> {
    Ok(log_lines_if_any(sdk, log_group, pattern, since)
        .await?
        .unwrap_or_default())
}

/// As [`log_lines`]; `None`: the log group does not exist.
pub(crate) async fn log_lines_if_any(
    sdk: &aws_config::SdkConfig,
    log_group: &str,
    pattern: &str,
    since: DateTime<Utc>,
) -> Result<Option<Vec<(DateTime<Utc>, Value)>>, String> {
    let logs = crate::aws::clients::logs(sdk);
    let start = since.timestamp_millis();
    let mut lines = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..MAX_LOG_PAGES {
        let page = logs
            .filter_log_events()
            .log_group_name(log_group)
            .start_time(start)
            .filter_pattern(pattern)
            .set_next_token(token.clone())
            .send()
            .await;
        let page = match page {
            Ok(page) => page,
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_resource_not_found_exception()) =>
            {
                return Ok(None)
            }
            Err(e) => return Err(describe_error(&e)),
        };
        for event in page.events() {
            let (Some(ms), Some(message)) = (event.timestamp(), event.message()) else {
                continue;
            };
            let Some(at) = DateTime::from_timestamp_millis(ms) else {
                continue;
            };
            if let Ok(line) = serde_json::from_str::<Value>(message.trim()) {
                lines.push((at, line));
            }
        }
        match page.next_token() {
            Some(next) if Some(next) != token.as_deref() && !next.is_empty() => {
                token = Some(next.to_string());
            }
            _ => break,
        }
    }
    Ok(Some(lines))
}

/// The latest summary of each (schedule, action), schedules and actions in name order. Lines
/// the function wrote as JSON (`{"level": ..., "fields": {"message": "summary", ...}}`); any
/// other line is not a summary.
fn last_runs(lines: Vec<(DateTime<Utc>, Value)>) -> Vec<LastRun> {
    let mut latest: BTreeMap<(String, String), LastRun> = BTreeMap::new();
    for (at, line) in lines {
        let fields = &line["fields"];
        if fields["message"] != "summary" {
            continue;
        }
        let Some(action) = fields["action"].as_str() else {
            continue;
        };
        let schedule = fields["schedule"].as_str().unwrap_or("default").to_string();
        let summary: BTreeMap<String, u64> = [
            "changed",
            "would_change",
            "unchanged",
            "skipped",
            "held",
            "stale",
            "drift",
            "not_ready",
            "not_stopped",
            "failed",
        ]
        .iter()
        .filter_map(|k| fields[*k].as_u64().map(|v| (k.to_string(), v)))
        .collect();
        let run = LastRun {
            schedule: schedule.clone(),
            action: action.to_string(),
            logged_at: at,
            scheduled_time: fields["scheduled_time"]
                .as_str()
                .filter(|t| *t != "-")
                .map(str::to_string),
            dry_run: fields["dry_run"].as_bool().unwrap_or(false),
            summary,
        };
        let key = (schedule, action.to_string());
        if latest.get(&key).is_none_or(|seen| seen.logged_at <= at) {
            latest.insert(key, run);
        }
    }
    latest.into_values().collect()
}

/// The latest execution of the state machine `arn` (by start time), described; `None`: it
/// never ran.
async fn last_execution(session: &Session, arn: &str) -> Result<Option<LastExecution>, String> {
    let sfn = crate::aws::clients::sfn(&session.sdk);
    let listed = sfn
        .list_executions()
        .state_machine_arn(arn)
        .max_results(MAX_EXECUTIONS)
        .send()
        .await
        .map_err(|e| describe_error(&e))?;
    let Some(latest) = listed
        .executions()
        .iter()
        .max_by_key(|e| (e.start_date().secs(), e.start_date().subsec_nanos()))
    else {
        return Ok(None);
    };
    let described = sfn
        .describe_execution()
        .execution_arn(latest.execution_arn())
        .send()
        .await
        .map_err(|e| describe_error(&e))?;
    let time =
        |t: &aws_smithy_types::DateTime| DateTime::from_timestamp(t.secs(), t.subsec_nanos());
    let action = described
        .input()
        .and_then(|input| serde_json::from_str::<Value>(input).ok())
        .and_then(|input| input["action"].as_str().map(str::to_string));
    Ok(Some(LastExecution {
        schedule: String::new(),
        state_machine: String::new(),
        action,
        status: described.status().as_str().to_string(),
        started_at: time(described.start_date()).unwrap_or_default(),
        stopped_at: described.stop_date().and_then(time),
        cause: described.cause().or(described.error()).map(str::to_string),
    }))
}

async fn dead_letters(session: &Session, queue: &str) -> Result<i64, String> {
    use aws_sdk_sqs::types::QueueAttributeName;
    let sqs = crate::aws::clients::sqs(&session.sdk);
    let url = sqs
        .get_queue_url()
        .queue_name(queue)
        .send()
        .await
        .map_err(|e| describe_error(&e))?
        .queue_url()
        .unwrap_or_default()
        .to_string();
    let attributes = sqs
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
        .send()
        .await
        .map_err(|e| describe_error(&e))?;
    Ok(attributes
        .attributes()
        .and_then(|a| a.get(&QueueAttributeName::ApproximateNumberOfMessages))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0))
}

async fn alarms(session: &Session, names: &[String]) -> Result<Vec<AlarmStatus>, String> {
    let cloudwatch = crate::aws::clients::cloudwatch(&session.sdk);
    let found = cloudwatch
        .describe_alarms()
        .set_alarm_names(Some(names.to_vec()))
        .send()
        .await
        .map_err(|e| describe_error(&e))?;
    Ok(names
        .iter()
        .map(|name| {
            let alarm = found
                .metric_alarms()
                .iter()
                .find(|a| a.alarm_name() == Some(name.as_str()));
            AlarmStatus {
                name: name.clone(),
                state: alarm.and_then(|a| a.state_value().map(|s| s.as_str().to_string())),
                reason: alarm.and_then(|a| a.state_reason().map(str::to_string)),
            }
        })
        .collect())
}

impl fmt::Display for Activity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "last runs:")?;
        if self.last_runs.is_empty() {
            writeln!(f, "  none in the last {LOOKBACK_DAYS} days")?;
        }
        for run in &self.last_runs {
            let counts: Vec<String> = run
                .summary
                .iter()
                .filter(|(k, v)| **v > 0 || k.as_str() == "failed")
                .map(|(k, v)| format!("{v} {}", k.replace('_', " ")))
                .collect();
            writeln!(
                f,
                "  {:<12} {:<10} {}{}: {}",
                run.schedule,
                run.action,
                run.logged_at.format("%Y-%m-%d %H:%M UTC"),
                if run.dry_run { " (dry run)" } else { "" },
                counts.join(", ")
            )?;
        }
        if !self.executions.is_empty() {
            writeln!(f, "runs in waves (Step Functions, last execution):")?;
        }
        for execution in &self.executions {
            writeln!(
                f,
                "  {:<12} {:<10} {} {}{}",
                execution.schedule,
                execution.action.as_deref().unwrap_or("-"),
                execution.started_at.format("%Y-%m-%d %H:%M UTC"),
                execution.status,
                execution
                    .cause
                    .as_deref()
                    .map_or_else(String::new, |cause| format!(": {cause}"))
            )?;
        }
        if !self.wakes.is_empty() {
            writeln!(f, "wakes on request (last {}):", self.wakes.len())?;
        }
        for wake in &self.wakes {
            let what = match &wake.phase {
                records::WakePhase::Started { until } => {
                    format!("woken, held until {}", until.format("%Y-%m-%d %H:%M UTC"))
                }
                records::WakePhase::Up { seconds: Some(s) } => format!("up after {s} s"),
                records::WakePhase::Up { seconds: None } => "up".to_string(),
            };
            writeln!(
                f,
                "  {} service/{}: {what}",
                wake.at.format("%Y-%m-%d %H:%M UTC"),
                wake.service
            )?;
        }
        match self.dead_letters {
            Some(0) => writeln!(f, "dead-letter queue: empty")?,
            Some(n) => writeln!(
                f,
                "dead-letter queue: {n} failed run(s) waiting (see the queue and the log group)"
            )?,
            None => {}
        }
        for alarm in &self.alarms {
            writeln!(
                f,
                "alarm {}: {}",
                alarm.name,
                alarm.state.as_deref().unwrap_or("not found")
            )?;
        }
        for why in &self.unreadable {
            writeln!(f, "could not read {why}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use serde_json::json;

    use super::*;

    #[test]
    fn the_latest_summary_of_each_schedule_and_action_wins() {
        let at = |h| Utc.with_ymd_and_hms(2026, 11, 27, h, 0, 0).unwrap();
        let summary = |action: &str, schedule: Option<&str>, changed: u64| {
            let mut fields = json!({"message": "summary", "action": action, "dry_run": false,
                "scheduled_time": "2026-11-27T10:00:00+00:00", "changed": changed, "failed": 0});
            if let Some(s) = schedule {
                fields["schedule"] = json!(s);
            }
            json!({"level": "INFO", "fields": fields})
        };
        let runs = last_runs(vec![
            (at(10), summary("scale-in", None, 4)),
            (at(11), summary("scale-in", None, 1)),
            (at(9), summary("scale-out", None, 4)),
            (at(12), summary("scale-in", Some("berlin"), 2)),
            (
                at(13),
                json!({"level": "INFO", "fields": {"message": "service", "action": "scale-in"}}),
            ),
        ]);
        let seen: Vec<(&str, &str, u64)> = runs
            .iter()
            .map(|r| (r.schedule.as_str(), r.action.as_str(), r.summary["changed"]))
            .collect();
        assert_eq!(
            seen,
            [
                ("berlin", "scale-in", 2),
                ("default", "scale-in", 1),
                ("default", "scale-out", 4)
            ]
        );
        assert_eq!(runs[1].logged_at, at(11));
    }
}
