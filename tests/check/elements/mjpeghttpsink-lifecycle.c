/* mjpeghttp
 * Copyright (C) 2026 mjpeghttp developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

/* The element's life: which property takes effect when, stopping from any
 * signal handler, failures that must not leave the port bound, frames that
 * must not outlive their clients, and what each part's headers promise. */

#include "testclient.h"

#include <gst/base/gstbasesink.h>

#include <string.h>
#include <sys/socket.h>

/* The next warning on the bus within 2 s; its text. */
static gchar *
next_warning (App * app)
{
  GstMessage *msg = gst_bus_timed_pop_filtered (app->bus, 2 * GST_SECOND,
      GST_MESSAGE_WARNING);
  GError *err = NULL;
  gchar *text;

  fail_unless (msg != NULL, "no warning on the bus");
  gst_message_parse_warning (msg, &err, NULL);
  text = g_strdup (err->message);
  g_error_free (err);
  gst_message_unref (msg);
  return text;
}

/* Address, port, backlog and paths take effect when the server starts, at
 * NULL to READY: later changes are refused aloud, and the value read back
 * is the one in use. */
GST_START_TEST (test_listening_properties_only_in_null)
{
  App app;
  gchar *warning, *path;
  gint port;

  app_start (&app, "");
  g_object_set (app.sink, "port", 12345, NULL);
  warning = next_warning (&app);
  fail_unless (strstr (warning, "\"port\"") && strstr (warning, "NULL"),
      "%s", warning);
  g_free (warning);
  g_object_get (app.sink, "port", &port, NULL);
  fail_unless_equals_int (port, 0);

  gst_element_set_state (app.pipeline, GST_STATE_READY);
  g_object_set (app.sink, "stream-path", "/elsewhere", NULL);
  warning = next_warning (&app);
  fail_unless (strstr (warning, "\"stream-path\"") != NULL, "%s", warning);
  g_free (warning);
  g_object_get (app.sink, "stream-path", &path, NULL);
  fail_unless_equals_string (path, "/stream");
  g_free (path);
  fail_unless_equals_int (test_client_status (app.port, "/elsewhere", NULL),
      404);

  /* in NULL it is taken, and the next start uses it; a path no request
   * line can carry is refused */
  gst_element_set_state (app.pipeline, GST_STATE_NULL);
  ASSERT_WARNING (g_object_set (app.sink, "viewer-path", "/a b", NULL));
  g_object_set (app.sink, "stream-path", "/elsewhere", NULL);
  g_object_get (app.sink, "stream-path", &path, NULL);
  fail_unless_equals_string (path, "/elsewhere");
  g_free (path);
  gst_element_set_state (app.pipeline, GST_STATE_PLAYING);
  g_object_get (app.sink, "current-port", &port, NULL);
  fail_unless_equals_int (test_client_status (port, "/stream", NULL), 404);
  app_stop (&app);
}

GST_END_TEST;

/* Limits apply at once, also while playing. */
GST_START_TEST (test_limits_apply_while_playing)
{
  App app;
  TestClient *a, *b;

  app_start (&app, "");
  a = test_client_get_from (app.port, "/stream", "127.0.0.2", 0);
  test_client_open_stream (a);
  g_object_set (app.sink, "max-clients", 1, NULL);
  b = test_client_get_from (app.port, "/stream", "127.0.0.3", 0);
  test_client_read_head (b);
  fail_unless_equals_int (b->status, 503);
  test_client_free (b);

  g_object_set (app.sink, "max-clients", 2, NULL);
  b = test_client_get_from (app.port, "/stream", "127.0.0.3", 0);
  test_client_open_stream (b);
  test_client_free (a);
  test_client_free (b);
  app_stop (&app);
}

GST_END_TEST;

typedef struct
{
  App *app;
  const gchar *signal;
  gint done;                    /* atomic */
} StopFromHandler;

static void
stop_pipeline (StopFromHandler * s)
{
  GstStateChangeReturn ret = gst_element_set_state (s->app->pipeline,
      GST_STATE_NULL);

  fail_unless_equals_int (ret, GST_STATE_CHANGE_SUCCESS);
  g_atomic_int_set (&s->done, 1);
}

static void
on_added_stop (GstElement * sink, const gchar * peer, StopFromHandler * s)
{
  stop_pipeline (s);
}

static void
on_removed_stop (GstElement * sink, const gchar * peer, gint status,
    StopFromHandler * s)
{
  stop_pipeline (s);
}

static gboolean
port_is_free (guint port)
{
  GSocket *s = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
      G_SOCKET_PROTOCOL_TCP, NULL);
  GSocketAddress *a = g_inet_socket_address_new_from_string ("127.0.0.1",
      port);
  gboolean ok = g_socket_bind (s, a, TRUE, NULL);

  g_object_unref (a);
  g_object_unref (s);
  return ok;
}

/* A handler of the sink's own signals, on the server thread, may stop the
 * whole pipeline: the server thread cannot join itself, and must not try. */
