#!/usr/bin/env bash
# Runs the performance targets of docs/PERFORMANCE.md against a fresh tandemd
# (temporary directory, SQLite, port 0 on 127.0.0.1) and a fresh etcd for the
# comparison, and writes the results. Safe to re-run: everything it starts lives
# in its own temporary directory and is stopped on exit.
#
#   bench/run_all.sh [OUT_DIR]          # default OUT_DIR: build-bench/bench-results/<time>
#
# Environment:
#   BUILD_DIR   build tree with tandemd, tandem-load, etcd-put-bench (default <repo>/build-bench)
#   RUNS        repetitions of each measured run (default 3)
#   DURATION    measured seconds of each closed-loop run (default 10)
#   SCALE       objects for the scale target (default 1000000; 0 skips it)
#   SKIP_ETCD=1 skips the etcd comparison; SKIP_MICRO=1 skips tandem_micro_bench
#   PERF=1      records a perf profile of tandemd during one 64-client update run
#   TLS=1       tandemd serves TLS (a CA made for the run, tandemctl pki) and
#               tandem-load connects with it; default: [tls] plaintext = true
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$REPO/build-bench}
RUNS=${RUNS:-3}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
SCALE=${SCALE:-1000000}
TANDEMD=$BUILD_DIR/src/exe/tandemd
LOAD=$BUILD_DIR/bench/tandem-load
ETCD_BENCH=$BUILD_DIR/bench/etcd-put-bench
MICRO=$BUILD_DIR/bench/tandem_micro_bench
OUT=${1:-$BUILD_DIR/bench-results/$(date +%Y%m%d-%H%M%S)}

for bin in "$TANDEMD" "$LOAD"; do
  [ -x "$bin" ] || { echo "run_all: $bin is missing; build it first:" \
    "cmake --build $BUILD_DIR --target tandemd tandem-load" >&2; exit 1; }
done
mkdir -p "$OUT"
WORK=$(mktemp -d /tmp/tandem-bench.XXXXXX)
RESULTS=$OUT/results.jsonl
: >"$RESULTS"
TANDEMD_PID=""
ETCD_PID=""

log() { echo "[$(date +%H:%M:%S)] $*" | tee -a "$OUT/run.log" >&2; }

stop_pid() {  # stop_pid PID: SIGTERM, then SIGKILL after 20 s
  local pid=$1
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 200); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  log "pid $pid did not stop on SIGTERM within 20 s; killing it"
  kill -KILL "$pid" 2>/dev/null || true
}

