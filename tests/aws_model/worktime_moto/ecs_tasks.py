"""ECS: a service's running tasks follow its desired count over time; start failures show as
service events. Per-service test controls at ``/worktime-model/ecs/service``.

AWS (Amazon ECS API Reference, "Service",
https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Service.html):

    "desiredCount: The desired number of instantiations of the task definition to keep
    running on the service."
    "runningCount: The number of tasks in the cluster that are in the RUNNING state."
    "pendingCount: The number of tasks in the cluster that are in the PENDING state."
    "events: The event stream for your service. A maximum of 100 of the latest events are
    displayed."
    "deployments: The current state of deployments for the service."

Each deployment ("Deployment",
https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Deployment.html) has its own
``desiredCount``, ``runningCount``, ``pendingCount``, ``createdAt``, ``updatedAt`` and
``rolloutState``.

Task lifecycle (Amazon ECS Developer Guide, "Amazon ECS task lifecycle",
https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-lifecycle-explanation.html):

    "When task status changes are requested, such as stopping a task or updating the desired
    count of a service to scale it up or down, the Amazon ECS container agent tracks these
    changes as the last known status (lastStatus) of the task and the desired status
    (desiredStatus) of the task."
    "PENDING: This is a transition state where Amazon ECS is waiting on the container agent to
    take further action. A task stays in the pending state until there are available
    resources for the task."

and a task passes PROVISIONING, PENDING, ACTIVATING (image pull, load balancer registration)
before RUNNING, and DEACTIVATING (load balancer deregistration, whose deregistration delay
lets connections drain), STOPPING (SIGTERM, then SIGKILL after the container's
``stopTimeout``, at most 120 seconds: API_ContainerDefinition) and DEPROVISIONING before
STOPPED (paraphrased), so starting and stopping tasks take time.

Service events (Amazon ECS Developer Guide, "Amazon ECS service event messages",
https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-event-messages.html):

    "When viewing service event messages using the Amazon ECS API, only the events from the
    service scheduler are returned. These include the most recent task placement and
    instance health events."
    "These events will have a prefix of service (service-name). To ensure that this event
    view is helpful, we only show the 100 most recent events and duplicate event messages are
    omitted until either the cause is resolved or six hours passes."

with messages such as "service (service-name) has reached a steady state.", "service
(service-name) was unable to place a task because no container instance met all of its
requirements." and "service (service-name) is unable to consistently start tasks
successfully." In ``DescribeServices`` a message reads "(service NAME) has reached a steady
state." (the form of the AWS CLI's ``describe-services`` examples; from memory, not checked
offline), newest event first.

moto 5.2.5 keeps ``runningCount`` at ``MOTO_ECS_SERVICE_RUNNING`` (0 when unset) after
``CreateService``, sets it equal to the desired count the instant ``UpdateService`` changes
it, never updates the PRIMARY deployment's counts, and records no service events.

Modelled, per service (account, Region, cluster name, service name), evaluated from the wall
clock whenever the service is returned by ``DescribeServices``, ``CreateService``,
``UpdateService`` or ``DeleteService`` or its state is asked for at the control endpoint. Every
path that changes the desired count (``UpdateService``, CloudFormation, Application Auto
Scaling through ``autoscaling``) is covered: the change is timestamped when moto stores the
new desired count.

- The service has a set of tasks. When the desired count rises, the missing tasks are
  launched and are PENDING for ``start_seconds`` (default 0: RUNNING at once), then RUNNING.
  When it falls, PENDING tasks are stopped first (at once), then RUNNING tasks, which still
  count as RUNNING for ``stop_seconds`` (default 0) and are then gone. ``runningCount`` and
  ``pendingCount`` (of the service and of its PRIMARY deployment) count them; with the
  defaults ``runningCount == desiredCount`` right after every change. A changed
  ``start_seconds`` / ``stop_seconds`` applies to tasks launched / stopped afterwards.
- ``start_failure``: while set, no task reaches RUNNING: tasks already RUNNING keep running,
  the missing ones stay PENDING (``pendingCount = desiredCount - runningCount``). A service
  event with exactly that message is recorded when tasks fail to start: when the failure is
  set while tasks are PENDING, or when the desired count rises while it is set; a repeated
  message is omitted until the cause is resolved (the failure cleared, or the service
  steady). Clearing it (``null``) lets the PENDING tasks start, taking ``start_seconds``
  from then.
- "(service NAME) has reached a steady state." is recorded once the tasks match the desired
  count (all RUNNING, none stopping) after each change, timestamped when that happened.
- A change of the desired count sets the PRIMARY deployment's ``desiredCount`` and
  ``updatedAt`` ("last updated"; our reading, AWS does not spell it out for scaling). Its
  ``rolloutState`` is ``IN_PROGRESS`` until the deployment first reaches a steady state, then
  ``COMPLETED`` (a later scaling does not reopen it).
- ``deployment_age_seconds`` (control only) backdates the PRIMARY deployment's ``createdAt``
  and ``updatedAt`` to that many seconds before now.
- At most 100 events are kept, newest first, each with ``id`` (a UUID), ``createdAt`` and
  ``message``. A deleted (INACTIVE) service has no tasks.

The controls live with the ECS backend of the account and Region (``/moto-api/reset`` clears
them) under the cluster and service names, so they survive the service being replaced (for
example by CloudFormation). The control endpoint is served by the moto server itself, on its
own port, before moto's routing::

    POST /worktime-model/ecs/service   a JSON object: "cluster", "service" (required strings),
        "account" (default "123456789012"), "region" (default "us-east-1"),
        "start_failure" (a string, or null to clear), "start_seconds", "stop_seconds",
        "deployment_age_seconds" (numbers >= 0); any other key is refused
    GET  /worktime-model/ecs/service?cluster=C&service=S[&account=A][&region=R]

    200: the service's modelled state as JSON (``state()``); 400: a malformed request, an
    unknown Region, or deployment_age_seconds for a service without a PRIMARY deployment;
    404: no such cluster or service; 405: another method; errors as {"error": "..."}.

Not modelled: individual tasks (``ListTasks`` / ``DescribeTasks``) and the "has started /
has stopped N tasks" events, the cluster's ``runningTasksCount`` / ``pendingTasksCount``,
failed tasks and their replacement (``failedTasks``, the deployment circuit breaker), the
six-hour repetition of events, rolling deployments (a task definition change or
``forceNewDeployment`` only gets moto's new deployment id and timestamps), the DRAINING
status, ``MOTO_ECS_SERVICE_RUNNING`` (superseded by the model).
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import threading
import time
import uuid
from typing import Any
from urllib.parse import parse_qs

CONTROL_PATH = "/worktime-model/ecs/service"
DEFAULT_ACCOUNT = "123456789012"
DEFAULT_REGION = "us-east-1"
MAX_EVENTS = 100
NEVER = math.inf
CONTROL_KEYS = {
    "account",
    "region",
    "cluster",
    "service",
    "start_failure",
    "start_seconds",
    "stop_seconds",
    "deployment_age_seconds",
}

_lock = threading.RLock()


# ---------------------------------------------------------------------------------------------
# time helpers
# ---------------------------------------------------------------------------------------------


def _naive_utc(epoch: float) -> _dt.datetime:
    """moto's timestamps are naive UTC datetimes."""
    return _dt.datetime.fromtimestamp(epoch, _dt.timezone.utc).replace(tzinfo=None)


