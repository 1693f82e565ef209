//! The operator's own least privilege (issue 21): every command run against the local
//! endpoint with the call recorder on (`WORKTIME_RECORD_CALLS`), and every SDK operation it
//! made checked against the permissions table `worktime policy` prints.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value;
use worktime_e2e::*;

const REGION: &str = "ap-northeast-2";

fn config() -> String {
    format!(
        r#"
[stack]
name = "wt"
region = "{REGION}"

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

[[services]]
cluster = "prod"
service = "worker"
"#
    )
}

/// Runs `worktime args` with the recorder on; the run and the `(service, operation)` pairs
/// it made.
pub(super) fn recorded(
    dir: &Path,
    moto: &Moto,
    args: &[&str],
) -> (Run, BTreeSet<(String, String)>) {
    let file = dir.join(format!("calls-{}.tsv", args[0]));
    let _ = std::fs::remove_file(&file);
    let mut env = moto.env();
    env.push(("WORKTIME_RECORD_CALLS".into(), file.display().to_string()));
    let run = worktime(dir, &env, args);
    let text = std::fs::read_to_string(&file).unwrap_or_default();
    let calls = text
        .lines()
        .filter_map(|line| line.split_once('\t'))
        .map(|(s, o)| (s.to_string(), o.to_string()))
        .collect();
    (run, calls)
}

/// The table's rows for `command` as `worktime policy --for COMMAND --output json` prints
/// them, and every action its policies allow.
fn table_for(dir: &Path, moto: &Moto, command: &str) -> (Vec<Value>, BTreeSet<String>) {
    let (command, engine) = command.split_once(' ').unwrap_or((command, "direct"));
    let printed = worktime(
        dir,
        &moto.env(),
        &[
            "policy", "--for", command, "--engine", engine, "--output", "json",
        ],
    )
    .expect_code(0)
    .json();
    let calls = printed["calls"].as_array().expect("calls").clone();
    let actions = printed["policies"]
        .as_array()
        .expect("policies")
        .iter()
        .flat_map(|p| {
            p["document"]["Statement"]
                .as_array()
                .expect("statements")
                .clone()
        })
        .flat_map(|s| s["Action"].as_array().expect("actions").clone())
        .map(|a| a.as_str().expect("action").to_string())
        .collect();
    (calls, actions)
}

/// Every operation `command` made is a row of the table for `command`, and each of its
/// actions is granted by the printed policy.
pub(super) fn assert_listed(
    dir: &Path,
    moto: &Moto,
    command: &str,
    made: &BTreeSet<(String, String)>,
) {
    let (calls, actions) = table_for(dir, moto, command);
    assert!(
        !made.is_empty(),
        "{command} made no call: the recorder is not on"
    );
    for (service, operation) in made {
        let rows: Vec<&Value> = calls
            .iter()
            .filter(|c| c["service"] == service.as_str() && c["operation"] == operation.as_str())
            .collect();
        assert!(
            !rows.is_empty(),
            "{command} called {service} {operation}, which the permissions table does not list for {command}"
        );
        for row in rows {
            if let Some(action) = row["grant"]["action"].as_str() {
                assert!(
                    actions.contains(action),
                    "{command}: {service} {operation} needs {action}, which worktime policy --for {command} does not grant"
                );
            }
        }
    }
}

