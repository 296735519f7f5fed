#!/usr/bin/env bash
# run-bench.sh: serve the same pre-encoded JPEG sequence at 30 fps from
# several MJPEG servers, one after the other, load each with mjpeg-load and
# print one markdown table.
#
#   bench/run-bench.sh [--write-doc] [BUILD_DIR]
#
# BUILD_DIR (argument or environment; default <repo>/build) holds the built
# plugin in BUILD_DIR/gst and the floor server in BUILD_DIR/bench/floor.
# Environment knobs, with their defaults:
#   CLIENTS="1 10 100 500 1000"  client counts, all reading at full rate
#   SLOW_MIX="50 10 20000"       one more run: 50 clients, 10 of them reading
#                                20000 bytes/s ("" to skip)
#   SECONDS_PER_RUN=10           measurement window of each run
#   SIZES="640x480 1280x720"     frame sets (~10 KB and ~48 KB JPEGs)
#   SERVERS="mjpeghttpsink floor tcpserversink vlc"
#   BASE_PORT=19500              ports BASE_PORT, BASE_PORT+1, ... (loopback)
#   RESULTS=FILE                 also keep the raw JSON lines in FILE
# A short CI version: CLIENTS="1 10" SECONDS_PER_RUN=5 bench/run-bench.sh
#
# --write-doc writes the table, the machine and the command into
# docs/performance.md.
#
# Servers: (a) mjpeghttpsink, (b) bench/floor.c, the cheapest fan-out we
# know (the floor), (c) multipartmux ! tcpserversink (no HTTP:
# mjpeg-load --raw), (d) VLC's mpjpeg mux over its HTTP output.  A missing
# one is skipped with a note.  Every server is started afresh for each run,
# so that its peak RSS belongs to that run, and killed on exit whatever
# happens.  Everything binds 127.0.0.1.

set -u -o pipefail

# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

write_doc=0
for arg in "$@"; do
  case "$arg" in
    --write-doc) write_doc=1 ;;
    *) bench_arg "$arg" ;;
  esac
done
CLIENTS=${CLIENTS:-1 10 100 500 1000}
SLOW_MIX=${SLOW_MIX-50 10 20000}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-10}
SIZES=${SIZES:-640x480 1280x720}
SERVERS=${SERVERS:-mjpeghttpsink floor tcpserversink vlc}
BASE_PORT=${BASE_PORT:-19500}
RESULTS=${RESULTS:-}

# VLC sends this boundary whatever the mime says; announcing it in the HTTP
# header makes its stream what a browser expects
VLC_BOUNDARY=7b3cc56e5f51db803f790dad720ed50a

need_tools gst-launch-1.0 gst-inspect-1.0 cc jq awk perl

bench_start mjpeg-bench
# VLC runs as nobody when we are root: it must read the frames
chmod 755 "$tmp"

# ---- tools ------------------------------------------------------------------

build_load || exit 1

# $floor (bench/floor.c) is built by meson with the rest of the build
# directory
vlc_note=
as_vlc_user=()
if ! command -v cvlc >/dev/null; then
  vlc_note="cvlc not installed (apt-get install vlc-bin vlc-plugin-base)"
elif [ "$(id -u)" = 0 ]; then
  # VLC refuses to run as root, and vlc-wrapper only drops a setuid bit
  if command -v setpriv >/dev/null && id nobody >/dev/null 2>&1; then
    as_vlc_user=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
  else
    vlc_note="running as root without setpriv/nobody to run VLC"
  fi
fi

# ---- frames -----------------------------------------------------------------

