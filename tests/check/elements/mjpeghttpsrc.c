/* mjpeghttp
 * Copyright (C) 2026 mjpeghttp developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

/* mjpeghttpsrc against an mjpeghttpsink in the same process: the frames
 * it gives are the origin's bytes with the origin's identity; it stops at
 * once whether it waits to try again or waits for the origin; answers no
 * try can mend are errors. Run under valgrind by CI like the other
 * GstCheck tests. */

#include <string.h>

#include "testclient.h"

#define META_NAME "GstMjpegHttpFrameIdMeta"

typedef struct
{
  GstElement *pipeline;
  GstElement *src;
  GstElement *appsink;
  GstBus *bus;
} Relay;

static void
relay_start (Relay * r, guint port, const gchar * path, const gchar * props)
{
  gchar *desc = g_strdup_printf ("mjpeghttpsrc name=src "
      "location=http://127.0.0.1:%u%s %s ! appsink name=out sync=false",
      port, path, props);

  r->pipeline = gst_parse_launch (desc, NULL);
  g_free (desc);
  fail_unless (r->pipeline != NULL);
  r->src = gst_bin_get_by_name (GST_BIN (r->pipeline), "src");
  r->appsink = gst_bin_get_by_name (GST_BIN (r->pipeline), "out");
  r->bus = gst_element_get_bus (r->pipeline);
  fail_if (gst_element_set_state (r->pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE);
}

/* Returns how long going to NULL took, in microseconds. */
static gint64
relay_stop (Relay * r)
{
  gint64 start = g_get_monotonic_time ();

  gst_element_set_state (r->pipeline, GST_STATE_NULL);
  start = g_get_monotonic_time () - start;
  gst_object_unref (r->bus);
  gst_object_unref (r->appsink);
  gst_object_unref (r->src);
  gst_object_unref (r->pipeline);
  return start;
}

static GstMessage *
wait_message (Relay * r, GstMessageType types, const gchar * element_name)
{
  gint64 end = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  while (g_get_monotonic_time () < end) {
    GstMessage *msg = gst_bus_timed_pop_filtered (r->bus, 100 * GST_MSECOND,
        types);

    if (!msg)
      continue;
    if (!element_name || (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ELEMENT &&
            gst_message_has_name (msg, element_name)))
      return msg;
    gst_message_unref (msg);
  }
  fail ("no %s message within 10 s", element_name ? element_name : "");
  return NULL;
}

GST_START_TEST (test_frames_are_the_origins)
{
  GstHarness *h = start_sink ("idle-timeout=0");
  GstCaps *time_caps = gst_caps_new_empty_simple ("timestamp/x-unix");
  Relay r;
  guint i;

  relay_start (&r, sink_port (h), "/stream", "");
  wait_num_clients (h, 1);
  for (i = 1; i <= 5; i++) {
    GstBuffer *frame = make_frame (i, 1000 + 777 * i);
    GstSample *sample;
    GstBuffer *got;
    GstCustomMeta *meta;
    GstReferenceTimestampMeta *time;
    guint64 number;
    GstMapInfo a, b;
    gint64 before = g_get_real_time ();

    push (h, frame);
    g_signal_emit_by_name (r.appsink, "pull-sample", &sample);
    fail_unless (sample != NULL);
    got = gst_sample_get_buffer (sample);
    fail_unless (gst_buffer_map (got, &a, GST_MAP_READ));
    fail_unless (gst_buffer_map (frame, &b, GST_MAP_READ));
    fail_unless_equals_uint64 (a.size, b.size);
    fail_unless (memcmp (a.data, b.data, a.size) == 0);
    gst_buffer_unmap (got, &a);
    gst_buffer_unmap (frame, &b);

    meta = gst_buffer_get_custom_meta (got, META_NAME);
    fail_unless (meta != NULL);
    fail_unless (gst_structure_get_uint64 (gst_custom_meta_get_structure
            (meta), "number", &number));
    fail_unless_equals_uint64 (number, i);
    time = gst_buffer_get_reference_timestamp_meta (got, time_caps);
    fail_unless (time != NULL);
    fail_unless ((gint64) (time->timestamp / GST_USECOND) >= before &&
        (gint64) (time->timestamp / GST_USECOND) <= g_get_real_time ());
    fail_unless (GST_BUFFER_PTS_IS_VALID (got));
    gst_sample_unref (sample);
    gst_buffer_unref (frame);
  }
  relay_stop (&r);
  gst_caps_unref (time_caps);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* A lost origin is a warning and a message with the wait; stopping during
 * a 60 s wait takes no time. */
GST_START_TEST (test_stops_at_once_while_waiting_to_retry)
{
  GSocket *s = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
      G_SOCKET_PROTOCOL_TCP, NULL);
  GInetSocketAddress *any =
      G_INET_SOCKET_ADDRESS (g_inet_socket_address_new_from_string
      ("127.0.0.1", 0));
  GSocketAddress *bound;
  GstMessage *msg;
  const GstStructure *st;
  guint port, retry_in;
  Relay r;

  /* a port nobody listens on: bound, not listening */
  fail_unless (g_socket_bind (s, G_SOCKET_ADDRESS (any), FALSE, NULL));
  bound = g_socket_get_local_address (s, NULL);
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));

  relay_start (&r, port, "/stream", "retry-delay=60000");
  msg = wait_message (&r, GST_MESSAGE_WARNING, NULL);
  gst_message_unref (msg);
  msg = wait_message (&r, GST_MESSAGE_ELEMENT, "mjpeghttpsrc-lost");
  st = gst_message_get_structure (msg);
  fail_unless (gst_structure_get_uint (st, "retry-in", &retry_in));
  fail_unless (retry_in > 45000 && retry_in <= 60000);
  gst_message_unref (msg);
  fail_unless (relay_stop (&r) < G_USEC_PER_SEC);

  g_object_unref (bound);
  g_object_unref (any);
  g_object_unref (s);
}

