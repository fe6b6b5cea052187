#!/usr/bin/env bash
# Installs (if needed) and starts a throwaway PostgreSQL server on loopback for effect-parallel's cluster tests
# and for trying cluster mode across processes:
#
#   scripts/postgres.sh start    # install if missing, initdb, start; prints the URL to use
#   scripts/postgres.sh stop     # stop the server (the data directory stays)
#   scripts/postgres.sh url      # print the URL
#
# Environment: PGPORT (default 5432), PGDATA (default /tmp/effect-parallel-pg), PGUSER_NAME (default postgres).
# The server listens on 127.0.0.1 only and trusts local connections: never use it for anything else.
# Then run the Postgres test with:
#   EFFECT_PARALLEL_PG_URL=$(scripts/postgres.sh url) npx vitest run test/ClusterPostgres.test.ts
set -euo pipefail

PORT="${PGPORT:-5432}"
DATA="${PGDATA:-/tmp/effect-parallel-pg}"
OWNER="${PGUSER_NAME:-postgres}"
URL="postgres://postgres@127.0.0.1:${PORT}/postgres"

find_bin() {
  local name="$1"
  if command -v "$name" >/dev/null 2>&1; then command -v "$name"; return; fi
  local candidate
  candidate="$(ls -d /usr/lib/postgresql/*/bin/"$name" 2>/dev/null | sort -V | tail -1 || true)"
  if [ -n "$candidate" ]; then echo "$candidate"; return; fi
  return 1
}

as_owner() {
  if [ "$(id -u)" = "0" ]; then
    runuser -u "$OWNER" -- "$@"
  else
    "$@"
  fi
}

install() {
  if find_bin initdb >/dev/null && find_bin pg_ctl >/dev/null; then return; fi
  echo "installing postgresql..." >&2
  if [ "$(id -u)" = "0" ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  else
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  fi
}

start() {
  install
  local initdb pg_ctl
  initdb="$(find_bin initdb)"
  pg_ctl="$(find_bin pg_ctl)"
  if [ "$(id -u)" = "0" ] && ! id "$OWNER" >/dev/null 2>&1; then useradd --system --no-create-home "$OWNER"; fi
  mkdir -p "$DATA"
  if [ "$(id -u)" = "0" ]; then chown "$OWNER" "$DATA"; fi
  chmod 700 "$DATA"
  if [ ! -f "$DATA/PG_VERSION" ]; then
    as_owner "$initdb" -D "$DATA" -U postgres --auth=trust --encoding=UTF8 >/dev/null
  fi
  if as_owner "$pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
    echo "$URL"
    return
  fi
  as_owner "$pg_ctl" -D "$DATA" -l "$DATA/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -c port=${PORT} -c unix_socket_directories=${DATA} -c max_connections=200" start >/dev/null
  echo "$URL"
}

stop() {
  local pg_ctl
  pg_ctl="$(find_bin pg_ctl)"
  as_owner "$pg_ctl" -D "$DATA" -m fast -w stop >/dev/null
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  url) echo "$URL" ;;
  *) echo "usage: $0 start|stop|url" >&2; exit 2 ;;
esac
