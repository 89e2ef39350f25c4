#!/usr/bin/env bash
# Builds kube-apiserver and etcd once per machine into a cache outside the repository, keyed by
# version, so every checkout and CI's clean clones reuse them. Prints the bin directory.
#   tools/kube/build.sh
# k8s.io/kubernetes cannot be `go install`ed: its go.mod replaces the k8s.io/* staging modules
# with ./staging paths. A wrapper module requires it and replaces each of those paths with the
# published k8s.io/* module of the matching version; the list is generated from the go.mod of
# k8s.io/kubernetes itself, so a version bump needs no hand edits.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
KUBE_VERSION=${KUBE_VERSION:-v1.34.4}
ETCD_VERSION=${ETCD_VERSION:-v3.6.4}
staging_version=v0.${KUBE_VERSION#v1.}
cache=${KYMAROS_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/kymaros}
bin=$cache/kube/apiserver-$KUBE_VERSION-etcd-$ETCD_VERSION
work=$cache/kube/build

say() { printf 'kube: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

if [ -x "$bin/kube-apiserver" ] && [ -x "$bin/etcd" ]; then
  echo "$bin"
  exit 0
fi
command -v go >/dev/null 2>&1 || die "go not found: the local API server is built from source with the Go toolchain"
mkdir -p "$bin" "$work"
# One build at a time per machine (several checkouts may start one).
exec 9>"$cache/kube/build.lock"
flock 9
if [ -x "$bin/kube-apiserver" ] && [ -x "$bin/etcd" ]; then
  echo "$bin"
  exit 0
fi

if [ ! -x "$bin/etcd" ]; then
  say "building etcd $ETCD_VERSION (once per machine) into $bin"
  e=$work/etcd-$ETCD_VERSION
  rm -rf "$e" && mkdir -p "$e"
  cp "$here/etcd/main.go" "$e/"
  (
    cd "$e"
    go mod init kymaros.local/etcd >/dev/null 2>&1
    go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION" >"$e/get.log" 2>&1 || die "go get etcd failed; see $e/get.log"
    go mod tidy >>"$e/get.log" 2>&1 || die "go mod tidy failed; see $e/get.log"
    CGO_ENABLED=0 go build -trimpath -o "$bin/etcd.tmp" . >"$e/build.log" 2>&1 || die "building etcd failed; see $e/build.log"
  )
  mv "$bin/etcd.tmp" "$bin/etcd"
fi

if [ ! -x "$bin/kube-apiserver" ]; then
  say "building kube-apiserver $KUBE_VERSION (once per machine; minutes on 2 cores) into $bin"
  k=$work/apiserver-$KUBE_VERSION
  rm -rf "$k" && mkdir -p "$k"
  gomod=$(go mod download -json "k8s.io/kubernetes@$KUBE_VERSION" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",*$/\1/p')
  [ -f "$gomod" ] || die "could not download the go.mod of k8s.io/kubernetes@$KUBE_VERSION"
  {
    echo "module kymaros.local/kube-apiserver"
    echo
    sed -n 's/^go \(.*\)$/go \1/p' "$gomod" | head -n 1
    echo
    echo "require k8s.io/kubernetes $KUBE_VERSION"
    echo
    echo "replace ("
    # `k8s.io/api => ./staging/src/k8s.io/api` becomes `k8s.io/api => k8s.io/api v0.34.4`.
    sed -n 's#^[[:space:]]*\(k8s.io/[^[:space:]]*\) => ./staging/src/[^[:space:]]*$#\t\1 => \1 '"$staging_version"'#p' "$gomod"
    echo ")"
  } >"$k/go.mod"
  grep -q "=> k8s.io/api $staging_version" "$k/go.mod" || die "no staging replace directives found in $gomod"
  (
    cd "$k"
    go get "k8s.io/kubernetes/cmd/kube-apiserver@$KUBE_VERSION" >"$k/get.log" 2>&1 || die "go get kube-apiserver failed; see $k/get.log"
    CGO_ENABLED=0 go build -trimpath -o "$bin/kube-apiserver.tmp" k8s.io/kubernetes/cmd/kube-apiserver >"$k/build.log" 2>&1 ||
      die "building kube-apiserver failed; see $k/build.log"
  )
  mv "$bin/kube-apiserver.tmp" "$bin/kube-apiserver"
fi
say "built into $bin"
echo "$bin"
