//! Tests of the stack set engine's pure parts: plans, steps, template changes, code access.

use std::path::Path;

use chrono::Utc;
use serde_json::{json, Value};

use super::api::Deployed;
use super::code::{code_statement, statement_id};
use super::plan::{step_for, template_changes, Step, Wanted};
use super::*;
use crate::config::{Fleet, StackSetPermissions};
use crate::fleet::targets::Selection;

const BASE: &str = r#"
[stack]
name = "wt"
region = "ap-northeast-2"

[schedule]
timezone = "Asia/Seoul"
scale_out = "cron(0 9 ? * MON-FRI *)"
scale_in = "cron(0 19 ? * MON-FRI *)"
trigger = "rules"

[[services]]
cluster = "prod"
service = "api"
min = 1
max = 3

[[accounts]]
id = "111111111111"
role = "OrganizationAccountAccessRole"
regions = ["ap-northeast-2", "us-east-1"]

[accounts.schedule]
timezone = "Asia/Kolkata"

[[accounts]]
id = "222222222222"
role = "OrganizationAccountAccessRole"
regions = ["eu-west-1"]
"#;

fn config(extra: &str) -> Fleet {
    crate::config::parse(
        &format!("{BASE}\n{extra}"),
        Path::new("worktime.toml"),
        Utc::now(),
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

fn all() -> Selection {
    Selection {
        accounts: None,
        regions: None,
        concurrency: 4,
        failure_tolerance: 0,
    }
}

fn value<'a>(w: &'a Wanted, key: &str) -> &'a str {
    &w.parameters.iter().find(|(k, _)| k == key).unwrap().1
}

