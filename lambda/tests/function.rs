//! The crate's integration tests: events parsed from JSON fixtures, and the apply step
//! against mocked SDK clients (throttling, partial failure). The tests against a real
//! endpoint (moto server) live in the workspace's `tests/` crate.

use std::path::PathBuf;

use aws_sdk_applicationautoscaling::operation::describe_scalable_targets::DescribeScalableTargetsOutput;
use aws_sdk_applicationautoscaling::operation::register_scalable_target::{
    RegisterScalableTargetError, RegisterScalableTargetOutput,
};
use aws_sdk_applicationautoscaling::types::error::ValidationException;
use aws_sdk_applicationautoscaling::types::{ScalableDimension, ScalableTarget, ServiceNamespace};
use aws_sdk_ecs::operation::describe_services::DescribeServicesOutput;
use aws_sdk_ecs::types::{Failure, Service, Tag};
use aws_smithy_mocks::{mock, mock_client, RuleMode};
use worktime_lambda::apply::{Outcome, CAPACITY_TAG};
use worktime_lambda::event::{Action, Capacity, EventDefaults, ScalingEvent, ServiceTarget};
use worktime_lambda::{env, handler, Clients, EventError, HandlerError};

fn fixture(name: &str) -> serde_json::Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

fn parse(name: &str) -> Result<ScalingEvent, EventError> {
    ScalingEvent::from_json(fixture(name), &EventDefaults::default())
}

#[test]
fn scale_in_fixture_parses_with_declared_and_restore_services() {
    let event = parse("scale-in.json").unwrap();
    assert_eq!(event.action, Action::ScaleIn);
    assert!(!event.implicit_toggle);
    assert_eq!(event.timezone, chrono_tz::Asia::Seoul);
    assert_eq!(event.services.len(), 2);
    assert_eq!(event.services[0].cluster, "prod");
    assert_eq!(event.services[0].service, "api");
    assert_eq!(
        event.services[0].declared,
        Some(Capacity { min: 1, max: 3 })
    );
    assert_eq!(event.services[1].declared, None);
    assert_eq!(event.skip_dates.len(), 1);
    assert!(!event.dry_run);
}

#[test]
fn scale_out_fixture_carries_dry_run() {
    let event = parse("scale-out.json").unwrap();
    assert_eq!(event.action, Action::ScaleOut);
    assert!(event.dry_run);
}

