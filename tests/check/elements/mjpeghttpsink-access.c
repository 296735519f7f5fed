/* mjpeghttp
 * Copyright (C) 2026 mjpeghttp developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

/* Who may watch, through a real server: Basic credentials from the two
 * properties and from an htpasswd file, the lockout of an address that
 * guesses, allowed hosts, CORS, the viewer page's policies, https with its
 * configuration errors, and TLS handshakes that stall. Real sockets on
 * 127.0.0.x only; certificates are made with openssl at test time (the TLS
 * tests say so and pass when it or GIO's TLS backend is missing). */

#include "testclient.h"

#include <glib/gstdio.h>

#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Made once, as the errors of a bad auth file recommend:
 *   htpasswd -nbB -C 5 ann 'ann-pw:1'
 *   mkpasswd -m sha-512 'ben pw 2'
 *   htpasswd -nbm old x                 (Apache MD5, not supported) */
#define ANN_LINE "ann:$2y$05$NeSMWPD71NZtfCy13TYO7O3oTlKfiiJj.xY26z2zn9umDgX" \
  "TMjVW2"
#define ANN_PW "ann-pw:1"
#define BEN_LINE "ben:$6$KJ5VI4XFjGO2HN/J$t8Vw4a9od5DBg4Rn4yhVB/zfxO76BtjlTkL2" \
  "pZD3lY96fAGui2EbSjY3VHcTm/oWuwdlwBtjabyIiFQhZfcKH/"
#define BEN_PW "ben pw 2"
#define OLD_LINE "old:$apr1$FCRTs4Vd$lE3Wsc6YVfR6e9BQ8xcku0"

#define USER "viewer"
/* a password may hold colons: only the first one ends the user */
#define PASSWORD "se:cr:et"

#define CHALLENGE(realm) "WWW-Authenticate: Basic realm=\"" realm "\", " \
  "charset=\"UTF-8\"\r\n"

#define fail_unless_contains(haystack, needle) \
  fail_unless (strstr ((haystack), (needle)) != NULL, \
      "\"%s\" does not contain \"%s\"", (haystack), (needle))
#define fail_if_contains(haystack, needle) \
  fail_unless (strstr ((haystack), (needle)) == NULL, \
      "\"%s\" contains \"%s\"", (haystack), (needle))

/* ---- the sink --------------------------------------------------------- */

/* A sink on a free port with the access properties given as for
 * g_object_set(), in a harness (so PLAYING), with a bus of its own, and
 * no request rate limit: the tests send many requests from one address. */
static GstHarness *
start_access_sink (const gchar * first_property, ...)
{
  GstElement *sink = gst_element_factory_make ("mjpeghttpsink", NULL);
  GstBus *bus = gst_bus_new ();
  GstHarness *h;
  va_list args;

  g_object_set (sink, "port", 0, "request-rate", 0, NULL);
  if (first_property) {
    va_start (args, first_property);
    g_object_set_valist (G_OBJECT (sink), first_property, args);
    va_end (args);
  }
  gst_element_set_bus (sink, bus);
  gst_object_unref (bus);
  h = gst_harness_new_with_element (sink, "sink", NULL);
  gst_object_unref (sink);
  gst_harness_set_src_caps_str (h, "image/jpeg,width=64,height=48");
  return h;
}

/* Messages left on the bus hold the sink, which holds the bus: the bus
 * goes first. */
static void
stop_access_sink (GstHarness * h)
{
  gst_element_set_bus (h->element, NULL);
  gst_harness_teardown (h);
}

static guint64
stat_of (GstHarness * h, const gchar * field)
{
  GstStructure *s;
  guint64 v = 0;

  g_object_get (h->element, "stats", &s, NULL);
  fail_unless (gst_structure_get_uint64 (s, field, &v), "no %s in %"
      GST_PTR_FORMAT, field, s);
  gst_structure_free (s);
  return v;
}

/* The texts of the messages of @type on @element's bus now, in order. */
static GPtrArray *
bus_texts (GstElement * element, GstMessageType type)
{
  GstBus *bus = gst_element_get_bus (element);
  GPtrArray *texts = g_ptr_array_new_with_free_func (g_free);
  GstMessage *msg;

  fail_unless (bus != NULL);
  while ((msg = gst_bus_pop_filtered (bus, type))) {
    GError *err = NULL;

    if (type == GST_MESSAGE_ERROR)
      gst_message_parse_error (msg, &err, NULL);
    else
      gst_message_parse_warning (msg, &err, NULL);
    g_ptr_array_add (texts, g_strdup (err->message));
    g_error_free (err);
    gst_message_unref (msg);
  }
  gst_object_unref (bus);
  return texts;
}

/* Whether any of @texts contains @needle. */
static gboolean
texts_have (GPtrArray * texts, const gchar * needle)
{
  guint i;

  for (i = 0; i < texts->len; i++) {
    if (strstr (g_ptr_array_index (texts, i), needle))
      return TRUE;
  }
  return FALSE;
}

/* A port no one listens on, found by binding port 0 and letting it go. */
static guint
free_port (void)
{
  GSocket *probe = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
      G_SOCKET_PROTOCOL_TCP, NULL);
  GSocketAddress *addr = g_inet_socket_address_new_from_string ("127.0.0.1",
      0);
  guint port;

  fail_unless (g_socket_bind (probe, addr, TRUE, NULL));
  g_object_unref (addr);
  addr = g_socket_get_local_address (probe, NULL);
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (addr));
  g_object_unref (addr);
  g_object_unref (probe);
  return port;
}

static gboolean
port_is_free (guint port)
{
  GSocket *s = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
      G_SOCKET_PROTOCOL_TCP, NULL);
  GSocketAddress *a = g_inet_socket_address_new_from_string ("127.0.0.1",
      port);
  gboolean ok = g_socket_bind (s, a, TRUE, NULL)
      && g_socket_listen (s, NULL);

  g_object_unref (a);
  g_object_unref (s);
  return ok;
}

/* A sink on a port of its own with the properties given as for
 * g_object_set(), that must fail to go to @state: the error's text, after
 * checking that the port was not left bound. */
static gchar *
start_error (GstState state, const gchar * first_property, ...)
{
  GstElement *sink = gst_element_factory_make ("mjpeghttpsink", NULL);
  GstBus *bus = gst_bus_new ();
  guint port = free_port ();
  GPtrArray *errors;
  gchar *text;
  gint current = -1;
  va_list args;

  g_object_set (sink, "port", port, NULL);
  va_start (args, first_property);
  g_object_set_valist (G_OBJECT (sink), first_property, args);
  va_end (args);
  gst_element_set_bus (sink, bus);

  fail_unless_equals_int (gst_element_set_state (sink, state),
      GST_STATE_CHANGE_FAILURE);
  errors = bus_texts (sink, GST_MESSAGE_ERROR);
  fail_unless_equals_int (errors->len, 1);
  text = g_strdup (g_ptr_array_index (errors, 0));
  g_ptr_array_unref (errors);
  fail_unless (port_is_free (port), "port %u is still bound after: %s", port,
      text);
  g_object_get (sink, "current-port", &current, NULL);
  fail_unless_equals_int (current, 0);

  gst_element_set_state (sink, GST_STATE_NULL);
  gst_element_set_bus (sink, NULL);
  gst_object_unref (bus);
  gst_object_unref (sink);
  GST_INFO ("error: %s", text);
  return text;
}

/* ---- plain http ------------------------------------------------------- */

/* "Authorization: Basic ...\r\n" for @user and @password. */
static gchar *
credentials (const gchar * user, const gchar * password)
{
  gchar *plain = g_strconcat (user, ":", password, NULL);
  gchar *b64 = g_base64_encode ((const guchar *) plain, strlen (plain));
  gchar *line = g_strdup_printf ("Authorization: Basic %s\r\n", b64);

  g_free (plain);
  g_free (b64);
  return line;
}

/* A request for @path with the lines of @extra (or none). */
static gchar *
request (const gchar * method, const gchar * path, const gchar * extra)
{
  return g_strdup_printf ("%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%s\r\n",
      method, path, extra ? extra : "");
}

/* Everything the server sends on a connection until it closes it. */
static gchar *
read_all (TestClient * c)
{
  while (test_client_fill (c));
  return g_strndup ((const gchar *) c->buf->data, c->buf->len);
}

/* Sends @req from @from (NULL: 127.0.0.1) and returns the whole answer. */
static gchar *
raw_answer (guint port, const gchar * from, const gchar * req)
{
  TestClient *c = test_client_connect_from (port, from, 0);
  gchar *answer;

  test_client_send (c, req);
  answer = read_all (c);
  test_client_free (c);
  return answer;
}

