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

use crate::cron::AwsCron;
use crate::ecs::{resource_id, split_resource_id, Capacity};
use crate::selector::{
    AllowedSelector, ClusterScope, Ownership, Selector, SelectorTarget, TagMatch,
};
use crate::window::{Firings, ScheduleClock};

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
    /// Working hours end in `warn_before_minutes`: change nothing, tell `[notify]` which
    /// services the scale-in will stop and how to keep one up.
    Notice,
    /// Level-triggered, every `reconcile_minutes`: converge each service on what the schedule
    /// says now (down at night: drift taken back to 0/0; up in the day: nothing written, only
    /// readiness checked).
    Reconcile,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::ScaleIn => "scale-in",
            Action::ScaleOut => "scale-out",
            Action::Toggle => "toggle",
            Action::Notice => "notice",
            Action::Reconcile => "reconcile",
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
            "notice" => Ok(Action::Notice),
            "reconcile" => Ok(Action::Reconcile),
            other => Err(format!(
                "unknown action {other:?}: use \"scale-in\", \"scale-out\", \"reconcile\", \"toggle\" or \"notice\""
            )),
        }
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
    /// Its wave (0-9; absent: 0): scale-out starts a wave once the one before is ready,
    /// scale-in goes the other way.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wave: Option<u8>,
}

impl ServiceTarget {
    pub fn new(cluster: &str, service: &str, capacity: Option<Capacity>) -> Self {
        ServiceTarget {
            resource_id: resource_id(cluster, service),
            min: capacity.map(|c| c.min),
            max: capacity.map(|c| c.max),
            wave: None,
        }
    }

    /// The same target in `wave`; wave 0 is left out of the payload (it is the default).
    pub fn in_wave(self, wave: u8) -> Self {
        ServiceTarget {
            wave: (wave != 0).then_some(wave),
            ..self
        }
    }
}

/// One `[[capacity]]` Auto Scaling group in an event: the EC2 instances under `cluster`'s
/// services, scaled to 0/0/0 at night after them and restored before them in the morning
/// (only in a run in waves: the state machine's steps).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CapacityTarget {
    pub cluster: String,
    pub autoscaling_group: String,
}

/// The most `[[capacity]]` groups one event accepts.
pub const MAX_CAPACITY_GROUPS: usize = 100;

/// How the event names the schedule it belongs to when it names none.
pub const DEFAULT_SCHEDULE: &str = "default";

/// A schedule's crons as its triggers fire them: `timezone` is the zone they are evaluated
/// in — `UTC` for EventBridge rules (whose crons are the UTC form), the schedule's own zone
/// for EventBridge Scheduler.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleCrons {
    pub scale_out: String,
    pub scale_in: String,
    pub timezone: String,
}

