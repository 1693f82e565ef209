"""CloudWatch: ``AWS::CloudWatch::Alarm`` through CloudFormation.

AWS (CloudFormation User Guide, AWS::CloudWatch::Alarm,
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-cloudwatch-alarm.html):

    "The ``AWS::CloudWatch::Alarm`` type specifies an alarm and associates it with the
    specified metric or metric math expression. When this operation creates an alarm, the
    alarm state is immediately set to ``INSUFFICIENT_DATA``. The alarm is then evaluated and
    its state is set appropriately. Any actions associated with the new state are then
    executed. When you update an existing alarm, its state is left unchanged, but the update
    completely overwrites the previous configuration of the alarm."

with the properties ``ActionsEnabled`` ("The default is TRUE"), ``AlarmActions``,
``AlarmDescription``, ``AlarmName``, ``ComparisonOperator`` (required), ``DatapointsToAlarm``,
``Dimensions``, ``EvaluateLowSampleCountPercentile``, ``EvaluationPeriods`` (required),
``ExtendedStatistic``, ``InsufficientDataActions``, ``MetricName``, ``Metrics``,
``Namespace``, ``OKActions``, ``Period``, ``Statistic``, ``Tags``, ``Threshold``,
``ThresholdMetricId``, ``TreatMissingData`` and ``Unit``. ``AlarmName``: "If you don't
specify a name, CloudFormation generates a unique physical ID and uses that ID for the alarm
name." and "Update requires: Replacement"; every other property "Update requires: No
interruption". ``Period``: "The period, in seconds, over which the statistic is applied. This
is required for an alarm based on a metric. Valid values are 10, 20, 30, 60, and any multiple
of 60." ``Metrics``: "If you specify the ``Metrics`` parameter, you cannot specify
``MetricName``, ``Dimensions``, ``Period``, ``Namespace``, ``Statistic``,
``ExtendedStatistic``, or ``Unit``." ``TreatMissingData``: "Valid values are ``breaching``,
``notBreaching``, ``ignore``, and ``missing``. [...] If you omit this parameter, the default
behavior of ``missing`` is used." Return values: "``Ref`` returns the alarm name";
``Fn::GetAtt`` ``Arn``: "The ARN of the CloudWatch alarm, such as
``arn:aws:cloudwatch:us-west-2:123456789012:alarm:myCloudWatchAlarm-CPUAlarm-UXMMZK36R55Z``"
(the generated-name form: ``<stack name>-<logical id>-<12 upper-case letters and digits>``).
The property limits are the resource type's schema's (the same page; the schema as published
in the CloudFormation registry, which cfn-lint ships: ``AlarmName`` at most 255 characters,
``AlarmDescription`` at most 1024, at most 5 actions of each kind, at most 30 dimensions,
``EvaluationPeriods`` and ``DatapointsToAlarm`` at least 1, the ``ComparisonOperator``,
``Statistic``, ``TreatMissingData`` and ``Unit`` enums; ``"tagging": {"cloudFormationSystemTags":
true}``).

The API the resource handler calls (CloudWatch API Reference, PutMetricAlarm,
https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html):

    "Creates or updates an alarm and associates it with the specified metric, metric math
    expression, anomaly detection model, or Metrics Insights query. [...] When this operation
    creates an alarm, the alarm state is immediately set to ``INSUFFICIENT_DATA``. [...] When
    you update an existing alarm, its state is left unchanged, but the update completely
    overwrites the previous configuration of the alarm."

    ``Period``: "Valid values are 10, 20, 30, and any multiple of 60. [...] Period is required
    for alarms based on static thresholds."

    ``Metrics``: "If you use the ``Metrics`` parameter, you cannot include the ``Namespace``,
    ``MetricName``, ``Dimensions``, ``Period``, ``Unit``, ``Statistic``, or
    ``ExtendedStatistic`` parameters of ``PutMetricAlarm`` in the same operation."

moto 5.2.5 implements the API (``PutMetricAlarm``, ``DescribeAlarms``, ``DeleteAlarms``,
``SetAlarmState``, tags) but has no CloudFormation model for the type, so a stack silently
skips it: ``DescribeAlarms`` stays empty (and ``DescribeStackResources`` fails on the stack).

Modelled:

- create, update and delete go through moto's own CloudWatch backend (``put_metric_alarm``,
  ``delete_alarms``), so ``DescribeAlarms`` shows what the stack set: name, description,
  namespace, metric, dimensions, statistic (or extended statistic), period, evaluation
  periods, datapoints to alarm, threshold (or threshold metric id), comparison operator,
  missing-data treatment, unit, ``ActionsEnabled`` (default true), the three action lists
  and a ``Metrics`` math alarm's queries. Numbers and booleans given as strings are taken as
  numbers and booleans, as CloudFormation converts them.
- state: a new alarm is ``INSUFFICIENT_DATA`` ("Unchecked: Initial alarm creation"); an update
  keeps the state, its reason and history. (moto 5.2.5's ``put_metric_alarm`` starts every
  alarm, new or overwritten, in ``OK``; ``cloudwatch_cbor`` corrects that for the API as
  well, and this model sets the state itself either way.)
- ``Ref`` is the alarm name, ``Fn::GetAtt`` ``Arn`` its ARN (any other attribute is a template
  error, as for every moto model).
- ``AlarmName`` absent: ``<stack name>-<logical id>-<12 upper-case letters and digits>``
  (moto's own generated name, of the form AWS documents; cut to 255 characters keeping the
  suffix), kept across updates.
- update: a new ``AlarmName`` (or one added or removed) replaces the alarm: the new one is
  created first, then the old one deleted, as CloudFormation replaces a resource; any other
  change overwrites the alarm's configuration in place.
- tags: ``Tags`` plus CloudFormation's system tags ``aws:cloudformation:stack-name``,
  ``aws:cloudformation:stack-id`` and ``aws:cloudformation:logical-id``
  (``ListTagsForResource`` on the alarm's ARN); an update replaces the ``Tags``.
- delete (a resource removed by an update, a rolled-back create, ``DeleteStack``) deletes the
  alarm and its tags; one already gone counts as deleted.
- a create whose ``AlarmName`` is taken fails (``Resource of type 'AWS::CloudWatch::Alarm'
  with identifier '<name>' already exists.``, HandlerErrorCode ``AlreadyExists``), as a
  registry resource handler's create must (the type's schema lists create/read/update/
  delete/list handlers; CloudFormation CLI contract test ``contract_create_create``).
- failures fail the stack operation as ``cfn_failures`` describes, with the reason's form AWS
  gives: the schema's checks (required ``ComparisonOperator`` / ``EvaluationPeriods``, the
  types, lengths, minimums, item counts and enums above) as ``Model validation failed
  (#/Period: failed validation constraint for keyword [minimum])`` (AWS Knowledge Center,
  https://repost.aws/knowledge-center/cloudformation-resolve-model-val-failed), then the
  API's ``ValidationError`` passed on by the handler (``Resource handler returned message:
  "<message> (Service: CloudWatch, Status Code: 400, Request ID: <uuid>)" [...]
  HandlerErrorCode: InvalidRequest``) for: a ``Period`` other than 10, 20, 30 or a multiple of
  60 ("Period must be 10, 20, 30 or a multiple of 60": the message AWS answered when 20 was
  not yet valid read "Period must be 10, 30 or a multiple of 60",
  awsdocs/aws-cloudformation-user-guide#777); a metric alarm without ``Period`` ("Period must
  not be null"); neither ``MetricName`` nor ``Metrics`` ("MetricName must not be null",
  aws-cloudformation/cfn-lint#771); a ``Metrics`` alarm with any of the properties it
  excludes ("Statistic should not be set if list of Metrics is set.", cfn-lint#766, same
  form for the others); ``Metrics`` without exactly one query returning data ("Exactly one
  element of the metrics list should return data.", hashicorp/terraform-provider-aws#29894);
  and moto's own API errors (e.g. an ``ExtendedStatistic`` not of the ``p..`` form).

Not modelled: any metric evaluation (alarms never change state by themselves: tests move them
with ``SetAlarmState``), and so no alarm actions ever run (no SNS publish); checks of action
ARNs (forms, existence, the topic's policy), of ``Dimensions`` against the metric, of
``DatapointsToAlarm`` against ``EvaluationPeriods``, of the total evaluation range, of
``Statistic`` and ``ExtendedStatistic`` given together or both missing, and of a ``Metrics``
query's fields beyond ``Id`` and ``ReturnData``; the newer properties (``EvaluationCriteria``
PromQL alarms, ``EvaluationInterval``, ``EvaluationWindow``, ``ActionConfiguration``,
``WarmUpConfiguration``), which are ignored; composite alarms (a type of their own).
"""

