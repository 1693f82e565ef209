//! Hold and wake, shared by `worktime hold` and `worktime wake`: the validated plan (which
//! services, held until when, read in which zone), the ECS reads and writes of the
//! `worktime:hold-until` tag, and the typed result lines.
//!
//! Everything the user typed is checked before any call ([`plan_hold`], [`plan_wake`]);
//! then every service's ARN and tags are read ([`look_up`]): a service ECS does not know
//! stops the command before anything is written for the others, and the tags decide which
//! schedule owns a service chosen by a tag selector.

use std::collections::{HashMap, HashSet};
use std::fmt;

use aws_sdk_ecs::types::Tag;
use chrono::{DateTime, DurationRound, LocalResult, NaiveDateTime, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;
use serde::Serialize;
use thiserror::Error;
use worktime_lambda::tags::{hold_until_value, EXCLUDE_TAG, HOLD_UNTIL_TAG};
use worktime_lambda::{
    describe_error, is_valid_ecs_name, Action, Capacity, Clients, EventDefaults, Observed, Owner,
    RawEvent, ScalingEvent, ServiceRequest, ServiceTarget,
};

use crate::aws::calls::{Call, Cmd::*, Narrow, On};
use crate::aws::AwsArgs;
use crate::config::StackConfig;
use crate::duration::{HoldDuration, MAX_HOLD_DAYS};
use crate::error::Error;

/// The calls this module makes (the permissions table, `policy::table`).
pub const CALLS: &[Call] = &[
    Call::new(
        "ECS",
        "DescribeServices",
        "ecs:DescribeServices",
        &[Hold, Wake],
        On::Services,
    ),
    Call::new(
        "ECS",
        "DescribeServices",
        "ecs:ListTagsForResource",
        &[Hold, Wake],
        On::Services,
    ),
    Call::new(
        "ECS",
        "TagResource",
        "ecs:TagResource",
        &[Hold, Wake],
        On::Services,
    )
    .narrow(Narrow::TagKeys(&[HOLD_UNTIL_TAG])),
    Call::new(
        "ECS",
        "UntagResource",
        "ecs:UntagResource",
        &[Hold, Wake],
        On::Services,
    )
    .narrow(Narrow::TagKeys(&[HOLD_UNTIL_TAG])),
];

/// Each service's ECS tags, as read before anything is written: a service chosen by a tag
/// selector is known to be managed (and by which schedule) only from its tags.
pub type ServiceTags = HashMap<ServiceName, Vec<(String, String)>>;

/// The schedule that owns a service (its explicit entry's, else the first matching
/// selector's) and the capacity its scale-out restores: `None` when the config does not
/// manage it.
fn owner<'a>(
    config: &'a StackConfig,
    name: &ServiceName,
    tags: &'a ServiceTags,
) -> Option<(Tz, Option<Capacity>)> {
    let tags = tags.get(name).map(Vec::as_slice).unwrap_or_default();
    let pairs = tags.iter().map(|(k, v)| (k.as_str(), v.as_str()));
    let (schedule, capacity) = match config.owner_of_service(&name.cluster, &name.service, pairs)? {
        Owner::Entry(spec) => (spec.schedule.as_deref(), spec.capacity),
        Owner::Selector(selector) => (selector.schedule.as_deref(), selector.capacity),
    };
    Some((config.schedule_ref(schedule).schedule.timezone, capacity))
}

/// Before any call: each named service the config does not list by name is taken to carry
/// the tag of the first selector that looks in its cluster, so that its zone (and so
/// `--until`) is checked up front; its real tags decide once read.
pub fn assume_tagged(config: &StackConfig, args: &[String]) -> ServiceTags {
    args.iter()
        .filter_map(|arg| ServiceName::parse(arg).ok())
        .filter_map(|name| {
            let selector = config
                .selectors
                .iter()
                .find(|s| s.cluster.contains(&name.cluster))?;
            let tag = (
                selector.tag.key.clone(),
                selector.tag.value.clone().unwrap_or_default(),
            );
            Some((name, vec![tag]))
        })
        .collect()
}

