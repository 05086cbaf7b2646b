#!/usr/bin/env bash
# The checks that run before any suite, in .ci/run and alone (`scripts/ci-gates.sh`):
# types, formatting, lint (Biome's rules and the line width). The first failure stops it.
set -uo pipefail
cd "$(dirname "$0")/.."

gate() {
  local name=$1
  shift
  echo "== $name"
  if ! "$@"; then
    echo "== FAILED: $name" >&2
    exit 1
  fi
}

gate "npm run typecheck" npm run --silent typecheck
gate "npm run format:check" npm run --silent format:check
gate "npm run lint" npm run --silent lint
echo "== gates passed: typecheck, format:check, lint"
