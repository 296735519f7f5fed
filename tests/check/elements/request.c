/* mjpeghttp
 * Copyright (C) 2026 mjpeghttp developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

/* The gate's pure parts: the request-head parser and the per-address
 * accounting, with time passed in. */

#include <gst/check/gstcheck.h>
#include <string.h>

#include "gstmjpeghttppeers.h"
#include "gstmjpeghttprequest.h"

static const GstMjpegHttpPaths paths = { "/", "/stream", "/snapshot",
  "/stats", "/metrics", "/events"
};

static GstMjpegHttpParseResult
parse (const gchar * head, GstMjpegHttpRequest * req)
{
  return gst_mjpeg_http_request_parse (head, strlen (head), req);
}

GST_START_TEST (test_valid_heads)
{
  GstMjpegHttpRequest req;
  const gchar *head = "GET /stream?advance_headers=1&t=9 HTTP/1.1\r\n"
      "Host: cam:8080\r\nIf-None-Match: \"abc\"\r\n\r\nnext request";

  fail_unless_equals_int (parse (head, &req), GST_MJPEG_HTTP_PARSE_COMPLETE);
  fail_unless_equals_int (req.method, GST_MJPEG_HTTP_METHOD_GET);
  fail_unless_equals_int (req.http_minor, 1);
  fail_unless_equals_string (req.path, "/stream");
  fail_unless (req.options.advance_headers);
  fail_unless_equals_string (req.if_none_match, "\"abc\"");
  fail_unless_equals_int (req.head_len,
      strlen (head) - strlen ("next request"));
  fail_unless_equals_int (gst_mjpeg_http_request_route (&req, &paths),
      GST_MJPEG_HTTP_ROUTE_STREAM);

  fail_unless_equals_int (parse ("HEAD http://cam/snapshot HTTP/1.0\n\n",
          &req), GST_MJPEG_HTTP_PARSE_COMPLETE);
  fail_unless_equals_int (req.method, GST_MJPEG_HTTP_METHOD_HEAD);
  fail_unless_equals_int (req.http_minor, 0);
  fail_unless_equals_string (req.path, "/snapshot");

  fail_unless_equals_int (parse ("GET /?action=stream HTTP/1.1\r\nHost: a\r\n"
          "\r\n", &req), GST_MJPEG_HTTP_PARSE_COMPLETE);
  fail_unless_equals_int (gst_mjpeg_http_request_route (&req, &paths),
      GST_MJPEG_HTTP_ROUTE_STREAM);
  fail_unless_equals_int (parse ("GET /?action=other HTTP/1.1\r\nHost: a\r\n"
          "\r\n", &req), GST_MJPEG_HTTP_PARSE_COMPLETE);
  fail_unless_equals_int (gst_mjpeg_http_request_route (&req, &paths),
      GST_MJPEG_HTTP_ROUTE_VIEWER);
  fail_unless_equals_int (parse ("GET /stream?advance_headers=0 HTTP/1.1\r\n"
          "Host: a\r\n\r\n", &req), GST_MJPEG_HTTP_PARSE_COMPLETE);
  fail_if (req.options.advance_headers);
}

GST_END_TEST;

/* Every proper prefix of a valid head is only incomplete, never refused:
 * a client that sends its request a byte at a time is served. */
GST_START_TEST (test_prefixes_are_incomplete)
{
  const gchar *head = "GET /snapshot?x=1 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
      "User-Agent: curl/7.88.1\r\nAccept: */*\r\n\r\n";
  GstMjpegHttpRequest req;
  gsize i;

  for (i = 0; i < strlen (head); i++)
    fail_unless_equals_int (gst_mjpeg_http_request_parse (head, i, &req),
        GST_MJPEG_HTTP_PARSE_INCOMPLETE);
  fail_unless_equals_int (parse (head, &req), GST_MJPEG_HTTP_PARSE_COMPLETE);
}

GST_END_TEST;

typedef struct
{
  const gchar *head;
  GstMjpegHttpParseResult result;
  guint status;
} Bad;

