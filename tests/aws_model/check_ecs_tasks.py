"""Self-contained check of ``worktime_moto.ecs_tasks`` against a live server:

    .venv/bin/python tests/aws_model/check_ecs_tasks.py

Starts the worktime moto server on a free 127.0.0.1 port, drives ECS, Application Auto
Scaling and the ``/worktime-model/ecs/service`` control endpoint with boto3, stops the server,
and exits non-zero on the first failed check (printing the server's log).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3

HERE = Path(__file__).resolve().parent
REGION = "us-east-1"
FAILURE = (
    "(service api) was unable to place a task because no container instance met all of its "
    "requirements. Reason: No Container Instances were found in your cluster."
)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self) -> None:
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.log = tempfile.TemporaryFile()
        env = dict(os.environ, PYTHONPATH=str(HERE))
        self.process = subprocess.Popen(
            [sys.executable, "-m", "worktime_moto", "-H", "127.0.0.1", "-p", str(self.port)],
            cwd=HERE,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.time() + 30
        while True:
            try:
                urllib.request.urlopen(f"{self.endpoint}/moto-api/", timeout=1).read()
                return
            except OSError:
                if self.process.poll() is not None or time.time() > deadline:
                    self.stop()
                    raise RuntimeError("the server did not start:\n" + self.output()) from None
                time.sleep(0.2)

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read().decode("utf-8", "replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def control(server: Server, method: str, body: Any = None, query: str = "") -> tuple[int, Any]:
    url = f"{server.endpoint}/worktime-model/ecs/service" + (f"?{query}" if query else "")
    data = None
    if body is not None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def check(condition: bool, what: str, detail: Any = None) -> None:
    if not condition:
        raise AssertionError(f"{what}" + (f": {detail}" if detail is not None else ""))
    print(f"ok: {what}")


def run(server: Server) -> None:
    session = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
    )
    ecs = session.client("ecs", endpoint_url=server.endpoint)
    aas = session.client("application-autoscaling", endpoint_url=server.endpoint)

    def describe(cluster: str = "c", service: str = "api") -> dict[str, Any]:
        return ecs.describe_services(cluster=cluster, services=[service])["services"][0]

    def counts(s: dict[str, Any]) -> tuple[int, int, int]:
        return s["desiredCount"], s["runningCount"], s["pendingCount"]

    ecs.create_cluster(clusterName="c")
    ecs.register_task_definition(
        family="api",
        containerDefinitions=[{"name": "api", "image": "nginx", "memory": 128}],
    )
    created = ecs.create_service(
        cluster="c", serviceName="api", taskDefinition="api", desiredCount=2
    )["service"]
    check(counts(created) == (2, 2, 0), "CreateService answers running 2 of 2", counts(created))
    s = describe()
    check(counts(s) == (2, 2, 0), "DescribeServices after create: running 2, pending 0", counts(s))
    d = s["deployments"][0]
    check(
        (d["status"], d["desiredCount"], d["runningCount"], d["pendingCount"], d["rolloutState"])
        == ("PRIMARY", 2, 2, 0, "COMPLETED"),
        "PRIMARY deployment counts follow, rollout COMPLETED",
        d,
    )
    check(
        [e["message"] for e in s["events"]] == ["(service api) has reached a steady state."],
        "steady-state event after create",
        s["events"],
    )

    status, st = control(server, "GET", query="cluster=c&service=api")
    check(status == 200 and st["runningCount"] == 2 and st["start_failure"] is None,
          "GET control answers the state", (status, st))

    # start failure: tasks never start, an event with exactly the message
    status, st = control(
        server, "POST", {"cluster": "c", "service": "api", "start_failure": FAILURE}
    )
    check(status == 200 and st["start_failure"] == FAILURE, "POST start_failure", (status, st))
    updated = ecs.update_service(cluster="c", service="api", desiredCount=3)["service"]
    check(counts(updated) == (3, 2, 1), "UpdateService answers running 2, pending 1",
          counts(updated))
    time.sleep(0.3)
    s = describe()
    check(counts(s) == (3, 2, 1), "start failure: running stays 2, pending 1", counts(s))
    check(s["events"][0]["message"] == FAILURE, "events[0] is the failure", s["events"][0])
    check({"id", "createdAt", "message"} <= set(s["events"][0]), "event has id, createdAt, message")
    check(
        s["events"][0]["createdAt"] >= s["events"][1]["createdAt"],
        "events newest first",
        [e["createdAt"] for e in s["events"]],
    )
    d = s["deployments"][0]
    check((d["desiredCount"], d["runningCount"], d["pendingCount"]) == (3, 2, 1),
          "deployment counts under failure", d)
    ecs.update_service(cluster="c", service="api", desiredCount=4)
    s = describe()
    check(counts(s) == (4, 2, 2), "still failing at desired 4: pending 2", counts(s))
    messages = [e["message"] for e in s["events"]]
    check(messages.count(FAILURE) == 1, "a repeated failure message is omitted", messages)

    # stop delay: running stays above desired, then follows
    status, _ = control(server, "POST", {"cluster": "c", "service": "api", "stop_seconds": 2})
    check(status == 200, "POST stop_seconds 2")
    ecs.update_service(cluster="c", service="api", desiredCount=0)
    s = describe()
    check(counts(s) == (0, 2, 0), "desired 0: running still 2 (draining), pending task gone",
          counts(s))
    time.sleep(2.5)
    s = describe()
    check(counts(s) == (0, 0, 0), "after 2.5 s: running 0", counts(s))
    check(s["events"][0]["message"] == "(service api) has reached a steady state.",
          "steady-state event after the stop", s["events"][0])

    # deployment age
    status, st = control(server, "POST",
                         {"cluster": "c", "service": "api", "deployment_age_seconds": 1200})
    check(status == 200 and abs(st["deployment_age_seconds"] - 1200) < 1,
          "POST deployment_age_seconds", st)
    s = describe()
    now = dt.datetime.now(dt.timezone.utc)
    for key in ("updatedAt", "createdAt"):
        age = (now - s["deployments"][0][key]).total_seconds()
        check(1195 <= age <= 1210, f"deployments[0].{key} is ~20 minutes ago", age)

    # clearing the failure lets pending tasks start, after start_seconds
    control(server, "POST", {"cluster": "c", "service": "api", "start_seconds": 1})
    ecs.update_service(cluster="c", service="api", desiredCount=2)
    s = describe()
    check(counts(s) == (2, 0, 2), "still failing: pending 2", counts(s))
    messages = [e["message"] for e in s["events"]]
    check(messages[0] == FAILURE and messages.count(FAILURE) == 2,
          "after a steady state the failure is reported again", messages)
    age = (dt.datetime.now(dt.timezone.utc) - s["deployments"][0]["updatedAt"]).total_seconds()
    check(age < 5, "a desired-count change updates the deployment's updatedAt", age)
    status, st = control(server, "POST", {"cluster": "c", "service": "api", "start_failure": None})
    check(status == 200 and st["start_failure"] is None and st["pendingCount"] == 2,
          "failure cleared: tasks pending for start_seconds", st)
    time.sleep(1.3)
    s = describe()
    check(counts(s) == (2, 2, 0), "after start_seconds: running 2", counts(s))

    # start delay on a rise
    ecs.update_service(cluster="c", service="api", desiredCount=3)
    s = describe()
    check(counts(s) == (3, 2, 1), "start_seconds 1: the new task is pending", counts(s))
    check(s["deployments"][0]["rolloutState"] == "COMPLETED", "scaling does not reopen the rollout")
    time.sleep(1.3)
    check(counts(describe()) == (3, 3, 0), "after 1.3 s: running 3")

    # Application Auto Scaling moves desired to 0 (autoscaling.py), running follows
    control(server, "POST", {"cluster": "c", "service": "api", "stop_seconds": 1})
    aas.register_scalable_target(
        ServiceNamespace="ecs",
        ResourceId="service/c/api",
        ScalableDimension="ecs:service:DesiredCount",
        MinCapacity=0,
        MaxCapacity=0,
    )
    s = describe()
    check(counts(s) == (0, 3, 0), "RegisterScalableTarget 0/0: desired 0, running draining",
          counts(s))
    time.sleep(1.3)
    check(counts(describe()) == (0, 0, 0), "after stop_seconds: running 0")

    # defaults: a service without controls follows at once, UpdateService and ASG alike
    ecs.create_cluster(clusterName="plain")
    ecs.create_service(cluster="plain", serviceName="web", desiredCount=1)
    check(counts(describe("plain", "web")) == (1, 1, 0), "plain service: running 1 of 1")
    updated = ecs.update_service(cluster="plain", service="web", desiredCount=4)["service"]
    check(counts(updated) == (4, 4, 0), "plain service: UpdateService to 4, running 4")
    aas.register_scalable_target(
        ServiceNamespace="ecs", ResourceId="service/plain/web",
        ScalableDimension="ecs:service:DesiredCount", MinCapacity=0, MaxCapacity=2,
    )
    check(counts(describe("plain", "web")) == (2, 2, 0), "plain service: clamped to 2, running 2")
    s = ecs.describe_services(cluster="plain", services=["web", "nope"])
    check(len(s["services"]) == 1 and s["failures"][0]["reason"] == "MISSING",
          "DescribeServices still reports missing services")

    # the endpoint's errors
    status, body = control(server, "POST", {"cluster": "c", "service": "nope"})
    check(status == 404 and "error" in body, "unknown service: 404", (status, body))
    status, body = control(server, "POST", {"cluster": "nope", "service": "api"})
    check(status == 404 and "error" in body, "unknown cluster: 404", (status, body))
    status, body = control(server, "POST", {"cluster": "c", "service": "api"}, query="")
    check(status == 200, "POST with only cluster/service: 200 (state)", status)
    status, body = control(server, "POST", b"{not json")
    check(status == 400 and "error" in body, "malformed JSON: 400", (status, body))
    status, body = control(server, "POST", [1, 2])
    check(status == 400, "non-object body: 400", (status, body))
    status, body = control(server, "POST", {"cluster": "c", "service": "api", "start_secs": 1})
    check(status == 400 and "start_secs" in body["error"], "unknown key: 400", (status, body))
    status, body = control(server, "POST", {"cluster": "c", "service": "api", "stop_seconds": -1})
    check(status == 400, "negative seconds: 400", (status, body))
    status, body = control(server, "POST", {"cluster": "c", "service": "api", "start_failure": 3})
    check(status == 400, "non-string start_failure: 400", (status, body))
    status, body = control(server, "POST", {"service": "api"})
    check(status == 400, "missing cluster: 400", (status, body))
    status, body = control(server, "GET", query="cluster=c")
    check(status == 400, "GET without service: 400", (status, body))
    status, body = control(server, "GET", query="cluster=c&service=api&region=xx-nowhere-1")
    check(status == 400, "unknown region: 400", (status, body))
    status, body = control(server, "GET",
                           query="cluster=c&service=api&account=111122223333")
    check(status == 404, "other account: 404", (status, body))
    ecs.create_service(cluster="plain", serviceName="ext", desiredCount=1,
                       deploymentController={"type": "EXTERNAL"})
    status, body = control(server, "POST",
                           {"cluster": "plain", "service": "ext", "deployment_age_seconds": 5})
    check(status == 400, "deployment_age_seconds without a PRIMARY deployment: 400", (status, body))
    status, body = control(server, "PUT", {"cluster": "c", "service": "api"})
    check(status == 405, "PUT: 405", (status, body))

    # other regions are separate; a reset clears the controls
    ecs_west = session.client("ecs", endpoint_url=server.endpoint, region_name="eu-west-1")
    ecs_west.create_cluster(clusterName="c")
    ecs_west.create_service(cluster="c", serviceName="api", desiredCount=1)
    status, st = control(server, "GET", query="cluster=c&service=api&region=eu-west-1")
    check(status == 200 and st["start_failure"] is None and st["stop_seconds"] == 0,
          "eu-west-1's service has its own controls", st)
    urllib.request.urlopen(
        urllib.request.Request(f"{server.endpoint}/moto-api/reset", data=b"", method="POST")
    ).read()
    ecs.create_cluster(clusterName="c")
    ecs.create_service(cluster="c", serviceName="api", desiredCount=1)
    status, st = control(server, "GET", query="cluster=c&service=api")
    check(status == 200 and st["stop_seconds"] == 0 and st["start_seconds"] == 0,
          "moto reset clears the controls", st)
    check(counts(describe()) == (1, 1, 0), "after reset: running 1 of 1")


def against_live_server(name: str, checks: Callable[[Server], None]) -> int:
    """Runs ``checks`` against a fresh server: 0 when they pass; otherwise the failure and
    the server's log on stderr, and 1. Shared by every checker of the model."""
    server = Server()
    try:
        checks(server)
    except Exception as error:  # noqa: BLE001 - reported, then a non-zero exit
        print(f"FAILED: {type(error).__name__}: {error}", file=sys.stderr)
        server.stop()
        print("--- server log ---\n" + server.output()[-5000:], file=sys.stderr)
        return 1
    finally:
        server.stop()
    print(f"{name}: all checks passed")
    return 0


def main() -> int:
    return against_live_server("check_ecs_tasks", run)


if __name__ == "__main__":
    sys.exit(main())
