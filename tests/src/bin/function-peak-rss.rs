//! `function-peak-rss BOOTSTRAP EVENT_FILE...`: the peak resident set of one execution
//! environment of the function (`make bench`).
//!
//! Starts BOOTSTRAP under the harness's Lambda Runtime API with this process's AWS settings
//! (`AWS_ENDPOINT_URL` must be a loopback test endpoint), invokes it once per EVENT_FILE (JSON,
//! in order), and prints one JSON line per invocation: the event file, whether it succeeded,
//! the function's summary and selector outcomes, the invocation's wall time (ms), and the
//! process's peak RSS so far (KiB, `VmHWM`). Exits 1 when an invocation fails, 2 on bad usage.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use worktime_e2e::{local_endpoint_env, FunctionConfig, FunctionRuntime};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 2 {
        eprintln!("usage: function-peak-rss BOOTSTRAP EVENT_FILE...");
        return ExitCode::from(2);
    }
    let env: Vec<(String, String)> = match local_endpoint_env() {
        Ok(env) => env
            .into_iter()
            .chain(std::env::vars().filter(|(k, _)| k.starts_with("WORKTIME_") || k == "RUST_LOG"))
            .collect(),
        Err(why) => {
            eprintln!("function-peak-rss: {why}");
            return ExitCode::from(2);
        }
    };
    let config = FunctionConfig {
        binary: PathBuf::from(&args[0]),
        timeout: Duration::from_secs(120),
        ..FunctionConfig::default()
    };
    let mut function = FunctionRuntime::start_with(config, &env);
    let mut failed = false;
    for file in &args[1..] {
        let event: Value = match std::fs::read_to_string(file)
            .map_err(|e| e.to_string())
            .and_then(|t| serde_json::from_str(&t).map_err(|e| e.to_string()))
        {
            Ok(event) => event,
            Err(e) => {
                eprintln!("function-peak-rss: {file}: {e}");
                return ExitCode::from(2);
            }
        };
        let started = Instant::now();
        let invocation = function.invoke(&event);
        let elapsed_ms = started.elapsed().as_millis();
        let (ok, summary) = match &invocation.result {
            Ok(report) => (true, report["summary"].clone()),
            Err(error) => (false, error.clone()),
        };
        failed |= !ok;
        println!(
            "{}",
            json!({
                "event": file,
                "ok": ok,
                "summary": summary,
                "peak_rss_kib": function.peak_rss_kib(),
                "elapsed_ms": elapsed_ms,
                "selectors": invocation.result.as_ref().ok().map(|r| r["selectors"].clone()),
            })
        );
    }
    if failed {
        eprintln!("--- function log\n{}", function.log());
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
