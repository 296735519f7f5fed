/* mjpeghttp
 * Copyright (C) 2026 mjpeghttp developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

/* A record guard: the connection under a TLS server connection, which
 * follows the TLS records the peer sends and, once sealed after the
 * handshake, ends the connection at the first handshake record.
 *
 * Why: after the handshake, a handshake record from the peer is a TLS 1.2
 * renegotiation (TLS 1.3 has none: its later handshake messages travel as
 * application data). GIO answers it with a new handshake on a worker
 * thread, outside the gate's bounds on handshakes and with no deadline; a
 * peer that renegotiates and stalls pins a worker for good, and a few
 * dozen such peers take GLib's whole pool, so that no https client gets
 * in. The guard turns the renegotiation into a read error instead: GnuTLS
 * sees the connection fail and never starts the handshake.
 *
 * Only the input is watched; the output is the base's own.
 *
 * Threads: read by one thread at a time (the handshake's worker, then the
 * server thread; the handshake's completion orders them); sealed on the
 * server thread after the handshake.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstmjpeghttprecords.h"

#define RECORD_HEADER 5
#define HANDSHAKE_RECORD 0x16

/* ---- the input ---------------------------------------------------------- */

#define GUARD_TYPE_INPUT (guard_input_get_type ())
G_DECLARE_FINAL_TYPE (GuardInput, guard_input, GUARD, INPUT, GInputStream);

struct _GuardInput
{
  GInputStream parent;
  GInputStream *base;
  gboolean sealed;
  gboolean broken;
  /* where the peer's byte stream is: inside a record's header (header_len
   * bytes of it seen) or its body (body_left bytes to come) */
  guint8 header[RECORD_HEADER];
  gsize header_len;
  gsize body_left;
};

static void guard_input_pollable_init (GPollableInputStreamInterface * iface);

G_DEFINE_TYPE_WITH_CODE (GuardInput, guard_input, G_TYPE_INPUT_STREAM,
    G_IMPLEMENT_INTERFACE (G_TYPE_POLLABLE_INPUT_STREAM,
        guard_input_pollable_init));

/* Follows @n bytes the peer sent; FALSE at a forbidden record. */
static gboolean
guard_input_follow (GuardInput * in, const guint8 * data, gsize n)
{
  while (n > 0) {
    gsize take;

    if (in->body_left > 0) {
      take = MIN (in->body_left, n);
      in->body_left -= take;
      data += take;
      n -= take;
      continue;
    }
    in->header[in->header_len++] = *data++;
    n--;
    if (in->header_len < RECORD_HEADER)
      continue;
    in->header_len = 0;
    in->body_left = (gsize) in->header[3] << 8 | in->header[4];
    if (in->sealed && in->header[0] == HANDSHAKE_RECORD)
      return FALSE;
  }
  return TRUE;
}

static gssize
guard_input_check (GuardInput * in, gssize n, const void *buffer,
    GError ** error)
{
  if (n > 0 && !guard_input_follow (in, buffer, n))
    in->broken = TRUE;
  if (!in->broken)
    return n;
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
      "the peer tried to renegotiate TLS");
  return -1;
}

static gssize
guard_input_read (GInputStream * stream, void *buffer, gsize count,
    GCancellable * cancellable, GError ** error)
{
  GuardInput *in = GUARD_INPUT (stream);
  gssize n = in->broken ? 0 : g_input_stream_read (in->base, buffer, count,
      cancellable, error);

  return guard_input_check (in, n, buffer, error);
}

static gssize
guard_input_read_nonblocking (GPollableInputStream * stream, void *buffer,
    gsize count, GError ** error)
{
  GuardInput *in = GUARD_INPUT (stream);
  gssize n = in->broken ? 0 :
      g_pollable_input_stream_read_nonblocking (G_POLLABLE_INPUT_STREAM
      (in->base), buffer, count, NULL, error);

  return guard_input_check (in, n, buffer, error);
}

/* The socket is closed with the connection. */
static gboolean
guard_input_close (GInputStream * stream, GCancellable * cancellable,
    GError ** error)
{
  return TRUE;
}

static gboolean
guard_input_can_poll (GPollableInputStream * stream)
{
  return g_pollable_input_stream_can_poll (G_POLLABLE_INPUT_STREAM
      (GUARD_INPUT (stream)->base));
}

