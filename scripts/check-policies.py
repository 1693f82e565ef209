#!/usr/bin/env python3
"""Checks the IAM policies `worktime policy --for all` prints for every examples/*.toml, as
parliament-style linters do, against the Service Authorization Reference as policy_sentry
bundles it (pinned in requirements-dev.txt):

- every action exists (a misspelt action is granted nothing on AWS and fails only in use);
- no action is a wildcard (`s3:*`, `ecs:Describe*`);
- `"Resource": "*"` only for actions that have no resource-level permissions (every one of
  the statement's actions lists no resource type), since `*` on any other action grants it
  on every resource of the account;
  The one exception is tagging at creation: a `Create*` action with tags also authorizes
  `TagResource` on a resource that does not exist yet, so AWS documents it on `"*"` (KMS:
  https://docs.aws.amazon.com/kms/latest/developerguide/create-keys.html#iam-policy-create-key);
  it is accepted only beside that `Create*` action and narrowed by `aws:RequestTag/...`;
- condition keys are global (`aws:`) or of a service whose action the statement grants.
  (Per-action condition keys are not checked: the bundled data leaves out some AWS documents,
  such as `ecs:cluster` on `ecs:ListServices` and `iam:PassedToService` on `iam:PassRole`.)

Usage: scripts/check-policies.py [WORKTIME_BIN] (default target/debug/worktime)
Both the plain policies and, for examples with `execution_role_arn`, `--execution-role`.
Exits 1 naming each finding.
"""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys

from policy_sentry.querying.actions import get_action_data

ROOT = pathlib.Path(__file__).resolve().parent.parent
ACCOUNT = "123456789012"


def resource_types(action: str) -> list[str] | None:
    """The ARN formats AWS lists for `action` ("*" when it has no resource type), or None
    when AWS does not know the action."""
    service, name = action.split(":", 1)
    data = get_action_data(service, name)
    entries = data.get(service) if isinstance(data, dict) else None
    matches = [e for e in entries or [] if e["action"].lower() == action.lower()]
    if not matches:
        return None
    return [e["resource_arn_format"] for e in matches]


def tagged_at_creation(action: str, actions: list[str], condition: dict) -> bool:
    service, name = action.split(":", 1)
    return (
        name == "TagResource"
        and any(a.startswith(f"{service}:Create") for a in actions)
        and any(k.startswith("aws:RequestTag/") for keys in condition.values() for k in keys)
    )


def statement_findings(where: str, statement: dict) -> list[str]:
    findings = []
    actions = statement["Action"]
    actions = [actions] if isinstance(actions, str) else actions
    resources = statement.get("Resource", [])
    resources = [resources] if isinstance(resources, str) else resources
    sid = statement.get("Sid", "?")
    for action in actions:
        if "*" in action:
            findings.append(f"{where} {sid}: wildcard action {action}")
            continue
        formats = resource_types(action)
        if formats is None:
            findings.append(f"{where} {sid}: {action} is not an AWS action")
            continue
        condition = statement.get("Condition") or {}
        if (
            "*" in resources
            and any(f != "*" for f in formats)
            and not tagged_at_creation(action, actions, condition)
        ):
            findings.append(
                f'{where} {sid}: {action} on "*", but it has resource-level permissions '
                f"({', '.join(f for f in formats if f != '*')})"
            )
    services = {a.split(":", 1)[0] for a in actions}
    for operator, keys in (statement.get("Condition") or {}).items():
        for key in keys:
            prefix = key.split(":", 1)[0]
            if prefix != "aws" and prefix not in services:
                findings.append(
                    f"{where} {sid}: condition key {key} ({operator}) belongs to no "
                    "service the statement grants"
                )
    return findings


def policies(worktime: str, config: pathlib.Path, execution_role: bool) -> list[dict]:
    args = [
        worktime,
        "--output",
        "json",
        "policy",
        "--for",
        "all",
        "--account",
        ACCOUNT,
        "--config",
        str(config),
    ]
    if execution_role:
        args.append("--execution-role")
    run = subprocess.run(args, capture_output=True, text=True, check=False)
    if run.returncode != 0:
        command = " ".join(args)
        raise SystemExit(f"check-policies: {command} exited {run.returncode}: {run.stderr.strip()}")
    return json.loads(run.stdout)["policies"]


def main() -> int:
    worktime = sys.argv[1] if len(sys.argv) > 1 else str(ROOT / "target/debug/worktime")
    findings: list[str] = []
    checked = 0
    configs = sorted((ROOT / "examples").glob("*.toml"))
    for config in configs:
        variants = [False]
        if "execution_role_arn" in config.read_text():
            variants.append(True)
        for execution_role in variants:
            for policy in policies(worktime, config, execution_role):
                flag = " --execution-role" if execution_role else ""
                where = f"{config.name}{flag} [{policy['name']}]"
                for statement in policy["document"]["Statement"]:
                    checked += 1
                    findings.extend(statement_findings(where, statement))
    for finding in findings:
        print(finding, file=sys.stderr)
    print(
        f"check-policies: {checked} statements in the policies of {len(configs)} examples, "
        f"{len(findings)} finding(s)"
    )
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
