/*
 * mjpeg-load: a load client for MJPEG-over-HTTP servers
 * (multipart/x-mixed-replace), for benchmarks on loopback.
 *
 *   mjpeg-load --url http://127.0.0.1:PORT/stream -n N --seconds S
 *              [--slow K --slow-rate BYTES_PER_S --slow-rcvbuf BYTES]
 *              [--connect-burst-ms MS] [--warmup-ms MS] [--raw]
 *              [--boundary B] [--bind ADDR] [--server-pid PID] [--json]
 *
 * One thread runs everything: one epoll loop over N non-blocking sockets,
 * edge-triggered, so that the client costs as little CPU as possible next to
 * the server it measures (both share the same cores).
 *
 * Timeline: the N connections are opened evenly over --connect-burst-ms,
 * then --warmup-ms passes so that every client had a chance to get its first
 * frame, then the measurement window of --seconds runs; fps, throughput,
 * delays and gaps are taken over the window only.  First-frame latency is
 * measured from connect() whenever it happens.
 *
 * The stream is parsed by mjpegparser.c as the bytes come, a split
 * anywhere handled; bodies are never stored: only their length and first
 * and last two bytes are kept, which is enough to check JPEG SOI/EOI.
 *
 * With --bind, every client socket is bound to that local loopback address
 * before it connects, so that the server sees the clients come from it: a
 * server that limits per address can then be loaded by viewers from one
 * address and by something else (a request flood) from another.
 *
 * With --server-pid, the server's CPU time (utime + stime of the whole
 * process, all threads) is read from /proc at the two ends of the window,
 * and its VmHWM / VmRSS at the end, so that the CPU figure covers exactly
 * the traffic that was counted.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "die.h"
#include "mjpegparser.h"
#include "now.h"
#include "options.h"
#include "procstat.h"
#include "samples.h"
#include "sockets.h"

/* Large, so that a fast client drains a whole frame in one read(). */
#define READ_CHUNK (256 * 1024)

typedef struct
{
  int fd;
  int slow;
  /* the answer so far; its state is the client's: MJPEG_IDLE until
   * connected, MJPEG_DONE once closed */
  MjpegParser p;
  int connected, got_ok, ended, failed;
  const char *why;

  size_t req_off;

  /* statistics */
  double t_connect, t_first_byte, t_last_frame;
  uint64_t frames, bytes, dups, skipped, bad;
  int have_last_num, have_last_ts;
  int64_t last_num;
  double last_ts, max_gap;

  /* slow readers: token bucket */
  double tokens, t_refill;
  int throttled;
} Client;

typedef struct
{
  int clients, connected, got_ok, failed, closed_early;
  uint64_t frames, bytes, dups, skipped, bad, proto_errors;
  int has_num, has_ts;
  Samples fps, delay, first, gap;
} ClassStats;

const char tool_name[] = "mjpeg-load";

static const char *opt_url;
static int opt_n = 1, opt_slow, opt_slow_rcvbuf = 4096, opt_json, opt_raw;
static int opt_burst_ms = 500, opt_warmup_ms = 500;
static double opt_seconds = 10, opt_slow_rate = 20000;
static const char *opt_boundary;
static const char *opt_bind;
static long opt_server_pid;

static struct sockaddr_in server_addr;
static struct sockaddr_in bind_addr;
static char request[512];
static size_t request_len;

static Client *clients;
static Client **slow_clients;
static int epfd;
static double window_start, window_end;
static volatile sig_atomic_t interrupted;
static int window_started;
static double server_ticks_start = -1, load_cpu_start;
static char rbuf[READ_CHUNK];

/* per-class samples filled while frames arrive; index 0 fast, 1 slow */
static Samples delay_samples[2];
static int seen_num[2], seen_ts[2];

/* ---- the parts ---------------------------------------------------------- */

static int
in_window (double t)
{
  return t >= window_start && t < window_end;
}

static void
client_end (Client * c, const char *why)
{
  if (c->fd >= 0) {
    close (c->fd);
    c->fd = -1;
  }
  if (!c->ended) {
    c->ended = 1;
    c->why = why;
    /* the end of the run closes every client: that is not a failure */
    if (mono_now () < window_end)
      c->failed = 1;
  }
  mjpeg_parser_stop (&c->p);
}

