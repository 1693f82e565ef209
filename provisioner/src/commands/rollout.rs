//! `worktime rollout`: bootstrap and deploy to every target, directly (one stack per
//! target) or through one stack set; `--dry-run` shows each target's changes.

use crate::aws::AwsArgs;
use crate::cli::{Engine, RolloutArgs};
use crate::deploy::artifact;
use crate::error::{Error, Result};
use crate::fleet::direct::{self, Operation};
use crate::fleet::results::Results;
use crate::fleet::{stacksets, targets};
use crate::output::{self, OutputFormat};
use crate::progress::{self, Progress};
use crate::template::{self, TemplateFormat};

pub async fn run(args: &RolloutArgs, aws: &AwsArgs, format: OutputFormat) -> Result<()> {
    let fleet = super::load_checked(&args.config.config)?;
    let selection = args.targets.selection();
    let name = &fleet.home.stack.name;
    if args.engine == Engine::Stacksets {
        // The stack set template and every instance's values, before any call.
        let plan = stacksets::plan(&fleet, &selection)?;
        let progress = Progress::new();
        let artifact = artifact::resolve(
            args.artifact.artifact.as_deref(),
            fleet.home.function.architecture,
            &progress,
        )?;
        progress.finish();
        if !args.dry_run {
            confirm(
                &format!("Deploy stack set {name} to its targets?"),
                args.yes,
            )?;
        }
        let base = aws.load(Some(&fleet.home.stack.region)).await;
        let results = Results(
            stacksets::rollout(
                aws,
                &base,
                &fleet,
                &plan,
                &artifact,
                &selection,
                args.dry_run,
            )
            .await?,
        );
        output::print(&results, format);
        return results.outcome();
    }
    // Every target's own template must render too (its services and schedule).
    for account in &fleet.accounts {
        template::render(
            &fleet.for_target(account, &fleet.home.stack.region),
            TemplateFormat::Yaml,
        )
        .map_err(|e| Error::Usage(format!("account {}: {e}", account.id)))?;
    }
    let progress = Progress::new();
    let artifact = artifact::resolve(
        args.artifact.artifact.as_deref(),
        fleet.home.function.architecture,
        &progress,
    )?;
    progress.finish();
    // Unknown --accounts / --regions are a usage error before anything is asked or done.
    targets::targets(&fleet, &selection)?;
    let operation = if args.dry_run {
        Operation::DryRun
    } else {
        confirm(
            &format!(
                "Deploy stack {name} to every target of {}?",
                fleet.home.path.display()
            ),
            args.yes,
        )?;
        Operation::Deploy
    };
    let results = direct::over_fleet(aws, &fleet, &selection, operation, Some(&artifact)).await?;
    output::print(&results, format);
    results.outcome()
}

fn confirm(question: &str, yes: bool) -> Result<()> {
    if progress::confirm(question, "rollout deploys to every target", yes, None)? {
        Ok(())
    } else {
        Err(Error::Other(
            "rollout cancelled: nothing was deployed".into(),
        ))
    }
}
