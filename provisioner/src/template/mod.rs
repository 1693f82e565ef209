//! The worktime stack as a CloudFormation template.
//!
//! One template serves every account: the function code location comes in as the
//! `CodeS3Bucket` / `CodeS3Key` parameters; everything else derives from the configuration.
//!
//! [`build_for_stackset`] is the same stack with the values that differ between targets
//! (zone, trigger expressions and payloads, service ARNs) as parameters, for one
//! CloudFormation stack set whose instances each get their own values
//! ([`stackset_parameters`]). Both go through [`assemble`]: `TargetValues` is either the
//! literal values or references to those parameters.

mod error;
mod function;
pub mod ids;
mod notify;
pub mod permissions;
mod policy;
mod stackset;
#[cfg(test)]
mod tests;
mod triggers;
mod values;
pub(crate) mod wake;
mod waves;

use clap::ValueEnum;
use worktime_cfn::Template;

use crate::config::{Fleet, StackConfig};
use crate::error::{Error, Result};
pub use error::TemplateError;
use ids::check_names;
pub use stackset::{build_for_stackset, stackset_parameters};
pub use values::{partition, service_arn_patterns};
use values::{trigger_text, TargetValues};

/// Builds the worktime stack for `config`.
pub fn build(config: &StackConfig) -> Result<Template, TemplateError> {
    check_names(config, &config.stack.region)?;
    let values = TargetValues::literal(config)?;
    wake::check_environment(config, values::environment_bytes(config)?)?;
    let schedules: Vec<String> = config
        .schedules_in_use()
        .iter()
        .map(|s| {
            format!(
                "{} ({}, {})",
                s.label(),
                s.schedule.timezone.name(),
                trigger_text(s.schedule.trigger)
            )
        })
        .collect();
    let selectors = match config.selectors.len() {
        0 => String::new(),
        n => format!(" and the services {n} tag selector(s) choose"),
    };
    let description = format!(
        "worktime: keeps {} ECS service(s){selectors} running only during working hours, \
         scaled by a Lambda function through Application Auto Scaling; schedules: {}.",
        config.services.len(),
        schedules.join("; ")
    );
    Ok(assemble(config, &values, description))
}

/// The stack for `config` with the per-target `values` (literal or parameter references).
fn assemble(config: &StackConfig, values: &TargetValues, description: String) -> Template {
    let mut t = Template::new().with_description(description);
    let notify = notify::add(&mut t, config);
    function::add(&mut t, config, values, &notify);
    t.resource(
        ids::DEAD_LETTER_ALARM,
        notify::dead_letter_alarm(&config.stack.name, &notify),
    );
    triggers::add(&mut t, &config.stack.name, values);
    waves::add(&mut t, &config.stack.name, values);
    wake::add(&mut t, config);
    t
}

/// How a template is written out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TemplateFormat {
    Yaml,
    Json,
}

/// The stack's template for `config`, in `format`.
pub fn render(config: &StackConfig, format: TemplateFormat) -> Result<String> {
    serialise(build(config)?, format)
}

/// The stack-set template (per-account values as parameters), in `format`.
pub fn render_stackset(fleet: &Fleet, format: TemplateFormat) -> Result<String> {
    serialise(build_for_stackset(fleet)?, format)
}

fn serialise(template: Template, format: TemplateFormat) -> Result<String> {
    let text = match format {
        TemplateFormat::Yaml => template.to_yaml(),
        TemplateFormat::Json => template.to_json(),
    };
    text.map_err(|source| Error::Render {
        what: "template",
        source,
    })
}
