//! Issue 11: worktime never harms what is not its own, and a new account bootstraps in one
//! command.

use aws_config::SdkConfig;
use aws_sdk_cloudformation::types::ChangeSetType;
use worktime_e2e::*;

const REGION: &str = "ap-northeast-2";

fn config(name: &str, function: &str) -> String {
    format!(
        r#"
[stack]
name = "{name}"
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

{function}
"#
    )
}

async fn stack_status(sdk: &SdkConfig, name: &str) -> Option<String> {
    aws_sdk_cloudformation::Client::new(sdk)
        .describe_stacks()
        .stack_name(name)
        .send()
        .await
        .ok()?
        .stacks()
        .first()
        .and_then(|s| s.stack_status())
        .map(|s| s.as_str().to_string())
}

async fn bucket_count(moto: &Moto) -> usize {
    moto.s3()
        .await
        .list_buckets()
        .send()
        .await
        .unwrap()
        .buckets()
        .len()
}

/// Another team's stack that happens to be named `wt`: no `worktime:stack` tag.
async fn foreign_stack(sdk: &SdkConfig) {
    aws_sdk_cloudformation::Client::new(sdk)
        .create_stack()
        .stack_name("wt")
        .template_body(r#"{"Resources":{"Queue":{"Type":"AWS::SQS::Queue"}}}"#)
        .send()
        .await
        .expect("create the other team's stack");
}

#[tokio::test]
async fn a_foreign_stack_of_the_same_name_is_never_updated_deleted_or_diffed() {
    let moto = Moto::start_in(REGION);
    let sdk = moto.sdk().await;
    create_services(&sdk, "prod", &[("api", 2)]).await;
    foreign_stack(&sdk).await;
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path(), &config("wt", ""));
    let zip = function_zip(dir.path(), "fn.zip", None);
    let zip = zip.to_str().unwrap();

    for args in [
        vec!["bootstrap", "--yes", "--artifact", zip],
        vec!["deploy", "--yes", "--artifact", zip],
        vec!["diff", "--artifact", zip],
        vec!["teardown", "--yes"],
    ] {
        let run = worktime(dir.path(), &moto.env(), &args).expect_code(1);
        assert!(
            run.stderr
                .contains("stack wt in 123456789012/ap-northeast-2 is not worktime's")
                && run.stderr.contains("no worktime:stack tag"),
            "{args:?}: {}",
            run.stderr
        );
        assert_eq!(
            stack_status(&sdk, "wt").await.as_deref(),
            Some("CREATE_COMPLETE"),
            "{args:?} left the other team's stack alone"
        );
    }
    // Nothing of worktime's was made either: bootstrap stopped before its bucket.
    assert_eq!(bucket_count(&moto).await, 0);
}

#[tokio::test]
async fn a_foreign_stack_waiting_for_review_is_not_deleted_by_diff() {
    let moto = Moto::start_in(REGION);
    let sdk = moto.sdk().await;
    let cfn = aws_sdk_cloudformation::Client::new(&sdk);
    cfn.create_change_set()
        .stack_name("wt")
        .change_set_name("theirs")
        .change_set_type(ChangeSetType::Create)
        .template_body(r#"{"Resources":{"Queue":{"Type":"AWS::SQS::Queue"}}}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(
        stack_status(&sdk, "wt").await.as_deref(),
        Some("REVIEW_IN_PROGRESS")
    );
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path(), &config("wt", ""));
    let zip = function_zip(dir.path(), "fn.zip", None);
    let run = worktime(
        dir.path(),
        &moto.env(),
        &["diff", "--artifact", zip.to_str().unwrap()],
    )
    .expect_code(1);
    assert!(run.stderr.contains("not worktime's"), "{}", run.stderr);
    assert_eq!(
        stack_status(&sdk, "wt").await.as_deref(),
        Some("REVIEW_IN_PROGRESS"),
        "the other team's pending change set is still there"
    );
}

