/* mjpeghttp
 * Copyright (C) 2026 mjpeghttp developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

/* A frame's identity as it travels through a pipeline: the number its
 * source gave it and the wall-clock time it was captured. mjpeghttpstamp
 * and mjpeghttpsrc set it, mjpeghttpsink serves it as X-Frame-Number and
 * X-Timestamp.
 *
 * It is two metas without tags: GstVideoDecoder, GstVideoEncoder and
 * GstBaseTransform copy such metas from input to output, so the identity
 * survives jpegdec ! videoconvert ! facedetect ! jpegenc. The time is
 * GStreamer's own GstReferenceTimestampMeta (timestamp/x-unix), which
 * other elements can read too; the number needs a custom meta, as no
 * GStreamer meta holds one.
 *
 * Threads: any. The registration is done once, from plugin_init(). */

#include "gstmjpeghttpframeid.h"

static GstCaps *time_caps;

void
gst_mjpeg_http_frame_id_register (void)
{
  static const gchar *tags[] = { NULL };

  if (time_caps)
    return;
  gst_meta_register_custom (GST_MJPEG_HTTP_FRAME_ID_META_NAME, tags, NULL,
      NULL, NULL);
  time_caps = gst_caps_new_empty_simple (GST_MJPEG_HTTP_FRAME_ID_TIME_CAPS);
  /* lives as long as the process, as the registered meta does */
  GST_MINI_OBJECT_FLAG_SET (time_caps, GST_MINI_OBJECT_FLAG_MAY_BE_LEAKED);
}

/* @buffer must be writable. */
void
gst_mjpeg_http_frame_id_set (GstBuffer * buffer, guint64 number,
    gint64 capture_time_us)
{
  GstCustomMeta *meta;

  meta = gst_buffer_add_custom_meta (buffer, GST_MJPEG_HTTP_FRAME_ID_META_NAME);
  gst_structure_set (gst_custom_meta_get_structure (meta), "number",
      G_TYPE_UINT64, number, NULL);
  gst_buffer_add_reference_timestamp_meta (buffer, time_caps,
      capture_time_us * GST_USECOND, GST_CLOCK_TIME_NONE);
}

/* TRUE when @buffer carries both a number and a capture time. */
gboolean
gst_mjpeg_http_frame_id_get (GstBuffer * buffer, guint64 * number,
    gint64 * capture_time_us)
{
  GstCustomMeta *meta;
  GstReferenceTimestampMeta *time;

  meta = gst_buffer_get_custom_meta (buffer, GST_MJPEG_HTTP_FRAME_ID_META_NAME);
  if (!meta || !gst_structure_get_uint64 (gst_custom_meta_get_structure (meta),
          "number", number))
    return FALSE;
  time = gst_buffer_get_reference_timestamp_meta (buffer, time_caps);
  if (!time)
    return FALSE;
  *capture_time_us = time->timestamp / GST_USECOND;
  return TRUE;
}
