//! The permissions table's rows: every AWS call the CLI makes is declared next to the code
//! that makes it (a module's `CALLS`), as one row per IAM action it needs: the SDK's service
//! and operation names (what the call recorder, `record.rs`, writes), the action, the
//! commands that make it, and what it acts on. `policy::table` gathers the modules' rows;
//! `worktime policy` turns them into a policy document for a configuration, and the
//! end-to-end tests check every operation a command made against them.

use clap::ValueEnum;
use serde::Serialize;

/// The commands whose permissions `worktime policy --for` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Cmd {
    Bootstrap,
    Deploy,
    Diff,
    Status,
    Run,
    Hold,
    Wake,
    Report,
    Rollout,
    Teardown,
}

impl Cmd {
    pub const ALL: [Cmd; 10] = [
        Cmd::Bootstrap,
        Cmd::Deploy,
        Cmd::Diff,
        Cmd::Status,
        Cmd::Run,
        Cmd::Hold,
        Cmd::Wake,
        Cmd::Report,
        Cmd::Rollout,
        Cmd::Teardown,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Cmd::Bootstrap => "bootstrap",
            Cmd::Deploy => "deploy",
            Cmd::Diff => "diff",
            Cmd::Status => "status",
            Cmd::Run => "run",
            Cmd::Hold => "hold",
            Cmd::Wake => "wake",
            Cmd::Report => "report",
            Cmd::Rollout => "rollout",
            Cmd::Teardown => "teardown",
        }
    }
}

/// What a call acts on; `policy::resources` turns each kind into this configuration's ARNs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum On {
    /// The action has no resource-level permissions: `"*"` is the only resource.
    Any,
    /// This stack: `stack/<name>/*`.
    Stack,
    /// This stack set (`stackset/<name>:*`) and its targets (`stackset-target/<name>:*`).
    StackSet,
    /// The artifact bucket `worktime-artifacts-<account>-<region>`.
    ArtifactBucket,
    /// This stack's objects in it (`stacks/<name>/*`, or `stack-sets/<name>/*`).
    Artifacts,
    /// Application Auto Scaling's service-linked role for ECS.
    AutoScalingServiceRole,
    /// The path that role is listed under (`iam:ListRoles` with a path prefix is authorized
    /// on `role/<prefix>`, not on a role).
    AutoScalingServiceRolePath,
    /// The stack's roles: `role/<name>-*`.
    StackRoles,
    /// The function's role (passed to Lambda).
    FunctionRole,
    /// The Scheduler role (passed to EventBridge Scheduler).
    SchedulerRole,
    /// The wave state machines' role (passed to Step Functions).
    WavesRole,
    /// The role the triggers start the wave state machines with (passed to EventBridge
    /// and Scheduler).
    WavesStartRole,
    /// The stack's wave state machines: `stateMachine:<name>-*`.
    StateMachines,
    /// Their executions: `execution:<name>-*`.
    Executions,
    /// The clusters of the `[[capacity]]` entries.
    CapacityClusters,
    /// The clusters of the configured services and of the tag selectors (`cluster/*` when a
    /// selector says `"*"`): `status` and `report` read their capacity providers.
    ServiceClusters,
    /// The `[[capacity]]` Auto Scaling groups, by name
    /// (`autoScalingGroup:*:autoScalingGroupName/<name>`: the ARN's id is random).
    CapacityGroupArns,
    /// The account's capacity providers in the region (`capacity-provider/*`): which ones a
    /// `[[capacity]]` cluster uses is known only once the cluster is read.
    CapacityProviders,
    /// The stack's wake target groups: `targetgroup/<name>-wake-*`.
    WakeTargetGroups,
    /// The rules and listeners a woken service's routes may be on: an Application Load
    /// Balancer's (`listener-rule/app/*`, `listener/app/*`); nothing without a woken service.
    WakeRoutes,
    /// The stack's function.
    Function,
    /// The function's log group.
    LogGroup,
    /// The account's log groups in the region (`log-group:*`): the describe call is
    /// authorized on them, not on a name prefix.
    LogGroups,
    /// The stack's dead-letter queue.
    Queue,
    /// The stack's alarms: `alarm:<name>-*`.
    Alarms,
    /// The stack's EventBridge rules: `rule/<name>-*`.
    Rules,
    /// The configured ECS services (and, for tag selectors, their clusters' services).
    Services,
    /// Application Auto Scaling's scalable targets of the account and region (their ARNs
    /// carry a random id, not the service's).
    ScalableTargets,
    /// The `[[accounts]]` roles `rollout` assumes.
    TargetRoles,
    /// The stack set's administration role (`[stacksets] administration_role_arn`).
    AdministrationRole,
    /// The stack's execution role (`[stack] execution_role_arn`).
    ExecutionRole,
    /// The stack's own SNS topic (`<name>-notify`) and its subscriptions.
    Topics,
    /// The stack's EventBridge Scheduler schedules: `schedule/default/<name>-*`.
    Schedules,
    /// KMS keys of the account and region (a new key has no name to scope by; narrowed by
    /// the stack's tag).
    Keys,
}

