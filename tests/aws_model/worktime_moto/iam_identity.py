"""IAM identity policies evaluated for the action, the resources and the condition keys of
each request, for IAM users' access keys, and for what CloudFormation does on their behalf.

AWS:

- Policy evaluation logic (IAM User Guide,
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html):
  a request is denied unless an identity-based policy allows it ("By default, all requests
  are implicitly denied"); "An explicit deny in any policy overrides any allows"; a statement
  applies when its ``Action`` (or ``NotAction``), its ``Resource`` (or ``NotResource``) and
  every condition in its ``Condition`` match the request context. Conditions: IAM User Guide,
  "IAM JSON policy elements: Condition operators" (``String*``, ``Arn*``, ``Bool``, ``Null``,
  ``...IfExists``) and "Multivalued context keys" (``ForAllValues:`` is true for a missing
  key, ``ForAnyValue:`` false; several keys in one operator, and several operators, must all
  match; several values of one key match if any matches). Wildcards: ``*`` and ``?`` in
  ``Action`` (case-insensitive) and ``Resource`` (case-sensitive).
- The denial: HTTP 403 ``AccessDenied`` (query and REST-XML services; ``AccessDeniedException``
  for JSON services, HTTP 400 as the Application Auto Scaling, ECS, CloudWatch Logs and
  EventBridge API references list it; Lambda answers 403) with AWS's message, "User: <arn> is
  not authorized to perform: <action> on resource: <arn> because no identity-based policy
  allows the <action> action" (or "with an explicit deny in an identity-based policy"): IAM
  User Guide, "Troubleshoot access denied error messages"
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html).
- Each operation's action, resource types and condition keys: the Service Authorization
  Reference (https://docs.aws.amazon.com/service-authorization/latest/reference/, one page per
  service: ``list_awscloudformation.html``, ``list_amazons3.html``, ``list_awslambda.html``,
  ``list_identityandaccessmanagementiam.html``, ``list_amazonelasticcontainerservice.html``,
  ``list_applicationautoscaling.html``, ``list_amazoncloudwatchlogs.html``,
  ``list_amazoneventbridge.html``, ``list_amazonsqs.html``, ``list_amazoncloudwatch.html``,
  ``list_amazonec2autoscaling.html``).
  Where an action has no resource type there, the request's resource is what AWS's own denials
  name (public error messages quoted in issues): ``logs:DescribeLogGroups`` on
  ``arn:aws:logs:<region>:<account>:log-group::log-stream:``, the log-group actions on
  ``log-group:<name>:log-stream:``, ``iam:ListRoles`` on ``arn:aws:iam::<account>:role<path
  prefix>`` (``role/`` without one), a stack not made yet on ``stack/<name>/*``.
- ``sts:GetCallerIdentity`` needs no permission ("If an administrator attaches a policy to
  your identity that explicitly denies access to the sts:GetCallerIdentity action, you can
  still perform this operation", STS API reference).
- DeleteObjects (S3 API reference): "the Multi-Object Delete operation ... requires
  s3:DeleteObject (s3:DeleteObjectVersion for a version)" per key, and answers 200 with an
  ``Error`` element (``AccessDenied``) for each key it could not delete.
- Application Auto Scaling, RegisterScalableTarget: the caller also needs the target
  service's permissions, ``ecs:DescribeServices`` and ``ecs:UpdateService`` for an ECS service,
  and ``iam:CreateServiceLinkedRole`` while the service-linked role does not exist yet
  (Application Auto Scaling User Guide, "Identity and Access Management": permissions required
  for target resources; "Service-linked roles": created at the first registration).
- CloudFormation (User Guide, "CloudFormation service role",
  https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-iam-servicerole.html):
  "If you don't specify a service role, CloudFormation uses a temporary session that it
  generates from your user credentials"; with one (``RoleARN``), "CloudFormation uses the
  role's credentials to make calls on your behalf" and the caller needs ``iam:PassRole`` on it.
  What a resource type's handler calls is its registry schema's ``handlers`` permissions (the
  schemas cfn-lint ships, ``cfnlint/data/schemas``); the stack's tags are applied to the
  resources it creates ("CloudFormation propagates stack-level tags to supported resources",
  User Guide, ``aws-properties-resource-tags.html``), so a handler that creates with tags
  needs the service's tagging action. A handler denied fails the resource with
  ``HandlerErrorCode: AccessDenied``, the stack rolls back (``cfn_failures``), and a delete
  denied leaves the stack ``DELETE_FAILED`` with the resources that could not be deleted.

Modelled:

- Enforcement only for requests signed with an IAM user's access key made at this endpoint
  (``CreateAccessKey``), so every request signed with other keys (the tests' ``testing``
  keys, assumed roles) behaves as moto does. The user's policies: inline and attached, its
  groups' inline and attached (permissions boundaries, SCPs and session policies are not
  modelled). A resource-based policy never adds an allow here (worktime's bucket policy grants
  none to the caller's own principals); moto still applies the bucket policy itself.
- The operations worktime calls (``provisioner/src/aws/calls.rs`` lists them; ``OPERATIONS``
  below maps each): STS, CloudFormation, S3, IAM, Lambda, CloudWatch Logs, EventBridge, SQS,
  CloudWatch (RPC v2 CBOR), ECS, Application Auto Scaling, Elastic Load Balancing v2 (the
  ``Describe*`` reads on ``*``, ``ModifyRule`` on the rule, ``ModifyListener`` on the listener,
  ``AddTags``/``RemoveTags`` on each resource with ``aws:TagKeys``; Service Authorization
  Reference, Elastic Load Balancing V2). Any other operation of an enforced
  caller is denied with a message saying the model does not map it (so a test fails loudly).
- For an enforced caller (and, with ``RoleARN``, for that role: its inline and attached
  policies), CloudFormation's resource handlers (``HANDLERS``) for the types worktime's
  templates hold: each action checked on the resource's ARN before moto creates, updates or
  deletes it; a denial fails the stack operation as above (a rollback's own calls are not
  checked).

Not modelled: ``Principal``/``NotPrincipal`` in identity policies (invalid there), policy
variables, numeric and date operators (a statement using one does not apply), the
``aws:SourceIp``/``aws:CurrentTime`` family, resource-based policies granting access,
permissions boundaries, session policies, SCPs.
"""

from __future__ import annotations

import io
import json
import re
import threading
import urllib.parse
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

# ---------------------------------------------------------------------------- checks


@dataclass
class Check:
    """One authorization: an action on a resource, with the request's condition keys."""

    action: str
    resource: str
    context: dict[str, Any] = field(default_factory=dict)


@dataclass
class Principal:
    """Who is asking: an IAM user (its access key) or a role CloudFormation acts as."""

    arn: str
    account: str
    policies: list[dict[str, Any]]


class NotModelled(Exception):
    """The model cannot say which resources an operation acts on."""


_local = threading.local()


def _documents(policies: Iterable[Any]) -> list[dict[str, Any]]:
    out = []
    for policy in policies:
        if isinstance(policy, str):
            text = policy
        else:  # a managed policy: its default version
            version = next(v for v in policy.versions if v.is_default)
            text = version.document
        text = urllib.parse.unquote(text) if text.startswith("%7B") else text
        out.append(json.loads(text))
    return out


def _iam(account: str) -> Any:
    from moto.iam.models import iam_backends

    return iam_backends[account]["aws"]


def user_for_access_key(key_id: str) -> Principal | None:
    """The IAM user whose active access key ``key_id`` is, with its policies; None otherwise."""
    from moto.iam.models import iam_backends

    for account, backends in list(iam_backends.items()):
        backend = backends["aws"]
        for user in list(backend.users.values()):
            for key in user.access_keys:
                if key.access_key_id == key_id and key.status == "Active":
                    policies = list(user.policies.values()) + list(user.managed_policies.values())
                    for group in backend.get_groups_for_user(user.name):
                        policies += list(group.policies.values())
                        policies += list(group.managed_policies.values())
                    return Principal(user.arn, account, _documents(policies))
    return None


