//! `worktime.toml`: the validated configuration every command starts from.
//!
//! Parsing goes in two steps: serde reads the file into `raw` structs that deny unknown
//! keys, then `validate` turns them into the typed [`Config`] below, or into a
//! [`ConfigError`] that names the file, the key, the line where known, and the fix.

use std::path::PathBuf;

use chrono::NaiveDate;
use chrono_tz::Tz;
use worktime_lambda::event::{Action, Capacity, RawEvent, ServiceTarget};

use crate::cron::AwsCron;

/// The validated configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
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

impl Config {
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
}
