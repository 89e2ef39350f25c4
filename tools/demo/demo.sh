#!/usr/bin/env bash
# make demo: a broker (KYMAROS_KAFKA_BROKERS, or the local one), the service in the foreground,
# and sample runs published through the SDK once it is ready. Ctrl-C stops the service (a local
# broker keeps running: make kafka-down stops it).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
port=${KYMAROS_PORT:-8080}
# KYMAROS_KAFKA_BROKERS names a broker to use; otherwise the local one, started if needed.
if [ -z "${KYMAROS_KAFKA_BROKERS:-}" ]; then
  tools/kafka/kafka.sh up
  export KYMAROS_KAFKA_BROKERS=127.0.0.1:${KAFKA_PORT:-9092}
fi

MALLOC_ARENA_MAX=2 node --import tsx services/api/main.ts &
svc=$!
trap 'kill -TERM $svc 2>/dev/null; wait $svc' INT TERM

for _ in $(seq 1 120); do
  curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
  kill -0 $svc 2>/dev/null || { echo "demo: the service exited; see its log above" >&2; exit 1; }
  sleep 0.5
done
node --import tsx tools/demo/samples.ts
cat >&2 <<MSG

  kymaros-api is running with sample data: four tests over the last week, from runners
  that write schema v1 (no cluster) and v2 (cluster "demo-cluster").
  Status:    http://localhost:$port/
  Metrics:   http://localhost:$port/metrics
  Readiness: http://localhost:$port/readyz
  Publish a fifth test: see "Publishing runs" in README.md.
  Ctrl-C stops the service; make kafka-down stops the local broker.

MSG
wait $svc
