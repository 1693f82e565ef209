//! The EC2 capacity under a cluster's services (`[[capacity]]`): what a step does to an Auto
//! Scaling group at night and in the morning, what is remembered of it (the value of its
//! `worktime:capacity` tag), and when the morning's instances are there. Pure: no SDK types,
//! no I/O (`groups_io` reads and writes).
//!
//! At night, once every wave of services is down, a group is set to 0/0/0 after its size is
//! written to the tag; a group already at 0/0/0 is left alone, tag and all, so a retried or
//! repeated night never overwrites the remembered size with zeros (0/0/0 is never
//! remembered). In the morning, first of all ("wave -1"), a group at 0/0/0 gets its remembered
//! size back; a group that is not at 0/0/0 is up already (restored by an earlier step, or sized
//! by someone since) and is left as it is. The stage is ready once the cluster has as many
//! ACTIVE container instances as its groups' desired capacity: the ECS container agent
//! registers each instance when it starts.
//!
//! Value format (Auto Scaling tag values: up to 256 characters): `min/max@desired`, e.g.
//! `1/4@2`. A value that is unreadable, inconsistent (min > max, desired outside the bounds),
//! absurd (negative, above [`MAX_GROUP_SIZE`]) or 0/0@0 is refused with a reason naming the tag
//! and the value: nothing is guessed.

use std::fmt;

use serde::Serialize;

use crate::tags::CAPACITY_TAG;
use crate::waves::Check;

/// More instances than any remembered value may hold (a broken or tampered tag): well above
/// the EC2 quotas of any account worktime serves.
pub const MAX_GROUP_SIZE: i32 = 10_000;

/// An Auto Scaling group's size: `MinSize`, `MaxSize`, `DesiredCapacity`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct GroupSize {
    pub min: i32,
    pub max: i32,
    pub desired: i32,
}

impl GroupSize {
    /// What a group is at night.
    pub const ZERO: GroupSize = GroupSize {
        min: 0,
        max: 0,
        desired: 0,
    };

    /// Whether the group may run no instance at all (0/0/0, or any size whose max is 0).
    pub fn is_zero(self) -> bool {
        self.max <= 0 && self.desired <= 0
    }

    /// Reads and checks a `worktime:capacity` tag value. The error names the tag and the
    /// value, and says how to fix it.
    pub fn parse(value: &str) -> Result<Self, String> {
        parse_value(value).map_err(|problem| {
            format!(
                "tag {CAPACITY_TAG} = {value:?}: {problem}; fix the tag to \"min/max@desired\" \
                 (the group's working-hours size) or remove it and size the group by hand"
            )
        })
    }
}

impl fmt::Display for GroupSize {
    /// The tag value: `min/max@desired`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}@{}", self.min, self.max, self.desired)
    }
}

fn parse_value(value: &str) -> Result<GroupSize, String> {
    let (bounds, desired) = value
        .trim()
        .split_once('@')
        .ok_or("not of the form min/max@desired")?;
    let (min, max) = bounds
        .split_once('/')
        .ok_or("not of the form min/max@desired")?;
    let size = GroupSize {
        min: number("min", min)?,
        max: number("max", max)?,
        desired: number("desired", desired)?,
    };
    if size.min > size.max {
        return Err(format!("min {} is greater than max {}", size.min, size.max));
    }
    if !(size.min..=size.max).contains(&size.desired) {
        return Err(format!(
            "desired capacity {} is outside {}/{}",
            size.desired, size.min, size.max
        ));
    }
    if size.is_zero() {
        return Err(
            "0/0@0 is not a size to restore: the group would stay down all day".to_string(),
        );
    }
    Ok(size)
}

fn number(what: &str, text: &str) -> Result<i32, String> {
    crate::memory::remembered_count(what, text, MAX_GROUP_SIZE, "instances")
}

/// What a step does to one group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupPlan {
    /// Nothing to write: the group is where the stage wants it.
    Keep,
    /// Nothing to write, on purpose: why the group stays as it is (services on its cluster
    /// still run at night; a skip date in the morning). Not a failure.
    Leave(String),
    /// Night: write `remember` to the tag, then set the group to 0/0/0.
    ScaleIn { remember: GroupSize },
    /// Morning: give the group this size back.
    Restore(GroupSize),
    /// Nothing can be done safely: why, and how to fix it.
    Refuse(String),
}

/// The night's plan for a group of size `current`: remember it and set it to 0/0/0, unless
/// it is at 0/0/0 already (then its tag, from the night that took it down, is kept), or
/// `running` names services of its cluster that still want or run tasks (held, excluded,
/// or not stopped): their tasks would lose their instances.
pub fn plan_night(current: GroupSize, running: &[String]) -> GroupPlan {
    if current.is_zero() {
        GroupPlan::Keep
    } else if !running.is_empty() {
        GroupPlan::Leave(format!(
            "kept at {current}: {} still want or run tasks on its instances (held, excluded \
             or not stopped)",
            running.join(", ")
        ))
    } else {
        GroupPlan::ScaleIn { remember: current }
    }
}