def _epoch(value: Any) -> float | None:
    if not isinstance(value, _dt.datetime):
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=_dt.timezone.utc)
    return value.timestamp()


def _iso(value: Any) -> Any:
    if isinstance(value, _dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=_dt.timezone.utc)
        return value.astimezone(_dt.timezone.utc).isoformat(timespec="milliseconds").replace(
            "+00:00", "Z"
        )
    return value


# ---------------------------------------------------------------------------------------------
# the model
# ---------------------------------------------------------------------------------------------


class Controls:
    """A service's test controls (see the module docstring)."""

    def __init__(self) -> None:
        self.start_failure: str | None = None
        self.start_seconds: float = 0
        self.stop_seconds: float = 0


class Task:
    __slots__ = ("ready_at", "stop_at")

    def __init__(self, ready_at: float) -> None:
        self.ready_at = ready_at  # when it is RUNNING; NEVER while it cannot start
        self.stop_at = NEVER  # when it is gone; NEVER while the service wants it


class Tasks:
    """The tasks of one Service object, and what has been reported about them."""

    def __init__(self) -> None:
        self.tasks: list[Task] = []
        self.applied: int | None = None  # desired count the tasks were last sized for
        self.settle_at: float | None = None  # steady state pending, reached at this time
        self.completed_deployment: str | None = None
        self.failing_with: str | None = None  # failure message last reported as an event

    def live(self, now: float) -> list[Task]:
        self.tasks = [t for t in self.tasks if t.stop_at > now]
        return self.tasks

    def counts(self, now: float) -> tuple[int, int, int]:
        """(running, pending, stopping) at ``now``."""
        running = pending = stopping = 0
        for task in self.live(now):
            if task.ready_at <= now:
                running += 1
                if task.stop_at != NEVER:
                    stopping += 1
            else:
                pending += 1
        return running, pending, stopping

    def recompute_settle(self, now: float) -> None:
        """After a change at ``now``: when the tasks will match the desired count."""
        settle = now
        for task in self.live(now):
            settle = max(settle, task.ready_at, task.stop_at if task.stop_at != NEVER else now)
        self.settle_at = settle


