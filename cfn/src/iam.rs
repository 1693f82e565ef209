//! IAM policy documents.

use indexmap::IndexMap;
use serde::Serialize;

use crate::expr::{Expr, OneOrMany};

/// The only policy language version worth writing.
pub const POLICY_VERSION: &str = "2012-10-17";

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PolicyDocument {
    pub version: String,
    pub statement: Vec<Statement>,
}

impl PolicyDocument {
    pub fn new(statement: Vec<Statement>) -> Self {
        PolicyDocument {
            version: POLICY_VERSION.to_string(),
            statement,
        }
    }

    /// The statement with this `Sid`, if any.
    pub fn statement(&self, sid: &str) -> Option<&Statement> {
        self.statement
            .iter()
            .find(|s| s.sid.as_deref() == Some(sid))
    }

    /// Every action any statement names.
    pub fn actions(&self) -> impl Iterator<Item = &str> {
        self.statement
            .iter()
            .flat_map(|s| s.action.iter().map(String::as_str))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Effect {
    Allow,
    Deny,
}

/// `Condition` block: operator → key → value(s), e.g.
/// `{"StringEquals": {"iam:PassedToService": "application-autoscaling.amazonaws.com"}}`.
pub type ConditionBlock = IndexMap<String, IndexMap<String, OneOrMany<Expr>>>;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Statement {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    pub effect: Effect,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub principal: Option<Principal>,
    pub action: OneOrMany<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource: Option<OneOrMany<Expr>>,
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub condition: ConditionBlock,
}

impl Statement {
    /// An `Allow` statement for `actions` on `resources`.
    pub fn allow<A: Into<String>>(
        actions: impl IntoIterator<Item = A>,
        resources: impl IntoIterator<Item = Expr>,
    ) -> Self {
        Statement {
            sid: None,
            effect: Effect::Allow,
            principal: None,
            action: actions
                .into_iter()
                .map(Into::into)
                .collect::<Vec<_>>()
                .into(),
            resource: Some(resources.into_iter().collect::<Vec<_>>().into()),
            condition: IndexMap::new(),
        }
    }

    /// A resource-policy statement: `principal` may `actions` on `resources`.
    pub fn grant<A: Into<String>>(
        principal: Principal,
        actions: impl IntoIterator<Item = A>,
        resources: impl IntoIterator<Item = Expr>,
    ) -> Self {
        let mut statement = Statement::trust(principal, actions);
        statement.resource = Some(resources.into_iter().collect::<Vec<_>>().into());
        statement
    }

    /// A trust-policy statement: `principal` may `actions` (no `Resource`).
    pub fn trust<A: Into<String>>(
        principal: Principal,
        actions: impl IntoIterator<Item = A>,
    ) -> Self {
        Statement {
            sid: None,
            effect: Effect::Allow,
            principal: Some(principal),
            action: actions
                .into_iter()
                .map(Into::into)
                .collect::<Vec<_>>()
                .into(),
            resource: None,
            condition: IndexMap::new(),
        }
    }

    pub fn sid(mut self, sid: impl Into<String>) -> Self {
        self.sid = Some(sid.into());
        self
    }

    /// Adds `operator: {key: value}` to the condition block.
    pub fn condition(
        mut self,
        operator: impl Into<String>,
        key: impl Into<String>,
        value: impl Into<OneOrMany<Expr>>,
    ) -> Self {
        self.condition
            .entry(operator.into())
            .or_default()
            .insert(key.into(), value.into());
        self
    }

    /// The resources as a slice-like iterator (empty for trust statements).
    pub fn resources(&self) -> impl Iterator<Item = &Expr> {
        self.resource.iter().flat_map(|r| r.iter())
    }
}

/// `Principal`: `{"Service": ...}` or `{"AWS": ...}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Principal {
    Service(OneOrMany<String>),
    #[serde(rename = "AWS")]
    Aws(OneOrMany<Expr>),
}

impl Principal {
    pub fn service(name: impl Into<String>) -> Self {
        Principal::Service(OneOrMany::One(name.into()))
    }
}
