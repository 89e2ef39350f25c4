#!/usr/bin/env bash
# A local single-node Apache Kafka (KRaft, broker+controller) for development, tests and CI.
#   tools/kafka/kafka.sh up | down | clean | status
# Jars come from Maven Central through tools/kafka/pom.xml; everything lives in $KAFKA_DIR.
#
# KAFKA_SECURE=1 adds a SASL_SSL listener (TLS + SCRAM-SHA-512) on 127.0.0.1:$KAFKA_SECURE_PORT
# beside PLAINTEXT: a self-signed CA, the broker certificate and a random password for user
# kymaros are generated once into $KAFKA_DIR/secure/ (tools/kafka/secure/material.sh). Clients
# trust $KAFKA_DIR/secure/ca.pem and read the password from $KAFKA_DIR/secure/kymaros.password.
# The user is created at format time (StorageTool --add-scram) or, for a data dir formatted
# without it, through the admin API once the broker is up. The readiness probe uses PLAINTEXT,
# then checks that the secure listener authenticates kymaros.
#
# One node of a cluster (tools/kafka/cluster.sh starts three): KAFKA_NODE_ID, KAFKA_VOTERS (the
# controller quorum, id@host:port,...), KAFKA_CLUSTER_ID (one id formatted into every node),
# KAFKA_REPLICATION (default and internal topics' replication factor), KAFKA_MIN_ISR, and
# KAFKA_WAIT=0 to return once started (a node alone cannot serve until a quorum is up).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
KAFKA_DIR=${KAFKA_DIR:-$repo/.kafka}
KAFKA_PORT=${KAFKA_PORT:-9092}
KAFKA_CONTROLLER_PORT=${KAFKA_CONTROLLER_PORT:-9093}
KAFKA_HEAP=${KAFKA_HEAP:-512m}
KAFKA_SECURE=${KAFKA_SECURE:-0}
KAFKA_SECURE_PORT=${KAFKA_SECURE_PORT:-9094}
KAFKA_NODE_ID=${KAFKA_NODE_ID:-1}
KAFKA_VOTERS=${KAFKA_VOTERS:-$KAFKA_NODE_ID@127.0.0.1:$KAFKA_CONTROLLER_PORT}
KAFKA_CLUSTER_ID=${KAFKA_CLUSTER_ID:-}
KAFKA_REPLICATION=${KAFKA_REPLICATION:-1}
KAFKA_MIN_ISR=${KAFKA_MIN_ISR:-1}
KAFKA_WAIT=${KAFKA_WAIT:-1}
# KAFKA_AUTHORIZER=1: the StandardAuthorizer, deny by default; the PLAINTEXT listener's
# principal (User:ANONYMOUS) is the super user that creates topics and ACLs.
KAFKA_AUTHORIZER=${KAFKA_AUTHORIZER:-0}
# More broker settings, one key=value per line, appended to server.properties.
KAFKA_EXTRA_PROPS=${KAFKA_EXTRA_PROPS:-}
# Another instance (a test's own KAFKA_DIR) may share the jars of the default one.
libs=${KAFKA_LIBS:-$KAFKA_DIR/libs}
secure=$KAFKA_DIR/secure
scram_user=kymaros
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

is_secure() { [ "$KAFKA_SECURE" = 1 ] || [ "$KAFKA_SECURE" = true ]; }

