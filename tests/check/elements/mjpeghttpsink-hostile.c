/* mjpeghttp
 * Copyright (C) 2026 mjpeghttp developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

/* Careless and hostile clients: none may hurt the others. Malformed and
 * ambiguous requests get a clear answer before any handler runs; slow,
 * stalled, greedy and chatty clients are cut off by the limits; the
 * element's counters say why. Real sockets on 127.0.0.x only, each peer
 * from its own loopback address where per-address limits matter. */

#include "testclient.h"

#include <string.h>
#include <sys/socket.h>

/* Everything the server sends on a connection until it closes it. */
static gchar *
read_all (TestClient * c)
{
  while (test_client_fill (c));
  return g_strndup ((const gchar *) c->buf->data, c->buf->len);
}

/* Sends @len bytes of @req from @from and returns the whole answer. */
static gchar *
raw_answer (guint port, const gchar * from, const gchar * req, gsize len)
{
  TestClient *c = test_client_connect_from (port, from, 0);
  GError *err = NULL;
  gchar *answer;

  fail_unless_equals_int (g_socket_send (c->socket, req, len, NULL, &err), len);
  answer = read_all (c);
  test_client_free (c);
  return answer;
}

static guint
answer_status (const gchar * answer)
{
  fail_unless (g_str_has_prefix (answer, "HTTP/1.1 ")
      || g_str_has_prefix (answer, "HTTP/1.0 "), "not an HTTP answer: "
      "\"%.60s\"", answer);
  return g_ascii_strtoull (answer + 9, NULL, 10);
}

static guint64
stat_of (GstHarness * h, const gchar * field)
{
  GstStructure *s;
  guint64 v = 0;

  g_object_get (h->element, "stats", &s, NULL);
  fail_unless (gst_structure_get_uint64 (s, field, &v), "no %s in %"
      GST_PTR_FORMAT, field, s);
  gst_structure_free (s);
  return v;
}

static guint
stat_uint (GstHarness * h, const gchar * field)
{
  GstStructure *s;
  guint v = 0;

  g_object_get (h->element, "stats", &s, NULL);
  fail_unless (gst_structure_get_uint (s, field, &v));
  gst_structure_free (s);
  return v;
}

/* The server still answers a plain request from another address. */
static void
expect_served (GstHarness * h)
{
  fail_unless_equals_int (test_client_status (sink_port (h), "/",
          "127.0.0.99"), 200);
}

typedef struct
{
  const gchar *what;
  const gchar *request;
  gsize len;                    /* 0: strlen (request) */
  guint status;
  const gchar *counter;
  const gchar *says;            /* in the body, or NULL */
} BadRequest;

static const gchar tls_client_hello[] =
    "\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03" "abcdefghijklmnop";

