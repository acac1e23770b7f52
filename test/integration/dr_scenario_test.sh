#!/usr/bin/env bash
# One disaster-recovery scenario, end to end, in its own lab (lab/lab): the
# failure, the runbook (tandemctl dr), and what must hold afterwards:
#   - the proxies that survive served reads all along (limited mode while no
#     master), checked every 0.2 s by a reader;
#   - writes resume, through the framework names (DNS), in the new region;
#   - synchronous replication: no acknowledged write is lost; asynchronous:
#     the loss the runbooks report equals the real one;
#   - the sample applications kept running with their configuration and
#     received a change made after the failover;
#   - no host committed to a fenced DBMS: when region 1 comes back, its
#     framework VMs do not write to its old DBMS.
# Scenarios: full, framework, dbms (the seed's), switchover (there and back)
# and failback (a full failover with asynchronous replication and writes
# that never reached region 2, then back to region 1).
# Exit 77 (ctest: skipped) when not root.
# Usage: dr_scenario_test.sh SCENARIO [--build DIR] [--results FILE]
#   --results: append "scenario rto_kill_to_write_s runbook_rto_s" lines
#   (switchover: nothing is killed; the first figure is the longest time
#   without an accepted write, a write tried every 0.2 s, and every write
#   acknowledged meanwhile must be in region 2's history)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
LAB=$HERE/../../lab/lab
BUILD=${TANDEM_BUILD_DIR:-$HERE/../../build}
SCENARIO=${1:?usage: dr_scenario_test.sh full|framework|dbms|switchover|failback [--build DIR]}
shift
RESULTS=""
while [ $# -gt 0 ]; do
  case $1 in
    --build) BUILD=$2; shift ;;
    --results) RESULTS=$2; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
case $SCENARIO in full|framework|dbms|switchover|failback) ;; *) echo "unknown scenario $SCENARIO" >&2; exit 2 ;; esac

# shellcheck source=lab_testlib.sh
. "$HERE/lab_testlib.sh"
lab_test_init dr_scenario_test tandem-dr-test dr
READER_PID=""
WRITER_PID=""
on_exit() {
  [ -n "$READER_PID" ] && kill "$READER_PID" 2>/dev/null
  [ -n "$WRITER_PID" ] && kill "$WRITER_PID" 2>/dev/null
  wait 2>/dev/null || true
}

now() { date +%s.%N; }
CTL=$BUILD/src/exe/tandemctl
ctl() { "${L[@]}" exec ops "$CTL" --timeout 5 "$@"; }
MASTERS=fw-p.tandem.test:9000,fw-b.tandem.test:9000
write() { "${L[@]}" exec ops "$CTL" --timeout "${2:-5}" --server "$MASTERS" set-option app sample-app lab marker "$1" >/dev/null; }
dr() { "${L[@]}" exec ops "$CTL" dr "$@"; }
# (Never `| grep -q` here: grep stops at the first match, the writer gets
# SIGPIPE, and with pipefail the check fails although it matched.)
primary_in() { "${L[@]}" exec ops "$CTL" --timeout 2 --server "$MASTERS" status 2>/dev/null | grep -E "^ha node +$1-fw-" >/dev/null; }
storage_on() { "${L[@]}" exec ops "$CTL" --timeout 2 --server "$MASTERS" status 2>/dev/null | grep "$1" >/dev/null; }
proxy_normal() { "${L[@]}" exec ops "$CTL" --timeout 2 --server "$1" status 2>/dev/null | grep -E '^proxy mode +normal$' >/dev/null; }
# (dr status exits 1 when it shows warnings, as after a failover: the table is what counts)
dbms_role_is() { { dr status 2>/dev/null || true; } | grep -E "^$1 +[0-9.]+:5432/tandem +$2 " >/dev/null; }
history_in() { ctl --server "$MASTERS" -o json history --since 0 | grep "$1" >/dev/null; }
# (retried: right after a failover the pair may still be settling)
history_has() { eventually 10 history_in "$1"; }
# The Configuration Database revision of a region's DBMS, as ops sees it
# (ops is never fenced).
dbms_revision() {
  { dr status -o json || true; } | python3 -c '
import json, sys
d = json.load(sys.stdin)
r = {x["name"]: x for x in d["regions"]}[sys.argv[1]]
print(r.get("revision", "unreachable"))' "$1"
}

