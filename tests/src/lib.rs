//! Test harness: a moto server of its own for each test, on a free 127.0.0.1 port; the
//! built `worktime` and `bootstrap` binaries; SDK clients aimed at the server.
//!
//! Nothing here fakes AWS: every call goes to moto through the standard endpoint settings,
//! exactly as the binaries would talk to AWS. The server is the project's extension of moto
//! (`tests/aws_model/worktime_moto`), which adds AWS behaviours moto 5.2.5 leaves out, each
//! documented there with the AWS documentation it follows: desired count moved into the
//! bounds on `RegisterScalableTarget`, the Lambda concurrency quota (also through
//! CloudFormation, whose failed operations roll back as on AWS) and `GetAccountSettings`, the
//! CloudFormation types moto skips that worktime's stacks use (`AWS::Lambda::EventInvokeConfig`,
//! `AWS::Scheduler::Schedule`, `AWS::CloudWatch::Alarm`, made through moto's own APIs), stack
//! outputs fixed when an operation completes, schedule-only rules left out of `PutEvents`, and
//! the `aws:SecureTransport` bucket-policy condition with loopback HTTP standing in for HTTPS.
//!
//! - [`Moto`]: the server, its environment for the binaries, SDK configs.
//! - [`FunctionRuntime`] (module `runtime`): the built `bootstrap` under a Lambda Runtime API
//!   served by the harness, invoked with the payload a trigger would deliver.
//! - module `triggers`: those payloads, as AWS builds them (a rule's input transformer on the
//!   scheduled event, a schedule's context attributes).
//! - module `browser`: a local page rendered by headless Chromium: screenshot, console, requests.
//! - module `shipped`: the arm64 zip `make lambda` builds, and the emulator it runs under here.
//! - module `stacks`: CloudFormation stacks as the resource models' tests drive and read them.
//! - [`bootstrapped`]: a worktime project bootstrapped on the server, as most tests start.

use std::io::Write;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use aws_config::{Region, SdkConfig};

pub mod balancers;
pub mod browser;
mod runtime;
pub mod shipped;
pub mod stacks;
pub mod triggers;

pub use runtime::{deployed_environment, FunctionConfig, FunctionRuntime, Invocation};

/// The workspace root (this crate lives in `<root>/tests`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
}

/// A built binary of the workspace (`make test` builds them before the tests run).
pub fn binary(name: &str) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"));
    let path = target.join("debug").join(name);
    assert!(
        path.exists(),
        "{} is not built: run `cargo build --workspace` (make test does) before these tests",
        path.display()
    );
    path
}

/// The command that starts the test endpoint, before its `-H 127.0.0.1 -p PORT` flags:
/// `$WORKTIME_MOTO_SERVER` when set (any `moto_server`-compatible executable, e.g. the venv's
/// plain `moto_server` to compare with stock moto), else the project's extension of moto
/// server run by the venv's Python (`tests/aws_model/worktime_moto_server.py`).
fn moto_command() -> Command {
    if let Some(path) = std::env::var_os("WORKTIME_MOTO_SERVER") {
        return Command::new(path);
    }
    let python = workspace_root().join(".venv/bin/python");
    assert!(
        python.exists(),
        "{} not found: run `make venv` (make test does) to install moto in the project venv",
        python.display()
    );
    let mut command = Command::new(python);
    command
        .arg(workspace_root().join("tests/aws_model/worktime_moto_server.py"))
        .env("PYTHONDONTWRITEBYTECODE", "1"); // no __pycache__ in the source tree
    command
}

/// A moto server for one test; stopped when dropped.
pub struct Moto {
    child: Child,
    /// Empty AWS config and credentials files, so the developer's own ~/.aws stays out.
    home: tempfile::TempDir,
    /// Where the server records every request it receives ([`Moto::start_recording`]).
    recording: Option<PathBuf>,
    pub port: u16,
    pub region: String,
}

impl Moto {
    pub fn start() -> Moto {
        Self::start_in("ap-northeast-2")
    }

    pub fn start_in(region: &str) -> Moto {
        Self::start_with_env(region, &[])
    }

