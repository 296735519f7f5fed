#!/usr/bin/env bash
# The JPEG files of a folder, played in a loop at FPS frames per second in
# the natural order of their names (frame2.jpg before frame10.jpg). Without
# FRAMES a three-second demo folder is made and played.
#
# Settings (environment): FRAMES (a folder of .jpg/.jpeg files), FPS (10),
# PORT (8080), ADDRESS (127.0.0.1; 0.0.0.0 serves the whole network), WIDTH
# (640) and HEIGHT (480) of the demo frames, IDLE_TIMEOUT (10 s without a
# viewer before the pipeline pauses; 0 = never).
set -euo pipefail
FPS=${FPS:-10}
# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

mjpeghttp_frames_folder
work=$mjpeghttp_work
if [[ -n ${FRAMES:-} ]]; then
  echo "Playing the $mjpeghttp_count JPEG files of $FRAMES in a loop at" \
    "$FPS fps."
else
  count=$((3 * FPS))
  gst-launch-1.0 -q videotestsrc pattern=ball "num-buffers=$count" \
    ! "video/x-raw,width=$WIDTH,height=$HEIGHT" ! jpegenc \
    ! multifilesink "location=$work/%06d.jpg"
  echo "FRAMES is not set: playing $count demo frames in a loop at $FPS fps."
fi

# multifilesrc leaves its buffers without timestamps and imagesequencesrc
# does not loop; jpegdec stamps each frame from the framerate, and by those
# stamps the sink plays the frames in real time.
mjpeghttp_launch multifilesrc "location=$work/%06d.jpg" loop=true \
  "caps=image/jpeg,framerate=$FPS/1" ! jpegdec ! jpegenc \
  ! "${mjpeghttp_sink[@]}"
