//! Rollout targets: every (account, region) of `[[accounts]]` (or the caller's own account),
//! filtered by `--accounts` / `--regions`, each with the stack it deploys.

use super::FleetError;
use crate::config::{AccountAccess, Fleet, StackConfig};
use crate::error::Result;

/// One (account, region) to act on.
#[derive(Debug, Clone)]
pub struct Target {
    /// `None`: the caller's own account.
    pub account_id: Option<String>,
    pub access: Option<AccountAccess>,
    pub region: String,
    /// The stack this target deploys.
    pub config: StackConfig,
}

impl Target {
    pub fn label(&self) -> String {
        format!(
            "{}/{}",
            self.account_id.as_deref().unwrap_or("caller"),
            self.region
        )
    }
}

/// Which targets, how many at once, how many failures before no new target starts.
#[derive(Debug, Clone)]
pub struct Selection {
    pub accounts: Option<Vec<String>>,
    pub regions: Option<Vec<String>>,
    pub concurrency: usize,
    pub failure_tolerance: usize,
}

/// Expands the config into targets, filtered by `--accounts` / `--regions`. Unknown ids or
/// regions in the filters are a usage error: a typo must not silently deploy nowhere.
pub fn targets(fleet: &Fleet, selection: &Selection) -> Result<Vec<Target>> {
    let mut out = Vec::new();
    if fleet.accounts.is_empty() {
        if let Some(ids) = &selection.accounts {
            return Err(FleetError::NoAccounts {
                ids: ids.clone(),
                config: fleet.home.path.clone(),
            }
            .into());
        }
        let regions = selection
            .regions
            .clone()
            .unwrap_or_else(|| vec![fleet.home.stack.region.clone()]);
        for region in regions {
            let mut config = fleet.home.clone();
            config.stack.region = region.clone();
            out.push(Target {
                account_id: None,
                access: None,
                region,
                config,
            });
        }
        return Ok(out);
    }
    if let Some(ids) = &selection.accounts {
        for id in ids {
            if !fleet.accounts.iter().any(|a| &a.id == id) {
                return Err(FleetError::UnknownAccount {
                    id: id.clone(),
                    config: fleet.home.path.clone(),
                }
                .into());
            }
        }
    }
    if let Some(regions) = &selection.regions {
        for region in regions {
            if !fleet.accounts.iter().any(|a| a.regions.contains(region)) {
                return Err(FleetError::UnknownRegion {
                    region: region.clone(),
                }
                .into());
            }
        }
    }
    for account in &fleet.accounts {
        if selection
            .accounts
            .as_ref()
            .is_some_and(|ids| !ids.contains(&account.id))
        {
            continue;
        }
        for region in &account.regions {
            if selection
                .regions
                .as_ref()
                .is_some_and(|r| !r.contains(region))
            {
                continue;
            }
            out.push(Target {
                account_id: Some(account.id.clone()),
                access: Some(account.access.clone()),
                region: region.clone(),
                config: fleet.for_target(account, region),
            });
        }
    }
    if out.is_empty() {
        return Err(FleetError::NoTarget.into());
    }
    Ok(out)
}
