//! worktime provisioner library: configuration, template generation and the AWS lifecycle.

pub mod config;
pub mod cron;
