//! Holiday calendars and named schedules through the stack `worktime bootstrap` deploys: the
//! dates and payloads are read back from the deployed triggers and delivered to the built
//! `bootstrap`.

use chrono::{DateTime, Datelike, Months, NaiveDate, SubsecRound, TimeDelta, Utc};
use serde_json::Value;
use worktime_e2e::triggers::deployed_rule_payload;
use worktime_e2e::*;

const REGION: &str = "ap-northeast-2";

fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(0)
}

fn seoul_today() -> NaiveDate {
    // Asia/Seoul has kept UTC+9 without daylight saving since 1988.
    (Utc::now() + TimeDelta::hours(9)).date_naive()
}

fn ics_date(date: NaiveDate) -> String {
    date.format("%Y%m%d").to_string()
}

/// An export as a calendar app writes it: today off, a three-day break in ten days, a yearly
/// day first observed five years ago, and a meeting (timed: not a holiday).
fn calendar(today: NaiveDate, yearly: NaiveDate) -> String {
    let break_start = today + TimeDelta::days(10);
    let first_year = yearly.with_year(yearly.year() - 5).unwrap();
    [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//worktime tests//EN",
        "BEGIN:VEVENT",
        "UID:offsite@example.com",
        "SUMMARY:Team offsite",
        &format!("DTSTART;VALUE=DATE:{}", ics_date(today)),
        "END:VEVENT",
        "BEGIN:VEVENT",
        "UID:break@example.com",
        "SUMMARY:Break",
        &format!("DTSTART;VALUE=DATE:{}", ics_date(break_start)),
        &format!(
            "DTEND;VALUE=DATE:{}",
            ics_date(break_start + TimeDelta::days(3))
        ),
        "END:VEVENT",
        "BEGIN:VEVENT",
        "UID:founders@example.com",
        "SUMMARY:Founders' day",
        &format!("DTSTART;VALUE=DATE:{}", ics_date(first_year)),
        "RRULE:FREQ=YEARLY",
        "END:VEVENT",
        "BEGIN:VEVENT",
        "UID:standup@example.com",
        "SUMMARY:Stand-up",
        &format!("DTSTART:{}T010000Z", ics_date(today)),
        "DTEND:20300101T011500Z",
        "END:VEVENT",
        "END:VCALENDAR",
        "",
    ]
    .join("\r\n")
}

#[tokio::test]
async fn a_holiday_calendar_with_single_multi_day_and_yearly_events() {
    let moto = Moto::start_in(REGION);
    let sdk = moto.sdk().await;
    create_services(&sdk, "dev", &[("api", 2)]).await;
    let today = seoul_today();
    let mut yearly = today + TimeDelta::days(20);
    if (yearly.month(), yearly.day()) == (2, 29) {
        yearly += TimeDelta::days(1);
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("calendars")).unwrap();
    std::fs::write(
        dir.path().join("calendars/team.ics"),
        calendar(today, yearly),
    )
    .unwrap();
    write_config(
        dir.path(),
        r#"
[stack]
name = "cal"
region = "ap-northeast-2"

[schedule]
timezone = "Asia/Seoul"
scale_out = "cron(0 9 ? * MON-FRI *)"
scale_in = "cron(0 19 ? * MON-FRI *)"
trigger = "rules"
skip_calendar = "calendars/team.ics"

[[services]]
cluster = "dev"
service = "api"
"#,
    );
    let zip = function_zip(dir.path(), "fn.zip", None);
    worktime(
        dir.path(),
        &moto.env(),
        &["bootstrap", "--yes", "--artifact", zip.to_str().unwrap()],
    )
    .expect_code(0);

    // What the deployed trigger carries: each all-day date, the break expanded (DTEND is the
    // day after), the yearly day this year and next (two years ahead), no meeting.
    let morning = deployed_rule_payload(&sdk, "cal-scale-out", now())
        .await
        .unwrap();
    let deployed: Vec<&str> = morning["skip_dates"]
        .as_array()
        .expect("skip dates deployed")
        .iter()
        .map(|d| d.as_str().unwrap())
        .collect();
    let mut expected: Vec<NaiveDate> = vec![
        today,
        today + TimeDelta::days(10),
        today + TimeDelta::days(11),
        today + TimeDelta::days(12),
        yearly,
        yearly + Months::new(12),
    ];
    expected.sort();
    expected.dedup();
    let expected: Vec<String> = expected.iter().map(|d| d.to_string()).collect();
    assert_eq!(deployed, expected);

    // Today is on the calendar: the evening scales in, the morning leaves the service down.
    let mut function = FunctionRuntime::deployed(&sdk, "cal-scaler", moto.env()).await;
    let evening = deployed_rule_payload(&sdk, "cal-scale-in", now())
        .await
        .unwrap();
    function.invoke(&evening).expect_ok();
    assert_eq!(desired_count(&sdk, "dev", "api").await, 0);
    let report: Value = function.invoke(&morning).expect_ok();
    assert_eq!(report["services"][0]["outcome"], "skipped", "{report}");
    assert_eq!(desired_count(&sdk, "dev", "api").await, 0);

    // A calendar with a weekly event is refused before anything changes.
    std::fs::write(
        dir.path().join("calendars/team.ics"),
        calendar(today, yearly).replace("RRULE:FREQ=YEARLY", "RRULE:FREQ=WEEKLY"),
    )
    .unwrap();
    let run = worktime(
        dir.path(),
        &moto.env(),
        &["deploy", "--yes", "--artifact", zip.to_str().unwrap()],
    )
    .expect_code(2);
    assert!(
        run.stderr.contains("schedule.skip_calendar") && run.stderr.contains("FREQ=WEEKLY"),
        "{}",
        run.stderr
    );
}

