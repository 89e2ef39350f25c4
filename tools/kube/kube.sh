#!/usr/bin/env bash
# A local Kubernetes API server (kube-apiserver + etcd, no controllers, no nodes) on loopback,
# for the bridge's tests, manifest validation and the demo.
#   tools/kube/kube.sh up | down | clean | status | stop-apiserver
# Binaries come from tools/kube/build.sh (built once per machine, cached outside the repo).
# Everything else lives in $KUBE_DIR: a self-signed CA and serving certificate, the service
# account signing key, a static token file with one admin token, the etcd data, the logs and a
# kubeconfig ($KUBE_DIR/kubeconfig) that authenticates as that admin.
# Ports: KUBE_API_PORT (HTTPS), KUBE_ETCD_PORT and KUBE_ETCD_PEER_PORT.
# `up` starts whichever of the two is not running, so it also restarts a stopped API server.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
KUBE_DIR=${KUBE_DIR:-$repo/.kube-local}
KUBE_API_PORT=${KUBE_API_PORT:-6443}
KUBE_ETCD_PORT=${KUBE_ETCD_PORT:-2379}
KUBE_ETCD_PEER_PORT=${KUBE_ETCD_PEER_PORT:-2380}
pki=$KUBE_DIR/pki
logs=$KUBE_DIR/logs