/// Whether the config may manage the service, before its tags are read: it is listed by
/// name, or a tag selector looks in its cluster (its tags decide, once read).
pub fn managed(config: &StackConfig, cluster: &str, service: &str) -> bool {
    config
        .services
        .iter()
        .any(|s| s.cluster == cluster && s.service == service)
        || config.selectors.iter().any(|s| s.cluster.contains(cluster))
}

/// Bad input (exit 2, nothing changed) and the failures of the calls (exit 1).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum HoldError {
    #[error("argument {arg:?} is not CLUSTER/SERVICE: {problem}. Fix: write the ECS cluster and service names separated by one slash, e.g. prod/api")]
    BadService { arg: String, problem: String },
    #[error("argument {arg:?}: {config} does not manage this service (it manages {managed}). Fix: check the name, or add a [[services]] entry for it and deploy")]
    NotManaged {
        arg: String,
        config: String,
        managed: String,
    },
    #[error("{text:?} is not a local time. Fix: write \"YYYY-MM-DD HH:MM\", e.g. \"2026-11-28 21:00\" (read in the service's schedule time zone)")]
    MalformedUntil { text: String },
    #[error("--until \"{until}\" does not exist in {zone}: the clocks skip it for daylight saving time. Fix: give a time outside the change, e.g. an hour later")]
    UntilSkipped { until: String, zone: String },
    #[error("--until \"{until}\" ({zone}) is not in the future: it is {now} there now. Fix: give a later time, or use --for DURATION")]
    UntilPast {
        until: String,
        zone: String,
        now: String,
    },
    #[error("--until \"{until}\" ({zone}) is more than {MAX_HOLD_DAYS} days away. Fix: give an earlier time (a longer pause belongs in worktime.toml, or the worktime:exclude tag)")]
    UntilTooFar { until: String, zone: String },
    #[error("{config}: the scale-out event for {services}: {reason}")]
    Event {
        config: String,
        services: String,
        reason: String,
    },
    #[error("ECS does not know {services} in region {region}: nothing was changed. Fix: check the cluster and service names, and the region (--region)")]
    NotFound { services: String, region: String },
    #[error("{states}: already down, and a hold only keeps a running service up through scale-in (it starts nothing): nothing was changed. Fix: `worktime wake {services}` scales {them} out now and holds {them} (--for DURATION, 2 hours by default)", them = if services.contains(' ') { "them" } else { "it" })]
    AlreadyDown {
        /// `cluster/service ...`, as `wake` takes them.
        services: String,
        /// Each one's state: `prod/api (bounds 0/0, desired 0)`.
        states: String,
    },
    #[error("could not read the state of {services} ({reason}): nothing was changed. Fix: check that your credentials allow ecs:DescribeServices and application-autoscaling:DescribeScalableTargets, then run it again")]
    Unreadable { services: String, reason: String },
    #[error("{failed} of {total} services {what}: {details}")]
    Failed {
        failed: usize,
        total: usize,
        what: &'static str,
        details: String,
    },
}

impl HoldError {
    /// Bad input, found before any call: nothing was changed.
    pub fn is_usage(&self) -> bool {
        !matches!(
            self,
            HoldError::NotFound { .. }
                | HoldError::Failed { .. }
                | HoldError::AlreadyDown { .. }
                | HoldError::Unreadable { .. }
        )
    }
}

/// One `CLUSTER/SERVICE` argument, with valid ECS names.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ServiceName {
    pub cluster: String,
    pub service: String,
}

impl ServiceName {
    pub fn parse(arg: &str) -> Result<Self, HoldError> {
        let bad = |problem: &str| HoldError::BadService {
            arg: arg.to_string(),
            problem: problem.to_string(),
        };
        let Some((cluster, service)) = arg.split_once('/') else {
            return Err(bad("there is no slash"));
        };
        if service.contains('/') {
            return Err(bad("there is more than one slash"));
        }
        for (what, name) in [("cluster", cluster), ("service", service)] {
            if !is_valid_ecs_name(name) {
                return Err(bad(&format!(
                    "the {what} name {name:?} is not an ECS name (1-255 letters, digits, \
                     hyphens and underscores)"
                )));
            }
        }
        Ok(ServiceName {
            cluster: cluster.to_string(),
            service: service.to_string(),
        })
    }

