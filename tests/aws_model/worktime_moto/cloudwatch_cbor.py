"""CloudWatch over the Smithy RPC v2 CBOR protocol, served from moto's own CloudWatch backend.

The AWS SDK for Rust's ``aws-sdk-cloudwatch`` (1.100 and later) speaks RPC v2 CBOR: the
service model carries ``smithy.protocols#rpcv2Cbor`` (with ``aws.protocols#awsQueryCompatible``),
so ``DescribeAlarms`` is ``POST /service/GraniteServiceVersion20100801/operation/DescribeAlarms``
with ``Content-Type: application/cbor`` and ``smithy-protocol: rpc-v2-cbor``. moto 5.2.5 serves
CloudWatch over awsQuery / awsJson only, so every such call gets moto's 404 page.

The protocol (Smithy RPC v2 CBOR,
https://smithy.io/2.0/additional-specs/protocols/smithy-rpc-v2.html):

    "Every request for the rpcv2Cbor protocol MUST be sent to a URL with the following form:
    {prefix?}/service/{serviceName}/operation/{operationName}" ... "Service implementations
    SHOULD accept an absolute shape ID as the content of this segment with the # character
    replaced with a . character".

    "Requests for the rpcv2Cbor protocol MUST NOT contain an X-Amz-Target or X-Amzn-Target
    header. [...] Server-side implementations MUST reject such requests for security reasons."

    "The status code for successful rpcv2Cbor responses MUST be 200." For errors: "1. If the
    httpError trait is set on the error shape, its value is used. 2. If the error trait is set
    to server, the value MUST be 500. 3. Otherwise, the value MUST be 400."

    "Every response for the rpcv2Cbor protocol MUST contain a Smithy-Protocol header with the
    value of rpc-v2-cbor." "Buffered RPC responses: the value of the Content-Type header MUST
    be application/cbor." "Responses for operations with no defined output type (as in, they
    target the Unit shape) MUST NOT contain bodies in their HTTP responses. The Content-Type
    for the serialization format MUST NOT be set."

    "Timestamps are serialized as major type 6, value tag 1 (epoch-based date/time) [...]
    Values are either major type 0 (unsigned integer) or major type 1 (negative integer) for
    integer values or major type 7, value 25 (half-precision float), 26 (single-precision
    float), or 27 (double-precision float) for floating-point values." "This protocol uses
    epoch-seconds [...] with millisecond (1/1000th of a second) resolution."

    "Values that are null MUST be omitted from wire contents". "Servers MUST NOT serialize to
    this CBOR value [undefined] and MUST deserialize this CBOR value to null."
    "Implementations MUST be capable of deserializing half-precision numeric CBOR values".

    "Error responses in the rpcv2Cbor protocol MUST be serialized identically to standard
    responses with one additional component to distinguish which error is contained: a body
    field named __type. This value of this component MUST contain the error's absolute
    shape-id." "Services MUST support generating this field [message] and serializing it".

CloudWatch is ``awsQueryCompatible`` (Smithy, AWS query protocol,
https://smithy.io/2.0/aws/protocols/aws-query-protocol.html): "This trait adds the
x-amzn-query-error header in the form of Code;Fault to error responses. Code is the value
defined in the awsQueryError, and Fault is one of Sender or Receiver." The SDK takes an
error's code from that header (``InvalidFormat`` for the shape ``InvalidFormatFault``). The
shapes, their query codes and statuses are CloudWatch's Smithy model (``ResourceNotFound``:
``@httpError(404)``, ``awsQueryError`` code ``ResourceNotFound``; as published in
aws-sdk-go-v2 ``codegen/sdk-codegen/aws-models/cloudwatch.json`` and in botocore's model).

The operations follow the CloudWatch API reference
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/, the text also in the
service model botocore ships, which this module reads for the input shapes):

    PutMetricAlarm: "When this operation creates an alarm, the alarm state is immediately set
    to INSUFFICIENT_DATA. [...] When you update an existing alarm, its state is left
    unchanged, but the update completely overwrites the previous configuration of the alarm."

    DescribeAlarms: AlarmNamePrefix "If this parameter is specified, you cannot specify
    AlarmNames."; StateValue "Specify this parameter to receive information only about alarms
    that are currently in the state that you specify."; AlarmTypes "If you omit this
    parameter, only metric alarms are returned, even if composite alarms exist in the
    account."; ActionPrefix "filter the results of the operation to only those alarms that
    use a certain alarm action".

    SetAlarmState: "Temporarily sets the state of an alarm for testing purposes."

    DeleteAlarms: "If you specify an incorrect alarm name or make any other error in the
    operation, no alarms are deleted."

Modelled:

- routing: ``POST /service/{GraniteServiceVersion20100801 or
  com.amazonaws.cloudwatch.GraniteServiceVersion20100801}/operation/{Operation}`` on the
  CloudWatch app of moto server (moto sends a request there by its SigV4 credential scope
  ``monitoring``); an entry added to ``moto.cloudwatch.urls.url_paths``. The request must be a
  POST (else 405) with ``smithy-protocol: rpc-v2-cbor``, no ``X-Amz-Target``/``X-Amzn-Target``,
  and, when it has a body, ``Content-Type: application/cbor``; an empty body is an empty input.
  Answers carry ``smithy-protocol: rpc-v2-cbor`` and ``x-amzn-requestid``; an operation whose
  output is Unit answers 200 with no body and no ``Content-Type``, the others 200 with
  ``Content-Type: application/cbor``;
- ``PutMetricAlarm`` (metric alarms, including ``Metrics`` metric-math queries, ``Tags``),
  ``DescribeAlarms`` (``AlarmNames``, ``AlarmNamePrefix`` (not with ``AlarmNames``),
  ``StateValue``, ``ActionPrefix``, ``AlarmTypes``, combined as a conjunction; alarms sorted by
  name; ``MaxRecords`` 1-100, default 50 (our choice: the reference names no default) with an
  opaque ``NextToken``, a token this server did not issue is ``InvalidNextToken``),
  ``SetAlarmState`` and ``DeleteAlarms``, through moto's backend methods, so alarms made over
  awsQuery, awsJson or by a stack are the same alarms. A metric alarm's every member moto
  keeps is answered (``StateTransitionedTimestamp`` and ``EvaluationState`` are not kept);
  ``CompositeAlarms`` lists composite alarms only when ``AlarmTypes`` asks for them;
- a new alarm starts in ``INSUFFICIENT_DATA`` ("Unchecked: Initial alarm creation"), and
  ``PutMetricAlarm`` on an existing alarm keeps its state, reason, reason data, state
  timestamp and history (moto 5.2.5 starts every put in ``OK``): patched in the backend, so it
  holds for every protocol;
- input checked against CloudWatch's input shapes (botocore's copy of the model): a member the
  model lacks, or a value of the wrong CBOR type, is a ``SerializationException``; a missing
  required member or a length, range or enum violation is a ``ValidationError`` (message in
  the form moto 5.2.5 uses for ``SetAlarmState``'s ``stateValue``); output values converted to
  their shape's type (a double always as a CBOR double, integers as integers, timestamps as
  tag 1 with milliseconds), absent values omitted;
- errors: HTTP status from the shape's ``httpError`` (``ResourceNotFound`` 404, the others 400,
  ``InternalServiceFault`` 500), body ``{"__type": "com.amazonaws.cloudwatch#<Shape>",
  "message": ...}``, header ``x-amzn-query-error: <QueryCode>;Sender`` (``Receiver`` for
  the server fault); moto's own errors
  (``ResourceNotFound``, ``InvalidFormat``, ``ValidationError``...) are mapped the same way; a
  code with no shape in the model (``ValidationError``, ``SerializationException``,
  ``UnknownOperationException``) is sent as its bare name;
- ``DeleteAlarms`` ignores names that match no alarm (moto 5.2.5's behaviour; the reference's
  sentence above does not say that an unknown name is an error).

Not modelled: every other CloudWatch operation (answered ``UnknownOperationException``, HTTP
400, naming the four served); a URL ``{prefix}`` before ``/service/``; alarm
evaluation (a state set with ``SetAlarmState`` stays until changed) and alarm actions;
``ChildrenOfAlarmName``/``ParentsOfAlarmName`` (refused with a ``ValidationError`` saying so);
members newer than botocore's model (refused); AWS's limits and cross-field rules (alarm
count, ``Period`` x ``EvaluationPeriods``, composite-alarm dependencies on delete); request
signatures (moto does not check them).

CBOR (RFC 8949, https://www.rfc-editor.org/rfc/rfc8949.html) is read and written by the
cbor2 library (pinned in ``requirements-moto.txt``) through ``loads`` and ``dumps`` below,
which hold it to the protocol: every float a double, a timestamp tag 1 at millisecond
resolution (decoded from a number only), one data item per body (trailing bytes refused),
duplicate map keys refused, tags other than 1, 2 and 3 left uninterpreted.
``tests/aws_model/check_cloudwatch_cbor.py`` checks them (RFC 8949 Appendix A and the Smithy
protocol tests' vectors, then the protocol against a live server).
"""

