//! The `bootstrap` binary: wiring only (tracing, environment, one SDK config, the runtime).

use lambda_runtime::{service_fn, Error, LambdaEvent};
use serde_json::Value;
use worktime_lambda::handler::HandlerError;
use worktime_lambda::wake::request::{self, Answer};
use worktime_lambda::{env, handler, wake, Clients};

#[tokio::main]
async fn main() -> Result<(), Error> {
    env::init_tracing();
    let defaults = env::defaults_from(|name| std::env::var(name).ok())?;
    let sdk = worktime_lambda::sdk::config_loader().load().await;
    let clients = Clients::new(&sdk);
    let woken = wake::targets_from(std::env::var(wake::WAKE_VAR).ok().as_deref())?;
    let clients = &clients;
    let defaults = &defaults;
    let (woken, elb) = (&woken, &clients.elb);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        // A state machine's step of a run in waves: the next step's payload is the answer.
        if handler::is_step(&event.payload) {
            let answer =
                handler::handle_step(clients, defaults, event.payload, chrono::Utc::now()).await?;
            return Ok::<_, Error>(answer);
        }
        // A load balancer's request to a woken service's wake target group: a visitor wakes
        // the service, waits for it, and is sent back once it is up (400 for an unreadable
        // event).
        if request::is_alb_event(&event.payload) {
            let answer = match request::parse(&event.payload) {
                Ok(r) => {
                    let answer =
                        wake::visit::handle(clients, elb, defaults, woken, &r, chrono::Utc::now())
                            .await;
                    request::respond(Some(&r), &answer)
                }
                Err(why) => request::respond(None, &Answer::Bad(why)),
            };
            return Ok(answer);
        }
        let result = handler::handle(
            clients,
            defaults,
            event.payload,
            Some(&event.context.invoked_function_arn),
        )
        .await;
        // The woken services' routes follow what the run did to them, also when other
        // services failed; a route that could not follow fails the invocation.
        let report = match &result {
            Ok(report) => Some(report),
            Err(HandlerError::ServicesFailed(report)) => Some(report.as_ref()),
            Err(_) => None,
        };
        if let Some(report) = report {
            let failures = wake::apply::after_run(elb, woken, report).await;
            if !failures.is_empty() {
                let lines: Vec<String> = failures
                    .iter()
                    .map(|(id, why)| format!("{id}: {why}"))
                    .collect();
                return Err(format!("wake routes: {}", lines.join("; ")).into());
            }
        }
        Ok::<_, Error>(serde_json::to_value(result?)?)
    }))
    .await
}
