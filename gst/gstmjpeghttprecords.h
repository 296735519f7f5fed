/* mjpeghttp
 * Copyright (C) 2026 mjpeghttp developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

#ifndef __GST_MJPEG_HTTP_RECORDS_H__
#define __GST_MJPEG_HTTP_RECORDS_H__

#include <gio/gio.h>

G_BEGIN_DECLS

GIOStream *         gst_mjpeg_http_record_guard_new (GIOStream * base);

void                gst_mjpeg_http_record_guard_seal (GIOStream * guard);

gboolean            gst_mjpeg_http_is_record_guard (GIOStream * stream);

GIOStream *         gst_mjpeg_http_record_guard_get_base (GIOStream * guard);

G_END_DECLS

#endif /* __GST_MJPEG_HTTP_RECORDS_H__ */