from __future__ import annotations

import base64
import binascii
import datetime as _dt
import io
import json
import math
import struct
import sys
import traceback
import uuid
from collections.abc import Callable
from typing import Any

import cbor2
from cbor2 import CBORDecodeError, CBORSimpleValue, CBORTag
from cbor2 import undefined as UNDEFINED

# ---------------------------------------------------------------------------------------------
# CBOR (RFC 8949) through cbor2, held to what the protocol needs
# ---------------------------------------------------------------------------------------------

MAX_DEPTH = 256  # nesting limit for decoding (containers and tags)
_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)

# Tags cbor2 6.3.0 interprets besides 1, 2 and 3 (date strings, decimal fractions, bigfloats,
# value sharing, string references, rationals, regular expressions, MIME, UUIDs, IP addresses,
# sets, dates, complex numbers, self-described CBOR). The protocol uses tag 1 only, and RFC
# 8949 §3.4.3 makes 2/3 integers; any other tag stays a ``CBORTag``, so that input checking
# refuses it (a tag 0 date string is not a timestamp) as it refused tags before cbor2. The
# checker asserts that no other tag below 70000 is interpreted, so an upgrade that adds one
# fails there.
LIBRARY_TAGS = (0, 4, 5, 25, 28, 29, 30, 35, 36, 37, 52, 54, 100, 256, 258, 260, 261, 1004,
                43000, 55799)


