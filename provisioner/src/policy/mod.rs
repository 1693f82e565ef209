//! `worktime policy`: the IAM policy a caller needs for a configuration, from the
//! permissions table (`table`: every call the CLI makes, declared where it is made) and what
//! CloudFormation does with the template's resources (`template::permissions`), scoped to
//! this stack's names (`resources`).

pub mod document;
pub mod plan;
mod resources;
mod rollout;
pub mod table;
mod text;

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::aws::calls::{Call, Cmd, Narrow, On};
use crate::config::{Fleet, StackConfig};
use crate::deploy::artifact::{stack_prefix, stack_set_prefix};
use crate::error::Result;
use crate::fleet::Engine;
use crate::template::{self, permissions::WORK};
use document::{PolicyDocument, Statement, MANAGED_POLICY_LIMIT};
pub use plan::PolicyPlan;
use resources::Scope;
use rollout::{administration_role, rollout_targets, target_roles};

/// Where the account id came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AccountSource {
    Flag,
    Sts,
    /// Neither `--account` nor STS: ARNs say `*` for the account.
    Unknown,
}

/// One printed policy: whose it is and the document.
#[derive(Debug, Clone, Serialize)]
pub struct NamedPolicy {
    /// `operator`, `execution-role`, `rollout-target`, `stackset-execution`.
    pub name: String,
    /// Who holds it, in words.
    pub holder: String,
    pub account: String,
    pub regions: Vec<String>,
    pub document: PolicyDocument,
    /// Characters without whitespace, as IAM counts them.
    pub size: usize,
}

/// What `worktime policy` prints.
#[derive(Debug, Clone, Serialize)]
pub struct PolicyReport {
    pub stack: String,
    pub account: String,
    pub account_source: AccountSource,
    pub commands: Vec<Cmd>,
    pub policies: Vec<NamedPolicy>,
    /// The table's rows for these commands (the SDK operations and the actions they need).
    pub calls: Vec<Call>,
    pub notes: Vec<String>,
}

/// One thing to grant before grouping.
struct Need {
    action: &'static str,
    on: On,
    narrow: Narrow,
    commands: BTreeSet<Cmd>,
    note: &'static str,
}

/// The rows for `commands`, relabelled (`as_command`) when a target does them for another
/// command (a rollout target bootstraps and deploys).
fn call_needs(commands: &BTreeSet<Cmd>, keep: impl Fn(&Call) -> bool) -> Vec<Need> {
    table::calls()
        .filter(|call| keep(call))
        .filter_map(|call| {
            let wanted: BTreeSet<Cmd> = call
                .commands
                .iter()
                .copied()
                .filter(|c| commands.contains(c))
                .collect();
            let action = call.action()?;
            (!wanted.is_empty()).then_some(Need {
                action,
                on: call.on,
                narrow: call.narrow,
                commands: wanted,
                note: call.note,
            })
        })
        .collect()
}

/// What CloudFormation does with the template's resource types, for `commands`: create and
/// update for bootstrap/deploy (and a rollout target), delete for those and teardown.
fn stack_work(config: &StackConfig, commands: &BTreeSet<Cmd>) -> Result<Vec<Need>> {
    let types: BTreeSet<&str> = template::build(config)?
        .resources
        .values()
        .map(|r| r.type_name())
        .collect();
    let change: BTreeSet<Cmd> = [Cmd::Bootstrap, Cmd::Deploy, Cmd::Rollout]
        .into_iter()
        .filter(|c| commands.contains(c))
        .collect();
    let delete: BTreeSet<Cmd> = [Cmd::Bootstrap, Cmd::Deploy, Cmd::Rollout, Cmd::Teardown]
        .into_iter()
        .filter(|c| commands.contains(c))
        .collect();
    let mut needs = Vec::new();
    for work in WORK.iter().filter(|w| types.contains(w.resource_type)) {
        for (actions, commands) in [(work.change, &change), (work.delete, &delete)] {
            if commands.is_empty() {
                continue;
            }
            needs.extend(actions.iter().map(|action| Need {
                action,
                on: work.on,
                narrow: work.narrow,
                commands: commands.clone(),
                note: if work.on == On::Any {
                    "kms:CreateKey has no resource type: only a key created with the stack's tag"
                } else {
                    ""
                },
            }));
        }
    }
    Ok(needs)
}