from __future__ import annotations

import re
from typing import Any

from ._cfn_model import (
    SUFFIX_LENGTH,
    NamedResourceModel,
    ResourceFailure,
    SchemaChecker,
    generated_name,
)

TYPE = "AWS::CloudWatch::Alarm"
NAME_MAX = 255
COMPARISON_OPERATORS = (
    "GreaterThanOrEqualToThreshold",
    "GreaterThanThreshold",
    "GreaterThanUpperThreshold",
    "LessThanLowerOrGreaterThanUpperThreshold",
    "LessThanLowerThreshold",
    "LessThanOrEqualToThreshold",
    "LessThanThreshold",
)
STATISTICS = ("Average", "Maximum", "Minimum", "SampleCount", "Sum")
TREAT_MISSING_DATA = ("breaching", "ignore", "missing", "notBreaching")
UNITS = (
    "Bits",
    "Bits/Second",
    "Bytes",
    "Bytes/Second",
    "Count",
    "Count/Second",
    "Gigabits",
    "Gigabits/Second",
    "Gigabytes",
    "Gigabytes/Second",
    "Kilobits",
    "Kilobits/Second",
    "Kilobytes",
    "Kilobytes/Second",
    "Megabits",
    "Megabits/Second",
    "Megabytes",
    "Megabytes/Second",
    "Microseconds",
    "Milliseconds",
    "None",
    "Percent",
    "Seconds",
    "Terabits",
    "Terabits/Second",
    "Terabytes",
    "Terabytes/Second",
)
ACTION_LISTS = ("AlarmActions", "OKActions", "InsufficientDataActions")
# What a Metrics (math) alarm may not set, in the order the API reports them.
EXCLUDED_BY_METRICS = (
    "Statistic",
    "ExtendedStatistic",
    "MetricName",
    "Namespace",
    "Dimensions",
    "Period",
    "Unit",
)
NAMESPACE_PATTERN = re.compile(r"^[^:]")
METRIC_ID_PATTERN = re.compile(r"^([a-z])([A-Za-z0-9_]*)$")
SYSTEM_TAG_PREFIX = "aws:cloudformation:"