def role_principal(role_arn: str, account: str) -> Principal:
    """The role CloudFormation acts as, with its policies (none when it does not exist)."""
    backend = _iam(account)
    try:
        role = backend.get_role_by_arn(role_arn)
    except Exception:
        name = role_arn.rsplit("/", 1)[-1]
        return Principal(
            f"arn:aws:sts::{account}:assumed-role/{name}/AWSCloudFormation", account, []
        )
    policies = list(role.policies.values()) + list(role.managed_policies.values())
    return Principal(
        f"arn:aws:sts::{account}:assumed-role/{role.name}/AWSCloudFormation",
        account,
        _documents(policies),
    )


# ---------------------------------------------------------------------------- evaluation


def _listed(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _glob(pattern: str, value: str, case: bool) -> bool:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, 0 if case else re.IGNORECASE) is not None


def _action_matches(patterns: Any, action: str) -> bool:
    return any(_glob(p, action, case=False) for p in _listed(patterns))


def _resource_matches(patterns: Any, resource: str) -> bool:
    return any(_glob(p, resource, case=True) for p in _listed(patterns))


def _arn_like(pattern: str, value: str) -> bool:
    # ARN operators compare the six colon-separated parts one by one (the last may hold ':').
    p_parts, v_parts = pattern.split(":", 5), value.split(":", 5)
    if len(p_parts) != 6 or len(v_parts) != 6:
        return False
    return all(_glob(p, v, case=True) for p, v in zip(p_parts, v_parts, strict=True))


def _string_test(base: str) -> Callable[[str, str], bool] | None:
    return {
        "StringEquals": lambda e, a: e == a,
        "StringNotEquals": lambda e, a: e != a,
        "StringEqualsIgnoreCase": lambda e, a: e.lower() == a.lower(),
        "StringNotEqualsIgnoreCase": lambda e, a: e.lower() != a.lower(),
        "StringLike": lambda e, a: _glob(e, a, case=True),
        "StringNotLike": lambda e, a: not _glob(e, a, case=True),
        "ArnEquals": _arn_like,
        "ArnLike": _arn_like,
        "ArnNotEquals": lambda e, a: not _arn_like(e, a),
        "ArnNotLike": lambda e, a: not _arn_like(e, a),
        "Bool": lambda e, a: e.lower() == a.lower(),
    }.get(base)


NEGATED = {
    "StringNotEquals",
    "StringNotEqualsIgnoreCase",
    "StringNotLike",
    "ArnNotEquals",
    "ArnNotLike",
}


def _lookup(context: dict[str, Any], key: str) -> list[str] | None:
    for name, value in context.items():
        if name.lower() == key.lower():
            return [str(v).lower() if isinstance(v, bool) else str(v) for v in _listed(value)]
    return None


def condition_holds(condition: dict[str, Any], context: dict[str, Any]) -> bool:
    """Every operator, and every key in it, must match (IAM User Guide, Condition element)."""
    for operator, pairs in condition.items():
        qualifier, _, base = operator.rpartition(":")
        if_exists = base.endswith("IfExists")
        base = base.removesuffix("IfExists")
        for key, expected in pairs.items():
            expected_values = [
                str(e).lower() if isinstance(e, bool) else str(e) for e in _listed(expected)
            ]
            actual = _lookup(context, key)
            if base == "Null":
                present = actual is not None and actual != []
                if (expected_values[0].lower() == "true") == present:
                    return False
                continue
            test = _string_test(base)
            if test is None:
                return False  # an operator the model does not know: the statement does not apply
            if qualifier == "ForAllValues":
                if actual and not all(any(test(e, a) for e in expected_values) for a in actual):
                    return False
                continue
            if qualifier == "ForAnyValue":
                if not actual or not any(test(e, a) for a in actual for e in expected_values):
                    return False
                continue
            if actual is None or actual == []:
                if if_exists:
                    continue
                if base in NEGATED:
                    continue  # a negated operator holds for a missing key
                return False
            if base in NEGATED:
                if not all(test(e, a) for a in actual for e in expected_values):
                    return False
            elif not any(test(e, a) for a in actual for e in expected_values):
                return False
    return True


def _statement_applies(statement: dict[str, Any], check: Check) -> bool:
    if "Action" in statement:
        if not _action_matches(statement["Action"], check.action):
            return False
    elif "NotAction" in statement:
        if _action_matches(statement["NotAction"], check.action):
            return False
    else:
        return False
    if "Resource" in statement:
        if not _resource_matches(statement["Resource"], check.resource):
            return False
    elif "NotResource" in statement:
        if _resource_matches(statement["NotResource"], check.resource):
            return False
    else:
        return False
    return condition_holds(statement.get("Condition") or {}, check.context)


def decide(principal: Principal, check: Check) -> str | None:
    """None when allowed; else AWS's denial message."""
    allowed = False
    for document in principal.policies:
        for statement in _listed(document.get("Statement")):
            if not _statement_applies(statement, check):
                continue
            if statement.get("Effect") == "Deny":
                return denial(principal, check, explicit=True)
            if statement.get("Effect") == "Allow":
                allowed = True
    return None if allowed else denial(principal, check, explicit=False)


def denial(principal: Principal, check: Check, explicit: bool) -> str:
    why = (
        "with an explicit deny in an identity-based policy"
        if explicit
        else f"because no identity-based policy allows the {check.action} action"
    )
    return (
        f"User: {principal.arn} is not authorized to perform: {check.action} "
        f"on resource: {check.resource} {why}"
    )


def first_denial(principal: Principal, checks: Iterable[Check]) -> str | None:
    for check in checks:
        if check.action == "sts:GetCallerIdentity":
            continue
        message = decide(principal, check)
        if message is not None:
            return message
    return None


# ---------------------------------------------------------------------------- requests


@dataclass
class Request:
    service: str  # the SigV4 signing name
    region: str
    account: str
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    operation: str = ""
    params: dict[str, Any] = field(default_factory=dict)


def _arn(service: str, region: str, account: str, resource: str) -> str:
    return f"arn:aws:{service}:{region}:{account}:{resource}"


def _cfn_backend(request: Request) -> Any:
    from moto.cloudformation.models import cloudformation_backends

    return cloudformation_backends[request.account][request.region]


def _stack(request: Request, name_or_id: str | None) -> Any:
    if not name_or_id:
        return None
    backend = _cfn_backend(request)
    for stack in list(backend.stacks.values()):
        if name_or_id in (stack.name, stack.stack_id):
            return stack
    return None


def _stack_checks(request: Request, action: str, name_or_id: str | None) -> list[Check]:
    stack = _stack(request, name_or_id)
    if stack is not None:
        tags = {f"aws:ResourceTag/{k}": v for k, v in (stack.tags or {}).items()}
        return [Check(action, stack.stack_id, tags)]
    if (name_or_id or "").startswith("arn:"):
        return [Check(action, name_or_id or "")]
    stack_name = name_or_id or "*"
    return [
        Check(
            action, _arn("cloudformation", request.region, request.account, f"stack/{stack_name}/*")
        )
    ]


def _query_members(params: dict[str, Any], prefix: str) -> list[str]:
    found = []
    n = 1
    while f"{prefix}.member.{n}" in params:
        found.append(params[f"{prefix}.member.{n}"])
        n += 1
    return found


def _pass_role(role_arn: str, service: str) -> Check:
    return Check("iam:PassRole", role_arn, {"iam:PassedToService": service})