    /// A server whose process has `env` set, for the settings the model reads on the server:
    /// `MOTO_LAMBDA_CONCURRENCY_QUOTA` (the account's Lambda concurrency quota, default 1000)
    /// or `WORKTIME_MOTO_LOOPBACK_IS_TLS=false` (loopback HTTP counts as plain HTTP for
    /// `aws:SecureTransport`).
    pub fn start_with_env(region: &str, env: &[(&str, &str)]) -> Moto {
        Self::start_server(region, env, false)
    }

    /// A server that records every request it receives, in the order it receives them
    /// (moto's recorder), for tests about the order of calls: [`Moto::recorded_operations`].
    pub fn start_recording(region: &str) -> Moto {
        Self::start_server(region, &[], true)
    }

    fn start_server(region: &str, env: &[(&str, &str)], record: bool) -> Moto {
        let home = tempfile::tempdir().expect("temp dir");
        std::fs::write(home.path().join("config"), "").expect("empty config");
        std::fs::write(home.path().join("credentials"), "").expect("empty credentials");
        let recording = record.then(|| home.path().join("requests.jsonl"));
        for _attempt in 0..5 {
            let port = free_port();
            let mut command = moto_command();
            command
                .args(["-H", "127.0.0.1", "-p", &port.to_string()])
                // moto's Step Functions interpreter calls the server's own APIs (Lambda's
                // Invoke) through a boto3 client at localhost:$MOTO_PORT.
                .env("MOTO_PORT", port.to_string())
                .envs(env.iter().copied())
                .stdout(Stdio::null())
                .stderr(Stdio::null());
            if let Some(path) = &recording {
                command
                    .env("MOTO_ENABLE_RECORDING", "true")
                    .env("MOTO_RECORDER_FILEPATH", path);
            }
            let mut child = command.spawn().expect("start moto_server");
            if wait_ready(port, &mut child) {
                execute_state_machines(port);
                return Moto {
                    child,
                    home,
                    recording,
                    port,
                    region: region.to_string(),
                };
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("the moto server did not start on 127.0.0.1 after 5 attempts");
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Sets how the AWS model runs one ECS service's tasks (`tests/aws_model/worktime_moto/
    /// ecs_tasks.py`): `settings` holds any of `start_failure` (a service event message; tasks
    /// never start), `start_seconds`, `stop_seconds`, `deployment_age_seconds`. Returns the
    /// service's modelled state; panics when the model refuses.
    pub fn model_ecs_service(
        &self,
        cluster: &str,
        service: &str,
        settings: serde_json::Value,
    ) -> serde_json::Value {
        let mut body = settings;
        body["cluster"] = cluster.into();
        body["service"] = service.into();
        body["region"] = self.region.clone().into();
        self.model_control("/worktime-model/ecs/service", Some(&body))
    }

    /// Sets the AWS model's faults (`tests/aws_model/worktime_moto/faults.py`:
    /// `throttle_share`, `seed`, `deny_writes_after`), or reads their counts with `None`.
    pub fn model_faults(&self, settings: Option<serde_json::Value>) -> serde_json::Value {
        self.model_control("/worktime-model/faults", settings.as_ref())
    }

    /// Wipes the server's state (`POST /moto-api/reset`): a fresh account for the next run.
    pub fn reset(&self) {
        self.model_control("/moto-api/reset", Some(&serde_json::json!({})));
    }

    /// Routes every `Invoke` of the function `name` (moto's Lambda, and so a Step Functions
    /// task) to `runtime`, the built `bootstrap` under the harness's Runtime API
    /// (`tests/aws_model/worktime_moto/lambda_runtime.py`).
    pub fn route_lambda(&self, name: &str, runtime: &crate::runtime::FunctionRuntime) {
        self.model_control(
            "/worktime-model/lambda/runtime",
            Some(&serde_json::json!({
                "region": self.region,
                "function_name": name,
                "endpoint": runtime.runtime_api(),
            })),
        );
    }

    /// One request to a control endpoint of the AWS model: POST with `body`, else GET.
    fn model_control(&self, path: &str, body: Option<&serde_json::Value>) -> serde_json::Value {
        use std::io::Read;
        let mut stream =
            std::net::TcpStream::connect(("127.0.0.1", self.port)).expect("the model's port");
        let request = match body {
            Some(body) => {
                let body = body.to_string();
                format!(
                    "POST {path} HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
                     Content-Length: {}\r\n\r\n{body}",
                    body.len()
                )
            }
            None => format!("GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n"),
        };
        stream.write_all(request.as_bytes()).expect("request");
        let mut answer = String::new();
        stream.read_to_string(&mut answer).expect("answer");
        let (head, json) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
        assert!(
            head.contains(" 200 "),
            "the model refused {request}: {answer}"
        );
        serde_json::from_str(json).unwrap_or_else(|e| panic!("{e}: {answer}"))
    }

    /// The environment a user would set to point worktime at this endpoint.
    pub fn env(&self) -> Vec<(String, String)> {
        vec![
            ("AWS_ACCESS_KEY_ID".into(), "testing".into()),
            ("AWS_SECRET_ACCESS_KEY".into(), "testing".into()),
            ("AWS_ENDPOINT_URL".into(), self.endpoint()),
            ("AWS_REGION".into(), self.region.clone()),
            // Keep the developer's own ~/.aws out of the tests.
            (
                "AWS_CONFIG_FILE".into(),
                self.home.path().join("config").display().to_string(),
            ),
            (
                "AWS_SHARED_CREDENTIALS_FILE".into(),
                self.home.path().join("credentials").display().to_string(),
            ),
            ("AWS_EC2_METADATA_DISABLED".into(), "true".into()),
            ("WORKTIME_POLL_MS".into(), "50".into()),
            ("NO_COLOR".into(), "1".into()),
        ]
    }

    /// SDK config for the test's own checks, with the same settings.
    pub async fn sdk(&self) -> SdkConfig {
        self.sdk_in(&self.region).await
    }

    pub async fn sdk_in(&self, region: &str) -> SdkConfig {
        worktime_lambda::sdk::config_loader()
            .region(Region::new(region.to_string()))
            .endpoint_url(self.endpoint())
            .credentials_provider(aws_sdk_sts::config::Credentials::new(
                "testing", "testing", None, None, "test",
            ))
            .load()
            .await
    }

    /// SDK config acting in `account` in `region`, through `role` assumed with STS (moto
    /// lets any role be assumed; the credentials it returns act in that account).
    pub async fn sdk_as(&self, account: &str, role: &str, region: &str) -> SdkConfig {
        let base = self.sdk_in(region).await;
        let assumed = aws_sdk_sts::Client::new(&base)
            .assume_role()
            .role_arn(format!("arn:aws:iam::{account}:role/{role}"))
            .role_session_name("worktime-test")
            .send()
            .await
            .expect("assume role");
        let c = assumed.credentials().expect("credentials");
        let credentials = aws_sdk_sts::config::Credentials::new(
            c.access_key_id(),
            c.secret_access_key(),
            Some(c.session_token().to_string()),
            None,
            "worktime-test",
        );
        base.to_builder()
            .credentials_provider(aws_sdk_sts::config::SharedCredentialsProvider::new(
                credentials,
            ))
            .build()
    }

    /// The AWS operations a recording server ([`Moto::start_recording`]) has received so far,
    /// in the order it received them, as `service:Operation` (`cloudformation:DeleteStack`,
    /// `ecs:UpdateService`, `application-autoscaling:RegisterScalableTarget`): the service from
    /// the request's SigV4 credential scope, the operation from `X-Amz-Target` (JSON
    /// protocols) or the `Action` parameter (query protocols), else `METHOD path` (REST).
    /// Requests without a signature (the harness's readiness probe) are left out.
    pub fn recorded_operations(&self) -> Vec<String> {
        let path = self
            .recording
            .as_ref()
            .expect("recorded_operations needs a server from Moto::start_recording");
        let text = std::fs::read_to_string(path).unwrap_or_default();
        text.lines()
            .filter_map(|line| {
                let entry: serde_json::Value = serde_json::from_str(line).ok()?;
                let header = |name: &str| {
                    entry["headers"].as_object().and_then(|headers| {
                        headers
                            .iter()
                            .find(|(key, _)| key.eq_ignore_ascii_case(name))
                            .and_then(|(_, value)| value.as_str())
                    })
                };
                // `Credential=<key>/<date>/<region>/<service>/aws4_request`
                let service = header("Authorization")?
                    .split("Credential=")
                    .nth(1)?
                    .split('/')
                    .nth(3)?
                    .to_string();
                // A query protocol's parameters are small; an upload's body is not read.
                let body = entry["body"].as_str().unwrap_or_default();
                let body = if body.len() > 64 * 1024 {
                    String::new()
                } else if entry["body_encoded"] == true {
                    aws_smithy_types::base64::decode(body)
                        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
                        .unwrap_or_default()
                } else {
                    body.to_string()
                };
                let operation = match header("X-Amz-Target") {
                    Some(target) => target.rsplit('.').next().unwrap_or(target).to_string(),
                    None => match body
                        .split('&')
                        .find_map(|pair| pair.strip_prefix("Action="))
                    {
                        Some(action) => action.to_string(),
                        None => format!(
                            "{} {}",
                            entry["method"].as_str().unwrap_or_default(),
                            entry["url"].as_str().unwrap_or_default()
                        ),
                    },
                };
                Some(format!("{service}:{operation}"))
            })
            .collect()
    }

    pub async fn s3(&self) -> aws_sdk_s3::Client {
        let sdk = self.sdk().await;
        aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&sdk)
                .force_path_style(true)
                .build(),
        )
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port on 127.0.0.1")
}

/// Has moto run the state machines it is asked to start (its `stepfunctions.
/// execute_state_machine` setting; off, an execution only records its input), as Step
/// Functions does.
fn execute_state_machines(port: u16) {
    use std::io::Read;
    let body = r#"{"stepfunctions": {"execute_state_machine": true}}"#;
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).expect("moto's port");
    let request = format!(
        "POST /moto-api/config HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).expect("request");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("answer");
    assert!(
        answer.starts_with("HTTP/1.0 20") || answer.starts_with("HTTP/1.1 20"),
        "moto refused its Step Functions setting: {answer}"
    );
}

fn wait_ready(port: u16, child: &mut Child) -> bool {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return false; // exited: port taken, most likely
        }
        if let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            let _ = stream.write_all(b"GET /moto-api/ HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n");
            let mut buf = [0u8; 12];
            if std::io::Read::read(&mut stream, &mut buf).is_ok_and(|n| n >= 12)
                && buf.starts_with(b"HTTP/1.")
            {
                return true;
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

/// One run of a binary: exit code, stdout, stderr.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn from(output: Output) -> Run {
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Panics with both streams unless the exit code is `code`.
    pub fn expect_code(self, code: i32) -> Run {
        assert_eq!(
            self.code, code,
            "expected exit {code}, got {}\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        );
        self
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout))
    }
}

/// Runs `worktime` in `dir` with `env` (and nothing of the caller's AWS settings).
pub fn worktime(dir: &Path, env: &[(String, String)], args: &[&str]) -> Run {
    let mut command = Command::new(binary("worktime"));
    command.current_dir(dir).args(args).stdin(Stdio::null());
    for var in [
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_SESSION_TOKEN",
        "AWS_ENDPOINT_URL",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
    ] {
        command.env_remove(var);
    }
    command.envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    Run::from(command.output().expect("run worktime"))
}

/// A function zip with the real `bootstrap` binary of this build inside (host architecture:
/// moto stores the code but cannot run any of it).
pub fn function_zip(dir: &Path, name: &str, extra: Option<&[u8]>) -> PathBuf {
    use zip::write::SimpleFileOptions;
    let path = dir.join(name);
    let file = std::fs::File::create(&path).expect("create zip");
    let mut zip = zip::ZipWriter::new(file);
    let options = SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Stored)
        .unix_permissions(0o755);
    zip.start_file("bootstrap", options).expect("zip entry");
    let bytes = std::fs::read(binary("bootstrap")).expect("read bootstrap");
    zip.write_all(&bytes).expect("zip write");
    if let Some(extra) = extra {
        // A second entry changes the zip's hash without rebuilding: "a code change".
        zip.start_file("VERSION", options).expect("zip entry");
        zip.write_all(extra).expect("zip write");
    }
    zip.finish().expect("zip finish");
    path
}