say() { printf 'kube: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

# A pid file is ours only while it names a live process whose command line holds our dir.
running_pid() {
  local pidfile=$KUBE_DIR/$1.pid pid
  [ -f "$pidfile" ] || return 1
  pid=$(cat "$pidfile")
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$KUBE_DIR" || return 1
  echo "$pid"
}

# Alive at all: right after `setsid ... &` the pid can still be the forked shell, not yet the
# server (its command line does not name KUBE_DIR yet), so running_pid would call it gone.
alive_pid() {
  local pidfile=$KUBE_DIR/$1.pid
  [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null
}

material() {
  [ -f "$pki/.complete" ] && return 0
  command -v openssl >/dev/null 2>&1 || die "openssl not found: needed for the API server's certificates"
  rm -rf "$pki" && mkdir -p "$pki" && chmod 700 "$pki"
  (
    cd "$pki"
    openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 3650 \
      -subj "/CN=kymaros-local-ca" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -keyout apiserver.key -out apiserver.csr \
      -subj "/CN=kube-apiserver" 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes.default.svc\n' >san.ext
    openssl x509 -req -in apiserver.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
      -out apiserver.pem -days 3650 -extfile san.ext 2>/dev/null
    openssl genrsa -out sa.key 2048 2>/dev/null
    openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
    # token,user,uid,"group": the one static identity, a cluster admin.
    printf '%s,kymaros-admin,kymaros-admin,"system:masters"\n' "$(openssl rand -hex 24)" >tokens.csv
    chmod 600 ./*.key tokens.csv
  )
  touch "$pki/.complete"
}

write_kubeconfig() {
  local token
  token=$(cut -d, -f1 "$pki/tokens.csv")
  umask 077
  cat >"$KUBE_DIR/kubeconfig" <<KC
apiVersion: v1
kind: Config
clusters:
- name: local
  cluster:
    server: https://127.0.0.1:$KUBE_API_PORT
    certificate-authority: $pki/ca.pem
users:
- name: admin
  user:
    token: $token
contexts:
- name: local
  context: {cluster: local, user: admin}
current-context: local
KC
}

start_etcd() {
  running_pid etcd >/dev/null && return 0
  say "starting etcd on 127.0.0.1:$KUBE_ETCD_PORT"
  setsid "$bin/etcd" --name local --data-dir "$KUBE_DIR/etcd" \
    --listen-client-urls "http://127.0.0.1:$KUBE_ETCD_PORT" \
    --advertise-client-urls "http://127.0.0.1:$KUBE_ETCD_PORT" \
    --listen-peer-urls "http://127.0.0.1:$KUBE_ETCD_PEER_PORT" \
    --initial-advertise-peer-urls "http://127.0.0.1:$KUBE_ETCD_PEER_PORT" \
    --initial-cluster "local=http://127.0.0.1:$KUBE_ETCD_PEER_PORT" \
    --quota-backend-bytes 1073741824 >"$logs/etcd.log" 2>&1 </dev/null &
  echo $! >"$KUBE_DIR/etcd.pid"
}

# --watch-cache=false: without it the first watch on a new CRD can get 429 until the cache warms.
start_apiserver() {
  running_pid apiserver >/dev/null && return 0
  say "starting kube-apiserver on https://127.0.0.1:$KUBE_API_PORT (log $logs/apiserver.log)"
  setsid "$bin/kube-apiserver" \
    --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$KUBE_API_PORT" \
    --etcd-servers "http://127.0.0.1:$KUBE_ETCD_PORT" \
    --tls-cert-file "$pki/apiserver.pem" --tls-private-key-file "$pki/apiserver.key" \
    --client-ca-file "$pki/ca.pem" --token-auth-file "$pki/tokens.csv" \
    --authorization-mode RBAC \
    --service-account-key-file "$pki/sa.pub" --service-account-signing-key-file "$pki/sa.key" \
    --service-account-issuer https://kubernetes.default.svc --api-audiences https://kubernetes.default.svc \
    --service-cluster-ip-range 10.96.0.0/24 \
    --watch-cache=false --profiling=false \
    --cert-dir "$KUBE_DIR/certs" >"$logs/apiserver.log" 2>&1 </dev/null &
  echo $! >"$KUBE_DIR/apiserver.pid"
}

wait_ready() {
  local token deadline=$((SECONDS + ${KUBE_START_TIMEOUT:-90}))
  token=$(cut -d, -f1 "$pki/tokens.csv")
  while ((SECONDS < deadline)); do
    alive_pid etcd || die "etcd exited during start; see $logs/etcd.log"
    alive_pid apiserver || die "kube-apiserver exited during start; see $logs/apiserver.log"
    if curl -fsS --max-time 2 --cacert "$pki/ca.pem" -H "Authorization: Bearer $token" \
      "https://127.0.0.1:$KUBE_API_PORT/readyz" >/dev/null 2>&1; then return 0; fi
    sleep 0.3
  done
  die "kube-apiserver was not ready within ${KUBE_START_TIMEOUT:-90}s; see $logs/apiserver.log"
}

up() {
  command -v curl >/dev/null 2>&1 || die "curl not found: the readiness probe uses it"
  bin=$("$here/build.sh")
  mkdir -p "$KUBE_DIR" "$logs"
  material
  write_kubeconfig
  start_etcd
  start_apiserver
  wait_ready
  say "ready on https://127.0.0.1:$KUBE_API_PORT (kubeconfig $KUBE_DIR/kubeconfig)"
}

stop() {
  local name=$1 pid
  if ! pid=$(running_pid "$name"); then
    rm -f "$KUBE_DIR/$name.pid"
    return 0
  fi
  kill -TERM "$pid"
  for _ in $(seq 1 150); do
    [ -d "/proc/$pid" ] || break
    sleep 0.1
  done
  if [ -d "/proc/$pid" ]; then
    say "$name (pid $pid) ignored SIGTERM for 15s; killing it"
    kill -KILL "$pid" || true
    while [ -d "/proc/$pid" ]; do sleep 0.1; done
  fi
  rm -f "$KUBE_DIR/$name.pid"
  say "$name stopped (pid $pid)"
}

status() {
  local ok=0 pid
  for name in etcd apiserver; do
    if pid=$(running_pid "$name"); then say "$name running (pid $pid)"; else say "$name not running"; ok=1; fi
  done
  return "$ok"
}

case "${1:-}" in
up) up ;;
down) stop apiserver && stop etcd ;;
stop-apiserver) stop apiserver ;;
clean) stop apiserver && stop etcd && rm -rf "$KUBE_DIR" && say "deleted $KUBE_DIR" ;;
status) status ;;
*) die "usage: $0 up|down|clean|status|stop-apiserver" ;;
esac