static const BadRequest bad_requests[] = {
  {"duplicate Host", "GET /snapshot HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
      0, 400, "refused-bad-request", "more than one Host"},
  {"duplicate Content-Length", "GET / HTTP/1.1\r\nHost: a\r\n"
        "Content-Length: 0\r\nContent-Length: 0\r\n\r\n", 0, 400,
      "refused-bad-request", "more than one Content-Length"},
  {"Content-Length and Transfer-Encoding", "GET / HTTP/1.1\r\nHost: a\r\n"
        "Content-Length: 0\r\nTransfer-Encoding: chunked\r\n\r\n", 0, 400,
      "refused-bad-request", "both"},
  {"Transfer-Encoding libsoup does not know", "GET / HTTP/1.1\r\nHost: a\r\n"
        "Transfer-Encoding: gzip\r\n\r\n", 0, 501, "refused-unsupported",
      "no request body"},
  {"a body", "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n",
      0, 400, "refused-bad-request", "no request body"},
  {"Expect: 100-continue", "GET / HTTP/1.1\r\nHost: a\r\n"
        "Expect: 100-continue\r\nContent-Length: 10\r\n\r\n", 0, 417,
      "refused-unsupported", "nothing to expect"},
  {"POST", "POST /stream HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc",
      0, 405, "refused-method-not-allowed", "Only GET and HEAD"},
  {"a request line without version", "GET\r\n\r\n", 0, 400,
      "refused-bad-request", NULL},
  {"HTTP/0.9", "GET /\r\n", 0, 400, "refused-bad-request", "HTTP/0.9"},
  {"HTTP/2.0 in clear", "GET / HTTP/2.0\r\nHost: a\r\n\r\n", 0, 505,
      "refused-unsupported", NULL},
  {"HTTP/1.1 without Host", "GET / HTTP/1.1\r\n\r\n", 0, 400,
      "refused-bad-request", "Host"},
  {"a folded header", "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n c\r\n\r\n", 0,
      400, "refused-bad-request", "Folded"},
  {"a space before the colon", "GET / HTTP/1.1\r\nHost : a\r\n\r\n", 0, 400,
      "refused-bad-request", NULL},
  {"a stray CR", "GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n", 0, 400,
      "refused-bad-request", NULL},
  {"random bytes", "\x01\x02\x03\xff\xfe garbage", 14, 400,
      "refused-bad-request", "not an HTTP request"},
  {"a TLS ClientHello", tls_client_hello, sizeof (tls_client_hello) - 1, 400,
      "refused-bad-request", "not an HTTP request"},
  {"a bad advance_headers", "GET /stream?advance_headers=maybe HTTP/1.1\r\n"
        "Host: a\r\n\r\n", 0, 400, "refused-bad-request", "advance_headers"},
};

