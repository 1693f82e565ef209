//! The crate's integration tests: events parsed from JSON fixtures (one per validation rule),
//! and whole invocations against mocked SDK clients — a small in-memory model of ECS and
//! Application Auto Scaling that behaves as AWS documents (registration moves the desired
//! count into the new bounds; deregistration leaves it alone) and records every write in
//! order. The tests against a real endpoint (moto server) live in the workspace's `tests/`.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use aws_sdk_applicationautoscaling::operation::deregister_scalable_target::DeregisterScalableTargetOutput;
use aws_sdk_applicationautoscaling::operation::describe_scalable_targets::DescribeScalableTargetsOutput;
use aws_sdk_applicationautoscaling::operation::register_scalable_target::{
    RegisterScalableTargetError, RegisterScalableTargetOutput,
};
use aws_sdk_applicationautoscaling::types::error::ValidationException;
use aws_sdk_applicationautoscaling::types::{ScalableDimension, ScalableTarget, ServiceNamespace};
use aws_sdk_ecs::operation::describe_services::DescribeServicesOutput;
use aws_sdk_ecs::operation::tag_resource::{TagResourceError, TagResourceOutput};
use aws_sdk_ecs::operation::update_service::UpdateServiceOutput;
use aws_sdk_ecs::types::error::AccessDeniedException;
use aws_sdk_ecs::types::{Failure, Service, Tag};
use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
use chrono::{DateTime, TimeZone, Utc};
use serde_json::{json, Value};
use worktime_lambda::tags::CAPACITY_TAG;
use worktime_lambda::{
    env, handler, Action, Capacity, Clients, EventDefaults, EventError, HandlerError, Outcome,
    Remembered, Report, ScalingEvent, ServiceTarget,
};

/// 20 minutes after the fixtures' scheduled time (2026-11-27 19:00 in Seoul).
fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 27, 10, 20, 0).unwrap()
}

fn fixture(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

/// The prod cluster's services this stack is deployed for.
fn allowed() -> EventDefaults {
    EventDefaults::allowing(
        ["api", "web", "jobs", "gone", "worker"].map(|name| format!("service/prod/{name}")),
    )
}

fn parse(name: &str) -> Result<ScalingEvent, EventError> {
    ScalingEvent::from_json(fixture(name), &allowed(), now())
}

// ---- the event contract ----

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
    assert!(event.services.iter().all(|s| s.refused.is_none()));
    assert_eq!(event.skip_dates.len(), 1);
    assert!(!event.dry_run);
    assert_eq!(
        event.scheduled_time,
        Some(Utc.with_ymd_and_hms(2026, 11, 27, 10, 0, 0).unwrap())
    );
    assert_eq!(event.max_delay.num_minutes(), 60);
}

