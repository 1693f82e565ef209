//! What a run tells the account: one EventBridge event per run on the default bus (for
//! rules, dashboards and chat integrations to pick up), and the notice before scale-in,
//! published to `[notify]`'s topics.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Serialize;
use tracing::{info, warn};

use crate::clients::{describe_error, Clients};
use crate::delivered::DeliveryRecord;
use crate::report::{Outcome, Report, ServiceOutcome, Summary};
use crate::resolve::SelectorOutcome;

/// The event's `source`.
pub const EVENT_SOURCE: &str = "worktime";
/// The event's `detail-type`.
pub const RUN_DETAIL_TYPE: &str = "worktime scaling run";
/// EventBridge's limit on one `PutEvents` entry is 256 KB, counted over the detail, source,
/// detail type and resources; the detail is kept this far below it.
pub const MAX_DETAIL_BYTES: usize = 250 * 1024;
/// The longest notice subject: SNS refuses a subject that is not "less than 100
/// characters" (and one with non-ASCII or control characters).
const MAX_SUBJECT_CHARS: usize = 99;
/// What a shortened subject (or stack name in it) ends with: ASCII, as SNS wants subjects.
const ELLIPSIS: &str = "...";

/// The run's event detail: the report, with the stack and schedule it belongs to.
#[derive(Debug, Serialize)]
pub struct RunDetail<'a> {
    pub stack: Option<&'a str>,
    /// `default` for `[schedule]`.
    pub schedule: &'a str,
    pub action: &'a str,
    pub dry_run: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scheduled_time: Option<DateTime<Utc>>,
    pub summary: &'a Summary,
    pub services: &'a [ServiceOutcome],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub selectors: &'a [SelectorOutcome],
    /// Present when services were left out to fit EventBridge's entry size.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trimmed: Option<Trimmed>,
    /// Present on a visitor's wake (a scale-out of one service a request woke): a rule on
    /// `detail.wake` counts or announces wakes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wake: Option<&'a WakeDetail>,
}

/// The service a request woke, and how long its hold keeps it up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WakeDetail {
    /// `cluster/service`.
    pub service: String,
    /// The end of its hold (`worktime:hold-until`).
    pub until: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Trimmed {
    pub services_omitted: usize,
    pub reason: String,
}

/// The detail of `report` as JSON, at most [`MAX_DETAIL_BYTES`]: services are left out from
/// the end (the summary still counts them all), saying how many.
pub fn run_detail(stack: Option<&str>, report: &Report) -> String {
    detail_of(stack, report, None)
}

/// [`run_detail`] with the wake it was, if a request woke the service.
fn detail_of(stack: Option<&str>, report: &Report, wake: Option<&WakeDetail>) -> String {
    let mut keep = report.services.len();
    loop {
        let omitted = report.services.len() - keep;
        let detail = RunDetail {
            stack,
            schedule: report.schedule.as_deref().unwrap_or("default"),
            action: report.action.as_str(),
            dry_run: report.dry_run,
            scheduled_time: report.scheduled_time,
            summary: &report.summary,
            services: &report.services[..keep],
            selectors: &report.selectors,
            trimmed: (omitted > 0).then(|| Trimmed {
                services_omitted: omitted,
                reason: format!(
                    "the detail was over EventBridge's entry size: {omitted} of {} services left out (the summary counts them all; the function's log has every one)",
                    report.services.len()
                ),
            }),
            wake,
        };
        let text = serde_json::to_string(&detail).unwrap_or_else(|_| "{}".into());
        if text.len() <= MAX_DETAIL_BYTES || keep == 0 {
            return text;
        }
        // Drop in proportion to the excess, at least one.
        let excess = text.len() - MAX_DETAIL_BYTES;
        let per_service = text.len() / keep.max(1);
        keep = keep.saturating_sub((excess / per_service.max(1)).max(1));
    }
}

/// Puts the run's event on the account's default bus. A failure is logged, never returned:
/// the scaling is what matters, and it is done.
pub async fn publish_run(clients: &Clients, stack: Option<&str>, report: &Report) {
    put_run_event(clients, detail_of(stack, report, None)).await
}

/// Puts a visitor's wake run's event (its `detail.wake` names the service and its hold).
pub async fn publish_wake(
    clients: &Clients,
    stack: Option<&str>,
    report: &Report,
    wake: &WakeDetail,
) {
    put_run_event(clients, detail_of(stack, report, Some(wake))).await
}

