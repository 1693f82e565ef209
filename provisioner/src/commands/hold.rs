//! `worktime hold CLUSTER/SERVICE... (--for D | --until T | --clear)`: writes (or removes)
//! each service's `worktime:hold-until` tag, after checking the arguments against the config
//! and every service against ECS (a hold is refused for a service that is down already:
//! `worktime wake` is the command for that).

use std::fmt;

use chrono::Utc;
use serde::Serialize;

use crate::aws::AwsArgs;
use crate::cli::HoldArgs;
use crate::error::Result;
use crate::hold::{self, HoldLine};
use crate::output::{self, OutputFormat};

pub async fn run(args: &HoldArgs, aws: &AwsArgs, format: OutputFormat) -> Result<()> {
    let (request, now) = (args.request(), Utc::now());
    let prepared = hold::prepare(
        &args.config.config,
        &args.services,
        aws,
        now,
        |config, tags| hold::plan_hold(config, &args.services, request, now, tags),
    )
    .await?;
    let report = HoldReport {
        services: hold::hold(request, &prepared).await?,
    };
    output::print(&report, format);
    hold::failures(report.services.iter(), "could not be held (or cleared)")?;
    Ok(())
}

/// What `hold` did, per service.
#[derive(Debug, Serialize)]
struct HoldReport {
    services: Vec<HoldLine>,
}

impl fmt::Display for HoldReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let width = self
            .services
            .iter()
            .map(|s| s.service.len())
            .max()
            .unwrap_or(0);
        for line in &self.services {
            writeln!(f, "{:<width$}  {line}", line.service)?;
        }
        Ok(())
    }
}
