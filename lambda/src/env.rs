//! Settings the function reads from its environment, once at cold start.

use chrono_tz::Tz;

use crate::error::HandlerError;
use crate::event::{EventDefaults, ServiceTarget};

/// Zone for events that name none (`WORKTIME_TIMEZONE`, IANA name).
pub const TIMEZONE_VAR: &str = "WORKTIME_TIMEZONE";
/// Services for events that list none, such as a bare scheduled event (`WORKTIME_SERVICES`,
/// a JSON array of `{"resource_id": ..., "min": ..., "max": ...}`).
pub const SERVICES_VAR: &str = "WORKTIME_SERVICES";

/// Reads the event defaults from an environment lookup (a function, so tests pass a map).
pub fn defaults_from(
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<EventDefaults, HandlerError> {
    let timezone = match lookup(TIMEZONE_VAR) {
        None => None,
        Some(name) => Some(name.parse::<Tz>().map_err(|_| HandlerError::Environment {
            name: TIMEZONE_VAR,
            reason: format!("{name:?} is not an IANA time zone name (e.g. \"Asia/Seoul\")"),
        })?),
    };
    let services = match lookup(SERVICES_VAR) {
        None => None,
        Some(json) => Some(
            serde_json::from_str::<Vec<ServiceTarget>>(&json).map_err(|e| {
                HandlerError::Environment {
                    name: SERVICES_VAR,
                    reason: format!("not a JSON array of services: {e}"),
                }
            })?,
        ),
    };
    Ok(EventDefaults { services, timezone })
}
