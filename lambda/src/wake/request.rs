//! The Application Load Balancer's request to the function and the function's answer, as
//! pure functions (AWS, Elastic Load Balancing User Guide, "Lambda functions as targets"):
//!
//! - The event names the target group in `requestContext.elb.targetGroupArn` and carries
//!   `httpMethod`, `path`, the query (`queryStringParameters`, or
//!   `multiValueQueryStringParameters` when the target group has multi-value headers on) and
//!   the headers (`headers` or `multiValueHeaders`, the same switch). Query values arrive as
//!   the client sent them: "If the query parameters are URL-encoded, the load balancer does
//!   not decode them", so a redirect writes them back untouched.
//! - The answer has `statusCode`, `statusDescription`, `headers` or `multiValueHeaders`
//!   (whichever form the request used: with multi-value headers on, the load balancer reads
//!   only `multiValueHeaders`), `body` and `isBase64Encoded`; its body must stay under 1 MB.
//!
//! A health check (`ELB-HealthChecker` user agent) and an obvious bot never wake a service.

use serde_json::{json, Map, Value};

/// How long a page that is starting waits before it asks again (seconds).
pub const REFRESH_SECONDS: u32 = 5;
/// The load balancer refuses a Lambda response of 1 MB or more.
pub const MAX_BODY_BYTES: usize = 1_000_000;

/// Whether `event` is a load balancer's request (and not a schedule's payload).
pub fn is_alb_event(event: &Value) -> bool {
    event.pointer("/requestContext/elb").is_some()
}

/// One request, read from the load balancer's event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlbRequest {
    pub target_group_arn: String,
    pub method: String,
    pub path: String,
    /// Query parameters as received (not decoded), in the event's order.
    pub query: Vec<(String, String)>,
    /// Headers, names lower-cased.
    pub headers: Vec<(String, String)>,
    /// The target group has multi-value headers on: answer with `multiValueHeaders`.
    pub multi_value: bool,
}

/// Why an event cannot be read as a request: the answer is 400, and nothing changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadRequest(pub String);

impl std::fmt::Display for BadRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "not a load balancer request the function can read: {}",
            self.0
        )
    }
}

fn pairs(value: Option<&Value>, field: &str) -> Result<Vec<(String, String)>, BadRequest> {
    let Some(value) = value.filter(|v| !v.is_null()) else {
        return Ok(Vec::new());
    };
    let object = value
        .as_object()
        .ok_or_else(|| BadRequest(format!("{field} is not an object")))?;
    let mut out = Vec::new();
    for (name, v) in object {
        match v {
            Value::String(s) => out.push((name.clone(), s.clone())),
            Value::Array(items) => {
                for item in items {
                    let s = item
                        .as_str()
                        .ok_or_else(|| BadRequest(format!("{field}.{name} holds a non-string")))?;
                    out.push((name.clone(), s.to_string()));
                }
            }
            _ => return Err(BadRequest(format!("{field}.{name} is not a string"))),
        }
    }
    Ok(out)
}

/// Reads the load balancer's event.
pub fn parse(event: &Value) -> Result<AlbRequest, BadRequest> {
    let text = |pointer: &str, field: &str| {
        event
            .pointer(pointer)
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| BadRequest(format!("no {field}")))
    };
    let target_group_arn = text(
        "/requestContext/elb/targetGroupArn",
        "requestContext.elb.targetGroupArn",
    )?;
    let method = text("/httpMethod", "httpMethod")?;
    let path = text("/path", "path")?;
    if !path.starts_with('/') {
        return Err(BadRequest("path does not start with /".into()));
    }
    let multi_value = event.get("multiValueHeaders").is_some_and(|v| !v.is_null());
    let (query, headers) = if multi_value {
        (
            pairs(
                event.get("multiValueQueryStringParameters"),
                "multiValueQueryStringParameters",
            )?,
            pairs(event.get("multiValueHeaders"), "multiValueHeaders")?,
        )
    } else {
        (
            pairs(event.get("queryStringParameters"), "queryStringParameters")?,
            pairs(event.get("headers"), "headers")?,
        )
    };
    Ok(AlbRequest {
        target_group_arn,
        method: method.to_ascii_uppercase(),
        path,
        query,
        headers: headers
            .into_iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v))
            .collect(),
        multi_value,
    })
}

