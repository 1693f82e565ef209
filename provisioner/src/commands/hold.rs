//! `worktime hold CLUSTER/SERVICE... (--for D | --until T | --clear)`: writes (or removes)
//! each service's `worktime:hold-until` tag, after checking the arguments against the config
//! and every service against ECS (a hold is refused for a service that is down already:
//! `worktime wake` is the command for that).

use std::fmt;

use chrono::Utc;
use serde::Serialize;

use crate::aws::AwsArgs;
use crate::cli::HoldArgs;
use crate::config;
use crate::error::Result;
use crate::hold::{self, HoldLine};
use crate::output::{self, OutputFormat};

pub async fn run(args: &HoldArgs, aws: &AwsArgs, format: OutputFormat) -> Result<()> {
    let now = Utc::now();
    let fleet = config::load(&args.config.config, now)?;
    let config = &fleet.home;
    // Everything typed is checked before any call (services chosen by tag selectors are
    // confirmed from their tags, read before anything is written).
    hold::plan_hold(
        config,
        &args.services,
        args.request(),
        now,
        &hold::assume_tagged(config, &args.services),
    )?;
    let hold::LookedUp {
        clients,
        arns,
        tags,
    } = hold::look_up(config, &args.services, aws).await?;
    let targets = hold::plan_hold(config, &args.services, args.request(), now, &tags)?;
    // A hold keeps a running service up; one that is down already needs `wake`. Checked for
    // every service before any is written.
    if args.request() != hold::HoldRequest::Clear {
        let names: Vec<hold::ServiceName> = targets.iter().map(|t| t.name.clone()).collect();
        hold::refuse_down(&clients, &names).await?;
    }

    let mut services = Vec::with_capacity(targets.len());
    for (target, arn) in targets.iter().zip(&arns) {
        services.push(hold::write_hold(&clients, target, arn).await);
    }
    let report = HoldReport { services };
    output::print(&report, format);
    hold::failures(
        report
            .services
            .iter()
            .filter(|line| line.is_failure())
            .map(|line| (line.service.as_str(), line.reason.as_deref())),
        report.services.len(),
        "could not be held (or cleared)",
    )?;
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
