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
 * The stream is parsed in layers, each a small state machine fed whatever a
 * read() returned, so a split anywhere (inside a header line, a chunk size,
 * a boundary, a body) is handled: HTTP response head, then an optional
 * chunked transfer decoding, then the multipart parts.  Bodies are never
 * stored: only their length and first and last two bytes are kept, which is
 * enough to check JPEG SOI/EOI.
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
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

/* Large, so that a fast client drains a whole frame in one read(). */
#define READ_CHUNK (256 * 1024)
#define LINE_MAX_LEN 1024
#define BOUNDARY_MAX 128

typedef enum
{
  ST_CONNECTING,
  ST_STATUS,
  ST_HEADERS,
  /* everything from here on is the response body */
  ST_PREAMBLE,
  ST_PART_HEADERS,
  ST_BODY,
  ST_BODY_SCAN,
  ST_BOUNDARY_TAIL,
  ST_AFTER_BODY,
  ST_DONE
} State;

typedef enum
{
  CH_SIZE,
  CH_DATA,
  CH_DATA_END,
  CH_TRAILER
} ChunkState;

typedef struct
{
  double *v;
  size_t n, cap;
} Samples;

typedef struct
{
  int fd;
  int slow;
  State state;
  int connected, got_ok, ended, failed;
  const char *why;

  size_t req_off;

  char line[LINE_MAX_LEN];
  size_t line_len;

  int chunked;
  ChunkState cstate;
  uint64_t chunk_left;
  char cline[64];
  size_t cline_len;

  /* the boundary without its leading "--"; delim is "\r\n--" + boundary,
   * used only to find the end of a part that has no Content-Length */
  char boundary[BOUNDARY_MAX];
  size_t blen;
  char delim[BOUNDARY_MAX + 4];
  size_t dlen, delim_match;

  /* the part being received */
  int64_t content_length;
  int64_t body_left;
  uint64_t body_len;
  int has_ts, has_num;
  double part_ts;
  int64_t part_num;
  unsigned char first2[2], last2[2];

  /* statistics */
  double t_connect, t_first_byte, t_last_frame;
  uint64_t frames, bytes, dups, skipped, bad, proto_errors;
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

static void
die (const char *fmt, ...)
{
  va_list ap;

  va_start (ap, fmt);
  fprintf (stderr, "mjpeg-load: ");
  vfprintf (stderr, fmt, ap);
  fprintf (stderr, "\n");
  va_end (ap);
  exit (1);
}

static double
mono_now (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double
real_now (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_REALTIME, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
samples_add (Samples * s, double v)
{
  if (s->n == s->cap) {
    s->cap = s->cap ? s->cap * 2 : 1024;
    s->v = realloc (s->v, s->cap * sizeof *s->v);
    if (!s->v)
      die ("out of memory");
  }
  s->v[s->n++] = v;
}

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

/* Nearest-rank percentile; the samples are sorted in place. */
static double
percentile (Samples * s, double p)
{
  double rank;
  size_t i;

  if (s->n == 0)
    return NAN;
  qsort (s->v, s->n, sizeof *s->v, cmp_double);
  rank = p / 100.0 * s->n;
  i = (size_t) rank;
  /* round up without libm: the smallest rank covering p percent */
  if (i < rank)
    i++;
  if (i > 0)
    i--;
  return s->v[i < s->n ? i : s->n - 1];
}

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
  c->state = ST_DONE;
}

static void
set_boundary (Client * c, const char *b, size_t len)
{
  while (len > 0 && (b[len - 1] == ' ' || b[len - 1] == '\t'))
    len--;
  if (len == 0 || len >= BOUNDARY_MAX)
    return;
  memcpy (c->boundary, b, len);
  c->boundary[len] = '\0';
  c->blen = len;
  c->dlen = snprintf (c->delim, sizeof c->delim, "\r\n--%s", c->boundary);
}

/* 1 for "--boundary", 2 for the close delimiter "--boundary--", else 0.
 * A boundary parameter that itself starts with "--" is a common server bug
 * (the body then carries it without the extra dashes): accept both. */
static int
is_boundary_line (Client * c, const char *l, size_t len)
{
  const char *b = c->boundary;
  size_t blen = c->blen;

  if (blen == 0)
    return 0;
  if (len >= blen + 2 && l[0] == '-' && l[1] == '-'
      && memcmp (l + 2, b, blen) == 0) {
    l += blen + 2;
    len -= blen + 2;
  } else if (blen > 2 && b[0] == '-' && b[1] == '-' && len >= blen
      && memcmp (l, b, blen) == 0) {
    l += blen;
    len -= blen;
  } else {
    return 0;
  }
  if (len >= 2 && l[0] == '-' && l[1] == '-')
    return 2;
  while (len > 0 && (*l == ' ' || *l == '\t')) {
    l++;
    len--;
  }
  return len == 0 ? 1 : 0;
}

static void
part_start (Client * c)
{
  c->content_length = -1;
  c->has_ts = c->has_num = 0;
  c->body_len = 0;
  c->state = ST_PART_HEADERS;
}

static void
part_done (Client * c)
{
  double mono = mono_now ();
  double real = real_now ();
  int cls = c->slow;
  int bad;

  bad = c->body_len < 4 || c->first2[0] != 0xff || c->first2[1] != 0xd8
      || c->last2[0] != 0xff || c->last2[1] != 0xd9;

  if (in_window (mono)) {
    double prev = c->t_last_frame > 0 ? c->t_last_frame : window_start;

    c->frames++;
    if (bad)
      c->bad++;
    if (mono - prev > c->max_gap)
      c->max_gap = mono - prev;
    if (c->has_num) {
      seen_num[cls] = 1;
      if (c->have_last_num && c->part_num <= c->last_num)
        c->dups++;
      else if (c->have_last_num && c->part_num > c->last_num + 1)
        c->skipped += c->part_num - c->last_num - 1;
    } else if (c->has_ts && c->have_last_ts && c->part_ts <= c->last_ts) {
      /* without frame numbers, a repeated timestamp is a repeated frame */
      c->dups++;
    }
    if (c->has_ts) {
      seen_ts[cls] = 1;
      samples_add (&delay_samples[cls], (real - c->part_ts) * 1000.0);
    }
  }
  if (c->has_num && (!c->have_last_num || c->part_num > c->last_num)) {
    c->last_num = c->part_num;
    c->have_last_num = 1;
  }
  if (c->has_ts && (!c->have_last_ts || c->part_ts > c->last_ts)) {
    c->last_ts = c->part_ts;
    c->have_last_ts = 1;
  }
  c->t_last_frame = mono;
}

static void
body_add (Client * c, const char *p, size_t n)
{
  const unsigned char *u = (const unsigned char *) p;
  size_t i;

  if (n == 0)
    return;
  if (c->t_first_byte < 0)
    c->t_first_byte = mono_now ();
  for (i = 0; i < n && c->body_len + i < 2; i++)
    c->first2[c->body_len + i] = u[i];
  if (n >= 2) {
    c->last2[0] = u[n - 2];
    c->last2[1] = u[n - 1];
  } else {
    c->last2[0] = c->last2[1];
    c->last2[1] = u[0];
  }
  c->body_len += n;
}

/* A part without Content-Length ends at "\r\n--boundary".  '\r' occurs only
 * at the start of that delimiter, so on a mismatch the held-back prefix is
 * body and matching restarts at the current byte. */
static size_t
body_scan (Client * c, const char *p, size_t n)
{
  size_t i = 0;

  while (i < n) {
    if (c->delim_match == 0) {
      const char *cr = memchr (p + i, '\r', n - i);
      size_t upto = cr ? (size_t) (cr - p) : n;

      body_add (c, p + i, upto - i);
      i = upto;
      if (!cr)
        break;
      c->delim_match = 1;
      i++;
      continue;
    }
    if (p[i] == c->delim[c->delim_match]) {
      i++;
      if (++c->delim_match == c->dlen) {
        c->delim_match = 0;
        part_done (c);
        c->line_len = 0;
        c->state = ST_BOUNDARY_TAIL;
        break;
      }
    } else {
      body_add (c, c->delim, c->delim_match);
      c->delim_match = 0;
    }
  }
  return i;
}

static int
header_is (const char *l, const char *name, const char **value)
{
  size_t n = strlen (name);

  if (strncasecmp (l, name, n) != 0 || l[n] != ':')
    return 0;
  l += n + 1;
  while (*l == ' ' || *l == '\t')
    l++;
  *value = l;
  return 1;
}

static void
parse_content_type (Client * c, const char *v)
{
  const char *b = strcasestr (v, "boundary=");
  size_t len;

  if (!b || opt_boundary)
    return;
  b += strlen ("boundary=");
  if (*b == '"') {
    b++;
    len = strcspn (b, "\"");
  } else {
    len = strcspn (b, "; \t");
  }
  set_boundary (c, b, len);
}

/* One complete line (CR LF or LF stripped) in a line-oriented state. */
static void
handle_line (Client * c, char *l, size_t len)
{
  const char *v;
  int kind;

  switch (c->state) {
    case ST_STATUS:
      if (strncmp (l, "HTTP/1.", 7) != 0 || len < 12) {
        c->proto_errors++;
        client_end (c, "not an HTTP response");
        return;
      }
      if (atoi (l + 9) != 200) {
        client_end (c, "status not 200");
        return;
      }
      c->state = ST_HEADERS;
      return;
    case ST_HEADERS:
      if (len == 0) {
        c->got_ok = 1;
        c->state = ST_PREAMBLE;
        return;
      }
      if (header_is (l, "Content-Type", &v))
        parse_content_type (c, v);
      else if (header_is (l, "Transfer-Encoding", &v)
          && strcasestr (v, "chunked"))
        c->chunked = 1;
      return;
    case ST_PREAMBLE:
    case ST_AFTER_BODY:
      if (len == 0)
        return;
      /* no boundary announced (raw TCP, or a server that sends
       * application/octet-stream): the first delimiter line defines it */
      if (c->blen == 0 && len > 2 && l[0] == '-' && l[1] == '-')
        set_boundary (c, l + 2, len - 2);
      kind = is_boundary_line (c, l, len);
      if (kind == 1) {
        part_start (c);
      } else if (kind == 2) {
        client_end (c, "close delimiter");
      } else if (c->state == ST_AFTER_BODY) {
        /* junk between a body and the next boundary: resynchronise */
        c->proto_errors++;
        c->state = ST_PREAMBLE;
      }
      return;
    case ST_BOUNDARY_TAIL:
      if (len >= 2 && l[0] == '-' && l[1] == '-')
        client_end (c, "close delimiter");
      else
        part_start (c);
      return;
    case ST_PART_HEADERS:
      if (len > 0) {
        if (header_is (l, "Content-Length", &v)) {
          c->content_length = strtoll (v, NULL, 10);
        } else if (header_is (l, "X-Timestamp", &v)) {
          c->part_ts = strtod (v, NULL);
          c->has_ts = 1;
        } else if (header_is (l, "X-Frame-Number", &v)) {
          c->part_num = strtoll (v, NULL, 10);
          c->has_num = 1;
        }
        return;
      }
      c->first2[0] = c->first2[1] = c->last2[0] = c->last2[1] = 0;
      if (c->content_length > 0) {
        c->body_left = c->content_length;
        c->state = ST_BODY;
      } else if (c->content_length == 0) {
        part_done (c);
        c->state = ST_AFTER_BODY;
      } else {
        c->delim_match = 0;
        c->state = ST_BODY_SCAN;
      }
      return;
    default:
      return;
  }
}

/* Feeds bytes to the current state; returns how many were used.  A line
 * longer than LINE_MAX_LEN is truncated (its end is still found), which is
 * what resynchronising inside binary data needs. */
static size_t
feed_step (Client * c, const char *p, size_t n)
{
  const char *nl;
  size_t take;

  switch (c->state) {
    case ST_BODY:
      take = (uint64_t) c->body_left < n ? (size_t) c->body_left : n;
      body_add (c, p, take);
      c->body_left -= take;
      if (c->body_left == 0) {
        part_done (c);
        c->line_len = 0;
        c->state = ST_AFTER_BODY;
      }
      return take;
    case ST_BODY_SCAN:
      return body_scan (c, p, n);
    case ST_DONE:
    case ST_CONNECTING:
      return n;
    default:
      nl = memchr (p, '\n', n);
      take = nl ? (size_t) (nl - p) + 1 : n;
      if (c->line_len < sizeof c->line - 1) {
        size_t room = sizeof c->line - 1 - c->line_len;
        size_t copy = take < room ? take : room;

        memcpy (c->line + c->line_len, p, copy);
        c->line_len += copy;
      }
      if (nl) {
        size_t len = c->line_len;

        while (len > 0 && (c->line[len - 1] == '\n'
                || c->line[len - 1] == '\r'))
          len--;
        c->line[len] = '\0';
        c->line_len = 0;
        handle_line (c, c->line, len);
      }
      return take;
  }
}

static void
feed_all (Client * c, const char *p, size_t n)
{
  while (n > 0 && c->state != ST_DONE) {
    size_t used = feed_step (c, p, n);

    p += used;
    n -= used;
  }
}

/* Chunked transfer decoding, between the response head and the parts. */
static size_t
dechunk_step (Client * c, const char *p, size_t n)
{
  const char *nl;
  size_t take;

  if (c->cstate == CH_DATA) {
    take = c->chunk_left < n ? (size_t) c->chunk_left : n;
    feed_all (c, p, take);
    c->chunk_left -= take;
    if (c->chunk_left == 0)
      c->cstate = CH_DATA_END;
    return take;
  }
  nl = memchr (p, '\n', n);
  take = nl ? (size_t) (nl - p) + 1 : n;
  if (c->cline_len + take < sizeof c->cline) {
    memcpy (c->cline + c->cline_len, p, take);
    c->cline_len += take;
  }
  if (!nl)
    return take;
  c->cline[c->cline_len] = '\0';
  c->cline_len = 0;
  switch (c->cstate) {
    case CH_SIZE:
      c->chunk_left = strtoull (c->cline, NULL, 16);
      c->cstate = c->chunk_left ? CH_DATA : CH_TRAILER;
      break;
    case CH_DATA_END:
      c->cstate = CH_SIZE;
      break;
    case CH_TRAILER:
      if (c->cline[0] == '\r' || c->cline[0] == '\n')
        client_end (c, "end of chunked body");
      break;
    default:
      break;
  }
  return take;
}

static void
client_input (Client * c, const char *p, size_t n)
{
  /* the response head is never chunk-encoded: run it through first */
  while (n > 0 && c->state < ST_PREAMBLE) {
    size_t used = feed_step (c, p, n);

    p += used;
    n -= used;
  }
  if (!c->chunked) {
    feed_all (c, p, n);
    return;
  }
  while (n > 0 && c->state != ST_DONE) {
    size_t used = dechunk_step (c, p, n);

    p += used;
    n -= used;
  }
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
      if (!c->got_ok && opt_raw) {
        c->got_ok = 1;
        c->state = ST_PREAMBLE;
      }
      if (in_window (mono_now ()))
        c->bytes += r;
      client_input (c, rbuf, r);
      if (c->state == ST_DONE) {
        client_end (c, c->why ? c->why : "done");
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
  int err = 0;
  socklen_t len = sizeof err;

  if (getsockopt (c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err) {
    client_end (c, "connect failed");
    return;
  }
  c->connected = 1;
  if (opt_raw) {
    /* the server speaks no HTTP: the multipart stream starts at once */
    c->state = ST_PREAMBLE;
    c->req_off = request_len;
    return;
  }
  c->state = ST_STATUS;
  client_write_request (c);
}

static void
client_connect (Client * c)
{
  struct epoll_event ev = { 0 };

  c->t_connect = mono_now ();
  c->fd = socket (AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (c->fd < 0) {
    client_end (c, "socket failed");
    return;
  }
  /* before connect(): the receive window is negotiated in the handshake */
  if (c->slow)
    setsockopt (c->fd, SOL_SOCKET, SO_RCVBUF, &opt_slow_rcvbuf,
        sizeof opt_slow_rcvbuf);
  if (opt_bind) {
    int one = 1;

    /* the port is picked by connect(), which may share it with connections
     * to other servers; bind() alone would hold a port per client */
    setsockopt (c->fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    if (bind (c->fd, (struct sockaddr *) &bind_addr, sizeof bind_addr) < 0) {
      client_end (c, "bind failed");
      return;
    }
  }
  ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
  ev.data.ptr = c;
  if (epoll_ctl (epfd, EPOLL_CTL_ADD, c->fd, &ev) < 0) {
    client_end (c, "epoll_ctl failed");
    return;
  }
  if (connect (c->fd, (struct sockaddr *) &server_addr,
          sizeof server_addr) < 0 && errno != EINPROGRESS) {
    client_end (c, "connect failed");
    return;
  }
  c->state = ST_CONNECTING;
}

static void
client_event (Client * c, uint32_t events)
{
  if (c->state == ST_DONE)
    return;
  if (c->state == ST_CONNECTING) {
    if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
      return;
    client_connected (c);
    if (c->state == ST_DONE)
      return;
  } else if ((events & EPOLLOUT) && c->req_off < request_len) {
    client_write_request (c);
  }
  if (c->state != ST_DONE && !(c->slow && c->throttled))
    client_read (c);
}

/* ---- set-up ------------------------------------------------------------- */

static void
parse_url (const char *url)
{
  const char *host, *path, *colon;
  char hostbuf[64];
  size_t hlen;
  long port = 80;

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
  hlen = strcspn (host, ":/");
  if (hlen == 0 || hlen >= sizeof hostbuf)
    die ("bad host in %s", url);
  memcpy (hostbuf, host, hlen);
  hostbuf[hlen] = '\0';
  colon = host[hlen] == ':' ? host + hlen + 1 : NULL;
  if (colon)
    port = strtol (colon, NULL, 10);
  if (port <= 0 || port > 65535)
    die ("bad port in %s", url);

  memset (&server_addr, 0, sizeof server_addr);
  server_addr.sin_family = AF_INET;
  server_addr.sin_port = htons (port);
  if (strcmp (hostbuf, "localhost") == 0)
    server_addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  else if (inet_pton (AF_INET, hostbuf, &server_addr.sin_addr) != 1)
    die ("host must be a numeric 127.x.x.x address: %s", hostbuf);
  /* a load generator must never be pointed at someone else's server */
  if ((ntohl (server_addr.sin_addr.s_addr) >> 24) != 127)
    die ("refusing non-loopback host %s", hostbuf);

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
raise_nofile (void)
{
  struct rlimit rl;

  if (getrlimit (RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit (RLIMIT_NOFILE, &rl);
  }
  if (getrlimit (RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY
      && rl.rlim_cur < (rlim_t) opt_n + 16)
    die ("%d clients need more file descriptors than the limit %ju",
        opt_n, (uintmax_t) rl.rlim_cur);
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
  int i;

  for (i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;

    if (!strcmp (a, "--json")) {
      opt_json = 1;
      continue;
    }
    if (!strcmp (a, "--raw")) {
      opt_raw = 1;
      continue;
    }
    if (!v)
      usage ();
    if (!strcmp (a, "--url"))
      opt_url = v;
    else if (!strcmp (a, "-n"))
      opt_n = atoi (v);
    else if (!strcmp (a, "--seconds"))
      opt_seconds = atof (v);
    else if (!strcmp (a, "--slow"))
      opt_slow = atoi (v);
    else if (!strcmp (a, "--slow-rate"))
      opt_slow_rate = atof (v);
    else if (!strcmp (a, "--slow-rcvbuf"))
      opt_slow_rcvbuf = atoi (v);
    else if (!strcmp (a, "--connect-burst-ms"))
      opt_burst_ms = atoi (v);
    else if (!strcmp (a, "--warmup-ms"))
      opt_warmup_ms = atoi (v);
    else if (!strcmp (a, "--boundary"))
      opt_boundary = v;
    else if (!strcmp (a, "--bind"))
      opt_bind = v;
    else if (!strcmp (a, "--server-pid"))
      opt_server_pid = atol (v);
    else
      usage ();
    i++;
  }
  if (!opt_url || opt_n <= 0 || opt_seconds <= 0 || opt_slow < 0
      || opt_slow > opt_n || opt_slow_rate <= 0 || opt_burst_ms < 0
      || opt_warmup_ms < 0 || opt_slow_rcvbuf <= 0)
    usage ();
}

/* ---- the server process ------------------------------------------------- */

/* utime + stime of every thread of the process, in clock ticks; -1 if the
 * process is gone */
static double
server_ticks (void)
{
  char path[64], buf[1024], *p;
  unsigned long long ut, st;
  FILE *f;
  size_t n;
  int i;

  snprintf (path, sizeof path, "/proc/%ld/stat", opt_server_pid);
  f = fopen (path, "r");
  if (!f)
    return -1;
  n = fread (buf, 1, sizeof buf - 1, f);
  fclose (f);
  buf[n] = '\0';
  /* the command name may hold spaces and parentheses: skip to its end */
  p = strrchr (buf, ')');
  if (!p)
    return -1;
  /* fields 3..13 (state .. cmajflt) precede utime (14) and stime (15) */
  for (i = 0; i < 11 && p; i++)
    p = strchr (p + 1, ' ');
  if (!p || sscanf (p, " %*s %llu %llu", &ut, &st) != 2)
    return -1;
  return (double) ut + st;
}

/* A "Vm...:" line of /proc/PID/status, in kB; -1 if unknown. */
static long
server_status_kb (const char *key)
{
  char path[64], line[256];
  size_t klen = strlen (key);
  long kb = -1;
  FILE *f;

  snprintf (path, sizeof path, "/proc/%ld/status", opt_server_pid);
  f = fopen (path, "r");
  if (!f)
    return -1;
  while (fgets (line, sizeof line, f))
    if (strncmp (line, key, klen) == 0 && line[klen] == ':') {
      kb = strtol (line + klen + 1, NULL, 10);
      break;
    }
  fclose (f);
  return kb;
}

static double
own_cpu (void)
{
  struct rusage ru;

  getrusage (RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6
      + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
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
    cs->proto_errors += c->proto_errors;
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
  json_num ("fps_median", percentile (&cs->fps, 50), 0);
  json_num ("fps_min", percentile (&cs->fps, 0), 0);
  json_num ("frames_per_s", cs->frames / window, 0);
  json_num ("mbytes_per_s", cs->bytes / window / 1e6, 0);
  printf ("\"duplicates\":%" PRIu64 ",", cs->dups);
  if (cs->has_num)
    printf ("\"skipped\":%" PRIu64 ",", cs->skipped);
  else
    printf ("\"skipped\":null,");
  printf ("\"bad_frames\":%" PRIu64 ",\"protocol_errors\":%" PRIu64 ",",
      cs->bad, cs->proto_errors);
  json_num ("delay_ms_p50", percentile (&cs->delay, 50), 0);
  json_num ("delay_ms_p99", percentile (&cs->delay, 99), 0);
  json_num ("delay_ms_max", percentile (&cs->delay, 100), 0);
  json_num ("first_frame_ms_p50", percentile (&cs->first, 50), 0);
  json_num ("first_frame_ms_max", percentile (&cs->first, 100), 0);
  json_num ("gap_ms_p50", percentile (&cs->gap, 50), 0);
  json_num ("gap_ms_max", percentile (&cs->gap, 100), !slow);
  if (slow) {
    /* for slow readers the delay is how old the frames they see are */
    json_num ("age_ms_p50", percentile (&cs->delay, 50), 0);
    json_num ("age_ms_max", percentile (&cs->delay, 100), 1);
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
    snprintf (cell[k][2], CELL, "%.1f / %.1f", percentile (&cs->fps, 50),
        percentile (&cs->fps, 0));
    snprintf (cell[k][3], CELL, "%" PRIu64, cs->frames);
    snprintf (cell[k][4], CELL, "%.2f", cs->bytes / window / 1e6);
    snprintf (cell[k][5], CELL, "%" PRIu64 " / %s", cs->dups, skip);
    snprintf (cell[k][6], CELL, "%" PRIu64 " / %" PRIu64, cs->bad,
        cs->proto_errors);
    fmt_ms3 (cell[k][7], CELL, percentile (&cs->delay, 50),
        percentile (&cs->delay, 99), percentile (&cs->delay, 100), 3);
    fmt_ms3 (cell[k][8], CELL, percentile (&cs->first, 50),
        percentile (&cs->first, 100), 0, 2);
    fmt_ms3 (cell[k][9], CELL, percentile (&cs->gap, 50),
        percentile (&cs->gap, 100), 0, 2);
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

  parse_args (argc, argv);
  parse_url (opt_url);
  if (opt_bind)
    parse_bind (opt_bind);
  raise_nofile ();
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
    c->content_length = -1;
    if (opt_boundary)
      set_boundary (c, opt_boundary, strlen (opt_boundary));
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
      load_cpu_start = own_cpu ();
      if (opt_server_pid > 0)
        server_ticks_start = server_ticks ();
    }
    while (next < opt_n && (opt_burst_ms == 0
            || now >= t0 + burst * next / opt_n))
      client_connect (&clients[next++]);

    for (i = 0; i < opt_slow; i++) {
      Client *c = slow_clients[i];

      if (c->throttled && c->state != ST_DONE)
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
  load_cpu = (own_cpu () - load_cpu_start) / window * 100.0;
  if (opt_server_pid > 0) {
    double end = server_ticks ();

    if (server_ticks_start >= 0 && end >= 0)
      server_cpu = (end - server_ticks_start) / sysconf (_SC_CLK_TCK)
          / window * 100.0;
    hwm = server_status_kb ("VmHWM");
    rss = server_status_kb ("VmRSS");
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
