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
#   TEMPLATES_DIR  where templates go (default: target/templates)
#   SKIP_SYNTH=1   do not synthesize; lint the *.yaml / *.json already in TEMPLATES_DIR
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

bin="${WORKTIME_BIN:-target/debug/worktime}"
venv="${VENV:-$root/.venv}"
out="${TEMPLATES_DIR:-target/templates}"
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
            # The stack-set template of `rollout --engine stacksets`, from the same config,
            # unless the config uses what that engine refuses (named schedules, notices):
            # then the refusal itself is checked (exit 2, naming the engine).
            file="$out/$name.stackset.$format"
            set +e
            refusal="$("$bin" synth --stackset --config "$config" --format "$format" --out "$file" 2>&1)"
            rc=$?
            set -e
            if [[ $rc -eq 2 && "$refusal" == *"the stack-set engine"* ]]; then
                if [[ $format == yaml ]]; then
                    echo "lint-templates: $config: no stack-set template, refused as expected: ${refusal#error: }"
                fi
                continue
            elif [[ $rc -ne 0 ]]; then
                echo "$refusal" >&2
                die "worktime synth --stackset failed for $config ($format)"
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
# Reads checkov's JSON report; prints "passed failed skipped" and lists failed checks.
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
    echo "$file: passed $n_passed, failed $n_failed, skipped $n_skipped"
    if [[ "$n_failed" != 0 || $rc -ne 0 ]]; then
        failed=1
    fi
done

echo "== every checkov skip has a reason; PyYAML (YAML 1.1) reads the YAML as the JSON"
# checkov --quiet leaves skipped checks out of its report, so the reasons are read from the
# templates' Metadata.
if "$python" - "${templates[@]}" <<'PY'
import json, os, sys, yaml
bad = False
for path in sys.argv[1:]:
    with open(path) as f:
        doc = yaml.safe_load(f) if path.endswith((".yaml", ".yml")) else json.load(f)
    for logical_id, resource in (doc.get("Resources") or {}).items():
        skips = (((resource.get("Metadata") or {}).get("checkov") or {}).get("skip")) or []
        for skip in skips:
            if not str(skip.get("comment", "")).strip():
                print(f"{path}: {logical_id} skips {skip.get('id')} without a reason (add a comment)")
                bad = True
    if path.endswith(".yaml"):
        twin = path[: -len(".yaml")] + ".json"
        if os.path.exists(twin):
            with open(twin) as f:
                if json.load(f) != doc:
                    print(f"{path}: PyYAML reads it differently from {twin}")
                    bad = True
sys.exit(1 if bad else 0)
PY
then
    echo "ok"
else
    failed=1
fi

if [[ $failed -ne 0 ]]; then
    echo "lint-templates: FAILED"
    exit 1
fi
echo "lint-templates: all ${#templates[@]} templates pass"
