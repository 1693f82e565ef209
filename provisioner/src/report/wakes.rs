//! The wakes on request of the last seven days (`worktime report`): each woken service's
//! wakes and the hours they held it up at night, counted from the function's log group
//! (`deploy/wake/records.rs` reads and counts; this module reads the log group). The report's
//! savings count those hours as up. A log group that cannot be read is said, with the fix:
//! no wake is counted then, never zero.

use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;

use crate::config::StackConfig;
use crate::deploy::activity::log_lines_if_any;
use crate::deploy::wake::records::{self, WakeTally};

/// The days counted: a week, as the savings are per week.
pub const DAYS: i64 = 7;

/// The woken services' wakes (absent from the report without `wake_on_request`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Wakes {
    pub days: i64,
    pub since: DateTime<Utc>,
    /// Each woken service's count (empty when the log group could not be read).
    pub services: Vec<WakeTally>,
    /// Why no wake could be counted, with the fix.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
}

impl Wakes {
    /// The hours `resource_id`'s wakes held it up at night in the period (`None`: not
    /// counted).
    pub fn hours_up(&self, resource_id: &str) -> Option<f64> {
        self.services
            .iter()
            .find(|t| t.resource_id == resource_id)
            .map(|t| t.hours_up_at_night)
    }
}

/// Counts `config`'s woken services' wakes of the last [`DAYS`] days; `None` without any
/// woken service (nothing is read).
pub async fn read(
    sdk: &aws_config::SdkConfig,
    config: &StackConfig,
    now: DateTime<Utc>,
) -> Option<Wakes> {
    config.woken().next()?;
    let since = now - TimeDelta::days(DAYS);
    let log_group = format!("/aws/lambda/{}", config.function_name());
    let read = log_lines_if_any(sdk, &log_group, records::FILTER, since).await;
    let mut wakes = Wakes {
        days: DAYS,
        since,
        services: Vec::new(),
        warning: None,
    };
    let lines = match read {
        Ok(Some(lines)) => lines,
        Ok(None) => {
            wakes.warning = Some(format!(
                "the function's log group {log_group} does not exist: no wake is counted; fix: \
                 deploy the stack (worktime deploy), or run the report in its region"
            ));
            return Some(wakes);
        }
        Err(why) => {
            wakes.warning = Some(format!(
                "could not read the function's log group {log_group} ({why}): no wake is \
                 counted; fix: allow logs:FilterLogEvents on it (worktime policy --for report)"
            ));
            return Some(wakes);
        }
    };
    let events = records::wake_events(&lines);
    wakes.services = config
        .woken()
        .map(|(spec, _)| {
            let service = format!("{}/{}", spec.cluster, spec.service);
            let clock = config.schedule_named(spec.schedule.as_deref()).clock();
            let night_ends = |at: DateTime<Utc>| {
                let window = clock.window_at(at);
                (window.phase == worktime_lambda::window::Phase::Down)
                    .then_some(window.until)
                    .flatten()
            };
            records::tally(&events, &service, since, now, night_ends)
        })
        .collect();
    Some(wakes)
}
