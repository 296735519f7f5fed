/* mjpeghttp
 * Copyright (C) 2026 mjpeghttp developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

/* A frame's identity: mjpeghttpstamp numbers frames and notes their
 * capture time, the metas survive decoding and encoding again, and
 * mjpeghttpsink serves them in X-Frame-Number, X-Timestamp and the
 * snapshot's headers. The metas are read here with GStreamer's own API,
 * as an application would. */

#include <string.h>

#include "testclient.h"

#define META_NAME "GstMjpegHttpFrameIdMeta"

static gboolean
identity_of (GstBuffer * buffer, guint64 * number, gint64 * time_us)
{
  GstCaps *caps = gst_caps_new_empty_simple ("timestamp/x-unix");
  GstCustomMeta *meta = gst_buffer_get_custom_meta (buffer, META_NAME);
  GstReferenceTimestampMeta *time =
      gst_buffer_get_reference_timestamp_meta (buffer, caps);

  gst_caps_unref (caps);
  if (!meta || !time)
    return FALSE;
  fail_unless (gst_structure_get_uint64 (gst_custom_meta_get_structure (meta),
          "number", number));
  *time_us = time->timestamp / GST_USECOND;
  return TRUE;
}

static void
give_identity (GstBuffer * buffer, guint64 number, gint64 time_us)
{
  GstCaps *caps = gst_caps_new_empty_simple ("timestamp/x-unix");
  GstCustomMeta *meta = gst_buffer_add_custom_meta (buffer, META_NAME);

  fail_unless (meta != NULL);
  gst_structure_set (gst_custom_meta_get_structure (meta), "number",
      G_TYPE_UINT64, number, NULL);
  gst_buffer_add_reference_timestamp_meta (buffer, caps, time_us * GST_USECOND,
      GST_CLOCK_TIME_NONE);
  gst_caps_unref (caps);
}

/* Numbers from 1 in the order frames come; a frame that has an identity
 * keeps it and does not use up a number. */