# reader PROXY...: reads the sample Application through each proxy every
# 0.2 s until stopped (bounded: 3000 rounds); one line per read.
reader() {
  local i p
  for ((i = 0; i < 3000; i++)); do
    [ -e "$STATE/reader.stop" ] && return 0
    for p in "$@"; do
      if "${L[@]}" exec ops "$CTL" --timeout 2 --server "$p" get app sample-app >/dev/null 2>&1; then
        echo "ok $p"
      else
        echo "FAILED $p $(date +%T.%N)"
      fi
    done
    sleep 0.2
  done
}
# writes_log MARK: a write every 0.2 s (1 s timeout each) until
# $STATE/writes.stop; prints "time mark" for each accepted one (bounded:
# 180 s).
writes_log() {
  local until=$((SECONDS + 180)) i=0
  while [ $SECONDS -lt $until ] && [ ! -e "$STATE/writes.stop" ]; do
    if write "$1-$i" 1 2>/dev/null; then echo "$(now) $1-$i"; fi
    i=$((i + 1))
    sleep 0.2
  done
}
# first_write MARK: tries a write every 0.2 s (1 s timeout each) until one
# is accepted; prints the time it was (bounded: 180 s).
first_write() {
  local until=$((SECONDS + 180))
  while [ $SECONDS -lt $until ]; do
    if write "$1" 1 2>/dev/null; then now; return 0; fi
    sleep 0.2
  done
  echo never
}

MODE=--sync
[ "$SCENARIO" = failback ] && MODE=--async
echo "== lab up $MODE ($SCENARIO)"
"${L[@]}" up "$MODE" --build "$BUILD" --prefix "$PREFIX" | tail -1
SITE=$STATE/dr.toml

M1=before-$$-$RANDOM
write "$M1"
check "the sample app on r2-app-b has the write made before" eventually 15 sample_has r2-app-b "$M1"
# The samples log each configuration they receive into the Log Database
# (through their region's Log Message Server pair); these events are
# acknowledged before the failure, so must be in region 2's afterwards.
check "the Log Database acknowledged r1-app-b's event about it" eventually 30 acked_after r1-app-b "$M1"
check "and r2-app-b's" eventually 30 acked_after r2-app-b "$M1"

case $SCENARIO in
  full|failback) SURVIVORS=(203.0.113.21:9100 203.0.113.22:9100) ;;
  *) SURVIVORS=(198.51.100.21:9100 198.51.100.22:9100 203.0.113.21:9100 203.0.113.22:9100) ;;
esac
SAMPLE_PID=$(sample_pid r2-app-b)
reader "${SURVIVORS[@]}" >"$STATE/reads.log" &
READER_PID=$!

# --- the failure and the runbook -------------------------------------------
LOST_WRITES=()
TO=r2
case $SCENARIO in
  full|failback)
    if [ "$SCENARIO" = failback ]; then
      # Asynchronous replication and region 2 cut off: these writes are
      # acknowledged by region 1 and never reach region 2.
      "${L[@]}" cut r2-dbms >/dev/null
      for i in 1 2 3 4 5; do
        LOST_WRITES+=("unreplicated-$i-$$")
        write "unreplicated-$i-$$"
      done
    fi
    R1_BEFORE=$(dbms_revision r1)
    echo "r1-dbms at revision $R1_BEFORE when region 1 goes down"
    T_KILL=$(now)
    "${L[@]}" kill r1-dbms r1-fw-p r1-fw-b r1-app-p r1-app-b >/dev/null
    [ "$SCENARIO" = failback ] && "${L[@]}" uncut r2-dbms >/dev/null
    ARGS=(failover --scenario full --to r2) ;;
  framework)
    T_KILL=$(now)
    "${L[@]}" kill r1-fw-p r1-fw-b >/dev/null
    ARGS=(failover --scenario framework --to r2) ;;
  dbms)
    # Without fence commands the runbook will not promote while r1's DBMS
    # is writable.
    sed '/^\[hosts\./,$d; /^dbms_host/d; /^framework_hosts/d' "$SITE" >"$STATE/nohosts.toml"
    OUT=$(dr failover --site "$STATE/nohosts.toml" --scenario dbms --to r2 2>&1 || true)
    check "without a fence command, the runbook refuses to go on while r1's DBMS is writable" \
      grep -q 'fence-r1-dbms: refused: the site file has no fence command' <<<"$OUT"
    T_KILL=$(now)
    "${L[@]}" kill r1-dbms >/dev/null
    ARGS=(failover --scenario dbms --to r2) ;;
  switchover)
    # Nothing fails: the figure is the longest time without an accepted
    # write while the runbook moves the region.
    writes_log "during-$$" >"$STATE/writes.log" &
    WRITER_PID=$!
    sleep 1
    T_KILL=$(now)
    ARGS=(switchover --to r2) ;;