def cloudformation(request: Request) -> list[Check]:
    p, op = request.params, request.operation
    name = p.get("StackName")
    role = p.get("RoleARN")
    action = f"cloudformation:{op}"
    if op in ("DescribeStacks",) and not name:
        return [Check(action, "*")]
    if op in ("ListStacks", "ValidateTemplate", "ListExports"):
        return [Check(action, "*")]
    if op in (
        "DescribeStacks",
        "DescribeStackEvents",
        "DescribeStackResources",
        "DescribeStackResource",
        "ListStackResources",
        "GetTemplate",
        "DescribeChangeSet",
        "DeleteChangeSet",
        "ExecuteChangeSet",
        "ContinueUpdateRollback",
        "DeleteStack",
        "CreateChangeSet",
    ):
        if op in ("DescribeChangeSet", "DeleteChangeSet", "ExecuteChangeSet") and not name:
            try:
                name = _cfn_backend(request).describe_change_set(p.get("ChangeSetName")).stack_id
            except Exception:
                name = None
        checks = _stack_checks(request, action, name)
        context: dict[str, Any] = {}
        if role:
            context["cloudformation:RoleArn"] = role
        if op == "CreateChangeSet":
            context["cloudformation:ChangeSetName"] = p.get("ChangeSetName", "")
            tags = {}
            n = 1
            while f"Tags.member.{n}.Key" in p:
                tags[p[f"Tags.member.{n}.Key"]] = p.get(f"Tags.member.{n}.Value", "")
                n += 1
            if tags:
                context["aws:TagKeys"] = list(tags)
                context.update({f"aws:RequestTag/{k}": v for k, v in tags.items()})
        for check in checks:
            check.context.update(context)
        if role and op in ("CreateChangeSet", "DeleteStack", "ContinueUpdateRollback"):
            checks.append(_pass_role(role, "cloudformation.amazonaws.com"))
        return checks
    raise NotModelled()


def sts(request: Request) -> list[Check]:
    if request.operation == "GetCallerIdentity":
        return [Check("sts:GetCallerIdentity", "*")]
    if request.operation == "AssumeRole":
        return [Check("sts:AssumeRole", request.params.get("RoleArn", ""))]
    raise NotModelled()


# The service-linked roles' names, by service principal (each service's user guide, "Using
# service-linked roles"; Application Auto Scaling names ECS's as below).
SERVICE_LINKED_ROLES = {
    "ecs.application-autoscaling.amazonaws.com": (
        "AWSServiceRoleForApplicationAutoScaling_ECSService"
    ),
}


def _role_arn(account: str, name: str) -> str:
    try:
        return _iam(account).get_role(name).arn
    except Exception:
        return f"arn:aws:iam::{account}:role/{name}"


def iam(request: Request) -> list[Check]:
    p, op, account = request.params, request.operation, request.account
    action = f"iam:{op}"
    if op == "ListRoles":
        return [Check(action, f"arn:aws:iam::{account}:role{p.get('PathPrefix', '/')}")]
    if op == "CreateServiceLinkedRole":
        service = p.get("AWSServiceName", "")
        name = SERVICE_LINKED_ROLES.get(service, "*")
        return [
            Check(
                action,
                f"arn:aws:iam::{account}:role/aws-service-role/{service}/{name}",
                {"iam:AWSServiceName": service},
            )
        ]
    if op in ("GetRole", "ListRolePolicies", "ListAttachedRolePolicies", "GetRolePolicy"):
        return [Check(action, _role_arn(account, p.get("RoleName", "")))]
    raise NotModelled()


S3_BUCKET_SUBRESOURCES = {
    # (method, subresource): action
    ("GET", "versioning"): "s3:GetBucketVersioning",
    ("PUT", "versioning"): "s3:PutBucketVersioning",
    ("GET", "encryption"): "s3:GetEncryptionConfiguration",
    ("PUT", "encryption"): "s3:PutEncryptionConfiguration",
    ("DELETE", "encryption"): "s3:PutEncryptionConfiguration",
    ("GET", "publicAccessBlock"): "s3:GetBucketPublicAccessBlock",
    ("PUT", "publicAccessBlock"): "s3:PutBucketPublicAccessBlock",
    ("DELETE", "publicAccessBlock"): "s3:PutBucketPublicAccessBlock",
    ("GET", "policy"): "s3:GetBucketPolicy",
    ("PUT", "policy"): "s3:PutBucketPolicy",
    ("DELETE", "policy"): "s3:DeleteBucketPolicy",
    ("GET", "versions"): "s3:ListBucketVersions",
    ("GET", "location"): "s3:GetBucketLocation",
    ("GET", "tagging"): "s3:GetBucketTagging",
    ("PUT", "tagging"): "s3:PutBucketTagging",
}


def s3(request: Request) -> list[Check]:
    parts = request.path.lstrip("/").split("/", 1)
    bucket = parts[0]
    key = urllib.parse.unquote(parts[1]) if len(parts) > 1 else ""
    method = request.method
    if not bucket:
        if method == "GET":
            return [Check("s3:ListAllMyBuckets", "*")]
        raise NotModelled()
    bucket_arn = f"arn:aws:s3:::{bucket}"
    query = {k for k in request.query if k != "x-id"}
    if not key:
        for (m, sub), action in S3_BUCKET_SUBRESOURCES.items():
            if m == method and sub in request.query:
                return [Check(action, bucket_arn)]
        if method == "POST" and "delete" in request.query:
            return []  # per key: see _delete_objects
        if method == "PUT" and not query:
            return [Check("s3:CreateBucket", bucket_arn)]
        if method == "DELETE" and not query:
            return [Check("s3:DeleteBucket", bucket_arn)]
        if method in ("HEAD", "GET"):
            return [Check("s3:ListBucket", bucket_arn)]
        raise NotModelled()
    object_arn = f"{bucket_arn}/{key}"
    versioned = "versionId" in request.query
    if not query <= {"versionId"}:
        raise NotModelled()
    if method in ("GET", "HEAD"):
        return [Check("s3:GetObjectVersion" if versioned else "s3:GetObject", object_arn)]
    if method == "PUT":
        return [Check("s3:PutObject", object_arn)]
    if method == "DELETE":
        return [Check("s3:DeleteObjectVersion" if versioned else "s3:DeleteObject", object_arn)]
    raise NotModelled()


LAMBDA_ROUTES = [
    # (method, path regex, action); the function name is group "fn"
    ("GET", r"/2016-08-19/account-settings/?", "lambda:GetAccountSettings"),
    ("GET", r"/2015-03-31/functions/(?P<fn>[^/]+)", "lambda:GetFunction"),
    ("DELETE", r"/2015-03-31/functions/(?P<fn>[^/]+)", "lambda:DeleteFunction"),
    (
        "GET",
        r"/2015-03-31/functions/(?P<fn>[^/]+)/configuration",
        "lambda:GetFunctionConfiguration",
    ),
    (
        "PUT",
        r"/2015-03-31/functions/(?P<fn>[^/]+)/configuration",
        "lambda:UpdateFunctionConfiguration",
    ),
    ("PUT", r"/2015-03-31/functions/(?P<fn>[^/]+)/code", "lambda:UpdateFunctionCode"),
    ("POST", r"/2015-03-31/functions/(?P<fn>[^/]+)/invocations", "lambda:InvokeFunction"),
    ("GET", r"/2019-09-30/functions/(?P<fn>[^/]+)/concurrency", "lambda:GetFunctionConcurrency"),
    ("PUT", r"/2017-10-31/functions/(?P<fn>[^/]+)/concurrency", "lambda:PutFunctionConcurrency"),
    (
        "DELETE",
        r"/2017-10-31/functions/(?P<fn>[^/]+)/concurrency",
        "lambda:DeleteFunctionConcurrency",
    ),
    ("GET", r"/2017-03-31/tags/(?P<fn>.+)", "lambda:ListTags"),
    ("POST", r"/2017-03-31/tags/(?P<fn>.+)", "lambda:TagResource"),
    ("DELETE", r"/2017-03-31/tags/(?P<fn>.+)", "lambda:UntagResource"),
    (
        "GET",
        r"/2019-09-25/functions/(?P<fn>[^/]+)/event-invoke-config",
        "lambda:GetFunctionEventInvokeConfig",
    ),
]


