#!/usr/bin/env bash
# Installs everything Tandem needs to build, test and run, from Debian 12
# packages, and the console's browser tests' one npm package (playwright-core,
# pinned by test/browser/package-lock.json; it drives Debian's chromium and
# downloads no browser).
# Idempotent: packages already present are skipped. Needs root only when
# something is missing.
set -euo pipefail
PKGS=(
  build-essential cmake ninja-build pkg-config ccache git
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libabsl-dev libsqlite3-dev sqlite3 libpq-dev
  libspdlog-dev libfmt-dev libcli11-dev libtomlplusplus-dev nlohmann-json3-dev
  libgtest-dev libgmock-dev libbenchmark-dev libssl-dev
  clang-format clang-tidy
  postgresql-15 postgresql-client-15
  bind9 bind9-dnsutils libldns-dev
  iproute2 iptables nftables procps psmisc curl
  etcd-server etcd-client libcpp-httplib-dev linux-perf
  zsh libsodium-dev
  python3 python3-prometheus-client
  systemd
  chromium
)
# Node.js and npm: the machine's own if it has them (do not mix Debian's npm
# with another nodejs), else Debian's.
command -v npm >/dev/null 2>&1 || PKGS+=(nodejs npm)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
npm_packages() {
  local dir=test/browser
  cd "$(dirname "$0")/.."
  if [ -d "$dir/node_modules/playwright-core" ] && [ "$dir/node_modules/.package-lock.json" -nt "$dir/package-lock.json" ]; then
    echo "install-deps: npm packages of $dir already installed"
    return
  fi
  echo "install-deps: npm ci in $dir (playwright-core, as pinned by its package-lock.json)"
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
}
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PKGS[@]} packages already installed"
  npm_packages
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps.sh: missing ${missing[*]}; run as root (it installs Debian packages with apt-get)" >&2
  exit 1
fi
echo "install-deps: installing ${#missing[@]} packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
npm_packages
echo "install-deps: done"
