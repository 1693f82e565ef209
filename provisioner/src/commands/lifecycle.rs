//! `bootstrap`, `deploy`, `diff` and `teardown`: the stack's whole lifecycle in one account
//! and region, each safe to re-run at any point.

use std::io::IsTerminal;

use serde::Serialize;

use crate::artifact::{self, Artifact};
use crate::cli::{OutputFormat, TemplateFormat};
use crate::commands::synth;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::progress::Progress;
use crate::stack::{self, Applied, PlannedChange};

/// The service-linked role Application Auto Scaling uses for ECS. AWS names it
/// `AWSServiceRoleForApplicationAutoScaling_ECSService`; it is looked up by path so that any
/// spelling of the name is found.
pub const SCALING_SLR_SERVICE: &str = "ecs.application-autoscaling.amazonaws.com";

/// The clients and identity of one account and region.
pub struct Session {
    pub account: String,
    pub caller_arn: String,
    pub region: String,
    pub cfn: aws_sdk_cloudformation::Client,
    pub s3: aws_sdk_s3::Client,
    pub iam: aws_sdk_iam::Client,
    pub sts: aws_sdk_sts::Client,
    pub sdk: aws_config::SdkConfig,
}

impl Session {
    /// Checks credentials (STS) and builds the clients.
    pub async fn connect(sdk: aws_config::SdkConfig, path_style_s3: bool) -> Result<Self> {
        let region = sdk.region().map(|r| r.to_string()).ok_or_else(|| {
            Error::Usage("no region: set stack.region in the config, or pass --region".into())
        })?;
        let sts = aws_sdk_sts::Client::new(&sdk);
        let identity = sts.get_caller_identity().send().await.map_err(|e| {
            let mut error = Error::aws("checking credentials (sts:GetCallerIdentity)", e);
            if let Error::Aws { message, .. } = &mut error {
                message.push_str(
                    ". Fix: configure credentials (aws configure / aws sso login / AWS_PROFILE, or --profile NAME) and check --endpoint-url",
                );
            }
            error
        })?;
        let s3_config = aws_sdk_s3::config::Builder::from(&sdk)
            .force_path_style(path_style_s3)
            .build();
        Ok(Session {
            account: identity.account().unwrap_or_default().to_string(),
            caller_arn: identity.arn().unwrap_or_default().to_string(),
            region,
            cfn: aws_sdk_cloudformation::Client::new(&sdk),
            s3: aws_sdk_s3::Client::from_conf(s3_config),
            iam: aws_sdk_iam::Client::new(&sdk),
            sts,
            sdk,
        })
    }

    pub fn bucket(&self) -> String {
        artifact::bucket_name(&self.account, &self.region)
    }
}

/// The result of bootstrap / deploy / diff, as printed.
#[derive(Debug, Serialize)]
pub struct DeployReport {
    pub stack: String,
    pub account: String,
    pub region: String,
    /// created / updated / up-to-date, or `planned` for a diff, `cancelled` when declined.
    pub result: String,
    pub changes: Vec<PlannedChange>,
    pub code_uploaded: bool,
    pub outputs: Vec<(String, String)>,
}

/// Ensures the Application Auto Scaling service-linked role for ECS exists. Returns whether
/// it was created now.
pub async fn ensure_scaling_role(iam: &aws_sdk_iam::Client) -> Result<bool> {
    let prefix = format!("/aws-service-role/{SCALING_SLR_SERVICE}/");
    let roles = iam
        .list_roles()
        .path_prefix(&prefix)
        .send()
        .await
        .map_err(|e| Error::aws("listing service-linked roles", e))?;
    if !roles.roles().is_empty() {
        return Ok(false);
    }
    match iam
        .create_service_linked_role()
        .aws_service_name(SCALING_SLR_SERVICE)
        .send()
        .await
    {
        Ok(_) => Ok(true),
        // Created concurrently (another region of the same account in a rollout, or someone
        // else): AWS answers InvalidInput ("has been taken"), moto EntityAlreadyExists.
        Err(e)
            if e.as_service_error().is_some_and(|s| {
                s.is_invalid_input_exception()
                    || aws_sdk_iam::error::ProvideErrorMetadata::code(s)
                        == Some("EntityAlreadyExists")
            }) =>
        {
            Ok(false)
        }
        Err(e) => Err(Error::aws(
            "creating the Application Auto Scaling service-linked role",
            e,
        )),
    }
}

