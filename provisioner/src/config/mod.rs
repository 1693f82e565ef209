//! `worktime.toml` validated: the [`Fleet`] (every target the file names) and the
//! [`StackConfig`] that one stack in one account and region deploys.
//!
//! Parsing goes in two steps: serde reads the file into `raw` structs that deny unknown
//! keys, then `validate` turns them into the types below, or into a [`ConfigError`] that
//! names the file, the key, the line where known, and the fix. A `Fleet` is never a stack:
//! `template::build` takes a `StackConfig`, which `Fleet::home` or `Fleet::for_target` gives.

mod accounts;
mod calendar;
mod error;
pub mod example;
pub(crate) mod ids;
mod raw;
mod stacksets;
#[cfg(test)]
mod tests;
mod validate;

use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use indexmap::{IndexMap, IndexSet};
use worktime_lambda::window::{Firings, ScheduleClock};
use worktime_lambda::{
    owner, Action, Capacity, ClusterScope, Owner, RawEvent, ScheduleCrons, SelectorTarget,
    SelectsByTag, ServiceTarget, TagMatch,
};

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
    /// `[schedule]`: the default schedule.
    pub schedule: Schedule,
    /// `[schedules.NAME]`, in file order: each one in use gets its own pair of triggers.
    pub schedules: IndexMap<String, Schedule>,
    /// Services named one by one.
    pub services: Vec<ServiceSpec>,
    /// Tag selectors, resolved by the function when it runs.
    pub selectors: Vec<SelectorSpec>,
    pub function: FunctionSettings,
    /// `[notify]`; `None`: alarms notify no one and no schedule may warn.
    pub notify: Option<NotifySettings>,
    /// `[[capacity]]`: the Auto Scaling groups under clusters of this stack's services.
    pub capacity: Vec<CapacitySpec>,
}

/// One `[[capacity]]` entry: an Auto Scaling group (that no capacity provider manages)
/// whose instances run the services of `cluster`. It follows the schedule of that cluster's
/// services: 0/0/0 at night after they are down, restored first in the morning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CapacitySpec {
    pub cluster: String,
    pub autoscaling_group: String,
    /// The schedule the cluster's services follow (`None`: `[schedule]`).
    pub schedule: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackSettings {
    /// Stack name and prefix of every resource name.
    pub name: String,
    pub region: String,
    /// `[stack] execution_role_arn`: the role CloudFormation creates, updates and deletes
    /// the stack with (its `RoleARN`), instead of the caller's credentials.
    pub execution_role_arn: Option<String>,
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

/// `schedule.reconcile_minutes` when the file gives none: how often the reconcile trigger
/// converges every service on what the schedule says now.
pub const DEFAULT_RECONCILE_MINUTES: u32 = 15;
/// The range of `schedule.reconcile_minutes` (0 turns the reconcile off).
pub const RECONCILE_MINUTES: std::ops::RangeInclusive<u32> = 5..=60;

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
    /// How often the reconcile trigger fires; `None`: no reconcile (`reconcile_minutes = 0`).
    pub reconcile_minutes: Option<u32>,
    /// How long a service may take to run its desired tasks (or stop them) after a change
    /// before a reconcile reports it `not-ready` (`not-stopped`).
    pub ready_within_minutes: u32,
    /// `warn_before_minutes`: a notice trigger this many minutes before scale-in, and its
    /// cron (the scale-in cron moved earlier, in the same zone).
    pub notice: Option<Notice>,
    /// How long one wave may take to be ready (or stopped) before the next one starts anyway
    /// and the run ends failed.
    pub wave_timeout_minutes: u32,
    /// When the zone's offsets were read (validation time): the UTC conversion for rules is
    /// the one in force then, so the same file gives the same stack whatever the clock says
    /// later in the run.
    pub checked_at: DateTime<Utc>,
}

/// A warning before scale-in: the function is invoked with action `notice` this long before.
#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    pub minutes: u32,
    /// In the schedule's zone.
    pub cron: AwsCron,
}

