#!/usr/bin/env bash
# Patroni at the jobs `tandemctl dr` does for the DBMS, for a comparison in
# one session with bench/dr_rto_bench.sh (docs/PERFORMANCE.md, "Patroni").
#
# Two PostgreSQL 15 nodes under Patroni 3.0 (Debian's package) with etcd 3.4
# as its DCS, all on loopback, synchronous_mode on (as the lab's --sync).
# Timing parameters: Patroni's floor (ttl 20, loop_wait 1, retry_timeout 3),
# or its defaults (ttl 30, loop_wait 10, retry_timeout 10) with --defaults.
#
# Per run, one of:
#   hostloss    the primary's host dies (kill -9 of its Patroni and its
#               postmaster): Patroni fails over by itself when the leader
#               key expires;
#   switchover  `patronictl switchover --force` to the replica (planned).
# Measured as the lab measures Tandem: a writer inserts every 0.2 s (1 s
# timeout) through a conninfo naming both nodes with
# target_session_attrs=read-write; figure = the fault (or the command's
# start) -> the first insert the other node accepts; and the longest time
# without an accepted insert (gap). Also checked: every insert acknowledged
# before the fault is on the new primary.
#
# Root required (PostgreSQL runs as `postgres`). Only loopback is used.
# Usage: bench/patroni/patroni_bench.sh [OUT_DIR] [RUNS] [--defaults] [hostloss|switchover ...]
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${1:-bench/results/$(date -u +%F)/patroni1}
RUNS=${2:-3}
shift 2 2>/dev/null || shift $#
TTL=20 LOOP=1 RETRY=3
JOBS=()
for a in "$@"; do
  case $a in
    --defaults) TTL=30 LOOP=10 RETRY=10 ;;
    hostloss | switchover) JOBS+=("$a") ;;
    *) echo "patroni_bench: unknown argument '$a' (usage: [OUT_DIR] [RUNS] [--defaults] [hostloss|switchover ...])" >&2; exit 2 ;;
  esac