#[tokio::test]
async fn a_new_account_with_quota_10_bootstraps_and_a_reservation_it_cannot_take_is_refused_first()
{
    let moto = Moto::start_with_env(REGION, &[("MOTO_LAMBDA_CONCURRENCY_QUOTA", "10")]);
    let sdk = moto.sdk().await;
    create_services(&sdk, "prod", &[("api", 2)]).await;
    let dir = tempfile::tempdir().unwrap();
    let zip = function_zip(dir.path(), "fn.zip", None);
    let zip = zip.to_str().unwrap();

    // Asking for a reservation: refused before anything is created, with the fix.
    write_config(
        dir.path(),
        &config("wt", "[function]\nreserved_concurrency = 1"),
    );
    let run = worktime(
        dir.path(),
        &moto.env(),
        &["bootstrap", "--yes", "--artifact", zip],
    )
    .expect_code(1);
    assert!(
        run.stderr.contains("reserved_concurrency = 1")
            && run.stderr.contains("at least 10 unreserved")
            && run.stderr.contains("Nothing was created"),
        "{}",
        run.stderr
    );
    assert_eq!(stack_status(&sdk, "wt").await, None);
    assert_eq!(bucket_count(&moto).await, 0);

    // The default (no reservation): one command, the whole stack.
    write_config(dir.path(), &config("wt", ""));
    let run = worktime(
        dir.path(),
        &moto.env(),
        &["--output", "json", "bootstrap", "--yes", "--artifact", zip],
    )
    .expect_code(0);
    assert_eq!(run.json()["result"], "created", "{}", run.stdout);
    let concurrency = aws_sdk_lambda::Client::new(&sdk)
        .get_function_concurrency()
        .function_name("wt-scaler")
        .send()
        .await
        .unwrap();
    assert_eq!(concurrency.reserved_concurrent_executions(), None);
}

#[tokio::test]
async fn two_stacks_side_by_side_tear_down_apart() {
    let moto = Moto::start_in(REGION);
    let sdk = moto.sdk().await;
    create_services(&sdk, "prod", &[("api", 2)]).await;
    let zip_dir = tempfile::tempdir().unwrap();
    let zip = function_zip(zip_dir.path(), "fn.zip", None);
    let zip = zip.to_str().unwrap();
    let wt = tempfile::tempdir().unwrap();
    write_config(wt.path(), &config("wt", ""));
    let wt_prod = tempfile::tempdir().unwrap();
    write_config(wt_prod.path(), &config("wt-prod", ""));
    for dir in [&wt, &wt_prod] {
        worktime(
            dir.path(),
            &moto.env(),
            &["bootstrap", "--yes", "--artifact", zip],
        )
        .expect_code(0);
    }

    // Tearing down wt reports nothing left of wt (wt-prod's role, rules and code are not
    // wt's) and leaves wt-prod whole.
    let run = worktime(
        wt.path(),
        &moto.env(),
        &["--output", "json", "teardown", "--yes"],
    )
    .expect_code(0);
    let report = run.json();
    assert_eq!(report["stack_deleted"], true, "{}", run.stdout);
    assert_eq!(report["leftovers"], serde_json::json!([]), "{}", run.stdout);
    assert_eq!(
        report["bucket_deleted"], false,
        "wt-prod's code keeps the bucket"
    );
    assert_eq!(
        stack_status(&sdk, "wt-prod").await.as_deref(),
        Some("CREATE_COMPLETE")
    );
    let status =
        worktime(wt_prod.path(), &moto.env(), &["--output", "json", "status"]).expect_code(0);
    assert!(status.stdout.contains("wt-prod"), "{}", status.stdout);
    let keys: Vec<String> = moto
        .s3()
        .await
        .list_objects_v2()
        .bucket("worktime-artifacts-123456789012-ap-northeast-2")
        .send()
        .await
        .unwrap()
        .contents()
        .iter()
        .filter_map(|o| o.key().map(str::to_string))
        .collect();
    assert_eq!(keys.len(), 1, "{keys:?}");
    assert!(keys[0].starts_with("stacks/wt-prod/"), "{keys:?}");

    // And wt-prod's own teardown leaves nothing at all.
    let run = worktime(
        wt_prod.path(),
        &moto.env(),
        &["--output", "json", "teardown", "--yes"],
    )
    .expect_code(0);
    assert_eq!(
        run.json()["leftovers"],
        serde_json::json!([]),
        "{}",
        run.stdout
    );
    assert_eq!(run.json()["bucket_deleted"], true, "{}", run.stdout);
}