#[test]
fn bare_scheduled_event_is_a_toggle_over_the_default_services() {
    // Without defaults there is nothing to act on, and the error says how to fix it.
    let err = parse("bare-scheduled-event.json").unwrap_err();
    assert!(
        matches!(&err, EventError::Field { field, .. } if field == "services"),
        "{err}"
    );
    assert!(err.to_string().contains("WORKTIME_SERVICES"));

    let defaults = env::defaults_from(|name| match name {
        "WORKTIME_SERVICES" => {
            Some(r#"[{"resource_id":"service/prod/api","min":1,"max":3}]"#.into())
        }
        "WORKTIME_TIMEZONE" => Some("Asia/Seoul".into()),
        _ => None,
    })
    .unwrap();
    let event = ScalingEvent::from_json(fixture("bare-scheduled-event.json"), &defaults).unwrap();
    assert_eq!(event.action, Action::Toggle);
    assert!(event.implicit_toggle);
    assert_eq!(event.timezone, chrono_tz::Asia::Seoul);
    assert_eq!(
        event.services[0].declared,
        Some(Capacity { min: 1, max: 3 })
    );
}

#[test]
fn malformed_events_name_the_field() {
    let cases = [
        ("bad-action.json", "action", "scale-in"),
        (
            "bad-resource-id.json",
            "services[0].resource_id",
            "service/<cluster>/<service>",
        ),
        ("only-min.json", "services[0]", "give both"),
        ("bad-capacity.json", "services[0]", "min ≤ max"),
        ("bad-timezone.json", "timezone", "IANA"),
        ("bad-skip-date.json", "skip_dates[0]", "YYYY-MM-DD"),
        (
            "duplicate-service.json",
            "services[1].resource_id",
            "listed twice",
        ),
    ];
    for (file, field, hint) in cases {
        let err = parse(file).unwrap_err();
        match &err {
            EventError::Field { field: got, reason } => {
                assert_eq!(got, field, "{file}");
                assert!(reason.contains(hint), "{file}: {reason}");
            }
            other => panic!("{file}: expected a field error, got {other:?}"),
        }
    }
    // Unknown keys inside a service are a typo, not an envelope field: refused.
    let err = parse("unknown-service-key.json").unwrap_err();
    assert!(matches!(err, EventError::Malformed { .. }), "{err}");
    assert!(err.to_string().contains("minimum"), "{err}");
}

#[test]
fn bad_environment_is_reported_by_name() {
    let err =
        env::defaults_from(|name| (name == "WORKTIME_TIMEZONE").then(|| "Mars/Olympus".into()))
            .unwrap_err();
    assert!(err.to_string().contains("WORKTIME_TIMEZONE"), "{err}");
}

// ---- apply step against mocked clients ----

fn ecs_service(name: &str, desired: i32, remembered: Option<&str>) -> Service {
    let mut service = Service::builder()
        .service_name(name)
        .service_arn(format!(
            "arn:aws:ecs:ap-northeast-2:123456789012:service/prod/{name}"
        ))
        .status("ACTIVE")
        .desired_count(desired);
    if let Some(value) = remembered {
        service = service.tags(Tag::builder().key(CAPACITY_TAG).value(value).build());
    }
    service.build()
}

fn target(name: &str, min: i32, max: i32) -> ScalableTarget {
    ScalableTarget::builder()
        .service_namespace(ServiceNamespace::Ecs)
        .resource_id(format!("service/prod/{name}"))
        .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
        .min_capacity(min)
        .max_capacity(max)
        .role_arn("arn:aws:iam::123456789012:role/aws-service-role/x")
        .creation_time(aws_smithy_types::DateTime::from_secs(0))
        .build()
        .unwrap()
}

fn scale_out_event(names: &[&str]) -> serde_json::Value {
    let services: Vec<ServiceTarget> = names
        .iter()
        .map(|n| ServiceTarget::new("prod", n, Some(Capacity { min: 1, max: 3 })))
        .collect();
    serde_json::json!({ "action": "scale-out", "services": services, "timezone": "UTC" })
}

#[tokio::test]
async fn throttled_registration_is_retried_by_the_sdk() {
    let describe_services = mock!(aws_sdk_ecs::Client::describe_services).then_output(|| {
        DescribeServicesOutput::builder()
            .services(ecs_service("api", 0, None))
            .build()
    });
    let describe_targets = mock!(aws_sdk_applicationautoscaling::Client::describe_scalable_targets)
        .then_output(|| {
            DescribeScalableTargetsOutput::builder()
                .scalable_targets(target("api", 0, 0))
                .build()
        });
    let throttled = r#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#;
    let register = mock!(aws_sdk_applicationautoscaling::Client::register_scalable_target)
        .sequence()
        .http_status(400, Some(throttled.to_string()))
        .times(2)
        .output(|| RegisterScalableTargetOutput::builder().build())
        .build();
    let clients = Clients {
        ecs: mock_client!(aws_sdk_ecs, RuleMode::MatchAny, [&describe_services]),
        autoscaling: mock_client!(
            aws_sdk_applicationautoscaling,
            RuleMode::MatchAny,
            [&describe_targets, &register]
        ),
    };
    let report = handler::handle(
        &clients,
        &EventDefaults::default(),
        scale_out_event(&["api"]),
    )
    .await
    .expect("throttling is retried, not reported");
    assert_eq!(
        register.num_calls(),
        3,
        "two throttled attempts and one success"
    );
    assert_eq!(report.summary.changed, 1);
    assert_eq!(report.services[0].outcome, Outcome::Changed);
    assert_eq!(report.services[0].before, Some(Capacity::ZERO));
    assert_eq!(report.services[0].after, Some(Capacity { min: 1, max: 3 }));
}

#[tokio::test]
async fn one_failing_service_does_not_stop_the_others() {
    let describe_services = mock!(aws_sdk_ecs::Client::describe_services).then_output(|| {
        DescribeServicesOutput::builder()
            .services(ecs_service("api", 0, None))
            .services(ecs_service("web", 0, None))
            .services(ecs_service("jobs", 0, None))
            .failures(
                Failure::builder()
                    .arn("arn:aws:ecs:ap-northeast-2:123456789012:service/prod/gone")
                    .reason("MISSING")
                    .build(),
            )
            .build()
    });
    let describe_targets = mock!(aws_sdk_applicationautoscaling::Client::describe_scalable_targets)
        .then_output(|| {
            DescribeScalableTargetsOutput::builder()
                .scalable_targets(target("api", 0, 0))
                .scalable_targets(target("web", 0, 0))
                .scalable_targets(target("jobs", 0, 0))
                .build()
        });
    let register_web_fails =
        mock!(aws_sdk_applicationautoscaling::Client::register_scalable_target)
            .match_requests(|r| r.resource_id() == Some("service/prod/web"))
            .then_error(|| {
                RegisterScalableTargetError::ValidationException(
                    ValidationException::builder()
                        .message("web is being deleted")
                        .build(),
                )
            });
    let register_ok = mock!(aws_sdk_applicationautoscaling::Client::register_scalable_target)
        .then_output(|| RegisterScalableTargetOutput::builder().build());
    let clients = Clients {
        ecs: mock_client!(aws_sdk_ecs, RuleMode::MatchAny, [&describe_services]),
        autoscaling: mock_client!(
            aws_sdk_applicationautoscaling,
            RuleMode::MatchAny,
            [&describe_targets, &register_web_fails, &register_ok]
        ),
    };
    let err = handler::handle(
        &clients,
        &EventDefaults::default(),
        scale_out_event(&["api", "web", "gone", "jobs"]),
    )
    .await
    .expect_err("a failed service fails the invocation");
    let HandlerError::ServicesFailed(report) = err else {
        panic!("expected ServicesFailed, got {err}");
    };
    // Both healthy services were applied, the failures are named with their reasons.
    assert_eq!(register_ok.num_calls(), 2);
    assert_eq!(report.summary.changed, 2);
    assert_eq!(report.summary.failed, 2);
    let outcome = |id: &str| {
        report
            .services
            .iter()
            .find(|s| s.resource_id == id)
            .unwrap()
            .clone()
    };
    assert_eq!(outcome("service/prod/api").outcome, Outcome::Changed);
    assert_eq!(outcome("service/prod/jobs").outcome, Outcome::Changed);
    let web = outcome("service/prod/web");
    assert_eq!(web.outcome, Outcome::Failed);
    assert!(web.reason.unwrap().contains("web is being deleted"));
    let gone = outcome("service/prod/gone");
    assert_eq!(gone.outcome, Outcome::Failed);
    assert!(gone.reason.unwrap().contains("not found"));
    // Report order follows the event, whatever order the concurrent writes finished in.
    let order: Vec<_> = report
        .services
        .iter()
        .map(|s| s.resource_id.as_str())
        .collect();
    assert_eq!(
        order,
        [
            "service/prod/api",
            "service/prod/web",
            "service/prod/gone",
            "service/prod/jobs"
        ]
    );
}

#[tokio::test]
async fn restore_mode_scale_in_tags_before_registering_zero() {
    let describe_services = mock!(aws_sdk_ecs::Client::describe_services).then_output(|| {
        DescribeServicesOutput::builder()
            .services(ecs_service("worker", 4, None))
            .build()
    });
    let tag = mock!(aws_sdk_ecs::Client::tag_resource)
        .match_requests(|r| {
            r.tags()
                .iter()
                .any(|t| t.key() == Some(CAPACITY_TAG) && t.value() == Some("2/6"))
        })
        .then_output(|| aws_sdk_ecs::operation::tag_resource::TagResourceOutput::builder().build());
    let describe_targets = mock!(aws_sdk_applicationautoscaling::Client::describe_scalable_targets)
        .then_output(|| {
            DescribeScalableTargetsOutput::builder()
                .scalable_targets(target("worker", 2, 6))
                .build()
        });
    let register = mock!(aws_sdk_applicationautoscaling::Client::register_scalable_target)
        .match_requests(|r| r.min_capacity() == Some(0) && r.max_capacity() == Some(0))
        .then_output(|| RegisterScalableTargetOutput::builder().build());
    let clients = Clients {
        ecs: mock_client!(aws_sdk_ecs, RuleMode::MatchAny, [&describe_services, &tag]),
        autoscaling: mock_client!(
            aws_sdk_applicationautoscaling,
            RuleMode::MatchAny,
            [&describe_targets, &register]
        ),
    };
    let event = serde_json::json!({"action": "scale-in", "services": [{"resource_id": "service/prod/worker"}]});
    let report = handler::handle(&clients, &EventDefaults::default(), event)
        .await
        .unwrap();
    assert_eq!(tag.num_calls(), 1);
    assert_eq!(register.num_calls(), 1);
    assert_eq!(
        report.services[0].remembered,
        Some(Capacity { min: 2, max: 6 })
    );
    assert_eq!(report.services[0].after, Some(Capacity::ZERO));
}
