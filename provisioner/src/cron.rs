//! AWS cron expressions: parsing, validation, local → UTC conversion, next run.
//!
//! The grammar is EventBridge's six-field `cron(minutes hours day-of-month month
//! day-of-week year)`: exactly one of day-of-month / day-of-week is `?`, day-of-week counts
//! from SUN=1, and the special forms `L`, `LW`, `15W` (day-of-month) and `6L`, `MON#2`
//! (day-of-week) are supported.
//!
//! EventBridge *rules* evaluate crons in UTC, so a schedule written in local time must be
//! converted ([`AwsCron::to_utc`]); that is exact only for zones without daylight saving
//! ([`observes_dst`]). EventBridge *Scheduler* evaluates them in the local zone, which
//! [`AwsCron::next_after`] mirrors: times in a spring-forward gap are skipped and times in a
//! fall-back overlap fire once, at the earlier instant.

use std::collections::BTreeSet;
use std::fmt;

use chrono::{DateTime, Datelike, Duration, LocalResult, NaiveDate, Offset, TimeZone, Utc};
use chrono_tz::Tz;

/// Why a cron expression was refused: what is wrong and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{problem}. Fix: {fix}", field.map(|f| format!("{f} field: ")).unwrap_or_default())]
pub struct CronError {
    /// The cron field at fault ("minutes", "hours", "day-of-month", "month", "day-of-week",
    /// "year"), when the problem is in one field.
    pub field: Option<&'static str>,
    /// What is wrong.
    pub problem: String,
    /// How to fix it.
    pub fix: String,
}

impl CronError {
    fn new(
        field: Option<&'static str>,
        problem: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        CronError {
            field,
            problem: problem.into(),
            fix: fix.into(),
        }
    }

    /// What is wrong, prefixed with the field when there is one (the message without the fix).
    pub fn describe_problem(&self) -> String {
        match self.field {
            Some(f) => format!("{f} field: {}", self.problem),
            None => self.problem.clone(),
        }
    }

    fn unconvertible(problem: impl Into<String>) -> Self {
        CronError::new(
            None,
            problem,
            "use trigger = \"scheduler\" (EventBridge Scheduler evaluates the cron in your time zone), or simplify the schedule",
        )
    }
}

const EXAMPLE: &str = "cron(0 9 ? * MON-FRI *)";
const DOW_NAMES: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];
const MONTH_NAMES: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];

/// Day-of-month field.
#[derive(Debug, Clone, PartialEq, Eq)]
enum DomSpec {
    /// `?`: no constraint from this field (day-of-week decides).
    NoSpec,
    /// `*`, a list, ranges, increments: bit d set = day d (1-31).
    Days(u32),
    /// `L`: the last day of the month.
    Last,
    /// `LW`: the last weekday (Mon-Fri) of the month.
    LastWeekday,
    /// `15W`: the weekday nearest to the 15th, within the month.
    NearestWeekday(u32),
}

/// Day-of-week field (1 = SUN ... 7 = SAT).
#[derive(Debug, Clone, PartialEq, Eq)]
enum DowSpec {
    /// `?`.
    NoSpec,
    /// `*`, a list, ranges, increments: bit d set = day d (1-7).
    Days(u8),
    /// `6L`: the last such weekday of the month.
    LastOfMonth(u32),
    /// `MON#2`: the n-th such weekday of the month.
    Nth(u32, u32),
}

/// A parsed `cron(min hour dom month dow year)` expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsCron {
    /// Canonical text of the six fields (upper-case, as written otherwise).
    fields: [String; 6],
    /// Bit m set = minute m.
    minutes: u64,
    /// Bit h set = hour h.
    hours: u32,
    dom: DomSpec,
    /// Bit m set = month m (1-12).
    months: u16,
    dow: DowSpec,
    /// `None` = every year.
    years: Option<BTreeSet<u32>>,
}

impl fmt::Display for AwsCron {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cron({})", self.fields.join(" "))
    }
}

impl std::str::FromStr for AwsCron {
    type Err = CronError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        AwsCron::parse(s)
    }
}