/// Who sent a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visitor {
    /// A browser asking for a page: it gets the starting page.
    Browser,
    /// Anything else that may wake the service (an API client): 503 with `Retry-After`.
    Client,
    /// The load balancer's own health check: never wakes anything.
    HealthChecker,
    /// A crawler or a link preview: never wakes anything.
    Bot,
}

/// Words of the user agents of crawlers and link previews.
const BOT_WORDS: &[&str] = &[
    "bot",
    "crawler",
    "spider",
    "slurp",
    "facebookexternalhit",
    "preview",
];

impl AlbRequest {
    /// The first value of header `name` (lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn visitor(&self) -> Visitor {
        let agent = self
            .header("user-agent")
            .unwrap_or_default()
            .to_ascii_lowercase();
        if agent.starts_with("elb-healthchecker") {
            return Visitor::HealthChecker;
        }
        if BOT_WORDS.iter().any(|w| agent.contains(w)) {
            return Visitor::Bot;
        }
        let html = self
            .headers
            .iter()
            .filter(|(k, _)| k == "accept")
            .any(|(_, v)| v.contains("text/html"));
        if self.method == "GET" && html {
            Visitor::Browser
        } else {
            Visitor::Client
        }
    }

    /// Whether this request may wake the service.
    pub fn wakes(&self) -> bool {
        matches!(self.visitor(), Visitor::Browser | Visitor::Client)
    }

    /// The path and query the visitor asked for, to send them back there.
    pub fn location(&self) -> String {
        if self.query.is_empty() {
            return self.path.clone();
        }
        let query: Vec<String> = self
            .query
            .iter()
            .map(|(k, v)| {
                if v.is_empty() {
                    k.clone()
                } else {
                    format!("{k}={v}")
                }
            })
            .collect();
        format!("{}?{}", self.path, query.join("&"))
    }
}

/// What the function answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// The service is starting: a page for a browser, 503 for anyone else.
    Starting {
        service: String,
        /// How long a wake of this service usually takes, where earlier wakes say so.
        usual_seconds: Option<u64>,
    },
    /// The service is up and the rules are back: the visitor asks again.
    Ready,
    /// Not woken (a health check, a bot): 503, nothing changed.
    Asleep,
    /// The event could not be read.
    Bad(BadRequest),
}

fn status_text(code: u16) -> &'static str {
    match code {
        200 => "200 OK",
        302 => "302 Found",
        307 => "307 Temporary Redirect",
        400 => "400 Bad Request",
        _ => "503 Service Unavailable",
    }
}

/// A minimal HTML escape for the page's text.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn starting_page(service: &str, usual_seconds: Option<u64>) -> String {
    let usual = match usual_seconds {
        Some(s) if s >= 90 => format!("<p>It usually takes about {} minutes.</p>", s.div_ceil(60)),
        Some(s) => format!("<p>It usually takes about {s} seconds.</p>"),
        None => String::new(),
    };
    let service = escape(service);
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta http-equiv=\"refresh\" content=\"{REFRESH_SECONDS}\"><meta name=\"robots\" content=\"noindex\"><title>Starting {service}</title></head><body style=\"font-family:sans-serif;margin:3em\"><h1>Starting {service}</h1><p>It was off outside working hours and is starting now. This page reloads every {REFRESH_SECONDS} seconds and takes you there once it is up.</p>{usual}</body></html>"
    )
}

