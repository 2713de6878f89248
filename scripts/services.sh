#!/usr/bin/env bash
# Brings up, stops and reports the services omopetl's test suite needs, on a machine where nothing is pre-started.
#
#   scripts/services.sh [--dry-run] up|down|status [postgres ...]
#
# postgres: PostgreSQL from Debian's packages (installed when missing), in a cluster of this script's own (its data
# folder under OMOPETL_SERVICES_DIR), listening on 127.0.0.1:5432 only, role `postgres` trusted from loopback without
# a password, databases `postgres` and `test`. A server that already answers on the port and was not started here is
# used as it is (never reconfigured), if the role can reach it without a password; otherwise this script says so and
# fails. `down` stops only a server this script started. Running `up` twice changes nothing.
#
# --dry-run prints what `up`/`down` would run and runs none of it (CI exercises it).
#
# Environment: OMOPETL_SERVICES_DIR (state: data folders, logs; default /var/lib/omopetl-services as root, else
# $XDG_STATE_HOME/omopetl-services), OMOPETL_PG_VERSION (15), OMOPETL_PG_PORT (5432), OMOPETL_SERVICES_TIMEOUT
# (seconds to wait for a server, 60).
set -euo pipefail

PG_VERSION="${OMOPETL_PG_VERSION:-15}"
PG_PORT="${OMOPETL_PG_PORT:-5432}"
TIMEOUT="${OMOPETL_SERVICES_TIMEOUT:-60}"
if [[ $(id -u) -eq 0 ]]; then
  STATE_DIR="${OMOPETL_SERVICES_DIR:-/var/lib/omopetl-services}"
else
  STATE_DIR="${OMOPETL_SERVICES_DIR:-${XDG_STATE_HOME:-$HOME/.local/state}/omopetl-services}"
fi
PG_BIN="/usr/lib/postgresql/${PG_VERSION}/bin"
PG_DIR="${STATE_DIR}/postgres-${PG_VERSION}"
PG_DATA="${PG_DIR}/data"
PG_SOCKETS="${PG_DIR}/run"
PG_LOG="${PG_DIR}/server.log"
PG_URL="postgres://postgres@127.0.0.1:${PG_PORT}/test"
ALL_SERVICES=(postgres)

DRY_RUN=0
APT_UPDATED=0

say() { printf '%s\n' "$*"; }
fail() {
  printf 'services: %s\n' "$*" >&2
  exit 1
}

# Runs a command, or only prints it with --dry-run.
run() {
  if [[ $DRY_RUN -eq 1 ]]; then
    printf '+ %s\n' "$*" >&2
  else
    "$@"
  fi
}

# Runs a command as the PostgreSQL service user: the server refuses to run as root.
as_pg_user() {
  if [[ $(id -u) -eq 0 ]]; then
    run runuser -u postgres -- "$@"
  else
    run "$@"
  fi
}

apt_install() {
  [[ $(id -u) -eq 0 ]] || fail "$* is not installed and only root can install it: sudo apt-get install -y $*"
  command -v apt-get >/dev/null || fail "$* is not installed and there is no apt-get here: install PostgreSQL ${PG_VERSION} by hand"
  local log="${STATE_DIR}/apt.log"
  if [[ $DRY_RUN -eq 1 ]]; then
    run apt-get update
    run apt-get install -y --no-install-recommends "$@"
    return
  fi
  mkdir -p "$STATE_DIR"
  # apt's own output goes to a log, shown only when it fails.
  if [[ $APT_UPDATED -eq 0 ]]; then
    apt-get update >"$log" 2>&1 || { tail -n 20 "$log" >&2; fail "apt-get update failed (log: ${log})"; }
    APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@" >>"$log" 2>&1 ||
    { tail -n 20 "$log" >&2; fail "apt-get install $* failed (log: ${log})"; }
}

pg_answers() {
  "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -t 2 >/dev/null 2>&1
}

# The pid of the server running from this script's data folder, or nothing.
pg_our_pid() {
  local pid
  [[ -f "$PG_DATA/postmaster.pid" ]] || return 0
  pid=$(head -n 1 "$PG_DATA/postmaster.pid")
  if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then printf '%s' "$pid"; fi
}

pg_psql() {
  "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U postgres -w "$@"
}

pg_wait() {
  local waited=0
  until pg_answers; do
    ((waited >= TIMEOUT)) && fail "PostgreSQL did not answer on 127.0.0.1:${PG_PORT} within ${TIMEOUT}s; its log: ${PG_LOG}"
    sleep 1
    waited=$((waited + 1))
  done
}

