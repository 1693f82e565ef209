#!/usr/bin/env bash
# Benchmarks (`make bench`), every number a whole process on this machine:
#   1. foundation: `worktime synth --config examples/seoul-rules.toml` (release build), wall
#      time and peak RSS over SYNTH_RUNS runs;
#   2. scaling function: the original recipe's Python function (bench/baseline_seed.py, boto3)
#      vs `worktime run scale-in|scale-out` on the same N services (N = 1 and 200) of a local
#      moto server, wall time and peak RSS over RUNS runs, with the ratios ours/baseline and
#      PASS/FAIL against the targets;
#   3. the function (issue 9): the arm64 zip's size, and the peak RSS of one execution
#      environment scaling one service in and out;
#   4. rollout to 10 accounts vs bootstrap into 1 (issue 5), direct and through a latency proxy;
#   5. 500 services selected by tag, scaled by one invocation through a 50 ms link (issue 10),
#      and a reconcile of them with nothing to change (issue 17, at most 2 s);
#   6. (after 2) 200 listed services scaled in through a 20 ms link, ours vs the recipe
#      (issue 17, at most 0.40 x).
# Prints a markdown table; writes target/bench/results.json. Exits 0 whatever the targets say,
# non-zero if anything failed (a build, moto, a run that errored or did not scale every service).
#
# Usage: scripts/bench.sh
#   VENV        the project venv with moto and boto3 (default: .venv; `make venv` creates it)
#   RUNS        measured runs per scaling case (default 5; each case also has one warm-up)
#   SYNTH_RUNS  measured synth runs (default 20)
#   SIZES       service counts (default 1,200)
#   ACTIONS     default scale-in,scale-out
#   SKIP_BUILD=1  do not build; use the existing target/release/worktime
#   WORKTIME_BIN  measure this binary instead of target/release/worktime (with SKIP_BUILD=1)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

venv="${VENV:-$root/.venv}"
python="$venv/bin/python"
# Two servers: plain moto for the scaling comparison with the recipe (the same server the
# earlier figures were measured on: the client's cost, not the server's, is what differs),
# and the project's extension of moto (tests/aws_model) for the rollouts, whose uploads need
# the artifact bucket's TLS-only policy evaluated by its condition.
plain_server="$venv/bin/moto_server"
model_server="$root/tests/aws_model/worktime_moto_server.py"
target_dir="${CARGO_TARGET_DIR:-$root/target}"
bin="${WORKTIME_BIN:-$target_dir/release/worktime}"
out_dir="$root/target/bench"

die() { echo "bench: $*" >&2; exit 1; }

[[ -x "$python" ]] || die "$python not found: run \`make venv\` (make bench does) or set VENV"
[[ -x "$plain_server" ]] || die "$plain_server not found: run \`make venv\`"
[[ -f "$model_server" ]] || die "$model_server not found"
"$python" -c 'import boto3' 2>/dev/null || die "boto3 is missing from $venv (it comes with moto[server])"

if [[ "${SKIP_BUILD:-}" != 1 ]]; then
    echo "bench: cargo build --release -p worktime" >&2
    cargo build --release -p worktime
fi
[[ -x "$bin" ]] || die "$bin not built"

mkdir -p "$out_dir"
# The process runner (wall time and the child's own peak RSS): std only, plain rustc.
spawn_measure="$out_dir/spawn-measure"
if [[ ! -x "$spawn_measure" || "$root/bench/spawn_measure.rs" -nt "$spawn_measure" ]]; then
    rustc -O --edition 2021 "$root/bench/spawn_measure.rs" -o "$spawn_measure" \
        || die "could not compile bench/spawn_measure.rs"
fi

