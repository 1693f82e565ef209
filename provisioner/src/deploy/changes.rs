//! What a change set (or a stack set's template comparison) would do, one line per resource
//! or parameter.

use std::fmt;

use serde::Serialize;

/// The kind of one planned change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChangeKind {
    Add,
    Modify,
    Remove,
    Replace,
    /// CloudFormation's `Import`, `Dynamic` or a kind this version does not know.
    Other,
    /// A parameter value changes (new code, say) with the template as it is.
    Parameter,
}

impl fmt::Display for ChangeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `pad`, so that table widths (`{:<9}`) apply.
        f.pad(match self {
            ChangeKind::Add => "add",
            ChangeKind::Modify => "modify",
            ChangeKind::Remove => "remove",
            ChangeKind::Replace => "replace",
            ChangeKind::Other => "change",
            ChangeKind::Parameter => "parameter",
        })
    }
}

/// One line of a planned change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlannedChange {
    pub action: ChangeKind,
    pub logical_id: String,
    pub resource_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl fmt::Display for PlannedChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut line = format!(
            "{:<9} {:<24} {}",
            self.action, self.logical_id, self.resource_type
        );
        if let Some(detail) = &self.detail {
            line.push_str(&format!(" {detail}"));
        }
        f.write_str(line.trim_end())
    }
}
