//! Tag selectors: "every service of this cluster (or of every cluster) that carries this
//! tag when the function runs". The contract's shape ([`SelectorTarget`]), its validated form
//! ([`Selector`]) and the pure matching rule; the ECS reads live in `resolve`.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::ecs::{is_valid_ecs_name, Capacity};

/// The `cluster` that means every cluster of the region.
pub const ALL_CLUSTERS: &str = "*";
/// AWS's limits on a resource tag (ECS included): key 1–128, value 0–256 characters.
pub const MAX_TAG_KEY_CHARS: usize = 128;
pub const MAX_TAG_VALUE_CHARS: usize = 256;

/// A selector as an event (and the function's allow-list) carries it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SelectorTarget {
    /// A cluster name, or `"*"`: every cluster of the region.
    pub cluster: String,
    /// `"key=value"`, or `"key"`: the tag with any value.
    pub tag: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<i32>,
    /// The wave of every service it selects (0-9; absent: 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wave: Option<u8>,
}

impl SelectorTarget {
    pub fn new(cluster: &ClusterScope, tag: &TagMatch, capacity: Option<Capacity>) -> Self {
        SelectorTarget {
            cluster: cluster.to_string(),
            tag: tag.to_string(),
            min: capacity.map(|c| c.min),
            max: capacity.map(|c| c.max),
            wave: None,
        }
    }

    /// The same selector in `wave`; wave 0 is left out of the payload (it is the default).
    pub fn in_wave(self, wave: u8) -> Self {
        SelectorTarget {
            wave: (wave != 0).then_some(wave),
            ..self
        }
    }
}

/// One entry of the function's selector allow-list (`WORKTIME_ALLOWED_SELECTORS`), in the
/// configuration's order: which schedule's events may carry the selector. The order decides
/// which schedule a service two selectors match belongs to: the first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AllowedSelectorEntry {
    pub cluster: String,
    pub tag: String,
    /// A named schedule; absent: the default schedule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<String>,
}

/// An allow-list entry, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedSelector {
    pub cluster: ClusterScope,
    pub tag: TagMatch,
    pub schedule: Option<String>,
}

impl AllowedSelector {
    pub fn parse(entry: &AllowedSelectorEntry) -> Result<Self, String> {
        Ok(AllowedSelector {
            cluster: ClusterScope::parse(&entry.cluster)?,
            tag: TagMatch::parse(&entry.tag)?,
            schedule: entry.schedule.clone(),
        })
    }
}

/// What selects services by cluster and tag: the function's allow-list entries and the
/// CLI's `[[services]]` entries with `tag`, so that both apply [`owner`] to their own kind.
pub trait SelectsByTag {
    fn scope(&self) -> &ClusterScope;
    fn tag_match(&self) -> &TagMatch;

    /// Whether this entry selects a service of `cluster` carrying `tags`.
    fn selects<'a>(&self, cluster: &str, tags: impl Iterator<Item = (&'a str, &'a str)>) -> bool {
        self.scope().contains(cluster) && self.tag_match().matches(tags)
    }
}

impl SelectsByTag for AllowedSelector {
    fn scope(&self) -> &ClusterScope {
        &self.cluster
    }
    fn tag_match(&self) -> &TagMatch {
        &self.tag
    }
}

/// The configuration entry that owns a service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner<'a, E, S> {
    /// The service's own explicit entry.
    Entry(&'a E),
    /// The first selector, in configuration order, that selects it.
    Selector(&'a S),
}

/// The ownership rule, once for the function and the CLI: a service's explicit entry (in any
/// schedule) wins over every selector; else the first selector in configuration order whose
/// cluster and tag match it; else nobody manages it.
pub fn owner<'a, 't, E, S: SelectsByTag>(
    entry: Option<&'a E>,
    selectors: &'a [S],
    cluster: &str,
    tags: impl Iterator<Item = (&'t str, &'t str)> + Clone,
) -> Option<Owner<'a, E, S>> {
    if let Some(entry) = entry {
        return Some(Owner::Entry(entry));
    }
    selectors
        .iter()
        .find(|s| s.selects(cluster, tags.clone()))
        .map(Owner::Selector)
}

/// Who owns each service across the stack's schedules, so that every service follows one
/// schedule ([`owner`] decides).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ownership {
    /// Every explicitly configured resource id (the allow-list).
    pub explicit: std::collections::BTreeSet<String>,
    /// Every selector, in configuration order.
    pub selectors: Vec<AllowedSelector>,
}

/// Which clusters a selector looks in.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ClusterScope {
    Named(String),
    All,
}

impl ClusterScope {
    /// Whether the scope covers `cluster`.
    pub fn contains(&self, cluster: &str) -> bool {
        match self {
            ClusterScope::Named(name) => name == cluster,
            ClusterScope::All => true,
        }
    }

    pub fn parse(text: &str) -> Result<Self, String> {
        if text == ALL_CLUSTERS {
            return Ok(ClusterScope::All);
        }
        if is_valid_ecs_name(text) {
            return Ok(ClusterScope::Named(text.to_string()));
        }
        Err(format!(
            "{text:?} is neither a cluster name (1-255 letters, digits, hyphens, underscores) nor \"*\" (every cluster of the region)"
        ))
    }
}

impl fmt::Display for ClusterScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClusterScope::Named(name) => f.write_str(name),
            ClusterScope::All => f.write_str(ALL_CLUSTERS),
        }
    }
}

