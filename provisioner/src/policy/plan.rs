//! What `worktime policy` prints for: the commands, account and engine, as the command checked
//! them from its arguments before the config is read or any call is made.

use std::collections::BTreeSet;

use crate::aws::calls::Cmd;
use crate::fleet::Engine;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyPlan {
    pub commands: BTreeSet<Cmd>,
    /// `--account`, or `None`: ask STS if it answers, else `*`.
    pub account: Option<String>,
    pub engine: Engine,
    /// `--execution-role`: CloudFormation acts through `[stack] execution_role_arn`.
    pub execution_role: bool,
}