def _function_arn(request: Request, name: str) -> str:
    name = urllib.parse.unquote(name)
    if name.startswith("arn:"):
        parts = name.split(":")
        return ":".join(parts[:7])
    name = name.split(":")[0]
    return _arn("lambda", request.region, request.account, f"function:{name}")


def lambda_(request: Request) -> list[Check]:
    for method, pattern, action in LAMBDA_ROUTES:
        match = re.fullmatch(pattern, request.path)
        if method == request.method and match:
            if "fn" not in match.groupdict():
                return [Check(action, "*")]
            return [Check(action, _function_arn(request, match.group("fn")))]
    raise NotModelled()


def logs(request: Request) -> list[Check]:
    p, op = request.params, request.operation
    action = f"logs:{op}"
    if op == "DescribeLogGroups":
        return [
            Check(action, _arn("logs", request.region, request.account, "log-group::log-stream:"))
        ]
    if op in ("FilterLogEvents", "DescribeLogStreams", "GetLogEvents"):
        group = p.get("logGroupName", "")
        return [
            Check(
                action,
                _arn("logs", request.region, request.account, f"log-group:{group}:log-stream:"),
            )
        ]
    raise NotModelled()


def events(request: Request) -> list[Check]:
    p, op = request.params, request.operation
    if op in ("DescribeRule", "ListTargetsByRule"):
        bus = p.get("EventBusName")
        rule = p.get("Name") or p.get("Rule", "")
        path = f"rule/{bus}/{rule}" if bus and bus != "default" else f"rule/{rule}"
        return [Check(f"events:{op}", _arn("events", request.region, request.account, path))]
    if op == "PutEvents":
        return [
            Check(
                "events:PutEvents",
                _arn("events", request.region, request.account, "event-bus/default"),
            )
        ]
    raise NotModelled()


def sqs(request: Request) -> list[Check]:
    p, op = request.params, request.operation
    if op == "GetQueueUrl":
        owner = p.get("QueueOwnerAWSAccountId") or request.account
        return [
            Check("sqs:GetQueueUrl", _arn("sqs", request.region, owner, p.get("QueueName", "")))
        ]
    if op in ("GetQueueAttributes", "ReceiveMessage", "SendMessage", "PurgeQueue"):
        url = urllib.parse.urlparse(p.get("QueueUrl", ""))
        segments = url.path.strip("/").split("/")
        owner, name = (segments + ["", ""])[:2]
        return [Check(f"sqs:{op}", _arn("sqs", request.region, owner or request.account, name))]
    raise NotModelled()


def cloudwatch(request: Request) -> list[Check]:
    p, op = request.params, request.operation
    if op == "DescribeAlarms":
        names = p.get("AlarmNames") or []
        if not names:
            prefix = p.get("AlarmNamePrefix") or ""
            names = [f"{prefix}*"]
        return [
            Check(
                "cloudwatch:DescribeAlarms",
                _arn("cloudwatch", request.region, request.account, f"alarm:{n}"),
            )
            for n in names
        ]
    raise NotModelled()


def _service_arn(request: Request, cluster: str, service: str) -> str:
    if service.startswith("arn:"):
        return service
    cluster = cluster.rsplit("/", 1)[-1] if cluster else "default"
    return _arn("ecs", request.region, request.account, f"service/{cluster}/{service}")


def _cluster_arn(request: Request, cluster: str | None) -> str:
    cluster = cluster or "default"
    if cluster.startswith("arn:"):
        return cluster
    return _arn("ecs", request.region, request.account, f"cluster/{cluster}")


def _ecs_tags(request: Request, arn: str) -> dict[str, Any]:
    from moto.ecs.models import ecs_backends

    try:
        tags = ecs_backends[request.account][request.region].list_tags_for_resource(arn)
    except Exception:
        return {}
    return {f"aws:ResourceTag/{t['key']}": t["value"] for t in tags}


def ecs(request: Request) -> list[Check]:
    p, op = request.params, request.operation
    cluster = p.get("cluster")
    if op == "DescribeServices":
        checks = []
        for service in p.get("services") or []:
            arn = _service_arn(request, cluster or "", service)
            context = {"ecs:cluster": _cluster_arn(request, cluster), **_ecs_tags(request, arn)}
            checks.append(Check("ecs:DescribeServices", arn, context))
        return checks
    if op == "UpdateService":
        arn = _service_arn(request, cluster or "", p.get("service", ""))
        context = {"ecs:cluster": _cluster_arn(request, cluster), **_ecs_tags(request, arn)}
        return [Check("ecs:UpdateService", arn, context)]
    if op in ("ListServices",):
        return [Check("ecs:ListServices", "*", {"ecs:cluster": _cluster_arn(request, cluster)})]
    if op in ("ListClusters", "DescribeTaskDefinition"):
        return [Check(f"ecs:{op}", "*")]
    if op == "DescribeClusters":
        return [
            Check("ecs:DescribeClusters", _cluster_arn(request, c))
            for c in p.get("clusters") or ["default"]
        ]
    if op == "DescribeCapacityProviders":
        return [
            Check(
                "ecs:DescribeCapacityProviders",
                n
                if n.startswith("arn:")
                else _arn("ecs", request.region, request.account, f"capacity-provider/{n}"),
            )
            for n in p.get("capacityProviders") or ["*"]
        ]
    if op in ("TagResource", "UntagResource", "ListTagsForResource"):
        arn = p.get("resourceArn", "")
        context = _ecs_tags(request, arn)
        if op == "TagResource":
            tags = {t["key"]: t["value"] for t in p.get("tags") or []}
            context["aws:TagKeys"] = list(tags)
            context.update({f"aws:RequestTag/{k}": v for k, v in tags.items()})
        if op == "UntagResource":
            context["aws:TagKeys"] = list(p.get("tagKeys") or [])
        return [Check(f"ecs:{op}", arn, context)]
    raise NotModelled()


def autoscaling(request: Request) -> list[Check]:
    # autoscaling:DescribeAutoScalingGroups has no resource type: "*".
    if request.operation == "DescribeAutoScalingGroups":
        return [Check("autoscaling:DescribeAutoScalingGroups", "*")]
    raise NotModelled()


def _scalable_target_arn(request: Request, p: dict[str, Any]) -> str:
    from moto.applicationautoscaling.models import applicationautoscaling_backends

    backend = applicationautoscaling_backends[request.account][request.region]
    target = backend.targets.get(p.get("ScalableDimension", ""), {}).get(p.get("ResourceId", ""))
    if target is not None:
        return target.arn
    # a new target's ARN carries an id AWS makes up when it registers it
    return _arn(
        "application-autoscaling",
        request.region,
        request.account,
        f"scalable-target/{uuid.uuid4().hex}",
    )