#[test]
fn scale_out_fixture_carries_dry_run() {
    let event = parse("scale-out.json").unwrap();
    assert_eq!(event.action, Action::ScaleOut);
    assert!(event.dry_run);
    assert_eq!(event.scheduled_time, None, "no scheduled_time: now");
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
    let event =
        ScalingEvent::from_json(fixture("bare-scheduled-event.json"), &defaults, now()).unwrap();
    assert_eq!(event.action, Action::Toggle);
    assert!(event.implicit_toggle);
    assert_eq!(event.timezone, chrono_tz::Asia::Seoul);
    assert_eq!(
        event.services[0].declared,
        Some(Capacity { min: 1, max: 3 })
    );
    // The default services are the allow-list when none is given.
    assert_eq!(event.services[0].refused, None);
    // Its envelope `time` is the scheduled time.
    assert_eq!(
        event.scheduled_time,
        Some(Utc.with_ymd_and_hms(2026, 11, 27, 10, 0, 0).unwrap())
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
        // Unknown keys inside a service are a typo: refused, naming the entry and the key.
        ("unknown-service-key.json", "services[0]", "minimum"),
        // Unknown top-level keys too (only EventBridge's envelope keys are accepted).
        ("unknown-field.json", "dryrun", "unknown field"),
        ("bad-scheduled-time.json", "scheduled_time", "RFC 3339"),
        (
            "future-scheduled-time.json",
            "scheduled_time",
            "in the future",
        ),
        ("bad-max-delay.json", "max_delay_minutes", "1 to 1440"),
        ("too-many-services.json", "services", "at most 1000"),
        ("too-many-skip-dates.json", "skip_dates", "at most 1000"),
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
}

#[tokio::test]
async fn a_refused_event_reads_and_changes_nothing() {
    let world = World::default();
    for file in [
        "unknown-field.json",
        "bad-scheduled-time.json",
        "future-scheduled-time.json",
        "bad-action.json",
        "too-many-services.json",
    ] {
        let err = handler::handle_at(&world.clients(), &allowed(), fixture(file), now())
            .await
            .unwrap_err();
        assert!(matches!(err, HandlerError::Event(_)), "{file}: {err}");
    }
    assert_eq!(world.calls(), Vec::<String>::new());
}

#[test]
fn bad_environment_is_reported_by_name() {
    let err =
        env::defaults_from(|name| (name == "WORKTIME_TIMEZONE").then(|| "Mars/Olympus".into()))
            .unwrap_err();
    assert!(err.to_string().contains("WORKTIME_TIMEZONE"), "{err}");
    let err = env::defaults_from(|name| {
        (name == "WORKTIME_ALLOWED_SERVICES").then(|| "prod/api,prod".into())
    })
    .unwrap_err();
    assert!(
        err.to_string().contains("WORKTIME_ALLOWED_SERVICES"),
        "{err}"
    );
}

// ---- a model of ECS and Application Auto Scaling behind mocked clients ----

#[derive(Debug, Clone, Default)]
struct Svc {
    desired: i32,
    tags: BTreeMap<String, String>,
}

#[derive(Debug, Default)]
struct State {
    /// Services of the cluster `prod`, by name.
    services: BTreeMap<String, Svc>,
    /// Scalable targets by resource id.
    targets: BTreeMap<String, Capacity>,
    /// Every call, in order: reads as `describe ...`, writes as `tag|register|deregister|update ...`.
    calls: Vec<String>,
}

#[derive(Debug, Clone, Default)]
struct World(Arc<Mutex<State>>);

fn name_of(id_or_arn: &str) -> String {
    id_or_arn.rsplit('/').next().unwrap().to_string()
}

impl World {
    fn with(services: &[(&str, i32, Option<Capacity>, Option<&str>)]) -> Self {
        let world = World::default();
        {
            let mut state = world.0.lock().unwrap();
            for (name, desired, target, tag) in services {
                let mut svc = Svc {
                    desired: *desired,
                    ..Svc::default()
                };
                if let Some(value) = tag {
                    svc.tags.insert(CAPACITY_TAG.into(), value.to_string());
                }
                state.services.insert(name.to_string(), svc);
                if let Some(bounds) = target {
                    state
                        .targets
                        .insert(format!("service/prod/{name}"), *bounds);
                }
            }
        }
        world
    }

    fn calls(&self) -> Vec<String> {
        self.0.lock().unwrap().calls.clone()
    }

    fn writes(&self) -> Vec<String> {
        self.calls()
            .into_iter()
            .filter(|c| !c.starts_with("describe"))
            .collect()
    }

    fn clear_calls(&self) {
        self.0.lock().unwrap().calls.clear();
    }

    fn desired(&self, name: &str) -> i32 {
        self.0.lock().unwrap().services[name].desired
    }

    fn set_desired(&self, name: &str, desired: i32) {
        self.0
            .lock()
            .unwrap()
            .services
            .get_mut(name)
            .unwrap()
            .desired = desired;
    }

    fn target(&self, name: &str) -> Option<Capacity> {
        self.0
            .lock()
            .unwrap()
            .targets
            .get(&format!("service/prod/{name}"))
            .copied()
    }

    fn tag(&self, name: &str) -> Option<String> {
        self.0.lock().unwrap().services[name]
            .tags
            .get(CAPACITY_TAG)
            .cloned()
    }

    fn ecs_rules(&self) -> Vec<Rule> {
        let w = self.0.clone();
        let describe =
            mock!(aws_sdk_ecs::Client::describe_services).then_compute_output(move |input| {
                let mut state = w.lock().unwrap();
                state
                    .calls
                    .push(format!("describe services {}", input.services().join(",")));
                let mut out = DescribeServicesOutput::builder();
                for name in input.services() {
                    match state.services.get(name) {
                        Some(svc) => {
                            let mut service = Service::builder()
                                .service_name(name)
                                .service_arn(format!(
                                    "arn:aws:ecs:ap-northeast-2:123456789012:service/prod/{name}"
                                ))
                                .status("ACTIVE")
                                .desired_count(svc.desired);
                            for (k, v) in &svc.tags {
                                service = service.tags(Tag::builder().key(k).value(v).build());
                            }
                            out = out.services(service.build());
                        }
                        None => {
                            out = out.failures(
                                Failure::builder()
                                    .arn(format!(
                                    "arn:aws:ecs:ap-northeast-2:123456789012:service/prod/{name}"
                                ))
                                    .reason("MISSING")
                                    .build(),
                            )
                        }
                    }
                }
                out.build()
            });
        let w = self.0.clone();
        let tag = mock!(aws_sdk_ecs::Client::tag_resource).then_compute_output(move |input| {
            let mut state = w.lock().unwrap();
            let name = name_of(input.resource_arn().unwrap());
            for t in input.tags() {
                let (k, v) = (t.key().unwrap(), t.value().unwrap());
                state.calls.push(format!("tag {name} {k}={v}"));
                let svc = state.services.get_mut(&name).unwrap();
                svc.tags.insert(k.into(), v.into());
            }
            TagResourceOutput::builder().build()
        });
        let w = self.0.clone();
        let update = mock!(aws_sdk_ecs::Client::update_service).then_compute_output(move |input| {
            let mut state = w.lock().unwrap();
            let name = input.service().unwrap().to_string();
            let desired = input.desired_count().unwrap();
            state.calls.push(format!("update {name} desired={desired}"));
            state.services.get_mut(&name).unwrap().desired = desired;
            UpdateServiceOutput::builder().build()
        });
        vec![describe, tag, update]
    }

    fn autoscaling_rules(&self) -> Vec<Rule> {
        let w = self.0.clone();
        let describe = mock!(aws_sdk_applicationautoscaling::Client::describe_scalable_targets)
            .then_compute_output(move |input| {
                let mut state = w.lock().unwrap();
                state.calls.push(format!(
                    "describe targets {}",
                    input.resource_ids().join(",")
                ));
                let mut out = DescribeScalableTargetsOutput::builder();
                for id in input.resource_ids() {
                    if let Some(bounds) = state.targets.get(id) {
                        out = out.scalable_targets(target(id, *bounds));
                    }
                }
                out.build()
            });
        let w = self.0.clone();
        let register = mock!(aws_sdk_applicationautoscaling::Client::register_scalable_target)
            .then_compute_output(move |input| {
                let mut state = w.lock().unwrap();
                let id = input.resource_id().unwrap().to_string();
                let bounds = Capacity {
                    min: input.min_capacity().unwrap(),
                    max: input.max_capacity().unwrap(),
                };
                state
                    .calls
                    .push(format!("register {} {bounds}", name_of(&id)));
                state.targets.insert(id.clone(), bounds);
                // As AWS does: a desired count outside the new bounds moves to the nearest one.
                let svc = state.services.get_mut(&name_of(&id)).unwrap();
                svc.desired = bounds.clamp(svc.desired);
                RegisterScalableTargetOutput::builder().build()
            });
        let w = self.0.clone();
        let deregister = mock!(aws_sdk_applicationautoscaling::Client::deregister_scalable_target)
            .then_compute_output(move |input| {
                let mut state = w.lock().unwrap();
                let id = input.resource_id().unwrap().to_string();
                state.calls.push(format!("deregister {}", name_of(&id)));
                state.targets.remove(&id);
                DeregisterScalableTargetOutput::builder().build()
            });
        vec![describe, register, deregister]
    }

    fn clients(&self) -> Clients {
        self.clients_with(vec![], vec![])
    }

    /// Clients whose extra rules (failures, say) are tried before the model's.
    fn clients_with(&self, ecs: Vec<Rule>, autoscaling: Vec<Rule>) -> Clients {
        let ecs: Vec<Rule> = ecs.into_iter().chain(self.ecs_rules()).collect();
        let autoscaling: Vec<Rule> = autoscaling
            .into_iter()
            .chain(self.autoscaling_rules())
            .collect();
        // The run's event and the notice: accepted, and not what these tests look at.
        let put_events = mock!(aws_sdk_eventbridge::Client::put_events).then_output(|| {
            aws_sdk_eventbridge::operation::put_events::PutEventsOutput::builder()
                .failed_entry_count(0)
                .build()
        });
        let publish = mock!(aws_sdk_sns::Client::publish)
            .then_output(|| aws_sdk_sns::operation::publish::PublishOutput::builder().build());
        Clients {
            ecs: mock_client!(aws_sdk_ecs, RuleMode::MatchAny, &ecs),
            autoscaling: mock_client!(
                aws_sdk_applicationautoscaling,
                RuleMode::MatchAny,
                &autoscaling
            ),
            events: mock_client!(aws_sdk_eventbridge, RuleMode::MatchAny, &[&put_events]),
            sns: mock_client!(aws_sdk_sns, RuleMode::MatchAny, &[&publish]),
        }
    }
}

fn target(id: &str, bounds: Capacity) -> ScalableTarget {
    ScalableTarget::builder()
        .service_namespace(ServiceNamespace::Ecs)
        .resource_id(id)
        .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
        .min_capacity(bounds.min)
        .max_capacity(bounds.max)
        .role_arn("arn:aws:iam::123456789012:role/aws-service-role/x")
        .creation_time(aws_smithy_types::DateTime::from_secs(0))
        .build()
        .unwrap()
}

fn cap(min: i32, max: i32) -> Option<Capacity> {
    Some(Capacity { min, max })
}

fn event(action: &str, services: &[(&str, Option<Capacity>)]) -> Value {
    let services: Vec<ServiceTarget> = services
        .iter()
        .map(|(name, declared)| ServiceTarget::new("prod", name, *declared))
        .collect();
    json!({ "action": action, "services": services, "timezone": "Asia/Seoul",
            "scheduled_time": "2026-11-27T10:00:00Z" })
}

async fn invoke(world: &World, event: Value) -> Report {
    handler::handle_at(&world.clients(), &allowed(), event, now())
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

fn outcome<'a>(report: &'a Report, name: &str) -> &'a worktime_lambda::ServiceOutcome {
    let id = format!("service/prod/{name}");
    report
        .services
        .iter()
        .find(|s| s.resource_id == id)
        .unwrap()
}

