"""Creates the demo's ECS cluster and services in the local endpoint (AWS_ENDPOINT_URL), as a
team would already have them: a cluster with three services, a scalable target on the worker
that was set up by hand (2/6), and web behind an Application Load Balancer (a listener whose
rule forwards /web/* to web's target group)."""

import os

import boto3

region = os.environ.get("AWS_REGION", "ap-northeast-2")
endpoint = os.environ["AWS_ENDPOINT_URL"]
assert endpoint.startswith("http://127.0.0.1:"), "the demo only talks to a local endpoint"

ecs = boto3.client("ecs", region_name=region, endpoint_url=endpoint)
aas = boto3.client("application-autoscaling", region_name=region, endpoint_url=endpoint)
ec2 = boto3.client("ec2", region_name=region, endpoint_url=endpoint)
elb = boto3.client("elbv2", region_name=region, endpoint_url=endpoint)

subnets = [
    s["SubnetId"]
    for s in ec2.describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}])[
        "Subnets"
    ]
][:2]
balancer = elb.create_load_balancer(Name="demo", Subnets=subnets, Type="application")[
    "LoadBalancers"
][0]
web_group = elb.create_target_group(
    Name="demo-web",
    Protocol="HTTP",
    Port=80,
    VpcId=balancer["VpcId"],
    TargetType="ip",
    # The AWS model (tests/aws_model/worktime_moto/elbv2_ecs_targets.py): a started task
    # passes its initial health checks after 4 s, so a visitor sees the starting page first.
    Tags=[{"Key": "worktime-model:healthy-after-seconds", "Value": "4"}],
)["TargetGroups"][0]["TargetGroupArn"]
listener = elb.create_listener(
    LoadBalancerArn=balancer["LoadBalancerArn"],
    Protocol="HTTP",
    Port=80,
    DefaultActions=[{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404"}}],
)["Listeners"][0]["ListenerArn"]
elb.create_rule(
    ListenerArn=listener,
    Priority=10,
    Conditions=[{"Field": "path-pattern", "Values": ["/web/*"]}],
    Actions=[{"Type": "forward", "TargetGroupArn": web_group}],
)

ecs.create_cluster(clusterName="demo")
for name, desired in [("api", 2), ("web", 3), ("worker", 4)]:
    balanced = (
        {
            "loadBalancers": [
                {"targetGroupArn": web_group, "containerName": name, "containerPort": 80}
            ]
        }
        if name == "web"
        else {}
    )
    ecs.create_service(cluster="demo", serviceName=name, desiredCount=desired, **balanced)
aas.register_scalable_target(
    ServiceNamespace="ecs",
    ResourceId="service/demo/worker",
    ScalableDimension="ecs:service:DesiredCount",
    MinCapacity=2,
    MaxCapacity=6,
)
print(
    "demo: created cluster 'demo' with services api (2), web (3), worker (4, scalable 2/6); "
    "load balancer 'demo' forwards /web/* to web's target group demo-web"
)
