/* mjpeghttp
 * Copyright (C) 2026 mjpeghttp developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

#include "testclient.h"

#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

/* ---- a small blocking HTTP/multipart client ------------------------------ */

void
test_part_clear (TestPart * part)
{
  g_clear_pointer (&part->body, g_bytes_unref);
  g_clear_pointer (&part->headers, g_free);
}

/* A connection to 127.0.0.1:@port from the loopback address @from (NULL:
 * 127.0.0.1), so that tests can be several peers. */
TestClient *
test_client_connect_from (guint port, const gchar * from, gint rcvbuf)
{
  TestClient *c = g_new0 (TestClient, 1);
  GInetAddress *ia = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  GSocketAddress *sa = g_inet_socket_address_new (ia, port);
  GError *err = NULL;

  c->socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
      G_SOCKET_PROTOCOL_TCP, &err);
  fail_unless (c->socket != NULL);
  if (from) {
    GSocketAddress *local = g_inet_socket_address_new_from_string (from, 0);

    fail_unless (g_socket_bind (c->socket, local, FALSE, &err),
        "bind %s: %s", from, err ? err->message : "");
    g_object_unref (local);
  }
  if (rcvbuf > 0)
    fail_unless (g_socket_set_option (c->socket, SOL_SOCKET, SO_RCVBUF,
            rcvbuf, NULL));
  g_socket_set_timeout (c->socket, CLIENT_TIMEOUT_S);
  fail_unless (g_socket_connect (c->socket, sa, NULL, &err),
      "connect: %s", err ? err->message : "");
  c->buf = g_byte_array_new ();
  g_object_unref (sa);
  g_object_unref (ia);
  return c;
}

TestClient *
test_client_connect_full (guint port, gint rcvbuf)
{
  return test_client_connect_from (port, NULL, rcvbuf);
}

void
test_client_send (TestClient * c, const gchar * request)
{
  GError *err = NULL;
  gssize n = g_socket_send (c->socket, request, strlen (request), NULL, &err);

  fail_unless_equals_int (n, strlen (request));
}

/* Reads more bytes into the buffer; FALSE at end of file. */
gboolean
test_client_fill (TestClient * c)
{
  guint8 tmp[65536];
  GError *err = NULL;
  gssize n;

  n = g_socket_receive (c->socket, (gchar *) tmp, sizeof (tmp), NULL, &err);
  fail_if (n < 0, "receive: %s", err ? err->message : "");
  if (n == 0) {
    c->eof = TRUE;
    return FALSE;
  }
  g_byte_array_append (c->buf, tmp, n);
  c->received += n;
  return TRUE;
}

static gssize
find_bytes (GByteArray * buf, const gchar * needle)
{
  gsize n = strlen (needle), i;

  for (i = 0; i + n <= buf->len; i++)
    if (memcmp (buf->data + i, needle, n) == 0)
      return i;
  return -1;
}

/* Reads bytes up to and including @delim; returns them as a string. */
gchar *
test_client_read_until (TestClient * c, const gchar * delim)
{
  gssize pos;
  gchar *s;

  while ((pos = find_bytes (c->buf, delim)) < 0)
    if (!test_client_fill (c))
      return NULL;
  pos += strlen (delim);
  s = g_strndup ((const gchar *) c->buf->data, pos);
  g_byte_array_remove_range (c->buf, 0, pos);
  return s;
}

void
test_client_read_exact (TestClient * c, gsize n, guint8 * out)
{
  while (c->buf->len < n)
    fail_unless (test_client_fill (c), "end of file inside a part");
  memcpy (out, c->buf->data, n);
  g_byte_array_remove_range (c->buf, 0, n);
}

void
test_client_expect (TestClient * c, const gchar * s)
{
  gsize n = strlen (s);
  guint8 *got = g_malloc (n + 1);

  test_client_read_exact (c, n, got);
  got[n] = 0;
  fail_unless_equals_string ((gchar *) got, s);
  g_free (got);
}

void
test_client_read_head (TestClient * c)
{
  c->head = test_client_read_until (c, "\r\n\r\n");
  fail_unless (c->head != NULL, "no response head");
  fail_unless (sscanf (c->head, "HTTP/1.%*d %d", &c->status) == 1);
}

TestClient *
test_client_get (guint port, const gchar * path, gint rcvbuf)
{
  return test_client_get_from (port, path, NULL, rcvbuf);
}

TestClient *
test_client_get_from (guint port, const gchar * path, const gchar * from,
    gint rcvbuf)
{
  TestClient *c = test_client_connect_from (port, from, rcvbuf);
  gchar *req = g_strdup_printf ("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
      path);

  test_client_send (c, req);
  g_free (req);
  return c;
}

/* The status of a GET of @path from @from (NULL: 127.0.0.1). */
guint
test_client_status (guint port, const gchar * path, const gchar * from)
{
  TestClient *c = test_client_get_from (port, path, from, 0);
  guint status;

  test_client_read_head (c);
  status = c->status;
  test_client_free (c);
  return status;
}

gboolean
head_has (const gchar * head, const gchar * line)
{
  gchar *down = g_ascii_strdown (head, -1), *want = g_ascii_strdown (line, -1);
  gboolean ret = strstr (down, want) != NULL;

  g_free (down);
  g_free (want);
  return ret;
}

