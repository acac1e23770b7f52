#!/usr/bin/env bash
# Installs the Debian packages Tandem needs and builds it into ./build.
# Usage: scripts/build.sh [extra cmake -D options...]
# Env: BUILD_DIR (default build), BUILD_TYPE (default RelWithDebInfo), JOBS (default 2).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
BUILD_DIR=${BUILD_DIR:-build}
export CCACHE_BASEDIR="$PWD" CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/ccache}
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
if [ ! -f "$BUILD_DIR/CMakeCache.txt" ]; then
  cmake -S . -B "$BUILD_DIR" "${generator[@]}" -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}" "$@"
else
  cmake -S . -B "$BUILD_DIR" "$@" >/dev/null
fi
echo "build: compiling into $BUILD_DIR (this takes a few minutes on a fresh machine)"
cmake --build "$BUILD_DIR" -j"${JOBS:-2}"
