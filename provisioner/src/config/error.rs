//! `ConfigError`, and the mapping of TOML syntax and type errors to file, line and key.

use std::fmt;
use std::path::{Path, PathBuf};

// ---------------------------------------------------------------------------------------

/// A configuration that can't be used: where (file, line, key), what is wrong, and the fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigError {
    /// The configuration file.
    pub path: PathBuf,
    /// 1-based line number, when known.
    pub line: Option<usize>,
    /// Key path such as `services[2].min` or `schedule.timezone`, when the problem has one.
    pub key: Option<String>,
    /// What is wrong.
    pub problem: String,
    /// How to fix it.
    pub fix: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        write!(f, ": ")?;
        if let Some(key) = &self.key {
            write!(f, "{key}: ")?;
        }
        write!(
            f,
            "{}. Fix: {}",
            self.problem.trim_end_matches('.'),
            self.fix.trim_end_matches('.')
        )?;
        f.write_str(".")
    }
}

/// 1-based line of byte `offset` in `text`.
pub(super) fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

/// Best-effort key path at byte `offset`: the enclosing table (with the `[[services]]`
/// index) and the key on that line, if any.
/// Also says whether that line is a table header.
fn key_at(text: &str, offset: usize) -> (Option<String>, Option<String>, bool) {
    let line_no = line_of(text, offset);
    let mut table: Option<String> = None;
    let mut counts: std::collections::HashMap<String, usize> = Default::default();
    let mut key = None;
    let mut header = false;
    for (i, line) in text.lines().enumerate().take(line_no) {
        let code = line.split('#').next().unwrap_or("").trim();
        header = false;
        if let Some(inner) = code.strip_prefix("[[").and_then(|c| c.strip_suffix("]]")) {
            let name = inner.trim().to_string();
            let n = counts.entry(name.clone()).or_insert(0);
            table = Some(format!("{name}[{n}]"));
            *n += 1;
            header = true;
        } else if let Some(inner) = code.strip_prefix('[').and_then(|c| c.strip_suffix(']')) {
            table = Some(inner.trim().to_string());
            header = true;
        } else if i + 1 == line_no {
            if let Some((lhs, _)) = code.split_once('=') {
                let lhs = lhs.trim().trim_matches('"').trim_matches('\'');
                if !lhs.is_empty() {
                    key = Some(lhs.to_string());
                }
            }
        }
    }
    (table, key, header)
}

fn join_key(table: Option<String>, key: Option<String>) -> Option<String> {
    match (table, key) {
        (Some(t), Some(k)) => Some(format!("{t}.{k}")),
        (t, k) => t.or(k),
    }
}

pub(super) fn toml_error(e: &toml::de::Error, text: &str, path: &Path) -> ConfigError {
    let message = e.message().trim().to_string();
    let (line, table, line_key, on_header) = match e.span() {
        Some(span) => {
            let (t, k, h) = key_at(text, span.start);
            (Some(line_of(text, span.start)), t, k, h)
        }
        None => (None, None, None, false),
    };
    let backticked = |m: &str| m.split('`').nth(1).map(str::to_string);
    let (key, fix) = if message.starts_with("unknown field") {
        let field = backticked(&message);
        // On a header line the unknown key is the table itself (`[functions]`).
        let key = if on_header {
            table
        } else {
            join_key(table, field.or(line_key))
        };
        (
            key,
            "remove the key or correct its spelling (the accepted keys are listed above; `worktime init` writes a commented example)".to_string(),
        )
    } else if message.starts_with("missing field") {
        let field = backticked(&message);
        // The span of a missing key is its table's; don't take a key from that line.
        (
            join_key(table, field),
            "add it (`worktime init` writes a commented example with every key)".to_string(),
        )
    } else if message.starts_with("invalid type") || message.starts_with("invalid value") {
        (
            join_key(table, line_key),
            "give a value of the expected type: quote strings and dates (\"2026-12-25\"), write numbers without quotes".to_string(),
        )
    } else if message.starts_with("duplicate key") {
        (
            join_key(table, line_key),
            "remove the repeated key or table (use [[services]] for each service)".to_string(),
        )
    } else {
        (
            join_key(table, line_key),
            "correct the TOML syntax on that line (see https://toml.io)".to_string(),
        )
    };
    ConfigError {
        path: path.to_path_buf(),
        line,
        key,
        problem: message.replace('\n', " "),
        fix,
    }
}
