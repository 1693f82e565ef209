//! Tests of loading and validating `worktime.toml`.

use std::path::Path;

use chrono::TimeZone;

use super::ids::is_valid_region;
use super::*;

/// The instant the tests validate at: fixed, so they do not depend on today.
fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0).unwrap()
}

const GOOD: &str = r#"
[stack]
name = "worktime"
region = "ap-northeast-2"

[schedule]
timezone = "Asia/Seoul"
scale_out = "cron(0 9 ? * MON-FRI *)"
scale_in  = "cron(0 19 ? * MON-FRI *)"
trigger = "rules"
skip_dates = ["2026-12-25"]

[[services]]
cluster = "prod"
service = "api"
min = 1
max = 3

[[services]]
cluster = "prod"
service = "worker"

[function]
architecture = "arm64"
memory_mb = 128
timeout_seconds = 60
log_retention_days = 30
"#;

fn parse_str(text: &str) -> Result<Fleet, ConfigError> {
    parse(text, Path::new("worktime.toml"), now())
}

/// Replaces the first occurrence of `from` in GOOD and expects an error mentioning
/// every one of `needles`.
fn bad(from: &str, to: &str, needles: &[&str]) -> ConfigError {
    assert!(GOOD.contains(from), "{from:?} not in GOOD");
    let text = GOOD.replacen(from, to, 1);
    let e = parse_str(&text).expect_err(&text);
    let msg = e.to_string();
    for n in needles {
        assert!(msg.contains(n), "{n:?} not in {msg:?}");
    }
    assert!(msg.starts_with("worktime.toml"), "{msg}");
    assert!(msg.contains("Fix: "), "{msg}");
    assert!(!msg.contains('\n'), "{msg}");
    e
}

#[test]
fn parses_the_documented_example() {
    let c = parse_str(GOOD).unwrap();
    assert_eq!(c.home.path, PathBuf::from("worktime.toml"));
    assert_eq!(
        c.home.stack,
        StackSettings {
            name: "worktime".into(),
            region: "ap-northeast-2".into(),
            execution_role_arn: None,
        }
    );
    assert_eq!(c.home.schedule.timezone, chrono_tz::Asia::Seoul);
    assert_eq!(
        c.home.schedule.scale_out.to_string(),
        "cron(0 9 ? * MON-FRI *)"
    );
    assert_eq!(
        c.home.schedule.scale_in.to_string(),
        "cron(0 19 ? * MON-FRI *)"
    );
    assert_eq!(c.home.schedule.trigger, Trigger::Rules);
    assert_eq!(
        c.home.schedule.skip_dates,
        vec![NaiveDate::from_ymd_opt(2026, 12, 25).unwrap()]
    );
    assert_eq!(c.home.services.len(), 2);
    assert_eq!(
        c.home.services[0].capacity,
        Some(Capacity { min: 1, max: 3 })
    );
    assert_eq!(c.home.services[1].capacity, None);
    assert_eq!(c.home.services[1].service, "worker");
    assert_eq!(c.home.function, FunctionSettings::default());
    assert_eq!(c.home.function_name(), "worktime-scaler");
}

#[test]
fn defaults() {
    let text = r#"
[stack]
region = "eu-central-1"
[schedule]
timezone = "Europe/Berlin"
scale_out = "cron(0 8 ? * MON-FRI *)"
scale_in = "cron(0 18 ? * MON-FRI *)"
[[services]]
cluster = "c"
service = "s"
"#;
    let c = parse_str(text).unwrap();
    assert_eq!(c.home.stack.name, "worktime");
    assert_eq!(c.home.schedule.trigger, Trigger::Scheduler);
    assert!(c.home.schedule.skip_dates.is_empty());
    assert_eq!(c.home.function, FunctionSettings::default());
}

#[test]
fn function_settings() {
    let text = GOOD
        .replace("\"arm64\"", "\"x86_64\"")
        .replace("memory_mb = 128", "memory_mb = 256")
        .replace("timeout_seconds = 60", "timeout_seconds = 900")
        .replace("log_retention_days = 30", "log_retention_days = 3653");
    let f = parse_str(&text).unwrap().home.function;
    assert_eq!(
        f,
        FunctionSettings {
            architecture: Architecture::X86_64,
            memory_mb: 256,
            timeout_seconds: 900,
            log_retention_days: 3653,
            reserved_concurrency: None,
        }
    );
    let text = GOOD.replace(
        "log_retention_days = 30",
        "log_retention_days = 30\nreserved_concurrency = 2",
    );
    let f = parse_str(&text).unwrap().home.function;
    assert_eq!(f.reserved_concurrency, Some(2));
    let err = parse_str(&GOOD.replace(
        "log_retention_days = 30",
        "log_retention_days = 30\nreserved_concurrency = 0",
    ))
    .unwrap_err()
    .to_string();
    assert!(err.contains("function.reserved_concurrency"), "{err}");
}

#[test]
fn unknown_keys() {
    let e = bad(
        "max = 3",
        "max = 3\nmaxx = 4",
        &["maxx", "unknown field", "remove the key"],
    );
    assert_eq!(e.line, Some(18));
    assert_eq!(e.key.as_deref(), Some("services[0].maxx"));
    let e = bad(
        "region =",
        "regoin = \"x\"\nregion =",
        &["stack.regoin", "unknown field"],
    );
    assert_eq!(e.line, Some(4));
    let e = bad("[function]", "[functions]", &["functions", "unknown field"]);
    assert_eq!(e.key.as_deref(), Some("functions"));
    let e = bad(
        "[stack]",
        "[stack]\n[stack]",
        &["duplicate key", "remove the repeated"],
    );
    assert_eq!(e.key.as_deref(), Some("stack"));
    bad(
        "trigger =",
        "triger = \"rules\"\ntrigger =",
        &["schedule.triger"],
    );
    bad("memory_mb", "memory = 1\nmemory_mb", &["function.memory"]);
}

#[test]
fn syntax_and_type_errors() {
    let e = bad(
        "name = \"worktime\"",
        "name = worktime",
        &["worktime.toml:3:"],
    );
    assert_eq!(e.line, Some(3));
    let e = bad(
        "min = 1",
        "min = \"1\"",
        &["invalid type", "services[0].min"],
    );
    assert_eq!(e.line, Some(16));
    bad(
        "region = \"ap-northeast-2\"\n",
        "",
        &["missing field", "region", "add it"],
    );
    bad(
        "scale_in  = \"cron(0 19 ? * MON-FRI *)\"\n",
        "",
        &["scale_in", "missing field"],
    );
}

#[test]
fn bad_cron() {
    let e = bad(
        "cron(0 9 ? * MON-FRI *)",
        "cron(0 9 ? * MON-FRY *)",
        &["schedule.scale_out", "day-of-week", "SUN-SAT"],
    );
    assert_eq!(e.line, Some(8));
    bad(
        "cron(0 19 ? * MON-FRI *)",
        "cron(0 19 * * MON-FRI *)",
        &["schedule.scale_in", "put ? in one of them"],
    );
    bad(
        "cron(0 19 ? * MON-FRI *)",
        "0 19 * * *",
        &["schedule.scale_in", "cron(minutes hours"],
    );
    bad(
        "cron(0 19 ? * MON-FRI *)",
        "cron(0 9 ? * MON-FRI *)",
        &["schedule.scale_in", "same schedule"],
    );
}

