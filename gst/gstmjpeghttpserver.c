/* mjpeghttp
 * Copyright (C) 2026 mjpeghttp developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

/* The HTTP side: a thread of its own that runs the gate (every connection's
 * choke point, gstmjpeghttpgate.c), libsoup for the requests the gate lets
 * through, the handlers (viewer page, snapshot, stream start), the fan-out
 * of frames (gstmjpeghttpfanout.c) and the idle countdown.
 *
 * Threads:
 *  - gst_mjpeg_http_server_start(), _stop() and _eos() run on the caller's
 *    thread (the element's state change or streaming thread) and wait for
 *    the server thread; _push(), _set_limits() and _set_playing() run on any
 *    thread and never wait for a client: they leave their news under @lock
 *    and wake the server thread.
 *  - Everything else runs on the server thread, which owns a GMainContext
 *    pushed as thread-default for its whole life: libsoup is not
 *    thread-safe, and connections attach to the context that is
 *    thread-default when they are accepted.
 *  - _stop() from the server thread itself (a callback's handler stops the
 *    element) cannot join: it closes the port, quits the loop and lets the
 *    thread tear down and free the server when the handler returns.
 *  - _stop() from another thread holds the element's (and the pipeline's)
 *    state lock while it joins: the clients the teardown removes are told
 *    of (client_removed, STOPPED) after the join, on that thread, so that a
 *    handler that changes the state does not wait for a lock held by the
 *    thread that waits for it.
 *
 * Locks: @lock guards the fields under "under lock". The fields under
 * "server thread only" belong to the server thread. No lock is held while
 * calling libsoup or the element's callbacks.
 *
 * Priorities: the wake source (new frames) and the fan-out's poll source
 * run at G_PRIORITY_HIGH; requests (gate, libsoup) at the default priority.
 * GLib dispatches only the most urgent ready sources in a main-loop turn,
 * and the gate bounds its work per turn, so frames never wait behind more
 * than one turn of request handling.
 *
 * A request reaches libsoup only through the gate, which attaches a ticket
 * (what the request is, parsed once) to the remote address it hands over;
 * the handler reads the ticket and never parses or checks limits again.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstmjpeghttpserver.h"
#include "gstmjpeghttpanswers.h"
#include "gstmjpeghttpfanout.h"
#include "gstmjpeghttpgate.h"
#include "gstmjpeghttpviewer.h"

#include <string.h>

#include <libsoup/soup.h>

GST_DEBUG_CATEGORY_EXTERN (gst_mjpeg_http_sink_debug);
#define GST_CAT_DEFAULT gst_mjpeg_http_sink_debug

/* How long a snapshot request waits for the first frame before it gets a
 * 503: long enough for a camera to start, short enough for a script. */
#define SNAPSHOT_WAIT_MS 2000
/* Snapshot requests that may wait for it at once: a paused message does
 * not notice that its client left, so each holds its connection for the
 * whole wait. */
#define SNAPSHOT_WAITERS_MAX 64

/* Clients that take nothing are looked for a few times per timeout. */
#define SWEEP_MIN_MS 50
#define SWEEP_MAX_MS 1000

struct _GstMjpegHttpServer
{
  /* set before the thread starts, read-only afterwards */
  GstMjpegHttpGateConfig gate_config;
  GstMjpegHttpStats *stats;
  GstMjpegHttpServerCallbacks callbacks;
  gpointer user_data;
  GDestroyNotify user_data_free;
  GstMjpegHttpViewer *viewer;
  GstMjpegHttpAccess *access;

  GThread *thread;
  GMainContext *context;
  GMainLoop *loop;
  guint port;

  GMutex lock;
  GCond cond;
  /* under lock */
  gboolean started;
  GError *start_error;
  GstMjpegHttpFrame *pending;
  gboolean eos_requested;
  gboolean eos_done;
  GstMjpegHttpLimits new_limits;
  gboolean limits_changed;
  gboolean playing;
  gboolean playing_changed;
  gboolean detached;

  /* server thread only */
  GstMjpegHttpLimits limits;
  gboolean is_playing;
  SoupServer *soup;
  GstMjpegHttpPeers *peers;
  GstMjpegHttpGate *gate;
  GstMjpegHttpFanout *fanout;
  GstMjpegHttpAnswers *answers;
  GSource *sweep_source;
  GSource *wake_source;
  GstMjpegHttpFrame *latest;
  gboolean eos;
  GList *snapshot_waiters;
  guint n_snapshot_waiters;
  GSource *idle_source;
  gboolean idle;
  /* the teardown's removals, told of once it is over */
  GPtrArray *stopped_peers;
};