#[tokio::test]
async fn code_for_another_architecture_or_without_bootstrap_is_refused_before_anything_is_made() {
    use std::io::Write;
    let moto = Moto::start_in(REGION);
    let sdk = moto.sdk().await;
    let dir = tempfile::tempdir().unwrap();
    let host_zip = function_zip(dir.path(), "fn.zip", None);
    let other = if host_architecture() == "arm64" {
        "x86_64"
    } else {
        "arm64"
    };
    write_config(
        dir.path(),
        &config("wt", &format!("[function]\narchitecture = \"{other}\"")),
    );
    let run = worktime(
        dir.path(),
        &moto.env(),
        &[
            "bootstrap",
            "--yes",
            "--artifact",
            host_zip.to_str().unwrap(),
        ],
    )
    .expect_code(2);
    assert!(
        run.stderr
            .contains(&format!("built for {}", host_architecture()))
            && run.stderr.contains(&format!("architecture is {other}")),
        "{}",
        run.stderr
    );

    // A zip whose program is not at ./bootstrap.
    let wrong = dir.path().join("handler.zip");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&wrong).unwrap());
    zip.start_file(
        "handler",
        zip::write::SimpleFileOptions::default().unix_permissions(0o755),
    )
    .unwrap();
    zip.write_all(&std::fs::read(binary("bootstrap")).unwrap())
        .unwrap();
    zip.finish().unwrap();
    write_config(dir.path(), &config("wt", ""));
    let run = worktime(
        dir.path(),
        &moto.env(),
        &["bootstrap", "--yes", "--artifact", wrong.to_str().unwrap()],
    )
    .expect_code(2);
    assert!(run.stderr.contains("has no `bootstrap`"), "{}", run.stderr);

    assert_eq!(stack_status(&sdk, "wt").await, None);
    assert_eq!(bucket_count(&moto).await, 0, "nothing was created");
}

const TWO_SERVICES: &str = r#"
[[services]]
cluster = "prod"
service = "worker"
"#;

/// A stack with api (declared 1/3) and worker (restore mode, 2/6 by hand), scaled in; its
/// project's directory.
async fn scaled_in_stack(moto: &Moto, sdk: &SdkConfig) -> tempfile::TempDir {
    create_services(sdk, "prod", &[("api", 2), ("worker", 4)]).await;
    register_target(sdk, "prod", "worker", 2, 6).await;
    let dir = bootstrapped(moto, &(config("wt", "") + TWO_SERVICES));
    worktime(dir.path(), &moto.env(), &["run", "scale-in"]).expect_code(0);
    for service in ["api", "worker"] {
        assert_eq!(target_capacity(sdk, "prod", service).await, Some((0, 0)));
        assert_eq!(desired_count(sdk, "prod", service).await, 0);
    }
    dir
}

#[tokio::test]
async fn teardown_at_night_deletes_the_stack_then_gives_the_services_back_and_removes_worktime_s_tags(
) {
    // The server records every request, in the order it receives them.
    let moto = Moto::start_recording(REGION);
    let sdk = moto.sdk().await;
    let dir = scaled_in_stack(&moto, &sdk).await;
    let before = moto.recorded_operations().len();

    let run = worktime(
        dir.path(),
        &moto.env(),
        &["--output", "json", "teardown", "--yes"],
    )
    .expect_code(0);
    let report = run.json();
    assert_eq!(
        report["restored"],
        serde_json::json!(["service/prod/api", "service/prod/worker"]),
        "{}",
        run.stdout
    );
    assert_eq!(report["stack_deleted"], true);
    assert_eq!(report["not_given_back"], serde_json::json!([]));
    assert_eq!(stack_status(&sdk, "wt").await, None, "the stack is gone");

    // The order: the stack (its rules and function) was deleted before any service was given
    // back, so no scale-in could take one down again after it came back.
    let calls = moto.recorded_operations()[before..].to_vec();
    let position = |operation: &str| {
        calls
            .iter()
            .position(|c| c == operation)
            .unwrap_or_else(|| panic!("no {operation} in the teardown's calls: {calls:?}"))
    };
    let deleted = position("cloudformation:DeleteStack");
    for give_back in [
        "application-autoscaling:RegisterScalableTarget",
        "ecs:UpdateService",
        "ecs:UntagResource",
    ] {
        assert!(
            deleted < position(give_back),
            "{give_back} before DeleteStack: {calls:?}"
        );
    }
    // As the progress lines say.
    let line = |text: &str| {
        run.stderr
            .lines()
            .position(|l| l.contains(text))
            .unwrap_or_else(|| panic!("no {text:?} in\n{}", run.stderr))
    };
    assert!(
        line("deleted stack wt") < line("restored service/prod/api"),
        "{}",
        run.stderr
    );
    assert_eq!(target_capacity(&sdk, "prod", "api").await, Some((1, 3)));
    assert_eq!(desired_count(&sdk, "prod", "api").await, 2);
    assert_eq!(target_capacity(&sdk, "prod", "worker").await, Some((2, 6)));
    assert_eq!(desired_count(&sdk, "prod", "worker").await, 4);
    for service in ["api", "worker"] {
        assert_eq!(
            service_tag(&sdk, "prod", service, "worktime:capacity").await,
            None,
            "{service} keeps no worktime tag"
        );
    }
}