static guint
answer_status (const gchar * answer)
{
  fail_unless (g_str_has_prefix (answer, "HTTP/1.1 ")
      || g_str_has_prefix (answer, "HTTP/1.0 "), "not an HTTP answer: "
      "\"%.60s\"", answer);
  return g_ascii_strtoull (answer + 9, NULL, 10);
}

/* The status of @method @path with the lines of @extra; *@head_out, if
 * given, gets the answer's head. Reads only the head: a stream that was
 * granted would not end. */
static guint
status_of (guint port, const gchar * method, const gchar * path,
    const gchar * extra, gchar ** head_out)
{
  TestClient *c = test_client_connect_full (port, 0);
  gchar *req = request (method, path, extra);
  guint status;

  test_client_send (c, req);
  g_free (req);
  test_client_read_head (c);
  status = c->status;
  if (head_out)
    *head_out = g_steal_pointer (&c->head);
  test_client_free (c);
  return status;
}

/* The value of header @name in @head, or NULL. */
static gchar *
header_value (const gchar * head, const gchar * name)
{
  gchar **lines = g_strsplit (head, "\r\n", -1), **l;
  gchar *value = NULL;
  gsize n = strlen (name);

  for (l = lines + 1; *l && !value; l++) {
    if (!g_ascii_strncasecmp (*l, name, n) && (*l)[n] == ':')
      value = g_strstrip (g_strdup (*l + n + 1));
  }
  g_strfreev (lines);
  return value;
}

static void
on_client_added (GstElement * sink, const gchar * peer, gint * added)
{
  g_atomic_int_inc (added);
}

/* ---- 1. auth-user and auth-password ----------------------------------- */

/* Without credentials every request is challenged, whatever it asks for,
 * and the challenge names the realm. */
GST_START_TEST (test_no_credentials_challenged)
{
  static const gchar *paths[] = { "/", "/stream", "/snapshot",
    "/nothing-here", "/?action=stream"
  };
  GstHarness *h = start_access_sink ("auth-user", USER, "auth-password",
      PASSWORD, "auth-realm", "Front door", NULL);
  guint port = sink_port (h), i;
  GstBuffer *frame = make_frame (1, 2000);
  gchar *req, *answer;

  push (h, frame);
  for (i = 0; i < G_N_ELEMENTS (paths); i++) {
    req = request ("GET", paths[i], NULL);
    answer = raw_answer (port, NULL, req);
    fail_unless_equals_int (answer_status (answer), 401);
    fail_unless_contains (answer, "\r\n" CHALLENGE ("Front door"));
    /* nothing of the camera's comes with it */
    fail_if_contains (answer, "image/jpeg");
    fail_if_contains (answer, "multipart");
    g_free (answer);
    g_free (req);
  }

  /* HEAD too, with the same head and no body */
  answer = raw_answer (port, NULL, "HEAD /snapshot HTTP/1.1\r\n"
      "Host: 127.0.0.1\r\n\r\n");
  fail_unless_equals_int (answer_status (answer), 401);
  fail_unless_contains (answer, "\r\n" CHALLENGE ("Front door"));
  fail_unless (g_str_has_suffix (answer, "\r\n\r\n"), "HEAD got a body: %s",
      answer);
  g_free (answer);

  /* a scheme other than Basic is as good as none */
  answer = raw_answer (port, NULL, "GET /snapshot HTTP/1.1\r\nHost: a\r\n"
      "Authorization: Bearer abc\r\n\r\n");
  fail_unless_equals_int (answer_status (answer), 401);
  fail_unless_contains (answer, CHALLENGE ("Front door"));
  g_free (answer);

  fail_unless_equals_int (stat_of (h, "refused-unauthorized"),
      G_N_ELEMENTS (paths) + 2);
  fail_unless_equals_int (stat_of (h, "refused-wrong-password"), 0);
  fail_unless_equals_int (sink_num_clients (h), 0);
  gst_buffer_unref (frame);
  stop_access_sink (h);
}

GST_END_TEST;

/* The default realm is the element's name. */
GST_START_TEST (test_default_realm)
{
  GstHarness *h = start_access_sink ("auth-user", USER, "auth-password",
      PASSWORD, NULL);
  gchar *head = NULL;

  fail_unless_equals_int (status_of (sink_port (h), "GET", "/", NULL, &head),
      401);
  fail_unless_contains (head, "\r\n" CHALLENGE ("mjpeghttpsink"));
  g_free (head);
  stop_access_sink (h);
}

GST_END_TEST;

/* The right credentials (a password with colons) get the snapshot, the
 * stream and the page. */
GST_START_TEST (test_right_credentials_served)
{
  GstHarness *h = start_access_sink ("auth-user", USER, "auth-password",
      PASSWORD, NULL);
  guint port = sink_port (h);
  gchar *auth = credentials (USER, PASSWORD), *req;
  GstBuffer *f1 = make_frame (1, 3000), *f2 = make_frame (2, 4000);
  TestClient *c;
  TestPart part;
  guint8 *body;
  gint added = 0;

  g_signal_connect (h->element, "client-added", G_CALLBACK (on_client_added),
      &added);
  push (h, f1);

  c = test_client_connect_full (port, 0);
  req = request ("GET", "/snapshot", auth);
  test_client_send (c, req);
  g_free (req);
  test_client_read_head (c);
  fail_unless_equals_int (c->status, 200);
  fail_unless (head_has (c->head, "Content-Type: image/jpeg\r\n"), "%s",
      c->head);
  fail_unless (head_has (c->head, "Content-Length: 3000\r\n"), "%s", c->head);
  body = g_malloc (3000);
  test_client_read_exact (c, 3000, body);
  {
    TestPart snap = { 0, g_bytes_new_take (body, 3000), NULL };

    assert_part_is (&snap, f1);
    test_part_clear (&snap);
  }
  test_client_free (c);

  c = test_client_connect_full (port, 0);
  req = request ("GET", "/stream", auth);
  test_client_send (c, req);
  g_free (req);
  test_client_open_stream (c);
  fail_unless (head_has (c->head, "Content-Type: multipart/x-mixed-replace"),
      "%s", c->head);
  wait_num_clients (h, 1);
  fail_unless_equals_int (g_atomic_int_get (&added), 1);
  /* the newest frame at once, then the next one */
  fail_unless (test_client_read_part (c, &part));
  assert_part_is (&part, f1);
  test_part_clear (&part);
  push (h, f2);
  fail_unless (test_client_read_part (c, &part));
  assert_part_is (&part, f2);
  test_part_clear (&part);
  test_client_free (c);

  fail_unless_equals_int (status_of (port, "GET", "/", auth, NULL), 200);
  fail_unless_equals_int (stat_of (h, "refused-unauthorized"), 0);
  fail_unless_equals_int (stat_of (h, "refused-wrong-password"), 0);

  g_free (auth);
  gst_buffer_unref (f1);
  gst_buffer_unref (f2);
  stop_access_sink (h);
}

GST_END_TEST;

/* Wrong credentials, however well-formed the rest of the request, get 401
 * and never a stream. */
GST_START_TEST (test_wrong_credentials_refused)
{
  GstHarness *h = start_access_sink ("auth-user", USER, "auth-password",
      PASSWORD, NULL);
  guint port = sink_port (h), i;
  gchar *wrong_password = credentials (USER, "se:cr:et2");
  gchar *wrong_user = credentials ("Viewer", PASSWORD);
  gchar *only_user = credentials (USER, "");
  gchar *browser = g_strdup_printf ("User-Agent: Mozilla/5.0 (X11; Linux "
      "x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n"
      "Accept: image/avif,image/webp,*/*\r\nAccept-Language: en\r\n"
      "Accept-Encoding: gzip, deflate\r\nConnection: keep-alive\r\n"
      "Referer: http://127.0.0.1/\r\nCache-Control: no-cache\r\n%s",
      wrong_password);
  const gchar *tries[] = { wrong_password, wrong_user, only_user, browser,
    /* the right credentials, and a stray character */
    "Authorization: Basic " "dmlld2VyOnNlOmNyOmV0" "x\r\n",
  };
  GstBuffer *frame = make_frame (1, 1000);
  gint added = 0;
  gchar *head;

  g_signal_connect (h->element, "client-added", G_CALLBACK (on_client_added),
      &added);
  push (h, frame);
  for (i = 0; i < G_N_ELEMENTS (tries); i++) {
    head = NULL;
    fail_unless_equals_int (status_of (port, "GET", "/stream", tries[i],
            &head), 401);
    fail_unless_contains (head, CHALLENGE ("mjpeghttpsink"));
    fail_if_contains (head, "multipart");
    g_free (head);
  }
  fail_unless_equals_int (status_of (port, "GET", "/snapshot", wrong_password,
          NULL), 401);
  fail_unless_equals_int (stat_of (h, "refused-wrong-password"),
      G_N_ELEMENTS (tries) + 1);
  fail_unless_equals_int (stat_of (h, "refused-unauthorized"), 0);
  /* the refused never became clients, not even for a moment */
  g_usleep (100 * 1000);
  fail_unless_equals_int (g_atomic_int_get (&added), 0);
  fail_unless_equals_int (sink_num_clients (h), 0);

  g_free (wrong_password);
  g_free (wrong_user);
  g_free (only_user);
  g_free (browser);
  gst_buffer_unref (frame);
  stop_access_sink (h);
}

