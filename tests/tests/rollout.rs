//! Multi-account rollout against moto: `AssumeRole` into any account id works there, and the
//! returned credentials act in that account (CloudFormation, IAM, S3 separated per account).

use aws_config::SdkConfig;
use worktime_e2e::*;

/// SDK config acting in `account` (through STS, as worktime does) in `region`.
async fn as_account(moto: &Moto, account: &str, region: &str) -> SdkConfig {
    moto.sdk_as(account, "OrganizationAccountAccessRole", region)
        .await
}

async fn stack_status(sdk: &SdkConfig, name: &str) -> Option<String> {
    let cfn = aws_sdk_cloudformation::Client::new(sdk);
    let out = cfn.describe_stacks().stack_name(name).send().await.ok()?;
    out.stacks()
        .first()
        .and_then(|s| s.stack_status())
        .map(|s| s.as_str().to_string())
        .filter(|s| s != "DELETE_COMPLETE")
}

async fn rule_cron(sdk: &SdkConfig, name: &str) -> Option<String> {
    let events = aws_sdk_eventbridge::Client::new(sdk);
    let rule = events.describe_rule().name(name).send().await.ok()?;
    rule.schedule_expression().map(str::to_string)
}

async fn rule_input(sdk: &SdkConfig, name: &str) -> serde_json::Value {
    let fired = chrono::DateTime::parse_from_rfc3339("2026-12-01T00:00:00Z")
        .unwrap()
        .to_utc();
    let input = triggers::deployed_rule_payload(sdk, name, fired)
        .await
        .unwrap();
    assert_eq!(input["scheduled_time"], "2026-12-01T00:00:00Z", "{input}");
    input
}

const BASE: &str = r#"
[stack]
name = "wt"
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

const THREE_ACCOUNTS: &str = r#"
[[accounts]]
id = "111111111111"
role = "OrganizationAccountAccessRole"
regions = ["ap-northeast-2", "us-east-1"]

[accounts.schedule]
timezone = "Asia/Kolkata"

[[accounts]]
id = "222222222222"
role = "OrganizationAccountAccessRole"
regions = ["ap-northeast-2", "eu-west-1"]

[[accounts.services]]
cluster = "team"
service = "web"

[[accounts]]
id = "333333333333"
ACCESS
regions = ["ap-northeast-2", "us-west-2"]
"#;

fn three_accounts(access_of_third: &str) -> String {
    format!(
        "{BASE}{}",
        THREE_ACCOUNTS.replace("ACCESS", access_of_third)
    )
}

