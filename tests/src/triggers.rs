//! The payload each deployed trigger would deliver to the function, built as AWS documents it
//! (moto stores rules and schedules and never fires them; the project's extension of moto
//! creates a stack's `AWS::Scheduler::Schedule` through the Scheduler API, where moto alone
//! skips it).
//!
//! - EventBridge rule: the scheduled event ([`scheduled_event`]) passed through the target's
//!   input — the whole event, a constant `Input`, or an `InputTransformer`
//!   ([`RuleTargetInput::payload`]); read back by [`deployed_rule_payload`].
//! - EventBridge Scheduler: the schedule's `Input` with its context attributes substituted
//!   ([`scheduler_input`]); read back by [`deployed_schedule`] and
//!   [`deployed_schedule_payload`].

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{json, Value};

/// The event EventBridge sends for a scheduled rule, fired at `time` (Amazon EventBridge User
/// Guide, "Creating a rule that runs on a schedule" / the `aws.events` "Scheduled Event"
/// example: `version` "0", `detail-type` "Scheduled Event", `source` "aws.events", `time` the
/// scheduled instant in UTC to the second, `resources` the rule's ARN, `detail` `{}`).
/// `rule_arn` gives the account and region (`arn:aws:events:<region>:<account>:rule/<name>`).
pub fn scheduled_event(rule_arn: &str, time: DateTime<Utc>) -> Value {
    let mut fields = rule_arn.split(':');
    let region = fields.nth(3).unwrap_or("us-east-1");
    let account = fields.next().unwrap_or("123456789012");
    let seconds = time.timestamp() as u64;
    json!({
        "version": "0",
        "id": format!(
            "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
            seconds as u32,
            (seconds >> 32) as u16,
            seconds & 0xfff,
            rule_arn.len() & 0xfff,
            rule_arn.bytes().fold(0u64, |h, b| h.wrapping_mul(31).wrapping_add(b as u64)) & 0xffff_ffff_ffff
        ),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": account,
        "time": time.to_rfc3339_opts(SecondsFormat::Secs, true),
        "region": region,
        "resources": [rule_arn],
        "detail": {}
    })
}

/// A rule target's input setting (`AWS::Events::Rule` `Target`: none, `Input`, `InputPath`
/// or `InputTransformer`).
#[derive(Debug, Clone, PartialEq)]
pub enum RuleTargetInput {
    /// No input setting: the target receives the whole event.
    Event,
    /// `Input`: "Valid JSON text passed to the target. In this case, nothing from the event
    /// itself is passed to the target."
    Constant(String),
    /// `InputPath`: the part of the event the JSON path selects.
    Path(String),
    Transformer(InputTransformer),
}

impl RuleTargetInput {
    /// The text the target receives for `event` from rule `rule_arn`.
    pub fn deliver(&self, event: &Value, rule_arn: &str) -> Result<String, String> {
        match self {
            RuleTargetInput::Event => Ok(event.to_string()),
            RuleTargetInput::Constant(input) => Ok(input.clone()),
            RuleTargetInput::Path(path) => json_path(event, path)
                .map(Value::to_string)
                .ok_or_else(|| format!("InputPath {path} selects nothing in the event")),
            RuleTargetInput::Transformer(transformer) => transformer.apply(event, rule_arn),
        }
    }

    /// The delivered text as the JSON payload a Lambda function receives (an error when the
    /// text is not JSON: the function could not decode it either).
    pub fn payload(&self, event: &Value, rule_arn: &str) -> Result<Value, String> {
        let text = self.deliver(event, rule_arn)?;
        serde_json::from_str(&text)
            .map_err(|e| format!("the target would receive text that is not JSON ({e}): {text}"))
    }
}

/// An EventBridge `InputTransformer`: `InputPathsMap` (variable → JSON path) and
/// `InputTemplate`.
///
/// Applied as the Amazon EventBridge User Guide, "Amazon EventBridge input transformation"
/// (<https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-transform-target-input.html>),
/// documents it, checked against its examples in the unit tests below:
/// - each path is evaluated on the event (dot notation, dashes, underscores, alphanumerics,
///   array indices; not wildcards); "If you specify a variable to match a JSON path that
///   doesn't exist in the event, that variable isn't created and won't appear in the output"
///   (its placeholder is replaced by nothing);
/// - the predefined variables `aws.events.rule-arn`, `aws.events.rule-name`,
///   `aws.events.event` and `aws.events.event.json` (the original event) and
///   `aws.events.event.ingestion-time` (taken to be the event's `time`);
/// - a template that is JSON (starts with `{`, `[` or `"`): a placeholder in a value position
///   is replaced by the value as JSON (a string value gets its quotes: the "Simple JSON"
///   example, `"instance" : <instance>` → `"instance" : "i-0123456789"`); a placeholder inside
///   a JSON string is replaced by the raw value — "EventBridge doesn't escape values
///   extracted by Input Path" — with an object or array written without its internal quotes
///   ("If a JSON path references a JSON object or array, but the variable is referenced in a
///   string, EventBridge removes any internal quotes to ensure a valid string");
/// - any other template is text: every placeholder is replaced by the raw value;
/// - `<name>` that names no variable stays as it is.
#[derive(Debug, Clone, PartialEq)]
pub struct InputTransformer {
    pub input_paths_map: Vec<(String, String)>,
    pub input_template: String,
}