GST_END_TEST;

/* ---- 2. auth-file ----------------------------------------------------- */

static gchar *
write_temp (const gchar * contents)
{
  GError *err = NULL;
  gchar *path = NULL;
  gint fd = g_file_open_tmp ("mjpeghttp-auth-XXXXXX", &path, &err);

  fail_unless (fd >= 0, "%s", err ? err->message : "");
  close (fd);
  fail_unless (g_file_set_contents (path, contents, -1, &err));
  return path;
}

/* Each user of the file gets in with its own password, and with no other:
 * bcrypt and SHA-512-crypt. */
GST_START_TEST (test_auth_file_users)
{
  gchar *path = write_temp ("# viewers\n" ANN_LINE "\n\n" BEN_LINE "\n");
  GstHarness *h = start_access_sink ("auth-file", path, NULL);
  guint port = sink_port (h), i;
  struct
  {
    const gchar *user, *password;
    guint status;
  } tries[] = {
    {"ann", ANN_PW, 200}, {"ben", BEN_PW, 200},
    {"ann", BEN_PW, 401}, {"ben", ANN_PW, 401},
    {"carl", ANN_PW, 401}, {"ann", "ann-pw", 401},
    /* granted before: from the cache, the same answer */
    {"ann", ANN_PW, 200}, {"ben", BEN_PW, 200},
  };
  GstBuffer *frame = make_frame (1, 1000);
  gchar *auth, *head;

  push (h, frame);
  for (i = 0; i < G_N_ELEMENTS (tries); i++) {
    auth = credentials (tries[i].user, tries[i].password);
    head = NULL;
    fail_unless_equals_int (status_of (port, "GET", "/snapshot", auth, &head),
        tries[i].status);
    if (tries[i].status == 200)
      fail_unless (head_has (head, "Content-Type: image/jpeg\r\n"));
    else
      fail_unless_contains (head, CHALLENGE ("mjpeghttpsink"));
    g_free (head);
    g_free (auth);
  }
  fail_unless_equals_int (status_of (port, "GET", "/snapshot", NULL, NULL),
      401);
  fail_unless_equals_int (stat_of (h, "refused-wrong-password"), 4);
  fail_unless_equals_int (stat_of (h, "refused-unauthorized"), 1);

  gst_buffer_unref (frame);
  stop_access_sink (h);
  g_unlink (path);
  g_free (path);
}

GST_END_TEST;

/* A file that is not there, or holds a hash that cannot be checked, stops
 * the element from starting; the error names the file and the line. */
GST_START_TEST (test_auth_file_errors)
{
  gchar *dir = g_dir_make_tmp ("mjpeghttp-access-XXXXXX", NULL);
  gchar *missing = g_build_filename (dir, "no-such-file", NULL);
  gchar *apr1 = write_temp (ANN_LINE "\n" OLD_LINE "\n");
  gchar *text;

  text = start_error (GST_STATE_READY, "auth-file", missing, NULL);
  fail_unless_contains (text, missing);
  g_free (text);
  text = start_error (GST_STATE_PLAYING, "auth-file", missing, NULL);
  fail_unless_contains (text, missing);
  g_free (text);

  text = start_error (GST_STATE_READY, "auth-file", apr1, NULL);
  fail_unless_contains (text, apr1);
  fail_unless_contains (text, "line 2");
  fail_unless_contains (text, "$apr1$");
  /* never a piece of the line itself */
  fail_if_contains (text, "FCRTs4Vd");
  g_free (text);
  text = start_error (GST_STATE_PLAYING, "auth-file", apr1, NULL);
  fail_unless_contains (text, "line 2");
  g_free (text);

  g_unlink (apr1);
  g_free (apr1);
  g_free (missing);
  g_rmdir (dir);
  g_free (dir);
}

GST_END_TEST;

/* ---- 3. lockout ------------------------------------------------------- */

static guint
status_with (guint port, const gchar * user, const gchar * password,
    gchar ** head_out)
{
  gchar *auth = credentials (user, password);
  guint status = status_of (port, "GET", "/snapshot", auth, head_out);

  g_free (auth);
  return status;
}

/* 5 wrong passwords are free; the 6th locks the address out of password
 * checks for 1 s and is told on the bus; during the lockout even the right
 * password gets 429; after it the right one gets in and the count starts
 * again. */
static void
check_lockout (GstHarness * h, const gchar * user, const gchar * password)
{
  guint port = sink_port (h), i, retry, status;
  gchar *auth = credentials (user, password), *req = request ("GET",
      "/snapshot", auth), *head, *value, *answer;
  GPtrArray *warnings;
  gint64 locked_at, end;

  /* another address signs in: with auth-file its grant is cached */
  answer = raw_answer (port, "127.0.0.2", req);
  fail_unless_equals_int (answer_status (answer), 200);
  g_free (answer);

  for (i = 1; i <= 6; i++) {
    fail_unless_equals_int (status_with (port, user, "guess", NULL), 401);
    warnings = bus_texts (h->element, GST_MESSAGE_WARNING);
    if (i < 6) {
      fail_unless_equals_int (warnings->len, 0);
    } else {
      fail_unless_equals_int (warnings->len, 1);
      fail_unless (texts_have (warnings, "127.0.0.1"), "%s",
          (gchar *) g_ptr_array_index (warnings, 0));
      fail_unless (texts_have (warnings, "sent 6 wrong user names or "
              "passwords in a row"));
    }
    g_ptr_array_unref (warnings);
  }
  locked_at = g_get_monotonic_time ();

  /* locked: a wrong and a right password alike */
  head = NULL;
  fail_unless_equals_int (status_with (port, user, "guess", &head), 429);
  value = header_value (head, "Retry-After");
  fail_unless (value != NULL, "no Retry-After: %s", head);
  retry = g_ascii_strtoull (value, NULL, 10);
  fail_unless (retry >= 1 && retry <= 2, "Retry-After: %s", value);
  g_free (value);
  g_free (head);
  /* the right password, even one granted before (and so known without a
   * hash), is not looked at */
  fail_unless_equals_int (status_with (port, user, password, NULL), 429);
  fail_unless (g_get_monotonic_time () - locked_at < 900 * 1000,
      "too slow to see the lockout of 1 s");
  /* another address is not locked out */
  answer = raw_answer (port, "127.0.0.2", req);
  fail_unless_equals_int (answer_status (answer), 200);
  g_free (answer);
  fail_unless_equals_int (stat_of (h, "refused-locked-out"), 2);
  fail_unless_equals_int (stat_of (h, "refused-wrong-password"), 6);
  /* one warning per lockout, not one per refusal */
  warnings = bus_texts (h->element, GST_MESSAGE_WARNING);
  fail_unless_equals_int (warnings->len, 0);
  g_ptr_array_unref (warnings);

  /* after the second the right password gets in */
  end = locked_at + 3 * G_USEC_PER_SEC;
  g_usleep (1000 * 1000);
  while ((status = status_with (port, user, password, NULL)) == 429) {
    fail_unless (g_get_monotonic_time () < end, "still locked out after 3 s");
    g_usleep (50 * 1000);
  }
  fail_unless_equals_int (status, 200);

  /* and the count starts again: 5 more wrong ones are free */
  for (i = 0; i < 5; i++)
    fail_unless_equals_int (status_with (port, user, "guess", NULL), 401);
  fail_unless_equals_int (status_with (port, user, password, NULL), 200);
  fail_unless_equals_int (stat_of (h, "refused-locked-out"), 2);
  fail_unless_equals_int (stat_of (h, "refused-wrong-password"), 11);
  fail_unless_equals_int (stat_of (h, "refused-unauthorized"), 0);
  g_free (req);
  g_free (auth);
}

GST_START_TEST (test_lockout_auth_file)
{
  gchar *path = write_temp (ANN_LINE "\n" BEN_LINE "\n");
  GstHarness *h = start_access_sink ("auth-file", path, NULL);
  GstBuffer *frame = make_frame (1, 1000);

  push (h, frame);
  g_ptr_array_unref (bus_texts (h->element, GST_MESSAGE_WARNING));
  check_lockout (h, "ann", ANN_PW);
  gst_buffer_unref (frame);
  stop_access_sink (h);
  g_unlink (path);
  g_free (path);
}