// ---- a night, a morning ----

#[tokio::test]
async fn restore_mode_night_with_drift_and_morning_as_it_was() {
    let world = World::with(&[("worker", 4, cap(2, 6), None)]);
    let services = [("worker", None)];

    // Evening: the memory first, then 0/0, then no task.
    let report = invoke(&world, event("scale-in", &services)).await;
    assert_eq!(
        world.writes(),
        [
            "tag worker worktime:capacity=2/6@4",
            "register worker 0/0",
            "update worker desired=0"
        ]
    );
    let line = outcome(&report, "worker");
    assert_eq!(line.outcome, Outcome::Changed);
    assert_eq!((line.before, line.after), (cap(2, 6), cap(0, 0)));
    assert_eq!(
        (line.desired_before, line.desired_after),
        (Some(4), Some(0))
    );
    assert_eq!(line.remembered, Remembered::parse("2/6@4").ok());
    assert_eq!(world.desired("worker"), 0);

    // A deploy at night sets 3 tasks; the repeated scale-in (night guard) takes them away
    // again and keeps the memory.
    world.set_desired("worker", 3);
    world.clear_calls();
    let report = invoke(&world, event("scale-in", &services)).await;
    assert_eq!(world.writes(), ["update worker desired=0"]);
    let line = outcome(&report, "worker");
    assert_eq!(line.outcome, Outcome::Changed);
    assert!(
        line.reason.as_deref().unwrap().contains("night guard"),
        "{line:?}"
    );
    assert_eq!(world.tag("worker").as_deref(), Some("2/6@4"));

    // And once more: nothing to do.
    world.clear_calls();
    let report = invoke(&world, event("scale-in", &services)).await;
    assert_eq!(world.writes(), Vec::<String>::new());
    assert_eq!(report.summary.unchanged, 1);

    // Morning: bounds and desired count as they were.
    world.clear_calls();
    let report = invoke(&world, event("scale-out", &services)).await;
    assert_eq!(
        world.writes(),
        ["register worker 2/6", "update worker desired=4"]
    );
    assert_eq!(world.target("worker"), cap(2, 6));
    assert_eq!(world.desired("worker"), 4);
    let line = outcome(&report, "worker");
    assert_eq!(
        (line.desired_before, line.desired_after),
        (Some(0), Some(4))
    );

    // A repeated scale-out finds it there, and leaves the day's autoscaling alone.
    world.set_desired("worker", 5);
    world.clear_calls();
    let report = invoke(&world, event("scale-out", &services)).await;
    assert_eq!(world.writes(), Vec::<String>::new());
    assert_eq!(outcome(&report, "worker").outcome, Outcome::Unchanged);
}

