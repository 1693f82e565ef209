//! The `worktime` binary: parse arguments, load and validate the config, run one command,
//! map the outcome to an exit code. Nothing reaches AWS before the config is valid.

use std::process::ExitCode;

use clap::Parser;
use worktime::cli::{Cli, Command};
use worktime::commands::{lifecycle, run, status, synth};
use worktime::error::{Error, Result};
use worktime::progress::Progress;
use worktime::{config, init};

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            // Help and version are successes; anything else is a usage error (exit 2).
            let _ = error.print();
            return ExitCode::from(if error.use_stderr() {
                worktime::error::EXIT_USAGE
            } else {
                0
            });
        }
    };
    init_tracing();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: could not start the async runtime: {error}");
            return ExitCode::from(worktime::error::EXIT_FAILURE);
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
    let output = cli.output;
    // Progress goes to stderr in every output mode: stdout carries only results.
    let quiet = false;
    match cli.command {
        Command::Init { config } => {
            init::write_example(&config.config)?;
            eprintln!(
                "wrote {}: edit it, then run `worktime synth` or `worktime bootstrap`",
                config.config.display()
            );
            Ok(())
        }
        Command::Synth {
            config,
            format,
            out,
        } => {
            let config = config::load(&config.config)?;
            synth::run(&config, format, out.as_deref())
        }
        Command::Run {
            config,
            action,
            dry_run,
        } => {
            let config = config::load(&config.config)?;
            // Validate the event before any call.
            run::event_for(&config, action.into(), dry_run)?;
            let sdk = cli.aws.load(Some(&config.stack.region)).await;
            run::run(&config, &sdk, action.into(), dry_run, output)
                .await
                .map(|_| ())
        }
        Command::Bootstrap(args) => deploy(&cli.aws, args, true, output, quiet).await,
        Command::Deploy(args) => deploy(&cli.aws, args, false, output, quiet).await,
        Command::Diff { config, artifact } => {
            let config = config::load(&config.config)?;
            synth::render(&config, worktime::cli::TemplateFormat::Yaml)?;
            let session = connect(&cli.aws, &config).await?;
            let progress = Progress::new(quiet);
            let report =
                lifecycle::diff(&session, &config, artifact.artifact.as_deref(), &progress).await?;
            progress.finish();
            lifecycle::print_report(&report, output);
            Ok(())
        }
        Command::Status { config } => {
            let config = config::load(&config.config)?;
            let session = connect(&cli.aws, &config).await?;
            let report = status::status(&session, &config).await?;
            status::print_status(&report, output);
            Ok(())
        }
        Command::Teardown { config, yes } => {
            let config = config::load(&config.config)?;
            let session = connect(&cli.aws, &config).await?;
            if !yes && !confirm_teardown(&config, &session)? {
                return Err(Error::Other(
                    "teardown cancelled: nothing was deleted".into(),
                ));
            }
            let progress = Progress::new(quiet);
            let report = lifecycle::teardown(&session, &config, &progress).await?;
            progress.finish();
            lifecycle::print_teardown(&report, output);
            if report.leftovers.is_empty() {
                Ok(())
            } else {
                Err(Error::Other(format!(
                    "teardown left {} item(s) behind (listed above)",
                    report.leftovers.len()
                )))
            }
        }
    }
}

async fn connect(
    aws: &worktime::aws::AwsArgs,
    config: &config::Config,
) -> Result<lifecycle::Session> {
    let sdk = aws.load(Some(&config.stack.region)).await;
    lifecycle::Session::connect(sdk, aws.custom_endpoint()).await
}

async fn deploy(
    aws: &worktime::aws::AwsArgs,
    args: worktime::cli::DeployArgs,
    prepare_account: bool,
    output: worktime::cli::OutputFormat,
    quiet: bool,
) -> Result<()> {
    let config = config::load(&args.config.config)?;
    // The template is built (and every payload checked) before any AWS call.
    synth::render(&config, worktime::cli::TemplateFormat::Yaml)?;
    let session = connect(aws, &config).await?;
    let progress = Progress::new(quiet);
    let report = lifecycle::apply(
        &session,
        lifecycle::ApplyOptions {
            config: &config,
            artifact: args.artifact.artifact.as_deref(),
            yes: args.yes,
            prepare_account,
        },
        &progress,
    )
    .await?;
    progress.finish();
    lifecycle::print_report(&report, output);
    Ok(())
}

fn confirm_teardown(config: &config::Config, session: &lifecycle::Session) -> Result<bool> {
    use std::io::{BufRead, IsTerminal, Write};
    if !std::io::stdin().is_terminal() {
        return Err(Error::Usage(
            "teardown deletes the stack and its artifacts: pass --yes to confirm when not on a terminal".into(),
        ));
    }
    eprint!(
        "Delete stack {} and its artifacts in account {} region {}? [y/N] ",
        config.stack.name, session.account, session.region
    );
    std::io::stderr().flush().ok();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| Error::Other(format!("reading the answer: {e}")))?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}