impl InputTransformer {
    pub fn new(paths: &[(&str, &str)], template: &str) -> InputTransformer {
        InputTransformer {
            input_paths_map: paths
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            input_template: template.to_string(),
        }
    }

    /// The text the target receives.
    pub fn apply(&self, event: &Value, rule_arn: &str) -> Result<String, String> {
        let mut variables: Vec<(String, Option<Value>)> = Vec::new();
        for (name, path) in &self.input_paths_map {
            if name.starts_with("aws.") {
                return Err(format!("InputPathsMap key {name} is reserved"));
            }
            if !path.starts_with('$') {
                return Err(format!("InputPathsMap {name}: {path} is not a JSON path"));
            }
            variables.push((name.clone(), json_path(event, path).cloned()));
        }
        let rule_name = rule_arn.rsplit('/').next().unwrap_or(rule_arn);
        let time = event.get("time").cloned().unwrap_or(Value::Null);
        for (name, value) in [
            ("aws.events.rule-arn", json!(rule_arn)),
            ("aws.events.rule-name", json!(rule_name)),
            ("aws.events.event", event.clone()),
            ("aws.events.event.json", event.clone()),
            ("aws.events.event.ingestion-time", time),
        ] {
            variables.push((name.to_string(), Some(value)));
        }
        let template = self.input_template.as_str();
        let json_mode = matches!(template.trim_start().chars().next(), Some('{' | '[' | '"'));
        let mut out = String::with_capacity(template.len());
        let (mut in_string, mut escaped) = (false, false);
        let mut rest = template;
        while let Some(c) = rest.chars().next() {
            if c == '<' {
                if let Some(end) = rest[1..].find('>') {
                    let name = &rest[1..1 + end];
                    if let Some((_, value)) = variables.iter().find(|(n, _)| n == name) {
                        if let Some(value) = value {
                            out.push_str(&render(value, json_mode && !in_string));
                        }
                        rest = &rest[end + 2..];
                        continue;
                    }
                }
            }
            if in_string {
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == '"' {
                    in_string = false;
                }
            } else if c == '"' {
                in_string = true;
            }
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
        Ok(out)
    }
}

/// A value as a placeholder's replacement: JSON in a value position, raw text otherwise.
fn render(value: &Value, as_json: bool) -> String {
    match value {
        _ if as_json => value.to_string(),
        Value::String(text) => text.clone(),
        Value::Object(_) | Value::Array(_) => value.to_string().replace('"', ""),
        other => other.to_string(),
    }
}

/// The value a JSON path (`$`, `$.a.b-c`, `$.list[0].x`) selects in `value`.
pub fn json_path<'a>(value: &'a Value, path: &str) -> Option<&'a Value> {
    let mut rest = path.strip_prefix('$')?;
    let mut current = value;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('.') {
            let end = after.find(['.', '[']).unwrap_or(after.len());
            let key = &after[..end];
            if key.is_empty() || key == "*" {
                return None;
            }
            current = current.get(key)?;
            rest = &after[end..];
        } else if let Some(after) = rest.strip_prefix('[') {
            let end = after.find(']')?;
            let index: usize = after[..end].parse().ok()?;
            current = current.get(index)?;
            rest = &after[end + 1..];
        } else {
            return None;
        }
    }
    Some(current)
}

/// What EventBridge Scheduler knows when it invokes a target.
#[derive(Debug, Clone, PartialEq)]
pub struct SchedulerContext {
    pub schedule_arn: String,
    pub scheduled_time: DateTime<Utc>,
    pub execution_id: String,
    pub attempt_number: u32,
}

impl SchedulerContext {
    /// The first attempt of the invocation scheduled for `scheduled_time`.
    pub fn first_attempt(schedule_arn: &str, scheduled_time: DateTime<Utc>) -> SchedulerContext {
        SchedulerContext {
            schedule_arn: schedule_arn.to_string(),
            scheduled_time,
            execution_id: format!("{:016x}", scheduled_time.timestamp() as u64 ^ 0x5ced_u64),
            attempt_number: 1,
        }
    }
}

