//! The woken services' routes after a run (I/O): a service the run took down has each of its
//! rules (and listener default actions) pointed at its wake target group, its original
//! remembered on the rule; a service the run brought up has them put back exactly
//! (`route.rs` decides; this module reads and writes Elastic Load Balancing).

use aws_sdk_elasticloadbalancingv2::types::{
    Action, ActionTypeEnum, ForwardActionConfig, Tag, TargetGroupStickinessConfig, TargetGroupTuple,
};
use aws_sdk_elasticloadbalancingv2::Client;

use super::route::{asleep, restored, Forward, Memory, RouteError, ROUTE_MEMORY_TAG};
use super::WakeTarget;
use crate::clients::describe_error;
use crate::event::Action as RunAction;
use crate::report::{Outcome, Report};

/// Where a service's routes go after a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// To the wake target group (the service is down).
    Asleep,
    /// Back as they were (the service is up).
    Back,
}

/// What the run did to each woken service, as the routes must follow: down after a scale-in
/// that changed or found it down and after a reconcile that took it down (drift), up after a
/// scale-out that changed or found it up.
pub fn directions<'a>(
    report: &Report,
    targets: &'a [WakeTarget],
) -> Vec<(&'a WakeTarget, Direction)> {
    if report.dry_run {
        return Vec::new();
    }
    targets
        .iter()
        .filter_map(|target| {
            let id = format!("service/{}", target.service);
            let service = report.services.iter().find(|s| s.resource_id == id)?;
            if !matches!(
                service.outcome,
                Outcome::Changed | Outcome::Unchanged | Outcome::Drift
            ) {
                return None;
            }
            match (service.action, service.outcome) {
                (RunAction::ScaleIn, _) | (RunAction::Reconcile, Outcome::Drift) => {
                    Some((target, Direction::Asleep))
                }
                (RunAction::ScaleOut, _) => Some((target, Direction::Back)),
                _ => None,
            }
        })
        .collect()
}

