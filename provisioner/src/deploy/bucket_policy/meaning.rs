//! A bucket policy statement by its meaning, for comparing the statement worktime writes with
//! the one S3 answers. S3 answers `GetBucketPolicy` in a form of its own: a one-element list
//! as its element, lists in an order of its own, an account id in `Principal.AWS` as the
//! account's root ARN (reported by tools that compare policies as written: hashicorp/terraform
//! #2432 and #7785, ansible/ansible #29341 and #42532, aws/aws-cdk #9334). The IAM User
//! Guide ("AWS JSON policy elements: Principal") says of the account id and the root ARN:
//! "The account ARN and the shortened account ID behave the same way."

use std::collections::BTreeSet;

use serde_json::{Map, Value};

/// Elements whose value is a string or a list of strings: a set, in meaning.
const SET_ELEMENTS: [&str; 4] = ["Action", "NotAction", "Resource", "NotResource"];

/// Elements naming principals: `"*"`, or kinds (`AWS`, `Service`, ...) with a set of ids each.
const PRINCIPAL_ELEMENTS: [&str; 2] = ["Principal", "NotPrincipal"];

/// `statement` in a canonical form, the same for every way of writing one meaning: each
/// string-or-list value (actions, resources, each principal kind's ids, each condition key's
/// values under each operator) a sorted list of distinct strings (a JSON boolean or number
/// as its text, as IAM compares it); a 12-digit account id in `Principal.AWS` /
/// `NotPrincipal.AWS` the account's root ARN in `partition`; `Sid`, `Effect`, `"Principal":
/// "*"` and any other element as written. Element order never matters.
pub fn canonical(statement: &Value, partition: &str) -> Value {
    let Some(elements) = statement.as_object() else {
        return statement.clone();
    };
    let canonical: Map<String, Value> = elements
        .iter()
        .map(|(element, value)| {
            let value = match element.as_str() {
                e if SET_ELEMENTS.contains(&e) => set(value, |s| s),
                e if PRINCIPAL_ELEMENTS.contains(&e) => principal(value, partition),
                "Condition" => condition(value),
                _ => value.clone(),
            };
            (element.clone(), value)
        })
        .collect();
    Value::Object(canonical)
}

/// Whether two statements mean the same (their canonical forms are equal).
pub fn same_meaning(a: &Value, b: &Value, partition: &str) -> bool {
    canonical(a, partition) == canonical(b, partition)
}

/// A string or a list as a sorted list of distinct strings, each passed through `each`.
fn set(value: &Value, each: impl Fn(String) -> String) -> Value {
    let items: Vec<&Value> = match value {
        Value::Array(items) => items.iter().collect(),
        one => vec![one],
    };
    let set: BTreeSet<String> = items.into_iter().map(|v| each(text(v))).collect();
    Value::Array(set.into_iter().map(Value::String).collect())
}

fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn principal(value: &Value, partition: &str) -> Value {
    let Some(kinds) = value.as_object() else {
        return value.clone(); // "*"
    };
    let canonical: Map<String, Value> = kinds
        .iter()
        .map(|(kind, ids)| {
            let ids = if kind == "AWS" {
                set(ids, |id| account_root(id, partition))
            } else {
                set(ids, |id| id)
            };
            (kind.clone(), ids)
        })
        .collect();
    Value::Object(canonical)
}

/// An account id as the account's root ARN; any other principal as written.
fn account_root(id: String, partition: &str) -> String {
    if id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit()) {
        format!("arn:{partition}:iam::{id}:root")
    } else {
        id
    }
}

