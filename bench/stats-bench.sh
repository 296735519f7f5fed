#!/usr/bin/env bash
# stats-bench.sh: what watching the sink's figures costs it.  The same
# pre-encoded JPEG sequence at 30 fps is served to many clients
# (mjpeg-load), and the sink's CPU is measured with and without stats
# consumers, one set-up after the other in the same run:
#
#   none       no stats consumer
#   consumers  one /events listener (curl -N, for the whole run) and /stats
#              and /metrics each fetched once a second (one curl for the
#              whole run, --rate 2/s: a curl process per fetch cost ~25 ms
#              of CPU, more than the sink spent answering, on the two cores
#              the sink shares)
#
# and prints one markdown table: per set-up, the frame rate each client
# got and the longest wait between two of its frames, the sink's CPU %,
# its CPU per source frame (CPU over the clients' median fps: every client
# at full rate gets every frame) and per delivered client-frame (µs), and
# what the consumers received (status events, /stats and /metrics
# answers, their mean size and time), then per round what the consumers
# added to the CPU per client-frame.  It judges nothing.
#
#   bench/stats-bench.sh [--seconds S] [--clients N] [--rounds R]
#                        [--size WxH] [BUILD_DIR]
#
# --seconds  measurement window of each run (default 10)
# --clients  stream clients, all reading at full rate (default 1000)
# --rounds   how many times to run none then consumers (default 1)
# --size     frame set, as in run-bench.sh (default 640x480, ~10 KB)
#
# BUILD_DIR (argument or environment; default <repo>/build) holds the built
# plugin in BUILD_DIR/gst; it is copied at the start, so that a rebuild
# during the runs changes nothing.  The sink runs as in run-bench.sh
# (max-clients=0 max-clients-per-address=0 request-rate=0), on
# 127.0.0.1, started afresh for each run; descriptors are raised to the
# hard limit.  The consumers' own CPU (curl) is not the sink's and is not
# counted.  A short CI version: bench/stats-bench.sh --seconds 4
# --clients 100 build

set -u -o pipefail

# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

SECONDS_PER_RUN=10
N_CLIENTS=1000
ROUNDS=1
SIZE=640x480
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds|--clients|--rounds|--size)
      [ $# -ge 2 ] || { echo "$1 needs a value" >&2; exit 2; }
      case "$1" in
        --seconds) SECONDS_PER_RUN=$2 ;;
        --clients) N_CLIENTS=$2 ;;
        --rounds) ROUNDS=$2 ;;
        --size) SIZE=$2 ;;
      esac
      shift ;;
    *) bench_arg "$1" ;;
  esac
  shift
done
for v in "$SECONDS_PER_RUN" "$N_CLIENTS" "$ROUNDS"; do
  case "$v" in
    ''|*[!0-9]*|0) echo "--seconds, --clients and --rounds need a whole number" >&2; exit 2 ;;
  esac
done

need_tools gst-launch-1.0 cc curl jq awk perl

bench_start stats-bench
consumer_pids=

stop_consumers() {
  local pid
  for pid in $consumer_pids; do stop_pid "$pid"; done
  consumer_pids=
}

# shellcheck disable=SC2317 # called by the trap
stats_cleanup() {
  stop_consumers
  cleanup
}
trap stats_cleanup EXIT

build_load || exit 1
server_built mjpeghttpsink || exit 1
mkdir -p "$tmp/plugin/gst"
cp "$plugin" "$tmp/plugin/gst/" || exit 1
build_dir=$tmp/plugin
plugin=$build_dir/gst/$(basename "$plugin")
export GST_REGISTRY=$tmp/gst-registry.bin

dir=$tmp/frames
note "== generating $SIZE frames"
make_frames "$SIZE" "$dir" || { note "frame generation failed"; exit 1; }
avg=$(frames_kb "$dir")

# start_consumers PORT: the /events listener and the poller (/stats and
# /metrics in turn, two fetches a second, more than the run needs), their
# output in $tmp/events.txt and $tmp/polls.txt.
start_consumers() {
  local port=$1 _
  : >"$tmp/events.txt"
  : >"$tmp/polls.txt"
  curl -sN --max-time $((SECONDS_PER_RUN + 60)) \
    "http://127.0.0.1:$port/events" >"$tmp/events.txt" 2>/dev/null &
  consumer_pids="$consumer_pids $!"
  for _ in $(seq $((SECONDS_PER_RUN + 60))); do
    printf 'url = "http://127.0.0.1:%s/stats"\noutput = "/dev/null"\n' "$port"
    printf 'url = "http://127.0.0.1:%s/metrics"\noutput = "/dev/null"\n' "$port"
  done >"$tmp/polls.conf"
  # -w to stderr, which is not buffered: the poller is killed, not ended
  curl -s --rate 2/s --max-time 5 --config "$tmp/polls.conf" \
    -w "%{stderr}%{url_effective} %{http_code} %{size_download} %{time_total}\n" \
    >/dev/null 2>"$tmp/polls.txt" &
  consumer_pids="$consumer_pids $!"
}

