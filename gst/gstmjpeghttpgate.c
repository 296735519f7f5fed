/* mjpeghttp
 * Copyright (C) 2026 mjpeghttp developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

/* The gate: the one place every connection passes before any HTTP handler,
 * or libsoup, sees it. It listens, accepts, and holds each connection until
 * its request head is complete (within header_timeout_ms), reading each
 * byte once as it arrives; libsoup then gets a stream that gives those
 * bytes again first (gstmjpeghttpreplay.c). It refuses,
 * with an answer and a reason counted in the stats:
 *  - heads that are malformed, ambiguous, too large, not GET or HEAD, or
 *    announce a body (gstmjpeghttprequest.c says which and why);
 *  - heads that do not arrive in time (408);
 *  - stream requests past max-clients or max-clients-per-address (503);
 *  - requests past the address's rate (429): every request takes a token,
 *    opening a stream included, so that a peer cannot make the server open
 *    and close streams as fast as it likes; an open stream takes none;
 *  - requests for a host not in allowed-hosts (421), without the right
 *    password (401 with the challenge), or from an address locked out for
 *    its wrong passwords (429).
 * What passes is a complete, valid request within every limit, handed on
 * with a ticket that says what it asks for; handlers check none of this
 * again. libsoup 3.2 therefore never meets a head it fails on (one of its
 * failure paths leaks the request's path).
 *
 * Connections whose head is not complete ("waiting") are bounded by
 * max_pending: past it, the oldest waiting connection of the address that
 * has the most is dropped (the oldest of all when none has more than one),
 * so a peer that holds many half-open connections loses its own first and
 * never locks others out. A head is parsed again only when a new line of it
 * has arrived, so a head sent a byte at a time costs a parse a line. A refused connection is
 * half-closed after its answer and drained ("lingering") for LINGER_MS, so
 * that the answer is read rather than reset by unread request bytes.
 *
 * Work per main-loop turn is bounded (ACCEPT_BATCH accepts, EVENT_BATCH
 * socket events) and runs at the default priority, below the fan-out of
 * frames: a flood of requests delays frames by at most one such turn.
 * Running out of descriptors or memory (EMFILE, ENFILE, ENOBUFS, ENOMEM)
 * pauses accepting with a growing back-off instead of spinning, and warns
 * once; other accept errors concern one connection and are passed over.
 *
 * With TLS, the handshake comes first, and only once the peer's whole
 * ClientHello is in; plain http to the port gets a 400 in clear. GIO runs
 * a handshake on a worker thread that blocks on the peer, so at most
 * HANDSHAKES_MAX run at once and HANDSHAKES_PER_ADDRESS from one address:
 * a peer that stalls its handshakes keeps only its own share busy, the
 * others wait their turn oldest first, and the head's deadline (which
 * covers the handshake) ends every one. The head is then read through TLS.
 * Refusals before the handshake is done cannot be read by the peer, so
 * those connections are just closed.
 *
 * A password that only a hash can check (auth-file) is checked on a worker
 * thread, one at a time, so that crypt() never holds up the frames.
 *
 * Threads: everything runs on the server thread, no lock, except the
 * handshakes and password checks, which run on GLib's worker threads and
 * touch only their own connection and (read-only) the access rules; their
 * callbacks come back to the server thread. A connection with one in
 * flight ("busy") is freed by that callback, never before: the worker may
 * still use its socket.
 */

/* accept4() */
#define _GNU_SOURCE

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstmjpeghttpgate.h"
#include "gstmjpeghttpepoll.h"
#include "gstmjpeghttprecords.h"
#include "gstmjpeghttpreplay.h"

#include <gst/gst.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

GST_DEBUG_CATEGORY_EXTERN (gst_mjpeg_http_sink_debug);
#define GST_CAT_DEFAULT gst_mjpeg_http_sink_debug

#define ACCEPT_BATCH 32
/* Addresses listened on at most: what one name (localhost: 127.0.0.1 and
 * ::1) resolves to. */
#define LISTEN_MAX 8
/* Binding the other addresses of a name to the port the first one got for
 * port 0 may find it taken there: tries with another port. */
#define BIND_ATTEMPTS 5
#define EVENT_BATCH 64
#define LINGER_MS 1000
#define LINGER_MAX 64
#define LINGER_READ_MAX (64 * 1024)
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 1000
#define SWEEP_INTERVAL_US G_USEC_PER_SEC
/* Seconds a refused stream client is asked to wait. */
#define STREAM_RETRY_AFTER_S 5
/* TLS handshakes in flight at once, and from one address. GIO runs each on
 * a worker thread that blocks until the peer answers or the head's
 * deadline; a peer that opens handshakes and stalls holds at most
 * HANDSHAKES_PER_ADDRESS of them, and GLib's pool of ten workers is never
 * all ours. */
#define HANDSHAKES_MAX 6
#define HANDSHAKES_PER_ADDRESS 2
/* A handshake that has run this long while a ClientHello from an address
 * with fewer handshakes waits gives up its slot: over any real network a
 * handshake takes a few round trips, so one that has not finished by then
 * is almost certainly stalled, and stallers from several addresses must not
 * keep every slot. */
#define HANDSHAKE_GRACE_US (2 * G_USEC_PER_SEC)
/* Password checks in flight (each a crypt() on a worker thread, which
 * keeps a core busy for its duration: a flood of wrong passwords from many
 * addresses takes at most one core from the frames); past it a request
 * that needs one is told to come back. A viewer let in once is let in
 * again without a check (the auth module keeps its grant). */
#define CHECKS_MAX 1
#define CHECKS_RETRY_AFTER_S 1
/* A TLS record header: type, version, length. */
#define TLS_RECORD_HEADER 5
#define TLS_HANDSHAKE_RECORD 0x16
#define TLS_RECORD_MAX (16384 + 2048)

typedef enum
{
  TLS_QUEUE_NONE,
  TLS_QUEUE_HELLOS,
  TLS_QUEUE_HANDSHAKES,
} TlsQueue;

typedef struct
{
  GList link;                   /* in waiting or lingering, oldest first */
  GSocket *socket;
  gint fd;
  GSocketAddress *remote;
  GstMjpegHttpPeerKey key;
  /* waiting: when accepted (the deadline follows the limit in force);
   * lingering: when to close */
  gint64 since_us;
  /* what the peer sent so far, up to GST_MJPEG_HTTP_REQUEST_HEAD_MAX */
  GByteArray *head;
  gboolean has_line;
  gboolean lingering;
  gboolean dead;
  gsize lingered;

  GstMjpegHttpGate *gate;
  gboolean in_epoll;
  /* with TLS: the socket's connection, and the TLS connection over it once
   * its handshake starts; the head is read through it once tls_ready */
  GSocketConnection *conn;
  GIOStream *guard;
  GIOStream *tls;
  gboolean tls_ready;
  /* plain http sent to the https port */
  gboolean plain;
  /* in hellos (waiting for a handshake slot) or in handshakes */
  GList tls_link;
  TlsQueue tls_queue;
  gint64 handshake_us;
  /* a handshake or a password check runs on a worker thread: a Pending
   * closed meanwhile is freed by its callback, not before, as the worker
   * still uses the socket */
  gboolean busy;
  GCancellable *cancellable;
} Pending;

