//! The worktime stack as a CloudFormation template.
//!
//! One template serves every account: the function code location comes in as the
//! `CodeS3Bucket` / `CodeS3Key` parameters; everything else derives from the configuration.
//! Logical ids are part of the contract (deploy, status and the tests refer to them).
//!
//! [`build_for_stackset`] is the same stack with the values that differ between targets
//! (zone, trigger expressions and payloads, service ARNs) as parameters, for one
//! CloudFormation stack set whose instances each get their own values
//! ([`stackset_parameters`]). Both go through one code path: `TargetValues` is either the
//! literal values or references to those parameters.

use std::collections::BTreeSet;

use indexmap::IndexMap;
use worktime_cfn::iam::{PolicyDocument, Principal, Statement};
use worktime_cfn::resources::{
    CloudWatchAlarm, Dimension, EventsRule, EventsTarget, FlexibleTimeWindow, IamPolicy, IamRole,
    InlinePolicy, LambdaCode, LambdaDeadLetterConfig, LambdaEnvironment, LambdaFunction,
    LambdaLoggingConfig, LambdaPermission, LogGroup, RetryPolicy, SchedulerSchedule,
    SchedulerTarget, SqsQueue, TargetDeadLetterConfig,
};
use worktime_cfn::{DeletionPolicy, Expr, Output, Parameter, Pseudo, Resource, Template};
use worktime_lambda::event::Action;

use crate::config::{Config, Trigger};
use crate::cron::{AwsCron, CronError};

/// EventBridge's limit on a target's constant `Input` (rules and Scheduler alike).
pub const MAX_INPUT_CHARS: usize = 8192;

/// CloudFormation's limit on one parameter value, in bytes: what a stack set instance's
/// trigger payload must fit.
pub const MAX_PARAMETER_BYTES: usize = 4096;

/// Retries of a failed delivery to the function. The payload names its action explicitly,
/// so a repeated delivery repeats the same intent.
pub const TARGET_RETRY_ATTEMPTS: u32 = 2;
/// A delivery older than this is dropped (to the DLQ for Scheduler): scaling an hour late
/// is still useful, much later is not.
pub const TARGET_MAX_EVENT_AGE_SECONDS: u32 = 3600;
/// SQS maximum: 14 days to notice and inspect a failed run.
pub const DLQ_RETENTION_SECONDS: u32 = 1_209_600;

/// The service-linked role Application Auto Scaling uses for ECS services.
const ECS_AUTOSCALING_SLR: &str = "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/aws-service-role/ecs.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_ECSService";

/// The tag the function keeps a service's remembered capacity in.
pub const CAPACITY_TAG: &str = "worktime:capacity";

/// Logical ids.
pub mod ids {
    pub const CODE_S3_BUCKET: &str = "CodeS3Bucket";
    pub const CODE_S3_KEY: &str = "CodeS3Key";
    pub const FUNCTION_ROLE: &str = "FunctionRole";
    pub const FUNCTION_POLICY: &str = "FunctionPolicy";
    pub const FUNCTION_LOG_GROUP: &str = "FunctionLogGroup";
    pub const DEAD_LETTER_QUEUE: &str = "DeadLetterQueue";
    pub const FUNCTION: &str = "Function";
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
    // Parameters of the stack set template only.
    pub const SCHEDULE_TIMEZONE: &str = "ScheduleTimezone";
    pub const SCALE_OUT_EXPRESSION: &str = "ScaleOutExpression";
    pub const SCALE_IN_EXPRESSION: &str = "ScaleInExpression";
    pub const SCALE_OUT_INPUT: &str = "ScaleOutInput";
    pub const SCALE_IN_INPUT: &str = "ScaleInInput";
    pub const SERVICE_ARN_PATTERNS: &str = "ServiceArnPatterns";
}

/// Why the configuration can't be turned into a template.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error(
        "the {action} trigger input would be {size} characters, over EventBridge's {limit}-character \
         target input limit: list fewer services per stack (split the services into several \
         configurations, each with its own stack name)"
    )]
    PayloadTooLarge {
        action: Action,
        size: usize,
        limit: usize,
    },
    #[error("the {action} schedule {cron} can't be written as an EventBridge rule for {timezone}: {source}")]
    Cron {
        action: Action,
        cron: String,
        timezone: String,
        source: CronError,
    },
    #[error(
        "the {what} name {name:?} is {length} characters, over AWS's {limit}-character limit: \
         choose a stack name at most {excess} characters shorter"
    )]
    NameTooLong {
        what: &'static str,
        name: String,
        length: usize,
        limit: usize,
        excess: usize,
    },
    #[error("could not serialise the {action} trigger input: {source}")]
    Payload {
        action: Action,
        source: serde_json::Error,
    },
    #[error(
        "the {parameter} parameter of stack instance {target} would be {size} bytes, over \
         CloudFormation's {limit}-byte limit on a parameter value: list fewer services for that \
         account (its [[accounts.services]], or split them over several stack names), or deploy \
         with the direct engine (`worktime rollout` without --engine stacksets), whose trigger \
         inputs may hold 8,192 characters"
    )]
    ParameterTooLarge {
        parameter: &'static str,
        target: String,
        size: usize,
        limit: usize,
    },
    #[error(
        "a stack set deploys one template to every account, so every account must use the same \
         trigger kind: account {first_account} uses trigger = \"{first}\" but account {account} \
         uses \"{other}\": set the same trigger for all of them (schedule.trigger, or each \
         [accounts.schedule]), or deploy with the direct engine (`worktime rollout` without \
         --engine stacksets)"
    )]
    MixedTriggers {
        first_account: String,
        first: &'static str,
        account: String,
        other: &'static str,
    },
}

/// One trigger's fixed settings: names, logical ids, parameters.
struct TriggerSpec {
    action: Action,
    /// `scale-out` / `scale-in`.
    suffix: &'static str,
    rule_id: &'static str,
    permission_id: &'static str,
    schedule_id: &'static str,
    output_id: &'static str,
    verb: &'static str,
    /// The stack set parameters holding this trigger's schedule expression and payload.
    expression_parameter: &'static str,
    input_parameter: &'static str,
}

