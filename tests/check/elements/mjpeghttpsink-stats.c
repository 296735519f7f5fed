/* mjpeghttp
 * Copyright (C) 2026 mjpeghttp developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

/* Who watches and what it costs: get-stats, the stats path (JSON), the
 * metrics path (Prometheus), the events path (Server-Sent Events), and
 * snapshots that are fresh after an idle pause. */

#include <string.h>
#include <json-glib/json-glib.h>

#include "testclient.h"

/* The whole body of a short answer (the server closes after it). */
static gchar *
get_body (guint port, const gchar * path, guint * status, gchar ** head)
{
  TestClient *c = test_client_get (port, path, 0);
  gchar *body;

  test_client_read_head (c);
  while (test_client_fill (c));
  *status = c->status;
  if (head)
    *head = g_strdup (c->head);
  body = g_strndup ((const gchar *) c->buf->data, c->buf->len);
  test_client_free (c);
  return body;
}

static GstStructure *
get_stats (GstElement * sink)
{
  GstStructure *s = NULL;

  g_signal_emit_by_name (sink, "get-stats", &s);
  fail_unless (s != NULL);
  fail_unless (gst_structure_has_name (s, "mjpeghttpsink-stats"));
  return s;
}

static const GstStructure *
sub (const GstStructure * s, const gchar * field)
{
  const GValue *v = gst_structure_get_value (s, field);

  fail_unless (v != NULL && GST_VALUE_HOLDS_STRUCTURE (v), "no %s", field);
  return gst_value_get_structure (v);
}

static guint64
u64 (const GstStructure * s, const gchar * field)
{
  guint64 v;

  fail_unless (gst_structure_get_uint64 (s, field, &v), "no %s", field);
  return v;
}

static guint
n_clients (const GstStructure * report)
{
  return gst_value_array_get_size (gst_structure_get_value (report, "clients"));
}

static const GstStructure *
client_at (const GstStructure * report, guint i)
{
  return gst_value_get_structure (gst_value_array_get_value
      (gst_structure_get_value (report, "clients"), i));
}

/* Reads @frames parts of the default layout. */
static void
read_frames (TestClient * c, guint frames)
{
  TestPart part = { 0, };
  guint i;

  for (i = 0; i < frames; i++) {
    fail_unless (test_client_read_part (c, &part));
    test_part_clear (&part);
  }
}

