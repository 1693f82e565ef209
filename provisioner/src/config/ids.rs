//! Checks of AWS identifiers and names (stack names, role ARNs and names, OU and
//! organisation ids, regions, dates) and the suggestion of a zone name for a misspelt one.

use chrono::NaiveDate;

/// Longest stack name: `<name>-scaler-<region>` and similar derived names must fit IAM's
/// 64-character limit.
pub const MAX_STACK_NAME_LEN: usize = 32;

/// Why `name` can't be a stack name, if it can't.
pub(crate) fn stack_name_problem(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        return Some("is empty");
    }
    if name.len() > MAX_STACK_NAME_LEN {
        return Some("is too long (derived resource names must fit IAM's 64-character limit)");
    }
    if !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return Some("does not start with a letter");
    }
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Some("contains characters other than letters, digits and hyphens");
    }
    if name.ends_with('-') {
        return Some("ends with a hyphen");
    }
    None
}

/// Longest `[schedules.NAME]` name: its triggers are `<stack>-<name>-scale-out`, within
/// EventBridge's 64 characters for the longest stack name.
pub const MAX_SCHEDULE_NAME_LEN: usize = 20;

/// Why `name` can't name a `[schedules.NAME]`, if it can't: it becomes part of trigger names
/// and (in PascalCase) of CloudFormation logical ids.
pub(crate) fn schedule_name_problem(name: &str) -> Option<&'static str> {
    if name == super::DEFAULT_SCHEDULE {
        return Some("is reserved for [schedule]");
    }
    if name.is_empty() || name.len() > MAX_SCHEDULE_NAME_LEN {
        return Some("is empty or too long");
    }
    if !name.starts_with(|c: char| c.is_ascii_lowercase()) {
        return Some("does not start with a lowercase letter");
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        return Some("contains characters other than lowercase letters, digits and hyphens");
    }
    if name.ends_with('-') || name.contains("--") {
        return Some("ends with a hyphen or has two in a row");
    }
    None
}

/// `night-owls` → `NightOwls`: a schedule name as part of a logical id.
pub(crate) fn pascal_case(name: &str) -> String {
    name.split('-')
        .map(|word| {
            let mut chars = word.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_ascii_uppercase().to_string() + chars.as_str()
            })
        })
        .collect()
}

/// An address SNS can send to: one `@`, a local part, a dotted domain, no spaces.
pub(crate) fn is_email_address(text: &str) -> bool {
    let Some((local, domain)) = text.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && !text.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// `arn:<partition>:sns:<region>:<12 digits>:<name>`.
pub(crate) fn is_topic_arn(text: &str) -> bool {
    let parts: Vec<&str> = text.splitn(6, ':').collect();
    matches!(parts.as_slice(), ["arn", partition, "sns", region, account, name]
        if partition.starts_with("aws")
            && is_valid_region(region)
            && account.len() == 12
            && account.chars().all(|c| c.is_ascii_digit())
            && !name.is_empty()
            && name.len() <= 256
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.'))
}

/// `arn:<partition>:iam::<12 digits>:role/<name>`.
pub(crate) fn is_role_arn(text: &str) -> bool {
    let parts: Vec<&str> = text.splitn(6, ':').collect();
    matches!(parts.as_slice(), ["arn", partition, "iam", "", account, resource]
    if partition.starts_with("aws")
        && account.len() == 12
        && account.chars().all(|c| c.is_ascii_digit())
        && resource.strip_prefix("role/").is_some_and(|r| {
            let name = r.rsplit('/').next().unwrap_or("");
            is_role_name(name)
        }))
}

/// IAM role names: 1-64 of letters, digits and `+=,.@_-`.
pub(crate) fn is_role_name(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 64
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c))
}

/// `^ou-[a-z0-9]{4,32}-[a-z0-9]{8,32}$` (AWS Organizations' pattern).
pub(crate) fn is_ou_id(text: &str) -> bool {
    let lower_digits = |s: &str| {
        s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
    };
    match text.split('-').collect::<Vec<_>>().as_slice() {
        ["ou", root, unit] => {
            (4..=32).contains(&root.len())
                && (8..=32).contains(&unit.len())
                && lower_digits(root)
                && lower_digits(unit)
        }
        _ => false,
    }
}

/// `^o-[a-z0-9]{10,32}$`.
pub(crate) fn is_organization_id(text: &str) -> bool {
    text.strip_prefix("o-").is_some_and(|rest| {
        (10..=32).contains(&rest.len())
            && rest
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
    })
}

/// `^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d+$`, without a regex engine.
pub(crate) fn is_valid_region(region: &str) -> bool {
    let parts: Vec<&str> = region.split('-').collect();
    let lower = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_lowercase());
    let digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    let partition = |s: &str| {
        s == "gov"
            || s.strip_prefix("iso")
                .is_some_and(|r| r.chars().all(|c| c.is_ascii_lowercase()))
    };
    match parts.as_slice() {
        [geo, dir, n] => geo.len() == 2 && lower(geo) && lower(dir) && digits(n),
        [geo, part, dir, n] => {
            geo.len() == 2 && lower(geo) && partition(part) && lower(dir) && digits(n)
        }
        _ => false,
    }
}

/// A strict `YYYY-MM-DD`.
pub(crate) fn parse_date(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    let shape = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shape {
        return None;
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

/// The closest IANA zone name to a misspelled one, if any is close.
pub(crate) fn suggest_zone(input: &str) -> Option<&'static str> {
    if let Some(tz) = chrono_tz::TZ_VARIANTS
        .iter()
        .find(|tz| tz.name().eq_ignore_ascii_case(input))
    {
        return Some(tz.name());
    }
    let lower = input.to_ascii_lowercase();
    chrono_tz::TZ_VARIANTS
        .iter()
        .map(|tz| {
            (
                strsim::levenshtein(&lower, &tz.name().to_ascii_lowercase()),
                tz.name(),
            )
        })
        .filter(|(d, _)| *d <= 3)
        .min_by_key(|(d, _)| *d)
        .map(|(_, name)| name)
}