#[tokio::test]
async fn rollout_to_three_accounts_and_two_regions_with_overrides_then_teardown() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    write_config(
        dir.path(),
        &three_accounts("role = \"OrganizationAccountAccessRole\""),
    );
    let zip = function_zip(dir.path(), "fn.zip", None);
    let zip = zip.to_str().unwrap();

    // Dry run first: every target's diff, nothing created.
    let run = worktime(
        dir.path(),
        &moto.env(),
        &[
            "--output",
            "json",
            "rollout",
            "--dry-run",
            "--artifact",
            zip,
            "--concurrency",
            "6",
        ],
    )
    .expect_code(0);
    let results = run.json();
    assert_eq!(results.as_array().unwrap().len(), 6);
    assert!(
        results
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["result"] == "planned"),
        "{}",
        run.stdout
    );
    assert_eq!(
        stack_status(
            &as_account(&moto, "111111111111", "ap-northeast-2").await,
            "wt"
        )
        .await,
        None
    );

    let run = worktime(
        dir.path(),
        &moto.env(),
        &[
            "--output",
            "json",
            "rollout",
            "--yes",
            "--artifact",
            zip,
            "--concurrency",
            "6",
        ],
    )
    .expect_code(0);
    let results = run.json();
    let rows = results.as_array().unwrap();
    assert_eq!(rows.len(), 6, "{}", run.stdout);
    for row in rows {
        assert_eq!(row["result"], "created", "{row}");
    }

    // Each account and region has its stack, with that account's schedule and services.
    for region in ["ap-northeast-2", "us-east-1"] {
        let sdk = as_account(&moto, "111111111111", region).await;
        assert_eq!(
            stack_status(&sdk, "wt").await.as_deref(),
            Some("CREATE_COMPLETE"),
            "111111111111/{region}"
        );
        // 09:00 Asia/Kolkata is 03:30 UTC.
        assert_eq!(
            rule_cron(&sdk, "wt-scale-out").await.as_deref(),
            Some("cron(30 3 ? * MON-FRI *)")
        );
        let input = rule_input(&sdk, "wt-scale-out").await;
        assert_eq!(input["timezone"], "Asia/Kolkata");
        assert_eq!(input["services"][0]["resource_id"], "service/prod/api");
    }
    for region in ["ap-northeast-2", "eu-west-1"] {
        let sdk = as_account(&moto, "222222222222", region).await;
        assert_eq!(
            stack_status(&sdk, "wt").await.as_deref(),
            Some("CREATE_COMPLETE"),
            "222222222222/{region}"
        );
        assert_eq!(
            rule_cron(&sdk, "wt-scale-out").await.as_deref(),
            Some("cron(0 0 ? * MON-FRI *)")
        );
        let input = rule_input(&sdk, "wt-scale-in").await;
        assert_eq!(
            input["services"],
            serde_json::json!([{"resource_id": "service/team/web"}])
        );
    }
    for region in ["ap-northeast-2", "us-west-2"] {
        let sdk = as_account(&moto, "333333333333", region).await;
        assert_eq!(
            stack_status(&sdk, "wt").await.as_deref(),
            Some("CREATE_COMPLETE"),
            "333333333333/{region}"
        );
    }
    // Not in a region the account does not list, and nothing in the caller's own account.
    let sdk = as_account(&moto, "111111111111", "eu-west-1").await;
    assert_eq!(stack_status(&sdk, "wt").await, None);
    let own = moto.sdk().await;
    assert_eq!(
        stack_status(&own, "wt").await,
        None,
        "the caller's own account got nothing"
    );
    let own_buckets = moto.s3().await.list_buckets().send().await.unwrap();
    assert!(own_buckets.buckets().is_empty());

    // A re-run converges: every target up to date.
    let run = worktime(
        dir.path(),
        &moto.env(),
        &[
            "--output",
            "json",
            "rollout",
            "--yes",
            "--artifact",
            zip,
            "--concurrency",
            "6",
        ],
    )
    .expect_code(0);
    assert!(
        run.json()
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["result"] == "up-to-date"),
        "{}",
        run.stdout
    );

    // status over every target.
    let run = worktime(
        dir.path(),
        &moto.env(),
        &["--output", "json", "status", "--all-accounts"],
    )
    .expect_code(0);
    assert!(
        run.json()
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["result"] == "CREATE_COMPLETE"),
        "{}",
        run.stdout
    );

    // Every read of ECS throttled (the AWS model's faults): each target's status has holes,
    // so it is failed with the parts it could not read (and, past the failure tolerance, the
    // rest are not started), and the command exits 1.
    moto.model_faults(Some(serde_json::json!({"throttle_share": 1.0})));
    let run = worktime(
        dir.path(),
        &moto.env(),
        &["--output", "json", "status", "--all-accounts"],
    )
    .expect_code(1);
    let results = run.json();
    let results = results.as_array().unwrap();
    assert!(!results.is_empty(), "{}", run.stdout);
    let failed: Vec<&serde_json::Value> =
        results.iter().filter(|r| r["result"] == "failed").collect();
    assert!(!failed.is_empty(), "{}", run.stdout);
    for r in &failed {
        let error = r["error"].as_str().unwrap_or_default();
        assert!(
            error.contains("is incomplete") && error.contains("ThrottlingException"),
            "{error}"
        );
    }
    assert!(
        results
            .iter()
            .all(|r| r["result"] == "failed" || r["result"] == "not-started"),
        "{}",
        run.stdout
    );
    moto.model_faults(Some(serde_json::json!({"throttle_share": 0.0})));

    // Teardown across all accounts leaves nothing.
    let run = worktime(
        dir.path(),
        &moto.env(),
        &["--output", "json", "teardown", "--all-accounts", "--yes"],
    )
    .expect_code(0);
    assert!(
        run.json()
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["result"] == "deleted"),
        "{}",
        run.stdout
    );
    for (account, regions) in [
        ("111111111111", ["ap-northeast-2", "us-east-1"]),
        ("222222222222", ["ap-northeast-2", "eu-west-1"]),
        ("333333333333", ["ap-northeast-2", "us-west-2"]),
    ] {
        for region in regions {
            let sdk = as_account(&moto, account, region).await;
            assert_eq!(stack_status(&sdk, "wt").await, None, "{account}/{region}");
            assert_eq!(
                rule_cron(&sdk, "wt-scale-out").await,
                None,
                "{account}/{region}"
            );
            let s3 = aws_sdk_s3::Client::from_conf(
                aws_sdk_s3::config::Builder::from(&sdk)
                    .force_path_style(true)
                    .build(),
            );
            assert!(
                s3.list_buckets().send().await.unwrap().buckets().is_empty(),
                "{account}: no bucket left"
            );
            let iam = aws_sdk_iam::Client::new(&sdk);
            let roles = iam.list_roles().send().await.unwrap();
            assert!(
                roles
                    .roles()
                    .iter()
                    .all(|r| !r.role_name().starts_with("wt-")),
                "{account}: roles gone"
            );
        }
    }
}

