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

G_BEGIN_DECLS

typedef struct _GstMjpegHttpServer GstMjpegHttpServer;

typedef struct
{
  const gchar *address;
  guint port;
  guint max_clients;            /* 0: no limit */
  guint listen_backlog;
  guint idle_timeout_ms;        /* 0: never report idle */
  const gchar *viewer_path;
  const gchar *stream_path;
  const gchar *snapshot_path;
} GstMjpegHttpServerConfig;

/* Called on the server thread, with no lock of the server held. */
typedef struct
{
  void (*client_added) (const gchar * peer, gpointer user_data);
  void (*client_removed) (const gchar * peer, const gchar * reason,
      gpointer user_data);
  /* nobody has been connected for idle_timeout_ms */
  void (*idle) (gpointer user_data);
  /* a stream or snapshot request arrived after idle() */
  void (*wake) (const gchar * peer, const gchar * path, gpointer user_data);
} GstMjpegHttpServerCallbacks;

GstMjpegHttpServer * gst_mjpeg_http_server_start (const GstMjpegHttpServerConfig * config,
                                                  const GstMjpegHttpServerCallbacks * callbacks,
                                                  gpointer user_data,
                                                  GError ** error);

guint                gst_mjpeg_http_server_get_port (GstMjpegHttpServer * server);

guint                gst_mjpeg_http_server_get_num_clients (GstMjpegHttpServer * server);

void                 gst_mjpeg_http_server_push (GstMjpegHttpServer * server,
                                                 GstMjpegHttpFrame * frame);

gboolean             gst_mjpeg_http_server_eos (GstMjpegHttpServer * server,
                                                gint64 timeout_us);

void                 gst_mjpeg_http_server_stop (GstMjpegHttpServer * server);

G_END_DECLS

#endif /* __GST_MJPEG_HTTP_SERVER_H__ */