moto_log="$out_dir/moto.log"
moto_pid=""
cleanup() {
    if [[ -n "$moto_pid" ]] && kill -0 "$moto_pid" 2>/dev/null; then
        kill "$moto_pid" 2>/dev/null || true
        wait "$moto_pid" 2>/dev/null || true
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
    "$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

ready() {
    "$python" - "$1" <<'EOF'
import sys, urllib.request
try:
    urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/moto-api/", timeout=1).read()
except Exception:
    sys.exit(1)
EOF
}

# start_server COMMAND...: a server on a free 127.0.0.1 port; sets port and moto_pid.
start_server() {
    port=""
    for _attempt in 1 2 3 4 5; do
        candidate="$(free_port)"
        "$@" -H 127.0.0.1 -p "$candidate" >"$moto_log" 2>&1 &
        moto_pid=$!
        for _ in $(seq 1 100); do
            kill -0 "$moto_pid" 2>/dev/null || break   # exited: the port was taken, most likely
            if ready "$candidate"; then port="$candidate"; break; fi
            sleep 0.2
        done
        [[ -n "$port" ]] && break
        cleanup
        moto_pid=""
    done
    [[ -n "$port" ]] || die "$1 did not start on 127.0.0.1 (log: $moto_log)"
    echo "bench: $* on 127.0.0.1:$port (pid $moto_pid, log $moto_log)" >&2
}

start_server "$plain_server"
"$python" "$root/bench/measure.py" \
    --endpoint "http://127.0.0.1:$port" \
    --worktime "$bin" \
    --out "$out_dir/results.json" \
    --moto-log "$moto_log" \
    --spawn-measure "$spawn_measure" \
    --runs "${RUNS:-5}" \
    --synth-runs "${SYNTH_RUNS:-20}" \
    --sizes "${SIZES:-1,200}" \
    --actions "${ACTIONS:-scale-in,scale-out}"

# Issue 17: 200 listed services scaled in through a link adding 20 ms to every request (AWS's
# round trip), against the recipe run the same way: calls in flight are what counts there.
scaling_latency_ms="${SCALING_LATENCY_MS:-20}"
proxy_port="$(free_port)"
"$python" "$root/bench/latency_proxy.py" "$proxy_port" "$port" "$scaling_latency_ms" &
proxy_pid=$!
sleep 0.5
"$python" "$root/bench/measure.py" \
    --endpoint "http://127.0.0.1:$proxy_port" \
    --worktime "$bin" \
    --out "$out_dir/results-latency.json" \
    --spawn-measure "$spawn_measure" \
    --runs "${LATENCY_RUNS:-3}" \
    --synth-runs 1 \
    --sizes 200 \
    --actions scale-in
kill "$proxy_pid" 2>/dev/null || true

# Issue 9: the function's arm64 zip and its peak RSS for one service (host build of the
# same profile, under the harness's Lambda Runtime API).
artifact="${ARTIFACT:-$root/target/lambda/bootstrap/bootstrap.zip}"
if [[ "${SKIP_BUILD:-}" != 1 || ! -f "$artifact" ]]; then
    echo "bench: building the function zip (make lambda)" >&2
    make -C "$root" lambda
fi
if [[ "${SKIP_BUILD:-}" != 1 ]]; then
    echo "bench: cargo build --profile function -p worktime-lambda; cargo build -p worktime-e2e --bins" >&2
    cargo build --profile function -p worktime-lambda
    cargo build -p worktime-e2e --bins
fi
"$python" "$root/bench/function.py" \
    --endpoint "http://127.0.0.1:$port" \
    --zip "$artifact" \
    --bootstrap "$target_dir/function/bootstrap" \
    --peak-rss "$target_dir/debug/function-peak-rss" \
    --out "$out_dir/function.json"

# Issue 5: rollout to 10 accounts vs bootstrap into 1, with the real function zip, on the
# project's model of AWS.
cleanup
start_server "$python" "$model_server"
"$python" "$root/bench/rollout.py" \
    --endpoint "http://127.0.0.1:$port" \
    --worktime "$bin" \
    --artifact "$artifact" \
    --runs "${ROLLOUT_RUNS:-3}" \
    --out "$out_dir/rollout.json"

# The same through a latency proxy (a model of AWS's round trip; see bench/latency_proxy.py).
latency_ms="${LATENCY_MS:-40}"
proxy_port="$(free_port)"
"$python" "$root/bench/latency_proxy.py" "$proxy_port" "$port" "$latency_ms" &
proxy_pid=$!
trap 'kill "$proxy_pid" 2>/dev/null || true; cleanup' EXIT
sleep 0.5
"$python" "$root/bench/rollout.py" \
    --endpoint "http://127.0.0.1:$proxy_port" \
    --worktime "$bin" \
    --artifact "$artifact" \
    --runs "${ROLLOUT_RUNS:-3}" \
    --latency-ms "$latency_ms" \
    --out "$out_dir/rollout-latency.json"

# Issue 10: 500 services selected by tag, scaled in and out by one invocation of the function
# through a link adding 50 ms to every request, on a fresh server of the project's model.
kill "$proxy_pid" 2>/dev/null || true
cleanup
start_server "$python" "$model_server"
fleet_latency_ms="${FLEET_LATENCY_MS:-50}"
proxy_port="$(free_port)"
"$python" "$root/bench/latency_proxy.py" "$proxy_port" "$port" "$fleet_latency_ms" &
proxy_pid=$!
sleep 0.5
"$python" "$root/bench/tag_fleet.py" \
    --upstream "http://127.0.0.1:$port" \
    --endpoint "http://127.0.0.1:$proxy_port" \
    --latency-ms "$fleet_latency_ms" \
    --services "${FLEET_SERVICES:-500}" \
    --bootstrap "$target_dir/function/bootstrap" \
    --peak-rss "$target_dir/debug/function-peak-rss" \
    --out "$out_dir/tag-fleet.json"
