//! `wake_on_request` checked against the account before anything is created: each woken
//! service is read from ECS (its target groups and deployment controller) and its target
//! groups' load balancers, listeners and rules from Elastic Load Balancing; a service that
//! cannot be woken by a request is refused (exit 2, `services[N].wake_on_request`, nothing
//! changed). What is found (the rules and default actions that forward to the service) is
//! what the stack lets the function rewrite. The decisions are in `wake/routes.rs`.

pub mod records;
pub mod restore;
pub mod routes;
pub mod status;

use std::collections::BTreeSet;

use aws_sdk_elasticloadbalancingv2::types::Action;
use chrono::{DateTime, Utc};
use worktime_lambda::{Action as RunAction, ServiceRequest};

use crate::aws::calls::{made_by, Call, Narrow, On};
use crate::aws::Session;
use crate::config::{ConfigError, ServiceSpec, StackConfig};
use crate::error::{Error, Result};
use routes::{BalancerFacts, ListenerFacts, RuleFacts, ServiceFacts};

const ELB: &str = "Elastic Load Balancing v2";
const NO_RESOURCE: &str =
    "elasticloadbalancing:Describe* actions have no resource-level permissions; only with wake_on_request";

/// The calls this module makes (the permissions table, `policy::table`).
pub const CALLS: &[Call] = &[
    Call::new(
        "ECS",
        "DescribeServices",
        "ecs:DescribeServices",
        made_by::PREPARE,
        On::Services,
    )
    .narrow(Narrow::WakeServices),
    // The call recorder tells operations, not their parameters: DescribeServices is granted
    // the same actions everywhere (`policy::table`'s test), tags included.
    Call::new(
        "ECS",
        "DescribeServices",
        "ecs:ListTagsForResource",
        made_by::PREPARE,
        On::Services,
    )
    .narrow(Narrow::WakeServices),
    // A woken selector's services are selected as the function selects them
    // (`worktime_lambda::select`): listed, then described with their tags (above).
    Call::new(
        "ECS",
        "ListServices",
        "ecs:ListServices",
        made_by::PREPARE,
        On::Any,
    )
    .narrow(Narrow::WokenSelectorClusters)
    .note("ecs:ListServices has no resource type, only the ecs:cluster condition key; only with a wake_on_request selector"),
    Call::new(
        "ECS",
        "ListClusters",
        "ecs:ListClusters",
        made_by::PREPARE,
        On::Any,
    )
    .narrow(Narrow::EveryWokenSelectorCluster)
    .note("ecs:ListClusters has no resource type; only for a wake_on_request selector with cluster = \"*\""),
    Call::new(
        ELB,
        "DescribeTargetGroups",
        "elasticloadbalancing:DescribeTargetGroups",
        made_by::PREPARE,
        On::Any,
    )
    .narrow(Narrow::WakeServices)
    .note(NO_RESOURCE),
    Call::new(
        ELB,
        "DescribeLoadBalancers",
        "elasticloadbalancing:DescribeLoadBalancers",
        made_by::PREPARE,
        On::Any,
    )
    .narrow(Narrow::WakeServices)
    .note(NO_RESOURCE),
    Call::new(
        ELB,
        "DescribeListeners",
        "elasticloadbalancing:DescribeListeners",
        made_by::PREPARE,
        On::Any,
    )
    .narrow(Narrow::WakeServices)
    .note(NO_RESOURCE),
    Call::new(
        ELB,
        "DescribeRules",
        "elasticloadbalancing:DescribeRules",
        made_by::PREPARE,
        On::Any,
    )
    .narrow(Narrow::WakeServices)
    .note(NO_RESOURCE),
];

