//! worktime provisioner library: configuration, template generation and the AWS lifecycle.
//!
//! Layers, each importing only the ones below it: `commands` (one leaf per subcommand) →
//! `policy` (the permissions every other module declares) → `fleet` (many targets) →
//! `deploy` (one stack) → `aws`, `template` → `config`, and the function crate's `cron`
//! (schedules are judged by the function's own code).

mod aws;
mod cli;
mod commands;
mod config;
// The cron grammar and its next-run evaluation live with the function, which decides windows with them.
use worktime_lambda::cron;
mod deploy;
mod duration;
mod error;
mod fleet;
mod hold;
mod hours;
mod output;
mod policy;
mod progress;
mod report;
mod scaling;
mod template;

use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, Command};
use commands::{diff, init, rollout, run, status, synth, teardown};
use error::{Result, EXIT_FAILURE, EXIT_USAGE};

/// The whole CLI: parse, run one command, map the outcome to an exit code.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            // Help and version are successes; anything else is a usage error (exit 2).
            let _ = error.print();
            return ExitCode::from(if error.use_stderr() { EXIT_USAGE } else { 0 });
        }
    };
    init_tracing();
    // One thread: every command waits on AWS, never on the CPU, and a CLI that starts no
    // worker threads starts faster and smaller. Concurrency (rollout, scaling) is async.
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: could not start the async runtime: {error}");
            return ExitCode::from(EXIT_FAILURE);
        }
    };
    match runtime.block_on(dispatch(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::from(error.exit_code())
        }
    }
}

fn init_tracing() {
    // The CLI's own messages are plain lines; library logs (the scaling run) only with RUST_LOG.
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .without_time()
        .init();
}

async fn dispatch(cli: Cli) -> Result<()> {
    let aws = &cli.aws;
    let format = cli.output;
    match &cli.command {
        Command::Init(config) => init::run(&config.config),
        Command::Synth(args) => synth::run(args),
        Command::Run(args) => run::run(args, aws, format).await,
        Command::Bootstrap(args) => commands::deploy::run(args, aws, true, format).await,
        Command::Deploy(args) => commands::deploy::run(args, aws, false, format).await,
        Command::Diff(args) => diff::run(args, aws, format).await,
        Command::Status(args) => status::run(args, aws, format).await,
        Command::Teardown(args) => teardown::run(args, aws, format).await,
        Command::Rollout(args) => rollout::run(args, aws, format).await,
        Command::Hold(args) => commands::hold::run(args, aws, format).await,
        Command::Wake(args) => commands::wake::run(args, aws, format).await,
        Command::Report(args) => commands::report::run(args, aws, format).await,
        Command::Policy(args) => commands::policy::run(args, aws, format).await,
    }
}