write_props() {
  local listeners="PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT"
  local advertised="PLAINTEXT://127.0.0.1:$KAFKA_PORT"
  local protocols="PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT"
  if is_secure; then
    listeners+=",SASL_SSL://127.0.0.1:$KAFKA_SECURE_PORT"
    advertised+=",SASL_SSL://127.0.0.1:$KAFKA_SECURE_PORT"
    protocols+=",SASL_SSL:SASL_SSL"
  fi
  cat >"$props" <<PROPS
process.roles=broker,controller
node.id=$KAFKA_NODE_ID
controller.quorum.voters=$KAFKA_VOTERS
listeners=$listeners
advertised.listeners=$advertised
listener.security.protocol.map=$protocols
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
log.dirs=$data
num.partitions=3
auto.create.topics.enable=false
default.replication.factor=$KAFKA_REPLICATION
min.insync.replicas=$KAFKA_MIN_ISR
offsets.topic.replication.factor=$KAFKA_REPLICATION
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=$KAFKA_REPLICATION
transaction.state.log.min.isr=$KAFKA_MIN_ISR
share.coordinator.state.topic.replication.factor=$KAFKA_REPLICATION
share.coordinator.state.topic.min.isr=$KAFKA_MIN_ISR
group.initial.rebalance.delay.ms=0
# Retention deletes a topic's expired segments within a second (the changelog test lets the
# broker itself delete old events); topics without a finite retention are not affected.
log.retention.check.interval.ms=1000
PROPS
  [ -z "$KAFKA_EXTRA_PROPS" ] || printf '%s\n' "$KAFKA_EXTRA_PROPS" >>"$props"
  if [ "$KAFKA_AUTHORIZER" = 1 ]; then
    cat >>"$props" <<PROPS
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
allow.everyone.if.no.acl.found=false
super.users=User:ANONYMOUS
PROPS
  fi
  if is_secure; then
    # PEM keystore with an unencrypted key (file mode 600): no keystore password to store here.
    cat >>"$props" <<PROPS
sasl.enabled.mechanisms=SCRAM-SHA-512
listener.name.sasl_ssl.sasl.enabled.mechanisms=SCRAM-SHA-512
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_ssl.ssl.keystore.type=PEM
listener.name.sasl_ssl.ssl.keystore.location=$secure/broker.pem
listener.name.sasl_ssl.ssl.truststore.type=PEM
listener.name.sasl_ssl.ssl.truststore.location=$secure/ca.pem
listener.name.sasl_ssl.ssl.client.auth=requested
listener.name.sasl_ssl.ssl.enabled.protocols=TLSv1.3,TLSv1.2
PROPS
  fi
}

# The cluster id of the formatted data dir, or nothing.
cluster_id() { sed -n 's/^cluster.id=//p' "$data/meta.properties" 2>/dev/null; }

