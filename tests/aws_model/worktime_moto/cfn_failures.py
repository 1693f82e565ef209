"""CloudFormation: a resource that fails during a stack operation fails the stack, as on AWS.

AWS (CloudFormation User Guide, stack status codes,
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/view-stack-events.html):

    ``ROLLBACK_COMPLETE``: "Successful removal of one or more stacks after a failed stack
    creation or after an explicitly canceled stack creation. The stack returns to the
    previous working state. Any resources that were created during the create stack
    operation are deleted. This status exists only after a failed stack creation. [...] When
    in this state, only a delete operation can be performed."

    ``UPDATE_ROLLBACK_COMPLETE``: "Successful return of one or more stacks to a previous
    working state after a failed stack update."

moto 5.2.5 runs stack operations synchronously inside the API call; a resource that raises
makes the API call itself fail (and can leave the stack half made, in ``CREATE_PENDING`` or
``CREATE_IN_PROGRESS``); there is never a ``*_FAILED`` event nor a rollback.

Modelled, for the failures this extension raises (``ResourceHandlerFailure``, raised by the
resource models of this package: the Lambda concurrency quota of ``lambda_quota``, the
property checks of ``lambda_event_invoke``, ``scheduler_schedule`` and ``cloudwatch_alarm``
and the API errors their handlers pass on; every other moto error keeps moto's behaviour):

- ``CreateStack`` / ``ExecuteChangeSet`` / ``UpdateStack`` succeed, as on AWS (the operation
  is asynchronous there); the failure is visible through ``DescribeStacks`` and
  ``DescribeStackEvents``, already when the API call returns.
- Create (``CreateStack``, or a ``CREATE`` change set): events (oldest first)
  ``<stack> CREATE_IN_PROGRESS`` "User Initiated", ``<resource> CREATE_FAILED`` with the
  reason below, ``<stack> ROLLBACK_IN_PROGRESS`` "The following resource(s) failed to create:
  [<logical id>]. Rollback requested by user.", ``<stack> ROLLBACK_COMPLETE``; every resource
  created so far is deleted; the stack stays, in ``ROLLBACK_COMPLETE`` (it can only be
  deleted, as on AWS), with ``StackStatusReason`` = the ``ROLLBACK_IN_PROGRESS`` reason. If a
  resource cannot be deleted, the stack ends in ``ROLLBACK_FAILED`` instead.
- Update (``UpdateStack``, or an ``UPDATE`` change set): ``<stack> UPDATE_IN_PROGRESS``,
  ``<resource> UPDATE_FAILED`` (``CREATE_FAILED`` for a resource the update adds),
  ``<stack> UPDATE_ROLLBACK_IN_PROGRESS`` "The following resource(s) failed to update:
  [<logical id>]. " (or "failed to create"), ``<stack>
  UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS``, ``<stack> UPDATE_ROLLBACK_COMPLETE``; the
  previous template and parameters are applied again (moto's own update logic run backwards:
  resources the update added are deleted, modified ones get their previous properties,
  ones it removed are created again), and the stack keeps its previous template.
- The change set of a failed execution has ``ExecutionStatus`` ``EXECUTE_FAILED``.
- Delete (``DeleteStack``): a resource whose delete fails (a denied handler, ``iam_identity``;
  a target group still in use, ``elbv2_target_group_stack``) leaves the stack in
  ``DELETE_FAILED`` ("Unsuccessful deletion of one or more stacks. Because the delete failed,
  you might have some resources that are still running"), with ``<resource> DELETE_FAILED``
  and the reason below, then ``<stack> DELETE_FAILED`` "The following resource(s) failed to
  delete: [<logical id>]. "; the stack can be deleted again.
- The resource's reason has AWS's handler form: ``Resource handler returned message:
  "<service message> (Service: Lambda, Status Code: 400, Request ID: <uuid>)" (RequestToken:
  <uuid>, HandlerErrorCode: InvalidRequest)``.

- The stack's outputs (AWS, DescribeStacks, ``Outputs``: "A list of output structures"; a
  stack has them once its create or update completes): evaluated when the operation
  completes and kept, as on AWS. moto evaluates them lazily on every ``DescribeStacks``, and
  an output's ``Ref`` / ``Fn::GetAtt`` of a resource not in place runs that resource's create
  again: after a failed create, ``DescribeStacks`` answered 500 (the failing create, re-run)
  or silently re-made rolled-back resources. So: a completed create or update (``CreateStack``,
  ``UpdateStack``, a change set, an update's rollback) evaluates the outputs from the
  resources in place and keeps them; a failed create (``ROLLBACK_COMPLETE`` /
  ``ROLLBACK_FAILED``) has none; a deleted stack keeps the outputs it had. A stack made by a
  ``CREATE`` change set gets its outputs too (moto builds the stack from an empty template and
  never reads the change set's ``Outputs``, so ``DescribeStacks`` had none), and the stack's
  template is the change set's.

Not modelled: per-resource events for resources that succeed (moto emits none),
``DisableRollback`` / ``OnFailure`` / ``RetainExceptOnCreate``, ``UPDATE_ROLLBACK_FAILED``;
exports of a failed create (moto computes ``Export`` values before it creates the resources,
still lazily), and exports of a stack made by a change set (moto registers none).
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Iterator, Mapping
from typing import Any


class ResourceHandlerFailure(Exception):
    """A resource's create or update failed the way AWS's resource handler reports it."""

    def __init__(
        self,
        logical_id: str,
        resource_type: str,
        operation: str,
        service: str,
        message: str,
        handler_error_code: str,
        physical_id: str = "",
        status_code: int = 400,
    ) -> None:
        super().__init__(message)
        self.logical_id = logical_id
        self.resource_type = resource_type
        self.operation = operation  # "CREATE" or "UPDATE"
        self.service = service
        self.message = message
        self.handler_error_code = handler_error_code
        self.physical_id = physical_id
        self.status_code = status_code

    def reason(self) -> str:
        return (
            f'Resource handler returned message: "{self.message} (Service: {self.service}, '
            f'Status Code: {self.status_code}, Request ID: {uuid.uuid4()})" '
            f"(RequestToken: {uuid.uuid4()}, HandlerErrorCode: {self.handler_error_code})"
        )


class FrozenOutputs(Mapping[str, Any]):
    """A stack's outputs as evaluated when its operation completed: what moto's lazy
    ``OutputMap`` offers ``Stack.outputs`` / ``Stack.exports``, without touching resources."""

    def __init__(self, outputs: dict[str, Any], exports: list[Any]) -> None:
        self._outputs = outputs
        self.exports = exports

    def __getitem__(self, key: str) -> Any:
        return self._outputs[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._outputs)

    def __len__(self) -> int:
        return len(self._outputs)


def no_outputs(stack: Any) -> None:
    """A stack whose create failed has no outputs."""
    stack.output_map = FrozenOutputs({}, [])


def freeze_outputs(stack: Any) -> None:
    """Evaluates the stack's outputs now, from its template and the resources in place, and
    keeps them (an output that resolves to nothing, e.g. a ``Ref`` of a type moto skips, is
    left out, as moto does). Should the evaluation fail, moto's lazy map stays."""
    lazy = stack._create_output_map()
    try:
        outputs = {key: lazy[key] for key in lazy}
        exports = lazy.exports
    except Exception:
        stack.output_map = lazy
        return
    stack.output_map = FrozenOutputs(
        {key: output for key, output in outputs.items() if output is not None}, exports
    )


