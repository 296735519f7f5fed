/*
 * soak: a bounded hostile-client soak test for an MJPEG-over-HTTP server
 * (mjpeghttpsink) on loopback.
 *
 *   soak --url http://127.0.0.1:PORT --seconds S [--server-pid PID]
 *        [--stream-path /stream] [--snapshot-path /snapshot] [--viewers N]
 *        [--json FILE] [--scale F] [--baseline S] [--settle S] [--seed N]
 *        [--cycles N] [--slowloris N] [--stallers N] [--garbage N]
 *        [--malformed N]
 *
 * A few fast viewers watch the stream alone for --baseline seconds (3): the
 * frame rate they get then is the source rate.  Then, for --seconds, every
 * kind of careless or hostile client attacks at once while the viewers keep
 * watching:
 *
 *  - connect/disconnect cycles (--cycles, 10000) spread over the attack,
 *    each closing early at random: right after connect, after half a request
 *    line, after a whole GET of the stream before any answer, after a few
 *    bytes of the stream; some are complete snapshot requests;
 *  - slowloris sockets (--slowloris, 200 kept open): a request line, then a
 *    header line every second, the head never ends; one the server closes
 *    is replaced;
 *  - stalled stream readers (--stallers, 64): GET the stream with a 4 KiB
 *    receive buffer, then never read;
 *  - garbage senders (--garbage, 5): GET the stream, then send garbage as
 *    fast as the socket takes it (and read what comes);
 *  - malformed requests (--malformed, 5000 of each of 13 kinds), one
 *    connection each, each given 3 s for an answer.
 *
 * --scale F multiplies the hostile counts (not --viewers: the viewers are
 * the measurement, not the load), for a short CI run.  Then soak closes
 * every socket of its own and, after --settle seconds (10), reads the
 * server's open fds and VmRSS once more (--server-pid), to show what the
 * server kept.  It prints markdown tables on stdout (and with --json the
 * same figures as JSON): per viewer the fps in the baseline and under
 * attack, the worst gap between two parts, whether it was disconnected; per
 * hostile kind what the server answered or did and when.  It judges
 * nothing: the exit status is non-zero only when soak could not run.
 *
 * Each kind binds its sockets to its own source address before connect(), so
 * that a server with per-address limits can tell them apart: viewers
 * 127.0.0.2, cycles .3, slowloris .4, garbage senders .5, malformed requests
 * 127.0.0.16 + kind, and each stalled reader one of 127.0.1.1, 127.0.1.2, ...
 * (so that only an inactivity timeout, not a per-address limit, can get rid
 * of them).  Only 127.0.0.0/8 is ever a target.
 *
 * Bounds: one thread, one epoll loop, non-blocking sockets; never more than
 * MAX_SOCKETS of them at once (the paced kinds wait for room); every connect
 * has a deadline, every read the end of the attack at the latest.  The run
 * lasts --baseline + --seconds + --settle, plus the report.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "die.h"
#include "mjpegparser.h"
#include "now.h"
#include "options.h"
#include "procstat.h"
#include "samples.h"
#include "sockets.h"

/* soak's own sockets at once, whatever the counts */
#define MAX_SOCKETS 1000
/* connect/disconnect cycles in flight at once; the malformed requests get
 * what the long-lived kinds leave of MAX_SOCKETS */
#define CYCLES_AT_ONCE 100
#define CONNECT_TIMEOUT_S 3.0
#define ANSWER_TIMEOUT_S 3.0
/* the first part a viewer gets is whatever frame was there: not counted */
#define VIEWER_WARMUP_S 0.5
#define SCAN_PERIOD_S 0.01
#define DIAG_PERIOD_S 0.5
#define SAMPLE_PERIOD_S 1.0

#define HEAD_MAX 2048
#define READ_CHUNK (256 * 1024)
#define GARBAGE_CHUNK (64 * 1024)
/* what one garbage sender writes per loop turn, so that a server that
 * swallows it all cannot keep the loop from the viewers */
#define GARBAGE_BURST (1024 * 1024)
#define STALLER_RCVBUF 4096
#define STALLERS_MAX 254
#define HIST_MAX 24
#define LABEL_MAX 96

/* last byte of each kind's source address 127.0.0.X */
#define ADDR_VIEWERS 2
#define ADDR_CYCLES 3
#define ADDR_SLOWLORIS 4
#define ADDR_GARBAGE 5
#define ADDR_MALFORMED 16

#define SLOWLORIS_LINE "GET / HTTP/1.1\r\n"
#define SLOWLORIS_HEADER "X-a: b\r\n"

typedef enum
{
  KIND_VIEWER,
  KIND_CYCLE,
  KIND_SLOWLORIS,
  KIND_STALLER,
  KIND_GARBAGE,
  KIND_MALFORMED
} Kind;

typedef enum
{
  END_DONE,                     /* soak closed it, as planned */
  END_EOF,
  END_RESET,
  END_ERROR,
  END_LOCAL,                    /* socket() or bind() failed */
  END_TIMEOUT,
  END_RUN_END                   /* still open when the attack ended */
} End;

typedef enum
{
  CYCLE_CONNECT_CLOSE,
  CYCLE_HALF_LINE,
  CYCLE_REQUEST_CLOSE,
  CYCLE_READ_FEW,
  CYCLE_SNAPSHOT,
  N_CYCLE_MODES
} CycleMode;

static const char *cycle_names[N_CYCLE_MODES] = {
  "close right after connect",
  "close after half a request line",
  "close after GET stream, before any answer",
  "close after a few bytes of the stream",
  "GET snapshot, read the whole answer"
};

/* a snapshot costs the server a frame's worth of writing, the others
 * nearly nothing: fewer of them keeps the mix about connections */
static const int cycle_weights[N_CYCLE_MODES] = { 2, 2, 2, 2, 1 };

enum
{
  MAL_LONG_LINE,
  MAL_BIG_HEAD,
  MAL_DUP_HOST,
  MAL_DUP_LENGTH,
  MAL_LENGTH_CHUNKED,
  MAL_TE_GZIP,
  MAL_BAD_LINE,
  MAL_HTTP09,
  MAL_RANDOM,
  MAL_TLS,
  MAL_POST_BODY,
  MAL_EXPECT,
  MAL_LENGTH_NO_BODY,
  N_MALFORMED
};

typedef struct
{
  const char *id;
  const char *what;
  char *data;
  size_t len;
} Malformed;

static Malformed malformed[N_MALFORMED] = {
  {"long-request-line", "request line > 16 KiB"},
  {"huge-header-block", "header block > 64 KiB"},
  {"duplicate-host", "two Host headers"},
  {"duplicate-content-length", "two different Content-Length"},
  {"content-length-and-chunked", "Content-Length and chunked"},
  {"te-gzip-long-path", "Transfer-Encoding: gzip, 30 KB path"},
  {"bad-request-line", "request line `GET`"},
  {"http-0.9", "HTTP/0.9 `GET /`"},
  {"random-bytes", "64 random bytes"},
  {"tls-client-hello", "TLS ClientHello"},
  {"post-with-body", "POST stream, 100000-byte body"},
  {"expect-100-no-body", "Expect: 100-continue, no body"},
  {"content-length-no-body", "GET with Content-Length: 5, no body"},
};

/* A TLS 1.2 ClientHello with one cipher suite and no extensions. */
static const unsigned char tls_hello[] = {
  0x16, 0x03, 0x01, 0x00, 0x2d, 0x01, 0x00, 0x00, 0x29, 0x03, 0x03,
  0x5a, 0x1e, 0x33, 0x90, 0x0c, 0x7d, 0xe2, 0x41, 0x88, 0x16, 0xb3, 0x5f,
  0x20, 0xc4, 0x9a, 0x71, 0x0e, 0xd5, 0x62, 0x3b, 0xf8, 0x27, 0x94, 0x4c,
  0xa1, 0x06, 0xee, 0x58, 0x13, 0xcf, 0x7a, 0x2d,
  0x00, 0x00, 0x02, 0x00, 0x2f, 0x01, 0x00
};

typedef struct
{
  char label[LABEL_MAX];
  unsigned count;
  Samples secs;
} HistEntry;

/* outcomes by label, with a duration for some */
typedef struct
{
  HistEntry e[HIST_MAX];
  int n;
} Hist;

typedef struct _Conn Conn;

struct _Conn
{
  int fd;
  Kind kind;
  int sub;                      /* cycle mode, malformed kind, or index */
  int connected;
  double t_connected;
  double deadline;              /* 0: none but the end of the attack */
  double next_header;           /* slowloris */
  int write_more;               /* garbage: more to write at the next turn */

  const char *out;
  size_t out_len, out_off;
  uint64_t bytes_in, bytes_out;

  /* the start of the answer */
  char head[HEAD_MAX];
  size_t head_len;
  int interim;                  /* a 1xx answer seen, then dropped */

  size_t goal;                  /* read-few cycles: bytes to read */
  size_t head_end;              /* snapshot cycles */
  long long content_length;
  unsigned char own[64];        /* random-bytes requests */

  Conn *next;
};

