/* mjpeghttp
 * Copyright (C) 2026 mjpeghttp developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

/* The snapshot: the newest frame as one JPEG.
 *
 * A request waits (its message paused) for the next frame when there is
 * none yet, or when it is to be fresh: the sink was idle, so the frame it
 * has is as old as the pause. The wait is bounded by the snapshot timeout;
 * then the request gets the frame there is, with an Age that says how old
 * it is, or 503 when there is none.
 *
 * Threads: the server thread only; no lock. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstmjpeghttpsnapshot.h"

#include <string.h>

/* Snapshot requests that may wait at once: a paused message does not
 * notice that its client left, so each holds its connection for the whole
 * wait. */
#define WAITERS_MAX 64

struct _GstMjpegHttpSnapshots
{
  GMainContext *context;
  GstMjpegHttpStats *stats;
  GstMjpegHttpSnapshotCallbacks callbacks;
  gpointer user_data;
  guint timeout_ms;

  GstMjpegHttpFrame *latest;
  gboolean ended;
  GList *waiters;
  guint n_waiters;
  /* being freed: the server is no one to tell */
  gboolean closing;
};

typedef struct
{
  GstMjpegHttpSnapshots *snapshots;
  SoupServerMessage *msg;
  GSource *timeout;
} Waiter;

static void
answer_text (GstMjpegHttpSnapshots * snapshots, SoupServerMessage * msg,
    guint status, const gchar * text)
{
  snapshots->callbacks.prepare (msg, snapshots->user_data);
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "text/plain; charset=utf-8",
      SOUP_MEMORY_COPY, text, strlen (text));
}

static void
answer (GstMjpegHttpSnapshots * snapshots, SoupServerMessage * msg)
{
  SoupMessageHeaders *hdrs = soup_server_message_get_response_headers (msg);
  GstMjpegHttpFrame *frame = snapshots->latest;
  GBytes *bytes;
  gchar value[32];
  gint64 age_us;

  if (!frame) {
    soup_message_headers_replace (hdrs, "Retry-After", "1");
    answer_text (snapshots, msg, SOUP_STATUS_SERVICE_UNAVAILABLE,
        "No frame has been received yet; try again shortly.\n");
    return;
  }

  snapshots->callbacks.prepare (msg, snapshots->user_data);
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_message_headers_replace (hdrs, "Content-Type", "image/jpeg");
  g_snprintf (value, sizeof (value), "%" G_GINT64_FORMAT ".%06d",
      frame->real_time / G_USEC_PER_SEC,
      (gint) (frame->real_time % G_USEC_PER_SEC));
  soup_message_headers_replace (hdrs, "X-Timestamp", value);
  g_snprintf (value, sizeof (value), "%" G_GUINT64_FORMAT,
      frame->source_number);
  soup_message_headers_replace (hdrs, "X-Frame-Number", value);
  /* whole seconds since the frame reached the sink (RFC 9111 5.1) */
  age_us = MAX (g_get_real_time () - frame->real_time, 0);
  g_snprintf (value, sizeof (value), "%" G_GINT64_FORMAT,
      age_us / G_USEC_PER_SEC);
  soup_message_headers_replace (hdrs, "Age", value);

  /* the frame's own memory, shared: no copy of the JPEG per request */
  bytes = gst_mjpeg_http_frame_to_bytes (frame);
  soup_message_body_append_bytes (soup_server_message_get_response_body (msg),
      bytes);
  g_bytes_unref (bytes);
}

static void
waiter_free (Waiter * w, gboolean unpause)
{
  GstMjpegHttpSnapshots *snapshots = w->snapshots;

  snapshots->waiters = g_list_remove (snapshots->waiters, w);
  snapshots->n_waiters--;
  g_signal_handlers_disconnect_by_data (w->msg, w);
  if (unpause) {
    snapshots->callbacks.answering (w->msg, snapshots->user_data);
    soup_server_message_unpause (w->msg);
  }
  g_source_destroy (w->timeout);
  g_source_unref (w->timeout);
  g_object_unref (w->msg);
  g_free (w);
  if (!snapshots->closing)
    snapshots->callbacks.waiting_changed (snapshots->user_data);
}

static gboolean
waiter_timeout (gpointer user_data)
{
  Waiter *w = user_data;

  answer (w->snapshots, w->msg);
  waiter_free (w, TRUE);
  return G_SOURCE_REMOVE;
}

/* Unpausing a message that has finished or lost its connection is a
 * CRITICAL in libsoup 3.2: forget the waiter without touching it. */
