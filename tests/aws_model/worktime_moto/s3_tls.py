"""S3 bucket policies: the ``aws:SecureTransport`` condition, with loopback HTTP standing in
for AWS's HTTPS.

AWS: the global condition key ``aws:SecureTransport`` is ``true`` for a request sent over TLS
and ``false`` otherwise (IAM User Guide, "AWS global condition context keys",
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html); a
bucket that accepts only HTTPS has a policy statement that denies ``s3:*`` when
``"Bool": {"aws:SecureTransport": "false"}`` (AWS knowledge center, "s3-bucket-ssl-requests-only",
https://repost.aws/knowledge-center/s3-bucket-policy-for-config-rule; S3 User Guide,
"Protecting data in transit with encryption",
https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingEncryptionInTransit.html: "Amazon
S3 supports both HTTP and HTTPS protocols for data transmission."). Paraphrased: the exact
wording of the first two pages was not available offline when this was written.

moto 5.2.5 evaluates a bucket policy on object operations but ignores ``Bool`` conditions, so
``Deny s3:* if aws:SecureTransport = false`` denies every request, over HTTP and HTTPS alike.

Modelled, in bucket-policy evaluation for the object operations moto checks (GetObject,
PutObject, DeleteObject, HeadObject, DeleteObjects' keys):

- a statement whose ``Condition`` uses only ``Bool`` / ``BoolIfExists`` on
  ``aws:SecureTransport`` (key matched case-insensitively; expected values ``"true"`` /
  ``"false"``, strings or JSON booleans, one or a list) applies only when the request's
  ``aws:SecureTransport`` is one of the expected values; when it applies, it is evaluated as
  moto evaluates an unconditioned statement (Effect, Action, Resource, ``"*"`` principal);
- the request's ``aws:SecureTransport`` is ``true`` when it arrived over TLS (``moto_server``
  with ``-s`` or ``-c``/``-k``) and ALSO when it arrived over plain HTTP from a loopback
  address (127.0.0.0/8, ::1): the test endpoint listens on 127.0.0.1 only, where plain HTTP
  stands in for the HTTPS every AWS SDK uses against AWS. Setting
  ``WORKTIME_MOTO_LOOPBACK_IS_TLS=false`` on the server makes loopback HTTP count as what it
  is (``false``), so a TLS-only policy then denies it; plain HTTP from any other address is
  always ``false``;
- a statement with no condition is unchanged (a ``Deny`` still denies), and a statement with
  any other condition keeps moto's behaviour (condition ignored).

Not modelled: other condition keys and operators, principals other than ``"*"``,
bucket-level operations (moto checks no bucket policy there), IAM identity policies.
"""

from __future__ import annotations

import ipaddress
import json
import os
import threading
from typing import Any

SECURE_TRANSPORT = "aws:securetransport"
LOOPBACK_VAR = "WORKTIME_MOTO_LOOPBACK_IS_TLS"

_request = threading.local()


def secure_transport() -> bool:
    """The current request's ``aws:SecureTransport`` (see the module docstring)."""
    scheme = getattr(_request, "scheme", None)
    if scheme == "https":
        return True
    remote = getattr(_request, "remote", None)
    if scheme is None:  # not through the server (moto used in-process): like loopback
        remote = "127.0.0.1"
    try:
        loopback = remote is not None and ipaddress.ip_address(remote).is_loopback
    except ValueError:
        loopback = False
    loopback_is_tls = os.environ.get(LOOPBACK_VAR, "true").strip().lower() not in (
        "false",
        "0",
        "no",
    )
    return loopback and loopback_is_tls


def _modelled(condition: Any) -> bool:
    if not isinstance(condition, dict) or not condition:
        return False
    for operator, pairs in condition.items():
        if operator not in ("Bool", "BoolIfExists") or not isinstance(pairs, dict):
            return False
        if not pairs or any(key.lower() != SECURE_TRANSPORT for key in pairs):
            return False
    return True


def _holds(condition: dict[str, Any], actual: bool) -> bool:
    value = "true" if actual else "false"
    for pairs in condition.values():
        for expected in pairs.values():
            expected_values = expected if isinstance(expected, list) else [expected]
            if value not in {str(v).strip().lower() for v in expected_values}:
                return False
    return True


def evaluate(policy_document: str, action: str, resource: str) -> Any:
    """moto's bucket-policy evaluation, with ``aws:SecureTransport`` conditions evaluated."""
    from moto.iam.access_control import IAMPolicyStatement, PermissionResult

    statements = json.loads(policy_document).get("Statement", [])
    if isinstance(statements, dict):
        statements = [statements]
    permitted = False
    for statement in statements:
        condition = statement.get("Condition")
        if condition is not None and _modelled(condition):
            if not _holds(condition, secure_transport()):
                continue  # the statement does not apply to this request
            statement = {k: v for k, v in statement.items() if k != "Condition"}
        result = IAMPolicyStatement(statement).is_action_permitted(action, resource)
        if result == PermissionResult.DENIED:
            return PermissionResult.DENIED
        if result == PermissionResult.PERMITTED:
            permitted = True
    return PermissionResult.PERMITTED if permitted else PermissionResult.NEUTRAL


def install() -> None:
    from moto.iam.access_control import PermissionResult
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication
    from moto.s3.models import FakeBucket

    original_call = DomainDispatcherApplication.__call__

    def __call__(self, environ, start_response):  # type: ignore[no-untyped-def]
        _request.scheme = environ.get("wsgi.url_scheme")
        _request.remote = environ.get("REMOTE_ADDR")
        return original_call(self, environ, start_response)

    def get_permission(self, action, resource):  # type: ignore[no-untyped-def]
        if self.policy is None:
            return PermissionResult.NEUTRAL
        policy = self.policy.decode() if isinstance(self.policy, bytes) else self.policy
        return evaluate(policy, action, resource)

    get_permission.__doc__ = __doc__
    DomainDispatcherApplication.__call__ = __call__
    FakeBucket.get_permission = get_permission
