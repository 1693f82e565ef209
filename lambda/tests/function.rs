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
use aws_sdk_ecs::types::{Deployment, Failure, Service, ServiceEvent, Tag};
use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use serde_json::{json, Value};
use worktime_lambda::tags::CAPACITY_TAG;
use worktime_lambda::waves::{event_waves, stages, Stage};
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
    // The schedule's windows: Friday 19:00 in Seoul acts until Monday's scale-out.
    let clock = event.clock.as_ref().expect("the fixture carries crons");
    assert_eq!(clock.zone, chrono_tz::Asia::Seoul);
    assert_eq!(
        clock.scale_in_acts_until(event.scheduled_time.unwrap()),
        Some(Utc.with_ymd_and_hms(2026, 11, 30, 0, 0, 0).unwrap())
    );
    assert_eq!(event.ready_within, TimeDelta::minutes(15), "the default");
}

#[test]
fn reconcile_fixture_parses_with_its_crons_and_ready_within() {
    let event = parse("reconcile.json").unwrap();
    assert_eq!(event.action, Action::Reconcile);
    assert_eq!(event.schedule.as_deref(), Some("default"));
    assert_eq!(event.ready_within, TimeDelta::minutes(20));
    assert_eq!(event.scheduled_time, None);
    let clock = event.clock.as_ref().unwrap();
    // Friday 19:20 in Seoul: the weekend's down window.
    let window = clock.window_at(now());
    assert_eq!(window.phase, worktime_lambda::window::Phase::Down);
    assert_eq!(window.since, event_time("2026-11-27T10:00:00Z"));
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
        // The key of earlier releases is refused by name: its triggers must be redeployed.
        ("bad-max-delay.json", "max_delay_minutes", "no longer read"),
        (
            "bad-ready-within.json",
            "ready_within_minutes",
            "121 is out of range: use 1 to 120 minutes",
        ),
        ("bad-crons-timezone.json", "crons.timezone", "IANA"),
        (
            "bad-cron-expression.json",
            "crons.scale_out",
            "not an AWS cron expression",
        ),
        (
            "reconcile-without-crons.json",
            "crons",
            "a reconcile converges on what the schedule says now",
        ),
        ("too-many-services.json", "services", "at most 1000"),
        ("too-many-skip-dates.json", "skip_dates", "at most 1000"),
        (
            "bad-wave.json",
            "services[1].wave",
            "10 is not a wave: use 0 to 9",
        ),
        (
            "bad-selector-wave.json",
            "selectors[0].wave",
            "12 is not a wave: use 0 to 9",
        ),
        (
            "bad-wave-timeout.json",
            "wave_timeout_minutes",
            "61 is out of range: use 1 to 60 minutes",
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
}

#[test]
fn a_payload_with_waves_orders_its_stages_by_wave() {
    let event = parse("waves-scale-out.json").unwrap();
    let waves: Vec<u8> = event.services.iter().map(|s| s.wave).collect();
    // Absent is wave 0.
    assert_eq!(waves, vec![2, 1, 0]);
    assert_eq!(event.selectors[0].wave, 1);
    assert_eq!(event.wave_timeout, TimeDelta::minutes(5));
    let order = stages(event.action, event_waves(&event), false).unwrap();
    assert_eq!(
        order,
        vec![Stage::Services(0), Stage::Services(1), Stage::Services(2)]
    );
    // The same payload as a scale-in runs the other way.
    let mut night = fixture("waves-scale-out.json");
    night["action"] = json!("scale-in");
    let night = ScalingEvent::from_json(night, &allowed(), now()).unwrap();
    assert_eq!(
        stages(night.action, event_waves(&night), true).unwrap(),
        vec![
            Stage::Services(2),
            Stage::Services(1),
            Stage::Services(0),
            Stage::Capacity
        ]
    );
    // Without the key, a wave may take ten minutes.
    assert_eq!(
        parse("scale-in.json").unwrap().wave_timeout,
        TimeDelta::minutes(10)
    );
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
        "bad-max-delay.json",
        "reconcile-without-crons.json",
        "bad-crons-timezone.json",
        "bad-wave.json",
        "bad-wave-timeout.json",
    ] {
        let err = handler::handle_at(&world.clients(), &allowed(), fixture(file), now())
            .await
            .unwrap_err();
        assert!(matches!(err, HandlerError::Event(_)), "{file}: {err}");
    }
    assert_eq!(world.calls(), Vec::<String>::new());
}