#[test]
fn bad_timezone() {
    let e = bad(
        "\"Asia/Seoul\"",
        "\"Asia/Seol\"",
        &[
            "worktime.toml:7: schedule.timezone:",
            "is not an IANA time zone name",
            "\"Asia/Seoul\"",
        ],
    );
    assert_eq!(e.key.as_deref(), Some("schedule.timezone"));
    bad(
        "\"Asia/Seoul\"",
        "\"asia/seoul\"",
        &["did you mean \"Asia/Seoul\""],
    );
    bad(
        "\"Asia/Seoul\"",
        "\"Nowhere/At all\"",
        &["schedule.timezone", "tz database"],
    );
}

#[test]
fn rules_with_dst_zone() {
    let e = bad(
        "\"Asia/Seoul\"",
        "\"Europe/Berlin\"",
        &[
            "schedule.trigger",
            "UTC",
            "daylight saving",
            "trigger = \"scheduler\"",
        ],
    );
    assert_eq!(e.line, Some(10));
    assert!(e.fix.contains("trigger = \"scheduler\""), "{e}");
    // The same zone works with the scheduler.
    let text = GOOD
        .replace("\"Asia/Seoul\"", "\"Europe/Berlin\"")
        .replace("\"rules\"", "\"scheduler\"");
    assert_eq!(
        parse_str(&text).unwrap().home.schedule.trigger,
        Trigger::Scheduler
    );
}

#[test]
fn rules_conversion_impossible() {
    let e = bad(
        "cron(0 9 ? * MON-FRI *)",
        "cron(0 8 15 * ? *)",
        &["schedule.scale_out", "trigger = \"rules\"", "day-of-month"],
    );
    assert!(e.fix.contains("trigger = \"scheduler\""), "{e}");
    bad(
        "cron(0 9 ? * MON-FRI *)",
        "cron(0 8-10 ? * MON-FRI *)",
        &["schedule.scale_out", "two different days", "scheduler"],
    );
    // The scheduler takes it as is.
    let text = GOOD
        .replacen("cron(0 9 ? * MON-FRI *)", "cron(0 8 15 * ? *)", 1)
        .replace("\"rules\"", "\"scheduler\"");
    parse_str(&text).unwrap();
}

#[test]
fn bad_trigger() {
    bad(
        "\"rules\"",
        "\"rule\"",
        &["schedule.trigger", "\"scheduler\""],
    );
}

#[test]
fn capacities() {
    let e = bad(
        "min = 1\nmax = 3",
        "min = 4\nmax = 3",
        &["services[0].min", "min ≤ max"],
    );
    assert_eq!(e.line, Some(16));
    bad(
        "min = 1",
        "min = -1",
        &["services[0].min", "negative", "0 or more"],
    );
    bad("max = 3", "max = -3", &["services[0].max", "negative"]);
    bad(
        "min = 1\n",
        "",
        &["services[0].max", "without min", "add min"],
    );
    bad(
        "max = 3\n",
        "",
        &["services[0].min", "without max", "restore"],
    );
    bad(
        "min = 1\nmax = 3",
        "min = 0\nmax = 0",
        &["services[0].max", "restore"],
    );
    bad(
        "max = 3",
        "max = 99999999999",
        &["services[0].max", "too large"],
    );
    // min 0 with max > 0 is fine.
    parse_str(&GOOD.replace("min = 1", "min = 0")).unwrap();
}

#[test]
fn duplicate_services() {
    let e = bad(
        "service = \"worker\"",
        "service = \"api\"",
        &["services[1]", "listed twice", "remove the duplicate"],
    );
    assert_eq!(e.line, Some(19));
    // Same service name in another cluster is fine.
    parse_str(&GOOD.replace(
        "cluster = \"prod\"\nservice = \"worker\"",
        "cluster = \"dev\"\nservice = \"api\"",
    ))
    .unwrap();
}

#[test]
fn missing_or_empty_services() {
    let start = GOOD.find("[[services]]").unwrap();
    let end = GOOD.find("[function]").unwrap();
    let none = format!("{}{}", &GOOD[..start], &GOOD[end..]);
    let e = parse_str(&none).unwrap_err().to_string();
    assert!(
        e.contains("services: no services are listed") && e.contains("[[services]]"),
        "{e}"
    );
    let empty = format!("services = []\n{}{}", &GOOD[..start], &GOOD[end..]);
    let e = parse_str(&empty).unwrap_err().to_string();
    assert!(
        e.contains("services: the service list is empty") && e.contains("[[services]]"),
        "{e}"
    );
}

#[test]
fn bad_names() {
    bad(
        "cluster = \"prod\"",
        "cluster = \"prod/x\"",
        &[
            "services[0].cluster",
            "not a valid ECS cluster name",
            "letters, digits",
        ],
    );
    bad(
        "service = \"api\"",
        "service = \"\"",
        &["services[0].service"],
    );
    bad(
        "service = \"worker\"",
        "service = \"arn:aws:ecs:x\"",
        &["services[1].service", "not an ARN"],
    );
    for name in [
        "1worktime",
        "work_time",
        "",
        "a-very-long-stack-name-that-goes-on-and-on",
        "wt-",
    ] {
        bad(
            "name = \"worktime\"",
            &format!("name = \"{name}\""),
            &["stack.name", "starting with a letter"],
        );
    }
    parse_str(&GOOD.replace("name = \"worktime\"", "name = \"Worktime-Prod2\"")).unwrap();
}

#[test]
fn regions() {
    for ok in [
        "us-east-1",
        "ap-northeast-2",
        "us-gov-west-1",
        "us-isob-east-1",
        "cn-north-1",
        "eu-central-2",
    ] {
        assert!(is_valid_region(ok), "{ok}");
    }
    for no in [
        "",
        "us-east",
        "US-east-1",
        "useast-1",
        "us-east-1a",
        "us--1",
        "u-east-1",
        "us-foo-east-1",
        "Seoul",
    ] {
        assert!(!is_valid_region(no), "{no}");
    }
    bad(
        "\"ap-northeast-2\"",
        "\"Seoul\"",
        &["stack.region", "not an AWS Region code", "ap-northeast-2"],
    );
}

#[test]
fn skip_dates() {
    for d in [
        "2026-13-01",
        "2026-1-5",
        "25-12-2026",
        "2026-02-30",
        "tomorrow",
    ] {
        bad(
            "\"2026-12-25\"",
            &format!("\"2026-12-24\", \"{d}\""),
            &["schedule.skip_dates[1]", "YYYY-MM-DD"],
        );
    }
    bad(
        "[\"2026-12-25\"]",
        "[2026-12-25]",
        &["schedule.skip_dates", "invalid type"],
    );
    // Sorted, de-duplicated; a date already past (the tests' today is 2026-06-01) is dropped.
    let c = parse_str(&GOOD.replace(
        "[\"2026-12-25\"]",
        "[\"2026-12-25\", \"2027-01-01\", \"2026-01-01\", \"2026-12-25\"]",
    ))
    .unwrap();
    assert_eq!(
        c.home.schedule.skip_dates,
        [
            NaiveDate::from_ymd_opt(2026, 12, 25).unwrap(),
            NaiveDate::from_ymd_opt(2027, 1, 1).unwrap()
        ]
    );
}