typedef struct
{
  Conn *conn;
  MjpegParser parser;
  /* when the bytes being parsed were read: their parts count then */
  double t_read;
  long long last_num;
  int have_last;
  uint64_t parts_baseline, parts_attack, skipped, bytes_attack;
  double t_last_part, gap_baseline, gap_attack;
  int disconnected;
  double t_disconnected;
  char why[LABEL_MAX];
} Viewer;

typedef struct
{
  Conn *conn;
  struct sockaddr_in local;
  int dropped, open_at_end;
  double after;                 /* from connect to the drop, or the end */
  char answer[48], how[LABEL_MAX];
} Staller;

typedef struct
{
  Conn *conn;
  uint64_t bytes_in, bytes_out;
  int closed, open_at_end;
  double after;
  char answer[48], how[LABEL_MAX];
} Garbage;

typedef struct
{
  Conn *conn;
  double next_open;
} Slot;

typedef struct
{
  int ok;
  long fds, rss_kb;
  double ticks;
} ServerFigures;

enum
{
  AT_START,
  AT_ATTACK_START,
  AT_ATTACK_END,
  AT_SETTLED,
  N_AT
};

const char tool_name[] = "soak";

static const char *opt_url, *opt_json;
static const char *opt_stream_path = "/stream";
static const char *opt_snapshot_path = "/snapshot";
static double opt_seconds = -1, opt_scale = 1, opt_baseline = 3;
static double opt_settle = 10;
static long opt_server_pid;
static int opt_viewers = 5, opt_cycles = 10000, opt_slowloris = 200;
static int opt_stallers = 64, opt_garbage = 5, opt_malformed = 5000;
static unsigned long long opt_seed = 1;

static struct sockaddr_in server_addr;
static char host_header[80];
static char *stream_req, *snapshot_req;
static size_t stream_req_len, snapshot_req_len, half_line_len;
static char garbage_buf[GARBAGE_CHUNK];
static char scratch[READ_CHUNK];
static uint64_t rng_state;

static Conn pool[MAX_SOCKETS];
static Conn *free_list, *dead_list;
static int epfd = -1, diag_fd = -1, diag_unknown;
static volatile sig_atomic_t interrupted;

static double t0, baseline_start, attack_start, attack_end, span;
/* the settle actually waited: ^C cuts it short */
static double settle_len;
static int attacking;

static Viewer *viewers;
static Staller *stallers;
static Garbage *garbage;
static Slot *slots;

static int n_cycles, n_slowloris, n_stallers, n_garbage, n_malformed;
static int cycles_launched, cycles_open, cycle_started[N_CYCLE_MODES];
static Hist cycle_hist[N_CYCLE_MODES];
static int mal_at_once, mal_launched, mal_open, mal_sent[N_MALFORMED];
static Hist mal_hist[N_MALFORMED];
static int slow_opened, slow_closed;
static Hist slow_hist;
static Samples slow_held, slow_open_ages;

static ServerFigures fig[N_AT];
static long peak_fds = -1, peak_rss = -1;
static double own_cpu_start, own_cpu_attack;

static void conn_end (Conn * c, End end, int err, const char *label);
static void conn_flush (Conn * c);

/* xorshift64*: the same --seed gives the same mix of clients */
static uint32_t
rnd (void)
{
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return (uint32_t) ((rng_state * 2685821657736338717ULL) >> 32);
}

static in_addr_t
loopback (int third, int fourth)
{
  return htonl (0x7f000000u | (unsigned) third << 8 | (unsigned) fourth);
}

static void
hist_add (Hist * h, const char *label, double secs)
{
  int i;

  for (i = 0; i < h->n; i++)
    if (!strcmp (h->e[i].label, label))
      break;
  /* labels carry status codes and errno strings: keep a bound anyway */
  if (i == h->n && h->n == HIST_MAX - 1) {
    label = "other outcomes";
    for (i = 0; i < h->n; i++)
      if (!strcmp (h->e[i].label, label))
        break;
  }
  if (i == h->n) {
    snprintf (h->e[i].label, sizeof h->e[i].label, "%s", label);
    h->n++;
  }
  h->e[i].count++;
  if (secs >= 0)
    samples_add (&h->e[i].secs, secs);
}

static int
cmp_entry (const void *a, const void *b)
{
  const HistEntry *x = *(HistEntry * const *) a;
  const HistEntry *y = *(HistEntry * const *) b;

  return x->count < y->count ? 1 : x->count > y->count ? -1 : 0;
}

/* the entries, most frequent first */
static int
hist_sorted (Hist * h, HistEntry ** out)
{
  int i;

  for (i = 0; i < h->n; i++)
    out[i] = &h->e[i];
  qsort (out, h->n, sizeof *out, cmp_entry);
  return h->n;
}

/* ---- the server process ------------------------------------------------- */

static void
server_sample (ServerFigures * f)
{
  if (opt_server_pid <= 0)
    return;
  f->ticks = procstat_ticks (opt_server_pid);
  f->fds = procstat_fds (opt_server_pid);
  f->rss_kb = procstat_status_kb (opt_server_pid, "VmRSS");
  f->ok = f->ticks >= 0;
  if (f->fds > peak_fds)
    peak_fds = f->fds;
  if (f->rss_kb > peak_rss)
    peak_rss = f->rss_kb;
}

/* The TCP state of the server's end of the connection from @local.  A
 * stalled reader never reads, so when the server closes it the FIN waits in
 * the server's kernel behind the data the reader did not take and never
 * shows on soak's side; sock_diag shows the server's side directly.
 * Returns -1 when the server has no such connection, 0 when it cannot be
 * told.  An exact lookup that finds no connection falls back to the
 * listening socket, which is not ESTABLISHED either. */
static int
server_side_state (const struct sockaddr_in *local)
{
  struct
  {
    struct nlmsghdr nlh;
    struct inet_diag_req_v2 req;
  } msg;
  long ans[256];
  struct nlmsghdr *h = (struct nlmsghdr *) ans;
  ssize_t n;

  if (diag_fd < 0)
    return 0;
  memset (&msg, 0, sizeof msg);
  msg.nlh.nlmsg_len = sizeof msg;
  msg.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  msg.nlh.nlmsg_flags = NLM_F_REQUEST;
  msg.req.sdiag_family = AF_INET;
  msg.req.sdiag_protocol = IPPROTO_TCP;
  msg.req.idiag_states = ~0u;
  /* named from the server's side: its address is the source */
  msg.req.id.idiag_src[0] = server_addr.sin_addr.s_addr;
  msg.req.id.idiag_sport = server_addr.sin_port;
  msg.req.id.idiag_dst[0] = local->sin_addr.s_addr;
  msg.req.id.idiag_dport = local->sin_port;
  msg.req.id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
  msg.req.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
  if (send (diag_fd, &msg, sizeof msg, 0) < 0)
    return 0;
  n = recv (diag_fd, ans, sizeof ans, 0);
  if (n < (ssize_t) sizeof *h)
    return 0;
  if (h->nlmsg_type == NLMSG_ERROR)
    return ((struct nlmsgerr *) NLMSG_DATA (h))->error == -ENOENT ? -1 : 0;
  if (h->nlmsg_type == SOCK_DIAG_BY_FAMILY)
    return ((struct inet_diag_msg *) NLMSG_DATA (h))->idiag_state;
  return 0;
}

/* ---- answers ------------------------------------------------------------ */

static void
head_add (Conn * c, const char *p, size_t n)
{
  size_t room = sizeof c->head - 1 - c->head_len;

  if (n > room)
    n = room;
  memcpy (c->head + c->head_len, p, n);
  c->head_len += n;
  c->head[c->head_len] = '\0';
}

/* The status code of the answer once its status line is in, 0 before, -1
 * if it is not HTTP.  A 1xx interim answer is noted and dropped: the final
 * answer is the one that counts. */
static int
head_status (Conn * c)
{
  static const char prefix[] = "HTTP/1.";

  for (;;) {
    size_t cmp = c->head_len < 7 ? c->head_len : 7;
    const char *h = c->head;
    char *end;
    size_t used;
    int code;

    if (memcmp (h, prefix, cmp) != 0)
      return -1;
    if (c->head_len < 12)
      return 0;
    if (h[8] != ' ' || h[9] < '1' || h[9] > '5' || h[10] < '0' || h[10] > '9'
        || h[11] < '0' || h[11] > '9')
      return -1;
    code = (h[9] - '0') * 100 + (h[10] - '0') * 10 + (h[11] - '0');
    if (code >= 200)
      return code;
    end = memmem (c->head, c->head_len, "\r\n\r\n", 4);
    if (!end)
      return 0;
    c->interim = code;
    used = end + 4 - c->head;
    memmove (c->head, end + 4, c->head_len - used);
    c->head_len -= used;
    c->head[c->head_len] = '\0';
  }
}

/* what the server sent, in a few words */
static void
answer_of (Conn * c, char *buf, size_t len)
{
  int st = head_status (c);

  if (st > 0)
    snprintf (buf, len, "%d", st);
  else if (st < 0)
    snprintf (buf, len, "non-HTTP answer");
  else if (c->head_len > 0)
    snprintf (buf, len, "incomplete answer");
  else if (c->interim)
    snprintf (buf, len, "%d only", c->interim);
  else
    snprintf (buf, len, "nothing");
}

