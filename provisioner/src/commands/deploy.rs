//! `worktime bootstrap` and `worktime deploy`: the code and the stack in the caller's
//! account (bootstrap also prepares the account: service-linked role, artifact bucket).

use crate::aws::{AwsArgs, Session};
use crate::cli::DeployArgs;
use crate::deploy::lifecycle::{self, ApplyOptions};
use crate::error::Result;
use crate::output::{self, OutputFormat};
use crate::progress::Progress;

pub async fn run(
    args: &DeployArgs,
    aws: &AwsArgs,
    prepare_account: bool,
    format: OutputFormat,
) -> Result<()> {
    let fleet = super::load_checked(&args.config.config)?;
    let config = &fleet.home;
    let session = Session::connect_to(aws, &config.stack.region).await?;
    let artifact = super::artifact(&args.artifact, config)?;
    let progress = Progress::new();
    let report = lifecycle::apply(
        &session,
        ApplyOptions {
            config,
            artifact: &artifact,
            yes: args.yes,
            prepare_account,
        },
        &progress,
    )
    .await?;
    progress.finish();
    output::print(&report, format);
    Ok(())
}
