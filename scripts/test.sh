#!/usr/bin/env bash
# The README's test command: lint, types, migrations in step with models, then the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
export PATH="$PWD/.venv/bin:$PATH"

ruff check src tests bench scripts
ruff format --check src tests bench scripts
mypy
python scripts/migrations.py check

status=0
pytest -n "${PYTEST_WORKERS:-2}" "$@" || status=$?
# pytest exits 5 when it collected nothing; for this project that is a failure of the suite itself.
if [ "$status" -eq 5 ]; then
  echo "pytest collected no tests" >&2
fi
exit "$status"
