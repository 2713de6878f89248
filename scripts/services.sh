#!/usr/bin/env bash
# Brings up, stops and reports the services omopetl's test suite needs, on a machine where nothing is pre-started.
#
#   scripts/services.sh [--dry-run] up|down|status [postgres] [spark]
#
# Without names, the services CI needs: postgres and spark.
#
# postgres: PostgreSQL from Debian's packages (installed when missing), in a cluster of this script's own (its data
# folder under OMOPETL_SERVICES_DIR), listening on 127.0.0.1:5432 only, role `postgres` trusted from loopback without
# a password, databases `postgres` and `test`. A server that already answers on the port and was not started here is
# used as it is (never reconfigured), if the role can reach it without a password; otherwise this script says so and
# fails. `down` stops only a server this script started. Running `up` twice changes nothing.
#
# spark: Apache Spark's Thrift JDBC/ODBC server (HiveThriftServer2) with Delta Lake, for the spark provider's tests.
# pyspark (pinned) is pip-installed into a virtual environment under OMOPETL_SERVICES_DIR (the pip package ships the
# server's jars but not sbin/start-thriftserver.sh, so it is started with spark-submit), Java 17 comes from Debian's
# packages when missing, and the Delta jars (delta-spark_2.13 + delta-storage, the release built for the pinned Spark)
# are fetched from Maven Central with mvn into a cache folder of this script's. The server listens on 127.0.0.1 only
# (port OMOPETL_SPARK_PORT, 10000), no authentication (SASL PLAIN, any user), runs Spark in local mode with its own
# warehouse and Derby metastore folders, and is waited for until it accepts connections. `down` stops only a server
# this script started.
#
# spark-cluster (not in CI; the bench's distributed run): a standalone Spark cluster on this machine — a master
# (spark-class ...deploy.master.Master on 127.0.0.1:7077) and two workers (...deploy.worker.Worker, one core and
# OMOPETL_SPARK_WORKER_MEMORY each, their own work folders) — and a second Thrift server submitting to that master
# instead of running Spark in local mode (port OMOPETL_SPARK_CLUSTER_PORT, 10001; its own warehouse and metastore).
# Same pyspark, Java and Delta jars as spark. `down spark-cluster` stops the server, the workers and the master.
#
# --dry-run prints what `up`/`down` would run and runs none of it (CI exercises it).
#
# Environment: OMOPETL_SERVICES_DIR (state: data folders, logs; default /var/lib/omopetl-services as root, else
# $XDG_STATE_HOME/omopetl-services), OMOPETL_PG_VERSION (15), OMOPETL_PG_PORT (5432), OMOPETL_SERVICES_TIMEOUT
# (seconds to wait for a server, 60), OMOPETL_SPARK_VERSION (4.0.1), OMOPETL_DELTA_VERSION (4.0.1),
# OMOPETL_SPARK_PORT (10000), OMOPETL_SPARK_TIMEOUT (seconds to wait for the Thrift server, 300: a JVM starting Spark
# and Hive's metastore on a loaded 2-core machine takes a minute or more), OMOPETL_SPARK_MEMORY (driver heap, 4g: 2g
# filled and died of OutOfMemoryError on 2026-12-04 under a Synthea run on Spark and a full test suite at once).
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
# Spark 4.0.x with the Delta release built against it (Delta 4.0.x pairs with Spark 4.0.x; a newer Spark needs the
# Delta release that names it).
SPARK_VERSION="${OMOPETL_SPARK_VERSION:-4.0.1}"
DELTA_VERSION="${OMOPETL_DELTA_VERSION:-4.0.1}"
SPARK_PORT="${OMOPETL_SPARK_PORT:-10000}"
SPARK_TIMEOUT="${OMOPETL_SPARK_TIMEOUT:-300}"
SPARK_MEMORY="${OMOPETL_SPARK_MEMORY:-4g}"
SPARK_DIR="${STATE_DIR}/spark-${SPARK_VERSION}"
SPARK_VENV="${SPARK_DIR}/venv"
SPARK_JARS="${STATE_DIR}/maven-jars/delta-${DELTA_VERSION}"
SPARK_RUN="${SPARK_DIR}/thriftserver-${SPARK_PORT}"
SPARK_PIDFILE="${SPARK_RUN}/server.pid"
SPARK_LOG="${SPARK_RUN}/server.log"
MVN_COPY="org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy"
SPARK_URL="hive://127.0.0.1:${SPARK_PORT}"
# Where spark's Thrift server runs Spark: in its own JVM (local mode), or on the standalone cluster (spark-cluster).
SPARK_MASTER="local[*]"
CLUSTER_PORT="${OMOPETL_SPARK_CLUSTER_PORT:-10001}"
CLUSTER_MASTER_PORT=7077
CLUSTER_WORKERS=2
CLUSTER_WORKER_MEMORY="${OMOPETL_SPARK_WORKER_MEMORY:-2g}"
CLUSTER_DIR="${SPARK_DIR}/cluster"
# What `up`/`down`/`status` act on without names: the services CI needs (.ci/run runs the Spark tests for real).
ALL_SERVICES=(postgres spark)
KNOWN_SERVICES=(postgres spark spark-cluster)

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

