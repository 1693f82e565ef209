//! The permissions table: every module's `CALLS`, gathered. Each module declares the calls
//! it makes itself; this is only the list of modules.

use crate::aws::calls::Call;

/// Every module that makes AWS calls, with its declared calls.
pub const MODULES: &[(&str, &[Call])] = &[
    ("aws::session", crate::aws::session::CALLS),
    ("aws::target", crate::aws::target::CALLS),
    ("deploy::stack", crate::deploy::stack::CALLS),
    ("deploy::bucket", crate::deploy::bucket::CALLS),
    ("deploy::bucket_policy", crate::deploy::bucket_policy::CALLS),
    ("deploy::service_role", crate::deploy::service_role::CALLS),
    ("deploy::concurrency", crate::deploy::concurrency::CALLS),
    ("deploy::capacity", crate::deploy::capacity::CALLS),
    ("deploy::wake", crate::deploy::wake::CALLS),
    ("deploy::wake::status", crate::deploy::wake::status::CALLS),
    ("deploy::wake::restore", crate::deploy::wake::restore::CALLS),
    (
        "deploy::execution_role",
        crate::deploy::execution_role::CALLS,
    ),
    ("deploy::leftovers", crate::deploy::leftovers::CALLS),
    ("deploy::inspect", crate::deploy::inspect::CALLS),
    ("deploy::activity", crate::deploy::activity::CALLS),
    ("deploy::lifecycle", crate::deploy::lifecycle::CALLS),
    ("fleet::stacksets::api", crate::fleet::stacksets::api::CALLS),
    (
        "fleet::stacksets::apply",
        crate::fleet::stacksets::apply::CALLS,
    ),
    (
        "fleet::stacksets::teardown",
        crate::fleet::stacksets::teardown::CALLS,
    ),
    ("hold::prepare", crate::hold::prepare::CALLS),
    ("hold::write", crate::hold::write::CALLS),
    ("report::services", crate::report::services::CALLS),
    ("instances::read", crate::instances::read::CALLS),
    ("report::groups", crate::report::groups::CALLS),
    ("scaling", crate::scaling::CALLS),
];

/// Every row of the table.
pub fn calls() -> impl Iterator<Item = &'static Call> {
    MODULES.iter().flat_map(|(_, calls)| calls.iter())
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use super::*;
    use crate::aws::calls::{Cmd, Grant, On};

    /// The SDK's service names (`Metadata::service`) and the IAM prefixes their actions have.
    const PREFIXES: &[(&str, &[&str])] = &[
        ("STS", &["sts:"]),
        ("CloudFormation", &["cloudformation:", "iam:PassRole"]),
        ("S3", &["s3:"]),
        ("IAM", &["iam:"]),
        ("Lambda", &["lambda:"]),
        ("CloudWatch Logs", &["logs:"]),
        ("CloudWatch", &["cloudwatch:"]),
        ("EventBridge", &["events:"]),
        ("SQS", &["sqs:"]),
        ("ECS", &["ecs:"]),
        ("SFN", &["states:"]),
        ("Auto Scaling", &["autoscaling:"]),
        ("Elastic Load Balancing v2", &["elasticloadbalancing:"]),
        (
            "Application Auto Scaling",
            &[
                "application-autoscaling:",
                "ecs:",
                "iam:CreateServiceLinkedRole",
            ],
        ),
    ];

    #[test]
    fn every_row_names_a_known_service_an_exact_action_and_a_command() {
        for call in calls() {
            let prefixes = PREFIXES
                .iter()
                .find(|(service, _)| *service == call.service)
                .unwrap_or_else(|| panic!("unknown SDK service {:?}", call.service))
                .1;
            assert!(!call.commands.is_empty(), "{call:?} names no command");
            match call.grant {
                Grant::Action(action) => {
                    assert!(!action.contains('*'), "wildcard action in {call:?}");
                    assert!(
                        prefixes.iter().any(|p| action.starts_with(p)),
                        "{action} is not an action of {}",
                        call.service
                    );
                }
                Grant::Nothing(why) => assert!(!why.is_empty()),
            }
            // "*" only where the action has no resource-level permissions, and said so.
            if call.on == On::Any && call.action().is_some() {
                assert!(
                    !call.note.is_empty(),
                    "{call:?}: Resource \"*\" without a reason"
                );
            }
        }
    }

    #[test]
    fn no_module_declares_a_row_twice_and_an_operation_always_needs_the_same_actions() {
        for (module, rows) in MODULES {
            let mut seen = BTreeSet::new();
            for call in *rows {
                assert!(
                    seen.insert((call.service, call.operation, call.grant, call.on)),
                    "{module} declares {call:?} twice"
                );
            }
        }
        // Per module, the actions an operation needs; every module that makes it needs the same.
        let mut needs: BTreeMap<(&str, &str), BTreeMap<&str, BTreeSet<Grant>>> = BTreeMap::new();
        for (module, rows) in MODULES {
            for call in *rows {
                needs
                    .entry((call.service, call.operation))
                    .or_default()
                    .entry(module)
                    .or_default()
                    .insert(call.grant);
            }
        }
        for (operation, by_module) in needs {
            let mut sets = by_module.values();
            let first = sets.next().expect("one module");
            assert!(
                sets.all(|set| set == first),
                "{operation:?} needs different actions in different modules: {by_module:?}"
            );
        }
    }

    #[test]
    fn every_command_that_calls_aws_has_rows() {
        for command in Cmd::ALL {
            assert!(
                calls().any(|c| c.commands.contains(&command)),
                "no row for {command:?}"
            );
        }
    }
}
