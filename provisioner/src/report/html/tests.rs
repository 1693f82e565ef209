use std::path::Path;

use chrono::{TimeZone, Utc};

use super::*;
use crate::config;
use crate::hours::{week_chart, weekly_hours, Period, PeriodStart};
use crate::report::prices::{price_for, CpuArchitecture, PriceOverrides};
use crate::report::workload::{DesiredSource, Launch};
use crate::report::{ScheduleHours, Totals};

fn sample() -> Report {
    let now = Utc.with_ymd_and_hms(2026, 1, 7, 12, 0, 0).unwrap();
    let text = r#"
[stack]
name = "wt"
region = "ap-northeast-2"

[schedule]
timezone = "Asia/Seoul"
scale_out = "cron(0 9 ? * MON-FRI *)"
scale_in = "cron(0 19 ? * MON-FRI *)"
trigger = "rules"
skip_dates = ["2030-03-06"]

[[services]]
cluster = "prod"
service = "api"
"#;
    let schedule = config::parse(text, Path::new("worktime.toml"), now)
        .unwrap()
        .home
        .schedule;
    let period = Period {
        start: PeriodStart::WeekOf("2030-03-04".parse().unwrap()),
        weeks: 2,
    };
    let hours = weekly_hours(&schedule, period, now);
    let services = vec![
        ServiceSaving {
            schedule: "default".into(),
            resource_id: "service/prod/api".into(),
            selected_by: None,
            launch_type: Some(Launch::Fargate),
            task_definition: Some("arn:aws:ecs:ap-northeast-2:1:task-definition/api:1".into()),
            cpu_architecture: Some(CpuArchitecture::Arm64),
            cpu_vcpu: Some(0.25),
            memory_gib: Some(0.5),
            working_desired: 2,
            working_desired_from: DesiredSource::Current,
            off_hours_per_week: hours.off_hours_per_week,
            wake_hours_per_week: None,
            task_hours_off_per_week: 2.0 * hours.off_hours_per_week,
            usd_per_month_saved: Some(10.5),
            reason: None,
            error: None,
        },
        ServiceSaving {
            schedule: "default".into(),
            resource_id: "service/prod/<script>alert(1)</script>".into(),
            selected_by: Some("prod:team=\"a&b\"".into()),
            launch_type: Some(Launch::Ec2),
            task_definition: None,
            cpu_architecture: None,
            cpu_vcpu: None,
            memory_gib: None,
            working_desired: 1,
            working_desired_from: DesiredSource::Remembered,
            off_hours_per_week: hours.off_hours_per_week,
            wake_hours_per_week: None,
            task_hours_off_per_week: hours.off_hours_per_week,
            usd_per_month_saved: None,
            reason: Some("EC2 launch type: task-hours only".into()),
            error: None,
        },
    ];
    Report {
        schedules: vec![ScheduleHours {
            name: "default".into(),
            timezone: "Asia/Seoul".into(),
            trigger: "rules",
            scale_out: schedule.scale_out.to_string(),
            scale_in: schedule.scale_in.to_string(),
            chart: week_chart(&schedule, hours.first_monday),
            hours,
            selector_errors: vec![],
        }],
        services,
        prices: CpuArchitecture::ALL
            .into_iter()
            .map(|a| price_for("ap-northeast-2", a, PriceOverrides::default()))
            .collect(),
        groups: Vec::new(),
        instances: crate::instances::read::Instances {
            warnings: vec![crate::instances::CapacityWarning::ManagedScalingOff {
                cluster: "batch".into(),
                provider: "batch-cp".into(),
            }
            .into()],
            unreadable: vec![],
        },
        wakes: None,
        totals: Totals {
            services: 2,
            task_hours_off_per_week: 3.0 * 123.0,
            usd_per_month_saved: Some(10.5),
            services_priced: 1,
            services_not_priced: 1,
            services_unreadable: 0,
            instance_hours_off_per_week: None,
            groups_unreadable: None,
        },
    }
}

/// The tags of `page` in order (name, closing, self-closing), comments and the doctype left
/// out; text inside `<style>` is not markup.
fn tags(page: &str) -> Vec<(String, bool, bool)> {
    let mut tags = Vec::new();
    let mut rest = page;
    while let Some(open) = rest.find('<') {
        let after = &rest[open + 1..];
        let close = after.find('>').expect("every tag is closed");
        let inside = &after[..close];
        rest = &after[close + 1..];
        if inside.starts_with('!') {
            continue;
        }
        let closing = inside.starts_with('/');
        let name: String = inside
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        tags.push((name.to_ascii_lowercase(), closing, inside.ends_with('/')));
        if name == "style" && !closing {
            let end = rest.find("</style>").expect("style is closed");
            rest = &rest[end..];
        }
    }
    tags
}

