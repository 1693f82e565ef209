//! The stack set plan, made before any call: the template, one wanted instance per
//! (account, region) with its parameter overrides, and what each instance needs.

use serde_json::Value;

use super::api::{Deployed, Existing};
use super::settings;
use crate::config::{
    Fleet, StackSetPermissions, StackSetSettings, DEFAULT_ADMINISTRATION_ROLE_NAME,
};
use crate::deploy::changes::{ChangeKind, PlannedChange};
use crate::error::{Error, Result};
use crate::fleet::targets::{self, Selection};
use crate::fleet::FleetError;
use crate::template;

/// One stack instance worktime wants.
#[derive(Debug, Clone)]
pub(super) struct Wanted {
    /// The account id; for service-managed, the organizational units (joined with `,`):
    /// instances then go to every account in them.
    pub(super) account: String,
    pub(super) region: String,
    /// Every template parameter; the code location is added once the administrator
    /// account is known.
    pub(super) parameters: Vec<(String, String)>,
}

/// Everything checked before any AWS call: the stack set template, and every wanted
/// instance's parameter values (each within CloudFormation's limits).
#[derive(Debug, Clone)]
pub struct Plan {
    pub(super) settings: StackSetSettings,
    pub(super) template: String,
    pub(super) resources: usize,
    pub(super) wanted: Vec<Wanted>,
}

/// Builds the plan: usage errors (exit 2) for anything wrong, before any call.
pub fn plan(config: &Fleet, selection: &Selection) -> Result<Plan> {
    let settings = settings(config)?.clone();
    let template = template::build_for_stackset(config)?;
    let resources = template.resources.len();
    let template = template.to_yaml().map_err(|source| Error::Render {
        what: "stack set template",
        source,
    })?;
    let owned = |values: Vec<(&'static str, String)>| {
        values
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect::<Vec<_>>()
    };
    let wanted = match &settings.permissions {
        StackSetPermissions::SelfManaged { .. } => {
            if config.accounts.is_empty() {
                return Err(FleetError::SelfManagedWithoutAccounts {
                    config: config.home.path.clone(),
                }
                .into());
            }
            let mut wanted = Vec::new();
            for target in targets::targets(config, selection)? {
                let account = target.account_id.clone().unwrap_or_default();
                let parameters = template::stackset_parameters(&target.config, Some(&account))?;
                wanted.push(Wanted {
                    account,
                    region: target.region,
                    parameters: owned(parameters),
                });
            }
            wanted
        }
        StackSetPermissions::ServiceManaged {
            organizational_units,
            ..
        } => {
            if selection.accounts.is_some() {
                return Err(FleetError::AccountsForServiceManaged.into());
            }
            // One configuration for every account of the OUs: per-account values can't
            // reach an account that is not named.
            let home = &config.home;
            if let Some(account) = config
                .accounts
                .iter()
                .find(|a| a.schedule != home.schedule || a.services != home.services)
            {
                return Err(FleetError::OverridesForServiceManaged {
                    account: account.id.clone(),
                }
                .into());
            }
            let regions = config.stackset_regions();
            if let Some(filter) = &selection.regions {
                if let Some(unknown) = filter.iter().find(|r| !regions.contains(r)) {
                    return Err(FleetError::RegionNotInStackSet {
                        region: unknown.clone(),
                        config: config.home.path.clone(),
                    }
                    .into());
                }
            }
            let mut wanted = Vec::new();
            for region in regions {
                if selection
                    .regions
                    .as_ref()
                    .is_some_and(|f| !f.contains(&region))
                {
                    continue;
                }
                let mut target = config.home.clone();
                target.stack.region = region.clone();
                wanted.push(Wanted {
                    account: organizational_units.join(","),
                    region,
                    parameters: owned(template::stackset_parameters(&target, None)?),
                });
            }
            wanted
        }
    };
    Ok(Plan {
        settings,
        template,
        resources,
        wanted,
    })
}

/// What to do with one wanted instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Step {
    Create,
    Update(Vec<String>),
    Nothing,
}

/// The deployed instances of one wanted entry: the one (account, region) for self-managed;
/// every instance of the region for service-managed (the accounts of the OUs).
pub(super) fn deployed_for<'a>(
    permissions: &StackSetPermissions,
    wanted: &Wanted,
    deployed: &'a [Deployed],
) -> Vec<&'a Deployed> {
    deployed
        .iter()
        .filter(|d| {
            d.region == wanted.region
                && match permissions {
                    StackSetPermissions::SelfManaged { .. } => d.account == wanted.account,
                    StackSetPermissions::ServiceManaged { .. } => true,
                }
        })
        .collect()
}

