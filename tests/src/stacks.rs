//! CloudFormation stacks as the tests of the project's resource models drive and read them
//! (`alarms_model`, `scheduler_model`): a template's resource properties merged over its
//! defaults, a create or update sent as is, and the stack's status, outputs and the reason a
//! resource failed, read back through the CloudFormation API.

use aws_sdk_cloudformation::types::StackStatus;
use aws_sdk_cloudformation::Client;
use serde_json::Value;

/// `overrides` merged over a resource's default `properties` (both JSON objects): a value
/// replaces the default of its key, a `null` removes the key.
pub fn merge_properties(properties: &mut Value, overrides: &Value) {
    let properties = properties
        .as_object_mut()
        .expect("the properties are an object");
    for (key, value) in overrides.as_object().expect("the overrides are an object") {
        if value.is_null() {
            properties.remove(key);
        } else {
            properties.insert(key.clone(), value.clone());
        }
    }
}

/// Sends the create of `stack` from `template`; whether it then fails is for the stack's status
/// to say (as on AWS, a resource's failure is not an error of the call).
pub async fn create_stack(cfn: &Client, stack: &str, template: String) {
    cfn.create_stack()
        .stack_name(stack)
        .template_body(template)
        .send()
        .await
        .expect("create accepted (a failure shows in the stack, as on AWS)");
}

/// Sends an update of `stack` to `template`; whether it then fails is for the stack's status
/// to say (as on AWS, a resource's failure is not an error of the call).
pub async fn update_stack(cfn: &Client, stack: &str, template: String) {
    cfn.update_stack()
        .stack_name(stack)
        .template_body(template)
        .send()
        .await
        .expect("update accepted (a failure shows in the stack, as on AWS)");
}

/// The stack's status.
pub async fn stack_status(cfn: &Client, stack: &str) -> StackStatus {
    cfn.describe_stacks()
        .stack_name(stack)
        .send()
        .await
        .unwrap()
        .stacks()[0]
        .stack_status()
        .unwrap()
        .clone()
}

/// The stack's outputs, key → value.
pub async fn stack_outputs(cfn: &Client, stack: &str) -> Vec<(String, String)> {
    let described = cfn
        .describe_stacks()
        .stack_name(stack)
        .send()
        .await
        .expect("describe stacks");
    described.stacks()[0]
        .outputs()
        .iter()
        .map(|o| {
            (
                o.output_key().unwrap_or_default().to_string(),
                o.output_value().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// Whether `suffix` is the random part of a name CloudFormation generated for a resource
/// whose template names none: 12 upper-case letters and digits.
pub fn is_generated_suffix(suffix: &str) -> bool {
    suffix.len() == 12
        && suffix
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

/// The value of output `key` among [`stack_outputs`]; panics when there is none.
pub fn output<'a>(outputs: &'a [(String, String)], key: &str) -> &'a str {
    outputs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("no output {key}: {outputs:?}"))
}

/// The reason of the newest `*_FAILED` event of the stack's resource `logical_id` (events come
/// newest first, as on AWS).
pub async fn failure_reason(cfn: &Client, stack: &str, logical_id: &str) -> String {
    let events = cfn
        .describe_stack_events()
        .stack_name(stack)
        .send()
        .await
        .unwrap();
    events
        .stack_events()
        .iter()
        .find(|e| {
            e.logical_resource_id() == Some(logical_id)
                && e.resource_status()
                    .is_some_and(|s| s.as_str().ends_with("_FAILED"))
        })
        .and_then(|e| e.resource_status_reason())
        .unwrap_or_else(|| panic!("no failure of {logical_id}: {events:?}"))
        .to_string()
}
