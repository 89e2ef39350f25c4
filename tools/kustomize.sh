#!/usr/bin/env bash
# Render a kustomize base (k8s/ by default) to stdout, with nothing to install: kubectl carries
# kustomize (`kubectl kustomize`), and it is what applies the manifests anyway. A standalone
# kustomize on the PATH does as well when there is no kubectl.
#
#   tools/kustomize.sh               # = kubectl kustomize k8s
#   tools/kustomize.sh build DIR     # the same for another base (kustomize's own spelling)
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

dir=k8s
if [ $# -gt 0 ]; then
  [ "$1" = "build" ] && [ $# -eq 2 ] || { echo "usage: tools/kustomize.sh [build DIR]" >&2; exit 2; }
  dir=$2
fi

if command -v kubectl >/dev/null 2>&1; then
  exec kubectl kustomize "$dir"
elif command -v kustomize >/dev/null 2>&1; then
  exec kustomize build "$dir"
fi
echo "kustomize.sh: rendering $dir needs kubectl (it has kustomize built in) or kustomize on the PATH" >&2
exit 1