def resource_event(stack: Any, failure: ResourceHandlerFailure, status: str) -> None:
    from moto.cloudformation.models import Event

    event = Event(
        stack_id=stack.stack_id,
        stack_name=stack.name,
        logical_resource_id=failure.logical_id,
        physical_resource_id=failure.physical_id,
        resource_type=failure.resource_type,
        resource_status=status,
        resource_status_reason=failure.reason(),
        resource_properties=None,
    )
    stack.events.append(event)


def fail_create(stack: Any, failure: ResourceHandlerFailure) -> None:
    """The rest of a failed create: failure event, rollback (delete), ROLLBACK_COMPLETE."""
    resource_event(stack, failure, "CREATE_FAILED")
    reason = (
        f"The following resource(s) failed to create: [{failure.logical_id}]. "
        "Rollback requested by user."
    )
    stack.status = "ROLLBACK_IN_PROGRESS"
    stack.status_reason = reason
    stack._add_stack_event("ROLLBACK_IN_PROGRESS", resource_status_reason=reason)
    no_outputs(stack)
    try:
        stack.resource_map.delete()
    except Exception as error:  # a resource that cannot be deleted: AWS's ROLLBACK_FAILED
        stack.status = "ROLLBACK_FAILED"
        stack.status_reason = f"The following resource(s) failed to delete: {error}"
        stack._add_stack_event("ROLLBACK_FAILED", resource_status_reason=stack.status_reason)
        return
    stack._add_stack_event("ROLLBACK_COMPLETE")
    stack.status = "ROLLBACK_COMPLETE"


def snapshot(stack: Any) -> dict[str, Any]:
    """What an update rollback returns the stack to."""
    return {
        "template": stack.template,
        "template_dict": copy.deepcopy(getattr(stack, "template_dict", {})),
        "parameters": copy.deepcopy(stack.parameters),
        "input_parameters": copy.deepcopy(stack.resource_map.input_parameters),
    }


