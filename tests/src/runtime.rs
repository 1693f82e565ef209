//! The real `bootstrap` binary under a Lambda Runtime API served by the harness itself.
//!
//! [`FunctionRuntime`] plays the part of the Lambda service for one execution environment: it
//! listens on a free 127.0.0.1 port, starts the built `bootstrap` with the environment Lambda
//! gives a `provided.al2023` function (`AWS_LAMBDA_RUNTIME_API` pointing at the port, function
//! name, memory, version, log group and stream, log format, region) plus the caller's
//! environment (the stack's variables: endpoint, keys, `WORKTIME_*`), and nothing else of the
//! test process's environment. [`FunctionRuntime::invoke`] queues one event and waits for the
//! function's answer, exactly as the runtime client in `lambda_runtime` fetches and answers
//! it. The endpoints served (Lambda Developer Guide, "Using the Lambda runtime API for custom
//! runtimes", <https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html>):
//!
//! - `GET /2018-06-01/runtime/invocation/next`: long-polls until an event is queued; answers it
//!   with `Lambda-Runtime-Aws-Request-Id`, `Lambda-Runtime-Deadline-Ms`,
//!   `Lambda-Runtime-Invoked-Function-Arn` and `Lambda-Runtime-Trace-Id` (the client in
//!   `lambda_runtime` 1.5 requires the first two and reads the others);
//! - `POST /2018-06-01/runtime/invocation/{id}/response` and `.../{id}/error`: the outcome
//!   (`202 Accepted`);
//! - `POST /2018-06-01/runtime/init/error`: an initialization failure (`202 Accepted`).
//!
//! The function's stdout and stderr (its log) go to a file, readable with
//! [`FunctionRuntime::log`]; the process is killed when the runtime is dropped.
//!
//! [`FunctionConfig::runner`] runs the executable through a prefix command: the shipped arm64
//! `bootstrap` runs on an x86_64 machine under `qemu-aarch64` (see [`crate::arm64_runner`]),
//! which passes the environment and the Runtime API's loopback socket through unchanged.

use std::collections::{HashMap, VecDeque};
use std::ffi::OsString;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::Value;

/// What Lambda knows about the function: its configuration, not its code's environment.
#[derive(Debug, Clone)]
pub struct FunctionConfig {
    pub name: String,
    pub memory_mb: u32,
    /// The function's timeout: the invocation deadline handed to the runtime, and how long
    /// [`FunctionRuntime::invoke`] waits (plus a few seconds for the process to start).
    pub timeout: Duration,
    /// `AWS_LAMBDA_LOG_FORMAT`: `Text` (Lambda's default) or `JSON`.
    pub log_format: String,
    /// The executable; default: the workspace's debug build of `bootstrap`.
    pub binary: PathBuf,
    /// A command (and its arguments) that runs `binary`, e.g. a user-mode emulator for a
    /// binary of another architecture; empty (the default): `binary` is executed directly.
    pub runner: Vec<OsString>,
}

impl Default for FunctionConfig {
    fn default() -> Self {
        FunctionConfig {
            name: "worktime-function".into(),
            memory_mb: 128,
            timeout: Duration::from_secs(60),
            log_format: "Text".into(),
            binary: crate::binary("bootstrap"),
            runner: Vec::new(),
        }
    }
}

/// One invocation's answer: `Ok` with the function's response, or `Err` with its error
/// payload (`{"errorType": ..., "errorMessage": ...}` as `lambda_runtime` posts it, or
/// Lambda's own `Runtime.ExitError` when the process died during the invocation).
#[derive(Debug, Clone)]
pub struct Invocation {
    pub request_id: String,
    pub result: Result<Value, Value>,
    /// What the function logged while this invocation ran.
    pub log: String,
}

impl Invocation {
    /// The response; panics (with the error payload and the log) on an error.
    pub fn expect_ok(self) -> Value {
        match self.result {
            Ok(value) => value,
            Err(error) => panic!(
                "invocation {} failed: {error}\n--- function log\n{}",
                self.request_id, self.log
            ),
        }
    }

    /// The error payload; panics (with the response and the log) on success.
    pub fn expect_err(self) -> Value {
        match self.result {
            Err(error) => error,
            Ok(value) => panic!(
                "invocation {} succeeded, expected an error: {value}\n--- function log\n{}",
                self.request_id, self.log
            ),
        }
    }
}

