#!/usr/bin/env bash
# Serves again the stream of another sink (the origin), frame for frame
# without re-encoding, keeping its frame numbers and capture times: the
# way to spread viewers over machines (docs/scaling.md). When the origin
# goes away the relay keeps its viewers and reconnects with back-off;
# when nobody watches the relay, it lets go of the origin.
#
# Usage: relay.sh ORIGIN_URL (or ORIGIN=URL), e.g.
#   PORT=8081 pipelines/relay.sh http://camera:8080/stream
# Settings (environment): ORIGIN, PORT (8080), ADDRESS (127.0.0.1; 0.0.0.0
# serves the whole network), IDLE_TIMEOUT (10 s without a viewer before
# the relay disconnects from the origin; 0 = never), IDLE_STATE (ready;
# paused disconnects too), ORIGIN_OPTIONS (more mjpeghttpsrc properties,
# e.g. "user-id=relay user-pw=secret"; these show in the process list, so
# keep a relay's password on a machine of your own), SINK_OPTIONS.
set -euo pipefail
IDLE_STATE=${IDLE_STATE:-ready}
# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if (($# > 1)); then
  mjpeghttp_bad_setting "takes one argument, the origin's stream URL"
fi
ORIGIN=${1:-${ORIGIN:-}}
case $ORIGIN in
  http://* | https://*) ;;
  '') mjpeghttp_bad_setting "no origin: give the origin's stream URL, e.g." \
    "relay.sh http://camera:8080/stream" ;;
  *) mjpeghttp_bad_setting "ORIGIN must be an http:// or https:// URL of a" \
    "stream, not '$ORIGIN'" ;;
esac

read -ra origin_options <<<"${ORIGIN_OPTIONS:-}"
# sync=false: each frame goes out as it comes in; waiting for the clock
# would only add the sink's processing deadline (20 ms) to every hop.
mjpeghttp_launch mjpeghttpsrc "location=$ORIGIN" "${origin_options[@]}" \
  ! "${mjpeghttp_sink[@]}" sync=false
