//! Runs in waves: for each schedule whose scale-in and scale-out wait wave by wave (its
//! services in more than one wave, or a `[[capacity]]` group), a Standard Step Functions
//! state machine that steps the function one wave at a time, its role (invoke this function
//! only), and the role its triggers start it with (start this stack's machines only).
//!
//! The machine is a loop around the function, which decides everything (`lambda/src/waves.rs`):
//! `Begin` adds `step: {status: start, started_at: <the execution's start>}` to the trigger's
//! payload (the context object's time, not the function's clock, so a retried first step
//! times its wave from the same instant); `Step` invokes the function
//! with the whole payload and keeps its answer (the same payload with the next `step`);
//! `Where` waits `step.wait_seconds` when the wave is not ready yet, steps again at once when
//! the next wave starts, and succeeds when the run is done. A run that ended with a wave not
//! ready fails in its last step, so the execution fails with the reasons. Standard, not
//! Express: a run may take `wave_timeout_minutes` per wave (up to an hour), beyond Express's
//! five minutes, and its history is kept for the console and `worktime status`.

use worktime_cfn::iam::{PolicyDocument, Principal, Statement};
use worktime_cfn::resources::{
    IamRole, InlinePolicy, LogDestination, LogGroupDestination, StateMachine, StateMachineLogging,
};
use worktime_cfn::{Expr, Output, Pseudo, Resource, Template};

use super::ids;
use super::values::{ScheduleValues, TargetValues};
use crate::config::Trigger;

/// The machine's definition (Amazon States Language) as an `Fn::Sub` template: the function's
/// ARN and the partition are filled in by CloudFormation. Transient Lambda errors are retried
/// (AWS's recommended set for the Lambda integration); the function's own error (a run that
/// ended failed, a refused payload) fails the execution.
pub(super) const DEFINITION: &str = r#"{
  "Comment": "worktime: a scale-in or scale-out wave by wave; the function converges one wave per step and says whether to wait, go on or stop",
  "StartAt": "Begin",
  "States": {
    "Begin": {
      "Type": "Pass",
      "Parameters": {"status": "start", "started_at.$": "$$.Execution.StartTime"},
      "ResultPath": "$.step",
      "Next": "Step"
    },
    "Step": {
      "Type": "Task",
      "Resource": "arn:${AWS::Partition}:states:::lambda:invoke",
      "Parameters": {"FunctionName": "${Function.Arn}", "Payload.$": "$"},
      "OutputPath": "$.Payload",
      "Retry": [
        {
          "ErrorEquals": ["Lambda.ServiceException", "Lambda.AWSLambdaException", "Lambda.SdkClientException", "Lambda.TooManyRequestsException"],
          "IntervalSeconds": 2,
          "MaxAttempts": 6,
          "BackoffRate": 2
        }
      ],
      "Next": "Where"
    },
    "Where": {
      "Type": "Choice",
      "Choices": [
        {"Variable": "$.step.status", "StringEquals": "wait", "Next": "Wait"},
        {"Variable": "$.step.status", "StringEquals": "next", "Next": "Step"}
      ],
      "Default": "Done"
    },
    "Wait": {
      "Type": "Wait",
      "SecondsPath": "$.step.wait_seconds",
      "Next": "Step"
    },
    "Done": {"Type": "Succeed"}
  }
}"#;

/// [`DEFINITION`] on one line: the `${...}` placeholders sit inside JSON strings, so the
/// text is JSON and compacts without touching them.
pub(super) fn definition() -> String {
    let value: serde_json::Value =
        serde_json::from_str(DEFINITION).expect("the state machine definition is JSON");
    value.to_string()
}

/// Adds the state machine of every schedule that runs in waves, and the two roles they share.
pub(super) fn add(t: &mut Template, stack: &str, values: &TargetValues) {
    let machines: Vec<&ScheduleValues> = values
        .schedules
        .iter()
        .filter(|s| s.waves.is_some())
        .collect();
    if machines.is_empty() {
        return;
    }
    t.resource(ids::WAVES_ROLE, machine_role(stack));
    t.resource(
        ids::WAVES_START_ROLE,
        start_role(
            stack,
            &machines
                .iter()
                .filter_map(|s| s.waves.as_ref())
                .map(|w| Expr::reference(&w.machine_id))
                .collect::<Vec<_>>(),
            machines.iter().any(|s| s.kind == Trigger::Rules),
            machines.iter().any(|s| s.kind == Trigger::Scheduler),
        ),
    );
    for schedule in machines {
        let Some(waves) = &schedule.waves else {
            continue;
        };
        t.resource(
            &waves.machine_id,
            Resource::new(StateMachine {
                state_machine_name: Some(Expr::str(&waves.machine_name)),
                state_machine_type: Some("STANDARD".into()),
                definition_string: Expr::sub(definition()),
                role_arn: Expr::get_att(ids::WAVES_ROLE, "Arn"),
                logging_configuration: Some(StateMachineLogging {
                    level: "ALL".into(),
                    // The payload is the schedule and its services' names and capacities,
                    // no secrets: with it the history tells the whole morning.
                    include_execution_data: true,
                    destinations: vec![LogDestination {
                        cloud_watch_logs_log_group: LogGroupDestination {
                            log_group_arn: Expr::get_att(ids::FUNCTION_LOG_GROUP, "Arn"),
                        },
                    }],
                }),
                tracing_configuration: None,
            }),
        );
        t.output(
            &waves.output_id,
            Output::new(
                format!(
                    "Step Functions state machine that runs the {} schedule's scale-in and scale-out wave by wave",
                    waves.label
                ),
                Expr::reference(&waves.machine_id),
            ),
        );
    }
}

