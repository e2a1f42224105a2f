#!/usr/bin/env bash
# System packages the test suite needs. Idempotent; quiet when already present.
set -euo pipefail
need=()
# (filled in as suites need them: postgresql, chromium)
for pkg in "$@"; do need+=("$pkg"); done
if [ ${#need[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" > /dev/null
fi
