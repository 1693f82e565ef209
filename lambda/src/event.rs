//! The event contract: the JSON payload each trigger carries to the function.
//!
//! The triggers send an explicit `action` so that a retried or duplicated delivery
//! repeats the same intent instead of flipping the service the other way. An event
//! without `action` (the bare EventBridge scheduled event of the original recipe) is
//! accepted as `toggle`, which is *not* retry-safe and is logged as such.

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::error::EventError;

/// What the invocation should do to every listed service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// Working hours are over: record capacity where needed, then go to 0/0.
    ScaleIn,
    /// Working hours begin: restore declared or remembered capacity.
    ScaleOut,
    /// Decide per service from its current state: at zero → out, otherwise → in.
    Toggle,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::ScaleIn => "scale-in",
            Action::ScaleOut => "scale-out",
            Action::Toggle => "toggle",
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Action {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "scale-in" => Ok(Action::ScaleIn),
            "scale-out" => Ok(Action::ScaleOut),
            "toggle" => Ok(Action::Toggle),
            other => Err(format!(
                "unknown action {other:?}: use \"scale-in\", \"scale-out\" or \"toggle\""
            )),
        }
    }
}

/// A scalable target's min/max task count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Capacity {
    pub min: i32,
    pub max: i32,
}

impl Capacity {
    pub const ZERO: Capacity = Capacity { min: 0, max: 0 };

    /// Checks the bounds AWS enforces (and moto does not): both non-negative, min ≤ max.
    pub fn new(min: i32, max: i32) -> Result<Self, String> {
        if min < 0 || max < 0 {
            return Err(format!(
                "capacity {min}/{max} is negative: min and max must be 0 or more"
            ));
        }
        if min > max {
            return Err(format!(
                "min {min} is greater than max {max}: set min ≤ max"
            ));
        }
        Ok(Capacity { min, max })
    }

    pub fn is_zero(self) -> bool {
        self.min == 0 && self.max == 0
    }
}

impl fmt::Display for Capacity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.min, self.max)
    }
}

impl FromStr for Capacity {
    type Err = String;
    /// Parses the `min/max` form used in the remembered-capacity tag.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (min, max) = s
            .split_once('/')
            .ok_or_else(|| format!("{s:?} is not of the form min/max"))?;
        let min = min
            .trim()
            .parse::<i32>()
            .map_err(|_| format!("{s:?}: min is not a whole number"))?;
        let max = max
            .trim()
            .parse::<i32>()
            .map_err(|_| format!("{s:?}: max is not a whole number"))?;
        Capacity::new(min, max)
    }
}

/// One ECS service in an event: its Application Auto Scaling resource id and, unless it is
/// in restore mode, its working-hours capacity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceTarget {
    /// `service/<cluster>/<service>`.
    pub resource_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<i32>,
}

impl ServiceTarget {
    pub fn new(cluster: &str, service: &str, capacity: Option<Capacity>) -> Self {
        ServiceTarget {
            resource_id: format!("service/{cluster}/{service}"),
            min: capacity.map(|c| c.min),
            max: capacity.map(|c| c.max),
        }
    }
}

/// The payload as it arrives: every field optional, so the bare scheduled event parses too.
/// Unknown keys are ignored on purpose: EventBridge wraps scheduled events in its own
/// envelope (`version`, `id`, `detail-type`, ...).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RawEvent {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub services: Option<Vec<ServiceTarget>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skip_dates: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dry_run: Option<bool>,
}

/// A service to act on, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceRequest {
    pub resource_id: String,
    pub cluster: String,
    pub service: String,
    /// `None`: restore mode (remembered capacity).
    pub declared: Option<Capacity>,
}

/// A validated event: what the handler acts on.
#[derive(Debug, Clone, PartialEq)]
pub struct ScalingEvent {
    pub action: Action,
    /// True when the event named no action (the retry-unsafe toggle of the original recipe).
    pub implicit_toggle: bool,
    pub services: Vec<ServiceRequest>,
    pub timezone: Tz,
    pub skip_dates: Vec<NaiveDate>,
    pub dry_run: bool,
}

/// The most services one invocation accepts; well above what an 8 KB trigger input can
/// carry, low enough to bound a run inside Lambda's 15 minutes.
pub const MAX_SERVICES: usize = 1000;

/// Fallbacks for fields an event leaves out (from the function's environment).
#[derive(Debug, Clone, Default)]
pub struct EventDefaults {
    pub services: Option<Vec<ServiceTarget>>,
    pub timezone: Option<Tz>,
}

