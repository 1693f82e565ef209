//! The scaling function's event for a stack's configuration: the payload its triggers
//! carry, validated by the function's own code (used by `run` and `status`).

use chrono::{DateTime, Utc};
use worktime_lambda::{Action, EventDefaults, ScalingEvent, ServiceTarget};

use crate::config::StackConfig;
use crate::error::{Error, Result};

/// The event a trigger would carry for `action` at `now`, marked dry-run on request; the
/// config's services are the allow-list, as the deployed function's environment says.
pub fn event_for(
    config: &StackConfig,
    action: Action,
    dry_run: bool,
    now: DateTime<Utc>,
) -> Result<ScalingEvent> {
    let mut raw = config.scaling_event(action);
    raw.dry_run = Some(dry_run);
    let allowed = EventDefaults::allowing(
        config
            .services
            .iter()
            .map(|s| ServiceTarget::new(&s.cluster, &s.service, None).resource_id),
    );
    ScalingEvent::from_raw(raw, &allowed, now)
        .map_err(|e| Error::Usage(format!("{}: {e}", config.path.display())))
}
