//! `worktime.toml` validated: the [`Fleet`] (every target the file names) and the
//! [`StackConfig`] that one stack in one account and region deploys.
//!
//! Parsing goes in two steps: serde reads the file into `raw` structs that deny unknown
//! keys, then `validate` turns them into the types below, or into a [`ConfigError`] that
//! names the file, the key, the line where known, and the fix. A `Fleet` is never a stack:
//! `template::build` takes a `StackConfig`, which `Fleet::home` or `Fleet::for_target` gives.

mod accounts;
mod error;
pub(crate) mod ids;
mod raw;
mod stacksets;
#[cfg(test)]
mod tests;
mod validate;

use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use indexmap::IndexSet;
use worktime_lambda::{Action, Capacity, RawEvent, ServiceTarget};

use crate::cron::{AwsCron, CronError};
pub use error::ConfigError;

/// Everything `worktime.toml` names: the caller's own stack and the `[[accounts]]` targets.
#[derive(Debug, Clone, PartialEq)]
pub struct Fleet {
    /// The stack in the caller's own account and `stack.region`, from the top-level keys;
    /// also the defaults every `[[accounts]]` entry inherits.
    pub home: StackConfig,
    /// `[[accounts]]`: the targets of `worktime rollout` (empty: the caller's own account).
    pub accounts: Vec<Account>,
    /// `[stacksets]`: how `worktime rollout --engine stacksets` deploys (absent: that engine
    /// is not configured).
    pub stacksets: Option<StackSetSettings>,
}

/// What one stack (one account, one region) deploys.
#[derive(Debug, Clone, PartialEq)]
pub struct StackConfig {
    /// Where it was read from (for messages).
    pub path: PathBuf,
    pub stack: StackSettings,
    pub schedule: Schedule,
    pub services: Vec<ServiceSpec>,
    pub function: FunctionSettings,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackSettings {
    /// Stack name and prefix of every resource name.
    pub name: String,
    pub region: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// EventBridge rules: crons converted to UTC (fixed-offset zones only).
    Rules,
    /// EventBridge Scheduler: local crons with `ScheduleExpressionTimezone`.
    Scheduler,
}

impl Trigger {
    pub fn as_str(self) -> &'static str {
        match self {
            Trigger::Rules => "rules",
            Trigger::Scheduler => "scheduler",
        }
    }
}

/// The longest `skip_dates` range ("2026-12-24..2027-01-01"), in days: a year.
pub const MAX_SKIP_RANGE_DAYS: i64 = 366;

/// The largest `schedule.max_delay_minutes`: Lambda keeps an asynchronous event at most six
/// hours, so a later delivery never reaches the function.
pub const MAX_DELAY_MINUTES: u32 = 360;

#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    pub timezone: Tz,
    /// In `timezone` local time.
    pub scale_out: AwsCron,
    /// In `timezone` local time.
    pub scale_in: AwsCron,
    pub trigger: Trigger,
    /// Local dates with no scale-out, from today on (ranges expanded, past dates dropped).
    pub skip_dates: Vec<NaiveDate>,
    /// A trigger delivered more than this many minutes after its scheduled time changes
    /// nothing (the function reports it `stale`).
    pub max_delay_minutes: u32,
    /// When the zone's offsets were read (validation time): the UTC conversion for rules is
    /// the one in force then, so the same file gives the same stack whatever the clock says
    /// later in the run.
    pub checked_at: DateTime<Utc>,
}

