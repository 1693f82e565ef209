"""Check of ``worktime_moto.cloudwatch_cbor``: its CBOR through cbor2, then the protocol against
a live server:

    .venv/bin/python tests/aws_model/check_cloudwatch_cbor.py

First ``loads``/``dumps`` on their own: RFC 8949 Appendix A's vectors, the Smithy RPC v2 CBOR
protocol tests' vectors, what the protocol asks beyond cbor2's defaults (doubles, tag 1 at
milliseconds, one data item, no duplicate keys, uninterpreted tags), and malformed input
raising ``CBORDecodeError`` only. Then a worktime moto server on a free 127.0.0.1 port, sent
raw RPC v2 CBOR requests: what a well-formed request gets back, byte for byte where the
protocol says how, and the ``SerializationException`` a malformed one gets. Exits non-zero on
the first failed check (printing the server's log if it was running).
"""

from __future__ import annotations

import base64
import datetime as dt
import math
import random
import sys
import urllib.error
import urllib.request
from typing import Any

import cbor2
from cbor2 import CBORDecodeError, CBORSimpleValue, CBORTag

# Found beside this script (the directory Python puts first on the path).
from check_ecs_tasks import Server, against_live_server, check
from worktime_moto import cloudwatch_cbor as cw

UTC = dt.timezone.utc
NAN = float("nan")
INF = float("inf")


def passed(what: str) -> None:
    """Reports a group of asserts that has just passed (each assert names its failure)."""
    print(f"ok: {what}")


def same(a: Any, b: Any) -> bool:
    """Equal and of the same type; floats by bits' meaning (NaN equals NaN, -0.0 is not 0.0)."""
    if isinstance(a, float) and isinstance(b, float):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    return type(a) is type(b) and a == b


def decode_error(data: bytes) -> str | None:
    """``None`` when ``data`` decodes; else the ``CBORDecodeError``'s text (any other
    exception propagates: malformed input must be a decode error, which the server answers
    ``SerializationException``)."""
    try:
        cw.loads(data)
    except CBORDecodeError as error:
        return str(error)
    return None


def check_vectors() -> None:
    ts = dt.datetime(2013, 3, 21, 20, 4, tzinfo=UTC)
    # RFC 8949 Appendix A: (hex, decoded value, byte-exact when encoded by dumps). Not exact:
    # half and single floats (dumps writes doubles) and indefinite lengths (dumps writes
    # definite ones). Tags 0, 23, 24 and 32 stay tags: the protocol interprets none of them.
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
        ("fbc010666666666666", -4.1, True), ("f97c00", INF, False), ("f97e00", NAN, False),
        ("f9fc00", -INF, False), ("fa7f800000", INF, False), ("fa7fc00000", NAN, False),
        ("faff800000", -INF, False), ("fb7ff0000000000000", INF, True),
        ("fb7ff8000000000000", NAN, True), ("fbfff0000000000000", -INF, True),
        ("f4", False, True), ("f5", True, True), ("f6", None, True),
        ("f7", cw.UNDEFINED, True), ("f0", CBORSimpleValue(16), True),
        ("f8ff", CBORSimpleValue(255), True),
        ("c074323031332d30332d32315432303a30343a30305a",
         CBORTag(0, "2013-03-21T20:04:00Z"), True),
        ("c11a514b67b0", ts, True),
        ("c1fb41d452d9ec200000", ts + dt.timedelta(milliseconds=500), True),
        ("d74401020304", CBORTag(23, b"\x01\x02\x03\x04"), True),
        ("d818456449455446", CBORTag(24, b"dIETF"), True),
        ("d82076687474703a2f2f7777772e6578616d706c652e636f6d",
         CBORTag(32, "http://www.example.com"), True),
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
    for hexed, expected, exact in vectors:
        decoded = cw.loads(bytes.fromhex(hexed))
        assert same(decoded, expected), (hexed, decoded, expected)
        if exact:
            assert cw.dumps(expected).hex() == hexed, (hexed, cw.dumps(expected).hex())
        assert same(cw.loads(cw.dumps(decoded)), decoded), hexed
    passed(f"{len(vectors)} RFC 8949 Appendix A vectors decode (and encode where exact)")

    # Smithy protocol tests (rpcv2Cbor): float16 edge cases, an error body, the empty structure.
    for b64, expected in [
        ("oWV2YWx1Zfl8AA==", INF), ("oWV2YWx1Zfn8AA==", -INF), ("oWV2YWx1Zfl8AQ==", NAN),
        ("oWV2YWx1Zfl+AA==", NAN), ("oWV2YWx1ZfkAUA==", 0.00000476837158203125),
    ]:
        assert same(cw.loads(base64.b64decode(b64))["value"], expected), b64
    assert cw.loads(base64.b64decode(
        "v2ZfX3R5cGV4LnNtaXRoeS5wcm90b2NvbHRlc3RzLnJwY3YyQ2JvciNJbnZhbGlkR3Jl"
        "ZXRpbmdnTWVzc2FnZWJIaf8="
    )) == {"__type": "smithy.protocoltests.rpcv2Cbor#InvalidGreeting", "Message": "Hi"}
    assert cw.loads(base64.b64decode("v/8=")) == {}
    passed("the Smithy protocol tests' vectors decode")


