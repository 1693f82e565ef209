//! What differs between targets: each schedule's two triggers (expressions and payloads),
//! the zone, the service ARNs and the allow-lists, as literal values (one stack) or parameter
//! references (a stack set).

use std::collections::BTreeSet;

use worktime_cfn::Expr;
use worktime_lambda::{Action, AllowedSelectorEntry, ClusterScope};

use super::error::TemplateError;
use super::ids::{self, MAX_ENVIRONMENT_BYTES, MAX_INPUT_CHARS};
use crate::config::{ids::pascal_case, ScheduleRef, StackConfig, Trigger, DEFAULT_SCHEDULE};
use crate::cron::AwsCron;

/// One trigger's names and logical ids: those of `[schedule]`, or with the schedule's name
/// (`<stack>-<name>-scale-out`, `ScaleOutRule<Name>`).
pub(super) struct TriggerSpec {
    pub(super) action: Action,
    /// The rule's or schedule's name.
    pub(super) name: String,
    pub(super) rule_id: String,
    pub(super) permission_id: String,
    pub(super) schedule_id: String,
    pub(super) output_id: String,
    pub(super) verb: String,
}

/// The stack set parameters holding the scale-out and scale-in triggers' schedule expression
/// and payload (stack sets deploy `[schedule]`'s two scaling triggers only).
pub(super) const STACKSET_TRIGGER_PARAMETERS: [(&str, &str); 2] = [
    (ids::SCALE_OUT_EXPRESSION, ids::SCALE_OUT_INPUT),
    (ids::SCALE_IN_EXPRESSION, ids::SCALE_IN_INPUT),
];

fn spec(action: Action, name: String, suffix: &str, ids: [&str; 4], verb: String) -> TriggerSpec {
    TriggerSpec {
        action,
        name,
        rule_id: format!("{}{suffix}", ids[0]),
        permission_id: format!("{}{suffix}", ids[1]),
        schedule_id: format!("{}{suffix}", ids[2]),
        output_id: format!("{}{suffix}", ids[3]),
        verb,
    }
}

/// Both scaling triggers of schedule `name` (`None`: `[schedule]`), scale-out first.
pub(super) fn trigger_specs(stack: &str, name: Option<&str>) -> [TriggerSpec; 2] {
    let suffix = name.map(pascal_case).unwrap_or_default();
    let [out_name, in_name] = ids::trigger_names(stack, name);
    [
        spec(
            Action::ScaleOut,
            out_name,
            &suffix,
            [
                ids::SCALE_OUT_RULE,
                ids::SCALE_OUT_PERMISSION,
                ids::SCALE_OUT_SCHEDULE,
                ids::OUT_SCALE_OUT_TRIGGER,
            ],
            "Scale out (working hours begin)".into(),
        ),
        spec(
            Action::ScaleIn,
            in_name,
            &suffix,
            [
                ids::SCALE_IN_RULE,
                ids::SCALE_IN_PERMISSION,
                ids::SCALE_IN_SCHEDULE,
                ids::OUT_SCALE_IN_TRIGGER,
            ],
            "Scale in to 0/0 (working hours end)".into(),
        ),
    ]
}

/// The notice trigger of schedule `name`, `minutes` before its scale-in.
pub(super) fn notice_spec(stack: &str, name: Option<&str>, minutes: u32) -> TriggerSpec {
    let suffix = name.map(pascal_case).unwrap_or_default();
    spec(
        Action::Notice,
        ids::notice_name(stack, name),
        &suffix,
        [
            ids::NOTICE_RULE,
            ids::NOTICE_PERMISSION,
            ids::NOTICE_SCHEDULE,
            ids::OUT_NOTICE_TRIGGER,
        ],
        format!("Notice {minutes} minutes before scale-in"),
    )
}

/// The reconcile trigger of schedule `name`.
pub(super) fn reconcile_spec(stack: &str, name: Option<&str>) -> TriggerSpec {
    let suffix = name.map(pascal_case).unwrap_or_default();
    spec(
        Action::Reconcile,
        ids::reconcile_name(stack, name),
        &suffix,
        [
            ids::RECONCILE_RULE,
            ids::RECONCILE_PERMISSION,
            ids::RECONCILE_SCHEDULE,
            ids::OUT_RECONCILE_TRIGGER,
        ],
        "Reconcile (converge on what the schedule says now)".into(),
    )
}

