/* mjpeghttp
 * Copyright (C) 2026 mjpeghttp developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

#ifndef __GST_MJPEG_HTTP_REPLAY_H__
#define __GST_MJPEG_HTTP_REPLAY_H__

#include <gio/gio.h>

G_BEGIN_DECLS

GIOStream * gst_mjpeg_http_replay_stream_new (GIOStream * base,
                                              GBytes * first);

GSocket *   gst_mjpeg_http_stream_get_socket (GIOStream * stream);

gboolean            gst_mjpeg_http_stream_is_tls (GIOStream * stream);

G_END_DECLS

#endif /* __GST_MJPEG_HTTP_REPLAY_H__ */