def application_autoscaling(request: Request) -> list[Check]:
    p, op = request.params, request.operation
    if op == "DescribeScalableTargets":
        return [Check("application-autoscaling:DescribeScalableTargets", "*")]
    if op in ("RegisterScalableTarget", "DeregisterScalableTarget"):
        context = {
            "application-autoscaling:service-namespace": p.get("ServiceNamespace", ""),
            "application-autoscaling:scalable-dimension": p.get("ScalableDimension", ""),
        }
        checks = [Check(f"application-autoscaling:{op}", _scalable_target_arn(request, p), context)]
        resource = p.get("ResourceId", "")
        if op == "RegisterScalableTarget" and p.get("ServiceNamespace") == "ecs":
            _, cluster, service = (resource.split("/") + ["", "", ""])[:3]
            arn = _service_arn(request, cluster, service)
            checks.append(
                Check("ecs:DescribeServices", arn, {"ecs:cluster": _cluster_arn(request, cluster)})
            )
            checks.append(
                Check("ecs:UpdateService", arn, {"ecs:cluster": _cluster_arn(request, cluster)})
            )
            service_name = "ecs.application-autoscaling.amazonaws.com"
            prefix = f"/aws-service-role/{service_name}/"
            if not any(r.path == prefix for r in _iam(request.account).roles.values()):
                checks.append(
                    Check(
                        "iam:CreateServiceLinkedRole",
                        f"arn:aws:iam::{request.account}:role{prefix}{SERVICE_LINKED_ROLES[service_name]}",
                        {"iam:AWSServiceName": service_name},
                    )
                )
        return checks
    raise NotModelled()


# ---------------------------------------------------------------------- Elastic Load Balancing

# Service Authorization Reference, Elastic Load Balancing V2: the Describe* actions have no
# resource types ("*"); ModifyRule acts on a listener-rule, ModifyListener on a listener,
# AddTags/RemoveTags on each resource named, with aws:TagKeys (and aws:RequestTag/*).
_ELB_DESCRIBE = {
    "DescribeTargetGroups",
    "DescribeLoadBalancers",
    "DescribeListeners",
    "DescribeRules",
    "DescribeTags",
    "DescribeTargetHealth",
}


def _members(params: dict[str, Any], prefix: str) -> list[str]:
    found = []
    n = 1
    while f"{prefix}.member.{n}" in params:
        found.append(params[f"{prefix}.member.{n}"])
        n += 1
    return found


def elasticloadbalancing(request: Request) -> list[Check]:
    p, op = request.params, request.operation
    action = f"elasticloadbalancing:{op}"
    if op in _ELB_DESCRIBE:
        return [Check(action, "*")]
    if op == "ModifyRule":
        return [Check(action, p.get("RuleArn", ""))]
    if op == "ModifyListener":
        return [Check(action, p.get("ListenerArn", ""))]
    if op in ("AddTags", "RemoveTags"):
        if op == "AddTags":
            keys = []
            n = 1
            while f"Tags.member.{n}.Key" in p:
                keys.append(p[f"Tags.member.{n}.Key"])
                n += 1
            context: dict[str, Any] = {
                "aws:TagKeys": keys,
                **{
                    f"aws:RequestTag/{p[f'Tags.member.{i}.Key']}": p.get(
                        f"Tags.member.{i}.Value", ""
                    )
                    for i in range(1, len(keys) + 1)
                },
            }
        else:
            context = {"aws:TagKeys": _members(p, "TagKeys")}
        return [Check(action, arn, context) for arn in _members(p, "ResourceArns")]
    raise NotModelled()


SERVICES: dict[str, Callable[[Request], list[Check]]] = {
    "sts": sts,
    "cloudformation": cloudformation,
    "iam": iam,
    "s3": s3,
    "lambda": lambda_,
    "logs": logs,
    "events": events,
    "sqs": sqs,
    "monitoring": cloudwatch,
    "ecs": ecs,
    "application-autoscaling": application_autoscaling,
    "autoscaling": autoscaling,
    "elasticloadbalancing": elasticloadbalancing,
}

# ---------------------------------------------------------------------------- answers


def _xml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _answer(request: Request, message: str) -> tuple[int, list[tuple[str, str]], bytes]:
    """The service's own AccessDenied shape."""
    request_id = str(uuid.uuid4())
    service = request.service
    if service in ("cloudformation", "iam", "sts", "autoscaling"):
        namespace = {
            "autoscaling": "http://autoscaling.amazonaws.com/doc/2011-01-01/",
            "cloudformation": "http://cloudformation.amazonaws.com/doc/2010-05-15/",
            "iam": "https://iam.amazonaws.com/doc/2010-05-08/",
            "sts": "https://sts.amazonaws.com/doc/2011-06-15/",
        }[service]
        body = (
            f'<ErrorResponse xmlns="{namespace}"><Error><Type>Sender</Type>'
            f"<Code>AccessDenied</Code><Message>{_xml_escape(message)}</Message></Error>"
            f"<RequestId>{request_id}</RequestId></ErrorResponse>"
        ).encode()
        return 403, [("Content-Type", "text/xml"), ("x-amzn-RequestId", request_id)], body
    if service == "s3":
        if request.method == "HEAD":
            return 403, [("x-amz-request-id", request_id)], b""
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code>'
            f"<Message>{_xml_escape(message)}</Message><RequestId>{request_id}</RequestId>"
            "<HostId>worktime-model</HostId></Error>"
        ).encode()
        return 403, [("Content-Type", "application/xml"), ("x-amz-request-id", request_id)], body
    if service == "lambda":
        body = json.dumps({"Type": "User", "Message": message}).encode()
        return (
            403,
            [
                ("Content-Type", "application/json"),
                ("x-amzn-ErrorType", "AccessDeniedException"),
                ("x-amzn-RequestId", request_id),
            ],
            body,
        )
    if service == "monitoring":
        from .cloudwatch_cbor import _error_response

        status, headers, body = _error_response("AccessDenied", message, 403)
        return status, list(headers.items()), body
    if service == "sqs":
        body = json.dumps({"__type": "com.amazonaws.sqs#AccessDenied", "message": message}).encode()
        return (
            403,
            [
                ("Content-Type", "application/x-amz-json-1.0"),
                ("x-amzn-query-error", "AccessDenied;Sender"),
                ("x-amzn-RequestId", request_id),
            ],
            body,
        )
    body = json.dumps({"__type": "AccessDeniedException", "message": message}).encode()
    return (
        400,
        [("Content-Type", "application/x-amz-json-1.1"), ("x-amzn-RequestId", request_id)],
        body,
    )


def _delete_objects(
    request: Request, principal: Principal
) -> tuple[int, list[tuple[str, str]], bytes] | None:
    """DeleteObjects, key by key: None when every key is allowed (moto answers), else the
    answer with an ``Error`` per denied key, the allowed ones deleted through moto's backend."""
    import xml.etree.ElementTree as ElementTree

    from moto.s3.models import s3_backends

    bucket = request.path.strip("/").split("/")[0]
    root = ElementTree.fromstring(request.body)
    quiet = False
    objects = []
    for element in root:
        tag = element.tag.rsplit("}", 1)[-1]
        if tag == "Quiet":
            quiet = (element.text or "").strip().lower() == "true"
        if tag == "Object":
            values = {child.tag.rsplit("}", 1)[-1]: child.text or "" for child in element}
            objects.append((values.get("Key", ""), values.get("VersionId")))
    verdicts = []
    for key, version in objects:
        action = "s3:DeleteObjectVersion" if version else "s3:DeleteObject"
        verdicts.append(decide(principal, Check(action, f"arn:aws:s3:::{bucket}/{key}")))
    if all(v is None for v in verdicts):
        return None
    backend = s3_backends[request.account]["aws"]
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>\n<DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
    ]
    for (key, version), verdict in zip(objects, verdicts, strict=True):
        version_xml = f"<VersionId>{_xml_escape(version)}</VersionId>" if version else ""
        if verdict is None:
            backend.delete_object(bucket, key, version_id=version)
            if not quiet:
                parts.append(f"<Deleted><Key>{_xml_escape(key)}</Key>{version_xml}</Deleted>")
        else:
            parts.append(
                f"<Error><Key>{_xml_escape(key)}</Key>{version_xml}<Code>AccessDenied</Code>"
                "<Message>Access Denied</Message></Error>"
            )
    parts.append("</DeleteResult>")
    return 200, [("Content-Type", "application/xml")], "".join(parts).encode()


