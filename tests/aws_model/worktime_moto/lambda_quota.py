"""Lambda: the account's concurrency quota, AWS's unreserved floor, and ``GetAccountSettings``.

AWS (Lambda API reference, PutFunctionConcurrency,
https://docs.aws.amazon.com/lambda/latest/api/API_PutFunctionConcurrency.html):

    "Use GetAccountSettings to see your Regional concurrency limit. You can reserve concurrency
    for as many functions as you like, as long as you leave at least 100 simultaneous
    executions unreserved for functions that aren't configured with a per-function limit."

For accounts whose quota is below 100 (new accounts often get 10) the floor is the quota
itself, so every reservation is refused. AWS does not document that case; it is what AWS
answers (reported for quota 10 in worktime issue 11, and for quota 50 in
https://docs.gruntwork.io/discussions/knowledge-base/215):

    InvalidParameterValueException: "Specified ReservedConcurrentExecutions for function
    decreases account's UnreservedConcurrentExecution below its minimum value of [10]."

``GetAccountSettings`` (https://docs.aws.amazon.com/lambda/latest/api/API_GetAccountSettings.html)
reports ``AccountLimit.ConcurrentExecutions`` (the quota) and
``AccountLimit.UnreservedConcurrentExecutions``; the default quota ("Concurrent executions":
1,000 per Region) is in "Lambda quotas"
(https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html).

moto 5.2.5 checks only ``PutFunctionConcurrency``, only when ``MOTO_LAMBDA_CONCURRENCY_QUOTA``
is set, always against a floor of 100; a function created or updated through CloudFormation
with ``ReservedConcurrentExecutions`` is never checked (and an update's value is ignored);
``GetAccountSettings`` is not implemented.

Modelled, per account and Region, with quota ``N`` = ``MOTO_LAMBDA_CONCURRENCY_QUOTA`` on the
server (1000, AWS's default, when unset) and floor ``F = min(100, N)``:

- a reservation ``R`` for a function is refused when ``N - (reservations of the other
  functions) - R < F``, with AWS's error code and message (``[F]`` in it), by
  ``PutFunctionConcurrency`` (HTTP 400) and by ``AWS::Lambda::Function``
  ``ReservedConcurrentExecutions`` when CloudFormation creates or updates the function;
  through CloudFormation the failure fails the stack operation as ``cfn_failures`` describes;
- an ``AWS::Lambda::Function`` update applies ``ReservedConcurrentExecutions`` (and removing
  the property removes the reservation, as CloudFormation does);
- ``GetAccountSettings`` answers ``ConcurrentExecutions = N``,
  ``UnreservedConcurrentExecutions = N - (sum of reservations)``, the function count and the
  code size in use, and AWS's code-size limits.

Not modelled: provisioned concurrency, throttling, and quota changes over time.
"""

from __future__ import annotations

import json
import os
from typing import Any

from .cfn_failures import ResourceHandlerFailure

DEFAULT_QUOTA = 1000
QUOTA_VAR = "MOTO_LAMBDA_CONCURRENCY_QUOTA"


def quota() -> int:
    value = os.environ.get(QUOTA_VAR)
    return int(value) if value else DEFAULT_QUOTA


def floor(limit: int) -> int:
    return min(100, limit)


def refusal_message(limit: int) -> str:
    return (
        "Specified ReservedConcurrentExecutions for function decreases account's "
        f"UnreservedConcurrentExecution below its minimum value of [{floor(limit)}]."
    )


def reserved_by_others(backend: Any, function_name: str) -> int:
    return sum(
        int(fn.reserved_concurrency)
        for fn in backend.list_functions()
        if fn.reserved_concurrency is not None and fn.function_name != function_name
    )


def check(backend: Any, function_name: str, reserved: int) -> str | None:
    """AWS's refusal message for reserving ``reserved`` for ``function_name``, or None."""
    limit = quota()
    unreserved = limit - reserved_by_others(backend, function_name) - reserved
    if unreserved < floor(limit):
        return refusal_message(limit)
    return None