typedef struct
{
  GstMjpegHttpServer *server;
  SoupServerMessage *msg;
  GSource *timeout;
} SnapshotWaiter;

static GQuark ticket_quark;

static void gst_mjpeg_http_server_answer_snapshot (GstMjpegHttpServer * server,
    SoupServerMessage * msg);
static void snapshot_waiter_free (SnapshotWaiter * w, gboolean unpause);

static GstMjpegHttpTicket *
get_ticket (SoupServerMessage * msg)
{
  return g_object_get_qdata (G_OBJECT
      (soup_server_message_get_remote_address (msg)), ticket_quark);
}

/* ---- idle --------------------------------------------------------------- */

static void
gst_mjpeg_http_server_cancel_idle (GstMjpegHttpServer * server)
{
  if (server->idle_source) {
    g_source_destroy (server->idle_source);
    g_clear_pointer (&server->idle_source, g_source_unref);
  }
}

static gboolean
gst_mjpeg_http_server_idle_timeout (gpointer user_data)
{
  GstMjpegHttpServer *server = user_data;

  g_clear_pointer (&server->idle_source, g_source_unref);
  server->idle = TRUE;
  GST_DEBUG ("nobody for %u ms: idle", server->limits.idle_timeout_ms);
  server->callbacks.idle (server->user_data);
  return G_SOURCE_REMOVE;
}

/* The idle countdown runs while the element is PLAYING and nobody is
 * connected or waiting. */
static void
gst_mjpeg_http_server_update_idle (GstMjpegHttpServer * server)
{
  gboolean anybody = gst_mjpeg_http_peers_get_n_streams (server->peers) > 0
      || server->snapshot_waiters != NULL;

  if (server->limits.idle_timeout_ms == 0 || !server->is_playing || anybody) {
    gst_mjpeg_http_server_cancel_idle (server);
  } else if (!server->idle_source && !server->idle) {
    server->idle_source = g_timeout_source_new (server->limits.idle_timeout_ms);
    g_source_set_callback (server->idle_source,
        gst_mjpeg_http_server_idle_timeout, server, NULL);
    g_source_attach (server->idle_source, server->context);
  }
}

/* A viewer came: the countdown stops, and after idle() the element hears. */
static void
gst_mjpeg_http_server_activity (GstMjpegHttpServer * server,
    SoupServerMessage * msg, const gchar * path)
{
  gchar *peer;

  gst_mjpeg_http_server_cancel_idle (server);
  if (!server->idle)
    return;

  server->idle = FALSE;
  peer = gst_mjpeg_http_peer_describe
      (soup_server_message_get_remote_address (msg));
  GST_DEBUG ("woken by %s asking for %s", peer, path);
  server->callbacks.wake (peer, path, server->user_data);
  g_free (peer);
}

/* ---- the fan-out's news ------------------------------------------------- */

static void
gst_mjpeg_http_server_client_added (GstMjpegHttpClient * client,
    gpointer user_data)
{
  GstMjpegHttpServer *server = user_data;

  g_atomic_int_inc (&server->stats->clients);
  server->callbacks.client_added (gst_mjpeg_http_client_get_description
      (client), server->user_data);
}

static void
gst_mjpeg_http_server_client_removed (GstMjpegHttpClient * client,
    GstMjpegHttpSinkClientStatus status, gpointer user_data)
{
  GstMjpegHttpServer *server = user_data;

  g_atomic_int_add (&server->stats->clients, -1);
  gst_mjpeg_http_stats_count_removal (server->stats, status);
  gst_mjpeg_http_peers_release_stream (server->peers,
      gst_mjpeg_http_client_get_peer (client));
  if (status == GST_MJPEG_HTTP_SINK_CLIENT_STATUS_STOPPED) {
    g_ptr_array_add (server->stopped_peers,
        g_strdup (gst_mjpeg_http_client_get_description (client)));
    return;
  }
  server->callbacks.client_removed (gst_mjpeg_http_client_get_description
      (client), status, server->user_data);
  gst_mjpeg_http_server_update_idle (server);
}

static void
gst_mjpeg_http_server_flushed (gpointer user_data)
{
  GstMjpegHttpServer *server = user_data;

  g_mutex_lock (&server->lock);
  server->eos_done = TRUE;
  g_cond_broadcast (&server->cond);
  g_mutex_unlock (&server->lock);
}

/* ---- news from other threads -------------------------------------------- */

static void
gst_mjpeg_http_server_answer_waiters (GstMjpegHttpServer * server)
{
  while (server->snapshot_waiters) {
    SnapshotWaiter *w = server->snapshot_waiters->data;

    gst_mjpeg_http_server_answer_snapshot (server, w->msg);
    snapshot_waiter_free (w, TRUE);
  }
}

