//! `worktime report` (issue 12, part 1) against the local endpoint: no stack deployed, only
//! the config and the services in ECS. Each schedule's hours (Seoul office hours, a Berlin
//! week in which the clocks change), each service's task definition and launch type, the
//! money for Fargate at the table's and at given prices, task-hours only for EC2, the HTML
//! page parsed and checked, arguments refused before any call, and `worktime status`'s line.

use std::path::Path;

use aws_config::SdkConfig;
use aws_sdk_ecs::types::{
    ContainerDefinition, CpuArchitecture, LaunchType, OsFamily, RuntimePlatform, Tag,
};
use serde_json::Value;
use worktime_e2e::*;

/// 52 weeks over 12 months, as the report multiplies a week's saving into a month's.
const WEEKS_PER_MONTH: f64 = 52.0 / 12.0;
/// The table's Seoul (ap-northeast-2) Fargate Linux prices: (vCPU-hour, GB-hour).
const SEOUL_X86: (f64, f64) = (0.04656, 0.00511);
const SEOUL_ARM: (f64, f64) = (0.03725, 0.00409);

const SEOUL: &str = r#"
[stack]
name = "rep"
region = "REGION"

[schedule]
timezone = "Asia/Seoul"
scale_out = "cron(0 9 ? * MON-FRI *)"
scale_in = "cron(0 19 ? * MON-FRI *)"
trigger = "rules"
skip_dates = ["2030-03-06"]

[[services]]
cluster = "prod"
service = "api"
min = 1
max = 4

[[services]]
cluster = "prod"
service = "worker"

[[services]]
cluster = "prod"
service = "batch"
"#;

pub(crate) fn seoul_config(region: &str) -> String {
    SEOUL.replace("REGION", region)
}

/// A task definition of this size and platform (task-level cpu and memory, as Fargate
/// requires), and a service running it.
struct Workload<'a> {
    name: &'a str,
    desired: i32,
    launch: LaunchType,
    cpu: Option<&'a str>,
    memory: Option<&'a str>,
    architecture: Option<CpuArchitecture>,
    tags: &'a [(&'a str, &'a str)],
}

impl<'a> Workload<'a> {
    fn fargate(name: &'a str, desired: i32, cpu: &'a str, memory: &'a str) -> Self {
        Workload {
            name,
            desired,
            launch: LaunchType::Fargate,
            cpu: Some(cpu),
            memory: Some(memory),
            architecture: None,
            tags: &[],
        }
    }
}

async fn create_cluster(sdk: &SdkConfig, cluster: &str) {
    aws_sdk_ecs::Client::new(sdk)
        .create_cluster()
        .cluster_name(cluster)
        .send()
        .await
        .expect("create cluster");
}

async fn create_workload(sdk: &SdkConfig, cluster: &str, workload: &Workload<'_>) {
    let ecs = aws_sdk_ecs::Client::new(sdk);
    let mut definition = ecs
        .register_task_definition()
        .family(workload.name)
        .container_definitions(
            ContainerDefinition::builder()
                .name(workload.name)
                .image("public.ecr.aws/nginx/nginx:latest")
                .essential(true)
                .build(),
        )
        .set_cpu(workload.cpu.map(str::to_string))
        .set_memory(workload.memory.map(str::to_string));
    if workload.launch == LaunchType::Fargate {
        definition = definition
            .requires_compatibilities(aws_sdk_ecs::types::Compatibility::Fargate)
            .network_mode(aws_sdk_ecs::types::NetworkMode::Awsvpc);
    }
    if let Some(architecture) = &workload.architecture {
        definition = definition.runtime_platform(
            RuntimePlatform::builder()
                .cpu_architecture(architecture.clone())
                .operating_system_family(OsFamily::Linux)
                .build(),
        );
    }
    let arn = definition
        .send()
        .await
        .expect("register task definition")
        .task_definition()
        .and_then(|d| d.task_definition_arn())
        .expect("task definition ARN")
        .to_string();
    ecs.create_service()
        .cluster(cluster)
        .service_name(workload.name)
        .task_definition(arn)
        .desired_count(workload.desired)
        .launch_type(workload.launch.clone())
        .set_tags(Some(
            workload
                .tags
                .iter()
                .map(|(k, v)| Tag::builder().key(*k).value(*v).build())
                .collect(),
        ))
        .send()
        .await
        .unwrap_or_else(|e| panic!("create service {}: {e:?}", workload.name));
}

