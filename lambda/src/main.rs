//! The `bootstrap` binary: wiring only (tracing, environment, one SDK config, the runtime);
//! `dispatch` handles each invocation.

use lambda_runtime::{service_fn, Error, LambdaEvent};
use serde_json::Value;
use worktime_lambda::dispatch::{dispatch, Function};
use worktime_lambda::{env, wake, Clients};

#[tokio::main]
async fn main() -> Result<(), Error> {
    env::init_tracing();
    let defaults = env::defaults_from(|name| std::env::var(name).ok())?;
    let sdk = worktime_lambda::sdk::config_loader().load().await;
    let clients = Clients::new(&sdk);
    let woken = wake::targets_from(std::env::var(wake::WAKE_VAR).ok().as_deref())?;
    let function = Function {
        clients: &clients,
        defaults: &defaults,
        woken: &woken,
    };
    let function = &function;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        let arn = &event.context.invoked_function_arn;
        // A `Failure` becomes Lambda's `Diagnostic` (its errorType) and logs as one line.
        dispatch(function, event.payload, arn, chrono::Utc::now()).await
    }))
    .await
}
