//! Issue 21, item 4: the lifecycle (bootstrap, status, deploy, teardown) run with the keys of
//! an IAM user holding exactly the policy `worktime policy` prints, against the AWS model's
//! identity-policy evaluation (`tests/aws_model/worktime_moto/iam_identity.py`: each request's
//! action, resources and condition keys; CloudFormation's resource handlers as the caller, or
//! as the execution role). With the whole policy every command succeeds; without any one
//! statement, the first command that needs it fails with AccessDenied named and exit code not
//! 0, and nothing is left half made (below), which a teardown with the whole policy then
//! clears.
//!
//! "Nothing half made", after the failed command:
//! - bootstrap: no stack, or one rolled back (`ROLLBACK_COMPLETE`) with none of its resources
//!   left (function, roles, queue, log group, rules); no code object in an artifact bucket that
//!   lacks its TLS-only policy;
//! - status: the stack as before (status only reads);
//! - teardown: the stack deleted, as it was (its deletion refused), or `DELETE_FAILED`
//!   (CloudFormation's own state for a delete that stopped), and each service either given back (its working-hours desired count, no
//!   `worktime:capacity` tag) or still holding the `worktime:capacity` tag a teardown gives it
//!   back from;
//! - and then `teardown` with the whole policy ends with nothing of worktime's left and the
//!   services given back.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::Path;

use serde_json::Value;
use worktime_e2e::*;

const REGION: &str = "ap-northeast-2";
const ACCOUNT: &str = "123456789012";

fn config(extra: &str) -> String {
    format!(
        r#"
[stack]
name = "wt"
region = "{REGION}"
{extra}
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

[[services]]
cluster = "prod"
service = "worker"
"#
    )
}

/// A function zip whose `bootstrap` is only an ELF header for this host's architecture: what
/// worktime checks before it uploads (moto runs no code), without hashing a debug build of
/// the real binary on every run. `version` makes a different zip (a code change).
fn small_zip(dir: &Path, name: &str, version: &str) -> String {
    use zip::write::SimpleFileOptions;
    let mut header = [0u8; 64];
    header[..4].copy_from_slice(b"\x7fELF");
    header[4] = 2; // 64-bit
    header[5] = 1; // little-endian
    header[6] = 1;
    let machine: u16 = if host_architecture() == "arm64" {
        183
    } else {
        62
    };
    header[18..20].copy_from_slice(&machine.to_le_bytes());
    let path = dir.join(name);
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&path).expect("zip"));
    let options = SimpleFileOptions::default().unix_permissions(0o755);
    zip.start_file("bootstrap", options).expect("entry");
    zip.write_all(&header).expect("write");
    zip.start_file("VERSION", options).expect("entry");
    zip.write_all(version.as_bytes()).expect("write");
    zip.finish().expect("finish");
    path.display().to_string()
}

/// The printed policies (`operator`, and `execution-role` when the config names one).
fn printed(dir: &Path, env: &[(String, String)]) -> Value {
    worktime(
        dir,
        env,
        &[
            "policy",
            "--for",
            "bootstrap,status,deploy,teardown",
            "--output",
            "json",
        ],
    )
    .expect_code(0)
    .json()
}

fn policy_named<'a>(printed: &'a Value, name: &str) -> &'a Value {
    printed["policies"]
        .as_array()
        .expect("policies")
        .iter()
        .find(|p| p["name"] == name)
        .map(|p| &p["document"])
        .unwrap_or_else(|| panic!("no {name} policy in {printed}"))
}

