//! The function's wake records, read back from its log group (`worktime status` shows the
//! recent ones, `worktime report` counts them): pure reading and counting, so the figures are
//! tested without an endpoint. The function writes one JSON line per wake phase
//! (`lambda/src/wake/visit.rs`, `WakeRecord`): `{"fields": {"message": "wake", "service":
//! "prod/web", "phase": "started", "until": "..."}}` when a visitor wakes the service and
//! `"phase": "up", "seconds": 41` when it is up and its rules are back.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use worktime_lambda::tags::parse_hold_until;

/// The filter pattern that finds them in the log group (a term: the lines are read as JSON
/// and checked after).
pub const FILTER: &str = "wake";

/// One phase of one wake, as the function logged it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WakeEvent {
    /// When the function logged it (UTC).
    pub at: DateTime<Utc>,
    /// `cluster/service`.
    pub service: String,
    #[serde(flatten)]
    pub phase: WakePhase,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "phase", rename_all = "kebab-case")]
pub enum WakePhase {
    /// A visitor woke it; held up until `until`.
    Started { until: DateTime<Utc> },
    /// Up and its rules back, `seconds` after the start (`None`: not measured).
    Up {
        #[serde(skip_serializing_if = "Option::is_none")]
        seconds: Option<u64>,
    },
}

/// The wake records among the function's log lines, oldest first; any other line (a run's
/// summary, a wake that failed, a line of another shape) is not one.
pub fn wake_events(lines: &[(DateTime<Utc>, Value)]) -> Vec<WakeEvent> {
    let mut events: Vec<WakeEvent> = lines
        .iter()
        .filter_map(|(at, line)| {
            let fields = &line["fields"];
            if fields["message"] != "wake" {
                return None;
            }
            let service = fields["service"].as_str()?.to_string();
            let phase = match fields["phase"].as_str()? {
                "started" => WakePhase::Started {
                    until: parse_hold_until(fields["until"].as_str()?).ok()?,
                },
                "up" => WakePhase::Up {
                    seconds: fields["seconds"].as_u64(),
                },
                _ => return None,
            };
            Some(WakeEvent {
                at: *at,
                service,
                phase,
            })
        })
        .collect();
    events.sort_by_key(|e| e.at);
    events
}

/// One woken service's wakes over a period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WakeTally {
    pub resource_id: String,
    /// Wakes started in the period.
    pub wakes: usize,
    /// The hours those wakes held it up while its schedule had it down: from each wake's
    /// start to the earliest of its hold's end, the schedule's next scale-out, and now.
    pub hours_up_at_night: f64,
    /// The median of the durations measured in the period.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usual_seconds: Option<u64>,
}

/// `service`'s wakes started in `[since, now]`; `night_ends(at)`: when the down window that
/// `at` lies in ends (`None`: `at` is in working hours, so none of the wake is at night).
pub fn tally(
    events: &[WakeEvent],
    service: &str,
    since: DateTime<Utc>,
    now: DateTime<Utc>,
    night_ends: impl Fn(DateTime<Utc>) -> Option<DateTime<Utc>>,
) -> WakeTally {
    let mine = events
        .iter()
        .filter(|e| e.service == service && e.at >= since && e.at <= now);
    let mut wakes = 0;
    let mut millis_up = 0i64;
    let mut measured = Vec::new();
    for event in mine {
        match event.phase {
            WakePhase::Started { until } => {
                wakes += 1;
                if let Some(night_end) = night_ends(event.at) {
                    let end = until.min(night_end).min(now);
                    millis_up += (end - event.at).num_milliseconds().max(0);
                }
            }
            WakePhase::Up { seconds } => measured.extend(seconds),
        }
    }
    WakeTally {
        resource_id: format!("service/{service}"),
        wakes,
        hours_up_at_night: millis_up as f64 / 3_600_000.0,
        usual_seconds: worktime_lambda::wake::record::median(&measured),
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeDelta, TimeZone};
    use serde_json::json;

    use super::*;

    fn at(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 3, h, m, 0).unwrap()
    }

    fn line(fields: Value) -> Value {
        json!({"level": "INFO", "fields": fields})
    }

    #[test]
    fn only_the_functions_wake_records_are_read() {
        let lines = vec![
            (
                at(22, 1),
                line(
                    json!({"message": "wake", "service": "prod/web", "phase": "up", "seconds": 41}),
                ),
            ),
            (
                at(22, 0),
                line(
                    json!({"message": "wake", "service": "prod/web", "phase": "started",
                    "until": "2026-12-03T23:00:00Z"}),
                ),
            ),
            // A failure, a route move, a summary, a record with a bad time: not wakes.
            (
                at(22, 2),
                line(json!({"message": "wake failed", "service": "prod/web", "reason": "x"})),
            ),
            (
                at(22, 3),
                line(json!({"message": "summary", "action": "scale-in"})),
            ),
            (
                at(22, 4),
                line(
                    json!({"message": "wake", "service": "prod/web", "phase": "started", "until": "soon"}),
                ),
            ),
        ];
        let events = wake_events(&lines);
        assert_eq!(
            events,
            vec![
                WakeEvent {
                    at: at(22, 0),
                    service: "prod/web".into(),
                    phase: WakePhase::Started { until: at(23, 0) },
                },
                WakeEvent {
                    at: at(22, 1),
                    service: "prod/web".into(),
                    phase: WakePhase::Up { seconds: Some(41) },
                },
            ]
        );
        assert_eq!(
            serde_json::to_value(&events[0]).unwrap(),
            json!({"at": "2026-12-03T22:00:00Z", "service": "prod/web", "phase": "started",
                "until": "2026-12-03T23:00:00Z"})
        );
    }

    #[test]
    fn wakes_are_counted_in_the_period_with_the_hours_they_held_the_service_up_at_night() {
        let started = |service: &str, at: DateTime<Utc>, minutes: i64| WakeEvent {
            at,
            service: service.into(),
            phase: WakePhase::Started {
                until: at + TimeDelta::minutes(minutes),
            },
        };
        let up = |at: DateTime<Utc>, seconds: u64| WakeEvent {
            at,
            service: "prod/web".into(),
            phase: WakePhase::Up {
                seconds: Some(seconds),
            },
        };
        let morning = at(23, 30);
        let events = vec![
            // Before the period: not counted.
            started("prod/web", at(1, 0), 60),
            started("prod/web", at(20, 0), 60),
            up(at(20, 1), 40),
            // Its hold outlasts the night: counted up to the scale-out.
            started("prod/web", at(23, 0), 60),
            up(at(23, 1), 50),
            started("prod/api", at(21, 0), 60),
        ];
        let night_ends = |_: DateTime<Utc>| Some(morning);
        let tally = tally(&events, "prod/web", at(2, 0), at(23, 45), night_ends);
        assert_eq!(tally.resource_id, "service/prod/web");
        assert_eq!(tally.wakes, 2);
        assert!((tally.hours_up_at_night - 1.5).abs() < 1e-9, "{tally:?}");
        assert_eq!(tally.usual_seconds, Some(45));
        // A wake still held: counted up to now.
        let ongoing = super::tally(&events, "prod/web", at(22, 0), at(23, 15), night_ends);
        assert!(
            (ongoing.hours_up_at_night - 0.25).abs() < 1e-9,
            "{ongoing:?}"
        );
        // In working hours a wake holds nothing up that was not up anyway.
        let day = super::tally(&events, "prod/web", at(2, 0), at(23, 45), |_| None);
        assert_eq!((day.wakes, day.hours_up_at_night), (2, 0.0));
    }
}
