//! The ECS vocabulary the event, the selectors and the CLI share: a scalable target's bounds,
//! service names and Application Auto Scaling resource ids. Depends on nothing else of the
//! crate, so that `event` and `selector` need not import each other.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A scalable target's min/max task count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Capacity {
    pub min: i32,
    pub max: i32,
}

impl Capacity {
    pub const ZERO: Capacity = Capacity { min: 0, max: 0 };

    /// Checks the bounds AWS enforces (and moto does not): both non-negative, min ≤ max.
    pub fn new(min: i32, max: i32) -> Result<Self, String> {
        if min < 0 || max < 0 {
            return Err(format!(
                "capacity {min}/{max} is negative: min and max must be 0 or more"
            ));
        }
        if min > max {
            return Err(format!(
                "min {min} is greater than max {max}: set min ≤ max"
            ));
        }
        Ok(Capacity { min, max })
    }

    pub fn is_zero(self) -> bool {
        self.min == 0 && self.max == 0
    }

    /// Whether a desired count lies within these bounds.
    pub fn contains(self, desired: i32) -> bool {
        (self.min..=self.max).contains(&desired)
    }

    /// A desired count moved into these bounds, as Application Auto Scaling does.
    pub fn clamp(self, desired: i32) -> i32 {
        desired.clamp(self.min, self.max)
    }
}

impl fmt::Display for Capacity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.min, self.max)
    }
}

/// The Application Auto Scaling resource id of an ECS service.
pub fn resource_id(cluster: &str, service: &str) -> String {
    format!("service/{cluster}/{service}")
}

/// ECS cluster and service names: letters, digits, hyphens and underscores, 1–255 characters.
pub fn is_valid_ecs_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 255
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Splits `service/<cluster>/<service>` into valid cluster and service names.
pub(crate) fn split_resource_id(id: &str) -> Option<(&str, &str)> {
    let mut parts = id.split('/');
    let (Some("service"), Some(cluster), Some(service), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    (is_valid_ecs_name(cluster) && is_valid_ecs_name(service)).then_some((cluster, service))
}
