//! The ECS writes of `worktime:hold-until` (written, removed, put back as it was; the tag
//! write itself is the function library's, which removes holds that have ended), and
//! [`hold`]: what `worktime hold` does with its prepared plan.

use worktime_lambda::tags::{hold_until_value, HOLD_UNTIL_TAG};
use worktime_lambda::{write_hold_tag, Clients, ServiceRequest};

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
            wave: 0,
        })
        .collect();
    let observed = worktime_lambda::observe::observe(clients, &requests).await;
    down_services(names, &observed)
}

/// Writes (or removes) one service's hold tag; the line says what it is now.
pub async fn write_hold(clients: &Clients, target: &HoldTarget, arn: &str) -> HoldLine {
    let value = target.until.map(hold_until_value);
    match (write_hold_tag(clients, arn, value.as_deref()).await, value) {
        (Ok(()), Some(_)) => HoldLine::new(target, HoldOutcome::Held, None),
        (Ok(()), None) => HoldLine::new(target, HoldOutcome::Cleared, None),
        (Err(error), Some(_)) => {
            HoldLine::failed(target, format!("tagging {HOLD_UNTIL_TAG}: {error}"))
        }
        (Err(error), None) => {
            HoldLine::failed(target, format!("removing {HOLD_UNTIL_TAG}: {error}"))
        }
    }
}

/// Puts a service's hold back as it was before `wake` wrote one (`previous`: the old value;
/// `None`: no hold), when the wake did not bring the service up.
pub async fn restore_hold(
    clients: &Clients,
    arn: &str,
    previous: Option<&str>,
) -> Result<(), String> {
    write_hold_tag(clients, arn, previous)
        .await
        .map_err(|error| match previous {
            Some(value) => format!("putting back {HOLD_UNTIL_TAG} = {value}: {error}"),
            None => format!("removing {HOLD_UNTIL_TAG}: {error}"),
        })
}