/// Creates an ECS cluster and services (`(name, desired count)`), as a team would have them.
pub async fn create_services(sdk: &SdkConfig, cluster: &str, services: &[(&str, i32)]) {
    let ecs = aws_sdk_ecs::Client::new(sdk);
    ecs.create_cluster()
        .cluster_name(cluster)
        .send()
        .await
        .expect("create cluster");
    for (name, desired) in services {
        ecs.create_service()
            .cluster(cluster)
            .service_name(*name)
            .desired_count(*desired)
            .send()
            .await
            .unwrap_or_else(|e| panic!("create service {name}: {e:?}"));
    }
}

/// A service's desired count.
pub async fn desired_count(sdk: &SdkConfig, cluster: &str, service: &str) -> i32 {
    aws_sdk_ecs::Client::new(sdk)
        .describe_services()
        .cluster(cluster)
        .services(service)
        .send()
        .await
        .expect("describe services")
        .services()[0]
        .desired_count()
}

/// Sets a service's desired count, as a deploy or a person would (ECS `UpdateService`).
pub async fn set_desired_count(sdk: &SdkConfig, cluster: &str, service: &str, desired: i32) {
    aws_sdk_ecs::Client::new(sdk)
        .update_service()
        .cluster(cluster)
        .service(service)
        .desired_count(desired)
        .send()
        .await
        .expect("update service");
}

