#!/usr/bin/env bash
# tls-bench.sh: what TLS costs the server, as CPU per delivered frame, for
# three set-ups serving the same pre-encoded JPEG sequence at 30 fps, one
# after the other, at each client count (100 and 400 by default):
#
#   http         mjpeghttpsink, plain http: the reference
#   https-sink   mjpeghttpsink serving https itself (tls-certificate,
#                tls-key); skipped while the build has no such property
#   https-nginx  nginx terminating TLS in front of a plain mjpeghttpsink
#                (proxy_pass over loopback http, proxy_buffering off); its
#                server CPU is the sink's plus nginx's (master and workers)
#
# and prints one markdown table: per set-up and client count, the frame
# rate each client got, the server's CPU per delivered frame (sink, nginx,
# total), the total against plain http, and the load client's own CPU per
# frame (it shares the cores with the servers).
#
#   bench/tls-bench.sh [--seconds S] [--clients "100 400"]
#                      [--sizes "640x480 1280x720"] [--nginx-buffer SIZE]
#                      [--setups "http https-sink https-nginx"] [--json]
#                      [BUILD_DIR]
#
# --seconds     measurement window of each run (default 10)
# --clients     client counts, all reading at full rate
# --sizes       frame sets, as in run-bench.sh (~10 KB and ~48 KB JPEGs)
# --nginx-buffer  adds proxy_buffer_size SIZE (and proxy_buffers 4 SIZE,
#               which nginx then requires) to nginx's location: with
#               proxy_buffering off it is how much nginx reads from the sink
#               at a time, one page (4 KiB) unless set
# --setups      which of the three to run (the ratios need http)
# --json        one JSON line per run on stdout instead of the table
#
# BUILD_DIR (argument or environment; default <repo>/build) holds the built
# plugin in BUILD_DIR/gst.  The load client is built here from bench/*.c
# with GnuTLS (libgnutls28-dev); nginx is NGINX or nginx on the PATH or
# /usr/sbin/nginx (Debian: nginx-light), skipped with a note if missing.
#
# A throwaway CA and a certificate for localhost / 127.0.0.1 are made with
# openssl in the scratch directory; mjpeg-load verifies the server against
# them (a certificate that does not verify fails the run).  The sink runs
# as in run-bench.sh (max-clients=0 max-clients-per-address=0
# request-rate=0), also with max-pending-connections=0 header-timeout=60:
# it does few TLS handshakes at a time from one address, and the clients
# waiting their turn must not be refused.  Each window opens once every
# client has its first frame (mjpeg-load --ready-wait-ms).  Everything
# binds 127.0.0.1 on free ports between 20000 and 32000; every server is
# started afresh for each run, with the plugin as it was when the script
# started.  nginx runs in the foreground with its own configuration, logs,
# pid file and temporary directories in the scratch directory, and is
# stopped on exit whatever happens.

set -u -o pipefail

# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

SECONDS_PER_RUN=10
CLIENTS="100 400"
SIZES="640x480 1280x720"
NGINX_BUFFER=
SETUPS="http https-sink https-nginx"
json=0
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds|--clients|--sizes|--nginx-buffer|--setups)
      [ $# -ge 2 ] || { echo "$1 needs a value" >&2; exit 2; }
      case "$1" in
        --seconds) SECONDS_PER_RUN=$2 ;;
        --clients) CLIENTS=$2 ;;
        --sizes) SIZES=$2 ;;
        --nginx-buffer) NGINX_BUFFER=$2 ;;
        --setups) SETUPS=$2 ;;
      esac
      shift ;;
    --json) json=1 ;;
    *) bench_arg "$1" ;;
  esac
  shift
done
for setup in $SETUPS; do
  case "$setup" in
    http|https-sink|https-nginx) ;;
    *) echo "unknown set-up $setup (http, https-sink, https-nginx)" >&2; exit 2 ;;
  esac
done
case "$SECONDS_PER_RUN" in
  ''|*[!0-9]*|0) echo "--seconds needs a whole number of seconds" >&2; exit 2 ;;
esac

need_tools gst-launch-1.0 gst-inspect-1.0 cc pkg-config openssl jq awk perl
pkg-config --exists gnutls \
  || { note "missing GnuTLS headers (apt-get install libgnutls28-dev)"; exit 1; }