#[test]
fn self_managed_plan_has_one_instance_per_account_and_region_with_its_values() {
    let plan = plan(&config("[stacksets]\n"), &all()).unwrap();
    let pairs: Vec<(&str, &str)> = plan
        .wanted
        .iter()
        .map(|w| (w.account.as_str(), w.region.as_str()))
        .collect();
    assert_eq!(
        pairs,
        [
            ("111111111111", "ap-northeast-2"),
            ("111111111111", "us-east-1"),
            ("222222222222", "eu-west-1"),
        ]
    );
    let first = &plan.wanted[1];
    assert_eq!(value(first, "ScheduleTimezone"), "Asia/Kolkata");
    assert_eq!(
        value(first, "ScaleOutExpression"),
        "cron(30 3 ? * MON-FRI *)"
    );
    assert_eq!(
        value(first, "ServiceArnPatterns"),
        "arn:aws:ecs:us-east-1:111111111111:service/prod/*"
    );
    // The rules' input template: `<time>` is where EventBridge writes the scheduled time.
    let template = value(first, "ScaleInInput");
    assert!(
        template.ends_with(r#","scheduled_time":<time>}"#),
        "{template}"
    );
    let input: Value = serde_json::from_str(&template.replace("<time>", "null")).unwrap();
    assert_eq!(input["action"], "scale-in");
    assert_eq!(input["timezone"], "Asia/Kolkata");
    assert_eq!(value(&plan.wanted[2], "ScheduleTimezone"), "Asia/Seoul");
    assert!(plan.template.contains("ServiceArnPatterns"));
    assert!(plan.resources > 5);
}

#[test]
fn service_managed_plan_has_one_entry_per_region_and_refuses_overrides() {
    let sm = "[stacksets]\npermission_model = \"service-managed\"\norganizational_units = [\"ou-abcd-12345678\"]\norganization_id = \"o-abcdefghij\"\n";
    let err = plan(&config(sm), &all()).unwrap_err();
    assert_eq!(err.exit_code(), crate::error::EXIT_USAGE);
    assert!(
        err.to_string().contains("account 111111111111 overrides"),
        "{err}"
    );
    let text = BASE.replace("[accounts.schedule]\ntimezone = \"Asia/Kolkata\"\n", "");
    let c = crate::config::parse(
        &format!("{text}\n{sm}"),
        Path::new("worktime.toml"),
        Utc::now(),
    )
    .unwrap();
    let p = plan(&c, &all()).unwrap();
    let regions: Vec<&str> = p.wanted.iter().map(|w| w.region.as_str()).collect();
    assert_eq!(regions, ["ap-northeast-2", "us-east-1", "eu-west-1"]);
    assert_eq!(p.wanted[0].account, "ou-abcd-12345678");
    // Accounts not known in advance: no ARN parameter; the template names each instance's
    // own account.
    assert!(p.wanted[1]
        .parameters
        .iter()
        .all(|(k, _)| k != "ServiceArnPatterns"));
    assert!(
        p.template.contains("${AWS::AccountId}:service/prod/*"),
        "{}",
        p.template
    );
    let err = plan(
        &c,
        &Selection {
            accounts: Some(vec!["111111111111".into()]),
            ..all()
        },
    )
    .unwrap_err();
    assert!(err.to_string().contains("--accounts"), "{err}");
}

#[test]
fn usage_errors_before_any_call() {
    let plain = crate::config::parse(BASE, Path::new("worktime.toml"), Utc::now()).unwrap();
    let err = plan(&plain, &all()).unwrap_err();
    assert_eq!(err.exit_code(), crate::error::EXIT_USAGE);
    assert!(err.to_string().contains("[stacksets]"), "{err}");
    let mixed = config("[stacksets]\n").clone();
    let mut mixed = mixed;
    mixed.accounts[1].schedule.trigger = crate::config::Trigger::Scheduler;
    let err = plan(&mixed, &all()).unwrap_err();
    assert_eq!(err.exit_code(), crate::error::EXIT_USAGE);
    assert!(err.to_string().contains("same trigger kind"), "{err}");
}

#[test]
fn template_changes_by_resource() {
    let old = "Resources:\n  A:\n    Type: AWS::SQS::Queue\n    Properties: {}\n  B:\n    Type: AWS::SNS::Topic\n";
    let new = "Resources:\n  A:\n    Type: AWS::SQS::Queue\n    Properties:\n      X: 1\n  C:\n    Type: AWS::IAM::Role\n";
    let changes: Vec<(String, String)> = template_changes(Some(old), new)
        .into_iter()
        .map(|c| (c.action.to_string(), c.logical_id))
        .collect();
    assert_eq!(
        changes,
        [
            ("modify".to_string(), "A".to_string()),
            ("add".into(), "C".into()),
            ("remove".into(), "B".into())
        ]
    );
    assert!(template_changes(Some(new), new).is_empty());
    assert_eq!(template_changes(None, new).len(), 2);
}

#[test]
fn steps_from_overrides_and_status() {
    let perms = StackSetPermissions::SelfManaged {
        administration_role_arn: None,
        execution_role_name: "E".into(),
    };
    let wanted = Wanted {
        account: "111111111111".into(),
        region: "us-east-1".into(),
        parameters: vec![("A".into(), "1".into()), ("B".into(), "2".into())],
    };
    let deployed = |overrides: &[(&str, &str)], status: &str| Deployed {
        account: "111111111111".into(),
        region: "us-east-1".into(),
        status: status.into(),
        detailed_status: Some("SUCCEEDED".into()),
        reason: None,
        overrides: overrides
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    };
    assert_eq!(step_for(&perms, &wanted, &[]), Step::Create);
    assert_eq!(
        step_for(
            &perms,
            &wanted,
            &[deployed(&[("A", "1"), ("B", "2")], "CURRENT")]
        ),
        Step::Nothing
    );
    assert_eq!(
        step_for(
            &perms,
            &wanted,
            &[deployed(&[("A", "1"), ("B", "3")], "CURRENT")]
        ),
        Step::Update(vec!["B".into()])
    );
    assert_eq!(
        step_for(
            &perms,
            &wanted,
            &[deployed(&[("A", "1"), ("B", "2")], "OUTDATED")]
        ),
        Step::Update(Vec::new()),
        "an unhealthy instance is updated again"
    );
}

#[test]
fn code_statement_per_permission_model() {
    let c = config("[stacksets]\n");
    let s = code_statement(
        &c.stacksets.as_ref().unwrap().permissions,
        &c,
        "worktime-artifacts-999999999999-ap-northeast-2",
        "ap-northeast-2",
    );
    assert_eq!(s["Sid"], "WorktimeStackSetCode7774");
    assert_eq!(
        s["Resource"],
        "arn:aws:s3:::worktime-artifacts-999999999999-ap-northeast-2/stack-sets/wt/*"
    );
    assert_eq!(
        s["Principal"]["AWS"],
        json!(["arn:aws:iam::111111111111:root"]),
        "only the accounts of that region"
    );
    let sm = StackSetPermissions::ServiceManaged {
        organizational_units: vec!["ou-abcd-12345678".into()],
        organization_id: "o-abcdefghij".into(),
        auto_deployment: true,
    };
    let s = code_statement(&sm, &c, "b", "cn-north-1");
    assert_eq!(s["Principal"], "*");
    assert_eq!(
        s["Condition"]["StringEquals"]["aws:PrincipalOrgID"],
        "o-abcdefghij"
    );
    assert_eq!(
        s["Condition"]["ForAnyValue:StringLike"]["aws:PrincipalOrgPaths"],
        json!(["o-abcdefghij/*/ou-abcd-12345678/*"]),
        "only the listed OUs, not the whole organisation"
    );
    assert_eq!(s["Resource"], "arn:aws-cn:s3:::b/stack-sets/wt/*");
}

#[test]
fn statement_ids_are_one_per_name() {
    assert_ne!(statement_id("wt-prod"), statement_id("wtprod"));
    assert_ne!(statement_id("a-b"), statement_id("a_b"));
    for name in ["wt-prod", "wtprod", "A-1"] {
        assert!(statement_id(name)
            .chars()
            .all(|c| c.is_ascii_alphanumeric()));
    }
}