# --- spark -----------------------------------------------------------------------------------------------------------

# The major version of the `java` on PATH, or nothing.
java_major() {
  command -v java >/dev/null || return 0
  java -version 2>&1 | sed -n 's/.*version "\([0-9]*\)[."].*/\1/p' | head -n 1
}

# True when something accepts TCP connections on 127.0.0.1:$1.
port_answers() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# The pid of the Thrift server this script started (still alive), or nothing.
spark_our_pid() {
  local pid
  [[ -f $SPARK_PIDFILE ]] || return 0
  pid=$(head -n 1 "$SPARK_PIDFILE")
  if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then printf '%s' "$pid"; fi
}

# Java 17 (Spark 4 runs on 17 or 21), installed from Debian's packages when the java on PATH is older or missing.
spark_ensure_java() {
  local major
  major=$(java_major)
  if [[ -n $major ]] && ((major >= 17)); then return; fi
  say "spark: installing Java 17 from Debian's packages (found: ${major:-no java})"
  apt_install openjdk-17-jre-headless
}

# pyspark, pinned, in a virtual environment of this script's (never the system's Python).
spark_ensure_pyspark() {
  if [[ -x "$SPARK_VENV/bin/spark-submit" ]] && "$SPARK_VENV/bin/python" -c "import pyspark, sys; sys.exit(pyspark.__version__ != '${SPARK_VERSION}')" 2>/dev/null; then
    return
  fi
  command -v python3 >/dev/null || fail "spark: python3 is not installed (pyspark needs it): apt-get install -y python3 python3-venv"
  say "spark: installing pyspark==${SPARK_VERSION} from PyPI into ${SPARK_VENV} (about 430 MB)"
  run mkdir -p "$SPARK_DIR"
  run python3 -m venv "$SPARK_VENV"
  if [[ $DRY_RUN -eq 1 ]]; then
    run "$SPARK_VENV/bin/pip" install --no-cache-dir "pyspark==${SPARK_VERSION}"
    return
  fi
  local log="${SPARK_DIR}/install.log"
  "$SPARK_VENV/bin/pip" install --disable-pip-version-check --no-cache-dir "pyspark==${SPARK_VERSION}" >"$log" 2>&1 ||
    { tail -n 20 "$log" >&2; fail "spark: pip install pyspark==${SPARK_VERSION} failed (log: ${log})"; }
  local jars
  jars=$("$SPARK_VENV/bin/python" -c "import os, pyspark; print(os.path.join(os.path.dirname(pyspark.__file__), 'jars'))")
  compgen -G "${jars}/spark-hive-thriftserver_*.jar" >/dev/null ||
    fail "spark: pyspark ${SPARK_VERSION} has no spark-hive-thriftserver jar in ${jars}: pick a pyspark that ships it (OMOPETL_SPARK_VERSION)"
}

