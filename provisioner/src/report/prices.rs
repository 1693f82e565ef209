//! What a Fargate task-hour costs, and so what the hours worktime keeps a service down save.
//!
//! The table holds AWS Fargate On-Demand **list prices** for Linux tasks, per vCPU-hour and
//! per GB-hour, for x86_64 and ARM64 (Graviton), as published on the AWS Fargate pricing
//! page (aws.amazon.com/fargate/pricing) and as of [`PRICE_TABLE_DATE`]. They are not read at
//! run time and do not know your discounts (Savings Plans, credits, negotiated rates):
//! `--price-vcpu-hour` and `--price-gb-hour` override them, for every architecture. A region
//! the table does not hold, with no override, gets no money figure and says why: prices are
//! never guessed.

use std::fmt;

use serde::Serialize;

/// When the table's prices were last checked.
pub const PRICE_TABLE_DATE: &str = "2026-03";
/// Where the table's prices come from. The US East (N. Virginia) rates were checked against
/// published March 2026 rate tables; the other regions' rates are the pricing page's as
/// transcribed earlier and should be re-checked there before a figure is quoted (the
/// `--price-*` flags override them).
pub const PRICE_TABLE_SOURCE: &str =
    "AWS Fargate pricing page (aws.amazon.com/fargate/pricing), Linux On-Demand list price \
     (us-east-1 checked; other regions: verify on the page)";

/// Weeks per month on average: 52 weeks over 12 months.
pub const WEEKS_PER_MONTH: f64 = 52.0 / 12.0;

/// The CPU architecture a Fargate task runs on (`runtimePlatform.cpuArchitecture`; absent
/// means x86_64).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CpuArchitecture {
    X86_64,
    Arm64,
}

impl CpuArchitecture {
    pub const ALL: [CpuArchitecture; 2] = [CpuArchitecture::X86_64, CpuArchitecture::Arm64];

    /// As ECS writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            CpuArchitecture::X86_64 => "X86_64",
            CpuArchitecture::Arm64 => "ARM64",
        }
    }
}

impl fmt::Display for CpuArchitecture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One region's Linux prices for one architecture, in USD.
#[derive(Debug, Clone, Copy, PartialEq)]
struct ListPrice {
    vcpu_hour: f64,
    gb_hour: f64,
}

/// (region, x86_64, ARM64). ARM64 is 20 % below x86_64 in every region listed.
const FARGATE_LINUX_PRICES: &[(&str, ListPrice, ListPrice)] = &[
    ("us-east-1", US_X86, US_ARM),
    ("us-east-2", US_X86, US_ARM),
    ("us-west-2", US_X86, US_ARM),
    ("eu-west-1", US_X86, US_ARM),
    ("eu-central-1", FRANKFURT_X86, FRANKFURT_ARM),
    ("ap-northeast-2", FRANKFURT_X86, FRANKFURT_ARM),
    ("ap-northeast-1", TOKYO_X86, TOKYO_ARM),
    ("ap-southeast-1", TOKYO_X86, TOKYO_ARM),
];

// US East (N. Virginia, Ohio), US West (Oregon), Europe (Ireland).
const US_X86: ListPrice = ListPrice {
    vcpu_hour: 0.04048,
    gb_hour: 0.004445,
};
const US_ARM: ListPrice = ListPrice {
    vcpu_hour: 0.03238,
    gb_hour: 0.00356,
};
// Europe (Frankfurt), Asia Pacific (Seoul).
const FRANKFURT_X86: ListPrice = ListPrice {
    vcpu_hour: 0.04656,
    gb_hour: 0.00511,
};
const FRANKFURT_ARM: ListPrice = ListPrice {
    vcpu_hour: 0.03725,
    gb_hour: 0.00409,
};
// Asia Pacific (Tokyo, Singapore).
const TOKYO_X86: ListPrice = ListPrice {
    vcpu_hour: 0.05056,
    gb_hour: 0.00553,
};
const TOKYO_ARM: ListPrice = ListPrice {
    vcpu_hour: 0.04045,
    gb_hour: 0.00442,
};

