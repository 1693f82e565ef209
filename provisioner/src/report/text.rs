//! The report as text: per schedule its figures and a week chart (Mon–Sun × 24 local hours,
//! `#` up, `.` down), then the services as a table, the prices and the totals.

use std::fmt;

use super::{Report, ScheduleHours, ServiceSaving};
use crate::hours::WeekChart;

const UP: char = '#';
const DOWN: char = '.';

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for schedule in &self.schedules {
            write_schedule(f, schedule)?;
            writeln!(f)?;
        }
        write_services(f, &self.services)?;
        writeln!(f)?;
        if let Some(wakes) = &self.wakes {
            write_wakes(f, wakes)?;
            writeln!(f)?;
        }
        for group in &self.groups {
            writeln!(
                f,
                "group {} (cluster {}, schedule {}): {} instance(s) in working hours ({}), {:.1} instance-hours off a week{}",
                group.autoscaling_group,
                group.cluster,
                group.schedule,
                group.working_instances,
                match group.working_instances_from {
                    super::groups::InstancesFrom::Current => "now",
                    super::groups::InstancesFrom::Remembered => "remembered",
                    super::groups::InstancesFrom::Unknown => "unknown",
                },
                group.instance_hours_off_per_week,
                group
                    .error
                    .as_ref()
                    .or(group.reason.as_ref())
                    .map_or_else(String::new, |why| format!(" ({why})")),
            )?;
        }
        if let Some(hours) = self.totals.instance_hours_off_per_week {
            writeln!(
                f,
                "total {} group(s): {hours:.1} instance-hours off a week (EC2: instance-hours only)",
                self.groups.len()
            )?;
            writeln!(f)?;
        }
        if !self.instances.is_empty() {
            writeln!(f, "{}", self.instances)?;
        }
        for price in &self.prices {
            match price.rates() {
                Some((vcpu_hour, gb_hour)) => writeln!(
                    f,
                    "price {} Fargate {:<6}  USD {vcpu_hour} per vCPU-hour, {gb_hour} per GB-hour; source: {}",
                    price.region, price.architecture, price.source
                )?,
                None => writeln!(
                    f,
                    "price {} Fargate {:<6}  none: {}",
                    price.region,
                    price.architecture,
                    price.reason.as_deref().unwrap_or("unknown")
                )?,
            }
        }
        let totals = &self.totals;
        writeln!(
            f,
            "total {} service{}: {:.1} task-hours off a week, {} a month saved ({} priced, {} task-hours only{})",
            totals.services,
            if totals.services == 1 { "" } else { "s" },
            totals.task_hours_off_per_week,
            totals
                .usd_per_month_saved
                .map_or_else(|| "no USD figure".to_string(), |usd| format!("USD {usd:.2}")),
            totals.services_priced,
            totals.services_not_priced,
            match totals.services_unreadable {
                0 => String::new(),
                n => format!(", {n} unreadable"),
            }
        )
    }
}

fn write_schedule(f: &mut fmt::Formatter<'_>, schedule: &ScheduleHours) -> fmt::Result {
    let hours = &schedule.hours;
    writeln!(
        f,
        "schedule {} ({}, {}): up {} .. down {}",
        schedule.name, schedule.timezone, schedule.trigger, schedule.scale_out, schedule.scale_in
    )?;
    writeln!(
        f,
        "  {:.1} h on / {:.1} h off per week, average of {} week{} from Mon {} to Sun {}",
        hours.on_hours_per_week,
        hours.off_hours_per_week,
        hours.weeks.len(),
        if hours.weeks.len() == 1 { "" } else { "s" },
        hours.first_monday,
        hours.end_monday.pred_opt().unwrap_or(hours.end_monday),
    )?;
    for week in hours.weeks.iter().filter(|w| w.hours != 168.0) {
        writeln!(
            f,
            "  week of {}: {:.0} h (clocks changed): {:.1} on / {:.1} off",
            week.monday, week.hours, week.on_hours, week.off_hours
        )?;
    }
    if !hours.skip_dates.is_empty() {
        let dates: Vec<String> = hours.skip_dates.iter().map(|d| d.to_string()).collect();
        writeln!(f, "  skip dates (down all day): {}", dates.join(", "))?;
    }
    for error in &schedule.selector_errors {
        writeln!(f, "  {error}")?;
    }
    write_chart(f, &schedule.chart, &schedule.timezone)
}

