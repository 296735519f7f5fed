# Sourced by every script in this folder: the settings they share, the
# plugin from the build tree when it is not installed, and the URL to open.
# The arrays it sets are used by those scripts, which shellcheck cannot see.
# shellcheck shell=bash disable=SC2034

PORT=${PORT:-8080}
ADDRESS=${ADDRESS:-127.0.0.1}
WIDTH=${WIDTH:-640}
HEIGHT=${HEIGHT:-480}
FPS=${FPS:-30}
DEVICE=${DEVICE:-/dev/video0}
IDLE_TIMEOUT=${IDLE_TIMEOUT:-10}

# The scripts run gst-launch-1.0 without -e: with -e, Ctrl+C sends an end of
# stream and waits for it, and a live source that the sink has paused for
# lack of viewers holds it back until it plays again, so Ctrl+C would hang.

mjpeghttp_die ()
{
  echo "$(basename "$0"): $*" >&2
  exit 1
}

# A checkout that was built but not installed works as it is: the plugin is
# taken from build/gst beside this folder (or from $MJPEGHTTP_BUILD_DIR).
mjpeghttp_find_plugin ()
{
  local here build_dir

  if gst-inspect-1.0 mjpeghttpsink >/dev/null 2>&1; then
    return
  fi
  here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
  build_dir=${MJPEGHTTP_BUILD_DIR:-$here/../build}
  # GStreamer reads GST_PLUGIN_PATH only when GST_PLUGIN_PATH_1_0 is unset.
  if [[ -n ${GST_PLUGIN_PATH_1_0+set} ]]; then
    export GST_PLUGIN_PATH_1_0="$build_dir/gst:$GST_PLUGIN_PATH_1_0"
  else
    export GST_PLUGIN_PATH="$build_dir/gst${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"
  fi
  if ! gst-inspect-1.0 mjpeghttpsink >/dev/null 2>&1; then
    mjpeghttp_die "the mjpeghttpsink element is neither installed nor built" \
      "in $build_dir; build it first: meson setup build && ninja -C build"
  fi
}

# Checked here because the URL is printed before gst-launch-1.0 would
# complain, and port 0 gives a URL nobody can know beforehand.
mjpeghttp_check_settings ()
{
  local name

  if ! [[ $PORT =~ ^[0-9]+$ ]] || ((PORT < 1 || PORT > 65535)); then
    mjpeghttp_die "PORT must be a port number from 1 to 65535, not '$PORT'"
  fi
  if ! [[ $IDLE_TIMEOUT =~ ^[0-9]+$ ]]; then
    mjpeghttp_die "IDLE_TIMEOUT must be a whole number of seconds (0: never" \
      "pause), not '$IDLE_TIMEOUT'"
  fi
  for name in WIDTH HEIGHT FPS; do
    if ! [[ ${!name} =~ ^[1-9][0-9]*$ ]]; then
      mjpeghttp_die "$name must be a positive whole number, not '${!name}'"
    fi
  done
}

# The sink's own URL rules: a wildcard address is reached by the host name,
# an IPv6 one needs brackets.
mjpeghttp_url_host ()
{
  case $ADDRESS in
    0.0.0.0 | ::) hostname ;;
    *:*) echo "[$ADDRESS]" ;;
    *) echo "$ADDRESS" ;;
  esac
}

mjpeghttp_announce ()
{
  local base

  base="http://$(mjpeghttp_url_host):$PORT"
  echo "Open $base/ in a browser (stream: $base/stream," \
    "snapshot: $base/snapshot). Stop with Ctrl+C."
}

# Sets mjpeghttp_source to the camera, or to $SOURCE split on blanks: how
# the camera scripts are tested on a machine without a camera.
mjpeghttp_camera_source ()
{
  local cameras

  if [[ -n ${SOURCE:-} ]]; then
    read -ra mjpeghttp_source <<<"$SOURCE"
    return
  fi
  if [[ ! -e $DEVICE ]]; then
    cameras=$(shopt -s nullglob && echo /dev/video*)
    mjpeghttp_die "no camera at $DEVICE (cameras here: ${cameras:-none});" \
      "set DEVICE"
  fi
  mjpeghttp_source=(v4l2src "device=$DEVICE")
}

mjpeghttp_check_settings
mjpeghttp_find_plugin

# gst-launch-1.0 takes the pipeline as one word per argument: a value with
# a space in it stays one argument.
mjpeghttp_sink=(mjpeghttpsink "address=$ADDRESS" "port=$PORT"
  "idle-timeout=$IDLE_TIMEOUT")
