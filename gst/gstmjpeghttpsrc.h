/* mjpeghttp
 * Copyright (C) 2026 mjpeghttp developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

#ifndef __GST_MJPEG_HTTP_SRC_H__
#define __GST_MJPEG_HTTP_SRC_H__

#include <gst/gst.h>
#include <gst/base/gstpushsrc.h>

G_BEGIN_DECLS

#define GST_TYPE_MJPEG_HTTP_SRC (gst_mjpeg_http_src_get_type ())
G_DECLARE_FINAL_TYPE (GstMjpegHttpSrc, gst_mjpeg_http_src, GST,
    MJPEG_HTTP_SRC, GstPushSrc);

GST_ELEMENT_REGISTER_DECLARE (mjpeghttpsrc);

G_END_DECLS

#endif /* __GST_MJPEG_HTTP_SRC_H__ */
