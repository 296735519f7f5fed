/* mjpeghttp
 * Copyright (C) 2026 mjpeghttp developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

/* Threads: a frame is made on the streaming thread and then read by the
 * server thread; it never changes after gst_mjpeg_http_frame_new(), so only
 * the atomic reference count is shared state. The last unref, on whichever
 * thread, unmaps the buffer. */

#include "gstmjpeghttpframe.h"

/* Takes a reference on @buffer (transfer none). Returns NULL when the buffer
 * cannot be mapped for reading. A buffer of several memories is merged by
 * the map: that one copy is made here, once for all clients. */
GstMjpegHttpFrame *
gst_mjpeg_http_frame_new (GstBuffer * buffer, guint64 number, gint64 real_time)
{
  GstMjpegHttpFrame *frame;

  frame = g_new (GstMjpegHttpFrame, 1);
  frame->buffer = gst_buffer_ref (buffer);
  if (!gst_buffer_map (frame->buffer, &frame->map, GST_MAP_READ))
    goto map_failed;

  frame->refcount = 1;
  frame->data = frame->map.data;
  frame->size = frame->map.size;
  frame->number = number;
  frame->real_time = real_time;
  frame->header_len = gst_mjpeg_http_multipart_part_header (frame->header,
      sizeof (frame->header), frame->size, real_time, number);
  g_assert (frame->header_len > 0);

  return frame;

  /* ERRORS */
map_failed:
  {
    gst_buffer_unref (frame->buffer);
    g_free (frame);
    return NULL;
  }
}

GstMjpegHttpFrame *
gst_mjpeg_http_frame_ref (GstMjpegHttpFrame * frame)
{
  g_atomic_int_inc (&frame->refcount);
  return frame;
}

void
gst_mjpeg_http_frame_unref (GstMjpegHttpFrame * frame)
{
  if (!g_atomic_int_dec_and_test (&frame->refcount))
    return;

  gst_buffer_unmap (frame->buffer, &frame->map);
  gst_buffer_unref (frame->buffer);
  g_free (frame);
}

/* A GBytes over the JPEG that holds a frame reference instead of copying. */
GBytes *
gst_mjpeg_http_frame_to_bytes (GstMjpegHttpFrame * frame)
{
  return g_bytes_new_with_free_func (frame->data, frame->size,
      (GDestroyNotify) gst_mjpeg_http_frame_unref,
      gst_mjpeg_http_frame_ref (frame));
}
