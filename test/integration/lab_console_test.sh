#!/usr/bin/env bash
# The console in the two-region lab (lab/lab): `tandemd console` runs in the
# ops host with the lab's site file, and Debian's chromium (Playwright,
# test/browser/regions.lab.test.mjs) watches its Regions page while region
# 1 is lost and `tandemctl dr failover --scenario full` runs: each step must
# show within 2 s. Screenshots and timings.json go to
# BUILD/test-artifacts/console-lab.
# Exit 77 (ctest: skipped) when not root.
# Usage: lab_console_test.sh [--build DIR]
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
LAB=$SRC/lab/lab
BUILD=${TANDEM_BUILD_DIR:-$SRC/build}
while [ $# -gt 0 ]; do
  case $1 in
    --build) BUILD=$2; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
BUILD=$(cd "$BUILD" && pwd)
[ -d "$SRC/test/browser/node_modules/playwright-core" ] ||
  { echo "lab_console_test: Playwright is not installed: run scripts/install-deps.sh" >&2; exit 1; }
[ -x /usr/bin/chromium ] || { echo "lab_console_test: chromium is not installed: run scripts/install-deps.sh" >&2; exit 1; }

# shellcheck source=lab_testlib.sh
. "$HERE/lab_testlib.sh"
lab_test_init lab_console_test tandem-console-lab cl
CONSOLE_PID=""
on_exit() {
  [ -n "$CONSOLE_PID" ] && kill "$CONSOLE_PID" 2>/dev/null
  wait 2>/dev/null || true
  [ -f "$STATE/ops/console.log" ] && cp "$STATE/ops/console.log" "$ARTIFACTS/" 2>/dev/null
  return 0
}
ARTIFACTS=$BUILD/test-artifacts/console-lab
rm -rf "$ARTIFACTS"
mkdir -p "$ARTIFACTS"

echo "== lab up --sync"
"${L[@]}" up --sync --build "$BUILD" --prefix "$PREFIX" | tail -1

# The console's certificate (for the address the browser dials) and
# bootstrap file: the masters through the framework names, the lab's site
# file for the Regions page.
OPS=$STATE/ops
"$BUILD/src/exe/tandemctl" pki issue tandem-console --dir "$STATE/pki" --out "$OPS" --ip 127.0.0.1 >/dev/null
cat >"$OPS/console.toml" <<TOML
[server]
listen = "127.0.0.1:0"
port_file = "$OPS/console.port"

[tls]
cert = "$OPS/tandem-console.crt"
key = "$OPS/tandem-console.key"
ca = "$STATE/pki/ca.crt"

[console]
servers = ["fw-p.tandem.test:9000", "fw-b.tandem.test:9000"]
site = "$STATE/dr.toml"
call_timeout_s = 5
TOML
rm -f "$OPS/console.port"
"${L[@]}" exec ops "$BUILD/src/exe/tandemd" console -f "$OPS/console.toml" >"$OPS/console.log" 2>&1 &
CONSOLE_PID=$!
check "tandemd console serves in ops" eventually 15 test -s "$OPS/console.port"

echo "== the Regions page in chromium (test/browser/regions.lab.test.mjs)"
if "${L[@]}" exec ops env CONSOLE_URL="https://127.0.0.1:$(cat "$OPS/console.port")" \
  CONSOLE_CERT="$OPS/tandem-console.crt" ARTIFACTS="$ARTIFACTS" \
  OPERATOR_PASSWORD="$(cat "$OPS/password")" LAB="$LAB --state $STATE" \
  TANDEMCTL="$BUILD/src/exe/tandemctl" \
  node --test --test-concurrency=1 "$SRC/test/browser/regions.lab.test.mjs"; then
  ok "the Regions page showed each step of the failover within 2 s (timings: $(tr -d '\n ' <"$ARTIFACTS/timings.json" 2>/dev/null))"
else
  bad "the Regions page in chromium (output above; console log: $ARTIFACTS/console.log)"
fi
check "the console is still serving" kill -0 "$CONSOLE_PID"

echo "lab_console_test: $PASS passed, $FAIL failed in $((SECONDS - T0)) s; screenshots in $ARTIFACTS"
[ "$FAIL" = 0 ]
