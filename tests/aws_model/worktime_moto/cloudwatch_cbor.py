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

The CBOR codec (RFC 8949, https://www.rfc-editor.org/rfc/rfc8949.html) is below: ``loads``
and ``dumps``. ``python cloudwatch_cbor.py`` runs its self-test (RFC 8949 Appendix A and the
Smithy protocol tests' vectors).
"""

from __future__ import annotations

import base64
import binascii
import datetime as _dt
import json
import math
import struct
import sys
import traceback
import uuid
from dataclasses import dataclass
from typing import Any, Callable

# ---------------------------------------------------------------------------------------------
# CBOR (RFC 8949)
# ---------------------------------------------------------------------------------------------

MAX_DEPTH = 256  # nesting limit for decoding and encoding
_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)


class CBORDecodeError(ValueError):
    """Input that is not one well-formed, valid CBOR data item (RFC 8949 §5.3, §5.6)."""


class CBOREncodeError(TypeError):
    """A Python value with no CBOR encoding here."""


class _Undefined:
    """CBOR ``undefined`` (simple value 23)."""

    _instance: _Undefined | None = None

    def __new__(cls) -> _Undefined:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNDEFINED"

    def __bool__(self) -> bool:
        return False


UNDEFINED = _Undefined()


@dataclass(frozen=True)
class Simple:
    """A simple value other than false, true, null and undefined (0-19, 32-255)."""

    value: int

    def __post_init__(self) -> None:
        if not (0 <= self.value <= 19 or 32 <= self.value <= 255):
            raise ValueError(f"simple value {self.value} is not 0-19 or 32-255")


@dataclass(frozen=True)
class Tag:
    """A tagged data item whose tag this codec does not interpret."""

    tag: int
    value: Any


def loads(data: bytes | bytearray | memoryview) -> Any:
    """Decodes exactly one CBOR data item.

    Major types 0/1 → ``int``; 2 → ``bytes``; 3 → ``str``; 4 → ``list``; 5 → ``dict``
    (keys must be hashable and distinct); 6: tag 1 → aware UTC ``datetime``, tags 2/3 → ``int``,
    others → ``Tag``; 7: false/true → ``bool``, null → ``None``, undefined → ``UNDEFINED``,
    half/single/double → ``float``, other simple values → ``Simple``. Definite and indefinite
    lengths. Anything else (truncation, reserved additional information, a stray break,
    indefinite-length chunks of the wrong type, invalid UTF-8, trailing bytes, nesting deeper
    than ``MAX_DEPTH``) raises ``CBORDecodeError``.
    """
    buffer = bytes(data)
    decoder = _Decoder(buffer)
    value = decoder.item(0)
    if decoder.pos != len(buffer):
        raise CBORDecodeError(
            f"{len(buffer) - decoder.pos} byte(s) after the data item, at offset {decoder.pos}"
        )
    return value


def dumps(value: Any) -> bytes:
    """Encodes ``value`` (types as ``loads`` returns them; tuples as arrays, ``bytearray`` and
    ``memoryview`` as byte strings, naive ``datetime`` as UTC) with definite lengths and the
    shortest integer heads. Floats are always doubles (Smithy: "SHOULD NOT serialize into a
    half-precision"); a ``datetime`` is tag 1 with epoch seconds at millisecond resolution (an
    integer when whole); integers beyond 64 bits are bignums (tags 2/3)."""
    out = bytearray()
    _encode(value, out, 0)
    return bytes(out)


class _Decoder:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def _take(self, n: int) -> bytes:
        end = self.pos + n
        if end > len(self.data):
            raise CBORDecodeError(
                f"truncated: {n} byte(s) needed at offset {self.pos}, "
                f"{len(self.data) - self.pos} left"
            )
        chunk = self.data[self.pos : end]
        self.pos = end
        return chunk

    def _argument(self, info: int, at: int) -> int | None:
        """The head's argument; ``None`` for an indefinite length (additional info 31)."""
        if info < 24:
            return info
        if info == 24:
            return self._take(1)[0]
        if info == 25:
            return int.from_bytes(self._take(2), "big")
        if info == 26:
            return int.from_bytes(self._take(4), "big")
        if info == 27:
            return int.from_bytes(self._take(8), "big")
        if info == 31:
            return None
        raise CBORDecodeError(f"reserved additional information {info} at offset {at}")

    def _at_break(self) -> bool:
        if self.pos >= len(self.data):
            raise CBORDecodeError(
                f"truncated: indefinite-length item not closed at offset {self.pos}"
            )
        if self.data[self.pos] == 0xFF:
            self.pos += 1
            return True
        return False

    def _count(self, n: int, at: int) -> int:
        # Every element takes at least one byte: refuse counts the input cannot hold.
        if n > len(self.data) - self.pos:
            raise CBORDecodeError(f"truncated: {n} element(s) announced at offset {at}")
        return n

    def item(self, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise CBORDecodeError(f"nesting deeper than {MAX_DEPTH} at offset {self.pos}")
        at = self.pos
        initial = self._take(1)[0]
        major, info = initial >> 5, initial & 0x1F
        if major == 7:
            return self._major7(info, at)
        argument = self._argument(info, at)
        if argument is None:
            return self._indefinite(major, depth, at)
        if major == 0:
            return argument
        if major == 1:
            return -1 - argument
        if major == 2:
            return self._take(argument)
        if major == 3:
            return _utf8(self._take(argument), at)
        if major == 4:
            return [self.item(depth + 1) for _ in range(self._count(argument, at))]
        if major == 5:
            result: dict[Any, Any] = {}
            for _ in range(self._count(argument, at)):
                self._pair(result, depth)
            return result
        return self._tag(argument, depth, at)  # major 6

    def _pair(self, result: dict[Any, Any], depth: int) -> None:
        at = self.pos
        key = self.item(depth + 1)
        try:
            duplicate = key in result
        except TypeError:
            raise CBORDecodeError(
                f"map key of type {type(key).__name__} at offset {at} is not supported"
            ) from None
        if duplicate:
            raise CBORDecodeError(f"duplicate map key {key!r} at offset {at}")
        result[key] = self.item(depth + 1)

    def _indefinite(self, major: int, depth: int, at: int) -> Any:
        if major in (2, 3):
            chunks = []
            while not self._at_break():
                chunk_at = self.pos
                head = self._take(1)[0]
                if head >> 5 != major or head & 0x1F == 31:
                    raise CBORDecodeError(
                        f"chunk at offset {chunk_at} of an indefinite-length "
                        f"{'byte' if major == 2 else 'text'} string is not a definite-length "
                        f"{'byte' if major == 2 else 'text'} string"
                    )
                length = self._argument(head & 0x1F, chunk_at)
                assert length is not None
                chunks.append(self._take(length))
            if major == 2:
                return b"".join(chunks)
            # RFC 8949 §3.2.3: every chunk is itself a text string, so valid UTF-8 on its own.
            return "".join(_utf8(chunk, at) for chunk in chunks)
        if major == 4:
            items = []
            while not self._at_break():
                items.append(self.item(depth + 1))
            return items
        if major == 5:
            result: dict[Any, Any] = {}
            while not self._at_break():
                self._pair(result, depth)
            return result
        raise CBORDecodeError(f"indefinite length for major type {major} at offset {at}")

    def _tag(self, tag: int, depth: int, at: int) -> Any:
        content = self.item(depth + 1)
        if tag == 1:
            if isinstance(content, bool) or not isinstance(content, (int, float)):
                raise CBORDecodeError(
                    f"tag 1 at offset {at} holds {type(content).__name__}, not a number"
                )
            if isinstance(content, float) and not math.isfinite(content):
                raise CBORDecodeError(f"tag 1 at offset {at} holds {content}")
            try:
                return _EPOCH + _dt.timedelta(seconds=content)
            except OverflowError:
                raise CBORDecodeError(f"tag 1 at offset {at}: {content} is out of range") from None
        if tag in (2, 3):
            if not isinstance(content, bytes):
                raise CBORDecodeError(
                    f"tag {tag} at offset {at} holds {type(content).__name__}, not bytes"
                )
            n = int.from_bytes(content, "big")
            return n if tag == 2 else -1 - n
        return Tag(tag, content)

    def _major7(self, info: int, at: int) -> Any:
        if info < 20:
            return Simple(info)
        if info == 20:
            return False
        if info == 21:
            return True
        if info == 22:
            return None
        if info == 23:
            return UNDEFINED
        if info == 24:
            value = self._take(1)[0]
            if value < 32:
                raise CBORDecodeError(
                    f"simple value {value} in two bytes at offset {at} (RFC 8949 §3.3)"
                )
            return Simple(value)
        if info == 25:
            return struct.unpack(">e", self._take(2))[0]
        if info == 26:
            return struct.unpack(">f", self._take(4))[0]
        if info == 27:
            return struct.unpack(">d", self._take(8))[0]
        if info == 31:
            raise CBORDecodeError(f"break outside an indefinite-length item at offset {at}")
        raise CBORDecodeError(f"reserved additional information {info} at offset {at}")


def _utf8(raw: bytes, at: int) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise CBORDecodeError(f"text string at offset {at} is not UTF-8: {error.reason}") from None


def _head(major: int, n: int, out: bytearray) -> None:
    if n < 24:
        out.append(major << 5 | n)
    elif n < 0x100:
        out += bytes((major << 5 | 24, n))
    elif n < 0x10000:
        out.append(major << 5 | 25)
        out += n.to_bytes(2, "big")
    elif n < 0x100000000:
        out.append(major << 5 | 26)
        out += n.to_bytes(4, "big")
    else:
        out.append(major << 5 | 27)
        out += n.to_bytes(8, "big")


def _epoch_millis(value: _dt.datetime) -> int:
    if value.tzinfo is None:
        value = value.replace(tzinfo=_dt.timezone.utc)
    delta = value - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000


def _encode(value: Any, out: bytearray, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise CBOREncodeError(f"nesting deeper than {MAX_DEPTH} (a cycle?)")
    if value is None:
        out.append(0xF6)
    elif value is UNDEFINED:
        out.append(0xF7)
    elif value is True:
        out.append(0xF5)
    elif value is False:
        out.append(0xF4)
    elif isinstance(value, int):
        if 0 <= value < 1 << 64:
            _head(0, value, out)
        elif -(1 << 64) <= value < 0:
            _head(1, -1 - value, out)
        else:
            magnitude = value if value >= 0 else -1 - value
            _head(6, 2 if value >= 0 else 3, out)
            raw = magnitude.to_bytes((magnitude.bit_length() + 7) // 8, "big")
            _head(2, len(raw), out)
            out += raw
    elif isinstance(value, float):
        out.append(0xFB)
        out += struct.pack(">d", value)
    elif isinstance(value, (bytes, bytearray, memoryview)):
        raw = bytes(value)
        _head(2, len(raw), out)
        out += raw
    elif isinstance(value, str):
        try:
            raw = value.encode("utf-8")
        except UnicodeEncodeError as error:
            raise CBOREncodeError(f"text is not encodable as UTF-8: {error.reason}") from None
        _head(3, len(raw), out)
        out += raw
    elif isinstance(value, _dt.datetime):
        millis = _epoch_millis(value)
        _head(6, 1, out)
        _encode(millis // 1000 if millis % 1000 == 0 else millis / 1000, out, depth + 1)
    elif isinstance(value, Tag):
        _head(6, value.tag, out)
        _encode(value.value, out, depth + 1)
    elif isinstance(value, Simple):
        if value.value < 24:
            out.append(0xE0 | value.value)
        else:
            out += bytes((0xF8, value.value))
    elif isinstance(value, (list, tuple)):
        _head(4, len(value), out)
        for element in value:
            _encode(element, out, depth + 1)
    elif isinstance(value, dict):
        _head(5, len(value), out)
        for key, element in value.items():
            _encode(key, out, depth + 1)
            _encode(element, out, depth + 1)
    else:
        raise CBOREncodeError(f"no CBOR encoding for {type(value).__name__}")


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
                "SerializationException", f"the request body is not CBOR: {error}"
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


# ---------------------------------------------------------------------------------------------
# self-test: ``python cloudwatch_cbor.py``
# ---------------------------------------------------------------------------------------------


def _self_test() -> None:
    nan = float("nan")
    inf = float("inf")
    ts = _EPOCH + _dt.timedelta(seconds=1363896240)
    # RFC 8949 Appendix A: (hex, decoded value, byte-exact when encoded by dumps)
    vectors: list[tuple[str, Any, bool]] = [
        ("00", 0, True), ("01", 1, True), ("0a", 10, True), ("17", 23, True),
        ("1818", 24, True), ("1819", 25, True), ("1864", 100, True), ("1903e8", 1000, True),
        ("1a000f4240", 1000000, True), ("1b000000e8d4a51000", 1000000000000, True),
        ("1bffffffffffffffff", 18446744073709551615, True),
        ("c249010000000000000000", 18446744073709551616, True),
        ("3bffffffffffffffff", -18446744073709551616, True),
        ("c349010000000000000000", -18446744073709551617, True),
        ("20", -1, True), ("29", -10, True), ("3863", -100, True), ("3903e7", -1000, True),
        ("f90000", 0.0, False), ("f98000", -0.0, False), ("f93c00", 1.0, False),
        ("fb3ff199999999999a", 1.1, True), ("f93e00", 1.5, False), ("f97bff", 65504.0, False),
        ("fa47c35000", 100000.0, False), ("fa7f7fffff", 3.4028234663852886e38, False),
        ("fb7e37e43c8800759c", 1.0e300, True), ("f90001", 5.960464477539063e-8, False),
        ("f90400", 0.00006103515625, False), ("f9c400", -4.0, False),
        ("fbc010666666666666", -4.1, True), ("f97c00", inf, False), ("f97e00", nan, False),
        ("f9fc00", -inf, False), ("fa7f800000", inf, False), ("fa7fc00000", nan, False),
        ("faff800000", -inf, False), ("fb7ff0000000000000", inf, True),
        ("fb7ff8000000000000", nan, True), ("fbfff0000000000000", -inf, True),
        ("f4", False, True), ("f5", True, True), ("f6", None, True), ("f7", UNDEFINED, True),
        ("f0", Simple(16), True), ("f8ff", Simple(255), True),
        ("c074323031332d30332d32315432303a30343a30305a", Tag(0, "2013-03-21T20:04:00Z"), True),
        ("c11a514b67b0", ts, True),
        ("c1fb41d452d9ec200000", ts + _dt.timedelta(milliseconds=500), True),
        ("d74401020304", Tag(23, b"\x01\x02\x03\x04"), True),
        ("d818456449455446", Tag(24, b"dIETF"), True),
        ("d82076687474703a2f2f7777772e6578616d706c652e636f6d",
         Tag(32, "http://www.example.com"), True),
        ("40", b"", True), ("4401020304", b"\x01\x02\x03\x04", True), ("60", "", True),
        ("6161", "a", True), ("6449455446", "IETF", True), ("62225c", '"\\', True),
        ("62c3bc", "\u00fc", True), ("63e6b0b4", "\u6c34", True),
        ("64f0908591", "\U00010151", True), ("80", [], True), ("83010203", [1, 2, 3], True),
        ("8301820203820405", [1, [2, 3], [4, 5]], True),
        ("98190102030405060708090a0b0c0d0e0f101112131415161718181819", list(range(1, 26)), True),
        ("a0", {}, True), ("a201020304", {1: 2, 3: 4}, True),
        ("a26161016162820203", {"a": 1, "b": [2, 3]}, True),
        ("826161a161626163", ["a", {"b": "c"}], True),
        ("a56161614161626142616361436164614461656145",
         {"a": "A", "b": "B", "c": "C", "d": "D", "e": "E"}, True),
        ("5f42010243030405ff", b"\x01\x02\x03\x04\x05", False),
        ("7f657374726561646d696e67ff", "streaming", False), ("9fff", [], False),
        ("9f018202039f0405ffff", [1, [2, 3], [4, 5]], False),
        ("9f01820203820405ff", [1, [2, 3], [4, 5]], False),
        ("83018202039f0405ff", [1, [2, 3], [4, 5]], False),
        ("83019f0203ff820405", [1, [2, 3], [4, 5]], False),
        ("9f0102030405060708090a0b0c0d0e0f101112131415161718181819ff", list(range(1, 26)), False),
        ("bf61610161629f0203ffff", {"a": 1, "b": [2, 3]}, False),
        ("826161bf61626163ff", ["a", {"b": "c"}], False),
        ("bf6346756ef563416d7421ff", {"Fun": True, "Amt": -2}, False),
    ]

    def same(a: Any, b: Any) -> bool:
        if isinstance(a, float) and isinstance(b, float):
            if math.isnan(a) or math.isnan(b):
                return math.isnan(a) and math.isnan(b)
            return a == b and math.copysign(1, a) == math.copysign(1, b)
        return type(a) is type(b) and a == b

    for hexed, expected, exact in vectors:
        decoded = loads(bytes.fromhex(hexed))
        assert same(decoded, expected), (hexed, decoded, expected)
        if exact:
            assert dumps(expected).hex() == hexed, (hexed, dumps(expected).hex())
        assert same(loads(dumps(decoded)), decoded), hexed

    # Smithy protocol tests: float16 edge cases, the error bodies, the empty structure.
    for b64, expected in [
        ("oWV2YWx1Zfl8AA==", inf), ("oWV2YWx1Zfn8AA==", -inf), ("oWV2YWx1Zfl8AQ==", nan),
        ("oWV2YWx1Zfl+AA==", nan), ("oWV2YWx1ZfkAUA==", 0.00000476837158203125),
    ]:
        assert same(loads(base64.b64decode(b64))["value"], expected), b64
    assert loads(base64.b64decode(
        "v2ZfX3R5cGV4LnNtaXRoeS5wcm90b2NvbHRlc3RzLnJwY3YyQ2JvciNJbnZhbGlkR3Jl"
        "ZXRpbmdnTWVzc2FnZWJIaf8="
    )) == {"__type": "smithy.protocoltests.rpcv2Cbor#InvalidGreeting", "Message": "Hi"}
    assert loads(base64.b64decode("v/8=")) == {}

    # A round trip through everything the protocol layer sends.
    document = {
        "MetricAlarms": [{
            "AlarmName": "wt-errors", "Threshold": 1.0, "Period": 60, "ActionsEnabled": True,
            "Dimensions": [{"Name": "FunctionName", "Value": "wt-scaler"}],
            "StateUpdatedTimestamp": _dt.datetime(
                2030, 12, 25, 9, 0, 0, 123000, tzinfo=_dt.timezone.utc
            ),
            "Blob": b"\x00\xff" * 300, "Text": "\u00fc" * 70000, "Big": -(1 << 70), "Nothing": None,
        }],
        "CompositeAlarms": [],
    }
    assert loads(dumps(document)) == document
    assert dumps(_dt.datetime(1970, 1, 1, 0, 0, 1, 500999)).hex() == "c1fb3ff8000000000000"
    assert dumps(_dt.datetime(1969, 12, 31, 23, 59, 59)).hex() == "c120"

    # Not well-formed or not valid: each raises CBORDecodeError.
    for hexed in [
        "", "18", "1c", "1f", "3f", "5f6100ff", "7f4100ff", "5f5f4100ffff", "ff",
        "8201", "a1", "a16161", "0000", "f818", "fc", "62c328", "7f62c328ff", "c1f5", "c16161",
        "c1fb7ff0000000000000", "c26161", "a201020102", "a182010203", "9bffffffffffffffff",
        "1b00", "9f01", "bf6161ff", "81" * 300 + "00",
    ]:
        try:
            loads(bytes.fromhex(hexed))
        except CBORDecodeError:
            pass
        else:
            raise AssertionError(f"{hexed!r} decoded")
    for bad in [object(), {1.5j: 1}, "\ud800"]:
        try:
            dumps(bad)
        except (CBOREncodeError, TypeError):
            pass
        else:
            raise AssertionError(f"{bad!r} encoded")
    cycle: list[Any] = []
    cycle.append(cycle)
    try:
        dumps(cycle)
    except CBOREncodeError:
        pass
    else:
        raise AssertionError("a cycle encoded")

    # The error body as the SDK reads it.
    status, headers, body = _error_response("InvalidFormat", "Unknown")
    assert status == 400 and headers["x-amzn-query-error"] == "InvalidFormat;Sender"
    assert loads(body) == {
        "__type": "com.amazonaws.cloudwatch#InvalidFormatFault",
        "message": "Unknown",
    }
    assert _error_response("ResourceNotFound", "x")[0] == 404
    print(
        f"cloudwatch_cbor self-test: {len(vectors)} RFC 8949 vectors "
        "and the protocol checks pass"
    )


if __name__ == "__main__":
    _self_test()
