//! The worktime scaling function as a library: the event contract, batched reads, a pure
//! planner, bounded writes and the report — so that `worktime run` in the CLI runs exactly
//! the code the deployed function runs.
//!
//! `event` (contract, validation) → `observe` (reads) → `planner` (pure decisions) →
//! `execute` (writes) → `report`; `run` chains them, `handler` is one Lambda invocation,
//! `release` what teardown does to the services, `env` the function's environment, `memory` the remembered-state tag value, `tags` the tag
//! names shared with the CLI, `clients` the SDK clients.

mod clients;
pub mod env;
mod event;
mod execute;
pub mod handler;
mod memory;
pub mod observe;
mod planner;
mod release;
mod report;
mod run;
pub mod tags;

pub use clients::{describe_error, Clients};
pub use event::{
    is_valid_ecs_name, Action, Capacity, EventDefaults, EventError, RawEvent, ScalingEvent,
    ServiceRequest, ServiceTarget, DEFAULT_MAX_DELAY_MINUTES, ENVELOPE_KEYS,
    MAX_DELAY_MINUTES_LIMIT, MAX_SERVICES, MAX_SKIP_DATES,
};
pub use handler::HandlerError;
pub use memory::{Remembered, MAX_REMEMBERED_TASKS};
pub use observe::Observed;
pub use release::{release, Release};
pub use report::{Outcome, Report, ServiceOutcome, Summary};
pub use run::run;
