#!/usr/bin/env bash
# What trust costs: the same build serving plaintext with authentication off
# ("plain"), TLS with authentication off ("tls": what TLS alone costs) and
# TLS + authentication + permissions ("trust"), measured alternately in one
# run. On "trust" the load generator is the Application
# 'bench-load' (client certificate) with grants on the folder its objects go
# into: not an administrator, so every call passes the permission decision.
# Then password logins: their rate at the default Argon2id parameters, and
# 32-client reads on "trust" with and without a stream of logins beside them.
#   bench/trust_bench.sh [OUT_DIR]           (default: print only)
# Env: BUILD_DIR (default build), ROUNDS (3), SECONDS_EACH (8), LOGINS (24),
# LIST_K (objects of the listing job, thousands: 100).
# Everything runs on 127.0.0.1 in a temporary directory, stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
OUT=${1:-}
ROUNDS=${ROUNDS:-3}
SECONDS_EACH=${SECONDS_EACH:-8}
LOGINS=${LOGINS:-24}
LIST_K=${LIST_K:-100}
BIN=$BUILD_DIR/src/exe/tandemd
CTL=$BUILD_DIR/src/exe/tandemctl
LOAD=$BUILD_DIR/bench/tandem-load
for b in "$BIN" "$CTL" "$LOAD"; do
  [ -x "$b" ] || { echo "trust_bench: $b is missing; build it first (cmake --build $BUILD_DIR)" >&2; exit 1; }
done
command -v jq >/dev/null || { echo "trust_bench: needs jq" >&2; exit 1; }
TMP=$(mktemp -d /tmp/tandem-trustbench.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  sleep 0.5
  rm -rf "$TMP"
}
trap cleanup EXIT
[ -n "$OUT" ] && mkdir -p "$OUT"
log() { echo "$@" >&2; [ -n "$OUT" ] && echo "$@" >>"$OUT/summary.txt"; true; }

"$CTL" pki init --dir "$TMP/pki" >/dev/null
"$CTL" pki issue confserv --ip 127.0.0.1 --dir "$TMP/pki" >/dev/null
"$CTL" pki issue bench-load --client-only --dir "$TMP/pki" >/dev/null
PKI=$TMP/pki

start() {  # start NAME TLS-AND-AUTH-TOML: a tandemd confserv on SQLite; prints its port
  local d=$TMP/$1
  mkdir -p "$d"
  printf '[server]\nlisten = "127.0.0.1:0"\nport_file = "%s/port"\napplication = "confserv"\n[storage]\nbackend = "sqlite"\npath = "%s/config.db"\n[log]\nlevel = "warn"\n%s\n' \
    "$d" "$d" "$2" >"$d/confserv.toml"
  "$BIN" confserv -f "$d/confserv.toml" >"$d/log" 2>&1 &
  PIDS+=($!)
  echo $! >"$d/pid"
  for _ in $(seq 400); do [ -s "$d/port" ] && break; sleep 0.05; done
  [ -s "$d/port" ] || { echo "trust_bench: $1 did not start: $(cat "$d/log")" >&2; exit 1; }
  cat "$d/port"
}

P=$(start plain $'[tls]\nplaintext = true\n[auth]\nmode = "off"')
L=$(start tls "$(printf '[tls]\ncert = "%s"\nkey = "%s"\nca = "%s"\n[auth]\nmode = "off"' \
  "$PKI/confserv.crt" "$PKI/confserv.key" "$PKI/ca.crt")")
T=$(start trust "$(printf '[tls]\ncert = "%s"\nkey = "%s"\nca = "%s"\n[auth]\nmode = "on"\nbootstrap_file = "%s"' \
  "$PKI/confserv.crt" "$PKI/confserv.key" "$PKI/ca.crt" "$TMP/trust/bootstrap.secret")")
export TANDEM_CA=$PKI/ca.crt TANDEM_TOKEN_FILE=$TMP/admin.token
PW="a long bench password"
printf '%s\n' "$PW" | "$CTL" --server "127.0.0.1:$T" auth bootstrap --user admin \
  --secret-file "$TMP/trust/bootstrap.secret" --password-stdin >/dev/null
printf '%s\n' "$PW" | "$CTL" --server "127.0.0.1:$T" login --user admin --password-stdin >/dev/null
# The load's identity and the folder (DBID 1 on both servers) it works in.
"$CTL" --server "127.0.0.1:$T" create app -f - >/dev/null <<'JSON'
{"name": "bench-load", "properties": {"app_type": "ThirdPartyApp"}}
JSON
"$CTL" --server "127.0.0.1:$T" create folder -f - >/dev/null <<'JSON'
{"name": "Bench", "properties": {"permissions": [{"application": {"ref": "Application",
  "name": "bench-load"}, "rights": ["read", "create", "change"]}]}}
JSON
"$CTL" --plaintext --server "127.0.0.1:$P" create folder -f - >/dev/null <<'JSON'
{"name": "Bench", "properties": {}}
JSON
"$CTL" --server "127.0.0.1:$L" create folder -f - >/dev/null <<'JSON'
{"name": "Bench", "properties": {}}
JSON