/// Every command, run for real with the recorder on: each SDK operation it made is listed in
/// the table for it and granted by its printed policy.
#[tokio::test]
async fn every_call_each_command_makes_is_in_the_table_and_its_policy() {
    let moto = Moto::start_in(REGION);
    let sdk = moto.sdk().await;
    create_services(&sdk, "prod", &[("api", 2), ("worker", 4)]).await;
    register_target(&sdk, "prod", "api", 1, 3).await;
    let dir = tempfile::tempdir().expect("temp dir");
    write_config(dir.path(), &config());
    let zip = function_zip(dir.path(), "fn.zip", None);
    let zip = zip.to_str().expect("UTF-8 path");
    let mut seen = BTreeSet::new();
    for (args, code) in [
        (vec!["bootstrap", "--yes", "--artifact", zip], 0),
        (vec!["deploy", "--yes", "--artifact", zip], 0),
        (vec!["diff", "--artifact", zip], 0),
        (vec!["status"], 0),
        (vec!["hold", "prod/api", "--for", "1h"], 0),
        (vec!["run", "scale-in"], 0),
        (vec!["wake", "prod/worker"], 0),
        (vec!["report"], 0),
        (vec!["teardown", "--yes"], 0),
    ] {
        let (run, made) = recorded(dir.path(), &moto, &args);
        run.expect_code(code);
        assert_listed(dir.path(), &moto, args[0], &made);
        seen.extend(made);
    }
    // The lifecycle made the calls that matter most: the stack, the code, the services.
    for (service, operation) in [
        ("CloudFormation", "ExecuteChangeSet"),
        ("CloudFormation", "DeleteStack"),
        ("S3", "PutObject"),
        ("ECS", "UpdateService"),
        ("ECS", "TagResource"),
        ("Application Auto Scaling", "RegisterScalableTarget"),
    ] {
        assert!(
            seen.contains(&(service.to_string(), operation.to_string())),
            "no command called {service} {operation}: {seen:?}"
        );
    }
}

/// A stack with a woken service: `run scale-in` pointing its rules at the wake group, then
/// teardown putting them back, call only what the table lists for them.
#[tokio::test]
async fn moving_a_woken_services_rules_in_run_and_teardown_calls_only_what_the_table_lists() {
    let moto = Moto::start();
    let day = crate::wake::deployed(&moto).await;
    let dir = day.dir.path();
    let (run, made) = recorded(dir, &moto, &["run", "scale-in"]);
    run.expect_code(0);
    crate::wake::assert_asleep(&day).await;
    assert_listed(dir, &moto, "run", &made);
    for operation in [
        "GetFunctionConfiguration",
        "AddTags",
        "ModifyRule",
        "ModifyListener",
    ] {
        assert!(
            made.iter().any(|(_, o)| o == operation),
            "run did not call {operation}: {made:?}"
        );
    }
    let (run, made) = recorded(dir, &moto, &["teardown", "--yes"]);
    run.expect_code(0);
    crate::wake::as_by_day(&day).await;
    assert_listed(dir, &moto, "teardown", &made);
    for (service, operation) in [
        ("Lambda", "GetFunctionConfiguration"),
        ("Elastic Load Balancing v2", "ModifyRule"),
        ("Elastic Load Balancing v2", "ModifyListener"),
        ("Elastic Load Balancing v2", "RemoveTags"),
    ] {
        assert!(
            made.contains(&(service.to_string(), operation.to_string())),
            "teardown did not call {service} {operation}: {made:?}"
        );
    }
}

/// An operation the table does not list for a command is caught: `report` never lists its
/// rows for `bootstrap`'s calls.
#[tokio::test]
async fn a_call_the_table_does_not_list_for_the_command_is_caught() {
    let moto = Moto::start_in(REGION);
    let dir = tempfile::tempdir().expect("temp dir");
    write_config(dir.path(), &config());
    let made = BTreeSet::from([("CloudFormation".to_string(), "ExecuteChangeSet".to_string())]);
    let caught = std::panic::catch_unwind(|| assert_listed(dir.path(), &moto, "report", &made));
    assert!(caught.is_err(), "report's table accepted ExecuteChangeSet");
    assert_listed(dir.path(), &moto, "deploy", &made);
}

