//! The validator: raw TOML structs → typed settings, each error naming key, line and fix.
//! The top-level tables live here; `[[accounts]]` and `[stacksets]` have files of their own.

use std::collections::HashSet;
use std::path::Path;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use indexmap::IndexMap;
use worktime_lambda::{
    is_valid_ecs_name, Capacity, ClusterScope, TagMatch, ALL_CLUSTERS,
    DEFAULT_READY_WITHIN_MINUTES, DEFAULT_WAVE_TIMEOUT_MINUTES, MAX_READY_WITHIN_MINUTES,
    MAX_SELECTORS, MAX_SERVICES, MAX_WAVE, MAX_WAVE_TIMEOUT_MINUTES,
};

use super::calendar::read_calendar;
use super::error::line_of;
use super::ids::{
    is_email_address, is_role_arn, is_topic_arn, is_valid_region, parse_date, pascal_case,
    schedule_name_problem, stack_name_problem, suggest_zone, MAX_SCHEDULE_NAME_LEN,
    MAX_STACK_NAME_LEN,
};
use super::raw;
use super::{
    Architecture, CapacitySpec, ConfigError, Fleet, FunctionSettings, Notice, NotifySettings,
    Schedule, SelectorSpec, SelectorWake, ServiceSpec, StackConfig, StackSettings, Trigger,
    MAX_WARN_BEFORE_MINUTES,
};
use super::{WakeSpec, DEFAULT_WAKE_IDLE_MINUTES, WAKE_IDLE_MINUTES};
use super::{DEFAULT_RECONCILE_MINUTES, MAX_SKIP_RANGE_DAYS, RECONCILE_MINUTES};
use crate::cron::{observes_dst, AwsCron};

