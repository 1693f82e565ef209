//! The validator: raw TOML structs → typed settings, each error naming key, line and fix.
//! The top-level tables live here; `[[accounts]]` and `[stacksets]` have files of their own.

use std::collections::HashSet;
use std::path::Path;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use worktime_lambda::{is_valid_ecs_name, Capacity, DEFAULT_MAX_DELAY_MINUTES, MAX_SERVICES};

use super::error::line_of;
use super::ids::{
    is_valid_region, parse_date, stack_name_problem, suggest_zone, MAX_STACK_NAME_LEN,
};
use super::raw;
use super::{
    Architecture, ConfigError, Fleet, FunctionSettings, Schedule, ServiceSpec, StackConfig,
    StackSettings, Trigger,
};
use super::{MAX_DELAY_MINUTES, MAX_SKIP_RANGE_DAYS};
use crate::cron::{observes_dst, AwsCron};

/// CloudWatch Logs' allowed retention periods, in days.
pub const LOG_RETENTION_DAYS: [u32; 22] = [
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

pub(super) struct Validator<'a> {
    pub(super) text: &'a str,
    pub(super) path: &'a Path,
    pub(super) now: DateTime<Utc>,
}

impl Validator<'_> {
    pub(super) fn err<T>(
        &self,
        key: impl Into<String>,
        spanned: Option<&toml::Spanned<T>>,
        problem: impl Into<String>,
        fix: impl Into<String>,
    ) -> ConfigError {
        ConfigError {
            path: self.path.to_path_buf(),
            line: spanned.map(|s| line_of(self.text, s.span().start)),
            key: Some(key.into()),
            problem: problem.into(),
            fix: fix.into(),
        }
    }

    pub(super) fn validate(&self, raw: raw::File) -> Result<Fleet, ConfigError> {
        let stack = self.stack(raw.stack)?;
        let schedule = self.schedule(raw.schedule.clone())?;
        let services = self.services(raw.services.clone())?;
        let function = self.function(raw.function)?;
        let accounts = self.accounts(
            raw.accounts.unwrap_or_default(),
            &raw.schedule,
            &raw.services,
            &stack,
        )?;
        let stacksets = raw.stacksets.map(|t| self.stacksets(t)).transpose()?;
        Ok(Fleet {
            home: StackConfig {
                path: self.path.to_path_buf(),
                stack,
                schedule,
                services,
                function,
            },
            accounts,
            stacksets,
        })
    }

    fn stack(&self, raw: raw::Stack) -> Result<StackSettings, ConfigError> {
        let name = match &raw.name {
            None => "worktime".to_string(),
            Some(n) => {
                let v = n.get_ref();
                if let Some(problem) = stack_name_problem(v) {
                    return Err(self.err(
                        "stack.name",
                        Some(n),
                        format!("{v:?} {problem}"),
                        format!(
                            "use 1-{MAX_STACK_NAME_LEN} letters, digits and hyphens, starting with a letter, such as \"worktime\" or \"worktime-prod\""
                        ),
                    ));
                }
                v.clone()
            }
        };
        let region = raw.region.get_ref();
        if !is_valid_region(region) {
            return Err(self.err(
                "stack.region",
                Some(&raw.region),
                format!("{region:?} is not an AWS Region code"),
                "use a code such as \"ap-northeast-2\", \"eu-central-1\" or \"us-east-1\"",
            ));
        }
        Ok(StackSettings {
            name,
            region: region.clone(),
        })
    }

    pub(super) fn schedule(&self, raw: raw::Schedule) -> Result<Schedule, ConfigError> {
        let tz_text = raw.timezone.get_ref().trim();
        let timezone: Tz = tz_text.parse().map_err(|_| {
            let fix = match suggest_zone(tz_text) {
                Some(s) => format!("did you mean \"{s}\"? Use an IANA zone name from the tz database"),
                None => "use a name such as \"Asia/Seoul\", \"Europe/Berlin\" or \"UTC\" (see the tz database)".to_string(),
            };
            self.err(
                "schedule.timezone",
                Some(&raw.timezone),
                format!("{tz_text:?} is not an IANA time zone name"),
                fix,
            )
        })?;

        let cron = |key: &str, s: &toml::Spanned<String>| {
            AwsCron::parse(s.get_ref()).map_err(|e| {
                self.err(
                    format!("schedule.{key}"),
                    Some(s),
                    e.describe_problem(),
                    e.fix,
                )
            })
        };
        let scale_out = cron("scale_out", &raw.scale_out)?;
        let scale_in = cron("scale_in", &raw.scale_in)?;
        if scale_out == scale_in {
            return Err(self.err(
                "schedule.scale_in",
                Some(&raw.scale_in),
                format!("scale_in is the same schedule as scale_out ({scale_out})"),
                "give scale_in the time working hours end, for example \"cron(0 19 ? * MON-FRI *)\"",
            ));
        }

        let trigger = match &raw.trigger {
            None => Trigger::Scheduler,
            Some(t) => match t.get_ref().as_str() {
                "rules" => Trigger::Rules,
                "scheduler" => Trigger::Scheduler,
                other => {
                    return Err(self.err(
                        "schedule.trigger",
                        Some(t),
                        format!("{other:?} is not a trigger kind"),
                        "use \"scheduler\" (EventBridge Scheduler, local time, handles daylight saving) or \"rules\" (EventBridge rules in UTC, zones without daylight saving only)",
                    ))
                }
            },
        };
        if trigger == Trigger::Rules {
            if observes_dst(timezone, self.now) {
                return Err(self.err(
                    "schedule.trigger",
                    raw.trigger.as_ref(),
                    format!(
                        "trigger = \"rules\" can't follow {} local time: EventBridge rules run in UTC and {} observes daylight saving time, so the schedule would drift by an hour twice a year",
                        timezone.name(),
                        timezone.name()
                    ),
                    "use trigger = \"scheduler\" (EventBridge Scheduler evaluates the cron in your time zone)",
                ));
            }
            for (key, raw_cron, parsed) in [
                ("scale_out", &raw.scale_out, &scale_out),
                ("scale_in", &raw.scale_in, &scale_in),
            ] {
                parsed.to_utc(timezone, self.now).map_err(|e| {
                    self.err(
                        format!("schedule.{key}"),
                        Some(raw_cron),
                        format!("with trigger = \"rules\": {}", e.describe_problem()),
                        e.fix,
                    )
                })?;
            }
        }

        let mut skip_dates = Vec::new();
        for (i, d) in raw.skip_dates.iter().flatten().enumerate() {
            let key = format!("schedule.skip_dates[{i}]");
            let text = d.get_ref().trim();
            let date = |s: &str| {
                parse_date(s.trim()).ok_or_else(|| {
                    self.err(
                        &key,
                        Some(d),
                        format!("{s:?} is not a date"),
                        "write dates as \"YYYY-MM-DD\" strings, for example \"2026-12-25\", or a range as \"2026-12-24..2027-01-01\"",
                    )
                })
            };
            match text.split_once("..") {
                None => skip_dates.push(date(text)?),
                Some((first, last)) => {
                    let (first, last) = (date(first)?, date(last)?);
                    let days = (last - first).num_days();
                    if !(0..MAX_SKIP_RANGE_DAYS).contains(&days) {
                        return Err(self.err(
                            &key,
                            Some(d),
                            format!("the range {text:?} runs {} days", days + 1),
                            format!("write it first date first, inclusive, at most {MAX_SKIP_RANGE_DAYS} days (\"2026-12-24..2027-01-01\")"),
                        ));
                    }
                    skip_dates.extend(first.iter_days().take(days as usize + 1));
                }
            }
        }
        // A date before today in the schedule's zone never comes again: it is not deployed.
        let today = self.now.with_timezone(&timezone).date_naive();
        skip_dates.retain(|d| *d >= today);
        skip_dates.sort();
        skip_dates.dedup();

        let max_delay_minutes = match &raw.max_delay_minutes {
            None => DEFAULT_MAX_DELAY_MINUTES,
            Some(m) => u32::try_from(*m.get_ref())
                .ok()
                .filter(|m| (1..=MAX_DELAY_MINUTES).contains(m))
                .ok_or_else(|| {
                    self.err(
                        "schedule.max_delay_minutes",
                        Some(m),
                        format!("{} is out of range", m.get_ref()),
                        format!(
                            "use 1 to {MAX_DELAY_MINUTES} minutes (Lambda keeps an undelivered event at most 6 hours); the default is {DEFAULT_MAX_DELAY_MINUTES}"
                        ),
                    )
                })?,
        };

        Ok(Schedule {
            timezone,
            scale_out,
            scale_in,
            trigger,
            skip_dates,
            max_delay_minutes,
            checked_at: self.now,
        })
    }

    pub(super) fn services(
        &self,
        raw: Option<toml::Spanned<Vec<toml::Spanned<raw::Service>>>>,
    ) -> Result<Vec<ServiceSpec>, ConfigError> {
        const EXAMPLE: &str = "add one [[services]] table per ECS service, with cluster = \"...\" and service = \"...\" (and optionally min and max)";
        let Some(list) = raw else {
            return Err(ConfigError {
                path: self.path.to_path_buf(),
                line: None,
                key: Some("services".into()),
                problem: "no services are listed".into(),
                fix: EXAMPLE.into(),
            });
        };
        if list.get_ref().is_empty() {
            return Err(self.err(
                "services",
                Some(&list),
                "the service list is empty",
                EXAMPLE,
            ));
        }
        if list.get_ref().len() > MAX_SERVICES {
            return Err(self.err(
                "services",
                Some(&list),
                format!(
                    "{} services are listed, more than the {} one stack can handle",
                    list.get_ref().len(),
                    MAX_SERVICES
                ),
                "split the services over several stacks (different stack.name)",
            ));
        }
        let mut seen: HashSet<(String, String)> = HashSet::new();
        let mut out = Vec::new();
        for (i, entry) in list.get_ref().iter().enumerate() {
            let svc = entry.get_ref();
            let key = format!("services[{i}]");
            for (field, value) in [("cluster", &svc.cluster), ("service", &svc.service)] {
                if !is_valid_ecs_name(value.get_ref()) {
                    return Err(self.err(
                        format!("{key}.{field}"),
                        Some(value),
                        format!("{:?} is not a valid ECS {field} name", value.get_ref()),
                        "use 1-255 letters, digits, hyphens and underscores (the name, not an ARN)",
                    ));
                }
            }
            let capacity = match (&svc.min, &svc.max) {
                (None, None) => None,
                (Some(min), Some(max)) => {
                    for (field, v) in [("min", min), ("max", max)] {
                        let n = *v.get_ref();
                        if n < 0 {
                            return Err(self.err(
                                format!("{key}.{field}"),
                                Some(v),
                                format!("{field} = {n} is negative"),
                                "use a task count of 0 or more",
                            ));
                        }
                        if n > i64::from(i32::MAX) {
                            return Err(self.err(
                                format!("{key}.{field}"),
                                Some(v),
                                format!("{field} = {n} is too large"),
                                "use a realistic task count",
                            ));
                        }
                    }
                    let (lo, hi) = (*min.get_ref() as i32, *max.get_ref() as i32);
                    let cap = Capacity::new(lo, hi).map_err(|_| {
                        self.err(
                            format!("{key}.min"),
                            Some(min),
                            format!("min = {lo} is greater than max = {hi}"),
                            "set min ≤ max (min is the fewest tasks during working hours, max the most)",
                        )
                    })?;
                    if cap.is_zero() {
                        return Err(self.err(
                            format!("{key}.max"),
                            Some(max),
                            "min = 0 and max = 0 would keep the service stopped during working hours too",
                            "give the working-hours capacity (max at least 1), or leave out both min and max to restore the capacity the service had before scale-in",
                        ));
                    }
                    Some(cap)
                }
                (Some(only), None) | (None, Some(only)) => {
                    let (given, missing) = if svc.min.is_some() {
                        ("min", "max")
                    } else {
                        ("max", "min")
                    };
                    return Err(self.err(
                        format!("{key}.{given}"),
                        Some(only),
                        format!("{given} is given without {missing}"),
                        format!(
                            "add {missing} as well, or remove {given} to restore the capacity the service had before scale-in"
                        ),
                    ));
                }
            };
            let id = (svc.cluster.get_ref().clone(), svc.service.get_ref().clone());
            if !seen.insert(id.clone()) {
                return Err(self.err(
                    key,
                    Some(entry),
                    format!("service {:?} in cluster {:?} is listed twice", id.1, id.0),
                    "remove the duplicate [[services]] entry",
                ));
            }
            out.push(ServiceSpec {
                cluster: id.0,
                service: id.1,
                capacity,
            });
        }
        Ok(out)
    }

    fn function(&self, raw: Option<raw::Function>) -> Result<FunctionSettings, ConfigError> {
        let mut f = FunctionSettings::default();
        let Some(raw) = raw else { return Ok(f) };
        if let Some(a) = &raw.architecture {
            f.architecture = match a.get_ref().as_str() {
                "arm64" => Architecture::Arm64,
                "x86_64" => Architecture::X86_64,
                other => {
                    return Err(self.err(
                        "function.architecture",
                        Some(a),
                        format!("{other:?} is not a Lambda architecture"),
                        "use \"arm64\" (cheaper, the default) or \"x86_64\"",
                    ))
                }
            };
        }
        let ranged =
            |key: &str, v: &Option<toml::Spanned<i64>>, lo: i64, hi: i64, what: &str| match v {
                None => Ok(None),
                Some(s) if (lo..=hi).contains(s.get_ref()) => Ok(Some(*s.get_ref() as u32)),
                Some(s) => Err(self.err(
                    format!("function.{key}"),
                    Some(s),
                    format!("{} is outside AWS's range for {what}", s.get_ref()),
                    format!("use a value from {lo} to {hi}"),
                )),
            };
        if let Some(m) = ranged(
            "memory_mb",
            &raw.memory_mb,
            128,
            10240,
            "Lambda memory (MB)",
        )? {
            f.memory_mb = m;
        }
        if let Some(t) = ranged(
            "timeout_seconds",
            &raw.timeout_seconds,
            1,
            900,
            "a Lambda timeout (seconds)",
        )? {
            f.timeout_seconds = t;
        }
        f.reserved_concurrency = ranged(
            "reserved_concurrency",
            &raw.reserved_concurrency,
            1,
            1000,
            "a function's reserved concurrency (1 up to your account's quota)",
        )?;
        if let Some(r) = &raw.log_retention_days {
            let v = *r.get_ref();
            match LOG_RETENTION_DAYS.iter().find(|d| i64::from(**d) == v) {
                Some(d) => f.log_retention_days = *d,
                None => {
                    let list: Vec<String> = LOG_RETENTION_DAYS.iter().map(u32::to_string).collect();
                    return Err(self.err(
                        "function.log_retention_days",
                        Some(r),
                        format!("{v} is not a retention period CloudWatch Logs accepts"),
                        format!("use one of {}", list.join(", ")),
                    ));
                }
            }
        }
        Ok(f)
    }
}
