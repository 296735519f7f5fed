/* mjpeghttp
 * Copyright (C) 2026 mjpeghttp developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

/* One streaming client: a connection taken over from libsoup once the
 * response head is out, written with one non-blocking writev per frame.
 *
 * Threads: everything here runs on the server thread; a client has no lock.
 *
 * The socket sits in the fan-out's epoll set once, edge-triggered, for the
 * client's whole life: no epoll_ctl per frame. A write that the kernel takes
 * only in part keeps its offset and goes on at the next EPOLLOUT.
 *
 * A client must not cost the others: what it sends after its request is
 * read at most INPUT_LIMIT bytes in all, then it is dropped (SENT_DATA); a
 * client that takes no byte of a pending write for the fan-out's timeout is
 * found by gst_mjpeg_http_client_is_stalled() and dropped (SLOW).
 *
 * Figures (frames sent and skipped, bytes, fps, last activity) cost a few
 * integer operations per write and no allocation: the fan-out serves
 * thousands of clients at 30 fps. Times are kept monotonic and turned into
 * wall-clock times only when someone asks. The totals that outlive the
 * client are added to the element's GstMjpegHttpStats at each write.
 *
 * A frame rate cap is a due time: the fan-out sends the newest frame once
 * gst_mjpeg_http_client_get_due() has passed, and each send moves it one
 * interval on (no drift), or one interval from now when it was more than an
 * interval late.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstmjpeghttpclient.h"
#include "gstmjpeghttpreplay.h"

#include <gst/gst.h>

#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

/* What the kernel may hold unsent for one client. Newest-frame-only happens
 * above the socket: a frame queued behind a deep kernel buffer is already old
 * when it leaves, so a slow client would watch the past (with default buffers
 * of several MB, tens of seconds). A client that keeps up drains the queue at
 * once and gets the larger limit, so a big frame still goes out in few
 * writes; one that falls behind gets the smaller one, so what it receives is
 * as recent as its link allows. */
#define CLIENT_NOTSENT_LOWAT (16 * 1024)
#define SLOW_CLIENT_NOTSENT_LOWAT (2 * 1024)

/* A pipelined request or two fit; a client that streams data at us is not
 * watching, it is keeping the server thread busy. */
#define INPUT_LIMIT 4096

/* A cap of a frame a day is as good as no frame at all; it keeps the due
 * time far from overflowing for the smallest ?fps= a request can carry. */
#define GST_MJPEG_HTTP_CLIENT_PATH_SHOWN 256

#define INTERVAL_MAX_US (G_GINT64_CONSTANT (86400) * G_USEC_PER_SEC)

/* fps is counted in one-second windows: the current one and the one before,
 * so a reading covers the frames of the last one to two seconds. */
#define FPS_WINDOW_US G_USEC_PER_SEC

GST_DEBUG_CATEGORY_EXTERN (gst_mjpeg_http_sink_debug);
#define GST_CAT_DEFAULT gst_mjpeg_http_sink_debug

struct _GstMjpegHttpClient
{
  GIOStream *stream;
  GPollableOutputStream *output;
  GInputStream *input;
  gint fd;
  gint epoll_fd;

  GstMjpegHttpLayout layout;
  GstMjpegHttpClientFunc func;
  gpointer user_data;
  gchar *description;
  GstMjpegHttpPeerKey peer;
  gchar *address;
  guint port;
  /* path and query as requested */
  gchar *path;
  gint64 connect_real_us;
  GstMjpegHttpStats *stats;

  /* what is in flight: a frame, or the closing when closing is TRUE */
  GstMjpegHttpFrame *frame;
  gboolean closing;
  gboolean want_close;
  gboolean need_opening;
  gboolean slow;
  gsize offset;
  guint64 last_number;
  /* when a pending write last made progress, or began */
  gint64 last_progress_us;
  gsize input_bytes;
  GstMjpegHttpSinkClientStatus status;
  /* writes go through TLS, which takes at most a record (16 KiB) a call:
   * a short write does not mean the socket is full */
  gboolean records;