impl Schedule {
    /// `cron` (in this schedule's zone) as the UTC cron an EventBridge rule takes.
    pub fn to_utc(&self, cron: &AwsCron) -> Result<AwsCron, CronError> {
        cron.to_utc(self.timezone, self.checked_at)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceSpec {
    pub cluster: String,
    pub service: String,
    /// Working-hours capacity; `None` restores what the service had before scale-in.
    pub capacity: Option<Capacity>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Architecture {
    Arm64,
    X86_64,
}

impl Architecture {
    /// The value CloudFormation's `Architectures` takes.
    pub fn as_str(self) -> &'static str {
        match self {
            Architecture::Arm64 => "arm64",
            Architecture::X86_64 => "x86_64",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FunctionSettings {
    pub architecture: Architecture,
    pub memory_mb: u32,
    pub timeout_seconds: u32,
    pub log_retention_days: u32,
    /// Concurrency reserved for the function; none by default: a new account's quota (often
    /// 10) refuses any reservation, and overlapping runs are safe without one (each event
    /// names its action and scheduled time, and every action is idempotent).
    pub reserved_concurrency: Option<u32>,
}

impl Default for FunctionSettings {
    fn default() -> Self {
        FunctionSettings {
            architecture: Architecture::Arm64,
            memory_mb: 128,
            timeout_seconds: 60,
            log_retention_days: 30,
            reserved_concurrency: None,
        }
    }
}

/// How worktime reaches a target account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountAccess {
    /// Assume this role (full ARN) from the caller's credentials.
    Role {
        arn: String,
        external_id: Option<String>,
    },
    /// Use this named profile (SSO, a role chain, keys...).
    Profile(String),
}

/// One `[[accounts]]` entry: where to deploy and what differs there.
#[derive(Debug, Clone, PartialEq)]
pub struct Account {
    pub id: String,
    pub access: AccountAccess,
    /// Regions to deploy to (default: `stack.region`).
    pub regions: Vec<String>,
    /// The top-level schedule with this account's overrides applied.
    pub schedule: Schedule,
    /// This account's own services, or the top-level list.
    pub services: Vec<ServiceSpec>,
}

/// The administration role CloudFormation StackSets assumes in the caller's account, by
/// default (AWS's documented name).
pub const DEFAULT_ADMINISTRATION_ROLE_NAME: &str = "AWSCloudFormationStackSetAdministrationRole";
/// The execution role StackSets assumes in each target account, by default.
pub const DEFAULT_EXECUTION_ROLE_NAME: &str = "AWSCloudFormationStackSetExecutionRole";

/// `[stacksets]`: one CloudFormation stack set for every target instead of one stack per
/// target deployed directly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackSetSettings {
    pub permissions: StackSetPermissions,
}

/// The stack set's permission model and what goes with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StackSetPermissions {
    /// Roles you create: the administration role in the caller's account, the execution role
    /// in every target account. Instances go to the `[[accounts]]` ids in their regions.
    SelfManaged {
        /// `None`: the caller account's `AWSCloudFormationStackSetAdministrationRole`,
        /// resolved at run time.
        administration_role_arn: Option<String>,
        execution_role_name: String,
    },
    /// AWS Organizations creates the roles; instances go to every account of the OUs.
    ServiceManaged {
        organizational_units: Vec<String>,
        /// Grants the organisation's accounts read access to the function code.
        organization_id: String,
        /// New accounts in the OUs get an instance automatically.
        auto_deployment: bool,
    },
}

impl StackSetPermissions {
    /// The value CloudFormation's `PermissionModel` takes.
    pub fn model(&self) -> &'static str {
        match self {
            StackSetPermissions::SelfManaged { .. } => "SELF_MANAGED",
            StackSetPermissions::ServiceManaged { .. } => "SERVICE_MANAGED",
        }
    }

    /// As written in `worktime.toml`.
    pub fn as_str(&self) -> &'static str {
        match self {
            StackSetPermissions::SelfManaged { .. } => "self-managed",
            StackSetPermissions::ServiceManaged { .. } => "service-managed",
        }
    }
}

impl Fleet {
    /// The stack one target (account, region) deploys: this account's schedule and
    /// services, in the given region.
    pub fn for_target(&self, account: &Account, region: &str) -> StackConfig {
        StackConfig {
            path: self.home.path.clone(),
            stack: StackSettings {
                name: self.home.stack.name.clone(),
                region: region.to_string(),
            },
            schedule: account.schedule.clone(),
            services: account.services.clone(),
            function: self.home.function,
        }
    }

    /// Every region a target lists, in config order: the union of the `[[accounts]]`
    /// regions, or `stack.region` without accounts (the regions of a stack set's instances).
    pub fn stackset_regions(&self) -> Vec<String> {
        let mut regions: IndexSet<String> = self
            .accounts
            .iter()
            .flat_map(|a| a.regions.iter().cloned())
            .collect();
        if regions.is_empty() {
            regions.insert(self.home.stack.region.clone());
        }
        regions.into_iter().collect()
    }
}

impl StackConfig {
    /// The payload a trigger carries for `action`: every service with its declared capacity,
    /// the zone and the skip dates, so the function needs nothing else to act safely.
    pub fn scaling_event(&self, action: Action) -> RawEvent {
        RawEvent {
            action: Some(action.as_str().to_string()),
            services: Some(
                self.services
                    .iter()
                    .map(|s| ServiceTarget::new(&s.cluster, &s.service, s.capacity))
                    .collect(),
            ),
            timezone: Some(self.schedule.timezone.name().to_string()),
            skip_dates: if self.schedule.skip_dates.is_empty() {
                None
            } else {
                Some(
                    self.schedule
                        .skip_dates
                        .iter()
                        .map(|d| d.format("%Y-%m-%d").to_string())
                        .collect(),
                )
            },
            dry_run: None,
            scheduled_time: None,
            max_delay_minutes: Some(self.schedule.max_delay_minutes),
        }
    }

    /// Name of the scaling function (also the stem of its log group).
    pub fn function_name(&self) -> String {
        format!("{}-scaler", self.stack.name)
    }
}

/// Reads and validates the configuration at `path`; `now` dates the check (zone offsets,
/// which skip dates are past).
pub fn load(path: &Path, now: DateTime<Utc>) -> Result<Fleet, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
        path: path.to_path_buf(),
        line: None,
        key: None,
        problem: match e.kind() {
            std::io::ErrorKind::NotFound => "the configuration file does not exist".to_string(),
            _ => format!("the configuration file can't be read ({e})"),
        },
        fix: format!(
            "check the path (pass --config <file>), or run `worktime init` to write a commented example to {}",
            path.display()
        ),
    })?;
    parse(&text, path, now)
}

/// Parses and validates configuration `text`; `path` is only used in messages.
pub fn parse(text: &str, path: &Path, now: DateTime<Utc>) -> Result<Fleet, ConfigError> {
    let raw: raw::File = toml::from_str(text).map_err(|e| error::toml_error(&e, text, path))?;
    validate::Validator { text, path, now }.validate(raw)
}
