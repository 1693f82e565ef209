//! `worktime package` (hidden; `make dist` runs it): the release binary, which is this
//! executable with both function zips appended, plus its man page and shell completions.

use std::path::{Path, PathBuf};

use clap::CommandFactory;
use clap_complete::Shell;

use crate::cli::{Cli, PackageArgs};
use crate::config::Architecture;
use crate::deploy::artifact::{check_code, Artifact};
use crate::deploy::embedded;
use crate::error::{Error, Result};

pub fn run(args: &PackageArgs) -> Result<()> {
    // Both zips are checked before anything is written: each holds an executable
    // `bootstrap` for its architecture.
    let mut functions = Vec::new();
    for (architecture, path) in [
        (Architecture::Arm64, &args.arm64),
        (Architecture::X86_64, &args.x86_64),
    ] {
        let artifact = Artifact::read(path)?;
        check_code(&artifact, architecture)?;
        functions.push((architecture, artifact.bytes));
    }
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| Error::Io { path, source }
    };
    std::fs::create_dir_all(&args.out).map_err(io(&args.out))?;
    let executable = std::env::current_exe().map_err(io(Path::new("worktime")))?;
    let binary = args.out.join("worktime");
    let entries = embedded::pack(&executable, &functions, &binary)?;

    let man = args.out.join("worktime.1");
    let mut page = Vec::new();
    clap_mangen::Man::new(Cli::command())
        .render(&mut page)
        .map_err(io(&man))?;
    std::fs::write(&man, page).map_err(io(&man))?;

    let completions = args.out.join("completions");
    std::fs::create_dir_all(&completions).map_err(io(&completions))?;
    let mut scripts: Vec<PathBuf> = Vec::new();
    for shell in [Shell::Bash, Shell::Zsh, Shell::Fish, Shell::PowerShell] {
        scripts.push(
            clap_complete::generate_to(shell, &mut Cli::command(), "worktime", &completions)
                .map_err(io(&completions))?,
        );
    }

    let size = std::fs::metadata(&binary).map_err(io(&binary))?.len();
    println!(
        "{}: {size} bytes ({:.1} MiB)",
        binary.display(),
        size as f64 / 1_048_576.0
    );
    for entry in entries {
        println!(
            "  carries the {} function: {} bytes, sha256 {}",
            entry.architecture, entry.length, entry.sha256
        );
    }
    println!("{}", man.display());
    for script in scripts {
        println!("{}", script.display());
    }
    Ok(())
}