NGINX=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}

bench_start tls-bench
nginx_pid=
nginx_workers=

stop_nginx() {
  local pid
  [ -n "$nginx_pid" ] || return 0
  stop_pid "$nginx_pid"
  # workers outlive a master that was killed: they are ours, by pid
  for pid in $nginx_workers; do stop_pid "$pid"; done
  nginx_pid=
  nginx_workers=
}

# shellcheck disable=SC2317 # called by the trap
tls_cleanup() {
  stop_nginx
  cleanup
}
trap tls_cleanup EXIT

# ---- tools ------------------------------------------------------------------

# lib.sh's build_load, with GnuTLS for https://
load=$tmp/mjpeg-load
# shellcheck disable=SC2046 # pkg-config's flags are words
cc -O2 -Wall -Wextra -DHAVE_GNUTLS -o "$load" "$here/mjpeg-load.c" \
  "$here/die.c" "$here/mjpegparser.c" "$here/options.c" "$here/procstat.c" \
  "$here/samples.c" "$here/sockets.c" $(pkg-config --cflags --libs gnutls) \
  || exit 1

server_built mjpeghttpsink || exit 1
# every run loads the plugin as it is now, even if the build directory is
# rebuilt during the runs
mkdir -p "$tmp/plugin/gst"
cp "$plugin" "$tmp/plugin/gst/" || exit 1
build_dir=$tmp/plugin
plugin=$build_dir/gst/$(basename "$plugin")
# a registry of this run's own: the copy is not entered in the user's,
# which other runs share
export GST_REGISTRY=$tmp/gst-registry.bin

sink_tls_note=
# not grep -q: gst-inspect killed by SIGPIPE would fail the pipeline
if ! GST_PLUGIN_PATH=$build_dir/gst gst-inspect-1.0 mjpeghttpsink 2>/dev/null \
    | grep tls-certificate >/dev/null; then
  sink_tls_note="mjpeghttpsink has no tls-certificate property in this build"
fi
nginx_note=
[ -x "$NGINX" ] || nginx_note="no nginx (apt-get install nginx-light)"

# ---- certificates -----------------------------------------------------------

