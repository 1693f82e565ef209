//! Intrinsic serialisation, key order, validation and a snapshot of a small template.

use indexmap::IndexMap;
use serde_json::json;
use worktime_cfn::iam::{PolicyDocument, Principal, Statement};
use worktime_cfn::resources::{
    FlexibleTimeWindow, IamPolicy, IamRole, LogGroup, SchedulerSchedule, SchedulerTarget, SqsQueue,
};
use worktime_cfn::{
    ConditionExpr, DeletionPolicy, Error, Expr, Output, Parameter, Pseudo, Resource, Template,
};

fn json(expr: &Expr) -> serde_json::Value {
    serde_json::to_value(expr).unwrap()
}

#[test]
fn literal_is_a_plain_string() {
    assert_eq!(json(&Expr::str("hello")), json!("hello"));
}

#[test]
fn ref_and_pseudo_use_the_long_form() {
    assert_eq!(
        json(&Expr::reference("Function")),
        json!({"Ref": "Function"})
    );
    assert_eq!(
        json(&Expr::pseudo(Pseudo::Region)),
        json!({"Ref": "AWS::Region"})
    );
    assert_eq!(
        json(&Pseudo::AccountId.into()),
        json!({"Ref": "AWS::AccountId"})
    );
    assert_eq!(
        json(&Pseudo::Partition.into()),
        json!({"Ref": "AWS::Partition"})
    );
    assert_eq!(
        json(&Pseudo::StackName.into()),
        json!({"Ref": "AWS::StackName"})
    );
    assert_eq!(
        json(&Pseudo::UrlSuffix.into()),
        json!({"Ref": "AWS::URLSuffix"})
    );
}

#[test]
fn get_att_is_a_two_element_list() {
    assert_eq!(
        json(&Expr::get_att("Function", "Arn")),
        json!({"Fn::GetAtt": ["Function", "Arn"]})
    );
}

#[test]
fn sub_is_a_string_without_variables_and_a_pair_with() {
    assert_eq!(
        json(&Expr::sub("arn:${AWS::Partition}:s3:::b")),
        json!({"Fn::Sub": "arn:${AWS::Partition}:s3:::b"})
    );
    assert_eq!(
        json(&Expr::sub_with(
            "${Name}-x",
            [("Name", Expr::reference("P"))]
        )),
        json!({"Fn::Sub": ["${Name}-x", {"Name": {"Ref": "P"}}]})
    );
}

#[test]
fn join_and_if() {
    assert_eq!(
        json(&Expr::join(",", [Expr::str("a"), Expr::reference("B")])),
        json!({"Fn::Join": [",", ["a", {"Ref": "B"}]]})
    );
    assert_eq!(
        json(&Expr::if_("IsProd", Expr::str("a"), Pseudo::NoValue.into())),
        json!({"Fn::If": ["IsProd", "a", {"Ref": "AWS::NoValue"}]})
    );
}

#[test]
fn condition_functions() {
    let c = ConditionExpr::Not(Box::new(ConditionExpr::Equals(
        Expr::reference("Env"),
        Expr::str("prod"),
    )));
    assert_eq!(
        serde_json::to_value(&c).unwrap(),
        json!({"Fn::Not": [{"Fn::Equals": [{"Ref": "Env"}, "prod"]}]})
    );
}

#[test]
fn statement_collapses_single_action_and_resource() {
    let s = Statement::allow(["sqs:SendMessage"], [Expr::get_att("Q", "Arn")]).condition(
        "StringEquals",
        "aws:SourceAccount",
        Expr::pseudo(Pseudo::AccountId),
    );
    assert_eq!(
        serde_json::to_value(&s).unwrap(),
        json!({
            "Effect": "Allow",
            "Action": "sqs:SendMessage",
            "Resource": {"Fn::GetAtt": ["Q", "Arn"]},
            "Condition": {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}
        })
    );
    let many = Statement::allow(["a:B", "a:C"], [Expr::str("*")]);
    assert_eq!(
        serde_json::to_value(&many).unwrap()["Action"],
        json!(["a:B", "a:C"])
    );
}