struct _GstMjpegHttpGate
{
  GMainContext *context;
  GstMjpegHttpPeers *peers;
  GstMjpegHttpStats *stats;
  GstMjpegHttpGatePassFunc pass;
  GstMjpegHttpGateWarnFunc warn;
  gpointer user_data;
  GstMjpegHttpPaths paths;
  GstMjpegHttpLimits limits;

  /* one per address the configured name resolves to, all on one port */
  GSocket *listen_sockets[LISTEN_MAX];
  GSource *accept_sources[LISTEN_MAX];
  guint n_listen;
  guint port;
  GSource *backoff_source;
  guint backoff_ms;
  gboolean warned;

  gint epoll_fd;
  GSource *poll_source;
  GSource *deadline_source;
  GQueue waiting;
  GQueue lingering;
  /* what this gate adds to stats->pending_connections */
  gint reported_pending;
  /* closed during a dispatch, freed at its end: a later event of the same
   * epoll batch may still name them */
  GPtrArray *dead;
  gint64 last_sweep_us;

  const GstMjpegHttpAccess *access;
  /* connections whose ClientHello is in, oldest first, and those whose
   * handshake runs */
  GQueue hellos;
  GQueue handshakes;
  guint checks;
  /* handshakes and checks in flight, waited for when the gate closes */
  guint busy;

  GstMjpegHttpRequest request;
  gchar buf[GST_MJPEG_HTTP_REQUEST_HEAD_MAX];
};

static void gst_mjpeg_http_gate_start_accepting (GstMjpegHttpGate * gate);
static void linger (GstMjpegHttpGate * gate, Pending * p);
static void judge (GstMjpegHttpGate * gate, Pending * p, guint32 events);
static void start_handshakes (GstMjpegHttpGate * gate);
static Pending *victim (GstMjpegHttpGate * gate);

/* ---- connections -------------------------------------------------------- */

static gint64
waiting_deadline (GstMjpegHttpGate * gate, Pending * p)
{
  return p->since_us + (gint64) gate->limits.header_timeout_ms * 1000;
}

/* Both queues are in deadline order: waiting ones were accepted in order
 * and share one timeout, lingering ones share LINGER_MS. */
static void
update_deadline (GstMjpegHttpGate * gate)
{
  Pending *w = g_queue_peek_head (&gate->waiting);
  Pending *l = g_queue_peek_head (&gate->lingering);
  Pending *v;
  gint64 t = -1;
  gint n = g_queue_get_length (&gate->waiting);

  if (w)
    t = waiting_deadline (gate, w);
  if (l && (t < 0 || l->since_us < t))
    t = l->since_us;
  /* when a stalled handshake is to give way to a waiting ClientHello */
  v = victim (gate);
  if (v && (t < 0 || v->handshake_us + HANDSHAKE_GRACE_US < t))
    t = v->handshake_us + HANDSHAKE_GRACE_US;
  g_source_set_ready_time (gate->deadline_source, t);
  g_atomic_int_add (&gate->stats->pending_connections,
      n - gate->reported_pending);
  gate->reported_pending = n;
}

static void
unwatch (GstMjpegHttpGate * gate, Pending * p)
{
  if (p->in_epoll)
    epoll_ctl (gate->epoll_fd, EPOLL_CTL_DEL, p->fd, NULL);
  p->in_epoll = FALSE;
}

static gboolean
watch (GstMjpegHttpGate * gate, Pending * p)
{
  struct epoll_event ev;

  ev.events = EPOLLIN | EPOLLRDHUP | EPOLLET;
  ev.data.ptr = p;
  p->in_epoll = epoll_ctl (gate->epoll_fd, EPOLL_CTL_ADD, p->fd, &ev) == 0;
  return p->in_epoll;
}

/* What a Pending holds once nothing runs on it any more. */
static void
release (Pending * p)
{
  gboolean close_socket = TRUE;

  if (p->tls) {
    /* A TLS close would try to send its alert and could block on a peer
     * that reads nothing: the socket is shut first, which also wakes any
     * worker of GIO's still waiting on it. If one still runs (the close
     * fails), the socket is not closed under it: it closes with its last
     * reference, when the worker lets go. */
    shutdown (p->fd, SHUT_RDWR);
    close_socket = g_io_stream_close (p->tls, NULL, NULL);
  }
  g_clear_object (&p->tls);
  g_clear_object (&p->guard);
  g_clear_object (&p->conn);
  if (p->socket && close_socket)
    g_socket_close (p->socket, NULL);
  g_clear_object (&p->socket);
  g_clear_object (&p->remote);
  g_clear_object (&p->cancellable);
  if (p->head)
    /* it may hold a password */
    explicit_bzero (p->head->data, p->head->len);
  g_clear_pointer (&p->head, g_byte_array_unref);
}

static void
close_pending (GstMjpegHttpGate * gate, Pending * p)
{
  if (p->lingering) {
    g_queue_unlink (&gate->lingering, &p->link);
  } else {
    g_queue_unlink (&gate->waiting, &p->link);
    gst_mjpeg_http_peers_remove_pending (gate->peers, &p->key);
  }
  if (p->tls_queue == TLS_QUEUE_HELLOS)
    g_queue_unlink (&gate->hellos, &p->tls_link);
  p->tls_queue = p->tls_queue == TLS_QUEUE_HELLOS ? TLS_QUEUE_NONE :
      p->tls_queue;
  unwatch (gate, p);
  p->dead = TRUE;
  if (p->busy) {
    /* the worker lets go of the socket before its callback frees it */
    g_cancellable_cancel (p->cancellable);
    return;
  }
  release (p);
  g_ptr_array_add (gate->dead, p);
}

static void
free_dead (GstMjpegHttpGate * gate)
{
  g_ptr_array_set_size (gate->dead, 0);
}

static const gchar *
reason_phrase (guint status)
{
  switch (status) {
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 414:
      return "URI Too Long";
    case 417:
      return "Expectation Failed";
    case 421:
      return "Misdirected Request";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    case 505:
      return "HTTP Version Not Supported";
  }
  return "Error";
}

/* Answers @status and starts lingering: the answer is sent, the sending
 * side shut, and whatever else the peer sends is read and dropped for
 * LINGER_MS, so that unread request bytes do not make the close a reset
 * that destroys the answer before the peer reads it. */
