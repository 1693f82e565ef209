//! Tests of cron parsing, UTC conversion and next runs.

use chrono::{DateTime, Duration, TimeZone, Utc};
use chrono_tz::Tz;

use super::fields::compact;
use super::*;

/// The instant the tests evaluate zone offsets at: fixed, so they do not depend on today.
const AT: DateTime<Utc> = DateTime::from_timestamp_nanos(1_780_000_000_000_000_000);

fn cron(s: &str) -> AwsCron {
    AwsCron::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn err(s: &str) -> String {
    AwsCron::parse(s).expect_err(s).to_string()
}

fn utc(tz: Tz, s: &str) -> String {
    cron(s)
        .to_utc(tz, AT)
        .unwrap_or_else(|e| panic!("{s}: {e}"))
        .to_string()
}

#[test]
fn parses_and_prints_canonically() {
    assert_eq!(
        cron("cron(0 9 ? * MON-FRI *)").to_string(),
        "cron(0 9 ? * MON-FRI *)"
    );
    assert_eq!(
        cron("  cron(0   9 ? *  mon-fri *) ").to_string(),
        "cron(0 9 ? * MON-FRI *)"
    );
    assert_eq!(
        cron("cron(0 9 ? * MON-FRI *)").fields.join(" "),
        "0 9 ? * MON-FRI *"
    );
    for ok in [
        "cron(0/15 * * * ? *)",
        "cron(*/5 9-17 ? JAN-MAR 2-6 2026-2027)",
        "cron(0 10 L * ? *)",
        "cron(0 10 LW * ? *)",
        "cron(0 10 15W * ? *)",
        "cron(0 10 ? * 6L *)",
        "cron(0 10 ? * MON#2 *)",
        "cron(0 10 ? * L *)",
        "cron(0,30 8,12-14 1,15 1/3 ? 2026)",
        "cron(59 23 31 12 ? 2199)",
        "cron(0 9 ? * SUN,SAT *)",
    ] {
        cron(ok);
    }
}

#[test]
fn rejects_with_field_and_fix() {
    let e = err("0 9 ? * MON-FRI *");
    assert!(
        e.contains("not an AWS cron expression") && e.contains("Fix:"),
        "{e}"
    );
    let e = err("cron(0 9 ? * MON-FRI)");
    assert!(e.contains("5 fields") && e.contains("exactly 6"), "{e}");
    let e = err("cron(60 9 ? * MON-FRI *)");
    assert!(e.starts_with("minutes field:") && e.contains("0-59"), "{e}");
    let e = err("cron(0 24 ? * MON-FRI *)");
    assert!(e.starts_with("hours field:") && e.contains("0-23"), "{e}");
    let e = err("cron(0 9 32 * ? *)");
    assert!(e.starts_with("day-of-month field:"), "{e}");
    let e = err("cron(0 9 ? 13 MON *)");
    assert!(e.starts_with("month field:"), "{e}");
    let e = err("cron(0 9 ? * FRI-MON *)");
    assert!(
        e.starts_with("day-of-week field:") && e.contains("backwards"),
        "{e}"
    );
    let e = err("cron(0 9 ? * MOX *)");
    assert!(
        e.starts_with("day-of-week field:") && e.contains("SUN-SAT"),
        "{e}"
    );
    let e = err("cron(0 9 ? * MON#6 *)");
    assert!(e.contains("1-5"), "{e}");
    let e = err("cron(0 9 ? * 8 *)");
    assert!(e.starts_with("day-of-week field:"), "{e}");
    let e = err("cron(0 9 ? * MON 1969)");
    assert!(
        e.starts_with("year field:") && e.contains("1970-2199"),
        "{e}"
    );
    let e = err("cron(0 9 * * MON-FRI *)");
    assert!(
        e.contains("you can't give both day-of-month and day-of-week")
            && e.contains("put ? in one of them"),
        "{e}"
    );
    let e = err("cron(0 9 ? * ? *)");
    assert!(e.contains("both ?"), "{e}");
    let e = err("cron(*/0 9 ? * MON *)");
    assert!(e.contains("increment"), "{e}");
    let e = err("cron(0,,5 9 ? * MON *)");
    assert!(e.contains("empty"), "{e}");
    let e = err("cron(0 9 L,5 * ? *)");
    assert!(e.starts_with("day-of-month field:"), "{e}");
    let e = err("cron(0 9 ? * MON-1 *)");
    assert!(e.contains("backwards"), "{e}");
    let e = err("cron(99999999999999999999 9 ? * MON *)");
    assert!(e.starts_with("minutes field:"), "{e}");
}

#[test]
fn required_utc_conversions() {
    let seoul = chrono_tz::Asia::Seoul;
    let kolkata = chrono_tz::Asia::Kolkata;
    assert_eq!(
        utc(seoul, "cron(0 9 ? * MON-FRI *)"),
        "cron(0 0 ? * MON-FRI *)"
    );
    assert_eq!(
        utc(seoul, "cron(0 8 ? * MON-FRI *)"),
        "cron(0 23 ? * SUN-THU *)"
    );
    assert_eq!(
        utc(seoul, "cron(0 19 ? * MON-FRI *)"),
        "cron(0 10 ? * MON-FRI *)"
    );
    assert_eq!(
        utc(kolkata, "cron(0 9 ? * MON-FRI *)"),
        "cron(30 3 ? * MON-FRI *)"
    );
    assert_eq!(
        utc(kolkata, "cron(0 5 ? * MON-FRI *)"),
        "cron(30 23 ? * SUN-THU *)"
    );
    assert_eq!(
        utc(chrono_tz::UTC, "cron(*/7 1-5 L * ? 2030)"),
        "cron(*/7 1-5 L * ? 2030)"
    );
    assert_eq!(
        utc(chrono_tz::America::Sao_Paulo, "cron(0 22 ? * MON-FRI *)"),
        "cron(0 1 ? * TUE-SAT *)"
    );
}

#[test]
fn more_utc_conversions() {
    let seoul = chrono_tz::Asia::Seoul;
    let kathmandu = chrono_tz::Asia::Kathmandu;
    assert_eq!(
        utc(kathmandu, "cron(0 9 ? * MON-FRI *)"),
        "cron(15 3 ? * MON-FRI *)"
    );
    assert_eq!(utc(seoul, "cron(0 8 * * ? *)"), "cron(0 23 * * ? *)");
    assert_eq!(utc(seoul, "cron(0 8 ? * * *)"), "cron(0 23 ? * * *)");
    assert_eq!(
        utc(seoul, "cron(0 8 ? * SUN,WED *)"),
        "cron(0 23 ? * TUE,SAT *)"
    );
    assert_eq!(utc(seoul, "cron(0 8 ? * 1-7 *)"), "cron(0 23 ? * 1-7 *)");
    assert_eq!(
        utc(seoul, "cron(*/15 10-12 ? * MON *)"),
        "cron(*/15 1-3 ? * MON *)"
    );
    assert_eq!(
        utc(seoul, "cron(0 10 15 JAN ? 2027)"),
        "cron(0 1 15 JAN ? 2027)"
    );
    assert_eq!(
        utc(seoul, "cron(0 10 ? * MON#2 *)"),
        "cron(0 1 ? * MON#2 *)"
    );
    // Sao Paulo is UTC-3: +1 day shift.
    assert_eq!(
        utc(chrono_tz::America::Sao_Paulo, "cron(0 22 ? * SAT *)"),
        "cron(0 1 ? * SUN *)"
    );
    assert_eq!(
        utc(chrono_tz::America::Sao_Paulo, "cron(0 21,22 ? * TUE *)"),
        "cron(0 0,1 ? * WED *)"
    );
    assert_eq!(
        utc(kathmandu, "cron(0,30 9-11 ? * MON *)"),
        "cron(15,45 3-5 ? * MON *)"
    );
}

#[test]
fn refuses_inexact_utc_conversions() {
    let seoul = chrono_tz::Asia::Seoul;
    for (tz, s) in [
        (seoul, "cron(0 8-10 ? * MON-FRI *)"), // straddles midnight UTC
        (seoul, "cron(0 8 15 * ? *)"),         // day-of-month shift
        (seoul, "cron(0 8 ? * 6L *)"),         // last Friday shift
        (seoul, "cron(0 8 ? * MON#2 *)"),      // nth weekday shift
        (seoul, "cron(0 8 ? * MON 2027)"),     // year boundary
        (seoul, "cron(0 8 ? JAN MON *)"),      // month boundary
        (chrono_tz::Asia::Kolkata, "cron(0,30 9 ? * MON *)"), // 3:30, 4:00: not a product
        (chrono_tz::Europe::Berlin, "cron(0 9 ? * MON-FRI *)"), // DST
    ] {
        let e = cron(s).to_utc(tz, AT).expect_err(s).to_string();
        assert!(e.contains("trigger = \"scheduler\""), "{s}: {e}");
    }
}

#[test]
fn dst_detection() {
    assert!(observes_dst(chrono_tz::Europe::Berlin, AT));
    assert!(observes_dst(chrono_tz::America::New_York, AT));
    assert!(observes_dst(chrono_tz::Australia::Sydney, AT));
    assert!(!observes_dst(chrono_tz::Asia::Seoul, AT));
    assert!(!observes_dst(chrono_tz::Asia::Kolkata, AT));
    assert!(!observes_dst(chrono_tz::UTC, AT));
    assert!(!observes_dst(chrono_tz::America::Sao_Paulo, AT));
}

fn at(tz: Tz, y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Tz> {
    tz.with_ymd_and_hms(y, mo, d, h, mi, 0).earliest().unwrap()
}

#[test]
fn next_after_basic() {
    let seoul = chrono_tz::Asia::Seoul;
    let c = cron("cron(0 9 ? * MON-FRI *)");
    // Friday 2026-01-02 09:00 → Monday 2026-01-05 09:00.
    assert_eq!(
        c.next_after(at(seoul, 2026, 1, 2, 9, 0)),
        Some(at(seoul, 2026, 1, 5, 9, 0))
    );
    assert_eq!(
        c.next_after(at(seoul, 2026, 1, 2, 8, 59)),
        Some(at(seoul, 2026, 1, 2, 9, 0))
    );
    let every = cron("cron(*/15 * * * ? *)");
    assert_eq!(
        every.next_after(at(seoul, 2026, 1, 2, 23, 50)),
        Some(at(seoul, 2026, 1, 3, 0, 0))
    );
    let past = cron("cron(0 9 * * ? 1999)");
    assert_eq!(past.next_after(at(seoul, 2026, 1, 1, 0, 0)), None);
    let feb29 = cron("cron(0 0 29 2 ? *)");
    assert_eq!(
        feb29.next_after(at(chrono_tz::UTC, 2025, 3, 1, 0, 0)),
        Some(at(chrono_tz::UTC, 2028, 2, 29, 0, 0))
    );
}

#[test]
fn next_after_special_days() {
    let utc = chrono_tz::UTC;
    let from = at(utc, 2026, 1, 1, 0, 0);
    // Last day of January 2026.
    assert_eq!(
        cron("cron(0 10 L * ? *)").next_after(from),
        Some(at(utc, 2026, 1, 31, 10, 0))
    );
    // Jan 31 2026 is a Saturday: last weekday is Friday 30th.
    assert_eq!(
        cron("cron(0 10 LW * ? *)").next_after(from),
        Some(at(utc, 2026, 1, 30, 10, 0))
    );
    // Feb 15 2026 is a Sunday → Monday 16th; Jan 17 is Saturday → Friday 16th.
    assert_eq!(
        cron("cron(0 10 17W * ? *)").next_after(from),
        Some(at(utc, 2026, 1, 16, 10, 0))
    );
    assert_eq!(
        cron("cron(0 10 15W * ? *)").next_after(at(utc, 2026, 2, 1, 0, 0)),
        Some(at(utc, 2026, 2, 16, 10, 0))
    );
    // Last Friday of January 2026: the 30th.
    assert_eq!(
        cron("cron(0 10 ? * 6L *)").next_after(from),
        Some(at(utc, 2026, 1, 30, 10, 0))
    );
    // Second Monday of January 2026: the 12th.
    assert_eq!(
        cron("cron(0 10 ? * MON#2 *)").next_after(from),
        Some(at(utc, 2026, 1, 12, 10, 0))
    );
    // L in day-of-week: Saturday.
    assert_eq!(
        cron("cron(0 10 ? * L *)").next_after(from),
        Some(at(utc, 2026, 1, 3, 10, 0))
    );
}

#[test]
fn next_after_dst() {
    let berlin = chrono_tz::Europe::Berlin;
    // 2026-03-29 02:30 doesn't exist in Berlin: skipped, next is the 30th.
    let c = cron("cron(30 2 * * ? *)");
    let next = c.next_after(at(berlin, 2026, 3, 29, 0, 0)).unwrap();
    assert_eq!(next, at(berlin, 2026, 3, 30, 2, 30));
    // 2026-10-25 02:30 happens twice: fires once, at the first (CEST, 00:30 UTC).
    let next = c.next_after(at(berlin, 2026, 10, 25, 0, 0)).unwrap();
    assert_eq!(
        next.with_timezone(&Utc).to_rfc3339(),
        "2026-10-25T00:30:00+00:00"
    );
    let after_first = next + Duration::minutes(30);
    assert_eq!(
        c.next_after(after_first).unwrap(),
        at(berlin, 2026, 10, 26, 2, 30)
    );
    // 09:00 stays 09:00 local across the change.
    let work = cron("cron(0 9 ? * MON-FRI *)");
    let n = work.next_after(at(berlin, 2026, 3, 27, 10, 0)).unwrap();
    assert_eq!(
        n.with_timezone(&Utc).to_rfc3339(),
        "2026-03-30T07:00:00+00:00"
    );
}

/// A converted cron fires at the same instants, in UTC, as the local one.
#[test]
fn utc_conversion_fires_at_the_same_instants() {
    let cases = [
        (chrono_tz::Asia::Seoul, "cron(0 8 ? * MON-FRI *)"),
        (chrono_tz::Asia::Seoul, "cron(30 19 ? * MON,WED,FRI *)"),
        (chrono_tz::Asia::Kolkata, "cron(0 5 ? * MON-FRI *)"),
        (chrono_tz::Asia::Kathmandu, "cron(0,30 1-3 * * ? *)"),
        (chrono_tz::America::Sao_Paulo, "cron(0 22 ? * SUN,FRI *)"),
    ];
    for (tz, text) in cases {
        let local = cron(text);
        let in_utc = local.to_utc(tz, AT).unwrap();
        let mut a = at(tz, 2026, 1, 1, 0, 0);
        let mut b = a.with_timezone(&chrono_tz::UTC);
        for _ in 0..40 {
            let na = local.next_after(a).unwrap();
            let nb = in_utc.next_after(b).unwrap();
            assert_eq!(
                na.with_timezone(&Utc),
                nb.with_timezone(&Utc),
                "{text} in {tz} vs {in_utc}"
            );
            a = na;
            b = nb;
        }
    }
}

#[test]
fn compact_output() {
    let s = |v: &[u32]| v.iter().copied().collect::<BTreeSet<u32>>();
    assert_eq!(compact(&s(&[1, 2, 3, 5, 7, 8]), 0, 59, None), "1-3,5,7,8");
    assert_eq!(
        compact(&s(&[1, 2, 3, 4, 5]), 1, 7, Some(&DOW_NAMES)),
        "SUN-THU"
    );
    assert_eq!(compact(&s(&[1, 7]), 1, 7, Some(&DOW_NAMES)), "SUN,SAT");
}

#[test]
fn a_warning_cron_runs_earlier_with_its_days() {
    let earlier = |s: &str, minutes: u32| {
        AwsCron::parse(s)
            .unwrap()
            .earlier_by(minutes)
            .map(|c| c.to_string())
    };
    assert_eq!(
        earlier("cron(0 19 ? * MON-FRI *)", 30).unwrap(),
        "cron(30 18 ? * MON-FRI *)"
    );
    assert_eq!(
        earlier("cron(15 19 ? * MON-FRI *)", 15).unwrap(),
        "cron(0 19 ? * MON-FRI *)"
    );
    // Across midnight: the days move with the runs.
    assert_eq!(
        earlier("cron(30 0 ? * TUE-SAT *)", 60).unwrap(),
        "cron(30 23 ? * MON-FRI *)"
    );
    // Runs that would land on two days can't be one cron.
    let error = earlier("cron(0 0,12 ? * MON-FRI *)", 60).unwrap_err();
    assert!(
        error.describe_problem().contains("60 minutes earlier"),
        "{}",
        error.describe_problem()
    );
}
