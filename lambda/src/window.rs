//! What a schedule says at an instant: whether its services should be up or down, since when
//! and until when. The one decision every caller shares — the function (how long a delivered
//! action still acts, what a reconcile converges on), `worktime status` and `worktime report`
//! (hours on and off) — so the CLI never walks the crons a second way. Pure: instants are
//! passed in.
//!
//! The crons fire as the deployed triggers fire them: an EventBridge rule evaluates its UTC
//! cron in UTC, EventBridge Scheduler evaluates the local cron in the schedule's zone (a
//! daylight-saving gap skipped, an overlap fired once, at the earlier instant). A firing takes
//! effect at its own instant. A scale-out whose local date is a skip date brings nothing up,
//! and a scale-out at the very instant of a scale-in is outweighed by it (the function would
//! be asked both; the services end the day down).

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use crate::cron::AwsCron;

/// Whether a schedule's services should be running.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    Up,
    Down,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Up => "up",
            Phase::Down => "down",
        }
    }
}

/// The window an instant lies in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Window {
    pub phase: Phase,
    /// The firing that began it; `None`: no such firing in the last two years (a schedule
    /// whose scale-in never fired is up, as the services were before worktime).
    pub since: Option<DateTime<Utc>>,
    /// The firing that ends it; `None`: none in the next five years.
    pub until: Option<DateTime<Utc>>,
    /// Up only because of a hold (`worktime:hold-until`) that ends at this instant.
    pub held_until: Option<DateTime<Utc>>,
}

/// When one cron fires, as its deployed trigger evaluates it: in UTC for a rule, in the
/// schedule's zone for EventBridge Scheduler.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Firings {
    cron: AwsCron,
    zone: Tz,
}

impl Firings {
    pub fn new(cron: AwsCron, zone: Tz) -> Self {
        Firings { cron, zone }
    }

    /// The first firing strictly after `after`.
    pub fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.cron
            .next_after(after.with_timezone(&self.zone))
            .map(|t| t.with_timezone(&Utc))
    }

    /// Whether it fires at exactly `at` (crons fire on whole minutes).
    pub fn fires_at(&self, at: DateTime<Utc>) -> bool {
        self.next_after(at - TimeDelta::seconds(1)) == Some(at)
    }

    /// The last firing at or before `at`, looking back up to about two years: a window that
    /// doubles until it holds a firing, then walked forward to its last one.
    pub fn last_at_or_before(&self, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        const LOOKBACK_DAYS: [i64; 7] = [2, 8, 32, 64, 128, 400, 800];
        let before = at + TimeDelta::seconds(1);
        for days in LOOKBACK_DAYS {
            let window_start = before - TimeDelta::days(days);
            let Some(mut last) = self.next_after(window_start).filter(|t| *t < before) else {
                continue;
            };
            while let Some(next) = self.next_after(last).filter(|t| *t < before) {
                last = next;
            }
            return Some(last);
        }
        None
    }
}

/// A schedule's two triggers and the local dates on which its scale-out brings nothing up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleClock {
    pub scale_out: Firings,
    pub scale_in: Firings,
    /// The schedule's zone: skip dates are its local dates.
    pub zone: Tz,
    pub skip_dates: BTreeSet<NaiveDate>,
}

impl ScheduleClock {
    /// The state at `at`, from the schedule alone.
    pub fn window_at(&self, at: DateTime<Utc>) -> Window {
        let Some(down_at) = self.scale_in.last_at_or_before(at) else {
            return Window {
                phase: Phase::Up,
                since: None,
                until: self.scale_in.next_after(at),
                held_until: None,
            };
        };
        // Between the last scale-in and `at` nothing takes the services down, so the first
        // scale-out after it that brings them up (if any by `at`) began the up window.
        match self.next_bringing_up(down_at, at + TimeDelta::seconds(1)) {
            Some(up_at) => Window {
                phase: Phase::Up,
                since: Some(up_at),
                until: self.scale_in.next_after(at),
                held_until: None,
            },
            None => Window {
                phase: Phase::Down,
                since: Some(down_at),
                until: self.next_bringing_up(at, far_future(at)),
                held_until: None,
            },
        }
    }

    /// The state at `at` for a service held until `hold` (`worktime:hold-until`): up while
    /// the hold lasts, whatever the schedule says; the schedule again after it.
    pub fn window_for(&self, at: DateTime<Utc>, hold: Option<DateTime<Utc>>) -> Window {
        let window = self.window_at(at);
        match hold {
            Some(until) if window.phase == Phase::Down && until > at => Window {
                phase: Phase::Up,
                since: None,
                until: Some(window.until.map_or(until, |end| end.max(until))),
                held_until: Some(until),
            },
            _ => window,
        }
    }