/// api: Fargate ARM64 0.25 vCPU / 0.5 GiB × 2; worker: Fargate x86 1 vCPU / 2 GiB × 1;
/// batch: EC2 × 3.
pub(crate) async fn seoul_services(sdk: &SdkConfig) {
    create_cluster(sdk, "prod").await;
    create_workload(
        sdk,
        "prod",
        &Workload {
            architecture: Some(CpuArchitecture::Arm64),
            ..Workload::fargate("api", 2, "256", "512")
        },
    )
    .await;
    create_workload(
        sdk,
        "prod",
        &Workload {
            architecture: Some(CpuArchitecture::X8664),
            ..Workload::fargate("worker", 1, "1024", "2048")
        },
    )
    .await;
    create_workload(
        sdk,
        "prod",
        &Workload {
            name: "batch",
            desired: 3,
            launch: LaunchType::Ec2,
            cpu: None,
            memory: Some("1024"),
            architecture: None,
            tags: &[],
        },
    )
    .await;
}

fn report(dir: &Path, moto: &Moto, extra: &[&str]) -> Value {
    let mut args = vec!["--output", "json", "report"];
    args.extend_from_slice(extra);
    worktime(dir, &moto.env(), &args).expect_code(0).json()
}

fn service<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["resource_id"] == id)
        .unwrap_or_else(|| panic!("{id} in {report:#}"))
}

fn number(value: &Value) -> f64 {
    value
        .as_f64()
        .unwrap_or_else(|| panic!("{value} is a number"))
}

fn assert_close(actual: &Value, expected: f64) {
    let actual = number(actual);
    assert!(
        (actual - expected).abs() < 1e-9,
        "{actual} differs from {expected}"
    );
}

fn usd(task_hours: f64, vcpu: f64, gib: f64, (vcpu_hour, gb_hour): (f64, f64)) -> f64 {
    task_hours * (vcpu * vcpu_hour + gib * gb_hour) * WEEKS_PER_MONTH
}