impl ScheduleCrons {
    /// The windows these crons make, with the schedule's zone and skip dates.
    fn clock(&self, zone: Tz, skip_dates: &[NaiveDate]) -> Result<ScheduleClock, EventError> {
        let parse = |key: &str, text: &str| {
            AwsCron::parse(text).map_err(|e| field_error(format!("crons.{key}"), e.to_string()))
        };
        let fires_in = self.timezone.parse::<Tz>().map_err(|_| {
            field_error(
                "crons.timezone",
                format!(
                    "{:?} is not an IANA time zone name (\"UTC\" for rules, the schedule's zone \
                     for Scheduler)",
                    self.timezone
                ),
            )
        })?;
        Ok(ScheduleClock {
            scale_out: Firings::new(parse("scale_out", &self.scale_out)?, fires_in),
            scale_in: Firings::new(parse("scale_in", &self.scale_in)?, fires_in),
            zone,
            skip_dates: skip_dates.iter().copied().collect(),
        })
    }
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
    /// The schedule's crons as its triggers fire them, so that the function knows the window
    /// an instant lies in (how long an action still acts; what a reconcile converges on).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crons: Option<ScheduleCrons>,
    /// How long a service may run fewer tasks than desired (or any task after desired 0)
    /// after it was changed before a reconcile reports it (minutes, 1..=120; default 15).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ready_within_minutes: Option<u32>,
    /// Tag selectors, resolved to services when the function runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selectors: Option<Vec<SelectorTarget>>,
    /// The named schedule whose trigger sent the event (absent: the default schedule); for
    /// logs and reports only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<String>,
    /// With action `notice`: how long before the scale-in it is sent (1..=720 minutes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warn_before_minutes: Option<u32>,
    /// How long one wave may take to be ready (or stopped) before the next one starts
    /// anyway and the run ends failed (minutes, 1..=60; default 10).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wave_timeout_minutes: Option<u32>,
    /// The Auto Scaling groups under the schedule's clusters (`[[capacity]]`); only scale-in
    /// and scale-out, in waves, move them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity: Option<Vec<CapacityTarget>>,
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
const CONTRACT_KEYS: &str = "action, services, selectors, schedule, timezone, skip_dates, \
                             dry_run, scheduled_time, crons, ready_within_minutes, \
                             warn_before_minutes, wave_timeout_minutes, capacity";

/// The most services one invocation accepts; well above what an 8 KB trigger input can
/// carry, low enough to bound a run inside Lambda's 15 minutes.
pub const MAX_SERVICES: usize = 1000;
/// The longest warning before scale-in: half a day.
pub const MAX_WARN_BEFORE_MINUTES: u32 = 720;
/// The most selectors one event accepts.
pub const MAX_SELECTORS: usize = 100;
/// The longest schedule name an event may carry.
pub const MAX_SCHEDULE_NAME_CHARS: usize = 64;
/// The most skip dates one event accepts (years of holidays).
pub const MAX_SKIP_DATES: usize = 1000;
/// `ready_within_minutes` when the event names none.
pub const DEFAULT_READY_WITHIN_MINUTES: u32 = 15;
/// The longest `ready_within_minutes`: two hours.
pub const MAX_READY_WITHIN_MINUTES: u32 = 120;
/// The highest wave a service may be in (waves are 0-9).
pub const MAX_WAVE: u8 = 9;
/// `wave_timeout_minutes` when the event names none.
pub const DEFAULT_WAVE_TIMEOUT_MINUTES: u32 = 10;
/// The longest `wave_timeout_minutes`: an hour.
pub const MAX_WAVE_TIMEOUT_MINUTES: u32 = 60;
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
    /// The selector (`cluster:tag`) that chose it; `None`: named in the event.
    pub selected_by: Option<String>,
    /// Its wave (0-9): the selector's, for a service a selector chose.
    pub wave: u8,
}