static gboolean
gst_mjpeg_http_server_sweep (gpointer user_data)
{
  GstMjpegHttpServer *server = user_data;

  gst_mjpeg_http_fanout_drop_stalled (server->fanout,
      server->limits.timeout_us);
  gst_mjpeg_http_answers_cut_stalled (server->answers,
      server->limits.timeout_us);
  return G_SOURCE_CONTINUE;
}

/* The sweep for clients that take nothing, a few times per timeout; none
 * with a timeout of 0. */
static void
gst_mjpeg_http_server_set_sweep (GstMjpegHttpServer * server)
{
  gint64 timeout_us = server->limits.timeout_us;

  if (server->sweep_source) {
    g_source_destroy (server->sweep_source);
    g_clear_pointer (&server->sweep_source, g_source_unref);
  }
  if (timeout_us <= 0)
    return;
  server->sweep_source = g_timeout_source_new (CLAMP (timeout_us / 4000,
          SWEEP_MIN_MS, SWEEP_MAX_MS));
  g_source_set_callback (server->sweep_source, gst_mjpeg_http_server_sweep,
      server, NULL);
  g_source_attach (server->sweep_source, server->context);
}

static void
gst_mjpeg_http_server_apply_limits (GstMjpegHttpServer * server,
    const GstMjpegHttpLimits * limits)
{
  gboolean idle_changed =
      limits->idle_timeout_ms != server->limits.idle_timeout_ms;
  gboolean timeout_changed = limits->timeout_us != server->limits.timeout_us;

  server->limits = *limits;
  gst_mjpeg_http_gate_set_limits (server->gate, limits);
  if (timeout_changed)
    gst_mjpeg_http_server_set_sweep (server);
  /* a countdown of the old length starts over with the new one */
  if (idle_changed)
    gst_mjpeg_http_server_cancel_idle (server);
  gst_mjpeg_http_server_update_idle (server);
}

static gboolean
gst_mjpeg_http_server_wake_dispatch (GSource * source, GSourceFunc callback,
    gpointer user_data)
{
  GstMjpegHttpServer *server = user_data;
  GstMjpegHttpLimits limits;
  GstMjpegHttpFrame *frame;
  gboolean eos_requested, limits_changed, playing_changed, playing;

  g_source_set_ready_time (source, -1);

  g_mutex_lock (&server->lock);
  frame = g_steal_pointer (&server->pending);
  eos_requested = server->eos_requested;
  server->eos_requested = FALSE;
  limits_changed = server->limits_changed;
  server->limits_changed = FALSE;
  limits = server->new_limits;
  playing_changed = server->playing_changed;
  server->playing_changed = FALSE;
  playing = server->playing;
  g_mutex_unlock (&server->lock);

  if (limits_changed)
    gst_mjpeg_http_server_apply_limits (server, &limits);

  if (playing_changed && playing != server->is_playing) {
    server->is_playing = playing;
    /* set PLAYING (again), by the application or by a wake-up: count
     * anew; an idle that fired while not playing is forgotten */
    if (playing)
      server->idle = FALSE;
    gst_mjpeg_http_server_update_idle (server);
  }

  if (frame) {
    g_clear_pointer (&server->latest, gst_mjpeg_http_frame_unref);
    server->latest = frame;
    server->eos = FALSE;
    gst_mjpeg_http_fanout_set_frame (server->fanout, frame);
    if (server->snapshot_waiters)
      gst_mjpeg_http_server_answer_waiters (server);
  }
  if (eos_requested) {
    server->eos = TRUE;
    gst_mjpeg_http_fanout_end (server->fanout);
  }
  return G_SOURCE_CONTINUE;
}

static GSourceFuncs wake_source_funcs = {
  NULL, NULL, gst_mjpeg_http_server_wake_dispatch, NULL,
};

static void
gst_mjpeg_http_server_wake (GstMjpegHttpServer * server)
{
  g_source_set_ready_time (server->wake_source, 0);
}

/* Takes a reference on @frame (transfer none). Any thread; never blocks on
 * a client: the frame replaces any older one the server thread has not
 * taken yet. */
void
gst_mjpeg_http_server_push (GstMjpegHttpServer * server,
    GstMjpegHttpFrame * frame)
{
  GstMjpegHttpFrame *old;

  g_mutex_lock (&server->lock);
  old = server->pending;
  server->pending = gst_mjpeg_http_frame_ref (frame);
  g_mutex_unlock (&server->lock);

  if (old)
    gst_mjpeg_http_frame_unref (old);
  gst_mjpeg_http_server_wake (server);
}