/// The reconcile trigger's expression: a rate, the same for rules and Scheduler.
pub(super) fn reconcile_expression(minutes: u32) -> String {
    format!("rate({minutes} minutes)")
}

/// One trigger's values as text: the schedule expression the trigger takes (UTC for
/// rules, local time for the scheduler), the payload, and the schedule in words.
pub(super) struct TriggerText {
    pub(super) expression: String,
    pub(super) input: String,
    pub(super) when: String,
}

/// Both scaling triggers' values of one schedule of `config` (scale-out first), checked:
/// payload size, and the conversion to UTC for rules.
pub(super) fn trigger_texts(
    config: &StackConfig,
    schedule: ScheduleRef<'_>,
) -> Result<[TriggerText; 2], TemplateError> {
    Ok([
        trigger_text_of(
            config,
            schedule,
            Action::ScaleOut,
            &schedule.schedule.scale_out,
        )?,
        trigger_text_of(
            config,
            schedule,
            Action::ScaleIn,
            &schedule.schedule.scale_in,
        )?,
    ])
}

/// One trigger's values: `cron` (in the schedule's zone) and the payload for `action`.
fn trigger_text_of(
    config: &StackConfig,
    schedule: ScheduleRef<'_>,
    action: Action,
    cron: &AwsCron,
) -> Result<TriggerText, TemplateError> {
    let zone = schedule.schedule.timezone.name();
    let input = trigger_input(config, action, schedule.name)?;
    let (expression, when) = match schedule.schedule.trigger {
        Trigger::Rules => {
            let utc = schedule
                .schedule
                .to_utc(cron)
                .map_err(|source| TemplateError::Cron {
                    action,
                    cron: cron.to_string(),
                    timezone: zone.to_string(),
                    source,
                })?;
            (utc.to_string(), format!("at {cron} {zone} ({utc} UTC)"))
        }
        Trigger::Scheduler => (cron.to_string(), format!("at {cron} {zone}")),
    };
    Ok(TriggerText {
        expression,
        input,
        when,
    })
}

/// One trigger as deployed: its names, expression, payload and schedule in words.
pub(super) struct TriggerValues {
    pub(super) spec: TriggerSpec,
    pub(super) expression: Expr,
    pub(super) input: Expr,
    pub(super) when: String,
}

/// One schedule's pair of triggers.
pub(super) struct ScheduleValues {
    pub(super) kind: Trigger,
    pub(super) timezone: Expr,
    /// Scale-out, scale-in, and the notice when the schedule warns.
    pub(super) triggers: Vec<TriggerValues>,
    /// Its state machine, when its scale-in and scale-out run in waves; `None`: the triggers
    /// invoke the function directly.
    pub(super) waves: Option<WavesValues>,
}

/// A schedule's wave state machine: its logical ids and name.
pub(super) struct WavesValues {
    pub(super) machine_id: String,
    pub(super) machine_name: String,
    pub(super) output_id: String,
    /// The schedule as people call it (`default` for `[schedule]`).
    pub(super) label: String,
}

impl WavesValues {
    fn of(stack: &str, name: Option<&str>) -> Self {
        let suffix = name.map(pascal_case).unwrap_or_default();
        WavesValues {
            machine_id: format!("{}{suffix}", ids::WAVES_STATE_MACHINE),
            machine_name: ids::state_machine_name(stack, name),
            output_id: format!("{}{suffix}", ids::OUT_WAVES_STATE_MACHINE),
            label: name.unwrap_or(DEFAULT_SCHEDULE).to_string(),
        }
    }
}

/// What differs between targets (account, region): written into the template (`build`: one
/// stack per target) or referenced as parameters (`build_for_stackset`: each stack instance
/// fills them in). Everything else is the same for every target.
pub(super) struct TargetValues {
    /// The function's default zone (`[schedule]`'s).
    pub(super) timezone: Expr,
    /// Each schedule in use, `[schedule]` first.
    pub(super) schedules: Vec<ScheduleValues>,
    /// Their names (`default` for `[schedule]`), for `WORKTIME_SCHEDULES`.
    pub(super) schedule_names: Vec<String>,
    /// Resources of the function's ECS statements.
    pub(super) service_arns: Vec<Expr>,
    /// The function's allow-list (`WORKTIME_ALLOWED_SERVICES`): the only services by name it
    /// touches, whatever a payload names.
    pub(super) allowed_services: Expr,
    /// The selectors it may resolve (`WORKTIME_ALLOWED_SELECTORS`), when there are any.
    pub(super) allowed_selectors: Option<Expr>,
    /// What listing services for selectors needs.
    pub(super) listing: Listing,
}

