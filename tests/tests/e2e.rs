//! End-to-end tests against moto server on 127.0.0.1 (one server per test): the scaling
//! logic through the `worktime` binary and through the function's handler, and the stack
//! lifecycle (bootstrap, deploy, diff, status, teardown) checked through each service's API.

use std::collections::HashSet;

use worktime_e2e::*;

mod alarms_model;
mod aws_model;
mod capacity_warnings;
mod cli;
mod cloudwatch_cbor;
mod converge;
mod dist;
mod hold;
mod least_privilege;
mod nights;
mod notify;
mod ownership;
mod permissions;
mod report;
mod report_browser;
mod rollout;
mod scheduler_model;
mod schedules;
mod selectors;
mod shipped;
mod stacksets;
mod wake;
mod waves;

const REGION: &str = "ap-northeast-2";

fn config(stack: &str, trigger: &str, services: &str) -> String {
    format!(
        r#"
[stack]
name = "{stack}"
region = "{REGION}"

[schedule]
timezone = "Asia/Seoul"
scale_out = "cron(0 9 ? * MON-FRI *)"
scale_in = "cron(0 19 ? * MON-FRI *)"
trigger = "{trigger}"
skip_dates = ["2030-12-25"]

{services}
"#
    )
}

const TWO_SERVICES: &str = r#"
[[services]]
cluster = "prod"
service = "api"
min = 1
max = 3

[[services]]
cluster = "prod"
service = "worker"
"#;

// ---------------------------------------------------------------- scaling (issue 3)

#[tokio::test]
async fn scale_in_remembers_capacity_and_scale_out_restores_each_service() {
    let moto = Moto::start();
    let sdk = moto.sdk().await;
    create_services(&sdk, "prod", &[("api", 2), ("worker", 4)]).await;
    register_target(&sdk, "prod", "api", 1, 3).await;
    register_target(&sdk, "prod", "worker", 2, 6).await;
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path(), &config("wt", "rules", TWO_SERVICES));
    let env = moto.env();

    // Scale in: both at 0/0, the restore-mode service's capacity remembered on the service.
    let run = worktime(dir.path(), &env, &["--output", "json", "run", "scale-in"]).expect_code(0);
    assert_eq!(run.json()["summary"]["changed"], 2, "{}", run.stdout);
    assert_eq!(target_capacity(&sdk, "prod", "api").await, Some((0, 0)));
    assert_eq!(target_capacity(&sdk, "prod", "worker").await, Some((0, 0)));
    assert_eq!(
        remembered_capacity(&sdk, "prod", "worker").await.as_deref(),
        Some("2/6@4")
    );
    // A declared service remembers its desired count (its bounds come from the config).
    assert_eq!(
        remembered_capacity(&sdk, "prod", "api").await.as_deref(),
        Some("1/3@2")
    );

    // Scale in again (a retried event): nothing changes, the memory is intact.
    let run = worktime(dir.path(), &env, &["--output", "json", "run", "scale-in"]).expect_code(0);
    let report = run.json();
    assert_eq!(report["summary"]["changed"], 0, "{}", run.stdout);
    assert_eq!(report["summary"]["unchanged"], 2, "{}", run.stdout);
    assert_eq!(
        remembered_capacity(&sdk, "prod", "worker").await.as_deref(),
        Some("2/6@4")
    );

    // Dry-run scale-out says what it would do and does nothing.
    let run = worktime(dir.path(), &env, &["run", "scale-out", "--dry-run"]).expect_code(0);
    assert!(run.stdout.contains("would change"), "{}", run.stdout);
    assert_eq!(target_capacity(&sdk, "prod", "api").await, Some((0, 0)));

    // Scale out: each service's own capacity back.
    worktime(dir.path(), &env, &["run", "scale-out"]).expect_code(0);
    assert_eq!(target_capacity(&sdk, "prod", "api").await, Some((1, 3)));
    assert_eq!(target_capacity(&sdk, "prod", "worker").await, Some((2, 6)));

    // Scale out again: unchanged.
    let run = worktime(dir.path(), &env, &["--output", "json", "run", "scale-out"]).expect_code(0);
    assert_eq!(run.json()["summary"]["unchanged"], 2, "{}", run.stdout);
}

