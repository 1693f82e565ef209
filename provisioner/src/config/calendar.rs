//! `schedule.skip_calendar`: a holiday calendar (`.ics`, RFC 5545) read into the local dates
//! on which scale-out is skipped.
//!
//! Only all-day events are holidays: their dates are floating local dates, exactly what a
//! skip date is, so no time zone in the file is read. Timed events (meetings) are counted and
//! left out. Recurrence is expanded only where a holiday calendar needs it, `FREQ=YEARLY` on
//! the event's own month and day, over a two-year window; anything richer is refused with a
//! message rather than half-expanded, because a wrongly skipped morning leaves a team
//! without its services. `today` is passed in, so everything but [`read_calendar`]'s one file
//! read is pure.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::io::Read;
use std::path::{Path, PathBuf};

use chrono::{Datelike, Months, NaiveDate};
use icalendar::parser::{self, Component, Property};

/// More distinct dates than this is not a holiday calendar (two years of every day is 731).
const MAX_DATES: usize = 5000;
/// A holiday longer than a year is a mistake in the file, not a break.
const MAX_EVENT_DAYS: u64 = 366;
/// Yearly events are expanded this far ahead of `today`; a deploy more than two years old
/// has long been replaced by one that read the calendar again.
const WINDOW_MONTHS: u32 = 24;
/// A team's holiday export is a few KiB; a file this large is the wrong file.
const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// What a calendar file gives: the dates, and what was not a date.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct CalendarDates {
    /// Local dates from `today` on, sorted, deduplicated.
    pub dates: Vec<NaiveDate>,
    /// `VEVENT`s with a time of day: meetings, not holidays.
    pub timed_events_ignored: usize,
}

/// A calendar that can't be used; each message says what is wrong and how to fix it. The
/// caller names the configuration key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum CalendarError {
    #[error(
        "the calendar file {} does not exist: check skip_calendar (relative to the config file)",
        path.display()
    )]
    Missing { path: PathBuf },
    #[error(
        "the calendar file {} cannot be read ({reason}): check that it is a readable file",
        path.display()
    )]
    Unreadable { path: PathBuf, reason: String },
    #[error(
        "the calendar file {} is larger than {} MiB, far more than a holiday calendar: \
         point skip_calendar at the holiday calendar's .ics export",
        path.display(),
        MAX_FILE_BYTES / (1024 * 1024)
    )]
    TooLarge { path: PathBuf },
    /// Not iCalendar, or an event whose dates can't be read; `reason` says which and the fix.
    #[error("{reason}")]
    Malformed { reason: String },
    /// `rule` is what was refused: `RRULE FREQ=WEEKLY`, `RRULE BYDAY=MO`, `RDATE`, `EXRULE`.
    #[error(
        "{rule} on event {event} is not supported: worktime expands only RRULE FREQ=YEARLY \
         (optionally with INTERVAL, COUNT, UNTIL) on the event's own month and day; \
         list the dates as events, or use skip_dates"
    )]
    UnsupportedRecurrence { event: String, rule: String },
    #[error(
        "event {event} lasts {days} days, more than {MAX_EVENT_DAYS}: check its DTEND or \
         DURATION (DTEND is the day after the last day off)"
    )]
    EventTooLong { event: String, days: u64 },
    #[error(
        "the calendar gives more than {MAX_DATES} skip dates, which is not a holiday calendar: \
         export only the holidays"
    )]
    TooManyDates,
}

/// Reads `path` and gives its dates from `today` on (see [`parse_calendar`]).
pub(crate) fn read_calendar(path: &Path, today: NaiveDate) -> Result<CalendarDates, CalendarError> {
    let unreadable = |e: std::io::Error| CalendarError::Unreadable {
        path: path.to_path_buf(),
        reason: e.to_string(),
    };
    let file = std::fs::File::open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => CalendarError::Missing {
            path: path.to_path_buf(),
        },
        _ => unreadable(e),
    })?;
    // Read one byte past the limit rather than trusting metadata: a FIFO or /dev/zero has none.
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(unreadable)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(CalendarError::TooLarge {
            path: path.to_path_buf(),
        });
    }
    let text = String::from_utf8(bytes).map_err(|_| {
        malformed(
            "the calendar file is not UTF-8 text, so not an iCalendar file: \
             export the holiday calendar as .ics",
        )
    })?;
    parse_calendar(&text, today)
}

