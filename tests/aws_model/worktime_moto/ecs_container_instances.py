"""ECS container instances follow the Auto Scaling group that launches them: an instance the
group launches registers with its cluster (after an optional delay), one the group terminates
is deregistered.

AWS (Amazon ECS Developer Guide, "Amazon ECS Linux container instances" /
"Launching an Amazon ECS Linux container instance",
https://docs.aws.amazon.com/AmazonECS/latest/developerguide/launch_container_instance.html):

    "By default, your container instance launches into your default cluster. To launch into a
    non-default cluster, [...] specify the following script in the User data field:
    #!/bin/bash
    echo ECS_CLUSTER=your_cluster_name >> /etc/ecs/ecs.config"

("Amazon ECS container agent configuration",
https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs-agent-config.html):

    "ECS_CLUSTER [...] The cluster that this agent should check into. [...] Default value:
    default"

and ("Amazon ECS container instances",
https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ECS_instances.html): the
container agent on the instance registers it with the cluster when it starts, after which
the instance is ACTIVE and tasks can be placed on it; ("Deregister an Amazon ECS container
instance", https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deregister_container_instance.html):

    "If you terminate a running container instance, Amazon ECS automatically deregisters the
    instance from the cluster" (paraphrased: stopped or terminated instances are deregistered
    or become inactive).

moto 5.2.5 launches EC2 instances for an Auto Scaling group's desired capacity but never
registers them with ECS (its container instances appear only through
``RegisterContainerInstance``), so a cluster whose group grows has no container instances.

Modelled, whenever a group's size is set (``CreateAutoScalingGroup``,
``UpdateAutoScalingGroup``, ``SetDesiredCapacity``, deletion): each instance the group holds
registers as an ACTIVE container instance of the cluster its user data names
(``ECS_CLUSTER=<name>`` in the launch configuration's or launch template's user data, as the
agent reads ``/etc/ecs/ecs.config``; without it, ``default``), once ``register_seconds`` have
passed since the instance was launched (default 0: at once). Registration is evaluated when
``ListContainerInstances`` or ``DescribeContainerInstances`` is answered, from the wall clock.
An instance the group terminates is deregistered at once (whether or not it had registered).
The cluster must exist when the instance registers (the agent's registration fails otherwise;
here the instance simply never registers).

Test control: the group's tag ``worktime-model:register-seconds`` (a number of seconds >= 0)
sets ``register_seconds`` for the instances it launches afterwards. The tag is the model's
only (AWS gives it no meaning); worktime never reads or writes it.

Not modelled: the agent's own failures (a wrong IAM instance profile, no network route),
``DRAINING``, the container instance's resources and attributes beyond moto's defaults,
instances launched outside a group, warm pools.
"""

from __future__ import annotations

import re
import time
from typing import Any

REGISTER_SECONDS_TAG = "worktime-model:register-seconds"
DEFAULT_CLUSTER = "default"
_ECS_CLUSTER = re.compile(r"ECS_CLUSTER=([A-Za-z0-9_-]{1,255})")


def cluster_of(group: Any) -> str:
    """The cluster an instance of ``group`` checks into: ``ECS_CLUSTER=`` in its user data,
    else ``default``."""
    user_data = group.user_data
    if user_data is None:
        return DEFAULT_CLUSTER
    try:
        text = user_data.decode() if hasattr(user_data, "decode") else str(user_data)
    except (ValueError, UnicodeDecodeError):
        return DEFAULT_CLUSTER
    found = _ECS_CLUSTER.search(text)
    return found.group(1) if found else DEFAULT_CLUSTER


def _register_seconds(group: Any) -> float:
    for tag in group.tags:
        if tag.get("Key") == REGISTER_SECONDS_TAG:
            try:
                return max(0.0, float(tag.get("Value", "0")))
            except ValueError:
                return 0.0
    return 0.0


def _ecs_backend(group: Any) -> Any:
    from moto.ecs.models import ecs_backends

    return ecs_backends[group.account_id][group.region]


def _pending(ecs: Any) -> dict[str, tuple[str, float]]:
    """EC2 instance id -> (cluster, when it registers), per ECS backend."""
    return ecs.__dict__.setdefault("_worktime_pending_instances", {})


def _registered_arn(ecs: Any, cluster: str, instance_id: str) -> str | None:
    for ci in ecs.container_instances.get(cluster, {}).values():
        if ci.ec2_instance_id == instance_id:
            return ci.container_instance_arn
    return None


def follow_group(group: Any, now: float | None = None) -> None:
    """Brings the container instances of ``group``'s cluster in line with its instances:
    new ones pending registration, terminated ones deregistered."""
    now = time.time() if now is None else now
    ecs = _ecs_backend(group)
    pending = _pending(ecs)
    cluster = cluster_of(group)
    current = {state.instance.id for state in group.instance_states}
    known = group.__dict__.setdefault("_worktime_instances", set())
    for instance_id in current - known:
        pending[instance_id] = (cluster, now + _register_seconds(group))
    for instance_id in known - current:
        pending.pop(instance_id, None)
        arn = _registered_arn(ecs, cluster, instance_id)
        if arn is not None:
            ecs.deregister_container_instance(cluster, arn, force=True)
    group.__dict__["_worktime_instances"] = current
    register_due(ecs, now)


def register_due(ecs: Any, now: float | None = None) -> None:
    """Registers every pending instance whose time has come (its cluster existing)."""
    now = time.time() if now is None else now
    pending = _pending(ecs)
    for instance_id, (cluster, due) in list(pending.items()):
        if due > now:
            continue
        del pending[instance_id]
        if cluster in ecs.clusters and _registered_arn(ecs, cluster, instance_id) is None:
            ecs.register_container_instance(cluster, instance_id)


def install() -> None:
    from moto.autoscaling.models import FakeAutoScalingGroup
    from moto.ecs.models import EC2ContainerServiceBackend

    if getattr(FakeAutoScalingGroup, "_worktime_container_instances", False):
        return
    FakeAutoScalingGroup._worktime_container_instances = True  # type: ignore[attr-defined]

    original_set = FakeAutoScalingGroup.set_desired_capacity
    original_list = EC2ContainerServiceBackend.list_container_instances
    original_describe = EC2ContainerServiceBackend.describe_container_instances

    def set_desired_capacity(self, new_capacity):  # type: ignore[no-untyped-def]
        original_set(self, new_capacity)
        follow_group(self)

    def list_container_instances(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        register_due(self)
        return original_list(self, *args, **kwargs)

    def describe_container_instances(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        register_due(self)
        return original_describe(self, *args, **kwargs)

    set_desired_capacity.__doc__ = __doc__
    FakeAutoScalingGroup.set_desired_capacity = set_desired_capacity
    EC2ContainerServiceBackend.list_container_instances = list_container_instances
    EC2ContainerServiceBackend.describe_container_instances = describe_container_instances
