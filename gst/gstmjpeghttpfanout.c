/* mjpeghttp
 * Copyright (C) 2026 mjpeghttp developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

/* The fan-out: every streaming client, fed newest-frame-only. A client that
 * is not busy gets the newest frame as soon as it exists; a busy one skips
 * frames and gets the newest once its write is done. All client sockets
 * share one epoll set polled by one GSource, so the main loop does not walk
 * a source per client per frame.
 *
 * Frames come first: the poll source runs at G_PRIORITY_HIGH, above request
 * handling, so writing frames never waits behind a flood of requests.
 *
 * A client that takes no byte of a pending write for the timeout is dropped
 * (SLOW) by gst_mjpeg_http_fanout_drop_stalled(), which the server calls a
 * few times per timeout: a viewer that stopped reading cannot hold a slot
 * for ever.
 *
 * Frame rate caps (?fps= on the stream URL, the element's max-fps): a capped
 * client that is free and has a newer frame waiting gets it at its due time
 * (gstmjpeghttpclient.c keeps the schedule). A frame that comes before that
 * arms one timer for the whole fan-out, at the earliest due time of those
 * waiting, so a capped client gets the newest frame on time even if no
 * further frame comes. An uncapped client costs what it did before caps: one
 * more comparison per frame.
 *
 * Threads: everything runs on the server thread; no lock.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstmjpeghttpfanout.h"
#include "gstmjpeghttpepoll.h"

#include <gst/gst.h>

#include <errno.h>
#include <sys/epoll.h>
#include <unistd.h>

GST_DEBUG_CATEGORY_EXTERN (gst_mjpeg_http_sink_debug);
#define GST_CAT_DEFAULT gst_mjpeg_http_sink_debug

#define EPOLL_BATCH 256

struct _GstMjpegHttpFanout
{
  GstMjpegHttpFanoutCallbacks callbacks;
  gpointer user_data;
  /* what clients are sent is counted into it */
  GstMjpegHttpStats *stats;

  gint epoll_fd;
  GSource *poll_source;
  gint64 timeout_us;

  GPtrArray *clients;
  /* removed, freed once no epoll batch can still name them */
  GPtrArray *dead_clients;
  GstMjpegHttpFrame *latest;
  gboolean ended;

  gdouble max_fps;
  /* wakes capped clients at their due time; armed for timer_due, or
   * G_MAXINT64 when not armed */
  GSource *timer;
  gint64 timer_due;
};

static void
gst_mjpeg_http_fanout_remove (GstMjpegHttpFanout * fanout,
    GstMjpegHttpClient * client, GstMjpegHttpSinkClientStatus status)
{
  g_ptr_array_remove_fast (fanout->clients, client);
  g_ptr_array_add (fanout->dead_clients, client);
  GST_DEBUG ("client %s removed (%d)",
      gst_mjpeg_http_client_get_description (client), status);
  fanout->callbacks.client_removed (client, status, fanout->user_data);
}

static void
gst_mjpeg_http_fanout_free_dead (GstMjpegHttpFanout * fanout)
{
  g_ptr_array_set_size (fanout->dead_clients, 0);
}

static void
gst_mjpeg_http_fanout_check_flushed (GstMjpegHttpFanout * fanout)
{
  guint i;

  if (!fanout->ended)
    return;
  for (i = 0; i < fanout->clients->len; i++) {
    if (gst_mjpeg_http_client_is_busy (g_ptr_array_index (fanout->clients, i)))
      return;
  }
  fanout->callbacks.flushed (fanout->user_data);
}

static void
gst_mjpeg_http_fanout_arm_timer (GstMjpegHttpFanout * fanout, gint64 due)
{
  if (due >= fanout->timer_due)
    return;
  fanout->timer_due = due;
  g_source_set_ready_time (fanout->timer, due);
}

/* Newest-frame-only: a client that is not busy gets the latest frame if it
 * has not had it yet (a capped one once it is due), else it waits for the
 * next one. The end of the stream does not wait for a due time. */
