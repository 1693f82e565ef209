//! The next run of a cron in a zone, as EventBridge Scheduler evaluates it (DST gaps
//! skipped, overlaps fire once at the earlier instant).

use chrono::{DateTime, Datelike, Duration, LocalResult, NaiveDate, TimeZone};
use chrono_tz::Tz;

use super::fields::set_of;
use super::{AwsCron, DomSpec, DowSpec};

impl AwsCron {
    /// The next time strictly after `after` at which the cron fires, evaluated in
    /// `after`'s zone. Local times in a DST gap are skipped; in an overlap the earlier
    /// instant fires. Searches about five years ahead.
    pub fn next_after(&self, after: DateTime<Tz>) -> Option<DateTime<Tz>> {
        let tz = after.timezone();
        let start = after.naive_local().date();
        let mins = set_of(self.minutes, 59);
        let hours = set_of(u64::from(self.hours), 23);
        // Start a day early: a one-day margin is cheap and keeps the search robust.
        let mut day = start.pred_opt()?;
        let end = start.checked_add_signed(Duration::days(5 * 366 + 2))?;
        while day <= end {
            if self.matches_date(day) {
                for &h in &hours {
                    for &m in &mins {
                        let Some(naive) = day.and_hms_opt(h, m, 0) else {
                            continue;
                        };
                        let at = match tz.from_local_datetime(&naive) {
                            LocalResult::Single(t) => t,
                            LocalResult::Ambiguous(a, _) => a,
                            LocalResult::None => continue,
                        };
                        if at > after {
                            return Some(at);
                        }
                    }
                }
            }
            day = day.succ_opt()?;
        }
        None
    }

    fn matches_date(&self, day: NaiveDate) -> bool {
        if let Some(years) = &self.years {
            if day.year() < 0 || !years.contains(&(day.year() as u32)) {
                return false;
            }
        }
        if self.months & (1 << day.month()) == 0 {
            return false;
        }
        let dom = day.day();
        let last = days_in_month(day.year(), day.month());
        let dom_ok = match &self.dom {
            DomSpec::NoSpec => true,
            DomSpec::Days(bits) => bits & (1 << dom) != 0,
            DomSpec::Last => dom == last,
            DomSpec::LastWeekday => {
                let mut d = last;
                while !is_weekday(day.year(), day.month(), d) {
                    d -= 1;
                }
                dom == d
            }
            DomSpec::NearestWeekday(n) => {
                nearest_weekday(day.year(), day.month(), *n, last) == Some(dom)
            }
        };
        if !dom_ok {
            return false;
        }
        let wd = day.weekday().num_days_from_sunday() + 1;
        match &self.dow {
            DowSpec::NoSpec => true,
            DowSpec::Days(bits) => bits & (1 << wd) != 0,
            DowSpec::LastOfMonth(d) => wd == *d && dom + 7 > last,
            DowSpec::Nth(d, n) => wd == *d && (dom - 1) / 7 + 1 == *n,
        }
    }
}

fn days_in_month(year: i32, month: u32) -> u32 {
    let (ny, nm) = if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    };
    NaiveDate::from_ymd_opt(ny, nm, 1)
        .and_then(|d| d.pred_opt())
        .map(|d| d.day())
        .unwrap_or(28)
}

fn is_weekday(year: i32, month: u32, day: u32) -> bool {
    NaiveDate::from_ymd_opt(year, month, day)
        .map(|d| d.weekday().num_days_from_monday() < 5)
        .unwrap_or(false)
}

/// The weekday nearest to day `n` without leaving the month (Quartz's `nW`).
fn nearest_weekday(year: i32, month: u32, n: u32, last: u32) -> Option<u32> {
    if n > last {
        return None;
    }
    let wd = NaiveDate::from_ymd_opt(year, month, n)?
        .weekday()
        .num_days_from_monday();
    Some(match wd {
        5 if n == 1 => 3,        // Saturday the 1st → Monday the 3rd
        5 => n - 1,              // Saturday → Friday
        6 if n == last => n - 2, // Sunday the last → Friday
        6 => n + 1,              // Sunday → Monday
        _ => n,
    })
}
