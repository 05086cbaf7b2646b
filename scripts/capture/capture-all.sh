#!/usr/bin/env bash
# Captures real Kafka protocol frames from real clients talking to a real Apache Kafka broker,
# and turns them into fixtures under test/fixtures/protocol/ (see scripts/capture/README.md).
#
#   scripts/capture/capture-all.sh [--only kcat,kafka-python,confluent-kafka,kafkajs,platformatic,java]
#                                  [--keep] [--no-fixtures]
#
#   --only         run only the named clients (comma separated)
#   --keep         keep the scratch folder (raw captures, logs, broker data) for inspection
#   --no-fixtures  capture only; do not rewrite test/fixtures/protocol
#
# Environment: BROKER_PORT (default 19092), PROXY_PORT (default 19093), CAPTURE_WORK (scratch
# folder, default a new /tmp/millrace-capture.*), KAFKA_PROTOCOL_JSON (Kafka's message JSON
# definitions, default ../shared/reference/kafka-protocol next to the project).
#
# Layout: the broker listens on 127.0.0.1:$BROKER_PORT but advertises 127.0.0.1:$PROXY_PORT, where
# scripts/capture/proxy.mjs listens, so clients keep talking through the proxy after bootstrap.
# Each client scenario gets a fresh proxy writing to <scratch>/raw/<client>/<scenario>/.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
KAFKA="$ROOT/test/interop/tooling/kafka.sh"
BROKER_PORT="${BROKER_PORT:-19092}"
PROXY_PORT="${PROXY_PORT:-19093}"
BS="127.0.0.1:$PROXY_PORT"
PY=/usr/bin/python3   # Debian's interpreter: python3-kafka and python3-confluent-kafka live there
ONLY=""
KEEP=0
FIXTURES=1

while [[ $# -gt 0 ]]; do
  case "$1" in
    --only) ONLY=",$2,"; shift 2 ;;
    --keep) KEEP=1; shift ;;
    --no-fixtures) FIXTURES=0; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "capture-all: unknown argument $1" >&2; exit 2 ;;
  esac
done

say() { echo "capture-all: $*" >&2; }
wanted() { [[ -z "$ONLY" || "$ONLY" == *",$1,"* ]]; }

WORK="${CAPTURE_WORK:-$(mktemp -d /tmp/millrace-capture.XXXXXX)}"
mkdir -p "$WORK"
RAW="$WORK/raw"
KDATA="$WORK/kafka"
PROXY_PID=""
FAILED=()

