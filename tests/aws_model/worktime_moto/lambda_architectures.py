"""``AWS::Lambda::Function`` ``Architectures`` through CloudFormation.

AWS: the property is "The instruction set architecture that the function supports. Enter a
string array with one of the valid values (arm64 or x86_64). The default value is x86_64"
(CloudFormation User Guide, ``AWS::Lambda::Function``, ``Architectures``; update requires no
interruption), and ``GetFunctionConfiguration`` reports it in ``Architectures`` (Lambda API
Reference, ``FunctionConfiguration``).

moto 5.2.5 leaves ``Architectures`` out of the properties its CloudFormation model passes to
``CreateFunction`` and ignores it on update, so every function a stack creates reports
``x86_64``; its own ``CreateFunction`` API keeps the value. Modelled: the property on create
and on update, through moto's own ``architectures`` attribute (which validates one of the two
values). Not modelled: anything that depends on the architecture (moto runs no code).
"""

from __future__ import annotations


def install() -> None:
    from moto.awslambda.models import LambdaFunction

    original_create = LambdaFunction.create_from_cloudformation_json.__func__
    original_update = LambdaFunction.update_from_cloudformation_json.__func__

    def requested(cloudformation_json):  # type: ignore[no-untyped-def]
        return cloudformation_json.get("Properties", {}).get("Architectures") or ["x86_64"]

    def create_from_cloudformation_json(  # type: ignore[no-untyped-def]
        cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
    ):
        fn = original_create(
            cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
        )
        fn.architectures = requested(cloudformation_json)
        return fn

    def update_from_cloudformation_json(  # type: ignore[no-untyped-def]
        cls, original_resource, new_resource_name, cloudformation_json, account_id,
        region_name, **kwargs
    ):
        fn = original_update(
            cls, original_resource, new_resource_name, cloudformation_json, account_id,
            region_name, **kwargs
        )
        fn.architectures = requested(cloudformation_json)
        return fn

    LambdaFunction.create_from_cloudformation_json = classmethod(
        create_from_cloudformation_json
    )
    LambdaFunction.update_from_cloudformation_json = classmethod(
        update_from_cloudformation_json
    )
