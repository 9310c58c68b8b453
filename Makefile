# pulumi-freebsd. On a fresh machine: `make demo` (set-up, testbed `demo`, `pulumi up` of the
# main stack, the result) and `make test` (the whole suite).
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PULUMI := scripts/pulumi
TESTBED := $(VENV)/bin/freebsd-testbed
PYTEST_ARGS ?=

.PHONY: setup venv pulumi-cli sshd bytecode schema sdk demo test test-fast bench clean

setup: venv pulumi-cli sshd bytecode

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt provider/pyproject.toml testbed/pyproject.toml sdk/python/pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements.txt
	$(PY) -m pip install -q --disable-pip-version-check -e provider -e testbed -e sdk/python
	touch $@

pulumi-cli:
	scripts/build-pulumi

# Every `pulumi` run starts the provider and the language host afresh: with
# PYTHONDONTWRITEBYTECODE set (as on this machine) they would compile our modules from source
# each time (~0.1 s). compileall skips what is up to date.
bytecode: venv
	$(PY) -m compileall -q provider/freebsd_provider sdk/python/pulumi_freebsd scripts/langhost >/dev/null

sshd:
	scripts/setup-testbed-deps

# schema.json is generated from the provider's resource types; the Python SDK from schema.json.
schema: venv
	$(PY) -m freebsd_provider.schema > schema.json

sdk: schema pulumi-cli
	rm -rf sdk/python/pulumi_freebsd
	$(PULUMI) package gen-sdk ./schema.json --language python -o sdk >/dev/null

demo: setup
	scripts/testbed-stack demo demo
	$(PULUMI) up --stack demo --yes --skip-preview
	scripts/demo-checks demo

test: setup
	$(PY) -m pytest -q $(PYTEST_ARGS) tests

test-fast: venv
	$(PY) -m pytest -q -m "not testbed and not e2e" tests

bench: setup
	$(PY) bench/run.py

clean:
	-$(TESTBED) down demo --purge
	rm -rf .state
