/* mjpeghttp
 * Copyright (C) 2026 mjpeghttp developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

/* mjpeghttpsink pauses its pipeline when nobody watches and resumes it when
 * someone comes. A pad probe on the source counts what it produces. */

#include <string.h>

#include "testclient.h"

typedef struct
{
  GstElement *pipeline;
  GstElement *sink;
  GstBus *bus;
  gint buffers;                 /* atomic */
  guint port;
} IdleTest;

static GstPadProbeReturn
count_buffer (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  IdleTest *t = user_data;

  g_atomic_int_inc (&t->buffers);
  return GST_PAD_PROBE_OK;
}

static void
idle_test_start (IdleTest * t, const gchar * source, const gchar * props)
{
  gchar *desc = g_strdup_printf ("%s name=src ! video/x-raw,width=64,height=48,"
      "framerate=30/1 ! jpegenc ! mjpeghttpsink name=sink port=0 %s", source,
      props);
  GstElement *src;
  GstPad *pad;
  gint port;

  memset (t, 0, sizeof (*t));
  t->pipeline = gst_parse_launch (desc, NULL);
  fail_unless (t->pipeline != NULL);
  g_free (desc);
  t->sink = gst_bin_get_by_name (GST_BIN (t->pipeline), "sink");
  src = gst_bin_get_by_name (GST_BIN (t->pipeline), "src");
  pad = gst_element_get_static_pad (src, "src");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, count_buffer, t, NULL);
  gst_object_unref (pad);
  gst_object_unref (src);
  t->bus = gst_element_get_bus (t->pipeline);

  fail_unless (gst_element_set_state (t->pipeline, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  g_object_get (t->sink, "current-port", &port, NULL);
  t->port = port;
}

static void
idle_test_stop (IdleTest * t)
{
  fail_unless_equals_int (gst_element_set_state (t->pipeline,
          GST_STATE_NULL), GST_STATE_CHANGE_SUCCESS);
  gst_object_unref (t->bus);
  gst_object_unref (t->sink);
  gst_object_unref (t->pipeline);
}

/* The next element message of the sink within @timeout_s, or NULL; errors
 * fail the test. */
static GstMessage *
next_sink_message (IdleTest * t, gdouble timeout_s)
{
  gint64 end = g_get_monotonic_time () + timeout_s * G_USEC_PER_SEC;
  GstMessage *msg;

  for (;;) {
    gint64 left = end - g_get_monotonic_time ();

    if (left <= 0)
      return NULL;
    msg = gst_bus_timed_pop_filtered (t->bus, left * GST_USECOND,
        GST_MESSAGE_ELEMENT | GST_MESSAGE_ERROR);
    if (!msg)
      return NULL;
    fail_if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR, "pipeline error");
    if (gst_message_has_name (msg, "mjpeghttpsink-idle")
        || gst_message_has_name (msg, "mjpeghttpsink-wake"))
      return msg;
    gst_message_unref (msg);
  }
}

static void
expect_message (IdleTest * t, const gchar * name, gdouble timeout_s,
    gboolean state_changed)
{
  GstMessage *msg = next_sink_message (t, timeout_s);
  const GstStructure *s;
  gboolean changed;

  fail_unless (msg != NULL, "no %s message", name);
  fail_unless (gst_message_has_name (msg, name), "got %s instead of %s",
      gst_structure_get_name (gst_message_get_structure (msg)), name);
  s = gst_message_get_structure (msg);
  fail_unless (gst_structure_get_boolean (s,
          g_str_equal (name, "mjpeghttpsink-idle") ? "state-changed" :
          "resume", &changed));
  fail_unless_equals_int (changed, state_changed);
  if (g_str_equal (name, "mjpeghttpsink-wake"))
    fail_unless (g_str_has_prefix (gst_structure_get_string (s, "reason"),
            "client 127.0.0.1:"));
  gst_message_unref (msg);
}

/* The sink changes the state from another thread after its message: wait
 * (bounded) for it to be asked for and reached. */
