//! `AWS::CloudWatch::Alarm` through CloudFormation on the project's extended moto
//! (`tests/aws_model/worktime_moto/cloudwatch_alarm.py`): a `[notify]` stack's alarms exist in
//! the CloudWatch API as the template set them, watching the function's errors and the
//! dead-letter queue and notifying the stack's topic, and go with the stack; the stack's
//! outputs are there (`cfn_failures.py` keeps them when the operation completes). The Rust
//! SDK's CloudWatch calls reach moto over RPC v2 CBOR through `cloudwatch_cbor.py`.

use aws_sdk_cloudformation::types::StackStatus;
use aws_sdk_cloudwatch::types::{ComparisonOperator, MetricAlarm, StateValue, Statistic};
use serde_json::{json, Value};
use worktime_e2e::stacks::{
    create_stack, failure_reason, is_generated_suffix, merge_properties, output, stack_outputs,
    stack_status, update_stack,
};
use worktime_e2e::*;

const REGION: &str = "eu-central-1";
const ACCOUNT: &str = "123456789012";
const STACK: &str = "worktime-notify";
const CHATOPS: &str = "arn:aws:sns:eu-central-1:111111111111:chatops-alerts";

/// `examples/notify.toml`, with the external topic given.
fn notify_config(sns_topic_arn: &str) -> String {
    format!(
        r#"
[stack]
name = "{STACK}"
region = "{REGION}"

[schedule]
timezone = "Europe/Berlin"
scale_out = "cron(0 8 ? * MON-FRI *)"
scale_in = "cron(0 19 ? * MON-FRI *)"
trigger = "scheduler"
warn_before_minutes = 30

[[services]]
cluster = "dev"
service = "api"
min = 1
max = 2

[[services]]
cluster = "dev"
tag = "worktime=office-hours"

[notify]
email = ["platform-oncall@example.com"]
sns_topic_arn = "{sns_topic_arn}"
"#
    )
}

/// The alarms of these names, in the order asked (a missing one is left out).
async fn alarms(cloudwatch: &aws_sdk_cloudwatch::Client, names: &[&str]) -> Vec<MetricAlarm> {
    let found = cloudwatch
        .describe_alarms()
        .set_alarm_names(Some(names.iter().map(|n| n.to_string()).collect()))
        .send()
        .await
        .expect("describe alarms");
    names
        .iter()
        .filter_map(|name| {
            found
                .metric_alarms()
                .iter()
                .find(|a| a.alarm_name() == Some(name))
                .cloned()
        })
        .collect()
}

async fn alarm(cloudwatch: &aws_sdk_cloudwatch::Client, name: &str) -> MetricAlarm {
    alarms(cloudwatch, &[name])
        .await
        .pop()
        .unwrap_or_else(|| panic!("no alarm {name}"))
}

async fn set_state(cloudwatch: &aws_sdk_cloudwatch::Client, name: &str, state: StateValue) {
    cloudwatch
        .set_alarm_state()
        .alarm_name(name)
        .state_value(state)
        .state_reason("set by the test")
        .send()
        .await
        .expect("set alarm state");
}

fn dimensions(alarm: &MetricAlarm) -> Vec<(&str, &str)> {
    alarm
        .dimensions()
        .iter()
        .map(|d| (d.name().unwrap_or_default(), d.value().unwrap_or_default()))
        .collect()
}

