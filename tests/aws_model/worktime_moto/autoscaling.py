"""Application Auto Scaling: ``RegisterScalableTarget`` brings an ECS service's desired count
into the registered bounds.

AWS (Application Auto Scaling User Guide, "Application Auto Scaling concepts",
https://docs.aws.amazon.com/autoscaling/application/userguide/getting-started.html):

    "anytime a scaling policy is invoked or the RegisterScalableTarget API is called,
    Application Auto Scaling retrieves the current capacity and compares it to the minimum and
    maximum capacity. If it falls outside of the minimum-maximum range, then the capacity is
    updated to comply with the set minimum and maximum."

and the API reference
(https://docs.aws.amazon.com/autoscaling/application/APIReference/API_RegisterScalableTarget.html):

    "If the specified resource is not active in the target service, this operation does not
    change the resource's current capacity. Otherwise, it changes the resource's current
    capacity to a value that is inside of this range."

moto 5.2.5 stores min/max and never touches the service.

Modelled: after moto stores the target (``ecs`` namespace, ``ecs:service:DesiredCount``), an
ACTIVE service whose desired count is below the stored minimum is set to the minimum, one
above the stored maximum to the maximum (through ECS ``UpdateService``'s backend, so
``runningCount`` follows as moto does for UpdateService); a count inside the bounds is left
alone. The change is visible as soon as ``RegisterScalableTarget`` returns (on AWS it is a
scaling activity that completes shortly after). Not modelled: scaling activities
(``DescribeScalingActivities``), suspended states, other namespaces, and ``min > max`` (AWS
rejects it; moto accepts it, and then the desired count is left alone).
``DeregisterScalableTarget`` leaves the desired count as it is, on AWS and here.
"""

from __future__ import annotations

from typing import Any

ECS_DESIRED_COUNT = "ecs:service:DesiredCount"


def clamp_desired_count(backend: Any, resource_id: str, target: Any) -> None:
    """Moves the service named by ``service/<cluster>/<service>`` into the target's bounds."""
    if target.min_capacity is None or target.max_capacity is None:
        return
    low, high = int(target.min_capacity), int(target.max_capacity)
    if low > high:
        return
    _, cluster, service_name = resource_id.split("/")
    services, _ = backend.ecs_backend.describe_services(cluster, [service_name])
    if len(services) != 1 or services[0].status != "ACTIVE":
        return  # "not active in the target service": capacity unchanged
    desired = int(services[0].desired_count)
    wanted = min(max(desired, low), high)
    if wanted != desired:
        backend.ecs_backend.update_service(
            {"cluster": cluster, "service": service_name, "desired_count": wanted}
        )


def install() -> None:
    from moto.applicationautoscaling.models import ApplicationAutoscalingBackend

    original = ApplicationAutoscalingBackend.register_scalable_target

    def register_scalable_target(  # type: ignore[no-untyped-def]
        self,
        namespace,
        r_id,
        dimension,
        min_capacity,
        max_capacity,
        role_arn,
        suspended_state,
    ):
        target = original(
            self,
            namespace,
            r_id,
            dimension,
            min_capacity,
            max_capacity,
            role_arn,
            suspended_state,
        )
        if namespace == "ecs" and dimension == ECS_DESIRED_COUNT:
            clamp_desired_count(self, r_id, target)
        return target

    register_scalable_target.__doc__ = __doc__
    ApplicationAutoscalingBackend.register_scalable_target = register_scalable_target
