# astro-handshake: the newcomer's commands.
#   make demo     every handshake against a local AWS emulator, through the real function binaries
#   make bench    the benchmark: cold start against a Python accepter, API calls, scale, footprint
#   make test     every test: formatting, clippy, Python emulator/template/deploy tests, the arm64
#                 artifacts `sam build` ships (built, then run under qemu), cargo tests, IAM checks
#   make package  the arm64 bootstrap of every function, as `sam build` ships it, zipped
#   make stackset-template  a transform-free template for CloudFormation StackSets
#   make diagnose TARGET=.. PORT=..  why Astro can or cannot reach an address, hop by hop
# Each installs what it needs (Python venvs from PyPI, crates from crates.io, the arm64 Rust
# target through rustup, qemu and the arm64 C library from Debian).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

CACHE ?= $(HOME)/.cache/astro-handshake
# One target directory outside the clone, so that fresh clones on the same machine reuse the
# (slow to build) AWS SDK crates, and so that SAM's source hash never includes it.
export CARGO_TARGET_DIR ?= $(CACHE)/target
VENV ?= $(CACHE)/venv
SAM_VENV ?= $(CACHE)/venv-sam
CHECKOV_VENV ?= $(CACHE)/venv-checkov
BENCH_VENV ?= $(CACHE)/venv-bench
PYTHON ?= python3

export HANDSHAKE_PYTHON := $(VENV)/bin/python
export HANDSHAKE_CARGO_LAMBDA := $(VENV)/bin/cargo-lambda
export ASTRO_SAM_CLI := $(SAM_VENV)/bin/sam
export ASTRO_CHECKOV := $(CHECKOV_VENV)/bin/checkov
export PYTHONDONTWRITEBYTECODE := 1
export SAM_CLI_TELEMETRY := 0
export AWS_REGION ?= us-east-1

AWS_SAM_CLI_VERSION := 1.170.0
CHECKOV_VERSION := 3.3.30
ARM64_TARGET := aarch64-unknown-linux-gnu
FUNCTIONS := peering transit-gateway zones peer-role endpoint-services
DIST := dist
# Every AWS call the integration tests make, as the emulator saw it (tests/iam reads it).
CALL_LOG := $(CACHE)/calls.jsonl
# The venv first on PATH: SAM looks for cargo-lambda there, and cargo-lambda runs zig as
# `python3 -m ziglang` with the first python3 on PATH.
TOOLS_PATH := $(VENV)/bin:$(PATH)
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# The debug build of everything, tests included. `make demo` runs the same command as
# `make test`: `--bins` alone would resolve features without the dev-dependencies and
# rebuild the SDK crates.
CARGO_BUILD := cargo build --workspace --all-targets --locked

.PHONY: help setup build test lint fmt demo bench package stackset-template qemu release-size clean-cache

help:
	@echo "make demo                run every handshake against a local AWS emulator and show the result"
	@echo "make test                run every test (installs what it needs)"
	@echo "make bench               measure cold start, API calls, scale and footprint (release build, after make test)"
	@echo "make package             build the arm64 functions as sam build ships them, zipped in $(DIST)/functions"
	@echo "make stackset-template   the StackSet edition of the template and its code, in $(DIST)/stackset"
	@echo "make diagnose TARGET=10.0.3.25 PORT=5432 [NAME=..]   why Astro can or cannot reach an address (read-only; the peering function's environment and AWS credentials)"

$(VENV)/.installed: tests/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check -r tests/requirements.txt
	touch $@

$(SAM_VENV)/.installed:
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install -q --disable-pip-version-check aws-sam-cli==$(AWS_SAM_CLI_VERSION)
	touch $@

$(CHECKOV_VENV)/.installed:
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install -q --disable-pip-version-check checkov==$(CHECKOV_VERSION)
	touch $@

$(CACHE)/.rust-$(ARM64_TARGET):
	rustup target add $(ARM64_TARGET)
	mkdir -p $(CACHE) && touch $@

# qemu's user-mode emulation and Debian's arm64 C library, to run the shipped bootstraps.
qemu:
	@if ! command -v qemu-aarch64-static >/dev/null || [ ! -e /usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1 ]; then \
	  echo "installing qemu-user-static and libc6-arm64-cross"; \
	  $(SUDO) apt-get update -qq; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq qemu-user-static libc6-arm64-cross >/dev/null; \
	fi

setup: $(VENV)/.installed $(SAM_VENV)/.installed $(CHECKOV_VENV)/.installed

build:
	$(CARGO_BUILD)

lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets --locked -- -D warnings