/// The forward action of `actions`, as a [`Forward`], with its index.
fn forward_of(actions: &[Action]) -> Option<(usize, Forward)> {
    let index = actions
        .iter()
        .position(|a| a.r#type() == Some(&ActionTypeEnum::Forward))?;
    let action = &actions[index];
    let config = action.forward_config();
    let tuples = config.map(|c| c.target_groups()).unwrap_or_default();
    // AWS describes a plain TargetGroupArn forward with a ForwardConfig of that one group
    // too; it is put back in the plain form.
    let single = action.target_group_arn().is_some();
    let groups: Vec<(String, Option<i32>)> = if tuples.is_empty() || single {
        vec![(action.target_group_arn()?.to_string(), None)]
    } else {
        tuples
            .iter()
            .map(|t| {
                (
                    t.target_group_arn().unwrap_or_default().to_string(),
                    t.weight(),
                )
            })
            .collect()
    };
    let stickiness = config
        .and_then(|c| c.target_group_stickiness_config())
        .filter(|_| !single)
        .map(|s| (s.enabled().unwrap_or(false), s.duration_seconds()));
    Some((
        index,
        Forward {
            groups,
            stickiness,
            single,
        },
    ))
}

/// `actions` with the forward at `index` replaced by `forward`.
fn with_forward(actions: &[Action], index: usize, forward: &Forward) -> Vec<Action> {
    let order = actions[index].order();
    let mut action = Action::builder()
        .r#type(ActionTypeEnum::Forward)
        .set_order(order);
    action = if forward.single {
        action.target_group_arn(forward.groups[0].0.clone())
    } else {
        let mut config = ForwardActionConfig::builder().set_target_groups(Some(
            forward
                .groups
                .iter()
                .map(|(arn, weight)| {
                    TargetGroupTuple::builder()
                        .target_group_arn(arn)
                        .set_weight(*weight)
                        .build()
                })
                .collect(),
        ));
        if let Some((enabled, seconds)) = forward.stickiness {
            config = config.target_group_stickiness_config(
                TargetGroupStickinessConfig::builder()
                    .enabled(enabled)
                    .set_duration_seconds(seconds)
                    .build(),
            );
        }
        action.forward_config(config.build())
    };
    let mut out = actions.to_vec();
    out[index] = action.build();
    out
}

/// One rule or listener default action.
enum Route<'a> {
    Rule(&'a str),
    Listener(&'a str),
}

impl Route<'_> {
    fn arn(&self) -> &str {
        match self {
            Route::Rule(arn) | Route::Listener(arn) => arn,
        }
    }
}

async fn read_actions(elb: &Client, route: &Route<'_>) -> Result<Vec<Action>, String> {
    match route {
        Route::Rule(arn) => {
            let out = elb
                .describe_rules()
                .rule_arns(*arn)
                .send()
                .await
                .map_err(|e| {
                    format!(
                        "elasticloadbalancing:DescribeRules {arn}: {}",
                        describe_error(&e)
                    )
                })?;
            Ok(out
                .rules()
                .first()
                .map(|r| r.actions().to_vec())
                .unwrap_or_default())
        }
        Route::Listener(arn) => {
            let out = elb
                .describe_listeners()
                .listener_arns(*arn)
                .send()
                .await
                .map_err(|e| {
                    format!(
                        "elasticloadbalancing:DescribeListeners {arn}: {}",
                        describe_error(&e)
                    )
                })?;
            Ok(out
                .listeners()
                .first()
                .map(|l| l.default_actions().to_vec())
                .unwrap_or_default())
        }
    }
}

async fn write_actions(
    elb: &Client,
    route: &Route<'_>,
    actions: Vec<Action>,
) -> Result<(), String> {
    match route {
        Route::Rule(arn) => elb
            .modify_rule()
            .rule_arn(*arn)
            .set_actions(Some(actions))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| {
                format!(
                    "elasticloadbalancing:ModifyRule {arn}: {}",
                    describe_error(&e)
                )
            }),
        Route::Listener(arn) => elb
            .modify_listener()
            .listener_arn(*arn)
            .set_default_actions(Some(actions))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| {
                format!(
                    "elasticloadbalancing:ModifyListener {arn}: {}",
                    describe_error(&e)
                )
            }),
    }
}

async fn read_memory(elb: &Client, arn: &str) -> Result<Option<String>, String> {
    let out = elb
        .describe_tags()
        .resource_arns(arn)
        .send()
        .await
        .map_err(|e| {
            format!(
                "elasticloadbalancing:DescribeTags {arn}: {}",
                describe_error(&e)
            )
        })?;
    Ok(out
        .tag_descriptions()
        .iter()
        .flat_map(|d| d.tags())
        .find(|t| t.key() == Some(ROUTE_MEMORY_TAG))
        .and_then(|t| t.value().map(str::to_string)))
}

/// The wake target group's ARN, found by its name.
async fn wake_group_arn(elb: &Client, name: &str) -> Result<String, String> {
    let out = elb
        .describe_target_groups()
        .names(name)
        .send()
        .await
        .map_err(|e| {
            format!(
                "elasticloadbalancing:DescribeTargetGroups {name}: {}",
                describe_error(&e)
            )
        })?;
    out.target_groups()
        .first()
        .and_then(|g| g.target_group_arn())
        .map(str::to_string)
        .ok_or_else(|| format!("the wake target group {name} does not exist"))
}

