//! `worktime synth`: the complete stack template (or the stack set's), to stdout or a file.

use chrono::Utc;

use crate::cli::SynthArgs;
use crate::config;
use crate::error::{Error, Result};
use crate::template;

pub fn run(args: &SynthArgs) -> Result<()> {
    let fleet = config::load(&args.config.config, Utc::now())?;
    let text = if args.stackset {
        template::render_stackset(&fleet, args.format)?
    } else {
        template::render(&fleet.home, args.format)?
    };
    match &args.out {
        Some(path) => std::fs::write(path, &text).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        }),
        None => {
            print!("{text}");
            Ok(())
        }
    }
}