pub(super) fn step_for(
    permissions: &StackSetPermissions,
    wanted: &Wanted,
    deployed: &[Deployed],
) -> Step {
    let present = deployed_for(permissions, wanted, deployed);
    if present.is_empty() {
        return Step::Create;
    }
    let mut changed: Vec<String> = Vec::new();
    for instance in &present {
        for key in changed_parameters(&instance.overrides, &wanted.parameters) {
            if !changed.contains(&key) {
                changed.push(key);
            }
        }
    }
    if !changed.is_empty() || present.iter().any(|d| !d.healthy()) {
        Step::Update(changed)
    } else {
        Step::Nothing
    }
}

/// What the stack set itself needs.
pub(super) fn stack_set_needs(
    plan: &Plan,
    existing: &Existing,
    administration_role_arn: &str,
) -> Vec<String> {
    let mut needs = Vec::new();
    if existing.template_body != plan.template {
        needs.push("template".to_string());
    }
    match &plan.settings.permissions {
        StackSetPermissions::SelfManaged {
            execution_role_name,
            ..
        } => {
            if existing.administration_role_arn.as_deref() != Some(administration_role_arn) {
                needs.push("administration role".to_string());
            }
            if existing.execution_role_name.as_deref() != Some(execution_role_name.as_str()) {
                needs.push("execution role".to_string());
            }
        }
        StackSetPermissions::ServiceManaged {
            auto_deployment, ..
        } => {
            // Not every endpoint reports AutoDeployment back; only a known difference counts.
            if existing
                .auto_deployment
                .is_some_and(|a| a != *auto_deployment)
            {
                needs.push("automatic deployment".to_string());
            }
        }
    }
    needs
}

/// The parameters whose values differ (or are missing) in `current`.
pub(super) fn changed_parameters(
    current: &[(String, String)],
    wanted: &[(String, String)],
) -> Vec<String> {
    wanted
        .iter()
        .filter(|(key, value)| !current.iter().any(|(k, v)| k == key && v == value))
        .map(|(key, _)| key.clone())
        .collect()
}

/// What the new stack set template changes, resource by resource.
pub(super) fn template_changes(old: Option<&str>, new: &str) -> Vec<PlannedChange> {
    let parse = |text: &str| serde_yaml::from_str::<Value>(text).ok();
    let (Some(new_doc), old_doc) = (parse(new), old.map(parse)) else {
        return Vec::new();
    };
    let resources = |doc: &Value| doc.get("Resources").and_then(Value::as_object).cloned();
    let new_resources = resources(&new_doc).unwrap_or_default();
    let type_of = |r: &Value| r["Type"].as_str().unwrap_or_default().to_string();
    let change = |action: ChangeKind, id: &str, resource: &Value| PlannedChange {
        action,
        logical_id: id.into(),
        resource_type: type_of(resource),
        detail: None,
    };
    let old_doc = match old_doc {
        None => {
            return new_resources
                .iter()
                .map(|(id, r)| change(ChangeKind::Add, id, r))
                .collect()
        }
        Some(None) => {
            return vec![PlannedChange {
                action: ChangeKind::Modify,
                logical_id: "(template)".into(),
                resource_type: String::new(),
                detail: Some("the current template could not be read".into()),
            }]
        }
        Some(Some(doc)) => doc,
    };
    if old_doc == new_doc {
        return Vec::new();
    }
    let old_resources = resources(&old_doc).unwrap_or_default();
    let mut changes: Vec<PlannedChange> = Vec::new();
    for (id, resource) in &new_resources {
        match old_resources.get(id) {
            None => changes.push(change(ChangeKind::Add, id, resource)),
            Some(old) if old != resource => changes.push(change(ChangeKind::Modify, id, resource)),
            Some(_) => {}
        }
    }
    for (id, resource) in &old_resources {
        if !new_resources.contains_key(id) {
            changes.push(change(ChangeKind::Remove, id, resource));
        }
    }
    if changes.is_empty() {
        changes.push(PlannedChange {
            action: ChangeKind::Modify,
            logical_id: "(template)".into(),
            resource_type: String::new(),
            detail: Some("description, parameters or outputs".into()),
        });
    }
    changes
}

pub(super) fn administration_role_arn(
    settings: &StackSetSettings,
    config: &Fleet,
    admin: &str,
) -> String {
    match &settings.permissions {
        StackSetPermissions::SelfManaged {
            administration_role_arn: Some(arn),
            ..
        } => arn.clone(),
        _ => format!(
            "arn:{}:iam::{admin}:role/{DEFAULT_ADMINISTRATION_ROLE_NAME}",
            template::partition(&config.home.stack.region)
        ),
    }
}
