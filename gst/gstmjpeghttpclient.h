/* mjpeghttp
 * Copyright (C) 2026 mjpeghttp developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

#ifndef __GST_MJPEG_HTTP_CLIENT_H__
#define __GST_MJPEG_HTTP_CLIENT_H__

#include <gio/gio.h>

#include "gstmjpeghttpframe.h"
#include "gstmjpeghttppeers.h"
#include "gstmjpeghttpsink.h"
#include "gstmjpeghttpstats.h"

G_BEGIN_DECLS

typedef struct _GstMjpegHttpClient GstMjpegHttpClient;

typedef enum
{
  GST_MJPEG_HTTP_CLIENT_SENT,     /* all of it is in the kernel */
  GST_MJPEG_HTTP_CLIENT_PENDING,  /* the rest goes out when the socket drains */
  GST_MJPEG_HTTP_CLIENT_GONE,     /* see gst_mjpeg_http_client_get_status() */
} GstMjpegHttpClientResult;

/* Called on the server thread when a pending frame has gone out (SENT) or
 * the client is gone (GONE). The callee may free the client. */
typedef void (*GstMjpegHttpClientFunc) (GstMjpegHttpClient * client,
    GstMjpegHttpClientResult result, gpointer user_data);

GstMjpegHttpClient * gst_mjpeg_http_client_new (GIOStream * stream,
                                                GstMjpegHttpLayout layout,
                                                const GstMjpegHttpPeerKey * peer,
                                                const gchar * path,
                                                gdouble fps,
                                                gdouble max_fps,
                                                GstMjpegHttpStats * stats,
                                                gint epoll_fd,
                                                gint64 now_us,
                                                GstMjpegHttpClientFunc func,
                                                gpointer user_data,
                                                GError ** error);

void                 gst_mjpeg_http_client_handle_events (GstMjpegHttpClient * client,
                                                          guint32 events,
                                                          gint64 now_us);

void                 gst_mjpeg_http_client_free (GstMjpegHttpClient * client);

const gchar *        gst_mjpeg_http_client_get_description (GstMjpegHttpClient * client);

const GstMjpegHttpPeerKey * gst_mjpeg_http_client_get_peer (GstMjpegHttpClient * client);

GstMjpegHttpSinkClientStatus gst_mjpeg_http_client_get_status (GstMjpegHttpClient * client);

gboolean             gst_mjpeg_http_client_is_busy (GstMjpegHttpClient * client);

gboolean             gst_mjpeg_http_client_is_stalled (GstMjpegHttpClient * client,
                                                       gint64 now_us,
                                                       gint64 timeout_us);

guint64              gst_mjpeg_http_client_get_last_number (GstMjpegHttpClient * client);

const gchar *        gst_mjpeg_http_client_get_path (GstMjpegHttpClient * client);

void                 gst_mjpeg_http_client_set_max_fps (GstMjpegHttpClient * client,
                                                        gdouble max_fps);

gint64               gst_mjpeg_http_client_get_due (GstMjpegHttpClient * client);

GstStructure *       gst_mjpeg_http_client_get_stats (GstMjpegHttpClient * client,
                                                      gint64 now_us,
                                                      gint64 now_real_us);

GstMjpegHttpClientResult gst_mjpeg_http_client_start (GstMjpegHttpClient * client,
                                                      gint64 now_us);

void                 gst_mjpeg_http_client_mark_slow (GstMjpegHttpClient * client);

GstMjpegHttpClientResult gst_mjpeg_http_client_send (GstMjpegHttpClient * client,
                                                     GstMjpegHttpFrame * frame,
                                                     gint64 now_us);

GstMjpegHttpClientResult gst_mjpeg_http_client_close (GstMjpegHttpClient * client,
                                                      gint64 now_us);

G_END_DECLS

#endif /* __GST_MJPEG_HTTP_CLIENT_H__ */
