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
 * through, and the route of each request to its handler: the stream's
 * start (then the fan-out's, gstmjpeghttpfanout.c), the snapshot
 * (gstmjpeghttpsnapshot.c), the viewer page (gstmjpeghttpviewer.c), the
 * figures (gstmjpeghttpreport.c) and their events (gstmjpeghttpevents.c).
 * It also tells the idle countdown (gstmjpeghttpidle.c) who comes and goes,
 * and measures what the source gives.
 *
 * Threads:
 *  - gst_mjpeg_http_server_start(), _stop() and _eos() run on the caller's
 *    thread (the element's state change or streaming thread) and wait for
 *    the server thread; _push(), _set_limits() and _set_playing() run on any
 *    thread and never wait for a client: they leave their news under @lock
 *    and wake the server thread. _get_stats() runs on any thread: from
 *    another, it waits (bounded) for the server thread to build the report.
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
#include "gstmjpeghttpevents.h"
#include "gstmjpeghttpidle.h"
#include "gstmjpeghttpreport.h"
#include "gstmjpeghttpsnapshot.h"
#include "gstmjpeghttpsource.h"
#include "gstmjpeghttpviewer.h"

#include <string.h>

#include <libsoup/soup.h>

GST_DEBUG_CATEGORY_EXTERN (gst_mjpeg_http_sink_debug);
#define GST_CAT_DEFAULT gst_mjpeg_http_sink_debug

/* How long one text of the stats or metrics path serves every request:
 * at a thousand viewers the JSON costs the server thread milliseconds, and
 * many addresses asking at once must not take it from the frames. */
#define STATS_TEXT_MAX_AGE_US (G_USEC_PER_SEC / 5)

/* How long get-stats from another thread waits for the server thread. */
#define STATS_WAIT_US (2 * G_USEC_PER_SEC)

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
  GstMjpegHttpSnapshots *snapshots;
  GstMjpegHttpEvents *events;
  GstMjpegHttpSource source;
  /* woken from idle, and no frame has come since */
  gboolean waking;
  /* the stats path's text [0] and the metrics path's [1], and when each
   * was made (monotonic) */
  GBytes *stats_text[2];
  gint64 stats_text_us[2];
  GstMjpegHttpIdle *idle;
  /* the teardown's removals, told of once it is over */
  GPtrArray *stopped_peers;
};

static GQuark ticket_quark;
/* the server whose thread this is, for gst_mjpeg_http_server_get_current() */
static GPrivate current_server;


static GstMjpegHttpTicket *
get_ticket (SoupServerMessage * msg)
{
  return g_object_get_qdata (G_OBJECT
      (soup_server_message_get_remote_address (msg)), ticket_quark);
}

/* ---- idle --------------------------------------------------------------- */

static gboolean
gst_mjpeg_http_server_idle_timeout (gpointer user_data)
{
  GstMjpegHttpServer *server = user_data;

  GST_DEBUG ("nobody for %u ms: idle", server->limits.idle_timeout_ms);
  gst_mjpeg_http_events_changed (server->events);
  server->callbacks.idle (server->user_data);
  return G_SOURCE_REMOVE;
}

/* The idle countdown runs while the element is PLAYING and nobody is
 * connected or waiting. */
static void
gst_mjpeg_http_server_update_idle (GstMjpegHttpServer * server)
{
  gst_mjpeg_http_idle_update (server->idle, server->is_playing,
      gst_mjpeg_http_peers_get_n_streams (server->peers) > 0
      || gst_mjpeg_http_snapshots_is_waiting (server->snapshots));
}

/* A viewer came: the countdown stops, and after idle() the element hears. */
static void
gst_mjpeg_http_server_activity (GstMjpegHttpServer * server,
    SoupServerMessage * msg, const gchar * path)
{
  gchar *peer;

  if (!gst_mjpeg_http_idle_wake (server->idle))
    return;

  /* until a frame comes, what there is is as old as the pause */
  server->waking = TRUE;
  peer = gst_mjpeg_http_peer_describe
      (soup_server_message_get_remote_address (msg));
  GST_DEBUG ("woken by %s asking for %s", peer, path);
  server->callbacks.wake (peer, path, server->user_data);
  g_free (peer);
}

/* ---- the fan-out's news ------------------------------------------------- */

/* "join" or "leave" to the event connections: who, and for a leave
 * @status, why. */
static void
gst_mjpeg_http_server_tell_client (GstMjpegHttpServer * server,
    GstMjpegHttpClient * client, gboolean joined,
    GstMjpegHttpSinkClientStatus status)
{
  GstStructure *figures, *who;
  gchar *data;

  /* the teardown's removals go to connections that are closing too */
  if (!server->events)
    return;
  /* before the status that counts the client, as the viewer page expects */
  if (gst_mjpeg_http_events_take_notice (server->events)) {
    figures = gst_mjpeg_http_client_get_stats (client,
        g_get_monotonic_time (), g_get_real_time ());
    who = gst_structure_new ("client",
        "address", G_TYPE_STRING, gst_structure_get_string (figures,
            "address"), "path", G_TYPE_STRING,
        gst_structure_get_string (figures, "path"), NULL);
    gst_structure_set_value (who, "port", gst_structure_get_value (figures,
            "port"));
    if (!joined) {
      GEnumClass *statuses =
          g_type_class_ref (GST_TYPE_MJPEG_HTTP_SINK_CLIENT_STATUS);

      gst_structure_set (who, "reason", G_TYPE_STRING,
          g_enum_get_value (statuses, status)->value_nick, NULL);
      g_type_class_unref (statuses);
    }
    data = gst_mjpeg_http_report_to_json_text (who);
    gst_mjpeg_http_events_send (server->events, joined ? "join" : "leave",
        data);
    g_free (data);
    gst_structure_free (who);
    gst_structure_free (figures);
  }
  gst_mjpeg_http_events_changed (server->events);
}

static void
gst_mjpeg_http_server_client_added (GstMjpegHttpClient * client,
    gpointer user_data)
{
  GstMjpegHttpServer *server = user_data;

  g_atomic_int_inc (&server->stats->clients);
  gst_mjpeg_http_server_tell_client (server, client, TRUE, 0);
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
  gst_mjpeg_http_server_tell_client (server, client, FALSE, status);
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

static gboolean
gst_mjpeg_http_server_sweep (gpointer user_data)
{
  GstMjpegHttpServer *server = user_data;

  gst_mjpeg_http_fanout_drop_stalled (server->fanout,
      server->limits.timeout_us);
  gst_mjpeg_http_answers_cut_stalled (server->answers,
      server->limits.timeout_us);
  gst_mjpeg_http_events_drop_stalled (server->events,
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
  gboolean timeout_changed = limits->timeout_us != server->limits.timeout_us;

  server->limits = *limits;
  gst_mjpeg_http_gate_set_limits (server->gate, limits);
  if (timeout_changed)
    gst_mjpeg_http_server_set_sweep (server);
  gst_mjpeg_http_idle_set_timeout (server->idle, limits->idle_timeout_ms);
  gst_mjpeg_http_snapshots_set_timeout (server->snapshots,
      limits->snapshot_timeout_ms);
  gst_mjpeg_http_fanout_set_max_fps (server->fanout, limits->max_fps);
  gst_mjpeg_http_server_update_idle (server);
}

/* ---- what the source gives ---------------------------------------------- */

static void
gst_mjpeg_http_server_source_figures (GstMjpegHttpServer * server,
    GstMjpegHttpSourceFigures * source)
{
  gst_mjpeg_http_source_figures (&server->source, g_get_monotonic_time (),
      source);
  source->idle = server->idle && gst_mjpeg_http_idle_is_idle (server->idle);
}

/* The data of a status event: the source and how many watch. */
static gchar *
gst_mjpeg_http_server_status (gpointer user_data)
{
  GstMjpegHttpServer *server = user_data;
  GstMjpegHttpSourceFigures figures;
  GstStructure *status, *source;
  gchar *data;

  gst_mjpeg_http_server_source_figures (server, &figures);
  source = gst_mjpeg_http_report_source (&figures);
  status = gst_structure_new ("status", "source", GST_TYPE_STRUCTURE, source,
      "clients", G_TYPE_UINT,
      (guint) g_atomic_int_get (&server->stats->clients), NULL);
  data = gst_mjpeg_http_report_to_json_text (status);
  gst_structure_free (status);
  gst_structure_free (source);
  return data;
}

/* On the server thread. */
static GstStructure *
gst_mjpeg_http_server_report (GstMjpegHttpServer * server)
{
  GstMjpegHttpSourceFigures source;
  GPtrArray *clients = NULL;

  /* during the teardown the fan-out may be gone */
  if (server->fanout)
    clients = gst_mjpeg_http_fanout_get_client_stats (server->fanout);
  gst_mjpeg_http_server_source_figures (server, &source);
  return gst_mjpeg_http_report_new (server->stats, clients, &source);
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
      gst_mjpeg_http_idle_reset (server->idle);
    gst_mjpeg_http_server_update_idle (server);
  }

  if (frame) {
    gst_mjpeg_http_source_count (&server->source, frame,
        g_get_monotonic_time ());
    server->waking = FALSE;
    gst_mjpeg_http_fanout_set_frame (server->fanout, frame);
    gst_mjpeg_http_snapshots_set_frame (server->snapshots, frame);
    gst_mjpeg_http_events_changed (server->events);
    gst_mjpeg_http_frame_unref (frame);
  }
  if (eos_requested) {
    gst_mjpeg_http_fanout_end (server->fanout);
    gst_mjpeg_http_snapshots_end (server->snapshots);
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

/* get-stats from another thread: @report and @done under the server's
 * @lock, @refs atomic */
typedef struct
{
  GstMjpegHttpServer *server;
  GstStructure *report;
  gboolean done;
  gint refs;
} StatsRequest;

static void
stats_request_unref (gpointer data)
{
  StatsRequest *req = data;

  if (!g_atomic_int_dec_and_test (&req->refs))
    return;
  if (req->report)
    gst_structure_free (req->report);
  g_free (req);
}

static gboolean
stats_request_run (gpointer data)
{
  StatsRequest *req = data;
  GstStructure *report = gst_mjpeg_http_server_report (req->server);

  g_mutex_lock (&req->server->lock);
  req->report = report;
  req->done = TRUE;
  g_cond_broadcast (&req->server->cond);
  g_mutex_unlock (&req->server->lock);
  return G_SOURCE_REMOVE;
}

/* The server whose thread calls, or NULL on any other thread. */
GstMjpegHttpServer *
gst_mjpeg_http_server_get_current (void)
{
  return g_private_get (&current_server);
}

/* The figures of gstmjpeghttpreport.c. Any thread: from another, it waits
 * for the server thread, which answers between two main-loop turns; NULL
 * when it does not within STATS_WAIT_US (it is stopping). Transfer full. */
GstStructure *
gst_mjpeg_http_server_get_stats (GstMjpegHttpServer * server)
{
  gint64 end = g_get_monotonic_time () + STATS_WAIT_US;
  GstStructure *report = NULL;
  StatsRequest *req;
  GSource *source;

  if (g_thread_self () == server->thread)
    return gst_mjpeg_http_server_report (server);

  req = g_new0 (StatsRequest, 1);
  req->server = server;
  /* one for us, one for the source, which may outlive our wait */
  req->refs = 2;
  source = g_idle_source_new ();
  g_source_set_priority (source, G_PRIORITY_HIGH);
  g_source_set_callback (source, stats_request_run, req, stats_request_unref);
  g_source_attach (source, server->context);
  g_source_unref (source);

  g_mutex_lock (&server->lock);
  while (!req->done)
    if (!g_cond_wait_until (&server->cond, &server->lock, end))
      break;
  if (req->done)
    report = g_steal_pointer (&req->report);
  g_mutex_unlock (&server->lock);
  stats_request_unref (req);
  return report;
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

/* From now on libsoup writes @msg's answer: it is cut off if its client
 * does not take it. */
static void
gst_mjpeg_http_server_watch_answer (GstMjpegHttpServer * server,
    SoupServerMessage * msg)
{
  gst_mjpeg_http_answers_watch (server->answers, msg, get_ticket (msg)->fd);
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
          &ticket->peer, g_uri_get_path (soup_server_message_get_uri (msg)),
          g_uri_get_query (soup_server_message_get_uri (msg)),
          ticket->request.options.fps, &err)) {
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

/* The response head is out: the connection is the events'. */
static void
gst_mjpeg_http_server_wrote_events_headers (SoupServerMessage * msg,
    GstMjpegHttpServer * server)
{
  GIOStream *stream;

  g_signal_handlers_disconnect_by_data (msg, server);
  stream = soup_server_message_steal_connection (msg);
  if (stream)
    gst_mjpeg_http_events_add (server->events, stream, &get_ticket (msg)->peer);
}

static void
gst_mjpeg_http_server_handle_events (GstMjpegHttpServer * server,
    SoupServerMessage * msg, GstMjpegHttpTicket * ticket, gboolean head)
{
  SoupMessageHeaders *hdrs = soup_server_message_get_response_headers (msg);

  /* max-clients-per-address=0 is for a proxy in front, whose address
   * every viewer page has: no bound per address for their events then */
  if (!head && !gst_mjpeg_http_events_make_room (server->events,
          &ticket->peer, server->limits.max_clients_per_address ?
          GST_MJPEG_HTTP_EVENTS_PER_ADDRESS_MAX : 0)) {
    soup_message_headers_replace (hdrs, "Retry-After", "5");
    answer_text (server, msg, SOUP_STATUS_SERVICE_UNAVAILABLE,
        "Too many event connections are open; try again later.\n");
    gst_mjpeg_http_server_watch_answer (server, msg);
    return;
  }
  set_common_headers (server, msg);
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_message_headers_replace (hdrs, "Content-Type", "text/event-stream");
  soup_message_headers_replace (hdrs, "X-Accel-Buffering", "no");
  soup_message_headers_set_encoding (hdrs, SOUP_ENCODING_EOF);
  if (head)
    return;
  /* a peer gone before the head is out: the message goes, and the
   * handler with it */
  g_signal_connect (msg, "wrote-headers",
      G_CALLBACK (gst_mjpeg_http_server_wrote_events_headers), server);
}

/* /stats as JSON, /metrics for Prometheus: the report of the moment, or
 * of at most STATS_TEXT_MAX_AGE_US ago (libsoup leaves the body out of an
 * answer to HEAD). */
static void
gst_mjpeg_http_server_answer_stats (GstMjpegHttpServer * server,
    SoupServerMessage * msg, GstMjpegHttpRoute route)
{
  guint i = route == GST_MJPEG_HTTP_ROUTE_STATS ? 0 : 1;
  gint64 now = g_get_monotonic_time ();

  if (!server->stats_text[i]
      || now - server->stats_text_us[i] > STATS_TEXT_MAX_AGE_US) {
    GstMjpegHttpSourceFigures source;
    GstStructure *report;
    gchar *text;

    /* the metrics have no series per viewer: no viewer's figures */
    if (i == 0) {
      report = gst_mjpeg_http_server_report (server);
    } else {
      gst_mjpeg_http_server_source_figures (server, &source);
      report = gst_mjpeg_http_report_new (server->stats, NULL, &source);
    }
    text = i == 0 ? gst_mjpeg_http_report_to_json_text (report) :
        gst_mjpeg_http_report_to_prometheus (report);
    g_clear_pointer (&server->stats_text[i], g_bytes_unref);
    server->stats_text[i] = g_bytes_new_take (text, strlen (text));
    server->stats_text_us[i] = now;
    gst_structure_free (report);
  }

  /* every answer of the next 0.2 s shares the text, not a copy of it
   * (230 KB at 1000 viewers) */
  set_common_headers (server, msg);
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_message_headers_replace (soup_server_message_get_response_headers
      (msg), "Content-Type", i == 0 ? "application/json" :
      "text/plain; version=0.0.4; charset=utf-8");
  soup_message_body_append_bytes (soup_server_message_get_response_body
      (msg), server->stats_text[i]);
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
    {
      /* what an idle sink has is as old as its pause, also while it
       * wakes up */
      gboolean fresh = gst_mjpeg_http_idle_is_idle (server->idle)
          || server->waking;

      if (!head)
        gst_mjpeg_http_server_activity (server, msg, ticket->request.path);
      gst_mjpeg_http_snapshots_handle (server->snapshots, msg, head, fresh);
      break;
    }
    case GST_MJPEG_HTTP_ROUTE_VIEWER:
      set_common_headers (server, msg);
      gst_mjpeg_http_viewer_answer (server->viewer, msg, &ticket->request);
      gst_mjpeg_http_server_watch_answer (server, msg);
      break;
    case GST_MJPEG_HTTP_ROUTE_STATS:
    case GST_MJPEG_HTTP_ROUTE_METRICS:
      gst_mjpeg_http_server_answer_stats (server, msg, ticket->route);
      gst_mjpeg_http_server_watch_answer (server, msg);
      break;
    case GST_MJPEG_HTTP_ROUTE_EVENTS:
      gst_mjpeg_http_server_handle_events (server, msg, ticket, head);
      if (head)
        gst_mjpeg_http_server_watch_answer (server, msg);
      break;
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

/* ---- the snapshots' needs ---------------------------------------------- */

static void
gst_mjpeg_http_server_snapshot_prepare (SoupServerMessage * msg,
    gpointer user_data)
{
  set_common_headers (user_data, msg);
}

static void
gst_mjpeg_http_server_snapshot_answering (SoupServerMessage * msg,
    gpointer user_data)
{
  gst_mjpeg_http_server_watch_answer (user_data, msg);
}

static void
gst_mjpeg_http_server_snapshot_waiting (gpointer user_data)
{
  gst_mjpeg_http_server_update_idle (user_data);
}

static const GstMjpegHttpSnapshotCallbacks snapshot_callbacks = {
  gst_mjpeg_http_server_snapshot_prepare,
  gst_mjpeg_http_server_snapshot_answering,
  gst_mjpeg_http_server_snapshot_waiting,
};

/* ---- start and stop ----------------------------------------------------- */

static gboolean
gst_mjpeg_http_server_setup (GstMjpegHttpServer * server, GError ** error)
{
  static const GstMjpegHttpFanoutCallbacks fanout_callbacks = {
    gst_mjpeg_http_server_client_added,
    gst_mjpeg_http_server_client_removed,
    gst_mjpeg_http_server_flushed,
  };

  server->idle = gst_mjpeg_http_idle_new (server->context,
      gst_mjpeg_http_server_idle_timeout, server);
  gst_mjpeg_http_idle_set_timeout (server->idle,
      server->limits.idle_timeout_ms);

  server->snapshots = gst_mjpeg_http_snapshots_new (server->context,
      server->stats, &snapshot_callbacks, server);
  gst_mjpeg_http_snapshots_set_timeout (server->snapshots,
      server->limits.snapshot_timeout_ms);

  server->events = gst_mjpeg_http_events_new (server->context,
      gst_mjpeg_http_server_status, server);

  server->wake_source = g_source_new (&wake_source_funcs, sizeof (GSource));
  g_source_set_priority (server->wake_source, G_PRIORITY_HIGH);
  g_source_set_callback (server->wake_source, NULL, server, NULL);
  g_source_attach (server->wake_source, server->context);

  server->fanout = gst_mjpeg_http_fanout_new (server->context, server->stats,
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
  gst_mjpeg_http_idle_set_timeout (server->idle, 0);
  g_clear_pointer (&server->snapshots, gst_mjpeg_http_snapshots_free);
  g_clear_pointer (&server->events, gst_mjpeg_http_events_free);
  g_clear_pointer (&server->stats_text[0], g_bytes_unref);
  g_clear_pointer (&server->stats_text[1], g_bytes_unref);

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
  g_clear_pointer (&server->idle, gst_mjpeg_http_idle_free);
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
  g_private_set (&current_server, server);

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
  gst_mjpeg_http_paths_copy (&server->gate_config.paths, &config->listen.paths);
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
