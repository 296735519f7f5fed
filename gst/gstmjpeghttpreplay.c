/* mjpeghttp
 * Copyright (C) 2026 mjpeghttp developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

/* A connection whose first bytes were already read: reading it gives those
 * bytes again first, then what the socket has. The gate reads a request
 * head as it arrives, each byte once (peeking at it instead costs, in the
 * kernel, a walk over every segment still queued, every time: a head sent
 * a byte per segment then takes milliseconds per wake-up), judges it, and
 * hands libsoup this stream, from which libsoup reads the head as if it
 * came from the socket. Writing goes straight to the socket.
 *
 * Threads: a stream belongs to the thread that uses it (the server
 * thread); nothing here is shared.
 */

#include "gstmjpeghttpreplay.h"
#include "gstmjpeghttprecords.h"

#include <string.h>

/* ---- the input: first bytes, then the socket's -------------------------- */

#define REPLAY_TYPE_INPUT (replay_input_get_type ())
G_DECLARE_FINAL_TYPE (ReplayInput, replay_input, REPLAY, INPUT, GInputStream);

struct _ReplayInput
{
  GInputStream parent;
  GInputStream *base;
  GBytes *first;
  gsize offset;
};

static void replay_input_pollable_init (GPollableInputStreamInterface * iface);

G_DEFINE_TYPE_WITH_CODE (ReplayInput, replay_input, G_TYPE_INPUT_STREAM,
    G_IMPLEMENT_INTERFACE (G_TYPE_POLLABLE_INPUT_STREAM,
        replay_input_pollable_init));

static gsize
replay_input_left (ReplayInput * in)
{
  return in->first ? g_bytes_get_size (in->first) - in->offset : 0;
}

/* Copies what is left of the first bytes, if any. */
static gssize
replay_input_take (ReplayInput * in, void *buffer, gsize count)
{
  gsize n = MIN (count, replay_input_left (in));

  memcpy (buffer, (const guint8 *) g_bytes_get_data (in->first, NULL) +
      in->offset, n);
  in->offset += n;
  if (replay_input_left (in) == 0)
    g_clear_pointer (&in->first, g_bytes_unref);
  return n;
}

static gssize
replay_input_read (GInputStream * stream, void *buffer, gsize count,
    GCancellable * cancellable, GError ** error)
{
  ReplayInput *in = REPLAY_INPUT (stream);

  if (replay_input_left (in) > 0)
    return replay_input_take (in, buffer, count);
  return g_input_stream_read (in->base, buffer, count, cancellable, error);
}

/* The socket is closed with the connection, by the GIOStream. */
static gboolean
replay_input_close (GInputStream * stream, GCancellable * cancellable,
    GError ** error)
{
  return TRUE;
}

static gboolean
replay_input_can_poll (GPollableInputStream * stream)
{
  return g_pollable_input_stream_can_poll (G_POLLABLE_INPUT_STREAM
      (REPLAY_INPUT (stream)->base));
}

static gboolean
replay_input_is_readable (GPollableInputStream * stream)
{
  ReplayInput *in = REPLAY_INPUT (stream);

  return replay_input_left (in) > 0
      || g_pollable_input_stream_is_readable (G_POLLABLE_INPUT_STREAM
      (in->base));
}

static GSource *
replay_input_create_source (GPollableInputStream * stream,
    GCancellable * cancellable)
{
  ReplayInput *in = REPLAY_INPUT (stream);
  GSource *base, *source;

  if (replay_input_left (in) > 0) {
    /* readable now */
    source = g_pollable_source_new (G_OBJECT (stream));
    g_source_set_ready_time (source, 0);
    return source;
  }
  base = g_pollable_input_stream_create_source (G_POLLABLE_INPUT_STREAM
      (in->base), cancellable);
  source = g_pollable_source_new_full (stream, base, cancellable);
  g_source_unref (base);
  return source;
}

static gssize
replay_input_read_nonblocking (GPollableInputStream * stream, void *buffer,
    gsize count, GError ** error)
{
  ReplayInput *in = REPLAY_INPUT (stream);

  if (replay_input_left (in) > 0)
    return replay_input_take (in, buffer, count);
  return g_pollable_input_stream_read_nonblocking (G_POLLABLE_INPUT_STREAM
      (in->base), buffer, count, NULL, error);
}

static void
replay_input_finalize (GObject * object)
{
  ReplayInput *in = REPLAY_INPUT (object);

  g_clear_pointer (&in->first, g_bytes_unref);
  g_clear_object (&in->base);
  G_OBJECT_CLASS (replay_input_parent_class)->finalize (object);
}

static void
replay_input_class_init (ReplayInputClass * klass)
{
  GInputStreamClass *input_class = G_INPUT_STREAM_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = replay_input_finalize;
  input_class->read_fn = replay_input_read;
  input_class->close_fn = replay_input_close;
}

static void
replay_input_pollable_init (GPollableInputStreamInterface * iface)
{
  iface->can_poll = replay_input_can_poll;
  iface->is_readable = replay_input_is_readable;
  iface->create_source = replay_input_create_source;
  iface->read_nonblocking = replay_input_read_nonblocking;
}

static void
replay_input_init (ReplayInput * in)
{
}

/* ---- the connection ------------------------------------------------------ */

#define REPLAY_TYPE_STREAM (replay_stream_get_type ())
G_DECLARE_FINAL_TYPE (ReplayStream, replay_stream, REPLAY, STREAM, GIOStream);

struct _ReplayStream
{
  GIOStream parent;
  GIOStream *base;
  GInputStream *input;
};

G_DEFINE_TYPE (ReplayStream, replay_stream, G_TYPE_IO_STREAM);

