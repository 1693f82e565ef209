//! `worktime status`: the stack, its triggers with their next runs, and every configured
//! service's capacity, in the caller's account (`--all-accounts`: every target).

use chrono::Utc;

use crate::aws::{AwsArgs, Session};
use crate::cli::StatusArgs;
use crate::config;
use crate::deploy::inspect;
use crate::error::Result;
use crate::fleet::direct::{self, Operation};
use crate::output::{self, OutputFormat};

pub async fn run(args: &StatusArgs, aws: &AwsArgs, format: OutputFormat) -> Result<()> {
    let fleet = config::load(&args.config.config, Utc::now())?;
    if args.all_accounts {
        let results = direct::over_fleet(
            aws,
            &fleet,
            &args.targets.selection(),
            Operation::Status,
            None,
        )
        .await?;
        output::print(&results, format);
        return results.outcome();
    }
    let config = &fleet.home;
    let session = Session::connect_to(aws, &config.stack.region).await?;
    let report = inspect::status(&session, config, Utc::now()).await?;
    output::print(&report, format);
    Ok(())
}