    /// The Application Auto Scaling resource id, as the function's report names services.
    pub fn resource_id(&self) -> String {
        format!("service/{}/{}", self.cluster, self.service)
    }
}

impl fmt::Display for ServiceName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.cluster, self.service)
    }
}

/// The services named on the command line: each well formed and managed by the config,
/// in order, each once.
pub fn managed_services(
    config: &StackConfig,
    args: &[String],
) -> Result<Vec<ServiceName>, HoldError> {
    let mut seen = HashSet::new();
    let mut names = Vec::with_capacity(args.len());
    for arg in args {
        let name = ServiceName::parse(arg)?;
        if !managed(config, &name.cluster, &name.service) {
            return Err(HoldError::NotManaged {
                arg: arg.clone(),
                config: config.path.display().to_string(),
                managed: managed_list(config),
            });
        }
        if seen.insert(name.clone()) {
            names.push(name);
        }
    }
    Ok(names)
}

/// The services the config manages, for a message: the first few, and how many more.
fn managed_list(config: &StackConfig) -> String {
    const SHOWN: usize = 10;
    let mut listed: Vec<String> = config
        .services
        .iter()
        .take(SHOWN)
        .map(|s| format!("{}/{}", s.cluster, s.service))
        .collect();
    if config.services.len() > SHOWN {
        listed.push(format!("and {} more", config.services.len() - SHOWN));
    }
    listed.extend(
        config
            .selectors
            .iter()
            .map(|s| format!("the services of {} tagged {}", s.cluster, s.tag)),
    );
    if listed.is_empty() {
        return "no service".into();
    }
    listed.join(", ")
}

/// What `worktime hold` was asked to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HoldRequest {
    /// `--for`: from now.
    For(HoldDuration),
    /// `--until`: a local time in each service's schedule zone.
    Until(NaiveDateTime),
    /// `--clear`.
    Clear,
}

/// One service's planned change of its hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HoldTarget {
    pub name: ServiceName,
    /// The zone its hold is read and shown in.
    pub zone: Tz,
    /// The new hold; `None`: remove it.
    pub until: Option<DateTime<Utc>>,
}

/// The local time `--until` accepts: `YYYY-MM-DD HH:MM` (a `T` instead of the space too).
pub fn parse_local_time(text: &str) -> Result<NaiveDateTime, HoldError> {
    let trimmed = text.trim();
    ["%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M"]
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(trimmed, format).ok())
        .ok_or_else(|| HoldError::MalformedUntil {
            text: text.to_string(),
        })
}

/// The end of a hold of `duration` from `now`, rounded up to the whole minute: the hold
/// lasts at least as long as asked, and reads as a plain local time.
pub fn hold_end(now: DateTime<Utc>, duration: HoldDuration) -> DateTime<Utc> {
    let end = now + duration.as_time_delta();
    let minute = TimeDelta::minutes(1);
    match end.duration_trunc(minute) {
        Ok(truncated) if truncated == end => end,
        Ok(truncated) => truncated + minute,
        Err(_) => end,
    }
}

/// A local time in `zone` as an instant: a time the clocks skip is refused; a time they
/// pass twice (clocks going back) means its first occurrence.
fn local_to_utc(local: NaiveDateTime, zone: Tz) -> Result<DateTime<Utc>, HoldError> {
    match zone.from_local_datetime(&local) {
        LocalResult::Single(time) => Ok(time.with_timezone(&Utc)),
        LocalResult::Ambiguous(earliest, _) => Ok(earliest.with_timezone(&Utc)),
        LocalResult::None => Err(HoldError::UntilSkipped {
            until: local.format("%Y-%m-%d %H:%M").to_string(),
            zone: zone.name().to_string(),
        }),
    }
}

