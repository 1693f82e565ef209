//! Test harness: a moto server of its own for each test, on a free 127.0.0.1 port; the
//! built `worktime` and `bootstrap` binaries; SDK clients aimed at the server.
//!
//! Nothing here fakes AWS: every call goes to moto through the standard endpoint settings,
//! exactly as the binaries would talk to AWS.

use std::io::Write;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use aws_config::{BehaviorVersion, Region, SdkConfig};

/// The workspace root (this crate lives in `<root>/tests`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root").to_path_buf()
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

/// The moto server executable: `$WORKTIME_MOTO_SERVER`, else the project venv's.
fn moto_executable() -> PathBuf {
    if let Some(path) = std::env::var_os("WORKTIME_MOTO_SERVER") {
        return PathBuf::from(path);
    }
    let path = workspace_root().join(".venv/bin/moto_server");
    assert!(
        path.exists(),
        "{} not found: run `make venv` (make test does) to install moto in the project venv",
        path.display()
    );
    path
}

/// A moto server for one test; stopped when dropped.
pub struct Moto {
    child: Child,
    /// Empty AWS config and credentials files, so the developer's own ~/.aws stays out.
    home: tempfile::TempDir,
    pub port: u16,
    pub region: String,
}

impl Moto {
    pub fn start() -> Moto {
        Self::start_in("ap-northeast-2")
    }

    pub fn start_in(region: &str) -> Moto {
        for _attempt in 0..5 {
            let port = free_port();
            let mut child = Command::new(moto_executable())
                .args(["-H", "127.0.0.1", "-p", &port.to_string()])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("start moto_server");
            if wait_ready(port, &mut child) {
                let home = tempfile::tempdir().expect("temp dir");
                std::fs::write(home.path().join("config"), "").expect("empty config");
                std::fs::write(home.path().join("credentials"), "").expect("empty credentials");
                return Moto {
                    child,
                    home,
                    port,
                    region: region.to_string(),
                };
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("moto_server did not start on 127.0.0.1 after 5 attempts");
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The environment a user would set to point worktime at this endpoint.
    pub fn env(&self) -> Vec<(String, String)> {
        vec![
            ("AWS_ACCESS_KEY_ID".into(), "testing".into()),
            ("AWS_SECRET_ACCESS_KEY".into(), "testing".into()),
            ("AWS_ENDPOINT_URL".into(), self.endpoint()),
            ("AWS_REGION".into(), self.region.clone()),
            // Keep the developer's own ~/.aws out of the tests.
            ("AWS_CONFIG_FILE".into(), self.home.path().join("config").display().to_string()),
            ("AWS_SHARED_CREDENTIALS_FILE".into(), self.home.path().join("credentials").display().to_string()),
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
        aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new(region.to_string()))
            .endpoint_url(self.endpoint())
            .credentials_provider(aws_sdk_sts::config::Credentials::new("testing", "testing", None, None, "test"))
            .load()
            .await
    }

    pub async fn s3(&self) -> aws_sdk_s3::Client {
        let sdk = self.sdk().await;
        aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(&sdk).force_path_style(true).build())
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

fn wait_ready(port: u16, child: &mut Child) -> bool {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return false; // exited: port taken, most likely
        }
        if let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            let _ = stream.write_all(b"GET /moto-api/ HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n");
            let mut buf = [0u8; 12];
            if std::io::Read::read(&mut stream, &mut buf).is_ok_and(|n| n >= 12) && buf.starts_with(b"HTTP/1.") {
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
    fn from(output: Output) -> Run {
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
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout))
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
    ecs.create_cluster().cluster_name(cluster).send().await.expect("create cluster");
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
    out.scalable_targets().first().map(|t| (t.min_capacity(), t.max_capacity()))
}

/// The value of a service's tag.
pub async fn service_tag(sdk: &SdkConfig, cluster: &str, service: &str, key: &str) -> Option<String> {
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

/// Writes a worktime.toml into `dir`.
pub fn write_config(dir: &Path, text: &str) -> PathBuf {
    let path = dir.join("worktime.toml");
    std::fs::write(&path, text).expect("write config");
    path
}
