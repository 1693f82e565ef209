//! A schedule's working hours, exactly: for each week of a period, how long its services are
//! up (from a scale-out to the next scale-in) and down, as the deployed triggers would fire —
//! EventBridge Scheduler evaluates the local crons in the schedule's zone (a DST gap skipped,
//! an overlap once), a rule evaluates the UTC cron in UTC — and a scale-out whose local date
//! is a skip date changes nothing (the services stay down that day). Also the week as a chart
//! of hours. Pure: `now` is passed in (`worktime report`, `worktime status`).
//!
//! Weeks are local: Monday 00:00 to the next Monday 00:00 in the schedule's zone, so the week
//! in which the clocks change has 167 or 169 real hours, and the off-hours absorb the change
//! (the triggers keep local time). Averages are the period's totals divided by its weeks.

use chrono::{
    DateTime, Datelike, Days, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta,
    TimeZone, Utc, Weekday,
};
use chrono_tz::Tz;
use serde::Serialize;

use crate::config::Schedule;

/// The longest period a report covers: a year of weeks.
pub const MAX_WEEKS: u32 = 52;
/// The period `worktime report` and `worktime status` cover unless told otherwise.
pub const DEFAULT_WEEKS: u32 = 4;

const MINUTES_PER_HOUR: f64 = 60.0;
const HOURS_PER_DAY: u32 = 24;
const DAYS_PER_WEEK: u64 = 7;

/// Where a period begins: always a Monday 00:00 in the schedule's zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeriodStart {
    /// The Monday after today (today in the schedule's zone): the next full week.
    NextWeek,
    /// The Monday of this date's week (the date itself when it is a Monday).
    WeekOf(NaiveDate),
}

/// The weeks a report covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub start: PeriodStart,
    /// 1 to [`MAX_WEEKS`] (checked where the argument is read).
    pub weeks: u32,
}

impl Default for Period {
    fn default() -> Self {
        Period {
            start: PeriodStart::NextWeek,
            weeks: DEFAULT_WEEKS,
        }
    }
}

impl Period {
    /// The period's first Monday in `zone`, given the instant it is now.
    pub fn first_monday(&self, zone: Tz, now: DateTime<Utc>) -> NaiveDate {
        match self.start {
            PeriodStart::NextWeek => {
                let today = now.with_timezone(&zone).date_naive();
                let ahead = DAYS_PER_WEEK - u64::from(today.weekday().num_days_from_monday());
                today + Days::new(ahead)
            }
            PeriodStart::WeekOf(date) => {
                date - Days::new(u64::from(date.weekday().num_days_from_monday()))
            }
        }
    }
}

/// A schedule's hours over a period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WeeklyHours {
    /// The first day of the period (a Monday, in the schedule's zone).
    pub first_monday: NaiveDate,
    /// The day after the last (a Monday).
    pub end_monday: NaiveDate,
    /// Average over the period's weeks of the hours the services are up.
    pub on_hours_per_week: f64,
    /// Average over the period's weeks of the hours the services are down.
    pub off_hours_per_week: f64,
    /// Week by week (real hours: 167 or 169 in a week the clocks change).
    pub weeks: Vec<WeekHours>,
    /// The schedule's skip dates that fall in the period.
    pub skip_dates: Vec<NaiveDate>,
}

/// One local week, Monday 00:00 to Monday 00:00.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WeekHours {
    pub monday: NaiveDate,
    /// Real hours in the week: 168, or 167 / 169 when the clocks change.
    pub hours: f64,
    pub on_hours: f64,
    pub off_hours: f64,
}

/// One week as 7 × 24 local hours, Monday first: whether the services are up.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WeekChart {
    pub monday: NaiveDate,
    pub days: Vec<ChartDay>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChartDay {
    pub date: NaiveDate,
    /// `Mon` … `Sun`.
    pub weekday: String,
    /// 24 cells, hour 0 first: up for at least half of that local hour. An hour the clocks
    /// skip lasts no time and is never up.
    pub on: Vec<bool>,
}

