#!/usr/bin/env bash
# A moving test pattern with the time of day on it: the first thing to run,
# no camera needed.
#
# Settings (environment): PORT (8080), ADDRESS (127.0.0.1; 0.0.0.0 serves
# the whole network), WIDTH (640), HEIGHT (480), FPS (30), IDLE_TIMEOUT (10
# s without a viewer before the pipeline pauses; 0 = never).
set -euo pipefail
# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

pipeline=(videotestsrc is-live=true pattern=ball
  ! "video/x-raw,width=$WIDTH,height=$HEIGHT,framerate=$FPS/1")
# The clock shows at a glance that the picture is live. It comes with
# GStreamer's pango plugin, which Debian packages as gstreamer1.0-x.
if gst-inspect-1.0 clockoverlay >/dev/null 2>&1; then
  pipeline+=(! clockoverlay)
else
  echo "No clockoverlay element: install gstreamer1.0-x to see the time" \
    "on the picture." >&2
fi
pipeline+=(! jpegenc ! "${mjpeghttp_sink[@]}")

mjpeghttp_launch "${pipeline[@]}"
