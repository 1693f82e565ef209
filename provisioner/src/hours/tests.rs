use std::path::Path;

use chrono::{NaiveDate, TimeZone, Utc};

use super::*;
use crate::config::{self, Schedule};

/// Configs are read as of this instant (skip dates after it are kept).
fn loaded_at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 7, 12, 0, 0).unwrap()
}

/// The `[schedule]` of a config with these keys, read by the config's own validation.
fn schedule(zone: &str, trigger: &str, scale_out: &str, scale_in: &str, skip: &str) -> Schedule {
    let text = format!(
        r#"
[stack]
name = "wt"
region = "ap-northeast-2"

[schedule]
timezone = "{zone}"
scale_out = "{scale_out}"
scale_in = "{scale_in}"
trigger = "{trigger}"
skip_dates = [{skip}]

[[services]]
cluster = "prod"
service = "api"
"#
    );
    config::parse(&text, Path::new("worktime.toml"), loaded_at())
        .expect("valid config")
        .home
        .schedule
}

fn seoul(trigger: &str) -> Schedule {
    schedule(
        "Asia/Seoul",
        trigger,
        "cron(0 9 ? * MON-FRI *)",
        "cron(0 19 ? * MON-FRI *)",
        "",
    )
}

fn berlin() -> Schedule {
    schedule(
        "Europe/Berlin",
        "scheduler",
        "cron(0 8 ? * MON-FRI *)",
        "cron(0 18 ? * MON-FRI *)",
        "",
    )
}

