//! What a fleet operation refuses before it changes anything: `--accounts` / `--regions`
//! that select nothing the config has, a config the chosen engine cannot roll out, a stack
//! set that cannot become what `[stacksets]` says. Every one is a usage error (exit 2).

use std::path::PathBuf;

use thiserror::Error;

use crate::error::Error;

#[derive(Debug, Error)]
pub enum FleetError {
    #[error("--accounts {} given, but {} has no [[accounts]]: add them, or leave --accounts out to deploy to your own account", ids.join(","), config.display())]
    NoAccounts { ids: Vec<String>, config: PathBuf },
    #[error("--accounts: {id} is not in {}'s [[accounts]]", config.display())]
    UnknownAccount { id: String, config: PathBuf },
    #[error("--regions: no account lists region {region}")]
    UnknownRegion { region: String },
    #[error("the --accounts / --regions filters leave no target")]
    NoTarget,
    /// A stack set's regions are the `[[accounts]]` regions, or `stack.region`.
    #[error("--regions: {region} is not a region of {} (the [[accounts]] regions, or stack.region)", config.display())]
    RegionNotInStackSet { region: String, config: PathBuf },
    #[error("--engine stacksets needs a [stacksets] table in {}: add\n\n[stacksets]\npermission_model = \"self-managed\"   # or \"service-managed\" with organizational_units and organization_id\n\nor leave --engine out to deploy to each account directly", config.display())]
    NoStackSets { config: PathBuf },
    #[error("--engine stacksets goes with --all-accounts: teardown --all-accounts --engine stacksets deletes the stack set's instances, the stack set and its code buckets")]
    StackSetsWithoutAllAccounts,
    #[error("a self-managed stack set deploys to the [[accounts]] of {}, and there are none: add [[accounts]] entries (id, role or profile, regions), or use permission_model = \"service-managed\"", config.display())]
    SelfManagedWithoutAccounts { config: PathBuf },
    /// A service-managed stack set deploys to whole organizational units.
    #[error("--accounts: a service-managed stack set deploys to every account of its organizational units, not to chosen accounts: leave --accounts out (--regions works)")]
    AccountsForServiceManaged,
    #[error("--accounts: a service-managed stack set's instances are deleted per organizational unit and region, not per account: leave --accounts out (--regions works)")]
    AccountsForServiceManagedTeardown,
    /// One configuration for every account of the organizational units.
    #[error("account {account} overrides the schedule or the services, but a service-managed stack set gives every account of its organizational units the same configuration: move the overrides to [schedule] / [[services]], or use permission_model = \"self-managed\" (instances per listed account)")]
    OverridesForServiceManaged { account: String },
    /// Found once the stack set is described, before anything is changed.
    #[error("stack set {name} exists with permission model {existing}, but [stacksets] says {wanted}: CloudFormation can't switch a stack set that has instances; tear it down first (worktime teardown --all-accounts --engine stacksets --yes) or set permission_model back")]
    PermissionModelSwitch {
        name: String,
        existing: String,
        wanted: &'static str,
    },
    /// One target's own stack cannot be made (its template, its `[notify]` topic).
    #[error("account {account}: {source}")]
    Target {
        /// The account id, or `caller`.
        account: String,
        #[source]
        source: Box<Error>,
    },
}