#[tokio::test]
async fn a_notify_stack_deploys_its_alarms_to_its_topic_and_teardown_removes_them() {
    let moto = Moto::start_in(REGION);
    let sdk = moto.sdk().await;
    let cfn = aws_sdk_cloudformation::Client::new(&sdk);
    let cloudwatch = aws_sdk_cloudwatch::Client::new(&sdk);
    create_services(&sdk, "dev", &[("api", 1)]).await;
    let dir = bootstrapped(&moto, &notify_config(CHATOPS));

    // The stack's outputs (worktime makes its stacks through change sets).
    let outputs = stack_outputs(&cfn, STACK).await;
    let topic = output(&outputs, "NotifyTopicArn").to_string();
    assert_eq!(
        topic,
        format!("arn:aws:sns:{REGION}:{ACCOUNT}:{STACK}-notify"),
        "{outputs:?}"
    );
    assert_eq!(output(&outputs, "FunctionName"), format!("{STACK}-scaler"));
    assert_eq!(
        output(&outputs, "DeadLetterQueueUrl"),
        format!("https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{STACK}-dlq")
    );
    // The topic exists (read through SNS itself).
    aws_sdk_sns::Client::new(&sdk)
        .get_topic_attributes()
        .topic_arn(&topic)
        .send()
        .await
        .expect("the stack's topic");

    let errors_name = format!("{STACK}-scaler-errors");
    let dlq_name = format!("{STACK}-dlq-messages");
    let found = alarms(&cloudwatch, &[&errors_name, &dlq_name]).await;
    assert_eq!(found.len(), 2, "{found:?}");
    let actions = vec![topic.clone(), CHATOPS.to_string()];
    for (alarm, namespace, metric, statistic, dimension) in [
        (
            &found[0],
            "AWS/Lambda",
            "Errors",
            Statistic::Sum,
            ("FunctionName", format!("{STACK}-scaler")),
        ),
        (
            &found[1],
            "AWS/SQS",
            "ApproximateNumberOfMessagesVisible",
            Statistic::Maximum,
            ("QueueName", format!("{STACK}-dlq")),
        ),
    ] {
        let name = alarm.alarm_name().unwrap();
        assert_eq!(alarm.namespace(), Some(namespace), "{alarm:?}");
        assert_eq!(alarm.metric_name(), Some(metric), "{alarm:?}");
        assert_eq!(alarm.statistic(), Some(&statistic), "{alarm:?}");
        assert_eq!(
            dimensions(alarm),
            [(dimension.0, dimension.1.as_str())],
            "{alarm:?}"
        );
        assert_eq!(alarm.period(), Some(300), "{alarm:?}");
        assert_eq!(alarm.evaluation_periods(), Some(1), "{alarm:?}");
        assert_eq!(alarm.threshold(), Some(1.0), "{alarm:?}");
        assert_eq!(
            alarm.comparison_operator(),
            Some(&ComparisonOperator::GreaterThanOrEqualToThreshold),
            "{alarm:?}"
        );
        assert_eq!(
            alarm.treat_missing_data(),
            Some("notBreaching"),
            "{alarm:?}"
        );
        assert_eq!(alarm.actions_enabled(), Some(true), "{alarm:?}");
        assert_eq!(alarm.alarm_actions(), actions.as_slice(), "{alarm:?}");
        assert!(alarm.ok_actions().is_empty(), "{alarm:?}");
        assert!(
            alarm
                .alarm_description()
                .is_some_and(|d| d.starts_with(&format!("{STACK} (worktime): "))),
            "{alarm:?}"
        );
        assert_eq!(
            alarm.alarm_arn(),
            Some(format!("arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:{name}").as_str())
        );
        // A new alarm has no data yet, as on AWS.
        assert_eq!(
            alarm.state_value(),
            Some(&StateValue::InsufficientData),
            "{alarm:?}"
        );
    }
    // The stack's resource of that logical id is the alarm. (Listed: moto cannot describe a
    // resource that comes after one of a type it skips, the topic policy.)
    let resources = cfn
        .list_stack_resources()
        .stack_name(STACK)
        .send()
        .await
        .unwrap();
    let physical = |logical: &str| {
        resources
            .stack_resource_summaries()
            .iter()
            .find(|r| r.logical_resource_id() == Some(logical))
            .and_then(|r| r.physical_resource_id())
            .map(str::to_string)
    };
    assert_eq!(physical("ErrorsAlarm"), Some(errors_name.clone()));
    assert_eq!(physical("DeadLetterQueueAlarm"), Some(dlq_name.clone()));

    // An alarm that went off keeps its state through a deploy that changes its actions.
    set_state(&cloudwatch, &errors_name, StateValue::Alarm).await;
    let other = "arn:aws:sns:eu-central-1:111111111111:paging";
    write_config(dir.path(), &notify_config(other));
    let zip = dir.path().join(BOOTSTRAPPED_ZIP);
    worktime(
        dir.path(),
        &moto.env(),
        &["deploy", "--yes", "--artifact", zip.to_str().unwrap()],
    )
    .expect_code(0);
    let errors = alarm(&cloudwatch, &errors_name).await;
    assert_eq!(
        errors.alarm_actions(),
        [topic.clone(), other.to_string()].as_slice(),
        "{errors:?}"
    );
    assert_eq!(errors.state_value(), Some(&StateValue::Alarm), "{errors:?}");
    assert_eq!(errors.state_reason(), Some("set by the test"), "{errors:?}");
    assert_eq!(
        output(&stack_outputs(&cfn, STACK).await, "NotifyTopicArn"),
        topic
    );

    worktime(dir.path(), &moto.env(), &["teardown", "--yes"]).expect_code(0);
    let left = alarms(&cloudwatch, &[&errors_name, &dlq_name]).await;
    assert!(left.is_empty(), "alarms survived the teardown: {left:?}");
}

