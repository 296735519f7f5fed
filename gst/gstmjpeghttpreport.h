/* mjpeghttp
 * Copyright (C) 2026 mjpeghttp developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

#ifndef __GST_MJPEG_HTTP_REPORT_H__
#define __GST_MJPEG_HTTP_REPORT_H__

#include <gst/gst.h>
#include <json-glib/json-glib.h>

#include "gstmjpeghttpstats.h"

G_BEGIN_DECLS

/* What the source gives, as the server sees it. */
typedef struct
{
  gdouble fps;
  guint width;
  guint height;
  guint64 frame_number;         /* the newest frame's; 0 before any */
  gint64 frame_time_us;         /* wall clock; 0 before any frame */
  gboolean idle;
} GstMjpegHttpSourceFigures;

GstStructure * gst_mjpeg_http_report_source      (const GstMjpegHttpSourceFigures * source);

GstStructure * gst_mjpeg_http_report_new         (GstMjpegHttpStats * stats,
                                                  GPtrArray * clients,
                                                  const GstMjpegHttpSourceFigures * source);

JsonNode *     gst_mjpeg_http_report_to_json     (const GstStructure * s);

gchar *        gst_mjpeg_http_report_to_json_text (const GstStructure * s);

gchar *        gst_mjpeg_http_report_to_prometheus (const GstStructure * report);

G_END_DECLS

#endif /* __GST_MJPEG_HTTP_REPORT_H__ */
