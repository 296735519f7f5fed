/* mjpeghttp
 * Copyright (C) 2026 mjpeghttp developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

/* The live figures as Server-Sent Events (text/event-stream), for the
 * viewer page and for dashboards.
 *
 * After the response head (written by libsoup) the connection is ours, as
 * a stream client's is: "retry", one status at once, then a status at most
 * STATUS_MIN_INTERVAL_US apart and only when something changed (a new
 * frame, a client that came or went), "join" and "leave" as they happen,
 * and a keep-alive comment every KEEPALIVE_S so that proxies keep an idle
 * connection. Event connections are not viewers: they hold off no idle.
 *
 * A reader that falls behind by more than PENDING_MAX bytes, that takes
 * nothing of what is pending for the element's timeout, or that sends
 * anything, is dropped: nothing is buffered without bound. When all
 * connections are taken, the oldest of the address that holds the most
 * makes room for a newcomer from another. Join and leave events are at
 * most NOTICES_PER_S a second, so that opening and closing streams fast
 * cannot make every reader receive much.
 *
 * Threads: the server thread only; no lock. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstmjpeghttpevents.h"

#include <gst/gst.h>
#include <string.h>

GST_DEBUG_CATEGORY_EXTERN (gst_mjpeg_http_sink_debug);
#define GST_CAT_DEFAULT gst_mjpeg_http_sink_debug

#define STATUS_MIN_INTERVAL_US (G_USEC_PER_SEC / 4)
#define KEEPALIVE_S 15
#define PENDING_MAX (64 * 1024)
/* join and leave events a second at most: each goes to every reader, so a
 * peer that opens and closes streams fast would make them many; past this
 * they are left out (the status's clients count stays right) */
#define NOTICES_PER_S 20

struct _GstMjpegHttpEvents
{
  GMainContext *context;
  GstMjpegHttpEventsStatusFunc status;
  gpointer user_data;
  GList *conns;
  guint n_conns;
  gboolean changed;
  gint64 last_status_us;
  GSource *status_source;
  GSource *keepalive_source;
  /* the join and leave events of the current second */
  gint64 notices_since_us;
  guint notices;
};

typedef struct
{
  GstMjpegHttpEvents *events;
  GIOStream *stream;
  GPollableOutputStream *output;
  GPollableInputStream *input;
  GstMjpegHttpPeerKey peer;
  GString *pending;
  /* when a write last made progress, or @pending began to fill */
  gint64 last_progress_us;
  GSource *out_source;
  GSource *in_source;
} Conn;

static void flush (Conn * c);

static void
conn_free (Conn * c)
{
  GstMjpegHttpEvents *events = c->events;

  events->conns = g_list_remove (events->conns, c);
  events->n_conns--;
  if (c->out_source) {
    g_source_destroy (c->out_source);
    g_source_unref (c->out_source);
  }
  if (c->in_source) {
    g_source_destroy (c->in_source);
    g_source_unref (c->in_source);
  }
  /* never blocks: under TLS the gate's stream shuts the socket before
   * the close (gstmjpeghttpreplay.c) */
  g_io_stream_close (c->stream, NULL, NULL);
  g_object_unref (c->stream);
  g_string_free (c->pending, TRUE);
  g_free (c);
}

static gboolean
writable (GObject * stream, gpointer user_data)
{
  Conn *c = user_data;

  g_clear_pointer (&c->out_source, g_source_unref);
  flush (c);
  return G_SOURCE_REMOVE;
}

/* Writes what it can; waits for the socket to drain for the rest. Frees
 * @c when the peer is gone. */
static void
flush (Conn * c)
{
  GError *err = NULL;

  while (c->pending->len > 0) {
    gssize n = g_pollable_output_stream_write_nonblocking (c->output,
        c->pending->str, c->pending->len, NULL, &err);

    if (n > 0) {
      g_string_erase (c->pending, 0, n);
      c->last_progress_us = g_get_monotonic_time ();
      continue;
    }
    if (g_error_matches (err, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)) {
      g_clear_error (&err);
      if (!c->out_source) {
        c->out_source = g_pollable_output_stream_create_source (c->output,
            NULL);
        g_source_set_callback (c->out_source, G_SOURCE_FUNC (writable), c,
            NULL);
        g_source_attach (c->out_source, c->events->context);
      }
      return;
    }
    GST_DEBUG ("events connection gone: %s", err ? err->message : "");
    g_clear_error (&err);
    conn_free (c);
    return;
  }
}

