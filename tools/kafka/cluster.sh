#!/usr/bin/env bash
# A local three-node Apache Kafka cluster (KRaft; each node broker and controller, one quorum),
# from the same jars as tools/kafka/kafka.sh, on loopback: replication factor 3 and
# min.insync.replicas 2 by default, as a production cluster is run.
#   tools/kafka/cluster.sh up | down | clean | status | brokers
#   tools/kafka/cluster.sh stop-node N | kill-node N | start-node N     (N = 1, 2 or 3)
# KAFKA_CLUSTER_DIR (default .kafka-cluster) holds node1..node3; KAFKA_CLUSTER_PORTS the three
# client ports (default 19192,19292,19392), each node's controller listening on its port + 1.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
dir=${KAFKA_CLUSTER_DIR:-$repo/.kafka-cluster}
IFS=, read -r -a ports <<<"${KAFKA_CLUSTER_PORTS:-19192,19292,19392}"
[ "${#ports[@]}" = 3 ] || { echo "cluster: KAFKA_CLUSTER_PORTS must list three ports" >&2; exit 2; }
# The jars of the default single broker when it has them: no second download.
libs=${KAFKA_LIBS:-$repo/.kafka/libs}

say() { printf 'cluster: %s\n' "$*" >&2; }

# A follower that stopped answering leaves the in-sync replicas after 5 s, not the default 30 s:
# a dead broker's effect (on acks=all writes and on min.insync.replicas) shows within a test.
extra=${KAFKA_CLUSTER_EXTRA_PROPS:-replica.lag.time.max.ms=5000}

voters() {
  local n out=""
  for n in 1 2 3; do out+="${out:+,}$n@127.0.0.1:$((ports[n - 1] + 1))"; done
  echo "$out"
}

# Runs kafka.sh for node $1 with the cluster's settings.
node_sh() {
  local n=$1
  shift
  KAFKA_DIR=$dir/node$n KAFKA_LIBS=$libs KAFKA_PORT=${ports[n - 1]} \
    KAFKA_CONTROLLER_PORT=$((ports[n - 1] + 1)) KAFKA_NODE_ID=$n KAFKA_VOTERS=$(voters) \
    KAFKA_CLUSTER_ID=$(cluster_id) KAFKA_REPLICATION=${KAFKA_REPLICATION:-3} \
    KAFKA_MIN_ISR=${KAFKA_MIN_ISR:-2} KAFKA_SECURE=0 KAFKA_HEAP=${KAFKA_HEAP:-384m} \
    KAFKA_EXTRA_PROPS=$extra \
    "$here/kafka.sh" "$@"
}

# One id formatted into every node: made once, kept beside them.
cluster_id() {
  if [ ! -s "$dir/cluster.id" ]; then
    mkdir -p "$dir"
    # A KRaft cluster id is 16 random bytes in URL-safe base64 without padding.
    head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n' >"$dir/cluster.id"
  fi
  cat "$dir/cluster.id"
}

brokers() {
  local n out=""
  for n in 1 2 3; do out+="${out:+,}127.0.0.1:${ports[n - 1]}"; done
  echo "$out"
}

node_arg() {
  [[ ${1:-} =~ ^[123]$ ]] || { say "a node is 1, 2 or 3, not \"${1:-}\""; exit 2; }
}

up() {
  local n
  # Started side by side: no node serves before the quorum has a majority.
  for n in 1 2 3; do KAFKA_WAIT=0 node_sh "$n" up; done
  for n in 1 2 3; do node_sh "$n" wait; done
  say "ready: $(brokers)"
}

case "${1:-}" in
up) up ;;
down) for n in 1 2 3; do node_sh "$n" down; done ;;
clean)
  for n in 1 2 3; do node_sh "$n" clean; done
  rm -rf "$dir"
  ;;
status)
  rc=0
  for n in 1 2 3; do node_sh "$n" status || rc=1; done
  exit "$rc"
  ;;
brokers) brokers ;;
stop-node) node_arg "${2:-}" && node_sh "$2" down ;;
kill-node) node_arg "${2:-}" && node_sh "$2" kill ;;
start-node) node_arg "${2:-}" && node_sh "$2" up ;;
*) say "usage: $0 up|down|clean|status|brokers|stop-node N|kill-node N|start-node N" && exit 2 ;;
esac