/// `[stack] execution_role_arn`: a role that does not exist stops bootstrap before anything
/// is made (exit 1, naming the key); an existing one deploys and tears down; a malformed one
/// is a configuration error (exit 2).
#[tokio::test]
async fn the_execution_role_is_checked_before_anything_changes() {
    let moto = Moto::start_in(REGION);
    let sdk = moto.sdk().await;
    create_services(&sdk, "prod", &[("api", 2), ("worker", 4)]).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let zip = function_zip(dir.path(), "fn.zip", None);
    let zip = zip.to_str().expect("UTF-8 path");
    let with_role = |arn: &str| {
        config().replacen(
            &format!("region = \"{REGION}\"\n"),
            &format!("region = \"{REGION}\"\nexecution_role_arn = \"{arn}\"\n"),
            1,
        )
    };
    let arn = "arn:aws:iam::123456789012:role/wt-cloudformation";

    write_config(dir.path(), &with_role("wt-cloudformation"));
    let malformed = worktime(
        dir.path(),
        &moto.env(),
        &["bootstrap", "--yes", "--artifact", zip],
    )
    .expect_code(2);
    assert!(
        malformed.stderr.contains("stack.execution_role_arn"),
        "{}",
        malformed.stderr
    );

    write_config(dir.path(), &with_role(arn));
    let missing = worktime(
        dir.path(),
        &moto.env(),
        &["bootstrap", "--yes", "--artifact", zip],
    )
    .expect_code(1);
    for part in [
        "stack.execution_role_arn",
        "does not exist",
        "nothing was changed",
        "Fix:",
    ] {
        assert!(
            missing.stderr.contains(part),
            "{part:?} not in {}",
            missing.stderr
        );
    }
    let buckets = aws_sdk_s3::Client::new(&sdk)
        .list_buckets()
        .send()
        .await
        .expect("list buckets");
    assert!(
        buckets.buckets().is_empty(),
        "a bucket was made: {buckets:?}"
    );
    let stacks = aws_sdk_cloudformation::Client::new(&sdk)
        .describe_stacks()
        .stack_name("wt")
        .send()
        .await;
    assert!(stacks.is_err(), "a stack was made: {stacks:?}");

    aws_sdk_iam::Client::new(&sdk)
        .create_role()
        .role_name("wt-cloudformation")
        .assume_role_policy_document(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"cloudformation.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#,
        )
        .send()
        .await
        .expect("create the role");
    let (run, made) = recorded(
        dir.path(),
        &moto,
        &["bootstrap", "--yes", "--artifact", zip],
    );
    run.expect_code(0);
    assert!(made.contains(&("IAM".to_string(), "GetRole".to_string())));
    assert_listed(dir.path(), &moto, "bootstrap", &made);
    let status = worktime(dir.path(), &moto.env(), &["status", "--output", "json"]).expect_code(0);
    assert!(
        status.stdout.contains("CREATE_COMPLETE"),
        "{}",
        status.stdout
    );
    worktime(dir.path(), &moto.env(), &["teardown", "--yes"]).expect_code(0);

    // The printed policies: the caller passes the role, the role does CloudFormation's work.
    let printed = worktime(
        dir.path(),
        &moto.env(),
        &["policy", "--for", "bootstrap", "--output", "json"],
    )
    .expect_code(0)
    .json();
    assert_eq!(printed["account"], "123456789012");
    assert_eq!(printed["account_source"], "sts");
    let names: Vec<&str> = printed["policies"]
        .as_array()
        .expect("policies")
        .iter()
        .map(|p| p["name"].as_str().expect("name"))
        .collect();
    assert_eq!(names, ["operator", "execution-role"]);
    let operator = printed["policies"][0]["document"].to_string();
    assert!(
        operator.contains("iam:PassRole") && operator.contains(arn),
        "{operator}"
    );
    assert!(!operator.contains("lambda:CreateFunction"), "{operator}");
    let role = printed["policies"][1]["document"].to_string();
    assert!(role.contains("lambda:CreateFunction"), "{role}");
}

