//! `rollout --engine stacksets` against moto: one stack set in the caller's account, stack
//! instances in other accounts (moto creates them as real stacks named `StackSet:<name>` in
//! each account and region; AWS names them `StackSet-<name>-<id>`), per-account parameter
//! overrides, the code bucket policy, and teardown. moto does not propagate `UpdateStackSet`
//! to existing instances, and creates no instance for service-managed OU targets: the tests
//! check what moto does support and that worktime reports the rest.

use aws_config::SdkConfig;
use worktime_e2e::*;

/// The caller (administrator) account of moto.
const ADMIN: &str = "123456789012";

/// SDK config of `moto` acting in `account` in `region`, through the role StackSets uses.
async fn in_account(moto: &Moto, account: &str, region: &str) -> SdkConfig {
    moto.sdk_as(account, "AWSCloudFormationStackSetExecutionRole", region)
        .await
}

/// The live stacks of stack set `name` in this account and region.
async fn instance_stacks(sdk: &SdkConfig, name: &str) -> Vec<(String, String)> {
    let cfn = aws_sdk_cloudformation::Client::new(sdk);
    let listed = cfn.list_stacks().send().await.expect("list stacks");
    listed
        .stack_summaries()
        .iter()
        .map(|s| {
            (
                s.stack_name().unwrap_or_default().to_string(),
                s.stack_status()
                    .map(|x| x.as_str().to_string())
                    .unwrap_or_default(),
            )
        })
        .filter(|(stack, status)| {
            (stack == &format!("StackSet:{name}")
                || stack.starts_with(&format!("StackSet-{name}-")))
                && status != "DELETE_COMPLETE"
        })
        .collect()
}

/// A rule's schedule and its target's input, if the rule exists.
async fn rule(sdk: &SdkConfig, name: &str) -> Option<(String, serde_json::Value)> {
    let events = aws_sdk_eventbridge::Client::new(sdk);
    let described = events.describe_rule().name(name).send().await.ok()?;
    let fired = chrono::DateTime::parse_from_rfc3339("2026-12-01T00:00:00Z")
        .ok()?
        .to_utc();
    let input = triggers::deployed_rule_payload(sdk, name, fired)
        .await
        .ok()?;
    assert_eq!(input["scheduled_time"], "2026-12-01T00:00:00Z", "{input}");
    Some((described.schedule_expression()?.to_string(), input))
}