static void
expect_state (IdleTest * t, GstState want)
{
  gint64 end = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  GstState state = GST_STATE_VOID_PENDING;

  while (g_get_monotonic_time () < end) {
    if (GST_STATE_TARGET (t->pipeline) == want) {
      fail_if (gst_element_get_state (t->pipeline, &state, NULL,
              5 * GST_SECOND) == GST_STATE_CHANGE_FAILURE);
      if (state == want)
        break;
    }
    g_usleep (10000);
  }
  fail_unless_equals_int (GST_STATE_TARGET (t->pipeline), want);
  fail_unless_equals_int (state, want);
}

/* How many buffers the source makes in @seconds. */
static gint
produced_in (IdleTest * t, gdouble seconds)
{
  gint before = g_atomic_int_get (&t->buffers);

  g_usleep (seconds * G_USEC_PER_SEC);
  return g_atomic_int_get (&t->buffers) - before;
}

/* A client that arrives while idle gets the cached frame, then fresh ones,
 * all in order. */
static void
watch_and_check (IdleTest * t, guint fresh)
{
  TestClient *c = test_client_get (t->port, "/stream", 0);
  TestPart part;
  guint64 last;
  guint i;

  test_client_open_stream (c);
  fail_unless (test_client_read_part (c, &part));
  last = part.number;
  test_part_clear (&part);
  for (i = 0; i < fresh; i++) {
    fail_unless (test_client_read_part (c, &part));
    fail_unless (part.number > last, "frame %" G_GUINT64_FORMAT " after %"
        G_GUINT64_FORMAT, part.number, last);
    last = part.number;
    test_part_clear (&part);
  }
  test_client_free (c);
}

static void
check_idle_cycle (const gchar * source, const gchar * props, GstState idle)
{
  IdleTest t;

  idle_test_start (&t, source, props);
  fail_unless (produced_in (&t, 0.5) > 0);

  expect_message (&t, "mjpeghttpsink-idle", 5, TRUE);
  expect_state (&t, idle);
  fail_unless_equals_int (produced_in (&t, 2.0), 0);

  watch_and_check (&t, 5);
  expect_message (&t, "mjpeghttpsink-wake", 1, TRUE);
  expect_state (&t, GST_STATE_PLAYING);

  /* and idle again once the viewer has left */
  expect_message (&t, "mjpeghttpsink-idle", 5, TRUE);
  expect_state (&t, idle);
  idle_test_stop (&t);
}

GST_START_TEST (test_idle_paused_live)
{
  check_idle_cycle ("videotestsrc is-live=true", "idle-timeout=1",
      GST_STATE_PAUSED);
}

GST_END_TEST;

GST_START_TEST (test_idle_paused_clock_paced)
{
  check_idle_cycle ("videotestsrc", "idle-timeout=1 sync=true",
      GST_STATE_PAUSED);
}

GST_END_TEST;

GST_START_TEST (test_idle_ready)
{
  check_idle_cycle ("videotestsrc is-live=true",
      "idle-timeout=1 idle-state=ready", GST_STATE_READY);
}

GST_END_TEST;

GST_START_TEST (test_idle_state_none_only_posts)
{
  IdleTest t;

  idle_test_start (&t, "videotestsrc is-live=true",
      "idle-timeout=1 idle-state=none");
  expect_message (&t, "mjpeghttpsink-idle", 5, FALSE);
  expect_state (&t, GST_STATE_PLAYING);
  fail_unless (produced_in (&t, 0.5) > 0);
  watch_and_check (&t, 2);
  expect_message (&t, "mjpeghttpsink-wake", 1, FALSE);
  idle_test_stop (&t);
}

GST_END_TEST;

GST_START_TEST (test_idle_timeout_zero_never_idles)
{
  IdleTest t;
  GstMessage *msg;

  idle_test_start (&t, "videotestsrc is-live=true", "idle-timeout=0");
  msg = next_sink_message (&t, 3);
  fail_unless (msg == NULL, "idle-timeout=0 posted a message");
  expect_state (&t, GST_STATE_PLAYING);
  fail_unless (produced_in (&t, 0.5) > 0);
  idle_test_stop (&t);
}

GST_END_TEST;

