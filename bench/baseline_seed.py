'''
Baseline for `make bench`: the original recipe's Lambda function (the Korean blog post in
/work/shared/seed/000_631bef89e19e1c15.txt), as a runnable copy.

Faithful to the recipe:
  - one boto3 `application-autoscaling` client, created at import (a Lambda cold start does
    exactly this);
  - configuration from the same three environment variables:
        SCALABLE_DIMENSION = 'ecs:service:DesiredCount'
        SERVICE_NAMESPACE  = 'ecs'
        ROLEARN            = 'arn:aws:iam::<account>:role/aws-service-role/...'
  - reads the current MinCapacity with describe_scalable_targets, then toggles with
    register_scalable_target: MinCapacity 0 -> 1/3 (scale out), anything else -> 0/0
    (scale in); prints each response.

Extended (the recipe handles ONE service): the handler loops over N resource ids the same
naive way, one DescribeScalableTargets + one RegisterScalableTarget per service, in order,
one request at a time. Nothing is batched or concurrent, as a team copying the recipe for
N services would write it. The resource ids are `service/<cluster>/svc-0001` ...
`svc-NNNN`, the same services the benchmark's worktime.toml lists.

Usage:  python bench/baseline_seed.py --cluster CLUSTER --services N
        (endpoint, region and credentials come from the standard AWS environment variables,
        e.g. AWS_ENDPOINT_URL=http://127.0.0.1:PORT for the local moto server)
'''
import argparse
import os

import boto3

client = boto3.client('application-autoscaling')

MILEAGE_RESOURCE_IDS = []  # set in main(): one resource id per service
RESOURCE_IDS = []


def resource_ids(cluster, count):
    return [f'service/{cluster}/svc-{i:04d}' for i in range(1, count + 1)]


# The recipe's functions, with the resource id as a parameter instead of a module constant.
def mileage_get_current_min_scalable_target(resource_id):
    response = client.describe_scalable_targets(
        ServiceNamespace = os.environ['SERVICE_NAMESPACE'],
        ResourceIds = [resource_id],
        ScalableDimension = os.environ['SCALABLE_DIMENSION']
    )
    return response["ScalableTargets"][0]["MinCapacity"]


def mileage_start_scalable_target(resource_id):
    MinCapacity = mileage_get_current_min_scalable_target(resource_id)
    if MinCapacity == 0:
        return True
    else:
        return False


def lambda_handler(event, context):
    for resource_id in RESOURCE_IDS:
        if mileage_start_scalable_target(resource_id):
            response = client.register_scalable_target(
                ServiceNamespace = os.environ['SERVICE_NAMESPACE'],
                ResourceId = resource_id,
                ScalableDimension = os.environ['SCALABLE_DIMENSION'],
                RoleARN = os.environ['ROLEARN'],
                MinCapacity = 1,
                MaxCapacity = 3,
            )
            print(response)
        else:
            response = client.register_scalable_target(
                ServiceNamespace = os.environ['SERVICE_NAMESPACE'],
                ResourceId = resource_id,
                ScalableDimension = os.environ['SCALABLE_DIMENSION'],
                RoleARN = os.environ['ROLEARN'],
                MaxCapacity = 0,
                MinCapacity = 0,
            )
            print(response)


def main():
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument('--cluster', default=os.environ.get('BENCH_CLUSTER', 'worktime-bench'))
    parser.add_argument('--services', type=int, default=1)
    args = parser.parse_args()
    ids = resource_ids(args.cluster, args.services)
    MILEAGE_RESOURCE_IDS[:] = ids
    RESOURCE_IDS[:] = ids
    lambda_handler({}, None)


if __name__ == '__main__':
    main()
