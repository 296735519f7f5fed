/* mjpeghttp
 * Copyright (C) 2026 mjpeghttp developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

/* The HTTP side: a SoupServer on a thread of its own, the viewer page, the
 * snapshot, and the newest-frame-only fan-out to streaming clients.
 *
 * Threads:
 *  - gst_mjpeg_http_server_start(), _stop() and _eos() run on the caller's
 *    thread (the element's state change or streaming thread) and wait for
 *    the server thread; _push() runs on the streaming thread and never
 *    waits for a client.
 *  - Everything else runs on the server thread, which owns a GMainContext
 *    pushed as thread-default for its whole life: libsoup is not
 *    thread-safe, and connections attach to the context that is
 *    thread-default when they are accepted.
 *
 * Locks: @lock guards @pending, @eos_requested, @eos_done and the start
 * hand-shake (@started, @start_error). The other fields belong to the server
 * thread (@num_clients is also read atomically elsewhere). No lock is held
 * while calling libsoup or the element's callbacks.
 *
 * A streaming client's connection is taken from libsoup once the response
 * head is written (wrote-headers) and then written by gstmjpeghttpclient.c
 * with one writev per frame; the sockets share one epoll set, polled by one
 * GSource, so the main loop does not walk a source per client per frame.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstmjpeghttpserver.h"
#include "gstmjpeghttpclient.h"

#include <errno.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <libsoup/soup.h>

GST_DEBUG_CATEGORY_EXTERN (gst_mjpeg_http_sink_debug);
#define GST_CAT_DEFAULT gst_mjpeg_http_sink_debug

/* How long a snapshot request waits for the first frame before it gets a
 * 503: long enough for a camera to start, short enough for a script. */
#define SNAPSHOT_WAIT_MS 2000

#define EPOLL_BATCH 256

struct _GstMjpegHttpServer
{
  /* set before the thread starts, read-only afterwards */
  gchar *address;
  guint requested_port;
  guint max_clients;
  guint listen_backlog;
  guint idle_timeout_ms;
  gchar *viewer_path;
  gchar *stream_path;
  gchar *snapshot_path;
  gchar *viewer_page;
  GstMjpegHttpServerCallbacks callbacks;
  gpointer user_data;

  GThread *thread;
  GMainContext *context;
  GMainLoop *loop;
  guint port;
  gint num_clients;             /* atomic */

  GMutex lock;
  GCond cond;
  gboolean started;
  GError *start_error;
  GstMjpegHttpFrame *pending;
  gboolean eos_requested;
  gboolean eos_done;

  /* server thread only */
  SoupServer *soup;
  GSocket *listen_socket;
  GSource *accept_source;
  GSource *wake_source;
  GSource *poll_source;
  gint epoll_fd;
  GstMjpegHttpFrame *latest;
  GPtrArray *clients;
  GPtrArray *dead_clients;
  guint starting_clients;
  GList *snapshot_waiters;
  gboolean eos;
  GSource *idle_source;
  gboolean idle;
};

typedef struct
{
  GstMjpegHttpServer *server;
  SoupServerMessage *msg;
  GSource *timeout;
} SnapshotWaiter;

static void gst_mjpeg_http_server_answer_snapshot (GstMjpegHttpServer * server,
    SoupServerMessage * msg);
static void snapshot_waiter_free (SnapshotWaiter * w, gboolean unpause);

/* ---- idle --------------------------------------------------------------- */

static gboolean
gst_mjpeg_http_server_idle_timeout (gpointer user_data)
{
  GstMjpegHttpServer *server = user_data;

  g_clear_pointer (&server->idle_source, g_source_unref);
  server->idle = TRUE;
  GST_DEBUG ("nobody for %u ms: idle", server->idle_timeout_ms);
  if (server->callbacks.idle)
    server->callbacks.idle (server->user_data);
  return G_SOURCE_REMOVE;
}

