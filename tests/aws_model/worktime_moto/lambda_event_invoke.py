"""Lambda: ``AWS::Lambda::EventInvokeConfig`` through CloudFormation.

AWS (CloudFormation User Guide, AWS::Lambda::EventInvokeConfig,
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-lambda-eventinvokeconfig.html):

    "The AWS::Lambda::EventInvokeConfig resource configures options for asynchronous
    invocation on a version or an alias."

with ``FunctionName`` and ``Qualifier`` required, ``MaximumEventAgeInSeconds`` 60 to 21600 and
``MaximumRetryAttempts`` 0 to 2 (the same limits as the API's PutFunctionEventInvokeConfig,
https://docs.aws.amazon.com/lambda/latest/api/API_PutFunctionEventInvokeConfig.html). Deleting
the resource removes the configuration; deleting the function removes it too.

moto 5.2.5 implements the API (Put/Get/Update/Delete/ListFunctionEventInvokeConfig) but has no
CloudFormation model for the type, so a stack silently skips it.

Modelled: create and update put the configuration through moto's own API backend (so
``GetFunctionEventInvokeConfig`` shows what the stack set, with the API's limits enforced:
a value out of range fails the stack operation as ``cfn_failures`` describes); delete removes
it. The physical id is ``<function name>:<qualifier>``. Not modelled: ``DestinationConfig``
checks, and qualifiers other than ``$LATEST`` (moto keeps one configuration per function).
"""

from __future__ import annotations

from typing import Any

from ._cfn_model import ResourceModel
from .cfn_failures import ResourceHandlerFailure

TYPE = "AWS::Lambda::EventInvokeConfig"


def _refuse(logical_id: str, operation: str, message: str) -> ResourceHandlerFailure:
    return ResourceHandlerFailure(
        logical_id=logical_id,
        resource_type=TYPE,
        operation=operation,
        service="Lambda",
        message=message,
        handler_error_code="InvalidRequest",
    )


def _settings(properties: dict[str, Any], logical_id: str, operation: str) -> dict[str, Any]:
    settings: dict[str, Any] = {}
    for key in ("MaximumEventAgeInSeconds", "MaximumRetryAttempts", "DestinationConfig"):
        if key in properties:
            value = properties[key]
            settings[key] = value if key == "DestinationConfig" else int(value)
    age = settings.get("MaximumEventAgeInSeconds")
    if age is not None and not 60 <= age <= 21600:
        raise _refuse(
            logical_id,
            operation,
            f"1 validation error detected: Value '{age}' at 'maximumEventAgeInSeconds' failed "
            "to satisfy constraint: Member must have value between 60 and 21600",
        )
    retries = settings.get("MaximumRetryAttempts")
    if retries is not None and not 0 <= retries <= 2:
        raise _refuse(
            logical_id,
            operation,
            f"1 validation error detected: Value '{retries}' at 'maximumRetryAttempts' failed "
            "to satisfy constraint: Member must have value between 0 and 2",
        )
    return settings


def install() -> None:
    from moto.awslambda.utils import get_backend
    from moto.core.common_models import CloudFormationModel

    class EventInvokeConfigResource(ResourceModel, CloudFormationModel):
        RESOURCE_TYPE = TYPE

        def __init__(self, function_name: str, qualifier: str) -> None:
            self.function_name = function_name
            self.qualifier = qualifier

        @property
        def physical_resource_id(self) -> str:
            return f"{self.function_name}:{self.qualifier}"

        @classmethod
        def create_from_cloudformation_json(  # type: ignore[no-untyped-def,override]
            cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
        ):
            properties = cloudformation_json.get("Properties", {})
            function_name = properties["FunctionName"].split(":")[-1]
            qualifier = properties.get("Qualifier", "$LATEST")
            operation = kwargs.get("Operation", "CREATE")
            settings = _settings(properties, kwargs.get("LogicalId", resource_name), operation)
            backend = get_backend(account_id, region_name)
            # One configuration per function: a put replaces any earlier one.
            fn = backend.get_function(function_name)
            fn.event_invoke_config = []
            backend.put_function_event_invoke_config(function_name, settings)
            return cls(function_name, qualifier)

        @classmethod
        def update_from_cloudformation_json(  # type: ignore[no-untyped-def,override]
            cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name
        ):
            return cls.create_from_cloudformation_json(
                new_resource_name,
                cloudformation_json,
                account_id,
                region_name,
                LogicalId=getattr(original_resource, "logical_resource_id", new_resource_name),
                Operation="UPDATE",
            )

        def delete(self, account_id: str, region_name: str) -> None:
            backend = get_backend(account_id, region_name)
            try:
                fn = backend.get_function(self.function_name)
            except Exception:
                return  # the function is gone, and its configuration with it
            fn.event_invoke_config = []

    # Registered with moto's CloudFormation parser by being a CloudFormationModel subclass
    # (the parser lists the subclasses on first use, after this runs).
    install.resource_class = EventInvokeConfigResource  # type: ignore[attr-defined]