GST_START_TEST (test_numbers_in_order_and_kept)
{
  GstHarness *h = gst_harness_new ("mjpeghttpstamp");
  GstBuffer *in, *out;
  guint64 number;
  gint64 time_us;
  guint i;

  gst_harness_set_src_caps_str (h, "image/jpeg");
  for (i = 1; i <= 3; i++) {
    out = gst_harness_push_and_pull (h, gst_buffer_new_allocate (NULL, 8,
            NULL));
    fail_unless (identity_of (out, &number, &time_us));
    fail_unless_equals_uint64 (number, i);
    gst_buffer_unref (out);
  }
  in = gst_buffer_new_allocate (NULL, 8, NULL);
  give_identity (in, 77, 1700000000123456);
  out = gst_harness_push_and_pull (h, in);
  fail_unless (identity_of (out, &number, &time_us));
  fail_unless_equals_uint64 (number, 77);
  fail_unless_equals_int64 (time_us, 1700000000123456);
  gst_buffer_unref (out);
  out = gst_harness_push_and_pull (h, gst_buffer_new_allocate (NULL, 8, NULL));
  fail_unless (identity_of (out, &number, &time_us));
  fail_unless_equals_uint64 (number, 4);
  gst_buffer_unref (out);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* The capture time is the wall clock at the buffer's running time: with
 * the pipeline clock at 10 s, a frame stamped 9.5 s was captured half a
 * second ago; a frame without a timestamp is stamped now. */
GST_START_TEST (test_capture_time_from_timestamp)
{
  GstHarness *h = gst_harness_new ("mjpeghttpstamp");
  GstBuffer *in, *out;
  guint64 number;
  gint64 time_us, before, after;

  gst_harness_use_testclock (h);
  gst_harness_set_src_caps_str (h, "image/jpeg");
  gst_harness_set_time (h, 10 * GST_SECOND);

  in = gst_buffer_new_allocate (NULL, 8, NULL);
  GST_BUFFER_PTS (in) = 9500 * GST_MSECOND;
  before = g_get_real_time ();
  out = gst_harness_push_and_pull (h, in);
  after = g_get_real_time ();
  fail_unless (identity_of (out, &number, &time_us));
  fail_unless (time_us >= before - 500000 && time_us <= after - 500000,
      "captured at %" G_GINT64_FORMAT " us, expected 500 ms before [%"
      G_GINT64_FORMAT ", %" G_GINT64_FORMAT "]", time_us, before, after);
  gst_buffer_unref (out);

  in = gst_buffer_new_allocate (NULL, 8, NULL);
  before = g_get_real_time ();
  out = gst_harness_push_and_pull (h, in);
  after = g_get_real_time ();
  fail_unless (identity_of (out, &number, &time_us));
  fail_unless (time_us >= before && time_us <= after);
  gst_buffer_unref (out);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* jpegdec ! videoconvert ! jpegenc, as a detection pipeline has them,
 * carry the identity from the stamp to the end. */
GST_START_TEST (test_identity_survives_decode_and_encode)
{
  GstElement *pipeline, *appsink;
  GstSample *sample;
  guint64 number;
  gint64 time_us;
  guint i;

  pipeline = gst_parse_launch ("videotestsrc num-buffers=3 ! "
      "video/x-raw,width=64,height=48,framerate=30/1 ! jpegenc ! "
      "mjpeghttpstamp ! jpegdec ! videoconvert ! video/x-raw,format=I420 ! "
      "jpegenc ! appsink name=out sync=false", NULL);
  fail_unless (pipeline != NULL);
  appsink = gst_bin_get_by_name (GST_BIN (pipeline), "out");
  fail_if (gst_element_set_state (pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE);
  for (i = 1; i <= 3; i++) {
    g_signal_emit_by_name (appsink, "pull-sample", &sample);
    fail_unless (sample != NULL);
    fail_unless (identity_of (gst_sample_get_buffer (sample), &number,
            &time_us), "frame %u lost its identity on the way", i);
    fail_unless_equals_uint64 (number, i);
    gst_sample_unref (sample);
  }
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (appsink);
  gst_object_unref (pipeline);
}

GST_END_TEST;

static gchar *
header_of (const gchar * headers, const gchar * name)
{
  const gchar *p = strstr (headers, name);
  gsize len;

  fail_unless (p != NULL, "no %s in %s", name, headers);
  p += strlen (name);
  len = strcspn (p, "\r\n");
  return g_strndup (p, len);
}

/* The sink serves a frame's identity in its part header and the
 * snapshot's, and counts by itself for frames without one. */
GST_START_TEST (test_sink_serves_identity)
{
  GstHarness *h = start_sink ("idle-timeout=0");
  guint port = sink_port (h);
  TestClient *c = test_client_get (port, "/stream", 0);
  GstBuffer *frame;
  TestPart part;
  gchar *value;
  guint status;

  test_client_open_stream (c);
  wait_num_clients (h, 1);

  frame = make_frame (1, 2000);
  give_identity (frame, 4242, 1700000000000001);
  push (h, frame);
  gst_buffer_unref (frame);
  fail_unless (test_client_read_part (c, &part));
  fail_unless_equals_uint64 (part.number, 4242);
  value = header_of (part.headers, "X-Timestamp: ");
  fail_unless_equals_string (value, "1700000000.000001");
  g_free (value);
  test_part_clear (&part);

  status = test_client_status (port, "/snapshot", NULL);
  fail_unless_equals_int (status, 200);
  {
    TestClient *s = test_client_get (port, "/snapshot", 0);

    test_client_read_head (s);
    value = header_of (s->head, "X-Frame-Number: ");
    fail_unless_equals_string (value, "4242");
    g_free (value);
    test_client_free (s);
  }

  /* the sink's own count goes on for a frame without identity */
  frame = make_frame (2, 2000);
  push (h, frame);
  gst_buffer_unref (frame);
  fail_unless (test_client_read_part (c, &part));
  fail_unless_equals_uint64 (part.number, 2);
  test_part_clear (&part);

  test_client_free (c);
  gst_harness_teardown (h);
}

GST_END_TEST;

static Suite *
mjpeghttpstamp_suite (void)
{
  Suite *s = suite_create ("mjpeghttpstamp");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_numbers_in_order_and_kept);
  tcase_add_test (tc, test_capture_time_from_timestamp);
  tcase_add_test (tc, test_identity_survives_decode_and_encode);
  tcase_add_test (tc, test_sink_serves_identity);
  return s;
}

GST_CHECK_MAIN (mjpeghttpstamp);