/* The idle countdown runs while nobody is connected or waiting. */
static void
gst_mjpeg_http_server_update_idle (GstMjpegHttpServer * server)
{
  gboolean anybody = server->clients->len > 0 || server->starting_clients > 0
      || server->snapshot_waiters != NULL;

  if (server->idle_timeout_ms == 0)
    return;

  if (anybody && server->idle_source) {
    g_source_destroy (server->idle_source);
    g_clear_pointer (&server->idle_source, g_source_unref);
  } else if (!anybody && !server->idle_source && !server->idle) {
    server->idle_source = g_timeout_source_new (server->idle_timeout_ms);
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

  if (server->idle_source) {
    g_source_destroy (server->idle_source);
    g_clear_pointer (&server->idle_source, g_source_unref);
  }
  if (!server->idle)
    return;

  server->idle = FALSE;
  peer = gst_mjpeg_http_describe_address
      (soup_server_message_get_remote_address (msg));
  GST_DEBUG ("woken by %s asking for %s", peer, path);
  if (server->callbacks.wake)
    server->callbacks.wake (peer, path, server->user_data);
  g_free (peer);
}

/* ---- clients ------------------------------------------------------------ */

/* The client leaves the fan-out now; it is freed once no epoll batch can
 * still name it. */
static void
gst_mjpeg_http_server_remove_client (GstMjpegHttpServer * server,
    GstMjpegHttpClient * client, const gchar * reason)
{
  const gchar *desc = gst_mjpeg_http_client_get_description (client);

  g_ptr_array_remove_fast (server->clients, client);
  g_ptr_array_add (server->dead_clients, client);
  g_atomic_int_add (&server->num_clients, -1);

  GST_DEBUG ("client %s removed: %s", desc, reason);
  if (server->callbacks.client_removed)
    server->callbacks.client_removed (desc, reason, server->user_data);
  gst_mjpeg_http_server_update_idle (server);
}

static void
gst_mjpeg_http_server_free_dead_clients (GstMjpegHttpServer * server)
{
  g_ptr_array_set_size (server->dead_clients, 0);
}

static void
gst_mjpeg_http_server_check_eos_done (GstMjpegHttpServer * server)
{
  guint i;

  if (!server->eos)
    return;
  for (i = 0; i < server->clients->len; i++) {
    if (gst_mjpeg_http_client_is_busy (g_ptr_array_index (server->clients, i)))
      return;
  }
  g_mutex_lock (&server->lock);
  server->eos_done = TRUE;
  g_cond_broadcast (&server->cond);
  g_mutex_unlock (&server->lock);
}

/* Newest-frame-only: a client that is not busy gets the latest frame if it
 * has not had it yet, else it waits for the next one. */
static void
gst_mjpeg_http_server_feed (GstMjpegHttpServer * server,
    GstMjpegHttpClient * client)
{
  GstMjpegHttpClientResult res = GST_MJPEG_HTTP_CLIENT_SENT;

  if (gst_mjpeg_http_client_is_busy (client))
    return;

  if (server->latest
      && server->latest->number >
      gst_mjpeg_http_client_get_last_number (client))
    res = gst_mjpeg_http_client_send (client, server->latest);

  if (server->eos && res != GST_MJPEG_HTTP_CLIENT_GONE)
    res = gst_mjpeg_http_client_close (client);

  if (res == GST_MJPEG_HTTP_CLIENT_GONE)
    gst_mjpeg_http_server_remove_client (server, client,
        gst_mjpeg_http_client_get_reason (client));
}

static void
gst_mjpeg_http_server_on_client (GstMjpegHttpClient * client,
    const gchar * reason, gpointer user_data)
{
  GstMjpegHttpServer *server = user_data;

  if (reason)
    gst_mjpeg_http_server_remove_client (server, client, reason);
  else
    gst_mjpeg_http_server_feed (server, client);
}

static gboolean
gst_mjpeg_http_server_poll_dispatch (GSource * source, GSourceFunc callback,
    gpointer user_data)
{
  GstMjpegHttpServer *server = user_data;
  struct epoll_event evs[EPOLL_BATCH];
  gint n, i;

  do {
    n = epoll_wait (server->epoll_fd, evs, EPOLL_BATCH, 0);
    for (i = 0; i < n; i++) {
      GstMjpegHttpClient *client = evs[i].data.ptr;

      /* a client removed earlier in this batch is parked, not freed */
      if (!g_ptr_array_find (server->dead_clients, client, NULL))
        gst_mjpeg_http_client_handle_events (client, evs[i].events);
    }
    gst_mjpeg_http_server_free_dead_clients (server);
  } while (n == EPOLL_BATCH);

  gst_mjpeg_http_server_check_eos_done (server);
  return G_SOURCE_CONTINUE;
}

/* ---- frames from the streaming thread ----------------------------------- */

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
gst_mjpeg_http_server_wake_dispatch (GSource * source, GSourceFunc callback,
    gpointer user_data)
{
  GstMjpegHttpServer *server = user_data;
  GstMjpegHttpFrame *frame;
  gboolean eos_requested;
  gint i;

  g_source_set_ready_time (source, -1);

  g_mutex_lock (&server->lock);
  frame = g_steal_pointer (&server->pending);
  eos_requested = server->eos_requested;
  server->eos_requested = FALSE;
  g_mutex_unlock (&server->lock);

  if (frame) {
    g_clear_pointer (&server->latest, gst_mjpeg_http_frame_unref);
    server->latest = frame;
    server->eos = FALSE;
  }
  if (eos_requested)
    server->eos = TRUE;

  /* backwards: removal moves the last client into the current slot */
  for (i = (gint) server->clients->len - 1; i >= 0; i--) {
    GstMjpegHttpClient *client;

    if (i >= (gint) server->clients->len)
      continue;
    client = g_ptr_array_index (server->clients, i);
    /* it will skip this frame: it cannot keep up */
    if (frame && gst_mjpeg_http_client_is_busy (client))
      gst_mjpeg_http_client_mark_slow (client);
    gst_mjpeg_http_server_feed (server, client);
  }
  gst_mjpeg_http_server_free_dead_clients (server);

  if (server->latest && server->snapshot_waiters)
    gst_mjpeg_http_server_answer_waiters (server);
  gst_mjpeg_http_server_check_eos_done (server);

  return G_SOURCE_CONTINUE;
}

static GSourceFuncs wake_source_funcs = {
  NULL, NULL, gst_mjpeg_http_server_wake_dispatch, NULL,
};

static GSourceFuncs poll_source_funcs = {
  NULL, NULL, gst_mjpeg_http_server_poll_dispatch, NULL,
};

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
  g_source_set_ready_time (server->wake_source, 0);
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
  g_source_set_ready_time (server->wake_source, 0);

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
set_common_headers (SoupServerMessage * msg)
{
  SoupMessageHeaders *hdrs = soup_server_message_get_response_headers (msg);

  /* libsoup 3.2 leaks an fd per keep-alive connection the client closes */
  soup_message_headers_replace (hdrs, "Connection", "close");
  soup_message_headers_replace (hdrs, "Cache-Control",
      "no-store, no-cache, must-revalidate, max-age=0");
  soup_message_headers_replace (hdrs, "Pragma", "no-cache");
}

static void
answer_text (SoupServerMessage * msg, guint status, const gchar * text)
{
  set_common_headers (msg);
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
    answer_text (msg, SOUP_STATUS_SERVICE_UNAVAILABLE,
        "No frame has reached the sink yet.\n");
    return;
  }

  set_common_headers (msg);
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_message_headers_replace (hdrs, "Content-Type", "image/jpeg");
  g_snprintf (value, sizeof (value), "%" G_GINT64_FORMAT ".%06d",
      frame->real_time / G_USEC_PER_SEC,
      (gint) (frame->real_time % G_USEC_PER_SEC));
  soup_message_headers_replace (hdrs, "X-Timestamp", value);
  g_snprintf (value, sizeof (value), "%" G_GUINT64_FORMAT, frame->number);
  soup_message_headers_replace (hdrs, "X-Frame-Number", value);

  bytes = gst_mjpeg_http_frame_to_bytes (frame);
  soup_message_body_append_bytes (soup_server_message_get_response_body (msg),
      bytes);
  g_bytes_unref (bytes);
}