#[tokio::test]
async fn teardown_with_no_restore_leaves_the_services_as_they_are() {
    let moto = Moto::start_in(REGION);
    let sdk = moto.sdk().await;
    let dir = scaled_in_stack(&moto, &sdk).await;

    let run = worktime(
        dir.path(),
        &moto.env(),
        &["--output", "json", "teardown", "--yes", "--no-restore"],
    )
    .expect_code(0);
    let report = run.json();
    assert_eq!(
        report["restored"],
        serde_json::Value::Null,
        "{}",
        run.stdout
    );
    assert_eq!(report["stack_deleted"], true);
    for service in ["api", "worker"] {
        assert_eq!(target_capacity(&sdk, "prod", service).await, Some((0, 0)));
        assert_eq!(desired_count(&sdk, "prod", service).await, 0);
    }
    assert_eq!(
        remembered_capacity(&sdk, "prod", "worker").await.as_deref(),
        Some("2/6@4"),
        "what worker had stays recorded"
    );
}

#[tokio::test]
async fn the_stack_pins_the_checked_object_version_and_an_overwritten_key_is_uploaded_again() {
    let moto = Moto::start_in(REGION);
    let sdk = moto.sdk().await;
    create_services(&sdk, "prod", &[("api", 2)]).await;
    let dir = bootstrapped(&moto, &config("wt", ""));
    let zip = dir.path().join(BOOTSTRAPPED_ZIP);
    let zip_arg = zip.to_str().unwrap();
    let bucket = "worktime-artifacts-123456789012-ap-northeast-2";
    let s3 = moto.s3().await;
    let parameter = |name: &'static str| {
        let sdk = sdk.clone();
        async move {
            aws_sdk_cloudformation::Client::new(&sdk)
                .describe_stacks()
                .stack_name("wt")
                .send()
                .await
                .unwrap()
                .stacks()[0]
                .parameters()
                .iter()
                .find(|p| p.parameter_key() == Some(name))
                .and_then(|p| p.parameter_value())
                .map(str::to_string)
                .unwrap_or_default()
        }
    };
    let key = parameter("CodeS3Key").await;
    let pinned = parameter("CodeS3ObjectVersion").await;
    let head = s3
        .head_object()
        .bucket(bucket)
        .key(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(
        head.version_id(),
        Some(pinned.as_str()),
        "the stack pins the object it checked"
    );

    // Someone writes other bytes under the same key: the key is only a name. The next deploy
    // finds the content hash differs, uploads the code again and pins the new version.
    s3.put_object()
        .bucket(bucket)
        .key(&key)
        .body(aws_sdk_s3::primitives::ByteStream::from_static(
            b"not the function",
        ))
        .send()
        .await
        .unwrap();
    let run = worktime(
        dir.path(),
        &moto.env(),
        &["--output", "json", "deploy", "--yes", "--artifact", zip_arg],
    )
    .expect_code(0);
    assert_eq!(run.json()["code_uploaded"], true, "{}", run.stdout);
    let repinned = parameter("CodeS3ObjectVersion").await;
    assert_ne!(repinned, pinned);
    let object = s3
        .get_object()
        .bucket(bucket)
        .key(&key)
        .version_id(&repinned)
        .send()
        .await
        .unwrap();
    let body = object.body.collect().await.unwrap().into_bytes();
    assert_eq!(body.as_ref(), std::fs::read(&zip).unwrap().as_slice());
}
