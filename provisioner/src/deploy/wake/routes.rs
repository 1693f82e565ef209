//! Which listener rules forward to a woken service, and whether the service can be woken at
//! all: pure decisions on what ECS and Elastic Load Balancing said, so that the refusals are
//! tested without an endpoint.
//!
//! AWS's rules this follows:
//! - A service's load balancers are its `loadBalancers[].targetGroupArn` (ECS
//!   `DescribeServices`); a target group belongs to the load balancers its
//!   `LoadBalancerArns` names (elbv2 `DescribeTargetGroups`).
//! - Only an Application Load Balancer has listener rules that can forward to a Lambda
//!   target group (a Network Load Balancer forwards TCP/UDP to one target group per listener,
//!   and a Lambda target is for ALBs only: "Lambda functions as targets", ELB User Guide).
//! - A rule or a listener's default action forwards to a target group either with
//!   `TargetGroupArn` or inside `ForwardConfig.TargetGroups` (a weighted forward).
//! - A service whose deployments a `CODE_DEPLOY` or `EXTERNAL` deployment controller runs has
//!   its listener rules rewritten by that controller (blue/green), so worktime must not own
//!   them too.

use std::collections::BTreeSet;

/// What ECS said of the service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceFacts {
    /// `deploymentController.type`; `None`: ECS (the default).
    pub deployment_controller: Option<String>,
    /// `loadBalancers[].targetGroupArn` (entries without one are a Classic Load Balancer's).
    pub target_groups: Vec<String>,
}

/// A load balancer and its listeners, as Elastic Load Balancing described them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BalancerFacts {
    pub arn: String,
    /// `Type`: `application`, `network` or `gateway`.
    pub kind: String,
    pub listeners: Vec<ListenerFacts>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListenerFacts {
    pub arn: String,
    /// The target groups the default action forwards to.
    pub default_forwards: Vec<String>,
    /// Its non-default rules.
    pub rules: Vec<RuleFacts>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleFacts {
    pub arn: String,
    /// The target groups its forward action names.
    pub forwards: Vec<String>,
}

pub use crate::config::WakeRoutes as Routes;

/// Why a service cannot be woken by a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// ECS knows no such service.
    NoService,
    /// Its deployments run under another controller, which owns its rules.
    Controller(String),
    /// It is registered with no target group (no load balancer, or a Classic one).
    NoTargetGroup,
    /// Its target group is attached to no load balancer.
    Unattached { target_group: String },
    /// A load balancer of its target group is not an Application Load Balancer.
    NotApplication { load_balancer: String, kind: String },
    /// No listener rule, and no default action, forwards to its target groups.
    NoRule { target_groups: Vec<String> },
}

impl Refusal {
    /// The problem and the fix, for a message that names the service.
    pub fn explain(&self) -> (String, String) {
        match self {
            Refusal::NoService => (
                "the service does not exist".into(),
                "create the service first, or fix cluster and service".into(),
            ),
            Refusal::Controller(kind) => (
                format!("its deployment controller is {kind}, which rewrites the service's listener rules itself (blue/green)"),
                "use the ECS deployment controller for this service, or remove wake_on_request".into(),
            ),
            Refusal::NoTargetGroup => (
                "it has no target group (no load balancer, or a Classic Load Balancer): nothing routes a request to it".into(),
                "put the service behind an Application Load Balancer target group, or remove wake_on_request".into(),
            ),
            Refusal::Unattached { target_group } => (
                format!("its target group {target_group} is attached to no load balancer"),
                "forward a listener rule of an Application Load Balancer to the target group, or remove wake_on_request".into(),
            ),
            Refusal::NotApplication { load_balancer, kind } => (
                format!("its load balancer {load_balancer} is a {kind} load balancer: only an Application Load Balancer can forward a request to the function that wakes it"),
                "put the service behind an Application Load Balancer, or remove wake_on_request".into(),
            ),
            Refusal::NoRule { target_groups } => (
                format!("no listener rule or default action forwards to its target group{} {}", if target_groups.len() == 1 { "" } else { "s" }, target_groups.join(", ")),
                "add a listener rule that forwards to the service's target group, or remove wake_on_request".into(),
            ),
        }
    }
}