static void
snapshot_waiter_free (SnapshotWaiter * w, gboolean unpause)
{
  GstMjpegHttpServer *server = w->server;

  server->snapshot_waiters = g_list_remove (server->snapshot_waiters, w);
  g_signal_handlers_disconnect_by_data (w->msg, w);
  if (unpause)
    soup_server_message_unpause (w->msg);
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
    SoupServerMessage * msg)
{
  SnapshotWaiter *w;

  if (server->latest || server->eos) {
    gst_mjpeg_http_server_answer_snapshot (server, msg);
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
  soup_server_message_pause (msg);
}

/* The response head is out: from here on the connection is ours. */
static void
gst_mjpeg_http_server_wrote_stream_headers (SoupServerMessage * msg,
    GstMjpegHttpServer * server)
{
  GstMjpegHttpLayout layout;
  GstMjpegHttpClient *client;
  GIOStream *stream;
  GError *err = NULL;

  layout = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (msg),
          "mjpeghttp-layout"));
  g_signal_handlers_disconnect_by_data (msg, server);
  server->starting_clients--;

  stream = soup_server_message_steal_connection (msg);
  if (!stream)
    goto no_client;

  client = gst_mjpeg_http_client_new (stream, layout, server->epoll_fd,
      gst_mjpeg_http_server_on_client, server, &err);
  if (!client) {
    GST_WARNING ("cannot stream to a client: %s", err->message);
    g_error_free (err);
    goto no_client;
  }

  g_ptr_array_add (server->clients, client);
  g_atomic_int_add (&server->num_clients, 1);
  GST_DEBUG ("client %s added", gst_mjpeg_http_client_get_description (client));
  if (server->callbacks.client_added)
    server->callbacks.client_added (gst_mjpeg_http_client_get_description
        (client), server->user_data);

  if (gst_mjpeg_http_client_start (client) == GST_MJPEG_HTTP_CLIENT_GONE)
    gst_mjpeg_http_server_remove_client (server, client,
        gst_mjpeg_http_client_get_reason (client));
  else
    gst_mjpeg_http_server_feed (server, client);
  gst_mjpeg_http_server_free_dead_clients (server);
  return;

  /* ERRORS */