#[tokio::test]
async fn the_function_scales_120_services_in_one_event() {
    use worktime_lambda::{Capacity, EventDefaults, ServiceTarget};
    let moto = Moto::start();
    let sdk = moto.sdk().await;
    let names: Vec<String> = (0..120).map(|i| format!("svc-{i:03}")).collect();
    for (cluster, chunk) in [("alpha", &names[..60]), ("beta", &names[60..])] {
        let services: Vec<(&str, i32)> = chunk.iter().map(|n| (n.as_str(), 1)).collect();
        create_services(&sdk, cluster, &services).await;
    }
    let targets: Vec<ServiceTarget> = names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let cluster = if i < 60 { "alpha" } else { "beta" };
            ServiceTarget::new(
                cluster,
                name,
                Some(Capacity {
                    min: 1,
                    max: 2 + (i as i32 % 3),
                }),
            )
        })
        .collect();
    let clients = worktime_lambda::Clients::new(&sdk);
    let allowed = EventDefaults::allowing(targets.iter().map(|t| t.resource_id.clone()));
    let event =
        serde_json::json!({"action": "scale-out", "services": targets, "timezone": "Asia/Seoul"});
    let report = worktime_lambda::handler::handle(&clients, &allowed, event.clone(), None)
        .await
        .expect("120 services scale out");
    assert_eq!(report.summary.changed, 120);
    assert_eq!(
        target_capacity(&sdk, "alpha", "svc-000").await,
        Some((1, 2))
    );
    assert_eq!(target_capacity(&sdk, "beta", "svc-119").await, Some((1, 4)));
    // The same event again: all 120 read back (batches of 50 ids) and left alone.
    let report = worktime_lambda::handler::handle(&clients, &allowed, event, None)
        .await
        .unwrap();
    assert_eq!(report.summary.unchanged, 120, "{:?}", report.summary);
    // And scale-in of all of them.
    let event = serde_json::json!({"action": "scale-in", "services": targets});
    let report = worktime_lambda::handler::handle(&clients, &allowed, event, None)
        .await
        .unwrap();
    assert_eq!(report.summary.changed, 120);
    assert_eq!(target_capacity(&sdk, "beta", "svc-100").await, Some((0, 0)));
}

#[tokio::test]
async fn a_missing_service_fails_alone_and_the_run_reports_it() {
    let moto = Moto::start();
    let sdk = moto.sdk().await;
    create_services(&sdk, "prod", &[("api", 2), ("worker", 1)]).await;
    let dir = tempfile::tempdir().unwrap();
    let services = r#"
[[services]]
cluster = "prod"
service = "api"
min = 1
max = 3

[[services]]
cluster = "prod"
service = "ghost"
min = 1
max = 1

[[services]]
cluster = "nocluster"
service = "web"
min = 1
max = 1

[[services]]
cluster = "prod"
service = "worker"
min = 1
max = 2
"#;
    write_config(dir.path(), &config("wt", "rules", services));
    let run = worktime(
        dir.path(),
        &moto.env(),
        &["--output", "json", "run", "scale-out"],
    )
    .expect_code(1);
    let report = run.json();
    assert_eq!(report["summary"]["changed"], 2, "{}", run.stdout);
    assert_eq!(report["summary"]["failed"], 2, "{}", run.stdout);
    let failed: HashSet<String> = report["services"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["outcome"] == "failed")
        .map(|s| s["resource_id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        failed,
        HashSet::from([
            "service/prod/ghost".to_string(),
            "service/nocluster/web".to_string()
        ])
    );
    assert!(
        run.stderr.contains("2 of 4 services failed"),
        "{}",
        run.stderr
    );
    assert_eq!(target_capacity(&sdk, "prod", "api").await, Some((1, 3)));
    assert_eq!(target_capacity(&sdk, "prod", "worker").await, Some((1, 2)));

    // Through the function's handler the invocation is an error (for Lambda's retries / DLQ)
    // after the healthy services were applied.
    let clients = worktime_lambda::Clients::new(&sdk);
    let event = serde_json::json!({"action": "scale-in", "services": [
        {"resource_id": "service/prod/api"}, {"resource_id": "service/prod/ghost"}]});
    let allowed =
        worktime_lambda::EventDefaults::allowing(["service/prod/api", "service/prod/ghost"]);
    let err = worktime_lambda::handler::handle(&clients, &allowed, event, None)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("service/prod/ghost"), "{err}");
    assert_eq!(target_capacity(&sdk, "prod", "api").await, Some((0, 0)));
}

// ---------------------------------------------------------------- lifecycle (issue 4)

async fn bootstrap(moto: &Moto, dir: &std::path::Path, zip: &std::path::Path) -> Run {
    worktime(
        dir,
        &moto.env(),
        &[
            "--output",
            "json",
            "bootstrap",
            "--yes",
            "--artifact",
            zip.to_str().unwrap(),
        ],
    )
    .expect_code(0)
}

