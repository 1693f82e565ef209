//! `worktime.toml`: the validated configuration every command starts from.
//!
//! Parsing goes in two steps: serde reads the file into `raw` structs that deny unknown
//! keys, then `validate` turns them into the typed [`Config`] below, or into a
//! [`ConfigError`] that names the file, the key, the line where known, and the fix.

use std::collections::HashSet;
use std::fmt;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use chrono_tz::Tz;
use worktime_lambda::event::{is_valid_ecs_name, Action, Capacity, RawEvent, ServiceTarget};

use crate::cron::{observes_dst, AwsCron};

/// The validated configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Where it was read from (for messages).
    pub path: PathBuf,
    pub stack: StackSettings,
    pub schedule: Schedule,
    pub services: Vec<ServiceSpec>,
    pub function: FunctionSettings,
    /// `[[accounts]]`: the targets of `worktime rollout` (empty: the caller's own account).
    pub accounts: Vec<Account>,
    /// `[stacksets]`: how `worktime rollout --engine stacksets` deploys (absent: that engine
    /// is not configured).
    pub stacksets: Option<StackSetSettings>,
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

#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    pub timezone: Tz,
    /// In `timezone` local time.
    pub scale_out: AwsCron,
    /// In `timezone` local time.
    pub scale_in: AwsCron,
    pub trigger: Trigger,
    /// Local dates with no scale-out.
    pub skip_dates: Vec<NaiveDate>,
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
}

impl Default for FunctionSettings {
    fn default() -> Self {
        FunctionSettings {
            architecture: Architecture::Arm64,
            memory_mb: 128,
            timeout_seconds: 60,
            log_retention_days: 30,
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

impl Config {
    /// The configuration one target (account, region) deploys: this account's schedule and
    /// services, the given region, no nested accounts.
    pub fn for_target(&self, account: &Account, region: &str) -> Config {
        Config {
            path: self.path.clone(),
            stack: StackSettings {
                name: self.stack.name.clone(),
                region: region.to_string(),
            },
            schedule: account.schedule.clone(),
            services: account.services.clone(),
            function: self.function,
            accounts: Vec::new(),
            stacksets: None,
        }
    }

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
        }
    }

    /// Name of the scaling function (also the stem of its log group).
    pub fn function_name(&self) -> String {
        format!("{}-scaler", self.stack.name)
    }

    /// Every region a target lists, in config order: the union of the `[[accounts]]`
    /// regions, or `stack.region` without accounts (the regions of a stack set's instances).
    pub fn stackset_regions(&self) -> Vec<String> {
        let mut regions: Vec<String> = Vec::new();
        for region in self.accounts.iter().flat_map(|a| &a.regions) {
            if !regions.contains(region) {
                regions.push(region.clone());
            }
        }
        if regions.is_empty() {
            regions.push(self.stack.region.clone());
        }
        regions
    }
}

// ---------------------------------------------------------------------------------------
// Loading and validation.
// ---------------------------------------------------------------------------------------

/// A configuration that can't be used: where (file, line, key), what is wrong, and the fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigError {
    /// The configuration file.
    pub path: PathBuf,
    /// 1-based line number, when known.
    pub line: Option<usize>,
    /// Key path such as `services[2].min` or `schedule.timezone`, when the problem has one.
    pub key: Option<String>,
    /// What is wrong.
    pub problem: String,
    /// How to fix it.
    pub fix: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        write!(f, ": ")?;
        if let Some(key) = &self.key {
            write!(f, "{key}: ")?;
        }
        write!(
            f,
            "{}. Fix: {}",
            self.problem.trim_end_matches('.'),
            self.fix.trim_end_matches('.')
        )?;
        f.write_str(".")
    }
}

/// The default configuration file name.
pub const DEFAULT_PATH: &str = "worktime.toml";

/// CloudWatch Logs' allowed retention periods, in days.
pub const LOG_RETENTION_DAYS: [u32; 22] = [
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

/// Longest stack name: `<name>-scaler-<region>` and similar derived names must fit IAM's
/// 64-character limit.
pub const MAX_STACK_NAME_LEN: usize = 32;

/// Reads and validates the configuration at `path`.
pub fn load(path: &Path) -> Result<Config, ConfigError> {
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
    parse(&text, path)
}

/// Parses and validates configuration `text`; `path` is only used in messages.
pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
    let raw: raw::File = toml::from_str(text).map_err(|e| toml_error(&e, text, path))?;
    Validator { text, path }.validate(raw)
}

/// The raw, serde-facing shape of `worktime.toml`. Every table denies unknown keys.
mod raw {
    use serde::Deserialize;
    use toml::Spanned;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct File {
        pub stack: Stack,
        pub schedule: Schedule,
        #[serde(default)]
        pub services: Option<Spanned<Vec<Spanned<Service>>>>,
        #[serde(default)]
        pub function: Option<Function>,
        #[serde(default)]
        pub accounts: Option<Vec<Spanned<Account>>>,
        #[serde(default)]
        pub stacksets: Option<Spanned<StackSets>>,
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
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Stack {
        #[serde(default)]
        pub name: Option<Spanned<String>>,
        pub region: Spanned<String>,
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
    }

    #[derive(Debug, Clone, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Service {
        pub cluster: Spanned<String>,
        pub service: Spanned<String>,
        #[serde(default)]
        pub min: Option<Spanned<i64>>,
        #[serde(default)]
        pub max: Option<Spanned<i64>>,
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
    }
}

/// 1-based line of byte `offset` in `text`.
fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

/// Best-effort key path at byte `offset`: the enclosing table (with the `[[services]]`
/// index) and the key on that line, if any.
/// Also says whether that line is a table header.
fn key_at(text: &str, offset: usize) -> (Option<String>, Option<String>, bool) {
    let line_no = line_of(text, offset);
    let mut table: Option<String> = None;
    let mut counts: std::collections::HashMap<String, usize> = Default::default();
    let mut key = None;
    let mut header = false;
    for (i, line) in text.lines().enumerate().take(line_no) {
        let code = line.split('#').next().unwrap_or("").trim();
        header = false;
        if let Some(inner) = code.strip_prefix("[[").and_then(|c| c.strip_suffix("]]")) {
            let name = inner.trim().to_string();
            let n = counts.entry(name.clone()).or_insert(0);
            table = Some(format!("{name}[{n}]"));
            *n += 1;
            header = true;
        } else if let Some(inner) = code.strip_prefix('[').and_then(|c| c.strip_suffix(']')) {
            table = Some(inner.trim().to_string());
            header = true;
        } else if i + 1 == line_no {
            if let Some((lhs, _)) = code.split_once('=') {
                let lhs = lhs.trim().trim_matches('"').trim_matches('\'');
                if !lhs.is_empty() {
                    key = Some(lhs.to_string());
                }
            }
        }
    }
    (table, key, header)
}

fn join_key(table: Option<String>, key: Option<String>) -> Option<String> {
    match (table, key) {
        (Some(t), Some(k)) => Some(format!("{t}.{k}")),
        (t, k) => t.or(k),
    }
}

fn toml_error(e: &toml::de::Error, text: &str, path: &Path) -> ConfigError {
    let message = e.message().trim().to_string();
    let (line, table, line_key, on_header) = match e.span() {
        Some(span) => {
            let (t, k, h) = key_at(text, span.start);
            (Some(line_of(text, span.start)), t, k, h)
        }
        None => (None, None, None, false),
    };
    let backticked = |m: &str| m.split('`').nth(1).map(str::to_string);
    let (key, fix) = if message.starts_with("unknown field") {
        let field = backticked(&message);
        // On a header line the unknown key is the table itself (`[functions]`).
        let key = if on_header {
            table
        } else {
            join_key(table, field.or(line_key))
        };
        (
            key,
            "remove the key or correct its spelling (the accepted keys are listed above; `worktime init` writes a commented example)".to_string(),
        )
    } else if message.starts_with("missing field") {
        let field = backticked(&message);
        // The span of a missing key is its table's; don't take a key from that line.
        (
            join_key(table, field),
            "add it (`worktime init` writes a commented example with every key)".to_string(),
        )
    } else if message.starts_with("invalid type") || message.starts_with("invalid value") {
        (
            join_key(table, line_key),
            "give a value of the expected type: quote strings and dates (\"2026-12-25\"), write numbers without quotes".to_string(),
        )
    } else if message.starts_with("duplicate key") {
        (
            join_key(table, line_key),
            "remove the repeated key or table (use [[services]] for each service)".to_string(),
        )
    } else {
        (
            join_key(table, line_key),
            "correct the TOML syntax on that line (see https://toml.io)".to_string(),
        )
    };
    ConfigError {
        path: path.to_path_buf(),
        line,
        key,
        problem: message.replace('\n', " "),
        fix,
    }
}

