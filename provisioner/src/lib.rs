//! worktime provisioner library: configuration, template generation and the AWS lifecycle.
//!
//! Layers, each importing only the ones below it: `commands` (one leaf per subcommand) →
//! `fleet` (many targets) → `deploy` (one stack) → `aws`, `template` → `config`, `cron`.

pub mod aws;
pub mod cli;
pub mod commands;
pub mod config;
pub mod cron;
pub mod deploy;
pub mod error;
pub mod fleet;
pub mod output;
pub mod progress;
pub mod scaling;
pub mod template;
