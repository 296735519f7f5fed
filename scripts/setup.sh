#!/usr/bin/env bash
# Installs what is missing on Debian 12 (with apt-get), checks that what is
# installed is recent enough, and builds into ./build.
#   scripts/setup.sh                   what building and running need
#   scripts/setup.sh --tests           also what the test suite needs
#   scripts/setup.sh --check [--tests] only check, install and build nothing
# Everything comes from Debian's archive; nothing from npm or PyPI.
set -euo pipefail
cd "$(dirname "$0")/.."

with_tests=no
check_only=no
for arg in "$@"; do
  case "$arg" in
    --tests) with_tests=yes ;;
    --check) check_only=yes ;;
    *) echo "usage: $0 [--tests] [--check]" >&2; exit 2 ;;
  esac
done

packages=(
  meson ninja-build pkg-config gcc
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev libsoup-3.0-dev
  gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good
  gstreamer1.0-x curl libcrypt-dev glib-networking libjson-glib-dev
)
if [ "$with_tests" = yes ]; then
  # PyGObject for the end-to-end tests; Chromium, its driver and selenium
  # for the browser tests; indent for the style check; wrk for the request
  # floods; valgrind, clang and its libFuzzer runtime for CI's memory checks
  # and fuzzer; jq for the benchmarks. For access control: htpasswd
  # (apache2-utils) and mkpasswd (whois) make password files, openssl
  # certificates, certutil (libnss3-tools) makes Chromium trust them; curl,
  # ffmpeg and nginx-light are clients and a proxy to test with; GnuTLS
  # lets the benchmark's load client speak https; prometheus (with
  # promtool) checks and scrapes /metrics. pipelines/detect.sh's tests:
  # OpenCV's GStreamer plugin (facedetect) and face models, and a photograph
  # with a face (astronaut.png in python3-imageio).
  packages+=(python3-gi gir1.2-gstreamer-1.0 gir1.2-gst-plugins-base-1.0
    chromium chromium-driver python3-selenium indent wrk valgrind clang
    libclang-rt-14-dev jq apache2-utils whois openssl libnss3-tools ffmpeg
    nginx-light libgnutls28-dev prometheus gstreamer1.0-opencv opencv-data
    python3-imageio)
fi

# Stops with one sentence: what is wrong and what to do.
fail() {
  echo "setup.sh: $*" >&2
  exit 1
}

# at_least NAME FOUND WANTED PACKAGE: FOUND >= WANTED, as Debian compares
# versions; else a sentence naming the Debian package that has it.
at_least() {
  [ -n "$2" ] || fail "$1 is missing: this project needs $1 >= $3 (apt-get install $4)."
  dpkg --compare-versions "$2" ge "$3" ||
    fail "$1 $2 is too old: this project needs $1 >= $3, which Debian 12 has (apt-get install $4; an older $1 earlier in PATH hides it)."
}

pkg_version() {
  pkg-config --modversion "$1" 2>/dev/null || true
}