no_client:
  {
    /* it may have been the only one: the idle countdown starts again */
    gst_mjpeg_http_server_update_idle (server);
    return;
  }
}

/* The client went away before its response head was out. */
static void
gst_mjpeg_http_server_stream_not_started (SoupServerMessage * msg,
    GstMjpegHttpServer * server)
{
  g_signal_handlers_disconnect_by_data (msg, server);
  server->starting_clients--;
  gst_mjpeg_http_server_update_idle (server);
}

static gboolean
query_says_yes (GHashTable * query, const gchar * key)
{
  const gchar *v = query ? g_hash_table_lookup (query, key) : NULL;

  return v && g_ascii_strcasecmp (v, "0") && g_ascii_strcasecmp (v, "false")
      && g_ascii_strcasecmp (v, "no");
}

static void
gst_mjpeg_http_server_handle_stream (GstMjpegHttpServer * server,
    SoupServerMessage * msg, GHashTable * query)
{
  SoupMessageHeaders *hdrs = soup_server_message_get_response_headers (msg);
  guint count = server->clients->len + server->starting_clients;
  GstMjpegHttpLayout layout = GST_MJPEG_HTTP_LAYOUT_LENGTH;

  if (server->max_clients > 0 && count >= server->max_clients) {
    GST_INFO ("refusing a client: %u clients already", count);
    soup_message_headers_replace (hdrs, "Retry-After", "5");
    answer_text (msg, SOUP_STATUS_SERVICE_UNAVAILABLE,
        "Too many clients are watching this stream; try again later.\n");
    return;
  }

  if (query_says_yes (query, "advance_headers"))
    layout = GST_MJPEG_HTTP_LAYOUT_ADVANCE;

  set_common_headers (msg);
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_message_headers_replace (hdrs, "Content-Type",
      gst_mjpeg_http_multipart_content_type ());
  soup_message_headers_replace (hdrs, "X-Accel-Buffering", "no");
  /* EOF framing: no chunked encoding, not even to HTTP/1.0 clients */
  soup_message_headers_set_encoding (hdrs, SOUP_ENCODING_EOF);

  if (soup_server_message_get_method (msg) == SOUP_METHOD_HEAD)
    return;

  server->starting_clients++;
  g_object_set_data (G_OBJECT (msg), "mjpeghttp-layout",
      GINT_TO_POINTER (layout));
  g_signal_connect (msg, "wrote-headers",
      G_CALLBACK (gst_mjpeg_http_server_wrote_stream_headers), server);
  g_signal_connect (msg, "finished",
      G_CALLBACK (gst_mjpeg_http_server_stream_not_started), server);
}

