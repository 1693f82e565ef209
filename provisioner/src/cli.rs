//! Command-line arguments. They become a validated plan (config loaded, flags checked)
//! before any AWS call is made.

use std::path::PathBuf;

use chrono::NaiveDateTime;
use clap::{ArgGroup, Args, Parser, Subcommand, ValueEnum};

use crate::aws::calls::Cmd;
use crate::aws::AwsArgs;
use crate::duration::{parse_hold_duration, HoldDuration};
use crate::fleet::targets::Selection;
use crate::fleet::Engine;
use crate::hold::{parse_local_time, HoldRequest};
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RunAction {
    ScaleIn,
    ScaleOut,
    /// What the reconcile trigger does: converge every service on what the schedule says now.
    Reconcile,
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
    /// Keep services up through scale-in until a time (tag worktime:hold-until), or clear that.
    Hold(HoldArgs),
    /// Scale services out now and hold them for a while (default 2h).
    Wake(WakeArgs),
    /// What worktime saves: each schedule's hours on and off a week, each service's task-hours
    /// off and, on Fargate, dollars a month (no stack needed: reads the config and ECS).
    Report(ReportArgs),
    /// Print a shell completion script (e.g. `worktime completions bash > /etc/bash_completion.d/worktime`).
    /// Print the IAM policy the caller needs for this configuration (exact actions, this
    /// stack's resources), per command.
    Policy(PolicyArgs),
    Completions(CompletionsArgs),
    /// Build step of `make dist`: write the release binary (this executable with the function
    /// zips appended), its man page and completions into a directory.
    #[command(hide = true)]
    Package(PackageArgs),
}

#[derive(Debug, Clone, Args)]
pub struct CompletionsArgs {
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Clone, Args)]
pub struct PackageArgs {
    /// The arm64 function zip (`cargo lambda build --arm64 --output-format zip`).
    #[arg(long, value_name = "ZIP")]
    pub arm64: PathBuf,
    /// The x86_64 function zip (`cargo lambda build --x86-64 --output-format zip`).
    #[arg(long = "x86-64", value_name = "ZIP")]
    pub x86_64: PathBuf,
    /// Where to write `worktime`, `worktime.1` and `completions/`.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
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

/// `worktime hold`: exactly one of `--for`, `--until`, `--clear`.
#[derive(Debug, Clone, Args)]
#[command(
    group(ArgGroup::new("change").required(true).args(["duration", "until", "clear"])),
    after_help = "While a hold lies in the future, scale-in leaves the service as it is \
                  (reported \"held\"); scale-out is not affected. The first scale-in after \
                  the hold takes the service down and removes the tag.\n\n\
                  Examples:\n  worktime hold prod/api --for 3h\n  \
                  worktime hold prod/api prod/worker --until \"2026-11-28 21:00\"\n  \
                  worktime hold prod/api --clear"
)]
pub struct HoldArgs {
    #[command(flatten)]
    pub config: ConfigArg,
    /// The services (each one a [[services]] entry of the config).
    #[arg(required = true, value_name = "CLUSTER/SERVICE")]
    pub services: Vec<String>,
    /// Hold from now for this long: 90m, 3h, 1d, or combined largest first (1h30m); at most
    /// 30 days. The end is rounded up to the whole minute.
    #[arg(long = "for", value_name = "DURATION", value_parser = parse_hold_duration)]
    pub duration: Option<HoldDuration>,
    /// Hold until this local time in the service's schedule time zone ("YYYY-MM-DD HH:MM").
    /// A time the clocks skip (daylight saving time) is refused; a time they pass twice
    /// means the earlier one.
    #[arg(long, value_name = "YYYY-MM-DD HH:MM", value_parser = parse_local_time)]
    pub until: Option<NaiveDateTime>,
    /// Remove the hold: the next scale-in takes the services down as usual.
    #[arg(long)]
    pub clear: bool,
}

impl HoldArgs {
    /// The one change asked for (clap makes sure there is exactly one).
    pub fn request(&self) -> HoldRequest {
        match (self.duration, self.until) {
            (Some(duration), _) => HoldRequest::For(duration),
            (None, Some(until)) => HoldRequest::Until(until),
            (None, None) => HoldRequest::Clear,
        }
    }
}

