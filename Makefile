# astro-handshake: the newcomer's commands.
#   make demo   the peering and Transit Gateway handshakes against a local AWS emulator
#   make test   every test: formatting, clippy, Python emulator/template tests, cargo tests
# Both install what they need (Python venvs from PyPI, cargo crates from crates.io).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

CACHE ?= $(HOME)/.cache/astro-handshake
# One target directory outside the clone, so that fresh clones on the same machine
# reuse the (slow to build) AWS SDK crates.
export CARGO_TARGET_DIR ?= $(CACHE)/target
VENV ?= $(CACHE)/venv
SAM_VENV ?= $(CACHE)/venv-sam
CHECKOV_VENV ?= $(CACHE)/venv-checkov
PYTHON ?= python3

export HANDSHAKE_PYTHON := $(VENV)/bin/python
export HANDSHAKE_CARGO_LAMBDA := $(VENV)/bin/cargo-lambda
export ASTRO_SAM_CLI := $(SAM_VENV)/bin/sam
export ASTRO_CHECKOV := $(CHECKOV_VENV)/bin/checkov
export PYTHONDONTWRITEBYTECODE := 1
export AWS_REGION ?= us-east-1

CARGO_LAMBDA_VERSION := 1.9.2
AWS_SAM_CLI_VERSION := 1.170.0
CHECKOV_VERSION := 3.3.30

.PHONY: help setup build test lint fmt demo release-size bench clean-cache

help:
	@echo "make demo    run the handshakes against a local AWS emulator and show the result"
	@echo "make test    run every test (installs what it needs)"

$(VENV)/.installed: tests/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check -r tests/requirements.txt
	# cargo-lambda only serves the Lambda Runtime API here; it needs no zig.
	$(VENV)/bin/pip install -q --disable-pip-version-check --no-deps cargo-lambda==$(CARGO_LAMBDA_VERSION)
	touch $@

$(SAM_VENV)/.installed:
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install -q --disable-pip-version-check aws-sam-cli==$(AWS_SAM_CLI_VERSION)
	touch $@

$(CHECKOV_VENV)/.installed:
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install -q --disable-pip-version-check checkov==$(CHECKOV_VERSION)
	touch $@

setup: $(VENV)/.installed $(SAM_VENV)/.installed $(CHECKOV_VENV)/.installed

build:
	cargo build --workspace --all-targets --locked

lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets --locked -- -D warnings

test: setup build lint
	$(VENV)/bin/python -m pytest -q -p no:cacheprovider tests/emulator tests/template | tee $(CACHE)/pytest.log
	cargo test --workspace --locked 2>&1 | tee $(CACHE)/cargo-test.log
	@awk '/^test result:/ { p += $$4; f += $$6 } END { printf "cargo: %d passed, %d failed\n", p, f }' $(CACHE)/cargo-test.log
	@count() { grep -Eo "[0-9]+ $$1" $(CACHE)/pytest.log | tail -1 | grep -Eo '[0-9]+' || echo 0; }; \
	 passed=$$(( $$(count passed) + $$(awk '/^test result:/ { p += $$4 } END { print p + 0 }' $(CACHE)/cargo-test.log) )); \
	 failed=$$(( $$(count failed) + $$(awk '/^test result:/ { f += $$6 } END { print f + 0 }' $(CACHE)/cargo-test.log) )); \
	 echo "total: $$passed passed, $$failed failed"

demo: $(VENV)/.installed
	cargo build --workspace --bins --locked
	$(CARGO_TARGET_DIR)/debug/demo

fmt:
	cargo fmt --all

# The size of what `sam build` ships (release profile, host target).
release-size:
	cargo build --release --locked -p peering -p transit-gateway -p zones -p peer-role
	@ls -l $(CARGO_TARGET_DIR)/release/{peering,transit-gateway,zones,peer-role}

clean-cache:
	rm -rf $(CACHE)

# Remote Execution: does NAME resolve to the PrivateLink endpoint from the VPCs? Runs the zones
# function's verify once, with its environment (ASTRO_ACCOUNT_IDS, ASTRO_CIDRS, ACCEPTER_VPC_IDS,
# REMOTE_EXECUTION_ZONE_ID, ZONE_VPC_ASSOCIATIONS) and AWS credentials.
.PHONY: verify-remote-execution
verify-remote-execution:
	cargo run -q --locked -p zones -- verify $(NAME) $(VPCS)