/// A schedule target's `Input` as the target receives it: EventBridge Scheduler "replaces each
/// keyword with its respective value when your schedule invokes the target" (EventBridge
/// Scheduler User Guide, "Adding context attributes",
/// <https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-schedule-context-attributes.html>):
/// `<aws.scheduler.schedule-arn>`, `<aws.scheduler.scheduled-time>` (e.g.
/// `2022-03-22T18:59:43Z`), `<aws.scheduler.execution-id>` and
/// `<aws.scheduler.attempt-number>`. The values are inserted as text: the template supplies
/// any quotes. Other text is passed on unchanged.
pub fn scheduler_input(input: &str, context: &SchedulerContext) -> String {
    input
        .replace("<aws.scheduler.schedule-arn>", &context.schedule_arn)
        .replace(
            "<aws.scheduler.scheduled-time>",
            &context
                .scheduled_time
                .to_rfc3339_opts(SecondsFormat::Secs, true),
        )
        .replace("<aws.scheduler.execution-id>", &context.execution_id)
        .replace(
            "<aws.scheduler.attempt-number>",
            &context.attempt_number.to_string(),
        )
}

/// The payload the deployed rule `rule_name` would deliver to its first target when it fires
/// at `time`: reads the target's `Input` / `InputPath` / `InputTransformer` back through the
/// EventBridge API (as the stack created it in moto) and applies it to the scheduled event.
pub async fn deployed_rule_payload(
    sdk: &aws_config::SdkConfig,
    rule_name: &str,
    time: DateTime<Utc>,
) -> Result<Value, String> {
    let events = aws_sdk_eventbridge::Client::new(sdk);
    let rule = events
        .describe_rule()
        .name(rule_name)
        .send()
        .await
        .map_err(|e| format!("describe rule {rule_name}: {e:?}"))?;
    let rule_arn = rule.arn().unwrap_or_default().to_string();
    let targets = events
        .list_targets_by_rule()
        .rule(rule_name)
        .send()
        .await
        .map_err(|e| format!("list targets of {rule_name}: {e:?}"))?;
    let target = targets
        .targets()
        .first()
        .ok_or_else(|| format!("rule {rule_name} has no target"))?;
    let input = if let Some(t) = target.input_transformer() {
        RuleTargetInput::Transformer(InputTransformer {
            input_paths_map: t
                .input_paths_map()
                .map(|m| {
                    let mut pairs: Vec<_> = m.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
                    pairs.sort();
                    pairs
                })
                .unwrap_or_default(),
            input_template: t.input_template().to_string(),
        })
    } else if let Some(input) = target.input() {
        RuleTargetInput::Constant(input.to_string())
    } else if let Some(path) = target.input_path() {
        RuleTargetInput::Path(path.to_string())
    } else {
        RuleTargetInput::Event
    };
    input.payload(&scheduled_event(&rule_arn, time), &rule_arn)
}

/// A deployed EventBridge Scheduler schedule as `GetSchedule` reports it: what decides when it
/// fires and what it invokes.
#[derive(Debug, Clone, PartialEq)]
pub struct ScheduleView {
    /// `arn:aws:scheduler:<region>:<account>:schedule/<group>/<name>`.
    pub arn: String,
    /// `ScheduleExpression`: `cron(...)`, `rate(...)` or `at(...)`.
    pub expression: String,
    /// `ScheduleExpressionTimezone` (the API answers `UTC` when none was set).
    pub timezone: String,
    /// `ENABLED` or `DISABLED`.
    pub state: String,
    /// `Target.Arn`: what the schedule invokes.
    pub target_arn: String,
    /// `Target.RoleArn`: the role EventBridge Scheduler assumes to invoke it.
    pub role_arn: String,
    /// `Target.DeadLetterConfig.Arn`, when the schedule has a dead-letter queue.
    pub dead_letter_arn: Option<String>,
    /// `Target.Input`, the text the target receives (context attributes not yet substituted).
    pub input: Option<String>,
}

/// The schedule group worktime's stacks put their schedules in (no `GroupName` in the
/// template).
pub const SCHEDULE_GROUP: &str = "default";