/// Points one route at the wake group (remembering the original on it), or puts it back.
/// Level-triggered: a route already where it should be is left alone. True when its
/// actions were rewritten.
async fn move_route(
    elb: &Client,
    route: Route<'_>,
    wake_group: &str,
    direction: Direction,
) -> Result<bool, String> {
    let arn = route.arn().to_string();
    let actions = read_actions(elb, &route).await?;
    let Some((index, current)) = forward_of(&actions) else {
        return Err(format!(
            "{arn} no longer forwards anywhere: it is left as it is"
        ));
    };
    let is_asleep = current.groups.iter().any(|(g, _)| g == wake_group);
    match direction {
        Direction::Asleep if is_asleep => Ok(false),
        Direction::Asleep => {
            let (written, memory) =
                asleep(&current, wake_group).map_err(|e| format!("{arn}: {e}"))?;
            // The memory first: a rewrite is never without what puts it back.
            elb.add_tags()
                .resource_arns(&arn)
                .tags(
                    Tag::builder()
                        .key(ROUTE_MEMORY_TAG)
                        .value(memory.encode())
                        .build(),
                )
                .send()
                .await
                .map_err(|e| {
                    format!("elasticloadbalancing:AddTags {arn}: {}", describe_error(&e))
                })?;
            write_actions(elb, &route, with_forward(&actions, index, &written)).await?;
            Ok(true)
        }
        Direction::Back => {
            let memory = read_memory(elb, &arn).await?;
            let remembered = memory.is_some();
            if is_asleep {
                let memory = memory.ok_or_else(|| {
                    format!("{arn} forwards to the wake target group but has no {ROUTE_MEMORY_TAG} tag: it is left as it is")
                })?;
                let memory = Memory::decode(&memory).map_err(|e| format!("{arn}: {e}"))?;
                let original = restored(&current, &memory, wake_group)
                    .map_err(|e: RouteError| format!("{arn}: {e}"))?;
                write_actions(elb, &route, with_forward(&actions, index, &original)).await?;
            }
            if remembered {
                elb.remove_tags()
                    .resource_arns(&arn)
                    .tag_keys(ROUTE_MEMORY_TAG)
                    .send()
                    .await
                    .map_err(|e| {
                        format!(
                            "elasticloadbalancing:RemoveTags {arn}: {}",
                            describe_error(&e)
                        )
                    })?;
            }
            Ok(is_asleep)
        }
    }
}

/// Moves every route of `target`; the first failure is the service's reason (the others are
/// still tried). True when any route was rewritten (false: all were where they should be,
/// as when another request put them back first).
pub async fn move_routes(
    elb: &Client,
    target: &WakeTarget,
    direction: Direction,
) -> Result<bool, String> {
    let wake_group = wake_group_arn(elb, &target.group).await?;
    move_routes_with(elb, target, &wake_group, direction).await
}

/// [`move_routes`] with the wake group's ARN already read (teardown reads it to know the
/// group is still there).
pub async fn move_routes_with(
    elb: &Client,
    target: &WakeTarget,
    wake_group: &str,
    direction: Direction,
) -> Result<bool, String> {
    let routes = target
        .rules
        .iter()
        .map(|r| Route::Rule(r))
        .chain(target.listeners.iter().map(|l| Route::Listener(l)));
    let mut failure = None;
    let mut moved = false;
    for route in routes {
        match move_route(elb, route, wake_group, direction).await {
            Ok(rewritten) => moved |= rewritten,
            Err(e) => {
                tracing::warn!(service = %target.service, reason = %e, "wake route");
                failure.get_or_insert(e);
            }
        }
    }
    failure.map_or(Ok(moved), Err)
}