/// `config` with each woken selector's services as the function would select them now: the
/// services of its cluster(s) carrying its tag, less those an entry or an earlier selector
/// owns (the function's own `select`), in (cluster, service) order. A service tagged later
/// is woken from the next deploy on. Reads nothing without a woken selector.
pub async fn select(
    sdk: &aws_config::SdkConfig,
    config: &StackConfig,
    now: DateTime<Utc>,
) -> Result<StackConfig> {
    if !config.selectors.iter().any(|s| s.wake.is_some()) {
        return Ok(config.clone());
    }
    let clients = crate::aws::clients::function(sdk);
    let mut found: Vec<ServiceRequest> = Vec::new();
    for mut event in crate::scaling::events_for(config, RunAction::ScaleIn, true, now)? {
        event.services.clear();
        event.selectors.retain(|selector| {
            let label = selector.to_string();
            config
                .selectors
                .iter()
                .any(|s| s.wake.is_some() && s.label() == label)
        });
        if event.selectors.is_empty() {
            continue;
        }
        let (selected, outcomes) = worktime_lambda::select(&clients, &event).await;
        if let Some((selector, reason)) = outcomes
            .iter()
            .find_map(|o| o.error.as_ref().map(|e| (o.selector.clone(), e.clone())))
        {
            return Err(Error::WakeSelectorUnread { selector, reason });
        }
        found.extend(selected);
    }
    Ok(with_selected(config, &found))
}

/// `config` with each woken selector's services among `requests` (those whose
/// `selected_by` names it), in (cluster, service) order: the order that names their wake
/// target groups.
pub fn with_selected(config: &StackConfig, requests: &[ServiceRequest]) -> StackConfig {
    let mut config = config.clone();
    let mut found: Vec<&ServiceRequest> = requests.iter().collect();
    found.sort_by(|a, b| (&a.cluster, &a.service).cmp(&(&b.cluster, &b.service)));
    for selector in &mut config.selectors {
        let label = selector.label();
        let (capacity, schedule, wave) =
            (selector.capacity, selector.schedule.clone(), selector.wave);
        let Some(wake) = selector.wake.as_mut() else {
            continue;
        };
        let services = found
            .iter()
            .filter(|r| r.selected_by.as_deref() == Some(label.as_str()))
            .map(|r| ServiceSpec {
                cluster: r.cluster.clone(),
                service: r.service.clone(),
                capacity,
                schedule: schedule.clone(),
                wave,
                wake: Some(wake.wake.clone()),
            })
            .collect();
        wake.selected = Some(services);
    }
    config
}