# The Delta jars, fetched once from Maven Central into a cache folder of this script's.
spark_ensure_delta() {
  local artifact
  if [[ -f "$SPARK_JARS/delta-spark_2.13-${DELTA_VERSION}.jar" && -f "$SPARK_JARS/delta-storage-${DELTA_VERSION}.jar" ]]; then return; fi
  if ! command -v mvn >/dev/null; then
    say "spark: installing Maven from Debian's packages (to fetch the Delta jars)"
    apt_install maven
  fi
  say "spark: fetching Delta ${DELTA_VERSION} (delta-spark_2.13, delta-storage) from Maven Central into ${SPARK_JARS}"
  run mkdir -p "$SPARK_JARS"
  local log="${SPARK_JARS}.log"
  for artifact in "io.delta:delta-spark_2.13:${DELTA_VERSION}" "io.delta:delta-storage:${DELTA_VERSION}"; do
    # A pinned plugin version (Maven's default one for the prefix predates -Dartifact on copy); run from the jar
    # folder so that a pom.xml in the caller's folder is never read.
    if [[ $DRY_RUN -eq 1 ]]; then
      run mvn -B -q "${MVN_COPY}" "-Dartifact=${artifact}" "-DoutputDirectory=${SPARK_JARS}"
      continue
    fi
    (cd "$SPARK_JARS" && mvn -B -q "${MVN_COPY}" "-Dartifact=${artifact}" "-DoutputDirectory=${SPARK_JARS}") \
      >>"$log" 2>&1 || { tail -n 20 "$log" >&2; fail "spark: mvn could not fetch ${artifact} (log: ${log})"; }
  done
}

spark_wait() {
  local pid=$1 waited=0
  until port_answers "$SPARK_PORT"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 30 "$SPARK_LOG" >&2 || true
      fail "spark: the Thrift server exited before it answered on 127.0.0.1:${SPARK_PORT}; its log: ${SPARK_LOG}"
    fi
    ((waited >= SPARK_TIMEOUT)) && fail "spark: the Thrift server did not answer on 127.0.0.1:${SPARK_PORT} within ${SPARK_TIMEOUT}s (OMOPETL_SPARK_TIMEOUT); its log: ${SPARK_LOG}"
    sleep 1
    waited=$((waited + 1))
  done
}

spark_up() {
  local started=$SECONDS pid
  pid=$(spark_our_pid)
  if [[ -n $pid ]]; then
    if [[ $DRY_RUN -eq 0 ]]; then spark_wait "$pid"; fi
    say "spark: already running (pid ${pid}, started by this script) at ${SPARK_URL}"
    return
  fi
  if port_answers "$SPARK_PORT"; then
    # Not ours: used as it is, never stopped or reconfigured. The tests fail clearly if it is not a Thrift server.
    say "spark: using the server already answering at ${SPARK_URL} (not started by this script; 'down' leaves it alone)"
    return
  fi
  spark_ensure_java
  spark_ensure_pyspark
  spark_ensure_delta
  local warehouse="${SPARK_RUN}/warehouse" metastore="${SPARK_RUN}/metastore"
  run mkdir -p "$warehouse" "$metastore"
  # Local mode on every core; few shuffle partitions (test tables are small: 200 tasks per shuffle would dominate);
  # no UI; the driver bound to loopback. Derby keeps the metastore in this server's own folder (derby.system.home
  # also keeps derby.log there).
  local cmd=(
    "$SPARK_VENV/bin/spark-submit"
    --master "$SPARK_MASTER"
    --name omopetl-thriftserver
    --driver-memory "$SPARK_MEMORY"
    --driver-java-options "-Dderby.system.home=${metastore}"
    --jars "${SPARK_JARS}/delta-spark_2.13-${DELTA_VERSION}.jar,${SPARK_JARS}/delta-storage-${DELTA_VERSION}.jar"
    # Also on the driver's own class path: with --jars alone, Delta lives in a session class loader, and after an
    # hour of sessions coming and going the Thrift server answered DATA_SOURCE_NOT_FOUND for USING DELTA.
    --driver-class-path "${SPARK_JARS}/delta-spark_2.13-${DELTA_VERSION}.jar:${SPARK_JARS}/delta-storage-${DELTA_VERSION}.jar"
    --conf spark.sql.extensions=io.delta.sql.DeltaSparkSessionExtension
    --conf spark.sql.catalog.spark_catalog=org.apache.spark.sql.delta.catalog.DeltaCatalog
    --conf "spark.sql.warehouse.dir=${warehouse}"
    --conf "spark.hadoop.javax.jdo.option.ConnectionURL=jdbc:derby:;databaseName=${metastore}/metastore_db;create=true"
    --conf spark.sql.shuffle.partitions=4
    --conf spark.ui.enabled=false
    --conf spark.driver.host=127.0.0.1
    --conf spark.driver.bindAddress=127.0.0.1
    --class org.apache.spark.sql.hive.thriftserver.HiveThriftServer2
    spark-internal
    --hiveconf hive.server2.thrift.bind.host=127.0.0.1
    --hiveconf "hive.server2.thrift.port=${SPARK_PORT}"
    --hiveconf hive.server2.transport.mode=binary
    --hiveconf hive.server2.authentication=NONE
  )
  if [[ $DRY_RUN -eq 1 ]]; then
    run "${cmd[@]}"
    say "spark: would wait up to ${SPARK_TIMEOUT}s for ${SPARK_URL}"
    return
  fi
  say "spark: starting the Thrift server (Spark ${SPARK_VERSION}, Delta ${DELTA_VERSION}) on 127.0.0.1:${SPARK_PORT}"
  # SPARK_HOME is the pip package's folder: spark-submit would otherwise look for it with the python3 on PATH, which
  # is not the venv's. Its own session (setsid), so it outlives this script and `down` can stop the JVM
  # (spark-submit execs java).
  local spark_home
  spark_home=$("$SPARK_VENV/bin/python" -c "import os, pyspark; print(os.path.dirname(pyspark.__file__))")
  SPARK_HOME="$spark_home" SPARK_LOCAL_IP=127.0.0.1 setsid nohup "${cmd[@]}" >"$SPARK_LOG" 2>&1 </dev/null &
  pid=$!
  printf '%s\n' "$pid" >"$SPARK_PIDFILE"
  spark_wait "$pid"
  say "spark: started at ${SPARK_URL} in $((SECONDS - started))s (pid ${pid}, warehouse ${warehouse}, log ${SPARK_LOG})"
}