/// The all-day dates of `text` (an iCalendar document) from `today` on.
///
/// Multi-day events give every day up to their exclusive `DTEND` (or `DURATION`); yearly
/// events give their occurrences from `today` through two years later, less `EXDATE`s and
/// instances moved or cancelled by a `RECURRENCE-ID` event; cancelled events give nothing.
pub(crate) fn parse_calendar(text: &str, today: NaiveDate) -> Result<CalendarDates, CalendarError> {
    // Windows exports often start with a byte-order mark, which the parser would take as
    // part of the first line.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        return Err(malformed(
            "the calendar file is empty: export the holiday calendar as .ics \
             (it begins with BEGIN:VCALENDAR)",
        ));
    }
    if contains_line(text, "BEGIN:VCALENDAR") && !contains_line(text, "END:VCALENDAR") {
        return Err(malformed(
            "the calendar file has no END:VCALENDAR, so it was cut short: export or copy \
             the holiday calendar again",
        ));
    }
    let unfolded = parser::unfold(text);
    let source = Source::new(text, &unfolded);
    let roots = parser::read_components(&unfolded).map_err(|e| {
        malformed(format!(
            "the calendar file is not an iCalendar file ({}): export the holiday calendar as \
             .ics (it begins with BEGIN:VCALENDAR and ends with END:VCALENDAR)",
            parser_problem(&e, &source)
        ))
    })?;
    if let Some(other) = roots.iter().find(|c| !is(c.name.as_str(), "VCALENDAR")) {
        return Err(malformed(format!(
            "the calendar file begins with BEGIN:{} where BEGIN:VCALENDAR belongs: export the \
             whole calendar as .ics, not a single item",
            other.name.as_str()
        )));
    }
    let events: Vec<Event> = roots
        .iter()
        .flat_map(|root| &root.components)
        .filter(|c| is(c.name.as_str(), "VEVENT"))
        .map(|component| Event {
            component,
            source: &source,
        })
        .collect();

    // An instance moved or cancelled on its own is exported as a second VEVENT with the
    // series' UID and a RECURRENCE-ID naming the original date: that date leaves the series.
    let mut moved: HashMap<&str, HashSet<NaiveDate>> = HashMap::new();
    for event in &events {
        if let (Some(uid), Some(id)) = (event.value("UID"), event.property("RECURRENCE-ID")) {
            if let Some(date) = parse_date(id.val.as_str().trim()) {
                moved.entry(uid).or_default().insert(date);
            }
        }
    }

    let window_end = today
        .checked_add_months(Months::new(WINDOW_MONTHS))
        .unwrap_or(NaiveDate::MAX);
    let mut dates = BTreeSet::new();
    let mut timed_events_ignored = 0;
    for event in &events {
        if event
            .value("STATUS")
            .is_some_and(|s| is(s.trim(), "CANCELLED"))
        {
            continue;
        }
        let Some(start) = event.start()? else {
            timed_events_ignored += 1;
            continue;
        };
        let days = event.days(start)?;
        let mut excluded = event.exdates()?;
        // The moved instances leave the series, not the events that moved them.
        let is_override = event.property("RECURRENCE-ID").is_some();
        if let Some(uid) = event.value("UID").filter(|_| !is_override) {
            excluded.extend(moved.get(uid).into_iter().flatten());
        }
        for first in event.occurrences(start, days, today, window_end)? {
            if excluded.contains(&first) {
                continue;
            }
            for day in first.iter_days().take(days as usize) {
                if day >= today {
                    dates.insert(day);
                }
            }
            if dates.len() > MAX_DATES {
                return Err(CalendarError::TooManyDates);
            }
        }
    }
    Ok(CalendarDates {
        dates: dates.into_iter().collect(),
        timed_events_ignored,
    })
}

// ---------------------------------------------------------------------------------------

fn malformed(reason: impl Into<String>) -> CalendarError {
    CalendarError::Malformed {
        reason: reason.into(),
    }
}

fn contains_line(text: &str, expected: &str) -> bool {
    text.lines().any(|line| is(line.trim(), expected))
}

/// Names and parameter values in iCalendar are case-insensitive.
fn is(name: &str, expected: &str) -> bool {
    name.eq_ignore_ascii_case(expected)
}

/// Where the parser stopped, as a file line and its text. Its error reads "0: at line N,
/// in Kind:", then the unfolded line and a caret drawing that does not fit in a message.
fn parser_problem(error: &str, source: &Source<'_>) -> String {
    let mut lines = error.lines().map(str::trim);
    let line = lines
        .next()
        .and_then(|first| first.split_once("at line "))
        .and_then(|(_, rest)| {
            let digits = rest.split(|c: char| !c.is_ascii_digit()).next()?;
            digits.parse::<usize>().ok()
        });
    let text = lines.find(|l| !l.is_empty() && !l.starts_with('^'));
    match (line, text) {
        (Some(n), Some(text)) => {
            let file_line = n.checked_sub(1).and_then(|i| source.starts.get(i)).copied();
            let file_line = file_line.unwrap_or(n);
            format!("line {file_line} reads {text:?}")
        }
        _ => "it can't be read as iCalendar".to_string(),
    }
}

/// Maps text the parser borrowed from the unfolded document back to a line of the file, so
/// a message can point at an event even when long lines were folded.
struct Source<'t> {
    unfolded: &'t str,
    /// Byte offsets of the unfolded text's line breaks.
    breaks: Vec<usize>,
    /// 1-based file line on which each unfolded line begins.
    starts: Vec<usize>,
}

impl<'t> Source<'t> {
    fn new(text: &str, unfolded: &'t str) -> Self {
        // A line that begins with a space or tab continues the previous one (RFC 5545 3.1),
        // the same rule the crate's `unfold` applies.
        let starts = text
            .split('\n')
            .enumerate()
            .filter(|(i, line)| *i == 0 || !line.starts_with([' ', '\t']))
            .map(|(i, _)| i + 1)
            .collect();
        let breaks = unfolded.match_indices('\n').map(|(i, _)| i).collect();
        Source {
            unfolded,
            breaks,
            starts,
        }
    }

    /// The file line of `part`, if it is a slice of the unfolded text (unescaped values are
    /// copies, and have none).
    fn line(&self, part: &str) -> Option<usize> {
        let base = self.unfolded.as_ptr() as usize;
        let offset = (part.as_ptr() as usize).checked_sub(base)?;
        if offset > self.unfolded.len() {
            return None;
        }
        let index = self.breaks.partition_point(|b| *b < offset);
        self.starts.get(index).copied()
    }
}