/// The routes a wake rewrites for `service`, whose target groups' load balancers are
/// `balancers` (with their listeners and rules), or why it cannot be woken.
pub fn routes(
    service: Option<&ServiceFacts>,
    groups: &[(String, Vec<String>)],
    balancers: &[BalancerFacts],
) -> Result<Routes, Refusal> {
    let service = service.ok_or(Refusal::NoService)?;
    if let Some(kind) = service
        .deployment_controller
        .as_deref()
        .filter(|k| *k != "ECS")
    {
        return Err(Refusal::Controller(kind.to_string()));
    }
    let mine: BTreeSet<&str> = service.target_groups.iter().map(String::as_str).collect();
    if mine.is_empty() {
        return Err(Refusal::NoTargetGroup);
    }
    let mut routes = Routes {
        target_groups: mine.iter().map(|s| s.to_string()).collect(),
        ..Routes::default()
    };
    for group in &mine {
        let attached = groups
            .iter()
            .find(|(arn, _)| arn == group)
            .map(|(_, lbs)| lbs.as_slice())
            .unwrap_or_default();
        if attached.is_empty() {
            return Err(Refusal::Unattached {
                target_group: group.to_string(),
            });
        }
        for arn in attached {
            if let Some(lb) = balancers.iter().find(|b| &b.arn == arn) {
                if lb.kind != "application" {
                    return Err(Refusal::NotApplication {
                        load_balancer: lb.arn.clone(),
                        kind: lb.kind.clone(),
                    });
                }
            }
        }
    }
    let forwards_here = |forwards: &[String]| forwards.iter().any(|g| mine.contains(g.as_str()));
    for listener in balancers.iter().flat_map(|b| &b.listeners) {
        if forwards_here(&listener.default_forwards) && !routes.listeners.contains(&listener.arn) {
            routes.listeners.push(listener.arn.clone());
        }
        for rule in &listener.rules {
            if forwards_here(&rule.forwards) && !routes.rules.contains(&rule.arn) {
                routes.rules.push(rule.arn.clone());
            }
        }
    }
    if routes.is_empty() {
        return Err(Refusal::NoRule {
            target_groups: routes.target_groups,
        });
    }
    Ok(routes)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TG: &str = "arn:aws:elasticloadbalancing:r:1:targetgroup/api/1";
    const LB: &str = "arn:aws:elasticloadbalancing:r:1:loadbalancer/app/web/1";

    fn service(controller: Option<&str>, groups: &[&str]) -> ServiceFacts {
        ServiceFacts {
            deployment_controller: controller.map(str::to_string),
            target_groups: groups.iter().map(|g| g.to_string()).collect(),
        }
    }

    fn balancer(kind: &str, default: &[&str], rules: &[(&str, &[&str])]) -> BalancerFacts {
        BalancerFacts {
            arn: LB.into(),
            kind: kind.into(),
            listeners: vec![ListenerFacts {
                arn: "listener/80".into(),
                default_forwards: default.iter().map(|g| g.to_string()).collect(),
                rules: rules
                    .iter()
                    .map(|(arn, forwards)| RuleFacts {
                        arn: arn.to_string(),
                        forwards: forwards.iter().map(|g| g.to_string()).collect(),
                    })
                    .collect(),
            }],
        }
    }

    fn attached() -> Vec<(String, Vec<String>)> {
        vec![(TG.into(), vec![LB.into()])]
    }

    #[test]
    fn the_rules_and_default_actions_that_forward_to_the_services_group_are_its_routes() {
        let lb = balancer(
            "application",
            &[TG],
            &[
                ("rule/a", &[TG]),
                ("rule/other", &["tg/other"]),
                ("rule/b", &["tg/other", TG]),
            ],
        );
        let routes = routes(Some(&service(None, &[TG])), &attached(), &[lb]).unwrap();
        assert_eq!(routes.target_groups, vec![TG.to_string()]);
        assert_eq!(routes.listeners, vec!["listener/80".to_string()]);
        assert_eq!(
            routes.rules,
            vec!["rule/a".to_string(), "rule/b".to_string()]
        );
        assert_eq!(routes.len(), 3);
    }

    #[test]
    fn the_ecs_controller_is_the_default_and_the_others_are_refused() {
        let lb = balancer("application", &[], &[("rule/a", &[TG])]);
        let ok = routes(
            Some(&service(Some("ECS"), &[TG])),
            &attached(),
            std::slice::from_ref(&lb),
        );
        assert!(ok.is_ok());
        for kind in ["CODE_DEPLOY", "EXTERNAL"] {
            let refused = routes(
                Some(&service(Some(kind), &[TG])),
                &attached(),
                std::slice::from_ref(&lb),
            );
            assert_eq!(refused, Err(Refusal::Controller(kind.into())));
            assert!(refused.unwrap_err().explain().0.contains(kind));
        }
    }

    #[test]
    fn a_service_without_a_target_group_or_with_an_unattached_one_is_refused() {
        assert_eq!(routes(None, &[], &[]), Err(Refusal::NoService));
        assert_eq!(
            routes(Some(&service(None, &[])), &[], &[]),
            Err(Refusal::NoTargetGroup)
        );
        assert_eq!(
            routes(Some(&service(None, &[TG])), &[(TG.into(), vec![])], &[]),
            Err(Refusal::Unattached {
                target_group: TG.into()
            })
        );
    }

    #[test]
    fn a_network_load_balancer_is_refused() {
        let nlb = balancer("network", &[TG], &[]);
        assert_eq!(
            routes(Some(&service(None, &[TG])), &attached(), &[nlb]),
            Err(Refusal::NotApplication {
                load_balancer: LB.into(),
                kind: "network".into()
            })
        );
    }

    #[test]
    fn a_group_no_rule_forwards_to_is_refused_naming_it() {
        let lb = balancer("application", &["tg/other"], &[("rule/a", &["tg/other"])]);
        let refused = routes(Some(&service(None, &[TG])), &attached(), &[lb]).unwrap_err();
        assert_eq!(
            refused,
            Refusal::NoRule {
                target_groups: vec![TG.into()]
            }
        );
        assert!(refused.explain().0.contains(TG));
    }
}