GST_START_TEST (test_refusals)
{
  static const Bad bad[] = {
    {"\x16\x03\x01", GST_MJPEG_HTTP_PARSE_BAD_REQUEST, 400},
    {"GET /\r\n", GST_MJPEG_HTTP_PARSE_BAD_REQUEST, 400},
    {"get / HTTP/1.1\r\nHost: a\r\n\r\n",
        GST_MJPEG_HTTP_PARSE_METHOD_NOT_ALLOWED, 405},
    {"DELETE / HTTP/1.1\r\n", GST_MJPEG_HTTP_PARSE_METHOD_NOT_ALLOWED, 405},
    {"GET / HTTP/3.0\r\n", GST_MJPEG_HTTP_PARSE_VERSION_NOT_SUPPORTED, 505},
    {"GET / HTTP/1.1 \r\n", GST_MJPEG_HTTP_PARSE_BAD_REQUEST, 400},
    {"GET  / HTTP/1.1\r\n", GST_MJPEG_HTTP_PARSE_BAD_REQUEST, 400},
    {"GET /a#b HTTP/1.1\r\n", GST_MJPEG_HTTP_PARSE_BAD_REQUEST, 400},
    {"GET http:/// HTTP/1.1\r\n", GST_MJPEG_HTTP_PARSE_BAD_REQUEST, 400},
    {"GET x HTTP/1.1\r\n", GST_MJPEG_HTTP_PARSE_BAD_REQUEST, 400},
    {"GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n",
        GST_MJPEG_HTTP_PARSE_BAD_REQUEST, 400},
    {"GET / HTTP/1.1\r\nHost: a/b\r\n", GST_MJPEG_HTTP_PARSE_BAD_REQUEST, 400},
    {"GET / HTTP/1.1\r\nHost:\r\n", GST_MJPEG_HTTP_PARSE_BAD_REQUEST, 400},
    {"GET / HTTP/1.1\r\nContent-Length: 1\r\n",
        GST_MJPEG_HTTP_PARSE_BAD_REQUEST, 400},
    {"GET / HTTP/1.1\r\nContent-Length: -0\r\n",
        GST_MJPEG_HTTP_PARSE_BAD_REQUEST, 400},
    {"GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n",
        GST_MJPEG_HTTP_PARSE_NOT_IMPLEMENTED, 501},
    {"GET / HTTP/1.1\r\nExpect: 100-continue\r\n",
        GST_MJPEG_HTTP_PARSE_EXPECTATION_FAILED, 417},
    {"GET / HTTP/1.1\r\nX\x01: a\r\n", GST_MJPEG_HTTP_PARSE_BAD_REQUEST, 400},
    {"GET / HTTP/1.1\r\nX: a\x7f\r\n", GST_MJPEG_HTTP_PARSE_BAD_REQUEST, 400},
    {"GET / HTTP/1.1\r\n: a\r\n", GST_MJPEG_HTTP_PARSE_BAD_REQUEST, 400},
    {"GET / HTTP/1.1\r\nX-a\r\n", GST_MJPEG_HTTP_PARSE_BAD_REQUEST, 400},
    {"GET /stream?advance_headers=2 HTTP/1.1\r\n",
        GST_MJPEG_HTTP_PARSE_BAD_REQUEST, 400},
    /* what libsoup 3.2 would refuse on its own */
    {"GET / HTTP/1.2\r\n", GST_MJPEG_HTTP_PARSE_VERSION_NOT_SUPPORTED, 505},
    {"GET https://a/ HTTP/1.1\r\n", GST_MJPEG_HTTP_PARSE_BAD_REQUEST, 400},
    {"GET http://a:99999/ HTTP/1.1\r\n", GST_MJPEG_HTTP_PARSE_BAD_REQUEST,
        400},
    {"GET /%zz HTTP/1.1\r\n", GST_MJPEG_HTTP_PARSE_BAD_REQUEST, 400},
    {"GET /a%00 HTTP/1.1\r\n", GST_MJPEG_HTTP_PARSE_BAD_REQUEST, 400},
    {"GET /a/%2e%2e/b HTTP/1.1\r\n", GST_MJPEG_HTTP_PARSE_BAD_REQUEST, 400},
    {"GET /?q=%4 HTTP/1.1\r\n", GST_MJPEG_HTTP_PARSE_BAD_REQUEST, 400},
    {"GET / HTTP/1.1\r\nHost: a:\r\n", GST_MJPEG_HTTP_PARSE_BAD_REQUEST, 400},
    {"GET / HTTP/1.1\r\nHost: [::1\r\n", GST_MJPEG_HTTP_PARSE_BAD_REQUEST,
        400},
    {"GET / HTTP/1.1\r\nHost: [fe80::1%eth0]\r\n",
        GST_MJPEG_HTTP_PARSE_BAD_REQUEST, 400},
    {"GET / HTTP/1.1\r\nHost: a@b\r\n", GST_MJPEG_HTTP_PARSE_BAD_REQUEST, 400},
  };
  GstMjpegHttpRequest req;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (bad); i++) {
    GstMjpegHttpParseResult res = parse (bad[i].head, &req);

    fail_unless_equals_int (res, bad[i].result);
    fail_unless (req.error != NULL && strlen (req.error) > 10);
    fail_unless_equals_int (gst_mjpeg_http_parse_result_status (res),
        bad[i].status);
  }
}

