//! Results on stdout: one switch between text and JSON for every result type (each is
//! `Serialize + Display`). Progress and prompts go to stderr (`progress`).

use std::fmt::Display;

use clap::ValueEnum;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Text,
    Json,
}

/// Prints `result` in `format`.
pub fn print<T: Serialize + Display>(result: &T, format: OutputFormat) {
    match format {
        OutputFormat::Json => println!(
            "{}",
            serde_json::to_string_pretty(result).unwrap_or_default()
        ),
        OutputFormat::Text => print!("{result}"),
    }
}
