# worktime — build, test, lint, demo and benchmark entry points.
# Everything Python (moto, cfn-lint, checkov, cargo-lambda, zig) lives in the project venv
# `.venv`, created on first use from the pinned requirements-dev.txt.

SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: all venv build lambda test test-model test-rust lint-templates lint fmt demo bench clean

all: build

$(STAMP): requirements-dev.txt
	@command -v python3 >/dev/null || { echo "python3 is required (3.9+)"; exit 1; }
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

## venv: the project's Python tools (moto server, cfn-lint, checkov, cargo-lambda, zig)
venv: $(STAMP)

## build: every crate and binary (debug)
build:
	cargo build --workspace --all-targets

## lambda: the function as an arm64 bootstrap.zip for provided.al2023
lambda: $(STAMP)
	cargo lambda build --profile function --arm64 --output-format zip -p worktime-lambda
	@ls -l target/lambda/bootstrap/bootstrap.zip | awk '{printf "target/lambda/bootstrap/bootstrap.zip: %d bytes (%.2f MiB)\n", $$5, $$5/1048576}'

## test: unit, snapshot and end-to-end tests (moto server on 127.0.0.1), then template lint.
# Builds the function zip first: an end-to-end test runs that arm64 zip (under qemu-aarch64
# on x86_64), so that what ships is tested, not only the debug build.
test: $(STAMP) build lambda test-model test-rust lint-templates

## test-model: the project's AWS model checks itself against a live server of its own
test-model: $(STAMP)
	$(PY) tests/aws_model/check_ecs_tasks.py

test-rust:
	cargo test --workspace

## lint-templates: cfn-lint and checkov on the template of every example config
lint-templates: $(STAMP)
	scripts/lint-templates.sh

## lint: formatting and clippy, warnings as errors
lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings

fmt:
	cargo fmt --all

## demo: the whole lifecycle against a local moto server (the embedded default)
demo: $(STAMP)
	scripts/demo.sh

## bench: benchmarks (synth time; scaling function vs the original Python recipe)
bench: $(STAMP)
	scripts/bench.sh

clean:
	cargo clean
	rm -rf $(VENV)