static void
refuse (GstMjpegHttpGate * gate, Pending * p, guint status,
    GstMjpegHttpRefusal refusal, const gchar * message, guint retry_after_s,
    const gchar * extra_header, gboolean head_request)
{
  gchar answer[768];
  gchar retry[48] = "";
  gint len;

  gst_mjpeg_http_stats_count_refusal (gate->stats, refusal);
  GST_DEBUG ("refusing a connection: %u (%s): %s", status,
      gst_mjpeg_http_refusal_nick (refusal), message);

  /* in the middle of a handshake, or before it, no answer can be read */
  if (p->busy || (gate->access->certificate && !p->tls_ready && !p->plain)) {
    close_pending (gate, p);
    update_deadline (gate);
    return;
  }

  g_clear_pointer (&p->head, g_byte_array_unref);
  if (retry_after_s > 0)
    g_snprintf (retry, sizeof (retry), "Retry-After: %u\r\n", retry_after_s);
  len = g_snprintf (answer, sizeof (answer),
      "HTTP/1.1 %u %s\r\n"
      "Server: mjpeghttpsink\r\n"
      "Content-Type: text/plain; charset=utf-8\r\n"
      "Content-Length: %u\r\n"
      "Connection: close\r\n"
      "Cache-Control: no-store\r\n"
      "X-Content-Type-Options: nosniff\r\n"
      "Referrer-Policy: no-referrer\r\n"
      "%s%s%s\r\n%s%s", status, reason_phrase (status),
      (guint) strlen (message) + 1, retry,
      status == 405 ? "Allow: GET, HEAD\r\n" : "",
      extra_header ? extra_header : "",
      head_request ? "" : message, head_request ? "" : "\n");
  /* a few hundred bytes into an empty socket buffer: one send, or none
   * if the peer is gone */
  if (len > 0 && (gsize) len < sizeof (answer)) {
    if (p->tls_ready)
      g_pollable_output_stream_write_nonblocking (G_POLLABLE_OUTPUT_STREAM
          (g_io_stream_get_output_stream (p->tls)), answer, len, NULL, NULL);
    else
      send (p->fd, answer, len, MSG_NOSIGNAL | MSG_DONTWAIT);
  }
  shutdown (p->fd, SHUT_WR);

  g_queue_unlink (&gate->waiting, &p->link);
  gst_mjpeg_http_peers_remove_pending (gate->peers, &p->key);
  p->lingering = TRUE;
  p->since_us = g_get_monotonic_time () + LINGER_MS * 1000;
  g_queue_push_tail_link (&gate->lingering, &p->link);
  if (g_queue_get_length (&gate->lingering) > LINGER_MAX)
    close_pending (gate, g_queue_peek_head (&gate->lingering));
  else
    /* what is already there beyond the head: epoll tells only of more */
    linger (gate, p);
  update_deadline (gate);
}

static void
linger (GstMjpegHttpGate * gate, Pending * p)
{
  gssize r;

  while ((r = recv (p->fd, gate->buf, sizeof (gate->buf), MSG_DONTWAIT)) > 0) {
    p->lingered += r;
    if (p->lingered > LINGER_READ_MAX)
      break;
  }
  if (r == 0 || p->lingered > LINGER_READ_MAX || (r < 0 && errno != EAGAIN
          && errno != EINTR))
    close_pending (gate, p);
}

/* Makes room for a new connection: the oldest waiting connection of the
 * address that holds the most goes, or the oldest of all when no address
 * holds more than one. */
static void
evict (GstMjpegHttpGate * gate)
{
  GstMjpegHttpPeerKey key;
  GList *l = gate->waiting.head;

  if (gst_mjpeg_http_peers_get_busiest (gate->peers, &key) > 1) {
    while (memcmp (&((Pending *) l->data)->key, &key, sizeof (key)))
      l = l->next;
  }
  GST_DEBUG ("%u connections wait for their request: dropping one",
      g_queue_get_length (&gate->waiting));
  refuse (gate, l->data, 408, GST_MJPEG_HTTP_REFUSAL_EVICTED,
      "Too many connections were waiting to send their request; yours was "
      "the oldest of the address that had the most.", 0, NULL, FALSE);
}

static void
pass (GstMjpegHttpGate * gate, Pending * p, GstMjpegHttpRoute route,
    gboolean holds_stream)
{
  GstMjpegHttpTicket *ticket = g_new (GstMjpegHttpTicket, 1);
  GSocketConnection *conn;
  GIOStream *stream;
  GSocketAddress *remote = g_steal_pointer (&p->remote);
  GSocket *socket = g_steal_pointer (&p->socket);
  GBytes *head = g_byte_array_free_to_bytes (g_steal_pointer (&p->head));
  GIOStream *tls = g_steal_pointer (&p->tls);

  ticket->request = gate->request;
  /* the handlers need no password: none is kept */
  explicit_bzero (ticket->request.authorization,
      sizeof (ticket->request.authorization));
  explicit_bzero (gate->request.authorization,
      sizeof (gate->request.authorization));
  ticket->route = route;
  ticket->peer = p->key;
  ticket->holds_stream = holds_stream;
  ticket->peers = gate->peers;
  ticket->fd = p->fd;
  ticket->answered = FALSE;

  g_queue_unlink (&gate->waiting, &p->link);
  gst_mjpeg_http_peers_remove_pending (gate->peers, &p->key);
  unwatch (gate, p);
  conn = p->conn ? g_steal_pointer (&p->conn) :
      g_socket_connection_factory_create_connection (socket);
  p->dead = TRUE;
  release (p);
  g_ptr_array_add (gate->dead, p);
  update_deadline (gate);

  stream = gst_mjpeg_http_replay_stream_new (tls ? tls : G_IO_STREAM (conn),
      head);
  gate->pass (stream, conn, remote, ticket, gate->user_data);
  g_clear_object (&tls);
  g_object_unref (conn);
  g_object_unref (socket);
  g_bytes_unref (head);
  g_object_unref (remote);
}

static GstMjpegHttpRefusal
refusal_of (GstMjpegHttpParseResult res)
{
  switch (res) {
    case GST_MJPEG_HTTP_PARSE_BAD_REQUEST:
      return GST_MJPEG_HTTP_REFUSAL_BAD_REQUEST;
    case GST_MJPEG_HTTP_PARSE_METHOD_NOT_ALLOWED:
      return GST_MJPEG_HTTP_REFUSAL_METHOD_NOT_ALLOWED;
    case GST_MJPEG_HTTP_PARSE_URI_TOO_LONG:
      return GST_MJPEG_HTTP_REFUSAL_URI_TOO_LONG;
    case GST_MJPEG_HTTP_PARSE_HEADERS_TOO_LARGE:
      return GST_MJPEG_HTTP_REFUSAL_HEADERS_TOO_LARGE;
    default:
      return GST_MJPEG_HTTP_REFUSAL_UNSUPPORTED;
  }
}

/* ---- TLS ---------------------------------------------------------------- */

static guint
handshakes_from (GstMjpegHttpGate * gate, const GstMjpegHttpPeerKey * key)
{
  GList *l;
  guint n = 0;

  for (l = gate->handshakes.head; l; l = l->next)
    n += !memcmp (&((Pending *) l->data)->key, key, sizeof (*key));
  return n;
}