/// `worktime hold`, validated at `now`: which services, and each one's new hold.
pub fn plan_hold(
    config: &StackConfig,
    args: &[String],
    request: HoldRequest,
    now: DateTime<Utc>,
    tags: &ServiceTags,
) -> Result<Vec<HoldTarget>, HoldError> {
    let names = managed_services(config, args)?;
    names
        .into_iter()
        .map(|name| {
            let (zone, _) = owned(config, &name, tags)?;
            let until = match request {
                HoldRequest::Clear => None,
                HoldRequest::For(duration) => Some(hold_end(now, duration)),
                HoldRequest::Until(local) => Some(until_in_zone(local, zone, now)?),
            };
            Ok(HoldTarget { name, zone, until })
        })
        .collect()
}

/// The owner of a service the command names, or the error that says the config does not
/// manage it (a service in a selector's cluster without the selector's tag).
fn owned(
    config: &StackConfig,
    name: &ServiceName,
    tags: &ServiceTags,
) -> Result<(Tz, Option<Capacity>), HoldError> {
    owner(config, name, tags).ok_or_else(|| HoldError::NotManaged {
        arg: name.to_string(),
        config: config.path.display().to_string(),
        managed: managed_list(config),
    })
}

/// `--until` in `zone`: after `now`, at most [`MAX_HOLD_DAYS`] days later.
fn until_in_zone(
    local: NaiveDateTime,
    zone: Tz,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>, HoldError> {
    let until = local_to_utc(local, zone)?;
    let shown = local.format("%Y-%m-%d %H:%M").to_string();
    if until <= now {
        return Err(HoldError::UntilPast {
            until: shown,
            zone: zone.name().to_string(),
            now: now
                .with_timezone(&zone)
                .format("%Y-%m-%d %H:%M")
                .to_string(),
        });
    }
    if until - now > TimeDelta::days(MAX_HOLD_DAYS) {
        return Err(HoldError::UntilTooFar {
            until: shown,
            zone: zone.name().to_string(),
        });
    }
    Ok(until)
}

/// `worktime wake`, validated at `now`: the scale-out event for exactly these services
/// (declared or remembered capacity, as the scale-out trigger carries it, but no skip
/// dates: a wake means now) and the hold each gets once it is up.
#[derive(Debug, Clone)]
pub struct WakePlan {
    pub event: ScalingEvent,
    pub holds: Vec<HoldTarget>,
}

pub fn plan_wake(
    config: &StackConfig,
    args: &[String],
    duration: HoldDuration,
    now: DateTime<Utc>,
    tags: &ServiceTags,
) -> Result<WakePlan, HoldError> {
    let until = hold_end(now, duration);
    let mut holds = Vec::new();
    let mut targets = Vec::new();
    for name in managed_services(config, args)? {
        let (zone, capacity) = owned(config, &name, tags)?;
        targets.push(ServiceTarget::new(&name.cluster, &name.service, capacity));
        holds.push(HoldTarget {
            zone,
            until: Some(until),
            name,
        });
    }
    let allowed = EventDefaults::allowing(targets.iter().map(|t| t.resource_id.clone()));
    let raw = RawEvent {
        action: Some(Action::ScaleOut.as_str().to_string()),
        services: Some(targets),
        timezone: Some(config.schedule.timezone.name().to_string()),
        dry_run: Some(false),
        ..RawEvent::default()
    };
    let event = ScalingEvent::from_raw(raw, &allowed, now).map_err(|error| HoldError::Event {
        config: config.path.display().to_string(),
        services: args.join(" "),
        reason: error.to_string(),
    })?;
    Ok(WakePlan { event, holds })
}

/// The named services as read from ECS before anything is written: the clients to write
/// with, each service's ARN (in argument order) and every service's tags.
pub struct LookedUp {
    pub clients: Clients,
    pub arns: Vec<String>,
    pub tags: ServiceTags,
}

/// Connects in `config`'s region (or `--region`) and reads every service `args` names, each
/// checked against the config first: one that ECS does not know stops the command with
/// nothing written.
pub async fn look_up(
    config: &StackConfig,
    args: &[String],
    aws: &AwsArgs,
) -> Result<LookedUp, Error> {
    let names = managed_services(config, args)?;
    let sdk = aws.load(Some(&config.stack.region)).await;
    let region = sdk.region().map_or_else(String::new, |r| r.to_string());
    let clients = crate::aws::clients::function(&sdk);
    let (arns, tags) = service_arns(&clients, &names, &region).await?;
    Ok(LookedUp {
        clients,
        arns,
        tags,
    })
}

/// `worktime hold` (not `--clear`) refuses services that are down already (bounds 0/0, or no
/// scalable target and desired count 0, as the function judges it): a hold would leave them
/// down while saying "held until". Reads each service as the function does (ECS and
/// Application Auto Scaling), before anything is written.
pub async fn refuse_down(clients: &Clients, names: &[ServiceName]) -> Result<(), HoldError> {
    let requests: Vec<ServiceRequest> = names
        .iter()
        .map(|name| ServiceRequest {
            resource_id: name.resource_id(),
            cluster: name.cluster.clone(),
            service: name.service.clone(),
            declared: None,
            refused: None,
            selected_by: None,
            wave: 0,
        })
        .collect();
    let observed = worktime_lambda::observe::observe(clients, &requests).await;
    down_services(names, &observed)
}

/// The decision of [`refuse_down`], on what was read: a service that could not be read
/// stops the command too (nothing is known about it).
pub fn down_services(
    names: &[ServiceName],
    observed: &HashMap<String, Observed>,
) -> Result<(), HoldError> {
    let unreadable: Vec<(String, String)> = names
        .iter()
        .filter_map(|name| {
            let seen = observed.get(&name.resource_id());
            let reason = match seen {
                None => Some("not found".to_string()),
                Some(seen) if !seen.exists => Some("not found".to_string()),
                Some(seen) => seen.lookup_error.clone(),
            }?;
            Some((name.to_string(), reason))
        })
        .collect();
    if let Some((_, reason)) = unreadable.first() {
        return Err(HoldError::Unreadable {
            services: unreadable
                .iter()
                .map(|(name, _)| name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            reason: reason.clone(),
        });
    }
    let down: Vec<(&ServiceName, &Observed)> = names
        .iter()
        .filter_map(|name| {
            let seen = observed.get(&name.resource_id())?;
            seen.is_at_zero().then_some((name, seen))
        })
        .collect();
    if down.is_empty() {
        return Ok(());
    }
    Err(HoldError::AlreadyDown {
        services: down
            .iter()
            .map(|(name, _)| name.to_string())
            .collect::<Vec<_>>()
            .join(" "),
        states: down
            .iter()
            .map(|(name, seen)| {
                let desired = seen.desired_count.unwrap_or(0);
                match seen.target {
                    Some(bounds) => format!("{name} (bounds {bounds}, desired {desired})"),
                    None => format!("{name} (no scalable target, desired {desired})"),
                }
            })
            .collect::<Vec<_>>()
            .join(", "),
    })
}

/// The hold a service had when it was looked up (the `worktime:hold-until` value), if any.
pub fn previous_hold(tags: &ServiceTags, name: &ServiceName) -> Option<String> {
    tags.get(name)?
        .iter()
        .find(|(key, _)| key == HOLD_UNTIL_TAG)
        .map(|(_, value)| value.clone())
}

/// Whether a service carries the opt-out tag `worktime:exclude` (as looked up).
pub fn excluded(tags: &ServiceTags, name: &ServiceName) -> bool {
    tags.get(name)
        .is_some_and(|tags| tags.iter().any(|(key, _)| key == EXCLUDE_TAG))
}

/// Puts a service's hold back as it was before `wake` wrote one (`previous`: the old value;
/// `None`: no hold), when the wake did not bring the service up.
pub async fn restore_hold(
    clients: &Clients,
    arn: &str,
    previous: Option<&str>,
) -> Result<(), String> {
    match previous {
        Some(value) => clients
            .ecs
            .tag_resource()
            .resource_arn(arn)
            .tags(Tag::builder().key(HOLD_UNTIL_TAG).value(value).build())
            .send()
            .await
            .map(|_| ())
            .map_err(|e| {
                format!(
                    "putting back {HOLD_UNTIL_TAG} = {value}: {}",
                    describe_error(&e)
                )
            }),
        None => clients
            .ecs
            .untag_resource()
            .resource_arn(arn)
            .tag_keys(HOLD_UNTIL_TAG)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| format!("removing {HOLD_UNTIL_TAG}: {}", describe_error(&e))),
    }
}

/// ECS `DescribeServices` takes at most 10 services per call.
const ECS_DESCRIBE_BATCH: usize = 10;

/// Each service's ARN, in order, and every service's tags. When ECS does not know some of
/// them (or their cluster), an error naming every one of them: nothing is written for the
/// others either.
async fn service_arns(
    clients: &Clients,
    names: &[ServiceName],
    region: &str,
) -> Result<(Vec<String>, ServiceTags), Error> {
    let mut arns: Vec<Option<String>> = vec![None; names.len()];
    let mut tags = ServiceTags::new();
    let mut clusters: Vec<&str> = Vec::new();
    for name in names {
        if !clusters.contains(&name.cluster.as_str()) {
            clusters.push(&name.cluster);
        }
    }
    for cluster in clusters {
        let indexes: Vec<usize> = (0..names.len())
            .filter(|&i| names[i].cluster == cluster)
            .collect();
        for batch in indexes.chunks(ECS_DESCRIBE_BATCH) {
            let result = clients
                .ecs
                .describe_services()
                .cluster(cluster)
                .set_services(Some(
                    batch.iter().map(|&i| names[i].service.clone()).collect(),
                ))
                .include(aws_sdk_ecs::types::ServiceField::Tags)
                .send()
                .await;
            let output = match result {
                Ok(output) => output,
                Err(error)
                    if error
                        .as_service_error()
                        .is_some_and(|e| e.is_cluster_not_found_exception()) =>
                {
                    continue
                }
                Err(error) => {
                    return Err(Error::aws(
                        format!("reading services of cluster {cluster} (ecs:DescribeServices)"),
                        error,
                    ))
                }
            };
            for service in output.services() {
                // ECS keeps a deleted service visible as INACTIVE for a while.
                if service.status() == Some("INACTIVE") {
                    continue;
                }
                if let Some(&i) = batch
                    .iter()
                    .find(|&&i| service.service_name() == Some(names[i].service.as_str()))
                {
                    arns[i] = service.service_arn().map(str::to_string);
                    tags.insert(
                        names[i].clone(),
                        service
                            .tags()
                            .iter()
                            .filter_map(|t| Some((t.key()?.to_string(), t.value()?.to_string())))
                            .collect(),
                    );
                }
            }
        }
    }
    let missing: Vec<String> = names
        .iter()
        .zip(&arns)
        .filter(|(_, arn)| arn.is_none())
        .map(|(name, _)| name.to_string())
        .collect();
    if !missing.is_empty() {
        return Err(HoldError::NotFound {
            services: missing.join(", "),
            region: region.to_string(),
        }
        .into());
    }
    Ok((arns.into_iter().flatten().collect(), tags))
}

/// What happened to one service's hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum HoldOutcome {
    /// The tag now holds the service until `until`.
    Held,
    /// The tag is gone.
    Cleared,
    /// Not written (wake: the service did not come up); `reason` says why.
    NotHeld,
    /// Writing the tag failed; `reason` says why.
    Failed,
}

