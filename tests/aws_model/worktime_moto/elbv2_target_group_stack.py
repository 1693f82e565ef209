"""CloudFormation: a stack's ``AWS::ElasticLoadBalancingV2::TargetGroup`` is deleted with the
stack, through Elastic Load Balancing's own ``DeleteTargetGroup``, refused while a listener or
rule action still references the group.

AWS (Elastic Load Balancing API Reference, DeleteTargetGroup,
https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_DeleteTargetGroup.html):

    "Deletes the specified target group. You can delete a target group if it is not
    referenced by any actions."

    Errors: ``ResourceInUse`` "A specified resource is in use." HTTP Status Code: 400

AWS's message for it, as reported in public issues (hashicorp/terraform #13076,
pulumi/pulumi #5900): ``Target group '<arn>' is currently in use by a listener or a rule``.
CloudFormation deletes a stack's resources through their resource handlers (CloudFormation
User Guide, stack status codes,
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/view-stack-events.html):
``DELETE_FAILED`` "Unsuccessful deletion of one or more stacks. Because the delete failed,
you might have some resources that are still running; however, you can't work with or
update the stack. Delete the stack again or view the stack events to see any associated
error messages."

moto 5.2.5: ``FakeTargetGroup`` has neither ``delete`` nor ``delete_from_cloudformation_json``,
so ``DeleteStack`` silently leaves every stack-made target group behind (``DescribeTargetGroups``
still lists it) and the stack ends ``DELETE_COMPLETE`` even while a rule forwards to the
group; its own ``DeleteTargetGroup`` API does refuse a group in use.

Modelled: a stack deletion deletes each of its target groups through moto's
``delete_target_group`` (the API's check included: a listener's default action or a rule
whose action names the group, plainly or in a ``ForwardConfig``). A group in use fails the
resource with the handler's form (``cfn_failures.ResourceHandlerFailure``, Service
``ElasticLoadBalancingV2``, ``HandlerErrorCode: ResourceConflict``): the stack ends
``DELETE_FAILED`` with ``<logical id> DELETE_FAILED`` and the message naming the group, and
the group stays (``cfn_failures``' ``DeleteStack``). A group already gone is deleted.

Not modelled: AWS deletes a stack's resources in reverse dependency order and keeps what a
failed resource depends on (here the function the group targets and its invoke permission);
moto's delete loop tries every resource, so those are gone after the failed delete. A second
``DeleteStack`` retries the group, as on AWS.
"""

from __future__ import annotations

from typing import Any


def install() -> None:
    from moto.elbv2.exceptions import ResourceInUseError, TargetGroupNotFoundError
    from moto.elbv2.models import FakeTargetGroup, elbv2_backends

    from .cfn_failures import ResourceHandlerFailure

    def delete(self: Any, account_id: str, region_name: str) -> None:
        backend = elbv2_backends[account_id][region_name]
        try:
            backend.delete_target_group(self.arn)
        except TargetGroupNotFoundError:
            return  # deleted already: the handler's delete succeeds
        except ResourceInUseError:
            raise ResourceHandlerFailure(
                getattr(self, "logical_resource_id", "") or self.name,
                "AWS::ElasticLoadBalancingV2::TargetGroup",
                "DELETE",
                "ElasticLoadBalancingV2",
                f"Target group '{self.arn}' is currently in use by a listener or a rule",
                "ResourceConflict",
                physical_id=self.arn,
            ) from None

    delete.__doc__ = __doc__
    FakeTargetGroup.delete = delete
