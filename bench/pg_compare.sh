#!/usr/bin/env bash
# confserv write throughput and latency on PostgreSQL beside SQLite, measured
# in one run on this machine: a fresh PostgreSQL 15 cluster (temporary
# directory, loopback port, fsync on) and a fresh SQLite file, the same
# tandem-load commands against each, alternating.
#   bench/pg_compare.sh [RUNS]        (default 3; 10 s per measurement)
# Env: BUILD_DIR (default build-bench).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build-bench}
RUNS=${1:-3}
PGBIN=/usr/lib/postgresql/15/bin
TMP=$(mktemp -d /tmp/tandem-pgcmp.XXXXXX)
chmod 755 "$TMP"
cleanup() {
  for f in "$TMP"/*/pid; do [ -f "$f" ] && kill -TERM "$(cat "$f")" 2>/dev/null; done
  runuser -u postgres -- "$PGBIN/pg_ctl" -D "$TMP/pg" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$TMP"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

install -d -o postgres -g postgres -m 0700 "$TMP/pg"
runuser -u postgres -- "$PGBIN/initdb" -D "$TMP/pg" -A trust -U postgres -E UTF8 >/dev/null
PGPORT=$(free_port)
runuser -u postgres -- "$PGBIN/pg_ctl" -D "$TMP/pg" -l "$TMP/pg/log" -w \
  -o "-p $PGPORT -k $TMP/pg -c listen_addresses=127.0.0.1" start >/dev/null
"$PGBIN/createdb" -h 127.0.0.1 -p "$PGPORT" -U postgres tandem

start_tandemd() {  # NAME STORAGE_TOML
  mkdir -p "$TMP/$1"
  printf '[server]\nlisten = "127.0.0.1:0"\nport_file = "%s/port"\n%s\n[log]\nlevel = "warn"\n[tls]\nplaintext = true\n[auth]\nmode = "off"\n' \
    "$TMP/$1" "$2" > "$TMP/$1/t.toml"
  # Runs inside $(...): no inherited stdout, or the substitution never ends.
  "$BUILD_DIR/src/exe/tandemd" confserv -f "$TMP/$1/t.toml" >"$TMP/$1/log" 2>&1 &
  echo $! > "$TMP/$1/pid"
  for _ in $(seq 200); do [ -s "$TMP/$1/port" ] && break; sleep 0.05; done
  [ -s "$TMP/$1/port" ] || { echo "tandemd ($1) did not start:" >&2; cat "$TMP/$1/log" >&2; exit 1; }
  cat "$TMP/$1/port"
}
SQ=$(start_tandemd sqlite "$(printf '[storage]\nbackend = "sqlite"\npath = "%s/sqlite/c.db"\n' "$TMP")")
PG=$(start_tandemd postgres "$(printf '[storage]\nbackend = "postgres"\nconninfo = "host=127.0.0.1 port=%s user=postgres dbname=tandem"\n' "$PGPORT")")
echo "sqlite tandemd :$SQ, postgres tandemd :$PG (PostgreSQL on :$PGPORT)"
for r in $(seq "$RUNS"); do
  for c in 64 1; do
    for b in sqlite:$SQ postgres:$PG; do
      out=$("$BUILD_DIR/bench/tandem-load" update --plaintext --server "127.0.0.1:${b#*:}" --clients $c \
        --duration 10 --warmup 2 --json 2>/dev/null)
      echo "run $r ${b%%:*} clients=$c $(python3 -c 'import json,sys; d=json.loads(sys.stdin.read()); print("ops/s=%.0f p50=%.2fms p99=%.2fms max=%.1fms" % (d["ops_per_s"], d["latency_p50_ms"], d["latency_p99_ms"], d["latency_max_ms"]))' <<<"$out")"
    done
  done
done
