//! Why a configuration can't become a template.

use worktime_lambda::Action;

use crate::cron::CronError;

/// Why the configuration can't be turned into a template.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error(
        "the function's allow-list (WORKTIME_ALLOWED_SERVICES) would be {size} bytes, over the \
         {limit} bytes Lambda's 4 KB environment leaves it: list fewer services per stack \
         (split them into several configurations, each with its own stack name)"
    )]
    AllowListTooLarge { size: usize, limit: usize },
    #[error(
        "the woken services' rules (WORKTIME_WAKE) and the allow-list would be {size} bytes, over \
         the {limit} bytes Lambda's 4 KB environment leaves them: wake fewer services per stack, \
         or route each through fewer listener rules"
    )]
    WakeTooLarge { size: usize, limit: usize },
    #[error(
        "the stack-set engine does not deploy wake_on_request: a wake's listener rules are read \
         from the stack's own account when `worktime deploy` runs: deploy this stack with \
         worktime deploy, or remove wake_on_request"
    )]
    WakeInStackSet,
    #[error(
        "the {action} trigger input would be {size} characters, over EventBridge's {limit}-character \
         target input limit: list fewer services per stack (split the services into several \
         configurations, each with its own stack name)"
    )]
    PayloadTooLarge {
        action: Action,
        size: usize,
        limit: usize,
    },
    #[error("the {action} schedule {cron} can't be written as an EventBridge rule for {timezone}: {source}")]
    Cron {
        action: Action,
        cron: String,
        timezone: String,
        source: CronError,
    },
    #[error(
        "the {what} name {name:?} is {length} characters, over AWS's {limit}-character limit: \
         choose a stack name at most {excess} characters shorter"
    )]
    NameTooLong {
        what: &'static str,
        name: String,
        length: usize,
        limit: usize,
        excess: usize,
    },
    #[error("could not serialise the {action} trigger input: {source}")]
    Payload {
        action: Action,
        source: serde_json::Error,
    },
    #[error(
        "the {parameter} parameter of stack instance {target} would be {size} bytes, over \
         CloudFormation's {limit}-byte limit on a parameter value: list fewer services for that \
         account (its [[accounts.services]], or split them over several stack names), or deploy \
         with the direct engine (`worktime rollout` without --engine stacksets), whose trigger \
         inputs may hold 8,192 characters"
    )]
    ParameterTooLarge {
        parameter: &'static str,
        target: String,
        size: usize,
        limit: usize,
    },
    #[error(
        "a stack set deploys one template to every account, so every account must use the same \
         trigger kind: account {first_account} uses trigger = \"{first}\" but account {account} \
         uses \"{other}\": set the same trigger for all of them (schedule.trigger, or each \
         [accounts.schedule]), or deploy with the direct engine (`worktime rollout` without \
         --engine stacksets)"
    )]
    MixedTriggers {
        first_account: String,
        first: &'static str,
        account: String,
        other: &'static str,
    },
    #[error(
        "the stack-set engine deploys [schedule] only, and this configuration has [schedules.{name}] \
         (each instance's trigger expressions and payloads are parameters of one template): \
         deploy with the direct engine (`worktime rollout` without --engine stacksets), which \
         deploys every named schedule, or move its services to [schedule]"
    )]
    NamedSchedulesInStackSet { name: String },
    #[error(
        "the stack-set engine does not deploy notices (warn_before_minutes): deploy with the \
         direct engine (`worktime rollout` without --engine stacksets), or remove \
         warn_before_minutes"
    )]
    NoticeInStackSet,
    #[error(
        "a stack set deploys one template to every account, so every account must reconcile \
         as often: {first} has reconcile_minutes = {first_minutes} but {other} has \
         {other_minutes}: set the same value for all of them (schedule.reconcile_minutes, or \
         each [accounts.schedule]), or deploy with the direct engine (`worktime rollout` \
         without --engine stacksets)"
    )]
    MixedReconcile {
        first: String,
        first_minutes: u32,
        other: String,
        other_minutes: u32,
    },
    #[error(
        "the stack-set engine deploys one [notify] to every stack instance (one template), and \
         account {account} has its own [accounts.notify]: deploy with the direct engine \
         (`worktime rollout` without --engine stacksets), or remove [accounts.notify] (email = \
         [...] in [notify] gives each instance a topic of its own in its region)"
    )]
    NotifyOverrideInStackSet { account: String },
}
