#!/bin/sh
# gst-inspect-1.0 must find the elements in the build tree and document every
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
src=$("$inspect" mjpeghttpsrc)
for word in location user-id user-pw tls-ca-file timeout retry-delay \
    retry-delay-max max-frame-size "image/jpeg" "Source/Network"; do
  if ! printf '%s\n' "$src" | grep -q -- "$word"; then
    echo "gst-inspect-1.0 mjpeghttpsrc does not mention $word"
    status=1
  fi
done
if ! "$inspect" mjpeghttpstamp | grep -q "Filter/Metadata"; then
  echo "gst-inspect-1.0 mjpeghttpstamp does not describe the element"
  status=1
fi
exit $status
