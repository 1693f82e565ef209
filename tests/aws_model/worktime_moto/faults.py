"""Faults as AWS produces them, on request: throttling, and a run cut off after a chosen write.

AWS throttles API requests per account and Region and answers a throttled request with an
error the SDKs retry with backoff (Application Auto Scaling API reference, "Common Errors":
``ThrottlingException`` — "The request was denied due to request throttling", HTTP 400; ECS
documents the same for its API, "Request throttling for the Amazon ECS API"; the AWS SDKs and
Tools reference guide, "Retry behavior", lists it among the transient errors retried by the
standard mode). A Lambda function can also stop between two writes (a timeout, a crash, a
retry budget spent), and Lambda then retries the whole event ("Asynchronous invocation":
"If the function returns an error, Lambda attempts to run it two more times").

moto 5.2.5 never throttles and never fails half-way, so a test cannot see whether a run that
stops after any write and is retried ends where an uninterrupted run would.

Modelled, for requests to ECS and Application Auto Scaling only (the services whose calls the
function makes per service), set through ``POST /worktime-model/faults`` with a JSON object:

- ``throttle_share`` (0 to 1, default 0): that share of those requests, drawn from a
  deterministic generator (``seed``, default 1), is answered ``400`` with
  ``{"__type": "ThrottlingException", "message": "Rate exceeded"}`` and not executed;
- ``deny_writes_after`` (a whole number, or null): the writes among them
  (``RegisterScalableTarget``, ``DeregisterScalableTarget``, ``UpdateService``,
  ``TagResource``, ``UntagResource``) after that many have succeeded are answered ``400`` with
  ``{"__type": "AccessDeniedException", ...}`` (not retried by the SDK), standing for the run
  that stops there; null lets every write through again.

Every POST resets the counters and answers the settings with the counts so far (``GET`` too):
``requests``, ``throttled``, ``writes``, ``denied``. ``POST /moto-api/reset`` does not reset
them. Not modelled: throttling of other services, token-bucket timing (the share is per
request, not per second), ``Retry-After`` hints.
"""

from __future__ import annotations

import json
import random
import threading
from typing import Any

CONTROL_PATH = "/worktime-model/faults"
TARGET_PREFIXES = ("AmazonEC2ContainerServiceV20141113.", "AnyScaleFrontendService.")
WRITES = {
    "RegisterScalableTarget",
    "DeregisterScalableTarget",
    "UpdateService",
    "TagResource",
    "UntagResource",
}

_lock = threading.Lock()
_settings: dict[str, Any] = {"throttle_share": 0.0, "seed": 1, "deny_writes_after": None}
_counts = {"requests": 0, "throttled": 0, "writes": 0, "denied": 0}
_random = random.Random(1)


def _state() -> dict[str, Any]:
    return {**_settings, **_counts}


def _configure(body: Any) -> tuple[int, dict[str, Any]]:
    if not isinstance(body, dict):
        return 400, {"error": "the body is a JSON object"}
    unknown = set(body) - {"throttle_share", "seed", "deny_writes_after"}
    if unknown:
        return 400, {"error": f"unknown keys: {sorted(unknown)}"}
    share = body.get("throttle_share", 0.0)
    if not isinstance(share, (int, float)) or isinstance(share, bool) or not 0 <= share <= 1:
        return 400, {"error": "throttle_share is a number from 0 to 1"}
    seed = body.get("seed", 1)
    if not isinstance(seed, int) or isinstance(seed, bool):
        return 400, {"error": "seed is a whole number"}
    after = body.get("deny_writes_after")
    if after is not None and (not isinstance(after, int) or isinstance(after, bool) or after < 0):
        return 400, {"error": "deny_writes_after is a whole number of 0 or more, or null"}
    with _lock:
        _settings.update(throttle_share=float(share), seed=seed, deny_writes_after=after)
        _counts.update(requests=0, throttled=0, writes=0, denied=0)
        _random.seed(seed)
        return 200, _state()


def _fault_for(operation: str) -> tuple[str, str] | None:
    """The error to answer instead of executing ``operation``, or None to let it through."""
    with _lock:
        _counts["requests"] += 1
        if _settings["throttle_share"] and _random.random() < _settings["throttle_share"]:
            _counts["throttled"] += 1
            return "ThrottlingException", "Rate exceeded"
        if operation in WRITES:
            after = _settings["deny_writes_after"]
            if after is not None and _counts["writes"] >= after:
                _counts["denied"] += 1
                return (
                    "AccessDeniedException",
                    f"{operation}: denied by the AWS model (deny_writes_after = {after}): the run "
                    "stops here",
                )
            _counts["writes"] += 1
        return None


def _answer(start_response: Any, status: int, body: dict[str, Any], json_type: bool) -> list[bytes]:
    payload = json.dumps(body).encode("utf-8")
    reasons = {200: "OK", 400: "Bad Request", 405: "Method Not Allowed"}
    content_type = "application/x-amz-json-1.1" if json_type else "application/json"
    start_response(
        f"{status} {reasons.get(status, 'Error')}",
        [("Content-Type", content_type), ("Content-Length", str(len(payload)))],
    )
    return [payload]


def install() -> None:
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    if getattr(DomainDispatcherApplication, "_worktime_faults_installed", False):
        return
    DomainDispatcherApplication._worktime_faults_installed = True  # type: ignore[attr-defined]
    original_call = DomainDispatcherApplication.__call__

    def __call__(self, environ, start_response):  # type: ignore[no-untyped-def]
        if environ.get("PATH_INFO", "").rstrip("/") == CONTROL_PATH:
            method = environ.get("REQUEST_METHOD", "GET").upper()
            if method == "GET":
                with _lock:
                    return _answer(start_response, 200, _state(), False)
            if method != "POST":
                return _answer(start_response, 405, {"error": "GET or POST"}, False)
            length = int(environ.get("CONTENT_LENGTH") or 0)
            raw = environ["wsgi.input"].read(length) if length > 0 else b""
            try:
                body = json.loads(raw or b"{}")
            except ValueError:
                return _answer(start_response, 400, {"error": "not JSON"}, False)
            status, answer = _configure(body)
            return _answer(start_response, status, answer, False)
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if target.startswith(TARGET_PREFIXES):
            fault = _fault_for(target.split(".", 1)[1])
            if fault is not None:
                kind, message = fault
                return _answer(start_response, 400, {"__type": kind, "message": message}, True)
        return original_call(self, environ, start_response)

    DomainDispatcherApplication.__call__ = __call__