#[test]
fn skip_date_ranges_are_inclusive_and_checked() {
    let c = parse_str(&GOOD.replace(
        "[\"2026-12-25\"]",
        "[\"2026-12-24..2027-01-01\", \"2026-05-30..2026-06-02\"]",
    ))
    .unwrap();
    let dates = &c.home.schedule.skip_dates;
    // 2026-06-01 and 02 of the second range are still to come; 9 days of the first.
    assert_eq!(dates.len(), 2 + 9, "{dates:?}");
    assert_eq!(dates[0], NaiveDate::from_ymd_opt(2026, 6, 1).unwrap());
    assert_eq!(
        dates.last(),
        Some(&NaiveDate::from_ymd_opt(2027, 1, 1).unwrap())
    );
    for (range, needle) in [
        ("2027-01-01..2026-12-24", "runs -7 days"),
        ("2026-12-24..2028-01-01", "at most 366 days"),
        ("2026-12-24..soon", "\"soon\" is not a date"),
    ] {
        bad(
            "\"2026-12-25\"",
            &format!("\"{range}\""),
            &["schedule.skip_dates[0]", needle],
        );
    }
}

#[test]
fn function_ranges() {
    bad(
        "memory_mb = 128",
        "memory_mb = 64",
        &["function.memory_mb", "128 to 10240"],
    );
    bad(
        "memory_mb = 128",
        "memory_mb = 20000",
        &["function.memory_mb"],
    );
    bad(
        "timeout_seconds = 60",
        "timeout_seconds = 0",
        &["function.timeout_seconds", "1 to 900"],
    );
    bad(
        "timeout_seconds = 60",
        "timeout_seconds = 901",
        &["function.timeout_seconds"],
    );
    bad(
        "log_retention_days = 30",
        "log_retention_days = 31",
        &["function.log_retention_days", "one of 1, 3, 5"],
    );
    bad(
        "\"arm64\"",
        "\"aarch64\"",
        &["function.architecture", "\"x86_64\""],
    );
}

#[test]
fn load_errors_name_the_path_and_init() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nope.toml");
    let e = load(&path, now()).unwrap_err().to_string();
    assert!(
        e.contains("nope.toml") && e.contains("worktime init"),
        "{e}"
    );
    std::fs::write(&path, GOOD).unwrap();
    assert_eq!(load(&path, now()).unwrap().home.path, path);
}

#[test]
fn never_panics_on_odd_input() {
    for text in [
        "",
        "[",
        "\u{0}",
        "stack = 1",
        "[stack]\nregion = 5",
        "[[services]]\n[[services]]",
        "services = \"x\"",
        "[schedule]\nskip_dates = \"2026-01-01\"",
        &GOOD.replace("\"rules\"", "\"\u{1F600}\""),
        &GOOD.replace("\"Asia/Seoul\"", "\"\u{1F600}\u{1F600}\u{1F600}\""),
        &GOOD.replace("cron(0 9 ? * MON-FRI *)", "cron(\u{1F600} 9 ? * MON-FRI *)"),
        &GOOD.replace("min = 1", "min = 1.5"),
    ] {
        let e = parse_str(text).expect_err(text).to_string();
        assert!(e.starts_with("worktime.toml") && e.contains("Fix: "), "{e}");
    }
}

#[test]
fn every_example_loads() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            load(&path, now()).unwrap_or_else(|e| panic!("{e}"));
            n += 1;
        }
    }
    assert!(n >= 4, "expected the example configs in {}", dir.display());
}
const ACCOUNTS_BASE: &str = r#"
[stack]
name = "worktime"
region = "ap-northeast-2"

[schedule]
timezone = "Asia/Seoul"
scale_out = "cron(0 9 ? * MON-FRI *)"
scale_in = "cron(0 19 ? * MON-FRI *)"
trigger = "rules"

[[services]]
cluster = "prod"
service = "api"
min = 1
max = 3
"#;

fn with_accounts(accounts: &str) -> Result<Fleet, ConfigError> {
    parse_str(&format!("{ACCOUNTS_BASE}\n{accounts}"))
}

#[test]
fn accounts_inherit_and_override() {
    let config = with_accounts(
        r#"
[[accounts]]
id = "111111111111"
role = "OrganizationAccountAccessRole"
regions = ["ap-northeast-2", "us-east-1"]

[accounts.schedule]
timezone = "Asia/Kolkata"

[[accounts.services]]
cluster = "team"
service = "web"

[[accounts]]
id = "222222222222"
role = "arn:aws:iam::222222222222:role/Deployer"
external_id = "xyz"

[[accounts]]
id = "333333333333"
profile = "staging"
"#,
    )
    .unwrap();
    assert_eq!(config.accounts.len(), 3);
    let first = &config.accounts[0];
    assert_eq!(first.regions, ["ap-northeast-2", "us-east-1"]);
    assert_eq!(first.schedule.timezone, chrono_tz::Asia::Kolkata);
    // Everything not overridden is inherited.
    assert_eq!(first.schedule.scale_out, config.home.schedule.scale_out);
    assert_eq!(first.schedule.trigger, Trigger::Rules);
    assert_eq!(first.services.len(), 1);
    assert_eq!(first.services[0].cluster, "team");
    assert_eq!(
        first.access,
        AccountAccess::Role {
            arn: "arn:aws:iam::111111111111:role/OrganizationAccountAccessRole".into(),
            external_id: None
        }
    );
    let second = &config.accounts[1];
    assert_eq!(
        second.regions,
        ["ap-northeast-2"],
        "defaults to stack.region"
    );
    assert_eq!(
        second.services, config.home.services,
        "inherits the top-level services"
    );
    assert_eq!(
        second.access,
        AccountAccess::Role {
            arn: "arn:aws:iam::222222222222:role/Deployer".into(),
            external_id: Some("xyz".into())
        }
    );
    assert_eq!(
        config.accounts[2].access,
        AccountAccess::Profile("staging".into())
    );
    let target = config.for_target(first, "us-east-1");
    assert_eq!(target.stack.region, "us-east-1");
    assert_eq!(target.schedule.timezone, chrono_tz::Asia::Kolkata);
}

#[test]
fn account_errors_name_the_account() {
    let cases: &[(&str, &[&str])] = &[
        ("[[accounts]]\nid = \"12345\"\nrole = \"R\"\n", &["accounts[0].id", "12-digit"]),
        (
            "[[accounts]]\nid = \"111111111111\"\n",
            &["accounts[0] (111111111111)", "role = "],
        ),
        (
            "[[accounts]]\nid = \"111111111111\"\nrole = \"R\"\nprofile = \"p\"\n",
            &["accounts[0] (111111111111).profile", "keep one"],
        ),
        (
            "[[accounts]]\nid = \"111111111111\"\nrole = \"arn:aws:iam::999999999999:role/R\"\n",
            &["accounts[0] (111111111111).role", "not 111111111111"],
        ),
        (
            "[[accounts]]\nid = \"111111111111\"\nrole = \"R\"\nregions = [\"mars-1\"]\n",
            &["accounts[0] (111111111111).regions[0]", "Region"],
        ),
        (
            "[[accounts]]\nid = \"111111111111\"\nrole = \"R\"\n[accounts.schedule]\ntimezone = \"Europe/Berlin\"\n",
            &["accounts[0] (111111111111).schedule.trigger", "scheduler"],
        ),
        (
            "[[accounts]]\nid = \"111111111111\"\nrole = \"R\"\n[[accounts.services]]\ncluster = \"a\"\nservice = \"b\"\nmin = 3\nmax = 1\n",
            &["accounts[0] (111111111111).services[0].min", "min ≤ max"],
        ),
        (
            "[[accounts]]\nid = \"111111111111\"\nrole = \"R\"\n[[accounts]]\nid = \"111111111111\"\nrole = \"R\"\n",
            &["accounts[1] (111111111111).id", "twice"],
        ),
        (
            "[[accounts]]\nid = \"111111111111\"\nrole = \"R\"\nregion = \"us-east-1\"\n",
            &["region", "unknown field"],
        ),
    ];
    for (text, needles) in cases {
        let err = with_accounts(text).expect_err(text).to_string();
        for needle in *needles {
            assert!(
                err.contains(needle),
                "{text}\n-> {err}\n(missing {needle:?})"
            );
        }
    }
}

