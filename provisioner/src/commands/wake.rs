//! `worktime wake CLUSTER/SERVICE... [--for D]`: holds the services, then scales them out now
//! with the function's own code (`hold::wake`), so that a scale-in during the wake leaves them
//! running. A service that does not come up has its hold taken back.

use std::fmt;

use chrono::Utc;
use serde::Serialize;
use worktime_lambda::{Capacity, Outcome};

use crate::aws::AwsArgs;
use crate::cli::WakeArgs;
use crate::error::Result;
use crate::hold::{self, WakeLine};
use crate::output::{self, OutputFormat};

pub async fn run(args: &WakeArgs, aws: &AwsArgs, format: OutputFormat) -> Result<()> {
    let now = Utc::now();
    let prepared = hold::prepare(
        &args.config.config,
        &args.services,
        aws,
        now,
        |config, tags| hold::plan_wake(config, &args.services, args.duration, now, tags),
    )
    .await?;
    let report = WakeReport {
        duration: args.duration.to_string(),
        services: hold::wake(&prepared).await,
    };
    output::print(&report, format);
    hold::failures(
        report.services.iter().map(|line| &line.hold),
        "were not woken and held",
    )?;
    Ok(())
}

/// What `wake` did.
#[derive(Debug, Serialize)]
struct WakeReport {
    /// `--for`, in canonical form (`2h`, `1h30m`).
    duration: String,
    services: Vec<WakeLine>,
}

impl fmt::Display for WakeReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let show = |c: Option<Capacity>| c.map_or_else(|| "-".into(), |c| c.to_string());
        let count = |d: Option<i32>| d.map_or_else(|| "-".into(), |d| d.to_string());
        let width = self
            .services
            .iter()
            .map(|s| s.service.len())
            .max()
            .unwrap_or(0);
        for line in &self.services {
            let Some(up) = &line.scale_out else {
                writeln!(f, "{:<width$}  {}", line.service, line.hold)?;
                continue;
            };
            let outcome = match up.outcome {
                Outcome::Failed => "FAILED".to_string(),
                other => other.to_string(),
            };
            write!(
                f,
                "{:<width$}  scale-out {outcome} (bounds {} -> {}, desired {} -> {})",
                line.service,
                show(up.before),
                show(up.after),
                count(up.desired_before),
                count(up.desired_after),
            )?;
            // A scale-out that did not happen is explained by the hold line.
            if let (Some(reason), false) = (&up.reason, line.hold.is_failure()) {
                write!(f, " {reason}")?;
            }
            writeln!(f, "; {}", line.hold)?;
        }
        writeln!(f, "woken for {}", self.duration)
    }
}
