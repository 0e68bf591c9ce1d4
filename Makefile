# 文明创建助手: the two commands are `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | sha256sum | cut -c1-12)

.PHONY: run test venv clean system-deps

$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

venv: $(STAMP)

## Debian packages the project needs (CJK font for posters, Chromium for browser tests); idempotent.
system-deps:
	@bash scripts/install-system-deps.sh

## Run the service locally: SQLite, the WeChat sandbox, demo data. Ctrl-C stops everything.
run: system-deps $(STAMP)
	$(PY) scripts/run_dev.py

## Run the whole test suite (SQLite by default; set DATABASE_URL for PostgreSQL).
test: system-deps $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache
