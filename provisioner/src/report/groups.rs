//! The `[[capacity]]` Auto Scaling groups in the report: the instances each runs in working
//! hours and the instance-hours a week that taking it to 0/0/0 at night saves. EC2 prices
//! depend on instance types and purchase options the report does not read: instance-hours
//! only.

use serde::Serialize;
use worktime_lambda::groups::GroupSize;
use worktime_lambda::tags::CAPACITY_TAG;

use crate::aws::calls::{Call, Cmd, Narrow, On};
use crate::config::CapacitySpec;

/// The calls this module makes (the permissions table, `policy::table`).
pub const CALLS: &[Call] = &[Call::new(
    "Auto Scaling",
    "DescribeAutoScalingGroups",
    "autoscaling:DescribeAutoScalingGroups",
    &[Cmd::Report],
    On::Any,
)
.narrow(Narrow::CapacityGroups)
.note("autoscaling:DescribeAutoScalingGroups has no resource-level permissions")];

/// Where a group's working-hours size comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum InstancesFrom {
    /// The group is up: its desired capacity now.
    Current,
    /// The group is at 0/0/0: the size its `worktime:capacity` tag remembers.
    Remembered,
    /// At 0/0/0 with no readable tag: nothing says what it runs in working hours.
    Unknown,
}

/// One group's line.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupSaving {
    pub schedule: String,
    pub cluster: String,
    pub autoscaling_group: String,
    /// The instances it runs in working hours.
    pub working_instances: i32,
    pub working_instances_from: InstancesFrom,
    pub off_hours_per_week: f64,
    /// `working_instances` × `off_hours_per_week`.
    pub instance_hours_off_per_week: f64,
    /// Why the figures are zero (no such group, nothing remembered).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The group could not be read (naming the call): its figures are zero.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The instances a group of size `current` runs in working hours, given its tag.
pub fn working_instances(
    current: GroupSize,
    remembered: Option<Result<GroupSize, String>>,
) -> (i32, InstancesFrom) {
    if !current.is_zero() {
        return (current.desired, InstancesFrom::Current);
    }
    match remembered {
        Some(Ok(size)) => (size.desired, InstancesFrom::Remembered),
        _ => (0, InstancesFrom::Unknown),
    }
}

/// A group's line from what `DescribeAutoScalingGroups` said (`None`: no such group).
pub fn saving(
    schedule: &str,
    spec: &CapacitySpec,
    group: Option<&aws_sdk_autoscaling::types::AutoScalingGroup>,
    off_hours_per_week: f64,
) -> GroupSaving {
    let line = |working: i32, from: InstancesFrom, reason: Option<String>| GroupSaving {
        schedule: schedule.to_string(),
        cluster: spec.cluster.clone(),
        autoscaling_group: spec.autoscaling_group.clone(),
        working_instances: working,
        working_instances_from: from,
        off_hours_per_week,
        instance_hours_off_per_week: f64::from(working) * off_hours_per_week,
        reason,
        error: None,
    };
    let Some(group) = group else {
        return line(
            0,
            InstancesFrom::Unknown,
            Some(
                "not found: the Auto Scaling group does not exist in this account and region"
                    .into(),
            ),
        );
    };
    let current = GroupSize {
        min: group.min_size().unwrap_or(0),
        max: group.max_size().unwrap_or(0),
        desired: group.desired_capacity().unwrap_or(0),
    };
    let remembered = group
        .tags()
        .iter()
        .find(|t| t.key() == Some(CAPACITY_TAG))
        .map(|t| GroupSize::parse(t.value().unwrap_or_default()));
    let (working, from) = working_instances(current, remembered);
    let reason = (from == InstancesFrom::Unknown).then(|| {
        format!(
            "at 0/0/0 with no readable {CAPACITY_TAG} tag: nothing says what it runs in working \
             hours"
        )
    });
    line(working, from, reason)
}

/// Every `[[capacity]]` group's line; a failed read fails each line (naming the call).
pub async fn read(
    groups: &aws_sdk_autoscaling::Client,
    specs: &[(String, CapacitySpec, f64)],
) -> Vec<GroupSaving> {
    if specs.is_empty() {
        return Vec::new();
    }
    let names: Vec<String> = specs
        .iter()
        .map(|(_, s, _)| s.autoscaling_group.clone())
        .collect();
    let mut found = Vec::new();
    let mut token: Option<String> = None;
    loop {
        match groups
            .describe_auto_scaling_groups()
            .set_auto_scaling_group_names(Some(names.clone()))
            .set_next_token(token.clone())
            .send()
            .await
        {
            Ok(page) => {
                found.extend(page.auto_scaling_groups().iter().cloned());
                match page.next_token() {
                    Some(next) if !next.is_empty() && Some(next) != token.as_deref() => {
                        token = Some(next.to_string());
                    }
                    _ => break,
                }
            }
            Err(e) => {
                let reason = format!(
                    "autoscaling:DescribeAutoScalingGroups: {}",
                    worktime_lambda::describe_error(&e)
                );
                return specs
                    .iter()
                    .map(|(schedule, spec, off)| GroupSaving {
                        reason: None,
                        error: Some(reason.clone()),
                        ..saving(schedule, spec, None, *off)
                    })
                    .collect();
            }
        }
    }
    specs
        .iter()
        .map(|(schedule, spec, off)| {
            let group = found
                .iter()
                .find(|g| g.auto_scaling_group_name() == Some(spec.autoscaling_group.as_str()));
            saving(schedule, spec, group, *off)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn size(min: i32, max: i32, desired: i32) -> GroupSize {
        GroupSize { min, max, desired }
    }

    #[test]
    fn a_group_runs_its_current_size_when_up_and_its_remembered_size_when_down() {
        assert_eq!(
            working_instances(size(1, 3, 2), Some(Ok(size(1, 3, 1)))),
            (2, InstancesFrom::Current)
        );
        assert_eq!(
            working_instances(GroupSize::ZERO, Some(Ok(size(1, 3, 2)))),
            (2, InstancesFrom::Remembered)
        );
        assert_eq!(
            working_instances(GroupSize::ZERO, None),
            (0, InstancesFrom::Unknown)
        );
        assert_eq!(
            working_instances(GroupSize::ZERO, Some(Err("broken".into()))),
            (0, InstancesFrom::Unknown)
        );
    }
}
