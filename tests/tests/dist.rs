//! The release binary as users get it (`make dist`): one file carrying both function zips,
//! run from an empty directory with no cargo, cargo-lambda, zig or Python on PATH.

use std::path::Path;
use std::process::{Command, Stdio};

use base64::Engine;
use sha2::{Digest, Sha256};
use worktime_e2e::shipped;
use worktime_e2e::*;

const REGION: &str = "eu-west-1";

const CONFIG: &str = r#"
[stack]
name = "shipped"
region = "eu-west-1"

[schedule]
timezone = "Europe/Dublin"
scale_out = "cron(0 8 ? * MON-FRI *)"
scale_in = "cron(0 19 ? * MON-FRI *)"

[[services]]
cluster = "prod"
service = "api"
min = 1
max = 2

[function]
architecture = "arm64"
"#;

/// Runs `program` in `dir` as a user's shell would after installing only the binary: PATH
/// of the system's directories, a fresh HOME, and the endpoint's settings.
fn run_installed(program: &Path, dir: &Path, env: &[(String, String)], args: &[&str]) -> Run {
    let mut command = Command::new(program);
    command
        .current_dir(dir)
        .args(args)
        .stdin(Stdio::null())
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("HOME", dir)
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    Run::from(command.output().expect("run the packed worktime"))
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[tokio::test]
async fn the_release_binary_bootstraps_from_an_empty_directory_with_the_function_it_carries() {
    let build = tempfile::tempdir().unwrap();
    // The arm64 zip `make lambda` builds (checked to be current): what users deploy.
    let arm64 = shipped::shipped_function_zip();
    let x86_64 = function_zip(build.path(), "x86_64.zip", None);
    let dist = build.path().join("dist");
    let packed = worktime(
        build.path(),
        &[],
        &[
            "package",
            "--arm64",
            arm64.to_str().unwrap(),
            "--x86-64",
            x86_64.to_str().unwrap(),
            "--out",
            dist.to_str().unwrap(),
        ],
    )
    .expect_code(0);
    let binary = dist.join("worktime");
    assert!(
        packed.stdout.contains("carries the arm64 function"),
        "{}",
        packed.stdout
    );
    let man = std::fs::read_to_string(dist.join("worktime.1")).unwrap();
    assert!(
        man.starts_with(".ie") || man.contains(".TH worktime"),
        "{man:.200}"
    );
    for script in [
        "worktime.bash",
        "_worktime",
        "worktime.fish",
        "_worktime.ps1",
    ] {
        let text = std::fs::read_to_string(dist.join("completions").join(script)).unwrap();
        assert!(text.contains("bootstrap"), "{script}: {text:.200}");
    }

    let arm64_bytes = std::fs::read(&arm64).unwrap();
    let arm64_hash = sha256_hex(&arm64_bytes);
    let empty = tempfile::tempdir().unwrap();
    let version = run_installed(&binary, empty.path(), &[], &["--version"]).expect_code(0);
    assert!(
        version
            .stdout
            .contains(&format!("arm64 {}", &arm64_hash[..16])),
        "{}",
        version.stdout
    );

    // From a directory holding only worktime.toml, with nothing to build with on PATH.
    let moto = Moto::start_in(REGION);
    let sdk = moto.sdk().await;
    create_services(&sdk, "prod", &[("api", 1)]).await;
    std::fs::write(empty.path().join("worktime.toml"), CONFIG).unwrap();
    let run =
        run_installed(&binary, empty.path(), &moto.env(), &["bootstrap", "--yes"]).expect_code(0);
    assert!(
        run.stderr.contains("the arm64 zip this binary carries"),
        "{}",
        run.stderr
    );
    let function = aws_sdk_lambda::Client::new(&sdk)
        .get_function_configuration()
        .function_name("shipped-scaler")
        .send()
        .await
        .unwrap();
    let deployed = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(&arm64_bytes));
    assert_eq!(function.code_sha256(), Some(deployed.as_str()));
    assert_eq!(
        function
            .architectures()
            .iter()
            .map(|a| a.as_str())
            .collect::<Vec<_>>(),
        ["arm64"]
    );
}

#[tokio::test]
async fn a_binary_that_carries_no_function_refuses_to_bootstrap_outside_the_workspace() {
    // Outside the workspace only --artifact or a carried zip is worktime's function.
    let moto = Moto::start_in(REGION);
    let sdk = moto.sdk().await;
    let empty = tempfile::tempdir().unwrap();
    std::fs::write(empty.path().join("worktime.toml"), CONFIG).unwrap();
    // Another cargo-lambda project's layout and build output: not worktime's function.
    let other = empty.path().join("target/lambda/bootstrap");
    std::fs::create_dir_all(&other).unwrap();
    function_zip(&other, "bootstrap.zip", None);
    std::fs::create_dir_all(empty.path().join("lambda")).unwrap();
    std::fs::write(
        empty.path().join("lambda/Cargo.toml"),
        "[package]\nname = \"their-function\"\n",
    )
    .unwrap();
    std::fs::write(empty.path().join("Cargo.toml"), "[workspace]\n").unwrap();
    let run = run_installed(
        &binary("worktime"),
        empty.path(),
        &moto.env(),
        &["bootstrap", "--yes"],
    )
    .expect_code(2);
    assert!(
        run.stderr.contains("no function code to deploy"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("--artifact"), "{}", run.stderr);
    // Nothing was created.
    let stacks = aws_sdk_cloudformation::Client::new(&sdk)
        .describe_stacks()
        .stack_name("shipped")
        .send()
        .await;
    assert!(stacks.is_err(), "{stacks:?}");
}
