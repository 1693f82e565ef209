//! Command-line arguments. They become a validated plan (config loaded, flags checked)
//! before any AWS call is made.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::aws::AwsArgs;
use crate::fleet::targets::Selection;
use crate::output::OutputFormat;
use crate::template::TemplateFormat;

pub const EXIT_CODES_HELP: &str = "\
Exit codes:
  0  success (including \"up to date\" and teardown of nothing)
  1  failure (an AWS call failed, a service could not be scaled, ...)
  2  usage or configuration error: nothing was changed
  4  the stack ended in a failed state (e.g. ROLLBACK_COMPLETE)";

#[derive(Debug, Parser)]
#[command(
    name = "worktime",
    version,
    about = "Keep Amazon ECS services running only during working hours.",
    after_help = EXIT_CODES_HELP
)]
pub struct Cli {
    #[command(flatten)]
    pub aws: AwsArgs,
    /// Output format of results on stdout (progress always goes to stderr).
    #[arg(long, global = true, value_enum, default_value_t = OutputFormat::Text)]
    pub output: OutputFormat,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Args)]
pub struct ConfigArg {
    /// The configuration file.
    #[arg(
        long,
        short = 'c',
        default_value = "worktime.toml",
        value_name = "FILE"
    )]
    pub config: PathBuf,
}

/// How a multi-account command reaches its targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum Engine {
    /// One stack per target, deployed with that account's own credentials.
    #[default]
    Direct,
    /// One CloudFormation stack set (the config's stacksets table), one instance per target.
    Stacksets,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RunAction {
    ScaleIn,
    ScaleOut,
    Toggle,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write a commented example worktime.toml (never overwrites).
    Init(ConfigArg),
    /// Print the CloudFormation template for the configuration.
    Synth(SynthArgs),
    /// Scale the configured services now, with your own credentials (the manual override).
    Run(RunArgs),
    /// Set up worktime in an account that has never seen it, or bring it up to date.
    Bootstrap(DeployArgs),
    /// Apply a config or code change (shows the diff first).
    Deploy(DeployArgs),
    /// Show what a deploy would change, changing nothing.
    Diff(DiffArgs),
    /// Show the stack, its triggers and every configured service's capacity.
    Status(StatusArgs),
    /// Delete the stack, the artifact bucket and everything else worktime created.
    Teardown(TeardownArgs),
    /// Bootstrap and deploy to every [[accounts]] target (account × region), in parallel.
    Rollout(RolloutArgs),
}

#[derive(Debug, Clone, Args)]
pub struct SynthArgs {
    #[command(flatten)]
    pub config: ConfigArg,
    #[arg(long, value_enum, default_value_t = TemplateFormat::Yaml)]
    pub format: TemplateFormat,
    /// Write to this file instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// The stack-set template of `rollout --engine stacksets` (per-account values as
    /// parameters) instead of the single-account stack.
    #[arg(long)]
    pub stackset: bool,
}

#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub config: ConfigArg,
    #[arg(value_enum)]
    pub action: RunAction,
    /// Show what would change; change nothing.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Clone, Args)]
pub struct DiffArgs {
    #[command(flatten)]
    pub config: ConfigArg,
    #[command(flatten)]
    pub artifact: ArtifactArgs,
}

#[derive(Debug, Clone, Args)]
pub struct StatusArgs {
    #[command(flatten)]
    pub config: ConfigArg,
    /// Every [[accounts]] target instead of the caller's account.
    #[arg(long)]
    pub all_accounts: bool,
    #[command(flatten)]
    pub targets: TargetArgs,
}

#[derive(Debug, Clone, Args)]
pub struct TeardownArgs {
    #[command(flatten)]
    pub config: ConfigArg,
    /// Do not ask for confirmation (required when not on a terminal).
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Every [[accounts]] target instead of the caller's account.
    #[arg(long)]
    pub all_accounts: bool,
    /// Leave the services as they are. By default, services worktime scaled in are scaled
    /// back out (declared or remembered capacity) and its tags removed before the stack goes.
    #[arg(long)]
    pub no_restore: bool,
    #[command(flatten)]
    pub targets: TargetArgs,
    /// With --all-accounts: delete the stack set's instances, the stack set and its code
    /// buckets (stacksets), or each target's stack (direct).
    #[arg(long, value_enum, default_value_t = Engine::Direct)]
    pub engine: Engine,
}

#[derive(Debug, Clone, Args)]
pub struct RolloutArgs {
    #[command(flatten)]
    pub config: ConfigArg,
    #[command(flatten)]
    pub artifact: ArtifactArgs,
    #[command(flatten)]
    pub targets: TargetArgs,
    /// Show each target's diff; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// direct: each target's own stack; stacksets: one stack set (the stacksets table).
    #[arg(long, value_enum, default_value_t = Engine::Direct)]
    pub engine: Engine,
    /// Do not ask for confirmation (required when not on a terminal, except with --dry-run).
    #[arg(long, short = 'y')]
    pub yes: bool,
}

/// Which targets of a multi-account command, and how fast.
#[derive(Debug, Clone, Args)]
pub struct TargetArgs {
    /// Only these account ids (comma-separated; default: all of [[accounts]]).
    #[arg(long, value_delimiter = ',', value_name = "ID,...")]
    pub accounts: Option<Vec<String>>,
    /// Only these regions (comma-separated; default: each account's regions).
    #[arg(long, value_delimiter = ',', value_name = "REGION,...")]
    pub regions: Option<Vec<String>>,
    /// Targets in flight at once.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub concurrency: u16,
    /// Failed targets tolerated before no new target starts.
    #[arg(long, default_value_t = 0)]
    pub failure_tolerance: u16,
}

#[derive(Debug, Clone, Args)]
pub struct ArtifactArgs {
    /// A built function zip (`bootstrap` inside) to deploy instead of building one.
    #[arg(long, value_name = "PATH")]
    pub artifact: Option<PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct DeployArgs {
    #[command(flatten)]
    pub config: ConfigArg,
    #[command(flatten)]
    pub artifact: ArtifactArgs,
    /// Do not ask for confirmation (required when not on a terminal).
    #[arg(long, short = 'y')]
    pub yes: bool,
}

impl TargetArgs {
    /// The targets and pace these flags choose.
    pub fn selection(&self) -> Selection {
        Selection {
            accounts: self.accounts.clone(),
            regions: self.regions.clone(),
            concurrency: usize::from(self.concurrency),
            failure_tolerance: usize::from(self.failure_tolerance),
        }
    }
}