def _uninterpreted(tag: int) -> Callable[[Any, bool], CBORTag]:
    return lambda value, immutable: CBORTag(tag, value)


def _epoch_timestamp(value: Any, immutable: bool) -> _dt.datetime:
    """Tag 1 as an aware UTC ``datetime``. Ours, not cbor2's: cbor2 takes ``true`` as 1 and
    bounds the range by the platform's ``time_t``; RFC 8949 §3.4.2 allows only numbers, and a
    ``datetime`` holds years 1-9999 here everywhere. (cbor2 prefixes the message with
    "error decoding semantic tag 1: ".)"""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise CBORDecodeError(f"the content is {_cbor_kind(value)}, not a number")
    if isinstance(value, float) and not math.isfinite(value):
        raise CBORDecodeError(f"the content is {value}")
    try:
        return _EPOCH + _dt.timedelta(seconds=value)
    except OverflowError:
        raise CBORDecodeError(f"the content, {value}, is out of range") from None


_SEMANTIC_DECODERS: dict[int, Callable[[Any, bool], Any]] = {
    tag: _uninterpreted(tag) for tag in LIBRARY_TAGS
}
_SEMANTIC_DECODERS[1] = _epoch_timestamp


def loads(data: bytes | bytearray | memoryview) -> Any:
    """Decodes exactly one CBOR data item, definite or indefinite lengths.

    Major types 0/1 → ``int``; 2 → ``bytes``; 3 → ``str``; 4 → ``list``; 5 → ``dict`` (keys
    distinct); 6: tag 1 → aware UTC ``datetime``, tags 2/3 → ``int``, others → ``CBORTag``;
    7: false/true → ``bool``, null → ``None``, undefined → ``UNDEFINED``, half/single/double →
    ``float``, other simple values → ``CBORSimpleValue``. Anything else (truncation, reserved
    additional information, a stray break, indefinite-length chunks of the wrong type, invalid
    UTF-8, a duplicate key, trailing bytes, nesting deeper than ``MAX_DEPTH``) raises
    ``CBORDecodeError``.
    """
    buffer = bytes(data)
    stream = io.BytesIO(buffer)
    value = cbor2.CBORDecoder(
        stream,
        semantic_decoders=_SEMANTIC_DECODERS,
        max_depth=MAX_DEPTH,
        allow_duplicate_keys=False,
    ).decode()
    # cbor2.loads ignores what follows the first item; the decoder leaves the stream right
    # after it, and a request body is one data item.
    if stream.tell() != len(buffer):
        raise CBORDecodeError(
            f"{len(buffer) - stream.tell()} byte(s) after the data item, at offset {stream.tell()}"
        )
    return value


def _decode_error_text(error: CBORDecodeError) -> str:
    """cbor2's message, with the error it wraps (which says what was wrong) when there is one."""
    cause = error.__cause__
    return f"{error}: {cause}" if cause is not None and str(cause) not in str(error) else str(error)


def _encode_double(encoder: cbor2.CBOREncoder, value: float) -> None:
    # cbor2 writes NaN and the infinities as half-precision floats; Smithy: "SHOULD NOT
    # serialize into a half-precision", so every float is a double (major type 7, additional
    # information 27).
    encoder.write(b"\xfb" + struct.pack(">d", value))


def _epoch_millis(value: _dt.datetime) -> int:
    if value.tzinfo is None:
        value = value.replace(tzinfo=_dt.timezone.utc)
    delta = value - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000