static void
gst_mjpeg_http_fanout_feed (GstMjpegHttpFanout * fanout,
    GstMjpegHttpClient * client, gint64 now)
{
  GstMjpegHttpClientResult res = GST_MJPEG_HTTP_CLIENT_SENT;

  if (gst_mjpeg_http_client_is_busy (client))
    return;

  if (fanout->latest && fanout->latest->number >
      gst_mjpeg_http_client_get_last_number (client)) {
    gint64 due = gst_mjpeg_http_client_get_due (client);

    if (due > now && !fanout->ended) {
      gst_mjpeg_http_fanout_arm_timer (fanout, due);
      return;
    }
    res = gst_mjpeg_http_client_send (client, fanout->latest, now);
  }

  if (fanout->ended && res != GST_MJPEG_HTTP_CLIENT_GONE)
    res = gst_mjpeg_http_client_close (client, now);

  if (res == GST_MJPEG_HTTP_CLIENT_GONE)
    gst_mjpeg_http_fanout_remove (fanout, client,
        gst_mjpeg_http_client_get_status (client));
}

static void
gst_mjpeg_http_fanout_on_client (GstMjpegHttpClient * client,
    GstMjpegHttpClientResult result, gpointer user_data)
{
  GstMjpegHttpFanout *fanout = user_data;

  if (result == GST_MJPEG_HTTP_CLIENT_GONE)
    gst_mjpeg_http_fanout_remove (fanout, client,
        gst_mjpeg_http_client_get_status (client));
  else
    gst_mjpeg_http_fanout_feed (fanout, client, g_get_monotonic_time ());
}

typedef void (*ClientFunc) (GstMjpegHttpFanout * fanout,
    GstMjpegHttpClient * client, gint64 now);

/* Calls @func on every client, which may remove it: backwards, as removal
 * moves the last client into the current slot. Removed clients are freed
 * afterwards. */
static void
gst_mjpeg_http_fanout_foreach (GstMjpegHttpFanout * fanout, ClientFunc func)
{
  gint64 now = g_get_monotonic_time ();
  gint i;

  for (i = (gint) fanout->clients->len - 1; i >= 0; i--) {
    if (i < (gint) fanout->clients->len)
      func (fanout, g_ptr_array_index (fanout->clients, i), now);
  }
  gst_mjpeg_http_fanout_free_dead (fanout);
}

static void
gst_mjpeg_http_fanout_events (gint epoll_fd, gpointer user_data)
{
  GstMjpegHttpFanout *fanout = user_data;
  struct epoll_event evs[EPOLL_BATCH];
  gint64 now;
  gint n, i;

  do {
    n = epoll_wait (epoll_fd, evs, EPOLL_BATCH, 0);
    now = g_get_monotonic_time ();
    for (i = 0; i < n; i++) {
      GstMjpegHttpClient *client = evs[i].data.ptr;

      /* a client removed earlier in this batch is parked, not freed */
      if (!g_ptr_array_find (fanout->dead_clients, client, NULL))
        gst_mjpeg_http_client_handle_events (client, evs[i].events, now);
    }
    gst_mjpeg_http_fanout_free_dead (fanout);
  } while (n == EPOLL_BATCH);

  gst_mjpeg_http_fanout_check_flushed (fanout);
}

typedef struct
{
  GSource source;
  GstMjpegHttpFanout *fanout;
} TimerSource;

static gboolean
gst_mjpeg_http_fanout_timer_dispatch (GSource * source, GSourceFunc callback,
    gpointer user_data)
{
  GstMjpegHttpFanout *fanout = ((TimerSource *) source)->fanout;

  g_source_set_ready_time (source, -1);
  fanout->timer_due = G_MAXINT64;
  /* those not due yet arm it again */
  gst_mjpeg_http_fanout_foreach (fanout, gst_mjpeg_http_fanout_feed);
  gst_mjpeg_http_fanout_check_flushed (fanout);
  return G_SOURCE_CONTINUE;
}

