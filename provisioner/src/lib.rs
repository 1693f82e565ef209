//! worktime provisioner library: configuration, template generation and the AWS lifecycle.

pub mod artifact;
pub mod aws;
pub mod cli;
pub mod commands;
pub mod config;
pub mod cron;
pub mod error;
pub mod init;
pub mod progress;
pub mod stack;
pub mod template;
