//! The `worktime` binary: parse arguments, load and validate the config (and render the
//! template) before any AWS call, run one command, map the outcome to an exit code.

use std::process::ExitCode;

use clap::Parser;
use worktime::artifact::{self, Artifact};
use worktime::aws::AwsArgs;
use worktime::cli::{Cli, Command, DeployArgs, Engine, OutputFormat, TargetArgs, TemplateFormat};
use worktime::commands::rollout::{self, Operation, Selection};
use worktime::commands::{lifecycle, run, stacksets, status, synth};
use worktime::config::{self, Config};
use worktime::error::{Error, Result, EXIT_FAILURE, EXIT_USAGE};
use worktime::init;
use worktime::progress::Progress;

fn main() -> ExitCode {
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

/// Loads the config and renders its template: a config that cannot become a stack stops
/// here, before any call.
fn load_checked(path: &std::path::Path) -> Result<Config> {
    let config = config::load(path)?;
    synth::render(&config, TemplateFormat::Yaml)?;
    Ok(config)
}

async fn dispatch(cli: Cli) -> Result<()> {
    let output = cli.output;
    let aws = &cli.aws;
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
            stackset,
        } => {
            let config = config::load(&config.config)?;
            synth::run(&config, format, out.as_deref(), stackset)
        }
        Command::Run {
            config,
            action,
            dry_run,
        } => {
            let config = config::load(&config.config)?;
            // The event is validated before any call.
            run::event_for(&config, action.into(), dry_run)?;
            let sdk = aws.load(Some(&config.stack.region)).await;
            run::run(&config, &sdk, action.into(), dry_run, output)
                .await
                .map(|_| ())
        }
        Command::Bootstrap(args) => deploy(aws, args, true, output).await,
        Command::Deploy(args) => deploy(aws, args, false, output).await,
        Command::Diff { config, artifact } => {
            let config = load_checked(&config.config)?;
            let session = connect(aws, &config).await?;
            let progress = Progress::new(false);
            let artifact = artifact::resolve(artifact.artifact.as_deref(), &config, &progress)?;
            let report = lifecycle::diff(&session, &config, &artifact, &progress).await?;
            progress.finish();
            lifecycle::print_report(&report, output);
            Ok(())
        }
        Command::Status {
            config,
            all_accounts,
            targets,
        } => {
            let config = config::load(&config.config)?;
            if all_accounts {
                return many(aws, &config, &targets, Operation::Status, None, output).await;
            }
            let session = connect(aws, &config).await?;
            let report = status::status(&session, &config).await?;
            status::print_status(&report, output);
            Ok(())
        }
        Command::Teardown {
            config,
            yes,
            all_accounts,
            targets,
            engine,
        } => {
            let config = config::load(&config.config)?;
            if engine == Engine::Stacksets {
                if !all_accounts {
                    return Err(Error::Usage(
                        "--engine stacksets goes with --all-accounts: teardown --all-accounts --engine stacksets deletes the stack set's instances, the stack set and its code buckets".into(),
                    ));
                }
                stacksets::settings(&config)?;
                if !yes {
                    confirm(&format!(
                        "Delete stack set {} with all its stack instances and code buckets ({})?",
                        config.stack.name,
                        config.path.display()
                    ))?;
                }
                let selection = selection(&targets);
                let base = aws.load(Some(&config.stack.region)).await;
                let results = stacksets::teardown(aws, &base, &config, &selection).await?;
                rollout::print(&results, output);
                return rollout::outcome(&results);
            }
            if all_accounts {
                if !yes {
                    confirm(&format!(
                        "Delete stack {} and its artifacts in every target of {}?",
                        config.stack.name,
                        config.path.display()
                    ))?;
                }
                return many(aws, &config, &targets, Operation::Teardown, None, output).await;
            }
            let session = connect(aws, &config).await?;
            if !yes {
                confirm(&format!(
                    "Delete stack {} and its artifacts in account {} region {}?",
                    config.stack.name, session.account, session.region
                ))?;
            }
            let progress = Progress::new(false);
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
        Command::Rollout {
            config,
            artifact,
            targets,
            dry_run,
            engine,
        } => {
            let config = load_checked(&config.config)?;
            if engine == Engine::Stacksets {
                let selection = selection(&targets);
                // The stack set template and every instance's values, before any call.
                let plan = stacksets::plan(&config, &selection)?;
                let progress = Progress::new(false);
                let artifact = artifact::resolve(artifact.artifact.as_deref(), &config, &progress)?;
                progress.finish();
                let base = aws.load(Some(&config.stack.region)).await;
                let results =
                    stacksets::rollout(aws, &base, &config, &plan, &artifact, &selection, dry_run)
                        .await?;
                rollout::print(&results, output);
                return rollout::outcome(&results);
            }
            // Every target's own template must render too (its services and schedule).
            for account in &config.accounts {
                synth::render(
                    &config.for_target(account, &config.stack.region),
                    TemplateFormat::Yaml,
                )
                .map_err(|e| Error::Usage(format!("account {}: {e}", account.id)))?;
            }
            let progress = Progress::new(false);
            let artifact: Artifact =
                artifact::resolve(artifact.artifact.as_deref(), &config, &progress)?;
            progress.finish();
            let operation = if dry_run {
                Operation::DryRun
            } else {
                Operation::Deploy
            };
            many(aws, &config, &targets, operation, Some(&artifact), output).await
        }
    }
}

async fn many(
    aws: &AwsArgs,
    config: &Config,
    targets: &TargetArgs,
    operation: Operation,
    artifact: Option<&Artifact>,
    output: OutputFormat,
) -> Result<()> {
    let selection = selection(targets);
    let list = rollout::targets(config, &selection)?;
    let base = aws.load(Some(&config.stack.region)).await;
    let results = rollout::run(aws, &base, list, operation, artifact, &selection).await;
    rollout::print(&results, output);
    rollout::outcome(&results)
}

fn selection(targets: &TargetArgs) -> Selection {
    Selection {
        accounts: targets.accounts.clone(),
        regions: targets.regions.clone(),
        concurrency: usize::from(targets.concurrency),
        failure_tolerance: usize::from(targets.failure_tolerance),
    }
}

async fn connect(aws: &AwsArgs, config: &Config) -> Result<lifecycle::Session> {
    let sdk = aws.load(Some(&config.stack.region)).await;
    lifecycle::Session::connect(sdk, aws.custom_endpoint()).await
}

async fn deploy(
    aws: &AwsArgs,
    args: DeployArgs,
    prepare_account: bool,
    output: OutputFormat,
) -> Result<()> {
    let config = load_checked(&args.config.config)?;
    let session = connect(aws, &config).await?;
    let progress = Progress::new(false);
    let artifact = artifact::resolve(args.artifact.artifact.as_deref(), &config, &progress)?;
    let report = lifecycle::apply(
        &session,
        lifecycle::ApplyOptions {
            config: &config,
            artifact: &artifact,
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

/// Asks on a terminal; refuses (exit 2) without one, since nobody can answer.
fn confirm(question: &str) -> Result<()> {
    use std::io::IsTerminal;
    if !std::io::stdin().is_terminal() {
        return Err(Error::Usage(
            "teardown deletes stacks and artifacts: pass --yes to confirm when not on a terminal"
                .into(),
        ));
    }
    match worktime::progress::ask(None, question) {
        Ok(true) => Ok(()),
        Ok(false) => Err(Error::Other(
            "teardown cancelled: nothing was deleted".into(),
        )),
        Err(e) => Err(Error::Other(format!("reading the answer: {e}"))),
    }
}