static void
handshake_done (GObject * source, GAsyncResult * result, gpointer user_data)
{
  Pending *p = user_data;
  GstMjpegHttpGate *gate = p->gate;
  GError *err = NULL;
  gboolean ok;

  ok = g_tls_connection_handshake_finish (G_TLS_CONNECTION (source), result,
      &err);
  p->busy = FALSE;
  gate->busy--;
  g_queue_unlink (&gate->handshakes, &p->tls_link);
  p->tls_queue = TLS_QUEUE_NONE;
  g_clear_object (&p->cancellable);

  if (p->dead) {
    release (p);
    g_free (p);
  } else if (!ok) {
    gst_mjpeg_http_stats_count_refusal (gate->stats,
        GST_MJPEG_HTTP_REFUSAL_TLS_FAILED);
    GST_DEBUG ("TLS handshake failed: %s", err->message);
    close_pending (gate, p);
  } else {
    p->tls_ready = TRUE;
    gst_mjpeg_http_record_guard_seal (p->guard);
    /* from now on only non-blocking calls: no timeout needed, and a
     * timeout would make libsoup's waits fail */
    g_socket_set_timeout (p->socket, 0);
    if (watch (gate, p))
      /* the request may have come with the handshake's last flight */
      judge (gate, p, 0);
    else
      close_pending (gate, p);
  }
  g_clear_error (&err);
  start_handshakes (gate);
  update_deadline (gate);
  free_dead (gate);
}

static void
start_handshake (GstMjpegHttpGate * gate, Pending * p)
{
  GError *err = NULL;
  gint64 left_us = waiting_deadline (gate, p) - g_get_monotonic_time ();

  p->conn = g_socket_connection_factory_create_connection (p->socket);
  p->guard = gst_mjpeg_http_record_guard_new (G_IO_STREAM (p->conn));
  /* No database: by default each connection builds a trust list of the
   * system's certificate authorities (some 3.7 MB and milliseconds each),
   * for client certificates, which this server never asks for. */
  p->tls = g_initable_new (g_tls_backend_get_server_connection_type
      (g_tls_backend_get_default ()), NULL, &err, "base-io-stream", p->guard,
      "certificate", gate->access->certificate, "database", NULL, NULL);
  if (!p->tls) {
    GST_WARNING ("cannot make a TLS connection: %s", err->message);
    g_clear_error (&err);
    close_pending (gate, p);
    return;
  }
  /* the handshake thread blocks on the socket: bounded by the head's
   * deadline, and cut short by the cancellable when the gate drops it */
  g_socket_set_timeout (p->socket, MAX (1, (left_us + 999999) / 1000000));
  unwatch (gate, p);
  p->cancellable = g_cancellable_new ();
  p->busy = TRUE;
  gate->busy++;
  p->handshake_us = g_get_monotonic_time ();
  g_queue_push_tail_link (&gate->handshakes, &p->tls_link);
  p->tls_queue = TLS_QUEUE_HANDSHAKES;
  g_tls_connection_handshake_async (G_TLS_CONNECTION (p->tls),
      G_PRIORITY_DEFAULT, p->cancellable, handshake_done, p);
}

/* The waiting ClientHello to serve next: of the addresses with the fewest
 * handshakes running, the oldest. NULL if none may start. */
static Pending *
next_hello (GstMjpegHttpGate * gate, guint * running)
{
  Pending *best = NULL;
  guint best_n = HANDSHAKES_PER_ADDRESS;
  GList *l;

  for (l = gate->hellos.head; l; l = l->next) {
    guint n = handshakes_from (gate, &((Pending *) l->data)->key);

    if (n < best_n) {
      best = l->data;
      best_n = n;
    }
  }
  *running = best_n;
  return best;
}

/* The handshake that is to give way to the next waiting ClientHello once
 * its grace is over: the oldest whose address runs more handshakes than
 * the waiting one's. NULL when slots are free, nobody waits, nobody runs
 * more, or one is already cancelled (its slot frees when its worker
 * returns). */
static Pending *
victim (GstMjpegHttpGate * gate)
{
  guint running;
  GList *l;

  if (gate->handshakes.length < HANDSHAKES_MAX || !next_hello (gate, &running))
    return NULL;
  for (l = gate->handshakes.head; l; l = l->next) {
    if (((Pending *) l->data)->dead)
      return NULL;
  }
  for (l = gate->handshakes.head; l; l = l->next) {
    Pending *h = l->data;

    if (handshakes_from (gate, &h->key) > running)
      return h;
  }
  return NULL;
}

/* Gives free handshake slots to waiting ClientHellos, fewest running per
 * address first, and makes a slot for them from a stalled handshake when
 * none is free. */
static void
start_handshakes (GstMjpegHttpGate * gate)
{
  gint64 now = g_get_monotonic_time ();
  guint running;
  Pending *p, *v;

  while ((p = next_hello (gate, &running))) {
    if (gate->handshakes.length >= HANDSHAKES_MAX) {
      v = victim (gate);
      if (v && now - v->handshake_us >= HANDSHAKE_GRACE_US) {
        GST_DEBUG ("a handshake stalled for %" G_GINT64_FORMAT " ms: "
            "dropped for a waiting one", (now - v->handshake_us) / 1000);
        gst_mjpeg_http_stats_count_refusal (gate->stats,
            GST_MJPEG_HTTP_REFUSAL_EVICTED);
        close_pending (gate, v);
      }
      return;
    }
    g_queue_unlink (&gate->hellos, &p->tls_link);
    p->tls_queue = TLS_QUEUE_NONE;
    start_handshake (gate, p);
  }
}

/* Before TLS: whether the peer speaks it. A handshake only starts once its
 * whole first record is in, so that no worker waits for a ClientHello. */
static void
greet (GstMjpegHttpGate * gate, Pending * p)
{
  guint8 hdr[TLS_RECORD_HEADER];
  gssize n;
  gsize record;

  n = recv (p->fd, hdr, sizeof (hdr), MSG_PEEK | MSG_DONTWAIT);
  if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
    close_pending (gate, p);
    return;
  }
  if (n <= 0)
    return;
  if (hdr[0] != TLS_HANDSHAKE_RECORD) {
    p->plain = TRUE;
    refuse (gate, p, 400, GST_MJPEG_HTTP_REFUSAL_NOT_TLS,
        "This port serves https: open the address with https://.", 0, NULL,
        FALSE);
    return;
  }
  if (n < TLS_RECORD_HEADER)
    return;
  record = TLS_RECORD_HEADER + ((gsize) hdr[3] << 8 | hdr[4]);
  if (record > TLS_RECORD_MAX) {
    gst_mjpeg_http_stats_count_refusal (gate->stats,
        GST_MJPEG_HTTP_REFUSAL_TLS_FAILED);
    close_pending (gate, p);
    return;
  }
  n = recv (p->fd, gate->buf, MIN (record, sizeof (gate->buf)),
      MSG_PEEK | MSG_DONTWAIT);
  if (n < (gssize) MIN (record, sizeof (gate->buf)))
    return;
  unwatch (gate, p);
  g_queue_push_tail_link (&gate->hellos, &p->tls_link);
  p->tls_queue = TLS_QUEUE_HELLOS;
  start_handshakes (gate);
}

