#!/usr/bin/env bash
# kafka.sh — fetch and run the REAL Apache Kafka (single node, KRaft) for interop tests.
#
# The Kafka version is pinned in test/interop/tooling/pom.xml (<kafka.version>). The jars come
# from Maven Central through `mvn dependency:copy-dependencies` and are cached in the git-ignored
# folder <project>/.interop-cache/kafka-<version>/libs. Needs: java 11+ (17 recommended), mvn (only for fetch).
#
# Usage:
#   kafka.sh fetch                         download the jars (idempotent; no-op when cached)
#   kafka.sh start <port> <datadir> [key=value ...]
#                                          format <datadir> (random cluster id, first time only) and
#                                          start a combined broker+controller bound to 127.0.0.1:<port>;
#                                          key=value pairs override/add server.properties entries, e.g.
#                                          advertised.listeners=PLAINTEXT://127.0.0.1:19093
#                                          Prints the JVM's PID on stdout once the port answers.
#   kafka.sh stop <datadir>                stop the broker started with that datadir (TERM, then KILL)
#   kafka.sh status <datadir>              exit 0 and print the PID if it is running
#   kafka.sh run <tool|main-class> args... run a Kafka tool with the right classpath
#   kafka.sh classpath                     print the classpath (after fetch)
#   kafka.sh fetch-client <version>        download an older Java client (kafka-clients <version>, e.g. 2.0.1)
#                                          into .interop-cache/kafka-clients-<version> (see kafka-clients-pom.xml)
#   kafka.sh client-classpath <version>    print that client's classpath (fetches it first if needed)
#   kafka.sh run-client <version> <Main.java|main-class> args...
#                                          run a program against that client (a single .java file is
#                                          compiled on the fly by the java launcher)
#   kafka.sh version                       print the pinned Kafka version
#
# Tool names accepted by `run` (the class each kafka-*.sh script of Kafka 3.9 runs):
#   topics              org.apache.kafka.tools.TopicCommand            (kafka-topics.sh)
#   console-producer    kafka.tools.ConsoleProducer                    (kafka-console-producer.sh)
#   console-consumer    org.apache.kafka.tools.consumer.ConsoleConsumer (kafka-console-consumer.sh)
#   consumer-groups     org.apache.kafka.tools.consumer.group.ConsumerGroupCommand (kafka-consumer-groups.sh)
#   producer-perf-test  org.apache.kafka.tools.ProducerPerformance     (kafka-producer-perf-test.sh)
#   consumer-perf-test  org.apache.kafka.tools.ConsumerPerformance     (kafka-consumer-perf-test.sh)
#   dump-log            kafka.tools.DumpLogSegments                    (kafka-dump-log.sh)
#   configs             kafka.admin.ConfigCommand                      (kafka-configs.sh)
#   storage             kafka.tools.StorageTool                        (kafka-storage.sh)
#   broker-api-versions kafka.admin.BrokerApiVersionsCommand           (kafka-broker-api-versions.sh)
#   acls                kafka.admin.AclCommand                         (kafka-acls.sh)
#   features            org.apache.kafka.tools.FeatureCommand          (kafka-features.sh)
#   delete-records      org.apache.kafka.tools.DeleteRecordsCommand    (kafka-delete-records.sh)
#   log-dirs            org.apache.kafka.tools.LogDirsCommand          (kafka-log-dirs.sh)
#   transactions        org.apache.kafka.tools.TransactionsCommand     (kafka-transactions.sh)
#   metadata-quorum     org.apache.kafka.tools.MetadataQuorumCommand   (kafka-metadata-quorum.sh)
#   leader-election     org.apache.kafka.tools.LeaderElectionCommand   (kafka-leader-election.sh)
#   get-offsets         org.apache.kafka.tools.GetOffsetShell          (kafka-get-offsets.sh)
# Anything else is taken as a fully qualified main class, or a single-file Foo.java program
# (compiled on the fly by the java launcher against the broker's classpath).
# Note: in 3.9 kafka-topics is org.apache.kafka.tools.TopicCommand (kafka.admin.TopicCommand is gone).
#
# Examples:
#   test/interop/tooling/kafka.sh fetch
#   test/interop/tooling/kafka.sh start 19092 /tmp/k1
#   test/interop/tooling/kafka.sh run topics --bootstrap-server 127.0.0.1:19092 --create --topic t --partitions 3
#   echo hello | test/interop/tooling/kafka.sh run console-producer --bootstrap-server 127.0.0.1:19092 --topic t
#   test/interop/tooling/kafka.sh run console-consumer --bootstrap-server 127.0.0.1:19092 --topic t \
#       --from-beginning --max-messages 1
#   test/interop/tooling/kafka.sh stop /tmp/k1
#
# Environment:
#   KAFKA_HEAP_OPTS        broker heap (default "-Xms256m -Xmx1g")
#   KAFKA_TOOL_HEAP_OPTS   tool heap (default "-Xmx512m")
#   KAFKA_CONTROLLER_PORT  controller listener port (default: first free port from <port>+100)
#   KAFKA_START_TIMEOUT    seconds to wait for the port (default 90)
#   INTEROP_CACHE          cache folder (default <project>/.interop-cache)
#   KAFKA_TOOL_LOG_LEVEL   log level of tools (default WARN; logs go to stderr)
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PROJECT_ROOT="$(cd "$SCRIPT_DIR/../../.." && pwd)"
POM="$SCRIPT_DIR/pom.xml"
CACHE_ROOT="${INTEROP_CACHE:-$PROJECT_ROOT/.interop-cache}"