  /* the cap: what the request asked for, the smaller of that and the
   * element's max-fps (0 none), its interval and the next due time */
  gdouble fps_asked;
  gdouble fps_limit;
  gint64 interval_us;
  gint64 due_us;

  guint64 frames_sent;
  guint64 frames_skipped;
  guint64 bytes_sent;
  /* monotonic time of the last write that made progress, 0 none */
  gint64 last_write_us;
  /* frames sent in the window that ends at window_end_us and in the one
   * before it, when the first of each went, and the last two frames */
  guint window_frames;
  guint prev_window_frames;
  gint64 window_end_us;
  gint64 window_first_us;
  gint64 prev_window_first_us;
  gint64 last_frame_us;
  gint64 frame_before_us;
};

/* Takes ownership of @stream, a connection stolen from libsoup. @path (path
 * and query as requested) is copied; @fps is the cap the request asked for
 * (0 none), @max_fps the element's; what is sent is counted into @stats
 * (transfer none), which must outlive the client. */
GstMjpegHttpClient *
gst_mjpeg_http_client_new (GIOStream * stream, GstMjpegHttpLayout layout,
    const GstMjpegHttpPeerKey * peer, const gchar * path, gdouble fps,
    gdouble max_fps, GstMjpegHttpStats * stats, gint epoll_fd, gint64 now_us,
    GstMjpegHttpClientFunc func, gpointer user_data, GError ** error)
{
  GstMjpegHttpClient *client;
  GSocket *socket;
  GOutputStream *output;
  GSocketAddress *addr;
  struct epoll_event ev;
  gint lowat = CLIENT_NOTSENT_LOWAT;

  socket = gst_mjpeg_http_stream_get_socket (stream);
  output = g_io_stream_get_output_stream (stream);
  if (!G_IS_SOCKET (socket) || !G_IS_POLLABLE_OUTPUT_STREAM (output)
      || !g_pollable_output_stream_can_poll (G_POLLABLE_OUTPUT_STREAM (output)))
    goto not_a_socket;

  client = g_new0 (GstMjpegHttpClient, 1);
  client->stream = stream;
  client->output = G_POLLABLE_OUTPUT_STREAM (output);
  client->input = g_io_stream_get_input_stream (stream);
  client->fd = g_socket_get_fd (socket);
  client->epoll_fd = epoll_fd;
  client->layout = layout;
  client->func = func;
  client->user_data = user_data;
  addr = g_socket_get_remote_address (socket, NULL);
  client->description = gst_mjpeg_http_peer_describe (addr);
  if (G_IS_INET_SOCKET_ADDRESS (addr)) {
    GInetSocketAddress *inet = G_INET_SOCKET_ADDRESS (addr);

    client->address =
        g_inet_address_to_string (g_inet_socket_address_get_address (inet));
    client->port = g_inet_socket_address_get_port (inet);
  } else {
    client->address = g_strdup ("");
  }
  g_clear_object (&addr);
  client->peer = *peer;
  /* shown in the figures and events: an attacker's 4 KB path would be
   * copied to every reader of them */
  client->path = g_strndup (path, GST_MJPEG_HTTP_CLIENT_PATH_SHOWN);
  client->connect_real_us = g_get_real_time ();
  client->stats = stats;
  client->fps_asked = fps;
  gst_mjpeg_http_client_set_max_fps (client, max_fps);
  client->window_end_us = now_us + FPS_WINDOW_US;
  client->need_opening = TRUE;
  client->last_progress_us = now_us;
  client->records = gst_mjpeg_http_stream_is_tls (stream);

  /* Best effort: a kernel without it just buffers more. */
  setsockopt (client->fd, IPPROTO_TCP, TCP_NOTSENT_LOWAT, &lowat,
      sizeof (lowat));

  ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
  ev.data.ptr = client;
  if (epoll_ctl (epoll_fd, EPOLL_CTL_ADD, client->fd, &ev) < 0)
    goto epoll_failed;

  return client;

  /* ERRORS */
not_a_socket:
  {
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
        "connection is not a pollable socket");
    g_object_unref (stream);
    return NULL;
  }