/* first-frame latency runs to the first body byte */
static void
body_begin (MjpegParser * p)
{
  Client *c = p->user;

  if (c->t_first_byte < 0)
    c->t_first_byte = mono_now ();
}

static void
part_done (MjpegParser * p)
{
  Client *c = p->user;
  double mono = mono_now ();
  double real = real_now ();
  int cls = c->slow;
  int bad = !mjpeg_parser_part_is_jpeg (p);

  if (in_window (mono)) {
    double prev = c->t_last_frame > 0 ? c->t_last_frame : window_start;

    c->frames++;
    if (bad)
      c->bad++;
    if (mono - prev > c->max_gap)
      c->max_gap = mono - prev;
    if (p->has_num) {
      seen_num[cls] = 1;
      if (c->have_last_num && p->part_num <= c->last_num)
        c->dups++;
      else if (c->have_last_num && p->part_num > c->last_num + 1)
        c->skipped += p->part_num - c->last_num - 1;
    } else if (p->has_ts && c->have_last_ts && p->part_ts <= c->last_ts) {
      /* without frame numbers, a repeated timestamp is a repeated frame */
      c->dups++;
    }
    if (p->has_ts) {
      seen_ts[cls] = 1;
      samples_add (&delay_samples[cls], (real - p->part_ts) * 1000.0);
    }
  }
  if (p->has_num && (!c->have_last_num || p->part_num > c->last_num)) {
    c->last_num = p->part_num;
    c->have_last_num = 1;
  }
  if (p->has_ts && (!c->have_last_ts || p->part_ts > c->last_ts)) {
    c->last_ts = p->part_ts;
    c->have_last_ts = 1;
  }
  c->t_last_frame = mono;
}

/* ---- sockets ------------------------------------------------------------ */

static void
client_read (Client * c)
{
  for (;;) {
    size_t want = sizeof rbuf;
    ssize_t r;

    if (c->slow) {
      double now = mono_now ();
      double cap = opt_slow_rate / 20 > 512 ? opt_slow_rate / 20 : 512;

      c->tokens += (now - c->t_refill) * opt_slow_rate;
      c->t_refill = now;
      if (c->tokens > cap)
        c->tokens = cap;
      if (c->tokens < 1) {
        /* data may be waiting: the main loop comes back for it */
        c->throttled = 1;
        return;
      }
      if (want > c->tokens)
        want = (size_t) c->tokens;
    }
    r = read (c->fd, rbuf, want);
    if (r > 0) {
      if (c->slow)
        c->tokens -= r;
      /* without a head to wait for, any answer is the stream */
      if (opt_raw)
        c->got_ok = 1;
      if (in_window (mono_now ()))
        c->bytes += r;
      mjpeg_parser_feed (&c->p, rbuf, r);
      if (c->p.head_done)
        c->got_ok = 1;
      if (c->p.state == MJPEG_DONE) {
        client_end (c, c->p.why ? c->p.why : "done");
        return;
      }
      continue;
    }
    if (r == 0) {
      client_end (c, "closed by server");
      return;
    }
    if (errno == EINTR)
      continue;
    if (errno == EAGAIN) {
      c->throttled = 0;
      return;
    }
    client_end (c, "read error");
    return;
  }
}

static void
client_write_request (Client * c)
{
  while (c->req_off < request_len) {
    ssize_t w = send (c->fd, request + c->req_off, request_len - c->req_off,
        MSG_NOSIGNAL);

    if (w < 0) {
      if (errno == EINTR)
        continue;
      if (errno != EAGAIN)
        client_end (c, "write error");
      return;
    }
    c->req_off += w;
  }
}

static void
client_connected (Client * c)
{
  if (connect_result (c->fd) != 0) {
    client_end (c, "connect failed");
    return;
  }
  c->connected = 1;
  /* raw: the server speaks no HTTP, the multipart stream starts at once */
  mjpeg_parser_start (&c->p, opt_raw);
  if (opt_raw) {
    c->req_off = request_len;
    return;
  }
  client_write_request (c);
}

