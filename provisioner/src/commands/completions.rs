//! `worktime completions SHELL`: the shell's completion script for every command and flag.

use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs};

pub fn run(args: &CompletionsArgs) {
    clap_complete::generate(
        args.shell,
        &mut Cli::command(),
        "worktime",
        &mut std::io::stdout(),
    );
}
