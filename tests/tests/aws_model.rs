//! The project's model of AWS behaviours moto leaves out (`tests/aws_model/worktime_moto`),
//! checked through the SDK as the binaries see it, and the real `bootstrap` binary invoked
//! through the harness's Lambda Runtime API.

use aws_sdk_applicationautoscaling::types::{ScalableDimension, ServiceNamespace};
use aws_sdk_cloudformation::types::{ChangeSetType, ExecutionStatus, StackStatus};
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::{FunctionCode, Runtime};
use worktime_e2e::*;

const REGION: &str = "ap-northeast-2";
const REFUSAL: &str = "Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [10].";

/// A tiny function zip (moto stores code, it never runs it).
fn tiny_zip() -> Vec<u8> {
    use std::io::Write;
    let mut cursor = std::io::Cursor::new(Vec::new());
    let mut zip = zip::ZipWriter::new(&mut cursor);
    zip.start_file("bootstrap", zip::write::SimpleFileOptions::default())
        .expect("zip entry");
    zip.write_all(b"#!/bin/sh\n").expect("zip write");
    zip.finish().expect("zip finish");
    cursor.into_inner()
}

async fn lambda_role(sdk: &aws_config::SdkConfig) -> String {
    aws_sdk_iam::Client::new(sdk)
        .create_role()
        .role_name("fn-role")
        .assume_role_policy_document(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#,
        )
        .send()
        .await
        .expect("create role")
        .role()
        .expect("role")
        .arn()
        .to_string()
}

#[tokio::test]
async fn register_scalable_target_moves_desired_count_into_the_bounds() {
    let moto = Moto::start();
    let sdk = moto.sdk().await;
    create_services(&sdk, "prod", &[("api", 5)]).await;
    for (min, max, expected) in [(0, 2, 2), (3, 6, 3), (1, 10, 3)] {
        register_target(&sdk, "prod", "api", min, max).await;
        assert_eq!(
            desired_count(&sdk, "prod", "api").await,
            expected,
            "after registering {min}/{max}"
        );
    }
    // Deregistering leaves the count alone.
    aws_sdk_applicationautoscaling::Client::new(&sdk)
        .deregister_scalable_target()
        .service_namespace(ServiceNamespace::Ecs)
        .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
        .resource_id("service/prod/api")
        .send()
        .await
        .expect("deregister");
    assert_eq!(desired_count(&sdk, "prod", "api").await, 3);
}