GST_START_TEST (test_bad_requests_get_clear_answers)
{
  GstHarness *h = start_sink ("");
  guint port = sink_port (h), i;
  GstBuffer *f1 = make_frame (1, 3000);

  push (h, f1);
  for (i = 0; i < G_N_ELEMENTS (bad_requests); i++) {
    const BadRequest *b = &bad_requests[i];
    guint64 before = stat_of (h, b->counter);
    gchar *answer = raw_answer (port, "127.0.0.2", b->request,
        b->len ? b->len : strlen (b->request));

    GST_INFO ("%s: %s", b->what, answer);
    fail_unless_equals_int (answer_status (answer), b->status);
    fail_unless (head_has (answer, "Connection: close\r\n"), "%s", b->what);
    fail_unless (head_has (answer, "X-Content-Type-Options: nosniff\r\n"));
    if (b->says)
      fail_unless (strstr (answer, b->says) != NULL,
          "%s: the answer does not say \"%s\": %s", b->what, b->says, answer);
    if (b->status == 405)
      fail_unless (head_has (answer, "Allow: GET, HEAD\r\n"));
    fail_unless_equals_int (stat_of (h, b->counter), before + 1);
    g_free (answer);
  }
  expect_served (h);
  gst_buffer_unref (f1);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* What real clients send is let through: HTTP/1.0 without Host, bare LF
 * line ends, absolute-form targets, cache busters, mjpg-streamer's URLs. */
GST_START_TEST (test_lenient_where_real_clients_need_it)
{
  static const gchar *good[] = {
    "GET /snapshot HTTP/1.0\r\n\r\n",
    "GET /snapshot HTTP/1.1\nHost: 127.0.0.1\n\n",
    "GET http://127.0.0.1/snapshot HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
    "GET /snapshot?t=1733231234567 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n"
        "User-Agent: Mozilla/5.0 (X11; Linux x86_64)\r\nAccept: */*\r\n\r\n",
    "GET /?action=snapshot HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n",
    "GET /snapshot HTTP/1.1\r\nHost: cam.local\r\nContent-Length: 0\r\n\r\n",
  };
  GstHarness *h = start_sink ("");
  GstBuffer *f1 = make_frame (1, 3000);
  guint i;

  push (h, f1);
  for (i = 0; i < G_N_ELEMENTS (good); i++) {
    gchar *answer = raw_answer (sink_port (h), "127.0.0.3", good[i],
        strlen (good[i]));

    fail_unless_equals_int (answer_status (answer), 200);
    fail_unless (head_has (answer, "Content-Type: image/jpeg\r\n"));
    g_free (answer);
  }
  gst_buffer_unref (f1);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_oversized_heads)
{
  GstHarness *h = start_sink ("");
  GString *line = g_string_new ("GET /");
  GString *headers = g_string_new ("GET / HTTP/1.1\r\nHost: a\r\n");
  gchar *answer;
  guint i;

  /* the request line: 414 as soon as it is too long, end or not */
  for (i = 0; i < 30000; i++)
    g_string_append_c (line, 'a');
  answer = raw_answer (sink_port (h), "127.0.0.2", line->str, line->len);
  fail_unless_equals_int (answer_status (answer), 414);
  g_free (answer);
  fail_unless_equals_int (stat_of (h, "refused-uri-too-long"), 1);

  /* 20 KiB of headers */
  for (i = 0; i < 400; i++)
    g_string_append_printf (headers, "X-Filler-%u: %050u\r\n", i, i);
  g_string_append (headers, "\r\n");
  answer = raw_answer (sink_port (h), "127.0.0.2", headers->str, headers->len);
  fail_unless_equals_int (answer_status (answer), 431);
  g_free (answer);
  fail_unless_equals_int (stat_of (h, "refused-headers-too-large"), 1);

  expect_served (h);
  g_string_free (line, TRUE);
  g_string_free (headers, TRUE);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* Slow-loris: a head that never completes gets 408 at the deadline. */
GST_START_TEST (test_header_timeout)
{
  GstHarness *h = start_sink ("header-timeout=1");
  TestClient *c = test_client_connect_from (sink_port (h), "127.0.0.2", 0);
  gint64 start = g_get_monotonic_time ();
  gchar *answer;
  gint64 took;

  test_client_send (c, "GET /stream HTTP/1.1\r\nHost: a\r\nX-a: b\r\n");
  answer = read_all (c);
  took = g_get_monotonic_time () - start;
  fail_unless_equals_int (answer_status (answer), 408);
  fail_unless (took >= 900 * 1000 && took < 3 * G_USEC_PER_SEC,
      "closed after %" G_GINT64_FORMAT " ms", took / 1000);
  fail_unless_equals_int (stat_of (h, "refused-header-timeout"), 1);
  g_free (answer);
  test_client_free (c);

  /* a shorter timeout applies at once, also to connections waiting */
  g_object_set (h->element, "header-timeout", 30, NULL);
  c = test_client_connect_from (sink_port (h), "127.0.0.2", 0);
  test_client_send (c, "GET / HTTP/1.1\r\n");
  g_usleep (200 * 1000);
  start = g_get_monotonic_time ();
  g_object_set (h->element, "header-timeout", 1, NULL);
  answer = read_all (c);
  fail_unless_equals_int (answer_status (answer), 408);
  fail_unless (strstr (answer, "within 1 s") != NULL, "%s", answer);
  took = g_get_monotonic_time () - start;
  fail_unless (took < 2 * G_USEC_PER_SEC, "408 after %" G_GINT64_FORMAT
      " ms", took / 1000);
  g_free (answer);
  test_client_free (c);

  /* a connection that sends nothing at all is not held either */
  c = test_client_connect_from (sink_port (h), "127.0.0.2", 0);
  answer = read_all (c);
  fail_unless_equals_int (answer_status (answer), 408);
  g_free (answer);
  test_client_free (c);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* Half-open connections have a bound of their own, and the peer that holds
 * the most loses its own first: a viewer always gets in. */
GST_START_TEST (test_half_open_connections_never_lock_out_viewers)
{
  GstHarness *h = start_sink ("max-pending-connections=8 header-timeout=60");
  guint port = sink_port (h), i;
  TestClient *loris[20], *viewer;
  gint64 start;

  for (i = 0; i < G_N_ELEMENTS (loris); i++) {
    loris[i] = test_client_connect_from (port, "127.0.0.2", 0);
    test_client_send (loris[i], "GET / HTTP/1.1\r\n");
  }
  /* they are accepted in order, and each one past 8 evicts the oldest */
  start = g_get_monotonic_time ();
  while (stat_of (h, "refused-evicted") < 12
      && g_get_monotonic_time () - start < 5 * G_USEC_PER_SEC)
    g_usleep (10000);
  fail_unless_equals_int (stat_of (h, "refused-evicted"), 12);
  fail_unless_equals_int (stat_uint (h, "pending-connections"), 8);

  start = g_get_monotonic_time ();
  viewer = test_client_get_from (port, "/stream", "127.0.0.3", 0);
  test_client_open_stream (viewer);
  fail_unless (g_get_monotonic_time () - start < G_USEC_PER_SEC);
  wait_num_clients (h, 1);
  /* the viewer's own connection took the place of a slow-loris one */
  fail_unless_equals_int (stat_of (h, "refused-evicted"), 13);

  test_client_free (viewer);
  for (i = 0; i < G_N_ELEMENTS (loris); i++)
    test_client_free (loris[i]);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* Viewers that stop reading are dropped after "timeout", freeing their
 * slots; the one that reads keeps every frame. */
GST_START_TEST (test_stalled_clients_are_dropped)
{
  GstHarness *h = start_sink ("max-clients=3 max-clients-per-address=0 "
      "timeout=500000000");
  guint port = sink_port (h), i;
  TestClient *stalled[2], *reader, *late;
  GstBuffer *frame;
  TestPart part;
  gint64 start;

  for (i = 0; i < 2; i++) {
    stalled[i] = test_client_get (port, "/stream", 4096);
    test_client_read_head (stalled[i]);
  }
  reader = test_client_get (port, "/stream", 0);
  test_client_open_stream (reader);
  wait_num_clients (h, 3);

  /* big frames fill the stalled clients' sockets within a few */
  start = g_get_monotonic_time ();
  for (i = 0; sink_num_clients (h) > 1; i++) {
    fail_unless (g_get_monotonic_time () - start < 5 * G_USEC_PER_SEC,
        "stalled clients still there after 5 s");
    frame = make_frame (i + 1, 400000);
    push (h, frame);
    fail_unless (test_client_read_part (reader, &part));
    assert_part_is (&part, frame);
    test_part_clear (&part);
    gst_buffer_unref (frame);
    g_usleep (50000);
  }
  fail_unless_equals_int (stat_of (h, "removed-slow"), 2);

  /* their places are free again */
  late = test_client_get (port, "/stream", 0);
  test_client_open_stream (late);
  wait_num_clients (h, 2);

  for (i = 0; i < 2; i++)
    test_client_free (stalled[i]);
  test_client_free (reader);
  test_client_free (late);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* libsoup writes short answers and has no timeout: a snapshot client that
 * never reads would hold its connection and a frame for ever. */
GST_START_TEST (test_unread_answers_are_cut_off)
{
  GstHarness *h = start_sink ("timeout=500000000");
  GstBuffer *big = make_frame (1, 8000000);
  TestClient *c;
  GError *err = NULL;
  gchar buf[4096];
  gint64 start;

  push (h, big);
  c = test_client_get_from (sink_port (h), "/snapshot", "127.0.0.2", 4096);
  start = g_get_monotonic_time ();
  while (stat_of (h, "refused-slow-reader") < 1
      && g_get_monotonic_time () - start < 5 * G_USEC_PER_SEC)
    g_usleep (20000);
  fail_unless_equals_int (stat_of (h, "refused-slow-reader"), 1);

  /* what the kernel had taken can still be read; then the connection ends */
  g_socket_set_timeout (c->socket, 2);
  while (g_socket_receive (c->socket, buf, sizeof (buf), NULL, &err) > 0);
  fail_if (err && g_error_matches (err, G_IO_ERROR, G_IO_ERROR_TIMED_OUT),
      "the connection was not ended");
  g_clear_error (&err);
  test_client_free (c);

  /* and the frame is not held: only the sink's newest is */
  expect_served (h);
  gst_buffer_unref (big);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* Before the first frame, snapshot requests wait for it, but not without
 * bound. */
GST_START_TEST (test_snapshot_waiters_are_bounded)
{
  GstHarness *h = start_sink ("request-rate=0");
  TestClient *c[65];
  guint i;

  for (i = 0; i < G_N_ELEMENTS (c); i++)
    c[i] = test_client_get (sink_port (h), "/snapshot", 0);
  /* the last one is told at once */
  test_client_read_head (c[64]);
  fail_unless_equals_int (c[64]->status, 503);
  fail_unless_equals_int (stat_of (h, "refused-snapshot-queue-full"), 1);
  for (i = 0; i < G_N_ELEMENTS (c); i++)
    test_client_free (c[i]);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_max_clients_per_address)
{
  GstHarness *h = start_sink ("max-clients-per-address=2");
  guint port = sink_port (h), i;
  TestClient *mine[2], *third, *other;
  GstBuffer *frame;

  for (i = 0; i < 2; i++) {
    mine[i] = test_client_get_from (port, "/stream", "127.0.0.2", 0);
    test_client_open_stream (mine[i]);
  }
  wait_num_clients (h, 2);
  third = test_client_get_from (port, "/stream", "127.0.0.2", 0);
  test_client_read_head (third);
  fail_unless_equals_int (third->status, 503);
  fail_unless (head_has (third->head, "Retry-After: "));
  fail_unless_equals_int (stat_of (h, "refused-too-many-from-address"), 1);
  test_client_free (third);

  other = test_client_get_from (port, "/stream", "127.0.0.3", 0);
  test_client_open_stream (other);
  wait_num_clients (h, 3);

  /* a snapshot is not a stream: it is not counted against the address */
  frame = make_frame (1, 1000);
  push (h, frame);
  gst_buffer_unref (frame);
  fail_unless_equals_int (test_client_status (port, "/snapshot", "127.0.0.2"),
      200);

  for (i = 0; i < 2; i++)
    test_client_free (mine[i]);
  test_client_free (other);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* A client that keeps sending on its stream is dropped; the others do not
 * notice. */
GST_START_TEST (test_chatty_client_is_dropped)
{
  GstHarness *h = start_sink ("");
  guint port = sink_port (h), i;
  TestClient *chatty, *viewer;
  GstBuffer *frame = make_frame (1, 2000);
  gchar junk[1024];
  TestPart part;

  chatty = test_client_get_from (port, "/stream", "127.0.0.2", 0);
  test_client_open_stream (chatty);
  viewer = test_client_get_from (port, "/stream", "127.0.0.3", 0);
  test_client_open_stream (viewer);
  wait_num_clients (h, 2);

  memset (junk, 'x', sizeof (junk));
  for (i = 0; i < 8; i++)
    g_socket_send (chatty->socket, junk, sizeof (junk), NULL, NULL);
  wait_num_clients (h, 1);
  fail_unless_equals_int (stat_of (h, "removed-sent-data"), 1);

  push (h, frame);
  fail_unless (test_client_read_part (viewer, &part));
  assert_part_is (&part, frame);
  test_part_clear (&part);

  gst_buffer_unref (frame);
  test_client_free (chatty);
  test_client_free (viewer);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_rate_limit)
{
  GstHarness *h = start_sink ("request-rate=1 request-burst=3");
  guint port = sink_port (h), i;
  TestClient *c;
  GstBuffer *frame = make_frame (1, 2000);

  push (h, frame);
  for (i = 0; i < 3; i++) {
    fail_unless_equals_int (test_client_status (port, "/snapshot", "127.0.0.2"),
        200);
  }
  c = test_client_get_from (port, "/", "127.0.0.2", 0);
  test_client_read_head (c);
  fail_unless_equals_int (c->status, 429);
  fail_unless (head_has (c->head, "Retry-After: 1\r\n"), "%s", c->head);
  test_client_free (c);
  fail_unless_equals_int (stat_of (h, "refused-rate-limited"), 1);

  /* opening a stream is a request too; another address is not affected */
  fail_unless_equals_int (test_client_status (port, "/stream", "127.0.0.2"),
      429);
  fail_unless_equals_int (test_client_status (port, "/snapshot", "127.0.0.3"),
      200);

  /* a second later the address may ask again */
  g_usleep (1100 * 1000);
  fail_unless_equals_int (test_client_status (port, "/snapshot", "127.0.0.2"),
      200);

  gst_buffer_unref (frame);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* Every answer says nosniff, and the Server header carries no version. */
GST_START_TEST (test_answers_disclose_nothing)
{
  static const gchar *paths[] = { "/", "/snapshot", "/nothing-here",
    "/stream"
  };
  GstHarness *h = start_sink ("");
  GstBuffer *frame = make_frame (1, 1000);
  guint i;

  push (h, frame);
  gst_buffer_unref (frame);
  for (i = 0; i < G_N_ELEMENTS (paths); i++) {
    TestClient *c = test_client_get (sink_port (h), paths[i], 0);

    test_client_read_head (c);
    fail_unless (head_has (c->head, "X-Content-Type-Options: nosniff\r\n"),
        "%s: %s", paths[i], c->head);
    fail_unless (head_has (c->head, "Server: mjpeghttpsink\r\n"), "%s: %s",
        paths[i], c->head);
    fail_if (strstr (c->head, "libsoup") != NULL, "%s", c->head);
    test_client_free (c);
  }
  gst_harness_teardown (h);
}

GST_END_TEST;

/* A browser that reloads the page revalidates it and gets 304. */
GST_START_TEST (test_viewer_page_is_cacheable)
{
  GstHarness *h = start_sink ("");
  TestClient *c = test_client_get (sink_port (h), "/", 0);
  gchar *etag, *req, *end;
  guint i;

  test_client_read_head (c);
  fail_unless_equals_int (c->status, 200);
  fail_unless (head_has (c->head, "Cache-Control: no-cache\r\n"));
  etag = strstr (c->head, "ETag: ");
  fail_unless (etag != NULL, "%s", c->head);
  etag = g_strdup (etag + 6);
  end = strstr (etag, "\r\n");
  *end = '\0';
  test_client_free (c);

  /* the tag itself, weakly, or in a list */
  for (i = 0; i < 3; i++) {
    c = test_client_connect_full (sink_port (h), 0);
    req = g_strdup_printf ("GET / HTTP/1.1\r\nHost: a\r\nIf-None-Match: "
        "%s%s\r\n\r\n", i == 0 ? "" : i == 1 ? "W/" : "\"old\", ", etag);
    test_client_send (c, req);
    g_free (req);
    test_client_read_head (c);
    fail_unless_equals_int (c->status, 304);
    test_client_free (c);
  }

  g_free (etag);
  gst_harness_teardown (h);
}

GST_END_TEST;

static Suite *
mjpeghttpsink_hostile_suite (void)
{
  Suite *s = suite_create ("mjpeghttpsink-hostile");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_bad_requests_get_clear_answers);
  tcase_add_test (tc, test_lenient_where_real_clients_need_it);
  tcase_add_test (tc, test_oversized_heads);
  tcase_add_test (tc, test_header_timeout);
  tcase_add_test (tc, test_half_open_connections_never_lock_out_viewers);
  tcase_add_test (tc, test_stalled_clients_are_dropped);
  tcase_add_test (tc, test_unread_answers_are_cut_off);
  tcase_add_test (tc, test_snapshot_waiters_are_bounded);
  tcase_add_test (tc, test_max_clients_per_address);
  tcase_add_test (tc, test_chatty_client_is_dropped);
  tcase_add_test (tc, test_rate_limit);
  tcase_add_test (tc, test_answers_disclose_nothing);
  tcase_add_test (tc, test_viewer_page_is_cacheable);
  return s;
}

GST_CHECK_MAIN (mjpeghttpsink_hostile);
