#!/usr/bin/env python3
"""`make bench`, issue 9: the function's zip size and its peak RSS for one service.

- Zip: the arm64 `bootstrap.zip` that `make lambda` builds (profile `function`), against the
  3 MiB target and the 3.34 MiB the issue started from.
- Peak RSS: the host build of the same profile's `bootstrap`, run by
  `target/debug/function-peak-rss` under the harness's Lambda Runtime API against the local
  moto server: one execution environment, a scale-in then a scale-out of one service
  (`VmHWM` after each; the process's own high-water mark, see tests/src/runtime.rs).

Prints a markdown table; writes JSON to --out. Exits 1 when a run failed.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MIB = 1024 * 1024
TARGET_BYTES = 3 * MIB
START_BYTES = int(3.34 * MIB)  # issue 9: "The arm64 function zip is 3.34 MiB today"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--zip", type=Path, required=True)
    parser.add_argument(
        "--bootstrap", type=Path, required=True, help="host build, profile function"
    )
    parser.add_argument(
        "--peak-rss", type=Path, required=True, help="target/debug/function-peak-rss"
    )
    parser.add_argument("--region", default="ap-northeast-2")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()

    import boto3

    zip_bytes = args.zip.stat().st_size
    session = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name=args.region
    )
    ecs = session.client("ecs", endpoint_url=args.endpoint)
    ecs.create_cluster(clusterName="rss")
    ecs.create_service(cluster="rss", serviceName="one", desiredCount=2)

    env = dict(os.environ)
    env.update(
        AWS_ENDPOINT_URL=args.endpoint,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_REGION=args.region,
        WORKTIME_ALLOWED_SERVICES="rss/one",
        WORKTIME_TIMEZONE="Asia/Seoul",
    )
    service = [{"resource_id": "service/rss/one", "min": 1, "max": 3}]
    peaks = []
    with tempfile.TemporaryDirectory() as work:
        files = []
        for action in ("scale-in", "scale-out"):
            path = Path(work) / f"{action}.json"
            path.write_text(json.dumps({"action": action, "services": service}))
            files.append(str(path))
        for _ in range(args.runs):
            done = subprocess.run(
                [str(args.peak_rss), str(args.bootstrap), *files],
                env=env, capture_output=True, text=True, timeout=300,
            )
            lines = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
            if done.returncode != 0 or len(lines) != 2 or not all(line["ok"] for line in lines):
                print(done.stdout, done.stderr, file=sys.stderr)
                print("bench: the function failed a run", file=sys.stderr)
                return 1
            if lines[0]["summary"]["changed"] != 1 or lines[1]["summary"]["changed"] != 1:
                print(done.stdout, file=sys.stderr)
                print("bench: a run did not scale the service", file=sys.stderr)
                return 1
            peaks.append(lines[-1]["peak_rss_kib"])

    results = {
        "zip_bytes": zip_bytes,
        "zip_mib": round(zip_bytes / MIB, 3),
        "zip_target_bytes": TARGET_BYTES,
        "zip_vs_start": round(zip_bytes / START_BYTES, 3),
        "zip_pass": zip_bytes <= TARGET_BYTES,
        "peak_rss_kib_runs": peaks,
        "peak_rss_kib_max": max(peaks),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2))
    print()
    print("| function (issue 9) | value | target | |")
    print("|---|---|---|---|")
    print(
        f"| arm64 zip | {zip_bytes:,} bytes ({zip_bytes / MIB:.2f} MiB; "
        f"{results['zip_vs_start']:.2f} x the 3.34 MiB start) | <= 3 MiB | "
        f"{'PASS' if results['zip_pass'] else 'FAIL'} |"
    )
    print(
        f"| peak RSS, one service, scale-in + scale-out in one environment | "
        f"{max(peaks) / 1024:.1f} MiB (runs: {', '.join(f'{p / 1024:.1f}' for p in peaks)}) | "
        "(reported) | |"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
