//! `AWS::Scheduler::Schedule` through CloudFormation on the project's extended moto
//! (`tests/aws_model/worktime_moto/scheduler_schedule.py`): a stack's schedules exist in the
//! EventBridge Scheduler API as the template set them, read back with
//! `triggers::deployed_schedule` / `deployed_schedule_payload`, and go with the stack.

use aws_config::SdkConfig;
use aws_sdk_cloudformation::types::StackStatus;
use chrono::{DateTime, SubsecRound, TimeDelta, Utc};
use serde_json::{json, Value};
use worktime_e2e::triggers::{deployed_schedule, deployed_schedule_payload};
use worktime_e2e::*;

const REGION: &str = "ap-northeast-2";
const ACCOUNT: &str = "123456789012";

fn scheduler_config() -> String {
    format!(
        r#"
[stack]
name = "wt"
region = "{REGION}"

[schedule]
timezone = "Europe/Berlin"
scale_out = "cron(0 8 ? * MON-FRI *)"
scale_in = "cron(0 18 ? * MON-FRI *)"
trigger = "scheduler"
skip_dates = ["2030-12-25"]

[[services]]
cluster = "prod"
service = "api"
min = 1
max = 3

[[services]]
cluster = "prod"
service = "worker"
"#
    )
}

/// Whether `GetSchedule` answers ResourceNotFoundException for `name` in group `group`.
async fn schedule_absent(sdk: &SdkConfig, group: &str, name: &str) -> bool {
    match aws_sdk_scheduler::Client::new(sdk)
        .get_schedule()
        .name(name)
        .group_name(group)
        .send()
        .await
    {
        Ok(_) => false,
        Err(e) => {
            let e = e.into_service_error();
            assert!(e.is_resource_not_found_exception(), "{e:?}");
            true
        }
    }
}

fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(0)
}

#[tokio::test]
async fn a_scheduler_stack_deploys_its_schedules_and_teardown_removes_them() {
    let moto = Moto::start_in(REGION);
    let sdk = moto.sdk().await;
    create_services(&sdk, "prod", &[("api", 2), ("worker", 3)]).await;
    register_target(&sdk, "prod", "api", 1, 3).await;
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path(), &scheduler_config());
    let zip = function_zip(dir.path(), "fn.zip", None);
    worktime(
        dir.path(),
        &moto.env(),
        &["bootstrap", "--yes", "--artifact", zip.to_str().unwrap()],
    )
    .expect_code(0);

    // What the schedules point at, read through each service's own API.
    let function_arn = aws_sdk_lambda::Client::new(&sdk)
        .get_function()
        .function_name("wt-scaler")
        .send()
        .await
        .unwrap()
        .configuration()
        .and_then(|c| c.function_arn())
        .unwrap()
        .to_string();
    // By the names worktime gives them.
    let queue_url = aws_sdk_sqs::Client::new(&sdk)
        .get_queue_url()
        .queue_name("wt-dlq")
        .send()
        .await
        .unwrap()
        .queue_url()
        .unwrap()
        .to_string();
    let queue_arn = aws_sdk_sqs::Client::new(&sdk)
        .get_queue_attributes()
        .queue_url(&queue_url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap()
        .attributes()
        .and_then(|a| a.get(&aws_sdk_sqs::types::QueueAttributeName::QueueArn))
        .unwrap()
        .clone();
    let role_name = format!("wt-scheduler-{REGION}");
    let role_arn = aws_sdk_iam::Client::new(&sdk)
        .get_role()
        .role_name(&role_name)
        .send()
        .await
        .unwrap()
        .role()
        .unwrap()
        .arn()
        .to_string();

    for (name, cron) in [
        ("wt-scale-in", "cron(0 18 ? * MON-FRI *)"),
        ("wt-scale-out", "cron(0 8 ? * MON-FRI *)"),
    ] {
        let schedule = deployed_schedule(&sdk, name).await.unwrap();
        assert_eq!(
            schedule.arn,
            format!("arn:aws:scheduler:{REGION}:{ACCOUNT}:schedule/default/{name}")
        );
        assert_eq!(schedule.expression, cron, "{schedule:?}");
        assert_eq!(schedule.timezone, "Europe/Berlin", "{schedule:?}");
        assert_eq!(schedule.state, "ENABLED", "{schedule:?}");
        assert_eq!(schedule.target_arn, function_arn, "{schedule:?}");
        assert_eq!(schedule.role_arn, role_arn, "{schedule:?}");
        assert_eq!(
            schedule.dead_letter_arn.as_deref(),
            Some(queue_arn.as_str()),
            "{schedule:?}"
        );
    }

    // The payload the evening schedule delivers, from what the stack deployed.
    let scheduled = now() - TimeDelta::minutes(2);
    let evening = deployed_schedule_payload(&sdk, "wt-scale-in", scheduled)
        .await
        .unwrap();
    assert_eq!(evening["action"], "scale-in", "{evening}");
    assert_eq!(
        evening["scheduled_time"],
        scheduled.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        "{evening}"
    );
    let ids: Vec<&str> = evening["services"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["resource_id"].as_str())
        .collect();
    assert_eq!(
        ids,
        ["service/prod/api", "service/prod/worker"],
        "{evening}"
    );
    let morning = deployed_schedule_payload(&sdk, "wt-scale-out", scheduled)
        .await
        .unwrap();
    assert_eq!(morning["action"], "scale-out", "{morning}");

    // Delivered to the deployed function, it scales the services in.
    let mut function = FunctionRuntime::deployed(&sdk, "wt-scaler", moto.env()).await;
    let report = function.invoke(&evening).expect_ok();
    assert_eq!(report["summary"]["changed"], 2, "{report}");
    assert_eq!(target_capacity(&sdk, "prod", "api").await, Some((0, 0)));

    worktime(dir.path(), &moto.env(), &["teardown", "--yes"]).expect_code(0);
    for name in ["wt-scale-in", "wt-scale-out"] {
        assert!(
            schedule_absent(&sdk, "default", name).await,
            "{name} survived the teardown"
        );
        let err = deployed_schedule(&sdk, name).await.unwrap_err();
        assert!(err.contains("ResourceNotFoundException"), "{err}");
    }
}

