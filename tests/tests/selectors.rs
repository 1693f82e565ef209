//! Services chosen by tag and named schedules, through the stack `worktime bootstrap` deploys:
//! each trigger's payload comes from the deployed rule, and the built `bootstrap` resolves the
//! selectors against ECS when it runs, with the deployed function's own allow-lists.

use aws_config::SdkConfig;
use chrono::{DateTime, SubsecRound, Utc};
use serde_json::Value;
use worktime_e2e::triggers::deployed_rule_payload;
use worktime_e2e::*;

const REGION: &str = "ap-northeast-2";

/// Every service of any cluster tagged team=web (restore mode), plus prod/api by name with
/// its own bounds: the explicit entry wins for api, which is tagged team=web too.
const SELECTED: &str = r#"
[stack]
name = "sel"
region = "ap-northeast-2"

[schedule]
timezone = "Asia/Seoul"
scale_out = "cron(0 9 ? * MON-FRI *)"
scale_in = "cron(0 19 ? * MON-FRI *)"
trigger = "rules"

[[services]]
cluster = "*"
tag = "team=web"

[[services]]
cluster = "prod"
service = "api"
min = 2
max = 4
"#;

fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(0)
}

fn outcome<'a>(report: &'a Value, id: &str) -> Option<&'a Value> {
    report["services"]
        .as_array()
        .and_then(|list| list.iter().find(|s| s["resource_id"] == id))
}

async fn fire(sdk: &SdkConfig, function: &mut FunctionRuntime, rule: &str) -> Value {
    // Scheduled now: after any earlier delivery of the test (a scale-in marked after a
    // scale-out's time stands against it).
    let payload = deployed_rule_payload(sdk, rule, now()).await.unwrap();
    function.invoke(&payload).expect_ok()
}

#[tokio::test]
async fn a_selector_across_two_clusters_with_an_opt_out_and_an_explicit_entry() {
    let moto = Moto::start_in(REGION);
    let sdk = moto.sdk().await;
    create_services(&sdk, "prod", &[("api", 3), ("web", 2), ("db", 1)]).await;
    create_services(&sdk, "dev", &[("web", 1), ("pinned", 1), ("late", 1)]).await;
    for (cluster, service) in [
        ("prod", "api"),
        ("prod", "web"),
        ("dev", "web"),
        ("dev", "pinned"),
    ] {
        tag_service(&sdk, cluster, service, "team", "web").await;
    }
    // A value other than the selector's: not selected.
    tag_service(&sdk, "prod", "db", "team", "data").await;
    tag_service(&sdk, "dev", "pinned", "worktime:exclude", "demo machine").await;
    register_target(&sdk, "prod", "web", 1, 5).await;
    let _dir = bootstrapped(&moto, SELECTED);

    // The trigger carries the selector, not a list of what it selects.
    let payload = deployed_rule_payload(&sdk, "sel-scale-in", now())
        .await
        .unwrap();
    assert_eq!(
        payload["selectors"],
        serde_json::json!([{"cluster": "*", "tag": "team=web"}])
    );
    assert_eq!(
        payload["services"],
        serde_json::json!([{"resource_id": "service/prod/api", "min": 2, "max": 4}])
    );

    let mut function = FunctionRuntime::deployed(&sdk, "sel-scaler", moto.env()).await;
    let evening = fire(&sdk, &mut function, "sel-scale-in").await;
    assert_eq!(
        evening["selectors"],
        serde_json::json!([{"selector": "*:team=web", "clusters": 2, "matched": 3}]),
        "{evening}"
    );
    for (cluster, service) in [("prod", "api"), ("prod", "web"), ("dev", "web")] {
        assert_eq!(
            desired_count(&sdk, cluster, service).await,
            0,
            "{cluster}/{service}: {evening}"
        );
    }
    assert_eq!(target_capacity(&sdk, "prod", "web").await, Some((0, 0)));
    // api once, as its explicit entry, not again through the selector.
    let api: Vec<&Value> = evening["services"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["resource_id"] == "service/prod/api")
        .collect();
    assert_eq!(api.len(), 1, "{evening}");
    let pinned = outcome(&evening, "service/dev/pinned").expect("pinned is reported");
    assert_eq!(pinned["outcome"], "skipped", "{evening}");
    assert!(
        pinned["reason"]
            .as_str()
            .unwrap()
            .contains("worktime:exclude"),
        "{pinned}"
    );
    assert_eq!(desired_count(&sdk, "dev", "pinned").await, 1);
    assert!(outcome(&evening, "service/prod/db").is_none(), "{evening}");
    assert_eq!(desired_count(&sdk, "prod", "db").await, 1);
    assert_eq!(desired_count(&sdk, "dev", "late").await, 1);

    // Tagged after deploy: the next trigger manages it, with no redeploy.
    tag_service(&sdk, "dev", "late", "team", "web").await;
    let again = fire(&sdk, &mut function, "sel-scale-in").await;
    assert_eq!(
        outcome(&again, "service/dev/late").unwrap()["outcome"],
        "changed",
        "{again}"
    );
    assert_eq!(desired_count(&sdk, "dev", "late").await, 0);
    assert_eq!(again["selectors"][0]["matched"], 4, "{again}");

    // Morning: api with its declared bounds, every selected service as it was the day before.
    let morning = fire(&sdk, &mut function, "sel-scale-out").await;
    assert_eq!(
        target_capacity(&sdk, "prod", "api").await,
        Some((2, 4)),
        "{morning}"
    );
    assert_eq!(desired_count(&sdk, "prod", "api").await, 3, "{morning}");
    assert_eq!(
        target_capacity(&sdk, "prod", "web").await,
        Some((1, 5)),
        "{morning}"
    );
    assert_eq!(desired_count(&sdk, "prod", "web").await, 2, "{morning}");
    assert_eq!(desired_count(&sdk, "dev", "web").await, 1, "{morning}");
    assert_eq!(desired_count(&sdk, "dev", "late").await, 1, "{morning}");
    assert_eq!(desired_count(&sdk, "dev", "pinned").await, 1, "{morning}");
}

#[tokio::test]
async fn a_selector_the_function_was_not_deployed_with_is_refused() {
    let moto = Moto::start_in(REGION);
    let sdk = moto.sdk().await;
    create_services(&sdk, "prod", &[("api", 1), ("secret", 2)]).await;
    tag_service(&sdk, "prod", "secret", "owner", "someone-else").await;
    let _dir = bootstrapped(&moto, SELECTED);
    let mut function = FunctionRuntime::deployed(&sdk, "sel-scaler", moto.env()).await;
    // A payload that asks for another tag: refused, nothing of it read; the run fails so that
    // the retry and the dead-letter queue see it.
    let mut payload = deployed_rule_payload(&sdk, "sel-scale-in", now())
        .await
        .unwrap();
    payload["selectors"] = serde_json::json!([{"cluster": "prod", "tag": "owner"}]);
    let error = function.invoke(&payload).expect_err();
    let message = error["errorMessage"].as_str().unwrap_or_default();
    assert!(
        message.contains("selector prod:owner failed") && message.contains("not configured"),
        "{error}"
    );
    assert_eq!(desired_count(&sdk, "prod", "secret").await, 2);
}
