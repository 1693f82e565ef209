//! `worktime policy`'s documents for real configurations: scoped to the stack's names, one
//! Sid per group of commands, the execution role taking CloudFormation's work.

use std::collections::BTreeSet;
use std::path::Path;

use chrono::{TimeZone, Utc};

use super::*;
use crate::config;

const CONFIG: &str = r#"
[stack]
name = "wt"
region = "ap-northeast-2"

[schedule]
timezone = "Asia/Seoul"
scale_out = "cron(0 9 ? * MON-FRI *)"
scale_in = "cron(0 19 ? * MON-FRI *)"
trigger = "scheduler"

[[services]]
cluster = "prod"
service = "api"
"#;

fn fleet(extra: &str) -> Fleet {
    let text = CONFIG.replacen("[schedule]", &format!("{extra}\n[schedule]"), 1);
    config::parse(
        &text,
        Path::new("worktime.toml"),
        Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0).unwrap(),
    )
    .unwrap()
}

fn plan(commands: &[Cmd], execution_role: bool) -> PolicyPlan {
    PolicyPlan {
        commands: commands.iter().copied().collect(),
        account: Some("123456789012".into()),
        engine: Engine::Direct,
        execution_role,
    }
}

fn report(fleet: &Fleet, plan: &PolicyPlan) -> PolicyReport {
    build(
        plan,
        fleet,
        "ap-northeast-2",
        "123456789012".into(),
        AccountSource::Flag,
    )
    .unwrap()
}

fn statements<'a>(report: &'a PolicyReport, name: &str) -> &'a [Statement] {
    &report
        .policies
        .iter()
        .find(|p| p.name == name)
        .unwrap_or_else(|| panic!("no policy {name}"))
        .document
        .statement
}

fn granting<'a>(statements: &'a [Statement], action: &str) -> Vec<&'a Statement> {
    statements
        .iter()
        .filter(|s| s.action.iter().any(|a| a == action))
        .collect()
}

#[test]
fn bootstrap_gets_exact_actions_on_this_stacks_names_only() {
    let report = report(&fleet(""), &plan(&[Cmd::Bootstrap], false));
    let statements = statements(&report, "operator");
    for statement in statements {
        assert!(
            statement.action.iter().all(|a| !a.contains('*')),
            "{statement:?}"
        );
        assert!(statement.sid.ends_with("ForBootstrap"), "{}", statement.sid);
        // "*" only where the table says the action has no resource-level permissions.
        if statement.resource == ["*"] {
            assert!(
                !statement.notes.is_empty() || !statement.condition.is_empty(),
                "{statement:?}"
            );
        }
    }
    let stack = granting(statements, "cloudformation:CreateChangeSet");
    assert_eq!(
        stack[0].resource,
        ["arn:aws:cloudformation:ap-northeast-2:123456789012:stack/wt/*"]
    );
    let upload = granting(statements, "s3:PutObject");
    assert_eq!(
        upload[0].resource,
        ["arn:aws:s3:::worktime-artifacts-123456789012-ap-northeast-2/stacks/wt/*"]
    );
    // The stack's roles go to their services only.
    let pass = granting(statements, "iam:PassRole");
    let passed: BTreeSet<(String, String)> = pass
        .iter()
        .map(|s| {
            (
                s.resource.join(","),
                s.condition["StringEquals"]["iam:PassedToService"].join(","),
            )
        })
        .collect();
    assert_eq!(
        passed,
        BTreeSet::from([
            (
                "arn:aws:iam::123456789012:role/wt-scaler-ap-northeast-2".into(),
                "lambda.amazonaws.com".into()
            ),
            (
                "arn:aws:iam::123456789012:role/wt-scheduler-ap-northeast-2".into(),
                "scheduler.amazonaws.com".into()
            ),
        ])
    );
    // Scheduler, not rules: schedules are granted and rules are not.
    assert!(!granting(statements, "scheduler:CreateSchedule").is_empty());
    assert!(granting(statements, "events:PutRule").is_empty());
    // Teardown's own calls are not bootstrap's.
    assert!(granting(statements, "s3:DeleteBucket").is_empty());
    // The account's Lambda quota is read only for a reservation.
    assert!(granting(statements, "lambda:GetAccountSettings").is_empty());
    let mut reserving = fleet("");
    reserving.home.function.reserved_concurrency = Some(2);
    let with = report_for(&reserving, &[Cmd::Bootstrap]);
    let quota = granting(statements_of(&with), "lambda:GetAccountSettings");
    assert_eq!(quota[0].resource, ["*"]);
    assert!(!quota[0].notes.is_empty());
}