/// `config` with every woken service's routes read from AWS (what the template lets the
/// function rewrite), a woken selector's services first selected (see [`select`]); fails
/// with exit 2, naming `services[N].wake_on_request` and the service, nothing changed, for
/// one that cannot be woken.
pub async fn check(session: &Session, config: &StackConfig) -> Result<StackConfig> {
    let mut config = select(&session.sdk, config, Utc::now()).await?;
    let woken: Vec<&ServiceSpec> = config.woken().map(|(s, _)| s).collect();
    if woken.is_empty() {
        return Ok(config);
    }
    let ecs = crate::aws::clients::ecs(&session.sdk);
    let elb = crate::aws::clients::elbv2(&session.sdk);
    let mut found = Vec::new();
    for spec in woken {
        let described = ecs
            .describe_services()
            .cluster(&spec.cluster)
            .services(&spec.service)
            .send()
            .await
            .map_err(|e| {
                Error::aws(
                    format!(
                        "checking wake_on_request of {}/{} (ecs:DescribeServices)",
                        spec.cluster, spec.service
                    ),
                    e,
                )
            })?;
        let facts = described
            .services()
            .iter()
            .find(|s| s.status() != Some("INACTIVE"))
            .map(|s| ServiceFacts {
                deployment_controller: s
                    .deployment_controller()
                    .map(|c| c.r#type().as_str().to_string()),
                target_groups: s
                    .load_balancers()
                    .iter()
                    .filter_map(|lb| lb.target_group_arn().map(str::to_string))
                    .collect(),
            });
        let (groups, balancers) = match &facts {
            Some(f) if !f.target_groups.is_empty() => {
                read_balancers(&elb, &f.target_groups).await?
            }
            _ => (Vec::new(), Vec::new()),
        };
        match routes::routes(facts.as_ref(), &groups, &balancers) {
            Ok(routes) => found.push(routes),
            Err(refusal) => {
                let (problem, fix) = refusal.explain();
                let key = spec
                    .wake
                    .as_ref()
                    .map(|w| w.key.as_str())
                    .unwrap_or("services");
                return Err(Error::Config(ConfigError {
                    path: config.path.clone(),
                    line: None,
                    key: Some(format!("{key}.wake_on_request")),
                    problem: format!(
                        "service {:?} in cluster {:?} cannot be woken by a request: {problem}; nothing was changed",
                        spec.service, spec.cluster
                    ),
                    fix,
                }));
            }
        }
    }
    // The same order as `woken()`: the entries, then each woken selector's services.
    let selected = config
        .selectors
        .iter_mut()
        .filter_map(|s| s.wake.as_mut())
        .flat_map(|w| w.selected.iter_mut().flatten());
    for (spec, routes) in config
        .services
        .iter_mut()
        .chain(selected)
        .filter(|s| s.wake.is_some())
        .zip(found)
    {
        if let Some(wake) = spec.wake.as_mut() {
            wake.routes = Some(routes);
        }
    }
    Ok(config)
}

/// The target groups' load balancers (`(group, its load balancers)`), and each of those
/// load balancers with its listeners and their rules.
async fn read_balancers(
    elb: &aws_sdk_elasticloadbalancingv2::Client,
    target_groups: &[String],
) -> Result<(Vec<(String, Vec<String>)>, Vec<BalancerFacts>)> {
    let described = elb
        .describe_target_groups()
        .set_target_group_arns(Some(target_groups.to_vec()))
        .send()
        .await
        .map_err(|e| {
            Error::aws(
                "reading the load balancers (elasticloadbalancing:DescribeTargetGroups)",
                e,
            )
        })?;
    let groups: Vec<(String, Vec<String>)> = described
        .target_groups()
        .iter()
        .map(|g| {
            (
                g.target_group_arn().unwrap_or_default().to_string(),
                g.load_balancer_arns().to_vec(),
            )
        })
        .collect();
    let arns: BTreeSet<String> = groups.iter().flat_map(|(_, lbs)| lbs.clone()).collect();
    if arns.is_empty() {
        return Ok((groups, Vec::new()));
    }
    let lbs = elb
        .describe_load_balancers()
        .set_load_balancer_arns(Some(arns.into_iter().collect()))
        .send()
        .await
        .map_err(|e| {
            Error::aws(
                "reading the load balancers (elasticloadbalancing:DescribeLoadBalancers)",
                e,
            )
        })?;
    let mut balancers = Vec::new();
    for lb in lbs.load_balancers() {
        let arn = lb.load_balancer_arn().unwrap_or_default().to_string();
        let kind = lb
            .r#type()
            .map(|t| t.as_str().to_string())
            .unwrap_or_default();
        let mut listeners = Vec::new();
        // Only an Application Load Balancer's rules matter: another kind is refused.
        if kind == "application" {
            let mut marker: Option<String> = None;
            loop {
                let page = elb
                    .describe_listeners()
                    .load_balancer_arn(&arn)
                    .set_marker(marker.clone())
                    .send()
                    .await
                    .map_err(|e| {
                        Error::aws(
                            "reading the load balancers (elasticloadbalancing:DescribeListeners)",
                            e,
                        )
                    })?;
                for listener in page.listeners() {
                    let listener_arn = listener.listener_arn().unwrap_or_default().to_string();
                    let rules = read_rules(elb, &listener_arn).await?;
                    listeners.push(ListenerFacts {
                        arn: listener_arn,
                        default_forwards: forwards(listener.default_actions()),
                        rules,
                    });
                }
                match page.next_marker() {
                    Some(next) if !next.is_empty() && Some(next) != marker.as_deref() => {
                        marker = Some(next.to_string())
                    }
                    _ => break,
                }
            }
        }
        balancers.push(BalancerFacts {
            arn,
            kind,
            listeners,
        });
    }
    Ok((groups, balancers))
}

/// A listener's non-default rules (its default rule is its default action, changed with
/// `ModifyListener`).
async fn read_rules(
    elb: &aws_sdk_elasticloadbalancingv2::Client,
    listener: &str,
) -> Result<Vec<RuleFacts>> {
    let mut rules = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let page = elb
            .describe_rules()
            .listener_arn(listener)
            .set_marker(marker.clone())
            .send()
            .await
            .map_err(|e| {
                Error::aws(
                    "reading the load balancers (elasticloadbalancing:DescribeRules)",
                    e,
                )
            })?;
        rules.extend(
            page.rules()
                .iter()
                .filter(|r| r.is_default() != Some(true))
                .map(|r| RuleFacts {
                    arn: r.rule_arn().unwrap_or_default().to_string(),
                    forwards: forwards(r.actions()),
                }),
        );
        match page.next_marker() {
            Some(next) if !next.is_empty() && Some(next) != marker.as_deref() => {
                marker = Some(next.to_string())
            }
            _ => break,
        }
    }
    Ok(rules)
}