fn write_chart(f: &mut fmt::Formatter<'_>, chart: &WeekChart, zone: &str) -> fmt::Result {
    writeln!(
        f,
        "  week of {} as the crons make it ({UP} up, {DOWN} down; hours in {zone}):",
        chart.monday
    )?;
    let tens: String = (0..24).map(|h| char::from(b'0' + h / 10)).collect();
    let ones: String = (0..24).map(|h| char::from(b'0' + h % 10)).collect();
    writeln!(f, "        {tens}")?;
    writeln!(f, "        {ones}")?;
    for day in &chart.days {
        let cells: String = day
            .on
            .iter()
            .map(|on| if *on { UP } else { DOWN })
            .collect();
        writeln!(f, "    {}  {cells}", day.weekday)?;
    }
    Ok(())
}

fn write_services(f: &mut fmt::Formatter<'_>, services: &[ServiceSaving]) -> fmt::Result {
    let header = [
        "SERVICE",
        "SCHEDULE",
        "LAUNCH",
        "ARCH",
        "VCPU",
        "GIB",
        "TASKS",
        "TASK-H OFF/WK",
        "USD/MONTH",
    ];
    let rows: Vec<[String; 9]> = services.iter().map(row).collect();
    let mut widths = header.map(str::len);
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.len());
        }
    }
    let line = |cells: &[String]| -> String {
        cells
            .iter()
            .zip(widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    writeln!(f, "{}", line(&header.map(str::to_string)))?;
    if services.is_empty() {
        writeln!(f, "(no services)")?;
    }
    for (service, row) in services.iter().zip(&rows) {
        writeln!(f, "{}", line(row))?;
        if let Some(error) = &service.error {
            writeln!(f, "  error: {error}")?;
        } else if let Some(reason) = &service.reason {
            writeln!(f, "  {reason}")?;
        }
    }
    Ok(())
}

fn row(service: &ServiceSaving) -> [String; 9] {
    let or_dash = |value: Option<String>| value.unwrap_or_else(|| "-".to_string());
    [
        match &service.selected_by {
            Some(selector) => format!("{} (tag {selector})", service.resource_id),
            None => service.resource_id.clone(),
        },
        service.schedule.clone(),
        or_dash(service.launch_type.as_ref().map(|l| l.to_string())),
        or_dash(service.cpu_architecture.map(|a| a.to_string())),
        or_dash(service.cpu_vcpu.map(|v| format!("{v}"))),
        or_dash(service.memory_gib.map(|g| format!("{g}"))),
        service.working_desired.to_string(),
        format!("{:.1}", service.task_hours_off_per_week),
        or_dash(service.usd_per_month_saved.map(|usd| format!("{usd:.2}"))),
    ]
}

/// The wakes on request of the last week, or why they are not counted.
fn write_wakes(f: &mut fmt::Formatter<'_>, wakes: &super::wakes::Wakes) -> fmt::Result {
    writeln!(
        f,
        "wakes on request (the last {} days, from the function's log group):",
        wakes.days
    )?;
    if let Some(warning) = &wakes.warning {
        return writeln!(f, "  warning: {warning}");
    }
    for tally in &wakes.services {
        writeln!(
            f,
            "  {}: {} wake{}, {:.1} h up at night{}",
            tally.resource_id,
            tally.wakes,
            if tally.wakes == 1 { "" } else { "s" },
            tally.hours_up_at_night,
            tally
                .usual_seconds
                .map_or_else(String::new, |s| format!(", a wake usually takes {s} s")),
        )?;
    }
    writeln!(
        f,
        "  the savings above count those hours as up (taken off each service's hours off)"
    )
}
