#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for tests: loopback only, trust auth, no fsync, one per checkout.
#
#   scripts/postgres.sh start        # initdb + start on a free 127.0.0.1 port; prints the admin URL
#   scripts/postgres.sh url [DB]     # the URL of database DB (default postgres), created when missing
#   scripts/postgres.sh stop         # stop the cluster and delete its files
#
# PostgreSQL refuses to run as root, so as root the server runs as the system user m365pg (created on first
# use) and owns a data folder under /tmp. Binaries: initdb/pg_ctl on PATH, else /usr/lib/postgresql/*/bin,
# else (as root) Debian's postgresql package is installed.
set -euo pipefail
cd "$(dirname "$0")/.."
checkout_id=$(pwd -P | sha256sum | cut -c1-12)
PGROOT=${M365BRIDGE_PG_DIR:-/tmp/m365bridge-pg-$checkout_id}
PGDATA="$PGROOT/data"
PGUSER_OS=m365pg

find_bin_dir() {
  if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
    # Resolve symlinks (e.g. /usr/local/bin -> /usr/lib/postgresql/15/bin) to find psql beside them.
    dirname "$(readlink -f "$(command -v pg_ctl)")"
    return
  fi
  local found
  found=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1 || true)
  if [ -n "$found" ] && [ -x "$found/initdb" ]; then
    echo "$found"
  fi
}

ensure_binaries() {
  BIN=$(find_bin_dir)
  if [ -z "$BIN" ]; then
    scripts/apt-install.sh postgres.sh postgresql
    BIN=$(find_bin_dir)
    [ -n "$BIN" ] || { echo "postgres.sh: no initdb after installing postgresql" >&2; exit 1; }
  fi
}

# Run a command as the cluster's owner: ourselves, or m365pg when we are root.
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u "$PGUSER_OS" -- "$@"
  else
    "$@"
  fi
}

ensure_os_user() {
  if [ "$(id -u)" -eq 0 ] && ! id "$PGUSER_OS" >/dev/null 2>&1; then
    useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$PGUSER_OS"
  fi
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

port() { cat "$PGROOT/port"; }

running() { [ -f "$PGROOT/port" ] && as_owner "$BIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; }

url_of() { echo "postgresql://postgres@127.0.0.1:$(port)/$1"; }

start() {
  if running; then
    url_of postgres
    return
  fi
  ensure_os_user
  rm -rf "$PGROOT"
  mkdir -p "$PGROOT"
  [ "$(id -u)" -ne 0 ] || chown "$PGUSER_OS" "$PGROOT"
  chmod 700 "$PGROOT"
  as_owner "$BIN/initdb" -D "$PGDATA" -U postgres -A trust -E UTF8 --locale=C --no-sync >"$PGROOT/initdb.log"
  free_port >"$PGROOT/port"
  # Test data is disposable: trade durability for speed. Listen on loopback only; socket inside the data dir.
  as_owner "$BIN/pg_ctl" -D "$PGDATA" -l "$PGDATA/server.log" -w -t 60 start -o "\
    -c listen_addresses=127.0.0.1 -c port=$(port) -c unix_socket_directories=$PGDATA \
    -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" >/dev/null
  url_of postgres
}

stop() {
  if running; then
    as_owner "$BIN/pg_ctl" -D "$PGDATA" -m immediate -w stop >/dev/null
  fi
  rm -rf "$PGROOT"
}

url() {
  local db=${1:-postgres}
  running || { echo "postgres.sh: not running; run scripts/postgres.sh start" >&2; exit 1; }
  if ! [[ "$db" =~ ^[a-z_][a-z0-9_]*$ ]]; then
    echo "postgres.sh: database names are lower-case letters, digits and _" >&2
    exit 2
  fi
  local exists
  exists=$(as_owner "$BIN/psql" -h "$PGDATA" -p "$(port)" -U postgres -d postgres -tAc \
    "SELECT 1 FROM pg_database WHERE datname = '$db'")
  if [ "$exists" != 1 ]; then
    as_owner "$BIN/psql" -h "$PGDATA" -p "$(port)" -U postgres -d postgres -qc "CREATE DATABASE $db" >/dev/null
  fi
  url_of "$db"
}

ensure_binaries
case "${1:-}" in
  start) start ;;
  stop) stop ;;
  url) url "${2:-}" ;;
  *) sed -n '2,9p' "$0" >&2; exit 2 ;;
esac
