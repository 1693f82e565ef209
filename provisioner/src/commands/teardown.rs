//! `worktime teardown`: the woken services' rules put back from their wake target groups, then
//! the stack (its triggers first of all), then the services it scaled in given back (unless
//! `--no-restore`), its artifacts and the bucket once empty, then a check for leftovers;
//! `--all-accounts` for every target, directly or through the stack set.

use chrono::Utc;

use crate::aws::{AwsArgs, Session};
use crate::cli::TeardownArgs;
use crate::config;
use crate::deploy::lifecycle;
use crate::error::{Error, Result};
use crate::fleet::direct::{self, Operation};
use crate::fleet::results::Results;
use crate::fleet::Engine;
use crate::fleet::{stacksets, targets, FleetError};
use crate::output::{self, OutputFormat};
use crate::progress::{self, Progress};

pub async fn run(args: &TeardownArgs, aws: &AwsArgs, format: OutputFormat) -> Result<()> {
    let fleet = config::load(&args.config.config, Utc::now())?;
    let name = &fleet.home.stack.name;
    let path = fleet.home.path.display();
    if args.engine == Engine::Stacksets {
        if !args.all_accounts {
            return Err(FleetError::StackSetsWithoutAllAccounts.into());
        }
        stacksets::settings(&fleet)?;
        confirm(
            &format!(
                "Delete stack set {name} with all its stack instances and code buckets ({path})?"
            ),
            args.yes,
        )?;
        let selection = args.targets.selection();
        let base = aws.load(Some(&fleet.home.stack.region)).await;
        let results =
            Results(stacksets::teardown(aws, &base, &fleet, &selection, !args.no_restore).await?);
        output::print(&results, format);
        return results.outcome();
    }
    if args.all_accounts {
        let selection = args.targets.selection();
        let targets = targets::targets(&fleet, &selection)?;
        confirm(
            &format!("Delete stack {name} and its artifacts in every target of {path}?"),
            args.yes,
        )?;
        let results = direct::over_targets(
            aws,
            &fleet.home.stack.region,
            targets,
            &selection,
            Operation::Teardown {
                restore: !args.no_restore,
            },
        )
        .await;
        output::print(&results, format);
        return results.outcome();
    }
    let session = Session::connect_to(aws, &fleet.home.stack.region).await?;
    confirm(
        &format!(
            "Delete stack {name} and its artifacts in account {} region {}?",
            session.account, session.region
        ),
        args.yes,
    )?;
    let progress = Progress::new();
    let report = lifecycle::teardown(&session, &fleet.home, !args.no_restore, &progress).await?;
    progress.finish();
    output::print(&report, format);
    match report.problems() {
        None => Ok(()),
        Some(problems) => Err(Error::TeardownIncomplete { problems }),
    }
}

fn confirm(question: &str, yes: bool) -> Result<()> {
    progress::confirm_or_cancel(
        question,
        "teardown deletes stacks and artifacts",
        yes,
        "teardown cancelled: nothing was deleted",
    )
}
