# worktime — build, test, lint, demo and benchmark entry points.
# Everything Python (moto, cfn-lint, checkov, ruff, cargo-lambda, zig) lives in the project venv
# `.venv`, created on first use from the pinned requirements files: requirements-moto.txt
# (moto server: all `make demo` needs) and requirements-dev.txt (that, plus the linters and
# the cross-build tools the tests and `make lambda`/`make dist` need).

SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
MOTO_STAMP := $(VENV)/.installed-moto
STAMP := $(VENV)/.installed
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: all venv venv-moto build lambda dist test test-model test-rust lint-templates lint-policies lint lint-python fmt demo bench clean

all: build

# --no-compile: `make demo` makes this venv while cargo keeps both cores busy; byte-compiling
# every module up front costs about 14 s of CPU there, and Python compiles (and caches) the
# few modules moto server imports on first use.
$(MOTO_STAMP): requirements-moto.txt
	@command -v python3 >/dev/null || { echo "python3 is required (3.10+)"; exit 1; }
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check --no-compile -r requirements-moto.txt
	touch $(MOTO_STAMP)

$(STAMP): requirements-dev.txt $(MOTO_STAMP)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

## venv: the project's Python tools (moto server, cfn-lint, checkov, ruff, cargo-lambda, zig)
venv: $(STAMP)

## build: every crate and binary (debug)
build:
	cargo build --workspace --all-targets

## lambda: the function as an arm64 bootstrap.zip for provided.al2023
lambda: $(STAMP)
	cargo lambda build --profile function --arm64 --output-format zip -p worktime-lambda
	@ls -l target/lambda/bootstrap/bootstrap.zip | awk '{printf "target/lambda/bootstrap/bootstrap.zip: %d bytes (%.2f MiB)\n", $$5, $$5/1048576}'

## dist: target/dist/worktime, the release binary carrying both function zips (arm64,
## x86_64), with its man page (worktime.1) and shell completions
DIST := target/dist
dist: $(STAMP)
	cargo lambda build --profile function --arm64 --output-format zip -p worktime-lambda --lambda-dir $(DIST)/function/arm64
	cargo lambda build --profile function --x86-64 --output-format zip -p worktime-lambda --lambda-dir $(DIST)/function/x86_64
	cargo build --release -p worktime --bin worktime
	target/release/worktime package --arm64 $(DIST)/function/arm64/bootstrap/bootstrap.zip --x86-64 $(DIST)/function/x86_64/bootstrap/bootstrap.zip --out $(DIST)

## test: the Python lint, unit, snapshot and end-to-end tests (moto server on 127.0.0.1), then
## template lint. Builds the function zip first: an end-to-end test runs that arm64 zip (under
## qemu-aarch64 on x86_64), so that what ships is tested, not only the debug build.
test: $(STAMP) lint-python build lambda test-model test-rust lint-templates lint-policies

## test-model: the project's AWS model checks itself against a live server of its own
test-model: $(STAMP)
	$(PY) tests/aws_model/check_ecs_tasks.py
	$(PY) tests/aws_model/check_cloudwatch_cbor.py
	$(PY) tests/aws_model/check_ecs_container_instances.py
	$(PY) tests/aws_model/check_elbv2_target_group_stack.py

test-rust:
	cargo test --workspace

## lint-templates: cfn-lint and checkov on the template of every example config
lint-templates: $(STAMP)
	scripts/lint-templates.sh

## lint-policies: what `worktime policy` prints for every example: real actions, no wildcard
## actions, "*" only for actions without resource-level permissions
lint-policies: $(STAMP)
	$(PY) scripts/check-policies.py

## lint-python: ruff on the project's Python (the AWS model and its checks, scripts, bench),
## rules in ruff.toml
lint-python: $(STAMP)
	ruff check tests/aws_model scripts bench

## lint: formatting and clippy, warnings as errors
lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings

fmt:
	cargo fmt --all

## venv-moto: only moto server (what `make demo` needs; the demo makes it while cargo builds)
venv-moto: $(MOTO_STAMP)

## demo: the whole lifecycle against a local moto server (the embedded default)
demo:
	scripts/demo.sh

## bench: benchmarks (synth time; scaling function vs the original Python recipe)
bench: $(STAMP)
	scripts/bench.sh

clean:
	cargo clean
	rm -rf $(VENV)
