//! Each woken service's routes now (`worktime status`): its rules and listener default
//! actions, found as deploy finds them (`wake.rs`, `routes.rs`), and whether they are asleep
//! (forwarding to the service's wake target group, with the `worktime:wake-route` memory that
//! puts them back), awake until its hold ends (a visitor woke it at night), or as deployed;
//! and its last wake and how long a wake usually takes (the tags the function writes,
//! `lambda/src/wake/record.rs`). [`state`] is the pure decision; [`read`] reads.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::Serialize;
use worktime_lambda::describe_error;
use worktime_lambda::tags::{parse_hold_until, HOLD_UNTIL_TAG};
use worktime_lambda::wake::record::{median, parse_seconds, WAKE_SECONDS_TAG, WAKE_STARTED_TAG};
use worktime_lambda::wake::route::ROUTE_MEMORY_TAG;
use worktime_lambda::window::Phase;

use super::routes::{self, ServiceFacts};
use crate::aws::calls::{Call, Cmd::*, Narrow, On};
use crate::aws::Session;
use crate::config::StackConfig;

const ELB: &str = "Elastic Load Balancing v2";
const NO_RESOURCE: &str =
    "elasticloadbalancing:Describe* actions have no resource-level permissions; only with wake_on_request";

/// The calls this module makes (the permissions table, `policy::table`): the reads of
/// `wake.rs` (made here for `status`) and the rules' and listeners' tags.
pub const CALLS: &[Call] = &[
    Call::new(
        "ECS",
        "DescribeServices",
        "ecs:DescribeServices",
        &[Status],
        On::Services,
    )
    .narrow(Narrow::WakeServices),
    // DescribeServices is granted the same actions everywhere (`policy::table`'s test).
    Call::new(
        "ECS",
        "DescribeServices",
        "ecs:ListTagsForResource",
        &[Status],
        On::Services,
    )
    .narrow(Narrow::WakeServices),
    Call::new(
        ELB,
        "DescribeTargetGroups",
        "elasticloadbalancing:DescribeTargetGroups",
        &[Status],
        On::Any,
    )
    .narrow(Narrow::WakeServices)
    .note(NO_RESOURCE),
    Call::new(
        ELB,
        "DescribeLoadBalancers",
        "elasticloadbalancing:DescribeLoadBalancers",
        &[Status],
        On::Any,
    )
    .narrow(Narrow::WakeServices)
    .note(NO_RESOURCE),
    Call::new(
        ELB,
        "DescribeListeners",
        "elasticloadbalancing:DescribeListeners",
        &[Status],
        On::Any,
    )
    .narrow(Narrow::WakeServices)
    .note(NO_RESOURCE),
    Call::new(
        ELB,
        "DescribeRules",
        "elasticloadbalancing:DescribeRules",
        &[Status],
        On::Any,
    )
    .narrow(Narrow::WakeServices)
    .note(NO_RESOURCE),
    Call::new(
        ELB,
        "DescribeTags",
        "elasticloadbalancing:DescribeTags",
        &[Status],
        On::Any,
    )
    .narrow(Narrow::WakeServices)
    .note(NO_RESOURCE),
];

/// ELB's most resources per `DescribeTags` call.
const MAX_TAGGED: usize = 20;

/// A rule, or a listener's default action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RouteKind {
    Rule,
    ListenerDefault,
}

/// One route of a woken service, as read now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RouteStatus {
    pub kind: RouteKind,
    pub arn: String,
    /// The target groups its forward names (at night, the service's at weight 0 and the
    /// wake group).
    pub forwards_to: Vec<String>,
    /// Forwarding to the service's wake target group.
    pub asleep: bool,
    /// It carries the `worktime:wake-route` memory (what puts it back).
    pub remembered: bool,
}

/// Where a woken service's routes stand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum WakeState {
    /// Every route forwards to the wake target group: a request wakes the service.
    Asleep,
    /// Some routes asleep, others not: a move stopped part-way (the function's log says
    /// why); the next run or request finishes it.
    PartlyAsleep,
    /// Woken by a visitor at night: up, its routes back, until its hold ends.
    AwakeUntil { until: DateTime<Utc> },
    /// The routes as deployed (working hours, or no hold keeps it up).
    AsDeployed,
}