fn on_words(on: On) -> &'static str {
    match on {
        On::Any => "any",
        On::Stack => "stack",
        On::StackSet => "stack set",
        On::ArtifactBucket => "artifact bucket",
        On::Artifacts => "artifacts",
        On::AutoScalingServiceRole => "auto scaling service role",
        On::AutoScalingServiceRolePath => "auto scaling service role path",
        On::StackRoles => "stack roles",
        On::FunctionRole => "function role",
        On::SchedulerRole => "scheduler role",
        On::WavesRole => "waves role",
        On::WavesStartRole => "waves start role",
        On::StateMachines => "state machines",
        On::Executions => "executions",
        On::CapacityClusters => "capacity clusters",
        On::ServiceClusters => "service clusters",
        On::CapacityGroupArns => "capacity groups",
        On::CapacityProviders => "capacity providers",
        On::WakeTargetGroups => "wake target groups",
        On::WakeRoutes => "wake routes",
        On::Function => "function",
        On::LogGroup => "log group",
        On::LogGroups => "log groups",
        On::Queue => "dead letter queue",
        On::Alarms => "alarms",
        On::Rules => "rules",
        On::Services => "services",
        On::ScalableTargets => "scalable targets",
        On::TargetRoles => "target roles",
        On::AdministrationRole => "administration role",
        On::ExecutionRole => "execution role",
        On::Topics => "topic",
        On::Schedules => "schedules",
        On::Keys => "keys",
    }
}

fn narrow_words(narrow: Narrow) -> &'static str {
    match narrow {
        Narrow::None => "",
        Narrow::TagKeys(_) => " tags",
        Narrow::AwsServiceName(_) => " create",
        Narrow::PassedTo(_) => " pass",
        Narrow::SelectorClusters => " selected clusters",
        Narrow::EverySelectorCluster => " every cluster",
        Narrow::ReservedConcurrency => " concurrency",
        Narrow::CapacityGroups => " capacity",
        Narrow::RunsInWaves => " waves",
        Narrow::WakeServices => " wake",
        Narrow::WokenSelectorClusters => " wake selected clusters",
        Narrow::EveryWokenSelectorCluster => " wake every cluster",
        Narrow::StackTag => " tagged",
        Narrow::StackRequestTag => " new tagged",
    }
}

