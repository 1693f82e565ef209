//! worktime provisioner library: configuration, template generation and the AWS lifecycle.
//!
//! Layers, each importing only the ones below it (ARCHITECTURE.md lists them): `cli`,
//! `commands` (one leaf per subcommand, which turns its arguments into a checked plan) →
//! `policy` (the permissions every other module declares) → `fleet`, `report`, `hold` →
//! `deploy` (one stack) → `template`, `hours`, `scaling`, `instances` → `aws` (the SDK config, clients and
//! the table of calls each module declares) → `config`, `duration`, `output`, `progress`,
//! `error` and the function crate. `error` wraps each layer's typed error.

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
mod instances;
mod output;
mod policy;
mod progress;
mod report;
mod scaling;
mod template;

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};

use cli::{Cli, Command};
use commands::{diff, init, rollout, run, status, synth, teardown};
use error::{Result, EXIT_FAILURE, EXIT_USAGE};

/// The whole CLI: parse, run one command, map the outcome to an exit code.
pub fn main() -> ExitCode {
    let version = version_text();
    let parsed = Cli::command()
        .version(version.clone())
        .long_version(version)
        .try_get_matches()
        .and_then(|matches| Cli::from_arg_matches(&matches));
    let cli = match parsed {
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
            // The whole chain of causes, for whoever asks for it (RUST_LOG=debug).
            let mut cause = std::error::Error::source(&error);
            while let Some(inner) = cause {
                tracing::debug!("caused by: {inner}");
                cause = inner.source();
            }
            ExitCode::from(error.exit_code())
        }
    }
}

/// `worktime --version`: the CLI's version and the function zips it carries (their content
/// hashes, as `worktime status` shows the deployed code's), or that it carries none.
fn version_text() -> String {
    let carried = match deploy::embedded::of_this_executable() {
        Ok(Some(carried)) => format!("function {}", carried.summary()),
        Ok(None) => "carries no function: deploys --artifact or a build of the workspace".into(),
        Err(error) => error.to_string(),
    };
    format!("{} ({carried})", env!("CARGO_PKG_VERSION"))
}

/// Without RUST_LOG: warnings only, and none from the SDK's credential chain, whose "provider
/// failed" lines repeat what the command's own error says in one line, with the fix.
const QUIET_LOGS: &str = "warn,aws_config=error";

fn init_tracing() {
    // The CLI's own messages are plain lines; library logs (the scaling run) only with RUST_LOG.
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(QUIET_LOGS));
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
        Command::Completions(args) => {
            commands::completions::run(args);
            Ok(())
        }
        Command::Package(args) => commands::package::run(args),
    }
}