GST_START_TEST (test_get_stats_counts_what_clients_got)
{
  GstHarness *h = start_sink ("");
  GstElement *sink = h->element;
  GstBuffer *frame = make_frame (1, 3000);
  TestClient *a, *b;
  GstStructure *report;
  const GstStructure *totals, *ca, *cb, *source;
  guint64 got_a, got_b;
  const gchar *path;
  guint i;

  a = test_client_get (sink_port (h), "/stream", 0);
  b = test_client_get (sink_port (h), "/stream?t=1", 0);
  test_client_open_stream (a);
  test_client_open_stream (b);
  wait_num_clients (h, 2);

  /* one frame at a time, each read by both: nothing skipped */
  for (i = 0; i < 5; i++) {
    TestPart part = { 0, };

    push (h, frame);
    fail_unless (test_client_read_part (a, &part));
    test_part_clear (&part);
    fail_unless (test_client_read_part (b, &part));
    test_part_clear (&part);
  }
  /* the fifth part's closing boundary goes out with it: let it all
   * arrive, then count every byte after the heads */
  g_usleep (200000);
  while (g_socket_condition_check (a->socket, G_IO_IN) && test_client_fill (a));
  while (g_socket_condition_check (b->socket, G_IO_IN) && test_client_fill (b));
  got_a = a->received - strlen (a->head);
  got_b = b->received - strlen (b->head);

  report = get_stats (sink);
  fail_unless_equals_int (n_clients (report), 2);
  ca = client_at (report, 0);
  cb = client_at (report, 1);
  path = gst_structure_get_string (ca, "path");
  if (!g_str_equal (path, "/stream")) {
    const GstStructure *t = ca;

    ca = cb;
    cb = t;
  }
  fail_unless_equals_string (gst_structure_get_string (ca, "path"), "/stream");
  fail_unless_equals_string (gst_structure_get_string (cb, "path"),
      "/stream?t=1");
  fail_unless_equals_string (gst_structure_get_string (ca, "address"),
      "127.0.0.1");
  fail_unless_equals_int (u64 (ca, "frames-sent"), 5);
  fail_unless_equals_int (u64 (cb, "frames-sent"), 5);
  fail_unless_equals_int (u64 (ca, "frames-skipped"), 0);
  fail_unless_equals_int (u64 (ca, "bytes-sent"), got_a);
  fail_unless_equals_int (u64 (cb, "bytes-sent"), got_b);
  fail_unless (u64 (ca, "connect-time") > 0);
  fail_unless (u64 (ca, "last-activity-time") >= u64 (ca, "connect-time"));

  totals = sub (report, "totals");
  fail_unless_equals_int (u64 (totals, "bytes-served"), got_a + got_b);
  fail_unless_equals_int (u64 (totals, "frames-served"), 10);
  source = sub (report, "source");
  fail_unless_equals_int (u64 (source, "frame-number"), 5);
  fail_unless (u64 (source, "frame-time") / 1000 <=
      (guint64) g_get_real_time ());
  gst_structure_free (report);

  test_client_free (a);
  test_client_free (b);
  gst_buffer_unref (frame);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* On a sink of max-clients=1: a viewer that has read @frames frames, and a
 * second one refused. */
static TestClient *
one_watching_one_refused (GstHarness * h, GstBuffer * frame, guint frames)
{
  TestClient *a = test_client_get (sink_port (h), "/stream", 0);
  guint i;

  test_client_open_stream (a);
  wait_num_clients (h, 1);
  /* one at a time: newest-frame-only would skip a frame pushed early */
  for (i = 0; i < frames; i++) {
    push (h, frame);
    read_frames (a, 1);
  }
  fail_unless_equals_int (test_client_status (sink_port (h), "/stream",
          NULL), 503);
  return a;
}

/* The same figures as JSON, with the same names. */
GST_START_TEST (test_stats_path_is_get_stats_as_json)
{
  GstHarness *h = start_sink ("max-clients=1");
  GstBuffer *frame = make_frame (2, 1000);
  TestClient *a;
  JsonParser *parser = json_parser_new ();
  JsonObject *root, *totals, *client;
  GstStructure *report;
  gchar *body, *head;
  guint status;

  a = one_watching_one_refused (h, frame, 1);

  body = get_body (sink_port (h), "/stats", &status, &head);
  fail_unless_equals_int (status, 200);
  fail_unless (head_has (head, "Content-Type: application/json"));
  fail_unless (json_parser_load_from_data (parser, body, -1, NULL), "%s", body);
  root = json_node_get_object (json_parser_get_root (parser));
  fail_unless_equals_int (json_array_get_length (json_object_get_array_member
          (root, "clients")), 1);
  client = json_array_get_object_element (json_object_get_array_member (root,
          "clients"), 0);
  totals = json_object_get_object_member (root, "totals");
  fail_unless_equals_int (json_object_get_int_member (totals, "clients"), 1);
  fail_unless_equals_int (json_object_get_int_member (totals,
          "refused-too-many-clients"), 1);
  fail_unless_equals_int (json_object_get_int_member (totals,
          "clients-refused"), 1);

  report = get_stats (h->element);
  fail_unless_equals_int (json_object_get_int_member (totals, "bytes-served"),
      u64 (sub (report, "totals"), "bytes-served"));
  fail_unless_equals_int (json_object_get_int_member (client, "frames-sent"),
      u64 (client_at (report, 0), "frames-sent"));
  fail_unless_equals_int (json_object_get_int_member
      (json_object_get_object_member (root, "source"), "frame-number"), 1);
  gst_structure_free (report);

  g_object_unref (parser);
  g_free (body);
  g_free (head);
  test_client_free (a);
  gst_buffer_unref (frame);
  gst_harness_teardown (h);
}

GST_END_TEST;

static gboolean
has_sample (const gchar * text, const gchar * sample)
{
  gchar *line = g_strdup_printf ("\n%s\n", sample);
  gboolean found = strstr (text, line) != NULL;

  g_free (line);
  return found;
}

GST_START_TEST (test_metrics_path)
{
  GstHarness *h = start_sink ("max-clients=1");
  GstBuffer *frame = make_frame (3, 1000);
  TestClient *a;
  GstStructure *report;
  gchar *body, *head, *sample;
  guint status;

  a = one_watching_one_refused (h, frame, 2);

  body = get_body (sink_port (h), "/metrics", &status, &head);
  fail_unless_equals_int (status, 200);
  fail_unless (head_has (head, "Content-Type: text/plain; version=0.0.4"));
  fail_unless (strstr (body, "# TYPE mjpeghttp_clients gauge\n") != NULL);
  fail_unless (has_sample (body, "mjpeghttp_clients 1"), "%s", body);
  fail_unless (has_sample (body, "mjpeghttp_refused_connections_total"
          "{reason=\"too-many-clients\"} 1"));
  fail_unless (has_sample (body, "mjpeghttp_source_frames_total 2"));
  report = get_stats (h->element);
  sample = g_strdup_printf ("mjpeghttp_sent_bytes_total %" G_GUINT64_FORMAT,
      u64 (sub (report, "totals"), "bytes-served"));
  fail_unless (has_sample (body, sample), "%s", body);
  g_free (sample);
  gst_structure_free (report);

  g_free (body);
  g_free (head);
  test_client_free (a);
  gst_buffer_unref (frame);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_serve_stats_off)
{
  GstHarness *h = start_sink ("serve-stats=false");

  fail_unless_equals_int (test_client_status (sink_port (h), "/stats", NULL),
      404);
  fail_unless_equals_int (test_client_status (sink_port (h), "/metrics",
          NULL), 404);
  fail_unless_equals_int (test_client_status (sink_port (h), "/events",
          NULL), 404);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* The next event of an event stream: its name and data; FALSE at end of
 * file. Comments (keep-alives) and retry lines are skipped. */
static gboolean
next_event (TestClient * c, gchar ** name, gchar ** data)
{
  gchar *block;

  for (;;) {
    gchar **lines, **l;

    block = test_client_read_until (c, "\n\n");
    if (!block)
      return FALSE;
    *name = *data = NULL;
    lines = g_strsplit (block, "\n", -1);
    for (l = lines; *l; l++) {
      if (g_str_has_prefix (*l, "event: "))
        *name = g_strdup (*l + 7);
      else if (g_str_has_prefix (*l, "data: "))
        *data = g_strdup (*l + 6);
    }
    g_strfreev (lines);
    g_free (block);
    if (*name)
      return TRUE;
    g_free (*data);
  }
}

static JsonObject *
parse_object (JsonParser * parser, const gchar * data)
{
  fail_unless (json_parser_load_from_data (parser, data, -1, NULL), "%s", data);
  return json_node_get_object (json_parser_get_root (parser));
}

/* The next event other than status, with its data parsed. */
static JsonObject *
expect_event (TestClient * c, JsonParser * parser, const gchar * want)
{
  gchar *name, *data;
  JsonObject *o;

  for (;;) {
    fail_unless (next_event (c, &name, &data), "no %s event", want);
    if (!g_str_equal (name, "status"))
      break;
    g_free (name);
    g_free (data);
  }
  fail_unless_equals_string (name, want);
  o = parse_object (parser, data);
  g_free (name);
  g_free (data);
  return o;
}

GST_START_TEST (test_events_follow_clients)
{
  GstHarness *h = start_sink ("");
  GstBuffer *frame = make_frame (4, 500);
  JsonParser *parser = json_parser_new ();
  TestClient *ev, *a;
  JsonObject *o;
  gchar *name, *data;
  gint64 start;
  guint statuses = 0;

  push (h, frame);
  ev = test_client_get (sink_port (h), "/events", 0);
  test_client_read_head (ev);
  fail_unless_equals_int (ev->status, 200);
  fail_unless (head_has (ev->head, "Content-Type: text/event-stream"));
  test_client_expect (ev, "retry: 2000\n\n");
  /* a status at once, with the source's figures */
  fail_unless (next_event (ev, &name, &data));
  fail_unless_equals_string (name, "status");
  o = parse_object (parser, data);
  fail_unless_equals_int (json_object_get_int_member (o, "clients"), 0);
  fail_unless_equals_int (json_object_get_int_member
      (json_object_get_object_member (o, "source"), "frame-number"), 1);
  g_free (name);
  g_free (data);

  a = test_client_get (sink_port (h), "/stream?x=1", 0);
  test_client_open_stream (a);
  o = expect_event (ev, parser, "join");
  fail_unless_equals_string (json_object_get_string_member (o, "address"),
      "127.0.0.1");
  fail_unless_equals_string (json_object_get_string_member (o, "path"),
      "/stream?x=1");
  fail_unless (json_object_get_int_member (o, "port") > 0);
  test_client_free (a);
  o = expect_event (ev, parser, "leave");
  fail_unless_equals_string (json_object_get_string_member (o, "path"),
      "/stream?x=1");
  fail_unless_equals_string (json_object_get_string_member (o, "reason"),
      "closed");

  /* frames at 100 a second for 2 s: statuses at most 4 a second */
  start = g_get_monotonic_time ();
  while (g_get_monotonic_time () - start < 2 * G_USEC_PER_SEC) {
    push (h, frame);
    g_usleep (10000);
  }
  /* everything sent by now, then only what is in the buffer */
  g_usleep (300000);
  while (g_socket_condition_check (ev->socket, G_IO_IN)
      && test_client_fill (ev));
  while (g_strstr_len ((const gchar *) ev->buf->data, ev->buf->len, "\n\n")
      && next_event (ev, &name, &data)) {
    if (g_str_equal (name, "status"))
      statuses++;
    g_free (name);
    g_free (data);
  }
  fail_unless (statuses >= 4 && statuses <= 10, "%u statuses in 2 s", statuses);

  test_client_free (ev);
  g_object_unref (parser);
  gst_buffer_unref (frame);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* Event connections are bounded per address and in all. */
GST_START_TEST (test_events_bounded)
{
  GstHarness *h = start_sink ("request-rate=0");
  TestClient *c[64], *newcomer;
  guint i;

  for (i = 0; i < 64; i++) {
    gchar *from = g_strdup_printf ("127.0.0.%u", 1 + i / 8);

    c[i] = test_client_get_from (sink_port (h), "/events", from, 0);
    test_client_read_head (c[i]);
    fail_unless_equals_int (c[i]->status, 200);
    g_free (from);
  }
  /* a ninth from one address */
  fail_unless_equals_int (test_client_status (sink_port (h), "/events",
          "127.0.0.1"), 503);
  /* all 64 taken: a newcomer from another address gets the place of the
   * oldest connection of an address that holds the most */
  newcomer = test_client_get_from (sink_port (h), "/events", "127.0.0.100", 0);
  test_client_read_head (newcomer);
  fail_unless_equals_int (newcomer->status, 200);
  while (test_client_fill (c[0]));
  fail_unless (c[0]->eof);
  /* but an address that holds nearly as many as the busiest is refused */
  fail_unless_equals_int (test_client_status (sink_port (h), "/events",
          "127.0.0.1"), 503);
  for (i = 0; i < 64; i++)
    test_client_free (c[i]);
  test_client_free (newcomer);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* With max-clients-per-address=0, as behind a proxy whose address every
 * viewer page has, one address may hold every events connection, and when
 * all are taken the oldest makes room. */
GST_START_TEST (test_events_behind_proxy)
{
  GstHarness *h = start_sink ("request-rate=0 max-clients-per-address=0");
  TestClient *c[64], *newcomer;
  guint i;

  for (i = 0; i < 64; i++) {
    c[i] = test_client_get_from (sink_port (h), "/events", "127.0.0.1", 0);
    test_client_read_head (c[i]);
    fail_unless_equals_int (c[i]->status, 200);
  }
  newcomer = test_client_get_from (sink_port (h), "/events", "127.0.0.1", 0);
  test_client_read_head (newcomer);
  fail_unless_equals_int (newcomer->status, 200);
  while (test_client_fill (c[0]));
  fail_unless (c[0]->eof);
  for (i = 0; i < 64; i++)
    test_client_free (c[i]);
  test_client_free (newcomer);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* Opening and closing streams fast does not make every events reader
 * receive as much: join and leave are at most 20 a second. */
GST_START_TEST (test_events_notices_bounded)
{
  GstHarness *h = start_sink ("request-rate=0 max-clients-per-address=0");
  TestClient *ev, *a;
  gchar *name, *data;
  guint i, notices = 0;
  gint64 start;

  ev = test_client_get (sink_port (h), "/events", 0);
  test_client_read_head (ev);
  fail_unless_equals_int (ev->status, 200);
  start = g_get_monotonic_time ();
  for (i = 0; i < 50; i++) {
    a = test_client_get (sink_port (h), "/stream", 0);
    test_client_open_stream (a);
    test_client_free (a);
  }
  fail_unless (g_get_monotonic_time () - start < G_USEC_PER_SEC,
      "the streams took longer than a second");
  g_usleep (500000);
  while (g_socket_condition_check (ev->socket, G_IO_IN)
      && test_client_fill (ev));
  while (g_strstr_len ((const gchar *) ev->buf->data, ev->buf->len, "\n\n")
      && next_event (ev, &name, &data)) {
    if (g_str_equal (name, "join") || g_str_equal (name, "leave"))
      notices++;
    g_free (name);
    g_free (data);
  }
  /* the 100 joins and leaves fell in at most two seconds */
  fail_unless (notices >= 20 && notices <= 40, "%u join and leave events",
      notices);
  test_client_free (ev);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* get-stats from a handler of the sink's own signal, on the server
 * thread, answers at once. */
static void
client_added (GstElement * sink, const gchar * peer, gpointer user_data)
{
  GstStructure **out = user_data;
  GstStructure *s = NULL;

  g_signal_emit_by_name (sink, "get-stats", &s);
  g_atomic_pointer_set (out, s);
}

GST_START_TEST (test_get_stats_from_handler)
{
  GstHarness *h = start_sink ("");
  GstStructure *report = NULL;
  TestClient *a;
  gint64 start;

  g_signal_connect (h->element, "client-added", G_CALLBACK (client_added),
      &report);
  start = g_get_monotonic_time ();
  a = test_client_get (sink_port (h), "/stream", 0);
  test_client_open_stream (a);
  while (!g_atomic_pointer_get (&report)
      && g_get_monotonic_time () - start < 5 * G_USEC_PER_SEC)
    g_usleep (1000);
  fail_unless (report != NULL);
  /* well within the wait for another thread (2 s) */
  fail_unless (g_get_monotonic_time () - start < G_USEC_PER_SEC);
  fail_unless_equals_int (n_clients (report), 1);
  gst_structure_free (report);
  test_client_free (a);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_get_stats_not_serving)
{
  GstElement *sink = gst_element_factory_make ("mjpeghttpsink", NULL);
  GstStructure *report = get_stats (sink);

  fail_unless_equals_int (n_clients (report), 0);
  fail_unless_equals_int (u64 (sub (report, "totals"), "bytes-served"), 0);
  gst_structure_free (report);
  gst_object_unref (sink);
}

GST_END_TEST;

/* ---- a whole pipeline that goes idle ------------------------------------ */

static gboolean
wait_for_message (GstBus * bus, const gchar * name, gdouble timeout_s)
{
  gint64 end = g_get_monotonic_time () + timeout_s * G_USEC_PER_SEC;
  GstMessage *msg;

  while (g_get_monotonic_time () < end) {
    msg = gst_bus_timed_pop_filtered (bus, 100 * GST_MSECOND,
        GST_MESSAGE_ELEMENT | GST_MESSAGE_ERROR);
    if (!msg)
      continue;
    fail_if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR, "pipeline error");
    if (gst_message_has_name (msg, name)) {
      gst_message_unref (msg);
      return TRUE;
    }
    gst_message_unref (msg);
  }
  return FALSE;
}

static gdouble
header_number (const gchar * head, const gchar * name)
{
  gchar *down = g_ascii_strdown (head, -1), *key = g_ascii_strdown (name, -1);
  gchar *at = strstr (down, key);
  gdouble v = -1;

  if (at)
    v = g_ascii_strtod (at + strlen (key), NULL);
  g_free (down);
  g_free (key);
  return v;
}

/* An event connection alone does not hold off idle; a snapshot of the
 * idle sink wakes it and is newer than the request. */
GST_START_TEST (test_fresh_snapshot_after_idle)
{
  GstElement *pipeline, *sink;
  GstBus *bus;
  TestClient *ev;
  gchar *body, *head;
  gdouble asked, stamp;
  guint status;
  gint port;

  pipeline = gst_parse_launch ("videotestsrc is-live=true ! "
      "video/x-raw,width=64,height=48,framerate=30/1 ! jpegenc ! "
      "mjpeghttpsink name=sink port=0 idle-timeout=1", NULL);
  fail_unless (pipeline != NULL);
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  bus = gst_element_get_bus (pipeline);
  fail_if (gst_element_set_state (pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE);
  g_object_get (sink, "current-port", &port, NULL);

  ev = test_client_get (port, "/events", 0);
  test_client_read_head (ev);
  fail_unless_equals_int (ev->status, 200);
  fail_unless (wait_for_message (bus, "mjpeghttpsink-idle", 5),
      "an event connection held off idle");
  /* the cached frame is now older than a second */
  g_usleep (1200000);

  asked = g_get_real_time () / 1e6;
  body = get_body (port, "/snapshot", &status, &head);
  fail_unless_equals_int (status, 200);
  stamp = header_number (head, "X-Timestamp: ");
  fail_unless (stamp >= asked, "a frame of %.3f for a request at %.3f",
      stamp, asked);
  fail_unless_equals_int (header_number (head, "Age: "), 0);
  fail_unless ((guchar) body[0] == 0xff && (guchar) body[1] == 0xd8);
  g_free (body);
  g_free (head);

  test_client_free (ev);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (sink);
  gst_object_unref (pipeline);
}

GST_END_TEST;

/* The appsrc that feeds the sink. */
static GstElement *
app_source (App * app)
{
  GstPad *pad = gst_element_get_static_pad (app->sink, "sink");
  GstPad *peer = gst_pad_get_peer (pad);
  GstElement *src = gst_pad_get_parent_element (peer);

  gst_object_unref (peer);
  gst_object_unref (pad);
  return src;
}

/* An appsrc pipeline that has had @frame and gone idle (idle-timeout=1);
 * returns the appsrc. */
static GstElement *
start_idled (App * app, const gchar * props, GstBuffer * frame)
{
  gchar *all = g_strdup_printf ("idle-timeout=1 %s", props);
  GstElement *src;
  GstFlowReturn ret;

  app_start (app, all);
  g_free (all);
  src = app_source (app);
  g_signal_emit_by_name (src, "push-buffer", frame, &ret);
  fail_unless_equals_int (ret, GST_FLOW_OK);
  fail_unless (wait_for_message (app->bus, "mjpeghttpsink-idle", 5));
  return src;
}

/* With a source that gives nothing after a wake, the snapshot comes back
 * within snapshot-timeout with the cached frame and its age. */
GST_START_TEST (test_stale_snapshot_has_age)
{
  App app;
  GstElement *src;
  GstBuffer *frame = make_frame (5, 800);
  gchar *body, *head;
  gint64 start;
  guint status;

  src = start_idled (&app, "snapshot-timeout=500", frame);
  g_usleep (1100000);

  start = g_get_monotonic_time ();
  body = get_body (app.port, "/snapshot", &status, &head);
  fail_unless_equals_int (status, 200);
  fail_unless (g_get_monotonic_time () - start < 2 * G_USEC_PER_SEC);
  fail_unless (g_get_monotonic_time () - start >= 400000,
      "answered at once, without waiting for a new frame");
  fail_unless (header_number (head, "Age: ") >= 1, "%s", head);
  fail_unless_equals_int (header_number (head, "X-Frame-Number: "), 1);
  g_free (body);
  g_free (head);

  gst_object_unref (src);
  gst_buffer_unref (frame);
  app_stop (&app);
}

GST_END_TEST;

/* A snapshot that comes while an idle sink wakes for another is fresh
 * too: both get the first new frame. */
GST_START_TEST (test_snapshots_while_waking)
{
  App app;
  GstElement *src;
  GstBuffer *frame = make_frame (6, 800);
  TestClient *waker, *later;
  GstFlowReturn ret;

  src = start_idled (&app, "snapshot-timeout=3000 request-rate=0", frame);

  waker = test_client_get (app.port, "/snapshot", 0);
  fail_unless (wait_for_message (app.bus, "mjpeghttpsink-wake", 5));
  later = test_client_get (app.port, "/snapshot", 0);
  g_usleep (300000);
  g_signal_emit_by_name (src, "push-buffer", frame, &ret);
  fail_unless_equals_int (ret, GST_FLOW_OK);

  test_client_read_head (waker);
  test_client_read_head (later);
  fail_unless_equals_int (header_number (waker->head, "X-Frame-Number: "), 2);
  fail_unless_equals_int (header_number (later->head, "X-Frame-Number: "), 2);

  test_client_free (waker);
  test_client_free (later);
  gst_object_unref (src);
  gst_buffer_unref (frame);
  app_stop (&app);
}

GST_END_TEST;

static Suite *
mjpeghttpsink_stats_suite (void)
{
  Suite *s = suite_create ("mjpeghttpsink-stats");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_get_stats_counts_what_clients_got);
  tcase_add_test (tc, test_stats_path_is_get_stats_as_json);
  tcase_add_test (tc, test_metrics_path);
  tcase_add_test (tc, test_serve_stats_off);
  tcase_add_test (tc, test_events_follow_clients);
  tcase_add_test (tc, test_events_bounded);
  tcase_add_test (tc, test_events_behind_proxy);
  tcase_add_test (tc, test_events_notices_bounded);
  tcase_add_test (tc, test_get_stats_from_handler);
  tcase_add_test (tc, test_get_stats_not_serving);
  tcase_add_test (tc, test_fresh_snapshot_after_idle);
  tcase_add_test (tc, test_stale_snapshot_has_age);
  tcase_add_test (tc, test_snapshots_while_waking);
  return s;
}

GST_CHECK_MAIN (mjpeghttpsink_stats);