static void
connect_label (Conn * c, End end, int err, char *buf, size_t len)
{
  if (end == END_LOCAL)
    snprintf (buf, len, "local error: %s", strerror (err));
  else if (end == END_TIMEOUT)
    snprintf (buf, len, "connect timed out");
  else if (end == END_RUN_END)
    snprintf (buf, len, "still connecting at the end");
  else if (err == ECONNREFUSED)
    snprintf (buf, len, "connect refused");
  else
    snprintf (buf, len, "connect failed: %s", strerror (err));
}

/* The outcome of a short-lived connection, for the histograms. */
static void
end_label (Conn * c, End end, int err, char *buf, size_t len)
{
  char pre[16] = "";
  int st;

  if (!c->connected || end == END_LOCAL) {
    connect_label (c, end, err, buf, len);
    return;
  }
  st = head_status (c);
  if (c->interim)
    snprintf (pre, sizeof pre, "%d + ", c->interim);
  if (st < 0) {
    snprintf (buf, len, "%snon-HTTP answer", pre);
  } else if (st > 0) {
    if (end == END_TIMEOUT)
      snprintf (buf, len, "%s%d, then nothing more within 3 s", pre, st);
    else if (end == END_RESET)
      snprintf (buf, len, "%s%d, then reset", pre, st);
    else if (end == END_RUN_END)
      snprintf (buf, len, "%s%d, cut by the end of the attack", pre, st);
    else if (end == END_EOF && c->kind == KIND_CYCLE
        && c->sub == CYCLE_SNAPSHOT)
      snprintf (buf, len, "%s%d, closed before the whole body", pre, st);
    else
      snprintf (buf, len, "%s%d", pre, st);
  } else if (end == END_DONE) {
    snprintf (buf, len, "closed as planned");
  } else if (end == END_EOF) {
    snprintf (buf, len, "%sclosed without answer", pre);
  } else if (end == END_RESET) {
    snprintf (buf, len, "%sreset", pre);
  } else if (end == END_TIMEOUT) {
    snprintf (buf, len, "%sno answer within 3 s", pre);
  } else if (end == END_RUN_END) {
    snprintf (buf, len, "%sno answer by the end of the attack", pre);
  } else {
    snprintf (buf, len, "%serror: %s", pre, strerror (err));
  }
}

/* How a long-lived connection ended (its answer is told apart). */
static void
end_how (Conn * c, End end, int err, char *buf, size_t len)
{
  if (!c->connected || end == END_LOCAL)
    connect_label (c, end, err, buf, len);
  else if (end == END_EOF)
    snprintf (buf, len, "closed by the server");
  else if (end == END_RESET)
    snprintf (buf, len, "reset by the server");
  else if (end == END_RUN_END)
    snprintf (buf, len, "open at the end");
  else
    snprintf (buf, len, "error: %s", strerror (err));
}

/* A snapshot is whole once Content-Length bytes followed its head. */
static int
snapshot_complete (Conn * c)
{
  const char *end, *l, *v;

  if (!c->head_end) {
    end = memmem (c->head, c->head_len, "\r\n\r\n", 4);
    if (!end)
      return 0;
    c->head_end = end + 4 - c->head;
    c->content_length = -1;
    for (l = c->head; l < end; l = strchr (l, '\n') + 1)
      if (http_header_value (l, "Content-Length", &v))
        c->content_length = strtoll (v, NULL, 10);
  }
  return c->content_length >= 0
      && c->bytes_in >= c->head_end + (uint64_t) c->content_length;
}

/* ---- connections -------------------------------------------------------- */

/* Parked until the events in hand are handled: one of them may name it. */
static void
conn_release (Conn * c)
{
  if (c->fd >= 0)
    close (c->fd);
  c->fd = -1;
  c->next = dead_list;
  dead_list = c;
}

static void
free_dead (void)
{
  while (dead_list) {
    Conn *c = dead_list;

    dead_list = c->next;
    c->next = free_list;
    free_list = c;
  }
}

/* Connections are opened only between batches of events, never while one is
 * handled: what is parked may be reused then. */
static Conn *
conn_alloc (void)
{
  Conn *c;

  if (!free_list)
    free_dead ();
  c = free_list;
  if (!c)
    return NULL;
  free_list = c->next;
  memset (c, 0, sizeof *c);
  c->fd = -1;
  return c;
}

static void
conn_send (Conn * c, const char *p, size_t n)
{
  c->out = p;
  c->out_len = n;
  c->out_off = 0;
  conn_flush (c);
}

/* What a staller was sent: read only once it is gone or the run is over. */
static void
staller_peek (Conn * c)
{
  ssize_t r = recv (c->fd, scratch, HEAD_MAX - 1, MSG_DONTWAIT);

  if (r > 0)
    head_add (c, scratch, r);
}

/* ---- viewers ------------------------------------------------------------ */

/* The parts of one read count at that read's time: one clock reading per
 * read(), however many parts it held. */
static void
viewer_part (MjpegParser * p)
{
  Viewer *v = p->user;
  double now = v->t_read, from;

  if (now >= attack_start) {
    from = v->t_last_part > attack_start ? v->t_last_part : attack_start;
    v->parts_attack++;
    if (now - from > v->gap_attack)
      v->gap_attack = now - from;
    if (p->has_num && v->have_last && p->part_num > v->last_num + 1)
      v->skipped += p->part_num - v->last_num - 1;
  } else if (now >= baseline_start) {
    from = v->t_last_part > baseline_start ? v->t_last_part : baseline_start;
    v->parts_baseline++;
    if (now - from > v->gap_baseline)
      v->gap_baseline = now - from;
  }
  if (p->has_num) {
    v->last_num = p->part_num;
    v->have_last = 1;
  }
  v->t_last_part = now;
}

/* How the stream ended, in the words soak's reports have always used. */
static void
viewer_input (Viewer * v, Conn * c, const char *data, size_t n, double now)
{
  MjpegParser *p = &v->parser;
  char why[80];

  v->t_read = now;
  mjpeg_parser_feed (p, data, n);
  if (p->state != MJPEG_DONE)
    return;
  if (p->end == MJPEG_END_NOT_HTTP || p->end == MJPEG_END_STATUS)
    snprintf (why, sizeof why, "answer \"%.40s\"", p->line);
  else if (p->end == MJPEG_END_CLOSE_DELIMITER)
    snprintf (why, sizeof why, "stream ended (close delimiter)");
  else
    snprintf (why, sizeof why, "%s", p->why);
  conn_end (c, END_DONE, 0, why);
}

/* ---- the life of a connection ------------------------------------------- */

static void
conn_end (Conn * c, End end, int err, const char *label)
{
  double now = mono_now ();
  double age = c->connected ? now - c->t_connected : 0;
  char buf[LABEL_MAX];

  if (!label) {
    if (c->kind == KIND_VIEWER || c->kind == KIND_STALLER
        || c->kind == KIND_GARBAGE)
      end_how (c, end, err, buf, sizeof buf);
    else
      end_label (c, end, err, buf, sizeof buf);
    label = buf;
  }

  switch (c->kind) {
    case KIND_VIEWER:{
      Viewer *v = &viewers[c->sub];

      v->conn = NULL;
      if (end != END_RUN_END) {
        v->disconnected = 1;
        v->t_disconnected = now;
        snprintf (v->why, sizeof v->why, "%s", label);
      }
      break;
    }
    case KIND_CYCLE:
      hist_add (&cycle_hist[c->sub], label, -1);
      cycles_open--;
      break;
    case KIND_SLOWLORIS:
      slots[c->sub].conn = NULL;
      if (end == END_RUN_END && c->connected) {
        samples_add (&slow_open_ages, age);
      } else {
        hist_add (&slow_hist, label, c->connected ? age : -1);
        if (c->connected) {
          slow_closed++;
          samples_add (&slow_held, age);
        }
      }
      break;
    case KIND_STALLER:{
      Staller *s = &stallers[c->sub];

      s->conn = NULL;
      answer_of (c, s->answer, sizeof s->answer);
      snprintf (s->how, sizeof s->how, "%s", label);
      s->after = age;
      s->open_at_end = c->connected && end == END_RUN_END;
      s->dropped = c->connected && end != END_RUN_END;
      break;
    }
    case KIND_GARBAGE:{
      Garbage *g = &garbage[c->sub];

      g->conn = NULL;
      g->bytes_in = c->bytes_in;
      g->bytes_out = c->bytes_out;
      answer_of (c, g->answer, sizeof g->answer);
      snprintf (g->how, sizeof g->how, "%s", label);
      g->after = age;
      g->open_at_end = c->connected && end == END_RUN_END;
      g->closed = c->connected && end != END_RUN_END;
      break;
    }
    case KIND_MALFORMED:
      hist_add (&mal_hist[c->sub], label, -1);
      mal_open--;
      break;
  }
  conn_release (c);
}

