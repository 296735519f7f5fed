# Sourced by every script in this folder: the settings they share, the
# plugin from the build tree when it is not installed, and the run of
# gst-launch-1.0 that prints the URL to open.
# The arrays it sets are used by those scripts, which shellcheck cannot see.
# shellcheck shell=bash disable=SC2034

PORT=${PORT:-8080}
ADDRESS=${ADDRESS:-127.0.0.1}
WIDTH=${WIDTH:-640}
HEIGHT=${HEIGHT:-480}
FPS=${FPS:-30}
DEVICE=${DEVICE:-/dev/video0}
IDLE_TIMEOUT=${IDLE_TIMEOUT:-10}
# what idle does: paused, ready (also stops V4L2 capture) or none
IDLE_STATE=${IDLE_STATE:-paused}
# more properties of the sink, split on blanks: "max-clients=200 auth-file=..."
SINK_OPTIONS=${SINK_OPTIONS:-}

# The scripts run gst-launch-1.0 without -e: nothing here needs an end of
# stream, and without -e Ctrl+C stops at once (with -e it ends too, a moment
# later: the sink first plays a pipeline it has idled again so that the end
# of stream gets through; docs/idle.md).

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
  # Run by the installed mjpeghttp-serve: there is no build tree to use.
  if [[ -n ${MJPEGHTTP_INSTALLED:-} ]]; then
    mjpeghttp_die "GStreamer does not find the mjpeghttpsink element" \
      "(gst-inspect-1.0 mjpeghttpsink fails): install it where GStreamer" \
      "looks (scripts/install.sh) or set GST_PLUGIN_PATH to its folder"
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

# A setting that cannot work: status 2, on which mjpeghttp@.service does
# not restart (a restart would not mend it).
mjpeghttp_bad_setting ()
{
  echo "$(basename "$0"): $*" >&2
  exit 2
}

# Checked here, where the message can name the setting to change:
# gst-launch-1.0 would name the element's property instead.
mjpeghttp_check_settings ()
{
  local name

  if ! [[ $PORT =~ ^(0|[1-9][0-9]*)$ ]] || ((PORT > 65535)); then
    mjpeghttp_bad_setting "PORT must be a port number from 1 to 65535" \
      "(0: any free port), not '$PORT'"
  fi
  if ! [[ $IDLE_TIMEOUT =~ ^[0-9]+$ ]]; then
    mjpeghttp_bad_setting "IDLE_TIMEOUT must be a whole number of seconds" \
      "(0: never pause), not '$IDLE_TIMEOUT'"
  fi
  case $IDLE_STATE in
    paused | ready | none) ;;
    *) mjpeghttp_bad_setting "IDLE_STATE must be paused, ready or none, not" \
      "'$IDLE_STATE'" ;;
  esac
  for name in WIDTH HEIGHT FPS; do
    if ! [[ ${!name} =~ ^[1-9][0-9]*$ ]]; then
      mjpeghttp_bad_setting "$name must be a positive whole number, not" \
        "'${!name}'"
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

# Who can reach ADDRESS: "any" (every address of the machine), "loopback"
# (this machine alone) or "other".
mjpeghttp_url_scope ()
{
  case $ADDRESS in
    0.0.0.0 | ::) echo any ;;
    127.* | ::1 | localhost) echo loopback ;;
    *) echo other ;;
  esac
}