    /// Until when a scale-in scheduled for `scheduled` still acts: the first scale-out after
    /// it that brings the services up (`None`: none in five years).
    pub fn scale_in_acts_until(&self, scheduled: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.next_bringing_up(scheduled, far_future(scheduled))
    }

    /// Until when a scale-out scheduled for `scheduled` still acts: the next scale-in (or at
    /// once, when a scale-in fires at the same instant and outweighs it).
    pub fn scale_out_acts_until(&self, scheduled: DateTime<Utc>) -> Option<DateTime<Utc>> {
        if self.scale_in.fires_at(scheduled) {
            return Some(scheduled);
        }
        self.scale_in.next_after(scheduled)
    }

    /// The first scale-out strictly after `after` and before `until` that brings the
    /// services up: not on a skip date (the local date of its firing, as the function judges
    /// it), and not at the very instant of a scale-in.
    pub fn next_bringing_up(
        &self,
        after: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Option<DateTime<Utc>> {
        let mut at = self.scale_out.next_after(after)?;
        while at < until {
            let skipped = self
                .skip_dates
                .contains(&at.with_timezone(&self.zone).date_naive());
            if !skipped && !self.scale_in.fires_at(at) {
                return Some(at);
            }
            at = self.scale_out.next_after(at)?;
        }
        None
    }

    /// The spans within [`from`, `to`) during which the services are up, in time order.
    pub fn up_spans(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
        let mut spans = Vec::new();
        let mut cursor = from;
        let mut window = self.window_at(from);
        while cursor < to {
            let end = window.until.map_or(to, |t| t.min(to));
            if window.phase == Phase::Up && end > cursor {
                spans.push((cursor, end));
            }
            if end >= to {
                break;
            }
            cursor = end;
            window = self.window_at(cursor);
        }
        spans
    }
}

/// Five years on: as far as a cron's next run is searched.
fn far_future(from: DateTime<Utc>) -> DateTime<Utc> {
    from + TimeDelta::days(5 * 366)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn cron(text: &str) -> AwsCron {
        AwsCron::parse(text).unwrap()
    }

    /// Seoul, 09:00–19:00 Mon–Fri, as Scheduler fires it (local crons in the zone).
    fn seoul(skip: &[&str]) -> ScheduleClock {
        let zone: Tz = "Asia/Seoul".parse().unwrap();
        ScheduleClock {
            scale_out: Firings::new(cron("cron(0 9 ? * MON-FRI *)"), zone),
            scale_in: Firings::new(cron("cron(0 19 ? * MON-FRI *)"), zone),
            zone,
            skip_dates: skip.iter().map(|d| d.parse().unwrap()).collect(),
        }
    }

    /// The instant of a Seoul local time (UTC+9, no DST).
    fn kst(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap() - TimeDelta::hours(9)
    }

    #[test]
    fn a_weekday_is_up_from_nine_to_seven_and_down_around_it() {
        let clock = seoul(&[]);
        // Thursday 2026-12-03.
        let noon = clock.window_at(kst(2026, 12, 3, 12, 0));
        assert_eq!(noon.phase, Phase::Up);
        assert_eq!(noon.since, Some(kst(2026, 12, 3, 9, 0)));
        assert_eq!(noon.until, Some(kst(2026, 12, 3, 19, 0)));

        let night = clock.window_at(kst(2026, 12, 3, 23, 0));
        assert_eq!(night.phase, Phase::Down);
        assert_eq!(night.since, Some(kst(2026, 12, 3, 19, 0)));
        assert_eq!(night.until, Some(kst(2026, 12, 4, 9, 0)));

        // A firing takes effect at its own instant.
        assert_eq!(clock.window_at(kst(2026, 12, 3, 19, 0)).phase, Phase::Down);
        assert_eq!(clock.window_at(kst(2026, 12, 3, 9, 0)).phase, Phase::Up);
        assert_eq!(clock.window_at(kst(2026, 12, 3, 8, 59)).phase, Phase::Down);
    }

    #[test]
    fn the_weekend_is_one_down_window_and_a_skip_date_extends_it() {
        let clock = seoul(&["2026-12-07"]);
        let saturday = clock.window_at(kst(2026, 12, 5, 12, 0));
        assert_eq!(saturday.phase, Phase::Down);
        assert_eq!(saturday.since, Some(kst(2026, 12, 4, 19, 0)));
        // Monday the 7th is skipped: the services come back on Tuesday.
        assert_eq!(saturday.until, Some(kst(2026, 12, 8, 9, 0)));
        let skipped_monday = clock.window_at(kst(2026, 12, 7, 12, 0));
        assert_eq!(skipped_monday.phase, Phase::Down);
        assert_eq!(skipped_monday.since, Some(kst(2026, 12, 4, 19, 0)));
    }

    #[test]
    fn an_action_acts_until_the_opposite_one() {
        let clock = seoul(&[]);
        // Thursday's scale-out acts all day, until 19:00.
        assert_eq!(
            clock.scale_out_acts_until(kst(2026, 12, 3, 9, 0)),
            Some(kst(2026, 12, 3, 19, 0))
        );
        // Friday's scale-in acts all weekend, until Monday 09:00.
        assert_eq!(
            clock.scale_in_acts_until(kst(2026, 12, 4, 19, 0)),
            Some(kst(2026, 12, 7, 9, 0))
        );
    }

    #[test]
    fn a_hold_keeps_a_service_up_until_it_ends() {
        let clock = seoul(&[]);
        let at = kst(2026, 12, 3, 20, 0);
        let hold = kst(2026, 12, 3, 21, 30);
        let held = clock.window_for(at, Some(hold));
        assert_eq!(held.phase, Phase::Up);
        assert_eq!(held.held_until, Some(hold));
        // After it, the schedule again; a hold in the day changes nothing.
        assert_eq!(
            clock.window_for(kst(2026, 12, 3, 22, 0), Some(hold)).phase,
            Phase::Down
        );
        assert_eq!(
            clock.window_for(kst(2026, 12, 3, 12, 0), Some(hold)),
            clock.window_at(kst(2026, 12, 3, 12, 0))
        );
    }

    #[test]
    fn scheduler_keeps_local_time_across_daylight_saving() {
        let zone: Tz = "Europe/Berlin".parse().unwrap();
        let clock = ScheduleClock {
            scale_out: Firings::new(cron("cron(0 8 ? * MON-FRI *)"), zone),
            scale_in: Firings::new(cron("cron(0 18 ? * MON-FRI *)"), zone),
            zone,
            skip_dates: BTreeSet::new(),
        };
        // Monday 2026-03-30 (CEST, UTC+2): up at 06:00 UTC; the Friday before (CET): 07:00.
        let monday = clock.window_at(Utc.with_ymd_and_hms(2026, 3, 30, 10, 0, 0).unwrap());
        assert_eq!(
            monday.since,
            Some(Utc.with_ymd_and_hms(2026, 3, 30, 6, 0, 0).unwrap())
        );
        let friday = clock.window_at(Utc.with_ymd_and_hms(2026, 3, 27, 10, 0, 0).unwrap());
        assert_eq!(
            friday.since,
            Some(Utc.with_ymd_and_hms(2026, 3, 27, 7, 0, 0).unwrap())
        );
    }

    #[test]
    fn up_spans_cover_a_week_of_working_days() {
        let clock = seoul(&[]);
        let spans = clock.up_spans(kst(2026, 11, 30, 0, 0), kst(2026, 12, 7, 0, 0));
        assert_eq!(spans.len(), 5);
        let hours: i64 = spans.iter().map(|(a, b)| (*b - *a).num_hours()).sum();
        assert_eq!(hours, 50);
        // A span cut by the period's end.
        let cut = clock.up_spans(kst(2026, 12, 3, 12, 0), kst(2026, 12, 3, 13, 0));
        assert_eq!(
            cut,
            vec![(kst(2026, 12, 3, 12, 0), kst(2026, 12, 3, 13, 0))]
        );
    }

    #[test]
    fn a_schedule_that_never_scaled_in_is_up() {
        let clock = ScheduleClock {
            scale_out: Firings::new(cron("cron(0 9 ? * MON-FRI 2099)"), Tz::UTC),
            scale_in: Firings::new(cron("cron(0 19 ? * MON-FRI 2099)"), Tz::UTC),
            zone: Tz::UTC,
            skip_dates: BTreeSet::new(),
        };
        let window = clock.window_at(Utc.with_ymd_and_hms(2026, 12, 3, 0, 0, 0).unwrap());
        assert_eq!(window.phase, Phase::Up);
        assert_eq!(window.since, None);
    }
}
