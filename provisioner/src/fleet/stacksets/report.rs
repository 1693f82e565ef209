//! Result rows of the stack set engine: one `stack-set` row, one per instance.

use std::time::Duration;

use serde::Serialize;
use serde_json::Value;

use super::plan::Wanted;
use super::STACK_SET_ROW;
use crate::fleet::results::{TargetOutcome, TargetResult};

pub(super) fn row(account: &str, region: &str, result: TargetOutcome) -> TargetResult {
    TargetResult {
        account: account.to_string(),
        region: region.to_string(),
        result,
        changes: 0,
        duration_seconds: 0.0,
        error: None,
        detail: None,
    }
}

/// A row's detail as JSON (`TargetResult::detail`): a typed detail of the stack set engine.
pub(super) fn detail(detail: &impl Serialize) -> Option<Value> {
    serde_json::to_value(detail).ok()
}

pub(super) fn seconds(d: Duration) -> f64 {
    (d.as_secs_f64() * 10.0).round() / 10.0
}

/// Rows when nothing could be done for the instances: the stack set row failed with
/// `reason`, every instance not started.
pub(super) fn abandoned(home: &str, wanted: &[Wanted], reason: String) -> Vec<TargetResult> {
    let mut set_row = row(STACK_SET_ROW, home, TargetOutcome::Failed);
    set_row.error = Some(reason);
    let mut rows = vec![set_row];
    for w in wanted {
        let mut r = row(&w.account, &w.region, TargetOutcome::NotStarted);
        r.error = Some("not started: see the stack-set row".into());
        rows.push(r);
    }
    rows
}