static void
client_connect (Client * c)
{
  static const char *failed[] = {
    [CONNECT_SOCKET] = "socket failed",
    [CONNECT_BIND] = "bind failed",
    [CONNECT_CONNECT] = "connect failed"
  };
  struct epoll_event ev = { 0 };
  ConnectStep step;

  c->t_connect = mono_now ();
  c->fd = connect_from (&server_addr, opt_bind ? &bind_addr : NULL,
      c->slow ? opt_slow_rcvbuf : 0, &step);
  if (c->fd < 0) {
    client_end (c, failed[step]);
    return;
  }
  /* after connect(): epoll reports a connection that is already up */
  ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
  ev.data.ptr = c;
  if (epoll_ctl (epfd, EPOLL_CTL_ADD, c->fd, &ev) < 0)
    client_end (c, "epoll_ctl failed");
}

static void
client_event (Client * c, uint32_t events)
{
  if (c->p.state == MJPEG_DONE)
    return;
  if (c->p.state == MJPEG_IDLE) {
    if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
      return;
    client_connected (c);
    if (c->p.state == MJPEG_DONE)
      return;
  } else if ((events & EPOLLOUT) && c->req_off < request_len) {
    client_write_request (c);
  }
  if (c->p.state != MJPEG_DONE && !(c->slow && c->throttled))
    client_read (c);
}

/* ---- set-up ------------------------------------------------------------- */

static void
parse_url (const char *url)
{
  const char *host, *path;
  char hostbuf[64];
  long port;

  if (strncmp (url, "http://", 7) == 0) {
    host = url + 7;
  } else if (strncmp (url, "tcp://", 6) == 0) {
    host = url + 6;
    opt_raw = 1;
  } else {
    die ("URL must start with http:// or tcp://: %s", url);
  }
  path = strchr (host, '/');
  if (!path)
    path = "/";
  loopback_server (url, host, &server_addr, hostbuf, sizeof hostbuf, &port);

  request_len = snprintf (request, sizeof request,
      "GET %s HTTP/1.1\r\nHost: %s:%ld\r\nUser-Agent: mjpeg-load\r\n"
      "Accept: */*\r\n\r\n", path, hostbuf, port);
  if (request_len >= sizeof request)
    die ("URL too long");
}

static void
parse_bind (const char *addr)
{
  memset (&bind_addr, 0, sizeof bind_addr);
  bind_addr.sin_family = AF_INET;
  if (inet_pton (AF_INET, addr, &bind_addr.sin_addr) != 1)
    die ("--bind needs a numeric 127.x.x.x address: %s", addr);
  /* the whole of 127/8 is the loopback interface: nothing to set up */
  if ((ntohl (bind_addr.sin_addr.s_addr) >> 24) != 127)
    die ("refusing non-loopback local address %s", addr);
}

static void
usage (void)
{
  fprintf (stderr,
      "usage: mjpeg-load --url http://127.0.0.1:PORT/PATH -n N --seconds S\n"
      "         [--slow K] [--slow-rate BYTES_PER_S] [--slow-rcvbuf BYTES]\n"
      "         [--connect-burst-ms MS] [--warmup-ms MS]\n"
      "         [--raw] [--boundary B] [--bind ADDR] [--server-pid PID]\n"
      "         [--json]\n"
      "  --raw: no HTTP exchange, the multipart stream starts at connect\n"
      "         (e.g. tcpserversink; implied by a tcp:// URL)\n"
      "  --boundary: the boundary, without its leading \"--\"; by default the\n"
      "         Content-Type's, else the first line that starts with \"--\"\n"
      "  --bind: connect from this local loopback address (127.x.x.x)\n"
      "  --server-pid: report that process's CPU and memory over the window\n");
  exit (2);
}

static void
parse_args (int argc, char **argv)
{
  const Option options[] = {
    {"--json", OPTION_FLAG, &opt_json},
    {"--raw", OPTION_FLAG, &opt_raw},
    {"--url", OPTION_STRING, &opt_url},
    {"-n", OPTION_INT, &opt_n},
    {"--seconds", OPTION_DOUBLE, &opt_seconds},
    {"--slow", OPTION_INT, &opt_slow},
    {"--slow-rate", OPTION_DOUBLE, &opt_slow_rate},
    {"--slow-rcvbuf", OPTION_INT, &opt_slow_rcvbuf},
    {"--connect-burst-ms", OPTION_INT, &opt_burst_ms},
    {"--warmup-ms", OPTION_INT, &opt_warmup_ms},
    {"--boundary", OPTION_STRING, &opt_boundary},
    {"--bind", OPTION_STRING, &opt_bind},
    {"--server-pid", OPTION_LONG, &opt_server_pid},
    {NULL, 0, NULL}
  };

  if (!options_parse (options, argc, argv))
    usage ();
  if (!opt_url || opt_n <= 0 || opt_seconds <= 0 || opt_slow < 0
      || opt_slow > opt_n || opt_slow_rate <= 0 || opt_burst_ms < 0
      || opt_warmup_ms < 0 || opt_slow_rcvbuf <= 0)
    usage ();
}