/// A validated event: what the handler acts on.
#[derive(Debug, Clone, PartialEq)]
pub struct ScalingEvent {
    pub action: Action,
    /// True when the event named no action (the retry-unsafe toggle of the original recipe).
    pub implicit_toggle: bool,
    /// The services named in the event; a run adds those its selectors resolve to.
    pub services: Vec<ServiceRequest>,
    pub selectors: Vec<Selector>,
    /// The named schedule that sent it (`None`: the default schedule).
    pub schedule: Option<String>,
    /// Which schedule owns which service (from the allow-lists): a selector never takes a
    /// service that belongs to another schedule.
    pub ownership: Ownership,
    pub timezone: Tz,
    pub skip_dates: Vec<NaiveDate>,
    pub dry_run: bool,
    /// When the trigger was scheduled to fire; `None`: the event means "now".
    pub scheduled_time: Option<DateTime<Utc>>,
    /// The schedule's windows (from the payload's `crons`, `timezone` and `skip_dates`);
    /// `None`: the event carried no crons and acts now, whatever the hour.
    pub clock: Option<ScheduleClock>,
    /// How long a service may take to reach its desired tasks (or to stop them) after it was
    /// changed.
    pub ready_within: TimeDelta,
    /// Action `notice`: how long before the scale-in it warns.
    pub warn_before: Option<TimeDelta>,
    /// How long one wave may take to be ready (or stopped) before the next one starts anyway.
    pub wave_timeout: TimeDelta,
    /// The Auto Scaling groups that follow the services (scale-in and scale-out only).
    pub capacity: Vec<CapacityTarget>,
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
    /// The selectors the function may resolve, with the schedule whose events may carry
    /// each, in configuration order; any other selector in an event is refused. The services
    /// they select at run time are allowed with them.
    pub allowed_selectors: Vec<AllowedSelector>,
    /// The stack the function belongs to (`WORKTIME_STACK`), named in its events.
    pub stack: Option<String>,
    /// Where a notice is published (`WORKTIME_NOTIFY_TOPICS`).
    pub notify_topics: Vec<String>,
    /// The schedules the stack deploys (`WORKTIME_SCHEDULES`; `default` for `[schedule]`):
    /// an event naming any other is refused. `None`: not checked (the CLI's own events).
    pub schedules: Option<BTreeSet<String>>,
    /// How long a wave's minute and its waits last (real minutes but in tests).
    pub wave_timing: crate::waves::Timing,
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
                "selectors" => raw.selectors = selectors_field(value)?,
                "schedule" => raw.schedule = field(&key, value)?,
                "warn_before_minutes" => raw.warn_before_minutes = field(&key, value)?,
                "timezone" => raw.timezone = field(&key, value)?,
                "skip_dates" => raw.skip_dates = field(&key, value)?,
                "dry_run" => raw.dry_run = field(&key, value)?,
                "scheduled_time" => raw.scheduled_time = field(&key, value)?,
                "crons" => raw.crons = field(&key, value)?,
                "ready_within_minutes" => raw.ready_within_minutes = field(&key, value)?,
                "wave_timeout_minutes" => raw.wave_timeout_minutes = field(&key, value)?,
                "capacity" => raw.capacity = field(&key, value)?,
                "max_delay_minutes" => {
                    return Err(field_error(
                        key,
                        "no longer read: a scale-in or scale-out acts until the schedule's next \
                         opposite action (the payload's \"crons\"); deploy this release's \
                         triggers (worktime deploy), which no longer send it",
                    ))
                }
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