/// A stack of one schedule without a `Name` (CloudFormation names it), `Ref` and `GetAtt`
/// in its outputs; `properties` are merged over the defaults (`null` removes one).
fn schedule_template(properties: Value) -> String {
    let mut props = json!({
        "ScheduleExpression": "rate(1 hour)",
        "FlexibleTimeWindow": {"Mode": "OFF"},
        "Target": {
            "Arn": format!("arn:aws:lambda:{REGION}:{ACCOUNT}:function:f"),
            "RoleArn": format!("arn:aws:iam::{ACCOUNT}:role/scheduler"),
            "Input": "{\"at\":\"<aws.scheduler.scheduled-time>\"}"
        }
    });
    for (key, value) in properties.as_object().unwrap() {
        if value.is_null() {
            props.as_object_mut().unwrap().remove(key);
        } else {
            props[key] = value.clone();
        }
    }
    json!({
        "Resources": {"Hourly": {"Type": "AWS::Scheduler::Schedule", "Properties": props}},
        "Outputs": {
            "Name": {"Value": {"Ref": "Hourly"}},
            "Arn": {"Value": {"Fn::GetAtt": ["Hourly", "Arn"]}}
        }
    })
    .to_string()
}

async fn stack_outputs(cfn: &aws_sdk_cloudformation::Client, stack: &str) -> (String, String) {
    let described = cfn
        .describe_stacks()
        .stack_name(stack)
        .send()
        .await
        .unwrap();
    let stack = &described.stacks()[0];
    let output = |key: &str| {
        stack
            .outputs()
            .iter()
            .find(|o| o.output_key() == Some(key))
            .and_then(|o| o.output_value())
            .unwrap_or_else(|| panic!("no output {key}: {stack:?}"))
            .to_string()
    };
    (output("Name"), output("Arn"))
}

async fn stack_status(cfn: &aws_sdk_cloudformation::Client, stack: &str) -> StackStatus {
    cfn.describe_stacks()
        .stack_name(stack)
        .send()
        .await
        .unwrap()
        .stacks()[0]
        .stack_status()
        .unwrap()
        .clone()
}

/// The reason of the newest `*_FAILED` event of the stack's resource `logical_id` (events come
/// newest first, as on AWS).
async fn failure_reason(
    cfn: &aws_sdk_cloudformation::Client,
    stack: &str,
    logical_id: &str,
) -> String {
    let events = cfn
        .describe_stack_events()
        .stack_name(stack)
        .send()
        .await
        .unwrap();
    events
        .stack_events()
        .iter()
        .find(|e| {
            e.logical_resource_id() == Some(logical_id)
                && e.resource_status()
                    .is_some_and(|s| s.as_str().ends_with("_FAILED"))
        })
        .and_then(|e| e.resource_status_reason())
        .unwrap_or_else(|| panic!("no failure of {logical_id}: {events:?}"))
        .to_string()
}