cleanup() {
  local rc=$?
  if [[ -n "$PROXY_PID" ]] && kill -0 "$PROXY_PID" 2>/dev/null; then
    kill -TERM "$PROXY_PID" 2>/dev/null || true
    wait "$PROXY_PID" 2>/dev/null || true
  fi
  "$KAFKA" stop "$KDATA" >/dev/null 2>&1 || true
  if [[ $KEEP -eq 0 && -z "${CAPTURE_WORK:-}" ]]; then rm -rf "$WORK"; else say "scratch kept in $WORK"; fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- prerequisites -------------------------------------------------------------------------
missing=()
command -v node >/dev/null || missing+=("node (Node.js 20+)")
command -v java >/dev/null || missing+=("java (apt-get install openjdk-17-jre-headless)")
command -v mvn >/dev/null || [[ -d "$ROOT/.interop-cache" ]] || missing+=("mvn (apt-get install maven)")
if [[ ${#missing[@]} -gt 0 ]]; then
  say "missing prerequisites: ${missing[*]}"
  exit 1
fi
skip_client() { say "skipping $1: $2"; ONLY="${ONLY:-,kcat,kafka-python,confluent-kafka,kafkajs,platformatic,java,}"; ONLY="${ONLY//,$1,/,}"; }
wanted kcat && ! command -v kcat >/dev/null && skip_client kcat "kcat not installed (apt-get install kcat)"
wanted kafka-python && ! "$PY" -c 'import kafka, snappy, lz4, zstandard' 2>/dev/null \
  && skip_client kafka-python "needs apt-get install python3-kafka python3-snappy python3-lz4 python3-zstandard"
wanted confluent-kafka && ! "$PY" -c 'import confluent_kafka' 2>/dev/null \
  && skip_client confluent-kafka "needs apt-get install python3-confluent-kafka"
wanted kafkajs && [[ ! -d "$ROOT/node_modules/kafkajs" ]] && skip_client kafkajs "run npm install"
wanted platformatic && [[ ! -d "$ROOT/node_modules/@platformatic/kafka" ]] && skip_client platformatic "run npm install"

"$KAFKA" fetch

# ---- broker ----------------------------------------------------------------------------------
say "scratch folder $WORK"
"$KAFKA" start "$BROKER_PORT" "$KDATA" "advertised.listeners=PLAINTEXT://127.0.0.1:$PROXY_PORT" \
  "group.coordinator.rebalance.protocols=classic,consumer" >/dev/null

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") >/dev/null 2>&1; }

start_proxy() {
  local out="$1"
  mkdir -p "$out"
  node "$HERE/proxy.mjs" --listen "$PROXY_PORT" --target "127.0.0.1:$BROKER_PORT" --out "$out" --quiet \
    2>>"$out/proxy.log" &
  PROXY_PID=$!
  local i
  for ((i = 0; i < 100; i++)); do
    port_open "$PROXY_PORT" && return 0
    sleep 0.05
  done
  say "proxy did not start"; return 1
}

stop_proxy() {
  if [[ -n "$PROXY_PID" ]]; then
    kill -TERM "$PROXY_PID" 2>/dev/null || true
    wait "$PROXY_PID" 2>/dev/null || true
    PROXY_PID=""
  fi
}

# scenario <client> <name> <command...>: runs the command with a fresh proxy recording it.
scenario() {
  local client="$1" name="$2"; shift 2
  wanted "$client" || return 0
  local out="$RAW/$client/$name"
  start_proxy "$out"
  say "$client/$name"
  # through bash -c so that the helper functions exported below can be scenario commands too
  if ! timeout 180 bash -c '"$@"' _ "$@" >"$out/client.log" 2>&1; then
    say "  (exited non-zero; see $out/client.log; frames are kept)"
    FAILED+=("$client/$name")
  fi
  stop_proxy
}

kcat_keyed() { # topic, extra kcat args...
  local topic="$1"; shift
  printf 'k1:first value\nk2:second value\nk3:third value, a little longer than the others\n' \
    | kcat -b "$BS" -P -t "$topic" -K: "$@"
}

export -f kcat_keyed
export BS

# ---- kcat (librdkafka) -------------------------------------------------------------------------
scenario kcat metadata bash -c "kcat -b $BS -L && kcat -b $BS -L -t cap-kcat"
for z in none gzip snappy lz4 zstd; do
  scenario kcat "produce-$z" kcat_keyed cap-kcat -z "$z"
done
scenario kcat produce-acks0 kcat_keyed cap-kcat -X request.required.acks=0
scenario kcat produce-acks1 kcat_keyed cap-kcat -X request.required.acks=1
scenario kcat produce-idempotent kcat_keyed cap-kcat -X enable.idempotence=true
scenario kcat consume kcat -b "$BS" -C -t cap-kcat -o beginning -e -K:
scenario kcat query-offsets bash -c "kcat -b $BS -Q -t cap-kcat:0:$(( $(date +%s) * 1000 - 60000 )) && kcat -b $BS -Q -t cap-kcat:0:-1"
scenario kcat group timeout 30 kcat -b "$BS" -G kcat-group cap-kcat -o beginning -e -c 5 -X heartbeat.interval.ms=500
# librdkafka honours api.version.request=false only for fallbacks below 0.10: 0.8.x gives
# Produce/Fetch v0 and Metadata v0, 0.9.x gives Produce/Fetch v1 (old MessageSets, magic 0).
for fb in 0.8.2 0.9.0; do
  old=(-X api.version.request=false -X "broker.version.fallback=$fb")
  scenario kcat "fallback-$fb" bash -c '
    BS="$1"; shift
    printf "o1:old-protocol %s\no2:second\n" "$1" | kcat -b "$BS" -P -t cap-kcat-old -K: "${@:2}"
    printf "g1:compressed %s gzip gzip gzip gzip\ng2:again again again\n" "$1" | kcat -b "$BS" -P -t cap-kcat-old -K: -z gzip "${@:2}"
    printf "s1:compressed %s snappy snappy snappy\n" "$1" | kcat -b "$BS" -P -t cap-kcat-old -K: -z snappy "${@:2}"
    kcat -b "$BS" -C -t cap-kcat-old -o beginning -e "${@:2}"
    kcat -b "$BS" -L "${@:2}"' _ "$BS" "$fb" "${old[@]}"
done

# ---- kafka-python --------------------------------------------------------------------------
KP="$HERE/clients/kafka_python_client.py"
scenario kafka-python auto "$PY" "$KP" "$BS" auto cap-kp-auto --admin
for v in 0.8.2 0.9 0.10 0.10.1 0.11 1.0 1.1 2.0 2.1.0; do
  scenario kafka-python "api-$v" "$PY" "$KP" "$BS" "$v" "cap-kp-$v"
done
scenario kafka-python gzip-0.9 "$PY" "$KP" "$BS" 0.9 cap-kp-z --compression gzip
scenario kafka-python snappy-0.10 "$PY" "$KP" "$BS" 0.10 cap-kp-z --compression snappy
scenario kafka-python lz4-0.11 "$PY" "$KP" "$BS" 0.11 cap-kp-z --compression lz4
scenario kafka-python zstd-2.1 "$PY" "$KP" "$BS" 2.1.0 cap-kp-z --compression zstd

# ---- confluent-kafka-python --------------------------------------------------------------------
CK="$HERE/clients/confluent_client.py"
for s in admin produce consume txn; do
  scenario confluent-kafka "$s" "$PY" "$CK" "$BS" cap-confluent "$s"
done

# ---- KafkaJS and @platformatic/kafka -----------------------------------------------------------
scenario kafkajs all node "$HERE/clients/kafkajs.mjs" "$BS" cap-kafkajs
scenario platformatic all node "$HERE/clients/platformatic.mjs" "$BS" cap-platformatic

# ---- Java (kafka-clients 3.9 via the Kafka tools) --------------------------------------------
scenario java topics bash -c '
  set -e; K() { "$0" run "$@"; }; BS="$1"
  K topics --bootstrap-server "$BS" --create --topic cap-java --partitions 1 --config retention.ms=3600000
  K topics --bootstrap-server "$BS" --create --topic cap-java-tmp --partitions 3
  K topics --bootstrap-server "$BS" --list
  K topics --bootstrap-server "$BS" --describe --topic cap-java-tmp
  K configs --bootstrap-server "$BS" --describe --entity-type topics --entity-name cap-java
  K configs --bootstrap-server "$BS" --describe --entity-type brokers --entity-name 1
  K configs --bootstrap-server "$BS" --alter --entity-type topics --entity-name cap-java-tmp --add-config retention.ms=7200000
  K topics --bootstrap-server "$BS" --delete --topic cap-java-tmp' "$KAFKA" "$BS"
scenario java produce bash -c '
  set -e; K() { "$0" run "$@"; }; BS="$1"
  printf "j1:java one\nj2:java two\nj3:java three\n" | K console-producer --bootstrap-server "$BS" --topic cap-java --property parse.key=true --property key.separator=:
  printf "z1:zstd zstd zstd zstd zstd\nz2:zstd again\n" | K console-producer --bootstrap-server "$BS" --topic cap-java --compression-codec zstd --property parse.key=true --property key.separator=:
  printf "g1:gzip gzip gzip gzip gzip\n" | K console-producer --bootstrap-server "$BS" --topic cap-java --compression-codec gzip --property parse.key=true --property key.separator=:
  printf "a0:acks zero\n" | K console-producer --bootstrap-server "$BS" --topic cap-java --request-required-acks 0 --property parse.key=true --property key.separator=:' "$KAFKA" "$BS"
scenario java consume bash -c '
  set -e; K() { "$0" run "$@"; }; BS="$1"
  K console-consumer --bootstrap-server "$BS" --topic cap-java --group java-group --from-beginning --max-messages 6 --property print.key=true
  K console-consumer --bootstrap-server "$BS" --topic cap-java --partition 0 --offset 1 --max-messages 2
  K consumer-groups --bootstrap-server "$BS" --list
  K consumer-groups --bootstrap-server "$BS" --describe --group java-group
  K get-offsets --bootstrap-server "$BS" --topic cap-java --time -1
  K get-offsets --bootstrap-server "$BS" --topic cap-java --time -2
  K get-offsets --bootstrap-server "$BS" --topic cap-java --time -3' "$KAFKA" "$BS"
scenario java consume-kip848 bash -c '
  "$0" run console-consumer --bootstrap-server "$1" --topic cap-java --group java-group-848 --from-beginning \
    --max-messages 3 --consumer-property group.protocol=consumer' "$KAFKA" "$BS"
scenario java perf bash -c '
  set -e; K() { "$0" run "$@"; }; BS="$1"
  K producer-perf-test --topic cap-java-perf --num-records 20 --record-size 64 --throughput -1 --producer-props bootstrap.servers="$BS" acks=all
  K producer-perf-test --topic cap-java-perf --num-records 10 --record-size 64 --throughput -1 --transactional-id java-txn --transaction-duration-ms 100 --producer-props bootstrap.servers="$BS"' "$KAFKA" "$BS"

# older releases of the Java client library, each with the protocol versions of its day
JAVA_CLIENT_VERSIONS="${JAVA_CLIENT_VERSIONS:-0.11.0.3 1.0.2 1.1.1 2.0.1 2.1.1 2.3.1 2.4.1 2.5.1 2.7.2 2.8.2 3.0.2 3.1.2 3.3.2 3.5.2 3.6.2 3.7.2 3.8.1}"
if wanted java; then
  for v in $JAVA_CLIENT_VERSIONS; do
    "$KAFKA" fetch-client "$v"
    case "$v" in 0.*|1.*|2.0.*) codecs=gzip,snappy,lz4 ;; *) codecs=gzip,snappy,lz4,zstd ;; esac
    scenario java "clients-$v" "$KAFKA" run-client "$v" "$HERE/clients/JavaClientDriver.java" "$BS" "cap-java-$v" "$codecs" txn
  done
fi

stop_proxy
"$KAFKA" stop "$KDATA"

if [[ ${#FAILED[@]} -gt 0 ]]; then say "scenarios that exited non-zero: ${FAILED[*]}"; fi

# ---- fixtures ----------------------------------------------------------------------------------
if [[ $FIXTURES -eq 1 ]]; then
  node "$HERE/build-fixtures.mjs" --raw "$RAW" --out "$ROOT/test/fixtures/protocol"
  # every fixture must parse with Kafka's own (Java) request/response parsers
  "$KAFKA" run "$HERE/VerifyFixtures.java" "$ROOT/test/fixtures/protocol"
fi
