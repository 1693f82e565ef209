"""EventBridge Scheduler: ``AWS::Scheduler::Schedule`` through CloudFormation.

AWS (CloudFormation User Guide, AWS::Scheduler::Schedule,
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-scheduler-schedule.html):

    "A schedule is the main resource you create, configure, and manage using Amazon
    EventBridge Scheduler. Every schedule has a schedule expression that determines when, and
    with what frequency, the schedule runs."

with the properties ``Description``, ``EndDate``, ``FlexibleTimeWindow`` (required),
``GroupName``, ``KmsKeyArn``, ``Name``, ``ScheduleExpression`` (required),
``ScheduleExpressionTimezone``, ``StartDate``, ``State`` (``ENABLED`` | ``DISABLED``) and
``Target`` (required; ``Arn`` and ``RoleArn`` required, ``Input``, ``RetryPolicy``,
``DeadLetterConfig``, ``EcsParameters``, ``EventBridgeParameters``, ``KinesisParameters``,
``SageMakerPipelineParameters``, ``SqsParameters``). The page says for each property what an
update takes: ``Name`` "Update requires: Replacement"; every other property, ``GroupName``
included, "Update requires: No interruption". ``ScheduleExpression``:

    "The expression that defines when the schedule runs. The following formats are
    supported. ``at`` expression - ``at(yyyy-mm-ddThh:mm:ss)``; ``rate`` expression -
    ``rate(value unit)``; ``cron`` expression - ``cron(fields)`` [...] A ``cron`` expression
    consists of six fields separated by white spaces [...] A ``rate`` expression consists of
    a value as a positive integer, and a unit with the following options: ``minute`` |
    ``minutes`` | ``hour`` | ``hours`` | ``day`` | ``days``"

Return values: "``Ref`` returns the ``Name`` attribute of the schedule"; ``Fn::GetAtt``
``Arn``: "The Amazon Resource Name (ARN) for the Amazon EventBridge Scheduler schedule"
(``arn:aws:scheduler:<region>:<account>:schedule/<group>/<name>``). The property limits are
those of the resource type's schema (the same page, and the API reference's RetryPolicy,
https://docs.aws.amazon.com/scheduler/latest/APIReference/API_RetryPolicy.html:
``MaximumEventAgeInSeconds`` 60 to 86400, ``MaximumRetryAttempts`` 0 to 185, both defaulting
to the maximum; ``FlexibleTimeWindow.MaximumWindowInMinutes`` 1 to 1440; ``Name`` and
``GroupName`` 1 to 64 characters of ``[0-9a-zA-Z-_.]``; ``Description`` at most 512).

moto 5.2.5 implements the API (``CreateSchedule``/``GetSchedule``/``UpdateSchedule``/
``DeleteSchedule``/``ListSchedules``) but has no CloudFormation model for the type, so a stack
silently skips it.

Modelled:

- create, update and delete go through moto's own scheduler backend, so ``GetSchedule`` and
  ``ListSchedules`` show exactly what the stack set (``State`` defaults to ``ENABLED``,
  ``ScheduleExpressionTimezone`` to ``UTC``, ``GroupName`` to ``default``, a missing
  ``RetryPolicy`` to 86400 s / 185 retries, as the API does). Numbers given as strings are
  taken as numbers; ``StartDate`` / ``EndDate`` (ISO 8601 in the template) become the API's
  timestamps.
- ``Ref`` is the name, ``Fn::GetAtt`` ``Arn`` the schedule's ARN (any other attribute is a
  template error, as for every moto model).
- ``Name`` absent: CloudFormation generates one, ``<logical id>-<12 upper-case letters and
  digits>`` (64 characters at most), as the resource providers' ``IdentifierUtils.
  generateResourceIdentifier`` does (seen on AWS: physical id ``Schedule-4R77P4CM01UD`` for
  logical id ``Schedule``, aws-cloudformation/cloudformation-coverage-roadmap#1725); the
  generated name is kept across updates.
- update: a new ``Name`` (or a ``Name`` added or removed) replaces the schedule: the new one
  is created first, then the old one deleted, as CloudFormation replaces a resource. Any
  other change is made in place through ``UpdateSchedule``, except a change of
  ``GroupName`` alone: documented as "No interruption", it cannot be done in place (a
  schedule is addressed by group and name, and ``UpdateSchedule`` cannot move one), and AWS's
  handler fails it with ``Resource of type 'AWS::Scheduler::Schedule' with identifier
  '<name>' was not found.`` (HandlerErrorCode ``NotFound``; aws/aws-cdk#34216, confirmed
  there by AWS), which is what this model does.
- delete (a resource removed by an update, a rolled-back create, ``DeleteStack``) deletes the
  schedule through ``DeleteSchedule``; one already gone counts as deleted, as on AWS.
- failures fail the stack operation as ``cfn_failures`` describes, with the reason AWS gives:
  the schema's checks above, and the required properties, ``Mode`` and ``State`` values and
  date formats, in the form of AWS's "Model validation failed" errors (AWS Knowledge Center,
  "How do I resolve Model Validation Failed errors in CloudFormation?",
  https://repost.aws/knowledge-center/cloudformation-resolve-model-val-failed: "Model
  Validation Failed (#PropertyName: Failed validation constraint for keyword [type])"), e.g.
  ``Model validation failed (#/Target/RetryPolicy/MaximumRetryAttempts: failed validation
  constraint for keyword [maximum])``; a ``ScheduleExpression`` that is none of the three
  documented forms (the API's ``ValidationException`` "Invalid Schedule Expression
  <expression>", as reported in localstack/localstack#9284) and moto's own API errors (an
  unknown group, a name already taken, a ``StartDate`` in the past) in the resource
  handler's form with HandlerErrorCode ``InvalidRequest`` / ``NotFound`` /
  ``AlreadyExists``.

Not modelled: the fields of a cron or rate expression beyond their count and form (a
``cron(...)`` with six fields passes whatever the fields say), the time zone's validity,
``ActionAfterCompletion`` (not a property of the CloudFormation type), checks of ``KmsKeyArn``,
``RoleArn``, dead-letter queue and target ARNs (patterns, existence, permissions) and of the
``*Parameters`` of a target (passed on as given), ``FlexibleTimeWindow`` consistency between
``Mode`` and ``MaximumWindowInMinutes``, and of course the schedule ever firing (moto keeps
schedules, it never runs them; the tests build the payload a schedule would deliver from
``GetSchedule``, see ``tests/src/triggers.rs``).
"""