GST_END_TEST;

GST_START_TEST (test_lockout_auth_user)
{
  GstHarness *h = start_access_sink ("auth-user", USER, "auth-password",
      PASSWORD, NULL);
  GstBuffer *frame = make_frame (1, 1000);

  push (h, frame);
  g_ptr_array_unref (bus_texts (h->element, GST_MESSAGE_WARNING));
  check_lockout (h, USER, PASSWORD);
  gst_buffer_unref (frame);
  stop_access_sink (h);
}

GST_END_TEST;

/* ---- 4. allowed-hosts ------------------------------------------------- */

GST_START_TEST (test_allowed_hosts)
{
  GstHarness *h = start_access_sink ("allowed-hosts",
      "camera.local, 127.0.0.1,[::1]", NULL);
  guint port = sink_port (h), i;
  GstBuffer *frame = make_frame (1, 1000);
  struct
  {
    const gchar *request;
    guint status;
  } tries[] = {
    {"GET /snapshot HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n\r\n", 200},
    {"GET /snapshot HTTP/1.1\r\nHost: CAMERA.local\r\n\r\n", 200},
    {"GET /snapshot HTTP/1.1\r\nHost: [::1]:%u\r\n\r\n", 200},
    {"GET http://camera.local:%u/snapshot HTTP/1.1\r\nHost: evil.example"
          "\r\n\r\n", 200},
    {"GET /snapshot HTTP/1.1\r\nHost: evil.example\r\n\r\n", 421},
    {"GET /snapshot HTTP/1.1\r\nHost: evil.example:%u\r\n\r\n", 421},
    {"GET /snapshot HTTP/1.1\r\nHost: 127.0.0.1.evil.example\r\n\r\n", 421},
    {"GET http://evil.example/snapshot HTTP/1.1\r\nHost: 127.0.0.1:%u"
          "\r\n\r\n", 421},
    {"GET /snapshot HTTP/1.0\r\n\r\n", 421},
    {"GET /stream HTTP/1.1\r\nHost: evil.example\r\n\r\n", 421},
  };
  gchar *req, *answer;

  push (h, frame);
  for (i = 0; i < G_N_ELEMENTS (tries); i++) {
    req = g_strdup_printf (tries[i].request, port);
    answer = raw_answer (port, NULL, req);
    fail_unless_equals_int (answer_status (answer), tries[i].status);
    if (tries[i].status == 421)
      fail_if_contains (answer, "image/jpeg");
    g_free (answer);
    g_free (req);
  }
  fail_unless_equals_int (stat_of (h, "refused-host-not-allowed"), 6);
  fail_unless_equals_int (sink_num_clients (h), 0);
  gst_buffer_unref (frame);
  stop_access_sink (h);
}

GST_END_TEST;

/* A host with a port in the list is a mistake, not a host: no server that
 * would refuse everyone. */
GST_START_TEST (test_allowed_hosts_bad_value)
{
  gchar *text = start_error (GST_STATE_READY, "allowed-hosts",
      "camera.local,a.example:80", NULL);

  fail_unless_contains (text, "allowed-hosts");
  fail_unless_contains (text, "a.example:80");
  g_free (text);
}

GST_END_TEST;

/* ---- 5. allow-origin -------------------------------------------------- */

GST_START_TEST (test_allow_origin)
{
  static const gchar *paths[] = { "/snapshot", "/", "/nothing-here" };
  GstHarness *h = start_access_sink ("allow-origin", "https://example.com",
      "allowed-hosts", "127.0.0.1", NULL);
  GstHarness *plain = start_access_sink (NULL, NULL);
  GstBuffer *frame = make_frame (1, 1000);
  gchar *head, *value;
  guint i;

  push (h, frame);
  push (plain, frame);
  for (i = 0; i < G_N_ELEMENTS (paths); i++) {
    head = NULL;
    status_of (sink_port (h), "GET", paths[i], NULL, &head);
    value = header_value (head, "Access-Control-Allow-Origin");
    fail_unless (value != NULL, "%s: %s", paths[i], head);
    fail_unless_equals_string (value, "https://example.com");
    g_free (value);
    g_free (head);

    head = NULL;
    status_of (sink_port (plain), "GET", paths[i], NULL, &head);
    fail_if (head_has (head, "Access-Control-Allow-Origin"), "%s", head);
    g_free (head);
  }
  /* the stream, and a revalidated page */
  head = NULL;
  fail_unless_equals_int (status_of (sink_port (h), "GET", "/stream", NULL,
          &head), 200);
  fail_unless (head_has (head, "\r\nAccess-Control-Allow-Origin: "
          "https://example.com\r\n"), "%s", head);
  g_free (head);
  head = NULL;
  status_of (sink_port (h), "GET", "/", NULL, &head);
  value = header_value (head, "ETag");
  fail_unless (value != NULL, "%s", head);
  g_free (head);
  {
    gchar *inm = g_strdup_printf ("If-None-Match: %s\r\n", value);

    head = NULL;
    fail_unless_equals_int (status_of (sink_port (h), "GET", "/", inm, &head),
        304);
    fail_unless (head_has (head, "\r\nAccess-Control-Allow-Origin: "
            "https://example.com\r\n"), "%s", head);
    g_free (head);
    g_free (inm);
  }
  g_free (value);

  /* not on what the gate refuses */
  {
    gchar *answer = raw_answer (sink_port (h), NULL,
        "GET /snapshot HTTP/1.1\r\nHost: evil.example\r\n\r\n");

    fail_unless_equals_int (answer_status (answer), 421);
    fail_if (head_has (answer, "Access-Control-Allow-Origin"), "%s", answer);
    g_free (answer);
  }

  gst_buffer_unref (frame);
  stop_access_sink (h);
  stop_access_sink (plain);
}

GST_END_TEST;

GST_START_TEST (test_allow_origin_star)
{
  GstHarness *h = start_access_sink ("allow-origin", "*", NULL);
  GstBuffer *frame = make_frame (1, 1000);
  gchar *head = NULL;

  push (h, frame);
  fail_unless_equals_int (status_of (sink_port (h), "GET", "/snapshot", NULL,
          &head), 200);
  fail_unless (head_has (head, "\r\nAccess-Control-Allow-Origin: *\r\n"),
      "%s", head);
  g_free (head);
  gst_buffer_unref (frame);
  stop_access_sink (h);
}

GST_END_TEST;

/* ---- 6. Referrer-Policy and the page's CSP ----------------------------- */

GST_START_TEST (test_referrer_policy)
{
  static const gchar *paths[] = { "/", "/stream", "/snapshot",
    "/nothing-here"
  };
  GstHarness *h = start_access_sink (NULL, NULL);
  GstBuffer *frame = make_frame (1, 1000);
  gchar *head;
  guint i;

  push (h, frame);
  for (i = 0; i < G_N_ELEMENTS (paths); i++) {
    head = NULL;
    status_of (sink_port (h), "GET", paths[i], NULL, &head);
    fail_unless (head_has (head, "\r\nReferrer-Policy: no-referrer\r\n"),
        "%s: %s", paths[i], head);
    g_free (head);
  }
  gst_buffer_unref (frame);
  stop_access_sink (h);
}

GST_END_TEST;

/* 'sha256-<base64>' of the text between the first @open tag (attributes
 * and all) and the next @close in @page; fails unless there is exactly one
 * such element, as a CSP hash allows only the one. */
static gchar *
inline_source (const gchar * page, const gchar * open, const gchar * close)
{
  const gchar *start = strstr (page, open), *end;
  GChecksum *sum;
  guint8 digest[32];
  gsize len = sizeof (digest);
  gchar *b64, *source;

  fail_unless (start != NULL, "no %s in the page", open);
  fail_unless (strstr (start + 1, open) == NULL, "more than one %s: only "
      "the first is allowed by the CSP", open);
  start = strchr (start, '>');
  fail_unless (start != NULL);
  start++;
  end = strstr (start, close);
  fail_unless (end != NULL, "no %s in the page", close);
  fail_unless (end > start, "an empty %s", open);

  sum = g_checksum_new (G_CHECKSUM_SHA256);
  g_checksum_update (sum, (const guchar *) start, end - start);
  g_checksum_get_digest (sum, digest, &len);
  g_checksum_free (sum);
  b64 = g_base64_encode (digest, len);
  source = g_strdup_printf ("'sha256-%s'", b64);
  g_free (b64);
  return source;
}

