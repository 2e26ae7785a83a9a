# Kubernetes Failure Stories — the commands people type.
# `make run` and `make test` work on a fresh machine with Python 3.11+: they create
# the virtualenv and install what they need.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install install-dev migrate import validate check-pr check-workflows lint format fixtures-format check-compose check-kubernetes rehearsal bench bench-site bench-rss bench-pages bench-search relevance clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(VENV)/.installed $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

migrate: install
	$(MANAGE) migrate --no-input

import: migrate
	$(MANAGE) import_stories

# `make run` serves as the site does in production: its own 404 and 500 pages and the
# compressed static files. `make run DEBUG=true` opts into Django's debug pages. Links the
# site writes (canonical, feeds, emails) use SITE_URL, which follows HOST and PORT.
DEBUG ?= false
SITE_URL ?= http://$(HOST):$(PORT)
LOCAL_SECRET := var/local-secret-key
RUN_ENV = DEBUG=$(DEBUG) SITE_URL=$(SITE_URL) SESSION_COOKIE_SECURE=false CSRF_COOKIE_SECURE=false \
	SECRET_KEY="$${SECRET_KEY:-$$(cat $(LOCAL_SECRET))}"

$(LOCAL_SECRET): | $(BIN)/python
	mkdir -p $(dir $@)
	$(BIN)/python -c "import secrets; print(secrets.token_urlsafe(50))" > $@

## Serve the full catalogue on the embedded default (SQLite) at http://$(HOST):$(PORT)
run: import $(LOCAL_SECRET)
	$(RUN_ENV) $(MANAGE) collectstatic --no-input -v0
	$(RUN_ENV) $(MANAGE) runserver $(HOST):$(PORT)

## Run the whole test suite (SQLite by default; DATABASE_URL=postgres://... for PostgreSQL)
test: install-dev
	$(BIN)/pytest $(PYTEST_ARGS)

validate: install
	$(MANAGE) validate_stories
	$(MANAGE) validate_ranges

## What a pull request's CI checks: the story and mitigation files changed since BASE, with
## problems at file and line, repeated sources and titles, and a preview in var/story-report.md
BASE ?= $(shell git rev-parse --verify --quiet origin/main >/dev/null && echo origin/main || echo main)
check-pr: install
	@mkdir -p var && : > var/story-report.md
	$(MANAGE) story_report --changed-since $(BASE) --summary var/story-report.md
	@echo "Preview: var/story-report.md"

fixtures-format: install
	$(MANAGE) format_stories

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: install-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

check-compose: install-dev
	$(BIN)/check-jsonschema --builtin-schema vendor.compose-spec docker-compose.yml

## deploy/kubernetes: each overlay rendered by kubectl kustomize, validated offline against
## the Kubernetes schemas, and held to the project's policy (probes, resources, security)
check-kubernetes: install-dev
	$(BIN)/python deploy/kubernetes/check.py

## The scale-out rehearsal on this machine (deploy/rehearsal.py): its own PostgreSQL and Redis,
## 3 gunicorn replicas behind HAProxy, 2 workers, 2 beats, steady load, five faults in turn;
## prints a Markdown table and fails if a requirement does. Knobs: REHEARSAL_* (see the script)
rehearsal: install
	$(BIN)/python deploy/rehearsal.py

## The GitHub workflows against GitHub's workflow schema, and actionlint when installed
## (pip install -e ".[actionlint]": its build downloads the actionlint binary from GitHub)
check-workflows: install-dev
	$(BIN)/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml
	@if [ -x $(BIN)/actionlint ]; then \
		$(BIN)/actionlint -color=never .github/workflows/*.yml && echo "actionlint: no problem"; \
	elif [ "$$GITHUB_ACTIONS" = true ]; then \
		echo 'actionlint is missing: pip install -e ".[actionlint]"' >&2; exit 1; \
	else \
		echo 'actionlint not run: not installed (pip install -e ".[actionlint]")'; \
	fi

## Page latency, SQL queries and memory per request on the configured database
bench: import
	$(MANAGE) bench_pages

## Benchmarks on PostgreSQL with synthetic catalogues: SIZE=1k, 10k, 100k or several ("1k 10k")
SIZE ?= 1k
bench-site: install
	bench/run site $(SIZE)

bench-rss: install
	bench/run rss $(SIZE)

bench-pages: install
	bench/run pages $(SIZE)

bench-search: install
	bench/run search $(SIZE)

## Search quality over tests/search/relevance.yaml on SQLite and, with DATABASE_URL, PostgreSQL;
## records each engine's first 3 results in tests/search/relevance_top3.yaml
RELEVANCE_SQLITE ?= sqlite:///$(CURDIR)/var/relevance.sqlite3
relevance: install-dev
	@mkdir -p var
	@for url in "$(RELEVANCE_SQLITE)" $${DATABASE_URL:+"$$DATABASE_URL"}; do \
		DATABASE_URL=$$url $(MANAGE) migrate --no-input -v0 && \
		DATABASE_URL=$$url $(MANAGE) import_stories --prune -v0 >/dev/null && \
		DATABASE_URL=$$url $(MANAGE) rebuild_search_index -v0 >/dev/null && \
		DATABASE_URL=$$url $(MANAGE) search_relevance --write-top3 $(RELEVANCE_ARGS) || exit 1; \
	done
	@[ -n "$$DATABASE_URL" ] || echo "PostgreSQL not measured: set DATABASE_URL=postgres://..."

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache .mypy_cache