static void
check_stop_from (const gchar * signal)
{
  StopFromHandler s = { NULL, signal, 0 };
  App app;
  TestClient *c;
  gint64 end;

  app_start (&app, "");
  s.app = &app;
  if (!strcmp (signal, "client-added"))
    g_signal_connect (app.sink, signal, G_CALLBACK (on_added_stop), &s);
  else
    g_signal_connect (app.sink, signal, G_CALLBACK (on_removed_stop), &s);

  c = test_client_get (app.port, "/stream", 0);
  test_client_open_stream (c);
  test_client_free (c);

  end = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (!g_atomic_int_get (&s.done) && g_get_monotonic_time () < end)
    g_usleep (10000);
  fail_unless (g_atomic_int_get (&s.done), "the handler did not return");
  /* the port is given back at once, the rest when the handler returned */
  fail_unless (port_is_free (app.port));
  fail_unless_equals_int (GST_STATE (app.pipeline), GST_STATE_NULL);

  /* and the element starts again */
  g_signal_handlers_disconnect_by_data (app.sink, &s);
  fail_if (gst_element_set_state (app.pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE);
  app_stop (&app);
}

GST_START_TEST (test_stop_from_client_removed)
{
  check_stop_from ("client-removed");
}

GST_END_TEST;

GST_START_TEST (test_stop_from_client_added)
{
  check_stop_from ("client-added");
}

GST_END_TEST;

typedef struct
{
  App *app;
  gint removed;                 /* atomic */
  gint stopped;                 /* atomic */
} PauseOnLeave;

/* "pause when the last viewer leaves": a handler that changes the state */
static void
on_removed_pause (GstElement * sink, const gchar * peer, gint status,
    PauseOnLeave * p)
{
  gst_element_set_state (p->app->pipeline, GST_STATE_PAUSED);
  g_atomic_int_inc (&p->removed);
}

static gpointer
stop_app (gpointer user_data)
{
  PauseOnLeave *p = user_data;

  gst_element_set_state (p->app->pipeline, GST_STATE_NULL);
  g_atomic_int_set (&p->stopped, 1);
  return NULL;
}

/* The application stops the pipeline while a viewer is connected: the
 * viewer's client-removed comes, and its handler may change the state
 * without waiting for the lock the stopping thread holds. */
GST_START_TEST (test_handler_changes_state_while_app_stops)
{
  PauseOnLeave p = { NULL, 0, 0 };
  App app;
  TestClient *c;
  GThread *thread;
  gint64 end;

  app_start (&app, "");
  p.app = &app;
  g_signal_connect (app.sink, "client-removed", G_CALLBACK (on_removed_pause),
      &p);
  c = test_client_get (app.port, "/stream", 0);
  test_client_open_stream (c);

  thread = g_thread_new ("stop", stop_app, &p);
  end = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (!g_atomic_int_get (&p.stopped) && g_get_monotonic_time () < end)
    g_usleep (10000);
  fail_unless (g_atomic_int_get (&p.stopped), "stopping the pipeline did "
      "not return in 10 s: deadlock with the client-removed handler");
  g_thread_join (thread);
  fail_unless_equals_int (g_atomic_int_get (&p.removed), 1);

  test_client_free (c);
  g_signal_handlers_disconnect_by_data (app.sink, &p);
  app_stop (&app);
}

GST_END_TEST;

static GstStateChangeReturn (*real_change_state) (GstElement * element,
    GstStateChange transition);

static GstStateChangeReturn
refuse_null_to_ready (GstElement * element, GstStateChange transition)
{
  if (transition == GST_STATE_CHANGE_NULL_TO_READY)
    return GST_STATE_CHANGE_FAILURE;
  return real_change_state (element, transition);
}

/* When the parent class fails NULL to READY after the server started,
 * nothing stays bound. */
GST_START_TEST (test_parent_failure_frees_port)
{
  GstElementClass *basesink = g_type_class_ref (GST_TYPE_BASE_SINK);
  GstElement *sink = gst_element_factory_make ("mjpeghttpsink", NULL);
  GSocket *probe;
  GSocketAddress *addr;
  guint port;
  gint current;

  /* a free port, known before the sink takes it */
  probe = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
      G_SOCKET_PROTOCOL_TCP, NULL);
  addr = g_inet_socket_address_new_from_string ("127.0.0.1", 0);
  fail_unless (g_socket_bind (probe, addr, TRUE, NULL));
  g_object_unref (addr);
  addr = g_socket_get_local_address (probe, NULL);
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (addr));
  g_object_unref (addr);
  g_object_unref (probe);
  g_object_set (sink, "port", port, NULL);

  real_change_state = basesink->change_state;
  basesink->change_state = refuse_null_to_ready;
  fail_unless_equals_int (gst_element_set_state (sink, GST_STATE_READY),
      GST_STATE_CHANGE_FAILURE);
  basesink->change_state = real_change_state;

  fail_unless (port_is_free (port), "port %u is still bound", port);
  g_object_get (sink, "current-port", &current, NULL);
  fail_unless_equals_int (current, 0);

  gst_element_set_state (sink, GST_STATE_NULL);
  gst_object_unref (sink);
  g_type_class_unref (basesink);
}

