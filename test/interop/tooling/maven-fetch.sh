# maven-fetch.sh — sourced by spark.sh and flume.sh: fetch a pom's runtime dependencies into a
# cache folder with `mvn dependency:copy-dependencies`, once (a marker holds the pom's hash).
# Needs PROJECT_ROOT and a die() function from the caller.

require_java() {
  command -v java >/dev/null 2>&1 || die "java is missing: install Java 17 (Debian: apt-get install openjdk-17-jdk-headless)"
  local v
  v="$(java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n1)"
  [[ -n "$v" && "$v" -ge 11 ]] || die "java 11+ is required (found: $(java -version 2>&1 | head -n1))"
}

require_javac() {
  command -v javac >/dev/null 2>&1 || die "javac is missing: install a JDK (Debian: apt-get install openjdk-17-jdk-headless)"
}

require_mvn() {
  command -v mvn >/dev/null 2>&1 || die "mvn is missing: install Apache Maven 3.6+ (Debian: apt-get install maven)"
}

# maven_fetch <pom> <dest-dir> <label>: idempotent
maven_fetch() {
  local pom="$1" dest="$2" label="$3" hash
  hash="$(sha256sum "$pom" | cut -d' ' -f1)"
  if [[ -f "$dest/.complete" && "$(cat "$dest/.complete")" == "$hash" ]]; then
    echo "$label already in $dest" >&2
    return 0
  fi
  require_mvn
  local tmp="$dest.tmp.$$" out rc=0
  rm -rf "$tmp"
  mkdir -p "$(dirname "$dest")"
  echo "fetching $label from Maven Central into $dest" >&2
  out="$(mktemp)"
  mvn -q -B -Dstyle.color=never -f "$pom" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$tmp" >"$out" 2>&1 || rc=$?
  sed 's/\x1b\[[0-9;]*m//g' "$out" | grep -v '^[[:space:]]*$' >&2 || true
  rm -f "$out"
  if [[ "$rc" != 0 ]]; then rm -rf "$tmp"; die "mvn dependency:copy-dependencies failed for $pom (is Maven Central reachable?)"; fi
  rm -rf "$dest"
  mv "$tmp" "$dest"
  echo "$hash" > "$dest/.complete"
  echo "fetched $(ls "$dest" | grep -c '\.jar$') jars" >&2
}

is_maven_fetched() { [[ -f "$2/.complete" && "$(cat "$2/.complete")" == "$(sha256sum "$1" | cut -d' ' -f1)" ]]; }

jar_classpath() { ls "$1"/*.jar | tr '\n' ':' | sed 's/:$//'; }
