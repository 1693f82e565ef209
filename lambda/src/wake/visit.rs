//! A visitor's request to a sleeping service's wake target group (issue 18): the first one
//! wakes the service (a hold of `idle_minutes`, then the scale-out the morning would do), the
//! ones after it wait for it, and the first one that finds it up and healthy puts the
//! service's rules back and sends the visitor there.
//!
//! Level-triggered: each request reads where the service stands and converges on it, so a
//! repeated request while the service starts writes nothing, and a request that finds the
//! rules already back only redirects. [`decide`] is the pure part; [`handle`] reads and writes.

use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Value};

use super::apply::{move_routes, Direction};
use super::record::{
    measured, recorded, started_value, usual_seconds, WAKE_SECONDS_TAG, WAKE_STARTED_TAG,
};
use super::request::{AlbRequest, Answer};
use super::{group_name, WakeTarget};
use crate::clients::{describe_error, Clients};
use crate::event::{EventDefaults, ScalingEvent};
use crate::publish::{publish_wake, WakeDetail};
use crate::run::{run_observed, select_and_observe};
use crate::tags::{hold_until_value, HOLD_UNTIL_TAG};

/// Where the woken service stands, as one request reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    /// Down for the night (bounds 0/0, or no target and no task desired).
    pub at_zero: bool,
    /// The ECS service's desired and running task counts.
    pub desired: i32,
    pub running: i32,
    /// The fewest healthy targets any of the service's own target groups reports (`None`:
    /// not read, the service is not running its tasks yet).
    pub healthy: Option<usize>,
}

/// What one request does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Not a visitor (a health check, a bot): nothing is read further or written.
    Ignore,
    /// Down: hold it up for `idle_minutes` and scale it out.
    Wake,
    /// Starting: nothing to write, the visitor waits.
    Wait,
    /// Up and healthy: put the rules back and send the visitor there.
    Restore,
}

/// The step for a request from a visitor that may (`wakes`) or may not wake the service.
pub fn decide(wakes: bool, standing: &Standing) -> Step {
    if !wakes {
        return Step::Ignore;
    }
    if standing.at_zero {
        return Step::Wake;
    }
    let tasks_up = standing.desired > 0 && standing.running >= standing.desired;
    match standing.healthy {
        Some(healthy) if tasks_up && healthy >= standing.desired as usize => Step::Restore,
        _ => Step::Wait,
    }
}

/// The scale-out event of one woken service: its declared capacity (else what its scale-in
/// remembered), now, whatever the date: a visitor asked for it.
pub fn wake_event(target: &WakeTarget) -> Value {
    let (cluster, service) = target.service.split_once('/').unwrap_or_default();
    let mut entry = json!({ "resource_id": format!("service/{cluster}/{service}") });
    if let Some(capacity) = target.capacity {
        entry["min"] = json!(capacity.min);
        entry["max"] = json!(capacity.max);
    }
    json!({ "action": "scale-out", "services": [entry] })
}

/// The function's allow-list for `target`'s wake: the stack deployed a wake target group
/// for it, so its wake may scale it out even when a tag selector, not an entry, names it
/// (an event of that one service: no selector's ownership is in play).
fn wake_defaults(defaults: &EventDefaults, target: &WakeTarget) -> EventDefaults {
    let mut defaults = defaults.clone();
    defaults
        .allowed
        .insert(format!("service/{}", target.service));
    defaults
}

/// The woken service whose wake target group `arn` is.
pub fn target_of<'a>(targets: &'a [WakeTarget], arn: &str) -> Option<&'a WakeTarget> {
    let name = group_name(arn)?;
    targets.iter().find(|t| t.group == name)
}

/// Why a request could not be served (the visitor gets 503 + `Retry-After`; the reason is
/// logged).
fn failed(service: &str, reason: String) -> Answer {
    tracing::warn!(service = %service, reason = %reason, "wake failed");
    Answer::Starting {
        service: service.to_string(),
        usual_seconds: None,
    }
}

