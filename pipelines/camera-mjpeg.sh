#!/usr/bin/env bash
# A V4L2 camera that compresses to MJPEG itself (most USB webcams): its
# frames are served as they come, never decoded or encoded here.
#
# Settings (environment): DEVICE (/dev/video0), PORT (8080), ADDRESS
# (127.0.0.1; 0.0.0.0 serves the whole network), WIDTH (640), HEIGHT (480),
# FPS (30): a mode the camera offers as MJPEG, see
# `v4l2-ctl -d /dev/video0 --list-formats-ext` (package v4l-utils);
# IDLE_TIMEOUT (10 s without a viewer before the camera stops; 0 = never).
# SOURCE replaces the camera element, split on blanks, e.g. for a test
# without a camera: SOURCE='videotestsrc is-live=true ! jpegenc'.
set -euo pipefail
# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

mjpeghttp_camera_source
mjpeghttp_launch "${mjpeghttp_source[@]}" \
  ! "image/jpeg,width=$WIDTH,height=$HEIGHT,framerate=$FPS/1" \
  ! "${mjpeghttp_sink[@]}"
