//! The `bootstrap` binary: wiring only (tracing, environment, one SDK config, the runtime).

use lambda_runtime::{service_fn, Error, LambdaEvent};
use serde_json::Value;
use worktime_lambda::{env, handler, Clients};

#[tokio::main]
async fn main() -> Result<(), Error> {
    env::init_tracing();
    let defaults = env::defaults_from(|name| std::env::var(name).ok())?;
    let sdk = worktime_lambda::sdk::config_loader().load().await;
    let clients = Clients::new(&sdk);
    let clients = &clients;
    let defaults = &defaults;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        // A state machine's step of a run in waves: the next step's payload is the answer.
        if handler::is_step(&event.payload) {
            let answer =
                handler::handle_step(clients, defaults, event.payload, chrono::Utc::now()).await?;
            return Ok::<_, Error>(answer);
        }
        let report = handler::handle(
            clients,
            defaults,
            event.payload,
            Some(&event.context.invoked_function_arn),
        )
        .await?;
        Ok::<_, Error>(serde_json::to_value(report)?)
    }))
    .await
}