/// The longest `warn_before_minutes` (half a day): the function's own limit.
pub use worktime_lambda::MAX_WARN_BEFORE_MINUTES;

/// `[notify]`: where alarms and notices go.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NotifySettings {
    /// Subscribed to a topic the stack creates (each address confirms by email).
    pub emails: Vec<String>,
    /// An existing topic: a standard (not FIFO) one, in the region of every stack that uses
    /// it (validation checks both).
    pub topic_arn: Option<String>,
}

impl NotifySettings {
    /// The region of the existing topic (`arn:<partition>:sns:<region>:...`), if there is one.
    pub fn topic_region(&self) -> Option<&str> {
        self.topic_arn
            .as_deref()
            .and_then(|arn| arn.split(':').nth(3))
    }
}

impl Schedule {
    /// `cron` (in this schedule's zone) as the UTC cron an EventBridge rule takes.
    pub fn to_utc(&self, cron: &AwsCron) -> Result<AwsCron, CronError> {
        cron.to_utc(self.timezone, self.checked_at)
    }

    /// The scale-out and scale-in crons as the deployed triggers evaluate them, and the zone
    /// they are evaluated in: a rule fires its UTC cron in UTC, Scheduler the local cron in
    /// the schedule's zone. Validation refuses rules for zones whose crons have no UTC form,
    /// so the fallback (the local crons in their zone, which fire at the same instants in a
    /// zone without daylight saving) is never taken for a loaded config.
    pub fn firing_crons(&self) -> (AwsCron, AwsCron, Tz) {
        let local = (self.scale_out.clone(), self.scale_in.clone(), self.timezone);
        match self.trigger {
            Trigger::Scheduler => local,
            Trigger::Rules => match (self.to_utc(&self.scale_out), self.to_utc(&self.scale_in)) {
                (Ok(out), Ok(into)) => (out, into, Tz::UTC),
                _ => local,
            },
        }
    }

    /// The schedule's windows, as the function judges them (skip dates applied).
    pub fn clock(&self) -> ScheduleClock {
        let (scale_out, scale_in, zone) = self.firing_crons();
        ScheduleClock {
            scale_out: Firings::new(scale_out, zone),
            scale_in: Firings::new(scale_in, zone),
            zone: self.timezone,
            skip_dates: self.skip_dates.iter().copied().collect(),
        }
    }

