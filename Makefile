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

## The mini-program's test tools (jest, miniprogram-simulate), reinstalled when package-lock.json changes.
MP_MODULES := miniprogram/node_modules
MP_STAMP := $(MP_MODULES)/.installed-$(shell sha256sum miniprogram/package-lock.json | cut -c1-12)

$(MP_STAMP): miniprogram/package.json miniprogram/package-lock.json
	cd miniprogram && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	@rm -f $(MP_MODULES)/.installed-*
	@touch $(MP_STAMP)

## Run the whole test suite (SQLite by default; set DATABASE_URL for PostgreSQL): the mini-program's
## jest tests, then pytest (which includes the mini-program's contract test against the real backend).
test: system-deps $(STAMP) $(MP_STAMP)
	cd miniprogram && npx jest --ci --silent
	$(PY) -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache $(MP_MODULES)
