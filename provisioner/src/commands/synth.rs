//! `worktime synth`: the complete stack template, to stdout or a file.

use std::path::Path;

use crate::cli::TemplateFormat;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::template;

/// Renders the template for `config` in `format`.
pub fn render(config: &Config, format: TemplateFormat) -> Result<String> {
    serialise(template::build(config)?, format)
}

/// Renders the stack-set template (per-account values as parameters).
pub fn render_stackset(config: &Config, format: TemplateFormat) -> Result<String> {
    serialise(template::build_for_stackset(config)?, format)
}

fn serialise(template: worktime_cfn::Template, format: TemplateFormat) -> Result<String> {
    let text = match format {
        TemplateFormat::Yaml => template.to_yaml(),
        TemplateFormat::Json => template.to_json(),
    };
    text.map_err(|e| Error::Other(format!("could not serialise the template: {e}")))
}

/// Writes the rendered template (the stack's, or the stack set's) to `out`, or prints it.
pub fn run(
    config: &Config,
    format: TemplateFormat,
    out: Option<&Path>,
    stackset: bool,
) -> Result<()> {
    let text = if stackset {
        render_stackset(config, format)?
    } else {
        render(config, format)?
    };
    match out {
        Some(path) => std::fs::write(path, &text).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        }),
        None => {
            print!("{text}");
            Ok(())
        }
    }
}
