//! The account's Lambda concurrency, read before a stack that reserves some is created or
//! updated: AWS refuses a reservation that leaves fewer than min(100, quota) executions
//! unreserved, and a stack that fails on it rolls back after everything else was made.

use aws_sdk_lambda::operation::get_function_concurrency::GetFunctionConcurrencyError;

use crate::aws::calls::{made_by, Call, Narrow, On};
use crate::aws::Session;
use crate::config::StackConfig;
use crate::error::{Error, Result};

/// The calls this module makes (the permissions table, `policy::table`).
pub const CALLS: &[Call] = &[
    Call::new(
        "Lambda",
        "GetAccountSettings",
        "lambda:GetAccountSettings",
        made_by::CHANGE,
        On::Any,
    )
    .narrow(Narrow::ReservedConcurrency)
    .note("lambda:GetAccountSettings has no resource type"),
    Call::new(
        "Lambda",
        "GetFunctionConcurrency",
        "lambda:GetFunctionConcurrency",
        made_by::CHANGE,
        On::Function,
    )
    .narrow(Narrow::ReservedConcurrency),
];

/// What AWS keeps unreserved in an account with concurrency quota `quota` (Lambda API
/// reference, PutFunctionConcurrency: "leave at least 100 simultaneous executions
/// unreserved"; an account whose quota is below 100 keeps its whole quota unreserved).
pub fn unreserved_floor(quota: i32) -> i32 {
    quota.min(100)
}

/// Why AWS would refuse to reserve `wanted` for a function that holds `current` now, in an
/// account with `quota` and `unreserved` executions; `None` when it would accept.
pub fn refusal(wanted: i32, current: i32, quota: i32, unreserved: i32) -> Option<String> {
    let floor = unreserved_floor(quota);
    let left = unreserved + current - wanted;
    (left < floor).then(|| {
        format!(
            "[function] reserved_concurrency = {wanted} would leave {left} of the account's {quota} concurrent executions unreserved, and AWS keeps at least {floor} unreserved"
        )
    })
}

/// Refuses (before anything is created) a reservation AWS would reject. No reservation in
/// the config: nothing to read.
pub async fn check(session: &Session, config: &StackConfig) -> Result<()> {
    let Some(wanted) = config.function.reserved_concurrency else {
        return Ok(());
    };
    let wanted = wanted as i32;
    let lambda = crate::aws::clients::lambda(&session.sdk);
    let settings = lambda.get_account_settings().send().await.map_err(|e| {
        Error::aws(
            "reading the account's Lambda concurrency (lambda:GetAccountSettings)",
            e,
        )
    })?;
    let Some(limit) = settings.account_limit() else {
        return Ok(());
    };
    let current = match lambda
        .get_function_concurrency()
        .function_name(config.function_name())
        .send()
        .await
    {
        Ok(out) => out.reserved_concurrent_executions().unwrap_or(0),
        Err(e)
            if matches!(
                e.as_service_error(),
                Some(GetFunctionConcurrencyError::ResourceNotFoundException(_))
            ) =>
        {
            0
        }
        Err(e) => {
            return Err(Error::aws(
                "reading the function's reserved concurrency (lambda:GetFunctionConcurrency)",
                e,
            ))
        }
    };
    match refusal(
        wanted,
        current,
        limit.concurrent_executions(),
        limit.unreserved_concurrent_executions().unwrap_or(0),
    ) {
        None => Ok(()),
        Some(why) => Err(Error::AccountLimit(format!(
            "account {} in {}: {why}. Nothing was created. Fix: remove reserved_concurrency from [function] (worktime needs none), or ask AWS for a higher \"Concurrent executions\" quota (Service Quotas, AWS Lambda)",
            session.account, session.region
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_account_with_quota_10_refuses_any_reservation() {
        let why = refusal(1, 0, 10, 10).unwrap();
        assert!(why.contains("reserved_concurrency = 1"), "{why}");
        assert!(why.contains("at least 10 unreserved"), "{why}");
    }

    #[test]
    fn the_default_quota_leaves_room_and_the_function_s_own_reservation_counts() {
        assert_eq!(refusal(5, 0, 1000, 1000), None);
        assert_eq!(refusal(900, 0, 1000, 1000), None);
        assert!(refusal(901, 0, 1000, 1000).is_some());
        // Raising our own 5 to 10 with 95 + 5 = 100 of 200 left: 100 - 10 + 5 = 95 < 100.
        assert!(refusal(10, 5, 200, 100).is_some());
        assert_eq!(refusal(5, 5, 200, 100), None);
    }
}