esac
M2=after-$$-$RANDOM
if [ "$SCENARIO" != switchover ]; then
  first_write "$M2" >"$STATE/first-write" &
  WRITER_PID=$!
fi

if [ "$SCENARIO" = framework ]; then
  # The operator's session dies right after the promotion (kill -9 of
  # tandemctl): another runbook is refused; running this one again resumes.
  dr "${ARGS[@]}" >"$STATE/interrupted.out" 2>&1 &
  P=$!
  for ((i = 0; i < 600; i++)); do
    grep -q "promote r2's DBMS and wait until it takes writes: done" "$STATE/interrupted.out" && break
    sleep 0.05
  done
  pkill -9 -P "$P" || true
  kill -9 "$P" 2>/dev/null || true
  wait "$P" 2>/dev/null || true
  sed 's/^/  interrupted: /' "$STATE/interrupted.out"
  check "the interrupted run got as far as the promotion" \
    grep -q "promote r2's DBMS and wait until it takes writes: done" "$STATE/interrupted.out"
  check "the journal shows the runbook unfinished" \
    python3 -c 'import json,sys; e=[json.loads(l) for l in open(sys.argv[1])]; sys.exit(0 if e[-1]["event"]!="end" else 1)' "$SITE.journal"
  OTHER=$(dr failback --to r1 2>&1 || true)
  check "another runbook is refused meanwhile" \
    grep -q "the runbook 'failover-framework' was started and did not finish" <<<"$OTHER"
fi
T_RUN=$(now)
RUN=$(dr -o json "${ARGS[@]}" 2>"$STATE/runbook.progress") || true
cat "$STATE/runbook.progress"
echo "$RUN"
field() { python3 -c 'import json,sys; v=json.load(sys.stdin).get(sys.argv[1]); print("null" if v is None else v)' "$1" <<<"$RUN"; }
check "the runbook finished" test "$(field ok)" = True
if [ "$SCENARIO" = framework ]; then
  check "it resumed: the promotion was already done" \
    grep -q "promote r2's DBMS and wait until it takes writes: already done" "$STATE/runbook.progress"
