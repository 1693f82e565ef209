"""Lambda ``Invoke`` runs the function's own code: routed to the Lambda Runtime API the test
harness serves for it, so a Step Functions task (or any ``Invoke``) runs the built
``bootstrap``.

AWS (Lambda API Reference, "Invoke",
https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html):

    "Invokes a Lambda function. You can invoke a function synchronously (and wait for the
    response), or asynchronously."
    "For synchronous invocation, details about the function response, including errors, are
    included in the response body and headers."
    "X-Amz-Function-Error: If present, indicates that an error occurred during function
    execution. Details about the error are included in the response payload."

and Step Functions' optimized Lambda integration (Step Functions Developer Guide, "Invoke an
AWS Lambda function with Step Functions",
https://docs.aws.amazon.com/step-functions/latest/dg/connect-lambda.html) calls ``Invoke``
with the task's ``Payload`` and hands on the response (``Payload``, ``StatusCode``, ...); a
function error fails the task.

moto 5.2.5 runs a function's code in a Docker container (``LambdaFunction._invoke_lambda``);
without Docker, ``Invoke`` answers an error payload (or, with ``use_docker`` off, echoes the
event). Its Step Functions interpreter (``stepfunctions.execute_state_machine`` on) calls
``Invoke`` through a boto3 client at ``localhost:$MOTO_PORT``.

Modelled: a function of (account, Region, name) routed with
``POST /worktime-model/lambda/runtime`` ``{"account": ..., "region": ..., "function_name": ...,
"endpoint": "127.0.0.1:PORT"}`` (``"endpoint": null`` removes the route) has every
``Invoke`` sent to the harness at ``http://<endpoint>/worktime-harness/invoke``: the event as
the request body, the function's response as the answer, and the harness's
``X-Worktime-Function-Error`` header standing for Lambda's ``X-Amz-Function-Error``. The
harness runs the built ``bootstrap`` with the deployed function's environment and this server
as its endpoint (``tests/src/runtime.rs``). Only loopback endpoints are accepted. A function
with no route is moto's own. Not modelled: invocation types other than synchronous (an
asynchronous ``Invoke`` of a routed function also waits for the answer), log tails
(``X-Amz-Log-Result`` is empty), concurrency and throttling.
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from typing import Any

CONTROL_PATH = "/worktime-model/lambda/runtime"
INVOKE_PATH = "/worktime-harness/invoke"
FUNCTION_ERROR_HEADER = "X-Worktime-Function-Error"

_lock = threading.Lock()
# (account, region, function name) -> "127.0.0.1:PORT"
_routes: dict[tuple[str, str, str], str] = {}


def _configure(body: Any) -> tuple[int, dict[str, Any]]:
    if not isinstance(body, dict):
        return 400, {"error": "a JSON object"}
    try:
        key = (
            str(body.get("account") or "123456789012"),
            str(body["region"]),
            str(body["function_name"]),
        )
    except KeyError as missing:
        return 400, {"error": f"missing {missing}"}
    endpoint = body.get("endpoint")
    with _lock:
        if endpoint is None:
            _routes.pop(key, None)
            return 200, {"routed": False}
        host, _, port = str(endpoint).rpartition(":")
        if host not in ("127.0.0.1", "localhost") or not port.isdigit():
            return 400, {"error": "endpoint: 127.0.0.1:PORT (loopback only)"}
        _routes[key] = str(endpoint)
    return 200, {"routed": True, "endpoint": endpoint}


def _route_of(function: Any) -> str | None:
    key = (function.account_id, function.region, function.function_name)
    with _lock:
        return _routes.get(key)


def _invoke_through_harness(
    function: Any, endpoint: str, event: Any
) -> tuple[str, bool, str]:
    body = event if isinstance(event, str | bytes) else json.dumps(event)
    if isinstance(body, str):
        body = body.encode("utf-8")
    request = urllib.request.Request(
        f"http://{endpoint}{INVOKE_PATH}",
        data=body,
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    # The harness answers within the function's timeout (it answers a timeout itself).
    patience = float(function.timeout or 3) + 30.0
    try:
        with urllib.request.urlopen(request, timeout=patience) as answer:  # noqa: S310
            payload = answer.read().decode("utf-8")
            errored = answer.headers.get(FUNCTION_ERROR_HEADER) is not None
    except (urllib.error.URLError, TimeoutError) as error:
        payload = json.dumps(
            {
                "errorType": "Runtime.Unavailable",
                "errorMessage": f"the harness runtime at {endpoint} did not answer: {error}",
            }
        )
        errored = True
    return payload, errored, ""


def install() -> None:
    from moto.awslambda.models import LambdaFunction
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    if getattr(LambdaFunction, "_worktime_runtime_installed", False):
        return
    LambdaFunction._worktime_runtime_installed = True  # type: ignore[attr-defined]
    original_invoke = LambdaFunction._invoke_lambda

    def _invoke_lambda(self, event=None):  # type: ignore[no-untyped-def]
        endpoint = _route_of(self)
        if endpoint is None:
            return original_invoke(self, event)
        return _invoke_through_harness(self, endpoint, {} if event is None else event)

    LambdaFunction._invoke_lambda = _invoke_lambda  # type: ignore[method-assign]

    original_call = DomainDispatcherApplication.__call__

    def __call__(self, environ, start_response):  # type: ignore[no-untyped-def]
        if environ.get("PATH_INFO", "").rstrip("/") == CONTROL_PATH:
            if environ.get("REQUEST_METHOD", "GET").upper() != "POST":
                return _answer(start_response, 405, {"error": "POST"})
            length = int(environ.get("CONTENT_LENGTH") or 0)
            raw = environ["wsgi.input"].read(length) if length > 0 else b""
            try:
                body = json.loads(raw or b"{}")
            except ValueError:
                return _answer(start_response, 400, {"error": "not JSON"})
            status, answer = _configure(body)
            return _answer(start_response, status, answer)
        return original_call(self, environ, start_response)

    DomainDispatcherApplication.__call__ = __call__


def _answer(start_response: Any, status: int, body: dict[str, Any]) -> list[bytes]:
    text = json.dumps(body).encode("utf-8")
    reasons = {200: "OK", 400: "Bad Request", 405: "Method Not Allowed"}
    start_response(
        f"{status} {reasons.get(status, 'Error')}",
        [("Content-Type", "application/json"), ("Content-Length", str(len(text)))],
    )
    return [text]
