/* mjpeghttp
 * Copyright (C) 2026 mjpeghttp developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

/* libFuzzer target over everything the server parses or frames from what
 * a peer controls: the request head with its query options, route, host
 * and credentials (the latter checked by the auth module), and the
 * multipart part header. The first byte picks which; the rest is the
 * input. Built with clang's -fsanitize=fuzzer (meson -Dfuzzing=true), and
 * without it, as replay.c's corpus check in every test run.
 *
 * Besides crashes and sanitizer reports, it checks what the callers rely
 * on: a complete head lies within the input and names an absolute path; a
 * refusal says why; a prefix of a complete head is never refused; and
 * libsoup 3.2 accepts every head we accept, as its server would take it
 * (soup-server-message-io-http1.c parse_headers() and soup-server.c
 * got_headers()), so that the gate leaves libsoup no error path to take. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libsoup/soup.h>

#include "gstmjpeghttpauth.h"
#include "gstmjpeghttpmultipart.h"
#include "gstmjpeghttprequest.h"

int LLVMFuzzerTestOneInput (const uint8_t * data, size_t size);

#define CHECK(cond) do { if (!(cond)) abort (); } while (0)

static const GstMjpegHttpPaths paths = { "/", "/stream", "/snapshot",
  "/stats", "/metrics", "/events"
};

/* libsoup's private SOUP_HTTP_URI_FLAGS, as of 3.2.3 */
#define HTTP_URI_FLAGS (G_URI_FLAGS_HAS_PASSWORD | G_URI_FLAGS_ENCODED_PATH \
    | G_URI_FLAGS_ENCODED_QUERY | G_URI_FLAGS_ENCODED_FRAGMENT \
    | G_URI_FLAGS_SCHEME_NORMALIZE)

/* What libsoup 3.2's server does with a head before any handler, and would
 * answer with an error of its own. */
static void
check_libsoup_accepts (const gchar * head, gsize len)
{
  SoupMessageHeaders *hdrs = soup_message_headers_new
      (SOUP_MESSAGE_HEADERS_REQUEST);
  SoupHTTPVersion version;
  gchar *method = NULL, *path = NULL, *url, *decoded;
  const gchar *host;
  GUri *uri;

  CHECK (soup_headers_parse_request (head, len, hdrs, &method, &path,
          &version) == SOUP_STATUS_OK);
  CHECK (soup_message_headers_get_encoding (hdrs) !=
      SOUP_ENCODING_UNRECOGNIZED);
  host = soup_message_headers_get_one (hdrs, "Host");
  CHECK (!host || !strchr (host, '/'));
  if (path[0] != '/')
    url = g_strdup (path);
  else if (host)
    url = g_strdup_printf ("http://%s%s", host, path);
  else
    url = g_strdup_printf ("http://127.0.0.1%s", path);
  uri = g_uri_parse (url, HTTP_URI_FLAGS, NULL);
  CHECK (uri && g_uri_get_host (uri));
  CHECK (!g_ascii_strcasecmp (g_uri_get_scheme (uri), "http"));
  decoded = g_uri_unescape_string (g_uri_get_path (uri), NULL);
  CHECK (decoded && !strstr (decoded, "/../")
      && !g_str_has_suffix (decoded, "/.."));
  g_free (decoded);
  g_uri_unref (uri);
  g_free (url);
  g_free (method);
  g_free (path);
  soup_message_headers_unref (hdrs);
}

/* Whatever credentials a head carries, the check decides without hashing
 * for a user-password pair, and grants only the right pair. */
static void
check_credentials (const GstMjpegHttpRequest * req)
{
  static GstMjpegHttpAuth *auth;
  GstMjpegHttpAuthResult res;

  if (!auth)
    auth = gst_mjpeg_http_auth_new_password ("user", "pass");
  res = gst_mjpeg_http_auth_check (auth,
      req->authorization[0] ? req->authorization : NULL);
  CHECK (res != GST_MJPEG_HTTP_AUTH_NEEDS_HASH);
  if (!req->authorization[0])
    CHECK (res == GST_MJPEG_HTTP_AUTH_MISSING);
  if (res == GST_MJPEG_HTTP_AUTH_GRANTED)
    CHECK (g_str_has_suffix (req->authorization, "dXNlcjpwYXNz")
        || g_str_has_suffix (req->authorization, "dXNlcjpwYXNz="));
}

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
      /* allowed-hosts compares lower-case names without port or brackets */
      CHECK (strlen (req.host) <= GST_MJPEG_HTTP_HOST_MAX);
      CHECK (!strpbrk (req.host, "ABCDEFGHIJKLMNOPQRSTUVWXYZ[]/@ "));
      CHECK (strlen (req.authorization) <= GST_MJPEG_HTTP_AUTHORIZATION_MAX);
      /* a cap is 0 (none) or in (0, 1000]: never NaN, infinite or negative */
      CHECK (req.options.fps == 0 || (req.options.fps > 0
              && req.options.fps <= GST_MJPEG_HTTP_FPS_MAX));
      check_credentials (&req);
      gst_mjpeg_http_request_route (&req, &paths);
      check_libsoup_accepts (data, req.head_len);
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