fi
if [ "$SCENARIO" = switchover ]; then
  sleep 1
  touch "$STATE/writes.stop"
  wait "$WRITER_PID" || true
  WRITER_PID=""
  first_write "$M2" >"$STATE/first-write"
  check "writes were accepted during the switchover's run" test "$(wc -l <"$STATE/writes.log")" -ge 3
  RTO=$(python3 -c '
import sys
t = [float(x.split()[0]) for x in open(sys.argv[1])]
print("%.1f" % max(b - a for a, b in zip(t, t[1:]) if b > float(sys.argv[2])))' "$STATE/writes.log" "$T_KILL" 2>/dev/null || echo "?")
  echo "RTO: the longest time without an accepted write: $RTO s (its own RTO $(field rto_s) s)"
  for ((i = 0; i < 10; i++)); do
    ctl --server "$MASTERS" -o json history --since 0 >"$STATE/history.json" 2>&1 && break
    sleep 1
  done
  MISSING=0
  while read -r _ mark; do
    grep -q "$mark\"" "$STATE/history.json" || { echo "  missing: $mark"; MISSING=$((MISSING + 1)); }
  done <"$STATE/writes.log"
  check "every write acknowledged during the switchover is in r2's history" test "$MISSING" = 0
else
  wait "$WRITER_PID" || true
  WRITER_PID=""
fi
T_WRITE=$(cat "$STATE/first-write")
check "a write was accepted after the failure" test "$T_WRITE" != never
if [ "$SCENARIO" != switchover ]; then
  RTO=$(python3 -c "import sys; print('%.1f' % (float(sys.argv[1]) - float(sys.argv[2])))" "$T_WRITE" "$T_KILL" 2>/dev/null || echo "?")
  echo "RTO: from the failure to the first write accepted: $RTO s (runbook started $(python3 -c "import sys; print('%.1f' % (float(sys.argv[1]) - float(sys.argv[2])))" "$T_RUN" "$T_KILL") s after it; its own RTO $(field rto_s) s)"
fi
[ -n "$RESULTS" ] && echo "$SCENARIO $RTO $(field rto_s)" >>"$RESULTS"

JOURNAL_BEFORE=$(md5sum <"$SITE.journal")
PLAN=$(dr "${ARGS[@]}" --dry-run 2>&1 || true)
check "a dry run afterwards plans nothing and writes no journal" \
  test -n "$(grep -E 'promote-r[12]-dbms: already done' <<<"$PLAN")" -a "$(md5sum <"$SITE.journal")" = "$JOURNAL_BEFORE"
RERUN=$(dr "${ARGS[@]}" 2>&1) && RERUN_RC=0 || RERUN_RC=$?
check "run again, it finds the promotion done and succeeds" \
  test "$RERUN_RC" = 0 -a -n "$(grep -E 'promote-r[12]-dbms: already done' <<<"$RERUN")"

# --- what must hold --------------------------------------------------------
case $SCENARIO in
  dbms) check "the primary master now writes to r2's DBMS" eventually 20 storage_on '203\.0\.113\.10' ;;
  *) check "the primary master is in r2 (through the framework names)" eventually 20 primary_in r2 ;;
esac
check "the change made after the failover is in the history" history_has "$M2"
check "the write acknowledged before the failure is there" history_has "$M1"
for p in "${SURVIVORS[@]}"; do
  check "proxy $p is in normal mode again" eventually 30 proxy_normal "$p"
done
check "the sample app on r2-app-b kept running" kill -0 "$SAMPLE_PID"
check "it kept the configuration it had" sample_has r2-app-b "$M1"
check "it received the change made after the failover" eventually 20 sample_has r2-app-b "$M2"
if [ "$SCENARIO" != full ] && [ "$SCENARIO" != failback ]; then
  check "the sample app on r1-app-b received it too" eventually 20 sample_has r1-app-b "$M2"
fi
# Region 2's framework VMs in service: their main SCS starts region 2's
# Message Server pair (autostart), and the SCSs talk through it: a command
# sent to r2's main SCS for an application host is forwarded to its owner.
case $SCENARIO in
  full|framework|failback)
    ms_r2_started() {
      ctl -o json app status ms-r2 ms-r2-b 2>/dev/null | grep -c '"status": "Started"' | grep -qx 2
    }
    check "r2's main SCS started r2's Message Server pair" eventually 40 ms_r2_started
    via_r2() { ctl app restart sample-r2 --via scs-r2 --wait --wait-timeout 20 >/dev/null 2>&1; }
    check "a command for r2-app-p sent to r2's main SCS is forwarded over it" eventually 40 via_r2 ;;
esac

touch "$STATE/reader.stop"
wait "$READER_PID" || true
READER_PID=""
READS=$(grep -c '^ok' "$STATE/reads.log" || true)
PSQL=/usr/lib/postgresql/15/bin/psql
log_db_r2() {  # TEXT HOST: how many events from HOST with TEXT region 2's Log Database holds
  "${L[@]}" exec r2-dbms runuser -u postgres -- "$PSQL" -X -At -h "$STATE/r2-dbms/run" -U postgres \
    -d tandem_log -c "SELECT count(*) FROM log_events WHERE host = '$2' AND strpos(text, '$1') > 0" 2>&1
}
if [ "$SCENARIO" != failback ]; then  # (asynchronous there: a loss is allowed and counted)
  N_R1=$(log_db_r2 "$M1" r1-app-b) N_R2=$(log_db_r2 "$M1" r2-app-b)
  check "the log events acknowledged before the failure are in region 2's Log Database (r1-app-b: $N_R1, r2-app-b: $N_R2)" \
    test "$N_R1" -ge 1 -a "$N_R2" -ge 1 2>/dev/null