def _controls_of(backend: Any, cluster: str, service: str) -> Controls:
    """Kept on the account's and Region's ECS backend, so a moto reset drops them."""
    table = backend.__dict__.setdefault("_worktime_ecs_controls", {})
    return table.setdefault((cluster, service), Controls())


def _service_controls(service: Any) -> Controls:
    return _controls_of(service._backend, service.cluster_name, service.name)


def _tasks_of(service: Any) -> Tasks:
    tasks = service.__dict__.get("_worktime_tasks")
    if tasks is None:
        tasks = Tasks()
        service.__dict__["_worktime_tasks"] = tasks
    return tasks


def _add_event(service: Any, at: float, message: str) -> None:
    events = service.__dict__.setdefault("events", [])
    events.append({"id": str(uuid.uuid4()), "createdAt": _naive_utc(at), "message": message})
    events.sort(key=lambda e: _epoch(e.get("createdAt")) or 0.0, reverse=True)
    del events[MAX_EVENTS:]


def _primary(service: Any) -> dict[str, Any] | None:
    for deployment in service.__dict__.get("deployments") or []:
        if deployment.get("status") == "PRIMARY":
            return deployment
    return None


def _resize(service: Any, state: Tasks, controls: Controls, desired: int, at: float) -> None:
    """The scheduler reacting at ``at`` to a desired count of ``desired``."""
    tasks = state.live(at)
    wanted = [t for t in tasks if t.stop_at == NEVER]
    if len(wanted) < desired:
        ready_at = NEVER if controls.start_failure is not None else at + controls.start_seconds
        for _ in range(desired - len(wanted)):
            tasks.append(Task(ready_at))
        if controls.start_failure is not None and state.failing_with != controls.start_failure:
            _add_event(service, at, controls.start_failure)
            state.failing_with = controls.start_failure
    elif len(wanted) > desired:
        excess = len(wanted) - desired
        # PENDING tasks go first (latest launched first), then RUNNING ones drain.
        by_preference = sorted(wanted, key=lambda t: (t.ready_at <= at, -t.ready_at))
        for task in by_preference[:excess]:
            if task.ready_at > at or controls.stop_seconds <= 0:
                task.stop_at = at  # gone at once
            else:
                task.stop_at = at + controls.stop_seconds
        state.live(at)
    state.applied = desired
    state.recompute_settle(at)


def _apply_changes(service: Any, state: Tasks) -> None:
    changes = service.__dict__.get("_worktime_desired_changes") or []
    if not changes:
        return
    service.__dict__["_worktime_desired_changes"] = []
    controls = _service_controls(service)
    for at, value in changes:
        try:
            desired = max(int(value), 0)
        except (TypeError, ValueError):
            continue
        first = state.applied is None
        if desired == state.applied:
            continue
        _resize(service, state, controls, desired, at)
        primary = _primary(service)
        if primary is not None:
            primary["desiredCount"] = desired
            if not first:
                primary["updatedAt"] = _naive_utc(at)


def refresh(service: Any, now: float | None = None) -> Tasks:
    """Brings the moto Service's counts, deployments and events up to ``now``."""
    with _lock:
        now = time.time() if now is None else now
        state = _tasks_of(service)
        _apply_changes(service, state)
        if service.__dict__.get("status") != "ACTIVE" and state.tasks:
            state.tasks = []
            state.settle_at = None
        running, pending, _ = state.counts(now)
        if state.settle_at is not None and state.settle_at <= now:
            steady = f"(service {service.name}) has reached a steady state."
            _add_event(service, state.settle_at, steady)
            state.settle_at = None
            state.failing_with = None  # the cause is resolved
        service.__dict__["running_count"] = running
        service.__dict__["pending_count"] = pending
        primary = _primary(service)
        if primary is not None:
            primary["runningCount"] = running
            primary["pendingCount"] = pending
            if state.applied is not None:
                primary["desiredCount"] = state.applied
            deployment_id = primary.get("id")
            steady = state.settle_at is None and pending == 0 and running == (state.applied or 0)
            if steady and state.completed_deployment != deployment_id:
                state.completed_deployment = deployment_id
            if state.completed_deployment == deployment_id:
                primary["rolloutState"] = "COMPLETED"
                primary["rolloutStateReason"] = f"ECS deployment {deployment_id} completed."
            else:
                primary["rolloutState"] = "IN_PROGRESS"
                primary["rolloutStateReason"] = f"ECS deployment {deployment_id} in progress."
        return state


