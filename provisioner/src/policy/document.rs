//! An IAM policy document as `worktime policy` prints it: statements with exact actions,
//! resources and conditions, each with the commands that need it (its `Sid` names them).

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::aws::calls::Cmd;

/// `Condition`: operator → key → values.
pub type Condition = BTreeMap<String, BTreeMap<String, Vec<String>>>;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PolicyDocument {
    #[serde(rename = "Version")]
    pub version: &'static str,
    #[serde(rename = "Statement")]
    pub statement: Vec<Statement>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Statement {
    #[serde(rename = "Sid")]
    pub sid: String,
    #[serde(rename = "Effect")]
    pub effect: &'static str,
    #[serde(rename = "Action")]
    pub action: Vec<String>,
    #[serde(rename = "Resource")]
    pub resource: Vec<String>,
    #[serde(rename = "Condition", skip_serializing_if = "BTreeMap::is_empty")]
    pub condition: Condition,
    /// The commands that need it and why it is as wide as it is: the text output's comment
    /// line (IAM has no comments).
    #[serde(skip)]
    pub commands: BTreeSet<Cmd>,
    #[serde(skip)]
    pub notes: BTreeSet<&'static str>,
}

impl PolicyDocument {
    pub fn new(statement: Vec<Statement>) -> Self {
        PolicyDocument {
            version: "2012-10-17",
            statement,
        }
    }

    /// Characters without whitespace, as IAM counts a policy's size.
    pub fn size(&self) -> usize {
        serde_json::to_string(self)
            .unwrap_or_default()
            .chars()
            .filter(|c| !c.is_whitespace())
            .count()
    }
}

/// IAM's limit for a managed policy (characters, whitespace not counted).
pub const MANAGED_POLICY_LIMIT: usize = 6144;

/// A statement id: PascalCase words, `For`, then the commands (IAM allows `[A-Za-z0-9]`).
pub fn sid(words: &str, commands: &BTreeSet<Cmd>) -> String {
    let pascal = |text: &str| -> String {
        text.split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(|w| {
                let mut chars = w.chars();
                chars
                    .next()
                    .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
                    .unwrap_or_default()
            })
            .collect()
    };
    let commands: String = commands.iter().map(|c| pascal(c.as_str())).collect();
    format!("{}For{commands}", pascal(words))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sid_names_the_commands_in_iam_characters() {
        let commands = BTreeSet::from([Cmd::Teardown, Cmd::Bootstrap]);
        let sid = sid("artifact-bucket tag keys", &commands);
        assert_eq!(sid, "ArtifactBucketTagKeysForBootstrapTeardown");
        assert!(sid.chars().all(|c| c.is_ascii_alphanumeric()));
    }
}
