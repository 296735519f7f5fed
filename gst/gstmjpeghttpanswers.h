/* mjpeghttp
 * Copyright (C) 2026 mjpeghttp developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

#ifndef __GST_MJPEG_HTTP_ANSWERS_H__
#define __GST_MJPEG_HTTP_ANSWERS_H__

#include <libsoup/soup.h>

#include "gstmjpeghttpstats.h"

G_BEGIN_DECLS

typedef struct _GstMjpegHttpAnswers GstMjpegHttpAnswers;

GstMjpegHttpAnswers * gst_mjpeg_http_answers_new (GstMjpegHttpStats * stats);

void                  gst_mjpeg_http_answers_watch (GstMjpegHttpAnswers * answers,
                                                    SoupServerMessage * msg,
                                                    gint fd);

void                  gst_mjpeg_http_answers_cut_stalled (GstMjpegHttpAnswers * answers,
                                                          gint64 timeout_us);

void                  gst_mjpeg_http_answers_free (GstMjpegHttpAnswers * answers);

G_END_DECLS

#endif /* __GST_MJPEG_HTTP_ANSWERS_H__ */