#[tokio::test]
async fn a_service_without_a_scalable_target_has_none_after_the_night() {
    let world = World::with(&[("worker", 3, None, None)]);
    let services = [("worker", None)];
    invoke(&world, event("scale-in", &services)).await;
    assert_eq!(
        world.writes(),
        [
            "tag worker worktime:capacity=none@3",
            "register worker 0/0",
            "update worker desired=0"
        ]
    );
    world.clear_calls();
    let report = invoke(&world, event("scale-out", &services)).await;
    assert_eq!(
        world.writes(),
        ["deregister worker", "update worker desired=3"]
    );
    assert_eq!(world.target("worker"), None);
    assert_eq!(world.desired("worker"), 3);
    let line = outcome(&report, "worker");
    assert_eq!((line.before, line.after), (cap(0, 0), None));
    assert_eq!(
        (line.desired_before, line.desired_after),
        (Some(0), Some(3))
    );
}

#[tokio::test]
async fn a_min_zero_service_comes_back_with_its_tasks() {
    // Declared 0/4, running 2: registering 0/4 alone would leave it at 0 all day.
    let world = World::with(&[("api", 2, cap(0, 4), None), ("web", 0, cap(0, 0), None)]);
    let services = [("api", cap(0, 4)), ("web", cap(0, 4))];
    invoke(&world, event("scale-in", &services)).await;
    assert_eq!(world.tag("api").as_deref(), Some("0/4@2"));
    assert_eq!(world.tag("web"), None, "already down: nothing to remember");
    world.clear_calls();
    invoke(&world, event("scale-out", &services)).await;
    assert_eq!(world.target("api"), cap(0, 4));
    assert_eq!(world.desired("api"), 2, "its remembered count");
    assert_eq!(world.target("web"), cap(0, 4));
    assert_eq!(world.desired("web"), 1, "nothing remembered: max(min, 1)");
}

