#!/usr/bin/env bash
# A local Apicurio Registry 3.3.3 (in-memory H2) for development and tests; its Confluent-compatible
# API is at http://127.0.0.1:$REGISTRY_PORT/apis/ccompat/v7.
#   tools/registry/registry.sh up | down | status
# The app (io.apicurio:apicurio-registry-app:3.3.3:tar.gz:all from Maven Central, a ready Quarkus
# app) is fetched once per machine into ~/.cache/kymaros/apicurio; each instance's pid and log live
# in $REGISTRY_DIR. It needs Java 21+ ($REGISTRY_JAVA): the default Java 17 fails at start.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
VERSION=3.3.3
CACHE=${KYMAROS_CACHE:-$HOME/.cache/kymaros}/apicurio
APP=$CACHE/apicurio-registry-app-$VERSION
REGISTRY_DIR=${REGISTRY_DIR:-$repo/.registry}
REGISTRY_PORT=${REGISTRY_PORT:-8081}
REGISTRY_MANAGEMENT_PORT=${REGISTRY_MANAGEMENT_PORT:-9001}
pidfile=$REGISTRY_DIR/registry.pid
log=$REGISTRY_DIR/registry.log

say() { printf 'registry: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

find_java() {
  if [ -n "${REGISTRY_JAVA:-}" ]; then echo "$REGISTRY_JAVA"; return; fi
  local j
  for j in /usr/lib/jvm/temurin-25-jdk-amd64/bin/java /usr/lib/jvm/temurin-21-jdk-amd64/bin/java /usr/lib/jvm/java-21-openjdk-amd64/bin/java; do
    [ -x "$j" ] && { echo "$j"; return; }
  done
  local v
  v=$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
  [ "${v:-0}" -ge 21 ] 2>/dev/null && { command -v java; return; }
  die "Java 21 or newer not found (set REGISTRY_JAVA to its java binary)"
}

fetch() {
  [ -f "$APP/.complete" ] && return 0
  command -v mvn >/dev/null 2>&1 || die "mvn not found: install Maven to fetch Apicurio Registry"
  mkdir -p "$CACHE"
  say "fetching Apicurio Registry $VERSION from Maven Central into $CACHE (once per machine)"
  mvn -q -B dependency:copy -Dartifact="io.apicurio:apicurio-registry-app:$VERSION:tar.gz:all" \
    -DoutputDirectory="$CACHE" >"$CACHE/mvn.log" 2>&1 || die "Maven failed; see $CACHE/mvn.log"
  rm -rf "$APP.tmp" && mkdir -p "$APP.tmp"
  tar xzf "$CACHE/apicurio-registry-app-$VERSION-all.tar.gz" -C "$APP.tmp"
  rm -rf "$APP" && mv "$APP.tmp" "$APP" && touch "$APP/.complete"
  # Maven keeps its own copy in ~/.m2: the extracted app is all this cache needs.
  rm -f "$CACHE/apicurio-registry-app-$VERSION-all.tar.gz"
}

# The pid file is ours only while it names a live java started for this REGISTRY_DIR.
running_pid() {
  [ -f "$pidfile" ] || return 1
  local pid
  pid=$(cat "$pidfile")
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "-Dkymaros.registry.dir=$REGISTRY_DIR" || return 1
  echo "$pid"
}

up() {
  if running_pid >/dev/null; then say "already running on 127.0.0.1:$REGISTRY_PORT"; return 0; fi
  fetch
  local java
  java=$(find_java)
  mkdir -p "$REGISTRY_DIR"
  (cd "$APP" && exec "$java" -Xmx384m -XX:TieredStopAtLevel=1 "-Dkymaros.registry.dir=$REGISTRY_DIR" \
    -Dquarkus.http.host=127.0.0.1 "-Dquarkus.http.port=$REGISTRY_PORT" \
    -Dquarkus.management.host=127.0.0.1 "-Dquarkus.management.port=$REGISTRY_MANAGEMENT_PORT" \
    -jar quarkus-run.jar) >"$log" 2>&1 &
  echo $! >"$pidfile"
  local url="http://127.0.0.1:$REGISTRY_PORT/apis/ccompat/v7/subjects"
  for _ in $(seq 1 240); do
    if curl -fsS -m 2 "$url" >/dev/null 2>&1; then say "up on 127.0.0.1:$REGISTRY_PORT"; return 0; fi
    running_pid >/dev/null || die "exited during start; see $log"
    sleep 0.25
  done
  die "not up after 60 s; see $log"
}

down() {
  local pid
  if pid=$(running_pid); then
    kill "$pid"
    for _ in $(seq 1 80); do [ -r "/proc/$pid/cmdline" ] || break; sleep 0.25; done
    [ -r "/proc/$pid/cmdline" ] && kill -9 "$pid"
    say "stopped"
  fi
  rm -f "$pidfile"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) if running_pid >/dev/null; then say "running on 127.0.0.1:$REGISTRY_PORT"; else say "not running"; exit 1; fi ;;
  fetch) fetch ;;
  *) die "usage: $0 up|down|status|fetch" ;;
esac
