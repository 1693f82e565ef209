"""The demo's window on ECS (local endpoint only):

    demo_ecs.py show                 each demo service: scalable target bounds, desired count
    demo_ecs.py set-desired api 3    what a deploy or a person does at night (UpdateService)
"""
import os
import sys

import boto3

region = os.environ.get("AWS_REGION", "ap-northeast-2")
endpoint = os.environ["AWS_ENDPOINT_URL"]
assert endpoint.startswith("http://127.0.0.1:"), "the demo only talks to a local endpoint"
ecs = boto3.client("ecs", region_name=region, endpoint_url=endpoint)
aas = boto3.client("application-autoscaling", region_name=region, endpoint_url=endpoint)
SERVICES = ["api", "web", "worker"]


def show() -> None:
    targets = {
        t["ResourceId"]: (t["MinCapacity"], t["MaxCapacity"])
        for t in aas.describe_scalable_targets(ServiceNamespace="ecs")["ScalableTargets"]
    }
    described = ecs.describe_services(cluster="demo", services=SERVICES, include=["TAGS"])
    print(f"{'service':<22} {'bounds':<8} {'desired':>7}  remembered")
    for s in described["services"]:
        rid = f"service/demo/{s['serviceName']}"
        bounds = targets.get(rid)
        tags = {t["key"]: t["value"] for t in s.get("tags", [])}
        print(
            f"{rid:<22} {'%d/%d' % bounds if bounds else '-':<8} {s['desiredCount']:>7}  "
            f"{tags.get('worktime:capacity', '-')}"
        )


if sys.argv[1:2] == ["show"]:
    show()
elif sys.argv[1:2] == ["set-desired"] and len(sys.argv) == 4:
    ecs.update_service(cluster="demo", service=sys.argv[2], desiredCount=int(sys.argv[3]))
    print(f"demo: service/demo/{sys.argv[2]} desired count set to {sys.argv[3]}")
else:
    sys.exit(__doc__)
