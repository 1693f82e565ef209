//! `AWS::Scheduler::Schedule` through CloudFormation on the project's extended moto
//! (`tests/aws_model/worktime_moto/scheduler_schedule.py`): a stack's schedules exist in the
//! EventBridge Scheduler API as the template set them, read back with
//! `triggers::deployed_schedule` / `deployed_schedule_payload`, and go with the stack.

use aws_config::SdkConfig;
use aws_sdk_cloudformation::types::StackStatus;
use chrono::{DateTime, SubsecRound, TimeDelta, Utc};
use serde_json::{json, Value};
use worktime_e2e::stacks::{
    create_stack, failure_reason, is_generated_suffix, merge_properties, output, stack_outputs,
    stack_status, update_stack,
};
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
    let dir = bootstrapped(&moto, &scheduler_config());

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
    merge_properties(&mut props, &properties);
    json!({
        "Resources": {"Hourly": {"Type": "AWS::Scheduler::Schedule", "Properties": props}},
        "Outputs": {
            "Name": {"Value": {"Ref": "Hourly"}},
            "Arn": {"Value": {"Fn::GetAtt": ["Hourly", "Arn"]}}
        }
    })
    .to_string()
}

/// The schedule's name and ARN, from the stack's outputs (`Ref` and `Fn::GetAtt` `Arn`).
async fn name_and_arn(cfn: &aws_sdk_cloudformation::Client, stack: &str) -> (String, String) {
    let outputs = stack_outputs(cfn, stack).await;
    (
        output(&outputs, "Name").to_string(),
        output(&outputs, "Arn").to_string(),
    )
}

#[tokio::test]
async fn the_schedule_model_names_updates_replaces_refuses_and_deletes_as_cloudformation_does() {
    let moto = Moto::start_in(REGION);
    let sdk = moto.sdk().await;
    let cfn = aws_sdk_cloudformation::Client::new(&sdk);
    let scheduler = aws_sdk_scheduler::Client::new(&sdk);

    // Created without a Name: CloudFormation's `<logical id>-<12 characters>`, the API's defaults.
    create_stack(&cfn, "sched", schedule_template(json!({}))).await;
    assert_eq!(
        stack_status(&cfn, "sched").await,
        StackStatus::CreateComplete
    );
    let (name, arn) = name_and_arn(&cfn, "sched").await;
    let suffix = name.strip_prefix("Hourly-").expect("generated name");
    assert!(is_generated_suffix(suffix), "{name}");
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
    update_stack(
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
    assert_eq!(name_and_arn(&cfn, "sched").await.0, name);
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
        update_stack(&cfn, "sched", schedule_template(properties.clone())).await;
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
    update_stack(
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
        name_and_arn(&cfn, "sched").await,
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
    create_stack(&cfn, "bad", template.to_string()).await;
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
