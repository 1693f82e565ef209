//! The CLI's typed errors and the exit codes they map to.
//!
//! Exit codes (documented in `--help` and the README):
//! 0 success · 1 any other failure · 2 usage or configuration error (nothing was changed) ·
//! 4 the stack ended in a failed state.

use std::path::PathBuf;

use thiserror::Error;

use crate::config::ConfigError;

pub const EXIT_FAILURE: u8 = 1;
pub const EXIT_USAGE: u8 = 2;
pub const EXIT_STACK_FAILED: u8 = 4;

#[derive(Debug, Error)]
pub enum Error {
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The config names something AWS does not have (`[stack] execution_role_arn`): exit 1,
    /// reported like a configuration error (file, key, fix).
    #[error(transparent)]
    NotFound(ConfigError),
    #[error("{0}")]
    Usage(String),
    #[error(transparent)]
    Template(#[from] crate::template::TemplateError),
    #[error(transparent)]
    Init(#[from] crate::config::example::InitError),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A call to AWS failed; `context` says what worktime was doing, `message` the service's
    /// code and message (or the causes) in one line. The SDK error itself is kept as the
    /// source: `RUST_LOG=debug` prints its whole chain.
    #[error("{context}: {message}")]
    Aws {
        context: String,
        message: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The stack ended in a failed state.
    #[error("stack {stack} ended in {status}{}", reason.as_deref().map(|r| format!(": {r}")).unwrap_or_default())]
    StackFailed {
        stack: String,
        status: String,
        reason: Option<String>,
    },
    /// Some services could not be scaled, or tag selectors resolved; the others were.
    #[error("{failed} of {total} services failed{} (see above)", selectors_note(*.selectors_failed))]
    ServicesFailed {
        failed: usize,
        total: usize,
        selectors_failed: usize,
    },
    /// AWS would refuse what the config asks for in this account and region (checked before
    /// anything is created).
    #[error("{0}")]
    AccountLimit(String),
    /// A stack or stack set of this name exists and is not worktime's own (no
    /// `worktime:stack` tag naming it): nothing was changed.
    #[error("{kind} {name} in {place} is not worktime's ({found}): nothing was changed. Fix: give worktime another [stack] name, or remove {name} yourself if it is yours")]
    NotOurs {
        kind: &'static str,
        name: String,
        place: String,
        found: String,
    },
    /// `worktime hold` / `worktime wake`: bad input (exit 2) or a service not found or not
    /// held (exit 1).
    #[error(transparent)]
    Hold(#[from] crate::hold::HoldError),
    /// The function zips a release binary carries cannot be read.
    #[error(transparent)]
    Embedded(#[from] crate::deploy::embedded::EmbeddedError),
    #[error("{0}")]
    Other(String),
}

impl Error {
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Config(_) | Error::Usage(_) | Error::Template(_) | Error::Init(_) => EXIT_USAGE,
            Error::StackFailed { .. } => EXIT_STACK_FAILED,
            Error::Hold(error) if error.is_usage() => EXIT_USAGE,
            _ => EXIT_FAILURE,
        }
    }

    /// Wraps an SDK error with what worktime was doing, keeping the service's own code and
    /// message (or the connection failure behind a dispatch error).
    pub fn aws<E, R>(context: impl Into<String>, error: aws_sdk_s3::error::SdkError<E, R>) -> Self
    where
        E: aws_sdk_s3::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        R: std::fmt::Debug + Send + Sync + 'static,
    {
        Error::Aws {
            context: context.into(),
            message: worktime_lambda::describe_error(&error),
            source: Box::new(error),
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

fn selectors_note(selectors_failed: usize) -> String {
    match selectors_failed {
        0 => String::new(),
        n => format!(", and {n} tag selector(s) could not be resolved"),
    }
}