/* Data came on a short-lived connection: is it done? */
static void
conn_data (Conn * c)
{
  int st = head_status (c);

  if (c->kind == KIND_MALFORMED) {
    if (st != 0)
      conn_end (c, END_DONE, 0, NULL);
  } else if (c->kind == KIND_CYCLE
      && (c->sub == CYCLE_READ_FEW || c->sub == CYCLE_SNAPSHOT)) {
    if (st < 0 || (st > 0 && st != 200))
      conn_end (c, END_DONE, 0, NULL);
    else if (st == 200 && c->sub == CYCLE_READ_FEW && c->bytes_in >= c->goal)
      conn_end (c, END_DONE, 0, "200, closed after a few bytes");
    else if (st == 200 && c->sub == CYCLE_SNAPSHOT && snapshot_complete (c))
      conn_end (c, END_DONE, 0, "200, whole snapshot");
  }
}

static void
conn_read (Conn * c)
{
  for (;;) {
    ssize_t r = recv (c->fd, scratch, sizeof scratch, 0);
    int err = errno;

    if (r > 0) {
      c->bytes_in += r;
      if (c->kind == KIND_VIEWER) {
        Viewer *v = &viewers[c->sub];
        double now = mono_now ();

        if (now >= attack_start)
          v->bytes_attack += r;
        viewer_input (v, c, scratch, r, now);
      } else {
        head_add (c, scratch, r);
        conn_data (c);
      }
      if (c->fd < 0)
        return;
      continue;
    }
    if (r < 0 && err == EINTR)
      continue;
    if (r < 0 && err == EAGAIN)
      return;
    if (r == 0)
      conn_end (c, END_EOF, 0, NULL);
    else
      conn_end (c, err == ECONNRESET ? END_RESET : END_ERROR, err, NULL);
    return;
  }
}

/* All of c->out went out. */
static void
conn_sent (Conn * c)
{
  if (c->kind == KIND_CYCLE && (c->sub == CYCLE_HALF_LINE
          || c->sub == CYCLE_REQUEST_CLOSE)) {
    conn_end (c, END_DONE, 0, NULL);
  } else if (c->kind == KIND_GARBAGE) {
    c->out = garbage_buf;
    c->out_len = sizeof garbage_buf;
    c->out_off = 0;
  }
}

static void
conn_flush (Conn * c)
{
  size_t burst = 0;

  c->write_more = 0;
  while (c->out_off < c->out_len) {
    ssize_t w;
    int err;

    if (burst >= GARBAGE_BURST) {
      c->write_more = 1;
      return;
    }
    w = send (c->fd, c->out + c->out_off, c->out_len - c->out_off,
        MSG_NOSIGNAL);
    err = errno;
    if (w > 0) {
      c->out_off += w;
      c->bytes_out += w;
      burst += w;
      if (c->out_off == c->out_len) {
        conn_sent (c);
        if (c->fd < 0)
          return;
      }
      continue;
    }
    if (w < 0 && err == EINTR)
      continue;
    if (w < 0 && err == EAGAIN)
      return;
    /* the server may have answered before it stopped reading: that
     * answer is the outcome */
    conn_read (c);
    if (c->fd >= 0)
      conn_end (c, err == EPIPE || err == ECONNRESET ? END_RESET : END_ERROR,
          err, NULL);
    return;
  }
}

static void
conn_connected (Conn * c, double now)
{
  socklen_t len = sizeof stallers[0].local;
  const Malformed *m;

  c->connected = 1;
  c->t_connected = now;
  c->deadline = 0;
  switch (c->kind) {
    case KIND_VIEWER:
      mjpeg_parser_start (&viewers[c->sub].parser, 0);
      conn_send (c, stream_req, stream_req_len);
      break;
    case KIND_GARBAGE:
      conn_send (c, stream_req, stream_req_len);
      break;
    case KIND_STALLER:
      getsockname (c->fd, (struct sockaddr *) &stallers[c->sub].local, &len);
      conn_send (c, stream_req, stream_req_len);
      break;
    case KIND_SLOWLORIS:
      c->next_header = now + 1;
      conn_send (c, SLOWLORIS_LINE, strlen (SLOWLORIS_LINE));
      break;
    case KIND_CYCLE:
      c->deadline = now + ANSWER_TIMEOUT_S;
      if (c->sub == CYCLE_CONNECT_CLOSE)
        conn_end (c, END_DONE, 0, NULL);
      else if (c->sub == CYCLE_HALF_LINE)
        conn_send (c, stream_req, half_line_len);
      else if (c->sub == CYCLE_SNAPSHOT)
        conn_send (c, snapshot_req, snapshot_req_len);
      else
        conn_send (c, stream_req, stream_req_len);
      break;
    case KIND_MALFORMED:
      c->deadline = now + ANSWER_TIMEOUT_S;
      m = &malformed[c->sub];
      if (c->sub == MAL_RANDOM)
        conn_send (c, (const char *) c->own, sizeof c->own);
      else
        conn_send (c, m->data, m->len);
      break;
  }
}

static void
conn_event (Conn * c, uint32_t ev)
{
  if (c->fd < 0)
    return;
  if (!c->connected) {
    int err = connect_result (c->fd);

    if (err) {
      conn_end (c, END_ERROR, err, NULL);
      return;
    }
    if (!(ev & EPOLLOUT))
      return;
    conn_connected (c, mono_now ());
    if (c->fd < 0)
      return;
  }
  if (c->kind == KIND_STALLER) {
    /* it never reads: data is no event, only the end of the connection */
    if (ev & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))
      conn_read (c);
    else if (ev & EPOLLOUT)
      conn_flush (c);
    return;
  }
  if (ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
    conn_read (c);
  if (c->fd >= 0 && (ev & EPOLLOUT))
    conn_flush (c);
}

/* The owner learns of the connection before anything can end it. */
static void
conn_adopt (Conn * c)
{
  size_t i;

  switch (c->kind) {
    case KIND_VIEWER:{
      Viewer *v = &viewers[c->sub];

      v->conn = c;
      mjpeg_parser_init (&v->parser, NULL, viewer_part, v);
      /* mjpeghttpsink sends it with every part: a part without is news */
      v->parser.need_length = 1;
      break;
    }
    case KIND_CYCLE:
      cycles_open++;
      cycle_started[c->sub]++;
      c->goal = 16 + rnd () % 497;
      break;
    case KIND_SLOWLORIS:
      slots[c->sub].conn = c;
      slow_opened++;
      break;
    case KIND_STALLER:
      stallers[c->sub].conn = c;
      break;
    case KIND_GARBAGE:
      garbage[c->sub].conn = c;
      break;
    case KIND_MALFORMED:
      mal_open++;
      mal_sent[c->sub]++;
      for (i = 0; i < sizeof c->own; i++)
        c->own[i] = rnd ();
      break;
  }
}

static void
conn_open (Kind kind, int sub, in_addr_t src, double now)
{
  struct sockaddr_in sa;
  struct epoll_event ev;
  ConnectStep step;
  Conn *c = conn_alloc ();

  /* the callers keep within MAX_SOCKETS */
  if (!c)
    die ("out of connection slots");
  c->kind = kind;
  c->sub = sub;
  c->deadline = now + CONNECT_TIMEOUT_S;
  conn_adopt (c);

  memset (&sa, 0, sizeof sa);
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = src;
  /* a staller's window is small from the handshake on */
  c->fd = connect_from (&server_addr, &sa,
      kind == KIND_STALLER ? STALLER_RCVBUF : 0, &step);
  if (c->fd < 0) {
    conn_end (c, step == CONNECT_CONNECT ? END_ERROR : END_LOCAL, errno, NULL);
    return;
  }
  ev.events = EPOLLOUT | EPOLLRDHUP | EPOLLET;
  if (kind != KIND_STALLER)
    ev.events |= EPOLLIN;
  ev.data.ptr = c;
  if (epoll_ctl (epfd, EPOLL_CTL_ADD, c->fd, &ev) < 0)
    die ("epoll_ctl: %s", strerror (errno));
}

/* ---- the timeline ------------------------------------------------------- */

/* how many of @n paced connections are due by @now */
static int
due (int n, double now)
{
  double d = (now - attack_start) / span * n + 1;

  return d >= n ? n : (int) d;
}

static CycleMode
cycle_mode (void)
{
  int total = 0, i, r;

  for (i = 0; i < N_CYCLE_MODES; i++)
    total += cycle_weights[i];
  r = rnd () % total;
  for (i = 0; r >= cycle_weights[i]; i++)
    r -= cycle_weights[i];
  return i;
}

static void
attack_begin (double now)
{
  int i, any = 0;

  for (i = 0; i < opt_viewers; i++)
    any |= viewers[i].parts_baseline > 0;
  if (!any)
    die ("no viewer got a frame in the %g s baseline (viewer 1: %s): is "
        "%s%s an MJPEG stream, and its pipeline playing?", opt_baseline,
        viewers[0].disconnected ? viewers[0].why : "connected, no frame",
        opt_url, opt_stream_path);

  attacking = 1;
  server_sample (&fig[AT_ATTACK_START]);
  own_cpu_start = procstat_own_cpu ();
  for (i = 0; i < n_stallers; i++)
    conn_open (KIND_STALLER, i, loopback (1, i + 1), now);
  for (i = 0; i < n_garbage; i++)
    conn_open (KIND_GARBAGE, i, loopback (0, ADDR_GARBAGE), now);
  /* over the first second, as they send one line a second */
  for (i = 0; i < n_slowloris; i++)
    slots[i].next_open = now + (double) i / n_slowloris;
}