pg_ensure_test_database() {
  if [[ $DRY_RUN -eq 1 ]]; then
    printf '%s\n' "+ psql -c 'CREATE DATABASE test' (if missing)" >&2
    return
  fi
  if [[ $(pg_psql -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'test'") != 1 ]]; then
    pg_psql -d postgres -c "CREATE DATABASE test"
  fi
}

postgres_up() {
  local started=$SECONDS pid
  pid=$(pg_our_pid)
  if [[ -n $pid ]]; then
    pg_wait
    pg_ensure_test_database
    say "postgres: already running (pid ${pid}, started by this script) at ${PG_URL}"
    return
  fi
  if [[ -x "$PG_BIN/pg_isready" ]] && pg_answers; then
    # Someone else's server: use it as it is, or say why it cannot be used. Never reconfigure it.
    if ! pg_psql -d postgres -c "SELECT 1" >/dev/null 2>&1; then
      fail "a PostgreSQL server not started by this script answers on 127.0.0.1:${PG_PORT}, but role postgres cannot log in to it without a password. Stop it, or run this script with OMOPETL_PG_PORT=<free port> and point the tests at it: OMOPETL_TEST_PG_URL=postgres://postgres@127.0.0.1:<port>/test"
    fi
    pg_psql -d test -c "SELECT 1" >/dev/null 2>&1 ||
      fail "the PostgreSQL server on 127.0.0.1:${PG_PORT} (not started by this script) has no database 'test': create it (createdb -h 127.0.0.1 -p ${PG_PORT} -U postgres test) or use another OMOPETL_PG_PORT"
    say "postgres: using the server already running at ${PG_URL} (not started by this script; 'down' leaves it alone)"
    return
  fi
  if [[ ! -x "$PG_BIN/postgres" ]]; then
    say "postgres: installing postgresql-${PG_VERSION} from Debian's packages"
    apt_install "postgresql-${PG_VERSION}"
    # The package creates and may start a cluster of its own on the same port (where no policy-rc.d forbids it):
    # this script installed it, so it stops it to free the port for its own cluster.
    if [[ $DRY_RUN -eq 0 ]] && command -v pg_ctlcluster >/dev/null && pg_answers; then
      pg_ctlcluster "$PG_VERSION" main stop || true
    fi
  fi
  if [[ ! -f "$PG_DATA/PG_VERSION" ]]; then
    say "postgres: creating a cluster in ${PG_DATA}"
    run mkdir -p "$PG_DATA" "$PG_SOCKETS"
    if [[ $(id -u) -eq 0 ]]; then run chown -R postgres:postgres "$PG_DIR"; fi
    # Trust on loopback only (listen_addresses below): a throwaway test server with no password to configure.
    as_pg_user "$PG_BIN/initdb" -D "$PG_DATA" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
  fi
  run mkdir -p "$PG_SOCKETS"
  if [[ $(id -u) -eq 0 ]]; then run chown postgres:postgres "$PG_SOCKETS"; fi
  # fsync and synchronous_commit off: a test server whose data is rebuilt by every test, never kept; a lost machine
  # loses nothing of value, and the suites run faster.
  as_pg_user "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t "$TIMEOUT" -s start -o \
    "-c listen_addresses=127.0.0.1 -c port=${PG_PORT} -c unix_socket_directories=${PG_SOCKETS} -c max_connections=200 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" ||
    fail "PostgreSQL did not start; its log: ${PG_LOG}"
  if [[ $DRY_RUN -eq 0 ]]; then pg_wait; fi
  pg_ensure_test_database
  say "postgres: started at ${PG_URL} in $((SECONDS - started))s (data ${PG_DATA}, log ${PG_LOG})"
}

postgres_down() {
  local pid
  pid=$(pg_our_pid)
  if [[ -z $pid ]]; then
    say "postgres: not running from ${PG_DATA}: nothing to stop"
    return
  fi
  as_pg_user "$PG_BIN/pg_ctl" -D "$PG_DATA" -w -t "$TIMEOUT" -s -m fast stop
  say "postgres: stopped (pid ${pid})"
}

postgres_status() {
  local pid
  pid=$(pg_our_pid)
  if [[ -n $pid ]]; then
    say "postgres: running (pid ${pid}, started by this script) at ${PG_URL}; data ${PG_DATA}; log ${PG_LOG}"
  elif [[ -x "$PG_BIN/pg_isready" ]] && pg_answers; then
    say "postgres: a server not started by this script answers at 127.0.0.1:${PG_PORT}"
  elif [[ -x "$PG_BIN/postgres" ]]; then
    say "postgres: stopped (PostgreSQL ${PG_VERSION} installed; 'up' starts it)"
  else
    say "postgres: stopped (PostgreSQL ${PG_VERSION} not installed; 'up' installs it from Debian's packages)"
  fi
  [[ -n $pid ]]
}

usage() {
  say "usage: scripts/services.sh [--dry-run] up|down|status [${ALL_SERVICES[*]}]"
  exit 2
}

main() {
  local action="" services=() s rc=0
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --dry-run) DRY_RUN=1 ;;
      -h | --help) usage ;;
      up | down | status) [[ -z $action ]] || usage; action=$1 ;;
      postgres) services+=("$1") ;;
      *) say "services: unknown argument '$1'" >&2; usage ;;
    esac
    shift
  done
  [[ -n $action ]] || usage
  [[ ${#services[@]} -gt 0 ]] || services=("${ALL_SERVICES[@]}")
  for s in "${services[@]}"; do
    "${s}_${action}" || rc=1
  done
  # status exits 0 when every service asked about runs, 3 otherwise (as LSB's status does).
  if [[ $action == status && $rc -ne 0 ]]; then exit 3; fi
}

main "$@"