/// The parameter overrides of one stack instance.
async fn overrides(moto: &Moto, name: &str, account: &str, region: &str) -> Vec<(String, String)> {
    let cfn = aws_sdk_cloudformation::Client::new(&moto.sdk().await);
    let described = cfn
        .describe_stack_instance()
        .stack_set_name(name)
        .stack_instance_account(account)
        .stack_instance_region(region)
        .send()
        .await
        .expect("describe stack instance");
    described
        .stack_instance()
        .expect("instance")
        .parameter_overrides()
        .iter()
        .map(|p| {
            (
                p.parameter_key().unwrap_or_default().to_string(),
                p.parameter_value().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

fn value<'a>(parameters: &'a [(String, String)], key: &str) -> &'a str {
    parameters
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("no {key} in {parameters:?}"))
}

async fn stack_set_exists(moto: &Moto, name: &str) -> bool {
    let cfn = aws_sdk_cloudformation::Client::new(&moto.sdk().await);
    cfn.describe_stack_set()
        .stack_set_name(name)
        .send()
        .await
        .is_ok()
}

/// The results of a `--output json` run, with the stack-set row apart.
fn rows(run: &Run) -> (serde_json::Value, Vec<serde_json::Value>) {
    let mut all = run.json().as_array().expect("a JSON array").clone();
    assert_eq!(all[0]["account"], "stack-set", "{}", run.stdout);
    let set = all.remove(0);
    (set, all)
}

fn results(instances: &[serde_json::Value]) -> Vec<(String, String, String)> {
    instances
        .iter()
        .map(|r| {
            (
                r["account"].as_str().unwrap_or_default().to_string(),
                r["region"].as_str().unwrap_or_default().to_string(),
                r["result"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// Starts moto recording every request it answers into `recording` (moto's own recorder,
/// `MOTO_ENABLE_RECORDING`), for counting writes.
fn recording_moto(recording: &std::path::Path) -> Moto {
    Moto::start_with_env(
        "ap-northeast-2",
        &[
            ("MOTO_ENABLE_RECORDING", "true"),
            ("MOTO_RECORDER_FILEPATH", recording.to_str().unwrap()),
        ],
    )
}

/// The bucket policy writes (`PutBucketPolicy`, `DeleteBucketPolicy`) in a moto recording.
fn policy_writes(recording: &std::path::Path) -> Vec<String> {
    let text = std::fs::read_to_string(recording).unwrap_or_default();
    text.lines()
        .filter_map(|line| {
            let entry: serde_json::Value = serde_json::from_str(line).ok()?;
            let method = entry["method"].as_str()?;
            let url = entry["url"].as_str()?;
            let (_, query) = url.split_once('?')?;
            let policy = query
                .split('&')
                .any(|pair| pair.split('=').next() == Some("policy"));
            (policy && method != "GET").then(|| format!("{method} {url}"))
        })
        .collect()
}

const CONFIG: &str = r#"
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

[stacksets]
permission_model = "self-managed"

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
role = "OrganizationAccountAccessRole"
regions = ["ap-northeast-2", "us-west-2"]
THIRD
"#;

const TARGETS: [(&str, &str); 6] = [
    ("111111111111", "ap-northeast-2"),
    ("111111111111", "us-east-1"),
    ("222222222222", "ap-northeast-2"),
    ("222222222222", "eu-west-1"),
    ("333333333333", "ap-northeast-2"),
    ("333333333333", "us-west-2"),
];

fn every(result: &str) -> Vec<(String, String, String)> {
    TARGETS
        .iter()
        .map(|(a, r)| (a.to_string(), r.to_string(), result.to_string()))
        .collect()
}

#[tokio::test]
async fn stackset_self_managed_three_accounts_two_regions_with_overrides_then_teardown() {
    let dir = tempfile::tempdir().unwrap();
    let recording = dir.path().join("moto-recording.jsonl");
    let moto = recording_moto(&recording);
    let path = write_config(dir.path(), &CONFIG.replace("THIRD", ""));
    let zip = function_zip(dir.path(), "fn.zip", None);
    let zip = zip.to_str().unwrap();
    let rollout = |extra: &[&str]| {
        let mut args = vec![
            "--output",
            "json",
            "rollout",
            "--yes",
            "--engine",
            "stacksets",
            "--artifact",
            zip,
        ];
        args.extend_from_slice(extra);
        worktime(dir.path(), &moto.env(), &args)
    };

    // Dry run: the plan, nothing created.
    let run = rollout(&["--dry-run"]).expect_code(0);
    let (set, instances) = rows(&run);
    assert_eq!(set["result"], "planned", "{}", run.stdout);
    assert_eq!(results(&instances), every("planned"));
    assert!(run.stderr.contains("would be created"), "{}", run.stderr);
    assert!(
        !stack_set_exists(&moto, "wt").await,
        "a dry run creates nothing"
    );
    assert!(moto
        .s3()
        .await
        .list_buckets()
        .send()
        .await
        .unwrap()
        .buckets()
        .is_empty());

    // Rollout: one stack set, six instances.
    let run = rollout(&["--concurrency", "6"]).expect_code(0);
    let (set, instances) = rows(&run);
    assert_eq!(set["result"], "created", "{}", run.stdout);
    assert_eq!(results(&instances), every("created"), "{}", run.stdout);
    assert!(stack_set_exists(&moto, "wt").await);

    // Each target account and region has the instance's stack, built from its own values.
    for (account, region) in TARGETS {
        let sdk = in_account(&moto, account, region).await;
        let stacks = instance_stacks(&sdk, "wt").await;
        assert_eq!(stacks.len(), 1, "{account}/{region}: {stacks:?}");
        assert_eq!(stacks[0].1, "CREATE_COMPLETE", "{account}/{region}");
        let (cron, input) = rule(&sdk, "wt-scale-out")
            .await
            .unwrap_or_else(|| panic!("{account}/{region}: no rule"));
        let parameters = overrides(&moto, "wt", account, region).await;
        assert_eq!(
            value(&parameters, "CodeS3Bucket"),
            format!("worktime-artifacts-{ADMIN}-{region}")
        );
        assert!(value(&parameters, "CodeS3Key").starts_with("stack-sets/wt/bootstrap-"));
        match account {
            "111111111111" => {
                // 09:00 Asia/Kolkata is 03:30 UTC.
                assert_eq!(cron, "cron(30 3 ? * MON-FRI *)");
                assert_eq!(input["timezone"], "Asia/Kolkata");
                assert_eq!(value(&parameters, "ScheduleTimezone"), "Asia/Kolkata");
            }
            "222222222222" => {
                assert_eq!(cron, "cron(0 0 ? * MON-FRI *)");
                assert_eq!(input["services"][0]["resource_id"], "service/team/web");
                assert_eq!(
                    value(&parameters, "ServiceArnPatterns"),
                    format!("arn:aws:ecs:{region}:{account}:service/team/*")
                );
            }
            _ => {
                assert_eq!(cron, "cron(0 0 ? * MON-FRI *)");
                assert_eq!(input["timezone"], "Asia/Seoul");
                assert_eq!(input["services"][0]["resource_id"], "service/prod/api");
            }
        }
        // The function's ECS statements are scoped to this account and region.
        let policy = aws_sdk_iam::Client::new(&sdk)
            .get_role_policy()
            .role_name(format!("wt-scaler-{region}"))
            .policy_name("wt-scaler")
            .send()
            .await
            .unwrap_or_else(|e| panic!("{account}/{region}: {e:?}"));
        let document = percent_decode(policy.policy_document());
        assert!(
            document.contains(&format!("arn:aws:ecs:{region}:{account}:service/")),
            "{account}/{region}: {document}"
        );
    }
    // No instance where the config lists none, and none in the caller's own account.
    let elsewhere = in_account(&moto, "111111111111", "eu-west-1").await;
    assert!(instance_stacks(&elsewhere, "wt").await.is_empty());
    for region in ["ap-northeast-2", "us-east-1"] {
        let own = moto.sdk_in(region).await;
        let cfn = aws_sdk_cloudformation::Client::new(&own);
        let stacks = cfn.list_stacks().send().await.unwrap();
        assert!(
            stacks
                .stack_summaries()
                .iter()
                .all(|s| s.stack_status().map(|x| x.as_str()) == Some("DELETE_COMPLETE")),
            "the caller's account has no stack in {region}: {:?}",
            stacks.stack_summaries()
        );
    }

    // The administrator's code buckets, one per target region, readable by that region's accounts.
    let s3 = moto.s3().await;
    let mut buckets: Vec<String> = s3
        .list_buckets()
        .send()
        .await
        .unwrap()
        .buckets()
        .iter()
        .filter_map(|b| b.name().map(str::to_string))
        .collect();
    buckets.sort();
    assert_eq!(
        buckets,
        ["ap-northeast-2", "eu-west-1", "us-east-1", "us-west-2"]
            .map(|r| format!("worktime-artifacts-{ADMIN}-{r}"))
    );
    let policy = s3
        .get_bucket_policy()
        .bucket(format!("worktime-artifacts-{ADMIN}-ap-northeast-2"))
        .send()
        .await
        .unwrap();
    let policy: serde_json::Value = serde_json::from_str(policy.policy().unwrap()).unwrap();
    let statements = policy["Statement"].as_array().unwrap();
    assert!(
        statements
            .iter()
            .any(|s| s["Sid"] == "WorktimeDenyInsecureTransport"),
        "the bucket stays TLS-only: {policy}"
    );
    let statement = statements
        .iter()
        .find(|s| s["Action"] == "s3:GetObject")
        .expect("the stack set's code statement");
    assert_eq!(
        statement["Resource"],
        format!("arn:aws:s3:::worktime-artifacts-{ADMIN}-ap-northeast-2/stack-sets/wt/*")
    );
    // S3 keeps the principals as a set: their order is its own.
    let mut principals: Vec<&str> = statement["Principal"]["AWS"]
        .as_array()
        .expect("three principals")
        .iter()
        .filter_map(|p| p.as_str())
        .collect();
    principals.sort_unstable();
    assert_eq!(
        principals,
        [
            "arn:aws:iam::111111111111:root",
            "arn:aws:iam::222222222222:root",
            "arn:aws:iam::333333333333:root"
        ]
    );
    // One account in a region: S3 answers the one-element principal list as its element (the
    // rollout compared statements by meaning, or it would have failed "kept changing").
    let policy = s3
        .get_bucket_policy()
        .bucket(format!("worktime-artifacts-{ADMIN}-us-east-1"))
        .send()
        .await
        .unwrap();
    let policy: serde_json::Value = serde_json::from_str(policy.policy().unwrap()).unwrap();
    let statement = policy["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["Action"] == "s3:GetObject")
        .expect("the stack set's code statement");
    assert_eq!(
        statement["Principal"]["AWS"], "arn:aws:iam::111111111111:root",
        "{policy}"
    );
    assert!(
        !policy_writes(&recording).is_empty(),
        "the recording holds the first rollout's policy writes"
    );

    // A re-run converges: nothing to create or update, and no policy write (each statement
    // is already there, in S3's form).
    std::fs::write(&recording, "").unwrap();
    let run = rollout(&[]).expect_code(0);
    let (set, instances) = rows(&run);
    assert_eq!(set["result"], "up-to-date", "{}", run.stdout);
    assert_eq!(results(&instances), every("up-to-date"), "{}", run.stdout);
    assert_eq!(policy_writes(&recording), Vec::<String>::new());

    // One account's schedule changes: only its instances are updated (their overrides; moto
    // records them but, like UpdateStackSet, does not re-deploy the stack).
    write_config(
        path.parent().unwrap(),
        &CONFIG.replace(
            "THIRD",
            "[accounts.schedule]\nscale_out = \"cron(0 8 ? * MON-FRI *)\"\n",
        ),
    );
    let run = rollout(&[]).expect_code(0);
    let (_, instances) = rows(&run);
    for (account, region, result) in results(&instances) {
        let expected = if account == "333333333333" {
            "updated"
        } else {
            "up-to-date"
        };
        assert_eq!(result, expected, "{account}/{region}: {}", run.stdout);
    }
    let parameters = overrides(&moto, "wt", "333333333333", "us-west-2").await;
    assert_eq!(
        value(&parameters, "ScaleOutExpression"),
        "cron(0 23 ? * SUN-THU *)"
    );

    // A template change goes through UpdateStackSet (moto keeps the template; AWS would also
    // re-deploy every instance with it).
    write_config(
        path.parent().unwrap(),
        &(CONFIG.replace(
            "THIRD",
            "[accounts.schedule]\nscale_out = \"cron(0 8 ? * MON-FRI *)\"\n",
        ) + "\n[function]\nmemory_mb = 256\n"),
    );
    let run = rollout(&["--dry-run"]).expect_code(0);
    let (set, _) = rows(&run);
    assert_eq!(set["result"], "planned", "{}", run.stdout);
    assert!(run.stderr.contains("modify    Function"), "{}", run.stderr);
    let run = rollout(&[]).expect_code(0);
    let (set, instances) = rows(&run);
    assert_eq!(set["result"], "updated", "{}", run.stdout);
    assert_eq!(results(&instances), every("updated"));
    let cfn = aws_sdk_cloudformation::Client::new(&moto.sdk().await);
    let described = cfn
        .describe_stack_set()
        .stack_set_name("wt")
        .send()
        .await
        .unwrap();
    assert!(described
        .stack_set()
        .unwrap()
        .template_body()
        .unwrap()
        .contains("MemorySize: 256"));

    // Teardown: instances (and their stacks), the stack set, the buckets.
    let run = worktime(
        dir.path(),
        &moto.env(),
        &[
            "--output",
            "json",
            "teardown",
            "--all-accounts",
            "--engine",
            "stacksets",
            "--yes",
        ],
    )
    .expect_code(0);
    let (set, instances) = rows(&run);
    assert_eq!(set["result"], "deleted", "{}", run.stdout);
    assert_eq!(results(&instances), every("deleted"), "{}", run.stdout);
    assert!(!stack_set_exists(&moto, "wt").await);
    for (account, region) in TARGETS {
        let sdk = in_account(&moto, account, region).await;
        assert!(
            instance_stacks(&sdk, "wt").await.is_empty(),
            "{account}/{region}"
        );
        assert!(
            rule(&sdk, "wt-scale-out").await.is_none(),
            "{account}/{region}"
        );
    }
    assert!(
        s3.list_buckets().send().await.unwrap().buckets().is_empty(),
        "buckets deleted"
    );

    // Teardown of nothing is not an error.
    let run = worktime(
        dir.path(),
        &moto.env(),
        &[
            "--output",
            "json",
            "teardown",
            "--all-accounts",
            "--engine",
            "stacksets",
            "--yes",
        ],
    )
    .expect_code(0);
    let (set, instances) = rows(&run);
    assert_eq!(set["result"], "absent", "{}", run.stdout);
    assert_eq!(results(&instances), every("absent"));
}

const SERVICE_MANAGED: &str = r#"
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

[stacksets]
permission_model = "service-managed"
organizational_units = ["ou-abcd-12345678"]
organization_id = "o-abcdefghij"

[[accounts]]
id = "111111111111"
role = "OrganizationAccountAccessRole"
regions = ["ap-northeast-2", "us-east-1"]
"#;

#[tokio::test]
async fn stackset_service_managed_reports_each_region_without_an_instance_as_failed() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path(), SERVICE_MANAGED);
    let zip = function_zip(dir.path(), "fn.zip", None);
    let zip = zip.to_str().unwrap();

    // moto accepts the OU targets and creates nothing: worktime says so, region by region.
    let run = worktime(
        dir.path(),
        &moto.env(),
        &[
            "--output",
            "json",
            "rollout",
            "--yes",
            "--engine",
            "stacksets",
            "--artifact",
            zip,
        ],
    )
    .expect_code(1);
    let (set, instances) = rows(&run);
    assert_eq!(set["result"], "created", "{}", run.stdout);
    assert_eq!(
        results(&instances),
        [
            (
                "ou-abcd-12345678".to_string(),
                "ap-northeast-2".to_string(),
                "failed".to_string()
            ),
            (
                "ou-abcd-12345678".into(),
                "us-east-1".into(),
                "failed".into()
            ),
        ],
        "{}",
        run.stdout
    );
    for row in &instances {
        let error = row["error"].as_str().unwrap();
        assert!(
            error.contains("no stack instance was created") && error.contains("ou-abcd-12345678"),
            "{row}"
        );
    }
    assert!(
        run.stderr.contains("2 of 3 target(s) failed"),
        "{}",
        run.stderr
    );

    // The code is readable by the organisation's accounts.
    let s3 = moto.s3().await;
    let policy = s3
        .get_bucket_policy()
        .bucket(format!("worktime-artifacts-{ADMIN}-us-east-1"))
        .send()
        .await
        .unwrap();
    let policy: serde_json::Value = serde_json::from_str(policy.policy().unwrap()).unwrap();
    let code = policy["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["Action"] == "s3:GetObject")
        .expect("the code statement");
    assert_eq!(
        code["Condition"]["StringEquals"]["aws:PrincipalOrgID"],
        "o-abcdefghij"
    );
    // Only the listed OUs, not the whole organisation.
    // One OU: S3 answers the one-element list as its element.
    assert!(
        code["Condition"]["ForAnyValue:StringLike"]["aws:PrincipalOrgPaths"]
            .as_str()
            .is_some_and(|p| p.starts_with("o-abcdefghij/*/ou-")),
        "{code}"
    );
    let cfn = aws_sdk_cloudformation::Client::new(&moto.sdk().await);
    let described = cfn
        .describe_stack_set()
        .stack_set_name("wt")
        .send()
        .await
        .unwrap();
    assert_eq!(
        described
            .stack_set()
            .unwrap()
            .permission_model()
            .map(|m| m.as_str()),
        Some("SERVICE_MANAGED")
    );

    // Teardown removes the empty stack set and the buckets.
    let run = worktime(
        dir.path(),
        &moto.env(),
        &[
            "--output",
            "json",
            "teardown",
            "--all-accounts",
            "--engine",
            "stacksets",
            "--yes",
        ],
    )
    .expect_code(0);
    let (set, _) = rows(&run);
    assert_eq!(set["result"], "deleted", "{}", run.stdout);
    assert!(!stack_set_exists(&moto, "wt").await);
    assert!(s3.list_buckets().send().await.unwrap().buckets().is_empty());
}

#[test]
fn stackset_usage_errors_change_nothing() {
    // Usage errors come before any call; the endpoint is a closed local port all the same.
    let env: Vec<(String, String)> = vec![
        ("AWS_ACCESS_KEY_ID".into(), "testing".into()),
        ("AWS_SECRET_ACCESS_KEY".into(), "testing".into()),
        ("AWS_ENDPOINT_URL".into(), "http://127.0.0.1:9".into()),
        ("AWS_EC2_METADATA_DISABLED".into(), "true".into()),
    ];
    let dir = tempfile::tempdir().unwrap();
    let zip = function_zip(dir.path(), "fn.zip", None);
    let zip = zip.to_str().unwrap();

    let without = CONFIG
        .replace("THIRD", "")
        .replace("[stacksets]\npermission_model = \"self-managed\"\n", "");
    write_config(dir.path(), &without);
    let run = worktime(
        dir.path(),
        &env,
        &["rollout", "--engine", "stacksets", "--artifact", zip],
    )
    .expect_code(2);
    assert!(run.stderr.contains("[stacksets]"), "{}", run.stderr);
    let run = worktime(
        dir.path(),
        &env,
        &[
            "teardown",
            "--all-accounts",
            "--engine",
            "stacksets",
            "--yes",
        ],
    )
    .expect_code(2);
    assert!(run.stderr.contains("[stacksets]"), "{}", run.stderr);

    write_config(dir.path(), &CONFIG.replace("THIRD", ""));
    let run = worktime(
        dir.path(),
        &env,
        &["teardown", "--engine", "stacksets", "--yes"],
    )
    .expect_code(2);
    assert!(run.stderr.contains("--all-accounts"), "{}", run.stderr);

    // One template for every account: the trigger kinds must agree.
    let mixed = CONFIG.replace(
        "THIRD",
        "[accounts.schedule]\ntimezone = \"Europe/Berlin\"\ntrigger = \"scheduler\"\n",
    );
    write_config(dir.path(), &mixed);
    let run = worktime(
        dir.path(),
        &env,
        &["rollout", "--engine", "stacksets", "--artifact", zip],
    )
    .expect_code(2);
    assert!(
        run.stderr.contains("same trigger kind") && run.stderr.contains("333333333333"),
        "{}",
        run.stderr
    );
}

#[tokio::test]
async fn a_foreign_stack_set_of_the_same_name_is_neither_updated_nor_deleted() {
    let moto = Moto::start();
    let cfn = aws_sdk_cloudformation::Client::new(&moto.sdk().await);
    cfn.create_stack_set()
        .stack_set_name("wt")
        .template_body(r#"{"Resources":{"Queue":{"Type":"AWS::SQS::Queue"}}}"#)
        .send()
        .await
        .expect("another team's stack set");
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path(), &CONFIG.replace("THIRD", ""));
    let zip = function_zip(dir.path(), "fn.zip", None);
    for args in [
        vec![
            "rollout",
            "--yes",
            "--engine",
            "stacksets",
            "--artifact",
            zip.to_str().unwrap(),
        ],
        vec![
            "teardown",
            "--yes",
            "--all-accounts",
            "--engine",
            "stacksets",
        ],
    ] {
        let run = worktime(dir.path(), &moto.env(), &args).expect_code(1);
        assert!(
            run.stderr.contains("stack set wt")
                && run.stderr.contains("is not worktime's")
                && run.stderr.contains("no worktime:stack tag"),
            "{args:?}: {}",
            run.stderr
        );
        assert!(stack_set_exists(&moto, "wt").await, "{args:?}");
    }
    let template = cfn
        .describe_stack_set()
        .stack_set_name("wt")
        .send()
        .await
        .unwrap()
        .stack_set()
        .unwrap()
        .template_body()
        .unwrap()
        .to_string();
    assert!(
        template.contains("AWS::SQS::Queue"),
        "untouched: {template}"
    );
}

#[tokio::test]
async fn stackset_teardown_gives_back_the_services_scaled_in_once_the_instances_are_gone() {
    use worktime_lambda::{Clients, EventDefaults, ScalingEvent};
    // The server records every request, in the order it receives them.
    let moto = Moto::start_recording("ap-northeast-2");
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path(), &CONFIG.replace("THIRD", ""));
    let zip = function_zip(dir.path(), "fn.zip", None);
    let run = worktime(
        dir.path(),
        &moto.env(),
        &[
            "--output",
            "json",
            "rollout",
            "--yes",
            "--engine",
            "stacksets",
            "--artifact",
            zip.to_str().unwrap(),
        ],
    )
    .expect_code(0);
    let (set, _) = rows(&run);
    assert_eq!(set["result"], "created", "{}", run.stdout);

    // Account 111111111111's api in Seoul runs 2 tasks at 1/3, then the function's own code
    // scales it in there (what its instance's evening trigger does).
    let sdk = in_account(&moto, "111111111111", "ap-northeast-2").await;
    create_services(&sdk, "prod", &[("api", 2)]).await;
    register_target(&sdk, "prod", "api", 1, 3).await;
    let now = chrono::Utc::now();
    let event = ScalingEvent::from_json(
        serde_json::json!({
            "action": "scale-in",
            "services": [{"resource_id": "service/prod/api", "min": 1, "max": 3}]
        }),
        &EventDefaults::allowing(["service/prod/api".to_string()]),
        now,
    )
    .unwrap();
    let report = worktime_lambda::run(&Clients::new(&sdk), &event, now).await;
    assert_eq!(report.summary.changed, 1, "{report:?}");
    assert_eq!(target_capacity(&sdk, "prod", "api").await, Some((0, 0)));
    assert_eq!(desired_count(&sdk, "prod", "api").await, 0);
    let before = moto.recorded_operations().len();

    let run = worktime(
        dir.path(),
        &moto.env(),
        &[
            "--output",
            "json",
            "teardown",
            "--yes",
            "--all-accounts",
            "--engine",
            "stacksets",
        ],
    )
    .expect_code(0);
    assert!(
        run.stderr
            .contains("111111111111/ap-northeast-2: gave back service/prod/api"),
        "{}",
        run.stderr
    );
    // The instances (their triggers and functions) went before any service came back.
    let calls = moto.recorded_operations()[before..].to_vec();
    let position = |operation: &str| {
        calls
            .iter()
            .position(|c| c == operation)
            .unwrap_or_else(|| panic!("no {operation} in the teardown's calls: {calls:?}"))
    };
    assert!(
        position("cloudformation:DeleteStackInstances")
            < position("application-autoscaling:RegisterScalableTarget"),
        "{calls:?}"
    );
    let line = |text: &str| {
        run.stderr
            .lines()
            .position(|l| l.contains(text))
            .unwrap_or_else(|| panic!("no {text:?} in\n{}", run.stderr))
    };
    assert!(
        line("deleted stack instances") < line("gave back service/prod/api"),
        "{}",
        run.stderr
    );
    assert_eq!(target_capacity(&sdk, "prod", "api").await, Some((1, 3)));
    assert_eq!(desired_count(&sdk, "prod", "api").await, 2);
    assert_eq!(remembered_capacity(&sdk, "prod", "api").await, None);
    assert!(!stack_set_exists(&moto, "wt").await);
}