from __future__ import annotations

import copy
import re
from datetime import datetime, timezone
from typing import Any

from ._cfn_model import NamedResourceModel, ResourceFailure, SchemaChecker, generated_name

TYPE = "AWS::Scheduler::Schedule"
NAME_MAX = 64
NAME_PATTERN = re.compile(r"^[0-9a-zA-Z\-_.]+$")
RATE_UNITS = ("minute", "minutes", "hour", "hours", "day", "days")
AT_PATTERN = re.compile(r"^at\(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\)$")
RATE_PATTERN = re.compile(r"^rate\(([1-9]\d*) (\w+)\)$")
CRON_PATTERN = re.compile(r"^cron\((.*)\)$")


class ScheduleFailure(ResourceFailure):
    """A schedule's create or update failed; ``reason()`` is the resource event's reason, of
    the ``kind`` ``ResourceFailure`` describes (a ``"service"`` error is EventBridge
    Scheduler's, with its status code)."""

    RESOURCE_TYPE = TYPE
    SERVICE = "Scheduler"


class _Checker(SchemaChecker):
    """The schema checks of a schedule's properties; the first failure is raised."""

    FAILURE = ScheduleFailure
    # Where another type was expected, a whole number is reported as "found: Number", as
    # this model always has (the type's schema declares its numeric properties as number).
    INTEGER_TYPE = "Number"

    def number(self, value: Any, pointer: str, minimum: int, maximum: int) -> int:
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise self.fail(pointer, f"expected type: Number, found: {self.json_type(value)}")
        try:
            number = float(value)
        except ValueError:
            raise self.fail(pointer, "expected type: Number, found: String") from None
        if number < minimum:
            raise self.keyword(pointer, "minimum")
        if number > maximum:
            raise self.keyword(pointer, "maximum")
        return int(number)

    def date(self, value: Any, pointer: str) -> float:
        text = self.text(value, pointer)
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise self.keyword(pointer, "format") from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)  # "The date, in UTC"
        return moment.timestamp()


def valid_expression(expression: str) -> bool:
    """One of the three documented forms: ``at(yyyy-mm-ddThh:mm:ss)``, ``rate(value unit)``
    with a positive integer and a documented unit, ``cron(fields)`` with six fields."""
    if AT_PATTERN.match(expression):
        return True
    rate = RATE_PATTERN.match(expression)
    if rate:
        return rate.group(2) in RATE_UNITS
    cron = CRON_PATTERN.match(expression)
    return bool(cron) and len(cron.group(1).split()) == 6


