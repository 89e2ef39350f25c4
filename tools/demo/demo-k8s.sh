#!/usr/bin/env bash
# make demo-k8s: the whole loop of kymaros-bridge on this machine. The local Kubernetes API
# server (tools/kube) with the test CRDs, the local broker, the service and the bridge; a few
# RestoreTests and RestoreReports created with kubectl, as Kymaros would; their runs on the
# service's /metrics. Ctrl-C stops the service and the bridge, and the API server and broker if
# this script started them.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
port=${KYMAROS_PORT:-8080}
bridge_port=${KYMAROS_BRIDGE_PORT:-8081}
export KYMAROS_KAFKA_BROKERS=${KYMAROS_KAFKA_BROKERS:-127.0.0.1:${KAFKA_PORT:-9092}}
kubeconfig=${KUBE_DIR:-$PWD/.kube-local}/kubeconfig
kubectl() { command kubectl --kubeconfig "$kubeconfig" "$@" 2> >(grep -v 'version skew\|WARNING: version difference' >&2); }

pids=()
started_kube=0
started_kafka=0
stop() {
  # A second Ctrl-C, or a closed pipe on our output (| tee), must not cut the cleanup short.
  trap '' INT TERM PIPE
  trap - EXIT
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ "$started_kube" = 1 ]; then tools/kube/kube.sh down || true; fi
  if [ "$started_kafka" = 1 ]; then tools/kafka/kafka.sh down || true; fi
}
trap stop EXIT
trap 'exit 130' INT TERM

tools/kube/kube.sh status >/dev/null 2>&1 || started_kube=1
tools/kube/kube.sh up
tools/kafka/kafka.sh status >/dev/null 2>&1 || started_kafka=1
tools/kafka/kafka.sh up

kubectl apply -f test/fixtures/kube/crds.yaml >/dev/null
kubectl wait --for=condition=Established crd/restorereports.restore.kymaros.io \
  crd/restoretests.restore.kymaros.io --timeout=60s >/dev/null

wait_ready() { # name url pid
  for _ in $(seq 1 120); do
    curl -fs "$2/readyz" >/dev/null 2>&1 && return 0
    kill -0 "$3" 2>/dev/null || { echo "demo-k8s: $1 exited; see its log above" >&2; exit 1; }
    sleep 0.5
  done
  echo "demo-k8s: $1 not ready after 60s" >&2
  exit 1
}

KYMAROS_PORT=$port KYMAROS_HOST=127.0.0.1 MALLOC_ARENA_MAX=2 node --import tsx services/api/main.ts &
pids+=($!)
wait_ready "the service" "http://127.0.0.1:$port" "${pids[0]}"
KUBECONFIG="" KYMAROS_KUBECONFIG=$kubeconfig KYMAROS_BRIDGE_PORT=$bridge_port KYMAROS_BRIDGE_HOST=127.0.0.1 \
  MALLOC_ARENA_MAX=2 node --import tsx services/bridge/main.ts &
pids+=($!)
wait_ready "the bridge" "http://127.0.0.1:$bridge_port" "${pids[1]}"

# The runs of the last two days, as Kymaros records them: a report, then its status.
kubectl create namespace shop --dry-run=client -o yaml | kubectl apply -f - >/dev/null
at() { date -u -d "@$(($(date +%s) - $1))" +%Y-%m-%dT%H:%M:%SZ; }
report() { # name test result score completed-seconds-ago restore-seconds
  local started completed
  started=$(at $(($5 + $6)))
  completed=$(at "$5")
  cat <<YAML
---
apiVersion: restore.kymaros.io/v1alpha1
kind: RestoreReport
metadata: {name: $1, namespace: shop}
spec: {testRef: $2}
status:
  result: $3
  score: $4
  startedAt: "$started"
  completedAt: "$completed"
  rto: {measured: ${6}s, target: 900s}
  backup: {name: velero-$1, createdAt: "$(at $(($5 + 7200)))"}
YAML
}
reports=$(
  report checkout-nightly-1 checkout-nightly pass 96 90000 640
  report checkout-nightly-2 checkout-nightly fail 41 3600 1250
  report cart-weekly-1 cart-weekly partial 78 7200 700
)
for t in checkout-nightly cart-weekly; do
  printf 'apiVersion: restore.kymaros.io/v1alpha1\nkind: RestoreTest\nmetadata: {name: %s, namespace: shop}\nspec: {}\n' "$t" |
    kubectl apply -f - >/dev/null
done
# Runs are idempotent by report name: a second demo replaces nothing that changes the metrics.
grep -v '^status:\|^  ' <<<"$reports" | kubectl apply -f - >/dev/null
kubectl replace --subresource=status -f - >/dev/null <<<"$reports"

cat >&2 <<MSG

  kymaros-bridge demo: API server, Kafka, the service and the bridge are running.
  Metrics:        http://localhost:$port/metrics   (the runs of the RestoreReports in namespace shop)
  Bridge metrics: http://localhost:$bridge_port/metrics
  Try:  kubectl --kubeconfig $kubeconfig get restorereports -n shop
        kubectl --kubeconfig $kubeconfig delete restoretest cart-weekly -n shop   (its series go)
  Ctrl-C stops the service and the bridge (and the API server and broker if this started them).

MSG
wait "${pids[0]}" "${pids[1]}"
