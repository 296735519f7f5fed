/* mjpeghttp
 * Copyright (C) 2026 mjpeghttp developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

/* The multipart framing functions in isolation. */

#include <gst/check/gstcheck.h>
#include <string.h>

#include "gstmjpeghttpmultipart.h"

#define B GST_MJPEG_HTTP_BOUNDARY

GST_START_TEST (test_content_type)
{
  fail_unless_equals_string (gst_mjpeg_http_multipart_content_type (),
      "multipart/x-mixed-replace;boundary=" B);
}

GST_END_TEST;

GST_START_TEST (test_part_header)
{
  gchar buf[GST_MJPEG_HTTP_PART_HEADER_MAX];
  gsize len;

  len = gst_mjpeg_http_multipart_part_header (buf, sizeof (buf), 12345,
      G_GINT64_CONSTANT (1700000000000042), 7);
  fail_unless_equals_int (len, strlen (buf));
  fail_unless_equals_string (buf,
      "Content-Type: image/jpeg\r\n"
      "Content-Length: 12345\r\n"
      "X-Timestamp: 1700000000.000042\r\n" "X-Frame-Number: 7\r\n\r\n");

  /* the largest values still fit the advertised maximum */
  len = gst_mjpeg_http_multipart_part_header (buf, sizeof (buf), G_MAXSIZE,
      G_MAXINT64, G_MAXUINT64);
  fail_unless (len > 0);
  fail_unless_equals_int (len, strlen (buf));

  /* a buffer too small is refused, not overrun */
  fail_unless_equals_int (gst_mjpeg_http_multipart_part_header (buf, 20, 1,
          0, 1), 0);
}

GST_END_TEST;

GST_START_TEST (test_length_layout)
{
  gsize len;
  const gchar *s;

  s = gst_mjpeg_http_multipart_opening (GST_MJPEG_HTTP_LAYOUT_LENGTH, &len);
  fail_unless_equals_int (len, strlen (s));
  fail_unless_equals_string (s, "--" B "\r\n");

  s = gst_mjpeg_http_multipart_trailer (GST_MJPEG_HTTP_LAYOUT_LENGTH, &len);
  fail_unless_equals_int (len, strlen (s));
  fail_unless_equals_string (s, "\r\n--" B "\r\n");

  /* after a trailer, an empty part and then the close delimiter */
  s = gst_mjpeg_http_multipart_closing (GST_MJPEG_HTTP_LAYOUT_LENGTH, &len);
  fail_unless_equals_int (len, strlen (s));
  fail_unless_equals_string (s, "Content-Length: 0\r\n\r\n\r\n--" B "--\r\n");
}

GST_END_TEST;

/* The next part's header block goes out right after each frame, and ends
 * there with its empty line: Chromium paints a frame only once the header
 * block after it is complete. Sending the frame's Content-Length,
 * X-Timestamp and X-Frame-Number later, with the frame, leaves that block
 * open until the next frame and kept Chromium one frame behind
 * (docs/browser-latency.md); so the block holds only what is known before
 * the frame exists, the Content-Type, the same as in the LENGTH layout. */
GST_START_TEST (test_advance_layout)
{
  gchar header[GST_MJPEG_HTTP_PART_HEADER_MAX];
  gsize len;
  const gchar *s, *line_end;

  s = gst_mjpeg_http_multipart_opening (GST_MJPEG_HTTP_LAYOUT_ADVANCE, &len);
  fail_unless_equals_int (len, strlen (s));
  fail_unless_equals_string (s, "--" B "\r\nContent-Type: image/jpeg\r\n\r\n");

  /* the LENGTH layout's header block starts with the same line */
  fail_unless (gst_mjpeg_http_multipart_part_header (header, sizeof (header),
          1, 0, 1) > 0);
  line_end = strstr (header, "\r\n");
  fail_unless (line_end != NULL);
  fail_unless (strncmp (s + strlen ("--" B "\r\n"), header,
          line_end + 2 - header) == 0);

  s = gst_mjpeg_http_multipart_trailer (GST_MJPEG_HTTP_LAYOUT_ADVANCE, &len);
  fail_unless_equals_int (len, strlen (s));
  fail_unless_equals_string (s,
      "\r\n--" B "\r\nContent-Type: image/jpeg\r\n\r\n");

  s = gst_mjpeg_http_multipart_closing (GST_MJPEG_HTTP_LAYOUT_ADVANCE, &len);
  fail_unless_equals_int (len, strlen (s));
  fail_unless_equals_string (s, "\r\n--" B "--\r\n");
}

GST_END_TEST;

static Suite *
multipart_suite (void)
{
  Suite *s = suite_create ("multipart");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_content_type);
  tcase_add_test (tc, test_part_header);
  tcase_add_test (tc, test_length_layout);
  tcase_add_test (tc, test_advance_layout);
  return s;
}

GST_CHECK_MAIN (multipart);