/* The viewer page may run exactly its own inline script and style. */
GST_START_TEST (test_viewer_page_csp)
{
  GstHarness *h = start_access_sink (NULL, NULL);
  TestClient *c = test_client_get (sink_port (h), "/", 0);
  gchar *page, *csp, *script, *style, *expected, *cl, *snap_head = NULL;
  gsize length;

  test_client_read_head (c);
  fail_unless_equals_int (c->status, 200);
  cl = header_value (c->head, "Content-Length");
  fail_unless (cl != NULL, "%s", c->head);
  length = g_ascii_strtoull (cl, NULL, 10);
  g_free (cl);
  page = g_malloc0 (length + 1);
  test_client_read_exact (c, length, (guint8 *) page);

  csp = header_value (c->head, "Content-Security-Policy");
  fail_unless (csp != NULL, "no CSP: %s", c->head);
  script = inline_source (page, "<script", "</script>");
  style = inline_source (page, "<style", "</style>");
  expected = g_strdup_printf ("default-src 'none'; img-src 'self'; "
      "connect-src 'self'; script-src %s; style-src %s; base-uri 'none'; "
      "form-action 'none'; frame-ancestors 'self'", script, style);
  fail_unless_equals_string (csp, expected);

  /* the page's own policy, not every answer's */
  status_of (sink_port (h), "GET", "/snapshot", NULL, &snap_head);
  fail_if (head_has (snap_head, "Content-Security-Policy"), "%s", snap_head);

  g_free (snap_head);
  g_free (expected);
  g_free (script);
  g_free (style);
  g_free (csp);
  g_free (page);
  test_client_free (c);
  stop_access_sink (h);
}

GST_END_TEST;

/* ---- TLS material ----------------------------------------------------- */

typedef struct
{
  gchar *dir;
  gchar *cert, *key;            /* a pair */
  gchar *other_cert, *other_key;        /* another pair */
  gchar *expired;               /* @cert's key, in a certificate that expired */
} Pki;

static gboolean
run_openssl (const gchar * openssl, const gchar * args)
{
  gchar *cmd = g_strdup_printf ("%s %s", openssl, args), **argv = NULL;
  gchar *err_out = NULL;
  gint status = -1;
  GError *err = NULL;
  gboolean ok;

  fail_unless (g_shell_parse_argv (cmd, NULL, &argv, NULL));
  ok = g_spawn_sync (NULL, argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL,
      NULL, NULL, &err_out, &status, &err)
      && g_spawn_check_wait_status (status, NULL);
  fail_unless (ok, "%s failed: %s", cmd, err ? err->message : err_out);
  g_strfreev (argv);
  g_free (err_out);
  g_free (cmd);
  return ok;
}

/* Certificates made for this test; FALSE (with a message) when openssl or
 * GIO's TLS backend is missing: the test then checks nothing. */
static gboolean
pki_make (Pki * pki, gboolean expired)
{
  gchar *openssl = g_find_program_in_path ("openssl"), *args;

  memset (pki, 0, sizeof (*pki));
  if (!openssl) {
    g_printerr ("SKIPPED: openssl is not installed: cannot make "
        "certificates\n");
    return FALSE;
  }
  if (!g_tls_backend_supports_tls (g_tls_backend_get_default ())) {
    g_printerr ("SKIPPED: GIO has no TLS backend (glib-networking)\n");
    g_free (openssl);
    return FALSE;
  }
  pki->dir = g_dir_make_tmp ("mjpeghttp-tls-XXXXXX", NULL);
  fail_unless (pki->dir != NULL);
  pki->cert = g_build_filename (pki->dir, "cert.pem", NULL);
  pki->key = g_build_filename (pki->dir, "key.pem", NULL);
  pki->other_cert = g_build_filename (pki->dir, "other-cert.pem", NULL);
  pki->other_key = g_build_filename (pki->dir, "other-key.pem", NULL);
  pki->expired = g_build_filename (pki->dir, "expired.pem", NULL);

  args = g_strdup_printf ("req -x509 -newkey rsa:2048 -nodes -keyout %s "
      "-out %s -days 2 -subj /CN=127.0.0.1", pki->key, pki->cert);
  run_openssl (openssl, args);
  g_free (args);
  args = g_strdup_printf ("req -x509 -newkey rsa:2048 -nodes -keyout %s "
      "-out %s -days 2 -subj /CN=other", pki->other_key, pki->other_cert);
  run_openssl (openssl, args);
  g_free (args);
  if (expired) {
    /* valid until the second it is made */
    args = g_strdup_printf ("x509 -in %s -signkey %s -days 0 -out %s",
        pki->cert, pki->key, pki->expired);
    run_openssl (openssl, args);
    g_free (args);
    g_usleep (1100 * 1000);
  }
  g_free (openssl);
  return TRUE;
}

static void
pki_clear (Pki * pki)
{
  const gchar *files[] = { pki->cert, pki->key, pki->other_cert,
    pki->other_key, pki->expired
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (files); i++) {
    if (files[i])
      g_unlink (files[i]);
  }
  if (pki->dir)
    g_rmdir (pki->dir);
  g_free (pki->cert);
  g_free (pki->key);
  g_free (pki->other_cert);
  g_free (pki->other_key);
  g_free (pki->expired);
  g_free (pki->dir);
}

/* ---- 7. TLS configuration --------------------------------------------- */

/* Every mistake in the pair stops the start with an error that names the
 * file at fault, and leaves the port free. */
GST_START_TEST (test_tls_configuration_errors)
{
  Pki pki;
  gchar *missing, *text;

  if (!pki_make (&pki, FALSE))
    return;
  missing = g_build_filename (pki.dir, "missing.pem", NULL);

  text = start_error (GST_STATE_READY, "tls-certificate", missing, "tls-key",
      pki.key, NULL);
  fail_unless_contains (text, missing);
  fail_unless_contains (text, "certificate");
  g_free (text);

  text = start_error (GST_STATE_PLAYING, "tls-certificate", pki.cert,
      "tls-key", missing, NULL);
  fail_unless_contains (text, missing);
  fail_unless_contains (text, "key");
  g_free (text);

  /* the certificate as key: no key in it */
  text = start_error (GST_STATE_READY, "tls-certificate", pki.cert,
      "tls-key", pki.cert, NULL);
  fail_unless_contains (text, "key file \"");
  fail_unless_contains (text, pki.cert);
  g_free (text);

  /* the key as certificate: no certificate in it */
  text = start_error (GST_STATE_READY, "tls-certificate", pki.key,
      "tls-key", pki.key, NULL);
  fail_unless_contains (text, "certificate file \"");
  fail_unless_contains (text, pki.key);
  g_free (text);

  /* a key of another certificate */
  text = start_error (GST_STATE_READY, "tls-certificate", pki.cert,
      "tls-key", pki.other_key, NULL);
  fail_unless_contains (text, pki.other_key);
  fail_unless_contains (text, "does not belong");
  g_free (text);

  /* half a pair */
  text = start_error (GST_STATE_READY, "tls-certificate", pki.cert, NULL);
  fail_unless_contains (text, "tls-key");
  g_free (text);
  text = start_error (GST_STATE_READY, "tls-key", pki.key, NULL);
  fail_unless_contains (text, "tls-certificate");
  g_free (text);

  g_free (missing);
  pki_clear (&pki);
}

GST_END_TEST;

/* An expired certificate works but is told on the bus, naming the file. */
GST_START_TEST (test_tls_expired_certificate_warns)
{
  GstHarness *h;
  GPtrArray *warnings;
  Pki pki;

  if (!pki_make (&pki, TRUE))
    return;
  h = start_access_sink ("tls-certificate", pki.expired, "tls-key", pki.key,
      NULL);
  fail_unless (sink_port (h) > 0);
  warnings = bus_texts (h->element, GST_MESSAGE_WARNING);
  fail_unless_equals_int (warnings->len, 1);
  fail_unless (texts_have (warnings, pki.expired), "%s",
      (gchar *) g_ptr_array_index (warnings, 0));
  fail_unless (texts_have (warnings, "expired"));
  g_ptr_array_unref (warnings);
  stop_access_sink (h);

  /* the valid one gives no warning */
  h = start_access_sink ("tls-certificate", pki.cert, "tls-key", pki.key, NULL);
  warnings = bus_texts (h->element, GST_MESSAGE_WARNING);
  fail_unless_equals_int (warnings->len, 0);
  g_ptr_array_unref (warnings);
  stop_access_sink (h);
  pki_clear (&pki);
}

GST_END_TEST;

