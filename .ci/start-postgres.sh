#!/usr/bin/env bash
# Starts a private PostgreSQL cluster on 127.0.0.1 for the e2e suites and prints the URL to export.
# Installs the server from apt when it is missing. Usage: bash .ci/start-postgres.sh [port]
set -euo pipefail
PGPORT=${1:-${NETCORE_TEST_POSTGRES_PORT:-55432}}
ROOT=${NETCORE_TEST_POSTGRES_DIR:-/tmp/netcore-webhooks-pg}
PGDATA=$ROOT/data
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"

if ! ls -d /usr/lib/postgresql/*/bin >/dev/null 2>&1; then
  echo "installing postgresql from apt..." >&2
  $SUDO apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql >&2
fi
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)

as_postgres() { if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi; }

if [ -f "$PGDATA/postmaster.pid" ] && as_postgres "$PGBIN/pg_ctl -D $PGDATA status" >/dev/null 2>&1; then
  echo "postgres already running in $PGDATA" >&2
else
  rm -rf "$ROOT"
  if [ "$(id -u)" = 0 ]; then install -d -o postgres -g postgres -m 700 "$ROOT" "$PGDATA"; else install -d -m 700 "$ROOT" "$PGDATA"; fi
  as_postgres "$PGBIN/initdb -D $PGDATA -U postgres --auth=trust -E UTF8 --locale=C.UTF-8" >/dev/null
  as_postgres "$PGBIN/pg_ctl -D $PGDATA -l $ROOT/server.log -w -t 30 -o \"-c listen_addresses=127.0.0.1 -p $PGPORT -k $ROOT -c max_connections=300 -c fsync=off\" start" >&2
  psql -h 127.0.0.1 -p "$PGPORT" -U postgres -qc "CREATE ROLE webhooks LOGIN CREATEDB PASSWORD 'webhooks'" -c "CREATE DATABASE webhooks OWNER webhooks" >&2
fi
echo "postgres://webhooks:webhooks@127.0.0.1:$PGPORT/webhooks"
