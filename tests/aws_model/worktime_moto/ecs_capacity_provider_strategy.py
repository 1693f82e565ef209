"""An ECS service placed by a capacity provider strategy has one and no launch type.

AWS (Amazon ECS API Reference, ``CreateService``,
https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateService.html):

    "capacityProviderStrategy: The capacity provider strategy to use for the service. If a
    capacityProviderStrategy is specified, the launchType parameter must be omitted. If no
    capacityProviderStrategy or launchType is specified, the defaultCapacityProviderStrategy
    for the cluster is used."

and ``DescribeServices`` answers the service's ``capacityProviderStrategy`` with no
``launchType`` (``Service`` data type: "launchType [...] If a capacityProviderStrategy is
specified, the launchType parameter must be omitted").

moto 5.2.5 ignores ``capacityProviderStrategy`` on ``CreateService`` and gives every service
without a launch type the launch type ``EC2``.

Modelled: ``CreateService`` with both is refused (``InvalidParameterException``); with a
strategy, or with neither on a cluster that has a default strategy, the service keeps that
strategy and has no launch type; otherwise moto's behaviour (launch type as given, else
``EC2``) is unchanged.

Not modelled: ``UpdateService`` changing between the two, the strategy's effect on task
placement.
"""

from __future__ import annotations

from typing import Any


def install() -> None:
    from moto.ecs.exceptions import InvalidParameterException
    from moto.ecs.responses import EC2ContainerServiceResponse

    original = EC2ContainerServiceResponse.create_service

    def create_service(self):  # type: ignore[no-untyped-def]
        strategy: list[dict[str, Any]] | None = self._get_param("capacityProviderStrategy")
        if self._get_param("launchType"):
            if strategy:
                raise InvalidParameterException(
                    "Specifying both a launch type and capacity provider strategy is not "
                    "supported. Remove one and try again."
                )
            return original(self)
        cluster_str = self._get_param("cluster", "default")
        if not strategy:
            cluster = self.ecs_backend._get_cluster(cluster_str)
            strategy = cluster.default_capacity_provider_strategy or None
        result = original(self)
        if strategy:
            services, _ = self.ecs_backend.describe_services(
                cluster_str, [self._get_param("serviceName")]
            )
            for service in services:
                service.launch_type = None
                service.capacity_provider_strategy = strategy
        return result

    create_service.__doc__ = __doc__
    EC2ContainerServiceResponse.create_service = create_service
