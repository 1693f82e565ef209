//! Which topics have heard a notice, kept on the function itself so that Lambda's retry of a
//! notice (one topic failed, the invocation failed, Lambda runs it again) publishes only to
//! the topics still missing it.
//!
//! SNS standard topics have no de-duplication, and a retried asynchronous invocation is the
//! same event again: the record must outlive the process. It is a tag on the function
//! (`worktime:notice:<schedule>` = `<scheduled time> <topic id> …`), one per schedule: a
//! trigger's delivery for scheduled time S is the same notice however often it is retried,
//! and a later notice replaces the record. Tags are read and written on the function's
//! unqualified ARN, the only resource the function's policy lets it tag.

use std::collections::BTreeSet;

use chrono::{DateTime, SecondsFormat, SubsecRound, Utc};
use tracing::warn;

use crate::clients::{describe_error, Clients};

/// The tag key prefix; the schedule's name follows.
pub const NOTICE_TAG_PREFIX: &str = "worktime:notice:";

/// What one notice has been delivered to: its scheduled time and the short ids of the topics
/// that accepted it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivered {
    pub scheduled: DateTime<Utc>,
    pub topics: BTreeSet<String>,
}

impl Delivered {
    /// Nothing delivered yet for the notice scheduled at `scheduled`.
    pub fn none(scheduled: DateTime<Utc>) -> Self {
        Delivered {
            scheduled,
            topics: BTreeSet::new(),
        }
    }

    /// The record for the notice scheduled at `scheduled`: `tag` if it is that notice's, else
    /// an empty one (an older notice's record, or an unreadable value, counts for nothing).
    pub fn for_notice(tag: Option<&str>, scheduled: DateTime<Utc>) -> Self {
        tag.and_then(Self::parse)
            .filter(|record| record.scheduled == scheduled)
            .unwrap_or_else(|| Self::none(scheduled))
    }

    fn parse(value: &str) -> Option<Self> {
        let mut words = value.split_whitespace();
        let scheduled = DateTime::parse_from_rfc3339(words.next()?)
            .ok()?
            .with_timezone(&Utc);
        Some(Delivered {
            scheduled,
            topics: words.map(str::to_string).collect(),
        })
    }

    /// The tag value. Lambda tag values hold 256 characters: 20 for the time and 9 per topic
    /// id leave room for 26 topics, more than a stack deploys.
    pub fn tag_value(&self) -> String {
        let mut value = self.scheduled.to_rfc3339_opts(SecondsFormat::Secs, true);
        for topic in &self.topics {
            value.push(' ');
            value.push_str(topic);
        }
        value
    }

    pub fn has(&self, topic_arn: &str) -> bool {
        self.topics.contains(&topic_id(topic_arn))
    }

    pub fn add(&mut self, topic_arn: &str) {
        self.topics.insert(topic_id(topic_arn));
    }
}

/// A topic's short id: the 32-bit FNV-1a hash of its ARN in hex. Stable across builds and
/// releases (unlike the standard library's hasher), and short enough for a tag value.
pub fn topic_id(topic_arn: &str) -> String {
    let hash = topic_arn.bytes().fold(0x811c_9dc5_u32, |hash, byte| {
        (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193)
    });
    format!("{hash:08x}")
}

/// The function's ARN without a version or alias: tags live on the function, not on a
/// qualifier (`arn:aws:lambda:region:account:function:name[:qualifier]`).
pub fn unqualified(function_arn: &str) -> &str {
    match function_arn.match_indices(':').nth(6) {
        Some((at, _)) => &function_arn[..at],
        None => function_arn,
    }
}

/// Where the delivery of one notice (a schedule's, for one scheduled time) is recorded: the
/// function's own tags.
#[derive(Debug, Clone)]
pub struct DeliveryRecord<'a> {
    clients: &'a Clients,
    function_arn: &'a str,
    key: String,
    scheduled: DateTime<Utc>,
}

