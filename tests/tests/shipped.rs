//! The function that ships, not a debug build of it: the arm64 `bootstrap.zip` that
//! `make lambda` builds (profile `function`: fat LTO, opt-level "z", panic = abort, stripped;
//! cargo-lambda's zig linker), deployed by `worktime bootstrap` as the stack's code, taken back
//! out of the artifact bucket, and run under the harness's Lambda Runtime API (through
//! `qemu-aarch64` on an x86_64 machine) with the deployed function's environment. A night and
//! a morning through the deployed rules, each effect read back from ECS and Application Auto
//! Scaling. `make test` builds the zip first; without it the test fails, naming `make lambda`.

use chrono::{SubsecRound, TimeDelta, Utc};
use worktime_e2e::shipped::{
    arm64_runner, elf_machine, shipped_function_zip, unzip_bootstrap, EM_AARCH64,
};
use worktime_e2e::triggers::deployed_rule_payload;
use worktime_e2e::*;

const REGION: &str = "ap-northeast-2";

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

[[services]]
cluster = "prod"
service = "worker"

[function]
architecture = "arm64"
"#;

#[tokio::test]
async fn the_shipped_arm64_zip_scales_services_in_and_out_under_the_runtime_api() {
    let zip = shipped_function_zip();
    let runner = arm64_runner();
    let moto = Moto::start_in(REGION);
    let sdk = moto.sdk().await;
    create_services(&sdk, "prod", &[("api", 2), ("worker", 4)]).await;
    register_target(&sdk, "prod", "api", 1, 3).await;
    register_target(&sdk, "prod", "worker", 2, 6).await;

    // The zip is the stack's code: bootstrap checks it holds an arm64 `bootstrap`, as the
    // config's architecture says, and uploads it.
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path(), CONFIG);
    worktime(
        dir.path(),
        &moto.env(),
        &["bootstrap", "--yes", "--artifact", zip.to_str().unwrap()],
    )
    .expect_code(0);

    // What runs is what was deployed: the object in the artifact bucket, byte for byte.
    let s3 = moto.s3().await;
    let bucket = format!("worktime-artifacts-123456789012-{REGION}");
    let listed = s3
        .list_objects_v2()
        .bucket(&bucket)
        .prefix("stacks/wt/")
        .send()
        .await
        .unwrap();
    let keys: Vec<&str> = listed.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(keys.len(), 1, "{keys:?}");
    let deployed = s3
        .get_object()
        .bucket(&bucket)
        .key(keys[0])
        .send()
        .await
        .unwrap()
        .body
        .collect()
        .await
        .unwrap()
        .into_bytes();
    assert!(
        deployed == std::fs::read(&zip).unwrap(),
        "the deployed code is make lambda's zip"
    );
    let code = tempfile::tempdir().unwrap();
    let bootstrap = unzip_bootstrap(&deployed, code.path());
    assert_eq!(elf_machine(&bootstrap), EM_AARCH64, "an arm64 binary");

    let config = FunctionConfig {
        binary: bootstrap,
        runner,
        ..FunctionConfig::default()
    };
    let mut function = FunctionRuntime::deployed_with(&sdk, "wt-scaler", moto.env(), config).await;

    // Evening: the scale-in rule fires. Both services at 0/0 with no task; each one's day
    // remembered on it.
    let evening = Utc::now().trunc_subsecs(0) - TimeDelta::minutes(1);
    let payload = deployed_rule_payload(&sdk, "wt-scale-in", evening)
        .await
        .unwrap();
    let report = function.invoke(&payload).expect_ok();
    assert_eq!(report["summary"]["changed"], 2, "{report}");
    assert_eq!(service_state(&sdk, "prod", "api").await, (Some((0, 0)), 0));
    assert_eq!(
        service_state(&sdk, "prod", "worker").await,
        (Some((0, 0)), 0)
    );
    let memory = |service: &'static str| service_tag(&sdk, "prod", service, "worktime:capacity");
    let (api, worker) = (
        memory("api").await.unwrap(),
        memory("worker").await.unwrap(),
    );
    assert!(api.starts_with("1/3@2 down "), "{api}");
    assert!(worker.starts_with("2/6@4 down "), "{worker}");
    // The function logged the run as it does on Lambda (its `summary` line `status` reads).
    assert!(function.log().contains("summary"), "{}", function.log());

    // Morning: the scale-out rule fires. Each service's bounds and tasks come back.
    let morning = Utc::now().trunc_subsecs(0);
    let payload = deployed_rule_payload(&sdk, "wt-scale-out", morning)
        .await
        .unwrap();
    let report = function.invoke(&payload).expect_ok();
    assert_eq!(report["summary"]["changed"], 2, "{report}");
    assert_eq!(service_state(&sdk, "prod", "api").await, (Some((1, 3)), 2));
    assert_eq!(
        service_state(&sdk, "prod", "worker").await,
        (Some((2, 6)), 4)
    );
    // Marked restored last: nothing is owed any more.
    let worker = memory("worker").await.unwrap();
    assert!(worker.starts_with("2/6@4 up "), "{worker}");
}
