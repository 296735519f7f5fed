/* mjpeghttp
 * Copyright (C) 2026 mjpeghttp developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

#ifndef __GST_MJPEG_HTTP_MULTIPART_H__
#define __GST_MJPEG_HTTP_MULTIPART_H__

#include <glib.h>

G_BEGIN_DECLS

#define GST_MJPEG_HTTP_BOUNDARY "mjpeghttpsink-a7c3f1e9"

/* Longest part header gst_mjpeg_http_multipart_part_header() can write. */
#define GST_MJPEG_HTTP_PART_HEADER_MAX 192

/**
 * GstMjpegHttpLayout:
 * @GST_MJPEG_HTTP_LAYOUT_LENGTH: every part carries Content-Length,
 *   X-Timestamp and X-Frame-Number; the boundary follows each frame.
 * @GST_MJPEG_HTTP_LAYOUT_ADVANCE: the boundary and the next part's header
 *   block follow each frame at once, so that browsers paint the frame
 *   without waiting for the next one. The headers cannot describe a frame
 *   that does not exist yet: they hold only Content-Type. (Chromium needs
 *   the block complete, empty line included, before it paints the frame
 *   before it; see docs/browser-latency.md.)
 */
typedef enum
{
  GST_MJPEG_HTTP_LAYOUT_LENGTH,
  GST_MJPEG_HTTP_LAYOUT_ADVANCE,
} GstMjpegHttpLayout;

const gchar * gst_mjpeg_http_multipart_content_type (void);

gsize         gst_mjpeg_http_multipart_part_header (gchar * buf, gsize size,
                                                    gsize content_length,
                                                    gint64 real_time_us,
                                                    guint64 frame_number);

const gchar * gst_mjpeg_http_multipart_opening (GstMjpegHttpLayout layout,
                                                gsize * len);

const gchar * gst_mjpeg_http_multipart_trailer (GstMjpegHttpLayout layout,
                                                gsize * len);

const gchar * gst_mjpeg_http_multipart_closing (GstMjpegHttpLayout layout,
                                                gsize * len);

G_END_DECLS

#endif /* __GST_MJPEG_HTTP_MULTIPART_H__ */
