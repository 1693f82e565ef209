//! `worktime init`: writes a commented example `worktime.toml` to start from.

use std::path::Path;

use crate::config::example::write_example;

/// `worktime init`: writes the example, then says what to do next.
pub fn run(path: &Path) -> crate::error::Result<()> {
    write_example(path)?;
    eprintln!(
        "wrote {}: edit it, then run `worktime synth` or `worktime bootstrap`",
        path.display()
    );
    Ok(())
}