/* ---- passwords ------------------------------------------------------------ */

typedef struct
{
  GstMjpegHttpAuth *auth;
  /* holds a password: wiped when the check is done with it */
  gchar *authorization;
} PasswordCheck;

static void
password_check_free (gpointer data)
{
  PasswordCheck *check = data;

  explicit_bzero (check->authorization, strlen (check->authorization));
  g_free (check->authorization);
  g_free (check);
}

static void decide (GstMjpegHttpGate * gate, Pending * p,
    GstMjpegHttpAuthResult auth);

static void
check_password_thread (GTask * task, gpointer source, gpointer task_data,
    GCancellable * cancellable)
{
  PasswordCheck *check = task_data;

  g_task_return_int (task, gst_mjpeg_http_auth_verify (check->auth,
          check->authorization));
}

static void
check_password_done (GObject * source, GAsyncResult * result,
    gpointer user_data)
{
  Pending *p = user_data;
  GstMjpegHttpGate *gate = p->gate;
  GstMjpegHttpAuthResult auth;

  auth = g_task_propagate_int (G_TASK (result), NULL);
  p->busy = FALSE;
  gate->busy--;
  gate->checks--;
  g_clear_object (&p->cancellable);
  if (p->dead) {
    release (p);
    g_free (p);
  } else if (!watch (gate, p)) {
    close_pending (gate, p);
  } else {
    /* the request is parsed again: the gate's copy belongs to whichever
     * connection was judged last */
    gst_mjpeg_http_request_parse ((const gchar *) p->head->data, p->head->len,
        &gate->request);
    decide (gate, p, auth);
  }
  update_deadline (gate);
  free_dead (gate);
}

static void
check_password (GstMjpegHttpGate * gate, Pending * p)
{
  GTask *task;
  PasswordCheck *check;

  if (gate->checks >= CHECKS_MAX) {
    refuse (gate, p, 503, GST_MJPEG_HTTP_REFUSAL_CHECKS_BUSY,
        "Too many passwords are being checked; try again.",
        CHECKS_RETRY_AFTER_S, NULL,
        gate->request.method == GST_MJPEG_HTTP_METHOD_HEAD);
    return;
  }
  check = g_new (PasswordCheck, 1);
  check->auth = gate->access->auth;
  check->authorization = g_strdup (gate->request.authorization);
  /* its request is complete: nothing more to read until the verdict */
  unwatch (gate, p);
  p->cancellable = g_cancellable_new ();
  p->busy = TRUE;
  gate->busy++;
  gate->checks++;
  task = g_task_new (NULL, p->cancellable, check_password_done, p);
  g_task_set_task_data (task, check, password_check_free);
  g_task_run_in_thread (task, check_password_thread);
  g_object_unref (task);
}

/* ---- judging ------------------------------------------------------------ */

/* Reads what arrived, through TLS once it is up: the bytes read, 0 at end
 * of stream, -1 when nothing is there now, -2 on an error. */
static gssize
read_some (Pending * p, guint8 * buf, gsize len)
{
  gssize n;

  if (p->tls_ready) {
    GError *err = NULL;

    n = g_pollable_input_stream_read_nonblocking (G_POLLABLE_INPUT_STREAM
        (g_io_stream_get_input_stream (p->tls)), buf, len, NULL, &err);
    if (n >= 0)
      return n;
    n = g_error_matches (err, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK) ? -1 : -2;
    g_error_free (err);
    return n;
  }
  n = recv (p->fd, buf, len, MSG_DONTWAIT);
  if (n >= 0)
    return n;
  return errno == EAGAIN || errno == EINTR ? -1 : -2;
}

/* A complete, valid request: whether it may have what it asks for. Runs
 * again, with the password check's verdict, when that check took a worker
 * thread. */
static void
decide (GstMjpegHttpGate * gate, Pending * p, GstMjpegHttpAuthResult auth)
{
  GstMjpegHttpRequest *req = &gate->request;
  gboolean head_request = req->method == GST_MJPEG_HTTP_METHOD_HEAD;
  GstMjpegHttpRoute route;
  gint64 now = g_get_monotonic_time ();

  if (auth == GST_MJPEG_HTTP_AUTH_NEEDS_HASH) {
    check_password (gate, p);
    return;
  }
  if (auth == GST_MJPEG_HTTP_AUTH_MISSING) {
    refuse (gate, p, 401, GST_MJPEG_HTTP_REFUSAL_UNAUTHORIZED,
        "This camera needs a user name and password.", 0,
        gate->access->challenge, head_request);
    return;
  }
  if (auth == GST_MJPEG_HTTP_AUTH_DENIED) {
    guint failures = gst_mjpeg_http_peers_password_failed (gate->peers,
        &p->key, now);
    gchar *who = gst_mjpeg_http_peer_describe (p->remote);

    GST_INFO ("wrong user name or password from %s (%u in a row)", who,
        failures);
    /* once per address and lockout: when its tries start to be slowed */
    if (failures == GST_MJPEG_HTTP_PEERS_FREE_PASSWORD_FAILURES + 1) {
      gchar *message = g_strdup_printf ("%s sent %u wrong user names or "
          "passwords in a row: its further tries are slowed down.", who,
          failures);

      gate->warn (message, gate->user_data);
      g_free (message);
    }
    g_free (who);
    refuse (gate, p, 401, GST_MJPEG_HTTP_REFUSAL_WRONG_PASSWORD,
        "Wrong user name or password.", 0, gate->access->challenge,
        head_request);
    return;
  }
  if (gate->access->auth)
    gst_mjpeg_http_peers_password_succeeded (gate->peers, &p->key);

  route = gst_mjpeg_http_request_route (req, &gate->paths);
  if (route != GST_MJPEG_HTTP_ROUTE_STREAM || head_request) {
    pass (gate, p, route, FALSE);
    return;
  }
  switch (gst_mjpeg_http_peers_acquire_stream (gate->peers, &p->key,
          gate->limits.max_clients, gate->limits.max_clients_per_address)) {
    case GST_MJPEG_HTTP_STREAM_GRANTED:
      pass (gate, p, route, TRUE);
      break;
    case GST_MJPEG_HTTP_STREAM_TOO_MANY_CLIENTS:
      refuse (gate, p, 503, GST_MJPEG_HTTP_REFUSAL_TOO_MANY_CLIENTS,
          "Too many clients are watching this stream; try again later.",
          STREAM_RETRY_AFTER_S, NULL, FALSE);
      break;
    case GST_MJPEG_HTTP_STREAM_TOO_MANY_FROM_ADDRESS:
      refuse (gate, p, 503, GST_MJPEG_HTTP_REFUSAL_TOO_MANY_FROM_ADDRESS,
          "Too many streams are open from your address; close one and try "
          "again.", STREAM_RETRY_AFTER_S, NULL, FALSE);
      break;
  }
}