/* Reads the stream's opening boundary. */
void
test_client_open_stream (TestClient * c)
{
  test_client_read_head (c);
  fail_unless_equals_int (c->status, 200);
  test_client_expect (c, "--" B "\r\n");
}

/* Reads one part of the LENGTH layout. Returns FALSE when the stream has
 * closed properly (empty part and close delimiter, then end of file). */
gboolean
test_client_read_part (TestClient * c, TestPart * part)
{
  gchar *headers, *cl, *num;
  gsize len;
  guint8 *data;

  memset (part, 0, sizeof (*part));
  headers = test_client_read_until (c, "\r\n\r\n");
  fail_unless (headers != NULL, "end of file instead of a part");
  cl = strstr (headers, "Content-Length: ");
  fail_unless (cl != NULL, "part without Content-Length: %s", headers);
  len = g_ascii_strtoull (cl + 16, NULL, 10);

  if (len == 0) {
    g_free (headers);
    test_client_expect (c, "\r\n--" B "--\r\n");
    fail_if (test_client_fill (c), "data after the close delimiter");
    return FALSE;
  }

  fail_unless (strstr (headers, "Content-Type: image/jpeg\r\n") != NULL);
  fail_unless (strstr (headers, "X-Timestamp: ") != NULL);
  num = strstr (headers, "X-Frame-Number: ");
  fail_unless (num != NULL);
  part->number = g_ascii_strtoull (num + 16, NULL, 10);

  data = g_malloc (len);
  test_client_read_exact (c, len, data);
  part->body = g_bytes_new_take (data, len);
  part->headers = headers;
  test_client_expect (c, "\r\n--" B "\r\n");
  return TRUE;
}

void
test_client_free (TestClient * c)
{
  g_socket_close (c->socket, NULL);
  g_object_unref (c->socket);
  g_byte_array_unref (c->buf);
  g_free (c->head);
  g_free (c);
}

/* ---- frames we know ------------------------------------------------------ */

/* A JPEG-shaped buffer (SOI ... EOI) of @size bytes whose content depends on
 * @seed, so that a mixed-up or corrupted frame cannot pass as another. */
GstBuffer *
make_frame (guint seed, gsize size)
{
  guint8 *data = g_malloc (size);
  gsize i;

  for (i = 0; i < size; i++)
    data[i] = (guint8) ((i * 31 + seed * 7919) >> 3);
  data[0] = 0xff;
  data[1] = 0xd8;
  data[size - 2] = 0xff;
  data[size - 1] = 0xd9;
  return gst_buffer_new_wrapped (data, size);
}

void
assert_part_is (TestPart * part, GstBuffer * frame)
{
  GstMapInfo map;

  fail_unless (gst_buffer_map (frame, &map, GST_MAP_READ));
  fail_unless_equals_int (g_bytes_get_size (part->body), map.size);
  fail_unless (memcmp (g_bytes_get_data (part->body, NULL), map.data,
          map.size) == 0, "frame bytes differ from what was pushed");
  gst_buffer_unmap (frame, &map);
}

GstHarness *
start_sink (const gchar * props)
{
  GstElement *sink = gst_element_factory_make ("mjpeghttpsink", NULL);
  gchar **kv = g_strsplit (props, " ", -1), **p;
  GstHarness *h;

  g_object_set (sink, "port", 0, NULL);
  for (p = kv; *p; p++) {
    gchar **pair = g_strsplit (*p, "=", 2);

    if (pair[0] && pair[1])
      gst_util_set_object_arg (G_OBJECT (sink), pair[0], pair[1]);
    g_strfreev (pair);
  }
  g_strfreev (kv);

  h = gst_harness_new_with_element (sink, "sink", NULL);
  gst_object_unref (sink);
  gst_harness_set_src_caps_str (h, "image/jpeg,width=64,height=48");
  return h;
}

guint
sink_port (GstHarness * h)
{
  gint port = 0;

  g_object_get (h->element, "current-port", &port, NULL);
  fail_unless (port > 0);
  return port;
}

guint
sink_num_clients (GstHarness * h)
{
  guint n;

  g_object_get (h->element, "num-clients", &n, NULL);
  return n;
}

void
wait_num_clients (GstHarness * h, guint n)
{
  gint64 end = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  while (sink_num_clients (h) != n && g_get_monotonic_time () < end)
    g_usleep (2000);
  fail_unless_equals_int (sink_num_clients (h), n);
}

void
push (GstHarness * h, GstBuffer * frame)
{
  fail_unless_equals_int (gst_harness_push (h, gst_buffer_ref (frame)),
      GST_FLOW_OK);
}

void
app_start (App * app, const gchar * props)
{
  gchar *desc = g_strdup_printf ("appsrc is-live=true format=time "
      "caps=image/jpeg ! mjpeghttpsink name=sink port=0 %s", props);
  gint port;

  app->pipeline = gst_parse_launch (desc, NULL);
  g_free (desc);
  fail_unless (app->pipeline != NULL);
  app->sink = gst_bin_get_by_name (GST_BIN (app->pipeline), "sink");
  app->bus = gst_element_get_bus (app->pipeline);
  fail_if (gst_element_set_state (app->pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE);
  g_object_get (app->sink, "current-port", &port, NULL);
  fail_unless (port > 0);
  app->port = port;
}

void
app_stop (App * app)
{
  gst_element_set_state (app->pipeline, GST_STATE_NULL);
  gst_object_unref (app->bus);
  gst_object_unref (app->sink);
  gst_object_unref (app->pipeline);
}