/// A fresh account: the services, an IAM user `operator` holding `document` (inline: the model
/// does not count characters; on AWS a document over 2,048 goes on a role or in managed
/// policies) and its access key; returns the environment that runs worktime as that user.
/// A capacity provider on `cluster` over an Auto Scaling group, so that `status` reads the
/// providers and their groups (its capacity warnings), as it does only for such clusters.
async fn capacity_provider(sdk: &aws_config::SdkConfig, cluster: &str) {
    let groups = aws_sdk_autoscaling::Client::new(sdk);
    groups
        .create_launch_configuration()
        .launch_configuration_name("prod-lc")
        .image_id("ami-12c6146b")
        .instance_type("t3.micro")
        .send()
        .await
        .expect("launch configuration");
    groups
        .create_auto_scaling_group()
        .auto_scaling_group_name("prod-asg")
        .launch_configuration_name("prod-lc")
        .min_size(0)
        .max_size(2)
        .desired_capacity(0)
        .availability_zones(format!("{REGION}a"))
        .send()
        .await
        .expect("group");
    let arn = groups
        .describe_auto_scaling_groups()
        .auto_scaling_group_names("prod-asg")
        .send()
        .await
        .expect("groups")
        .auto_scaling_groups()[0]
        .auto_scaling_group_arn()
        .expect("arn")
        .to_string();
    let ecs = aws_sdk_ecs::Client::new(sdk);
    ecs.create_capacity_provider()
        .name("prod-cp")
        .auto_scaling_group_provider(
            aws_sdk_ecs::types::AutoScalingGroupProvider::builder()
                .auto_scaling_group_arn(arn)
                .build()
                .expect("provider"),
        )
        .send()
        .await
        .expect("capacity provider");
    ecs.put_cluster_capacity_providers()
        .cluster(cluster)
        .capacity_providers("prod-cp")
        .set_default_capacity_provider_strategy(Some(Vec::new()))
        .send()
        .await
        .expect("cluster providers");
}

async fn fresh_account(moto: &Moto, document: &Value) -> Vec<(String, String)> {
    moto.reset();
    let sdk = moto.sdk().await;
    create_services(&sdk, "prod", &[("api", 2), ("worker", 4)]).await;
    register_target(&sdk, "prod", "api", 1, 3).await;
    capacity_provider(&sdk, "prod").await;
    operator(moto, document).await
}

/// An IAM user `operator` holding `document` in the account as it is; the environment that
/// runs worktime as that user.
async fn operator(moto: &Moto, document: &Value) -> Vec<(String, String)> {
    let sdk = moto.sdk().await;
    let iam = aws_sdk_iam::Client::new(&sdk);
    iam.create_user()
        .user_name("operator")
        .send()
        .await
        .expect("create user");
    let key = iam
        .create_access_key()
        .user_name("operator")
        .send()
        .await
        .expect("access key");
    let key = key.access_key().expect("key");
    hold_policy(moto, document).await;
    let mut env = moto.env();
    for (name, value) in &mut env {
        match name.as_str() {
            "AWS_ACCESS_KEY_ID" => *value = key.access_key_id().to_string(),
            "AWS_SECRET_ACCESS_KEY" => *value = key.secret_access_key().to_string(),
            _ => {}
        }
    }
    env
}

/// Makes `document` the operator's one policy.
async fn hold_policy(moto: &Moto, document: &Value) {
    aws_sdk_iam::Client::new(&moto.sdk().await)
        .put_user_policy()
        .user_name("operator")
        .policy_name("worktime")
        .policy_document(document.to_string())
        .send()
        .await
        .expect("put the operator's policy");
}

/// The printed document without the statement `sid`.
fn without(document: &Value, sid: &str) -> Value {
    let mut reduced = document.clone();
    reduced["Statement"]
        .as_array_mut()
        .expect("statements")
        .retain(|s| s["Sid"] != sid);
    reduced
}

/// The Sid of the statement in `document` that grants `action` (the policy grants each action
/// in one statement).
fn sid_granting(document: &Value, action: &str) -> String {
    document["Statement"]
        .as_array()
        .expect("statements")
        .iter()
        .find(|s| {
            s["Action"]
                .as_array()
                .is_some_and(|a| a.iter().any(|x| x == action))
        })
        .and_then(|s| s["Sid"].as_str())
        .unwrap_or_else(|| panic!("no statement grants {action}"))
        .to_string()
}

/// The commands a statement's Sid names (`...ForBootstrapDeployTeardown`).
fn sid_commands(sid: &str) -> BTreeSet<&'static str> {
    let named = sid.rsplit_once("For").map_or("", |(_, c)| c);
    ["Bootstrap", "Deploy", "Status", "Teardown"]
        .into_iter()
        .filter(|c| named.contains(c))
        .map(|c| match c {
            "Bootstrap" => "bootstrap",
            "Deploy" => "deploy",
            "Status" => "status",
            _ => "teardown",
        })
        .collect()
}