/// The schedule's on/off hours over `period` (skip dates applied).
pub fn weekly_hours(schedule: &Schedule, period: Period, now: DateTime<Utc>) -> WeeklyHours {
    let zone = schedule.timezone;
    let first_monday = period.first_monday(zone, now);
    let weeks = period.weeks.max(1);
    let mondays: Vec<NaiveDate> = (0..=weeks)
        .map(|week| first_monday + Days::new(u64::from(week) * DAYS_PER_WEEK))
        .collect();
    let bounds: Vec<DateTime<Utc>> = mondays.iter().map(|d| local_midnight(zone, *d)).collect();
    let clock = schedule.clock();
    let spans = clock.up_spans(bounds[0], bounds[bounds.len() - 1]);

    let week_hours: Vec<WeekHours> = mondays
        .iter()
        .zip(bounds.windows(2))
        .map(|(monday, week)| {
            let total = minutes(week[1] - week[0]);
            let on = overlap_minutes(&spans, week[0], week[1]);
            WeekHours {
                monday: *monday,
                hours: hours_of(total),
                on_hours: hours_of(on),
                off_hours: hours_of(total - on),
            }
        })
        .collect();
    let end_monday = mondays[mondays.len() - 1];
    let on_total: f64 = week_hours.iter().map(|w| w.on_hours).sum();
    let off_total: f64 = week_hours.iter().map(|w| w.off_hours).sum();
    WeeklyHours {
        first_monday,
        end_monday,
        on_hours_per_week: on_total / f64::from(weeks),
        off_hours_per_week: off_total / f64::from(weeks),
        weeks: week_hours,
        skip_dates: clock
            .skip_dates
            .range(first_monday..end_monday)
            .copied()
            .collect(),
    }
}

/// The week of `monday` as the crons make it, skip dates not applied: the pattern a person
/// recognises (the skip dates are listed beside it).
pub fn week_chart(schedule: &Schedule, monday: NaiveDate) -> WeekChart {
    let zone = schedule.timezone;
    let start = local_midnight(zone, monday);
    let end = local_midnight(zone, monday + Days::new(DAYS_PER_WEEK));
    let mut clock = schedule.clock();
    clock.skip_dates.clear();
    let spans = clock.up_spans(start, end);
    let days = (0..DAYS_PER_WEEK)
        .map(|offset| {
            let date = monday + Days::new(offset);
            let on = (0..HOURS_PER_DAY)
                .map(|hour| {
                    let from = local_hour_start(zone, date, hour);
                    let to = local_hour_start(zone, date, hour + 1);
                    let length = minutes(to - from);
                    length > 0 && 2 * overlap_minutes(&spans, from, to) >= length
                })
                .collect();
            ChartDay {
                date,
                weekday: weekday_name(date.weekday()).to_string(),
                on,
            }
        })
        .collect();
    WeekChart { monday, days }
}

/// `Mon` … `Sun`.
pub fn weekday_name(day: Weekday) -> &'static str {
    match day {
        Weekday::Mon => "Mon",
        Weekday::Tue => "Tue",
        Weekday::Wed => "Wed",
        Weekday::Thu => "Thu",
        Weekday::Fri => "Fri",
        Weekday::Sat => "Sat",
        Weekday::Sun => "Sun",
    }
}

/// The minutes of `spans` that lie within [`from`, `to`).
fn overlap_minutes(
    spans: &[(DateTime<Utc>, DateTime<Utc>)],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> i64 {
    spans
        .iter()
        .map(|(start, end)| minutes((*end).min(to) - (*start).max(from)).max(0))
        .sum()
}

fn minutes(delta: TimeDelta) -> i64 {
    delta.num_minutes()
}

fn hours_of(minutes: i64) -> f64 {
    minutes as f64 / MINUTES_PER_HOUR
}

/// The instant a local date begins.
fn local_midnight(zone: Tz, date: NaiveDate) -> DateTime<Utc> {
    local_instant(zone, date.and_time(NaiveTime::MIN))
}

/// The instant local hour `hour` (0–24; 24 is the next day's 00:00) of `date` begins.
fn local_hour_start(zone: Tz, date: NaiveDate, hour: u32) -> DateTime<Utc> {
    match NaiveTime::from_hms_opt(hour, 0, 0) {
        Some(time) => local_instant(zone, date.and_time(time)),
        None => local_midnight(zone, date + Days::new(1)),
    }
}

/// The first instant at which the local clock reads `local` or later: the earlier instant
/// when the clocks pass it twice, the end of the gap when they skip it.
fn local_instant(zone: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    let mut probe = local;
    // DST gaps last at most a few hours; a day bounds the search for any zone.
    for _ in 0..=(24 * 60) {
        match zone.from_local_datetime(&probe) {
            LocalResult::Single(at) | LocalResult::Ambiguous(at, _) => {
                return at.with_timezone(&Utc)
            }
            LocalResult::None => probe += TimeDelta::minutes(1),
        }
    }
    // Unreachable for real zones; read the local time as UTC rather than fail a report.
    local.and_utc()
}

#[cfg(test)]
mod tests;