/// How a list field is read.
struct FieldDef {
    name: &'static str,
    min: u32,
    max: u32,
    names: Option<&'static [&'static str]>,
    fix: &'static str,
}

const MINUTES: FieldDef = FieldDef {
    name: "minutes",
    min: 0,
    max: 59,
    names: None,
    fix: "use a minute 0-59, a list (0,30), a range (0-30) or an increment (*/15, 5/10)",
};
const HOURS: FieldDef = FieldDef {
    name: "hours",
    min: 0,
    max: 23,
    names: None,
    fix: "use an hour 0-23, a list (9,13), a range (9-17) or an increment (*/2)",
};
const DAY_OF_MONTH: FieldDef = FieldDef {
    name: "day-of-month",
    min: 1,
    max: 31,
    names: None,
    fix: "use a day 1-31, a list, a range (1-15), an increment (1/7), ? (any; then set day-of-week), L (last day), LW (last weekday) or 15W (weekday nearest the 15th)",
};
const MONTH: FieldDef = FieldDef {
    name: "month",
    min: 1,
    max: 12,
    names: Some(&MONTH_NAMES),
    fix: "use 1-12 or JAN-DEC, a list (JAN,JUL), a range (MAR-OCT), an increment (1/3) or *",
};
const DAY_OF_WEEK: FieldDef = FieldDef {
    name: "day-of-week",
    min: 1,
    max: 7,
    names: Some(&DOW_NAMES),
    fix: "use 1-7 or SUN-SAT (SUN=1), a range (MON-FRI), a list (MON,WED,FRI), * , ? (any; then set day-of-month), 6L (last Friday of the month) or MON#2 (second Monday)",
};
const YEAR: FieldDef = FieldDef {
    name: "year",
    min: 1970,
    max: 2199,
    names: None,
    fix: "use * or a year 1970-2199, a list, a range (2026-2027) or an increment",
};

impl FieldDef {
    fn err(&self, problem: impl Into<String>) -> CronError {
        CronError::new(Some(self.name), problem, self.fix)
    }

    /// One value: a number or (month / day-of-week) a name.
    fn value(&self, text: &str, whole: &str) -> Result<u32, CronError> {
        if text.is_empty() {
            return Err(self.err(format!("{whole:?} has an empty value")));
        }
        if let Some(names) = self.names {
            if let Some(i) = names.iter().position(|n| n.eq_ignore_ascii_case(text)) {
                return Ok(self.min + i as u32);
            }
        }
        let n: u32 = if text.chars().all(|c| c.is_ascii_digit()) {
            text.parse()
                .map_err(|_| self.err(format!("{text:?} in {whole:?} is out of range")))?
        } else {
            return Err(self.err(format!(
                "{text:?} in {whole:?} is not a valid {} value",
                self.name
            )));
        };
        if n < self.min || n > self.max {
            return Err(self.err(format!(
                "{n} in {whole:?} is out of range {}-{}",
                self.min, self.max
            )));
        }
        Ok(n)
    }

    /// `*`, or a comma list of `a`, `a-b`, `a/step`, `a-b/step`, `*/step`.
    fn list(&self, text: &str) -> Result<BTreeSet<u32>, CronError> {
        let mut set = BTreeSet::new();
        if text.is_empty() {
            return Err(self.err("the field is empty"));
        }
        for item in text.split(',') {
            if item.is_empty() {
                return Err(self.err(format!(
                    "{text:?} has an empty list item (check the commas)"
                )));
            }
            let (range, step) = match item.split_once('/') {
                Some((r, s)) => {
                    let step: u32 = if !s.is_empty() && s.chars().all(|c| c.is_ascii_digit()) {
                        s.parse().unwrap_or(0)
                    } else {
                        0
                    };
                    if step == 0 || step > self.max - self.min + 1 {
                        return Err(self.err(format!(
                            "the increment {s:?} in {item:?} must be a whole number 1-{}",
                            self.max - self.min + 1
                        )));
                    }
                    (r, Some(step))
                }
                None => (item, None),
            };
            let (lo, hi) = if range == "*" {
                (self.min, self.max)
            } else if let Some((a, b)) = range.split_once('-') {
                let a = self.value(a, item)?;
                let b = self.value(b, item)?;
                if a > b {
                    return Err(self.err(format!(
                        "the range {range:?} runs backwards: write the smaller value first"
                    )));
                }
                (a, b)
            } else {
                let a = self.value(range, item)?;
                // `a/step` runs from a to the field's end.
                (a, if step.is_some() { self.max } else { a })
            };
            let step = step.unwrap_or(1);
            let mut v = lo;
            while v <= hi {
                set.insert(v);
                v += step;
            }
        }
        Ok(set)
    }
}

