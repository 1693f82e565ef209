//! Values that may be literal strings or CloudFormation intrinsic functions.

use indexmap::IndexMap;
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};

/// A pseudo parameter, always used through `Ref`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Pseudo {
    AccountId,
    Region,
    Partition,
    StackName,
    StackId,
    UrlSuffix,
    NoValue,
}

impl Pseudo {
    /// The name CloudFormation knows it by.
    pub fn as_str(self) -> &'static str {
        match self {
            Pseudo::AccountId => "AWS::AccountId",
            Pseudo::Region => "AWS::Region",
            Pseudo::Partition => "AWS::Partition",
            Pseudo::StackName => "AWS::StackName",
            Pseudo::StackId => "AWS::StackId",
            Pseudo::UrlSuffix => "AWS::URLSuffix",
            Pseudo::NoValue => "AWS::NoValue",
        }
    }
}

/// A string-valued expression: a literal or an intrinsic function.
///
/// Intrinsics always serialise in the long (JSON) form, `{"Ref": "X"}`, in YAML as in JSON:
/// no `!Ref` tags, so every YAML parser (PyYAML included) reads the template.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A literal string.
    Str(String),
    /// `{"Ref": "LogicalId"}` (a resource or a parameter).
    Ref(String),
    /// `{"Ref": "AWS::Region"}` and friends.
    Pseudo(Pseudo),
    /// `{"Fn::GetAtt": ["LogicalId", "Attribute"]}`.
    GetAtt(String, String),
    /// `{"Fn::Sub": "text"}` or `{"Fn::Sub": ["text", {vars}]}` when `vars` is not empty.
    Sub(String, IndexMap<String, Expr>),
    /// `{"Fn::Join": ["delimiter", [parts]]}`.
    Join(String, Vec<Expr>),
    /// `{"Fn::If": ["Condition", then, else]}`.
    If(String, Box<Expr>, Box<Expr>),
}

impl Expr {
    pub fn str(value: impl Into<String>) -> Self {
        Expr::Str(value.into())
    }

    pub fn reference(logical_id: impl Into<String>) -> Self {
        Expr::Ref(logical_id.into())
    }

    pub fn pseudo(pseudo: Pseudo) -> Self {
        Expr::Pseudo(pseudo)
    }

    pub fn get_att(logical_id: impl Into<String>, attribute: impl Into<String>) -> Self {
        Expr::GetAtt(logical_id.into(), attribute.into())
    }

    /// `Fn::Sub` without variables: `${AWS::Region}`, `${Res}`, `${Res.Attr}` are resolved.
    pub fn sub(template: impl Into<String>) -> Self {
        Expr::Sub(template.into(), IndexMap::new())
    }

    /// `Fn::Sub` with a variables map.
    pub fn sub_with<K: Into<String>>(
        template: impl Into<String>,
        vars: impl IntoIterator<Item = (K, Expr)>,
    ) -> Self {
        Expr::Sub(
            template.into(),
            vars.into_iter().map(|(k, v)| (k.into(), v)).collect(),
        )
    }

    pub fn join(delimiter: impl Into<String>, parts: impl IntoIterator<Item = Expr>) -> Self {
        Expr::Join(delimiter.into(), parts.into_iter().collect())
    }

    pub fn if_(condition: impl Into<String>, then: Expr, otherwise: Expr) -> Self {
        Expr::If(condition.into(), Box::new(then), Box::new(otherwise))
    }

    /// The literal text, if this is a literal.
    pub fn as_literal(&self) -> Option<&str> {
        match self {
            Expr::Str(s) => Some(s),
            _ => None,
        }
    }
}

impl Default for Expr {
    /// The empty literal.
    fn default() -> Self {
        Expr::Str(String::new())
    }
}

impl From<&str> for Expr {
    fn from(value: &str) -> Self {
        Expr::Str(value.to_string())
    }
}

impl From<String> for Expr {
    fn from(value: String) -> Self {
        Expr::Str(value)
    }
}

impl From<&String> for Expr {
    fn from(value: &String) -> Self {
        Expr::Str(value.clone())
    }
}

impl From<Pseudo> for Expr {
    fn from(value: Pseudo) -> Self {
        Expr::Pseudo(value)
    }
}

