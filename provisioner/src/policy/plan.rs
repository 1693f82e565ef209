//! `worktime policy`'s arguments, checked before the config is read or any call is made.

use std::collections::BTreeSet;

use crate::aws::calls::Cmd;
use crate::cli::{Engine, PolicyArgs, PolicyFor};
use crate::error::{Error, Result};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyPlan {
    pub commands: BTreeSet<Cmd>,
    /// `--account`, or `None`: ask STS if it answers, else `*`.
    pub account: Option<String>,
    pub engine: Engine,
    /// `--execution-role`: CloudFormation acts through `[stack] execution_role_arn`.
    pub execution_role: bool,
}

impl PolicyPlan {
    pub fn from_args(args: &PolicyArgs) -> Result<Self> {
        let mut commands = BTreeSet::new();
        for chosen in &args.commands {
            match chosen {
                PolicyFor::All => commands.extend(Cmd::ALL),
                PolicyFor::One(command) => {
                    commands.insert(*command);
                }
            }
        }
        if commands.is_empty() {
            commands.extend(Cmd::ALL);
        }
        if let Some(account) = &args.account {
            if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
                return Err(Error::argument(
                    format!("--account {account:?}"),
                    "an AWS account id is 12 digits. Fix: --account 123456789012, or leave it out to ask STS",
                ));
            }
        }
        Ok(PolicyPlan {
            commands,
            account: args.account.clone(),
            engine: args.engine,
            execution_role: args.execution_role,
        })
    }
}