static GSourceFuncs timer_source_funcs = {
  NULL, NULL, gst_mjpeg_http_fanout_timer_dispatch, NULL,
};

static void
gst_mjpeg_http_fanout_drop_if_stalled (GstMjpegHttpFanout * fanout,
    GstMjpegHttpClient * client, gint64 now)
{
  if (!gst_mjpeg_http_client_is_stalled (client, now, fanout->timeout_us))
    return;
  GST_INFO ("client %s took no byte for %" G_GINT64_FORMAT " ms: dropping it",
      gst_mjpeg_http_client_get_description (client),
      fanout->timeout_us / 1000);
  gst_mjpeg_http_fanout_remove (fanout, client,
      GST_MJPEG_HTTP_SINK_CLIENT_STATUS_SLOW);
}

GstMjpegHttpFanout *
gst_mjpeg_http_fanout_new (GMainContext * context,
    GstMjpegHttpStats * stats, const GstMjpegHttpFanoutCallbacks * callbacks,
    gpointer user_data, GError ** error)
{
  GstMjpegHttpFanout *fanout = g_new0 (GstMjpegHttpFanout, 1);

  fanout->poll_source = gst_mjpeg_http_epoll_source_new (G_PRIORITY_HIGH,
      gst_mjpeg_http_fanout_events, fanout, &fanout->epoll_fd, error);
  if (!fanout->poll_source) {
    g_free (fanout);
    return NULL;
  }
  fanout->stats = stats;
  fanout->callbacks = *callbacks;
  fanout->user_data = user_data;
  fanout->clients = g_ptr_array_new ();
  fanout->dead_clients = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_mjpeg_http_client_free);
  g_source_attach (fanout->poll_source, context);

  fanout->timer = g_source_new (&timer_source_funcs, sizeof (TimerSource));
  ((TimerSource *) fanout->timer)->fanout = fanout;
  g_source_set_priority (fanout->timer, G_PRIORITY_HIGH);
  g_source_set_name (fanout->timer, "mjpeghttpsink fps caps");
  fanout->timer_due = G_MAXINT64;
  g_source_attach (fanout->timer, context);
  return fanout;
}

/* Every client still there is removed (STOPPED), then freed. */
void
gst_mjpeg_http_fanout_free (GstMjpegHttpFanout * fanout)
{
  while (fanout->clients->len > 0)
    gst_mjpeg_http_fanout_remove (fanout,
        g_ptr_array_index (fanout->clients, 0),
        GST_MJPEG_HTTP_SINK_CLIENT_STATUS_STOPPED);
  gst_mjpeg_http_fanout_free_dead (fanout);

  g_source_destroy (fanout->poll_source);
  g_source_unref (fanout->poll_source);
  g_source_destroy (fanout->timer);
  g_source_unref (fanout->timer);
  g_clear_pointer (&fanout->latest, gst_mjpeg_http_frame_unref);
  g_ptr_array_unref (fanout->clients);
  g_ptr_array_unref (fanout->dead_clients);
  g_free (fanout);
}

/* Takes ownership of @stream, a connection whose response head is out, and
 * starts streaming to it (client_added first). @path and @query (NULL:
 * none) are what it asked for; @fps its own frame rate cap (0: none), which
 * the fan-out's max-fps may lower. On failure the stream is closed and
 * nothing was called. */
gboolean
gst_mjpeg_http_fanout_add (GstMjpegHttpFanout * fanout, GIOStream * stream,
    GstMjpegHttpLayout layout, const GstMjpegHttpPeerKey * peer,
    const gchar * path, const gchar * query, gdouble fps, GError ** error)
{
  GstMjpegHttpClient *client;
  gint64 now = g_get_monotonic_time ();
  gchar *target;

  target = query ? g_strconcat (path, "?", query, NULL) : g_strdup (path);
  client = gst_mjpeg_http_client_new (stream, layout, peer, target, fps,
      fanout->max_fps, fanout->stats, fanout->epoll_fd, now,
      gst_mjpeg_http_fanout_on_client, fanout, error);
  g_free (target);
  if (!client)
    return FALSE;

  g_ptr_array_add (fanout->clients, client);
  fanout->callbacks.client_added (client, fanout->user_data);

  if (gst_mjpeg_http_client_start (client, now) == GST_MJPEG_HTTP_CLIENT_GONE)
    gst_mjpeg_http_fanout_remove (fanout, client,
        gst_mjpeg_http_client_get_status (client));
  else
    gst_mjpeg_http_fanout_feed (fanout, client, now);
  gst_mjpeg_http_fanout_free_dead (fanout);
  return TRUE;
}