struct Validator<'a> {
    text: &'a str,
    path: &'a Path,
}

impl Validator<'_> {
    fn err<T>(
        &self,
        key: impl Into<String>,
        spanned: Option<&toml::Spanned<T>>,
        problem: impl Into<String>,
        fix: impl Into<String>,
    ) -> ConfigError {
        ConfigError {
            path: self.path.to_path_buf(),
            line: spanned.map(|s| line_of(self.text, s.span().start)),
            key: Some(key.into()),
            problem: problem.into(),
            fix: fix.into(),
        }
    }

    fn validate(&self, raw: raw::File) -> Result<Config, ConfigError> {
        let stack = self.stack(raw.stack)?;
        let schedule = self.schedule(raw.schedule.clone())?;
        let services = self.services(raw.services.clone())?;
        let function = self.function(raw.function)?;
        let accounts = self.accounts(
            raw.accounts.unwrap_or_default(),
            &raw.schedule,
            &raw.services,
            &stack,
        )?;
        let stacksets = raw.stacksets.map(|t| self.stacksets(t)).transpose()?;
        Ok(Config {
            path: self.path.to_path_buf(),
            stack,
            schedule,
            services,
            function,
            accounts,
            stacksets,
        })
    }

    /// `[stacksets]`: the permission model and the keys that belong to it; a key of the other
    /// model is an error rather than silently ignored.
    fn stacksets(
        &self,
        table: toml::Spanned<raw::StackSets>,
    ) -> Result<StackSetSettings, ConfigError> {
        const SELF: &str = "self-managed";
        const SERVICE: &str = "service-managed";
        let raw = table.get_ref();
        let service_managed = match &raw.permission_model {
            None => false,
            Some(m) => match m.get_ref().trim() {
                SELF => false,
                SERVICE => true,
                other => {
                    return Err(self.err(
                        "stacksets.permission_model",
                        Some(m),
                        format!("{other:?} is not a stack set permission model"),
                        "use \"self-managed\" (roles you create; instances in the [[accounts]] ids) or \"service-managed\" (AWS Organizations; instances in every account of organizational_units)",
                    ))
                }
            },
        };
        // A key that belongs to the other permission model.
        let misplaced = |key: &str, line: Option<usize>, model: &str, fix: &str| ConfigError {
            path: self.path.to_path_buf(),
            line,
            key: Some(format!("stacksets.{key}")),
            problem: format!("{key} applies to permission_model = \"{model}\" only"),
            fix: fix.to_string(),
        };
        let line = |start: usize| Some(line_of(self.text, start));
        if !service_managed {
            let service_keys = [
                (
                    "organizational_units",
                    raw.organizational_units.as_ref().map(|v| v.span().start),
                ),
                (
                    "organization_id",
                    raw.organization_id.as_ref().map(|v| v.span().start),
                ),
                (
                    "auto_deployment",
                    raw.auto_deployment.as_ref().map(|v| v.span().start),
                ),
            ];
            if let Some((key, Some(start))) = service_keys.into_iter().find(|(_, s)| s.is_some()) {
                return Err(misplaced(
                    key,
                    line(start),
                    SERVICE,
                    "remove it, or set permission_model = \"service-managed\" to deploy through AWS Organizations",
                ));
            }
            let administration_role_arn = match &raw.administration_role_arn {
                None => None,
                Some(arn) => {
                    let text = arn.get_ref().trim();
                    if !is_role_arn(text) {
                        return Err(self.err(
                            "stacksets.administration_role_arn",
                            Some(arn),
                            format!("{text:?} is not an IAM role ARN"),
                            format!("give the full ARN, e.g. \"arn:aws:iam::111111111111:role/{DEFAULT_ADMINISTRATION_ROLE_NAME}\", or leave it out to use that role in your own account"),
                        ));
                    }
                    Some(text.to_string())
                }
            };
            let execution_role_name = match &raw.execution_role_name {
                None => DEFAULT_EXECUTION_ROLE_NAME.to_string(),
                Some(name) => {
                    let text = name.get_ref().trim();
                    if !is_role_name(text) {
                        return Err(self.err(
                            "stacksets.execution_role_name",
                            Some(name),
                            format!("{text:?} is not an IAM role name"),
                            format!("give the name (not the ARN) of the role every target account has for StackSets, e.g. \"{DEFAULT_EXECUTION_ROLE_NAME}\" (the default)"),
                        ));
                    }
                    text.to_string()
                }
            };
            return Ok(StackSetSettings {
                permissions: StackSetPermissions::SelfManaged {
                    administration_role_arn,
                    execution_role_name,
                },
            });
        }

        let self_keys = [
            (
                "administration_role_arn",
                raw.administration_role_arn.as_ref().map(|v| v.span().start),
            ),
            (
                "execution_role_name",
                raw.execution_role_name.as_ref().map(|v| v.span().start),
            ),
        ];
        if let Some((key, Some(start))) = self_keys.into_iter().find(|(_, s)| s.is_some()) {
            return Err(misplaced(
                key,
                line(start),
                SELF,
                "remove it: with service-managed permissions AWS Organizations creates the roles StackSets uses",
            ));
        }
        let Some(units) = &raw.organizational_units else {
            return Err(self.err(
                "stacksets.organizational_units",
                Some(&table),
                "service-managed stack sets need the organizational units to deploy to",
                "add organizational_units = [\"ou-abcd-12345678\"] (the OU ids from AWS Organizations)",
            ));
        };
        let organizational_units = self.unique_list(
            "stacksets.organizational_units",
            units,
            is_ou_id,
            "is not an organizational unit id",
            "use the OU's id as AWS Organizations shows it: \"ou-\" followed by the root part and the unit part, e.g. \"ou-abcd-12345678\"",
        )?;
        let Some(org) = &raw.organization_id else {
            return Err(self.err(
                "stacksets.organization_id",
                Some(&table),
                "service-managed stack sets need the organization id: the code bucket grants read access to the organization's accounts",
                "add organization_id = \"o-...\" (AWS Organizations shows it; aws organizations describe-organization)",
            ));
        };
        let organization_id = org.get_ref().trim();
        if !is_organization_id(organization_id) {
            return Err(self.err(
                "stacksets.organization_id",
                Some(org),
                format!("{organization_id:?} is not an AWS Organizations id"),
                "use the organization's id: \"o-\" followed by 10 to 32 lowercase letters and digits",
            ));
        }
        Ok(StackSetSettings {
            permissions: StackSetPermissions::ServiceManaged {
                organizational_units,
                organization_id: organization_id.to_string(),
                auto_deployment: raw.auto_deployment.as_ref().is_none_or(|a| *a.get_ref()),
            },
        })
    }

    /// `[[accounts]]`: each entry inherits every `[schedule]` key it does not override and
    /// the top-level services unless it lists its own, then goes through the same checks;
    /// errors name the account.
    fn accounts(
        &self,
        raw: Vec<toml::Spanned<raw::Account>>,
        base_schedule: &raw::Schedule,
        base_services: &Option<toml::Spanned<Vec<toml::Spanned<raw::Service>>>>,
        stack: &StackSettings,
    ) -> Result<Vec<Account>, ConfigError> {
        let mut seen = HashSet::new();
        let mut out = Vec::with_capacity(raw.len());
        for (i, entry) in raw.into_iter().enumerate() {
            let account = entry.get_ref();
            let id = account.id.get_ref().trim().to_string();
            let prefix = format!("accounts[{i}]");
            if id.len() != 12 || !id.chars().all(|c| c.is_ascii_digit()) {
                return Err(self.err(
                    format!("{prefix}.id"),
                    Some(&account.id),
                    format!("{id:?} is not an AWS account id"),
                    "write the 12-digit account id as a string, e.g. id = \"111111111111\"",
                ));
            }
            let named = format!("{prefix} ({id})");
            if !seen.insert(id.clone()) {
                return Err(self.err(
                    format!("{named}.id"),
                    Some(&account.id),
                    format!("account {id} is listed twice"),
                    "list each account once, with all its regions in `regions`",
                ));
            }
            let access = match (&account.role, &account.profile) {
                (Some(role), None) => {
                    let text = role.get_ref().trim();
                    let arn = if text.starts_with("arn:") {
                        if !is_role_arn(text) {
                            return Err(self.err(
                                format!("{named}.role"),
                                Some(role),
                                format!("{text:?} is not an IAM role ARN"),
                                "give a role name (\"OrganizationAccountAccessRole\") or a full ARN (\"arn:aws:iam::111111111111:role/Name\")",
                            ));
                        }
                        let owner = text.split(':').nth(4).unwrap_or_default();
                        if owner != id {
                            return Err(self.err(
                                format!("{named}.role"),
                                Some(role),
                                format!("the role ARN is in account {owner}, not {id}"),
                                "use a role of this account, or correct the id",
                            ));
                        }
                        text.to_string()
                    } else if text.split('/').filter(|part| !part.is_empty()).all(is_role_name)
                        && !text.trim_matches('/').is_empty()
                    {
                        // A role name, with its path if it has one (`teams/Deployer`).
                        format!("arn:aws:iam::{id}:role/{}", text.trim_matches('/'))
                    } else {
                        return Err(self.err(
                            format!("{named}.role"),
                            Some(role),
                            format!("{text:?} is not an IAM role name"),
                            "give a role name such as \"OrganizationAccountAccessRole\" or a full role ARN",
                        ));
                    };
                    AccountAccess::Role {
                        arn,
                        external_id: account.external_id.as_ref().map(|e| e.get_ref().clone()),
                    }
                }
                (None, Some(profile)) => {
                    if account.external_id.is_some() {
                        return Err(self.err(
                            format!("{named}.external_id"),
                            account.external_id.as_ref(),
                            "external_id goes with role, not with profile",
                            "put the external id in the profile's own configuration, or use role = ...",
                        ));
                    }
                    AccountAccess::Profile(profile.get_ref().clone())
                }
                (Some(role), Some(_)) => {
                    return Err(self.err(
                        format!("{named}.profile"),
                        Some(role),
                        "both role and profile are given",
                        "keep one: role (assumed from your own credentials) or profile (a named profile)",
                    ))
                }
                (None, None) => {
                    return Err(self.err(
                        named.clone(),
                        Some(&entry),
                        "the account says neither how to reach it (role) nor which profile to use",
                        "add role = \"OrganizationAccountAccessRole\" (or another role name or ARN), or profile = \"<name>\"",
                    ))
                }
            };
            let regions = match &account.regions {
                None => vec![stack.region.clone()],
                Some(list) => self.unique_list(
                    &format!("{named}.regions"),
                    list,
                    is_valid_region,
                    "is not an AWS Region code",
                    "use a code such as \"ap-northeast-2\" or \"us-east-1\", or leave regions out to use stack.region",
                )?,
            };
            let mut schedule_raw = base_schedule.clone();
            if let Some(o) = &account.schedule {
                if let Some(v) = &o.timezone {
                    schedule_raw.timezone = v.clone();
                }
                if let Some(v) = &o.scale_out {
                    schedule_raw.scale_out = v.clone();
                }
                if let Some(v) = &o.scale_in {
                    schedule_raw.scale_in = v.clone();
                }
                if let Some(v) = &o.trigger {
                    schedule_raw.trigger = Some(v.clone());
                }
                if let Some(v) = &o.skip_dates {
                    schedule_raw.skip_dates = Some(v.clone());
                }
            }
            let in_account = |mut e: ConfigError| {
                e.key = Some(match e.key {
                    Some(key) => format!("{named}.{key}"),
                    None => named.clone(),
                });
                e
            };
            let schedule = self.schedule(schedule_raw).map_err(in_account)?;
            let services = self
                .services(account.services.clone().or_else(|| base_services.clone()))
                .map_err(in_account)?;
            out.push(Account {
                id,
                access,
                regions,
                schedule,
                services,
            });
        }
        Ok(out)
    }

    /// A non-empty list of distinct values that each pass `valid` (regions, OU ids).
    fn unique_list(
        &self,
        key: &str,
        list: &toml::Spanned<Vec<toml::Spanned<String>>>,
        valid: fn(&str) -> bool,
        invalid: &str,
        fix: &str,
    ) -> Result<Vec<String>, ConfigError> {
        if list.get_ref().is_empty() {
            return Err(self.err(
                key,
                Some(list),
                "the list is empty",
                format!("list at least one value: {fix}"),
            ));
        }
        let mut out: Vec<String> = Vec::with_capacity(list.get_ref().len());
        for (i, item) in list.get_ref().iter().enumerate() {
            let text = item.get_ref().trim();
            if !valid(text) {
                return Err(self.err(
                    format!("{key}[{i}]"),
                    Some(item),
                    format!("{text:?} {invalid}"),
                    fix,
                ));
            }
            if out.iter().any(|seen| seen == text) {
                return Err(self.err(
                    format!("{key}[{i}]"),
                    Some(item),
                    format!("{text} is listed twice"),
                    "list each value once",
                ));
            }
            out.push(text.to_string());
        }
        Ok(out)
    }

    fn stack(&self, raw: raw::Stack) -> Result<StackSettings, ConfigError> {
        let name = match &raw.name {
            None => "worktime".to_string(),
            Some(n) => {
                let v = n.get_ref();
                if let Some(problem) = stack_name_problem(v) {
                    return Err(self.err(
                        "stack.name",
                        Some(n),
                        format!("{v:?} {problem}"),
                        format!(
                            "use 1-{MAX_STACK_NAME_LEN} letters, digits and hyphens, starting with a letter, such as \"worktime\" or \"worktime-prod\""
                        ),
                    ));
                }
                v.clone()
            }
        };
        let region = raw.region.get_ref();
        if !is_valid_region(region) {
            return Err(self.err(
                "stack.region",
                Some(&raw.region),
                format!("{region:?} is not an AWS Region code"),
                "use a code such as \"ap-northeast-2\", \"eu-central-1\" or \"us-east-1\"",
            ));
        }
        Ok(StackSettings {
            name,
            region: region.clone(),
        })
    }

    fn schedule(&self, raw: raw::Schedule) -> Result<Schedule, ConfigError> {
        let tz_text = raw.timezone.get_ref().trim();
        let timezone: Tz = tz_text.parse().map_err(|_| {
            let fix = match suggest_zone(tz_text) {
                Some(s) => format!("did you mean \"{s}\"? Use an IANA zone name from the tz database"),
                None => "use a name such as \"Asia/Seoul\", \"Europe/Berlin\" or \"UTC\" (see the tz database)".to_string(),
            };
            self.err(
                "schedule.timezone",
                Some(&raw.timezone),
                format!("{tz_text:?} is not an IANA time zone name"),
                fix,
            )
        })?;

        let cron = |key: &str, s: &toml::Spanned<String>| {
            AwsCron::parse(s.get_ref()).map_err(|e| {
                self.err(
                    format!("schedule.{key}"),
                    Some(s),
                    e.describe_problem(),
                    e.fix,
                )
            })
        };
        let scale_out = cron("scale_out", &raw.scale_out)?;
        let scale_in = cron("scale_in", &raw.scale_in)?;
        if scale_out == scale_in {
            return Err(self.err(
                "schedule.scale_in",
                Some(&raw.scale_in),
                format!("scale_in is the same schedule as scale_out ({scale_out})"),
                "give scale_in the time working hours end, for example \"cron(0 19 ? * MON-FRI *)\"",
            ));
        }

        let trigger = match &raw.trigger {
            None => Trigger::Scheduler,
            Some(t) => match t.get_ref().as_str() {
                "rules" => Trigger::Rules,
                "scheduler" => Trigger::Scheduler,
                other => {
                    return Err(self.err(
                        "schedule.trigger",
                        Some(t),
                        format!("{other:?} is not a trigger kind"),
                        "use \"scheduler\" (EventBridge Scheduler, local time, handles daylight saving) or \"rules\" (EventBridge rules in UTC, zones without daylight saving only)",
                    ))
                }
            },
        };
        if trigger == Trigger::Rules {
            if observes_dst(timezone) {
                return Err(self.err(
                    "schedule.trigger",
                    raw.trigger.as_ref(),
                    format!(
                        "trigger = \"rules\" can't follow {} local time: EventBridge rules run in UTC and {} observes daylight saving time, so the schedule would drift by an hour twice a year",
                        timezone.name(),
                        timezone.name()
                    ),
                    "use trigger = \"scheduler\" (EventBridge Scheduler evaluates the cron in your time zone)",
                ));
            }
            for (key, raw_cron, parsed) in [
                ("scale_out", &raw.scale_out, &scale_out),
                ("scale_in", &raw.scale_in, &scale_in),
            ] {
                parsed.to_utc(timezone).map_err(|e| {
                    self.err(
                        format!("schedule.{key}"),
                        Some(raw_cron),
                        format!("with trigger = \"rules\": {}", e.describe_problem()),
                        e.fix,
                    )
                })?;
            }
        }

        let mut skip_dates = Vec::new();
        for (i, d) in raw.skip_dates.iter().flatten().enumerate() {
            let date = parse_date(d.get_ref()).ok_or_else(|| {
                self.err(
                    format!("schedule.skip_dates[{i}]"),
                    Some(d),
                    format!("{:?} is not a date", d.get_ref()),
                    "write dates as \"YYYY-MM-DD\" strings, for example \"2026-12-25\"",
                )
            })?;
            skip_dates.push(date);
        }
        skip_dates.sort();
        skip_dates.dedup();

        Ok(Schedule {
            timezone,
            scale_out,
            scale_in,
            trigger,
            skip_dates,
        })
    }

    fn services(
        &self,
        raw: Option<toml::Spanned<Vec<toml::Spanned<raw::Service>>>>,
    ) -> Result<Vec<ServiceSpec>, ConfigError> {
        const EXAMPLE: &str = "add one [[services]] table per ECS service, with cluster = \"...\" and service = \"...\" (and optionally min and max)";
        let Some(list) = raw else {
            return Err(ConfigError {
                path: self.path.to_path_buf(),
                line: None,
                key: Some("services".into()),
                problem: "no services are listed".into(),
                fix: EXAMPLE.into(),
            });
        };
        if list.get_ref().is_empty() {
            return Err(self.err(
                "services",
                Some(&list),
                "the service list is empty",
                EXAMPLE,
            ));
        }
        if list.get_ref().len() > worktime_lambda::event::MAX_SERVICES {
            return Err(self.err(
                "services",
                Some(&list),
                format!(
                    "{} services are listed, more than the {} one stack can handle",
                    list.get_ref().len(),
                    worktime_lambda::event::MAX_SERVICES
                ),
                "split the services over several stacks (different stack.name)",
            ));
        }
        let mut seen: HashSet<(String, String)> = HashSet::new();
        let mut out = Vec::new();
        for (i, entry) in list.get_ref().iter().enumerate() {
            let svc = entry.get_ref();
            let key = format!("services[{i}]");
            for (field, value) in [("cluster", &svc.cluster), ("service", &svc.service)] {
                if !is_valid_ecs_name(value.get_ref()) {
                    return Err(self.err(
                        format!("{key}.{field}"),
                        Some(value),
                        format!("{:?} is not a valid ECS {field} name", value.get_ref()),
                        "use 1-255 letters, digits, hyphens and underscores (the name, not an ARN)",
                    ));
                }
            }
            let capacity = match (&svc.min, &svc.max) {
                (None, None) => None,
                (Some(min), Some(max)) => {
                    for (field, v) in [("min", min), ("max", max)] {
                        let n = *v.get_ref();
                        if n < 0 {
                            return Err(self.err(
                                format!("{key}.{field}"),
                                Some(v),
                                format!("{field} = {n} is negative"),
                                "use a task count of 0 or more",
                            ));
                        }
                        if n > i64::from(i32::MAX) {
                            return Err(self.err(
                                format!("{key}.{field}"),
                                Some(v),
                                format!("{field} = {n} is too large"),
                                "use a realistic task count",
                            ));
                        }
                    }
                    let (lo, hi) = (*min.get_ref() as i32, *max.get_ref() as i32);
                    let cap = Capacity::new(lo, hi).map_err(|_| {
                        self.err(
                            format!("{key}.min"),
                            Some(min),
                            format!("min = {lo} is greater than max = {hi}"),
                            "set min ≤ max (min is the fewest tasks during working hours, max the most)",
                        )
                    })?;
                    if cap.is_zero() {
                        return Err(self.err(
                            format!("{key}.max"),
                            Some(max),
                            "min = 0 and max = 0 would keep the service stopped during working hours too",
                            "give the working-hours capacity (max at least 1), or leave out both min and max to restore the capacity the service had before scale-in",
                        ));
                    }
                    Some(cap)
                }
                (Some(only), None) | (None, Some(only)) => {
                    let (given, missing) = if svc.min.is_some() {
                        ("min", "max")
                    } else {
                        ("max", "min")
                    };
                    return Err(self.err(
                        format!("{key}.{given}"),
                        Some(only),
                        format!("{given} is given without {missing}"),
                        format!(
                            "add {missing} as well, or remove {given} to restore the capacity the service had before scale-in"
                        ),
                    ));
                }
            };
            let id = (svc.cluster.get_ref().clone(), svc.service.get_ref().clone());
            if !seen.insert(id.clone()) {
                return Err(self.err(
                    key,
                    Some(entry),
                    format!("service {:?} in cluster {:?} is listed twice", id.1, id.0),
                    "remove the duplicate [[services]] entry",
                ));
            }
            out.push(ServiceSpec {
                cluster: id.0,
                service: id.1,
                capacity,
            });
        }
        Ok(out)
    }

    fn function(&self, raw: Option<raw::Function>) -> Result<FunctionSettings, ConfigError> {
        let mut f = FunctionSettings::default();
        let Some(raw) = raw else { return Ok(f) };
        if let Some(a) = &raw.architecture {
            f.architecture = match a.get_ref().as_str() {
                "arm64" => Architecture::Arm64,
                "x86_64" => Architecture::X86_64,
                other => {
                    return Err(self.err(
                        "function.architecture",
                        Some(a),
                        format!("{other:?} is not a Lambda architecture"),
                        "use \"arm64\" (cheaper, the default) or \"x86_64\"",
                    ))
                }
            };
        }
        let ranged =
            |key: &str, v: &Option<toml::Spanned<i64>>, lo: i64, hi: i64, what: &str| match v {
                None => Ok(None),
                Some(s) if (lo..=hi).contains(s.get_ref()) => Ok(Some(*s.get_ref() as u32)),
                Some(s) => Err(self.err(
                    format!("function.{key}"),
                    Some(s),
                    format!("{} is outside AWS's range for {what}", s.get_ref()),
                    format!("use a value from {lo} to {hi}"),
                )),
            };
        if let Some(m) = ranged(
            "memory_mb",
            &raw.memory_mb,
            128,
            10240,
            "Lambda memory (MB)",
        )? {
            f.memory_mb = m;
        }
        if let Some(t) = ranged(
            "timeout_seconds",
            &raw.timeout_seconds,
            1,
            900,
            "a Lambda timeout (seconds)",
        )? {
            f.timeout_seconds = t;
        }
        if let Some(r) = &raw.log_retention_days {
            let v = *r.get_ref();
            match LOG_RETENTION_DAYS.iter().find(|d| i64::from(**d) == v) {
                Some(d) => f.log_retention_days = *d,
                None => {
                    let list: Vec<String> = LOG_RETENTION_DAYS.iter().map(u32::to_string).collect();
                    return Err(self.err(
                        "function.log_retention_days",
                        Some(r),
                        format!("{v} is not a retention period CloudWatch Logs accepts"),
                        format!("use one of {}", list.join(", ")),
                    ));
                }
            }
        }
        Ok(f)
    }
}

