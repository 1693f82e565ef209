//! Hearing about it, through the stack `worktime bootstrap` deploys: every run puts one event
//! on the default bus (captured here by a rule with an SQS target), and the notice before
//! scale-in is published to the `[notify]` topic (captured by an SQS subscription).

use std::time::Duration;

use aws_config::SdkConfig;
use chrono::{SubsecRound, TimeDelta, Utc};
use serde_json::Value;
use worktime_e2e::triggers::deployed_rule_payload;
use worktime_e2e::*;

const REGION: &str = "ap-northeast-2";

const CONFIG: &str = r#"
[stack]
name = "loud"
region = "ap-northeast-2"

[schedule]
timezone = "Asia/Seoul"
scale_out = "cron(0 9 ? * MON-FRI *)"
scale_in = "cron(0 19 ? * MON-FRI *)"
trigger = "rules"
warn_before_minutes = 30

[[services]]
cluster = "prod"
service = "api"
min = 1
max = 3

[[services]]
cluster = "prod"
service = "late-night"

[notify]
email = ["oncall@example.com"]
"#;

/// A queue and its ARN.
async fn queue(sdk: &SdkConfig, name: &str) -> (String, String) {
    let sqs = aws_sdk_sqs::Client::new(sdk);
    let url = sqs
        .create_queue()
        .queue_name(name)
        .send()
        .await
        .unwrap()
        .queue_url()
        .unwrap()
        .to_string();
    let arn = sqs
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap()
        .attributes()
        .and_then(|a| {
            a.get(&aws_sdk_sqs::types::QueueAttributeName::QueueArn)
                .cloned()
        })
        .unwrap();
    (url, arn)
}

