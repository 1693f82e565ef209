//! A woken service's routes at night and back in the morning, as pure functions: the forward
//! action of a rule (or a listener's default action) that sends requests to the service is
//! rewritten so that they go to the wake target group only, and put back exactly as it was.
//!
//! - **Asleep**: every target group of the original forward stays in it at weight 0 (ECS
//!   refuses a service whose target group belongs to no listener) and the wake target group
//!   is added at weight 1; group stickiness is turned off, since a sticky client would
//!   otherwise keep being sent to the sleeping service's empty group ("Listeners for your
//!   Application Load Balancers", ELB User Guide: with group stickiness, a request goes to
//!   the target group in its cookie whatever the weights).
//! - **Memory**: what the original had that the rewrite changed (each group's weight, whether
//!   it was given as a plain `TargetGroupArn`, its stickiness) and a fingerprint of the action
//!   written, kept as one tag value on the rule (at most 256 characters, the ELB tag limit).
//! - **Restore**: only when the action is still the one written (its fingerprint matches):
//!   a rule someone changed since is not overwritten, and the caller fails the service with
//!   the reason; nothing is guessed.

use std::fmt;

/// The tag on a rule or listener holding its [`Memory`] while the service sleeps.
pub const ROUTE_MEMORY_TAG: &str = "worktime:wake-route";
/// The weight of the wake target group in a sleeping service's forward.
pub const WAKE_WEIGHT: i32 = 1;
/// ELB's longest tag value.
const MAX_TAG_VALUE: usize = 256;

/// A forward action: its target groups and weights, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Forward {
    /// Target group ARN and weight (`None`: not given, which ELB reads as 1).
    pub groups: Vec<(String, Option<i32>)>,
    /// Group stickiness: enabled, and its duration in seconds.
    pub stickiness: Option<(bool, Option<i32>)>,
    /// Given as the action's `TargetGroupArn` alone (one group, no `ForwardConfig`).
    pub single: bool,
}

/// What a rewrite changed, to put the action back exactly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Memory {
    /// The original weight of each group, in the rewritten action's order.
    pub weights: Vec<Option<i32>>,
    pub stickiness: Option<(bool, Option<i32>)>,
    pub single: bool,
    /// [`fingerprint`] of the action written.
    pub fingerprint: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RouteError {
    /// The forward already sends to the wake target group: it is asleep.
    AlreadyAsleep,
    /// The action is not the one worktime wrote (someone changed the rule since).
    ChangedSince,
    /// The memory tag cannot be read.
    BadMemory(String),
    /// The memory does not fit in a tag.
    TooLong(usize),
}

impl fmt::Display for RouteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RouteError::AlreadyAsleep => f.write_str("the rule already forwards to the wake target group"),
            RouteError::ChangedSince => f.write_str(
                "the rule was changed since worktime pointed it at the wake target group: it is left as it is; put it back by hand and remove its worktime:wake-route tag",
            ),
            RouteError::BadMemory(why) => write!(f, "the rule's {ROUTE_MEMORY_TAG} tag cannot be read ({why}): the rule is left as it is"),
            RouteError::TooLong(n) => write!(f, "the rule's memory would take {n} characters, more than a tag's {MAX_TAG_VALUE}: it forwards to too many target groups"),
        }
    }
}

impl std::error::Error for RouteError {}

/// FNV-1a, 64 bits: the same on every platform and release (unlike `DefaultHasher`), for a
/// fingerprint that outlives the function's version.
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

fn weight_text(weight: Option<i32>) -> String {
    weight.map_or_else(|| "-".to_string(), |w| w.to_string())
}

fn stickiness_text(stickiness: Option<(bool, Option<i32>)>) -> String {
    match stickiness {
        None => "-".into(),
        Some((on, seconds)) => format!("{}:{}", u8::from(on), weight_text(seconds)),
    }
}

