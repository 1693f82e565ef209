//! Many accounts and regions: the targets, the direct engine (one stack per target, in
//! parallel) and the stack-set engine (one CloudFormation stack set), and the result table
//! both end with.

pub mod direct;
mod error;
pub mod results;
pub mod stacksets;
pub mod targets;

pub use error::FleetError;