#[tokio::test]
async fn seoul_office_hours_and_the_money_of_fargate_tasks_from_their_task_definitions() {
    let moto = Moto::start_in("ap-northeast-2");
    let sdk = moto.sdk().await;
    seoul_services(&sdk).await;
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path(), &seoul_config("ap-northeast-2"));

    // Four plain weeks: 09–19 on weekdays is 50 h on, 118 h off.
    let plain = report(dir.path(), &moto, &["--from", "2030-04-01"]);
    let keys: Vec<&str> = plain
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["schedules", "services", "prices", "totals"]);
    let schedule = &plain["schedules"][0];
    assert_eq!(schedule["name"], "default");
    assert_eq!(schedule["timezone"], "Asia/Seoul");
    assert_eq!(schedule["trigger"], "rules");
    assert_eq!(schedule["first_monday"], "2030-04-01");
    assert_eq!(schedule["weeks"].as_array().unwrap().len(), 4);
    assert_eq!(number(&schedule["on_hours_per_week"]), 50.0);
    assert_eq!(number(&schedule["off_hours_per_week"]), 118.0);
    assert_eq!(schedule["skip_dates"], serde_json::json!([]));
    let monday = &schedule["chart"]["days"][0];
    assert_eq!(monday["weekday"], "Mon");
    let up: Vec<usize> = monday["on"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
        .filter(|(_, on)| on.as_bool() == Some(true))
        .map(|(hour, _)| hour)
        .collect();
    assert_eq!(up, (9..19).collect::<Vec<usize>>());

    // Fargate ARM64, 256 CPU units and 512 MiB, 2 tasks: 236 task-hours off a week.
    let api = service(&plain, "service/prod/api");
    assert_eq!(api["launch_type"], "FARGATE");
    assert_eq!(api["cpu_architecture"], "ARM64");
    assert_eq!(number(&api["cpu_vcpu"]), 0.25);
    assert_eq!(number(&api["memory_gib"]), 0.5);
    assert_eq!(api["working_desired"], 2);
    assert_eq!(api["working_desired_from"], "current");
    assert!(api["task_definition"]
        .as_str()
        .unwrap()
        .contains("task-definition/api:1"));
    assert_eq!(number(&api["task_hours_off_per_week"]), 236.0);
    let api_usd = usd(236.0, 0.25, 0.5, SEOUL_ARM);
    assert_close(&api["usd_per_month_saved"], api_usd);
    assert!(api.get("reason").is_none(), "{api}");

    // Fargate x86, 1 vCPU and 2 GiB, 1 task.
    let worker = service(&plain, "service/prod/worker");
    assert_eq!(worker["cpu_architecture"], "X86_64");
    assert_eq!(number(&worker["task_hours_off_per_week"]), 118.0);
    let worker_usd = usd(118.0, 1.0, 2.0, SEOUL_X86);
    assert_close(&worker["usd_per_month_saved"], worker_usd);

    // EC2: task-hours only, saying why.
    let batch = service(&plain, "service/prod/batch");
    assert_eq!(batch["launch_type"], "EC2");
    assert_eq!(number(&batch["task_hours_off_per_week"]), 3.0 * 118.0);
    assert!(batch["usd_per_month_saved"].is_null());
    let reason = batch["reason"].as_str().unwrap();
    assert!(
        reason.contains("EC2") && reason.contains("task-hours only"),
        "{reason}"
    );

    let prices = plain["prices"].as_array().unwrap();
    assert_eq!(prices.len(), 2);
    for (price, (vcpu_hour, gb_hour), architecture) in [
        (&prices[0], SEOUL_X86, "X86_64"),
        (&prices[1], SEOUL_ARM, "ARM64"),
    ] {
        assert_eq!(price["region"], "ap-northeast-2");
        assert_eq!(price["architecture"], architecture);
        assert_eq!(number(&price["vcpu_hour"]), vcpu_hour);
        assert_eq!(number(&price["gb_hour"]), gb_hour);
        let source = price["source"].as_str().unwrap();
        assert!(
            source.contains("aws.amazon.com/fargate/pricing") && source.contains("as of"),
            "{source}"
        );
    }

    let totals = &plain["totals"];
    assert_eq!(totals["services"], 3);
    assert_eq!(totals["services_priced"], 2);
    assert_eq!(totals["services_not_priced"], 1);
    assert_eq!(
        number(&totals["task_hours_off_per_week"]),
        236.0 + 118.0 + 354.0
    );
    assert_close(&totals["usd_per_month_saved"], api_usd + worker_usd);

    // A skip date in the period: Wednesday 6 March stays down, the week has 40 h on.
    let skipped = report(dir.path(), &moto, &["--from", "2030-03-04", "--weeks", "1"]);
    let schedule = &skipped["schedules"][0];
    assert_eq!(schedule["skip_dates"], serde_json::json!(["2030-03-06"]));
    assert_eq!(number(&schedule["on_hours_per_week"]), 40.0);
    assert_eq!(number(&schedule["off_hours_per_week"]), 128.0);
    assert_eq!(
        number(&service(&skipped, "service/prod/api")["task_hours_off_per_week"]),
        256.0
    );

    // As text: the week chart and the table.
    let text = worktime(dir.path(), &moto.env(), &["report", "--from", "2030-04-01"])
        .expect_code(0)
        .stdout;
    assert!(text.contains("50.0 h on / 118.0 h off per week"), "{text}");
    assert!(text.contains("    Mon  .........##########....."), "{text}");
    assert!(text.contains("    Sun  ........................"), "{text}");
    assert!(text.contains("SERVICE"), "{text}");
    assert!(
        text.contains(&format!("{:.2}", api_usd + worker_usd)),
        "the total in dollars: {text}"
    );
}

