//! The stack as one template for a CloudFormation stack set, and each instance's parameter
//! values.

use worktime_cfn::{Parameter, Template};

use super::assemble;
use super::error::TemplateError;
use super::ids::{self, check_names, MAX_ENVIRONMENT_BYTES, MAX_PARAMETER_BYTES};
use super::values::{
    allowed_selectors, allowed_services, service_arn_patterns, trigger_input, trigger_specs,
    trigger_text, trigger_texts, TargetValues, STACKSET_TRIGGER_PARAMETERS,
};
use crate::config::{Fleet, ScheduleRef, StackConfig, StackSetPermissions, Trigger};
use worktime_lambda::Action;

/// The worktime stack as one template for a CloudFormation stack set: the zone, the trigger
/// expressions and payloads and the service ARNs come in as parameters, which
/// [`stackset_parameters`] computes for each stack instance. Every target must share one
/// trigger kind ([`stackset_trigger`]).
pub fn build_for_stackset(fleet: &Fleet) -> Result<Template, TemplateError> {
    let trigger = stackset_trigger(fleet)?;
    if let Some(name) = fleet.home.schedules.keys().next() {
        return Err(TemplateError::NamedSchedulesInStackSet { name: name.clone() });
    }
    if fleet.home.schedule.notice.is_some()
        || fleet.accounts.iter().any(|a| a.schedule.notice.is_some())
    {
        return Err(TemplateError::NoticeInStackSet);
    }
    if fleet.home.wakes_on_request() {
        return Err(TemplateError::WakeInStackSet);
    }
    if let Some(account) = fleet
        .accounts
        .iter()
        .find(|a| a.notify != fleet.home.notify)
    {
        return Err(TemplateError::NotifyOverrideInStackSet {
            account: account.id.clone(),
        });
    }
    for region in fleet.stackset_regions() {
        check_names(&fleet.home, &region)?;
    }
    let description = format!(
        "worktime (stack set): keeps ECS services running only during working hours, scaled \
         by a Lambda function through Application Auto Scaling, triggered by {}; each stack \
         instance gets its account's zone, schedule and services as parameters.",
        trigger_text(trigger)
    );
    // Instances in accounts not known in advance (organizational units) name their own.
    let own_account = matches!(
        fleet.stacksets.as_ref().map(|s| &s.permissions),
        Some(StackSetPermissions::ServiceManaged { .. })
    );
    // The template's policy covers every target's clusters (each instance's ARN parameter
    // narrows the services to its own).
    let targets: Vec<StackConfig> = fleet
        .accounts
        .iter()
        .map(|a| fleet.for_target(a, &fleet.home.stack.region))
        .collect();
    let configs: Vec<&StackConfig> = std::iter::once(&fleet.home).chain(&targets).collect();
    let reconcile = stackset_reconcile(fleet)?;
    let values = TargetValues::parameters(&fleet.home, &configs, own_account, reconcile);
    let mut t = assemble(&fleet.home, &values, description);
    t.parameter(
        ids::SCHEDULE_TIMEZONE,
        Parameter {
            min_length: Some(1),
            ..Parameter::string(
                "IANA time zone of this account's working hours (the function's default zone; the schedules' zone).",
            )
        },
    );
    let specs = trigger_specs(&fleet.home.stack.name, None);
    for (spec, (expression_parameter, _)) in specs.iter().zip(STACKSET_TRIGGER_PARAMETERS) {
        let zone_note = match trigger {
            Trigger::Rules => "an EventBridge rule cron in UTC",
            Trigger::Scheduler => "an EventBridge Scheduler cron in ScheduleTimezone",
        };
        t.parameter(
            expression_parameter,
            Parameter {
                allowed_pattern: Some("^cron\\(.+\\)$".into()),
                constraint_description: Some("an AWS cron expression: cron(...)".into()),
                ..Parameter::string(format!("{}: {zone_note}.", spec.verb))
            },
        );
    }
    for (spec, (_, input_parameter)) in specs.iter().zip(STACKSET_TRIGGER_PARAMETERS) {
        t.parameter(
            input_parameter,
            Parameter {
                min_length: Some(2),
                max_length: Some(MAX_PARAMETER_BYTES as u32),
                ..Parameter::string(format!(
                    "The {} trigger's input: the payload (JSON) with the placeholder EventBridge fills with the scheduled time.",
                    spec.action
                ))
            },
        );
    }
    if reconcile.is_some() {
        t.parameter(
            ids::RECONCILE_INPUT,
            Parameter {
                min_length: Some(2),
                max_length: Some(MAX_PARAMETER_BYTES as u32),
                ..Parameter::string(
                    "The reconcile trigger's input: the payload (JSON) with the placeholder EventBridge fills with the scheduled time.",
                )
            },
        );
    }
    t.parameter(
        ids::ALLOWED_SERVICES,
        // Empty for an account whose services are all chosen by tag selectors.
        Parameter {
            max_length: Some(MAX_ENVIRONMENT_BYTES as u32),
            ..Parameter::string(
                "The ECS services the function may scale by name: cluster/service, comma-separated (empty when tag selectors choose them all).",
            )
        },
    );
    t.parameter(
        ids::ALLOWED_SELECTORS,
        Parameter {
            default: Some("[]".into()),
            min_length: Some(2),
            max_length: Some(MAX_ENVIRONMENT_BYTES as u32),
            ..Parameter::string(
                "The tag selectors the function may resolve: a JSON array of {cluster, tag} ([]: none).",
            )
        },
    );
    if !own_account {
        t.parameter(
            ids::SERVICE_ARN_PATTERNS,
            Parameter {
                type_name: "CommaDelimitedList".into(),
                ..Parameter::string(
                    "ECS service ARN patterns the function may scale: arn:<partition>:ecs:<region>:<account>:service/<cluster>/*",
                )
            },
        );
    }
    Ok(t)
}