impl fmt::Display for WakeState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WakeState::Asleep => f.write_str("asleep"),
            WakeState::PartlyAsleep => f.write_str("partly asleep"),
            WakeState::AwakeUntil { until } => {
                write!(f, "awake until {}", until.format("%Y-%m-%d %H:%M UTC"))
            }
            WakeState::AsDeployed => f.write_str("as deployed"),
        }
    }
}

/// Where the routes stand, from the routes read, the service's hold and its schedule's
/// phase now (`night`: down).
pub fn state(
    routes: &[RouteStatus],
    hold_until: Option<DateTime<Utc>>,
    night: bool,
    now: DateTime<Utc>,
) -> WakeState {
    let asleep = routes.iter().filter(|r| r.asleep).count();
    match hold_until {
        _ if asleep > 0 && asleep == routes.len() => WakeState::Asleep,
        _ if asleep > 0 => WakeState::PartlyAsleep,
        Some(until) if night && until > now => WakeState::AwakeUntil { until },
        _ => WakeState::AsDeployed,
    }
}

/// One woken service now.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WakeStatus {
    pub resource_id: String,
    /// Its wake target group's name.
    pub wake_group: String,
    /// `None`: not read (see `error`).
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub state: Option<WakeState>,
    pub routes: Vec<RouteStatus>,
    /// When its last wake started (`worktime:wake-started`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_wake: Option<DateTime<Utc>>,
    /// The median of its last measured wakes (`worktime:wake-seconds`), and those.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usual_wake_seconds: Option<u64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub recent_wake_seconds: Vec<u64>,
    /// Why it could not be read (a hole in the report, as other status reads are).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl fmt::Display for WakeStatus {
    /// `  service/prod/web: asleep; last woken ..., usually 41 s`, then each route.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Some(state) = self.state else {
            return writeln!(
                f,
                "  {}: error: {}",
                self.resource_id,
                self.error.as_deref().unwrap_or("not read")
            );
        };
        let mut known = Vec::new();
        if let Some(at) = self.last_wake {
            known.push(format!("last woken {}", at.format("%Y-%m-%d %H:%M UTC")));
        }
        if let Some(s) = self.usual_wake_seconds {
            known.push(format!("a wake usually takes {s} s"));
        }
        let known = if known.is_empty() {
            String::new()
        } else {
            format!("; {}", known.join(", "))
        };
        writeln!(
            f,
            "  {}: {state} (wake group {}){known}",
            self.resource_id, self.wake_group
        )?;
        for route in &self.routes {
            let kind = match route.kind {
                RouteKind::Rule => "rule",
                RouteKind::ListenerDefault => "listener default",
            };
            let at = match (route.asleep, route.remembered) {
                (true, true) => "to the wake group (worktime:wake-route remembered)",
                (true, false) => {
                    "to the wake group, without its worktime:wake-route memory: put it back by hand"
                }
                (false, true) => "as deployed (a worktime:wake-route memory left on it)",
                (false, false) => "as deployed",
            };
            writeln!(f, "    {kind} {}: {at}", route.arn)?;
        }
        Ok(())
    }
}

/// What the service's tags say of its wakes.
struct Tags {
    hold_until: Option<DateTime<Utc>>,
    last_wake: Option<DateTime<Utc>>,
    seconds: Vec<u64>,
}

/// Reads each woken service's routes and wake tags.
pub async fn read(session: &Session, config: &StackConfig, now: DateTime<Utc>) -> Vec<WakeStatus> {
    let mut out = Vec::new();
    for (index, (spec, _)) in config.woken().enumerate() {
        let resource_id = format!("service/{}/{}", spec.cluster, spec.service);
        let wake_group = crate::template::wake::group_name(&config.stack.name, index);
        let mut status = WakeStatus {
            resource_id: resource_id.clone(),
            wake_group: wake_group.clone(),
            state: None,
            routes: Vec::new(),
            last_wake: None,
            usual_wake_seconds: None,
            recent_wake_seconds: Vec::new(),
            error: None,
        };
        match read_one(session, &spec.cluster, &spec.service, &wake_group).await {
            Ok((routes, tags)) => {
                // Its schedule's phase now, a hold not counted: is it the night?
                let phase = config
                    .schedule_named(spec.schedule.as_deref())
                    .clock()
                    .window_at(now)
                    .phase;
                status.state = Some(state(&routes, tags.hold_until, phase == Phase::Down, now));
                status.routes = routes;
                status.last_wake = tags.last_wake;
                status.usual_wake_seconds = median(&tags.seconds);
                status.recent_wake_seconds = tags.seconds;
            }
            Err(why) => status.error = Some(why),
        }
        out.push(status);
    }
    out
}