def _read_params(request: Request) -> None:
    content_type = request.headers.get("content-type", "")
    target = request.headers.get("x-amz-target", "")
    if target:
        request.operation = target.rsplit(".", 1)[-1]
        try:
            request.params = json.loads(request.body or b"{}")
        except ValueError:
            request.params = {}
    elif request.service == "monitoring" and "/operation/" in request.path:
        from .cloudwatch_cbor import loads

        request.operation = request.path.rstrip("/").rsplit("/", 1)[-1]
        try:
            request.params = loads(request.body) if request.body else {}
        except Exception:
            request.params = {}
    elif request.service in (
        "cloudformation",
        "iam",
        "sts",
        "monitoring",
        "sqs",
        "autoscaling",
        "elasticloadbalancing",
    ):
        form = (
            urllib.parse.parse_qs(request.body.decode("utf-8", "replace"))
            if ("x-www-form-urlencoded" in content_type)
            else {}
        )
        merged = {**request.query, **form}
        request.params = {k: v[0] for k, v in merged.items()}
        request.operation = request.params.get("Action", "")


def _credential(headers: dict[str, str]) -> tuple[str, str, str] | None:
    authorization = headers.get("authorization", "")
    match = re.search(r"Credential=([^/]+)/[^/]+/([^/]+)/([^/]+)/", authorization)
    return (match.group(1), match.group(2), match.group(3)) if match else None


def _respond(
    start_response: Any, status: int, headers: list[tuple[str, str]], body: bytes
) -> list[bytes]:
    reasons = {200: "OK", 400: "Bad Request", 403: "Forbidden"}
    start_response(
        f"{status} {reasons.get(status, 'Error')}", [*headers, ("Content-Length", str(len(body)))]
    )
    return [body]


def current_caller() -> Principal | None:
    """The enforced caller of the request being served (None: not enforced)."""
    return getattr(_local, "caller", None)


def current_role_arn() -> str | None:
    """``RoleARN`` of the request being served, if any."""
    return getattr(_local, "role_arn", None)


def _serve(app: Any, original: Any, environ: dict[str, Any], start_response: Any) -> Any:
    headers = {
        key[5:].replace("_", "-").lower(): value
        for key, value in environ.items()
        if key.startswith("HTTP_")
    }
    if environ.get("CONTENT_TYPE"):
        headers["content-type"] = environ["CONTENT_TYPE"]
    credential = _credential(headers)
    caller = user_for_access_key(credential[0]) if credential else None
    if caller is None:
        return original(app, environ, start_response)
    _, region, service = credential
    path = environ.get("PATH_INFO", "")
    query = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    method = environ.get("REQUEST_METHOD", "GET").upper()
    body = b""
    needs_body = service != "s3" or (method == "POST" and "delete" in query)
    if needs_body:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length > 0 else b""
        environ["wsgi.input"] = io.BytesIO(body)
    request = Request(service, region, caller.account, method, path, query, headers, body)
    _read_params(request)
    handler = SERVICES.get(service)
    try:
        if handler is None:
            raise NotModelled()
        checks = handler(request)
    except NotModelled:
        name = request.operation or f"{method} {path}"
        message = (
            f"User: {caller.arn} is not authorized to perform: {service} {name}: worktime's AWS "
            "model does not map this operation to its action and resources (iam_identity.py)"
        )
        return _respond(start_response, *_answer(request, message))
    message = first_denial(caller, checks)
    if message is not None:
        return _respond(start_response, *_answer(request, message))
    if service == "s3" and method == "POST" and "delete" in query:
        answered = _delete_objects(request, caller)
        if answered is not None:
            return _respond(start_response, *answered)
    _local.caller = caller
    _local.role_arn = request.params.get("RoleARN") if service == "cloudformation" else None
    try:
        return original(app, environ, start_response)
    finally:
        _local.caller = None
        _local.role_arn = None


# ---------------------------------------------------------------------------- CloudFormation


def _has_tags(props: dict[str, Any], stack_tags: dict[str, str]) -> bool:
    user_tags = {k for k in stack_tags if not k.startswith("aws:")}
    return bool(props.get("Tags")) or bool(user_tags)


def _tag_context(props: dict[str, Any], stack_tags: dict[str, str]) -> dict[str, Any]:
    tags = {k: v for k, v in stack_tags.items() if not k.startswith("aws:")}
    own = props.get("Tags") or []
    if isinstance(own, list):
        tags.update({t.get("Key"): t.get("Value") for t in own if isinstance(t, dict)})
    elif isinstance(own, dict):
        tags.update(own)
    if not tags:
        return {}
    return {"aws:TagKeys": list(tags), **{f"aws:RequestTag/{k}": v for k, v in tags.items()}}


@dataclass
class Resource:
    """One stack resource as the handler sees it: type, resolved properties, ARN helpers."""

    resource_type: str
    logical_id: str
    props: dict[str, Any]
    physical_name: str
    region: str
    account: str
    stack_tags: dict[str, str]

    def arn(self, service: str, resource: str) -> str:
        return _arn(service, self.region, self.account, resource)


def _role_name_arn(r: Resource, name: str) -> str:
    path = r.props.get("Path") or "/"
    return f"arn:aws:iam::{r.account}:role{path}{name}"


def _iam_role(r: Resource, operation: str, old: dict[str, Any] | None) -> list[Check]:
    arn = _role_name_arn(r, r.physical_name)
    tags = _tag_context(r.props, r.stack_tags)
    if operation == "create":
        checks = [Check("iam:CreateRole", arn, tags)]
        if tags:
            checks.append(Check("iam:TagRole", arn, tags))
        if r.props.get("Policies"):
            checks.append(Check("iam:PutRolePolicy", arn))
        if r.props.get("ManagedPolicyArns"):
            checks.append(Check("iam:AttachRolePolicy", arn))
        checks.append(Check("iam:GetRole", arn))
        return checks
    if operation == "update":
        old = old or {}
        checks = []
        if old.get("AssumeRolePolicyDocument") != r.props.get("AssumeRolePolicyDocument"):
            checks.append(Check("iam:UpdateAssumeRolePolicy", arn))
        if old.get("Description") != r.props.get("Description") or old.get(
            "MaxSessionDuration"
        ) != r.props.get("MaxSessionDuration"):
            checks.append(Check("iam:UpdateRole", arn))
        if old.get("Policies") != r.props.get("Policies"):
            checks.append(Check("iam:PutRolePolicy", arn))
        return checks
    return [
        Check("iam:ListAttachedRolePolicies", arn),
        Check("iam:ListRolePolicies", arn),
        Check("iam:DeleteRole", arn),
    ]


def _iam_policy(r: Resource, operation: str, old: dict[str, Any] | None) -> list[Check]:
    action = "iam:DeleteRolePolicy" if operation == "delete" else "iam:PutRolePolicy"
    return [Check(action, _role_arn(r.account, role)) for role in r.props.get("Roles") or []]


