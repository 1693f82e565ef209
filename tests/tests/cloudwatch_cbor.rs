//! CloudWatch through the AWS SDK for Rust, which speaks Smithy RPC v2 CBOR, on the project's
//! extended moto (`tests/aws_model/worktime_moto/cloudwatch_cbor.py`): an alarm put, described
//! (every member round-trips), set to ALARM, deleted; the protocol's errors as the SDK types
//! them; and the same alarms seen by both protocols' writers.

use aws_sdk_cloudwatch::error::SdkError;
use aws_sdk_cloudwatch::operation::describe_alarms::DescribeAlarmsOutput;
use aws_sdk_cloudwatch::types::{
    ComparisonOperator, Dimension, MetricAlarm, StandardUnit, StateValue, Statistic,
};
use worktime_e2e::*;

const REGION: &str = "ap-northeast-2";
const ALARM: &str = "wt-scaler-errors";
const TOPIC: &str = "arn:aws:sns:ap-northeast-2:123456789012:wt-alerts";
const OK_TOPIC: &str = "arn:aws:sns:ap-northeast-2:123456789012:wt-ok";
const GAP_TOPIC: &str = "arn:aws:sns:ap-northeast-2:123456789012:wt-gap";

async fn described(cloudwatch: &aws_sdk_cloudwatch::Client, name: &str) -> Vec<MetricAlarm> {
    let output = cloudwatch
        .describe_alarms()
        .alarm_names(name)
        .send()
        .await
        .expect("DescribeAlarms over RPC v2 CBOR");
    assert!(output.composite_alarms().is_empty(), "{output:?}");
    assert!(output.next_token().is_none(), "{output:?}");
    output.metric_alarms().to_vec()
}

/// A plain alarm on the function's errors (at least 1 in a minute), for the tests that need
/// an alarm to be there rather than any member of it.
async fn put_errors_alarm(cloudwatch: &aws_sdk_cloudwatch::Client, name: &str) {
    cloudwatch
        .put_metric_alarm()
        .alarm_name(name)
        .namespace("AWS/Lambda")
        .metric_name("Errors")
        .statistic(Statistic::Sum)
        .period(60)
        .evaluation_periods(1)
        .threshold(1.0)
        .comparison_operator(ComparisonOperator::GreaterThanOrEqualToThreshold)
        .send()
        .await
        .expect("PutMetricAlarm");
}

/// Every alarm, unfiltered: the first page, which holds all of the few these tests make.
async fn all_alarms(cloudwatch: &aws_sdk_cloudwatch::Client) -> DescribeAlarmsOutput {
    cloudwatch
        .describe_alarms()
        .send()
        .await
        .expect("DescribeAlarms")
}

/// The alarms in `state`.
async fn alarms_in_state(
    cloudwatch: &aws_sdk_cloudwatch::Client,
    state: StateValue,
) -> DescribeAlarmsOutput {
    cloudwatch
        .describe_alarms()
        .state_value(state)
        .send()
        .await
        .expect("DescribeAlarms by state")
}

fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs() as i64
}

