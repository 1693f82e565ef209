#!/usr/bin/env python3
"""The `make bench` harness: times whole processes against a local moto server.

Run by scripts/bench.sh (which builds the release binary and starts moto); by hand:

    rustc -O --edition 2021 bench/spawn_measure.rs -o target/bench/spawn-measure
    .venv/bin/python bench/measure.py --endpoint http://127.0.0.1:PORT \
        --spawn-measure target/bench/spawn-measure --worktime target/release/worktime

Two issues are measured, every number a whole process (spawn, start-up, config, client,
calls, exit), run by the tiny helper bench/spawn_measure.rs: spawned with posix_spawn and
reaped with wait4, so the wall time is spawn-to-reap and the peak RSS is that child's own
ru_maxrss. (Not spawned from this Python process: a child's ru_maxrss starts at the RSS of
its parent at exec, ~40 MiB here, which would hide every number below that.)

1. foundation: `worktime synth --config examples/seoul-rules.toml`, N runs (default 20).
2. scaling function: the recipe's Python function (bench/baseline_seed.py, boto3) against
   `worktime run scale-in|scale-out` over the same N services, N = 1 and N = 200. Before
   every run (measured or warm-up) the services are set to the state that makes the run do
   real work (1/3 before a scale-in, 0/0 before a scale-out); after every run the harness
   checks the exit code and reads every target back: a run that did not move every service
   fails the whole bench. The two implementations alternate run by run, so drift in the
   machine's load hits both alike.

Results: a markdown table on stdout, and JSON at --out.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLUSTER = "worktime-bench"
NAMESPACE = "ecs"
DIMENSION = "ecs:service:DesiredCount"
# The recipe's ROLEARN (moto stores it on first registration and never checks it).
ROLE_ARN = (
    "arn:aws:iam::123456789012:role/aws-service-role/ecs.application-autoscaling.amazonaws.com/"
    "AWSServiceRoleForApplicationAutoScaling_ECSService"
)
DECLARED = (1, 3)  # the recipe's working-hours capacity, declared for every service
ZERO = (0, 0)

# Targets: ours / baseline, scale-in and scale-out alike.
TARGETS = [
    # (n, metric, limit)
    (1, "wall", 0.10),
    (1, "rss", 0.25),
    (200, "wall", 0.40),
]


class BenchError(Exception):
    pass


# ---------------------------------------------------------------------------------------
# Process measurement


SPAWN_MEASURE: Path | None = None  # bench/spawn_measure.rs, compiled by scripts/bench.sh


def measure(argv: list[str], env: dict[str, str], out_path: Path, err_path: Path):
    """Runs argv once through spawn-measure; returns (exit code, wall seconds, peak RSS KiB)."""
    helper = subprocess.run(
        [str(SPAWN_MEASURE), str(out_path), str(err_path), "--", *argv],
        env=env,
        capture_output=True,
        text=True,
    )
    fields = helper.stdout.split()
    if helper.returncode != 0 or len(fields) != 3:
        raise BenchError(
            f"spawn-measure failed (exit {helper.returncode}) on {argv[0]}: "
            f"{helper.stderr.strip() or helper.stdout.strip()}"
        )
    wall_ns, maxrss_kib, code = (int(x) for x in fields)
    return code, wall_ns / 1e9, maxrss_kib


def tail(path: Path, lines: int = 15) -> str:
    try:
        text = path.read_text(errors="replace").splitlines()
    except OSError:
        return "(unreadable)"
    return "\n".join(text[-lines:]) or "(empty)"


def stats(values: list[float]) -> dict:
    return {
        "median": statistics.median(values),
        "min": min(values),
        "max": max(values),
        "mean": statistics.fmean(values),
        "stdev": statistics.stdev(values) if len(values) > 1 else 0.0,
    }


# ---------------------------------------------------------------------------------------
# moto state (boto3, from the harness: never measured)


class Moto:
    def __init__(self, endpoint: str, region: str, log: Path | None):
        import boto3  # the venv's (moto depends on it)

        self.endpoint = endpoint
        self.log = log
        session = boto3.session.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing", region_name=region
        )
        self.ecs = session.client("ecs", endpoint_url=endpoint)
        self.aas = session.client("application-autoscaling", endpoint_url=endpoint)

    def reset(self):
        req = urllib.request.Request(self.endpoint + "/moto-api/reset", method="POST", data=b"")
        with urllib.request.urlopen(req, timeout=30) as resp:
            if resp.status != 200:
                raise BenchError(f"moto reset answered HTTP {resp.status}")

    def create_services(self, count: int):
        self.ecs.create_cluster(clusterName=CLUSTER)
        for name in service_names(count):
            self.ecs.create_service(cluster=CLUSTER, serviceName=name, desiredCount=1)

    def set_all(self, ids: list[str], capacity: tuple[int, int]) -> float:
        start = time.perf_counter()
        for rid in ids:
            self.aas.register_scalable_target(
                ServiceNamespace=NAMESPACE,
                ResourceId=rid,
                ScalableDimension=DIMENSION,
                MinCapacity=capacity[0],
                MaxCapacity=capacity[1],
            )
        return time.perf_counter() - start

    def capacities(self, ids: list[str]) -> dict[str, tuple[int, int]]:
        found: dict[str, tuple[int, int]] = {}
        for i in range(0, len(ids), 50):  # moto: one page per <= 50 ids (see notes)
            out = self.aas.describe_scalable_targets(
                ServiceNamespace=NAMESPACE,
                ScalableDimension=DIMENSION,
                ResourceIds=ids[i : i + 50],
            )
            for t in out["ScalableTargets"]:
                found[t["ResourceId"]] = (t["MinCapacity"], t["MaxCapacity"])
        return found

    def expect_all(self, ids: list[str], capacity: tuple[int, int], what: str):
        found = self.capacities(ids)
        wrong = [(rid, found.get(rid)) for rid in ids if found.get(rid) != capacity]
        if wrong:
            sample = ", ".join(f"{rid}={cap}" for rid, cap in wrong[:5])
            raise BenchError(
                f"{what}: {len(wrong)} of {len(ids)} services are not at "
                f"{capacity[0]}/{capacity[1]} (e.g. {sample})"
            )

    def request_count(self) -> int | None:
        """Requests moto has logged so far (werkzeug writes one line per request)."""
        if self.log is None or not self.log.exists():
            return None
        with self.log.open("rb") as f:
            return sum(1 for line in f if b'"POST ' in line or b'"GET ' in line)


def service_names(count: int) -> list[str]:
    return [f"svc-{i:04d}" for i in range(1, count + 1)]


def resource_ids(count: int) -> list[str]:
    return [f"service/{CLUSTER}/{name}" for name in service_names(count)]


def write_config(path: Path, count: int, region: str):
    # Format of examples/seoul-rules.toml; every service declared 1/3 (the recipe's values).
    lines = [
        f"# Generated by bench/measure.py: {count} service(s) in cluster {CLUSTER}.",
        "",
        "[stack]",
        'name = "worktime-bench"',
        f'region = "{region}"',
        "",
        "[schedule]",
        'timezone = "Asia/Seoul"',
        'scale_out = "cron(0 9 ? * MON-FRI *)"',
        'scale_in = "cron(0 19 ? * MON-FRI *)"',
        'trigger = "rules"',
        "",
    ]
    for name in service_names(count):
        lines += [
            "[[services]]",
            f'cluster = "{CLUSTER}"',
            f'service = "{name}"',
            f"min = {DECLARED[0]}",
            f"max = {DECLARED[1]}",
            "",
        ]
    path.write_text("\n".join(lines))


# ---------------------------------------------------------------------------------------
# The benchmarks


def bench_synth(worktime: Path, env: dict, work: Path, runs: int) -> dict:
    config = ROOT / "examples" / "seoul-rules.toml"
    argv = [str(worktime), "synth", "--config", str(config)]
    out, err = work / "synth.out", work / "synth.err"
    walls, rss = [], []
    for i in range(runs + 1):  # the first is a warm-up (page cache), not counted
        code, wall, maxrss = measure(argv, env, out, err)
        if code != 0:
            raise BenchError(f"`{' '.join(argv)}` exited {code}:\n{tail(err)}")
        if "AWSTemplateFormatVersion" not in out.read_text(errors="replace"):
            raise BenchError(f"`{' '.join(argv)}` printed no template:\n{tail(out)}")
        if i > 0:
            walls.append(wall)
            rss.append(maxrss)
    return {
        "command": "worktime synth --config examples/seoul-rules.toml",
        "runs": runs,
        "template_bytes": out.stat().st_size,
        "wall_s": stats(walls),
        "peak_rss_kib": stats(rss),
        "samples": {"wall_s": walls, "peak_rss_kib": rss},
    }


def bench_scaling(args, moto: Moto, worktime: Path, env: dict, work: Path) -> list[dict]:
    python = Path(sys.executable)
    baseline = ROOT / "bench" / "baseline_seed.py"
    results = []
    for n in args.sizes:
        ids = resource_ids(n)
        config = work / f"worktime-{n}.toml"
        write_config(config, n, args.region)
        for action in args.actions:
            before, after = (DECLARED, ZERO) if action == "scale-in" else (ZERO, DECLARED)
            impls = {
                "baseline": [
                    str(python), str(baseline), "--cluster", CLUSTER, "--services", str(n),
                ],
                "ours": [
                    str(worktime), "--output", "json", "run", "--config", str(config), action,
                ],
            }
            samples = {name: {"wall_s": [], "peak_rss_kib": [], "requests": []} for name in impls}
            prep_times = []
            for i in range(args.runs + 1):  # run 0 is a warm-up for each implementation
                for name, argv in impls.items():
                    prep_times.append(moto.set_all(ids, before))
                    out, err = work / f"{name}-{n}-{action}.out", work / f"{name}-{n}-{action}.err"
                    requests_before = moto.request_count()
                    code, wall, maxrss = measure(argv, env, out, err)
                    requests_after = moto.request_count()
                    label = f"{name} {action} N={n} run {i}"
                    if code != 0:
                        raise BenchError(
                            f"{label}: `{' '.join(argv)}` exited {code}\n--- stdout (tail)\n"
                            f"{tail(out)}\n--- stderr (tail)\n{tail(err)}"
                        )
                    if name == "ours":
                        check_report(label, out, n)
                    moto.expect_all(ids, after, f"{label} (after the run)")
                    if i == 0:
                        continue
                    s = samples[name]
                    s["wall_s"].append(wall)
                    s["peak_rss_kib"].append(maxrss)
                    if requests_before is not None and requests_after is not None:
                        s["requests"].append(requests_after - requests_before)
                progress = (
                    "warm-up"
                    if i == 0
                    else ", ".join(
                        f"{name} {samples[name]['wall_s'][-1] * 1000:.0f} ms" for name in impls
                    )
                )
                print(
                    f"  N={n:<4} {action:<9} run {i}/{args.runs}: {progress}",
                    file=sys.stderr,
                    flush=True,
                )
            for name in impls:
                s = samples[name]
                results.append(
                    {
                        "n": n,
                        "action": action,
                        "impl": name,
                        "command": " ".join(
                            os.path.relpath(a, ROOT) if a.startswith(str(ROOT)) else a
                            for a in impls[name]
                        ),
                        "runs": args.runs,
                        "wall_s": stats(s["wall_s"]),
                        "peak_rss_kib": stats(s["peak_rss_kib"]),
                        "requests_per_run": (
                            statistics.median(s["requests"]) if s["requests"] else None
                        ),
                        "samples": s,
                    }
                )
            results_prep = statistics.median(prep_times)
            for r in results[-2:]:
                r["harness_prep_s_median"] = results_prep
    return results


def check_report(label: str, out: Path, n: int):
    try:
        report = json.loads(out.read_text())
        summary = report["summary"]
    except (ValueError, KeyError) as e:
        raise BenchError(f"{label}: stdout is not the JSON report ({e}):\n{tail(out)}") from e
    if summary.get("changed") != n or summary.get("failed") != 0:
        raise BenchError(f"{label}: expected {n} changed and 0 failed, got {summary}")


# ---------------------------------------------------------------------------------------
# Report


def ratios_and_targets(scaling: list[dict]):
    by = {(r["n"], r["action"], r["impl"]): r for r in scaling}
    ratios, targets = [], []
    for (n, action, impl), ours in by.items():
        if impl != "ours" or (n, action, "baseline") not in by:
            continue
        base = by[(n, action, "baseline")]
        ratio = {
            "n": n,
            "action": action,
            "wall": ours["wall_s"]["median"] / base["wall_s"]["median"],
            "rss": ours["peak_rss_kib"]["median"] / base["peak_rss_kib"]["median"],
        }
        ratios.append(ratio)
        for tn, metric, limit in TARGETS:
            if tn == n:
                targets.append(
                    {
                        "n": n,
                        "action": action,
                        "metric": metric,
                        "limit": limit,
                        "ratio": ratio[metric],
                        "pass": ratio[metric] <= limit,
                    }
                )
    return ratios, targets


def markdown(results: dict) -> str:
    s = results["synth"]
    lines = [
        "## Foundation: `worktime synth --config examples/seoul-rules.toml` "
        f"({s['runs']} runs, whole process)",
        "",
        "| metric | median | min | max | stdev |",
        "|---|---:|---:|---:|---:|",
        "| wall (ms) | {:.1f} | {:.1f} | {:.1f} | {:.1f} |".format(
            *(s["wall_s"][k] * 1000 for k in ("median", "min", "max", "stdev"))
        ),
        "| peak RSS (MiB) | {:.1f} | {:.1f} | {:.1f} | {:.1f} |".format(
            *(s["peak_rss_kib"][k] / 1024 for k in ("median", "min", "max", "stdev"))
        ),
        "",
        "## Scaling function: recipe (Python, boto3) vs `worktime run` "
        f"({results['meta']['runs_per_case']} runs each, medians, whole process, "
        "every run registers every service)",
        "",
        "| N | action | implementation | wall median (ms) | wall min–max (ms) "
        "| peak RSS median (MiB) | requests/run |",
        "|---:|---|---|---:|---:|---:|---:|",
    ]
    for r in results["scaling"]:
        req = r["requests_per_run"]
        lines.append(
            "| {} | {} | {} | {:.1f} | {:.1f}–{:.1f} | {:.1f} | {} |".format(
                r["n"],
                r["action"],
                "baseline (seed .py)" if r["impl"] == "baseline" else "ours (worktime run)",
                r["wall_s"]["median"] * 1000,
                r["wall_s"]["min"] * 1000,
                r["wall_s"]["max"] * 1000,
                r["peak_rss_kib"]["median"] / 1024,
                "?" if req is None else f"{req:.0f}",
            )
        )
    preps = sorted({r["n"]: r["harness_prep_s_median"] for r in results["scaling"]}.items())
    if preps:
        lines += [
            "",
            "For scale: the harness itself (a warm boto3 client, no start-up) needs "
            + ", ".join(f"{p * 1000:.0f} ms for N={n}" for n, p in preps)
            + " to register the N targets one by one before each run: moto answers one request"
            " at a time, so at large N the server's own cost per request bounds both sides.",
            "",
            "Load average (1 min) at start / end: {} / {} on {} CPUs (other work on the machine"
            " widens the spread).".format(
                results["meta"]["loadavg_start"],
                results["meta"]["loadavg_end"],
                results["meta"]["cpus"],
            ),
        ]
    lines += [
        "",
        "## Ratios ours / baseline (medians)",
        "",
        "| N | action | wall | peak RSS |",
        "|---:|---|---:|---:|",
    ]
    for r in results["ratios"]:
        lines.append(f"| {r['n']} | {r['action']} | {r['wall']:.3f}× | {r['rss']:.3f}× |")
    lines += ["", "## Targets", "", "| target | action | ratio | result |", "|---|---|---:|---|"]
    for t in results["targets"]:
        name = f"N={t['n']} {'wall' if t['metric'] == 'wall' else 'peak RSS'} ≤ {t['limit']:.2f}×"
        lines.append(
            f"| {name} | {t['action']} | {t['ratio']:.3f}× | {'PASS' if t['pass'] else 'FAIL'} |"
        )
    return "\n".join(lines)


def tool_version(argv: list[str]) -> str:
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=30).stdout.strip()
    except OSError as e:
        return f"unknown ({e})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint", required=True, help="moto server, http://127.0.0.1:PORT")
    parser.add_argument("--worktime", type=Path, default=ROOT / "target/release/worktime")
    parser.add_argument("--out", type=Path, default=ROOT / "target/bench/results.json")
    parser.add_argument(
        "--spawn-measure",
        type=Path,
        required=True,
        help="the compiled bench/spawn_measure.rs (runs one process: wall time, peak RSS)",
    )
    parser.add_argument("--moto-log", type=Path, help="moto's stderr log, to count requests")
    parser.add_argument("--region", default="ap-northeast-2")
    parser.add_argument("--synth-runs", type=int, default=20)
    parser.add_argument("--runs", type=int, default=5, help="measured runs per case")
    parser.add_argument("--sizes", default="1,200", help="service counts, comma-separated")
    parser.add_argument("--actions", default="scale-in,scale-out")
    args = parser.parse_args()
    args.sizes = [int(x) for x in args.sizes.split(",")]
    args.actions = [a.strip() for a in args.actions.split(",")]
    if not re.match(r"^http://127\.0\.0\.1:\d+/?$", args.endpoint):
        raise BenchError(f"--endpoint must be http://127.0.0.1:PORT, not {args.endpoint}")
    args.endpoint = args.endpoint.rstrip("/")
    for a in args.actions:
        if a not in ("scale-in", "scale-out"):
            raise BenchError(f"unknown action {a}")
    global SPAWN_MEASURE
    SPAWN_MEASURE = args.spawn_measure.resolve()
    if not os.access(SPAWN_MEASURE, os.X_OK):
        raise BenchError(f"{SPAWN_MEASURE} is not built (rustc -O bench/spawn_measure.rs)")
    worktime = args.worktime.resolve()
    if not os.access(worktime, os.X_OK):
        raise BenchError(f"{worktime} is not built (cargo build --release -p worktime)")

    args.out.parent.mkdir(parents=True, exist_ok=True)
    # Scratch space of this run (configs, outputs of the last run of each case): replaced.
    work = args.out.parent / "work"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    (work / "aws-config").write_text("")
    (work / "aws-credentials").write_text("")
    # One environment for every measured process: nothing of the caller's AWS settings.
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(work),
        "LANG": "C.UTF-8",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_ENDPOINT_URL": args.endpoint,
        "AWS_REGION": args.region,
        "AWS_DEFAULT_REGION": args.region,
        "AWS_CONFIG_FILE": str(work / "aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(work / "aws-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
        "NO_COLOR": "1",
        # The recipe's Lambda environment variables.
        "SERVICE_NAMESPACE": NAMESPACE,
        "SCALABLE_DIMENSION": DIMENSION,
        "ROLEARN": ROLE_ARN,
    }

    t0 = time.perf_counter()
    loadavg_start = round(os.getloadavg()[0], 2)
    print(f"foundation: worktime synth x {args.synth_runs} ...", file=sys.stderr, flush=True)
    synth = bench_synth(worktime, env, work, args.synth_runs)

    print(
        f"scaling: creating {max(args.sizes)} ECS services in moto ...", file=sys.stderr, flush=True
    )
    moto = Moto(args.endpoint, args.region, args.moto_log)
    moto.reset()
    moto.create_services(max(args.sizes))
    moto.set_all(resource_ids(max(args.sizes)), DECLARED)
    scaling = bench_scaling(args, moto, worktime, env, work)
    ratios, targets = ratios_and_targets(scaling)

    import boto3
    import botocore

    results = {
        "meta": {
            "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "host": platform.node(),
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "boto3": boto3.__version__,
            "botocore": botocore.__version__,
            "moto": _moto_version(),
            "worktime": tool_version([str(worktime), "--version"]),
            "worktime_binary_bytes": worktime.stat().st_size,
            "endpoint": args.endpoint,
            "runs_per_case": args.runs,
            "measurement": (
                "bench/spawn_measure.rs (a ~2 MiB parent): posix_spawn + wait4; wall = spawn to "
                "reap, peak RSS = the child's ru_maxrss (floor: the ~2 MiB parent's RSS)"
            ),
            "bench_seconds": None,
            "loadavg_start": loadavg_start,
            "loadavg_end": round(os.getloadavg()[0], 2),
        },
        "synth": synth,
        "scaling": scaling,
        "ratios": ratios,
        "targets": targets,
    }
    results["meta"]["bench_seconds"] = round(time.perf_counter() - t0, 1)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(markdown(results))
    print(f"\nJSON: {os.path.relpath(args.out, Path.cwd())}")
    return 0


def _moto_version() -> str:
    try:
        import moto

        return moto.__version__
    except Exception as e:  # noqa: BLE001
        return f"unknown ({e})"


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as e:
        print(f"bench: FAILED: {e}", file=sys.stderr)
        sys.exit(1)