/// Why `name` can't be a stack name, if it can't.
fn stack_name_problem(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        return Some("is empty");
    }
    if name.len() > MAX_STACK_NAME_LEN {
        return Some("is too long (derived resource names must fit IAM's 64-character limit)");
    }
    if !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return Some("does not start with a letter");
    }
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Some("contains characters other than letters, digits and hyphens");
    }
    if name.ends_with('-') {
        return Some("ends with a hyphen");
    }
    None
}

/// `arn:<partition>:iam::<12 digits>:role/<name>`.
fn is_role_arn(text: &str) -> bool {
    let parts: Vec<&str> = text.splitn(6, ':').collect();
    matches!(parts.as_slice(), ["arn", partition, "iam", "", account, resource]
    if partition.starts_with("aws")
        && account.len() == 12
        && account.chars().all(|c| c.is_ascii_digit())
        && resource.strip_prefix("role/").is_some_and(|r| {
            let name = r.rsplit('/').next().unwrap_or("");
            is_role_name(name)
        }))
}

/// IAM role names: 1-64 of letters, digits and `+=,.@_-`.
fn is_role_name(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 64
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c))
}

/// `^ou-[a-z0-9]{4,32}-[a-z0-9]{8,32}$` (AWS Organizations' pattern).
fn is_ou_id(text: &str) -> bool {
    let lower_digits = |s: &str| {
        s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
    };
    match text.split('-').collect::<Vec<_>>().as_slice() {
        ["ou", root, unit] => {
            (4..=32).contains(&root.len())
                && (8..=32).contains(&unit.len())
                && lower_digits(root)
                && lower_digits(unit)
        }
        _ => false,
    }
}

