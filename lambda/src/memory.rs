//! What a service was at scale-in — bounds and desired count — as the value of the
//! `worktime:capacity` tag: written, read back and checked before anything trusts it.
//!
//! Value format (ECS tag values allow letters, digits, spaces and `+ - = . _ : / @`):
//! - `2/6@4`: a scalable target with bounds 2/6, and 4 tasks desired;
//! - `none@3`: no scalable target existed, 3 tasks desired;
//! - `2/6`: the form of earlier releases (bounds only), still read; the desired count to
//!   restore is then chosen by the scale-out rule (see the planner).
//!
//! A value that is unreadable, inconsistent (min > max, desired outside the bounds) or absurd
//! (negative, more than [`MAX_REMEMBERED_TASKS`]), or that would restore a service to no
//! task at all (`0/0`, `none@0`), is refused with a reason naming the tag and the value:
//! nothing is guessed.

use std::fmt;

use serde::Serialize;

use crate::event::Capacity;
use crate::tags::CAPACITY_TAG;

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
        Ok(())
    }
}

fn parse_value(value: &str) -> Result<Remembered, String> {
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
        _ => Ok(Remembered { bounds, desired }),
    }
}

fn number(what: &str, text: &str) -> Result<i32, String> {
    let n: i64 = text
        .trim()
        .parse()
        .map_err(|_| format!("{what} {text:?} is not a whole number"))?;
    if n < 0 {
        return Err(format!("{what} {n} is negative"));
    }
    if n > i64::from(MAX_REMEMBERED_TASKS) {
        return Err(format!(
            "{what} {n} is more than {MAX_REMEMBERED_TASKS} tasks"
        ));
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
            assert_eq!(parsed, Remembered { bounds, desired }, "{text}");
            assert_eq!(parsed.to_string(), text);
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
