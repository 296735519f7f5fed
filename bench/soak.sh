#!/bin/sh
# soak.sh: the hostile-client soak test (bench/soak.c) against mjpeghttpsink
# serving a live 640x480 30 fps test pattern on 127.0.0.1.
#
#   bench/soak.sh [BUILD_DIR]
#
# BUILD_DIR (default build) must already hold the plugin (BUILD_DIR/gst) and
# soak (BUILD_DIR/bench/soak): this script builds nothing (ninja -C build).
# It starts gst-launch-1.0 with the plugin on a free port (idle-timeout=0, so
# that the source never pauses), runs soak against it with --server-pid,
# prints soak's report (markdown) on stdout, then stops gst-launch-1.0 with
# SIGINT, and SIGKILL if it has not gone 10 s later.  It exits with soak's
# status: non-zero only when the soak could not run.
#
# Environment, with defaults:
#   SECONDS_SOAK=60  the attack window (soak --seconds); the whole run takes
#                    about 3 s more before it and 10 s after it
#   SCALE=1          multiplies every hostile count (soak --scale)
#   SINK_PROPS=      extra mjpeghttpsink properties, e.g. "max-clients=200"
#   SOAK_JSON=       also write soak's figures as JSON to this file
#
# A short CI run: SECONDS_SOAK=30 SCALE=0.2 bench/soak.sh build

set -u

builddir=${1:-build}
SECONDS_SOAK=${SECONDS_SOAK:-60}
SCALE=${SCALE:-1}
SINK_PROPS=${SINK_PROPS:-}
SOAK_JSON=${SOAK_JSON:-}

note() { printf 'soak.sh: %s\n' "$*" >&2; }

if [ ! -x "$builddir/bench/soak" ] || [ ! -d "$builddir/gst" ]; then
  note "$builddir/bench/soak or $builddir/gst missing: build first (ninja -C $builddir)"
  exit 2
fi
command -v gst-launch-1.0 >/dev/null || { note "gst-launch-1.0 not found"; exit 2; }

log=$(mktemp)
gst_pid=

stop_server() {
  [ -n "$gst_pid" ] || return 0
  kill -INT "$gst_pid" 2>/dev/null
  i=0
  while kill -0 "$gst_pid" 2>/dev/null && [ $i -lt 100 ]; do
    sleep 0.1
    i=$((i + 1))
  done
  if kill -0 "$gst_pid" 2>/dev/null; then
    note "gst-launch-1.0 ignored SIGINT for 10 s: SIGKILL"
    kill -KILL "$gst_pid" 2>/dev/null
  fi
  wait "$gst_pid" 2>/dev/null
  gst_pid=
}

# whatever ends this script, the server goes with it
trap 'stop_server; rm -f "$log"' EXIT
trap 'exit 130' INT TERM

# SINK_PROPS unquoted on purpose: one word per property
# shellcheck disable=SC2086
GST_PLUGIN_PATH=$builddir/gst gst-launch-1.0 -m \
  videotestsrc is-live=true \
  ! video/x-raw,width=640,height=480,framerate=30/1 ! jpegenc \
  ! mjpeghttpsink address=127.0.0.1 port=0 idle-timeout=0 $SINK_PROPS \
  >"$log" 2>&1 &
gst_pid=$!

# -m prints the element message; its port field is the one the kernel chose
port=
i=0
while [ -z "$port" ] && [ $i -lt 100 ]; do
  if ! kill -0 "$gst_pid" 2>/dev/null; then
    note "gst-launch-1.0 exited before listening:"
    cat "$log" >&2
    exit 1
  fi
  port=$(sed -n 's/.*mjpeghttpsink-listening.*port=(int)\([0-9]*\).*/\1/p' "$log" | head -n 1)
  [ -n "$port" ] || sleep 0.1
  i=$((i + 1))
done
if [ -z "$port" ]; then
  note "no mjpeghttpsink-listening message within 10 s:"
  cat "$log" >&2
  exit 1
fi

set -- --url "http://127.0.0.1:$port" --seconds "$SECONDS_SOAK" \
  --scale "$SCALE" --server-pid "$gst_pid"
[ -n "$SOAK_JSON" ] && set -- "$@" --json "$SOAK_JSON"
"$builddir/bench/soak" "$@"
status=$?
stop_server
exit $status