#[tokio::test]
async fn bootstrap_into_a_fresh_account_creates_the_whole_stack() {
    let moto = Moto::start();
    let sdk = moto.sdk().await;
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path(), &config("wt", "rules", TWO_SERVICES));
    let zip = function_zip(dir.path(), "fn.zip", None);
    let run = bootstrap(&moto, dir.path(), &zip).await;
    let report = run.json();
    assert_eq!(report["result"], "created", "{}", run.stdout);
    assert_eq!(report["code_uploaded"], true);
    assert!(
        run.stderr.contains("account 123456789012"),
        "{}",
        run.stderr
    );

    // The service-linked role Application Auto Scaling needs.
    let iam = aws_sdk_iam::Client::new(&sdk);
    let slr = iam
        .list_roles()
        .path_prefix("/aws-service-role/ecs.application-autoscaling.amazonaws.com/")
        .send()
        .await
        .unwrap();
    assert_eq!(slr.roles().len(), 1);

    // The role, its trust and its inline policy.
    let role = iam
        .get_role()
        .role_name(format!("wt-scaler-{REGION}"))
        .send()
        .await
        .unwrap();
    let trust = urlencoded_json(role.role().unwrap().assume_role_policy_document().unwrap());
    assert_eq!(
        trust["Statement"][0]["Principal"]["Service"],
        "lambda.amazonaws.com"
    );
    let policies = iam
        .list_role_policies()
        .role_name(format!("wt-scaler-{REGION}"))
        .send()
        .await
        .unwrap();
    assert_eq!(policies.policy_names().len(), 1);
    let policy = iam
        .get_role_policy()
        .role_name(format!("wt-scaler-{REGION}"))
        .policy_name(&policies.policy_names()[0])
        .send()
        .await
        .unwrap();
    let document = urlencoded_json(policy.policy_document());
    let statements = document["Statement"].as_array().unwrap();
    let pass_role = statements
        .iter()
        .find(|s| s["Action"] == "iam:PassRole")
        .expect("a PassRole statement");
    assert_eq!(
        pass_role["Condition"]["StringEquals"]["iam:PassedToService"],
        "application-autoscaling.amazonaws.com"
    );
    assert!(pass_role["Resource"]
        .as_str()
        .unwrap()
        .contains("AWSServiceRoleForApplicationAutoScaling_ECSService"));
    let logs_statement = statements
        .iter()
        .find(|s| s.to_string().contains("logs:PutLogEvents"))
        .expect("a logs statement");
    assert!(
        logs_statement["Resource"]
            .as_str()
            .unwrap()
            .contains("log-group:/aws/lambda/wt-scaler"),
        "logs scoped to the function's log group: {logs_statement}"
    );
    for statement in statements {
        let actions = statement["Action"].to_string();
        assert!(!actions.contains(":*"), "no wildcard actions: {statement}");
    }

    // The function.
    let lambda = aws_sdk_lambda::Client::new(&sdk);
    let function = lambda
        .get_function()
        .function_name("wt-scaler")
        .send()
        .await
        .unwrap();
    let configuration = function.configuration().unwrap();
    assert_eq!(
        configuration.runtime().map(|r| r.as_str()),
        Some("provided.al2023")
    );
    assert_eq!(configuration.handler(), Some("bootstrap"));
    assert_eq!(configuration.memory_size(), Some(128));
    assert_eq!(configuration.timeout(), Some(60));
    let variables = configuration.environment().unwrap().variables().unwrap();
    assert_eq!(
        variables.get("WORKTIME_TIMEZONE").map(String::as_str),
        Some("Asia/Seoul")
    );
    assert!(configuration
        .role()
        .unwrap()
        .ends_with(&format!("role/wt-scaler-{REGION}")));
    // The code is the uploaded zip (moto copies it from S3 and reports its hash).
    let zip_bytes = std::fs::read(&zip).unwrap();
    assert_eq!(configuration.code_size(), zip_bytes.len() as i64);

    // The uploaded object, keyed by content hash.
    let s3 = moto.s3().await;
    let bucket = "worktime-artifacts-123456789012-ap-northeast-2";
    let objects = s3.list_objects_v2().bucket(bucket).send().await.unwrap();
    let keys: Vec<&str> = objects.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(keys.len(), 1);
    assert!(
        keys[0].starts_with("stacks/wt/bootstrap-") && keys[0].ends_with(".zip"),
        "{keys:?}"
    );

    // The bucket's protections. Requests without TLS are denied (the test endpoint evaluates
    // aws:SecureTransport, loopback HTTP standing for TLS: every call of this test got through).
    let policy = s3.get_bucket_policy().bucket(bucket).send().await.unwrap();
    let policy: serde_json::Value = serde_json::from_str(policy.policy().unwrap()).unwrap();
    let tls = policy["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["Sid"] == "WorktimeDenyInsecureTransport")
        .expect("the TLS-only statement");
    assert_eq!(tls["Effect"], "Deny");
    assert_eq!(
        tls["Condition"],
        serde_json::json!({"Bool": {"aws:SecureTransport": "false"}})
    );
    // Versioning, by its effect: the same key written twice keeps two versions. (moto 5.2.5
    // names GetBucketVersioning's root element differently from S3 and the Rust SDK cannot
    // parse its answer.)
    for body in ["one", "two"] {
        s3.put_object()
            .bucket(bucket)
            .key("wt/probe")
            .body(aws_sdk_s3::primitives::ByteStream::from_static(
                body.as_bytes(),
            ))
            .send()
            .await
            .unwrap();
    }
    let versions = s3
        .list_object_versions()
        .bucket(bucket)
        .prefix("wt/probe")
        .send()
        .await
        .unwrap();
    assert_eq!(versions.versions().len(), 2, "versioning is enabled");
    let encryption = s3
        .get_bucket_encryption()
        .bucket(bucket)
        .send()
        .await
        .unwrap();
    assert!(!encryption
        .server_side_encryption_configuration()
        .unwrap()
        .rules()
        .is_empty());
    let block = s3
        .get_public_access_block()
        .bucket(bucket)
        .send()
        .await
        .unwrap();
    let block = block.public_access_block_configuration().unwrap();
    assert_eq!(
        (
            block.block_public_acls(),
            block.block_public_policy(),
            block.ignore_public_acls(),
            block.restrict_public_buckets()
        ),
        (Some(true), Some(true), Some(true), Some(true))
    );

    // The log group with its retention.
    let logs = aws_sdk_cloudwatchlogs::Client::new(&sdk);
    let groups = logs
        .describe_log_groups()
        .log_group_name_prefix("/aws/lambda/wt-scaler")
        .send()
        .await
        .unwrap();
    assert_eq!(groups.log_groups().len(), 1);
    assert_eq!(groups.log_groups()[0].retention_in_days(), Some(30));

    // Both rules: exact UTC crons (09:00 / 19:00 Asia/Seoul) and explicit payloads.
    let events = aws_sdk_eventbridge::Client::new(&sdk);
    for (name, cron, action) in [
        ("wt-scale-out", "cron(0 0 ? * MON-FRI *)", "scale-out"),
        ("wt-scale-in", "cron(0 10 ? * MON-FRI *)", "scale-in"),
    ] {
        let rule = events.describe_rule().name(name).send().await.unwrap();
        assert_eq!(rule.schedule_expression(), Some(cron), "{name}");
        let targets = events
            .list_targets_by_rule()
            .rule(name)
            .send()
            .await
            .unwrap();
        assert_eq!(targets.targets().len(), 1);
        let target = &targets.targets()[0];
        assert!(
            target.arn().ends_with("function:wt-scaler"),
            "{name}: {}",
            target.arn()
        );
        // What the rule delivers when it fires: the scheduled event's time travels with it.
        let fired = chrono::DateTime::parse_from_rfc3339("2026-12-01T10:00:00Z")
            .unwrap()
            .to_utc();
        let input = triggers::deployed_rule_payload(&sdk, name, fired)
            .await
            .unwrap();
        assert_eq!(input["scheduled_time"], "2026-12-01T10:00:00Z", "{input}");
        assert_eq!(input["ready_within_minutes"], 15);
        assert_eq!(input["crons"]["timezone"], "UTC");
        assert_eq!(input["action"], action);
        assert_eq!(input["timezone"], "Asia/Seoul");
        assert_eq!(input["services"][0]["resource_id"], "service/prod/api");
        assert_eq!(input["services"][0]["max"], 3);
        assert_eq!(
            input["services"][1],
            serde_json::json!({"resource_id": "service/prod/worker"})
        );
        assert_eq!(input["skip_dates"], serde_json::json!(["2030-12-25"]));
    }

    // Lambda keeps the triggers' events (6 hours) and retries a failed run twice: the function
    // itself judges lateness from each event's scheduled time.
    let invoke_config = lambda
        .get_function_event_invoke_config()
        .function_name("wt-scaler")
        .send()
        .await
        .expect("the stack configures asynchronous invocation");
    assert_eq!(invoke_config.maximum_event_age_in_seconds(), Some(21600));
    assert_eq!(invoke_config.maximum_retry_attempts(), Some(2));

    // The invoke permissions, one per rule (scale-out, scale-in, reconcile).
    let policy = lambda
        .get_policy()
        .function_name("wt-scaler")
        .send()
        .await
        .unwrap();
    let policy: serde_json::Value = serde_json::from_str(policy.policy().unwrap()).unwrap();
    let statements = policy["Statement"].as_array().unwrap();
    assert_eq!(statements.len(), 3, "{policy}");
    for statement in statements {
        assert_eq!(statement["Principal"]["Service"], "events.amazonaws.com");
        assert_eq!(statement["Action"], "lambda:InvokeFunction");
    }
    let sources: HashSet<String> = statements
        .iter()
        .map(|s| {
            s["Condition"]["ArnLike"]["AWS:SourceArn"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect();
    assert!(
        sources.iter().any(|s| s.ends_with("rule/wt-scale-out")),
        "{sources:?}"
    );
    assert!(
        sources.iter().any(|s| s.ends_with("rule/wt-scale-in")),
        "{sources:?}"
    );

    // status reads it all back.
    create_services(&sdk, "prod", &[("api", 2), ("worker", 1)]).await;
    let run = worktime(dir.path(), &moto.env(), &["--output", "json", "status"]).expect_code(0);
    let status = run.json();
    assert_eq!(status["stack_status"], "CREATE_COMPLETE");
    assert_eq!(
        status["triggers"][0]["deployed_cron"],
        "cron(0 0 ? * MON-FRI *)"
    );
    assert_eq!(status["triggers"][0]["state"], "ENABLED");
    assert!(status["triggers"][0]["next_local"]
        .as_str()
        .unwrap()
        .contains("09:00"));
    assert!(status["triggers"][0]["next_utc"]
        .as_str()
        .unwrap()
        .contains("00:00 UTC"));
    assert_eq!(status["services"][0]["desired_count"], 2);
}

/// IAM returns policy documents URL-encoded.
fn urlencoded_json(text: &str) -> serde_json::Value {
    let decoded = percent_decode(text);
    serde_json::from_str(&decoded)
        .unwrap_or_else(|_| serde_json::from_str(text).expect("policy JSON"))
}

#[tokio::test]
async fn rerun_is_up_to_date_and_changes_go_through_diff_and_deploy() {
    let moto = Moto::start();
    let sdk = moto.sdk().await;
    let dir = tempfile::tempdir().unwrap();
    let path = write_config(dir.path(), &config("wt", "rules", TWO_SERVICES));
    let zip = function_zip(dir.path(), "fn.zip", None);
    bootstrap(&moto, dir.path(), &zip).await;

    // Second bootstrap: up to date, nothing uploaded, nothing changed.
    let run = bootstrap(&moto, dir.path(), &zip).await;
    let report = run.json();
    assert_eq!(report["result"], "up-to-date", "{}", run.stdout);
    assert_eq!(report["code_uploaded"], false);
    let diff = worktime(
        dir.path(),
        &moto.env(),
        &[
            "--output",
            "json",
            "diff",
            "--artifact",
            zip.to_str().unwrap(),
        ],
    )
    .expect_code(0);
    assert_eq!(diff.json()["result"], "up-to-date", "{}", diff.stdout);

    // A config change: diff lists exactly it and changes nothing; deploy applies it.
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        text.replace(
            "scale_in = \"cron(0 19 ? * MON-FRI *)\"",
            "scale_in = \"cron(30 20 ? * MON-FRI *)\"",
        ),
    )
    .unwrap();
    let diff = worktime(
        dir.path(),
        &moto.env(),
        &[
            "--output",
            "json",
            "diff",
            "--artifact",
            zip.to_str().unwrap(),
        ],
    )
    .expect_code(0);
    // The scale-in rule's cron, and every payload's crons (each trigger carries its
    // schedule, so that the function judges windows).
    let changes = diff.json()["changes"].clone();
    let modified: Vec<&str> = changes
        .as_array()
        .unwrap()
        .iter()
        .inspect(|c| assert_eq!(c["action"], "modify", "{changes}"))
        .filter_map(|c| c["logical_id"].as_str())
        .collect();
    assert_eq!(
        modified,
        ["ScaleOutRule", "ScaleInRule", "ReconcileRule"],
        "{changes}"
    );
    let events = aws_sdk_eventbridge::Client::new(&sdk);
    let rule = events
        .describe_rule()
        .name("wt-scale-in")
        .send()
        .await
        .unwrap();
    assert_eq!(
        rule.schedule_expression(),
        Some("cron(0 10 ? * MON-FRI *)"),
        "diff changed nothing"
    );
    let cfn = aws_sdk_cloudformation::Client::new(&sdk);
    let sets = cfn
        .list_change_sets()
        .stack_name("wt")
        .send()
        .await
        .unwrap();
    let pending: Vec<_> = sets
        .summaries()
        .iter()
        .filter(|s| s.execution_status().map(|e| e.as_str()) == Some("AVAILABLE"))
        .collect();
    assert!(
        pending.is_empty(),
        "diff leaves no change set behind: {pending:?}"
    );

    let run = worktime(
        dir.path(),
        &moto.env(),
        &[
            "--output",
            "json",
            "deploy",
            "--yes",
            "--artifact",
            zip.to_str().unwrap(),
        ],
    )
    .expect_code(0);
    assert_eq!(run.json()["result"], "updated", "{}", run.stdout);
    let rule = events
        .describe_rule()
        .name("wt-scale-in")
        .send()
        .await
        .unwrap();
    assert_eq!(
        rule.schedule_expression(),
        Some("cron(30 11 ? * MON-FRI *)")
    );

    // A code change: one new upload, the function's code updated.
    let lambda = aws_sdk_lambda::Client::new(&sdk);
    let before = lambda
        .get_function()
        .function_name("wt-scaler")
        .send()
        .await
        .unwrap();
    let before_sha = before
        .configuration()
        .unwrap()
        .code_sha256()
        .unwrap()
        .to_string();
    let new_zip = function_zip(dir.path(), "fn2.zip", Some(b"v2"));
    let run = worktime(
        dir.path(),
        &moto.env(),
        &[
            "--output",
            "json",
            "deploy",
            "--yes",
            "--artifact",
            new_zip.to_str().unwrap(),
        ],
    )
    .expect_code(0);
    let report = run.json();
    assert_eq!(report["result"], "updated", "{}", run.stdout);
    assert_eq!(report["code_uploaded"], true);
    assert_eq!(
        report["changes"][0]["logical_id"], "CodeS3Key",
        "{}",
        run.stdout
    );
    let after = lambda
        .get_function()
        .function_name("wt-scaler")
        .send()
        .await
        .unwrap();
    assert_ne!(
        after.configuration().unwrap().code_sha256().unwrap(),
        before_sha
    );
    let s3 = moto.s3().await;
    let objects = s3
        .list_objects_v2()
        .bucket("worktime-artifacts-123456789012-ap-northeast-2")
        .send()
        .await
        .unwrap();
    assert_eq!(objects.contents().len(), 2, "one new upload");

    // The same new code again: up to date, no upload.
    let run = worktime(
        dir.path(),
        &moto.env(),
        &[
            "--output",
            "json",
            "deploy",
            "--yes",
            "--artifact",
            new_zip.to_str().unwrap(),
        ],
    )
    .expect_code(0);
    assert_eq!(run.json()["result"], "up-to-date");
    assert_eq!(run.json()["code_uploaded"], false);
}

#[tokio::test]
async fn teardown_leaves_nothing_behind() {
    let moto = Moto::start();
    let sdk = moto.sdk().await;
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path(), &config("wt", "rules", TWO_SERVICES));
    let zip = function_zip(dir.path(), "fn.zip", None);
    bootstrap(&moto, dir.path(), &zip).await;
    // Two code versions, so the bucket holds several object versions.
    let zip2 = function_zip(dir.path(), "fn2.zip", Some(b"v2"));
    worktime(
        dir.path(),
        &moto.env(),
        &["deploy", "--yes", "--artifact", zip2.to_str().unwrap()],
    )
    .expect_code(0);

    let run = worktime(
        dir.path(),
        &moto.env(),
        &["--output", "json", "teardown", "--yes"],
    )
    .expect_code(0);
    let report = run.json();
    assert_eq!(report["stack_deleted"], true, "{}", run.stdout);
    assert_eq!(report["bucket_deleted"], true, "{}", run.stdout);
    assert_eq!(report["objects_deleted"], 2);
    assert_eq!(report["leftovers"], serde_json::json!([]));

    // Checked independently through each service's API.
    let cfn = aws_sdk_cloudformation::Client::new(&sdk);
    assert!(
        cfn.describe_stacks().stack_name("wt").send().await.is_err(),
        "stack gone"
    );
    let s3 = moto.s3().await;
    let buckets = s3.list_buckets().send().await.unwrap();
    assert!(
        buckets.buckets().is_empty(),
        "no bucket left: {:?}",
        buckets.buckets()
    );
    let lambda = aws_sdk_lambda::Client::new(&sdk);
    assert!(
        lambda
            .get_function()
            .function_name("wt-scaler")
            .send()
            .await
            .is_err(),
        "function gone"
    );
    let iam = aws_sdk_iam::Client::new(&sdk);
    let roles = iam.list_roles().send().await.unwrap();
    let names: Vec<&str> = roles.roles().iter().map(|r| r.role_name()).collect();
    assert!(
        names.iter().all(|n| !n.starts_with("wt-")),
        "roles left: {names:?}"
    );
    let logs = aws_sdk_cloudwatchlogs::Client::new(&sdk);
    let groups = logs
        .describe_log_groups()
        .log_group_name_prefix("/aws/lambda/wt")
        .send()
        .await
        .unwrap();
    assert!(groups.log_groups().is_empty(), "log group gone");
    let events = aws_sdk_eventbridge::Client::new(&sdk);
    let rules = events.list_rules().name_prefix("wt-").send().await.unwrap();
    assert!(rules.rules().is_empty(), "rules gone");
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    assert!(
        sqs.get_queue_url()
            .queue_name("wt-dlq")
            .send()
            .await
            .is_err(),
        "queue gone"
    );

    // Teardown of nothing is not an error.
    let run = worktime(
        dir.path(),
        &moto.env(),
        &["--output", "json", "teardown", "--yes"],
    )
    .expect_code(0);
    assert_eq!(run.json()["stack_deleted"], false);
}

// ---------------------------------------------------------------- failures

#[tokio::test]
async fn missing_credentials_fail_clearly_and_create_nothing() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path(), &config("wt", "rules", TWO_SERVICES));
    let zip = function_zip(dir.path(), "fn.zip", None);
    let env: Vec<(String, String)> = moto
        .env()
        .into_iter()
        .filter(|(k, _)| k != "AWS_ACCESS_KEY_ID" && k != "AWS_SECRET_ACCESS_KEY")
        .chain([("AWS_MAX_ATTEMPTS".to_string(), "1".to_string())])
        .collect();
    let run = worktime(
        dir.path(),
        &env,
        &["bootstrap", "--yes", "--artifact", zip.to_str().unwrap()],
    )
    .expect_code(1);
    assert!(run.stderr.contains("credentials"), "{}", run.stderr);
    assert!(run.stdout.is_empty());
    let buckets = moto.s3().await.list_buckets().send().await.unwrap();
    assert!(buckets.buckets().is_empty());
}