/// `^o-[a-z0-9]{10,32}$`.
fn is_organization_id(text: &str) -> bool {
    text.strip_prefix("o-").is_some_and(|rest| {
        (10..=32).contains(&rest.len())
            && rest
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
    })
}

/// `^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d+$`, without a regex engine.
fn is_valid_region(region: &str) -> bool {
    let parts: Vec<&str> = region.split('-').collect();
    let lower = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_lowercase());
    let digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    let partition = |s: &str| {
        s == "gov"
            || s.strip_prefix("iso")
                .is_some_and(|r| r.chars().all(|c| c.is_ascii_lowercase()))
    };
    match parts.as_slice() {
        [geo, dir, n] => geo.len() == 2 && lower(geo) && lower(dir) && digits(n),
        [geo, part, dir, n] => {
            geo.len() == 2 && lower(geo) && partition(part) && lower(dir) && digits(n)
        }
        _ => false,
    }
}

/// A strict `YYYY-MM-DD`.
fn parse_date(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    let shape = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shape {
        return None;
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

/// The closest IANA zone name to a misspelled one, if any is close.
fn suggest_zone(input: &str) -> Option<&'static str> {
    if let Some(tz) = chrono_tz::TZ_VARIANTS
        .iter()
        .find(|tz| tz.name().eq_ignore_ascii_case(input))
    {
        return Some(tz.name());
    }
    let lower = input.to_ascii_lowercase();
    chrono_tz::TZ_VARIANTS
        .iter()
        .map(|tz| {
            (
                edit_distance(&lower, &tz.name().to_ascii_lowercase()),
                tz.name(),
            )
        })
        .filter(|(d, _)| *d <= 3)
        .min_by_key(|(d, _)| *d)
        .map(|(_, name)| name)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
[stack]
name = "worktime"
region = "ap-northeast-2"

[schedule]
timezone = "Asia/Seoul"
scale_out = "cron(0 9 ? * MON-FRI *)"
scale_in  = "cron(0 19 ? * MON-FRI *)"
trigger = "rules"
skip_dates = ["2026-12-25"]

[[services]]
cluster = "prod"
service = "api"
min = 1
max = 3

[[services]]
cluster = "prod"
service = "worker"

[function]
architecture = "arm64"
memory_mb = 128
timeout_seconds = 60
log_retention_days = 30
"#;

    fn parse_str(text: &str) -> Result<Config, ConfigError> {
        parse(text, Path::new("worktime.toml"))
    }

    /// Replaces the first occurrence of `from` in GOOD and expects an error mentioning
    /// every one of `needles`.
    fn bad(from: &str, to: &str, needles: &[&str]) -> ConfigError {
        assert!(GOOD.contains(from), "{from:?} not in GOOD");
        let text = GOOD.replacen(from, to, 1);
        let e = parse_str(&text).expect_err(&text);
        let msg = e.to_string();
        for n in needles {
            assert!(msg.contains(n), "{n:?} not in {msg:?}");
        }
        assert!(msg.starts_with("worktime.toml"), "{msg}");
        assert!(msg.contains("Fix: "), "{msg}");
        assert!(!msg.contains('\n'), "{msg}");
        e
    }

    #[test]
    fn parses_the_documented_example() {
        let c = parse_str(GOOD).unwrap();
        assert_eq!(c.path, PathBuf::from("worktime.toml"));
        assert_eq!(
            c.stack,
            StackSettings {
                name: "worktime".into(),
                region: "ap-northeast-2".into()
            }
        );
        assert_eq!(c.schedule.timezone, chrono_tz::Asia::Seoul);
        assert_eq!(c.schedule.scale_out.to_string(), "cron(0 9 ? * MON-FRI *)");
        assert_eq!(c.schedule.scale_in.to_string(), "cron(0 19 ? * MON-FRI *)");
        assert_eq!(c.schedule.trigger, Trigger::Rules);
        assert_eq!(
            c.schedule.skip_dates,
            vec![NaiveDate::from_ymd_opt(2026, 12, 25).unwrap()]
        );
        assert_eq!(c.services.len(), 2);
        assert_eq!(c.services[0].capacity, Some(Capacity { min: 1, max: 3 }));
        assert_eq!(c.services[1].capacity, None);
        assert_eq!(c.services[1].service, "worker");
        assert_eq!(c.function, FunctionSettings::default());
        assert_eq!(c.function_name(), "worktime-scaler");
    }

    #[test]
    fn defaults() {
        let text = r#"
[stack]
region = "eu-central-1"
[schedule]
timezone = "Europe/Berlin"
scale_out = "cron(0 8 ? * MON-FRI *)"
scale_in = "cron(0 18 ? * MON-FRI *)"
[[services]]
cluster = "c"
service = "s"
"#;
        let c = parse_str(text).unwrap();
        assert_eq!(c.stack.name, "worktime");
        assert_eq!(c.schedule.trigger, Trigger::Scheduler);
        assert!(c.schedule.skip_dates.is_empty());
        assert_eq!(c.function, FunctionSettings::default());
    }

    #[test]
    fn function_settings() {
        let text = GOOD
            .replace("\"arm64\"", "\"x86_64\"")
            .replace("memory_mb = 128", "memory_mb = 256")
            .replace("timeout_seconds = 60", "timeout_seconds = 900")
            .replace("log_retention_days = 30", "log_retention_days = 3653");
        let f = parse_str(&text).unwrap().function;
        assert_eq!(
            f,
            FunctionSettings {
                architecture: Architecture::X86_64,
                memory_mb: 256,
                timeout_seconds: 900,
                log_retention_days: 3653
            }
        );
    }

    #[test]
    fn unknown_keys() {
        let e = bad(
            "max = 3",
            "max = 3\nmaxx = 4",
            &["maxx", "unknown field", "remove the key"],
        );
        assert_eq!(e.line, Some(18));
        assert_eq!(e.key.as_deref(), Some("services[0].maxx"));
        let e = bad(
            "region =",
            "regoin = \"x\"\nregion =",
            &["stack.regoin", "unknown field"],
        );
        assert_eq!(e.line, Some(4));
        let e = bad("[function]", "[functions]", &["functions", "unknown field"]);
        assert_eq!(e.key.as_deref(), Some("functions"));
        let e = bad(
            "[stack]",
            "[stack]\n[stack]",
            &["duplicate key", "remove the repeated"],
        );
        assert_eq!(e.key.as_deref(), Some("stack"));
        bad(
            "trigger =",
            "triger = \"rules\"\ntrigger =",
            &["schedule.triger"],
        );
        bad("memory_mb", "memory = 1\nmemory_mb", &["function.memory"]);
    }

    #[test]
    fn syntax_and_type_errors() {
        let e = bad(
            "name = \"worktime\"",
            "name = worktime",
            &["worktime.toml:3:"],
        );
        assert_eq!(e.line, Some(3));
        let e = bad(
            "min = 1",
            "min = \"1\"",
            &["invalid type", "services[0].min"],
        );
        assert_eq!(e.line, Some(16));
        bad(
            "region = \"ap-northeast-2\"\n",
            "",
            &["missing field", "region", "add it"],
        );
        bad(
            "scale_in  = \"cron(0 19 ? * MON-FRI *)\"\n",
            "",
            &["scale_in", "missing field"],
        );
    }

    #[test]
    fn bad_cron() {
        let e = bad(
            "cron(0 9 ? * MON-FRI *)",
            "cron(0 9 ? * MON-FRY *)",
            &["schedule.scale_out", "day-of-week", "SUN-SAT"],
        );
        assert_eq!(e.line, Some(8));
        bad(
            "cron(0 19 ? * MON-FRI *)",
            "cron(0 19 * * MON-FRI *)",
            &["schedule.scale_in", "put ? in one of them"],
        );
        bad(
            "cron(0 19 ? * MON-FRI *)",
            "0 19 * * *",
            &["schedule.scale_in", "cron(minutes hours"],
        );
        bad(
            "cron(0 19 ? * MON-FRI *)",
            "cron(0 9 ? * MON-FRI *)",
            &["schedule.scale_in", "same schedule"],
        );
    }

    #[test]
    fn bad_timezone() {
        let e = bad(
            "\"Asia/Seoul\"",
            "\"Asia/Seol\"",
            &[
                "worktime.toml:7: schedule.timezone:",
                "is not an IANA time zone name",
                "\"Asia/Seoul\"",
            ],
        );
        assert_eq!(e.key.as_deref(), Some("schedule.timezone"));
        bad(
            "\"Asia/Seoul\"",
            "\"asia/seoul\"",
            &["did you mean \"Asia/Seoul\""],
        );
        bad(
            "\"Asia/Seoul\"",
            "\"Nowhere/At all\"",
            &["schedule.timezone", "tz database"],
        );
    }

    #[test]
    fn rules_with_dst_zone() {
        let e = bad(
            "\"Asia/Seoul\"",
            "\"Europe/Berlin\"",
            &[
                "schedule.trigger",
                "UTC",
                "daylight saving",
                "trigger = \"scheduler\"",
            ],
        );
        assert_eq!(e.line, Some(10));
        assert!(e.fix.contains("trigger = \"scheduler\""), "{e}");
        // The same zone works with the scheduler.
        let text = GOOD
            .replace("\"Asia/Seoul\"", "\"Europe/Berlin\"")
            .replace("\"rules\"", "\"scheduler\"");
        assert_eq!(
            parse_str(&text).unwrap().schedule.trigger,
            Trigger::Scheduler
        );
    }

    #[test]
    fn rules_conversion_impossible() {
        let e = bad(
            "cron(0 9 ? * MON-FRI *)",
            "cron(0 8 15 * ? *)",
            &["schedule.scale_out", "trigger = \"rules\"", "day-of-month"],
        );
        assert!(e.fix.contains("trigger = \"scheduler\""), "{e}");
        bad(
            "cron(0 9 ? * MON-FRI *)",
            "cron(0 8-10 ? * MON-FRI *)",
            &["schedule.scale_out", "two different days", "scheduler"],
        );
        // The scheduler takes it as is.
        let text = GOOD
            .replacen("cron(0 9 ? * MON-FRI *)", "cron(0 8 15 * ? *)", 1)
            .replace("\"rules\"", "\"scheduler\"");
        parse_str(&text).unwrap();
    }

    #[test]
    fn bad_trigger() {
        bad(
            "\"rules\"",
            "\"rule\"",
            &["schedule.trigger", "\"scheduler\""],
        );
    }

    #[test]
    fn capacities() {
        let e = bad(
            "min = 1\nmax = 3",
            "min = 4\nmax = 3",
            &["services[0].min", "min ≤ max"],
        );
        assert_eq!(e.line, Some(16));
        bad(
            "min = 1",
            "min = -1",
            &["services[0].min", "negative", "0 or more"],
        );
        bad("max = 3", "max = -3", &["services[0].max", "negative"]);
        bad(
            "min = 1\n",
            "",
            &["services[0].max", "without min", "add min"],
        );
        bad(
            "max = 3\n",
            "",
            &["services[0].min", "without max", "restore"],
        );
        bad(
            "min = 1\nmax = 3",
            "min = 0\nmax = 0",
            &["services[0].max", "restore"],
        );
        bad(
            "max = 3",
            "max = 99999999999",
            &["services[0].max", "too large"],
        );
        // min 0 with max > 0 is fine.
        parse_str(&GOOD.replace("min = 1", "min = 0")).unwrap();
    }

    #[test]
    fn duplicate_services() {
        let e = bad(
            "service = \"worker\"",
            "service = \"api\"",
            &["services[1]", "listed twice", "remove the duplicate"],
        );
        assert_eq!(e.line, Some(19));
        // Same service name in another cluster is fine.
        parse_str(&GOOD.replace(
            "cluster = \"prod\"\nservice = \"worker\"",
            "cluster = \"dev\"\nservice = \"api\"",
        ))
        .unwrap();
    }

    #[test]
    fn missing_or_empty_services() {
        let start = GOOD.find("[[services]]").unwrap();
        let end = GOOD.find("[function]").unwrap();
        let none = format!("{}{}", &GOOD[..start], &GOOD[end..]);
        let e = parse_str(&none).unwrap_err().to_string();
        assert!(
            e.contains("services: no services are listed") && e.contains("[[services]]"),
            "{e}"
        );
        let empty = format!("services = []\n{}{}", &GOOD[..start], &GOOD[end..]);
        let e = parse_str(&empty).unwrap_err().to_string();
        assert!(
            e.contains("services: the service list is empty") && e.contains("[[services]]"),
            "{e}"
        );
    }

    #[test]
    fn bad_names() {
        bad(
            "cluster = \"prod\"",
            "cluster = \"prod/x\"",
            &[
                "services[0].cluster",
                "not a valid ECS cluster name",
                "letters, digits",
            ],
        );
        bad(
            "service = \"api\"",
            "service = \"\"",
            &["services[0].service"],
        );
        bad(
            "service = \"worker\"",
            "service = \"arn:aws:ecs:x\"",
            &["services[1].service", "not an ARN"],
        );
        for name in [
            "1worktime",
            "work_time",
            "",
            "a-very-long-stack-name-that-goes-on-and-on",
            "wt-",
        ] {
            bad(
                "name = \"worktime\"",
                &format!("name = \"{name}\""),
                &["stack.name", "starting with a letter"],
            );
        }
        parse_str(&GOOD.replace("name = \"worktime\"", "name = \"Worktime-Prod2\"")).unwrap();
    }

    #[test]
    fn regions() {
        for ok in [
            "us-east-1",
            "ap-northeast-2",
            "us-gov-west-1",
            "us-isob-east-1",
            "cn-north-1",
            "eu-central-2",
        ] {
            assert!(is_valid_region(ok), "{ok}");
        }
        for no in [
            "",
            "us-east",
            "US-east-1",
            "useast-1",
            "us-east-1a",
            "us--1",
            "u-east-1",
            "us-foo-east-1",
            "Seoul",
        ] {
            assert!(!is_valid_region(no), "{no}");
        }
        bad(
            "\"ap-northeast-2\"",
            "\"Seoul\"",
            &["stack.region", "not an AWS Region code", "ap-northeast-2"],
        );
    }

    #[test]
    fn skip_dates() {
        for d in [
            "2026-13-01",
            "2026-1-5",
            "25-12-2026",
            "2026-02-30",
            "tomorrow",
        ] {
            bad(
                "\"2026-12-25\"",
                &format!("\"2026-12-24\", \"{d}\""),
                &["schedule.skip_dates[1]", "YYYY-MM-DD"],
            );
        }
        bad(
            "[\"2026-12-25\"]",
            "[2026-12-25]",
            &["schedule.skip_dates", "invalid type"],
        );
        let c = parse_str(&GOOD.replace(
            "[\"2026-12-25\"]",
            "[\"2026-12-25\", \"2026-01-01\", \"2026-12-25\"]",
        ))
        .unwrap();
        assert_eq!(c.schedule.skip_dates.len(), 2);
        assert_eq!(
            c.schedule.skip_dates[0],
            NaiveDate::from_ymd_opt(2026, 1, 1).unwrap()
        );
    }

    #[test]
    fn function_ranges() {
        bad(
            "memory_mb = 128",
            "memory_mb = 64",
            &["function.memory_mb", "128 to 10240"],
        );
        bad(
            "memory_mb = 128",
            "memory_mb = 20000",
            &["function.memory_mb"],
        );
        bad(
            "timeout_seconds = 60",
            "timeout_seconds = 0",
            &["function.timeout_seconds", "1 to 900"],
        );
        bad(
            "timeout_seconds = 60",
            "timeout_seconds = 901",
            &["function.timeout_seconds"],
        );
        bad(
            "log_retention_days = 30",
            "log_retention_days = 31",
            &["function.log_retention_days", "one of 1, 3, 5"],
        );
        bad(
            "\"arm64\"",
            "\"aarch64\"",
            &["function.architecture", "\"x86_64\""],
        );
    }

    #[test]
    fn load_errors_name_the_path_and_init() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nope.toml");
        let e = load(&path).unwrap_err().to_string();
        assert!(
            e.contains("nope.toml") && e.contains("worktime init"),
            "{e}"
        );
        std::fs::write(&path, GOOD).unwrap();
        assert_eq!(load(&path).unwrap().path, path);
    }

    #[test]
    fn never_panics_on_odd_input() {
        for text in [
            "",
            "[",
            "\u{0}",
            "stack = 1",
            "[stack]\nregion = 5",
            "[[services]]\n[[services]]",
            "services = \"x\"",
            "[schedule]\nskip_dates = \"2026-01-01\"",
            &GOOD.replace("\"rules\"", "\"\u{1F600}\""),
            &GOOD.replace("\"Asia/Seoul\"", "\"\u{1F600}\u{1F600}\u{1F600}\""),
            &GOOD.replace("cron(0 9 ? * MON-FRI *)", "cron(\u{1F600} 9 ? * MON-FRI *)"),
            &GOOD.replace("min = 1", "min = 1.5"),
        ] {
            let e = parse_str(text).expect_err(text).to_string();
            assert!(e.starts_with("worktime.toml") && e.contains("Fix: "), "{e}");
        }
    }

    #[test]
    fn every_example_loads() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
        let mut n = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "toml") {
                load(&path).unwrap_or_else(|e| panic!("{e}"));
                n += 1;
            }
        }
        assert!(n >= 4, "expected the example configs in {}", dir.display());
    }
    const ACCOUNTS_BASE: &str = r#"