#[test]
fn stacksets_defaults_and_both_permission_models() {
    assert_eq!(with_accounts("").unwrap().stacksets, None);
    let c = with_accounts("[stacksets]\n").unwrap();
    assert_eq!(
        c.stacksets,
        Some(StackSetSettings {
            permissions: StackSetPermissions::SelfManaged {
                administration_role_arn: None,
                execution_role_name: DEFAULT_EXECUTION_ROLE_NAME.into(),
            }
        })
    );
    let c = with_accounts(
        "[stacksets]\npermission_model = \"self-managed\"\nadministration_role_arn = \"arn:aws:iam::999999999999:role/ops/StackSetAdmin\"\nexecution_role_name = \"StackSetExec\"\n",
    )
    .unwrap();
    let permissions = c.stacksets.unwrap().permissions;
    assert_eq!(permissions.model(), "SELF_MANAGED");
    assert_eq!(
        permissions,
        StackSetPermissions::SelfManaged {
            administration_role_arn: Some(
                "arn:aws:iam::999999999999:role/ops/StackSetAdmin".into()
            ),
            execution_role_name: "StackSetExec".into(),
        }
    );
    let c = with_accounts(
        "[stacksets]\npermission_model = \"service-managed\"\norganizational_units = [\"ou-abcd-12345678\", \"ou-abcd-87654321abc\"]\norganization_id = \"o-abcdefghij\"\nauto_deployment = false\n",
    )
    .unwrap();
    let permissions = c.stacksets.unwrap().permissions;
    assert_eq!(permissions.model(), "SERVICE_MANAGED");
    assert_eq!(permissions.as_str(), "service-managed");
    assert_eq!(
        permissions,
        StackSetPermissions::ServiceManaged {
            organizational_units: vec!["ou-abcd-12345678".into(), "ou-abcd-87654321abc".into()],
            organization_id: "o-abcdefghij".into(),
            auto_deployment: false,
        }
    );
    let c = with_accounts(
        "[stacksets]\npermission_model = \"service-managed\"\norganizational_units = [\"ou-abcd-12345678\"]\norganization_id = \"o-abcdefghij\"\n",
    )
    .unwrap();
    assert!(matches!(
        c.stacksets.unwrap().permissions,
        StackSetPermissions::ServiceManaged {
            auto_deployment: true,
            ..
        }
    ));
}

#[test]
fn stacksets_errors_name_the_key_and_the_fix() {
    const SM: &str = "[stacksets]\npermission_model = \"service-managed\"\n";
    let cases: &[(&str, &[&str])] = &[
        (
            "[stacksets]\npermission_model = \"org\"\n",
            &["stacksets.permission_model", "\"service-managed\""],
        ),
        (
            "[stacksets]\norganizational_units = [\"ou-abcd-12345678\"]\n",
            &[
                "stacksets.organizational_units",
                "service-managed\" only",
                "set permission_model",
            ],
        ),
        (
            "[stacksets]\nauto_deployment = true\n",
            &["stacksets.auto_deployment", "service-managed\" only"],
        ),
        (
            &format!("{SM}execution_role_name = \"X\"\norganizational_units = [\"ou-abcd-12345678\"]\norganization_id = \"o-abcdefghij\"\n"),
            &["stacksets.execution_role_name", "self-managed\" only", "AWS Organizations"],
        ),
        (
            &format!("{SM}organization_id = \"o-abcdefghij\"\n"),
            &["stacksets.organizational_units", "ou-abcd-12345678"],
        ),
        (
            &format!("{SM}organizational_units = []\norganization_id = \"o-abcdefghij\"\n"),
            &["stacksets.organizational_units", "empty"],
        ),
        (
            &format!("{SM}organizational_units = [\"r-abcd\"]\norganization_id = \"o-abcdefghij\"\n"),
            &["stacksets.organizational_units[0]", "not an organizational unit id"],
        ),
        (
            &format!("{SM}organizational_units = [\"ou-abcd-12345678\", \"ou-abcd-12345678\"]\norganization_id = \"o-abcdefghij\"\n"),
            &["stacksets.organizational_units[1]", "twice"],
        ),
        (
            &format!("{SM}organizational_units = [\"ou-abcd-12345678\"]\n"),
            &["stacksets.organization_id", "bucket", "o-..."],
        ),
        (
            &format!("{SM}organizational_units = [\"ou-abcd-12345678\"]\norganization_id = \"o-short\"\n"),
            &["stacksets.organization_id", "not an AWS Organizations id"],
        ),
        (
            "[stacksets]\nadministration_role_arn = \"StackSetAdmin\"\n",
            &["stacksets.administration_role_arn", "not an IAM role ARN", "full ARN"],
        ),
        (
            "[stacksets]\nexecution_role_name = \"arn:aws:iam::111111111111:role/X\"\n",
            &["stacksets.execution_role_name", "not an IAM role name", "not the ARN"],
        ),
        (
            "[stacksets]\npermision_model = \"self-managed\"\n",
            &["stacksets.permision_model", "unknown field"],
        ),
    ];
    for (text, needles) in cases {
        let err = with_accounts(text).expect_err(text);
        let message = err.to_string();
        for needle in *needles {
            assert!(
                message.contains(needle),
                "{text}\n-> {message}\n(missing {needle:?})"
            );
        }
        assert!(err.line.is_some(), "{text}: {message}");
        assert!(message.contains("Fix: "), "{message}");
    }
    // The line is the key's own.
    let err = with_accounts("[stacksets]\n\nauto_deployment = true\n").unwrap_err();
    let base_lines = ACCOUNTS_BASE.lines().count();
    assert_eq!(err.line, Some(base_lines + 4), "{err}");
}

#[test]
fn stackset_regions_are_the_union_of_the_accounts_regions_in_order() {
    let c = with_accounts(
        "[[accounts]]\nid = \"111111111111\"\nrole = \"R\"\nregions = [\"us-east-1\", \"ap-northeast-2\"]\n[[accounts]]\nid = \"222222222222\"\nrole = \"R\"\nregions = [\"ap-northeast-2\", \"eu-west-1\"]\n",
    )
    .unwrap();
    assert_eq!(
        c.stackset_regions(),
        ["us-east-1", "ap-northeast-2", "eu-west-1"]
    );
    assert_eq!(
        with_accounts("").unwrap().stackset_regions(),
        ["ap-northeast-2"]
    );
}

