/* mjpeghttp
 * Copyright (C) 2026 mjpeghttp developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

#ifndef __GST_MJPEG_HTTP_SOURCE_H__
#define __GST_MJPEG_HTTP_SOURCE_H__

#include "gstmjpeghttpframe.h"
#include "gstmjpeghttpreport.h"

G_BEGIN_DECLS

/* Frames are counted over this window. */
#define GST_MJPEG_HTTP_SOURCE_WINDOW_US (2 * G_USEC_PER_SEC)
#define GST_MJPEG_HTTP_SOURCE_SAMPLES 128

/* What the source gives, measured from the frames the server takes. */
typedef struct
{
  /*< private >*/
  struct
  {
    guint64 number;
    gint64 time_us;
  } samples[GST_MJPEG_HTTP_SOURCE_SAMPLES];
  guint n_samples;
  guint next;
  guint64 number;
  gint64 real_time;
  guint width;
  guint height;
} GstMjpegHttpSource;

void gst_mjpeg_http_source_count   (GstMjpegHttpSource * source,
                                    const GstMjpegHttpFrame * frame,
                                    gint64 now_us);

void gst_mjpeg_http_source_figures (const GstMjpegHttpSource * source,
                                    gint64 now_us,
                                    GstMjpegHttpSourceFigures * figures);

G_END_DECLS

#endif /* __GST_MJPEG_HTTP_SOURCE_H__ */
