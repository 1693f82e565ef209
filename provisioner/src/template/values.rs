//! What differs between targets: the two triggers' expressions and payloads, the zone and
//! the service ARNs, as literal values (one stack) or parameter references (a stack set).

use std::collections::BTreeSet;

use worktime_cfn::Expr;
use worktime_lambda::Action;

use super::error::TemplateError;
use super::ids::{self, MAX_ENVIRONMENT_BYTES, MAX_INPUT_CHARS};
use crate::config::{StackConfig, Trigger};
use crate::cron::AwsCron;

/// One trigger's fixed settings: names, logical ids, parameters.
pub(super) struct TriggerSpec {
    pub(super) action: Action,
    /// `scale-out` / `scale-in`.
    pub(super) suffix: &'static str,
    pub(super) rule_id: &'static str,
    pub(super) permission_id: &'static str,
    pub(super) schedule_id: &'static str,
    pub(super) output_id: &'static str,
    pub(super) verb: &'static str,
    /// The stack set parameters holding this trigger's schedule expression and payload.
    pub(super) expression_parameter: &'static str,
    pub(super) input_parameter: &'static str,
}

pub(super) const TRIGGERS: [TriggerSpec; 2] = [
    TriggerSpec {
        action: Action::ScaleOut,
        suffix: "scale-out",
        rule_id: ids::SCALE_OUT_RULE,
        permission_id: ids::SCALE_OUT_PERMISSION,
        schedule_id: ids::SCALE_OUT_SCHEDULE,
        output_id: ids::OUT_SCALE_OUT_TRIGGER,
        verb: "Scale out (working hours begin)",
        expression_parameter: ids::SCALE_OUT_EXPRESSION,
        input_parameter: ids::SCALE_OUT_INPUT,
    },
    TriggerSpec {
        action: Action::ScaleIn,
        suffix: "scale-in",
        rule_id: ids::SCALE_IN_RULE,
        permission_id: ids::SCALE_IN_PERMISSION,
        schedule_id: ids::SCALE_IN_SCHEDULE,
        output_id: ids::OUT_SCALE_IN_TRIGGER,
        verb: "Scale in to 0/0 (working hours end)",
        expression_parameter: ids::SCALE_IN_EXPRESSION,
        input_parameter: ids::SCALE_IN_INPUT,
    },
];

/// One target's trigger values as text: the schedule expression the trigger takes (UTC for
/// rules, local time for the scheduler), the payload, and the schedule in words.
pub(super) struct TriggerText {
    pub(super) expression: String,
    pub(super) input: String,
    pub(super) when: String,
}

/// Both triggers' values for `config` (scale-out first), checked: payload size, and the
/// conversion to UTC for rules.
pub(super) fn trigger_texts(config: &StackConfig) -> Result<[TriggerText; 2], TemplateError> {
    let zone = config.schedule.timezone.name();
    let text = |action: Action, cron: &AwsCron| -> Result<TriggerText, TemplateError> {
        let input = trigger_input(config, action)?;
        let (expression, when) = match config.schedule.trigger {
            Trigger::Rules => {
                let utc = config
                    .schedule
                    .to_utc(cron)
                    .map_err(|source| TemplateError::Cron {
                        action,
                        cron: cron.to_string(),
                        timezone: zone.to_string(),
                        source,
                    })?;
                (utc.to_string(), format!("at {cron} {zone} ({utc} UTC)"))
            }
            Trigger::Scheduler => (cron.to_string(), format!("at {cron} {zone}")),
        };
        Ok(TriggerText {
            expression,
            input,
            when,
        })
    };
    Ok([
        text(Action::ScaleOut, &config.schedule.scale_out)?,
        text(Action::ScaleIn, &config.schedule.scale_in)?,
    ])
}

/// What differs between targets (account, region): written into the template (`build`: one
/// stack per target) or referenced as parameters (`build_for_stackset`: each stack instance
/// fills them in). Everything else is the same for every target.
pub(super) struct TargetValues {
    pub(super) timezone: Expr,
    /// Per trigger, in `TRIGGERS` order: schedule expression, payload, when in words.
    pub(super) triggers: [(Expr, Expr, String); 2],
    /// Resources of the function's ECS statements.
    pub(super) service_arns: Vec<Expr>,
    /// The function's allow-list (`WORKTIME_ALLOWED_SERVICES`): the only services it touches,
    /// whatever a payload names.
    pub(super) allowed_services: Expr,
}

impl TargetValues {
    pub(super) fn literal(config: &StackConfig) -> Result<Self, TemplateError> {
        let [out, into] = trigger_texts(config)?;
        let allowed = allowed_services(config)?;
        let literal = |t: TriggerText| (Expr::str(t.expression), Expr::str(t.input), t.when);
        Ok(TargetValues {
            timezone: Expr::str(config.schedule.timezone.name()),
            triggers: [literal(out), literal(into)],
            service_arns: own_account_service_arns(config),
            allowed_services: Expr::str(allowed),
        })
    }

