use chrono::{TimeZone, Utc};

use super::*;

fn at(minute: u32, second: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 30, 0, minute, second)
        .unwrap()
}

fn waves(list: &[u8]) -> Vec<u8> {
    list.to_vec()
}

// ------------------------------------------------------------------------------- ordering

#[test]
fn scale_out_restores_the_capacity_first_then_the_waves_ascending() {
    assert_eq!(
        stages(Action::ScaleOut, waves(&[2, 0, 1, 2]), true).unwrap(),
        vec![
            Stage::Capacity,
            Stage::Services(0),
            Stage::Services(1),
            Stage::Services(2)
        ]
    );
}

#[test]
fn scale_in_takes_the_waves_down_descending_then_the_capacity() {
    assert_eq!(
        stages(Action::ScaleIn, waves(&[1, 0, 2]), true).unwrap(),
        vec![
            Stage::Services(2),
            Stage::Services(1),
            Stage::Services(0),
            Stage::Capacity
        ]
    );
}

#[test]
fn without_capacity_or_waves_there_is_one_stage_wave_0() {
    assert_eq!(
        stages(Action::ScaleIn, waves(&[]), false).unwrap(),
        vec![Stage::Services(0)]
    );
    // Waves need not start at 0 nor be contiguous.
    assert_eq!(
        stages(Action::ScaleOut, waves(&[7, 3]), false).unwrap(),
        vec![Stage::Services(3), Stage::Services(7)]
    );
}

#[test]
fn only_scale_in_and_scale_out_run_in_waves() {
    for action in [Action::Reconcile, Action::Toggle, Action::Notice] {
        let error = stages(action, waves(&[0, 1]), false).unwrap_err();
        assert!(error.contains("does not run in waves"), "{error}");
    }
}

#[test]
fn the_next_stage_follows_the_order_and_ends_after_the_last() {
    let order = stages(Action::ScaleOut, waves(&[0, 2]), true).unwrap();
    assert_eq!(
        next_stage(&order, Stage::Capacity),
        Some(Stage::Services(0))
    );
    assert_eq!(
        next_stage(&order, Stage::Services(0)),
        Some(Stage::Services(2))
    );
    assert_eq!(next_stage(&order, Stage::Services(2)), None);
    assert_eq!(next_stage(&order, Stage::Services(5)), None);
}

#[test]
fn a_stage_is_written_as_its_wave_number_and_minus_1_for_the_capacity() {
    assert_eq!(serde_json::to_value(Stage::Capacity).unwrap(), -1);
    assert_eq!(serde_json::to_value(Stage::Services(3)).unwrap(), 3);
    assert_eq!(
        serde_json::from_value::<Stage>(serde_json::json!(9)).unwrap(),
        Stage::Services(9)
    );
    for bad in [10, -2, 100] {
        let error = serde_json::from_value::<Stage>(serde_json::json!(bad)).unwrap_err();
        assert!(error.to_string().contains("is not a wave"), "{error}");
    }
}

// ------------------------------------------------------------------------------ readiness

fn service(desired: i32, running: i32, deployments: usize) -> Observed {
    Observed {
        exists: true,
        desired_count: Some(desired),
        running_count: Some(running),
        deployments: Some(deployments),
        latest_event: Some("(service api) was unable to place a task.".into()),
        ..Observed::default()
    }
}