#[test]
fn reconcile_and_readiness_minutes() {
    let with = |extra: &str| {
        GOOD.replace(
            "skip_dates = [\"2026-12-25\"]",
            &format!("skip_dates = [\"2026-12-25\"]\n{extra}"),
        )
    };
    let defaults = parse_str(GOOD).unwrap().home.schedule;
    assert_eq!(defaults.reconcile_minutes, Some(15));
    assert_eq!(defaults.ready_within_minutes, 15);
    let set = parse_str(&with("reconcile_minutes = 30\nready_within_minutes = 45"))
        .unwrap()
        .home
        .schedule;
    assert_eq!(set.reconcile_minutes, Some(30));
    assert_eq!(set.ready_within_minutes, 45);
    // 0 turns the reconcile off.
    assert_eq!(
        parse_str(&with("reconcile_minutes = 0"))
            .unwrap()
            .home
            .schedule
            .reconcile_minutes,
        None
    );
    for value in ["4", "61", "-5", "\"often\""] {
        let err = parse_str(&with(&format!("reconcile_minutes = {value}")))
            .unwrap_err()
            .to_string();
        assert!(err.contains("schedule.reconcile_minutes"), "{err}");
    }
    for value in ["0", "121", "-1"] {
        let err = parse_str(&with(&format!("ready_within_minutes = {value}")))
            .unwrap_err()
            .to_string();
        assert!(err.contains("schedule.ready_within_minutes"), "{err}");
        assert!(err.contains("1 to 120 minutes"), "{err}");
    }
    // max_delay_minutes is gone: refused, naming the key and the fix.
    let err = parse_str(&with("max_delay_minutes = 60"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("schedule.max_delay_minutes"), "{err}");
    assert!(err.contains("remove the key"), "{err}");
    // Both travel in the payload, with the crons the triggers fire.
    let c = parse_str(&with("ready_within_minutes = 20")).unwrap();
    let event = c
        .home
        .scaling_event(worktime_lambda::Action::Reconcile, None);
    assert_eq!(event.ready_within_minutes, Some(20));
    assert!(event.crons.is_some());
}

/// GOOD with `extra` appended (more tables, more [[services]]).
fn with(extra: &str) -> Result<Fleet, ConfigError> {
    parse_str(&format!("{GOOD}\n{extra}"))
}

fn with_err(extra: &str, needles: &[&str]) -> ConfigError {
    let e = with(extra).expect_err(extra);
    let msg = e.to_string();
    for n in needles {
        assert!(msg.contains(n), "{n:?} not in {msg:?}");
    }
    assert!(msg.contains("Fix: "), "{msg}");
    e
}

const BERLIN: &str = r#"
[schedules.berlin]
timezone = "Europe/Berlin"
scale_out = "cron(0 8 ? * MON-FRI *)"
scale_in = "cron(0 18 ? * MON-FRI *)"
"#;

#[test]
fn selectors_and_named_schedules_are_read() {
    let fleet = with(&format!(
        r#"{BERLIN}
[[services]]
cluster = "*"
tag = "team=web"
min = 1
max = 2

[[services]]
cluster = "eu"
tag = "worktime"
schedule = "berlin"

[[services]]
cluster = "eu"
service = "api"
schedule = "berlin"
"#
    ))
    .unwrap();
    let c = fleet.home;
    assert_eq!(c.schedules["berlin"].timezone, chrono_tz::Europe::Berlin);
    // A named schedule inherits nothing: its trigger is the default (scheduler), not GOOD's rules.
    assert_eq!(c.schedules["berlin"].trigger, Trigger::Scheduler);
    assert_eq!(c.selectors.len(), 2);
    assert_eq!(c.selectors[0].cluster, ClusterScope::All);
    assert_eq!(c.selectors[0].tag.to_string(), "team=web");
    assert_eq!(c.selectors[0].capacity, Some(Capacity { min: 1, max: 2 }));
    assert_eq!(c.selectors[1].schedule.as_deref(), Some("berlin"));
    assert_eq!(c.services[2].schedule.as_deref(), Some("berlin"));
    let in_use: Vec<&str> = c.schedules_in_use().iter().map(|s| s.label()).collect();
    assert_eq!(in_use, ["default", "berlin"]);
    // Each schedule's payload holds its own services and selectors.
    let berlin = c.scaling_event(Action::ScaleIn, Some("berlin"));
    assert_eq!(berlin.timezone.as_deref(), Some("Europe/Berlin"));
    assert_eq!(berlin.services.unwrap().len(), 1);
    assert_eq!(berlin.selectors.unwrap()[0].tag, "worktime");
    let default = c.scaling_event(Action::ScaleIn, None);
    assert_eq!(default.services.unwrap().len(), 2);
    assert_eq!(default.selectors.unwrap()[0].cluster, "*");
}

#[test]
fn a_stack_of_selectors_only_sends_no_service_list() {
    let text = GOOD.split("[[services]]").next().unwrap().to_string()
        + "[[services]]\ncluster = \"prod\"\ntag = \"worktime\"\n";
    let c = parse_str(&text).unwrap().home;
    assert!(c.services.is_empty());
    let event = c.scaling_event(Action::ScaleOut, None);
    assert_eq!(event.services, None);
    assert_eq!(event.selectors.unwrap().len(), 1);
}

#[test]
fn bad_selectors_and_schedules_are_named() {
    with_err(
        "[[services]]\ncluster = \"prod\"\ntag = \"\"\n",
        &["services[2].tag", "empty tag key"],
    );
    with_err(
        "[[services]]\ncluster = \"prod\"\ntag = \"=x\"\n",
        &["services[2].tag", "empty tag key"],
    );
    with_err(
        "[[services]]\ncluster = \"prod\"\nservice = \"x\"\ntag = \"team\"\n",
        &["services[2].tag", "both service and tag"],
    );
    with_err(
        "[[services]]\ncluster = \"prod\"\n",
        &["services[2]", "neither a service nor a tag"],
    );
    with_err(
        "[[services]]\ncluster = \"*\"\nservice = \"x\"\n",
        &["services[2].cluster", "tag selectors"],
    );
    with_err(
        "[[services]]\ncluster = \"prod*\"\ntag = \"t\"\n",
        &["services[2].cluster", "neither a cluster name"],
    );
    with_err(
        "[[services]]\ncluster = \"prod\"\ntag = \"t\"\n[[services]]\ncluster = \"prod\"\ntag = \"t\"\n",
        &["services[3]", "listed twice"],
    );
    with_err(
        "[[services]]\ncluster = \"prod\"\nservice = \"x\"\nschedule = \"nights\"\n",
        &["services[2].schedule", "no [schedules.nights]"],
    );
    with_err(
        &format!(
            "{BERLIN}\n[[services]]\ncluster = \"prod\"\nservice = \"x\"\nschedule = \"nights\"\n"
        ),
        &["services[2].schedule", "use one of berlin"],
    );
    // A named schedule missing a key: serde names it.
    with_err(
        "[schedules.late]\ntimezone = \"UTC\"\nscale_out = \"cron(0 8 ? * MON-FRI *)\"\n",
        &["scale_in"],
    );
    // A named schedule's own errors carry its key.
    let e = with_err(
        "[schedules.late]\ntimezone = \"Mars/Base\"\nscale_out = \"cron(0 8 ? * MON-FRI *)\"\nscale_in = \"cron(0 18 ? * MON-FRI *)\"\n[[services]]\ncluster = \"p\"\nservice = \"x\"\nschedule = \"late\"\n",
        &["schedules.late.timezone"],
    );
    assert_eq!(e.key.as_deref(), Some("schedules.late.timezone"));
    with_err(
        BERLIN,
        &["schedules.berlin", "no service or selector follows"],
    );
    for bad in [
        "default",
        "Night",
        "9am",
        "a_b",
        "late-",
        "a--b",
        "abcdefghijklmnopqrstu",
    ] {
        with_err(
            &format!("[schedules.{bad}]\ntimezone = \"UTC\"\nscale_out = \"cron(0 8 ? * MON-FRI *)\"\nscale_in = \"cron(0 18 ? * MON-FRI *)\"\n"),
            &[&format!("schedules.{bad}")],
        );
    }
}

#[test]
fn skip_calendar_dates_join_skip_dates_read_relative_to_the_config() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("cal")).unwrap();
    std::fs::write(
        dir.path().join("cal/team.ics"),
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\n\
         BEGIN:VEVENT\r\nUID:1\r\nSUMMARY:Company day\r\nDTSTART;VALUE=DATE:20260703\r\nEND:VEVENT\r\n\
         BEGIN:VEVENT\r\nUID:2\r\nSUMMARY:Summer break\r\nDTSTART;VALUE=DATE:20260810\r\nDTEND;VALUE=DATE:20260813\r\nEND:VEVENT\r\n\
         BEGIN:VEVENT\r\nUID:3\r\nSUMMARY:Founders day\r\nDTSTART;VALUE=DATE:20200615\r\nRRULE:FREQ=YEARLY\r\nEND:VEVENT\r\n\
         END:VCALENDAR\r\n",
    )
    .unwrap();
    let path = dir.path().join("worktime.toml");
    std::fs::write(
        &path,
        GOOD.replace(
            "skip_dates = [\"2026-12-25\"]",
            "skip_dates = [\"2026-12-25\"]\nskip_calendar = \"cal/team.ics\"",
        ),
    )
    .unwrap();
    let fleet = load(&path, now()).unwrap();
    let dates: Vec<String> = fleet
        .home
        .schedule
        .skip_dates
        .iter()
        .map(|d| d.to_string())
        .collect();
    assert_eq!(
        dates,
        [
            "2026-06-15",
            "2026-07-03",
            "2026-08-10",
            "2026-08-11",
            "2026-08-12",
            "2026-12-25",
            "2027-06-15"
        ],
        "the yearly event for two years from today (2026-06-01): 2028-06-15 lies beyond"
    );

    // Missing, and an unsupported recurrence: exit-2 errors naming the key.
    std::fs::write(
        &path,
        GOOD.replace(
            "skip_dates = [\"2026-12-25\"]",
            "skip_calendar = \"nope.ics\"",
        ),
    )
    .unwrap();
    let e = load(&path, now()).unwrap_err();
    assert_eq!(e.key.as_deref(), Some("schedule.skip_calendar"));
    assert!(e.to_string().contains("does not exist"), "{e}");
    std::fs::write(
        dir.path().join("weekly.ics"),
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\n\
         BEGIN:VEVENT\r\nUID:4\r\nSUMMARY:Gym\r\nDTSTART;VALUE=DATE:20260601\r\nRRULE:FREQ=WEEKLY\r\nEND:VEVENT\r\n\
         END:VCALENDAR\r\n",
    )
    .unwrap();
    std::fs::write(
        &path,
        GOOD.replace(
            "skip_dates = [\"2026-12-25\"]",
            "skip_calendar = \"weekly.ics\"",
        ),
    )
    .unwrap();
    let e = load(&path, now()).unwrap_err();
    assert!(
        e.to_string().contains("FREQ=WEEKLY") && e.to_string().contains("Gym"),
        "{e}"
    );
}

