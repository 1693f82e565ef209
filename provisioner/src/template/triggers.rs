//! Each schedule's two triggers: EventBridge rules with their invoke permissions, or
//! EventBridge Scheduler schedules with the role they assume (one role for all of them).

use indexmap::IndexMap;
use worktime_cfn::resources::{
    EventsRule, EventsTarget, FlexibleTimeWindow, InputTransformer, LambdaPermission, RetryPolicy,
    SchedulerSchedule, SchedulerTarget, TargetDeadLetterConfig,
};
use worktime_cfn::{Expr, Output, Resource, Template};

use super::ids::{self, TARGET_MAX_EVENT_AGE_SECONDS, TARGET_RETRY_ATTEMPTS};
use super::policy::scheduler_role;
use super::values::{ScheduleValues, TargetValues, TriggerValues, TIME_PATH, TIME_VARIABLE};
use crate::config::Trigger;
use worktime_lambda::Action;

/// Adds every schedule's triggers to `t`.
pub(super) fn add(t: &mut Template, stack: &str, values: &TargetValues) {
    if values
        .schedules
        .iter()
        .any(|s| s.kind == Trigger::Scheduler)
    {
        t.resource(ids::SCHEDULER_ROLE, scheduler_role(stack));
    }
    for schedule in &values.schedules {
        add_schedule(t, stack, schedule);
    }
}

fn add_schedule(t: &mut Template, stack: &str, schedule: &ScheduleValues) {
    let retry_policy = RetryPolicy {
        maximum_retry_attempts: TARGET_RETRY_ATTEMPTS,
        maximum_event_age_in_seconds: TARGET_MAX_EVENT_AGE_SECONDS,
    };
    for TriggerValues {
        spec,
        expression,
        input,
        when,
    } in &schedule.triggers
    {
        let name = Expr::str(&spec.name);
        let description = Some(format!("{stack} (worktime): {} {when}", spec.verb));
        // A scale-in or scale-out of a schedule that runs in waves starts its state machine
        // (with the role that may only start it); every other trigger invokes the function.
        let machine = match (&schedule.waves, spec.action) {
            (Some(waves), Action::ScaleIn | Action::ScaleOut) => Some(&waves.machine_id),
            _ => None,
        };
        match schedule.kind {
            Trigger::Rules => {
                t.resource(
                    &spec.rule_id,
                    Resource::new(EventsRule {
                        name: Some(name),
                        description,
                        schedule_expression: Some(expression.clone()),
                        state: Some("ENABLED".into()),
                        targets: vec![EventsTarget {
                            id: if machine.is_some() { "waves" } else { "scaler" }.into(),
                            arn: match machine {
                                Some(id) => Expr::reference(id),
                                None => Expr::get_att(ids::FUNCTION, "Arn"),
                            },
                            input: None,
                            input_transformer: Some(InputTransformer {
                                input_paths_map: IndexMap::from([(
                                    TIME_VARIABLE.to_string(),
                                    TIME_PATH.to_string(),
                                )]),
                                input_template: input.clone(),
                            }),
                            role_arn: machine.map(|_| Expr::get_att(ids::WAVES_START_ROLE, "Arn")),
                            retry_policy: Some(retry_policy),
                            dead_letter_config: None,
                        }],
                    }),
                );
                if machine.is_none() {
                    t.resource(
                        &spec.permission_id,
                        Resource::new(LambdaPermission {
                            action: "lambda:InvokeFunction".into(),
                            function_name: Expr::reference(ids::FUNCTION),
                            principal: "events.amazonaws.com".into(),
                            source_arn: Some(Expr::get_att(&spec.rule_id, "Arn")),
                            source_account: None,
                        }),
                    );
                }
                t.output(
                    &spec.output_id,
                    Output::new(
                        format!("EventBridge rule that triggers {}", spec.action),
                        Expr::reference(&spec.rule_id),
                    ),
                );
            }
            Trigger::Scheduler => {
                t.resource(
                    &spec.schedule_id,
                    Resource::new(SchedulerSchedule {
                        name: Some(name),
                        description,
                        group_name: None,
                        schedule_expression: expression.clone(),
                        schedule_expression_timezone: Some(schedule.timezone.clone()),
                        flexible_time_window: FlexibleTimeWindow::off(),
                        state: Some("ENABLED".into()),
                        target: SchedulerTarget {
                            arn: match machine {
                                Some(id) => Expr::reference(id),
                                None => Expr::get_att(ids::FUNCTION, "Arn"),
                            },
                            role_arn: match machine {
                                Some(_) => Expr::get_att(ids::WAVES_START_ROLE, "Arn"),
                                None => Expr::get_att(ids::SCHEDULER_ROLE, "Arn"),
                            },
                            input: Some(input.clone()),
                            retry_policy: Some(retry_policy),
                            dead_letter_config: Some(TargetDeadLetterConfig {
                                arn: Expr::get_att(ids::DEAD_LETTER_QUEUE, "Arn"),
                            }),
                        },
                    }),
                );
                t.output(
                    &spec.output_id,
                    Output::new(
                        format!(
                            "EventBridge Scheduler schedule that triggers {}",
                            spec.action
                        ),
                        Expr::reference(&spec.schedule_id),
                    ),
                );
            }
        }
    }
}
