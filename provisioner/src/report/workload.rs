//! What one service runs during working hours, from what ECS says about it: how its tasks are
//! placed (launch type or capacity provider strategy), the size of a task (the task
//! definition's task-level `cpu` and `memory`), how many tasks (`working_desired`), and
//! whether its saving can be given in money. Pure: the reads are `report::services`.

use std::fmt;

use serde::{Serialize, Serializer};
use worktime_lambda::{Capacity, Observed};

use super::prices::CpuArchitecture;

/// ECS `cpu` units per vCPU.
const CPU_UNITS_PER_VCPU: f64 = 1024.0;
/// MiB per GiB (ECS states task memory in MiB).
const MIB_PER_GIB: f64 = 1024.0;
/// The capacity provider that is plain Fargate On-Demand.
const FARGATE_PROVIDER: &str = "FARGATE";

/// How ECS places a service's tasks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Launch {
    /// Launch type `FARGATE`, or a capacity provider strategy of `FARGATE` alone.
    Fargate,
    /// Launch type `EC2`: tasks on container instances.
    Ec2,
    /// Launch type `EXTERNAL`: ECS Anywhere.
    External,
    /// A capacity provider strategy other than `FARGATE` alone: `FARGATE_SPOT`, an Auto
    /// Scaling group's provider, or a mix (names in strategy order).
    CapacityProviders(Vec<String>),
    /// ECS said neither.
    Unknown,
}

impl Launch {
    /// From `DescribeServices`: the launch type, else the capacity provider strategy.
    pub fn classify(launch_type: Option<&str>, providers: &[&str]) -> Launch {
        match launch_type {
            Some("FARGATE") => return Launch::Fargate,
            Some("EC2") => return Launch::Ec2,
            Some("EXTERNAL") => return Launch::External,
            _ => {}
        }
        match providers {
            [] => Launch::Unknown,
            _ if providers.iter().all(|p| *p == FARGATE_PROVIDER) => Launch::Fargate,
            _ => Launch::CapacityProviders(providers.iter().map(|p| p.to_string()).collect()),
        }
    }
}

impl fmt::Display for Launch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Launch::Fargate => f.write_str("FARGATE"),
            Launch::Ec2 => f.write_str("EC2"),
            Launch::External => f.write_str("EXTERNAL"),
            Launch::CapacityProviders(names) => f.write_str(&names.join("+")),
            Launch::Unknown => f.write_str("unknown"),
        }
    }
}

impl Serialize for Launch {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// A task's size and platform, from its task definition.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TaskSize {
    /// Task-level `cpu` in vCPU; `None`: the definition states none (EC2 tasks may not).
    pub cpu_vcpu: Option<f64>,
    /// Task-level `memory` in GiB; `None`: the definition states none.
    pub memory_gib: Option<f64>,
    /// `runtimePlatform.cpuArchitecture` (absent: x86_64, as on ECS).
    pub architecture: CpuArchitecture,
    /// `runtimePlatform.operatingSystemFamily` is a Windows one.
    pub windows: bool,
}

impl TaskSize {
    /// From the task definition's strings.
    pub fn read(
        cpu: Option<&str>,
        memory: Option<&str>,
        cpu_architecture: Option<&str>,
        operating_system: Option<&str>,
    ) -> TaskSize {
        TaskSize {
            cpu_vcpu: cpu.and_then(parse_vcpu),
            memory_gib: memory.and_then(parse_gib),
            architecture: match cpu_architecture {
                Some(arch) if arch.eq_ignore_ascii_case("ARM64") => CpuArchitecture::Arm64,
                _ => CpuArchitecture::X86_64,
            },
            windows: operating_system.is_some_and(|os| os.starts_with("WINDOWS")),
        }
    }
}

/// A task definition's `cpu`: CPU units (`"256"`) or vCPU (`"1 vCPU"`, `"0.5vcpu"`).
pub fn parse_vcpu(text: &str) -> Option<f64> {
    let text = text.trim();
    let lower = text.to_ascii_lowercase();
    let value = match lower.strip_suffix("vcpu") {
        Some(vcpu) => vcpu.trim().parse::<f64>().ok()?,
        None => text.parse::<f64>().ok()? / CPU_UNITS_PER_VCPU,
    };
    (value.is_finite() && value > 0.0).then_some(value)
}

/// A task definition's `memory`: MiB (`"512"`) or GB (`"2 GB"`, `"0.5gb"`), in GiB.
pub fn parse_gib(text: &str) -> Option<f64> {
    let text = text.trim();
    let lower = text.to_ascii_lowercase();
    let value = match lower.strip_suffix("gb") {
        Some(gb) => gb.trim().parse::<f64>().ok()?,
        None => text.parse::<f64>().ok()? / MIB_PER_GIB,
    };
    (value.is_finite() && value > 0.0).then_some(value)
}