fn report_for(fleet: &Fleet, commands: &[Cmd]) -> PolicyReport {
    report(fleet, &plan(commands, false))
}

fn statements_of(report: &PolicyReport) -> &[Statement] {
    statements(report, "operator")
}

#[test]
fn each_command_gets_only_its_own_rows_and_sids_name_the_commands() {
    let report = report(&fleet(""), &plan(&[Cmd::Status, Cmd::Hold], false));
    let statements = statements(&report, "operator");
    let tag = granting(statements, "ecs:TagResource");
    assert_eq!(tag.len(), 1);
    assert_eq!(tag[0].sid, "ServicesTagsForHold");
    assert_eq!(
        tag[0].resource,
        ["arn:aws:ecs:ap-northeast-2:123456789012:service/prod/*"]
    );
    assert_eq!(
        tag[0].condition["ForAllValues:StringEquals"]["aws:TagKeys"],
        ["worktime:hold-until"]
    );
    assert!(granting(statements, "cloudformation:CreateChangeSet").is_empty());
    assert!(granting(statements, "ecs:UpdateService").is_empty());
    let logs = granting(statements, "logs:FilterLogEvents");
    assert_eq!(logs[0].sid, "LogGroupForStatus");
    // Without tag selectors there is nothing to list.
    assert!(granting(statements, "ecs:ListServices").is_empty());
}

#[test]
fn an_execution_role_takes_cloudformations_work_and_the_operator_only_passes_it() {
    let arn = "arn:aws:iam::123456789012:role/wt-cfn";
    let fleet = fleet(&format!("execution_role_arn = \"{arn}\""));
    let report = report(&fleet, &plan(&[Cmd::Bootstrap, Cmd::Teardown], false));
    let operator = statements(&report, "operator");
    let role = statements(&report, "execution-role");
    for action in [
        "iam:CreateRole",
        "lambda:CreateFunction",
        "events:PutRule",
        "logs:CreateLogGroup",
        "scheduler:CreateSchedule",
    ] {
        assert!(
            granting(operator, action).is_empty(),
            "operator has {action}"
        );
    }
    assert!(!granting(role, "lambda:CreateFunction").is_empty());
    let pass = granting(operator, "iam:PassRole");
    assert!(!pass.is_empty());
    for statement in pass {
        assert_eq!(statement.resource, [arn]);
        assert_eq!(
            statement.condition["StringEquals"]["iam:PassedToService"],
            ["cloudformation.amazonaws.com"]
        );
    }
    assert!(!granting(operator, "iam:GetRole").is_empty());
    // Without the role, the operator holds CloudFormation's work itself.
    let plain = super::tests::report(&super::tests::fleet(""), &plan(&[Cmd::Bootstrap], false));
    assert!(!granting(statements(&plain, "operator"), "lambda:CreateFunction").is_empty());
    assert_eq!(plain.policies.len(), 1);
}

