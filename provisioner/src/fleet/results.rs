//! What each target ended with, and the table that sums a fleet operation up.

use std::fmt;

use serde::{Serialize, Serializer};

use crate::deploy::lifecycle::DeployResult;
use crate::error::{Error, Result};

/// How one target (or the stack set row) ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetOutcome {
    Deploy(DeployResult),
    /// Teardown removed it.
    Deleted,
    /// Teardown found nothing to remove.
    Absent,
    /// Teardown kept it (a stack set row whose buckets hold other stacks' code).
    Kept,
    /// `status`: the stack's status as CloudFormation reports it (or `NOT_DEPLOYED`).
    Status(String),
    Failed,
    /// The failure tolerance was exceeded before this target started.
    NotStarted,
}

impl fmt::Display for TargetOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TargetOutcome::Deploy(result) => write!(f, "{result}"),
            TargetOutcome::Deleted => f.write_str("deleted"),
            TargetOutcome::Absent => f.write_str("absent"),
            TargetOutcome::Kept => f.write_str("kept"),
            TargetOutcome::Status(status) => f.write_str(status),
            TargetOutcome::Failed => f.write_str("failed"),
            TargetOutcome::NotStarted => f.write_str("not-started"),
        }
    }
}

/// As the text the table shows (a plain string in JSON, as before typed results).
impl Serialize for TargetOutcome {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// What one target ended with.
#[derive(Debug, Clone, Serialize)]
pub struct TargetResult {
    pub account: String,
    pub region: String,
    pub result: TargetOutcome,
    pub changes: usize,
    pub duration_seconds: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Command-specific detail (the deploy, status or teardown report).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<serde_json::Value>,
}

/// The final table of a rollout, `status --all-accounts` or `teardown --all-accounts`.
#[derive(Debug, Serialize)]
#[serde(transparent)]
pub struct Results(pub Vec<TargetResult>);

impl fmt::Display for Results {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{:<14} {:<16} {:<16} {:>7} {:>8}  error",
            "account", "region", "result", "changes", "seconds"
        )?;
        for r in &self.0 {
            writeln!(
                f,
                "{:<14} {:<16} {:<16} {:>7} {:>8.1}  {}",
                r.account,
                r.region,
                r.result.to_string(),
                r.changes,
                r.duration_seconds,
                r.error.as_deref().unwrap_or("")
            )?;
        }
        let failed = self
            .0
            .iter()
            .filter(|r| r.result == TargetOutcome::Failed)
            .count();
        let skipped = self
            .0
            .iter()
            .filter(|r| r.result == TargetOutcome::NotStarted)
            .count();
        writeln!(
            f,
            "{} target(s): {} succeeded, {failed} failed, {skipped} not started",
            self.0.len(),
            self.0.len() - failed - skipped
        )?;
        Ok(())
    }
}

impl Results {
    pub fn outcome(&self) -> Result<()> {
        let results = &self.0;
        let bad = results
            .iter()
            .filter(|r| matches!(r.result, TargetOutcome::Failed | TargetOutcome::NotStarted))
            .count();
        if bad == 0 {
            Ok(())
        } else {
            Err(Error::TargetsFailed {
                failed: bad,
                total: results.len(),
            })
        }
    }
}
