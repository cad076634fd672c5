# Two commands on a fresh machine: `make demo` and `make test`. Both run `make setup`.
SHELL := /bin/bash
PY      := .venv/bin/python
PYTEST  := .venv/bin/pytest
CLUSTER ?= clusters/lab.yaml
APT_PACKAGES := openssh-server openssh-client supervisor haproxy crudini sudo \
                iproute2 procps psmisc dpkg-dev apt-utils python3 python3-venv python3-paramiko
STAMP := .venv/.setup-stamp

.PHONY: setup demo test test-fast test-lab bench report lab-up lab-down lab-status clean

setup: $(STAMP)

$(STAMP): pyproject.toml Makefile
	@if [ "$$(id -u)" != 0 ]; then echo "make setup: must run as root (it installs apt packages and the lab needs namespaces)" >&2; exit 1; fi
	@missing=""; for p in $(APT_PACKAGES); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "apt: installing$$missing"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get update -qq && apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi
	@test -x $(PY) || python3 -m venv .venv
	@$(PY) -m pip install -q --upgrade pip >/dev/null 2>&1 || true
	@set -o pipefail; $(PY) -m pip install -q -e '.[dev]' 2>&1 | { grep -v -e 'is ignored: it is neither' || true; }
	@touch $(STAMP)
	@echo "setup: ok (.venv ready, apt packages present)"

demo: setup
	$(PYTEST) runbook --cluster $(CLUSTER) --yes

test: setup
	$(PYTEST) tests

test-fast: setup
	$(PYTEST) tests -m "not lab"

bench: setup
	$(PY) bench/lab_boot.py

lab-up: setup
	.venv/bin/issu-lab up --cluster $(CLUSTER)

lab-down: setup
	.venv/bin/issu-lab down --cluster $(CLUSTER)

lab-status: setup
	.venv/bin/issu-lab status --cluster $(CLUSTER)

# HTML report from reports/allure-results with the Allure command-line tool (npm
# package allure-commandline, needs Java); installed into .tools/ on first use.
ALLURE := .tools/node_modules/.bin/allure
report:
	@test -d reports/allure-results || { echo "make report: no reports/allure-results yet (run the runbook first)" >&2; exit 1; }
	@command -v java >/dev/null || { echo "make report: needs Java for the Allure command line (apt-get install default-jre-headless)" >&2; exit 1; }
	@test -x $(ALLURE) || npm install --silent --prefix .tools allure-commandline@2 >/dev/null
	$(ALLURE) generate --clean reports/allure-results -o reports/html
	@echo "report: reports/html/index.html"

clean:
	rm -rf reports/allure-results reports/junit.xml reports/journal.jsonl reports/html