/// The clusters whose services the function lists to resolve selectors.
pub(super) enum Listing {
    None,
    /// `ecs:ListServices` conditioned on these cluster ARNs.
    Clusters(Vec<Expr>),
    /// Every cluster of the region (a `"*"` selector): `ecs:ListClusters` too.
    All,
}

impl TargetValues {
    pub(super) fn literal(config: &StackConfig) -> Result<Self, TemplateError> {
        let mut schedules = Vec::new();
        for schedule in config.schedules_in_use() {
            let texts = trigger_texts(config, schedule)?;
            let specs = trigger_specs(&config.stack.name, schedule.name);
            let mut triggers: Vec<TriggerValues> = specs
                .into_iter()
                .zip(texts)
                .map(|(spec, text)| TriggerValues::literal(spec, text))
                .collect();
            if let Some(notice) = &schedule.schedule.notice {
                let text = trigger_text_of(config, schedule, Action::Notice, &notice.cron)?;
                let spec = notice_spec(&config.stack.name, schedule.name, notice.minutes);
                triggers.push(TriggerValues::literal(spec, text));
            }
            if let Some(minutes) = schedule.schedule.reconcile_minutes {
                let text = TriggerText {
                    expression: reconcile_expression(minutes),
                    input: trigger_input(config, Action::Reconcile, schedule.name)?,
                    when: format!("every {minutes} minutes"),
                };
                let spec = reconcile_spec(&config.stack.name, schedule.name);
                triggers.push(TriggerValues::literal(spec, text));
            }
            schedules.push(ScheduleValues {
                kind: schedule.schedule.trigger,
                timezone: Expr::str(schedule.schedule.timezone.name()),
                triggers,
                waves: config
                    .runs_in_waves(schedule.name)
                    .then(|| WavesValues::of(&config.stack.name, schedule.name)),
            });
        }
        let allowed = allowed_services(config)?;
        let selectors = allowed_selectors(config)?;
        Ok(TargetValues {
            timezone: Expr::str(config.schedule.timezone.name()),
            schedules,
            schedule_names: config
                .schedules_in_use()
                .iter()
                .map(|s| s.label().to_string())
                .collect(),
            service_arns: own_account_service_arns(&[config]),
            allowed_services: Expr::str(allowed),
            allowed_selectors: selectors.map(Expr::str),
            listing: listing(&[config]),
        })
    }

    /// The stack set's values: parameters; the service ARNs too, unless `own_account` (a
    /// service-managed stack set, whose instances' accounts are not known in advance and
    /// share the home config's services): then each instance's own account, in the template.
    /// `configs` are every target's stack (the selectors' clusters the policy lists).
    /// `reconcile_minutes`: every instance's (they agree), with the payload a parameter.
    pub(super) fn parameters(
        home: &StackConfig,
        configs: &[&StackConfig],
        own_account: bool,
        reconcile_minutes: Option<u32>,
    ) -> Self {
        let mut triggers: Vec<TriggerValues> = trigger_specs(&home.stack.name, None)
            .into_iter()
            .zip(STACKSET_TRIGGER_PARAMETERS)
            .map(|(spec, (expression, input))| TriggerValues {
                expression: Expr::reference(expression),
                input: Expr::reference(input),
                spec,
                when: format!("at the time of the {expression} parameter"),
            })
            .collect();
        if let Some(minutes) = reconcile_minutes {
            triggers.push(TriggerValues {
                spec: reconcile_spec(&home.stack.name, None),
                expression: Expr::str(reconcile_expression(minutes)),
                input: Expr::reference(ids::RECONCILE_INPUT),
                when: format!("every {minutes} minutes"),
            });
        }
        TargetValues {
            timezone: Expr::reference(ids::SCHEDULE_TIMEZONE),
            schedules: vec![ScheduleValues {
                kind: home.schedule.trigger,
                timezone: Expr::reference(ids::SCHEDULE_TIMEZONE),
                triggers,
                // Validation refuses waves and [[capacity]] with [stacksets].
                waves: None,
            }],
            schedule_names: vec![DEFAULT_SCHEDULE.to_string()],
            service_arns: if own_account {
                own_account_service_arns(configs)
            } else {
                // A CommaDelimitedList is a list: the statement's Resource is the reference
                // itself.
                vec![Expr::reference(ids::SERVICE_ARN_PATTERNS)]
            },
            allowed_services: Expr::reference(ids::ALLOWED_SERVICES),
            // Always a parameter: one template serves accounts with and without selectors.
            allowed_selectors: Some(Expr::reference(ids::ALLOWED_SELECTORS)),
            listing: listing(configs),
        }
    }
}

