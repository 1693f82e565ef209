//! The polling interval of long-running operations, read with the AWS flags.

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