/// A stack of a queue and one alarm on it without an `AlarmName` (CloudFormation names it),
/// `Ref` and `GetAtt` in its outputs; `properties` are merged over the defaults (`null` removes
/// one).
fn alarm_template(properties: Value) -> String {
    let mut props = json!({
        "AlarmDescription": "messages wait",
        "Namespace": "AWS/SQS",
        "MetricName": "ApproximateNumberOfMessagesVisible",
        "Dimensions": [{"Name": "QueueName", "Value": {"Fn::GetAtt": ["Queue", "QueueName"]}}],
        "Statistic": "Maximum",
        "Period": 60,
        "EvaluationPeriods": 3,
        "DatapointsToAlarm": 2,
        "Threshold": 10,
        "ComparisonOperator": "GreaterThanThreshold",
        "TreatMissingData": "missing",
        "ActionsEnabled": "false",
        "AlarmActions": [{"Ref": "Topic"}],
        "OKActions": [{"Ref": "Topic"}],
        "InsufficientDataActions": [{"Ref": "Topic"}]
    });
    merge_properties(&mut props, &properties);
    json!({
        "Resources": {
            "Queue": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "work"}},
            "Topic": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": "alerts"}},
            "Backlog": {"Type": "AWS::CloudWatch::Alarm", "Properties": props}
        },
        "Outputs": {
            "Name": {"Value": {"Ref": "Backlog"}},
            "Arn": {"Value": {"Fn::GetAtt": ["Backlog", "Arn"]}},
            "Queue": {"Value": {"Ref": "Queue"}}
        }
    })
    .to_string()
}