/// Sets a tag on a service (ECS `TagResource`).
pub async fn tag_service(sdk: &SdkConfig, cluster: &str, service: &str, key: &str, value: &str) {
    let ecs = aws_sdk_ecs::Client::new(sdk);
    let arn = ecs
        .describe_services()
        .cluster(cluster)
        .services(service)
        .send()
        .await
        .expect("describe services")
        .services()[0]
        .service_arn()
        .expect("service arn")
        .to_string();
    ecs.tag_resource()
        .resource_arn(arn)
        .tags(
            aws_sdk_ecs::types::Tag::builder()
                .key(key)
                .value(value)
                .build(),
        )
        .send()
        .await
        .expect("tag service");
}

/// Registers a scalable target directly (the capacity a team set up by hand).
pub async fn register_target(sdk: &SdkConfig, cluster: &str, service: &str, min: i32, max: i32) {
    use aws_sdk_applicationautoscaling::types::{ScalableDimension, ServiceNamespace};
    aws_sdk_applicationautoscaling::Client::new(sdk)
        .register_scalable_target()
        .service_namespace(ServiceNamespace::Ecs)
        .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
        .resource_id(format!("service/{cluster}/{service}"))
        .min_capacity(min)
        .max_capacity(max)
        .send()
        .await
        .expect("register scalable target");
}

