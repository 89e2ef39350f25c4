#!/usr/bin/env bash
# A local single-node Apache Kafka (KRaft, broker+controller) for development, tests and CI.
#   tools/kafka/kafka.sh up | down | clean | status
# Jars come from Maven Central through tools/kafka/pom.xml; everything lives in $KAFKA_DIR.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
KAFKA_DIR=${KAFKA_DIR:-$repo/.kafka}
KAFKA_PORT=${KAFKA_PORT:-9092}
KAFKA_CONTROLLER_PORT=${KAFKA_CONTROLLER_PORT:-9093}
KAFKA_HEAP=${KAFKA_HEAP:-512m}
libs=$KAFKA_DIR/libs
data=$KAFKA_DIR/data
logs=$KAFKA_DIR/logs
pidfile=$KAFKA_DIR/broker.pid
props=$KAFKA_DIR/server.properties

say() { printf 'kafka: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

need() {
  command -v java >/dev/null 2>&1 || die "java not found: install a JDK >= 17 (Debian: apt-get install openjdk-17-jre-headless)"
  if [ ! -f "$libs/.complete" ]; then
    command -v mvn >/dev/null 2>&1 || die "mvn not found: install Maven (Debian: apt-get install maven) to fetch the Kafka jars"
  fi
}

fetch() {
  [ -f "$libs/.complete" ] && return 0
  say "fetching Kafka jars from Maven Central into $libs (once)"
  rm -rf "$libs" && mkdir -p "$libs"
  mvn -q -B -f "$here/pom.xml" dependency:copy-dependencies \
    -DoutputDirectory="$libs" -DincludeScope=runtime >"$KAFKA_DIR/mvn.log" 2>&1 ||
    die "fetching the jars with Maven failed; see $KAFKA_DIR/mvn.log"
  touch "$libs/.complete"
}

# The pid file is ours only while it names a live java started with our server.properties.
running_pid() {
  [ -f "$pidfile" ] || return 1
  local pid
  pid=$(cat "$pidfile")
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$props" || return 1
  echo "$pid"
}

write_props() {
  cat >"$props" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
log.dirs=$data
num.partitions=3
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
PROPS
}

wait_ready() {
  local deadline=$((SECONDS + ${KAFKA_START_TIMEOUT:-90}))
  while ((SECONDS < deadline)); do
    running_pid >/dev/null || die "the broker exited during start; see $logs/server.log and $logs/stdout.log"
    if node "$here/ready.mjs" "127.0.0.1:$KAFKA_PORT" 2>/dev/null; then return 0; fi
    sleep 0.5
  done
  die "the broker did not accept clients within ${KAFKA_START_TIMEOUT:-90}s; see $logs/server.log"
}

up() {
  need
  if pid=$(running_pid); then
    say "already running (pid $pid) on 127.0.0.1:$KAFKA_PORT"
    return 0
  fi
  [ -d "$repo/node_modules/kafkajs" ] || die "node_modules missing: run npm ci first (the readiness probe uses kafkajs)"
  mkdir -p "$KAFKA_DIR" "$data" "$logs"
  fetch
  write_props
  local cp="$libs/*"
  if [ ! -f "$data/meta.properties" ]; then
    local id
    id=$(java -cp "$cp" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n 1)
    java -cp "$cp" -Dlog4j2.configurationFile="$here/log4j2.yaml" -Dkafka.logs.dir="$logs" \
      kafka.tools.StorageTool format -t "$id" -c "$props" >"$logs/format.log" 2>&1 ||
      die "formatting KRaft storage failed; see $logs/format.log"
  fi
  say "starting broker on 127.0.0.1:$KAFKA_PORT (heap $KAFKA_HEAP, log $logs/server.log)"
  # setsid: the broker outlives the make or test process that started it.
  setsid java "-Xmx$KAFKA_HEAP" "-Xms$KAFKA_HEAP" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
    -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$here/log4j2.yaml" -Dkafka.logs.dir="$logs" \
    -cp "$cp" kafka.Kafka "$props" >"$logs/stdout.log" 2>&1 </dev/null &
  echo $! >"$pidfile"
  wait_ready
  say "ready on 127.0.0.1:$KAFKA_PORT"
}

down() {
  local pid
  if ! pid=$(running_pid); then
    rm -f "$pidfile"
    say "not running"
    return 0
  fi
  kill -TERM "$pid"
  for _ in $(seq 1 300); do
    [ -d "/proc/$pid" ] || break
    sleep 0.1
  done
  if [ -d "/proc/$pid" ]; then
    say "broker (pid $pid) ignored SIGTERM for 30s; killing it"
    kill -KILL "$pid" || true
    while [ -d "/proc/$pid" ]; do sleep 0.1; done
  fi
  rm -f "$pidfile"
  say "stopped (pid $pid)"
}

clean() {
  down
  rm -rf "$data" "$logs" "$props"
  say "data deleted (jars kept in $libs)"
}

case "${1:-}" in
up) up ;;
down) down ;;
clean) clean ;;
status) if pid=$(running_pid); then say "running (pid $pid)"; else say "not running"; exit 1; fi ;;
*) die "usage: $0 up|down|clean|status" ;;
esac