/// `worktime wake`.
#[derive(Debug, Clone, Args)]
#[command(
    after_help = "Each service is scaled out now with its declared capacity (or the one it \
                  remembers from its last scale-in), then held: a scale-in during the wake \
                  leaves it up, the first one after it takes it down. A service that could \
                  not be scaled out is not held (exit 1).\n\n\
                  Examples:\n  worktime wake prod/api\n  worktime wake prod/api prod/worker --for 4h"
)]
pub struct WakeArgs {
    #[command(flatten)]
    pub config: ConfigArg,
    /// The services (each one a [[services]] entry of the config).
    #[arg(required = true, value_name = "CLUSTER/SERVICE")]
    pub services: Vec<String>,
    /// How long to keep them up: 90m, 3h, 1d, or combined largest first (1h30m); at most 30
    /// days.
    #[arg(long = "for", value_name = "DURATION", value_parser = parse_hold_duration, default_value = "2h")]
    pub duration: HoldDuration,
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

/// `worktime report`.
#[derive(Debug, Clone, Args)]
#[command(
    after_help = "The period is --weeks whole weeks in each schedule's time zone, from \
                  the Monday after today (or the Monday of --from's week); figures per week \
                  are the period's averages. Money is Fargate's On-Demand Linux list price \
                  (a table in worktime, dated) unless --price-vcpu-hour / --price-gb-hour \
                  say otherwise; EC2 and capacity providers get task-hours only.\n\n\
                  Examples:\n  worktime report\n  worktime report --weeks 12 --html savings.html\n  \
                  worktime report --price-vcpu-hour 0.03 --price-gb-hour 0.0035 --output json"
)]
pub struct ReportArgs {
    #[command(flatten)]
    pub config: ConfigArg,
    /// Weeks in the period (1 to 52).
    #[arg(long, default_value_t = crate::hours::DEFAULT_WEEKS, value_name = "N")]
    pub weeks: u32,
    /// Start the period at the Monday of this date's week instead of next Monday.
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub from: Option<chrono::NaiveDate>,
    /// USD per vCPU-hour for every Fargate task, instead of the price table's.
    #[arg(long, value_name = "USD", allow_negative_numbers = true)]
    pub price_vcpu_hour: Option<f64>,
    /// USD per GB-hour for every Fargate task, instead of the price table's.
    #[arg(long, value_name = "USD", allow_negative_numbers = true)]
    pub price_gb_hour: Option<f64>,
    /// Also write the report as one self-contained HTML page (chart, tables; no scripts, no
    /// external files) to attach to a ticket.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
}

/// What `worktime policy --for` takes: a command, or `all`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyFor {
    One(Cmd),
    All,
}

fn parse_policy_for(text: &str) -> Result<PolicyFor, String> {
    if text == "all" {
        return Ok(PolicyFor::All);
    }
    Cmd::from_str(text, false).map(PolicyFor::One).map_err(|_| {
        let names: Vec<&str> = Cmd::ALL.iter().map(|c| c.as_str()).collect();
        format!(
            "{text:?} is not a command worktime needs permissions for: use {} or all",
            names.join(", ")
        )
    })
}

/// `worktime policy`.
#[derive(Debug, Clone, Args)]
#[command(
    after_help = "Each statement's Sid names the commands that need it; the text output adds \
                  a comment line per statement and prints the document to paste. The account \
                  comes from --account, else STS (if credentials answer), else \"*\" with a \
                  note. With --for rollout: also each [[accounts]] target's policy (its role \
                  or profile; --engine stacksets: the stack set's execution role).\n\n\
                  Examples:\n  worktime policy --for bootstrap --account 123456789012\n  \
                  worktime policy --for status,hold,wake --output json\n  \
                  worktime policy --execution-role"
)]
pub struct PolicyArgs {
    #[command(flatten)]
    pub config: ConfigArg,
    /// The commands (comma-separated): bootstrap, deploy, diff, status, run, hold, wake,
    /// report, rollout, teardown, or all (the default).
    #[arg(long = "for", value_delimiter = ',', value_parser = parse_policy_for, value_name = "COMMAND,...")]
    pub commands: Vec<PolicyFor>,
    /// The account id for the ARNs (default: ask STS; "*" if it does not answer).
    #[arg(long, value_name = "ID")]
    pub account: Option<String>,
    /// Rollout's engine, as `rollout --engine`.
    #[arg(long, value_enum, default_value_t = Engine::Direct)]
    pub engine: Engine,
    /// CloudFormation works through an execution role ([stack] execution_role_arn): print
    /// the role's policy and the caller's smaller one.
    #[arg(long)]
    pub execution_role: bool,
}
