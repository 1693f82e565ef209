//! `visit GROUP METHOD PATH[?QUERY] [--client]`: a request through an Application Load
//! Balancer to a deployed wake target group, on the local test endpoint (moto's load balancers
//! route no HTTP traffic).
//!
//! Builds the event an Application Load Balancer sends a Lambda target ("Lambda functions as
//! targets", https://docs.aws.amazon.com/elasticloadbalancing/latest/application/lambda-functions.html:
//! `requestContext.elb.targetGroupArn`, `httpMethod`, `path`, `queryStringParameters`,
//! `headers`, `body`, `isBase64Encoded`), with a browser's headers (or, with `--client`, an API
//! client's), reads the group's registered function and its environment through the ELB and
//! Lambda APIs, and runs the built `bootstrap` with them under the harness's Lambda Runtime
//! API. Prints the status, the headers a visitor acts on, and the page's text. Exits 1 when
//! the invocation fails, 2 on bad arguments. Only for a loopback `AWS_ENDPOINT_URL`.

use std::process::ExitCode;

use serde_json::{json, Map, Value};
use worktime_e2e::{deployed_environment, local_endpoint_env, FunctionRuntime};

const USAGE: &str = "usage: visit GROUP METHOD PATH[?QUERY] [--client]: name a deployed wake target group (worktime status lists them), e.g. visit worktime-demo-wake-0 GET '/web/orders?page=2'";

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    match visit().await {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(message) => {
            eprintln!("visit: {message}");
            ExitCode::from(2)
        }
    }
}

/// What the visitor asks for.
#[derive(Debug)]
struct Request {
    group: String,
    method: String,
    path: String,
    query: Map<String, Value>,
    browser: bool,
}

fn request_from(args: &[String]) -> Result<Request, String> {
    let (positional, flags): (Vec<&String>, Vec<&String>) =
        args.iter().partition(|a| !a.starts_with("--"));
    let browser = match flags.as_slice() {
        [] => true,
        [flag] if flag.as_str() == "--client" => false,
        _ => return Err(format!("unknown flag among {flags:?}; {USAGE}")),
    };
    let [group, method, target] = positional.as_slice() else {
        return Err(USAGE.to_string());
    };
    let (path, query) = target.split_once('?').unwrap_or((target.as_str(), ""));
    if !path.starts_with('/') {
        return Err(format!("PATH {path:?} must start with '/'; {USAGE}"));
    }
    // The load balancer passes the query's parameters as sent (still percent-encoded).
    let query = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (k.to_string(), Value::String(v.to_string()))
        })
        .collect();
    Ok(Request {
        group: group.to_string(),
        method: method.to_ascii_uppercase(),
        path: path.to_string(),
        query,
        browser,
    })
}

/// The load balancer's event for `request` to the group `group_arn`.
fn alb_event(request: &Request, group_arn: &str) -> Value {
    let (accept, agent) = if request.browser {
        (
            "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36",
        )
    } else {
        ("application/json", "curl/8.5.0")
    };
    json!({
        "requestContext": {"elb": {"targetGroupArn": group_arn}},
        "httpMethod": request.method,
        "path": request.path,
        "queryStringParameters": request.query,
        "headers": {
            "accept": accept,
            "host": "demo.elb.localhost",
            "user-agent": agent,
            "x-forwarded-proto": "https",
        },
        "body": "",
        "isBase64Encoded": false,
    })
}