#[test]
fn an_unknown_account_is_a_star_with_a_note() {
    let fleet = fleet("");
    let report = build(
        &plan(&[Cmd::Deploy], false),
        &fleet,
        "ap-northeast-2",
        "*".into(),
        AccountSource::Unknown,
    )
    .unwrap();
    assert!(report.notes.iter().any(|n| n.contains("--account")));
    let statements = statements(&report, "operator");
    assert_eq!(
        granting(statements, "cloudformation:ExecuteChangeSet")[0].resource,
        ["arn:aws:cloudformation:ap-northeast-2:*:stack/wt/*"]
    );
}

#[test]
fn rollout_prints_the_administrator_and_each_targets_role() {
    let fleet = fleet("").clone();
    let text = format!(
        "{CONFIG}\n[[accounts]]\nid = \"111111111111\"\nrole = \"Deployer\"\nregions = [\"ap-northeast-2\", \"us-east-1\"]\n"
    );
    let with_accounts = config::parse(
        &text,
        Path::new("worktime.toml"),
        Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0).unwrap(),
    )
    .unwrap();
    assert!(fleet.accounts.is_empty());
    let report = report(&with_accounts, &plan(&[Cmd::Rollout], false));
    assert!(report.policies.iter().all(|p| p.name != "operator"));
    let admin = statements(&report, "rollout-administrator");
    let assume = granting(admin, "sts:AssumeRole");
    assert_eq!(
        assume[0].resource,
        ["arn:aws:iam::111111111111:role/Deployer"]
    );
    // The direct engine's administrator uploads nothing itself.
    assert!(granting(admin, "s3:PutObject").is_empty());
    let target = statements(&report, "rollout-target");
    let create = granting(target, "cloudformation:CreateChangeSet");
    assert_eq!(
        create[0].resource,
        [
            "arn:aws:cloudformation:ap-northeast-2:111111111111:stack/wt/*",
            "arn:aws:cloudformation:us-east-1:111111111111:stack/wt/*"
        ]
    );
    assert!(target.iter().all(|s| s.sid.ends_with("ForRollout")));
    assert!(!granting(target, "lambda:CreateFunction").is_empty());
    // The administrator creates none of the stack's resources itself.
    assert!(granting(admin, "lambda:CreateFunction").is_empty());
}

#[test]
fn every_resource_type_of_the_examples_templates_has_its_work_declared() {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
    for entry in std::fs::read_dir(examples).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "toml") {
            continue;
        }
        let fleet = config::load(&path, Utc::now()).unwrap();
        for resource in template::build(&fleet.home).unwrap().resources.values() {
            assert!(
                WORK.iter().any(|w| w.resource_type == resource.type_name()),
                "{}: {} has no declared permissions",
                path.display(),
                resource.type_name()
            );
        }
    }
}

#[test]
fn a_stack_sets_execution_role_reads_the_administrators_code_and_the_administrator_passes_its_role()
{
    let text = format!(
        "{CONFIG}\n[[accounts]]\nid = \"111111111111\"\nrole = \"Deployer\"\n\n[stacksets]\npermission_model = \"self-managed\"\n"
    );
    let fleet = config::parse(
        &text,
        Path::new("worktime.toml"),
        Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0).unwrap(),
    )
    .unwrap();
    let mut plan = plan(&[Cmd::Rollout], false);
    plan.engine = Engine::Stacksets;
    let report = report(&fleet, &plan);
    let admin = statements(&report, "rollout-administrator");
    assert!(granting(admin, "sts:AssumeRole").is_empty());
    assert_eq!(
        granting(admin, "cloudformation:CreateStackSet")[0].resource[0],
        "arn:aws:cloudformation:ap-northeast-2:123456789012:stackset/wt:*"
    );
    let pass = granting(admin, "iam:PassRole");
    assert_eq!(
        pass[0].resource,
        ["arn:aws:iam::123456789012:role/AWSCloudFormationStackSetAdministrationRole"]
    );
    let execution = statements(&report, "stackset-execution");
    assert_eq!(
        granting(execution, "s3:GetObject")[0].resource,
        ["arn:aws:s3:::worktime-artifacts-123456789012-ap-northeast-2/stack-sets/wt/*"]
    );
    assert!(!granting(execution, "iam:CreateRole").is_empty());
    assert_eq!(
        granting(execution, "iam:CreateRole")[0].resource,
        [
            "arn:aws:iam::111111111111:role/wt-scaler-ap-northeast-2",
            "arn:aws:iam::111111111111:role/wt-scheduler-ap-northeast-2"
        ]
    );
}