done
[ ${#JOBS[@]} -gt 0 ] || JOBS=(hostloss switchover)
[ "$(id -u)" = 0 ] || { echo "patroni_bench: run as root (PostgreSQL is run as the postgres user)" >&2; exit 2; }
for tool in patroni patronictl etcd psql; do
  command -v "$tool" >/dev/null || {
    echo "patroni_bench: '$tool' is missing: apt-get install patroni etcd-server postgresql-15" >&2
    exit 2
  }
done
PGBIN=/usr/lib/postgresql/15/bin
mkdir -p "$OUT"
{
  echo "# $(date -u +%FT%TZ) $(uname -r) nproc=$(nproc) $(patroni --version) etcd $(etcd --version | head -1 | awk '{print $3}')"
  echo "# bench/patroni/patroni_bench.sh $OUT $RUNS ttl=$TTL loop_wait=$LOOP retry_timeout=$RETRY ${JOBS[*]}"
} >>"$OUT/README.txt"

now() { date +%s.%N; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

WORK=""
cleanup() {
  [ -n "$WORK" ] || return 0
  pkill -9 -f "patroni $WORK/" 2>/dev/null || true
  [ -f "$WORK/etcd.pid" ] && kill -9 "$(cat "$WORK/etcd.pid")" 2>/dev/null || true
  for d in "$WORK"/node*/data; do
    [ -f "$d/postmaster.pid" ] && kill -9 "$(head -1 "$d/postmaster.pid")" 2>/dev/null || true
  done
  sleep 0.3
  rm -rf "$WORK"
  WORK=""
}
trap cleanup EXIT

node_config() { # NAME PGPORT RESTPORT
  cat <<EOF
scope: bench
name: $1
restapi:
  listen: 127.0.0.1:$3
  connect_address: 127.0.0.1:$3
etcd3:
  hosts: 127.0.0.1:$EC
bootstrap:
  dcs:
    ttl: $TTL
    loop_wait: $LOOP
    retry_timeout: $RETRY
    maximum_lag_on_failover: 1048576
    synchronous_mode: true
    postgresql:
      use_pg_rewind: false
      parameters:
        max_wal_senders: 5
        max_replication_slots: 5
  initdb:
  - encoding: UTF8
postgresql:
  listen: 127.0.0.1:$2
  connect_address: 127.0.0.1:$2
  data_dir: $WORK/$1/data
  bin_dir: $PGBIN
  pgpass: $WORK/$1/pgpass
  authentication:
    replication: {username: replicator, password: rep}
    superuser: {username: postgres, password: pg}
  parameters:
    unix_socket_directories: $WORK/$1
  pg_hba:
  - local all all trust
  - host replication replicator 127.0.0.1/32 trust
  - host all all 127.0.0.1/32 trust
EOF
}

# The role Patroni's REST API reports for a node: "primary" (Patroni 3.0
# says "master"), "replica", ...
role() { curl -s --max-time 1 "http://127.0.0.1:$1/patroni" | python3 -c 'import json,sys; r=json.load(sys.stdin).get("role",""); print("primary" if r == "master" else r)' 2>/dev/null || true; }

# Inserts every 0.2 s until stopped; a line per accepted insert:
# "time id port" (port = the node that took it).
writer() {
  local conn="host=127.0.0.1,127.0.0.1 port=$P1,$P2 dbname=postgres user=postgres target_session_attrs=read-write connect_timeout=1 options='-c statement_timeout=1000'"
  local until=$((SECONDS + 150)) out
  while [ $SECONDS -lt $until ] && [ ! -f "$WORK/stop-writer" ]; do
    if out=$(psql -X -q -t -A "$conn" -c "insert into bench default values returning id, inet_server_port()" 2>/dev/null); then
      echo "$(now) ${out%%|*} ${out##*|}"
    fi
    sleep 0.2
  done
}

start_cluster() {
  WORK=$(mktemp -d /tmp/patroni-bench.XXXXXX)
  chmod 755 "$WORK"
  EC=$(free_port) EP=$(free_port) P1=$(free_port) P2=$(free_port) R1=$(free_port) R2=$(free_port)
  etcd --name pb --data-dir "$WORK/etcd" --listen-client-urls "http://127.0.0.1:$EC" \
    --advertise-client-urls "http://127.0.0.1:$EC" --listen-peer-urls "http://127.0.0.1:$EP" \
    --initial-advertise-peer-urls "http://127.0.0.1:$EP" --initial-cluster "pb=http://127.0.0.1:$EP" \
    --log-level error >"$WORK/etcd.log" 2>&1 &
  echo $! >"$WORK/etcd.pid"
  for n in 1 2; do
    local p r
    p=P$n r=R$n
    mkdir -p "$WORK/node$n"
    node_config "node$n" "${!p}" "${!r}" >"$WORK/node$n.yml"
    chown -R postgres "$WORK/node$n" "$WORK/node$n.yml"
  done
  runuser -u postgres -- setsid patroni "$WORK/node1.yml" >"$WORK/node1.log" 2>&1 &
  local i
  for ((i = 0; i < 300; i++)); do [ "$(role "$R1")" = primary ] && break; sleep 0.2; done
  [ "$(role "$R1")" = primary ] || { echo "node1 did not become primary (log: $WORK/node1.log)" >&2; tail -20 "$WORK/node1.log" >&2; return 1; }
  runuser -u postgres -- setsid patroni "$WORK/node2.yml" >"$WORK/node2.log" 2>&1 &
  # node2 is a streaming, synchronous standby before the run starts.
  for ((i = 0; i < 300; i++)); do
    [ "$(curl -s --max-time 1 "http://127.0.0.1:$R2/sync" -o /dev/null -w '%{http_code}')" = 200 ] && break
    sleep 0.2
  done
  [ "$(curl -s --max-time 1 "http://127.0.0.1:$R2/sync" -o /dev/null -w '%{http_code}')" = 200 ] ||
    { echo "node2 did not become a synchronous standby (log: $WORK/node2.log)" >&2; tail -20 "$WORK/node2.log" >&2; return 1; }
  psql -X -q "host=127.0.0.1 port=$P1 dbname=postgres user=postgres" -c "create table bench (id bigserial primary key, at timestamptz default now())"
}

: >>"$OUT/results.txt"
for job in "${JOBS[@]}"; do
  for run in $(seq 1 "$RUNS"); do
    log="$OUT/$job-ttl$TTL-$run.log"
    if ! start_cluster >"$log" 2>&1; then
      echo "$job run $run: the cluster did not start (see $log)" | tee -a "$OUT/README.txt"
      cleanup
      continue
    fi
    writer >"$WORK/writes" &
    WPID=$!
    sleep 3  # writes flow before the fault
    T0=$(now)
    case $job in
      hostloss)
        PM=$(head -1 "$WORK/node1/data/postmaster.pid")
        pkill -9 -f "patroni $WORK/node1.yml" || true
        kill -9 "$PM"
        pkill -9 -P "$PM" 2>/dev/null || true
        ;;
      switchover)
        patronictl -c "$WORK/node1.yml" switchover --leader node1 --candidate node2 --force >>"$log" 2>&1 ||
          echo "patronictl switchover failed" >>"$log"
        ;;
    esac
    T1=$(now)
    for ((i = 0; i < 600; i++)); do
      awk -v t="$T0" -v p="$P2" '$1 > t && $3 == p {found=1} END {exit !found}' "$WORK/writes" && break
      sleep 0.1
    done
    sleep 1
    touch "$WORK/stop-writer"
    wait "$WPID" || true
    cp "$WORK/writes" "$OUT/$job-ttl$TTL-$run.writes"
    FIRST=$(awk -v t="$T0" -v p="$P2" '$1 > t && $3 == p {print $1; exit}' "$WORK/writes")
    # Acknowledged before the fault: all on the new primary?
    ACKED=$(awk -v t="$T0" '$1 <= t {printf "%s%s", sep, $2; sep=","}' "$WORK/writes")
    WANT=$(awk -v t="$T0" '$1 <= t' "$WORK/writes" | wc -l)
    HAVE=$(psql -X -q -t -A "host=127.0.0.1 port=$P2 dbname=postgres user=postgres" -c "select count(*) from bench where id in (${ACKED:-0})" 2>/dev/null || echo "?")
    if [ -z "$FIRST" ]; then
      echo "$job run $run: no write on node2 within 60 s (see $log)" | tee -a "$OUT/README.txt"
      RTO="?"
    else
      RTO=$(python3 -c "import sys; print('%.2f' % (float(sys.argv[1]) - float(sys.argv[2])))" "$FIRST" "$T0")
    fi
    # As dr_scenario_test.sh's switchover figure: the longest time without
    # an accepted write.
    GAP=$(python3 -c '
import sys
t = [float(l.split()[0]) for l in open(sys.argv[1])]
print("%.2f" % max(b - a for a, b in zip(t, t[1:]) if b > float(sys.argv[2])))' "$WORK/writes" "$T0" 2>/dev/null || echo "?")
    CMD=$(python3 -c "import sys; print('%.2f' % (float(sys.argv[1]) - float(sys.argv[2])))" "$T1" "$T0")
    echo "$job ttl=$TTL $RTO gap=${GAP}s command=${CMD}s acked_before=$WANT found_on_new=$HAVE" | tee -a "$OUT/results.txt"
    { echo "== node1"; cat "$WORK/node1.log"; echo "== node2"; cat "$WORK/node2.log"; } >>"$log"
    cleanup
  done
done
python3 - "$OUT/results.txt" <<'PY' | tee "$OUT/summary.txt"
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    f = line.split()
    if len(f) < 3 or f[2] == "?":
        continue
    rows.setdefault((f[0], f[1]), []).append(float(f[2]))
print("%-11s %-7s %4s %s" % ("job", "ttl", "runs", "fault -> first write on the other node, s (median / min / max)"))
for (job, ttl), v in rows.items():
    print("%-11s %-7s %4d %6.2f / %6.2f / %6.2f" % (job, ttl, len(v), statistics.median(v), min(v), max(v)))
PY
