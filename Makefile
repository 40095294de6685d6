.PHONY: demo test lint format bench install fuzz soak

LINT_PATHS := $(wildcard src tests bench scripts)

MODE ?= basic
ITSM ?=

# The README's first command: install, start both sides with demo data, until Ctrl-C.
# `make demo MODE=aad` (or insights, none) completes another setup mode; `make demo ITSM=servicenow`
# also starts a stand-in ServiceNow instance and connects the connector to it.
demo: install
	.venv/bin/m365bridge demo --data-dir demo-data --mode $(MODE)$(if $(ITSM), --itsm $(ITSM))

# The README's second command: install, then lint, types, migrations and the whole test suite.
test:
	scripts/test.sh

install:
	scripts/bootstrap.sh

lint: install
	.venv/bin/ruff check $(LINT_PATHS)
	.venv/bin/mypy

format: install
	.venv/bin/ruff format $(LINT_PATHS)
	.venv/bin/ruff check --fix $(LINT_PATHS)

bench: install
	.venv/bin/python bench/run_all.py

# Longer fuzzing than the test suite's: more schemathesis and hypothesis examples per operation.
fuzz: install
	FUZZ_EXAMPLES=100 .venv/bin/pytest -q tests/fuzz

# The reliability scenarios at full size: 1,000 case events, a minute of downtime, 2,000 throttled issues (see docs/operations.md).
soak: install
	RELIABILITY_EVENTS=1000 RELIABILITY_DOWN_SECONDS=60 RELIABILITY_GRAPH_ISSUES=2000 RELIABILITY_KILL_EVENTS=1000 .venv/bin/pytest -q tests/reliability