/// The deployed schedule `name` (group `default`), read back through `GetSchedule`.
pub async fn deployed_schedule(
    sdk: &aws_config::SdkConfig,
    name: &str,
) -> Result<ScheduleView, String> {
    let schedule = aws_sdk_scheduler::Client::new(sdk)
        .get_schedule()
        .name(name)
        .group_name(SCHEDULE_GROUP)
        .send()
        .await
        .map_err(|e| format!("get schedule {name}: {e:?}"))?;
    let target = schedule
        .target()
        .ok_or_else(|| format!("schedule {name} has no target"))?;
    let required = |value: Option<&str>, what: &str| {
        value
            .map(str::to_string)
            .ok_or_else(|| format!("schedule {name} has no {what}"))
    };
    Ok(ScheduleView {
        arn: required(schedule.arn(), "ARN")?,
        expression: required(schedule.schedule_expression(), "schedule expression")?,
        timezone: schedule
            .schedule_expression_timezone()
            .unwrap_or("UTC")
            .to_string(),
        state: required(schedule.state().map(|s| s.as_str()), "state")?,
        target_arn: target.arn().to_string(),
        role_arn: target.role_arn().to_string(),
        dead_letter_arn: target
            .dead_letter_config()
            .and_then(|d| d.arn())
            .map(str::to_string),
        input: target.input().map(str::to_string),
    })
}