#[tokio::test]
async fn lambda_concurrency_quota_refuses_reservations_directly_and_through_cloudformation() {
    let moto = Moto::start_with_env(REGION, &[("MOTO_LAMBDA_CONCURRENCY_QUOTA", "10")]);
    let sdk = moto.sdk().await;
    let lambda = aws_sdk_lambda::Client::new(&sdk);
    let role = lambda_role(&sdk).await;

    // The quota, as the CLI can read it before deploying.
    let settings = lambda
        .get_account_settings()
        .send()
        .await
        .expect("settings");
    let limit = settings.account_limit().expect("account limit");
    assert_eq!(limit.concurrent_executions(), 10);
    assert_eq!(limit.unreserved_concurrent_executions(), Some(10));

    // PutFunctionConcurrency: refused with AWS's error.
    lambda
        .create_function()
        .function_name("plain")
        .role(&role)
        .runtime(Runtime::Providedal2023)
        .handler("bootstrap")
        .code(
            FunctionCode::builder()
                .zip_file(Blob::new(tiny_zip()))
                .build(),
        )
        .send()
        .await
        .expect("create function");
    let err = lambda
        .put_function_concurrency()
        .function_name("plain")
        .reserved_concurrent_executions(1)
        .send()
        .await
        .expect_err("a reservation in a quota-10 account");
    let err = err.into_service_error();
    assert!(
        err.is_invalid_parameter_value_exception(),
        "{err:?} is not InvalidParameterValueException"
    );
    assert_eq!(err.meta().message(), Some(REFUSAL));

    // Through CloudFormation (a CREATE change set, as worktime deploys): the execution is
    // accepted, the stack rolls back, and the failing resource carries AWS's reason.
    let s3 = moto.s3().await;
    s3.create_bucket()
        .bucket("code")
        .create_bucket_configuration(
            aws_sdk_s3::types::CreateBucketConfiguration::builder()
                .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::from(REGION))
                .build(),
        )
        .send()
        .await
        .expect("bucket");
    s3.put_object()
        .bucket("code")
        .key("fn.zip")
        .body(tiny_zip().into())
        .send()
        .await
        .expect("code");
    let template = serde_json::json!({
        "Resources": {
            "Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": "/aws/lambda/wt-fn"}},
            "Function": {"Type": "AWS::Lambda::Function", "Properties": {
                "FunctionName": "wt-fn",
                "Role": role,
                "Runtime": "provided.al2023",
                "Handler": "bootstrap",
                "Code": {"S3Bucket": "code", "S3Key": "fn.zip"},
                "ReservedConcurrentExecutions": 1
            }}
        }
    });
    let cfn = aws_sdk_cloudformation::Client::new(&sdk);
    let change_set = cfn
        .create_change_set()
        .stack_name("wt")
        .change_set_name("create")
        .change_set_type(ChangeSetType::Create)
        .template_body(template.to_string())
        .send()
        .await
        .expect("create change set");
    let change_set_id = change_set.id().expect("change set id").to_string();
    cfn.execute_change_set()
        .change_set_name(&change_set_id)
        .send()
        .await
        .expect("execute change set (accepted, as on AWS)");
    let stack = cfn
        .describe_stacks()
        .stack_name("wt")
        .send()
        .await
        .expect("describe stack")
        .stacks()[0]
        .clone();
    assert_eq!(stack.stack_status(), Some(&StackStatus::RollbackComplete));
    assert_eq!(
        stack.stack_status_reason(),
        Some("The following resource(s) failed to create: [Function]. Rollback requested by user.")
    );
    let events = cfn
        .describe_stack_events()
        .stack_name("wt")
        .send()
        .await
        .expect("events");
    let failed = events
        .stack_events()
        .iter()
        .find(|e| e.resource_status().map(|s| s.as_str()) == Some("CREATE_FAILED"))
        .expect("a CREATE_FAILED event");
    assert_eq!(failed.logical_resource_id(), Some("Function"));
    assert_eq!(failed.resource_type(), Some("AWS::Lambda::Function"));
    assert!(
        failed
            .resource_status_reason()
            .is_some_and(|r| r.contains(REFUSAL)),
        "{failed:?}"
    );
    let described = cfn
        .describe_change_set()
        .change_set_name(&change_set_id)
        .send()
        .await
        .expect("describe change set");
    assert_eq!(
        described.execution_status(),
        Some(&ExecutionStatus::ExecuteFailed)
    );
    // Rolled back: nothing of the stack is left.
    assert!(lambda
        .get_function()
        .function_name("wt-fn")
        .send()
        .await
        .is_err());
    let groups = aws_sdk_cloudwatchlogs::Client::new(&sdk)
        .describe_log_groups()
        .log_group_name_prefix("/aws/lambda/wt-fn")
        .send()
        .await
        .expect("log groups");
    assert!(groups.log_groups().is_empty(), "{groups:?}");
    // A stack in ROLLBACK_COMPLETE can be deleted, as on AWS.
    cfn.delete_stack()
        .stack_name("wt")
        .send()
        .await
        .expect("delete");
}

#[tokio::test]
async fn tls_only_bucket_policy_allows_the_loopback_endpoint_and_unconditional_deny_denies() {
    let moto = Moto::start();
    let s3 = moto.s3().await;
    s3.create_bucket()
        .bucket("artifacts")
        .create_bucket_configuration(
            aws_sdk_s3::types::CreateBucketConfiguration::builder()
                .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::from(
                    moto.region.as_str(),
                ))
                .build(),
        )
        .send()
        .await
        .expect("bucket");
    let tls_only = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
            "Resource": ["arn:aws:s3:::artifacts", "arn:aws:s3:::artifacts/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}}
        }]
    });
    s3.put_bucket_policy()
        .bucket("artifacts")
        .policy(tls_only.to_string())
        .send()
        .await
        .expect("policy");
    s3.put_object()
        .bucket("artifacts")
        .key("a")
        .body(b"x".to_vec().into())
        .send()
        .await
        .expect("a put over the loopback endpoint (standing in for HTTPS) is allowed");

    let deny_all = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "DenyPuts", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
            "Resource": "arn:aws:s3:::artifacts/*"
        }]
    });
    s3.put_bucket_policy()
        .bucket("artifacts")
        .policy(deny_all.to_string())
        .send()
        .await
        .expect("policy");
    let err = s3
        .put_object()
        .bucket("artifacts")
        .key("b")
        .body(b"x".to_vec().into())
        .send()
        .await
        .expect_err("an unconditional Deny denies");
    assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(403));
}

