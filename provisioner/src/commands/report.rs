//! `worktime report`: what worktime saves, from the config and ECS (no stack needed): each
//! schedule's hours on and off a week, each service's task-hours off and, on Fargate, dollars
//! a month; as text, JSON, and on request an HTML page.

use chrono::Utc;

use crate::aws::AwsArgs;
use crate::cli::ReportArgs;
use crate::config;
use crate::error::{Error, Result};
use crate::output::{self, OutputFormat};
use crate::report::{self, html, ReportPlan, ReportRequest};

pub async fn run(args: &ReportArgs, aws: &AwsArgs, format: OutputFormat) -> Result<()> {
    let plan = ReportPlan::checked(&ReportRequest {
        weeks: args.weeks,
        from: args.from,
        price_vcpu_hour: args.price_vcpu_hour,
        price_gb_hour: args.price_gb_hour,
        html: args.html.clone(),
    })?;
    let now = Utc::now();
    let fleet = config::load(&args.config.config, now)?;
    let config = &fleet.home;

    let sdk = aws.load(Some(&config.stack.region)).await;
    let region = sdk
        .region()
        .map_or_else(|| config.stack.region.clone(), |r| r.to_string());
    let clients = crate::aws::clients::function(&sdk);
    // A woken selector's services are counted as the function selects them now; a selector
    // that cannot be read is among the report's selector errors, its wakes uncounted.
    let woken = crate::deploy::wake::select(&sdk, config, now)
        .await
        .unwrap_or_else(|_| config.clone());
    let wakes = report::wakes::read(&sdk, &woken, now).await;
    let report = report::build(&clients, config, &region, &plan, wakes, now).await?;

    if let Some(path) = &plan.html {
        std::fs::write(path, html::render(&report)).map_err(|source| Error::Io {
            path: path.clone(),
            source,
        })?;
        eprintln!("wrote {}", path.display());
    }
    output::print(&report, format);
    // Not a failure (the figures stand, without the wakes): said where it is seen.
    if let Some(warning) = report.wakes.as_ref().and_then(|w| w.warning.as_ref()) {
        if format != OutputFormat::Text {
            eprintln!("warning: {warning}");
        }
    }
    match report.unreadable() {
        0 => Ok(()),
        unread => Err(Error::ServicesUnread {
            unread,
            total: report.totals.services,
        }),
    }
}
