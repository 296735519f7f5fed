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
#include "gstmjpeghttpframeid.h"

/* The picture's size from the first start-of-frame segment: walks the
 * segment headers only (a few per JPEG), never the entropy-coded data. */
static void
jpeg_size (const guint8 * data, gsize size, guint * width, guint * height)
{
  gsize i = 2;

  *width = *height = 0;
  if (size < 4 || data[0] != 0xff || data[1] != 0xd8)
    return;
  while (i + 4 <= size && data[i] == 0xff) {
    guint8 marker = data[i + 1];
    gsize len = (data[i + 2] << 8) | data[i + 3];

    if (marker == 0xff) {
      /* fill byte */
      i++;
      continue;
    }
    /* SOF0..SOF15 but DHT (C4), JPG (C8) and DAC (CC) */
    if (marker >= 0xc0 && marker <= 0xcf && marker != 0xc4 && marker != 0xc8
        && marker != 0xcc) {
      if (len >= 7 && i + 9 <= size) {
        *height = (data[i + 5] << 8) | data[i + 6];
        *width = (data[i + 7] << 8) | data[i + 8];
      }
      return;
    }
    /* the scan starts: no frame header before it */
    if (marker == 0xda || len < 2)
      return;
    i += 2 + len;
  }
}

/* Takes a reference on @buffer (transfer none). Returns NULL when the buffer
 * cannot be mapped for reading. A buffer of several memories is merged by
 * the map: that one copy is made here, once for all clients. */
GstMjpegHttpFrame *
gst_mjpeg_http_frame_new (GstBuffer * buffer, guint64 number,
    gint64 received_time)
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
  if (!gst_mjpeg_http_frame_id_get (buffer, &frame->source_number,
          &frame->real_time)) {
    frame->source_number = number;
    frame->real_time = received_time;
  }
  jpeg_size (frame->data, frame->size, &frame->width, &frame->height);
  frame->header_len = gst_mjpeg_http_multipart_part_header (frame->header,
      sizeof (frame->header), frame->size, frame->real_time,
      frame->source_number);
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