#[tokio::test]
async fn the_old_tag_form_is_still_read() {
    let world = World::with(&[("worker", 0, cap(0, 0), Some("2/6"))]);
    let report = invoke(&world, event("scale-out", &[("worker", None)])).await;
    assert_eq!(
        world.writes(),
        ["register worker 2/6", "update worker desired=2"]
    );
    assert_eq!(outcome(&report, "worker").outcome, Outcome::Changed);
}

#[tokio::test]
async fn a_tampered_memory_fails_the_service_and_nothing_is_guessed() {
    for value in ["0/999999@4", "0/0", "6/2@4", "2/6@9", "lots", "none@0"] {
        let world = World::with(&[
            ("worker", 0, cap(0, 0), Some(value)),
            ("api", 0, cap(0, 0), None),
        ]);
        let err = handler::handle_at(
            &world.clients(),
            &allowed(),
            event("scale-out", &[("worker", None), ("api", cap(1, 3))]),
            now(),
        )
        .await
        .unwrap_err();
        let HandlerError::ServicesFailed(report) = err else {
            panic!("{value}: expected ServicesFailed, got {err}");
        };
        let line = outcome(&report, "worker");
        assert_eq!(line.outcome, Outcome::Failed, "{value}");
        let reason = line.reason.as_deref().unwrap();
        assert!(
            reason.contains(&format!("tag worktime:capacity = {value:?}")),
            "{reason}"
        );
        // The healthy service went on; the broken one was not touched.
        assert_eq!(outcome(&report, "api").outcome, Outcome::Changed);
        assert!(
            world.writes().iter().all(|w| !w.contains("worker")),
            "{value}: {:?}",
            world.writes()
        );
        assert_eq!(world.target("worker"), cap(0, 0));
    }
}