/// Serialises `[a, b]` from two differently typed elements.
struct Pair<'a, A, B>(&'a A, &'a B);

impl<A: Serialize, B: Serialize> Serialize for Pair<'_, A, B> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(2))?;
        seq.serialize_element(self.0)?;
        seq.serialize_element(self.1)?;
        seq.end()
    }
}

fn single<S: Serializer, V: Serialize + ?Sized>(
    serializer: S,
    key: &str,
    value: &V,
) -> Result<S::Ok, S::Error> {
    let mut map = serializer.serialize_map(Some(1))?;
    map.serialize_entry(key, value)?;
    map.end()
}

impl Serialize for Expr {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Expr::Str(s) => serializer.serialize_str(s),
            Expr::Ref(id) => single(serializer, "Ref", id),
            Expr::Pseudo(p) => single(serializer, "Ref", p.as_str()),
            Expr::GetAtt(id, attr) => single(serializer, "Fn::GetAtt", &[id, attr]),
            Expr::Sub(text, vars) if vars.is_empty() => single(serializer, "Fn::Sub", text),
            Expr::Sub(text, vars) => single(serializer, "Fn::Sub", &Pair(text, vars)),
            Expr::Join(delimiter, parts) => single(serializer, "Fn::Join", &Pair(delimiter, parts)),
            Expr::If(condition, then, otherwise) => {
                struct IfArgs<'a>(&'a str, &'a Expr, &'a Expr);
                impl Serialize for IfArgs<'_> {
                    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                        let mut seq = serializer.serialize_seq(Some(3))?;
                        seq.serialize_element(self.0)?;
                        seq.serialize_element(self.1)?;
                        seq.serialize_element(self.2)?;
                        seq.end()
                    }
                }
                single(serializer, "Fn::If", &IfArgs(condition, then, otherwise))
            }
        }
    }
}

/// A condition function for the template's `Conditions` section.
#[derive(Debug, Clone, PartialEq)]
pub enum ConditionExpr {
    /// `{"Fn::Equals": [a, b]}`.
    Equals(Expr, Expr),
    /// `{"Fn::Not": [c]}`.
    Not(Box<ConditionExpr>),
    /// `{"Fn::And": [..]}`.
    And(Vec<ConditionExpr>),
    /// `{"Fn::Or": [..]}`.
    Or(Vec<ConditionExpr>),
    /// `{"Condition": "Name"}`: another named condition.
    Condition(String),
}

impl Serialize for ConditionExpr {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            ConditionExpr::Equals(a, b) => single(serializer, "Fn::Equals", &Pair(a, b)),
            ConditionExpr::Not(c) => single(serializer, "Fn::Not", &[c]),
            ConditionExpr::And(cs) => single(serializer, "Fn::And", cs),
            ConditionExpr::Or(cs) => single(serializer, "Fn::Or", cs),
            ConditionExpr::Condition(name) => single(serializer, "Condition", name),
        }
    }
}

/// One value or a list: serialises a single element as a scalar, several as a list
/// (IAM's `Action` and `Resource`).
#[derive(Debug, Clone, PartialEq)]
pub enum OneOrMany<T> {
    One(T),
    Many(Vec<T>),
}

impl<T> OneOrMany<T> {
    pub fn iter(&self) -> std::slice::Iter<'_, T> {
        match self {
            OneOrMany::One(t) => std::slice::from_ref(t).iter(),
            OneOrMany::Many(ts) => ts.iter(),
        }
    }

    pub fn len(&self) -> usize {
        self.iter().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<T> From<T> for OneOrMany<T> {
    fn from(value: T) -> Self {
        OneOrMany::One(value)
    }
}

impl<T> From<Vec<T>> for OneOrMany<T> {
    fn from(mut values: Vec<T>) -> Self {
        if values.len() == 1 {
            OneOrMany::One(values.remove(0))
        } else {
            OneOrMany::Many(values)
        }
    }
}

impl<T: Serialize> Serialize for OneOrMany<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            OneOrMany::One(t) => t.serialize(serializer),
            OneOrMany::Many(ts) => ts.serialize(serializer),
        }
    }
}
