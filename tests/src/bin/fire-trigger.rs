//! `fire-trigger RULE [TIME]`: what happens when a deployed EventBridge rule fires, on the
//! local test endpoint (moto stores rules and never fires them).
//!
//! Reads the rule and its target back through the EventBridge API, applies the target's input
//! to the scheduled event for TIME (RFC 3339; default now), reads the target function's
//! environment through the Lambda API, and runs the built `bootstrap` with that environment
//! under the harness's Lambda Runtime API with the delivered payload. Prints the payload and
//! the function's answer; exits 1 when the invocation fails. Only for a loopback
//! `AWS_ENDPOINT_URL`: the same payload on AWS is delivered by EventBridge itself.

use std::process::ExitCode;

use chrono::{DateTime, SubsecRound, Utc};
use worktime_e2e::triggers::deployed_rule_payload;
use worktime_e2e::{deployed_environment, local_endpoint_env, FunctionRuntime};

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    match fire().await {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(message) => {
            eprintln!("fire-trigger: {message}");
            ExitCode::from(2)
        }
    }
}

async fn fire() -> Result<bool, String> {
    let mut args = std::env::args().skip(1);
    let rule = args
        .next()
        .ok_or("usage: fire-trigger RULE [TIME]: name a deployed EventBridge rule")?;
    let time: DateTime<Utc> = match args.next() {
        Some(text) => DateTime::parse_from_rfc3339(&text)
            .map_err(|e| format!("TIME {text:?}: {e}: write it as 2026-12-01T10:00:00Z"))?
            .to_utc(),
        None => Utc::now().trunc_subsecs(0),
    };
    let mut env = local_endpoint_env()?;
    let sdk = worktime_lambda::sdk::config_loader().load().await;

    let events = aws_sdk_eventbridge::Client::new(&sdk);
    let targets = events
        .list_targets_by_rule()
        .rule(&rule)
        .send()
        .await
        .map_err(|e| {
            format!(
                "rule {rule}: {}",
                aws_sdk_eventbridge::error::DisplayErrorContext(e)
            )
        })?;
    let function_arn = targets
        .targets()
        .first()
        .map(|t| t.arn().to_string())
        .ok_or_else(|| format!("rule {rule} has no target"))?;
    let payload = deployed_rule_payload(&sdk, &rule, time).await?;

    let (function_name, variables) = deployed_environment(&sdk, &function_arn).await?;
    env.extend(variables);

    println!(
        "{rule} fired at {}: {} receives\n{}",
        time.format("%Y-%m-%dT%H:%M:%SZ"),
        function_name,
        serde_json::to_string(&payload).unwrap_or_default()
    );
    let mut function = FunctionRuntime::start(&env);
    let invocation = function.invoke(&payload);
    match &invocation.result {
        Ok(report) => {
            println!("the function answered:");
            print_report(report);
            Ok(true)
        }
        Err(error) => {
            println!(
                "the invocation failed:\n{}\n--- function log\n{}",
                serde_json::to_string_pretty(error).unwrap_or_default(),
                invocation.log
            );
            Ok(false)
        }
    }
}

/// One line per service: outcome, bounds and desired count before and after, and why.
fn print_report(report: &serde_json::Value) {
    let bounds = |v: &serde_json::Value| match (v["min"].as_i64(), v["max"].as_i64()) {
        (Some(min), Some(max)) => format!("{min}/{max}"),
        _ => "-".to_string(),
    };
    let count = |v: &serde_json::Value| v.as_i64().map_or("-".to_string(), |n| n.to_string());
    for s in report["services"].as_array().into_iter().flatten() {
        println!(
            "  {:<24} {:<10} bounds {:>4} -> {:<4} desired {:>2} -> {:<2} {}",
            s["resource_id"].as_str().unwrap_or("?"),
            s["outcome"].as_str().unwrap_or("?"),
            bounds(&s["before"]),
            bounds(&s["after"]),
            count(&s["desired_before"]),
            count(&s["desired_after"]),
            s["reason"].as_str().unwrap_or_default()
        );
    }
    println!("  summary: {}", report["summary"]);
}
