/* mjpeghttp
 * Copyright (C) 2026 mjpeghttp developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

#ifndef __GST_MJPEG_HTTP_VIEWER_H__
#define __GST_MJPEG_HTTP_VIEWER_H__

#include <libsoup/soup.h>

#include "gstmjpeghttprequest.h"

G_BEGIN_DECLS

/* The viewer page, assembled once from the plugin's resources for the
 * server's paths. Immutable after creation. */
typedef struct _GstMjpegHttpViewer GstMjpegHttpViewer;

GstMjpegHttpViewer * gst_mjpeg_http_viewer_new    (const GstMjpegHttpPaths * paths);

void                 gst_mjpeg_http_viewer_free   (GstMjpegHttpViewer * viewer);

/* Sets the status, the page's own headers and its body (none for 304) on
 * @msg, whose common headers the caller has set. */
void                 gst_mjpeg_http_viewer_answer (GstMjpegHttpViewer * viewer,
                                                   SoupServerMessage * msg,
                                                   const GstMjpegHttpRequest * req);

G_END_DECLS

#endif /* __GST_MJPEG_HTTP_VIEWER_H__ */
