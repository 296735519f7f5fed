/* mjpeghttp
 * Copyright (C) 2026 mjpeghttp developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

/* Where the sink listens and which URLs it gives: a name is listened on at
 * every address it stands for (localhost: 127.0.0.1 and ::1, one port),
 * and a wildcard address gets one URL per address of this machine in the
 * listening message's `urls`. */

#include "testclient.h"

#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <string.h>

/* The mjpeghttpsink-listening message's structure (transfer full). */
static GstStructure *
listening_message (App * app)
{
  GstStructure *s = NULL;

  while (!s) {
    GstMessage *msg = gst_bus_timed_pop_filtered (app->bus, 5 * GST_SECOND,
        GST_MESSAGE_ELEMENT);

    fail_unless (msg != NULL, "no mjpeghttpsink-listening message");
    if (gst_message_has_name (msg, "mjpeghttpsink-listening"))
      s = gst_structure_copy (gst_message_get_structure (msg));
    gst_message_unref (msg);
  }
  return s;
}

/* Something at @ip port @port answers HTTP. */
static gboolean
answers (const gchar * ip, guint port)
{
  GSocketClient *client = g_socket_client_new ();
  GSocketAddress *addr = g_inet_socket_address_new_from_string (ip, port);
  GSocketConnection *conn;
  gchar buf[16] = { 0 };
  gboolean ok = FALSE;
  const gchar *req = "HEAD / HTTP/1.1\r\nHost: test\r\n\r\n";

  g_socket_client_set_timeout (client, 5);
  /* straight to the address: GIO's proxy lookup (libproxy) throws C++
   * exceptions inside, which valgrind reports */
  g_socket_client_set_enable_proxy (client, FALSE);
  conn = g_socket_client_connect (client, G_SOCKET_CONNECTABLE (addr), NULL,
      NULL);
  if (conn) {
    GIOStream *io = G_IO_STREAM (conn);
    gsize n = 0;

    if (g_output_stream_write_all (g_io_stream_get_output_stream (io), req,
            strlen (req), NULL, NULL, NULL)
        && g_input_stream_read_all (g_io_stream_get_input_stream (io), buf,
            9, &n, NULL, NULL))
      ok = n == 9 && g_str_has_prefix (buf, "HTTP/1.1 ");
    g_object_unref (conn);
  }
  g_object_unref (addr);
  g_object_unref (client);
  return ok;
}

/* This machine can bind ::1. */
static gboolean
have_ipv6_loopback (void)
{
  GSocket *s = g_socket_new (G_SOCKET_FAMILY_IPV6, G_SOCKET_TYPE_STREAM,
      G_SOCKET_PROTOCOL_TCP, NULL);
  GSocketAddress *addr = g_inet_socket_address_new_from_string ("::1", 0);
  gboolean ok = s && g_socket_bind (s, addr, TRUE, NULL);

  g_clear_object (&s);
  g_object_unref (addr);
  return ok;
}

GST_START_TEST (test_localhost_is_both_loopbacks)
{
  App app;

  app_start (&app, "address=localhost");
  fail_unless (answers ("127.0.0.1", app.port),
      "address=localhost: 127.0.0.1 port %u does not answer", app.port);
  if (have_ipv6_loopback ())
    fail_unless (answers ("::1", app.port),
        "address=localhost: [::1] port %u does not answer", app.port);
  else
    GST_INFO ("no IPv6 loopback here: [::1] not checked");
  app_stop (&app);
}

GST_END_TEST;

/* The non-loopback addresses of this machine's interfaces that are up, as
 * strings, for @family. */
static GHashTable *
machine_addresses (gint family)
{
  GHashTable *set = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      NULL);
  struct ifaddrs *ifaddrs, *ifa;

  fail_unless (getifaddrs (&ifaddrs) == 0);
  for (ifa = ifaddrs; ifa; ifa = ifa->ifa_next) {
    GSocketAddress *saddr;
    GInetAddress *addr;

    if (!ifa->ifa_addr || ifa->ifa_addr->sa_family != family
        || !(ifa->ifa_flags & IFF_UP))
      continue;
    saddr = g_socket_address_new_from_native (ifa->ifa_addr,
        family == AF_INET ? sizeof (struct sockaddr_in) :
        sizeof (struct sockaddr_in6));
    addr = g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (saddr));
    if (!g_inet_address_get_is_loopback (addr))
      g_hash_table_add (set, g_inet_address_to_string (addr));
    g_object_unref (saddr);
  }
  freeifaddrs (ifaddrs);
  return set;
}

