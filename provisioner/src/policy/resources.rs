//! The ARNs and conditions each kind of resource (`On`, `Narrow`) stands for in one
//! configuration: this stack's names in one account and its regions.

use std::collections::BTreeMap;

use worktime_lambda::selector::ClusterScope;
use worktime_lambda::tags::STACK_TAG;

use super::document::Condition;
use crate::aws::calls::{Narrow, On};
use crate::config::{SelectorSpec, StackConfig};
use crate::deploy::bucket::bucket_name;
use crate::template::{self, ids};

/// One policy's scope: a stack's config, the account (`*` when unknown) and regions.
pub struct Scope<'a> {
    pub config: &'a StackConfig,
    pub account: String,
    /// The artifact bucket's account: `account`, except for a stack set's targets, which
    /// read the administrator's.
    pub bucket_owner: String,
    pub regions: Vec<String>,
    /// `stacks/<name>/` (a stack) or `stack-sets/<name>/` (a stack set's code).
    pub artifacts_prefix: String,
    pub target_roles: Vec<String>,
    pub administration_role: Option<String>,
    pub execution_role: Option<String>,
}

impl Scope<'_> {
    fn partition(&self) -> &'static str {
        template::partition(self.regions.first().map_or("", String::as_str))
    }

    fn per_region(&self, service: &str, resource: impl Fn(&str) -> String) -> Vec<String> {
        let (partition, account) = (self.partition(), &self.account);
        self.regions
            .iter()
            .map(|region| {
                format!(
                    "arn:{partition}:{service}:{region}:{account}:{}",
                    resource(region)
                )
            })
            .collect()
    }

    /// The ARNs `on` stands for; empty when there is nothing of that kind here (no
    /// `[[accounts]]` roles, no administration role).
    pub fn arns(&self, on: On) -> Vec<String> {
        let name = &self.config.stack.name;
        let function = self.config.function_name();
        let partition = self.partition();
        let account = &self.account;
        let bucket = |region: &str| {
            if self.bucket_owner == "*" {
                format!("worktime-artifacts-*-{region}")
            } else {
                bucket_name(&self.bucket_owner, region)
            }
        };
        match on {
            On::Any => vec!["*".into()],
            On::Stack => self.per_region("cloudformation", |_| format!("stack/{name}/*")),
            // The stack set lives in the stack's home region; its targets anywhere.
            On::StackSet => {
                let home = &self.config.stack.region;
                vec![
                    format!("arn:{partition}:cloudformation:{home}:{account}:stackset/{name}:*"),
                    format!("arn:{partition}:cloudformation:{home}:{account}:stackset-target/{name}:*"),
                ]
            }
            On::ArtifactBucket => self
                .regions
                .iter()
                .map(|r| format!("arn:{partition}:s3:::{}", bucket(r)))
                .collect(),
            On::Artifacts => self
                .regions
                .iter()
                .map(|r| format!("arn:{partition}:s3:::{}/{}*", bucket(r), self.artifacts_prefix))
                .collect(),
            On::AutoScalingServiceRole => vec![format!(
                "arn:{partition}:iam::{account}:role/aws-service-role/ecs.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_ECSService"
            )],
            On::AutoScalingServiceRolePath => vec![format!(
                "arn:{partition}:iam::{account}:role/aws-service-role/ecs.application-autoscaling.amazonaws.com/*"
            )],
            On::StackRoles => {
                let waves = self
                    .config
                    .schedules_in_use()
                    .iter()
                    .any(|s| self.config.runs_in_waves(s.name));
                let mut roles: Vec<String> = self
                    .regions
                    .iter()
                    .flat_map(|r| {
                        let mut names =
                            vec![ids::function_role_name(name, r), ids::scheduler_role_name(name, r)];
                        // The wave state machines' two roles exist only with a machine.
                        if waves {
                            names.push(ids::waves_role_name(name, r));
                            names.push(ids::waves_start_role_name(name, r));
                        }
                        names
                    })
                    .map(|role| format!("arn:{partition}:iam::{account}:role/{role}"))
                    .collect();
                roles.dedup();
                roles
            }
            On::FunctionRole | On::SchedulerRole | On::WavesRole | On::WavesStartRole => self
                .regions
                .iter()
                .map(|r| match on {
                    On::FunctionRole => ids::function_role_name(name, r),
                    On::WavesRole => ids::waves_role_name(name, r),
                    On::WavesStartRole => ids::waves_start_role_name(name, r),
                    _ => ids::scheduler_role_name(name, r),
                })
                .map(|role| format!("arn:{partition}:iam::{account}:role/{role}"))
                .collect(),
            On::Function => self.per_region("lambda", |_| format!("function:{function}")),
            On::LogGroup => {
                let group = format!("log-group:/aws/lambda/{function}");
                let mut arns = self.per_region("logs", |_| group.clone());
                arns.extend(self.per_region("logs", |_| format!("{group}:*")));
                arns
            }
            On::LogGroups => self.per_region("logs", |_| "log-group:*".into()),
            On::Queue => self.per_region("sqs", |_| ids::queue_name(name)),
            On::Alarms => self.per_region("cloudwatch", |_| format!("alarm:{name}-*")),
            On::Rules => self.per_region("events", |_| format!("rule/{name}-*")),
            On::StateMachines => self.per_region("states", |_| format!("stateMachine:{name}-*")),
            On::Executions => self.per_region("states", |_| format!("execution:{name}-*")),
            On::WakeTargetGroups => {
                self.per_region("elasticloadbalancing", |_| format!("targetgroup/{name}-wake-*/*"))
            }
            On::WakeRoutes if !self.config.wakes_on_request() => Vec::new(),
            On::WakeRoutes => {
                let mut arns = self.per_region("elasticloadbalancing", |_| "listener-rule/app/*".into());
                arns.extend(self.per_region("elasticloadbalancing", |_| "listener/app/*".into()));
                arns
            }
            On::CapacityClusters => {
                let mut arns: Vec<String> = self
                    .config
                    .capacity
                    .iter()
                    .flat_map(|c| self.per_region("ecs", |_| format!("cluster/{}", c.cluster)))
                    .collect();
                arns.sort();
                arns.dedup();
                arns
            }
            On::ServiceClusters => {
                let every = self
                    .config
                    .selectors
                    .iter()
                    .any(|s| s.cluster == ClusterScope::All);
                let names: Vec<String> = if every {
                    vec!["*".to_string()]
                } else {
                    self.config
                        .services
                        .iter()
                        .map(|s| s.cluster.clone())
                        .chain(self.config.selectors.iter().filter_map(|s| match &s.cluster {
                            ClusterScope::Named(cluster) => Some(cluster.clone()),
                            ClusterScope::All => None,
                        }))
                        .collect()
                };
                let mut arns: Vec<String> = names
                    .iter()
                    .flat_map(|c| self.per_region("ecs", |_| format!("cluster/{c}")))
                    .collect();
                arns.sort();
                arns.dedup();
                arns
            }
            On::CapacityGroupArns => self
                .config
                .capacity
                .iter()
                .flat_map(|c| {
                    self.per_region("autoscaling", |_| {
                        format!("autoScalingGroup:*:autoScalingGroupName/{}", c.autoscaling_group)
                    })
                })
                .collect(),
            On::CapacityProviders => self.per_region("ecs", |_| "capacity-provider/*".into()),
            On::Schedules => self.per_region("scheduler", |_| format!("schedule/default/{name}-*")),
            On::Topics => {
                let topic = ids::notify_topic_name(name);
                let mut arns = self.per_region("sns", |_| topic.clone());
                arns.extend(self.per_region("sns", |_| format!("{topic}:*")));
                arns
            }
            On::Keys => self.per_region("kms", |_| "key/*".into()),
            On::Services => self
                .regions
                .iter()
                .flat_map(|region| {
                    let mut config = self.config.clone();
                    config.stack.region = region.clone();
                    template::service_arn_patterns(&config, account)
                })
                .collect(),
            On::ScalableTargets => {
                self.per_region("application-autoscaling", |_| "scalable-target/*".into())
            }
            On::TargetRoles => self.target_roles.clone(),
            On::AdministrationRole => self.administration_role.iter().cloned().collect(),
            On::ExecutionRole => self.execution_role.iter().cloned().collect(),
        }
    }

    /// `ArnEquals` `ecs:cluster` on the named clusters of `selectors`: no condition when one
    /// says `"*"`, `None` (no statement) without any selector.
    fn cluster_condition<'s>(
        &self,
        selectors: impl Iterator<Item = &'s SelectorSpec> + Clone,
    ) -> Option<Condition> {
        selectors.clone().next()?;
        if selectors.clone().any(|s| s.cluster == ClusterScope::All) {
            return Some(Condition::new());
        }
        let mut clusters: Vec<String> = selectors
            .filter_map(|s| match &s.cluster {
                ClusterScope::Named(cluster) => Some(cluster),
                ClusterScope::All => None,
            })
            .flat_map(|cluster| self.per_region("ecs", |_| format!("cluster/{cluster}")))
            .collect();
        clusters.sort();
        clusters.dedup();
        Some(BTreeMap::from([(
            "ArnEquals".to_string(),
            BTreeMap::from([("ecs:cluster".to_string(), clusters)]),
        )]))
    }

    /// The condition `narrow` adds; `None` when the statement does not apply to this
    /// configuration at all (a selector-only call without selectors).
    pub fn condition(&self, narrow: Narrow) -> Option<Condition> {
        let one = |operator: &str, key: &str, values: Vec<String>| {
            Some(BTreeMap::from([(
                operator.to_string(),
                BTreeMap::from([(key.to_string(), values)]),
            )]))
        };
        let selectors = &self.config.selectors;
        let every_cluster = selectors.iter().any(|s| s.cluster == ClusterScope::All);
        let woken_every_cluster = selectors
            .iter()
            .any(|s| s.wake.is_some() && s.cluster == ClusterScope::All);
        match narrow {
            Narrow::None => Some(Condition::new()),
            Narrow::TagKeys(keys) => one(
                "ForAllValues:StringEquals",
                "aws:TagKeys",
                keys.iter().map(|k| k.to_string()).collect(),
            ),
            Narrow::AwsServiceName(service) => {
                one("StringEquals", "iam:AWSServiceName", vec![service.into()])
            }
            Narrow::PassedTo(service) => {
                one("StringEquals", "iam:PassedToService", vec![service.into()])
            }
            Narrow::SelectorClusters => self.cluster_condition(selectors.iter()),
            Narrow::EverySelectorCluster => every_cluster.then(Condition::new),
            Narrow::CapacityGroups => (!self.config.capacity.is_empty()).then(Condition::new),
            Narrow::WakeServices => self.config.wakes_on_request().then(Condition::new),
            Narrow::WokenSelectorClusters => {
                self.cluster_condition(selectors.iter().filter(|s| s.wake.is_some()))
            }
            Narrow::EveryWokenSelectorCluster => woken_every_cluster.then(Condition::new),
            Narrow::RunsInWaves => self
                .config
                .schedules_in_use()
                .iter()
                .any(|s| self.config.runs_in_waves(s.name))
                .then(Condition::new),
            Narrow::ReservedConcurrency => self
                .config
                .function
                .reserved_concurrency
                .map(|_| Condition::new()),
            Narrow::StackTag => one(
                "StringEquals",
                &format!("aws:ResourceTag/{STACK_TAG}"),
                vec![self.config.stack.name.clone()],
            ),
            Narrow::StackRequestTag => one(
                "StringEquals",
                &format!("aws:RequestTag/{STACK_TAG}"),
                vec![self.config.stack.name.clone()],
            ),
        }
    }
}