#[tokio::test]
async fn an_unreachable_account_fails_alone_and_a_rerun_deploys_only_it() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    // The third account's profile does not exist: its credentials cannot be had.
    let path = write_config(dir.path(), &three_accounts("profile = \"no-such-profile\""));
    let zip = function_zip(dir.path(), "fn.zip", None);
    let zip = zip.to_str().unwrap();
    let mut env = moto.env();
    env.push(("AWS_MAX_ATTEMPTS".into(), "1".into()));

    let run = worktime(
        dir.path(),
        &env,
        &[
            "--output",
            "json",
            "rollout",
            "--yes",
            "--artifact",
            zip,
            "--concurrency",
            "6",
            "--failure-tolerance",
            "5",
        ],
    )
    .expect_code(1);
    let rows = run.json();
    let rows = rows.as_array().unwrap();
    let result = |account: &str, region: &str| {
        rows.iter()
            .find(|r| r["account"] == account && r["region"] == region)
            .unwrap_or_else(|| panic!("no row for {account}/{region}: {rows:?}"))
            .clone()
    };
    for (account, region) in [
        ("111111111111", "ap-northeast-2"),
        ("111111111111", "us-east-1"),
        ("222222222222", "ap-northeast-2"),
        ("222222222222", "eu-west-1"),
    ] {
        assert_eq!(
            result(account, region)["result"],
            "created",
            "{account}/{region}: {}",
            run.stdout
        );
    }
    for region in ["ap-northeast-2", "us-west-2"] {
        let row = result("333333333333", region);
        assert_eq!(row["result"], "failed", "{row}");
        assert!(
            row["error"].as_str().unwrap().contains("no-such-profile"),
            "names the cause: {row}"
        );
    }
    assert!(
        run.stderr.contains("2 of 6 target(s) failed"),
        "{}",
        run.stderr
    );

    // Fixed: only the failed account's targets change.
    write_config(
        path.parent().unwrap(),
        &three_accounts("role = \"OrganizationAccountAccessRole\""),
    );
    let run = worktime(
        dir.path(),
        &moto.env(),
        &[
            "--output",
            "json",
            "rollout",
            "--yes",
            "--artifact",
            zip,
            "--concurrency",
            "6",
        ],
    )
    .expect_code(0);
    for row in run.json().as_array().unwrap() {
        let expected = if row["account"] == "333333333333" {
            "created"
        } else {
            "up-to-date"
        };
        assert_eq!(row["result"], expected, "{row}");
    }
}

#[tokio::test]
async fn failure_tolerance_stops_new_targets_and_filters_select_targets() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path(), &three_accounts("profile = \"no-such-profile\""));
    let zip = function_zip(dir.path(), "fn.zip", None);
    let zip = zip.to_str().unwrap();
    let mut env = moto.env();
    env.push(("AWS_MAX_ATTEMPTS".into(), "1".into()));

    // One at a time: after the first failure nothing else starts (tolerance 0).
    let run = worktime(
        dir.path(),
        &env,
        &[
            "--output",
            "json",
            "rollout",
            "--yes",
            "--artifact",
            zip,
            "--concurrency",
            "1",
            "--accounts",
            "333333333333,111111111111",
        ],
    )
    .expect_code(1);
    let rows = run.json();
    let results: Vec<(&str, &str, &str)> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["account"].as_str().unwrap(),
                r["region"].as_str().unwrap(),
                r["result"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        results,
        [
            ("111111111111", "ap-northeast-2", "created"),
            ("111111111111", "us-east-1", "created"),
            ("333333333333", "ap-northeast-2", "failed"),
            ("333333333333", "us-west-2", "not-started"),
        ],
        "targets run in config order: {}",
        run.stdout
    );

    // An unknown account in the filter is a usage error, before anything runs.
    let run = worktime(
        dir.path(),
        &env,
        &["rollout", "--artifact", zip, "--accounts", "999999999999"],
    )
    .expect_code(2);
    assert!(run.stderr.contains("999999999999"), "{}", run.stderr);
}