impl ScalingEvent {
    /// Parses and validates an event from JSON, filling absent fields from `defaults`.
    pub fn from_json(
        value: serde_json::Value,
        defaults: &EventDefaults,
    ) -> Result<Self, EventError> {
        let raw: RawEvent = serde_json::from_value(value).map_err(|e| EventError::Malformed {
            reason: e.to_string(),
        })?;
        Self::from_raw(raw, defaults)
    }

    pub fn from_raw(raw: RawEvent, defaults: &EventDefaults) -> Result<Self, EventError> {
        let (action, implicit_toggle) = match raw.action.as_deref() {
            None => (Action::Toggle, true),
            Some(text) => (
                text.parse::<Action>().map_err(|reason| EventError::Field {
                    field: "action".into(),
                    reason,
                })?,
                false,
            ),
        };

        let targets = match (raw.services, &defaults.services) {
            (Some(list), _) => list,
            (None, Some(list)) => list.clone(),
            (None, None) => {
                return Err(EventError::Field {
                    field: "services".into(),
                    reason: "the event lists no services and the function has no WORKTIME_SERVICES default: \
                             add a \"services\" array of {\"resource_id\": \"service/<cluster>/<service>\"}"
                        .into(),
                })
            }
        };
        if targets.is_empty() {
            return Err(EventError::Field {
                field: "services".into(),
                reason: "the list is empty: name at least one service".into(),
            });
        }
        if targets.len() > MAX_SERVICES {
            return Err(EventError::Field {
                field: "services".into(),
                reason: format!(
                    "{} services in one event; at most {MAX_SERVICES}: split them across schedules",
                    targets.len()
                ),
            });
        }
        let mut services = Vec::with_capacity(targets.len());
        let mut seen = std::collections::HashSet::new();
        for (index, target) in targets.into_iter().enumerate() {
            let field = format!("services[{index}]");
            let request = parse_target(&field, target)?;
            if !seen.insert(request.resource_id.clone()) {
                return Err(EventError::Field {
                    field: format!("{field}.resource_id"),
                    reason: format!(
                        "{} is listed twice: list each service once",
                        request.resource_id
                    ),
                });
            }
            services.push(request);
        }

        let timezone = match (raw.timezone, defaults.timezone) {
            (Some(name), _) => name.parse::<Tz>().map_err(|_| EventError::Field {
                field: "timezone".into(),
                reason: format!("{name:?} is not an IANA time zone name (e.g. \"Asia/Seoul\")"),
            })?,
            (None, Some(tz)) => tz,
            (None, None) => Tz::UTC,
        };

        let mut skip_dates = Vec::new();
        for (index, text) in raw.skip_dates.unwrap_or_default().iter().enumerate() {
            let date =
                NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| EventError::Field {
                    field: format!("skip_dates[{index}]"),
                    reason: format!("{text:?} is not a date: write YYYY-MM-DD"),
                })?;
            skip_dates.push(date);
        }

        Ok(ScalingEvent {
            action,
            implicit_toggle,
            services,
            timezone,
            skip_dates,
            dry_run: raw.dry_run.unwrap_or(false),
        })
    }
}

/// ECS cluster and service names: letters, digits, hyphens and underscores, 1–255 characters.
pub fn is_valid_ecs_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 255
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

fn parse_target(field: &str, target: ServiceTarget) -> Result<ServiceRequest, EventError> {
    let bad_id = || EventError::Field {
        field: format!("{field}.resource_id"),
        reason: format!(
            "{:?} is not an ECS service resource id: write \"service/<cluster>/<service>\"",
            target.resource_id
        ),
    };
    let mut parts = target.resource_id.split('/');
    let (Some("service"), Some(cluster), Some(service), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad_id());
    };
    if !is_valid_ecs_name(cluster) || !is_valid_ecs_name(service) {
        return Err(bad_id());
    }
    let declared = match (target.min, target.max) {
        (None, None) => None,
        (Some(min), Some(max)) => {
            Some(Capacity::new(min, max).map_err(|reason| EventError::Field {
                field: field.to_string(),
                reason,
            })?)
        }
        _ => return Err(EventError::Field {
            field: field.to_string(),
            reason:
                "only one of min/max is given: give both, or neither to restore remembered capacity"
                    .into(),
        }),
    };
    Ok(ServiceRequest {
        resource_id: target.resource_id.clone(),
        cluster: cluster.to_string(),
        service: service.to_string(),
        declared,
    })
}
