# `make demo` and `make test` set up everything they need on Debian 12:
# missing apt packages, then a virtualenv with the project and its test extra.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# binary -> Debian package that provides it
APT_NEEDS := knotd:knot kdig:knot-dnsutils knsupdate:knot-dnsutils \
             nsupdate:bind9-dnsutils nix-instantiate:nix-bin \
             kea-dhcp-ddns:kea-dhcp-ddns-server \
             kea-dhcp4:kea-dhcp4-server kea-dhcp6:kea-dhcp6-server \
             prometheus-node-exporter:prometheus-node-exporter promtool:prometheus \
             systemd-analyze:systemd \
             kzonecheck:knot-dnssecutils

.PHONY: help deps venv lint typecheck pytest test demo bench clean

help:
	@echo "make demo   - local Knot on 127.0.0.1 with DHCP/ExternalDNS records, check, plan, apply"
	@echo "make test   - ruff, mypy --strict and the whole pytest suite (real knotd, nix, kea; builds and installs the wheel)"
	@echo "make bench  - speed figures (checker, AXFR reader vs kdig)"

deps:
	@missing=""; \
	for pair in $(APT_NEEDS); do \
	  bin=$${pair%%:*}; pkg=$${pair##*:}; \
	  if ! command -v $$bin >/dev/null 2>&1 && ! [ -x /usr/sbin/$$bin ]; then missing="$$missing $$pkg"; fi; \
	done; \
	[ -x /usr/bin/python3 ] || missing="$$missing python3"; \
	if ! $(PYTHON) -c 'import ensurepip, venv' >/dev/null 2>&1; then missing="$$missing python3-venv"; fi; \
	if [ -n "$$missing" ]; then \
	  sudo=""; [ "$$(id -u)" = 0 ] || sudo="sudo"; \
	  echo "installing Debian packages:$$missing"; \
	  $$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq; \
	  $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: venv
	$(BIN)/mypy

# pytest's exit 5 means it collected no test: a run that tests nothing fails.
pytest: deps venv
	@rc=0; PATH="/usr/sbin:$$PATH" DNS_STATIC_REQUIRE_TOOLS=1 $(BIN)/pytest $(PYTEST_ARGS) || rc=$$?; \
	if [ $$rc = 5 ]; then echo "pytest collected no tests (exit 5); check PYTEST_ARGS='$(PYTEST_ARGS)'" >&2; fi; \
	exit $$rc

test: deps venv lint typecheck pytest

demo: deps venv
	PATH="/usr/sbin:$$PATH" $(BIN)/python examples/demo.py

bench: deps venv
	PATH="/usr/sbin:$$PATH" $(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis
