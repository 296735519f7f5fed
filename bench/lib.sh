# shellcheck shell=bash
# lib.sh: what run-bench.sh and snapshot-bench.sh share, sourced by both:
# their BUILD_DIR argument, a scratch directory that goes with whatever
# server and load client they started, the load client built from source,
# the pre-encoded frames, and starting mjpeghttpsink or the floor server on
# them.  Every server binds 127.0.0.1.

FPS=30
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
# the argument overrides it (bench_arg), bench_start defaults it
build_dir=${BUILD_DIR:-}

note() { printf '%s\n' "$*" >&2; }

# One command-line argument that is not the script's own option: --help,
# an unknown option, or BUILD_DIR.
bench_arg() {
  case "$1" in
    -h|--help) sed -n '2,/^[^#]/{/^#/s/^# \{0,1\}//p}' "$0"; exit 0 ;;
    -*) echo "unknown option $1 (try --help)" >&2; exit 2 ;;
    *) build_dir=$1 ;;
  esac
}

need_tools() {
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null || { note "missing $tool"; exit 1; }
  done
}

stop_pid() {
  local pid=$1 _
  [ -n "$pid" ] || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  return 0
}

stop_server() {
  stop_pid "$server_pid"
  server_pid=
}

cleanup() {
  stop_pid "$load_pid"
  stop_server
  rm -rf "$tmp"
}

# $tmp, made from the template /tmp/$1.XXXXXX, and what the runs need
# whatever happens: clean-up on exit, and descriptors for 1000 clients,
# which the servers and mjpeg-load inherit.  BUILD_DIR defaults to
# <repo>/build.
bench_start() {
  build_dir=${build_dir:-$repo/build}
  tmp=$(mktemp -d "/tmp/$1.XXXXXX")
  server_pid=
  load_pid=
  trap cleanup EXIT
  trap 'exit 130' INT TERM
  ulimit -n "$(ulimit -Hn)" 2>/dev/null
  floor=$build_dir/bench/floor
  plugin=$build_dir/gst/libgstmjpeghttp.so
}

# $load: mjpeg-load built here with -O2, whatever the build directory holds
# (its buildtype, or an mjpeg-load older than --bind); the same sources as
# in bench/meson.build.
build_load() {
  load=$tmp/mjpeg-load
  cc -O2 -Wall -Wextra -o "$load" "$here/mjpeg-load.c" "$here/die.c" \
    "$here/mjpegparser.c" "$here/options.c" "$here/procstat.c" \
    "$here/samples.c" "$here/sockets.c"
}

# 300 JPEGs of SIZE (WxH) in DIR/%05d.jpg, and DIR/ring/%06d.jpg looping
# over them for a run.  ball is mostly flat black: ~9.5 KB at 640x480
# whatever the quality; at 1280x720 it stays at ~26 KB, so the larger sets
# use smpte, whose noise patch gives ~48 KB at quality 25.
make_frames() {
  local size=$1 dir=$2 w=${1%x*} h=${1#*x} pattern quality n
  case "$size" in
    640x480) pattern=ball quality=85 ;;
    *) pattern=smpte quality=25 ;;
  esac
  mkdir -p "$dir/ring"
  gst-launch-1.0 -q videotestsrc pattern=$pattern num-buffers=300 \
    ! "video/x-raw,width=$w,height=$h,framerate=$FPS/1" \
    ! jpegenc quality=$quality ! multifilesink location="$dir/%05d.jpg" \
    || return 1
  # multifilesrc loops but stamps no timestamps, so sync=true cannot pace
  # it; imagesequencesrc stamps them from its framerate but stops at the
  # last file.  A ring of symlinks, long enough for one run, gives a looped
  # sequence that the sink's clock paces.
  # (perl, essential in Debian: one ln per link takes seconds per thousand)
  n=$((FPS * (SECONDS_PER_RUN + 60)))
  (cd "$dir/ring" && perl -e 'for my $i (0 .. $ARGV[0] - 1) {
      symlink (sprintf ("../%05d.jpg", $i % 300), sprintf ("%06d.jpg", $i))
        or die "symlink: $!\n"; }' "$n")
}

# the average size of DIR's frames, in KB
frames_kb() {
  echo $(( $(cat "$1"/?????.jpg | wc -c) / 300 / 1000 ))
}

# start_sink PORT DIR LOG [PROPERTY...]: mjpeghttpsink on the frames of
# DIR, its output in LOG; sets server_pid.
start_sink() {
  local port=$1 dir=$2 log=$3
  shift 3
  GST_PLUGIN_PATH=$build_dir/gst gst-launch-1.0 -q \
    imagesequencesrc location="$dir/ring/%06d.jpg" start-index=0 \
      framerate=$FPS/1 \
    ! mjpeghttpsink address=127.0.0.1 port="$port" sync=true "$@" \
    >"$log" 2>&1 &
  server_pid=$!
}

# start_floor PORT DIR LOG: the floor server on the frames of DIR; sets
# server_pid.
start_floor() {
  "$floor" --port "$1" --frames-dir "$2" --fps $FPS >"$3" 2>&1 &
  server_pid=$!
}

wait_port() {
  local _
  for _ in $(seq 150); do
    kill -0 "$server_pid" 2>/dev/null || return 1
    if timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; then
      return 0
    fi
    sleep 0.1
  done
  return 1
}

# server_ready NAME PORT LOG: once the server listens on PORT, 1 s more so
# that its pipeline reaches PLAYING and frames flow before anyone connects.
# If it never listens: the end of LOG, the server stopped, and 1.
server_ready() {
  local name=$1 port=$2 log=$3
  if ! wait_port "$port"; then
    note "   $name did not start; log:"; tail -5 "$log" >&2
    stop_server
    return 1
  fi
  sleep 1
}

# Whether server NAME (mjpeghttpsink or floor) is built, with a note if not.
server_built() {
  case "$1" in
    mjpeghttpsink)
      [ -f "$plugin" ] || { note "skipping mjpeghttpsink: no $plugin"; return 1; } ;;
    floor)
      [ -x "$floor" ] || { note "skipping floor: no $floor"; return 1; } ;;
    *) note "unknown server $1"; return 1 ;;
  esac
}