/// A short digest of what `forward` does: groups, weights, stickiness. Stickiness turned off
/// counts as none: ELB describes a forward written without it as `Enabled: false`.
pub fn fingerprint(forward: &Forward) -> String {
    let mut text: String = forward
        .groups
        .iter()
        .map(|(arn, w)| format!("{arn}={};", weight_text(*w)))
        .collect();
    let stickiness = forward.stickiness.filter(|(on, _)| *on);
    text.push_str(&stickiness_text(stickiness));
    format!("{:016x}", fnv1a(&text))
}

/// The sleeping service's forward, and what it changed.
pub fn asleep(original: &Forward, wake_group: &str) -> Result<(Forward, Memory), RouteError> {
    if original.groups.iter().any(|(arn, _)| arn == wake_group) {
        return Err(RouteError::AlreadyAsleep);
    }
    let mut groups: Vec<(String, Option<i32>)> = original
        .groups
        .iter()
        .map(|(arn, _)| (arn.clone(), Some(0)))
        .collect();
    groups.push((wake_group.to_string(), Some(WAKE_WEIGHT)));
    let written = Forward {
        groups,
        stickiness: original.stickiness.map(|_| (false, None)),
        single: false,
    };
    let memory = Memory {
        weights: original.groups.iter().map(|(_, w)| *w).collect(),
        stickiness: original.stickiness,
        single: original.single,
        fingerprint: fingerprint(&written),
    };
    let encoded = memory.encode();
    if encoded.len() > MAX_TAG_VALUE {
        return Err(RouteError::TooLong(encoded.len()));
    }
    Ok((written, memory))
}

/// The original forward, from the one `current` (what the rule has now) and its memory;
/// refused when `current` is not what worktime wrote.
pub fn restored(
    current: &Forward,
    memory: &Memory,
    wake_group: &str,
) -> Result<Forward, RouteError> {
    if fingerprint(current) != memory.fingerprint {
        return Err(RouteError::ChangedSince);
    }
    let groups: Vec<&String> = current
        .groups
        .iter()
        .map(|(arn, _)| arn)
        .filter(|arn| *arn != wake_group)
        .collect();
    if groups.len() != memory.weights.len() || groups.len() + 1 != current.groups.len() {
        return Err(RouteError::ChangedSince);
    }
    Ok(Forward {
        groups: groups
            .into_iter()
            .cloned()
            .zip(memory.weights.iter().copied())
            .collect(),
        stickiness: memory.stickiness,
        single: memory.single,
    })
}

impl Memory {
    /// As a tag value: `v1 w=<weights> s=<stickiness> t=<single> f=<fingerprint>`.
    pub fn encode(&self) -> String {
        let weights: Vec<String> = self.weights.iter().map(|w| weight_text(*w)).collect();
        format!(
            "v1 w={} s={} t={} f={}",
            weights.join(","),
            stickiness_text(self.stickiness),
            u8::from(self.single),
            self.fingerprint
        )
    }