static void
queue (Conn * c, const gchar * text)
{
  if (c->pending->len + strlen (text) > PENDING_MAX) {
    GST_DEBUG ("events reader too slow: dropped");
    conn_free (c);
    return;
  }
  if (c->pending->len == 0)
    c->last_progress_us = g_get_monotonic_time ();
  g_string_append (c->pending, text);
  if (!c->out_source)
    flush (c);
}

/* A peer that closes, or sends anything (it has no business to), goes. */
static gboolean
readable (GObject * stream, gpointer user_data)
{
  Conn *c = user_data;

  g_clear_pointer (&c->in_source, g_source_unref);
  conn_free (c);
  return G_SOURCE_REMOVE;
}

static void
broadcast (GstMjpegHttpEvents * events, const gchar * text)
{
  GList *l = events->conns;

  while (l) {
    Conn *c = l->data;

    /* queue() may free @c */
    l = l->next;
    queue (c, text);
  }
}

static gchar *
format_event (const gchar * name, const gchar * data)
{
  /* the data is one line of JSON: json-glib escapes newlines */
  return g_strdup_printf ("event: %s\ndata: %s\n\n", name, data);
}

static void
send_status (GstMjpegHttpEvents * events)
{
  gchar *data, *text;

  events->changed = FALSE;
  events->last_status_us = g_get_monotonic_time ();
  if (!events->conns)
    return;
  data = events->status (events->user_data);
  text = format_event ("status", data);
  broadcast (events, text);
  g_free (text);
  g_free (data);
}

static gboolean
status_due (gpointer user_data)
{
  GstMjpegHttpEvents *events = user_data;

  g_clear_pointer (&events->status_source, g_source_unref);
  if (events->changed)
    send_status (events);
  return G_SOURCE_REMOVE;
}

static gboolean
keepalive (gpointer user_data)
{
  GstMjpegHttpEvents *events = user_data;

  broadcast (events, ": keep-alive\n\n");
  return G_SOURCE_CONTINUE;
}

GstMjpegHttpEvents *
gst_mjpeg_http_events_new (GMainContext * context,
    GstMjpegHttpEventsStatusFunc status, gpointer user_data)
{
  GstMjpegHttpEvents *events = g_new0 (GstMjpegHttpEvents, 1);

  events->context = context;
  events->status = status;
  events->user_data = user_data;
  events->keepalive_source = g_timeout_source_new_seconds (KEEPALIVE_S);
  g_source_set_callback (events->keepalive_source, keepalive, events, NULL);
  g_source_attach (events->keepalive_source, context);
  return events;
}

void
gst_mjpeg_http_events_free (GstMjpegHttpEvents * events)
{
  while (events->conns)
    conn_free (events->conns->data);
  if (events->status_source) {
    g_source_destroy (events->status_source);
    g_source_unref (events->status_source);
  }
  g_source_destroy (events->keepalive_source);
  g_source_unref (events->keepalive_source);
  g_free (events);
}

static guint
count_from (GstMjpegHttpEvents * events, const GstMjpegHttpPeerKey * peer)
{
  guint n = 0;
  GList *l;

  for (l = events->conns; l; l = l->next)
    n += !memcmp (&((Conn *) l->data)->peer, peer, sizeof (*peer));
  return n;
}

/* Whether one more connection from @peer is within the bounds, at most
 * @per_address from one address (0: no bound per address). When all are
 * taken, the oldest connection of the address that holds the most makes
 * room, unless that is @peer's own: a few addresses cannot keep everyone
 * else out. Without a bound per address (behind a proxy every reader has
 * the proxy's address) the oldest of all makes room. */