def settings(properties: dict[str, Any], logical_id: str, operation: str) -> dict[str, Any]:
    """The properties checked as CloudFormation and the API would, in the API's shape (the
    keyword arguments of moto's ``create_schedule`` less name and group)."""
    check = _Checker(logical_id, operation)
    check.required(properties, "#", ("FlexibleTimeWindow", "ScheduleExpression", "Target"))

    expression = check.text(
        properties["ScheduleExpression"], "#/ScheduleExpression", 1, 256
    ).strip()
    window = copy.deepcopy(check.object(properties["FlexibleTimeWindow"], "#/FlexibleTimeWindow"))
    check.required(window, "#/FlexibleTimeWindow", ("Mode",))
    check.text(window["Mode"], "#/FlexibleTimeWindow/Mode", allowed=("OFF", "FLEXIBLE"))
    if "MaximumWindowInMinutes" in window:
        window["MaximumWindowInMinutes"] = check.number(
            window["MaximumWindowInMinutes"],
            "#/FlexibleTimeWindow/MaximumWindowInMinutes",
            1,
            1440,
        )

    target = copy.deepcopy(check.object(properties["Target"], "#/Target"))
    check.required(target, "#/Target", ("Arn", "RoleArn"))
    check.text(target["Arn"], "#/Target/Arn", 1, 1600)
    check.text(target["RoleArn"], "#/Target/RoleArn", 1, 1600)
    if "Input" in target:
        check.text(target["Input"], "#/Target/Input", 1)
    if "RetryPolicy" in target:
        retry = check.object(target["RetryPolicy"], "#/Target/RetryPolicy")
        for key, low, high in (
            ("MaximumEventAgeInSeconds", 60, 86400),
            ("MaximumRetryAttempts", 0, 185),
        ):
            if key in retry:
                retry[key] = check.number(retry[key], f"#/Target/RetryPolicy/{key}", low, high)
    if "DeadLetterConfig" in target:
        dead_letter = check.object(target["DeadLetterConfig"], "#/Target/DeadLetterConfig")
        if "Arn" in dead_letter:
            check.text(dead_letter["Arn"], "#/Target/DeadLetterConfig/Arn", 1, 1600)

    result: dict[str, Any] = {
        "description": None,
        "end_date": None,
        "flexible_time_window": window,
        "kms_key_arn": None,
        "schedule_expression": expression,
        "schedule_expression_timezone": None,
        "start_date": None,
        "state": "ENABLED",
        "target": target,
    }
    if "Description" in properties:
        result["description"] = check.text(properties["Description"], "#/Description", 0, 512)
    if "ScheduleExpressionTimezone" in properties:
        result["schedule_expression_timezone"] = check.text(
            properties["ScheduleExpressionTimezone"], "#/ScheduleExpressionTimezone", 1, 50
        )
    if "State" in properties:
        result["state"] = check.text(
            properties["State"], "#/State", allowed=("ENABLED", "DISABLED")
        )
    if "KmsKeyArn" in properties:
        result["kms_key_arn"] = check.text(properties["KmsKeyArn"], "#/KmsKeyArn", 1, 2048)
    if "StartDate" in properties:
        result["start_date"] = check.date(properties["StartDate"], "#/StartDate")
    if "EndDate" in properties:
        result["end_date"] = check.date(properties["EndDate"], "#/EndDate")

    # The schema passed: the handler calls the API, which checks the expression's form.
    if not valid_expression(expression):
        raise ScheduleFailure(
            logical_id, operation, f"Invalid Schedule Expression {expression}", "service"
        )
    return result


def group_name(properties: dict[str, Any], logical_id: str, operation: str) -> str:
    if "GroupName" not in properties:
        return "default"
    return _Checker(logical_id, operation).text(
        properties["GroupName"], "#/GroupName", 1, NAME_MAX, NAME_PATTERN
    )


def explicit_name(properties: dict[str, Any], logical_id: str, operation: str) -> str | None:
    if "Name" not in properties:
        return None
    return _Checker(logical_id, operation).text(
        properties["Name"], "#/Name", 1, NAME_MAX, NAME_PATTERN
    )


def _api_failure(error: Exception, logical_id: str, operation: str) -> ScheduleFailure:
    """One of moto's scheduler API errors as the resource handler reports it."""
    code = getattr(error, "error_type", "ValidationException")
    message = getattr(error, "message", str(error))
    handler_code = {
        "ResourceNotFoundException": "NotFound",
        "ConflictException": "AlreadyExists",
    }.get(code, "InvalidRequest")
    return ScheduleFailure(
        logical_id,
        operation,
        message,
        "service",
        handler_error_code=handler_code,
        status_code=int(getattr(error, "code", 400)),
    )


