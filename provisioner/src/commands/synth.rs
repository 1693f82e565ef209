//! `worktime synth`: the complete stack template, to stdout or a file.

use std::path::Path;

use crate::cli::TemplateFormat;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::template;

/// Renders the template for `config` in `format`.
pub fn render(config: &Config, format: TemplateFormat) -> Result<String> {
    let template = template::build(config)?;
    let text = match format {
        TemplateFormat::Yaml => template.to_yaml(),
        TemplateFormat::Json => template.to_json(),
    };
    text.map_err(|e| Error::Other(format!("could not serialise the template: {e}")))
}

/// Writes the rendered template to `out`, or prints it.
pub fn run(config: &Config, format: TemplateFormat, out: Option<&Path>) -> Result<()> {
    let text = render(config, format)?;
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