/* Any thread: takes effect on the server thread at once. */
void
gst_mjpeg_http_server_set_limits (GstMjpegHttpServer * server,
    const GstMjpegHttpLimits * limits)
{
  g_mutex_lock (&server->lock);
  server->new_limits = *limits;
  server->limits_changed = TRUE;
  g_mutex_unlock (&server->lock);
  gst_mjpeg_http_server_wake (server);
}

/* The element is PLAYING or not: the idle countdown runs only while it is. */
void
gst_mjpeg_http_server_set_playing (GstMjpegHttpServer * server,
    gboolean playing)
{
  g_mutex_lock (&server->lock);
  server->playing = playing;
  server->playing_changed = TRUE;
  g_mutex_unlock (&server->lock);
  gst_mjpeg_http_server_wake (server);
}

/* Ends every stream with the closing delimiter and waits up to @timeout_us
 * for them to go out. Returns FALSE if some client had not taken it. */
gboolean
gst_mjpeg_http_server_eos (GstMjpegHttpServer * server, gint64 timeout_us)
{
  gint64 end = g_get_monotonic_time () + timeout_us;
  gboolean done;

  g_mutex_lock (&server->lock);
  server->eos_requested = TRUE;
  server->eos_done = FALSE;
  g_mutex_unlock (&server->lock);
  gst_mjpeg_http_server_wake (server);

  g_mutex_lock (&server->lock);
  while (!server->eos_done)
    if (!g_cond_wait_until (&server->cond, &server->lock, end))
      break;
  done = server->eos_done;
  g_mutex_unlock (&server->lock);

  return done;
}

/* ---- HTTP handlers ------------------------------------------------------ */

static void
set_common_headers (GstMjpegHttpServer * server, SoupServerMessage * msg)
{
  SoupMessageHeaders *hdrs = soup_server_message_get_response_headers (msg);

  /* libsoup 3.2 leaks an fd per keep-alive connection the client closes,
   * and a ticket is good for one request */
  soup_message_headers_replace (hdrs, "Connection", "close");
  soup_message_headers_replace (hdrs, "Cache-Control",
      "no-store, no-cache, must-revalidate, max-age=0");
  soup_message_headers_replace (hdrs, "Pragma", "no-cache");
  soup_message_headers_replace (hdrs, "X-Content-Type-Options", "nosniff");
  /* the stream's address names the camera: no page it links to learns it */
  soup_message_headers_replace (hdrs, "Referrer-Policy", "no-referrer");
  if (server->access->allow_origin)
    soup_message_headers_replace (hdrs, "Access-Control-Allow-Origin",
        server->access->allow_origin);
}

static void
answer_text (GstMjpegHttpServer * server, SoupServerMessage * msg,
    guint status, const gchar * text)
{
  set_common_headers (server, msg);
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "text/plain; charset=utf-8",
      SOUP_MEMORY_COPY, text, strlen (text));
}

static void
gst_mjpeg_http_server_answer_snapshot (GstMjpegHttpServer * server,
    SoupServerMessage * msg)
{
  SoupMessageHeaders *hdrs = soup_server_message_get_response_headers (msg);
  GstMjpegHttpFrame *frame = server->latest;
  GBytes *bytes;
  gchar value[32];

  if (!frame) {
    soup_message_headers_replace (hdrs, "Retry-After", "1");
    answer_text (server, msg, SOUP_STATUS_SERVICE_UNAVAILABLE,
        "No frame has been received yet; try again shortly.\n");
    return;
  }

  set_common_headers (server, msg);
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_message_headers_replace (hdrs, "Content-Type", "image/jpeg");
  g_snprintf (value, sizeof (value), "%" G_GINT64_FORMAT ".%06d",
      frame->real_time / G_USEC_PER_SEC,
      (gint) (frame->real_time % G_USEC_PER_SEC));
  soup_message_headers_replace (hdrs, "X-Timestamp", value);
  g_snprintf (value, sizeof (value), "%" G_GUINT64_FORMAT, frame->number);
  soup_message_headers_replace (hdrs, "X-Frame-Number", value);

  /* the frame's own memory, shared: no copy of the JPEG per request */
  bytes = gst_mjpeg_http_frame_to_bytes (frame);
  soup_message_body_append_bytes (soup_server_message_get_response_body (msg),
      bytes);
  g_bytes_unref (bytes);
}

/* From now on libsoup writes @msg's answer: it is cut off if its client
 * does not take it. */
