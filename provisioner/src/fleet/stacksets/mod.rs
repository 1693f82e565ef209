//! `worktime rollout --engine stacksets` and `worktime teardown --all-accounts --engine
//! stacksets`: the organisation-scale alternative to the direct loop of `rollout`. One
//! CloudFormation stack set, named after the stack and kept in the caller's (administrator)
//! account, holds the parameterised template (`template::build_for_stackset`); each target
//! is a stack instance whose parameter overrides carry that account's zone, triggers,
//! payloads and service ARNs, and the code location in its region.
//!
//! The function code stays in the administrator's artifact bucket of each target region;
//! a bucket policy lets the target accounts (self-managed) or the organisation's accounts
//! (service-managed) read this stack's prefix.
//!
//! Results come back as `fleet::results::TargetResult` rows, printed as one table: one row
//! `stack-set` (the stack set itself and the code buckets), then one per stack instance.
//! An instance that should exist but does not, or is not CURRENT/SUCCEEDED, is a failed row
//! with the reason: never silent.
//!
//! Operations are issued one at a time (CloudFormation runs one operation per stack set)
//! and each is waited for by its operation id. One instance operation per (account, region):
//! the overrides differ for each, since ARNs and buckets are regional.

pub(crate) mod api;
pub(crate) mod apply;
mod code;
mod plan;
mod report;
pub(crate) mod teardown;
#[cfg(test)]
mod tests;

use std::time::Duration;

pub use apply::rollout;
pub use plan::plan;
pub use teardown::teardown;

use crate::config::{Fleet, StackSetSettings};
use crate::error::Result;
use crate::fleet::FleetError;

/// The `account` of the row that reports the stack set itself (and the code buckets).
pub const STACK_SET_ROW: &str = "stack-set";

/// How long one stack set operation may take before worktime stops waiting (it goes on in
/// AWS; re-running resumes).
const MAX_WAIT: Duration = Duration::from_secs(60 * 60);

/// How often a stack set operation is polled on AWS.
const POLL: Duration = Duration::from_secs(5);

/// The `[stacksets]` table, or the usage error that says how to add it.
pub fn settings(fleet: &Fleet) -> Result<&StackSetSettings> {
    fleet.stacksets.as_ref().ok_or_else(|| {
        FleetError::NoStackSets {
            config: fleet.home.path.clone(),
        }
        .into()
    })
}
