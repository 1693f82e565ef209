//! Tests of the stack template and the stack-set template.

use std::path::PathBuf;

use chrono::{NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use serde_json::{json, Value};
use worktime_cfn::Expr;
use worktime_lambda::{Action, Capacity};

use super::ids::{MAX_INPUT_CHARS, MAX_PARAMETER_BYTES};
use super::stackset::stackset_trigger;
use super::values::trigger_input;
use super::*;
use crate::config::{Fleet, FunctionSettings, Schedule, ServiceSpec, StackSettings, Trigger};
use crate::cron::AwsCron;

/// A stack alone, as a fleet of one (the stack-set builder takes a fleet).
fn alone(home: StackConfig) -> Fleet {
    Fleet {
        home,
        accounts: Vec::new(),
        stacksets: None,
    }
}

fn config(
    stack: &str,
    region: &str,
    tz: Tz,
    trigger: Trigger,
    services: Vec<ServiceSpec>,
) -> StackConfig {
    StackConfig {
        path: PathBuf::from(format!("{stack}.toml")),
        stack: StackSettings {
            name: stack.into(),
            region: region.into(),
            execution_role_arn: None,
        },
        schedule: Schedule {
            timezone: tz,
            scale_out: AwsCron::parse("cron(0 9 ? * MON-FRI *)").unwrap(),
            scale_in: AwsCron::parse("cron(0 19 ? * MON-FRI *)").unwrap(),
            trigger,
            skip_dates: Vec::new(),
            reconcile_minutes: Some(15),
            ready_within_minutes: 15,
            notice: None,
            wave_timeout_minutes: 10,
            checked_at: Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0).unwrap(),
        },
        schedules: Default::default(),
        services,
        selectors: Vec::new(),
        function: FunctionSettings::default(),
        notify: None,
        capacity: Vec::new(),
    }
}

fn svc(cluster: &str, service: &str, capacity: Option<(i32, i32)>) -> ServiceSpec {
    ServiceSpec {
        cluster: cluster.into(),
        service: service.into(),
        capacity: capacity.map(|(min, max)| Capacity::new(min, max).unwrap()),
        schedule: None,
        wave: 0,
        wake: None,
    }
}

fn seoul() -> StackConfig {
    let mut c = config(
        "dev-seoul",
        "ap-northeast-2",
        chrono_tz::Asia::Seoul,
        Trigger::Rules,
        vec![
            svc("dev", "api", Some((1, 4))),
            svc("dev", "worker", Some((2, 2))),
            svc("batch", "reports", Some((1, 1))),
        ],
    );
    c.schedule.skip_dates = vec![NaiveDate::from_ymd_opt(2026, 1, 1).unwrap()];
    c
}

fn berlin() -> StackConfig {
    config(
        "staging",
        "eu-central-1",
        chrono_tz::Europe::Berlin,
        Trigger::Scheduler,
        vec![svc("staging", "web", Some((2, 6)))],
    )
}

fn kolkata() -> StackConfig {
    config(
        "qa-india",
        "ap-south-1",
        chrono_tz::Asia::Kolkata,
        Trigger::Rules,
        vec![svc("qa", "api", Some((1, 2)))],
    )
}

fn restore() -> StackConfig {
    let mut c = config(
        "restore",
        "us-east-1",
        chrono_tz::America::New_York,
        Trigger::Scheduler,
        vec![svc("shared", "api", None), svc("shared", "jobs", None)],
    );
    c.function.architecture = crate::config::Architecture::X86_64;
    c.function.memory_mb = 256;
    c.function.log_retention_days = 14;
    c
}

/// When the tests' triggers fire.
const DELIVERY_TIME: &str = "2026-06-01T10:00:00Z";

/// A trigger's input as the function receives it at `DELIVERY_TIME`: the rule's `<time>`
/// placeholder (a JSON value position) or the Scheduler's context attribute (inside quotes)
/// filled in. The end-to-end tests apply the full EventBridge transformation.
fn as_delivered(input: &str) -> serde_json::Value {
    let text = input
        .replace("<time>", &format!("\"{DELIVERY_TIME}\""))
        .replace("<aws.scheduler.scheduled-time>", DELIVERY_TIME);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

fn json(config: &StackConfig) -> serde_json::Value {
    serde_json::from_str(&build(config).unwrap().to_json().unwrap()).unwrap()
}

/// Every `examples/*.toml`, loaded as the CLI loads it.
fn examples() -> Vec<(String, StackConfig)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    paths.sort();
    assert!(!paths.is_empty(), "no examples in {}", dir.display());
    paths
        .into_iter()
        .map(|p| {
            let stem = p.file_stem().unwrap().to_string_lossy().into_owned();
            // A fixed day: which skip dates are still to come (and so deployed) depends on it.
            let day = Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0).unwrap();
            let fleet = crate::config::load(&p, day).unwrap_or_else(|e| panic!("{e}"));
            (stem, fleet.home)
        })
        .collect()
}

#[test]
fn example_snapshots() {
    for (stem, config) in examples() {
        let template = build(&config).unwrap_or_else(|e| panic!("{stem}: {e}"));
        insta::assert_snapshot!(format!("example_{stem}"), template.to_yaml().unwrap());
        // YAML and JSON describe the same document.
        let from_yaml: serde_json::Value =
            serde_yaml::from_str(&template.to_yaml().unwrap()).unwrap();
        let from_json: serde_json::Value =
            serde_json::from_str(&template.to_json().unwrap()).unwrap();
        assert_eq!(from_yaml, from_json, "{stem}");
    }
}

#[test]
fn examples_cover_both_triggers_restore_mode_and_a_half_hour_zone() {
    let all = examples();
    assert!(all
        .iter()
        .any(|(_, c)| c.schedule.trigger == Trigger::Rules));
    assert!(all
        .iter()
        .any(|(_, c)| c.schedule.trigger == Trigger::Scheduler));
    assert!(all
        .iter()
        .any(|(_, c)| c.services.iter().any(|s| s.capacity.is_none())));
    assert!(all
        .iter()
        .any(|(_, c)| c.schedule.timezone == chrono_tz::Asia::Kolkata));
}

#[test]
fn half_hour_zone_kolkata() {
    let v = json(&kolkata());
    // 09:00 IST is 03:30 UTC; 19:00 IST is 13:30 UTC.
    assert_eq!(
        v["Resources"]["ScaleOutRule"]["Properties"]["ScheduleExpression"],
        "cron(30 3 ? * MON-FRI *)"
    );
    assert_eq!(
        v["Resources"]["ScaleInRule"]["Properties"]["ScheduleExpression"],
        "cron(30 13 ? * MON-FRI *)"
    );
}

#[test]
fn restore_mode_payload_has_no_capacity() {
    let v = json(&restore());
    let input = as_delivered(
        v["Resources"]["ScaleOutSchedule"]["Properties"]["Target"]["Input"]
            .as_str()
            .unwrap(),
    );
    assert_eq!(input["scheduled_time"], DELIVERY_TIME);
    assert_eq!(
        input["services"],
        serde_json::json!([
            {"resource_id": "service/shared/api"},
            {"resource_id": "service/shared/jobs"}
        ])
    );
}