static void
gst_mjpeg_http_server_watch_answer (GstMjpegHttpServer * server,
    SoupServerMessage * msg)
{
  gst_mjpeg_http_answers_watch (server->answers, msg, get_ticket (msg)->fd);
}

static void
snapshot_waiter_free (SnapshotWaiter * w, gboolean unpause)
{
  GstMjpegHttpServer *server = w->server;

  server->snapshot_waiters = g_list_remove (server->snapshot_waiters, w);
  server->n_snapshot_waiters--;
  g_signal_handlers_disconnect_by_data (w->msg, w);
  if (unpause) {
    gst_mjpeg_http_server_watch_answer (server, w->msg);
    soup_server_message_unpause (w->msg);
  }
  g_source_destroy (w->timeout);
  g_source_unref (w->timeout);
  g_object_unref (w->msg);
  g_free (w);
  gst_mjpeg_http_server_update_idle (server);
}

static gboolean
snapshot_waiter_timeout (gpointer user_data)
{
  SnapshotWaiter *w = user_data;

  gst_mjpeg_http_server_answer_snapshot (w->server, w->msg);
  snapshot_waiter_free (w, TRUE);
  return G_SOURCE_REMOVE;
}

/* Unpausing a message that has finished or lost its connection is a
 * CRITICAL in libsoup 3.2: forget the waiter without touching it. */
static void
snapshot_waiter_gone (SoupServerMessage * msg, SnapshotWaiter * w)
{
  snapshot_waiter_free (w, FALSE);
}

static void
gst_mjpeg_http_server_handle_snapshot (GstMjpegHttpServer * server,
    SoupServerMessage * msg, gboolean head)
{
  SnapshotWaiter *w;

  if (server->latest || server->eos || head) {
    gst_mjpeg_http_server_answer_snapshot (server, msg);
    gst_mjpeg_http_server_watch_answer (server, msg);
    return;
  }
  if (server->n_snapshot_waiters >= SNAPSHOT_WAITERS_MAX) {
    gst_mjpeg_http_stats_count_refusal (server->stats,
        GST_MJPEG_HTTP_REFUSAL_SNAPSHOT_QUEUE_FULL);
    soup_message_headers_replace (soup_server_message_get_response_headers
        (msg), "Retry-After", "1");
    answer_text (server, msg, SOUP_STATUS_SERVICE_UNAVAILABLE,
        "No frame has been received yet, and many wait for one; try again "
        "shortly.\n");
    gst_mjpeg_http_server_watch_answer (server, msg);
    return;
  }

  w = g_new0 (SnapshotWaiter, 1);
  w->server = server;
  w->msg = g_object_ref (msg);
  w->timeout = g_timeout_source_new (SNAPSHOT_WAIT_MS);
  g_source_set_callback (w->timeout, snapshot_waiter_timeout, w, NULL);
  g_source_attach (w->timeout, server->context);
  g_signal_connect (msg, "finished", G_CALLBACK (snapshot_waiter_gone), w);
  g_signal_connect (msg, "disconnected", G_CALLBACK (snapshot_waiter_gone), w);
  server->snapshot_waiters = g_list_prepend (server->snapshot_waiters, w);
  server->n_snapshot_waiters++;
  soup_server_message_pause (msg);
}

/* The response head is out: from here on the connection is ours. */
static void
gst_mjpeg_http_server_wrote_stream_headers (SoupServerMessage * msg,
    GstMjpegHttpServer * server)
{
  GstMjpegHttpTicket *ticket = get_ticket (msg);
  GIOStream *stream;
  GError *err = NULL;

  g_signal_handlers_disconnect_by_data (msg, server);

  stream = soup_server_message_steal_connection (msg);
  if (!stream)
    goto no_client;

  /* the client holds the slot from now on, and releases it when removed */
  gst_mjpeg_http_ticket_take_stream (ticket);
  if (!gst_mjpeg_http_fanout_add (server->fanout, stream,
          ticket->request.options.advance_headers ?
          GST_MJPEG_HTTP_LAYOUT_ADVANCE : GST_MJPEG_HTTP_LAYOUT_LENGTH,
          &ticket->peer, &err)) {
    GST_WARNING ("cannot stream to a client: %s", err->message);
    g_error_free (err);
    gst_mjpeg_http_peers_release_stream (server->peers, &ticket->peer);
    gst_mjpeg_http_server_update_idle (server);
  }
  return;

  /* ERRORS */
no_client:
  {
    /* it may have been the only one: the idle countdown starts again */
    gst_mjpeg_http_ticket_release_stream (ticket);
    gst_mjpeg_http_server_update_idle (server);
  }
}

