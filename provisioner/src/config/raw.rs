//! The raw, serde-facing shape of `worktime.toml`: every table denies unknown keys, and
//! values keep their spans for line numbers.

use indexmap::IndexMap;
use serde::Deserialize;
use toml::Spanned;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct File {
    pub stack: Stack,
    pub schedule: Schedule,
    /// `[schedules.NAME]`, in file order.
    #[serde(default)]
    pub schedules: Option<IndexMap<String, Spanned<Schedule>>>,
    #[serde(default)]
    pub services: Option<Spanned<Vec<Spanned<Service>>>>,
    #[serde(default)]
    pub function: Option<Function>,
    #[serde(default)]
    pub accounts: Option<Vec<Spanned<Account>>>,
    #[serde(default)]
    pub stacksets: Option<Spanned<StackSets>>,
    #[serde(default)]
    pub notify: Option<Spanned<Notify>>,
    /// `[[capacity]]`: Auto Scaling groups that follow their cluster's services.
    #[serde(default)]
    pub capacity: Option<Spanned<Vec<Spanned<CapacityGroup>>>>,
}

/// One `[[capacity]]` entry: the EC2 instances under a cluster's services.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CapacityGroup {
    pub cluster: Spanned<String>,
    pub autoscaling_group: Spanned<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Notify {
    #[serde(default)]
    pub email: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    pub sns_topic_arn: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StackSets {
    #[serde(default)]
    pub permission_model: Option<Spanned<String>>,
    #[serde(default)]
    pub administration_role_arn: Option<Spanned<String>>,
    #[serde(default)]
    pub execution_role_name: Option<Spanned<String>>,
    #[serde(default)]
    pub organizational_units: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    pub organization_id: Option<Spanned<String>>,
    #[serde(default)]
    pub auto_deployment: Option<Spanned<bool>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Account {
    pub id: Spanned<String>,
    #[serde(default)]
    pub role: Option<Spanned<String>>,
    #[serde(default)]
    pub external_id: Option<Spanned<String>>,
    #[serde(default)]
    pub profile: Option<Spanned<String>>,
    #[serde(default)]
    pub regions: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    pub schedule: Option<ScheduleOverride>,
    #[serde(default)]
    pub services: Option<Spanned<Vec<Spanned<Service>>>>,
    /// `[accounts.notify]`: this account's own `[notify]`, replacing the top-level one.
    #[serde(default)]
    pub notify: Option<Spanned<Notify>>,
}

/// Any `[schedule]` key, for one account.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleOverride {
    #[serde(default)]
    pub timezone: Option<Spanned<String>>,
    #[serde(default)]
    pub scale_out: Option<Spanned<String>>,
    #[serde(default)]
    pub scale_in: Option<Spanned<String>>,
    #[serde(default)]
    pub trigger: Option<Spanned<String>>,
    #[serde(default)]
    pub skip_dates: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    pub skip_calendar: Option<Spanned<String>>,
    /// Removed (windows decide lateness); read only to say so.
    #[serde(default)]
    pub max_delay_minutes: Option<Spanned<i64>>,
    #[serde(default)]
    pub reconcile_minutes: Option<Spanned<i64>>,
    #[serde(default)]
    pub ready_within_minutes: Option<Spanned<i64>>,
    #[serde(default)]
    pub warn_before_minutes: Option<Spanned<i64>>,
    #[serde(default)]
    pub wave_timeout_minutes: Option<Spanned<i64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stack {
    #[serde(default)]
    pub name: Option<Spanned<String>>,
    pub region: Spanned<String>,
    #[serde(default)]
    pub execution_role_arn: Option<Spanned<String>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Schedule {
    pub timezone: Spanned<String>,
    pub scale_out: Spanned<String>,
    pub scale_in: Spanned<String>,
    #[serde(default)]
    pub trigger: Option<Spanned<String>>,
    #[serde(default)]
    pub skip_dates: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    pub skip_calendar: Option<Spanned<String>>,
    /// Removed (windows decide lateness); read only to say so.
    #[serde(default)]
    pub max_delay_minutes: Option<Spanned<i64>>,
    #[serde(default)]
    pub reconcile_minutes: Option<Spanned<i64>>,
    #[serde(default)]
    pub ready_within_minutes: Option<Spanned<i64>>,
    #[serde(default)]
    pub warn_before_minutes: Option<Spanned<i64>>,
    #[serde(default)]
    pub wave_timeout_minutes: Option<Spanned<i64>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Service {
    /// A cluster name, or `"*"` with `tag`.
    pub cluster: Spanned<String>,
    /// One service by name; or `tag`, never both.
    #[serde(default)]
    pub service: Option<Spanned<String>>,
    /// A tag selector: `"key=value"` or `"key"`.
    #[serde(default)]
    pub tag: Option<Spanned<String>>,
    /// A `[schedules.NAME]` (absent: `[schedule]`).
    #[serde(default)]
    pub schedule: Option<Spanned<String>>,
    #[serde(default)]
    pub min: Option<Spanned<i64>>,
    #[serde(default)]
    pub max: Option<Spanned<i64>>,
    /// 0-9: lower waves start first in the morning and stop last at night.
    #[serde(default)]
    pub wave: Option<Spanned<i64>>,
    /// Off hours, a request to the service's Application Load Balancer wakes it.
    #[serde(default)]
    pub wake_on_request: Option<Spanned<bool>>,
    /// How long a wake holds the service up (minutes).
    #[serde(default)]
    pub wake_idle_minutes: Option<Spanned<i64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Function {
    #[serde(default)]
    pub architecture: Option<Spanned<String>>,
    #[serde(default)]
    pub memory_mb: Option<Spanned<i64>>,
    #[serde(default)]
    pub timeout_seconds: Option<Spanned<i64>>,
    #[serde(default)]
    pub log_retention_days: Option<Spanned<i64>>,
    #[serde(default)]
    pub reserved_concurrency: Option<Spanned<i64>>,
}
