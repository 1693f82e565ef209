"""Step Functions as a stack and EventBridge use it: ``AWS::StepFunctions::StateMachine`` in a
stack is the state machine the Step Functions API serves (the one ``StartExecution`` runs), and
an execution started without a name gets one of its own.

AWS (CloudFormation User Guide, "AWS::StepFunctions::StateMachine",
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-stepfunctions-statemachine.html):

    "Provisions a state machine. A state machine consists of a collection of states that can
    do work (Task states), determine to which states to transition next (Choice states), stop
    an execution with an error (Fail states), and so on."
    "Ref: When you pass the logical ID of this resource to the intrinsic Ref function, Ref
    returns the ARN of the created state machine"
    ``StateMachineType``: "Determines whether a STANDARD or EXPRESS state machine is created.
    The default is STANDARD."
    ``LoggingConfiguration``: "Defines what execution history events are logged and where
    they are logged."

moto 5.2.5 keeps two Step Functions backends: its plain one, and the interpreter's (which runs
executions), chosen per request by the ``stepfunctions.execute_state_machine`` setting. Its
CloudFormation model always writes to the plain one, so with executions on, a stack's state
machine is invisible to ``ListStateMachines``/``StartExecution`` ("State Machine Does Not
Exist"). It also drops ``StateMachineType`` and ``LoggingConfiguration``.

AWS (Step Functions API Reference, "StartExecution",
https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html):
``name``: "Optional name of the execution. ... If you don't provide a name for the execution,
Step Functions automatically generates a universally unique identifier (UUID) as the
execution name." EventBridge's state machine targets start executions without a name. moto's
interpreter backend names every such execution ``None``, so the second one fails
(``ExecutionAlreadyExists``).

Modelled: an execution started without a name is named with a new UUID (version 4). Create,
update (in place; a new ``StateMachineName`` replaces it, as moto already
does) and delete go to the backend the API serves at that moment (moto's own
``responses.get_backend``), with the type and the logging configuration (CloudFormation's
PascalCase keys as the API's camelCase). Not modelled: tracing, encryption, versions,
``DefinitionS3Location`` and ``DefinitionSubstitutions``; log delivery itself (nothing is
written to the log group).
"""

from __future__ import annotations

import uuid
from typing import Any


def _backend(account_id: str, region_name: str) -> Any:
    from moto.stepfunctions.responses import get_backend

    return get_backend(account_id, region_name)


def _logging(properties: dict[str, Any]) -> dict[str, Any] | None:
    config = properties.get("LoggingConfiguration")
    if not isinstance(config, dict):
        return None
    destinations = []
    for destination in config.get("Destinations") or []:
        group = (destination or {}).get("CloudWatchLogsLogGroup") or {}
        destinations.append(
            {"cloudWatchLogsLogGroup": {"logGroupArn": group.get("LogGroupArn", "")}}
        )
    answer: dict[str, Any] = {
        "level": config.get("Level", "OFF"),
        "includeExecutionData": bool(config.get("IncludeExecutionData", False)),
    }
    if destinations:
        answer["destinations"] = destinations
    return answer


def install() -> None:
    from moto.stepfunctions.models import StateMachine
    from moto.stepfunctions.utils import cfn_to_api_tags

    if getattr(StateMachine, "_worktime_stack_installed", False):
        return
    StateMachine._worktime_stack_installed = True  # type: ignore[attr-defined]
    original_update = StateMachine.update_from_cloudformation_json.__func__  # type: ignore[attr-defined]

    def create_from_cloudformation_json(  # type: ignore[no-untyped-def]
        cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
    ):
        properties = cloudformation_json["Properties"]
        return _backend(account_id, region_name).create_state_machine(
            name=properties.get("StateMachineName", resource_name),
            definition=properties.get("DefinitionString", ""),
            roleArn=properties.get("RoleArn", ""),
            tags=cfn_to_api_tags(properties.get("Tags", [])),
            loggingConfiguration=_logging(properties),
            sm_type=properties.get("StateMachineType", "STANDARD"),
        )

    def delete_from_cloudformation_json(  # type: ignore[no-untyped-def]
        cls, resource_name, cloudformation_json, account_id, region_name
    ):
        _backend(account_id, region_name).delete_state_machine(resource_name)

    def update_from_cloudformation_json(  # type: ignore[no-untyped-def]
        cls,
        original_resource,
        new_resource_name,
        cloudformation_json,
        account_id,
        region_name,
    ):
        properties = cloudformation_json.get("Properties", {})
        name = properties.get("StateMachineName", original_resource.name)
        if name != original_resource.name:
            # Replacement: moto's own path, through the (patched) create and delete.
            return original_update(
                cls,
                original_resource,
                new_resource_name,
                cloudformation_json,
                account_id,
                region_name,
            )
        backend = _backend(account_id, region_name)
        machine = backend.update_state_machine(
            original_resource.arn,
            definition=properties.get("DefinitionString"),
            role_arn=properties.get("RoleArn"),
            logging_configuration=_logging(properties),
        )
        backend.tagger.tag_resource(machine.arn, cfn_to_api_tags(properties.get("Tags", [])))
        return machine

    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    original_start = StepFunctionsParserBackend.start_execution

    def start_execution(  # type: ignore[no-untyped-def]
        self, state_machine_arn, name=None, execution_input=None, trace_header=None
    ):
        return original_start(
            self,
            state_machine_arn,
            name=name or str(uuid.uuid4()),
            execution_input=execution_input,
            trace_header=trace_header,
        )

    StepFunctionsParserBackend.start_execution = start_execution  # type: ignore[method-assign]

    StateMachine.create_from_cloudformation_json = classmethod(  # type: ignore[method-assign,assignment]
        create_from_cloudformation_json
    )
    StateMachine.delete_from_cloudformation_json = classmethod(  # type: ignore[method-assign,assignment]
        delete_from_cloudformation_json
    )
    StateMachine.update_from_cloudformation_json = classmethod(  # type: ignore[method-assign,assignment]
        update_from_cloudformation_json
    )