/* ---- report ------------------------------------------------------------- */

static void
collect (ClassStats * cs, int cls, double window)
{
  int i;

  memset (cs, 0, sizeof *cs);
  for (i = 0; i < opt_n; i++) {
    Client *c = &clients[i];
    double last;

    if (c->slow != cls)
      continue;
    cs->clients++;
    cs->connected += c->connected;
    cs->got_ok += c->got_ok;
    cs->failed += c->failed || !c->got_ok;
    cs->closed_early += c->failed;
    cs->frames += c->frames;
    cs->bytes += c->bytes;
    cs->dups += c->dups;
    cs->skipped += c->skipped;
    cs->bad += c->bad;
    cs->proto_errors += c->p.proto_errors;
    samples_add (&cs->fps, c->frames / window);
    if (c->t_first_byte >= 0)
      samples_add (&cs->first, (c->t_first_byte - c->t_connect) * 1000.0);
    /* a client that stalls at the end has a gap that never closed */
    last = c->t_last_frame > window_start ? c->t_last_frame : window_start;
    if (window_end - last > c->max_gap)
      c->max_gap = window_end - last;
    samples_add (&cs->gap, c->max_gap * 1000.0);
  }
  cs->delay = delay_samples[cls];
  cs->has_num = seen_num[cls];
  cs->has_ts = seen_ts[cls];
}

static void
json_num (const char *key, double v, int last)
{
  if (isnan (v))
    printf ("\"%s\":null%s", key, last ? "" : ",");
  else
    printf ("\"%s\":%.3f%s", key, v, last ? "" : ",");
}

static void
print_json_class (const char *name, ClassStats * cs, int slow, double window)
{
  printf ("\"%s\":{\"clients\":%d,\"connected\":%d,\"got_200\":%d,"
      "\"failed\":%d,\"closed_early\":%d,\"frames\":%" PRIu64 ",",
      name, cs->clients, cs->connected, cs->got_ok, cs->failed,
      cs->closed_early, cs->frames);
  json_num ("fps_median", samples_percentile (&cs->fps, 50), 0);
  json_num ("fps_min", samples_percentile (&cs->fps, 0), 0);
  json_num ("frames_per_s", cs->frames / window, 0);
  json_num ("mbytes_per_s", cs->bytes / window / 1e6, 0);
  printf ("\"duplicates\":%" PRIu64 ",", cs->dups);
  if (cs->has_num)
    printf ("\"skipped\":%" PRIu64 ",", cs->skipped);
  else
    printf ("\"skipped\":null,");
  printf ("\"bad_frames\":%" PRIu64 ",\"protocol_errors\":%" PRIu64 ",",
      cs->bad, cs->proto_errors);
  json_num ("delay_ms_p50", samples_percentile (&cs->delay, 50), 0);
  json_num ("delay_ms_p99", samples_percentile (&cs->delay, 99), 0);
  json_num ("delay_ms_max", samples_percentile (&cs->delay, 100), 0);
  json_num ("first_frame_ms_p50", samples_percentile (&cs->first, 50), 0);
  json_num ("first_frame_ms_max", samples_percentile (&cs->first, 100), 0);
  json_num ("gap_ms_p50", samples_percentile (&cs->gap, 50), 0);
  json_num ("gap_ms_max", samples_percentile (&cs->gap, 100), !slow);
  if (slow) {
    /* for slow readers the delay is how old the frames they see are */
    json_num ("age_ms_p50", samples_percentile (&cs->delay, 50), 0);
    json_num ("age_ms_max", samples_percentile (&cs->delay, 100), 1);
  }
  printf ("}");
}

static void
fmt_ms (char *buf, size_t len, double v)
{
  if (isnan (v))
    snprintf (buf, len, "-");
  else
    snprintf (buf, len, v < 10 ? "%.2f" : "%.0f", v);
}

