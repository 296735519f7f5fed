/* mjpeghttp
 * Copyright (C) 2026 mjpeghttp developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

#ifndef __GST_MJPEG_HTTP_SERVER_H__
#define __GST_MJPEG_HTTP_SERVER_H__

#include <glib.h>

#include "gstmjpeghttpframe.h"
#include "gstmjpeghttpgate.h"
#include "gstmjpeghttplimits.h"
#include "gstmjpeghttpstats.h"

G_BEGIN_DECLS

typedef struct _GstMjpegHttpServer GstMjpegHttpServer;

/* What is fixed while the server runs. */
typedef struct
{
  GstMjpegHttpGateConfig listen;
  GstMjpegHttpStats *stats;     /* counted into; must outlive the server */
  /* who may watch (transfer full, even when starting fails); the gate
   * uses it, not listen.access */
  GstMjpegHttpAccess *access;
} GstMjpegHttpServerConfig;

/* Called on the server thread, with no lock of the server held. A callback
 * may stop the server (gst_mjpeg_http_server_stop()). */
typedef struct
{
  void (*client_added) (const gchar * peer, gpointer user_data);
  void (*client_removed) (const gchar * peer,
      GstMjpegHttpSinkClientStatus status, gpointer user_data);
  /* nobody has been connected for idle_timeout_ms while playing */
  void (*idle) (gpointer user_data);
  /* a stream or snapshot request arrived after idle() */
  void (*wake) (const gchar * peer, const gchar * path, gpointer user_data);
  /* something the user should know and can act on */
  void (*warning) (const gchar * message, gpointer user_data);
} GstMjpegHttpServerCallbacks;

GstMjpegHttpServer * gst_mjpeg_http_server_start (const GstMjpegHttpServerConfig * config,
                                                  const GstMjpegHttpLimits * limits,
                                                  const GstMjpegHttpServerCallbacks * callbacks,
                                                  gpointer user_data,
                                                  GDestroyNotify user_data_free,
                                                  GError ** error);

guint                gst_mjpeg_http_server_get_port (GstMjpegHttpServer * server);

void                 gst_mjpeg_http_server_set_limits (GstMjpegHttpServer * server,
                                                       const GstMjpegHttpLimits * limits);

void                 gst_mjpeg_http_server_set_playing (GstMjpegHttpServer * server,
                                                        gboolean playing);

void                 gst_mjpeg_http_server_push (GstMjpegHttpServer * server,
                                                 GstMjpegHttpFrame * frame);

gboolean             gst_mjpeg_http_server_eos (GstMjpegHttpServer * server,
                                                gint64 timeout_us);

GstMjpegHttpServer * gst_mjpeg_http_server_get_current (void);

GstStructure *       gst_mjpeg_http_server_get_stats (GstMjpegHttpServer * server);

void                 gst_mjpeg_http_server_stop (GstMjpegHttpServer * server);

G_END_DECLS

#endif /* __GST_MJPEG_HTTP_SERVER_H__ */
