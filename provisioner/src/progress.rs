//! Progress on stderr: a spinner on a terminal, plain lines otherwise. Results go to stdout
//! (see each command), so `worktime ... > out.json` captures only results.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

use crate::error::Result;

pub struct Progress {
    spinner: Option<ProgressBar>,
    /// Put before every line (a rollout's `[account/region] `); no spinner then.
    prefix: String,
}

impl Progress {
    /// A spinner when stderr is a terminal, plain lines otherwise.
    pub fn new() -> Self {
        let spinner = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new_spinner();
            bar.set_style(
                ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        });
        Progress {
            spinner,
            prefix: String::new(),
        }
    }

    /// Plain lines, each starting with `prefix`: for many targets at once, where one
    /// spinner per target would garble the terminal.
    pub fn prefixed(prefix: impl Into<String>) -> Self {
        Progress {
            spinner: None,
            prefix: prefix.into(),
        }
    }

    /// A step that is starting ("creating change set").
    pub fn step(&self, message: impl Into<String>) {
        let message = message.into();
        match &self.spinner {
            Some(bar) => bar.set_message(message),
            None => eprintln!("{}{message}", self.prefix),
        }
    }

    /// A line worth keeping on screen (a stack event, a finished step).
    pub fn line(&self, message: impl AsRef<str>) {
        match &self.spinner {
            Some(bar) => bar.println(message.as_ref()),
            None => eprintln!("{}{}", self.prefix, message.as_ref()),
        }
    }

    /// A warning, marked as such.
    pub fn warn(&self, message: impl AsRef<str>) {
        match &self.spinner {
            Some(bar) => bar.println(format!("warning: {}", message.as_ref())),
            None => eprintln!("{}warning: {}", self.prefix, message.as_ref()),
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.spinner {
            bar.finish_and_clear();
        }
    }
}

impl Default for Progress {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}

/// A confirmation not given: refused without a terminal (exit 2, nothing was changed), the
/// answer no (exit 1, `cancelled` says what was not done) or unreadable (exit 1).
#[derive(Debug, thiserror::Error)]
pub enum ConfirmError {
    #[error("{what}: pass --yes to confirm when not on a terminal")]
    NoTerminal { what: String },
    #[error("{0}")]
    Cancelled(String),
    #[error("reading the answer: {0}")]
    Unreadable(#[source] std::io::Error),
}

impl ConfirmError {
    pub fn is_usage(&self) -> bool {
        matches!(self, ConfirmError::NoTerminal { .. })
    }
}

/// The one confirmation policy of every command that changes things: `--yes` goes ahead;
/// on a terminal, ask `question`; without one, refuse (exit 2) — nobody can answer, and
/// changing things unasked is not a default. `what` says what would have happened.
/// `Ok(false)`: the user said no.
pub fn confirm(question: &str, what: &str, yes: bool, progress: Option<&Progress>) -> Result<bool> {
    if yes {
        return Ok(true);
    }
    if !std::io::stdin().is_terminal() {
        return Err(ConfirmError::NoTerminal {
            what: what.to_string(),
        }
        .into());
    }
    ask(progress, question).map_err(|e| ConfirmError::Unreadable(e).into())
}

/// [`confirm`] for a command that has nothing to do when the answer is no: a "no" is an
/// error that says `cancelled` (exit 1).
pub fn confirm_or_cancel(question: &str, what: &str, yes: bool, cancelled: &str) -> Result<()> {
    if confirm(question, what, yes, None)? {
        Ok(())
    } else {
        Err(ConfirmError::Cancelled(cancelled.to_string()).into())
    }
}

/// Asks a yes/no question on the terminal (stderr), after clearing any spinner. Anything but
/// "y"/"yes" is no.
fn ask(progress: Option<&Progress>, question: &str) -> std::io::Result<bool> {
    use std::io::{BufRead, Write};
    if let Some(progress) = progress {
        progress.finish();
    }
    eprint!("{question} [y/N] ");
    std::io::stderr().flush().ok();
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes" | "YES"))
}