fn list_price(region: &str, architecture: CpuArchitecture) -> Option<ListPrice> {
    FARGATE_LINUX_PRICES
        .iter()
        .find(|(name, _, _)| *name == region)
        .map(|(_, x86, arm)| match architecture {
            CpuArchitecture::X86_64 => *x86,
            CpuArchitecture::Arm64 => *arm,
        })
}

/// The prices given on the command line (each checked > 0 where the argument is read).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct PriceOverrides {
    pub vcpu_hour: Option<f64>,
    pub gb_hour: Option<f64>,
}

/// The prices a report uses for one architecture in its region (the report's `prices`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Price {
    pub region: String,
    pub architecture: CpuArchitecture,
    /// USD per vCPU-hour; `None`: not known (see `reason`).
    pub vcpu_hour: Option<f64>,
    /// USD per GB-hour; `None`: not known (see `reason`).
    pub gb_hour: Option<f64>,
    /// Where each figure comes from.
    pub source: String,
    /// Why there is no price.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl Price {
    /// Both figures, when both are known.
    pub fn rates(&self) -> Option<(f64, f64)> {
        Some((self.vcpu_hour?, self.gb_hour?))
    }
}

/// The prices for `region` and `architecture`: each override where given, else the table.
pub fn price_for(region: &str, architecture: CpuArchitecture, overrides: PriceOverrides) -> Price {
    let listed = list_price(region, architecture);
    let table = format!("{PRICE_TABLE_SOURCE} as of {PRICE_TABLE_DATE}");
    let vcpu_hour = overrides.vcpu_hour.or(listed.map(|p| p.vcpu_hour));
    let gb_hour = overrides.gb_hour.or(listed.map(|p| p.gb_hour));
    let source = match (overrides.vcpu_hour, overrides.gb_hour) {
        (Some(_), Some(_)) => "--price-vcpu-hour and --price-gb-hour".to_string(),
        (Some(_), None) => format!("--price-vcpu-hour; GB-hour: {table}"),
        (None, Some(_)) => format!("--price-gb-hour; vCPU-hour: {table}"),
        (None, None) => table,
    };
    let reason = (vcpu_hour.is_none() || gb_hour.is_none()).then(|| {
        format!(
            "no Fargate list price for {region} in worktime's table (it holds {}): pass \
             --price-vcpu-hour and --price-gb-hour",
            listed_regions().join(", ")
        )
    });
    Price {
        region: region.to_string(),
        architecture,
        vcpu_hour,
        gb_hour,
        source,
        reason,
    }
}

/// The regions the table holds, in table order.
pub fn listed_regions() -> Vec<&'static str> {
    FARGATE_LINUX_PRICES
        .iter()
        .map(|(region, _, _)| *region)
        .collect()
}