struct Queued {
    id: String,
    body: Vec<u8>,
    deadline_ms: u128,
    trace_id: String,
}

enum Outcome {
    Response(Vec<u8>),
    Error(Vec<u8>),
}

#[derive(Default)]
struct State {
    queue: VecDeque<Queued>,
    outcomes: HashMap<String, Outcome>,
    init_error: Option<Vec<u8>>,
    shutdown: bool,
}

#[derive(Default)]
struct Shared {
    state: Mutex<State>,
    changed: Condvar,
    /// Invocations queued so far (for request ids).
    invocations: std::sync::atomic::AtomicU64,
    /// The function's timeout: each invocation's deadline.
    timeout: Mutex<Duration>,
}

impl Shared {
    /// Queues `payload` as one invocation; its request id.
    fn enqueue(&self, payload: &[u8], port: u16) -> String {
        let n = self
            .invocations
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst)
            + 1;
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("clock after 1970");
        let id = format!(
            "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
            now.as_secs() as u32,
            std::process::id() & 0xffff,
            port & 0xfff,
            n & 0xfff,
            now.subsec_nanos()
        );
        let trace_id = format!(
            "Root=1-{:08x}-{:024x};Parent={:016x};Sampled=0",
            now.as_secs() as u32,
            u128::from(now.subsec_nanos()) << 32 | u128::from(n as u32),
            n
        );
        let timeout = *self.timeout.lock().expect("timeout");
        let deadline_ms = (now + timeout).as_millis();
        let mut state = self.state.lock().expect("runtime state");
        state.queue.push_back(Queued {
            id: id.clone(),
            body: payload.to_vec(),
            deadline_ms,
            trace_id,
        });
        self.changed.notify_all();
        id
    }

    /// The outcome of invocation `id`, waiting up to `patience`; `None` when it did not come.
    fn outcome(&self, id: &str, patience: Duration) -> Option<Outcome> {
        let give_up = Instant::now() + patience;
        let mut state = self.state.lock().expect("runtime state");
        loop {
            if let Some(outcome) = state.outcomes.remove(id) {
                return Some(outcome);
            }
            if Instant::now() > give_up || state.shutdown {
                state.queue.retain(|q| q.id != id);
                return None;
            }
            state = self
                .changed
                .wait_timeout(state, Duration::from_millis(100))
                .expect("runtime state")
                .0;
        }
    }
}