def install() -> None:
    from moto.core.common_models import CloudFormationModel
    from moto.core.exceptions import JsonRESTError
    from moto.scheduler.exceptions import ScheduleGroupNotFound, ScheduleNotFound
    from moto.scheduler.models import EventBridgeSchedulerBackend, scheduler_backends

    def backend(account_id: str, region_name: str) -> EventBridgeSchedulerBackend:
        return scheduler_backends[account_id][region_name]

    class ScheduleResource(NamedResourceModel, CloudFormationModel):
        RESOURCE_TYPE = TYPE
        NAME_PROPERTY = "Name"

        def __init__(
            self,
            name: str,
            group: str,
            arn: str,
            generated: bool,
            account_id: str,
            region_name: str,
        ) -> None:
            self.name = name
            self.group = group
            self.arn = arn
            self.generated = generated  # the name was made by CloudFormation
            self.account_id = account_id
            self.region_name = region_name

        @classmethod
        def _create(
            cls,
            logical_id: str,
            properties: dict[str, Any],
            account_id: str,
            region_name: str,
            operation: str,
            name: str | None = None,
        ) -> ScheduleResource:
            given = explicit_name(properties, logical_id, operation)
            group = group_name(properties, logical_id, operation)
            values = settings(properties, logical_id, operation)
            chosen = given or name or generated_name(logical_id, NAME_MAX)
            scheduler = backend(account_id, region_name)
            try:
                scheduler.get_schedule_group(group)  # moto answers a KeyError otherwise
                schedule = scheduler.create_schedule(
                    group_name=group,
                    name=chosen,
                    action_after_completion=None,
                    **values,
                )
            except JsonRESTError as error:
                raise _api_failure(error, logical_id, operation) from None
            return cls(chosen, group, schedule.arn, given is None, account_id, region_name)

        @classmethod
        def create_from_cloudformation_json(  # type: ignore[no-untyped-def,override]
            cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
        ):
            # ``resource_name`` is moto's own choice when Name is absent (a different form
            # from CloudFormation's): the name is chosen here instead.
            return cls._create(
                kwargs.get("LogicalId", resource_name),
                cloudformation_json.get("Properties", {}),
                account_id,
                region_name,
                kwargs.get("Operation", "CREATE"),
            )

        @classmethod
        def update_from_cloudformation_json(  # type: ignore[no-untyped-def,override]
            cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name
        ):
            properties = cloudformation_json.get("Properties", {})
            logical_id = getattr(original_resource, "logical_resource_id", new_resource_name)
            given = explicit_name(properties, logical_id, "UPDATE")
            if original_resource.replaced_by(given):
                # Replacement: the new schedule first, then the old one goes.
                replacement = cls._create(
                    logical_id, properties, account_id, region_name, "CREATE"
                )
                original_resource.delete(account_id, region_name)
                return replacement
            group = group_name(properties, logical_id, "UPDATE")
            values = settings(properties, logical_id, "UPDATE")
            if group != original_resource.group:
                raise ScheduleFailure(
                    logical_id,
                    "UPDATE",
                    f"Resource of type '{TYPE}' with identifier '{original_resource.name}' "
                    "was not found.",
                    "handler",
                    handler_error_code="NotFound",
                )
            try:
                schedule = backend(account_id, region_name).update_schedule(
                    group_name=group, name=original_resource.name, **values
                )
            except JsonRESTError as error:
                raise _api_failure(error, logical_id, "UPDATE") from None
            return cls(
                original_resource.name, group, schedule.arn, given is None, account_id, region_name
            )

        @classmethod
        def delete_from_cloudformation_json(  # type: ignore[no-untyped-def,override]
            cls, resource_name, cloudformation_json, account_id, region_name
        ):
            properties = cloudformation_json.get("Properties", {})
            group = properties.get("GroupName", "default")
            try:
                backend(account_id, region_name).delete_schedule(group, resource_name)
            except (ScheduleNotFound, ScheduleGroupNotFound):
                pass

        def delete(self, account_id: str, region_name: str) -> None:
            try:
                backend(account_id, region_name).delete_schedule(self.group, self.name)
            except (ScheduleNotFound, ScheduleGroupNotFound):
                pass  # already gone: CloudFormation counts it as deleted

    # Registered with moto's CloudFormation parser by being a CloudFormationModel subclass
    # (the parser lists the subclasses on first use, after this runs).
    install.resource_class = ScheduleResource  # type: ignore[attr-defined]
