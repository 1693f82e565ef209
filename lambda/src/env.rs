//! What the function reads from its environment, once at cold start: the event defaults,
//! the allow-list, and the log settings.

use std::collections::BTreeSet;

use chrono_tz::Tz;
use thiserror::Error;
use tracing_subscriber::filter::LevelFilter;

use crate::ecs::{resource_id, split_resource_id};
use crate::event::{EventDefaults, ServiceTarget};
use crate::selector::{AllowedSelector, AllowedSelectorEntry};

/// Zone for events that name none (`WORKTIME_TIMEZONE`, IANA name).
pub const TIMEZONE_VAR: &str = "WORKTIME_TIMEZONE";
/// Services for events that list none, such as a bare scheduled event (`WORKTIME_SERVICES`,
/// a JSON array of `{"resource_id": ..., "min": ..., "max": ...}`).
pub const SERVICES_VAR: &str = "WORKTIME_SERVICES";
/// The services the function may touch (`WORKTIME_ALLOWED_SERVICES`): comma-separated
/// `cluster/service` pairs. Absent: the services of `WORKTIME_SERVICES`; neither: none.
pub const ALLOWED_SERVICES_VAR: &str = "WORKTIME_ALLOWED_SERVICES";
/// The stack the function belongs to, named in its events (`WORKTIME_STACK`).
pub const STACK_VAR: &str = "WORKTIME_STACK";
/// SNS topic ARNs a notice is published to, comma-separated (`WORKTIME_NOTIFY_TOPICS`).
pub const NOTIFY_TOPICS_VAR: &str = "WORKTIME_NOTIFY_TOPICS";
/// The schedules the stack deploys, comma-separated (`WORKTIME_SCHEDULES`; `default` for
/// `[schedule]`): an event naming another schedule is refused. Absent: not checked.
pub const SCHEDULES_VAR: &str = "WORKTIME_SCHEDULES";
/// The tag selectors the function may resolve (`WORKTIME_ALLOWED_SELECTORS`): a JSON array of
/// `{"cluster": "<name>|*", "tag": "key=value|key", "schedule": "<name>"}` in configuration
/// order (no `schedule`: the default one). Absent: none.
pub const ALLOWED_SELECTORS_VAR: &str = "WORKTIME_ALLOWED_SELECTORS";
/// Hidden, for tests only (the template never sets it): how long a "minute" of
/// `wave_timeout_minutes` lasts, in seconds (1-60, default 60), so that a wave can time out
/// in seconds on the local endpoint. docs/testing.md documents it.
pub const TEST_WAVE_MINUTE_SECONDS_VAR: &str = "WORKTIME_TEST_WAVE_MINUTE_SECONDS";
/// Hidden, for tests only: the most a wave waits between two looks (1-60 seconds, default
/// [`crate::waves::POLL_SECONDS`]).
pub const TEST_WAVE_POLL_SECONDS_VAR: &str = "WORKTIME_TEST_WAVE_POLL_SECONDS";

/// A setting in the environment the function cannot use.
#[derive(Debug, Error, PartialEq, Eq)]
#[error("environment variable {name}: {reason}")]
pub struct EnvError {
    pub name: &'static str,
    pub reason: String,
}

