//! The pure planner: from an event and what was observed of each service, decide what to do.
//!
//! No SDK types and no I/O live here, so every rule is tested without a network. The rules
//! that make a run safe to repeat:
//! - scale-in of a service already at 0/0 changes nothing and keeps its remembered capacity;
//! - scale-out of a service already at its working-hours capacity changes nothing;
//! - scale-out on a skip date (in the schedule's zone, not UTC) changes nothing and says so.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use crate::event::{Action, Capacity, ScalingEvent, ServiceRequest};

/// What was read of one service before deciding.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Observed {
    /// False when ECS does not know the service (or its cluster).
    pub exists: bool,
    /// The service's ARN, needed to tag it.
    pub service_arn: Option<String>,
    /// The ECS service's desired task count.
    pub desired_count: Option<i32>,
    /// The scalable target's min/max; `None` when never registered.
    pub target: Option<Capacity>,
    /// Capacity remembered by an earlier scale-in (the `worktime:capacity` tag).
    pub remembered: Option<Capacity>,
    /// The tag was present but unreadable: reported, and treated as absent.
    pub remembered_unreadable: Option<String>,
    /// Reading the service failed for another reason (access denied, say): it fails alone.
    pub lookup_error: Option<String>,
}

impl Observed {
    /// The service's capacity as it runs now: the scalable target's bounds, or its desired
    /// count when no scalable target exists yet.
    pub fn effective(&self) -> Option<Capacity> {
        self.target.or_else(|| {
            self.desired_count.map(|d| Capacity {
                min: d.max(0),
                max: d.max(0),
            })
        })
    }

    fn is_at_zero(&self) -> bool {
        self.effective().is_some_and(Capacity::is_zero)
    }
}

/// The decision for one service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "decision", rename_all = "kebab-case")]
pub enum Decision {
    /// Register the scalable target with `to`; first record `remember` on the service.
    Register {
        to: Capacity,
        #[serde(skip_serializing_if = "Option::is_none")]
        remember: Option<Capacity>,
    },
    /// Already where it should be.
    Unchanged { reason: String },
    /// Deliberately left alone (skip date).
    Skipped { reason: String },
    /// Cannot be done; the others go on.
    Fail { reason: String },
}

/// One service's line in the plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlannedService {
    pub resource_id: String,
    /// The action taken for this service (a toggle resolves to in or out per service).
    pub action: Action,
    pub before: Option<Capacity>,
    #[serde(flatten)]
    pub decision: Decision,
}

/// Whether `now` falls on a skip date in the schedule's zone.
pub fn local_date(now: DateTime<Utc>, zone: Tz) -> NaiveDate {
    now.with_timezone(&zone).date_naive()
}

/// Plans one service. `skip_today` is true when today (local) is a skip date.
pub fn plan_service(
    action: Action,
    request: &ServiceRequest,
    observed: &Observed,
    skip_today: bool,
) -> PlannedService {
    let before = observed.effective();
    let resolved = match action {
        Action::Toggle if observed.is_at_zero() => Action::ScaleOut,
        Action::Toggle => Action::ScaleIn,
        other => other,
    };
    let decision = if let Some(error) = &observed.lookup_error {
        Decision::Fail {
            reason: format!("could not read the service: {error}"),
        }
    } else if !observed.exists {
        Decision::Fail {
            reason: format!(
                "ECS service {} not found in cluster {}: check the cluster and service names",
                request.service, request.cluster
            ),
        }
    } else {
        match resolved {
            Action::ScaleIn => decide_scale_in(request, observed),
            Action::ScaleOut => decide_scale_out(request, observed, skip_today),
            Action::Toggle => unreachable!("toggle is resolved above"),
        }
    };
    PlannedService {
        resource_id: request.resource_id.clone(),
        action: resolved,
        before,
        decision,
    }
}

fn decide_scale_in(request: &ServiceRequest, observed: &Observed) -> Decision {
    if observed.target == Some(Capacity::ZERO) {
        return Decision::Unchanged {
            reason: "already at 0/0; remembered capacity kept".into(),
        };
    }
    // Declared services come back to their declared capacity, so nothing needs remembering.
    // Restore-mode services remember what they run with now (it may have been changed
    // during the day), unless that is already zero.
    let remember = match request.declared {
        Some(_) => None,
        None => observed.effective().filter(|c| !c.is_zero()),
    };
    Decision::Register {
        to: Capacity::ZERO,
        remember,
    }
}

fn decide_scale_out(request: &ServiceRequest, observed: &Observed, skip_today: bool) -> Decision {
    if skip_today {
        return Decision::Skipped {
            reason: "today is a skip date in the schedule's time zone: no scale-out".into(),
        };
    }
    let Some(to) = request.declared.or(observed.remembered) else {
        // Nothing declared and nothing remembered: a service that runs anyway is fine as it
        // is; one at zero cannot be brought back to a capacity nobody gave.
        return match observed.effective() {
            Some(current) if !current.is_zero() => Decision::Unchanged {
                reason: format!("running at {current}; no remembered capacity to restore"),
            },
            _ => Decision::Fail {
                reason: "no declared and no remembered capacity: add min and max for this service \
                         in worktime.toml, or scale it in once with worktime so its capacity is remembered"
                    .into(),
            },
        };
    };
    if observed.target == Some(to) {
        return Decision::Unchanged {
            reason: format!("already at {to}"),
        };
    }
    Decision::Register { to, remember: None }
}

