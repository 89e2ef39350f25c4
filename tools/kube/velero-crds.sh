#!/usr/bin/env bash
# Velero's Restore and Backup CRDs, from Velero's Go module (config/crd/v1/crds embeds them),
# emitted once per machine and version into a cache outside the repository. Prints the file.
#   tools/kube/velero-crds.sh
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
VELERO_VERSION=${VELERO_VERSION:-v1.18.3}
cache=${KYMAROS_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/kymaros}
out=$cache/velero/crds-$VELERO_VERSION.json
work=$cache/velero/build-$VELERO_VERSION

say() { printf 'velero-crds: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

if [ -s "$out" ]; then
  echo "$out"
  exit 0
fi
command -v go >/dev/null 2>&1 || die "go not found: Velero's CRDs come from its Go module"
mkdir -p "$cache/velero"
exec 9>"$cache/velero/build.lock"
flock 9
if [ -s "$out" ]; then
  echo "$out"
  exit 0
fi
say "emitting Velero $VELERO_VERSION's CRDs (once per machine) into $out"
rm -rf "$work" && mkdir -p "$work"
cp "$here/velero-crds/main.go" "$work/"
(
  cd "$work"
  go mod init kymaros.local/velero-crds >/dev/null 2>&1
  go get "github.com/vmware-tanzu/velero@$VELERO_VERSION" >"$work/get.log" 2>&1 || die "go get velero failed; see $work/get.log"
  go mod tidy >>"$work/get.log" 2>&1 || die "go mod tidy failed; see $work/get.log"
  CGO_ENABLED=0 go build -trimpath -o velero-crds . >"$work/build.log" 2>&1 || die "building velero-crds failed; see $work/build.log"
  ./velero-crds restores.velero.io backups.velero.io >"$out.tmp"
)
mv "$out.tmp" "$out"
echo "$out"
