/* mjpeghttp
 * Copyright (C) 2026 mjpeghttp developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

#ifndef __GST_MJPEG_HTTP_FRAME_H__
#define __GST_MJPEG_HTTP_FRAME_H__

#include <gst/gst.h>

#include "gstmjpeghttpmultipart.h"

G_BEGIN_DECLS

/* One JPEG as every client sees it: the mapped buffer and its part header,
 * made once and shared by all clients. Immutable after creation; the
 * reference count is atomic, so any thread may hold one. */
typedef struct
{
  const guint8 *data;
  gsize size;
  /* the sink's own count, consecutive while the server runs: clients
   * compare it to skip what they already have */
  guint64 number;
  /* what the part header says: the source's number and the capture time
   * when the buffer carries them (gstmjpeghttpframeid.h), else @number
   * and the time the sink got the frame */
  guint64 source_number;
  gint64 real_time;
  /* from the JPEG's frame header; 0 when it has none */
  guint width;
  guint height;
  gsize header_len;
  gchar header[GST_MJPEG_HTTP_PART_HEADER_MAX];

  /*< private >*/
  gint refcount;
  GstBuffer *buffer;
  GstMapInfo map;
} GstMjpegHttpFrame;

GstMjpegHttpFrame * gst_mjpeg_http_frame_new   (GstBuffer * buffer,
                                                guint64 number,
                                                gint64 received_time);

GstMjpegHttpFrame * gst_mjpeg_http_frame_ref   (GstMjpegHttpFrame * frame);

void                gst_mjpeg_http_frame_unref (GstMjpegHttpFrame * frame);

GBytes *            gst_mjpeg_http_frame_to_bytes (GstMjpegHttpFrame * frame);

G_END_DECLS

#endif /* __GST_MJPEG_HTTP_FRAME_H__ */
