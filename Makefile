# The two commands: `make run` and `make test`. Each sets up what it needs on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 5000
export APPROVALS_INSTANCE_DIR ?= instance

.PHONY: run test bench loadtest setup demo clean

$(STAMP): pyproject.toml package.json
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	npm install --no-audit --no-fund --silent
	$(BIN)/pybabel compile -d web/translations >/dev/null
	touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	$(BIN)/approvals db upgrade
	$(BIN)/approvals users import procedures/users.yaml
	$(BIN)/approvals deploy workflows/
	$(BIN)/approvals demo load

run: demo
	$(BIN)/approvals serve --host $(HOST) --port $(PORT)

test: $(STAMP)
	$(BIN)/pytest -q

bench: $(STAMP)
	$(BIN)/python -m bench

# `approvals serve` on SQLite, then on a private PostgreSQL server: users x seconds, failures injected midway
LOADTEST_USERS ?= 50
LOADTEST_SECONDS ?= 60
loadtest: $(STAMP)
	$(BIN)/python -m loadtest --backends sqlite,postgresql --users $(LOADTEST_USERS) --seconds $(LOADTEST_SECONDS)

clean:
	rm -rf $(VENV) instance .pytest_cache
