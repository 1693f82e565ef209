//! The template, its sections and its YAML/JSON output.

use indexmap::IndexMap;
use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};
use serde_json::Value;

use crate::expr::{ConditionExpr, Expr};
use crate::resources::ResourceProperties;

/// The only template format version there is.
pub const FORMAT_VERSION: &str = "2010-09-09";

/// Why a template could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("could not render the template: {0}")]
    Json(#[from] serde_json::Error),
    #[error(
        "{location} refers to {target:?}, which is neither a parameter, a resource nor a pseudo parameter: \
         add it or fix the name"
    )]
    UnknownReference { location: String, target: String },
    #[error("the YAML rendering does not read back as the template: {0}")]
    YamlRoundTrip(String),
}

/// A CloudFormation template. Sections keep insertion order; empty sections are left out.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Template {
    #[serde(rename = "AWSTemplateFormatVersion")]
    pub format_version: String,
    #[serde(rename = "Description", skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(rename = "Parameters", skip_serializing_if = "IndexMap::is_empty")]
    pub parameters: IndexMap<String, Parameter>,
    #[serde(rename = "Conditions", skip_serializing_if = "IndexMap::is_empty")]
    pub conditions: IndexMap<String, ConditionExpr>,
    #[serde(rename = "Resources")]
    pub resources: IndexMap<String, Resource>,
    #[serde(rename = "Outputs", skip_serializing_if = "IndexMap::is_empty")]
    pub outputs: IndexMap<String, Output>,
}

impl Default for Template {
    fn default() -> Self {
        Template::new()
    }
}

impl Template {
    pub fn new() -> Self {
        Template {
            format_version: FORMAT_VERSION.to_string(),
            description: None,
            parameters: IndexMap::new(),
            conditions: IndexMap::new(),
            resources: IndexMap::new(),
            outputs: IndexMap::new(),
        }
    }

    pub fn with_description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// Adds (or replaces) a parameter.
    pub fn parameter(&mut self, logical_id: impl Into<String>, parameter: Parameter) -> &mut Self {
        self.parameters.insert(logical_id.into(), parameter);
        self
    }

    pub fn condition(&mut self, name: impl Into<String>, condition: ConditionExpr) -> &mut Self {
        self.conditions.insert(name.into(), condition);
        self
    }

    /// Adds (or replaces) a resource.
    pub fn resource(&mut self, logical_id: impl Into<String>, resource: Resource) -> &mut Self {
        self.resources.insert(logical_id.into(), resource);
        self
    }

    pub fn output(&mut self, logical_id: impl Into<String>, output: Output) -> &mut Self {
        self.outputs.insert(logical_id.into(), output);
        self
    }

    /// Checks that every `Ref`, `Fn::GetAtt`, `Fn::Sub` variable and `DependsOn` names a
    /// parameter, a resource or a pseudo parameter.
    pub fn validate(&self) -> Result<(), Error> {
        let known = |name: &str| {
            name.starts_with("AWS::")
                || self.parameters.contains_key(name)
                || self.resources.contains_key(name)
        };
        let check = |location: String, target: &str| {
            if known(target) {
                Ok(())
            } else {
                Err(Error::UnknownReference {
                    location,
                    target: target.to_string(),
                })
            }
        };
        for (id, resource) in &self.resources {
            for dep in &resource.depends_on {
                if !self.resources.contains_key(dep) {
                    return Err(Error::UnknownReference {
                        location: format!("Resources.{id}.DependsOn"),
                        target: dep.clone(),
                    });
                }
            }
            let value = serde_json::to_value(&resource.properties)?;
            walk(&value, &format!("Resources.{id}"), &mut Vec::new(), &check)?;
        }
        for (id, output) in &self.outputs {
            let value = serde_json::to_value(output)?;
            walk(&value, &format!("Outputs.{id}"), &mut Vec::new(), &check)?;
        }
        Ok(())
    }