static void
gst_mjpeg_http_fanout_offer (GstMjpegHttpFanout * fanout,
    GstMjpegHttpClient * client, gint64 now)
{
  /* it will skip this frame: it cannot keep up */
  if (gst_mjpeg_http_client_is_busy (client))
    gst_mjpeg_http_client_mark_slow (client);
  gst_mjpeg_http_fanout_feed (fanout, client, now);
}

/* @frame (transfer none) is the newest from now on: every client that can
 * take it gets it, the busy ones will skip to it. */
void
gst_mjpeg_http_fanout_set_frame (GstMjpegHttpFanout * fanout,
    GstMjpegHttpFrame * frame)
{
  g_clear_pointer (&fanout->latest, gst_mjpeg_http_frame_unref);
  fanout->latest = gst_mjpeg_http_frame_ref (frame);
  fanout->ended = FALSE;
  gst_mjpeg_http_fanout_foreach (fanout, gst_mjpeg_http_fanout_offer);
}

/* End of stream: each client gets the closing delimiter after what it is
 * being sent; flushed() once all have it. A new frame starts over. */
void
gst_mjpeg_http_fanout_end (GstMjpegHttpFanout * fanout)
{
  fanout->ended = TRUE;
  gst_mjpeg_http_fanout_foreach (fanout, gst_mjpeg_http_fanout_feed);
  gst_mjpeg_http_fanout_check_flushed (fanout);
}

/* Drops every client that took no byte of a pending write for
 * @timeout_us. */
void
gst_mjpeg_http_fanout_drop_stalled (GstMjpegHttpFanout * fanout,
    gint64 timeout_us)
{
  fanout->timeout_us = timeout_us;
  gst_mjpeg_http_fanout_foreach (fanout, gst_mjpeg_http_fanout_drop_if_stalled);
  gst_mjpeg_http_fanout_check_flushed (fanout);
}

/* The element's max-fps (0: none) caps every client from now on, those
 * already there too; a client's own ?fps= cap still holds when smaller. */
void
gst_mjpeg_http_fanout_set_max_fps (GstMjpegHttpFanout * fanout, gdouble max_fps)
{
  guint i;

  if (max_fps == fanout->max_fps)
    return;
  fanout->max_fps = max_fps;
  for (i = 0; i < fanout->clients->len; i++)
    gst_mjpeg_http_client_set_max_fps (g_ptr_array_index (fanout->clients, i),
        max_fps);
  /* due times moved: some are due now, others need the timer sooner */
  gst_mjpeg_http_fanout_foreach (fanout, gst_mjpeg_http_fanout_feed);
  gst_mjpeg_http_fanout_check_flushed (fanout);
}

/* One "client" structure per stream client (see
 * gst_mjpeg_http_client_get_stats()). Transfer full; the array frees its
 * elements with gst_structure_free(). */
GPtrArray *
gst_mjpeg_http_fanout_get_client_stats (GstMjpegHttpFanout * fanout)
{
  GPtrArray *stats = g_ptr_array_new_full (fanout->clients->len,
      (GDestroyNotify) gst_structure_free);
  gint64 now = g_get_monotonic_time ();
  gint64 now_real = g_get_real_time ();
  guint i;

  for (i = 0; i < fanout->clients->len; i++)
    g_ptr_array_add (stats,
        gst_mjpeg_http_client_get_stats (g_ptr_array_index (fanout->clients,
                i), now, now_real));
  return stats;
}