spark_down() {
  local pid waited=0
  pid=$(spark_our_pid)
  if [[ -z $pid ]]; then
    say "spark: not running from ${SPARK_RUN}: nothing to stop"
    return
  fi
  run kill "$pid"
  if [[ $DRY_RUN -eq 0 ]]; then
    while kill -0 "$pid" 2>/dev/null; do
      if ((waited >= TIMEOUT)); then
        kill -9 "$pid" 2>/dev/null || true
        break
      fi
      sleep 1
      waited=$((waited + 1))
    done
    rm -f "$SPARK_PIDFILE"
  fi
  say "spark: stopped (pid ${pid})"
}

spark_status() {
  local pid
  pid=$(spark_our_pid)
  if [[ -n $pid ]]; then
    say "spark: running (pid ${pid}, started by this script) at ${SPARK_URL}; log ${SPARK_LOG}"
  elif port_answers "$SPARK_PORT"; then
    say "spark: a server not started by this script answers at 127.0.0.1:${SPARK_PORT}"
  elif [[ -x "$SPARK_VENV/bin/spark-submit" ]]; then
    say "spark: stopped (pyspark ${SPARK_VERSION} installed in ${SPARK_VENV}; 'up spark' starts it)"
  else
    say "spark: stopped (pyspark ${SPARK_VERSION} not installed; 'up spark' installs it)"
  fi
  [[ -n $pid ]]
}

# The Thrift server of spark-cluster: spark's variables pointed at its own port and folder, submitting to the master.
cluster_server_vars() {
  SPARK_PORT="$CLUSTER_PORT"
  SPARK_RUN="${CLUSTER_DIR}/thriftserver-${SPARK_PORT}"
  SPARK_PIDFILE="${SPARK_RUN}/server.pid"
  SPARK_LOG="${SPARK_RUN}/server.log"
  SPARK_URL="hive://127.0.0.1:${SPARK_PORT}"
  SPARK_MASTER="spark://127.0.0.1:${CLUSTER_MASTER_PORT}"
}

# The pid in a pid file if that process runs, or nothing.
live_pid() {
  local pid
  [[ -f $1 ]] || return 0
  pid=$(cat "$1")
  if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then printf '%s' "$pid"; fi
}