GST_END_TEST;

GST_START_TEST (test_size_limits)
{
  GString *s = g_string_new ("GET /");
  GstMjpegHttpRequest req;
  guint i;

  /* a request line past the limit is refused before it ends */
  while (s->len <= GST_MJPEG_HTTP_REQUEST_LINE_MAX)
    g_string_append_c (s, 'a');
  fail_unless_equals_int (parse (s->str, &req),
      GST_MJPEG_HTTP_PARSE_URI_TOO_LONG);

  /* a head past the limit */
  g_string_assign (s, "GET / HTTP/1.1\r\nHost: a\r\n");
  while (s->len < GST_MJPEG_HTTP_REQUEST_HEAD_MAX)
    g_string_append (s, "X-Long: 0123456789012345678901234567890123456789"
        "01234567890123456789012345678901234567890123456789\r\n");
  fail_unless_equals_int (parse (s->str, &req),
      GST_MJPEG_HTTP_PARSE_HEADERS_TOO_LARGE);

  /* as many header lines as allowed, then one more */
  g_string_assign (s, "GET / HTTP/1.1\r\nHost: a\r\n");
  for (i = 1; i < GST_MJPEG_HTTP_REQUEST_HEADERS_MAX; i++)
    g_string_append (s, "X: y\r\n");
  fail_unless_equals_int (gst_mjpeg_http_request_parse (s->str, s->len,
          &req), GST_MJPEG_HTTP_PARSE_INCOMPLETE);
  g_string_append (s, "\r\n");
  fail_unless_equals_int (parse (s->str, &req), GST_MJPEG_HTTP_PARSE_COMPLETE);
  g_string_insert (s, s->len - 2, "X: y\r\n");
  fail_unless_equals_int (parse (s->str, &req),
      GST_MJPEG_HTTP_PARSE_HEADERS_TOO_LARGE);

  /* a request line of the longest length, its CR come before its LF */
  g_string_assign (s, "GET /");
  while (s->len < GST_MJPEG_HTTP_REQUEST_LINE_MAX - strlen (" HTTP/1.1"))
    g_string_append_c (s, 'a');
  g_string_append (s, " HTTP/1.1\r");
  fail_unless_equals_int (parse (s->str, &req),
      GST_MJPEG_HTTP_PARSE_INCOMPLETE);
  g_string_append (s, "\nHost: a\r\n\r\n");
  fail_unless_equals_int (parse (s->str, &req), GST_MJPEG_HTTP_PARSE_COMPLETE);
  g_string_free (s, TRUE);
}

GST_END_TEST;

static void
key_of (GstMjpegHttpPeerKey * key, const gchar * ip)
{
  GSocketAddress *a = g_inet_socket_address_new_from_string (ip, 1234);

  gst_mjpeg_http_peer_key_init (key, a);
  g_object_unref (a);
}

