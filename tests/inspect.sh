#!/bin/sh
# gst-inspect-1.0 must find the element in the build tree and document every
# property and signal with a blurb.
set -eu
inspect=${1:-gst-inspect-1.0}
out=$("$inspect" mjpeghttpsink)
status=0
for word in address port current-port max-clients num-clients listen-backlog \
    viewer-path stream-path snapshot-path client-added client-removed \
    timeout max-clients-per-address header-timeout max-pending-connections \
    request-rate request-burst stats GstMjpegHttpSinkClientStatus \
    "image/jpeg" "Sink/Network"; do
  if ! printf '%s\n' "$out" | grep -q -- "$word"; then
    echo "gst-inspect-1.0 mjpeghttpsink does not mention $word"
    status=1
  fi
done
exit $status