/// Groups needs into statements: one per resource kind, condition and set of commands. An
/// action needed by several commands on the same resources is granted once, in the statement
/// of all those commands: so every statement grants something no other statement does, and
/// removing any one of them takes a permission away from the commands its Sid names.
fn document(needs: Vec<Need>, scope: &Scope) -> PolicyDocument {
    type Granted = (BTreeSet<Cmd>, BTreeSet<&'static str>);
    let mut merged: BTreeMap<(&str, On, Narrow), Granted> = BTreeMap::new();
    for need in needs {
        let (commands, notes) = merged
            .entry((need.action, need.on, need.narrow))
            .or_default();
        commands.extend(need.commands);
        if !need.note.is_empty() {
            notes.insert(need.note);
        }
    }
    type Key = (On, Narrow, BTreeSet<Cmd>);
    let mut groups: BTreeMap<Key, (BTreeSet<&str>, BTreeSet<&str>)> = BTreeMap::new();
    for ((action, on, narrow), (commands, need_notes)) in merged {
        let (actions, notes) = groups.entry((on, narrow, commands)).or_default();
        actions.insert(action);
        notes.extend(need_notes);
    }
    let mut used = BTreeSet::new();
    let mut statements = Vec::new();
    for ((on, narrow, commands), (actions, notes)) in groups {
        let resource = scope.arns(on);
        let Some(condition) = scope.condition(narrow) else {
            continue;
        };
        if resource.is_empty() {
            continue;
        }
        let base = document::sid(
            &format!("{}{}", on_words(on), narrow_words(narrow)),
            &commands,
        );
        let mut sid = base.clone();
        let mut n = 2;
        while !used.insert(sid.clone()) {
            sid = format!("{base}{n}");
            n += 1;
        }
        statements.push(Statement {
            sid,
            effect: "Allow",
            action: actions.into_iter().map(str::to_string).collect(),
            resource,
            condition,
            commands,
            notes,
        });
    }
    PolicyDocument::new(statements)
}

fn named(name: &str, holder: String, scope: &Scope, document: PolicyDocument) -> NamedPolicy {
    NamedPolicy {
        name: name.into(),
        holder,
        account: scope.account.clone(),
        regions: scope.regions.clone(),
        size: document.size(),
        document,
    }
}

/// Builds every policy the plan asks for.
pub fn build(
    plan: &PolicyPlan,
    fleet: &Fleet,
    region: &str,
    account: String,
    account_source: AccountSource,
) -> Result<PolicyReport> {
    let config = &fleet.home;
    let commands = &plan.commands;
    let mut notes = Vec::new();
    if account_source == AccountSource::Unknown {
        notes.push("the account is not known (no --account, and STS did not answer): ARNs say * for it. Fix: pass --account 123456789012".to_string());
    }
    let execution_role = config.stack.execution_role_arn.clone();
    let through_role = plan.execution_role || execution_role.is_some();
    let scope = Scope {
        config,
        account: account.clone(),
        bucket_owner: account.clone(),
        regions: vec![region.to_string()],
        artifacts_prefix: stack_prefix(&config.stack.name),
        target_roles: target_roles(fleet),
        administration_role: administration_role(fleet, &account),
        execution_role: execution_role.clone().or_else(|| {
            plan.execution_role.then(|| {
                format!(
                    "arn:{}:iam::{account}:role/{}-cloudformation",
                    template::partition(region),
                    config.stack.name
                )
            })
        }),
    };
    let stacksets = plan.engine == Engine::Stacksets;
    // The caller's own calls. Stack-set calls only for `--engine stacksets`; rollout's
    // administrator uploads code itself only there, and assumes target roles only in the
    // direct engine.
    let keep = |call: &Call| {
        let only_rollout = !call
            .commands
            .iter()
            .any(|c| *c != Cmd::Rollout && commands.contains(c));
        match call.on {
            On::StackSet | On::AdministrationRole => stacksets,
            On::ArtifactBucket | On::Artifacts if only_rollout => stacksets,
            On::TargetRoles if only_rollout => !stacksets,
            _ => true,
        }
    };
    // The caller's own commands; rollout's administrator side is a policy of its own (its
    // scope is the stack set's regions and code prefix), its targets' each another.
    let own: BTreeSet<Cmd> = commands
        .iter()
        .copied()
        .filter(|c| *c != Cmd::Rollout)
        .collect();
    let mut policies = Vec::new();
    if !own.is_empty() {
        let mut needs = call_needs(&own, keep);
        let work = stack_work(config, &own)?;
        if through_role {
            policies.push(named(
                "operator",
                "the caller of worktime (a user, role or SSO permission set)".into(),
                &scope,
                document(needs, &scope),
            ));
            let role = scope.execution_role.clone().unwrap_or_default();
            if execution_role.is_none() {
                notes.push(format!("--execution-role without [stack] execution_role_arn: the role is shown as {role}. Fix: create it (trusted by cloudformation.amazonaws.com) and set [stack] execution_role_arn"));
            }
            policies.push(named(
                "execution-role",
                format!("{role}, the role CloudFormation creates, updates and deletes the stack with (trusted by cloudformation.amazonaws.com)"),
                &scope,
                document(work, &scope),
            ));
        } else {
            needs.extend(work);
            policies.push(named(
                "operator",
                "the caller of worktime (a user, role or SSO permission set)".into(),
                &scope,
                document(needs, &scope),
            ));
        }
    }
    if commands.contains(&Cmd::Rollout) {
        let admin = Scope {
            config,
            account: account.clone(),
            bucket_owner: account.clone(),
            regions: if stacksets {
                fleet.stackset_regions()
            } else {
                vec![region.to_string()]
            },
            artifacts_prefix: stack_set_prefix(&config.stack.name),
            target_roles: target_roles(fleet),
            administration_role: administration_role(fleet, &account),
            execution_role: None,
        };
        let needs = call_needs(&BTreeSet::from([Cmd::Rollout]), keep);
        policies.push(named(
            "rollout-administrator",
            "the caller of `worktime rollout` in the administrator account".into(),
            &admin,
            document(needs, &admin),
        ));
        policies.extend(rollout_targets(fleet, plan, &account, &mut notes)?);
    }
    for policy in &policies {
        if policy.size > MANAGED_POLICY_LIMIT {
            notes.push(format!(
                "{} ({}) is {} characters, over IAM's {MANAGED_POLICY_LIMIT} for a managed policy: attach it inline to a role (10240), or print fewer commands with --for",
                policy.name, policy.account, policy.size
            ));
        }
    }
    // The rows that apply here: an execution role's PassRole only with the role, selector
    // listing only with selectors, stack-set calls only for that engine.
    let calls = table::calls()
        .filter(|c| c.commands.iter().any(|cmd| commands.contains(cmd)))
        .filter(|c| keep(c))
        .filter(|c| {
            c.action().is_none()
                || (!scope.arns(c.on).is_empty() && scope.condition(c.narrow).is_some())
        })
        .copied()
        .collect();
    Ok(PolicyReport {
        stack: config.stack.name.clone(),
        account,
        account_source,
        commands: commands.iter().copied().collect(),
        policies,
        calls,
        notes,
    })
}

#[cfg(test)]
mod tests;