/// What `bootstrap` and `deploy` share. `bootstrap` also prepares the account (role, bucket).
pub struct ApplyOptions<'a> {
    pub config: &'a Config,
    pub artifact: &'a Artifact,
    pub yes: bool,
    pub prepare_account: bool,
}

pub async fn apply(
    session: &Session,
    options: ApplyOptions<'_>,
    progress: &Progress,
) -> Result<DeployReport> {
    let config = options.config;
    let stack_name = &config.stack.name;
    progress.line(format!(
        "account {} ({}), region {}",
        session.account, session.caller_arn, session.region
    ));
    let bucket = session.bucket();
    if options.prepare_account {
        if ensure_scaling_role(&session.iam).await? {
            progress.line("created the Application Auto Scaling service-linked role for ECS");
        }
        if artifact::ensure_bucket(
            &session.s3,
            &bucket,
            &session.account,
            &session.region,
            progress,
        )
        .await?
        {
            progress.line(format!(
                "created artifact bucket {bucket} (versioned, encrypted, public access blocked)"
            ));
        }
    } else {
        let present = session
            .s3
            .head_bucket()
            .bucket(&bucket)
            .expected_bucket_owner(&session.account)
            .send()
            .await;
        if present.is_err() {
            return Err(Error::Usage(format!(
                "artifact bucket {bucket} not found in account {}: run `worktime bootstrap` first",
                session.account
            )));
        }
    }

    // Template first: a config that cannot become a template stops before any upload.
    let template = synth::render(config, TemplateFormat::Yaml)?;
    let artifact = options.artifact;
    let key = artifact.key(stack_name);
    let uploaded = artifact::upload(
        &session.s3,
        &bucket,
        &session.account,
        &key,
        artifact,
        progress,
    )
    .await?;
    if uploaded {
        progress.line(format!("uploaded function code to s3://{bucket}/{key}"));
    }

    let prepared = stack::prepare(
        &session.cfn,
        stack_name,
        &template,
        &parameters(&bucket, &key),
        progress,
    )
    .await?;
    let mut report = DeployReport {
        stack: stack_name.clone(),
        account: session.account.clone(),
        region: session.region.clone(),
        result: String::new(),
        changes: prepared.changes.clone(),
        code_uploaded: uploaded,
        outputs: Vec::new(),
    };
    if prepared.up_to_date {
        progress.line(format!(
            "stack {stack_name} is up to date: nothing to change"
        ));
        report.result = "up-to-date".into();
        report.outputs = stack::describe(&session.cfn, stack_name)
            .await?
            .map(|s| s.outputs)
            .unwrap_or_default();
        return Ok(report);
    }
    print_changes(&prepared.changes, progress);
    if !options.yes
        && std::io::stdin().is_terminal()
        && !crate::progress::ask(Some(progress), "Apply these changes?")
            .map_err(|e| Error::Other(format!("reading the answer: {e}")))?
    {
        stack::discard(&session.cfn, &prepared).await?;
        progress.line("cancelled: nothing was changed");
        report.result = "cancelled".into();
        return Ok(report);
    }
    let (applied, info) = stack::execute(&session.cfn, &prepared, progress).await?;
    report.result = match applied {
        Applied::Created => "created",
        Applied::Updated => "updated",
        Applied::UpToDate => "up-to-date",
    }
    .into();
    progress.line(format!("stack {stack_name}: {}", info.status.as_str()));
    report.outputs = info.outputs;
    Ok(report)
}

/// `worktime diff`: the change set's content, then the change set is deleted. Uploads
/// nothing: the code's key is derived from its hash.
pub async fn diff(
    session: &Session,
    config: &Config,
    artifact: &Artifact,
    progress: &Progress,
) -> Result<DeployReport> {
    let stack_name = &config.stack.name;
    let template = synth::render(config, TemplateFormat::Yaml)?;
    let bucket = session.bucket();
    let key = artifact.key(stack_name);
    let prepared = stack::prepare(
        &session.cfn,
        stack_name,
        &template,
        &parameters(&bucket, &key),
        progress,
    )
    .await?;
    stack::discard(&session.cfn, &prepared).await?;
    Ok(DeployReport {
        stack: stack_name.clone(),
        account: session.account.clone(),
        region: session.region.clone(),
        result: if prepared.up_to_date {
            "up-to-date".into()
        } else {
            "planned".into()
        },
        changes: prepared.changes,
        code_uploaded: false,
        outputs: Vec::new(),
    })
}