GST_END_TEST;

/* A frame a client was being sent is released with the client. */
GST_START_TEST (test_frames_are_released)
{
  GstHarness *h = start_sink ("timeout=0");
  GstBuffer *big = make_frame (1, 2000000), *small = make_frame (2, 1000);
  TestClient *stalled = test_client_get (sink_port (h), "/stream", 4096);

  test_client_read_head (stalled);
  wait_num_clients (h, 1);
  push (h, big);
  /* the client cannot take 2 MB: it holds the frame */
  g_usleep (200 * 1000);
  fail_unless (GST_MINI_OBJECT_REFCOUNT_VALUE (big) > 1);
  push (h, small);

  test_client_free (stalled);
  wait_num_clients (h, 0);
  gst_harness_teardown (h);
  fail_unless_equals_int (GST_MINI_OBJECT_REFCOUNT_VALUE (big), 1);
  fail_unless_equals_int (GST_MINI_OBJECT_REFCOUNT_VALUE (small), 1);
  gst_buffer_unref (big);
  gst_buffer_unref (small);
}

GST_END_TEST;

/* ?advance_headers=0 is the plain layout, like no option at all. */
GST_START_TEST (test_advance_headers_off)
{
  static const gchar *paths[] = { "/stream?advance_headers=0",
    "/stream?advance_headers=false", "/stream?t=5"
  };
  GstHarness *h = start_sink ("");
  GstBuffer *f1 = make_frame (1, 3000);
  TestClient *c[G_N_ELEMENTS (paths)];
  TestPart part;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (paths); i++) {
    c[i] = test_client_get (sink_port (h), paths[i], 0);
    test_client_open_stream (c[i]);
  }
  wait_num_clients (h, G_N_ELEMENTS (paths));
  push (h, f1);
  for (i = 0; i < G_N_ELEMENTS (paths); i++) {
    /* the LENGTH layout's part, Content-Length and all */
    fail_unless (test_client_read_part (c[i], &part), "%s", paths[i]);
    assert_part_is (&part, f1);
    test_part_clear (&part);
    test_client_free (c[i]);
  }
  gst_buffer_unref (f1);
  gst_harness_teardown (h);
}

GST_END_TEST;

static gint64
timestamp_us (const gchar * headers)
{
  const gchar *ts = strstr (headers, "X-Timestamp: ");
  gchar *end;
  gint64 s, us;

  fail_unless (ts != NULL, "no X-Timestamp in %s", headers);
  s = g_ascii_strtoll (ts + 13, &end, 10);
  fail_unless (*end == '.', "X-Timestamp is not seconds.micros: %s", ts);
  us = g_ascii_strtoll (end + 1, NULL, 10);
  return s * G_USEC_PER_SEC + us;
}

/* X-Timestamp is the wall clock when the frame reached the sink, as in the
 * stream and the snapshot, so that a viewer on another machine can tell a
 * frame's age. */
GST_START_TEST (test_timestamps_are_wall_clock)
{
  GstHarness *h = start_sink ("");
  GstBuffer *f1 = make_frame (1, 3000);
  TestClient *c = test_client_get (sink_port (h), "/stream", 0), *snap;
  gint64 before, after, ts;
  TestPart part;

  test_client_open_stream (c);
  wait_num_clients (h, 1);
  before = g_get_real_time ();
  push (h, f1);
  after = g_get_real_time ();
  fail_unless (test_client_read_part (c, &part));
  ts = timestamp_us (part.headers);
  fail_unless (ts >= before && ts <= after, "X-Timestamp %" G_GINT64_FORMAT
      " not between %" G_GINT64_FORMAT " and %" G_GINT64_FORMAT, ts, before,
      after);
  test_part_clear (&part);

  snap = test_client_get (sink_port (h), "/snapshot", 0);
  test_client_read_head (snap);
  fail_unless_equals_int (timestamp_us (snap->head), ts);
  test_client_free (snap);

  test_client_free (c);
  gst_buffer_unref (f1);
  gst_harness_teardown (h);
}

GST_END_TEST;

static Suite *
mjpeghttpsink_lifecycle_suite (void)
{
  Suite *s = suite_create ("mjpeghttpsink-lifecycle");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_listening_properties_only_in_null);
  tcase_add_test (tc, test_limits_apply_while_playing);
  tcase_add_test (tc, test_stop_from_client_removed);
  tcase_add_test (tc, test_stop_from_client_added);
  tcase_add_test (tc, test_handler_changes_state_while_app_stops);
  tcase_add_test (tc, test_parent_failure_frees_port);
  tcase_add_test (tc, test_frames_are_released);
  tcase_add_test (tc, test_advance_headers_off);
  tcase_add_test (tc, test_timestamps_are_wall_clock);
  return s;
}

GST_CHECK_MAIN (mjpeghttpsink_lifecycle);