/// A deployed function's name and environment variables, read through the Lambda API, for
/// the drivers that run it as Lambda would (`fire-trigger`, `visit`).
pub async fn deployed_environment(
    sdk: &aws_config::SdkConfig,
    function: &str,
) -> Result<(String, Vec<(String, String)>), String> {
    let configuration = aws_sdk_lambda::Client::new(sdk)
        .get_function_configuration()
        .function_name(function)
        .send()
        .await
        .map_err(|e| {
            format!(
                "function {function}: {}",
                aws_sdk_lambda::error::DisplayErrorContext(e)
            )
        })?;
    let variables = configuration
        .environment()
        .and_then(|e| e.variables())
        .map(|v| v.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    let name = configuration
        .function_name()
        .unwrap_or(function)
        .to_string();
    Ok((name, variables))
}

/// The built `bootstrap` running against the harness's own Lambda Runtime API.
pub struct FunctionRuntime {
    child: Child,
    shared: Arc<Shared>,
    port: u16,
    config: FunctionConfig,
    function_arn: String,
    dir: tempfile::TempDir,
    invocations: u64,
}

impl FunctionRuntime {
    /// Starts `bootstrap` with the default configuration and `env` (the function's own
    /// environment variables, e.g. `moto.env()` plus `WORKTIME_*`).
    pub fn start(env: &[(String, String)]) -> FunctionRuntime {
        Self::start_with(FunctionConfig::default(), env)
    }

    /// The deployed function `name` as Lambda would run it: the built `bootstrap` with the
    /// environment variables the stack gave the function, plus `endpoint_env` (the test
    /// endpoint and its keys).
    pub async fn deployed(
        sdk: &aws_config::SdkConfig,
        name: &str,
        endpoint_env: Vec<(String, String)>,
    ) -> FunctionRuntime {
        Self::deployed_with(sdk, name, endpoint_env, FunctionConfig::default()).await
    }

    /// [`FunctionRuntime::deployed`] with Lambda's side of the configuration given (the log
    /// format, say).
    pub async fn deployed_with(
        sdk: &aws_config::SdkConfig,
        name: &str,
        mut endpoint_env: Vec<(String, String)>,
        config: FunctionConfig,
    ) -> FunctionRuntime {
        let configuration = aws_sdk_lambda::Client::new(sdk)
            .get_function_configuration()
            .function_name(name)
            .send()
            .await
            .unwrap_or_else(|e| panic!("the stack created the function {name}: {e:?}"));
        let variables = configuration
            .environment()
            .and_then(|e| e.variables())
            .expect("the function has an environment");
        assert!(
            variables.contains_key("WORKTIME_ALLOWED_SERVICES"),
            "{variables:?}"
        );
        endpoint_env.extend(variables.iter().map(|(k, v)| (k.clone(), v.clone())));
        // Runs as the deployed function: its name, so its invoked ARN is the one the
        // endpoint knows (the function tags itself there).
        let config = FunctionConfig {
            name: configuration.function_name().unwrap_or(name).to_string(),
            ..config
        };
        FunctionRuntime::start_with(config, &endpoint_env)
    }

    pub fn start_with(config: FunctionConfig, env: &[(String, String)]) -> FunctionRuntime {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let port = listener.local_addr().expect("local address").port();
        let shared = Arc::new(Shared::default());
        *shared.timeout.lock().expect("timeout") = config.timeout;
        let region = env
            .iter()
            .find(|(k, _)| k == "AWS_REGION")
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| "us-east-1".into());
        let function_arn = format!(
            "arn:aws:lambda:{region}:123456789012:function:{}",
            config.name
        );
        {
            let shared = shared.clone();
            let arn = function_arn.clone();
            std::thread::spawn(move || serve(listener, shared, arn, port));
        }
        let dir = tempfile::tempdir().expect("temp dir");
        let log = std::fs::File::create(dir.path().join("function.log")).expect("function log");
        let task_root = config
            .binary
            .parent()
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        let mut command = match config.runner.split_first() {
            Some((runner, args)) => {
                let mut command = Command::new(runner);
                command.args(args).arg(&config.binary);
                command
            }
            None => Command::new(&config.binary),
        };
        command
            .env_clear()
            .env("PATH", "/usr/local/bin:/usr/bin/:/bin")
            .env("LANG", "en_US.UTF-8")
            .env("TZ", ":UTC")
            .env("LAMBDA_TASK_ROOT", task_root)
            .env("_HANDLER", "bootstrap")
            .env("AWS_LAMBDA_RUNTIME_API", format!("127.0.0.1:{port}"))
            .env("AWS_LAMBDA_FUNCTION_NAME", &config.name)
            .env(
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
                config.memory_mb.to_string(),
            )
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env(
                "AWS_LAMBDA_LOG_GROUP_NAME",
                format!("/aws/lambda/{}", config.name),
            )
            .env(
                "AWS_LAMBDA_LOG_STREAM_NAME",
                "2026/01/01/[$LATEST]00000000000000000000000000000000",
            )
            .env("AWS_LAMBDA_LOG_FORMAT", &config.log_format)
            .env("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand")
            .env("AWS_REGION", &region)
            .env("AWS_DEFAULT_REGION", &region)
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("function log"))
            .stderr(log);
        let child = command.spawn().unwrap_or_else(|e| {
            panic!(
                "start {} (runner {:?}): {e}",
                config.binary.display(),
                config.runner
            )
        });
        FunctionRuntime {
            child,
            shared,
            port,
            config,
            function_arn,
            dir,
            invocations: 0,
        }
    }

    /// The function process's peak resident set so far, in KiB (`VmHWM` of
    /// `/proc/<pid>/status`: the high-water mark of its own address space since exec, unlike
    /// `ru_maxrss`, which starts from the parent's). `None` once the process has exited.
    pub fn peak_rss_kib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmHWM:"))
            .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
    }

    /// The Runtime API address (`AWS_LAMBDA_RUNTIME_API`).
    pub fn runtime_api(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Everything the function has logged so far (stdout and stderr).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("function.log")).unwrap_or_default()
    }

    /// Sends `event` (as JSON) and waits for the function's answer.
    pub fn invoke(&mut self, event: &Value) -> Invocation {
        self.invoke_raw(event.to_string().as_bytes())
    }

    /// Sends `payload` as it is (any bytes: a trigger may deliver text that is not JSON) and
    /// waits for the function's answer. Panics, with the log, when the function neither
    /// answers nor exits within its timeout.
    pub fn invoke_raw(&mut self, payload: &[u8]) -> Invocation {
        self.invocations += 1;
        let log_start = self.log().len();
        let id = self.shared.enqueue(payload, self.port);
        let give_up = Instant::now() + self.config.timeout + Duration::from_secs(10);
        let result = loop {
            let mut state = self.shared.state.lock().expect("runtime state");
            if let Some(outcome) = state.outcomes.remove(&id) {
                break match outcome {
                    Outcome::Response(body) => Ok(json_or_text(&body)),
                    Outcome::Error(body) => Err(json_or_text(&body)),
                };
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                let init_error = state.init_error.take();
                state.queue.retain(|q| q.id != id);
                drop(state);
                // What Lambda answers when the runtime process dies during an invocation.
                break Err(init_error.map(|b| json_or_text(&b)).unwrap_or_else(|| {
                    serde_json::json!({
                        "errorType": "Runtime.ExitError",
                        "errorMessage": format!(
                            "RequestId: {id} Error: Runtime exited with error: {status}"
                        ),
                    })
                }));
            }
            if Instant::now() > give_up {
                drop(state);
                panic!(
                    "{} did not answer invocation {id} within {:?}\n--- function log\n{}",
                    self.config.name,
                    self.config.timeout,
                    self.log()
                );
            }
            let _ = self
                .shared
                .changed
                .wait_timeout(state, Duration::from_millis(100))
                .expect("runtime state");
        };
        let log = self.log();
        Invocation {
            request_id: id,
            result,
            log: log.get(log_start..).unwrap_or_default().to_string(),
        }
    }

    /// The function's ARN as the runtime sees it (`Lambda-Runtime-Invoked-Function-Arn`).
    pub fn function_arn(&self) -> &str {
        &self.function_arn
    }
}