/// A service's state as worktime sees it: its scalable target's (min, max), if registered,
/// and its desired count.
pub async fn service_state(
    sdk: &SdkConfig,
    cluster: &str,
    service: &str,
) -> (Option<(i32, i32)>, i32) {
    (
        target_capacity(sdk, cluster, service).await,
        desired_count(sdk, cluster, service).await,
    )
}

/// The (min, max) of a service's scalable target, if registered.
pub async fn target_capacity(sdk: &SdkConfig, cluster: &str, service: &str) -> Option<(i32, i32)> {
    use aws_sdk_applicationautoscaling::types::{ScalableDimension, ServiceNamespace};
    let out = aws_sdk_applicationautoscaling::Client::new(sdk)
        .describe_scalable_targets()
        .service_namespace(ServiceNamespace::Ecs)
        .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
        .resource_ids(format!("service/{cluster}/{service}"))
        .send()
        .await
        .expect("describe scalable targets");
    out.scalable_targets()
        .first()
        .map(|t| (t.min_capacity(), t.max_capacity()))
}

/// The line of service `prod/<name>` in a function report (`Report` as JSON); panics, with
/// the report, when it has none.
pub fn prod_service_line<'a>(report: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    let id = format!("service/prod/{name}");
    report["services"]
        .as_array()
        .and_then(|list| list.iter().find(|s| s["resource_id"] == id.as_str()))
        .unwrap_or_else(|| panic!("{id} not in the report: {report}"))
}

/// What worktime remembers of a service, without the mark that follows it: `2/6@4` of
/// `2/6@4 down 2026-12-03T10:00:00Z` (the capacity the tests compare).
pub async fn remembered_capacity(sdk: &SdkConfig, cluster: &str, service: &str) -> Option<String> {
    service_tag(sdk, cluster, service, "worktime:capacity")
        .await
        .map(|value| {
            value
                .split_whitespace()
                .next()
                .unwrap_or_default()
                .to_string()
        })
}

