# Shared by the tests that run a lab of their own (lab_test.sh,
# dr_scenario_test.sh); sourced, with LAB set to lab/lab.
#   lab_test_init NAME STATE-NAME NS-PREFIX
#     skips (exit 77, ctest's "skipped") unless root; sets STATE
#     (/run/STATE-NAME.<pid>), PREFIX (NS-PREFIX<pid>-) and L (the lab command
#     with --state); an EXIT trap runs on_exit (if the test defines it), then
#     `lab down`, whatever happened (LAB_TEST_KEEP_LOGS=DIR: the hosts'
#     logs are copied to DIR first).
#   check DESCRIPTION COMMAND...   ok/FAIL line, counted in PASS/FAIL
#   eventually SECONDS COMMAND...  true once COMMAND succeeds (every 0.2 s)
#   sample_has HOST TEXT   the sample app's log on HOST (its LCA's log
#                          directory) contains TEXT
#   sample_pid HOST        the pid of the sample app running in HOST
#   acked_after HOST TEXT  the sample on HOST received a configuration with
#                          TEXT and then saw every event it logged
#                          acknowledged by the Log Database

lab_test_init() {
  if [ "$(id -u)" -ne 0 ]; then
    echo "$1: SKIP: the lab needs root (network namespaces)"
    exit 77
  fi
  lab_test_reap "$2"
  STATE=/run/$2.$$
  PREFIX=$3$$-
  L=("$LAB" --state "$STATE")
  PASS=0
  FAIL=0
  T0=$SECONDS
  trap lab_test_cleanup EXIT
  trap 'exit 130' INT TERM
}

# An earlier run killed without its EXIT trap (ctest's timeout sends
# SIGKILL) leaves its namespaces and daemons: a lab of this name whose test
# process is gone is taken down before this one starts, so it neither holds
# the machine's two cores nor answers on the same addresses.
lab_test_reap() {
  local d pid
  for d in /run/"$1".*; do
    [ -f "$d/.tandem-lab" ] || continue
    pid=${d##*.}
    case $pid in *[!0-9]*) continue ;; esac
    kill -0 "$pid" 2>/dev/null && continue
    echo "$1: taking down the lab of an earlier run that did not clean up ($d)"
    "$LAB" --state "$d" down >/dev/null 2>&1 || echo "$1: WARNING: lab --state $d down failed"
  done
}

lab_test_cleanup() {
  local rc=$?
  if declare -F on_exit >/dev/null; then on_exit || true; fi
  # LAB_TEST_KEEP_LOGS=DIR: the hosts' logs and status files are copied
  # there before the lab goes (to read a failure afterwards).
  if [ -n "${LAB_TEST_KEEP_LOGS:-}" ] && [ -d "$STATE" ]; then
    mkdir -p "$LAB_TEST_KEEP_LOGS" &&
      (cd "$STATE" && find . \( -name '*.log' -o -name '*.json' -o -name '*.jsonl' \) -size -20M \
        -exec cp --parents {} "$LAB_TEST_KEEP_LOGS" \; ) 2>/dev/null || true
    echo "logs kept in $LAB_TEST_KEEP_LOGS"
  fi
  "${L[@]}" down >/dev/null 2>&1 || true
  exit "$rc"
}

ok() { echo "ok   - $*"; PASS=$((PASS + 1)); }
bad() { echo "FAIL - $*"; FAIL=$((FAIL + 1)); }
check() {
  local what=$1; shift
  if "$@"; then ok "$what"; else bad "$what"; fi
}
eventually() {
  local limit=$1 i; shift
  for ((i = 0; i < limit * 5; i++)); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  return 1
}

# The sample apps run under their host's LCA (started by the SCS): their
# output is in the LCA's log directory.
sample_has() { cat "$STATE/$1"/logs/sample-*.log 2>/dev/null | grep "$2" >/dev/null; }
acked_after() {
  awk -v t="$2" 'index($0, t) { seen = 1 } seen && / log: .* acknowledged, 0 waiting/ { ok = 1 } END { exit !ok }' \
    "$STATE/$1"/logs/sample-*.log 2>/dev/null
}
sample_pid() {
  local p
  for p in $(ip netns pids "${PREFIX}$1" 2>/dev/null); do
    if [ "$(cat "/proc/$p/comm" 2>/dev/null)" = tandem-sample ]; then
      echo "$p"
      return 0
    fi
  done
  return 1
}