// ---------------------------------------------------------------- [notify] topics

const SEOUL_TOPIC: &str = "arn:aws:sns:ap-northeast-2:111111111111:alerts";

fn notify_topic(arn: &str) -> String {
    format!("\n[notify]\nsns_topic_arn = \"{arn}\"\n")
}

#[test]
fn a_notify_topic_in_another_region_than_the_stack_is_refused() {
    let e = with_err(
        &notify_topic("arn:aws:sns:eu-central-1:111111111111:chatops"),
        &[
            "notify.sns_topic_arn",
            "arn:aws:sns:eu-central-1:111111111111:chatops is in eu-central-1",
            "this stack deploys to ap-northeast-2",
            "Only ap-northeast-2 is supported",
            "Fix: use a topic in ap-northeast-2",
            "email = [...]",
        ],
    );
    assert_eq!(e.key.as_deref(), Some("notify.sns_topic_arn"));
    assert!(e.line.is_some(), "{e:?}");
    // In the stack's region: accepted.
    let fleet = with(&notify_topic(SEOUL_TOPIC)).unwrap();
    assert_eq!(
        fleet.home.notify.as_ref().and_then(|n| n.topic_region()),
        Some("ap-northeast-2")
    );
    // A region given on the command line (`--region`, `rollout --regions`) is checked too.
    assert!(fleet.home.check_notify_region("ap-northeast-2").is_ok());
    let e = fleet.home.check_notify_region("us-east-1").unwrap_err();
    let message = e.to_string();
    for needle in [
        "notify.sns_topic_arn",
        "is in ap-northeast-2",
        "deploys to us-east-1",
        "Fix: deploy this configuration to ap-northeast-2 only",
    ] {
        assert!(message.contains(needle), "{needle:?} not in {message}");
    }
}

#[test]
fn a_fifo_notify_topic_is_refused() {
    with_err(
        &notify_topic("arn:aws:sns:ap-northeast-2:111111111111:alerts.fifo"),
        &[
            "notify.sns_topic_arn",
            "alerts.fifo is a FIFO topic",
            "MessageGroupId",
            "Fix: use a standard topic",
        ],
    );
    let e = with_accounts(&format!(
        "{}\n[[accounts]]\nid = \"111111111111\"\nrole = \"R\"\n[accounts.notify]\nsns_topic_arn = \"arn:aws:sns:ap-northeast-2:111111111111:a.fifo\"\n",
        notify_topic(SEOUL_TOPIC)
    ))
    .unwrap_err();
    assert_eq!(
        e.key.as_deref(),
        Some("accounts[0] (111111111111).notify.sns_topic_arn"),
        "{e}"
    );
    assert!(e.to_string().contains("FIFO"), "{e}");
}

#[test]
fn every_rollout_target_needs_the_notify_topic_in_its_region() {
    // The topic is in Seoul; account 111111111111 also deploys to us-east-1.
    let two_regions = "[[accounts]]\nid = \"111111111111\"\nrole = \"R\"\nregions = [\"ap-northeast-2\", \"us-east-1\"]\n";
    let e = with_accounts(&format!("{}{two_regions}", notify_topic(SEOUL_TOPIC))).unwrap_err();
    assert_eq!(e.key.as_deref(), Some("notify.sns_topic_arn"), "{e}");
    let message = e.to_string();
    for needle in [
        "is in ap-northeast-2",
        "account 111111111111 deploys to us-east-1",
        "deploys to ap-northeast-2, us-east-1",
        "[accounts.notify]",
        "email = [...]",
    ] {
        assert!(message.contains(needle), "{needle:?} not in {message}");
    }
    // An account in one other region: told to give it a topic of its own there.
    let e = with_accounts(&format!(
        "{}[[accounts]]\nid = \"222222222222\"\nprofile = \"p\"\nregions = [\"eu-west-1\"]\n",
        notify_topic(SEOUL_TOPIC)
    ))
    .unwrap_err();
    let message = e.to_string();
    for needle in [
        "account 222222222222 deploys to eu-west-1",
        "Only eu-west-1 is supported",
        "give account 222222222222 its own topic in eu-west-1",
        "sns_topic_arn = \"arn:aws:sns:eu-west-1:222222222222:<name>\"",
    ] {
        assert!(message.contains(needle), "{needle:?} not in {message}");
    }

    // [accounts.notify] replaces [notify] for that account: its own topic in its region, or
    // addresses (a topic of each stack's own) for an account in several regions.
    let fleet = with_accounts(&format!(
        "{}[[accounts]]\nid = \"222222222222\"\nprofile = \"p\"\nregions = [\"eu-west-1\"]\n[accounts.notify]\nsns_topic_arn = \"arn:aws:sns:eu-west-1:222222222222:alerts\"\n\n{two_regions}[accounts.notify]\nemail = [\"ops@example.com\"]\n",
        notify_topic(SEOUL_TOPIC)
    ))
    .unwrap();
    let irish = &fleet.accounts[0];
    assert_eq!(
        fleet.for_target(irish, "eu-west-1").notify,
        Some(NotifySettings {
            emails: Vec::new(),
            topic_arn: Some("arn:aws:sns:eu-west-1:222222222222:alerts".into()),
        })
    );
    let both = &fleet.accounts[1];
    assert_eq!(
        fleet.for_target(both, "us-east-1").notify,
        Some(NotifySettings {
            emails: vec!["ops@example.com".into()],
            topic_arn: None,
        })
    );
    assert_eq!(
        fleet.home.notify.as_ref().unwrap().topic_arn.as_deref(),
        Some(SEOUL_TOPIC)
    );

    // An account's own topic in another region than its own: its key named.
    let e = with_accounts(
        "[[accounts]]\nid = \"222222222222\"\nprofile = \"p\"\nregions = [\"eu-west-1\"]\n[accounts.notify]\nsns_topic_arn = \"arn:aws:sns:us-east-1:222222222222:alerts\"\n",
    )
    .unwrap_err();
    assert_eq!(
        e.key.as_deref(),
        Some("accounts[0] (222222222222).notify.sns_topic_arn"),
        "{e}"
    );
    assert!(e.to_string().contains("is in us-east-1"), "{e}");
}

