"""Creates the demo's ECS cluster and services in the local endpoint (AWS_ENDPOINT_URL), as a
team would already have them: a cluster with a capacity provider strategy, three services,
and a scalable target on the worker that was set up by hand (2/6)."""
import os

import boto3

region = os.environ.get("AWS_REGION", "ap-northeast-2")
endpoint = os.environ["AWS_ENDPOINT_URL"]
assert endpoint.startswith("http://127.0.0.1:"), "the demo only talks to a local endpoint"

ecs = boto3.client("ecs", region_name=region, endpoint_url=endpoint)
aas = boto3.client("application-autoscaling", region_name=region, endpoint_url=endpoint)

ecs.create_cluster(clusterName="demo")
for name, desired in [("api", 2), ("web", 3), ("worker", 4)]:
    ecs.create_service(cluster="demo", serviceName=name, desiredCount=desired)
aas.register_scalable_target(
    ServiceNamespace="ecs",
    ResourceId="service/demo/worker",
    ScalableDimension="ecs:service:DesiredCount",
    MinCapacity=2,
    MaxCapacity=6,
)
print("demo: created cluster 'demo' with services api (2), web (3), worker (4, scalable 2/6)")
