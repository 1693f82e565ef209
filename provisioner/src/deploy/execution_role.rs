//! `[stack] execution_role_arn`: the role CloudFormation acts as. Checked (`iam:GetRole`)
//! before anything is created or deleted, so that a missing role stops the run with its key
//! named instead of a change set CloudFormation refuses half-way.

use crate::aws::calls::{Call, Cmd::*, On};
use crate::aws::Session;
use crate::config::{ConfigError, StackConfig};
use crate::error::{Error, Result};

/// The calls this module makes (the permissions table, `policy::table`).
pub const CALLS: &[Call] = &[Call::new(
    "IAM",
    "GetRole",
    "iam:GetRole",
    &[Bootstrap, Deploy, Teardown],
    On::ExecutionRole,
)];

/// The role's account and name (after any path) from its ARN, which validation checked.
fn parts(arn: &str) -> (&str, &str) {
    let account = arn.split(':').nth(4).unwrap_or_default();
    let name = arn.rsplit('/').next().unwrap_or_default();
    (account, name)
}

/// Fails (exit 1, naming `stack.execution_role_arn` and the fix) when the role is not in the
/// caller's account or does not exist; nothing is changed before this.
pub async fn check(session: &Session, config: &StackConfig) -> Result<()> {
    let Some(arn) = config.stack.execution_role_arn.as_deref() else {
        return Ok(());
    };
    let (account, name) = parts(arn);
    let missing = |problem: String, fix: &str| {
        Error::NotFound(ConfigError {
            path: config.path.clone(),
            line: None,
            key: Some("stack.execution_role_arn".into()),
            problem: format!("{problem}: nothing was changed"),
            fix: fix.into(),
        })
    };
    if account != session.account {
        return Err(missing(
            format!(
                "{arn} is a role of account {account}, and the stack is deployed in account {}",
                session.account
            ),
            "CloudFormation takes a role of the stack's own account: create one there (trusted by cloudformation.amazonaws.com; `worktime policy --execution-role` prints its policy) and name it here",
        ));
    }
    match session.iam.get_role().role_name(name).send().await {
        Ok(_) => Ok(()),
        Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_entity_exception()) => {
            Err(missing(
                format!("role {arn} does not exist in account {account}"),
                "create it (trusted by cloudformation.amazonaws.com; `worktime policy --execution-role` prints its policy), or remove the key to deploy with your own credentials",
            ))
        }
        Err(e) => Err(Error::aws(
            format!("checking stack.execution_role_arn {arn} (iam:GetRole)"),
            e,
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_account_and_the_name_after_any_path() {
        assert_eq!(
            parts("arn:aws:iam::123456789012:role/deploy/worktime-cfn"),
            ("123456789012", "worktime-cfn")
        );
    }
}