#[tokio::test]
async fn given_prices_replace_the_table_and_an_unlisted_region_gets_no_money_without_them() {
    let moto = Moto::start_in("sa-east-1");
    let sdk = moto.sdk_in("sa-east-1").await;
    seoul_services(&sdk).await;
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path(), &seoul_config("sa-east-1"));

    // sa-east-1 is not in the table: no money, and the reason says what to pass.
    let unlisted = report(dir.path(), &moto, &["--from", "2030-04-01"]);
    let api = service(&unlisted, "service/prod/api");
    assert!(api["usd_per_month_saved"].is_null());
    assert_eq!(number(&api["task_hours_off_per_week"]), 236.0);
    let reason = api["reason"].as_str().unwrap();
    assert!(
        reason.contains("sa-east-1") && reason.contains("--price-vcpu-hour"),
        "{reason}"
    );
    assert!(unlisted["prices"][0]["vcpu_hour"].is_null());
    assert!(unlisted["totals"]["usd_per_month_saved"].is_null());
    assert_eq!(unlisted["totals"]["services_priced"], 0);

    // Given prices: every Fargate task at those prices, whatever its architecture.
    let given = report(
        dir.path(),
        &moto,
        &[
            "--from",
            "2030-04-01",
            "--price-vcpu-hour",
            "0.05",
            "--price-gb-hour",
            "0.005",
        ],
    );
    let api_usd = usd(236.0, 0.25, 0.5, (0.05, 0.005));
    let worker_usd = usd(118.0, 1.0, 2.0, (0.05, 0.005));
    assert_close(
        &service(&given, "service/prod/api")["usd_per_month_saved"],
        api_usd,
    );
    assert_close(
        &service(&given, "service/prod/worker")["usd_per_month_saved"],
        worker_usd,
    );
    assert_close(
        &given["totals"]["usd_per_month_saved"],
        api_usd + worker_usd,
    );
    for price in given["prices"].as_array().unwrap() {
        assert_eq!(number(&price["vcpu_hour"]), 0.05);
        assert_eq!(number(&price["gb_hour"]), 0.005);
        assert_eq!(price["source"], "--price-vcpu-hour and --price-gb-hour");
    }
    // EC2 stays task-hours only at any price.
    assert!(service(&given, "service/prod/batch")["usd_per_month_saved"].is_null());
}

#[tokio::test]
async fn a_service_scaled_in_now_counts_the_tasks_its_scale_out_brings_back() {
    let moto = Moto::start_in("ap-northeast-2");
    let sdk = moto.sdk().await;
    seoul_services(&sdk).await;
    register_target(&sdk, "prod", "worker", 1, 5).await;
    set_desired_count(&sdk, "prod", "worker", 3).await;
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path(), &seoul_config("ap-northeast-2"));
    worktime(dir.path(), &moto.env(), &["run", "scale-in"]).expect_code(0);
    assert_eq!(desired_count(&sdk, "prod", "worker").await, 0);

    let night = report(dir.path(), &moto, &["--from", "2030-04-01"]);
    // worker remembers 1/5@3; api (declared 1/4) remembers 2 tasks; batch none@3.
    for (id, tasks) in [
        ("service/prod/worker", 3),
        ("service/prod/api", 2),
        ("service/prod/batch", 3),
    ] {
        let line = service(&night, id);
        assert_eq!(line["working_desired"], tasks, "{line}");
        assert_eq!(line["working_desired_from"], "remembered", "{line}");
        assert_eq!(
            number(&line["task_hours_off_per_week"]),
            f64::from(tasks) * 118.0
        );
    }
    assert_close(
        &service(&night, "service/prod/worker")["usd_per_month_saved"],
        usd(3.0 * 118.0, 1.0, 2.0, SEOUL_X86),
    );
}

const BERLIN: &str = r#"
[stack]
name = "rep"
region = "ap-northeast-2"

[schedule]
timezone = "Asia/Seoul"
scale_out = "cron(0 9 ? * MON-FRI *)"
scale_in = "cron(0 19 ? * MON-FRI *)"
trigger = "rules"

[[services]]
cluster = "prod"
service = "api"

[[services]]
cluster = "eu"
tag = "office=berlin"
schedule = "berlin"

[schedules.berlin]
timezone = "Europe/Berlin"
scale_out = "cron(0 8 ? * MON-FRI *)"
scale_in = "cron(0 18 ? * MON-FRI *)"
trigger = "scheduler"
"#;

async fn berlin_services(sdk: &SdkConfig) {
    create_cluster(sdk, "prod").await;
    create_workload(sdk, "prod", &Workload::fargate("api", 1, "512", "1024")).await;
    create_cluster(sdk, "eu").await;
    create_workload(
        sdk,
        "eu",
        &Workload {
            tags: &[("office", "berlin")],
            ..Workload::fargate("web", 2, "512", "1024")
        },
    )
    .await;
}

