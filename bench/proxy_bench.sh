#!/usr/bin/env bash
# Reads through two Configuration Server Proxies versus the master alone,
# alternating in one run, then change latency master -> proxy -> client
# (watch-fanout through a proxy, beside the master alone).
#   bench/proxy_bench.sh [OUT_DIR] [ROUNDS]    (defaults: print only, 2 rounds)
# Env: BUILD_DIR (default build-bench-proxy), SECONDS_EACH (10), CLIENTS (16 per
# server), WATCHERS (100).
# Everything runs on this host: master, both proxies and the load generators
# share its cores, so a proxy here adds serving capacity only as far as the
# machine has idle CPU.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build-bench-proxy}
OUT=${1:-}
ROUNDS=${2:-2}
SECONDS_EACH=${SECONDS_EACH:-10}
CLIENTS=${CLIENTS:-16}
WATCHERS=${WATCHERS:-100}
BIN="$BUILD_DIR/src/exe/tandemd"
LOAD="$BUILD_DIR/bench/tandem-load"
TMP=$(mktemp -d /tmp/tandem-proxybench.XXXXXX)
cleanup() {
  for f in "$TMP"/*/pid; do [ -f "$f" ] && kill -TERM "$(cat "$f")" 2>/dev/null; done
  sleep 0.5
  rm -rf "$TMP"
}
trap cleanup EXIT
[ -n "$OUT" ] && mkdir -p "$OUT"
log() { echo "$@" >&2; [ -n "$OUT" ] && echo "$@" >> "$OUT/summary.txt"; true; }

start() {  # NAME ROLE TOML_BODY
  mkdir -p "$TMP/$1"
  printf '[server]\nlisten = "127.0.0.1:0"\nport_file = "%s/port"\n%s\n[log]\nlevel = "warn"\n[tls]\nplaintext = true\n[auth]\nmode = "off"\n' \
    "$TMP/$1" "$3" > "$TMP/$1/t.toml"
  "$BIN" "$2" -f "$TMP/$1/t.toml" >"$TMP/$1/log" 2>&1 &
  echo $! > "$TMP/$1/pid"
  for _ in $(seq 200); do [ -s "$TMP/$1/port" ] && break; sleep 0.05; done
  [ -s "$TMP/$1/port" ] || { echo "tandemd $2 ($1) did not start:" >&2; cat "$TMP/$1/log" >&2; exit 1; }
  cat "$TMP/$1/port"
}
M=$(start master confserv "$(printf '[storage]\nbackend = "sqlite"\npath = "%s/master/c.db"\n' "$TMP")")
P1=$(start proxy1 csproxy "$(printf '[proxy]\nmasters = ["127.0.0.1:%s"]\n' "$M")")
P2=$(start proxy2 csproxy "$(printf '[proxy]\nmasters = ["127.0.0.1:%s"]\n' "$M")")
for p in "$M" "$P1" "$P2"; do "$LOAD" ready --plaintext --server "127.0.0.1:$p" --timeout 20 >/dev/null 2>&1; done
log "master :$M  proxies :$P1 :$P2  clients/server $CLIENTS  ${SECONDS_EACH}s each  nproc $(nproc)"

read_run() {  # TAG PORT...
  local tag=$1; shift
  local pids=() files=()
  for p in "$@"; do
    local f="$TMP/read-$tag-$p.json"
    "$LOAD" read --plaintext --server "127.0.0.1:$p" --clients "$CLIENTS" --duration "$SECONDS_EACH" \
      --warmup 2 --json > "$f" 2>/dev/null &
    pids+=($!); files+=("$f")
  done
  for pid in "${pids[@]}"; do wait "$pid"; done
  local total=0
  for f in "${files[@]}"; do
    [ -n "$OUT" ] && { printf '%s ' "$tag" >> "$OUT/read.jsonl"; cat "$f" >> "$OUT/read.jsonl"; }
    total=$(python3 -c 'import json,sys; print(round(float(sys.argv[1]) + json.load(open(sys.argv[2]))["ops_per_s"]))' "$total" "$f")
  done
  log "read $tag: $total ops/s"
}
for r in $(seq "$ROUNDS"); do
  read_run "master-alone-r$r" "$M"
  read_run "two-proxies-r$r" "$P1" "$P2"
done

fanout() {  # TAG PORT
  local f="$TMP/fanout-$1.json"
  "$LOAD" watch-fanout --plaintext --server "127.0.0.1:$2" --clients "$WATCHERS" --count 20 --json > "$f" 2>/dev/null
  [ -n "$OUT" ] && { printf '%s ' "$1" >> "$OUT/fanout.jsonl"; cat "$f" >> "$OUT/fanout.jsonl"; }
  log "watch-fanout $1: $(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print("from_commit p50 %.2f ms p99 %.2f ms, from_send p50 %.2f p99 %.2f" % (d["from_commit_p50_ms"], d["from_commit_p99_ms"], d["from_send_p50_ms"], d["from_send_p99_ms"]))' "$f")"
}
for r in $(seq "$ROUNDS"); do
  fanout "master-r$r" "$M"
  fanout "via-proxy-r$r" "$P1"
done
