//! The Application Auto Scaling service-linked role for ECS: AWS's own, created once per
//! account when missing, never deleted by worktime.

use crate::aws::calls::{Call, Cmd::*, Narrow, On};
use crate::error::{Error, Result};

/// The calls this module makes (the permissions table, `policy::table`).
pub const CALLS: &[Call] = &[
    Call::new(
        "IAM",
        "ListRoles",
        "iam:ListRoles",
        &[Bootstrap],
        On::AutoScalingServiceRolePath,
    ),
    Call::new(
        "IAM",
        "CreateServiceLinkedRole",
        "iam:CreateServiceLinkedRole",
        &[Bootstrap],
        On::AutoScalingServiceRole,
    )
    .narrow(Narrow::AwsServiceName(
        "ecs.application-autoscaling.amazonaws.com",
    )),
];

/// The service-linked role Application Auto Scaling uses for ECS. AWS names it
/// `AWSServiceRoleForApplicationAutoScaling_ECSService`; it is looked up by path so that any
/// spelling of the name is found.
pub const SCALING_SLR_SERVICE: &str = "ecs.application-autoscaling.amazonaws.com";

/// Ensures the Application Auto Scaling service-linked role for ECS exists. Returns whether
/// it was created now.
pub async fn ensure(iam: &aws_sdk_iam::Client) -> Result<bool> {
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