/* "a / b / c" of up to three figures in milliseconds */
static void
fmt_ms3 (char *buf, size_t len, double a, double b, double c, int n)
{
  char x[3][24];

  fmt_ms (x[0], sizeof x[0], a);
  fmt_ms (x[1], sizeof x[1], b);
  fmt_ms (x[2], sizeof x[2], c);
  if (n == 2)
    snprintf (buf, len, "%s / %s", x[0], x[1]);
  else
    snprintf (buf, len, "%s / %s / %s", x[0], x[1], x[2]);
}

/* One metric per row, one column per class: the cells vary too much in
 * width for a row per class to stay readable. */
static void
print_table (ClassStats * cls, double window)
{
  enum
  { ROWS = 10, CELL = 80 };
  static const char *labels[ROWS] = {
    "clients", "connected / 200 / failed", "fps median / min", "frames",
    "MB/s", "duplicates / skipped", "bad frames / protocol errors",
    "delay (age) ms p50/p99/max", "first frame ms p50 / max",
    "worst gap ms p50 / max"
  };
  char cell[2][ROWS][CELL];
  int k, r;

  printf ("mjpeg-load: %s, %d clients (%d slow at %.0f B/s), window %.1f s\n",
      opt_url, opt_n, opt_slow, opt_slow_rate, window);
  for (k = 0; k < 2; k++) {
    ClassStats *cs = &cls[k];
    char skip[24];

    if (cs->has_num)
      snprintf (skip, sizeof skip, "%" PRIu64, cs->skipped);
    else
      snprintf (skip, sizeof skip, "-");
    snprintf (cell[k][0], CELL, "%d", cs->clients);
    snprintf (cell[k][1], CELL, "%d / %d / %d", cs->connected, cs->got_ok,
        cs->failed);
    snprintf (cell[k][2], CELL, "%.1f / %.1f",
        samples_percentile (&cs->fps, 50), samples_percentile (&cs->fps, 0));
    snprintf (cell[k][3], CELL, "%" PRIu64, cs->frames);
    snprintf (cell[k][4], CELL, "%.2f", cs->bytes / window / 1e6);
    snprintf (cell[k][5], CELL, "%" PRIu64 " / %s", cs->dups, skip);
    snprintf (cell[k][6], CELL, "%" PRIu64 " / %" PRIu64, cs->bad,
        cs->proto_errors);
    fmt_ms3 (cell[k][7], CELL, samples_percentile (&cs->delay, 50),
        samples_percentile (&cs->delay, 99),
        samples_percentile (&cs->delay, 100), 3);
    fmt_ms3 (cell[k][8], CELL, samples_percentile (&cs->first, 50),
        samples_percentile (&cs->first, 100), 0, 2);
    fmt_ms3 (cell[k][9], CELL, samples_percentile (&cs->gap, 50),
        samples_percentile (&cs->gap, 100), 0, 2);
  }
  printf ("%-30s %-24s %s\n", "", "fast", cls[1].clients ? "slow" : "");
  for (r = 0; r < ROWS; r++)
    printf ("%-30s %-24s %s\n", labels[r], cell[0][r],
        cls[1].clients ? cell[1][r] : "");
}

static void
on_signal (int sig)
{
  (void) sig;
  interrupted = 1;
}

