#!/usr/bin/env bash
# The README's test command: lint, types, migrations in step with models, then the whole suite twice:
# once on SQLite, once on a throwaway PostgreSQL cluster (only the tests that use a database run again).
# Extra arguments go to both pytest runs. PYTEST_WORKERS sets the parallelism (default 2);
# M365BRIDGE_SKIP_POSTGRES_PASS=1 skips the second pass for a quick local run.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
export PATH="$PWD/.venv/bin:$PATH"

# bench/ joins the lint once it exists.
lint_paths=()
for path in src tests bench scripts; do [ ! -e "$path" ] || lint_paths+=("$path"); done
ruff check "${lint_paths[@]}"
ruff format --check "${lint_paths[@]}"
mypy
python scripts/migrations.py check
scripts/ensure-chromium.sh

# One pytest pass. pytest exits 5 when it collected nothing: for this project a failure of the suite itself.
run_pass() {
  local name=$1 status=0
  shift
  echo "== pytest, $name pass"
  pytest -n "${PYTEST_WORKERS:-2}" --dist loadgroup "$@" || status=$?
  if [ "$status" -eq 5 ]; then
    echo "pytest ($name pass) collected no tests" >&2
    status=1
  fi
  return "$status"
}

status=0
run_pass sqlite "$@" || status=$?

if [ "${M365BRIDGE_SKIP_POSTGRES_PASS:-0}" != 1 ]; then
  started=$SECONDS
  postgres_url=$(scripts/postgres.sh start)
  trap 'scripts/postgres.sh stop' EXIT
  M365BRIDGE_TEST_POSTGRES_URL=$postgres_url run_pass postgres "$@" || status=$?
  echo "PostgreSQL pass took $((SECONDS - started))s"
fi
exit "$status"
