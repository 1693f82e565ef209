//! The worktime scaling function library: the event contract, a pure planner and the
//! step that applies a plan through Application Auto Scaling and ECS.
//!
//! `main.rs` only wires: tracing, the environment, one SDK config. Everything else is here,
//! so the `worktime run` command of the CLI runs exactly the same code.

pub mod apply;
pub mod env;
pub mod error;
pub mod event;
pub mod handler;
pub mod planner;

pub use apply::{Clients, Report};
pub use error::{EventError, HandlerError};
pub use event::{Action, Capacity, ScalingEvent, ServiceTarget};

/// Logs to stderr: JSON when Lambda's log format is JSON (`AWS_LAMBDA_LOG_FORMAT=JSON`),
/// plain text otherwise; level from `RUST_LOG` (default `info`).
pub fn init_tracing() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let json = std::env::var("AWS_LAMBDA_LOG_FORMAT").is_ok_and(|v| v.eq_ignore_ascii_case("json"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false);
    // Lambda adds its own timestamps to plain-text lines.
    if json {
        builder.json().with_current_span(false).init();
    } else {
        builder.without_time().init();
    }
}
