//! The ECS writes of `worktime:hold-until` (written, removed, put back as it was), and
//! [`hold`]: what `worktime hold` does with its prepared plan.

use aws_sdk_ecs::types::Tag;
use worktime_lambda::tags::{hold_until_value, HOLD_UNTIL_TAG};
use worktime_lambda::{describe_error, Clients, ServiceRequest};

use super::{
    down_services, HoldError, HoldLine, HoldOutcome, HoldRequest, HoldTarget, Prepared, ServiceName,
};
use crate::aws::calls::{Call, Cmd::*, Narrow, On};

/// The calls this module makes (the permissions table, `policy::table`).
pub const CALLS: &[Call] = &[
    Call::new(
        "ECS",
        "TagResource",
        "ecs:TagResource",
        &[Hold, Wake],
        On::Services,
    )
    .narrow(Narrow::TagKeys(&[HOLD_UNTIL_TAG])),
    Call::new(
        "ECS",
        "UntagResource",
        "ecs:UntagResource",
        &[Hold, Wake],
        On::Services,
    )
    .narrow(Narrow::TagKeys(&[HOLD_UNTIL_TAG])),
];

/// `worktime hold` on its prepared plan: a hold keeps a running service up, so one that is
/// down already is refused (`worktime wake` is the command for that), checked for every
/// service before any is written; then each service's tag is written (or, `--clear`,
/// removed). One line per service, in argument order.
pub async fn hold(
    request: HoldRequest,
    prepared: &Prepared<Vec<HoldTarget>>,
) -> Result<Vec<HoldLine>, HoldError> {
    let Prepared {
        plan: targets,
        clients,
        arns,
        ..
    } = prepared;
    if request != HoldRequest::Clear {
        let names: Vec<ServiceName> = targets.iter().map(|t| t.name.clone()).collect();
        refuse_down(clients, &names).await?;
    }
    let mut lines = Vec::with_capacity(targets.len());
    for (target, arn) in targets.iter().zip(arns) {
        lines.push(write_hold(clients, target, arn).await);
    }
    Ok(lines)
}

/// `worktime hold` (not `--clear`) refuses services that are down already (bounds 0/0, or no
/// scalable target and desired count 0, as the function judges it): a hold would leave them
/// down while saying "held until". Reads each service as the function does (ECS and
/// Application Auto Scaling), before anything is written.
async fn refuse_down(clients: &Clients, names: &[ServiceName]) -> Result<(), HoldError> {
    let requests: Vec<ServiceRequest> = names
        .iter()
        .map(|name| ServiceRequest {
            resource_id: name.resource_id(),
            cluster: name.cluster.clone(),
            service: name.service.clone(),
            declared: None,
            refused: None,
            selected_by: None,
        })
        .collect();
    let observed = worktime_lambda::observe::observe(clients, &requests).await;
    down_services(names, &observed)
}

/// Writes (or removes) one service's hold tag; the line says what it is now.
pub async fn write_hold(clients: &Clients, target: &HoldTarget, arn: &str) -> HoldLine {
    let result = match target.until {
        Some(until) => clients
            .ecs
            .tag_resource()
            .resource_arn(arn)
            .tags(
                Tag::builder()
                    .key(HOLD_UNTIL_TAG)
                    .value(hold_until_value(until))
                    .build(),
            )
            .send()
            .await
            .map(|_| HoldOutcome::Held)
            .map_err(|e| format!("tagging {HOLD_UNTIL_TAG}: {}", describe_error(&e))),
        None => clients
            .ecs
            .untag_resource()
            .resource_arn(arn)
            .tag_keys(HOLD_UNTIL_TAG)
            .send()
            .await
            .map(|_| HoldOutcome::Cleared)
            .map_err(|e| format!("removing {HOLD_UNTIL_TAG}: {}", describe_error(&e))),
    };
    match result {
        Ok(outcome) => HoldLine::new(target, outcome, None),
        Err(reason) => HoldLine::new(target, HoldOutcome::Failed, Some(reason)),
    }
}

/// Puts a service's hold back as it was before `wake` wrote one (`previous`: the old value;
/// `None`: no hold), when the wake did not bring the service up.
pub async fn restore_hold(
    clients: &Clients,
    arn: &str,
    previous: Option<&str>,
) -> Result<(), String> {
    match previous {
        Some(value) => clients
            .ecs
            .tag_resource()
            .resource_arn(arn)
            .tags(Tag::builder().key(HOLD_UNTIL_TAG).value(value).build())
            .send()
            .await
            .map(|_| ())
            .map_err(|e| {
                format!(
                    "putting back {HOLD_UNTIL_TAG} = {value}: {}",
                    describe_error(&e)
                )
            }),
        None => clients
            .ecs
            .untag_resource()
            .resource_arn(arn)
            .tag_keys(HOLD_UNTIL_TAG)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| format!("removing {HOLD_UNTIL_TAG}: {}", describe_error(&e))),
    }
}
