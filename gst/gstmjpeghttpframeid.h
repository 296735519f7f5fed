/* mjpeghttp
 * Copyright (C) 2026 mjpeghttp developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

#ifndef __GST_MJPEG_HTTP_FRAME_ID_H__
#define __GST_MJPEG_HTTP_FRAME_ID_H__

#include <gst/gst.h>

G_BEGIN_DECLS

/* The name of the custom meta that carries a frame's number, for
 * applications that read it (gst_buffer_get_custom_meta()); its structure
 * has one field, "number" (guint64). */
#define GST_MJPEG_HTTP_FRAME_ID_META_NAME "GstMjpegHttpFrameIdMeta"

/* The reference of the GstReferenceTimestampMeta that carries a frame's
 * capture time, in nanoseconds since the Unix epoch. */
#define GST_MJPEG_HTTP_FRAME_ID_TIME_CAPS "timestamp/x-unix"

void     gst_mjpeg_http_frame_id_register (void);

void     gst_mjpeg_http_frame_id_set      (GstBuffer * buffer,
                                           guint64 number,
                                           gint64 capture_time_us);

gboolean gst_mjpeg_http_frame_id_get      (GstBuffer * buffer,
                                           guint64 * number,
                                           gint64 * capture_time_us);

G_END_DECLS

#endif /* __GST_MJPEG_HTTP_FRAME_ID_H__ */