epoll_failed:
  {
    gint errsv = errno;

    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
        "cannot watch the socket: %s", g_strerror (errsv));
    client->epoll_fd = -1;
    gst_mjpeg_http_client_free (client);
    return NULL;
  }
}

/* Closes the connection; what is already in the kernel is still delivered. */
void
gst_mjpeg_http_client_free (GstMjpegHttpClient * client)
{
  if (client->epoll_fd >= 0)
    epoll_ctl (client->epoll_fd, EPOLL_CTL_DEL, client->fd, NULL);
  g_io_stream_close (client->stream, NULL, NULL);
  g_object_unref (client->stream);
  g_clear_pointer (&client->frame, gst_mjpeg_http_frame_unref);
  g_free (client->description);
  g_free (client->address);
  g_free (client->path);
  g_free (client);
}

const gchar *
gst_mjpeg_http_client_get_description (GstMjpegHttpClient * client)
{
  return client->description;
}

const GstMjpegHttpPeerKey *
gst_mjpeg_http_client_get_peer (GstMjpegHttpClient * client)
{
  return &client->peer;
}

/* TRUE while the opening, a frame or the closing has not wholly gone out. */
gboolean
gst_mjpeg_http_client_is_busy (GstMjpegHttpClient * client)
{
  return client->need_opening || client->frame != NULL || client->closing;
}

/* Busy, and not one byte taken for @timeout_us. */
gboolean
gst_mjpeg_http_client_is_stalled (GstMjpegHttpClient * client, gint64 now_us,
    gint64 timeout_us)
{
  return gst_mjpeg_http_client_is_busy (client)
      && now_us - client->last_progress_us >= timeout_us;
}

guint64
gst_mjpeg_http_client_get_last_number (GstMjpegHttpClient * client)
{
  return client->last_number;
}

/* The cap becomes the smaller of what the request asked for and @max_fps
 * (0: none). A pending due time keeps its start: the next frame goes one
 * new interval after the last one. */
void
gst_mjpeg_http_client_set_max_fps (GstMjpegHttpClient * client, gdouble max_fps)
{
  gdouble fps = client->fps_asked;
  gint64 interval = 0;

  if (max_fps > 0 && (fps <= 0 || max_fps < fps))
    fps = max_fps;
  if (fps > 0)
    interval = MIN (G_USEC_PER_SEC / fps, (gdouble) INTERVAL_MAX_US);

  if (client->interval_us > 0 && interval > 0)
    client->due_us += interval - client->interval_us;
  client->fps_limit = fps > 0 ? fps : 0;
  client->interval_us = interval;
}

/* The monotonic time from which it may be sent the next frame; 0 when it
 * has no cap. */
gint64
gst_mjpeg_http_client_get_due (GstMjpegHttpClient * client)
{
  return client->interval_us > 0 ? client->due_us : 0;
}

/* One more frame wholly in the kernel. */
static void
gst_mjpeg_http_client_count_frame (GstMjpegHttpClient * client, gint64 now_us)
{
  client->frames_sent++;
  if (now_us >= client->window_end_us) {
    if (now_us < client->window_end_us + FPS_WINDOW_US) {
      client->prev_window_frames = client->window_frames;
      client->prev_window_first_us = client->window_first_us;
      client->window_end_us += FPS_WINDOW_US;
    } else {
      client->prev_window_frames = 0;
      client->window_end_us = now_us + FPS_WINDOW_US;
    }
    client->window_frames = 0;
  }
  if (client->window_frames++ == 0)
    client->window_first_us = now_us;
  client->frame_before_us = client->last_frame_us;
  client->last_frame_us = now_us;
}

