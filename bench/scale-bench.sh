#!/usr/bin/env bash
# scale-bench.sh: what relays and nginx in front of them cost per viewer,
# against the origin serving the same viewers alone, and the delay each hop
# adds (docs/scaling.md, docs/performance.md "Relays behind nginx").
#
#   bench/scale-bench.sh [--seconds S] [--clients "200 400"]
#                        [--sizes "640x480 1280x720"] [--json] [BUILD_DIR]
#   bench/scale-bench.sh --frame-sizes [IMAGE...]
#
# For each frame set and client count, two set-ups one after the other,
# each started afresh on free ports of 127.0.0.1:
#
#   origin   mjpeghttpsink on the pre-encoded frames of run-bench.sh (30
#            fps, max-clients=0 max-clients-per-address=0 request-rate=0),
#            the N viewers straight on it
#   relays   the same origin; two pipelines/relay.sh of it (IDLE_TIMEOUT=0,
#            SINK_OPTIONS as docs/nginx-relays.conf says); nginx running
#            docs/nginx-relays.conf with its ports rewritten and its
#            limit_conn / limit_req lines left out (the load client is one
#            address: they would stop it at 16 streams); the N viewers
#            through nginx
#
# bench/mjpeg-load measures the viewers and the CPU of every process over
# its window (origin, each relay, nginx's master and workers); three
# bench/mjpeg-delay viewers, on the origin, on a relay and through nginx,
# measure during the same window the delay from X-Timestamp (the origin's:
# relay.sh keeps it) to arrival. Also a run with no viewers but those
# three: the delay per hop on an unloaded chain. Every line carries the
# load average of the moment (/proc/loadavg: 1, 5, 15 min): the machine
# may be shared.
#
# --seconds   measurement window of each run (default 10)
# --clients   viewer counts (default "200 400")
# --sizes     frame sets, as in run-bench.sh (default "640x480 1280x720")
# --slow "K RATE"  K of the viewers read RATE bytes/s through a 4 KiB
#             receive buffer (mjpeg-load --slow): how old their frames get,
#             straight from the origin and through nginx (the CPU figures
#             then count the other viewers' frames only)
# --json      one JSON line per run on stdout instead of the tables
#
# --frame-sizes: what one frame weighs, and so one viewer's bandwidth at
# 30 fps and the viewers one 1 Gbit/s link carries: jpegenc at quality 85
# (its default) and 50 on 30 frames of videotestsrc (patterns smpte, its
# default, and ball) and on each IMAGE (a photograph, cropped to the
# frame's aspect ratio and scaled), at 640x480, 1280x720 and 1920x1080;
# with x264enc (gstreamer1.0-plugins-ugly) also H.264 of 10 s of a still
# IMAGE and of a pan across it, for the bandwidth H.264 saves.
#
# BUILD_DIR (argument or environment; default <repo>/build) holds the built
# plugin in BUILD_DIR/gst.  The load client and mjpeg-delay are built here
# from bench/*.c.  nginx is NGINX or nginx on the PATH or /usr/sbin/nginx
# (Debian: nginx-light).  Everything is stopped on exit whatever happens.

set -u -o pipefail

# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

SECONDS_PER_RUN=10
CLIENTS="200 400"
SIZES="640x480 1280x720"
SLOW=
json=0
frame_sizes=0
images=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds|--clients|--sizes|--slow)
      [ $# -ge 2 ] || { echo "$1 needs a value" >&2; exit 2; }
      case "$1" in
        --seconds) SECONDS_PER_RUN=$2 ;;
        --clients) CLIENTS=$2 ;;
        --sizes) SIZES=$2 ;;
        --slow) SLOW=$2 ;;
      esac
      shift ;;
    --json) json=1 ;;
    --frame-sizes) frame_sizes=1 ;;
    *)
      if [ "$frame_sizes" = 1 ] && [ -f "$1" ]; then
        images+=("$1")
      else
        bench_arg "$1"
      fi ;;
  esac
  shift
done
case "$SECONDS_PER_RUN" in
  ''|*[!0-9]*|0) echo "--seconds needs a whole number of seconds" >&2; exit 2 ;;
esac

loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

# ---- --frame-sizes ----------------------------------------------------------