gboolean
gst_mjpeg_http_events_make_room (GstMjpegHttpEvents * events,
    const GstMjpegHttpPeerKey * peer, guint per_address)
{
  guint from_peer = count_from (events, peer), most = 0;
  Conn *oldest = NULL;
  GList *l;

  if (per_address > 0 && from_peer >= per_address)
    return FALSE;
  if (events->n_conns < GST_MJPEG_HTTP_EVENTS_MAX)
    return TRUE;
  if (per_address == 0) {
    GST_DEBUG ("events full: the oldest goes");
    conn_free (g_list_last (events->conns)->data);
    return TRUE;
  }
  /* newest first: the last one of the busiest address is its oldest */
  for (l = events->conns; l; l = l->next) {
    Conn *c = l->data;
    guint n = count_from (events, &c->peer);

    if (n >= most) {
      most = n;
      oldest = c;
    }
  }
  if (!oldest || most <= from_peer + 1)
    return FALSE;
  GST_DEBUG ("events full: the oldest of an address with %u goes", most);
  conn_free (oldest);
  return TRUE;
}

/* Drops the connections whose pending events have not moved for
 * @timeout_us (0: never), as stalled stream clients are. */
void
gst_mjpeg_http_events_drop_stalled (GstMjpegHttpEvents * events,
    gint64 timeout_us)
{
  gint64 now = g_get_monotonic_time ();
  GList *l = events->conns;

  while (l && timeout_us > 0) {
    Conn *c = l->data;

    l = l->next;
    if (c->pending->len > 0 && now - c->last_progress_us > timeout_us) {
      GST_DEBUG ("events reader took nothing for %" G_GINT64_FORMAT " us: "
          "dropped", now - c->last_progress_us);
      conn_free (c);
    }
  }
}

/* Takes @stream (transfer full), whose response head has gone out. */
void
gst_mjpeg_http_events_add (GstMjpegHttpEvents * events, GIOStream * stream,
    const GstMjpegHttpPeerKey * peer)
{
  Conn *c = g_new0 (Conn, 1);
  gchar *data, *text;

  c->events = events;
  c->stream = stream;
  c->output = G_POLLABLE_OUTPUT_STREAM (g_io_stream_get_output_stream (stream));
  c->input = G_POLLABLE_INPUT_STREAM (g_io_stream_get_input_stream (stream));
  c->peer = *peer;
  c->pending = g_string_new (NULL);
  events->conns = g_list_prepend (events->conns, c);
  events->n_conns++;

  c->in_source = g_pollable_input_stream_create_source (c->input, NULL);
  g_source_set_callback (c->in_source, G_SOURCE_FUNC (readable), c, NULL);
  g_source_attach (c->in_source, events->context);

  data = events->status (events->user_data);
  text = g_strdup_printf ("retry: 2000\n\nevent: status\ndata: %s\n\n", data);
  queue (c, text);
  g_free (text);
  g_free (data);
}

/* Something a status tells has changed: one goes out now, or when
 * STATUS_MIN_INTERVAL_US has passed since the last. */
void
gst_mjpeg_http_events_changed (GstMjpegHttpEvents * events)
{
  gint64 due;

  if (!events->conns)
    return;
  events->changed = TRUE;
  if (events->status_source)
    return;
  due = events->last_status_us + STATUS_MIN_INTERVAL_US;
  if (g_get_monotonic_time () >= due) {
    send_status (events);
    return;
  }
  events->status_source = g_timeout_source_new ((due -
          g_get_monotonic_time () + 999) / 1000);
  g_source_set_callback (events->status_source, status_due, events, NULL);
  g_source_attach (events->status_source, events->context);
}

/* Whether a join or leave event may go out now: someone reads, and there
 * were fewer than NOTICES_PER_S this second. TRUE counts one, which the
 * caller sends with gst_mjpeg_http_events_send(); so nothing is made for
 * an event that would not go. */
gboolean
gst_mjpeg_http_events_take_notice (GstMjpegHttpEvents * events)
{
  gint64 now = g_get_monotonic_time ();

  if (!events->conns)
    return FALSE;
  if (now - events->notices_since_us >= G_USEC_PER_SEC) {
    events->notices_since_us = now;
    events->notices = 0;
  }
  return ++events->notices <= NOTICES_PER_S;
}

/* An event to every connection at once: @data is one line. */
void
gst_mjpeg_http_events_send (GstMjpegHttpEvents * events, const gchar * name,
    const gchar * data)
{
  gchar *text = format_event (name, data);

  broadcast (events, text);
  g_free (text);
}