GST_START_TEST (test_token_bucket)
{
  GstMjpegHttpPeers *peers = gst_mjpeg_http_peers_new ();
  GstMjpegHttpPeerKey a, b;
  guint retry = 0, i;
  gint64 t = 1000000;

  key_of (&a, "10.0.0.1");
  key_of (&b, "10.0.0.2");
  gst_mjpeg_http_peers_set_rate (peers, 2, 3);
  for (i = 0; i < 3; i++)
    fail_unless (gst_mjpeg_http_peers_take_request (peers, &a, t, &retry));
  fail_if (gst_mjpeg_http_peers_take_request (peers, &a, t, &retry));
  fail_unless_equals_int (retry, 1);
  fail_unless (gst_mjpeg_http_peers_take_request (peers, &b, t, &retry));

  /* 2 a second: half a second later, one more */
  t += G_USEC_PER_SEC / 2;
  fail_unless (gst_mjpeg_http_peers_take_request (peers, &a, t, &retry));
  fail_if (gst_mjpeg_http_peers_take_request (peers, &a, t, &retry));

  /* an address whose bucket is full again holds nothing: forgotten */
  t += 10 * G_USEC_PER_SEC;
  gst_mjpeg_http_peers_sweep (peers, t);
  fail_unless_equals_int (gst_mjpeg_http_peers_get_n_addresses (peers), 0);

  /* rate 0: no limit */
  gst_mjpeg_http_peers_set_rate (peers, 0, 1);
  for (i = 0; i < 1000; i++)
    fail_unless (gst_mjpeg_http_peers_take_request (peers, &a, t, &retry));
  gst_mjpeg_http_peers_free (peers);
}

GST_END_TEST;

/* One peer: an IPv4 address, the same seen through a dual-stack socket,
 * or an IPv6 /64. */
GST_START_TEST (test_peer_keys)
{
  GstMjpegHttpPeerKey a, b;

  key_of (&a, "10.0.0.1");
  key_of (&b, "::ffff:10.0.0.1");
  fail_unless (memcmp (&a, &b, sizeof (a)) == 0);
  key_of (&a, "2001:db8:1:2::1");
  key_of (&b, "2001:db8:1:2:ffff::7");
  fail_unless (memcmp (&a, &b, sizeof (a)) == 0);
  key_of (&b, "2001:db8:1:3::1");
  fail_if (memcmp (&a, &b, sizeof (a)) == 0);
}

GST_END_TEST;

/* The host a request is for, as allowed-hosts compares it; and the
 * credentials, kept for the password check. */
GST_START_TEST (test_host_and_authorization)
{
  GstMjpegHttpRequest req;
  gchar long_auth[GST_MJPEG_HTTP_AUTHORIZATION_MAX + 64];
  gchar *head;

  fail_unless_equals_int (parse ("GET / HTTP/1.1\r\nHost: CAM.Local:8080\r\n"
          "Authorization: Basic YTpi \r\n\r\n", &req),
      GST_MJPEG_HTTP_PARSE_COMPLETE);
  fail_unless_equals_string (req.host, "cam.local");
  fail_unless_equals_string (req.authorization, "Basic YTpi");

  fail_unless_equals_int (parse ("GET / HTTP/1.1\r\nHost: [::1]:80\r\n\r\n",
          &req), GST_MJPEG_HTTP_PARSE_COMPLETE);
  fail_unless_equals_string (req.host, "::1");
  fail_unless_equals_string (req.authorization, "");

  /* an absolute target's host wins over the Host header, before or after */
  fail_unless_equals_int (parse ("GET http://evil.example:1/ HTTP/1.1\r\n"
          "Host: cam\r\n\r\n", &req), GST_MJPEG_HTTP_PARSE_COMPLETE);
  fail_unless_equals_string (req.host, "evil.example");

  /* HTTP/1.0 without Host: no host */
  fail_unless_equals_int (parse ("GET / HTTP/1.0\r\n\r\n", &req),
      GST_MJPEG_HTTP_PARSE_COMPLETE);
  fail_unless_equals_string (req.host, "");

  fail_unless_equals_int (parse ("GET / HTTP/1.1\r\nHost: a\r\n"
          "Authorization: Basic YTpi\r\nauthorization: Basic YzpK\r\n\r\n",
          &req), GST_MJPEG_HTTP_PARSE_BAD_REQUEST);
  fail_unless (strstr (req.error, "more than one Authorization"));

  memset (long_auth, 'A', sizeof (long_auth) - 1);
  long_auth[sizeof (long_auth) - 1] = '\0';
  head = g_strdup_printf ("GET / HTTP/1.1\r\nHost: a\r\nAuthorization: "
      "Basic %s\r\n\r\n", long_auth);
  fail_unless_equals_int (parse (head, &req), GST_MJPEG_HTTP_PARSE_BAD_REQUEST);
  fail_unless (strstr (req.error, "Authorization header is too long"));
  g_free (head);
}

GST_END_TEST;