def check_protocol_encoding() -> None:
    # Floats are doubles even where cbor2 would write a half (NaN, the infinities).
    for value, hexed in [(1.0, "fb3ff0000000000000"), (NAN, "fb7ff8000000000000"),
                         (INF, "fb7ff0000000000000"), (-INF, "fbfff0000000000000"),
                         (-0.0, "fb8000000000000000")]:
        check(cw.dumps(value).hex() == hexed, f"{value!r} is a double", cw.dumps(value).hex())
    check(cw.dumps({"v": [NAN]}).hex() == "a16176" "81fb7ff8000000000000",
          "a nested float is a double too", cw.dumps({"v": [NAN]}).hex())

    # Timestamps: tag 1, epoch seconds cut to milliseconds, an integer when whole; naive as UTC.
    for value, hexed in [
        (dt.datetime(1970, 1, 1, 0, 0, 1, 500999), "c1fb3ff8000000000000"),
        (dt.datetime(1969, 12, 31, 23, 59, 59), "c120"),
        (dt.datetime(2013, 3, 21, 20, 4, 0, 999, tzinfo=UTC), "c11a514b67b0"),
        (dt.datetime(2013, 3, 21, 21, 4, tzinfo=dt.timezone(dt.timedelta(hours=1))),
         "c11a514b67b0"),
        (dt.datetime(2030, 12, 25, 9, 0, 0, 123000, tzinfo=UTC), "c1fb41dcad140407df3b"),
    ]:
        check(cw.dumps(value).hex() == hexed, f"{value.isoformat()} is tag 1 {hexed[2:]}",
              cw.dumps(value).hex())
    check(cw.loads(bytes.fromhex("c1fb41dcad140407df3b"))
          == dt.datetime(2030, 12, 25, 9, 0, 0, 123000, tzinfo=UTC),
          "a tag 1 double decodes to its milliseconds")

    # A round trip through everything the protocol layer sends.
    document = {
        "MetricAlarms": [{
            "AlarmName": "wt-errors", "Threshold": 1.0, "Period": 60, "ActionsEnabled": True,
            "Dimensions": [{"Name": "FunctionName", "Value": "wt-scaler"}],
            "StateUpdatedTimestamp": dt.datetime(2030, 12, 25, 9, 0, 0, 123000, tzinfo=UTC),
            "Blob": b"\x00\xff" * 300, "Text": "\u00fc" * 70000, "Big": -(1 << 70),
            "Nothing": None,
        }],
        "CompositeAlarms": [],
    }
    check(cw.loads(cw.dumps(document)) == document, "an alarm document round-trips")

    for bad in [object(), {"a": object()}]:
        try:
            cw.dumps(bad)
        except cbor2.CBOREncodeError:
            pass
        else:
            raise AssertionError(f"{bad!r} encoded")
    cycle: list[Any] = []
    cycle.append(cycle)
    try:
        cw.dumps(cycle)
    except cbor2.CBOREncodeError:
        pass
    else:
        raise AssertionError("a cycle encoded")
    passed("values with no CBOR encoding, and cycles, raise CBOREncodeError")

    # The error body as the SDK reads it.
    status, headers, body = cw._error_response("InvalidFormat", "Unknown")
    check(status == 400 and headers["x-amzn-query-error"] == "InvalidFormat;Sender"
          and cw.loads(body) == {"__type": "com.amazonaws.cloudwatch#InvalidFormatFault",
                                 "message": "Unknown"},
          "InvalidFormat: 400, x-amzn-query-error, __type and message", (status, headers, body))
    check(cw._error_response("ResourceNotFound", "x")[0] == 404, "ResourceNotFound: 404")


