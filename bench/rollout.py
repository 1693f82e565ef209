"""Rollout benchmark (issue 5): `worktime rollout` to 10 accounts (one region each) against
`worktime bootstrap` into 1 account, whole process, in the same run, on the same moto
server (state reset before every run, so every run creates its stacks from nothing).

Target: rollout(10) / deploy(1) <= 2.5 (wall, medians).

Measured twice: straight against moto, where every call costs the server a few milliseconds
of Python and the server answers one request at a time (so ten targets are ten times the
server work whatever the client's concurrency), and through bench/latency_proxy.py, which
adds a fixed delay per request as a model of the round trip to AWS, where a rollout's time
is mostly waiting and concurrency pays.

Usage: python bench/rollout.py --endpoint URL --worktime BIN --artifact ZIP [--runs N]
                               [--accounts N] [--concurrency N] [--out FILE]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

CONFIG = """
[stack]
name = "wt-bench"
region = "ap-northeast-2"

[schedule]
timezone = "Asia/Seoul"
scale_out = "cron(0 9 ? * MON-FRI *)"
scale_in = "cron(0 19 ? * MON-FRI *)"
trigger = "rules"

[[services]]
cluster = "prod"
service = "api"
min = 1
max = 3
"""


def reset(endpoint):
    request = urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")
    urllib.request.urlopen(request).read()


def timed(cmd, env, expect_rows=None):
    started = time.perf_counter()
    run = subprocess.run(cmd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if run.returncode != 0:
        sys.exit(f"bench: {' '.join(cmd)} exited {run.returncode}\n{run.stderr}")
    report = json.loads(run.stdout)
    if expect_rows is not None:
        created = [r for r in report if r["result"] == "created"]
        if len(created) != expect_rows:
            sys.exit(f"bench: expected {expect_rows} created targets, got {report}")
    elif report["result"] != "created":
        sys.exit(f"bench: expected a created stack, got {report}")
    return wall


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--endpoint", required=True)
    p.add_argument("--worktime", required=True)
    p.add_argument("--artifact", required=True)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--accounts", type=int, default=10)
    p.add_argument("--concurrency", type=int, default=10)
    p.add_argument("--out")
    p.add_argument(
        "--latency-ms", type=float, default=0.0, help="(label only) delay the endpoint adds"
    )
    a = p.parse_args()
    assert a.endpoint.startswith("http://127.0.0.1:"), "loopback only"

    work = tempfile.mkdtemp(prefix="worktime-rollout-bench-")
    single = os.path.join(work, "single.toml")
    many = os.path.join(work, "many.toml")
    with open(single, "w") as f:
        f.write(CONFIG)
    with open(many, "w") as f:
        f.write(CONFIG)
        for i in range(a.accounts):
            f.write(
                f'\n[[accounts]]\nid = "{100000000001 + i}"\n'
                'role = "OrganizationAccountAccessRole"\n'
            )

    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_ENDPOINT_URL=a.endpoint,
        AWS_REGION="ap-northeast-2",
        AWS_EC2_METADATA_DISABLED="true",
    )
    deploy_cmd = [
        a.worktime, "--output", "json", "bootstrap", "--yes", "--config", single,
        "--artifact", a.artifact,
    ]
    rollout_cmd = [
        a.worktime, "--output", "json", "rollout", "--yes", "--config", many,
        "--artifact", a.artifact, "--concurrency", str(a.concurrency),
    ]

    deploys, rollouts = [], []
    for _ in range(a.runs):  # alternate, so load on the machine hits both alike
        reset(a.endpoint)
        deploys.append(timed(deploy_cmd, env))
        reset(a.endpoint)
        rollouts.append(timed(rollout_cmd, env, expect_rows=a.accounts))
    deploy, rollout = statistics.median(deploys), statistics.median(rollouts)
    ratio = rollout / deploy
    result = {
        "artifact_bytes": os.path.getsize(a.artifact),
        "accounts": a.accounts,
        "concurrency": a.concurrency,
        "runs": a.runs,
        "deploy_1_account_s": deploys,
        "rollout_accounts_s": rollouts,
        "deploy_median_s": deploy,
        "rollout_median_s": rollout,
        "ratio": ratio,
        "target": 2.5,
        "pass": ratio <= 2.5,
    }
    where = (
        f"through a {a.latency_ms:g} ms-per-request latency proxy"
        if a.latency_ms
        else "straight to moto"
    )
    result["latency_ms"] = a.latency_ms
    print(
        f"\n## Rollout: {a.accounts} accounts (one region each, concurrency {a.concurrency}) "
        f"vs bootstrap into 1 account, {where}\n"
    )
    print("| case | wall median (s) | runs (s) |")
    print("|---|---:|---|")
    print(f"| bootstrap, 1 account | {deploy:.2f} | {', '.join(f'{x:.2f}' for x in deploys)} |")
    runs = ", ".join(f"{x:.2f}" for x in rollouts)
    print(f"| rollout, {a.accounts} accounts | {rollout:.2f} | {runs} |")
    verdict = "PASS" if ratio <= 2.5 else "FAIL"
    print(f"\nratio rollout/deploy = {ratio:.2f}x (target <= 2.5x): {verdict}")
    print(f"artifact: {a.artifact} ({os.path.getsize(a.artifact)} bytes)")
    if a.out:
        with open(a.out, "w") as f:
            json.dump(result, f, indent=2)


if __name__ == "__main__":
    main()
