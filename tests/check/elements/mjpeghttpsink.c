/* mjpeghttp
 * Copyright (C) 2026 mjpeghttp developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

/* mjpeghttpsink with real TCP clients on 127.0.0.1: a GstHarness pushes
 * frames whose bytes we know, and blocking test clients (testclient.c)
 * parse what comes back. */

#include <string.h>

#include "testclient.h"

/* ---- tests --------------------------------------------------------------- */

GST_START_TEST (test_properties)
{
  GstElement *sink = gst_element_factory_make ("mjpeghttpsink", NULL);
  gchar *address, *viewer, *stream, *snapshot;
  gint port, current_port;
  guint max_clients, num_clients, backlog;

  fail_unless (sink != NULL);
  g_object_get (sink, "address", &address, "port", &port, "current-port",
      &current_port, "max-clients", &max_clients, "num-clients", &num_clients,
      "listen-backlog", &backlog, "viewer-path", &viewer, "stream-path",
      &stream, "snapshot-path", &snapshot, NULL);
  fail_unless_equals_string (address, "127.0.0.1");
  fail_unless_equals_int (port, 8080);
  fail_unless_equals_int (current_port, 0);
  fail_unless_equals_int (max_clients, 64);
  fail_unless_equals_int (num_clients, 0);
  fail_unless (backlog >= 128);
  fail_unless_equals_string (viewer, "/");
  fail_unless_equals_string (stream, "/stream");
  fail_unless_equals_string (snapshot, "/snapshot");
  g_free (address);
  g_free (viewer);
  g_free (stream);
  g_free (snapshot);

  g_object_set (sink, "address", "0.0.0.0", "port", 0, "max-clients", 3,
      "stream-path", "/video.mjpg", NULL);
  g_object_get (sink, "address", &address, "port", &port, "max-clients",
      &max_clients, "stream-path", &stream, NULL);
  fail_unless_equals_string (address, "0.0.0.0");
  fail_unless_equals_int (port, 0);
  fail_unless_equals_int (max_clients, 3);
  fail_unless_equals_string (stream, "/video.mjpg");
  g_free (address);
  g_free (stream);

  /* a path that could never match is refused with a warning */
  ASSERT_WARNING (g_object_set (sink, "stream-path", "video", NULL));
  g_object_get (sink, "stream-path", &stream, NULL);
  fail_unless_equals_string (stream, "/video.mjpg");
  g_free (stream);

  gst_object_unref (sink);
}

GST_END_TEST;

GST_START_TEST (test_caps)
{
  GstElement *sink = gst_element_factory_make ("mjpeghttpsink", NULL);
  GstPad *pad = gst_element_get_static_pad (sink, "sink");
  GstCaps *tmpl = gst_pad_get_pad_template_caps (pad);
  GstCaps *jpeg = gst_caps_from_string ("image/jpeg,width=1920,height=1080,"
      "framerate=60/1");
  GstCaps *jpeg_plain = gst_caps_from_string ("image/jpeg");
  GstCaps *raw = gst_caps_from_string ("video/x-raw,format=I420");

  fail_unless (gst_caps_can_intersect (tmpl, jpeg));
  fail_unless (gst_caps_can_intersect (tmpl, jpeg_plain));
  fail_if (gst_caps_can_intersect (tmpl, raw));

  gst_caps_unref (tmpl);
  gst_caps_unref (jpeg);
  gst_caps_unref (jpeg_plain);
  gst_caps_unref (raw);
  gst_object_unref (pad);
  gst_object_unref (sink);
}

GST_END_TEST;

static void
on_listening (GstBus * bus, GstMessage * msg, gchar ** url)
{
  const GstStructure *s = gst_message_get_structure (msg);

  if (s && gst_structure_has_name (s, "mjpeghttpsink-listening"))
    *url = g_strdup (gst_structure_get_string (s, "url"));
}