/* Frames sent per second over the current window and the one before it:
 * the frames' own spacing, (n - 1) frames between the first and the last,
 * so that a steady 2 fps reads 2 whenever it is read; once frames stop
 * coming, the time since the last one counts and the reading falls, to 0
 * when the windows hold none. */
static gdouble
gst_mjpeg_http_client_get_fps (GstMjpegHttpClient * client, gint64 now_us)
{
  gint64 end = client->window_end_us, first, spacing, since;
  guint frames = client->window_frames + client->prev_window_frames;

  first = client->prev_window_frames > 0 ? client->prev_window_first_us :
      client->window_first_us;
  /* the windows as the next frame would find them */
  if (now_us >= end + FPS_WINDOW_US)
    return 0;
  if (now_us >= end) {
    frames = client->window_frames;
    first = client->window_first_us;
  }
  if (frames == 0)
    return 0;

  if (frames == 1) {
    /* one frame in two seconds: its distance to the one before */
    if (client->frame_before_us == 0)
      return 0;
    frames = 2;
    first = client->frame_before_us;
  }
  spacing = (client->last_frame_us - first) / (frames - 1);
  since = now_us - client->last_frame_us;
  if (since > spacing)
    return (frames - 1) * (gdouble) G_USEC_PER_SEC /
        (client->last_frame_us - first + since - spacing);
  return (frames - 1) * (gdouble) G_USEC_PER_SEC /
      MAX (client->last_frame_us - first, 1);
}

/* A "client" structure: address, port, path, fps-limit, connect-time,
 * frames-sent, frames-skipped, bytes-sent, fps, last-activity-time (wall
 * clock times in ns since the Unix epoch, 0 none). Transfer full. */
GstStructure *
gst_mjpeg_http_client_get_stats (GstMjpegHttpClient * client, gint64 now_us,
    gint64 now_real_us)
{
  guint64 last_activity = 0;

  if (client->last_write_us)
    last_activity = (now_real_us - (now_us - client->last_write_us))
        * (guint64) 1000;
  return gst_structure_new ("client",
      "address", G_TYPE_STRING, client->address,
      "port", G_TYPE_UINT, client->port,
      "path", G_TYPE_STRING, client->path,
      "fps-limit", G_TYPE_DOUBLE, client->fps_limit,
      "connect-time", G_TYPE_UINT64,
      (guint64) client->connect_real_us * 1000,
      "frames-sent", G_TYPE_UINT64, client->frames_sent,
      "frames-skipped", G_TYPE_UINT64, client->frames_skipped,
      "bytes-sent", G_TYPE_UINT64, client->bytes_sent,
      "fps", G_TYPE_DOUBLE, gst_mjpeg_http_client_get_fps (client, now_us),
      "last-activity-time", G_TYPE_UINT64, last_activity, NULL);
}

const gchar *
gst_mjpeg_http_client_get_path (GstMjpegHttpClient * client)
{
  return client->path;
}

static void
add_segment (GOutputVector * vec, guint * n, gsize * skip, const void *data,
    gsize size)
{
  if (*skip >= size) {
    *skip -= size;
    return;
  }
  vec[*n].buffer = (const guint8 *) data + *skip;
  vec[*n].size = size - *skip;
  *skip = 0;
  (*n)++;
}

/* One writev of what is left of the opening, of [part header][JPEG][trailer]
 * or of the closing: one of them at a time, as send() and close() wait for
 * what is in flight. */
static GstMjpegHttpClientResult
gst_mjpeg_http_client_fail (GstMjpegHttpClient * client, GError * err,
    const gchar * what)
{
  client->status = g_error_matches (err, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE)
      || g_error_matches (err, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED) ?
      GST_MJPEG_HTTP_SINK_CLIENT_STATUS_CLOSED :
      GST_MJPEG_HTTP_SINK_CLIENT_STATUS_ERROR;
  GST_DEBUG ("client %s: %s failed: %s", client->description, what,
      err->message);
  g_error_free (err);
  return GST_MJPEG_HTTP_CLIENT_GONE;
}

