/* mjpeghttp
 * Copyright (C) 2026 mjpeghttp developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

#ifndef __GST_MJPEG_HTTP_STAMP_H__
#define __GST_MJPEG_HTTP_STAMP_H__

#include <gst/gst.h>
#include <gst/base/gstbasetransform.h>

G_BEGIN_DECLS

#define GST_TYPE_MJPEG_HTTP_STAMP (gst_mjpeg_http_stamp_get_type ())
G_DECLARE_FINAL_TYPE (GstMjpegHttpStamp, gst_mjpeg_http_stamp, GST,
    MJPEG_HTTP_STAMP, GstBaseTransform);

GST_ELEMENT_REGISTER_DECLARE (mjpeghttpstamp);

G_END_DECLS

#endif /* __GST_MJPEG_HTTP_STAMP_H__ */