fn date(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

fn week_of(text: &str, weeks: u32) -> Period {
    Period {
        start: PeriodStart::WeekOf(date(text)),
        weeks,
    }
}

fn on_hours_by_day(chart: &WeekChart) -> Vec<Vec<u32>> {
    chart
        .days
        .iter()
        .map(|day| (0..24u32).filter(|hour| day.on[*hour as usize]).collect())
        .collect()
}

#[test]
fn seoul_nine_to_seven_on_weekdays_is_50_on_and_118_off() {
    for trigger in ["rules", "scheduler"] {
        let hours = weekly_hours(&seoul(trigger), week_of("2026-03-02", 4), loaded_at());
        assert_eq!(hours.first_monday, date("2026-03-02"), "{trigger}");
        assert_eq!(hours.end_monday, date("2026-03-30"), "{trigger}");
        assert_eq!(hours.on_hours_per_week, 50.0, "{trigger}");
        assert_eq!(hours.off_hours_per_week, 118.0, "{trigger}");
        assert_eq!(hours.weeks.len(), 4);
        for week in &hours.weeks {
            assert_eq!(
                (week.hours, week.on_hours, week.off_hours),
                (168.0, 50.0, 118.0)
            );
        }
        assert!(hours.skip_dates.is_empty());
    }
}

#[test]
fn the_berlin_week_the_clocks_change_has_167_or_169_hours_and_off_hours_absorb_it() {
    // 2030: summer time from Sunday 31 March, winter time from Sunday 27 October.
    let spring = weekly_hours(&berlin(), week_of("2030-03-27", 2), loaded_at());
    assert_eq!(spring.first_monday, date("2030-03-25"));
    let figures: Vec<(f64, f64, f64)> = spring
        .weeks
        .iter()
        .map(|w| (w.hours, w.on_hours, w.off_hours))
        .collect();
    assert_eq!(figures, [(167.0, 50.0, 117.0), (168.0, 50.0, 118.0)]);
    assert_eq!(spring.on_hours_per_week, 50.0);
    assert_eq!(spring.off_hours_per_week, 117.5);

    let autumn = weekly_hours(&berlin(), week_of("2030-10-21", 1), loaded_at());
    assert_eq!(
        (
            autumn.weeks[0].hours,
            autumn.weeks[0].on_hours,
            autumn.weeks[0].off_hours
        ),
        (169.0, 50.0, 119.0)
    );

    // A whole year holds both changes: the average is a plain week again.
    let year = weekly_hours(&berlin(), week_of("2030-01-07", 52), loaded_at());
    let odd: Vec<f64> = year
        .weeks
        .iter()
        .map(|w| w.hours)
        .filter(|h| *h != 168.0)
        .collect();
    assert_eq!(odd, [167.0, 169.0]);
    assert_eq!(year.on_hours_per_week, 50.0);
    assert_eq!(year.off_hours_per_week, 118.0);
}

#[test]
fn a_skip_date_keeps_the_services_down_that_day() {
    let christmas = schedule(
        "Asia/Seoul",
        "rules",
        "cron(0 9 ? * MON-FRI *)",
        "cron(0 19 ? * MON-FRI *)",
        r#""2030-12-25", "2031-01-01", "2031-03-01""#,
    );
    let hours = weekly_hours(&christmas, week_of("2030-12-23", 2), loaded_at());
    let on: Vec<f64> = hours.weeks.iter().map(|w| w.on_hours).collect();
    assert_eq!(on, [40.0, 40.0]);
    assert_eq!(hours.weeks[0].off_hours, 128.0);
    assert_eq!(hours.on_hours_per_week, 40.0);
    assert_eq!(hours.off_hours_per_week, 128.0);
    // Only the skip dates inside the period.
    assert_eq!(hours.skip_dates, [date("2030-12-25"), date("2031-01-01")]);
    // The chart is the crons' week: skip dates are listed, not drawn.
    let chart = week_chart(&christmas, date("2030-12-23"));
    assert!(chart.days[2].on[10], "Wednesday drawn as a working day");
}

#[test]
fn a_skip_date_on_a_day_without_scale_out_changes_nothing() {
    let weekend_skip = schedule(
        "Asia/Seoul",
        "scheduler",
        "cron(0 9 ? * MON-FRI *)",
        "cron(0 19 ? * MON-FRI *)",
        r#""2030-12-28""#,
    );
    let hours = weekly_hours(&weekend_skip, week_of("2030-12-23", 1), loaded_at());
    assert_eq!(hours.on_hours_per_week, 50.0);
    assert_eq!(hours.skip_dates, [date("2030-12-28")]);
}

#[test]
fn rules_fire_their_utc_cron_in_utc_across_the_day_boundary() {
    // 07:00 in Seoul is 22:00 UTC the day before: the rule fires SUN-THU at 22:00 UTC.
    let early = |trigger| {
        schedule(
            "Asia/Seoul",
            trigger,
            "cron(0 7 ? * MON-FRI *)",
            "cron(0 19 ? * MON-FRI *)",
            "",
        )
    };
    let rules = early("rules");
    let utc = rules.to_utc(&rules.scale_out).unwrap();
    assert_eq!(utc.to_string(), "cron(0 22 ? * SUN-THU *)");
    let (_, _, fires_in) = rules.firing_crons();
    assert_eq!(fires_in, Tz::UTC);
    let firings = rules.clock().scale_out;
    let monday_local = Utc.with_ymd_and_hms(2030, 3, 3, 22, 0, 0).unwrap(); // Mon 07:00 KST
    assert_eq!(
        firings.next_after(monday_local - TimeDelta::hours(1)),
        Some(monday_local)
    );

    let by_rules = weekly_hours(&rules, week_of("2030-03-04", 2), loaded_at());
    let by_scheduler = weekly_hours(&early("scheduler"), week_of("2030-03-04", 2), loaded_at());
    assert_eq!(by_rules.on_hours_per_week, 60.0);
    assert_eq!(by_rules, by_scheduler);
    assert_eq!(
        week_chart(&rules, date("2030-03-04")),
        week_chart(&early("scheduler"), date("2030-03-04"))
    );

    // Half-hour zone: 09:00 in Kolkata is 03:30 UTC.
    let kolkata = schedule(
        "Asia/Kolkata",
        "rules",
        "cron(0 9 ? * MON-FRI *)",
        "cron(0 18 ? * MON-FRI *)",
        "",
    );
    let hours = weekly_hours(&kolkata, week_of("2030-03-04", 1), loaded_at());
    assert_eq!(
        (hours.on_hours_per_week, hours.off_hours_per_week),
        (45.0, 123.0)
    );
}

#[test]
fn a_night_shift_is_up_at_the_start_of_the_week_when_friday_brought_it_up() {
    // Up from 22:00 to 06:00, starting Monday to Friday evenings: Friday's scale-out keeps
    // the services up through the weekend until Monday 06:00.
    let nights = schedule(
        "Asia/Seoul",
        "scheduler",
        "cron(0 22 ? * MON-FRI *)",
        "cron(0 6 ? * MON-FRI *)",
        "",
    );
    let hours = weekly_hours(&nights, week_of("2030-03-04", 1), loaded_at());
    // Mon 00–06, four nights Mon–Thu 22–06, Fri 22 → Mon 00 (the week's end): 6 + 32 + 50.
    assert_eq!(hours.on_hours_per_week, 88.0);
    let chart = week_chart(&nights, date("2030-03-04"));
    let by_day = on_hours_by_day(&chart);
    assert_eq!(by_day[0], [0, 1, 2, 3, 4, 5, 22, 23]);
    assert_eq!(by_day[5], (0..24).collect::<Vec<u32>>(), "Saturday all up");
}

#[test]
fn a_skipped_friday_leaves_the_night_shift_down_over_the_weekend() {
    let nights = schedule(
        "Asia/Seoul",
        "scheduler",
        "cron(0 22 ? * MON-FRI *)",
        "cron(0 6 ? * MON-FRI *)",
        r#""2030-03-01""#,
    );
    // Friday 1 March was skipped: down from Friday 06:00 until Monday 22:00.
    let hours = weekly_hours(&nights, week_of("2030-03-04", 1), loaded_at());
    assert_eq!(hours.on_hours_per_week, 88.0 - 6.0);
}

#[test]
fn the_chart_marks_each_local_hour_that_is_at_least_half_up() {
    let chart = week_chart(&seoul("rules"), date("2030-03-04"));
    assert_eq!(chart.monday, date("2030-03-04"));
    let names: Vec<&str> = chart.days.iter().map(|d| d.weekday.as_str()).collect();
    assert_eq!(names, ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]);
    let by_day = on_hours_by_day(&chart);
    for weekday in &by_day[..5] {
        assert_eq!(*weekday, (9..19).collect::<Vec<u32>>());
    }
    assert!(by_day[5].is_empty() && by_day[6].is_empty());

    // Half hours: up 09:30–18:00; the 9 o'clock hour is half up, so drawn up.
    let half = schedule(
        "Asia/Seoul",
        "scheduler",
        "cron(30 9 ? * MON-FRI *)",
        "cron(0 18 ? * MON-FRI *)",
        "",
    );
    let hours = weekly_hours(&half, week_of("2030-03-04", 1), loaded_at());
    assert_eq!(hours.on_hours_per_week, 42.5);
    assert_eq!(
        on_hours_by_day(&week_chart(&half, date("2030-03-04")))[0],
        (9..18).collect::<Vec<u32>>()
    );
}