/// The lifecycle as the operator: bootstrap, status, deploy (new code), bootstrap again (an
/// account that has the bucket), a night's scale-in (the function's work, run here with the
/// endpoint's own keys), teardown. Stops at the first command that fails: the step, its
/// command and run.
fn lifecycle(
    dir: &Path,
    operator: &[(String, String)],
    admin: &[(String, String)],
    zips: &[String; 2],
) -> Option<(&'static str, &'static str, Run)> {
    // (step, command, arguments)
    let steps: [(&str, &str, Vec<&str>); 6] = [
        (
            "bootstrap",
            "bootstrap",
            vec!["bootstrap", "--yes", "--artifact", &zips[0]],
        ),
        ("status", "status", vec!["status"]),
        (
            "deploy",
            "deploy",
            vec!["deploy", "--yes", "--artifact", &zips[1]],
        ),
        (
            "bootstrap again",
            "bootstrap",
            vec!["bootstrap", "--yes", "--artifact", &zips[1]],
        ),
        ("run", "run", vec!["run", "scale-in"]),
        ("teardown", "teardown", vec!["teardown", "--yes"]),
    ];
    for (step, command, args) in steps {
        let env = if step == "run" { admin } else { operator };
        let run = worktime(dir, env, &args);
        if step == "run" {
            run.expect_code(0);
            continue;
        }
        if run.code != 0 {
            return Some((step, command, run));
        }
    }
    None
}

async fn stack_status(sdk: &aws_config::SdkConfig) -> Option<String> {
    let answer = aws_sdk_cloudformation::Client::new(sdk)
        .describe_stacks()
        .stack_name("wt")
        .send()
        .await
        .ok()?;
    answer
        .stacks()
        .first()
        .and_then(|s| s.stack_status())
        .map(|s| s.as_str().to_string())
}

/// What of the stack's resources exists outside CloudFormation's bookkeeping.
async fn stack_resources_left(sdk: &aws_config::SdkConfig) -> Vec<String> {
    let mut left = Vec::new();
    let function = aws_sdk_lambda::Client::new(sdk)
        .get_function()
        .function_name("wt-scaler")
        .send()
        .await;
    if function.is_ok() {
        left.push("function wt-scaler".to_string());
    }
    let iam = aws_sdk_iam::Client::new(sdk);
    for role in [
        format!("wt-scaler-{REGION}"),
        format!("wt-scheduler-{REGION}"),
    ] {
        if iam.get_role().role_name(&role).send().await.is_ok() {
            left.push(format!("role {role}"));
        }
    }
    let queue = aws_sdk_sqs::Client::new(sdk)
        .get_queue_url()
        .queue_name("wt-dlq")
        .send()
        .await;
    if queue.is_ok() {
        left.push("queue wt-dlq".to_string());
    }
    let groups = aws_sdk_cloudwatchlogs::Client::new(sdk)
        .describe_log_groups()
        .log_group_name_prefix("/aws/lambda/wt-scaler")
        .send()
        .await
        .expect("log groups");
    if !groups.log_groups().is_empty() {
        left.push("log group /aws/lambda/wt-scaler".to_string());
    }
    let rules = aws_sdk_eventbridge::Client::new(sdk)
        .list_rules()
        .name_prefix("wt-")
        .send()
        .await
        .expect("rules");
    left.extend(
        rules
            .rules()
            .iter()
            .map(|r| format!("rule {}", r.name().unwrap_or_default())),
    );
    left
}

/// No code in an artifact bucket that lacks its TLS-only statement.
async fn no_code_in_an_unprotected_bucket(sdk: &aws_config::SdkConfig, context: &str) {
    let s3 = aws_sdk_s3::Client::new(sdk);
    let bucket = format!("worktime-artifacts-{ACCOUNT}-{REGION}");
    let Ok(objects) = s3.list_object_versions().bucket(&bucket).send().await else {
        return;
    };
    if objects.versions().is_empty() {
        return;
    }
    let policy = s3
        .get_bucket_policy()
        .bucket(&bucket)
        .send()
        .await
        .ok()
        .and_then(|p| p.policy().map(str::to_string))
        .unwrap_or_default();
    assert!(
        policy.contains("WorktimeDenyInsecureTransport"),
        "{context}: code in {bucket} without its TLS-only policy: {policy}"
    );
}