/* Wrong passwords: five are free, then the address is shut out of
 * password checks for 1 s, 2 s, 4 s ...; other addresses are not; a right
 * one forgives. */
GST_START_TEST (test_password_failures)
{
  GstMjpegHttpPeers *peers = gst_mjpeg_http_peers_new ();
  GstMjpegHttpPeerKey a, b;
  guint retry = 0, i;
  gint64 t = 1000000;

  key_of (&a, "10.0.0.1");
  key_of (&b, "10.0.0.2");
  for (i = 1; i <= GST_MJPEG_HTTP_PEERS_FREE_PASSWORD_FAILURES; i++) {
    fail_unless (gst_mjpeg_http_peers_may_try_password (peers, &a, t, &retry));
    fail_unless_equals_int (gst_mjpeg_http_peers_password_failed (peers, &a,
            t), i);
  }
  fail_unless (gst_mjpeg_http_peers_may_try_password (peers, &a, t, &retry));
  gst_mjpeg_http_peers_password_failed (peers, &a, t);
  fail_if (gst_mjpeg_http_peers_may_try_password (peers, &a, t, &retry));
  fail_unless_equals_int (retry, 1);
  fail_unless (gst_mjpeg_http_peers_may_try_password (peers, &b, t, &retry));

  t += G_USEC_PER_SEC;
  fail_unless (gst_mjpeg_http_peers_may_try_password (peers, &a, t, &retry));
  gst_mjpeg_http_peers_password_failed (peers, &a, t);
  fail_if (gst_mjpeg_http_peers_may_try_password (peers, &a, t, &retry));
  fail_unless_equals_int (retry, 2);

  /* an address with failures is kept, even holding nothing else */
  gst_mjpeg_http_peers_sweep (peers, t + 60 * G_USEC_PER_SEC);
  fail_unless_equals_int (gst_mjpeg_http_peers_get_n_addresses (peers), 1);

  /* the lockout grows to at most 5 minutes */
  for (i = 0; i < 40; i++)
    gst_mjpeg_http_peers_password_failed (peers, &a, t);
  fail_if (gst_mjpeg_http_peers_may_try_password (peers, &a, t, &retry));
  fail_unless_equals_int (retry, 300);

  gst_mjpeg_http_peers_password_succeeded (peers, &a);
  fail_unless (gst_mjpeg_http_peers_may_try_password (peers, &a, t, &retry));
  fail_unless_equals_int (gst_mjpeg_http_peers_password_failed (peers, &a, t),
      1);

  /* and failures are forgotten a quarter of an hour after the last */
  t += 901 * G_USEC_PER_SEC;
  fail_unless_equals_int (gst_mjpeg_http_peers_password_failed (peers, &a, t),
      1);
  gst_mjpeg_http_peers_free (peers);
}

GST_END_TEST;

GST_START_TEST (test_stream_slots)
{
  GstMjpegHttpPeers *peers = gst_mjpeg_http_peers_new ();
  GstMjpegHttpPeerKey a, b, c, busiest;

  key_of (&a, "10.0.0.1");
  key_of (&b, "::ffff:10.0.0.2");
  key_of (&c, "fe80::1");
  fail_unless_equals_int (gst_mjpeg_http_peers_acquire_stream (peers, &a, 3,
          2), GST_MJPEG_HTTP_STREAM_GRANTED);
  fail_unless_equals_int (gst_mjpeg_http_peers_acquire_stream (peers, &a, 3,
          2), GST_MJPEG_HTTP_STREAM_GRANTED);
  fail_unless_equals_int (gst_mjpeg_http_peers_acquire_stream (peers, &a, 3,
          2), GST_MJPEG_HTTP_STREAM_TOO_MANY_FROM_ADDRESS);
  fail_unless_equals_int (gst_mjpeg_http_peers_acquire_stream (peers, &b, 3,
          2), GST_MJPEG_HTTP_STREAM_GRANTED);
  fail_unless_equals_int (gst_mjpeg_http_peers_acquire_stream (peers, &c, 3,
          2), GST_MJPEG_HTTP_STREAM_TOO_MANY_CLIENTS);
  fail_unless_equals_int (gst_mjpeg_http_peers_get_n_streams (peers), 3);
  gst_mjpeg_http_peers_release_stream (peers, &a);
  fail_unless_equals_int (gst_mjpeg_http_peers_acquire_stream (peers, &c, 3,
          2), GST_MJPEG_HTTP_STREAM_GRANTED);

  gst_mjpeg_http_peers_add_pending (peers, &b);
  gst_mjpeg_http_peers_add_pending (peers, &c);
  gst_mjpeg_http_peers_add_pending (peers, &c);
  fail_unless (gst_mjpeg_http_peers_get_busiest (peers, &busiest));
  fail_unless (memcmp (&busiest, &c, sizeof (c)) == 0);
  gst_mjpeg_http_peers_remove_pending (peers, &c);
  gst_mjpeg_http_peers_remove_pending (peers, &c);
  gst_mjpeg_http_peers_remove_pending (peers, &b);
  fail_if (gst_mjpeg_http_peers_get_busiest (peers, &busiest));

  gst_mjpeg_http_peers_release_stream (peers, &a);
  gst_mjpeg_http_peers_release_stream (peers, &b);
  gst_mjpeg_http_peers_release_stream (peers, &c);
  fail_unless_equals_int (gst_mjpeg_http_peers_get_n_addresses (peers), 0);
  gst_mjpeg_http_peers_free (peers);
}

