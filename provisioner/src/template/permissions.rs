//! What CloudFormation does with the stack's resources, per resource type the templates use:
//! the IAM actions its resource handlers call, with the credentials of whoever creates,
//! updates or deletes the stack (the caller, or `[stack] execution_role_arn`). Declared here,
//! next to the builders that put these types in the template; `policy` grants them for the
//! types the configuration's template holds.

use crate::aws::calls::{Narrow, On};

/// One resource type's needs: `change` to create and update it, `delete` (and what deleting
/// reads) to delete it.
#[derive(Debug, Clone, Copy)]
pub struct Work {
    pub resource_type: &'static str,
    pub on: On,
    pub narrow: Narrow,
    pub change: &'static [&'static str],
    pub delete: &'static [&'static str],
}

const fn work(
    resource_type: &'static str,
    on: On,
    change: &'static [&'static str],
    delete: &'static [&'static str],
) -> Work {
    Work {
        resource_type,
        on,
        narrow: Narrow::None,
        change,
        delete,
    }
}

/// Every resource type a worktime template may hold (a test checks the examples' templates
/// hold no other).
pub const WORK: &[Work] = &[
    work(
        "AWS::IAM::Role",
        On::StackRoles,
        &[
            "iam:CreateRole",
            "iam:GetRole",
            "iam:UpdateRole",
            "iam:UpdateRoleDescription",
            "iam:UpdateAssumeRolePolicy",
            "iam:TagRole",
            "iam:UntagRole",
            "iam:PutRolePolicy",
            "iam:GetRolePolicy",
            "iam:ListRolePolicies",
            "iam:ListAttachedRolePolicies",
        ],
        &[
            "iam:GetRole",
            "iam:DeleteRole",
            "iam:DeleteRolePolicy",
            "iam:ListRolePolicies",
            "iam:ListAttachedRolePolicies",
        ],
    ),
    work(
        "AWS::IAM::Policy",
        On::StackRoles,
        &["iam:PutRolePolicy", "iam:GetRolePolicy"],
        &["iam:DeleteRolePolicy", "iam:GetRolePolicy"],
    ),
    // The function's role goes to Lambda, the Scheduler role to EventBridge Scheduler.
    Work {
        resource_type: "AWS::Lambda::Function",
        on: On::FunctionRole,
        narrow: Narrow::PassedTo("lambda.amazonaws.com"),
        change: &["iam:PassRole"],
        delete: &[],
    },
    Work {
        resource_type: "AWS::Scheduler::Schedule",
        on: On::SchedulerRole,
        narrow: Narrow::PassedTo("scheduler.amazonaws.com"),
        change: &["iam:PassRole"],
        delete: &[],
    },
    work(
        "AWS::Logs::LogGroup",
        On::LogGroup,
        &[
            "logs:CreateLogGroup",
            "logs:PutRetentionPolicy",
            "logs:DeleteRetentionPolicy",
            "logs:TagResource",
            "logs:UntagResource",
            "logs:ListTagsForResource",
        ],
        &["logs:DeleteLogGroup"],
    ),
    work(
        "AWS::Logs::LogGroup",
        On::LogGroups,
        &["logs:DescribeLogGroups"],
        &["logs:DescribeLogGroups"],
    ),
    work(
        "AWS::SQS::Queue",
        On::Queue,
        &[
            "sqs:CreateQueue",
            "sqs:GetQueueAttributes",
            "sqs:SetQueueAttributes",
            "sqs:GetQueueUrl",
            "sqs:TagQueue",
            "sqs:UntagQueue",
            "sqs:ListQueueTags",
        ],
        &[
            "sqs:DeleteQueue",
            "sqs:GetQueueAttributes",
            "sqs:GetQueueUrl",
        ],
    ),
    work(
        "AWS::Lambda::Function",
        On::Function,
        &[
            "lambda:CreateFunction",
            "lambda:GetFunction",
            "lambda:GetFunctionConfiguration",
            "lambda:UpdateFunctionCode",
            "lambda:UpdateFunctionConfiguration",
            "lambda:PutFunctionConcurrency",
            "lambda:DeleteFunctionConcurrency",
            "lambda:TagResource",
            "lambda:UntagResource",
            "lambda:ListTags",
        ],
        &["lambda:DeleteFunction", "lambda:GetFunction"],
    ),
    // Lambda reads the code with the credentials of whoever creates or updates the function.
    work(
        "AWS::Lambda::Function",
        On::Artifacts,
        &["s3:GetObject", "s3:GetObjectVersion"],
        &[],
    ),
    work(
        "AWS::Lambda::EventInvokeConfig",
        On::Function,
        &[
            "lambda:PutFunctionEventInvokeConfig",
            "lambda:UpdateFunctionEventInvokeConfig",
            "lambda:GetFunctionEventInvokeConfig",
        ],
        &["lambda:DeleteFunctionEventInvokeConfig"],
    ),
    work(
        "AWS::Lambda::Permission",
        On::Function,
        &["lambda:AddPermission", "lambda:GetPolicy"],
        &["lambda:RemovePermission", "lambda:GetPolicy"],
    ),
    work(
        "AWS::CloudWatch::Alarm",
        On::Alarms,
        &[
            "cloudwatch:PutMetricAlarm",
            "cloudwatch:DescribeAlarms",
            "cloudwatch:TagResource",
            "cloudwatch:UntagResource",
            "cloudwatch:ListTagsForResource",
        ],
        &["cloudwatch:DeleteAlarms", "cloudwatch:DescribeAlarms"],
    ),
    work(
        "AWS::Events::Rule",
        On::Rules,
        &[
            "events:PutRule",
            "events:DescribeRule",
            "events:PutTargets",
            "events:RemoveTargets",
            "events:ListTargetsByRule",
            "events:TagResource",
            "events:UntagResource",
        ],
        &[
            "events:DeleteRule",
            "events:DescribeRule",
            "events:RemoveTargets",
            "events:ListTargetsByRule",
        ],
    ),
    work(
        "AWS::Scheduler::Schedule",
        On::Schedules,
        &[
            "scheduler:CreateSchedule",
            "scheduler:UpdateSchedule",
            "scheduler:GetSchedule",
        ],
        &["scheduler:DeleteSchedule", "scheduler:GetSchedule"],
    ),
    work(
        "AWS::SNS::Topic",
        On::Topics,
        &[
            "sns:CreateTopic",
            "sns:GetTopicAttributes",
            "sns:SetTopicAttributes",
            "sns:Subscribe",
            "sns:ListSubscriptionsByTopic",
            "sns:TagResource",
            "sns:UntagResource",
            "sns:ListTagsForResource",
        ],
        &[
            "sns:DeleteTopic",
            "sns:GetTopicAttributes",
            "sns:Unsubscribe",
            "sns:ListSubscriptionsByTopic",
        ],
    ),
    work(
        "AWS::SNS::TopicPolicy",
        On::Topics,
        &["sns:SetTopicAttributes", "sns:GetTopicAttributes"],
        &["sns:SetTopicAttributes"],
    ),
    // From the resource type's registry schema (its handlers' permissions); the definition
    // is inline and unencrypted, so its S3 and KMS permissions are never used.
    work(
        "AWS::StepFunctions::StateMachine",
        On::StateMachines,
        &[
            "states:CreateStateMachine",
            "states:DescribeStateMachine",
            "states:UpdateStateMachine",
            "states:TagResource",
            "states:UntagResource",
            "states:ListTagsForResource",
        ],
        &["states:DeleteStateMachine", "states:DescribeStateMachine"],
    ),
    Work {
        resource_type: "AWS::StepFunctions::StateMachine",
        on: On::WavesRole,
        narrow: Narrow::PassedTo("states.amazonaws.com"),
        change: &["iam:PassRole"],
        delete: &[],
    },
    // The scale-in and scale-out triggers of a schedule in waves (there only when a machine
    // is) carry the start role: a rule's target and a schedule's target pass it.
    Work {
        resource_type: "AWS::StepFunctions::StateMachine",
        on: On::WavesStartRole,
        narrow: Narrow::PassedTo("events.amazonaws.com"),
        change: &["iam:PassRole"],
        delete: &[],
    },
    Work {
        resource_type: "AWS::StepFunctions::StateMachine",
        on: On::WavesStartRole,
        narrow: Narrow::PassedTo("scheduler.amazonaws.com"),
        change: &["iam:PassRole"],
        delete: &[],
    },
    // A woken service's Lambda target group (registry schema of
    // AWS::ElasticLoadBalancingV2::TargetGroup: its handlers' permissions); its Describe*
    // calls have no resource-level permissions.
    work(
        "AWS::ElasticLoadBalancingV2::TargetGroup",
        On::WakeTargetGroups,
        &[
            "elasticloadbalancing:CreateTargetGroup",
            "elasticloadbalancing:ModifyTargetGroup",
            "elasticloadbalancing:ModifyTargetGroupAttributes",
            "elasticloadbalancing:RegisterTargets",
            "elasticloadbalancing:DeregisterTargets",
            "elasticloadbalancing:AddTags",
            "elasticloadbalancing:RemoveTags",
        ],
        &["elasticloadbalancing:DeleteTargetGroup"],
    ),
    work(
        "AWS::ElasticLoadBalancingV2::TargetGroup",
        On::Any,
        &[
            "elasticloadbalancing:DescribeTargetGroups",
            "elasticloadbalancing:DescribeTargetGroupAttributes",
            "elasticloadbalancing:DescribeTargetHealth",
            "elasticloadbalancing:DescribeTags",
        ],
        &["elasticloadbalancing:DescribeTargetGroups"],
    ),
    // kms:CreateKey has no resource type: narrowed to a key created with the stack's tag.
    Work {
        resource_type: "AWS::KMS::Key",
        on: On::Any,
        narrow: Narrow::StackRequestTag,
        change: &["kms:CreateKey", "kms:TagResource"],
        delete: &[],
    },
    Work {
        resource_type: "AWS::KMS::Key",
        on: On::Keys,
        narrow: Narrow::StackTag,
        change: &[
            "kms:DescribeKey",
            "kms:EnableKeyRotation",
            "kms:GetKeyRotationStatus",
            "kms:PutKeyPolicy",
            "kms:GetKeyPolicy",
            "kms:UpdateKeyDescription",
            "kms:ListResourceTags",
            "kms:TagResource",
            "kms:UntagResource",
        ],
        delete: &["kms:DescribeKey", "kms:ScheduleKeyDeletion"],
    },
];