async fn put_run_event(clients: &Clients, detail: String) {
    let entry = aws_sdk_eventbridge::types::PutEventsRequestEntry::builder()
        .source(EVENT_SOURCE)
        .detail_type(RUN_DETAIL_TYPE)
        .detail(detail)
        .build();
    match clients.events.put_events().entries(entry).send().await {
        Ok(out) if out.failed_entry_count() == 0 => info!("run event put on the default bus"),
        Ok(out) => {
            let why = out
                .entries()
                .iter()
                .find_map(|e| e.error_message().map(str::to_string))
                .unwrap_or_else(|| "no reason given".into());
            warn!(reason = %why, "the run event was refused by EventBridge");
        }
        Err(error) => warn!(reason = %describe_error(&error), "could not put the run event"),
    }
}

/// The notice: which services the coming scale-in stops, which stay up and why, and the
/// command that keeps one up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeMessage {
    pub subject: String,
    pub body: String,
}

/// Writes the notice for `report` (a dry-run scale-in planned at `stop_at`).
pub fn notice_message(
    stack: Option<&str>,
    report: &Report,
    stop_at: DateTime<Utc>,
    zone: Tz,
) -> NoticeMessage {
    let local = stop_at.with_timezone(&zone);
    let at = format!("{} ({})", local.format("%H:%M"), zone.name());
    let stopping: Vec<&ServiceOutcome> = report
        .services
        .iter()
        .filter(|s| s.outcome == Outcome::WouldChange)
        .collect();
    let staying: Vec<&ServiceOutcome> = report
        .services
        .iter()
        .filter(|s| matches!(s.outcome, Outcome::Held | Outcome::Skipped))
        .collect();
    let failed: Vec<&ServiceOutcome> = report
        .services
        .iter()
        .filter(|s| s.outcome == Outcome::Failed)
        .collect();
    let name = |s: &ServiceOutcome| {
        s.resource_id
            .strip_prefix("service/")
            .unwrap_or(&s.resource_id)
            .to_string()
    };
    let subject = notice_subject(stack, stopping.len(), &at);
    let mut body = format!(
        "worktime stack {}, schedule {}: working hours end at {at}, {} {} UTC.\n",
        stack.unwrap_or("(unnamed)"),
        report.schedule.as_deref().unwrap_or("default"),
        local.format("%Y-%m-%d"),
        stop_at.format("%H:%M")
    );
    if stopping.is_empty() {
        body.push_str("\nNo service will be stopped.\n");
    } else {
        body.push_str("\nThese services scale in to zero then:\n");
        for s in &stopping {
            let tasks = s
                .desired_before
                .map(|d| format!("{d} task(s) now"))
                .unwrap_or_default();
            body.push_str(&format!("  {:<40} {tasks}\n", name(s)));
        }
    }
    if !staying.is_empty() {
        body.push_str("\nStaying up:\n");
        for s in &staying {
            body.push_str(&format!(
                "  {:<40} {}\n",
                name(s),
                s.reason.as_deref().unwrap_or_default()
            ));
        }
    }
    if !failed.is_empty() {
        body.push_str("\nCould not be checked (the scale-in will try them):\n");
        for s in &failed {
            body.push_str(&format!(
                "  {:<40} {}\n",
                name(s),
                s.reason.as_deref().unwrap_or_default()
            ));
        }
    }
    if let Some(first) = stopping.first() {
        body.push_str(&format!(
            "\nTo keep a service up tonight, from your worktime configuration's directory:\n  worktime hold {} --for 3h\n(or --until \"YYYY-MM-DD HH:MM\" in {}; `worktime hold {} --clear` undoes it)\n",
            name(first),
            zone.name(),
            name(first)
        ));
    }
    NoticeMessage { subject, body }
}