        let schedule = match raw.schedule {
            Some(name)
                if name.is_empty()
                    || name.chars().count() > MAX_SCHEDULE_NAME_CHARS
                    || name.chars().any(char::is_control) =>
            {
                return Err(field_error(
                    "schedule",
                    format!(
                        "{name:?} is not a schedule name: 1-{MAX_SCHEDULE_NAME_CHARS} printable characters"
                    ),
                ))
            }
            other => other,
        };
        let selectors = parse_selectors(
            raw.selectors.unwrap_or_default(),
            schedule.as_deref(),
            defaults,
        )?;
        let targets = match (raw.services, &defaults.services) {
            (Some(list), _) => list,
            // Selectors alone are a complete event.
            (None, _) if !selectors.is_empty() => Vec::new(),
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
        if targets.is_empty() && selectors.is_empty() {
            return Err(field_error(
                "services",
                "the list is empty and there are no selectors: name at least one service",
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
        let ready = raw
            .ready_within_minutes
            .unwrap_or(DEFAULT_READY_WITHIN_MINUTES);
        if !(1..=MAX_READY_WITHIN_MINUTES).contains(&ready) {
            return Err(field_error(
                "ready_within_minutes",
                format!("{ready} is out of range: use 1 to {MAX_READY_WITHIN_MINUTES} minutes"),
            ));
        }
        let wave_timeout = raw
            .wave_timeout_minutes
            .unwrap_or(DEFAULT_WAVE_TIMEOUT_MINUTES);
        if !(1..=MAX_WAVE_TIMEOUT_MINUTES).contains(&wave_timeout) {
            return Err(field_error(
                "wave_timeout_minutes",
                format!(
                    "{wave_timeout} is out of range: use 1 to {MAX_WAVE_TIMEOUT_MINUTES} minutes"
                ),
            ));
        }
        let clock = raw
            .crons
            .map(|crons| crons.clock(timezone, &skip_dates))
            .transpose()?;
        if action == Action::Reconcile && clock.is_none() {
            return Err(field_error(
                "crons",
                "a reconcile converges on what the schedule says now, and the event carries no \
                 crons: add {\"scale_out\": \"cron(...)\", \"scale_in\": \"cron(...)\", \
                 \"timezone\": \"<zone the crons fire in>\"}",
            ));
        }
        if let Some(known) = &defaults.schedules {
            let name = schedule.as_deref().unwrap_or(DEFAULT_SCHEDULE);
            if !known.contains(name) {
                return Err(field_error(
                    "schedule",
                    format!(
                        "{name:?} is not a schedule of this stack (WORKTIME_SCHEDULES: {}): \
                         the trigger belongs to another deployment; deploy the config that \
                         defines it",
                        known.iter().cloned().collect::<Vec<_>>().join(", ")
                    ),
                ));
            }
        }

        let warn_before = match (action, raw.warn_before_minutes) {
            (Action::Notice, Some(m)) if (1..=MAX_WARN_BEFORE_MINUTES).contains(&m) => {
                Some(TimeDelta::minutes(i64::from(m)))
            }
            (Action::Notice, Some(m)) => {
                return Err(field_error(
                    "warn_before_minutes",
                    format!("{m} is out of range: use 1 to {MAX_WARN_BEFORE_MINUTES} minutes"),
                ))
            }
            (Action::Notice, None) => return Err(field_error(
                "warn_before_minutes",
                "a notice says how long before scale-in it is sent: add \"warn_before_minutes\"",
            )),
            (_, Some(_)) => {
                return Err(field_error(
                    "warn_before_minutes",
                    "only a \"notice\" warns: remove it, or send action \"notice\"",
                ))
            }
            (_, None) => None,
        };

        let capacity = parse_capacity(action, raw.capacity.unwrap_or_default())?;

        Ok(ScalingEvent {
            action,
            implicit_toggle,
            services,
            selectors,
            schedule,
            ownership: Ownership {
                explicit: defaults.allowed.clone(),
                selectors: defaults.allowed_selectors.clone(),
            },
            timezone,
            skip_dates,
            dry_run: raw.dry_run.unwrap_or(false),
            scheduled_time,
            clock,
            ready_within: TimeDelta::minutes(i64::from(ready)),
            warn_before,
            wave_timeout: TimeDelta::minutes(i64::from(wave_timeout)),
            capacity,
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

/// `selectors`, each entry's error naming its index.
fn selectors_field(value: Value) -> Result<Option<Vec<SelectorTarget>>, EventError> {
    let entries = match value {
        Value::Null => return Ok(None),
        Value::Array(entries) if entries.len() <= MAX_SELECTORS => entries,
        Value::Array(entries) => {
            return Err(field_error(
                "selectors",
                format!(
                    "{} selectors in one event; at most {MAX_SELECTORS}",
                    entries.len()
                ),
            ))
        }
        _ => {
            return Err(field_error(
                "selectors",
                "not an array of {\"cluster\": \"<name>|*\", \"tag\": \"key=value\"}",
            ))
        }
    };
    entries
        .into_iter()
        .enumerate()
        .map(|(index, entry)| {
            serde_json::from_value::<SelectorTarget>(entry)
                .map_err(|e| field_error(format!("selectors[{index}]"), e.to_string()))
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

/// Validates each selector; one the allow-list does not hold is marked refused.
fn parse_selectors(
    targets: Vec<SelectorTarget>,
    schedule: Option<&str>,
    defaults: &EventDefaults,
) -> Result<Vec<Selector>, EventError> {
    let mut selectors: Vec<Selector> = Vec::with_capacity(targets.len());
    for (index, target) in targets.into_iter().enumerate() {
        let field = format!("selectors[{index}]");
        let cluster = ClusterScope::parse(&target.cluster)
            .map_err(|reason| field_error(format!("{field}.cluster"), reason))?;
        let tag = TagMatch::parse(&target.tag)
            .map_err(|reason| field_error(format!("{field}.tag"), reason))?;
        let declared = capacity_of(&field, target.min, target.max)?;
        let wave = wave_of(&field, target.wave)?;
        if selectors
            .iter()
            .any(|s| s.cluster == cluster && s.tag == tag)
        {
            return Err(field_error(
                field,
                format!("{cluster}:{tag} is listed twice: list each selector once"),
            ));
        }
        let allowed = defaults
            .allowed_selectors
            .iter()
            .any(|a| a.cluster == cluster && a.tag == tag && a.schedule.as_deref() == schedule);
        let refused = (!allowed).then(|| {
            format!(
                "{field}: {cluster}:{tag} is not configured for this stack's {} schedule (not \
                 in WORKTIME_ALLOWED_SELECTORS): the function only resolves the selectors it \
                 was deployed with; add it to worktime.toml and deploy",
                schedule.unwrap_or("default")
            )
        });
        selectors.push(Selector {
            cluster,
            tag,
            declared,
            refused,
            wave,
        });
    }
    Ok(selectors)
}

/// `capacity`: only with scale-in or scale-out (a reconcile, a notice or a toggle has no
/// order to keep the groups in), each group once, under a valid cluster name.
fn parse_capacity(
    action: Action,
    targets: Vec<CapacityTarget>,
) -> Result<Vec<CapacityTarget>, EventError> {
    if targets.is_empty() {
        return Ok(targets);
    }
    if !matches!(action, Action::ScaleIn | Action::ScaleOut) {
        return Err(field_error(
            "capacity",
            format!(
                "action {action} does not move Auto Scaling groups: only scale-in and \
                 scale-out do; remove \"capacity\""
            ),
        ));
    }
    if targets.len() > MAX_CAPACITY_GROUPS {
        return Err(field_error(
            "capacity",
            format!(
                "{} groups in one event; at most {MAX_CAPACITY_GROUPS}",
                targets.len()
            ),
        ));
    }
    let mut seen = HashSet::new();
    for (index, target) in targets.iter().enumerate() {
        let field = format!("capacity[{index}]");
        if !crate::ecs::is_valid_ecs_name(&target.cluster) {
            return Err(field_error(
                format!("{field}.cluster"),
                format!("{:?} is not an ECS cluster name", target.cluster),
            ));
        }
        let name = &target.autoscaling_group;
        if name.is_empty() || name.chars().count() > 255 || name.chars().any(char::is_control) {
            return Err(field_error(
                format!("{field}.autoscaling_group"),
                format!("{name:?} is not an Auto Scaling group name: 1-255 printable characters"),
            ));
        }
        if !seen.insert(name.as_str()) {
            return Err(field_error(
                format!("{field}.autoscaling_group"),
                format!("{name} is listed twice: list each group once"),
            ));
        }
    }
    Ok(targets)
}

/// Both of min/max, or neither (restore mode).
fn capacity_of(
    field: &str,
    min: Option<i32>,
    max: Option<i32>,
) -> Result<Option<Capacity>, EventError> {
    match (min, max) {
        (None, None) => Ok(None),
        (Some(min), Some(max)) => Capacity::new(min, max)
            .map(Some)
            .map_err(|reason| field_error(field, reason)),
        _ => Err(field_error(
            field,
            "only one of min/max is given: give both, or neither to restore remembered capacity",
        )),
    }
}

/// A wave number: 0-9, absent 0.
fn wave_of(field: &str, wave: Option<u8>) -> Result<u8, EventError> {
    match wave {
        None => Ok(0),
        Some(wave) if wave <= MAX_WAVE => Ok(wave),
        Some(wave) => Err(field_error(
            format!("{field}.wave"),
            format!("{wave} is not a wave: use 0 to {MAX_WAVE}"),
        )),
    }
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
    let declared = capacity_of(field, target.min, target.max)?;
    Ok(ServiceRequest {
        resource_id: target.resource_id.clone(),
        cluster: cluster.to_string(),
        service: service.to_string(),
        declared,
        refused: None,
        selected_by: None,
        wave: wave_of(field, target.wave)?,
    })
}

#[cfg(test)]
mod tests;