/* Every URL of `urls` names an address of this machine, none loopback nor
 * IPv6 link-local, on the port, and answers; every IPv4 address of the
 * machine is there. */
static void
check_urls (const gchar * any)
{
  gboolean ipv6 = strchr (any, ':') != NULL;
  GHashTable *v4 = machine_addresses (AF_INET);
  GHashTable *v6 = machine_addresses (AF_INET6);
  GHashTableIter iter;
  gpointer key;
  GstStructure *s;
  const GValue *urls;
  App app;
  guint i, n, seen_v4 = 0;
  gchar *props = g_strdup_printf ("address=%s", any);

  app_start (&app, props);
  g_free (props);
  s = listening_message (&app);
  urls = gst_structure_get_value (s, "urls");
  fail_unless (urls && GST_VALUE_HOLDS_ARRAY (urls),
      "no urls list in %" GST_PTR_FORMAT, s);
  n = gst_value_array_get_size (urls);
  for (i = 0; i < n; i++) {
    const gchar *url = g_value_get_string (gst_value_array_get_value (urls,
            i));
    GUri *uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
    GInetAddress *addr;
    const gchar *host;
    gchar *canon;

    fail_unless (uri != NULL, "not a URL: %s", url);
    host = g_uri_get_host (uri);
    addr = g_inet_address_new_from_string (host);
    fail_unless (addr != NULL, "%s: %s is not an IP address", url, host);
    canon = g_inet_address_to_string (addr);
    fail_if (g_inet_address_get_is_loopback (addr), "%s is loopback", url);
    fail_if (g_inet_address_get_is_link_local (addr)
        && g_inet_address_get_family (addr) == G_SOCKET_FAMILY_IPV6,
        "%s is IPv6 link-local", url);
    fail_unless_equals_int (g_uri_get_port (uri), app.port);
    fail_unless_equals_string (g_uri_get_path (uri), "/");
    fail_unless_equals_string (g_uri_get_scheme (uri), "http");
    if (g_inet_address_get_family (addr) == G_SOCKET_FAMILY_IPV4) {
      fail_unless (g_hash_table_contains (v4, canon),
          "%s is not an address of this machine", url);
      seen_v4++;
    } else {
      fail_unless (ipv6, "%s: an IPv6 URL while listening on %s", url, any);
      fail_unless (g_hash_table_contains (v6, canon),
          "%s is not an address of this machine", url);
    }
    fail_unless (answers (canon, app.port), "%s does not answer", url);
    GST_INFO ("%s answers", url);
    g_free (canon);
    g_object_unref (addr);
    g_uri_unref (uri);
  }
  /* the machine's IPv4 addresses, each once */
  fail_unless_equals_int (seen_v4, g_hash_table_size (v4));
  g_hash_table_iter_init (&iter, v4);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    GST_INFO ("machine address %s", (const gchar *) key);
  if (n == 0)
    GST_INFO ("this machine has no address but loopback: no URL to check");
  gst_structure_free (s);
  app_stop (&app);
  g_hash_table_unref (v4);
  g_hash_table_unref (v6);
}

GST_START_TEST (test_any_ipv4_urls)
{
  check_urls ("0.0.0.0");
}

GST_END_TEST;

GST_START_TEST (test_any_ipv6_urls)
{
  if (!have_ipv6_loopback ()) {
    GST_INFO ("no IPv6 here: :: not checked");
    return;
  }
  check_urls ("::");
}

GST_END_TEST;

/* A fixed address gives its one URL. */
GST_START_TEST (test_fixed_address_url)
{
  GstStructure *s;
  const GValue *urls;
  App app;

  app_start (&app, "address=127.0.0.1");
  s = listening_message (&app);
  urls = gst_structure_get_value (s, "urls");
  fail_unless (urls && gst_value_array_get_size (urls) == 1);
  fail_unless_equals_string (g_value_get_string (gst_value_array_get_value
          (urls, 0)), gst_structure_get_string (s, "url"));
  gst_structure_free (s);
  app_stop (&app);
}

GST_END_TEST;

static Suite *
mjpeghttpsink_addresses_suite (void)
{
  Suite *s = suite_create ("mjpeghttpsink-addresses");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_localhost_is_both_loopbacks);
  tcase_add_test (tc, test_any_ipv4_urls);
  tcase_add_test (tc, test_any_ipv6_urls);
  tcase_add_test (tc, test_fixed_address_url);
  return s;
}

GST_CHECK_MAIN (mjpeghttpsink_addresses);
