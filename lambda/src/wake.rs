//! Wake on request (issue 18): which services a request wakes, and how their routes are
//! rewritten at night and put back (`wake/route.rs`).

pub mod apply;
pub mod record;
pub mod request;
pub mod route;
pub mod visit;

use serde::{Deserialize, Serialize};

use crate::ecs::Capacity;

/// The environment variable naming the woken services: JSON, a list of [`WakeTarget`].
pub const WAKE_VAR: &str = "WORKTIME_WAKE";

/// One woken service, as the stack tells the function: its wake target group and the rules
/// and listener default actions (found at deploy) that forward to the service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WakeTarget {
    /// `cluster/service`.
    #[serde(rename = "s")]
    pub service: String,
    /// The wake target group's name: the ALB's event names the group by ARN
    /// (`targetgroup/<name>/<id>`), which the stack cannot put in the function's own
    /// environment (the group's registration needs the function first).
    #[serde(rename = "g")]
    pub group: String,
    /// How long a wake holds the service up.
    #[serde(rename = "m")]
    pub idle_minutes: u32,
    /// Its declared working-hours bounds (`None`: what its scale-in remembered), as the
    /// schedule's scale-out gives them: a wake is that scale-out.
    #[serde(rename = "c", default, skip_serializing_if = "Option::is_none")]
    pub capacity: Option<Capacity>,
    /// Rule ARNs (`ModifyRule`).
    #[serde(rename = "r", default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<String>,
    /// Listener ARNs whose default action forwards to the service (`ModifyListener`).
    #[serde(rename = "l", default, skip_serializing_if = "Vec::is_empty")]
    pub listeners: Vec<String>,
}

/// The woken services from `WORKTIME_WAKE` (absent: none).
pub fn targets_from(value: Option<&str>) -> Result<Vec<WakeTarget>, String> {
    match value {
        None => Ok(Vec::new()),
        Some(json) => serde_json::from_str(json)
            .map_err(|e| format!("{WAKE_VAR} is not a JSON list of woken services: {e}")),
    }
}

/// The target group's name in its ARN (`arn:...:targetgroup/<name>/<id>`).
pub fn group_name(arn: &str) -> Option<&str> {
    let (_, rest) = arn.split_once(":targetgroup/")?;
    let (name, _) = rest.split_once('/')?;
    (!name.is_empty()).then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_target_group_name_is_read_from_its_arn() {
        assert_eq!(
            group_name("arn:aws:elasticloadbalancing:ap-northeast-2:123456789012:targetgroup/wt-wake-0/73e2d6bc24d8a067"),
            Some("wt-wake-0")
        );
        assert_eq!(group_name("arn:aws:lambda:r:1:function:f"), None);
        assert_eq!(
            group_name("arn:aws:elasticloadbalancing:r:1:targetgroup//x"),
            None
        );
    }

    #[test]
    fn the_environment_form_is_compact_and_reads_back() {
        let target = WakeTarget {
            service: "prod/web".into(),
            group: "wt-wake-0".into(),
            idle_minutes: 60,
            capacity: None,
            rules: vec!["rule/1".into()],
            listeners: Vec::new(),
        };
        let json = serde_json::to_string(&[&target]).unwrap();
        assert_eq!(
            json,
            r#"[{"s":"prod/web","g":"wt-wake-0","m":60,"r":["rule/1"]}]"#
        );
        let back: Vec<WakeTarget> = serde_json::from_str(&json).unwrap();
        assert_eq!(back, vec![target]);
    }
}
