//! Local → UTC: the same schedule as a UTC cron for EventBridge rules, exact for zones
//! without daylight saving; and the check whether a zone observes it. Both take the instant
//! they are evaluated at, so a config validates the same way whatever today is.

use chrono::{DateTime, Datelike, NaiveDate, Offset, TimeZone, Utc};
use chrono_tz::Tz;

use std::collections::BTreeSet;

use super::fields::{bits64, compact, set_of};
use super::{AwsCron, CronError, DomSpec, DowSpec, DOW_NAMES};

impl AwsCron {
    /// The same schedule as a UTC cron (for EventBridge rules), for a zone without daylight
    /// saving. Refuses when the zone observes DST or when the shifted schedule can't be
    /// written as a single cron. `at` is the instant whose offset is used.
    pub fn to_utc(&self, tz: Tz, at: DateTime<Utc>) -> Result<AwsCron, CronError> {
        if observes_dst(tz, at) {
            return Err(CronError::new(
                None,
                format!(
                    "{} observes daylight saving time, so no single UTC cron matches local time all year",
                    tz.name()
                ),
                "use trigger = \"scheduler\" (EventBridge Scheduler evaluates the cron in your time zone)",
            ));
        }
        let offset_secs = tz
            .offset_from_utc_datetime(&at.naive_utc())
            .fix()
            .local_minus_utc();
        if offset_secs % 60 != 0 {
            return Err(CronError::unconvertible(format!(
                "{} is {offset_secs} seconds from UTC, not a whole number of minutes",
                tz.name()
            )));
        }
        let offset = offset_secs / 60;
        let context = format!("in UTC ({} is UTC{})", tz.name(), format_offset(offset));
        self.shifted(-offset, &context)
    }

    /// The same schedule `minutes` earlier (a warning before scale-in): refused when the
    /// shifted runs can't be written as a single cron.
    pub fn earlier_by(&self, minutes: u32) -> Result<AwsCron, CronError> {
        let context = format!("{minutes} minutes earlier");
        self.shifted(-(minutes as i32), &context)
    }

    /// Every run moved by `by` minutes (negative: earlier), days of the week with them;
    /// `context` says why, in messages.
    fn shifted(&self, by: i32, context: &str) -> Result<AwsCron, CronError> {
        if by == 0 {
            return Ok(self.clone());
        }
        // Every (hour, minute), shifted.
        let mins = set_of(self.minutes, 59);
        let hours = set_of(u64::from(self.hours), 23);
        let mut shift: Option<i32> = None;
        let mut utc_times = BTreeSet::new();
        for &h in &hours {
            for &m in &mins {
                let t = (h * 60 + m) as i32 + by;
                let day = t.div_euclid(1440);
                match shift {
                    None => shift = Some(day),
                    Some(s) if s != day => {
                        return Err(CronError::unconvertible(format!(
                            "{context}, {self} falls on two different days"
                        )));
                    }
                    Some(_) => {}
                }
                utc_times.insert(t.rem_euclid(1440) as u32);
            }
        }
        let shift = shift.unwrap_or(0);
        let new_minutes: BTreeSet<u32> = utc_times.iter().map(|t| t % 60).collect();
        let new_hours: BTreeSet<u32> = utc_times.iter().map(|t| t / 60).collect();
        if new_minutes.len() * new_hours.len() != utc_times.len() {
            return Err(CronError::unconvertible(format!(
                "{context}, the times of {self} are not one set of minutes at one set of hours"
            )));
        }

        let mut out = self.clone();
        if bits64(&new_minutes) != self.minutes {
            out.minutes = bits64(&new_minutes);
            out.fields[0] = compact(&new_minutes, 0, 59, None);
        }
        if bits64(&new_hours) as u32 != self.hours {
            out.hours = bits64(&new_hours) as u32;
            out.fields[1] = compact(&new_hours, 0, 23, None);
        }
        if shift != 0 {
            let which = if shift < 0 { "previous" } else { "next" };
            let refuse = |what: String| {
                CronError::unconvertible(format!(
                    "{context} the runs of {self} move to the {which} day, and {what} can't be moved with them"
                ))
            };
            if self.years.is_some() {
                return Err(refuse(format!("the year field {:?}", self.fields[5])));
            }
            if self.months != 0b1_1111_1111_1110 {
                return Err(refuse(format!("the month field {:?}", self.fields[3])));
            }
            match &self.dom {
                DomSpec::NoSpec => {}
                DomSpec::Days(bits) if *bits == 0xFFFF_FFFE => {}
                _ => {
                    return Err(refuse(format!(
                        "the day-of-month field {:?}",
                        self.fields[2]
                    )))
                }
            }
            match &self.dow {
                DowSpec::NoSpec => {}
                DowSpec::Days(bits) => {
                    if *bits != 0b1111_1110 {
                        let shifted: BTreeSet<u32> = (1..=7u32)
                            .filter(|d| bits & (1 << d) != 0)
                            .map(|d| ((d as i32 - 1 + shift).rem_euclid(7) + 1) as u32)
                            .collect();
                        out.dow = DowSpec::Days(bits64(&shifted) as u8);
                        out.fields[4] = compact(&shifted, 1, 7, Some(&DOW_NAMES));
                    }
                }
                _ => {
                    return Err(refuse(format!(
                        "the day-of-week field {:?}",
                        self.fields[4]
                    )))
                }
            }
        }
        Ok(out)
    }
}

fn format_offset(minutes: i32) -> String {
    let sign = if minutes < 0 { '-' } else { '+' };
    let m = minutes.abs();
    format!("{sign}{:02}:{:02}", m / 60, m % 60)
}

/// True when `tz`'s UTC offset changes at some point between the start of `at`'s year and
/// the end of the year after next (checked on the 1st and 15th of every month).
pub fn observes_dst(tz: Tz, at: DateTime<Utc>) -> bool {
    let year = at.year();
    let mut seen: Option<i32> = None;
    for y in year..=year + 2 {
        for m in 1..=12 {
            for d in [1, 15] {
                let Some(at) =
                    NaiveDate::from_ymd_opt(y, m, d).and_then(|d| d.and_hms_opt(12, 0, 0))
                else {
                    continue;
                };
                let off = tz.offset_from_utc_datetime(&at).fix().local_minus_utc();
                match seen {
                    None => seen = Some(off),
                    Some(s) if s != off => return true,
                    Some(_) => {}
                }
            }
        }
    }
    false
}