cleanup() {
  stop_pid "$TANDEMD_PID"
  stop_pid "$ETCD_PID"
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- tandemd --------------------------------------------------------------------
if [ "${TLS:-0}" = 1 ]; then
  CTL=$BUILD_DIR/src/exe/tandemctl
  "$CTL" pki init --dir "$WORK/pki" >/dev/null
  "$CTL" pki issue confserv --ip 127.0.0.1 --dir "$WORK/pki" >/dev/null
  TLS_TOML=$(printf '[tls]\ncert = "%s"\nkey = "%s"\nca = "%s"' "$WORK/pki/confserv.crt" \
    "$WORK/pki/confserv.key" "$WORK/pki/ca.crt")
  LOAD_TLS=(--ca "$WORK/pki/ca.crt")
  log "TLS: tandemd serves TLS with a certificate of a CA made for this run"
else
  TLS_TOML=$(printf '[tls]\nplaintext = true')
  LOAD_TLS=(--plaintext)
fi
cat >"$WORK/tandemd.toml" <<EOF
[server]
listen = "127.0.0.1:0"
port_file = "$WORK/port"
application = "confserv"
[storage]
backend = "sqlite"
path = "$WORK/config.db"
[history]
max_count = 100000
[log]
level = "warn"
$TLS_TOML
[auth]
mode = "off"
EOF

START_NS=0
start_tandemd() {  # starts tandemd on the existing database; sets TANDEMD_PID, SERVER
  rm -f "$WORK/port"
  START_NS=$(date +%s%N)
  "$TANDEMD" confserv -f "$WORK/tandemd.toml" >>"$OUT/tandemd.log" 2>&1 &
  TANDEMD_PID=$!
  for _ in $(seq 1200); do
    [ -s "$WORK/port" ] && break
    kill -0 "$TANDEMD_PID" 2>/dev/null || { log "tandemd exited; see $OUT/tandemd.log"; exit 1; }
    sleep 0.025
  done
  [ -s "$WORK/port" ] || { log "tandemd wrote no port file within 30 s"; exit 1; }
  SERVER=127.0.0.1:$(cat "$WORK/port")
}

cpu_ticks() {  # utime+stime of a process, in clock ticks
  awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0
}

busy_ticks() {  # busy (non-idle, non-iowait) clock ticks of the whole machine
  awk '/^cpu /{print $2 + $3 + $4 + $7 + $8 + $9}' /proc/stat
}

# run_load NAME ARGS...: one tandem-load run; its JSON line, tagged with NAME and the
# server's CPU seconds during the run, goes to results.jsonl.
run_load() {
  local name=$1
  shift
  local before after line busy_before busy_after
  before=$(cpu_ticks "$TANDEMD_PID")
  busy_before=$(busy_ticks)
  if ! line=$("$LOAD" "$@" "${LOAD_TLS[@]}" --server "$SERVER" --json 2>>"$OUT/load.log"); then
    log "$name: tandem-load $* failed (see $OUT/load.log)"
    echo "{\"name\":\"$name\",\"failed\":true}" >>"$RESULTS"
    return 0
  fi
  after=$(cpu_ticks "$TANDEMD_PID")
  busy_after=$(busy_ticks)
  # other_cpu_s: CPU the rest of the machine (other users of the shared box) used meanwhile.
  line=$(jq -c --arg name "$name" --argjson cpu "$((after - before))" \
    --argjson busy "$((busy_after - busy_before))" --argjson hz "$(getconf CLK_TCK)" \
    '. + {name: $name, server_cpu_s: ($cpu / $hz),
          other_cpu_s: ((($busy - $cpu) / $hz) - (.client_cpu_s // 0))}' <<<"$line")
  echo "$line" >>"$RESULTS"
  log "$name: $(jq -c 'del(.name)' <<<"$line" | cut -c1-300)"
}

# --- etcd -------------------------------------------------------------------------
ETCD_PORT=""
start_etcd() {
  command -v etcd >/dev/null && [ -x "$ETCD_BENCH" ] || { log "etcd or etcd-put-bench missing; skipping etcd"; return 1; }
  ETCD_PORT=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
  local peer
  peer=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
  etcd --name bench --data-dir "$WORK/etcd" \
    --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls "http://127.0.0.1:$peer" --initial-advertise-peer-urls "http://127.0.0.1:$peer" \
    --initial-cluster "bench=http://127.0.0.1:$peer" --log-level error >>"$OUT/etcd.log" 2>&1 &
  ETCD_PID=$!
  for _ in $(seq 200); do
    curl -sf "http://127.0.0.1:$ETCD_PORT/health" >/dev/null 2>&1 && return 0
    sleep 0.05
  done
  log "etcd did not become healthy"
  return 1
}

run_etcd() {  # run_etcd NAME CLIENTS
  local line
  if line=$("$ETCD_BENCH" --port "$ETCD_PORT" --clients "$2" --duration "$DURATION" \
    --warmup "$WARMUP" --json 2>>"$OUT/load.log"); then
    line=$(jq -c --arg name "$1" '. + {name: $name}' <<<"$line")
    echo "$line" >>"$RESULTS"
    log "$1: $(jq -c 'del(.name)' <<<"$line")"
  else
    log "$1: etcd-put-bench failed"
  fi
}

# --- machine ------------------------------------------------------------------------
{
  echo "date: $(date -Is)"
  echo "commit: $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)"
  lscpu | grep -E '^(Model name|CPU\(s\)|Thread|Core|Socket|Hypervisor)'
  free -h | head -2
  df -h "$WORK" | tail -1
  echo "kernel: $(uname -r)"
} >"$OUT/machine.txt"
if [ "${SKIP_MICRO:-0}" != 1 ] && [ -x "$MICRO" ]; then
  log "micro benchmarks (incl. fdatasync of the disk under $WORK)"
  TANDEM_BENCH_DIR=$WORK "$MICRO" --benchmark_repetitions=3 \
    --benchmark_report_aggregates_only=true >"$OUT/micro.txt" 2>&1 || log "micro bench failed"
fi

# fsync_probe NAME: the disk's 4 KiB append+fdatasync cost right now (it varies with the
# other users of the shared disk), as a results.jsonl entry.
fsync_probe() {
  [ -x "$MICRO" ] || return 0
  local us
  us=$(TANDEM_BENCH_DIR=$WORK "$MICRO" --benchmark_filter='BM_AppendFdatasync/4096' \
    --benchmark_min_time=1 --benchmark_format=json 2>/dev/null |
    jq '[.benchmarks[] | select(.run_type=="iteration")][0].real_time / 1000') || return 0
  echo "{\"name\":\"$1\",\"fdatasync_4k_us\":$us}" >>"$RESULTS"
  log "$1: append 4 KiB + fdatasync = $us us"
}

# --- measured runs ----------------------------------------------------------------
fsync_probe "fsync-before"
log "starting tandemd in $WORK; results in $OUT"
start_tandemd
log "tandemd serving on $SERVER"
ETCD_OK=0
if [ "${SKIP_ETCD:-0}" != 1 ] && start_etcd; then ETCD_OK=1; fi

for r in $(seq "$RUNS"); do
  run_load "update64#$r" update --clients 64 --duration "$DURATION" --warmup "$WARMUP"
  if [ "$ETCD_OK" = 1 ]; then run_etcd "etcd64#$r" 64; fi
  run_load "update1#$r" update --clients 1 --duration "$DURATION" --warmup "$WARMUP"
  if [ "$ETCD_OK" = 1 ]; then run_etcd "etcd1#$r" 1; fi
done
if [ "${PERF:-0}" = 1 ] && command -v perf >/dev/null; then
  log "perf profile of tandemd during a 64-client update run"
  perf record -F 499 -g -p "$TANDEMD_PID" -o "$OUT/perf-update64.data" -- sleep "$DURATION" \
    >/dev/null 2>&1 &
  PERF_PID=$!
  run_load "update64-perf" update --clients 64 --duration "$DURATION" --warmup 0
  wait "$PERF_PID" || true
  perf report -i "$OUT/perf-update64.data" --no-children --percent-limit 1 --stdio \
    >"$OUT/perf-update64.txt" 2>/dev/null || true
fi
for r in $(seq "$RUNS"); do
  run_load "read32#$r" read --clients 32 --count 10000 --duration "$DURATION" --warmup "$WARMUP"
done
run_load "create64#1" create --clients 64 --duration "$DURATION" --warmup "$WARMUP"
for r in $(seq "$RUNS"); do
  run_load "watch1000#$r" watch-fanout --clients 1000 --count 20
done

# Streamed list of 100,000 Applications (plus any the server made itself).
BASE_APPS=$("$LOAD" list "${LOAD_TLS[@]}" --server "$SERVER" --repeat 1 --json 2>/dev/null | jq .objects)
run_load "populate100k" populate --count 100000 --clients 2
for r in $(seq "$RUNS"); do
  run_load "list100k#$r" list --count $((BASE_APPS + 100000)) --repeat 3
done
if [ "$ETCD_OK" = 1 ]; then
  stop_pid "$ETCD_PID"
  ETCD_PID=""
fi

# --- scale: SCALE objects, restart, time to serving, memory -----------------------
if [ "$SCALE" -gt 100000 ]; then
  HAVE=$("$LOAD" ready "${LOAD_TLS[@]}" --server "$SERVER" --json 2>/dev/null | jq .object_count)
  if [ "$SCALE" -gt "$HAVE" ]; then
    run_load "populate-scale" populate --count $((SCALE - HAVE)) --clients 2
  fi
  log "restarting tandemd on $(du -sh "$WORK" | cut -f1) of data"
  stop_pid "$TANDEMD_PID"
  start_tandemd
  run_load "restart-ready" ready --timeout 60
  READY_NS=$(date +%s%N)
  STATUS=/proc/$TANDEMD_PID/status
  jq -nc --argjson s "$(((READY_NS - START_NS) / 1000000))" \
    --argjson hwm "$(awk '/VmHWM/{print $2}' "$STATUS")" --argjson rss "$(awk '/VmRSS/{print $2}' "$STATUS")" \
    --argjson db "$(du -sk "$WORK" | cut -f1)" \
    '{name:"restart", start_to_serving_ms:$s, vm_hwm_mb:($hwm/1024), vm_rss_mb:($rss/1024), data_mb:($db/1024)}' \
    >>"$RESULTS"
  log "restart: $(tail -1 "$RESULTS")"
  run_load "read32-at-scale" read --clients 32 --count 10000 --duration "$DURATION" --warmup "$WARMUP"
  run_load "update64-at-scale" update --clients 64 --duration "$DURATION" --warmup "$WARMUP"
  jq -nc --argjson hwm "$(awk '/VmHWM/{print $2}' "$STATUS")" --argjson rss "$(awk '/VmRSS/{print $2}' "$STATUS")" \
    '{name:"memory-after-load", vm_hwm_mb:($hwm/1024), vm_rss_mb:($rss/1024)}' >>"$RESULTS"
  log "memory after load: $(tail -1 "$RESULTS")"
fi

stop_pid "$TANDEMD_PID"
TANDEMD_PID=""
fsync_probe "fsync-after"
python3 "$REPO/bench/summarize.py" "$RESULTS" | tee "$OUT/summary.md"
log "done: $OUT"