impl<'a> DeliveryRecord<'a> {
    pub fn new(
        clients: &'a Clients,
        function_arn: &'a str,
        schedule: &str,
        scheduled: DateTime<Utc>,
    ) -> Self {
        DeliveryRecord {
            clients,
            function_arn: unqualified(function_arn),
            key: format!("{NOTICE_TAG_PREFIX}{schedule}"),
            // The record keeps whole seconds: a scheduled time with a fraction must still
            // match what it wrote.
            scheduled: scheduled.trunc_subsecs(0),
        }
    }

    /// What this notice has been delivered to. An unreadable record is logged and read as
    /// nothing delivered: a notice sent twice beats one never sent.
    pub async fn load(&self) -> Delivered {
        let scheduled = self.scheduled;
        match self
            .clients
            .lambda
            .list_tags()
            .resource(self.function_arn)
            .send()
            .await
        {
            Ok(out) => {
                let tag = out.tags().and_then(|tags| tags.get(&self.key));
                Delivered::for_notice(tag.map(String::as_str), scheduled)
            }
            Err(error) => {
                warn!(reason = %describe_error(&error), "could not read which topics the notice reached; publishing to all");
                Delivered::none(scheduled)
            }
        }
    }

    /// Records `delivered`. A failure is logged: the topic has the notice either way, and
    /// the worst a lost record does is a second copy on a retry.
    pub async fn save(&self, delivered: &Delivered) {
        if let Err(error) = self
            .clients
            .lambda
            .tag_resource()
            .resource(self.function_arn)
            .tags(&self.key, delivered.tag_value())
            .send()
            .await
        {
            warn!(reason = %describe_error(&error), "could not record the topic the notice reached");
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 3, hour, 30, 0).unwrap()
    }

    #[test]
    fn a_record_round_trips_through_its_tag_value() {
        let mut record = Delivered::none(at(9));
        record.add("arn:aws:sns:eu-west-1:111111111111:team");
        record.add("arn:aws:sns:eu-west-1:111111111111:oncall");
        let value = record.tag_value();
        assert!(value.starts_with("2026-12-03T09:30:00Z "), "{value}");
        let read = Delivered::for_notice(Some(&value), at(9));
        assert_eq!(read, record);
        assert!(read.has("arn:aws:sns:eu-west-1:111111111111:team"));
        assert!(!read.has("arn:aws:sns:eu-west-1:111111111111:other"));
    }

    #[test]
    fn another_notices_record_or_an_unreadable_one_counts_for_nothing() {
        let mut yesterday = Delivered::none(at(9));
        yesterday.add("arn:aws:sns:eu-west-1:111111111111:team");
        let today = Delivered::for_notice(Some(&yesterday.tag_value()), at(10));
        assert_eq!(today, Delivered::none(at(10)));
        assert_eq!(
            Delivered::for_notice(Some("not a time"), at(9)),
            Delivered::none(at(9))
        );
        assert_eq!(Delivered::for_notice(None, at(9)), Delivered::none(at(9)));
    }

    #[test]
    fn topic_ids_are_stable_and_distinct() {
        // FNV-1a of the empty string is its offset basis: the hash is the published one.
        assert_eq!(topic_id(""), "811c9dc5");
        assert_eq!(topic_id("a"), "e40c292c");
        assert_ne!(
            topic_id("arn:aws:sns:eu-west-1:111111111111:a"),
            topic_id("arn:aws:sns:eu-west-1:111111111111:b")
        );
    }

    #[test]
    fn the_record_lives_on_the_unqualified_function() {
        let arn = "arn:aws:lambda:eu-west-1:111111111111:function:wt-scaler";
        assert_eq!(unqualified(arn), arn);
        assert_eq!(unqualified(&format!("{arn}:live")), arn);
        assert_eq!(unqualified(&format!("{arn}:$LATEST")), arn);
    }

    #[test]
    fn twenty_six_topics_fit_a_lambda_tag_value() {
        let mut record = Delivered::none(at(9));
        for n in 0..26 {
            record.add(&format!("arn:aws:sns:eu-west-1:111111111111:topic-{n}"));
        }
        assert!(record.tag_value().len() <= 256);
    }
}