/// USD a month saved by keeping a task of this size down `task_hours_off_per_week` hours a
/// week: task-hours × (vCPU × vCPU-hour price + GiB × GB-hour price) × 52/12. (Fargate bills
/// memory per GB of the task's memory, which ECS states in MiB: GiB here.)
pub fn usd_per_month(
    task_hours_off_per_week: f64,
    cpu_vcpu: f64,
    memory_gib: f64,
    (vcpu_hour, gb_hour): (f64, f64),
) -> f64 {
    task_hours_off_per_week * (cpu_vcpu * vcpu_hour + memory_gib * gb_hour) * WEEKS_PER_MONTH
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_region_has_both_architectures_and_arm_is_a_fifth_cheaper() {
        let regions = listed_regions();
        for required in [
            "us-east-1",
            "us-west-2",
            "eu-west-1",
            "eu-central-1",
            "ap-northeast-2",
            "ap-northeast-1",
            "ap-southeast-1",
        ] {
            assert!(regions.contains(&required), "{required} is in the table");
        }
        for region in regions {
            let x86 = list_price(region, CpuArchitecture::X86_64).unwrap();
            let arm = list_price(region, CpuArchitecture::Arm64).unwrap();
            assert!(
                (arm.vcpu_hour / x86.vcpu_hour - 0.8).abs() < 0.001,
                "{region}"
            );
            assert!((arm.gb_hour / x86.gb_hour - 0.8).abs() < 0.001, "{region}");
        }
    }

    #[test]
    fn a_listed_region_takes_the_table_price_and_names_its_source() {
        let price = price_for(
            "us-east-1",
            CpuArchitecture::X86_64,
            PriceOverrides::default(),
        );
        assert_eq!(price.rates(), Some((0.04048, 0.004445)));
        assert!(price.source.contains("aws.amazon.com/fargate/pricing"));
        assert!(price.source.contains(PRICE_TABLE_DATE));
        assert_eq!(price.reason, None);
        let arm = price_for(
            "ap-northeast-2",
            CpuArchitecture::Arm64,
            PriceOverrides::default(),
        );
        assert_eq!(arm.rates(), Some((0.03725, 0.00409)));
        assert_eq!(arm.architecture, CpuArchitecture::Arm64);
    }

    #[test]
    fn overrides_replace_the_table_each_on_its_own() {
        let both = PriceOverrides {
            vcpu_hour: Some(0.05),
            gb_hour: Some(0.005),
        };
        let price = price_for("ap-northeast-2", CpuArchitecture::Arm64, both);
        assert_eq!(price.rates(), Some((0.05, 0.005)));
        assert_eq!(price.source, "--price-vcpu-hour and --price-gb-hour");

        let vcpu_only = PriceOverrides {
            vcpu_hour: Some(0.05),
            gb_hour: None,
        };
        let price = price_for("eu-central-1", CpuArchitecture::X86_64, vcpu_only);
        assert_eq!(price.rates(), Some((0.05, 0.00511)));
        assert!(price
            .source
            .starts_with("--price-vcpu-hour; GB-hour: AWS Fargate"));
    }

    #[test]
    fn an_unlisted_region_without_overrides_has_no_price_and_says_why() {
        let price = price_for(
            "sa-east-1",
            CpuArchitecture::X86_64,
            PriceOverrides::default(),
        );
        assert_eq!(price.rates(), None);
        let reason = price.reason.unwrap();
        assert!(reason.contains("sa-east-1"), "{reason}");
        assert!(reason.contains("--price-vcpu-hour"), "{reason}");
        // Half an override is not a price either.
        let half = price_for(
            "sa-east-1",
            CpuArchitecture::X86_64,
            PriceOverrides {
                vcpu_hour: Some(0.06),
                gb_hour: None,
            },
        );
        assert_eq!((half.vcpu_hour, half.gb_hour), (Some(0.06), None));
        assert!(half.reason.is_some());
        // Both overrides price any region.
        let full = price_for(
            "sa-east-1",
            CpuArchitecture::X86_64,
            PriceOverrides {
                vcpu_hour: Some(0.06),
                gb_hour: Some(0.007),
            },
        );
        assert_eq!(full.rates(), Some((0.06, 0.007)));
        assert_eq!(full.reason, None);
    }

    #[test]
    fn money_is_task_hours_off_times_the_task_price_times_52_over_12() {
        // 2 tasks × 118 h off a week, 0.25 vCPU / 0.5 GiB at the us-east-1 x86 price.
        let saved = usd_per_month(236.0, 0.25, 0.5, (0.04048, 0.004445));
        let expected = 236.0 * (0.25 * 0.04048 + 0.5 * 0.004445) * 52.0 / 12.0;
        assert!((saved - expected).abs() < 1e-12, "{saved} vs {expected}");
        assert!((saved - 12.622_263_333).abs() < 1e-6, "{saved}");
        assert_eq!(usd_per_month(0.0, 4.0, 8.0, (0.05, 0.005)), 0.0);
        // 1 vCPU / 2 GiB, 100 task-hours: 100 × (0.05 + 0.01) × 52/12 = 26.
        assert!((usd_per_month(100.0, 1.0, 2.0, (0.05, 0.005)) - 26.0).abs() < 1e-9);
    }
}
