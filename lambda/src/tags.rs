//! The ECS tag names worktime reads and writes, defined once for the function and the CLI.

/// On an ECS service: what it was at scale-in (bounds and desired count), written by the
/// function before any scale-in write; the value format is in [`crate::Remembered`].
pub const CAPACITY_TAG: &str = "worktime:capacity";

/// On the resources the CLI creates outside the stack (the artifact bucket, stack sets):
/// the stack they belong to.
pub const STACK_TAG: &str = "worktime:stack";

/// Reserved for issue 10 (hold and wake): on an ECS service, the instant (RFC 3339, UTC)
/// until which scale-in leaves it as it is. Not read yet.
pub const HOLD_UNTIL_TAG: &str = "worktime:hold-until";

/// The opt-out: on an ECS service, any value means "never change this service"; every
/// action reports it skipped.
pub const EXCLUDE_TAG: &str = "worktime:exclude";