# $ca: a CA made for this run; $cert, $key: localhost's, signed by it
# (ECDSA P-256), naming DNS:localhost and IP:127.0.0.1
pki=$tmp/pki
mkdir -p "$pki"
ca=$pki/ca.pem cert=$pki/cert.pem key=$pki/key.pem
cat >"$pki/openssl.cnf" <<'EOF'
[req]
distinguished_name = dn
prompt = no
[dn]
CN = tls-bench throwaway CA
[ca_ext]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[server_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
authorityKeyIdentifier = keyid
EOF
{
  openssl req -x509 -new -config "$pki/openssl.cnf" -extensions ca_ext \
    -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$pki/ca.key" -out "$ca" -days 2 &&
  openssl req -new -config "$pki/openssl.cnf" -subj /CN=localhost \
    -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$key" -out "$pki/server.csr" &&
  openssl x509 -req -in "$pki/server.csr" -CA "$ca" -CAkey "$pki/ca.key" \
    -set_serial 2 -days 2 -extfile "$pki/openssl.cnf" \
    -extensions server_ext -out "$cert"
} >"$pki/openssl.log" 2>&1 \
  || { note "openssl failed:"; tail -5 "$pki/openssl.log" >&2; exit 1; }

# ---- servers ----------------------------------------------------------------

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

# start_plain_sink PORT DIR LOG [PROPERTY...]: as run-bench.sh starts it;
# one load client stands for many viewers: no per-address limits.  Nor
# limits on connections still in their handshake or request: the sink
# does few TLS handshakes at a time from one address, and the hundreds
# waiting their turn must neither be refused nor time out.
start_plain_sink() {
  local port=$1 dir=$2 log=$3
  shift 3
  start_sink "$port" "$dir" "$log" max-clients=0 max-clients-per-address=0 \
    request-rate=0 max-pending-connections=0 header-timeout=60 "$@"
}

# start_nginx PORT UPSTREAM_PORT: nginx on 127.0.0.1:PORT, https, proxying
# to the sink at UPSTREAM_PORT; sets nginx_pid.  Its files are in
# $tmp/nginx: nothing under /etc/nginx, /var/log/nginx or /var/lib/nginx.
start_nginx() {
  local port=$1 upstream=$2 dir=$tmp/nginx user='' buffer=
  rm -rf "$dir"
  mkdir -p "$dir"
  # as root the workers drop to nobody; otherwise "user" only warns
  [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1 &&
    user="user nobody $(id -gn nobody);"
  # proxy_buffers only so that nginx accepts the size: unbuffered, it
  # allocates none of them
  [ -n "$NGINX_BUFFER" ] && buffer="proxy_buffer_size $NGINX_BUFFER; proxy_buffers 4 $NGINX_BUFFER;"
  cat >"$dir/nginx.conf" <<EOF
# written by bench/tls-bench.sh
$user
worker_processes auto;
worker_rlimit_nofile $(ulimit -Hn);
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events {
  worker_connections 4096;
}
http {
  access_log off;
  client_body_temp_path $dir/client_body;
  proxy_temp_path $dir/proxy;
  fastcgi_temp_path $dir/fastcgi;
  uwsgi_temp_path $dir/uwsgi;
  scgi_temp_path $dir/scgi;
  server {
    listen 127.0.0.1:$port ssl;
    server_name localhost;
    # what Debian's /etc/nginx/nginx.conf sets in http {}, where
    # docs/nginx-tls-proxy.conf is included; nginx 1.22's own default
    # leaves TLS 1.3 out
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_prefer_server_ciphers on;
    ssl_certificate $cert;
    ssl_certificate_key $key;
    location / {
      proxy_pass http://127.0.0.1:$upstream;
      proxy_http_version 1.1;
      # frames go out as they come, not when a buffer fills
      proxy_buffering off;
      # a stream is one endless response
      proxy_read_timeout 1h;
      proxy_set_header Host \$host;
      proxy_set_header X-Forwarded-For \$remote_addr;
      proxy_set_header X-Forwarded-Proto \$scheme;
      $buffer
    }
  }
}
EOF
  # -e: the log nginx writes before it has read its configuration
  "$NGINX" -e "$dir/error.log" -p "$dir/" -c "$dir/nginx.conf" \
    -g 'daemon off;' >"$dir/stdout.log" 2>&1 &
  nginx_pid=$!
}

# nginx_ready PORT: once nginx listens, its workers in nginx_workers
nginx_ready() {
  local port=$1 _
  for _ in $(seq 100); do
    kill -0 "$nginx_pid" 2>/dev/null || break
    if timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port" 2>/dev/null; then
      sleep 0.5
      nginx_workers=$(cat "/proc/$nginx_pid/task/$nginx_pid/children" \
        2>/dev/null)
      [ -n "$nginx_workers" ] && return 0
    fi
    sleep 0.1
  done
  note "   nginx did not start; log:"
  tail -5 "$tmp/nginx/error.log" >&2
  stop_nginx
  return 1
}

# ---- one run ----------------------------------------------------------------

# run_one SETUP SIZE DIR N: one JSON line in $tmp/run.json, or an empty
# file.  Not in a subshell: the EXIT trap must see the servers' pids.
run_one() {
  local setup=$1 size=$2 dir=$3 n=$4 url pids pid tls=() rc sink_pid
  local log=$tmp/$setup-$size-$n.log sink_port port
  : >"$tmp/run.json"
  sink_port=$(free_port) || { note "   no free port"; return; }
  case "$setup" in
    http)
      start_plain_sink "$sink_port" "$dir" "$log"
      url=http://127.0.0.1:$sink_port/stream
      ;;
    https-sink)
      start_plain_sink "$sink_port" "$dir" "$log" tls-certificate="$cert" \
        tls-key="$key"
      url=https://localhost:$sink_port/stream
      ;;
    https-nginx)
      start_plain_sink "$sink_port" "$dir" "$log"
      ;;
  esac
  server_ready mjpeghttpsink "$sink_port" "$log" || return
  sink_pid=$server_pid
  pids=$sink_pid
  if [ "$setup" = https-nginx ]; then
    port=$(free_port) || { note "   no free port"; stop_server; return; }
    start_nginx "$port" "$sink_port"
    nginx_ready "$port" || { stop_server; return; }
    pids=$pids,$nginx_pid
    for pid in $nginx_workers; do pids=$pids,$pid; done
    url=https://localhost:$port/stream
  fi
  [ "$setup" != http ] && tls=(--tls-ca "$ca")
  # the window opens once every client has its first frame (at most 60 s
  # on): handshakes with the sink itself come in a few at a time
  timeout $((SECONDS_PER_RUN + 120)) "$load" --url "$url" "${tls[@]}" \
    -n "$n" --seconds "$SECONDS_PER_RUN" --ready-wait-ms 60000 \
    --server-pid "$pids" --json \
    >"$tmp/out.json" 2>"$tmp/load.err" &
  load_pid=$!
  wait $load_pid
  rc=$?
  load_pid=
  if [ "$setup" = https-nginx ]; then
    grep -E '\[(warn|error|crit|alert|emerg)\]' "$tmp/nginx/error.log" \
      | head -3 | sed 's/^/   nginx: /' >&2
  fi
  stop_nginx
  stop_server
  if [ $rc -ne 0 ]; then
    note "   mjpeg-load failed ($rc):"
    sed 's/^/   /' "$tmp/load.err" >&2
    return
  fi
  # the sink's share is its own pid's; nginx's, the others'
  jq -c --arg setup "$setup" --arg size "$size" --argjson sink "$sink_pid" '
    (.fast.frames_per_s + .slow.frames_per_s) as $f
    | def us(cpu): if $f > 0 and cpu != null then cpu * 1e4 / $f else null end;
    ([.server_processes[] | select(.pid == $sink) | .cpu_percent] | add)
      as $sink_cpu
    | ([.server_processes[] | select(.pid != $sink) | .cpu_percent] | add)
      as $nginx_cpu
    | {setup: $setup, size: $size, clients,
       ok: (.fast.got_200 + .slow.got_200),
       failed: (.fast.failed + .slow.failed),
       fps_median: .fast.fps_median, fps_min: .fast.fps_min,
       frames_per_s: $f, mbytes_per_s: .fast.mbytes_per_s,
       delay_ms_p50: .fast.delay_ms_p50, delay_ms_p99: .fast.delay_ms_p99,
       sink_cpu_percent: $sink_cpu, nginx_cpu_percent: $nginx_cpu,
       server_cpu_percent, load_cpu_percent, server_vmhwm_kb,
       sink_us_per_frame: us($sink_cpu), nginx_us_per_frame: us($nginx_cpu),
       server_us_per_frame: .server_cpu_us_per_frame,
       load_us_per_frame: .load_cpu_us_per_frame,
       nginx_workers: ((.server_processes | length) - 2
                       | if . > 0 then . else null end),
       tls, window_s, window_start_s}' "$tmp/out.json" >"$tmp/run.json" 2>/dev/null \
    || : >"$tmp/run.json"
}