/// The payload the deployed schedule `name` (group `default`) would deliver to its target on
/// the first attempt of the invocation scheduled for `scheduled_time`: its `Target.Input`,
/// read back through `GetSchedule`, with the context attributes substituted
/// ([`scheduler_input`], [`SchedulerContext::first_attempt`] with the schedule's own ARN), as
/// JSON (an error when the schedule has no `Input` or the text is not JSON: the function could
/// not decode it either).
pub async fn deployed_schedule_payload(
    sdk: &aws_config::SdkConfig,
    name: &str,
    scheduled_time: DateTime<Utc>,
) -> Result<Value, String> {
    let schedule = deployed_schedule(sdk, name).await?;
    let input = schedule
        .input
        .as_deref()
        .ok_or_else(|| format!("schedule {name} has no Input"))?;
    let text = scheduler_input(
        input,
        &SchedulerContext::first_attempt(&schedule.arn, scheduled_time),
    );
    serde_json::from_str(&text)
        .map_err(|e| format!("the target would receive text that is not JSON ({e}): {text}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example event of "Amazon EventBridge input transformation".
    fn ec2_event() -> Value {
        json!({
            "version": "0",
            "id": "7bf73129-1428-4cd3-a780-95db273d1602",
            "detail-type": "EC2 Instance State-change Notification",
            "source": "aws.ec2",
            "account": "123456789012",
            "time": "2015-11-11T21:29:54Z",
            "region": "us-east-1",
            "resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111"],
            "detail": {"instance-id": "i-0123456789", "state": "RUNNING"}
        })
    }

    const RULE: &str = "arn:aws:events:us-east-2:123456789012:rule/example";

    fn transform(template: &str) -> String {
        InputTransformer::new(
            &[
                ("timestamp", "$.time"),
                ("instance", "$.detail.instance-id"),
                ("state", "$.detail.state"),
            ],
            template,
        )
        .apply(&ec2_event(), RULE)
        .unwrap()
    }

    fn same_json(text: &str, expected: &str) {
        let got: Value = serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"));
        let want: Value = serde_json::from_str(expected).unwrap();
        assert_eq!(got, want, "{text}");
    }

    #[test]
    fn documented_examples_simple_string_and_escaped_quotes() {
        assert_eq!(
            transform(r#""instance <instance> is in <state>""#),
            r#""instance i-0123456789 is in RUNNING""#
        );
        assert_eq!(
            transform(r#""instance \"<instance>\" is in <state>""#),
            r#""instance \"i-0123456789\" is in RUNNING""#
        );
    }

    #[test]
    fn documented_examples_json_templates() {
        same_json(
            &transform(r#"{ "instance" : <instance>, "state": <state> }"#),
            r#"{ "instance" : "i-0123456789", "state": "RUNNING" }"#,
        );
        same_json(
            &transform(
                r#"{ "instance" : <instance>, "state": "<state>", "instanceStatus": "instance \"<instance>\" is in <state>" }"#,
            ),
            r#"{ "instance" : "i-0123456789", "state": "RUNNING", "instanceStatus": "instance \"i-0123456789\" is in RUNNING" }"#,
        );
        same_json(
            &transform(
                r#"{ "instance" : <instance>, "state": [ 9, <state>, true ], "Transformed" : "Yes" }"#,
            ),
            r#"{ "instance" : "i-0123456789", "state": [ 9, "RUNNING", true ], "Transformed" : "Yes" }"#,
        );
    }

    #[test]
    fn documented_examples_reserved_variables() {
        let out = transform(
            r#"{ "instance" : <instance>, "state": <state>, "ruleArn" : <aws.events.rule-arn>, "ruleName" : <aws.events.rule-name>, "originalEvent" : <aws.events.event> }"#,
        );
        let got: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(got["ruleArn"], RULE);
        assert_eq!(got["ruleName"], "example");
        assert_eq!(got["originalEvent"], ec2_event());
        assert_eq!(
            transform(r#""<aws.events.rule-name> triggered""#),
            r#""example triggered""#
        );
    }

    #[test]
    fn objects_inside_strings_lose_their_quotes_and_missing_paths_vanish() {
        let t = InputTransformer::new(
            &[("detail", "$.detail"), ("nothing", "$.detail.absent")],
            r#""Detail is <detail><nothing>""#,
        );
        assert_eq!(
            t.apply(&ec2_event(), RULE).unwrap(),
            r#""Detail is {instance-id:i-0123456789,state:RUNNING}""#
        );
        // An unknown placeholder is plain text.
        assert_eq!(transform(r#""<unknown>""#), r#""<unknown>""#);
        // A text template (not JSON) takes raw values.
        assert_eq!(
            transform("<instance> is in state <state>"),
            "i-0123456789 is in state RUNNING"
        );
    }

    #[test]
    fn json_paths() {
        let e = ec2_event();
        assert_eq!(json_path(&e, "$.detail.state"), Some(&json!("RUNNING")));
        assert_eq!(
            json_path(&e, "$.resources[0]"),
            Some(&json!(
                "arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111"
            ))
        );
        assert_eq!(json_path(&e, "$"), Some(&e));
        assert_eq!(json_path(&e, "$.resources[1]"), None);
        assert_eq!(json_path(&e, "detail"), None);
    }

    #[test]
    fn scheduled_event_envelope_and_a_worktime_like_rule() {
        let arn = "arn:aws:events:ap-northeast-2:123456789012:rule/wt-scale-in";
        let at = DateTime::parse_from_rfc3339("2026-03-02T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let event = scheduled_event(arn, at);
        assert_eq!(event["detail-type"], "Scheduled Event");
        assert_eq!(event["source"], "aws.events");
        assert_eq!(event["time"], "2026-03-02T10:00:00Z");
        assert_eq!(event["region"], "ap-northeast-2");
        assert_eq!(event["account"], "123456789012");
        assert_eq!(event["resources"], json!([arn]));
        assert_eq!(event["detail"], json!({}));
        let input = RuleTargetInput::Transformer(InputTransformer::new(
            &[("time", "$.time")],
            r#"{"action":"scale-in","scheduled_time":<time>}"#,
        ));
        assert_eq!(
            input.payload(&event, arn).unwrap(),
            json!({"action": "scale-in", "scheduled_time": "2026-03-02T10:00:00Z"})
        );
        assert_eq!(
            RuleTargetInput::Constant(r#"{"action":"scale-out"}"#.into())
                .payload(&event, arn)
                .unwrap(),
            json!({"action": "scale-out"})
        );
        assert_eq!(RuleTargetInput::Event.payload(&event, arn).unwrap(), event);
        assert!(RuleTargetInput::Constant("not json".into())
            .payload(&event, arn)
            .is_err());
    }

    #[test]
    fn scheduler_context_attributes_as_documented() {
        // The documented SQS example, with the documented example values.
        let context = SchedulerContext {
            schedule_arn: "arn:aws:scheduler:us-west-2:123456789012:schedule/default/your-schedule"
                .into(),
            scheduled_time: DateTime::parse_from_rfc3339("2022-03-22T18:59:43Z")
                .unwrap()
                .with_timezone(&Utc),
            execution_id: "d32c5kddcf5bb8c3".into(),
            attempt_number: 1,
        };
        let input = r#"{"MessageBody":"<aws.scheduler.scheduled-time>","QueueUrl":"https://sqs.us-west-2.amazonaws.com/123456789012/scheduler-cli-test"}"#;
        assert_eq!(
            scheduler_input(input, &context),
            r#"{"MessageBody":"2022-03-22T18:59:43Z","QueueUrl":"https://sqs.us-west-2.amazonaws.com/123456789012/scheduler-cli-test"}"#
        );
        let all = r#"{"a":"<aws.scheduler.schedule-arn>","e":"<aws.scheduler.execution-id>","n":<aws.scheduler.attempt-number>}"#;
        let out: Value = serde_json::from_str(&scheduler_input(all, &context)).unwrap();
        assert_eq!(
            out,
            json!({"a": context.schedule_arn, "e": "d32c5kddcf5bb8c3", "n": 1})
        );
    }
}