async fn read_one(
    session: &Session,
    cluster: &str,
    service: &str,
    wake_group: &str,
) -> Result<(Vec<RouteStatus>, Tags), String> {
    let ecs = crate::aws::clients::ecs(&session.sdk);
    let elb = crate::aws::clients::elbv2(&session.sdk);
    let described = ecs
        .describe_services()
        .cluster(cluster)
        .services(service)
        .include(aws_sdk_ecs::types::ServiceField::Tags)
        .send()
        .await
        .map_err(|e| format!("ecs:DescribeServices: {}", describe_error(&e)))?;
    let found = described
        .services()
        .iter()
        .find(|s| s.status() != Some("INACTIVE"));
    let facts = found.map(|s| ServiceFacts {
        deployment_controller: s
            .deployment_controller()
            .map(|c| c.r#type().as_str().to_string()),
        target_groups: s
            .load_balancers()
            .iter()
            .filter_map(|lb| lb.target_group_arn().map(str::to_string))
            .collect(),
    });
    let tag = |key: &str| {
        found
            .into_iter()
            .flat_map(|s| s.tags())
            .find(|t| t.key() == Some(key))
            .and_then(|t| t.value())
    };
    let tags = Tags {
        hold_until: tag(HOLD_UNTIL_TAG).and_then(|v| parse_hold_until(v).ok()),
        last_wake: tag(WAKE_STARTED_TAG).and_then(|v| parse_hold_until(v).ok()),
        seconds: tag(WAKE_SECONDS_TAG)
            .and_then(|v| parse_seconds(v).ok())
            .unwrap_or_default(),
    };
    let (groups, balancers) = match &facts {
        Some(f) if !f.target_groups.is_empty() => super::read_balancers(&elb, &f.target_groups)
            .await
            .map_err(|e| e.to_string())?,
        _ => (Vec::new(), Vec::new()),
    };
    let found = routes::routes(facts.as_ref(), &groups, &balancers).map_err(|refusal| {
        let (problem, fix) = refusal.explain();
        format!("its routes cannot be found: {problem}; fix: {fix}")
    })?;
    let listeners = balancers.iter().flat_map(|b| &b.listeners);
    let mut routes: Vec<RouteStatus> = Vec::new();
    for listener in listeners {
        if found.listeners.contains(&listener.arn) {
            routes.push(route(
                RouteKind::ListenerDefault,
                &listener.arn,
                &listener.default_forwards,
                wake_group,
            ));
        }
        for rule in listener
            .rules
            .iter()
            .filter(|r| found.rules.contains(&r.arn))
        {
            routes.push(route(
                RouteKind::Rule,
                &rule.arn,
                &rule.forwards,
                wake_group,
            ));
        }
    }
    let arns: Vec<String> = routes.iter().map(|r| r.arn.clone()).collect();
    for chunk in arns.chunks(MAX_TAGGED) {
        let tagged = elb
            .describe_tags()
            .set_resource_arns(Some(chunk.to_vec()))
            .send()
            .await
            .map_err(|e| format!("elasticloadbalancing:DescribeTags: {}", describe_error(&e)))?;
        for description in tagged.tag_descriptions() {
            let remembered = description
                .tags()
                .iter()
                .any(|t| t.key() == Some(ROUTE_MEMORY_TAG));
            if let Some(r) = routes
                .iter_mut()
                .find(|r| Some(r.arn.as_str()) == description.resource_arn())
            {
                r.remembered = remembered;
            }
        }
    }
    Ok((routes, tags))
}

fn route(kind: RouteKind, arn: &str, forwards: &[String], wake_group: &str) -> RouteStatus {
    RouteStatus {
        kind,
        arn: arn.to_string(),
        forwards_to: forwards.to_vec(),
        asleep: forwards
            .iter()
            .any(|g| worktime_lambda::wake::group_name(g) == Some(wake_group)),
        remembered: false,
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    const WAKE: &str = "arn:aws:elasticloadbalancing:r:1:targetgroup/wt-wake-0/2";
    const SERVED: &str = "arn:aws:elasticloadbalancing:r:1:targetgroup/served/1";

    fn routes(asleep: &[bool]) -> Vec<RouteStatus> {
        asleep
            .iter()
            .enumerate()
            .map(|(i, a)| {
                let forwards: Vec<String> = if *a {
                    vec![SERVED.into(), WAKE.into()]
                } else {
                    vec![SERVED.into()]
                };
                route(
                    RouteKind::Rule,
                    &format!("rule/{i}"),
                    &forwards,
                    "wt-wake-0",
                )
            })
            .collect()
    }

    #[test]
    fn a_route_forwarding_to_the_services_own_wake_group_is_asleep() {
        assert!(routes(&[true])[0].asleep);
        assert!(!routes(&[false])[0].asleep);
        // Another stack's (or another service's) wake group is not this one's.
        let other = route(
            RouteKind::Rule,
            "rule/1",
            &[WAKE.replace("wt-wake-0", "wt-wake-1")],
            "wt-wake-0",
        );
        assert!(!other.asleep);
    }

    #[test]
    fn asleep_awake_until_the_hold_or_as_deployed() {
        let now = Utc.with_ymd_and_hms(2026, 12, 3, 22, 0, 0).unwrap();
        let later = Utc.with_ymd_and_hms(2026, 12, 3, 23, 0, 0).unwrap();
        let earlier = Utc.with_ymd_and_hms(2026, 12, 3, 21, 0, 0).unwrap();
        assert_eq!(
            state(&routes(&[true, true]), None, true, now),
            WakeState::Asleep
        );
        // Asleep whatever the hold says: a request wakes it.
        assert_eq!(
            state(&routes(&[true]), Some(later), true, now),
            WakeState::Asleep
        );
        assert_eq!(
            state(&routes(&[true, false]), None, true, now),
            WakeState::PartlyAsleep
        );
        assert_eq!(
            state(&routes(&[false]), Some(later), true, now),
            WakeState::AwakeUntil { until: later }
        );
        // A hold that has ended, or working hours: as deployed.
        assert_eq!(
            state(&routes(&[false]), Some(earlier), true, now),
            WakeState::AsDeployed
        );
        assert_eq!(
            state(&routes(&[false]), Some(later), false, now),
            WakeState::AsDeployed
        );
        assert_eq!(
            serde_json::to_value(WakeState::AwakeUntil { until: later }).unwrap(),
            serde_json::json!({"state": "awake-until", "until": "2026-12-03T23:00:00Z"})
        );
        assert_eq!(
            WakeState::AwakeUntil { until: later }.to_string(),
            "awake until 2026-12-03 23:00 UTC"
        );
    }

    #[test]
    fn the_text_says_the_state_each_route_and_what_is_known_of_the_wakes() {
        let until = Utc.with_ymd_and_hms(2026, 12, 3, 23, 0, 0).unwrap();
        let mut status = WakeStatus {
            resource_id: "service/prod/app".into(),
            wake_group: "wt-wake-0".into(),
            state: Some(WakeState::Asleep),
            routes: routes(&[true]),
            last_wake: Some(until),
            usual_wake_seconds: Some(41),
            recent_wake_seconds: vec![41],
            error: None,
        };
        status.routes[0].remembered = true;
        assert_eq!(
            status.to_string(),
            "  service/prod/app: asleep (wake group wt-wake-0); last woken 2026-12-03 23:00 UTC, \
             a wake usually takes 41 s\n    rule rule/0: to the wake group (worktime:wake-route remembered)\n"
        );
        status.routes[0].remembered = false;
        assert!(status.to_string().contains("put it back by hand"));
        status.state = None;
        status.error = Some("ecs:DescribeServices: AccessDenied".into());
        assert_eq!(
            status.to_string(),
            "  service/prod/app: error: ecs:DescribeServices: AccessDenied\n"
        );
    }
}
