#!/usr/bin/env bash
# The two-region lab end to end (lab/lab, docs/LAB.md): up, status shows the
# HA pair, the proxies, both DBMS and DNS; a write from ops through the primary
# reaches a region-2 proxy; with r1-app-p killed the sample app on r1-app-b
# keeps its configuration and still receives changes; down leaves nothing.
# The failover scenarios have their own test (dr_scenario_test.sh).
# Exit 77 (ctest: skipped) when not root. Runs its own lab (own state
# directory and namespace prefix), so a developer's lab is left alone.
# Usage: lab_test.sh [--build DIR]
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
LAB=$HERE/../../lab/lab
BUILD=${TANDEM_BUILD_DIR:-$HERE/../../build}
[ "${1:-}" = --build ] && BUILD=$2

# shellcheck source=lab_testlib.sh
. "$HERE/lab_testlib.sh"
lab_test_init lab_test tandem-lab-test lt

ctl() { "${L[@]}" exec ops "$BUILD/src/exe/tandemctl" --timeout 5 "$@"; }

echo "== lab up"
t=$SECONDS
"${L[@]}" up --sync --build "$BUILD" --prefix "$PREFIX"
echo "lab up took $((SECONDS - t)) s"

echo "== lab status"
STATUS=$("${L[@]}" status)
echo "$STATUS"
check "r1-fw-p is the primary" grep -Eq '^r1-fw-p +198\.51\.100\.11:9000 +primary +node r1-fw-p,' <<<"$STATUS"
check "r1-fw-b is the backup" grep -Eq '^r1-fw-b +198\.51\.100\.12:9000 +backup +node r1-fw-b, .*primary 198\.51\.100\.11:9000' <<<"$STATUS"
for h in r1-app-p r1-app-b r2-app-p r2-app-b; do
  check "$h's proxy is normal" grep -Eq "^$h +[0-9.]+:9100 +proxy +normal, master fw-p\.tandem\.test:9000," <<<"$STATUS"