GST_START_TEST (test_snapshot_wakes_with_cached_frame)
{
  IdleTest t;
  TestClient *c;

  idle_test_start (&t, "videotestsrc is-live=true", "idle-timeout=1");
  expect_message (&t, "mjpeghttpsink-idle", 5, TRUE);
  expect_state (&t, GST_STATE_PAUSED);

  c = test_client_get (t.port, "/snapshot", 0);
  test_client_read_head (c);
  fail_unless_equals_int (c->status, 200);
  fail_unless (head_has (c->head, "Content-Type: image/jpeg\r\n"));
  test_client_free (c);
  expect_message (&t, "mjpeghttpsink-wake", 1, TRUE);
  expect_state (&t, GST_STATE_PLAYING);
  fail_unless (produced_in (&t, 0.5) > 0);
  idle_test_stop (&t);
}

GST_END_TEST;

/* HEAD asks about the stream without watching it: no reason to wake. */
GST_START_TEST (test_head_does_not_wake)
{
  static const gchar *paths[] = { "/stream", "/snapshot" };
  IdleTest t;
  GstMessage *msg;
  guint i;

  idle_test_start (&t, "videotestsrc is-live=true", "idle-timeout=1");
  expect_message (&t, "mjpeghttpsink-idle", 5, TRUE);
  expect_state (&t, GST_STATE_PAUSED);

  for (i = 0; i < G_N_ELEMENTS (paths); i++) {
    TestClient *c = test_client_connect_full (t.port, 0);
    gchar *req = g_strdup_printf ("HEAD %s HTTP/1.1\r\nHost: a\r\n\r\n",
        paths[i]);

    test_client_send (c, req);
    g_free (req);
    test_client_read_head (c);
    fail_unless_equals_int (c->status, 200);
    test_client_free (c);
  }
  msg = next_sink_message (&t, 1.0);
  fail_if (msg != NULL, "HEAD woke the pipeline: %" GST_PTR_FORMAT, msg);
  expect_state (&t, GST_STATE_PAUSED);
  idle_test_stop (&t);
}

GST_END_TEST;

/* A snapshot that waits for the first frame is somebody watching. */
GST_START_TEST (test_pending_snapshot_holds_off_idle)
{
  IdleTest t;
  TestClient *c;
  GstMessage *msg;

  /* async=false: PLAYING, and counting, with no frame ever */
  idle_test_start (&t, "appsrc is-live=true format=time "
      "caps=video/x-raw,format=I420,width=64,height=48,framerate=30/1",
      "idle-timeout=1 async=false");
  /* no frame will come: it waits 2 s, then gets 503 */
  c = test_client_get (t.port, "/snapshot", 0);
  msg = next_sink_message (&t, 1.6);
  fail_if (msg != NULL, "idle while a snapshot waited: %" GST_PTR_FORMAT, msg);
  test_client_read_head (c);
  fail_unless_equals_int (c->status, 503);
  test_client_free (c);
  expect_message (&t, "mjpeghttpsink-idle", 2.5, TRUE);
  idle_test_stop (&t);
}

GST_END_TEST;

GST_START_TEST (test_application_pause_is_kept)
{
  IdleTest t;
  TestClient *c;
  GstMessage *msg;

  /* 2 s: the application's pause must come before the sink's own */
  idle_test_start (&t, "videotestsrc is-live=true", "idle-timeout=2");
  expect_state (&t, GST_STATE_PLAYING);
  gst_element_set_state (t.pipeline, GST_STATE_PAUSED);
  expect_state (&t, GST_STATE_PAUSED);

  /* the countdown runs only while the element plays: nothing to tell */
  msg = next_sink_message (&t, 3.5);
  fail_if (msg != NULL, "%" GST_PTR_FORMAT " while the application had "
      "paused the pipeline", msg);

  /* the sink did not pause it, so a viewer does not start it either */
  c = test_client_get (t.port, "/stream", 0);
  test_client_open_stream (c);
  msg = next_sink_message (&t, 1.0);
  fail_if (msg != NULL, "%" GST_PTR_FORMAT " for a viewer of a pipeline "
      "the application paused", msg);
  expect_state (&t, GST_STATE_PAUSED);
  test_client_free (c);

  /* PLAYING again with nobody watching: the countdown starts over */
  gst_element_set_state (t.pipeline, GST_STATE_PLAYING);
  expect_state (&t, GST_STATE_PLAYING);
  expect_message (&t, "mjpeghttpsink-idle", 4, TRUE);
  expect_state (&t, GST_STATE_PAUSED);
  idle_test_stop (&t);
}

GST_END_TEST;

