#!/usr/bin/env bash
# System packages the test suite needs on a fresh Debian machine: PostgreSQL for
# @writ/store-postgres and the authority service tests, Chromium for the browser tests,
# SoftHSM2 for the PKCS#11 signer's tests (a real token, created per test run).
# Idempotent: installs only what is missing.
set -euo pipefail
need=()
ls /usr/lib/postgresql/*/bin/initdb > /dev/null 2>&1 || need+=(postgresql)
[ -x /usr/bin/chromium ] || need+=(chromium)
[ -e /usr/lib/softhsm/libsofthsm2.so ] || need+=(softhsm2)
if [ ${#need[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" > /dev/null
fi