# The table of --frame-sizes, then H.264's.
frame_sizes_run() {
  local fs q s w h kind name img bytes n
  need_tools gst-launch-1.0 awk
  frames_tmp=$(mktemp -d /tmp/scale-frames.XXXXXX)
  trap 'rm -rf "$frames_tmp"' EXIT
  fs=$frames_tmp
  printf '| source | size | quality | bytes / frame | Mbit/s at 30 fps | viewers per 1 Gbit/s |\n'
  printf '|---|---|---|---|---|---|\n'
  for kind in smpte ball "${images[@]}"; do
    for s in 640x480 1280x720 1920x1080; do
      w=${s%x*} h=${s#*x}
      for q in 85 50; do
        rm -f "$fs"/*.jpg
        case "$kind" in
          smpte|ball)
            name="videotestsrc pattern=$kind"
            gst-launch-1.0 -q videotestsrc pattern="$kind" num-buffers=30 \
              ! "video/x-raw,width=$w,height=$h,framerate=30/1" \
              ! jpegenc quality=$q ! multifilesink location="$fs/%02d.jpg" \
              || return 1 ;;
          *)
            img=$kind
            name=$(basename "$img")
            gst-launch-1.0 -q filesrc location="$img" ! jpegdec \
              ! videoconvert ! aspectratiocrop aspect-ratio="$w/$h" \
              ! videoscale method=lanczos ! "video/x-raw,width=$w,height=$h" \
              ! jpegenc quality=$q ! multifilesink location="$fs/%02d.jpg" \
              || return 1 ;;
        esac
        n=$(find "$fs" -name '*.jpg' | wc -l)
        bytes=$(( $(cat "$fs"/*.jpg | wc -c) / n ))
        awk -v name="$name" -v s="$s" -v q="$q" -v b="$bytes" 'BEGIN {
          mbit = b * 8 * 30 / 1e6
          printf "| %s | %s | %d | %d | %.1f | %d |\n", name, s, q, b, mbit, 1000 / mbit }'
      done
    done
  done
  h264_sizes "$fs"
}

# H.264 of a still photograph and of a pan across it, 10 s at 30 fps,
# against MJPEG (quality 85) of the same frames
h264_sizes() {
  local fs=$1 img w=1280 h=720 motion mjpeg x264
  if ! gst-inspect-1.0 x264enc >/dev/null 2>&1; then
    note "no x264enc (apt-get install gstreamer1.0-plugins-ugly): no H.264 comparison"
    return 0
  fi
  [ ${#images[@]} -gt 0 ] || return 0
  printf '\n| source, %dx%d, 10 s at 30 fps | MJPEG quality 85, Mbit/s | H.264 (x264 veryfast, zerolatency, quantizer 23, keyframe every 2 s), Mbit/s | MJPEG / H.264 |\n' $w $h
  printf '|---|---|---|---|\n'
  for img in "${images[@]}"; do
    for motion in still pan; do
      window_frames "$img" "$fs" $w $h $motion || return 1
      gst-launch-1.0 -q multifilesrc location="$fs/win/%03d.jpg" \
        index=0 stop-index=299 caps="image/jpeg,framerate=30/1" \
        ! jpegdec ! videoconvert ! tee name=t \
        t. ! queue ! jpegenc quality=85 ! filesink location="$fs/out.mjpeg" \
        t. ! queue ! x264enc speed-preset=veryfast tune=zerolatency \
          pass=qual quantizer=23 key-int-max=60 \
        ! filesink location="$fs/out.h264" || return 1
      mjpeg=$(stat -c %s "$fs/out.mjpeg")
      x264=$(stat -c %s "$fs/out.h264")
      awk -v name="$(basename "$img"), $motion" -v m="$mjpeg" -v x="$x264" 'BEGIN {
        printf "| %s | %.2f | %.2f | %.0f |\n", name, m * 8 / 10 / 1e6,
          x * 8 / 10 / 1e6, m / x }'
    done
  done
}

# window_frames IMAGE DIR W H still|pan: DIR/win/000.jpg..299.jpg (quality
# 100, to be encoded again), W x H windows of the image scaled to 1.5 W x
# 1.5 H: its middle in every frame, or a window that crosses it from left
# to right (W/2 pixels in 300 frames, ~2 a frame: every pixel moves, as in
# a camera's slow pan). One gst-launch-1.0 per frame: videocrop cannot
# move by itself.
window_frames() {
  local img=$1 fs=$2 w=$3 h=$4 motion=$5 i left big
  mkdir -p "$fs/win"
  rm -f "$fs/win"/*.jpg
  big=$fs/big.png
  gst-launch-1.0 -q filesrc location="$img" ! jpegdec ! videoconvert \
    ! aspectratiocrop aspect-ratio="$w/$h" ! videoscale method=lanczos \
    ! "video/x-raw,width=$((w * 3 / 2)),height=$((h * 3 / 2))" \
    ! pngenc ! filesink location="$big" || return 1
  for i in $(seq 0 299); do
    left=$((w / 4))
    [ "$motion" = pan ] && left=$((i * (w / 2) / 299))
    if [ "$motion" = still ] && [ "$i" -gt 0 ]; then
      cp "$fs/win/000.jpg" "$(printf '%s/win/%03d.jpg' "$fs" "$i")"
      continue
    fi
    gst-launch-1.0 -q filesrc location="$big" ! pngdec ! videoconvert \
      ! videocrop left=$left right=$((w / 2 - left)) top=$((h / 4)) \
        bottom=$((h / 4)) \
      ! jpegenc quality=100 \
      ! filesink location="$(printf '%s/win/%03d.jpg' "$fs" "$i")" \
      || return 1
  done
}

if [ "$frame_sizes" = 1 ]; then
  echo "load average before: $(loadavg)"
  frame_sizes_run
  exit $?
fi

# ---- the set-ups ------------------------------------------------------------

need_tools gst-launch-1.0 gst-inspect-1.0 cc jq awk perl
NGINX=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
[ -x "$NGINX" ] || { note "no nginx (apt-get install nginx-light)"; exit 1; }
[ -x "$repo/pipelines/relay.sh" ] || { note "no pipelines/relay.sh"; exit 1; }
conf_example=$repo/docs/nginx-relays.conf

bench_start scale-bench
nginx_pid=
nginx_workers=
relay_pids=()
delay_pids=()

stop_scale() {
  local pid
  for pid in "${delay_pids[@]}" "${relay_pids[@]}"; do stop_pid "$pid"; done
  delay_pids=()
  relay_pids=()
  if [ -n "$nginx_pid" ]; then
    stop_pid "$nginx_pid"
    # workers outlive a master that was killed: they are ours, by pid
    for pid in $nginx_workers; do stop_pid "$pid"; done
  fi
  nginx_pid=
  nginx_workers=
}

# shellcheck disable=SC2317 # called by the trap
scale_cleanup() {
  stop_scale
  cleanup
}
trap scale_cleanup EXIT

build_load || exit 1
delay=$tmp/mjpeg-delay
cc -O2 -Wall -Wextra -o "$delay" "$here/mjpeg-delay.c" "$here/die.c" \
  "$here/mjpegparser.c" "$here/options.c" "$here/procstat.c" \
  "$here/samples.c" "$here/sockets.c" -lm || exit 1

server_built mjpeghttpsink || exit 1
# every run loads the plugin as it is now, even if the build directory is
# rebuilt during the runs
mkdir -p "$tmp/plugin/gst"
cp "$plugin" "$tmp/plugin/gst/" || exit 1
build_dir=$tmp/plugin
plugin=$build_dir/gst/$(basename "$plugin")
export GST_REGISTRY=$tmp/gst-registry.bin
export MJPEGHTTP_BUILD_DIR=$build_dir

# A port in 20000-32000 (below the kernel's ephemeral range, where the
# clients' own ports are) on which nothing listens.
free_port() {
  local p _
  for _ in $(seq 100); do
    p=$((20000 + RANDOM % 12000))
    timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/$p" 2>/dev/null || {
      echo "$p"
      return 0
    }
  done
  return 1
}

# the gst-launch-1.0 that relay.sh $1 runs
relay_gst_pid() {
  local pid=$1 child _
  for _ in $(seq 50); do
    # shellcheck disable=SC2013 # pids, one word each
    for child in $(cat /proc/"$pid"/task/*/children 2>/dev/null); do
      if [ "$(cat "/proc/$child/comm" 2>/dev/null)" = gst-launch-1.0 ]; then
        echo "$child"
        return 0
      fi
    done
    sleep 0.1
  done
  return 1
}