/// The target groups `actions` forward to: a `forward` action's `TargetGroupArn` or the
/// groups of its `ForwardConfig`.
fn forwards(actions: &[Action]) -> Vec<String> {
    actions
        .iter()
        .filter(|a| a.r#type().map(|t| t.as_str()) == Some("forward"))
        .flat_map(|a| {
            a.target_group_arn().map(str::to_string).into_iter().chain(
                a.forward_config()
                    .map(|f| f.target_groups())
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|t| t.target_group_arn().map(str::to_string)),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use worktime_lambda::Capacity;

    /// `examples/wake.toml`: `dev/web` woken by name, `dev/worker` not, and every service of
    /// `preview` tagged `env=preview` woken for 30 minutes.
    fn config() -> StackConfig {
        crate::config::parse(
            include_str!("../../../examples/wake.toml"),
            std::path::Path::new("examples/wake.toml"),
            Utc::now(),
        )
        .unwrap()
        .home
    }

    fn request(cluster: &str, service: &str, selected_by: Option<&str>) -> ServiceRequest {
        ServiceRequest {
            resource_id: format!("service/{cluster}/{service}"),
            cluster: cluster.into(),
            service: service.into(),
            declared: None,
            refused: None,
            selected_by: selected_by.map(str::to_string),
            wave: 0,
        }
    }

    #[test]
    fn a_woken_selectors_services_follow_the_entries_in_name_order_with_its_wake() {
        let config = config();
        let requests = [
            request("preview", "zeta", Some("preview:env=preview")),
            request("dev", "web", None),
            request("dev", "night-batch", Some("dev:team=batch")),
            request("preview", "alpha", Some("preview:env=preview")),
        ];
        let selected = with_selected(&config, &requests);
        let woken: Vec<(String, u32, &str, Option<Capacity>)> = selected
            .woken()
            .map(|(s, w)| {
                (
                    format!("{}/{}", s.cluster, s.service),
                    w.idle_minutes,
                    w.key.as_str(),
                    s.capacity,
                )
            })
            .collect();
        let web = Some(Capacity { min: 1, max: 2 });
        assert_eq!(
            woken,
            vec![
                ("dev/web".into(), 60, "services[0]", web),
                ("preview/alpha".into(), 30, "services[2]", None),
                ("preview/zeta".into(), 30, "services[2]", None),
            ]
        );
        // Read nothing: the selector wakes nothing yet; the entry still does.
        assert_eq!(with_selected(&config, &[]).woken().count(), 1);
    }
}
