#!/usr/bin/env bash
# The main job: installs and builds Tandem, starts a master configuration
# server on its embedded SQLite database with the sample configuration
# loaded, and prints how to use tandemctl against it.
#   scripts/demo.sh          start (or restart) the demo server
#   scripts/demo.sh stop     stop it
# Env: DEMO_DIR (default /var/tmp/tandem-demo), DEMO_PORT (default 9000).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
DEMO_DIR=${DEMO_DIR:-/var/tmp/tandem-demo}
PORT=${DEMO_PORT:-9000}
PIDFILE=$DEMO_DIR/tandemd.pid

stop_server() {
  if [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
    local pid; pid=$(cat "$PIDFILE")
    kill -TERM "$pid"
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    echo "demo: stopped tandemd (pid $pid)"
  fi
  rm -f "$PIDFILE"
}

if [ "${1:-}" = stop ]; then stop_server; exit 0; fi

bash scripts/build.sh
stop_server
mkdir -p "$DEMO_DIR"
rm -f "$DEMO_DIR"/config.db* "$DEMO_DIR/port"
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
TOML
setsid "$ROOT/build/src/exe/tandemd" confserv -f "$DEMO_DIR/confserv.toml" </dev/null >>"$DEMO_DIR/tandemd.out" 2>&1 &
echo $! > "$PIDFILE"
for _ in $(seq 200); do [ -s "$DEMO_DIR/port" ] && break; sleep 0.05; done
if [ ! -s "$DEMO_DIR/port" ]; then
  echo "demo: tandemd did not start; its log:" >&2
  cat "$DEMO_DIR/tandemd.log" >&2 || true
  exit 1
fi
CTL="$ROOT/build/src/exe/tandemctl"
export TANDEM_SERVER=127.0.0.1:$PORT
"$CTL" import "$ROOT/deploy/sample/config.json"
echo
"$CTL" status
cat <<TXT

Tandem's master configuration server is running (pid $(cat "$PIDFILE")) on 127.0.0.1:$PORT,
on the SQLite database $DEMO_DIR/config.db, with the sample configuration loaded.
Its log is $DEMO_DIR/tandemd.log.

Try:
  export TANDEM_SERVER=127.0.0.1:$PORT
  alias tandemctl=$CTL
  tandemctl list app                          # the applications
  tandemctl get app sample-app -o json        # one object, as JSON
  tandemctl watch &                           # follow changes live
  tandemctl set-option app sample-app sml autostart false
  tandemctl history --since 0                 # who changed what
  tandemctl export > /tmp/config.json         # the whole configuration
  tandemctl --help

Stop it with: bash scripts/demo.sh stop
TXT