#[test]
fn the_page_is_well_formed_and_self_contained() {
    let page = render(&sample());
    assert!(page.starts_with("<!DOCTYPE html>"));
    let mut open: Vec<String> = Vec::new();
    for (name, closing, self_closing) in tags(&page) {
        if name == "meta" || self_closing {
            continue;
        }
        if closing {
            assert_eq!(
                open.pop().as_deref(),
                Some(name.as_str()),
                "</{name}> closes"
            );
        } else {
            open.push(name);
        }
    }
    assert!(open.is_empty(), "unclosed: {open:?}");

    let lower = page.to_ascii_lowercase();
    assert!(!lower.contains("<script"), "no scripts");
    assert!(
        !lower.contains("http://") && !lower.contains("https://"),
        "no URLs"
    );
    assert!(
        !lower.contains(" src=") && !lower.contains(" href="),
        "nothing fetched"
    );
    assert!(lower.contains("<style>"), "CSS inline");
}

#[test]
fn the_chart_has_a_cell_per_hour_of_the_week_and_the_tables_the_figures() {
    let page = render(&sample());
    assert_eq!(page.matches("<svg").count(), 1);
    assert_eq!(page.matches("<rect ").count(), 7 * 24);
    // Seoul 09–19 on weekdays: 50 cells up, the rest down.
    assert_eq!(page.matches("<rect class=\"up\"").count(), 50);
    assert_eq!(page.matches("<rect class=\"down\"").count(), 118);
    assert!(page.contains("<title>Mon 2030-03-04 09:00 up</title>"));
    assert!(page.contains("<title>Mon 2030-03-04 08:00 down</title>"));
    // Two weeks, the first with the skip date on Wednesday.
    assert!(page.contains("<td>2030-03-04</td><td class=\"num\">168.0</td><td class=\"num\">40.0</td><td class=\"num\">128.0</td>"));
    assert!(page.contains("Skip dates in the period (down all day): 2030-03-06"));
    assert!(page.contains("<td class=\"num\">10.50</td>"));
    assert!(page.contains("0.03725"), "the ARM64 price of Seoul");
    assert!(
        page.contains("aws.amazon.com/fargate/pricing"),
        "names the source"
    );
}

#[test]
fn text_from_aws_is_escaped() {
    let page = render(&sample());
    assert!(!page.contains("<script>alert"));
    assert!(page.contains("service/prod/&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(page.contains("prod:team=&quot;a&amp;b&quot;"));
    assert_eq!(escape("a<b>&'\""), "a&lt;b&gt;&amp;&#39;&quot;");
}

#[test]
fn the_capacity_warnings_are_listed_with_their_fixes() {
    let page = render(&sample());
    assert!(page.contains("<h2>Instances that cannot follow their services</h2>"));
    assert!(page.contains("<li>cluster batch: capacity provider batch-cp has managed scaling off"));
    assert!(page.contains("fix: <code>aws ecs update-capacity-provider --name batch-cp"));
    let mut quiet = sample();
    quiet.instances = Default::default();
    assert!(!render(&quiet).contains("Instances that cannot follow"));
}

#[test]
fn the_wakes_are_a_table_or_the_warning_that_they_could_not_be_counted() {
    let mut report = sample();
    assert!(
        !render(&report).contains("Wakes on request"),
        "none without a woken service"
    );
    let since = Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0).unwrap();
    report.wakes = Some(crate::report::wakes::Wakes {
        days: 7,
        since,
        services: vec![crate::deploy::wake::records::WakeTally {
            resource_id: "service/prod/<web>".into(),
            wakes: 3,
            hours_up_at_night: 2.5,
            usual_seconds: Some(41),
        }],
        warning: None,
    });
    let page = render(&report);
    assert!(
        page.contains("<h2>Wakes on request (the last 7 days)</h2>"),
        "{page}"
    );
    assert!(page.contains("<td>service/prod/&lt;web&gt;</td><td class=\"num\">3</td><td class=\"num\">2.5</td><td class=\"num\">41 s</td>"), "{page}");
    let text = report.to_string();
    assert!(
        text.contains("service/prod/<web>: 3 wakes, 2.5 h up at night, a wake usually takes 41 s"),
        "{text}"
    );
    // Not read: said, with the fix, and no count at all.
    let wakes = report.wakes.as_mut().unwrap();
    wakes.services.clear();
    wakes.warning = Some("could not read the function's log group /aws/lambda/wt-scaler (AccessDenied): no wake is counted; fix: allow logs:FilterLogEvents".into());
    let page = render(&report);
    assert!(page.contains("Not counted: could not read"), "{page}");
    assert!(!page.contains("<th>wakes</th>"), "{page}");
    assert!(report
        .to_string()
        .contains("warning: could not read the function's log group"));
}
