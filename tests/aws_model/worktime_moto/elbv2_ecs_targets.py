"""Elastic Load Balancing: an ECS service's tasks are the targets of its target groups.

AWS (Amazon ECS Developer Guide, "Use load balancing to distribute Amazon ECS service
traffic", https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-load-balancing.html):

    "Amazon ECS services can use Elastic Load Balancing ... When a task is started, the
    container instance IP address and port (or the task's elastic network interface for the
    awsvpc network mode) is registered with the target group."

and the task lifecycle ("Amazon ECS task lifecycle"): a task registers with its load balancer
while ACTIVATING, before RUNNING, and is deregistered while DEACTIVATING, its connections
draining for the target group's deregistration delay. Target health (Elastic Load Balancing
User Guide for Application Load Balancers, "Health checks for Application Load Balancer
target groups", target health states):

    "initial: The load balancer is in the process of registering the target or performing
    the initial health checks on the target." (reason ``Elb.RegistrationInProgress`` /
    ``Elb.InitialHealthChecking``)
    "healthy: The target is healthy."
    "draining: The target is deregistering and connection draining is in process."
    (reason ``Target.DeregistrationInProgress``)

moto 5.2.5 registers nothing into a service's target group: ``DescribeTargetHealth`` of an
ECS service's group answers no targets whatever its tasks.

Modelled: ``DescribeTargetHealth`` of a target group that an ECS service of the same account
and Region names in its ``loadBalancers`` answers that service's tasks as ``ip`` targets (the
``awsvpc`` mode of Fargate), from the ECS task model (``ecs_tasks``, refreshed at the call):
a PENDING task is ``initial`` (``Elb.RegistrationInProgress``: the model's PENDING covers
ACTIVATING), a RUNNING task ``healthy`` (the model has no health check that fails), a RUNNING
task being stopped ``draining``; a stopped task is gone. Each task keeps one address
(``10.0.<n / 250>.<n % 250 + 4>``) for its life. Targets registered by hand with
``RegisterTargets`` are answered after them as moto answers them.

A RUNNING task is healthy at once, unless the target group carries the tag
``worktime-model:healthy-after-seconds`` = N: then it stays ``initial``
(``Elb.InitialHealthChecking``, "performing the initial health checks") for N seconds after it
became RUNNING, standing for the group's ``HealthyThresholdCount`` consecutive checks
``HealthCheckIntervalSeconds`` apart (the same guide: a target becomes healthy after that many
successful checks). Not modelled: health checks that fail, the deregistration delay (a
stopping task drains for the model's ``stop_seconds``), instance and Lambda targets of ECS.
"""

from __future__ import annotations

import time
from typing import Any

NEVER = float("inf")
HEALTHY_AFTER_TAG = "worktime-model:healthy-after-seconds"


def _healthy_after(elb_backend: Any, target_group_arn: str) -> float:
    """The group's modelled initial health checking time (its tag), 0 without it."""
    tags = elb_backend.tagging_service.get_tag_dict_for_resource(target_group_arn)
    try:
        return max(0.0, float(tags.get(HEALTHY_AFTER_TAG, 0)))
    except ValueError:
        return 0.0


def _address(state: Any, task: Any) -> str:
    """The task's address, kept on the task model's state for the task's life."""
    addresses = state.__dict__.setdefault("_worktime_addresses", {})
    key = id(task)
    if key not in addresses:
        n = state.__dict__.get("_worktime_next_address", 0)
        state.__dict__["_worktime_next_address"] = n + 1
        addresses[key] = f"10.0.{n // 250}.{n % 250 + 4}"
    return addresses[key]


def _service_targets(elb_backend: Any, target_group_arn: str) -> list[tuple[str, str]] | None:
    """``(address, state)`` of the tasks of the ECS services registered with the group, or
    ``None`` when no service is."""
    from moto.ecs.models import ecs_backends

    from . import ecs_tasks

    try:
        ecs = ecs_backends[elb_backend.account_id][elb_backend.region_name]
    except KeyError:
        return None
    found: list[tuple[str, str]] | None = None
    now = time.time()
    checking = _healthy_after(elb_backend, target_group_arn)
    for service in list(ecs.services.values()):
        groups = [lb.get("targetGroupArn") for lb in getattr(service, "load_balancers", [])]
        if target_group_arn not in groups:
            continue
        found = found or []
        state = ecs_tasks.refresh(service, now)
        for task in state.live(now):
            if task.ready_at > now:
                health = "initial"
            elif task.stop_at != NEVER:
                health = "draining"
            elif task.ready_at + checking > now:
                health = "checking"
            else:
                health = "healthy"
            found.append((_address(state, task), health))
    return found


_REASONS = {
    "initial": ("Elb.RegistrationInProgress", "Target registration is in progress"),
    "checking": ("Elb.InitialHealthChecking", "Initial health checks in progress"),
    "draining": ("Target.DeregistrationInProgress", "Target deregistration is in progress"),
}


def install() -> None:
    from moto.elbv2.models import ELBv2Backend, FakeHealthStatus

    if getattr(ELBv2Backend, "_worktime_ecs_targets_installed", False):
        return
    ELBv2Backend._worktime_ecs_targets_installed = True  # type: ignore[attr-defined]
    original = ELBv2Backend.describe_target_health

    def describe_target_health(self, target_group_arn, targets):  # type: ignore[no-untyped-def]
        answered = original(self, target_group_arn, targets)
        tasks = _service_targets(self, target_group_arn)
        if tasks is None:
            return answered
        group = self.target_groups[target_group_arn]
        asked = {t["Id"] for t in targets or []}
        ours = {address for address, _ in tasks}
        answered = [s for s in answered if s.instance_id not in ours]
        statuses = []
        for address, health in tasks:
            if asked and address not in asked:
                continue
            reason, description = _REASONS.get(health, (None, None))
            state = "initial" if health == "checking" else health
            statuses.append(
                FakeHealthStatus(
                    address, group.port, group.health_check_port, state, reason, description
                )
            )
        return statuses + answered

    describe_target_health.__doc__ = __doc__
    ELBv2Backend.describe_target_health = describe_target_health