    /// The crons as the trigger payloads carry them, for the function's window.
    pub fn crons(&self) -> ScheduleCrons {
        let (scale_out, scale_in, zone) = self.firing_crons();
        ScheduleCrons {
            scale_out: scale_out.to_string(),
            scale_in: scale_in.to_string(),
            timezone: zone.name().to_string(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceSpec {
    pub cluster: String,
    pub service: String,
    /// Working-hours capacity; `None` restores what the service had before scale-in.
    pub capacity: Option<Capacity>,
    /// The `[schedules.NAME]` it follows; `None`: `[schedule]`.
    pub schedule: Option<String>,
    /// 0-9: lower waves start first in the morning and stop last at night.
    pub wave: u8,
    /// `wake_on_request = true`: off hours, a request to its load balancer wakes it.
    pub wake: Option<WakeSpec>,
}

/// `wake_on_request = true` on a `[[services]]` entry (or on a selector, for each service it
/// selects).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WakeSpec {
    /// How long a wake holds the service up (`wake_idle_minutes`).
    pub idle_minutes: u32,
    /// The entry's key (`services[N]`), for messages about it found only in AWS.
    pub key: String,
    /// Where requests for it are routed, read from AWS before a deploy (`deploy::wake`);
    /// `None` until then (`synth`): the template then lets the function rewrite no rule.
    pub routes: Option<WakeRoutes>,
}

/// The load balancer routes of a woken service: what its wake rewrites.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WakeRoutes {
    /// The service's own target groups (on Application Load Balancers).
    pub target_groups: Vec<String>,
    /// Listeners whose default action forwards to one of them (`ModifyListener`).
    pub listeners: Vec<String>,
    /// Rules that forward to one of them (`ModifyRule`).
    pub rules: Vec<String>,
}

impl WakeRoutes {
    /// How many rules and default actions a wake rewrites.
    pub fn len(&self) -> usize {
        self.listeners.len() + self.rules.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl StackConfig {
    /// The services with `wake_on_request`: those named, in file order, then those the woken
    /// selectors selected when the configuration was checked against AWS (`deploy::wake`),
    /// selector by selector. Their position names their wake target group.
    pub fn woken(&self) -> impl Iterator<Item = (&ServiceSpec, &WakeSpec)> {
        let selected = self
            .selectors
            .iter()
            .filter_map(|s| s.wake.as_ref())
            .flat_map(|w| w.selected.iter().flatten());
        self.services
            .iter()
            .chain(selected)
            .filter_map(|s| s.wake.as_ref().map(|w| (s, w)))
    }

    /// Whether any service or selector has `wake_on_request`: the stack may have wake
    /// target groups (known before a selector's services are read).
    pub fn wakes_on_request(&self) -> bool {
        self.services.iter().any(|s| s.wake.is_some())
            || self.selectors.iter().any(|s| s.wake.is_some())
    }
}

/// `wake_on_request = true` on a tag selector: every service it selects is woken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelectorWake {
    /// What each selected service's wake is (its routes are each service's own).
    pub wake: WakeSpec,
    /// The services the selector selected when the configuration was checked against AWS
    /// (`deploy::wake::select`), each with its own routes; `None` until then (`synth`, a
    /// configuration only read).
    pub selected: Option<Vec<ServiceSpec>>,
}

/// `wake_idle_minutes` when the file gives none.
pub const DEFAULT_WAKE_IDLE_MINUTES: u32 = 60;
/// The range of `wake_idle_minutes`: long enough for a task to start and be used, at most
/// half a day (a hold past the next morning would outlive the night it answers).
pub const WAKE_IDLE_MINUTES: std::ops::RangeInclusive<u32> = 10..=720;

/// A `[[services]]` entry with `tag`: every service of the cluster (or of every cluster)
/// carrying the tag when a trigger fires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelectorSpec {
    pub cluster: ClusterScope,
    pub tag: TagMatch,
    /// `None`: restore mode for each service it selects.
    pub capacity: Option<Capacity>,
    /// The `[schedules.NAME]` it follows; `None`: `[schedule]`.
    pub schedule: Option<String>,
    /// The wave of every service it selects.
    pub wave: u8,
    /// `wake_on_request = true`: every service it selects wakes on a request.
    pub wake: Option<SelectorWake>,
}

impl SelectorSpec {
    /// `cluster:tag`, as the function names the selector that chose a service.
    pub fn label(&self) -> String {
        format!("{}:{}", self.cluster, self.tag)
    }
}

impl SelectsByTag for SelectorSpec {
    fn scope(&self) -> &ClusterScope {
        &self.cluster
    }
    fn tag_match(&self) -> &TagMatch {
        &self.tag
    }
}

/// One schedule a stack deploys triggers for: its name (`None`: `[schedule]`) and settings.
#[derive(Debug, Clone, Copy)]
pub struct ScheduleRef<'a> {
    pub name: Option<&'a str>,
    pub schedule: &'a Schedule,
}

impl<'a> ScheduleRef<'a> {
    /// As shown to people: the name, or `default`.
    pub fn label(&self) -> &'a str {
        self.name.unwrap_or(DEFAULT_SCHEDULE)
    }
}