#[tokio::test]
async fn a_berlin_scheduler_week_with_the_clock_change_has_167_hours_and_fewer_off() {
    let moto = Moto::start_in("ap-northeast-2");
    let sdk = moto.sdk().await;
    berlin_services(&sdk).await;
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path(), BERLIN);

    // Summer time begins on Sunday 31 March 2030.
    let spring = report(dir.path(), &moto, &["--from", "2030-03-25", "--weeks", "2"]);
    let berlin = spring["schedules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "berlin")
        .expect("the berlin schedule");
    assert_eq!(berlin["timezone"], "Europe/Berlin");
    assert_eq!(berlin["trigger"], "scheduler");
    let weeks: Vec<(f64, f64, f64)> = berlin["weeks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            (
                number(&w["hours"]),
                number(&w["on_hours"]),
                number(&w["off_hours"]),
            )
        })
        .collect();
    assert_eq!(weeks, [(167.0, 50.0, 117.0), (168.0, 50.0, 118.0)]);
    assert_eq!(number(&berlin["on_hours_per_week"]), 50.0);
    assert_eq!(number(&berlin["off_hours_per_week"]), 117.5);

    // The selector's service follows Berlin; the one named follows Seoul.
    let web = service(&spring, "service/eu/web");
    assert_eq!(web["schedule"], "berlin");
    assert_eq!(web["selected_by"], "eu:office=berlin");
    assert_eq!(number(&web["task_hours_off_per_week"]), 2.0 * 117.5);
    assert_close(&web["usd_per_month_saved"], usd(235.0, 0.5, 1.0, SEOUL_X86));
    let api = service(&spring, "service/prod/api");
    assert_eq!(api["schedule"], "default");
    assert_eq!(number(&api["off_hours_per_week"]), 118.0);

    // Winter time from Sunday 27 October: 169 hours, 119 off.
    let autumn = report(dir.path(), &moto, &["--from", "2030-10-21", "--weeks", "1"]);
    let berlin = &autumn["schedules"][1];
    assert_eq!(berlin["name"], "berlin");
    assert_eq!(number(&berlin["weeks"][0]["hours"]), 169.0);
    assert_eq!(number(&berlin["off_hours_per_week"]), 119.0);
}

/// Checks the page with Python's own HTML parser (what a browser makes of it is
/// `report_browser`'s): every element closed in order, per chart 7 × 24 cells, no script,
/// nothing loaded from a URL. Prints what it found as JSON.
const CHECK_PAGE: &str = r#"
import json, sys
from html.parser import HTMLParser

VOID = {"meta", "br", "img", "hr", "input", "link", "source", "wbr", "col", "area", "base"}

class Check(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.errors = [], []
        self.svgs, self.rects, self.scripts, self.urls, self.text = [], 0, 0, [], []
    def handle_starttag(self, tag, attrs):
        if tag == "script":
            self.scripts += 1
        for name, value in attrs:
            if name in ("src", "href", "xlink:href", "action", "srcset") or (
                value and ("http://" in value or "https://" in value or "url(" in value)
            ):
                self.urls.append((tag, name, value))
        if tag == "svg":
            self.svgs.append(0)
        if tag == "rect":
            self.rects += 1
            if self.svgs:
                self.svgs[-1] += 1
        if tag not in VOID:
            self.stack.append(tag)
    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.stack.pop()
    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:]}")
        else:
            self.stack.pop()
    def handle_data(self, data):
        self.text.append(data)

page = open(sys.argv[1], encoding="utf-8").read()
check = Check()
check.feed(page)
check.close()
print(json.dumps({
    "doctype": page.lstrip().lower().startswith("<!doctype html>"),
    "errors": check.errors,
    "unclosed": check.stack,
    "svg_rects": check.svgs,
    "scripts": check.scripts,
    "urls": check.urls,
    "url_in_css": "url(" in page or "@import" in page,
    "text": " ".join(" ".join(check.text).split()),
}))
"#;

