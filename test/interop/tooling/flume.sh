#!/usr/bin/env bash
# flume.sh — fetch and run the REAL Apache Flume agent for interop tests.
#
# The Flume version is pinned in test/interop/tooling/flume-pom.xml (<flume.version>): the agent
# (flume-ng-node) with the Kafka channel, source and sink, which bring their own kafka-clients
# (2.7.2 for Flume 1.11.0). The jars come from Maven Central through
# `mvn dependency:copy-dependencies` and are cached in the git-ignored folder
# <project>/.interop-cache/flume-<version>/lib. Needs: java 8+ (17 works), mvn (only for fetch).
#
# Usage:
#   flume.sh fetch                          download the jars (idempotent; no-op when cached)
#   flume.sh agent <conf-file> <agent-name> [args...]
#                                           run org.apache.flume.node.Application -n <name> -f <conf>
#                                           in the foreground (what `flume-ng agent` runs); stop it
#                                           with SIGTERM. Logs go to stderr (FLUME_LOG_LEVEL, default INFO).
#   flume.sh run <main-class> args...       run any class with Flume's classpath
#   flume.sh classpath                      print the classpath (after fetch)
#   flume.sh version                        print the pinned Flume version
#
# Environment:
#   FLUME_HEAP_OPTS   agent heap (default -Xmx512m)
#   INTEROP_CACHE     cache folder (default <project>/.interop-cache)
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PROJECT_ROOT="$(cd "$SCRIPT_DIR/../../.." && pwd)"
POM="$SCRIPT_DIR/flume-pom.xml"
CACHE_ROOT="${INTEROP_CACHE:-$PROJECT_ROOT/.interop-cache}"

die() { echo "flume.sh: $*" >&2; exit 1; }
# shellcheck source=maven-fetch.sh
source "$SCRIPT_DIR/maven-fetch.sh"

FLUME_VERSION="$(sed -n 's:.*<flume.version>\(.*\)</flume.version>.*:\1:p' "$POM" | head -n1)"
[[ -n "$FLUME_VERSION" ]] || die "cannot read <flume.version> from $POM"
FLUME_HOME_DIR="$CACHE_ROOT/flume-$FLUME_VERSION"
LIB="$FLUME_HOME_DIR/lib"

write_log4j_config() {
  cat > "$FLUME_HOME_DIR/log4j2.properties" <<'EOC'
rootLogger.level = ${sys:flume.interop.log.level}
rootLogger.appenderRef.stderr.ref = stderr
appender.stderr.type = Console
appender.stderr.name = stderr
appender.stderr.target = SYSTEM_ERR
appender.stderr.layout.type = PatternLayout
appender.stderr.layout.pattern = %d{HH:mm:ss.SSS} %p [%t] %c{1}: %m%n
logger.kafka.name = org.apache.kafka
logger.kafka.level = WARN
EOC
}

ensure_fetched() {
  require_java
  is_maven_fetched "$POM" "$LIB" || die "Flume $FLUME_VERSION is not fetched yet: run '$0 fetch' first (needs mvn and Maven Central)"
  [[ -f "$FLUME_HOME_DIR/log4j2.properties" ]] || write_log4j_config
}

run_class() {
  local main="$1"; shift
  # shellcheck disable=SC2086
  exec java ${FLUME_HEAP_OPTS:--Xmx512m} -Djava.awt.headless=true \
    -Dlog4j.configurationFile="file:$FLUME_HOME_DIR/log4j2.properties" \
    -Dflume.interop.log.level="${FLUME_LOG_LEVEL:-INFO}" \
    -cp "$(jar_classpath "$LIB")" "$main" "$@"
}

main() {
  local sub="${1:-}"; shift || true
  case "$sub" in
    fetch) require_java; maven_fetch "$POM" "$LIB" "Flume $FLUME_VERSION"; write_log4j_config ;;
    agent)
      [[ $# -ge 2 ]] || die "usage: $0 agent <conf-file> <agent-name> [args...]"
      ensure_fetched
      local conf="$1" name="$2"; shift 2
      [[ -f "$conf" ]] || die "no such config file: $conf"
      run_class org.apache.flume.node.Application -n "$name" -f "$conf" "$@" ;;
    run) [[ $# -ge 1 ]] || die "usage: $0 run <main-class> [args...]"; ensure_fetched; run_class "$@" ;;
    classpath) ensure_fetched; jar_classpath "$LIB"; echo ;;
    version) echo "$FLUME_VERSION" ;;
    ""|-h|--help|help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' ;;
    *) die "unknown subcommand '$sub' (fetch, agent, run, classpath, version)" ;;
  esac
}

main "$@"