/// How `[schedule]` is called where schedules are listed (the function's name for it, in
/// `WORKTIME_SCHEDULES` and events); no `[schedules.NAME]` may take it.
pub use worktime_lambda::DEFAULT_SCHEDULE;

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
    /// This account's own services and selectors, or the top-level ones.
    pub services: Vec<ServiceSpec>,
    pub selectors: Vec<SelectorSpec>,
    /// `[accounts.notify]`, or the top-level `[notify]` (`None`: neither).
    pub notify: Option<NotifySettings>,
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
                // A role of the caller's account: other accounts need their own.
                execution_role_arn: None,
            },
            schedule: account.schedule.clone(),
            schedules: self.home.schedules.clone(),
            services: account.services.clone(),
            selectors: account.selectors.clone(),
            function: self.home.function,
            notify: account.notify.clone(),
            // Validation refuses `[[capacity]]` with `[[accounts]]`: a group is one account's.
            capacity: Vec::new(),
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
    /// The schedules this stack deploys triggers for, `[schedule]` first: those at least one
    /// service or selector follows.
    pub fn schedules_in_use(&self) -> Vec<ScheduleRef<'_>> {
        let used = |name: Option<&str>| {
            self.services.iter().any(|s| s.schedule.as_deref() == name)
                || self.selectors.iter().any(|s| s.schedule.as_deref() == name)
        };
        let mut list = Vec::new();
        if used(None) {
            list.push(ScheduleRef {
                name: None,
                schedule: &self.schedule,
            });
        }
        for (name, schedule) in &self.schedules {
            if used(Some(name)) {
                list.push(ScheduleRef {
                    name: Some(name),
                    schedule,
                });
            }
        }
        list
    }

    /// The schedule `name` (`None`: `[schedule]`); validation guarantees every name a
    /// service or selector gives exists.
    /// The schedule shown as `label` (`default`: `[schedule]`), if there is one.
    pub fn schedule_labelled(&self, label: &str) -> Option<&Schedule> {
        if label == DEFAULT_SCHEDULE {
            Some(&self.schedule)
        } else {
            self.schedules.get(label)
        }
    }

    pub fn schedule_named(&self, name: Option<&str>) -> &Schedule {
        name.and_then(|n| self.schedules.get(n))
            .unwrap_or(&self.schedule)
    }

    /// The payload the trigger of schedule `name` carries for `action`: its services with
    /// their declared capacity, its selectors, its zone and skip dates, so the function needs
    /// nothing else to act safely.
    pub fn scaling_event(&self, action: Action, name: Option<&str>) -> RawEvent {
        let schedule = self.schedule_named(name);
        let services: Vec<ServiceTarget> = self
            .services
            .iter()
            .filter(|s| s.schedule.as_deref() == name)
            .map(|s| ServiceTarget::new(&s.cluster, &s.service, s.capacity).in_wave(s.wave))
            .collect();
        let selectors: Vec<SelectorTarget> = self
            .selectors
            .iter()
            .filter(|s| s.schedule.as_deref() == name)
            .map(|s| SelectorTarget::new(&s.cluster, &s.tag, s.capacity).in_wave(s.wave))
            .collect();
        RawEvent {
            action: Some(action.as_str().to_string()),
            // An event of selectors only leaves `services` out (the function would otherwise
            // fall back to its default list).
            services: (!services.is_empty() || selectors.is_empty()).then_some(services),
            selectors: (!selectors.is_empty()).then_some(selectors),
            schedule: name.map(str::to_string),
            timezone: Some(schedule.timezone.name().to_string()),
            skip_dates: if schedule.skip_dates.is_empty() {
                None
            } else {
                Some(
                    schedule
                        .skip_dates
                        .iter()
                        .map(|d| d.format("%Y-%m-%d").to_string())
                        .collect(),
                )
            },
            dry_run: None,
            scheduled_time: None,
            crons: Some(schedule.crons()),
            ready_within_minutes: Some(schedule.ready_within_minutes),
            warn_before_minutes: match action {
                Action::Notice => schedule.notice.as_ref().map(|n| n.minutes),
                _ => None,
            },
            // Only a schedule that runs in waves waits for one; the others' payloads stay as
            // they were.
            wave_timeout_minutes: self
                .runs_in_waves(name)
                .then_some(schedule.wave_timeout_minutes),
            capacity: match action {
                Action::ScaleIn | Action::ScaleOut => self.capacity_of(name),
                // A reconcile or a notice has no order to keep: the groups move only with
                // the night and the morning.
                _ => None,
            },
        }
    }

    /// The `[[capacity]]` groups that follow schedule `name`, as its payload carries them.
    fn capacity_of(&self, name: Option<&str>) -> Option<Vec<worktime_lambda::CapacityTarget>> {
        let groups: Vec<worktime_lambda::CapacityTarget> = self
            .capacity
            .iter()
            .filter(|c| c.schedule.as_deref() == name)
            .map(|c| worktime_lambda::CapacityTarget {
                cluster: c.cluster.clone(),
                autoscaling_group: c.autoscaling_group.clone(),
            })
            .collect();
        (!groups.is_empty()).then_some(groups)
    }

    /// The waves the services and selectors of schedule `name` are in.
    pub fn waves_of(&self, name: Option<&str>) -> std::collections::BTreeSet<u8> {
        self.services
            .iter()
            .filter(|s| s.schedule.as_deref() == name)
            .map(|s| s.wave)
            .chain(
                self.selectors
                    .iter()
                    .filter(|s| s.schedule.as_deref() == name)
                    .map(|s| s.wave),
            )
            .collect()
    }

    /// Whether schedule `name` runs its scale-in and scale-out in stages that wait for each
    /// other: its services are in more than one wave, or a `[[capacity]]` group follows it.
    /// One-wave schedules without capacity are invoked directly, as before waves existed.
    pub fn runs_in_waves(&self, name: Option<&str>) -> bool {
        self.waves_of(name).len() > 1 || self.capacity.iter().any(|c| c.schedule.as_deref() == name)
    }

    /// The entry that owns a service, by the function's own rule ([`owner`]): its explicit
    /// entry, else the first selector (file order) whose cluster and tag match the service's
    /// `tags`; `None`: the config does not manage the service.
    pub fn owner_of_service<'a>(
        &self,
        cluster: &str,
        service: &str,
        tags: impl Iterator<Item = (&'a str, &'a str)> + Clone,
    ) -> Option<Owner<'_, ServiceSpec, SelectorSpec>> {
        let entry = self
            .services
            .iter()
            .find(|s| s.cluster == cluster && s.service == service);
        owner(entry, &self.selectors, cluster, tags)
    }

    /// The schedule named `name` (`None`: `[schedule]`).
    pub fn schedule_ref(&self, name: Option<&str>) -> ScheduleRef<'_> {
        match name.and_then(|n| self.schedules.get_key_value(n)) {
            Some((name, schedule)) => ScheduleRef {
                name: Some(name),
                schedule,
            },
            None => ScheduleRef {
                name: None,
                schedule: &self.schedule,
            },
        }
    }

    /// Name of the scaling function (also the stem of its log group).
    pub fn function_name(&self) -> String {
        format!("{}-scaler", self.stack.name)
    }

    /// Refuses to deploy this stack to `region` when `[notify]`'s existing topic lies in
    /// another region (validation checks `stack.region` and every `[[accounts]]` region;
    /// this is for a region given on the command line: `--region`, `rollout --regions`).
    pub fn check_notify_region(&self, region: &str) -> Result<(), ConfigError> {
        let Some(notify) = &self.notify else {
            return Ok(());
        };
        match notify.topic_region() {
            Some(topic_region) if topic_region != region => Err(ConfigError {
                path: self.path.clone(),
                line: None,
                key: Some("notify.sns_topic_arn".into()),
                problem: topic_region_problem(notify, topic_region, region, "this stack"),
                fix: format!(
                    "deploy this configuration to {topic_region} only, or make it notify a topic in {region}: email = [...] in [notify] has each stack create a topic of its own in its region"
                ),
            }),
            _ => Ok(()),
        }
    }
}

/// Why a stack in `region` cannot use `[notify]`'s topic in `topic_region`; `whose`
/// names the stack ("this stack", "account 111111111111").
pub(crate) fn topic_region_problem(
    notify: &NotifySettings,
    topic_region: &str,
    region: &str,
    whose: &str,
) -> String {
    format!(
        "the topic {} is in {topic_region}, but {whose} deploys to {region}: CloudWatch alarms notify only a topic in their own region (\"Only {region} is supported\") and the function publishes through an SNS client of its region, so every create or update of the stack would fail and roll back",
        notify.topic_arn.as_deref().unwrap_or_default()
    )
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
