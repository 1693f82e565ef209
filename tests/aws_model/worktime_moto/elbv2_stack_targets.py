"""CloudFormation: a stack's target group registers the targets its template lists.

AWS (CloudFormation User Guide, ``AWS::ElasticLoadBalancingV2::TargetGroup``,
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-elasticloadbalancingv2-targetgroup.html):

    "Targets: The targets." and, of each ``TargetDescription``, "Id: The ID of the target.
    If the target type of the target group is instance, specify an instance ID. If the target
    type is ip, specify an IP address. If the target type is lambda, specify the ARN of the
    Lambda function."

moto 5.2.5 creates the group from its properties and drops ``Targets``: a stack's Lambda
target group (worktime's wake target group) then has no target, and
``DescribeTargetHealth`` answers none, where on AWS it answers the function.

Modelled: after moto creates a stack's target group, the template's ``Targets`` are
registered with it (``RegisterTargets``, each ``Id`` and, where given, ``Port``); a Lambda
target has no port (AWS: "not used if the target is a Lambda function"). Not modelled: a
stack update that changes ``Targets`` (worktime's templates keep them), ``AvailabilityZone``.
"""

from __future__ import annotations

from typing import Any


def install() -> None:
    from moto.elbv2.models import FakeTargetGroup, elbv2_backends

    original = FakeTargetGroup.create_from_cloudformation_json.__func__

    def create_from_cloudformation_json(  # type: ignore[no-untyped-def]
        cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
    ):
        group = original(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
        targets: list[dict[str, Any]] = []
        for target in cloudformation_json.get("Properties", {}).get("Targets") or []:
            entry: dict[str, Any] = {"Id": str(target["Id"])}
            if "Port" in target and group.target_type != "lambda":
                entry["Port"] = int(target["Port"])
            targets.append(entry)
        if targets:
            elbv2_backends[account_id][region_name].register_targets(group.arn, targets)
        return group

    FakeTargetGroup.create_from_cloudformation_json = classmethod(create_from_cloudformation_json)