#[test]
fn scale_out_is_ready_when_the_desired_tasks_run_on_one_deployment() {
    let check = |observed| check_service(Action::ScaleOut, Outcome::Unchanged, None, &observed);
    assert_eq!(check(service(3, 3, 1)), Check::Ready);
    match check(service(3, 1, 1)) {
        Check::Pending(why) => {
            assert!(why.starts_with("running 1 of 3 desired task(s)"), "{why}");
            assert!(
                why.contains("ECS: (service api) was unable to place a task."),
                "{why}"
            );
        }
        other => panic!("{other:?}"),
    }
    match check(service(3, 3, 2)) {
        Check::Pending(why) => assert!(why.contains("2 deployments"), "{why}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn scale_in_is_done_when_no_task_runs() {
    let check = |observed| check_service(Action::ScaleIn, Outcome::Unchanged, None, &observed);
    assert_eq!(check(service(0, 0, 1)), Check::Ready);
    match check(service(0, 2, 1)) {
        Check::Pending(why) => assert!(why.starts_with("2 task(s) still running"), "{why}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_service_changed_in_this_step_is_pending_whatever_it_said_before() {
    // Before the write it ran all its (old) desired tasks: that says nothing of the new count.
    assert!(matches!(
        check_service(Action::ScaleOut, Outcome::Changed, None, &service(0, 0, 1)),
        Check::Pending(_)
    ));
    assert!(matches!(
        check_service(Action::ScaleIn, Outcome::Changed, None, &service(3, 3, 1)),
        Check::Pending(_)
    ));
}

#[test]
fn failed_services_are_failures_and_skipped_held_stale_ones_are_not_waited_for() {
    assert_eq!(
        check_service(
            Action::ScaleOut,
            Outcome::Failed,
            Some("access denied"),
            &Observed::default()
        ),
        Check::Failed("access denied".into())
    );
    for outcome in [
        Outcome::Skipped,
        Outcome::Held,
        Outcome::Stale,
        Outcome::WouldChange,
    ] {
        assert_eq!(
            check_service(Action::ScaleIn, outcome, None, &service(2, 2, 1)),
            Check::Ignored,
            "{outcome}"
        );
    }
}

fn checks(list: &[(&str, Check)]) -> Vec<(String, Check)> {
    list.iter()
        .map(|(id, check)| (format!("service/prod/{id}"), check.clone()))
        .collect()
}

#[test]
fn a_wave_with_nothing_pending_is_ready() {
    let wave = checks(&[("api", Check::Ready), ("web", Check::Ignored)]);
    assert_eq!(
        judge(
            &wave,
            at(0, 0),
            at(0, 30),
            TimeDelta::minutes(10),
            POLL_SECONDS
        ),
        Verdict::Ready
    );
    // An empty wave (a selector that selected nothing) is ready at once.
    assert_eq!(
        judge(
            &[],
            at(0, 0),
            at(0, 0),
            TimeDelta::minutes(10),
            POLL_SECONDS
        ),
        Verdict::Ready
    );
}

#[test]
fn a_pending_wave_waits_at_most_the_poll_interval_and_never_past_its_timeout() {
    let wave = checks(&[
        ("api", Check::Ready),
        ("web", Check::Pending("running 0 of 2".into())),
    ]);
    assert_eq!(
        judge(
            &wave,
            at(0, 0),
            at(0, 1),
            TimeDelta::minutes(10),
            POLL_SECONDS
        ),
        Verdict::Wait {
            seconds: POLL_SECONDS
        }
    );
    assert_eq!(
        judge(
            &wave,
            at(0, 0),
            at(0, 55),
            TimeDelta::minutes(1),
            POLL_SECONDS
        ),
        Verdict::Wait { seconds: 5 }
    );
}

#[test]
fn a_wave_still_pending_at_its_timeout_is_not_ready_with_the_reasons() {
    let wave = checks(&[
        ("api", Check::Failed("access denied".into())),
        (
            "web",
            Check::Pending("running 0 of 2 desired task(s); ECS: unable to place a task".into()),
        ),
    ]);
    match judge(
        &wave,
        at(0, 0),
        at(1, 0),
        TimeDelta::minutes(1),
        POLL_SECONDS,
    ) {
        Verdict::NotReady { reasons } => {
            assert_eq!(reasons.len(), 2, "{reasons:?}");
            assert!(
                reasons[0].starts_with("service/prod/web: running 0 of 2"),
                "{reasons:?}"
            );
            assert!(reasons[0].contains("ECS: unable to place a task"));
            assert!(reasons[0].contains("not ready 60 s after the wave started, timeout 60 s"));
            assert_eq!(reasons[1], "service/prod/api: access denied");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_wave_whose_failures_are_all_that_is_left_failed_without_waiting() {
    let wave = checks(&[
        ("api", Check::Ready),
        ("gone", Check::Failed("ECS service gone not found".into())),
    ]);
    assert_eq!(
        judge(
            &wave,
            at(0, 0),
            at(0, 1),
            TimeDelta::minutes(10),
            POLL_SECONDS
        ),
        Verdict::Failed {
            reasons: vec!["service/prod/gone: ECS service gone not found".into()]
        }
    );
}

// ------------------------------------------------------------------------------ the state

#[test]
fn a_run_steps_through_its_stages_and_ends_failed_if_one_was_not_ready() {
    let order = stages(Action::ScaleOut, waves(&[1, 2]), true).unwrap();
    let start = StepState::start();
    let (stage, started) = start.current(&order, at(0, 0)).unwrap();
    assert_eq!((stage, started), (Stage::Capacity, at(0, 0)));

    // The capacity is not there yet: wait, same stage, same start.
    let waiting = start.advance(
        &order,
        stage,
        started,
        Verdict::Wait { seconds: 20 },
        at(0, 0),
    );
    assert_eq!(waiting.status, StepStatus::Wait);
    assert_eq!(waiting.wait_seconds, Some(20));
    assert_eq!(
        waiting.current(&order, at(0, 20)).unwrap(),
        (Stage::Capacity, at(0, 0))
    );

    // Ready: wave 1 starts now.
    let next = waiting.advance(&order, Stage::Capacity, started, Verdict::Ready, at(0, 40));
    assert_eq!(next.status, StepStatus::Next);
    assert_eq!(
        next.current(&order, at(0, 40)).unwrap(),
        (Stage::Services(1), at(0, 40))
    );

    // Wave 1 times out; wave 2 starts anyway.
    let next = next.advance(
        &order,
        Stage::Services(1),
        at(0, 40),
        Verdict::NotReady {
            reasons: vec!["service/prod/broker: running 0 of 1".into()],
        },
        at(11, 0),
    );
    assert_eq!(next.wave, Some(Stage::Services(2)));
    assert_eq!(
        next.failure().unwrap(),
        "wave 1 not ready: service/prod/broker: running 0 of 1"
    );

    let done = next.advance(
        &order,
        Stage::Services(2),
        at(11, 0),
        Verdict::Ready,
        at(11, 30),
    );
    assert_eq!(done.status, StepStatus::Done);
    assert_eq!(
        done.finished
            .iter()
            .map(|r| (r.wave, r.outcome))
            .collect::<Vec<_>>(),
        vec![
            (Stage::Capacity, StageOutcome::Ready),
            (Stage::Services(1), StageOutcome::NotReady),
            (Stage::Services(2), StageOutcome::Ready),
        ]
    );
    assert!(done.failure().is_some());
    assert!(done.current(&order, at(12, 0)).is_err());
}

#[test]
fn a_run_whose_stages_were_all_ready_has_no_failure() {
    let order = stages(Action::ScaleIn, waves(&[0]), false).unwrap();
    let done = StepState::start().advance(
        &order,
        Stage::Services(0),
        at(0, 0),
        Verdict::Ready,
        at(0, 30),
    );
    assert_eq!(done.status, StepStatus::Done);
    assert_eq!(done.failure(), None);
}

#[test]
fn the_first_stage_is_timed_from_the_execution_start_the_machine_wrote() {
    let order = stages(Action::ScaleOut, waves(&[0, 1]), false).unwrap();
    let mut state = StepState::start();
    // Without it (a direct step), the first stage starts at the step.
    assert_eq!(
        state.current(&order, at(0, 30)).unwrap(),
        (Stage::Services(0), at(0, 30))
    );
    // Step Functions writes the context object's time with fractions and an offset; a retry a
    // few seconds later times the stage from the same instant.
    state.started_at = Some("2026-11-30T00:00:10.123+00:00".into());
    let (stage, began) = state.current(&order, at(0, 30)).unwrap();
    assert_eq!(stage, Stage::Services(0));
    assert_eq!(began.timestamp(), at(0, 10).timestamp());
    assert_eq!(state.current(&order, at(0, 45)).unwrap().1, began);
    // A start time after the step's own (a skewed clock) is not believed.
    state.started_at = Some("2026-11-30T00:05:00Z".into());
    assert_eq!(state.current(&order, at(0, 30)).unwrap().1, at(0, 30));
    state.started_at = Some("soon".into());
    assert!(state.current(&order, at(0, 30)).is_err());
}

#[test]
fn a_step_state_the_function_did_not_write_is_refused() {
    let order = stages(Action::ScaleOut, waves(&[0, 1]), false).unwrap();
    let mut state = StepState::start();
    state.status = StepStatus::Wait;
    assert!(state.current(&order, at(0, 0)).is_err(), "no wave");
    state.wave = Some(Stage::Services(5));
    state.started_at = Some("2026-11-30T00:00:00Z".into());
    let error = state.current(&order, at(0, 0)).unwrap_err();
    assert!(error.contains("not one of this run's stages"), "{error}");
    state.wave = Some(Stage::Services(1));
    state.started_at = Some("yesterday".into());
    assert!(state.current(&order, at(0, 0)).is_err());
}

#[test]
fn the_step_state_round_trips_through_json_as_the_state_machine_carries_it() {
    let text = r#"{"status":"wait","wave":-1,"started_at":"2026-11-30T00:00:00Z","wait_seconds":20,
                  "finished":[]}"#;
    let state: StepState = serde_json::from_str(text).unwrap();
    assert_eq!(state.wave, Some(Stage::Capacity));
    let again: StepState = serde_json::from_value(serde_json::to_value(&state).unwrap()).unwrap();
    assert_eq!(again, state);
    assert!(serde_json::from_str::<StepState>(r#"{"status":"start","extra":1}"#).is_err());
    assert_eq!(
        serde_json::to_value(StepState::start()).unwrap(),
        serde_json::json!({"status": "start"})
    );
}

#[test]
fn a_service_behind_a_load_balancer_is_ready_once_its_targets_are_healthy() {
    let group = |states: &[&str]| GroupHealth {
        target_group: "arn:aws:elasticloadbalancing:ap-northeast-2:1:targetgroup/api/abc".into(),
        states: states.iter().map(|s| s.to_string()).collect(),
    };
    assert_eq!(
        check_target_health(2, &[group(&["healthy", "healthy"])]),
        None
    );
    // An old task draining and another service's target do not count against it.
    assert_eq!(
        check_target_health(2, &[group(&["healthy", "draining", "healthy"])]),
        None
    );
    let why = check_target_health(2, &[group(&["healthy", "initial"])]).unwrap();
    assert_eq!(
        why,
        "1 of 2 target(s) healthy in targetgroup/api/abc (others: initial)"
    );
    // Every group must be there: one short is enough to wait.
    assert!(check_target_health(1, &[group(&["healthy"]), group(&["unhealthy"])]).is_some());
    // Nothing desired: nothing to wait for.
    assert_eq!(check_target_health(0, &[group(&[])]), None);
}
