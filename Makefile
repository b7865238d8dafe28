# 吹哨报到 — the two commands: `make run` and `make test` (see README.md).
# Both set up everything on a fresh Debian machine: system packages, the Python venv, npm
# packages, compiled translations and the database schema.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
STAMP := .make
FLASK := $(BIN)/flask --app wsgi
PG_URL ?= postgresql://127.0.0.1:5432/test
export DEMO_PASSWORD ?= demo12345

# WeasyPrint's libraries and the CJK font; poppler-utils for pdffonts/pdftoppm checks.
APT_RUN := fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 poppler-utils
# Browser tests drive Debian's Chromium (never a downloaded browser).
APT_TEST := chromium

.PHONY: run test test-fast lint audit-deps setup setup-test services redis migrate demo translations extract-messages bench lighthouse clean

run: setup redis migrate demo
	@echo "Serving on http://127.0.0.1:$(PORT)"
	$(BIN)/gunicorn --bind 127.0.0.1:$(PORT) --workers 2 --access-logfile - wsgi:app

# The whole suite, browser tests and fault drills included, on SQLite and on PostgreSQL side
# by side (tools/test_suites.sh); a failure of either fails the run.
test: setup setup-test services
	BIN=$(BIN) PG_URL=$(PG_URL) LOGS=$(STAMP) tools/test_suites.sh

# The quick loop while working: domain and page tests on SQLite, no browser, no slow drills,
# on both cores (pytest-xdist).
test-fast: setup
	DATABASE_URL=sqlite:// $(BIN)/pytest -q -p no:cacheprovider -n 2 -m "not browser and not slow"

# Lint, format check and the domain's types (ruff and mypy, configured in pyproject.toml).
lint: $(STAMP)/venv
	$(BIN)/ruff check portal tests bench tools migrations
	$(BIN)/ruff format --check portal tests bench tools migrations
	$(BIN)/mypy

# Known vulnerabilities in the pins (pip-audit, npm audit --omit=dev); says "could not
# check" and passes when an advisory database is out of reach (tools/audit_deps.py).
audit-deps: $(STAMP)/venv $(STAMP)/npm
	$(BIN)/python tools/audit_deps.py

setup: $(STAMP)/apt-run $(STAMP)/venv $(STAMP)/npm portal/static/js/htmx.min.js translations

setup-test: $(STAMP)/apt-test

$(STAMP)/apt-run:
	@mkdir -p $(STAMP)
	@if ! dpkg -s $(APT_RUN) >/dev/null 2>&1; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(APT_RUN); fi
	@touch $@

$(STAMP)/apt-test:
	@mkdir -p $(STAMP)
	@if ! dpkg -s $(APT_TEST) >/dev/null 2>&1; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(APT_TEST); fi
	@touch $@

$(STAMP)/venv: requirements.txt requirements-dev.txt
	@mkdir -p $(STAMP)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements-dev.txt
	@touch $@

$(STAMP)/npm: package.json package-lock.json
	@mkdir -p $(STAMP)
	npm ci --no-audit --no-fund
	@touch $@

portal/static/js/htmx.min.js: $(STAMP)/npm
	mkdir -p $(@D)
	cp node_modules/htmx.org/dist/htmx.min.js $@

translations: $(STAMP)/venv
	$(BIN)/pybabel compile -d portal/translations >/dev/null 2>&1

# Start the local PostgreSQL and Redis when they are down (DEVELOPERS.md).
services: redis
	@pg_isready -q -h 127.0.0.1 -p 5432 || pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start
	@for i in $$(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
	@pg_isready -h 127.0.0.1 -p 5432

# Rate limits live in Redis; the portal falls back to memory if it is missing.
redis:
	@redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 || redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no || echo "Redis not available: rate limits fall back to memory"

migrate: setup
	$(FLASK) db upgrade

demo: migrate
	$(FLASK) demo

# Refresh the message catalogue after changing UI text, then translate the new entries.
extract-messages: $(STAMP)/venv
	$(FLASK) translate update

# Measurements (medians and ratios; see bench/*.py). wrk drives the load test on 127.0.0.1.
bench: setup services
	@command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; }
	$(BIN)/python bench/pages.py
	$(BIN)/python bench/budgets.py
	$(BIN)/python bench/cases_scale.py --db sqlite
	$(BIN)/python bench/cases_scale.py --db postgresql
	$(BIN)/python bench/queues.py --db sqlite
	$(BIN)/python bench/queues.py --db postgresql
	$(BIN)/python bench/contacts.py --db sqlite
	$(BIN)/python bench/contacts.py --db postgresql
	$(BIN)/python bench/figures.py
	$(BIN)/python bench/i18n.py
	$(BIN)/python bench/load.py --db sqlite --json bench/results/load-sqlite.json
	$(BIN)/python bench/load.py --db postgresql --json bench/results/load-postgresql.json

# Issue 17's page budgets: Lighthouse (a devDependency from `npm ci`, never fetched at run
# time) in Debian's chromium, mobile on simulated slow 4G, median of 3 (bench/lighthouse.py).
lighthouse: setup setup-test
	$(BIN)/python bench/lighthouse.py --runs 3

clean:
	rm -rf $(STAMP) $(VENV) node_modules portal/static/js/htmx.min.js