/* The client went away before its response head was out. */
static void
gst_mjpeg_http_server_stream_not_started (SoupServerMessage * msg,
    GstMjpegHttpServer * server)
{
  g_signal_handlers_disconnect_by_data (msg, server);
  gst_mjpeg_http_ticket_release_stream (get_ticket (msg));
  gst_mjpeg_http_server_update_idle (server);
}

static void
gst_mjpeg_http_server_handle_stream (GstMjpegHttpServer * server,
    SoupServerMessage * msg, gboolean head)
{
  SoupMessageHeaders *hdrs = soup_server_message_get_response_headers (msg);

  set_common_headers (server, msg);
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_message_headers_replace (hdrs, "Content-Type",
      gst_mjpeg_http_multipart_content_type ());
  soup_message_headers_replace (hdrs, "X-Accel-Buffering", "no");
  /* EOF framing: no chunked encoding, not even to HTTP/1.0 clients */
  soup_message_headers_set_encoding (hdrs, SOUP_ENCODING_EOF);

  if (head)
    return;

  g_signal_connect (msg, "wrote-headers",
      G_CALLBACK (gst_mjpeg_http_server_wrote_stream_headers), server);
  g_signal_connect (msg, "finished",
      G_CALLBACK (gst_mjpeg_http_server_stream_not_started), server);
  g_signal_connect (msg, "disconnected",
      G_CALLBACK (gst_mjpeg_http_server_stream_not_started), server);
}

static void
gst_mjpeg_http_server_handle (SoupServer * soup, SoupServerMessage * msg,
    const char *path, GHashTable * query, gpointer user_data)
{
  GstMjpegHttpServer *server = user_data;
  GstMjpegHttpTicket *ticket = get_ticket (msg);
  gboolean head;

  if (!ticket || ticket->answered) {
    /* a second request on a connection that is to close: not checked */
    answer_text (server, msg, SOUP_STATUS_BAD_REQUEST,
        "One request a connection.\n");
    return;
  }
  ticket->answered = TRUE;
  head = ticket->request.method == GST_MJPEG_HTTP_METHOD_HEAD;

  switch (ticket->route) {
    case GST_MJPEG_HTTP_ROUTE_STREAM:
      if (!head)
        gst_mjpeg_http_server_activity (server, msg, ticket->request.path);
      gst_mjpeg_http_server_handle_stream (server, msg, head);
      if (head)
        gst_mjpeg_http_server_watch_answer (server, msg);
      break;
    case GST_MJPEG_HTTP_ROUTE_SNAPSHOT:
      if (!head)
        gst_mjpeg_http_server_activity (server, msg, ticket->request.path);
      gst_mjpeg_http_server_handle_snapshot (server, msg, head);
      break;
    case GST_MJPEG_HTTP_ROUTE_VIEWER:
      set_common_headers (server, msg);
      gst_mjpeg_http_viewer_answer (server->viewer, msg, &ticket->request);
      gst_mjpeg_http_server_watch_answer (server, msg);
      break;
    case GST_MJPEG_HTTP_ROUTE_STATS:
    case GST_MJPEG_HTTP_ROUTE_METRICS:
    case GST_MJPEG_HTTP_ROUTE_EVENTS:
    case GST_MJPEG_HTTP_ROUTE_NOT_FOUND:
      answer_text (server, msg, SOUP_STATUS_NOT_FOUND, "Not found.\n");
      gst_mjpeg_http_server_watch_answer (server, msg);
      break;
  }
  gst_mjpeg_http_server_update_idle (server);
}

/* A connection the gate let through: libsoup reads the request, which is
 * already complete in the socket, and calls the handler. */
static void
gst_mjpeg_http_server_pass (GIOStream * stream, GSocketConnection * conn,
    GSocketAddress * remote, GstMjpegHttpTicket * ticket, gpointer user_data)
{
  GstMjpegHttpServer *server = user_data;
  GSocketAddress *local;

  g_object_set_qdata_full (G_OBJECT (remote), ticket_quark, ticket,
      (GDestroyNotify) gst_mjpeg_http_ticket_free);
  local = g_socket_connection_get_local_address (conn, NULL);
  if (local)
    soup_server_accept_iostream (server->soup, stream, local, remote, NULL);
  else
    g_io_stream_close (stream, NULL, NULL);
  g_clear_object (&local);
  g_object_unref (stream);
}

static void
gst_mjpeg_http_server_warn (const gchar * message, gpointer user_data)
{
  GstMjpegHttpServer *server = user_data;

  server->callbacks.warning (message, server->user_data);
}

/* ---- start and stop ----------------------------------------------------- */

