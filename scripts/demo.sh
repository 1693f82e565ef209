#!/usr/bin/env bash
# The embedded default: the whole worktime lifecycle against a moto server on a free
# 127.0.0.1 port. The same commands run against AWS with your profile (see README).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
venv="$root/.venv"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "building worktime, the function (bootstrap) and the local drivers of triggers and load balancer requests (fire-trigger, visit); the venv for moto server alongside"
# The venv (pip, mostly waiting on downloads) is made while cargo keeps both cores busy.
venv_log="$(mktemp)"
"${MAKE:-make}" --no-print-directory -s venv-moto >"$venv_log" 2>&1 &
venv_pid=$!
# One build of the function: the demo deploys the bootstrap it runs (this machine's debug
# build, zipped), not a second, arm64 release build (make lambda, make dist). Only the four
# binaries the demo runs, not the test harness's others.
cargo build --bin worktime --bin bootstrap --bin fire-trigger --bin visit
if ! wait "$venv_pid"; then
    cat "$venv_log" >&2
    echo "demo: the Python venv for moto server could not be made (above)" >&2
    exit 1
fi
rm -f "$venv_log"
worktime="$root/target/debug/worktime"
fire="$root/target/debug/fire-trigger"
visit="$root/target/debug/visit"

port="$("$venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
step "starting moto server (with worktime's AWS model, tests/aws_model) on 127.0.0.1:$port"
"$venv/bin/python" tests/aws_model/worktime_moto_server.py -H 127.0.0.1 -p "$port" >"${TMPDIR:-/tmp}/worktime-demo-moto.log" 2>&1 &
moto_pid=$!
trap 'kill "$moto_pid" 2>/dev/null || true; wait "$moto_pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
    if "$venv/bin/python" -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/moto-api/')" 2>/dev/null; then
        break
    fi
    sleep 0.1
done

export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing
export AWS_ENDPOINT_URL="http://127.0.0.1:$port" AWS_REGION=ap-northeast-2
export AWS_EC2_METADATA_DISABLED=true WORKTIME_POLL_MS=200
unset AWS_PROFILE AWS_SESSION_TOKEN
demo_dir="$(mktemp -d)"
trap 'kill "$moto_pid" 2>/dev/null || true; wait "$moto_pid" 2>/dev/null || true; rm -rf "$demo_dir"' EXIT
config="$demo_dir/worktime.toml"
function_zip="$demo_dir/bootstrap.zip"
"$venv/bin/python" - "$root/target/debug/bootstrap" "$function_zip" <<'PY'
import sys, zipfile
entry = zipfile.ZipInfo("bootstrap")
entry.external_attr = 0o100755 << 16  # an executable file, as Lambda runs it
entry.compress_type = zipfile.ZIP_DEFLATED
with zipfile.ZipFile(sys.argv[2], "w") as archive, open(sys.argv[1], "rb") as program:
    archive.writestr(entry, program.read(), compresslevel=1)
PY
ecs() { "$venv/bin/python" "$root/scripts/demo_ecs.py" "$@"; }
ago() { date -u -d "$1 ago" +%Y-%m-%dT%H:%M:%SZ; }

step "demo cluster and services"
"$venv/bin/python" scripts/demo_setup.py

# scripts/demo.toml with its crons around the current time: the scale-in fired three hours
# ago, the scale-out comes in nine (it is night for the stack); web's, two hours later.
ecs schedule scripts/demo.toml "$config" 15 3
step "worktime bootstrap (with the function this demo runs; without --artifact, the function the release binary carries or a cargo lambda build)"
"$worktime" bootstrap --config "$config" --yes --artifact "$function_zip"
step "worktime bootstrap again: nothing to do"
"$worktime" bootstrap --config "$config" --yes --artifact "$function_zip"
step "worktime status: the schedule says down now"
"$worktime" status --config "$config"
step "services before any trigger, and where the load balancer sends /web/*"
ecs show
ecs routes
step "the evening's scale-in, delivered three hours late: its night still lasts, so it acts"
"$fire" worktime-demo-scale-in "$(ago '3 hours')"
step "web's own scale-in (its hours end two hours later): down, and its rule points at the wake target group"
"$fire" worktime-demo-late-scale-in "$(ago '1 hour')"
step "services at night: no task runs, each one's day remembered (marked down)"
ecs show
ecs routes
step "at night a deploy sets api to 3 tasks; the reconcile (every 15 minutes) takes it back: drift"
ecs set-desired api 3
"$fire" worktime-demo-reconcile
ecs show
step "the next morning (the demo moves the stack's day to have begun an hour ago and deploys it)"
ecs schedule scripts/demo.toml "$config" 1 15
"$worktime" deploy --config "$config" --yes --artifact "$function_zip"
step "worker's new tasks cannot be placed this morning"
ecs cannot-start worker
step "the morning's scale-out rule fires: bounds and desired counts restored, marked up (web's hours begin in an hour)"
"$fire" worktime-demo-scale-out
# Readiness is judged ready_within_minutes (1 in this demo) after the scale-out's change.
readiness_due=$(($(date +%s) + 61))
ecs show
step "last night's scale-in retried now, after the morning: stale, nothing read or changed"
"$fire" worktime-demo-scale-in "$(ago '16 hours')"
step "worktime run scale-in --dry-run (the same decisions from your machine, changing nothing)"
"$worktime" run scale-in --dry-run --config "$config"
step "someone opens web before its hours: the request wakes it (held up for its wake_idle_minutes)"
"$visit" worktime-demo-wake-0 GET '/web/orders?page=2'
ecs show
step "an API client's request while web starts: 503 and when to retry"
"$visit" worktime-demo-wake-0 POST /web/orders --client
step "the page reloads itself; once web's tasks are healthy the rule is put back and the visitor sent on"
for _ in $(seq 1 30); do
    answer="$("$visit" worktime-demo-wake-0 GET '/web/orders?page=2')"
    if [[ "$answer" == *"-> 302"* ]]; then
        break
    fi
    sleep 1
done
echo "$answer"
if [[ "$answer" != *"-> 302"* ]]; then
    echo "demo: expected web to be up and the visitor redirected within 30 s" >&2
    exit 1
fi
ecs routes
ecs show
step "a minute after the scale-out (ready_within_minutes = 1 in this demo) the reconcile checks readiness"
wait_for=$((readiness_due - $(date +%s)))
if ((wait_for > 0)); then
    echo "waiting ${wait_for} s"
    sleep "$wait_for"
fi
if "$fire" worktime-demo-reconcile; then
    echo "demo: expected the reconcile to report worker not ready" >&2
    exit 1
fi
echo "demo: the reconcile failed, as it should: worker is not ready (ECS's reason above); on AWS the errors alarm and [notify] hear it"
step "worktime teardown"
"$worktime" teardown --config "$config" --yes
step "done: moto server stopped"
