//! Whether the EC2 instances under a cluster's services can follow them to zero through the
//! cluster's capacity providers (`status` and `report` warn where they cannot). ECS scales a
//! provider's Auto Scaling group only with managed scaling on, never below the group's
//! `MinSize`, and only for tasks placed by the capacity provider strategy: a service on the
//! `EC2` launch type is placed on whatever instances are registered, which the provider's
//! `CapacityProviderReservation` does not count
//! (<https://docs.aws.amazon.com/AmazonECS/latest/developerguide/cluster-auto-scaling.html>,
//! <https://docs.aws.amazon.com/AmazonECS/latest/developerguide/asg-capacity-providers-managed-scaling.html>).
//! Pure: the reads are `instances::read`.

pub mod read;

use std::fmt;

use serde::Serialize;

/// One capacity provider of a cluster, as `DescribeCapacityProviders` tells it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provider {
    pub name: String,
    /// Its Auto Scaling group (ARN, or name as given); `None`: not an Auto Scaling provider.
    pub group: Option<String>,
    /// `managedScaling.status` is `ENABLED`.
    pub managed_scaling: bool,
}

/// One Auto Scaling group, as `DescribeAutoScalingGroups` tells it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub name: String,
    pub arn: String,
    pub min_size: i32,
}

/// One configured service of a cluster with capacity providers, as `DescribeServices` tells it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceLaunch {
    pub resource_id: String,
    pub cluster: String,
    /// `EC2`, `FARGATE`, `EXTERNAL`; `None`: it uses a capacity provider strategy.
    pub launch_type: Option<String>,
}

/// What keeps a cluster's instances up when its services are down.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum CapacityWarning {
    /// ECS never scales the group below its `MinSize`.
    GroupMinAboveZero {
        cluster: String,
        provider: String,
        group: String,
        min: i32,
    },
    /// Without managed scaling ECS does not scale the group at all.
    ManagedScalingOff { cluster: String, provider: String },
    /// Tasks placed by launch type are not counted by the provider's scaling.
    ServiceOnLaunchType {
        service: String,
        launch_type: String,
    },
}

impl CapacityWarning {
    /// The one-line fix.
    pub fn fix(&self) -> String {
        match self {
            CapacityWarning::GroupMinAboveZero { group, .. } => format!(
                "aws autoscaling update-auto-scaling-group --auto-scaling-group-name {group} --min-size 0"
            ),
            CapacityWarning::ManagedScalingOff { provider, .. } => format!(
                "aws ecs update-capacity-provider --name {provider} --auto-scaling-group-provider managedScaling={{status=ENABLED}}"
            ),
            CapacityWarning::ServiceOnLaunchType { service, .. } => {
                let (cluster, name) = cluster_and_name(service);
                format!(
                    "aws ecs update-service --cluster {cluster} --service {name} --capacity-provider-strategy capacityProvider=PROVIDER,weight=1 --force-new-deployment (or use the cluster's default strategy)"
                )
            }
        }
    }
}

impl fmt::Display for CapacityWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CapacityWarning::GroupMinAboveZero {
                cluster,
                provider,
                group,
                min,
            } => write!(
                f,
                "cluster {cluster}: capacity provider {provider}'s Auto Scaling group {group} has MinSize {min}: its instances never reach zero"
            ),
            CapacityWarning::ManagedScalingOff { cluster, provider } => write!(
                f,
                "cluster {cluster}: capacity provider {provider} has managed scaling off: ECS does not scale its instances with the services"
            ),
            CapacityWarning::ServiceOnLaunchType {
                service,
                launch_type,
            } => write!(
                f,
                "{service} uses launch type {launch_type}, not its cluster's capacity providers: the instances do not follow it"
            ),
        }
    }
}

/// A warning and its fix, as `status` and `report` print them (`--output json` too).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Warned {
    #[serde(flatten)]
    pub warning: CapacityWarning,
    pub message: String,
    pub fix: String,
}

impl From<CapacityWarning> for Warned {
    fn from(warning: CapacityWarning) -> Self {
        Warned {
            message: warning.to_string(),
            fix: warning.fix(),
            warning,
        }
    }
}

/// `service/<cluster>/<name>` split; a resource id of another shape is its own name.
fn cluster_and_name(resource_id: &str) -> (&str, &str) {
    let rest = resource_id.strip_prefix("service/").unwrap_or(resource_id);
    rest.split_once('/').unwrap_or(("", rest))
}

/// The warnings for `clusters` (each with its providers), the providers' `groups` and the
/// configured `services` of those clusters. A group that could not be read gives no warning
/// (the read's failure is reported as a hole).
pub fn warnings(
    clusters: &[(String, Vec<Provider>)],
    groups: &[Group],
    services: &[ServiceLaunch],
) -> Vec<CapacityWarning> {
    let mut warnings = Vec::new();
    for (cluster, providers) in clusters {
        for provider in providers {
            // FARGATE and FARGATE_SPOT have no group: nothing of the account's to follow.
            let Some(group_ref) = &provider.group else {
                continue;
            };
            if !provider.managed_scaling {
                warnings.push(CapacityWarning::ManagedScalingOff {
                    cluster: cluster.clone(),
                    provider: provider.name.clone(),
                });
            }
            if let Some(group) = groups
                .iter()
                .find(|g| &g.arn == group_ref || &g.name == group_ref)
            {
                if group.min_size > 0 {
                    warnings.push(CapacityWarning::GroupMinAboveZero {
                        cluster: cluster.clone(),
                        provider: provider.name.clone(),
                        group: group.name.clone(),
                        min: group.min_size,
                    });
                }
            }
        }
        // Only EC2 tasks run on the cluster's instances: FARGATE and EXTERNAL do not.
        let has_group = providers.iter().any(|p| p.group.is_some());
        for service in services.iter().filter(|s| &s.cluster == cluster) {
            if has_group && service.launch_type.as_deref() == Some("EC2") {
                warnings.push(CapacityWarning::ServiceOnLaunchType {
                    service: service.resource_id.clone(),
                    launch_type: "EC2".to_string(),
                });
            }
        }
    }
    warnings
}

/// The group name in an Auto Scaling group ARN (`...:autoScalingGroupName/<name>`), or the
/// text itself when it is a name (a provider may be given either).
pub fn group_name(arn_or_name: &str) -> &str {
    arn_or_name
        .split_once(":autoScalingGroupName/")
        .map_or(arn_or_name, |(_, name)| name)
}

#[cfg(test)]
mod tests;