/// After a run: each woken service's routes follow it. Returns each failure as
/// `(resource id, reason)`.
pub async fn after_run(
    elb: &Client,
    targets: &[WakeTarget],
    report: &Report,
) -> Vec<(String, String)> {
    let mut failures = Vec::new();
    for (target, direction) in directions(report, targets) {
        match move_routes(elb, target, direction).await {
            Ok(_) => {
                tracing::info!(service = %target.service, direction = ?direction, "wake routes")
            }
            Err(reason) => failures.push((format!("service/{}", target.service), reason)),
        }
    }
    failures
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{ServiceOutcome, Summary};

    fn report(action: RunAction, lines: &[(&str, RunAction, Outcome)], dry_run: bool) -> Report {
        let services: Vec<ServiceOutcome> = lines
            .iter()
            .map(|(id, action, outcome)| ServiceOutcome {
                resource_id: id.to_string(),
                action: *action,
                outcome: *outcome,
                before: None,
                after: None,
                desired_before: None,
                desired_after: None,
                remembered: None,
                reason: None,
            })
            .collect();
        Report {
            action,
            dry_run,
            scheduled_time: None,
            schedule: None,
            summary: Summary::of(&services),
            services,
            selectors: Vec::new(),
            wave: None,
        }
    }

    fn target(service: &str) -> WakeTarget {
        WakeTarget {
            service: service.into(),
            group: "wt-wake-0".into(),
            idle_minutes: 60,
            capacity: None,
            rules: vec!["rule".into()],
            listeners: Vec::new(),
        }
    }

    #[test]
    fn routes_follow_a_woken_service_down_and_up_but_not_a_held_failed_or_dry_one() {
        let targets = [target("prod/web"), target("prod/admin"), target("prod/api")];
        let night = report(
            RunAction::ScaleIn,
            &[
                ("service/prod/web", RunAction::ScaleIn, Outcome::Changed),
                ("service/prod/admin", RunAction::ScaleIn, Outcome::Held),
                ("service/prod/api", RunAction::ScaleIn, Outcome::Failed),
                ("service/prod/other", RunAction::ScaleIn, Outcome::Changed),
            ],
            false,
        );
        let moves: Vec<(&str, Direction)> = directions(&night, &targets)
            .into_iter()
            .map(|(t, d)| (t.service.as_str(), d))
            .collect();
        assert_eq!(moves, vec![("prod/web", Direction::Asleep)]);
        let morning = report(
            RunAction::ScaleOut,
            &[("service/prod/web", RunAction::ScaleOut, Outcome::Unchanged)],
            false,
        );
        assert_eq!(directions(&morning, &targets)[0].1, Direction::Back);
        let reconcile = report(
            RunAction::Reconcile,
            &[
                ("service/prod/web", RunAction::Reconcile, Outcome::Drift),
                (
                    "service/prod/admin",
                    RunAction::Reconcile,
                    Outcome::Unchanged,
                ),
            ],
            false,
        );
        let moves = directions(&reconcile, &targets);
        assert_eq!(moves.len(), 1, "only the drift taken down");
        assert_eq!(moves[0].1, Direction::Asleep);
        let dry = report(
            RunAction::ScaleIn,
            &[("service/prod/web", RunAction::ScaleIn, Outcome::WouldChange)],
            true,
        );
        assert!(directions(&dry, &targets).is_empty());
    }

    const API: &str = "arn:aws:elasticloadbalancing:r:1:targetgroup/api/1";
    const WAKE: &str = "arn:aws:elasticloadbalancing:r:1:targetgroup/wt-wake-0/2";

    fn plain() -> Action {
        // As AWS describes a plain forward: TargetGroupArn and a ForwardConfig of it.
        Action::builder()
            .r#type(ActionTypeEnum::Forward)
            .target_group_arn(API)
            .order(1)
            .forward_config(
                ForwardActionConfig::builder()
                    .target_groups(
                        TargetGroupTuple::builder()
                            .target_group_arn(API)
                            .weight(1)
                            .build(),
                    )
                    .build(),
            )
            .build()
    }

    #[test]
    fn a_plain_forward_round_trips_through_the_sdk_form_keeping_other_actions_and_order() {
        let auth = Action::builder()
            .r#type(ActionTypeEnum::AuthenticateOidc)
            .order(0)
            .build();
        let actions = vec![auth.clone(), plain()];
        let (index, original) = forward_of(&actions).unwrap();
        assert_eq!(index, 1);
        assert!(original.single);
        let (written, memory) = asleep(&original, WAKE).unwrap();
        let night = with_forward(&actions, index, &written);
        assert_eq!(night[0], auth);
        assert_eq!(night[1].order(), Some(1));
        let (_, read_back) = forward_of(&night).unwrap();
        assert_eq!(read_back, written);
        let back = with_forward(&night, index, &restored(&read_back, &memory, WAKE).unwrap());
        assert_eq!(back[1].target_group_arn(), Some(API));
        assert_eq!(back[1].forward_config(), None);
    }
}
