/* mjpeghttp
 * Copyright (C) 2026 mjpeghttp developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

/* libFuzzer target over everything the server parses or frames from what
 * a peer controls: the request head with its query options and route, and
 * the multipart part header. The first byte picks which; the rest is the
 * input. Built with clang's -fsanitize=fuzzer (meson -Dfuzzing=true), and
 * without it, as replay.c's corpus check in every test run.
 *
 * Besides crashes and sanitizer reports, it checks what the callers rely
 * on: a complete head lies within the input and names an absolute path; a
 * refusal says why; a prefix of a complete head is never refused. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gstmjpeghttpmultipart.h"
#include "gstmjpeghttprequest.h"

int LLVMFuzzerTestOneInput (const uint8_t * data, size_t size);

#define CHECK(cond) do { if (!(cond)) abort (); } while (0)

static void
fuzz_request (const gchar * data, gsize size)
{
  GstMjpegHttpRequest req, prefix;
  GstMjpegHttpParseResult res;

  res = gst_mjpeg_http_request_parse (data, size, &req);
  switch (res) {
    case GST_MJPEG_HTTP_PARSE_COMPLETE:
      CHECK (req.head_len > 0 && req.head_len <= size);
      CHECK (req.head_len <= GST_MJPEG_HTTP_REQUEST_HEAD_MAX);
      CHECK (req.path[0] == '/');
      CHECK (strlen (req.path) < sizeof (req.path));
      CHECK (strlen (req.if_none_match) <= GST_MJPEG_HTTP_ETAG_MAX);
      gst_mjpeg_http_request_route (&req, "/", "/stream", "/snapshot");
      /* the same head cut short is only incomplete */
      CHECK (gst_mjpeg_http_request_parse (data, req.head_len - 1,
              &prefix) == GST_MJPEG_HTTP_PARSE_INCOMPLETE);
      break;
    case GST_MJPEG_HTTP_PARSE_INCOMPLETE:
      CHECK (size < GST_MJPEG_HTTP_REQUEST_HEAD_MAX);
      break;
    default:
      CHECK (req.error != NULL);
      CHECK (gst_mjpeg_http_parse_result_status (res) >= 400);
      break;
  }
}

static void
fuzz_part_header (const guint8 * data, gsize size)
{
  gchar buf[GST_MJPEG_HTTP_PART_HEADER_MAX];
  guint64 length = 0, number = 0;
  gint64 time = 0;
  gsize n;

  if (size < 24)
    return;
  memcpy (&length, data, 8);
  memcpy (&time, data + 8, 8);
  memcpy (&number, data + 16, 8);
  n = gst_mjpeg_http_multipart_part_header (buf, sizeof (buf), length, time,
      number);
  CHECK (n < sizeof (buf));
  if (n > 0)
    CHECK (strlen (buf) == n && strstr (buf, "\r\n\r\n") == buf + n - 4);
}

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  if (size == 0)
    return 0;
  if (data[0] & 1)
    fuzz_part_header (data + 1, size - 1);
  else
    fuzz_request ((const gchar *) data + 1, size - 1);
  return 0;
}
