//! One module per subcommand. Each takes validated inputs and returns a typed result.

pub mod lifecycle;
pub mod rollout;
pub mod run;
pub mod stacksets;
pub mod status;
pub mod synth;