# snapshot_ready URL: until URL/snapshot is a JPEG (10 s at most)
snapshot_ready() {
  local _
  for _ in $(seq 100); do
    if curl -sf -m 2 -o "$tmp/snap.jpg" "$1/snapshot" 2>/dev/null &&
        [ "$(head -c 2 "$tmp/snap.jpg" | od -An -tx1 | tr -d ' ')" = ffd8 ]; then
      return 0
    fi
    sleep 0.1
  done
  note "   nothing at $1/snapshot"
  return 1
}

# start_relays ORIGIN_PORT: two relay.sh, pids in relay_pids, the
# gst-launch-1.0 processes' in relay_gst, ports in relay_ports
start_relays() {
  local origin=$1 i port pid
  relay_gst=()
  relay_ports=()
  for i in 1 2; do
    port=$(free_port) || return 1
    PORT=$port IDLE_TIMEOUT=0 \
      SINK_OPTIONS="max-clients=0 max-clients-per-address=0 request-rate=0" \
      "$repo/pipelines/relay.sh" "http://127.0.0.1:$origin/stream" \
      >"$tmp/relay-$i.log" 2>&1 &
    relay_pids+=($!)
    relay_ports+=("$port")
    pid=$(relay_gst_pid $!) || { note "   relay $i did not start"; return 1; }
    relay_gst+=("$pid")
  done
  for port in "${relay_ports[@]}"; do
    snapshot_ready "http://127.0.0.1:$port" || return 1
  done
}