# run_one SETUP: one JSON line appended to $results, with what the
# consumers got.
port=$((20000 + RANDOM % 10000))
results=$tmp/results.jsonl
: >"$results"
run_one() {
  local setup=$1 round=$2 log=$tmp/$1.log events=0 stats=0 metrics=0 \
    sizes='""'

  port=$((port + 1))
  start_sink $port "$dir" "$log" max-clients=0 max-clients-per-address=0 \
    request-rate=0
  server_ready mjpeghttpsink $port "$log" || return
  [ "$setup" = consumers ] && start_consumers $port
  timeout $((SECONDS_PER_RUN + 60)) "$load" \
    --url "http://127.0.0.1:$port/stream" -n "$N_CLIENTS" \
    --seconds "$SECONDS_PER_RUN" --server-pid "$server_pid" --json \
    >"$tmp/out.json" &
  load_pid=$!
  wait $load_pid
  load_pid=
  if [ "$setup" = consumers ]; then
    stop_consumers
    events=$(grep -c '^event: status' "$tmp/events.txt")
    # the URL's path only
    sed -i 's|^http://[^/]*||' "$tmp/polls.txt"
    stats=$(grep -c '^/stats 200 ' "$tmp/polls.txt")
    metrics=$(grep -c '^/metrics 200 ' "$tmp/polls.txt")
    # mean size (KB) and time (ms) of each answer
    sizes=$(awk '$2 == 200 { n[$1]++; b[$1] += $3; t[$1] += $4 }
      END { printf "\"%.0f KB %.1f ms / %.0f KB %.1f ms\"",
        b["/stats"] / (n["/stats"] ? n["/stats"] : 1) / 1000,
        t["/stats"] / (n["/stats"] ? n["/stats"] : 1) * 1000,
        b["/metrics"] / (n["/metrics"] ? n["/metrics"] : 1) / 1000,
        t["/metrics"] / (n["/metrics"] ? n["/metrics"] : 1) * 1000 }' \
      "$tmp/polls.txt")
  fi
  stop_server
  jq -c --arg setup "$setup" --argjson round "$round" \
    --argjson events "$events" \
    --argjson stats "$stats" --argjson metrics "$metrics" \
    --argjson sizes "$sizes" \
    '. + {setup: $setup, round: $round, status_events: $events,
          stats_ok: $stats, metrics_ok: $metrics, answers: $sizes}' \
    "$tmp/out.json" >>"$results" 2>/dev/null || note "   no result"
}

loadavg=$(cut -d' ' -f1-3 /proc/loadavg)
for round in $(seq "$ROUNDS"); do
  for setup in none consumers; do
    note "== round $round: $setup, $N_CLIENTS clients, $SECONDS_PER_RUN s"
    run_one $setup "$round"
  done
done
[ -s "$results" ] || { note "no run gave a result"; exit 1; }

echo
echo "$SIZE frames (~$avg KB) at $FPS fps, $N_CLIENTS clients, $SECONDS_PER_RUN s per run;"
echo "$(nproc) CPUs, load average before: $loadavg"
echo
echo "| stats consumers | ok / failed | fps median / min | worst gap ms | client-frames/s | sink CPU % | CPU µs / source frame | CPU µs / client-frame | status events / /stats / /metrics | /stats / /metrics size, time |"
echo "|---|---|---|---|---|---|---|---|---|---|"
jq -r '
  def f(d): if . == null then "-" else (. * pow(10; d) | round) / pow(10; d) end;
  [ (if .setup == "none" then "none" else "/events + /stats, /metrics 1/s" end),
    "\(.fast.got_200) / \(.fast.failed)",
    "\(.fast.fps_median | f(1)) / \(.fast.fps_min | f(1))",
    (.fast.gap_ms_max | f(0)),
    (.fast.frames_per_s | f(0)),
    (.server_cpu_percent | f(1)),
    (if .server_cpu_percent == null or .fast.fps_median <= 0 then "-"
     else .server_cpu_percent * 1e4 / .fast.fps_median | f(0) end),
    (.server_cpu_us_per_frame | f(2)),
    (if .setup == "none" then "-"
     else "\(.status_events) / \(.stats_ok) / \(.metrics_ok)" end),
    (if .setup == "none" then "-" else .answers end)
  ] | map(tostring) | "| " + join(" | ") + " |"' "$results"
echo
# consumers - none, per round: the CPU per client-frame they added
jq -rs '
  group_by(.round)[]
  | (map(select(.setup == "none"))[0].server_cpu_us_per_frame) as $none
  | (map(select(.setup == "consumers"))[0]) as $c
  | select($none != null and $c.server_cpu_us_per_frame != null)
  | ($c.server_cpu_us_per_frame - $none) as $d
  | "round \(.[0].round): consumers add \($d * 100 | round / 100) µs per client-frame (\($d / $none * 1000 | round / 10) %), \($d * $c.fast.frames_per_s / 1000 | round) ms of CPU a second"' \
  "$results"
