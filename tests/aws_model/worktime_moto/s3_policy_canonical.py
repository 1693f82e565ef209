"""S3 bucket policies: ``GetBucketPolicy`` answers in S3's own canonical form, not as written.

AWS: S3 keeps a bucket policy's string-or-list values as sets and answers ``GetBucketPolicy``
with its own rendering of them. This is not in the S3 API reference; it is reported in public
issues of tools that read the policy back and compare it with what they wrote:

- hashicorp/terraform issue #2432 (comment of 2016-01-20): "AWS will collapse arrays with one
  element. i.e. ``"Action": ["s3:PutObject"]`` becomes ``"Action": "s3:PutObject"``"; "AWS
  will change the ordering of elements in arrays arbitrarily", and the order "even differs
  between AWS accounts";
- hashicorp/terraform pull request #7785 ("Normalize IAM policy documents"): "Arrays of length
  1 become single strings because this is how they are returned from AWS APIs. Arrays of
  length more than 1 are sorted because AWS stores them as sets and returns them in random
  order." (hashicorp/terraform issue #4948 points to the earlier pull request #4278 on the
  same normalisation; its text was not available offline);
- ansible/ansible issue #29341 (from ansible-modules-extras #2618): "upon downloading the
  current policy the Principal['AWS'] attribute is returned as a string instead of a list";
  ansible/ansible issue #42532, "AWS s3_bucket Bucket policy failed to apply in the expected
  time": the message the module gives when the policy it reads back after a put never
  matches the one it put;
- aws/aws-cdk issue #9334: ``"Principal": {"AWS": "123456789123"}`` saved on a bucket policy
  comes back as ``{"AWS": "arn:aws:iam::123456789123:root"}``.

And the IAM User Guide, "AWS JSON policy elements: Principal", AWS account principals
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html):
"When you specify an AWS account, you can use the account ARN
(arn:aws:iam::account-ID:root), or a shortened form that consists of the "AWS": prefix
followed by the account ID. [...] The account ARN and the shortened account ID behave the same
way." (as quoted by an AWS re:Post answer citing the page; the stored copy of the page at
hand has only its introduction).

moto 5.2.5 stores the policy document as written and answers ``GetBucketPolicy`` with it byte
for byte, so a client that compares the policy it wrote with the one it reads back passes
against moto and fails against AWS.

Modelled, in the answer of ``GetBucketPolicy`` only (the stored document stays as written, so
``s3_tls``'s evaluation of the policy, ``GetBucketPolicyStatus`` and moto's own checks see what
was put; the canonical form means the same):

- in each statement (``Statement`` a list of objects, or one object), the values of
  ``Action``, ``NotAction``, ``Resource``, ``NotResource``, of each key of a ``Principal`` /
  ``NotPrincipal`` object (``AWS``, ``Service``, ``Federated``, ``CanonicalUser``) and of each
  condition key under each ``Condition`` operator: a one-element list becomes its element;
  a list of two or more comes back in descending order of its elements' JSON text. AWS's
  order is unspecified and reported to vary: the model needs one order that depends only on
  the set of values (so an answer is the same every time) and that differs from the ascending
  or written order writers commonly use, so that a comparison that depends on order fails
  here as it would on AWS;
- a 12-digit account id in ``Principal.AWS`` / ``NotPrincipal.AWS`` becomes
  ``arn:<partition>:iam::<id>:root``, the partition the bucket's region's;
- everything else is answered as written (``"Principal": "*"``, ``Version``, ``Id``, ``Sid``,
  ``Effect``, key order, JSON booleans and numbers in conditions), as is a document that is
  not JSON of that shape.

Not modelled: duplicates in a list (AWS's handling is not documented; kept as written), the
whitespace of AWS's answer, ``Statement`` itself (a one-statement list stays a list), other
services' resource policies, IAM's own policy documents, and AWS's validation of principals
(an account id that does not exist is accepted).
"""

from __future__ import annotations

import json
import re
from typing import Any

ARRAY_ELEMENTS = ("Action", "NotAction", "Resource", "NotResource")
PRINCIPAL_ELEMENTS = ("Principal", "NotPrincipal")
ACCOUNT_ID = re.compile(r"^\d{12}$")


def _set_value(values: Any) -> Any:
    """A string-or-list value as S3 answers it (see the module docstring)."""
    if not isinstance(values, list):
        return values
    if len(values) == 1:
        return values[0]
    return sorted(values, key=lambda v: json.dumps(v, sort_keys=True), reverse=True)


def _principal(principal: Any, partition: str) -> Any:
    if not isinstance(principal, dict):
        return principal  # "*"
    out = {}
    for kind, ids in principal.items():
        if kind == "AWS":
            listed = ids if isinstance(ids, list) else [ids]
            expanded = [
                f"arn:{partition}:iam::{i}:root"
                if isinstance(i, str) and ACCOUNT_ID.match(i)
                else i
                for i in listed
            ]
            ids = expanded if isinstance(ids, list) else expanded[0]
        out[kind] = _set_value(ids)
    return out


def _condition(condition: Any) -> Any:
    if not isinstance(condition, dict):
        return condition
    return {
        operator: (
            {key: _set_value(values) for key, values in pairs.items()}
            if isinstance(pairs, dict)
            else pairs
        )
        for operator, pairs in condition.items()
    }


def _statement(statement: Any, partition: str) -> Any:
    if not isinstance(statement, dict):
        return statement
    out = {}
    for element, value in statement.items():
        if element in ARRAY_ELEMENTS:
            value = _set_value(value)
        elif element in PRINCIPAL_ELEMENTS:
            value = _principal(value, partition)
        elif element == "Condition":
            value = _condition(value)
        out[element] = value
    return out


def canonical(document: str, partition: str) -> str:
    """A bucket policy document as ``GetBucketPolicy`` answers it on AWS."""
    try:
        policy = json.loads(document)
    except ValueError:
        return document
    if not isinstance(policy, dict):
        return document
    statements = policy.get("Statement")
    if isinstance(statements, list):
        policy["Statement"] = [_statement(s, partition) for s in statements]
    elif isinstance(statements, dict):
        policy["Statement"] = _statement(statements, partition)
    return json.dumps(policy)


def install() -> None:
    from moto.s3.responses import S3Response

    original = S3Response.get_bucket_policy

    def get_bucket_policy(self):  # type: ignore[no-untyped-def]
        status, headers, body = original(self)
        partition = self.backend.get_bucket(self.bucket_name).partition
        text = body.decode() if isinstance(body, bytes) else body
        return status, headers, canonical(text, partition)

    get_bucket_policy.__doc__ = __doc__
    S3Response.get_bucket_policy = get_bucket_policy  # type: ignore[method-assign]