# start_nginx PORT: docs/nginx-relays.conf in front of relay_ports
start_nginx() {
  local port=$1 dir=$tmp/nginx user=''
  rm -rf "$dir"
  mkdir -p "$dir"
  [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1 &&
    user="user nobody $(id -gn nobody);"
  {
    cat <<EOF
# written by bench/scale-bench.sh
$user
worker_processes auto;
worker_rlimit_nofile $(ulimit -Hn);
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events {
  worker_connections 8192;
}
http {
  access_log off;
  client_body_temp_path $dir/client_body;
  proxy_temp_path $dir/proxy;
  fastcgi_temp_path $dir/fastcgi;
  uwsgi_temp_path $dir/uwsgi;
  scgi_temp_path $dir/scgi;
EOF
    # the example, its ports rewritten; without its per-address limits,
    # as the load client is one address
    sed -e "s/^\([[:space:]]*\)listen 80;/\1listen 127.0.0.1:$port;/" \
      -e "s/^\([[:space:]]*server \)127\.0\.0\.1:8081 /\1127.0.0.1:${relay_ports[0]} /" \
      -e "s/^\([[:space:]]*server \)127\.0\.0\.1:8082 /\1127.0.0.1:${relay_ports[1]} /" \
      -e '/^[[:space:]]*limit_\(conn\|req\)/d' "$conf_example"
    echo "}"
  } >"$dir/nginx.conf"
  # the substitutions must all have matched
  if ! grep -q "listen 127.0.0.1:$port;" "$dir/nginx.conf" ||
      ! grep -q "127.0.0.1:${relay_ports[0]} " "$dir/nginx.conf" ||
      ! grep -q "127.0.0.1:${relay_ports[1]} " "$dir/nginx.conf"; then
    note "   $conf_example: a line to rewrite is missing"
    return 1
  fi
  "$NGINX" -e "$dir/error.log" -p "$dir/" -c "$dir/nginx.conf" \
    -g 'daemon off;' >"$dir/stdout.log" 2>&1 &
  nginx_pid=$!
  snapshot_ready "http://127.0.0.1:$port" || {
    tail -5 "$dir/error.log" >&2
    return 1
  }
  nginx_workers=$(cat "/proc/$nginx_pid/task/$nginx_pid/children" 2>/dev/null)
}

# delays LABEL=URL...: one mjpeg-delay per URL for the window, in the
# background; their reports in $tmp/delay-LABEL.json
start_delays() {
  local arg label url
  delay_pids=()
  for arg in "$@"; do
    label=${arg%%=*} url=${arg#*=}
    "$delay" --seconds "$SECONDS_PER_RUN" --json "$url" \
      >"$tmp/delay-$label.json" 2>"$tmp/delay-$label.err" &
    delay_pids+=($!)
  done
}

wait_delays() {
  local pid
  for pid in "${delay_pids[@]}"; do wait "$pid"; done
  delay_pids=()
}

# the delay report of LABEL as {"p50":..,"p99":..}, or null
delay_json() {
  jq -c '{p50: .delay_ms_p50, p99: .delay_ms_p99, max: .delay_ms_max,
          skipped, frames}' "$tmp/delay-$1.json" 2>/dev/null | tail -n 1 |
    grep . || echo null
}

# run_one SETUP SIZE DIR N: one JSON line in $tmp/run.json, or nothing
run_one() {
  local setup=$1 size=$2 dir=$3 n=$4 origin_port port url pids origin_pid
  local load_avg rc d_origin d_relay d_nginx
  : >"$tmp/run.json"
  origin_port=$(free_port) || return
  start_sink "$origin_port" "$dir" "$tmp/origin.log" max-clients=0 \
    max-clients-per-address=0 request-rate=0 idle-timeout=0
  server_ready mjpeghttpsink "$origin_port" "$tmp/origin.log" || return
  origin_pid=$server_pid
  pids=$origin_pid
  url=http://127.0.0.1:$origin_port/stream
  if [ "$setup" = relays ]; then
    start_relays "$origin_port" || { stop_scale; stop_server; return; }
    port=$(free_port) || { stop_scale; stop_server; return; }
    start_nginx "$port" || { stop_scale; stop_server; return; }
    pids=$pids,${relay_gst[0]},${relay_gst[1]},$nginx_pid
    for pid in $nginx_workers; do pids=$pids,$pid; done
    url=http://127.0.0.1:$port/stream
  fi
  load_avg=$(loadavg)
  if [ "$n" -gt 0 ]; then
    # shellcheck disable=SC2086 # SLOW's two words
    timeout $((SECONDS_PER_RUN + 120)) "$load" --url "$url" -n "$n" \
      ${SLOW:+--slow ${SLOW% *} --slow-rate ${SLOW#* }} \
      --seconds "$SECONDS_PER_RUN" --ready-wait-ms 20000 \
      --server-pid "$pids" --json >"$tmp/out.json" 2>"$tmp/load.err" &
    load_pid=$!
    # the delay viewers join once the load's window has opened
    sleep 2
  fi
  if [ "$setup" = relays ]; then
    start_delays origin="http://127.0.0.1:$origin_port/stream" \
      relay="http://127.0.0.1:${relay_ports[0]}/stream" nginx="$url"
  else
    start_delays origin="$url"
  fi
  rc=0
  if [ "$n" -gt 0 ]; then
    wait $load_pid || rc=$?
    load_pid=
  fi
  wait_delays
  d_origin=$(delay_json origin)
  d_relay=null d_nginx=null
  if [ "$setup" = relays ]; then
    d_relay=$(delay_json relay)
    d_nginx=$(delay_json nginx)
    grep -E '\[(warn|error|crit|alert|emerg)\]' "$tmp/nginx/error.log" \
      | head -3 | sed 's/^/   nginx: /' >&2
  fi
  stop_scale
  stop_server
  if [ "$n" -eq 0 ]; then
    echo '{}' >"$tmp/out.json"
  elif [ $rc -ne 0 ]; then
    note "   mjpeg-load failed ($rc):"
    sed 's/^/   /' "$tmp/load.err" >&2
    return
  fi
  jq -c --arg setup "$setup" --arg size "$size" --argjson n "$n" \
    --arg loadavg "$load_avg" --argjson origin "$origin_pid" \
    --argjson d_origin "$d_origin" --argjson d_relay "$d_relay" \
    --argjson d_nginx "$d_nginx" \
    --arg relays "${relay_gst[*]:-}" '
    (.fast.frames_per_s // 0) as $f
    | ($relays | split(" ") | map(select(. != "") | tonumber)) as $r
    | def us(cpu): if $f > 0 and cpu != null then cpu * 1e4 / $f else null end;
    def cpu(sel): [(.server_processes // [])[] | select(sel) | .cpu_percent] | add;
    cpu(.pid == $origin) as $o
    | cpu(.pid as $p | $r | index($p)) as $rc
    | cpu(.pid != $origin and (.pid as $p | $r | index($p) | not)) as $nc
    | {setup: $setup, size: $size, clients: $n, loadavg: $loadavg,
       ok: .fast.got_200, failed: .fast.failed,
       fps_median: .fast.fps_median, fps_min: .fast.fps_min,
       frames_per_s: $f, mbytes_per_s: .fast.mbytes_per_s,
       origin_cpu: $o, relays_cpu: $rc, nginx_cpu: $nc,
       relay_cpu_each: [(.server_processes // [])[] | select(.pid as $p | $r | index($p)) | .cpu_percent],
       origin_us: us($o), relays_us: us($rc), nginx_us: us($nc),
       total_us: .server_cpu_us_per_frame,
       load_cpu: .load_cpu_percent,
       slow: (if .slow_clients > 0 then {clients: .slow_clients,
         fps: .slow.fps_median, age_p50: .slow.age_ms_p50,
         age_max: .slow.age_ms_max} else null end),
       delay: {origin: $d_origin, relay: $d_relay, nginx: $d_nginx}}' \
    "$tmp/out.json" >"$tmp/run.json" 2>"$tmp/jq.err" ||
    { note "   jq: $(cat "$tmp/jq.err")"; : >"$tmp/run.json"; }
}

# ---- the runs ---------------------------------------------------------------

results=$tmp/results.jsonl
: >"$results"
frame_notes=()
status=0
for size in $SIZES; do
  dir=$tmp/frames-$size
  note "== generating $size frames"
  make_frames "$size" "$dir" || { note "frame generation failed"; exit 1; }
  frame_notes+=("$size: 300 JPEGs of ~$(frames_kb "$dir") KB")
  for n in 0 $CLIENTS; do
    for setup in origin relays; do
      [ "$n" = 0 ] && [ "$setup" = origin ] && continue
      note "== $size $setup: $n viewers, $SECONDS_PER_RUN s (load $(loadavg))"
      run_one "$setup" "$size" "$dir" "$n"
      if [ ! -s "$tmp/run.json" ]; then
        note "   no result"
        status=1
        continue
      fi
      cat "$tmp/run.json" >>"$results"
      jq -r 'def r: if . == null then "-" else . * 10 | round / 10 end;
        "   fps \(.fps_median | r) / \(.fps_min | r); µs per viewer-frame: " +
        "origin \(.origin_us | r), relays \(.relays_us | r), nginx " +
        "\(.nginx_us | r); delay p50 origin \(.delay.origin.p50 | r), relay " +
        "\(.delay.relay.p50 | r), nginx \(.delay.nginx.p50 | r) ms"' \
        "$tmp/run.json" >&2
    done
  done
done

if [ "$json" = 1 ]; then
  cat "$results"
  exit $status
fi

# ---- the report -------------------------------------------------------------

echo
for fn in "${frame_notes[@]}"; do echo "- Frames $fn"; done
echo "- $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1), nginx $("$NGINX" -v 2>&1 | sed 's/.*nginx\///')"
echo
echo "CPU, in µs per delivered frame (one viewer's frame), and in % of one core for the whole run:"
echo
echo "| frames | viewers | set-up | fps median / min | origin µs (%) | relays µs (% each) | nginx µs (%) | total µs | load average |"
echo "|---|---|---|---|---|---|---|---|---|"
jq -r 'select(.clients > 0)
  | def r: if . == null then "-" else . * 10 | round / 10 end;
  "| \(.size) | \(.clients) | \(if .setup == "origin" then "origin alone" else "origin + 2 relays + nginx" end) | " +
  "\(.fps_median | r) / \(.fps_min | r) | \(.origin_us | r) (\(.origin_cpu | r)) | " +
  (if .setup == "relays" then "\(.relays_us | r) (\(.relay_cpu_each | map(r | tostring) | join(", ")))" else "-" end) + " | " +
  (if .setup == "relays" then "\(.nginx_us | r) (\(.nginx_cpu | r))" else "-" end) + " | " +
  "\(.total_us | r) | \(.loadavg) |"' "$results"
if [ -n "$SLOW" ]; then
  echo
  echo "Slow viewers (${SLOW% *} of each run's, reading ${SLOW#* } bytes/s): how old their frames are on arrival:"
  echo
  echo "| frames | viewers | set-up | slow fps median | age p50 / max ms | load average |"
  echo "|---|---|---|---|---|---|"
  jq -r 'select(.slow != null)
    | def r: if . == null then "-" else . * 10 | round / 10 end;
    "| \(.size) | \(.clients) | \(if .setup == "origin" then "origin alone" else "origin + 2 relays + nginx" end) | " +
    "\(.slow.fps | r) | \(.slow.age_p50 | round) / \(.slow.age_max | round) | \(.loadavg) |"' "$results"
fi
echo
echo "Delay from the origin's X-Timestamp to arrival (mjpeg-delay, p50 / p99 ms), one viewer on each hop during the window:"
echo
echo "| frames | viewers | set-up | at the origin | at a relay | through nginx | load average |"
echo "|---|---|---|---|---|---|---|"
jq -r 'def r: if . == null then "-" else . * 10 | round / 10 end;
  def d(x): if x == null then "-" else "\(x.p50 | r) / \(x.p99 | r)" end;
  "| \(.size) | \(.clients) | \(if .setup == "origin" then "origin alone" else "origin + 2 relays + nginx" end) | " +
  "\(d(.delay.origin)) | \(d(.delay.relay)) | \(d(.delay.nginx)) | \(.loadavg) |"' "$results"
exit $status