# lib.sh's frames, and what VLC needs of them: one file to loop, readable
# by nobody
make_vlc_frames() {
  local dir=$2
  make_frames "$@" || return 1
  # VLC reads a concatenation with its mjpeg demuxer
  cat "$dir"/*.jpg > "$dir/all.mjpg"
  chmod -R a+rX "$dir"
}

# ---- one run ----------------------------------------------------------------

port=$BASE_PORT

# Starts server $1 on frame set $2 at $port; sets server_pid.
start_server() {
  local name=$1 dir=$2 log=$3
  case "$name" in
    mjpeghttpsink)
      # one load client stands for many viewers: no per-address limits
      start_sink $port "$dir" "$log" max-clients=0 max-clients-per-address=0 \
        request-rate=0
      ;;
    floor)
      start_floor $port "$dir" "$log"
      ;;
    tcpserversink)
      # newest data.  multipartmux pushes three buffers per part (header,
      # JPEG, CRLF) and only the header is a keyframe: "keyframe" policies
      # keep clients on part boundaries, where "latest" cut parts in two.
      # A new client starts at the newest part; one more than two parts (6
      # buffers) behind jumps to the newest.
      gst-launch-1.0 -q \
        imagesequencesrc location="$dir/ring/%06d.jpg" start-index=0 \
          framerate=$FPS/1 \
        ! multipartmux \
        ! tcpserversink host=127.0.0.1 port=$port sync=true \
          sync-method=latest-keyframe recover-policy=keyframe \
          unit-format=buffers units-soft-max=6 \
        >"$log" 2>&1 &
      server_pid=$!
      ;;
    vlc)
      # --file-caching=0: with the default 1 s cache VLC bursts at every
      # loop of the file, which doubles the frame rate of a short file
      "${as_vlc_user[@]}" env HOME="$tmp" cvlc -q "$dir/all.mjpg" \
        --demux=mjpeg --mjpeg-fps=$FPS --file-caching=0 --loop --sout-keep \
        --sout "#standard{access=http{mime=multipart/x-mixed-replace;boundary=$VLC_BOUNDARY},mux=mpjpeg,dst=127.0.0.1:$port/stream}" \
        >"$log" 2>&1 &
      server_pid=$!
      ;;
  esac
}

# run SERVER SIZE DIR N SLOW RATE: one JSON line in $tmp/run.json, or an
# empty file.  Not in a subshell: the EXIT trap must see server_pid.
run_one() {
  local name=$1 size=$2 dir=$3 n=$4 slow=$5 rate=$6 url raw=()
  local log=$tmp/$name-$size-$n-$slow.log
  port=$((port + 1))
  url=http://127.0.0.1:$port/stream
  [ "$name" = tcpserversink ] && raw=(--raw)
  : >"$tmp/run.json"
  start_server "$name" "$dir" "$log"
  server_ready "$name" $port "$log" || return
  timeout $((SECONDS_PER_RUN + 60)) "$load" --url "$url" "${raw[@]}" \
    -n "$n" --slow "$slow" --slow-rate "$rate" --seconds "$SECONDS_PER_RUN" \
    --server-pid "$server_pid" --json >"$tmp/out.json" &
  load_pid=$!
  wait $load_pid
  load_pid=
  stop_server
  jq -c --arg server "$name" --arg size "$size" \
    '. + {server: $server, size: $size}' "$tmp/out.json" \
    >"$tmp/run.json" 2>/dev/null || : >"$tmp/run.json"
}

available() {
  case "$1" in
    tcpserversink)
      gst-inspect-1.0 multipartmux >/dev/null 2>&1 \
        || { note "skipping tcpserversink: no multipartmux"; return 1; } ;;
    vlc)
      [ -z "$vlc_note" ] || { note "skipping vlc: $vlc_note"; return 1; } ;;
    *) server_built "$1" ;;
  esac
}

# ---- the runs ---------------------------------------------------------------

# other work on the machine skews the figures: the doc says how busy it was
loadavg=$(cut -d' ' -f1-3 /proc/loadavg)
results=$tmp/results.jsonl
: >"$results"
frame_notes=()
for size in $SIZES; do
  dir=$tmp/frames-$size
  note "== generating $size frames"
  make_vlc_frames "$size" "$dir" || { note "frame generation failed"; exit 1; }
  avg=$(frames_kb "$dir")
  frame_notes+=("$size: 300 JPEGs of ~$avg KB")
  for server in $SERVERS; do
    available "$server" || continue
    loads=()
    for n in $CLIENTS; do loads+=("$n 0 20000"); done
    [ -n "$SLOW_MIX" ] && loads+=("$SLOW_MIX")
    for l in "${loads[@]}"; do
      read -r n slow rate <<<"$l"
      note "== $size $server: $n clients ($slow slow), $SECONDS_PER_RUN s"
      run_one "$server" "$size" "$dir" "$n" "$slow" "$rate"
      if [ ! -s "$tmp/run.json" ]; then
        note "   no result"
        continue
      fi
      cat "$tmp/run.json" >>"$results"
      # the source chain must really give FPS: check it where the server is
      # not loaded
      jq -r --argjson n "$n" --argjson fps $FPS '
        def r: if . == null then "-" else . * 10 | round / 10 end;
        "   fps \(.fast.fps_median | r) / \(.fast.fps_min | r), " +
        "server cpu \(.server_cpu_percent | r)%" +
        (if $n <= 10 and (.fast.fps_median < $fps - 1 or
                          .fast.fps_median > $fps + 1)
         then "   WARNING: expected \($fps) fps" else "" end)' \
        "$tmp/run.json" >&2
    done
  done
done
[ -n "$RESULTS" ] && cp "$results" "$RESULTS"
if [ ! -s "$results" ]; then
  note "no run gave a result"
  exit 1
fi

# ---- the report -------------------------------------------------------------

# One TSV line per run, "-" for what a server does not provide (only ours
# and the floor send X-Timestamp; only ours sends X-Frame-Number).
tsv=$(jq -r '
  def v: if . == null then "-" else . end;
  [ .size, .server, .clients, .slow_clients,
    (.fast.got_200 + .slow.got_200), (.fast.failed + .slow.failed),
    .fast.fps_median, .fast.fps_min,
    (.fast.frames_per_s + .slow.frames_per_s),
    (.fast.mbytes_per_s + .slow.mbytes_per_s),
    (.server_cpu_percent | v), .server_vmhwm_kb, .server_vmrss_kb,
    (.fast.delay_ms_p50 | v), (.fast.delay_ms_p99 | v),
    (.fast.first_frame_ms_p50 | v), (.fast.first_frame_ms_max | v),
    (.fast.gap_ms_max | v),
    (.fast.duplicates + .slow.duplicates),
    (if .fast.skipped == null then "-" else .fast.skipped end),
    (.fast.bad_frames + .slow.bad_frames),
    (.slow.fps_median | v), (.slow.fps_min | v),
    (.slow.age_ms_p50 | v), (.slow.age_ms_max | v),
    (.slow.gap_ms_max | v), .load_cpu_percent ] | @tsv' "$results")

report=$(printf '%s\n' "$tsv" | awk -F'\t' -v fps=$FPS '
  function f(x, d) { return (x == "-" || x == "") ? "-" : sprintf("%." d "f", x) }
  function mb(kb) { return kb < 0 ? "-" : sprintf("%.1f", kb / 1024) }
  # CPU time per delivered frame, in microseconds
  function cpf(cpu, fr) { return (cpu == "-" || fr <= 0) ? "-" : cpu / 100 * 1e6 / fr }
  BEGIN {
    print "| frames | server | clients | ok / failed | fps median / min | frames/s delivered | MB/s | server CPU % | CPU µs / frame | peak RSS MB | end RSS MB | delay p50 / p99 ms | first frame p50 / max ms | worst gap ms | dup / skip / bad | client CPU % |"
    print "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
  }
  {
    load = $4 > 0 ? $3 " (" $4 " slow)" : $3
    c = cpf($11, $9)
    print "| " $1 " | " $2 " | " load " | " $5 " / " $6 " | " f($7, 1) " / " f($8, 1) \
      " | " f($9, 0) " | " f($10, 1) " | " f($11, 1) " | " f(c, 1) " | " mb($12) \
      " | " mb($13) " | " f($14, 1) " / " f($15, 1) " | " f($16, 1) " / " f($17, 1) \
      " | " f($18, 0) " | " $19 " / " $20 " / " $21 " | " f($27, 1) " |"
    key = $1 SUBSEP load
    if (!(key in seen)) { seen[key] = 1; keys[++nkeys] = key; sizes[key] = $1; loads[key] = load }
    cost[key, $2] = c
    if ($4 > 0) slowrows[++nslow] = "| " $1 " | " $2 " | " load " | " f($22, 1) " / " f($23, 1) \
      " | " f($24, 0) " / " f($25, 0) " | " f($26, 0) " |"
  }
  function ratio(k, other) {
    a = cost[k, "mjpeghttpsink"]; b = cost[k, other]
    return (a == "" || b == "" || a == "-" || b == "-" || b == 0) ? "-" : sprintf("%.2f", a / b)
  }
  END {
    if (nslow) {
      print ""
      print "Slow readers (fps, and age of the frames they get: delay from the server to them):"
      print ""
      print "| frames | server | clients | slow fps median / min | slow age p50 / max ms | slow worst gap ms |"
      print "|---|---|---|---|---|---|"
      for (i = 1; i <= nslow; i++) print slowrows[i]
    }
    print ""
    print "CPU per delivered frame, mjpeghttpsink / other (lower is better for us):"
    print ""
    print "| frames | clients | ours / floor | ours / VLC | ours / tcpserversink |"
    print "|---|---|---|---|---|"
    for (i = 1; i <= nkeys; i++) {
      k = keys[i]
      print "| " sizes[k] " | " loads[k] " | " ratio(k, "floor") " | " ratio(k, "vlc") \
        " | " ratio(k, "tcpserversink") " |"
    }
  }')

echo
printf '%s\n' "$report"

[ "$write_doc" = 1 ] || exit 0

# ---- docs/performance.md ----------------------------------------------------

cmd="CLIENTS=\"$CLIENTS\" SLOW_MIX=\"$SLOW_MIX\" SECONDS_PER_RUN=$SECONDS_PER_RUN SIZES=\"$SIZES\" SERVERS=\"$SERVERS\" bench/run-bench.sh --write-doc build"
mkdir -p "$repo/docs"
{
  echo "# Performance"
  echo
  echo "mjpeghttpsink against other MJPEG servers on the same pre-encoded JPEG"
  echo "sequence at $FPS fps, over loopback, measured by \`bench/run-bench.sh\`"
  echo "with the load client \`bench/mjpeg-load\`."
  echo
  echo "- Date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "- Machine: $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1), Linux $(uname -r)"
  echo "- $(gst-launch-1.0 --version | sed -n 's/^GStreamer //p' | head -n 1 | sed 's/^/GStreamer /')"
  if [ -z "$vlc_note" ]; then
    "${as_vlc_user[@]}" env HOME="$tmp" cvlc --version 2>/dev/null \
      | sed -n '1s/^VLC version \([^ ]*\).*/- VLC \1/p'
  fi
  echo "- Load average before the run: $loadavg (the servers and the load"
  echo "  client share these cores)"
  for fn in "${frame_notes[@]}"; do echo "- Frames $fn"; done
  echo "- Measurement window: $SECONDS_PER_RUN s per run, after connecting the"
  echo "  clients over 0.5 s and 0.5 s of warm-up; every server freshly started."
  echo
  echo "Reproduce:"
  echo
  echo '```'
  echo "meson setup build && ninja -C build"
  echo "$cmd"
  echo '```'
  echo
  echo "Servers: **mjpeghttpsink** (\`imagesequencesrc ! mjpeghttpsink sync=true\`),"
  echo "**floor** (\`bench/floor.c\`: one epoll thread, one sendmsg per"
  echo "frame per client; the lower bound), **tcpserversink**"
  echo "(\`multipartmux ! tcpserversink sync-method=latest-keyframe"
  echo "recover-policy=keyframe units-soft-max=6\`, no HTTP), **vlc** (\`cvlc --sout"
  echo "'#standard{access=http,mux=mpjpeg,...}'\`)."
  echo
  echo "Columns: *server CPU %* is utime+stime of the whole server process over"
  echo "the window, in % of one core (counted in 10 ms ticks: ±1 tick is ±0.1 %"
  echo "over 10 s, so runs with few clients compare poorly); *CPU µs / frame*"
  echo "divides it by the frames"
  echo "delivered to all clients; RSS from VmHWM / VmRSS; *delay* is arrival"
  echo "time minus the part's X-Timestamp (only servers that send it); *worst"
  echo "gap* is the longest time a client waited between two frames; *client"
  echo "CPU* is the load client's own use of the same cores."
  echo
  printf '%s\n' "$report"
} > "$repo/docs/performance.md"
note "wrote $repo/docs/performance.md"
