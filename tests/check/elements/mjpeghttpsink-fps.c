/* mjpeghttp
 * Copyright (C) 2026 mjpeghttp developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

/* Frame rate caps (?fps= on the stream URL, the max-fps property) with a
 * live 30 fps pipeline and raw-socket clients, each read on a thread of its
 * own so that its receive times are its own; and the served totals
 * (bytes-served, frames-served) against what the clients counted. */

#include <string.h>

#include "testclient.h"

#define SOURCE_FPS 30

/* ---- a live 30 fps source ------------------------------------------------ */

typedef struct
{
  GstElement *pipeline;
  GstElement *sink;
  guint port;
} Live;

static void
live_start (Live * live, const gchar * props)
{
  gchar *desc = g_strdup_printf ("videotestsrc is-live=true pattern=ball ! "
      "video/x-raw,width=160,height=120,framerate=%d/1 ! jpegenc ! "
      "mjpeghttpsink name=sink port=0 %s", SOURCE_FPS, props);
  gint port;

  live->pipeline = gst_parse_launch (desc, NULL);
  g_free (desc);
  fail_unless (live->pipeline != NULL);
  live->sink = gst_bin_get_by_name (GST_BIN (live->pipeline), "sink");
  fail_if (gst_element_set_state (live->pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE);
  g_object_get (live->sink, "current-port", &port, NULL);
  fail_unless (port > 0);
  live->port = port;
}

static void
live_stop (Live * live)
{
  gst_element_set_state (live->pipeline, GST_STATE_NULL);
  gst_object_unref (live->sink);
  gst_object_unref (live->pipeline);
}

/* ---- a client read on its own thread ------------------------------------- */

typedef struct
{
  gint64 time;                  /* monotonic, when the part was read */
  guint64 number;               /* its X-Frame-Number */
} Got;

typedef struct
{
  TestClient *c;
  gchar *path;
  gint64 until;                 /* stop reading then; 0: read to the end */
  GThread *thread;
  GArray *got;                  /* Got, guarded by lock */
  GMutex lock;
  guint parts;                  /* with to the end: all parts read */
} Reader;

static gpointer
reader_thread (gpointer data)
{
  Reader *r = data;
  TestPart part;

  while (r->until == 0 || g_get_monotonic_time () < r->until) {
    Got g;

    if (!test_client_read_part (r->c, &part))
      break;
    g.time = g_get_monotonic_time ();
    g.number = part.number;
    test_part_clear (&part);
    g_mutex_lock (&r->lock);
    g_array_append_val (r->got, g);
    r->parts++;
    g_mutex_unlock (&r->lock);
  }
  return NULL;
}

static Reader *
reader_start (guint port, const gchar * path, const gchar * from, gint64 until)
{
  Reader *r = g_new0 (Reader, 1);

  r->path = g_strdup (path);
  r->until = until;
  r->got = g_array_new (FALSE, FALSE, sizeof (Got));
  g_mutex_init (&r->lock);
  r->c = test_client_get_from (port, path, from, 0);
  test_client_open_stream (r->c);
  r->thread = g_thread_new ("reader", reader_thread, r);
  return r;
}

static void
reader_join (Reader * r)
{
  g_thread_join (r->thread);
  r->thread = NULL;
}

static void
reader_free (Reader * r)
{
  if (r->thread)
    reader_join (r);
  test_client_free (r->c);
  g_array_unref (r->got);
  g_mutex_clear (&r->lock);
  g_free (r->path);
  g_free (r);
}

/* Parts read in [from, to), per second. */
static gdouble
reader_fps (Reader * r, gint64 from, gint64 to)
{
  guint i, n = 0;

  g_mutex_lock (&r->lock);
  for (i = 0; i < r->got->len; i++) {
    Got *g = &g_array_index (r->got, Got, i);

    if (g->time >= from && g->time < to)
      n++;
  }
  g_mutex_unlock (&r->lock);
  GST_INFO ("%s: %u frames in %.2f s: %.2f fps", r->path, n,
      (to - from) / 1e6, n * 1e6 / (to - from));
  return n * 1e6 / (to - from);
}

/* reader_fps() within @tolerance of @expected (at least @expected when
 * @tolerance is negative). */
static void
assert_fps (Reader * r, gint64 from, gint64 to, gdouble expected,
    gdouble tolerance)
{
  gdouble fps = reader_fps (r, from, to);

  if (tolerance < 0)
    fail_unless (fps >= expected, "%s: %.2f fps, expected at least %.2f",
        r->path, fps, expected);
  else
    fail_unless (ABS (fps - expected) <= tolerance,
        "%s: %.2f fps, expected %.2f +- %.2f", r->path, fps, expected,
        tolerance);
}

/* The newest frame @r had read by @time, 0 none. */
static guint64
reader_newest_by (Reader * r, gint64 time)
{
  guint64 newest = 0;
  guint i;

  g_mutex_lock (&r->lock);
  for (i = 0; i < r->got->len; i++) {
    Got *g = &g_array_index (r->got, Got, i);

    if (g->time <= time)
      newest = MAX (newest, g->number);
  }
  g_mutex_unlock (&r->lock);
  return newest;
}

/* Valgrind runs one thread at a time and slowly: the encoder may not keep
 * 30 fps, and a reader may see a frame long after it came. */
static gboolean
under_valgrind (void)
{
  const gchar *preload = g_getenv ("LD_PRELOAD");

  return preload && strstr (preload, "vgpreload");
}

static gdouble
uncapped_fps_min (void)
{
  return under_valgrind ()? 8 : 24;
}

/* Every frame @capped read in [from, to) was the newest when it got it:
 * never more than a few frames behind what @uncapped had read by then (a
 * stale frame, one kept from when it came until the due time, would be
 * most of an interval behind: 15 frames at 2 fps). */
static void
assert_newest (Reader * capped, Reader * uncapped, gint64 from, gint64 to)
{
  guint i, worst = 0, slack = under_valgrind ()? 8 : 3;

  for (i = 0; i < capped->got->len; i++) {
    Got *g = &g_array_index (capped->got, Got, i);
    guint64 newest;

    if (g->time < from || g->time >= to)
      continue;
    newest = reader_newest_by (uncapped, g->time);

    GST_LOG ("%s: frame %" G_GUINT64_FORMAT " at %" G_GINT64_FORMAT
        ", newest %" G_GUINT64_FORMAT, capped->path, g->number, g->time,
        newest);
    if (newest > g->number)
      worst = MAX (worst, newest - g->number);
  }
  GST_INFO ("%s: at most %u frames behind %s", capped->path, worst,
      uncapped->path);
  fail_unless (worst <= slack, "%s got a frame %u behind the newest",
      capped->path, worst);
}

static void
wait_until (gint64 time)
{
  gint64 now = g_get_monotonic_time ();

  if (time > now)
    g_usleep (time - now);
}

/* ---- the tests ----------------------------------------------------------- */

/* ?fps= caps the client that asked, and only it; fractions work; the
 * frames a capped client gets are the newest. */
GST_START_TEST (test_fps_query_caps_one_client)
{
  Live live;
  Reader *capped, *uncapped, *slow;
  gint64 t0, end;

  live_start (&live, "");
  t0 = g_get_monotonic_time ();
  end = t0 + 5 * G_USEC_PER_SEC;
  capped = reader_start (live.port, "/stream?fps=2", "127.0.0.2", end);
  uncapped = reader_start (live.port, "/stream", "127.0.0.3", end);
  slow = reader_start (live.port, "/stream?t=1&fps=0.5", "127.0.0.4", end);
  wait_until (end);
  reader_join (capped);
  reader_join (uncapped);
  reader_join (slow);

  /* the first second starts the source and the clients */
  t0 += G_USEC_PER_SEC;
  assert_fps (capped, t0, end, 2.0, 0.5);
  assert_fps (uncapped, t0, end, uncapped_fps_min (), -1);
  /* 0.5 fps over 4 s: 2 frames, give or take where the window falls */
  assert_fps (slow, t0, end, 0.5, 0.25);
  assert_newest (capped, uncapped, t0, end);
  assert_newest (slow, uncapped, t0, end);

  reader_free (capped);
  reader_free (uncapped);
  reader_free (slow);
  live_stop (&live);
}

GST_END_TEST;

/* max-fps caps every client; the smaller of it and ?fps= wins; a change
 * while PLAYING applies to the clients already there. */
GST_START_TEST (test_max_fps_caps_every_client)
{
  Live live;
  Reader *plain, *lower, *higher;
  gdouble max_fps;
  gint64 t0, change, end;

  live_start (&live, "max-fps=5");
  g_object_get (live.sink, "max-fps", &max_fps, NULL);
  fail_unless_equals_float (max_fps, 5.0);

  t0 = g_get_monotonic_time ();
  change = t0 + 5 * G_USEC_PER_SEC;
  end = change + 3 * G_USEC_PER_SEC;
  plain = reader_start (live.port, "/stream", "127.0.0.2", end);
  lower = reader_start (live.port, "/stream?fps=2", "127.0.0.3", end);
  higher = reader_start (live.port, "/stream?fps=10", "127.0.0.4", end);
  wait_until (change);
  g_object_set (live.sink, "max-fps", 0.0, NULL);
  wait_until (end);
  reader_join (plain);
  reader_join (lower);
  reader_join (higher);

  t0 += G_USEC_PER_SEC;
  assert_fps (plain, t0, change, 5.0, 0.5);
  assert_fps (lower, t0, change, 2.0, 0.5);
  assert_fps (higher, t0, change, 5.0, 0.5);
  assert_newest (lower, plain, t0, change);

  /* max-fps 0 from now on: each is back to its own cap */
  change += G_USEC_PER_SEC;
  assert_fps (plain, change, end, uncapped_fps_min (), -1);
  assert_fps (lower, change, end, 2.0, 0.5);
  if (!under_valgrind ())
    assert_fps (higher, change, end, 10.0, 1.0);

  reader_free (plain);
  reader_free (lower);
  reader_free (higher);
  live_stop (&live);
}

GST_END_TEST;

/* A bad ?fps= gets 400 and a sentence that says what would do. */
GST_START_TEST (test_bad_fps_refused)
{
  static const gchar *bad[] = {
    "0", "0.0", "-1", "+5", "abc", "nan", "NaN", "inf", "1001", "1000.5",
    "1e3", "", "0x10", "5fps", "1.2.3", ".", "%35",
  };
  static const gchar *good[] = { "0.5", "1000", "30", ".5", "2." };
  GstHarness *h = start_sink ("");
  guint port = sink_port (h), i;

  for (i = 0; i < G_N_ELEMENTS (bad); i++) {
    gchar *path = g_strdup_printf ("/stream?fps=%s", bad[i]);
    gchar *from = g_strdup_printf ("127.0.1.%u", i + 1);
    TestClient *c = test_client_get_from (port, path, from, 0);
    gchar *body;

    test_client_read_head (c);
    fail_unless (c->status == 400, "%s: %d", path, c->status);
    body = test_client_read_until (c, "\n");
    fail_unless (body != NULL);
    fail_unless_equals_string (body, "fps must be a number of frames per "
        "second from 0.01 to 1000, such as fps=5 or fps=0.5.\n");
    g_free (body);
    test_client_free (c);
    g_free (from);
    g_free (path);
  }
  for (i = 0; i < G_N_ELEMENTS (good); i++) {
    gchar *path = g_strdup_printf ("/stream?fps=%s", good[i]);
    TestClient *c = test_client_get_from (port, path, "127.0.2.1", 0);

    test_client_open_stream (c);
    test_client_free (c);
    g_free (path);
  }
  gst_harness_teardown (h);
}

GST_END_TEST;

static guint64
sink_uint64 (GstElement * sink, const gchar * name)
{
  guint64 v = 0;

  g_object_get (sink, name, &v, NULL);
  return v;
}

/* bytes-served and frames-served are what the clients read: every byte
 * after the response head (boundaries and part headers included), every
 * frame; they stay once the clients are gone. The stats structure has them
 * too, and clients-refused, the sum of the refusals. */
GST_START_TEST (test_served_totals_match_clients)
{
  GstElement *pipeline, *src, *sink;
  Reader *plain, *capped;
  GstStructure *stats;
  guint64 sum, bytes, frames, v;
  GstFlowReturn ret;
  guint i;
  gint port;

  pipeline = gst_parse_launch ("appsrc name=src is-live=true format=time "
      "caps=image/jpeg ! mjpeghttpsink name=sink port=0", NULL);
  fail_unless (pipeline != NULL);
  src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  fail_if (gst_element_set_state (pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE);
  g_object_get (sink, "current-port", &port, NULL);
  fail_unless (port > 0);
  fail_unless_equals_int (sink_uint64 (sink, "bytes-served"), 0);
  fail_unless_equals_int (sink_uint64 (sink, "frames-served"), 0);

  fail_unless_equals_int (test_client_status (port, "/stream?fps=x",
          "127.0.0.5"), 400);
  plain = reader_start (port, "/stream", "127.0.0.2", 0);
  capped = reader_start (port, "/stream?fps=5", "127.0.0.3", 0);
  for (i = 0; i < 40; i++) {
    GstBuffer *frame = make_frame (i, 1000 + 97 * i);

    g_signal_emit_by_name (src, "push-buffer", frame, &ret);
    fail_unless_equals_int (ret, GST_FLOW_OK);
    gst_buffer_unref (frame);
    g_usleep (20 * 1000);
  }
  g_signal_emit_by_name (src, "end-of-stream", &ret);
  fail_unless_equals_int (ret, GST_FLOW_OK);
  /* each client gets the closing delimiter, then the server closes */
  reader_join (plain);
  reader_join (capped);
  fail_unless (plain->c->eof && capped->c->eof);
  GST_INFO ("read %u and %u frames", plain->parts, capped->parts);
  fail_unless (capped->parts < plain->parts);

  bytes = plain->c->received - strlen (plain->c->head)
      + capped->c->received - strlen (capped->c->head);
  frames = plain->parts + capped->parts;
  fail_unless_equals_uint64 (sink_uint64 (sink, "bytes-served"), bytes);
  fail_unless_equals_uint64 (sink_uint64 (sink, "frames-served"), frames);

  g_object_get (sink, "stats", &stats, NULL);
  fail_unless (gst_structure_get_uint64 (stats, "bytes-served", &v));
  fail_unless_equals_uint64 (v, bytes);
  fail_unless (gst_structure_get_uint64 (stats, "frames-served", &v));
  fail_unless_equals_uint64 (v, frames);
  sum = 0;
  for (i = 0; i < (guint) gst_structure_n_fields (stats); i++) {
    const gchar *name = gst_structure_nth_field_name (stats, i);

    if (g_str_has_prefix (name, "refused-")) {
      fail_unless (gst_structure_get_uint64 (stats, name, &v));
      sum += v;
    }
  }
  fail_unless (gst_structure_get_uint64 (stats, "clients-refused", &v));
  fail_unless_equals_uint64 (v, sum);
  fail_unless (v >= 1);
  gst_structure_free (stats);

  /* they outlive the server */
  gst_element_set_state (pipeline, GST_STATE_NULL);
  fail_unless_equals_uint64 (sink_uint64 (sink, "bytes-served"), bytes);
  fail_unless_equals_uint64 (sink_uint64 (sink, "frames-served"), frames);

  reader_free (plain);
  reader_free (capped);
  gst_object_unref (src);
  gst_object_unref (sink);
  gst_object_unref (pipeline);
}

GST_END_TEST;

static Suite *
mjpeghttpsink_fps_suite (void)
{
  Suite *s = suite_create ("mjpeghttpsink-fps");
  TCase *tc = tcase_create ("fps");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_fps_query_caps_one_client);
  tcase_add_test (tc, test_max_fps_caps_every_client);
  tcase_add_test (tc, test_bad_fps_refused);
  tcase_add_test (tc, test_served_totals_match_clients);
  return s;
}

GST_CHECK_MAIN (mjpeghttpsink_fps);