/// The morning's plan for a group of size `current` whose tag says `remembered` (`None`: no
/// tag; `Some(Err)`: a tag that does not parse, with why). On a skip date the services stay
/// down, and so does the group.
pub fn plan_morning(
    current: GroupSize,
    remembered: Option<Result<GroupSize, String>>,
    skip_date: bool,
) -> GroupPlan {
    if !current.is_zero() {
        return GroupPlan::Keep;
    }
    if skip_date {
        return GroupPlan::Leave(
            "the scheduled date is a skip date in the schedule's time zone: the group stays \
             at 0/0/0"
                .to_string(),
        );
    }
    match remembered {
        Some(Ok(size)) => GroupPlan::Restore(size),
        Some(Err(reason)) => GroupPlan::Refuse(reason),
        None => GroupPlan::Refuse(format!(
            "the group is at 0/0/0 and has no {CAPACITY_TAG} tag, so nothing says what to \
             restore: give it its working-hours size (UpdateAutoScalingGroup), and worktime \
             remembers it from the next night on"
        )),
    }
}

/// The size a group has once `plan` is applied to `current`.
pub fn size_after(current: GroupSize, plan: &GroupPlan) -> GroupSize {
    match plan {
        GroupPlan::Keep | GroupPlan::Leave(_) | GroupPlan::Refuse(_) => current,
        GroupPlan::ScaleIn { .. } => GroupSize::ZERO,
        GroupPlan::Restore(size) => *size,
    }
}

/// What a teardown does to a group it leaves for good.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleasePlan {
    /// The size to give back: the group is at 0/0/0 and remembers one.
    pub restore: Option<GroupSize>,
    /// Whether the `worktime:capacity` tag comes off (once the size is given back, if any).
    pub untag: bool,
    /// Why the group cannot be given back (it keeps its tag: the only record of its size).
    pub problem: Option<String>,
}

/// A teardown's plan for a group of size `current` whose tag says `remembered`: a group
/// worktime left at 0/0/0 gets its remembered size back; a group that is up keeps whatever
/// the day made of it. The tag comes off either way, except when it is all that says what
/// a group at 0/0/0 had.
pub fn plan_release(
    current: GroupSize,
    remembered: Option<Result<GroupSize, String>>,
) -> ReleasePlan {
    let (restore, untag, problem) = match (remembered, current.is_zero()) {
        (None, _) => (None, false, None),
        (Some(_), false) => (None, true, None),
        (Some(Ok(size)), true) => (Some(size), true, None),
        (Some(Err(reason)), true) => (None, false, Some(reason)),
    };
    ReleasePlan {
        restore,
        untag,
        problem,
    }
}

