//! `worktime diff`: what a deploy would change in the caller's account; changes nothing.

use crate::aws::{AwsArgs, Session};
use crate::cli::DiffArgs;
use crate::deploy::lifecycle;
use crate::error::Result;
use crate::output::{self, OutputFormat};
use crate::progress::Progress;

pub async fn run(args: &DiffArgs, aws: &AwsArgs, format: OutputFormat) -> Result<()> {
    let fleet = super::load_checked(&args.config.config)?;
    let config = &fleet.home;
    let session = Session::connect_to(aws, &config.stack.region).await?;
    let artifact = super::artifact(&args.artifact, config)?;
    let progress = Progress::new();
    let report = lifecycle::diff(&session, config, &artifact, &progress).await?;
    progress.finish();
    output::print(&report, format);
    Ok(())
}
