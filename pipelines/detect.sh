#!/usr/bin/env bash
# Faces outlined live: the frames of a camera that sends MJPEG, or the JPEG
# files of a folder in a loop, are decoded, run through OpenCV's face
# detector (GStreamer's facedetect, which draws an ellipse round each face)
# and encoded again. Each served part keeps the number and capture time its
# source gave the frame (X-Frame-Number, X-Timestamp, set by
# mjpeghttpstamp), so that a viewer can tell which frame each picture is.
#
# Needs GStreamer's OpenCV plugin and OpenCV's face models, which the rest
# of mjpeghttp does not: apt-get install gstreamer1.0-opencv opencv-data.
#
# Settings (environment): FRAMES (a folder of .jpg/.jpeg files, played in
# a loop in the natural order of their names; without it, the camera),
# DEVICE (/dev/video0), PORT (8080), ADDRESS (127.0.0.1; 0.0.0.0 serves the
# whole network), WIDTH (640) and HEIGHT (480) of the camera, FPS (30 for
# the camera, 10 for a folder), IDLE_TIMEOUT (10 s without a viewer before
# the pipeline pauses; 0 = never), CASCADE (the face model, OpenCV's
# frontal face Haar cascade from opencv-data), DETECT_OPTIONS (more
# properties of facedetect, split on blanks, e.g. 'min-neighbors=5
# min-size-width=60'; gst-inspect-1.0 facedetect lists them).
# SOURCE replaces the camera element, split on blanks, e.g. for a test
# without a camera: SOURCE='videotestsrc is-live=true ! jpegenc'.
set -euo pipefail
if [[ -n ${FRAMES:-} ]]; then
  FPS=${FPS:-10}
fi
# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

CASCADE=${CASCADE:-/usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml}
DETECT_OPTIONS=${DETECT_OPTIONS:-}

if ! gst-inspect-1.0 --exists facedetect; then
  mjpeghttp_die "GStreamer has no facedetect element: install OpenCV's" \
    "plugin and face models (apt-get install gstreamer1.0-opencv" \
    "opencv-data)"
fi
# Without its model facedetect passes every frame on untouched, silently.
if [[ ! -r $CASCADE ]]; then
  mjpeghttp_die "no face model at CASCADE=$CASCADE: install OpenCV's face" \
    "models (apt-get install opencv-data) or set CASCADE to a Haar or LBP" \
    "cascade file"
fi
# facedetect also loads nose, mouth and eye-pair models that Debian does
# not ship and that it uses only when asked to; OpenCV prints an error for
# each one. Quiet, unless OPENCV_LOG_LEVEL says otherwise.
export OPENCV_LOG_LEVEL=${OPENCV_LOG_LEVEL:-FATAL}

read -ra detect_options <<<"$DETECT_OPTIONS"

# mjpeghttpstamp, right after the source, numbers each frame and notes its
# capture time in metas that jpegdec, videoconvert, facedetect and jpegenc
# carry along to the sink.
if [[ -n ${FRAMES:-} ]]; then
  mjpeghttp_frames_folder
  work=$mjpeghttp_work
  count=$mjpeghttp_count
  echo "Detecting faces in the $count JPEG files of $FRAMES, in a loop at" \
    "$FPS fps."
  # No queue: each file is read once the previous frame is out, so every
  # frame is detected, none is dropped, and the sink paces them by the
  # timestamps jpegdec gives from the framerate (multifilesrc gives none,
  # so each frame's capture time is when it is read). A detector slower
  # than FPS slows the loop down.
  pipeline=(multifilesrc "location=$work/%06d.jpg" loop=true
    "caps=image/jpeg,framerate=$FPS/1" ! mjpeghttpstamp)
else
  # A camera does not wait: while the detector works on one frame, the
  # queue keeps only the newest of those that come meanwhile, so the
  # picture stays current and the skipped frames show as gaps in
  # X-Frame-Number. Without it the detector would get the oldest of the
  # frames the camera holds, and the picture would lag by as many.
  mjpeghttp_camera_source
  pipeline=("${mjpeghttp_source[@]}"
    ! "image/jpeg,width=$WIDTH,height=$HEIGHT,framerate=$FPS/1"
    ! mjpeghttpstamp
    ! queue leaky=downstream max-size-buffers=1 max-size-bytes=0
    max-size-time=0)
fi
pipeline+=(! jpegdec ! videoconvert
  ! facedetect "profile=$CASCADE" "${detect_options[@]}"
  ! videoconvert ! jpegenc ! "${mjpeghttp_sink[@]}")

mjpeghttp_launch "${pipeline[@]}"