#[tokio::test]
async fn an_alarm_is_put_described_set_and_deleted_over_rpc_v2_cbor() {
    let moto = Moto::start_in(REGION);
    let cloudwatch = aws_sdk_cloudwatch::Client::new(&moto.sdk().await);
    let before = now_secs();

    cloudwatch
        .put_metric_alarm()
        .alarm_name(ALARM)
        .alarm_description("The scaler's invocations fail")
        .namespace("AWS/Lambda")
        .metric_name("Errors")
        .dimensions(
            Dimension::builder()
                .name("FunctionName")
                .value("wt-scaler")
                .build(),
        )
        .dimensions(
            Dimension::builder()
                .name("Resource")
                .value("wt-scaler:live")
                .build(),
        )
        .statistic(Statistic::Sum)
        .period(300)
        .unit(StandardUnit::Count)
        .evaluation_periods(3)
        .datapoints_to_alarm(2)
        .threshold(1.5)
        .comparison_operator(ComparisonOperator::GreaterThanOrEqualToThreshold)
        .treat_missing_data("notBreaching")
        .actions_enabled(true)
        .alarm_actions(TOPIC)
        .ok_actions(OK_TOPIC)
        .insufficient_data_actions(GAP_TOPIC)
        .send()
        .await
        .expect("PutMetricAlarm over RPC v2 CBOR");

    // Every member round-trips; a new alarm is INSUFFICIENT_DATA.
    let alarms = described(&cloudwatch, ALARM).await;
    assert_eq!(alarms.len(), 1, "{alarms:?}");
    let alarm = &alarms[0];
    assert_eq!(alarm.alarm_name(), Some(ALARM));
    assert_eq!(
        alarm.alarm_arn(),
        Some("arn:aws:cloudwatch:ap-northeast-2:123456789012:alarm:wt-scaler-errors")
    );
    assert_eq!(
        alarm.alarm_description(),
        Some("The scaler's invocations fail")
    );
    assert_eq!(alarm.namespace(), Some("AWS/Lambda"));
    assert_eq!(alarm.metric_name(), Some("Errors"));
    let dimensions: Vec<(&str, &str)> = alarm
        .dimensions()
        .iter()
        .map(|d| (d.name().unwrap(), d.value().unwrap()))
        .collect();
    assert_eq!(
        dimensions,
        [
            ("FunctionName", "wt-scaler"),
            ("Resource", "wt-scaler:live")
        ]
    );
    assert_eq!(alarm.statistic(), Some(&Statistic::Sum));
    assert_eq!(alarm.period(), Some(300));
    assert_eq!(alarm.unit(), Some(&StandardUnit::Count));
    assert_eq!(alarm.evaluation_periods(), Some(3));
    assert_eq!(alarm.datapoints_to_alarm(), Some(2));
    assert_eq!(alarm.threshold(), Some(1.5));
    assert_eq!(
        alarm.comparison_operator(),
        Some(&ComparisonOperator::GreaterThanOrEqualToThreshold)
    );
    assert_eq!(alarm.treat_missing_data(), Some("notBreaching"));
    assert_eq!(alarm.actions_enabled(), Some(true));
    assert_eq!(alarm.alarm_actions(), [TOPIC]);
    assert_eq!(alarm.ok_actions(), [OK_TOPIC]);
    assert_eq!(alarm.insufficient_data_actions(), [GAP_TOPIC]);
    assert_eq!(alarm.state_value(), Some(&StateValue::InsufficientData));
    assert_eq!(
        alarm.state_reason(),
        Some("Unchecked: Initial alarm creation")
    );
    let created = alarm
        .alarm_configuration_updated_timestamp()
        .expect("AlarmConfigurationUpdatedTimestamp (tag 1)")
        .secs();
    assert!(
        (before - 1..=now_secs() + 1).contains(&created),
        "{created} not around {before}"
    );
    let first_state_update = *alarm
        .state_updated_timestamp()
        .expect("StateUpdatedTimestamp (tag 1)");

    // SetAlarmState: ALARM, with its reason and data; a new state timestamp.
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    cloudwatch
        .set_alarm_state()
        .alarm_name(ALARM)
        .state_value(StateValue::Alarm)
        .state_reason("Threshold Crossed: 2 datapoints were >= 1.5")
        .state_reason_data(r#"{"version":"1.0"}"#)
        .send()
        .await
        .expect("SetAlarmState over RPC v2 CBOR");
    let alarms = described(&cloudwatch, ALARM).await;
    assert_eq!(alarms.len(), 1, "{alarms:?}");
    let alarm = &alarms[0];
    assert_eq!(alarm.state_value(), Some(&StateValue::Alarm));
    assert_eq!(
        alarm.state_reason(),
        Some("Threshold Crossed: 2 datapoints were >= 1.5")
    );
    assert_eq!(alarm.state_reason_data(), Some(r#"{"version":"1.0"}"#));
    let updated = *alarm
        .state_updated_timestamp()
        .expect("StateUpdatedTimestamp");
    assert!(
        updated > first_state_update,
        "{updated:?} after {first_state_update:?}"
    );
    assert!(
        (before - 1..=now_secs() + 1).contains(&updated.secs()),
        "{updated:?}"
    );
    // The configuration is unchanged, and a filter on the state finds it.
    assert_eq!(alarm.threshold(), Some(1.5));
    let in_alarm = alarms_in_state(&cloudwatch, StateValue::Alarm).await;
    assert_eq!(in_alarm.metric_alarms().len(), 1, "{in_alarm:?}");
    let ok = alarms_in_state(&cloudwatch, StateValue::Ok).await;
    assert!(ok.metric_alarms().is_empty(), "{ok:?}");

    // DeleteAlarms: gone.
    cloudwatch
        .delete_alarms()
        .alarm_names(ALARM)
        .send()
        .await
        .expect("DeleteAlarms over RPC v2 CBOR");
    assert!(described(&cloudwatch, ALARM).await.is_empty());
    let all = all_alarms(&cloudwatch).await;
    assert!(all.metric_alarms().is_empty(), "{all:?}");
}

#[tokio::test]
async fn errors_arrive_typed_as_the_sdk_expects_them() {
    let moto = Moto::start_in(REGION);
    let cloudwatch = aws_sdk_cloudwatch::Client::new(&moto.sdk().await);

    // An alarm that does not exist: ResourceNotFound, HTTP 404 (the shape's @httpError).
    let err = cloudwatch
        .set_alarm_state()
        .alarm_name("ghost")
        .state_value(StateValue::Alarm)
        .state_reason("testing")
        .send()
        .await
        .expect_err("no such alarm");
    assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(404));
    let service = err.into_service_error();
    assert!(service.is_resource_not_found(), "{service:?}");
    assert_eq!(
        aws_sdk_cloudwatch::error::ProvideErrorMetadata::code(&service),
        Some("ResourceNotFound")
    );

    put_errors_alarm(&cloudwatch, "real").await;

    // Reason data that is not JSON: the shape InvalidFormatFault, its query code InvalidFormat.
    let err = cloudwatch
        .set_alarm_state()
        .alarm_name("real")
        .state_value(StateValue::Alarm)
        .state_reason("testing")
        .state_reason_data("{not json")
        .send()
        .await
        .expect_err("reason data is not JSON");
    assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(400));
    let service = err.into_service_error();
    assert!(service.is_invalid_format_fault(), "{service:?}");

    // A token this server never issued: InvalidNextToken.
    let err = cloudwatch
        .describe_alarms()
        .next_token("not-a-token")
        .send()
        .await
        .expect_err("a forged token");
    assert!(err.into_service_error().is_invalid_next_token());

    // A constraint of the model: MaxRecords is 1-100.
    let err = cloudwatch
        .describe_alarms()
        .max_records(101)
        .send()
        .await
        .expect_err("MaxRecords out of range");
    match &err {
        SdkError::ServiceError(context) => {
            assert_eq!(context.raw().status().as_u16(), 400);
            let meta = aws_sdk_cloudwatch::error::ProvideErrorMetadata::meta(context.err());
            assert_eq!(meta.code(), Some("ValidationError"), "{err:?}");
            assert!(
                meta.message().unwrap_or_default().contains("maxRecords"),
                "{err:?}"
            );
        }
        other => panic!("not a service error: {other:?}"),
    }

    // Nothing changed the alarm.
    let alarms = described(&cloudwatch, "real").await;
    assert_eq!(alarms[0].state_value(), Some(&StateValue::InsufficientData));
}

#[tokio::test]
async fn pages_and_updates_keep_to_what_cloudwatch_documents() {
    let moto = Moto::start_in(REGION);
    let cloudwatch = aws_sdk_cloudwatch::Client::new(&moto.sdk().await);
    for name in ["c-alarm", "a-alarm", "b-alarm", "other"] {
        put_errors_alarm(&cloudwatch, name).await;
    }

    // Two per page: every alarm once, in name order.
    let mut names = Vec::new();
    let mut token = None;
    let mut pages = 0;
    loop {
        let page = cloudwatch
            .describe_alarms()
            .max_records(2)
            .set_next_token(token.clone())
            .send()
            .await
            .expect("DescribeAlarms page");
        pages += 1;
        names.extend(
            page.metric_alarms()
                .iter()
                .map(|a| a.alarm_name().unwrap().to_string()),
        );
        token = page.next_token().map(str::to_string);
        if token.is_none() {
            break;
        }
        assert!(pages < 5, "the pages end");
    }
    assert_eq!(names, ["a-alarm", "b-alarm", "c-alarm", "other"]);
    assert_eq!(pages, 2);

    // An update keeps the state ("its state is left unchanged") and replaces the configuration.
    cloudwatch
        .set_alarm_state()
        .alarm_name("b-alarm")
        .state_value(StateValue::Ok)
        .state_reason("checked by hand")
        .send()
        .await
        .expect("SetAlarmState");
    cloudwatch
        .put_metric_alarm()
        .alarm_name("b-alarm")
        .namespace("AWS/SQS")
        .metric_name("ApproximateNumberOfMessagesVisible")
        .statistic(Statistic::Maximum)
        .period(300)
        .evaluation_periods(2)
        .threshold(10.0)
        .comparison_operator(ComparisonOperator::GreaterThanThreshold)
        .send()
        .await
        .expect("PutMetricAlarm (update)");
    let alarms = described(&cloudwatch, "b-alarm").await;
    assert_eq!(alarms[0].state_value(), Some(&StateValue::Ok));
    assert_eq!(alarms[0].state_reason(), Some("checked by hand"));
    assert_eq!(alarms[0].namespace(), Some("AWS/SQS"));
    assert_eq!(alarms[0].threshold(), Some(10.0));
    assert_eq!(alarms[0].period(), Some(300));

    // A prefix filter, and prefix with names together refused.
    let prefixed = cloudwatch
        .describe_alarms()
        .alarm_name_prefix("b-")
        .send()
        .await
        .expect("DescribeAlarms by prefix");
    assert_eq!(prefixed.metric_alarms().len(), 1, "{prefixed:?}");
    let err = cloudwatch
        .describe_alarms()
        .alarm_name_prefix("b-")
        .alarm_names("a-alarm")
        .send()
        .await
        .expect_err("AlarmNamePrefix with AlarmNames");
    assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(400));

    // DeleteAlarms of several, one of them unknown (moto's behaviour: ignored).
    cloudwatch
        .delete_alarms()
        .alarm_names("a-alarm")
        .alarm_names("b-alarm")
        .alarm_names("never-was")
        .send()
        .await
        .expect("DeleteAlarms");
    let rest = all_alarms(&cloudwatch).await;
    let rest: Vec<&str> = rest
        .metric_alarms()
        .iter()
        .map(|a| a.alarm_name().unwrap())
        .collect();
    assert_eq!(rest, ["c-alarm", "other"]);
}