/// `rollout` in both engines and `teardown --all-accounts`: what the administrator and the
/// targets called is in the table for rollout (the direct engine's targets bootstrap and
/// deploy) and granted by the printed policies.
#[tokio::test]
async fn rollouts_call_only_what_the_table_lists_for_them() {
    let moto = Moto::start_in(REGION);
    let dir = tempfile::tempdir().expect("temp dir");
    let accounts = "\n[[accounts]]\nid = \"111111111111\"\nrole = \"Deployer\"\n\n[stacksets]\npermission_model = \"self-managed\"\n";
    write_config(dir.path(), &format!("{}{accounts}", config()));
    let zip = function_zip(dir.path(), "fn.zip", None);
    let zip = zip.to_str().expect("UTF-8 path");

    let (run, made) = recorded(dir.path(), &moto, &["rollout", "--yes", "--artifact", zip]);
    run.expect_code(0);
    assert!(made.contains(&("STS".to_string(), "AssumeRole".to_string())));
    assert_listed(dir.path(), &moto, "rollout,bootstrap,deploy", &made);
    let (run, made) = recorded(dir.path(), &moto, &["teardown", "--yes", "--all-accounts"]);
    run.expect_code(0);
    assert_listed(dir.path(), &moto, "teardown", &made);

    let (run, made) = recorded(
        dir.path(),
        &moto,
        &[
            "rollout",
            "--yes",
            "--engine",
            "stacksets",
            "--artifact",
            zip,
        ],
    );
    run.expect_code(0);
    assert!(made.contains(&("CloudFormation".to_string(), "CreateStackSet".to_string())));
    assert_listed(dir.path(), &moto, "rollout stacksets", &made);
    let (run, made) = recorded(
        dir.path(),
        &moto,
        &[
            "teardown",
            "--yes",
            "--all-accounts",
            "--engine",
            "stacksets",
        ],
    );
    run.expect_code(0);
    assert_listed(dir.path(), &moto, "teardown stacksets", &made);
}

/// Without AWS: an endpoint that does not answer leaves the account `*`, with a note; a bad
/// `--account` is a usage error (exit 2) naming the flag.
#[test]
fn without_aws_the_account_is_a_star_with_a_note_and_a_bad_account_exits_2() {
    let dir = tempfile::tempdir().expect("temp dir");
    write_config(dir.path(), &config());
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    let endpoint = format!("http://{}", closed.local_addr().expect("address"));
    drop(closed);
    let env: Vec<(String, String)> = vec![
        ("AWS_ACCESS_KEY_ID".into(), "testing".into()),
        ("AWS_SECRET_ACCESS_KEY".into(), "testing".into()),
        ("AWS_ENDPOINT_URL".into(), endpoint),
        ("AWS_EC2_METADATA_DISABLED".into(), "true".into()),
        (
            "AWS_CONFIG_FILE".into(),
            dir.path().join("none").display().to_string(),
        ),
        (
            "AWS_SHARED_CREDENTIALS_FILE".into(),
            dir.path().join("none").display().to_string(),
        ),
    ];
    let printed = worktime(
        dir.path(),
        &env,
        &["policy", "--for", "status", "--output", "json"],
    )
    .expect_code(0)
    .json();
    assert_eq!(printed["account"], "*");
    assert_eq!(printed["account_source"], "unknown");
    assert!(printed["notes"][0]
        .as_str()
        .expect("a note")
        .contains("--account"));
    let stack = printed["policies"][0]["document"]["Statement"]
        .as_array()
        .expect("statements")
        .iter()
        .find(|s| {
            s["Action"]
                .as_array()
                .expect("actions")
                .iter()
                .any(|a| a == "cloudformation:DescribeStacks")
        })
        .expect("status describes the stack")
        .clone();
    assert_eq!(
        stack["Resource"][0],
        "arn:aws:cloudformation:ap-northeast-2:*:stack/wt/*"
    );

    let bad = worktime(dir.path(), &env, &["policy", "--account", "12345"]).expect_code(2);
    assert!(
        bad.stderr.contains("--account") && bad.stderr.contains("12 digits"),
        "{}",
        bad.stderr
    );
    let bad = worktime(dir.path(), &env, &["policy", "--for", "nope"]).expect_code(2);
    assert!(bad.stderr.contains("nope"), "{}", bad.stderr);
}