static GInputStream *
replay_stream_get_input_stream (GIOStream * stream)
{
  return REPLAY_STREAM (stream)->input;
}

static GOutputStream *
replay_stream_get_output_stream (GIOStream * stream)
{
  return g_io_stream_get_output_stream (REPLAY_STREAM (stream)->base);
}

/* A TLS close sends an alert first, in a write that blocks until the peer
 * takes it: a peer that reads nothing would hold the server thread. The
 * socket is shut first, so that write fails at once and the peer sees the
 * end of the connection without the alert; what was sent before still
 * arrives. */
static gboolean
replay_stream_close (GIOStream * stream, GCancellable * cancellable,
    GError ** error)
{
  GIOStream *base = REPLAY_STREAM (stream)->base;

  if (G_IS_TLS_CONNECTION (base)) {
    GSocket *socket = gst_mjpeg_http_stream_get_socket (base);

    if (socket)
      g_socket_shutdown (socket, TRUE, TRUE, NULL);
    g_io_stream_close (base, cancellable, NULL);
    return TRUE;
  }
  return g_io_stream_close (base, cancellable, error);
}

static void
replay_stream_closed (GObject * base, GAsyncResult * result, gpointer user_data)
{
  GTask *task = user_data;
  GError *error = NULL;

  if (g_io_stream_close_finish (G_IO_STREAM (base), result, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
  g_object_unref (task);
}

/* On the caller's thread, as the socket's own close: GIOStream's default
 * would close from a worker thread. */
static void
replay_stream_close_async (GIOStream * stream, int io_priority,
    GCancellable * cancellable, GAsyncReadyCallback callback,
    gpointer user_data)
{
  GTask *task = g_task_new (stream, cancellable, callback, user_data);

  if (G_IS_TLS_CONNECTION (REPLAY_STREAM (stream)->base)) {
    /* never blocks (see replay_stream_close()), and a worker thread would
     * wait for the peer with no bound */
    replay_stream_close (stream, cancellable, NULL);
    g_task_return_boolean (task, TRUE);
    g_object_unref (task);
    return;
  }
  g_io_stream_close_async (REPLAY_STREAM (stream)->base, io_priority,
      cancellable, replay_stream_closed, task);
}

static gboolean
replay_stream_close_finish (GIOStream * stream, GAsyncResult * result,
    GError ** error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
replay_stream_finalize (GObject * object)
{
  ReplayStream *rs = REPLAY_STREAM (object);

  g_clear_object (&rs->input);
  g_clear_object (&rs->base);
  G_OBJECT_CLASS (replay_stream_parent_class)->finalize (object);
}

static void
replay_stream_class_init (ReplayStreamClass * klass)
{
  GIOStreamClass *io_class = G_IO_STREAM_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = replay_stream_finalize;
  io_class->get_input_stream = replay_stream_get_input_stream;
  io_class->get_output_stream = replay_stream_get_output_stream;
  io_class->close_fn = replay_stream_close;
  io_class->close_async = replay_stream_close_async;
  io_class->close_finish = replay_stream_close_finish;
}

static void
replay_stream_init (ReplayStream * rs)
{
}

/* @base (transfer none), whose input must be pollable; @first (transfer
 * none) is read before anything from @base. */
GIOStream *
gst_mjpeg_http_replay_stream_new (GIOStream * base, GBytes * first)
{
  ReplayStream *rs = g_object_new (REPLAY_TYPE_STREAM, NULL);
  ReplayInput *in = g_object_new (REPLAY_TYPE_INPUT, NULL);

  in->base = g_object_ref (g_io_stream_get_input_stream (base));
  in->first = g_bytes_get_size (first) > 0 ? g_bytes_ref (first) : NULL;
  rs->base = g_object_ref (base);
  rs->input = G_INPUT_STREAM (in);
  return G_IO_STREAM (rs);
}

/* The socket under a connection, through the wrappers libsoup and the gate
 * put around it (SoupIOStream's "base-iostream", a replay stream's base,
 * a TLS connection's "base-io-stream");
 * NULL if there is none. Transfer none: the connection keeps it. */
/* The stream a wrapper stands on, or NULL for one we cannot see under
 * (transfer none: the wrapper keeps it). */
static GIOStream *
base_of (GIOStream * stream)
{
  const gchar *property;
  GIOStream *base = NULL;

  if (REPLAY_IS_STREAM (stream))
    return REPLAY_STREAM (stream)->base;
  if (gst_mjpeg_http_is_record_guard (stream))
    return gst_mjpeg_http_record_guard_get_base (stream);
  if (G_IS_TLS_CONNECTION (stream))
    property = "base-io-stream";
  else if (g_object_class_find_property (G_OBJECT_GET_CLASS (stream),
          "base-iostream"))
    property = "base-iostream";
  else
    return NULL;
  g_object_get (stream, property, &base, NULL);
  if (base)
    g_object_unref (base);
  return base;
}

GSocket *
gst_mjpeg_http_stream_get_socket (GIOStream * stream)
{
  for (; stream; stream = base_of (stream)) {
    if (G_IS_SOCKET_CONNECTION (stream))
      return g_socket_connection_get_socket (G_SOCKET_CONNECTION (stream));
  }
  return NULL;
}

/* Whether TLS is somewhere under @stream (see
 * gst_mjpeg_http_stream_get_socket() for the wrappers looked through). */
gboolean
gst_mjpeg_http_stream_is_tls (GIOStream * stream)
{
  for (; stream; stream = base_of (stream)) {
    if (G_IS_TLS_CONNECTION (stream))
      return TRUE;
  }
  return FALSE;
}
