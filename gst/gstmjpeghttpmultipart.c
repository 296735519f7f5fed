/* mjpeghttp
 * Copyright (C) 2026 mjpeghttp developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

/* The bytes of a multipart/x-mixed-replace stream, as pure functions.
 *
 * Threads: none of its own; every function is reentrant and returns either
 * static strings or writes into the caller's buffer.
 *
 * A stream is: opening, then per frame [part header][JPEG][trailer], then
 * the closing once at the end.
 *
 * The trailer closes each part with CRLF--boundary CRLF right after the
 * JPEG instead of opening the next part with it: a client that scans for
 * the boundary (one that ignores Content-Length) can then hand the frame on
 * as soon as it is sent. Chromium also waits for the next part's header
 * block before it paints; the ADVANCE layout sends that block along with
 * the trailer. It must be complete then, so it cannot carry the size, time
 * or number of a frame not yet made: Content-Type only. Half a block there
 * and the rest with the frame keeps Chromium one frame behind, and an empty
 * part in between is a decode error to it (measured in
 * docs/browser-latency.md).
 */

#include "gstmjpeghttpmultipart.h"

#define CRLF "\r\n"
#define DASH_BOUNDARY "--" GST_MJPEG_HTTP_BOUNDARY
#define ADVANCE_HEADERS "Content-Type: image/jpeg" CRLF CRLF

static const gchar content_type[] =
    "multipart/x-mixed-replace;boundary=" GST_MJPEG_HTTP_BOUNDARY;

static const gchar opening_length[] = DASH_BOUNDARY CRLF;
static const gchar opening_advance[] = DASH_BOUNDARY CRLF ADVANCE_HEADERS;
static const gchar trailer_length[] = CRLF DASH_BOUNDARY CRLF;
static const gchar trailer_advance[] = CRLF DASH_BOUNDARY CRLF ADVANCE_HEADERS;

/* After a trailer a new part has begun. In the LENGTH layout its header
 * block is not sent yet: end it as an empty part (Content-Length 0, which
 * multipartdemux and ffmpeg skip) so the close delimiter stands where
 * RFC 2046 wants it. In the ADVANCE layout the header block is already out,
 * so the part is simply empty. */
static const gchar closing_length[] =
    "Content-Length: 0" CRLF CRLF CRLF DASH_BOUNDARY "--" CRLF;
static const gchar closing_advance[] = CRLF DASH_BOUNDARY "--" CRLF;

const gchar *
gst_mjpeg_http_multipart_content_type (void)
{
  return content_type;
}

/* Writes the header block of one part into @buf and returns its length,
 * or 0 if @size is too small. */
gsize
gst_mjpeg_http_multipart_part_header (gchar * buf, gsize size,
    gsize content_length, gint64 real_time_us, guint64 frame_number)
{
  gint len;

  len = g_snprintf (buf, size,
      "Content-Type: image/jpeg" CRLF
      "Content-Length: %" G_GSIZE_FORMAT CRLF
      "X-Timestamp: %" G_GINT64_FORMAT ".%06d" CRLF
      "X-Frame-Number: %" G_GUINT64_FORMAT CRLF CRLF,
      content_length, real_time_us / G_USEC_PER_SEC,
      (gint) (real_time_us % G_USEC_PER_SEC), frame_number);

  if (len < 0 || (gsize) len >= size)
    return 0;
  return len;
}

const gchar *
gst_mjpeg_http_multipart_opening (GstMjpegHttpLayout layout, gsize * len)
{
  if (layout == GST_MJPEG_HTTP_LAYOUT_ADVANCE) {
    *len = sizeof (opening_advance) - 1;
    return opening_advance;
  }
  *len = sizeof (opening_length) - 1;
  return opening_length;
}

const gchar *
gst_mjpeg_http_multipart_trailer (GstMjpegHttpLayout layout, gsize * len)
{
  if (layout == GST_MJPEG_HTTP_LAYOUT_ADVANCE) {
    *len = sizeof (trailer_advance) - 1;
    return trailer_advance;
  }
  *len = sizeof (trailer_length) - 1;
  return trailer_length;
}

const gchar *
gst_mjpeg_http_multipart_closing (GstMjpegHttpLayout layout, gsize * len)
{
  if (layout == GST_MJPEG_HTTP_LAYOUT_ADVANCE) {
    *len = sizeof (closing_advance) - 1;
    return closing_advance;
  }
  *len = sizeof (closing_length) - 1;
  return closing_length;
}