static GstMjpegHttpClientResult
gst_mjpeg_http_client_write (GstMjpegHttpClient * client, gint64 now_us)
{
  GOutputVector vec[4];
  guint n;
  gsize skip, left, written, len, i;
  const gchar *str;
  GPollableReturn ret;
  GError *err = NULL;

again:
  n = 0;
  skip = client->offset;
  left = 0;
  written = 0;

  if (client->need_opening) {
    str = gst_mjpeg_http_multipart_opening (client->layout, &len);
    add_segment (vec, &n, &skip, str, len);
  }
  if (client->closing) {
    str = gst_mjpeg_http_multipart_closing (client->layout, &len);
    add_segment (vec, &n, &skip, str, len);
  } else if (client->frame) {
    if (client->layout == GST_MJPEG_HTTP_LAYOUT_LENGTH)
      add_segment (vec, &n, &skip, client->frame->header,
          client->frame->header_len);
    add_segment (vec, &n, &skip, client->frame->data, client->frame->size);
    str = gst_mjpeg_http_multipart_trailer (client->layout, &len);
    add_segment (vec, &n, &skip, str, len);
  }
  for (i = 0; i < n; i++)
    left += vec[i].size;

  ret = g_pollable_output_stream_writev_nonblocking (client->output, vec, n,
      &written, NULL, &err);
  if (ret == G_POLLABLE_RETURN_WOULD_BLOCK)
    return GST_MJPEG_HTTP_CLIENT_PENDING;
  if (ret == G_POLLABLE_RETURN_FAILED)
    return gst_mjpeg_http_client_fail (client, err, "write");

  if (written > 0) {
    client->last_progress_us = now_us;
    client->last_write_us = now_us;
    client->bytes_sent += written;
  }
  if (written < left) {
    if (written > 0)
      gst_mjpeg_http_stats_count_sent (client->stats, written, 0);
    client->offset += written;
    /* Over TLS, on until the socket is full: the edge-triggered EPOLLOUT
     * comes only after a write found it full. Over plain TCP a short
     * write already did. */
    if (client->records && written > 0)
      goto again;
    return GST_MJPEG_HTTP_CLIENT_PENDING;
  }

  client->offset = 0;
  client->need_opening = FALSE;
  if (client->frame) {
    gst_mjpeg_http_client_count_frame (client, now_us);
    gst_mjpeg_http_frame_unref (client->frame);
    client->frame = NULL;
    gst_mjpeg_http_stats_count_sent (client->stats, written, 1);
  } else {
    gst_mjpeg_http_stats_count_sent (client->stats, written, 0);
  }
  if (client->closing) {
    client->closing = FALSE;
    client->status = GST_MJPEG_HTTP_SINK_CLIENT_STATUS_EOS;
    return GST_MJPEG_HTTP_CLIENT_GONE;
  }
  if (client->want_close)
    return gst_mjpeg_http_client_close (client, now_us);
  return GST_MJPEG_HTTP_CLIENT_SENT;
}

/* Sends the opening boundary (and, in the ADVANCE layout, the first part's
 * header block) at once, so a client sees the stream start before any frame
 * exists. */
GstMjpegHttpClientResult
gst_mjpeg_http_client_start (GstMjpegHttpClient * client, gint64 now_us)
{
  return gst_mjpeg_http_client_write (client, now_us);
}

/* The client was still busy when a newer frame came: from now on the kernel
 * keeps less queued for it. */
void
gst_mjpeg_http_client_mark_slow (GstMjpegHttpClient * client)
{
  gint lowat = SLOW_CLIENT_NOTSENT_LOWAT;

  if (client->slow)
    return;
  client->slow = TRUE;
  setsockopt (client->fd, IPPROTO_TCP, TCP_NOTSENT_LOWAT, &lowat,
      sizeof (lowat));
}

/* Starts sending @frame (transfer none) to a client that is not busy.
 * On GONE, gst_mjpeg_http_client_get_status() says why. */