def install() -> None:
    from moto.awslambda import urls
    from moto.awslambda.exceptions import InvalidParameterValueException
    from moto.awslambda.models import LambdaBackend, LambdaFunction
    from moto.awslambda.responses import LambdaResponse
    from moto.awslambda.utils import get_backend

    # ---- PutFunctionConcurrency
    def put_function_concurrency(self, function_name, reserved_concurrency):  # type: ignore[no-untyped-def]
        fn = self.get_function(function_name)
        reserved = int(reserved_concurrency)
        refusal = check(self, fn.function_name, reserved)
        if refusal:
            raise InvalidParameterValueException(refusal)
        fn.reserved_concurrency = reserved
        return fn.reserved_concurrency

    put_function_concurrency.__doc__ = __doc__
    LambdaBackend.put_function_concurrency = put_function_concurrency

    # ---- AWS::Lambda::Function through CloudFormation
    original_create = LambdaFunction.create_from_cloudformation_json.__func__
    original_update = LambdaFunction.update_from_cloudformation_json.__func__

    def create_from_cloudformation_json(  # type: ignore[no-untyped-def]
        cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
    ):
        requested = cloudformation_json.get("Properties", {}).get(
            "ReservedConcurrentExecutions"
        )
        if requested is not None:
            backend = get_backend(account_id, region_name)
            refusal = check(backend, resource_name, int(requested))
            if refusal:
                raise ResourceHandlerFailure(
                    logical_id=kwargs.get("LogicalId", resource_name),
                    resource_type="AWS::Lambda::Function",
                    operation="CREATE",
                    service="Lambda",
                    message=refusal,
                    handler_error_code="InvalidRequest",
                )
        fn = original_create(
            cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
        )
        if requested is not None:
            fn.reserved_concurrency = int(requested)
        return fn

    def update_from_cloudformation_json(  # type: ignore[no-untyped-def]
        cls,
        original_resource,
        new_resource_name,
        cloudformation_json,
        account_id,
        region_name,
    ):
        requested = cloudformation_json.get("Properties", {}).get(
            "ReservedConcurrentExecutions"
        )
        if requested is not None:
            backend = get_backend(account_id, region_name)
            refusal = check(backend, original_resource.function_name, int(requested))
            if refusal:
                raise ResourceHandlerFailure(
                    logical_id=getattr(
                        original_resource, "logical_resource_id", new_resource_name
                    ),
                    resource_type="AWS::Lambda::Function",
                    operation="UPDATE",
                    service="Lambda",
                    message=refusal,
                    handler_error_code="InvalidRequest",
                    physical_id=original_resource.function_name,
                )
        fn = original_update(
            cls,
            original_resource,
            new_resource_name,
            cloudformation_json,
            account_id,
            region_name,
        )
        fn.reserved_concurrency = None if requested is None else int(requested)
        return fn

    LambdaFunction.create_from_cloudformation_json = classmethod(
        create_from_cloudformation_json
    )
    LambdaFunction.update_from_cloudformation_json = classmethod(
        update_from_cloudformation_json
    )

    # ---- GetAccountSettings: GET /2016-08-19/account-settings/
    def get_account_settings(self):  # type: ignore[no-untyped-def]
        backend = get_backend(self.current_account, self.region)
        functions = list(backend.list_functions())
        limit = quota()
        reserved = sum(
            int(fn.reserved_concurrency)
            for fn in functions
            if fn.reserved_concurrency is not None
        )
        body = {
            "AccountLimit": {
                "TotalCodeSize": 80530636800,
                "CodeSizeUnzipped": 262144000,
                "CodeSizeZipped": 52428800,
                "ConcurrentExecutions": limit,
                "UnreservedConcurrentExecutions": limit - reserved,
            },
            "AccountUsage": {
                "TotalCodeSize": sum(int(getattr(fn, "code_size", 0) or 0) for fn in functions),
                "FunctionCount": len(functions),
            },
        }
        return 200, {}, json.dumps(body)

    get_account_settings.__doc__ = __doc__
    LambdaResponse.get_account_settings = get_account_settings
    for path in (
        r"{0}/(?P<api_version>[^/]+)/account-settings$",
        r"{0}/(?P<api_version>[^/]+)/account-settings/$",
    ):
        urls.url_paths[path] = LambdaResponse.dispatch