static void
gst_mjpeg_http_server_handle (SoupServer * soup, SoupServerMessage * msg,
    const char *path, GHashTable * query, gpointer user_data)
{
  GstMjpegHttpServer *server = user_data;
  const gchar *method = soup_server_message_get_method (msg);
  const gchar *action = query ? g_hash_table_lookup (query, "action") : NULL;

  if (method != SOUP_METHOD_GET && method != SOUP_METHOD_HEAD) {
    soup_message_headers_replace (soup_server_message_get_response_headers
        (msg), "Allow", "GET, HEAD");
    answer_text (msg, SOUP_STATUS_METHOD_NOT_ALLOWED,
        "Only GET and HEAD are allowed.\n");
    return;
  }

  /* mjpg-streamer's URLs, which many apps are set up for */
  if ((!g_strcmp0 (path, "/") && !g_strcmp0 (action, "stream"))
      || !g_strcmp0 (path, server->stream_path)) {
    gst_mjpeg_http_server_activity (server, msg, path);
    gst_mjpeg_http_server_handle_stream (server, msg, query);
  } else if ((!g_strcmp0 (path, "/") && !g_strcmp0 (action, "snapshot"))
      || !g_strcmp0 (path, server->snapshot_path)) {
    gst_mjpeg_http_server_activity (server, msg, path);
    gst_mjpeg_http_server_handle_snapshot (server, msg);
  } else if (!g_strcmp0 (path, server->viewer_path)) {
    set_common_headers (msg);
    soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
    soup_server_message_set_response (msg, "text/html; charset=utf-8",
        SOUP_MEMORY_STATIC, server->viewer_page, strlen (server->viewer_page));
  } else {
    answer_text (msg, SOUP_STATUS_NOT_FOUND, "Not found.\n");
  }
  gst_mjpeg_http_server_update_idle (server);
}

/* libsoup would otherwise hold a whole request body in memory. */
static void
gst_mjpeg_http_server_request_started (SoupServer * soup,
    SoupServerMessage * msg, gpointer user_data)
{
  soup_message_body_set_accumulate (soup_server_message_get_request_body (msg),
      FALSE);
}

/* ---- the viewer page ---------------------------------------------------- */

static gchar *
make_viewer_page (const gchar * stream_path, const gchar * snapshot_path)
{
  gchar *stream = g_markup_escape_text (stream_path, -1);
  gchar *snapshot = g_markup_escape_text (snapshot_path, -1);
  gchar *page;

  /* advance_headers: Chromium paints a part only once the next part's
   * header block has arrived; see gstmjpeghttpmultipart.c */
  page = g_strdup_printf ("<!DOCTYPE html>\n"
      "<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<title>Live camera</title>\n<style>\n"
      "html,body{margin:0;height:100%%;background:#111;color:#ddd;"
      "font:15px system-ui,sans-serif}\n"
      "body{display:flex;flex-direction:column}\n"
      "#view{flex:1;min-height:0;display:flex;align-items:center;"
      "justify-content:center}\n"
      "#stream{max-width:100%%;max-height:100%%;object-fit:contain}\n"
      "p{margin:.4em;text-align:center}\na{color:#8cf}\n"
      "</style>\n</head>\n<body>\n"
      "<div id=\"view\"><img id=\"stream\" src=\"%s?advance_headers=1\" "
      "alt=\"live stream\"></div>\n"
      "<p><span id=\"size\">connecting&hellip;</span> &middot; "
      "<a href=\"%s\">snapshot</a> &middot; <a href=\"%s\">raw stream</a></p>\n"
      "<script>\n"
      "const img = document.getElementById('stream');\n"
      "const size = document.getElementById('size');\n"
      "function showSize () {\n"
      "  if (img.naturalWidth > 0)\n"
      "    size.textContent = img.naturalWidth + '\\u00d7' + img.naturalHeight;\n"
      "}\n" "img.addEventListener('load', showSize);\n"
      /* the first frame may have loaded before this script ran */
      "showSize ();\n"
      "img.addEventListener('error', () => {\n"
      "  size.textContent = 'the stream has ended or is unavailable';\n"
      "});\n" "</script>\n</body>\n</html>\n", stream, snapshot, stream);

  g_free (stream);
  g_free (snapshot);
  return page;
}

/* ---- start and stop ----------------------------------------------------- */

static GInetAddress *
resolve_address (const gchar * address, GError ** error)
{
  GInetAddress *addr;
  GResolver *resolver;
  GList *list;

  addr = g_inet_address_new_from_string (address);
  if (addr)
    return addr;

  resolver = g_resolver_get_default ();
  list = g_resolver_lookup_by_name (resolver, address, NULL, error);
  g_object_unref (resolver);
  if (!list)
    return NULL;

  addr = g_object_ref (list->data);
  g_resolver_free_addresses (list);
  return addr;
}

