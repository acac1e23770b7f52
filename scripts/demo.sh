#!/usr/bin/env bash
# The main job: installs and builds Tandem, brings up the two-region
# disaster-recovery lab (lab/lab: network namespaces as VMs, PostgreSQL
# primary and standby, BIND, the master HA pair, proxies and sample apps in
# both regions) and prints how to explore it and drive a failover.
#   scripts/demo.sh              bring the lab up (again)
#   scripts/demo.sh --async      ... with asynchronous replication
#   scripts/demo.sh stop         lab down: remove everything it made
#   scripts/demo.sh single       just one master configuration server on
#                                SQLite (no namespaces; no root needed once
#                                built); keeps its database between runs
#   scripts/demo.sh single --reset   ... starting from a fresh database
#   scripts/demo.sh single-stop  stop that one
# Env: TANDEM_LAB_STATE (default /run/tandem-lab); for `single`: DEMO_DIR
# (default /var/tmp/tandem-demo), DEMO_PORT (default 9000).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
DEMO_DIR=${DEMO_DIR:-/var/tmp/tandem-demo}
PORT=${DEMO_PORT:-9000}
PIDFILE=$DEMO_DIR/tandemd.pid
LAB_STATE=${TANDEM_LAB_STATE:-/run/tandem-lab}

stop_server() {
  if [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
    local pid; pid=$(cat "$PIDFILE")
    kill -TERM "$pid"
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    echo "demo: stopped tandemd (pid $pid)"
  fi
  rm -f "$PIDFILE"
}

case ${1:-} in
  stop) exec "$ROOT/lab/lab" --state "$LAB_STATE" down ;;
  single-stop) stop_server; exit 0 ;;
  single)
    case ${2:-} in
      ""|--reset) ;;
      *) echo "demo: unknown argument '$2' for single (--reset)" >&2; exit 2 ;;
    esac ;;
  ""|--sync|--async)
    [ "$(id -u)" -eq 0 ] || { echo "demo: the lab needs root (network namespaces); try: scripts/demo.sh single" >&2; exit 1; }
    bash scripts/build.sh
    "$ROOT/lab/lab" --state "$LAB_STATE" up ${1:+"$1"} --build "$ROOT/build"
    echo
    "$ROOT/lab/lab" --state "$LAB_STATE" status
    LAB=lab/lab
    [ "$LAB_STATE" = /run/tandem-lab ] || LAB="lab/lab --state $LAB_STATE"
    cat <<TXT

The two-region lab is up (docs/LAB.md): region 1 live (r1-dbms primary,
master pair on r1-fw-p/r1-fw-b), region 2 dormant (r2-dbms streaming standby,
r2-fw-p/r2-fw-b configured and stopped), a proxy pair and a sample app in
each region's application VMs (the samples a warm-standby pair started by
the region's SCS; every framework and application VM boots an LCA that runs
its Tandem services), BIND on dns (zone tandem.test.).

Explore (from the ops host, where tandemctl finds everything by itself):
  $LAB status                          # every host and server
  $LAB exec ops tandemctl dr status    # both regions at a glance
  $LAB exec ops tandemctl list app
  $LAB exec ops tandemctl set-option app sample-app lab marker hello
  tail -f $LAB_STATE/r2-app-b/logs/sample-r2-b-*.log  # a sample app sees it
  $LAB exec ops tandemctl app status   # what the SCSs run where (LCAs, SCS pairs)

