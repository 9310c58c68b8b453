# pulumi-freebsd. On a fresh machine: `make demo` (set-up, testbed `demo`, `pulumi up` of the
# main stack, the result) and `make test` (the whole suite).
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PULUMI := scripts/pulumi
TESTBED := $(VENV)/bin/freebsd-testbed
PYTEST_ARGS ?=
# The one version of the provider, the plugin, schema.json and every SDK.
VERSION := $(shell sed -n 's/^VERSION = "\(.*\)"$$/\1/p' provider/freebsd_provider/__init__.py)

.PHONY: setup venv pulumi-cli sshd bytecode version schema sdk sdk-build dist demo test test-fast bench clean

setup: venv pulumi-cli sshd bytecode

venv: $(VENV)/.installed

# The same venv `pulumi install` makes for the main stack: pip, in the program's directory, with
# its requirements.txt.
$(VENV)/.installed: examples/tutorial/requirements.txt provider/requirements.txt provider/pyproject.toml testbed/pyproject.toml sdk/python/pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	cd examples/tutorial && ../../$(PY) -m pip install -q --disable-pip-version-check -r requirements.txt
	touch $@

# The Pulumi CLI and the official language hosts (python, nodejs, go, yaml), built and cached.
pulumi-cli:
	scripts/build-pulumi

# Every `pulumi` run starts the provider and the language host afresh: with
# PYTHONDONTWRITEBYTECODE set (as on this machine) they would compile our modules from source
# each time (~0.1 s). compileall skips what is up to date.
bytecode: venv
	$(PY) -m compileall -q provider/freebsd_provider sdk/python/pulumi_freebsd >/dev/null

sshd:
	scripts/setup-testbed-deps

version:
	@echo $(VERSION)

# schema.json is generated from the provider's resource types; the SDKs from schema.json.
# PLUGIN_DOWNLOAD_URL=... names another release server for the SDKs (README, "Release layout").
schema: venv
	PULUMI_FREEBSD_PLUGIN_DOWNLOAD_URL='$(PLUGIN_DOWNLOAD_URL)' $(PY) -m freebsd_provider.schema > schema.json

sdk: schema pulumi-cli
	scripts/gen-sdk sdk

# Compile the TypeScript SDK and check the Go SDK builds (cached by content).
sdk-build:
	scripts/build-sdks nodejs go

# Release artefacts: the plugin archives, the Python wheel, the npm tarball. Needs python3 and
# npm only (no Pulumi CLI).
dist: venv
	scripts/build-sdks nodejs
	rm -rf dist
	$(PY) scripts/dist.py dist
	$(PY) -m pip wheel -q --disable-pip-version-check --no-deps -w dist sdk/python
	cp sdk/nodejs/bin/*.tgz dist/
	@ls -1 dist

demo: setup
	scripts/testbed-stack demo demo
	$(PULUMI) up --stack demo --yes --skip-preview
	scripts/demo-checks demo

test: setup dist
	$(PY) -m pytest -q $(PYTEST_ARGS) tests

test-fast: venv
	$(PY) -m pytest -q -m "not testbed and not e2e" tests

bench: setup
	$(PY) bench/run.py

clean:
	-$(TESTBED) down demo --purge
	rm -rf .state dist