GstMjpegHttpClientResult
gst_mjpeg_http_client_send (GstMjpegHttpClient * client,
    GstMjpegHttpFrame * frame, gint64 now_us)
{
  g_return_val_if_fail (!gst_mjpeg_http_client_is_busy (client),
      GST_MJPEG_HTTP_CLIENT_PENDING);

  client->frame = gst_mjpeg_http_frame_ref (frame);
  /* numbers are consecutive: the ones in between came while it could not
   * take them (busy, or before its due time); counted from its first */
  if (client->last_number > 0 && frame->number > client->last_number)
    client->frames_skipped += frame->number - client->last_number - 1;
  client->last_number = frame->number;
  client->last_progress_us = now_us;
  if (client->interval_us > 0) {
    client->due_us += client->interval_us;
    if (client->due_us <= now_us)
      client->due_us = now_us + client->interval_us;
  }
  return gst_mjpeg_http_client_write (client, now_us);
}

/* Ends the stream with the closing delimiter, after what is in flight if
 * any. Returns GONE once the closing has gone out: the caller then frees the
 * client. */
GstMjpegHttpClientResult
gst_mjpeg_http_client_close (GstMjpegHttpClient * client, gint64 now_us)
{
  if (client->frame || client->need_opening) {
    client->want_close = TRUE;
    return GST_MJPEG_HTTP_CLIENT_PENDING;
  }
  if (client->closing)
    return GST_MJPEG_HTTP_CLIENT_PENDING;

  client->want_close = FALSE;
  client->closing = TRUE;
  client->last_progress_us = now_us;
  return gst_mjpeg_http_client_write (client, now_us);
}

GstMjpegHttpSinkClientStatus
gst_mjpeg_http_client_get_status (GstMjpegHttpClient * client)
{
  return client->status;
}

/* Returns TRUE while the peer may still be there. A request pipelined
 * after ours is read and dropped; past INPUT_LIMIT bytes the client is
 * dropped instead, so reading never takes more than that from the others.
 * Edge-triggered epoll: what is not read now is announced again only with
 * new data, and a client that sends more is over the limit anyway. */
static gboolean
gst_mjpeg_http_client_drain_input (GstMjpegHttpClient * client)
{
  gchar scratch[INPUT_LIMIT + 1];
  gssize r;
  GError *err = NULL;

  for (;;) {
    r = g_pollable_input_stream_read_nonblocking (G_POLLABLE_INPUT_STREAM
        (client->input), scratch, INPUT_LIMIT + 1 - client->input_bytes, NULL,
        &err);
    if (r > 0) {
      client->input_bytes += r;
      if (client->input_bytes > INPUT_LIMIT) {
        GST_DEBUG ("client %s sent more than %d bytes after its request",
            client->description, INPUT_LIMIT);
        client->status = GST_MJPEG_HTTP_SINK_CLIENT_STATUS_SENT_DATA;
        return FALSE;
      }
      continue;
    }
    if (r == 0) {
      client->status = GST_MJPEG_HTTP_SINK_CLIENT_STATUS_CLOSED;
      return FALSE;
    }
    if (g_error_matches (err, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)) {
      g_error_free (err);
      return TRUE;
    }
    gst_mjpeg_http_client_fail (client, err, "read");
    return FALSE;
  }
}

/* Called by the fan-out's poller with the epoll events of this client. May
 * end in the callback, which may free the client. */
void
gst_mjpeg_http_client_handle_events (GstMjpegHttpClient * client,
    guint32 events, gint64 now_us)
{
  GstMjpegHttpClientResult res;

  if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
    if (!gst_mjpeg_http_client_drain_input (client)) {
      client->func (client, GST_MJPEG_HTTP_CLIENT_GONE, client->user_data);
      return;
    }
  }

  if (!(events & EPOLLOUT) || !gst_mjpeg_http_client_is_busy (client))
    return;

  res = gst_mjpeg_http_client_write (client, now_us);
  if (res != GST_MJPEG_HTTP_CLIENT_PENDING)
    client->func (client, res, client->user_data);
}
