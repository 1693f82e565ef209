//! `worktime report`'s arguments as a checked plan, before the config is read or any call is
//! made: each bad value exits 2 with a message naming its argument.

use std::path::{Path, PathBuf};

use chrono::Datelike;

use crate::error::{Error, Result};
use crate::hours::{Period, PeriodStart, MAX_WEEKS};

use super::prices::PriceOverrides;

/// The years `--from` accepts: any real period, and far from the calendar's limits.
const FIRST_YEAR: i32 = 1970;
const LAST_YEAR: i32 = 9999;

/// What `worktime report` was asked, as given: the command builds it from its arguments, so
/// that nothing below the commands sees the command line.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ReportRequest {
    pub weeks: u32,
    pub from: Option<chrono::NaiveDate>,
    pub price_vcpu_hour: Option<f64>,
    pub price_gb_hour: Option<f64>,
    pub html: Option<PathBuf>,
}

/// What the report covers and where it goes.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportPlan {
    pub period: Period,
    pub prices: PriceOverrides,
    /// Where to write the HTML page (its directory exists).
    pub html: Option<PathBuf>,
}

impl ReportPlan {
    pub fn checked(args: &ReportRequest) -> Result<ReportPlan> {
        if !(1..=MAX_WEEKS).contains(&args.weeks) {
            return Err(Error::argument(
                format!("--weeks {}", args.weeks),
                format!("give 1 to {MAX_WEEKS} weeks"),
            ));
        }
        if let Some(date) = args.from {
            if !(FIRST_YEAR..=LAST_YEAR).contains(&date.year()) {
                return Err(Error::argument(
                    format!("--from {date}"),
                    format!("give a date from {FIRST_YEAR} to {LAST_YEAR}"),
                ));
            }
        }
        let prices = PriceOverrides {
            vcpu_hour: checked_price("--price-vcpu-hour", args.price_vcpu_hour)?,
            gb_hour: checked_price("--price-gb-hour", args.price_gb_hour)?,
        };
        if let Some(path) = &args.html {
            check_html_path(path)?;
        }
        Ok(ReportPlan {
            period: Period {
                start: args.from.map_or(PeriodStart::NextWeek, PeriodStart::WeekOf),
                weeks: args.weeks,
            },
            prices,
            html: args.html.clone(),
        })
    }
}

fn checked_price(argument: &str, price: Option<f64>) -> Result<Option<f64>> {
    match price {
        Some(usd) if !(usd.is_finite() && usd > 0.0) => Err(Error::argument(
            format!("{argument} {usd}"),
            "give a price in USD greater than 0 (e.g. 0.04048)",
        )),
        other => Ok(other),
    }
}

/// The page can be written there: a file name in a directory that exists.
fn check_html_path(path: &Path) -> Result<()> {
    if path.as_os_str().is_empty() || path.is_dir() {
        return Err(Error::argument(
            format!("--html {}", path.display()),
            "give a file name to write the page to (e.g. report.html)",
        ));
    }
    let directory = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    if !directory.is_dir() {
        return Err(Error::argument(
            format!("--html {}", path.display()),
            format!(
                "directory {} does not exist; create it first or choose another path",
                directory.display()
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(weeks: u32) -> ReportRequest {
        ReportRequest {
            weeks,
            ..ReportRequest::default()
        }
    }

    fn usage(args: &ReportRequest) -> String {
        match ReportPlan::checked(args) {
            Err(error @ Error::Argument { .. }) => {
                assert_eq!(error.exit_code(), crate::error::EXIT_USAGE);
                error.to_string()
            }
            other => panic!("expected a usage error, got {other:?}"),
        }
    }

    #[test]
    fn defaults_are_the_next_four_weeks_at_list_prices() {
        let plan = ReportPlan::checked(&args(4)).unwrap();
        assert_eq!(plan.period, Period::default());
        assert_eq!(plan.prices, PriceOverrides::default());
        assert_eq!(plan.html, None);
    }

    #[test]
    fn weeks_are_1_to_52() {
        assert!(usage(&args(0)).starts_with("--weeks 0:"));
        assert!(usage(&args(53)).contains("1 to 52"));
        assert_eq!(ReportPlan::checked(&args(52)).unwrap().period.weeks, 52);
        let from = ReportRequest {
            from: Some("2030-03-27".parse().unwrap()),
            ..args(1)
        };
        assert_eq!(
            ReportPlan::checked(&from).unwrap().period.start,
            PeriodStart::WeekOf("2030-03-27".parse().unwrap())
        );
        let far = ReportRequest {
            from: chrono::NaiveDate::from_ymd_opt(12000, 1, 1),
            ..args(1)
        };
        assert!(usage(&far).starts_with("--from"));
    }

    #[test]
    fn prices_are_positive_and_finite() {
        for bad in [0.0, -0.04, f64::NAN, f64::INFINITY] {
            let message = usage(&ReportRequest {
                price_vcpu_hour: Some(bad),
                ..args(4)
            });
            assert!(message.starts_with("--price-vcpu-hour"), "{message}");
            let message = usage(&ReportRequest {
                price_gb_hour: Some(bad),
                ..args(4)
            });
            assert!(message.starts_with("--price-gb-hour"), "{message}");
        }
        let plan = ReportPlan::checked(&ReportRequest {
            price_vcpu_hour: Some(0.05),
            price_gb_hour: Some(0.005),
            ..args(4)
        })
        .unwrap();
        assert_eq!(plan.prices.vcpu_hour, Some(0.05));
        assert_eq!(plan.prices.gb_hour, Some(0.005));
    }

    #[test]
    fn the_html_page_goes_into_a_directory_that_exists() {
        let dir = tempfile::tempdir().unwrap();
        let inside = dir.path().join("report.html");
        let plan = ReportPlan::checked(&ReportRequest {
            html: Some(inside.clone()),
            ..args(4)
        })
        .unwrap();
        assert_eq!(plan.html, Some(inside));
        // A bare file name: the current directory.
        assert!(ReportPlan::checked(&ReportRequest {
            html: Some("report.html".into()),
            ..args(4)
        })
        .is_ok());
        let missing = usage(&ReportRequest {
            html: Some(dir.path().join("nope/report.html")),
            ..args(4)
        });
        assert!(missing.starts_with("--html"), "{missing}");
        assert!(missing.contains("does not exist"), "{missing}");
        let directory = usage(&ReportRequest {
            html: Some(dir.path().to_path_buf()),
            ..args(4)
        });
        assert!(directory.contains("file name"), "{directory}");
    }
}