fn small_template() -> Template {
    let mut t = Template::new().with_description("A small template");
    t.parameter("Name", Parameter::string("A name"));
    t.resource(
        "Queue",
        Resource::new(SqsQueue {
            queue_name: Some(Expr::sub("${Name}-dlq")),
            sqs_managed_sse_enabled: Some(true),
            message_retention_period: Some(1_209_600),
            ..Default::default()
        }),
    );
    t.resource(
        "Logs",
        Resource::new(LogGroup {
            log_group_name: Some(Expr::str("/aws/lambda/x")),
            retention_in_days: Some(30),
            ..Default::default()
        })
        .deletion_policy(DeletionPolicy::Delete)
        .skip_checkov("CKV_AWS_158", "no KMS key: logs hold no secrets"),
    );
    t.resource(
        "Role",
        Resource::new(IamRole {
            assume_role_policy_document: PolicyDocument::new(vec![Statement::trust(
                Principal::service("scheduler.amazonaws.com"),
                ["sts:AssumeRole"],
            )]),
            ..Default::default()
        }),
    );
    t.resource(
        "Policy",
        Resource::new(IamPolicy {
            policy_name: Expr::str("p"),
            policy_document: PolicyDocument::new(vec![Statement::allow(
                ["sqs:SendMessage"],
                [Expr::get_att("Queue", "Arn")],
            )]),
            roles: vec![Expr::reference("Role")],
            users: vec![],
            groups: vec![],
        }),
    );
    t.resource(
        "Schedule",
        Resource::new(SchedulerSchedule {
            name: None,
            description: None,
            group_name: None,
            schedule_expression: "cron(0 9 ? * MON-FRI *)".into(),
            schedule_expression_timezone: Some("Europe/Berlin".into()),
            flexible_time_window: FlexibleTimeWindow::off(),
            state: Some("ENABLED".into()),
            target: SchedulerTarget {
                arn: Expr::get_att("Queue", "Arn"),
                role_arn: Expr::get_att("Role", "Arn"),
                input: Some(r#"{"action":"scale-out"}"#.into()),
                retry_policy: None,
                dead_letter_config: None,
            },
        })
        .depends_on("Policy"),
    );
    t.output(
        "QueueUrl",
        Output::new("The queue", Expr::reference("Queue")),
    );
    t
}

#[test]
fn keys_keep_cloudformation_order() {
    let yaml = small_template().to_yaml().unwrap();
    let top: Vec<&str> = yaml
        .lines()
        .filter(|l| !l.starts_with(' ') && l.contains(':'))
        .map(|l| l.split(':').next().unwrap())
        .collect();
    assert_eq!(
        top,
        [
            "AWSTemplateFormatVersion",
            "Description",
            "Parameters",
            "Resources",
            "Outputs"
        ]
    );
    let template = small_template();
    let ids: Vec<&String> = template.resources.keys().collect();
    assert_eq!(ids, ["Queue", "Logs", "Role", "Policy", "Schedule"]);
    let json: serde_json::Value =
        serde_json::from_str(&small_template().to_json().unwrap()).unwrap();
    let logs: Vec<&String> = json["Resources"]["Logs"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    assert_eq!(
        logs,
        [
            "Type",
            "Properties",
            "DeletionPolicy",
            "UpdateReplacePolicy",
            "Metadata"
        ]
    );
}

#[test]
fn empty_sections_are_left_out() {
    let mut t = Template::new();
    t.resource("Q", Resource::new(SqsQueue::default()));
    let json: serde_json::Value = serde_json::from_str(&t.to_json().unwrap()).unwrap();
    let keys: Vec<&String> = json.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["AWSTemplateFormatVersion", "Resources"]);
}

#[test]
fn yaml_has_no_tags_and_quotes_ambiguous_scalars() {
    let yaml = small_template().to_yaml().unwrap();
    assert!(!yaml.contains('!'), "no YAML tags:\n{yaml}");
    // PyYAML (YAML 1.1) reads a bare OFF as false and a bare 2010-09-09 as a date.
    let parsed: serde_yaml::Value = serde_yaml::from_str(&yaml).unwrap();
    assert_eq!(
        parsed["Resources"]["Schedule"]["Properties"]["FlexibleTimeWindow"]["Mode"],
        serde_yaml::Value::String("OFF".into())
    );
    assert!(
        yaml.contains("Mode: 'OFF'") || yaml.contains("Mode: \"OFF\""),
        "OFF must be quoted:\n{yaml}"
    );
    assert!(
        yaml.contains("AWSTemplateFormatVersion: '2010-09-09'")
            || yaml.contains("AWSTemplateFormatVersion: \"2010-09-09\""),
        "the version must be quoted:\n{yaml}"
    );
}

#[test]
fn yaml_and_json_describe_the_same_document() {
    let t = small_template();
    let from_yaml: serde_json::Value = serde_yaml::from_str(&t.to_yaml().unwrap()).unwrap();
    let from_json: serde_json::Value = serde_json::from_str(&t.to_json().unwrap()).unwrap();
    assert_eq!(from_yaml, from_json);
}

#[test]
fn checkov_skips_accumulate() {
    let r = Resource::new(SqsQueue::default())
        .skip_checkov("CKV_AWS_1", "one")
        .skip_checkov("CKV_AWS_2", "two")
        .ignore_cfn_lint("W3005");
    assert_eq!(
        r.checkov_skips(),
        [
            ("CKV_AWS_1".to_string(), "one".to_string()),
            ("CKV_AWS_2".into(), "two".into())
        ]
    );
    assert_eq!(
        serde_json::to_value(&r.metadata).unwrap(),
        json!({
            "checkov": {"skip": [{"id": "CKV_AWS_1", "comment": "one"}, {"id": "CKV_AWS_2", "comment": "two"}]},
            "cfn-lint": {"config": {"ignore_checks": ["W3005"]}}
        })
    );
}

#[test]
fn dangling_references_are_rejected() {
    let mut t = small_template();
    t.output("Bad", Output::new("x", Expr::get_att("Nope", "Arn")));
    assert!(matches!(
        t.to_yaml(),
        Err(Error::UnknownReference { target, .. }) if target == "Nope"
    ));

    let mut t = small_template();
    t.output(
        "BadSub",
        Output::new("x", Expr::sub("${Missing.Arn}/${AWS::Region}")),
    );
    assert!(matches!(
        t.to_json(),
        Err(Error::UnknownReference { target, .. }) if target == "Missing"
    ));

    let mut t = small_template();
    t.output(
        "Vars",
        Output::new(
            "x",
            Expr::sub_with(
                "${Local}-${!Escaped}",
                IndexMap::from([("Local".to_string(), Expr::reference("Name"))]),
            ),
        ),
    );
    t.validate().unwrap();

    let mut t = small_template();
    t.resource("Q2", Resource::new(SqsQueue::default()).depends_on("Ghost"));
    assert!(t.validate().is_err());
}

#[test]
fn small_template_snapshot() {
    insta::assert_snapshot!("small_template_yaml", small_template().to_yaml().unwrap());
}