#[test]
fn an_account_that_warns_needs_its_own_or_the_top_level_notify() {
    let warns = "[[accounts]]\nid = \"111111111111\"\nrole = \"R\"\n[accounts.schedule]\nwarn_before_minutes = 30\n";
    let e = with_accounts(warns).unwrap_err();
    assert_eq!(
        e.key.as_deref(),
        Some("accounts (111111111111).schedule.warn_before_minutes"),
        "{e}"
    );
    let fleet = with_accounts(&format!(
        "{warns}[accounts.notify]\nemail = [\"ops@example.com\"]\n"
    ))
    .unwrap();
    assert_eq!(fleet.home.notify, None);
    assert!(fleet.accounts[0].notify.is_some());
}

#[test]
fn an_execution_role_arn_is_kept_and_a_malformed_one_is_refused_naming_the_key() {
    let with = |value: &str| {
        GOOD.replacen(
            "region = \"ap-northeast-2\"\n",
            &format!("region = \"ap-northeast-2\"\nexecution_role_arn = \"{value}\"\n"),
            1,
        )
    };
    let arn = "arn:aws:iam::123456789012:role/deploy/worktime-cfn";
    let fleet = parse(&with(arn), Path::new("worktime.toml"), now()).unwrap();
    assert_eq!(fleet.home.stack.execution_role_arn.as_deref(), Some(arn));
    let error = parse(&with("worktime-cfn"), Path::new("worktime.toml"), now()).unwrap_err();
    let text = error.to_string();
    for part in [
        "worktime.toml:5",
        "stack.execution_role_arn",
        "not an IAM role ARN",
        "Fix: use the role's full ARN",
    ] {
        assert!(text.contains(part), "{part:?} not in {text}");
    }
    assert_eq!(crate::error::Error::from(error).exit_code(), 2);
}

// ---------------------------------------------------------------------- waves and capacity

#[test]
fn waves_default_to_0_and_travel_in_the_payload_only_when_set() {
    let c = with(
        r#"
[[services]]
cluster = "prod"
service = "broker"
wave = 0

[[services]]
cluster = "prod"
tag = "team=payments"
wave = 2
"#,
    )
    .unwrap()
    .home;
    let waves: Vec<(String, u8)> = c
        .services
        .iter()
        .map(|s| (s.service.clone(), s.wave))
        .collect();
    assert_eq!(
        waves,
        [
            ("api".into(), 0),
            ("worker".into(), 0),
            ("broker".into(), 0)
        ]
    );
    assert_eq!(c.selectors[0].wave, 2);
    assert_eq!(c.schedule.wave_timeout_minutes, 10);
    assert_eq!(c.waves_of(None).into_iter().collect::<Vec<_>>(), [0, 2]);
    assert!(c.runs_in_waves(None));
    let event = c.scaling_event(worktime_lambda::Action::ScaleOut, None);
    // Wave 0 is the default and stays out of the payload.
    assert!(event
        .services
        .as_ref()
        .unwrap()
        .iter()
        .all(|s| s.wave.is_none()));
    assert_eq!(event.selectors.as_ref().unwrap()[0].wave, Some(2));
    assert_eq!(event.wave_timeout_minutes, Some(10));
    // A one-wave schedule's payload is as it was before waves.
    let one = parse_str(GOOD).unwrap().home;
    assert!(!one.runs_in_waves(None));
    assert_eq!(
        one.scaling_event(worktime_lambda::Action::ScaleOut, None)
            .wave_timeout_minutes,
        None
    );
}