class AlarmFailure(ResourceFailure):
    """An alarm's create or update failed; ``reason()`` is the resource event's reason, of
    the ``kind`` ``ResourceFailure`` describes (a ``"service"`` error is CloudWatch's)."""

    RESOURCE_TYPE = TYPE
    SERVICE = "CloudWatch"


class _Checker(SchemaChecker):
    """The schema checks of an alarm's properties; the first failure is raised."""

    FAILURE = AlarmFailure

    def api(self, message: str) -> AlarmFailure:
        return AlarmFailure(self.logical_id, self.operation, message, "service")

    def text(self, value: Any, pointer: str, *limits: Any, **named_limits: Any) -> str:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)  # CloudFormation passes scalars on as strings
        return super().text(value, pointer, *limits, **named_limits)

    def number(self, value: Any, pointer: str) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise self.fail(pointer, f"expected type: Number, found: {self.json_type(value)}")
        try:
            return float(value)
        except ValueError:
            raise self.fail(pointer, "expected type: Number, found: String") from None

    def integer(self, value: Any, pointer: str, minimum: int | None = None) -> int:
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise self.fail(pointer, f"expected type: Integer, found: {self.json_type(value)}")
        try:
            number = float(value)
        except ValueError:
            raise self.fail(pointer, "expected type: Integer, found: String") from None
        if not number.is_integer():
            raise self.fail(pointer, "expected type: Integer, found: Number")
        if minimum is not None and number < minimum:
            raise self.keyword(pointer, "minimum")
        return int(number)

    def boolean(self, value: Any, pointer: str) -> bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise self.fail(pointer, f"expected type: Boolean, found: {self.json_type(value)}")

    def array(self, value: Any, pointer: str, max_items: int | None = None) -> list[Any]:
        if not isinstance(value, list):
            raise self.fail(pointer, f"expected type: JSONArray, found: {self.json_type(value)}")
        if max_items is not None and len(value) > max_items:
            raise self.fail(
                pointer, f"expected maximum item count: {max_items}, found: {len(value)}"
            )
        return value


