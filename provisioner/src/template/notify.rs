//! `[notify]`: where the alarms and the notices before scale-in go. Email addresses get a
//! topic of the stack's own, encrypted at rest with a key of its own (CloudWatch alarms cannot
//! publish to a topic encrypted with the AWS-managed SNS key, whose policy cannot be changed);
//! an existing topic is used as it is. The dead-letter queue's alarm lives here too.

use worktime_cfn::iam::{PolicyDocument, Principal, Statement};
use worktime_cfn::resources::{
    CloudWatchAlarm, Dimension, KmsKey, SnsSubscription, SnsTopic, SnsTopicPolicy,
};
use worktime_cfn::{DeletionPolicy, Expr, Output, Pseudo, Resource, Template};

use super::ids;
use crate::config::StackConfig;

/// The days between deleting the stack and the deletion of its key: KMS's shortest wait, so
/// a teardown leaves as little as AWS allows.
const KEY_PENDING_WINDOW_DAYS: u32 = 7;

/// Where notifications go, for the alarms and the function.
#[derive(Debug, Default)]
pub(super) struct NotifyTargets {
    /// Topic ARNs: the stack's own and/or the configured one.
    pub(super) topics: Vec<Expr>,
    /// The own topic's key (its ARN): publishers need it to encrypt.
    pub(super) key_arn: Option<Expr>,
}

/// Adds the stack's own topic when `[notify]` lists email addresses, and says where
/// notifications go (nowhere without `[notify]`).
pub(super) fn add(t: &mut Template, config: &StackConfig) -> NotifyTargets {
    let Some(notify) = &config.notify else {
        return NotifyTargets::default();
    };
    let stack = &config.stack.name;
    let mut targets = NotifyTargets::default();
    if !notify.emails.is_empty() {
        t.resource(ids::NOTIFY_KEY, key(stack));
        t.resource(
            ids::NOTIFY_TOPIC,
            Resource::new(SnsTopic {
                topic_name: Some(Expr::str(ids::notify_topic_name(stack))),
                display_name: Some("worktime".into()),
                kms_master_key_id: Some(Expr::reference(ids::NOTIFY_KEY)),
                subscription: notify
                    .emails
                    .iter()
                    .map(|email| SnsSubscription {
                        endpoint: Expr::str(email),
                        protocol: "email".into(),
                    })
                    .collect(),
            }),
        );
        t.resource(ids::NOTIFY_TOPIC_POLICY, topic_policy(stack));
        t.output(
            ids::OUT_NOTIFY_TOPIC_ARN,
            Output::new(
                "Topic for alarms and notices ([notify] email)",
                Expr::reference(ids::NOTIFY_TOPIC),
            ),
        );
        targets.topics.push(Expr::reference(ids::NOTIFY_TOPIC));
        targets.key_arn = Some(Expr::get_att(ids::NOTIFY_KEY, "Arn"));
    }
    if let Some(arn) = &notify.topic_arn {
        targets.topics.push(Expr::str(arn));
    }
    targets
}

/// The topic's key: administered by the account (so IAM policies, the function's included,
/// can grant its use), usable by CloudWatch for this account's alarms.
fn key(stack: &str) -> Resource {
    let root =
        Principal::Aws(Expr::sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:root").into());
    Resource::new(KmsKey {
        description: Some(format!(
            "{stack} (worktime): encrypts the notification topic at rest"
        )),
        enable_key_rotation: true,
        pending_window_in_days: Some(KEY_PENDING_WINDOW_DAYS),
        key_policy: PolicyDocument::new(vec![
            Statement::grant(root, ["kms:*"], [Expr::str("*")]).sid("AccountAdministers"),
            Statement::grant(
                Principal::service("cloudwatch.amazonaws.com"),
                ["kms:Decrypt", "kms:GenerateDataKey*"],
                [Expr::str("*")],
            )
            .sid("CloudWatchAlarmsPublish")
            .condition(
                "StringEquals",
                "aws:SourceAccount",
                Expr::pseudo(Pseudo::AccountId),
            ),
        ]),
    })
    .deletion_policy(DeletionPolicy::Delete)
}

/// CloudWatch may publish this stack's alarms to the topic; nothing reaches it over plain
/// HTTP.
fn topic_policy(stack: &str) -> Resource {
    let topic = Expr::reference(ids::NOTIFY_TOPIC);
    let mut deny_insecure = Statement::grant(
        Principal::Aws(Expr::str("*").into()),
        ["sns:Publish"],
        [topic.clone()],
    )
    .sid("DenyInsecureTransport")
    .condition("Bool", "aws:SecureTransport", Expr::str("false"));
    deny_insecure.effect = worktime_cfn::iam::Effect::Deny;
    Resource::new(SnsTopicPolicy {
        topics: vec![topic.clone()],
        policy_document: PolicyDocument::new(vec![
            Statement::grant(
                Principal::service("cloudwatch.amazonaws.com"),
                ["sns:Publish"],
                [topic],
            )
            .sid("CloudWatchAlarmsPublish")
            .condition(
                "ArnLike",
                "aws:SourceArn",
                Expr::sub(format!(
                    "arn:${{AWS::Partition}}:cloudwatch:${{AWS::Region}}:${{AWS::AccountId}}:alarm:{stack}-*"
                )),
            ),
            deny_insecure,
        ]),
    })
}

/// The dead-letter queue holds a failed run: one message is worth an alarm.
pub(super) fn dead_letter_alarm(stack: &str, targets: &NotifyTargets) -> Resource {
    Resource::new(CloudWatchAlarm {
        alarm_name: Some(Expr::str(format!("{stack}-dlq-messages"))),
        alarm_description: Some(format!(
            "{stack} (worktime): a scaling run failed for good and waits in the {stack}-dlq queue"
        )),
        namespace: "AWS/SQS".into(),
        metric_name: "ApproximateNumberOfMessagesVisible".into(),
        dimensions: vec![Dimension {
            name: "QueueName".into(),
            value: Expr::get_att(ids::DEAD_LETTER_QUEUE, "QueueName"),
        }],
        statistic: "Maximum".into(),
        period: 300,
        evaluation_periods: 1,
        threshold: 1.0,
        comparison_operator: "GreaterThanOrEqualToThreshold".into(),
        treat_missing_data: Some("notBreaching".into()),
        alarm_actions: targets.topics.clone(),
        ..Default::default()
    })
}