die() { echo "kafka.sh: $*" >&2; exit 1; }
log() { echo "kafka.sh: $*" >&2; }

kafka_version() {
  sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$POM" | head -n1
}

KAFKA_VERSION="$(kafka_version)"
[[ -n "$KAFKA_VERSION" ]] || die "cannot read <kafka.version> from $POM"
KAFKA_HOME="$CACHE_ROOT/kafka-$KAFKA_VERSION"
LIBS="$KAFKA_HOME/libs"
MARKER="$KAFKA_HOME/.complete"

require_java() {
  command -v java >/dev/null 2>&1 || die "java is missing: install Java 11+ (17 recommended; Debian: apt-get install openjdk-17-jre-headless)"
  local v
  v="$(java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n1)"
  [[ -n "$v" && "$v" -ge 11 ]] || die "java 11+ is required (found: $(java -version 2>&1 | head -n1))"
}

require_mvn() {
  command -v mvn >/dev/null 2>&1 || die "mvn is missing: install Apache Maven 3.6+ (Debian: apt-get install maven) to fetch Kafka"
}

# mvn, quiet, with the colour escapes it prints even in batch mode removed
mvn_quiet() {
  local out rc=0
  out="$(mktemp)"
  mvn -q -B -Dstyle.color=never "$@" >"$out" 2>&1 || rc=$?
  sed 's/\x1b\[[0-9;]*m//g' "$out" | grep -v '^[[:space:]]*$' >&2 || true
  rm -f "$out"
  return "$rc"
}

pom_hash() { sha256sum "$POM" | cut -d' ' -f1; }

is_fetched() { [[ -f "$MARKER" && "$(cat "$MARKER")" == "$(pom_hash)" ]]; }

cmd_fetch() {
  require_java
  if is_fetched; then
    log "Kafka $KAFKA_VERSION already in $LIBS"
    return 0
  fi
  require_mvn
  mkdir -p "$KAFKA_HOME"
  local tmp="$KAFKA_HOME/libs.tmp.$$"
  rm -rf "$tmp"
  log "fetching Kafka $KAFKA_VERSION from Maven Central into $LIBS"
  if ! mvn_quiet -f "$POM" dependency:copy-dependencies \
      -DincludeScope=runtime -DoutputDirectory="$tmp" >&2; then
    rm -rf "$tmp"
    die "mvn dependency:copy-dependencies failed (is Maven Central reachable?)"
  fi
  ls "$tmp"/kafka_2.13-"$KAFKA_VERSION".jar >/dev/null 2>&1 || { rm -rf "$tmp"; die "broker jar missing after fetch"; }
  rm -rf "$LIBS"
  mv "$tmp" "$LIBS"
  write_log4j_configs
  pom_hash > "$MARKER"
  log "fetched $(ls "$LIBS" | wc -l) jars"
}

