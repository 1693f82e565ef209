"""worktime's extension of moto server 5.2.5: AWS behaviours moto leaves out, modelled after
AWS's documentation so that the end-to-end tests see what AWS would do.

Start it exactly like ``moto_server`` (same flags)::

    .venv/bin/python tests/aws_model/worktime_moto_server.py -H 127.0.0.1 -p 5000
    PYTHONPATH=tests/aws_model .venv/bin/python -m worktime_moto -H 127.0.0.1 -p 5000

``install()`` patches moto's backends and responses at import time, before
``moto.server.main`` builds its application. Each modelled behaviour lives in its own module,
whose docstring quotes the AWS documentation it follows and states exactly what is (and is
not) modelled:

- ``autoscaling``: ``RegisterScalableTarget`` moves an ECS service's desired count into the
  new bounds.
- ``ecs_tasks``: an ECS service's running tasks follow its desired count (at once by default;
  per-service start/stop delays), a start failure keeps tasks PENDING and records its service
  event, a steady-state event follows each change; test controls at
  ``/worktime-model/ecs/service`` on the server's own port.
- ``ecs_capacity_provider_strategy``: ``CreateService`` keeps a capacity provider strategy
  (given, or the cluster's default) with no launch type, and refuses both at once.
- ``ecs_container_instances``: an Auto Scaling group's instances register as ACTIVE container
  instances of the cluster their user data names (``ECS_CLUSTER=``, else ``default``), after
  the group's ``worktime-model:register-seconds`` tag's delay; terminated ones deregister.
- ``elbv2_ecs_targets``: an ECS service's tasks are the ``ip`` targets of its target groups
  in ``DescribeTargetHealth`` (PENDING ``initial``, RUNNING ``healthy``, stopping
  ``draining``), following the ``ecs_tasks`` model.
- ``elbv2_stack_targets``: a stack's target group registers the targets its template's
  ``Targets`` lists (moto drops them).
- ``elbv2_target_group_stack``: a stack's target groups are deleted with it through
  ``DeleteTargetGroup`` (moto leaves them behind), refused while a listener or rule action
  references the group: the stack ends ``DELETE_FAILED`` naming it (``cfn_failures``).
- ``lambda_quota``: the account's Lambda concurrency quota (``MOTO_LAMBDA_CONCURRENCY_QUOTA``)
  with AWS's unreserved floor, for ``PutFunctionConcurrency`` and for
  ``AWS::Lambda::Function`` ``ReservedConcurrentExecutions`` in CloudFormation;
  ``GetAccountSettings``.
- ``lambda_architectures``: ``AWS::Lambda::Function`` ``Architectures`` in CloudFormation, on
  create and update (moto reports every stack's function as ``x86_64``).
- ``lambda_runtime``: ``Invoke`` of a function routed with ``/worktime-model/lambda/runtime``
  runs the built ``bootstrap`` through the test harness's Lambda Runtime API (moto would start
  a Docker container), so a Step Functions task runs the real function.
- ``stepfunctions_stack``: a stack's ``AWS::StepFunctions::StateMachine`` is made in the
  backend the Step Functions API serves (moto's CloudFormation model writes to the one that
  does not run executions), with its type and logging configuration.
- ``lambda_event_invoke``: ``AWS::Lambda::EventInvokeConfig`` in CloudFormation, put through
  moto's own event-invoke-config API (moto has no CloudFormation model for it).
- ``scheduler_schedule``: ``AWS::Scheduler::Schedule`` in CloudFormation, put through moto's
  own EventBridge Scheduler API (moto has no CloudFormation model for it).
- ``cloudwatch_alarm``: ``AWS::CloudWatch::Alarm`` in CloudFormation, put through moto's own
  CloudWatch API (moto has no CloudFormation model for it); a new alarm starts in
  ``INSUFFICIENT_DATA``, an update keeps the state.
- ``cloudwatch_cbor``: CloudWatch over the Smithy RPC v2 CBOR protocol (the AWS SDK for
  Rust's), for ``DescribeAlarms``, ``PutMetricAlarm``, ``SetAlarmState`` and ``DeleteAlarms``,
  served from moto's own CloudWatch backend; a new alarm starts in ``INSUFFICIENT_DATA``
  through every protocol, an update keeps the state.
- ``cfn_failures``: a resource that fails while CloudFormation creates or updates a stack
  fails the stack operation as on AWS (``*_FAILED`` resource event, rollback,
  ``ROLLBACK_COMPLETE`` / ``UPDATE_ROLLBACK_COMPLETE``) instead of an API error.
- ``events_scheduled_rules``: a rule with only a schedule expression does not match events
  put with ``PutEvents`` (moto sends them to its targets, and fails on a Lambda target).
- ``s3_tls``: a bucket policy's ``aws:SecureTransport`` condition is evaluated, with the
  loopback test endpoint's plain HTTP standing in for AWS's HTTPS.
- ``s3_policy_canonical``: ``GetBucketPolicy`` answers in S3's canonical form (one-element
  lists as their element, lists reordered, account-id principals as root ARNs); the stored
  policy, which ``s3_tls`` evaluates, stays as written.

- ``iam_identity``: requests signed with an IAM user's access key are authorized by the
  user's identity policies for their action, resources and condition keys (moto checks
  actions only, against ``*``, and only when told to); CloudFormation's resource handlers
  are authorized with the caller's policies, or the ``RoleARN`` role's; a denial answers the
  service's ``AccessDenied`` (a stack operation fails, as on AWS).

- ``faults``: on request (``POST /worktime-model/faults``), a share of ECS and Application Auto
  Scaling requests answered ``ThrottlingException``, and every write after the N-th denied, so
  that a run stopped after any write can be retried as Lambda retries it.

``_cfn_model`` holds what the CloudFormation models share (moto's model interface, generated
names, failure reasons, schema checks); it models nothing itself.

Everything else is moto 5.2.5 unchanged.
"""

from __future__ import annotations

_installed = False


def install() -> None:
    """Applies every patch (idempotent)."""
    global _installed
    if _installed:
        return
    from . import (
        autoscaling,
        cfn_failures,
        cloudwatch_alarm,
        cloudwatch_cbor,
        ecs_capacity_provider_strategy,
        ecs_container_instances,
        ecs_tasks,
        elbv2_ecs_targets,
        elbv2_stack_targets,
        elbv2_target_group_stack,
        events_scheduled_rules,
        faults,
        iam_identity,
        lambda_architectures,
        lambda_event_invoke,
        lambda_quota,
        lambda_runtime,
        s3_policy_canonical,
        s3_tls,
        scheduler_schedule,
        stepfunctions_stack,
    )

    autoscaling.install()
    cfn_failures.install()
    cloudwatch_alarm.install()
    cloudwatch_cbor.install()
    ecs_capacity_provider_strategy.install()
    ecs_container_instances.install()
    ecs_tasks.install()
    elbv2_ecs_targets.install()
    elbv2_stack_targets.install()
    elbv2_target_group_stack.install()
    events_scheduled_rules.install()
    faults.install()
    lambda_architectures.install()
    lambda_event_invoke.install()
    lambda_quota.install()
    lambda_runtime.install()
    s3_policy_canonical.install()
    s3_tls.install()
    scheduler_schedule.install()
    stepfunctions_stack.install()
    iam_identity.install()  # last: its request hook sees every request first
    _installed = True


def main(argv: list[str] | None = None) -> None:
    """``moto_server`` with the extension installed (same command-line flags)."""
    install()
    from moto.server import main as moto_main

    moto_main(argv)
