//! The commented example `worktime.toml` (`worktime init` writes it) and why writing it can
//! fail. In the configuration layer: the example is checked by the configuration's own parser.

use std::io::Write;
use std::path::{Path, PathBuf};

/// Why the example could not be written.
#[derive(Debug, thiserror::Error)]
pub enum InitError {
    #[error("{}: the file already exists; worktime init never overwrites a configuration. Fix: edit it, delete or rename it first, or pass another path", path.display())]
    Exists { path: PathBuf },
    #[error("{}: can't write the example configuration ({source}). Fix: check that the directory exists and is writable, or pass another path", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// A commented example configuration; every key is explained.
pub const EXAMPLE_CONFIG: &str = r#"# worktime.toml: keep Amazon ECS services running only during working hours.
#
# A Lambda function scales the services below to 0 tasks at the end of the working day
# (scale_in) and back up at its start (scale_out). `worktime deploy` creates or updates the
# CloudFormation stack from this file; `worktime synth` prints the template instead.

[stack]
# Name of the CloudFormation stack and prefix of every resource it creates.
# Letters, digits and hyphens, starting with a letter, at most 32 characters.
name = "worktime"
# The AWS Region of the ECS services (and of the stack).
region = "ap-northeast-2"
# Optional: the role CloudFormation creates, updates and deletes the stack as (trusted by
# cloudformation.amazonaws.com). You then need only iam:PassRole on it, not the rights to
# create the stack's resources: `worktime policy --execution-role` prints both policies.
# execution_role_arn = "arn:aws:iam::123456789012:role/worktime-cloudformation"

[schedule]
# IANA time zone name the two crons below are written in (for example "Asia/Seoul",
# "Europe/Berlin", "America/New_York", "UTC").
timezone = "Asia/Seoul"

# AWS cron expressions: cron(minutes hours day-of-month month day-of-week year), in
# `timezone` local time. Exactly one of day-of-month / day-of-week must be "?".
# Day-of-week counts from SUN=1 (or use SUN-SAT names).
# When working hours begin: services get their working-hours capacity back.
scale_out = "cron(0 9 ? * MON-FRI *)"
# When working hours end: services go to 0 tasks (min = max = 0).
scale_in = "cron(0 19 ? * MON-FRI *)"

# What fires the function:
#   "scheduler" (default): EventBridge Scheduler evaluates the crons in `timezone`,
#                daylight saving time included. Works for every zone.
#   "rules":     classic EventBridge rules, which run in UTC. worktime converts the crons
#                to UTC, which is only exact for zones without daylight saving (such as
#                Asia/Seoul or Asia/Kolkata); it refuses zones with DST.
trigger = "scheduler"

# Optional: local dates ("YYYY-MM-DD", or inclusive ranges "2026-12-24..2027-01-01") on which
# services are NOT scaled out (holidays). Scale-in still runs on those dates, so nothing is
# left running by accident. Dates already past are not deployed.
skip_dates = ["2026-12-25", "2027-01-01"]

# Optional: every this many minutes a reconcile trigger converges each service on what the
# schedule says now: at night, whatever runs again (a deploy, a person, an ended hold) goes
# back to 0/0; in the day nothing is written, but a service that has not started its tasks
# within ready_within_minutes fails the run (the errors alarm and [notify] hear it).
# 5 to 60, or 0 for no reconcile; default 15.
reconcile_minutes = 15
# 1 to 120; default 15.
ready_within_minutes = 15

# One [[services]] table per ECS service to manage.
# cluster / service: the names (not ARNs) of the ECS cluster and service.
# min / max: the Application Auto Scaling capacity during working hours. Give both or
# neither: with neither, the service is in "restore mode" and gets back exactly the
# capacity it had before the evening scale-in (worktime remembers it in a tag).

[[services]]
cluster = "prod"
service = "api"
min = 1
max = 3

[[services]]
# Restore mode: no min / max.
cluster = "prod"
service = "worker"

# Optional: the scaling function itself. Leave the table out to use these defaults.
[function]
# "arm64" (Graviton, cheaper) or "x86_64".
architecture = "arm64"
# Memory in MB, 128 to 10240.
memory_mb = 128
# Timeout in seconds, 1 to 900.
timeout_seconds = 60
# How long CloudWatch Logs keeps the function's logs, in days: one of 1, 3, 5, 7, 14, 30,
# 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653.
log_retention_days = 30
"#;

/// Writes [`EXAMPLE_CONFIG`] to `path`; refuses if a file is already there.
pub fn write_example(path: &Path) -> Result<(), InitError> {
    let mut file = match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
    {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err(InitError::Exists {
                path: path.to_path_buf(),
            })
        }
        Err(source) => {
            return Err(InitError::Write {
                path: path.to_path_buf(),
                source,
            })
        }
    };
    file.write_all(EXAMPLE_CONFIG.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|source| InitError::Write {
            path: path.to_path_buf(),
            source,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{self, Trigger};

    #[test]
    fn example_parses() {
        // A fixed day before the example's skip dates (past ones are not deployed).
        let day = chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 6, 1, 12, 0, 0).unwrap();
        let c = config::parse(EXAMPLE_CONFIG, Path::new("worktime.toml"), day)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.home.stack.name, "worktime");
        assert_eq!(c.home.schedule.trigger, Trigger::Scheduler);
        assert_eq!(c.home.services.len(), 2);
        assert!(c.home.services[0].capacity.is_some());
        assert!(c.home.services[1].capacity.is_none());
        assert_eq!(c.home.schedule.skip_dates.len(), 2);
        assert_eq!(c.home.schedule.reconcile_minutes, Some(15));
        assert_eq!(c.home.schedule.ready_within_minutes, 15);
    }

    #[test]
    fn example_also_works_with_rules() {
        let text = EXAMPLE_CONFIG.replace("trigger = \"scheduler\"", "trigger = \"rules\"");
        let c = config::parse(&text, Path::new("worktime.toml"), chrono::Utc::now())
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.home.schedule.trigger, Trigger::Rules);
    }

    #[test]
    fn writes_once_then_refuses() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("worktime.toml");
        write_example(&path).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), EXAMPLE_CONFIG);
        config::load(&path, chrono::Utc::now()).unwrap();

        std::fs::write(&path, "# mine\n").unwrap();
        let e = write_example(&path).unwrap_err();
        assert!(matches!(e, InitError::Exists { .. }));
        let msg = e.to_string();
        assert!(
            msg.contains("worktime.toml") && msg.contains("already exists") && msg.contains("Fix:"),
            "{msg}"
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "# mine\n");
    }

    #[test]
    fn reports_unwritable_paths() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing-dir").join("worktime.toml");
        let e = write_example(&path).unwrap_err();
        assert!(matches!(e, InitError::Write { .. }), "{e}");
        assert!(e.to_string().contains("missing-dir"), "{e}");
    }
}