fn parameters(bucket: &str, key: &str) -> Vec<(String, String)> {
    vec![
        ("CodeS3Bucket".to_string(), bucket.to_string()),
        ("CodeS3Key".to_string(), key.to_string()),
    ]
}

fn print_changes(changes: &[PlannedChange], progress: &Progress) {
    progress.line(format!("{} change(s):", changes.len()));
    for change in changes {
        progress.line(format_change(change));
    }
}

fn format_change(change: &PlannedChange) -> String {
    let mut line = format!(
        "  {:<9} {:<24} {}",
        change.action, change.logical_id, change.resource_type
    );
    if let Some(detail) = &change.detail {
        line.push_str(&format!(" {detail}"));
    }
    line.trim_end().to_string()
}

/// Prints a deploy/diff report on stdout.
pub fn print_report(report: &DeployReport, output: OutputFormat) {
    if output == OutputFormat::Json {
        println!(
            "{}",
            serde_json::to_string_pretty(report).unwrap_or_default()
        );
        return;
    }
    println!(
        "stack {} in {}/{}: {}",
        report.stack, report.account, report.region, report.result
    );
    if report.result == "planned" {
        if report.changes.is_empty() {
            println!("no changes");
        }
        for change in &report.changes {
            println!("{}", format_change(change));
        }
    }
    for (key, value) in &report.outputs {
        println!("  {key:<20} {value}");
    }
}

/// What teardown removed and what it found left behind.
#[derive(Debug, Serialize)]
pub struct TeardownReport {
    pub stack: String,
    pub account: String,
    pub region: String,
    pub stack_deleted: bool,
    pub objects_deleted: usize,
    pub bucket_deleted: bool,
    pub bucket_kept_reason: Option<String>,
    /// Anything under worktime's names still present after teardown.
    pub leftovers: Vec<String>,
}

/// `worktime teardown`: stack, artifacts (all versions), bucket; then a check for leftovers.
pub async fn teardown(
    session: &Session,
    config: &Config,
    progress: &Progress,
) -> Result<TeardownReport> {
    let stack_name = &config.stack.name;
    let stack_deleted = stack::delete(&session.cfn, stack_name, progress).await?;
    if stack_deleted {
        progress.line(format!("deleted stack {stack_name}"));
    } else {
        progress.line(format!(
            "no stack {stack_name} in {}/{}",
            session.account, session.region
        ));
    }
    let bucket = session.bucket();
    let (objects_deleted, bucket_deleted) = artifact::empty_and_delete(
        &session.s3,
        &bucket,
        &session.account,
        &format!("{stack_name}/"),
    )
    .await?;
    let bucket_present = !bucket_deleted
        && session
            .s3
            .head_bucket()
            .bucket(&bucket)
            .expected_bucket_owner(&session.account)
            .send()
            .await
            .is_ok();
    let bucket_kept_reason = bucket_present
        .then(|| format!("bucket {bucket} still holds other stacks' artifacts: kept"));
    if objects_deleted > 0 {
        progress.line(format!(
            "deleted {objects_deleted} artifact version(s) from {bucket}"
        ));
    }
    if bucket_deleted {
        progress.line(format!("deleted artifact bucket {bucket}"));
    }
    if let Some(reason) = &bucket_kept_reason {
        progress.line(reason);
    }
    let leftovers = crate::commands::status::leftovers(session, config).await;
    Ok(TeardownReport {
        stack: stack_name.clone(),
        account: session.account.clone(),
        region: session.region.clone(),
        stack_deleted,
        objects_deleted,
        bucket_deleted,
        bucket_kept_reason,
        leftovers,
    })
}

pub fn print_teardown(report: &TeardownReport, output: OutputFormat) {
    if output == OutputFormat::Json {
        println!(
            "{}",
            serde_json::to_string_pretty(report).unwrap_or_default()
        );
        return;
    }
    println!(
        "teardown of {} in {}/{}: stack {}, {} artifact version(s) deleted, bucket {}",
        report.stack,
        report.account,
        report.region,
        if report.stack_deleted {
            "deleted"
        } else {
            "not found"
        },
        report.objects_deleted,
        if report.bucket_deleted {
            "deleted"
        } else {
            "not deleted"
        },
    );
    if report.leftovers.is_empty() {
        println!(
            "nothing of worktime's is left under the name {}",
            report.stack
        );
    } else {
        println!("still present:");
        for item in &report.leftovers {
            println!("  {item}");
        }
    }
    println!(
        "kept on purpose: the Application Auto Scaling service-linked role for ECS (AWS's own; other scaling uses it)"
    );
}
