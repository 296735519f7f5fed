#!/usr/bin/env bash
# snapshot-bench.sh: how many snapshots a second a server answers while it
# streams to 0, 100 and 1000 viewers, and what the viewers get meanwhile;
# mjpeghttpsink and the floor server side by side, on the same pre-encoded
# 640x480 frames at 30 fps.  Prints one markdown table.
#
#   bench/snapshot-bench.sh [BUILD_DIR]
#
# BUILD_DIR (argument or environment; default <repo>/build) holds the built
# plugin in BUILD_DIR/gst and the floor server in BUILD_DIR/bench/floor.
# Environment knobs, with their defaults:
#   SECONDS_PER_RUN=8     how long wrk asks for snapshots in each run
#   VIEWERS="0 100 1000"  stream viewers of each run
#   SERVERS="mjpeghttpsink floor"
#   BASE_PORT=19700       ports BASE_PORT+1, BASE_PORT+2, ... (loopback)
# The defaults take about a minute (six runs of SECONDS_PER_RUN + ~3 s).
#
# Each run: the server starts afresh; the viewers (bench/mjpeg-load) connect
# from 127.0.0.2 over 1 s and settle for 0.5 s; then, for SECONDS_PER_RUN,
# wrk -t2 -c50 asks for /snapshot from 127.0.0.1 while mjpeg-load measures
# the viewers' frame rate over the same window and the server's CPU time
# (utime + stime of the whole process, from /proc) is taken at wrk's start
# and end.  Our sink runs with request-rate=0, max-clients=0 and
# max-clients-per-address=0, so that what is measured is serving snapshots,
# not the limits that protect it; idle-timeout=0 keeps the idle pause out of
# the runs without viewers.
#
# Everything binds 127.0.0.x; everything started is stopped on exit.
# Needs wrk (apt-get install wrk), jq, perl, cc and GStreamer's
# imagesequencesrc and jpegenc (gstreamer1.0-plugins-bad / -good).

set -u -o pipefail

# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

SIZE=640x480
VIEWER_ADDRESS=127.0.0.2
CONNECT_MS=1000
WARMUP_MS=500

for arg in "$@"; do
  bench_arg "$arg"
done
SECONDS_PER_RUN=${SECONDS_PER_RUN:-8}
VIEWERS=${VIEWERS:-0 100 1000}
SERVERS=${SERVERS:-mjpeghttpsink floor}
BASE_PORT=${BASE_PORT:-19700}

need_tools gst-launch-1.0 wrk jq awk perl cc
case "$SECONDS_PER_RUN" in
  ''|*[!0-9]*|0) note "SECONDS_PER_RUN must be a whole number of seconds"; exit 2 ;;
esac

bench_start mjpeg-snapshot-bench

# ---- tools ------------------------------------------------------------------

build_load || exit 1

# ---- frames -----------------------------------------------------------------

# run-bench.sh's 640x480 set (lib.sh): ball at quality 85 (~10 KB)
frames=$tmp/frames
note "== generating $SIZE frames"
make_frames $SIZE "$frames" || { note "frame generation failed"; exit 1; }
frame_kb=$(frames_kb "$frames")

# ---- one run ----------------------------------------------------------------

port=$BASE_PORT

start_server() {
  local name=$1 log=$2
  case "$name" in
    mjpeghttpsink)
      start_sink $port "$frames" "$log" max-clients=0 \
        max-clients-per-address=0 request-rate=0 idle-timeout=0
      ;;
    floor)
      start_floor $port "$frames" "$log"
      ;;
  esac
}

# utime + stime of every thread of the process, in clock ticks
cpu_ticks() {
  sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'
}

now() { date +%s.%N; }

