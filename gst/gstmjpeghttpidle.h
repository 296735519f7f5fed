/* mjpeghttp
 * Copyright (C) 2026 mjpeghttp developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

#ifndef __GST_MJPEG_HTTP_IDLE_H__
#define __GST_MJPEG_HTTP_IDLE_H__

#include <glib.h>

G_BEGIN_DECLS

typedef struct _GstMjpegHttpIdle GstMjpegHttpIdle;

GstMjpegHttpIdle * gst_mjpeg_http_idle_new         (GMainContext * context,
                                                    GSourceFunc func,
                                                    gpointer user_data);

void               gst_mjpeg_http_idle_free        (GstMjpegHttpIdle * idle);

void               gst_mjpeg_http_idle_set_timeout (GstMjpegHttpIdle * idle,
                                                    guint timeout_ms);

void               gst_mjpeg_http_idle_update      (GstMjpegHttpIdle * idle,
                                                    gboolean playing,
                                                    gboolean anybody);

gboolean           gst_mjpeg_http_idle_wake        (GstMjpegHttpIdle * idle);

void               gst_mjpeg_http_idle_reset       (GstMjpegHttpIdle * idle);

gboolean           gst_mjpeg_http_idle_is_idle     (GstMjpegHttpIdle * idle);

G_END_DECLS

#endif /* __GST_MJPEG_HTTP_IDLE_H__ */
