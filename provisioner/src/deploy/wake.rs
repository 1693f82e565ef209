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

/// `config` with every woken service's routes read from AWS (what the template lets the
/// function rewrite); fails with exit 2, naming `services[N].wake_on_request` and the
/// service, nothing changed, for one that cannot be woken.
pub async fn check(session: &Session, config: &StackConfig) -> Result<StackConfig> {
    let mut config = config.clone();
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
    for (spec, routes) in config
        .services
        .iter_mut()
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
