//! The operator's own least privilege (issue 21): every command run against the local
//! endpoint with the call recorder on (`WORKTIME_RECORD_CALLS`), and every SDK operation it
//! made checked against the permissions table `worktime policy` prints.

use std::collections::BTreeSet;
use std::path::Path;

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
fn recorded(dir: &Path, moto: &Moto, args: &[&str]) -> (Run, BTreeSet<(String, String)>) {
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

#[tokio::test]
async fn discover() {
    let moto = Moto::start_in(REGION);
    let sdk = moto.sdk().await;
    create_services(&sdk, "prod", &[("api", 2), ("worker", 4)]).await;
    register_target(&sdk, "prod", "api", 1, 3).await;
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path(), &config());
    let zip = function_zip(dir.path(), "fn.zip", None);
    let zip = zip.to_str().unwrap();
    for args in [
        vec!["bootstrap", "--yes", "--artifact", zip],
        vec!["deploy", "--yes", "--artifact", zip],
        vec!["diff", "--artifact", zip],
        vec!["status"],
        vec!["run", "scale-in"],
        vec!["hold", "prod/api", "--for", "1h"],
        vec!["wake", "prod/worker"],
        vec!["report"],
        vec!["teardown", "--yes"],
    ] {
        let (run, calls) = recorded(dir.path(), &moto, &args);
        eprintln!(
            "== {} -> {} {}",
            args[0],
            run.code,
            run.stderr.lines().last().unwrap_or_default()
        );
        for (s, o) in calls {
            eprintln!("{}\t{s}\t{o}", args[0]);
        }
    }
}
