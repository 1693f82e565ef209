#!/usr/bin/env python3
"""`make bench`, issue 10: a fleet of services selected by tag, scaled in and out by the
function through a link that adds a fixed delay to every request.

N services (default 500) in C clusters (default 5), every one tagged `team=bench`, are created
directly on the upstream server; the function (the host build of profile `function`, run by
`target/debug/function-peak-rss` under the harness's Lambda Runtime API) then receives a
scale-in event whose only content is the selector `{"cluster": "*", "tag": "team=bench"}`,
then a reconcile in the down window that follows it (issue 17: nothing to change, so reads only),
then a scale-out, with `AWS_ENDPOINT_URL` pointing at bench/latency_proxy.py. Each invocation's
wall time is compared with the function's default timeout (60 s); the reconcile's with issue
17's target (2 s).

Prints a markdown table; writes JSON to --out. Exits 1 when a run failed or did not scale every
service.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

TIMEOUT_S = 60  # [function] timeout_seconds default
RECONCILE_TARGET_S = 2.0  # issue 17: a reconcile with nothing to change, 500 services, +50 ms
SELECTOR = {"cluster": "*", "tag": "team=bench"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--upstream", required=True, help="the server, direct (fleet setup)")
    parser.add_argument("--endpoint", required=True, help="the server through the latency proxy")
    parser.add_argument("--latency-ms", type=int, required=True)
    parser.add_argument(
        "--bootstrap", type=Path, required=True, help="host build, profile function"
    )
    parser.add_argument(
        "--peak-rss", type=Path, required=True, help="target/debug/function-peak-rss"
    )
    parser.add_argument("--services", type=int, default=500)
    parser.add_argument("--clusters", type=int, default=5)
    parser.add_argument("--region", default="ap-northeast-2")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()

    import boto3

    session = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name=args.region
    )
    ecs = session.client("ecs", endpoint_url=args.upstream)
    per_cluster = -(-args.services // args.clusters)
    made = 0
    for c in range(args.clusters):
        cluster = f"fleet-{c}"
        ecs.create_cluster(clusterName=cluster)
        for s in range(min(per_cluster, args.services - made)):
            ecs.create_service(
                cluster=cluster,
                serviceName=f"svc-{s:03d}",
                desiredCount=2,
                tags=[{"key": "team", "value": "bench"}],
            )
            made += 1

    env = dict(os.environ)
    env.update(
        AWS_ENDPOINT_URL=args.endpoint,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_REGION=args.region,
        WORKTIME_ALLOWED_SERVICES="",
        WORKTIME_ALLOWED_SELECTORS=json.dumps([SELECTOR]),
        WORKTIME_TIMEZONE="Asia/Seoul",
        RUST_LOG="warn",
    )
    with tempfile.TemporaryDirectory() as work:
        # A daily schedule in UTC whose scale-in fired an hour ago: the reconcile runs in its
        # down window, after the scale-in has taken everything down.
        now = datetime.now(timezone.utc)
        daily = lambda t: f"cron({t.minute} {t.hour} ? * * *)"  # noqa: E731
        crons = {
            "scale_out": daily(now + timedelta(hours=6)),
            "scale_in": daily(now - timedelta(hours=1)),
            "timezone": "UTC",
        }
        files = []
        for action in ("scale-in", "reconcile", "scale-out"):
            path = Path(work) / f"{action}.json"
            event = {"action": action, "selectors": [SELECTOR]}
            if action == "reconcile":
                event["crons"] = crons
            path.write_text(json.dumps(event))
            files.append(str(path))
        done = subprocess.run(
            [str(args.peak_rss), str(args.bootstrap), *files],
            env=env, capture_output=True, text=True, timeout=600,
        )
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    if done.returncode != 0 or len(lines) != 3 or not all(line["ok"] for line in lines):
        print(done.stdout, done.stderr[-4000:], file=sys.stderr)
        print("bench: the function failed a run", file=sys.stderr)
        return 1
    scale_in, reconcile, scale_out = lines
    if reconcile["summary"]["unchanged"] != made or reconcile["selectors"][0]["matched"] != made:
        print(json.dumps(reconcile), file=sys.stderr)
        print("bench: the reconcile did not find every service already down", file=sys.stderr)
        return 1
    for line in (scale_in, scale_out):
        if line["summary"]["changed"] != made or line["selectors"][0]["matched"] != made:
            print(json.dumps(line), file=sys.stderr)
            print("bench: a run did not scale every selected service", file=sys.stderr)
            return 1

    results = {
        "services": made,
        "clusters": args.clusters,
        "latency_ms": args.latency_ms,
        "timeout_s": TIMEOUT_S,
        "scale_in_s": scale_in["elapsed_ms"] / 1000,
        "reconcile_s": reconcile["elapsed_ms"] / 1000,
        "reconcile_target_s": RECONCILE_TARGET_S,
        "scale_out_s": scale_out["elapsed_ms"] / 1000,
        "peak_rss_kib": lines[-1]["peak_rss_kib"],
    }
    results["scale_in_vs_timeout"] = round(results["scale_in_s"] / TIMEOUT_S, 3)
    results["reconcile_vs_target"] = round(results["reconcile_s"] / RECONCILE_TARGET_S, 3)
    results["pass"] = (
        max(results["scale_in_s"], results["scale_out_s"]) < TIMEOUT_S
        and results["reconcile_s"] <= RECONCILE_TARGET_S
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2))
    print()
    print(
        f"| {made} services by tag, +{args.latency_ms} ms per request (issue 10) "
        "| value | target | |"
    )
    print("|---|---|---|---|")
    for action, key in (("scale-in", "scale_in_s"), ("scale-out", "scale_out_s")):
        print(
            f"| {action}, one invocation | {results[key]:.1f} s "
            f"({results[key] / TIMEOUT_S:.2f} x the timeout) | < {TIMEOUT_S} s | "
            f"{'PASS' if results[key] < TIMEOUT_S else 'FAIL'} |"
        )
    print(
        f"| reconcile, nothing to change (reads only) | {results['reconcile_s']:.2f} s "
        f"({results['reconcile_vs_target']:.2f} x the target) | <= {RECONCILE_TARGET_S} s | "
        f"{'PASS' if results['reconcile_s'] <= RECONCILE_TARGET_S else 'FAIL'} |"
    )
    peak_mib = results["peak_rss_kib"] / 1024
    print(f"| peak RSS of that environment | {peak_mib:.1f} MiB | (reported) | |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