/// Whether a cluster's morning instances are there: `active` ACTIVE container instances for
/// `wanted`, the desired capacity of the cluster's groups.
pub fn instances_check(cluster: &str, wanted: i32, active: usize) -> Check {
    let wanted_count = usize::try_from(wanted).unwrap_or(0);
    if active >= wanted_count {
        Check::Ready
    } else {
        Check::Pending(format!(
            "{active} of {wanted} container instance(s) registered and ACTIVE in cluster \
             {cluster}"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn size(min: i32, max: i32, desired: i32) -> GroupSize {
        GroupSize { min, max, desired }
    }

    #[test]
    fn values_round_trip() {
        for (text, expected) in [("1/4@2", size(1, 4, 2)), ("0/3@0", size(0, 3, 0))] {
            let parsed = GroupSize::parse(text).unwrap();
            assert_eq!(parsed, expected);
            assert_eq!(parsed.to_string(), text);
        }
        assert_eq!(GroupSize::parse(" 2/2@2 ").unwrap(), size(2, 2, 2));
    }

    #[test]
    fn bad_values_are_refused_naming_tag_and_value() {
        for (text, problem) in [
            ("", "not of the form"),
            ("1/4", "not of the form"),
            ("1-4@2", "not of the form"),
            ("1/x@2", "max \"x\" is not a whole number"),
            ("5/4@4", "greater than max"),
            ("1/4@5", "outside 1/4"),
            ("-1/4@2", "negative"),
            ("0/99999@1", "more than 10000"),
            ("0/0@0", "0/0@0"),
        ] {
            let err = GroupSize::parse(text).unwrap_err();
            assert!(
                err.starts_with(&format!("tag worktime:capacity = {text:?}: ")),
                "{err}"
            );
            assert!(err.contains(problem), "{text}: {err}");
        }
    }

    #[test]
    fn the_night_remembers_the_size_and_never_zeros() {
        assert_eq!(
            plan_night(size(1, 4, 2), &[]),
            GroupPlan::ScaleIn {
                remember: size(1, 4, 2)
            }
        );
        // A retried or second night finds the group down: it keeps the tag as it is.
        assert_eq!(plan_night(GroupSize::ZERO, &[]), GroupPlan::Keep);
        // A size a person left during the night (0/3 with nothing desired) is remembered as is.
        assert_eq!(
            plan_night(size(0, 3, 0), &[]),
            GroupPlan::ScaleIn {
                remember: size(0, 3, 0)
            }
        );
        assert_eq!(
            size_after(size(1, 4, 2), &plan_night(size(1, 4, 2), &[])),
            GroupSize::ZERO
        );
        // A held service still runs on the cluster: its instances stay.
        let held = plan_night(size(1, 4, 2), &["service/prod/api".to_string()]);
        let GroupPlan::Leave(why) = &held else {
            panic!("{held:?}")
        };
        assert!(why.contains("kept at 1/4@2: service/prod/api"), "{why}");
        assert_eq!(size_after(size(1, 4, 2), &held), size(1, 4, 2));
    }

    #[test]
    fn the_morning_restores_a_group_at_zero_and_leaves_one_that_is_up() {
        assert_eq!(
            plan_morning(GroupSize::ZERO, Some(Ok(size(1, 4, 2))), false),
            GroupPlan::Restore(size(1, 4, 2))
        );
        // Restored by an earlier step (a retry), or sized by someone: left as it is.
        assert_eq!(
            plan_morning(size(1, 4, 3), Some(Ok(size(1, 4, 2))), false),
            GroupPlan::Keep
        );
        assert_eq!(plan_morning(size(1, 4, 3), None, false), GroupPlan::Keep);
        // A skip date: the services stay down, and the group with them.
        let skipped = plan_morning(GroupSize::ZERO, Some(Ok(size(1, 4, 2))), true);
        assert!(
            matches!(&skipped, GroupPlan::Leave(why) if why.contains("skip date")),
            "{skipped:?}"
        );
        assert_eq!(size_after(GroupSize::ZERO, &skipped), GroupSize::ZERO);
        let GroupPlan::Refuse(why) = plan_morning(GroupSize::ZERO, None, false) else {
            panic!("a group at zero without a tag is refused")
        };
        assert!(why.contains("no worktime:capacity tag"), "{why}");
        let broken = GroupSize::parse("0/0@0").map(|_| ());
        let GroupPlan::Refuse(why) = plan_morning(
            GroupSize::ZERO,
            Some(broken.map(|()| GroupSize::ZERO)),
            false,
        ) else {
            panic!("a broken tag is refused")
        };
        assert!(why.contains("0/0@0"), "{why}");
        assert_eq!(
            size_after(GroupSize::ZERO, &GroupPlan::Restore(size(1, 4, 2))),
            size(1, 4, 2)
        );
    }

    #[test]
    fn a_teardown_gives_back_a_group_at_zero_and_untags_one_that_is_up() {
        let remembered = Some(Ok(size(1, 4, 2)));
        assert_eq!(
            plan_release(GroupSize::ZERO, remembered.clone()),
            ReleasePlan {
                restore: Some(size(1, 4, 2)),
                untag: true,
                problem: None
            }
        );
        assert_eq!(
            plan_release(size(1, 4, 3), remembered),
            ReleasePlan {
                restore: None,
                untag: true,
                problem: None
            }
        );
        assert_eq!(
            plan_release(size(1, 4, 3), None),
            ReleasePlan {
                restore: None,
                untag: false,
                problem: None
            }
        );
        let broken = plan_release(GroupSize::ZERO, Some(Err("tag unreadable".into())));
        assert_eq!(broken.restore, None);
        assert!(!broken.untag, "the tag is all that says what the group had");
        assert_eq!(broken.problem.as_deref(), Some("tag unreadable"));
        assert!(plan_release(size(1, 1, 1), Some(Err("x".into()))).untag);
    }

    #[test]
    fn instances_are_ready_once_the_cluster_has_as_many_active_as_desired() {
        assert_eq!(instances_check("prod", 2, 2), Check::Ready);
        assert_eq!(instances_check("prod", 2, 3), Check::Ready);
        assert_eq!(instances_check("prod", 0, 0), Check::Ready);
        assert_eq!(
            instances_check("prod", 2, 1),
            Check::Pending(
                "1 of 2 container instance(s) registered and ACTIVE in cluster prod".into()
            )
        );
    }
}