/* Passwords over plain http are told on the bus; over https they are not. */
GST_START_TEST (test_clear_text_warning)
{
  gchar *path = write_temp (ANN_LINE "\n");
  GstHarness *h;
  GPtrArray *warnings;
  gboolean have_tls;
  Pki pki;

  /* first: looked for after the sinks ran, GIO's TLS backend shows
   * valgrind a leak in glibc's dlclose() of the modules GIO drops */
  have_tls = pki_make (&pki, FALSE);

  h = start_access_sink ("auth-user", USER, "auth-password", PASSWORD, NULL);
  warnings = bus_texts (h->element, GST_MESSAGE_WARNING);
  fail_unless_equals_int (warnings->len, 1);
  fail_unless (texts_have (warnings, "passwords cross the network in clear "
          "text"));
  g_ptr_array_unref (warnings);
  stop_access_sink (h);

  h = start_access_sink ("auth-file", path, NULL);
  warnings = bus_texts (h->element, GST_MESSAGE_WARNING);
  fail_unless (texts_have (warnings, "clear text"));
  g_ptr_array_unref (warnings);
  stop_access_sink (h);

  /* without a password nothing is said */
  h = start_access_sink (NULL, NULL);
  warnings = bus_texts (h->element, GST_MESSAGE_WARNING);
  fail_unless_equals_int (warnings->len, 0);
  g_ptr_array_unref (warnings);
  stop_access_sink (h);

  if (have_tls) {
    h = start_access_sink ("auth-user", USER, "auth-password", PASSWORD,
        "tls-certificate", pki.cert, "tls-key", pki.key, NULL);
    warnings = bus_texts (h->element, GST_MESSAGE_WARNING);
    fail_unless_equals_int (warnings->len, 0);
    g_ptr_array_unref (warnings);
    stop_access_sink (h);
    pki_clear (&pki);
  }
  g_unlink (path);
  g_free (path);
}

GST_END_TEST;

/* ---- 8. https ------------------------------------------------------------ */

static gboolean
accept_test_certificate (GTlsConnection * conn, GTlsCertificate * peer,
    GTlsCertificateFlags errors, GTlsCertificate * expected)
{
  /* self-signed: trusted when it is the very certificate the sink has */
  return g_tls_certificate_is_same (peer, expected);
}

/* A TLS client connection from @from (NULL: 127.0.0.1), handshake done. */
static GIOStream *
tls_connect (guint port, const gchar * from, GTlsCertificate * expected)
{
  TestClient *c = test_client_connect_from (port, from, 0);
  GSocketConnection *conn =
      g_socket_connection_factory_create_connection (c->socket);
  GIOStream *tls;
  GError *err = NULL;

  /* the connection has the socket now */
  g_object_unref (c->socket);
  g_byte_array_unref (c->buf);
  g_free (c);
  tls = G_IO_STREAM (g_tls_client_connection_new (G_IO_STREAM (conn), NULL,
          &err));
  fail_unless (tls != NULL, "%s", err ? err->message : "");
  g_object_unref (conn);
  /* the server ends its answers by closing, not always with a notify */
  g_tls_connection_set_require_close_notify (G_TLS_CONNECTION (tls), FALSE);
  g_signal_connect (tls, "accept-certificate",
      G_CALLBACK (accept_test_certificate), expected);
  fail_unless (g_tls_connection_handshake (G_TLS_CONNECTION (tls), NULL, &err),
      "handshake: %s", err ? err->message : "");
  return tls;
}

/* The whole answer to @req over https. */
static GByteArray *
tls_answer (guint port, const gchar * from, GTlsCertificate * expected,
    const gchar * req)
{
  GIOStream *tls = tls_connect (port, from, expected);
  GByteArray *answer = g_byte_array_new ();
  GError *err = NULL;
  guint8 buf[16384];
  gssize n;

  fail_unless (g_output_stream_write_all (g_io_stream_get_output_stream (tls),
          req, strlen (req), NULL, NULL, &err), "%s", err ? err->message : "");
  while ((n = g_input_stream_read (g_io_stream_get_input_stream (tls), buf,
              sizeof (buf), NULL, &err)) > 0)
    g_byte_array_append (answer, buf, n);
  fail_unless (n == 0, "read: %s", err ? err->message : "");
  g_io_stream_close (tls, NULL, NULL);
  g_object_unref (tls);
  return answer;
}

/* The head of @answer as a string; *@body_at: where the body starts. */
static gchar *
answer_head (GByteArray * answer, gsize * body_at)
{
  gsize i;

  for (i = 0; i + 4 <= answer->len; i++) {
    if (!memcmp (answer->data + i, "\r\n\r\n", 4)) {
      *body_at = i + 4;
      return g_strndup ((const gchar *) answer->data, i + 4);
    }
  }
  fail_unless (FALSE, "no head in %u bytes", answer->len);
  return NULL;
}

/* The snapshot over https with credentials; plain http to that port gets a
 * 400 that says to use https. */
GST_START_TEST (test_https_snapshot)
{
  GstHarness *h;
  GTlsCertificate *expected;
  GstBuffer *frame = make_frame (1, 5000);
  GByteArray *answer;
  GError *err = NULL;
  gchar *auth, *req, *head, *plain;
  gsize body_at;
  Pki pki;

  if (!pki_make (&pki, FALSE)) {
    gst_buffer_unref (frame);
    return;
  }
  expected = g_tls_certificate_new_from_file (pki.cert, &err);
  fail_unless (expected != NULL, "%s", err ? err->message : "");
  h = start_access_sink ("tls-certificate", pki.cert, "tls-key", pki.key,
      "auth-user", USER, "auth-password", PASSWORD, NULL);
  push (h, frame);

  auth = credentials (USER, PASSWORD);
  req = request ("GET", "/snapshot", auth);
  answer = tls_answer (sink_port (h), NULL, expected, req);
  head = answer_head (answer, &body_at);
  fail_unless_equals_int (answer_status (head), 200);
  fail_unless (head_has (head, "Content-Type: image/jpeg\r\n"), "%s", head);
  {
    TestPart snap = { 0, g_bytes_new (answer->data + body_at,
          answer->len - body_at), NULL
    };

    assert_part_is (&snap, frame);
    test_part_clear (&snap);
  }
  g_free (head);
  g_free (req);
  g_byte_array_unref (answer);

  /* over https too, no credentials, no snapshot */
  req = request ("GET", "/snapshot", NULL);
  answer = tls_answer (sink_port (h), NULL, expected, req);
  head = answer_head (answer, &body_at);
  fail_unless_equals_int (answer_status (head), 401);
  fail_unless_contains (head, CHALLENGE ("mjpeghttpsink"));
  g_free (head);
  g_free (req);
  g_byte_array_unref (answer);

  /* plain http, even with the right credentials */
  req = request ("GET", "/snapshot", auth);
  plain = raw_answer (sink_port (h), "127.0.0.2", req);
  fail_unless_equals_int (answer_status (plain), 400);
  fail_unless_contains (plain, "https");
  fail_if_contains (plain, "image/jpeg");
  fail_unless_equals_int (stat_of (h, "refused-not-tls"), 1);
  fail_unless_equals_int (stat_of (h, "refused-tls-failed"), 0);
  g_free (plain);
  g_free (req);
  g_free (auth);

  g_object_unref (expected);
  gst_buffer_unref (frame);
  stop_access_sink (h);
  pki_clear (&pki);
}

GST_END_TEST;

/* Appends what @in has next to @buf. */
static void
read_more (GInputStream * in, GByteArray * buf)
{
  GError *err = NULL;
  guint8 tmp[16384];
  gssize got;

  got = g_input_stream_read (in, tmp, sizeof (tmp), NULL, &err);
  fail_unless (got > 0, "read: %s", err ? err->message : "end of stream");
  g_byte_array_append (buf, tmp, got);
}

/* Reads from @in into @buf until it holds @delim at or after @from;
 * returns the offset just after it. */
static gsize
read_past (GInputStream * in, GByteArray * buf, gsize from, const gchar * delim)
{
  gsize n = strlen (delim), i;

  for (;;) {
    for (i = from; i + n <= buf->len; i++) {
      if (!memcmp (buf->data + i, delim, n))
        return i + n;
    }
    read_more (in, buf);
  }
}