static void
check_stallers (void)
{
  int i, st;

  for (i = 0; i < n_stallers; i++) {
    Conn *c = stallers[i].conn;

    if (!c || !c->connected || c->out_off < c->out_len)
      continue;
    st = server_side_state (&stallers[i].local);
    if (st == 0) {
      diag_unknown++;
    } else if (st != TCP_ESTABLISHED) {
      staller_peek (c);
      conn_end (c, END_EOF, 0, "server closed its end (seen by sock_diag)");
    }
  }
}

/* Timeouts, slowloris lines and slots, paced launches, periodic checks. */
static void
tick (double now)
{
  static double next_scan, next_diag, next_sample;
  int i, scan = now >= next_scan;

  if (scan) {
    next_scan = now + SCAN_PERIOD_S;
    for (i = 0; i < MAX_SOCKETS; i++) {
      Conn *c = &pool[i];

      if (c->fd < 0)
        continue;
      if (c->deadline > 0 && now >= c->deadline) {
        conn_end (c, END_TIMEOUT, 0, NULL);
      } else if (c->kind == KIND_SLOWLORIS && c->connected
          && now >= c->next_header && c->out_off == c->out_len) {
        c->next_header = now + 1;
        conn_send (c, SLOWLORIS_HEADER, strlen (SLOWLORIS_HEADER));
      }
    }
  }
  if (!attacking)
    return;

  /* a replacement at most once a second per slot, so that a server that
   * refuses at once is not hammered */
  for (i = 0; scan && i < n_slowloris; i++)
    if (!slots[i].conn && now >= slots[i].next_open) {
      slots[i].next_open = now + 1;
      conn_open (KIND_SLOWLORIS, i, loopback (0, ADDR_SLOWLORIS), now);
    }
  while (cycles_launched < due (n_cycles, now)
      && cycles_open < CYCLES_AT_ONCE) {
    conn_open (KIND_CYCLE, cycle_mode (), loopback (0, ADDR_CYCLES), now);
    cycles_launched++;
  }
  while (mal_launched < due (n_malformed * N_MALFORMED, now)
      && mal_open < mal_at_once) {
    int kind = mal_launched % N_MALFORMED;

    conn_open (KIND_MALFORMED, kind, loopback (0, ADDR_MALFORMED + kind), now);
    mal_launched++;
  }
  for (i = 0; i < n_garbage; i++)
    if (garbage[i].conn && garbage[i].conn->write_more)
      conn_flush (garbage[i].conn);

  if (now >= next_diag) {
    next_diag = now + DIAG_PERIOD_S;
    check_stallers ();
  }
  if (now >= next_sample) {
    ServerFigures f;

    next_sample = now + SAMPLE_PERIOD_S;
    server_sample (&f);
  }
}

static int
garbage_pending (void)
{
  int i;

  for (i = 0; i < n_garbage; i++)
    if (garbage[i].conn && garbage[i].conn->write_more)
      return 1;
  return 0;
}

/* The attack is over: what is still open is recorded as such and closed. */
static void
close_everything (void)
{
  int i;

  for (i = 0; i < opt_viewers; i++) {
    Viewer *v = &viewers[i];
    double from = v->t_last_part > attack_start ? v->t_last_part : attack_start;

    /* a viewer that stalls or is gone at the end has a gap still open */
    if (attack_end - from > v->gap_attack)
      v->gap_attack = attack_end - from;
  }
  for (i = 0; i < MAX_SOCKETS; i++) {
    Conn *c = &pool[i];

    if (c->fd < 0)
      continue;
    if (c->kind == KIND_STALLER)
      staller_peek (c);
    conn_end (c, END_RUN_END, 0, NULL);
  }
}

/* ---- report ------------------------------------------------------------- */

static const char *
fmt_num (char *buf, size_t len, const char *fmt, double v)
{
  if (isnan (v))
    snprintf (buf, len, "-");
  else
    snprintf (buf, len, fmt, v);
  return buf;
}

static const char *
fmt_long (char *buf, size_t len, long v)
{
  if (v < 0)
    snprintf (buf, len, "-");
  else
    snprintf (buf, len, "%ld", v);
  return buf;
}

static const char *
fmt_summary (char *buf, size_t len, Samples * s)
{
  double m[3];

  samples_summary (s, m);
  if (isnan (m[0]))
    snprintf (buf, len, "-");
  else
    snprintf (buf, len, "%.1f / %.1f / %.1f", m[0], m[1], m[2]);
  return buf;
}

static const char *
fmt_hist (char *buf, size_t len, Hist * h)
{
  HistEntry *e[HIST_MAX];
  size_t used = 0;
  int i, n = hist_sorted (h, e);

  buf[0] = '\0';
  for (i = 0; i < n && used < len; i++)
    used += snprintf (buf + used, len - used, "%s%s x%u", i ? ", " : "",
        e[i]->label, e[i]->count);
  if (n == 0)
    snprintf (buf, len, "-");
  return buf;
}

static double
baseline_len (void)
{
  return attack_start - baseline_start;
}

static double
attack_len (void)
{
  return attack_end - attack_start;
}

static void
print_viewers (void)
{
  uint64_t pb = 0, pa = 0, skipped = 0, bytes = 0;
  double gb = 0, ga = 0;
  char a[32], b[32];
  int i, gone = 0;

  printf ("## Fast viewers (127.0.0.%d)\n\n", ADDR_VIEWERS);
  printf ("fps: parts received over the baseline (its first %.1f s left "
      "out) and over the attack; a gap runs from one part to the next.\n\n",
      VIEWER_WARMUP_S);
  printf ("| viewer | baseline fps | attack fps | worst gap ms, baseline | "
      "worst gap ms, attack | frames skipped | MB received, attack | "
      "disconnected |\n|---|---|---|---|---|---|---|---|\n");
  for (i = 0; i < opt_viewers; i++) {
    Viewer *v = &viewers[i];

    printf ("| %d | %.1f | %.1f | %.0f | %.0f | %" PRIu64 " | %.1f | ", i + 1,
        v->parts_baseline / baseline_len (), v->parts_attack / attack_len (),
        v->gap_baseline * 1000, v->gap_attack * 1000, v->skipped,
        v->bytes_attack / 1e6);
    if (v->disconnected)
      printf ("at %+.1f s of the attack: %s |\n",
          v->t_disconnected - attack_start, v->why);
    else
      printf ("no |\n");
    pb += v->parts_baseline;
    pa += v->parts_attack;
    skipped += v->skipped;
    bytes += v->bytes_attack;
    gb = v->gap_baseline > gb ? v->gap_baseline : gb;
    ga = v->gap_attack > ga ? v->gap_attack : ga;
    gone += v->disconnected;
  }
  printf ("| all | %s | %s | %.0f | %.0f | %" PRIu64 " | %.1f | %d of %d |\n\n",
      fmt_num (a, sizeof a, "%.1f", pb / baseline_len () / opt_viewers),
      fmt_num (b, sizeof b, "%.1f", pa / attack_len () / opt_viewers),
      gb * 1000, ga * 1000, skipped, bytes / 1e6, gone, opt_viewers);
}

static void
print_cycles (void)
{
  char buf[1024];
  int i;

  printf ("## Connect/disconnect cycles (127.0.0.%d)\n\n", ADDR_CYCLES);
  printf ("%d planned, %d started, paced over %.1f s, at most %d at once.\n\n",
      n_cycles, cycles_launched, span, CYCLES_AT_ONCE);
  printf ("| mode | started | outcomes |\n|---|---|---|\n");
  for (i = 0; i < N_CYCLE_MODES; i++)
    printf ("| %s | %d | %s |\n", cycle_names[i], cycle_started[i],
        fmt_hist (buf, sizeof buf, &cycle_hist[i]));
  printf ("\n");
}

static void
print_slowloris (void)
{
  HistEntry *e[HIST_MAX];
  char a[64], b[64];
  int i, n = hist_sorted (&slow_hist, e);

  printf ("## Slowloris (127.0.0.%d)\n\n", ADDR_SLOWLORIS);
  printf ("%d kept open, each sending `GET / HTTP/1.1` then a header line "
      "a second, never ending its head.  %d opened in all, %d closed by the "
      "server (held %s s min / median / max), %zu still open at the end "
      "(open for %s s).\n\n", n_slowloris, slow_opened, slow_closed,
      fmt_summary (a, sizeof a, &slow_held), slow_open_ages.n,
      fmt_summary (b, sizeof b, &slow_open_ages));
  if (n == 0)
    return;
  printf ("| what ended them | count | held s min / median / max |\n"
      "|---|---|---|\n");
  for (i = 0; i < n; i++)
    printf ("| %s | %u | %s |\n", e[i]->label, e[i]->count,
        fmt_summary (a, sizeof a, &e[i]->secs));
  printf ("\n");
}

