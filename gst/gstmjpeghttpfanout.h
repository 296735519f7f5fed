/* mjpeghttp
 * Copyright (C) 2026 mjpeghttp developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

#ifndef __GST_MJPEG_HTTP_FANOUT_H__
#define __GST_MJPEG_HTTP_FANOUT_H__

#include <gio/gio.h>

#include "gstmjpeghttpclient.h"
#include "gstmjpeghttpstats.h"

G_BEGIN_DECLS

typedef struct _GstMjpegHttpFanout GstMjpegHttpFanout;

/* Called on the server thread, with no lock held. */
typedef struct
{
  void (*client_added) (GstMjpegHttpClient * client, gpointer user_data);
  /* the client is still valid during the call, freed soon after */
  void (*client_removed) (GstMjpegHttpClient * client,
      GstMjpegHttpSinkClientStatus status, gpointer user_data);
  /* after end(): every client has been sent the closing delimiter */
  void (*flushed) (gpointer user_data);
} GstMjpegHttpFanoutCallbacks;

GstMjpegHttpFanout * gst_mjpeg_http_fanout_new (GMainContext * context,
                                                GstMjpegHttpStats * stats,
                                                const GstMjpegHttpFanoutCallbacks * callbacks,
                                                gpointer user_data,
                                                GError ** error);

void                 gst_mjpeg_http_fanout_free (GstMjpegHttpFanout * fanout);

gboolean             gst_mjpeg_http_fanout_add (GstMjpegHttpFanout * fanout,
                                                GIOStream * stream,
                                                GstMjpegHttpLayout layout,
                                                const GstMjpegHttpPeerKey * peer,
                                                const gchar * path,
                                                const gchar * query,
                                                gdouble fps,
                                                GError ** error);

void                 gst_mjpeg_http_fanout_set_frame (GstMjpegHttpFanout * fanout,
                                                      GstMjpegHttpFrame * frame);

void                 gst_mjpeg_http_fanout_end (GstMjpegHttpFanout * fanout);

void                 gst_mjpeg_http_fanout_drop_stalled (GstMjpegHttpFanout * fanout,
                                                         gint64 timeout_us);

void                 gst_mjpeg_http_fanout_set_max_fps (GstMjpegHttpFanout * fanout,
                                                        gdouble max_fps);

GPtrArray *          gst_mjpeg_http_fanout_get_client_stats (GstMjpegHttpFanout * fanout);

G_END_DECLS

#endif /* __GST_MJPEG_HTTP_FANOUT_H__ */