/* Hands every pending connection to libsoup. Our own accept loop instead of
 * libsoup's listener: that one takes one connection per main loop iteration
 * and, in libsoup 3.2, leaks the GSocket of each (about 340 bytes a
 * connection, for as long as the server runs). */
static gboolean
gst_mjpeg_http_server_accept (GSocket * listen_socket, GIOCondition cond,
    gpointer user_data)
{
  GstMjpegHttpServer *server = user_data;
  GSocket *socket;
  GSocketConnection *conn;
  GSocketAddress *local, *remote;
  GError *err = NULL;

  while ((socket = g_socket_accept (listen_socket, NULL, &err))) {
    /* each frame is one write: nothing to gain by delaying its tail */
    g_socket_set_option (socket, IPPROTO_TCP, TCP_NODELAY, TRUE, NULL);
    conn = g_socket_connection_factory_create_connection (socket);
    local = g_socket_get_local_address (socket, NULL);
    remote = g_socket_get_remote_address (socket, NULL);
    if (local && remote)
      soup_server_accept_iostream (server->soup, G_IO_STREAM (conn), local,
          remote, NULL);
    else
      g_io_stream_close (G_IO_STREAM (conn), NULL, NULL);
    g_clear_object (&local);
    g_clear_object (&remote);
    g_object_unref (conn);
    g_object_unref (socket);
  }

  /* out of file descriptors, say: keep listening, the backlog waits */
  if (!g_error_matches (err, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
    GST_WARNING ("accepting a connection failed: %s", err->message);
  g_error_free (err);
  return G_SOURCE_CONTINUE;
}

/* Our own listening socket: soup_server_listen() gives no say in the
 * backlog, and GLib's default of 10 drops a burst of viewers. */
static gboolean
gst_mjpeg_http_server_listen (GstMjpegHttpServer * server, GError ** error)
{
  GInetAddress *addr;
  GSocketAddress *sockaddr = NULL, *bound = NULL;
  GSocket *socket = NULL;
  gboolean ret = FALSE;

  addr = resolve_address (server->address, error);
  if (!addr)
    return FALSE;

  sockaddr = g_inet_socket_address_new (addr, server->requested_port);
  socket = g_socket_new (g_inet_address_get_family (addr),
      G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, error);
  if (!socket)
    goto out;
  if (!g_socket_bind (socket, sockaddr, TRUE, error))
    goto out;
  g_socket_set_listen_backlog (socket, server->listen_backlog);
  if (!g_socket_listen (socket, error))
    goto out;

  bound = g_socket_get_local_address (socket, error);
  if (!bound)
    goto out;
  server->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));

  g_socket_set_blocking (socket, FALSE);
  server->accept_source = g_socket_create_source (socket, G_IO_IN, NULL);
  g_source_set_callback (server->accept_source,
      G_SOURCE_FUNC (gst_mjpeg_http_server_accept), server, NULL);
  g_source_attach (server->accept_source, server->context);
  server->listen_socket = g_steal_pointer (&socket);
  ret = TRUE;

out:
  g_clear_object (&bound);
  g_clear_object (&socket);
  g_clear_object (&sockaddr);
  g_object_unref (addr);
  return ret;
}

static gboolean
gst_mjpeg_http_server_setup (GstMjpegHttpServer * server, GError ** error)
{
  server->epoll_fd = epoll_create1 (EPOLL_CLOEXEC);
  if (server->epoll_fd < 0) {
    gint errsv = errno;

    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
        "epoll_create1 failed: %s", g_strerror (errsv));
    return FALSE;
  }

  server->poll_source = g_source_new (&poll_source_funcs, sizeof (GSource));
  g_source_add_unix_fd (server->poll_source, server->epoll_fd, G_IO_IN);
  g_source_set_callback (server->poll_source, NULL, server, NULL);
  g_source_attach (server->poll_source, server->context);

  server->wake_source = g_source_new (&wake_source_funcs, sizeof (GSource));
  g_source_set_callback (server->wake_source, NULL, server, NULL);
  g_source_attach (server->wake_source, server->context);

  server->soup = soup_server_new ("server-header", "mjpeghttpsink ", NULL);
  g_signal_connect (server->soup, "request-started",
      G_CALLBACK (gst_mjpeg_http_server_request_started), server);
  soup_server_add_handler (server->soup, NULL, gst_mjpeg_http_server_handle,
      server, NULL);

  if (!gst_mjpeg_http_server_listen (server, error))
    return FALSE;

  gst_mjpeg_http_server_update_idle (server);
  return TRUE;
}