/// Reads the event defaults from an environment lookup (a function, so tests pass a map).
pub fn defaults_from(lookup: impl Fn(&str) -> Option<String>) -> Result<EventDefaults, EnvError> {
    let timezone = match lookup(TIMEZONE_VAR) {
        None => None,
        Some(name) => Some(name.parse::<Tz>().map_err(|_| EnvError {
            name: TIMEZONE_VAR,
            reason: format!("{name:?} is not an IANA time zone name (e.g. \"Asia/Seoul\")"),
        })?),
    };
    let services = match lookup(SERVICES_VAR) {
        None => None,
        Some(json) => Some(
            serde_json::from_str::<Vec<ServiceTarget>>(&json).map_err(|e| EnvError {
                name: SERVICES_VAR,
                reason: format!("not a JSON array of services: {e}"),
            })?,
        ),
    };
    let allowed = match lookup(ALLOWED_SERVICES_VAR) {
        Some(list) => parse_allowed(&list)?,
        None => services
            .iter()
            .flatten()
            .map(|s| s.resource_id.clone())
            .collect(),
    };
    let allowed_selectors = match lookup(ALLOWED_SELECTORS_VAR) {
        None => Vec::new(),
        Some(json) => parse_allowed_selectors(&json)?,
    };
    let notify_topics = lookup(NOTIFY_TOPICS_VAR)
        .map(|list| {
            list.split(',')
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(|topic| {
                    if topic.starts_with("arn:") && topic.split(':').count() == 6 {
                        Ok(topic.to_string())
                    } else {
                        Err(EnvError {
                            name: NOTIFY_TOPICS_VAR,
                            reason: format!("{topic:?} is not an SNS topic ARN"),
                        })
                    }
                })
                .collect::<Result<Vec<_>, _>>()
        })
        .transpose()?
        .unwrap_or_default();
    let seconds = |name: &'static str| -> Result<Option<u32>, EnvError> {
        lookup(name)
            .map(|text| {
                text.trim()
                    .parse::<u32>()
                    .ok()
                    .filter(|s| (1..=60).contains(s))
                    .ok_or_else(|| EnvError {
                        name,
                        reason: format!("{text:?} is not 1 to 60 seconds"),
                    })
            })
            .transpose()
    };
    let wave_timing = crate::waves::Timing {
        minute_seconds: seconds(TEST_WAVE_MINUTE_SECONDS_VAR)?.unwrap_or(60),
        poll_seconds: seconds(TEST_WAVE_POLL_SECONDS_VAR)?.unwrap_or(crate::waves::POLL_SECONDS),
    };
    Ok(EventDefaults {
        wave_timing,
        services,
        timezone,
        allowed,
        allowed_selectors,
        stack: lookup(STACK_VAR).filter(|s| !s.is_empty()),
        notify_topics,
        schedules: lookup(SCHEDULES_VAR).map(|list| {
            list.split(',')
                .map(str::trim)
                .filter(|name| !name.is_empty())
                .map(str::to_string)
                .collect()
        }),
    })
}

/// The allowed selectors in configuration order, each checked as an event's selector is.
fn parse_allowed_selectors(json: &str) -> Result<Vec<AllowedSelector>, EnvError> {
    let error = |reason: String| EnvError {
        name: ALLOWED_SELECTORS_VAR,
        reason,
    };
    let entries = serde_json::from_str::<Vec<AllowedSelectorEntry>>(json).map_err(|e| {
        error(format!(
            "not a JSON array of {{\"cluster\": ..., \"tag\": ..., \"schedule\": ...}}: {e}"
        ))
    })?;
    entries
        .iter()
        .map(|entry| AllowedSelector::parse(entry).map_err(&error))
        .collect()
}

/// `cluster/service,cluster/service` → resource ids. Blank entries are ignored, so an empty
/// value allows nothing.
fn parse_allowed(list: &str) -> Result<BTreeSet<String>, EnvError> {
    let mut allowed = BTreeSet::new();
    for entry in list.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let id = format!("service/{entry}");
        let Some((cluster, service)) = split_resource_id(&id) else {
            return Err(EnvError {
                name: ALLOWED_SERVICES_VAR,
                reason: format!("{entry:?} is not a cluster/service pair"),
            });
        };
        allowed.insert(resource_id(cluster, service));
    }
    Ok(allowed)
}

/// Logs to stderr: JSON when Lambda's log format is JSON (`AWS_LAMBDA_LOG_FORMAT=JSON`),
/// plain text otherwise; level from `AWS_LAMBDA_LOG_LEVEL` (Lambda's advanced logging
/// controls), else `RUST_LOG` (a level: `debug`, `info`, ...), else `info`.
///
/// Not `lambda_runtime::tracing::init_default_subscriber`: its JSON lines carry no
/// `timestamp` field and do carry the runtime's span fields, and it writes to stdout. A plain
/// level filter, not `EnvFilter`: per-module directives are not worth the regex engine they
/// add to the function's zip (issue 9 measured the size each dependency costs).
pub fn init_tracing() {
    let level = match std::env::var("AWS_LAMBDA_LOG_LEVEL") {
        Ok(level) => lambda_log_level(&level),
        Err(_) => rust_log_level(std::env::var("RUST_LOG").ok().as_deref()),
    };
    let json = std::env::var("AWS_LAMBDA_LOG_FORMAT").is_ok_and(|v| v.eq_ignore_ascii_case("json"));
    let builder = tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_target(false);
    // Lambda adds its own timestamps to plain-text lines.
    if json {
        builder.json().with_current_span(false).init();
    } else {
        builder.without_time().init();
    }
}

