//! What one invocation did: per service an [`Outcome`] with its state before and after, and
//! a [`Summary`]; the function's response and the CLI's `run` output.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::ecs::Capacity;
use crate::event::Action;
use crate::memory::Remembered;
use crate::resolve::SelectorOutcome;
use crate::waves::Stage;

/// What happened to one service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    Changed,
    /// Dry run: would have changed.
    WouldChange,
    Unchanged,
    /// Deliberately left alone (skip date, `worktime:exclude`).
    Skipped,
    /// Scale-in left it as it is: a `worktime:hold-until` hold lies in the future. Not a
    /// failure.
    Held,
    /// The delivery came after its window (the schedule's next opposite action had come):
    /// nothing was read or changed. Not a failure.
    Stale,
    /// A reconcile took back what should not be running now (night drift).
    Drift,
    /// Up, but running fewer tasks than desired longer than `ready_within_minutes` after it
    /// was changed (or still scaled in since before the up window): a failure.
    NotReady,
    /// Down, but still running tasks longer than `ready_within_minutes` after: a failure.
    NotStopped,
    Failed,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Changed => "changed",
            Outcome::WouldChange => "would-change",
            Outcome::Unchanged => "unchanged",
            Outcome::Skipped => "skipped",
            Outcome::Held => "held",
            Outcome::Stale => "stale",
            Outcome::Drift => "drift",
            Outcome::NotReady => "not-ready",
            Outcome::NotStopped => "not-stopped",
            Outcome::Failed => "failed",
        }
    }
}

impl Outcome {
    /// Fails the invocation: the service could not be changed, or is not running what it
    /// should.
    pub fn is_failure(self) -> bool {
        matches!(
            self,
            Outcome::Failed | Outcome::NotReady | Outcome::NotStopped
        )
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One service's line in the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServiceOutcome {
    pub resource_id: String,
    /// The action taken for this service (a toggle resolves to in or out per service).
    pub action: Action,
    pub outcome: Outcome,
    /// The scalable target's bounds before; `None`: no scalable target (or not read).
    pub before: Option<Capacity>,
    /// The bounds after (planned, on a dry run); `None`: no scalable target.
    pub after: Option<Capacity>,
    /// The ECS service's desired count before; `None`: not read.
    pub desired_before: Option<i32>,
    /// The desired count after (planned, on a dry run).
    pub desired_after: Option<i32>,
    /// What scale-in wrote to the `worktime:capacity` tag.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remembered: Option<Remembered>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// How many services ended in each outcome.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub changed: usize,
    pub would_change: usize,
    pub unchanged: usize,
    pub skipped: usize,
    pub held: usize,
    pub stale: usize,
    pub drift: usize,
    pub not_ready: usize,
    pub not_stopped: usize,
    pub failed: usize,
}

impl Summary {
    pub fn of(services: &[ServiceOutcome]) -> Self {
        let mut summary = Summary::default();
        for service in services {
            *match service.outcome {
                Outcome::Changed => &mut summary.changed,
                Outcome::WouldChange => &mut summary.would_change,
                Outcome::Unchanged => &mut summary.unchanged,
                Outcome::Skipped => &mut summary.skipped,
                Outcome::Held => &mut summary.held,
                Outcome::Stale => &mut summary.stale,
                Outcome::Drift => &mut summary.drift,
                Outcome::NotReady => &mut summary.not_ready,
                Outcome::NotStopped => &mut summary.not_stopped,
                Outcome::Failed => &mut summary.failed,
            } += 1;
        }
        summary
    }
}

/// The result of one invocation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    pub action: Action,
    pub dry_run: bool,
    /// The event's scheduled time, when it named one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scheduled_time: Option<DateTime<Utc>>,
    /// The named schedule whose trigger sent the event (absent: the default schedule).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schedule: Option<String>,
    pub summary: Summary,
    pub services: Vec<ServiceOutcome>,
    /// What each tag selector resolved to (absent: the event had none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub selectors: Vec<SelectorOutcome>,
    /// The wave this run converged, when it was one step of a run in waves (-1: the
    /// capacity); absent: every service at once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wave: Option<Stage>,
}

impl Report {
    /// The services that failed, or that are not running what they should (`not-ready`,
    /// `not-stopped`): each fails the invocation.
    pub fn failed(&self) -> impl Iterator<Item = &ServiceOutcome> {
        self.services.iter().filter(|s| s.outcome.is_failure())
    }

    /// A service failed or is not ready, or a selector could not be resolved (its services
    /// may be missing).
    pub fn has_failures(&self) -> bool {
        self.failed().next().is_some() || self.failed_selectors().next().is_some()
    }

    pub fn failed_selectors(&self) -> impl Iterator<Item = &SelectorOutcome> {
        self.selectors.iter().filter(|s| s.error.is_some())
    }

    /// "N of M services failed: id (reason); ...".
    pub fn failure_message(&self) -> String {
        let list = self
            .failed()
            .map(|s| {
                format!(
                    "{} ({})",
                    s.resource_id,
                    s.reason.as_deref().unwrap_or("unknown")
                )
            })
            .collect::<Vec<_>>()
            .join("; ");
        let mut message = format!(
            "{} of {} services failed: {list}",
            self.failed().count(),
            self.services.len()
        );
        for selector in self.failed_selectors() {
            message.push_str(&format!(
                "; selector {} failed ({})",
                selector.selector,
                selector.error.as_deref().unwrap_or("unknown")
            ));
        }
        message
    }
}
