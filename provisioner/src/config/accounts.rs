//! `[[accounts]]`: each entry inherits the top-level schedule and services it does not
//! override, then goes through the same checks; errors name the account.

use std::collections::HashSet;

use super::ids::{is_role_arn, is_role_name, is_valid_region};
use super::raw;
use super::validate::Validator;
use super::{Account, AccountAccess, ConfigError, NotifySettings, Schedule, StackSettings};
use indexmap::IndexMap;

impl Validator<'_> {
    /// `[[accounts]]`: each entry inherits every `[schedule]` key it does not override and
    /// the top-level services unless it lists its own, then goes through the same checks;
    /// errors name the account.
    pub(super) fn accounts(
        &self,
        raw: Vec<toml::Spanned<raw::Account>>,
        base_schedule: &raw::Schedule,
        base_services: &Option<toml::Spanned<Vec<toml::Spanned<raw::Service>>>>,
        stack: &StackSettings,
        schedules: &IndexMap<String, Schedule>,
        base_notify: Option<(&NotifySettings, Option<&toml::Spanned<String>>)>,
    ) -> Result<Vec<Account>, ConfigError> {
        let mut seen = HashSet::new();
        let mut out = Vec::with_capacity(raw.len());
        for (i, entry) in raw.into_iter().enumerate() {
            let account = entry.get_ref();
            let id = account.id.get_ref().trim().to_string();
            let prefix = format!("accounts[{i}]");
            if id.len() != 12 || !id.chars().all(|c| c.is_ascii_digit()) {
                return Err(self.err(
                    format!("{prefix}.id"),
                    Some(&account.id),
                    format!("{id:?} is not an AWS account id"),
                    "write the 12-digit account id as a string, e.g. id = \"111111111111\"",
                ));
            }
            let named = format!("{prefix} ({id})");
            if !seen.insert(id.clone()) {
                return Err(self.err(
                    format!("{named}.id"),
                    Some(&account.id),
                    format!("account {id} is listed twice"),
                    "list each account once, with all its regions in `regions`",
                ));
            }
            let access = match (&account.role, &account.profile) {
                (Some(role), None) => {
                    let text = role.get_ref().trim();
                    let arn = if text.starts_with("arn:") {
                        if !is_role_arn(text) {
                            return Err(self.err(
                                format!("{named}.role"),
                                Some(role),
                                format!("{text:?} is not an IAM role ARN"),
                                "give a role name (\"OrganizationAccountAccessRole\") or a full ARN (\"arn:aws:iam::111111111111:role/Name\")",
                            ));
                        }
                        let owner = text.split(':').nth(4).unwrap_or_default();
                        if owner != id {
                            return Err(self.err(
                                format!("{named}.role"),
                                Some(role),
                                format!("the role ARN is in account {owner}, not {id}"),
                                "use a role of this account, or correct the id",
                            ));
                        }
                        text.to_string()
                    } else if text.split('/').filter(|part| !part.is_empty()).all(is_role_name)
                        && !text.trim_matches('/').is_empty()
                    {
                        // A role name, with its path if it has one (`teams/Deployer`).
                        format!("arn:aws:iam::{id}:role/{}", text.trim_matches('/'))
                    } else {
                        return Err(self.err(
                            format!("{named}.role"),
                            Some(role),
                            format!("{text:?} is not an IAM role name"),
                            "give a role name such as \"OrganizationAccountAccessRole\" or a full role ARN",
                        ));
                    };
                    AccountAccess::Role {
                        arn,
                        external_id: account.external_id.as_ref().map(|e| e.get_ref().clone()),
                    }
                }
                (None, Some(profile)) => {
                    if account.external_id.is_some() {
                        return Err(self.err(
                            format!("{named}.external_id"),
                            account.external_id.as_ref(),
                            "external_id goes with role, not with profile",
                            "put the external id in the profile's own configuration, or use role = ...",
                        ));
                    }
                    AccountAccess::Profile(profile.get_ref().clone())
                }
                (Some(role), Some(_)) => {
                    return Err(self.err(
                        format!("{named}.profile"),
                        Some(role),
                        "both role and profile are given",
                        "keep one: role (assumed from your own credentials) or profile (a named profile)",
                    ))
                }
                (None, None) => {
                    return Err(self.err(
                        named.clone(),
                        Some(&entry),
                        "the account says neither how to reach it (role) nor which profile to use",
                        "add role = \"OrganizationAccountAccessRole\" (or another role name or ARN), or profile = \"<name>\"",
                    ))
                }
            };
            let regions = match &account.regions {
                None => vec![stack.region.clone()],
                Some(list) => self.unique_list(
                    &format!("{named}.regions"),
                    list,
                    is_valid_region,
                    "is not an AWS Region code",
                    "use a code such as \"ap-northeast-2\" or \"us-east-1\", or leave regions out to use stack.region",
                )?,
            };
            let mut schedule_raw = base_schedule.clone();
            if let Some(o) = &account.schedule {
                if let Some(v) = &o.timezone {
                    schedule_raw.timezone = v.clone();
                }
                if let Some(v) = &o.scale_out {
                    schedule_raw.scale_out = v.clone();
                }
                if let Some(v) = &o.scale_in {
                    schedule_raw.scale_in = v.clone();
                }
                if let Some(v) = &o.trigger {
                    schedule_raw.trigger = Some(v.clone());
                }
                if let Some(v) = &o.skip_dates {
                    schedule_raw.skip_dates = Some(v.clone());
                }
                if let Some(v) = &o.max_delay_minutes {
                    schedule_raw.max_delay_minutes = Some(v.clone());
                }
                if let Some(v) = &o.reconcile_minutes {
                    schedule_raw.reconcile_minutes = Some(v.clone());
                }
                if let Some(v) = &o.ready_within_minutes {
                    schedule_raw.ready_within_minutes = Some(v.clone());
                }
                if let Some(v) = &o.skip_calendar {
                    schedule_raw.skip_calendar = Some(v.clone());
                }
                if let Some(v) = &o.warn_before_minutes {
                    schedule_raw.warn_before_minutes = Some(v.clone());
                }
                if let Some(v) = &o.wave_timeout_minutes {
                    schedule_raw.wave_timeout_minutes = Some(v.clone());
                }
            }
            let in_account = |mut e: ConfigError| {
                e.key = Some(match e.key {
                    Some(key) => format!("{named}.{key}"),
                    None => named.clone(),
                });
                e
            };
            let schedule = self.schedule(schedule_raw).map_err(in_account)?;
            let (services, selectors) = self
                .services(
                    account.services.clone().or_else(|| base_services.clone()),
                    schedules,
                )
                .map_err(in_account)?;
            // `[accounts.notify]` replaces `[notify]` as a whole (a topic and addresses of
            // the account's own); the topic, its own or inherited, must be in each region.
            let (notify, key, spanned) = match &account.notify {
                Some(table) => (
                    Some(self.notify(table.clone()).map_err(in_account)?),
                    format!("{named}.notify.sns_topic_arn"),
                    table.get_ref().sns_topic_arn.as_ref(),
                ),
                None => (
                    base_notify.map(|(settings, _)| settings.clone()),
                    "notify.sns_topic_arn".to_string(),
                    base_notify.and_then(|(_, arn)| arn),
                ),
            };
            if let Some(settings) = &notify {
                for region in &regions {
                    self.topic_in_region(
                        &key,
                        spanned,
                        settings,
                        region,
                        &format!("account {id}"),
                        |topic_region| {
                            if regions.len() > 1 {
                                format!(
                                    "an existing topic serves one region, and account {id} deploys to {}: give it an [accounts.notify] table under its [[accounts]] entry with email = [...] (each of its stacks then creates a topic of its own in its region), or deploy it to {topic_region} only",
                                    regions.join(", ")
                                )
                            } else {
                                format!(
                                    "give account {id} its own topic in {region}: an [accounts.notify] table under its [[accounts]] entry with sns_topic_arn = \"arn:aws:sns:{region}:{id}:<name>\" and/or email = [...] (it replaces [notify] for that account)"
                                )
                            }
                        },
                    )?;
                }
            }
            out.push(Account {
                id,
                access,
                regions,
                schedule,
                services,
                selectors,
                notify,
            });
        }
        Ok(out)
    }

    /// A non-empty list of distinct values that each pass `valid` (regions, OU ids).
    pub(super) fn unique_list(
        &self,
        key: &str,
        list: &toml::Spanned<Vec<toml::Spanned<String>>>,
        valid: fn(&str) -> bool,
        invalid: &str,
        fix: &str,
    ) -> Result<Vec<String>, ConfigError> {
        if list.get_ref().is_empty() {
            return Err(self.err(
                key,
                Some(list),
                "the list is empty",
                format!("list at least one value: {fix}"),
            ));
        }
        let mut out: Vec<String> = Vec::with_capacity(list.get_ref().len());
        for (i, item) in list.get_ref().iter().enumerate() {
            let text = item.get_ref().trim();
            if !valid(text) {
                return Err(self.err(
                    format!("{key}[{i}]"),
                    Some(item),
                    format!("{text:?} {invalid}"),
                    fix,
                ));
            }
            if out.iter().any(|seen| seen == text) {
                return Err(self.err(
                    format!("{key}[{i}]"),
                    Some(item),
                    format!("{text} is listed twice"),
                    "list each value once",
                ));
            }
            out.push(text.to_string());
        }
        Ok(out)
    }
}
