//! The `worktime` binary without any endpoint: init, synth, bad input, help and exit codes.

use worktime_e2e::*;

fn no_aws() -> Vec<(String, String)> {
    // No endpoint, no credentials: these commands must not need any.
    vec![("AWS_EC2_METADATA_DISABLED".into(), "true".into())]
}

#[test]
fn init_then_synth_prints_the_whole_stack_in_yaml_and_json() {
    let dir = tempfile::tempdir().unwrap();
    worktime(dir.path(), &no_aws(), &["init"]).expect_code(0);
    assert!(dir.path().join("worktime.toml").exists());

    let yaml = worktime(dir.path(), &no_aws(), &["synth"]).expect_code(0);
    for resource in [
        "FunctionRole:",
        "FunctionPolicy:",
        "FunctionLogGroup:",
        "Function:",
        "DeadLetterQueue:",
        "ErrorsAlarm:",
    ] {
        assert!(
            yaml.stdout.contains(resource),
            "{resource} missing:\n{}",
            yaml.stdout
        );
    }
    let json = worktime(dir.path(), &no_aws(), &["synth", "--format", "json"]).expect_code(0);
    let template = json.json();
    assert_eq!(template["AWSTemplateFormatVersion"], "2010-09-09");
    assert_eq!(
        template["Resources"]["Function"]["Properties"]["Runtime"],
        "provided.al2023"
    );

    let out = dir.path().join("template.yaml");
    let run = worktime(
        dir.path(),
        &no_aws(),
        &["synth", "--out", out.to_str().unwrap()],
    )
    .expect_code(0);
    assert!(run.stdout.is_empty());
    assert_eq!(std::fs::read_to_string(&out).unwrap(), yaml.stdout);

    // init never overwrites.
    let again = worktime(dir.path(), &no_aws(), &["init"]).expect_code(2);
    assert!(again.stderr.contains("already exists"), "{}", again.stderr);
}

#[test]
fn a_missing_config_names_the_file_and_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let run = worktime(dir.path(), &no_aws(), &["synth", "--config", "nope.toml"]).expect_code(2);
    assert!(run.stdout.is_empty());
    assert!(run.stderr.contains("nope.toml"), "{}", run.stderr);
    assert!(run.stderr.contains("worktime init"), "{}", run.stderr);
}

#[test]
fn config_errors_name_file_line_key_and_fix_and_print_nothing() {
    let dir = tempfile::tempdir().unwrap();
    worktime(dir.path(), &no_aws(), &["init"]).expect_code(0);
    let path = dir.path().join("worktime.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let cases = [
        (
            "memory_mb = 128",
            "memory_mb = 64",
            "function.memory_mb",
            "128 to 10240",
        ),
        (
            "timezone = \"Asia/Seoul\"",
            "timezone = \"Asia/Seol\"",
            "schedule.timezone",
            "Asia/Seoul",
        ),
        (
            "timeout_seconds = 60",
            "timeout_second = 60",
            "timeout_second",
            "remove the key",
        ),
    ];
    for (from, to, key, fix) in cases {
        assert!(text.contains(from), "the example has {from}");
        std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
        for command in [
            &["synth"][..],
            &["run", "scale-in"],
            &["bootstrap", "--yes"],
            &["rollout"],
        ] {
            let run = worktime(dir.path(), &no_aws(), command).expect_code(2);
            assert!(run.stdout.is_empty(), "{command:?}: {}", run.stdout);
            assert!(
                run.stderr.contains("worktime.toml:"),
                "{command:?} names the file and line: {}",
                run.stderr
            );
            assert!(
                run.stderr.contains(key),
                "{command:?} names {key}: {}",
                run.stderr
            );
            assert!(
                run.stderr.contains(fix),
                "{command:?} says how to fix: {}",
                run.stderr
            );
        }
    }
}

#[test]
fn help_documents_exit_codes_and_bad_flags_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let help = worktime(dir.path(), &no_aws(), &["--help"]).expect_code(0);
    assert!(help.stdout.contains("Exit codes"), "{}", help.stdout);
    assert!(
        help.stdout.contains("4  the stack ended in a failed state"),
        "{}",
        help.stdout
    );
    let run = worktime(dir.path(), &no_aws(), &["synth", "--format", "xml"]).expect_code(2);
    assert!(run.stderr.contains("xml"), "{}", run.stderr);
    worktime(dir.path(), &no_aws(), &["frobnicate"]).expect_code(2);
}

#[test]
fn no_credentials_is_one_line_with_the_fix_and_no_sdk_dump() {
    let dir = tempfile::tempdir().unwrap();
    worktime(dir.path(), &no_aws(), &["init"]).expect_code(0);
    let home = dir.path().display().to_string();
    let mut env = no_aws();
    env.extend([
        // A home without ~/.aws: no profile, no credentials file.
        ("HOME".to_string(), home),
        // Loopback, and nothing listens: no request may leave this machine.
        (
            "AWS_ENDPOINT_URL".to_string(),
            "http://127.0.0.1:9".to_string(),
        ),
    ]);
    let run = worktime(dir.path(), &env, &["status"]).expect_code(1);
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{}", run.stderr);
    assert!(
        lines[0].contains("unable to locate AWS credentials"),
        "{}",
        run.stderr
    );
    assert!(lines[0].contains("Fix:"), "{}", run.stderr);
    assert!(!run.stderr.contains("DispatchFailure"), "{}", run.stderr);
    assert!(!run.stderr.contains("WARN"), "{}", run.stderr);
}
