#!/usr/bin/env bash
# spark.sh — fetch and run the REAL Apache Spark (local mode, no cluster) for interop tests.
#
# The Spark version is pinned in test/interop/tooling/spark-pom.xml (<spark.version>, Scala 2.12),
# with spark-streaming-kafka-0-10 and spark-sql-kafka-0-10. The jars come from Maven Central
# through `mvn dependency:copy-dependencies` and are cached in the git-ignored folder
# <project>/.interop-cache/spark-<version>/jars. Needs: a JDK 11+ (17 recommended), mvn (only for fetch).
#
# Usage:
#   spark.sh fetch                       download the jars (idempotent; no-op when cached)
#   spark.sh classpath                   print the classpath (after fetch)
#   spark.sh run <File.java> args...     compile File.java (javac, against the Spark jars; cached by
#                                        content hash) and run its main class, on Java 17 with the
#                                        module flags Spark's own launcher adds (see JAVA_MODULE_OPTS)
#   spark.sh run-class <main> args...    run an already compiled class (SPARK_EXTRA_CP is prepended)
#   spark.sh version                     print the pinned Spark version
#
# Environment:
#   SPARK_DRIVER_HEAP     driver heap (default -Xmx1g); local[N] runs the executors in the driver JVM
#   SPARK_LOG_LEVEL       root log level (default WARN, to stderr)
#   INTEROP_CACHE         cache folder (default <project>/.interop-cache)
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PROJECT_ROOT="$(cd "$SCRIPT_DIR/../../.." && pwd)"
POM="$SCRIPT_DIR/spark-pom.xml"
CACHE_ROOT="${INTEROP_CACHE:-$PROJECT_ROOT/.interop-cache}"

die() { echo "spark.sh: $*" >&2; exit 1; }
# shellcheck source=maven-fetch.sh
source "$SCRIPT_DIR/maven-fetch.sh"

SPARK_VERSION="$(sed -n 's:.*<spark.version>\(.*\)</spark.version>.*:\1:p' "$POM" | head -n1)"
[[ -n "$SPARK_VERSION" ]] || die "cannot read <spark.version> from $POM"
SPARK_HOME_DIR="$CACHE_ROOT/spark-$SPARK_VERSION"
JARS="$SPARK_HOME_DIR/jars"

# The JVM options Spark 3.5's launcher (org.apache.spark.launcher.JavaModuleOptions, used by
# spark-submit / spark-class) adds on Java 17: Spark reflects into these JDK internals
# (direct buffers, Kryo/serialization, unsafe). Read from spark-launcher_2.12-3.5.3.jar.
JAVA_MODULE_OPTS=(
  -XX:+IgnoreUnrecognizedVMOptions
  --add-opens=java.base/java.lang=ALL-UNNAMED
  --add-opens=java.base/java.lang.invoke=ALL-UNNAMED
  --add-opens=java.base/java.lang.reflect=ALL-UNNAMED
  --add-opens=java.base/java.io=ALL-UNNAMED
  --add-opens=java.base/java.net=ALL-UNNAMED
  --add-opens=java.base/java.nio=ALL-UNNAMED
  --add-opens=java.base/java.util=ALL-UNNAMED
  --add-opens=java.base/java.util.concurrent=ALL-UNNAMED
  --add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED
  --add-opens=java.base/jdk.internal.ref=ALL-UNNAMED
  --add-opens=java.base/sun.nio.ch=ALL-UNNAMED
  --add-opens=java.base/sun.nio.cs=ALL-UNNAMED
  --add-opens=java.base/sun.security.action=ALL-UNNAMED
  --add-opens=java.base/sun.util.calendar=ALL-UNNAMED
  --add-opens=java.security.jgss/sun.security.krb5=ALL-UNNAMED
  -Djdk.reflect.useDirectMethodHandle=false
)

ensure_fetched() {
  require_java
  is_maven_fetched "$POM" "$JARS" || die "Spark $SPARK_VERSION is not fetched yet: run '$0 fetch' first (needs mvn and Maven Central)"
  [[ -f "$SPARK_HOME_DIR/log4j2.properties" ]] || write_log4j_config
}

write_log4j_config() {
  # Spark 3.5 logs through log4j 2: everything at SPARK_LOG_LEVEL to stderr, so stdout stays the program's.
  cat > "$SPARK_HOME_DIR/log4j2.properties" <<'EOC'
rootLogger.level = ${sys:spark.interop.log.level}
rootLogger.appenderRef.stderr.ref = stderr
appender.stderr.type = Console
appender.stderr.name = stderr
appender.stderr.target = SYSTEM_ERR
appender.stderr.layout.type = PatternLayout
appender.stderr.layout.pattern = %d{HH:mm:ss.SSS} %p %c{1}: %m%n
EOC
}

run_class() {
  local cp="$1" main="$2"; shift 2
  # shellcheck disable=SC2086
  export SPARK_LOCAL_IP="${SPARK_LOCAL_IP:-127.0.0.1}"
  exec java ${SPARK_DRIVER_HEAP:--Xmx1g} "${JAVA_MODULE_OPTS[@]}" -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="file:$SPARK_HOME_DIR/log4j2.properties" \
    -Dspark.interop.log.level="${SPARK_LOG_LEVEL:-WARN}" \
    -cp "$cp" "$main" "$@"
}

cmd_run() {
  [[ $# -ge 1 ]] || die "usage: $0 run <File.java> [args...]"
  ensure_fetched
  require_javac
  local src="$1"; shift
  [[ -f "$src" ]] || die "no such file: $src"
  local name hash out
  name="$(basename "$src" .java)"
  hash="$( (cat "$src"; cat "$JARS/.complete") | sha256sum | cut -c1-16)"
  out="$SPARK_HOME_DIR/classes/$name-$hash"
  if [[ ! -f "$out/.complete" ]]; then
    rm -rf "$out"; mkdir -p "$out"
    javac -nowarn -encoding UTF-8 -cp "$(jar_classpath "$JARS")" -d "$out" "$src" >&2 || { rm -rf "$out"; die "javac failed for $src"; }
    touch "$out/.complete"
  fi
  local pkg
  pkg="$(sed -n 's/^[[:space:]]*package[[:space:]]\+\([A-Za-z0-9_.]*\)[[:space:]]*;.*/\1/p' "$src" | head -n1)"
  run_class "$out:$(jar_classpath "$JARS")" "${pkg:+$pkg.}$name" "$@"
}

main() {
  local sub="${1:-}"; shift || true
  case "$sub" in
    fetch) require_java; maven_fetch "$POM" "$JARS" "Spark $SPARK_VERSION"; write_log4j_config ;;
    classpath) ensure_fetched; jar_classpath "$JARS"; echo ;;
    run) cmd_run "$@" ;;
    run-class) [[ $# -ge 1 ]] || die "usage: $0 run-class <main> [args...]"; ensure_fetched; m="$1"; shift
      run_class "${SPARK_EXTRA_CP:+$SPARK_EXTRA_CP:}$(jar_classpath "$JARS")" "$m" "$@" ;;
    version) echo "$SPARK_VERSION" ;;
    ""|-h|--help|help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' ;;
    *) die "unknown subcommand '$sub' (fetch, classpath, run, run-class, version)" ;;
  esac
}

main "$@"
