#!/usr/bin/env bash
# The embedded default: the whole worktime lifecycle against a moto server on a free
# 127.0.0.1 port. The same commands run against AWS with your profile (see README).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
venv="$root/.venv"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "building worktime"
cargo build -p worktime
worktime="$root/target/debug/worktime"

port="$("$venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
step "starting moto server on 127.0.0.1:$port"
"$venv/bin/moto_server" -H 127.0.0.1 -p "$port" >"${TMPDIR:-/tmp}/worktime-demo-moto.log" 2>&1 &
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
step "worktime run scale-in (what the 19:00 rule does)"
"$worktime" run scale-in --config "$config"
step "worktime status: everything at zero, the worker's capacity remembered"
"$worktime" status --config "$config"
step "worktime run scale-out (what the 09:00 rule does)"
"$worktime" run scale-out --config "$config"
step "worktime teardown"
"$worktime" teardown --config "$config" --yes
step "done: moto server stopped"
