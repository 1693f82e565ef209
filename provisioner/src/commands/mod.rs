//! One module per subcommand, each a leaf: it loads what it needs, calls the lower modules
//! and prints a typed result. No command imports another.

pub mod deploy;
pub mod diff;
pub mod init;
pub mod rollout;
pub mod run;
pub mod status;
pub mod synth;
pub mod teardown;

use std::path::Path;

use chrono::Utc;

use crate::config::{self, Fleet};
use crate::error::Result;
use crate::template::{self, TemplateFormat};

/// Loads the config and renders the caller's template: a config that cannot become a stack
/// stops here, before any call.
fn load_checked(path: &Path) -> Result<Fleet> {
    let fleet = config::load(path, Utc::now())?;
    template::render(&fleet.home, TemplateFormat::Yaml)?;
    Ok(fleet)
}