static void
waiter_gone (SoupServerMessage * msg, Waiter * w)
{
  waiter_free (w, FALSE);
}

static void
answer_waiters (GstMjpegHttpSnapshots * snapshots)
{
  while (snapshots->waiters) {
    Waiter *w = snapshots->waiters->data;

    answer (snapshots, w->msg);
    waiter_free (w, TRUE);
  }
}

GstMjpegHttpSnapshots *
gst_mjpeg_http_snapshots_new (GMainContext * context,
    GstMjpegHttpStats * stats, const GstMjpegHttpSnapshotCallbacks * callbacks,
    gpointer user_data)
{
  GstMjpegHttpSnapshots *snapshots = g_new0 (GstMjpegHttpSnapshots, 1);

  snapshots->context = context;
  snapshots->stats = stats;
  snapshots->callbacks = *callbacks;
  snapshots->user_data = user_data;
  return snapshots;
}

/* The waiters are forgotten, not answered: their connections are closing
 * with the server. */
void
gst_mjpeg_http_snapshots_free (GstMjpegHttpSnapshots * snapshots)
{
  snapshots->closing = TRUE;
  while (snapshots->waiters)
    waiter_free (snapshots->waiters->data, FALSE);
  g_clear_pointer (&snapshots->latest, gst_mjpeg_http_frame_unref);
  g_free (snapshots);
}

/* Applies to requests that come from now on. */
void
gst_mjpeg_http_snapshots_set_timeout (GstMjpegHttpSnapshots * snapshots,
    guint timeout_ms)
{
  snapshots->timeout_ms = timeout_ms;
}

/* @fresh: the frame there is may be stale (the sink was idle); wait for a
 * new one. */
void
gst_mjpeg_http_snapshots_handle (GstMjpegHttpSnapshots * snapshots,
    SoupServerMessage * msg, gboolean head, gboolean fresh)
{
  Waiter *w;

  if (head || snapshots->timeout_ms == 0 || (snapshots->latest && !fresh)
      || snapshots->ended) {
    answer (snapshots, msg);
    snapshots->callbacks.answering (msg, snapshots->user_data);
    return;
  }
  if (snapshots->n_waiters >= WAITERS_MAX) {
    gst_mjpeg_http_stats_count_refusal (snapshots->stats,
        GST_MJPEG_HTTP_REFUSAL_SNAPSHOT_QUEUE_FULL);
    soup_message_headers_replace (soup_server_message_get_response_headers
        (msg), "Retry-After", "1");
    answer_text (snapshots, msg, SOUP_STATUS_SERVICE_UNAVAILABLE,
        "Many wait for the next frame; try again shortly.\n");
    snapshots->callbacks.answering (msg, snapshots->user_data);
    return;
  }

  w = g_new0 (Waiter, 1);
  w->snapshots = snapshots;
  w->msg = g_object_ref (msg);
  w->timeout = g_timeout_source_new (snapshots->timeout_ms);
  g_source_set_callback (w->timeout, waiter_timeout, w, NULL);
  g_source_attach (w->timeout, snapshots->context);
  g_signal_connect (msg, "finished", G_CALLBACK (waiter_gone), w);
  g_signal_connect (msg, "disconnected", G_CALLBACK (waiter_gone), w);
  snapshots->waiters = g_list_prepend (snapshots->waiters, w);
  snapshots->n_waiters++;
  soup_server_message_pause (msg);
  snapshots->callbacks.waiting_changed (snapshots->user_data);
}

/* A new frame (transfer none): the newest for every snapshot from now on,
 * and the answer of every waiting one. */
void
gst_mjpeg_http_snapshots_set_frame (GstMjpegHttpSnapshots * snapshots,
    GstMjpegHttpFrame * frame)
{
  g_clear_pointer (&snapshots->latest, gst_mjpeg_http_frame_unref);
  snapshots->latest = gst_mjpeg_http_frame_ref (frame);
  snapshots->ended = FALSE;
  answer_waiters (snapshots);
}

/* End of stream: no new frame will come, nobody waits for one. */
void
gst_mjpeg_http_snapshots_end (GstMjpegHttpSnapshots * snapshots)
{
  snapshots->ended = TRUE;
  answer_waiters (snapshots);
}

gboolean
gst_mjpeg_http_snapshots_is_waiting (GstMjpegHttpSnapshots * snapshots)
{
  return snapshots->waiters != NULL;
}
