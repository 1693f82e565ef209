//! The reads behind the capacity warnings, and the capacity-provider reads `deploy::capacity`
//! shares: a cluster's capacity providers (`DescribeClusters`), the providers
//! (`DescribeCapacityProviders`), their Auto Scaling groups (`DescribeAutoScalingGroups`) and
//! the services' launch types (`DescribeServices`). `status` and `report` read providers,
//! groups and services only for clusters that have capacity providers; a read that fails is a
//! hole in the report, as their other reads are.

use aws_sdk_autoscaling::operation::describe_auto_scaling_groups::DescribeAutoScalingGroupsError;
use aws_sdk_autoscaling::types::AutoScalingGroup;
use aws_sdk_ecs::operation::describe_capacity_providers::DescribeCapacityProvidersError;
use aws_sdk_ecs::operation::describe_clusters::DescribeClustersError;
use aws_sdk_ecs::types::{CapacityProvider, ManagedScalingStatus};
use serde::Serialize;
use worktime_lambda::{describe_error, Clients, ServiceRequest};

use super::{group_name, warnings, Group, Provider, ServiceLaunch, Warned};
use crate::aws::calls::{Call, Cmd::*, On};

/// The calls this module makes for `status` and `report` (the permissions table,
/// `policy::table`); `deploy::capacity` declares its own use of the shared reads.
pub const CALLS: &[Call] = &[
    Call::new(
        "ECS",
        "DescribeClusters",
        "ecs:DescribeClusters",
        &[Status, Report],
        On::ServiceClusters,
    ),
    Call::new(
        "ECS",
        "DescribeCapacityProviders",
        "ecs:DescribeCapacityProviders",
        &[Status, Report],
        On::CapacityProviders,
    ),
    Call::new(
        "Auto Scaling",
        "DescribeAutoScalingGroups",
        "autoscaling:DescribeAutoScalingGroups",
        &[Status, Report],
        On::Any,
    )
    .note("autoscaling:DescribeAutoScalingGroups has no resource-level permissions"),
];

/// ECS `DescribeClusters` and `DescribeCapacityProviders` take at most 100 names a call.
const NAMES_PER_CALL: usize = 100;
/// ECS `DescribeServices` takes at most 10 services a call.
const SERVICES_PER_CALL: usize = 10;

type EcsError<E> = aws_sdk_ecs::error::SdkError<E>;

/// Each cluster's capacity providers that are not AWS's own (`FARGATE`, `FARGATE_SPOT` have
/// no group), in the order asked; a cluster ECS does not know has none.
pub async fn cluster_providers(
    ecs: &aws_sdk_ecs::Client,
    clusters: &[String],
) -> Result<Vec<(String, Vec<String>)>, EcsError<DescribeClustersError>> {
    let mut found = Vec::new();
    for batch in clusters.chunks(NAMES_PER_CALL) {
        let answer = ecs
            .describe_clusters()
            .set_clusters(Some(batch.to_vec()))
            .send()
            .await?;
        for asked in batch {
            let providers = answer
                .clusters()
                .iter()
                .filter(|c| {
                    c.cluster_name() == Some(asked.as_str()) || c.cluster_arn() == Some(asked)
                })
                .flat_map(|c| c.capacity_providers().iter().cloned())
                .filter(|p| !p.starts_with("FARGATE"))
                .collect();
            found.push((asked.clone(), providers));
        }
    }
    Ok(found)
}

/// The named capacity providers.
pub async fn describe_providers(
    ecs: &aws_sdk_ecs::Client,
    names: &[String],
) -> Result<Vec<CapacityProvider>, EcsError<DescribeCapacityProvidersError>> {
    let mut found = Vec::new();
    for batch in names.chunks(NAMES_PER_CALL) {
        let answer = ecs
            .describe_capacity_providers()
            .set_capacity_providers(Some(batch.to_vec()))
            .send()
            .await?;
        found.extend(answer.capacity_providers().iter().cloned());
    }
    Ok(found)
}

/// The named Auto Scaling groups that exist, every page.
pub async fn describe_groups(
    groups: &aws_sdk_autoscaling::Client,
    names: &[String],
) -> Result<
    Vec<AutoScalingGroup>,
    aws_sdk_autoscaling::error::SdkError<DescribeAutoScalingGroupsError>,
> {
    let mut found = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = groups
            .describe_auto_scaling_groups()
            .set_auto_scaling_group_names(Some(names.to_vec()))
            .set_next_token(token.clone())
            .send()
            .await?;
        found.extend(page.auto_scaling_groups().iter().cloned());
        match page.next_token() {
            Some(next) if !next.is_empty() && Some(next) != token.as_deref() => {
                token = Some(next.to_string());
            }
            _ => break,
        }
    }
    Ok(found)
}

/// The warnings for the clusters of `services`, and the reads that failed (each naming its
/// call): `status` and `report` print both; a warning is not a failure, a hole is.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Instances {
    pub warnings: Vec<Warned>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unreadable: Vec<String>,
}