/// `worktime <stack>: N service(s) stop at HH:MM (<zone>)`, as SNS takes it: under 100
/// characters, ASCII without control characters. A long stack name is shortened first (the
/// time and count are what the reader needs), then the whole line if it is still too long;
/// each cut is on a character boundary and ends with `...`.
fn notice_subject(stack: Option<&str>, stopping: usize, at: &str) -> String {
    let tail = format!(": {stopping} service(s) stop at {at}");
    let head = match stack {
        None => "worktime".to_string(),
        Some(name) => {
            let room = MAX_SUBJECT_CHARS
                .saturating_sub("worktime ".len() + tail.chars().count())
                .max(ELLIPSIS.len() + 1);
            format!("worktime {}", shorten(name, room))
        }
    };
    let subject: String = format!("{head}{tail}")
        .chars()
        .map(|c| {
            if c.is_ascii() && !c.is_ascii_control() {
                c
            } else {
                '?'
            }
        })
        .collect();
    shorten(&subject, MAX_SUBJECT_CHARS)
}

/// `text` in at most `max` characters: cut on a character boundary, ending with `...`.
fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let kept: String = text
        .chars()
        .take(max.saturating_sub(ELLIPSIS.len()))
        .collect();
    kept + ELLIPSIS
}

/// Publishes the notice to every topic that has not had it yet; the first failure is
/// returned (the invocation then fails, and Lambda retries it: a notice nobody got is worth
/// another try). With a `record`, each topic that accepts the notice is recorded at once, so
/// the retry skips it: SNS standard topics do not de-duplicate.
pub async fn publish_notice(
    clients: &Clients,
    topics: &[String],
    message: &NoticeMessage,
    record: Option<&DeliveryRecord<'_>>,
) -> Result<(), String> {
    if topics.is_empty() {
        warn!("a notice with no topic to publish to (WORKTIME_NOTIFY_TOPICS is empty)");
        return Ok(());
    }
    let mut delivered = match record {
        Some(record) => Some(record.load().await),
        None => None,
    };
    for topic in topics {
        if delivered.as_ref().is_some_and(|d| d.has(topic)) {
            info!(topic = %topic, "the notice reached this topic on an earlier attempt; not sent again");
            continue;
        }
        clients
            .sns
            .publish()
            .topic_arn(topic)
            .subject(&message.subject)
            .message(&message.body)
            .send()
            .await
            .map_err(|e| format!("publishing the notice to {topic}: {}", describe_error(&e)))?;
        info!(topic = %topic, "notice published");
        if let (Some(record), Some(delivered)) = (record, delivered.as_mut()) {
            delivered.add(topic);
            record.save(delivered).await;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::ecs::Capacity;
    use crate::event::Action;

    fn line(id: &str, outcome: Outcome, reason: Option<&str>) -> ServiceOutcome {
        ServiceOutcome {
            resource_id: id.into(),
            action: Action::ScaleIn,
            outcome,
            before: Some(Capacity { min: 1, max: 3 }),
            after: Some(Capacity::ZERO),
            desired_before: Some(2),
            desired_after: Some(0),
            remembered: None,
            reason: reason.map(str::to_string),
        }
    }

    fn report(services: Vec<ServiceOutcome>) -> Report {
        Report {
            action: Action::Notice,
            dry_run: true,
            scheduled_time: None,
            schedule: None,
            summary: Summary::of(&services),
            services,
            selectors: Vec::new(),
            wave: None,
        }
    }

    #[test]
    fn the_notice_names_what_stops_what_stays_and_the_command() {
        let stop = Utc.with_ymd_and_hms(2026, 11, 27, 10, 0, 0).unwrap();
        let message = notice_message(
            Some("wt"),
            &report(vec![
                line("service/prod/api", Outcome::WouldChange, None),
                line(
                    "service/prod/batch",
                    Outcome::Held,
                    Some("held until 2026-11-27T14:00:00Z"),
                ),
                line("service/prod/idle", Outcome::Unchanged, None),
            ]),
            stop,
            chrono_tz::Asia::Seoul,
        );
        assert_eq!(
            message.subject,
            "worktime wt: 1 service(s) stop at 19:00 (Asia/Seoul)"
        );
        assert!(message.body.contains("prod/api"), "{}", message.body);
        assert!(message.body.contains("2 task(s) now"), "{}", message.body);
        assert!(
            message.body.contains("held until 2026-11-27T14:00:00Z"),
            "{}",
            message.body
        );
        assert!(!message.body.contains("prod/idle"), "{}", message.body);
        assert!(
            message.body.contains("worktime hold prod/api --for 3h"),
            "{}",
            message.body
        );
        assert!(
            message.body.contains("2026-11-27 10:00 UTC"),
            "{}",
            message.body
        );
    }

    #[test]
    fn a_long_stack_name_or_zone_never_makes_the_subject_too_long_for_sns() {
        let stop = Utc.with_ymd_and_hms(2026, 11, 27, 10, 0, 0).unwrap();
        let two = report(vec![
            line("service/prod/api", Outcome::WouldChange, None),
            line("service/prod/worker", Outcome::WouldChange, None),
        ]);
        // A 128-character stack name: shortened, the count, time and zone kept.
        let stack = format!("wt-{}", "x".repeat(125));
        assert_eq!(stack.chars().count(), 128);
        let subject = notice_message(Some(&stack), &two, stop, chrono_tz::Asia::Seoul).subject;
        assert!(subject.chars().count() < 100, "{subject}");
        assert!(subject.starts_with("worktime wt-xxx"), "{subject}");
        assert!(
            subject.ends_with("...: 2 service(s) stop at 19:00 (Asia/Seoul)"),
            "{subject}"
        );
        assert!(subject.is_ascii(), "{subject}");
        // The longest zone name, with the long stack name: still under 100.
        let zone: Tz = "America/Argentina/ComodRivadavia".parse().unwrap();
        let subject = notice_message(Some(&stack), &two, stop, zone).subject;
        assert!(subject.chars().count() < 100, "{subject}");
        assert!(
            subject.ends_with("(America/Argentina/ComodRivadavia)"),
            "{subject}"
        );
        // Multi-byte characters (never in a validated stack name, but the environment could
        // carry anything): cut on a character boundary, sent as ASCII.
        let subject = notice_message(Some(&"ü".repeat(128)), &two, stop, zone).subject;
        assert!(subject.chars().count() < 100, "{subject}");
        assert!(
            subject.is_ascii() && subject.contains("?...: 2 service(s)"),
            "{subject}"
        );
        // Nothing cut when it fits.
        assert_eq!(
            notice_message(None, &two, stop, chrono_tz::Asia::Seoul).subject,
            "worktime: 2 service(s) stop at 19:00 (Asia/Seoul)"
        );
        assert_eq!(shorten("abcdef", 6), "abcdef");
        assert_eq!(shorten("abcdefg", 6), "abc...");
        assert_eq!(shorten(&"é".repeat(10), 5), "éé...");
    }

    #[test]
    fn a_huge_run_detail_is_trimmed_and_says_so() {
        let services: Vec<ServiceOutcome> = (0..5000)
            .map(|i| {
                line(
                    &format!("service/prod/{}-{i}", "x".repeat(60)),
                    Outcome::Changed,
                    Some(&"why ".repeat(20)),
                )
            })
            .collect();
        let report = report(services);
        let text = run_detail(Some("wt"), &report);
        assert!(text.len() <= MAX_DETAIL_BYTES, "{}", text.len());
        let detail: serde_json::Value = serde_json::from_str(&text).unwrap();
        let kept = detail["services"].as_array().unwrap().len();
        assert!(kept > 0 && kept < 5000);
        assert_eq!(detail["trimmed"]["services_omitted"], 5000 - kept);
        assert_eq!(detail["summary"]["changed"], 5000);
        // A small run is whole.
        let small = run_detail(Some("wt"), &report_of_one());
        assert!(!small.contains("trimmed"), "{small}");
    }

    #[test]
    fn a_wake_runs_event_names_the_service_and_its_hold_and_a_triggers_has_none() {
        let wake = WakeDetail {
            service: "prod/api".into(),
            until: "2026-12-03T23:00:00Z".into(),
        };
        let detail: serde_json::Value =
            serde_json::from_str(&detail_of(Some("wt"), &report_of_one(), Some(&wake))).unwrap();
        assert_eq!(
            detail["wake"],
            serde_json::json!({"service": "prod/api", "until": "2026-12-03T23:00:00Z"})
        );
        assert_eq!(detail["summary"]["changed"], 1);
        let plain: serde_json::Value =
            serde_json::from_str(&run_detail(Some("wt"), &report_of_one())).unwrap();
        assert!(plain.get("wake").is_none(), "{plain}");
    }

    fn report_of_one() -> Report {
        report(vec![line("service/prod/api", Outcome::Changed, None)])
    }
}