# ---- the runs ---------------------------------------------------------------

loadavg=$(cut -d' ' -f1-3 /proc/loadavg)
results=$tmp/results.jsonl
: >"$results"
frame_notes=()
skipped=()
status=0
[ -n "$sink_tls_note" ] && note "https-sink: skipped: $sink_tls_note"
[ -n "$nginx_note" ] && note "https-nginx: skipped: $nginx_note"
for size in $SIZES; do
  dir=$tmp/frames-$size
  note "== generating $size frames"
  make_frames "$size" "$dir" || { note "frame generation failed"; exit 1; }
  frame_notes+=("$size: 300 JPEGs of ~$(frames_kb "$dir") KB")
  for n in $CLIENTS; do
    for setup in $SETUPS; do
      if [ "$setup" = https-sink ] && [ -n "$sink_tls_note" ]; then
        skipped+=("$setup $size $n")
        continue
      fi
      if [ "$setup" = https-nginx ] && [ -n "$nginx_note" ]; then
        skipped+=("$setup $size $n")
        continue
      fi
      note "== $size $setup: $n clients, $SECONDS_PER_RUN s"
      run_one "$setup" "$size" "$dir" "$n"
      if [ ! -s "$tmp/run.json" ]; then
        note "   no result"
        status=1
        continue
      fi
      cat "$tmp/run.json" >>"$results"
      jq -r '
        def r: if . == null then "-" else . * 10 | round / 10 end;
        "   fps \(.fps_median | r) / \(.fps_min | r), server " +
        "\(.server_us_per_frame | r) µs/frame" +
        (if .nginx_us_per_frame != null
         then " (sink \(.sink_us_per_frame | r) + nginx " +
              "\(.nginx_us_per_frame | r))" else "" end) +
        ", load client \(.load_us_per_frame | r) µs/frame" +
        (if .window_start_s > 1.5
         then ", window from \(.window_start_s | r) s" else "" end) +
        (if .fps_median < 29 then "   WARNING: below 30 fps" else "" end)' \
        "$tmp/run.json" >&2
    done
  done