#[test]
fn the_hour_the_clocks_skip_is_never_drawn_up() {
    // Up on Sundays from 00:00 to 23:00, across the night the clocks go forward.
    let sunday = schedule(
        "Europe/Berlin",
        "scheduler",
        "cron(0 0 ? * SUN *)",
        "cron(0 23 ? * SUN *)",
        "",
    );
    let chart = week_chart(&sunday, date("2030-03-25"));
    let sunday_hours = &on_hours_by_day(&chart)[6];
    // 02:00–03:00 does not exist on 31 March 2030 in Berlin.
    assert!(!sunday_hours.contains(&2), "{sunday_hours:?}");
    assert_eq!(sunday_hours.len(), 22);
    let hours = weekly_hours(&sunday, week_of("2030-03-25", 1), loaded_at());
    assert_eq!(hours.weeks[0].on_hours, 22.0);
    assert_eq!(hours.weeks[0].hours, 167.0);
}

#[test]
fn the_default_period_starts_the_monday_after_today_in_the_schedule_zone() {
    let period = Period::default();
    assert_eq!(period.weeks, DEFAULT_WEEKS);
    let zone: Tz = "Asia/Seoul".parse().unwrap();
    // Wednesday 2030-03-06 → Monday 2030-03-11.
    let wednesday = Utc.with_ymd_and_hms(2030, 3, 6, 3, 0, 0).unwrap();
    assert_eq!(period.first_monday(zone, wednesday), date("2030-03-11"));
    // A Monday starts the following week: the period is always whole weeks ahead.
    let monday = Utc.with_ymd_and_hms(2030, 3, 4, 3, 0, 0).unwrap();
    assert_eq!(period.first_monday(zone, monday), date("2030-03-11"));
    // Sunday 20:00 UTC is already Monday in Seoul.
    let sunday_utc = Utc.with_ymd_and_hms(2030, 3, 10, 20, 0, 0).unwrap();
    assert_eq!(period.first_monday(zone, sunday_utc), date("2030-03-18"));
    // WeekOf goes back to its Monday.
    let week_of = week_of("2030-03-10", 1);
    assert_eq!(week_of.first_monday(zone, monday), date("2030-03-04"));
}

#[test]
fn crons_that_never_fire_in_the_period_leave_the_services_as_they_are() {
    // Last scale-in on 2030-03-08, no scale-out after it: down the whole next week.
    let ended = schedule(
        "Asia/Seoul",
        "scheduler",
        "cron(0 9 ? * MON-FRI 2029)",
        "cron(0 19 ? * MON-FRI 2029-2030)",
        "",
    );
    let hours = weekly_hours(&ended, week_of("2031-01-06", 1), loaded_at());
    assert_eq!(hours.on_hours_per_week, 0.0);
    // Never a scale-in: up as they are.
    let never_down = schedule(
        "Asia/Seoul",
        "scheduler",
        "cron(0 9 ? * MON-FRI *)",
        "cron(0 19 ? * MON-FRI 2040)",
        "",
    );
    let hours = weekly_hours(&never_down, week_of("2030-03-04", 1), loaded_at());
    assert_eq!(hours.on_hours_per_week, 168.0);
}