/// Plans every service of an event.
pub fn plan(
    event: &ScalingEvent,
    observed: &std::collections::HashMap<String, Observed>,
    now: DateTime<Utc>,
) -> Vec<PlannedService> {
    let skip_today = event.skip_dates.contains(&local_date(now, event.timezone));
    let missing = Observed::default();
    event
        .services
        .iter()
        .map(|request| {
            let seen = observed.get(&request.resource_id).unwrap_or(&missing);
            plan_service(event.action, request, seen, skip_today)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cap(min: i32, max: i32) -> Capacity {
        Capacity { min, max }
    }

    fn request(declared: Option<Capacity>) -> ServiceRequest {
        ServiceRequest {
            resource_id: "service/prod/api".into(),
            cluster: "prod".into(),
            service: "api".into(),
            declared,
        }
    }

    fn observed(target: Option<Capacity>, remembered: Option<Capacity>, desired: i32) -> Observed {
        Observed {
            exists: true,
            service_arn: Some("arn:aws:ecs:ap-northeast-2:123456789012:service/prod/api".into()),
            desired_count: Some(desired),
            target,
            remembered,
            remembered_unreadable: None,
            lookup_error: None,
        }
    }

    fn register(to: Capacity, remember: Option<Capacity>) -> Decision {
        Decision::Register { to, remember }
    }

    /// (name, action, declared, observed, skip_today, expected resolved action, expected decision kind)
    #[test]
    fn decision_table() {
        struct Case {
            name: &'static str,
            action: Action,
            declared: Option<Capacity>,
            seen: Observed,
            skip_today: bool,
            resolved: Action,
            expect: Decision,
        }
        let unchanged = |r: &str| Decision::Unchanged { reason: r.into() };
        let cases = vec![
            Case {
                name: "scale-in declared service running",
                action: Action::ScaleIn,
                declared: Some(cap(1, 3)),
                seen: observed(Some(cap(1, 3)), None, 2),
                skip_today: false,
                resolved: Action::ScaleIn,
                expect: register(Capacity::ZERO, None),
            },
            Case {
                name: "scale-in restore-mode service remembers current bounds",
                action: Action::ScaleIn,
                declared: None,
                seen: observed(Some(cap(2, 6)), None, 4),
                skip_today: false,
                resolved: Action::ScaleIn,
                expect: register(Capacity::ZERO, Some(cap(2, 6))),
            },
            Case {
                name: "scale-in restore-mode overwrites stale memory with today's bounds",
                action: Action::ScaleIn,
                declared: None,
                seen: observed(Some(cap(3, 9)), Some(cap(2, 6)), 4),
                skip_today: false,
                resolved: Action::ScaleIn,
                expect: register(Capacity::ZERO, Some(cap(3, 9))),
            },
            Case {
                name: "scale-in of unregistered restore-mode service remembers desired count",
                action: Action::ScaleIn,
                declared: None,
                seen: observed(None, None, 2),
                skip_today: false,
                resolved: Action::ScaleIn,
                expect: register(Capacity::ZERO, Some(cap(2, 2))),
            },
            Case {
                name: "scale-in again at 0/0 keeps memory",
                action: Action::ScaleIn,
                declared: None,
                seen: observed(Some(Capacity::ZERO), Some(cap(2, 6)), 0),
                skip_today: false,
                resolved: Action::ScaleIn,
                expect: unchanged("already at 0/0; remembered capacity kept"),
            },
            Case {
                name: "scale-out declared",
                action: Action::ScaleOut,
                declared: Some(cap(1, 3)),
                seen: observed(Some(Capacity::ZERO), None, 0),
                skip_today: false,
                resolved: Action::ScaleOut,
                expect: register(cap(1, 3), None),
            },
            Case {
                name: "scale-out restores remembered",
                action: Action::ScaleOut,
                declared: None,
                seen: observed(Some(Capacity::ZERO), Some(cap(2, 6)), 0),
                skip_today: false,
                resolved: Action::ScaleOut,
                expect: register(cap(2, 6), None),
            },
            Case {
                name: "scale-out declared wins over remembered",
                action: Action::ScaleOut,
                declared: Some(cap(1, 3)),
                seen: observed(Some(Capacity::ZERO), Some(cap(2, 6)), 0),
                skip_today: false,
                resolved: Action::ScaleOut,
                expect: register(cap(1, 3), None),
            },
            Case {
                name: "scale-out already there",
                action: Action::ScaleOut,
                declared: Some(cap(1, 3)),
                seen: observed(Some(cap(1, 3)), None, 1),
                skip_today: false,
                resolved: Action::ScaleOut,
                expect: unchanged("already at 1/3"),
            },
            Case {
                name: "scale-out registers a never-registered declared service",
                action: Action::ScaleOut,
                declared: Some(cap(1, 3)),
                seen: observed(None, None, 0),
                skip_today: false,
                resolved: Action::ScaleOut,
                expect: register(cap(1, 3), None),
            },
            Case {
                name: "scale-out on a skip date does nothing",
                action: Action::ScaleOut,
                declared: Some(cap(1, 3)),
                seen: observed(Some(Capacity::ZERO), None, 0),
                skip_today: true,
                resolved: Action::ScaleOut,
                expect: Decision::Skipped {
                    reason: "today is a skip date in the schedule's time zone: no scale-out".into(),
                },
            },
            Case {
                name: "scale-in on a skip date still scales in",
                action: Action::ScaleIn,
                declared: Some(cap(1, 3)),
                seen: observed(Some(cap(1, 3)), None, 1),
                skip_today: true,
                resolved: Action::ScaleIn,
                expect: register(Capacity::ZERO, None),
            },
            Case {
                name: "scale-out restore-mode running with nothing remembered is left alone",
                action: Action::ScaleOut,
                declared: None,
                seen: observed(Some(cap(1, 2)), None, 1),
                skip_today: false,
                resolved: Action::ScaleOut,
                expect: unchanged("running at 1/2; no remembered capacity to restore"),
            },
            Case {
                name: "toggle at zero goes out",
                action: Action::Toggle,
                declared: Some(cap(1, 3)),
                seen: observed(Some(Capacity::ZERO), None, 0),
                skip_today: false,
                resolved: Action::ScaleOut,
                expect: register(cap(1, 3), None),
            },
            Case {
                name: "toggle running goes in",
                action: Action::Toggle,
                declared: Some(cap(1, 3)),
                seen: observed(Some(cap(1, 3)), None, 2),
                skip_today: false,
                resolved: Action::ScaleIn,
                expect: register(Capacity::ZERO, None),
            },
            Case {
                name: "toggle of an unregistered service at desired 0 goes out",
                action: Action::Toggle,
                declared: Some(cap(1, 3)),
                seen: observed(None, None, 0),
                skip_today: false,
                resolved: Action::ScaleOut,
                expect: register(cap(1, 3), None),
            },
        ];
        for case in cases {
            let planned = plan_service(
                case.action,
                &request(case.declared),
                &case.seen,
                case.skip_today,
            );
            assert_eq!(planned.action, case.resolved, "{}", case.name);
            assert_eq!(planned.decision, case.expect, "{}", case.name);
        }
    }

    #[test]
    fn scale_out_with_nothing_to_restore_fails_with_fix() {
        let planned = plan_service(
            Action::ScaleOut,
            &request(None),
            &observed(Some(Capacity::ZERO), None, 0),
            false,
        );
        let Decision::Fail { reason } = planned.decision else {
            panic!("expected a failure, got {:?}", planned.decision);
        };
        assert!(reason.contains("add min and max"), "{reason}");
    }

    #[test]
    fn missing_service_fails_alone() {
        let planned = plan_service(
            Action::ScaleIn,
            &request(Some(cap(1, 3))),
            &Observed::default(),
            false,
        );
        let Decision::Fail { reason } = planned.decision else {
            panic!("expected a failure");
        };
        assert!(reason.contains("not found"), "{reason}");
        assert_eq!(planned.before, None);
    }

    #[test]
    fn skip_date_is_local_not_utc() {
        use chrono::TimeZone;
        // 2026-12-24 23:30 UTC is already 2026-12-25 08:30 in Seoul.
        let now = Utc.with_ymd_and_hms(2026, 12, 24, 23, 30, 0).unwrap();
        assert_eq!(
            local_date(now, chrono_tz::Asia::Seoul),
            NaiveDate::from_ymd_opt(2026, 12, 25).unwrap()
        );
        let event = ScalingEvent {
            action: Action::ScaleOut,
            implicit_toggle: false,
            services: vec![request(Some(cap(1, 3)))],
            timezone: chrono_tz::Asia::Seoul,
            skip_dates: vec![NaiveDate::from_ymd_opt(2026, 12, 25).unwrap()],
            dry_run: false,
        };
        let mut seen = std::collections::HashMap::new();
        seen.insert(
            "service/prod/api".to_string(),
            observed(Some(Capacity::ZERO), None, 0),
        );
        let planned = plan(&event, &seen, now);
        assert!(matches!(planned[0].decision, Decision::Skipped { .. }));
        // The same instant in UTC is still the 24th: in a UTC zone it scales out.
        let utc_event = ScalingEvent {
            timezone: chrono_tz::UTC,
            ..event
        };
        let planned = plan(&utc_event, &seen, now);
        assert!(matches!(planned[0].decision, Decision::Register { .. }));
    }
}