#[tokio::test]
async fn an_unreachable_endpoint_fails_clearly() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path(), &config("wt", "rules", TWO_SERVICES));
    let closed_port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let env: Vec<(String, String)> = moto
        .env()
        .into_iter()
        .map(|(k, v)| {
            if k == "AWS_ENDPOINT_URL" {
                (k, format!("http://127.0.0.1:{closed_port}"))
            } else {
                (k, v)
            }
        })
        .chain([("AWS_MAX_ATTEMPTS".to_string(), "1".to_string())])
        .collect();
    let run = worktime(dir.path(), &env, &["status"]).expect_code(1);
    assert!(
        run.stderr.contains("sts:GetCallerIdentity"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.to_lowercase().contains("connect"),
        "names the connection failure: {}",
        run.stderr
    );
}

#[tokio::test]
async fn a_bucket_name_taken_by_another_account_stops_bootstrap() {
    let moto = Moto::start();
    let sdk = moto.sdk().await;
    // Another account (moto: any assumed role id acts as that account) owns our bucket name.
    let sts = aws_sdk_sts::Client::new(&sdk);
    let assumed = sts
        .assume_role()
        .role_arn("arn:aws:iam::111111111111:role/Other")
        .role_session_name("squatter")
        .send()
        .await
        .unwrap();
    let creds = assumed.credentials().unwrap();
    let other = worktime_lambda::sdk::config_loader()
        .region(aws_config::Region::new(REGION))
        .endpoint_url(moto.endpoint())
        .credentials_provider(aws_sdk_sts::config::Credentials::new(
            creds.access_key_id(),
            creds.secret_access_key(),
            Some(creds.session_token().to_string()),
            None,
            "other",
        ))
        .load()
        .await;
    let other_s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&other)
            .force_path_style(true)
            .build(),
    );
    other_s3
        .create_bucket()
        .bucket("worktime-artifacts-123456789012-ap-northeast-2")
        .create_bucket_configuration(
            aws_sdk_s3::types::CreateBucketConfiguration::builder()
                .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::from(REGION))
                .build(),
        )
        .send()
        .await
        .unwrap();

    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path(), &config("wt", "rules", TWO_SERVICES));
    let zip = function_zip(dir.path(), "fn.zip", None);
    let run = worktime(
        dir.path(),
        &moto.env(),
        &["bootstrap", "--yes", "--artifact", zip.to_str().unwrap()],
    )
    .expect_code(1);
    assert!(
        run.stderr.contains("belongs to another account"),
        "{}",
        run.stderr
    );
    let cfn = aws_sdk_cloudformation::Client::new(&sdk);
    assert!(
        cfn.describe_stacks().stack_name("wt").send().await.is_err(),
        "no stack was created"
    );
}