static void
judge (GstMjpegHttpGate * gate, Pending * p, guint32 events)
{
  GstMjpegHttpRequest *req = &gate->request;
  GstMjpegHttpParseResult res;
  GstMjpegHttpAuthResult auth = GST_MJPEG_HTTP_AUTH_GRANTED;
  gboolean head_request;
  guint retry_after_s;
  gsize old_len;
  gssize n;

  if (gate->access->certificate && !p->tls_ready) {
    greet (gate, p);
    return;
  }
  if (!p->head)
    p->head = g_byte_array_new ();
  old_len = p->head->len;
  /* each byte read once, as much as a head may be, so that one wake-up
   * costs what arrived since the last */
  while (p->head->len < GST_MJPEG_HTTP_REQUEST_HEAD_MAX) {
    guint len = p->head->len;

    g_byte_array_set_size (p->head, GST_MJPEG_HTTP_REQUEST_HEAD_MAX);
    n = read_some (p, p->head->data + len,
        GST_MJPEG_HTTP_REQUEST_HEAD_MAX - len);
    g_byte_array_set_size (p->head, len + MAX (n, 0));
    if (n > 0)
      continue;
    if (n != -1) {
      /* gone before its request was complete */
      close_pending (gate, p);
      return;
    }
    break;
  }
  if (p->head->len == old_len)
    return;
  /* Until its first line ends, a head is judged at each byte (cheap: only
   * its method and length); after that only a new line or a full buffer
   * can change the verdict. */
  if (p->has_line && p->head->len < GST_MJPEG_HTTP_REQUEST_HEAD_MAX
      && !memchr (p->head->data + old_len, '\n', p->head->len - old_len))
    return;
  p->has_line = memchr (p->head->data, '\n', p->head->len) != NULL;

  res = gst_mjpeg_http_request_parse ((const gchar *) p->head->data,
      p->head->len, req);
  head_request = req->method == GST_MJPEG_HTTP_METHOD_HEAD;
  if (res == GST_MJPEG_HTTP_PARSE_INCOMPLETE) {
    /* a half-closed peer will never complete it */
    if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))
      close_pending (gate, p);
    return;
  }
  if (res != GST_MJPEG_HTTP_PARSE_COMPLETE) {
    refuse (gate, p, gst_mjpeg_http_parse_result_status (res),
        refusal_of (res), req->error, 0, NULL, head_request);
    return;
  }
  /* a page of another site that got our address under its own name (DNS
   * rebinding) sends its own name */
  if (!gst_mjpeg_http_access_host_allowed (gate->access, req->host)) {
    refuse (gate, p, 421, GST_MJPEG_HTTP_REFUSAL_HOST_NOT_ALLOWED,
        "This server does not answer for that host name.", 0, NULL,
        head_request);
    return;
  }
  if (!gst_mjpeg_http_peers_take_request (gate->peers, &p->key,
          g_get_monotonic_time (), &retry_after_s)) {
    refuse (gate, p, 429, GST_MJPEG_HTTP_REFUSAL_RATE_LIMITED,
        "Too many requests from your address; slow down.", retry_after_s,
        NULL, head_request);
    return;
  }
  if (gate->access->auth) {
    /* a locked-out address's passwords are not even looked at: guessing
     * costs it time, and costs us nothing */
    if (req->authorization[0]
        && !gst_mjpeg_http_peers_may_try_password (gate->peers, &p->key,
            g_get_monotonic_time (), &retry_after_s)) {
      refuse (gate, p, 429, GST_MJPEG_HTTP_REFUSAL_LOCKED_OUT,
          "Too many wrong passwords from your address; wait before trying "
          "again.", retry_after_s, NULL, head_request);
      return;
    }
    auth = gst_mjpeg_http_auth_check (gate->access->auth,
        req->authorization[0] ? req->authorization : NULL);
  }
  decide (gate, p, auth);
}

static void
gst_mjpeg_http_gate_events (gint epoll_fd, gpointer user_data)
{
  GstMjpegHttpGate *gate = user_data;
  struct epoll_event evs[EVENT_BATCH];
  gint n, i;

  n = epoll_wait (epoll_fd, evs, EVENT_BATCH, 0);
  for (i = 0; i < n; i++) {
    Pending *p = evs[i].data.ptr;

    if (p->dead)
      continue;
    if (p->lingering)
      linger (gate, p);
    else
      judge (gate, p, evs[i].events);
  }
  update_deadline (gate);
  free_dead (gate);
}

static void
sweep_peers (GstMjpegHttpGate * gate, gint64 now)
{
  if (now - gate->last_sweep_us < SWEEP_INTERVAL_US)
    return;
  gate->last_sweep_us = now;
  gst_mjpeg_http_peers_sweep (gate->peers, now);
}

static gboolean
gst_mjpeg_http_gate_deadline_dispatch (GSource * source, GSourceFunc callback,
    gpointer user_data)
{
  GstMjpegHttpGate *gate = user_data;
  gint64 now = g_get_monotonic_time ();
  Pending *p;
  gchar message[96];

  while ((p = g_queue_peek_head (&gate->lingering)) && p->since_us <= now)
    close_pending (gate, p);
  while ((p = g_queue_peek_head (&gate->waiting))
      && waiting_deadline (gate, p) <= now) {
    g_snprintf (message, sizeof (message), "The request did not arrive "
        "within %u s.", gate->limits.header_timeout_ms / 1000);
    refuse (gate, p, 408, GST_MJPEG_HTTP_REFUSAL_HEADER_TIMEOUT, message, 0,
        NULL, FALSE);
  }
  start_handshakes (gate);
  update_deadline (gate);
  sweep_peers (gate, now);
  free_dead (gate);
  return G_SOURCE_CONTINUE;
}

static GSourceFuncs deadline_source_funcs = {
  NULL, NULL, gst_mjpeg_http_gate_deadline_dispatch, NULL,
};

/* ---- accepting ---------------------------------------------------------- */

static void
admit (GstMjpegHttpGate * gate, gint fd, const struct sockaddr_storage *addr,
    socklen_t addr_len, gint64 now)
{
  Pending *p;
  gint one = 1;

  p = g_new0 (Pending, 1);
  p->link.data = p;
  p->tls_link.data = p;
  p->gate = gate;
  p->fd = fd;
  p->socket = g_socket_new_from_fd (fd, NULL);
  p->remote = g_socket_address_new_from_native ((gpointer) addr, addr_len);
  if (!p->socket || !p->remote)
    goto not_a_socket;
  /* each frame is one write: nothing to gain by delaying its tail */
  setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof (one));
  gst_mjpeg_http_peer_key_init (&p->key, p->remote);
  p->since_us = now;

  if (!watch (gate, p))
    goto no_watch;
  gst_mjpeg_http_peers_add_pending (gate->peers, &p->key);
  g_queue_push_tail_link (&gate->waiting, &p->link);
  if (gate->limits.max_pending > 0
      && g_queue_get_length (&gate->waiting) > gate->limits.max_pending)
    evict (gate);
  return;

  /* ERRORS */
no_watch:
  {
    GST_WARNING ("cannot watch a new connection: %s", g_strerror (errno));
    goto not_a_socket;
  }
