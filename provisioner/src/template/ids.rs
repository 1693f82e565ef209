//! Logical ids (part of the contract: deploy, status and the tests refer to them), AWS's
//! limits the template must respect, and the check of derived names against them.

use super::error::TemplateError;
use crate::config::{StackConfig, Trigger};

pub const CODE_S3_BUCKET: &str = "CodeS3Bucket";
pub const CODE_S3_KEY: &str = "CodeS3Key";
pub const CODE_S3_OBJECT_VERSION: &str = "CodeS3ObjectVersion";
pub const FUNCTION_ROLE: &str = "FunctionRole";
pub const FUNCTION_POLICY: &str = "FunctionPolicy";
pub const FUNCTION_LOG_GROUP: &str = "FunctionLogGroup";
pub const DEAD_LETTER_QUEUE: &str = "DeadLetterQueue";
pub const FUNCTION: &str = "Function";
pub const FUNCTION_EVENT_INVOKE_CONFIG: &str = "FunctionEventInvokeConfig";
pub const ERRORS_ALARM: &str = "ErrorsAlarm";
pub const SCALE_OUT_RULE: &str = "ScaleOutRule";
pub const SCALE_IN_RULE: &str = "ScaleInRule";
pub const SCALE_OUT_PERMISSION: &str = "ScaleOutPermission";
pub const SCALE_IN_PERMISSION: &str = "ScaleInPermission";
pub const SCHEDULER_ROLE: &str = "SchedulerRole";
pub const SCALE_OUT_SCHEDULE: &str = "ScaleOutSchedule";
pub const SCALE_IN_SCHEDULE: &str = "ScaleInSchedule";
pub const OUT_FUNCTION_NAME: &str = "FunctionName";
pub const OUT_FUNCTION_ARN: &str = "FunctionArn";
pub const OUT_LOG_GROUP_NAME: &str = "LogGroupName";
pub const OUT_DEAD_LETTER_QUEUE_URL: &str = "DeadLetterQueueUrl";
pub const OUT_SCALE_OUT_TRIGGER: &str = "ScaleOutTrigger";
pub const OUT_SCALE_IN_TRIGGER: &str = "ScaleInTrigger";
pub const RECONCILE_RULE: &str = "ReconcileRule";
pub const RECONCILE_PERMISSION: &str = "ReconcilePermission";
pub const RECONCILE_SCHEDULE: &str = "ReconcileSchedule";
pub const OUT_RECONCILE_TRIGGER: &str = "ReconcileTrigger";
/// The stack-set parameter holding the reconcile trigger's payload.
pub const RECONCILE_INPUT: &str = "ReconcileInput";
pub const NOTICE_RULE: &str = "NoticeRule";
pub const NOTICE_PERMISSION: &str = "NoticePermission";
pub const NOTICE_SCHEDULE: &str = "NoticeSchedule";
pub const OUT_NOTICE_TRIGGER: &str = "NoticeTrigger";
pub const WAVES_ROLE: &str = "WavesRole";
pub const WAVES_START_ROLE: &str = "WavesStartRole";
/// A schedule's state machine (followed by the schedule's PascalCase name).
pub const WAVES_STATE_MACHINE: &str = "WavesStateMachine";
pub const OUT_WAVES_STATE_MACHINE: &str = "WavesStateMachineArn";
pub const NOTIFY_KEY: &str = "NotifyKey";
pub const NOTIFY_TOPIC: &str = "NotifyTopic";
pub const NOTIFY_TOPIC_POLICY: &str = "NotifyTopicPolicy";
pub const DEAD_LETTER_ALARM: &str = "DeadLetterQueueAlarm";
pub const OUT_NOTIFY_TOPIC_ARN: &str = "NotifyTopicArn";
/// A woken service's Lambda target group and invoke permission (followed by its index).
pub const WAKE_TARGET_GROUP: &str = "WakeTargetGroup";
pub const WAKE_PERMISSION: &str = "WakePermission";
// Parameters of the stack set template only.
pub const SCHEDULE_TIMEZONE: &str = "ScheduleTimezone";
pub const SCALE_OUT_EXPRESSION: &str = "ScaleOutExpression";
pub const SCALE_IN_EXPRESSION: &str = "ScaleInExpression";
pub const SCALE_OUT_INPUT: &str = "ScaleOutInput";
pub const SCALE_IN_INPUT: &str = "ScaleInInput";
pub const SERVICE_ARN_PATTERNS: &str = "ServiceArnPatterns";
pub const ALLOWED_SERVICES: &str = "AllowedServices";
pub const ALLOWED_SELECTORS: &str = "AllowedSelectors";

/// EventBridge's limit on a target's constant `Input` (rules and Scheduler alike).
pub const MAX_INPUT_CHARS: usize = 8192;

/// Lambda's limit on a function's environment variables, all together (bytes); the
/// allow-list takes nearly all of it.
pub const MAX_ENVIRONMENT_BYTES: usize = 3500;

/// CloudFormation's limit on one parameter value, in bytes: what a stack set instance's
/// trigger payload must fit.
pub const MAX_PARAMETER_BYTES: usize = 4096;

