//! What a service was at scale-in — bounds and desired count — as the value of the
//! `worktime:capacity` tag: written, read back and checked before anything trusts it.
//!
//! Value format (ECS tag values allow letters, digits, spaces and `+ - = . _ : / @`):
//! - `2/6@4`: a scalable target with bounds 2/6, and 4 tasks desired;
//! - `none@3`: no scalable target existed, 3 tasks desired;
//! - `2/6`: the form of earlier releases (bounds only), still read; the desired count to
//!   restore is then chosen by the scale-out rule (see the planner);
//! - followed by the state of the service worktime last brought it to, and when:
//!   `2/6@4 down 2026-12-03T10:00:00Z` (scaled in then: the capacity is owed back until a
//!   scale-out has restored bounds *and* desired count) or `2/6@4 up 2026-12-03T00:00:00Z`
//!   (restored then: nothing is owed). A value without a state (earlier releases) is read as
//!   `down` at an unknown time, since those releases wrote it only at scale-in.
//!
//! The state is written last at scale-out and first at scale-in, so a run stopped after any
//! write and retried finds out exactly what is still owed.
//!
//! A value that is unreadable, inconsistent (min > max, desired outside the bounds) or absurd
//! (negative, more than [`MAX_REMEMBERED_TASKS`]), or that would restore a service to no
//! task at all (`0/0`, `none@0`), is refused with a reason naming the tag and the value:
//! nothing is guessed.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::ecs::Capacity;
use crate::tags::{hold_until_value, parse_hold_until, CAPACITY_TAG};

/// More tasks than any remembered value may hold; ECS's own default quota is 5,000 tasks per
/// service, so a larger number is a broken or tampered tag.
pub const MAX_REMEMBERED_TASKS: i32 = 10_000;

/// A service's state at scale-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Remembered {
    /// The scalable target's bounds; `None`: the service had no scalable target.
    pub bounds: Option<Capacity>,
    /// The desired task count; `None` only for a tag of the old `min/max` form.
    pub desired: Option<i32>,
    /// What worktime last did to the service, and when; `None`: a value of an earlier
    /// release (read as a scale-in at an unknown time).
    pub mark: Option<Mark>,
}

/// The state worktime last brought a service to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "state", content = "at")]
pub enum Mark {
    /// Scaled in at this instant: the capacity is owed back.
    Down(DateTime<Utc>),
    /// Restored (bounds and desired count) at this instant: nothing is owed.
    Up(DateTime<Utc>),
}

impl Remembered {
    /// Whether the service is owed its capacity back (scaled in, not yet fully restored).
    pub fn owed(&self) -> bool {
        !matches!(self.mark, Some(Mark::Up(_)))
    }

    /// When it was scaled in, if the value says (`None` for a value of an earlier release).
    pub fn down_at(&self) -> Option<DateTime<Utc>> {
        match self.mark {
            Some(Mark::Down(at)) => Some(at),
            _ => None,
        }
    }

    /// When it was restored, if it was.
    pub fn up_at(&self) -> Option<DateTime<Utc>> {
        match self.mark {
            Some(Mark::Up(at)) => Some(at),
            _ => None,
        }
    }

    /// The same capacity with another mark.
    pub fn marked(self, mark: Mark) -> Self {
        Remembered {
            mark: Some(mark),
            ..self
        }
    }
}

impl Remembered {
    /// Reads and checks a tag value. The error names the tag and the value.
    pub fn parse(value: &str) -> Result<Self, String> {
        parse_value(value).map_err(|problem| {
            format!(
                "tag {CAPACITY_TAG} = {value:?}: {problem}; fix the tag to \"min/max@desired\" \
                 (or \"none@desired\") or remove it"
            )
        })
    }
}

impl fmt::Display for Remembered {
    /// The tag value: `2/6@4`, `none@3`, or the old `2/6`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.bounds {
            Some(bounds) => write!(f, "{bounds}")?,
            None => f.write_str("none")?,
        }
        if let Some(desired) = self.desired {
            write!(f, "@{desired}")?;
        }
        match self.mark {
            Some(Mark::Down(at)) => write!(f, " down {}", hold_until_value(at)),
            Some(Mark::Up(at)) => write!(f, " up {}", hold_until_value(at)),
            None => Ok(()),
        }
    }
}

fn parse_value(value: &str) -> Result<Remembered, String> {
    let mut words = value.split_whitespace();
    let capacity = words.next().unwrap_or_default();
    let mark = match (words.next(), words.next(), words.next()) {
        (None, _, _) => None,
        (Some(state @ ("down" | "up")), Some(at), None) => {
            let at =
                parse_hold_until(at).map_err(|e| format!("the time after {state:?} is {e}"))?;
            Some(if state == "down" {
                Mark::Down(at)
            } else {
                Mark::Up(at)
            })
        }
        _ => {
            return Err(
                "not of the form min/max@desired, optionally followed by \"down TIME\" or \
                 \"up TIME\""
                    .into(),
            )
        }
    };
    parse_capacity(capacity).map(|remembered| Remembered { mark, ..remembered })
}