#[test]
fn a_wave_outside_0_to_9_is_refused_naming_the_key() {
    for value in ["10", "-1", "\"first\""] {
        let err = with(&format!(
            "[[services]]\ncluster = \"prod\"\nservice = \"broker\"\nwave = {value}\n"
        ))
        .unwrap_err()
        .to_string();
        assert!(err.contains("services[2].wave"), "{err}");
        assert!(err.starts_with("worktime.toml"), "{err}");
        assert!(err.contains("Fix: "), "{err}");
    }
    let err = with("[[services]]\ncluster = \"prod\"\nservice = \"broker\"\nwave = 10\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("wave = 10 is out of range"), "{err}");
    assert!(err.contains("use 0 to 9"), "{err}");
}

#[test]
fn wave_timeout_minutes_is_1_to_60() {
    let set = |extra: &str| {
        parse_str(&GOOD.replace(
            "skip_dates = [\"2026-12-25\"]",
            &format!("skip_dates = [\"2026-12-25\"]\n{extra}"),
        ))
    };
    assert_eq!(
        set("wave_timeout_minutes = 1")
            .unwrap()
            .home
            .schedule
            .wave_timeout_minutes,
        1
    );
    assert_eq!(
        set("wave_timeout_minutes = 60")
            .unwrap()
            .home
            .schedule
            .wave_timeout_minutes,
        60
    );
    for value in ["0", "61", "-3"] {
        let err = set(&format!("wave_timeout_minutes = {value}"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("schedule.wave_timeout_minutes"), "{err}");
        assert!(err.contains("use 1 to 60 minutes"), "{err}");
    }
}

#[test]
fn a_capacity_group_follows_the_schedule_of_its_clusters_services() {
    let c = with(
        r#"
[[capacity]]
cluster = "prod"
autoscaling_group = "prod-ecs-instances"
"#,
    )
    .unwrap()
    .home;
    assert_eq!(
        c.capacity,
        [CapacitySpec {
            cluster: "prod".into(),
            autoscaling_group: "prod-ecs-instances".into(),
            schedule: None,
        }]
    );
    // A group makes even a one-wave schedule run in stages (the group is wave -1).
    assert!(c.runs_in_waves(None));
    // A cluster chosen only by a "*" selector counts too.
    let c = with(
        r#"
[[services]]
cluster = "*"
tag = "worktime"

[[capacity]]
cluster = "batch"
autoscaling_group = "batch-asg"
"#,
    )
    .unwrap()
    .home;
    assert_eq!(c.capacity[0].cluster, "batch");
}

#[test]
fn bad_capacity_entries_are_refused_naming_the_key() {
    let cases = [
        (
            "[[capacity]]\ncluster = \"batch\"\nautoscaling_group = \"batch-asg\"\n",
            "capacity[0].cluster",
            "no service of this configuration runs on cluster \"batch\"",
        ),
        (
            "[[capacity]]\ncluster = \"*\"\nautoscaling_group = \"asg\"\n",
            "capacity[0].cluster",
            "not a valid ECS cluster name",
        ),
        (
            "[[capacity]]\ncluster = \"prod\"\nautoscaling_group = \"\"\n",
            "capacity[0].autoscaling_group",
            "1-255 characters",
        ),
        (
            "[[capacity]]\ncluster = \"prod\"\nautoscaling_group = \"arn:aws:autoscaling:ap-northeast-2:111111111111:autoScalingGroup:x:autoScalingGroupName/asg\"\n",
            "capacity[0].autoscaling_group",
            "is an ARN",
        ),
        (
            "[[capacity]]\ncluster = \"prod\"\nautoscaling_group = \"asg\"\n\n[[capacity]]\ncluster = \"prod\"\nautoscaling_group = \"asg\"\n",
            "capacity[1].autoscaling_group",
            "listed twice",
        ),
        (
            "[[capacity]]\ncluster = \"prod\"\nautoscaling_group = \"asg\"\nmin = 0\n",
            "min",
            "unknown",
        ),
    ];
    for (extra, key, needle) in cases {
        let err = with(extra).unwrap_err().to_string();
        assert!(err.contains(key), "{key}: {err}");
        assert!(err.contains(needle), "{needle}: {err}");
        assert!(err.starts_with("worktime.toml"), "{err}");
    }
}

#[test]
fn a_capacity_group_under_services_of_two_schedules_is_refused() {
    let err = with(
        r#"
[schedules.late]
timezone = "Asia/Seoul"
scale_out = "cron(0 11 ? * MON-FRI *)"
scale_in = "cron(0 21 ? * MON-FRI *)"

[[services]]
cluster = "prod"
service = "night-batch"
schedule = "late"

[[capacity]]
cluster = "prod"
autoscaling_group = "prod-asg"
"#,
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("capacity[0].cluster"), "{err}");
    assert!(
        err.contains("follow different schedules (default, late)"),
        "{err}"
    );
}

#[test]
fn capacity_is_refused_with_accounts() {
    let err = with(
        r#"
[[capacity]]
cluster = "prod"
autoscaling_group = "prod-asg"

[[accounts]]
id = "111111111111"
role = "OrganizationAccountAccessRole"
"#,
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains(": capacity: "), "{err}");
    assert!(err.contains("one account and region"), "{err}");
}

#[test]
fn waves_are_refused_with_the_stack_set_engine() {
    let err = with(
        r#"
[[services]]
cluster = "prod"
service = "broker"
wave = 1

[stacksets]
permission_model = "self-managed"
"#,
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains(": stacksets: "), "{err}");
    assert!(err.contains("state machine"), "{err}");
}

// ---------------------------------------------------------------- wake on request (issue 18)

#[test]
fn wake_on_request_holds_60_minutes_unless_told_and_is_off_by_default() {
    let fleet = with(
        "[[services]]\ncluster = \"prod\"\nservice = \"web\"\nwake_on_request = true\n\n[[services]]\ncluster = \"prod\"\nservice = \"admin\"\nwake_on_request = true\nwake_idle_minutes = 15\n\n[[services]]\ncluster = \"prod\"\nservice = \"batch\"\nwake_on_request = false\n",
    )
    .unwrap();
    let wake = |name: &str| {
        fleet
            .home
            .services
            .iter()
            .find(|s| s.service == name)
            .unwrap()
            .wake
            .clone()
    };
    assert_eq!(wake("api"), None);
    assert_eq!(wake("batch"), None);
    assert_eq!(
        wake("web"),
        Some(WakeSpec {
            idle_minutes: DEFAULT_WAKE_IDLE_MINUTES,
            key: "services[2]".into(),
            routes: None,
        })
    );
    assert_eq!(wake("admin").unwrap().idle_minutes, 15);
    assert_eq!(DEFAULT_WAKE_IDLE_MINUTES, 60);
}

#[test]
fn wake_idle_minutes_is_10_to_720_and_only_with_wake_on_request() {
    for value in ["9", "721", "-5"] {
        let err = with(&format!(
            "[[services]]\ncluster = \"prod\"\nservice = \"web\"\nwake_on_request = true\nwake_idle_minutes = {value}\n"
        ))
        .unwrap_err()
        .to_string();
        assert!(err.contains("services[2].wake_idle_minutes"), "{err}");
        assert!(err.contains("out of range"), "{err}");
        assert!(err.contains("use 10 to 720 minutes"), "{err}");
    }
    assert!(with("[[services]]\ncluster = \"prod\"\nservice = \"web\"\nwake_on_request = true\nwake_idle_minutes = 720\n").is_ok());
    let err = with("[[services]]\ncluster = \"prod\"\nservice = \"web\"\nwake_idle_minutes = 30\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("services[2].wake_idle_minutes"), "{err}");
    assert!(err.contains("without wake_on_request = true"), "{err}");
}

#[test]
fn wake_on_request_on_a_tag_selector_wakes_what_it_selects_once_read() {
    let fleet = with(
        "[[services]]\ncluster = \"prod\"\ntag = \"team=web\"\nwake_on_request = true\nwake_idle_minutes = 30\n\n[[services]]\ncluster = \"prod\"\ntag = \"team=batch\"\n",
    )
    .unwrap();
    let woken = &fleet.home.selectors[0];
    assert_eq!(
        woken.wake,
        Some(SelectorWake {
            wake: WakeSpec {
                idle_minutes: 30,
                key: "services[2]".into(),
                routes: None,
            },
            selected: None,
        })
    );
    assert_eq!(fleet.home.selectors[1].wake, None);
    // Which services it wakes is known only once read from AWS (`deploy::wake::select`).
    assert!(fleet.home.wakes_on_request());
    assert_eq!(fleet.home.woken().count(), 0);
    // The same bounds as on a named service, naming the selector's key.
    let err = with("[[services]]\ncluster = \"prod\"\ntag = \"team=web\"\nwake_on_request = true\nwake_idle_minutes = 5\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("services[2].wake_idle_minutes"), "{err}");
    assert!(err.contains("out of range"), "{err}");
    let err =
        with("[[services]]\ncluster = \"prod\"\ntag = \"team=web\"\nwake_idle_minutes = 30\n")
            .unwrap_err()
            .to_string();
    assert!(err.contains("services[2].wake_idle_minutes"), "{err}");
    assert!(err.contains("without wake_on_request = true"), "{err}");
}

#[test]
fn wake_on_request_rolls_out_to_accounts_but_not_through_a_stack_set() {
    let accounts = "[[services]]\ncluster = \"prod\"\nservice = \"web\"\nwake_on_request = true\n\n[[accounts]]\nid = \"111122223333\"\nrole = \"OrganizationAccountAccessRole\"\n\n[[accounts.services]]\ncluster = \"prod\"\ntag = \"team=web\"\nwake_on_request = true\n";
    let fleet = with(accounts).unwrap();
    assert!(fleet.home.wakes_on_request());
    assert!(fleet.accounts[0].selectors[0].wake.is_some());
    let err = with(&format!(
        "{accounts}\n[stacksets]\npermission_model = \"self-managed\"\n"
    ))
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("wake_on_request is not supported with [stacksets]"),
        "{err}"
    );
    assert!(err.contains("Fix: remove [stacksets]"), "{err}");
}