PLAIN_ARGS=(--plaintext --server "127.0.0.1:$P" --folder 1)
TRUST_ARGS=(--ca "$PKI/ca.crt" --cert "$PKI/bench-load.crt" --key "$PKI/bench-load.key"
  --server "127.0.0.1:$T" --folder 1)
TLS_ARGS=(--ca "$PKI/ca.crt" --cert "$PKI/bench-load.crt" --key "$PKI/bench-load.key"
  --server "127.0.0.1:$L" --folder 1)
pid_of() { cat "$TMP/$1/pid"; }
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# one NAME SERVER(plain|tls|trust) MODE ARGS...: a tandem-load run, with the server's CPU.
one() {
  local name=$1 which=$2 mode=$3 before after line
  shift 3
  local args=("${PLAIN_ARGS[@]}")
  [ "$which" = trust ] && args=("${TRUST_ARGS[@]}")
  [ "$which" = tls ] && args=("${TLS_ARGS[@]}")
  before=$(ticks "$(pid_of "$which")")
  line=$("$LOAD" "$mode" "${args[@]}" "$@" --json 2>>"$TMP/load.err") ||
    { log "$name $which: tandem-load failed: $(tail -2 "$TMP/load.err")"; return 0; }
  after=$(ticks "$(pid_of "$which")")
  line=$(jq -c --arg n "$name" --arg w "$which" --argjson cpu "$((after - before))" \
    --argjson hz "$(getconf CLK_TCK)" '. + {name: $n, server: $w, server_cpu_s: ($cpu / $hz)}' <<<"$line")
  [ -n "$OUT" ] && echo "$line" >>"$OUT/results.jsonl"
  echo "$line" >>"$TMP/results.jsonl"
  log "$(jq -r '"\(.name) \(.server): \(.ops_per_s // .objects_per_s // 0 | floor)/s, p50 \(.latency_p50_ms // .from_send_p50_ms // .last_byte_p50_ms // 0) ms, p99 \(.latency_p99_ms // .from_send_p99_ms // .last_byte_max_ms // 0) ms, server CPU \(.server_cpu_s) s\(if .objects then ", \(.objects) objects" else "" end)"' <<<"$line")"
}

log "== trust_bench: $(date -Is), commit $(git rev-parse --short HEAD 2>/dev/null), build $BUILD_DIR"
log "   load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq "$ROUNDS"); do
  for w in plain tls trust; do one "update64#$r" "$w" update --clients 64 --duration "$SECONDS_EACH" --warmup 1; done
  for w in trust tls plain; do one "read32#$r" "$w" read --clients 32 --count 2000 --duration "$SECONDS_EACH" --warmup 1; done
done
for w in plain tls trust; do one "watch1000" "$w" watch-fanout --clients 1000 --count 20; done
for w in plain tls trust; do one "populate${LIST_K}k" "$w" populate --count "$((LIST_K * 1000))" --clients 2; done
for w in plain tls trust; do one "list${LIST_K}k" "$w" list --repeat 3; done

# Logins: sequential tandemctl logins (each: a process, a TLS handshake, Argon2id).
t0=$(date +%s%N)
for i in $(seq "$LOGINS"); do
  printf '%s\n' "$PW" | TANDEM_TOKEN_FILE=$TMP/l.token "$CTL" --server "127.0.0.1:$T" login \
    --user admin --password-stdin >/dev/null
done
ms=$((($(date +%s%N) - t0) / 1000000))
log "logins: $LOGINS sequential tandemctl logins in $ms ms ($((ms / LOGINS)) ms each, $(awk -v n="$LOGINS" -v ms="$ms" 'BEGIN{printf "%.1f", n*1000/ms}') logins/s)"
# Reads beside a stream of logins (two login loops) versus without.
one "read32-alone" trust read --clients 32 --count 2000 --duration "$SECONDS_EACH" --warmup 1
(
  end=$((SECONDS + SECONDS_EACH + 3))
  n=0
  while [ $SECONDS -lt $end ]; do
    printf '%s\n' "$PW" | TANDEM_TOKEN_FILE=$TMP/s1.token "$CTL" --server "127.0.0.1:$T" login \
      --user admin --password-stdin >/dev/null & 
    printf '%s\n' "$PW" | TANDEM_TOKEN_FILE=$TMP/s2.token "$CTL" --server "127.0.0.1:$T" login \
      --user admin --password-stdin >/dev/null
    wait
    n=$((n + 2))
  done
  echo "$n" >"$TMP/storm.count"
) &
STORM=$!
one "read32-during-logins" trust read --clients 32 --count 2000 --duration "$SECONDS_EACH" --warmup 1
wait "$STORM"
log "logins during read32-during-logins: $(cat "$TMP/storm.count") in about $((SECONDS_EACH + 3)) s"
log "   load after: $(cut -d' ' -f1-3 /proc/loadavg)"
