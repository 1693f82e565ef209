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
    /// A command-line argument the command cannot use, found before any call (exit 2):
    /// `arg` is the flag as given (with its value), `problem` what is wrong and the fix.
    #[error("{arg}: {problem}")]
    Argument { arg: String, problem: String },
    /// Neither the config nor `--region` gives a region (exit 2).
    #[error("no region: set stack.region in the config, or pass --region")]
    NoRegion,
    /// The config's services cannot make the scaling event the triggers would carry (exit 2).
    #[error("{}: {source}", config.display())]
    Event {
        config: PathBuf,
        #[source]
        source: worktime_lambda::EventError,
    },
    #[error(transparent)]
    Template(#[from] crate::template::TemplateError),
    /// A template that cannot be written out (a reference to nothing, or a YAML rendering
    /// that does not read back): a bug, not the user's, so exit 1.
    #[error("could not serialise the {what}: {source}")]
    Render {
        /// `template` or `stack set template`.
        what: &'static str,
        #[source]
        source: worktime_cfn::Error,
    },
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
    /// An SDK request could not be built (a required member missing): a bug, exit 1.
    #[error(transparent)]
    Request(#[from] aws_sdk_s3::error::BuildError),
    /// The stack ended in a failed state.
    #[error("stack {stack} ended in {status}{}", reason.as_deref().map(|r| format!(": {r}")).unwrap_or_default())]
    StackFailed {
        stack: String,
        status: String,
        reason: Option<String>,
    },
    /// A stack or stack set is not in a state the command can go on from (exit 1).
    #[error(transparent)]
    Stack(#[from] crate::deploy::stack::StackError),
    /// The artifact bucket or its policy (exit 1; a bucket `deploy` expects and does not
    /// find: exit 2).
    #[error(transparent)]
    Bucket(#[from] crate::deploy::bucket::BucketError),
    /// The function's code: a zip that cannot be the function (exit 2), a build that failed
    /// (exit 1).
    #[error(transparent)]
    Artifact(#[from] crate::deploy::artifact::ArtifactError),
    /// Some services could not be scaled, or tag selectors resolved; the others were.
    #[error("{failed} of {total} services failed{} (see above)", selectors_note(*.selectors_failed))]
    ServicesFailed {
        failed: usize,
        total: usize,
        selectors_failed: usize,
    },
    /// `worktime report`: some services could not be read; the report leaves them out.
    #[error(
        "{unread} of {total} services could not be read: the report leaves them out (see above)"
    )]
    ServicesUnread { unread: usize, total: usize },
    /// `status` printed its report, but some parts of it could not be read.
    #[error("status of {stack} is incomplete: {} part(s) could not be read: {}. Fix: grant what `worktime policy --for status` prints, then run it again", problems.len(), problems.join("; "))]
    StatusIncomplete {
        stack: String,
        problems: Vec<String>,
    },
    /// `run` scaled its services, but some woken services' routes could not follow them
    /// (`problems`: each service with the rule and why).
    #[error("the run was applied, but the rules of {} woken service(s) could not follow it: {}. Fix: a rule changed since worktime rewrote it is left as it is: put it back by hand as its worktime:wake-route tag says and remove the tag; otherwise correct the cause and run it again (routes move level-triggered)", problems.len(), problems.join("; "))]
    RoutesNotMoved { problems: Vec<String> },
    /// The services a `wake_on_request` selector selects could not be read: nothing was
    /// changed.
    #[error("could not read which services the wake_on_request selector {selector} selects: {reason}; nothing was changed. Fix: grant what `worktime policy --for deploy` prints (ecs:ListServices and ecs:DescribeServices on its clusters), then run it again")]
    WakeSelectorUnread { selector: String, reason: String },
    /// A teardown that left services down or items behind (`problems` says which, and the
    /// fix).
    #[error("{problems}")]
    TeardownIncomplete { problems: String },
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
    /// Reaching one target account (its credentials) failed (exit 1).
    #[error(transparent)]
    Target(#[from] crate::aws::target::TargetError),
    /// The config or `--accounts` / `--regions` cannot be rolled out (or torn down) the way
    /// asked: exit 2, nothing was changed.
    #[error(transparent)]
    Fleet(#[from] crate::fleet::FleetError),
    /// Targets of a fleet operation failed or did not start (the table says which).
    #[error("{failed} of {total} target(s) failed or did not start (see the table)")]
    TargetsFailed { failed: usize, total: usize },
    /// `worktime hold` / `worktime wake`: bad input (exit 2) or a service not found or not
    /// held (exit 1).
    #[error(transparent)]
    Hold(#[from] crate::hold::HoldError),
    /// The function zips a release binary carries cannot be read.
    #[error(transparent)]
    Embedded(#[from] crate::deploy::embedded::EmbeddedError),
    /// A confirmation: refused without a terminal (exit 2), answered no or unreadable
    /// (exit 1).
    #[error(transparent)]
    Confirm(#[from] crate::progress::ConfirmError),
}

impl Error {
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Config(_)
            | Error::Argument { .. }
            | Error::NoRegion
            | Error::Event { .. }
            | Error::Template(_)
            | Error::Init(_)
            | Error::Fleet(_) => EXIT_USAGE,
            Error::StackFailed { .. } => EXIT_STACK_FAILED,
            Error::Hold(error) if error.is_usage() => EXIT_USAGE,
            Error::Artifact(error) if error.is_usage() => EXIT_USAGE,
            Error::Bucket(error) if error.is_usage() => EXIT_USAGE,
            Error::Confirm(error) if error.is_usage() => EXIT_USAGE,
            _ => EXIT_FAILURE,
        }
    }

    /// A usage error about one argument (exit 2).
    pub fn argument(arg: impl Into<String>, problem: impl Into<String>) -> Self {
        Error::Argument {
            arg: arg.into(),
            problem: problem.into(),
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

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::deploy::artifact::ArtifactError;
    use crate::deploy::bucket::BucketError;
    use crate::deploy::stack::StackError;
    use crate::fleet::FleetError;
    use crate::progress::ConfirmError;

    /// Each group's variants keep the exit code (and the text) the README documents: what
    /// is found before anything changes and fixed by the user's input is 2, the rest 1.
    #[test]
    fn typed_errors_keep_their_exit_codes_and_texts() {
        let cases: Vec<(Error, u8, &str)> = vec![
            (
                Error::argument("--weeks 0", "give 1 to 52 weeks"),
                EXIT_USAGE,
                "--weeks 0: give 1 to 52 weeks",
            ),
            (
                Error::NoRegion,
                EXIT_USAGE,
                "no region: set stack.region in the config, or pass --region",
            ),
            (
                FleetError::NoTarget.into(),
                EXIT_USAGE,
                "the --accounts / --regions filters leave no target",
            ),
            (
                FleetError::Target {
                    account: "caller".into(),
                    source: Box::new(Error::NoRegion),
                }
                .into(),
                EXIT_USAGE,
                "account caller: no region",
            ),
            (
                BucketError::Missing {
                    bucket: "b".into(),
                    account: "1".into(),
                }
                .into(),
                EXIT_USAGE,
                "artifact bucket b not found in account 1: run `worktime bootstrap` first",
            ),
            (
                BucketError::Taken { bucket: "b".into() }.into(),
                EXIT_FAILURE,
                "the artifact bucket name b belongs to another account",
            ),
            (
                BucketError::NotDeleted {
                    bucket: "b".into(),
                    prefix: "p/".into(),
                    count: 7,
                    named: vec!["k1 (AccessDenied: no)".into()],
                }
                .into(),
                EXIT_FAILURE,
                "could not delete 7 object version(s) in s3://b/p/: k1 (AccessDenied: no); ...",
            ),
            (
                ArtifactError::NotZip {
                    path: PathBuf::from("code.zip"),
                }
                .into(),
                EXIT_USAGE,
                "code.zip: not a zip file",
            ),
            (
                ArtifactError::BuildFailed.into(),
                EXIT_FAILURE,
                "cargo lambda build failed",
            ),
            (
                ConfirmError::NoTerminal {
                    what: "teardown deletes stacks and artifacts".into(),
                }
                .into(),
                EXIT_USAGE,
                "teardown deletes stacks and artifacts: pass --yes to confirm when not on a terminal",
            ),
            (
                ConfirmError::Cancelled("teardown cancelled: nothing was deleted".into()).into(),
                EXIT_FAILURE,
                "teardown cancelled: nothing was deleted",
            ),
            (
                StackError::Vanished { stack: "wt".into() }.into(),
                EXIT_FAILURE,
                "stack wt disappeared while being applied",
            ),
            (
                Error::TargetsFailed {
                    failed: 1,
                    total: 3,
                },
                EXIT_FAILURE,
                "1 of 3 target(s) failed or did not start (see the table)",
            ),
        ];
        for (error, code, text) in cases {
            assert_eq!(error.exit_code(), code, "{error}");
            assert!(error.to_string().starts_with(text), "{error}");
        }
    }
}