# `sam build` runs `cargo lambda build --release --arm64 --bin NAME` once per function, one
# after the other, each ending in its own LTO link. Building the four binaries first in one
# cargo run, with the same command line, lets two links share the two cores; SAM's own runs
# then find them fresh and copy them to .aws-sam/build/<Function>/bootstrap.
package: $(VENV)/.installed $(SAM_VENV)/.installed $(CACHE)/.rust-$(ARM64_TARGET)
	PATH="$(TOOLS_PATH)" cargo lambda build --release --arm64 $(addprefix --bin ,$(FUNCTIONS))
	PATH="$(TOOLS_PATH)" $(ASTRO_SAM_CLI) build --region $(AWS_REGION)
	$(VENV)/bin/python tools/templates.py package --build-dir .aws-sam/build --out-dir $(DIST)

stackset-template: package
	$(VENV)/bin/python tools/templates.py stackset --build-dir .aws-sam/build --out-dir $(DIST)/stackset

test: setup build lint package qemu
	$(VENV)/bin/python -m pytest -q -p no:cacheprovider tests/emulator tests/template tests/deploy | tee $(CACHE)/pytest.log
	rm -f $(CALL_LOG)
	ASTRO_CALL_LOG=$(CALL_LOG) cargo test --workspace --locked 2>&1 | tee $(CACHE)/cargo-test.log
	ASTRO_CALL_LOG=$(CALL_LOG) $(VENV)/bin/python -m pytest -q -p no:cacheprovider tests/iam | tee $(CACHE)/pytest-iam.log
	@awk '/^test result:/ { p += $$4; f += $$6 } END { printf "cargo: %d passed, %d failed\n", p, f }' $(CACHE)/cargo-test.log
	@count() { cat $(CACHE)/pytest.log $(CACHE)/pytest-iam.log | grep -Eo "[0-9]+ $$1" | awk '{ s += $$1 } END { print s + 0 }'; }; \
	 passed=$$(( $$(count passed) + $$(awk '/^test result:/ { p += $$4 } END { print p + 0 }' $(CACHE)/cargo-test.log) )); \
	 failed=$$(( $$(count failed) + $$(awk '/^test result:/ { f += $$6 } END { print f + 0 }' $(CACHE)/cargo-test.log) )); \
	 echo "total: $$passed passed, $$failed failed"

demo: $(VENV)/.installed
	$(CARGO_BUILD)
	$(CARGO_TARGET_DIR)/debug/demo

fmt:
	cargo fmt --all

# The benchmark: the release binaries of this host (the peering and Transit Gateway functions)
# against the emulator, side by side with the Python/boto3 reference in benches/reference.
# Not part of `make test`. Its harness is the debug build `make test` already made.
# BENCH_RUNS (default 7), BENCH_SCALE_RUNS (default 7, about 8 minutes each),
# BENCH_SECTIONS (default cold,tls,sweeps,scale,footprint). openssl (for tls) is installed if missing.
$(BENCH_VENV)/.installed: benches/reference/requirements.txt
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/pip install -q --disable-pip-version-check -r benches/reference/requirements.txt
	touch $@

bench: $(VENV)/.installed $(BENCH_VENV)/.installed
	@command -v openssl >/dev/null || { $(SUDO) apt-get update -qq; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssl >/dev/null; }
	$(CARGO_BUILD)
	cargo build --release --locked -p peering -p transit-gateway
	BENCH_PYTHON=$(BENCH_VENV)/bin/python BENCH_BIN_DIR=$(CARGO_TARGET_DIR)/release \
	  $(CARGO_TARGET_DIR)/debug/bench

# The size of the functions for this host (release profile); `make package` gives the arm64 ones.
release-size:
	cargo build --release --locked $(addprefix -p ,$(FUNCTIONS))
	@ls -l $(addprefix $(CARGO_TARGET_DIR)/release/,$(FUNCTIONS))

clean-cache:
	rm -rf $(CACHE)

# Remote Execution: does NAME resolve to the PrivateLink endpoint from the VPCs? Runs the zones
# function's verify once, with its environment (ASTRO_ACCOUNT_IDS, ASTRO_CIDRS, ACCEPTER_VPC_IDS,
# REMOTE_EXECUTION_ZONE_ID, ZONE_VPC_ASSOCIATIONS) and AWS credentials.
.PHONY: verify-remote-execution
verify-remote-execution:
	cargo run -q --locked -p zones -- verify $(NAME) $(VPCS)

# Why can or can't Astro reach TARGET (an IPv4 address or eni- id) on TCP PORT? Runs the peering
# function's diagnose once, read-only, with its environment (ASTRO_ACCOUNT_IDS, ASTRO_CIDRS,
# ACCEPTER_VPC_IDS) and AWS credentials; NAME (optional) is the DNS name Astro uses. Prints one
# line per hop; exit 0 when reachable. JSON=1 prints the JSON report instead.
.PHONY: diagnose
diagnose:
	@[ -n "$(TARGET)" ] && [ -n "$(PORT)" ] || { echo "usage: make diagnose TARGET=10.0.3.25 PORT=5432 [NAME=db.corp.example] [JSON=1]"; exit 2; }
	cargo run -q --locked -p peering -- diagnose $(TARGET) $(PORT) $(NAME) $(if $(JSON),--json)
