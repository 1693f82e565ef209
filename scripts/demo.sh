#!/usr/bin/env bash
# The embedded default: the whole worktime lifecycle against a moto server on a free
# 127.0.0.1 port. The same commands run against AWS with your profile (see README).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
venv="$root/.venv"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "building worktime, the function (bootstrap) and the local trigger driver (fire-trigger)"
cargo build -p worktime -p worktime-lambda -p worktime-e2e --bins
worktime="$root/target/debug/worktime"
fire="$root/target/debug/fire-trigger"

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
config="$root/scripts/demo.toml"

step "demo cluster and services"
"$venv/bin/python" scripts/demo_setup.py

step "worktime bootstrap (builds the arm64 function zip with cargo lambda if there is no current one)"
"$worktime" bootstrap --config "$config" --yes
step "worktime bootstrap again: nothing to do"
"$worktime" bootstrap --config "$config" --yes
step "worktime status"
"$worktime" status --config "$config"
step "services in the day"
"$venv/bin/python" scripts/demo_ecs.py show
step "evening: the scale-in rule fires (its input transformer applied to the scheduled event, delivered to the built function)"
"$fire" worktime-demo-scale-in
step "services at night: no task runs, each one's day remembered"
"$venv/bin/python" scripts/demo_ecs.py show
step "at night a deploy sets api to 3 tasks; EventBridge retries the evening delivery"
"$venv/bin/python" scripts/demo_ecs.py set-desired api 3
"$fire" worktime-demo-scale-in
"$venv/bin/python" scripts/demo_ecs.py show
step "morning: the scale-out rule fires"
"$fire" worktime-demo-scale-out
step "services in the morning: each one back as it was"
"$venv/bin/python" scripts/demo_ecs.py show
step "an evening delivery three hours late (after an outage): stale, nothing read or changed"
"$fire" worktime-demo-scale-in "$(date -u -d '3 hours ago' +%Y-%m-%dT%H:%M:%SZ)"
step "worktime run scale-in --dry-run (the same decisions from your machine, changing nothing)"
"$worktime" run scale-in --dry-run --config "$config"
step "worktime teardown"
"$worktime" teardown --config "$config" --yes
step "done: moto server stopped"
