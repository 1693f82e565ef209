//! Progress on stderr: a spinner on a terminal, plain lines otherwise. Results go to stdout
//! (see each command), so `worktime ... > out.json` captures only results.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

pub struct Progress {
    spinner: Option<ProgressBar>,
    quiet: bool,
    /// Put before every line (a rollout's `[account/region] `); no spinner then.
    prefix: String,
}

impl Progress {
    /// A spinner when stderr is a terminal; `quiet` silences everything but warnings.
    pub fn new(quiet: bool) -> Self {
        let spinner = (!quiet && std::io::stderr().is_terminal()).then(|| {
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
            quiet,
            prefix: String::new(),
        }
    }

    /// Plain lines, each starting with `prefix`: for many targets at once, where one
    /// spinner per target would garble the terminal.
    pub fn prefixed(prefix: impl Into<String>) -> Self {
        Progress {
            spinner: None,
            quiet: false,
            prefix: prefix.into(),
        }
    }

    /// A step that is starting ("creating change set").
    pub fn step(&self, message: impl Into<String>) {
        let message = message.into();
        match &self.spinner {
            Some(bar) => bar.set_message(message),
            None if !self.quiet => eprintln!("{}{message}", self.prefix),
            None => {}
        }
    }

    /// A line worth keeping on screen (a stack event, a finished step).
    pub fn line(&self, message: impl AsRef<str>) {
        match &self.spinner {
            Some(bar) => bar.println(message.as_ref()),
            None if !self.quiet => eprintln!("{}{}", self.prefix, message.as_ref()),
            None => {}
        }
    }

    /// Shown even when quiet.
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

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}

/// Asks a yes/no question on the terminal (stderr), after clearing any spinner. Anything but
/// "y"/"yes" is no.
pub fn ask(progress: Option<&Progress>, question: &str) -> std::io::Result<bool> {
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