    /// The template as YAML: intrinsics in long form, no tags, and every string a YAML 1.1
    /// parser could misread (`OFF`, `2012-10-17`, ...) quoted.
    pub fn to_yaml(&self) -> Result<String, Error> {
        self.validate()?;
        let value = serde_json::to_value(self)?;
        let text = crate::yaml::to_string(&value);
        // The emitter is ours (see `yaml`); the serde_yaml API reads it back and must find
        // exactly the template, so a quoting mistake can never ship silently.
        let read_back: Value =
            serde_yaml::from_str(&text).map_err(|e| Error::YamlRoundTrip(e.to_string()))?;
        if read_back != value {
            return Err(Error::YamlRoundTrip(
                "the YAML reads back differently from the template".into(),
            ));
        }
        Ok(text)
    }

    /// The template as pretty-printed JSON.
    pub fn to_json(&self) -> Result<String, Error> {
        self.validate()?;
        let mut text = serde_json::to_string_pretty(self)?;
        text.push('\n');
        Ok(text)
    }
}

/// Walks a rendered value for references; `local` holds `Fn::Sub` variable names in scope.
fn walk(
    value: &Value,
    location: &str,
    local: &mut Vec<String>,
    check: &dyn Fn(String, &str) -> Result<(), Error>,
) -> Result<(), Error> {
    match value {
        Value::Object(map) if map.len() == 1 => {
            let (key, arg) = map.iter().next().expect("one entry");
            match (key.as_str(), arg) {
                ("Ref", Value::String(target)) => return check(location.to_string(), target),
                ("Fn::GetAtt", Value::Array(parts)) => {
                    if let Some(Value::String(target)) = parts.first() {
                        return check(location.to_string(), target);
                    }
                }
                ("Fn::Sub", Value::String(text)) => {
                    return check_sub(text, location, local, check);
                }
                ("Fn::Sub", Value::Array(parts)) => {
                    let mut names = local.clone();
                    if let Some(Value::Object(vars)) = parts.get(1) {
                        for (name, var) in vars {
                            walk(var, location, local, check)?;
                            names.push(name.clone());
                        }
                    }
                    if let Some(Value::String(text)) = parts.first() {
                        return check_sub(text, location, &mut names, check);
                    }
                    return Ok(());
                }
                _ => {}
            }
            walk(arg, &format!("{location}.{key}"), local, check)
        }
        Value::Object(map) => {
            for (key, v) in map {
                walk(v, &format!("{location}.{key}"), local, check)?;
            }
            Ok(())
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                walk(v, &format!("{location}[{i}]"), local, check)?;
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

fn check_sub(
    text: &str,
    location: &str,
    local: &mut [String],
    check: &dyn Fn(String, &str) -> Result<(), Error>,
) -> Result<(), Error> {
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else { break };
        let name = &after[..end];
        rest = &after[end + 1..];
        // `${!Literal}` is an escape, not a reference.
        if name.starts_with('!') {
            continue;
        }
        let target = name.split('.').next().unwrap_or(name);
        if local.iter().any(|l| l == name) {
            continue;
        }
        check(location.to_string(), target)?;
    }
    Ok(())
}

/// `DeletionPolicy` / `UpdateReplacePolicy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum DeletionPolicy {
    Delete,
    Retain,
    RetainExceptOnCreate,
    Snapshot,
}

/// One resource: its typed properties plus the resource attributes.
#[derive(Debug, Clone, PartialEq)]
pub struct Resource {
    pub properties: ResourceProperties,
    pub depends_on: Vec<String>,
    pub deletion_policy: Option<DeletionPolicy>,
    pub update_replace_policy: Option<DeletionPolicy>,
    pub condition: Option<String>,
    /// `Metadata`: checkov skips, cfn-lint suppressions, anything else.
    pub metadata: IndexMap<String, Value>,
}

impl Resource {
    pub fn new(properties: impl Into<ResourceProperties>) -> Self {
        Resource {
            properties: properties.into(),
            depends_on: Vec::new(),
            deletion_policy: None,
            update_replace_policy: None,
            condition: None,
            metadata: IndexMap::new(),
        }
    }

    /// The CloudFormation type, e.g. `AWS::Lambda::Function`.
    pub fn type_name(&self) -> &'static str {
        self.properties.type_name()
    }

    pub fn depends_on(mut self, logical_id: impl Into<String>) -> Self {
        self.depends_on.push(logical_id.into());
        self
    }

    /// Sets both `DeletionPolicy` and `UpdateReplacePolicy`.
    pub fn deletion_policy(mut self, policy: DeletionPolicy) -> Self {
        self.deletion_policy = Some(policy);
        self.update_replace_policy = Some(policy);
        self
    }

    pub fn condition(mut self, name: impl Into<String>) -> Self {
        self.condition = Some(name.into());
        self
    }

    /// Records a checkov skip with its reason:
    /// `Metadata: {checkov: {skip: [{id, comment}]}}`.
    pub fn skip_checkov(mut self, id: &str, reason: &str) -> Self {
        let entry = serde_json::json!({ "id": id, "comment": reason });
        let checkov = self
            .metadata
            .entry("checkov".to_string())
            .or_insert_with(|| serde_json::json!({ "skip": [] }));
        if let Some(list) = checkov.get_mut("skip").and_then(Value::as_array_mut) {
            list.push(entry);
        }
        self
    }

    /// Suppresses a cfn-lint rule for this resource:
    /// `Metadata: {cfn-lint: {config: {ignore_checks: [..]}}}`.
    pub fn ignore_cfn_lint(mut self, rule: &str) -> Self {
        let cfn_lint = self
            .metadata
            .entry("cfn-lint".to_string())
            .or_insert_with(|| serde_json::json!({ "config": { "ignore_checks": [] } }));
        if let Some(list) = cfn_lint
            .pointer_mut("/config/ignore_checks")
            .and_then(Value::as_array_mut)
        {
            list.push(Value::String(rule.to_string()));
        }
        self
    }

    /// The checkov skips recorded on this resource, as `(id, reason)`.
    pub fn checkov_skips(&self) -> Vec<(String, String)> {
        self.metadata
            .get("checkov")
            .and_then(|c| c.get("skip"))
            .and_then(Value::as_array)
            .map(|list| {
                list.iter()
                    .map(|e| {
                        let field =
                            |k: &str| e.get(k).and_then(Value::as_str).unwrap_or("").to_string();
                        (field("id"), field("comment"))
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

impl Serialize for Resource {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("Type", self.type_name())?;
        map.serialize_entry("Properties", &self.properties)?;
        if !self.depends_on.is_empty() {
            map.serialize_entry("DependsOn", &self.depends_on)?;
        }
        if let Some(policy) = &self.deletion_policy {
            map.serialize_entry("DeletionPolicy", policy)?;
        }
        if let Some(policy) = &self.update_replace_policy {
            map.serialize_entry("UpdateReplacePolicy", policy)?;
        }
        if let Some(condition) = &self.condition {
            map.serialize_entry("Condition", condition)?;
        }
        if !self.metadata.is_empty() {
            map.serialize_entry("Metadata", &self.metadata)?;
        }
        map.end()
    }
}

/// A template parameter.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Parameter {
    #[serde(rename = "Type")]
    pub type_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed_pattern: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub allowed_values: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_length: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_length: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub constraint_description: Option<String>,
}

impl Parameter {
    /// A `String` parameter.
    pub fn string(description: impl Into<String>) -> Self {
        Parameter {
            type_name: "String".to_string(),
            description: Some(description.into()),
            default: None,
            allowed_pattern: None,
            allowed_values: Vec::new(),
            min_length: None,
            max_length: None,
            constraint_description: None,
        }
    }
}

/// A template output.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Output {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub value: Expr,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub export: Option<Export>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub condition: Option<String>,
}

impl Output {
    pub fn new(description: impl Into<String>, value: Expr) -> Self {
        Output {
            description: Some(description.into()),
            value,
            export: None,
            condition: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Export {
    pub name: Expr,
}