impl Drop for FunctionRuntime {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Ok(mut state) = self.shared.state.lock() {
            state.shutdown = true;
        }
        self.shared.changed.notify_all();
        // Wake the accept loop so that it sees the shutdown.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

fn json_or_text(body: &[u8]) -> Value {
    serde_json::from_slice(body)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(body).into_owned()))
}

/// Accept loop: one thread per connection (the runtime client keeps its connection alive).
fn serve(listener: TcpListener, shared: Arc<Shared>, function_arn: String, port: u16) {
    let arn = Arc::new(function_arn);
    for stream in listener.incoming() {
        if shared.state.lock().map(|s| s.shutdown).unwrap_or(true) {
            return;
        }
        let Ok(stream) = stream else { continue };
        let shared = shared.clone();
        let arn = arn.clone();
        std::thread::spawn(move || {
            let _ = connection(stream, &shared, &arn, port);
        });
    }
}

struct Request {
    method: String,
    path: String,
    body: Vec<u8>,
    close: bool,
}

fn read_request(reader: &mut BufReader<TcpStream>) -> std::io::Result<Option<Request>> {
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        return Ok(None);
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_string();
    let path = parts.next().unwrap_or_default().to_string();
    let mut length = 0usize;
    let mut chunked = false;
    let mut close = false;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 {
            return Ok(None);
        }
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            let (name, value) = (name.trim().to_ascii_lowercase(), value.trim());
            match name.as_str() {
                "content-length" => length = value.parse().unwrap_or(0),
                "transfer-encoding" => chunked = value.eq_ignore_ascii_case("chunked"),
                "connection" => close = value.eq_ignore_ascii_case("close"),
                _ => {}
            }
        }
    }
    let mut body = Vec::new();
    if chunked {
        loop {
            let mut size = String::new();
            reader.read_line(&mut size)?;
            let size = usize::from_str_radix(size.trim().split(';').next().unwrap_or("0"), 16)
                .unwrap_or(0);
            if size == 0 {
                // Trailers until an empty line.
                loop {
                    let mut trailer = String::new();
                    if reader.read_line(&mut trailer)? == 0 || trailer.trim().is_empty() {
                        break;
                    }
                }
                break;
            }
            let mut chunk = vec![0; size];
            reader.read_exact(&mut chunk)?;
            body.extend_from_slice(&chunk);
            let mut crlf = [0u8; 2];
            reader.read_exact(&mut crlf)?;
        }
    } else {
        body.resize(length, 0);
        reader.read_exact(&mut body)?;
    }
    Ok(Some(Request {
        method,
        path,
        body,
        close,
    }))
}