#[tokio::test]
async fn the_alarm_model_names_updates_replaces_refuses_and_deletes_as_cloudformation_does() {
    let moto = Moto::start_in(REGION);
    let sdk = moto.sdk().await;
    let cfn = aws_sdk_cloudformation::Client::new(&sdk);
    let cloudwatch = aws_sdk_cloudwatch::Client::new(&sdk);
    let topic = format!("arn:aws:sns:{REGION}:{ACCOUNT}:alerts");

    // Created without an AlarmName: CloudFormation's `<stack>-<logical id>-<12 characters>`.
    create_stack(&cfn, "watch", alarm_template(json!({}))).await;
    assert_eq!(
        stack_status(&cfn, "watch").await,
        StackStatus::CreateComplete
    );
    let created = stack_outputs(&cfn, "watch").await;
    let name = output(&created, "Name").to_string();
    let suffix = name.strip_prefix("watch-Backlog-").expect("generated name");
    assert!(is_generated_suffix(suffix), "{name}");
    assert_eq!(
        output(&created, "Arn"),
        format!("arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:{name}")
    );
    let backlog = alarm(&cloudwatch, &name).await;
    assert_eq!(dimensions(&backlog), [("QueueName", "work")]);
    assert_eq!(
        (
            backlog.period(),
            backlog.evaluation_periods(),
            backlog.datapoints_to_alarm()
        ),
        (Some(60), Some(3), Some(2))
    );
    assert_eq!(backlog.threshold(), Some(10.0));
    assert_eq!(backlog.actions_enabled(), Some(false), "\"false\" is false");
    assert_eq!(backlog.treat_missing_data(), Some("missing"));
    for actions in [
        backlog.alarm_actions(),
        backlog.ok_actions(),
        backlog.insufficient_data_actions(),
    ] {
        assert_eq!(actions, [topic.clone()].as_slice(), "{backlog:?}");
    }
    assert_eq!(
        (backlog.state_value(), backlog.state_reason()),
        (
            Some(&StateValue::InsufficientData),
            Some("Unchecked: Initial alarm creation")
        )
    );

    // Other properties change in place: the same (generated) name, the state kept.
    set_state(&cloudwatch, &name, StateValue::Alarm).await;
    update_stack(
        &cfn,
        "watch",
        alarm_template(json!({"Threshold": 25, "ActionsEnabled": true, "OKActions": null})),
    )
    .await;
    assert_eq!(
        stack_status(&cfn, "watch").await,
        StackStatus::UpdateComplete
    );
    assert_eq!(output(&stack_outputs(&cfn, "watch").await, "Name"), name);
    let backlog = alarm(&cloudwatch, &name).await;
    assert_eq!(backlog.threshold(), Some(25.0));
    assert_eq!(backlog.actions_enabled(), Some(true));
    assert!(backlog.ok_actions().is_empty(), "{backlog:?}");
    assert_eq!(backlog.state_value(), Some(&StateValue::Alarm));

    // A period CloudWatch refuses, a missing required property, an unknown operator: each
    // update fails, rolls back, and leaves the alarm as it was.
    for (properties, expected) in [
        (
            json!({"Threshold": 25, "ActionsEnabled": true, "OKActions": null, "Period": 45}),
            "Resource handler returned message: \"Period must be 10, 20, 30 or a multiple of 60 (Service: CloudWatch, Status Code: 400",
        ),
        (
            json!({"EvaluationPeriods": null}),
            "Model validation failed (#: required key [EvaluationPeriods] not found)",
        ),
        (
            json!({"ComparisonOperator": "Above"}),
            "Model validation failed (#/ComparisonOperator: failed validation constraint for keyword [enum])",
        ),
        (
            json!({"Metrics": [{"Id": "m1", "Expression": "SEARCH('x', 'Sum', 60)"}]}),
            "Resource handler returned message: \"Statistic should not be set if list of Metrics is set.",
        ),
    ] {
        update_stack(&cfn, "watch", alarm_template(properties.clone())).await;
        assert_eq!(
            stack_status(&cfn, "watch").await,
            StackStatus::UpdateRollbackComplete,
            "{properties}"
        );
        let reason = failure_reason(&cfn, "watch", "Backlog").await;
        assert!(reason.starts_with(expected), "{properties}: {reason}");
        let backlog = alarm(&cloudwatch, &name).await;
        assert_eq!(
            (backlog.period(), backlog.threshold()),
            (Some(60), Some(25.0)),
            "{properties}"
        );
        assert_eq!(backlog.state_value(), Some(&StateValue::Alarm));
    }

    // A new AlarmName replaces the alarm: the new one, afresh; the old one gone.
    update_stack(
        &cfn,
        "watch",
        alarm_template(json!({"AlarmName": "work-backlog"})),
    )
    .await;
    assert_eq!(
        stack_status(&cfn, "watch").await,
        StackStatus::UpdateComplete
    );
    assert_eq!(
        output(&stack_outputs(&cfn, "watch").await, "Name"),
        "work-backlog"
    );
    let replacement = alarm(&cloudwatch, "work-backlog").await;
    assert_eq!(replacement.threshold(), Some(10.0));
    assert_eq!(
        replacement.state_value(),
        Some(&StateValue::InsufficientData)
    );
    assert!(
        alarms(&cloudwatch, &[&name]).await.is_empty(),
        "{name} stayed"
    );

    cfn.delete_stack().stack_name("watch").send().await.unwrap();
    assert!(alarms(&cloudwatch, &["work-backlog"]).await.is_empty());

    // A create that fails: rolled back, no outputs (the stack is still described), nothing
    // left over or made again by describing it.
    create_stack(&cfn, "broken", alarm_template(json!({"Period": 7}))).await;
    assert_eq!(
        stack_status(&cfn, "broken").await,
        StackStatus::RollbackComplete
    );
    assert!(failure_reason(&cfn, "broken", "Backlog")
        .await
        .contains("Period must be 10, 20, 30 or a multiple of 60"),);
    let left = stack_outputs(&cfn, "broken").await;
    assert!(left.is_empty(), "{left:?}");
    let queues = aws_sdk_sqs::Client::new(&sdk)
        .list_queues()
        .send()
        .await
        .unwrap();
    assert!(queues.queue_urls().is_empty(), "{queues:?}");
    let all = cloudwatch.describe_alarms().send().await.unwrap();
    assert!(all.metric_alarms().is_empty(), "{all:?}");
}