def set_controls(service: Any, body: dict[str, Any], now: float | None = None) -> None:
    """Applies a control request (already validated) to an existing service."""
    with _lock:
        now = time.time() if now is None else now
        state = refresh(service, now)
        controls = _service_controls(service)
        if "start_seconds" in body:
            controls.start_seconds = body["start_seconds"]
        if "stop_seconds" in body:
            controls.stop_seconds = body["stop_seconds"]
        if "start_failure" in body:
            failure = body["start_failure"]
            controls.start_failure = failure
            pending = [t for t in state.live(now) if t.ready_at > now]
            if failure is not None:
                for task in pending:
                    task.ready_at = NEVER
                if pending and state.failing_with != failure:
                    _add_event(service, now, failure)
                if pending:
                    state.failing_with = failure
            else:
                for task in pending:
                    if task.ready_at == NEVER:
                        task.ready_at = now + controls.start_seconds
                state.failing_with = None
            if pending and state.settle_at is not None:
                state.recompute_settle(now)
        if "deployment_age_seconds" in body:
            primary = _primary(service)
            if primary is not None:
                when = _naive_utc(now - float(body["deployment_age_seconds"]))
                primary["createdAt"] = when
                primary["updatedAt"] = when
        refresh(service, now)


def state(service: Any, account: str, region: str, now: float | None = None) -> dict[str, Any]:
    """The control endpoint's answer: the service's modelled state."""
    with _lock:
        now = time.time() if now is None else now
        tasks = refresh(service, now)
        running, pending, stopping = tasks.counts(now)
        controls = _service_controls(service)
        primary = _primary(service)
        age = None
        if primary is not None and _epoch(primary.get("updatedAt")) is not None:
            age = round(now - _epoch(primary["updatedAt"]), 3)  # type: ignore[operator]
        return {
            "account": account,
            "region": region,
            "cluster": service.cluster_name,
            "service": service.name,
            "serviceArn": service.arn,
            "status": service.status,
            "desiredCount": tasks.applied if tasks.applied is not None else 0,
            "runningCount": running,
            "pendingCount": pending,
            "stoppingCount": stopping,
            "start_failure": controls.start_failure,
            "start_seconds": controls.start_seconds,
            "stop_seconds": controls.stop_seconds,
            "deployment_age_seconds": age,
            "deployments": [
                {
                    key: _iso(d.get(key))
                    for key in (
                        "id",
                        "status",
                        "createdAt",
                        "updatedAt",
                        "desiredCount",
                        "runningCount",
                        "pendingCount",
                        "rolloutState",
                    )
                }
                for d in service.__dict__.get("deployments") or []
            ],
            "events": [
                {
                    "id": e.get("id"),
                    "createdAt": _iso(e.get("createdAt")),
                    "message": e.get("message"),
                }
                for e in service.__dict__.get("events") or []
            ],
        }


class DesiredCount:
    """``Service.desired_count``: stores the value as moto does, timestamping each change."""

    def __get__(self, obj: Any, owner: Any = None) -> Any:
        if obj is None:
            return self
        try:
            return obj.__dict__["desired_count"]
        except KeyError:
            raise AttributeError("desired_count") from None

    def __set__(self, obj: Any, value: Any) -> None:
        with _lock:
            previous = obj.__dict__.get("desired_count", _MISSING)
            obj.__dict__["desired_count"] = value
            if previous is _MISSING or previous != value:
                changes = obj.__dict__.setdefault("_worktime_desired_changes", [])
                changes.append((time.time(), value))


_MISSING = object()


# ---------------------------------------------------------------------------------------------
# the control endpoint
# ---------------------------------------------------------------------------------------------


class ControlError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _number(body: dict[str, Any], key: str) -> None:
    if key not in body:
        return
    value = body[key]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ControlError(400, f"{key} must be a number")
    if value < 0:
        raise ControlError(400, f"{key} must be >= 0")


