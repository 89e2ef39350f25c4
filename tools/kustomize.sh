#!/usr/bin/env bash
# Render the k8s/ kustomize base (kubectl is not installed here, so kustomize is used on its own).
#
#   tools/kustomize.sh                 # = kustomize build k8s
#   tools/kustomize.sh build k8s ...   # any other kustomize arguments
#   tools/kustomize.sh --install-only  # install the pinned binary and print its path
#
# The binary is built once from the Go module proxy into <repo>/.tools/bin (git-ignored) with
# `go install` at a pinned version; later runs reuse it when its version matches.
# v5.8.2 is the newest release whose go.mod asks for no newer Go than this machine's 1.26
# (v5.8.3 declares go 1.27.0).
set -euo pipefail

KUSTOMIZE_VERSION="v5.8.2"
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin_dir="$repo/.tools/bin"
kustomize="$bin_dir/kustomize"

installed_version() {
  [ -x "$kustomize" ] || return 0
  # `kustomize version` prints e.g. "v5.8.2" (go install builds carry the module version).
  "$kustomize" version 2>/dev/null | head -n 1 || true
}

if [ "$(installed_version)" != "$KUSTOMIZE_VERSION" ]; then
  command -v go >/dev/null 2>&1 || { echo "kustomize.sh: go is required to install kustomize" >&2; exit 1; }
  mkdir -p "$bin_dir"
  echo "kustomize.sh: installing sigs.k8s.io/kustomize/kustomize/v5@$KUSTOMIZE_VERSION into $bin_dir" >&2
  # A go.work or go.mod around the repo must not steer the install; CGO is not needed.
  GOBIN="$bin_dir" GOWORK=off GOFLAGS=-mod=mod CGO_ENABLED=0 \
    go install "sigs.k8s.io/kustomize/kustomize/v5@$KUSTOMIZE_VERSION" >&2
fi

if [ "${1:-}" = "--install-only" ]; then
  echo "$kustomize"
  exit 0
fi

cd "$repo"
if [ $# -eq 0 ]; then
  exec "$kustomize" build k8s
fi
exec "$kustomize" "$@"
