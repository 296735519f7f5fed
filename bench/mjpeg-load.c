/*
 * mjpeg-load: a load client for MJPEG-over-HTTP servers
 * (multipart/x-mixed-replace), for benchmarks on loopback.
 *
 *   mjpeg-load --url http://127.0.0.1:PORT/stream -n N --seconds S
 *              [--slow K --slow-rate BYTES_PER_S --slow-rcvbuf BYTES]
 *              [--connect-burst-ms MS] [--warmup-ms MS]
 *              [--ready-wait-ms MS] [--raw]
 *              [--boundary B] [--bind ADDR] [--server-pid PID[,PID...]]
 *              [--tls-ca FILE] [--json]
 *
 * One thread runs everything: one epoll loop over N non-blocking sockets,
 * edge-triggered, so that the client costs as little CPU as possible next to
 * the server it measures (both share the same cores).
 *
 * Timeline: the N connections are opened evenly over --connect-burst-ms,
 * then --warmup-ms passes so that every client had a chance to get its first
 * frame, then the measurement window of --seconds runs; fps, throughput,
 * delays and gaps are taken over the window only.  First-frame latency is
 * measured from connect() whenever it happens.  With --ready-wait-ms the
 * window waits, after the warm-up, until every client got the first byte
 * of a frame or failed, at most that long: a server that admits clients
 * slowly (TLS handshakes a few at a time) is then measured once all of
 * them are in.
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
 * the traffic that was counted.  Several pids, comma-separated, are a
 * server made of several processes (a TLS proxy's master and workers in
 * front of the sink): their figures are added up, and each is also
 * reported on its own.  The client's own CPU is reported with them, per
 * delivered frame too: it shares the cores with the server.
 *
 * An https:// URL (built with GnuTLS: -DHAVE_GNUTLS, as bench/meson.build
 * does) needs --tls-ca: the server's certificate is verified against that
 * CA and the URL's host name, and a client whose handshake fails counts
 * as failed and makes the exit status 1, so that a run can never measure
 * the wrong server without saying so.  The handshake is non-blocking on
 * the same epoll loop; reads go through a read-ahead buffer per client,
 * so that a 16 KiB record costs one recv() rather than two.  Plain http
 * goes through none of this.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#ifdef HAVE_GNUTLS
#include <gnutls/gnutls.h>
#endif

#include "die.h"
#include "mjpegparser.h"
#include "now.h"
#include "options.h"
#include "procstat.h"
#include "samples.h"
#include "sockets.h"

/* Large, so that a fast client drains a whole frame in one read(). */
#define READ_CHUNK (256 * 1024)
/* TLS: what one recv() may take ahead of the record being decrypted; two
 * full records */
#define TLS_READ_AHEAD (34 * 1024)
#define MAX_SERVER_PIDS 64

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

#ifdef HAVE_GNUTLS
  /* https: the session, once connected; tls_up once its handshake is done.
   * tls_blocked: the socket said EAGAIN during the last GnuTLS call.
   * tls_in: bytes received ahead of what GnuTLS asked for (fast clients
   * only: a slow one must not empty its small receive buffer faster than
   * it reads) */
  gnutls_session_t tls;
  int tls_up, tls_blocked;
  unsigned char *tls_in;
  size_t tls_in_off, tls_in_len;
#endif
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
static int opt_burst_ms = 500, opt_warmup_ms = 500, opt_ready_ms;
static double opt_seconds = 10, opt_slow_rate = 20000;
static const char *opt_boundary;
static const char *opt_bind;
static const char *opt_server_pid;
static const char *opt_tls_ca;

/* --server-pid's processes, and their CPU ticks at the window's start */
static long server_pids[MAX_SERVER_PIDS];
static double server_ticks_start[MAX_SERVER_PIDS];
static int n_server_pids;

static struct sockaddr_in server_addr;
static struct sockaddr_in bind_addr;
static char request[512];
static size_t request_len;
/* https:// URL; the host its certificate must name */
static int use_tls;
static char server_host[64];

static Client *clients;
static Client **slow_clients;
static int epfd;
static double window_start, window_end;
static volatile sig_atomic_t interrupted;
static int window_started;
/* clients that got the first byte of a frame, or ended before */
static int n_ready;
static double load_cpu_start;
static char rbuf[READ_CHUNK];