# run SERVER VIEWERS: one TSV line in $tmp/row, or an empty file
run_one() {
  local name=$1 n=$2 log t0 t1 c0 c1 fps_med=- fps_min=- viewers_ok=-
  log=$tmp/$name-$n.log
  port=$((port + 1))
  : >"$tmp/row"
  start_server "$name" "$log"
  server_ready "$name" $port "$log" || return
  if [ "$n" -gt 0 ]; then
    timeout $((SECONDS_PER_RUN + 30)) "$load" \
      --url "http://127.0.0.1:$port/stream" --bind $VIEWER_ADDRESS -n "$n" \
      --connect-burst-ms $CONNECT_MS --warmup-ms $WARMUP_MS \
      --seconds "$SECONDS_PER_RUN" --json >"$tmp/load.json" &
    load_pid=$!
    # wrk starts as mjpeg-load's measurement window does
    sleep "$(awk -v a=$CONNECT_MS -v b=$WARMUP_MS 'BEGIN { print (a + b) / 1000 }')"
  fi
  t0=$(now); c0=$(cpu_ticks "$server_pid")
  wrk -t2 -c50 -d"${SECONDS_PER_RUN}s" "http://127.0.0.1:$port/snapshot" \
    >"$tmp/wrk.txt" 2>&1
  t1=$(now); c1=$(cpu_ticks "$server_pid")
  if [ -n "$load_pid" ]; then
    wait "$load_pid"
    load_pid=
    read -r fps_med fps_min viewers_ok < <(jq -r \
      '[.fast.fps_median, .fast.fps_min, "\(.fast.got_200)/\(.clients)"] | @tsv' \
      "$tmp/load.json" 2>/dev/null) || { fps_med=- fps_min=- viewers_ok=-; }
  fi
  if ! kill -0 "$server_pid" 2>/dev/null; then
    note "   $name died; log:"; tail -5 "$log" >&2
  fi
  stop_server
  # requests, not 2xx/3xx, socket errors (connect, read, write, timeout)
  awk -v server="$name" -v n="$n" -v t0="$t0" -v t1="$t1" -v c0="$c0" \
    -v c1="$c1" -v hz="$(getconf CLK_TCK)" -v med="$fps_med" \
    -v min="$fps_min" -v ok="$viewers_ok" '
    / requests in / { req = $1 }
    /Non-2xx or 3xx responses:/ { bad = $NF }
    /Socket errors:/ { gsub(/,/, ""); err = $4 + $6 + $8 + $10 }
    END {
      if (req == "") exit 1
      wall = t1 - t0
      printf "%s\t%s\t%.0f\t%s\t%s\t%.1f\t%d\t%d\t%s\n", server, n,
        (req - bad) / wall, med, min, (c1 - c0) / hz / wall * 100,
        bad, err, ok
    }' "$tmp/wrk.txt" >"$tmp/row" || {
      note "   wrk gave no summary:"; cat "$tmp/wrk.txt" >&2; : >"$tmp/row"; }
}

# ---- the runs ---------------------------------------------------------------

loadavg=$(cut -d' ' -f1-3 /proc/loadavg)
rows=$tmp/rows.tsv
: >"$rows"
for n in $VIEWERS; do
  for server in $SERVERS; do
    server_built "$server" || continue
    note "== $server, $n viewers, $SECONDS_PER_RUN s of snapshots"
    run_one "$server" "$n"
    if [ ! -s "$tmp/row" ]; then
      note "   no result"
      continue
    fi
    IFS=$'\t' read -r _ _ sps med min cpu bad err ok <"$tmp/row"
    note "   $sps snapshots/s ($bad not 2xx, $err socket errors), viewers $ok answered, fps $med / $min, server CPU $cpu %"
    cat "$tmp/row" >>"$rows"
  done
done
[ -s "$rows" ] || { note "no run gave a result"; exit 1; }

# ---- the report -------------------------------------------------------------

echo
echo "Snapshots under \`wrk -t2 -c50 -d${SECONDS_PER_RUN}s\` from 127.0.0.1 while viewers from"
echo "$VIEWER_ADDRESS stream $SIZE JPEGs of ~$frame_kb KB at $FPS fps; $(nproc) CPUs, load"
echo "average $loadavg before the run; server CPU in % of one core."
echo
awk -F'\t' '
  function f(x) { return (x == "-" || x == "") ? "-" : sprintf("%.1f", x) }
  BEGIN {
    print "| server | viewers | snapshots/s | viewers fps median / min | server CPU % |"
    print "|---|---|---|---|---|"
  }
  {
    print "| " $1 " | " $2 " | " $3 " | " ($2 > 0 ? f($4) " / " f($5) : "-") \
      " | " $6 " |"
    if ($7 > 0 || $8 > 0)
      notes[++nn] = $1 ", " $2 " viewers: " $7 " answers not 2xx, " $8 " socket errors"
    split($9, v, "/")
    if ($9 != "-" && v[1] != v[2])
      notes[++nn] = $1 ", " $2 " viewers: only " v[1] " of " v[2] " viewers answered 200"
  }
  END {
    if (nn) print ""
    for (i = 1; i <= nn; i++) print "- " notes[i]
  }' "$rows"
