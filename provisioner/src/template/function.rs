//! The scaling function and what belongs to it: its code parameters, role and policy, log
//! group, dead-letter queue and error alarm, and their outputs.

use indexmap::IndexMap;
use worktime_cfn::iam::{PolicyDocument, Principal, Statement};
use worktime_cfn::resources::{
    CloudWatchAlarm, Dimension, IamPolicy, IamRole, LambdaCode, LambdaDeadLetterConfig,
    LambdaEnvironment, LambdaEventInvokeConfig, LambdaFunction, LambdaLoggingConfig, LogGroup,
    SqsQueue,
};
use worktime_cfn::{DeletionPolicy, Expr, Output, Parameter, Resource, Template};
use worktime_lambda::env;

use super::ids::{self, DLQ_RETENTION_SECONDS};
use super::notify::NotifyTargets;
use super::policy::function_policy;
use super::values::TargetValues;
use crate::config::StackConfig;

/// Adds the function and its resources to `t`.
pub(super) fn add(
    t: &mut Template,
    config: &StackConfig,
    values: &TargetValues,
    notify: &NotifyTargets,
) {
    let stack = config.stack.name.as_str();
    let function_name = config.function_name();
    let log_group_name = format!("/aws/lambda/{function_name}");
    let notices = config
        .schedules_in_use()
        .iter()
        .any(|s| s.schedule.notice.is_some());

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
    t.parameter(
        ids::CODE_S3_OBJECT_VERSION,
        Parameter {
            min_length: Some(1),
            ..Parameter::string(
                "S3 object version of the code zip: the function runs exactly the object worktime checked, whatever is written to the key later.",
            )
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
            policy_document: {
                let mut policy = function_policy(
                    values.service_arns.clone(),
                    &values.listing,
                    notify,
                    notices.then_some(function_name.as_str()),
                    &config.capacity,
                );
                policy.statement.extend(super::wake::statements(config));
                // A wave waits until its services' load balancer targets are healthy (no
                // resource-level permission: "*"); the wake statements grant this read too.
                let in_waves = values.schedules.iter().any(|s| s.waves.is_some());
                if in_waves && config.woken().next().is_none() {
                    policy.statement.push(
                        Statement::allow(
                            ["elasticloadbalancing:DescribeTargetHealth"],
                            [Expr::str("*")],
                        )
                        .sid("ReadTargetHealth"),
                    );
                }
                policy
            },
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
    variables.insert(env::TIMEZONE_VAR.to_string(), values.timezone.clone());
    variables.insert(
        env::ALLOWED_SERVICES_VAR.to_string(),
        values.allowed_services.clone(),
    );
    if let Some(selectors) = &values.allowed_selectors {
        variables.insert(env::ALLOWED_SELECTORS_VAR.to_string(), selectors.clone());
    }
    variables.insert(env::STACK_VAR.to_string(), Expr::str(stack));
    variables.insert(
        env::SCHEDULES_VAR.to_string(),
        Expr::str(values.schedule_names.join(",")),
    );
    if !notify.topics.is_empty() {
        variables.insert(
            env::NOTIFY_TOPICS_VAR.to_string(),
            Expr::join(",", notify.topics.clone()),
        );
    }
    if let Some(woken) = super::wake::environment(config) {
        variables.insert(
            worktime_lambda::wake::WAKE_VAR.to_string(),
            Expr::str(woken),
        );
    }
    variables.insert("RUST_LOG".to_string(), Expr::str("info"));
    let function = Resource::new(LambdaFunction {
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
                s3_object_version: Some(Expr::reference(ids::CODE_S3_OBJECT_VERSION)),
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
            // None unless configured: see FunctionSettings::reserved_concurrency.
            reserved_concurrent_executions: config.function.reserved_concurrency,
            ..Default::default()
        })
        .depends_on(ids::FUNCTION_POLICY)
        .skip_checkov(
            "CKV_AWS_117",
            "the function only calls AWS APIs; a VPC would add NAT or endpoints for no isolation gain",
        )
        .skip_checkov(
            "CKV_AWS_173",
            "the environment holds only the stack name, the time zone, the allowed service names and tag selectors, the notification topics and the log level, no secrets",
        );
    let function = if config.function.reserved_concurrency.is_none() {
        function.skip_checkov(
            "CKV_AWS_115",
            "no reserved concurrency by default: new accounts (quota 10) refuse any reservation, and two triggers a day never need one; [function] reserved_concurrency sets it",
        )
    } else {
        function
    };
    t.resource(ids::FUNCTION, function);

    t.resource(
        ids::FUNCTION_EVENT_INVOKE_CONFIG,
        Resource::new(LambdaEventInvokeConfig {
            function_name: Expr::reference(ids::FUNCTION),
            qualifier: "$LATEST".into(),
            maximum_event_age_in_seconds: ids::FUNCTION_MAX_EVENT_AGE_SECONDS,
            maximum_retry_attempts: ids::FUNCTION_RETRY_ATTEMPTS,
        }),
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
            alarm_actions: notify.topics.clone(),
            ..Default::default()
        }),
    );

    // ------------------------------------------------------------ outputs
    t.output(
        ids::OUT_FUNCTION_NAME,
        Output::new(
            "Name of the scaling function",
            Expr::reference(ids::FUNCTION),
        ),
    );
    t.output(
        ids::OUT_FUNCTION_ARN,
        Output::new(
            "ARN of the scaling function",
            Expr::get_att(ids::FUNCTION, "Arn"),
        ),
    );
    t.output(
        ids::OUT_LOG_GROUP_NAME,
        Output::new(
            "The function's log group",
            Expr::reference(ids::FUNCTION_LOG_GROUP),
        ),
    );
    t.output(
        ids::OUT_DEAD_LETTER_QUEUE_URL,
        Output::new(
            "Queue receiving failed invocations",
            Expr::reference(ids::DEAD_LETTER_QUEUE),
        ),
    );
}