/// Operator → condition key → set of values.
fn condition(value: &Value) -> Value {
    let Some(operators) = value.as_object() else {
        return value.clone();
    };
    let canonical: Map<String, Value> = operators
        .iter()
        .map(|(operator, pairs)| {
            let pairs = match pairs.as_object() {
                Some(pairs) => Value::Object(
                    pairs
                        .iter()
                        .map(|(key, values)| (key.clone(), set(values, |s| s)))
                        .collect(),
                ),
                None => pairs.clone(),
            };
            (operator.clone(), pairs)
        })
        .collect();
    Value::Object(canonical)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// A stack set's code statement as worktime writes it for one account in a region.
    fn written() -> Value {
        json!({
            "Sid": "WorktimeStackSetCode7774",
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::worktime-artifacts-123456789012-us-east-1/stack-sets/wt/*",
            "Principal": { "AWS": ["arn:aws:iam::111111111111:root"] },
        })
    }

    #[test]
    fn a_one_element_list_means_its_element() {
        let mut answered = written();
        answered["Principal"]["AWS"] = json!("arn:aws:iam::111111111111:root");
        answered["Action"] = json!(["s3:GetObject"]);
        answered["Resource"] = json!([answered["Resource"].clone()]);
        assert!(same_meaning(&written(), &answered, "aws"));
        assert_ne!(written(), answered, "as written they differ");
    }

    #[test]
    fn an_account_id_principal_means_the_accounts_root_in_the_partition() {
        let mut by_id = written();
        by_id["Principal"]["AWS"] = json!("111111111111");
        assert!(same_meaning(&written(), &by_id, "aws"));
        assert_eq!(
            canonical(&by_id, "aws")["Principal"]["AWS"],
            json!(["arn:aws:iam::111111111111:root"])
        );
        // In another partition the id is that partition's root, not the commercial one's.
        assert!(!same_meaning(&written(), &by_id, "aws-cn"));
        let mut china = written();
        china["Principal"]["AWS"] = json!("arn:aws-cn:iam::111111111111:root");
        assert!(same_meaning(&china, &by_id, "aws-cn"));
        // Only the AWS kind holds account ids; other ids and ARNs stay as written.
        let service = json!({ "Service": "111111111111" });
        assert_eq!(
            principal(&service, "aws"),
            json!({ "Service": ["111111111111"] })
        );
        assert_eq!(account_root("11111111111".into(), "aws"), "11111111111");
        assert_eq!(principal(&json!("*"), "aws"), json!("*"));
    }

    #[test]
    fn order_and_repetition_in_lists_mean_nothing() {
        let tls = crate::deploy::bucket_policy::tls_only_statement("b", "aws");
        let mut reordered = tls.clone();
        reordered["Resource"] = json!(["arn:aws:s3:::b/*", "arn:aws:s3:::b", "arn:aws:s3:::b"]);
        assert!(same_meaning(&tls, &reordered, "aws"));

        let three = json!({
            "Sid": "S", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "r",
            "Principal": { "AWS": [
                "arn:aws:iam::111111111111:root",
                "arn:aws:iam::222222222222:root",
                "333333333333",
            ] },
        });
        let answered = json!({
            "Resource": "r", "Principal": { "AWS": [
                "arn:aws:iam::333333333333:root",
                "arn:aws:iam::222222222222:root",
                "arn:aws:iam::111111111111:root",
            ] },
            "Effect": "Allow", "Sid": "S", "Action": "s3:GetObject",
        });
        assert!(same_meaning(&three, &answered, "aws"));
    }

    #[test]
    fn condition_values_are_sets_of_strings_under_each_operator_and_key() {
        let written = json!({
            "Sid": "S", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
            "Resource": "r",
            "Condition": {
                "StringEquals": { "aws:PrincipalOrgID": "o-abcdefghij" },
                "ForAnyValue:StringLike": { "aws:PrincipalOrgPaths": [
                    "o-abcdefghij/*/ou-a/*", "o-abcdefghij/*/ou-b/*",
                ] },
                "Bool": { "aws:SecureTransport": false },
            },
        });
        let answered = json!({
            "Sid": "S", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
            "Resource": ["r"],
            "Condition": {
                "Bool": { "aws:SecureTransport": "false" },
                "ForAnyValue:StringLike": { "aws:PrincipalOrgPaths": [
                    "o-abcdefghij/*/ou-b/*", "o-abcdefghij/*/ou-a/*",
                ] },
                "StringEquals": { "aws:PrincipalOrgID": ["o-abcdefghij"] },
            },
        });
        assert!(same_meaning(&written, &answered, "aws"));
        assert_eq!(
            canonical(&written, "aws")["Condition"]["StringEquals"]["aws:PrincipalOrgID"],
            json!(["o-abcdefghij"])
        );
    }

    #[test]
    fn a_statement_that_really_differs_compares_unequal() {
        let base = written();
        let change = |element: &str, value: Value| {
            let mut other = base.clone();
            other[element] = value;
            other
        };
        let others = [
            change(
                "Resource",
                json!("arn:aws:s3:::worktime-artifacts-123456789012-us-east-1/stacks/*"),
            ),
            change("Effect", json!("Deny")),
            change("Sid", json!("WorktimeStackSetCode7775")),
            change("Action", json!(["s3:GetObject", "s3:PutObject"])),
            change(
                "Principal",
                json!({ "AWS": ["arn:aws:iam::111111111111:root", "222222222222"] }),
            ),
            change(
                "Principal",
                json!({ "AWS": "arn:aws:iam::111111111111:user/x" }),
            ),
            change("Principal", json!("*")),
            change(
                "Condition",
                json!({ "StringEquals": { "aws:PrincipalOrgID": "o-abcdefghij" } }),
            ),
        ];
        for other in &others {
            assert!(!same_meaning(&base, other, "aws"), "{other}");
        }
        // Resource and NotResource are different elements.
        let mut not = base.clone();
        let resource = not.as_object_mut().unwrap().remove("Resource").unwrap();
        not["NotResource"] = resource;
        assert!(!same_meaning(&base, &not, "aws"));
        // A condition value, operator or key of its own.
        let with = |operator: &str, key: &str, value: Value| {
            let mut s = base.clone();
            s["Condition"] = json!({ operator: { key: value } });
            s
        };
        let org = with("StringEquals", "aws:PrincipalOrgID", json!("o-1"));
        assert!(!same_meaning(
            &org,
            &with("StringEquals", "aws:PrincipalOrgID", json!("o-2")),
            "aws"
        ));
        assert!(!same_meaning(
            &org,
            &with("StringLike", "aws:PrincipalOrgID", json!("o-1")),
            "aws"
        ));
        assert!(!same_meaning(
            &org,
            &with("StringEquals", "aws:SourceAccount", json!("o-1")),
            "aws"
        ));
    }
}