/// The warnings with their fixes, and the holes (`status` and `report` print this).
impl std::fmt::Display for Instances {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if !self.warnings.is_empty() {
            writeln!(f, "instances that cannot follow their services:")?;
        }
        for warned in &self.warnings {
            writeln!(f, "  warning: {}", warned.message)?;
            writeln!(f, "    fix: {}", warned.fix)?;
        }
        for hole in &self.unreadable {
            writeln!(f, "  could not read the capacity providers: {hole}")?;
        }
        Ok(())
    }
}

impl Instances {
    pub fn is_empty(&self) -> bool {
        self.warnings.is_empty() && self.unreadable.is_empty()
    }
}

pub async fn check(clients: &Clients, services: &[ServiceRequest]) -> Instances {
    let (ecs, groups) = (&clients.ecs, &clients.groups);
    // A refused request (a bad name) is reported as such elsewhere: nothing to read.
    let services: Vec<&ServiceRequest> = services.iter().filter(|s| s.refused.is_none()).collect();
    let mut out = Instances::default();
    let mut clusters: Vec<String> = services.iter().map(|s| s.cluster.clone()).collect();
    clusters.sort();
    clusters.dedup();
    if clusters.is_empty() {
        return out;
    }
    let clusters = match cluster_providers(ecs, &clusters).await {
        Ok(found) => found,
        Err(e) => {
            out.unreadable
                .push(format!("ecs:DescribeClusters: {}", describe_error(&e)));
            return out;
        }
    };
    let clusters: Vec<(String, Vec<String>)> = clusters
        .into_iter()
        .filter(|(_, p)| !p.is_empty())
        .collect();
    if clusters.is_empty() {
        return out;
    }
    let mut names: Vec<String> = clusters.iter().flat_map(|(_, p)| p.clone()).collect();
    names.sort();
    names.dedup();
    let described = match describe_providers(ecs, &names).await {
        Ok(found) => found,
        Err(e) => {
            out.unreadable.push(format!(
                "ecs:DescribeCapacityProviders: {}",
                describe_error(&e)
            ));
            return out;
        }
    };
    let providers: Vec<Provider> = described
        .iter()
        .map(|p| {
            let asg = p.auto_scaling_group_provider();
            Provider {
                name: p.name().unwrap_or_default().to_string(),
                group: asg.map(|g| g.auto_scaling_group_arn().to_string()),
                managed_scaling: asg
                    .and_then(|g| g.managed_scaling())
                    .and_then(|m| m.status())
                    == Some(&ManagedScalingStatus::Enabled),
            }
        })
        .collect();
    let by_cluster: Vec<(String, Vec<Provider>)> = clusters
        .iter()
        .map(|(cluster, names)| {
            let mine = providers
                .iter()
                .filter(|p| names.contains(&p.name))
                .cloned()
                .collect();
            (cluster.clone(), mine)
        })
        .collect();

    let mut group_names: Vec<String> = providers
        .iter()
        .filter_map(|p| p.group.as_deref().map(|g| group_name(g).to_string()))
        .collect();
    group_names.sort();
    group_names.dedup();
    let mut read_groups = Vec::new();
    if !group_names.is_empty() {
        match describe_groups(groups, &group_names).await {
            Ok(found) => {
                read_groups = found
                    .iter()
                    .map(|g| Group {
                        name: g.auto_scaling_group_name().unwrap_or_default().to_string(),
                        arn: g.auto_scaling_group_arn().unwrap_or_default().to_string(),
                        min_size: g.min_size().unwrap_or_default(),
                    })
                    .collect()
            }
            Err(e) => out.unreadable.push(format!(
                "autoscaling:DescribeAutoScalingGroups: {}",
                describe_error(&e)
            )),
        }
    }

    let mut launches = Vec::new();
    for (cluster, _) in &clusters {
        let mine: Vec<&ServiceRequest> = services
            .iter()
            .copied()
            .filter(|s| &s.cluster == cluster)
            .collect();
        for batch in mine.chunks(SERVICES_PER_CALL) {
            let answer = ecs
                .describe_services()
                .cluster(cluster)
                .set_services(Some(batch.iter().map(|s| s.service.clone()).collect()))
                .send()
                .await;
            match answer {
                Ok(answer) => {
                    // ECS keeps deleted services visible as INACTIVE for a while.
                    for described in answer
                        .services()
                        .iter()
                        .filter(|s| s.status() != Some("INACTIVE"))
                    {
                        let Some(configured) = batch
                            .iter()
                            .find(|s| Some(s.service.as_str()) == described.service_name())
                        else {
                            continue;
                        };
                        launches.push(ServiceLaunch {
                            resource_id: configured.resource_id.clone(),
                            cluster: cluster.clone(),
                            launch_type: described.launch_type().map(|l| l.as_str().to_string()),
                        });
                    }
                }
                Err(e) => out.unreadable.push(format!(
                    "ecs:DescribeServices {cluster}: {}",
                    describe_error(&e)
                )),
            }
        }
    }
    out.warnings = warnings(&by_cluster, &read_groups, &launches)
        .into_iter()
        .map(Warned::from)
        .collect();
    out
}