async fn update(cfn: &aws_sdk_cloudformation::Client, stack: &str, template: String) {
    cfn.update_stack()
        .stack_name(stack)
        .template_body(template)
        .send()
        .await
        .expect("update accepted (a failure shows in the stack, as on AWS)");
}

#[tokio::test]
async fn the_schedule_model_names_updates_replaces_refuses_and_deletes_as_cloudformation_does() {
    let moto = Moto::start_in(REGION);
    let sdk = moto.sdk().await;
    let cfn = aws_sdk_cloudformation::Client::new(&sdk);
    let scheduler = aws_sdk_scheduler::Client::new(&sdk);

    // Created without a Name: CloudFormation's `<logical id>-<12 characters>`, the API's defaults.
    cfn.create_stack()
        .stack_name("sched")
        .template_body(schedule_template(json!({})))
        .send()
        .await
        .unwrap();
    assert_eq!(
        stack_status(&cfn, "sched").await,
        StackStatus::CreateComplete
    );
    let (name, arn) = stack_outputs(&cfn, "sched").await;
    let suffix = name.strip_prefix("Hourly-").expect("generated name");
    assert!(
        suffix.len() == 12
            && suffix
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()),
        "{name}"
    );
    assert_eq!(
        arn,
        format!("arn:aws:scheduler:{REGION}:{ACCOUNT}:schedule/default/{name}")
    );
    let schedule = deployed_schedule(&sdk, &name).await.unwrap();
    assert_eq!(schedule.arn, arn);
    assert_eq!(
        (schedule.timezone.as_str(), schedule.state.as_str()),
        ("UTC", "ENABLED")
    );
    assert_eq!(schedule.dead_letter_arn, None);
    let got = scheduler.get_schedule().name(&name).send().await.unwrap();
    let retry = got.target().unwrap().retry_policy().unwrap();
    assert_eq!(
        (
            retry.maximum_event_age_in_seconds(),
            retry.maximum_retry_attempts()
        ),
        (Some(86400), Some(185)),
        "the API's default retry policy"
    );
    let at = DateTime::parse_from_rfc3339("2030-01-07T09:00:00Z")
        .unwrap()
        .with_timezone(&Utc);
    assert_eq!(
        deployed_schedule_payload(&sdk, &name, at).await.unwrap(),
        json!({"at": "2030-01-07T09:00:00Z"})
    );

    // Other properties change in place: the same (generated) name, the new settings.
    update(
        &cfn,
        "sched",
        schedule_template(json!({
            "ScheduleExpression": "cron(30 7 ? * MON-FRI *)",
            "ScheduleExpressionTimezone": "Asia/Seoul",
            "State": "DISABLED",
            "Target": {
                "Arn": format!("arn:aws:lambda:{REGION}:{ACCOUNT}:function:f"),
                "RoleArn": format!("arn:aws:iam::{ACCOUNT}:role/scheduler"),
                "RetryPolicy": {"MaximumEventAgeInSeconds": "600", "MaximumRetryAttempts": 3},
                "DeadLetterConfig": {"Arn": format!("arn:aws:sqs:{REGION}:{ACCOUNT}:dlq")}
            }
        })),
    )
    .await;
    assert_eq!(
        stack_status(&cfn, "sched").await,
        StackStatus::UpdateComplete
    );
    assert_eq!(stack_outputs(&cfn, "sched").await.0, name);
    let schedule = deployed_schedule(&sdk, &name).await.unwrap();
    assert_eq!(schedule.expression, "cron(30 7 ? * MON-FRI *)");
    assert_eq!(schedule.timezone, "Asia/Seoul");
    assert_eq!(schedule.state, "DISABLED");
    assert_eq!(
        schedule.dead_letter_arn.as_deref(),
        Some(format!("arn:aws:sqs:{REGION}:{ACCOUNT}:dlq").as_str())
    );
    let got = scheduler.get_schedule().name(&name).send().await.unwrap();
    let retry = got.target().unwrap().retry_policy().unwrap();
    assert_eq!(
        (
            retry.maximum_event_age_in_seconds(),
            retry.maximum_retry_attempts()
        ),
        (Some(600), Some(3))
    );

    // Out-of-range retry settings, an expression of no documented form, a move to another
    // group: each update fails, rolls back, and leaves the schedule as it was.
    scheduler
        .create_schedule_group()
        .name("other")
        .send()
        .await
        .unwrap();
    let target = |retry: Value| {
        json!({
            "Arn": format!("arn:aws:lambda:{REGION}:{ACCOUNT}:function:f"),
            "RoleArn": format!("arn:aws:iam::{ACCOUNT}:role/scheduler"),
            "RetryPolicy": retry
        })
    };
    let group_refusal = format!(
        "Resource handler returned message: \"Resource of type 'AWS::Scheduler::Schedule' with identifier '{name}' was not found.\""
    );
    for (properties, expected) in [
        (
            json!({"Target": target(json!({"MaximumEventAgeInSeconds": 59}))}),
            "Model validation failed (#/Target/RetryPolicy/MaximumEventAgeInSeconds: failed validation constraint for keyword [minimum])",
        ),
        (
            json!({"Target": target(json!({"MaximumRetryAttempts": 186}))}),
            "Model validation failed (#/Target/RetryPolicy/MaximumRetryAttempts: failed validation constraint for keyword [maximum])",
        ),
        (
            json!({"ScheduleExpression": "every day at 9"}),
            "Resource handler returned message: \"Invalid Schedule Expression every day at 9 (Service: Scheduler, Status Code: 400",
        ),
        (
            json!({"ScheduleExpression": "rate(5 weeks)"}),
            "Resource handler returned message: \"Invalid Schedule Expression rate(5 weeks) (",
        ),
        (
            json!({"GroupName": "other"}),
            group_refusal.as_str(),
        ),
    ] {
        update(&cfn, "sched", schedule_template(properties.clone())).await;
        assert_eq!(
            stack_status(&cfn, "sched").await,
            StackStatus::UpdateRollbackComplete,
            "{properties}"
        );
        let reason = failure_reason(&cfn, "sched", "Hourly").await;
        assert!(reason.starts_with(expected), "{properties}: {reason}");
        let schedule = deployed_schedule(&sdk, &name).await.unwrap();
        assert_eq!(schedule.expression, "cron(30 7 ? * MON-FRI *)", "{properties}");
        assert_eq!(schedule.state, "DISABLED", "{properties}");
    }
    assert!(failure_reason(&cfn, "sched", "Hourly")
        .await
        .ends_with("HandlerErrorCode: NotFound)"));

    // A Name replaces the schedule: the new one exists, the generated one is gone.
    update(
        &cfn,
        "sched",
        schedule_template(json!({"Name": "hourly-report", "GroupName": "other"})),
    )
    .await;
    assert_eq!(
        stack_status(&cfn, "sched").await,
        StackStatus::UpdateComplete
    );
    assert_eq!(
        stack_outputs(&cfn, "sched").await,
        (
            "hourly-report".to_string(),
            format!("arn:aws:scheduler:{REGION}:{ACCOUNT}:schedule/other/hourly-report")
        )
    );
    assert!(schedule_absent(&sdk, "default", &name).await);
    assert!(!schedule_absent(&sdk, "other", "hourly-report").await);

    // Deleting the stack deletes its schedule.
    cfn.delete_stack().stack_name("sched").send().await.unwrap();
    assert!(schedule_absent(&sdk, "other", "hourly-report").await);

    // A create that fails rolls back and leaves no schedule.
    let template: Value = serde_json::from_str(&schedule_template(json!({
        "Name": "bad",
        "FlexibleTimeWindow": {"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 1441}
    })))
    .unwrap();
    // No outputs: a rolled-back stack has none to resolve.
    let template = json!({"Resources": template["Resources"]});
    cfn.create_stack()
        .stack_name("bad")
        .template_body(template.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(
        stack_status(&cfn, "bad").await,
        StackStatus::RollbackComplete
    );
    assert_eq!(
        failure_reason(&cfn, "bad", "Hourly").await,
        "Model validation failed (#/FlexibleTimeWindow/MaximumWindowInMinutes: failed validation constraint for keyword [maximum])"
    );
    assert!(schedule_absent(&sdk, "default", "bad").await);
    let listed = scheduler.list_schedules().send().await.unwrap();
    assert!(listed.schedules().is_empty(), "{listed:?}");
}