#[tokio::test]
async fn a_service_not_configured_for_the_stack_is_neither_read_nor_touched() {
    let world = World::with(&[
        ("api", 2, cap(1, 3), None),
        ("payments", 2, cap(1, 3), None),
    ]);
    let err = handler::handle_at(
        &world.clients(),
        &allowed(),
        fixture("not-allowed-service.json"),
        now(),
    )
    .await
    .unwrap_err();
    let HandlerError::ServicesFailed(report) = &err else {
        panic!("expected ServicesFailed, got {err}");
    };
    let line = outcome(report, "payments");
    assert_eq!(line.outcome, Outcome::Failed);
    let reason = line.reason.as_deref().unwrap();
    assert!(
        reason.contains(
            "services[1].resource_id: service/prod/payments is not configured for this stack"
        ),
        "{reason}"
    );
    assert!(err.to_string().contains("service/prod/payments"), "{err}");
    assert_eq!(outcome(report, "api").outcome, Outcome::Changed);
    assert!(
        world.calls().iter().all(|c| !c.contains("payments")),
        "{:?}",
        world.calls()
    );
    assert_eq!(world.target("payments"), cap(1, 3));
    assert_eq!(world.desired("payments"), 2);
}

#[tokio::test]
async fn a_delivery_three_hours_late_is_stale_and_changes_nothing() {
    let world = World::with(&[("api", 2, cap(1, 3), None), ("worker", 4, cap(2, 6), None)]);
    let late = Utc.with_ymd_and_hms(2026, 11, 27, 13, 0, 0).unwrap();
    let report = handler::handle_at(
        &world.clients(),
        &allowed(),
        fixture("stale-scale-in.json"),
        late,
    )
    .await
    .expect("a stale delivery is not an error");
    assert_eq!(
        world.calls(),
        Vec::<String>::new(),
        "nothing read or written"
    );
    assert_eq!(report.summary.stale, 2);
    assert!(report.services.iter().all(|s| s.outcome == Outcome::Stale));
    let reason = report.services[0].reason.as_deref().unwrap();
    assert!(reason.contains("180 minutes late"), "{reason}");
    // JSON says `stale`.
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["services"][0]["outcome"], "stale");
    assert_eq!(json["summary"]["stale"], 2);
    assert_eq!(json["scheduled_time"], "2026-11-27T10:00:00Z");
}

#[tokio::test]
async fn a_dry_run_reports_the_plan_and_writes_nothing() {
    let world = World::with(&[("worker", 4, cap(2, 6), None)]);
    let mut payload = event("scale-in", &[("worker", None)]);
    payload["dry_run"] = json!(true);
    let report = invoke(&world, payload).await;
    assert_eq!(world.writes(), Vec::<String>::new());
    let line = outcome(&report, "worker");
    assert_eq!(line.outcome, Outcome::WouldChange);
    assert_eq!((line.after, line.desired_after), (cap(0, 0), Some(0)));
    assert_eq!(line.remembered, Remembered::parse("2/6@4").ok());
    assert_eq!(report.summary.would_change, 1);
}