/// Retries of a failed delivery to the function. The payload names its action explicitly,
/// so a repeated delivery repeats the same intent.
pub const TARGET_RETRY_ATTEMPTS: u32 = 2;
/// A delivery older than this is dropped (to the DLQ for Scheduler): scaling an hour late
/// is still useful, much later is not.
pub const TARGET_MAX_EVENT_AGE_SECONDS: u32 = 3600;
/// How long Lambda keeps a trigger's event for the function (its maximum, 6 hours): the
/// function, not Lambda, judges lateness from the event's `scheduled_time`, so a late
/// delivery is logged and reported `stale` instead of vanishing from the queue.
pub const FUNCTION_MAX_EVENT_AGE_SECONDS: u32 = 21_600;
/// Lambda's retries of a failed run (its maximum): every action is idempotent, and a retry
/// of a run that failed on some services repairs them.
pub const FUNCTION_RETRY_ATTEMPTS: u32 = 2;
/// SQS maximum: 14 days to notice and inspect a failed run.
pub const DLQ_RETENTION_SECONDS: u32 = 1_209_600;

/// The function's IAM role in `region` (IAM is global: the region keeps regions apart).
pub fn function_role_name(stack: &str, region: &str) -> String {
    format!("{stack}-scaler-{region}")
}

/// The Scheduler's IAM role in `region`.
pub fn scheduler_role_name(stack: &str, region: &str) -> String {
    format!("{stack}-scheduler-{region}")
}

/// The wave state machines' role, before its region: `<stack>-waves`.
pub fn waves_role_stem(stack: &str) -> String {
    format!("{stack}-waves")
}

/// The role the triggers start the wave state machines with, before its region.
pub fn waves_start_role_stem(stack: &str) -> String {
    format!("{stack}-waves-start")
}

/// The wave state machines' role in `region`.
pub fn waves_role_name(stack: &str, region: &str) -> String {
    format!("{}-{region}", waves_role_stem(stack))
}

/// The triggers' role for the wave state machines in `region`.
pub fn waves_start_role_name(stack: &str, region: &str) -> String {
    format!("{}-{region}", waves_start_role_stem(stack))
}

/// The state machine of schedule `name` (`None`: `[schedule]`): `<stack>[-<name>]-waves`.
pub fn state_machine_name(stack: &str, name: Option<&str>) -> String {
    match name {
        Some(name) => format!("{stack}-{name}-waves"),
        None => format!("{stack}-waves"),
    }
}

/// The two triggers' names (rules or schedules) of schedule `name` (`None`: `[schedule]`),
/// scale-out first.
pub fn trigger_names(stack: &str, name: Option<&str>) -> [String; 2] {
    let stem = match name {
        Some(name) => format!("{stack}-{name}"),
        None => stack.to_string(),
    };
    [format!("{stem}-scale-out"), format!("{stem}-scale-in")]
}

/// The notice trigger's name of schedule `name` (`None`: `[schedule]`).
pub fn reconcile_name(stack: &str, name: Option<&str>) -> String {
    match name {
        Some(name) => format!("{stack}-{name}-reconcile"),
        None => format!("{stack}-reconcile"),
    }
}

pub fn notice_name(stack: &str, name: Option<&str>) -> String {
    match name {
        Some(name) => format!("{stack}-{name}-notice"),
        None => format!("{stack}-notice"),
    }
}

/// Every trigger name a stack of `config` may own, whatever kind: those of `[schedule]` and
/// of each `[schedules.NAME]`, notices included.
pub fn all_trigger_names(config: &StackConfig) -> Vec<String> {
    std::iter::once(None)
        .chain(config.schedules.keys().map(|n| Some(n.as_str())))
        .flat_map(|name| {
            let [out, into] = trigger_names(&config.stack.name, name);
            [
                out,
                into,
                notice_name(&config.stack.name, name),
                reconcile_name(&config.stack.name, name),
            ]
        })
        .collect()
}

/// The `[notify]` topic the stack creates for email addresses.
pub fn notify_topic_name(stack: &str) -> String {
    format!("{stack}-notify")
}

/// The dead-letter queue's name.
pub fn queue_name(stack: &str) -> String {
    format!("{stack}-dlq")
}

/// Whether any schedule in use triggers through EventBridge Scheduler (the stack then has
/// the Scheduler's role).
pub(super) fn uses_scheduler(config: &StackConfig) -> bool {
    config
        .schedules_in_use()
        .iter()
        .any(|s| s.schedule.trigger == Trigger::Scheduler)
}

/// AWS name limits, checked with the target's region so the error names the real length.
pub(super) fn check_names(config: &StackConfig, region: &str) -> Result<(), TemplateError> {
    let stack = &config.stack.name;
    let mut names: Vec<(&'static str, String, usize)> = vec![
        ("IAM role", function_role_name(stack, region), 64),
        ("Lambda function", config.function_name(), 64),
        ("SQS queue", queue_name(stack), 80),
        ("CloudWatch alarm", format!("{stack}-scaler-errors"), 255),
    ];
    for schedule in config.schedules_in_use() {
        let trigger_what = match schedule.schedule.trigger {
            Trigger::Rules => "EventBridge rule",
            Trigger::Scheduler => "EventBridge Scheduler schedule",
        };
        let [scale_out, _] = trigger_names(stack, schedule.name);
        names.push((trigger_what, scale_out, 64));
        if schedule.schedule.notice.is_some() {
            names.push((trigger_what, notice_name(stack, schedule.name), 64));
        }
    }
    if uses_scheduler(config) {
        names.push(("IAM role", scheduler_role_name(stack, region), 64));
    }
    if let Some(last) = config.woken().count().checked_sub(1) {
        names.push((
            "wake target group",
            super::wake::group_name(stack, last),
            super::wake::MAX_GROUP_NAME,
        ));
    }
    for (what, name, limit) in names {
        let length = name.chars().count();
        if length > limit {
            return Err(TemplateError::NameTooLong {
                what,
                name,
                length,
                limit,
                excess: length - limit,
            });
        }
    }
    Ok(())
}
