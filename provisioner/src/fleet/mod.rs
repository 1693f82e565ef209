//! Many accounts and regions: the targets, the direct engine (one stack per target, in
//! parallel) and the stack-set engine (one CloudFormation stack set), and the result table
//! both end with.

pub mod direct;
mod error;
pub mod results;
pub mod stacksets;
pub mod targets;

pub use error::FleetError;

/// How a multi-account command reaches its targets (`--engine`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Engine {
    /// One stack per target, deployed with that account's own credentials.
    #[default]
    Direct,
    /// One CloudFormation stack set (the config's stacksets table), one instance per target.
    Stacksets,
}
