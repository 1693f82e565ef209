//! The event contract: the JSON payload a trigger carries, validated into a [`ScalingEvent`]
//! before anything is read or changed.
//!
//! The triggers send an explicit `action`, so that a retried or duplicated delivery repeats
//! the same intent instead of flipping the service the other way; and a `scheduled_time`, so
//! that a late delivery is recognised. An event without `action` (the bare EventBridge
//! scheduled event of the original recipe) is accepted as `toggle`, which is *not*
//! retry-safe and is logged as such. Pure: the caller passes the current time in.

use std::collections::{BTreeSet, HashSet};
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use chrono_tz::Tz;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use thiserror::Error;

/// An event the function refuses: nothing is read or changed.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum EventError {
    #[error("malformed event: {reason}")]
    Malformed { reason: String },
    #[error("event field `{field}`: {reason}")]
    Field { field: String, reason: String },
}

fn field_error(field: impl Into<String>, reason: impl Into<String>) -> EventError {
    EventError::Field {
        field: field.into(),
        reason: reason.into(),
    }
}

/// What the invocation should do to every listed service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// Working hours are over: remember each service's state, then bounds 0/0 and no task.
    ScaleIn,
    /// Working hours begin: restore declared or remembered bounds and desired count.
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

    /// Whether a desired count lies within these bounds.
    pub fn contains(self, desired: i32) -> bool {
        (self.min..=self.max).contains(&desired)
    }

    /// A desired count moved into these bounds, as Application Auto Scaling does.
    pub fn clamp(self, desired: i32) -> i32 {
        desired.clamp(self.min, self.max)
    }
}

impl fmt::Display for Capacity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.min, self.max)
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
            resource_id: resource_id(cluster, service),
            min: capacity.map(|c| c.min),
            max: capacity.map(|c| c.max),
        }
    }
}

/// The Application Auto Scaling resource id of an ECS service.
pub fn resource_id(cluster: &str, service: &str) -> String {
    format!("service/{cluster}/{service}")
}

/// The payload as the triggers write it: every field optional, so the bare scheduled event
/// parses too. [`ScalingEvent::from_json`] refuses any other top-level key except the
/// EventBridge scheduled-event envelope ([`ENVELOPE_KEYS`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
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
    /// When the trigger was scheduled to fire (RFC 3339, UTC): the rule's input transformer
    /// fills it from the scheduled event's `time`, a Scheduler schedule from
    /// `<aws.scheduler.scheduled-time>`. Absent: "now".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheduled_time: Option<String>,
    /// How late a delivery may arrive and still act (minutes, 1..=1440; default 60).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_delay_minutes: Option<u32>,
}

/// The top-level keys of an EventBridge scheduled event, accepted (and otherwise ignored) so
/// that the bare event of the original recipe still works.
pub const ENVELOPE_KEYS: [&str; 9] = [
    "version",
    "id",
    "detail-type",
    "source",
    "account",
    "time",
    "region",
    "resources",
    "detail",
];

/// The keys of the contract itself, for the "unknown field" message.
const CONTRACT_KEYS: &str = "action, services, timezone, skip_dates, dry_run, scheduled_time, \
                             max_delay_minutes";

/// The most services one invocation accepts; well above what an 8 KB trigger input can
/// carry, low enough to bound a run inside Lambda's 15 minutes.
pub const MAX_SERVICES: usize = 1000;
/// The most skip dates one event accepts (years of holidays).
pub const MAX_SKIP_DATES: usize = 1000;
/// `max_delay_minutes` when the event names none.
pub const DEFAULT_MAX_DELAY_MINUTES: u32 = 60;
/// The largest `max_delay_minutes`: one day.
pub const MAX_DELAY_MINUTES_LIMIT: u32 = 1440;
/// How far in the future a `scheduled_time` may lie (clock skew between EventBridge and
/// the function) before the event is refused.
pub const MAX_CLOCK_SKEW_MINUTES: i64 = 5;

/// A service to act on, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceRequest {
    pub resource_id: String,
    pub cluster: String,
    pub service: String,
    /// `None`: restore mode (remembered capacity).
    pub declared: Option<Capacity>,
    /// Why the function will not touch this service (it is not on the allow-list); such a
    /// service is never read or written and is reported as failed.
    pub refused: Option<String>,
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
    /// When the trigger was scheduled to fire; `None`: the event means "now".
    pub scheduled_time: Option<DateTime<Utc>>,
    /// How late a delivery may be and still act.
    pub max_delay: TimeDelta,
}

/// What the function knows beyond the event (from its environment).
#[derive(Debug, Clone, Default)]
pub struct EventDefaults {
    /// Services for events that list none.
    pub services: Option<Vec<ServiceTarget>>,
    /// Zone for events that name none (else UTC).
    pub timezone: Option<Tz>,
    /// The resource ids (`service/<cluster>/<service>`) the function may touch; every other
    /// id in an event is refused. Empty: nothing is allowed.
    pub allowed: BTreeSet<String>,
}