/// One service's line: what its hold is now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HoldLine {
    /// `cluster/service`.
    pub service: String,
    pub outcome: HoldOutcome,
    /// The hold's end (the tag's value), UTC.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub until: Option<DateTime<Utc>>,
    /// The same instant in `zone`, `YYYY-MM-DD HH:MM`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub until_local: Option<String>,
    /// The service's schedule zone.
    pub zone: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl HoldLine {
    fn new(target: &HoldTarget, outcome: HoldOutcome, reason: Option<String>) -> Self {
        HoldLine {
            service: target.name.to_string(),
            outcome,
            until: target.until,
            until_local: target.until.map(|until| {
                until
                    .with_timezone(&target.zone)
                    .format("%Y-%m-%d %H:%M")
                    .to_string()
            }),
            zone: target.zone.name().to_string(),
            reason,
        }
    }

    /// A hold not written, and why.
    pub fn not_held(target: &HoldTarget, reason: String) -> Self {
        HoldLine {
            until: None,
            until_local: None,
            ..HoldLine::new(target, HoldOutcome::NotHeld, Some(reason))
        }
    }

    /// A hold write (or take-back) that failed, and why; the hold is as `target` says.
    pub fn failed(target: &HoldTarget, reason: String) -> Self {
        HoldLine::new(target, HoldOutcome::Failed, Some(reason))
    }

    pub fn is_failure(&self) -> bool {
        matches!(self.outcome, HoldOutcome::NotHeld | HoldOutcome::Failed)
    }
}