    /// The stack set's values: parameters; the service ARNs too, unless `own_account` (a
    /// service-managed stack set, whose instances' accounts are not known in advance and
    /// share the home config's services): then each instance's own account, in the template.
    pub(super) fn parameters(home: &StackConfig, own_account: bool) -> Self {
        let reference = |spec: &TriggerSpec| {
            (
                Expr::reference(spec.expression_parameter),
                Expr::reference(spec.input_parameter),
                format!("at the time of the {} parameter", spec.expression_parameter),
            )
        };
        TargetValues {
            timezone: Expr::reference(ids::SCHEDULE_TIMEZONE),
            triggers: [reference(&TRIGGERS[0]), reference(&TRIGGERS[1])],
            service_arns: if own_account {
                own_account_service_arns(home)
            } else {
                // A CommaDelimitedList is a list: the statement's Resource is the reference
                // itself.
                vec![Expr::reference(ids::SERVICE_ARN_PATTERNS)]
            },
            allowed_services: Expr::reference(ids::ALLOWED_SERVICES),
        }
    }
}

/// The ECS service ARN patterns of `config`'s clusters in the stack's own account and region.
fn own_account_service_arns(config: &StackConfig) -> Vec<Expr> {
    clusters(config)
        .into_iter()
        .map(|cluster| {
            Expr::sub(format!(
                "arn:${{AWS::Partition}}:ecs:${{AWS::Region}}:${{AWS::AccountId}}:service/{cluster}/*"
            ))
        })
        .collect()
}

pub(super) fn trigger_text(trigger: Trigger) -> &'static str {
    match trigger {
        Trigger::Rules => "EventBridge rules",
        Trigger::Scheduler => "EventBridge Scheduler",
    }
}

/// The rule target's `InputTransformer` variable that carries the scheduled event's `time`.
pub(super) const TIME_VARIABLE: &str = "time";
/// The JSON path of the scheduled event's `time` (when the rule was scheduled to fire).
pub(super) const TIME_PATH: &str = "$.time";

/// What a trigger writes as the payload's `scheduled_time`: a rule's transformer puts the
/// event's `time` where `<time>` stands, as a JSON string (a placeholder in a value position
/// is replaced by the value as JSON); the Scheduler puts its context attribute's text where
/// `<aws.scheduler.scheduled-time>` stands, inside the quotes the template supplies.
fn scheduled_time_placeholder(trigger: Trigger) -> String {
    match trigger {
        Trigger::Rules => format!("<{TIME_VARIABLE}>"),
        Trigger::Scheduler => "\"<aws.scheduler.scheduled-time>\"".to_string(),
    }
}

/// What the trigger of `action` carries: the payload with `scheduled_time` filled in by
/// EventBridge at delivery (the rule's `InputTemplate`, or the schedule's `Input`), checked
/// against EventBridge's limit.
pub fn trigger_input(config: &StackConfig, action: Action) -> Result<String, TemplateError> {
    let payload = payload(config, action)?;
    // The payload is a JSON object with at least `action`: add one more member.
    let body = payload.strip_suffix('}').unwrap_or(&payload);
    let text = format!(
        "{body},\"scheduled_time\":{}}}",
        scheduled_time_placeholder(config.schedule.trigger)
    );
    let size = text.chars().count();
    if size > MAX_INPUT_CHARS {
        return Err(TemplateError::PayloadTooLarge {
            action,
            size,
            limit: MAX_INPUT_CHARS,
        });
    }
    Ok(text)
}

/// The compact JSON a trigger sends for `action`, without its scheduled time (the caller
/// checks the size of the whole input).
fn payload(config: &StackConfig, action: Action) -> Result<String, TemplateError> {
    serde_json::to_string(&config.scaling_event(action))
        .map_err(|source| TemplateError::Payload { action, source })
}

/// The distinct clusters, in a stable order.
pub(super) fn clusters(config: &StackConfig) -> BTreeSet<&str> {
    config.services.iter().map(|s| s.cluster.as_str()).collect()
}

/// The AWS partition of a region code.
pub fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else if region.starts_with("us-isob-") {
        "aws-iso-b"
    } else if region.starts_with("us-iso-") {
        "aws-iso"
    } else {
        "aws"
    }
}

/// The function's allow-list as its environment takes it: `cluster/service`, comma-separated;
/// refused when it would not fit the function's environment.
pub(super) fn allowed_services(config: &StackConfig) -> Result<String, TemplateError> {
    let allowed = config
        .services
        .iter()
        .map(|s| format!("{}/{}", s.cluster, s.service))
        .collect::<Vec<_>>()
        .join(",");
    if allowed.len() > MAX_ENVIRONMENT_BYTES {
        return Err(TemplateError::AllowListTooLarge {
            size: allowed.len(),
            limit: MAX_ENVIRONMENT_BYTES,
        });
    }
    Ok(allowed)
}