/// The tag a selector asks for: a key, and a value unless any value will do.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TagMatch {
    pub key: String,
    pub value: Option<String>,
}

impl TagMatch {
    /// `"key=value"` (split at the first `=`) or `"key"`. Keys are trimmed of nothing: AWS
    /// tag keys are compared exactly.
    pub fn parse(text: &str) -> Result<Self, String> {
        let (key, value) = match text.split_once('=') {
            Some((key, value)) => (key, Some(value)),
            None => (text, None),
        };
        if key.trim().is_empty() {
            return Err(format!(
                "{text:?} has an empty tag key: write \"key=value\", or \"key\" for any value"
            ));
        }
        if key.chars().count() > MAX_TAG_KEY_CHARS {
            return Err(format!(
                "the tag key of {text:?} is longer than AWS's {MAX_TAG_KEY_CHARS} characters"
            ));
        }
        if value.is_some_and(|v| v.chars().count() > MAX_TAG_VALUE_CHARS) {
            return Err(format!(
                "the tag value of {text:?} is longer than AWS's {MAX_TAG_VALUE_CHARS} characters"
            ));
        }
        Ok(TagMatch {
            key: key.to_string(),
            value: value.map(str::to_string),
        })
    }

    /// Whether a service carrying `tags` (key, value) is selected.
    pub fn matches<'a>(&self, mut tags: impl Iterator<Item = (&'a str, &'a str)>) -> bool {
        tags.any(|(key, value)| {
            key == self.key && self.value.as_deref().is_none_or(|wanted| wanted == value)
        })
    }
}

impl fmt::Display for TagMatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.value {
            Some(value) => write!(f, "{}={value}", self.key),
            None => f.write_str(&self.key),
        }
    }
}

/// A validated selector of an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selector {
    pub cluster: ClusterScope,
    pub tag: TagMatch,
    /// `None`: restore mode for every service it selects.
    pub declared: Option<Capacity>,
    /// Why the function will not resolve it (not on its allow-list): it fails, alone.
    pub refused: Option<String>,
    /// The wave of every service it selects.
    pub wave: u8,
}

impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.cluster, self.tag)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn selector(cluster: &str, tag: &str, schedule: Option<&str>) -> AllowedSelector {
        AllowedSelector {
            cluster: ClusterScope::parse(cluster).unwrap(),
            tag: TagMatch::parse(tag).unwrap(),
            schedule: schedule.map(str::to_string),
        }
    }

    #[test]
    fn an_explicit_entry_wins_then_the_first_matching_selector_then_nobody() {
        let selectors = [
            selector("prod", "team=web", Some("berlin")),
            selector("*", "team", None),
        ];
        let tags = [("team", "web")];
        let pairs = || tags.iter().copied();
        let entry = "service/prod/api".to_string();
        assert_eq!(
            owner(Some(&entry), &selectors, "prod", pairs()),
            Some(Owner::Entry(&entry))
        );
        assert_eq!(
            owner::<String, _>(None, &selectors, "prod", pairs()),
            Some(Owner::Selector(&selectors[0]))
        );
        // Another cluster: only the "*" selector looks there.
        assert_eq!(
            owner::<String, _>(None, &selectors, "staging", pairs()),
            Some(Owner::Selector(&selectors[1]))
        );
        assert_eq!(
            owner::<String, _>(None, &selectors, "prod", [("env", "dev")].into_iter()),
            None
        );
    }

    #[test]
    fn tags_parse_with_and_without_a_value() {
        assert_eq!(
            TagMatch::parse("team=web").unwrap(),
            TagMatch {
                key: "team".into(),
                value: Some("web".into())
            }
        );
        // Split at the first `=`: a value may itself hold one.
        assert_eq!(
            TagMatch::parse("expr=a=b").unwrap().value.as_deref(),
            Some("a=b")
        );
        assert_eq!(TagMatch::parse("worktime").unwrap().value, None);
        // An empty value is a value (AWS allows it), not "any value".
        assert_eq!(TagMatch::parse("k=").unwrap().value.as_deref(), Some(""));
        for bad in ["", "=web", " =x"] {
            assert!(
                TagMatch::parse(bad).unwrap_err().contains("empty tag key"),
                "{bad}"
            );
        }
        assert!(TagMatch::parse(&"k".repeat(129)).is_err());
    }

    #[test]
    fn matching_compares_key_and_value_exactly() {
        let tags = [("team", "web"), ("env", "prod")];
        let any = |t: &TagMatch| t.matches(tags.iter().copied());
        assert!(any(&TagMatch::parse("team=web").unwrap()));
        assert!(any(&TagMatch::parse("team").unwrap()));
        assert!(!any(&TagMatch::parse("team=Web").unwrap()));
        assert!(!any(&TagMatch::parse("Team").unwrap()));
        assert!(!any(&TagMatch::parse("owner").unwrap()));
    }

    #[test]
    fn cluster_scope_is_a_name_or_everything() {
        assert_eq!(ClusterScope::parse("*").unwrap(), ClusterScope::All);
        assert_eq!(
            ClusterScope::parse("prod").unwrap(),
            ClusterScope::Named("prod".into())
        );
        assert!(ClusterScope::parse("prod*").is_err());
        assert!(ClusterScope::parse("").is_err());
    }
}