#[test]
fn rules_use_utc_crons_and_permissions() {
    let v = json(&seoul());
    let r = &v["Resources"];
    assert_eq!(
        r["ScaleOutRule"]["Properties"]["ScheduleExpression"],
        "cron(0 0 ? * MON-FRI *)"
    );
    assert_eq!(
        r["ScaleInRule"]["Properties"]["ScheduleExpression"],
        "cron(0 10 ? * MON-FRI *)"
    );
    assert_eq!(
        r["ScaleOutRule"]["Properties"]["Name"],
        "dev-seoul-scale-out"
    );
    let target = &r["ScaleInRule"]["Properties"]["Targets"][0];
    assert_eq!(target["Id"], "scaler");
    assert_eq!(
        target["Arn"],
        serde_json::json!({"Fn::GetAtt": ["Function", "Arn"]})
    );
    assert!(target.get("Input").is_none(), "{target}");
    let transformer = &target["InputTransformer"];
    assert_eq!(
        transformer["InputPathsMap"],
        serde_json::json!({"time": "$.time"})
    );
    let input = as_delivered(transformer["InputTemplate"].as_str().unwrap());
    assert_eq!(input["action"], "scale-in");
    assert_eq!(input["scheduled_time"], DELIVERY_TIME);
    assert_eq!(input["ready_within_minutes"], 15);
    assert_eq!(
        input["crons"],
        serde_json::json!({
            "scale_out": "cron(0 0 ? * MON-FRI *)",
            "scale_in": "cron(0 10 ? * MON-FRI *)",
            "timezone": "UTC"
        })
    );
    assert_eq!(input["timezone"], "Asia/Seoul");
    assert_eq!(input["skip_dates"], serde_json::json!(["2026-01-01"]));
    assert_eq!(
        r["ScaleOutPermission"]["Properties"]["SourceArn"],
        serde_json::json!({"Fn::GetAtt": ["ScaleOutRule", "Arn"]})
    );
    assert!(r.get("SchedulerRole").is_none());
    assert!(r.get("ScaleOutSchedule").is_none());
    assert_eq!(
        v["Outputs"]["ScaleInTrigger"]["Value"],
        serde_json::json!({"Ref": "ScaleInRule"})
    );
}

#[test]
fn scheduler_keeps_local_cron_and_zone() {
    let v = json(&berlin());
    let p = &v["Resources"]["ScaleOutSchedule"]["Properties"];
    assert_eq!(p["ScheduleExpression"], "cron(0 9 ? * MON-FRI *)");
    assert_eq!(p["ScheduleExpressionTimezone"], "Europe/Berlin");
    assert_eq!(p["FlexibleTimeWindow"]["Mode"], "OFF");
    assert_eq!(
        p["Target"]["DeadLetterConfig"]["Arn"],
        serde_json::json!({"Fn::GetAtt": ["DeadLetterQueue", "Arn"]})
    );
    let trust =
        &v["Resources"]["SchedulerRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"][0];
    assert_eq!(trust["Principal"]["Service"], "scheduler.amazonaws.com");
    assert_eq!(
        trust["Condition"]["StringEquals"]["aws:SourceAccount"],
        serde_json::json!({"Ref": "AWS::AccountId"})
    );
    assert!(v["Resources"].get("ScaleOutPermission").is_none());
    assert!(v["Resources"].get("ScaleOutRule").is_none());
}