fn bits64(set: &BTreeSet<u32>) -> u64 {
    set.iter().fold(0u64, |acc, v| acc | (1u64 << v))
}

fn set_of(bits: u64, max: u32) -> Vec<u32> {
    (0..=max).filter(|v| bits & (1u64 << v) != 0).collect()
}

impl AwsCron {
    /// Parses `cron(<6 whitespace-separated fields>)`.
    pub fn parse(text: &str) -> Result<AwsCron, CronError> {
        let trimmed = text.trim();
        let inner = trimmed
            .strip_prefix("cron(")
            .and_then(|t| t.strip_suffix(')'))
            .ok_or_else(|| {
                CronError::new(
                    None,
                    format!("{trimmed:?} is not an AWS cron expression"),
                    format!(
                        "write cron(minutes hours day-of-month month day-of-week year), for example \"{EXAMPLE}\""
                    ),
                )
            })?;
        let parts: Vec<&str> = inner.split_whitespace().collect();
        if parts.len() != 6 {
            return Err(CronError::new(
                None,
                format!(
                    "{trimmed:?} has {} field{} but AWS cron needs exactly 6",
                    parts.len(),
                    if parts.len() == 1 { "" } else { "s" }
                ),
                format!(
                    "give minutes, hours, day-of-month, month, day-of-week and year, for example \"{EXAMPLE}\" (the year is not optional: use *)"
                ),
            ));
        }
        let fields: [String; 6] = std::array::from_fn(|i| parts[i].to_ascii_uppercase());
        let for_field = |i: usize| fields[i].as_str();

        let minutes = bits64(&MINUTES.list(for_field(0))?);
        let hours = bits64(&HOURS.list(for_field(1))?) as u32;
        let dom = parse_dom(for_field(2))?;
        let months = (bits64(&MONTH.list(for_field(3))?)) as u16;
        let dow = parse_dow(for_field(4))?;
        let years = if for_field(5) == "*" {
            None
        } else {
            Some(YEAR.list(for_field(5))?)
        };

        match (dom == DomSpec::NoSpec, dow == DowSpec::NoSpec) {
            (true, false) | (false, true) => {}
            (false, false) => {
                return Err(CronError::new(
                    None,
                    format!(
                        "day-of-month is {} and day-of-week is {}, but you can't give both day-of-month and day-of-week: put ? in one of them",
                        fields[2], fields[4]
                    ),
                    "write for example \"cron(0 9 ? * MON-FRI *)\" (weekdays) or \"cron(0 9 1 * ? *)\" (the 1st of each month)",
                ));
            }
            (true, true) => {
                return Err(CronError::new(
                    None,
                    "day-of-month and day-of-week are both ?",
                    "put ? in only one of them and * (or a value) in the other, for example \"cron(0 9 ? * MON-FRI *)\"",
                ));
            }
        }

        Ok(AwsCron {
            fields,
            minutes,
            hours,
            dom,
            months,
            dow,
            years,
        })
    }

    /// The six fields inside `cron(...)`, space-separated.
    pub fn fields(&self) -> String {
        self.fields.join(" ")
    }