GST_END_TEST;

/* Connected to an origin that sends nothing (no frame pushed), with a
 * timeout of a minute: stopping takes no time. */
GST_START_TEST (test_stops_at_once_while_reading)
{
  GstHarness *h = start_sink ("idle-timeout=0");
  Relay r;
  GstMessage *msg;

  relay_start (&r, sink_port (h), "/stream", "timeout=60");
  msg = wait_message (&r, GST_MESSAGE_ELEMENT, "mjpeghttpsrc-connected");
  gst_message_unref (msg);
  wait_num_clients (h, 1);
  g_usleep (100 * 1000);
  fail_unless (relay_stop (&r) < G_USEC_PER_SEC);
  wait_num_clients (h, 0);
  gst_harness_teardown (h);
}

GST_END_TEST;

static void
expect_error (const gchar * path, const gchar * props, const gchar * words)
{
  GstHarness *h = start_sink ("idle-timeout=0");
  GstBuffer *frame = make_frame (1, 1000);
  GError *error = NULL;
  GstMessage *msg;
  Relay r;

  /* a snapshot has a frame to give */
  push (h, frame);
  gst_buffer_unref (frame);
  relay_start (&r, sink_port (h), path, props);
  msg = wait_message (&r, GST_MESSAGE_ERROR, NULL);
  gst_message_parse_error (msg, &error, NULL);
  fail_unless (strstr (error->message, words) != NULL,
      "error \"%s\" does not say \"%s\"", error->message, words);
  g_error_free (error);
  gst_message_unref (msg);
  relay_stop (&r);
  gst_harness_teardown (h);
}

GST_START_TEST (test_errors_say_what_to_change)
{
  GstElement *src;

  expect_error ("/no-such-path", "", "answered 404");
  expect_error ("/snapshot", "", "not a stream of JPEGs");

  /* no location at all */
  src = gst_element_factory_make ("mjpeghttpsrc", NULL);
  fail_unless (gst_element_set_state (src, GST_STATE_PAUSED) ==
      GST_STATE_CHANGE_FAILURE);
  gst_element_set_state (src, GST_STATE_NULL);
  gst_object_unref (src);
}

GST_END_TEST;

static Suite *
mjpeghttpsrc_suite (void)
{
  Suite *s = suite_create ("mjpeghttpsrc");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_frames_are_the_origins);
  tcase_add_test (tc, test_stops_at_once_while_waiting_to_retry);
  tcase_add_test (tc, test_stops_at_once_while_reading);
  tcase_add_test (tc, test_errors_say_what_to_change);
  return s;
}

GST_CHECK_MAIN (mjpeghttpsrc);
