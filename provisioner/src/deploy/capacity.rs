//! `[[capacity]]` checked against the account before anything is created: each Auto Scaling
//! group exists in the stack's account and region, and no capacity provider manages it.
//! A group a capacity provider manages belongs to the provider: with managed scaling, ECS
//! sets its desired capacity to what the tasks need (and tags it `AmazonECSManaged`), so a
//! 0/0/0 of worktime's would be undone, or would fight it. Such clusters follow their
//! services through the provider (managed scaling, `MinSize` 0) and need no entry.

use crate::aws::calls::{made_by, Call, Narrow, On};
use crate::aws::Session;
use crate::config::{ConfigError, StackConfig};
use crate::error::{Error, Result};
use crate::instances::read;

/// The calls this module makes (the permissions table, `policy::table`).
pub const CALLS: &[Call] = &[
    Call::new(
        "Auto Scaling",
        "DescribeAutoScalingGroups",
        "autoscaling:DescribeAutoScalingGroups",
        made_by::CHANGE,
        On::Any,
    )
    .narrow(Narrow::CapacityGroups)
    .note("autoscaling:DescribeAutoScalingGroups has no resource-level permissions"),
    Call::new(
        "ECS",
        "DescribeClusters",
        "ecs:DescribeClusters",
        made_by::CHANGE,
        On::CapacityClusters,
    )
    .narrow(Narrow::CapacityGroups),
    Call::new(
        "ECS",
        "DescribeCapacityProviders",
        "ecs:DescribeCapacityProviders",
        made_by::CHANGE,
        On::CapacityProviders,
    )
    .narrow(Narrow::CapacityGroups),
];

/// The tag ECS puts on a group whose capacity provider scales it (managed scaling).
const ECS_MANAGED_TAG: &str = "AmazonECSManaged";

/// Fails with exit 2, naming `capacity[N].autoscaling_group` and nothing changed, when a
/// group does not exist or a capacity provider manages it.
pub async fn check(session: &Session, config: &StackConfig) -> Result<()> {
    if config.capacity.is_empty() {
        return Ok(());
    }
    let groups = crate::aws::clients::ec2_autoscaling(&session.sdk);
    let names: Vec<String> = config
        .capacity
        .iter()
        .map(|c| c.autoscaling_group.clone())
        .collect();
    let found = read::describe_groups(&groups, &names).await.map_err(|e| {
        Error::aws(
            "checking [[capacity]] (autoscaling:DescribeAutoScalingGroups)",
            e,
        )
    })?;
    let refuse = |index: usize, problem: String, fix: String| {
        Error::Config(ConfigError {
            path: config.path.clone(),
            line: None,
            key: Some(format!("capacity[{index}].autoscaling_group")),
            problem: format!("{problem}: nothing was changed"),
            fix,
        })
    };
    let ecs = crate::aws::clients::ecs(&session.sdk);
    for (index, entry) in config.capacity.iter().enumerate() {
        let name = &entry.autoscaling_group;
        let Some(group) = found
            .iter()
            .find(|g| g.auto_scaling_group_name() == Some(name.as_str()))
        else {
            return Err(refuse(
                index,
                format!(
                    "the Auto Scaling group {name:?} does not exist in account {}, region {}",
                    session.account, session.region
                ),
                format!(
                    "give the name of the group whose instances run cluster {:?}'s services (aws autoscaling describe-auto-scaling-groups), or remove this [[capacity]] entry",
                    entry.cluster
                ),
            ));
        };
        let provider_fix = || {
            "leave the group to its capacity provider (with managed scaling and MinSize 0 its instances follow the services to zero; `worktime status` says what keeps them up) and remove this [[capacity]] entry".to_string()
        };
        if group
            .tags()
            .iter()
            .any(|t| t.key() == Some(ECS_MANAGED_TAG))
        {
            return Err(refuse(
                index,
                format!(
                    "the Auto Scaling group {name:?} is managed by an ECS capacity provider (tagged {ECS_MANAGED_TAG}): the provider owns its desired capacity and would undo (or fight) a 0/0/0"
                ),
                provider_fix(),
            ));
        }
        let providers: Vec<String> =
            read::cluster_providers(&ecs, std::slice::from_ref(&entry.cluster))
                .await
                .map_err(|e| {
                    Error::aws(
                        format!(
                            "checking [[capacity]] cluster {} (ecs:DescribeClusters)",
                            entry.cluster
                        ),
                        e,
                    )
                })?
                .into_iter()
                .flat_map(|(_, providers)| providers)
                .collect();
        if providers.is_empty() {
            continue;
        }
        let described = read::describe_providers(&ecs, &providers)
            .await
            .map_err(|e| Error::aws(format!("checking [[capacity]] cluster {}'s capacity providers (ecs:DescribeCapacityProviders)", entry.cluster), e))?;
        let arn = group.auto_scaling_group_arn().unwrap_or_default();
        if let Some(provider) = described.iter().find(|p| {
            p.auto_scaling_group_provider().is_some_and(|g| {
                g.auto_scaling_group_arn() == arn || g.auto_scaling_group_arn() == name
            })
        }) {
            return Err(refuse(
                index,
                format!(
                    "the Auto Scaling group {name:?} is managed by the capacity provider {} of cluster {:?}: the provider owns its desired capacity",
                    provider.name().unwrap_or_default(),
                    entry.cluster
                ),
                provider_fix(),
            ));
        }
    }
    Ok(())
}