/// Lambda's level names (TRACE, DEBUG, INFO, WARN, ERROR, FATAL) as a tracing level.
fn lambda_log_level(level: &str) -> LevelFilter {
    match level.trim().to_ascii_uppercase().as_str() {
        "TRACE" => LevelFilter::TRACE,
        "DEBUG" => LevelFilter::DEBUG,
        "WARN" => LevelFilter::WARN,
        "ERROR" | "FATAL" => LevelFilter::ERROR,
        _ => LevelFilter::INFO,
    }
}

/// `RUST_LOG` as one level: a bare level (`debug`), or the level of its last directive
/// (`worktime_lambda=debug` gives debug for everything); `info` when unset or unreadable.
fn rust_log_level(value: Option<&str>) -> LevelFilter {
    value
        .and_then(|v| v.split(',').next_back())
        .map(|directive| directive.rsplit('=').next().unwrap_or(directive).trim())
        .and_then(|level| level.parse().ok())
        .unwrap_or(LevelFilter::INFO)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            vars.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn allow_list_from_its_own_variable() {
        let defaults = defaults_from(env(&[
            (ALLOWED_SERVICES_VAR, " prod/api , prod/worker,"),
            (SERVICES_VAR, r#"[{"resource_id":"service/other/x"}]"#),
        ]))
        .unwrap();
        assert_eq!(
            defaults.allowed.iter().collect::<Vec<_>>(),
            ["service/prod/api", "service/prod/worker"]
        );
    }

    #[test]
    fn allow_list_falls_back_to_the_default_services_then_to_nothing() {
        let defaults = defaults_from(env(&[(
            SERVICES_VAR,
            r#"[{"resource_id":"service/prod/api"}]"#,
        )]))
        .unwrap();
        assert_eq!(
            defaults.allowed.iter().collect::<Vec<_>>(),
            ["service/prod/api"]
        );
        assert!(defaults_from(env(&[])).unwrap().allowed.is_empty());
        assert!(defaults_from(env(&[(ALLOWED_SERVICES_VAR, "")]))
            .unwrap()
            .allowed
            .is_empty());
    }

    #[test]
    fn bad_allow_list_entry_is_named() {
        for bad in ["prod", "prod/api/x", "service/prod/api", "prod/a b"] {
            let err = defaults_from(env(&[(ALLOWED_SERVICES_VAR, bad)])).unwrap_err();
            assert_eq!(err.name, ALLOWED_SERVICES_VAR, "{bad}");
            assert!(err.reason.contains(bad), "{err}");
        }
    }

    #[test]
    fn allowed_selectors_are_read_and_checked() {
        let defaults = defaults_from(env(&[(
            ALLOWED_SELECTORS_VAR,
            r#"[{"cluster":"*","tag":"team=web"},{"cluster":"prod","tag":"worktime","schedule":"late"}]"#,
        )]))
        .unwrap();
        let read: Vec<(String, String, Option<&str>)> = defaults
            .allowed_selectors
            .iter()
            .map(|a| {
                (
                    a.cluster.to_string(),
                    a.tag.to_string(),
                    a.schedule.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            read,
            [
                ("*".to_string(), "team=web".to_string(), None),
                ("prod".to_string(), "worktime".to_string(), Some("late"))
            ]
        );
        assert!(defaults_from(env(&[]))
            .unwrap()
            .allowed_selectors
            .is_empty());
        for bad in [
            r#"[{"cluster":"a b","tag":"t"}]"#,
            r#"[{"cluster":"a","tag":"=x"}]"#,
            "{}",
        ] {
            let err = defaults_from(env(&[(ALLOWED_SELECTORS_VAR, bad)])).unwrap_err();
            assert_eq!(err.name, ALLOWED_SELECTORS_VAR, "{bad}");
        }
    }

    #[test]
    fn lambda_levels_map_to_tracing_levels() {
        assert_eq!(lambda_log_level("DEBUG"), LevelFilter::DEBUG);
        assert_eq!(lambda_log_level("FATAL"), LevelFilter::ERROR);
        assert_eq!(lambda_log_level("whatever"), LevelFilter::INFO);
    }

    #[test]
    fn rust_log_is_read_as_one_level() {
        assert_eq!(rust_log_level(None), LevelFilter::INFO);
        assert_eq!(rust_log_level(Some("debug")), LevelFilter::DEBUG);
        assert_eq!(
            rust_log_level(Some("warn,worktime_lambda=trace")),
            LevelFilter::TRACE
        );
        assert_eq!(rust_log_level(Some("nonsense")), LevelFilter::INFO);
    }
}