GST_END_TEST;

/* ?fps=N: digits with at most one point, in [0.01, 1000]; anything else is a
 * 400 that says what would do. The last one given wins, as for the other
 * options. */
GST_START_TEST (test_fps_option)
{
  static const struct
  {
    const gchar *query;
    gdouble fps;
  } good[] = {
    {"", 0}, {"?t=1", 0}, {"?fps=2", 2}, {"?fps=0.5", 0.5}, {"?fps=.25", 0.25},
    {"?fps=30.", 30}, {"?fps=1000", 1000}, {"?fps=0001", 1},
    {"?fps=0.01", 0.01}, {"?t=1&fps=12.5&advance_headers=1", 12.5},
    {"?fps=5&fps=3", 3}, {"?FPS=7", 7},
  };
  static const gchar *bad[] = {
    "0", "0.0", "000", "-1", "+5", " 5", "abc", "nan", "NaN", "inf",
    "infinity", "1001", "1000.001", "1e3", "1E2", "", "0x10", "5fps", "1.2.3",
    ".", "%35", "5,5", "99999999999999999999999999999999999", "0.0099",
    "0.00000000000000000000000000001",
  };
  GstMjpegHttpRequest req;
  gchar *head;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (good); i++) {
    head = g_strdup_printf ("GET /stream%s HTTP/1.1\r\nHost: a\r\n\r\n",
        good[i].query);
    fail_unless_equals_int (parse (head, &req), GST_MJPEG_HTTP_PARSE_COMPLETE);
    fail_unless_equals_float (req.options.fps, good[i].fps);
    fail_unless_equals_string (req.path, "/stream");
    g_free (head);
  }

  for (i = 0; i < G_N_ELEMENTS (bad); i++) {
    GstMjpegHttpParseResult res;

    head = g_strdup_printf ("GET /stream?fps=%s HTTP/1.1\r\nHost: a\r\n"
        "\r\n", bad[i]);
    res = parse (head, &req);
    /* " 5" breaks the request line itself */
    fail_unless_equals_int (res, GST_MJPEG_HTTP_PARSE_BAD_REQUEST);
    fail_unless_equals_int (gst_mjpeg_http_parse_result_status (res), 400);
    if (bad[i][0] != ' ')
      fail_unless_equals_string (req.error, "fps must be a number of frames "
          "per second from 0.01 to 1000, such as fps=5 or fps=0.5.");
    g_free (head);
  }
}

GST_END_TEST;

static Suite *
request_suite (void)
{
  Suite *s = suite_create ("request");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_valid_heads);
  tcase_add_test (tc, test_prefixes_are_incomplete);
  tcase_add_test (tc, test_refusals);
  tcase_add_test (tc, test_size_limits);
  tcase_add_test (tc, test_token_bucket);
  tcase_add_test (tc, test_peer_keys);
  tcase_add_test (tc, test_stream_slots);
  tcase_add_test (tc, test_host_and_authorization);
  tcase_add_test (tc, test_password_failures);
  tcase_add_test (tc, test_fps_option);
  return s;
}

GST_CHECK_MAIN (request);