/// One wake, as the function logs it: a JSON line (`"message": "wake"`) that `worktime
/// status` shows among the recent activity and `worktime report` counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WakeRecord<'a> {
    /// A visitor woke the service, held up until `until`.
    Started { service: &'a str, until: String },
    /// It is up and its rules are back, `seconds` after its start (`None`: not measured,
    /// with why).
    Up {
        service: &'a str,
        seconds: Option<u64>,
        unmeasured: Option<String>,
    },
}

fn log_wake(record: &WakeRecord<'_>) {
    match record {
        WakeRecord::Started { service, until } => {
            tracing::info!(service = %service, phase = "started", until = %until, "wake")
        }
        WakeRecord::Up {
            service,
            seconds: Some(seconds),
            ..
        } => tracing::info!(service = %service, phase = "up", seconds = *seconds, "wake"),
        WakeRecord::Up {
            service,
            unmeasured,
            ..
        } => tracing::info!(
            service = %service,
            phase = "up",
            unmeasured = unmeasured.as_deref().unwrap_or(""),
            "wake"
        ),
    }
}

/// A finished wake: its duration measured from the recorded start, kept on the service
/// (`worktime:wake-seconds`) and logged. Never fails the visitor's answer: a record that
/// cannot be made or written is logged.
async fn record_wake(
    clients: &Clients,
    target: &WakeTarget,
    seen: &crate::Observed,
    now: DateTime<Utc>,
) {
    let service = target.service.as_str();
    let seconds = match measured(seen.wake_started.as_deref(), now, target.idle_minutes) {
        Ok(seconds) => seconds,
        Err(why) => {
            log_wake(&WakeRecord::Up {
                service,
                seconds: None,
                unmeasured: Some(why.to_string()),
            });
            return;
        }
    };
    log_wake(&WakeRecord::Up {
        service,
        seconds: Some(seconds),
        unmeasured: None,
    });
    let Some(arn) = seen.service_arn.as_deref() else {
        return;
    };
    let value = recorded(seen.wake_seconds.as_deref(), seconds);
    if let Err(e) = clients
        .ecs
        .tag_resource()
        .resource_arn(arn)
        .tags(
            aws_sdk_ecs::types::Tag::builder()
                .key(WAKE_SECONDS_TAG)
                .value(value)
                .build(),
        )
        .send()
        .await
    {
        tracing::warn!(
            service = %service,
            reason = %format!("ecs:TagResource {WAKE_SECONDS_TAG} on {arn}: {}", describe_error(&e)),
            "wake record"
        );
    }
}

/// The fewest healthy targets among the service's own target groups (ECS
/// `DescribeServices`' `loadBalancers`, then ELB `DescribeTargetHealth` on each).
async fn fewest_healthy(
    clients: &Clients,
    elb: &aws_sdk_elasticloadbalancingv2::Client,
    cluster: &str,
    service: &str,
) -> Result<usize, String> {
    let out = clients
        .ecs
        .describe_services()
        .cluster(cluster)
        .services(service)
        .send()
        .await
        .map_err(|e| {
            format!(
                "ecs:DescribeServices {cluster}/{service}: {}",
                describe_error(&e)
            )
        })?;
    let groups: Vec<String> = out
        .services()
        .iter()
        .flat_map(|s| s.load_balancers())
        .filter_map(|lb| lb.target_group_arn().map(str::to_string))
        .collect();
    if groups.is_empty() {
        return Err(format!(
            "{cluster}/{service} has no target group of its own to be healthy in"
        ));
    }
    let mut fewest = usize::MAX;
    for group in groups {
        let health = elb
            .describe_target_health()
            .target_group_arn(&group)
            .send()
            .await
            .map_err(|e| {
                format!(
                    "elasticloadbalancing:DescribeTargetHealth {group}: {}",
                    describe_error(&e)
                )
            })?;
        let healthy = health
            .target_health_descriptions()
            .iter()
            .filter(|d| {
                d.target_health().and_then(|h| h.state())
                    == Some(&aws_sdk_elasticloadbalancingv2::types::TargetHealthStateEnum::Healthy)
            })
            .count();
        fewest = fewest.min(healthy);
    }
    Ok(fewest)
}