fn parse_capacity(value: &str) -> Result<Remembered, String> {
    let (bounds_text, desired_text) = match value.split_once('@') {
        Some((bounds, desired)) => (bounds, Some(desired)),
        None => (value, None),
    };
    let bounds = if bounds_text.trim() == "none" {
        None
    } else {
        let (min, max) = bounds_text
            .split_once('/')
            .ok_or("not of the form min/max@desired or none@desired")?;
        Some((number("min", min)?, number("max", max)?))
    };
    let desired = desired_text.map(|d| number("desired", d)).transpose()?;

    let bounds = match bounds {
        None => None,
        Some((min, max)) if min > max => {
            return Err(format!("min {min} is greater than max {max}"))
        }
        Some((0, 0)) => {
            return Err(
                "bounds 0/0 are not a capacity to restore: the service would stay \
                        down all day"
                    .into(),
            )
        }
        Some((min, max)) => Some(Capacity { min, max }),
    };
    match (bounds, desired) {
        (None, None) => Err("\"none\" without a desired count (none@N)".into()),
        (None, Some(0)) => Err(
            "no scalable target and 0 tasks: the service would stay down \
                                all day"
                .into(),
        ),
        (Some(b), Some(d)) if d < b.min || d > b.max => {
            Err(format!("desired count {d} is outside the bounds {b}"))
        }
        _ => Ok(Remembered {
            bounds,
            desired,
            mark: None,
        }),
    }
}

fn number(what: &str, text: &str) -> Result<i32, String> {
    remembered_count(what, text, MAX_REMEMBERED_TASKS, "tasks")
}

/// A count read back from a tag (`what` names it in the error): a whole number from 0 to
/// `max` `unit`; anything else (unreadable, negative, absurd) is refused with why.
pub(crate) fn remembered_count(
    what: &str,
    text: &str,
    max: i32,
    unit: &str,
) -> Result<i32, String> {
    let n: i64 = text
        .trim()
        .parse()
        .map_err(|_| format!("{what} {text:?} is not a whole number"))?;
    if n < 0 {
        return Err(format!("{what} {n} is negative"));
    }
    if n > i64::from(max) {
        return Err(format!("{what} {n} is more than {max} {unit}"));
    }
    Ok(n as i32)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cap(min: i32, max: i32) -> Option<Capacity> {
        Some(Capacity { min, max })
    }

    #[test]
    fn values_round_trip() {
        for (text, bounds, desired) in [
            ("2/6@4", cap(2, 6), Some(4)),
            ("0/4@0", cap(0, 4), Some(0)),
            ("none@3", None, Some(3)),
            ("2/6", cap(2, 6), None),
        ] {
            let parsed = Remembered::parse(text).unwrap();
            assert_eq!(
                parsed,
                Remembered {
                    bounds,
                    desired,
                    mark: None
                },
                "{text}"
            );
            assert_eq!(parsed.to_string(), text);
        }
    }

    #[test]
    fn marks_round_trip_and_say_what_is_owed() {
        let at = DateTime::parse_from_rfc3339("2026-12-03T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let down = Remembered::parse("2/6@4 down 2026-12-03T10:00:00Z").unwrap();
        assert_eq!(down.mark, Some(Mark::Down(at)));
        assert!(down.owed());
        assert_eq!(down.down_at(), Some(at));
        assert_eq!(down.to_string(), "2/6@4 down 2026-12-03T10:00:00Z");
        let up = Remembered::parse("none@3 up 2026-12-03T10:00:00Z").unwrap();
        assert!(!up.owed());
        assert_eq!(up.up_at(), Some(at));
        assert_eq!(up.to_string(), "none@3 up 2026-12-03T10:00:00Z");
        // A value of an earlier release: owed, at an unknown time.
        let old = Remembered::parse("2/6@4").unwrap();
        assert!(old.owed());
        assert_eq!(old.down_at(), None);
        for bad in [
            "2/6@4 sideways 2026-12-03T10:00:00Z",
            "2/6@4 down",
            "2/6@4 down yesterday",
            "2/6@4 up 2026-12-03T10:00:00Z extra",
        ] {
            assert!(Remembered::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn bad_values_are_refused_naming_tag_and_value() {
        for (text, problem) in [
            ("", "not of the form"),
            ("abc", "not of the form"),
            ("2/x@1", "max \"x\" is not a whole number"),
            ("2/6@", "desired \"\" is not a whole number"),
            ("6/2@4", "greater than max"),
            ("2/6@9", "outside the bounds"),
            ("2/6@1", "outside the bounds"),
            ("-1/6@2", "negative"),
            ("0/999999@4", "more than 10000"),
            ("none@99999", "more than 10000"),
            ("0/0", "0/0"),
            ("0/0@0", "0/0"),
            ("none@0", "stay down"),
            ("none", "without a desired count"),
            ("2/6@4@5", "not a whole number"),
        ] {
            let err = Remembered::parse(text).unwrap_err();
            assert!(
                err.starts_with(&format!("tag worktime:capacity = {text:?}: ")),
                "{err}"
            );
            assert!(err.contains(problem), "{text}: {err}");
        }
    }
}
