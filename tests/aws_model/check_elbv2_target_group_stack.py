"""Self-contained check of ``worktime_moto.elbv2_target_group_stack`` against a live server:

    .venv/bin/python tests/aws_model/check_elbv2_target_group_stack.py

A stack makes a target group; a rule of an existing load balancer forwards to it; deleting
the stack ends ``DELETE_FAILED`` naming the group, which stays; once the rule forwards
elsewhere, deleting it again removes the group (nothing left behind, as on AWS).
"""

from __future__ import annotations

import json
import sys

import boto3
from check_ecs_tasks import Server, against_live_server, check

REGION = "us-east-1"
TEMPLATE = json.dumps(
    {
        "Resources": {
            "WakeGroup": {
                "Type": "AWS::ElasticLoadBalancingV2::TargetGroup",
                "Properties": {"Name": "st-wake-0", "TargetType": "lambda"},
            }
        }
    }
)


def run(server: Server) -> None:
    session = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
    )
    ec2 = session.client("ec2", endpoint_url=server.endpoint)
    elb = session.client("elbv2", endpoint_url=server.endpoint)
    cfn = session.client("cloudformation", endpoint_url=server.endpoint)

    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"{REGION}{z}")[
            "Subnet"
        ]["SubnetId"]
        for i, z in enumerate("ab")
    ]
    lb = elb.create_load_balancer(Name="web", Subnets=subnets, Type="application")[
        "LoadBalancers"
    ][0]["LoadBalancerArn"]
    app = elb.create_target_group(
        Name="app", Protocol="HTTP", Port=80, VpcId=vpc, TargetType="ip"
    )["TargetGroups"][0]["TargetGroupArn"]
    listener = elb.create_listener(
        LoadBalancerArn=lb,
        Protocol="HTTP",
        Port=80,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": app}],
    )["Listeners"][0]["ListenerArn"]

    cfn.create_stack(StackName="st", TemplateBody=TEMPLATE)
    wake = elb.describe_target_groups(Names=["st-wake-0"])["TargetGroups"][0]["TargetGroupArn"]
    rule = elb.create_rule(
        ListenerArn=listener,
        Priority=1,
        Conditions=[{"Field": "path-pattern", "Values": ["/*"]}],
        Actions=[
            {
                "Type": "forward",
                "ForwardConfig": {
                    "TargetGroups": [
                        {"TargetGroupArn": app, "Weight": 0},
                        {"TargetGroupArn": wake, "Weight": 1},
                    ]
                },
            }
        ],
    )["Rules"][0]["RuleArn"]

    cfn.delete_stack(StackName="st")
    stack = cfn.describe_stacks(StackName="st")["Stacks"][0]
    check(
        stack["StackStatus"] == "DELETE_FAILED", "a rule forwarding to it fails the delete", stack
    )
    events = cfn.describe_stack_events(StackName="st")["StackEvents"]
    failed = [e for e in events if e.get("LogicalResourceId") == "WakeGroup"]
    check(
        bool(failed)
        and failed[0]["ResourceStatus"] == "DELETE_FAILED"
        and "is currently in use by a listener or a rule" in failed[0]["ResourceStatusReason"]
        and wake in failed[0]["ResourceStatusReason"],
        "the group's DELETE_FAILED event names it, in the handler's form",
        failed,
    )
    check(
        "[WakeGroup]" in stack.get("StackStatusReason", ""),
        "the stack's reason names the resource",
        stack.get("StackStatusReason"),
    )
    names = [g["TargetGroupName"] for g in elb.describe_target_groups()["TargetGroups"]]
    check("st-wake-0" in names, "the group in use stays", names)

    # The listener's default action counts too.
    elb.modify_rule(RuleArn=rule, Actions=[{"Type": "forward", "TargetGroupArn": app}])
    elb.modify_listener(
        ListenerArn=listener, DefaultActions=[{"Type": "forward", "TargetGroupArn": wake}]
    )
    cfn.delete_stack(StackName="st")
    stack = cfn.describe_stacks(StackName="st")["Stacks"][0]
    check(stack["StackStatus"] == "DELETE_FAILED", "a default action forwarding to it too", stack)

    elb.modify_listener(
        ListenerArn=listener, DefaultActions=[{"Type": "forward", "TargetGroupArn": app}]
    )
    cfn.delete_stack(StackName="st")
    live = [s for s in cfn.list_stacks()["StackSummaries"] if s["StackName"] == "st"]
    check(
        all(s["StackStatus"] == "DELETE_COMPLETE" for s in live),
        "unreferenced, the stack's delete completes",
        live,
    )
    names = [g["TargetGroupName"] for g in elb.describe_target_groups()["TargetGroups"]]
    check("st-wake-0" not in names and "app" in names, "and the group is gone", names)


def main() -> int:
    return against_live_server("check_elbv2_target_group_stack", run)


if __name__ == "__main__":
    sys.exit(main())