impl fmt::Display for HoldLine {
    /// `held until 2026-11-28 06:00 (Asia/Seoul) / 2026-11-27T21:00:00Z`, `hold cleared`, ...
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.outcome, self.until, &self.until_local) {
            (HoldOutcome::Held, Some(until), Some(local)) => write!(
                f,
                "held until {local} ({}) / {}",
                self.zone,
                hold_until_value(until)
            ),
            (HoldOutcome::Cleared, ..) => f.write_str("hold cleared"),
            (HoldOutcome::Failed, ..) => write!(
                f,
                "hold FAILED: {}",
                self.reason.as_deref().unwrap_or("unknown")
            ),
            _ => write!(
                f,
                "not held: {}",
                self.reason.as_deref().unwrap_or("unknown")
            ),
        }
    }
}

/// Writes (or removes) one service's hold tag; the line says what it is now.
pub async fn write_hold(clients: &Clients, target: &HoldTarget, arn: &str) -> HoldLine {
    let result = match target.until {
        Some(until) => clients
            .ecs
            .tag_resource()
            .resource_arn(arn)
            .tags(
                Tag::builder()
                    .key(HOLD_UNTIL_TAG)
                    .value(hold_until_value(until))
                    .build(),
            )
            .send()
            .await
            .map(|_| HoldOutcome::Held)
            .map_err(|e| format!("tagging {HOLD_UNTIL_TAG}: {}", describe_error(&e))),
        None => clients
            .ecs
            .untag_resource()
            .resource_arn(arn)
            .tag_keys(HOLD_UNTIL_TAG)
            .send()
            .await
            .map(|_| HoldOutcome::Cleared)
            .map_err(|e| format!("removing {HOLD_UNTIL_TAG}: {}", describe_error(&e))),
    };
    match result {
        Ok(outcome) => HoldLine::new(target, outcome, None),
        Err(reason) => HoldLine::new(target, HoldOutcome::Failed, Some(reason)),
    }
}

/// The error for the lines that failed (`what` completes "N of M services ..."), if any.
pub fn failures<'a>(
    lines: impl Iterator<Item = (&'a str, Option<&'a str>)>,
    total: usize,
    what: &'static str,
) -> Result<(), HoldError> {
    let failed: Vec<String> = lines
        .map(|(service, reason)| format!("{service} ({})", reason.unwrap_or("unknown")))
        .collect();
    if failed.is_empty() {
        return Ok(());
    }
    Err(HoldError::Failed {
        failed: failed.len(),
        total,
        what,
        details: failed.join("; "),
    })
}

#[cfg(test)]
mod tests;