impl TriggerValues {
    fn literal(spec: TriggerSpec, text: TriggerText) -> Self {
        TriggerValues {
            spec,
            expression: Expr::str(text.expression),
            input: Expr::str(text.input),
            when: text.when,
        }
    }
}

/// The ECS cluster scopes the configs act in: named clusters, or every cluster (`None`).
fn cluster_scopes(configs: &[&StackConfig]) -> Option<BTreeSet<String>> {
    let mut names = BTreeSet::new();
    for config in configs {
        if config
            .selectors
            .iter()
            .any(|s| s.cluster == ClusterScope::All)
        {
            return None;
        }
        names.extend(clusters(config).into_iter().map(str::to_string));
    }
    Some(names)
}

/// Which clusters the function lists services in.
fn listing(configs: &[&StackConfig]) -> Listing {
    let mut clusters = BTreeSet::new();
    for config in configs {
        for selector in &config.selectors {
            match &selector.cluster {
                ClusterScope::All => return Listing::All,
                ClusterScope::Named(name) => {
                    clusters.insert(name.clone());
                }
            }
        }
    }
    if clusters.is_empty() {
        return Listing::None;
    }
    Listing::Clusters(
        clusters
            .into_iter()
            .map(|cluster| {
                Expr::sub(format!(
                    "arn:${{AWS::Partition}}:ecs:${{AWS::Region}}:${{AWS::AccountId}}:cluster/{cluster}"
                ))
            })
            .collect(),
    )
}

/// The ECS service ARN patterns of the configs' clusters in the stack's own account and
/// region (every cluster's services for a `"*"` selector).
fn own_account_service_arns(configs: &[&StackConfig]) -> Vec<Expr> {
    let pattern = |cluster: &str| {
        Expr::sub(format!(
            "arn:${{AWS::Partition}}:ecs:${{AWS::Region}}:${{AWS::AccountId}}:service/{cluster}/*"
        ))
    };
    match cluster_scopes(configs) {
        None => vec![pattern("*")],
        Some(names) => names.iter().map(|c| pattern(c)).collect(),
    }
}

/// The service ARN patterns of `config` in `account` and `region`, as the stack set's
/// `ServiceArnPatterns` parameter takes them.
pub fn service_arn_patterns(config: &StackConfig, account: &str) -> Vec<String> {
    let region = &config.stack.region;
    let partition = partition(region);
    let pattern =
        |cluster: &str| format!("arn:{partition}:ecs:{region}:{account}:service/{cluster}/*");
    match cluster_scopes(&[config]) {
        None => vec![pattern("*")],
        Some(names) => names.iter().map(|c| pattern(c)).collect(),
    }
}

pub(super) fn trigger_text(trigger: Trigger) -> &'static str {
    match trigger {
        Trigger::Rules => "EventBridge rules",
        Trigger::Scheduler => "EventBridge Scheduler",
    }
}

/// The rule target's `InputTransformer` variable that carries the scheduled event's `time`.
pub(super) const TIME_VARIABLE: &str = "time";
/// The JSON path of the scheduled event's `time` (when the rule was scheduled to fire).
pub(super) const TIME_PATH: &str = "$.time";