/// How often every instance of a stack set reconciles (`None`: never): the home schedule's
/// and every account's, which must agree.
pub fn stackset_reconcile(fleet: &Fleet) -> Result<Option<u32>, TemplateError> {
    let home = fleet.home.schedule.reconcile_minutes;
    let minutes = |m: Option<u32>| m.unwrap_or(0);
    match fleet
        .accounts
        .iter()
        .find(|a| a.schedule.reconcile_minutes != home)
    {
        None => Ok(home),
        Some(other) => Err(TemplateError::MixedReconcile {
            first: "[schedule]".into(),
            first_minutes: minutes(home),
            other: format!("account {}", other.id),
            other_minutes: minutes(other.schedule.reconcile_minutes),
        }),
    }
}

/// The trigger kind every instance of a stack set shares (one template serves them all):
/// the accounts' own, which must agree, or the top-level one when there are no accounts.
pub fn stackset_trigger(fleet: &Fleet) -> Result<Trigger, TemplateError> {
    let mut accounts = fleet.accounts.iter();
    let Some(first) = accounts.next() else {
        return Ok(fleet.home.schedule.trigger);
    };
    match accounts.find(|a| a.schedule.trigger != first.schedule.trigger) {
        None => Ok(first.schedule.trigger),
        Some(other) => Err(TemplateError::MixedTriggers {
            first_account: first.id.clone(),
            first: first.schedule.trigger.as_str(),
            account: other.id.clone(),
            other: other.schedule.trigger.as_str(),
        }),
    }
}

/// The parameter values of one stack instance, all but the code location: the values
/// [`build`] writes into `target`'s own template. `account` is the instance's account id,
/// or `None` where instances go to accounts not known in advance (organizational units: the
/// template names each instance's own account, and there is no ARN parameter).
pub fn stackset_parameters(
    target: &StackConfig,
    account: Option<&str>,
) -> Result<Vec<(&'static str, String)>, TemplateError> {
    let default = ScheduleRef {
        name: None,
        schedule: &target.schedule,
    };
    let [out, into] = trigger_texts(target, default)?;
    let region = &target.stack.region;
    let mut values = vec![
        (
            ids::SCHEDULE_TIMEZONE,
            target.schedule.timezone.name().to_string(),
        ),
        (ids::SCALE_OUT_EXPRESSION, out.expression),
        (ids::SCALE_IN_EXPRESSION, into.expression),
        (ids::SCALE_OUT_INPUT, out.input),
        (ids::SCALE_IN_INPUT, into.input),
        (ids::ALLOWED_SERVICES, allowed_services(target)?),
    ];
    values.push((
        ids::ALLOWED_SELECTORS,
        allowed_selectors(target)?.unwrap_or_else(|| "[]".to_string()),
    ));
    if target.schedule.reconcile_minutes.is_some() {
        values.push((
            ids::RECONCILE_INPUT,
            trigger_input(target, Action::Reconcile, None)?,
        ));
    }
    if let Some(account) = account {
        let service_arns = service_arn_patterns(target, account);
        values.push((ids::SERVICE_ARN_PATTERNS, service_arns.join(",")));
    }
    if let Some((parameter, value)) = values.iter().find(|(_, v)| v.len() > MAX_PARAMETER_BYTES) {
        return Err(TemplateError::ParameterTooLarge {
            parameter,
            target: format!("{}/{region}", account.unwrap_or("*")),
            size: value.len(),
            limit: MAX_PARAMETER_BYTES,
        });
    }
    Ok(values)
}
