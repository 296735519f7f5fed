/* mjpeghttp
 * Copyright (C) 2026 mjpeghttp developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

/* A small blocking HTTP/multipart client and frames whose bytes we know, for
 * the tests of mjpeghttpsink. Every read is bounded by a socket timeout. */

#ifndef __TEST_CLIENT_H__
#define __TEST_CLIENT_H__

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gio/gio.h>

#include "gstmjpeghttpmultipart.h"

#define B GST_MJPEG_HTTP_BOUNDARY
#define CLIENT_TIMEOUT_S 10

typedef struct
{
  GSocket *socket;
  GByteArray *buf;
  gint status;
  gchar *head;
  gboolean eof;
  /* every byte received, response head included */
  guint64 received;
} TestClient;

typedef struct
{
  guint64 number;
  GBytes *body;
  gchar *headers;
} TestPart;

void test_part_clear (TestPart * part);
TestClient * test_client_connect_from (guint port, const gchar * from,
    gint rcvbuf);
TestClient * test_client_connect_full (guint port, gint rcvbuf);
void test_client_send (TestClient * c, const gchar * request);
gboolean test_client_fill (TestClient * c);
gchar * test_client_read_until (TestClient * c, const gchar * delim);
void test_client_read_exact (TestClient * c, gsize n, guint8 * out);
void test_client_expect (TestClient * c, const gchar * s);
void test_client_read_head (TestClient * c);
TestClient * test_client_get (guint port, const gchar * path, gint rcvbuf);
TestClient * test_client_get_from (guint port, const gchar * path,
    const gchar * from, gint rcvbuf);
guint test_client_status (guint port, const gchar * path, const gchar * from);
gboolean head_has (const gchar * head, const gchar * line);
void test_client_open_stream (TestClient * c);
gboolean test_client_read_part (TestClient * c, TestPart * part);
void test_client_free (TestClient * c);
GstBuffer * make_frame (guint seed, gsize size);
void assert_part_is (TestPart * part, GstBuffer * frame);
GstHarness * start_sink (const gchar * props);
guint sink_port (GstHarness * h);
guint sink_num_clients (GstHarness * h);
void wait_num_clients (GstHarness * h, guint n);
void push (GstHarness * h, GstBuffer * frame);

/* appsrc (live, nothing pushed) ! mjpeghttpsink with @props, PLAYING, in a
 * pipeline of its own: for what needs a whole pipeline (its bus, its
 * state), where a harness does not do. */
typedef struct
{
  GstElement *pipeline;
  GstElement *sink;
  GstBus *bus;
  guint port;
} App;

void app_start (App * app, const gchar * props);
void app_stop (App * app);

#endif /* __TEST_CLIENT_H__ */
