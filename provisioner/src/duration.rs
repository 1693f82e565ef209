//! How long a hold lasts (`worktime hold --for`, `worktime wake --for`): whole days, hours
//! and minutes written `1d`, `3h`, `90m` or combined largest unit first (`1h30m`, `2d12h`),
//! from one minute to [`MAX_HOLD_DAYS`] days.

use std::fmt;
use std::str::FromStr;

use chrono::TimeDelta;
use thiserror::Error;

/// The longest hold: a month. A longer one is better written as a config change (or
/// `worktime:exclude`), and a typo such as `300d` is caught.
pub const MAX_HOLD_DAYS: i64 = 30;

const MINUTES_PER_HOUR: u64 = 60;
const MINUTES_PER_DAY: u64 = 24 * MINUTES_PER_HOUR;

/// What the argument accepts, for every message.
const ACCEPTED: &str = "write a whole number of days, hours or minutes, e.g. 90m, 3h, 1d, or \
                        combine them largest first, e.g. 1h30m (at most 30 days)";

/// A hold's length, checked: at least a minute, at most [`MAX_HOLD_DAYS`] days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HoldDuration {
    minutes: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DurationError {
    #[error("{text:?} is not a duration: {ACCEPTED}")]
    Malformed { text: String },
    #[error("{text:?} is negative: a hold lasts from now into the future; {ACCEPTED}")]
    Negative { text: String },
    #[error("{text:?} is zero: a hold lasts at least a minute; {ACCEPTED}")]
    Zero { text: String },
    #[error("{text:?} is longer than {MAX_HOLD_DAYS} days: {ACCEPTED}")]
    TooLong { text: String },
}

impl HoldDuration {
    pub fn as_time_delta(self) -> TimeDelta {
        // At most 30 days of minutes: far inside i64.
        TimeDelta::minutes(self.minutes as i64)
    }
}

impl FromStr for HoldDuration {
    type Err = DurationError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let malformed = || DurationError::Malformed {
            text: text.to_string(),
        };
        let trimmed = text.trim();
        if trimmed.starts_with('-') {
            return Err(DurationError::Negative {
                text: text.to_string(),
            });
        }
        let limit = MAX_HOLD_DAYS as u64 * MINUTES_PER_DAY;
        let too_long = || DurationError::TooLong {
            text: text.to_string(),
        };
        // Units in this order, each at most once: d, h, m.
        let units = [('d', MINUTES_PER_DAY), ('h', MINUTES_PER_HOUR), ('m', 1)];
        let mut next_unit = 0;
        let mut minutes: u64 = 0;
        let mut rest = trimmed;
        if rest.is_empty() {
            return Err(malformed());
        }
        while !rest.is_empty() {
            let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
            if digits == 0 {
                return Err(malformed());
            }
            let (number, after) = rest.split_at(digits);
            let unit = after.chars().next().ok_or_else(malformed)?;
            let position = units[next_unit..]
                .iter()
                .position(|(name, _)| *name == unit)
                .ok_or_else(malformed)?;
            let (_, scale) = units[next_unit + position];
            next_unit += position + 1;
            // A number too large for u64 is far beyond the limit anyway.
            let value: u64 = number.parse().map_err(|_| too_long())?;
            minutes = value
                .checked_mul(scale)
                .and_then(|m| m.checked_add(minutes))
                .ok_or_else(too_long)?;
            rest = &after[unit.len_utf8()..];
        }
        if minutes == 0 {
            return Err(DurationError::Zero {
                text: text.to_string(),
            });
        }
        if minutes > limit {
            return Err(too_long());
        }
        Ok(HoldDuration { minutes })
    }
}

/// For clap's `value_parser`: the error names the argument there.
pub fn parse_hold_duration(text: &str) -> Result<HoldDuration, DurationError> {
    text.parse()
}

impl fmt::Display for HoldDuration {
    /// The canonical form: `1d2h30m`, leaving out zero parts.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let days = self.minutes / MINUTES_PER_DAY;
        let hours = self.minutes % MINUTES_PER_DAY / MINUTES_PER_HOUR;
        let minutes = self.minutes % MINUTES_PER_HOUR;
        for (value, unit) in [(days, "d"), (hours, "h"), (minutes, "m")] {
            if value > 0 {
                write!(f, "{value}{unit}")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn minutes(text: &str) -> Result<i64, DurationError> {
        text.parse::<HoldDuration>()
            .map(|d| d.as_time_delta().num_minutes())
    }

    #[test]
    fn days_hours_minutes_and_combinations() {
        for (text, expected) in [
            ("90m", 90),
            ("3h", 180),
            ("1d", 1440),
            ("1h30m", 90),
            ("2d12h", 3600),
            ("1d1h1m", 1501),
            ("30d", 30 * 1440),
            ("0h15m", 15),
            (" 2h ", 120),
        ] {
            assert_eq!(minutes(text), Ok(expected), "{text}");
        }
    }

    #[test]
    fn canonical_form() {
        for (text, shown) in [
            ("90m", "1h30m"),
            ("1d", "1d"),
            ("48h", "2d"),
            ("1d0h5m", "1d5m"),
        ] {
            assert_eq!(text.parse::<HoldDuration>().unwrap().to_string(), shown);
        }
    }

    #[test]
    fn zero_negative_garbage_and_too_long_are_refused_with_the_accepted_forms() {
        for text in ["0m", "0h", "0d0h0m"] {
            assert!(
                matches!(minutes(text), Err(DurationError::Zero { .. })),
                "{text}"
            );
        }
        for text in ["-1h", " -30m"] {
            assert!(
                matches!(minutes(text), Err(DurationError::Negative { .. })),
                "{text}"
            );
        }
        for text in [
            "", "3", "h", "3x", "1.5h", "3 h", "1h 30m", "30m1h", "1h1h", "2H", "tomorrow", "1hm",
            "PT3H",
        ] {
            assert!(
                matches!(minutes(text), Err(DurationError::Malformed { .. })),
                "{text:?}: {:?}",
                minutes(text)
            );
        }
        for text in ["31d", "30d1m", "721h", "99999999999999999999999m"] {
            assert!(
                matches!(minutes(text), Err(DurationError::TooLong { .. })),
                "{text}"
            );
        }
        let message = minutes("3x").unwrap_err().to_string();
        assert!(message.contains("\"3x\""), "{message}");
        assert!(message.contains("90m, 3h, 1d"), "{message}");
        assert!(message.contains("1h30m"), "{message}");
    }
}