impl EventDefaults {
    /// Defaults that allow exactly these resource ids (`service/<cluster>/<service>`).
    pub fn allowing<I, S>(resource_ids: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        EventDefaults {
            allowed: resource_ids.into_iter().map(Into::into).collect(),
            ..EventDefaults::default()
        }
    }
}

impl ScalingEvent {
    /// Parses and validates an event from JSON, filling absent fields from `defaults`.
    /// `now` is the time of delivery (a `scheduled_time` after it is refused).
    pub fn from_json(
        value: Value,
        defaults: &EventDefaults,
        now: DateTime<Utc>,
    ) -> Result<Self, EventError> {
        let Value::Object(map) = value else {
            return Err(EventError::Malformed {
                reason: "the event is not a JSON object".into(),
            });
        };
        let mut raw = RawEvent::default();
        let mut envelope_time: Option<Value> = None;
        let mut scheduled_event = (false, false);
        for (key, value) in map {
            match key.as_str() {
                "action" => raw.action = field(&key, value)?,
                "services" => raw.services = services_field(value)?,
                "timezone" => raw.timezone = field(&key, value)?,
                "skip_dates" => raw.skip_dates = field(&key, value)?,
                "dry_run" => raw.dry_run = field(&key, value)?,
                "scheduled_time" => raw.scheduled_time = field(&key, value)?,
                "max_delay_minutes" => raw.max_delay_minutes = field(&key, value)?,
                "time" => envelope_time = Some(value),
                "detail-type" => scheduled_event.0 = value == "Scheduled Event",
                "source" => scheduled_event.1 = value == "aws.events",
                other if ENVELOPE_KEYS.contains(&other) => {}
                other => {
                    return Err(field_error(
                        other,
                        format!(
                            "unknown field: the event takes {CONTRACT_KEYS} (and the keys of \
                             an EventBridge scheduled event)"
                        ),
                    ))
                }
            }
        }
        // The bare scheduled event carries its scheduled time as `time`.
        if raw.scheduled_time.is_none() && scheduled_event == (true, true) {
            raw.scheduled_time = envelope_time
                .map(|t| field::<String>("time", t))
                .transpose()?
                .flatten();
        }
        Self::from_raw(raw, defaults, now)
    }

    /// Validates a payload: each problem is an error naming its field. Services that are not
    /// on the allow-list are not an error here: they are marked refused (and fail alone).
    pub fn from_raw(
        raw: RawEvent,
        defaults: &EventDefaults,
        now: DateTime<Utc>,
    ) -> Result<Self, EventError> {
        let (action, implicit_toggle) = match raw.action.as_deref() {
            None => (Action::Toggle, true),
            Some(text) => (
                text.parse::<Action>()
                    .map_err(|reason| field_error("action", reason))?,
                false,
            ),
        };

        let targets = match (raw.services, &defaults.services) {
            (Some(list), _) => list,
            (None, Some(list)) => list.clone(),
            (None, None) => {
                return Err(field_error(
                    "services",
                    "the event lists no services and the function has no WORKTIME_SERVICES \
                     default: add a \"services\" array of {\"resource_id\": \
                     \"service/<cluster>/<service>\"}",
                ))
            }
        };
        if targets.is_empty() {
            return Err(field_error(
                "services",
                "the list is empty: name at least one service",
            ));
        }
        if targets.len() > MAX_SERVICES {
            return Err(field_error(
                "services",
                format!(
                    "{} services in one event; at most {MAX_SERVICES}: split them across schedules",
                    targets.len()
                ),
            ));
        }
        let mut services = Vec::with_capacity(targets.len());
        let mut seen = HashSet::new();
        for (index, target) in targets.into_iter().enumerate() {
            let field = format!("services[{index}]");
            let mut request = parse_target(&field, target)?;
            if !seen.insert(request.resource_id.clone()) {
                return Err(field_error(
                    format!("{field}.resource_id"),
                    format!(
                        "{} is listed twice: list each service once",
                        request.resource_id
                    ),
                ));
            }
            if !defaults.allowed.contains(&request.resource_id) {
                request.refused = Some(format!(
                    "{field}.resource_id: {} is not configured for this stack (not in \
                     WORKTIME_ALLOWED_SERVICES): the function only touches the services it \
                     was deployed for; add it to worktime.toml and deploy",
                    request.resource_id
                ));
            }
            services.push(request);
        }

        let timezone = match (raw.timezone, defaults.timezone) {
            (Some(name), _) => name.parse::<Tz>().map_err(|_| {
                field_error(
                    "timezone",
                    format!("{name:?} is not an IANA time zone name (e.g. \"Asia/Seoul\")"),
                )
            })?,
            (None, Some(tz)) => tz,
            (None, None) => Tz::UTC,
        };

        let texts = raw.skip_dates.unwrap_or_default();
        if texts.len() > MAX_SKIP_DATES {
            return Err(field_error(
                "skip_dates",
                format!(
                    "{} dates; at most {MAX_SKIP_DATES}: drop the past ones",
                    texts.len()
                ),
            ));
        }
        let mut skip_dates = Vec::with_capacity(texts.len());
        for (index, text) in texts.iter().enumerate() {
            let date = NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| {
                field_error(
                    format!("skip_dates[{index}]"),
                    format!("{text:?} is not a date: write YYYY-MM-DD"),
                )
            })?;
            skip_dates.push(date);
        }

