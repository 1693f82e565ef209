//! One module per subcommand, each a leaf: it loads what it needs, calls the lower modules
//! and prints a typed result. No command imports another.

pub mod completions;
pub mod deploy;
pub mod diff;
pub mod hold;
pub mod init;
pub mod package;
pub mod policy;
pub mod report;
pub mod rollout;
pub mod run;
pub mod status;
pub mod synth;
pub mod teardown;
pub mod wake;

use std::path::Path;

use chrono::Utc;

use crate::cli::ArtifactArgs;
use crate::config::{self, Fleet, StackConfig};
use crate::deploy::artifact::{self, Artifact};
use crate::error::Result;
use crate::progress::Progress;
use crate::template::{self, TemplateFormat};

/// Loads the config and renders the caller's template: a config that cannot become a stack
/// stops here, before any call.
fn load_checked(path: &Path) -> Result<Fleet> {
    let fleet = config::load(path, Utc::now())?;
    template::render(&fleet.home, TemplateFormat::Yaml)?;
    Ok(fleet)
}

/// The function zip to deploy: `--artifact`, the current build, or a fresh build for the
/// stack's architecture (with its own progress line while it builds).
fn artifact(args: &ArtifactArgs, config: &StackConfig) -> Result<Artifact> {
    let progress = Progress::new();
    let artifact = artifact::resolve(
        args.artifact.as_deref(),
        config.function.architecture,
        &progress,
    );
    progress.finish();
    artifact
}