done

# each run against plain http at the same size and client count
jq -c -s '
  (map(select(.setup == "http") | {key: "\(.size) \(.clients)",
     value: .server_us_per_frame}) | from_entries) as $plain
  | .[] | . + {vs_http: (($plain["\(.size) \(.clients)"]) as $p
      | if $p != null and $p > 0 and .server_us_per_frame != null
        then .server_us_per_frame / $p else null end)}' "$results" \
  >"$tmp/final.jsonl"

if [ "$json" = 1 ]; then
  cat "$tmp/final.jsonl"
  for s in "${skipped[@]}"; do
    read -r setup size n <<<"$s"
    why=$sink_tls_note
    [ "$setup" = https-nginx ] && why=$nginx_note
    jq -nc --arg setup "$setup" --arg size "$size" --argjson n "$n" \
      --arg why "$why" '{setup: $setup, size: $size, clients: $n,
        skipped: $why}'
  done
  exit $status
fi

# ---- the report -------------------------------------------------------------

echo
echo "TLS cost, $(nproc) CPUs, $SECONDS_PER_RUN s per run, load average before: $loadavg"
for fn in "${frame_notes[@]}"; do echo "- frames $fn"; done
echo
jq -r '
  def v: if . == null then "-" else . end;
  [.size, .setup, .clients, .ok, .failed, .fps_median, .fps_min,
   (.sink_us_per_frame | v), (.nginx_us_per_frame | v),
   (.server_us_per_frame | v), (.vs_http | v), (.load_us_per_frame | v),
   .server_vmhwm_kb]
  | @tsv' "$tmp/final.jsonl" | awk -F'\t' '
  function f(x, d) { return (x == "-" || x == "") ? "-" : sprintf("%." d "f", x) }
  function mb(kb) { return kb < 0 ? "-" : sprintf("%.1f", kb / 1024) }
  BEGIN {
    print "| frames | set-up | clients | ok / failed | fps median / min | sink µs / frame | nginx µs / frame | server µs / frame | vs http | load client µs / frame | server peak RSS MB |"
    print "|---|---|---|---|---|---|---|---|---|---|---|"
  }
  {
    print "| " $1 " | " $2 " | " $3 " | " $4 " / " $5 " | " f($6, 1) " / " f($7, 1) \
      " | " f($8, 1) " | " f($9, 1) " | " f($10, 1) " | " f($11, 2) " | " f($12, 1) \
      " | " mb($13) " |"
  }'
echo
jq -r -s 'map(select(.tls != null) | "- \(.setup): \(.tls)") | unique | .[]' \
  "$tmp/final.jsonl"
jq -r -s 'map(select(.nginx_workers != null) | .nginx_workers) | unique
  | if length > 0 then "- nginx: \(map(tostring) | join(", ")) worker processes" +
    " and the master, all counted" else empty end' "$tmp/final.jsonl"
[ -n "$NGINX_BUFFER" ] && echo "- nginx: proxy_buffer_size $NGINX_BUFFER (--nginx-buffer)"
[ -n "$sink_tls_note" ] && echo "- https-sink: skipped: $sink_tls_note"
[ -n "$nginx_note" ] && echo "- https-nginx: skipped: $nginx_note"
echo "- server µs / frame: CPU time (utime + stime) of the server's processes"
echo "  over the window, divided by the frames delivered to all clients; vs"
echo "  http: against plain http at the same size and client count; load"
echo "  client: mjpeg-load's own, on the same cores; peak RSS: VmHWM, summed"
echo "  over the server's processes.  The window opens once every client has"
echo "  its first frame."
exit $status
