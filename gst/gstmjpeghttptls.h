/* mjpeghttp
 * Copyright (C) 2026 mjpeghttp developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

#ifndef __GST_MJPEG_HTTP_TLS_H__
#define __GST_MJPEG_HTTP_TLS_H__

#include <gio/gio.h>

G_BEGIN_DECLS

GTlsCertificate *   gst_mjpeg_http_tls_load (const gchar * certificate_file,
                                             const gchar * key_file,
                                             gchar ** warning,
                                             GError ** error);

G_END_DECLS

#endif /* __GST_MJPEG_HTTP_TLS_H__ */