write_log4j_configs() {
  mkdir -p "$KAFKA_HOME/config"
  # Broker: everything to ${kafka.logs.dir}/server.log, warnings also to stdout (captured in <datadir>/kafka.out).
  cat > "$KAFKA_HOME/config/log4j.properties" <<'EOF'
log4j.rootLogger=INFO, kafkaAppender, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.Threshold=WARN
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.appender.kafkaAppender=org.apache.log4j.FileAppender
log4j.appender.kafkaAppender.File=${kafka.logs.dir}/server.log
log4j.appender.kafkaAppender.layout=org.apache.log4j.PatternLayout
log4j.appender.kafkaAppender.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.request.logger=WARN
log4j.logger.org.apache.kafka.raft=INFO
log4j.logger.kafka.log.LogCleaner=INFO
EOF
  # Tools: to stderr, so their stdout stays clean for the data they print.
  cat > "$KAFKA_HOME/config/tools-log4j.properties" <<'EOF'
log4j.rootLogger=${kafka.tool.log.level}, stderr
log4j.appender.stderr=org.apache.log4j.ConsoleAppender
log4j.appender.stderr.layout=org.apache.log4j.PatternLayout
log4j.appender.stderr.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.appender.stderr.Target=System.err
EOF
}

ensure_fetched() {
  require_java
  is_fetched || die "Kafka $KAFKA_VERSION is not fetched yet: run '$0 fetch' first (needs mvn and Maven Central)"
}

