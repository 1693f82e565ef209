#!/usr/bin/env bash
# Synthesizes the worktime template for every examples/*.toml (YAML and JSON) and checks
# each one with cfn-lint (no errors, no warnings: any output fails) and checkov (no failed
# checks; every skip is recorded in the resource's Metadata with its reason). It also checks
# that a YAML 1.1 parser (PyYAML, as the local AWS emulator uses) reads the YAML exactly as
# the JSON.
#
# Usage: scripts/lint-templates.sh
#   WORKTIME_BIN   the worktime binary (default: target/debug/worktime)
#   VENV           the tools' virtualenv (default: .venv, with cfn-lint and checkov pinned
#                  in requirements-dev.txt)
#   SKIP_SYNTH=1   don't synthesize; lint the *.yaml / *.json already in target/templates/
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

bin="${WORKTIME_BIN:-target/debug/worktime}"
venv="${VENV:-$root/.venv}"
out="target/templates"
cfn_lint="$venv/bin/cfn-lint"
checkov="$venv/bin/checkov"
python="$venv/bin/python"

die() { echo "lint-templates: $*" >&2; exit 2; }

for tool in "$cfn_lint" "$checkov" "$python"; do
    [[ -x "$tool" ]] || die "$tool not found: create the venv (python3 -m venv .venv && .venv/bin/pip install -r requirements-dev.txt) or set VENV"
done

mkdir -p "$out"
templates=()
if [[ "${SKIP_SYNTH:-}" == 1 ]]; then
    shopt -s nullglob
    templates=("$out"/*.yaml "$out"/*.json)
    shopt -u nullglob
    [[ ${#templates[@]} -gt 0 ]] || die "no templates in $out"
else
    [[ -x "$bin" ]] || die "$bin not found: run cargo build -p worktime, or set WORKTIME_BIN"
    shopt -s nullglob
    configs=(examples/*.toml)
    shopt -u nullglob
    [[ ${#configs[@]} -gt 0 ]] || die "no examples/*.toml to synthesize"
    for config in "${configs[@]}"; do
        name="$(basename "$config" .toml)"
        for format in yaml json; do
            file="$out/$name.$format"
            if ! "$bin" synth --config "$config" --format "$format" --out "$file"; then
                die "worktime synth failed for $config ($format)"
            fi
            templates+=("$file")
        done
    done
fi

failed=0

echo "== cfn-lint ($("$cfn_lint" --version)) on ${#templates[@]} templates"
# cfn-lint exits 0 on informational findings; any output at all counts as a failure.
set +e
lint_output="$("$cfn_lint" --format parseable -- "${templates[@]}" 2>&1)"
lint_rc=$?
set -e
if [[ $lint_rc -ne 0 || -n "$lint_output" ]]; then
    echo "$lint_output"
    echo "cfn-lint: FAILED (exit $lint_rc)"
    failed=1
else
    echo "cfn-lint: clean"
fi

echo "== checkov ($("$checkov" --version 2>/dev/null))"
summarize="$(mktemp)"
trap 'rm -f "$summarize"' EXIT
cat >"$summarize" <<'PY'
# Reads checkov's JSON report; prints "passed failed skipped". A skip without a reason
# counts as a failure.
import json, sys
text = sys.stdin.read().strip()
if not text:
    print("NO-REPORT")
    sys.exit()
data = json.loads(text)
reports = data if isinstance(data, list) else [data]
passed = failed = skipped = 0
for report in reports:
    summary = report.get("summary", {})
    passed += summary.get("passed", 0)
    failed += summary.get("failed", 0)
    skipped += summary.get("skipped", 0)
    results = report.get("results", {})
    for check in results.get("failed_checks", []):
        print("  FAILED %s %s: %s" % (check["check_id"], check["resource"], check["check_name"]), file=sys.stderr)
    for check in results.get("skipped_checks", []):
        reason = (check.get("check_result") or {}).get("suppress_comment", "")
        if not reason:
            print("  SKIPPED WITHOUT A REASON %s %s" % (check["check_id"], check["resource"]), file=sys.stderr)
            failed += 1
print(passed, failed, skipped)
PY
for file in "${templates[@]}"; do
    # --skip-download: no Prisma Cloud calls (offline; they only add guideline links).
    set +e
    report="$("$checkov" -f "$file" --framework cloudformation --compact --quiet --skip-download \
        --output json 2>/dev/null)"
    rc=$?
    set -e
    summary="$(printf '%s' "$report" | "$python" "$summarize")"
    if [[ "$summary" == NO-REPORT ]]; then
        echo "$file: checkov produced no report (exit $rc)"
        failed=1
        continue
    fi
    read -r n_passed n_failed n_skipped <<<"$summary"
    echo "$file: passed $n_passed, failed $n_failed, skipped $n_skipped (each with its reason)"
    if [[ "$n_failed" != 0 || $rc -ne 0 ]]; then
        failed=1
    fi
done

echo "== YAML 1.1 (PyYAML) reads the YAML as the JSON"
yaml_failed=0
for yaml_file in "${templates[@]}"; do
    [[ "$yaml_file" == *.yaml ]] || continue
    json_file="${yaml_file%.yaml}.json"
    [[ -f "$json_file" ]] || continue
    if ! "$python" - "$yaml_file" "$json_file" <<'PY'
import json, sys, yaml
with open(sys.argv[1]) as f:
    from_yaml = yaml.safe_load(f)
with open(sys.argv[2]) as f:
    from_json = json.load(f)
if from_yaml != from_json:
    print(f"{sys.argv[1]}: PyYAML reads it differently from {sys.argv[2]}")
    sys.exit(1)
PY
    then
        yaml_failed=1
    fi
done
if [[ $yaml_failed -eq 0 ]]; then
    echo "same documents"
else
    failed=1
fi

if [[ $failed -ne 0 ]]; then
    echo "lint-templates: FAILED"
    exit 1
fi
echo "lint-templates: all ${#templates[@]} templates pass"
