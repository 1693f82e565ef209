//! Deploying one stack: the function artifact (built, given, or carried by a release binary)
//! and its bucket, the service-linked role,
//! change sets and stack events, what is deployed (`inspect`), what is left after teardown,
//! and the lifecycle that ties them together.

pub mod activity;
pub mod artifact;
pub mod bucket;
pub mod bucket_policy;
pub mod capacity;
pub mod changes;
pub mod concurrency;
pub mod embedded;
pub mod execution_role;
pub mod inspect;
pub mod leftovers;
pub mod lifecycle;
pub mod service_role;
pub mod stack;

use std::time::Duration;

/// How often to poll a long-running CloudFormation operation: each operation's own interval
/// on AWS, unless the caller chose one (the hidden `--poll-ms`, or `WORKTIME_POLL_MS`: the
/// tests set it low against a local endpoint). Read once with the other AWS flags and passed
/// down, never looked up from the environment where it is used.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Poll {
    chosen: Option<Duration>,
}

impl Poll {
    /// Every `interval`, whatever the operation.
    pub const fn every(interval: Duration) -> Self {
        Poll {
            chosen: Some(interval),
        }
    }

    /// The interval for an operation that AWS completes in about `on_aws` steps.
    pub fn or(self, on_aws: Duration) -> Duration {
        self.chosen.unwrap_or(on_aws)
    }
}