def _dimensions(check: _Checker, value: Any, pointer: str) -> list[dict[str, str]]:
    dimensions = []
    for index, item in enumerate(check.array(value, pointer, 30)):
        where = f"{pointer}/{index}"
        dimension = check.object(item, where)
        check.required(dimension, where, ("Name", "Value"))
        dimensions.append(
            {
                "Name": check.text(dimension["Name"], f"{where}/Name", 1, 255),
                "Value": check.text(dimension["Value"], f"{where}/Value", 1, 1024),
            }
        )
    return dimensions


def _metric_queries(check: _Checker, value: Any) -> list[dict[str, Any]]:
    queries = []
    for index, item in enumerate(check.array(value, "#/Metrics")):
        where = f"#/Metrics/{index}"
        query = dict(check.object(item, where))
        check.required(query, where, ("Id",))
        check.text(query["Id"], f"{where}/Id", 1, 255, METRIC_ID_PATTERN)
        if "ReturnData" in query:
            query["ReturnData"] = check.boolean(query["ReturnData"], f"{where}/ReturnData")
        if "Period" in query:
            query["Period"] = check.integer(query["Period"], f"{where}/Period", 1)
        if "MetricStat" in query:
            stat = dict(check.object(query["MetricStat"], f"{where}/MetricStat"))
            check.required(stat, f"{where}/MetricStat", ("Metric", "Period", "Stat"))
            stat["Period"] = check.integer(stat["Period"], f"{where}/MetricStat/Period", 1)
            metric = dict(check.object(stat["Metric"], f"{where}/MetricStat/Metric"))
            if "Dimensions" in metric:
                metric["Dimensions"] = _dimensions(
                    check, metric["Dimensions"], f"{where}/MetricStat/Metric/Dimensions"
                )
            stat["Metric"] = metric
            query["MetricStat"] = stat
        queries.append(query)
    return queries