#ifdef HAVE_GNUTLS
/* one set of trusted CAs for every session; NULL for plain http */
static gnutls_certificate_credentials_t tls_cred;
/* the parameters of the first session that came up, e.g.
 * "(TLS1.3)-(ECDHE-SECP256R1)-(ECDSA-SECP256R1-SHA256)-(AES-256-GCM)" */
static char *tls_desc;
/* failed handshakes; those whose certificate did not verify */
static int tls_failures, tls_untrusted;
static char tls_first_error[512];
#endif

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
#ifdef HAVE_GNUTLS
  if (c->tls) {
    gnutls_deinit (c->tls);
    c->tls = NULL;
    free (c->tls_in);
    c->tls_in = NULL;
  }
#endif
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
    if (c->t_first_byte < 0)
      n_ready++;
  }
  mjpeg_parser_stop (&c->p);
}

/* first-frame latency runs to the first body byte */
static void
body_begin (MjpegParser * p)
{
  Client *c = p->user;

  if (c->t_first_byte < 0) {
    c->t_first_byte = mono_now ();
    n_ready++;
  }
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

/* How much a slow client may read now, at most @want; 0 when its bucket is
 * empty: it is then throttled, and the main loop comes back for the data
 * that may be waiting. */
static inline size_t
slow_budget (Client * c, size_t want)
{
  double now = mono_now ();
  double cap = opt_slow_rate / 20 > 512 ? opt_slow_rate / 20 : 512;

  c->tokens += (now - c->t_refill) * opt_slow_rate;
  c->t_refill = now;
  if (c->tokens > cap)
    c->tokens = cap;
  if (c->tokens < 1) {
    c->throttled = 1;
    return 0;
  }
  if (want > c->tokens)
    want = (size_t) c->tokens;
  return want;
}

/* @r bytes of the answer in rbuf, read or decrypted.  0 once they ended
 * the client's stream. */
static inline int
client_got (Client * c, ssize_t r)
{
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
    return 0;
  }
  return 1;
}