    /// The same schedule as a UTC cron (for EventBridge rules), for a zone without daylight
    /// saving. Refuses when the zone observes DST or when the shifted schedule can't be
    /// written as a single cron.
    pub fn to_utc(&self, tz: Tz) -> Result<AwsCron, CronError> {
        if observes_dst(tz) {
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
            .offset_from_utc_datetime(&Utc::now().naive_utc())
            .fix()
            .local_minus_utc();
        if offset_secs % 60 != 0 {
            return Err(CronError::unconvertible(format!(
                "{} is {offset_secs} seconds from UTC, not a whole number of minutes",
                tz.name()
            )));
        }
        let offset = offset_secs / 60;
        if offset == 0 {
            return Ok(self.clone());
        }

        // Every local (hour, minute), shifted to UTC.
        let mins = set_of(self.minutes, 59);
        let hours = set_of(u64::from(self.hours), 23);
        let mut shift: Option<i32> = None;
        let mut utc_times = BTreeSet::new();
        for &h in &hours {
            for &m in &mins {
                let t = (h * 60 + m) as i32 - offset;
                let day = t.div_euclid(1440);
                match shift {
                    None => shift = Some(day),
                    Some(s) if s != day => {
                        return Err(CronError::unconvertible(format!(
                            "in UTC ({} is UTC{}), {self} falls on two different days",
                            tz.name(),
                            format_offset(offset)
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
                "in UTC ({} is UTC{}), the times of {self} are not one set of minutes at one set of hours",
                tz.name(),
                format_offset(offset)
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
                    "in UTC ({} is UTC{}) the runs of {self} move to the {which} day, and {what} can't be moved with them",
                    tz.name(),
                    format_offset(offset)
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

fn format_offset(minutes: i32) -> String {
    let sign = if minutes < 0 { '-' } else { '+' };
    let m = minutes.abs();
    format!("{sign}{:02}:{:02}", m / 60, m % 60)
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

fn parse_dom(text: &str) -> Result<DomSpec, CronError> {
    match text {
        "?" => return Ok(DomSpec::NoSpec),
        "L" => return Ok(DomSpec::Last),
        "LW" => return Ok(DomSpec::LastWeekday),
        _ => {}
    }
    if let Some(n) = text.strip_suffix('W') {
        let d = DAY_OF_MONTH.value(n, text)?;
        return Ok(DomSpec::NearestWeekday(d));
    }
    if text.contains('L') || text.contains('W') {
        return Err(DAY_OF_MONTH.err(format!(
            "{text:?}: L and W can't be combined with lists or ranges"
        )));
    }
    if text.contains('?') {
        return Err(DAY_OF_MONTH.err(format!("{text:?}: ? must stand alone")));
    }
    Ok(DomSpec::Days(bits64(&DAY_OF_MONTH.list(text)?) as u32))
}

fn parse_dow(text: &str) -> Result<DowSpec, CronError> {
    match text {
        "?" => return Ok(DowSpec::NoSpec),
        // `L` alone: the last day of the week, Saturday.
        "L" => return Ok(DowSpec::Days(1 << 7)),
        _ => {}
    }
    if let Some((d, n)) = text.split_once('#') {
        let d = DAY_OF_WEEK.value(d, text)?;
        let n: u32 = if n.len() == 1 {
            n.parse().unwrap_or(0)
        } else {
            0
        };
        if !(1..=5).contains(&n) {
            return Err(DAY_OF_WEEK.err(format!(
                "{text:?}: the number after # must be 1-5 (which occurrence in the month)"
            )));
        }
        return Ok(DowSpec::Nth(d, n));
    }
    if let Some(d) = text.strip_suffix('L') {
        let d = DAY_OF_WEEK.value(d, text)?;
        return Ok(DowSpec::LastOfMonth(d));
    }
    if text.contains('?') {
        return Err(DAY_OF_WEEK.err(format!("{text:?}: ? must stand alone")));
    }
    Ok(DowSpec::Days(bits64(&DAY_OF_WEEK.list(text)?) as u8))
}

/// Writes a value set compactly: `*` when full, runs of three or more as `a-b`, the rest
/// comma-separated, in ascending order.
fn compact(set: &BTreeSet<u32>, min: u32, max: u32, names: Option<&[&str]>) -> String {
    if set.len() as u32 == max - min + 1 {
        return "*".to_string();
    }
    let name = |v: u32| match names {
        Some(n) => n[(v - min) as usize].to_string(),
        None => v.to_string(),
    };
    let values: Vec<u32> = set.iter().copied().collect();
    let mut parts = Vec::new();
    let mut i = 0;
    while i < values.len() {
        let mut j = i;
        while j + 1 < values.len() && values[j + 1] == values[j] + 1 {
            j += 1;
        }
        if j - i >= 2 {
            parts.push(format!("{}-{}", name(values[i]), name(values[j])));
        } else {
            for &v in &values[i..=j] {
                parts.push(name(v));
            }
        }
        i = j + 1;
    }
    parts.join(",")
}

/// True when `tz`'s UTC offset changes at some point between the start of this year and the
/// end of the year after next (checked on the 1st and 15th of every month).
pub fn observes_dst(tz: Tz) -> bool {
    let year = Utc::now().year();
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

#[cfg(test)]
mod tests {
    use super::*;

    fn cron(s: &str) -> AwsCron {
        AwsCron::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn err(s: &str) -> String {
        AwsCron::parse(s).expect_err(s).to_string()
    }

    fn utc(tz: Tz, s: &str) -> String {
        cron(s)
            .to_utc(tz)
            .unwrap_or_else(|e| panic!("{s}: {e}"))
            .to_string()
    }

    #[test]
    fn parses_and_prints_canonically() {
        assert_eq!(
            cron("cron(0 9 ? * MON-FRI *)").to_string(),
            "cron(0 9 ? * MON-FRI *)"
        );
        assert_eq!(
            cron("  cron(0   9 ? *  mon-fri *) ").to_string(),
            "cron(0 9 ? * MON-FRI *)"
        );
        assert_eq!(
            cron("cron(0 9 ? * MON-FRI *)").fields(),
            "0 9 ? * MON-FRI *"
        );
        for ok in [
            "cron(0/15 * * * ? *)",
            "cron(*/5 9-17 ? JAN-MAR 2-6 2026-2027)",
            "cron(0 10 L * ? *)",
            "cron(0 10 LW * ? *)",
            "cron(0 10 15W * ? *)",
            "cron(0 10 ? * 6L *)",
            "cron(0 10 ? * MON#2 *)",
            "cron(0 10 ? * L *)",
            "cron(0,30 8,12-14 1,15 1/3 ? 2026)",
            "cron(59 23 31 12 ? 2199)",
            "cron(0 9 ? * SUN,SAT *)",
        ] {
            cron(ok);
        }
    }

    #[test]
    fn rejects_with_field_and_fix() {
        let e = err("0 9 ? * MON-FRI *");
        assert!(
            e.contains("not an AWS cron expression") && e.contains("Fix:"),
            "{e}"
        );
        let e = err("cron(0 9 ? * MON-FRI)");
        assert!(e.contains("5 fields") && e.contains("exactly 6"), "{e}");
        let e = err("cron(60 9 ? * MON-FRI *)");
        assert!(e.starts_with("minutes field:") && e.contains("0-59"), "{e}");
        let e = err("cron(0 24 ? * MON-FRI *)");
        assert!(e.starts_with("hours field:") && e.contains("0-23"), "{e}");
        let e = err("cron(0 9 32 * ? *)");
        assert!(e.starts_with("day-of-month field:"), "{e}");
        let e = err("cron(0 9 ? 13 MON *)");
        assert!(e.starts_with("month field:"), "{e}");
        let e = err("cron(0 9 ? * FRI-MON *)");
        assert!(
            e.starts_with("day-of-week field:") && e.contains("backwards"),
            "{e}"
        );
        let e = err("cron(0 9 ? * MOX *)");
        assert!(
            e.starts_with("day-of-week field:") && e.contains("SUN-SAT"),
            "{e}"
        );
        let e = err("cron(0 9 ? * MON#6 *)");
        assert!(e.contains("1-5"), "{e}");
        let e = err("cron(0 9 ? * 8 *)");
        assert!(e.starts_with("day-of-week field:"), "{e}");
        let e = err("cron(0 9 ? * MON 1969)");
        assert!(
            e.starts_with("year field:") && e.contains("1970-2199"),
            "{e}"
        );
        let e = err("cron(0 9 * * MON-FRI *)");
        assert!(
            e.contains("you can't give both day-of-month and day-of-week")
                && e.contains("put ? in one of them"),
            "{e}"
        );
        let e = err("cron(0 9 ? * ? *)");
        assert!(e.contains("both ?"), "{e}");
        let e = err("cron(*/0 9 ? * MON *)");
        assert!(e.contains("increment"), "{e}");
        let e = err("cron(0,,5 9 ? * MON *)");
        assert!(e.contains("empty"), "{e}");
        let e = err("cron(0 9 L,5 * ? *)");
        assert!(e.starts_with("day-of-month field:"), "{e}");
        let e = err("cron(0 9 ? * MON-1 *)");
        assert!(e.contains("backwards"), "{e}");
        let e = err("cron(99999999999999999999 9 ? * MON *)");
        assert!(e.starts_with("minutes field:"), "{e}");
    }

    #[test]
    fn required_utc_conversions() {
        let seoul = chrono_tz::Asia::Seoul;
        let kolkata = chrono_tz::Asia::Kolkata;
        assert_eq!(
            utc(seoul, "cron(0 9 ? * MON-FRI *)"),
            "cron(0 0 ? * MON-FRI *)"
        );
        assert_eq!(
            utc(seoul, "cron(0 8 ? * MON-FRI *)"),
            "cron(0 23 ? * SUN-THU *)"
        );
        assert_eq!(
            utc(seoul, "cron(0 19 ? * MON-FRI *)"),
            "cron(0 10 ? * MON-FRI *)"
        );
        assert_eq!(
            utc(kolkata, "cron(0 9 ? * MON-FRI *)"),
            "cron(30 3 ? * MON-FRI *)"
        );
        assert_eq!(
            utc(kolkata, "cron(0 5 ? * MON-FRI *)"),
            "cron(30 23 ? * SUN-THU *)"
        );
        assert_eq!(
            utc(chrono_tz::UTC, "cron(*/7 1-5 L * ? 2030)"),
            "cron(*/7 1-5 L * ? 2030)"
        );
        assert_eq!(
            utc(chrono_tz::America::Sao_Paulo, "cron(0 22 ? * MON-FRI *)"),
            "cron(0 1 ? * TUE-SAT *)"
        );
    }

    #[test]
    fn more_utc_conversions() {
        let seoul = chrono_tz::Asia::Seoul;
        let kathmandu = chrono_tz::Asia::Kathmandu;
        assert_eq!(
            utc(kathmandu, "cron(0 9 ? * MON-FRI *)"),
            "cron(15 3 ? * MON-FRI *)"
        );
        assert_eq!(utc(seoul, "cron(0 8 * * ? *)"), "cron(0 23 * * ? *)");
        assert_eq!(utc(seoul, "cron(0 8 ? * * *)"), "cron(0 23 ? * * *)");
        assert_eq!(
            utc(seoul, "cron(0 8 ? * SUN,WED *)"),
            "cron(0 23 ? * TUE,SAT *)"
        );
        assert_eq!(utc(seoul, "cron(0 8 ? * 1-7 *)"), "cron(0 23 ? * 1-7 *)");
        assert_eq!(
            utc(seoul, "cron(*/15 10-12 ? * MON *)"),
            "cron(*/15 1-3 ? * MON *)"
        );
        assert_eq!(
            utc(seoul, "cron(0 10 15 JAN ? 2027)"),
            "cron(0 1 15 JAN ? 2027)"
        );
        assert_eq!(
            utc(seoul, "cron(0 10 ? * MON#2 *)"),
            "cron(0 1 ? * MON#2 *)"
        );
        // Sao Paulo is UTC-3: +1 day shift.
        assert_eq!(
            utc(chrono_tz::America::Sao_Paulo, "cron(0 22 ? * SAT *)"),
            "cron(0 1 ? * SUN *)"
        );
        assert_eq!(
            utc(chrono_tz::America::Sao_Paulo, "cron(0 21,22 ? * TUE *)"),
            "cron(0 0,1 ? * WED *)"
        );
        assert_eq!(
            utc(kathmandu, "cron(0,30 9-11 ? * MON *)"),
            "cron(15,45 3-5 ? * MON *)"
        );
    }

    #[test]
    fn refuses_inexact_utc_conversions() {
        let seoul = chrono_tz::Asia::Seoul;
        for (tz, s) in [
            (seoul, "cron(0 8-10 ? * MON-FRI *)"), // straddles midnight UTC
            (seoul, "cron(0 8 15 * ? *)"),         // day-of-month shift
            (seoul, "cron(0 8 ? * 6L *)"),         // last Friday shift
            (seoul, "cron(0 8 ? * MON#2 *)"),      // nth weekday shift
            (seoul, "cron(0 8 ? * MON 2027)"),     // year boundary
            (seoul, "cron(0 8 ? JAN MON *)"),      // month boundary
            (chrono_tz::Asia::Kolkata, "cron(0,30 9 ? * MON *)"), // 3:30, 4:00: not a product
            (chrono_tz::Europe::Berlin, "cron(0 9 ? * MON-FRI *)"), // DST
        ] {
            let e = cron(s).to_utc(tz).expect_err(s).to_string();
            assert!(e.contains("trigger = \"scheduler\""), "{s}: {e}");
        }
    }

    #[test]
    fn dst_detection() {
        assert!(observes_dst(chrono_tz::Europe::Berlin));
        assert!(observes_dst(chrono_tz::America::New_York));
        assert!(observes_dst(chrono_tz::Australia::Sydney));
        assert!(!observes_dst(chrono_tz::Asia::Seoul));
        assert!(!observes_dst(chrono_tz::Asia::Kolkata));
        assert!(!observes_dst(chrono_tz::UTC));
        assert!(!observes_dst(chrono_tz::America::Sao_Paulo));
    }

    fn at(tz: Tz, y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Tz> {
        tz.with_ymd_and_hms(y, mo, d, h, mi, 0).earliest().unwrap()
    }

    #[test]
    fn next_after_basic() {
        let seoul = chrono_tz::Asia::Seoul;
        let c = cron("cron(0 9 ? * MON-FRI *)");
        // Friday 2026-01-02 09:00 → Monday 2026-01-05 09:00.
        assert_eq!(
            c.next_after(at(seoul, 2026, 1, 2, 9, 0)),
            Some(at(seoul, 2026, 1, 5, 9, 0))
        );
        assert_eq!(
            c.next_after(at(seoul, 2026, 1, 2, 8, 59)),
            Some(at(seoul, 2026, 1, 2, 9, 0))
        );
        let every = cron("cron(*/15 * * * ? *)");
        assert_eq!(
            every.next_after(at(seoul, 2026, 1, 2, 23, 50)),
            Some(at(seoul, 2026, 1, 3, 0, 0))
        );
        let past = cron("cron(0 9 * * ? 1999)");
        assert_eq!(past.next_after(at(seoul, 2026, 1, 1, 0, 0)), None);
        let feb29 = cron("cron(0 0 29 2 ? *)");
        assert_eq!(
            feb29.next_after(at(chrono_tz::UTC, 2025, 3, 1, 0, 0)),
            Some(at(chrono_tz::UTC, 2028, 2, 29, 0, 0))
        );
    }

    #[test]
    fn next_after_special_days() {
        let utc = chrono_tz::UTC;
        let from = at(utc, 2026, 1, 1, 0, 0);
        // Last day of January 2026.
        assert_eq!(
            cron("cron(0 10 L * ? *)").next_after(from),
            Some(at(utc, 2026, 1, 31, 10, 0))
        );
        // Jan 31 2026 is a Saturday: last weekday is Friday 30th.
        assert_eq!(
            cron("cron(0 10 LW * ? *)").next_after(from),
            Some(at(utc, 2026, 1, 30, 10, 0))
        );
        // Feb 15 2026 is a Sunday → Monday 16th; Jan 17 is Saturday → Friday 16th.
        assert_eq!(
            cron("cron(0 10 17W * ? *)").next_after(from),
            Some(at(utc, 2026, 1, 16, 10, 0))
        );
        assert_eq!(
            cron("cron(0 10 15W * ? *)").next_after(at(utc, 2026, 2, 1, 0, 0)),
            Some(at(utc, 2026, 2, 16, 10, 0))
        );
        // Last Friday of January 2026: the 30th.
        assert_eq!(
            cron("cron(0 10 ? * 6L *)").next_after(from),
            Some(at(utc, 2026, 1, 30, 10, 0))
        );
        // Second Monday of January 2026: the 12th.
        assert_eq!(
            cron("cron(0 10 ? * MON#2 *)").next_after(from),
            Some(at(utc, 2026, 1, 12, 10, 0))
        );
        // L in day-of-week: Saturday.
        assert_eq!(
            cron("cron(0 10 ? * L *)").next_after(from),
            Some(at(utc, 2026, 1, 3, 10, 0))
        );
    }

    #[test]
    fn next_after_dst() {
        let berlin = chrono_tz::Europe::Berlin;
        // 2026-03-29 02:30 doesn't exist in Berlin: skipped, next is the 30th.
        let c = cron("cron(30 2 * * ? *)");
        let next = c.next_after(at(berlin, 2026, 3, 29, 0, 0)).unwrap();
        assert_eq!(next, at(berlin, 2026, 3, 30, 2, 30));
        // 2026-10-25 02:30 happens twice: fires once, at the first (CEST, 00:30 UTC).
        let next = c.next_after(at(berlin, 2026, 10, 25, 0, 0)).unwrap();
        assert_eq!(
            next.with_timezone(&Utc).to_rfc3339(),
            "2026-10-25T00:30:00+00:00"
        );
        let after_first = next + Duration::minutes(30);
        assert_eq!(
            c.next_after(after_first).unwrap(),
            at(berlin, 2026, 10, 26, 2, 30)
        );
        // 09:00 stays 09:00 local across the change.
        let work = cron("cron(0 9 ? * MON-FRI *)");
        let n = work.next_after(at(berlin, 2026, 3, 27, 10, 0)).unwrap();
        assert_eq!(
            n.with_timezone(&Utc).to_rfc3339(),
            "2026-03-30T07:00:00+00:00"
        );
    }

    /// A converted cron fires at the same instants, in UTC, as the local one.
    #[test]
    fn utc_conversion_fires_at_the_same_instants() {
        let cases = [
            (chrono_tz::Asia::Seoul, "cron(0 8 ? * MON-FRI *)"),
            (chrono_tz::Asia::Seoul, "cron(30 19 ? * MON,WED,FRI *)"),
            (chrono_tz::Asia::Kolkata, "cron(0 5 ? * MON-FRI *)"),
            (chrono_tz::Asia::Kathmandu, "cron(0,30 1-3 * * ? *)"),
            (chrono_tz::America::Sao_Paulo, "cron(0 22 ? * SUN,FRI *)"),
        ];
        for (tz, text) in cases {
            let local = cron(text);
            let in_utc = local.to_utc(tz).unwrap();
            let mut a = at(tz, 2026, 1, 1, 0, 0);
            let mut b = a.with_timezone(&chrono_tz::UTC);
            for _ in 0..40 {
                let na = local.next_after(a).unwrap();
                let nb = in_utc.next_after(b).unwrap();
                assert_eq!(
                    na.with_timezone(&Utc),
                    nb.with_timezone(&Utc),
                    "{text} in {tz} vs {in_utc}"
                );
                a = na;
                b = nb;
            }
        }
    }

    #[test]
    fn compact_output() {
        let s = |v: &[u32]| v.iter().copied().collect::<BTreeSet<u32>>();
        assert_eq!(compact(&s(&[1, 2, 3, 5, 7, 8]), 0, 59, None), "1-3,5,7,8");
        assert_eq!(
            compact(&s(&[1, 2, 3, 4, 5]), 1, 7, Some(&DOW_NAMES)),
            "SUN-THU"
        );
        assert_eq!(compact(&s(&[1, 7]), 1, 7, Some(&DOW_NAMES)), "SUN,SAT");
    }
}
