//! `worktime rollout`: bootstrap and deploy to every target, directly (one stack per
//! target) or through one stack set; `--dry-run` shows each target's changes.

use crate::aws::AwsArgs;
use crate::cli::RolloutArgs;
use crate::error::Result;
use crate::fleet::direct::{self, Operation};
use crate::fleet::results::Results;
use crate::fleet::Engine;
use crate::fleet::{stacksets, targets, FleetError};
use crate::output::{self, OutputFormat};
use crate::progress;
use crate::template::{self, TemplateFormat};

pub async fn run(args: &RolloutArgs, aws: &AwsArgs, format: OutputFormat) -> Result<()> {
    let fleet = super::load_checked(&args.config.config)?;
    let selection = args.targets.selection();
    let name = &fleet.home.stack.name;
    let home_region = &fleet.home.stack.region;
    if args.engine == Engine::Stacksets {
        // The stack set template and every instance's values, before any call.
        let plan = stacksets::plan(&fleet, &selection)?;
        let artifact = super::artifact(&args.artifact, &fleet.home)?;
        if !args.dry_run {
            confirm(
                &format!("Deploy stack set {name} to its targets?"),
                args.yes,
            )?;
        }
        let base = aws.load(Some(home_region)).await;
        let rows = stacksets::rollout(
            aws,
            &base,
            &fleet,
            &plan,
            &artifact,
            &selection,
            args.dry_run,
        )
        .await?;
        let results = Results(rows);
        output::print(&results, format);
        return results.outcome();
    }
    // Unknown --accounts / --regions are a usage error, and every target's own template
    // (its services, schedule and region) must render and its [notify] topic be in its
    // region, before anything is asked or done.
    let targets = targets::targets(&fleet, &selection)?;
    for target in &targets {
        target.config.check_notify_region(&target.region)?;
        template::render(&target.config, TemplateFormat::Yaml).map_err(|e| FleetError::Target {
            account: target.account_id.as_deref().unwrap_or("caller").into(),
            source: Box::new(e),
        })?;
    }
    let artifact = super::artifact(&args.artifact, &fleet.home)?;
    let operation = if args.dry_run {
        Operation::DryRun(&artifact)
    } else {
        confirm(
            &format!(
                "Deploy stack {name} to every target of {}?",
                fleet.home.path.display()
            ),
            args.yes,
        )?;
        Operation::Deploy(&artifact)
    };
    let results = direct::over_targets(aws, home_region, targets, &selection, operation).await;
    output::print(&results, format);
    results.outcome()
}

fn confirm(question: &str, yes: bool) -> Result<()> {
    progress::confirm_or_cancel(
        question,
        "rollout deploys to every target",
        yes,
        "rollout cancelled: nothing was deployed",
    )
}