/// Serves one request to a wake target group at `now`: reads the service, converges it on
/// the request (see [`decide`]) and says what to answer.
pub async fn handle(
    clients: &Clients,
    elb: &aws_sdk_elasticloadbalancingv2::Client,
    defaults: &EventDefaults,
    targets: &[WakeTarget],
    request: &AlbRequest,
    now: DateTime<Utc>,
) -> Answer {
    let Some(target) = target_of(targets, &request.target_group_arn) else {
        tracing::warn!(group = %request.target_group_arn, "a request to a target group that wakes no service");
        return Answer::Asleep;
    };
    if !request.wakes() {
        return Answer::Asleep;
    }
    let service = target.service.as_str();
    let event =
        match ScalingEvent::from_json(wake_event(target), &wake_defaults(defaults, target), now) {
            Ok(event) => event,
            Err(e) => return failed(service, e.to_string()),
        };
    let selected = select_and_observe(clients, &event).await;
    let id = format!("service/{service}");
    let Some(seen) = selected.observed.get(&id) else {
        return failed(service, format!("{id} was not read"));
    };
    if let Some(reason) = &seen.lookup_error {
        return failed(service, reason.clone());
    }
    let (desired, running) = (
        seen.desired_count.unwrap_or(0),
        seen.running_count.unwrap_or(0),
    );
    let (cluster, name) = service.split_once('/').unwrap_or_default();
    let healthy = if !seen.is_at_zero() && desired > 0 && running >= desired {
        match fewest_healthy(clients, elb, cluster, name).await {
            Ok(n) => Some(n),
            Err(reason) => return failed(service, reason),
        }
    } else {
        None
    };
    let standing = Standing {
        at_zero: seen.is_at_zero(),
        desired,
        running,
        healthy,
    };
    let starting = Answer::Starting {
        service: service.to_string(),
        usual_seconds: usual_seconds(seen.wake_seconds.as_deref()),
    };
    match decide(true, &standing) {
        Step::Ignore => Answer::Asleep,
        Step::Wait => starting,
        Step::Restore => match move_routes(elb, target, Direction::Back).await {
            // This request put the rules back: the wake is over, measured once (a request
            // that finds them back already only redirects).
            Ok(true) => {
                record_wake(clients, target, seen, now).await;
                Answer::Ready
            }
            Ok(false) => Answer::Ready,
            Err(reason) => failed(service, reason),
        },
        Step::Wake => {
            // The hold first: a reconcile that runs while the service starts leaves it up.
            let until = now + Duration::minutes(i64::from(target.idle_minutes));
            let Some(arn) = seen.service_arn.as_deref() else {
                return failed(service, format!("{id} has no ARN to tag"));
            };
            // The wake's start with it, in the same write: the request that finds the service
            // up measures the wake from it (`record.rs`).
            let tag = |key: &str, value: String| {
                aws_sdk_ecs::types::Tag::builder()
                    .key(key)
                    .value(value)
                    .build()
            };
            if let Err(e) = clients
                .ecs
                .tag_resource()
                .resource_arn(arn)
                .tags(tag(HOLD_UNTIL_TAG, hold_until_value(until)))
                .tags(tag(WAKE_STARTED_TAG, started_value(now)))
                .send()
                .await
            {
                return failed(
                    service,
                    format!(
                        "ecs:TagResource {HOLD_UNTIL_TAG} on {arn}: {}",
                        describe_error(&e)
                    ),
                );
            }
            let report = run_observed(clients, &selected.event, &selected.observed, now).await;
            if report.has_failures() {
                return failed(service, report.failure_message());
            }
            // The wake is a run: its event, as a trigger's run has one, says it was a wake.
            let wake = WakeDetail {
                service: service.to_string(),
                until: hold_until_value(until),
            };
            publish_wake(clients, defaults.stack.as_deref(), &report, &wake).await;
            log_wake(&WakeRecord::Started {
                service,
                until: hold_until_value(until),
            });
            starting
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ecs::Capacity;

    fn standing(at_zero: bool, desired: i32, running: i32, healthy: Option<usize>) -> Standing {
        Standing {
            at_zero,
            desired,
            running,
            healthy,
        }
    }

    #[test]
    fn a_visitor_wakes_a_sleeping_service_then_waits_then_is_sent_back() {
        assert_eq!(decide(true, &standing(true, 0, 0, None)), Step::Wake);
        // Scaled out: tasks starting, then running but not yet healthy.
        assert_eq!(decide(true, &standing(false, 2, 0, None)), Step::Wait);
        assert_eq!(decide(true, &standing(false, 2, 2, Some(1))), Step::Wait);
        assert_eq!(decide(true, &standing(false, 2, 2, Some(2))), Step::Restore);
        // Bounds up but no task desired yet (Application Auto Scaling has not acted).
        assert_eq!(decide(true, &standing(false, 0, 0, Some(0))), Step::Wait);
    }

    #[test]
    fn a_health_check_or_a_bot_changes_nothing() {
        for s in [standing(true, 0, 0, None), standing(false, 2, 2, Some(2))] {
            assert_eq!(decide(false, &s), Step::Ignore);
        }
    }

    #[test]
    fn the_wake_is_the_scale_out_of_the_one_service_with_its_declared_capacity() {
        let mut target = WakeTarget {
            service: "prod/web".into(),
            group: "wt-wake-0".into(),
            idle_minutes: 60,
            capacity: Some(Capacity { min: 1, max: 4 }),
            rules: Vec::new(),
            listeners: Vec::new(),
        };
        assert_eq!(
            wake_event(&target),
            json!({"action": "scale-out", "services": [
                {"resource_id": "service/prod/web", "min": 1, "max": 4}]})
        );
        target.capacity = None;
        assert_eq!(
            wake_event(&target),
            json!({"action": "scale-out", "services": [{"resource_id": "service/prod/web"}]})
        );
    }

    #[test]
    fn a_service_a_selector_selected_is_woken_by_its_wake_target_alone() {
        let target = WakeTarget {
            service: "prod/tagged".into(),
            group: "wt-wake-1".into(),
            idle_minutes: 60,
            capacity: None,
            rules: Vec::new(),
            listeners: Vec::new(),
        };
        // The allow-list names the stack's entries; a selector's services are not on it.
        let defaults = EventDefaults::allowing(["service/prod/web"]);
        let now = chrono::Utc::now();
        let plain = ScalingEvent::from_json(wake_event(&target), &defaults, now).unwrap();
        assert!(plain.services[0].refused.is_some());
        let woken =
            ScalingEvent::from_json(wake_event(&target), &wake_defaults(&defaults, &target), now)
                .unwrap();
        assert_eq!(woken.services[0].refused, None);
        assert_eq!(woken.services[0].resource_id, "service/prod/tagged");
        // Only that service: another one is still refused.
        let other = WakeTarget {
            service: "prod/other".into(),
            ..target.clone()
        };
        let refused =
            ScalingEvent::from_json(wake_event(&other), &wake_defaults(&defaults, &target), now)
                .unwrap();
        assert!(refused.services[0].refused.is_some());
    }

    #[test]
    fn the_service_is_found_by_its_wake_group_in_the_event() {
        let targets = [WakeTarget {
            service: "prod/web".into(),
            group: "wt-wake-0".into(),
            idle_minutes: 60,
            capacity: None,
            rules: Vec::new(),
            listeners: Vec::new(),
        }];
        let arn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/wt-wake-0/73e2d6bc24d8a067";
        assert_eq!(
            target_of(&targets, arn).map(|t| t.service.as_str()),
            Some("prod/web")
        );
        assert!(target_of(&targets, &arn.replace("wake-0", "wake-1")).is_none());
    }
}