/// Why `name` cannot be an Auto Scaling group's name (1-255 characters, no control
/// characters); an ARN is refused too: the Auto Scaling API takes the name.
fn autoscaling_group_name_problem(name: &str) -> Option<&'static str> {
    if name.is_empty() || name.chars().count() > 255 {
        Some("is not an Auto Scaling group name: 1-255 characters")
    } else if name.chars().any(char::is_control) {
        Some("holds a control character")
    } else if name.starts_with("arn:") {
        Some("is an ARN: the Auto Scaling API takes the group's name")
    } else {
        None
    }
}

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
        let schedules = self.named_schedules(raw.schedules.unwrap_or_default())?;
        let (services, selectors) = self.services(raw.services.clone(), &schedules)?;
        let function = self.function(raw.function)?;
        let notify = raw.notify.clone().map(|n| self.notify(n)).transpose()?;
        if let (Some(settings), Some(table)) = (&notify, &raw.notify) {
            self.topic_in_region(
                "notify.sns_topic_arn",
                table.get_ref().sns_topic_arn.as_ref(),
                settings,
                &stack.region,
                "this stack",
                |topic_region| format!(
                    "use a topic in {} (stack.region), or email = [...], which has the stack create a topic of its own there; set stack.region = \"{topic_region}\" if the stack belongs there",
                    stack.region
                ),
            )?;
        }
        let accounts = self.accounts(
            raw.accounts.unwrap_or_default(),
            &raw.schedule,
            &raw.services,
            &stack,
            &schedules,
            notify.as_ref().map(|settings| {
                let arn = raw
                    .notify
                    .as_ref()
                    .and_then(|t| t.get_ref().sns_topic_arn.as_ref());
                (settings, arn)
            }),
        )?;
        let capacity = self.capacity(
            raw.capacity,
            &services,
            &selectors,
            !accounts.is_empty() || raw.stacksets.is_some(),
        )?;
        let home = StackConfig {
            path: self.path.to_path_buf(),
            stack,
            schedule,
            schedules,
            services,
            selectors,
            function,
            notify,
            capacity,
        };
        self.every_schedule_used(&home, &accounts)?;
        self.warnings_have_somewhere_to_go(&home, &accounts)?;
        // A wake's rules are read from each stack's own account when it is deployed (as
        // `rollout` does for each of the [[accounts]]); one stack set template serves every
        // account and cannot carry them.
        if raw.stacksets.is_some()
            && (home.wakes_on_request()
                || accounts.iter().any(|a| {
                    a.services.iter().any(|s| s.wake.is_some())
                        || a.selectors.iter().any(|s| s.wake.is_some())
                }))
        {
            return Err(ConfigError {
                path: self.path.to_path_buf(),
                line: None,
                key: Some("wake_on_request".into()),
                problem: "wake_on_request is not supported with [stacksets]: one stack set template serves every account, and a wake's listener rules are each account's own, read when its stack is deployed".into(),
                fix: "remove [stacksets] and roll out with [[accounts]] (worktime rollout deploys each account's stack and reads its rules), or remove wake_on_request".into(),
            });
        }
        if let Some(table) = &raw.stacksets {
            // The stack set's template carries one schedule's triggers as parameters; its
            // waves would need a state machine per instance's payload.
            if home.runs_in_waves(None)
                || accounts.iter().any(|a| {
                    a.services
                        .iter()
                        .map(|s| s.wave)
                        .chain(a.selectors.iter().map(|s| s.wave))
                        .collect::<HashSet<u8>>()
                        .len()
                        > 1
                })
            {
                return Err(self.err(
                    "stacksets",
                    Some(table),
                    "services in more than one wave are run by a Step Functions state machine, which the stack-set engine does not deploy",
                    "put every service in one wave (leave wave out), or deploy with worktime rollout's direct engine (remove [stacksets])",
                ));
            }
        }
        let stacksets = raw.stacksets.map(|t| self.stacksets(t)).transpose()?;
        Ok(Fleet {
            home,
            accounts,
            stacksets,
        })
    }

    /// `[schedules.NAME]`: each a complete schedule (no key is inherited from `[schedule]`:
    /// a team's hours are read in one place), its errors keyed `schedules.NAME.<key>`.
    fn named_schedules(
        &self,
        raw: indexmap::IndexMap<String, toml::Spanned<raw::Schedule>>,
    ) -> Result<IndexMap<String, Schedule>, ConfigError> {
        let mut out = IndexMap::with_capacity(raw.len());
        let mut logical: HashSet<String> = HashSet::new();
        for (name, table) in raw {
            let key = format!("schedules.{name}");
            if let Some(problem) = schedule_name_problem(&name) {
                return Err(self.err(
                    &key,
                    Some(&table),
                    format!("{name:?} {problem}"),
                    format!("name it with 1-{MAX_SCHEDULE_NAME_LEN} lowercase letters, digits and hyphens, starting with a letter (\"night-owls\", \"batch\")"),
                ));
            }
            if !logical.insert(pascal_case(&name)) {
                return Err(self.err(
                    &key,
                    Some(&table),
                    format!(
                        "{name:?} gives the same CloudFormation ids as another schedule ({})",
                        pascal_case(&name)
                    ),
                    "rename one of them",
                ));
            }
            let schedule = self.schedule(table.into_inner()).map_err(|mut e| {
                e.key = e
                    .key
                    .map(|k| k.replacen("schedule.", &format!("{key}."), 1));
                e
            })?;
            out.insert(name, schedule);
        }
        Ok(out)
    }

    /// `[notify]`: email addresses for a topic the stack creates, and/or an existing topic.
    pub(super) fn notify(
        &self,
        raw: toml::Spanned<raw::Notify>,
    ) -> Result<NotifySettings, ConfigError> {
        let span = raw.span();
        let table = raw.into_inner();
        let mut settings = NotifySettings::default();
        if let Some(list) = &table.email {
            settings.emails = self.unique_list(
                "notify.email",
                list,
                is_email_address,
                "is not an email address",
                "write addresses as \"name@example.com\"",
            )?;
        }
        if let Some(arn) = &table.sns_topic_arn {
            let text = arn.get_ref().trim();
            if !is_topic_arn(text) {
                return Err(self.err(
                    "notify.sns_topic_arn",
                    Some(arn),
                    format!("{text:?} is not an SNS topic ARN"),
                    "write the topic's ARN: arn:aws:sns:<region>:<account>:<name>",
                ));
            }
            if text.ends_with(".fifo") {
                return Err(self.err(
                    "notify.sns_topic_arn",
                    Some(arn),
                    format!("{text} is a FIFO topic: SNS refuses a publish to a FIFO topic without a MessageGroupId, and worktime's notices carry none, so every notice would fail (and end in the dead-letter queue)"),
                    "use a standard topic (a name without .fifo), or email = [...], which has the stack create a topic of its own",
                ));
            }
            settings.topic_arn = Some(text.to_string());
        }
        if settings.emails.is_empty() && settings.topic_arn.is_none() {
            return Err(ConfigError {
                path: self.path.to_path_buf(),
                line: Some(super::error::line_of(self.text, span.start)),
                key: Some("notify".into()),
                problem: "[notify] names no one".into(),
                fix: "add email = [\"team@example.com\"] and/or sns_topic_arn = \"arn:aws:sns:...\", or remove [notify]".into(),
            });
        }
        Ok(settings)
    }

    /// `[notify]`'s existing topic must lie in `region`, the region of a stack that uses it:
    /// CloudWatch alarms notify only a topic of their own region, and the function's SNS
    /// client is regional. `fix` gets the topic's region.
    pub(super) fn topic_in_region(
        &self,
        key: &str,
        spanned: Option<&toml::Spanned<String>>,
        notify: &NotifySettings,
        region: &str,
        whose: &str,
        fix: impl FnOnce(&str) -> String,
    ) -> Result<(), ConfigError> {
        match notify.topic_region() {
            Some(topic_region) if topic_region != region => Err(self.err(
                key,
                spanned,
                super::topic_region_problem(notify, topic_region, region, whose),
                fix(topic_region),
            )),
            _ => Ok(()),
        }
    }

    /// A notice goes to `[notify]`: a stack whose schedules warn needs it (the top-level
    /// one, or an account's `[accounts.notify]`).
    fn warnings_have_somewhere_to_go(
        &self,
        home: &StackConfig,
        accounts: &[super::Account],
    ) -> Result<(), ConfigError> {
        // The key of a schedule that warns among those a stack deploys: its `[schedule]`,
        // and the `[schedules.NAME]` its services or selectors follow.
        let warning = |schedule: &Schedule,
                       services: &[ServiceSpec],
                       selectors: &[SelectorSpec],
                       prefix: &str| {
            if schedule.notice.is_some() {
                return Some(format!("{prefix}schedule"));
            }
            home.schedules
                .iter()
                .find(|(name, named)| {
                    let name = Some(name.as_str());
                    named.notice.is_some()
                        && (services.iter().any(|s| s.schedule.as_deref() == name)
                            || selectors.iter().any(|s| s.schedule.as_deref() == name))
                })
                .map(|(name, _)| format!("schedules.{name}"))
        };
        let home_warns = home
            .notify
            .is_none()
            .then(|| warning(&home.schedule, &home.services, &home.selectors, ""))
            .flatten();
        let warns = home_warns.or_else(|| {
            accounts
                .iter()
                .filter(|a| a.notify.is_none())
                .find_map(|a| {
                    warning(
                        &a.schedule,
                        &a.services,
                        &a.selectors,
                        &format!("accounts ({}).", a.id),
                    )
                })
        });
        match warns {
            None => Ok(()),
            Some(key) => Err(ConfigError {
                path: self.path.to_path_buf(),
                line: None,
                key: Some(format!("{key}.warn_before_minutes")),
                problem: "a notice before scale-in needs somewhere to go, and there is no [notify]".into(),
                fix: "add [notify] (for an account: [accounts.notify]) with email = [...] or sns_topic_arn = \"...\", or remove warn_before_minutes".into(),
            }),
        }
    }

    /// A `[schedules.NAME]` no service or selector follows (in the stack or any account) is
    /// a mistake: its triggers would never be deployed.
    fn every_schedule_used(
        &self,
        home: &StackConfig,
        accounts: &[super::Account],
    ) -> Result<(), ConfigError> {
        for name in home.schedules.keys() {
            let follows = |services: &[ServiceSpec], selectors: &[SelectorSpec]| {
                services.iter().any(|s| s.schedule.as_deref() == Some(name))
                    || selectors
                        .iter()
                        .any(|s| s.schedule.as_deref() == Some(name))
            };
            if !follows(&home.services, &home.selectors)
                && !accounts.iter().any(|a| follows(&a.services, &a.selectors))
            {
                return Err(ConfigError {
                    path: self.path.to_path_buf(),
                    line: None,
                    key: Some(format!("schedules.{name}")),
                    problem: format!("no service or selector follows the schedule {name:?}"),
                    fix: format!("add schedule = \"{name}\" to the [[services]] entries that follow it, or remove [schedules.{name}]"),
                });
            }
        }
        Ok(())
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
        let execution_role_arn = match &raw.execution_role_arn {
            None => None,
            Some(arn) => {
                let text = arn.get_ref();
                if !is_role_arn(text) {
                    return Err(self.err(
                        "stack.execution_role_arn",
                        Some(arn),
                        format!("{text:?} is not an IAM role ARN"),
                        "use the role's full ARN, such as \"arn:aws:iam::123456789012:role/worktime-cloudformation\" (a role trusted by cloudformation.amazonaws.com), or leave the key out to deploy with your own credentials",
                    ));
                }
                Some(text.clone())
            }
        };
        Ok(StackSettings {
            name,
            region: region.clone(),
            execution_role_arn,
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
        if let Some(file) = &raw.skip_calendar {
            let path = self
                .path
                .parent()
                .unwrap_or(Path::new(""))
                .join(file.get_ref());
            let calendar = read_calendar(&path, today).map_err(|e| {
                self.err(
                    "schedule.skip_calendar",
                    Some(file),
                    e.to_string(),
                    "skip_calendar names an iCalendar (.ics) file of all-day events, relative to this configuration file",
                )
            })?;
            skip_dates.extend(calendar.dates);
        }
        skip_dates.retain(|d| *d >= today);
        skip_dates.sort();
        skip_dates.dedup();

        if let Some(m) = &raw.max_delay_minutes {
            return Err(self.err(
                "schedule.max_delay_minutes",
                Some(m),
                "max_delay_minutes is no longer used: a scale-in or scale-out now acts as long as its window lasts (until the schedule's next opposite action), and the reconcile trigger repairs the rest",
                "remove the key (see \"How a night works\" in docs/how-it-works.md)",
            ));
        }
        let reconcile_minutes = match &raw.reconcile_minutes {
            None => Some(DEFAULT_RECONCILE_MINUTES),
            Some(m) if *m.get_ref() == 0 => None,
            Some(m) => Some(
                u32::try_from(*m.get_ref())
                    .ok()
                    .filter(|m| RECONCILE_MINUTES.contains(m))
                    .ok_or_else(|| {
                        self.err(
                            "schedule.reconcile_minutes",
                            Some(m),
                            format!("{} is out of range", m.get_ref()),
                            format!(
                                "use {} to {} minutes between reconciles, or 0 to turn the reconcile off; the default is {DEFAULT_RECONCILE_MINUTES}",
                                RECONCILE_MINUTES.start(),
                                RECONCILE_MINUTES.end()
                            ),
                        )
                    })?,
            ),
        };
        let ready_within_minutes = match &raw.ready_within_minutes {
            None => DEFAULT_READY_WITHIN_MINUTES,
            Some(m) => u32::try_from(*m.get_ref())
                .ok()
                .filter(|m| (1..=MAX_READY_WITHIN_MINUTES).contains(m))
                .ok_or_else(|| {
                    self.err(
                        "schedule.ready_within_minutes",
                        Some(m),
                        format!("{} is out of range", m.get_ref()),
                        format!(
                            "use 1 to {MAX_READY_WITHIN_MINUTES} minutes (how long tasks may take to start or stop); the default is {DEFAULT_READY_WITHIN_MINUTES}"
                        ),
                    )
                })?,
        };

        let notice = match &raw.warn_before_minutes {
            None => None,
            Some(m) => {
                let minutes = u32::try_from(*m.get_ref())
                    .ok()
                    .filter(|m| (1..=MAX_WARN_BEFORE_MINUTES).contains(m))
                    .ok_or_else(|| {
                        self.err(
                            "schedule.warn_before_minutes",
                            Some(m),
                            format!("{} is out of range", m.get_ref()),
                            format!("use 1 to {MAX_WARN_BEFORE_MINUTES} minutes before scale-in"),
                        )
                    })?;
                let cron = scale_in.earlier_by(minutes).map_err(|e| {
                    self.err(
                        "schedule.warn_before_minutes",
                        Some(m),
                        e.describe_problem(),
                        "choose a warning that keeps every notice on the same day as its scale-in, or simplify scale_in",
                    )
                })?;
                if trigger == Trigger::Rules {
                    cron.to_utc(timezone, self.now).map_err(|e| {
                        self.err(
                            "schedule.warn_before_minutes",
                            Some(m),
                            format!("with trigger = \"rules\": {}", e.describe_problem()),
                            e.fix,
                        )
                    })?;
                }
                Some(Notice { minutes, cron })
            }
        };

        let wave_timeout_minutes = match &raw.wave_timeout_minutes {
            None => DEFAULT_WAVE_TIMEOUT_MINUTES,
            Some(m) => u32::try_from(*m.get_ref())
                .ok()
                .filter(|m| (1..=MAX_WAVE_TIMEOUT_MINUTES).contains(m))
                .ok_or_else(|| {
                    self.err(
                        "schedule.wave_timeout_minutes",
                        Some(m),
                        format!("{} is out of range", m.get_ref()),
                        format!(
                            "use 1 to {MAX_WAVE_TIMEOUT_MINUTES} minutes (how long one wave may take to be ready before the next one starts anyway); the default is {DEFAULT_WAVE_TIMEOUT_MINUTES}"
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
            reconcile_minutes,
            ready_within_minutes,
            notice,
            wave_timeout_minutes,
            checked_at: self.now,
        })
    }

    /// `[[services]]`: services by name and tag selectors, each checked, with the schedule it
    /// follows (one of `schedules`, or the default).
    pub(super) fn services(
        &self,
        raw: Option<toml::Spanned<Vec<toml::Spanned<raw::Service>>>>,
        schedules: &IndexMap<String, Schedule>,
    ) -> Result<(Vec<ServiceSpec>, Vec<SelectorSpec>), ConfigError> {
        const EXAMPLE: &str = "add one [[services]] table per ECS service, with cluster = \"...\" and service = \"...\" (and optionally min and max), or a tag selector: cluster = \"<name>\" or \"*\", tag = \"key=value\"";
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
                "split the services over several stacks (different stack.name), or select them by tag",
            ));
        }
        let mut seen: HashSet<(String, String)> = HashSet::new();
        let mut seen_selectors: HashSet<(ClusterScope, TagMatch)> = HashSet::new();
        let mut services = Vec::new();
        let mut selectors = Vec::new();
        for (i, entry) in list.get_ref().iter().enumerate() {
            let svc = entry.get_ref();
            let key = format!("services[{i}]");
            let capacity = self.bounds(&key, svc)?;
            let wave = match &svc.wave {
                None => 0,
                Some(w) => u8::try_from(*w.get_ref())
                    .ok()
                    .filter(|w| *w <= MAX_WAVE)
                    .ok_or_else(|| {
                        self.err(
                            format!("{key}.wave"),
                            Some(w),
                            format!("wave = {} is out of range", w.get_ref()),
                            format!("use 0 to {MAX_WAVE}: lower waves start first in the morning and stop last at night; the default is 0"),
                        )
                    })?,
            };
            let schedule = match &svc.schedule {
                None => None,
                Some(name) if schedules.contains_key(name.get_ref()) => {
                    Some(name.get_ref().clone())
                }
                Some(name) => {
                    let known: Vec<&str> = schedules.keys().map(String::as_str).collect();
                    return Err(self.err(
                        format!("{key}.schedule"),
                        Some(name),
                        format!("there is no [schedules.{}]", name.get_ref()),
                        if known.is_empty() {
                            "define it as a [schedules.NAME] table, or leave schedule out to follow [schedule]".to_string()
                        } else {
                            format!("use one of {}, or leave schedule out to follow [schedule]", known.join(", "))
                        },
                    ));
                }
            };
            match (&svc.service, &svc.tag) {
                (Some(service), None) => {
                    for (field, value) in [("cluster", &svc.cluster), ("service", service)] {
                        if !is_valid_ecs_name(value.get_ref()) {
                            let hint = if field == "cluster" && value.get_ref() == ALL_CLUSTERS {
                                " (\"*\" is for tag selectors: use tag = \"key=value\" instead of service)"
                            } else {
                                ""
                            };
                            return Err(self.err(
                                format!("{key}.{field}"),
                                Some(value),
                                format!("{:?} is not a valid ECS {field} name{hint}", value.get_ref()),
                                "use 1-255 letters, digits, hyphens and underscores (the name, not an ARN)",
                            ));
                        }
                    }
                    let id = (svc.cluster.get_ref().clone(), service.get_ref().clone());
                    if !seen.insert(id.clone()) {
                        return Err(self.err(
                            key,
                            Some(entry),
                            format!("service {:?} in cluster {:?} is listed twice", id.1, id.0),
                            "remove the duplicate [[services]] entry",
                        ));
                    }
                    services.push(ServiceSpec {
                        cluster: id.0,
                        service: id.1,
                        capacity,
                        schedule,
                        wave,
                        wake: self.wake(&key, svc)?,
                    });
                }
                (None, Some(tag)) => {
                    let wake = self.wake(&key, svc)?.map(|wake| SelectorWake {
                        wake,
                        selected: None,
                    });
                    let cluster = ClusterScope::parse(svc.cluster.get_ref()).map_err(|problem| {
                        self.err(
                            format!("{key}.cluster"),
                            Some(&svc.cluster),
                            problem,
                            "give the cluster's name, or \"*\" for every cluster of the region",
                        )
                    })?;
                    let tag_match = TagMatch::parse(tag.get_ref()).map_err(|problem| {
                        self.err(
                            format!("{key}.tag"),
                            Some(tag),
                            problem,
                            "write tag = \"key=value\" (that value) or tag = \"key\" (any value)",
                        )
                    })?;
                    if !seen_selectors.insert((cluster.clone(), tag_match.clone())) {
                        return Err(self.err(
                            key,
                            Some(entry),
                            format!("the selector {cluster}:{tag_match} is listed twice"),
                            "remove the duplicate [[services]] entry",
                        ));
                    }
                    selectors.push(SelectorSpec {
                        cluster,
                        tag: tag_match,
                        capacity,
                        schedule,
                        wave,
                        wake,
                    });
                }
                (Some(_), Some(tag)) => {
                    return Err(self.err(
                        format!("{key}.tag"),
                        Some(tag),
                        "both service and tag are given",
                        "keep service = \"...\" for one service by name, or tag = \"key=value\" to select every service carrying the tag",
                    ))
                }
                (None, None) => {
                    return Err(self.err(
                        key,
                        Some(entry),
                        "the entry names neither a service nor a tag",
                        "add service = \"<name>\" (one service) or tag = \"key=value\" (every service of the cluster carrying the tag)",
                    ))
                }
            }
        }
        if selectors.len() > MAX_SELECTORS {
            return Err(self.err(
                "services",
                Some(&list),
                format!(
                    "{} tag selectors, more than the {MAX_SELECTORS} one stack takes",
                    selectors.len()
                ),
                "use fewer, broader tags",
            ));
        }
        Ok((services, selectors))
    }

    /// `wake_on_request` and `wake_idle_minutes` of one named service: `None` without a
    /// wake; minutes without `wake_on_request = true`, or out of range, are refused.
    fn wake(&self, key: &str, svc: &raw::Service) -> Result<Option<WakeSpec>, ConfigError> {
        let on = svc.wake_on_request.as_ref().is_some_and(|w| *w.get_ref());
        let (lo, hi) = (WAKE_IDLE_MINUTES.start(), WAKE_IDLE_MINUTES.end());
        let idle_minutes = match &svc.wake_idle_minutes {
            None => DEFAULT_WAKE_IDLE_MINUTES,
            Some(m) if !on => {
                return Err(self.err(
                    format!("{key}.wake_idle_minutes"),
                    Some(m),
                    "wake_idle_minutes is given without wake_on_request = true",
                    "add wake_on_request = true (a request off hours wakes the service for this long), or remove wake_idle_minutes",
                ))
            }
            Some(m) => u32::try_from(*m.get_ref())
                .ok()
                .filter(|m| WAKE_IDLE_MINUTES.contains(m))
                .ok_or_else(|| {
                    self.err(
                        format!("{key}.wake_idle_minutes"),
                        Some(m),
                        format!("wake_idle_minutes = {} is out of range", m.get_ref()),
                        format!("use {lo} to {hi} minutes (how long a wake keeps the service up after a request); the default is {DEFAULT_WAKE_IDLE_MINUTES}"),
                    )
                })?,
        };
        Ok(on.then(|| WakeSpec {
            idle_minutes,
            key: key.to_string(),
            routes: None,
        }))
    }

    /// `[[capacity]]`: each group named once, under a cluster the config's services run on,
    /// all of whose services follow one schedule (the group follows it). Whether the group
    /// exists, and that no capacity provider manages it, is read from AWS before a deploy.
    fn capacity(
        &self,
        raw: Option<toml::Spanned<Vec<toml::Spanned<raw::CapacityGroup>>>>,
        services: &[ServiceSpec],
        selectors: &[SelectorSpec],
        many_targets: bool,
    ) -> Result<Vec<CapacitySpec>, ConfigError> {
        let Some(list) = raw else {
            return Ok(Vec::new());
        };
        if many_targets {
            return Err(self.err(
                "capacity",
                Some(&list),
                "[[capacity]] names Auto Scaling groups of one account and region, and this file also deploys to [[accounts]] or through [stacksets]",
                "keep [[capacity]] in a worktime.toml of its own for the account whose groups it names (without [[accounts]] and [stacksets])",
            ));
        }
        let mut seen: HashSet<String> = HashSet::new();
        let mut out = Vec::new();
        for (i, entry) in list.get_ref().iter().enumerate() {
            let key = format!("capacity[{i}]");
            let group = entry.get_ref();
            let cluster = group.cluster.get_ref();
            if !is_valid_ecs_name(cluster) {
                return Err(self.err(
                    format!("{key}.cluster"),
                    Some(&group.cluster),
                    format!("{cluster:?} is not a valid ECS cluster name"),
                    "give the name of the cluster whose instances the group launches (1-255 letters, digits, hyphens and underscores; not \"*\")",
                ));
            }
            let name = group.autoscaling_group.get_ref();
            if let Some(problem) = autoscaling_group_name_problem(name) {
                return Err(self.err(
                    format!("{key}.autoscaling_group"),
                    Some(&group.autoscaling_group),
                    format!("{name:?} {problem}"),
                    "give the Auto Scaling group's name as the EC2 console shows it (not its ARN)",
                ));
            }
            if !seen.insert(name.clone()) {
                return Err(self.err(
                    format!("{key}.autoscaling_group"),
                    Some(&group.autoscaling_group),
                    format!("the Auto Scaling group {name:?} is listed twice"),
                    "remove the duplicate [[capacity]] entry",
                ));
            }
            // The schedules of the services that run on the cluster: by name, or selected in
            // it; selectors of every cluster ("*") only count when nothing names it.
            let mut schedules: Vec<Option<&str>> = services
                .iter()
                .filter(|s| &s.cluster == cluster)
                .map(|s| s.schedule.as_deref())
                .chain(
                    selectors
                        .iter()
                        .filter(|s| s.cluster.to_string() == *cluster)
                        .map(|s| s.schedule.as_deref()),
                )
                .collect();
            if schedules.is_empty() {
                schedules = selectors
                    .iter()
                    .filter(|s| s.cluster.to_string() == ALL_CLUSTERS)
                    .map(|s| s.schedule.as_deref())
                    .collect();
            }
            schedules.sort();
            schedules.dedup();
            let schedule = match schedules.as_slice() {
                [] => {
                    return Err(self.err(
                        format!("{key}.cluster"),
                        Some(&group.cluster),
                        format!("no service of this configuration runs on cluster {cluster:?}: nothing would tell the group when its instances are no longer needed"),
                        format!("add the cluster's services as [[services]] entries (cluster = \"{cluster}\"), or remove this [[capacity]] entry"),
                    ))
                }
                [one] => one.map(str::to_string),
                many => {
                    let names: Vec<&str> = many
                        .iter()
                        .map(|s| s.unwrap_or(super::DEFAULT_SCHEDULE))
                        .collect();
                    return Err(self.err(
                        format!("{key}.cluster"),
                        Some(&group.cluster),
                        format!(
                            "the services on cluster {cluster:?} follow different schedules ({}): the group's instances can follow one only, and at night they would stop the tasks of services still in their working hours",
                            names.join(", ")
                        ),
                        "put the cluster's services on one schedule, or leave their instances out of [[capacity]]",
                    ));
                }
            };
            out.push(CapacitySpec {
                cluster: cluster.clone(),
                autoscaling_group: name.clone(),
                schedule,
            });
        }
        Ok(out)
    }

    /// An entry's `min`/`max`: both (checked), or neither (restore mode).
    fn bounds(&self, key: &str, svc: &raw::Service) -> Result<Option<Capacity>, ConfigError> {
        match (&svc.min, &svc.max) {
            (None, None) => Ok(None),
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
                Ok(Some(cap))
            }
            (Some(only), None) | (None, Some(only)) => {
                let (given, missing) = if svc.min.is_some() {
                    ("min", "max")
                } else {
                    ("max", "min")
                };
                Err(self.err(
                    format!("{key}.{given}"),
                    Some(only),
                    format!("{given} is given without {missing}"),
                    format!(
                        "add {missing} as well, or remove {given} to restore the capacity the service had before scale-in"
                    ),
                ))
            }
        }
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