def _encode_timestamp(encoder: cbor2.CBOREncoder, value: _dt.datetime) -> None:
    # Smithy: tag 1, epoch seconds "with millisecond (1/1000th of a second) resolution".
    # cbor2 writes tag 0 strings, or with datetime_as_timestamp keeps the microseconds.
    millis = _epoch_millis(value)
    encoder.encode(CBORTag(1, millis // 1000 if millis % 1000 == 0 else millis / 1000))


_ENCODERS: dict[type, Callable[[cbor2.CBOREncoder, Any], None]] = {
    float: _encode_double,
    _dt.datetime: _encode_timestamp,
}


def dumps(value: Any) -> bytes:
    """Encodes ``value`` (types as ``loads`` returns them; tuples as arrays, ``bytearray`` as a
    byte string, naive ``datetime`` as UTC) with definite lengths and the shortest integer
    heads. Floats are always doubles; a ``datetime`` is tag 1 with epoch seconds at millisecond
    resolution (an integer when whole); integers beyond 64 bits are bignums (tags 2/3). A
    value cbor2 cannot encode, or a cycle, raises ``cbor2.CBOREncodeError``."""
    return cbor2.dumps(value, encoders=_ENCODERS)


# ---------------------------------------------------------------------------------------------
# Smithy RPC v2 CBOR for CloudWatch
# ---------------------------------------------------------------------------------------------

SERVICE = "GraniteServiceVersion20100801"
NAMESPACE = "com.amazonaws.cloudwatch"
SERVICE_NAMES = (SERVICE, f"{NAMESPACE}.{SERVICE}")
PROTOCOL = "rpc-v2-cbor"
CBOR_TYPE = "application/cbor"
URL_PATH = "{0}/service/(?P<service>[^/]+)/operation/(?P<operation>[^/]+)$"
INITIAL_REASON = "Unchecked: Initial alarm creation"
DEFAULT_MAX_RECORDS = 50

# Query code → (shape, HTTP status, fault, message member), from CloudWatch's Smithy model.
ERROR_SHAPES: dict[str, tuple[str, int, str, str]] = {
    "ResourceNotFound": ("ResourceNotFound", 404, "Sender", "message"),
    "InvalidFormat": ("InvalidFormatFault", 400, "Sender", "message"),
    "InvalidNextToken": ("InvalidNextToken", 400, "Sender", "message"),
    "InvalidParameterCombination": (
        "InvalidParameterCombinationException",
        400,
        "Sender",
        "message",
    ),
    "InvalidParameterValue": ("InvalidParameterValueException", 400, "Sender", "message"),
    "InvalidParameterInput": ("DashboardInvalidInputError", 400, "Sender", "message"),
    "LimitExceeded": ("LimitExceededFault", 400, "Sender", "message"),
    "MissingParameter": ("MissingRequiredParameterException", 400, "Sender", "message"),
    "InternalServiceError": ("InternalServiceFault", 500, "Receiver", "Message"),
}
# The model's documentation of ResourceNotFound, for moto's message-less raise.
NOT_FOUND_TEXT = "The named resource does not exist."


class RpcError(Exception):
    """An error answered as the protocol says (``code`` is the query code)."""

    def __init__(self, code: str, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


def _error_response(
    code: str, message: str, status: int | None = None
) -> tuple[int, dict[str, str], bytes]:
    shape, shape_status, fault, member = ERROR_SHAPES.get(code, (None, 400, "Sender", "message"))
    body = {"__type": f"{NAMESPACE}#{shape}" if shape else code, member: message}
    headers = _headers(body=True)
    headers["x-amzn-query-error"] = f"{code};{fault}"
    return status or shape_status, headers, dumps(body)


def _headers(body: bool) -> dict[str, str]:
    headers = {"smithy-protocol": PROTOCOL, "x-amzn-requestid": str(uuid.uuid4())}
    if body:
        headers["Content-Type"] = CBOR_TYPE
    return headers


# ---- input and output shapes (CloudWatch's model as botocore ships it)

_model: Any = None


def _service_model() -> Any:
    global _model
    if _model is None:
        import botocore.session

        _model = botocore.session.get_session().get_service_model("cloudwatch")
    return _model


def _lower_first(name: str) -> str:
    return name[:1].lower() + name[1:]


def _check_input(shape: Any, value: Any, path: str) -> Any:
    """``value`` (decoded CBOR) checked against ``shape``; returns it with doubles as floats.
    Type mismatches raise ``SerializationException``, constraint violations ``ValidationError``."""
    kind = shape.type_name
    meta = shape.metadata

    def mistyped(expected: str) -> RpcError:
        return RpcError(
            "SerializationException",
            f"{path or 'the input'}: expected {expected}, got CBOR {_cbor_kind(value)}",
        )

    def violated(constraint: str) -> RpcError:
        shown = value if not isinstance(value, (list, dict)) else f"[{len(value)} element(s)]"
        return RpcError(
            "ValidationError",
            f"1 validation error detected: Value '{shown}' at '{path}' failed to satisfy "
            f"constraint: {constraint}",
        )

    if kind == "structure":
        if not isinstance(value, dict) or any(not isinstance(k, str) for k in value):
            raise mistyped("a map with text keys")
        result = {}
        for name, member_value in value.items():
            if member_value is None or member_value is UNDEFINED:
                continue  # "deserialize this CBOR value to null": an absent member
            if name not in shape.members:
                raise RpcError(
                    "SerializationException",
                    f"{path + '.' if path else ''}{name} is not a member of {shape.name} in the "
                    "CloudWatch model worktime's AWS model serves (botocore's copy)",
                )
            member_path = f"{path + '.' if path else ''}{_lower_first(name)}"
            result[name] = _check_input(shape.members[name], member_value, member_path)
        for name in shape.required_members:
            if name not in result:
                member_path = f"{path + '.' if path else ''}{_lower_first(name)}"
                raise RpcError(
                    "ValidationError",
                    f"1 validation error detected: Value null at '{member_path}' failed to "
                    "satisfy constraint: Member must not be null",
                )
        return result
    if kind == "list":
        if not isinstance(value, list):
            raise mistyped("an array")
        if "min" in meta and len(value) < meta["min"]:
            raise violated(f"Member must have length greater than or equal to {meta['min']}")
        if "max" in meta and len(value) > meta["max"]:
            raise violated(f"Member must have length less than or equal to {meta['max']}")
        checked = []
        for index, element in enumerate(value, 1):
            if element is None or element is UNDEFINED:
                raise RpcError(
                    "SerializationException", f"{path}: null in a list that is not sparse"
                )
            checked.append(_check_input(shape.member, element, f"{path}.{index}.member"))
        return checked
    if kind == "string":
        if not isinstance(value, str):
            raise mistyped("a text string")
        if "min" in meta and len(value) < meta["min"]:
            raise violated(f"Member must have length greater than or equal to {meta['min']}")
        if "max" in meta and len(value) > meta["max"]:
            raise violated(f"Member must have length less than or equal to {meta['max']}")
        if shape.enum and value not in shape.enum:
            raise violated(f"Member must satisfy enum value set: [{', '.join(shape.enum)}]")
        return value
    if kind in ("integer", "long"):
        if isinstance(value, bool) or not isinstance(value, int):
            raise mistyped("an integer")
        bits = 32 if kind == "integer" else 64
        if not -(1 << (bits - 1)) <= value < 1 << (bits - 1):
            raise mistyped(f"a {bits}-bit integer")
        if "min" in meta and value < meta["min"]:
            raise violated(f"Member must have value greater than or equal to {meta['min']}")
        if "max" in meta and value > meta["max"]:
            raise violated(f"Member must have value less than or equal to {meta['max']}")
        return value
    if kind in ("double", "float"):
        # "Floating-point numeric types [...] MAY be serialized into non-floating-point
        # numeric types [...] if and only if the conversion would not cause a loss of precision"
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise mistyped("a number")
        return float(value)
    if kind == "boolean":
        if not isinstance(value, bool):
            raise mistyped("a boolean")
        return value
    if kind == "timestamp":
        if not isinstance(value, _dt.datetime):
            raise mistyped("a timestamp (tag 1)")
        return value
    if kind == "blob":
        if not isinstance(value, bytes):
            raise mistyped("a byte string")
        return value
    if kind == "map":
        if not isinstance(value, dict):
            raise mistyped("a map")
        return {
            _check_input(shape.key, k, f"{path}.key"): _check_input(shape.value, v, f"{path}.value")
            for k, v in value.items()
        }
    raise RpcError("SerializationException", f"{path}: shape type {kind} is not modelled")


def _cbor_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, CBORTag):
        return f"tag {value.tag}"
    if isinstance(value, CBORSimpleValue):
        return f"simple value {value.value}"
    if value is UNDEFINED:
        return "undefined"
    return {
        int: "integer",
        float: "float",
        str: "text string",
        bytes: "byte string",
        list: "array",
        dict: "map",
    }.get(type(value), "timestamp" if isinstance(value, _dt.datetime) else type(value).__name__)


def _output(shape: Any, value: Any) -> Any:
    """``value`` (moto's Python values) converted to ``shape``'s type; ``None`` when absent."""
    if value is None:
        return None
    kind = shape.type_name
    if kind == "structure":
        result = {}
        for name, member in shape.members.items():
            converted = _output(member, value.get(name))
            if converted is not None:
                result[name] = converted
        return result
    if kind == "list":
        return [c for c in (_output(shape.member, v) for v in value) if c is not None]
    if kind == "string":
        return str(value)
    if kind in ("integer", "long"):
        return int(value)
    if kind in ("double", "float"):
        return float(value)
    if kind == "boolean":
        if isinstance(value, str):
            return value.strip().lower() == "true"
        return bool(value)
    if kind == "timestamp":
        if isinstance(value, str):
            value = _dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        return value
    raise TypeError(f"shape type {kind} is not modelled in output")


# ---- the operations


def _dimensions(dimensions: Any) -> list[dict[str, Any]]:
    result = []
    for dimension in dimensions or []:
        if isinstance(dimension, dict):
            result.append({"Name": dimension.get("Name"), "Value": dimension.get("Value")})
        else:
            result.append({"Name": dimension.name, "Value": dimension.value})
    return result


def _metric_data_queries(queries: Any) -> list[dict[str, Any]] | None:
    if not queries:
        return None
    result = []
    for query in queries:
        stat = query.metric_stat
        entry: dict[str, Any] = {
            "Id": query.id,
            "Label": query.label,
            "Period": query.period,
            "ReturnData": query.return_data,
            "Expression": query.expression,
        }
        if stat is not None:
            entry["MetricStat"] = {
                "Metric": {
                    "Namespace": stat.metric.namespace,
                    "MetricName": stat.metric.metric_name,
                    "Dimensions": _dimensions(stat.metric.dimensions),
                },
                "Period": stat.period,
                "Stat": stat.stat,
                "Unit": stat.unit,
            }
        result.append(entry)
    return result


def _alarm_fields(alarm: Any) -> dict[str, Any]:
    """An alarm's members by their model names (``MetricAlarm`` and ``CompositeAlarm``)."""
    return {
        "AlarmName": alarm.name,
        "AlarmArn": alarm.alarm_arn,
        "AlarmDescription": alarm.description,
        "AlarmConfigurationUpdatedTimestamp": alarm.configuration_updated_timestamp,
        "ActionsEnabled": alarm.actions_enabled,
        "OKActions": alarm.ok_actions,
        "AlarmActions": alarm.alarm_actions,
        "InsufficientDataActions": alarm.insufficient_data_actions,
        "StateValue": alarm.state_value,
        "StateReason": alarm.state_reason,
        "StateReasonData": alarm.state_reason_data,
        "StateUpdatedTimestamp": alarm.state_updated_timestamp,
        "MetricName": alarm.metric_name,
        "Namespace": alarm.namespace,
        "Statistic": alarm.statistic,
        "ExtendedStatistic": alarm.extended_statistic,
        "Dimensions": _dimensions(alarm.dimensions),
        "Period": alarm.period,
        "Unit": alarm.unit,
        "EvaluationPeriods": alarm.evaluation_periods,
        "DatapointsToAlarm": alarm.datapoints_to_alarm,
        "Threshold": alarm.threshold,
        "ComparisonOperator": alarm.comparison_operator,
        "TreatMissingData": alarm.treat_missing_data,
        "EvaluateLowSampleCountPercentile": alarm.evaluate_low_sample_count_percentile,
        "Metrics": _metric_data_queries(alarm.metric_data_queries),
        "ThresholdMetricId": alarm.threshold_metric_id,
        "AlarmRule": alarm.rule,
    }


def _token(kind: int, name: str) -> str:
    raw = json.dumps([kind, name], separators=(",", ":")).encode()
    return "wt1." + base64.urlsafe_b64encode(raw).decode()


def _untoken(token: str) -> tuple[int, str]:
    try:
        if not token.startswith("wt1."):
            raise ValueError
        kind, name = json.loads(base64.urlsafe_b64decode(token[4:].encode()))
        if kind not in (0, 1) or not isinstance(name, str):
            raise ValueError
        return kind, name
    except (ValueError, TypeError, binascii.Error):
        raise RpcError(
            "InvalidNextToken", f"{token!r} is not a NextToken this server issued"
        ) from None


def describe_alarms(backend: Any, params: dict[str, Any]) -> dict[str, Any]:
    for unmodelled in ("ChildrenOfAlarmName", "ParentsOfAlarmName"):
        if unmodelled in params:
            raise RpcError(
                "ValidationError",
                f"{unmodelled} is not modelled by worktime's AWS model (tests/aws_model)",
            )
    names = params.get("AlarmNames")
    prefix = params.get("AlarmNamePrefix")
    if names and prefix is not None:
        raise RpcError(
            "ValidationError",
            "AlarmNamePrefix and AlarmNames cannot be specified together",
        )
    state = params.get("StateValue")
    action_prefix = params.get("ActionPrefix")
    types = params.get("AlarmTypes") or ["MetricAlarm"]

    def selected(alarm: Any) -> bool:
        if names and alarm.name not in names:
            return False
        if prefix is not None and not alarm.name.startswith(prefix):
            return False
        if state is not None and alarm.state_value != state:
            return False
        if action_prefix is not None and not any(
            action.startswith(action_prefix) for action in alarm.alarm_actions or []
        ):
            return False
        return True

    alarms = sorted((a for a in backend.describe_alarms() if selected(a)), key=lambda a: a.name)
    # kind 0: metric alarms, then kind 1: composite alarms.
    listed = [(0, a) for a in alarms if a.rule is None and "MetricAlarm" in types]
    listed += [(1, a) for a in alarms if a.rule is not None and "CompositeAlarm" in types]
    if "NextToken" in params:
        after = _untoken(params["NextToken"])
        listed = [(k, a) for k, a in listed if (k, a.name) > after]
    limit = params.get("MaxRecords", DEFAULT_MAX_RECORDS)
    page, rest = listed[:limit], listed[limit:]
    result: dict[str, Any] = {
        "MetricAlarms": [_alarm_fields(a) for k, a in page if k == 0],
        "CompositeAlarms": [_alarm_fields(a) for k, a in page if k == 1],
    }
    if rest:
        kind, last = page[-1]
        result["NextToken"] = _token(kind, last.name)
    return result


def put_metric_alarm(backend: Any, params: dict[str, Any]) -> None:
    from moto.cloudwatch.models import Dimension, Metric, MetricDataQuery, MetricStat

    queries = None
    if params.get("Metrics"):
        queries = []
        for query in params["Metrics"]:
            stat = None
            details = query.get("MetricStat")
            if details:
                metric = details.get("Metric", {})
                stat = MetricStat(
                    metric=Metric(
                        metric_name=metric.get("MetricName"),
                        namespace=metric.get("Namespace"),
                        dimensions=[
                            Dimension(name=d.get("Name"), value=d.get("Value"))
                            for d in metric.get("Dimensions", [])
                        ],
                    ),
                    period=details.get("Period"),
                    stat=details.get("Stat"),
                    unit=details.get("Unit"),
                )
            queries.append(
                MetricDataQuery(
                    query_id=query.get("Id"),
                    label=query.get("Label"),
                    period=query.get("Period"),
                    return_data=query.get("ReturnData"),
                    expression=query.get("Expression"),
                    metric_stat=stat,
                )
            )
    backend.put_metric_alarm(
        name=params["AlarmName"],
        namespace=params.get("Namespace"),
        metric_name=params.get("MetricName"),
        metric_data_queries=queries,
        comparison_operator=params["ComparisonOperator"],
        evaluation_periods=params["EvaluationPeriods"],
        datapoints_to_alarm=params.get("DatapointsToAlarm"),
        period=params.get("Period"),
        threshold=params.get("Threshold"),
        statistic=params.get("Statistic"),
        extended_statistic=params.get("ExtendedStatistic"),
        description=params.get("AlarmDescription"),
        dimensions=params.get("Dimensions", []),
        alarm_actions=params.get("AlarmActions", []),
        ok_actions=params.get("OKActions", []),
        insufficient_data_actions=params.get("InsufficientDataActions", []),
        unit=params.get("Unit"),
        actions_enabled=params.get("ActionsEnabled"),
        treat_missing_data=params.get("TreatMissingData"),
        evaluate_low_sample_count_percentile=params.get("EvaluateLowSampleCountPercentile"),
        threshold_metric_id=params.get("ThresholdMetricId"),
        rule=None,
        tags=params.get("Tags", []),
    )


def set_alarm_state(backend: Any, params: dict[str, Any]) -> None:
    backend.set_alarm_state(
        params["AlarmName"],
        params["StateReason"],
        params.get("StateReasonData"),
        params["StateValue"],
    )


def delete_alarms(backend: Any, params: dict[str, Any]) -> None:
    backend.delete_alarms(params["AlarmNames"])


OPERATIONS: dict[str, Callable[[Any, dict[str, Any]], Any]] = {
    "DescribeAlarms": describe_alarms,
    "PutMetricAlarm": put_metric_alarm,
    "SetAlarmState": set_alarm_state,
    "DeleteAlarms": delete_alarms,
}


def _serve(response: Any, request: Any, full_url: str) -> tuple[int, dict[str, str], bytes]:
    """One request, ``response`` being moto's ``CloudWatchResponse`` (for account and Region)."""
    segments = request.path.rstrip("/").split("/")
    service, operation = segments[-3], segments[-1]
    if request.method != "POST":
        raise RpcError("UnknownOperationException", "rpcv2Cbor requests are POST requests", 405)
    if request.headers.get("smithy-protocol") != PROTOCOL:
        raise RpcError(
            "SerializationException",
            f"the request's smithy-protocol header is not {PROTOCOL}",
        )
    for forbidden in ("X-Amz-Target", "X-Amzn-Target"):
        if forbidden in request.headers:
            raise RpcError(
                "SerializationException", f"an rpcv2Cbor request has no {forbidden} header"
            )
    if service not in SERVICE_NAMES or operation not in OPERATIONS:
        raise RpcError(
            "UnknownOperationException",
            f"{service}/{operation} is not served over RPC v2 CBOR by worktime's AWS model, "
            f"which serves {', '.join(sorted(OPERATIONS))} of {SERVICE}",
        )
    response.setup_class(request, full_url, request.headers, use_raw_body=True)
    body = response.raw_body or b""
    if body:
        content_type = (request.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if content_type != CBOR_TYPE:
            raise RpcError(
                "SerializationException",
                f"the request body is {content_type or 'untyped'}, not {CBOR_TYPE}",
            )
        try:
            decoded = loads(body)
        except CBORDecodeError as error:
            raise RpcError(
                "SerializationException",
                f"the request body is not CBOR: {_decode_error_text(error)}",
            ) from None
    else:
        decoded = {}
    model = _service_model().operation_model(operation)
    params = _check_input(model.input_shape, decoded, "")

    from moto.core.exceptions import ServiceException

    try:
        result = OPERATIONS[operation](response.cloudwatch_backend, params)
    except ServiceException as error:
        message = error.message
        if error.code == "ResourceNotFound" and message == ServiceException.message:
            message = NOT_FOUND_TEXT
        raise RpcError(error.code, message) from None
    if model.output_shape is None:
        return 200, _headers(body=False), b""
    return 200, _headers(body=True), dumps(_output(model.output_shape, result))


def _backend_initial_state() -> None:
    """A new alarm starts in INSUFFICIENT_DATA; an updated one keeps its state."""
    from moto.cloudwatch.models import CloudWatchBackend

    original = CloudWatchBackend.put_metric_alarm
    if getattr(original, "_worktime_keeps_state", False):
        return

    def put_metric_alarm(self: Any, *args: Any, **kwargs: Any) -> Any:
        name = kwargs["name"] if "name" in kwargs else args[0]
        previous = self.alarms.get(name)
        alarm = original(self, *args, **kwargs)
        if previous is None:
            alarm.state_value = "INSUFFICIENT_DATA"
            alarm.state_reason = INITIAL_REASON
        elif previous is not alarm:
            alarm.state_value = previous.state_value
            alarm.state_reason = previous.state_reason
            alarm.state_reason_data = previous.state_reason_data
            alarm.state_updated_timestamp = previous.state_updated_timestamp
            alarm.history = previous.history
        return alarm

    put_metric_alarm._worktime_keeps_state = True  # type: ignore[attr-defined]
    put_metric_alarm.__doc__ = original.__doc__
    CloudWatchBackend.put_metric_alarm = put_metric_alarm  # type: ignore[method-assign]


def install() -> None:
    import moto.cloudwatch.urls as urls
    from moto.cloudwatch.responses import CloudWatchResponse
    from moto.core.utils import convert_to_flask_response

    class CborCloudWatchResponse(CloudWatchResponse):
        def __init__(self) -> None:
            super().__init__()
            self.automated_parameter_parsing = False  # the body is CBOR, not a query

        @classmethod
        def cbor_dispatch(cls, request: Any, full_url: str, headers: Any) -> Any:
            try:
                return _serve(cls(), request, full_url)
            except RpcError as error:
                return _error_response(error.code, error.message, error.status)
            except Exception as error:  # noqa: BLE001 - answered as the protocol's server fault
                traceback.print_exc(file=sys.stderr)
                return _error_response("InternalServiceError", f"{type(error).__name__}: {error}")

    handler = CborCloudWatchResponse.cbor_dispatch
    urls.url_paths.setdefault(URL_PATH, handler)

    # Werkzeug gives every response a Content-Type (text/html when none is set); the protocol
    # forbids one on an empty (Unit) response.
    original_call = convert_to_flask_response.__call__
    if not getattr(original_call, "_worktime_cbor", False):

        def __call__(self: Any, args: Any = None, **kwargs: Any) -> Any:
            response = original_call(self, args, **kwargs)
            if getattr(self.callback, "__func__", None) is getattr(handler, "__func__", handler):
                if response.status_code == 200 and not response.get_data():
                    del response.headers["Content-Type"]
            return response

        __call__._worktime_cbor = True  # type: ignore[attr-defined]
        convert_to_flask_response.__call__ = __call__  # type: ignore[method-assign]

    _backend_initial_state()
