"""The demo's window on ECS (local endpoint only):

    demo_ecs.py show                 each demo service: bounds, desired and running count
    demo_ecs.py set-desired api 3    what a deploy or a person does at night (UpdateService)
    demo_ecs.py cannot-start worker  its new tasks cannot be placed (the AWS model's control)
    demo_ecs.py routes               where the load balancer's rule sends /web/*
    demo_ecs.py schedule CONFIG OUT HOURS_SINCE_SCALE_OUT HOURS_SINCE_SCALE_IN
                                     CONFIG with daily Seoul crons placed around now
"""
import json
import os
import platform
import re
import sys
import urllib.request
from datetime import datetime, timedelta, timezone

import boto3

region = os.environ.get("AWS_REGION", "ap-northeast-2")
endpoint = os.environ["AWS_ENDPOINT_URL"]
assert endpoint.startswith("http://127.0.0.1:"), "the demo only talks to a local endpoint"
ecs = boto3.client("ecs", region_name=region, endpoint_url=endpoint)
aas = boto3.client("application-autoscaling", region_name=region, endpoint_url=endpoint)
elb = boto3.client("elbv2", region_name=region, endpoint_url=endpoint)
SERVICES = ["api", "web", "worker"]


def show() -> None:
    targets = {
        t["ResourceId"]: (t["MinCapacity"], t["MaxCapacity"])
        for t in aas.describe_scalable_targets(ServiceNamespace="ecs")["ScalableTargets"]
    }
    described = ecs.describe_services(cluster="demo", services=SERVICES, include=["TAGS"])
    print(f"{'service':<22} {'bounds':<8} {'desired':>7} {'running':>7}  remembered")
    for s in described["services"]:
        rid = f"service/demo/{s['serviceName']}"
        bounds = targets.get(rid)
        tags = {t["key"]: t["value"] for t in s.get("tags", [])}
        print(
            f"{rid:<22} {f'{bounds[0]}/{bounds[1]}' if bounds else '-':<8} {s['desiredCount']:>7} "
            f"{s['runningCount']:>7}  "
            f"{tags.get('worktime:capacity', '-')}"
            + (
                f", held up until {tags['worktime:hold-until']}"
                if "worktime:hold-until" in tags
                else ""
            )
        )


def routes() -> None:
    """The demo load balancer's rules: each forward's target groups and weights."""
    balancer = elb.describe_load_balancers(Names=["demo"])["LoadBalancers"][0]
    listeners = elb.describe_listeners(LoadBalancerArn=balancer["LoadBalancerArn"])
    for listener in listeners["Listeners"]:
        for rule in elb.describe_rules(ListenerArn=listener["ListenerArn"])["Rules"]:
            if rule["IsDefault"]:
                continue
            paths = ",".join(v for c in rule["Conditions"] for v in c.get("Values", []))
            for action in rule["Actions"]:
                if action["Type"] != "forward":
                    continue
                groups = action.get("ForwardConfig", {}).get("TargetGroups") or [
                    {"TargetGroupArn": action["TargetGroupArn"]}
                ]
                to = ", ".join(
                    g["TargetGroupArn"].split(":targetgroup/")[1].split("/")[0]
                    + (f" (weight {g['Weight']})" if "Weight" in g else "")
                    for g in groups
                )
                print(f"rule {paths} -> {to}")


def cannot_start(service: str) -> None:
    """The AWS model (tests/aws_model/worktime_moto/ecs_tasks.py): new tasks are never placed,
    and ECS says why in the service's events."""
    reason = (
        f"(service {service}) was unable to place a task because no container instance met all "
        "of its requirements. Reason: No Container Instances were found in your cluster."
    )
    body = json.dumps(
        {"region": region, "cluster": "demo", "service": service, "start_failure": reason}
    ).encode()
    request = urllib.request.Request(
        f"{endpoint}/worktime-model/ecs/service",
        data=body,
        headers={"Content-Type": "application/json"},
    )
    urllib.request.urlopen(request).read()
    print(f"demo: service/demo/{service}'s new tasks cannot be placed from now on")


def schedule(config: str, out: str, since_out: float, since_in: float) -> None:
    """CONFIG with its scale-out and scale-in as daily Seoul (UTC+9) crons that last fired
    `since_out` and `since_in` hours ago: a demo has no night to wait through. Each named
    schedule keeps its hours' distance from [schedule]'s (the late one's are 2 hours later)."""
    now = datetime.now(timezone.utc)

    def daily(hours_ago: float) -> str:
        local = now - timedelta(hours=hours_ago) + timedelta(hours=9)
        return f"cron({local.minute} {local.hour} ? * * *)"

    def hour(cron: str) -> int:
        return int(cron.split()[1])

    text = open(config).read()
    sections = re.split(r"(?m)^(?=\[)", text)
    base = next(s for s in sections if s.startswith("[schedule]"))
    base_out = hour(re.search(r'(?m)^scale_out = "(.*)"$', base).group(1))
    base_in = hour(re.search(r'(?m)^scale_in = "(.*)"$', base).group(1))
    placed = []
    for section in sections:
        found_out = re.search(r'(?m)^scale_out = "(.*)"$', section)
        found_in = re.search(r'(?m)^scale_in = "(.*)"$', section)
        if found_out and found_in:
            later_out = hour(found_out.group(1)) - base_out
            later_in = hour(found_in.group(1)) - base_in
            section = section.replace(
                found_out.group(0), f'scale_out = "{daily(since_out - later_out)}"'
            ).replace(found_in.group(0), f'scale_in = "{daily(since_in - later_in)}"')
        placed.append(section)
    text = "".join(placed)
    # The demo deploys the function it runs (this machine's build), so the stack's
    # architecture is this machine's.
    architecture = "arm64" if platform.machine() in ("aarch64", "arm64") else "x86_64"
    text += f'\n[function]\narchitecture = "{architecture}"\n'
    open(out, "w").write(text)


if sys.argv[1:2] == ["show"]:
    show()
elif sys.argv[1:2] == ["routes"]:
    routes()
elif sys.argv[1:2] == ["set-desired"] and len(sys.argv) == 4:
    ecs.update_service(cluster="demo", service=sys.argv[2], desiredCount=int(sys.argv[3]))
    print(f"demo: service/demo/{sys.argv[2]} desired count set to {sys.argv[3]}")
elif sys.argv[1:2] == ["cannot-start"] and len(sys.argv) == 3:
    cannot_start(sys.argv[2])
elif sys.argv[1:2] == ["schedule"] and len(sys.argv) == 6:
    schedule(sys.argv[2], sys.argv[3], float(sys.argv[4]), float(sys.argv[5]))
else:
    sys.exit(__doc__)