check_requirements() {
  local v chromium chromedriver

  v=$(meson --version 2>/dev/null || true)
  at_least meson "$v" 1.0 meson
  command -v ninja >/dev/null || fail "ninja is missing; run scripts/setup.sh (apt-get install ninja-build)."
  at_least gstreamer-1.0 "$(pkg_version gstreamer-1.0)" 1.22 libgstreamer1.0-dev
  at_least gstreamer-base-1.0 "$(pkg_version gstreamer-base-1.0)" 1.22 libgstreamer1.0-dev
  at_least libsoup-3.0 "$(pkg_version libsoup-3.0)" 3.2 libsoup-3.0-dev
  at_least gio-2.0 "$(pkg_version gio-2.0)" 2.74 libglib2.0-dev
  at_least libcrypt "$(pkg_version libcrypt)" 4.4 libcrypt-dev
  at_least json-glib-1.0 "$(pkg_version json-glib-1.0)" 1.6 libjson-glib-dev
  [ -e "$(pkg-config --variable=giomoduledir gio-2.0)/libgiognutls.so" ] ||
    fail "GIO has no TLS backend, so https cannot work; apt-get install glib-networking."
  for element in videotestsrc jpegenc jpegdec multipartdemux souphttpsrc; do
    gst-inspect-1.0 --exists "$element" ||
      fail "GStreamer has no $element element; apt-get install gstreamer1.0-plugins-base gstreamer1.0-plugins-good."
  done

  [ "$with_tests" = yes ] || return 0

  /usr/bin/python3 -c 'import gi; gi.require_version("Gst", "1.0"); gi.require_version("GstApp", "1.0"); from gi.repository import Gst, GstApp' 2>/dev/null ||
    fail "/usr/bin/python3 cannot load GStreamer through PyGObject; apt-get install python3-gi gir1.2-gstreamer-1.0 gir1.2-gst-plugins-base-1.0."
  v=$(/usr/bin/python3 -c 'import selenium; print(selenium.__version__)' 2>/dev/null || true)
  at_least python3-selenium "$v" 4.8 python3-selenium
  chromium=${CHROMIUM:-/usr/bin/chromium}
  chromedriver=${CHROMEDRIVER:-/usr/bin/chromedriver}
  [ -x "$chromium" ] || fail "$chromium is missing; apt-get install chromium."
  [ -x "$chromedriver" ] || fail "$chromedriver is missing; apt-get install chromium-driver."
  # not under the ASan test setup's preloaded runtime
  v=$(env -u LD_PRELOAD "$chromium" --version 2>/dev/null | grep -o -E '[0-9]+(\.[0-9]+)+' | head -n 1 || true)
  at_least chromium "$v" 120 chromium
  local driver_v
  driver_v=$(env -u LD_PRELOAD "$chromedriver" --version 2>/dev/null | grep -o -E '[0-9]+(\.[0-9]+)+' | head -n 1 || true)
  [ "${v%%.*}" = "${driver_v%%.*}" ] ||
    fail "chromium $v and chromedriver ${driver_v:-(no version)} differ in their major version; install both from Debian: apt-get install chromium chromium-driver."
  local pair
  for pair in indent:indent wrk:wrk valgrind:valgrind clang:clang jq:jq \
      htpasswd:apache2-utils mkpasswd:whois openssl:openssl \
      certutil:libnss3-tools ffmpeg:ffmpeg nginx:nginx-light \
      prometheus:prometheus promtool:prometheus; do
    command -v "${pair%%:*}" >/dev/null ||
      fail "${pair%%:*} is missing; run scripts/setup.sh --tests (apt-get install ${pair#*:})."
  done
  pkg-config --exists gnutls ||
    fail "GnuTLS headers are missing for the benchmark's https client; apt-get install libgnutls28-dev."
  gst-inspect-1.0 --exists facedetect ||
    fail "GStreamer has no facedetect element for pipelines/detect.sh's tests; apt-get install gstreamer1.0-opencv opencv-data."
  [ -e /usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml ] ||
    fail "OpenCV's face model is missing for pipelines/detect.sh's tests; apt-get install opencv-data."
  [ -e /usr/lib/python3/dist-packages/imageio/resources/images/astronaut.png ] ||
    fail "the photograph pipelines/detect.sh's tests detect a face in is missing; apt-get install python3-imageio."
}

if [ "$check_only" = yes ]; then
  check_requirements
  echo "setup.sh: every requirement is met"
  exit 0
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
  # Debian starts nginx on port 80 as it installs it; the tests run their
  # own nginx on loopback, and a web server open to the network is not
  # something a test set-up should leave behind.
  if [[ " ${missing[*]} " == *" nginx-light "* ]] && command -v systemctl >/dev/null &&
      systemctl is-enabled --quiet nginx 2>/dev/null; then
    $sudo systemctl disable --now nginx >/dev/null 2>&1 || true
    echo "setup.sh: stopped and disabled the nginx service Debian started on install (the tests run their own)."
  fi
  # Prometheus too: Debian starts it listening on every address (port
  # 9090); the stats tests run their own on loopback.
  if [[ " ${missing[*]} " == *" prometheus "* ]] && command -v systemctl >/dev/null &&
      systemctl is-enabled --quiet prometheus 2>/dev/null; then
    $sudo systemctl disable --now prometheus >/dev/null 2>&1 || true
    echo "setup.sh: stopped and disabled the prometheus service Debian started on install (the tests run their own)."
  fi
fi

check_requirements

if [ -d build ]; then
  meson setup --reconfigure build >/dev/null
else
  meson setup build >/dev/null
fi
ninja -C build