/// Seoul's services on `[schedule]` (rules), Berlin's on `[schedules.berlin]` (Scheduler),
/// one of them chosen by tag.
const TWO_TEAMS: &str = r#"
[stack]
name = "teams"
region = "ap-northeast-2"

[schedule]
timezone = "Asia/Seoul"
scale_out = "cron(0 9 ? * MON-FRI *)"
scale_in = "cron(0 19 ? * MON-FRI *)"
trigger = "rules"

[schedules.berlin]
timezone = "Europe/Berlin"
scale_out = "cron(0 8 ? * MON-FRI *)"
scale_in = "cron(0 18 ? * MON-FRI *)"
trigger = "scheduler"

[[services]]
cluster = "seoul"
service = "api"
min = 1
max = 4

[[services]]
cluster = "berlin"
service = "api"
min = 1
max = 2
schedule = "berlin"

[[services]]
cluster = "berlin"
tag = "team=analytics"
schedule = "berlin"
"#;

#[tokio::test]
async fn two_named_schedules_deploy_four_triggers_and_each_moves_only_its_services() {
    use worktime_e2e::triggers::{deployed_schedule, deployed_schedule_payload};

    let moto = Moto::start_in(REGION);
    let sdk = moto.sdk().await;
    create_services(&sdk, "seoul", &[("api", 2)]).await;
    create_services(&sdk, "berlin", &[("api", 2), ("reports", 3)]).await;
    tag_service(&sdk, "berlin", "reports", "team", "analytics").await;
    let dir = bootstrapped(&moto, TWO_TEAMS);

    // Four triggers: [schedule]'s two rules in UTC, berlin's two schedules in its zone.
    let events = aws_sdk_eventbridge::Client::new(&sdk);
    for (rule, cron) in [
        ("teams-scale-out", "cron(0 0 ? * MON-FRI *)"),
        ("teams-scale-in", "cron(0 10 ? * MON-FRI *)"),
    ] {
        let deployed = events.describe_rule().name(rule).send().await.unwrap();
        assert_eq!(deployed.schedule_expression(), Some(cron), "{rule}");
    }
    for (name, cron) in [
        ("teams-berlin-scale-out", "cron(0 8 ? * MON-FRI *)"),
        ("teams-berlin-scale-in", "cron(0 18 ? * MON-FRI *)"),
    ] {
        let schedule = deployed_schedule(&sdk, name).await.unwrap();
        assert_eq!(schedule.expression, cron, "{name}");
        assert_eq!(schedule.timezone, "Europe/Berlin", "{name}");
        assert_eq!(schedule.state, "ENABLED", "{name}");
        assert!(
            schedule.target_arn.ends_with(":function:teams-scaler"),
            "{name}"
        );
    }
    // No Scheduler schedule for [schedule], no rule for berlin.
    assert!(deployed_schedule(&sdk, "teams-scale-in").await.is_err());
    assert!(events
        .describe_rule()
        .name("teams-berlin-scale-in")
        .send()
        .await
        .is_err());

    // Berlin's evening takes down Berlin's services (the tagged one too), not Seoul's.
    let mut function = FunctionRuntime::deployed(&sdk, "teams-scaler", moto.env()).await;
    let berlin_evening = deployed_schedule_payload(&sdk, "teams-berlin-scale-in", now())
        .await
        .unwrap();
    assert_eq!(berlin_evening["schedule"], "berlin");
    let report = function.invoke(&berlin_evening).expect_ok();
    assert_eq!(report["schedule"], "berlin", "{report}");
    assert_eq!(report["summary"]["changed"], 2, "{report}");
    assert_eq!(desired_count(&sdk, "berlin", "api").await, 0);
    assert_eq!(desired_count(&sdk, "berlin", "reports").await, 0);
    assert_eq!(desired_count(&sdk, "seoul", "api").await, 2);

    // Seoul's evening, through its rule: Seoul's service only. Its payload cannot reach the
    // selector of another schedule.
    let seoul_evening = deployed_rule_payload(&sdk, "teams-scale-in", now())
        .await
        .unwrap();
    let report = function.invoke(&seoul_evening).expect_ok();
    assert_eq!(report["summary"]["changed"], 1, "{report}");
    assert_eq!(desired_count(&sdk, "seoul", "api").await, 0);
    let mut stolen = seoul_evening.clone();
    stolen["selectors"] = serde_json::json!([{"cluster": "berlin", "tag": "team=analytics"}]);
    let error = function.invoke(&stolen).expect_err();
    assert!(
        error["errorMessage"]
            .as_str()
            .unwrap_or_default()
            .contains("default schedule"),
        "{error}"
    );

    // status groups by schedule.
    let status = worktime(dir.path(), &moto.env(), &["status"]).expect_code(0);
    let berlin = status
        .stdout
        .find("schedule berlin:")
        .expect("berlin group");
    let default = status
        .stdout
        .find("schedule default:")
        .expect("default group");
    assert!(default < berlin, "{}", status.stdout);
    let berlin_part = &status.stdout[berlin..];
    assert!(
        berlin_part.contains("service/berlin/reports"),
        "{}",
        status.stdout
    );
    assert!(
        berlin_part.contains("tag selector berlin:team=analytics"),
        "{}",
        status.stdout
    );
    assert!(
        !berlin_part.contains("service/seoul/api"),
        "{}",
        status.stdout
    );

    // Teardown gives every schedule's services back and leaves no trigger.
    worktime(dir.path(), &moto.env(), &["teardown", "--yes"]).expect_code(0);
    assert_eq!(desired_count(&sdk, "berlin", "reports").await, 3);
    assert_eq!(desired_count(&sdk, "seoul", "api").await, 2);
    assert!(deployed_schedule(&sdk, "teams-berlin-scale-in")
        .await
        .is_err());
}
