#!/usr/bin/env bash
# Installs what a fresh machine lacks for the local stack: Debian packages (ClickHouse server,
# Java 17, Maven, Go, Python's venv), the Kafka broker jars from Maven Central, chDB from PyPI,
# Node 24 (the Lambda runtime's; infra/scripts/install-node.sh) when the machine's node is another, and the npm packages.
# Idempotent and quick when everything is present. Used by `npm start` and by .ci/run.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
  echo "install-prereqs: need root (or sudo) to run: $*" >&2; exit 1; fi; }

packages=()
command -v clickhouse-server >/dev/null || packages+=(clickhouse-server clickhouse-client)
command -v java >/dev/null || packages+=(openjdk-17-jre-headless)
command -v mvn >/dev/null || packages+=(maven)
command -v zstd >/dev/null || packages+=(zstd)
# chDB's venv (below) needs Python 3 with venv and ensurepip (python3-venv on Debian).
python3 -c 'import venv, ensurepip' 2>/dev/null || packages+=(python3 python3-venv)
# Headless Chromium drives the web UI's end-to-end tests (playwright-core cannot download browsers here).
command -v chromium >/dev/null || packages+=(chromium)
if [ ${#packages[@]} -gt 0 ]; then
  echo "install-prereqs: installing Debian packages: ${packages[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${packages[@]}" >/dev/null
fi

# Go builds the test programs and real agent apps under test/go (dd-trace-go v2.12 needs Go 1.26).
# Debian's golang-go is far older, so Go comes from the machine image (/usr/local/go) or PATH.
go_bin=$(command -v go || true)
[ -z "$go_bin" ] && [ -x /usr/local/go/bin/go ] && go_bin=/usr/local/go/bin/go
if [ -z "$go_bin" ]; then
  echo "install-prereqs: Go >= 1.26 is required (test/go/*) and was not found; install it from go.dev/dl into /usr/local/go" >&2
  exit 1
fi
go_minor=$("$go_bin" env GOVERSION | sed -n 's/^go1\.\([0-9]*\).*/\1/p')
if [ "${go_minor:-0}" -lt 26 ]; then
  echo "install-prereqs: Go >= 1.26 is required (test/go/*), found $("$go_bin" env GOVERSION)" >&2
  exit 1
fi
for module in test/go/*/; do
  [ -f "$module/go.mod" ] && (cd "$module" && GOFLAGS=-mod=mod "$go_bin" mod download)
done

kafka_version=$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' infra/kafka/pom.xml)
cache=${HOTSPOTS_CACHE_DIR:-$HOME/.cache/hotspots}
libs="$cache/kafka-$kafka_version/libs"
if [ ! -f "$libs/.complete" ]; then
  echo "install-prereqs: resolving Apache Kafka $kafka_version from Maven Central into $libs"
  mkdir -p "$libs"
  mvn -q -B -f infra/kafka/pom.xml dependency:copy-dependencies -DoutputDirectory="$libs" -DincludeScope=runtime
  touch "$libs/.complete"
fi

# chDB (ClickHouse 26.x in-process, from PyPI) for test/integration/modern-clickhouse.test.ts, which
# holds the 18.16 server's answers against a current ClickHouse. Its own venv, pinned by the
# requirements file; reinstalled only when that file changes.
chdb_requirements=test/support/chdb/requirements.txt
chdb_venv="$cache/chdb-venv"
if ! cmp -s "$chdb_requirements" "$chdb_venv/.requirements" 2>/dev/null; then
  python=$(command -v python3 || true)
  if [ -z "$python" ]; then
    echo "install-prereqs: python3 (>= 3.9, with venv) is required for chDB ($chdb_requirements)" >&2
    exit 1
  fi
  echo "install-prereqs: installing chDB into $chdb_venv"
  rm -rf "$chdb_venv"
  "$python" -m venv "$chdb_venv"
  "$chdb_venv/bin/pip" install -q --disable-pip-version-check -r "$chdb_requirements"
  cp "$chdb_requirements" "$chdb_venv/.requirements"
fi

# npm ci and the npm scripts (through infra/scripts/node24.mjs) run on this Node.
node_bin=$(bash infra/scripts/install-node.sh)
export PATH="$node_bin:$PATH"

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "install-prereqs: installing npm packages"
  npm ci --no-audit --no-fund --loglevel=error
fi
# The dd-trace-js test app (test/node/dd-app) has its own lock file: dd-trace 5.x and its native addons.
if [ ! -d test/node/dd-app/node_modules ] || [ test/node/dd-app/package-lock.json -nt test/node/dd-app/node_modules/.package-lock.json ]; then
  echo "install-prereqs: installing test/node/dd-app packages (dd-trace)"
  (cd test/node/dd-app && npm ci --no-audit --no-fund --loglevel=error)
fi

# The ddtrace test app (test/python/dd-app) runs in a venv made from its pinned requirements;
# the venv is remade when they change. Python >= 3.9 (ddtrace 4.x); the e2e tests skip nothing.
venv="$cache/python-dd-app-venv"
requirements=test/python/dd-app/requirements.txt
if ! cmp -s "$requirements" "$venv/.requirements.txt" 2>/dev/null; then
  python_bin=$(command -v python3.11 || command -v python3 || true)
  if [ -z "$python_bin" ]; then
    echo "install-prereqs: python3 (>= 3.9, with venv) is required for test/python/dd-app" >&2
    exit 1
  fi
  echo "install-prereqs: making $venv from $requirements with $("$python_bin" --version)"
  rm -rf "$venv"
  "$python_bin" -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
  cp "$requirements" "$venv/.requirements.txt"
fi

echo "install-prereqs: ready (Go $("$go_bin" env GOVERSION), ClickHouse $(clickhouse-client --version 2>/dev/null | grep -o "[0-9.]*[0-9]" | head -1), chDB $("$chdb_venv/bin/python" -c 'import chdb; print(chdb.__version__)'), Kafka $kafka_version, Node $(node --version) in $node_bin)"