    pub fn decode(text: &str) -> Result<Memory, RouteError> {
        let bad = |why: &str| RouteError::BadMemory(why.to_string());
        let mut parts = text.split(' ');
        if parts.next() != Some("v1") {
            return Err(bad("not a v1 memory"));
        }
        let mut field = |name: &str| {
            parts
                .next()
                .and_then(|p| p.strip_prefix(name))
                .ok_or_else(|| bad(&format!("no {name}")))
        };
        let number = |t: &str| -> Result<Option<i32>, RouteError> {
            match t {
                "-" => Ok(None),
                n => n
                    .parse()
                    .map(Some)
                    .map_err(|_| bad("a weight is not a number")),
            }
        };
        let weights = field("w=")?
            .split(',')
            .map(number)
            .collect::<Result<Vec<_>, _>>()?;
        let stickiness = match field("s=")? {
            "-" => None,
            s => {
                let (on, seconds) = s.split_once(':').ok_or_else(|| bad("stickiness"))?;
                Some((on == "1", number(seconds)?))
            }
        };
        let single = field("t=")? == "1";
        let fingerprint = field("f=")?.to_string();
        if fingerprint.len() != 16 {
            return Err(bad("fingerprint"));
        }
        Ok(Memory {
            weights,
            stickiness,
            single,
            fingerprint,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WAKE: &str = "arn:aws:elasticloadbalancing:r:1:targetgroup/wt-wake0/9";
    const API: &str = "arn:aws:elasticloadbalancing:r:1:targetgroup/api/1";
    const CANARY: &str = "arn:aws:elasticloadbalancing:r:1:targetgroup/api-canary/2";

    fn single() -> Forward {
        Forward {
            groups: vec![(API.into(), None)],
            stickiness: None,
            single: true,
        }
    }

    fn weighted() -> Forward {
        Forward {
            groups: vec![(API.into(), Some(90)), (CANARY.into(), Some(10))],
            stickiness: Some((true, Some(3600))),
            single: false,
        }
    }

    #[test]
    fn asleep_keeps_every_group_at_weight_0_and_sends_everything_to_the_wake_group() {
        let (written, memory) = asleep(&weighted(), WAKE).unwrap();
        assert_eq!(
            written.groups,
            vec![
                (API.to_string(), Some(0)),
                (CANARY.to_string(), Some(0)),
                (WAKE.to_string(), Some(1))
            ]
        );
        assert_eq!(
            written.stickiness,
            Some((false, None)),
            "no client stays stuck"
        );
        assert!(!written.single);
        assert_eq!(memory.weights, vec![Some(90), Some(10)]);
        assert_eq!(memory.fingerprint, fingerprint(&written));
    }

    #[test]
    fn restored_is_exactly_the_original_for_a_plain_and_a_weighted_forward() {
        for original in [single(), weighted()] {
            let (written, memory) = asleep(&original, WAKE).unwrap();
            let memory = Memory::decode(&memory.encode()).unwrap();
            assert_eq!(restored(&written, &memory, WAKE).unwrap(), original);
        }
    }

    #[test]
    fn a_rule_changed_since_is_not_restored() {
        let (mut written, memory) = asleep(&weighted(), WAKE).unwrap();
        written.groups[0].1 = Some(5);
        assert_eq!(
            restored(&written, &memory, WAKE),
            Err(RouteError::ChangedSince)
        );
        let (mut written, memory) = asleep(&single(), WAKE).unwrap();
        written.groups.push((CANARY.into(), Some(0)));
        assert_eq!(
            restored(&written, &memory, WAKE),
            Err(RouteError::ChangedSince)
        );
        assert!(RouteError::ChangedSince
            .to_string()
            .contains("left as it is"));
    }

    #[test]
    fn a_forward_described_back_with_stickiness_off_is_still_the_one_written() {
        let (mut written, memory) = asleep(&single(), WAKE).unwrap();
        written.stickiness = Some((false, None));
        assert_eq!(restored(&written, &memory, WAKE).unwrap(), single());
    }

    #[test]
    fn a_forward_to_the_wake_group_is_already_asleep() {
        let (written, _) = asleep(&single(), WAKE).unwrap();
        assert_eq!(asleep(&written, WAKE), Err(RouteError::AlreadyAsleep));
    }

    #[test]
    fn the_memory_is_a_short_tag_value_and_a_bad_one_is_refused() {
        let (_, memory) = asleep(&weighted(), WAKE).unwrap();
        let text = memory.encode();
        assert!(text.len() <= MAX_TAG_VALUE, "{text}");
        assert!(text.starts_with("v1 w=90,10 s=1:3600 t=0 f="), "{text}");
        assert_eq!(Memory::decode(&text).unwrap(), memory);
        for bad in [
            "",
            "v2 w=1",
            "v1 w=x s=- t=0 f=0123456789abcdef",
            "v1 w=1 s=- t=0 f=12",
        ] {
            assert!(
                matches!(Memory::decode(bad), Err(RouteError::BadMemory(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn the_fingerprint_is_stable_across_releases() {
        // A rule rewritten by one version of the function is restored by the next.
        assert_eq!(fingerprint(&single()), "68adc6772b814157");
    }
}