def check_malformed() -> None:
    # Not well-formed, or not valid for the protocol: each raises CBORDecodeError.
    for hexed in [
        "", "18", "1c", "1f", "3f", "5f6100ff", "7f4100ff", "5f5f4100ffff", "ff",
        "8201", "a1", "a16161", "f818", "fc", "62c328", "7f62c328ff", "c26161",
        "9bffffffffffffffff", "5bffffffffffffffff", "1b00", "9f01", "bf6161ff",
        "81" * 257 + "00", "c0" * 257 + "00",
        # ours, beyond cbor2's defaults: trailing bytes, duplicate keys, tag 1 not a number
        "0000", "a10102" + "00", "a201020102", "bf01020102ff", "c1f5", "c16161",
        "c1fb7ff0000000000000", "c1fb7ff8000000000000", "c11b7fffffffffffffff",
        "c1c11a514b67b0",
    ]:
        check(
            decode_error(bytes.fromhex(hexed)) is not None, f"{hexed[:24] or 'empty'}: decode error"
        )
    check(decode_error(cw.dumps("x" * 10000) + b"\x00") is not None,
          "a trailing byte after a long item is found (past cbor2's read buffer)")
    check(decode_error(bytes.fromhex("81" * 256 + "00")) is None
          and decode_error(bytes.fromhex("c0" * 256 + "00")) is None,
          f"nesting of exactly {cw.MAX_DEPTH} decodes")

    # cbor2 interprets only the tags in LIBRARY_TAGS besides 1, 2 and 3; those come back as
    # CBORTag, and so must every other tag (a new cbor2 interpreting one fails here).
    for tag in range(70000):
        if tag in (1, 2, 3):
            continue
        if tag < 24:
            head = bytes((0xC0 | tag,))
        elif tag < 0x100:
            head = bytes((0xD8, tag))
        elif tag < 0x10000:
            head = b"\xd9" + tag.to_bytes(2, "big")
        else:
            head = b"\xda" + tag.to_bytes(4, "big")
        for content in ("8201f6", "6161", "00"):
            decoded = cw.loads(head + bytes.fromhex(content))
            assert isinstance(decoded, CBORTag) and decoded.tag == tag, (tag, content, decoded)
    passed("tags 0 and 4-69999 decode uninterpreted, as CBORTag")

    # Random damage to well-formed items never raises anything but CBORDecodeError.
    rng = random.Random(20)
    seeds = [cw.dumps({"AlarmNames": ["a", "b"], "MaxRecords": 5, "Threshold": 1.5}),
             bytes.fromhex("bf61610161629f0203ffff"), bytes.fromhex("5f42010243030405ff"),
             bytes.fromhex("c1fb41d452d9ec200000"), bytes.fromhex("c249010000000000000000")]
    for _ in range(20000):
        data = bytearray(rng.choice(seeds))
        for _ in range(rng.randrange(1, 4)):
            if data:
                data[rng.randrange(len(data))] = rng.randrange(256)
        decode_error(bytes(data[: rng.randrange(len(data) + 1)] if rng.random() < 0.3 else data))
    passed("20000 damaged items: each decodes or raises CBORDecodeError")


# ---- the protocol against a live server

PATH = "/service/GraniteServiceVersion20100801/operation/"
# moto routes a request to CloudWatch by its SigV4 credential scope (moto checks no signature).
AUTH = ("AWS4-HMAC-SHA256 Credential=testing/20300101/us-east-1/monitoring/aws4_request, "
        "SignedHeaders=host, Signature=0")