done
# Every daemon serves /metrics on its VM's address, at its port + 10000
# (retried: right after `up` an SCS pair may not have chosen its primary yet).
metrics_has() { grep -q "$2" <<<"$("${L[@]}" exec ops curl -s --max-time 3 "http://$1/metrics")"; }
check "r1-fw-p's master serves /metrics (primary)" \
  eventually 10 metrics_has 198.51.100.11:19000 '^tandem_config_role{role="primary"} 1'
check "r1-app-p's proxy serves /metrics (normal, not behind)" \
  eventually 10 metrics_has 198.51.100.21:19100 '^tandem_proxy_lag_revisions 0'
one_primary() {
  local a b
  a=$("${L[@]}" exec ops curl -s --max-time 3 http://198.51.100.11:14998/metrics | grep -c '^tandem_scs_primary 1')
  b=$("${L[@]}" exec ops curl -s --max-time 3 http://198.51.100.12:14998/metrics | grep -c '^tandem_scs_primary 1')
  [ "$((a + b))" = 1 ]
}
check "the framework SCS pair of r1 serves /metrics: exactly one of them acts" eventually 40 one_primary
check "r1-app-p's Log Message Server serves /metrics" \
  eventually 10 metrics_has 198.51.100.21:14996 '^tandem_bus_acting 1'
check "r1-app-p's LCA serves /metrics" \
  eventually 10 metrics_has 198.51.100.21:14999 '^process_resident_memory_bytes'
check "r2-fw-p is down (dormant)" grep -Eq '^r2-fw-p +[0-9.]+ +down ' <<<"$STATUS"
check "r1-dbms is the primary DBMS" grep -Eq '198\.51\.100\.10:5432/tandem +primary' <<<"$STATUS"
check "r2-dbms is a standby" grep -Eq '203\.0\.113\.10:5432/tandem +standby' <<<"$STATUS"
check "the standby is synchronous" grep -Eq '^ +r2_dbms +203\.0\.113\.10 +streaming +sync ' <<<"$STATUS"
check "DNS: fw-p -> r1-fw-p" grep -Eq 'fw-p\.tandem\.test +198\.51\.100\.11 \(TTL 5\)' <<<"$STATUS"
check "DNS: fw-b -> r1-fw-b" grep -Eq 'fw-b\.tandem\.test +198\.51\.100\.12 \(TTL 5\)' <<<"$STATUS"
check "DNS: cfgmaster -> r1-fw-p" grep -Eq 'cfgmaster\.tandem\.test +198\.51\.100\.11 \(TTL 5\)' <<<"$STATUS"
check "r1-fw-b pins fw-p to its region" grep -q '^198.51.100.11 .*fw-p.tandem.test' \
  <<<"$("${L[@]}" exec r1-fw-b getent hosts fw-p.tandem.test)"
check "ops resolves fw-p through DNS" grep -q '^198.51.100.11 .*fw-p.tandem.test' \
  <<<"$("${L[@]}" exec ops getent hosts fw-p.tandem.test)"

dns_has() { "${L[@]}" exec ops dig +short @192.0.2.53 "$1" A | grep -x "$2" >/dev/null; }
"${L[@]}" exec ops tandemctl dns set lab-check 192.0.2.10 --ttl 5 >/dev/null
check "tandemctl dns set with the lab's TSIG key (lab exec's defaults)" dns_has lab-check.tandem.test 192.0.2.10

echo "== PostgreSQL: TLS and SCRAM only"
PSQL=/usr/lib/postgresql/15/bin/psql
SESSIONS=$("${L[@]}" exec r1-dbms runuser -u postgres -- "$PSQL" -X -At -h "$STATE/r1-dbms/run" \
  -U postgres -d postgres -c "SELECT a.usename, a.client_addr, s.ssl FROM pg_stat_activity a
    JOIN pg_stat_ssl s USING (pid) WHERE a.client_addr IS NOT NULL")
echo "$SESSIONS"
check "the masters' sessions are role tandem, over TLS" grep -Eq '^tandem\|198\.51\.100\.11\|t$' <<<"$SESSIONS"
check "the standby streams as tandem_admin, over TLS" grep -Eq '^tandem_admin\|203\.0\.113\.10\|t$' <<<"$SESSIONS"
check "no session without TLS" bash -c "! grep -q '|f\$' <<<\"\$1\"" _ "$SESSIONS"
refused() {  # CONNINFO EXPECTED-MESSAGE: psql from r1-fw-p is refused saying so
  local out
  out=$("${L[@]}" exec r1-fw-p "$PSQL" -X -w "$1" -c 'SELECT 1' 2>&1) && return 1
  grep -q "$2" <<<"$out"
}
CONN="host=198.51.100.10 dbname=tandem passfile=$STATE/secrets/pgpass-tandem"
check "plaintext is refused" refused "$CONN user=tandem sslmode=disable" 'no encryption'
check "the postgres superuser is refused from the network" refused "$CONN user=postgres sslmode=require" 'no pg_hba.conf entry'
check "a wrong password is refused" refused "host=198.51.100.10 dbname=tandem user=tandem sslmode=require password=wrong" 'password authentication failed'
check "no password in a bootstrap file or the site file" \
  bash -c "! grep -rlF -e \"\$(cat \"\$1/secrets/tandem.password\")\" -e \"\$(cat \"\$1/secrets/tandem_admin.password\")\" \"\$1\" --exclude-dir=secrets --exclude-dir=data" _ "$STATE"
check "no password in the standby's primary_conninfo" \
  bash -c "! grep -F \"\$(cat \"\$1/secrets/tandem_admin.password\")\" \"\$1/r2-dbms/data/postgresql.auto.conf\"" _ "$STATE"

echo "== tandemctl dr status"
DR_RC=0
DR=$("${L[@]}" exec ops "$BUILD/src/exe/tandemctl" dr status) || DR_RC=$?
echo "$DR"
check "dr status: region r1 is live" grep -q '^live region: r1$' <<<"$DR"
check "dr status: r2's DBMS is a standby 0 revisions behind" \
  grep -Eq '^r2 +203\.0\.113\.10:5432/tandem +standby +[0-9]+ +0 revisions' <<<"$DR"
check "dr status: r1-fw-p primary with epoch 1" grep -Eq '^r1 +198\.51\.100\.11:9000 +primary +r1-fw-p/1 ' <<<"$DR"
check "dr status: r2's masters are down (dormant)" grep -Eq '^r2 +203\.0\.113\.11:9000 +down ' <<<"$DR"
check "dr status: fw-p points at r1" grep -Eq '^fw-p +198\.51\.100\.11 +5 +r1$' <<<"$DR"
# Either SCS of a pair may act (the configured backup takes over when its
# partner is slower than takeover_s to start, as under ASan); one of each does.
check "dr status: one of r1's main SCS pair acts" grep -Eq '^r1 +198\.51\.100\.1[12]:4998 +scs primary +scs-r1(-b)?/[0-9]+ +- +2 hosts, 6/6 applications Started' <<<"$DR"
check "dr status: one of r1's application SCS pair acts" grep -Eq '^r1 +198\.51\.100\.2[12]:4998 +scs primary +scs-app-r1(-b)?/[0-9]+ ' <<<"$DR"
check "dr status: the other of it follows" grep -Eq '^r1 +198\.51\.100\.2[12]:4998 +scs backup +scs-app-r1(-b)?/' <<<"$DR"
check "dr status: r2's main SCS is down (dormant)" grep -Eq '^r2 +203\.0\.113\.11:4998 +scs down ' <<<"$DR"
check "dr status: one of r1's Message Server pair acts" grep -Eq '^r1 +198\.51\.100\.1[12]:4997 +ms acting +ms-r1(-b)?/[1-9]' <<<"$DR"
check "dr status: r2's Message Servers are down (dormant)" grep -Eq '^r2 +203\.0\.113\.11:4997 +ms down ' <<<"$DR"
check "dr status: one of r1's Log Message Server pair acts, on the Log Database in r1-dbms" \
  grep -Eq '^r1 +198\.51\.100\.2[12]:4996 +lms acting +lms-r1(-b)?/[1-9][0-9]* +- +postgres 198\.51\.100\.10:5432/tandem_log, [0-9]+ events' <<<"$DR"
check "dr status: the other of it is the backup" grep -Eq '^r1 +198\.51\.100\.2[12]:4996 +lms backup +lms-r1(-b)?/' <<<"$DR"
check "dr status: one of r2's Log Message Server pair acts (r2's application VMs run)" \
  grep -Eq '^r2 +203\.0\.113\.2[12]:4996 +lms acting +lms-r2(-b)?/' <<<"$DR"
check "dr status: no warnings" bash -c '! grep -q WARNING' <<<"$DR"

echo "== the management layer"
app_field() {  # APP FIELD: from tandemctl -o json app status
  ctl -o json app status "$1" | sed -n "s/^ *\"$2\": \"\{0,1\}\([^\",]*\)\"\{0,1\},\{0,1\}\$/\1/p" | head -1
}
check "the main SCS pair shows the master pair Started" \
  grep -Eq '^Started/Started/scs-r1(-b)?$' <<<"$(app_field confserv status)/$(app_field confserv_backup status)/$(app_field confserv scs)"
check "the sample pair of r1 was started by autostart" \
  test "$(app_field sample-r1 mode)/$(app_field sample-r1-b mode)" = primary/backup
# Switch the pair to whichever member is the backup now (under load the
# SCS may already have switched it once, which is the pair working).
WANT=sample-r2-b OTHER=sample-r2
[ "$(app_field sample-r2-b mode)" = primary ] && WANT=sample-r2 OTHER=sample-r2-b
SW=$(ctl app switchover sample-r2 --wait --wait-timeout 20 2>&1) || true
echo "$SW" | sed 's/^/  /'
check "tandemctl app switchover: $WANT is now primary" \
  test "$(app_field "$WANT" mode)/$(app_field "$OTHER" mode)" = primary/backup
check "the switchover is in the acting SCS's audit with the operator's name" \
  grep -q '"action":"switchover".*"outcome":"allowed".*"who":"person operator"' "$STATE"/r2-app-?/scs-audit.jsonl
check "the main SCS started r1's Message Server pair (autostart)" \
  test "$(app_field ms-r1 status)/$(app_field ms-r1-b status)" = Started/Started
bus_ok() {  # tandemctl bus status --from ms-r1: one acts, the other copies, SCSs subscribe
  local out; out=$(ctl bus status --from ms-r1 2>&1) || return 1
  grep -Eq '^ms-r1(-b)? +[0-9.:]+ +acting ' <<<"$out" &&
    grep -Eq '^ms-r1(-b)? +[0-9.:]+ +backup +[0-9]+ +ms-r1(-b)? +live$' <<<"$out" &&
    grep -Eq '^ms-r1(-b)? +scs_distributed +[1-9][0-9]* +[0-9]+ +[0-9]+ +[1-9][0-9]* +[0-9]+$' <<<"$out"
}
check "tandemctl bus status: r1's Message Server pair acts and copies, SCSs subscribe" \
  eventually 20 bus_ok
# A command sent to region 1's application SCS for a host region 2's owns:
# forwarded over the Message Server, carried out and audited by the owner.
via_r1() { ctl app restart sample-r2 --via scs-app-r1 --wait --wait-timeout 20 >/dev/null 2>&1; }
check "tandemctl app restart sample-r2 --via scs-app-r1: forwarded to r2's SCS" eventually 30 via_r1
check "r2's application SCS audited it, naming the forwarding SCS" \
  grep -Eq '"action":"restart".*"outcome":"allowed".*"peer":"[^"]* via scs-app-r1(-b)?".*"target":"application sample-r2"' "$STATE"/r2-app-?/scs-audit.jsonl
check "dr status: exit status 0 without warnings" test "$DR_RC" -eq 0

echo "== the Log Message Servers and the Log Database"
check "the application SCS started r1's Log Message Server pair (autostart)" \
  test "$(app_field lms-r1 status)/$(app_field lms-r1-b status)" = Started/Started
logs_have() {  # LMS GREP ARGS...: tandemctl logs --from LMS ARGS... prints a line with GREP
  local lms=$1 want=$2; shift 2
  ctl logs --from "$lms" "$@" 2>/dev/null | grep -- "$want" >/dev/null
}
check "the samples' configuration events are in the Log Database (message id 1001)" \
  eventually 30 logs_have lms-r1 sample-app --message-id 1001 --app sample-app
check "the switchover is in the audit trail there, with the operator's name" \
  eventually 20 logs_have lms-r2 "person operator" --audit --grep switchover

echo "== a write from ops through the primary reaches region 2's proxy"
MARK1=one-$$-$RANDOM
OUT1=$(ctl --server fw-p.tandem.test:9000,fw-b.tandem.test:9000 set-option app sample-app lab marker "$MARK1")
echo "$OUT1"
REV1=$(sed -n 's/.* at revision \([0-9]*\).*/\1/p' <<<"$OUT1")
r2_has() { ctl --server 203.0.113.21:9100 -o json get app sample-app | grep "$1" >/dev/null; }
check "r2-app-p's proxy serves the write" eventually 10 r2_has "$MARK1"
check "the sample app on r2-app-b received it" eventually 10 sample_has r2-app-b "$MARK1"
check "the sample app on r1-app-b received it" eventually 10 sample_has r1-app-b "$MARK1"
check "the master's audit of the write (revision $REV1) is in the Log Database" \
  eventually 20 logs_have lms-r1 "person operator" --audit --grep "'sample-app' (dbid 21) at revision $REV1"
check "the sample on r1-app-b saw its event about it acknowledged" eventually 20 acked_after r1-app-b "$MARK1"

echo "== lab kill r1-app-p"
"${L[@]}" kill r1-app-p
check "r1-app-p shows down" grep -Eq '^r1-app-p +[0-9.]+ +down ' <<<"$("${L[@]}" status | sed -n '/^== hosts/,/^$/p')"
SAMPLE_B=$(sample_pid r1-app-b)
check "the sample app on r1-app-b is still running" kill -0 "$SAMPLE_B"
b_primary() { [ "$(app_field sample-r1-b mode)" = primary ]; }
check "with r1-app-p (its primary and the acting SCS) lost, sample-r1-b becomes primary" \
  eventually 30 b_primary
check "it still has its configuration" sample_has r1-app-b "$MARK1"
# The lost host raises the framework's alarm; lms-r1 (on r1-app-p) is gone
# with it, so lms-r1-b takes over the pair and stores it.
alarm_for() { ctl alarms --from lms-r1 2>/dev/null | grep -E "$1" >/dev/null; }
check "the alarm framework.lca-unreachable for r1-app-p is raised (lms-r1-b took over)" \
  eventually 40 alarm_for "framework.lca-unreachable.*r1-app-p"
BUS_RC=0
BUS=$(ctl bus status --from lms-r1 2>&1) || BUS_RC=$?
echo "$BUS" | sed "s/^/  /"
lms_b_alone() {
  [ "$BUS_RC" -eq 1 ] && grep -q '^WARNING: lms-r1 at .* does not answer' <<<"$BUS" &&
    grep -Eq '^lms-r1-b +[0-9.:]+ +acting ' <<<"$BUS"
}
check "tandemctl bus status --from lms-r1: lms-r1 does not answer (exit 1), lms-r1-b acts" lms_b_alone
MARK2=two-$$-$RANDOM
ctl --server fw-p.tandem.test:9000,fw-b.tandem.test:9000 set-option app sample-app lab marker "$MARK2"
check "it receives a change made after the kill (through r1-app-b's proxy)" \
  eventually 15 sample_has r1-app-b "$MARK2"
check "r1-app-b's proxy is normal" grep -Eq '^proxy mode +normal$' \
  <<<"$(ctl --server 198.51.100.22:9100 status)"

echo "== lab stop r1-app-b, lab start r1-app-b"
"${L[@]}" stop r1-app-b >/dev/null
check "r1-app-b shows stopped" grep -Eq '^r1-app-b +[0-9.]+ +stopped ' <<<"$("${L[@]}" status | sed -n '/^== hosts/,/^$/p')"
# (a killed process may stay a zombie until init reaps it)
ended() { local st; st=$(ps -o stat= -p "$1" 2>/dev/null) || return 0; [ "${st:0:1}" = Z ]; }
check "its sample app ended" ended "$SAMPLE_B"
OUT=$(ctl --server 198.51.100.22:9100 status 2>&1 || true)
echo "  $OUT"
check "its proxy's port refuses connections (the link is up)" grep -qi "refused\|does not accept" <<<"$OUT"
"${L[@]}" start r1-app-b >/dev/null
proxy_b_normal() { ctl --server 198.51.100.22:9100 status 2>/dev/null | grep -E '^proxy mode +normal$' >/dev/null; }
check "after lab start its proxy is normal again" eventually 15 proxy_b_normal

lms_b_started() { [ "$(app_field lms-r1-b status)" = Started ]; }
check "its SCS started lms-r1-b again (it acts for the pair: r1-app-p is still down)" \
  eventually 30 lms_b_started

echo "== synchronous replication degraded: an alarm from the primary master"
# The Log Database is in the same cluster: with its synchronous standby cut
# off nothing is acknowledged (nor committed to the Configuration Database),
# so the master's alarm waits in its buffer and is stored once the standby
# is back, then cleared by the master's next sample.
"${L[@]}" cut r2-dbms >/dev/null
master_says_degraded() { cat "$STATE"/r1-fw-?/logs/confserv*.log 2>/dev/null | grep "synchronous replication is degraded" >/dev/null; }
check "the primary master sees the synchronous standby gone (its log)" eventually 90 master_says_degraded
"${L[@]}" uncut r2-dbms >/dev/null
history_for() { ctl alarms --from lms-r1 --all 2>/dev/null | grep -E "$1" >/dev/null; }
check "with it back, the primary master's framework.sync-replication-degraded is in the history" \
  eventually 60 history_for "framework.sync-replication-degraded +confserv"
no_active() {
  local out
  out=$(ctl alarms --from lms-r1 2>/dev/null) || return 1
  ! grep -E "sync-replication-degraded|log-database-unreachable" >/dev/null <<<"$out"
}
check "and neither alarm is active any more" eventually 40 no_active

echo "== lab down"
PIDS=""
for ns in $(ip netns list | awk '{print $1}' | grep "^$PREFIX" || true); do
  PIDS="$PIDS $(ip netns pids "$ns" | tr '\n' ' ')"
done
"${L[@]}" down
left=$(ip netns list | awk '{print $1}' | grep "^$PREFIX" || true)
check "no lab namespaces left" test -z "$left"
# A killed process may stay a zombie until init reaps it: only count live ones.
alive_pids() {
  local p st out=""
  for p in $PIDS; do
    st=$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null || true)
    [ -n "$st" ] && [ "$st" != Z ] && out="$out $p($(cat "/proc/$p/comm" 2>/dev/null || true),$st)"
  done
  echo "$out"
}
for _ in $(seq 20); do [ -z "$(alive_pids)" ] && break; sleep 0.1; done
alive=$(alive_pids)
[ -z "$alive" ] || echo "still running:$alive"
check "no lab processes left (${PIDS:+$(wc -w <<<"$PIDS")} were running)" test -z "$alive"
check "no /etc/netns files left" test -z "$(ls -d /etc/netns/"$PREFIX"* 2>/dev/null || true)"
check "the state directory is gone" test ! -e "$STATE"
check "lab down twice is fine" "${L[@]}" down

echo "lab_test: $PASS passed, $FAIL failed, $((SECONDS - T0)) s"
[ "$FAIL" -eq 0 ]