def validate(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ControlError(400, "the body must be a JSON object")
    unknown = sorted(set(body) - CONTROL_KEYS)
    if unknown:
        raise ControlError(400, f"unknown keys: {', '.join(unknown)}")
    for key in ("cluster", "service"):
        if not isinstance(body.get(key), str) or not body[key]:
            raise ControlError(400, f"{key} is required (a non-empty string)")
    for key in ("account", "region"):
        if key in body and (not isinstance(body[key], str) or not body[key]):
            raise ControlError(400, f"{key} must be a non-empty string")
    if "start_failure" in body and body["start_failure"] is not None:
        if not isinstance(body["start_failure"], str) or not body["start_failure"]:
            raise ControlError(400, "start_failure must be a non-empty string or null")
    for key in ("start_seconds", "stop_seconds", "deployment_age_seconds"):
        _number(body, key)
    return body


def find_service(account: str, region: str, cluster: str, service: str) -> Any:
    from moto.ecs.models import ecs_backends

    per_account = ecs_backends[account]
    if region not in per_account:
        raise ControlError(400, f"unknown region: {region}")
    backend = per_account[region]
    cluster_name = cluster.split("/")[-1]
    if cluster_name not in backend.clusters:
        raise ControlError(404, f"cluster not found: {cluster_name} ({account}, {region})")
    service_name = service.split("/")[-1]
    found = backend.services.get(f"{cluster_name}:{service_name}")
    if found is None:
        raise ControlError(
            404, f"service not found: {cluster_name}/{service_name} ({account}, {region})"
        )
    return found


def handle(method: str, query: str, raw_body: bytes) -> tuple[int, dict[str, Any]]:
    """Serves the control endpoint: (HTTP status, JSON body)."""
    try:
        if method == "GET":
            params = {k: v[-1] for k, v in parse_qs(query, keep_blank_values=True).items()}
            unknown = sorted(set(params) - {"account", "region", "cluster", "service"})
            if unknown:
                raise ControlError(400, f"unknown query parameters: {', '.join(unknown)}")
            body = validate(params)
        elif method == "POST":
            try:
                body = validate(json.loads(raw_body.decode("utf-8") or "null"))
            except (UnicodeDecodeError, json.JSONDecodeError) as error:
                raise ControlError(400, f"the body is not JSON: {error}") from None
        else:
            raise ControlError(405, f"method {method} not allowed (GET, POST)")
        account = body.get("account", DEFAULT_ACCOUNT)
        region = body.get("region", DEFAULT_REGION)
        service = find_service(account, region, body["cluster"], body["service"])
        if "deployment_age_seconds" in body and _primary(service) is None:
            raise ControlError(400, "the service has no PRIMARY deployment to backdate")
        if method == "POST":
            set_controls(service, body)
        return 200, state(service, account, region)
    except ControlError as error:
        return error.status, {"error": error.message}


def _control_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    method = environ.get("REQUEST_METHOD", "GET").upper()
    raw = b""
    if method == "POST":
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        raw = environ["wsgi.input"].read(length) if length > 0 else b""
    status, body = handle(method, environ.get("QUERY_STRING", ""), raw)
    payload = json.dumps(body, indent=2).encode("utf-8")
    reasons = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed"}
    headers = [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))]
    if status == 405:
        headers.append(("Allow", "GET, POST"))
    start_response(f"{status} {reasons.get(status, 'Error')}", headers)
    return [payload]


# ---------------------------------------------------------------------------------------------
# hooks
# ---------------------------------------------------------------------------------------------


def install() -> None:
    from moto.ecs.models import EC2ContainerServiceBackend, Service
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    if getattr(Service, "_worktime_tasks_installed", False):
        return
    Service._worktime_tasks_installed = True  # type: ignore[attr-defined]
    Service.desired_count = DesiredCount()  # type: ignore[assignment]

    original_create = EC2ContainerServiceBackend.create_service
    original_describe = EC2ContainerServiceBackend.describe_services
    original_update = EC2ContainerServiceBackend.update_service
    original_delete = EC2ContainerServiceBackend.delete_service

    def create_service(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        service = original_create(self, *args, **kwargs)
        refresh(service)
        return service

    def describe_services(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        services, failures = original_describe(self, *args, **kwargs)
        now = time.time()
        for service in services:
            refresh(service, now)
        return services, failures

    def update_service(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        service = original_update(self, *args, **kwargs)
        refresh(service)
        return service

    def delete_service(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        service = original_delete(self, *args, **kwargs)
        refresh(service)
        return service

    describe_services.__doc__ = __doc__
    EC2ContainerServiceBackend.create_service = create_service
    EC2ContainerServiceBackend.describe_services = describe_services
    EC2ContainerServiceBackend.update_service = update_service
    EC2ContainerServiceBackend.delete_service = delete_service

    original_call = DomainDispatcherApplication.__call__

    def __call__(self, environ, start_response):  # type: ignore[no-untyped-def]
        path = environ.get("PATH_INFO", "")
        if path.rstrip("/") == CONTROL_PATH:
            return _control_app(environ, start_response)
        return original_call(self, environ, start_response)

    DomainDispatcherApplication.__call__ = __call__