/// What a trigger writes as the payload's `scheduled_time`: a rule's transformer puts the
/// event's `time` where `<time>` stands, as a JSON string (a placeholder in a value position
/// is replaced by the value as JSON); the Scheduler puts its context attribute's text where
/// `<aws.scheduler.scheduled-time>` stands, inside the quotes the template supplies.
fn scheduled_time_placeholder(trigger: Trigger) -> String {
    match trigger {
        Trigger::Rules => format!("<{TIME_VARIABLE}>"),
        Trigger::Scheduler => "\"<aws.scheduler.scheduled-time>\"".to_string(),
    }
}

/// What the trigger of `action` carries: the payload with `scheduled_time` filled in by
/// EventBridge at delivery (the rule's `InputTemplate`, or the schedule's `Input`), checked
/// against EventBridge's limit.
pub fn trigger_input(
    config: &StackConfig,
    action: Action,
    schedule: Option<&str>,
) -> Result<String, TemplateError> {
    let payload = payload(config, action, schedule)?;
    // The payload is a JSON object with at least `action`: add one more member.
    let body = payload.strip_suffix('}').unwrap_or(&payload);
    let text = format!(
        "{body},\"scheduled_time\":{}}}",
        scheduled_time_placeholder(config.schedule_named(schedule).trigger)
    );
    let size = text.chars().count();
    if size > MAX_INPUT_CHARS {
        return Err(TemplateError::PayloadTooLarge {
            action,
            size,
            limit: MAX_INPUT_CHARS,
        });
    }
    Ok(text)
}

/// The compact JSON a trigger sends for `action`, without its scheduled time (the caller
/// checks the size of the whole input).
fn payload(
    config: &StackConfig,
    action: Action,
    schedule: Option<&str>,
) -> Result<String, TemplateError> {
    serde_json::to_string(&config.scaling_event(action, schedule))
        .map_err(|source| TemplateError::Payload { action, source })
}

/// The distinct named clusters of services and selectors, in a stable order.
pub(super) fn clusters(config: &StackConfig) -> BTreeSet<&str> {
    let selected = config.selectors.iter().filter_map(|s| match &s.cluster {
        ClusterScope::Named(name) => Some(name.as_str()),
        ClusterScope::All => None,
    });
    config
        .services
        .iter()
        .map(|s| s.cluster.as_str())
        .chain(selected)
        .collect()
}

/// The AWS partition of a region code.
pub fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else if region.starts_with("us-isob-") {
        "aws-iso-b"
    } else if region.starts_with("us-iso-") {
        "aws-iso"
    } else {
        "aws"
    }
}

/// The function's allow-list as its environment takes it: `cluster/service`, comma-separated;
/// refused when it would not fit the function's environment.
pub(super) fn allowed_services(config: &StackConfig) -> Result<String, TemplateError> {
    let allowed = config
        .services
        .iter()
        .map(|s| format!("{}/{}", s.cluster, s.service))
        .collect::<Vec<_>>()
        .join(",");
    if allowed.len() > MAX_ENVIRONMENT_BYTES {
        return Err(TemplateError::AllowListTooLarge {
            size: allowed.len(),
            limit: MAX_ENVIRONMENT_BYTES,
        });
    }
    Ok(allowed)
}

/// The bytes the allow-lists take in the function's environment (a woken service's routes
/// share what is left).
pub(super) fn environment_bytes(config: &StackConfig) -> Result<usize, TemplateError> {
    Ok(allowed_services(config)?.len() + allowed_selectors(config)?.map_or(0, |s| s.len()))
}

/// The selector allow-list as the function's environment takes it (JSON, file order, with
/// each selector's schedule); `None` without selectors. Counted with the services' list
/// against the environment's limit.
pub(super) fn allowed_selectors(config: &StackConfig) -> Result<Option<String>, TemplateError> {
    if config.selectors.is_empty() {
        return Ok(None);
    }
    let entries: Vec<AllowedSelectorEntry> = config
        .selectors
        .iter()
        .map(|s| AllowedSelectorEntry {
            cluster: s.cluster.to_string(),
            tag: s.tag.to_string(),
            schedule: s.schedule.clone(),
        })
        .collect();
    let json = serde_json::to_string(&entries).unwrap_or_default();
    let size = json.len() + allowed_services(config)?.len();
    if size > MAX_ENVIRONMENT_BYTES {
        return Err(TemplateError::AllowListTooLarge {
            size,
            limit: MAX_ENVIRONMENT_BYTES,
        });
    }
    Ok(Some(json))
}