def _lambda_function(r: Resource, operation: str, old: dict[str, Any] | None) -> list[Check]:
    arn = r.arn("lambda", f"function:{r.physical_name}")
    tags = _tag_context(r.props, r.stack_tags)
    code = r.props.get("Code") or {}

    def code_checks() -> list[Check]:
        if not code.get("S3Bucket"):
            return []
        obj = f"arn:aws:s3:::{code['S3Bucket']}/{code.get('S3Key', '')}"
        checks = [Check("s3:GetObject", obj)]
        if code.get("S3ObjectVersion"):
            checks.append(Check("s3:GetObjectVersion", obj))
        return checks

    role = r.props.get("Role")
    if operation == "create":
        checks = [Check("lambda:CreateFunction", arn, tags)]
        if role:
            checks.append(_pass_role(role, "lambda.amazonaws.com"))
        checks += code_checks()
        if tags:
            checks.append(Check("lambda:TagResource", arn, tags))
        if r.props.get("ReservedConcurrentExecutions") is not None:
            checks.append(Check("lambda:PutFunctionConcurrency", arn))
        checks.append(Check("lambda:GetFunction", arn))
        return checks
    if operation == "update":
        old = old or {}
        checks = [Check("lambda:GetFunction", arn)]
        if old.get("Code") != code:
            checks.append(Check("lambda:UpdateFunctionCode", arn))
            checks += code_checks()
        config_keys = set(r.props) | set(old)
        config_keys -= {"Code", "Tags", "ReservedConcurrentExecutions", "FunctionName"}
        if any(old.get(k) != r.props.get(k) for k in config_keys):
            checks.append(Check("lambda:UpdateFunctionConfiguration", arn))
            if role and old.get("Role") != role:
                checks.append(_pass_role(role, "lambda.amazonaws.com"))
        before = old.get("ReservedConcurrentExecutions")
        after = r.props.get("ReservedConcurrentExecutions")
        if before != after:
            action = (
                "lambda:DeleteFunctionConcurrency"
                if after is None
                else "lambda:PutFunctionConcurrency"
            )
            checks.append(Check(action, arn))
        return checks
    return [Check("lambda:DeleteFunction", arn)]


def _function_of(r: Resource) -> str:
    name = str(r.props.get("FunctionName", ""))
    if name.startswith("arn:"):
        return ":".join(name.split(":")[:7])
    return r.arn("lambda", f"function:{name.split(':')[0]}")


def _lambda_permission(r: Resource, operation: str, old: dict[str, Any] | None) -> list[Check]:
    action = "lambda:RemovePermission" if operation == "delete" else "lambda:AddPermission"
    return [Check(action, _function_of(r))]


def _lambda_event_invoke(r: Resource, operation: str, old: dict[str, Any] | None) -> list[Check]:
    action = {
        "create": "lambda:PutFunctionEventInvokeConfig",
        "update": "lambda:UpdateFunctionEventInvokeConfig",
        "delete": "lambda:DeleteFunctionEventInvokeConfig",
    }[operation]
    return [Check(action, _function_of(r))]


def _log_group(r: Resource, operation: str, old: dict[str, Any] | None) -> list[Check]:
    name = r.physical_name
    legacy = r.arn("logs", f"log-group:{name}:log-stream:")
    tagged = r.arn("logs", f"log-group:{name}")
    describe = Check("logs:DescribeLogGroups", r.arn("logs", "log-group::log-stream:"))
    tags = _tag_context(r.props, r.stack_tags)
    if operation == "create":
        checks = [describe, Check("logs:CreateLogGroup", legacy, tags)]
        if tags:
            checks.append(Check("logs:TagResource", tagged, tags))
        if r.props.get("RetentionInDays"):
            checks.append(Check("logs:PutRetentionPolicy", legacy))
        return checks
    if operation == "update":
        old = old or {}
        checks = [describe]
        if old.get("RetentionInDays") != r.props.get("RetentionInDays"):
            action = (
                "logs:PutRetentionPolicy"
                if r.props.get("RetentionInDays")
                else "logs:DeleteRetentionPolicy"
            )
            checks.append(Check(action, legacy))
        return checks
    return [describe, Check("logs:DeleteLogGroup", legacy)]


def _queue(r: Resource, operation: str, old: dict[str, Any] | None) -> list[Check]:
    arn = r.arn("sqs", r.physical_name)
    tags = _tag_context(r.props, r.stack_tags)
    if operation == "create":
        checks = [Check("sqs:CreateQueue", arn, tags)]
        if tags:
            checks.append(Check("sqs:TagQueue", arn, tags))
        return checks + [Check("sqs:GetQueueUrl", arn), Check("sqs:GetQueueAttributes", arn)]
    if operation == "update":
        return [Check("sqs:SetQueueAttributes", arn), Check("sqs:GetQueueAttributes", arn)]
    return [Check("sqs:GetQueueAttributes", arn), Check("sqs:DeleteQueue", arn)]


def _alarm(r: Resource, operation: str, old: dict[str, Any] | None) -> list[Check]:
    arn = r.arn("cloudwatch", f"alarm:{r.physical_name}")
    tags = _tag_context(r.props, r.stack_tags)
    if operation == "delete":
        return [Check("cloudwatch:DescribeAlarms", arn), Check("cloudwatch:DeleteAlarms", arn)]
    checks = [
        Check("cloudwatch:PutMetricAlarm", arn, tags),
        Check("cloudwatch:DescribeAlarms", arn),
    ]
    if operation == "create" and tags:
        checks.append(Check("cloudwatch:TagResource", arn, tags))
    return checks


def _rule(r: Resource, operation: str, old: dict[str, Any] | None) -> list[Check]:
    bus = r.props.get("EventBusName")
    path = (
        f"rule/{bus}/{r.physical_name}" if bus and bus != "default" else f"rule/{r.physical_name}"
    )
    arn = r.arn("events", path)
    tags = _tag_context(r.props, r.stack_tags)
    describe = Check("events:DescribeRule", arn)
    if operation == "delete":
        return [
            describe,
            Check("events:ListTargetsByRule", arn),
            Check("events:RemoveTargets", arn),
            Check("events:DeleteRule", arn),
        ]
    checks = [describe, Check("events:PutRule", arn, tags)]
    if operation == "create" and tags:
        checks.append(Check("events:TagResource", arn, tags))
    targets = r.props.get("Targets") or []
    if targets:
        checks.append(Check("events:PutTargets", arn))
        for target in targets:
            if isinstance(target, dict) and target.get("RoleArn"):
                checks.append(_pass_role(target["RoleArn"], "events.amazonaws.com"))
    if operation == "update" and old is not None:
        old_ids = {t.get("Id") for t in old.get("Targets") or [] if isinstance(t, dict)}
        new_ids = {t.get("Id") for t in targets if isinstance(t, dict)}
        if old_ids - new_ids:
            checks.append(Check("events:RemoveTargets", arn))
    return checks


def _schedule(r: Resource, operation: str, old: dict[str, Any] | None) -> list[Check]:
    group = r.props.get("GroupName") or "default"
    arn = r.arn("scheduler", f"schedule/{group}/{r.physical_name}")
    if operation == "delete":
        return [Check("scheduler:GetSchedule", arn), Check("scheduler:DeleteSchedule", arn)]
    action = "scheduler:CreateSchedule" if operation == "create" else "scheduler:UpdateSchedule"
    checks = [Check(action, arn), Check("scheduler:GetSchedule", arn)]
    role = (r.props.get("Target") or {}).get("RoleArn")
    if role:
        checks.append(_pass_role(role, "scheduler.amazonaws.com"))
    return checks