classpath() { ls "$LIBS"/*.jar | tr '\n' ':' | sed 's/:$//'; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") >/dev/null 2>&1; }

free_port_from() {
  local p="$1"
  while port_open "$p"; do p=$((p + 1)); done
  echo "$p"
}

pid_alive() { [[ -n "${1:-}" ]] && kill -0 "$1" 2>/dev/null; }

read_pid() { if [[ -f "$1/kafka.pid" ]]; then cat "$1/kafka.pid"; fi; }

resolve_tool() {
  case "$1" in
    topics|kafka-topics) echo org.apache.kafka.tools.TopicCommand ;;
    console-producer|kafka-console-producer) echo kafka.tools.ConsoleProducer ;;
    console-consumer|kafka-console-consumer) echo org.apache.kafka.tools.consumer.ConsoleConsumer ;;
    consumer-groups|kafka-consumer-groups) echo org.apache.kafka.tools.consumer.group.ConsumerGroupCommand ;;
    producer-perf-test|kafka-producer-perf-test) echo org.apache.kafka.tools.ProducerPerformance ;;
    consumer-perf-test|kafka-consumer-perf-test) echo org.apache.kafka.tools.ConsumerPerformance ;;
    dump-log|kafka-dump-log) echo kafka.tools.DumpLogSegments ;;
    configs|kafka-configs) echo kafka.admin.ConfigCommand ;;
    storage|kafka-storage) echo kafka.tools.StorageTool ;;
    broker-api-versions|kafka-broker-api-versions) echo kafka.admin.BrokerApiVersionsCommand ;;
    acls|kafka-acls) echo kafka.admin.AclCommand ;;
    features|kafka-features) echo org.apache.kafka.tools.FeatureCommand ;;
    delete-records|kafka-delete-records) echo org.apache.kafka.tools.DeleteRecordsCommand ;;
    log-dirs|kafka-log-dirs) echo org.apache.kafka.tools.LogDirsCommand ;;
    transactions|kafka-transactions) echo org.apache.kafka.tools.TransactionsCommand ;;
    metadata-quorum|kafka-metadata-quorum) echo org.apache.kafka.tools.MetadataQuorumCommand ;;
    leader-election|kafka-leader-election) echo org.apache.kafka.tools.LeaderElectionCommand ;;
    get-offsets|kafka-get-offsets) echo org.apache.kafka.tools.GetOffsetShell ;;
    *.*) echo "$1" ;;
    *) die "unknown tool '$1' (see the list at the top of $0, or pass a fully qualified class name)" ;;
  esac
}

run_java_tool() {
  local main="$1"; shift
  # shellcheck disable=SC2086
  exec java ${KAFKA_TOOL_HEAP_OPTS:--Xmx512m} -Djava.awt.headless=true \
    -Dlog4j.configuration="file:$KAFKA_HOME/config/tools-log4j.properties" \
    -Dkafka.tool.log.level="${KAFKA_TOOL_LOG_LEVEL:-WARN}" \
    -cp "$(classpath)" "$main" "$@"
}

cmd_run() {
  [[ $# -ge 1 ]] || die "usage: $0 run <tool|main-class> [args...]"
  ensure_fetched
  local main; main="$(resolve_tool "$1")"; shift
  run_java_tool "$main" "$@"
}

set_prop() { # file key value: replace the key's line or append it
  local f="$1" k="$2" v="$3"
  if grep -q "^${k//./\\.}=" "$f"; then
    local tmp; tmp="$(mktemp)"
    awk -v k="$k" -v v="$v" 'index($0, k "=") == 1 { print k "=" v; next } { print }' "$f" > "$tmp"
    mv "$tmp" "$f"
  else
    echo "$k=$v" >> "$f"
  fi
}

CLIENTS_POM="$SCRIPT_DIR/kafka-clients-pom.xml"

cmd_fetch_client() {
  [[ $# -ge 1 ]] || die "usage: $0 fetch-client <kafka-clients version>"
  local v="$1" dir="$CACHE_ROOT/kafka-clients-$1"
  require_java
  [[ -f "$dir/.complete" ]] && return 0
  require_mvn
  local tmp="$dir.tmp.$$"
  rm -rf "$tmp"
  log "fetching kafka-clients $v from Maven Central into $dir"
  if ! mvn_quiet -f "$CLIENTS_POM" dependency:copy-dependencies \
      -Dkafka.clients.version="$v" -DincludeScope=runtime -DoutputDirectory="$tmp" >&2; then
    rm -rf "$tmp"
    die "could not fetch kafka-clients $v (does that version exist on Maven Central?)"
  fi
  rm -rf "$dir"
  mv "$tmp" "$dir"
  touch "$dir/.complete"
}

client_classpath() {
  cmd_fetch_client "$1"
  ls "$CACHE_ROOT/kafka-clients-$1"/*.jar | tr '\n' ':' | sed 's/:$//'
}

cmd_run_client() {
  [[ $# -ge 2 ]] || die "usage: $0 run-client <version> <Main.java|main-class> [args...]"
  local v="$1" main="$2"; shift 2
  local cp; cp="$(client_classpath "$v")"
  # shellcheck disable=SC2086
  exec java ${KAFKA_TOOL_HEAP_OPTS:--Xmx512m} -Djava.awt.headless=true \
    -Dorg.slf4j.simpleLogger.defaultLogLevel="$(echo "${KAFKA_TOOL_LOG_LEVEL:-WARN}" | tr '[:upper:]' '[:lower:]')" \
    -Dorg.slf4j.simpleLogger.logFile=System.err \
    -cp "$cp" "$main" "$@"
}

cmd_start() {
  [[ $# -ge 2 ]] || die "usage: $0 start <port> <datadir> [key=value ...]"
  local port="$1" datadir="$2"; shift 2
  [[ "$port" =~ ^[0-9]+$ ]] || die "port must be a number: $port"
  ensure_fetched
  mkdir -p "$datadir"
  datadir="$(cd "$datadir" && pwd)"
  local oldpid; oldpid="$(read_pid "$datadir")"
  if pid_alive "$oldpid"; then die "a broker already runs for $datadir (pid $oldpid)"; fi
  port_open "$port" && die "port $port on 127.0.0.1 is already in use"
  local cport="${KAFKA_CONTROLLER_PORT:-$(free_port_from $((port + 100)))}"

  local props="$datadir/server.properties"
  cat > "$props" <<EOF
# written by test/interop/tooling/kafka.sh (Kafka $KAFKA_VERSION, KRaft combined mode)
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$cport
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$datadir/data
num.partitions=1
default.replication.factor=1
auto.create.topics.enable=true
delete.topic.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
group.initial.rebalance.delay.ms=0
log.segment.bytes=16777216
num.network.threads=2
num.io.threads=4
EOF
  local kv
  for kv in "$@"; do
    [[ "$kv" == *=* ]] || die "override must be key=value: $kv"
    set_prop "$props" "${kv%%=*}" "${kv#*=}"
  done

  if [[ ! -f "$datadir/data/meta.properties" ]]; then
    local cluster_id
    cluster_id="$(KAFKA_TOOL_LOG_LEVEL=ERROR "$0" run storage random-uuid | tail -n1)"
    log "formatting $datadir/data (cluster id $cluster_id)"
    KAFKA_TOOL_LOG_LEVEL=ERROR "$0" run storage format -t "$cluster_id" -c "$props" --ignore-formatted >&2 \
      || die "kafka-storage format failed"
  fi

  mkdir -p "$datadir/logs"
  # a fresh server.log, so that the readiness check below does not see a previous run's lines
  [[ -f "$datadir/logs/server.log" ]] && mv -f "$datadir/logs/server.log" "$datadir/logs/server.log.prev"
  # setsid + nohup: the JVM outlives the calling shell; stop it with `kafka.sh stop <datadir>`.
  # shellcheck disable=SC2086
  setsid nohup java ${KAFKA_HEAP_OPTS:--Xms256m -Xmx1g} -server -XX:+UseG1GC -Djava.awt.headless=true \
    -Dkafka.logs.dir="$datadir/logs" \
    -Dlog4j.configuration="file:$KAFKA_HOME/config/log4j.properties" \
    -cp "$(classpath)" kafka.Kafka "$props" > "$datadir/kafka.out" 2>&1 < /dev/null &
  local pid=$!
  echo "$pid" > "$datadir/kafka.pid"

  local timeout="${KAFKA_START_TIMEOUT:-90}" waited=0
  until port_open "$port" && grep -q "Kafka Server started" "$datadir/logs/server.log" 2>/dev/null; do
    if ! pid_alive "$pid"; then
      tail -n 30 "$datadir/kafka.out" >&2 || true
      tail -n 30 "$datadir/logs/server.log" >&2 2>/dev/null || true
      rm -f "$datadir/kafka.pid"
      die "Kafka exited during startup (logs: $datadir/kafka.out, $datadir/logs/server.log)"
    fi
    if (( waited >= timeout * 4 )); then
      kill "$pid" 2>/dev/null || true
      die "Kafka did not answer on 127.0.0.1:$port within ${timeout}s (logs: $datadir/logs/server.log)"
    fi
    sleep 0.25; waited=$((waited + 1))
  done
  log "Kafka $KAFKA_VERSION up on 127.0.0.1:$port (controller 127.0.0.1:$cport, data $datadir/data)"
  echo "$pid"
}

cmd_stop() {
  [[ $# -ge 1 ]] || die "usage: $0 stop <datadir>"
  local datadir="$1" pid
  pid="$(read_pid "$datadir")"
  if ! pid_alive "$pid"; then
    log "no running broker for $datadir"
    rm -f "$datadir/kafka.pid"
    return 0
  fi
  kill -TERM "$pid"
  local i
  for ((i = 0; i < 120; i++)); do
    pid_alive "$pid" || break
    sleep 0.25
  done
  if pid_alive "$pid"; then
    log "broker $pid did not stop in 30s: killing"
    kill -KILL "$pid" 2>/dev/null || true
    sleep 0.5
  fi
  rm -f "$datadir/kafka.pid"
  log "stopped broker $pid"
}

cmd_status() {
  [[ $# -ge 1 ]] || die "usage: $0 status <datadir>"
  local pid; pid="$(read_pid "$1")"
  if pid_alive "$pid"; then echo "$pid"; else log "not running"; return 1; fi
}

main() {
  local sub="${1:-}"; shift || true
  case "$sub" in
    fetch) cmd_fetch "$@" ;;
    start) cmd_start "$@" ;;
    stop) cmd_stop "$@" ;;
    status) cmd_status "$@" ;;
    run) cmd_run "$@" ;;
    classpath) ensure_fetched; classpath; echo ;;
    fetch-client) cmd_fetch_client "$@" ;;
    client-classpath) [[ $# -ge 1 ]] || die "usage: $0 client-classpath <version>"; client_classpath "$1"; echo ;;
    run-client) cmd_run_client "$@" ;;
    version) echo "$KAFKA_VERSION" ;;
    ""|-h|--help|help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' ;;
    *) die "unknown subcommand '$sub' (fetch, start, stop, status, run, classpath, fetch-client, client-classpath, run-client, version)" ;;
  esac
}

main "$@"