static void
client_read (Client * c)
{
  for (;;) {
    size_t want = sizeof rbuf;
    ssize_t r;

    if (c->slow && (want = slow_budget (c, want)) == 0)
      return;
    r = read (c->fd, rbuf, want);
    if (r > 0) {
      if (client_got (c, r))
        continue;
      return;
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

#ifdef HAVE_GNUTLS
/* ---- https ---------------------------------------------------------------
 *
 * GnuTLS reads and writes through these three, so that the loop knows when
 * the socket itself said EAGAIN (tls_blocked): gnutls_record_recv() also
 * answers GNUTLS_E_AGAIN after it handled a post-handshake message, such as
 * a TLS 1.3 session ticket, whatever the socket still holds, and with
 * edge-triggered epoll no new event would come for what is left. */

static ssize_t
tls_pull (gnutls_transport_ptr_t ptr, void *data, size_t len)
{
  Client *c = ptr;
  ssize_t r;
  size_t n;

  if (c->tls_in_off == c->tls_in_len) {
    /* slow clients read no more than asked for */
    int direct = !c->tls_in || len >= TLS_READ_AHEAD;

    r = recv (c->fd, direct ? data : (void *) c->tls_in,
        direct ? len : TLS_READ_AHEAD, 0);
    if (r < 0) {
      if (errno == EAGAIN)
        c->tls_blocked = 1;
      gnutls_transport_set_errno (c->tls, errno);
    }
    if (r <= 0 || direct)
      return r;
    c->tls_in_off = 0;
    c->tls_in_len = r;
  }
  n = c->tls_in_len - c->tls_in_off;
  if (n > len)
    n = len;
  memcpy (data, c->tls_in + c->tls_in_off, n);
  c->tls_in_off += n;
  return n;
}

/* only called if a handshake timeout is set, which it is not; GnuTLS's own
 * would take the transport pointer for a descriptor */
static int
tls_pull_timeout (gnutls_transport_ptr_t ptr, unsigned int ms)
{
  Client *c = ptr;
  struct pollfd pfd = { c->fd, POLLIN, 0 };

  if (c->tls_in_off < c->tls_in_len)
    return 1;
  return poll (&pfd, 1, ms == GNUTLS_INDEFINITE_TIMEOUT ? -1 : (int) ms);
}

static ssize_t
tls_push (gnutls_transport_ptr_t ptr, const void *data, size_t len)
{
  Client *c = ptr;
  ssize_t w = send (c->fd, data, len, MSG_NOSIGNAL);

  if (w < 0) {
    if (errno == EAGAIN)
      c->tls_blocked = 1;
    gnutls_transport_set_errno (c->tls, errno);
  }
  return w;
}

/* The session of a connected client: the URL's host must be in the
 * server's certificate, and that certificate signed by --tls-ca.  0 if it
 * cannot be set up. */
static int
tls_start (Client * c)
{
  struct in_addr ip;
  int one = 1;

  /* as browsers and curl do: the request follows the client's Finished at
   * once instead of waiting (Nagle) for the server's delayed ACK, 40 ms */
  setsockopt (c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);

  if (gnutls_init (&c->tls, GNUTLS_CLIENT) < 0) {
    c->tls = NULL;
    return 0;
  }
  if (gnutls_set_default_priority (c->tls) < 0
      || gnutls_credentials_set (c->tls, GNUTLS_CRD_CERTIFICATE, tls_cred) < 0)
    return 0;
  /* SNI names hosts, never addresses */
  if (inet_pton (AF_INET, server_host, &ip) != 1
      && gnutls_server_name_set (c->tls, GNUTLS_NAME_DNS, server_host,
          strlen (server_host)) < 0)
    return 0;
  gnutls_session_set_verify_cert (c->tls, server_host, 0);
  gnutls_handshake_set_timeout (c->tls, 0);
  gnutls_transport_set_ptr (c->tls, c);
  gnutls_transport_set_pull_function (c->tls, tls_pull);
  gnutls_transport_set_pull_timeout_function (c->tls, tls_pull_timeout);
  gnutls_transport_set_push_function (c->tls, tls_push);
  if (!c->slow && !(c->tls_in = malloc (TLS_READ_AHEAD)))
    return 0;
  return 1;
}

/* A handshake that failed: the first reason is kept for the report. */
static void
tls_failed (Client * c, int err)
{
  if (err == GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR)
    tls_untrusted++;
  if (tls_failures++ == 0) {
    gnutls_datum_t out = { NULL, 0 };

    if (err == GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR
        && gnutls_certificate_verification_status_print
        (gnutls_session_get_verify_cert_status (c->tls), GNUTLS_CRT_X509,
            &out, 0) == 0)
      snprintf (tls_first_error, sizeof tls_first_error, "%s (%s)",
          gnutls_strerror (err), out.data);
    else
      snprintf (tls_first_error, sizeof tls_first_error, "%s",
          gnutls_strerror (err));
    gnutls_free (out.data);
  }
  client_end (c, "TLS handshake failed");
}

static void
client_write_request_tls (Client * c)
{
  while (c->req_off < request_len) {
    ssize_t w = gnutls_record_send (c->tls, request + c->req_off,
        request_len - c->req_off);

    if (w < 0) {
      if (w == GNUTLS_E_INTERRUPTED)
        continue;
      /* GNUTLS_E_AGAIN: the same call again on EPOLLOUT */
      if (w != GNUTLS_E_AGAIN)
        client_end (c, "write error");
      return;
    }
    c->req_off += w;
  }
}

static void
client_handshake (Client * c)
{
  int r, tries = 0;

  for (;;) {
    c->tls_blocked = 0;
    r = gnutls_handshake (c->tls);
    if (r == GNUTLS_E_SUCCESS)
      break;
    if (gnutls_error_is_fatal (r)) {
      tls_failed (c, r);
      return;
    }
    /* GNUTLS_E_AGAIN, or a warning alert: the socket's next event resumes
     * it, unless the socket had more to give */
    if (c->tls_blocked || ++tries > 100)
      return;
  }
  c->tls_up = 1;
  if (!tls_desc)
    tls_desc = gnutls_session_get_desc (c->tls);
  if (opt_raw)
    c->req_off = request_len;
  client_write_request_tls (c);
}

/* client_read() through the session: until the socket itself is empty
 * (tls_blocked), and no record is left half-returned in GnuTLS, which
 * gnutls_record_recv() would have given first. */
static void
client_read_tls (Client * c)
{
  for (;;) {
    size_t want = sizeof rbuf;
    ssize_t r;

    if (c->slow && (want = slow_budget (c, want)) == 0)
      return;
    c->tls_blocked = 0;
    r = gnutls_record_recv (c->tls, rbuf, want);
    if (r > 0) {
      if (client_got (c, r))
        continue;
      return;
    }
    if (r == 0) {
      client_end (c, "closed by server");
      return;
    }
    if (r == GNUTLS_E_AGAIN) {
      if (!c->tls_blocked)
        continue;
      c->throttled = 0;
      return;
    }
    if (!gnutls_error_is_fatal (r))
      continue;
    client_end (c, r == GNUTLS_E_PREMATURE_TERMINATION ? "closed by server"
        : "TLS error");
    return;
  }
}

static void
client_event_tls (Client * c, uint32_t events)
{
  if (c->p.state == MJPEG_DONE)
    return;
  if (c->p.state == MJPEG_IDLE) {
    if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
      return;
    if (connect_result (c->fd) != 0) {
      client_end (c, "connect failed");
      return;
    }
    c->connected = 1;
    mjpeg_parser_start (&c->p, opt_raw);
    if (!tls_start (c)) {
      client_end (c, "TLS set-up failed");
      return;
    }
  }
  if (!c->tls_up) {
    client_handshake (c);
    if (!c->tls_up)
      return;
  } else if ((events & EPOLLOUT) && c->req_off < request_len) {
    client_write_request_tls (c);
  }
  if (c->p.state != MJPEG_DONE && !(c->slow && c->throttled))
    client_read_tls (c);
}

static void
tls_setup (void)
{
  int n;

  if (gnutls_certificate_allocate_credentials (&tls_cred) < 0)
    die ("out of memory");
  n = gnutls_certificate_set_x509_trust_file (tls_cred, opt_tls_ca,
      GNUTLS_X509_FMT_PEM);
  if (n <= 0)
    die ("--tls-ca %s: %s", opt_tls_ca,
        n < 0 ? gnutls_strerror (n) : "no certificate in it");
}
#endif

static void
client_event (Client * c, uint32_t events)
{
#ifdef HAVE_GNUTLS
  if (tls_cred) {
    client_event_tls (c, events);
    return;
  }
#endif
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

/* a throttled slow client's turn */
static void
client_resume (Client * c)
{
#ifdef HAVE_GNUTLS
  if (tls_cred) {
    client_read_tls (c);
    return;
  }
#endif
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
  } else if (strncmp (url, "https://", 8) == 0) {
    host = url + 8;
    use_tls = 1;
  } else if (strncmp (url, "tcp://", 6) == 0) {
    host = url + 6;
    opt_raw = 1;
  } else {
    die ("URL must start with http://, https:// or tcp://: %s", url);
  }
  path = strchr (host, '/');
  if (!path)
    path = "/";
  loopback_server (url, host, &server_addr, hostbuf, sizeof hostbuf, &port);
  if (use_tls && host[strcspn (host, ":/")] != ':') {
    port = 443;
    server_addr.sin_port = htons (port);
  }
  snprintf (server_host, sizeof server_host, "%s", hostbuf);

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

/* --server-pid's PID[,PID...] */
static void
parse_server_pids (const char *list)
{
  const char *p = list;

  while (*p) {
    char *end;
    long pid = strtol (p, &end, 10);

    if (end == p || pid <= 0 || (*end && *end != ','))
      die ("--server-pid needs process ids separated by commas: %s", list);
    if (n_server_pids == MAX_SERVER_PIDS)
      die ("--server-pid: at most %d processes", MAX_SERVER_PIDS);
    server_pids[n_server_pids++] = pid;
    p = *end ? end + 1 : end;
  }
}

static void
usage (void)
{
  fprintf (stderr,
      "usage: mjpeg-load --url http[s]://127.0.0.1:PORT/PATH -n N --seconds S\n"
      "         [--slow K] [--slow-rate BYTES_PER_S] [--slow-rcvbuf BYTES]\n"
      "         [--connect-burst-ms MS] [--warmup-ms MS] [--ready-wait-ms MS]\n"
      "         [--raw] [--boundary B] [--bind ADDR]\n"
      "         [--server-pid PID[,PID...]] [--tls-ca FILE] [--json]\n"
      "  --raw: no HTTP exchange, the multipart stream starts at connect\n"
      "         (e.g. tcpserversink; implied by a tcp:// URL)\n"
      "  --boundary: the boundary, without its leading \"--\"; by default the\n"
      "         Content-Type's, else the first line that starts with \"--\"\n"
      "  --ready-wait-ms: after the warm-up, wait up to MS more for every\n"
      "         client's first frame (or failure) before the window starts\n"
      "  --bind: connect from this local loopback address (127.x.x.x)\n"
      "  --server-pid: report that process's CPU and memory over the window;\n"
      "         several: each one's and their sum\n"
      "  --tls-ca: for https://, the CA (PEM) that signed the server's\n"
      "         certificate, which must also name the URL's host\n");
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
    {"--ready-wait-ms", OPTION_INT, &opt_ready_ms},
    {"--boundary", OPTION_STRING, &opt_boundary},
    {"--bind", OPTION_STRING, &opt_bind},
    {"--server-pid", OPTION_STRING, &opt_server_pid},
    {"--tls-ca", OPTION_STRING, &opt_tls_ca},
    {NULL, 0, NULL}
  };

  if (!options_parse (options, argc, argv))
    usage ();
  if (!opt_url || opt_n <= 0 || opt_seconds <= 0 || opt_slow < 0
      || opt_slow > opt_n || opt_slow_rate <= 0 || opt_burst_ms < 0
      || opt_warmup_ms < 0 || opt_ready_ms < 0 || opt_slow_rcvbuf <= 0)
    usage ();
  if (opt_server_pid)
    parse_server_pids (opt_server_pid);
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
print_table (ClassStats * cls, double window, double start)
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

  printf ("mjpeg-load: %s, %d clients (%d slow at %.0f B/s), window %.1f s",
      opt_url, opt_n, opt_slow, opt_slow_rate, window);
  if (opt_ready_ms > 0)
    printf (" from %.1f s after the first connect", start);
  printf ("\n");
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
  double t0, now, burst, warmed, window, server_cpu = NAN, load_cpu;
  double frames_per_s;
  double cpu[MAX_SERVER_PIDS];
  long hwm = -1, rss = -1, hwms[MAX_SERVER_PIDS], rsss[MAX_SERVER_PIDS];
  int i, next = 0, nslow = 0, status = 0;
  rlim_t nofile;

  parse_args (argc, argv);
  parse_url (opt_url);
  if (use_tls) {
#ifdef HAVE_GNUTLS
    if (!opt_tls_ca)
      die ("an https:// URL needs --tls-ca FILE: the server's certificate "
          "is always verified");
    tls_setup ();
#else
    die ("https:// needs mjpeg-load built with GnuTLS (-DHAVE_GNUTLS, "
        "-lgnutls; bench/meson.build does)");
#endif
  } else if (opt_tls_ca) {
    die ("--tls-ca goes with an https:// URL");
  }
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
  warmed = t0 + burst + opt_warmup_ms / 1000.0;
  /* the latest start; --ready-wait-ms's may come sooner */
  window_start = warmed + opt_ready_ms / 1000.0;
  window_end = window_start + opt_seconds;

  for (;;) {
    int n, timeout_ms;

    now = mono_now ();
    if (now >= window_end || interrupted)
      break;
    if (!window_started && now >= warmed && now < window_start
        && n_ready == opt_n) {
      window_start = now;
      window_end = now + opt_seconds;
    }
    if (now >= window_start && !window_started) {
      window_started = 1;
      load_cpu_start = procstat_own_cpu ();
      for (i = 0; i < n_server_pids; i++)
        server_ticks_start[i] = procstat_ticks (server_pids[i]);
    }
    while (next < opt_n && (opt_burst_ms == 0
            || now >= t0 + burst * next / opt_n))
      client_connect (&clients[next++]);

    for (i = 0; i < opt_slow; i++) {
      Client *c = slow_clients[i];

      if (c->throttled && c->p.state != MJPEG_DONE)
        client_resume (c);
    }

    /* wake for the next connect, the slow clients' buckets, or the end */
    timeout_ms = (int) (((now < window_start ? window_start : window_end)
            - now) * 1000) + 1;
    if (next < opt_n && timeout_ms > 1)
      timeout_ms = 1;
    if ((opt_slow > 0 || (opt_ready_ms > 0 && !window_started))
        && timeout_ms > 10)
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
  /* the sum of the processes; unknown if one of them is */
  if (n_server_pids > 0)
    server_cpu = hwm = rss = 0;
  for (i = 0; i < n_server_pids; i++) {
    double end = procstat_ticks (server_pids[i]);

    cpu[i] = NAN;
    if (server_ticks_start[i] >= 0 && end >= 0)
      cpu[i] = (end - server_ticks_start[i]) / sysconf (_SC_CLK_TCK)
          / window * 100.0;
    hwms[i] = procstat_status_kb (server_pids[i], "VmHWM");
    rsss[i] = procstat_status_kb (server_pids[i], "VmRSS");
    server_cpu += cpu[i];
    hwm = hwm < 0 || hwms[i] < 0 ? -1 : hwm + hwms[i];
    rss = rss < 0 || rsss[i] < 0 ? -1 : rss + rsss[i];
  }

  collect (&cls[0], 0, window);
  collect (&cls[1], 1, window);
  frames_per_s = (cls[0].frames + cls[1].frames) / window;
  if (opt_json) {
    printf ("{\"url\":\"%s\",\"clients\":%d,\"slow_clients\":%d,"
        "\"slow_rate\":%.0f,\"window_s\":%.3f,\"window_start_s\":%.3f,",
        opt_url, opt_n, opt_slow, opt_slow_rate, window, window_start - t0);
    print_json_class ("fast", &cls[0], 0, window);
    printf (",");
    print_json_class ("slow", &cls[1], 1, window);
    printf (",");
    json_num ("load_cpu_percent", load_cpu, 0);
    json_num ("server_cpu_percent", server_cpu, 0);
    printf ("\"server_vmhwm_kb\":%ld,\"server_vmrss_kb\":%ld,", hwm, rss);
    /* CPU time per frame delivered to all clients, in microseconds */
    json_num ("load_cpu_us_per_frame",
        frames_per_s > 0 ? load_cpu * 1e4 / frames_per_s : NAN, 0);
    json_num ("server_cpu_us_per_frame",
        frames_per_s > 0 ? server_cpu * 1e4 / frames_per_s : NAN, 0);
    printf ("\"server_processes\":[");
    for (i = 0; i < n_server_pids; i++) {
      printf ("%s{\"pid\":%ld,", i ? "," : "", server_pids[i]);
      json_num ("cpu_percent", cpu[i], 0);
      printf ("\"vmhwm_kb\":%ld,\"vmrss_kb\":%ld}", hwms[i], rsss[i]);
    }
    printf ("],\"tls\":");
#ifdef HAVE_GNUTLS
    if (tls_desc)
      printf ("\"%s\",\"tls_failures\":%d}\n", tls_desc, tls_failures);
    else if (use_tls)
      printf ("null,\"tls_failures\":%d}\n", tls_failures);
    else
#endif
      printf ("null}\n");
  } else {
    print_table (cls, window, window_start - t0);
    printf ("load client CPU %.1f%% of one core", load_cpu);
    if (frames_per_s > 0)
      printf (", %.1f us per delivered frame", load_cpu * 1e4 / frames_per_s);
    for (i = 0; i < n_server_pids; i++)
      printf ("; server pid %ld: CPU %.1f%% of one core, VmHWM %ld kB, "
          "VmRSS %ld kB", server_pids[i], cpu[i], hwms[i], rsss[i]);
    if (n_server_pids > 1)
      printf ("; together: CPU %.1f%%", server_cpu);
    if (n_server_pids > 0 && frames_per_s > 0)
      printf (", %.1f us per delivered frame", server_cpu * 1e4 / frames_per_s);
    printf ("\n");
#ifdef HAVE_GNUTLS
    if (tls_desc)
      printf ("TLS: %s\n", tls_desc);
#endif
  }
#ifdef HAVE_GNUTLS
  /* a run against a server that could not prove to be the one meant, or
   * that no one could reach, must not pass for a measurement; a few
   * handshakes refused by a loaded server count as failed clients */
  if (tls_failures) {
    fprintf (stderr, "%s: %d of %d TLS handshakes failed; the first: %s\n",
        tool_name, tls_failures, opt_n, tls_first_error);
    if (tls_untrusted || !tls_desc)
      status = 1;
  }
#endif
  for (i = 0; i < opt_n; i++)
    if (clients[i].fd >= 0)
      close (clients[i].fd);
  return status;
}
