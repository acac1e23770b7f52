#!/usr/bin/env bash
# Runs every test: installs what is needed, builds with warnings as errors,
# runs the whole ctest suite (unit + integration tests start their own
# servers), then all of it again under ASan+UBSan but the lab tests labelled
# release_only (README, "Sanitizers").
# Env: SKIP_SANITIZERS=1 skips the sanitizer pass.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
BUILD_DIR=build bash scripts/build.sh -DTANDEM_WERROR=ON
echo "== tests (build) =="
(cd build && ctest --output-on-failure -j2 --timeout 600)
if [ "${SKIP_SANITIZERS:-0}" != 1 ]; then
  echo "== every test but the release_only lab tests again under ASan+UBSan (build-asan; the integration tests run the sanitized tandemd) =="
  BUILD_DIR=build-asan BUILD_TYPE=Debug bash scripts/build.sh -DTANDEM_WERROR=ON -DTANDEM_SANITIZE=ON \
    -DTANDEM_BUILD_BENCH=OFF
  (cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
    LSAN_OPTIONS=suppressions=$PWD/../scripts/lsan.supp:print_suppressions=0 \
    ctest --output-on-failure -j2 --timeout 600 -LE release_only)
fi
echo "test.sh: all tests passed in $(( $(date +%s) - start )) s"