/// A rule on the default bus for worktime's run events, into a queue: the queue's URL (read
/// it with [`drain`]).
pub(super) async fn capture_run_events(sdk: &SdkConfig) -> String {
    let (runs, runs_arn) = queue(sdk, "runs").await;
    let events = aws_sdk_eventbridge::Client::new(sdk);
    events
        .put_rule()
        .name("capture-worktime")
        .event_pattern(r#"{"source": ["worktime"], "detail-type": ["worktime scaling run"]}"#)
        .send()
        .await
        .unwrap();
    events
        .put_targets()
        .rule("capture-worktime")
        .targets(
            aws_sdk_eventbridge::types::Target::builder()
                .id("queue")
                .arn(&runs_arn)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    runs
}

/// Every message waiting in the queue, as JSON.
pub(super) async fn drain(sdk: &SdkConfig, url: &str) -> Vec<Value> {
    let sqs = aws_sdk_sqs::Client::new(sdk);
    let mut bodies = Vec::new();
    for _ in 0..3 {
        let out = sqs
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .send()
            .await
            .unwrap();
        for message in out.messages() {
            bodies.push(serde_json::from_str(message.body().unwrap()).unwrap());
            sqs.delete_message()
                .queue_url(url)
                .receipt_handle(message.receipt_handle().unwrap())
                .send()
                .await
                .unwrap();
        }
        if !bodies.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    bodies
}

#[tokio::test]
async fn runs_put_events_and_the_notice_reaches_the_topic() {
    let moto = Moto::start_in(REGION);
    let sdk = moto.sdk().await;
    create_services(&sdk, "prod", &[("api", 2), ("late-night", 1)]).await;
    let hold_until = (Utc::now() + TimeDelta::hours(6))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    tag_service(
        &sdk,
        "prod",
        "late-night",
        "worktime:hold-until",
        &hold_until,
    )
    .await;
    let dir = bootstrapped(&moto, CONFIG);

    // The stack's topic, with an SQS subscription of our own.
    let topic = aws_sdk_cloudformation::Client::new(&sdk)
        .describe_stack_resources()
        .stack_name("loud")
        .logical_resource_id("NotifyTopic")
        .send()
        .await
        .unwrap()
        .stack_resources()[0]
        .physical_resource_id()
        .unwrap()
        .to_string();
    assert!(topic.ends_with(":loud-notify"), "{topic}");
    let (notices, notices_arn) = queue(&sdk, "notices").await;
    aws_sdk_sns::Client::new(&sdk)
        .subscribe()
        .topic_arn(&topic)
        .protocol("sqs")
        .endpoint(&notices_arn)
        .send()
        .await
        .unwrap();
    let runs = capture_run_events(&sdk).await;

    // The notice rule fires 30 minutes before scale-in: nothing changes, the topic hears.
    // JSON logs, as the stack's LoggingConfig sets them.
    let json_logs = FunctionConfig {
        log_format: "JSON".into(),
        ..FunctionConfig::default()
    };
    let mut function =
        FunctionRuntime::deployed_with(&sdk, "loud-scaler", moto.env(), json_logs).await;
    let fired = Utc::now().trunc_subsecs(0) - TimeDelta::minutes(1);
    let notice = deployed_rule_payload(&sdk, "loud-notice", fired)
        .await
        .unwrap();
    assert_eq!(notice["action"], "notice");
    assert_eq!(notice["warn_before_minutes"], 30);
    let report = function.invoke(&notice).expect_ok();
    assert_eq!(report["action"], "notice", "{report}");
    assert_eq!(desired_count(&sdk, "prod", "api").await, 2);
    let published = drain(&sdk, &notices).await;
    assert_eq!(published.len(), 1, "{published:?}");
    let subject = published[0]["Subject"].as_str().unwrap();
    assert_eq!(
        subject,
        format!(
            "worktime loud: 1 service(s) stop at {} (Asia/Seoul)",
            (fired + TimeDelta::minutes(30) + TimeDelta::hours(9)).format("%H:%M")
        )
    );
    let body = published[0]["Message"].as_str().unwrap();
    assert!(body.contains("prod/api"), "{body}");
    assert!(body.contains("worktime hold prod/api --for 3h"), "{body}");
    assert!(
        body.contains("prod/late-night") && body.contains("held until"),
        "{body}"
    );

    // The notice run's event, then the scale-in's.
    let captured = drain(&sdk, &runs).await;
    assert_eq!(captured.len(), 1, "{captured:?}");
    assert_eq!(captured[0]["source"], "worktime");
    assert_eq!(captured[0]["detail"]["action"], "notice");
    assert_eq!(captured[0]["detail"]["stack"], "loud");
    // (Delivered as if scheduled now: a payload may not come from the future.)
    let evening = deployed_rule_payload(&sdk, "loud-scale-in", fired)
        .await
        .unwrap();
    function.invoke(&evening).expect_ok();
    assert_eq!(desired_count(&sdk, "prod", "api").await, 0);
    assert_eq!(desired_count(&sdk, "prod", "late-night").await, 1, "held");
    let captured = drain(&sdk, &runs).await;
    assert_eq!(captured.len(), 1, "{captured:?}");
    let detail = &captured[0]["detail"];
    assert_eq!(detail["action"], "scale-in");
    assert_eq!(detail["schedule"], "default");
    assert_eq!(detail["summary"]["changed"], 1, "{detail}");
    assert_eq!(detail["summary"]["held"], 1, "{detail}");
    assert_eq!(detail["scheduled_time"], evening["scheduled_time"]);
    let outcomes: Vec<&str> = detail["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, ["changed", "held"]);

    // The last night at a glance: Lambda ships the function's log lines to its log group;
    // status reads the last run of each action from them, the queue, and the alarms.
    ship_logs(&sdk, "/aws/lambda/loud-scaler", &function.log()).await;
    let status = worktime(dir.path(), &moto.env(), &["status", "--output", "json"])
        .expect_code(0)
        .json();
    let activity = &status["activity"];
    let runs: Vec<(&str, &str, u64)> = activity["last_runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["schedule"].as_str().unwrap(),
                r["action"].as_str().unwrap(),
                r["summary"]["changed"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(
        runs,
        [("default", "notice", 0), ("default", "scale-in", 1)],
        "{activity}"
    );
    assert_eq!(activity["dead_letters"], 0, "{activity}");
    let alarms: Vec<&str> = activity["alarms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(alarms, ["loud-scaler-errors", "loud-dlq-messages"]);
    // Never evaluated on the test endpoint: as AWS leaves a new alarm.
    for alarm in activity["alarms"].as_array().unwrap() {
        assert_eq!(alarm["state"], "INSUFFICIENT_DATA", "{alarm}");
    }
    let text = worktime(dir.path(), &moto.env(), &["status"]).expect_code(0);
    assert!(text.stdout.contains("last runs:"), "{}", text.stdout);
    assert!(
        text.stdout.contains("dead-letter queue: empty"),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout
            .contains("alarm loud-scaler-errors: INSUFFICIENT_DATA"),
        "{}",
        text.stdout
    );
}

const TWO_TOPICS: &str = r#"
[stack]
name = "twice"
region = "ap-northeast-2"

[schedule]
timezone = "Asia/Seoul"
scale_out = "cron(0 9 ? * MON-FRI *)"
scale_in = "cron(0 19 ? * MON-FRI *)"
trigger = "rules"
warn_before_minutes = 30

[[services]]
cluster = "prod"
service = "api"
min = 1
max = 3

[notify]
email = ["oncall@example.com"]
sns_topic_arn = "arn:aws:sns:ap-northeast-2:123456789012:chatops"
"#;

/// A topic with an SQS subscription of our own: the queue's URL.
async fn heard_by_queue(sdk: &SdkConfig, topic: &str, queue_name: &str) -> String {
    let (url, arn) = queue(sdk, queue_name).await;
    aws_sdk_sns::Client::new(sdk)
        .subscribe()
        .topic_arn(topic)
        .protocol("sqs")
        .endpoint(&arn)
        .send()
        .await
        .unwrap();
    url
}

#[tokio::test]
async fn a_retried_notice_reaches_only_the_topics_that_missed_it() {
    let moto = Moto::start_in(REGION);
    let sdk = moto.sdk().await;
    let sns = aws_sdk_sns::Client::new(&sdk);
    create_services(&sdk, "prod", &[("api", 2)]).await;
    let chatops = sns
        .create_topic()
        .name("chatops")
        .send()
        .await
        .unwrap()
        .topic_arn()
        .unwrap()
        .to_string();
    let _dir = bootstrapped(&moto, TWO_TOPICS);
    let own = aws_sdk_cloudformation::Client::new(&sdk)
        .describe_stack_resources()
        .stack_name("twice")
        .logical_resource_id("NotifyTopic")
        .send()
        .await
        .unwrap()
        .stack_resources()[0]
        .physical_resource_id()
        .unwrap()
        .to_string();
    let own_queue = heard_by_queue(&sdk, &own, "own").await;
    // The chat topic is gone when the notice fires: its publish fails after the stack's own
    // topic has the notice.
    sns.delete_topic().topic_arn(&chatops).send().await.unwrap();

    let mut function = FunctionRuntime::deployed(&sdk, "twice-scaler", moto.env()).await;
    let fired = Utc::now().trunc_subsecs(0) - TimeDelta::minutes(2);
    let notice = deployed_rule_payload(&sdk, "twice-notice", fired)
        .await
        .unwrap();
    let error = function.invoke(&notice).expect_err();
    assert!(
        error["errorMessage"]
            .as_str()
            .is_some_and(|m| m.contains(&chatops)),
        "{error}"
    );
    assert_eq!(drain(&sdk, &own_queue).await.len(), 1);

    // The topic is back; Lambda retries the same event: only the topic that missed the
    // notice gets it.
    sns.create_topic().name("chatops").send().await.unwrap();
    let chatops_queue = heard_by_queue(&sdk, &chatops, "chatops").await;
    function.invoke(&notice).expect_ok();
    assert_eq!(drain(&sdk, &own_queue).await.len(), 0, "sent twice");
    let heard = drain(&sdk, &chatops_queue).await;
    assert_eq!(heard.len(), 1, "{heard:?}");
    // Delivered once more (EventBridge delivers at least once): nobody hears it again.
    function.invoke(&notice).expect_ok();
    assert_eq!(drain(&sdk, &own_queue).await.len(), 0);
    assert_eq!(drain(&sdk, &chatops_queue).await.len(), 0);

    // The record is on the function, under the schedule's key.
    let tags = aws_sdk_lambda::Client::new(&sdk)
        .list_tags()
        .resource(function.function_arn())
        .send()
        .await
        .unwrap();
    let record = tags
        .tags()
        .and_then(|t| t.get("worktime:notice:default"))
        .cloned()
        .unwrap_or_default();
    assert!(
        record.starts_with(&fired.format("%Y-%m-%dT%H:%M:%SZ").to_string()),
        "{record}"
    );
    assert_eq!(record.split_whitespace().count(), 3, "{record}");

    // The next notice is a new one: both topics hear it.
    let next = deployed_rule_payload(&sdk, "twice-notice", fired + TimeDelta::minutes(1))
        .await
        .unwrap();
    function.invoke(&next).expect_ok();
    assert_eq!(drain(&sdk, &own_queue).await.len(), 1);
    assert_eq!(drain(&sdk, &chatops_queue).await.len(), 1);
}

/// What Lambda does with a function's output: each line, an event of the log group.
pub(super) async fn ship_logs(sdk: &SdkConfig, group: &str, log: &str) {
    let logs = aws_sdk_cloudwatchlogs::Client::new(sdk);
    logs.create_log_stream()
        .log_group_name(group)
        .log_stream_name("2026/11/28/[$LATEST]test")
        .send()
        .await
        .unwrap();
    let now = Utc::now().timestamp_millis();
    let events: Vec<aws_sdk_cloudwatchlogs::types::InputLogEvent> = log
        .lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(i, line)| {
            aws_sdk_cloudwatchlogs::types::InputLogEvent::builder()
                .timestamp(now + i as i64)
                .message(line)
                .build()
                .unwrap()
        })
        .collect();
    logs.put_log_events()
        .log_group_name(group)
        .log_stream_name("2026/11/28/[$LATEST]test")
        .set_log_events(Some(events))
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn teardown_takes_worktime_tags_off_the_services_it_gives_back() {
    let moto = Moto::start_in(REGION);
    let sdk = moto.sdk().await;
    create_services(&sdk, "prod", &[("api", 2), ("late-night", 1)]).await;
    let dir = bootstrapped(&moto, CONFIG);
    // late-night is held while it runs, so the scale-in leaves it up (a hold on a service
    // that is down already is refused: `wake` is for that).
    worktime(
        dir.path(),
        &moto.env(),
        &["hold", "prod/late-night", "--for", "2h"],
    )
    .expect_code(0);
    worktime(dir.path(), &moto.env(), &["run", "scale-in"]).expect_code(0);
    assert_eq!(desired_count(&sdk, "prod", "late-night").await, 1, "held");
    assert_eq!(desired_count(&sdk, "prod", "api").await, 0);
    assert!(
        service_tag(&sdk, "prod", "late-night", "worktime:hold-until")
            .await
            .is_some()
    );

    worktime(dir.path(), &moto.env(), &["teardown", "--yes"]).expect_code(0);
    for service in ["api", "late-night"] {
        assert_eq!(
            service_tag(&sdk, "prod", service, "worktime:capacity").await,
            None,
            "{service}"
        );
        assert_eq!(
            service_tag(&sdk, "prod", service, "worktime:hold-until").await,
            None,
            "{service}"
        );
    }
    assert_eq!(desired_count(&sdk, "prod", "api").await, 2);
    assert_eq!(desired_count(&sdk, "prod", "late-night").await, 1);
}
