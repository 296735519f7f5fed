/* mjpeghttp
 * Copyright (C) 2026 mjpeghttp developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

#ifndef __GST_MJPEG_HTTP_EVENTS_H__
#define __GST_MJPEG_HTTP_EVENTS_H__

#include <gio/gio.h>

#include "gstmjpeghttppeers.h"

G_BEGIN_DECLS

/* Event connections at once, in all and from one address. */
#define GST_MJPEG_HTTP_EVENTS_MAX 64
#define GST_MJPEG_HTTP_EVENTS_PER_ADDRESS_MAX 8

typedef struct _GstMjpegHttpEvents GstMjpegHttpEvents;

/* Called on the server thread: the data of a status event (transfer
 * full). */
typedef gchar * (*GstMjpegHttpEventsStatusFunc) (gpointer user_data);

GstMjpegHttpEvents * gst_mjpeg_http_events_new     (GMainContext * context,
                                                    GstMjpegHttpEventsStatusFunc status,
                                                    gpointer user_data);

void                 gst_mjpeg_http_events_free    (GstMjpegHttpEvents * events);

gboolean             gst_mjpeg_http_events_make_room (GstMjpegHttpEvents * events,
                                                      const GstMjpegHttpPeerKey * peer,
                                                      guint per_address);

void                 gst_mjpeg_http_events_drop_stalled (GstMjpegHttpEvents * events,
                                                         gint64 timeout_us);

void                 gst_mjpeg_http_events_add     (GstMjpegHttpEvents * events,
                                                    GIOStream * stream,
                                                    const GstMjpegHttpPeerKey * peer);

void                 gst_mjpeg_http_events_changed (GstMjpegHttpEvents * events);

gboolean             gst_mjpeg_http_events_take_notice (GstMjpegHttpEvents * events);

void                 gst_mjpeg_http_events_send    (GstMjpegHttpEvents * events,
                                                    const gchar * name,
                                                    const gchar * data);

G_END_DECLS

#endif /* __GST_MJPEG_HTTP_EVENTS_H__ */
