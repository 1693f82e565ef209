//! AWS cron expressions: parsing and validation ([`AwsCron::parse`]), local → UTC
//! conversion (`utc`), next run (`next`).
//!
//! The grammar is EventBridge's six-field `cron(minutes hours day-of-month month
//! day-of-week year)`: exactly one of day-of-month / day-of-week is `?`, day-of-week counts
//! from SUN=1, and the special forms `L`, `LW`, `15W` (day-of-month) and `6L`, `MON#2`
//! (day-of-week) are supported.
//!
//! EventBridge *rules* evaluate crons in UTC, so a schedule written in local time must be
//! converted ([`AwsCron::to_utc`]); that is exact only for zones without daylight saving
//! ([`observes_dst`]). EventBridge *Scheduler* evaluates them in the local zone, which
//! [`AwsCron::next_after`] mirrors: times in a spring-forward gap are skipped and times in a
//! fall-back overlap fire once, at the earlier instant.

mod fields;
mod next;
#[cfg(test)]
mod tests;
mod utc;

use std::collections::BTreeSet;
use std::fmt;

pub use utc::observes_dst;

use fields::{bits64, parse_dom, parse_dow, HOURS, MINUTES, MONTH, YEAR};

/// Why a cron expression was refused: what is wrong and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{problem}. Fix: {fix}", field.map(|f| format!("{f} field: ")).unwrap_or_default())]
pub struct CronError {
    /// The cron field at fault ("minutes", "hours", "day-of-month", "month", "day-of-week",
    /// "year"), when the problem is in one field.
    pub field: Option<&'static str>,
    /// What is wrong.
    pub problem: String,
    /// How to fix it.
    pub fix: String,
}

impl CronError {
    pub(crate) fn new(
        field: Option<&'static str>,
        problem: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        CronError {
            field,
            problem: problem.into(),
            fix: fix.into(),
        }
    }

    /// What is wrong, prefixed with the field when there is one (the message without the fix).
    pub fn describe_problem(&self) -> String {
        match self.field {
            Some(f) => format!("{f} field: {}", self.problem),
            None => self.problem.clone(),
        }
    }

    pub(crate) fn unconvertible(problem: impl Into<String>) -> Self {
        CronError::new(
            None,
            problem,
            "use trigger = \"scheduler\" (EventBridge Scheduler evaluates the cron in your time zone), or simplify the schedule",
        )
    }
}

pub(crate) const EXAMPLE: &str = "cron(0 9 ? * MON-FRI *)";
pub(crate) const DOW_NAMES: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];
pub(crate) const MONTH_NAMES: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];

/// Day-of-month field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum DomSpec {
    /// `?`: no constraint from this field (day-of-week decides).
    NoSpec,
    /// `*`, a list, ranges, increments: bit d set = day d (1-31).
    Days(u32),
    /// `L`: the last day of the month.
    Last,
    /// `LW`: the last weekday (Mon-Fri) of the month.
    LastWeekday,
    /// `15W`: the weekday nearest to the 15th, within the month.
    NearestWeekday(u32),
}

/// Day-of-week field (1 = SUN ... 7 = SAT).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum DowSpec {
    /// `?`.
    NoSpec,
    /// `*`, a list, ranges, increments: bit d set = day d (1-7).
    Days(u8),
    /// `6L`: the last such weekday of the month.
    LastOfMonth(u32),
    /// `MON#2`: the n-th such weekday of the month.
    Nth(u32, u32),
}

/// A parsed `cron(min hour dom month dow year)` expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsCron {
    /// Canonical text of the six fields (upper-case, as written otherwise).
    fields: [String; 6],
    /// Bit m set = minute m.
    minutes: u64,
    /// Bit h set = hour h.
    hours: u32,
    dom: DomSpec,
    /// Bit m set = month m (1-12).
    months: u16,
    dow: DowSpec,
    /// `None` = every year.
    years: Option<BTreeSet<u32>>,
}

impl fmt::Display for AwsCron {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cron({})", self.fields.join(" "))
    }
}

impl std::str::FromStr for AwsCron {
    type Err = CronError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        AwsCron::parse(s)
    }
}

impl AwsCron {
    /// Parses `cron(<6 whitespace-separated fields>)`.
    pub fn parse(text: &str) -> Result<AwsCron, CronError> {
        let trimmed = text.trim();
        let inner = trimmed
            .strip_prefix("cron(")
            .and_then(|t| t.strip_suffix(')'))
            .ok_or_else(|| {
                CronError::new(
                    None,
                    format!("{trimmed:?} is not an AWS cron expression"),
                    format!(
                        "write cron(minutes hours day-of-month month day-of-week year), for example \"{EXAMPLE}\""
                    ),
                )
            })?;
        let parts: Vec<&str> = inner.split_whitespace().collect();
        if parts.len() != 6 {
            return Err(CronError::new(
                None,
                format!(
                    "{trimmed:?} has {} field{} but AWS cron needs exactly 6",
                    parts.len(),
                    if parts.len() == 1 { "" } else { "s" }
                ),
                format!(
                    "give minutes, hours, day-of-month, month, day-of-week and year, for example \"{EXAMPLE}\" (the year is not optional: use *)"
                ),
            ));
        }
        let fields: [String; 6] = std::array::from_fn(|i| parts[i].to_ascii_uppercase());
        let for_field = |i: usize| fields[i].as_str();

        let minutes = bits64(&MINUTES.list(for_field(0))?);
        let hours = bits64(&HOURS.list(for_field(1))?) as u32;
        let dom = parse_dom(for_field(2))?;
        let months = (bits64(&MONTH.list(for_field(3))?)) as u16;
        let dow = parse_dow(for_field(4))?;
        let years = if for_field(5) == "*" {
            None
        } else {
            Some(YEAR.list(for_field(5))?)
        };

        match (dom == DomSpec::NoSpec, dow == DowSpec::NoSpec) {
            (true, false) | (false, true) => {}
            (false, false) => {
                return Err(CronError::new(
                    None,
                    format!(
                        "day-of-month is {} and day-of-week is {}, but you can't give both day-of-month and day-of-week: put ? in one of them",
                        fields[2], fields[4]
                    ),
                    "write for example \"cron(0 9 ? * MON-FRI *)\" (weekdays) or \"cron(0 9 1 * ? *)\" (the 1st of each month)",
                ));
            }
            (true, true) => {
                return Err(CronError::new(
                    None,
                    "day-of-month and day-of-week are both ?",
                    "put ? in only one of them and * (or a value) in the other, for example \"cron(0 9 ? * MON-FRI *)\"",
                ));
            }
        }

        Ok(AwsCron {
            fields,
            minutes,
            hours,
            dom,
            months,
            dow,
            years,
        })
    }
}