not_a_socket:
  {
    if (p->socket)
      g_socket_close (p->socket, NULL);
    else
      close (fd);
    g_clear_object (&p->socket);
    g_clear_object (&p->remote);
    g_free (p);
    return;
  }
}

static gboolean
gst_mjpeg_http_gate_resume_accepting (gpointer user_data)
{
  GstMjpegHttpGate *gate = user_data;

  g_clear_pointer (&gate->backoff_source, g_source_unref);
  gst_mjpeg_http_gate_start_accepting (gate);
  return G_SOURCE_REMOVE;
}

static void
stop_accepting (GstMjpegHttpGate * gate)
{
  guint i;

  for (i = 0; i < gate->n_listen; i++) {
    if (gate->accept_sources[i]) {
      g_source_destroy (gate->accept_sources[i]);
      g_clear_pointer (&gate->accept_sources[i], g_source_unref);
    }
  }
}

/* Out of file descriptors or memory: the listening socket stays readable,
 * so accepting again at once would spin. Pause, longer each time, and let
 * the backlog wait. */
static void
accept_failed (GstMjpegHttpGate * gate, gint errsv)
{
  gate->backoff_ms = gate->backoff_ms == 0 ? BACKOFF_MIN_MS :
      MIN (gate->backoff_ms * 2, BACKOFF_MAX_MS);
  GST_DEBUG ("accepting failed (%s): pausing for %u ms", g_strerror (errsv),
      gate->backoff_ms);
  if (!gate->warned) {
    gchar *message;

    if (errsv == EMFILE || errsv == ENFILE)
      message = g_strdup_printf ("Out of file descriptors (%s): new "
          "connections wait until some close. Raise the limit (ulimit -n, or "
          "LimitNOFILE= in a systemd unit) or lower max-clients.",
          g_strerror (errsv));
    else
      message = g_strdup_printf ("Accepting connections failed (%s): new "
          "connections wait until memory is free again.", g_strerror (errsv));
    gate->warned = TRUE;
    gate->warn (message, gate->user_data);
    g_free (message);
  }
  stop_accepting (gate);
  gate->backoff_source = g_timeout_source_new (gate->backoff_ms);
  g_source_set_callback (gate->backoff_source,
      gst_mjpeg_http_gate_resume_accepting, gate, NULL);
  g_source_attach (gate->backoff_source, gate->context);
}

static gboolean
gst_mjpeg_http_gate_accept (GSocket * listen_socket, GIOCondition cond,
    gpointer user_data)
{
  GstMjpegHttpGate *gate = user_data;
  gint64 now = g_get_monotonic_time ();
  gint listen_fd = g_socket_get_fd (listen_socket);
  struct sockaddr_storage addr;
  socklen_t addr_len;
  gint fd, errsv = 0;
  guint i;

  for (i = 0; i < ACCEPT_BATCH; i++) {
    addr_len = sizeof (addr);
    fd = accept4 (listen_fd, (struct sockaddr *) &addr, &addr_len,
        SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      errsv = errno;
      /* what concerns one connection (it was reset, say) passes over */
      if (errsv == EMFILE || errsv == ENFILE || errsv == ENOBUFS
          || errsv == ENOMEM || errsv == EAGAIN)
        break;
      GST_DEBUG ("accept: %s", g_strerror (errsv));
      errsv = 0;
      continue;
    }
    if (gate->warned) {
      GST_INFO ("accepting connections again");
      gate->warned = FALSE;
    }
    gate->backoff_ms = 0;
    admit (gate, fd, &addr, addr_len, now);
  }
  update_deadline (gate);
  sweep_peers (gate, now);
  free_dead (gate);

  if (errsv != 0 && errsv != EAGAIN) {
    accept_failed (gate, errsv);
    return G_SOURCE_REMOVE;
  }
  return G_SOURCE_CONTINUE;
}

static void
gst_mjpeg_http_gate_start_accepting (GstMjpegHttpGate * gate)
{
  guint i;

  for (i = 0; i < gate->n_listen; i++) {
    gate->accept_sources[i] =
        g_socket_create_source (gate->listen_sockets[i], G_IO_IN, NULL);
    g_source_set_callback (gate->accept_sources[i],
        G_SOURCE_FUNC (gst_mjpeg_http_gate_accept), gate, NULL);
    g_source_attach (gate->accept_sources[i], gate->context);
  }
}

/* Every address @address stands for, each once, in the resolver's order
 * (transfer full): a name such as localhost has an IPv4 and an IPv6 one,
 * and a viewer may use either. */
static GList *
resolve_address (const gchar * address, GError ** error)
{
  GInetAddress *addr;
  GResolver *resolver;
  GList *list, *l, *addrs = NULL;

  addr = g_inet_address_new_from_string (address);
  if (addr)
    return g_list_prepend (NULL, addr);

  resolver = g_resolver_get_default ();
  list = g_resolver_lookup_by_name (resolver, address, NULL, error);
  g_object_unref (resolver);
  for (l = list; l; l = l->next) {
    GList *seen;

    for (seen = addrs; seen; seen = seen->next)
      if (g_inet_address_equal (seen->data, l->data))
        break;
    if (!seen && g_list_length (addrs) < LISTEN_MAX)
      addrs = g_list_append (addrs, g_object_ref (l->data));
  }
  g_resolver_free_addresses (list);
  return addrs;
}

/* A listening socket on @addr port @port (0: any free one), non-blocking;
 * NULL and @error when it cannot be. */
static GSocket *
listen_on (GInetAddress * addr, guint port, guint backlog, GError ** error)
{
  GSocketAddress *sockaddr = g_inet_socket_address_new (addr, port);
  GSocket *socket;

  socket = g_socket_new (g_inet_address_get_family (addr),
      G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, error);
  if (!socket)
    goto failed;
  if (!g_socket_bind (socket, sockaddr, TRUE, error))
    goto failed;
  g_socket_set_listen_backlog (socket, backlog);
  if (!g_socket_listen (socket, error))
    goto failed;
  g_socket_set_blocking (socket, FALSE);
  g_object_unref (sockaddr);
  return socket;

  /* ERRORS */
failed:
  {
    g_clear_object (&socket);
    g_object_unref (sockaddr);
    return NULL;
  }
}

static void
close_listening (GstMjpegHttpGate * gate)
{
  guint i;

  for (i = 0; i < gate->n_listen; i++) {
    g_socket_close (gate->listen_sockets[i], NULL);
    g_clear_object (&gate->listen_sockets[i]);
  }
  gate->n_listen = 0;
}

/* One socket per address of @addrs, all on one port: the first one's,
 * which is the configured port or, for port 0, any free one. An address
 * that cannot be bound for another reason than a port in use (an IPv6
 * one on a machine without IPv6) is left out when another one works. */
