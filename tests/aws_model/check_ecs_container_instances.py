"""Self-contained check of ``worktime_moto.ecs_container_instances`` against a live server:

    .venv/bin/python tests/aws_model/check_ecs_container_instances.py

An Auto Scaling group whose user data names ``ECS_CLUSTER=prod`` grows, shrinks and grows
again; its instances register with (and deregister from) ``prod`` as ACTIVE container
instances, after the group's ``worktime-model:register-seconds`` delay.
"""

from __future__ import annotations

import sys
import time

import boto3
from check_ecs_tasks import Server, against_live_server, check

REGION = "us-east-1"


def run(server: Server) -> None:
    session = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
    )
    ecs = session.client("ecs", endpoint_url=server.endpoint)
    groups = session.client("autoscaling", endpoint_url=server.endpoint)
    ecs.create_cluster(clusterName="prod")
    ecs.create_cluster(clusterName="default")

    def active(cluster: str = "prod") -> int:
        return len(
            ecs.list_container_instances(cluster=cluster, status="ACTIVE")["containerInstanceArns"]
        )

    user_data = "#!/bin/bash\necho ECS_CLUSTER=prod >> /etc/ecs/ecs.config\n"
    groups.create_launch_configuration(
        LaunchConfigurationName="prod-lc",
        ImageId="ami-12c6146b",
        InstanceType="t3.micro",
        # boto3 base64-encodes UserData itself, as the API expects.
        UserData=user_data,
    )
    groups.create_auto_scaling_group(
        AutoScalingGroupName="prod-asg",
        LaunchConfigurationName="prod-lc",
        MinSize=0,
        MaxSize=3,
        DesiredCapacity=2,
        AvailabilityZones=[f"{REGION}a"],
    )
    check(
        active() == 2,
        "a new group's instances register with the cluster ECS_CLUSTER names",
        active(),
    )
    check(active("default") == 0, "and not with the default cluster")
    instance_ids = {
        i["InstanceId"]
        for i in groups.describe_auto_scaling_groups(AutoScalingGroupNames=["prod-asg"])[
            "AutoScalingGroups"
        ][0]["Instances"]
    }
    arns = ecs.list_container_instances(cluster="prod")["containerInstanceArns"]
    described = ecs.describe_container_instances(cluster="prod", containerInstances=arns)
    check(
        {ci["ec2InstanceId"] for ci in described["containerInstances"]} == instance_ids,
        "each container instance is one of the group's EC2 instances",
    )

    groups.update_auto_scaling_group(
        AutoScalingGroupName="prod-asg", MinSize=0, MaxSize=0, DesiredCapacity=0
    )
    check(active() == 0, "a group at 0/0/0 leaves no container instance", active())

    groups.create_or_update_tags(
        Tags=[
            {
                "ResourceId": "prod-asg",
                "ResourceType": "auto-scaling-group",
                "Key": "worktime-model:register-seconds",
                "Value": "1.5",
                "PropagateAtLaunch": False,
            }
        ]
    )
    groups.update_auto_scaling_group(
        AutoScalingGroupName="prod-asg", MinSize=1, MaxSize=3, DesiredCapacity=2
    )
    check(active() == 0, "restored instances have not registered before their delay", active())
    time.sleep(1.7)
    check(active() == 2, "and have once it has passed", active())

    groups.set_desired_capacity(AutoScalingGroupName="prod-asg", DesiredCapacity=1)
    check(active() == 1, "SetDesiredCapacity down: the terminated instance deregisters", active())

    # Without ECS_CLUSTER, an instance checks into the default cluster.
    groups.create_launch_configuration(
        LaunchConfigurationName="plain-lc", ImageId="ami-12c6146b", InstanceType="t3.micro"
    )
    groups.create_auto_scaling_group(
        AutoScalingGroupName="plain-asg",
        LaunchConfigurationName="plain-lc",
        MinSize=0,
        MaxSize=1,
        DesiredCapacity=1,
        AvailabilityZones=[f"{REGION}a"],
    )
    check(active("default") == 1, "without ECS_CLUSTER the instance joins the default cluster")
    groups.delete_auto_scaling_group(AutoScalingGroupName="plain-asg", ForceDelete=True)
    check(active("default") == 0, "a deleted group's instances deregister", active("default"))


def main() -> int:
    return against_live_server("check_ecs_container_instances", run)


if __name__ == "__main__":
    sys.exit(main())