[stack]
name = "worktime"
region = "ap-northeast-2"

[schedule]
timezone = "Asia/Seoul"
scale_out = "cron(0 9 ? * MON-FRI *)"
scale_in = "cron(0 19 ? * MON-FRI *)"
trigger = "rules"

[[services]]
cluster = "prod"
service = "api"
min = 1
max = 3
"#;

    fn with_accounts(accounts: &str) -> Result<Config, ConfigError> {
        parse_str(&format!("{ACCOUNTS_BASE}\n{accounts}"))
    }

    #[test]
    fn accounts_inherit_and_override() {
        let config = with_accounts(
            r#"
[[accounts]]
id = "111111111111"
role = "OrganizationAccountAccessRole"
regions = ["ap-northeast-2", "us-east-1"]

[accounts.schedule]
timezone = "Asia/Kolkata"

[[accounts.services]]
cluster = "team"
service = "web"

[[accounts]]
id = "222222222222"
role = "arn:aws:iam::222222222222:role/Deployer"
external_id = "xyz"

[[accounts]]
id = "333333333333"
profile = "staging"
"#,
        )
        .unwrap();
        assert_eq!(config.accounts.len(), 3);
        let first = &config.accounts[0];
        assert_eq!(first.regions, ["ap-northeast-2", "us-east-1"]);
        assert_eq!(first.schedule.timezone, chrono_tz::Asia::Kolkata);
        // Everything not overridden is inherited.
        assert_eq!(first.schedule.scale_out, config.schedule.scale_out);
        assert_eq!(first.schedule.trigger, Trigger::Rules);
        assert_eq!(first.services.len(), 1);
        assert_eq!(first.services[0].cluster, "team");
        assert_eq!(
            first.access,
            AccountAccess::Role {
                arn: "arn:aws:iam::111111111111:role/OrganizationAccountAccessRole".into(),
                external_id: None
            }
        );
        let second = &config.accounts[1];
        assert_eq!(
            second.regions,
            ["ap-northeast-2"],
            "defaults to stack.region"
        );
        assert_eq!(
            second.services, config.services,
            "inherits the top-level services"
        );
        assert_eq!(
            second.access,
            AccountAccess::Role {
                arn: "arn:aws:iam::222222222222:role/Deployer".into(),
                external_id: Some("xyz".into())
            }
        );
        assert_eq!(
            config.accounts[2].access,
            AccountAccess::Profile("staging".into())
        );
        let target = config.for_target(first, "us-east-1");
        assert_eq!(target.stack.region, "us-east-1");
        assert_eq!(target.schedule.timezone, chrono_tz::Asia::Kolkata);
        assert!(target.accounts.is_empty());
    }

    #[test]
    fn account_errors_name_the_account() {
        let cases: &[(&str, &[&str])] = &[
            ("[[accounts]]\nid = \"12345\"\nrole = \"R\"\n", &["accounts[0].id", "12-digit"]),
            (
                "[[accounts]]\nid = \"111111111111\"\n",
                &["accounts[0] (111111111111)", "role = "],
            ),
            (
                "[[accounts]]\nid = \"111111111111\"\nrole = \"R\"\nprofile = \"p\"\n",
                &["accounts[0] (111111111111).profile", "keep one"],
            ),
            (
                "[[accounts]]\nid = \"111111111111\"\nrole = \"arn:aws:iam::999999999999:role/R\"\n",
                &["accounts[0] (111111111111).role", "not 111111111111"],
            ),
            (
                "[[accounts]]\nid = \"111111111111\"\nrole = \"R\"\nregions = [\"mars-1\"]\n",
                &["accounts[0] (111111111111).regions[0]", "Region"],
            ),
            (
                "[[accounts]]\nid = \"111111111111\"\nrole = \"R\"\n[accounts.schedule]\ntimezone = \"Europe/Berlin\"\n",
                &["accounts[0] (111111111111).schedule.trigger", "scheduler"],
            ),
            (
                "[[accounts]]\nid = \"111111111111\"\nrole = \"R\"\n[[accounts.services]]\ncluster = \"a\"\nservice = \"b\"\nmin = 3\nmax = 1\n",
                &["accounts[0] (111111111111).services[0].min", "min ≤ max"],
            ),
            (
                "[[accounts]]\nid = \"111111111111\"\nrole = \"R\"\n[[accounts]]\nid = \"111111111111\"\nrole = \"R\"\n",
                &["accounts[1] (111111111111).id", "twice"],
            ),
            (
                "[[accounts]]\nid = \"111111111111\"\nrole = \"R\"\nregion = \"us-east-1\"\n",
                &["region", "unknown field"],
            ),
        ];
        for (text, needles) in cases {
            let err = with_accounts(text).expect_err(text).to_string();
            for needle in *needles {
                assert!(
                    err.contains(needle),
                    "{text}\n-> {err}\n(missing {needle:?})"
                );
            }
        }
    }

    #[test]
    fn stacksets_defaults_and_both_permission_models() {
        assert_eq!(with_accounts("").unwrap().stacksets, None);
        let c = with_accounts("[stacksets]\n").unwrap();
        assert_eq!(
            c.stacksets,
            Some(StackSetSettings {
                permissions: StackSetPermissions::SelfManaged {
                    administration_role_arn: None,
                    execution_role_name: DEFAULT_EXECUTION_ROLE_NAME.into(),
                }
            })
        );
        let c = with_accounts(
            "[stacksets]\npermission_model = \"self-managed\"\nadministration_role_arn = \"arn:aws:iam::999999999999:role/ops/StackSetAdmin\"\nexecution_role_name = \"StackSetExec\"\n",
        )
        .unwrap();
        let permissions = c.stacksets.unwrap().permissions;
        assert_eq!(permissions.model(), "SELF_MANAGED");
        assert_eq!(
            permissions,
            StackSetPermissions::SelfManaged {
                administration_role_arn: Some(
                    "arn:aws:iam::999999999999:role/ops/StackSetAdmin".into()
                ),
                execution_role_name: "StackSetExec".into(),
            }
        );
        let c = with_accounts(
            "[stacksets]\npermission_model = \"service-managed\"\norganizational_units = [\"ou-abcd-12345678\", \"ou-abcd-87654321abc\"]\norganization_id = \"o-abcdefghij\"\nauto_deployment = false\n",
        )
        .unwrap();
        let permissions = c.stacksets.unwrap().permissions;
        assert_eq!(permissions.model(), "SERVICE_MANAGED");
        assert_eq!(permissions.as_str(), "service-managed");
        assert_eq!(
            permissions,
            StackSetPermissions::ServiceManaged {
                organizational_units: vec!["ou-abcd-12345678".into(), "ou-abcd-87654321abc".into()],
                organization_id: "o-abcdefghij".into(),
                auto_deployment: false,
            }
        );
        let c = with_accounts(
            "[stacksets]\npermission_model = \"service-managed\"\norganizational_units = [\"ou-abcd-12345678\"]\norganization_id = \"o-abcdefghij\"\n",
        )
        .unwrap();
        assert!(matches!(
            c.stacksets.unwrap().permissions,
            StackSetPermissions::ServiceManaged {
                auto_deployment: true,
                ..
            }
        ));
    }

    #[test]
    fn stacksets_errors_name_the_key_and_the_fix() {
        const SM: &str = "[stacksets]\npermission_model = \"service-managed\"\n";
        let cases: &[(&str, &[&str])] = &[
            (
                "[stacksets]\npermission_model = \"org\"\n",
                &["stacksets.permission_model", "\"service-managed\""],
            ),
            (
                "[stacksets]\norganizational_units = [\"ou-abcd-12345678\"]\n",
                &[
                    "stacksets.organizational_units",
                    "service-managed\" only",
                    "set permission_model",
                ],
            ),
            (
                "[stacksets]\nauto_deployment = true\n",
                &["stacksets.auto_deployment", "service-managed\" only"],
            ),
            (
                &format!("{SM}execution_role_name = \"X\"\norganizational_units = [\"ou-abcd-12345678\"]\norganization_id = \"o-abcdefghij\"\n"),
                &["stacksets.execution_role_name", "self-managed\" only", "AWS Organizations"],
            ),
            (
                &format!("{SM}organization_id = \"o-abcdefghij\"\n"),
                &["stacksets.organizational_units", "ou-abcd-12345678"],
            ),
            (
                &format!("{SM}organizational_units = []\norganization_id = \"o-abcdefghij\"\n"),
                &["stacksets.organizational_units", "empty"],
            ),
            (
                &format!("{SM}organizational_units = [\"r-abcd\"]\norganization_id = \"o-abcdefghij\"\n"),
                &["stacksets.organizational_units[0]", "not an organizational unit id"],
            ),
            (
                &format!("{SM}organizational_units = [\"ou-abcd-12345678\", \"ou-abcd-12345678\"]\norganization_id = \"o-abcdefghij\"\n"),
                &["stacksets.organizational_units[1]", "twice"],
            ),
            (
                &format!("{SM}organizational_units = [\"ou-abcd-12345678\"]\n"),
                &["stacksets.organization_id", "bucket", "o-..."],
            ),
            (
                &format!("{SM}organizational_units = [\"ou-abcd-12345678\"]\norganization_id = \"o-short\"\n"),
                &["stacksets.organization_id", "not an AWS Organizations id"],
            ),
            (
                "[stacksets]\nadministration_role_arn = \"StackSetAdmin\"\n",
                &["stacksets.administration_role_arn", "not an IAM role ARN", "full ARN"],
            ),
            (
                "[stacksets]\nexecution_role_name = \"arn:aws:iam::111111111111:role/X\"\n",
                &["stacksets.execution_role_name", "not an IAM role name", "not the ARN"],
            ),
            (
                "[stacksets]\npermision_model = \"self-managed\"\n",
                &["stacksets.permision_model", "unknown field"],
            ),
        ];
        for (text, needles) in cases {
            let err = with_accounts(text).expect_err(text);
            let message = err.to_string();
            for needle in *needles {
                assert!(
                    message.contains(needle),
                    "{text}\n-> {message}\n(missing {needle:?})"
                );
            }
            assert!(err.line.is_some(), "{text}: {message}");
            assert!(message.contains("Fix: "), "{message}");
        }
        // The line is the key's own.
        let err = with_accounts("[stacksets]\n\nauto_deployment = true\n").unwrap_err();
        let base_lines = ACCOUNTS_BASE.lines().count();
        assert_eq!(err.line, Some(base_lines + 4), "{err}");
    }

    #[test]
    fn stackset_regions_are_the_union_of_the_accounts_regions_in_order() {
        let c = with_accounts(
            "[[accounts]]\nid = \"111111111111\"\nrole = \"R\"\nregions = [\"us-east-1\", \"ap-northeast-2\"]\n[[accounts]]\nid = \"222222222222\"\nrole = \"R\"\nregions = [\"ap-northeast-2\", \"eu-west-1\"]\n",
        )
        .unwrap();
        assert_eq!(
            c.stackset_regions(),
            ["us-east-1", "ap-northeast-2", "eu-west-1"]
        );
        assert_eq!(
            with_accounts("").unwrap().stackset_regions(),
            ["ap-northeast-2"]
        );
    }
}
