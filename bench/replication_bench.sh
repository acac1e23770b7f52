#!/usr/bin/env bash
# confserv writes on PostgreSQL with no standby, an asynchronous standby and a
# synchronous standby, beside SQLite, measured in one run and alternating;
# then the time from `tandemctl db promote` to the first accepted write.
#   bench/replication_bench.sh [ROUNDS] [PROMOTIONS]   (defaults 3 and 5)
# Env: BUILD_DIR (default build-bench), SECONDS_EACH (default 10).
# Two clusters on loopback ports in a temporary directory, fsync on; the
# standby is built with `tandemctl db replica create`.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build-bench}
ROUNDS=${1:-3}
PROMOTIONS=${2:-5}
SECONDS_EACH=${SECONDS_EACH:-10}
PGBIN=/usr/lib/postgresql/15/bin
CTL="$BUILD_DIR/src/exe/tandemctl"
TMP=$(mktemp -d /tmp/tandem-replbench.XXXXXX)
chmod 755 "$TMP"
pgctl() { runuser -u postgres -- "$PGBIN/pg_ctl" "$@"; }
cleanup() {
  for f in "$TMP"/*/pid; do [ -f "$f" ] && kill -TERM "$(cat "$f")" 2>/dev/null; done
  for d in "$TMP"/pg*; do [ -f "$d/postmaster.pid" ] && pgctl -D "$d" -m immediate -w stop >/dev/null 2>&1; done
  rm -rf "$TMP"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
opts() { echo "-p $1 -k $2 -c listen_addresses=127.0.0.1"; }

install -d -o postgres -g postgres -m 0700 "$TMP/pg1"
runuser -u postgres -- "$PGBIN/initdb" -D "$TMP/pg1" -A trust -U postgres -E UTF8 --data-checksums >/dev/null
P1=$(free_port); P2=$(free_port)
pgctl -D "$TMP/pg1" -l "$TMP/pg1/log" -w -o "$(opts "$P1" "$TMP/pg1")" start >/dev/null
"$PGBIN/createdb" -h 127.0.0.1 -p "$P1" -U postgres tandem
PRIMARY="host=127.0.0.1 port=$P1 user=postgres"
psql1() { "$PGBIN/psql" -X -q -At -h 127.0.0.1 -p "$P1" -U postgres -d postgres -c "$1"; }

"$CTL" db replica create --primary "$PRIMARY" --pgdata "$TMP/pg2" --name region2 \
  --start-options "$(opts "$P2" "$TMP/pg2")" 2>/dev/null

start_tandemd() {  # NAME STORAGE_TOML
  mkdir -p "$TMP/$1"
  printf '[server]\nlisten = "127.0.0.1:0"\nport_file = "%s/port"\n%s\n[log]\nlevel = "warn"\n[tls]\nplaintext = true\n[auth]\nmode = "off"\n' \
    "$TMP/$1" "$2" > "$TMP/$1/t.toml"
  rm -f "$TMP/$1/port"
  "$BUILD_DIR/src/exe/tandemd" confserv -f "$TMP/$1/t.toml" >"$TMP/$1/log" 2>&1 &
  echo $! > "$TMP/$1/pid"
  for _ in $(seq 200); do [ -s "$TMP/$1/port" ] && break; sleep 0.05; done
  [ -s "$TMP/$1/port" ] || { echo "tandemd ($1) did not start:" >&2; cat "$TMP/$1/log" >&2; exit 1; }
  cat "$TMP/$1/port"
}
SQ=$(start_tandemd sqlite "$(printf '[storage]\nbackend = "sqlite"\npath = "%s/sqlite/c.db"\n' "$TMP")")
PG=$(start_tandemd postgres "$(printf '[storage]\nbackend = "postgres"\nconninfo = "%s dbname=tandem"\n' "$PRIMARY")")

mode() {  # alone | async | sync
  case $1 in
    alone) psql1 "ALTER SYSTEM SET synchronous_standby_names = ''" ; psql1 "SELECT pg_reload_conf()" >/dev/null
           pgctl -D "$TMP/pg2" -m fast -w stop >/dev/null ;;
    async) psql1 "ALTER SYSTEM SET synchronous_standby_names = ''" ; psql1 "SELECT pg_reload_conf()" >/dev/null
           [ -f "$TMP/pg2/postmaster.pid" ] || pgctl -D "$TMP/pg2" -l "$TMP/pg2/log" -w -o "$(opts "$P2" "$TMP/pg2")" start >/dev/null ;;
    sync)  [ -f "$TMP/pg2/postmaster.pid" ] || pgctl -D "$TMP/pg2" -l "$TMP/pg2/log" -w -o "$(opts "$P2" "$TMP/pg2")" start >/dev/null
           psql1 "ALTER SYSTEM SET synchronous_standby_names = 'region2'"; psql1 "SELECT pg_reload_conf()" >/dev/null ;;
  esac
  for _ in $(seq 100); do  # until the standby is in the state asked for
    s=$(psql1 "SELECT COALESCE(string_agg(sync_state, ','), 'none') FROM pg_stat_replication")
    case "$1:$s" in alone:none|async:async|sync:sync) return ;; esac
    sleep 0.1
  done
  echo "standby did not reach mode $1 (pg_stat_replication: $s)" >&2; exit 1
}

echo "machine: $(nproc) cores, $(uname -r); PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}')"
echo "sqlite tandemd :$SQ, postgres tandemd :$PG (primary :$P1, standby :$P2)"
for r in $(seq "$ROUNDS"); do
  for c in 64 1; do
    for m in sqlite alone async sync; do
      port=$PG
      if [ "$m" = sqlite ]; then port=$SQ; else mode "$m"; fi
      out=$("$BUILD_DIR/bench/tandem-load" update --plaintext --server "127.0.0.1:$port" --clients $c \
        --duration "$SECONDS_EACH" --warmup 2 --json 2>/dev/null)
      echo "round $r $m clients=$c $(python3 -c 'import json,sys; d=json.loads(sys.stdin.read()); print("ops/s=%.0f p50=%.2fms p99=%.2fms max=%.1fms" % (d["ops_per_s"], d["latency_p50_ms"], d["latency_p99_ms"], d["latency_max_ms"]))' <<<"$out")"
    done
  done
done
mode async
kill -TERM "$(cat "$TMP/postgres/pid")" "$(cat "$TMP/sqlite/pid")"; rm -f "$TMP/postgres/pid" "$TMP/sqlite/pid"

# Promotion: a fresh standby each time (built from the primary), promoted
# while the primary keeps running; then tandemd started on it takes a write.
for i in $(seq "$PROMOTIONS"); do
  P3=$(free_port)
  "$CTL" db replica create --primary "$PRIMARY" --pgdata "$TMP/pg3" --name promo \
    --start-options "$(opts "$P3" "$TMP/pg3")" 2>/dev/null >/dev/null
  json=$("$CTL" -o json db promote --conninfo "host=127.0.0.1 port=$P3 user=postgres dbname=tandem")
  t0=$(date +%s.%N)
  C=$(start_tandemd promoted "$(printf '[storage]\nbackend = "postgres"\nconninfo = "host=127.0.0.1 port=%s user=postgres dbname=tandem"\n' "$P3")")
  echo "{\"name\":\"promo-$i\",\"properties\":{\"address\":\"192.0.2.9\"}}" |
    "$CTL" --plaintext --server "127.0.0.1:$C" create host -f - >/dev/null
  t1=$(date +%s.%N)
  echo "promotion $i $(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print("promote_ms=%.1f first_write_ms=%.1f" % (d["promote_ms"], d["first_write_ms"]))' "$json") confserv_start_to_write_ms=$(python3 -c "print('%.0f' % ((float('$t1')-float('$t0'))*1000))")"
  kill -TERM "$(cat "$TMP/promoted/pid")"; rm -f "$TMP/promoted/pid"
  pgctl -D "$TMP/pg3" -m immediate -w stop >/dev/null
  rm -rf "$TMP/pg3"
done