/// The value of a service's tag.
pub async fn service_tag(
    sdk: &SdkConfig,
    cluster: &str,
    service: &str,
    key: &str,
) -> Option<String> {
    let ecs = aws_sdk_ecs::Client::new(sdk);
    let out = ecs
        .describe_services()
        .cluster(cluster)
        .services(service)
        .include(aws_sdk_ecs::types::ServiceField::Tags)
        .send()
        .await
        .expect("describe services");
    out.services()
        .first()?
        .tags()
        .iter()
        .find(|t| t.key() == Some(key))
        .and_then(|t| t.value().map(str::to_string))
}

/// For the harness's own tools (`fire-trigger`, `function-peak-rss`): this process's AWS
/// settings a function run needs (endpoint, keys, region), refused unless the endpoint is
/// a local test endpoint — the tools never send traffic beyond loopback.
pub fn local_endpoint_env() -> Result<Vec<(String, String)>, String> {
    let endpoint = std::env::var("AWS_ENDPOINT_URL").unwrap_or_default();
    if !endpoint.starts_with("http://127.0.0.1:") {
        return Err(format!(
            "AWS_ENDPOINT_URL is {endpoint:?}: only a local test endpoint (http://127.0.0.1:PORT) is driven"
        ));
    }
    Ok([
        "AWS_ENDPOINT_URL",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_REGION",
        "AWS_EC2_METADATA_DISABLED",
    ]
    .iter()
    .filter_map(|k| std::env::var(k).ok().map(|v| (k.to_string(), v)))
    .collect())
}

/// The Lambda architecture of this machine: the zips these tests deploy
/// ([`function_zip`]) hold the host build of `bootstrap`, and worktime refuses code built for
/// another architecture than the config's.
pub fn host_architecture() -> &'static str {
    match std::env::consts::ARCH {
        "aarch64" => "arm64",
        _ => "x86_64",
    }
}

/// Writes a worktime.toml into `dir`, declaring [`host_architecture`] in `[function]` unless
/// the text names an architecture itself.
pub fn write_config(dir: &Path, text: &str) -> PathBuf {
    let path = dir.join("worktime.toml");
    let architecture = format!("architecture = \"{}\"", host_architecture());
    let text = if text.contains("architecture =") {
        text.to_string()
    } else if text.contains("\n[function]\n") {
        text.replacen(
            "\n[function]\n",
            &format!("\n[function]\n{architecture}\n"),
            1,
        )
    } else {
        format!("{text}\n[function]\n{architecture}\n")
    };
    std::fs::write(&path, text).expect("write config");
    path
}

/// The file name under which [`bootstrapped`] leaves the function zip it deployed in the
/// project's directory, for a later `deploy` of the same code.
pub const BOOTSTRAPPED_ZIP: &str = "fn.zip";

/// A worktime project bootstrapped on `moto`: a temp dir with `config` as its worktime.toml
/// ([`write_config`]) and the host build of the function as [`BOOTSTRAPPED_ZIP`]
/// ([`function_zip`]), after `worktime bootstrap --yes --artifact` with that zip exited 0.
pub fn bootstrapped(moto: &Moto, config: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    write_config(dir.path(), config);
    let zip = function_zip(dir.path(), BOOTSTRAPPED_ZIP, None);
    worktime(
        dir.path(),
        &moto.env(),
        &[
            "bootstrap",
            "--yes",
            "--artifact",
            zip.to_str().expect("UTF-8 path"),
        ],
    )
    .expect_code(0);
    dir
}

// ---------------------------------------------------------------- the function under cargo-lambda's emulator
//
// The harness's own Runtime API ([`FunctionRuntime`], module `runtime`) runs the same built
// `bootstrap` without cargo-lambda, with Lambda's environment only, and returns the response or
// error payload itself; prefer it. `LambdaEmulator` stays for tests that want cargo-lambda's
// `watch`/`invoke` as a user would run them.

/// The project venv's `bin` directory (moto server, cargo-lambda, zig).
fn venv_bin() -> PathBuf {
    workspace_root().join(".venv/bin")
}

/// `PATH` with the project venv first, so that `cargo lambda` finds `cargo-lambda`.
fn path_with_venv() -> std::ffi::OsString {
    let mut dirs = vec![venv_bin()];
    if let Some(path) = std::env::var_os("PATH") {
        dirs.extend(std::env::split_paths(&path));
    }
    std::env::join_paths(dirs).expect("PATH")
}

