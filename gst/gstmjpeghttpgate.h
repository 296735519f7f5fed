/* mjpeghttp
 * Copyright (C) 2026 mjpeghttp developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

#ifndef __GST_MJPEG_HTTP_GATE_H__
#define __GST_MJPEG_HTTP_GATE_H__

#include <gio/gio.h>

#include "gstmjpeghttpaccess.h"
#include "gstmjpeghttplimits.h"
#include "gstmjpeghttppeers.h"
#include "gstmjpeghttprequest.h"
#include "gstmjpeghttpstats.h"

G_BEGIN_DECLS

typedef struct _GstMjpegHttpGate GstMjpegHttpGate;

/* What the gate let through: a complete, valid request within every limit.
 * A stream request holds a stream slot until the client that it becomes
 * takes it over (gst_mjpeg_http_ticket_take_stream()) or the ticket is
 * freed. */
typedef struct
{
  GstMjpegHttpRequest request;
  GstMjpegHttpRoute route;
  GstMjpegHttpPeerKey peer;
  gboolean holds_stream;
  GstMjpegHttpPeers *peers;
  /* the connection's socket, alive as long as the ticket: to cut off an
   * answer its client does not take */
  gint fd;
  /* a handler has seen it: a second request on the connection has not
   * passed the gate */
  gboolean answered;
} GstMjpegHttpTicket;

/* Where to listen and what each path is: fixed while the server runs. */
typedef struct
{
  const gchar *address;
  guint port;
  guint listen_backlog;
  /* the strings must outlive the gate */
  GstMjpegHttpPaths paths;
  /* who may watch; never NULL, must outlive the gate */
  const GstMjpegHttpAccess *access;
} GstMjpegHttpGateConfig;

/* Called on the server thread. Reading @stream (transfer full) gives the
 * request head again, then what the peer sends next; @connection (transfer
 * none) is the socket's, under it; @ticket (transfer full) says what the
 * request is. */
typedef void (*GstMjpegHttpGatePassFunc) (GIOStream * stream,
    GSocketConnection * connection, GSocketAddress * remote,
    GstMjpegHttpTicket * ticket, gpointer user_data);

/* Called on the server thread once when accepting starts to fail, with a
 * sentence for the user. */
typedef void (*GstMjpegHttpGateWarnFunc) (const gchar * message,
    gpointer user_data);

GstMjpegHttpGate * gst_mjpeg_http_gate_new (const GstMjpegHttpGateConfig * config,
                                            const GstMjpegHttpLimits * limits,
                                            GMainContext * context,
                                            GstMjpegHttpPeers * peers,
                                            GstMjpegHttpStats * stats,
                                            GstMjpegHttpGatePassFunc pass,
                                            GstMjpegHttpGateWarnFunc warn,
                                            gpointer user_data,
                                            GError ** error);

guint              gst_mjpeg_http_gate_get_port (GstMjpegHttpGate * gate);

void               gst_mjpeg_http_gate_set_limits (GstMjpegHttpGate * gate,
                                                   const GstMjpegHttpLimits * limits);

void               gst_mjpeg_http_gate_close (GstMjpegHttpGate * gate);

void               gst_mjpeg_http_gate_shutdown (GstMjpegHttpGate * gate);

void               gst_mjpeg_http_gate_free (GstMjpegHttpGate * gate);

void               gst_mjpeg_http_ticket_take_stream (GstMjpegHttpTicket * ticket);

void               gst_mjpeg_http_ticket_release_stream (GstMjpegHttpTicket * ticket);

void               gst_mjpeg_http_ticket_free (GstMjpegHttpTicket * ticket);

G_END_DECLS

#endif /* __GST_MJPEG_HTTP_GATE_H__ */