/// Where `working_desired` comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DesiredSource {
    /// The service is up: its desired count now.
    Current,
    /// The service is down: the desired count its last scale-in remembered (the
    /// `worktime:capacity` tag), within its bounds, as scale-out restores it.
    Remembered,
    /// The service is down and remembers no count: the declared `min` (at least 1), as
    /// scale-out restores it.
    Declared,
    /// The service is down with nothing declared or remembered: scale-out cannot bring it
    /// back, so it runs no task in working hours either.
    Unknown,
}

/// The tasks a service runs in working hours, and where that figure comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkingDesired {
    pub count: i32,
    pub source: DesiredSource,
}

/// The desired count during working hours: the current one while the service is up, else the
/// count scale-out would restore (the same rule as the function's scale-out: declared bounds
/// win over remembered ones, the remembered count — else the lower bound — at least 1,
/// clamped into the bounds).
pub fn working_desired(declared: Option<Capacity>, observed: &Observed) -> WorkingDesired {
    if !observed.is_at_zero() {
        return WorkingDesired {
            count: observed.desired_count.unwrap_or(0),
            source: DesiredSource::Current,
        };
    }
    let remembered = observed.remembered;
    let remembered_count = remembered.and_then(|m| m.desired);
    let bounds = declared.or(remembered.and_then(|m| m.bounds));
    let source = if remembered_count.is_some() {
        DesiredSource::Remembered
    } else if declared.is_some() {
        DesiredSource::Declared
    } else {
        DesiredSource::Unknown
    };
    let count = match (bounds, source) {
        (_, DesiredSource::Unknown) => 0,
        (Some(bounds), _) => bounds.clamp(remembered_count.unwrap_or(bounds.min).max(1)),
        (None, _) => remembered_count.unwrap_or(1),
    };
    WorkingDesired { count, source }
}