GST_START_TEST (test_listening_message)
{
  GstElement *sink = gst_element_factory_make ("mjpeghttpsink", NULL);
  GstBus *bus = gst_bus_new ();
  GstMessage *msg;
  const GstStructure *s;
  gint port, msg_port;
  gchar *url, *want;

  gst_element_set_bus (sink, bus);
  g_object_set (sink, "port", 0, NULL);
  fail_unless_equals_int (gst_element_set_state (sink, GST_STATE_READY),
      GST_STATE_CHANGE_SUCCESS);
  g_object_get (sink, "current-port", &port, NULL);
  fail_unless (port > 0);

  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT);
  fail_unless (msg != NULL);
  s = gst_message_get_structure (msg);
  fail_unless (gst_structure_has_name (s, "mjpeghttpsink-listening"));
  fail_unless (gst_structure_get_int (s, "port", &msg_port));
  fail_unless_equals_int (msg_port, port);
  want = g_strdup_printf ("http://127.0.0.1:%d/", port);
  url = NULL;
  on_listening (bus, msg, &url);
  fail_unless_equals_string (url, want);
  want = (g_free (want), g_strdup_printf ("http://127.0.0.1:%d/stream", port));
  fail_unless_equals_string (gst_structure_get_string (s, "stream-url"), want);
  g_free (want);
  g_free (url);
  gst_message_unref (msg);

  fail_unless_equals_int (gst_element_set_state (sink, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  g_object_get (sink, "current-port", &port, NULL);
  fail_unless_equals_int (port, 0);
  gst_element_set_bus (sink, NULL);
  gst_object_unref (bus);
  gst_object_unref (sink);
}

GST_END_TEST;

#define N_CLIENTS 20
#define N_FRAMES 15

GST_START_TEST (test_many_clients_get_every_frame)
{
  GstHarness *h = start_sink ("");
  TestClient *clients[N_CLIENTS];
  GstBuffer *frames[N_FRAMES];
  guint port = sink_port (h), i, f;

  /* as many peers: one address may hold max-clients-per-address streams */
  for (i = 0; i < N_CLIENTS; i++) {
    gchar *from = g_strdup_printf ("127.0.0.%u", 10 + i);

    clients[i] = test_client_get_from (port, "/stream", from, 0);
    g_free (from);
    test_client_read_head (clients[i]);
    fail_unless_equals_int (clients[i]->status, 200);
    fail_unless (head_has (clients[i]->head,
            "Content-Type: multipart/x-mixed-replace;boundary=" B "\r\n"));
    fail_unless (head_has (clients[i]->head, "no-store"));
    fail_unless (head_has (clients[i]->head, "no-cache"));
    fail_unless (head_has (clients[i]->head, "Pragma: no-cache\r\n"));
    fail_unless (head_has (clients[i]->head, "X-Accel-Buffering: no\r\n"));
    fail_unless (head_has (clients[i]->head, "Connection: close\r\n"));
    fail_if (head_has (clients[i]->head, "Transfer-Encoding"));
    test_client_expect (clients[i], "--" B "\r\n");
  }
  wait_num_clients (h, N_CLIENTS);

  /* Sizes from tiny to far beyond what one write takes: partial writes must
   * resume at the right byte. Each frame goes to every client because each
   * has taken the previous one before the next is pushed. */
  for (f = 0; f < N_FRAMES; f++) {
    frames[f] = make_frame (f, 100 + f * 23456);
    push (h, frames[f]);
    for (i = 0; i < N_CLIENTS; i++) {
      TestPart part;

      fail_unless (test_client_read_part (clients[i], &part));
      fail_unless_equals_int (part.number, f + 1);
      assert_part_is (&part, frames[f]);
      test_part_clear (&part);
    }
  }

  for (i = 0; i < N_CLIENTS; i++)
    test_client_free (clients[i]);
  wait_num_clients (h, 0);
  for (f = 0; f < N_FRAMES; f++)
    gst_buffer_unref (frames[f]);
  gst_harness_teardown (h);
}

GST_END_TEST;

#define STALL_FRAMES 60
#define FAST_CLIENTS 3

GST_START_TEST (test_stalled_client_gets_newest_frame)
{
  GstHarness *h = start_sink ("");
  TestClient *stalled, *fast[FAST_CLIENTS];
  GstBuffer *frames[STALL_FRAMES];
  guint port = sink_port (h), i, f, parts = 0;
  guint64 last = 0;
  TestPart part;

  /* a small receive buffer, so the kernel cannot hide a backlog there */
  stalled = test_client_get (port, "/stream", 4096);
  test_client_open_stream (stalled);
  for (i = 0; i < FAST_CLIENTS; i++) {
    fast[i] = test_client_get (port, "/stream", 0);
    test_client_open_stream (fast[i]);
  }
  wait_num_clients (h, FAST_CLIENTS + 1);

  /* 60 frames of 100 kB: 6 MB that the stalled client never reads */
  for (f = 0; f < STALL_FRAMES; f++) {
    frames[f] = make_frame (f, 100000 + f);
    push (h, frames[f]);
    for (i = 0; i < FAST_CLIENTS; i++) {
      fail_unless (test_client_read_part (fast[i], &part));
      fail_unless_equals_int (part.number, f + 1);
      assert_part_is (&part, frames[f]);
      test_part_clear (&part);
    }
  }

  /* Resuming, it finishes the frame it was in the middle of and then gets
   * the newest one: no backlog, no duplicate. */
  while (last < STALL_FRAMES) {
    fail_unless (test_client_read_part (stalled, &part));
    fail_unless (part.number > last, "frame %" G_GUINT64_FORMAT " after %"
        G_GUINT64_FORMAT, part.number, last);
    assert_part_is (&part, frames[part.number - 1]);
    last = part.number;
    parts++;
    test_part_clear (&part);
  }
  fail_unless (parts <= 3, "the stalled client was sent a backlog of %u "
      "frames", parts);

  test_client_free (stalled);
  for (i = 0; i < FAST_CLIENTS; i++)
    test_client_free (fast[i]);
  for (f = 0; f < STALL_FRAMES; f++)
    gst_buffer_unref (frames[f]);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_late_client_gets_latest_frame_once)
{
  GstHarness *h = start_sink ("");
  GstBuffer *f1 = make_frame (1, 5000), *f2 = make_frame (2, 6000);
  TestClient *c;
  TestPart part;
  guint port = sink_port (h);

  push (h, f1);
  push (h, f2);
  c = test_client_get (port, "/stream", 0);
  test_client_open_stream (c);
  fail_unless (test_client_read_part (c, &part));
  fail_unless_equals_int (part.number, 2);
  assert_part_is (&part, f2);
  test_part_clear (&part);

  /* nothing more until a new frame: no duplicate of frame 2 */
  g_socket_set_timeout (c->socket, 1);
  {
    guint8 tmp[16];
    GError *err = NULL;
    gssize n = g_socket_receive (c->socket, (gchar *) tmp, sizeof (tmp), NULL,
        &err);

    fail_unless_equals_int (n, -1);
    fail_unless (g_error_matches (err, G_IO_ERROR, G_IO_ERROR_TIMED_OUT));
    g_error_free (err);
  }
  test_client_free (c);
  gst_buffer_unref (f1);
  gst_buffer_unref (f2);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_max_clients)
{
  GstHarness *h = start_sink ("max-clients=2");
  TestClient *a, *b, *c;
  guint port = sink_port (h);
  gint64 start;

  a = test_client_get (port, "/stream", 0);
  test_client_open_stream (a);
  b = test_client_get (port, "/stream", 0);
  test_client_open_stream (b);
  wait_num_clients (h, 2);

  start = g_get_monotonic_time ();
  c = test_client_get (port, "/stream", 0);
  test_client_read_head (c);
  fail_unless_equals_int (c->status, 503);
  fail_unless (head_has (c->head, "Retry-After: "));
  fail_unless (g_get_monotonic_time () - start < 2 * G_USEC_PER_SEC,
      "the refused client waited");
  test_client_free (c);

  /* a place freed is a place taken */
  test_client_free (a);
  wait_num_clients (h, 1);
  c = test_client_get (port, "/stream", 0);
  test_client_open_stream (c);
  wait_num_clients (h, 2);

  test_client_free (b);
  test_client_free (c);
  gst_harness_teardown (h);
}

GST_END_TEST;

static GBytes *
read_body (TestClient * c)
{
  gchar *cl = strstr (c->head, "Content-Length: ");
  gsize len;
  guint8 *data;

  fail_unless (cl != NULL);
  len = g_ascii_strtoull (cl + 16, NULL, 10);
  data = g_malloc (len);
  test_client_read_exact (c, len, data);
  return g_bytes_new_take (data, len);
}

/* The snapshot answer on @c: 200 and exactly @frame's bytes, the
 * @number-th frame. */
static void
expect_snapshot_is (TestClient * c, GstBuffer * frame, guint number)
{
  TestPart part = { 0, };
  gchar *line = g_strdup_printf ("X-Frame-Number: %u\r\n", number);

  test_client_read_head (c);
  fail_unless_equals_int (c->status, 200);
  fail_unless (head_has (c->head, "Content-Type: image/jpeg\r\n"));
  fail_unless (head_has (c->head, line), "no %s in %s", line, c->head);
  g_free (line);
  part.body = read_body (c);
  assert_part_is (&part, frame);
  test_part_clear (&part);
  test_client_free (c);
}

GST_START_TEST (test_snapshot)
{
  GstHarness *h = start_sink ("");
  GstBuffer *f1 = make_frame (1, 7000), *f2 = make_frame (2, 9000);
  guint port = sink_port (h);
  TestClient *c;

  /* asked before the first frame: it waits for it */
  c = test_client_get (port, "/snapshot", 0);
  g_usleep (200 * 1000);
  push (h, f1);
  expect_snapshot_is (c, f1, 1);

  /* then the newest frame, also at mjpg-streamer's URL */
  push (h, f2);
  expect_snapshot_is (test_client_get (port, "/snapshot", 0), f2, 2);
  expect_snapshot_is (test_client_get (port, "/?action=snapshot", 0), f2, 2);

  gst_buffer_unref (f1);
  gst_buffer_unref (f2);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_snapshot_without_frame)
{
  GstHarness *h = start_sink ("");
  TestClient *c = test_client_get (sink_port (h), "/snapshot", 0);
  gint64 start = g_get_monotonic_time ();

  test_client_read_head (c);
  fail_unless_equals_int (c->status, 503);
  fail_unless (head_has (c->head, "Retry-After: "));
  /* it waited a little for a first frame, then gave up */
  fail_unless (g_get_monotonic_time () - start > G_USEC_PER_SEC / 2);
  test_client_free (c);
  gst_harness_teardown (h);
}

GST_END_TEST;

static TestClient *
request (guint port, const gchar * method, const gchar * path)
{
  TestClient *c = test_client_connect_full (port, 0);
  gchar *req = g_strdup_printf ("%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
      "Content-Length: 0\r\n\r\n", method, path);

  test_client_send (c, req);
  g_free (req);
  test_client_read_head (c);
  return c;
}

GST_START_TEST (test_endpoints)
{
  GstHarness *h = start_sink ("stream-path=/video.mjpg");
  guint port = sink_port (h);
  GstBuffer *f1 = make_frame (1, 3000);
  static const struct
  {
    const gchar *method, *path;
    gint status;
  } refused[] = {
    {"GET", "/nothing-here", 404},
    {"GET", "/stream", 404},    /* moved by stream-path */
    {"POST", "/video.mjpg", 405},
    {"DELETE", "/", 405},
  };
  TestClient *c;
  gchar *page;
  TestPart part;
  guint i;

  push (h, f1);

  for (i = 0; i < G_N_ELEMENTS (refused); i++) {
    c = request (port, refused[i].method, refused[i].path);
    fail_unless_equals_int (c->status, refused[i].status);
    if (refused[i].status == 405)
      fail_unless (head_has (c->head, "Allow: GET, HEAD\r\n"));
    test_client_free (c);
  }

  /* HEAD: the stream's head, no body */
  c = request (port, "HEAD", "/video.mjpg");
  fail_unless_equals_int (c->status, 200);
  fail_unless (head_has (c->head, "multipart/x-mixed-replace"));
  fail_if (test_client_fill (c));
  test_client_free (c);

  /* the viewer page points at the configured paths */
  c = request (port, "GET", "/");
  fail_unless_equals_int (c->status, 200);
  fail_unless (head_has (c->head, "Content-Type: text/html"));
  while (test_client_fill (c));
  page = g_strndup ((gchar *) c->buf->data, c->buf->len);
  fail_unless (strstr (page, "src=\"/video.mjpg?advance_headers=1\"") != NULL);
  fail_unless (strstr (page, "data-snapshot=\"/snapshot\"") != NULL);
  fail_unless (strstr (page, "data-events=\"/events\"") != NULL);
  fail_unless (strstr (page, "name=\"viewport\"") != NULL);
  g_free (page);
  test_client_free (c);

  /* mjpg-streamer's stream URL, and a Range request as ffmpeg sends */
  c = test_client_connect_full (port, 0);
  test_client_send (c, "GET /?action=stream HTTP/1.1\r\nHost: x\r\n"
      "Range: bytes=0-\r\n\r\n");
  test_client_open_stream (c);
  fail_unless (test_client_read_part (c, &part));
  assert_part_is (&part, f1);
  test_part_clear (&part);
  test_client_free (c);

  /* HTTP/1.0 is never sent chunked framing */
  c = test_client_connect_full (port, 0);
  test_client_send (c, "GET /video.mjpg HTTP/1.0\r\n\r\n");
  test_client_read_head (c);
  fail_unless_equals_int (c->status, 200);
  fail_if (head_has (c->head, "Transfer-Encoding"));
  test_client_expect (c, "--" B "\r\n");
  fail_unless (test_client_read_part (c, &part));
  assert_part_is (&part, f1);
  test_part_clear (&part);
  test_client_free (c);

  gst_buffer_unref (f1);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* The frame's bytes, then the next part's header block right after it. */
static void
push_and_expect_advance (GstHarness * h, TestClient * c, GstBuffer * frame)
{
  GstMapInfo map;
  guint8 *got;

  push (h, frame);
  fail_unless (gst_buffer_map (frame, &map, GST_MAP_READ));
  got = g_malloc (map.size);
  test_client_read_exact (c, map.size, got);
  fail_unless (memcmp (got, map.data, map.size) == 0);
  g_free (got);
  gst_buffer_unmap (frame, &map);
  test_client_expect (c, "\r\n--" B "\r\nContent-Type: image/jpeg\r\n\r\n");
}

GST_START_TEST (test_advance_headers_layout)
{
  GstHarness *h = start_sink ("");
  GstBuffer *f1 = make_frame (1, 3000), *f2 = make_frame (2, 4000);
  TestClient *c = test_client_get (sink_port (h), "/stream?advance_headers=1",
      0);

  test_client_read_head (c);
  fail_unless_equals_int (c->status, 200);
  /* the header block of the first part comes before any frame */
  test_client_expect (c, "--" B "\r\nContent-Type: image/jpeg\r\n\r\n");

  push_and_expect_advance (h, c, f1);
  push_and_expect_advance (h, c, f2);

  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  test_client_expect (c, "\r\n--" B "--\r\n");
  fail_if (test_client_fill (c));

  test_client_free (c);
  gst_buffer_unref (f1);
  gst_buffer_unref (f2);
  gst_harness_teardown (h);
}

GST_END_TEST;

typedef struct
{
  GMutex lock;
  GPtrArray *added;
  GPtrArray *removed;
} SignalLog;

static void
on_client_added (GstElement * sink, const gchar * peer, SignalLog * log)
{
  g_mutex_lock (&log->lock);
  g_ptr_array_add (log->added, g_strdup (peer));
  g_mutex_unlock (&log->lock);
}

/* Logs "peer status-nick". */
static void
on_client_removed (GstElement * sink, const gchar * peer, gint status,
    SignalLog * log)
{
  GEnumClass *klass = g_type_class_ref (g_type_from_name
      ("GstMjpegHttpSinkClientStatus"));

  g_mutex_lock (&log->lock);
  g_ptr_array_add (log->removed, g_strdup_printf ("%s %s", peer,
          g_enum_get_value (klass, status)->value_nick));
  g_mutex_unlock (&log->lock);
  g_type_class_unref (klass);
}

/* client-removed comes from the server thread just after num-clients has
 * dropped: wait (bounded) for @n removals to be logged. */
static void
wait_removed (SignalLog * log, guint n)
{
  gint64 end = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  guint got;

  do {
    g_mutex_lock (&log->lock);
    got = log->removed->len;
    g_mutex_unlock (&log->lock);
    if (got >= n)
      break;
    g_usleep (2000);
  } while (g_get_monotonic_time () < end);
  fail_unless_equals_int (got, n);
}

GST_START_TEST (test_eos_closes_every_stream)
{
  GstHarness *h = start_sink ("");
  GstBuffer *f1 = make_frame (1, 50000);
  TestClient *c[3];
  SignalLog log = { {0}, g_ptr_array_new_with_free_func (g_free),
  g_ptr_array_new_with_free_func (g_free)
  };
  guint port = sink_port (h), i;
  TestPart part;
  gchar *peer;

  g_mutex_init (&log.lock);
  g_signal_connect (h->element, "client-added", G_CALLBACK (on_client_added),
      &log);
  g_signal_connect (h->element, "client-removed",
      G_CALLBACK (on_client_removed), &log);

  for (i = 0; i < 3; i++) {
    c[i] = test_client_get (port, "/stream", 0);
    test_client_open_stream (c[i]);
  }
  wait_num_clients (h, 3);
  push (h, f1);

  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  for (i = 0; i < 3; i++) {
    fail_unless (test_client_read_part (c[i], &part));
    assert_part_is (&part, f1);
    test_part_clear (&part);
    /* the empty part, the close delimiter, then end of file */
    fail_if (test_client_read_part (c[i], &part));
  }
  wait_num_clients (h, 0);
  wait_removed (&log, 3);

  g_mutex_lock (&log.lock);
  fail_unless_equals_int (log.added->len, 3);
  fail_unless_equals_int (log.removed->len, 3);
  peer = g_ptr_array_index (log.added, 0);
  fail_unless (g_str_has_prefix (peer, "127.0.0.1:"));
  for (i = 0; i < 3; i++)
    fail_unless (g_str_has_suffix (g_ptr_array_index (log.removed, i), " eos"));
  g_mutex_unlock (&log.lock);

  for (i = 0; i < 3; i++)
    test_client_free (c[i]);
  gst_buffer_unref (f1);
  gst_harness_teardown (h);
  g_ptr_array_unref (log.added);
  g_ptr_array_unref (log.removed);
  g_mutex_clear (&log.lock);
}

GST_END_TEST;

GST_START_TEST (test_client_hangup_is_noticed)
{
  GstHarness *h = start_sink ("");
  SignalLog log = { {0}, g_ptr_array_new_with_free_func (g_free),
  g_ptr_array_new_with_free_func (g_free)
  };
  TestClient *c;

  g_mutex_init (&log.lock);
  g_signal_connect (h->element, "client-removed",
      G_CALLBACK (on_client_removed), &log);
  c = test_client_get (sink_port (h), "/stream", 0);
  test_client_open_stream (c);
  wait_num_clients (h, 1);
  test_client_free (c);
  /* no frame flows: only the socket itself can tell */
  wait_num_clients (h, 0);
  wait_removed (&log, 1);
  g_mutex_lock (&log.lock);
  fail_unless_equals_int (log.removed->len, 1);
  fail_unless (g_str_has_suffix (g_ptr_array_index (log.removed, 0),
          " closed"));
  g_mutex_unlock (&log.lock);

  gst_harness_teardown (h);
  g_ptr_array_unref (log.added);
  g_ptr_array_unref (log.removed);
  g_mutex_clear (&log.lock);
}

GST_END_TEST;

/* Brings a new pipeline made of @desc to @state, which must fail, and
 * returns the error it posted. */
static GError *
state_change_error (const gchar * desc, GstState state)
{
  GstElement *pipeline = gst_parse_launch (desc, NULL);
  GstMessage *msg;
  GstBus *bus;
  GError *err = NULL;
  gchar *debug = NULL;

  fail_unless (pipeline != NULL);
  fail_unless_equals_int (gst_element_set_state (pipeline, state),
      GST_STATE_CHANGE_FAILURE);
  bus = gst_element_get_bus (pipeline);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  fail_unless (msg != NULL);
  gst_message_parse_error (msg, &err, &debug);
  gst_message_unref (msg);
  g_free (debug);
  gst_object_unref (bus);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);
  return err;
}

GST_START_TEST (test_port_in_use)
{
  GSocket *blocker;
  GInetAddress *ia = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  GSocketAddress *sa = g_inet_socket_address_new (ia, 0), *bound;
  GError *err;
  gchar *desc, *want, *out = NULL, *errout = NULL;
  gint port, status;

  blocker = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
      G_SOCKET_PROTOCOL_TCP, NULL);
  fail_unless (g_socket_bind (blocker, sa, FALSE, NULL));
  fail_unless (g_socket_listen (blocker, NULL));
  bound = g_socket_get_local_address (blocker, NULL);
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));

  desc = g_strdup_printf ("fakesrc ! mjpeghttpsink port=%d", port);
  err = state_change_error (desc, GST_STATE_PLAYING);
  fail_unless (g_error_matches (err, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_OPEN_WRITE));
  want = g_strdup_printf ("Could not listen on 127.0.0.1 port %d: port %d is "
      "in use", port, port);
  fail_unless (g_str_has_prefix (err->message, want), "got: %s", err->message);
  g_clear_error (&err);

  /* gst-launch-1.0 exits non-zero with that sentence */
  {
    gchar *cmd = g_strdup_printf ("gst-launch-1.0 fakesrc num-buffers=1 ! "
        "mjpeghttpsink port=%d", port);

    fail_unless (g_spawn_command_line_sync (cmd, &out, &errout, &status, NULL));
    g_free (cmd);
  }
  fail_if (g_spawn_check_wait_status (status, NULL));
  fail_unless (strstr (out, want) != NULL || strstr (errout, want) != NULL,
      "gst-launch-1.0 said: %s %s", out, errout);
  g_free (out);
  g_free (errout);
  g_free (want);
  g_free (desc);

  /* a bad address is named too */
  err = state_change_error ("fakesrc ! mjpeghttpsink address=256.1.1.1 "
      "port=0", GST_STATE_READY);
  fail_unless (strstr (err->message, "256.1.1.1") != NULL, "got: %s",
      err->message);
  g_clear_error (&err);

  g_socket_close (blocker, NULL);
  g_object_unref (blocker);
  g_object_unref (bound);
  g_object_unref (sa);
  g_object_unref (ia);
}