def _target_group(r: Resource, operation: str, old: dict[str, Any] | None) -> list[Check]:
    # Registry schema of AWS::ElasticLoadBalancingV2::TargetGroup (handlers); the group's ARN
    # ends in an id only AWS knows: `targetgroup/<name>/*` stands for it.
    arn = r.arn("elasticloadbalancing", f"targetgroup/{r.physical_name}/*")
    describe = Check("elasticloadbalancing:DescribeTargetGroups", "*")
    if operation == "delete":
        return [describe, Check("elasticloadbalancing:DeleteTargetGroup", arn)]
    tags = _tag_context(r.props, r.stack_tags)
    checks = [describe]
    if operation == "create":
        checks.append(Check("elasticloadbalancing:CreateTargetGroup", arn, tags))
        if tags:
            checks.append(Check("elasticloadbalancing:AddTags", arn, tags))
    else:
        checks.append(Check("elasticloadbalancing:ModifyTargetGroup", arn))
    if r.props.get("Targets"):
        checks.append(Check("elasticloadbalancing:RegisterTargets", arn))
    return checks


# Per resource type: the calls its handler makes (registry schema ``handlers``, narrowed to
# the properties given; see the module docstring).
HANDLERS: dict[str, Callable[[Resource, str, dict[str, Any] | None], list[Check]]] = {
    "AWS::IAM::Role": _iam_role,
    "AWS::IAM::Policy": _iam_policy,
    "AWS::Lambda::Function": _lambda_function,
    "AWS::Lambda::Permission": _lambda_permission,
    "AWS::Lambda::EventInvokeConfig": _lambda_event_invoke,
    "AWS::Logs::LogGroup": _log_group,
    "AWS::SQS::Queue": _queue,
    "AWS::CloudWatch::Alarm": _alarm,
    "AWS::Events::Rule": _rule,
    "AWS::Scheduler::Schedule": _schedule,
    "AWS::ElasticLoadBalancingV2::TargetGroup": _target_group,
}

# Each stack resource's properties as last created or updated (resolved), by stack id and
# logical id: an update's handler compares them, a delete's handler names the resource.
_resolved: dict[tuple[str, str], dict[str, Any]] = {}


def _actor(stack: Any) -> Principal | None:
    """Who CloudFormation acts as for this stack's current operation (None: not enforced)."""
    caller = current_caller()
    if caller is None or getattr(_local, "rolling_back", False):
        return None
    role = (
        current_role_arn()
        or getattr(_local, "operation_role", None)
        or getattr(stack, "role_arn", None)
    )
    if role:
        return role_principal(role, caller.account)
    return caller


def _handler_failure(resource: Resource, operation: str, message: str) -> Exception:
    from .cfn_failures import ResourceHandlerFailure

    service = resource.resource_type.split("::")[1]
    return ResourceHandlerFailure(
        resource.logical_id,
        resource.resource_type,
        operation.upper(),
        service,
        message,
        "AccessDenied",
        status_code=403,
    )


def authorize_handler(
    stack: Any, resource: Resource, operation: str, old: dict[str, Any] | None
) -> None:
    actor = _actor(stack)
    if actor is None:
        return
    handler = HANDLERS.get(resource.resource_type)
    if handler is None:
        raise _handler_failure(
            resource,
            operation,
            "worktime's AWS model does not know the handler permissions of "
            f"{resource.resource_type}",
        )
    message = first_denial(actor, handler(resource, operation, old))
    if message is not None:
        raise _handler_failure(resource, operation, message)


def _find_stack(account: str, region: str, stack_id: str) -> Any:
    from moto.cloudformation.models import cloudformation_backends

    backend = cloudformation_backends[account][region]
    return backend.stacks.get(stack_id) or backend.deleted_stacks.get(stack_id)


def install() -> None:
    import moto.cloudformation.parsing as parsing
    from moto.cloudformation.models import CloudFormationBackend
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    from . import cfn_failures

    original_call = DomainDispatcherApplication.__call__

    def __call__(self, environ, start_response):  # type: ignore[no-untyped-def]
        return _serve(self, original_call, environ, start_response)

    DomainDispatcherApplication.__call__ = __call__

    original_create = parsing.parse_and_create_resource
    original_update = parsing.parse_and_update_resource
    original_delete = parsing.ResourceMap._delete_resource

    def resource_of(
        logical_id: str, resource_json: dict[str, Any], resources_map: Any
    ) -> Resource | None:
        import copy

        parsed = parsing.parse_resource_and_generate_name(
            logical_id, copy.deepcopy(resource_json), resources_map
        )
        if not parsed:
            return None
        _, resolved, name = parsed
        return Resource(
            resolved["Type"],
            logical_id,
            resolved.get("Properties") or {},
            str(name),
            resources_map._region_name,
            resources_map._account_id,
            dict(resources_map.tags or {}),
        )

    def parse_and_create_resource(
        logical_id, resource_json, resources_map, account_id, region_name
    ):  # type: ignore[no-untyped-def]
        condition = resource_json.get("Condition")
        if not (condition and not resources_map.lazy_condition_map[condition]):
            resource = resource_of(logical_id, resource_json, resources_map)
            if resource is not None:
                stack = _find_stack(account_id, region_name, resources_map.stack_id)
                authorize_handler(stack, resource, "create", None)
                _resolved[(resources_map.stack_id, logical_id)] = resource.props
        return original_create(logical_id, resource_json, resources_map, account_id, region_name)

    def parse_and_update_resource(
        logical_id, resource_json, resources_map, account_id, region_name
    ):  # type: ignore[no-untyped-def]
        resource = resource_of(logical_id, resource_json, resources_map)
        if resource is not None:
            stack = _find_stack(account_id, region_name, resources_map.stack_id)
            old = _resolved.get((resources_map.stack_id, logical_id))
            authorize_handler(stack, resource, "update", old)
            _resolved[(resources_map.stack_id, logical_id)] = resource.props
        return original_update(logical_id, resource_json, resources_map, account_id, region_name)

    def _delete_resource(self, parsed_resource, resource_json):  # type: ignore[no-untyped-def]
        logical_id = getattr(parsed_resource, "logical_resource_id", None) or ""
        props = _resolved.get((self.stack_id, logical_id), resource_json.get("Properties") or {})
        name_property = parsing.resource_name_property_from_type(resource_json["Type"])
        name = props.get(name_property) if name_property else None
        name = name or getattr(parsed_resource, "physical_resource_id", None) or ""
        resource = Resource(
            resource_json["Type"],
            logical_id,
            props,
            str(name),
            self._region_name,
            self._account_id,
            dict(self.tags or {}),
        )
        stack = _find_stack(self._account_id, self._region_name, self.stack_id)
        authorize_handler(stack, resource, "delete", None)
        return original_delete(self, parsed_resource, resource_json)

    parsing.parse_and_create_resource = parse_and_create_resource
    parsing.parse_and_update_resource = parse_and_update_resource
    parsing.ResourceMap._delete_resource = _delete_resource

    # A rollback's own calls are not checked.
    for name in ("fail_create", "fail_update"):
        original = getattr(cfn_failures, name)

        def rolling_back(*args, _original=original, **kwargs):  # type: ignore[no-untyped-def]
            _local.rolling_back = True
            try:
                return _original(*args, **kwargs)
            finally:
                _local.rolling_back = False

        setattr(cfn_failures, name, rolling_back)

    # ExecuteChangeSet: CloudFormation acts as the change set's role, if it has one.
    original_execute = CloudFormationBackend.execute_change_set

    def execute_change_set(self, change_set_name, stack_name=None):  # type: ignore[no-untyped-def]
        role = None
        for change_set in list(self.change_sets.values()):
            if change_set_name in (change_set.change_set_id, change_set.change_set_name):
                role = change_set.role_arn
        _local.operation_role = role
        try:
            return original_execute(self, change_set_name, stack_name)
        finally:
            _local.operation_role = None

    CloudFormationBackend.execute_change_set = execute_change_set

    # DeleteStack: a denied deletion fails the resource; `cfn_failures` leaves the stack
    # DELETE_FAILED.
    __call__.__doc__ = __doc__