def fail_update(stack: Any, failure: ResourceHandlerFailure, previous: dict[str, Any]) -> None:
    """The rest of a failed update: failure event, previous state applied again."""
    verb = "create" if failure.operation == "CREATE" else "update"
    resource_event(stack, failure, f"{failure.operation}_FAILED")
    reason = f"The following resource(s) failed to {verb}: [{failure.logical_id}]. "
    stack.status = "UPDATE_ROLLBACK_IN_PROGRESS"
    stack.status_reason = reason
    stack._add_stack_event("UPDATE_ROLLBACK_IN_PROGRESS", resource_status_reason=reason)
    try:
        stack.resource_map.update(previous["template_dict"], previous["input_parameters"])
    except Exception as error:
        stack.status = "UPDATE_ROLLBACK_FAILED"
        stack.status_reason = f"Rollback failed: {error}"
        stack._add_stack_event(
            "UPDATE_ROLLBACK_FAILED", resource_status_reason=stack.status_reason
        )
        return
    stack.template = previous["template"]
    stack.template_dict = previous["template_dict"]
    stack.parameters = previous["parameters"]
    freeze_outputs(stack)
    stack._add_stack_event("UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS")
    stack._add_stack_event("UPDATE_ROLLBACK_COMPLETE")
    stack.status = "UPDATE_ROLLBACK_COMPLETE"


def fail_delete(backend: Any, stack: Any, failure: ResourceHandlerFailure) -> None:
    """A failed delete: the stack stays, ``DELETE_FAILED``, with the resource's event."""
    backend.stacks[stack.stack_id] = stack
    backend.deleted_stacks.pop(stack.stack_id, None)
    resource_event(stack, failure, "DELETE_FAILED")
    reason = f"The following resource(s) failed to delete: [{failure.logical_id}]. "
    stack.status = "DELETE_FAILED"
    stack.status_reason = reason
    stack._add_stack_event("DELETE_FAILED", resource_status_reason=reason)


def install() -> None:
    from moto.cloudformation.exceptions import ValidationError
    from moto.cloudformation.models import CloudFormationBackend, Stack

    original_create_resources = Stack.create_resources
    original_update = Stack.update
    original_execute = CloudFormationBackend.execute_change_set

    def create_resources(self):  # type: ignore[no-untyped-def]
        try:
            original_create_resources(self)
        except ResourceHandlerFailure as failure:
            fail_create(self, failure)
            return
        if self.status == "CREATE_COMPLETE":
            freeze_outputs(self)

    def update(self, template, role_arn=None, parameters=None, tags=None):  # type: ignore[no-untyped-def]
        previous = snapshot(self)
        try:
            original_update(self, template, role_arn, parameters=parameters, tags=tags)
        except ResourceHandlerFailure as failure:
            fail_update(self, failure, previous)
            return
        freeze_outputs(self)

    def execute_change_set(self, change_set_name, stack_name=None):  # type: ignore[no-untyped-def]
        change_set = self.change_sets.get(change_set_name)
        if change_set is None:
            for candidate in self.change_sets.values():
                if candidate.change_set_name == change_set_name and (
                    stack_name is None
                    or stack_name in (candidate.stack_name, candidate.stack_id)
                ):
                    change_set = candidate
        if change_set is None:
            raise ValidationError(stack_name)
        stack = self.stacks[change_set.stack_id]
        previous = snapshot(stack)
        try:
            original_execute(self, change_set.change_set_id, stack_name)
        except ResourceHandlerFailure as failure:
            change_set.execution_status = "EXECUTE_FAILED"
            if change_set.change_set_type == "CREATE":
                stack.template = change_set.template
                stack.template_dict = change_set.template_dict
                fail_create(stack, failure)
            else:
                fail_update(stack, failure, previous)
            return None
        # moto sets the stack's template text only: its parsed template (and description)
        # and outputs follow the change set, as a completed create or update does.
        stack.template_dict = copy.deepcopy(change_set.template_dict)
        stack.description = stack.template_dict.get("Description")
        freeze_outputs(stack)
        return None

    original_delete_stack = CloudFormationBackend.delete_stack

    def delete_stack(self, name_or_stack_id):  # type: ignore[no-untyped-def]
        stack = None
        for candidate in list(self.stacks.values()):
            if name_or_stack_id in (candidate.name, candidate.stack_id):
                stack = candidate
        try:
            return original_delete_stack(self, name_or_stack_id)
        except ResourceHandlerFailure as failure:
            if stack is None:
                raise
            fail_delete(self, stack, failure)
            return None

    create_resources.__doc__ = __doc__
    update.__doc__ = __doc__
    execute_change_set.__doc__ = __doc__
    delete_stack.__doc__ = __doc__
    Stack.create_resources = create_resources
    Stack.update = update
    CloudFormationBackend.execute_change_set = execute_change_set
    CloudFormationBackend.delete_stack = delete_stack