#[tokio::test]
async fn a_stack_left_half_made_by_an_interrupted_run_is_recreated() {
    let moto = Moto::start();
    let sdk = moto.sdk().await;
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path(), &config("wt", "rules", TWO_SERVICES));
    let zip = function_zip(dir.path(), "fn.zip", None);
    // An earlier run made a CREATE change set and died: the stack sits in REVIEW_IN_PROGRESS.
    // (A ROLLBACK_COMPLETE stack, AWS's other leftover of a failed create, cannot be made on
    // moto: its creates either succeed or fail as an API error.)
    let cfn = aws_sdk_cloudformation::Client::new(&sdk);
    cfn.create_change_set()
        .stack_name("wt")
        .change_set_name("interrupted")
        .change_set_type(aws_sdk_cloudformation::types::ChangeSetType::Create)
        .template_body(r#"{"Resources":{"Q":{"Type":"AWS::SQS::Queue"}}}"#)
        .tags(
            aws_sdk_cloudformation::types::Tag::builder()
                .key("worktime:stack")
                .value("wt")
                .build(),
        )
        .send()
        .await
        .unwrap();
    let stuck = cfn.describe_stacks().stack_name("wt").send().await.unwrap();
    assert_eq!(
        stuck.stacks()[0].stack_status().unwrap().as_str(),
        "REVIEW_IN_PROGRESS"
    );

    let run = bootstrap(&moto, dir.path(), &zip).await;
    assert_eq!(run.json()["result"], "created", "{}", run.stdout);
    let stacks = cfn.describe_stacks().stack_name("wt").send().await.unwrap();
    assert_eq!(
        stacks.stacks()[0].stack_status().unwrap().as_str(),
        "CREATE_COMPLETE"
    );
}