/* Frames go through TLS too, not past it onto the socket. */
GST_START_TEST (test_https_stream)
{
  GstBuffer *f1 = make_frame (1, 3000), *f2 = make_frame (2, 70000);
  GstBuffer *frames[] = { f1, f2 };
  GTlsCertificate *expected;
  GByteArray *buf = g_byte_array_new ();
  GInputStream *in;
  GstHarness *h;
  GIOStream *tls;
  gchar *auth, *req, *head, *cl;
  gsize at, len;
  guint i;
  Pki pki;

  if (!pki_make (&pki, FALSE)) {
    gst_buffer_unref (f1);
    gst_buffer_unref (f2);
    g_byte_array_unref (buf);
    return;
  }
  expected = g_tls_certificate_new_from_file (pki.cert, NULL);
  h = start_access_sink ("tls-certificate", pki.cert, "tls-key", pki.key,
      "auth-user", USER, "auth-password", PASSWORD, NULL);
  push (h, f1);

  auth = credentials (USER, PASSWORD);
  req = request ("GET", "/stream", auth);
  tls = tls_connect (sink_port (h), NULL, expected);
  in = g_io_stream_get_input_stream (tls);
  fail_unless (g_output_stream_write_all (g_io_stream_get_output_stream (tls),
          req, strlen (req), NULL, NULL, NULL));
  at = read_past (in, buf, 0, "\r\n\r\n");
  head = g_strndup ((const gchar *) buf->data, at);
  fail_unless_equals_int (answer_status (head), 200);
  fail_unless (head_has (head, "Content-Type: multipart/x-mixed-replace"),
      "%s", head);
  g_free (head);
  wait_num_clients (h, 1);

  /* the newest frame at once, then a big one, each whole and in order */
  for (i = 0; i < G_N_ELEMENTS (frames); i++) {
    if (i > 0)
      push (h, frames[i]);
    at = read_past (in, buf, at, "--" B "\r\n");
    len = read_past (in, buf, at, "\r\n\r\n");
    head = g_strndup ((const gchar *) buf->data + at, len - at);
    cl = strstr (head, "Content-Length: ");
    fail_unless (cl != NULL, "%s", head);
    at = len;
    len = g_ascii_strtoull (cl + 16, NULL, 10);
    g_free (head);
    while (buf->len < at + len)
      read_more (in, buf);
    {
      TestPart part = { 0, g_bytes_new (buf->data + at, len), NULL };

      assert_part_is (&part, frames[i]);
      test_part_clear (&part);
    }
    at += len;
  }

  g_io_stream_close (tls, NULL, NULL);
  g_object_unref (tls);
  wait_num_clients (h, 0);
  g_free (req);
  g_free (auth);
  g_byte_array_unref (buf);
  g_object_unref (expected);
  gst_buffer_unref (f1);
  gst_buffer_unref (f2);
  stop_access_sink (h);
  pki_clear (&pki);
}

GST_END_TEST;

/* ---- 9. stalled handshakes -------------------------------------------- */

static gpointer
hello_thread (gpointer tls)
{
  g_tls_connection_handshake (G_TLS_CONNECTION (tls), NULL, NULL);
  return NULL;
}

static void
read_exactly (GSocket * s, guint8 * buf, gsize n)
{
  GError *err = NULL;
  gsize got = 0;
  gssize r;

  while (got < n) {
    r = g_socket_receive (s, (gchar *) buf + got, n - got, NULL, &err);
    fail_unless (r > 0, "receive: %s", err ? err->message : "end of file");
    got += r;
  }
}

/* The first record a GIO client sends: a real ClientHello, written into a
 * socket pair whose other end then hangs up. */
static GBytes *
capture_client_hello (void)
{
  GSocket *ours, *theirs;
  GSocketConnection *conn;
  GIOStream *tls;
  GThread *thread;
  GError *err = NULL;
  guint8 *record;
  gsize len;
  gint fds[2];

  fail_unless (socketpair (AF_UNIX, SOCK_STREAM, 0, fds) == 0);
  ours = g_socket_new_from_fd (fds[0], &err);
  theirs = g_socket_new_from_fd (fds[1], &err);
  fail_unless (ours && theirs);
  g_socket_set_timeout (ours, CLIENT_TIMEOUT_S);
  g_socket_set_timeout (theirs, CLIENT_TIMEOUT_S);
  conn = g_socket_connection_factory_create_connection (theirs);
  tls = G_IO_STREAM (g_tls_client_connection_new (G_IO_STREAM (conn), NULL,
          &err));
  fail_unless (tls != NULL, "%s", err ? err->message : "");
  thread = g_thread_new ("hello", hello_thread, tls);

  record = g_malloc (5);
  read_exactly (ours, record, 5);
  fail_unless_equals_int (record[0], 0x16);
  len = 5 + (record[3] << 8 | record[4]);
  record = g_realloc (record, len);
  read_exactly (ours, record + 5, len - 5);
  /* the handshake fails at once */
  g_socket_close (ours, NULL);
  g_thread_join (thread);

  g_object_unref (tls);
  g_object_unref (conn);
  g_object_unref (theirs);
  g_object_unref (ours);
  return g_bytes_new_take (record, len);
}

#define N_STALLERS 4

