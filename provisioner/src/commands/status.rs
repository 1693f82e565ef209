//! `worktime status`: the stack, its triggers with their next runs, and every configured
//! service's capacity, in the caller's account (`--all-accounts`: every target).

use chrono::Utc;

use crate::aws::{AwsArgs, Session};
use crate::cli::StatusArgs;
use crate::config;
use crate::deploy::inspect;
use crate::error::{Error, Result};
use crate::fleet::direct::{self, Operation};
use crate::fleet::targets;
use crate::output::{self, OutputFormat};

pub async fn run(args: &StatusArgs, aws: &AwsArgs, format: OutputFormat) -> Result<()> {
    let fleet = config::load(&args.config.config, Utc::now())?;
    let config = &fleet.home;
    if args.all_accounts {
        let selection = args.targets.selection();
        let targets = targets::targets(&fleet, &selection)?;
        let results = direct::over_targets(
            aws,
            &config.stack.region,
            targets,
            &selection,
            Operation::Status,
        )
        .await;
        output::print(&results, format);
        return results.outcome();
    }
    let session = Session::connect_to(aws, &config.stack.region).await?;
    let report = inspect::status(&session, config, Utc::now()).await?;
    output::print(&report, format);
    // A report with holes is not a status: printed whole, then a failure naming each hole.
    let problems = report.problems();
    if !problems.is_empty() {
        return Err(Error::StatusIncomplete {
            stack: config.stack.name.clone(),
            problems,
        });
    }
    Ok(())
}