/// `cargo lambda ...` with the venv on `PATH`. Fails the test (never skips it) when cargo-lambda is
/// not installed.
fn cargo_lambda(args: &[&str]) -> Command {
    let path = path_with_venv();
    let found = std::env::split_paths(&path).any(|dir| dir.join("cargo-lambda").is_file());
    assert!(
        found,
        "cargo-lambda not found in {} nor on PATH: run `make venv` to install cargo-lambda in the project venv",
        venv_bin().display()
    );
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .arg("lambda")
        .args(args)
        .env("PATH", path)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null());
    command
}

/// `cargo lambda watch` serving the workspace's `bootstrap` function on a free 127.0.0.1 port: the
/// Lambda runtime API plus the function itself (the debug build, run with the environment the
/// emulator was started with). Stopped, with everything it started, when dropped.
pub struct LambdaEmulator {
    child: Child,
    pub port: u16,
    dir: tempfile::TempDir,
}

impl LambdaEmulator {
    /// How long `start` waits for the emulator to listen, and an invocation for its answer (the
    /// first one may have to build the function).
    pub const TIMEOUT: Duration = Duration::from_secs(600);

    /// Starts the emulator with `env` (and none of the caller's AWS or worktime settings).
    pub fn start(env: &[(String, String)]) -> LambdaEmulator {
        binary("bootstrap"); // built by `cargo build --workspace`: the emulator then only runs it
        let mut dir = tempfile::tempdir().expect("temp dir"); // logs and events: outside the crate
        let mut last_log = String::new();
        for _attempt in 0..5 {
            let port = free_port();
            let log = std::fs::File::create(dir.path().join("watch.log")).expect("watch log");
            let mut command = cargo_lambda(&[
                "watch",
                "--ignore-changes",
                "--invoke-address",
                "127.0.0.1",
                "--invoke-port",
                &port.to_string(),
                "--package",
                "worktime-lambda",
            ]);
            command
                .current_dir(workspace_root())
                .stdout(log.try_clone().expect("watch log"))
                .stderr(log);
            // Its own process group, so that the whole of it can be stopped.
            std::os::unix::process::CommandExt::process_group(&mut command, 0);
            for var in [
                "AWS_PROFILE",
                "AWS_DEFAULT_PROFILE",
                "AWS_SESSION_TOKEN",
                "AWS_ENDPOINT_URL",
                "AWS_REGION",
                "AWS_DEFAULT_REGION",
                "AWS_ACCESS_KEY_ID",
                "AWS_SECRET_ACCESS_KEY",
                "WORKTIME_SERVICES",
                "WORKTIME_TIMEZONE",
                "WORKTIME_ALLOWED_SERVICES",
            ] {
                command.env_remove(var);
            }
            command.envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
            let child = command.spawn().expect("start cargo lambda watch");
            let mut emulator = LambdaEmulator { child, port, dir };
            let deadline = Instant::now() + Self::TIMEOUT;
            loop {
                if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    return emulator;
                }
                if let Ok(Some(_)) = emulator.child.try_wait() {
                    break; // exited: the port was taken, most likely; try another
                }
                assert!(
                    Instant::now() < deadline,
                    "cargo lambda watch did not listen on 127.0.0.1:{port} in {:?}\n--- its log\n{}",
                    Self::TIMEOUT,
                    emulator.log()
                );
                std::thread::sleep(Duration::from_millis(200));
            }
            last_log = emulator.log();
            dir = emulator.take_dir();
        }
        panic!(
            "cargo lambda watch exited without listening, 5 times\n--- its last log\n{last_log}"
        );
    }

    /// Hands the temp dir on to the next attempt (this one is stopped on drop).
    fn take_dir(mut self) -> tempfile::TempDir {
        std::mem::replace(&mut self.dir, tempfile::tempdir().expect("temp dir"))
    }

    /// The emulator's output so far (cargo's and the function's logs).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("watch.log")).unwrap_or_default()
    }

    /// Sends one event to `function` with `cargo lambda invoke` and waits for the answer.
    pub fn invoke(&self, function: &str, event: &serde_json::Value) -> Run {
        let path = self.dir.path().join("event.json");
        std::fs::write(&path, event.to_string()).expect("write event");
        self.invoke_file(function, &path)
    }

    /// Sends the event in `path` to `function` with `cargo lambda invoke` and waits for the answer.
    pub fn invoke_file(&self, function: &str, path: &Path) -> Run {
        let out = self.dir.path().join("invoke.out");
        let err = self.dir.path().join("invoke.err");
        let mut child = cargo_lambda(&[
            "invoke",
            function,
            "--invoke-address",
            "127.0.0.1",
            "--invoke-port",
            &self.port.to_string(),
            "--data-file",
            path.to_str().expect("UTF-8 path"),
        ])
        .stdout(std::fs::File::create(&out).expect("invoke stdout"))
        .stderr(std::fs::File::create(&err).expect("invoke stderr"))
        .spawn()
        .expect("run cargo lambda invoke");
        let deadline = Instant::now() + Self::TIMEOUT;
        let status = loop {
            if let Some(status) = child.try_wait().expect("wait for cargo lambda invoke") {
                break status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "cargo lambda invoke {function} got no answer in {:?}\n--- emulator log\n{}",
                    Self::TIMEOUT,
                    self.log()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        };
        Run {
            code: status.code().unwrap_or(-1),
            stdout: std::fs::read_to_string(&out).unwrap_or_default(),
            stderr: std::fs::read_to_string(&err).unwrap_or_default(),
        }
    }
}

