//! The six cron fields: value and list syntax per field, the day-of-month and day-of-week
//! special forms, and the compact canonical rendering.

use std::collections::BTreeSet;

use super::{CronError, DomSpec, DowSpec, DOW_NAMES, MONTH_NAMES};

/// How a list field is read.
pub(super) struct FieldDef {
    name: &'static str,
    min: u32,
    max: u32,
    names: Option<&'static [&'static str]>,
    fix: &'static str,
}

pub(super) const MINUTES: FieldDef = FieldDef {
    name: "minutes",
    min: 0,
    max: 59,
    names: None,
    fix: "use a minute 0-59, a list (0,30), a range (0-30) or an increment (*/15, 5/10)",
};
pub(super) const HOURS: FieldDef = FieldDef {
    name: "hours",
    min: 0,
    max: 23,
    names: None,
    fix: "use an hour 0-23, a list (9,13), a range (9-17) or an increment (*/2)",
};
pub(super) const DAY_OF_MONTH: FieldDef = FieldDef {
    name: "day-of-month",
    min: 1,
    max: 31,
    names: None,
    fix: "use a day 1-31, a list, a range (1-15), an increment (1/7), ? (any; then set day-of-week), L (last day), LW (last weekday) or 15W (weekday nearest the 15th)",
};
pub(super) const MONTH: FieldDef = FieldDef {
    name: "month",
    min: 1,
    max: 12,
    names: Some(&MONTH_NAMES),
    fix: "use 1-12 or JAN-DEC, a list (JAN,JUL), a range (MAR-OCT), an increment (1/3) or *",
};
pub(super) const DAY_OF_WEEK: FieldDef = FieldDef {
    name: "day-of-week",
    min: 1,
    max: 7,
    names: Some(&DOW_NAMES),
    fix: "use 1-7 or SUN-SAT (SUN=1), a range (MON-FRI), a list (MON,WED,FRI), * , ? (any; then set day-of-month), 6L (last Friday of the month) or MON#2 (second Monday)",
};
pub(super) const YEAR: FieldDef = FieldDef {
    name: "year",
    min: 1970,
    max: 2199,
    names: None,
    fix: "use * or a year 1970-2199, a list, a range (2026-2027) or an increment",
};

impl FieldDef {
    pub(super) fn err(&self, problem: impl Into<String>) -> CronError {
        CronError::new(Some(self.name), problem, self.fix)
    }

    /// One value: a number or (month / day-of-week) a name.
    pub(super) fn value(&self, text: &str, whole: &str) -> Result<u32, CronError> {
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
    pub(super) fn list(&self, text: &str) -> Result<BTreeSet<u32>, CronError> {
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

pub(super) fn bits64(set: &BTreeSet<u32>) -> u64 {
    set.iter().fold(0u64, |acc, v| acc | (1u64 << v))
}

pub(super) fn set_of(bits: u64, max: u32) -> Vec<u32> {
    (0..=max).filter(|v| bits & (1u64 << v) != 0).collect()
}

pub(super) fn parse_dom(text: &str) -> Result<DomSpec, CronError> {
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

pub(super) fn parse_dow(text: &str) -> Result<DowSpec, CronError> {
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
pub(super) fn compact(set: &BTreeSet<u32>, min: u32, max: u32, names: Option<&[&str]>) -> String {
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
