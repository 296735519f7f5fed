#!/usr/bin/env bash
# Installs the plugin where GStreamer looks for it, so that gst-inspect-1.0
# and gst-launch-1.0 find mjpeghttpsink with no environment, and with it
# the command mjpeghttp-serve, the service mjpeghttp@.service and
# /etc/mjpeghttp/example.conf. Run it after scripts/setup.sh (which builds
# into ./build); it is the same as:
#   meson configure build --prefix=/usr   (meson setup build --prefix=/usr
#                                          if build/ is not there yet)
#   ninja -C build
#   sudo meson install -C build --no-rebuild
# Why --prefix=/usr: GStreamer looks for plugins in its own folder,
# /usr/lib/<arch>/gstreamer-1.0, which is the one under that prefix; under
# meson's default prefix, /usr/local, it would need GST_PLUGIN_PATH. And
# `meson setup build --prefix=/usr` on a build/ that exists already changes
# nothing ("Directory already configured"): `meson configure` does.
# Building is done as the user who runs this, installing through sudo when
# that user is not root (as scripts/setup.sh does).
set -euo pipefail
cd "$(dirname "$0")/.."

[ $# -eq 0 ] || { echo "usage: $0 (no arguments; see the comment at its top)" >&2; exit 2; }

fail() {
  echo "install.sh: $*" >&2
  exit 1
}

{ command -v meson && command -v ninja; } >/dev/null ||
  fail "meson or ninja is missing; run scripts/setup.sh first."

if [ -f build/build.ninja ]; then
  meson configure build --prefix=/usr
else
  meson setup build --prefix=/usr >/dev/null
fi
ninja -C build

sudo=""
[ "$(id -u)" -eq 0 ] || sudo=sudo
$sudo meson install -C build --no-rebuild

# The proof, with none of this shell's GStreamer settings.
if ! env -i PATH=/usr/bin:/bin gst-inspect-1.0 mjpeghttpsink >/dev/null 2>&1; then
  fail "installed, but gst-inspect-1.0 does not find mjpeghttpsink; see the install log above."
fi
echo "install.sh: gst-inspect-1.0 mjpeghttpsink finds the installed plugin."
echo "install.sh: serve a camera at boot: sudo cp /etc/mjpeghttp/example.conf /etc/mjpeghttp/NAME.conf," \
  "edit it, then sudo systemctl enable --now mjpeghttp@NAME (README: A service)."