#[tokio::test]
async fn the_html_page_is_one_valid_self_contained_file_with_a_chart_per_schedule() {
    let moto = Moto::start_in("ap-northeast-2");
    let sdk = moto.sdk().await;
    berlin_services(&sdk).await;
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path(), BERLIN);
    std::fs::create_dir(dir.path().join("out")).unwrap();

    let run = worktime(
        dir.path(),
        &moto.env(),
        &[
            "report",
            "--from",
            "2030-04-01",
            "--html",
            "out/savings.html",
        ],
    )
    .expect_code(0);
    assert!(run.stderr.contains("out/savings.html"), "{}", run.stderr);
    let page = dir.path().join("out/savings.html");
    let script = dir.path().join("check_page.py");
    std::fs::write(&script, CHECK_PAGE).unwrap();
    let output = std::process::Command::new(workspace_root().join(".venv/bin/python"))
        .arg(&script)
        .arg(&page)
        .output()
        .expect("run the project venv's Python");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let check: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(check["doctype"], true);
    assert_eq!(check["errors"], serde_json::json!([]), "{check:#}");
    assert_eq!(check["unclosed"], serde_json::json!([]), "{check:#}");
    assert_eq!(
        check["svg_rects"],
        serde_json::json!([168, 168]),
        "a cell per hour"
    );
    assert_eq!(check["scripts"], 0);
    assert_eq!(check["urls"], serde_json::json!([]));
    assert_eq!(check["url_in_css"], false);
    let text = check["text"].as_str().unwrap();
    for expected in [
        "Schedule default",
        "Schedule berlin",
        "50.0 h on / 118.0 h off per week",
        "service/eu/web",
        "service/prod/api",
        "0.04656",
    ] {
        assert!(text.contains(expected), "{expected:?} in {text}");
    }
    // The cells: Seoul weekdays 09–19 and Berlin weekdays 08–18 are 50 cells each.
    let html = std::fs::read_to_string(&page).unwrap();
    assert_eq!(html.matches("<rect class=\"up\"").count(), 100);
}

#[tokio::test]
async fn bad_arguments_exit_2_naming_the_argument_before_any_call() {
    let moto = Moto::start_in("ap-northeast-2");
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path(), &seoul_config("ap-northeast-2"));
    // An endpoint nothing listens on: a call would fail with exit 1, not 2.
    let closed_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let env: Vec<(String, String)> = moto
        .env()
        .into_iter()
        .map(|(k, v)| match k.as_str() {
            "AWS_ENDPOINT_URL" => (k, format!("http://127.0.0.1:{closed_port}")),
            _ => (k, v),
        })
        .collect();
    for (args, needle) in [
        (&["report", "--weeks", "0"][..], "--weeks 0"),
        (&["report", "--weeks", "53"][..], "--weeks 53"),
        (&["report", "--weeks", "many"][..], "--weeks"),
        (
            &["report", "--price-vcpu-hour", "-1"][..],
            "--price-vcpu-hour -1",
        ),
        (&["report", "--price-gb-hour", "0"][..], "--price-gb-hour 0"),
        (
            &["report", "--price-gb-hour", "cheap"][..],
            "--price-gb-hour",
        ),
        (&["report", "--from", "2030-02-30"][..], "--from"),
        (
            &["report", "--html", "nowhere/page.html"][..],
            "--html nowhere/page.html",
        ),
    ] {
        let run = worktime(dir.path(), &env, args).expect_code(2);
        assert!(run.stderr.contains(needle), "{args:?}: {}", run.stderr);
        assert!(run.stdout.is_empty(), "{args:?}: {}", run.stdout);
    }
    assert!(!dir.path().join("nowhere").exists());
}

#[tokio::test]
async fn status_shows_each_schedule_hours_a_week() {
    let moto = Moto::start_in("ap-northeast-2");
    let sdk = moto.sdk().await;
    berlin_services(&sdk).await;
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path(), BERLIN);
    let status = worktime(dir.path(), &moto.env(), &["--output", "json", "status"])
        .expect_code(0)
        .json();
    let weekly: Vec<(String, f64, f64)> = status["weekly_hours"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            (
                w["schedule"].as_str().unwrap().to_string(),
                number(&w["on_hours_per_week"]),
                number(&w["off_hours_per_week"]),
            )
        })
        .collect();
    assert_eq!(weekly[0], ("default".to_string(), 50.0, 118.0));
    assert_eq!(weekly[1].0, "berlin");
    assert_eq!(weekly[1].1, 50.0);
    // The next four weeks may hold a clock change: 117 or 119 off-hours in that week.
    assert!([118.0, 117.75, 118.25].contains(&weekly[1].2), "{weekly:?}");
    let text = worktime(dir.path(), &moto.env(), &["status"])
        .expect_code(0)
        .stdout;
    assert!(
        text.contains("hours: 50.0 on / 118.0 off per week"),
        "{text}"
    );
}