static void
print_stallers (void)
{
  Samples drops = { 0 };
  char a[64];
  int i, open = 0;

  for (i = 0; i < n_stallers; i++) {
    if (stallers[i].dropped)
      samples_add (&drops, stallers[i].after);
    open += stallers[i].open_at_end;
  }
  printf ("## Stalled stream readers (127.0.1.1 - 127.0.1.%d)\n\n", n_stallers);
  printf ("Each sends `GET %s` with SO_RCVBUF %d and never reads.  %zu of %d "
      "dropped by the server (%s s after connect, min / median / max), %d "
      "still open at the end.%s\n\n", opt_stream_path, STALLER_RCVBUF,
      drops.n, n_stallers, fmt_summary (a, sizeof a, &drops), open,
      diag_fd < 0 || diag_unknown ? "  (sock_diag could not tell the "
      "server's side: a drop shows only once its FIN or RST arrives.)" : "");
  printf ("| # | address | answer | dropped after s | how |\n"
      "|---|---|---|---|---|\n");
  for (i = 0; i < n_stallers; i++) {
    Staller *s = &stallers[i];

    printf ("| %d | 127.0.1.%d | %s | %s | %s |\n", i + 1, i + 1, s->answer,
        s->dropped ? fmt_num (a, sizeof a, "%.1f", s->after) : "-", s->how);
  }
  printf ("\n");
  free (drops.v);
}

static void
print_garbage (void)
{
  int i;

  printf ("## Garbage senders (127.0.0.%d)\n\n", ADDR_GARBAGE);
  printf ("Each sends `GET %s`, then garbage as fast as the socket takes it, "
      "and reads what comes.\n\n", opt_stream_path);
  printf ("| # | answer | MB received | MB sent | closed after s | how |\n"
      "|---|---|---|---|---|---|\n");
  for (i = 0; i < n_garbage; i++) {
    Garbage *g = &garbage[i];
    char a[32];

    printf ("| %d | %s | %.1f | %.1f | %s | %s |\n", i + 1, g->answer,
        g->bytes_in / 1e6, g->bytes_out / 1e6,
        g->closed ? fmt_num (a, sizeof a, "%.1f", g->after) : "-", g->how);
  }
  printf ("\n");
}

static void
print_malformed (void)
{
  char buf[1024];
  int i;

  printf ("## Malformed requests\n\n");
  printf ("%d of each kind planned, one connection each, interleaved and "
      "paced over %.1f s, at most %d at once; each is given %.0f s for an "
      "answer and closed once its status line is in.\n\n", n_malformed, span,
      mal_at_once, ANSWER_TIMEOUT_S);
  printf ("| kind | from | sent | outcomes |\n|---|---|---|---|\n");
  for (i = 0; i < N_MALFORMED; i++)
    printf ("| %s | 127.0.0.%d | %d | %s |\n", malformed[i].what,
        ADDR_MALFORMED + i, mal_sent[i],
        fmt_hist (buf, sizeof buf, &mal_hist[i]));
  printf ("\n");
}

static double
server_cpu_s (void)
{
  if (!fig[AT_ATTACK_START].ok || !fig[AT_ATTACK_END].ok)
    return NAN;
  return (fig[AT_ATTACK_END].ticks - fig[AT_ATTACK_START].ticks)
      / sysconf (_SC_CLK_TCK);
}

static void
print_server (void)
{
  char a[5][32];
  double cpu = server_cpu_s ();
  int i;

  if (opt_server_pid <= 0)
    return;
  printf ("## Server process (pid %ld)\n\n", opt_server_pid);
  printf ("| | start | attack start | attack end | attack peak | "
      "after %.1f s settle |\n|---|---|---|---|---|---|\n", settle_len);
  printf ("| open fds |");
  for (i = 0; i < N_AT; i++) {
    if (i == AT_SETTLED)
      printf (" %s |", fmt_long (a[4], sizeof a[4], peak_fds));
    printf (" %s |", fmt_long (a[i], sizeof a[i], fig[i].fds));
  }
  printf ("\n| VmRSS kB |");
  for (i = 0; i < N_AT; i++) {
    if (i == AT_SETTLED)
      printf (" %s |", fmt_long (a[4], sizeof a[4], peak_rss));
    printf (" %s |", fmt_long (a[i], sizeof a[i], fig[i].rss_kb));
  }
  printf ("\n\nServer CPU during the attack: %s s, %s%% of one core.\n\n",
      fmt_num (a[0], sizeof a[0], "%.1f", cpu),
      fmt_num (a[1], sizeof a[1], "%.0f", cpu / attack_len () * 100));
}

static void
print_report (void)
{
  printf ("# soak: %s\n\n", opt_url);
  printf ("%.0f s baseline, %.1f s attack, %.1f s settle; hostile counts "
      "scaled by %g; seed %llu; soak's own CPU during the attack %.0f%% of "
      "one core.\n\n", opt_baseline, attack_len (), settle_len, opt_scale,
      opt_seed, own_cpu_attack / attack_len () * 100);
  printf ("Source addresses: viewers 127.0.0.%d, connect/disconnect cycles "
      "127.0.0.%d, slowloris 127.0.0.%d, garbage senders 127.0.0.%d, "
      "malformed requests 127.0.0.%d - 127.0.0.%d (one per kind), stalled "
      "readers 127.0.1.1 - 127.0.1.%d (one each).\n\n", ADDR_VIEWERS,
      ADDR_CYCLES, ADDR_SLOWLORIS, ADDR_GARBAGE, ADDR_MALFORMED,
      ADDR_MALFORMED + N_MALFORMED - 1, n_stallers);
  print_viewers ();
  print_cycles ();
  print_slowloris ();
  print_stallers ();
  print_garbage ();
  print_malformed ();
  print_server ();
}

/* ---- JSON --------------------------------------------------------------- */

static FILE *jf;
static int json_first = 1;

static void
json_str (const char *s)
{
  fputc ('"', jf);
  for (; *s; s++) {
    if (*s == '"' || *s == '\\')
      fprintf (jf, "\\%c", *s);
    else if ((unsigned char) *s < 0x20)
      fprintf (jf, "\\u%04x", *s);
    else
      fputc (*s, jf);
  }
  fputc ('"', jf);
}

/* the separator, then "key": unless in an array */
static void
json_key (const char *key)
{
  if (!json_first)
    fputc (',', jf);
  json_first = 0;
  if (key) {
    json_str (key);
    fputc (':', jf);
  }
}

static void
json_open (const char *key, char bracket)
{
  json_key (key);
  fputc (bracket, jf);
  json_first = 1;
}

static void
json_close (char bracket)
{
  fputc (bracket, jf);
  json_first = 0;
}

static void
json_num (const char *key, double v)
{
  json_key (key);
  if (isnan (v))
    fprintf (jf, "null");
  else
    fprintf (jf, "%.3f", v);
}

/* negative: unknown */
static void
json_int (const char *key, long long v)
{
  json_key (key);
  if (v < 0)
    fprintf (jf, "null");
  else
    fprintf (jf, "%lld", v);
}

static void
json_bool (const char *key, int v)
{
  json_key (key);
  fprintf (jf, v ? "true" : "false");
}

static void
json_address (const char *key, int fourth)
{
  json_key (key);
  fprintf (jf, "\"127.0.0.%d\"", fourth);
}

static void
json_string (const char *key, const char *v)
{
  json_key (key);
  if (v)
    json_str (v);
  else
    fprintf (jf, "null");
}

static void
json_summary (const char *key, Samples * s)
{
  double m[3];

  samples_summary (s, m);
  json_open (key, '{');
  json_int ("count", s->n);
  json_num ("min", m[0]);
  json_num ("median", m[1]);
  json_num ("max", m[2]);
  json_close ('}');
}

static void
json_hist (Hist * h, int with_secs)
{
  HistEntry *e[HIST_MAX];
  int i, n = hist_sorted (h, e);

  json_open ("outcomes", '{');
  for (i = 0; i < n; i++) {
    if (with_secs) {
      json_open (e[i]->label, '{');
      json_int ("count", e[i]->count);
      json_summary ("held_s", &e[i]->secs);
      json_close ('}');
    } else {
      json_int (e[i]->label, e[i]->count);
    }
  }
  json_close ('}');
}

static void
json_viewers (void)
{
  int i;

  json_open ("viewers", '{');
  json_address ("address", ADDR_VIEWERS);
  json_open ("each", '[');
  for (i = 0; i < opt_viewers; i++) {
    Viewer *v = &viewers[i];

    json_open (NULL, '{');
    json_num ("baseline_fps", v->parts_baseline / baseline_len ());
    json_num ("attack_fps", v->parts_attack / attack_len ());
    json_num ("baseline_worst_gap_ms", v->gap_baseline * 1000);
    json_num ("attack_worst_gap_ms", v->gap_attack * 1000);
    json_int ("skipped_frames", v->skipped);
    json_int ("attack_bytes", v->bytes_attack);
    json_bool ("disconnected", v->disconnected);
    json_num ("disconnected_at_s", v->disconnected ?
        v->t_disconnected - attack_start : NAN);
    json_string ("why", v->disconnected ? v->why : NULL);
    json_close ('}');
  }
  json_close (']');
  json_close ('}');
}

