//! The worktime scaling function as a library: the event contract, batched reads, a pure
//! planner, bounded writes and the report — so that `worktime run` in the CLI runs exactly
//! the code the deployed function runs.
//!
//! `event` (contract, validation) → `resolve` (tag selectors to services) → `observe` (reads) → `planner` (pure decisions) →
//! `execute` (writes) → `report`; `run` chains them, `handler` is one Lambda invocation (`dispatch` routes it by what delivered it),
//! `release` what teardown does to the services, `env` the function's environment, `memory` the remembered-state tag value, `groups` what the `[[capacity]]` Auto Scaling groups should be and `groups_io` the capacity stage's reads and writes, `waves` the order of a
//! morning's and a night's waves and when one is done, `tags` the tag
//! names shared with the CLI, `clients` the SDK clients, `delivered` which topics a notice
//! reached, `sdk` the SDK config loader (one HTTPS client for the function, the CLI and the tests),
//! `ecs` the ECS vocabulary (`Capacity`, names, resource ids) that `event` and
//! `selector` share without importing each other.

mod clients;
pub mod cron;
pub mod delivered;
pub mod dispatch;
mod ecs;
pub mod env;
mod event;
mod execute;
pub mod groups;
mod groups_io;
pub mod handler;
mod memory;
pub mod observe;
mod planner;
pub mod publish;
mod release;
mod report;
mod resolve;
mod run;
pub mod sdk;
pub mod selector;
pub mod tags;
pub mod wake;
pub mod waves;
pub mod window;

pub use clients::{describe_error, Clients};
pub use ecs::{is_valid_ecs_name, resource_id, Capacity};
pub use event::{
    Action, CapacityTarget, EventDefaults, EventError, RawEvent, ScalingEvent, ScheduleCrons,
    ServiceRequest, ServiceTarget, DEFAULT_READY_WITHIN_MINUTES, DEFAULT_SCHEDULE,
    DEFAULT_WAVE_TIMEOUT_MINUTES, ENVELOPE_KEYS, MAX_READY_WITHIN_MINUTES, MAX_SELECTORS,
    MAX_SERVICES, MAX_SKIP_DATES, MAX_WARN_BEFORE_MINUTES, MAX_WAVE, MAX_WAVE_TIMEOUT_MINUTES,
};
pub use execute::write_hold_tag;
pub use groups_io::{release_groups, GroupRelease};
pub use handler::HandlerError;
pub use memory::{Mark, Remembered, MAX_REMEMBERED_TASKS};
pub use observe::Observed;
pub use release::{release, Release};
pub use report::{Outcome, Report, ServiceOutcome, Summary};
pub use resolve::SelectorOutcome;
pub use run::{notice_stop_time, run, select, select_and_observe, Selected};
pub use selector::{
    owner, AllowedSelector, AllowedSelectorEntry, ClusterScope, Owner, Ownership, Selector,
    SelectorTarget, SelectsByTag, TagMatch, ALL_CLUSTERS,
};