GST_START_TEST (test_rapid_cycles_around_timeout)
{
  /* in ms: just before, at and after the 1 s timeout, and no wait at all */
  static const guint waits[] = { 0, 950, 1000, 1050, 1100, 20 };
  IdleTest t;
  guint i;

  idle_test_start (&t, "videotestsrc is-live=true", "idle-timeout=1");
  for (i = 0; i < 50; i++) {
    TestClient *c = test_client_get (t.port, i % 2 ? "/stream" : "/snapshot",
        0);

    test_client_read_head (c);
    fail_unless_equals_int (c->status, 200);
    test_client_free (c);
    g_usleep (waits[i % G_N_ELEMENTS (waits)] * 1000);
  }

  /* sane: a viewer gets live frames, and leaving lets it go idle again */
  watch_and_check (&t, 10);
  expect_state (&t, GST_STATE_PLAYING);
  while (GST_STATE_TARGET (t.pipeline) == GST_STATE_PLAYING
      && produced_in (&t, 0.2) > 0);
  expect_state (&t, GST_STATE_PAUSED);
  fail_unless_equals_int (produced_in (&t, 1.0), 0);
  idle_test_stop (&t);
}

GST_END_TEST;

/* A tee that also records: idle-state=none keeps the recording going while
 * nobody watches, the default stops the whole pipeline, recording included. */
static void
check_tee_recording (const gchar * idle_state, gboolean keeps_recording)
{
  gchar *desc = g_strdup_printf ("videotestsrc name=src is-live=true ! "
      "video/x-raw,width=64,height=48,framerate=30/1 ! jpegenc ! tee name=t "
      "t. ! queue ! mjpeghttpsink name=sink port=0 idle-timeout=1 "
      "idle-state=%s t. ! queue ! fakesink name=rec", idle_state);
  IdleTest t;
  GstElement *rec;
  GstPad *pad;

  memset (&t, 0, sizeof (t));
  t.pipeline = gst_parse_launch (desc, NULL);
  g_free (desc);
  fail_unless (t.pipeline != NULL);
  t.sink = gst_bin_get_by_name (GST_BIN (t.pipeline), "sink");
  rec = gst_bin_get_by_name (GST_BIN (t.pipeline), "rec");
  pad = gst_element_get_static_pad (rec, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, count_buffer, &t, NULL);
  gst_object_unref (pad);
  gst_object_unref (rec);
  t.bus = gst_element_get_bus (t.pipeline);
  fail_unless (gst_element_set_state (t.pipeline, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);

  expect_message (&t, "mjpeghttpsink-idle", 5, !keeps_recording);
  expect_state (&t, keeps_recording ? GST_STATE_PLAYING : GST_STATE_PAUSED);
  if (keeps_recording)
    fail_unless (produced_in (&t, 1.0) > 20, "the recording stopped");
  else
    fail_unless_equals_int (produced_in (&t, 1.0), 0);
  idle_test_stop (&t);
}

GST_START_TEST (test_tee_recording_kept_with_idle_state_none)
{
  check_tee_recording ("none", TRUE);
}

GST_END_TEST;

GST_START_TEST (test_tee_recording_paused_by_default)
{
  check_tee_recording ("paused", FALSE);
}

GST_END_TEST;

static Suite *
mjpeghttpsink_idle_suite (void)
{
  Suite *s = suite_create ("mjpeghttpsink-idle");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_set_timeout (tc, 120);
  tcase_add_test (tc, test_idle_paused_live);
  tcase_add_test (tc, test_idle_paused_clock_paced);
  tcase_add_test (tc, test_idle_ready);
  tcase_add_test (tc, test_idle_state_none_only_posts);
  tcase_add_test (tc, test_idle_timeout_zero_never_idles);
  tcase_add_test (tc, test_snapshot_wakes_with_cached_frame);
  tcase_add_test (tc, test_head_does_not_wake);
  tcase_add_test (tc, test_pending_snapshot_holds_off_idle);
  tcase_add_test (tc, test_application_pause_is_kept);
  tcase_add_test (tc, test_rapid_cycles_around_timeout);
  tcase_add_test (tc, test_tee_recording_kept_with_idle_state_none);
  tcase_add_test (tc, test_tee_recording_paused_by_default);
  return s;
}

GST_CHECK_MAIN (mjpeghttpsink_idle);