# Starts one daemon of the cluster (spark-class <class> <args>) in its own session, unless its pid file names a live one.
cluster_daemon() {
  local name=$1 class=$2 spark_home pid
  shift 2
  local pidfile="${CLUSTER_DIR}/${name}.pid" log="${CLUSTER_DIR}/${name}.log"
  if [[ -n $(live_pid "$pidfile") ]]; then return; fi
  if [[ $DRY_RUN -eq 1 ]]; then
    run spark-class "$class" "$@"
    return
  fi
  spark_home=$("$SPARK_VENV/bin/python" -c "import os, pyspark; print(os.path.dirname(pyspark.__file__))")
  SPARK_HOME="$spark_home" SPARK_LOCAL_IP=127.0.0.1 setsid nohup "$spark_home/bin/spark-class" "$class" "$@" >"$log" 2>&1 </dev/null &
  pid=$!
  printf '%s\n' "$pid" >"$pidfile"
}

spark_cluster_up() {
  local started=$SECONDS waited=0 i
  spark_ensure_java
  spark_ensure_pyspark
  spark_ensure_delta
  run mkdir -p "$CLUSTER_DIR"
  cluster_daemon master org.apache.spark.deploy.master.Master --host 127.0.0.1 --port "$CLUSTER_MASTER_PORT" --webui-port 18080
  if [[ $DRY_RUN -eq 0 ]]; then
    until port_answers "$CLUSTER_MASTER_PORT"; do
      ((waited >= SPARK_TIMEOUT)) && fail "spark-cluster: the master did not answer on 127.0.0.1:${CLUSTER_MASTER_PORT} within ${SPARK_TIMEOUT}s; its log: ${CLUSTER_DIR}/master.log"
      sleep 1
      waited=$((waited + 1))
    done
  fi
  for ((i = 1; i <= CLUSTER_WORKERS; i++)); do
    run mkdir -p "${CLUSTER_DIR}/worker-${i}"
    cluster_daemon "worker-${i}" org.apache.spark.deploy.worker.Worker --host 127.0.0.1 --cores 1 --memory "$CLUSTER_WORKER_MEMORY" \
      --work-dir "${CLUSTER_DIR}/worker-${i}" --webui-port $((18080 + i)) "spark://127.0.0.1:${CLUSTER_MASTER_PORT}"
  done
  if [[ $DRY_RUN -eq 0 ]]; then
    # The master logs each worker it accepts: wait for all of them before a job can be given cores.
    until (($(grep -c "Registering worker" "${CLUSTER_DIR}/master.log" 2>/dev/null || true) >= CLUSTER_WORKERS)); do
      ((waited >= SPARK_TIMEOUT)) && fail "spark-cluster: ${CLUSTER_WORKERS} workers did not register within ${SPARK_TIMEOUT}s; logs in ${CLUSTER_DIR}"
      sleep 1
      waited=$((waited + 1))
    done
  fi
  say "spark-cluster: master spark://127.0.0.1:${CLUSTER_MASTER_PORT} with ${CLUSTER_WORKERS} workers (1 core, ${CLUSTER_WORKER_MEMORY} each) up in $((SECONDS - started))s"
  cluster_server_vars
  spark_up
}

spark_cluster_down() {
  local name pid
  cluster_server_vars
  spark_down
  for name in $(seq -f "worker-%g" "$CLUSTER_WORKERS") master; do
    pid=$(live_pid "${CLUSTER_DIR}/${name}.pid")
    [[ -n $pid ]] || continue
    run kill "$pid"
    say "spark-cluster: stopped ${name} (pid ${pid})"
  done
}

spark_cluster_status() {
  local name pid rc=0
  for name in master $(seq -f "worker-%g" "$CLUSTER_WORKERS"); do
    pid=$(live_pid "${CLUSTER_DIR}/${name}.pid")
    if [[ -n $pid ]]; then say "spark-cluster: ${name} running (pid ${pid})"; else say "spark-cluster: ${name} stopped"; rc=1; fi
  done
  cluster_server_vars
  spark_status || rc=1
  return $rc
}

usage() {
  say "usage: scripts/services.sh [--dry-run] up|down|status [${KNOWN_SERVICES[*]}] (default: ${ALL_SERVICES[*]})"
  exit 2
}

main() {
  local action="" services=() s rc=0
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --dry-run) DRY_RUN=1 ;;
      -h | --help) usage ;;
      up | down | status) [[ -z $action ]] || usage; action=$1 ;;
      postgres | spark) services+=("$1") ;;
      spark-cluster) services+=(spark_cluster) ;;
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