fn respond(
    stream: &mut TcpStream,
    status: &str,
    headers: &[(&str, String)],
    body: &[u8],
) -> std::io::Result<()> {
    let mut head = format!("HTTP/1.1 {status}\r\nContent-Type: application/json\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    stream.write_all(head.as_bytes())?;
    stream.write_all(body)?;
    stream.flush()
}

/// Where the AWS model sends an `Invoke` of the function (`tests/aws_model/worktime_moto/
/// lambda_runtime.py`): the harness plays the Lambda service's part, queues the payload for
/// the function and answers with its response, or its error payload and the header
/// [`FUNCTION_ERROR_HEADER`] (Lambda's `X-Amz-Function-Error`).
pub const INVOKE_PATH: &str = "/worktime-harness/invoke";
/// Set on an [`INVOKE_PATH`] answer when the function answered with an error.
pub const FUNCTION_ERROR_HEADER: &str = "X-Worktime-Function-Error";

fn connection(stream: TcpStream, shared: &Shared, arn: &str, port: u16) -> std::io::Result<()> {
    let mut writer = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    const PREFIX: &str = "/2018-06-01/runtime/";
    while let Some(request) = read_request(&mut reader)? {
        if request.method == "POST" && request.path == INVOKE_PATH {
            let id = shared.enqueue(&request.body, port);
            let patience = *shared.timeout.lock().expect("timeout") + Duration::from_secs(10);
            match shared.outcome(&id, patience) {
                Some(Outcome::Response(body)) => respond(&mut writer, "200 OK", &[], &body)?,
                Some(Outcome::Error(body)) => respond(
                    &mut writer,
                    "200 OK",
                    &[(FUNCTION_ERROR_HEADER, "Unhandled".to_string())],
                    &body,
                )?,
                // What Lambda answers when the function does not finish in time.
                None => respond(
                    &mut writer,
                    "200 OK",
                    &[(FUNCTION_ERROR_HEADER, "Unhandled".to_string())],
                    format!(
                        r#"{{"errorType":"Sandbox.Timedout","errorMessage":"RequestId: {id} Error: Task timed out"}}"#
                    )
                    .as_bytes(),
                )?,
            }
            if request.close {
                break;
            }
            continue;
        }
        let route = request.path.strip_prefix(PREFIX).unwrap_or("");
        let accepted = br#"{"status":"OK"}"#;
        match (request.method.as_str(), route) {
            ("GET", "invocation/next") => {
                let mut state = shared.state.lock().expect("runtime state");
                let next = loop {
                    if state.shutdown {
                        return Ok(());
                    }
                    if let Some(next) = state.queue.pop_front() {
                        break next;
                    }
                    state = shared.changed.wait(state).expect("runtime state");
                };
                drop(state);
                respond(
                    &mut writer,
                    "200 OK",
                    &[
                        ("Lambda-Runtime-Aws-Request-Id", next.id),
                        ("Lambda-Runtime-Deadline-Ms", next.deadline_ms.to_string()),
                        ("Lambda-Runtime-Invoked-Function-Arn", arn.to_string()),
                        ("Lambda-Runtime-Trace-Id", next.trace_id),
                    ],
                    &next.body,
                )?;
            }
            ("POST", "init/error") => {
                let mut state = shared.state.lock().expect("runtime state");
                state.init_error = Some(request.body);
                shared.changed.notify_all();
                drop(state);
                respond(&mut writer, "202 Accepted", &[], accepted)?;
            }
            ("POST", route) if route.starts_with("invocation/") => {
                let rest = &route["invocation/".len()..];
                let outcome = if let Some(id) = rest.strip_suffix("/response") {
                    Some((id, Outcome::Response(request.body)))
                } else {
                    rest.strip_suffix("/error")
                        .map(|id| (id, Outcome::Error(request.body)))
                };
                match outcome {
                    Some((id, outcome)) => {
                        let mut state = shared.state.lock().expect("runtime state");
                        state.outcomes.insert(id.to_string(), outcome);
                        shared.changed.notify_all();
                        drop(state);
                        respond(&mut writer, "202 Accepted", &[], accepted)?;
                    }
                    None => respond(&mut writer, "404 Not Found", &[], b"{}")?,
                }
            }
            _ => respond(&mut writer, "404 Not Found", &[], b"{}")?,
        }
        if request.close {
            break;
        }
    }
    Ok(())
}