int
main (int argc, char **argv)
{
  struct epoll_event evs[256];
  ClassStats cls[2];
  double t0, now, burst, window, server_cpu = NAN, load_cpu;
  long hwm = -1, rss = -1;
  int i, next = 0, nslow = 0;
  rlim_t nofile;

  parse_args (argc, argv);
  parse_url (opt_url);
  if (opt_bind)
    parse_bind (opt_bind);
  nofile = raise_nofile ();
  if (nofile != RLIM_INFINITY && nofile < (rlim_t) opt_n + 16)
    die ("%d clients need more file descriptors than the limit %ju",
        opt_n, (uintmax_t) nofile);
  signal (SIGPIPE, SIG_IGN);
  /* ^C ends the run early but still prints what was measured */
  signal (SIGINT, on_signal);
  signal (SIGTERM, on_signal);

  clients = calloc (opt_n, sizeof *clients);
  slow_clients = calloc (opt_slow + 1, sizeof *slow_clients);
  if (!clients || !slow_clients)
    die ("out of memory");
  for (i = 0; i < opt_n; i++) {
    Client *c = &clients[i];

    c->fd = -1;
    /* spread the slow clients over the connect order */
    c->slow = opt_slow > 0 && (i * opt_slow) / opt_n
        != ((i + 1) * opt_slow) / opt_n;
    if (c->slow)
      slow_clients[nslow++] = c;
    c->t_first_byte = -1;
    mjpeg_parser_init (&c->p, body_begin, part_done, c);
    if (opt_boundary)
      mjpeg_parser_set_boundary (&c->p, opt_boundary, strlen (opt_boundary));
  }
  epfd = epoll_create1 (EPOLL_CLOEXEC);
  if (epfd < 0)
    die ("epoll_create1: %s", strerror (errno));

  t0 = mono_now ();
  burst = opt_burst_ms / 1000.0;
  window_start = t0 + burst + opt_warmup_ms / 1000.0;
  window_end = window_start + opt_seconds;

  for (;;) {
    int n, timeout_ms;

    now = mono_now ();
    if (now >= window_end || interrupted)
      break;
    if (now >= window_start && !window_started) {
      window_started = 1;
      load_cpu_start = procstat_own_cpu ();
      if (opt_server_pid > 0)
        server_ticks_start = procstat_ticks (opt_server_pid);
    }
    while (next < opt_n && (opt_burst_ms == 0
            || now >= t0 + burst * next / opt_n))
      client_connect (&clients[next++]);

    for (i = 0; i < opt_slow; i++) {
      Client *c = slow_clients[i];

      if (c->throttled && c->p.state != MJPEG_DONE)
        client_read (c);
    }

    /* wake for the next connect, the slow clients' buckets, or the end */
    timeout_ms = (int) (((now < window_start ? window_start : window_end)
            - now) * 1000) + 1;
    if (next < opt_n && timeout_ms > 1)
      timeout_ms = 1;
    if (opt_slow > 0 && timeout_ms > 10)
      timeout_ms = 10;
    n = epoll_wait (epfd, evs, 256, timeout_ms);
    if (n < 0 && errno != EINTR)
      die ("epoll_wait: %s", strerror (errno));
    for (i = 0; i < n; i++)
      client_event (evs[i].data.ptr, evs[i].events);
  }

  now = mono_now ();
  if (now < window_end)
    window_end = now;
  window = window_end - window_start;
  if (window <= 0)
    die ("interrupted before the measurement window");
  load_cpu = (procstat_own_cpu () - load_cpu_start) / window * 100.0;
  if (opt_server_pid > 0) {
    double end = procstat_ticks (opt_server_pid);

    if (server_ticks_start >= 0 && end >= 0)
      server_cpu = (end - server_ticks_start) / sysconf (_SC_CLK_TCK)
          / window * 100.0;
    hwm = procstat_status_kb (opt_server_pid, "VmHWM");
    rss = procstat_status_kb (opt_server_pid, "VmRSS");
  }

  collect (&cls[0], 0, window);
  collect (&cls[1], 1, window);
  if (opt_json) {
    printf ("{\"url\":\"%s\",\"clients\":%d,\"slow_clients\":%d,"
        "\"slow_rate\":%.0f,\"window_s\":%.3f,", opt_url, opt_n, opt_slow,
        opt_slow_rate, window);
    print_json_class ("fast", &cls[0], 0, window);
    printf (",");
    print_json_class ("slow", &cls[1], 1, window);
    printf (",");
    json_num ("load_cpu_percent", load_cpu, 0);
    json_num ("server_cpu_percent", server_cpu, 0);
    printf ("\"server_vmhwm_kb\":%ld,\"server_vmrss_kb\":%ld}\n", hwm, rss);
  } else {
    print_table (cls, window);
    printf ("load client CPU %.1f%% of one core", load_cpu);
    if (opt_server_pid > 0)
      printf ("; server pid %ld: CPU %.1f%% of one core, VmHWM %ld kB, "
          "VmRSS %ld kB", opt_server_pid, server_cpu, hwm, rss);
    printf ("\n");
  }
  for (i = 0; i < opt_n; i++)
    if (clients[i].fd >= 0)
      close (clients[i].fd);
  return 0;
}