Drive a failover (docs/DR.md is the operator's guide):
  for h in r1-dbms r1-fw-p r1-fw-b r1-app-p r1-app-b; do $LAB kill \$h; done   # lose region 1
  $LAB exec ops tandemctl dr failover --scenario full --to r2 --dry-run
  $LAB exec ops tandemctl dr failover --scenario full --to r2
  $LAB exec ops tandemctl set-option app sample-app lab marker in-r2
  $LAB start r1-app-p; $LAB start r1-app-b                 # region 1 returns
  $LAB exec ops tandemctl dr failback --to r1              # and back
Also: --scenario framework | dbms, and \`tandemctl dr switchover --to r2\`.

Remove everything with: bash scripts/demo.sh stop
TXT
    exit 0 ;;
  *) echo "demo: unknown argument '$1' (stop, single, single-stop, --async)" >&2; exit 2 ;;
esac

# Built already (by the lab, the tests or an earlier run): use it as it is.
if [ -x "$ROOT/build/src/exe/tandemd" ] && [ -x "$ROOT/build/src/exe/tandemctl" ]; then
  echo "demo: using the binaries in build/ (rebuild with: bash scripts/build.sh)"
else
  bash scripts/build.sh
fi
stop_server
mkdir -p "$DEMO_DIR"
rm -f "$DEMO_DIR/port"
if [ "${2:-}" = --reset ]; then
  rm -f "$DEMO_DIR"/config.db*
  echo "demo: --reset: starting from an empty database"
fi
FRESH=1
[ -s "$DEMO_DIR/config.db" ] && FRESH=0
CTL="$ROOT/build/src/exe/tandemctl"
# TLS on, as at a site: a CA of the demo's own and the server's certificate.
if [ ! -f "$DEMO_DIR/pki/ca.crt" ]; then
  "$CTL" pki init --dir "$DEMO_DIR/pki" --name "Tandem demo CA" >/dev/null
fi
if [ ! -f "$DEMO_DIR/pki/confserv.crt" ]; then
  "$CTL" pki issue confserv --dir "$DEMO_DIR/pki" --ip 127.0.0.1 --dns localhost >/dev/null
fi
# The sample application's identity: a client certificate naming its Application.
if [ ! -f "$DEMO_DIR/pki/sample-app.crt" ]; then
  "$CTL" pki issue sample-app --dir "$DEMO_DIR/pki" --client-only >/dev/null
fi
cat > "$DEMO_DIR/confserv.toml" <<TOML
[server]
listen = "127.0.0.1:$PORT"
port_file = "$DEMO_DIR/port"
application = "confserv"

[storage]
backend = "sqlite"
path = "$DEMO_DIR/config.db"

[history]
max_count = 100000
max_age_days = 30

[log]
level = "info"
file = "$DEMO_DIR/tandemd.log"

[tls]
cert = "$DEMO_DIR/pki/confserv.crt"
key = "$DEMO_DIR/pki/confserv.key"
ca = "$DEMO_DIR/pki/ca.crt"

[auth]
mode = "on"
bootstrap_file = "$DEMO_DIR/bootstrap.secret"
TOML
setsid "$ROOT/build/src/exe/tandemd" confserv -f "$DEMO_DIR/confserv.toml" </dev/null >>"$DEMO_DIR/tandemd.out" 2>&1 &
echo $! > "$PIDFILE"
for _ in $(seq 200); do [ -s "$DEMO_DIR/port" ] && break; sleep 0.05; done
if [ ! -s "$DEMO_DIR/port" ]; then
  echo "demo: tandemd did not start; its log:" >&2
  cat "$DEMO_DIR/tandemd.log" >&2 || true
  exit 1
fi
export TANDEM_SERVER=127.0.0.1:$PORT
export TANDEM_CA=$DEMO_DIR/pki/ca.crt
export TANDEM_TOKEN_FILE=$DEMO_DIR/token
# Authentication on: the demo's administrator 'demo', made with the
# bootstrap secret the server wrote at its first start; its password is kept
# in $DEMO_DIR/password (mode 0600).
if [ ! -s "$DEMO_DIR/password" ]; then
  (umask 077 && head -c 24 /dev/urandom | base64 | tr -d '/+=\n' >"$DEMO_DIR/password")
fi
if [ -f "$DEMO_DIR/bootstrap.secret" ]; then
  "$CTL" auth bootstrap --user demo --secret-file "$DEMO_DIR/bootstrap.secret" --password-stdin \
    <"$DEMO_DIR/password"
fi
"$CTL" login --user demo --password-stdin <"$DEMO_DIR/password"
if [ "$FRESH" = 1 ]; then
  "$CTL" import --force "$ROOT/deploy/sample/config.json"
else
  echo "demo: kept the database $DEMO_DIR/config.db and its history (scripts/demo.sh single --reset starts afresh)"
fi
echo
"$CTL" status
cat <<TXT

Tandem's master configuration server is running (pid $(cat "$PIDFILE")) on 127.0.0.1:$PORT,
on the SQLite database $DEMO_DIR/config.db$([ "$FRESH" = 1 ] && echo ", with the sample configuration loaded").
Its log is $DEMO_DIR/tandemd.log.

It speaks TLS only; its certificate is signed by the demo's CA ($DEMO_DIR/pki).
Callers authenticate: you are logged in as the administrator 'demo' (password in
$DEMO_DIR/password, session token in $DEMO_DIR/token).

Try:
  export TANDEM_SERVER=127.0.0.1:$PORT TANDEM_CA=$DEMO_DIR/pki/ca.crt TANDEM_TOKEN_FILE=$DEMO_DIR/token
  alias tandemctl=$CTL
  tandemctl whoami                            # who the server takes you for
  tandemctl list app                          # the applications
  tandemctl get app sample-app -o json        # one object, as JSON
  tandemctl watch &                           # follow changes live
  $ROOT/build/samples/tandem-sample/tandem-sample --app sample-app --ca \$TANDEM_CA \\
    --cert $DEMO_DIR/pki/sample-app.crt --key $DEMO_DIR/pki/sample-app.key &   # on libtandem
  tandemctl set-option app sample-app sml autostart false
  tandemctl history                           # who changed what (the last 20)
  tandemctl export > /tmp/config.json         # the whole configuration
  tandemctl pki show $DEMO_DIR/pki/*.crt      # the certificates and their expiry
  tandemctl --help

Stop it with: bash scripts/demo.sh single-stop
TXT