static gboolean
gst_mjpeg_http_server_setup (GstMjpegHttpServer * server, GError ** error)
{
  static const GstMjpegHttpFanoutCallbacks fanout_callbacks = {
    gst_mjpeg_http_server_client_added,
    gst_mjpeg_http_server_client_removed,
    gst_mjpeg_http_server_flushed,
  };

  server->wake_source = g_source_new (&wake_source_funcs, sizeof (GSource));
  g_source_set_priority (server->wake_source, G_PRIORITY_HIGH);
  g_source_set_callback (server->wake_source, NULL, server, NULL);
  g_source_attach (server->wake_source, server->context);

  server->fanout = gst_mjpeg_http_fanout_new (server->context,
      &fanout_callbacks, server, error);
  if (!server->fanout)
    return FALSE;
  server->answers = gst_mjpeg_http_answers_new (server->stats);
  gst_mjpeg_http_server_set_sweep (server);

  /* no version after the name: it would only help an attacker */
  server->soup = soup_server_new ("server-header", "mjpeghttpsink", NULL);
  soup_server_add_handler (server->soup, NULL, gst_mjpeg_http_server_handle,
      server, NULL);

  server->gate = gst_mjpeg_http_gate_new (&server->gate_config,
      &server->limits, server->context, server->peers, server->stats,
      gst_mjpeg_http_server_pass, gst_mjpeg_http_server_warn, server, error);
  if (!server->gate)
    return FALSE;
  server->port = gst_mjpeg_http_gate_get_port (server->gate);
  return TRUE;
}

static void
gst_mjpeg_http_server_teardown (GstMjpegHttpServer * server)
{
  server->limits.idle_timeout_ms = 0;
  gst_mjpeg_http_server_cancel_idle (server);
  while (server->snapshot_waiters)
    snapshot_waiter_free (server->snapshot_waiters->data, FALSE);

  if (server->gate)
    gst_mjpeg_http_gate_close (server->gate);
  if (server->soup) {
    soup_server_disconnect (server->soup);
    g_clear_object (&server->soup);
  }
  if (server->sweep_source) {
    g_source_destroy (server->sweep_source);
    g_clear_pointer (&server->sweep_source, g_source_unref);
  }
  g_clear_pointer (&server->fanout, gst_mjpeg_http_fanout_free);
  g_clear_pointer (&server->answers, gst_mjpeg_http_answers_free);
  if (server->wake_source) {
    g_source_destroy (server->wake_source);
    g_clear_pointer (&server->wake_source, g_source_unref);
  }
  /* last: it waits for its handshakes and password checks by running the
   * context, where nothing else of the server may dispatch any more (a
   * handler could emit a signal to an application that is stopping us) */
  g_clear_pointer (&server->gate, gst_mjpeg_http_gate_free);
  g_clear_pointer (&server->latest, gst_mjpeg_http_frame_unref);
}

static void
gst_mjpeg_http_server_tell_stopped (GstMjpegHttpServer * server)
{
  guint i;

  for (i = 0; i < server->stopped_peers->len; i++)
    server->callbacks.client_removed (g_ptr_array_index
        (server->stopped_peers, i), GST_MJPEG_HTTP_SINK_CLIENT_STATUS_STOPPED,
        server->user_data);
  g_ptr_array_set_size (server->stopped_peers, 0);
}

static void
gst_mjpeg_http_server_free (GstMjpegHttpServer * server)
{
  /* sources still attached (libsoup's) hold connections, and connections
   * hold tickets, which release into @peers: the context goes first */
  g_main_loop_unref (server->loop);
  g_main_context_unref (server->context);
  gst_mjpeg_http_peers_free (server->peers);
  g_clear_pointer (&server->pending, gst_mjpeg_http_frame_unref);
  g_clear_error (&server->start_error);
  g_mutex_clear (&server->lock);
  g_cond_clear (&server->cond);
  g_free ((gchar *) server->gate_config.address);
  gst_mjpeg_http_paths_clear (&server->gate_config.paths);
  g_clear_pointer (&server->viewer, gst_mjpeg_http_viewer_free);
  gst_mjpeg_http_access_free (server->access);
  g_ptr_array_unref (server->stopped_peers);
  if (server->user_data_free)
    server->user_data_free (server->user_data);
  g_free (server);
}

static gboolean
gst_mjpeg_http_server_signal_started (gpointer user_data)
{
  GstMjpegHttpServer *server = user_data;

  g_mutex_lock (&server->lock);
  server->started = TRUE;
  g_cond_broadcast (&server->cond);
  g_mutex_unlock (&server->lock);
  return G_SOURCE_REMOVE;
}