def call(server: Server, operation: str, body: bytes | None,
         headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(
        server.endpoint + PATH + operation, data=body if body is not None else b"", method="POST"
    )
    request.add_header("Authorization", AUTH)
    request.add_header("smithy-protocol", "rpc-v2-cbor")
    if body:
        request.add_header("Content-Type", "application/cbor")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def serialization_error(answer: tuple[int, dict[str, str], bytes]) -> str | None:
    """The message when ``answer`` is the protocol's SerializationException, else ``None``."""
    status, headers, body = answer
    if status != 400 or headers.get("x-amzn-query-error") != "SerializationException;Sender":
        return None
    decoded = cw.loads(body)
    return decoded["message"] if decoded.get("__type") == "SerializationException" else None


def check_server(server: Server) -> None:
    alarm = {
        "AlarmName": "wt-cbor", "Namespace": "AWS/Lambda", "MetricName": "Errors",
        "Statistic": "Sum", "Period": 60, "EvaluationPeriods": 1, "Threshold": 2,
        "ComparisonOperator": "GreaterThanOrEqualToThreshold",
    }
    status, headers, body = call(server, "PutMetricAlarm", cw.dumps(alarm))
    check(status == 200 and body == b"" and "Content-Type" not in headers
          and headers.get("smithy-protocol") == "rpc-v2-cbor",
          "PutMetricAlarm (Unit output): 200, no body, no Content-Type", (status, headers, body))

    status, headers, body = call(server, "DescribeAlarms", cw.dumps({"AlarmNames": ["wt-cbor"]}))
    check(status == 200 and headers.get("Content-Type") == "application/cbor",
          "DescribeAlarms: 200, application/cbor", (status, headers))
    # An integer threshold in comes back a double (major type 7, 27), the shape's type.
    check(b"iThreshold" + bytes.fromhex("fb4000000000000000") in body,
          "the Threshold 2 put is answered as the double 2.0", body.hex())
    described = cw.loads(body)["MetricAlarms"][0]
    for member in ("StateUpdatedTimestamp", "AlarmConfigurationUpdatedTimestamp"):
        value = described[member]
        check(isinstance(value, dt.datetime) and value.microsecond % 1000 == 0,
              f"{member} is tag 1 at milliseconds", value)
    check(described["StateValue"] == "INSUFFICIENT_DATA" and described["Period"] == 60,
          "the alarm as put", described)

    # Input cbor2 reads with our settings: indefinite lengths, a half float, undefined (null).
    status, _, body = call(server, "PutMetricAlarm", bytes.fromhex(
        "bf" + cw.dumps("AlarmName").hex() + "7f6377742d6463626f72ff"  # "wt-" "cbor" in chunks
        + cw.dumps("EvaluationPeriods").hex() + "01"
        + cw.dumps("Threshold").hex() + "f93e00"  # 1.5 as a half
        + cw.dumps("ComparisonOperator").hex() + cw.dumps("LessThanThreshold").hex()
        + cw.dumps("AlarmDescription").hex() + "f7"  # undefined: absent
        + "ff"
    ))
    check(status == 200, "an indefinite-length map and text, a half float, undefined: 200",
          (status, body))
    status, _, body = call(server, "DescribeAlarms", cw.dumps({"AlarmNamePrefix": "wt-cbor"}))
    threshold = cw.loads(body)["MetricAlarms"][0]["Threshold"]
    check(same(threshold, 1.5), "the half-precision 1.5 is kept", threshold)

    # Malformed bodies: SerializationException, naming what is wrong.
    for what, data, says in [
        ("a truncated map", bytes.fromhex("a1"), "not CBOR"),
        ("a trailing byte", cw.dumps({}) + b"\x00", "1 byte(s) after the data item"),
        ("a duplicate key", bytes.fromhex("a2" + "6161" "01" "6161" "02"), "not CBOR"),
        ("invalid UTF-8", bytes.fromhex("a16161" "62c328"), "not CBOR"),
        ("a stray break", bytes.fromhex("a16161ff"), "not CBOR"),
        ("tag 1 holding true", b"\xa1" + cw.dumps("AlarmNames") + bytes.fromhex("81c1f5"),
         "semantic tag 1: the content is boolean"),
        ("an array as a map key", bytes.fromhex("a1" "816161" "01"), "text keys"),
        ("a tag 0 date string for a string", cw.dumps({"AlarmNamePrefix": CBORTag(0, "x")}),
         "got CBOR tag 0"),
        ("a simple value for a string", cw.dumps({"AlarmNamePrefix": CBORSimpleValue(16)}),
         "got CBOR simple value 16"),
        ("a member the model lacks", cw.dumps({"AlarmNames": [], "Nope": 1}), "not a member"),
    ]:
        message = serialization_error(call(server, "DescribeAlarms", data))
        check(message is not None and says in message,
              f"{what}: SerializationException ({says})", message)
    message = serialization_error(
        call(server, "DescribeAlarms", cw.dumps({}), {"Content-Type": "application/json"})
    )
    check(message is not None and "not application/cbor" in message,
          "a body typed application/json: SerializationException", message)


def main() -> int:
    try:
        check_vectors()
        check_protocol_encoding()
        check_malformed()
    except Exception as error:  # noqa: BLE001 - reported, then a non-zero exit
        print(f"FAILED: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    return against_live_server("check_cloudwatch_cbor", check_server)


if __name__ == "__main__":
    sys.exit(main())