static void
json_hostile (void)
{
  char addr[32];
  int i;

  json_open ("cycles", '{');
  json_address ("address", ADDR_CYCLES);
  json_int ("planned", n_cycles);
  json_int ("started", cycles_launched);
  json_num ("paced_over_s", span);
  json_open ("modes", '{');
  for (i = 0; i < N_CYCLE_MODES; i++) {
    json_open (cycle_names[i], '{');
    json_int ("started", cycle_started[i]);
    json_hist (&cycle_hist[i], 0);
    json_close ('}');
  }
  json_close ('}');
  json_close ('}');

  json_open ("slowloris", '{');
  json_address ("address", ADDR_SLOWLORIS);
  json_int ("kept_open", n_slowloris);
  json_int ("opened", slow_opened);
  json_int ("closed_by_server", slow_closed);
  json_int ("open_at_end", slow_open_ages.n);
  json_summary ("held_s", &slow_held);
  json_summary ("open_at_end_age_s", &slow_open_ages);
  json_hist (&slow_hist, 1);
  json_close ('}');

  json_open ("stallers", '{');
  json_int ("rcvbuf", STALLER_RCVBUF);
  json_bool ("sock_diag", diag_fd >= 0 && !diag_unknown);
  json_open ("each", '[');
  for (i = 0; i < n_stallers; i++) {
    Staller *s = &stallers[i];

    snprintf (addr, sizeof addr, "127.0.1.%d", i + 1);
    json_open (NULL, '{');
    json_string ("address", addr);
    json_string ("answer", s->answer);
    json_string ("how", s->how);
    json_bool ("dropped", s->dropped);
    json_bool ("open_at_end", s->open_at_end);
    json_num ("after_s", s->after);
    json_close ('}');
  }
  json_close (']');
  json_close ('}');

  json_open ("garbage", '{');
  json_address ("address", ADDR_GARBAGE);
  json_open ("each", '[');
  for (i = 0; i < n_garbage; i++) {
    Garbage *g = &garbage[i];

    json_open (NULL, '{');
    json_string ("answer", g->answer);
    json_string ("how", g->how);
    json_int ("bytes_received", g->bytes_in);
    json_int ("bytes_sent", g->bytes_out);
    json_bool ("closed", g->closed);
    json_bool ("open_at_end", g->open_at_end);
    json_num ("after_s", g->after);
    json_close ('}');
  }
  json_close (']');
  json_close ('}');

  json_open ("malformed", '{');
  json_int ("planned_each", n_malformed);
  json_int ("at_once", mal_at_once);
  json_num ("answer_timeout_s", ANSWER_TIMEOUT_S);
  json_open ("kinds", '{');
  for (i = 0; i < N_MALFORMED; i++) {
    json_open (malformed[i].id, '{');
    json_string ("what", malformed[i].what);
    json_address ("address", ADDR_MALFORMED + i);
    json_int ("sent", mal_sent[i]);
    json_hist (&mal_hist[i], 0);
    json_close ('}');
  }
  json_close ('}');
  json_close ('}');
}

static void
json_server (void)
{
  static const char *at[N_AT] = { "start", "attack_start", "attack_end",
    "settled"
  };
  double cpu = server_cpu_s ();
  int i;

  json_open ("server", '{');
  json_int ("pid", opt_server_pid);
  json_open ("fds", '{');
  for (i = 0; i < N_AT; i++)
    json_int (at[i], fig[i].fds);
  json_int ("attack_peak", peak_fds);
  json_close ('}');
  json_open ("vmrss_kb", '{');
  for (i = 0; i < N_AT; i++)
    json_int (at[i], fig[i].rss_kb);
  json_int ("attack_peak", peak_rss);
  json_close ('}');
  json_num ("attack_cpu_s", cpu);
  json_num ("attack_cpu_percent", cpu / attack_len () * 100);
  json_close ('}');
}

static void
write_json (FILE * f)
{
  jf = f;
  json_open (NULL, '{');
  json_string ("url", opt_url);
  json_string ("stream_path", opt_stream_path);
  json_string ("snapshot_path", opt_snapshot_path);
  json_num ("baseline_s", opt_baseline);
  json_num ("attack_s", attack_len ());
  json_num ("settle_s", settle_len);
  json_num ("scale", opt_scale);
  json_int ("seed", opt_seed);
  json_num ("soak_cpu_percent", own_cpu_attack / attack_len () * 100);
  json_viewers ();
  json_hostile ();
  if (opt_server_pid > 0)
    json_server ();
  json_close ('}');
  fputc ('\n', jf);
}

/* ---- set-up ------------------------------------------------------------- */

static char *
xasprintf (size_t *len, const char *fmt, ...)
{
  va_list ap;
  char *s;
  int n;

  va_start (ap, fmt);
  n = vasprintf (&s, fmt, ap);
  va_end (ap);
  if (n < 0)
    die ("out of memory");
  *len = n;
  return s;
}

/* "prefix" + @pad bytes of @fill + "suffix" */
static char *
padded (size_t *len, const char *prefix, size_t pad, int fill,
    const char *suffix)
{
  size_t a = strlen (prefix), b = strlen (suffix);
  char *s = malloc (a + pad + b);

  if (!s)
    die ("out of memory");
  memcpy (s, prefix, a);
  memset (s + a, fill, pad);
  memcpy (s + a + pad, suffix, b);
  *len = a + pad + b;
  return s;
}

static void
build_requests (void)
{
  const char *p = opt_stream_path, *h = host_header;
  Malformed *m = malformed;
  char *head, *s;
  size_t len;
  int i;

  stream_req = xasprintf (&stream_req_len, "GET %s HTTP/1.1\r\nHost: %s\r\n"
      "User-Agent: soak\r\n\r\n", p, h);
  snapshot_req = xasprintf (&snapshot_req_len, "GET %s HTTP/1.1\r\n"
      "Host: %s\r\nUser-Agent: soak\r\n\r\n", opt_snapshot_path, h);
  half_line_len = (strlen ("GET  HTTP/1.1\r\n") + strlen (p)) / 2;
  for (i = 0; i < GARBAGE_CHUNK; i++)
    garbage_buf[i] = rnd ();

  head = xasprintf (&len, " HTTP/1.1\r\nHost: %s\r\n\r\n", h);
  m[MAL_LONG_LINE].data = padded (&m[MAL_LONG_LINE].len, "GET /", 17000, 'a',
      head);
  free (head);

  head = xasprintf (&len, "GET %s HTTP/1.1\r\nHost: %s\r\n", p, h);
  m[MAL_BIG_HEAD].data = malloc (len + 700 * 112 + 2);
  if (!m[MAL_BIG_HEAD].data)
    die ("out of memory");
  s = m[MAL_BIG_HEAD].data;
  memcpy (s, head, len);
  for (i = 0; i < 700; i++)
    len += sprintf (s + len, "X-Filler-%03d: %0*d\r\n", i, 96, i);
  memcpy (s + len, "\r\n", 2);
  m[MAL_BIG_HEAD].len = len + 2;
  free (head);

  m[MAL_DUP_HOST].data = xasprintf (&m[MAL_DUP_HOST].len, "GET %s HTTP/1.1\r\n"
      "Host: %s\r\nHost: other.example\r\n\r\n", p, h);
  m[MAL_DUP_LENGTH].data = xasprintf (&m[MAL_DUP_LENGTH].len,
      "GET %s HTTP/1.1\r\nHost: %s\r\nContent-Length: 4\r\n"
      "Content-Length: 6\r\n\r\nabcdef", p, h);
  m[MAL_LENGTH_CHUNKED].data = xasprintf (&m[MAL_LENGTH_CHUNKED].len,
      "GET %s HTTP/1.1\r\nHost: %s\r\nContent-Length: 5\r\n"
      "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", p, h);

  head = xasprintf (&len, " HTTP/1.1\r\nHost: %s\r\n"
      "Transfer-Encoding: gzip\r\n\r\n", h);
  m[MAL_TE_GZIP].data = padded (&m[MAL_TE_GZIP].len, "GET /", 30000, 'b', head);
  free (head);

  m[MAL_BAD_LINE].data = xasprintf (&m[MAL_BAD_LINE].len, "GET\r\n\r\n");
  m[MAL_HTTP09].data = xasprintf (&m[MAL_HTTP09].len, "GET /\r\n");
  m[MAL_TLS].data = (char *) tls_hello;
  m[MAL_TLS].len = sizeof tls_hello;

  head = xasprintf (&len, "POST %s HTTP/1.1\r\nHost: %s\r\n"
      "Content-Type: application/octet-stream\r\n"
      "Content-Length: 100000\r\n\r\n", p, h);
  m[MAL_POST_BODY].data = padded (&m[MAL_POST_BODY].len, head, 100000, 'd', "");
  free (head);

  m[MAL_EXPECT].data = xasprintf (&m[MAL_EXPECT].len, "GET %s HTTP/1.1\r\n"
      "Host: %s\r\nExpect: 100-continue\r\nContent-Length: 10\r\n\r\n", p, h);
  m[MAL_LENGTH_NO_BODY].data = xasprintf (&m[MAL_LENGTH_NO_BODY].len,
      "GET %s HTTP/1.1\r\nHost: %s\r\nContent-Length: 5\r\n\r\n", p, h);
}