def settings(properties: dict[str, Any], logical_id: str, operation: str) -> dict[str, Any]:
    """The properties checked as CloudFormation and the API would, as keyword arguments of
    moto's ``put_metric_alarm`` (less the name; ``metric_data_queries`` still as dictionaries,
    ``tags`` the template's ``Tags``)."""
    check = _Checker(logical_id, operation)
    check.required(properties, "#", ("ComparisonOperator", "EvaluationPeriods"))

    values: dict[str, Any] = {
        "namespace": None,
        "metric_name": None,
        "metric_data_queries": None,
        "comparison_operator": check.text(
            properties["ComparisonOperator"], "#/ComparisonOperator", allowed=COMPARISON_OPERATORS
        ),
        "evaluation_periods": check.integer(
            properties["EvaluationPeriods"], "#/EvaluationPeriods", 1
        ),
        "datapoints_to_alarm": None,
        "period": None,
        "threshold": None,
        "statistic": None,
        "extended_statistic": None,
        "description": None,
        "dimensions": [],
        "alarm_actions": [],
        "ok_actions": [],
        "insufficient_data_actions": [],
        "unit": None,
        "actions_enabled": True,
        "treat_missing_data": None,
        "evaluate_low_sample_count_percentile": None,
        "threshold_metric_id": None,
        "tags": [],
    }
    if "AlarmDescription" in properties:
        values["description"] = check.text(
            properties["AlarmDescription"], "#/AlarmDescription", 0, 1024
        )
    if "ActionsEnabled" in properties:
        values["actions_enabled"] = check.boolean(properties["ActionsEnabled"], "#/ActionsEnabled")
    for key, argument in zip(
        ACTION_LISTS, ("alarm_actions", "ok_actions", "insufficient_data_actions"), strict=True
    ):
        if key in properties:
            actions = check.array(properties[key], f"#/{key}", 5)
            values[argument] = [
                check.text(action, f"#/{key}/{index}", 1, 1024)
                for index, action in enumerate(actions)
            ]
    if "DatapointsToAlarm" in properties:
        values["datapoints_to_alarm"] = check.integer(
            properties["DatapointsToAlarm"], "#/DatapointsToAlarm", 1
        )
    if "Dimensions" in properties:
        values["dimensions"] = _dimensions(check, properties["Dimensions"], "#/Dimensions")
    if "EvaluateLowSampleCountPercentile" in properties:
        values["evaluate_low_sample_count_percentile"] = check.text(
            properties["EvaluateLowSampleCountPercentile"],
            "#/EvaluateLowSampleCountPercentile",
            1,
            255,
        )
    if "ExtendedStatistic" in properties:
        values["extended_statistic"] = check.text(
            properties["ExtendedStatistic"], "#/ExtendedStatistic"
        )
    if "MetricName" in properties:
        values["metric_name"] = check.text(properties["MetricName"], "#/MetricName", 1, 255)
    if "Metrics" in properties:
        values["metric_data_queries"] = _metric_queries(check, properties["Metrics"])
    if "Namespace" in properties:
        values["namespace"] = check.text(
            properties["Namespace"], "#/Namespace", 1, 255, NAMESPACE_PATTERN
        )
    if "Period" in properties:
        values["period"] = check.integer(properties["Period"], "#/Period", 1)
    if "Statistic" in properties:
        values["statistic"] = check.text(properties["Statistic"], "#/Statistic", allowed=STATISTICS)
    if "Threshold" in properties:
        values["threshold"] = check.number(properties["Threshold"], "#/Threshold")
    if "ThresholdMetricId" in properties:
        values["threshold_metric_id"] = check.text(
            properties["ThresholdMetricId"], "#/ThresholdMetricId", 1, 255
        )
    if "TreatMissingData" in properties:
        values["treat_missing_data"] = check.text(
            properties["TreatMissingData"], "#/TreatMissingData", 1, 255, allowed=TREAT_MISSING_DATA
        )
    if "Unit" in properties:
        values["unit"] = check.text(properties["Unit"], "#/Unit", allowed=UNITS)
    if "Tags" in properties:
        tags = check.array(properties["Tags"], "#/Tags", 50)
        for index, item in enumerate(tags):
            where = f"#/Tags/{index}"
            tag = check.object(item, where)
            check.required(tag, where, ("Key", "Value"))
            values["tags"].append(
                {
                    "Key": check.text(tag["Key"], f"{where}/Key", 1, 128),
                    "Value": check.text(tag["Value"], f"{where}/Value", 1, 256),
                }
            )

    # The schema passed: the handler calls PutMetricAlarm, which checks the combination.
    if values["metric_data_queries"] is not None:
        for key in EXCLUDED_BY_METRICS:
            if key in properties:
                raise check.api(f"{key} should not be set if list of Metrics is set.")
        returning = [q for q in values["metric_data_queries"] if q.get("ReturnData", True)]
        if len(returning) != 1:
            raise check.api("Exactly one element of the metrics list should return data.")
    else:
        if values["metric_name"] is None:
            raise check.api("MetricName must not be null")
        period = values["period"]
        if period is None:
            raise check.api("Period must not be null")
        if period not in (10, 20, 30) and period % 60 != 0:
            raise check.api("Period must be 10, 20, 30 or a multiple of 60")
    return values


