//! `worktime rollout`'s other policies: each target's (the direct engine's role or profile,
//! the stack-set engine's execution role) and who the administrator may assume or pass.

use std::collections::BTreeSet;

use super::resources::Scope;
use super::{call_needs, document, named, stack_work, NamedPolicy, PolicyPlan};
use crate::aws::calls::Cmd;
use crate::config::{AccountAccess, Fleet, StackSetPermissions};
use crate::deploy::artifact::{stack_prefix, stack_set_prefix};
use crate::error::Result;
use crate::fleet::Engine;
use crate::template;

/// Each target's policy for `rollout`: the direct engine bootstraps and deploys there with
/// the target's role; the stack-set engine's execution role creates the stack's resources.
pub(super) fn rollout_targets(
    fleet: &Fleet,
    plan: &PolicyPlan,
    administrator: &str,
    notes: &mut Vec<String>,
) -> Result<Vec<NamedPolicy>> {
    if fleet.accounts.is_empty() {
        notes.push("rollout: the config has no [[accounts]]: no target policies".into());
        return Ok(Vec::new());
    }
    let rollout = BTreeSet::from([Cmd::Rollout]);
    let mut policies = Vec::new();
    for account in &fleet.accounts {
        let config = fleet.for_target(account, &account.regions[0]);
        if plan.engine == Engine::Stacksets {
            let settings = fleet.stacksets.as_ref();
            let execution = match settings.map(|s| &s.permissions) {
                Some(StackSetPermissions::SelfManaged {
                    execution_role_name,
                    ..
                }) => execution_role_name.clone(),
                _ => {
                    notes.push("rollout --engine stacksets: service-managed stack sets use AWS's own roles in the organization's accounts: no target policies".into());
                    return Ok(policies);
                }
            };
            let scope = Scope {
                config: &config,
                account: account.id.clone(),
                // The code stays in the administrator's bucket of each region.
                bucket_owner: administrator.to_string(),
                regions: account.regions.clone(),
                artifacts_prefix: stack_set_prefix(&fleet.home.stack.name),
                target_roles: Vec::new(),
                administration_role: None,
                execution_role: None,
            };
            let needs = stack_work(&config, &rollout)?;
            policies.push(named(
                "stackset-execution",
                format!("{execution} in account {}", account.id),
                &scope,
                document(needs, &scope),
            ));
        } else {
            let scope = Scope {
                config: &config,
                account: account.id.clone(),
                bucket_owner: account.id.clone(),
                regions: account.regions.clone(),
                artifacts_prefix: stack_prefix(&config.stack.name),
                target_roles: Vec::new(),
                administration_role: None,
                execution_role: config.stack.execution_role_arn.clone(),
            };
            // What bootstrap and deploy do there, done by rollout.
            let mut needs = call_needs(&BTreeSet::from([Cmd::Bootstrap, Cmd::Deploy]), |_| true);
            needs.extend(stack_work(
                &config,
                &BTreeSet::from([Cmd::Bootstrap, Cmd::Deploy]),
            )?);
            for need in &mut needs {
                need.commands = rollout.clone();
            }
            let holder = match &account.access {
                AccountAccess::Role { arn, .. } => arn.clone(),
                AccountAccess::Profile(profile) => {
                    format!("the credentials of profile {profile:?}")
                }
            };
            policies.push(named(
                "rollout-target",
                format!("{holder} in account {}", account.id),
                &scope,
                document(needs, &scope),
            ));
        }
    }
    Ok(policies)
}

pub(super) fn target_roles(fleet: &Fleet) -> Vec<String> {
    fleet
        .accounts
        .iter()
        .filter_map(|a| match &a.access {
            AccountAccess::Role { arn, .. } => Some(arn.clone()),
            AccountAccess::Profile(_) => None,
        })
        .collect()
}

pub(super) fn administration_role(fleet: &Fleet, account: &str) -> Option<String> {
    match fleet.stacksets.as_ref().map(|s| &s.permissions) {
        Some(StackSetPermissions::SelfManaged {
            administration_role_arn,
            ..
        }) => Some(administration_role_arn.clone().unwrap_or_else(|| {
            format!(
                "arn:{}:iam::{account}:role/AWSCloudFormationStackSetAdministrationRole",
                template::partition(&fleet.home.stack.region)
            )
        })),
        _ => None,
    }
}
