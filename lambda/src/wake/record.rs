//! How long a wake takes, measured and remembered on the woken service (issue 18): the wake
//! writes its start next to the hold, the request that finds the service up and puts its
//! rules back measures from that start, and the last few durations are kept on the service so
//! the starting page can say how long a wake usually takes (their median).
//!
//! The pure part: reading, merging and summing up the tags. `visit.rs` reads and writes them;
//! a record that cannot be written never changes a visitor's answer (it is logged).

use chrono::{DateTime, Utc};

use crate::tags::{hold_until_value, parse_hold_until};

/// On a woken service: when its latest wake started (RFC 3339, UTC, whole seconds), written
/// with the hold. Kept after the wake: `worktime status` shows it as the last wake.
pub const WAKE_STARTED_TAG: &str = "worktime:wake-started";

/// On a woken service: the seconds its last wakes took, oldest first, comma-separated
/// (`41,38,55`), at most [`KEPT`] of them.
pub const WAKE_SECONDS_TAG: &str = "worktime:wake-seconds";

/// How many durations are kept: enough for a median that one slow morning does not move,
/// few enough that a changed service (a bigger image, a slower health check) shows soon.
pub const KEPT: usize = 5;

/// The `worktime:wake-started` value for an instant (the hold's format).
pub fn started_value(at: DateTime<Utc>) -> String {
    hold_until_value(at)
}

/// Reads a `worktime:wake-seconds` value; anything but comma-separated whole seconds is
/// refused with the problem.
pub fn parse_seconds(value: &str) -> Result<Vec<u64>, String> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(Vec::new());
    }
    value
        .split(',')
        .map(|s| {
            s.trim().parse::<u64>().map_err(|_| {
                format!(
                    "tag {WAKE_SECONDS_TAG} = {value:?}: {s:?} is not a whole number of seconds"
                )
            })
        })
        .collect()
}

/// The tag's value for `seconds`.
pub fn encode_seconds(seconds: &[u64]) -> String {
    seconds
        .iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// `previous` with `seconds` added last, the oldest dropped beyond [`KEPT`].
pub fn merge(previous: &[u64], seconds: u64) -> Vec<u64> {
    let mut kept: Vec<u64> = previous.to_vec();
    kept.push(seconds);
    let drop = kept.len().saturating_sub(KEPT);
    kept.split_off(drop)
}

/// The median of `seconds` (of two middle values, their mean rounded up: the page errs on the
/// long side); `None` without any.
pub fn median(seconds: &[u64]) -> Option<u64> {
    let mut sorted = seconds.to_vec();
    sorted.sort_unstable();
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(sorted[n / 2]),
        _ => Some((sorted[n / 2 - 1] + sorted[n / 2]).div_ceil(2)),
    }
}

/// How long a service usually takes to wake, from its `worktime:wake-seconds` tag (absent or
/// unreadable: not known).
pub fn usual_seconds(tag: Option<&str>) -> Option<u64> {
    median(&parse_seconds(tag?).ok()?)
}

/// Why a finished wake is not measured.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unmeasured {
    #[error("the service carries no {WAKE_STARTED_TAG} tag (not woken by a request)")]
    NoStart,
    #[error("tag {WAKE_STARTED_TAG} = {value:?}: {problem}")]
    Unreadable { value: String, problem: String },
    /// A start after now, or before the hold the wake wrote could have begun: not this
    /// wake's start.
    #[error("tag {WAKE_STARTED_TAG} = {value:?} is not the start of a wake that ends now ({now})")]
    NotThisWake { value: String, now: String },
}

/// The seconds from the wake's recorded start to `now`, the service up and its rules put
/// back. A start more than the wake's hold (`idle_minutes`) ago is not this wake's: a wake
/// that outlived its hold was taken down by the reconcile, and no request finishes it.
pub fn measured(
    started: Option<&str>,
    now: DateTime<Utc>,
    idle_minutes: u32,
) -> Result<u64, Unmeasured> {
    let value = started.ok_or(Unmeasured::NoStart)?;
    let at = parse_hold_until(value).map_err(|problem| Unmeasured::Unreadable {
        value: value.to_string(),
        problem,
    })?;
    let seconds = (now - at).num_seconds();
    if seconds < 0 || seconds > i64::from(idle_minutes) * 60 {
        return Err(Unmeasured::NotThisWake {
            value: value.to_string(),
            now: hold_until_value(now),
        });
    }
    Ok(seconds as u64)
}

/// The new `worktime:wake-seconds` value after a wake of `seconds`: an unreadable earlier
/// value is replaced (it is worktime's own record, and the page only reads it).
pub fn recorded(previous: Option<&str>, seconds: u64) -> String {
    let previous = previous
        .and_then(|v| parse_seconds(v).ok())
        .unwrap_or_default();
    encode_seconds(&merge(&previous, seconds))
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn durations_read_back_and_garbage_is_refused_naming_the_tag() {
        assert_eq!(parse_seconds("41,38,55"), Ok(vec![41, 38, 55]));
        assert_eq!(parse_seconds(" 41 , 38 "), Ok(vec![41, 38]));
        assert_eq!(parse_seconds(""), Ok(Vec::new()));
        let error = parse_seconds("41,abc").unwrap_err();
        assert!(
            error.contains(WAKE_SECONDS_TAG) && error.contains("abc"),
            "{error}"
        );
        assert!(parse_seconds("-3").is_err());
        assert_eq!(encode_seconds(&[41, 38, 55]), "41,38,55");
    }

    #[test]
    fn the_last_five_are_kept_oldest_dropped() {
        assert_eq!(merge(&[], 40), vec![40]);
        assert_eq!(merge(&[1, 2, 3, 4], 5), vec![1, 2, 3, 4, 5]);
        assert_eq!(merge(&[1, 2, 3, 4, 5], 6), vec![2, 3, 4, 5, 6]);
        assert_eq!(recorded(Some("1,2,3,4,5,6,7"), 8), "4,5,6,7,8");
        assert_eq!(recorded(None, 41), "41");
        assert_eq!(recorded(Some("garbage"), 41), "41", "replaced");
    }

    #[test]
    fn the_usual_time_is_the_median_not_the_mean() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[41]), Some(41));
        // One slow wake (a cold image pull) does not move it.
        assert_eq!(median(&[41, 38, 300]), Some(41));
        assert_eq!(median(&[40, 41]), Some(41), "rounded up");
        assert_eq!(median(&[30, 40, 50, 60]), Some(45));
        assert_eq!(usual_seconds(Some("41,38,55")), Some(41));
        assert_eq!(usual_seconds(Some("x")), None);
        assert_eq!(usual_seconds(None), None);
    }

    #[test]
    fn a_wake_is_measured_from_its_recorded_start_only() {
        let now = Utc.with_ymd_and_hms(2026, 12, 3, 22, 1, 0).unwrap();
        assert_eq!(measured(Some("2026-12-03T22:00:19Z"), now, 60), Ok(41));
        assert_eq!(measured(None, now, 60), Err(Unmeasured::NoStart));
        assert!(matches!(
            measured(Some("yesterday"), now, 60),
            Err(Unmeasured::Unreadable { .. })
        ));
        // A start in the future, or older than the hold: not this wake's.
        for stale in ["2026-12-03T22:02:00Z", "2026-12-03T20:59:59Z"] {
            assert!(
                matches!(
                    measured(Some(stale), now, 60),
                    Err(Unmeasured::NotThisWake { .. })
                ),
                "{stale}"
            );
        }
        assert_eq!(measured(Some("2026-12-03T21:01:00Z"), now, 60), Ok(3600));
    }
}