fi
check "the Log Database acknowledged r2-app-b's event about the change made after the failover" \
  eventually 40 acked_after r2-app-b "$M2"
logs_has_m2() { ctl logs --from lms-r2 --host r2-app-b --grep "$M2" 2>/dev/null | grep "$M2" >/dev/null; }
check "tandemctl logs --from lms-r2 shows it" eventually 10 logs_has_m2
dr_status_has() { { dr status 2>/dev/null || true; } | grep -E "$1" >/dev/null; }
check "dr status: r2's Log Message Server pair acts on region 2's Log Database" \
  eventually 20 dr_status_has '^r2 +203\.0\.113\.2[12]:4996 +lms acting +lms-r2(-b)?/[0-9]+ +- +postgres 203\.0\.113\.10:5432/tandem_log'
case $SCENARIO in
  full|framework|failback)
    check "dr status: r2's Message Server pair acts" \
      eventually 20 dr_status_has '^r2 +203\.0\.113\.1[12]:4997 +ms acting +ms-r2(-b)?/' ;;
esac
# Alarms keep being raised: the sample on r2-app-b killed -9 raises
# framework.application-failed for it (its SCS restarts it, which clears it).
failed_alarms() {
  { ctl alarms --from lms-r2 --all 2>/dev/null || true; } | grep -c 'application-failed.*sample-r2-b' || true
}
A0=$(failed_alarms)
kill -9 "$SAMPLE_PID" 2>/dev/null || true
more_alarms() { [ "$(failed_alarms)" -gt "$A0" ]; }
check "the sample on r2-app-b killed -9 after the failover raises framework.application-failed" \
  eventually 40 more_alarms

FAILED=$(grep -c '^FAILED' "$STATE/reads.log" || true)
echo "reads through the surviving proxies during the failover: $READS ok, $FAILED failed"
grep '^FAILED' "$STATE/reads.log" | head -5 || true
check "the surviving proxies served every read ($READS reads)" test "$FAILED" = 0 -a "$READS" -gt 10

