#!/usr/bin/env bash
# Installs what is missing on Debian 12 (with apt-get) and builds into ./build.
#   scripts/setup.sh           what building and running need
#   scripts/setup.sh --tests   also what the test suite needs: PyGObject,
#                              Debian's Chromium and playwright-core from npm
set -euo pipefail
cd "$(dirname "$0")/.."

with_tests=no
for arg in "$@"; do
  case "$arg" in
    --tests) with_tests=yes ;;
    *) echo "usage: $0 [--tests]" >&2; exit 2 ;;
  esac
done

packages=(
  meson ninja-build pkg-config gcc
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev libsoup-3.0-dev
  gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good
  gstreamer1.0-x curl
)
if [ "$with_tests" = yes ]; then
  packages+=(python3-gi gir1.2-gstreamer-1.0 gir1.2-gst-plugins-base-1.0
    chromium indent valgrind jq)
  command -v node >/dev/null && command -v npm >/dev/null \
    || packages+=(nodejs npm)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q "install ok installed" \
    || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing Debian packages: ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

if [ "$with_tests" = yes ] && [ ! -d tests/browser/node_modules/playwright-core ]; then
  echo "Installing playwright-core from npm into tests/browser/node_modules"
  npm ci --prefix tests/browser --no-audit --no-fund
fi

if [ -d build ]; then
  meson setup --reconfigure build >/dev/null
else
  meson setup build >/dev/null
fi
ninja -C build