#[tokio::test]
async fn an_event_of_a_schedule_the_stack_does_not_deploy_reads_and_changes_nothing() {
    let world = World::with(&[("api", 2, cap(1, 3), None)]);
    let defaults = env::defaults_from(|name| match name {
        "WORKTIME_ALLOWED_SERVICES" => Some("prod/api".into()),
        "WORKTIME_SCHEDULES" => Some("default, night-owls".into()),
        _ => None,
    })
    .unwrap();
    let err = handler::handle_at(
        &world.clients(),
        &defaults,
        fixture("unknown-schedule.json"),
        now(),
    )
    .await
    .unwrap_err();
    let HandlerError::Event(EventError::Field { field, reason }) = &err else {
        panic!("expected a field error, got {err}");
    };
    assert_eq!(field, "schedule");
    assert!(
        reason.contains("\"weekend\" is not a schedule of this stack"),
        "{reason}"
    );
    assert!(reason.contains("default, night-owls"), "{reason}");
    assert_eq!(world.calls(), Vec::<String>::new());
    // The same stack's own schedule acts.
    let mut own = fixture("unknown-schedule.json");
    own["schedule"] = json!("night-owls");
    handler::handle_at(&world.clients(), &defaults, own, now())
        .await
        .unwrap();
    assert_eq!(world.target("api"), cap(0, 0));
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
    /// Tasks running; `None`: as many as desired (a steady service).
    running: Option<i32>,
    /// The service's latest event message.
    message: Option<String>,
    /// When its primary deployment last changed.
    changed: Option<DateTime<Utc>>,
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

    fn set_target(&self, name: &str, bounds: Capacity) {
        self.0
            .lock()
            .unwrap()
            .targets
            .insert(format!("service/prod/{name}"), bounds);
    }

    /// What ECS says of a service's tasks: how many run, its latest event, when its primary
    /// deployment last changed.
    fn set_tasks(
        &self,
        name: &str,
        running: i32,
        message: Option<&str>,
        changed: Option<DateTime<Utc>>,
    ) {
        let mut state = self.0.lock().unwrap();
        let svc = state.services.get_mut(name).unwrap();
        svc.running = Some(running);
        svc.message = message.map(str::to_string);
        svc.changed = changed;
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
                                .desired_count(svc.desired)
                                .running_count(svc.running.unwrap_or(svc.desired));
                            if let Some(message) = &svc.message {
                                service = service.events(
                                    ServiceEvent::builder()
                                        .id("1")
                                        .created_at(smithy_time(now()))
                                        .message(message)
                                        .build(),
                                );
                            }
                            if let Some(changed) = svc.changed {
                                service = service.deployments(
                                    Deployment::builder()
                                        .status("PRIMARY")
                                        .created_at(smithy_time(changed))
                                        .updated_at(smithy_time(changed))
                                        .build(),
                                );
                            }
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
            // No [[capacity]] in these tests: no group is read or written.
            groups: mock_client!(aws_sdk_autoscaling, RuleMode::MatchAny, &[]),
            events: mock_client!(aws_sdk_eventbridge, RuleMode::MatchAny, &[&put_events]),
            sns: mock_client!(aws_sdk_sns, RuleMode::MatchAny, &[&publish]),
            // The notice's delivery record: these tests run without a function ARN.
            lambda: mock_client!(aws_sdk_lambda, RuleMode::MatchAny, &[]),
            // No service here has a load balancer: no target health is read.
            elb: mock_client!(aws_sdk_elasticloadbalancingv2, RuleMode::MatchAny, &[]),
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

fn smithy_time(time: DateTime<Utc>) -> aws_smithy_types::DateTime {
    aws_smithy_types::DateTime::from_secs(time.timestamp())
}

/// An instant as the tags and the events write it.
fn event_time(text: &str) -> Option<DateTime<Utc>> {
    Some(
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc),
    )
}

fn cap(min: i32, max: i32) -> Option<Capacity> {
    Some(Capacity { min, max })
}

fn event(action: &str, services: &[(&str, Option<Capacity>)]) -> Value {
    let services: Vec<ServiceTarget> = services
        .iter()
        .map(|(name, declared)| ServiceTarget::new("prod", name, *declared))
        .collect();
    // A scale-out comes after the scale-in it undoes: scheduled when these tests run it (a
    // scale-in marked after a scale-out's time stands against it).
    let scheduled_time = match action {
        "scale-out" => "2026-11-27T10:20:00Z",
        _ => "2026-11-27T10:00:00Z",
    };
    json!({ "action": action, "services": services, "timezone": "Asia/Seoul",
            "scheduled_time": scheduled_time })
}

async fn invoke(world: &World, event: Value) -> Report {
    invoke_at(world, event, now()).await
}

async fn invoke_at(world: &World, event: Value, at: DateTime<Utc>) -> Report {
    handler::handle_at(&world.clients(), &allowed(), event, at)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

/// The report of an invocation that failed because of its services.
async fn invoke_failing_at(world: &World, event: Value, at: DateTime<Utc>) -> Box<Report> {
    match handler::handle_at(&world.clients(), &allowed(), event, at).await {
        Err(HandlerError::ServicesFailed(report)) => report,
        Err(other) => panic!("expected ServicesFailed, got {other}"),
        Ok(report) => panic!("expected ServicesFailed, got {report:?}"),
    }
}

/// Seoul, 09:00–19:00 Mon–Fri, as Scheduler fires it.
fn seoul_crons() -> Value {
    json!({"scale_out": "cron(0 9 ? * MON-FRI *)", "scale_in": "cron(0 19 ? * MON-FRI *)",
           "timezone": "Asia/Seoul"})
}

/// An event of the Seoul schedule, as its trigger sends it: with crons, scheduled for
/// `scheduled` (a reconcile: none).
fn scheduled(
    action: &str,
    services: &[(&str, Option<Capacity>)],
    scheduled: Option<DateTime<Utc>>,
) -> Value {
    let mut value = event(action, services);
    value["crons"] = seoul_crons();
    match scheduled {
        Some(at) => value["scheduled_time"] = json!(stamp(at)),
        None => {
            value.as_object_mut().unwrap().remove("scheduled_time");
        }
    }
    value
}

/// The instant of a Seoul local time (UTC+9).
fn kst(d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, d, h, mi, s).unwrap() - TimeDelta::hours(9)
}

fn stamp(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%SZ").to_string()
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

    // Evening: the memory first (marked down now), then 0/0, then no task.
    let report = invoke(&world, event("scale-in", &services)).await;
    assert_eq!(
        world.writes(),
        [
            "tag worker worktime:capacity=2/6@4 down 2026-11-27T10:20:00Z",
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
    assert_eq!(
        line.remembered,
        Remembered::parse("2/6@4 down 2026-11-27T10:20:00Z").ok()
    );
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
    assert_eq!(
        world.tag("worker").as_deref(),
        Some("2/6@4 down 2026-11-27T10:20:00Z")
    );

    // And once more: nothing to do.
    world.clear_calls();
    let report = invoke(&world, event("scale-in", &services)).await;
    assert_eq!(world.writes(), Vec::<String>::new());
    assert_eq!(report.summary.unchanged, 1);

    // Morning: bounds and desired count as they were, then (last) the mark.
    world.clear_calls();
    let report = invoke(&world, event("scale-out", &services)).await;
    assert_eq!(
        world.writes(),
        [
            "register worker 2/6",
            "update worker desired=4",
            "tag worker worktime:capacity=2/6@4 up 2026-11-27T10:20:00Z"
        ]
    );
    assert_eq!(world.target("worker"), cap(2, 6));
    assert_eq!(world.desired("worker"), 4);
    let line = outcome(&report, "worker");
    assert_eq!(
        (line.desired_before, line.desired_after),
        (Some(0), Some(4))
    );
    assert_eq!(
        line.remembered,
        Remembered::parse("2/6@4 up 2026-11-27T10:20:00Z").ok()
    );

    // A repeated scale-out finds it restored, and leaves the day's autoscaling alone, up
    // or down.
    for autoscaled in [5, 2] {
        world.set_desired("worker", autoscaled);
        world.clear_calls();
        let report = invoke(&world, event("scale-out", &services)).await;
        assert_eq!(world.writes(), Vec::<String>::new());
        assert_eq!(outcome(&report, "worker").outcome, Outcome::Unchanged);
    }
}

#[tokio::test]
async fn a_service_without_a_scalable_target_has_none_after_the_night() {
    let world = World::with(&[("worker", 3, None, None)]);
    let services = [("worker", None)];
    invoke(&world, event("scale-in", &services)).await;
    assert_eq!(
        world.writes(),
        [
            "tag worker worktime:capacity=none@3 down 2026-11-27T10:20:00Z",
            "register worker 0/0",
            "update worker desired=0"
        ]
    );
    world.clear_calls();
    let report = invoke(&world, event("scale-out", &services)).await;
    assert_eq!(
        world.writes(),
        [
            "deregister worker",
            "update worker desired=3",
            "tag worker worktime:capacity=none@3 up 2026-11-27T10:20:00Z"
        ]
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
    assert_eq!(
        world.tag("api").as_deref(),
        Some("0/4@2 down 2026-11-27T10:20:00Z")
    );
    assert_eq!(world.tag("web"), None, "already down: nothing to remember");
    world.clear_calls();
    invoke(&world, event("scale-out", &services)).await;
    assert_eq!(world.target("api"), cap(0, 4));
    assert_eq!(world.desired("api"), 2, "its remembered count");
    assert_eq!(
        world.tag("api").as_deref(),
        Some("0/4@2 up 2026-11-27T10:20:00Z")
    );
    assert_eq!(world.target("web"), cap(0, 4));
    assert_eq!(world.desired("web"), 1, "nothing remembered: max(min, 1)");
    assert_eq!(
        world.tag("web").as_deref(),
        Some("0/4@1 up 2026-11-27T10:20:00Z"),
        "what it was brought to is marked restored"
    );
}

#[tokio::test]
async fn the_old_tag_form_is_still_read() {
    let world = World::with(&[("worker", 0, cap(0, 0), Some("2/6"))]);
    let report = invoke(&world, event("scale-out", &[("worker", None)])).await;
    assert_eq!(
        world.writes(),
        [
            "register worker 2/6",
            "update worker desired=2",
            "tag worker worktime:capacity=2/6@2 up 2026-11-27T10:20:00Z"
        ]
    );
    assert_eq!(outcome(&report, "worker").outcome, Outcome::Changed);
    // The value without a mark is read as owed: a scale-out finds the service up at other
    // than its remembered count and restores it exactly.
    let world = World::with(&[("worker", 5, cap(2, 6), Some("2/6@3"))]);
    invoke(&world, event("scale-out", &[("worker", None)])).await;
    assert_eq!(
        world.writes(),
        [
            "update worker desired=3",
            "tag worker worktime:capacity=2/6@3 up 2026-11-27T10:20:00Z"
        ]
    );
}

#[tokio::test]
async fn a_tampered_memory_fails_the_service_and_nothing_is_guessed() {
    for value in [
        "0/999999@4",
        "0/0",
        "6/2@4",
        "2/6@9",
        "lots",
        "none@0",
        "2/6@4 down yesterday",
        "2/6@4 sideways 2026-11-26T10:00:00Z",
        "2/6@4 up",
    ] {
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
async fn a_scale_in_delivered_after_the_next_scale_out_is_stale_and_changes_nothing() {
    let world = World::with(&[("api", 2, cap(1, 3), None), ("worker", 4, cap(2, 6), None)]);
    // Friday's 19:00 scale-in, delivered on Monday at 10:00 in Seoul (an hour after the
    // week's first scale-out).
    let monday = Utc.with_ymd_and_hms(2026, 11, 30, 1, 0, 0).unwrap();
    let report = handler::handle_at(
        &world.clients(),
        &allowed(),
        fixture("stale-scale-in.json"),
        monday,
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
    assert!(
        reason.contains("the schedule's next scale-out (2026-11-30T00:00:00Z) has come"),
        "{reason}"
    );
    // JSON says `stale`.
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["services"][0]["outcome"], "stale");
    assert_eq!(json["summary"]["stale"], 2);
    assert_eq!(json["scheduled_time"], "2026-11-27T10:00:00Z");
}

#[tokio::test]
async fn a_scale_in_hours_late_in_its_night_still_acts() {
    // The same delivery three hours late (22:00 in Seoul), or on Sunday: still the weekend's
    // down window.
    for late in [
        Utc.with_ymd_and_hms(2026, 11, 27, 13, 0, 0).unwrap(),
        Utc.with_ymd_and_hms(2026, 11, 29, 12, 0, 0).unwrap(),
    ] {
        let world = World::with(&[("api", 2, cap(1, 3), None), ("worker", 4, cap(2, 6), None)]);
        let report = invoke_at(&world, fixture("stale-scale-in.json"), late).await;
        assert_eq!(report.summary.changed, 2, "{late}");
        assert_eq!(world.target("worker"), cap(0, 0));
        assert_eq!(
            world.tag("worker"),
            Some(format!("2/6@4 down {}", stamp(late)))
        );
    }
}

#[tokio::test]
async fn a_scale_out_hours_late_in_the_working_day_still_acts() {
    let world = World::with(&[(
        "worker",
        0,
        cap(0, 0),
        Some("2/6@4 down 2026-11-26T10:00:00Z"),
    )]);
    let morning = kst(27, 9, 0, 0);
    let late = kst(27, 11, 0, 0);
    let report = invoke_at(
        &world,
        scheduled("scale-out", &[("worker", None)], Some(morning)),
        late,
    )
    .await;
    assert_eq!(outcome(&report, "worker").outcome, Outcome::Changed);
    assert_eq!(
        (world.target("worker"), world.desired("worker")),
        (cap(2, 6), 4)
    );
    // At the evening's scale-in it no longer applies.
    let world = World::with(&[(
        "worker",
        0,
        cap(0, 0),
        Some("2/6@4 down 2026-11-26T10:00:00Z"),
    )]);
    let report = invoke_at(
        &world,
        scheduled("scale-out", &[("worker", None)], Some(morning)),
        kst(27, 19, 0, 0),
    )
    .await;
    assert_eq!(outcome(&report, "worker").outcome, Outcome::Stale);
    assert_eq!(world.calls(), Vec::<String>::new());
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
    assert_eq!(
        line.remembered,
        Remembered::parse("2/6@4 down 2026-11-27T10:20:00Z").ok()
    );
    assert_eq!(report.summary.would_change, 1);
    // A dry-run scale-out reports the mark it would write.
    let world = World::with(&[
        ("api", 0, cap(0, 0), None),
        (
            "worker",
            0,
            cap(0, 0),
            Some("2/6@4 down 2026-11-26T10:00:00Z"),
        ),
    ]);
    let report = invoke(&world, fixture("scale-out.json")).await;
    assert_eq!(world.writes(), Vec::<String>::new());
    assert_eq!(report.summary.would_change, 2);
    let line = outcome(&report, "worker");
    assert_eq!((line.after, line.desired_after), (cap(2, 6), Some(4)));
    assert_eq!(
        line.remembered,
        Remembered::parse("2/6@4 up 2026-11-27T10:20:00Z").ok()
    );
    assert_eq!(
        world.tag("worker").as_deref(),
        Some("2/6@4 down 2026-11-26T10:00:00Z")
    );
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

// ---- converge, don't toggle: the schedule's windows ----

#[tokio::test]
async fn a_night_of_drift_and_a_morning_converge_on_the_schedule() {
    let world = World::with(&[("worker", 4, cap(2, 6), None)]);
    let services = [("worker", None)];
    // Thursday 19:00 in Seoul, delivered 30 seconds later.
    let evening = kst(26, 19, 0, 0);
    let report = invoke_at(
        &world,
        scheduled("scale-in", &services, Some(evening)),
        kst(26, 19, 0, 30),
    )
    .await;
    assert_eq!(
        world.writes(),
        [
            "tag worker worktime:capacity=2/6@4 down 2026-11-26T10:00:30Z",
            "register worker 0/0",
            "update worker desired=0"
        ]
    );
    assert_eq!(outcome(&report, "worker").outcome, Outcome::Changed);

    // 22:00: a deploy registers 3/9 and starts 5 tasks. The 23:00 reconcile takes them back
    // as drift, and keeps what the service had when the night began.
    world.set_target("worker", Capacity { min: 3, max: 9 });
    world.set_desired("worker", 5);
    world.clear_calls();
    let report = invoke_at(
        &world,
        scheduled("reconcile", &services, None),
        kst(26, 23, 0, 0),
    )
    .await;
    assert_eq!(
        world.writes(),
        ["register worker 0/0", "update worker desired=0"]
    );
    let line = outcome(&report, "worker");
    assert_eq!(line.outcome, Outcome::Drift);
    assert_eq!((line.before, line.after), (cap(3, 9), cap(0, 0)));
    assert_eq!(
        (line.desired_before, line.desired_after),
        (Some(5), Some(0))
    );
    assert!(
        line.reason.as_deref().unwrap().contains("taken down again"),
        "{line:?}"
    );
    assert_eq!(report.summary.drift, 1);
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["services"][0]["outcome"], "drift");
    assert_eq!(json["summary"]["drift"], 1);
    assert_eq!(
        world.tag("worker").as_deref(),
        Some("2/6@4 down 2026-11-26T10:00:30Z")
    );
    // The next reconcile finds nothing to do.
    world.clear_calls();
    let report = invoke_at(
        &world,
        scheduled("reconcile", &services, None),
        kst(26, 23, 15, 0),
    )
    .await;
    assert_eq!(world.writes(), Vec::<String>::new());
    assert_eq!(outcome(&report, "worker").outcome, Outcome::Unchanged);

    // Friday 09:00: the day's state back, the mark last.
    world.clear_calls();
    let report = invoke_at(
        &world,
        scheduled("scale-out", &services, Some(kst(27, 9, 0, 0))),
        kst(27, 9, 0, 20),
    )
    .await;
    assert_eq!(
        world.writes(),
        [
            "register worker 2/6",
            "update worker desired=4",
            "tag worker worktime:capacity=2/6@4 up 2026-11-27T00:00:20Z"
        ]
    );
    assert_eq!(outcome(&report, "worker").outcome, Outcome::Changed);

    // Autoscaling takes it to its minimum; the same scale-out delivered again at 11:00 leaves
    // the day alone, and a reconcile at noon only looks.
    world.set_desired("worker", 2);
    world.clear_calls();
    let report = invoke_at(
        &world,
        scheduled("scale-out", &services, Some(kst(27, 9, 0, 0))),
        kst(27, 11, 0, 0),
    )
    .await;
    assert_eq!(world.writes(), Vec::<String>::new());
    let line = outcome(&report, "worker");
    assert_eq!(line.outcome, Outcome::Unchanged);
    assert!(
        line.reason.as_deref().unwrap().contains("in this window"),
        "{line:?}"
    );
    let report = invoke_at(
        &world,
        scheduled("reconcile", &services, None),
        kst(27, 12, 0, 0),
    )
    .await;
    assert_eq!(world.writes(), Vec::<String>::new());
    assert_eq!(outcome(&report, "worker").outcome, Outcome::Unchanged);
    assert_eq!(world.desired("worker"), 2);
}

#[tokio::test]
async fn a_scale_out_stopped_half_way_is_finished_by_its_retry() {
    // The bounds were registered (and AAS moved the desired count to their minimum), then the
    // run stopped: the tag still says the capacity is owed.
    let world = World::with(&[(
        "worker",
        2,
        cap(2, 6),
        Some("2/6@4 down 2026-11-26T10:00:30Z"),
    )]);
    let services = [("worker", None)];
    let morning = Some(kst(27, 9, 0, 0));
    let report = invoke_at(
        &world,
        scheduled("scale-out", &services, morning),
        kst(27, 9, 5, 0),
    )
    .await;
    assert_eq!(
        world.writes(),
        [
            "update worker desired=4",
            "tag worker worktime:capacity=2/6@4 up 2026-11-27T00:05:00Z"
        ]
    );
    assert_eq!(outcome(&report, "worker").outcome, Outcome::Changed);

    // Stopped after the desired count: only the mark is left to write.
    let world = World::with(&[(
        "worker",
        4,
        cap(2, 6),
        Some("2/6@4 down 2026-11-26T10:00:30Z"),
    )]);
    let report = invoke_at(
        &world,
        scheduled("scale-out", &services, morning),
        kst(27, 9, 5, 0),
    )
    .await;
    assert_eq!(
        world.writes(),
        ["tag worker worktime:capacity=2/6@4 up 2026-11-27T00:05:00Z"]
    );
    let line = outcome(&report, "worker");
    assert_eq!(line.outcome, Outcome::Changed);
    assert!(
        line.reason.as_deref().unwrap().contains("marked restored"),
        "{line:?}"
    );
}

#[tokio::test]
async fn a_failed_mark_leaves_the_capacity_owed_until_a_retry_writes_it() {
    let world = World::with(&[(
        "worker",
        0,
        cap(0, 0),
        Some("2/6@4 down 2026-11-26T10:00:30Z"),
    )]);
    let services = [("worker", None)];
    let morning = Some(kst(27, 9, 0, 0));
    let denied = mock!(aws_sdk_ecs::Client::tag_resource).then_error(|| {
        TagResourceError::AccessDeniedException(
            AccessDeniedException::builder()
                .message("not allowed")
                .build(),
        )
    });
    let err = handler::handle_at(
        &world.clients_with(vec![denied], vec![]),
        &allowed(),
        scheduled("scale-out", &services, morning),
        kst(27, 9, 0, 20),
    )
    .await
    .unwrap_err();
    let HandlerError::ServicesFailed(report) = err else {
        panic!("expected ServicesFailed, got {err}");
    };
    let line = outcome(&report, "worker");
    assert_eq!(line.outcome, Outcome::Failed);
    assert!(
        line.reason
            .as_deref()
            .unwrap()
            .contains("could not remember 2/6@4 up 2026-11-27T00:00:20Z"),
        "{line:?}"
    );
    // Bounds and desired count were written first; the tag still says owed.
    assert_eq!(
        world.writes(),
        ["register worker 2/6", "update worker desired=4"]
    );
    assert_eq!((line.after, line.desired_after), (cap(2, 6), Some(4)));
    assert_eq!(
        world.tag("worker").as_deref(),
        Some("2/6@4 down 2026-11-26T10:00:30Z")
    );
    // The retry finds bounds and desired count right and writes the mark alone.
    world.clear_calls();
    invoke_at(
        &world,
        scheduled("scale-out", &services, morning),
        kst(27, 9, 2, 0),
    )
    .await;
    assert_eq!(
        world.writes(),
        ["tag worker worktime:capacity=2/6@4 up 2026-11-27T00:02:00Z"]
    );
}

const PLACEMENT: &str = "(service worker) was unable to place a task because no container \
                         instance met all of its requirements.";

#[tokio::test]
async fn a_reconcile_in_the_day_writes_nothing_and_fails_on_what_is_not_ready() {
    let restored = "2/6@4 up 2026-11-27T00:00:20Z";
    let world = World::with(&[
        ("api", 4, cap(2, 6), Some(restored)),
        ("worker", 4, cap(2, 6), Some(restored)),
        // The morning's scale-out never restored it.
        (
            "jobs",
            0,
            cap(0, 0),
            Some("1/2@1 down 2026-11-26T10:00:30Z"),
        ),
        // Scaled in on purpose at 10:00 (worktime run scale-in).
        ("web", 0, cap(0, 0), Some("1/2@1 down 2026-11-27T01:00:00Z")),
    ]);
    let morning = kst(27, 9, 0, 20);
    world.set_tasks("api", 4, None, Some(morning));
    world.set_tasks("worker", 1, Some(PLACEMENT), Some(morning));
    let services = [
        ("api", None),
        ("worker", None),
        ("jobs", None),
        ("web", None),
    ];
    let report = invoke_failing_at(
        &world,
        scheduled("reconcile", &services, None),
        kst(27, 12, 0, 0),
    )
    .await;
    assert_eq!(
        world.writes(),
        Vec::<String>::new(),
        "a reconcile in the day writes nothing"
    );
    assert_eq!(outcome(&report, "api").outcome, Outcome::Unchanged);
    assert_eq!(outcome(&report, "web").outcome, Outcome::Unchanged);
    let worker = outcome(&report, "worker");
    assert_eq!(worker.outcome, Outcome::NotReady);
    let reason = worker.reason.as_deref().unwrap();
    assert!(
        reason.contains("running 1 of 4 desired task(s) 179 minutes"),
        "{reason}"
    );
    assert!(
        reason.contains("; ECS: (service worker) was unable to place a task"),
        "{reason}"
    );
    let jobs = outcome(&report, "jobs");
    assert_eq!(jobs.outcome, Outcome::NotReady);
    assert!(
        jobs.reason
            .as_deref()
            .unwrap()
            .contains("not restored since this window's scale-out (2026-11-27T00:00:00Z)"),
        "{jobs:?}"
    );
    assert_eq!(report.summary.not_ready, 2);
    assert_eq!(report.summary.unchanged, 2);
    assert_eq!(report.summary.failed, 0);
    let message = report.failure_message();
    assert!(
        message.starts_with("2 of 4 services failed: service/prod/worker (running 1 of 4"),
        "{message}"
    );
    assert!(
        message.contains("service/prod/jobs (scaled in at"),
        "{message}"
    );
    let json = serde_json::to_value(&*report).unwrap();
    assert_eq!(json["services"][1]["outcome"], "not-ready");
    assert_eq!(json["summary"]["not_ready"], 2);

    // Ten minutes after a change, a service still starting is not reported.
    world.set_tasks("worker", 1, Some(PLACEMENT), Some(kst(27, 11, 50, 0)));
    let report = invoke_failing_at(
        &world,
        scheduled("reconcile", &services, None),
        kst(27, 12, 0, 0),
    )
    .await;
    assert_eq!(outcome(&report, "worker").outcome, Outcome::Unchanged);
    assert_eq!(report.summary.not_ready, 1, "jobs only");
}

#[tokio::test]
async fn tasks_that_do_not_stop_at_night_fail_the_reconcile() {
    let world = World::with(&[(
        "worker",
        0,
        cap(0, 0),
        Some("2/6@4 down 2026-11-26T10:00:30Z"),
    )]);
    world.set_tasks(
        "worker",
        2,
        Some("(service worker) has begun draining connections on 2 tasks."),
        None,
    );
    let services = [("worker", None)];
    // Ten minutes after the scale-in: still stopping.
    let report = invoke_at(
        &world,
        scheduled("reconcile", &services, None),
        kst(26, 19, 10, 30),
    )
    .await;
    assert_eq!(outcome(&report, "worker").outcome, Outcome::Unchanged);
    // At 23:00: not stopped, and the invocation fails.
    let report = invoke_failing_at(
        &world,
        scheduled("reconcile", &services, None),
        kst(26, 23, 0, 0),
    )
    .await;
    assert_eq!(world.writes(), Vec::<String>::new());
    let line = outcome(&report, "worker");
    assert_eq!(line.outcome, Outcome::NotStopped);
    let reason = line.reason.as_deref().unwrap();
    assert!(
        reason.starts_with(
            "2 task(s) still running 239 minutes after it went down (2026-11-26T10:00:30Z)"
        ),
        "{reason}"
    );
    assert!(
        reason.contains("ECS: (service worker) has begun draining"),
        "{reason}"
    );
    assert_eq!(report.summary.not_stopped, 1);
    assert_eq!(
        serde_json::to_value(&*report).unwrap()["services"][0]["outcome"],
        "not-stopped"
    );
}

#[tokio::test]
async fn a_reconcile_at_night_respects_a_hold() {
    let world = World::with(&[(
        "worker",
        4,
        cap(2, 6),
        Some("2/6@4 up 2026-11-26T00:00:20Z"),
    )]);
    {
        let mut state = world.0.lock().unwrap();
        let svc = state.services.get_mut("worker").unwrap();
        svc.tags
            .insert("worktime:hold-until".into(), "2026-11-26T14:30:00Z".into());
    }
    let services = [("worker", None)];
    // 23:00 in Seoul is 14:00 UTC: held.
    let report = invoke_at(
        &world,
        scheduled("reconcile", &services, None),
        kst(26, 23, 0, 0),
    )
    .await;
    assert_eq!(outcome(&report, "worker").outcome, Outcome::Held);
    assert_eq!(world.writes(), Vec::<String>::new());
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
    assert_eq!(world.tag("web"), None, "nor a mark: nothing was restored");
    assert_eq!(
        world.tag("api").as_deref(),
        Some("1/3@1 up 2026-11-27T10:20:00Z")
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
        (Outcome::Drift, "drift"),
        (Outcome::NotReady, "not-ready"),
        (Outcome::NotStopped, "not-stopped"),
        (Outcome::Failed, "failed"),
    ] {
        assert_eq!(outcome.to_string(), text);
        assert_eq!(serde_json::to_value(outcome).unwrap(), text);
        // Only what is broken or not running what it should fails the invocation; drift taken
        // back is a success.
        assert_eq!(
            outcome.is_failure(),
            matches!(
                outcome,
                Outcome::Failed | Outcome::NotReady | Outcome::NotStopped
            ),
            "{outcome}"
        );
    }
}

// ---- runs in waves: the state machine's steps ----

/// The Seoul schedule's `action` payload for `services` (name, wave), each restoring what it
/// remembered, with its step.
fn wave_payload(action: &str, services: &[(&str, u8)], at: DateTime<Utc>, step: Value) -> Value {
    let names: Vec<(&str, Option<Capacity>)> = services.iter().map(|(n, _)| (*n, None)).collect();
    let mut value = scheduled(action, &names, Some(at));
    for (index, (_, wave)) in services.iter().enumerate() {
        value["services"][index]["wave"] = json!(wave);
    }
    value["wave_timeout_minutes"] = json!(10);
    value["step"] = step;
    value
}

async fn step_at(world: &World, payload: Value, at: DateTime<Utc>) -> Result<Value, HandlerError> {
    handler::handle_step(&world.clients(), &allowed(), payload, at).await
}

/// The `step` of an answer, and the answer as the next step's payload (what the state
/// machine hands back).
async fn step_ok(world: &World, payload: Value, at: DateTime<Utc>) -> Value {
    let answer = step_at(world, payload.clone(), at)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    // The trigger's payload travels unchanged; only `step` is the function's.
    let mut same = answer.clone();
    same.as_object_mut().unwrap().remove("step");
    let mut sent = payload;
    sent.as_object_mut().unwrap().remove("step");
    assert_eq!(same, sent);
    answer
}

fn down_world() -> World {
    World::with(&[
        (
            "worker",
            0,
            cap(0, 0),
            Some("1/2@2 down 2026-11-26T10:00:30Z"),
        ),
        ("api", 0, cap(0, 0), Some("1/3@3 down 2026-11-26T10:00:30Z")),
    ])
}

#[tokio::test]
async fn a_morning_in_waves_starts_each_wave_once_the_one_before_runs_its_tasks() {
    let world = down_world();
    let morning = kst(27, 9, 0, 0);
    let services = [("worker", 0), ("api", 1)];
    let start = wave_payload("scale-out", &services, morning, json!({"status": "start"}));

    // Wave 0: the worker is scaled out; its tasks have only just been asked for.
    let answer = step_ok(&world, start, kst(27, 9, 0, 5)).await;
    assert_eq!(
        answer["step"],
        json!({"status": "wait", "wave": 0, "started_at": "2026-11-27T00:00:05Z",
               "wait_seconds": 20})
    );
    assert_eq!(world.desired("worker"), 2);
    assert_eq!(world.desired("api"), 0, "wave 1 waits for wave 0");
    assert!(
        world.writes().iter().all(|w| !w.contains("api")),
        "{:?}",
        world.writes()
    );

    // Its tasks do not run yet: still waiting; a repeated step writes nothing more.
    world.set_tasks(
        "worker",
        0,
        Some("(service worker) has started 2 tasks."),
        None,
    );
    world.clear_calls();
    let answer = step_ok(&world, answer, kst(27, 9, 0, 25)).await;
    assert_eq!(answer["step"]["status"], "wait");
    assert_eq!(answer["step"]["started_at"], "2026-11-27T00:00:05Z");
    let again = step_ok(&world, answer.clone(), kst(27, 9, 0, 26)).await;
    assert_eq!(again["step"]["status"], "wait");
    assert_eq!(world.writes(), Vec::<String>::new());

    // They run: wave 1 starts now.
    world.set_tasks("worker", 2, None, None);
    let answer = step_ok(&world, answer, kst(27, 9, 0, 45)).await;
    assert_eq!(answer["step"]["status"], "next");
    assert_eq!(answer["step"]["wave"], 1);
    assert_eq!(answer["step"]["started_at"], "2026-11-27T00:00:45Z");
    assert_eq!(answer["step"]["finished"][0]["wave"], 0);
    assert_eq!(answer["step"]["finished"][0]["outcome"], "ready");
    assert_eq!(world.desired("api"), 0);

    // Wave 1: the api comes up; once its tasks run, the morning is done.
    let answer = step_ok(&world, answer, kst(27, 9, 0, 46)).await;
    assert_eq!(answer["step"]["status"], "wait");
    assert_eq!(world.desired("api"), 3);
    let answer = step_ok(&world, answer, kst(27, 9, 1, 6)).await;
    assert_eq!(answer["step"]["status"], "done");
    let outcomes: Vec<(i64, &str)> = answer["step"]["finished"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["wave"].as_i64().unwrap(), r["outcome"].as_str().unwrap()))
        .collect();
    assert_eq!(outcomes, [(0, "ready"), (1, "ready")]);
    assert_eq!(
        world.tag("api").as_deref(),
        Some("1/3@3 up 2026-11-27T00:00:46Z")
    );
}

#[tokio::test]
async fn a_wave_not_ready_in_time_lets_the_next_start_and_fails_the_run_with_ecs_reason() {
    let world = down_world();
    let morning = kst(27, 9, 0, 0);
    let services = [("worker", 0), ("api", 1)];
    let start = wave_payload("scale-out", &services, morning, json!({"status": "start"}));
    let answer = step_ok(&world, start, kst(27, 9, 0, 0)).await;
    let unable = "(service worker) was unable to place a task because no container instance met all of its requirements.";
    world.set_tasks("worker", 0, Some(unable), None);
    // Nine minutes on: the wait never runs past the timeout.
    let answer = step_ok(&world, answer, kst(27, 9, 9, 50)).await;
    assert_eq!(answer["step"]["status"], "wait");
    assert_eq!(answer["step"]["wait_seconds"], 10);
    // Ten minutes: wave 0 is not ready, wave 1 starts anyway.
    let answer = step_ok(&world, answer, kst(27, 9, 10, 0)).await;
    assert_eq!(answer["step"]["status"], "next");
    assert_eq!(answer["step"]["finished"][0]["outcome"], "not-ready");
    let reason = answer["step"]["finished"][0]["reasons"][0]
        .as_str()
        .unwrap();
    assert!(
        reason.starts_with("service/prod/worker: running 0 of 2 desired task(s)"),
        "{reason}"
    );
    assert!(reason.contains(unable), "{reason}");
    let answer = step_ok(&world, answer, kst(27, 9, 10, 1)).await;
    assert_eq!(world.desired("api"), 3, "the next wave started anyway");
    // The last step fails the run: the execution ends failed and the alarm hears it.
    match step_at(&world, answer, kst(27, 9, 10, 30)).await {
        Err(HandlerError::WavesFailed(message)) => {
            assert!(
                message.starts_with("wave 0 not ready: service/prod/worker"),
                "{message}"
            );
            assert!(message.contains(unable), "{message}");
        }
        other => panic!("expected WavesFailed, got {other:?}"),
    }
}

#[tokio::test]
async fn a_night_in_waves_takes_the_last_wave_down_first_and_waits_for_its_tasks_to_stop() {
    let world = World::with(&[("worker", 2, cap(1, 2), None), ("api", 3, cap(1, 3), None)]);
    let night = kst(27, 19, 0, 0);
    let services = [("worker", 0), ("api", 1)];
    let start = wave_payload("scale-in", &services, night, json!({"status": "start"}));
    let answer = step_ok(&world, start, kst(27, 19, 0, 0)).await;
    assert_eq!(answer["step"]["wave"], 1);
    assert_eq!(world.desired("api"), 0);
    assert_eq!(
        world.desired("worker"),
        2,
        "wave 0 waits for wave 1 to stop"
    );
    // Its tasks are draining.
    world.set_tasks(
        "api",
        2,
        Some("(service api) has begun draining connections on 2 tasks."),
        None,
    );
    let answer = step_ok(&world, answer, kst(27, 19, 0, 20)).await;
    assert_eq!(answer["step"]["status"], "wait");
    assert_eq!(world.desired("worker"), 2);
    world.set_tasks("api", 0, None, None);
    let answer = step_ok(&world, answer, kst(27, 19, 0, 40)).await;
    assert_eq!(answer["step"]["status"], "next");
    assert_eq!(answer["step"]["wave"], 0);
    let answer = step_ok(&world, answer, kst(27, 19, 0, 41)).await;
    assert_eq!(world.desired("worker"), 0);
    let answer = step_ok(&world, answer, kst(27, 19, 1, 1)).await;
    assert_eq!(answer["step"]["status"], "done");
    assert_eq!(world.target("worker"), cap(0, 0));
}

#[tokio::test]
async fn a_step_after_its_window_is_stale_ends_the_run_and_changes_nothing() {
    let world = down_world();
    // Last night's scale-in step, delivered after this morning's scale-out.
    let payload = wave_payload(
        "scale-in",
        &[("worker", 0), ("api", 1)],
        kst(26, 19, 0, 0),
        json!({"status": "start"}),
    );
    world.set_desired("api", 3);
    world.set_target("api", Capacity { min: 1, max: 3 });
    let answer = step_ok(&world, payload, kst(27, 9, 30, 0)).await;
    assert_eq!(answer["step"]["status"], "done");
    assert_eq!(answer["step"]["finished"][0]["outcome"], "stale");
    assert_eq!(world.writes(), Vec::<String>::new());
    assert_eq!(world.desired("api"), 3);
}

#[tokio::test]
async fn a_step_of_an_action_without_waves_or_a_state_it_did_not_write_is_refused() {
    let world = down_world();
    let mut reconcile = wave_payload(
        "scale-out",
        &[("worker", 0), ("api", 1)],
        kst(27, 9, 0, 0),
        json!({"status": "start"}),
    );
    reconcile["action"] = json!("reconcile");
    reconcile.as_object_mut().unwrap().remove("scheduled_time");
    match step_at(&world, reconcile, kst(27, 9, 0, 0)).await {
        Err(HandlerError::Event(EventError::Field { field, reason })) => {
            assert_eq!(field, "action");
            assert!(reason.contains("does not run in waves"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    for step in [
        json!({"status": "wait", "wave": 7, "started_at": "2026-11-27T00:00:00Z"}),
        json!({"status": "wait"}),
        json!({"status": "bogus"}),
        json!({"status": "done"}),
    ] {
        let payload = wave_payload(
            "scale-out",
            &[("worker", 0), ("api", 1)],
            kst(27, 9, 0, 0),
            step.clone(),
        );
        match step_at(&world, payload, kst(27, 9, 0, 0)).await {
            Err(HandlerError::Event(EventError::Field { field, .. })) => {
                assert_eq!(field, "step", "{step}")
            }
            other => panic!("{step}: {other:?}"),
        }
    }
    assert_eq!(world.writes(), Vec::<String>::new());
}

/// Groups wait for their services and the services for them: a payload with `capacity`
/// invoked directly (not as a state machine's step) is refused before anything is read.
#[tokio::test]
async fn a_direct_invocation_with_capacity_groups_reads_and_changes_nothing() {
    let world = World::with(&[("api", 2, cap(1, 3), None)]);
    let event = json!({
        "action": "scale-in",
        "services": [{"resource_id": "service/prod/api"}],
        "capacity": [{"cluster": "prod", "autoscaling_group": "prod-asg"}]
    });
    let err = handler::handle_at(&world.clients(), &allowed(), event, now())
        .await
        .unwrap_err();
    let HandlerError::Event(EventError::Field { field, reason }) = &err else {
        panic!("expected a field error, got {err}");
    };
    assert_eq!(field, "capacity");
    assert!(
        reason.contains("start the schedule's state machine"),
        "{reason}"
    );
    assert_eq!(world.calls(), Vec::<String>::new());
}