        let scheduled_time = match raw.scheduled_time {
            None => None,
            Some(text) => Some(parse_scheduled_time(&text, now)?),
        };
        let minutes = raw.max_delay_minutes.unwrap_or(DEFAULT_MAX_DELAY_MINUTES);
        if !(1..=MAX_DELAY_MINUTES_LIMIT).contains(&minutes) {
            return Err(field_error(
                "max_delay_minutes",
                format!("{minutes} is out of range: use 1 to {MAX_DELAY_MINUTES_LIMIT} minutes"),
            ));
        }

        Ok(ScalingEvent {
            action,
            implicit_toggle,
            services,
            timezone,
            skip_dates,
            dry_run: raw.dry_run.unwrap_or(false),
            scheduled_time,
            max_delay: TimeDelta::minutes(i64::from(minutes)),
        })
    }

    /// The instant the event acts for: its scheduled time, else `now`.
    pub fn effective_time(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        self.scheduled_time.unwrap_or(now)
    }
}

/// One top-level field, its type error naming it.
fn field<T: DeserializeOwned>(key: &str, value: Value) -> Result<Option<T>, EventError> {
    serde_json::from_value::<Option<T>>(value).map_err(|e| field_error(key, e.to_string()))
}

/// `services`, each entry's error naming its index.
fn services_field(value: Value) -> Result<Option<Vec<ServiceTarget>>, EventError> {
    let entries = match value {
        Value::Null => return Ok(None),
        Value::Array(entries) => entries,
        _ => {
            return Err(field_error(
                "services",
                "not an array of {\"resource_id\": \"service/<cluster>/<service>\"}",
            ))
        }
    };
    if entries.len() > MAX_SERVICES {
        // Checked again on the validated list; here so that a huge list is not parsed first.
        return Err(field_error(
            "services",
            format!(
                "{} services in one event; at most {MAX_SERVICES}: split them across schedules",
                entries.len()
            ),
        ));
    }
    entries
        .into_iter()
        .enumerate()
        .map(|(index, entry)| {
            serde_json::from_value::<ServiceTarget>(entry)
                .map_err(|e| field_error(format!("services[{index}]"), e.to_string()))
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

fn parse_scheduled_time(text: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, EventError> {
    let time = DateTime::parse_from_rfc3339(text)
        .map_err(|_| {
            field_error(
                "scheduled_time",
                format!("{text:?} is not an RFC 3339 time: write e.g. \"2026-11-27T10:00:00Z\""),
            )
        })?
        .with_timezone(&Utc);
    if time - now > TimeDelta::minutes(MAX_CLOCK_SKEW_MINUTES) {
        return Err(field_error(
            "scheduled_time",
            format!(
                "{text} lies in the future (it is {} now): a trigger never delivers an event \
                 before its time",
                now.format("%Y-%m-%dT%H:%M:%SZ")
            ),
        ));
    }
    Ok(time)
}

/// ECS cluster and service names: letters, digits, hyphens and underscores, 1–255 characters.
pub fn is_valid_ecs_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 255
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Splits `service/<cluster>/<service>` into valid cluster and service names.
pub(crate) fn split_resource_id(id: &str) -> Option<(&str, &str)> {
    let mut parts = id.split('/');
    let (Some("service"), Some(cluster), Some(service), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    (is_valid_ecs_name(cluster) && is_valid_ecs_name(service)).then_some((cluster, service))
}

fn parse_target(field: &str, target: ServiceTarget) -> Result<ServiceRequest, EventError> {
    let Some((cluster, service)) = split_resource_id(&target.resource_id) else {
        return Err(field_error(
            format!("{field}.resource_id"),
            format!(
                "{:?} is not an ECS service resource id: write \"service/<cluster>/<service>\"",
                target.resource_id
            ),
        ));
    };
    let declared = match (target.min, target.max) {
        (None, None) => None,
        (Some(min), Some(max)) => {
            Some(Capacity::new(min, max).map_err(|reason| field_error(field, reason))?)
        }
        _ => {
            return Err(field_error(
                field,
                "only one of min/max is given: give both, or neither to restore remembered \
                 capacity",
            ))
        }
    };
    Ok(ServiceRequest {
        resource_id: target.resource_id.clone(),
        cluster: cluster.to_string(),
        service: service.to_string(),
        declared,
        refused: None,
    })
}

#[cfg(test)]
mod tests;