#[test]
fn the_readme_shows_what_deploy_needs_for_the_quick_starts_config() {
    let fleet = config::parse(
        crate::config::example::EXAMPLE_CONFIG,
        Path::new("worktime.toml"),
        Utc::now(),
    )
    .unwrap();
    let printed = report_for(&fleet, &[Cmd::Deploy]).to_string();
    let readme = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/permissions.md"),
    )
    .unwrap();
    let command = "$ worktime policy --for deploy --account 123456789012\n";
    let start = readme
        .find(command)
        .expect("docs/permissions.md shows the command")
        + command.len();
    let end = start + readme[start..].find("```").expect("the block ends");
    assert_eq!(
        readme[start..end],
        printed,
        "docs/permissions.md's example is stale"
    );
}

#[test]
fn capacity_and_waves_add_their_reads_only_when_configured() {
    // Deploy reads clusters and groups only for [[capacity]] (status always reads its
    // services' clusters: `status_reads_its_services_clusters_capacity_providers`).
    let plain = report(&fleet(""), &plan(&[Cmd::Deploy], false));
    let plain = statements(&plain, "operator");
    for action in [
        "autoscaling:DescribeAutoScalingGroups",
        "ecs:DescribeClusters",
        "ecs:DescribeCapacityProviders",
        "states:CreateStateMachine",
        "states:ListExecutions",
    ] {
        assert!(
            granting(plain, action).is_empty(),
            "{action} without capacity"
        );
    }
    let text = CONFIG.to_string()
        + "\n[[services]]\ncluster = \"prod\"\nservice = \"worker\"\nwave = 1\n\n[[capacity]]\ncluster = \"prod\"\nautoscaling_group = \"prod-asg\"\n";
    let fleet = config::parse(
        &text,
        Path::new("worktime.toml"),
        Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0).unwrap(),
    )
    .unwrap();
    let report = report(&fleet, &plan(&[Cmd::Deploy, Cmd::Status], false));
    let statements = statements(&report, "operator");
    let describe = granting(statements, "ecs:DescribeClusters");
    assert_eq!(
        describe[0].resource,
        ["arn:aws:ecs:ap-northeast-2:123456789012:cluster/prod"]
    );
    assert_eq!(
        granting(statements, "autoscaling:DescribeAutoScalingGroups")[0].resource,
        ["*"]
    );
    assert_eq!(
        granting(statements, "states:ListExecutions")[0].resource,
        ["arn:aws:states:ap-northeast-2:123456789012:stateMachine:wt-*"]
    );
    assert!(!granting(statements, "states:CreateStateMachine").is_empty());
}

#[test]
fn status_reads_its_services_clusters_capacity_providers() {
    let report = report(&fleet(""), &plan(&[Cmd::Status], false));
    let statements = statements(&report, "operator");
    let clusters: Vec<&String> = granting(statements, "ecs:DescribeClusters")
        .iter()
        .flat_map(|s| s.resource.iter())
        .collect();
    assert_eq!(
        clusters,
        ["arn:aws:ecs:ap-northeast-2:123456789012:cluster/prod"]
    );
    assert_eq!(
        granting(statements, "ecs:DescribeCapacityProviders")[0].resource,
        ["arn:aws:ecs:ap-northeast-2:123456789012:capacity-provider/*"]
    );
    assert_eq!(
        granting(statements, "autoscaling:DescribeAutoScalingGroups")[0].resource,
        ["*"]
    );
}