#[tokio::test]
async fn a_failed_tag_write_stops_that_service_before_anything_changes() {
    let world = World::with(&[("worker", 4, cap(2, 6), None), ("jobs", 1, cap(1, 2), None)]);
    let denied = mock!(aws_sdk_ecs::Client::tag_resource)
        .match_requests(|r| r.resource_arn().is_some_and(|a| a.ends_with("/worker")))
        .then_error(|| {
            TagResourceError::AccessDeniedException(
                AccessDeniedException::builder()
                    .message("not allowed")
                    .build(),
            )
        });
    let err = handler::handle_at(
        &world.clients_with(vec![denied], vec![]),
        &allowed(),
        event("scale-in", &[("worker", None), ("jobs", None)]),
        now(),
    )
    .await
    .unwrap_err();
    let HandlerError::ServicesFailed(report) = err else {
        panic!("expected ServicesFailed");
    };
    let line = outcome(&report, "worker");
    assert_eq!(line.outcome, Outcome::Failed);
    assert!(
        line.reason
            .as_deref()
            .unwrap()
            .contains("could not remember 2/6@4"),
        "{line:?}"
    );
    assert_eq!((line.after, line.desired_after), (cap(2, 6), Some(4)));
    assert!(world.writes().iter().all(|w| !w.contains("worker")));
    assert_eq!(world.target("worker"), cap(2, 6));
    assert_eq!(
        world.desired("worker"),
        4,
        "still running: nothing to come back to otherwise"
    );
    assert_eq!(world.target("jobs"), cap(0, 0));
}

// ---- retries and partial failure ----

#[tokio::test]
async fn throttled_registration_is_retried_by_the_sdk() {
    let world = World::with(&[("api", 0, cap(0, 0), None)]);
    let throttled = r#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#;
    let register = mock!(aws_sdk_applicationautoscaling::Client::register_scalable_target)
        .sequence()
        .http_status(400, Some(throttled.to_string()))
        .times(2)
        .output(|| RegisterScalableTargetOutput::builder().build())
        .build();
    let report = handler::handle_at(
        &world.clients_with(vec![], vec![register.clone()]),
        &allowed(),
        event("scale-out", &[("api", cap(1, 3))]),
        now(),
    )
    .await
    .expect("throttling is retried, not reported");
    assert_eq!(
        register.num_calls(),
        3,
        "two throttled attempts and one success"
    );
    let line = outcome(&report, "api");
    assert_eq!(line.outcome, Outcome::Changed);
    assert_eq!((line.before, line.after), (cap(0, 0), cap(1, 3)));
    assert_eq!(line.desired_after, Some(1));
}

#[tokio::test]
async fn one_failing_service_does_not_stop_the_others() {
    let world = World::with(&[
        ("api", 0, cap(0, 0), None),
        ("web", 0, cap(0, 0), None),
        ("jobs", 0, cap(0, 0), None),
    ]);
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
    let declared = cap(1, 3);
    let err = handler::handle_at(
        &world.clients_with(vec![], vec![register_web_fails]),
        &allowed(),
        event(
            "scale-out",
            &[
                ("api", declared),
                ("web", declared),
                ("gone", declared),
                ("jobs", declared),
            ],
        ),
        now(),
    )
    .await
    .expect_err("a failed service fails the invocation");
    let HandlerError::ServicesFailed(report) = err else {
        panic!("expected ServicesFailed, got {err}");
    };
    // Both healthy services were applied, the failures are named with their reasons.
    assert_eq!(report.summary.changed, 2);
    assert_eq!(report.summary.failed, 2);
    assert_eq!(outcome(&report, "api").outcome, Outcome::Changed);
    assert_eq!(outcome(&report, "jobs").outcome, Outcome::Changed);
    let web = outcome(&report, "web");
    assert_eq!(web.outcome, Outcome::Failed);
    assert!(web
        .reason
        .as_deref()
        .unwrap()
        .contains("web is being deleted"));
    assert_eq!(
        world.desired("web"),
        0,
        "no desired count after a failed registration"
    );
    let gone = outcome(&report, "gone");
    assert_eq!(gone.outcome, Outcome::Failed);
    assert!(gone.reason.as_deref().unwrap().contains("not found"));
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

#[test]
fn outcomes_are_kebab_case_in_json_and_display() {
    for (outcome, text) in [
        (Outcome::Changed, "changed"),
        (Outcome::WouldChange, "would-change"),
        (Outcome::Unchanged, "unchanged"),
        (Outcome::Skipped, "skipped"),
        (Outcome::Held, "held"),
        (Outcome::Stale, "stale"),
        (Outcome::Failed, "failed"),
    ] {
        assert_eq!(outcome.to_string(), text);
        assert_eq!(serde_json::to_value(outcome).unwrap(), text);
    }
}