def alarm_name(properties: dict[str, Any], logical_id: str, operation: str) -> str | None:
    """The template's ``AlarmName``, checked; ``None`` when CloudFormation names the alarm."""
    if "AlarmName" not in properties:
        return None
    return _Checker(logical_id, operation).text(properties["AlarmName"], "#/AlarmName", 1, NAME_MAX)


def generated_alarm_name(moto_name: str) -> str:
    """moto's ``<stack>-<logical id>-<12 characters>``, cut to 255 keeping the suffix."""
    if len(moto_name) <= NAME_MAX:
        return moto_name
    return generated_name(
        moto_name[: -SUFFIX_LENGTH - 1], NAME_MAX, suffix=moto_name[-SUFFIX_LENGTH:]
    )


def stack_name_of(stack_id: str) -> str:
    """``arn:aws:cloudformation:<region>:<account>:stack/<name>/<uuid>`` -> ``<name>``."""
    parts = stack_id.split("/")
    return parts[1] if len(parts) >= 3 else stack_id


def install() -> None:
    from moto.cloudwatch.models import (
        CloudWatchBackend,
        Dimension,
        Metric,
        MetricDataQuery,
        MetricStat,
        cloudwatch_backends,
    )
    from moto.core.common_models import CloudFormationModel
    from moto.core.exceptions import ServiceException

    def backend(account_id: str, region_name: str) -> CloudWatchBackend:
        return cloudwatch_backends[account_id][region_name]

    def moto_queries(queries: list[dict[str, Any]] | None) -> list[MetricDataQuery] | None:
        """The template's ``Metrics`` as moto's API handler builds them."""
        if queries is None:
            return None
        built = []
        for query in queries:
            metric_stat = None
            stat = query.get("MetricStat")
            if stat:
                metric = stat.get("Metric", {})
                metric_stat = MetricStat(
                    metric=Metric(
                        metric_name=metric.get("MetricName"),
                        namespace=metric.get("Namespace"),
                        dimensions=[
                            Dimension(name=d["Name"], value=d["Value"])
                            for d in metric.get("Dimensions", [])
                        ],
                    ),
                    period=stat.get("Period"),
                    stat=stat.get("Stat"),
                    unit=stat.get("Unit"),
                )
            built.append(
                MetricDataQuery(
                    query_id=query["Id"],
                    label=query.get("Label"),
                    period=query.get("Period"),
                    return_data=query.get("ReturnData"),
                    expression=query.get("Expression"),
                    metric_stat=metric_stat,
                )
            )
        return built

    class AlarmResource(NamedResourceModel, CloudFormationModel):
        RESOURCE_TYPE = TYPE
        NAME_PROPERTY = "AlarmName"

        def __init__(
            self,
            name: str,
            arn: str,
            generated: bool,
            system_tags: list[dict[str, str]],
        ) -> None:
            self.name = name
            self.arn = arn
            self.generated = generated  # the name was made by CloudFormation
            self.system_tags = system_tags

        @staticmethod
        def _put(
            account_id: str,
            region_name: str,
            name: str,
            values: dict[str, Any],
            system_tags: list[dict[str, str]],
            logical_id: str,
            operation: str,
        ) -> Any:
            """PutMetricAlarm: a new alarm starts in INSUFFICIENT_DATA, an existing one keeps
            its state; the tags become the template's plus the system tags."""
            cloudwatch = backend(account_id, region_name)
            previous = cloudwatch.alarms.get(name)
            arguments = dict(values)
            tags = arguments.pop("tags")
            arguments["metric_data_queries"] = moto_queries(arguments["metric_data_queries"])
            try:
                alarm = cloudwatch.put_metric_alarm(name=name, **arguments)
            except ServiceException as error:
                raise AlarmFailure(logical_id, operation, error.message, "service") from None
            if previous is None:
                alarm.state_value = "INSUFFICIENT_DATA"
                alarm.state_reason = "Unchecked: Initial alarm creation"
            else:
                alarm.state_value = previous.state_value
                alarm.state_reason = previous.state_reason
                alarm.state_reason_data = previous.state_reason_data
                alarm.state_updated_timestamp = previous.state_updated_timestamp
                alarm.history = previous.history
            cloudwatch.tagger.delete_all_tags_for_resource(alarm.alarm_arn)
            cloudwatch.tagger.tag_resource(alarm.alarm_arn, tags + system_tags)
            return alarm

        @classmethod
        def _create(
            cls,
            logical_id: str,
            properties: dict[str, Any],
            moto_name: str,
            account_id: str,
            region_name: str,
            operation: str,
            system_tags: list[dict[str, str]],
        ) -> AlarmResource:
            given = alarm_name(properties, logical_id, operation)
            values = settings(properties, logical_id, operation)
            name = given or generated_alarm_name(moto_name)
            if name in backend(account_id, region_name).alarms:
                raise AlarmFailure(
                    logical_id,
                    operation,
                    f"Resource of type '{TYPE}' with identifier '{name}' already exists.",
                    "handler",
                    handler_error_code="AlreadyExists",
                )
            alarm = cls._put(
                account_id, region_name, name, values, system_tags, logical_id, operation
            )
            return cls(name, alarm.alarm_arn, given is None, system_tags)

        @classmethod
        def create_from_cloudformation_json(  # type: ignore[no-untyped-def,override]
            cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
        ):
            # ``resource_name``: the template's AlarmName, else moto's generated
            # ``<stack>-<logical id>-<suffix>``.
            logical_id = kwargs.get("LogicalId", resource_name)
            stack_id = kwargs.get("StackId", "")
            system_tags = [
                {"Key": f"{SYSTEM_TAG_PREFIX}stack-name", "Value": stack_name_of(stack_id)},
                {"Key": f"{SYSTEM_TAG_PREFIX}stack-id", "Value": stack_id},
                {"Key": f"{SYSTEM_TAG_PREFIX}logical-id", "Value": logical_id},
            ]
            return cls._create(
                logical_id,
                cloudformation_json.get("Properties", {}),
                resource_name,
                account_id,
                region_name,
                kwargs.get("Operation", "CREATE"),
                system_tags if stack_id else [],
            )

        @classmethod
        def update_from_cloudformation_json(  # type: ignore[no-untyped-def,override]
            cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name
        ):
            properties = cloudformation_json.get("Properties", {})
            logical_id = getattr(original_resource, "logical_resource_id", new_resource_name)
            given = alarm_name(properties, logical_id, "UPDATE")
            if original_resource.replaced_by(given):
                # Replacement: the new alarm first, then the old one goes.
                replacement = cls._create(
                    logical_id,
                    properties,
                    new_resource_name,
                    account_id,
                    region_name,
                    "CREATE",
                    original_resource.system_tags,
                )
                original_resource.delete(account_id, region_name)
                return replacement
            values = settings(properties, logical_id, "UPDATE")
            alarm = cls._put(
                account_id,
                region_name,
                original_resource.name,
                values,
                original_resource.system_tags,
                logical_id,
                "UPDATE",
            )
            return cls(
                original_resource.name,
                alarm.alarm_arn,
                original_resource.generated,
                original_resource.system_tags,
            )

        @classmethod
        def delete_from_cloudformation_json(  # type: ignore[no-untyped-def,override]
            cls, resource_name, cloudformation_json, account_id, region_name
        ):
            cloudwatch = backend(account_id, region_name)
            alarm = cloudwatch.alarms.get(resource_name)
            if alarm is not None:
                cloudwatch.tagger.delete_all_tags_for_resource(alarm.alarm_arn)
            cloudwatch.delete_alarms([resource_name])

        def delete(self, account_id: str, region_name: str) -> None:
            cloudwatch = backend(account_id, region_name)
            cloudwatch.tagger.delete_all_tags_for_resource(self.arn)
            cloudwatch.delete_alarms([self.name])  # one already gone counts as deleted

    # Registered with moto's CloudFormation parser by being a CloudFormationModel subclass
    # (the parser lists the subclasses on first use, after this runs).
    install.resource_class = AlarmResource  # type: ignore[attr-defined]