#[test]
fn dst_zone_with_rules_is_refused() {
    let mut c = berlin();
    c.schedule.trigger = Trigger::Rules;
    let err = build(&c).unwrap_err();
    assert!(
        matches!(
            err,
            TemplateError::Cron {
                action: Action::ScaleOut,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("scheduler"), "{err}");
}

#[test]
fn nothing_refers_to_alarm_or_schedules_by_get_att() {
    for c in [seoul(), berlin(), kolkata(), restore()] {
        let text = build(&c).unwrap().to_json().unwrap();
        for id in ["ErrorsAlarm", "ScaleOutSchedule", "ScaleInSchedule"] {
            assert!(
                !text.contains(&format!("\"{id}\",")),
                "{id} is the target of a GetAtt in {}",
                c.stack.name
            );
        }
    }
}

#[test]
fn function_settings() {
    let v = json(&restore());
    let f = &v["Resources"]["Function"];
    assert_eq!(f["DependsOn"], serde_json::json!(["FunctionPolicy"]));
    let p = &f["Properties"];
    assert_eq!(p["FunctionName"], "restore-scaler");
    assert_eq!(p["Runtime"], "provided.al2023");
    assert_eq!(p["Handler"], "bootstrap");
    assert_eq!(p["Architectures"], serde_json::json!(["x86_64"]));
    assert_eq!(p["MemorySize"], 256);
    // No reservation unless configured (a new account's quota refuses any), and checkov is
    // told why.
    assert!(p.get("ReservedConcurrentExecutions").is_none(), "{p}");
    let skips = f["Metadata"]["checkov"]["skip"].to_string();
    assert!(skips.contains("CKV_AWS_115"), "{skips}");
    let mut reserving = restore();
    reserving.function.reserved_concurrency = Some(2);
    let v = json(&reserving);
    let f = &v["Resources"]["Function"];
    assert_eq!(f["Properties"]["ReservedConcurrentExecutions"], 2);
    assert!(!f["Metadata"].to_string().contains("CKV_AWS_115"));
    assert_eq!(
        p["Code"]["S3Bucket"],
        serde_json::json!({"Ref": "CodeS3Bucket"})
    );
    assert_eq!(
        p["Environment"]["Variables"]["WORKTIME_TIMEZONE"],
        "America/New_York"
    );
    assert_eq!(
        p["LoggingConfig"]["LogGroup"],
        serde_json::json!({"Ref": "FunctionLogGroup"})
    );
    let lg = &v["Resources"]["FunctionLogGroup"];
    assert_eq!(
        lg["Properties"]["LogGroupName"],
        "/aws/lambda/restore-scaler"
    );
    assert_eq!(lg["Properties"]["RetentionInDays"], 14);
    assert_eq!(lg["DeletionPolicy"], "Delete");
    assert_eq!(
        v["Resources"]["FunctionRole"]["Properties"]["RoleName"],
        serde_json::json!({"Fn::Sub": "restore-scaler-${AWS::Region}"})
    );
    assert!(v["Resources"]["FunctionRole"]["Properties"]
        .get("ManagedPolicyArns")
        .is_none());
    assert_eq!(v["Resources"]["FunctionPolicy"]["Type"], "AWS::IAM::Policy");
}

#[test]
fn policy_is_scoped() {
    let t = build(&seoul()).unwrap();
    let worktime_cfn::ResourceProperties::IamPolicy(policy) =
        &t.resources["FunctionPolicy"].properties
    else {
        panic!("FunctionPolicy is not an AWS::IAM::Policy");
    };
    let doc = &policy.policy_document;
    assert!(
        doc.actions().all(|a| !a.contains('*')),
        "no wildcard actions"
    );
    assert!(doc.actions().all(|a| !a.starts_with("ecs:*")));

    let pass = doc.statement("PassAutoScalingServiceLinkedRole").unwrap();
    assert_eq!(pass.action.iter().collect::<Vec<_>>(), ["iam:PassRole"]);
    let cond = serde_json::to_value(&pass.condition).unwrap();
    assert_eq!(
        cond,
        serde_json::json!({"StringEquals": {"iam:PassedToService": "application-autoscaling.amazonaws.com"}})
    );
    assert!(pass.resources().all(|r| matches!(r, Expr::Sub(s, _) if s.ends_with("AWSServiceRoleForApplicationAutoScaling_ECSService"))));

    let logs = doc.statement("WriteOwnLogs").unwrap();
    assert_eq!(
        logs.resources().collect::<Vec<_>>(),
        [&Expr::get_att("FunctionLogGroup", "Arn")]
    );

    let ecs = doc.statement("ScaleConfiguredServices").unwrap();
    let arns: Vec<_> = ecs.resources().cloned().collect();
    assert_eq!(
        arns,
        [
            Expr::sub("arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:service/batch/*"),
            Expr::sub("arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:service/dev/*"),
        ]
    );
    let tag = doc.statement("RememberCapacity").unwrap();
    assert_eq!(tag.resources().cloned().collect::<Vec<_>>(), arns);

    // Only Describe (which has no resource-level permissions) may use "*".
    for s in &doc.statement {
        if s.resources().any(|r| r.as_literal() == Some("*")) {
            assert_eq!(
                s.action.iter().collect::<Vec<_>>(),
                ["application-autoscaling:DescribeScalableTargets"]
            );
        }
    }
    assert_eq!(
        doc.statement("DeadLetters")
            .unwrap()
            .resources()
            .collect::<Vec<_>>(),
        [&Expr::get_att("DeadLetterQueue", "Arn")]
    );
}

#[test]
fn payload_too_large() {
    let services = (0..300)
        .map(|i| {
            svc(
                "a-rather-long-cluster-name-for-production",
                &format!("service-with-a-long-descriptive-name-{i:03}"),
                Some((1, 2)),
            )
        })
        .collect();
    let c = config(
        "big",
        "us-east-1",
        chrono_tz::UTC,
        Trigger::Scheduler,
        services,
    );
    let err = build(&c).unwrap_err();
    let TemplateError::PayloadTooLarge {
        action,
        size,
        limit,
    } = &err
    else {
        panic!("expected PayloadTooLarge, got {err}");
    };
    assert_eq!(*action, Action::ScaleOut);
    assert_eq!(*limit, 8192);
    assert!(*size > 8192);
    let message = err.to_string();
    assert!(message.contains(&format!("{size} characters")), "{message}");
    assert!(message.contains("8192"), "{message}");
    assert!(message.contains("fewer services"), "{message}");
}

#[test]
fn payload_at_the_limit_is_accepted() {
    // Grow the service list until the payload is just under the limit.
    let mut c = config(
        "edge",
        "us-east-1",
        chrono_tz::UTC,
        Trigger::Rules,
        Vec::new(),
    );
    let mut i = 0;
    loop {
        c.services.push(svc("c", &format!("s{i}"), Some((1, 1))));
        if trigger_input(&c, Action::ScaleOut, None).is_err() {
            c.services.pop();
            break;
        }
        i += 1;
    }
    let size = trigger_input(&c, Action::ScaleOut, None).unwrap().len();
    assert!(
        size <= MAX_INPUT_CHARS && size > MAX_INPUT_CHARS - 64,
        "{size}"
    );
    build(&c).unwrap();
}

#[test]
fn long_stack_names_are_refused() {
    let mut c = seoul();
    c.stack.name = "a".repeat(50);
    let err = build(&c).unwrap_err();
    assert!(
        matches!(
            err,
            TemplateError::NameTooLong {
                what: "IAM role",
                ..
            }
        ),
        "{err}"
    );
}

/// Writes the test templates to `target/templates/` for cfn-lint and checkov
/// (`cargo test -p worktime --lib template -- --ignored`).
#[test]
#[ignore]
fn write_templates() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/templates");
    std::fs::create_dir_all(&dir).unwrap();
    let mut all = vec![
        ("test-seoul".to_string(), seoul()),
        ("test-berlin".to_string(), berlin()),
        ("test-kolkata".to_string(), kolkata()),
        ("test-restore".to_string(), restore()),
    ];
    all.extend(examples());
    // The stack set variants (parameterised), linted like the rest.
    let stacksets = [
        ("stackset-seoul", alone(seoul())),
        ("stackset-berlin", alone(berlin())),
        ("stackset-accounts", with_accounts()),
    ];
    let built = all
        .iter()
        .map(|(name, c)| (name.clone(), build(c).unwrap()))
        .chain(
            stacksets
                .iter()
                .map(|(name, c)| (name.to_string(), build_for_stackset(c).unwrap())),
        );
    for (name, t) in built {
        std::fs::write(dir.join(format!("{name}.yaml")), t.to_yaml().unwrap()).unwrap();
        std::fs::write(dir.join(format!("{name}.json")), t.to_json().unwrap()).unwrap();
    }
}

// ---------------------------------------------------------------- stack set template

fn account(id: &str, regions: &[&str], base: &StackConfig) -> crate::config::Account {
    crate::config::Account {
        selectors: Vec::new(),
        id: id.into(),
        access: crate::config::AccountAccess::Profile("p".into()),
        regions: regions.iter().map(|r| r.to_string()).collect(),
        schedule: base.schedule.clone(),
        services: base.services.clone(),
        notify: base.notify.clone(),
    }
}

/// seoul() with two accounts: one in Kolkata with its own services, one in two regions.
fn with_accounts() -> Fleet {
    let mut c = alone(seoul());
    let mut first = account("111111111111", &["ap-south-1"], &c.home);
    first.schedule.timezone = chrono_tz::Asia::Kolkata;
    first.services = vec![svc("team", "web", None)];
    let second = account("222222222222", &["ap-northeast-2", "us-east-1"], &c.home);
    c.accounts = vec![first, second];
    c
}

fn stackset_json(config: &Fleet) -> serde_json::Value {
    serde_json::from_str(&build_for_stackset(config).unwrap().to_json().unwrap()).unwrap()
}

#[test]
fn stackset_snapshot() {
    let t = build_for_stackset(&with_accounts()).unwrap();
    insta::assert_snapshot!("stackset_accounts-rules", t.to_yaml().unwrap());
}

#[test]
fn stackset_template_takes_the_per_target_values_as_parameters() {
    let v = stackset_json(&with_accounts());
    let parameters: Vec<&str> = v["Parameters"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        parameters,
        [
            "CodeS3Bucket",
            "CodeS3Key",
            "CodeS3ObjectVersion",
            "ScheduleTimezone",
            "ScaleOutExpression",
            "ScaleInExpression",
            "ScaleOutInput",
            "ScaleInInput",
            "ReconcileInput",
            "AllowedServices",
            "AllowedSelectors",
            "ServiceArnPatterns"
        ]
    );
    assert_eq!(
        v["Parameters"]["ServiceArnPatterns"]["Type"],
        "CommaDelimitedList"
    );
    assert_eq!(v["Parameters"]["ScaleOutInput"]["MaxLength"], 4096);
    let r = &v["Resources"];
    let reference = |id: &str| serde_json::json!({ "Ref": id });
    assert_eq!(
        r["ScaleOutRule"]["Properties"]["ScheduleExpression"],
        reference("ScaleOutExpression")
    );
    assert_eq!(
        r["ScaleInRule"]["Properties"]["Targets"][0]["InputTransformer"]["InputTemplate"],
        reference("ScaleInInput")
    );
    assert_eq!(
        r["Function"]["Properties"]["Environment"]["Variables"]["WORKTIME_TIMEZONE"],
        reference("ScheduleTimezone")
    );
    // The list parameter is the statement's Resource itself, not an element of a list.
    for sid in ["ScaleConfiguredServices", "RememberCapacity"] {
        let statement = r["FunctionPolicy"]["Properties"]["PolicyDocument"]["Statement"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["Sid"] == sid)
            .unwrap();
        assert_eq!(
            statement["Resource"],
            reference("ServiceArnPatterns"),
            "{sid}"
        );
    }
    // No target's own values in the template.
    let text = build_for_stackset(&with_accounts())
        .unwrap()
        .to_json()
        .unwrap();
    for literal in [
        "Asia/Seoul",
        "Asia/Kolkata",
        "cron(0",
        "cron(30",
        "service/dev",
        "service/team",
    ] {
        assert!(
            !text.contains(literal),
            "{literal} in the stack set template"
        );
    }
    // The rest is the same stack.
    let direct = json(&seoul());
    let ids = |v: &serde_json::Value| {
        v["Resources"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(&v), ids(&direct));
    assert_eq!(v["Outputs"], direct["Outputs"]);
    assert_eq!(r["DeadLetterQueue"], direct["Resources"]["DeadLetterQueue"]);
}

#[test]
fn stackset_scheduler_variant_takes_the_zone_as_a_parameter() {
    let v = stackset_json(&alone(berlin()));
    let p = &v["Resources"]["ScaleInSchedule"]["Properties"];
    assert_eq!(
        p["ScheduleExpression"],
        serde_json::json!({"Ref": "ScaleInExpression"})
    );
    assert_eq!(
        p["ScheduleExpressionTimezone"],
        serde_json::json!({"Ref": "ScheduleTimezone"})
    );
    assert_eq!(
        p["Target"]["Input"],
        serde_json::json!({"Ref": "ScaleInInput"})
    );
    assert!(v["Resources"].get("SchedulerRole").is_some());
    assert!(v["Parameters"]["ScaleOutExpression"]["Description"]
        .as_str()
        .unwrap()
        .contains("ScheduleTimezone"));
}

#[test]
fn stackset_parameters_are_the_values_build_writes() {
    for c in [seoul(), berlin(), kolkata(), restore()] {
        let direct = json(&c);
        let values = stackset_parameters(&c, Some("123456789012")).unwrap();
        let value = |key: &str| values.iter().find(|(k, _)| *k == key).unwrap().1.clone();
        let (out, into) = match c.schedule.trigger {
            Trigger::Rules => ("ScaleOutRule", "ScaleInRule"),
            Trigger::Scheduler => ("ScaleOutSchedule", "ScaleInSchedule"),
        };
        let r = &direct["Resources"];
        assert_eq!(
            r[out]["Properties"]["ScheduleExpression"],
            value("ScaleOutExpression")
        );
        assert_eq!(
            r[into]["Properties"]["ScheduleExpression"],
            value("ScaleInExpression")
        );
        let input = |id: &str| match c.schedule.trigger {
            Trigger::Rules => {
                r[id]["Properties"]["Targets"][0]["InputTransformer"]["InputTemplate"].clone()
            }
            Trigger::Scheduler => r[id]["Properties"]["Target"]["Input"].clone(),
        };
        assert_eq!(input(out), value("ScaleOutInput"));
        assert_eq!(input(into), value("ScaleInInput"));
        assert_eq!(
            r["Function"]["Properties"]["Environment"]["Variables"]["WORKTIME_TIMEZONE"],
            value("ScheduleTimezone")
        );
        assert_eq!(
            r["Function"]["Properties"]["Environment"]["Variables"]["WORKTIME_ALLOWED_SERVICES"],
            value("AllowedServices")
        );
    }
    let values = stackset_parameters(&seoul(), Some("123456789012")).unwrap();
    assert_eq!(
        values.last().unwrap(),
        &(
            "ServiceArnPatterns",
            "arn:aws:ecs:ap-northeast-2:123456789012:service/batch/*,arn:aws:ecs:ap-northeast-2:123456789012:service/dev/*".to_string()
        )
    );
    let mut china = seoul();
    china.stack.region = "cn-north-1".into();
    let values = stackset_parameters(&china, Some("111111111111")).unwrap();
    assert!(values
        .last()
        .unwrap()
        .1
        .starts_with("arn:aws-cn:ecs:cn-north-1:111111111111:service/"));
    // Accounts not known in advance (organizational units): no ARN parameter at all; the
    // template names each instance's own account.
    let values = stackset_parameters(&china, None).unwrap();
    assert!(values.iter().all(|(k, _)| *k != "ServiceArnPatterns"));
}

#[test]
fn a_service_managed_stack_set_names_each_instance_s_own_account() {
    let mut fleet = alone(seoul());
    fleet.stacksets = Some(crate::config::StackSetSettings {
        permissions: crate::config::StackSetPermissions::ServiceManaged {
            organizational_units: vec!["ou-abcd-12345678".into()],
            organization_id: "o-abcdefghij".into(),
            auto_deployment: true,
        },
    });
    let v: serde_json::Value =
        serde_json::from_str(&build_for_stackset(&fleet).unwrap().to_json().unwrap()).unwrap();
    assert!(v["Parameters"].get("ServiceArnPatterns").is_none());
    let policy = v["Resources"]["FunctionPolicy"].to_string();
    assert!(
        policy.contains("arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:service/dev/*"),
        "{policy}"
    );
    assert!(!policy.contains(":*:service/"), "{policy}");
}

#[test]
fn stackset_parameter_over_4096_bytes_is_refused_with_the_fix() {
    // A payload between CloudFormation's 4,096-byte parameter limit and EventBridge's 8,192.
    let services = (0..80)
        .map(|i| {
            svc(
                "cluster",
                &format!("service-with-a-long-name-{i:03}"),
                Some((1, 2)),
            )
        })
        .collect();
    let c = config("big", "us-east-1", chrono_tz::UTC, Trigger::Rules, services);
    let size = trigger_input(&c, Action::ScaleOut, None).unwrap().len();
    assert!(
        size > MAX_PARAMETER_BYTES && size <= MAX_INPUT_CHARS,
        "{size}"
    );
    build(&c).unwrap();
    build_for_stackset(&alone(c.clone())).unwrap();
    let err = stackset_parameters(&c, Some("111111111111")).unwrap_err();
    let TemplateError::ParameterTooLarge {
        parameter,
        target,
        size: reported,
        limit,
    } = &err
    else {
        panic!("expected ParameterTooLarge, got {err}");
    };
    assert_eq!(*parameter, "ScaleOutInput");
    assert_eq!(target, "111111111111/us-east-1");
    assert_eq!(*reported, size);
    assert_eq!(*limit, 4096);
    let message = err.to_string();
    assert!(message.contains("fewer services"), "{message}");
    assert!(message.contains("without --engine stacksets"), "{message}");
}

#[test]
fn stackset_refuses_an_account_s_own_notify() {
    let mut c = with_accounts();
    build_for_stackset(&c).unwrap();
    c.accounts[1].notify = Some(crate::config::NotifySettings {
        emails: vec!["ops@example.com".into()],
        topic_arn: None,
    });
    let err = build_for_stackset(&c).unwrap_err();
    assert!(
        matches!(err, TemplateError::NotifyOverrideInStackSet { ref account } if account == "222222222222"),
        "{err}"
    );
    assert!(
        err.to_string().contains("without --engine stacksets"),
        "{err}"
    );
}

#[test]
fn stackset_needs_one_trigger_kind() {
    let mut c = with_accounts();
    assert_eq!(stackset_trigger(&c).unwrap(), Trigger::Rules);
    c.accounts[1].schedule.trigger = Trigger::Scheduler;
    let err = build_for_stackset(&c).unwrap_err();
    assert!(matches!(err, TemplateError::MixedTriggers { .. }), "{err}");
    let message = err.to_string();
    assert!(
        message.contains("111111111111") && message.contains("222222222222"),
        "{message}"
    );
    assert!(message.contains("same trigger kind"), "{message}");
    // Without accounts, the top-level trigger.
    assert_eq!(
        stackset_trigger(&alone(berlin())).unwrap(),
        Trigger::Scheduler
    );
}

#[test]
fn stackset_names_are_checked_in_every_region() {
    let mut c = with_accounts();
    // 26 characters: "<name>-scaler-ap-northeast-2" is 64 + 1 in the longest region only.
    c.home.stack.name = "a".repeat(MAX_STACK_NAME_FOR_TEST);
    c.accounts[0].regions = vec!["us-east-1".into()];
    c.accounts[1].regions = vec!["ap-northeast-2".into()];
    c.home.stack.region = "us-east-1".into();
    let err = build_for_stackset(&c).unwrap_err();
    assert!(
        matches!(err, TemplateError::NameTooLong { ref name, .. } if name.ends_with("ap-northeast-2")),
        "{err}"
    );
}

const MAX_STACK_NAME_FOR_TEST: usize = 64 - "-scaler-ap-northeast-2".len() + 1;

#[test]
fn partitions() {
    assert_eq!(partition("us-east-1"), "aws");
    assert_eq!(partition("cn-northwest-1"), "aws-cn");
    assert_eq!(partition("us-gov-west-1"), "aws-us-gov");
    assert_eq!(partition("us-iso-east-1"), "aws-iso");
    assert_eq!(partition("us-isob-east-1"), "aws-iso-b");
}

fn example(stem: &str) -> StackConfig {
    examples()
        .into_iter()
        .find(|(s, _)| s == stem)
        .unwrap_or_else(|| panic!("no example {stem}"))
        .1
}

fn payload_of(input: &Value) -> Value {
    as_delivered(input.as_str().unwrap())
}

#[test]
fn named_schedules_get_their_own_triggers_and_payloads() {
    let v = json(&example("named-schedules"));
    let resources = v["Resources"].as_object().unwrap();
    // [schedule] as rules (with their permissions), berlin as Scheduler schedules.
    for id in [
        "ScaleOutRule",
        "ScaleInRule",
        "ScaleOutPermission",
        "ScaleInPermission",
        "ScaleOutScheduleBerlin",
        "ScaleInScheduleBerlin",
        "SchedulerRole",
    ] {
        assert!(resources.contains_key(id), "{id} missing");
    }
    assert!(!resources.contains_key("ScaleOutSchedule"));
    assert!(!resources.contains_key("ScaleOutRuleBerlin"));
    let berlin = &resources["ScaleInScheduleBerlin"]["Properties"];
    assert_eq!(berlin["Name"], "worktime-teams-berlin-scale-in");
    assert_eq!(berlin["ScheduleExpressionTimezone"], "Europe/Berlin");
    assert_eq!(berlin["ScheduleExpression"], "cron(0 18 ? * MON-FRI *)");
    let payload = payload_of(&berlin["Target"]["Input"]);
    assert_eq!(payload["schedule"], "berlin");
    assert_eq!(payload["timezone"], "Europe/Berlin");
    assert_eq!(payload["action"], "scale-in");
    assert_eq!(
        payload["services"],
        json!([{"resource_id": "service/berlin/api", "min": 1, "max": 2}])
    );
    assert_eq!(
        payload["selectors"],
        json!([{"cluster": "berlin", "tag": "team=analytics"}])
    );
    // Seoul's rule: 19:00 KST is 10:00 UTC; its payload holds only its own service.
    let seoul = &resources["ScaleInRule"]["Properties"];
    assert_eq!(seoul["ScheduleExpression"], "cron(0 10 ? * MON-FRI *)");
    let payload = payload_of(&seoul["Targets"][0]["InputTransformer"]["InputTemplate"]);
    assert_eq!(payload.get("schedule"), None);
    assert_eq!(
        payload["services"],
        json!([{"resource_id": "service/seoul/api", "min": 1, "max": 4}])
    );
    assert_eq!(payload.get("selectors"), None);
    // The allow-list knows which schedule may carry the selector.
    let variables = &resources["Function"]["Properties"]["Environment"]["Variables"];
    assert_eq!(
        variables["WORKTIME_ALLOWED_SERVICES"],
        "seoul/api,berlin/api"
    );
    assert_eq!(
        variables["WORKTIME_ALLOWED_SELECTORS"],
        r#"[{"cluster":"berlin","tag":"team=analytics","schedule":"berlin"}]"#
    );
    for output in [
        "ScaleOutTrigger",
        "ScaleInTrigger",
        "ScaleOutTriggerBerlin",
        "ScaleInTriggerBerlin",
    ] {
        assert!(v["Outputs"].get(output).is_some(), "{output}");
    }
}

/// The function policy's statements by Sid.
fn statements(v: &Value) -> Vec<Value> {
    v["Resources"]["FunctionPolicy"]["Properties"]["PolicyDocument"]["Statement"]
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn selectors_list_only_what_they_need() {
    // "*": every cluster's services, ListClusters, and no cluster condition.
    let v = json(&example("tag-selectors"));
    let policy = statements(&v);
    let list = policy
        .iter()
        .find(|s| s["Sid"] == "ListEveryCluster")
        .unwrap();
    assert_eq!(
        list["Action"],
        json!(["ecs:ListClusters", "ecs:ListServices"])
    );
    assert_eq!(list["Resource"], "*");
    let scale = policy
        .iter()
        .find(|s| s["Sid"] == "ScaleConfiguredServices")
        .unwrap();
    assert_eq!(
        scale["Resource"],
        json!({"Fn::Sub": "arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:service/*/*"})
    );
    let payload = payload_of(&v["Resources"]["ScaleInSchedule"]["Properties"]["Target"]["Input"]);
    assert_eq!(
        payload["selectors"],
        json!([
            {"cluster": "staging", "tag": "worktime=office-hours"},
            {"cluster": "*", "tag": "team=data", "min": 1, "max": 2}
        ])
    );

    // Named clusters only: ListServices on those clusters, no ListClusters.
    let v = json(&example("named-schedules"));
    let policy = statements(&v);
    assert!(policy.iter().all(|s| s["Sid"] != "ListEveryCluster"));
    let list = policy
        .iter()
        .find(|s| s["Sid"] == "ListSelectedClusters")
        .unwrap();
    assert_eq!(list["Action"], "ecs:ListServices");
    assert_eq!(
        list["Condition"]["ArnEquals"]["ecs:cluster"],
        json!({"Fn::Sub": "arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:cluster/berlin"})
    );
    // Without selectors, no listing at all.
    let v = json(&seoul());
    assert!(statements(&v)
        .iter()
        .all(|s| !s["Sid"].as_str().unwrap().starts_with("List")));
}

#[test]
fn stack_sets_refuse_named_schedules() {
    let error = build_for_stackset(&alone(example("named-schedules"))).unwrap_err();
    assert!(
        matches!(error, TemplateError::NamedSchedulesInStackSet { ref name } if name == "berlin"),
        "{error}"
    );
}

const NOTIFIED: &str = r#"
[stack]
name = "wt"
region = "ap-northeast-2"

[schedule]
timezone = "Asia/Seoul"
scale_out = "cron(0 9 ? * MON-FRI *)"
scale_in = "cron(0 19 ? * MON-FRI *)"
trigger = "rules"
warn_before_minutes = 30

[schedules.berlin]
timezone = "Europe/Berlin"
scale_out = "cron(0 8 ? * MON-FRI *)"
scale_in = "cron(0 18 ? * MON-FRI *)"
warn_before_minutes = 15

[[services]]
cluster = "prod"
service = "api"

[[services]]
cluster = "eu"
service = "api"
schedule = "berlin"

[notify]
email = ["oncall@example.com", "team@example.com"]
sns_topic_arn = "arn:aws:sns:ap-northeast-2:123456789012:chatops"
"#;

fn parsed(text: &str) -> StackConfig {
    let day = Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0).unwrap();
    crate::config::parse(text, std::path::Path::new("worktime.toml"), day)
        .unwrap_or_else(|e| panic!("{e}"))
        .home
}

#[test]
fn notify_sends_alarms_and_notices_to_an_encrypted_topic() {
    let v = json(&parsed(NOTIFIED));
    let r = &v["Resources"];
    let topic = &r["NotifyTopic"]["Properties"];
    assert_eq!(topic["TopicName"], "wt-notify");
    assert_eq!(topic["KmsMasterKeyId"], json!({"Ref": "NotifyKey"}));
    assert_eq!(
        topic["Subscription"],
        json!([
            {"Endpoint": "oncall@example.com", "Protocol": "email"},
            {"Endpoint": "team@example.com", "Protocol": "email"}
        ])
    );
    assert_eq!(r["NotifyKey"]["Properties"]["EnableKeyRotation"], true);
    let key_policy = r["NotifyKey"]["Properties"]["KeyPolicy"]["Statement"]
        .as_array()
        .unwrap();
    assert!(key_policy
        .iter()
        .any(|s| s["Principal"]["Service"] == "cloudwatch.amazonaws.com"));
    let topic_policy = &r["NotifyTopicPolicy"]["Properties"]["PolicyDocument"]["Statement"];
    assert_eq!(
        topic_policy[0]["Principal"]["Service"],
        "cloudwatch.amazonaws.com"
    );
    assert_eq!(topic_policy[1]["Effect"], "Deny");
    // Both alarms notify both topics.
    let topics = json!([{"Ref": "NotifyTopic"}, "arn:aws:sns:ap-northeast-2:123456789012:chatops"]);
    assert_eq!(r["ErrorsAlarm"]["Properties"]["AlarmActions"], topics);
    let dlq = &r["DeadLetterQueueAlarm"]["Properties"];
    assert_eq!(dlq["AlarmActions"], topics);
    assert_eq!(dlq["MetricName"], "ApproximateNumberOfMessagesVisible");
    assert_eq!(dlq["Threshold"], 1.0);
    // The function publishes to both, encrypts with the key, puts events on the default bus.
    let policy = statements(&v);
    let publish = policy
        .iter()
        .find(|s| s["Sid"] == "PublishNotices")
        .unwrap();
    assert_eq!(publish["Resource"], topics);
    let kms = policy
        .iter()
        .find(|s| s["Sid"] == "EncryptNotices")
        .unwrap();
    assert_eq!(kms["Resource"], json!({"Fn::GetAtt": ["NotifyKey", "Arn"]}));
    let events = policy.iter().find(|s| s["Sid"] == "PutRunEvents").unwrap();
    assert_eq!(
        events["Resource"],
        json!({"Fn::Sub": "arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:event-bus/default"})
    );
    let variables = &r["Function"]["Properties"]["Environment"]["Variables"];
    assert_eq!(variables["WORKTIME_STACK"], "wt");
    assert_eq!(
        variables["WORKTIME_NOTIFY_TOPICS"],
        json!({"Fn::Join": [",", [{"Ref": "NotifyTopic"}, "arn:aws:sns:ap-northeast-2:123456789012:chatops"]]})
    );
}

#[test]
fn only_a_stack_that_sends_notices_may_record_them_on_its_own_function() {
    let sids = |text: &str| -> Vec<String> {
        statements(&json(&parsed(text)))
            .iter()
            .map(|s| s["Sid"].as_str().unwrap_or_default().to_string())
            .collect()
    };
    let warned = statements(&json(&parsed(NOTIFIED)));
    let record = warned
        .iter()
        .find(|s| s["Sid"] == "RecordNoticeDelivery")
        .unwrap();
    let own = json!({"Fn::Sub": "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:wt-scaler"});
    assert_eq!(record["Action"], "lambda:TagResource");
    assert_eq!(record["Resource"], own);
    assert_eq!(
        record["Condition"]["ForAllValues:StringLike"]["aws:TagKeys"],
        "worktime:notice:*"
    );
    let read = warned
        .iter()
        .find(|s| s["Sid"] == "ReadNoticeRecord")
        .unwrap();
    assert_eq!(read["Resource"], own);
    // Alarms only (no warn_before_minutes): no notice, nothing to record.
    let alarms_only = NOTIFIED
        .replace("warn_before_minutes = 30\n", "")
        .replace("warn_before_minutes = 15\n", "");
    let sids = sids(&alarms_only);
    assert!(sids.iter().any(|s| s == "PublishNotices"), "{sids:?}");
    assert!(
        !sids
            .iter()
            .any(|s| s == "ReadNoticeRecord" || s == "RecordNoticeDelivery"),
        "{sids:?}"
    );
}

#[test]
fn a_schedule_that_warns_gets_a_notice_trigger() {
    let v = json(&parsed(NOTIFIED));
    let r = &v["Resources"];
    // Seoul: rules in UTC; 18:30 KST is 09:30 UTC.
    let rule = &r["NoticeRule"]["Properties"];
    assert_eq!(rule["Name"], "wt-notice");
    assert_eq!(rule["ScheduleExpression"], "cron(30 9 ? * MON-FRI *)");
    let payload = as_delivered(
        rule["Targets"][0]["InputTransformer"]["InputTemplate"]
            .as_str()
            .unwrap(),
    );
    assert_eq!(payload["action"], "notice");
    assert_eq!(payload["warn_before_minutes"], 30);
    assert!(r.get("NoticePermission").is_some());
    // Berlin: a Scheduler schedule in its zone, 15 minutes before 18:00.
    let schedule = &r["NoticeScheduleBerlin"]["Properties"];
    assert_eq!(schedule["Name"], "wt-berlin-notice");
    assert_eq!(schedule["ScheduleExpression"], "cron(45 17 ? * MON-FRI *)");
    assert_eq!(schedule["ScheduleExpressionTimezone"], "Europe/Berlin");
    let payload = as_delivered(schedule["Target"]["Input"].as_str().unwrap());
    assert_eq!(payload["schedule"], "berlin");
    assert_eq!(payload["warn_before_minutes"], 15);
    // No [notify], no notices.
    let e = crate::config::parse(
        NOTIFIED.split("[notify]").next().unwrap(),
        std::path::Path::new("worktime.toml"),
        Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0).unwrap(),
    )
    .unwrap_err();
    assert_eq!(e.key.as_deref(), Some("schedule.warn_before_minutes"));
}

#[test]
fn a_stack_set_of_selectors_only_takes_an_empty_service_list() {
    let text = r#"
[stack]
name = "wt"
region = "eu-west-1"

[schedule]
timezone = "Europe/Dublin"
scale_out = "cron(0 8 ? * MON-FRI *)"
scale_in = "cron(0 19 ? * MON-FRI *)"

[[services]]
cluster = "staging"
tag = "worktime"
"#;
    let day = Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0).unwrap();
    let fleet = crate::config::parse(text, std::path::Path::new("worktime.toml"), day).unwrap();
    let template: Value =
        serde_json::from_str(&build_for_stackset(&fleet).unwrap().to_json().unwrap()).unwrap();
    let parameter = &template["Parameters"]["AllowedServices"];
    assert!(parameter.get("MinLength").is_none(), "{parameter}");
    let values = stackset_parameters(&fleet.home, Some("111111111111")).unwrap();
    let allowed = values
        .iter()
        .find(|(k, _)| *k == "AllowedServices")
        .unwrap();
    assert_eq!(allowed.1, "");
    let selectors = values
        .iter()
        .find(|(k, _)| *k == "AllowedSelectors")
        .unwrap();
    assert_eq!(selectors.1, r#"[{"cluster":"staging","tag":"worktime"}]"#);
}

// ------------------------------------------------------------------------------- waves

#[test]
fn a_schedule_in_waves_starts_its_state_machine_and_the_others_invoke_the_function() {
    let config = example("waves");
    let t = json(&config);
    let resources = &t["Resources"];
    // Each schedule in waves has a Standard machine logging to the function's log group.
    for (id, name) in [
        ("WavesStateMachine", "worktime-waves-waves"),
        ("WavesStateMachineBatch", "worktime-waves-batch-waves"),
    ] {
        let machine = &resources[id];
        assert_eq!(machine["Type"], "AWS::StepFunctions::StateMachine");
        let p = &machine["Properties"];
        assert_eq!(p["StateMachineName"], name);
        assert_eq!(p["StateMachineType"], "STANDARD");
        assert_eq!(
            p["RoleArn"],
            serde_json::json!({"Fn::GetAtt": ["WavesRole", "Arn"]})
        );
        let logging = &p["LoggingConfiguration"];
        assert_eq!(logging["Level"], "ALL");
        assert_eq!(
            logging["Destinations"][0]["CloudWatchLogsLogGroup"]["LogGroupArn"],
            serde_json::json!({"Fn::GetAtt": ["FunctionLogGroup", "Arn"]})
        );
        // The definition is JSON once CloudFormation fills in the function's ARN: a loop
        // around the function that waits as long as it says.
        let text = p["DefinitionString"]["Fn::Sub"].as_str().unwrap();
        let filled = text.replace("${AWS::Partition}", "aws").replace(
            "${Function.Arn}",
            "arn:aws:lambda:ap-northeast-2:111111111111:function:f",
        );
        assert!(!filled.contains("${"), "{filled}");
        let asl: Value = serde_json::from_str(&filled).unwrap();
        assert_eq!(asl["StartAt"], "Begin");
        // The run's start time comes from the execution, so a retried first step keeps it.
        assert_eq!(
            asl["States"]["Begin"]["Parameters"],
            serde_json::json!({"status": "start", "started_at.$": "$$.Execution.StartTime"})
        );
        assert_eq!(asl["States"]["Begin"]["ResultPath"], "$.step");
        let step = &asl["States"]["Step"];
        assert_eq!(step["Resource"], "arn:aws:states:::lambda:invoke");
        assert_eq!(step["Parameters"]["Payload.$"], "$");
        assert_eq!(step["OutputPath"], "$.Payload");
        assert_eq!(asl["States"]["Wait"]["SecondsPath"], "$.step.wait_seconds");
        let choices = asl["States"]["Where"]["Choices"].as_array().unwrap();
        assert_eq!(choices[0]["StringEquals"], "wait");
        assert_eq!(choices[1]["StringEquals"], "next");
        assert_eq!(asl["States"]["Where"]["Default"], "Done");
    }
    // Scale-in and scale-out start the machine with the start role; no permission on the
    // function for them. The reconcile still invokes the function directly.
    for rule in ["ScaleOutRule", "ScaleInRule"] {
        let target = &resources[rule]["Properties"]["Targets"][0];
        assert_eq!(
            target["Arn"],
            serde_json::json!({"Ref": "WavesStateMachine"})
        );
        assert_eq!(
            target["RoleArn"],
            serde_json::json!({"Fn::GetAtt": ["WavesStartRole", "Arn"]})
        );
    }
    assert!(resources.get("ScaleOutPermission").is_none());
    assert!(resources.get("ScaleInPermission").is_none());
    assert_eq!(
        resources["ReconcileRule"]["Properties"]["Targets"][0]["Arn"],
        serde_json::json!({"Fn::GetAtt": ["Function", "Arn"]})
    );
    assert!(resources.get("ReconcilePermission").is_some());
    for schedule in ["ScaleOutScheduleBatch", "ScaleInScheduleBatch"] {
        let target = &resources[schedule]["Properties"]["Target"];
        assert_eq!(
            target["Arn"],
            serde_json::json!({"Ref": "WavesStateMachineBatch"})
        );
        assert_eq!(
            target["RoleArn"],
            serde_json::json!({"Fn::GetAtt": ["WavesStartRole", "Arn"]})
        );
    }
    assert_eq!(
        resources["ReconcileScheduleBatch"]["Properties"]["Target"]["RoleArn"],
        serde_json::json!({"Fn::GetAtt": ["SchedulerRole", "Arn"]})
    );
}

#[test]
fn the_wave_roles_may_invoke_this_function_and_start_these_machines_only() {
    let t = json(&example("waves"));
    let machine_role = &t["Resources"]["WavesRole"]["Properties"];
    assert_eq!(
        machine_role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["Service"],
        "states.amazonaws.com"
    );
    let statements = machine_role["Policies"][0]["PolicyDocument"]["Statement"]
        .as_array()
        .unwrap();
    let invoke = statements
        .iter()
        .find(|s| s["Sid"] == "InvokeScaler")
        .unwrap();
    assert_eq!(invoke["Action"], "lambda:InvokeFunction");
    assert_eq!(
        invoke["Resource"][0],
        serde_json::json!({"Fn::GetAtt": ["Function", "Arn"]})
    );
    // No other action reaches a resource but log delivery, which has no resource type.
    for statement in statements {
        if statement["Sid"] != "InvokeScaler" {
            assert_eq!(statement["Resource"], "*");
            for action in statement["Action"].as_array().unwrap() {
                assert!(action.as_str().unwrap().starts_with("logs:"), "{action}");
            }
        }
    }
    let start_role = &t["Resources"]["WavesStartRole"]["Properties"];
    let principals: Vec<&Value> = start_role["AssumeRolePolicyDocument"]["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| &s["Principal"]["Service"])
        .collect();
    assert_eq!(
        principals,
        ["events.amazonaws.com", "scheduler.amazonaws.com"]
    );
    let start = &start_role["Policies"][0]["PolicyDocument"]["Statement"][0];
    assert_eq!(start["Action"], "states:StartExecution");
    assert_eq!(
        start["Resource"],
        serde_json::json!([{"Ref": "WavesStateMachine"}, {"Ref": "WavesStateMachineBatch"}])
    );
}

#[test]
fn a_one_wave_schedule_has_no_state_machine() {
    let t = json(&seoul());
    let types: Vec<&str> = t["Resources"]
        .as_object()
        .unwrap()
        .values()
        .map(|r| r["Type"].as_str().unwrap())
        .collect();
    assert!(
        !types.contains(&"AWS::StepFunctions::StateMachine"),
        "{types:?}"
    );
    assert!(t["Resources"].get("WavesRole").is_none());
}

// ---------------------------------------------------------------- wake on request (issue 18)

fn woken_config(routes: Option<crate::config::WakeRoutes>) -> StackConfig {
    let mut c = seoul();
    c.services[0].wake = Some(crate::config::WakeSpec {
        idle_minutes: 30,
        key: "services[0]".into(),
        routes,
    });
    c
}

#[test]
fn a_woken_service_gets_a_lambda_target_group_registered_after_its_invoke_permission() {
    let c = woken_config(None);
    let v: serde_json::Value =
        serde_json::from_str(&build(&c).unwrap().to_json().unwrap()).unwrap();
    let group = &v["Resources"]["WakeTargetGroup0"];
    assert_eq!(group["Type"], "AWS::ElasticLoadBalancingV2::TargetGroup");
    assert_eq!(group["Properties"]["TargetType"], "lambda");
    assert_eq!(group["Properties"]["Name"], "dev-seoul-wake-0");
    assert_eq!(
        group["Properties"]["Targets"][0]["Id"],
        serde_json::json!({"Fn::GetAtt": ["Function", "Arn"]})
    );
    assert_eq!(group["DependsOn"], serde_json::json!(["WakePermission0"]));
    let permission = &v["Resources"]["WakePermission0"]["Properties"];
    assert_eq!(
        permission["Principal"],
        "elasticloadbalancing.amazonaws.com"
    );
    assert_eq!(
        permission["SourceArn"]["Fn::Sub"],
        "arn:${AWS::Partition}:elasticloadbalancing:${AWS::Region}:${AWS::AccountId}:targetgroup/dev-seoul-wake-0/*"
    );
    let env = &v["Resources"]["Function"]["Properties"]["Environment"]["Variables"];
    let woken: Vec<worktime_lambda::wake::WakeTarget> =
        serde_json::from_str(env["WORKTIME_WAKE"].as_str().unwrap()).unwrap();
    assert_eq!(woken.len(), 1);
    assert_eq!(woken[0].group, "dev-seoul-wake-0");
    assert_eq!(woken[0].idle_minutes, 30);
    // Without a woken service, none of it.
    let plain: serde_json::Value =
        serde_json::from_str(&build(&seoul()).unwrap().to_json().unwrap()).unwrap();
    assert!(plain["Resources"].get("WakeTargetGroup0").is_none());
    assert!(
        plain["Resources"]["Function"]["Properties"]["Environment"]["Variables"]
            .get("WORKTIME_WAKE")
            .is_none()
    );
    let text = plain.to_string();
    assert!(
        !text.contains("elasticloadbalancing"),
        "no ELB permission without a wake"
    );
}

#[test]
fn the_function_may_rewrite_and_tag_only_the_rules_and_listeners_found_at_deploy() {
    let rule = "arn:aws:elasticloadbalancing:ap-northeast-2:1:listener-rule/app/web/1/2/3";
    let listener = "arn:aws:elasticloadbalancing:ap-northeast-2:1:listener/app/web/1/2";
    let c = woken_config(Some(crate::config::WakeRoutes {
        target_groups: vec!["tg".into()],
        listeners: vec![listener.into()],
        rules: vec![rule.into()],
    }));
    let v: serde_json::Value =
        serde_json::from_str(&build(&c).unwrap().to_json().unwrap()).unwrap();
    let statements = v["Resources"]["FunctionPolicy"]["Properties"]["PolicyDocument"]["Statement"]
        .as_array()
        .unwrap()
        .clone();
    let sid = |name: &str| {
        statements
            .iter()
            .find(|s| s["Sid"] == name)
            .unwrap_or_else(|| panic!("no {name}"))
            .clone()
    };
    assert_eq!(sid("RepointWakeRules")["Resource"], rule);
    assert_eq!(sid("RepointWakeListeners")["Resource"], listener);
    let remember = sid("RememberWakeRoutes");
    assert_eq!(remember["Resource"], serde_json::json!([rule, listener]));
    assert_eq!(
        remember["Condition"]["ForAllValues:StringEquals"]["aws:TagKeys"],
        "worktime:wake-route"
    );
    assert_eq!(sid("ReadWakeRoutes")["Resource"], "*");
    // The hold and the wake's record (its start, its durations), on the woken service only.
    let hold = sid("HoldWokenServices");
    assert_eq!(hold["Action"], "ecs:TagResource");
    assert_eq!(
        hold["Resource"]["Fn::Sub"],
        "arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:service/dev/api"
    );
    assert_eq!(
        hold["Condition"]["ForAllValues:StringEquals"]["aws:TagKeys"],
        serde_json::json!([
            "worktime:hold-until",
            "worktime:wake-started",
            "worktime:wake-seconds"
        ])
    );
}

#[test]
fn routes_too_long_for_the_environment_are_refused_with_the_fix() {
    let rules: Vec<String> = (0..40)
        .map(|i| format!("arn:aws:elasticloadbalancing:ap-northeast-2:123456789012:listener-rule/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2/{i:016}"))
        .collect();
    let c = woken_config(Some(crate::config::WakeRoutes {
        target_groups: vec!["tg".into()],
        listeners: Vec::new(),
        rules,
    }));
    let err = build(&c).unwrap_err().to_string();
    assert!(err.contains("WORKTIME_WAKE"), "{err}");
    assert!(err.contains("wake fewer services per stack"), "{err}");
}

#[test]
fn a_stack_name_too_long_for_the_wake_target_group_name_is_refused() {
    let mut c = woken_config(None);
    c.stack.name = "a-rather-long-stack-name-here".into();
    let err = build(&c).unwrap_err().to_string();
    assert!(err.contains("wake target group"), "{err}");
    assert!(err.contains("32-character"), "{err}");
}