/* Whether the server still holds @c open: nothing more to read, no end. */
static gboolean
still_open (TestClient * c)
{
  GError *err = NULL;
  gchar buf[4096];
  gboolean open;
  gssize n;

  g_socket_set_blocking (c->socket, FALSE);
  while ((n = g_socket_receive (c->socket, buf, sizeof (buf), NULL, &err)) > 0);
  open = n < 0 && g_error_matches (err, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
  g_clear_error (&err);
  g_socket_set_blocking (c->socket, TRUE);
  return open;
}

/* @n connections, @per_address from each of 127.0.0.2, .3 ..., that sent
 * a ClientHello, got the server's answer to it, and go no further. */
static void
stall_n (guint port, GBytes * hello, TestClient ** stallers, guint n,
    guint per_address)
{
  gsize len;
  const gchar *data = g_bytes_get_data (hello, &len);
  GError *err = NULL;
  guint i;

  for (i = 0; i < n; i++) {
    gchar *from = g_strdup_printf ("127.0.0.%u", i / per_address + 2);

    stallers[i] = test_client_connect_from (port, from, 0);
    fail_unless_equals_int (g_socket_send (stallers[i]->socket, data, len,
            NULL, &err), len);
    g_free (from);
  }
  /* the server's first flight: its handshake runs and waits for ours */
  for (i = 0; i < n; i++) {
    fail_unless (test_client_fill (stallers[i]), "staller %u closed", i);
    fail_unless_equals_int (stallers[i]->buf->data[0], 0x16);
  }
}

static void
stall (guint port, GBytes * hello, TestClient ** stallers)
{
  stall_n (port, hello, stallers, N_STALLERS, 1);
}

/* Valgrind runs the server ten times slower or more. */
static gint64
slow_factor (void)
{
  const gchar *preload = g_getenv ("LD_PRELOAD");

  return preload && strstr (preload, "vgpreload") ? 10 : 1;
}

/* Handshakes that stall hold no one else up: a viewer from another
 * address gets its snapshot at once. */
GST_START_TEST (test_stalled_handshakes_block_no_one)
{
  TestClient *stallers[N_STALLERS];
  GTlsCertificate *expected;
  GstBuffer *frame = make_frame (1, 1000);
  GstHarness *h;
  GByteArray *answer;
  GBytes *hello;
  gchar *req, *head;
  gsize body_at;
  gint64 start, took;
  guint i;
  Pki pki;

  if (!pki_make (&pki, FALSE)) {
    gst_buffer_unref (frame);
    return;
  }
  expected = g_tls_certificate_new_from_file (pki.cert, NULL);
  h = start_access_sink ("tls-certificate", pki.cert, "tls-key", pki.key,
      "header-timeout", 30, NULL);
  push (h, frame);
  hello = capture_client_hello ();
  stall (sink_port (h), hello, stallers);

  start = g_get_monotonic_time ();
  req = request ("GET", "/snapshot", NULL);
  answer = tls_answer (sink_port (h), NULL, expected, req);
  took = g_get_monotonic_time () - start;
  head = answer_head (answer, &body_at);
  fail_unless_equals_int (answer_status (head), 200);
  fail_unless (took < 2 * G_USEC_PER_SEC * slow_factor (), "the snapshot "
      "took %" G_GINT64_FORMAT " ms", took / 1000);
  g_free (head);
  g_free (req);
  g_byte_array_unref (answer);

  /* they are still held, not dropped to make room */
  for (i = 0; i < N_STALLERS; i++)
    fail_unless (still_open (stallers[i]), "staller %u was closed", i);
  fail_unless_equals_int (stat_of (h, "refused-tls-failed"), 0);

  /* stopping does not wait for them */
  start = g_get_monotonic_time ();
  stop_access_sink (h);
  took = g_get_monotonic_time () - start;
  fail_unless (took < 2 * G_USEC_PER_SEC * slow_factor (), "stopping took %"
      G_GINT64_FORMAT " ms", took / 1000);
  for (i = 0; i < N_STALLERS; i++)
    test_client_free (stallers[i]);
  g_bytes_unref (hello);
  g_object_unref (expected);
  gst_buffer_unref (frame);
  pki_clear (&pki);
}

GST_END_TEST;

/* Stallers from a few addresses that hold every handshake slot (6, two
 * from each of three addresses) give one up to a viewer from another
 * address once it has stalled for the grace of 2 s: https is slowed down
 * for newcomers, not shut. */
GST_START_TEST (test_stalled_handshakes_give_way)
{
  TestClient *stallers[6];
  GTlsCertificate *expected;
  GstBuffer *frame = make_frame (1, 1000);
  GstHarness *h;
  GByteArray *answer;
  GBytes *hello;
  gchar *req, *head;
  gsize body_at;
  gint64 start, took;
  guint i, open = 0;
  Pki pki;

  if (!pki_make (&pki, FALSE)) {
    gst_buffer_unref (frame);
    return;
  }
  expected = g_tls_certificate_new_from_file (pki.cert, NULL);
  h = start_access_sink ("tls-certificate", pki.cert, "tls-key", pki.key,
      "header-timeout", 30, NULL);
  push (h, frame);
  hello = capture_client_hello ();
  stall_n (sink_port (h), hello, stallers, G_N_ELEMENTS (stallers), 2);

  start = g_get_monotonic_time ();
  req = request ("GET", "/snapshot", NULL);
  answer = tls_answer (sink_port (h), NULL, expected, req);
  took = g_get_monotonic_time () - start;
  head = answer_head (answer, &body_at);
  fail_unless_equals_int (answer_status (head), 200);
  fail_unless (took < 4 * G_USEC_PER_SEC * slow_factor (), "the snapshot "
      "took %" G_GINT64_FORMAT " ms", took / 1000);

  /* exactly one gave way: the oldest */
  for (i = 0; i < G_N_ELEMENTS (stallers); i++)
    open += still_open (stallers[i]);
  fail_unless_equals_int (open, G_N_ELEMENTS (stallers) - 1);
  fail_if (still_open (stallers[0]));
  fail_unless_equals_int (stat_of (h, "refused-evicted"), 1);

  g_free (head);
  g_free (req);
  g_byte_array_unref (answer);
  stop_access_sink (h);
  for (i = 0; i < G_N_ELEMENTS (stallers); i++)
    test_client_free (stallers[i]);
  g_bytes_unref (hello);
  g_object_unref (expected);
  gst_buffer_unref (frame);
  pki_clear (&pki);
}

GST_END_TEST;

/* A stalled handshake is bounded by header-timeout like any head. */
GST_START_TEST (test_stalled_handshakes_time_out)
{
  TestClient *stallers[N_STALLERS];
  GstHarness *h;
  GBytes *hello;
  gint64 start, took;
  guint i;
  Pki pki;

  if (!pki_make (&pki, FALSE))
    return;
  h = start_access_sink ("tls-certificate", pki.cert, "tls-key", pki.key,
      "header-timeout", 1, NULL);
  hello = capture_client_hello ();
  start = g_get_monotonic_time ();
  stall (sink_port (h), hello, stallers);
  for (i = 0; i < N_STALLERS; i++) {
    while (test_client_fill (stallers[i]));
    took = g_get_monotonic_time () - start;
    fail_unless (took < 2 * G_USEC_PER_SEC * slow_factor (), "staller %u "
        "closed after %" G_GINT64_FORMAT " ms", i, took / 1000);
  }
  fail_unless (took >= 900 * 1000, "closed after %" G_GINT64_FORMAT " ms",
      took / 1000);
  fail_unless_equals_int (stat_of (h, "refused-tls-failed") + stat_of (h,
          "refused-header-timeout"), N_STALLERS);

  for (i = 0; i < N_STALLERS; i++)
    test_client_free (stallers[i]);
  g_bytes_unref (hello);
  stop_access_sink (h);
  pki_clear (&pki);
}

GST_END_TEST;

/* ---- no secret in the debug log ---------------------------------------- */

G_LOCK_DEFINE_STATIC (collected);

/* Says where, not the whole log. */
#define fail_if_in_log(log, secret) G_STMT_START { \
  const gchar *at = strstr ((log), (secret)); \
  fail_unless (at == NULL, "the debug log shows \"%s\": ...%.80s...", \
      (secret), at ? MAX (at - 40, (log)) : ""); \
} G_STMT_END

static void
collect_log (GstDebugCategory * category, GstDebugLevel level,
    const gchar * file, const gchar * function, gint line, GObject * object,
    GstDebugMessage * message, gpointer user_data)
{
  GString *log = user_data;
  const gchar *text = gst_debug_message_get (message);

  G_LOCK (collected);
  g_string_append_printf (log, "%s %s\n", gst_debug_category_get_name
      (category), text ? text : "");
  G_UNLOCK (collected);
}

/* Every category at the most verbose level, while passwords right and
 * wrong, from the property and from a file, are sent: neither a password,
 * nor its base64, nor a hash shows up in the log. */
GST_START_TEST (test_no_secret_in_debug_log)
{
  GString *log = g_string_new (NULL);
  GstDebugLevel old = gst_debug_get_default_threshold ();
  gchar *file = write_temp (BEN_LINE "\n");
  gchar *pair_b64 = g_base64_encode ((const guchar *) USER ":" PASSWORD,
      strlen (USER ":" PASSWORD));
  gchar *ben_b64 = g_base64_encode ((const guchar *) "ben:" BEN_PW,
      strlen ("ben:" BEN_PW));
  GstBuffer *frame = make_frame (1, 100);
  GstHarness *h;

  gst_debug_add_log_function (collect_log, log, NULL);
  gst_debug_set_default_threshold (GST_LEVEL_MEMDUMP);

  h = start_access_sink ("auth-user", USER, "auth-password", PASSWORD, NULL);
  push (h, frame);
  fail_unless_equals_int (status_with (sink_port (h), USER, PASSWORD, NULL),
      200);
  fail_unless_equals_int (status_with (sink_port (h), USER, "guess-one",
          NULL), 401);
  stop_access_sink (h);

  h = start_access_sink ("auth-file", file, NULL);
  push (h, frame);
  fail_unless_equals_int (status_with (sink_port (h), "ben", BEN_PW, NULL),
      200);
  fail_unless_equals_int (status_with (sink_port (h), "ben", "guess-two",
          NULL), 401);
  stop_access_sink (h);

  gst_debug_set_default_threshold (old);
  gst_debug_remove_log_function (collect_log);

  /* the log is there, and speaks of the requests */
  fail_unless (log->len > 1000);
  fail_unless_contains (log->str, "wrong user name or password from");
  G_LOCK (collected);
  fail_if_in_log (log->str, PASSWORD);
  fail_if_in_log (log->str, pair_b64);
  fail_if_in_log (log->str, BEN_PW);
  fail_if_in_log (log->str, ben_b64);
  fail_if_in_log (log->str, "guess-");
  fail_if_in_log (log->str, strchr (BEN_LINE, '$'));
  G_UNLOCK (collected);

  g_string_free (log, TRUE);
  unlink (file);
  g_free (file);
  g_free (pair_b64);
  g_free (ben_b64);
  gst_buffer_unref (frame);
}

GST_END_TEST;

static Suite *
mjpeghttpsink_access_suite (void)
{
  Suite *s = suite_create ("mjpeghttpsink-access");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_no_credentials_challenged);
  tcase_add_test (tc, test_default_realm);
  tcase_add_test (tc, test_right_credentials_served);
  tcase_add_test (tc, test_wrong_credentials_refused);
  tcase_add_test (tc, test_auth_file_users);
  tcase_add_test (tc, test_auth_file_errors);
  tcase_add_test (tc, test_lockout_auth_file);
  tcase_add_test (tc, test_lockout_auth_user);
  tcase_add_test (tc, test_allowed_hosts);
  tcase_add_test (tc, test_allowed_hosts_bad_value);
  tcase_add_test (tc, test_allow_origin);
  tcase_add_test (tc, test_allow_origin_star);
  tcase_add_test (tc, test_referrer_policy);
  tcase_add_test (tc, test_viewer_page_csp);
  tcase_add_test (tc, test_tls_configuration_errors);
  tcase_add_test (tc, test_tls_expired_certificate_warns);
  tcase_add_test (tc, test_clear_text_warning);
  tcase_add_test (tc, test_https_snapshot);
  tcase_add_test (tc, test_https_stream);
  tcase_add_test (tc, test_stalled_handshakes_block_no_one);
  tcase_add_test (tc, test_stalled_handshakes_time_out);
  tcase_add_test (tc, test_stalled_handshakes_give_way);
  tcase_add_test (tc, test_no_secret_in_debug_log);
  return s;
}

GST_CHECK_MAIN (mjpeghttpsink_access);