case $SCENARIO in
  full)
    # r1's DBMS was dead at the promotion: the report cannot know the loss
    # (dr status counts it below, once r1 is back).
    check "the report does not claim to know the loss while r1's DBMS was dead" \
      test "$(field revisions_lost)" = null
    # Region 1 comes back: its framework VMs boot and must not write to
    # their old (fenced) DBMS.
    for h in r1-dbms r1-fw-p r1-fw-b; do "${L[@]}" start "$h" >/dev/null 2>&1 || true; done
    M3=back-$$-$RANDOM
    check "writes go on with region 1 back" eventually 30 write "$M3"
    sleep 3
    R1_AFTER=$(dbms_revision r1)
    check "nothing was committed to region 1's fenced DBMS (revision $R1_BEFORE, now $R1_AFTER)" \
      test "$R1_AFTER" = "$R1_BEFORE"
    if [ "$R1_AFTER" != "$R1_BEFORE" ]; then  # who wrote what, for the failure
      ctl --server "$MASTERS" history --since $((R1_BEFORE - 3)) --limit 8 2>&1 | sed 's/^/  /' || true
    fi
    STATUS=$(dr status 2>&1) || true
    check "dr status calls r1's DBMS an old primary with 0 unreplicated revisions (sync)" \
      grep -q "r1's DBMS is an old primary .* with 0 revision(s) r2 never received" <<<"$STATUS"
    check "dr status shows the fence the runbook set on r1's DBMS" \
      grep -Eq '^r1 .*by runbook [0-9T:.-]+Z \(failover-full\)' <<<"$STATUS" ;;
  framework|dbms)
    R1_NOW=$(dbms_revision r1)
    if [ "$SCENARIO" = framework ]; then
      for h in r1-fw-p r1-fw-b; do "${L[@]}" start "$h" >/dev/null 2>&1 || true; done
    else
      "${L[@]}" start r1-dbms >/dev/null 2>&1 || true
      R1_NOW=$(dbms_revision r1)
    fi
    M3=back-$$-$RANDOM
    check "writes go on with the failed VMs back" eventually 30 write "$M3"
    sleep 3
    check "nothing was committed to r1's fenced DBMS (revision $R1_NOW)" test "$(dbms_revision r1)" = "$R1_NOW"
    if [ "$SCENARIO" = framework ]; then
      check "nothing lost (report: $(field revisions_lost))" test "$(field revisions_lost)" = 0
    else
      # r1's DBMS was dead at the promotion: the report cannot know; now it
      # is back, dr status counts what it has that r2 never received.
      check "the report does not claim to know the loss while r1's DBMS was dead" \
        test "$(field revisions_lost)" = null
      check "dr status: r1's DBMS is an old primary with 0 unreplicated revisions (sync)" \
        grep -q "r1's DBMS is an old primary .* with 0 revision(s) r2 never received" <<<"$(dr status 2>&1 || true)"
    fi ;;
  switchover)
    check "switchover: nothing lost (report)" test "$(field revisions_lost)" = 0
    check "r1's DBMS is a standby of r2's" dbms_role_is r1 standby
    BACK=$(dr -o json switchover --to r1 2>/dev/null) || true
    check "and back: switchover --to r1" python3 -c 'import json,sys; d=json.load(sys.stdin); sys.exit(0 if d["ok"] and d["revisions_lost"]==0 else 1)' <<<"$BACK"
    M3=back-$$-$RANDOM
    check "writes go on in r1" eventually 30 write "$M3"
    check "the primary master is in r1 again" eventually 20 primary_in r1
    check "the sample app on r2-app-b received the change made in r1" eventually 20 sample_has r2-app-b "$M3" ;;
  failback)
    check "the failover report does not claim to know the loss" test "$(field revisions_lost)" = null
    REAL_LOST=0
    history_has "$M2" || true  # the history answers: now one look per write
    for w in "${LOST_WRITES[@]}"; do history_in "$w" || REAL_LOST=$((REAL_LOST + 1)); done
    echo "acknowledged writes missing in region 2: $REAL_LOST of ${#LOST_WRITES[@]}"
    check "async: the writes made while r2 was cut off are lost" test "$REAL_LOST" = "${#LOST_WRITES[@]}"
    "${L[@]}" start r1-app-p >/dev/null; "${L[@]}" start r1-app-b >/dev/null
    BACK=$(dr -o json failback --to r1 2>"$STATE/failback.progress") || true
    cat "$STATE/failback.progress"
    echo "$BACK"
    REPORTED=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["revisions_lost"])' <<<"$BACK")
    check "failback finished" python3 -c 'import json,sys; sys.exit(0 if json.load(sys.stdin)["ok"] else 1)' <<<"$BACK"
    # The report counts revisions r1 has that r2 never received: the lost
    # acknowledged writes, and whatever the framework itself wrote in r1
    # meanwhile (an SCS pair taking its lock), which the test does not make.
    # Every lost write must be counted; more is the framework's own.
    echo "failback reports $REPORTED revision(s) lost; the test's lost writes: $REAL_LOST"
    check "the reported loss ($REPORTED) counts every lost write ($REAL_LOST)" \
      test "$REPORTED" -ge "$REAL_LOST"
    M3=back-$$-$RANDOM
    check "writes go on in r1 after the failback" eventually 30 write "$M3"
    check "the primary master is in r1 again" eventually 20 primary_in r1
    check "the change made in r2 during the failover survived the failback" history_has "$M2"
    check "the sample app on r1-app-b (back) has the latest change" eventually 20 sample_has r1-app-b "$M3"
    check "the sample app on r2-app-b received it" eventually 20 sample_has r2-app-b "$M3" ;;
esac

echo "dr_scenario_test $SCENARIO: $PASS passed, $FAIL failed, $((SECONDS - T0)) s"
[ "$FAIL" -eq 0 ]