/// The machines' role: invoke this stack's function (and nothing else), and deliver their
/// logs to CloudWatch Logs.
fn machine_role(stack: &str) -> Resource {
    let trust = Statement::trust(
        Principal::service("states.amazonaws.com"),
        ["sts:AssumeRole"],
    )
    .condition(
        "StringEquals",
        "aws:SourceAccount",
        Expr::pseudo(Pseudo::AccountId),
    );
    let function = Expr::get_att(ids::FUNCTION, "Arn");
    Resource::new(IamRole {
        role_name: Some(Expr::sub(format!(
            "{}-${{AWS::Region}}",
            ids::waves_role_stem(stack)
        ))),
        description: Some(format!(
            "{stack} (worktime): lets the wave state machines invoke the scaling function"
        )),
        assume_role_policy_document: PolicyDocument::new(vec![trust]),
        policies: vec![InlinePolicy {
            policy_name: Expr::str("step-scaler"),
            policy_document: PolicyDocument::new(vec![
                Statement::allow(
                    ["lambda:InvokeFunction"],
                    [function.clone(), Expr::join(":", [function, Expr::str("*")])],
                )
                .sid("InvokeScaler"),
                // Step Functions delivers a machine's logs as vended logs, set up with the
                // machine's role; these actions have no resource-level permissions ("*" is
                // the only resource): Step Functions Developer Guide, "IAM policies for
                // logging to CloudWatch Logs".
                Statement::allow(
                    [
                        "logs:CreateLogDelivery",
                        "logs:GetLogDelivery",
                        "logs:UpdateLogDelivery",
                        "logs:DeleteLogDelivery",
                        "logs:ListLogDeliveries",
                        "logs:PutResourcePolicy",
                        "logs:DescribeResourcePolicies",
                        "logs:DescribeLogGroups",
                    ],
                    [Expr::str("*")],
                )
                .sid("DeliverLogs"),
            ]),
        }],
        ..Default::default()
    })
    .skip_checkov(
        "CKV_AWS_111",
        "the log-delivery actions Step Functions needs have no resource-level permissions: \"*\" is their only resource (Step Functions Developer Guide, IAM policies for logging to CloudWatch Logs)",
    )
}

/// The role the triggers of schedules that run in waves start their machine with: EventBridge
/// rules and/or Scheduler may assume it, and it may start this stack's machines, nothing else.
fn start_role(stack: &str, machines: &[Expr], rules: bool, scheduler: bool) -> Resource {
    let trust = |service: &str| {
        Statement::trust(Principal::service(service), ["sts:AssumeRole"]).condition(
            "StringEquals",
            "aws:SourceAccount",
            Expr::pseudo(Pseudo::AccountId),
        )
    };
    let mut statements = Vec::new();
    if rules {
        statements.push(trust("events.amazonaws.com"));
    }
    if scheduler {
        statements.push(trust("scheduler.amazonaws.com"));
    }
    let mut allowed = vec![
        Statement::allow(["states:StartExecution"], machines.iter().cloned()).sid("StartWaves"),
    ];
    // Scheduler hands an event it could not deliver to the stack's dead-letter queue, as
    // the role it assumed.
    if scheduler {
        allowed.push(
            Statement::allow(
                ["sqs:SendMessage"],
                [Expr::get_att(ids::DEAD_LETTER_QUEUE, "Arn")],
            )
            .sid("DeadLetters"),
        );
    }
    Resource::new(IamRole {
        role_name: Some(Expr::sub(format!(
            "{}-${{AWS::Region}}",
            ids::waves_start_role_stem(stack)
        ))),
        description: Some(format!(
            "{stack} (worktime): lets the scale-in and scale-out triggers start the wave state machines"
        )),
        assume_role_policy_document: PolicyDocument::new(statements),
        policies: vec![InlinePolicy {
            policy_name: Expr::str("start-waves"),
            policy_document: PolicyDocument::new(allowed),
        }],
        ..Default::default()
    })
}