/// A condition that narrows a statement further.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Narrow {
    None,
    /// `ForAllValues:StringEquals` `aws:TagKeys`: only these tag keys.
    TagKeys(&'static [&'static str]),
    /// `StringEquals` `iam:AWSServiceName`.
    AwsServiceName(&'static str),
    /// `ArnEquals` `ecs:cluster`: the tag selectors' named clusters (every cluster when a
    /// selector says `"*"`).
    SelectorClusters,
    /// `StringEquals` `iam:PassedToService`.
    PassedTo(&'static str),
    /// Only when a tag selector says `cluster = "*"` (no condition key narrows it).
    EverySelectorCluster,
    /// Only with `[function] reserved_concurrency` (no condition).
    ReservedConcurrency,
    /// Only with `[[capacity]]` entries (no condition).
    CapacityGroups,
    /// Only when a schedule runs in waves (a state machine; no condition).
    RunsInWaves,
    /// Only with a `wake_on_request` service or selector (no condition).
    WakeServices,
    /// `ArnEquals` `ecs:cluster`: the `wake_on_request` selectors' named clusters (every
    /// cluster when one says `"*"`); only with such a selector.
    WokenSelectorClusters,
    /// Only when a `wake_on_request` selector says `cluster = "*"` (no condition key narrows
    /// it).
    EveryWokenSelectorCluster,
    /// `StringEquals` `aws:RequestTag/worktime:stack` = the stack's name (a new resource
    /// carries the stack's tags).
    StackRequestTag,
    /// `StringEquals` `aws:ResourceTag/worktime:stack` = the stack's name: the stack is
    /// worktime's own (it refuses any other before it acts).
    StackTag,
}

/// What a call needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Grant {
    /// This IAM action.
    Action(&'static str),
    /// No permission at all (the reason says why), e.g. `sts:GetCallerIdentity`.
    Nothing(&'static str),
}

/// One row of the permissions table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Call {
    /// The SDK's service name (`Metadata::service`): "CloudFormation", "S3", ...
    pub service: &'static str,
    /// The SDK's operation name: "CreateChangeSet", ...
    pub operation: &'static str,
    pub grant: Grant,
    pub commands: &'static [Cmd],
    pub on: On,
    pub narrow: Narrow,
    /// Why `on` is as wide as it is, where it is `Any` or account-wide.
    #[serde(skip_serializing_if = "str::is_empty")]
    pub note: &'static str,
}

impl Call {
    pub const fn new(
        service: &'static str,
        operation: &'static str,
        action: &'static str,
        commands: &'static [Cmd],
        on: On,
    ) -> Call {
        Call {
            service,
            operation,
            grant: Grant::Action(action),
            commands,
            on,
            narrow: Narrow::None,
            note: "",
        }
    }

    pub const fn narrow(mut self, narrow: Narrow) -> Call {
        self.narrow = narrow;
        self
    }

    pub const fn note(mut self, note: &'static str) -> Call {
        self.note = note;
        self
    }

    /// A call that needs no permission.
    pub const fn free(
        service: &'static str,
        operation: &'static str,
        why: &'static str,
        commands: &'static [Cmd],
    ) -> Call {
        Call {
            service,
            operation,
            grant: Grant::Nothing(why),
            commands,
            on: On::Any,
            narrow: Narrow::None,
            note: "",
        }
    }

    pub fn action(&self) -> Option<&'static str> {
        match self.grant {
            Grant::Action(action) => Some(action),
            Grant::Nothing(_) => None,
        }
    }
}

/// Command sets the modules share.
pub mod made_by {
    use super::Cmd::{self, *};

    /// The commands that create or update a stack in the caller's account.
    pub const CHANGE: &[Cmd] = &[Bootstrap, Deploy];
    /// The commands that read the stack and the artifact first.
    pub const PREPARE: &[Cmd] = &[Bootstrap, Deploy, Diff];
    /// Every command that checks the caller's identity first.
    pub const SESSION: &[Cmd] = &[Bootstrap, Deploy, Diff, Status, Teardown, Rollout];
    /// What the function library does when it scales (`run`, `wake`, teardown's give-back).
    pub const SCALE: &[Cmd] = &[Run, Wake, Teardown];
    /// What reads the services' state.
    pub const OBSERVE: &[Cmd] = &[Status, Run, Hold, Wake, Report, Teardown];
}