/// The visible text of an HTML page's body: tags dropped, white space collapsed.
fn page_text(html: &str) -> String {
    let body = html.split_once("<body").map_or(html, |(_, b)| b);
    let body = body.split_once('>').map_or(body, |(_, b)| b);
    let mut text = String::new();
    let mut in_tag = false;
    for c in body.chars() {
        match c {
            '<' => {
                in_tag = true;
                text.push(' ');
            }
            '>' => in_tag = false,
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A header of the answer, in either form the load balancer takes.
fn header(answer: &Value, name: &str) -> Option<String> {
    answer["headers"][name]
        .as_str()
        .map(str::to_string)
        .or_else(|| {
            answer["multiValueHeaders"][name][0]
                .as_str()
                .map(str::to_string)
        })
}

async fn visit() -> Result<bool, String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let request = request_from(&args)?;
    let mut env = local_endpoint_env()?;
    let sdk = worktime_lambda::sdk::config_loader().load().await;
    let elb = aws_sdk_elasticloadbalancingv2::Client::new(&sdk);
    let group = elb
        .describe_target_groups()
        .names(&request.group)
        .send()
        .await
        .map_err(|e| {
            format!(
                "target group {}: {}",
                request.group,
                aws_sdk_elasticloadbalancingv2::error::DisplayErrorContext(e)
            )
        })?;
    let group_arn = group
        .target_groups()
        .first()
        .and_then(|g| g.target_group_arn())
        .ok_or_else(|| format!("no target group {}", request.group))?
        .to_string();
    let health = elb
        .describe_target_health()
        .target_group_arn(&group_arn)
        .send()
        .await
        .map_err(|e| {
            format!(
                "targets of {}: {}",
                request.group,
                aws_sdk_elasticloadbalancingv2::error::DisplayErrorContext(e)
            )
        })?;
    let function = health
        .target_health_descriptions()
        .iter()
        .filter_map(|d| d.target().and_then(|t| t.id()))
        .find(|id| id.contains(":function:"))
        .ok_or_else(|| {
            format!(
                "target group {} has no Lambda function target",
                request.group
            )
        })?
        .to_string();
    env.extend(deployed_environment(&sdk, &function).await?.1);

    let event = alb_event(&request, &group_arn);
    let query: Vec<String> = request
        .query
        .iter()
        .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
        .collect();
    let target = if query.is_empty() {
        request.path.clone()
    } else {
        format!("{}?{}", request.path, query.join("&"))
    };
    let who = if request.browser {
        "a browser"
    } else {
        "an API client"
    };
    let mut runtime = FunctionRuntime::start(&env);
    let invocation = runtime.invoke(&event);
    let answer = match &invocation.result {
        Ok(answer) => answer,
        Err(error) => {
            println!(
                "{} {target} ({who}): the invocation failed:\n{}\n--- function log\n{}",
                request.method,
                serde_json::to_string_pretty(error).unwrap_or_default(),
                invocation.log
            );
            return Ok(false);
        }
    };
    let mut line = format!(
        "{} {target} ({who}) -> {}",
        request.method, answer["statusCode"]
    );
    for name in ["content-type", "cache-control", "retry-after", "location"] {
        if let Some(value) = header(answer, name) {
            line.push_str(&format!(", {name}: {value}"));
        }
    }
    println!("{line}");
    let body = answer["body"].as_str().unwrap_or_default();
    if header(answer, "content-type").is_some_and(|t| t.starts_with("text/html")) {
        println!("  page: {}", page_text(body));
    } else if !body.is_empty() {
        println!("  body: {body}");
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn the_request_keeps_its_query_as_sent_and_a_browser_asks_for_html() {
        let request = request_from(&args(&["wt-wake-0", "get", "/app/orders?page=2&q=a%20b"]))
            .expect("valid");
        let event = alb_event(&request, "arn:tg");
        assert_eq!(event["httpMethod"], "GET");
        assert_eq!(event["path"], "/app/orders");
        assert_eq!(
            event["queryStringParameters"],
            json!({"page": "2", "q": "a%20b"})
        );
        assert!(event["headers"]["accept"]
            .as_str()
            .unwrap()
            .contains("text/html"));
        assert_eq!(event["requestContext"]["elb"]["targetGroupArn"], "arn:tg");
    }

    #[test]
    fn bad_arguments_name_the_fix() {
        assert!(request_from(&args(&["wt-wake-0", "GET"])).is_err());
        assert!(request_from(&args(&["wt-wake-0", "GET", "app"]))
            .unwrap_err()
            .contains("must start with '/'"));
        assert!(request_from(&args(&["wt-wake-0", "GET", "/", "--json"]))
            .unwrap_err()
            .contains("unknown flag"));
        let client = request_from(&args(&["g", "POST", "/", "--client"])).unwrap();
        assert!(!client.browser);
    }

    #[test]
    fn the_page_text_is_its_body_without_tags() {
        let html = "<html><head><title>T</title></head><body style=\"x\"><h1>Starting prod/app</h1><p>It is starting.</p></body></html>";
        assert_eq!(page_text(html), "Starting prod/app It is starting.");
    }
}