# What the user sees of gst-launch-1.0 -m, which reports every message of
# the pipeline on a line of its own (messages=1; 0 for its stderr alone):
# - the sink's mjpeghttpsink-listening message, posted once its port
#   listens, becomes the line to open, with the port the sink got (the one
#   asked for, or any free one for PORT=0); then, for a wildcard ADDRESS,
#   one line per address of the machine from the message's urls field (a
#   list of strings, "< a, \"b\" >", IPv6 ones quoted with their brackets
#   escaped), or for a loopback one a line that says how to serve the
#   network;
# - the other reports are left out: their words depend on the language,
#   but each names the message's type in brackets and ends in its
#   structure (";") or in "no message details";
# - everything else is passed on as it comes: gst-launch-1.0's progress,
#   errors and warnings, and the lines of GStreamer's debug log, which
#   begin with the time.
# The exit status is 3 when the sink could not listen because PORT is in
# use: its error reads "Could not listen on ADDRESS port N: port N is in
# use. ...".
# shellcheck disable=SC2016 # an awk program
mjpeghttp_filter_program='
/^[0-9]+:[0-9][0-9]:[0-9][0-9]\.[0-9]/ { print; fflush(); next }
messages && /mjpeghttpsink-listening, .*, port=\(int\)[0-9]+;$/ {
  match($0, /port=\(int\)[0-9]+;$/)
  base = "http://" host ":" substr($0, RSTART + 10, RLENGTH - 11)
  print "Open " base "/ in a browser (stream: " base "/stream, snapshot: " \
    base "/snapshot). Stop with Ctrl+C."
  if (scope == "loopback")
    print "Only this machine can open it: other machines cannot reach " \
      "a loopback address. ADDRESS=0.0.0.0 serves the whole network."
  n = 0
  if (scope == "any" && match($0, /, urls=\(string\)< .* >, port=/)) {
    n = split(substr($0, RSTART + 17, RLENGTH - 17 - 9), urls, /, /)
  }
  if (scope == "any" && n > 0) {
    print "Anyone on this machine'"'"'s networks can watch, at:"
    for (i = 1; i <= n; i++) {
      gsub(/["\\]/, "", urls[i])
      print "  " urls[i]
    }
  } else if (scope == "any") {
    print "This machine has no network address but loopback: other " \
      "machines cannot reach it."
  }
  fflush()
  next
}
messages && /\([a-z]+(-[a-z]+)*\)/ && /(;|no message details)$/ { next }
{ print; fflush() }
index($0, "Could not listen on ") && index($0, ": port " port " is in use") {
  taken = 1
}
END { exit(taken ? 3 : 0) }'

# Ctrl+C reaches the filters too: they pass on gst-launch-1.0's last lines.
# mawk, Debian's awk, waits for a full buffer of input before it goes on
# after a part of a line, unless -W interactive.
mjpeghttp_filter ()
{
  local awk=(awk)

  if command -v mawk >/dev/null; then
    awk=(mawk -W interactive)
  fi
  trap '' INT
  exec "${awk[@]}" -v messages="$1" -v host="$2" -v port="$PORT" \
    -v scope="$(mjpeghttp_url_scope)" "$mjpeghttp_filter_program"
}

# Where a signal to this shell goes while it runs gst-launch-1.0. Ctrl+C
# (INT) and Ctrl+\ (QUIT) reach gst-launch-1.0 from the terminal itself:
# passed on, they would interrupt it twice, and the second one kills it.
# TERM and HUP sent to the script alone are passed on: gst-launch-1.0 ends
# on TERM and writes a graph of the pipeline on HUP (with
# GST_DEBUG_DUMP_DOT_DIR), as if it were the script's own process. Any of
# them that comes before gst-launch-1.0 is there is passed on once it is.
mjpeghttp_on_signal ()
{
  if [[ -z $mjpeghttp_gst_pid ]]; then
    mjpeghttp_pending+=("$1")
  elif [[ $1 != INT && $1 != QUIT ]]; then
    kill -s "$1" "$mjpeghttp_gst_pid" 2>/dev/null || :
  fi
}

# Runs gst-launch-1.0 -m with the pipeline in the arguments, prints the URL
# to open once the port listens, and exits with gst-launch-1.0's status.
# This shell waits for gst-launch-1.0 and the filters of its output, so
# that nothing is printed after the script has ended.
mjpeghttp_launch ()
{
  local host out err gst out_pid err_pid='' sig status=0 taken=0

  host=$(mjpeghttp_url_host)
  exec {out}> >(mjpeghttp_filter 1 "$host")
  out_pid=$!
  if [[ /dev/stdout -ef /dev/stderr ]]; then
    # One filter for both, as on a terminal, keeps the lines in order.
    exec {err}>&"$out"
  else
    exec {err}> >(exec {out}>&- && mjpeghttp_filter 0 "$host" >&2)
    err_pid=$!
  fi
  mjpeghttp_gst_pid=''
  mjpeghttp_pending=()
  for sig in INT QUIT TERM HUP; do
    # shellcheck disable=SC2064 # $sig is meant to expand now
    trap "mjpeghttp_on_signal $sig" "$sig"
  done
  # Started as a process substitution, not with &: a command run with &
  # ignores Ctrl+C until gst-launch-1.0 sets its own handler.
  exec {gst}< <(exec gst-launch-1.0 -m "$@" >&"$out" 2>&"$err" \
    {out}>&- {err}>&-)
  mjpeghttp_gst_pid=$!
  exec {gst}<&- {out}>&- {err}>&-
  for sig in "${mjpeghttp_pending[@]}"; do
    kill -s "$sig" "$mjpeghttp_gst_pid" 2>/dev/null || :
  done

  # wait returns early when a trapped signal comes; bash keeps the status
  # of a child it has reaped for the last wait.
  while kill -0 "$mjpeghttp_gst_pid" 2>/dev/null; do
    wait "$mjpeghttp_gst_pid" || :
  done
  wait "$mjpeghttp_gst_pid" || status=$?
  wait "$out_pid" || taken=$?
  if [[ -n $err_pid ]]; then
    wait "$err_pid" || taken=$?
  fi
  if ((taken == 3)); then
    echo "Port $PORT is taken: run with" \
      "PORT=$((PORT < 65535 ? PORT + 1 : PORT - 1)) (or PORT=0 for any" \
      "free port)." >&2
  fi
  exit "$status"
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

# A folder of our own in mjpeghttp_work for the frames of FRAMES, linked
# under numbers in the natural order of their names (frame2.jpg before
# frame10.jpg), as multifilesrc reads numbered names only; their count in
# mjpeghttp_count. gst-launch-1.0 reads that folder and the script waits
# for it: a watcher that outlives Ctrl+C removes the folder once the
# script's shell is gone. Without FRAMES the folder is left empty.
mjpeghttp_frames_folder ()
{
  local file

  if [[ -n ${FRAMES:-} && ! -d $FRAMES ]]; then
    mjpeghttp_die "FRAMES=$FRAMES is not a folder"
  fi
  mjpeghttp_work=$(mktemp -d "${TMPDIR:-/tmp}/mjpeghttp-frames.XXXXXX")
  (
    trap '' INT TERM HUP
    while kill -0 $$ 2>/dev/null; do
      sleep 1
    done
    rm -rf "$mjpeghttp_work"
  ) </dev/null >/dev/null 2>&1 &
  mjpeghttp_count=0
  [[ -n ${FRAMES:-} ]] || return 0
  while IFS= read -r -d '' file; do
    ln -s "$file" "$(printf '%s/%06d.jpg' "$mjpeghttp_work" \
      "$mjpeghttp_count")"
    mjpeghttp_count=$((mjpeghttp_count + 1))
  done < <(find -L "$(realpath "$FRAMES")" -maxdepth 1 -type f \
    \( -iname '*.jpg' -o -iname '*.jpeg' \) -print0 | sort -zV)
  if ((mjpeghttp_count == 0)); then
    mjpeghttp_die "no .jpg or .jpeg file in $FRAMES"
  fi
}

mjpeghttp_check_settings
mjpeghttp_find_plugin

# gst-launch-1.0 takes the pipeline as one word per argument: a value with
# a space in it stays one argument.
mjpeghttp_sink=(mjpeghttpsink "address=$ADDRESS" "port=$PORT"
  "idle-timeout=$IDLE_TIMEOUT" "idle-state=$IDLE_STATE")
read -ra mjpeghttp_sink_options <<<"$SINK_OPTIONS"
mjpeghttp_sink+=("${mjpeghttp_sink_options[@]}")
