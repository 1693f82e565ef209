//! The ECS tag names worktime reads and writes, and the hold tag's value format, defined once
//! for the function and the CLI.

use chrono::{DateTime, SecondsFormat, Utc};

/// On an ECS service: what it was at scale-in (bounds and desired count), written by the
/// function before any scale-in write; the value format is in [`crate::Remembered`].
pub const CAPACITY_TAG: &str = "worktime:capacity";

/// On the resources the CLI creates outside the stack (the artifact bucket, stack sets):
/// the stack they belong to.
pub const STACK_TAG: &str = "worktime:stack";

/// On an ECS service: the instant (RFC 3339, UTC, e.g. `2026-11-28T21:00:00Z`) until which
/// scale-in leaves it as it is (`worktime hold`, `worktime wake`). Scale-out ignores it; the
/// function removes it once it has passed. The value format is [`hold_until_value`].
pub const HOLD_UNTIL_TAG: &str = "worktime:hold-until";

/// The opt-out: on an ECS service, any value means "never change this service"; every
/// action reports it skipped.
pub const EXCLUDE_TAG: &str = "worktime:exclude";

/// The `worktime:hold-until` value for an instant: RFC 3339 in UTC, whole seconds.
pub fn hold_until_value(until: DateTime<Utc>) -> String {
    until.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Reads a `worktime:hold-until` value. Any RFC 3339 time is read (an offset other than `Z`
/// is an exact instant too); anything else is refused with the problem, never guessed.
pub fn parse_hold_until(value: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(value.trim())
        .map(|time| time.with_timezone(&Utc))
        .map_err(|error| format!("not an RFC 3339 time such as 2026-11-28T21:00:00Z ({error})"))
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn hold_until_values_round_trip_and_garbage_is_refused() {
        let until = Utc.with_ymd_and_hms(2026, 11, 28, 21, 0, 0).unwrap();
        assert_eq!(hold_until_value(until), "2026-11-28T21:00:00Z");
        assert_eq!(parse_hold_until("2026-11-28T21:00:00Z"), Ok(until));
        assert_eq!(parse_hold_until("2026-11-29T06:00:00+09:00"), Ok(until));
        for bad in ["", "tomorrow", "2026-11-28", "2026-11-28 21:00"] {
            assert!(parse_hold_until(bad).is_err(), "{bad:?}");
        }
    }
}