# Runs java with the options in $1 (an array name) and the main class and arguments after it
# taken from a 600 argument file, so a secret among them never shows in the process list. (The
# classpath stays outside: java does not expand a classpath wildcard read from an argument file.)
java_argfile() {
  local -n opts=$1
  shift
  local argfile arg
  argfile=$(umask 077 && mktemp "$secure/.args.XXXXXX")
  for arg in "$@"; do
    arg=${arg//\\/\\\\}
    printf '"%s"\n' "${arg//\"/\\\"}"
  done >"$argfile"
  local rc=0
  java "${opts[@]}" "@$argfile" || rc=$?
  rm -f "$argfile"
  return "$rc"
}

# Creates user kymaros through the admin API (PLAINTEXT listener) when the data dir was formatted
# without it: the record of which cluster has the user is $secure/scram-user.cluster.
ensure_scram_user() {
  local id
  id=$(cluster_id)
  [ -n "$id" ] && [ "$(cat "$secure/scram-user.cluster" 2>/dev/null)" = "$id" ] && return 0
  say "adding SCRAM-SHA-512 user $scram_user through the admin API (data dir formatted without it)"
  local password jvm=(-cp "$libs/*" -Dlog4j2.configurationFile="$here/log4j2.yaml" -Dkafka.logs.dir="$logs")
  password=$(cat "$secure/kymaros.password")
  local rc=0
  # The tool may echo the credential in an error: the password is redacted from its log.
  java_argfile jvm kafka.admin.ConfigCommand --bootstrap-server "127.0.0.1:$KAFKA_PORT" --alter \
    --entity-type users --entity-name "$scram_user" \
    --add-config "SCRAM-SHA-512=[iterations=8192,password=$password]" 2>&1 |
    sed "s/$password/***/g" >"$logs/scram.log" || rc=$?
  [ "$rc" = 0 ] || die "adding the SCRAM user failed; see $logs/scram.log"
  echo "$id" >"$secure/scram-user.cluster"
}

wait_secure_ready() {
  local deadline=$((SECONDS + 30))
  while ((SECONDS < deadline)); do
    if node "$here/ready.mjs" "127.0.0.1:$KAFKA_SECURE_PORT" --ca "$secure/ca.pem" \
      --user "$scram_user" --password-file "$secure/kymaros.password" 2>/dev/null; then return 0; fi
    sleep 0.5
  done
  die "the SASL_SSL listener on 127.0.0.1:$KAFKA_SECURE_PORT did not authenticate $scram_user within 30s; see $logs/server.log"
}

# Liveness of the java we just started, by its pid: running_pid's command-line check would also
# fail in the instant before the background shell execs it. An exit reports its status (137: SIGKILL).
wait_ready() {
  local pid=$1 deadline=$((SECONDS + ${KAFKA_START_TIMEOUT:-90}))
  while ((SECONDS < deadline)); do
    if ! kill -0 "$pid" 2>/dev/null; then
      local rc=0
      wait "$pid" || rc=$?
      die "the broker exited during start (status $rc); see $logs/server.log and $logs/stdout.log"
    fi
    if node "$here/ready.mjs" "127.0.0.1:$KAFKA_PORT" 2>/dev/null; then return 0; fi
    sleep 0.5
  done
  die "the broker did not accept clients within ${KAFKA_START_TIMEOUT:-90}s; see $logs/server.log"
}

up() {
  need
  if pid=$(running_pid); then
    if is_secure && ! grep -q '^listeners=.*SASL_SSL://' "$props"; then
      die "already running (pid $pid) without the SASL_SSL listener: stop it with 'tools/kafka/kafka.sh down' (KAFKA_DIR=$KAFKA_DIR), then start it again with KAFKA_SECURE=1"
    fi
    say "already running (pid $pid) on 127.0.0.1:$KAFKA_PORT$(is_secure && echo ", SASL_SSL on 127.0.0.1:$KAFKA_SECURE_PORT")"
    return 0
  fi
  [ -d "$repo/node_modules/kafkajs" ] || die "node_modules missing: run npm ci first (the readiness probe uses kafkajs)"
  mkdir -p "$KAFKA_DIR" "$data" "$logs"
  fetch
  if is_secure; then
    command -v openssl >/dev/null 2>&1 || die "openssl not found: needed to generate the TLS material"
    "$here/secure/material.sh" "$secure"
  fi
  write_props
  local cp="$libs/*"
  if [ ! -f "$data/meta.properties" ]; then
    local id
    id=$KAFKA_CLUSTER_ID
    [ -n "$id" ] || id=$(java -cp "$cp" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n 1)
    local jvm=(-cp "$cp" -Dlog4j2.configurationFile="$here/log4j2.yaml" -Dkafka.logs.dir="$logs")
    local format=(kafka.tools.StorageTool format -t "$id" -c "$props")
    if is_secure; then
      local password rc=0
      password=$(cat "$secure/kymaros.password")
      # The tool may echo the credential in an error: the password is redacted from its log.
      java_argfile jvm "${format[@]}" --add-scram "SCRAM-SHA-512=[name=$scram_user,password=$password]" 2>&1 |
        sed "s/$password/***/g" >"$logs/format.log" || rc=$?
      [ "$rc" = 0 ] || die "formatting KRaft storage failed; see $logs/format.log"
      echo "$id" >"$secure/scram-user.cluster"
    else
      java "${jvm[@]}" "${format[@]}" >"$logs/format.log" 2>&1 ||
        die "formatting KRaft storage failed; see $logs/format.log"
    fi
  fi
  say "starting broker on 127.0.0.1:$KAFKA_PORT (heap $KAFKA_HEAP, log $logs/server.log)"
  # setsid: the broker outlives the make or test process that started it.
  setsid java "-Xmx$KAFKA_HEAP" "-Xms$KAFKA_HEAP" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
    -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$here/log4j2.yaml" -Dkafka.logs.dir="$logs" \
    -cp "$cp" kafka.Kafka "$props" >"$logs/stdout.log" 2>&1 </dev/null &
  local started=$!
  echo "$started" >"$pidfile"
  if [ "$KAFKA_WAIT" = 0 ]; then
    say "started node $KAFKA_NODE_ID (pid $started); not waiting for it to serve"
    return 0
  fi
  wait_ready "$started"
  if is_secure; then
    ensure_scram_user
    wait_secure_ready
    say "ready on 127.0.0.1:$KAFKA_PORT (PLAINTEXT) and 127.0.0.1:$KAFKA_SECURE_PORT (SASL_SSL, SCRAM-SHA-512 user $scram_user, CA $secure/ca.pem, password file $secure/kymaros.password)"
  else
    say "ready on 127.0.0.1:$KAFKA_PORT"
  fi
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

# SIGKILL, as a crash: no controlled shutdown, no leadership handed over first.
kill_now() {
  local pid
  pid=$(running_pid) || { say "not running"; return 0; }
  kill -KILL "$pid"
  while [ -d "/proc/$pid" ]; do sleep 0.05; done
  rm -f "$pidfile"
  say "killed (pid $pid)"
}

clean() {
  down
  rm -rf "$data" "$logs" "$props"
  say "data deleted (jars kept in $libs)"
}

case "${1:-}" in
up) up ;;
down) down ;;
kill) kill_now ;;
wait) if pid=$(running_pid); then wait_ready "$pid"; say "ready on 127.0.0.1:$KAFKA_PORT"; else die "not running"; fi ;;
clean) clean ;;
status) if pid=$(running_pid); then say "running (pid $pid)"; else say "not running"; exit 1; fi ;;
*) die "usage: $0 up|down|kill|wait|clean|status" ;;
esac