static void
parse_url (const char *url)
{
  const char *rest;
  char hostbuf[64];
  long port;

  if (strncmp (url, "http://", 7) != 0)
    die ("the URL must start with http://: %s", url);
  rest = loopback_server (url, url + 7, &server_addr, hostbuf,
      sizeof hostbuf, &port);
  if (*rest && strcmp (rest, "/") != 0)
    die ("the URL names the server only (see --stream-path and "
        "--snapshot-path): %s", url);
  snprintf (host_header, sizeof host_header, "%s:%ld", hostbuf, port);
}

static void
usage (void)
{
  fprintf (stderr,
      "usage: soak --url http://127.0.0.1:PORT --seconds S [options]\n"
      "  --stream-path P     the stream (/stream)\n"
      "  --snapshot-path P   the snapshot (/snapshot)\n"
      "  --server-pid PID    report that process's fds, VmRSS and CPU\n"
      "  --viewers N         fast viewers (5)\n"
      "  --json FILE         also write the figures as JSON\n"
      "  --scale F           multiply the hostile counts below (1)\n"
      "  --cycles N          connect/disconnect cycles (10000)\n"
      "  --slowloris N       slowloris sockets kept open (200)\n"
      "  --stallers N        stream readers that never read (64, max %d)\n"
      "  --garbage N         stream clients sending garbage (5)\n"
      "  --malformed N       malformed requests of each of %d kinds (5000)\n"
      "  --baseline S        viewers alone before the attack (3)\n"
      "  --settle S          wait after the attack before the last server "
      "figures (10)\n"
      "  --seed N            the random mix (1)\n", STALLERS_MAX, N_MALFORMED);
  exit (2);
}

static int
scaled (int n)
{
  double v = n * opt_scale;

  if (n == 0)
    return 0;
  return v < 1 ? 1 : (int) (v + 0.5);
}

static void
parse_args (int argc, char **argv)
{
  const Option options[] = {
    {"--url", OPTION_STRING, &opt_url},
    {"--seconds", OPTION_DOUBLE, &opt_seconds},
    {"--stream-path", OPTION_STRING, &opt_stream_path},
    {"--snapshot-path", OPTION_STRING, &opt_snapshot_path},
    {"--server-pid", OPTION_LONG, &opt_server_pid},
    {"--viewers", OPTION_INT, &opt_viewers},
    {"--json", OPTION_STRING, &opt_json},
    {"--scale", OPTION_DOUBLE, &opt_scale},
    {"--cycles", OPTION_INT, &opt_cycles},
    {"--slowloris", OPTION_INT, &opt_slowloris},
    {"--stallers", OPTION_INT, &opt_stallers},
    {"--garbage", OPTION_INT, &opt_garbage},
    {"--malformed", OPTION_INT, &opt_malformed},
    {"--baseline", OPTION_DOUBLE, &opt_baseline},
    {"--settle", OPTION_DOUBLE, &opt_settle},
    {"--seed", OPTION_ULLONG, &opt_seed},
    {NULL, 0, NULL}
  };

  if (!options_parse (options, argc, argv))
    usage ();
  if (!opt_url || opt_seconds <= 0 || opt_viewers < 1 || opt_scale <= 0
      || opt_cycles < 0 || opt_slowloris < 0 || opt_stallers < 0
      || opt_garbage < 0 || opt_malformed < 0
      || opt_baseline <= VIEWER_WARMUP_S || opt_settle < 0
      || opt_stream_path[0] != '/' || opt_snapshot_path[0] != '/')
    usage ();
}

static void
setup (void)
{
  rlim_t nofile;
  int fixed;

  n_cycles = scaled (opt_cycles);
  n_slowloris = scaled (opt_slowloris);
  n_stallers = scaled (opt_stallers);
  n_garbage = scaled (opt_garbage);
  n_malformed = scaled (opt_malformed);
  if (n_stallers > STALLERS_MAX)
    die ("at most %d stallers (one address each)", STALLERS_MAX);
  fixed = opt_viewers + n_slowloris + n_stallers + n_garbage;
  mal_at_once = MAX_SOCKETS - fixed - CYCLES_AT_ONCE;
  if (mal_at_once < 50)
    die ("%d long-lived clients leave too little of the %d-socket bound",
        fixed, MAX_SOCKETS);

  nofile = raise_nofile ();
  if (nofile != RLIM_INFINITY && nofile < MAX_SOCKETS + 32)
    die ("soak needs %d file descriptors, the limit is %ju", MAX_SOCKETS + 32,
        (uintmax_t) nofile);

  if (opt_server_pid > 0 && procstat_ticks (opt_server_pid) < 0)
    die ("no process %ld", opt_server_pid);

  viewers = calloc (opt_viewers, sizeof *viewers);
  stallers = calloc (n_stallers + 1, sizeof *stallers);
  garbage = calloc (n_garbage + 1, sizeof *garbage);
  slots = calloc (n_slowloris + 1, sizeof *slots);
  if (!viewers || !stallers || !garbage || !slots)
    die ("out of memory");
  for (fixed = MAX_SOCKETS - 1; fixed >= 0; fixed--) {
    pool[fixed].fd = -1;
    pool[fixed].next = free_list;
    free_list = &pool[fixed];
  }

  epfd = epoll_create1 (EPOLL_CLOEXEC);
  if (epfd < 0)
    die ("epoll_create1: %s", strerror (errno));
  diag_fd = socket (AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  if (diag_fd >= 0) {
    struct timeval tv = { 1, 0 };

    /* the kernel answers at once; a bound all the same */
    setsockopt (diag_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
}

/* Every source address must be bindable, or soak cannot run as described. */
static void
check_sources (void)
{
  in_addr_t addrs[3] = { loopback (0, ADDR_VIEWERS),
    loopback (0, ADDR_MALFORMED + N_MALFORMED - 1), loopback (1, 1)
  };
  struct sockaddr_in sa;
  int i, fd;

  for (i = 0; i < 3; i++) {
    fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    memset (&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = addrs[i];
    if (fd < 0 || bind (fd, (struct sockaddr *) &sa, sizeof sa) < 0)
      die ("cannot bind a source address in 127.0.0.0/8: %s", strerror (errno));
    close (fd);
  }
}

static void
on_signal (int sig)
{
  interrupted = 1;
}

int
main (int argc, char **argv)
{
  struct epoll_event evs[256];
  FILE *json = NULL;
  double now, settle_start;
  int i;

  parse_args (argc, argv);
  parse_url (opt_url);
  rng_state = opt_seed * 0x9e3779b97f4a7c15ULL + 1;
  setup ();
  check_sources ();
  build_requests ();
  /* opened first, so that a bad path fails before the run, not after */
  if (opt_json && !(json = fopen (opt_json, "w")))
    die ("%s: %s", opt_json, strerror (errno));
  signal (SIGPIPE, SIG_IGN);
  /* ^C ends the attack early; the report is still printed */
  signal (SIGINT, on_signal);
  signal (SIGTERM, on_signal);

  t0 = mono_now ();
  baseline_start = t0 + VIEWER_WARMUP_S;
  attack_start = t0 + opt_baseline;
  attack_end = attack_start + opt_seconds;
  /* the paced kinds start early enough for their last answer to count */
  span = opt_seconds > 2 * ANSWER_TIMEOUT_S ? opt_seconds - ANSWER_TIMEOUT_S
      : opt_seconds / 2;
  server_sample (&fig[AT_START]);
  for (i = 0; i < opt_viewers; i++)
    conn_open (KIND_VIEWER, i, loopback (0, ADDR_VIEWERS), t0);

  for (;;) {
    int n;

    now = mono_now ();
    if (interrupted && !attacking)
      die ("interrupted before the attack");
    if (now >= attack_end || interrupted)
      break;
    if (!attacking && now >= attack_start)
      attack_begin (now);
    tick (now);
    n = epoll_wait (epfd, evs, 256, garbage_pending ()? 0 :
        (int) (SCAN_PERIOD_S * 1000));
    if (n < 0 && errno != EINTR)
      die ("epoll_wait: %s", strerror (errno));
    for (i = 0; i < n; i++)
      conn_event (evs[i].data.ptr, evs[i].events);
  }
  if (now < attack_end)
    attack_end = now;
  server_sample (&fig[AT_ATTACK_END]);
  own_cpu_attack = procstat_own_cpu () - own_cpu_start;
  close_everything ();

  settle_start = mono_now ();
  while (!interrupted && mono_now () < settle_start + opt_settle)
    usleep (100 * 1000);
  settle_len = mono_now () - settle_start;
  server_sample (&fig[AT_SETTLED]);

  print_report ();
  fflush (stdout);
  if (json) {
    write_json (json);
    if (fclose (json) != 0)
      die ("%s: %s", opt_json, strerror (errno));
  }
  return 0;
}