static gboolean
guard_input_is_readable (GPollableInputStream * stream)
{
  GuardInput *in = GUARD_INPUT (stream);

  return in->broken || g_pollable_input_stream_is_readable
      (G_POLLABLE_INPUT_STREAM (in->base));
}

static GSource *
guard_input_create_source (GPollableInputStream * stream,
    GCancellable * cancellable)
{
  GSource *base, *source;

  base = g_pollable_input_stream_create_source (G_POLLABLE_INPUT_STREAM
      (GUARD_INPUT (stream)->base), cancellable);
  source = g_pollable_source_new_full (stream, base, cancellable);
  g_source_unref (base);
  return source;
}

static void
guard_input_finalize (GObject * object)
{
  g_clear_object (&GUARD_INPUT (object)->base);
  G_OBJECT_CLASS (guard_input_parent_class)->finalize (object);
}

static void
guard_input_class_init (GuardInputClass * klass)
{
  G_OBJECT_CLASS (klass)->finalize = guard_input_finalize;
  G_INPUT_STREAM_CLASS (klass)->read_fn = guard_input_read;
  G_INPUT_STREAM_CLASS (klass)->close_fn = guard_input_close;
}

static void
guard_input_pollable_init (GPollableInputStreamInterface * iface)
{
  iface->can_poll = guard_input_can_poll;
  iface->is_readable = guard_input_is_readable;
  iface->create_source = guard_input_create_source;
  iface->read_nonblocking = guard_input_read_nonblocking;
}

static void
guard_input_init (GuardInput * in)
{
}

/* ---- the connection ----------------------------------------------------- */

#define GUARD_TYPE_STREAM (guard_stream_get_type ())
G_DECLARE_FINAL_TYPE (GuardStream, guard_stream, GUARD, STREAM, GIOStream);

struct _GuardStream
{
  GIOStream parent;
  GIOStream *base;
  GuardInput *input;
};

G_DEFINE_TYPE (GuardStream, guard_stream, G_TYPE_IO_STREAM);

static GInputStream *
guard_stream_get_input_stream (GIOStream * stream)
{
  return G_INPUT_STREAM (GUARD_STREAM (stream)->input);
}

static GOutputStream *
guard_stream_get_output_stream (GIOStream * stream)
{
  return g_io_stream_get_output_stream (GUARD_STREAM (stream)->base);
}

static gboolean
guard_stream_close (GIOStream * stream, GCancellable * cancellable,
    GError ** error)
{
  return g_io_stream_close (GUARD_STREAM (stream)->base, cancellable, error);
}

static void
guard_stream_finalize (GObject * object)
{
  GuardStream *gs = GUARD_STREAM (object);

  g_clear_object (&gs->input);
  g_clear_object (&gs->base);
  G_OBJECT_CLASS (guard_stream_parent_class)->finalize (object);
}

static void
guard_stream_class_init (GuardStreamClass * klass)
{
  GIOStreamClass *io_class = G_IO_STREAM_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = guard_stream_finalize;
  io_class->get_input_stream = guard_stream_get_input_stream;
  io_class->get_output_stream = guard_stream_get_output_stream;
  io_class->close_fn = guard_stream_close;
}

static void
guard_stream_init (GuardStream * gs)
{
}

/* @base (transfer none): the socket's connection. */
GIOStream *
gst_mjpeg_http_record_guard_new (GIOStream * base)
{
  GuardStream *gs = g_object_new (GUARD_TYPE_STREAM, NULL);

  gs->base = g_object_ref (base);
  gs->input = g_object_new (GUARD_TYPE_INPUT, NULL);
  gs->input->base = g_object_ref (g_io_stream_get_input_stream (base));
  return G_IO_STREAM (gs);
}

/* The handshake is over: from now on a handshake record ends the
 * connection. */
void
gst_mjpeg_http_record_guard_seal (GIOStream * guard)
{
  GUARD_STREAM (guard)->input->sealed = TRUE;
}

gboolean
gst_mjpeg_http_is_record_guard (GIOStream * stream)
{
  return GUARD_IS_STREAM (stream);
}

/* Transfer none. */
GIOStream *
gst_mjpeg_http_record_guard_get_base (GIOStream * guard)
{
  return GUARD_STREAM (guard)->base;
}