impl Drop for LambdaEmulator {
    fn drop(&mut self) {
        let group = self.child.id();
        // The function instance runs in a session of its own: find it (and anything else the
        // emulator started) before the emulator goes, while they are still its descendants.
        let descendants = descendants(group);
        signal("-TERM", &format!("-{group}"));
        for pid in &descendants {
            signal("-TERM", &pid.to_string());
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline && !matches!(self.child.try_wait(), Ok(Some(_))) {
            std::thread::sleep(Duration::from_millis(100));
        }
        if !matches!(self.child.try_wait(), Ok(Some(_))) {
            signal("-KILL", &format!("-{group}"));
        }
        let _ = self.child.wait();
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut alive: Vec<u32> = descendants.clone();
        while !alive.is_empty() && Instant::now() < deadline {
            alive.retain(|pid| Path::new(&format!("/proc/{pid}")).exists() && !is_zombie(*pid));
            std::thread::sleep(Duration::from_millis(100));
        }
        for pid in alive {
            signal("-KILL", &pid.to_string());
        }
    }
}

/// `kill SIGNAL TARGET` (a pid, or `-PGID` for a process group).
fn signal(signal: &str, target: &str) {
    let _ = Command::new("kill")
        .args([signal, "--", target])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// The parent pid from `/proc/<pid>/stat` (whose command name may hold spaces and parens).
fn parent_of(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(1)?.parse().ok()
}

fn is_zombie(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| {
            stat.rfind(')')
                .map(|i| stat[i + 1..].trim_start().starts_with('Z'))
        })
        .unwrap_or(true)
}

/// Every live descendant of `root`, from `/proc`.
fn descendants(root: u32) -> Vec<u32> {
    let processes: Vec<(u32, u32)> = std::fs::read_dir("/proc")
        .map(|entries| {
            entries
                .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
                .filter_map(|pid| Some((pid, parent_of(pid)?)))
                .collect()
        })
        .unwrap_or_default();
    let mut found = vec![root];
    let mut i = 0;
    while i < found.len() {
        let parent = found[i];
        found.extend(
            processes
                .iter()
                .filter(|(_, ppid)| *ppid == parent)
                .map(|(pid, _)| *pid),
        );
        i += 1;
    }
    found.remove(0);
    found
}

/// IAM returns policy documents percent-encoded (RFC 3986).
pub fn percent_decode(text: &str) -> String {
    let mut out = Vec::with_capacity(text.len());
    let mut bytes = text.bytes();
    while let Some(b) = bytes.next() {
        if b != b'%' {
            out.push(b);
            continue;
        }
        let hex: String = bytes.by_ref().take(2).map(char::from).collect();
        match u8::from_str_radix(&hex, 16) {
            Ok(decoded) => out.push(decoded),
            Err(_) => {
                out.push(b'%');
                out.extend(hex.bytes());
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