/// Each service given back, or still holding the tag a teardown gives it back from.
async fn services_given_back_or_remembered(sdk: &aws_config::SdkConfig, context: &str) {
    for (service, working) in [("api", 2), ("worker", 4)] {
        let remembered = remembered_capacity(sdk, "prod", service).await;
        let desired = desired_count(sdk, "prod", service).await;
        assert!(
            remembered.is_some() || desired == working,
            "{context}: prod/{service} is at {desired}, not given back and not remembered"
        );
    }
}

/// With the whole printed policy the operator runs the lifecycle; without any one statement
/// the first command its Sid names fails with AccessDenied, leaving nothing half made.
#[tokio::test]
async fn the_printed_policy_is_enough_and_each_statement_is_needed() {
    let started = std::time::Instant::now();
    let moto = Moto::start_in(REGION);
    let admin = moto.env();
    let sdk = moto.sdk().await;
    let dir = tempfile::tempdir().expect("temp dir");
    write_config(dir.path(), &config(""));
    let zips = [
        small_zip(dir.path(), "v1.zip", "1"),
        small_zip(dir.path(), "v2.zip", "2"),
    ];
    let printed = printed(dir.path(), &admin);
    let document = policy_named(&printed, "operator").clone();

    // The whole policy: every command succeeds, and teardown leaves nothing.
    let operator = fresh_account(&moto, &document).await;
    if let Some((command, _, run)) = lifecycle(dir.path(), &operator, &admin, &zips) {
        panic!(
            "{command} failed with the whole printed policy:\n{}\n{}",
            run.stdout, run.stderr
        );
    }
    assert_eq!(stack_status(&sdk).await, None);
    assert!(stack_resources_left(&sdk).await.is_empty());
    assert_eq!(desired_count(&sdk, "prod", "worker").await, 4);

    // Statements no command of a healthy lifecycle needs, and why.
    let exempt = [
        // Read for progress and to explain a failure; events are progress, not state, so a
        // denial never stops a command (a failure then says its events could not be read).
        "cloudformation:DescribeStackEvents",
        // Only for a stack stuck in UPDATE_ROLLBACK_FAILED, which the model never makes.
        "cloudformation:ContinueUpdateRollback",
    ];
    let statements = document["Statement"]
        .as_array()
        .expect("statements")
        .clone();
    let mut checked = 0;
    for statement in &statements {
        let sid = statement["Sid"].as_str().expect("sid");
        let actions: Vec<&str> = statement["Action"]
            .as_array()
            .expect("actions")
            .iter()
            .map(|a| a.as_str().expect("action"))
            .collect();
        if actions.iter().all(|a| exempt.contains(a)) {
            continue;
        }
        let operator = fresh_account(&moto, &without(&document, sid)).await;
        let Some((step, command, run)) = lifecycle(dir.path(), &operator, &admin, &zips) else {
            panic!("without {sid} ({actions:?}) every command succeeded");
        };
        let named = sid_commands(sid);
        assert!(
            named.contains(command),
            "without {sid}, {command} failed, which the Sid does not name:\n{}",
            run.stderr
        );
        assert_ne!(run.code, 0);
        let output = format!("{}{}", run.stdout, run.stderr);
        assert!(
            output.contains("AccessDenied"),
            "without {sid}, {command} failed without naming AccessDenied:\n{output}"
        );
        let context = format!("without {sid}, after {step}");
        match step {
            "bootstrap" => {
                let status = stack_status(&sdk).await;
                assert!(
                    status.is_none() || status.as_deref() == Some("ROLLBACK_COMPLETE"),
                    "{context}: stack {status:?}"
                );
                let left = stack_resources_left(&sdk).await;
                assert!(left.is_empty(), "{context}: left {left:?}");
                no_code_in_an_unprotected_bucket(&sdk, &context).await;
            }
            // A status, or a bootstrap of the deployed stack: the stack as it was.
            "status" | "bootstrap again" => {
                let before = if step == "status" {
                    "CREATE_COMPLETE"
                } else {
                    "UPDATE_COMPLETE"
                };
                assert_eq!(
                    stack_status(&sdk).await.as_deref(),
                    Some(before),
                    "{context}"
                );
            }
            "teardown" => {
                let status = stack_status(&sdk).await;
                assert!(
                    matches!(
                        status.as_deref(),
                        None | Some("DELETE_FAILED") | Some("UPDATE_COMPLETE")
                    ),
                    "{context}: stack {status:?}"
                );
                services_given_back_or_remembered(&sdk, &context).await;
            }
            other => panic!("{context}: {other} failed"),
        }
        // The whole policy again: teardown clears what is left and gives the services back.
        hold_policy(&moto, &document).await;
        worktime(dir.path(), &operator, &["teardown", "--yes"]).expect_code(0);
        assert_eq!(
            stack_status(&sdk).await,
            None,
            "{context}: teardown left the stack"
        );
        let left = stack_resources_left(&sdk).await;
        assert!(left.is_empty(), "{context}: teardown left {left:?}");
        assert_eq!(desired_count(&sdk, "prod", "worker").await, 4, "{context}");
        checked += 1;
    }
    assert!(checked + exempt.len() >= statements.len() && checked > 20);
    eprintln!(
        "{checked} statements checked in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

/// `[stack] execution_role_arn`: an operator with no IAM, Lambda, Logs, Events, SQS or
/// CloudWatch writes of its own (only iam:PassRole on the role, and the service-linked role
/// Application Auto Scaling needs, conditioned on its service) bootstraps, deploys, reads the
/// status and tears down, CloudFormation acting as the role: the model evaluates the role's
/// policy for the stack's resources, so the role without its function statement fails the
/// stack, and the operator without iam:PassRole is refused.
#[tokio::test]
async fn an_operator_without_iam_writes_deploys_through_the_execution_role() {
    let moto = Moto::start_in(REGION);
    let admin = moto.env();
    let sdk = moto.sdk().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let role_arn = format!("arn:aws:iam::{ACCOUNT}:role/wt-cloudformation");
    write_config(
        dir.path(),
        &config(&format!("execution_role_arn = \"{role_arn}\"\n")),
    );
    let zips = [
        small_zip(dir.path(), "v1.zip", "1"),
        small_zip(dir.path(), "v2.zip", "2"),
    ];
    let printed = printed(dir.path(), &admin);
    let operator_policy = policy_named(&printed, "operator").clone();
    let role_policy = policy_named(&printed, "execution-role").clone();

    // The operator's own policy writes nothing of the stack's.
    let writes = regex_like_writes();
    for statement in operator_policy["Statement"].as_array().expect("statements") {
        for action in statement["Action"].as_array().expect("actions") {
            let action = action.as_str().expect("action");
            let condition = statement["Condition"].to_string();
            let allowed_iam = match action {
                "iam:PassRole" => {
                    statement["Resource"] == serde_json::json!([role_arn])
                        && condition.contains("cloudformation.amazonaws.com")
                }
                "iam:CreateServiceLinkedRole" => {
                    condition.contains("ecs.application-autoscaling.amazonaws.com")
                }
                "iam:GetRole" | "iam:ListRoles" => true,
                other => !other.starts_with("iam:"),
            };
            assert!(allowed_iam, "operator policy grants {action}: {statement}");
            assert!(
                !writes.iter().any(|w| action.starts_with(w)),
                "operator policy grants {action}, a write of the stack's resources: {statement}"
            );
        }
    }

    let create_role = |policy: Value| {
        let sdk = sdk.clone();
        async move {
            let iam = aws_sdk_iam::Client::new(&sdk);
            let _ = iam
                .delete_role_policy()
                .role_name("wt-cloudformation")
                .policy_name("worktime")
                .send()
                .await;
            let _ = iam
                .delete_role()
                .role_name("wt-cloudformation")
                .send()
                .await;
            iam.create_role()
                .role_name("wt-cloudformation")
                .assume_role_policy_document(
                    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"cloudformation.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#,
                )
                .send()
                .await
                .expect("create the execution role");
            iam.put_role_policy()
                .role_name("wt-cloudformation")
                .policy_name("worktime")
                .policy_document(policy.to_string())
                .send()
                .await
                .expect("the role's policy");
        }
    };

    // The role lacking its function statement: the stack fails as the role, nothing is left.
    let operator = fresh_account(&moto, &operator_policy).await;
    let function_sid = sid_granting(&role_policy, "lambda:CreateFunction");
    create_role(without(&role_policy, &function_sid)).await;
    let failed = worktime(
        dir.path(),
        &operator,
        &["bootstrap", "--yes", "--artifact", &zips[0]],
    );
    assert_ne!(failed.code, 0, "{}", failed.stderr);
    for part in [
        "AccessDenied",
        "assumed-role/wt-cloudformation",
        "lambda:CreateFunction",
    ] {
        assert!(
            failed.stderr.contains(part),
            "{part:?} not in {}",
            failed.stderr
        );
    }
    assert!(stack_resources_left(&sdk).await.is_empty());

    // The operator without iam:PassRole on the role: refused before any stack is made.
    let pass_sid = sid_granting(&operator_policy, "iam:PassRole");
    let operator = fresh_account(&moto, &without(&operator_policy, &pass_sid)).await;
    create_role(role_policy.clone()).await;
    let refused = worktime(
        dir.path(),
        &operator,
        &["bootstrap", "--yes", "--artifact", &zips[0]],
    );
    assert_ne!(refused.code, 0);
    assert!(
        refused.stderr.contains("AccessDenied") && refused.stderr.contains("iam:PassRole"),
        "{}",
        refused.stderr
    );
    assert_eq!(stack_status(&sdk).await, None);

    // Both whole: the lifecycle works.
    let operator = fresh_account(&moto, &operator_policy).await;
    create_role(role_policy.clone()).await;
    if let Some((command, _, run)) = lifecycle(dir.path(), &operator, &admin, &zips) {
        panic!(
            "{command} failed through the execution role:\n{}\n{}",
            run.stdout, run.stderr
        );
    }
    assert_eq!(stack_status(&sdk).await, None);
    assert!(stack_resources_left(&sdk).await.is_empty());
    assert_eq!(desired_count(&sdk, "prod", "worker").await, 4);
}

/// Action prefixes that write the stack's resources.
fn regex_like_writes() -> Vec<&'static str> {
    vec![
        "lambda:Create",
        "lambda:Update",
        "lambda:Delete",
        "lambda:Put",
        "lambda:AddPermission",
        "lambda:RemovePermission",
        "logs:Create",
        "logs:Put",
        "logs:Delete",
        "events:Put",
        "events:Delete",
        "events:Remove",
        "sqs:Create",
        "sqs:Delete",
        "sqs:Set",
        "cloudwatch:Put",
        "cloudwatch:Delete",
        "scheduler:",
    ]
}

/// Teardown of a stack whose woken service sleeps (its rules at the wake group), as an
/// operator holding exactly the printed policy: the rules are put back and the stack (its wake
/// group through CloudFormation's handler) deleted; without the statement that lets it rewrite
/// the rules, teardown stops before deleting anything.
#[tokio::test]
async fn teardown_puts_a_sleeping_services_rules_back_with_exactly_the_printed_policy() {
    let moto = Moto::start();
    let night = crate::wake::night(&moto).await;
    let dir = night.dir.path();
    let printed = printed(dir, &moto.env());
    let document = policy_named(&printed, "operator").clone();

    let sid = sid_granting(&document, "elasticloadbalancing:ModifyRule");
    let env = operator(&moto, &without(&document, &sid)).await;
    let denied = worktime(dir, &env, &["teardown", "--yes"]).expect_code(1);
    assert!(
        denied.stderr.contains("stopped before deleting anything")
            && denied.stderr.contains("elasticloadbalancing:ModifyRule"),
        "without {sid}: {}",
        denied.stderr
    );
    let sdk = moto.sdk().await;
    assert_eq!(
        stack_status(&sdk).await.as_deref(),
        Some("CREATE_COMPLETE"),
        "nothing deleted"
    );
    crate::wake::assert_asleep(&night).await;

    hold_policy(&moto, &document).await;
    worktime(dir, &env, &["teardown", "--yes"]).expect_code(0);
    crate::wake::as_by_day(&night).await;
    assert_eq!(stack_status(&sdk).await, None);
    assert_eq!(desired_count(&sdk, "prod", "app").await, 1);
}