const TRIGGERS: [TriggerSpec; 2] = [
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
struct TriggerText {
    expression: String,
    input: String,
    when: String,
}

/// Both triggers' values for `config` (scale-out first), checked: payload size, and the
/// conversion to UTC for rules.
fn trigger_texts(config: &Config) -> Result<[TriggerText; 2], TemplateError> {
    let zone = config.schedule.timezone.name();
    let text = |action: Action, cron: &AwsCron| -> Result<TriggerText, TemplateError> {
        let input = payload(config, action)?;
        let (expression, when) = match config.schedule.trigger {
            Trigger::Rules => {
                let utc = cron.to_utc(config.schedule.timezone).map_err(|source| {
                    TemplateError::Cron {
                        action,
                        cron: cron.to_string(),
                        timezone: zone.to_string(),
                        source,
                    }
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
struct TargetValues {
    timezone: Expr,
    /// Per trigger, in `TRIGGERS` order: schedule expression, payload, when in words.
    triggers: [(Expr, Expr, String); 2],
    /// Resources of the function's ECS statements.
    service_arns: Vec<Expr>,
}

impl TargetValues {
    fn literal(config: &Config) -> Result<Self, TemplateError> {
        let [out, into] = trigger_texts(config)?;
        let literal = |t: TriggerText| (Expr::str(t.expression), Expr::str(t.input), t.when);
        Ok(TargetValues {
            timezone: Expr::str(config.schedule.timezone.name()),
            triggers: [literal(out), literal(into)],
            service_arns: clusters(config)
                .into_iter()
                .map(|cluster| {
                    Expr::sub(format!(
                        "arn:${{AWS::Partition}}:ecs:${{AWS::Region}}:${{AWS::AccountId}}:service/{cluster}/*"
                    ))
                })
                .collect(),
        })
    }

    fn parameters() -> Self {
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
            // A CommaDelimitedList is a list: the statement's Resource is the reference itself.
            service_arns: vec![Expr::reference(ids::SERVICE_ARN_PATTERNS)],
        }
    }
}

fn trigger_text(trigger: Trigger) -> &'static str {
    match trigger {
        Trigger::Rules => "EventBridge rules",
        Trigger::Scheduler => "EventBridge Scheduler",
    }
}

/// Builds the worktime stack for `config`.
pub fn build(config: &Config) -> Result<Template, TemplateError> {
    let trigger = config.schedule.trigger;
    check_names(config, trigger, &config.stack.region)?;
    let values = TargetValues::literal(config)?;
    let description = format!(
        "worktime: keeps {} ECS service(s) running only during working hours in {}, \
         scaled by a Lambda function through Application Auto Scaling, triggered by {}.",
        config.services.len(),
        config.schedule.timezone.name(),
        trigger_text(trigger)
    );
    Ok(assemble(config, trigger, &values, description))
}

/// The worktime stack as one template for a CloudFormation stack set: the zone, the trigger
/// expressions and payloads and the service ARNs come in as parameters, which
/// [`stackset_parameters`] computes for each stack instance. Every target must share one
/// trigger kind ([`stackset_trigger`]).
pub fn build_for_stackset(config: &Config) -> Result<Template, TemplateError> {
    let trigger = stackset_trigger(config)?;
    for region in config.stackset_regions() {
        check_names(config, trigger, &region)?;
    }
    let description = format!(
        "worktime (stack set): keeps ECS services running only during working hours, scaled \
         by a Lambda function through Application Auto Scaling, triggered by {}; each stack \
         instance gets its account's zone, schedule and services as parameters.",
        trigger_text(trigger)
    );
    let mut t = assemble(config, trigger, &TargetValues::parameters(), description);
    t.parameter(
        ids::SCHEDULE_TIMEZONE,
        Parameter {
            min_length: Some(1),
            ..Parameter::string(
                "IANA time zone of this account's working hours (the function's default zone; the schedules' zone).",
            )
        },
    );
    for spec in &TRIGGERS {
        let zone_note = match trigger {
            Trigger::Rules => "an EventBridge rule cron in UTC",
            Trigger::Scheduler => "an EventBridge Scheduler cron in ScheduleTimezone",
        };
        t.parameter(
            spec.expression_parameter,
            Parameter {
                allowed_pattern: Some("^cron\\(.+\\)$".into()),
                constraint_description: Some("an AWS cron expression: cron(...)".into()),
                ..Parameter::string(format!("{}: {zone_note}.", spec.verb))
            },
        );
    }
    for spec in &TRIGGERS {
        t.parameter(
            spec.input_parameter,
            Parameter {
                min_length: Some(2),
                max_length: Some(MAX_PARAMETER_BYTES as u32),
                ..Parameter::string(format!(
                    "The {} payload (JSON) the trigger sends to the function.",
                    spec.action
                ))
            },
        );
    }
    t.parameter(
        ids::SERVICE_ARN_PATTERNS,
        Parameter {
            type_name: "CommaDelimitedList".into(),
            ..Parameter::string(
                "ECS service ARN patterns the function may scale: arn:<partition>:ecs:<region>:<account>:service/<cluster>/*",
            )
        },
    );
    Ok(t)
}

/// The trigger kind every instance of a stack set shares (one template serves them all):
/// the accounts' own, which must agree, or the top-level one when there are no accounts.
pub fn stackset_trigger(config: &Config) -> Result<Trigger, TemplateError> {
    let mut accounts = config.accounts.iter();
    let Some(first) = accounts.next() else {
        return Ok(config.schedule.trigger);
    };
    match accounts.find(|a| a.schedule.trigger != first.schedule.trigger) {
        None => Ok(first.schedule.trigger),
        Some(other) => Err(TemplateError::MixedTriggers {
            first_account: first.id.clone(),
            first: first.schedule.trigger.as_str(),
            account: other.id.clone(),
            other: other.schedule.trigger.as_str(),
        }),
    }
}

/// The parameter values of one stack instance, all but the code location: the values
/// [`build`] writes into `target`'s own template. `account` is the instance's account id,
/// or `*` where instances go to accounts not known in advance (organizational units).
pub fn stackset_parameters(
    target: &Config,
    account: &str,
) -> Result<Vec<(&'static str, String)>, TemplateError> {
    let [out, into] = trigger_texts(target)?;
    let region = &target.stack.region;
    let partition = partition(region);
    let service_arns: Vec<String> = clusters(target)
        .into_iter()
        .map(|cluster| format!("arn:{partition}:ecs:{region}:{account}:service/{cluster}/*"))
        .collect();
    let values = vec![
        (
            ids::SCHEDULE_TIMEZONE,
            target.schedule.timezone.name().to_string(),
        ),
        (ids::SCALE_OUT_EXPRESSION, out.expression),
        (ids::SCALE_IN_EXPRESSION, into.expression),
        (ids::SCALE_OUT_INPUT, out.input),
        (ids::SCALE_IN_INPUT, into.input),
        (ids::SERVICE_ARN_PATTERNS, service_arns.join(",")),
    ];
    if let Some((parameter, value)) = values.iter().find(|(_, v)| v.len() > MAX_PARAMETER_BYTES) {
        return Err(TemplateError::ParameterTooLarge {
            parameter,
            target: format!("{account}/{region}"),
            size: value.len(),
            limit: MAX_PARAMETER_BYTES,
        });
    }
    Ok(values)
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

/// The stack for `config` with the per-target `values` (literal or parameter references).
fn assemble(
    config: &Config,
    trigger: Trigger,
    values: &TargetValues,
    description: String,
) -> Template {
    let stack = config.stack.name.as_str();
    let function_name = config.function_name();
    let log_group_name = format!("/aws/lambda/{function_name}");
    let mut t = Template::new().with_description(description);

    t.parameter(
        ids::CODE_S3_BUCKET,
        Parameter {
            allowed_pattern: Some("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$".into()),
            constraint_description: Some("an S3 bucket name".into()),
            ..Parameter::string("S3 bucket holding the scaling function's code (bootstrap zip).")
        },
    );
    t.parameter(
        ids::CODE_S3_KEY,
        Parameter {
            min_length: Some(1),
            ..Parameter::string("S3 key of the scaling function's code zip.")
        },
    );

    // ------------------------------------------------------------ function role and policy
    t.resource(
        ids::FUNCTION_ROLE,
        Resource::new(IamRole {
            role_name: Some(Expr::sub(format!("{stack}-scaler-${{AWS::Region}}"))),
            description: Some(format!("{stack} (worktime): role of the scaling function")),
            assume_role_policy_document: PolicyDocument::new(vec![Statement::trust(
                Principal::service("lambda.amazonaws.com"),
                ["sts:AssumeRole"],
            )]),
            ..Default::default()
        }),
    );
    t.resource(
        ids::FUNCTION_POLICY,
        Resource::new(IamPolicy {
            policy_name: Expr::str(format!("{stack}-scaler")),
            policy_document: function_policy(values.service_arns.clone()),
            roles: vec![Expr::reference(ids::FUNCTION_ROLE)],
            users: Vec::new(),
            groups: Vec::new(),
        }),
    );

    // ------------------------------------------------------------ logs and dead letters
    t.resource(
        ids::FUNCTION_LOG_GROUP,
        Resource::new(LogGroup {
            log_group_name: Some(Expr::str(&log_group_name)),
            retention_in_days: Some(config.function.log_retention_days),
            ..Default::default()
        })
        .deletion_policy(DeletionPolicy::Delete)
        .skip_checkov(
            "CKV_AWS_158",
            "logs hold service names and capacities only; the CloudWatch Logs default encryption suffices",
        ),
    );
    t.resource(
        ids::DEAD_LETTER_QUEUE,
        Resource::new(SqsQueue {
            queue_name: Some(Expr::str(format!("{stack}-dlq"))),
            sqs_managed_sse_enabled: Some(true),
            message_retention_period: Some(DLQ_RETENTION_SECONDS),
            ..Default::default()
        })
        // Explicit: tearing the stack down removes the queue with its failed events.
        .deletion_policy(DeletionPolicy::Delete)
        .skip_checkov(
            "CKV_AWS_27",
            "encrypted at rest with SQS-managed SSE (SqsManagedSseEnabled); the check only recognises KmsMasterKeyId",
        ),
    );

    // ------------------------------------------------------------ function
    let mut variables = IndexMap::new();
    variables.insert("WORKTIME_TIMEZONE".to_string(), values.timezone.clone());
    variables.insert("RUST_LOG".to_string(), Expr::str("info"));
    t.resource(
        ids::FUNCTION,
        Resource::new(LambdaFunction {
            function_name: Some(Expr::str(&function_name)),
            description: Some(format!(
                "{stack} (worktime): scales ECS services to 0/0 outside working hours and back"
            )),
            runtime: Some("provided.al2023".into()),
            handler: Some("bootstrap".into()),
            architectures: vec![config.function.architecture.as_str().to_string()],
            memory_size: Some(config.function.memory_mb),
            timeout: Some(config.function.timeout_seconds),
            code: LambdaCode {
                s3_bucket: Some(Expr::reference(ids::CODE_S3_BUCKET)),
                s3_key: Some(Expr::reference(ids::CODE_S3_KEY)),
                ..Default::default()
            },
            role: Expr::get_att(ids::FUNCTION_ROLE, "Arn"),
            dead_letter_config: Some(LambdaDeadLetterConfig {
                target_arn: Expr::get_att(ids::DEAD_LETTER_QUEUE, "Arn"),
            }),
            logging_config: Some(LambdaLoggingConfig {
                log_group: Some(Expr::reference(ids::FUNCTION_LOG_GROUP)),
                log_format: Some("JSON".into()),
                ..Default::default()
            }),
            environment: Some(LambdaEnvironment { variables }),
            // One run at a time: scale-in and scale-out never race on a service.
            reserved_concurrent_executions: Some(1),
            ..Default::default()
        })
        .depends_on(ids::FUNCTION_POLICY)
        .skip_checkov(
            "CKV_AWS_117",
            "the function only calls AWS APIs; a VPC would add NAT or endpoints for no isolation gain",
        )
        .skip_checkov(
            "CKV_AWS_173",
            "the environment holds only the time zone and log level, no secrets",
        ),
    );

    t.resource(
        ids::ERRORS_ALARM,
        Resource::new(CloudWatchAlarm {
            alarm_name: Some(Expr::str(format!("{stack}-scaler-errors"))),
            alarm_description: Some(format!(
                "{stack} (worktime): a scaling run failed; see the {log_group_name} log group and the {stack}-dlq queue"
            )),
            namespace: "AWS/Lambda".into(),
            metric_name: "Errors".into(),
            dimensions: vec![Dimension {
                name: "FunctionName".into(),
                value: Expr::reference(ids::FUNCTION),
            }],
            statistic: "Sum".into(),
            period: 300,
            evaluation_periods: 1,
            threshold: 1.0,
            comparison_operator: "GreaterThanOrEqualToThreshold".into(),
            treat_missing_data: Some("notBreaching".into()),
            ..Default::default()
        }),
    );

    // ------------------------------------------------------------ triggers
    let retry_policy = RetryPolicy {
        maximum_retry_attempts: TARGET_RETRY_ATTEMPTS,
        maximum_event_age_in_seconds: TARGET_MAX_EVENT_AGE_SECONDS,
    };
    if trigger == Trigger::Scheduler {
        t.resource(ids::SCHEDULER_ROLE, scheduler_role(stack));
    }
    for (spec, (expression, input, when)) in TRIGGERS.iter().zip(&values.triggers) {
        let name = Expr::str(format!("{stack}-{}", spec.suffix));
        let description = Some(format!("{stack} (worktime): {} {when}", spec.verb));
        match trigger {
            Trigger::Rules => {
                t.resource(
                    spec.rule_id,
                    Resource::new(EventsRule {
                        name: Some(name),
                        description,
                        schedule_expression: Some(expression.clone()),
                        state: Some("ENABLED".into()),
                        targets: vec![EventsTarget {
                            id: "scaler".into(),
                            arn: Expr::get_att(ids::FUNCTION, "Arn"),
                            input: Some(input.clone()),
                            role_arn: None,
                            retry_policy: Some(retry_policy),
                            dead_letter_config: None,
                        }],
                    }),
                );
                t.resource(
                    spec.permission_id,
                    Resource::new(LambdaPermission {
                        action: "lambda:InvokeFunction".into(),
                        function_name: Expr::reference(ids::FUNCTION),
                        principal: "events.amazonaws.com".into(),
                        source_arn: Some(Expr::get_att(spec.rule_id, "Arn")),
                        source_account: None,
                    }),
                );
                t.output(
                    spec.output_id,
                    Output::new(
                        format!("EventBridge rule that triggers {}", spec.action),
                        Expr::reference(spec.rule_id),
                    ),
                );
            }
            Trigger::Scheduler => {
                t.resource(
                    spec.schedule_id,
                    Resource::new(SchedulerSchedule {
                        name: Some(name),
                        description,
                        group_name: None,
                        schedule_expression: expression.clone(),
                        schedule_expression_timezone: Some(values.timezone.clone()),
                        flexible_time_window: FlexibleTimeWindow::off(),
                        state: Some("ENABLED".into()),
                        target: SchedulerTarget {
                            arn: Expr::get_att(ids::FUNCTION, "Arn"),
                            role_arn: Expr::get_att(ids::SCHEDULER_ROLE, "Arn"),
                            input: Some(input.clone()),
                            retry_policy: Some(retry_policy),
                            dead_letter_config: Some(TargetDeadLetterConfig {
                                arn: Expr::get_att(ids::DEAD_LETTER_QUEUE, "Arn"),
                            }),
                        },
                    }),
                );
                t.output(
                    spec.output_id,
                    Output::new(
                        format!(
                            "EventBridge Scheduler schedule that triggers {}",
                            spec.action
                        ),
                        Expr::reference(spec.schedule_id),
                    ),
                );
            }
        }
    }

    // ------------------------------------------------------------ outputs
    let mut outputs = IndexMap::new();
    outputs.insert(
        ids::OUT_FUNCTION_NAME,
        Output::new(
            "Name of the scaling function",
            Expr::reference(ids::FUNCTION),
        ),
    );
    outputs.insert(
        ids::OUT_FUNCTION_ARN,
        Output::new(
            "ARN of the scaling function",
            Expr::get_att(ids::FUNCTION, "Arn"),
        ),
    );
    outputs.insert(
        ids::OUT_LOG_GROUP_NAME,
        Output::new(
            "The function's log group",
            Expr::reference(ids::FUNCTION_LOG_GROUP),
        ),
    );
    outputs.insert(
        ids::OUT_DEAD_LETTER_QUEUE_URL,
        Output::new(
            "Queue receiving failed invocations",
            Expr::reference(ids::DEAD_LETTER_QUEUE),
        ),
    );
    // Function outputs first, trigger outputs (added above) after.
    let triggers_out = std::mem::take(&mut t.outputs);
    for (id, output) in outputs {
        t.output(id, output);
    }
    t.outputs.extend(triggers_out);
    t
}

/// The compact JSON a trigger sends for `action`, checked against EventBridge's limit.
pub fn payload(config: &Config, action: Action) -> Result<String, TemplateError> {
    let text = serde_json::to_string(&config.scaling_event(action))
        .map_err(|source| TemplateError::Payload { action, source })?;
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

/// AWS name limits, checked with the target's region so the error names the real length.
fn check_names(config: &Config, trigger: Trigger, region: &str) -> Result<(), TemplateError> {
    let stack = &config.stack.name;
    let mut names: Vec<(&'static str, String, usize)> = vec![
        ("IAM role", format!("{stack}-scaler-{region}"), 64),
        ("Lambda function", config.function_name(), 64),
        ("SQS queue", format!("{stack}-dlq"), 80),
        ("CloudWatch alarm", format!("{stack}-scaler-errors"), 255),
    ];
    let trigger_what = match trigger {
        Trigger::Rules => "EventBridge rule",
        Trigger::Scheduler => "EventBridge Scheduler schedule",
    };
    names.push((trigger_what, format!("{stack}-scale-out"), 64));
    if trigger == Trigger::Scheduler {
        names.push(("IAM role", format!("{stack}-scheduler-{region}"), 64));
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

/// The distinct clusters, in a stable order.
fn clusters(config: &Config) -> BTreeSet<&str> {
    config.services.iter().map(|s| s.cluster.as_str()).collect()
}

/// Least privilege for the scaling function, on the configured services' clusters.
fn function_policy(service_arns: Vec<Expr>) -> PolicyDocument {
    PolicyDocument::new(vec![
        // No resource-level permissions for Describe*: "*" is the only possible resource.
        Statement::allow(
            ["application-autoscaling:DescribeScalableTargets"],
            [Expr::str("*")],
        )
        .sid("DescribeScalableTargets"),
        // Scalable target ARNs carry a random id, not the ECS resource id, so the account's
        // and region's targets are as narrow as a static policy can get; the ECS statement
        // below limits which services registration can actually change.
        Statement::allow(
            ["application-autoscaling:RegisterScalableTarget"],
            [Expr::sub(
                "arn:${AWS::Partition}:application-autoscaling:${AWS::Region}:${AWS::AccountId}:scalable-target/*",
            )],
        )
        .sid("RegisterScalableTargets"),
        // The function's own ECS calls, which are also what RegisterScalableTarget needs from
        // its caller for an ECS service (ecs:DescribeServices, ecs:UpdateService).
        Statement::allow(
            [
                "ecs:DescribeServices",
                "ecs:ListTagsForResource",
                "ecs:UpdateService",
            ],
            service_arns.clone(),
        )
        .sid("ScaleConfiguredServices"),
        Statement::allow(["ecs:TagResource"], service_arns)
            .sid("RememberCapacity")
            .condition(
                "ForAllValues:StringEquals",
                "aws:TagKeys",
                Expr::str(CAPACITY_TAG),
            ),
        Statement::allow(
            ["iam:PassRole"],
            [Expr::sub(ECS_AUTOSCALING_SLR)],
        )
        .sid("PassAutoScalingServiceLinkedRole")
        .condition(
            "StringEquals",
            "iam:PassedToService",
            Expr::str("application-autoscaling.amazonaws.com"),
        ),
        // The first registration in an account creates the ECS service-linked role.
        Statement::allow(
            ["iam:CreateServiceLinkedRole"],
            [Expr::sub(ECS_AUTOSCALING_SLR)],
        )
        .sid("CreateAutoScalingServiceLinkedRole")
        .condition(
            "StringEquals",
            "iam:AWSServiceName",
            Expr::str("ecs.application-autoscaling.amazonaws.com"),
        ),
        Statement::allow(
            ["logs:CreateLogStream", "logs:PutLogEvents"],
            [Expr::get_att(ids::FUNCTION_LOG_GROUP, "Arn")],
        )
        .sid("WriteOwnLogs"),
        Statement::allow(
            ["sqs:SendMessage"],
            [Expr::get_att(ids::DEAD_LETTER_QUEUE, "Arn")],
        )
        .sid("DeadLetters"),
    ])
}

/// The role EventBridge Scheduler assumes to invoke the function and dead-letter failures.
fn scheduler_role(stack: &str) -> Resource {
    let trust = Statement::trust(
        Principal::service("scheduler.amazonaws.com"),
        ["sts:AssumeRole"],
    )
    .condition(
        "StringEquals",
        "aws:SourceAccount",
        Expr::pseudo(Pseudo::AccountId),
    );
    Resource::new(IamRole {
        role_name: Some(Expr::sub(format!("{stack}-scheduler-${{AWS::Region}}"))),
        description: Some(format!(
            "{stack} (worktime): lets EventBridge Scheduler invoke the scaling function"
        )),
        assume_role_policy_document: PolicyDocument::new(vec![trust]),
        policies: vec![InlinePolicy {
            policy_name: Expr::str("invoke-scaler"),
            policy_document: PolicyDocument::new(vec![
                Statement::allow(
                    ["lambda:InvokeFunction"],
                    [Expr::get_att(ids::FUNCTION, "Arn")],
                )
                .sid("InvokeScaler"),
                Statement::allow(
                    ["sqs:SendMessage"],
                    [Expr::get_att(ids::DEAD_LETTER_QUEUE, "Arn")],
                )
                .sid("DeadLetters"),
            ]),
        }],
        ..Default::default()
    })
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use chrono::NaiveDate;
    use chrono_tz::Tz;
    use worktime_lambda::event::Capacity;

    use super::*;
    use crate::config::{FunctionSettings, Schedule, ServiceSpec, StackSettings};

    fn config(
        stack: &str,
        region: &str,
        tz: Tz,
        trigger: Trigger,
        services: Vec<ServiceSpec>,
    ) -> Config {
        Config {
            path: PathBuf::from(format!("{stack}.toml")),
            stack: StackSettings {
                name: stack.into(),
                region: region.into(),
            },
            schedule: Schedule {
                timezone: tz,
                scale_out: AwsCron::parse("cron(0 9 ? * MON-FRI *)").unwrap(),
                scale_in: AwsCron::parse("cron(0 19 ? * MON-FRI *)").unwrap(),
                trigger,
                skip_dates: Vec::new(),
            },
            services,
            function: FunctionSettings::default(),
            accounts: Vec::new(),
            stacksets: None,
        }
    }

    fn svc(cluster: &str, service: &str, capacity: Option<(i32, i32)>) -> ServiceSpec {
        ServiceSpec {
            cluster: cluster.into(),
            service: service.into(),
            capacity: capacity.map(|(min, max)| Capacity::new(min, max).unwrap()),
        }
    }

    fn seoul() -> Config {
        let mut c = config(
            "dev-seoul",
            "ap-northeast-2",
            chrono_tz::Asia::Seoul,
            Trigger::Rules,
            vec![
                svc("dev", "api", Some((1, 4))),
                svc("dev", "worker", Some((2, 2))),
                svc("batch", "reports", Some((1, 1))),
            ],
        );
        c.schedule.skip_dates = vec![NaiveDate::from_ymd_opt(2026, 1, 1).unwrap()];
        c
    }

    fn berlin() -> Config {
        config(
            "staging",
            "eu-central-1",
            chrono_tz::Europe::Berlin,
            Trigger::Scheduler,
            vec![svc("staging", "web", Some((2, 6)))],
        )
    }

    fn kolkata() -> Config {
        config(
            "qa-india",
            "ap-south-1",
            chrono_tz::Asia::Kolkata,
            Trigger::Rules,
            vec![svc("qa", "api", Some((1, 2)))],
        )
    }

    fn restore() -> Config {
        let mut c = config(
            "restore",
            "us-east-1",
            chrono_tz::America::New_York,
            Trigger::Scheduler,
            vec![svc("shared", "api", None), svc("shared", "jobs", None)],
        );
        c.function.architecture = crate::config::Architecture::X86_64;
        c.function.memory_mb = 256;
        c.function.log_retention_days = 14;
        c
    }

    fn json(config: &Config) -> serde_json::Value {
        serde_json::from_str(&build(config).unwrap().to_json().unwrap()).unwrap()
    }

    /// Every `examples/*.toml`, loaded as the CLI loads it.
    fn examples() -> Vec<(String, Config)> {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples");
        let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|entry| entry.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "toml"))
            .collect();
        paths.sort();
        assert!(!paths.is_empty(), "no examples in {}", dir.display());
        paths
            .into_iter()
            .map(|p| {
                let stem = p.file_stem().unwrap().to_string_lossy().into_owned();
                let config = crate::config::load(&p).unwrap_or_else(|e| panic!("{e}"));
                (stem, config)
            })
            .collect()
    }

    #[test]
    fn example_snapshots() {
        for (stem, config) in examples() {
            let template = build(&config).unwrap_or_else(|e| panic!("{stem}: {e}"));
            insta::assert_snapshot!(format!("example_{stem}"), template.to_yaml().unwrap());
            // YAML and JSON describe the same document.
            let from_yaml: serde_json::Value =
                serde_yaml::from_str(&template.to_yaml().unwrap()).unwrap();
            let from_json: serde_json::Value =
                serde_json::from_str(&template.to_json().unwrap()).unwrap();
            assert_eq!(from_yaml, from_json, "{stem}");
        }
    }

    #[test]
    fn examples_cover_both_triggers_restore_mode_and_a_half_hour_zone() {
        let all = examples();
        assert!(all
            .iter()
            .any(|(_, c)| c.schedule.trigger == Trigger::Rules));
        assert!(all
            .iter()
            .any(|(_, c)| c.schedule.trigger == Trigger::Scheduler));
        assert!(all
            .iter()
            .any(|(_, c)| c.services.iter().any(|s| s.capacity.is_none())));
        assert!(all
            .iter()
            .any(|(_, c)| c.schedule.timezone == chrono_tz::Asia::Kolkata));
    }

    #[test]
    fn half_hour_zone_kolkata() {
        let v = json(&kolkata());
        // 09:00 IST is 03:30 UTC; 19:00 IST is 13:30 UTC.
        assert_eq!(
            v["Resources"]["ScaleOutRule"]["Properties"]["ScheduleExpression"],
            "cron(30 3 ? * MON-FRI *)"
        );
        assert_eq!(
            v["Resources"]["ScaleInRule"]["Properties"]["ScheduleExpression"],
            "cron(30 13 ? * MON-FRI *)"
        );
    }

    #[test]
    fn restore_mode_payload_has_no_capacity() {
        let v = json(&restore());
        let input: serde_json::Value = serde_json::from_str(
            v["Resources"]["ScaleOutSchedule"]["Properties"]["Target"]["Input"]
                .as_str()
                .unwrap(),
        )
        .unwrap();
        assert_eq!(
            input["services"],
            serde_json::json!([
                {"resource_id": "service/shared/api"},
                {"resource_id": "service/shared/jobs"}
            ])
        );
    }

    #[test]
    fn rules_use_utc_crons_and_permissions() {
        let v = json(&seoul());
        let r = &v["Resources"];
        assert_eq!(
            r["ScaleOutRule"]["Properties"]["ScheduleExpression"],
            "cron(0 0 ? * MON-FRI *)"
        );
        assert_eq!(
            r["ScaleInRule"]["Properties"]["ScheduleExpression"],
            "cron(0 10 ? * MON-FRI *)"
        );
        assert_eq!(
            r["ScaleOutRule"]["Properties"]["Name"],
            "dev-seoul-scale-out"
        );
        let target = &r["ScaleInRule"]["Properties"]["Targets"][0];
        assert_eq!(target["Id"], "scaler");
        assert_eq!(
            target["Arn"],
            serde_json::json!({"Fn::GetAtt": ["Function", "Arn"]})
        );
        let input: serde_json::Value =
            serde_json::from_str(target["Input"].as_str().unwrap()).unwrap();
        assert_eq!(input["action"], "scale-in");
        assert_eq!(input["timezone"], "Asia/Seoul");
        assert_eq!(input["skip_dates"], serde_json::json!(["2026-01-01"]));
        assert_eq!(
            r["ScaleOutPermission"]["Properties"]["SourceArn"],
            serde_json::json!({"Fn::GetAtt": ["ScaleOutRule", "Arn"]})
        );
        assert!(r.get("SchedulerRole").is_none());
        assert!(r.get("ScaleOutSchedule").is_none());
        assert_eq!(
            v["Outputs"]["ScaleInTrigger"]["Value"],
            serde_json::json!({"Ref": "ScaleInRule"})
        );
    }

    #[test]
    fn scheduler_keeps_local_cron_and_zone() {
        let v = json(&berlin());
        let p = &v["Resources"]["ScaleOutSchedule"]["Properties"];
        assert_eq!(p["ScheduleExpression"], "cron(0 9 ? * MON-FRI *)");
        assert_eq!(p["ScheduleExpressionTimezone"], "Europe/Berlin");
        assert_eq!(p["FlexibleTimeWindow"]["Mode"], "OFF");
        assert_eq!(
            p["Target"]["DeadLetterConfig"]["Arn"],
            serde_json::json!({"Fn::GetAtt": ["DeadLetterQueue", "Arn"]})
        );
        let trust = &v["Resources"]["SchedulerRole"]["Properties"]["AssumeRolePolicyDocument"]
            ["Statement"][0];
        assert_eq!(trust["Principal"]["Service"], "scheduler.amazonaws.com");
        assert_eq!(
            trust["Condition"]["StringEquals"]["aws:SourceAccount"],
            serde_json::json!({"Ref": "AWS::AccountId"})
        );
        assert!(v["Resources"].get("ScaleOutPermission").is_none());
        assert!(v["Resources"].get("ScaleOutRule").is_none());
    }

    #[test]
    fn dst_zone_with_rules_is_refused() {
        let mut c = berlin();
        c.schedule.trigger = Trigger::Rules;
        let err = build(&c).unwrap_err();
        assert!(
            matches!(
                err,
                TemplateError::Cron {
                    action: Action::ScaleOut,
                    ..
                }
            ),
            "{err}"
        );
        assert!(err.to_string().contains("scheduler"), "{err}");
    }

    #[test]
    fn nothing_refers_to_alarm_or_schedules_by_get_att() {
        for c in [seoul(), berlin(), kolkata(), restore()] {
            let text = build(&c).unwrap().to_json().unwrap();
            for id in ["ErrorsAlarm", "ScaleOutSchedule", "ScaleInSchedule"] {
                assert!(
                    !text.contains(&format!("\"{id}\",")),
                    "{id} is the target of a GetAtt in {}",
                    c.stack.name
                );
            }
        }
    }

    #[test]
    fn function_settings() {
        let v = json(&restore());
        let f = &v["Resources"]["Function"];
        assert_eq!(f["DependsOn"], serde_json::json!(["FunctionPolicy"]));
        let p = &f["Properties"];
        assert_eq!(p["FunctionName"], "restore-scaler");
        assert_eq!(p["Runtime"], "provided.al2023");
        assert_eq!(p["Handler"], "bootstrap");
        assert_eq!(p["Architectures"], serde_json::json!(["x86_64"]));
        assert_eq!(p["MemorySize"], 256);
        assert_eq!(p["ReservedConcurrentExecutions"], 1);
        assert_eq!(
            p["Code"]["S3Bucket"],
            serde_json::json!({"Ref": "CodeS3Bucket"})
        );
        assert_eq!(
            p["Environment"]["Variables"]["WORKTIME_TIMEZONE"],
            "America/New_York"
        );
        assert_eq!(
            p["LoggingConfig"]["LogGroup"],
            serde_json::json!({"Ref": "FunctionLogGroup"})
        );
        let lg = &v["Resources"]["FunctionLogGroup"];
        assert_eq!(
            lg["Properties"]["LogGroupName"],
            "/aws/lambda/restore-scaler"
        );
        assert_eq!(lg["Properties"]["RetentionInDays"], 14);
        assert_eq!(lg["DeletionPolicy"], "Delete");
        assert_eq!(
            v["Resources"]["FunctionRole"]["Properties"]["RoleName"],
            serde_json::json!({"Fn::Sub": "restore-scaler-${AWS::Region}"})
        );
        assert!(v["Resources"]["FunctionRole"]["Properties"]
            .get("ManagedPolicyArns")
            .is_none());
        assert_eq!(v["Resources"]["FunctionPolicy"]["Type"], "AWS::IAM::Policy");
    }

    #[test]
    fn policy_is_scoped() {
        let t = build(&seoul()).unwrap();
        let worktime_cfn::ResourceProperties::IamPolicy(policy) =
            &t.resources["FunctionPolicy"].properties
        else {
            panic!("FunctionPolicy is not an AWS::IAM::Policy");
        };
        let doc = &policy.policy_document;
        assert!(
            doc.actions().all(|a| !a.contains('*')),
            "no wildcard actions"
        );
        assert!(doc.actions().all(|a| !a.starts_with("ecs:*")));

        let pass = doc.statement("PassAutoScalingServiceLinkedRole").unwrap();
        assert_eq!(pass.action.iter().collect::<Vec<_>>(), ["iam:PassRole"]);
        let cond = serde_json::to_value(&pass.condition).unwrap();
        assert_eq!(
            cond,
            serde_json::json!({"StringEquals": {"iam:PassedToService": "application-autoscaling.amazonaws.com"}})
        );
        assert!(pass.resources().all(|r| matches!(r, Expr::Sub(s, _) if s.ends_with("AWSServiceRoleForApplicationAutoScaling_ECSService"))));

        let logs = doc.statement("WriteOwnLogs").unwrap();
        assert_eq!(
            logs.resources().collect::<Vec<_>>(),
            [&Expr::get_att("FunctionLogGroup", "Arn")]
        );

        let ecs = doc.statement("ScaleConfiguredServices").unwrap();
        let arns: Vec<_> = ecs.resources().cloned().collect();
        assert_eq!(
            arns,
            [
                Expr::sub(
                    "arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:service/batch/*"
                ),
                Expr::sub(
                    "arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:service/dev/*"
                ),
            ]
        );
        let tag = doc.statement("RememberCapacity").unwrap();
        assert_eq!(tag.resources().cloned().collect::<Vec<_>>(), arns);

        // Only Describe (which has no resource-level permissions) may use "*".
        for s in &doc.statement {
            if s.resources().any(|r| r.as_literal() == Some("*")) {
                assert_eq!(
                    s.action.iter().collect::<Vec<_>>(),
                    ["application-autoscaling:DescribeScalableTargets"]
                );
            }
        }
        assert_eq!(
            doc.statement("DeadLetters")
                .unwrap()
                .resources()
                .collect::<Vec<_>>(),
            [&Expr::get_att("DeadLetterQueue", "Arn")]
        );
    }

    #[test]
    fn payload_too_large() {
        let services = (0..300)
            .map(|i| {
                svc(
                    "a-rather-long-cluster-name-for-production",
                    &format!("service-with-a-long-descriptive-name-{i:03}"),
                    Some((1, 2)),
                )
            })
            .collect();
        let c = config(
            "big",
            "us-east-1",
            chrono_tz::UTC,
            Trigger::Scheduler,
            services,
        );
        let err = build(&c).unwrap_err();
        let TemplateError::PayloadTooLarge {
            action,
            size,
            limit,
        } = &err
        else {
            panic!("expected PayloadTooLarge, got {err}");
        };
        assert_eq!(*action, Action::ScaleOut);
        assert_eq!(*limit, 8192);
        assert!(*size > 8192);
        let message = err.to_string();
        assert!(message.contains(&format!("{size} characters")), "{message}");
        assert!(message.contains("8192"), "{message}");
        assert!(message.contains("fewer services"), "{message}");
    }

    #[test]
    fn payload_at_the_limit_is_accepted() {
        // Grow the service list until the payload is just under the limit.
        let mut c = config(
            "edge",
            "us-east-1",
            chrono_tz::UTC,
            Trigger::Rules,
            Vec::new(),
        );
        let mut i = 0;
        loop {
            c.services.push(svc("c", &format!("s{i}"), Some((1, 1))));
            if payload(&c, Action::ScaleOut).is_err() {
                c.services.pop();
                break;
            }
            i += 1;
        }
        let size = payload(&c, Action::ScaleOut).unwrap().len();
        assert!(
            size <= MAX_INPUT_CHARS && size > MAX_INPUT_CHARS - 64,
            "{size}"
        );
        build(&c).unwrap();
    }

    #[test]
    fn long_stack_names_are_refused() {
        let mut c = seoul();
        c.stack.name = "a".repeat(50);
        let err = build(&c).unwrap_err();
        assert!(
            matches!(
                err,
                TemplateError::NameTooLong {
                    what: "IAM role",
                    ..
                }
            ),
            "{err}"
        );
    }

    /// Writes the test templates to `target/templates/` for cfn-lint and checkov
    /// (`cargo test -p worktime --lib template -- --ignored`).
    #[test]
    #[ignore]
    fn write_templates() {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/templates");
        std::fs::create_dir_all(&dir).unwrap();
        let mut all = vec![
            ("test-seoul".to_string(), seoul()),
            ("test-berlin".to_string(), berlin()),
            ("test-kolkata".to_string(), kolkata()),
            ("test-restore".to_string(), restore()),
        ];
        all.extend(examples());
        // The stack set variants (parameterised), linted like the rest.
        let stacksets = [
            ("stackset-seoul", seoul()),
            ("stackset-berlin", berlin()),
            ("stackset-accounts", with_accounts()),
        ];
        let built = all
            .iter()
            .map(|(name, c)| (name.clone(), build(c).unwrap()))
            .chain(
                stacksets
                    .iter()
                    .map(|(name, c)| (name.to_string(), build_for_stackset(c).unwrap())),
            );
        for (name, t) in built {
            std::fs::write(dir.join(format!("{name}.yaml")), t.to_yaml().unwrap()).unwrap();
            std::fs::write(dir.join(format!("{name}.json")), t.to_json().unwrap()).unwrap();
        }
    }

    // ---------------------------------------------------------------- stack set template

    fn account(id: &str, regions: &[&str], base: &Config) -> crate::config::Account {
        crate::config::Account {
            id: id.into(),
            access: crate::config::AccountAccess::Profile("p".into()),
            regions: regions.iter().map(|r| r.to_string()).collect(),
            schedule: base.schedule.clone(),
            services: base.services.clone(),
        }
    }

    /// seoul() with two accounts: one in Kolkata with its own services, one in two regions.
    fn with_accounts() -> Config {
        let mut c = seoul();
        let mut first = account("111111111111", &["ap-south-1"], &c);
        first.schedule.timezone = chrono_tz::Asia::Kolkata;
        first.services = vec![svc("team", "web", None)];
        let second = account("222222222222", &["ap-northeast-2", "us-east-1"], &c);
        c.accounts = vec![first, second];
        c
    }

    fn stackset_json(config: &Config) -> serde_json::Value {
        serde_json::from_str(&build_for_stackset(config).unwrap().to_json().unwrap()).unwrap()
    }

    #[test]
    fn stackset_snapshot() {
        let t = build_for_stackset(&with_accounts()).unwrap();
        insta::assert_snapshot!("stackset_accounts-rules", t.to_yaml().unwrap());
    }

    #[test]
    fn stackset_template_takes_the_per_target_values_as_parameters() {
        let v = stackset_json(&with_accounts());
        let parameters: Vec<&str> = v["Parameters"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            parameters,
            [
                "CodeS3Bucket",
                "CodeS3Key",
                "ScheduleTimezone",
                "ScaleOutExpression",
                "ScaleInExpression",
                "ScaleOutInput",
                "ScaleInInput",
                "ServiceArnPatterns"
            ]
        );
        assert_eq!(
            v["Parameters"]["ServiceArnPatterns"]["Type"],
            "CommaDelimitedList"
        );
        assert_eq!(v["Parameters"]["ScaleOutInput"]["MaxLength"], 4096);
        let r = &v["Resources"];
        let reference = |id: &str| serde_json::json!({ "Ref": id });
        assert_eq!(
            r["ScaleOutRule"]["Properties"]["ScheduleExpression"],
            reference("ScaleOutExpression")
        );
        assert_eq!(
            r["ScaleInRule"]["Properties"]["Targets"][0]["Input"],
            reference("ScaleInInput")
        );
        assert_eq!(
            r["Function"]["Properties"]["Environment"]["Variables"]["WORKTIME_TIMEZONE"],
            reference("ScheduleTimezone")
        );
        // The list parameter is the statement's Resource itself, not an element of a list.
        for sid in ["ScaleConfiguredServices", "RememberCapacity"] {
            let statement = r["FunctionPolicy"]["Properties"]["PolicyDocument"]["Statement"]
                .as_array()
                .unwrap()
                .iter()
                .find(|s| s["Sid"] == sid)
                .unwrap();
            assert_eq!(
                statement["Resource"],
                reference("ServiceArnPatterns"),
                "{sid}"
            );
        }
        // No target's own values in the template.
        let text = build_for_stackset(&with_accounts())
            .unwrap()
            .to_json()
            .unwrap();
        for literal in [
            "Asia/Seoul",
            "Asia/Kolkata",
            "cron(0",
            "cron(30",
            "service/dev",
            "service/team",
        ] {
            assert!(
                !text.contains(literal),
                "{literal} in the stack set template"
            );
        }
        // The rest is the same stack.
        let direct = json(&seoul());
        let ids = |v: &serde_json::Value| {
            v["Resources"]
                .as_object()
                .unwrap()
                .keys()
                .cloned()
                .collect::<Vec<_>>()
        };
        assert_eq!(ids(&v), ids(&direct));
        assert_eq!(v["Outputs"], direct["Outputs"]);
        assert_eq!(r["DeadLetterQueue"], direct["Resources"]["DeadLetterQueue"]);
    }

    #[test]
    fn stackset_scheduler_variant_takes_the_zone_as_a_parameter() {
        let v = stackset_json(&berlin());
        let p = &v["Resources"]["ScaleInSchedule"]["Properties"];
        assert_eq!(
            p["ScheduleExpression"],
            serde_json::json!({"Ref": "ScaleInExpression"})
        );
        assert_eq!(
            p["ScheduleExpressionTimezone"],
            serde_json::json!({"Ref": "ScheduleTimezone"})
        );
        assert_eq!(
            p["Target"]["Input"],
            serde_json::json!({"Ref": "ScaleInInput"})
        );
        assert!(v["Resources"].get("SchedulerRole").is_some());
        assert!(v["Parameters"]["ScaleOutExpression"]["Description"]
            .as_str()
            .unwrap()
            .contains("ScheduleTimezone"));
    }

    #[test]
    fn stackset_parameters_are_the_values_build_writes() {
        for c in [seoul(), berlin(), kolkata(), restore()] {
            let direct = json(&c);
            let values = stackset_parameters(&c, "123456789012").unwrap();
            let value = |key: &str| values.iter().find(|(k, _)| *k == key).unwrap().1.clone();
            let (out, into) = match c.schedule.trigger {
                Trigger::Rules => ("ScaleOutRule", "ScaleInRule"),
                Trigger::Scheduler => ("ScaleOutSchedule", "ScaleInSchedule"),
            };
            let r = &direct["Resources"];
            assert_eq!(
                r[out]["Properties"]["ScheduleExpression"],
                value("ScaleOutExpression")
            );
            assert_eq!(
                r[into]["Properties"]["ScheduleExpression"],
                value("ScaleInExpression")
            );
            let input = |id: &str| match c.schedule.trigger {
                Trigger::Rules => r[id]["Properties"]["Targets"][0]["Input"].clone(),
                Trigger::Scheduler => r[id]["Properties"]["Target"]["Input"].clone(),
            };
            assert_eq!(input(out), value("ScaleOutInput"));
            assert_eq!(input(into), value("ScaleInInput"));
            assert_eq!(
                r["Function"]["Properties"]["Environment"]["Variables"]["WORKTIME_TIMEZONE"],
                value("ScheduleTimezone")
            );
        }
        let values = stackset_parameters(&seoul(), "123456789012").unwrap();
        assert_eq!(
            values.last().unwrap(),
            &(
                "ServiceArnPatterns",
                "arn:aws:ecs:ap-northeast-2:123456789012:service/batch/*,arn:aws:ecs:ap-northeast-2:123456789012:service/dev/*".to_string()
            )
        );
        let mut china = seoul();
        china.stack.region = "cn-north-1".into();
        let values = stackset_parameters(&china, "*").unwrap();
        assert!(values
            .last()
            .unwrap()
            .1
            .starts_with("arn:aws-cn:ecs:cn-north-1:*:service/"));
    }

    #[test]
    fn stackset_parameter_over_4096_bytes_is_refused_with_the_fix() {
        // A payload between CloudFormation's 4,096-byte parameter limit and EventBridge's 8,192.
        let services = (0..80)
            .map(|i| {
                svc(
                    "cluster",
                    &format!("service-with-a-long-name-{i:03}"),
                    Some((1, 2)),
                )
            })
            .collect();
        let c = config("big", "us-east-1", chrono_tz::UTC, Trigger::Rules, services);
        let size = payload(&c, Action::ScaleOut).unwrap().len();
        assert!(
            size > MAX_PARAMETER_BYTES && size <= MAX_INPUT_CHARS,
            "{size}"
        );
        build(&c).unwrap();
        build_for_stackset(&c).unwrap();
        let err = stackset_parameters(&c, "111111111111").unwrap_err();
        let TemplateError::ParameterTooLarge {
            parameter,
            target,
            size: reported,
            limit,
        } = &err
        else {
            panic!("expected ParameterTooLarge, got {err}");
        };
        assert_eq!(*parameter, "ScaleOutInput");
        assert_eq!(target, "111111111111/us-east-1");
        assert_eq!(*reported, size);
        assert_eq!(*limit, 4096);
        let message = err.to_string();
        assert!(message.contains("fewer services"), "{message}");
        assert!(message.contains("without --engine stacksets"), "{message}");
    }

    #[test]
    fn stackset_needs_one_trigger_kind() {
        let mut c = with_accounts();
        assert_eq!(stackset_trigger(&c).unwrap(), Trigger::Rules);
        c.accounts[1].schedule.trigger = Trigger::Scheduler;
        let err = build_for_stackset(&c).unwrap_err();
        assert!(matches!(err, TemplateError::MixedTriggers { .. }), "{err}");
        let message = err.to_string();
        assert!(
            message.contains("111111111111") && message.contains("222222222222"),
            "{message}"
        );
        assert!(message.contains("same trigger kind"), "{message}");
        // Without accounts, the top-level trigger.
        assert_eq!(stackset_trigger(&berlin()).unwrap(), Trigger::Scheduler);
    }

    #[test]
    fn stackset_names_are_checked_in_every_region() {
        let mut c = with_accounts();
        // 26 characters: "<name>-scaler-ap-northeast-2" is 64 + 1 in the longest region only.
        c.stack.name = "a".repeat(MAX_STACK_NAME_FOR_TEST);
        c.accounts[0].regions = vec!["us-east-1".into()];
        c.accounts[1].regions = vec!["ap-northeast-2".into()];
        c.stack.region = "us-east-1".into();
        let err = build_for_stackset(&c).unwrap_err();
        assert!(
            matches!(err, TemplateError::NameTooLong { ref name, .. } if name.ends_with("ap-northeast-2")),
            "{err}"
        );
    }

    const MAX_STACK_NAME_FOR_TEST: usize = 64 - "-scaler-ap-northeast-2".len() + 1;

    #[test]
    fn partitions() {
        assert_eq!(partition("us-east-1"), "aws");
        assert_eq!(partition("cn-northwest-1"), "aws-cn");
        assert_eq!(partition("us-gov-west-1"), "aws-us-gov");
        assert_eq!(partition("us-iso-east-1"), "aws-iso");
        assert_eq!(partition("us-isob-east-1"), "aws-iso-b");
    }
}
