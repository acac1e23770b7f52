#!/usr/bin/env bash
# Checks deploy/systemd/*.service with `systemd-analyze verify` (offline; any
# warning fails, e.g. a misspelt key, which systemd would ignore) against the
# built tandemd, and that each unit keeps the properties its role needs.
# Usage: systemd_units_test.sh SOURCE_DIR TANDEMD
set -euo pipefail
src=$1 tandemd=$2
command -v systemd-analyze >/dev/null || { echo "systemd-analyze is not installed (apt-get install systemd)"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail=0
for unit in "$src"/deploy/systemd/*.service; do
  name=$(basename "$unit")
  sed "s|/usr/bin/tandemd|$tandemd|g" "$unit" >"$work/$name"
  out=$(cd "$work" && systemd-analyze verify "./$name" 2>&1) || { echo "FAIL $name: $out"; fail=1; continue; }
  if [ -n "$out" ]; then echo "FAIL $name: systemd-analyze warns: $out"; fail=1; continue; fi
  echo "ok   $name"
done
need() {  # UNIT KEY=VALUE: the unit has that line
  grep -qx "$2" "$src/deploy/systemd/$1" || { echo "FAIL $1: lacks $2"; fail=1; }
}
# The LCA's applications outlive it (re-adopted), in cgroups it may create.
need tandem-lca.service KillMode=process
need tandem-lca.service Delegate=yes
for u in tandem-confserv.service tandem-csproxy.service tandem-scs.service tandem-msgserver.service tandem-console.service; do
  need "$u" User=tandem
  need "$u" NoNewPrivileges=yes
  need "$u" ProtectSystem=strict
  need "$u" Restart=always
done
[ "$(ls "$src"/deploy/systemd/*.service | wc -l)" -ge 6 ] || { echo "FAIL: units missing"; fail=1; }
exit $fail