static gboolean
listen_all (GstMjpegHttpGate * gate, GList * addrs,
    const GstMjpegHttpGateConfig * config, GError ** error)
{
  GError *skipped = NULL;
  GList *l;
  guint port = config->port;

  for (l = addrs; l; l = l->next) {
    GError *err = NULL;
    GSocket *socket;

    socket = listen_on (l->data, port, config->listen_backlog, &err);
    if (!socket) {
      gchar *where = g_inet_address_to_string (l->data);

      GST_INFO ("cannot listen on %s port %u: %s", where, port, err->message);
      g_free (where);
      if (g_error_matches (err, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE)) {
        g_clear_error (&skipped);
        g_propagate_error (error, err);
        goto failed;
      }
      if (skipped)
        g_error_free (err);
      else
        skipped = err;
      continue;
    }
    if (gate->n_listen == 0) {
      GSocketAddress *bound = g_socket_get_local_address (socket, error);

      if (!bound) {
        g_object_unref (socket);
        goto failed;
      }
      port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
      g_object_unref (bound);
    }
    gate->listen_sockets[gate->n_listen++] = socket;
  }
  if (gate->n_listen == 0) {
    g_propagate_error (error, skipped);
    return FALSE;
  }
  g_clear_error (&skipped);
  gate->port = port;
  return TRUE;

  /* ERRORS */
failed:
  {
    close_listening (gate);
    return FALSE;
  }
}

/* Our own listening sockets: soup_server_listen() gives no say in the
 * backlog, and GLib's default of 10 drops a burst of viewers. */
static gboolean
gst_mjpeg_http_gate_listen (GstMjpegHttpGate * gate,
    const GstMjpegHttpGateConfig * config, GError ** error)
{
  GList *addrs;
  gboolean ret;
  guint attempt;

  addrs = resolve_address (config->address, error);
  if (!addrs)
    return FALSE;

  for (attempt = 1;; attempt++) {
    GError *err = NULL;

    ret = listen_all (gate, addrs, config, &err);
    /* the port the first address got for port 0 was taken on another */
    if (!ret && config->port == 0 && attempt < BIND_ATTEMPTS
        && g_error_matches (err, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE)) {
      g_error_free (err);
      continue;
    }
    if (!ret)
      g_propagate_error (error, err);
    break;
  }
  g_list_free_full (addrs, g_object_unref);
  return ret;
}

/* ---- life --------------------------------------------------------------- */

/* Binds and listens on the calling thread, which must be the server thread
 * with @context its thread-default. @peers and @stats must outlive the gate
 * and every ticket. */
GstMjpegHttpGate *
gst_mjpeg_http_gate_new (const GstMjpegHttpGateConfig * config,
    const GstMjpegHttpLimits * limits, GMainContext * context,
    GstMjpegHttpPeers * peers, GstMjpegHttpStats * stats,
    GstMjpegHttpGatePassFunc pass, GstMjpegHttpGateWarnFunc warn,
    gpointer user_data, GError ** error)
{
  GstMjpegHttpGate *gate = g_new0 (GstMjpegHttpGate, 1);

  gate->context = context;
  gate->peers = peers;
  gate->stats = stats;
  gate->pass = pass;
  gate->warn = warn;
  gate->user_data = user_data;
  gate->paths = config->paths;
  gate->access = config->access;
  gate->dead = g_ptr_array_new_with_free_func (g_free);
  gst_mjpeg_http_gate_set_limits (gate, limits);

  gate->poll_source = gst_mjpeg_http_epoll_source_new (G_PRIORITY_DEFAULT,
      gst_mjpeg_http_gate_events, gate, &gate->epoll_fd, error);
  if (!gate->poll_source)
    goto failed;
  g_source_attach (gate->poll_source, context);
  gate->deadline_source = g_source_new (&deadline_source_funcs,
      sizeof (GSource));
  g_source_set_callback (gate->deadline_source, NULL, gate, NULL);
  g_source_attach (gate->deadline_source, context);

  if (!gst_mjpeg_http_gate_listen (gate, config, error))
    goto failed;
  gst_mjpeg_http_gate_start_accepting (gate);
  return gate;

  /* ERRORS */
failed:
  {
    gst_mjpeg_http_gate_free (gate);
    return NULL;
  }
}

guint
gst_mjpeg_http_gate_get_port (GstMjpegHttpGate * gate)
{
  return gate->port;
}

/* Applies at once: to every later check, and to the deadlines of the
 * connections waiting now. */
void
gst_mjpeg_http_gate_set_limits (GstMjpegHttpGate * gate,
    const GstMjpegHttpLimits * limits)
{
  gate->limits = *limits;
  gst_mjpeg_http_peers_set_rate (gate->peers, limits->request_rate,
      limits->request_burst);
  /* the waiting connections' deadlines moved with the head timeout */
  if (gate->deadline_source)
    update_deadline (gate);
}

/* Stops listening; the port is free when this returns. */
void
gst_mjpeg_http_gate_close (GstMjpegHttpGate * gate)
{
  stop_accepting (gate);
  if (gate->backoff_source) {
    g_source_destroy (gate->backoff_source);
    g_clear_pointer (&gate->backoff_source, g_source_unref);
  }
  close_listening (gate);
}

/* Stops listening and drops every connection not passed on yet. Waits for
 * the handshakes and password checks of dropped connections to let go of
 * them, dispatching the server's context meanwhile (they were cancelled,
 * so this is short): call it from the server thread, not from within a
 * dispatch of the gate. */
void
gst_mjpeg_http_gate_shutdown (GstMjpegHttpGate * gate)
{
  Pending *p;

  gst_mjpeg_http_gate_close (gate);
  while ((p = g_queue_peek_head (&gate->waiting)))
    close_pending (gate, p);
  while ((p = g_queue_peek_head (&gate->lingering)))
    close_pending (gate, p);
  free_dead (gate);
  if (gate->deadline_source)
    update_deadline (gate);
  while (gate->busy > 0)
    g_main_context_iteration (gate->context, TRUE);
}

void
gst_mjpeg_http_gate_free (GstMjpegHttpGate * gate)
{
  gst_mjpeg_http_gate_shutdown (gate);
  g_atomic_int_add (&gate->stats->pending_connections, -gate->reported_pending);
  if (gate->poll_source) {
    g_source_destroy (gate->poll_source);
    g_source_unref (gate->poll_source);
  }
  if (gate->deadline_source) {
    g_source_destroy (gate->deadline_source);
    g_source_unref (gate->deadline_source);
  }
  g_ptr_array_unref (gate->dead);
  g_free (gate);
}

/* ---- tickets ------------------------------------------------------------ */

/* The stream client the request became holds the slot from now on. */
void
gst_mjpeg_http_ticket_take_stream (GstMjpegHttpTicket * ticket)
{
  ticket->holds_stream = FALSE;
}

void
gst_mjpeg_http_ticket_release_stream (GstMjpegHttpTicket * ticket)
{
  if (!ticket->holds_stream)
    return;
  ticket->holds_stream = FALSE;
  gst_mjpeg_http_peers_release_stream (ticket->peers, &ticket->peer);
}

void
gst_mjpeg_http_ticket_free (GstMjpegHttpTicket * ticket)
{
  gst_mjpeg_http_ticket_release_stream (ticket);
  g_free (ticket);
}