struct Event<'c, 't> {
    component: &'c Component<'c>,
    source: &'c Source<'t>,
}

impl<'c> Event<'c, '_> {
    fn properties(&self, name: &'static str) -> impl Iterator<Item = &'c Property<'c>> + 'c {
        self.component
            .properties
            .iter()
            .filter(move |p| is(p.name.as_str(), name))
    }

    fn property(&self, name: &'static str) -> Option<&'c Property<'c>> {
        self.properties(name).next()
    }

    fn value(&self, name: &'static str) -> Option<&'c str> {
        self.property(name).map(|p| p.val.as_str())
    }

    /// How messages name the event: its SUMMARY, else its UID, and its line.
    fn label(&self) -> String {
        let line = self.source.line(self.component.name.as_str());
        let name = [("SUMMARY", ""), ("UID", "UID ")]
            .into_iter()
            .find_map(|(key, prefix)| {
                let value = self.value(key)?.trim();
                (!value.is_empty()).then(|| format!("{prefix}{value:?}"))
            });
        match (name, line) {
            (Some(name), Some(line)) => format!("{name} (line {line})"),
            (Some(name), None) => name,
            (None, Some(line)) => format!("at line {line}"),
            (None, None) => "without SUMMARY or UID".to_string(),
        }
    }

    /// `Some(date)` for an all-day event, `None` for a timed one.
    fn start(&self) -> Result<Option<NaiveDate>, CalendarError> {
        let Some(dtstart) = self.property("DTSTART") else {
            return Err(malformed(format!(
                "event {} has no DTSTART: give each holiday its date, as in \
                 DTSTART;VALUE=DATE:20261225",
                self.label()
            )));
        };
        let value = dtstart.val.as_str().trim();
        match (value_type(dtstart), parse_date(value)) {
            (Some(t), date) if is(t, "DATE") => date.map(Some).ok_or(()),
            (Some(t), _) if is(t, "DATE-TIME") => is_date_time(value).then_some(None).ok_or(()),
            (Some(_), _) => Err(()),
            (None, Some(date)) => Ok(Some(date)),
            (None, None) => is_date_time(value).then_some(None).ok_or(()),
        }
        .map_err(|()| {
            malformed(format!(
                "event {} has {:?}, neither a date (YYYYMMDD) nor a date-time \
                 (YYYYMMDDTHHMMSS): write a holiday as DTSTART;VALUE=DATE:20261225",
                self.label(),
                display_value(dtstart)
            ))
        })
    }

    /// The number of days the event covers: up to its exclusive DTEND, or its DURATION.
    fn days(&self, start: NaiveDate) -> Result<u64, CalendarError> {
        let days = match (self.property("DTEND"), self.property("DURATION")) {
            (Some(_), Some(_)) => {
                return Err(malformed(format!(
                    "event {} has both DTEND and DURATION: keep one (DTEND is the day after \
                     the last day off)",
                    self.label()
                )))
            }
            (Some(dtend), None) => {
                let end = self.date_property(dtend, "DTEND")?;
                // An end on the start day is an exporter's way of saying "that day".
                match end.signed_duration_since(start).num_days() {
                    0 => 1,
                    days if days > 0 => days.unsigned_abs(),
                    _ => {
                        return Err(malformed(format!(
                            "event {} ends (DTEND {end}) before it starts ({start}): DTEND is \
                             the day after the last day off",
                            self.label()
                        )))
                    }
                }
            }
            (None, Some(duration)) => match parse_days(duration.val.as_str().trim()) {
                Some(0) => 1,
                Some(days) => days,
                None => {
                    return Err(malformed(format!(
                        "event {} has {:?}: an all-day event lasts whole days or \
                         weeks, as in DURATION:P3D or DURATION:P1W",
                        self.label(),
                        display_value(duration)
                    )))
                }
            },
            (None, None) => 1,
        };
        if days > MAX_EVENT_DAYS {
            return Err(CalendarError::EventTooLong {
                event: self.label(),
                days,
            });
        }
        Ok(days)
    }

    /// A DTEND or EXDATE value: on an all-day event, a date like its DTSTART.
    fn date_property(
        &self,
        property: &Property<'_>,
        name: &str,
    ) -> Result<NaiveDate, CalendarError> {
        let value = property.val.as_str().trim();
        let date = match value_type(property) {
            Some(t) if !is(t, "DATE") => None,
            _ => parse_date(value),
        };
        date.ok_or_else(|| {
            malformed(format!(
                "event {} is all-day but has {:?}: write a date, as in \
                 {name};VALUE=DATE:20261226",
                self.label(),
                display_value(property)
            ))
        })
    }

    /// EXDATE values (each property may list several, comma-separated).
    fn exdates(&self) -> Result<HashSet<NaiveDate>, CalendarError> {
        let mut dates = HashSet::new();
        for exdate in self.properties("EXDATE") {
            for value in exdate.val.as_str().split(',') {
                let one = Property {
                    name: exdate.name.clone(),
                    val: value.into(),
                    params: exdate.params.clone(),
                };
                dates.insert(self.date_property(&one, "EXDATE")?);
            }
        }
        Ok(dates)
    }

    /// First days of the occurrences that reach `today` or later: the start itself, or the
    /// yearly ones starting no later than `window_end`.
    fn occurrences(
        &self,
        start: NaiveDate,
        days: u64,
        today: NaiveDate,
        window_end: NaiveDate,
    ) -> Result<Vec<NaiveDate>, CalendarError> {
        for refused in ["RDATE", "EXRULE"] {
            if self.property(refused).is_some() {
                return Err(CalendarError::UnsupportedRecurrence {
                    event: self.label(),
                    rule: refused.to_string(),
                });
            }
        }
        let mut rules = self.properties("RRULE");
        let (Some(rrule), None) = (rules.next(), rules.next()) else {
            if self.property("RRULE").is_some() {
                return Err(CalendarError::UnsupportedRecurrence {
                    event: self.label(),
                    rule: "more than one RRULE".to_string(),
                });
            }
            return Ok(vec![start]);
        };
        let rule = self.yearly(rrule.val.as_str(), start)?;
        // Whether an occurrence still reaches `today`: its last day is start + days - 1.
        let reaches_today = |first: NaiveDate| {
            first
                .iter_days()
                .nth(days as usize - 1)
                .is_none_or(|l| l >= today)
        };
        let mut firsts = Vec::new();
        let mut counted = 0;
        let mut year = start.year();
        while year <= window_end.year() {
            // Feb 29 has no occurrence in other years; RFC 5545 says such an instance is
            // not there at all, so it does not count towards COUNT either.
            if let Some(first) = NaiveDate::from_ymd_opt(year, start.month(), start.day()) {
                if first > window_end || rule.until.is_some_and(|until| first > until) {
                    break;
                }
                counted += 1;
                if rule.count.is_some_and(|count| counted > count) {
                    break;
                }
                if reaches_today(first) {
                    firsts.push(first);
                }
            }
            let Some(next) = year.checked_add(rule.interval) else {
                break;
            };
            year = next;
        }
        Ok(firsts)
    }

    /// The RRULE, if it is one this module expands.
    fn yearly(&self, rrule: &str, start: NaiveDate) -> Result<Yearly, CalendarError> {
        let mut parts = Vec::new();
        for part in rrule.trim().split(';').filter(|p| !p.trim().is_empty()) {
            let Some((key, value)) = part.split_once('=') else {
                return Err(self.bad_rule(rrule, part));
            };
            parts.push((key.trim().to_ascii_uppercase(), value.trim()));
        }
        // FREQ first: a weekly rule is refused for being weekly, whatever else it says.
        match parts.iter().find(|(key, _)| key == "FREQ") {
            Some((_, freq)) if is(freq, "YEARLY") => {}
            Some((_, freq)) => {
                return Err(CalendarError::UnsupportedRecurrence {
                    event: self.label(),
                    rule: format!("RRULE FREQ={}", freq.to_ascii_uppercase()),
                })
            }
            None => return Err(self.bad_rule(rrule, "no FREQ")),
        }
        let mut rule = Yearly {
            interval: 1,
            count: None,
            until: None,
        };
        for (key, value) in &parts {
            let number = || value.parse::<i32>().ok().filter(|n| *n > 0);
            let part = format!("{key}={value}");
            match key.as_str() {
                "FREQ" => {}
                // Only weekly expansions look at the week start.
                "WKST" => {}
                "INTERVAL" => {
                    rule.interval = number().ok_or_else(|| self.bad_rule(rrule, &part))?
                }
                "COUNT" => rule.count = Some(number().ok_or_else(|| self.bad_rule(rrule, &part))?),
                // A date-time UNTIL on an all-day series still ends on its date.
                "UNTIL" => {
                    let date = value.get(..8).and_then(parse_date);
                    let valid = value.len() == 8 || is_date_time(value);
                    rule.until = Some(
                        date.filter(|_| valid)
                            .ok_or_else(|| self.bad_rule(rrule, &part))?,
                    );
                }
                // Naming the start's own month or day changes nothing; any other value would
                // need the general expansion.
                "BYMONTH" if number() == Some(start.month() as i32) => {}
                "BYMONTHDAY" if number() == Some(start.day() as i32) => {}
                _ => {
                    return Err(CalendarError::UnsupportedRecurrence {
                        event: self.label(),
                        rule: format!("RRULE {part}"),
                    })
                }
            }
        }
        Ok(rule)
    }

    fn bad_rule(&self, rrule: &str, part: &str) -> CalendarError {
        malformed(format!(
            "event {} has RRULE {:?}, which can't be read ({part}): write a yearly holiday as \
             RRULE:FREQ=YEARLY, optionally with ;COUNT=n, ;UNTIL=YYYYMMDD or ;INTERVAL=n",
            self.label(),
            rrule.trim()
        ))
    }
}

/// The part of an RRULE this module honours.
struct Yearly {
    interval: i32,
    count: Option<i32>,
    until: Option<NaiveDate>,
}

fn value_type<'p>(property: &'p Property<'_>) -> Option<&'p str> {
    property
        .params
        .iter()
        .find(|p| is(p.key.as_str(), "VALUE"))
        .map(|p| p.val.as_ref().map_or("", |v| v.as_str()))
}

/// A property as the file wrote it (once unfolded), for messages.
fn display_value(property: &Property<'_>) -> String {
    let mut text = property.name.as_str().to_string();
    for param in &property.params {
        text.push(';');
        text.push_str(param.key.as_str());
        if let Some(val) = &param.val {
            text.push('=');
            text.push_str(val.as_str());
        }
    }
    text.push(':');
    text.push_str(property.val.as_str().trim());
    text
}

/// An iCalendar DATE: exactly `YYYYMMDD`.
fn parse_date(value: &str) -> Option<NaiveDate> {
    if value.len() != 8 || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let number = |range: std::ops::Range<usize>| value[range].parse::<u32>().ok();
    NaiveDate::from_ymd_opt(number(0..4)? as i32, number(4..6)?, number(6..8)?)
}

/// An iCalendar DATE-TIME: `YYYYMMDDTHHMMSS`, floating or `Z`.
fn is_date_time(value: &str) -> bool {
    let value = value.strip_suffix(['Z', 'z']).unwrap_or(value);
    match value.split_once(['T', 't']) {
        Some((date, time)) => {
            parse_date(date).is_some()
                && time.len() == 6
                && time.bytes().all(|b| b.is_ascii_digit())
        }
        None => false,
    }
}

/// A DURATION of whole days or weeks (`P3D`, `P1W`, `P1W2D`), in days.
fn parse_days(value: &str) -> Option<u64> {
    let mut rest = value
        .strip_prefix('+')
        .unwrap_or(value)
        .strip_prefix(['P', 'p'])?;
    let mut days: u64 = 0;
    let mut any = false;
    for (unit, factor) in [(['W', 'w'], 7), (['D', 'd'], 1)] {
        if let Some(at) = rest.find(unit) {
            let number = &rest[..at];
            if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            days = days.checked_add(number.parse::<u64>().ok()?.checked_mul(factor)?)?;
            rest = &rest[at + 1..];
            any = true;
        }
    }
    (any && rest.is_empty()).then_some(days)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    fn days(texts: &[&str]) -> Vec<NaiveDate> {
        texts.iter().map(|t| day(t)).collect()
    }

    /// The fixed `today` of these tests.
    fn today() -> NaiveDate {
        day("2026-06-01")
    }

    /// A calendar around `events`, one property per line, with the CRLF ends exports use.
    fn calendar(events: &[&[&str]]) -> String {
        let mut lines = vec![
            "BEGIN:VCALENDAR",
            "VERSION:2.0",
            "PRODID:-//worktime//tests//EN",
        ];
        for event in events {
            lines.push("BEGIN:VEVENT");
            lines.extend_from_slice(event);
            lines.push("END:VEVENT");
        }
        lines.push("END:VCALENDAR");
        lines.join("\r\n") + "\r\n"
    }

    fn parse(events: &[&[&str]]) -> CalendarDates {
        parse_calendar(&calendar(events), today()).unwrap()
    }

    fn error(events: &[&[&str]]) -> CalendarError {
        parse_calendar(&calendar(events), today()).unwrap_err()
    }

    #[test]
    fn single_all_day_event_gives_its_date() {
        let got = parse(&[&[
            "UID:a",
            "SUMMARY:Company day",
            "DTSTART;VALUE=DATE:20261009",
        ]]);
        assert_eq!(got.dates, days(&["2026-10-09"]));
        assert_eq!(got.timed_events_ignored, 0);
        // Eight digits without VALUE=DATE are a date too.
        let got = parse(&[&["SUMMARY:Company day", "DTSTART:20261009"]]);
        assert_eq!(got.dates, days(&["2026-10-09"]));
    }

    #[test]
    fn multi_day_event_ends_before_its_dtend() {
        let got = parse(&[&[
            "SUMMARY:Winter break",
            "DTSTART;VALUE=DATE:20261224",
            "DTEND;VALUE=DATE:20261227",
        ]]);
        assert_eq!(got.dates, days(&["2026-12-24", "2026-12-25", "2026-12-26"]));
        // A DTEND on the start day still marks that day.
        let got = parse(&[&["DTSTART;VALUE=DATE:20261224", "DTEND;VALUE=DATE:20261224"]]);
        assert_eq!(got.dates, days(&["2026-12-24"]));
    }

    #[test]
    fn duration_in_days_or_weeks() {
        let got = parse(&[&["DTSTART;VALUE=DATE:20261224", "DURATION:P3D"]]);
        assert_eq!(got.dates, days(&["2026-12-24", "2026-12-25", "2026-12-26"]));
        let got = parse(&[&["DTSTART;VALUE=DATE:20260803", "DURATION:P1W"]]);
        assert_eq!(got.dates.len(), 7);
        assert_eq!(got.dates.last(), Some(&day("2026-08-09")));
        let err = error(&[&[
            "SUMMARY:Half day",
            "DTSTART;VALUE=DATE:20261224",
            "DURATION:PT4H",
        ]]);
        let msg = err.to_string();
        assert!(msg.contains("\"Half day\"") && msg.contains("P3D"), "{msg}");
    }

    #[test]
    fn yearly_event_expands_over_two_years_from_today() {
        // First held in 2019; today is 2026-06-01, so 2026, 2027 and 2028 fall in the window
        // (up to 2028-06-01), and New Year 2029 does not.
        let got = parse(&[&[
            "SUMMARY:New Year",
            "DTSTART;VALUE=DATE:20190101",
            "RRULE:FREQ=YEARLY",
        ]]);
        assert_eq!(got.dates, days(&["2027-01-01", "2028-01-01"]));

        let got = parse(&[&[
            "SUMMARY:Founders' week",
            "DTSTART;VALUE=DATE:20200615",
            "DTEND;VALUE=DATE:20200617",
            "RRULE:FREQ=YEARLY;BYMONTH=6;BYMONTHDAY=15",
        ]]);
        assert_eq!(
            got.dates,
            days(&["2026-06-15", "2026-06-16", "2027-06-15", "2027-06-16"])
        );
    }

    #[test]
    fn yearly_occurrence_ending_on_the_window_start_keeps_its_remaining_days() {
        let got = parse_calendar(
            &calendar(&[&[
                "DTSTART;VALUE=DATE:20201230",
                "DTEND;VALUE=DATE:20210103",
                "RRULE:FREQ=YEARLY",
            ]]),
            day("2027-01-01"),
        )
        .unwrap();
        assert_eq!(got.dates[..2], days(&["2027-01-01", "2027-01-02"]));
        assert_eq!(got.dates[2], day("2027-12-30"));
    }

    #[test]
    fn count_until_and_interval_limit_the_series() {
        // 2024, 2025, 2026: the third and last occurrence is the only one still ahead.
        let got = parse(&[&["DTSTART;VALUE=DATE:20241009", "RRULE:FREQ=YEARLY;COUNT=3"]]);
        assert_eq!(got.dates, days(&["2026-10-09"]));
        let got = parse(&[&["DTSTART;VALUE=DATE:20241009", "RRULE:FREQ=YEARLY;COUNT=2"]]);
        assert!(got.dates.is_empty());
        let got = parse(&[&[
            "DTSTART;VALUE=DATE:20241009",
            "RRULE:FREQ=YEARLY;UNTIL=20271009",
        ]]);
        assert_eq!(got.dates, days(&["2026-10-09", "2027-10-09"]));
        let got = parse(&[&[
            "DTSTART;VALUE=DATE:20241009",
            "RRULE:FREQ=YEARLY;UNTIL=20271008T235959Z",
        ]]);
        assert_eq!(got.dates, days(&["2026-10-09"]));
        let got = parse(&[&[
            "DTSTART;VALUE=DATE:20251009",
            "RRULE:FREQ=YEARLY;INTERVAL=2",
        ]]);
        assert_eq!(got.dates, days(&["2027-10-09"]));
    }

    #[test]
    fn exdate_and_recurrence_id_remove_occurrences() {
        let got = parse(&[&[
            "DTSTART;VALUE=DATE:20201009",
            "RRULE:FREQ=YEARLY",
            "EXDATE;VALUE=DATE:20261009,20301009",
        ]]);
        assert_eq!(got.dates, days(&["2027-10-09"]));

        // One year's instance moved to the Monday, as calendar apps export it.
        let got = parse(&[
            &[
                "UID:hangul@example.com",
                "DTSTART;VALUE=DATE:20201009",
                "RRULE:FREQ=YEARLY",
            ],
            &[
                "UID:hangul@example.com",
                "RECURRENCE-ID;VALUE=DATE:20261009",
                "DTSTART;VALUE=DATE:20261012",
            ],
        ]);
        assert_eq!(got.dates, days(&["2026-10-12", "2027-10-09"]));

        // Cancelled instances and cancelled events give nothing.
        let got = parse(&[
            &["UID:x", "DTSTART;VALUE=DATE:20201009", "RRULE:FREQ=YEARLY"],
            &[
                "UID:x",
                "RECURRENCE-ID;VALUE=DATE:20271009",
                "DTSTART;VALUE=DATE:20271009",
                "STATUS:CANCELLED",
            ],
            &["UID:y", "DTSTART;VALUE=DATE:20260701", "STATUS:CANCELLED"],
        ]);
        assert_eq!(got.dates, days(&["2026-10-09"]));
    }

    #[test]
    fn feb_29_occurs_only_in_leap_years() {
        let got = parse_calendar(
            &calendar(&[&[
                "SUMMARY:Leap day off",
                "DTSTART;VALUE=DATE:20200229",
                "RRULE:FREQ=YEARLY",
            ]]),
            day("2027-03-01"),
        )
        .unwrap();
        assert_eq!(got.dates, days(&["2028-02-29"]));
        // Missing years are not occurrences, so they don't use up COUNT: 2020, 2024, 2028.
        let got = parse(&[&["DTSTART;VALUE=DATE:20200229", "RRULE:FREQ=YEARLY;COUNT=3"]]);
        assert_eq!(got.dates, days(&["2028-02-29"]));
        let got = parse(&[&["DTSTART;VALUE=DATE:20200229", "RRULE:FREQ=YEARLY;COUNT=2"]]);
        assert!(got.dates.is_empty());
    }

    #[test]
    fn timed_events_are_counted_not_skipped() {
        let got = parse(&[
            &[
                "SUMMARY:Standup",
                "DTSTART:20260602T090000Z",
                "RRULE:FREQ=WEEKLY;BYDAY=MO",
            ],
            &[
                "SUMMARY:Offsite",
                "DTSTART;TZID=Asia/Seoul:20260610T100000",
                "DTEND;TZID=Asia/Seoul:20260610T170000",
            ],
            &["SUMMARY:Review", "DTSTART;VALUE=DATE-TIME:20260611T140000"],
            &["SUMMARY:Day off", "DTSTART;VALUE=DATE:20260612"],
        ]);
        assert_eq!(got.dates, days(&["2026-06-12"]));
        assert_eq!(got.timed_events_ignored, 3);
    }

    #[test]
    fn past_dates_are_dropped_and_the_rest_sorted_once() {
        let got = parse(&[
            &["DTSTART;VALUE=DATE:20270101"],
            &["DTSTART;VALUE=DATE:20260530", "DTEND;VALUE=DATE:20260603"],
            &["DTSTART;VALUE=DATE:20250101"],
            &["DTSTART;VALUE=DATE:20260602"],
        ]);
        assert_eq!(got.dates, days(&["2026-06-01", "2026-06-02", "2027-01-01"]));
    }

    #[test]
    fn other_recurrences_are_refused_with_the_event_named() {
        let err = error(&[&[
            "UID:standup-1",
            "SUMMARY:Team offsite",
            "DTSTART;VALUE=DATE:20260605",
            "RRULE:FREQ=WEEKLY;BYDAY=FR",
        ]]);
        assert_eq!(
            err,
            CalendarError::UnsupportedRecurrence {
                event: "\"Team offsite\" (line 4)".into(),
                rule: "RRULE FREQ=WEEKLY".into(),
            }
        );
        let msg = err.to_string();
        assert!(
            msg.starts_with(
                "RRULE FREQ=WEEKLY on event \"Team offsite\" (line 4) is not supported"
            ) && msg.contains("only RRULE FREQ=YEARLY")
                && msg.contains("skip_dates"),
            "{msg}"
        );

        let refused = |lines: &[&str]| match error(&[lines]) {
            CalendarError::UnsupportedRecurrence { rule, .. } => rule,
            other => panic!("{other}"),
        };
        let thanksgiving = ["UID:t", "DTSTART;VALUE=DATE:20261126"];
        let with = |extra: &'static str| [&thanksgiving[..], &[extra]].concat();
        assert_eq!(
            refused(&with("RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=4TH")),
            "RRULE BYDAY=4TH"
        );
        assert_eq!(
            refused(&with("RRULE:FREQ=YEARLY;BYMONTH=12")),
            "RRULE BYMONTH=12"
        );
        assert_eq!(refused(&with("RRULE:FREQ=MONTHLY")), "RRULE FREQ=MONTHLY");
        assert_eq!(refused(&with("RDATE;VALUE=DATE:20271125")), "RDATE");
        let err = error(&[&with("RDATE;VALUE=DATE:20271125")]);
        assert!(
            err.to_string()
                .starts_with("RDATE on event UID \"t\" (line 4)"),
            "{err}"
        );
    }

    #[test]
    fn missing_and_unreadable_files() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("holidays.ics");
        let err = read_calendar(&missing, today()).unwrap_err();
        assert_eq!(
            err,
            CalendarError::Missing {
                path: missing.clone()
            }
        );
        assert!(
            err.to_string()
                .contains("does not exist: check skip_calendar"),
            "{err}"
        );

        let err = read_calendar(dir.path(), today()).unwrap_err();
        assert!(matches!(err, CalendarError::Unreadable { .. }), "{err}");
    }

    #[test]
    fn garbage_is_not_a_calendar() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("holidays.ics");
        let bad = |content: &[u8]| {
            std::fs::write(&path, content).unwrap();
            match read_calendar(&path, today()).unwrap_err() {
                CalendarError::Malformed { reason } => reason,
                other => panic!("{other}"),
            }
        };
        let reason = bad(b"Date,Holiday\n2026-12-25,Christmas\n");
        assert!(
            reason.contains("not an iCalendar file") && reason.contains("BEGIN:VCALENDAR"),
            "{reason}"
        );
        assert!(bad(b"").contains("empty"));
        assert!(bad(b"\xff\xfe\x00B\x00E").contains("not UTF-8"));
        let reason = bad(b"BEGIN:VEVENT\r\nDTSTART:20261225\r\nEND:VEVENT\r\n");
        assert!(
            reason.contains("BEGIN:VEVENT where BEGIN:VCALENDAR belongs"),
            "{reason}"
        );
        let reason = bad(b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART:20261225\r\n");
        assert!(
            reason.contains("no END:VCALENDAR, so it was cut short"),
            "{reason}"
        );
        // The parser's complaint, on the file's line (after a folded one).
        let reason = bad(b"BEGIN:VCALENDAR\r\nX-WR-CALDESC:folded\r\n  text\r\nBEGIN:VEVENT\r\nDTSTART:20261225\r\nEND:VTODO\r\nEND:VCALENDAR\r\n");
        assert!(reason.contains("(line 6 reads \"END:VTODO\")"), "{reason}");
    }

    #[test]
    fn unreadable_event_dates_name_the_event() {
        let reason = |events: &[&[&str]]| match error(events) {
            CalendarError::Malformed { reason } => reason,
            other => panic!("{other}"),
        };
        let msg = reason(&[&["SUMMARY:Chuseok", "DTSTART;VALUE=DATE:2026-09-24"]]);
        assert!(
            msg.contains("event \"Chuseok\" (line 4) has \"DTSTART;VALUE=DATE:2026-09-24\"")
                && msg.contains("DTSTART;VALUE=DATE:20261225"),
            "{msg}"
        );
        assert!(reason(&[&["UID:u1", "SUMMARY:x"]]).contains("has no DTSTART"));
        assert!(reason(&[&["DTSTART:20260230"]]).contains("at line 4"));
        assert!(reason(&[&["DTSTART:20261224", "DTEND:20261220"]]).contains("before it starts"));
        assert!(
            reason(&[&["DTSTART:20261224", "DTEND:20261226", "DURATION:P2D"]])
                .contains("both DTEND and DURATION")
        );
        assert!(reason(&[&["DTSTART:20261224", "DTEND:20261226T000000"]])
            .contains("DTEND;VALUE=DATE:20261226"));
        assert!(reason(&[&[
            "DTSTART:20261224",
            "RRULE:FREQ=YEARLY",
            "EXDATE:20271224T000000Z"
        ]])
        .contains("EXDATE"));
        assert!(
            reason(&[&["DTSTART:20261224", "RRULE:FREQ=YEARLY;COUNT=zero"]]).contains("COUNT=zero")
        );
    }

    #[test]
    fn absurd_input_is_refused() {
        let err = error(&[&[
            "SUMMARY:Sabbatical",
            "DTSTART;VALUE=DATE:20260601",
            "DTEND;VALUE=DATE:20270603",
        ]]);
        assert_eq!(
            err,
            CalendarError::EventTooLong {
                event: "\"Sabbatical\" (line 4)".into(),
                days: 367
            }
        );
        // A year to the day is still a (long) break.
        let got = parse(&[&["DTSTART;VALUE=DATE:20260601", "DURATION:P366D"]]);
        assert_eq!(got.dates.len(), 366);

        // Sixteen one-year events, one after the other: more days than any holiday plan.
        let events: Vec<Vec<String>> = (0..16)
            .map(|i| {
                let start = day("2026-06-01") + chrono::Days::new(i * 366);
                vec![
                    format!("DTSTART;VALUE=DATE:{}", start.format("%Y%m%d")),
                    "DURATION:P366D".into(),
                ]
            })
            .collect();
        let events: Vec<Vec<&str>> = events
            .iter()
            .map(|e| e.iter().map(String::as_str).collect())
            .collect();
        let events: Vec<&[&str]> = events.iter().map(Vec::as_slice).collect();
        assert_eq!(error(&events), CalendarError::TooManyDates);
    }

    #[test]
    fn folded_lines_are_unfolded_and_lines_counted_in_the_file() {
        let text = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nSUMMARY:A very long holiday name that an exporter folds at seventy\r\n -five octets\r\nDTSTART;VALU\r\n E=DATE:2026\r\n\t1225\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nSUMMARY:Team\r\n  week\r\nDTSTART;VALUE=DATE:20260803\r\nRRULE:FREQ=WEEK\r\n LY\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
        let err = parse_calendar(text, today()).unwrap_err();
        // The second event begins on the file's line 10, after two folded lines.
        assert_eq!(
            err,
            CalendarError::UnsupportedRecurrence {
                event: "\"Team week\" (line 10)".into(),
                rule: "RRULE FREQ=WEEKLY".into()
            }
        );
        let fixed = text.replace("FREQ=WEEK\r\n LY", "FREQ=YEARLY;COUNT=1");
        let got = parse_calendar(&fixed, today()).unwrap();
        assert_eq!(got.dates, days(&["2026-08-03", "2026-12-25"]));
        // Plain LF files, as hand-written ones often are, read the same.
        let got = parse_calendar(&fixed.replace("\r\n", "\n"), today()).unwrap();
        assert_eq!(got.dates, days(&["2026-08-03", "2026-12-25"]));
    }

    #[test]
    fn other_components_and_a_byte_order_mark_are_fine() {
        let text = "\u{feff}BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VTIMEZONE\r\nTZID:Asia/Seoul\r\nBEGIN:STANDARD\r\nDTSTART:19700101T000000\r\nTZOFFSETFROM:+0900\r\nTZOFFSETTO:+0900\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\nBEGIN:VEVENT\r\nSUMMARY:Day off\r\nDTSTART;VALUE=DATE:20260612\r\nBEGIN:VALARM\r\nACTION:DISPLAY\r\nTRIGGER:-P1D\r\nEND:VALARM\r\nEND:VEVENT\r\nBEGIN:VTODO\r\nDTSTART:20260613\r\nEND:VTODO\r\nEND:VCALENDAR\r\n";
        let got = parse_calendar(text, today()).unwrap();
        assert_eq!(got.dates, days(&["2026-06-12"]));
    }

    #[test]
    fn the_example_team_calendar() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/holidays.ics");
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.contains("\r\n ") && !text.replace("\r\n", "").contains('\n'),
            "CRLF, folded"
        );
        let got = read_calendar(&path, today()).unwrap();
        assert_eq!(
            got.dates,
            days(&[
                // Chuseok 2026 (Chuseok 2025 is past).
                "2026-09-24",
                "2026-09-25",
                "2026-09-26",
                // The company's founding day, once.
                "2026-11-06",
                // Christmas (yearly), the winter break up to its DTEND, New Year (yearly).
                "2026-12-25",
                "2026-12-28",
                "2026-12-29",
                "2026-12-30",
                "2026-12-31",
                "2027-01-01",
                "2027-09-14",
                "2027-09-15",
                "2027-09-16",
                "2027-12-25",
                // The window ends on 2028-06-01.
                "2028-01-01",
            ])
        );
        assert_eq!(got.timed_events_ignored, 1);
    }
}