static gpointer
gst_mjpeg_http_server_thread (gpointer user_data)
{
  GstMjpegHttpServer *server = user_data;
  GError *err = NULL;
  GSource *idle;
  gboolean detached;

  g_main_context_push_thread_default (server->context);

  if (gst_mjpeg_http_server_setup (server, &err)) {
    /* report success only once the loop runs: a quit sent before
     * g_main_loop_run() would be lost */
    idle = g_idle_source_new ();
    g_source_set_callback (idle, gst_mjpeg_http_server_signal_started, server,
        NULL);
    g_source_attach (idle, server->context);
    g_source_unref (idle);
    g_main_loop_run (server->loop);
  } else {
    g_mutex_lock (&server->lock);
    server->start_error = err;
    server->started = TRUE;
    g_cond_broadcast (&server->cond);
    g_mutex_unlock (&server->lock);
  }

  gst_mjpeg_http_server_teardown (server);
  g_main_context_pop_thread_default (server->context);

  g_mutex_lock (&server->lock);
  detached = server->detached;
  g_mutex_unlock (&server->lock);
  if (detached) {
    /* nobody waits for this thread: its own handlers may be told here */
    gst_mjpeg_http_server_tell_stopped (server);
    g_thread_unref (server->thread);
    gst_mjpeg_http_server_free (server);
  }
  return NULL;
}

/* Binds and starts serving; returns once the server thread runs, or NULL
 * with @error set (G_IO_ERROR_ADDRESS_IN_USE when the port is taken).
 * @user_data_free is called on @user_data once the server is gone. */
GstMjpegHttpServer *
gst_mjpeg_http_server_start (const GstMjpegHttpServerConfig * config,
    const GstMjpegHttpLimits * limits,
    const GstMjpegHttpServerCallbacks * callbacks, gpointer user_data,
    GDestroyNotify user_data_free, GError ** error)
{
  GstMjpegHttpServer *server;

  if (!ticket_quark)
    ticket_quark = g_quark_from_static_string ("mjpeghttp-ticket");

  server = g_new0 (GstMjpegHttpServer, 1);
  server->gate_config = config->listen;
  server->gate_config.address = g_strdup (config->listen.address);
  gst_mjpeg_http_paths_copy (&server->gate_config.paths,
      &config->listen.paths);
  server->access = config->access;
  server->gate_config.access = server->access;
  server->stats = config->stats;
  server->limits = *limits;
  server->callbacks = *callbacks;
  server->user_data = user_data;
  server->user_data_free = user_data_free;
  server->peers = gst_mjpeg_http_peers_new ();
  server->stopped_peers = g_ptr_array_new_with_free_func (g_free);
  server->viewer = gst_mjpeg_http_viewer_new (&server->gate_config.paths);
  g_mutex_init (&server->lock);
  g_cond_init (&server->cond);
  server->context = g_main_context_new ();
  server->loop = g_main_loop_new (server->context, FALSE);

  server->thread =
      g_thread_try_new ("mjpeghttpsink", gst_mjpeg_http_server_thread, server,
      error);
  if (!server->thread)
    goto no_thread;

  g_mutex_lock (&server->lock);
  while (!server->started)
    g_cond_wait (&server->cond, &server->lock);
  g_mutex_unlock (&server->lock);

  if (server->start_error)
    goto start_failed;

  return server;

  /* ERRORS */
no_thread:
  {
    gst_mjpeg_http_server_free (server);
    return NULL;
  }
start_failed:
  {
    g_thread_join (server->thread);
    g_propagate_error (error, g_steal_pointer (&server->start_error));
    gst_mjpeg_http_server_free (server);
    return NULL;
  }
}

guint
gst_mjpeg_http_server_get_port (GstMjpegHttpServer * server)
{
  return server->port;
}

/* Drops every client, closes the listening socket, frees @server, and then
 * tells of each client (client_removed, STOPPED) on the calling thread.
 * From the server thread itself, only the listening socket is closed at
 * once; the rest follows when the current callback returns. */
void
gst_mjpeg_http_server_stop (GstMjpegHttpServer * server)
{
  if (g_thread_self () == server->thread) {
    GST_DEBUG ("stopped from a callback: the server thread cleans up");
    gst_mjpeg_http_gate_close (server->gate);
    g_mutex_lock (&server->lock);
    server->detached = TRUE;
    g_mutex_unlock (&server->lock);
    g_main_loop_quit (server->loop);
    return;
  }

  g_main_loop_quit (server->loop);
  g_thread_join (server->thread);
  gst_mjpeg_http_server_tell_stopped (server);
  gst_mjpeg_http_server_free (server);
}