static void
gst_mjpeg_http_server_teardown (GstMjpegHttpServer * server)
{
  server->idle_timeout_ms = 0;
  if (server->idle_source) {
    g_source_destroy (server->idle_source);
    g_clear_pointer (&server->idle_source, g_source_unref);
  }
  while (server->snapshot_waiters)
    snapshot_waiter_free (server->snapshot_waiters->data, FALSE);

  while (server->clients->len > 0)
    gst_mjpeg_http_server_remove_client (server,
        g_ptr_array_index (server->clients, 0), "server stopped");
  gst_mjpeg_http_server_free_dead_clients (server);

  if (server->accept_source) {
    g_source_destroy (server->accept_source);
    g_clear_pointer (&server->accept_source, g_source_unref);
  }
  if (server->listen_socket) {
    g_socket_close (server->listen_socket, NULL);
    g_clear_object (&server->listen_socket);
  }
  if (server->soup) {
    soup_server_disconnect (server->soup);
    g_clear_object (&server->soup);
  }
  if (server->wake_source) {
    g_source_destroy (server->wake_source);
    g_clear_pointer (&server->wake_source, g_source_unref);
  }
  if (server->poll_source) {
    g_source_destroy (server->poll_source);
    g_clear_pointer (&server->poll_source, g_source_unref);
  }
  if (server->epoll_fd >= 0) {
    close (server->epoll_fd);
    server->epoll_fd = -1;
  }
  g_clear_pointer (&server->latest, gst_mjpeg_http_frame_unref);
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
  return NULL;
}

static void
gst_mjpeg_http_server_free (GstMjpegHttpServer * server)
{
  g_clear_pointer (&server->pending, gst_mjpeg_http_frame_unref);
  g_clear_error (&server->start_error);
  g_ptr_array_unref (server->clients);
  g_ptr_array_unref (server->dead_clients);
  g_main_loop_unref (server->loop);
  g_main_context_unref (server->context);
  g_mutex_clear (&server->lock);
  g_cond_clear (&server->cond);
  g_free (server->address);
  g_free (server->viewer_path);
  g_free (server->stream_path);
  g_free (server->snapshot_path);
  g_free (server->viewer_page);
  g_free (server);
}

/* Binds and starts serving; returns once the server thread runs, or NULL
 * with @error set (G_IO_ERROR_ADDRESS_IN_USE when the port is taken). */
GstMjpegHttpServer *
gst_mjpeg_http_server_start (const GstMjpegHttpServerConfig * config,
    const GstMjpegHttpServerCallbacks * callbacks, gpointer user_data,
    GError ** error)
{
  GstMjpegHttpServer *server;

  server = g_new0 (GstMjpegHttpServer, 1);
  server->address = g_strdup (config->address);
  server->requested_port = config->port;
  server->max_clients = config->max_clients;
  server->listen_backlog = config->listen_backlog;
  server->idle_timeout_ms = config->idle_timeout_ms;
  server->viewer_path = g_strdup (config->viewer_path);
  server->stream_path = g_strdup (config->stream_path);
  server->snapshot_path = g_strdup (config->snapshot_path);
  server->viewer_page = make_viewer_page (config->stream_path,
      config->snapshot_path);
  server->callbacks = *callbacks;
  server->user_data = user_data;
  server->epoll_fd = -1;
  server->clients = g_ptr_array_new ();
  server->dead_clients = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_mjpeg_http_client_free);
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

guint
gst_mjpeg_http_server_get_num_clients (GstMjpegHttpServer * server)
{
  return g_atomic_int_get (&server->num_clients);
}

/* Drops every client (client-removed "server stopped"), closes the listening
 * socket and frees @server. */
void
gst_mjpeg_http_server_stop (GstMjpegHttpServer * server)
{
  g_main_loop_quit (server->loop);
  g_thread_join (server->thread);
  gst_mjpeg_http_server_free (server);
}