#[tokio::test]
async fn get_bucket_policy_answers_in_s3s_canonical_form_and_the_policy_stays_in_force() {
    let moto = Moto::start();
    let s3 = moto.s3().await;
    s3.create_bucket()
        .bucket("artifacts")
        .create_bucket_configuration(
            aws_sdk_s3::types::CreateBucketConfiguration::builder()
                .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::from(
                    moto.region.as_str(),
                ))
                .build(),
        )
        .send()
        .await
        .expect("bucket");
    let written = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
            "Resource": ["arn:aws:s3:::artifacts", "arn:aws:s3:::artifacts/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}}
        }, {
            "Sid": "Code", "Effect": "Allow",
            "Principal": {"AWS": ["111111111111"]},
            "Action": ["s3:GetObject"],
            "Resource": ["arn:aws:s3:::artifacts/code/*"],
            "Condition": {"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": ["o-1/*/ou-1/*"]}}
        }, {
            "Sid": "Two", "Effect": "Allow",
            "Principal": {"AWS": ["111111111111", "arn:aws:iam::222222222222:root"]},
            "Action": "s3:GetObject", "Resource": "arn:aws:s3:::artifacts/two/*"
        }]
    });
    s3.put_bucket_policy()
        .bucket("artifacts")
        .policy(written.to_string())
        .send()
        .await
        .expect("policy");
    let read = s3
        .get_bucket_policy()
        .bucket("artifacts")
        .send()
        .await
        .expect("read the policy");
    let read: serde_json::Value = serde_json::from_str(read.policy().unwrap()).unwrap();
    assert_eq!(
        read,
        serde_json::json!({
            "Version": "2012-10-17",
            "Statement": [{
                "Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
                // Reordered: AWS gives no order; the model's is descending.
                "Resource": ["arn:aws:s3:::artifacts/*", "arn:aws:s3:::artifacts"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}}
            }, {
                "Sid": "Code", "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::111111111111:root"},
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::artifacts/code/*",
                "Condition": {"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": "o-1/*/ou-1/*"}}
            }, {
                "Sid": "Two", "Effect": "Allow",
                "Principal": {"AWS": ["arn:aws:iam::222222222222:root", "arn:aws:iam::111111111111:root"]},
                "Action": "s3:GetObject", "Resource": "arn:aws:s3:::artifacts/two/*"
            }]
        })
    );
    // The stored policy is evaluated as written (s3_tls): the loopback endpoint, standing in
    // for HTTPS, is let through.
    s3.put_object()
        .bucket("artifacts")
        .key("a")
        .body(b"x".to_vec().into())
        .send()
        .await
        .expect("a put over the loopback endpoint is allowed");
}

#[tokio::test]
async fn the_built_bootstrap_scales_in_through_the_runtime_api() {
    let moto = Moto::start();
    let sdk = moto.sdk().await;
    create_services(&sdk, "prod", &[("api", 2)]).await;
    register_target(&sdk, "prod", "api", 1, 3).await;

    let mut env = moto.env();
    env.push(("WORKTIME_ALLOWED_SERVICES".into(), "prod/api".into()));
    let mut function = FunctionRuntime::start(&env);
    let event = serde_json::json!({
        "action": "scale-in",
        "services": [{"resource_id": "service/prod/api", "min": 1, "max": 3}]
    });
    let invocation = function.invoke(&event);
    let log = invocation.log.clone();
    let report = invocation.expect_ok();
    assert_eq!(
        target_capacity(&sdk, "prod", "api").await,
        Some((0, 0)),
        "report: {report}\n--- function log\n{log}"
    );
    // 0/0 leaves no task: set by the function, or by Application Auto Scaling's bounds.
    assert_eq!(desired_count(&sdk, "prod", "api").await, 0);

    // The same execution environment answers the next event; a malformed one is an error
    // payload (the invocation fails, so Lambda would retry it), not a crash.
    let error = function
        .invoke(&serde_json::json!({"action": "nonsense"}))
        .expect_err();
    assert!(error["errorType"].is_string(), "{error}");
    assert!(error["errorMessage"].is_string(), "{error}");
}