/// Why a service's saving is given in task-hours only, if it is: the money is Fargate's
/// (On-Demand, Linux) price of the task, and nothing else has a price per task.
pub fn not_priced_reason(launch: &Launch, size: &TaskSize) -> Option<String> {
    match launch {
        Launch::Fargate if size.windows => Some(
            "Windows on Fargate adds a license fee per vCPU that worktime's price table does not \
             hold: task-hours only"
                .to_string(),
        ),
        Launch::Fargate if size.cpu_vcpu.is_none() || size.memory_gib.is_none() => Some(
            "the task definition states no task-level cpu and memory: task-hours only".to_string(),
        ),
        Launch::Fargate => None,
        Launch::Ec2 => Some(
            "EC2 launch type: the tasks run on container instances, billed by the instance, not \
             by the task; the saving is the instances the cluster's capacity provider scales in: \
             task-hours only"
                .to_string(),
        ),
        Launch::External => Some(
            "EXTERNAL launch type: the tasks run on your own servers: task-hours only".to_string(),
        ),
        Launch::CapacityProviders(names) if names.iter().any(|n| n == "FARGATE_SPOT") => {
            Some(format!(
                "capacity providers {}: Fargate Spot's price moves with spare capacity and has no \
                 list price: task-hours only",
                names.join(", ")
            ))
        }
        Launch::CapacityProviders(names) => Some(format!(
            "capacity providers {}: the tasks run on the providers' EC2 instances, billed by the \
             instance, not by the task: task-hours only",
            names.join(", ")
        )),
        Launch::Unknown => Some(
            "ECS reported neither a launch type nor a capacity provider strategy: task-hours only"
                .to_string(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use worktime_lambda::Remembered;

    use super::*;

    #[test]
    fn launch_from_launch_type_or_strategy() {
        assert_eq!(Launch::classify(Some("FARGATE"), &[]), Launch::Fargate);
        assert_eq!(Launch::classify(Some("EC2"), &[]), Launch::Ec2);
        assert_eq!(Launch::classify(Some("EXTERNAL"), &[]), Launch::External);
        assert_eq!(Launch::classify(None, &["FARGATE"]), Launch::Fargate);
        let spot = Launch::classify(None, &["FARGATE", "FARGATE_SPOT"]);
        assert_eq!(spot.to_string(), "FARGATE+FARGATE_SPOT");
        let asg = Launch::classify(None, &["team-asg"]);
        assert_eq!(asg.to_string(), "team-asg");
        assert_eq!(Launch::classify(None, &[]), Launch::Unknown);
        assert_eq!(
            serde_json::to_value(Launch::Fargate).unwrap(),
            serde_json::json!("FARGATE")
        );
    }

    #[test]
    fn task_sizes_in_units_or_with_their_unit() {
        assert_eq!(parse_vcpu("256"), Some(0.25));
        assert_eq!(parse_vcpu("1024"), Some(1.0));
        assert_eq!(parse_vcpu("1 vCPU"), Some(1.0));
        assert_eq!(parse_vcpu(".5 vcpu"), Some(0.5));
        assert_eq!(parse_gib("512"), Some(0.5));
        assert_eq!(parse_gib("2 GB"), Some(2.0));
        assert_eq!(parse_gib("3072"), Some(3.0));
        for bad in ["", "lots", "0", "-256", "NaN", "1 TB"] {
            assert_eq!(parse_vcpu(bad), None, "{bad}");
            assert_eq!(parse_gib(bad), None, "{bad}");
        }
        let size = TaskSize::read(Some("512"), Some("1024"), Some("ARM64"), Some("LINUX"));
        assert_eq!(size.cpu_vcpu, Some(0.5));
        assert_eq!(size.memory_gib, Some(1.0));
        assert_eq!(size.architecture, CpuArchitecture::Arm64);
        assert!(!size.windows);
        let default = TaskSize::read(None, None, None, Some("WINDOWS_SERVER_2022_CORE"));
        assert_eq!(default.architecture, CpuArchitecture::X86_64);
        assert!(default.windows);
    }

    fn observed(desired: i32, target: Option<(i32, i32)>, remembered: Option<&str>) -> Observed {
        Observed {
            exists: true,
            desired_count: Some(desired),
            target: target.map(|(min, max)| Capacity { min, max }),
            remembered: remembered.map(|r| Remembered::parse(r).unwrap()),
            ..Observed::default()
        }
    }

    #[test]
    fn working_desired_is_the_count_now_while_up_and_what_scale_out_restores_while_down() {
        let up = working_desired(None, &observed(3, Some((1, 6)), None));
        assert_eq!((up.count, up.source), (3, DesiredSource::Current));
        let up_without_target = working_desired(None, &observed(2, None, None));
        assert_eq!(up_without_target.count, 2);

        // Down at 0/0, remembering 2/6@4: four tasks come back.
        let down = working_desired(None, &observed(0, Some((0, 0)), Some("2/6@4")));
        assert_eq!((down.count, down.source), (4, DesiredSource::Remembered));
        // Declared bounds win over remembered ones: 4 clamped into 1/3.
        let declared = Some(Capacity { min: 1, max: 3 });
        let clamped = working_desired(declared, &observed(0, Some((0, 0)), Some("2/6@4")));
        assert_eq!(
            (clamped.count, clamped.source),
            (3, DesiredSource::Remembered)
        );
        // Declared and nothing remembered: the lower bound, at least one.
        let from_min = working_desired(declared, &observed(0, Some((0, 0)), None));
        assert_eq!(
            (from_min.count, from_min.source),
            (1, DesiredSource::Declared)
        );
        // No scalable target before scale-in: the remembered count.
        let none = working_desired(None, &observed(0, None, Some("none@5")));
        assert_eq!((none.count, none.source), (5, DesiredSource::Remembered));
        // Down with nothing to restore.
        let lost = working_desired(None, &observed(0, Some((0, 0)), None));
        assert_eq!((lost.count, lost.source), (0, DesiredSource::Unknown));
    }

    #[test]
    fn only_linux_fargate_with_a_task_size_is_priced() {
        let linux = TaskSize::read(Some("256"), Some("512"), None, None);
        assert_eq!(not_priced_reason(&Launch::Fargate, &linux), None);
        let ec2 = not_priced_reason(&Launch::Ec2, &linux).unwrap();
        assert!(ec2.starts_with("EC2 launch type"), "{ec2}");
        assert!(ec2.contains("task-hours only"), "{ec2}");
        let spot = Launch::CapacityProviders(vec!["FARGATE_SPOT".into()]);
        assert!(not_priced_reason(&spot, &linux).unwrap().contains("Spot"));
        let asg = Launch::CapacityProviders(vec!["team-asg".into()]);
        assert!(not_priced_reason(&asg, &linux)
            .unwrap()
            .contains("team-asg"));
        let windows = TaskSize::read(
            Some("1024"),
            Some("2048"),
            None,
            Some("WINDOWS_SERVER_2019_FULL"),
        );
        assert!(not_priced_reason(&Launch::Fargate, &windows)
            .unwrap()
            .contains("Windows"));
        let sizeless = TaskSize::read(None, Some("512"), None, None);
        assert!(not_priced_reason(&Launch::Fargate, &sizeless)
            .unwrap()
            .contains("cpu and memory"));
    }
}