#[tokio::test]
async fn a_bad_config_exits_2_and_touches_nothing() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    write_config(
        dir.path(),
        &config("wt", "rules", TWO_SERVICES).replace("Asia/Seoul", "Europe/Berlin"),
    );
    let zip = function_zip(dir.path(), "fn.zip", None);
    let run = worktime(
        dir.path(),
        &moto.env(),
        &["bootstrap", "--yes", "--artifact", zip.to_str().unwrap()],
    )
    .expect_code(2);
    assert!(
        run.stderr.contains("scheduler"),
        "suggests the fix: {}",
        run.stderr
    );
    assert!(run.stdout.is_empty());
    let buckets = moto.s3().await.list_buckets().send().await.unwrap();
    assert!(buckets.buckets().is_empty(), "nothing created");
}

// ---------------------------------------------------------------- the built function under a Lambda runtime emulator

#[tokio::test]
async fn the_bootstrap_binary_scales_services_under_the_lambda_emulator() {
    let moto = Moto::start();
    let sdk = moto.sdk().await;
    create_services(&sdk, "prod", &[("api", 2), ("worker", 4)]).await;
    register_target(&sdk, "prod", "api", 1, 3).await;
    register_target(&sdk, "prod", "worker", 2, 6).await;
    // The function's environment: moto's endpoint, a default zone, no WORKTIME_SERVICES.
    let mut env = moto.env();
    env.push(("WORKTIME_TIMEZONE".into(), "Asia/Seoul".into()));
    env.push((
        "WORKTIME_ALLOWED_SERVICES".into(),
        "prod/api,prod/worker".into(),
    ));
    let emulator = LambdaEmulator::start(&env);
    let services = serde_json::json!([
        {"resource_id": "service/prod/api", "min": 1, "max": 3},
        {"resource_id": "service/prod/worker"}
    ]);
    let context = |run: &Run| format!("{run:?}\n--- emulator log\n{}", emulator.log());

    // Scale in: both at 0/0, the worker's capacity remembered on the service.
    let event =
        serde_json::json!({"action": "scale-in", "services": services, "timezone": "Asia/Seoul"});
    let run = emulator.invoke("bootstrap", &event);
    assert_eq!(run.code, 0, "{}", context(&run));
    assert_eq!(run.json()["summary"]["changed"], 2, "{}", context(&run));
    assert_eq!(target_capacity(&sdk, "prod", "api").await, Some((0, 0)));
    assert_eq!(target_capacity(&sdk, "prod", "worker").await, Some((0, 0)));
    assert_eq!(
        remembered_capacity(&sdk, "prod", "worker").await.as_deref(),
        Some("2/6@4")
    );

    // Scale out: each service's own capacity back.
    let event =
        serde_json::json!({"action": "scale-out", "services": services, "timezone": "Asia/Seoul"});
    let run = emulator.invoke("bootstrap", &event);
    assert_eq!(run.code, 0, "{}", context(&run));
    assert_eq!(run.json()["summary"]["changed"], 2, "{}", context(&run));
    assert_eq!(target_capacity(&sdk, "prod", "api").await, Some((1, 3)));
    assert_eq!(target_capacity(&sdk, "prod", "worker").await, Some((2, 6)));

    // A bare scheduled event, and no WORKTIME_SERVICES default: the invocation fails, naming the
    // missing field, and changes nothing.
    let bare = workspace_root().join("lambda/tests/fixtures/bare-scheduled-event.json");
    let run = emulator.invoke_file("bootstrap", &bare);
    assert_ne!(run.code, 0, "{}", context(&run));
    let output = format!("{}\n{}", run.stdout, run.stderr);
    assert!(
        output.contains("`services`"),
        "the error names the field: {}",
        context(&run)
    );
    assert!(
        output.contains("WORKTIME_SERVICES"),
        "the error names the setting: {}",
        context(&run)
    );
    assert_eq!(target_capacity(&sdk, "prod", "api").await, Some((1, 3)));
    assert_eq!(target_capacity(&sdk, "prod", "worker").await, Some((2, 6)));
}