GST_END_TEST;

static void
count_handoff (GstElement * fakesink, GstBuffer * buf, GstPad * pad,
    gint * frames)
{
  g_atomic_int_inc (frames);
}

/* Both layouts, for the clients we did not write: the viewer layout's parts
 * have no Content-Length, so these find each frame's end by the boundary. */
static const gchar *decoded_paths[] = { "/stream",
  "/stream?advance_headers=1"
};

/* A client we did not write decodes the stream and sees its end as a clean
 * end of stream, not an error. */
GST_START_TEST (test_souphttpsrc_decodes_and_ends_cleanly)
{
  GstElement *server, *client, *sink, *fakesink;
  GstMessage *msg;
  GstBus *bus;
  gchar *desc;
  gint port, frames = 0;

  server = gst_parse_launch ("videotestsrc is-live=true num-buffers=45 ! "
      "video/x-raw,width=160,height=120,framerate=30/1 ! jpegenc ! "
      "mjpeghttpsink name=sink port=0 idle-timeout=0", NULL);
  fail_unless (server != NULL);
  fail_unless (gst_element_set_state (server, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  sink = gst_bin_get_by_name (GST_BIN (server), "sink");
  g_object_get (sink, "current-port", &port, NULL);

  desc = g_strdup_printf ("souphttpsrc location=http://127.0.0.1:%d%s ! "
      "multipartdemux ! jpegdec ! video/x-raw,width=160,height=120 ! "
      "fakesink name=out signal-handoffs=true", port, decoded_paths[__i__]);
  client = gst_parse_launch (desc, NULL);
  g_free (desc);
  fail_unless (client != NULL);
  fakesink = gst_bin_get_by_name (GST_BIN (client), "out");
  g_signal_connect (fakesink, "handoff", G_CALLBACK (count_handoff), &frames);
  fail_unless (gst_element_set_state (client, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);

  bus = gst_element_get_bus (client);
  msg = gst_bus_timed_pop_filtered (bus, 20 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (msg != NULL, "the client saw no end of stream");
  fail_unless_equals_int (GST_MESSAGE_TYPE (msg), GST_MESSAGE_EOS);
  gst_message_unref (msg);
  fail_unless (g_atomic_int_get (&frames) > 10, "%s: decoded %d frames",
      decoded_paths[__i__], frames);

  gst_element_set_state (client, GST_STATE_NULL);
  gst_element_set_state (server, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (fakesink);
  gst_object_unref (sink);
  gst_object_unref (client);
  gst_object_unref (server);
}

GST_END_TEST;

/* ffmpeg's mpjpeg demuxer decodes ten frames of either layout. Skipped
 * (with a note in the log) where ffmpeg is not installed. */
GST_START_TEST (test_ffmpeg_decodes)
{
  GstElement *server, *sink;
  gchar *ffmpeg, *url, *err_out = NULL;
  gchar **envp;
  GError *error = NULL;
  gint port, status;

  ffmpeg = g_find_program_in_path ("ffmpeg");
  if (ffmpeg == NULL) {
    GST_WARNING ("ffmpeg not installed: test_ffmpeg_decodes skipped");
    return;
  }

  server = gst_parse_launch ("videotestsrc is-live=true ! "
      "video/x-raw,width=160,height=120,framerate=30/1 ! jpegenc ! "
      "mjpeghttpsink name=sink port=0 idle-timeout=0", NULL);
  fail_unless (server != NULL);
  fail_unless (gst_element_set_state (server, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  sink = gst_bin_get_by_name (GST_BIN (server), "sink");
  g_object_get (sink, "current-port", &port, NULL);
  url = g_strdup_printf ("http://127.0.0.1:%d%s", port, decoded_paths[__i__]);

  /* a sanitizer's preload is for our code, not for ffmpeg */
  envp = g_environ_unsetenv (g_get_environ (), "LD_PRELOAD");
  {
    const gchar *argv[] = { ffmpeg, "-hide_banner", "-nostdin", "-loglevel",
      "error", "-stats", "-rw_timeout", "10000000", "-f", "mpjpeg", "-i", url,
      "-frames:v", "10", "-f", "null", "-", NULL
    };

    fail_unless (g_spawn_sync (NULL, (gchar **) argv, envp,
            G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, &err_out, &status,
            &error), "%s", error ? error->message : "");
  }
  fail_unless (g_spawn_check_wait_status (status, NULL), "%s: ffmpeg: %s",
      decoded_paths[__i__], err_out);
  fail_unless (g_regex_match_simple ("frame= *10 ", err_out, 0, 0),
      "%s: ffmpeg did not decode 10 frames: %s", decoded_paths[__i__], err_out);

  gst_element_set_state (server, GST_STATE_NULL);
  gst_object_unref (sink);
  gst_object_unref (server);
  g_strfreev (envp);
  g_free (err_out);
  g_free (url);
  g_free (ffmpeg);
}

GST_END_TEST;

static guint
count_dir (const gchar * path)
{
  GDir *dir = g_dir_open (path, 0, NULL);
  guint n = 0;

  fail_unless (dir != NULL);
  while (g_dir_read_name (dir))
    n++;
  g_dir_close (dir);
  return n;
}

static void
state_cycle (GstElement * pipeline, GstElement * sink)
{
  TestClient *c[3];
  TestPart part;
  gint port;
  guint i;

  fail_unless (gst_element_set_state (pipeline, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  g_object_get (sink, "current-port", &port, NULL);
  fail_unless (port > 0);
  for (i = 0; i < 3; i++) {
    c[i] = test_client_get (port, "/stream", 0);
    test_client_open_stream (c[i]);
    fail_unless (test_client_read_part (c[i], &part));
    test_part_clear (&part);
  }
  /* down to NULL with the clients still attached */
  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  for (i = 0; i < 3; i++) {
    /* the server hung up on them */
    while (test_client_fill (c[i]));
    test_client_free (c[i]);
  }
}

GST_START_TEST (test_state_cycles_leak_nothing)
{
  GstElement *pipeline, *sink;
  guint fds, threads, i;

  pipeline = gst_parse_launch ("videotestsrc is-live=true ! "
      "video/x-raw,width=64,height=48,framerate=30/1 ! jpegenc ! "
      "mjpeghttpsink name=sink port=0", NULL);
  fail_unless (pipeline != NULL);
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");

  /* the first cycle creates what GStreamer keeps for good (thread pools) */
  state_cycle (pipeline, sink);
  fds = count_dir ("/proc/self/fd");
  threads = count_dir ("/proc/self/task");

  for (i = 0; i < 50; i++)
    state_cycle (pipeline, sink);

  fail_unless_equals_int (count_dir ("/proc/self/fd"), fds);
  fail_unless (count_dir ("/proc/self/task") <= threads,
      "threads: %u before, %u after", threads, count_dir ("/proc/self/task"));

  gst_object_unref (sink);
  gst_object_unref (pipeline);
}

GST_END_TEST;

static Suite *
mjpeghttpsink_suite (void)
{
  Suite *s = suite_create ("mjpeghttpsink");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_set_timeout (tc, 120);
  tcase_add_test (tc, test_properties);
  tcase_add_test (tc, test_caps);
  tcase_add_test (tc, test_listening_message);
  tcase_add_test (tc, test_many_clients_get_every_frame);
  tcase_add_test (tc, test_stalled_client_gets_newest_frame);
  tcase_add_test (tc, test_late_client_gets_latest_frame_once);
  tcase_add_test (tc, test_max_clients);
  tcase_add_test (tc, test_snapshot);
  tcase_add_test (tc, test_snapshot_without_frame);
  tcase_add_test (tc, test_endpoints);
  tcase_add_test (tc, test_advance_headers_layout);
  tcase_add_test (tc, test_eos_closes_every_stream);
  tcase_add_test (tc, test_client_hangup_is_noticed);
  tcase_add_test (tc, test_port_in_use);
  tcase_add_loop_test (tc, test_souphttpsrc_decodes_and_ends_cleanly, 0,
      G_N_ELEMENTS (decoded_paths));
  tcase_add_loop_test (tc, test_ffmpeg_decodes, 0,
      G_N_ELEMENTS (decoded_paths));
  tcase_add_test (tc, test_state_cycles_leak_nothing);
  return s;
}

GST_CHECK_MAIN (mjpeghttpsink);
