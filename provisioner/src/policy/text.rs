//! The text form: a comment line per statement (IAM has no comments), then each document
//! as it is pasted into IAM.

use std::fmt;

use super::{NamedPolicy, PolicyReport};

impl fmt::Display for NamedPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "# policy {}: for {}", self.name, self.holder)?;
        writeln!(
            f,
            "# account {}, region(s) {}; {} characters",
            self.account,
            self.regions.join(", "),
            self.size
        )?;
        for statement in &self.document.statement {
            let commands: Vec<&str> = statement.commands.iter().map(|c| c.as_str()).collect();
            write!(f, "# {}: needed by {}", statement.sid, commands.join(", "))?;
            for note in &statement.notes {
                write!(f, "; {note}")?;
            }
            writeln!(f)?;
        }
        let json = serde_json::to_string_pretty(&self.document).map_err(|_| fmt::Error)?;
        writeln!(f, "{json}")
    }
}

impl fmt::Display for PolicyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let commands: Vec<&str> = self.commands.iter().map(|c| c.as_str()).collect();
        writeln!(
            f,
            "# worktime stack {}: what {} need(s)",
            self.stack,
            commands.join(", ")
        )?;
        for note in &self.notes {
            writeln!(f, "# note: {note}")?;
        }
        for policy in &self.policies {
            writeln!(f)?;
            write!(f, "{policy}")?;
        }
        Ok(())
    }
}