/// The response to `request` (absent when the event could not be read), in the form the
/// request used.
pub fn respond(request: Option<&AlbRequest>, answer: &Answer) -> Value {
    let mut headers: Vec<(&str, String)> = vec![("cache-control", "no-store".into())];
    let (code, body) = match (answer, request) {
        (Answer::Bad(why), _) => {
            headers.push(("content-type", "text/plain; charset=utf-8".into()));
            (400, format!("{why}\n"))
        }
        (Answer::Ready, Some(request)) => {
            headers.push(("location", request.location()));
            // A GET is asked again as a GET; anything else keeps its method and body.
            let code = if request.method == "GET" { 302 } else { 307 };
            (code, String::new())
        }
        (
            Answer::Starting {
                service,
                usual_seconds,
            },
            Some(request),
        ) if request.visitor() == Visitor::Browser => {
            headers.push(("content-type", "text/html; charset=utf-8".into()));
            (200, starting_page(service, *usual_seconds))
        }
        // A ready answer without a request to send back to cannot redirect: ask again.
        (Answer::Starting { .. } | Answer::Asleep | Answer::Ready, _) => {
            headers.push(("content-type", "text/plain; charset=utf-8".into()));
            headers.push(("retry-after", REFRESH_SECONDS.to_string()));
            let text = if matches!(answer, Answer::Asleep) {
                "The service is off outside working hours.\n"
            } else {
                "The service is starting; try again shortly.\n"
            };
            (503, text.to_string())
        }
    };
    debug_assert!(body.len() < MAX_BODY_BYTES);
    let multi_value = request.is_some_and(|r| r.multi_value);
    let mut response = Map::new();
    response.insert("statusCode".into(), json!(code));
    response.insert("statusDescription".into(), json!(status_text(code)));
    if multi_value {
        let map: Map<String, Value> = headers
            .into_iter()
            .map(|(k, v)| (k.to_string(), json!([v])))
            .collect();
        response.insert("multiValueHeaders".into(), Value::Object(map));
    } else {
        let map: Map<String, Value> = headers
            .into_iter()
            .map(|(k, v)| (k.to_string(), json!(v)))
            .collect();
        response.insert("headers".into(), Value::Object(map));
    }
    response.insert("body".into(), json!(body));
    response.insert("isBase64Encoded".into(), json!(false));
    Value::Object(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Value {
        let text = match name {
            "browser" => include_str!("../../tests/fixtures/alb-browser-get.json"),
            "post" => include_str!("../../tests/fixtures/alb-multi-value-post.json"),
            "health" => include_str!("../../tests/fixtures/alb-health-check.json"),
            _ => unreachable!(),
        };
        serde_json::from_str(text).unwrap()
    }

    fn starting() -> Answer {
        Answer::Starting {
            service: "prod/web".into(),
            usual_seconds: Some(40),
        }
    }

    #[test]
    fn a_load_balancers_event_is_told_from_a_schedules_payload() {
        assert!(is_alb_event(&fixture("browser")));
        assert!(!is_alb_event(
            &json!({"action": "scale-out", "services": []})
        ));
    }

    #[test]
    fn a_browser_gets_a_self_refreshing_starting_page_that_is_never_cached() {
        let request = parse(&fixture("browser")).unwrap();
        assert_eq!(request.visitor(), Visitor::Browser);
        assert!(request.wakes());
        let response = respond(Some(&request), &starting());
        assert_eq!(response["statusCode"], 200);
        assert_eq!(response["statusDescription"], "200 OK");
        assert_eq!(
            response["headers"]["content-type"],
            "text/html; charset=utf-8"
        );
        assert_eq!(response["headers"]["cache-control"], "no-store");
        assert_eq!(response["isBase64Encoded"], false);
        assert!(response.get("multiValueHeaders").is_none());
        let body = response["body"].as_str().unwrap();
        assert!(
            body.contains("<meta http-equiv=\"refresh\" content=\"5\">"),
            "{body}"
        );
        assert!(body.contains("Starting prod/web"), "{body}");
        assert!(body.contains("usually takes about 40 seconds"), "{body}");
    }

    #[test]
    fn another_request_gets_503_with_retry_after_in_the_multi_value_form_it_used() {
        let request = parse(&fixture("post")).unwrap();
        assert!(request.multi_value);
        assert_eq!(request.visitor(), Visitor::Client);
        assert_eq!(
            request.query,
            vec![("tag".into(), "a".into()), ("tag".into(), "b".into())]
        );
        let response = respond(Some(&request), &starting());
        assert_eq!(response["statusCode"], 503);
        assert_eq!(response["multiValueHeaders"]["retry-after"], json!(["5"]));
        assert_eq!(
            response["multiValueHeaders"]["cache-control"],
            json!(["no-store"])
        );
        assert!(response.get("headers").is_none());
    }

    #[test]
    fn once_ready_the_visitor_is_sent_back_to_the_same_url_query_untouched() {
        let request = parse(&fixture("browser")).unwrap();
        let response = respond(Some(&request), &Answer::Ready);
        assert_eq!(response["statusCode"], 302);
        assert_eq!(
            response["headers"]["location"],
            "/app/orders?page=2&q=blue%20shoes"
        );
        let post = parse(&fixture("post")).unwrap();
        let response = respond(Some(&post), &Answer::Ready);
        assert_eq!(
            response["statusCode"], 307,
            "a POST keeps its method and body"
        );
        assert_eq!(
            response["multiValueHeaders"]["location"],
            json!(["/api/orders?tag=a&tag=b"])
        );
    }

    #[test]
    fn health_checks_and_bots_wake_nothing() {
        let health = parse(&fixture("health")).unwrap();
        assert_eq!(health.visitor(), Visitor::HealthChecker);
        assert!(!health.wakes());
        let mut bot = parse(&fixture("browser")).unwrap();
        bot.headers.retain(|(k, _)| k != "user-agent");
        bot.headers.push((
            "user-agent".into(),
            "Mozilla/5.0 (compatible; Googlebot/2.1)".into(),
        ));
        assert_eq!(bot.visitor(), Visitor::Bot);
        assert!(!bot.wakes());
        let response = respond(Some(&bot), &Answer::Asleep);
        assert_eq!(response["statusCode"], 503);
        assert_eq!(response["headers"]["retry-after"], "5");
    }

    #[test]
    fn a_malformed_event_is_a_400_naming_what_is_missing_never_a_panic() {
        for (event, missing) in [
            (
                json!({"requestContext": {"elb": {}}, "httpMethod": "GET", "path": "/"}),
                "requestContext.elb.targetGroupArn",
            ),
            (
                json!({"requestContext": {"elb": {"targetGroupArn": "x"}}, "path": "/"}),
                "httpMethod",
            ),
            (
                json!({"requestContext": {"elb": {"targetGroupArn": "x"}}, "httpMethod": "GET", "path": "/", "headers": {"a": 1}}),
                "headers.a",
            ),
            (
                json!({"requestContext": {"elb": {"targetGroupArn": "x"}}, "httpMethod": "GET", "path": "x"}),
                "path",
            ),
        ] {
            let why = parse(&event).unwrap_err();
            assert!(why.0.contains(missing), "{why}");
            let response = respond(None, &Answer::Bad(why));
            assert_eq!(response["statusCode"], 400);
            assert_eq!(response["headers"]["cache-control"], "no-store");
        }
    }

    #[test]
    fn a_ready_answer_without_a_request_asks_again_instead_of_panicking() {
        let response = respond(None, &Answer::Ready);
        assert_eq!(response["statusCode"], 503);
        assert_eq!(response["headers"]["retry-after"], "5");
    }

    #[test]
    fn the_page_escapes_the_service_name_and_rounds_long_waits_to_minutes() {
        let page = starting_page("a<b>", Some(150));
        assert!(page.contains("Starting a&lt;b&gt;"), "{page}");
        assert!(page.contains("about 3 minutes"), "{page}");
        assert!(!starting_page("web", None).contains("usually"));
    }
}
