/* mjpeghttp
 * Copyright (C) 2026 mjpeghttp developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

/* HTTP Basic credentials judged against a password and against auth files,
 * without a server: what the header may look like, the hash schemes, the
 * cache of grants and the errors a bad file gives. */

#include <gst/check/gstcheck.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <crypt.h>
#include <errno.h>
#include <string.h>

#include "gstmjpeghttpauth.h"

#define GRANTED GST_MJPEG_HTTP_AUTH_GRANTED
#define MISSING GST_MJPEG_HTTP_AUTH_MISSING
#define DENIED GST_MJPEG_HTTP_AUTH_DENIED
#define NEEDS_HASH GST_MJPEG_HTTP_AUTH_NEEDS_HASH

/* Made once with the tools the errors recommend:
 *   htpasswd -nbB alice 'open sesame'
 *   mkpasswd -m sha-512 's3:cret'            (bob)
 *   mkpasswd -m bcrypt -R 5 'carol pw'       (carol, $2b$)
 *   mkpasswd -m sha-512 -R 10000 x           (dave, explicit rounds) */
#define ALICE "alice:$2y$05$HRfqPp2pJ7lwCyUa4fxczOkypiIWsK1/5LLbGoKC42eiO/" \
  "7.h59SK"
#define BOB "bob:$6$c6BQ35YzT82Cs1RP$TVyu3b3mmOqgI97qylbNuSFqdot3snkag0UfK9T" \
  "BtHzpCBc42D20EuUIDFBGc1IxESuxFtJjHdZeC6mwMU3lc."
#define CAROL "carol:$2b$05$SnkpYwwV24XSA1/iNobJLOvztltNer.U505ZL4wgy9dIBk0" \
  "7297GS"
#define DAVE "dave:$6$rounds=10000$bY3l6seoCKcqX7rr$kNXxJNc68iRQiJwDDk/UlyIH4" \
  "l/xHk93saZWUZg6LGvtTJrMzFMcI5Qrli2Jt6Y0mjnEm01d1VMyC59SO2NVc0"

#define fail_unless_contains(haystack, needle) \
  fail_unless (strstr ((haystack), (needle)) != NULL, \
      "\"%s\" does not contain \"%s\"", (haystack), (needle))
#define fail_if_contains(haystack, needle) \
  fail_unless (strstr ((haystack), (needle)) == NULL, \
      "\"%s\" contains \"%s\"", (haystack), (needle))

/* "Basic " and the base64 of @len bytes of @credentials. */
static gchar *
basic_len (const gchar * credentials, gsize len)
{
  gchar *b64 = g_base64_encode ((const guchar *) credentials, len);
  gchar *header = g_strconcat ("Basic ", b64, NULL);

  g_free (b64);
  return header;
}

static gchar *
basic (const gchar * credentials)
{
  return basic_len (credentials, strlen (credentials));
}

static GstMjpegHttpAuthResult
check (GstMjpegHttpAuth * auth, const gchar * credentials)
{
  gchar *header = basic (credentials);
  GstMjpegHttpAuthResult result = gst_mjpeg_http_auth_check (auth, header);

  g_free (header);
  return result;
}

static GstMjpegHttpAuthResult
verify (GstMjpegHttpAuth * auth, const gchar * credentials)
{
  gchar *header = basic (credentials);
  GstMjpegHttpAuthResult result = gst_mjpeg_http_auth_verify (auth, header);

  g_free (header);
  return result;
}

/* The file @contents (@len bytes, -1: up to a NUL) in a directory of its
 * own; remove_file() it. */
static gchar *
write_file_len (const gchar * contents, gssize len)
{
  gchar *dir = g_dir_make_tmp ("mjpeghttpauth-XXXXXX", NULL);
  gchar *path;

  fail_unless (dir != NULL);
  path = g_build_filename (dir, "htpasswd", NULL);
  fail_unless (g_file_set_contents (path, contents, len, NULL));
  g_free (dir);
  return path;
}

static gchar *
write_file (const gchar * contents)
{
  return write_file_len (contents, -1);
}

static void
remove_file (gchar * path)
{
  gchar *dir = g_path_get_dirname (path);

  g_remove (path);
  g_rmdir (dir);
  g_free (dir);
  g_free (path);
}

static GstMjpegHttpAuth *
auth_from (const gchar * contents)
{
  gchar *path = write_file (contents);
  GError *error = NULL;
  GstMjpegHttpAuth *auth = gst_mjpeg_http_auth_new_file (path, &error);

  fail_unless (auth != NULL, "%s", error ? error->message : "no error");
  remove_file (path);
  return auth;
}

/* The error @len bytes of @contents give; *@path is the file's name,
 * g_free() it. */
static GError *
file_error_len (const gchar * contents, gssize len, gchar ** path)
{
  gchar *file = write_file_len (contents, len);
  GError *error = NULL;

  fail_unless (gst_mjpeg_http_auth_new_file (file, &error) == NULL);
  fail_unless (error != NULL);
  *path = g_strdup (file);
  remove_file (file);
  return error;
}

static GError *
file_error (const gchar * contents, gchar ** path)
{
  return file_error_len (contents, -1, path);
}

GST_START_TEST (test_password_pair)
{
  GstMjpegHttpAuth *auth = gst_mjpeg_http_auth_new_password ("user", "secret");

  fail_unless_equals_int (check (auth, "user:secret"), GRANTED);
  fail_unless_equals_int (verify (auth, "user:secret"), GRANTED);
  fail_unless_equals_int (check (auth, "user:secreT"), DENIED);
  fail_unless_equals_int (verify (auth, "user:secreT"), DENIED);
  fail_unless_equals_int (check (auth, "usex:secret"), DENIED);
  fail_unless_equals_int (check (auth, "use:secret"), DENIED);
  fail_unless_equals_int (check (auth, "users:secret"), DENIED);
  fail_unless_equals_int (check (auth, "User:secret"), DENIED);
  fail_unless_equals_int (check (auth, "user:"), DENIED);
  fail_unless_equals_int (check (auth, "user:secre"), DENIED);
  fail_unless_equals_int (check (auth, "user:secret1"), DENIED);
  fail_unless_equals_int (check (auth, "user:secret:"), DENIED);
  fail_unless_equals_int (check (auth, "user:secretsecret"), DENIED);
  /* the user and the password must not meet across the colon */
  fail_unless_equals_int (check (auth, "usersecret:"), DENIED);

  /* the scheme's name in any case, one or more spaces */
  fail_unless_equals_int (gst_mjpeg_http_auth_check (auth,
          "basic dXNlcjpzZWNyZXQ="), GRANTED);
  fail_unless_equals_int (gst_mjpeg_http_auth_check (auth,
          "BASIC   dXNlcjpzZWNyZXQ="), GRANTED);
  gst_mjpeg_http_auth_free (auth);

  /* split at the first colon: the password may hold more */
  auth = gst_mjpeg_http_auth_new_password ("user", "a:b:c");
  fail_unless_equals_int (check (auth, "user:a:b:c"), GRANTED);
  fail_unless_equals_int (verify (auth, "user:a:b:c"), GRANTED);
  fail_unless_equals_int (check (auth, "user:a:b"), DENIED);
  fail_unless_equals_int (check (auth, "user:a"), DENIED);
  gst_mjpeg_http_auth_free (auth);

  auth = gst_mjpeg_http_auth_new_password ("user", "");
  fail_unless_equals_int (check (auth, "user:"), GRANTED);
  fail_unless_equals_int (check (auth, "user: "), DENIED);
  gst_mjpeg_http_auth_free (auth);
}

GST_END_TEST;

/* What is not Basic is MISSING (answered with a challenge); what is Basic
 * but malformed is DENIED, by _check() already. */
static void
check_malformed (GstMjpegHttpAuth * auth)
{
  static const gchar *missing[] = { "", "Bearer dXNlcjpzZWNyZXQ=",
    "Digest username=\"user\"", "BasicdXNlcjpzZWNyZXQ=", "Basi",
    "Basic\tdXNlcjpzZWNyZXQ=", "NotBasic x"
  };
  static const gchar *denied[] = { "Basic", "Basic ", "Basic    ",
    "Basic !!!!", "Basic dXNlcjpz*ZWNyZXQ=", "Basic dXNlcjpzZWNyZXQ",
    "Basic dXNlcjpzZWNyZXQ=x", "Basic dXNlcjpzZWNyZXQ= ",
    "Basic dXNlcjpz ZWNyZXQ=", "Basic ====", "Basic dXNl===",
    "Basic dXNlcjpzZWNyZXQ=dXNl",
    "Basic dXNlcjpzZWNyZXQ=\r\n"
  };
  gchar *header;
  guint i;

  fail_unless_equals_int (gst_mjpeg_http_auth_check (auth, NULL), MISSING);
  fail_unless_equals_int (gst_mjpeg_http_auth_verify (auth, NULL), MISSING);
  for (i = 0; i < G_N_ELEMENTS (missing); i++) {
    fail_unless_equals_int (gst_mjpeg_http_auth_check (auth, missing[i]),
        MISSING);
    fail_unless_equals_int (gst_mjpeg_http_auth_verify (auth, missing[i]),
        MISSING);
  }
  for (i = 0; i < G_N_ELEMENTS (denied); i++) {
    fail_unless_equals_int (gst_mjpeg_http_auth_check (auth, denied[i]),
        DENIED);
    fail_unless_equals_int (gst_mjpeg_http_auth_verify (auth, denied[i]),
        DENIED);
  }

  /* no colon, an empty user, a NUL anywhere */
  fail_unless_equals_int (check (auth, "usersecret"), DENIED);
  fail_unless_equals_int (check (auth, ":secret"), DENIED);
  fail_unless_equals_int (check (auth, ":"), DENIED);
  header = basic_len ("user:sec\0ret", 12);
  fail_unless_equals_int (gst_mjpeg_http_auth_check (auth, header), DENIED);
  fail_unless_equals_int (gst_mjpeg_http_auth_verify (auth, header), DENIED);
  g_free (header);
  header = basic_len ("user:secret\0", 12);
  fail_unless_equals_int (gst_mjpeg_http_auth_check (auth, header), DENIED);
  g_free (header);
  header = basic_len ("us\0er:secret", 12);
  fail_unless_equals_int (gst_mjpeg_http_auth_check (auth, header), DENIED);
  g_free (header);
}

/* libsoup sends a password that fits in Latin-1 in Latin-1; files and
 * other clients hold UTF-8: both must let the same person in. */
GST_START_TEST (test_latin1_credentials)
{
  GstMjpegHttpAuth *auth = gst_mjpeg_http_auth_new_password ("b\xc3\xb6" "b",
      "w\xc3\xb6rd");

  fail_unless_equals_int (check (auth, "b\xc3\xb6" "b:w\xc3\xb6rd"), GRANTED);
  fail_unless_equals_int (check (auth, "b\xf6" "b:w\xf6rd"), GRANTED);
  fail_unless_equals_int (check (auth, "b\xf6" "b:w\xf6rx"), DENIED);
  fail_unless_equals_int (check (auth, "b\xf6" "b:w\xc3\xb6rdx"), DENIED);
  gst_mjpeg_http_auth_free (auth);
}

GST_END_TEST;

/* 86 characters: what follows a SHA-512-crypt salt (made up here, as these
 * hashes are only parsed, never checked) */
#define SHA512_TAIL "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" \
  "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"

/* A hash that takes too long to check is refused when the file is read:
 * checks run one at a time and cannot be cut short. */
GST_START_TEST (test_slow_hashes_refused)
{
  GError *error;
  gchar *path;

  /* bcrypt cost 13 (htpasswd -nbB -C 13 slow x) */
  error = file_error ("slow:$2y$13$BIf4cCvYpFd0dkkJWJ7.7ua3f1jNQ0Ea6KvWIX"
      "HCZDyuqmlyHyw6W\n", &path);
  fail_unless (strstr (error->message, "line 1"), "%s", error->message);
  fail_unless (strstr (error->message, "too slow"), "%s", error->message);
  fail_unless (strstr (error->message, "-C 12"), "%s", error->message);
  g_error_free (error);
  g_free (path);

  error = file_error ("slow:$6$rounds=999999$abcdefgh$" SHA512_TAIL "\n",
      &path);
  fail_unless (strstr (error->message, "too slow"), "%s", error->message);
  g_error_free (error);
  g_free (path);

  /* cost 12 and 500000 rounds are still taken */
  gst_mjpeg_http_auth_free (auth_from ("a:$2y$12$BIf4cCvYpFd0dkkJWJ7.7ua3f1"
          "jNQ0Ea6KvWIXHCZDyuqmlyHyw6W\nb:$6$rounds=500000$abcdefgh$"
          SHA512_TAIL "\n"));
}

GST_END_TEST;

GST_START_TEST (test_malformed_headers)
{
  GstMjpegHttpAuth *auth = gst_mjpeg_http_auth_new_password ("user", "secret");

  check_malformed (auth);
  gst_mjpeg_http_auth_free (auth);

  auth = auth_from (ALICE "\n" BOB "\n");
  check_malformed (auth);
  gst_mjpeg_http_auth_free (auth);
}

GST_END_TEST;

/* A header over 1024 bytes is refused undecoded, even with the right
 * password; one just under is decoded and granted. */
GST_START_TEST (test_oversize_header)
{
  gchar *long_password = g_strnfill (1000, 'p');
  gchar *fitting_password = g_strnfill (700, 'p');
  gchar *credentials, *header;
  GstMjpegHttpAuth *auth;

  auth = gst_mjpeg_http_auth_new_password ("user", long_password);
  credentials = g_strconcat ("user:", long_password, NULL);
  header = basic (credentials);
  fail_unless (strlen (header) > 1024);
  fail_unless_equals_int (gst_mjpeg_http_auth_check (auth, header), DENIED);
  fail_unless_equals_int (gst_mjpeg_http_auth_verify (auth, header), DENIED);
  g_free (header);
  g_free (credentials);
  gst_mjpeg_http_auth_free (auth);

  auth = gst_mjpeg_http_auth_new_password ("user", fitting_password);
  credentials = g_strconcat ("user:", fitting_password, NULL);
  header = basic (credentials);
  fail_unless (strlen (header) <= 1024);
  fail_unless_equals_int (gst_mjpeg_http_auth_check (auth, header), GRANTED);
  g_free (header);
  g_free (credentials);
  gst_mjpeg_http_auth_free (auth);

  /* megabytes of it, as a hostile client would send */
  auth = gst_mjpeg_http_auth_new_password ("user", "secret");
  credentials = g_strnfill (4 * 1024 * 1024, 'A');
  header = g_strconcat ("Basic ", credentials, NULL);
  fail_unless_equals_int (gst_mjpeg_http_auth_check (auth, header), DENIED);
  g_free (header);
  g_free (credentials);
  gst_mjpeg_http_auth_free (auth);

  g_free (long_password);
  g_free (fitting_password);
}

GST_END_TEST;

GST_START_TEST (test_file_schemes)
{
  GstMjpegHttpAuth *auth = auth_from ("# who may watch the camera\r\n"
      "\r\n" "   \n" ALICE "   \r\n" BOB "\n" "  # bob's old hash: none\n"
      CAROL "\t\n" DAVE);

  /* bcrypt $2y$, as htpasswd -B makes it */
  fail_unless_equals_int (check (auth, "alice:open sesame"), NEEDS_HASH);
  fail_unless_equals_int (verify (auth, "alice:open sesame"), GRANTED);
  fail_unless_equals_int (verify (auth, "alice:open sesamE"), DENIED);
  fail_unless_equals_int (verify (auth, "alice:open sesame "), DENIED);
  fail_unless_equals_int (verify (auth, "alice:open"), DENIED);
  fail_unless_equals_int (verify (auth, "alice:"), DENIED);

  /* SHA-512-crypt, a password with a colon */
  fail_unless_equals_int (check (auth, "bob:s3:cret"), NEEDS_HASH);
  fail_unless_equals_int (verify (auth, "bob:s3:cret"), GRANTED);
  fail_unless_equals_int (verify (auth, "bob:s3"), DENIED);
  fail_unless_equals_int (verify (auth, "bob:open sesame"), DENIED);

  /* bcrypt $2b$ and SHA-512-crypt with its rounds */
  fail_unless_equals_int (verify (auth, "carol:carol pw"), GRANTED);
  fail_unless_equals_int (verify (auth, "carol:carol pW"), DENIED);
  fail_unless_equals_int (verify (auth, "dave:x"), GRANTED);
  fail_unless_equals_int (verify (auth, "dave:y"), DENIED);

  /* a user who is not in the file: a hash all the same, then DENIED; one
   * user's password is not another's, and names are case-sensitive */
  fail_unless_equals_int (check (auth, "eve:open sesame"), NEEDS_HASH);
  fail_unless_equals_int (verify (auth, "eve:open sesame"), DENIED);
  fail_unless_equals_int (verify (auth, "Alice:open sesame"), DENIED);
  fail_unless_equals_int (verify (auth, "carol:open sesame"), DENIED);
  /* a comment is not a user */
  fail_unless_equals_int (verify (auth, "# who may watch the camera:x"),
      DENIED);
  gst_mjpeg_http_auth_free (auth);
}

GST_END_TEST;

GST_START_TEST (test_cache)
{
  GstMjpegHttpAuth *auth = auth_from (ALICE "\n" BOB "\n");

  fail_unless_equals_int (check (auth, "alice:open sesame"), NEEDS_HASH);
  fail_unless_equals_int (check (auth, "alice:open sesame"), NEEDS_HASH);
  fail_unless_equals_int (verify (auth, "alice:open sesame"), GRANTED);
  fail_unless_equals_int (check (auth, "alice:open sesame"), GRANTED);
  fail_unless_equals_int (verify (auth, "alice:open sesame"), GRANTED);

  /* a grant is for these credentials, not for the user */
  fail_unless_equals_int (check (auth, "alice:open sesamE"), NEEDS_HASH);
  fail_unless_equals_int (verify (auth, "alice:open sesamE"), DENIED);
  fail_unless_equals_int (check (auth, "alice:open sesamE"), NEEDS_HASH);
  fail_unless_equals_int (check (auth, "bob:open sesame"), NEEDS_HASH);
  fail_unless_equals_int (check (auth, "bob:s3:cret"), NEEDS_HASH);
  fail_unless_equals_int (verify (auth, "bob:s3:cret"), GRANTED);
  fail_unless_equals_int (check (auth, "bob:s3:cret"), GRANTED);
  fail_unless_equals_int (check (auth, "alice:open sesame"), GRANTED);
  /* malformed stays DENIED, not a hash */
  fail_unless_equals_int (check (auth, "alice"), DENIED);
  gst_mjpeg_http_auth_free (auth);

  /* another instance knows nothing of this one's grants */
  auth = auth_from (ALICE "\n");
  fail_unless_equals_int (check (auth, "alice:open sesame"), NEEDS_HASH);
  gst_mjpeg_http_auth_free (auth);
}

GST_END_TEST;

/* 64 grants are kept; the 65th pushes out the oldest. */
GST_START_TEST (test_cache_is_bounded)
{
  GString *file = g_string_new ("");
  struct crypt_data *data = g_new0 (struct crypt_data, 1);
  gchar setting[CRYPT_GENSALT_OUTPUT_SIZE], name[32];
  GstMjpegHttpAuth *auth;
  guint i;

  /* the cheapest SHA-512-crypt, so that 65 users take no time */
  for (i = 0; i <= 64; i++) {
    fail_unless (crypt_gensalt_rn ("$6$", 1000, NULL, 0, setting,
            sizeof (setting)) != NULL);
    fail_unless (crypt_rn ("pw", setting, data, sizeof (*data)) != NULL);
    g_string_append_printf (file, "u%u:%s\n", i, data->output);
  }
  auth = auth_from (file->str);

  for (i = 0; i < 64; i++) {
    g_snprintf (name, sizeof (name), "u%u:pw", i);
    fail_unless_equals_int (verify (auth, name), GRANTED);
  }
  for (i = 0; i < 64; i++) {
    g_snprintf (name, sizeof (name), "u%u:pw", i);
    fail_unless_equals_int (check (auth, name), GRANTED);
  }
  fail_unless_equals_int (verify (auth, "u64:pw"), GRANTED);
  fail_unless_equals_int (check (auth, "u0:pw"), NEEDS_HASH);
  for (i = 1; i <= 64; i++) {
    g_snprintf (name, sizeof (name), "u%u:pw", i);
    fail_unless_equals_int (check (auth, name), GRANTED);
  }
  gst_mjpeg_http_auth_free (auth);
  g_string_free (file, TRUE);
  g_free (data);
}

GST_END_TEST;

static gint64
fastest_verify (GstMjpegHttpAuth * auth, const gchar * credentials)
{
  gint64 best = G_MAXINT64;
  guint i;

  for (i = 0; i < 5; i++) {
    gint64 start = g_get_monotonic_time ();

    fail_unless_equals_int (verify (auth, credentials), DENIED);
    best = MIN (best, g_get_monotonic_time () - start);
  }
  return best;
}

/* An unknown user costs a hash like a known one, or timing would tell
 * which user names exist. Fastest of five against fastest of five, with a
 * wide margin: the difference this looks for is a hundredfold. */
GST_START_TEST (test_unknown_user_costs_a_hash)
{
  GstMjpegHttpAuth *auth = auth_from (ALICE "\n" BOB "\n");
  gint64 known = fastest_verify (auth, "alice:wrong");
  gint64 unknown = fastest_verify (auth, "mallory:wrong");

  GST_INFO ("known user %" G_GINT64_FORMAT " us, unknown %" G_GINT64_FORMAT
      " us", known, unknown);
  fail_unless (unknown * 4 > known, "known user %" G_GINT64_FORMAT
      " us, unknown %" G_GINT64_FORMAT " us", known, unknown);
  gst_mjpeg_http_auth_free (auth);
}

GST_END_TEST;

static gpointer
verify_thread (gpointer user_data)
{
  GstMjpegHttpAuth *auth = user_data;
  guint i;

  for (i = 0; i < 4; i++) {
    fail_unless_equals_int (verify (auth, "alice:open sesame"), GRANTED);
    fail_unless_equals_int (verify (auth, "bob:s3:cret"), GRANTED);
    fail_unless_equals_int (verify (auth, "bob:wrong"), DENIED);
    fail_unless (check (auth, "alice:open sesame") != DENIED);
  }
  return NULL;
}

GST_START_TEST (test_concurrent_verify)
{
  GstMjpegHttpAuth *auth = auth_from (ALICE "\n" BOB "\n");
  GThread *threads[4];
  guint i;

  for (i = 0; i < G_N_ELEMENTS (threads); i++)
    threads[i] = g_thread_new ("verify", verify_thread, auth);
  for (i = 0; i < G_N_ELEMENTS (threads); i++)
    g_thread_join (threads[i]);
  gst_mjpeg_http_auth_free (auth);
}

GST_END_TEST;

GST_START_TEST (test_unsupported_schemes)
{
  static const struct
  {
    const gchar *line;
    const gchar *scheme;
    const gchar *secret;        /* must not be in the message */
  } cases[] = {
    {"user:$apr1$hRTPGkp5$S0iXwe6T6VHUBNWNVYONV/", "Apache MD5 ($apr1$)",
        "hRTPGkp5"},
    {"user:{SHA}nU4eI71bcnBGqeO0t9tXvY1u5oQ=", "SHA-1 ({SHA})", "nU4eI71"},
    {"user:hunter2", "plain text", "hunter2"},
    {"user:$hunter2$", "unknown crypt scheme", "hunter2"},
    {"user:0jI0xJzvbfKpQ", "DES crypt", "0jI0xJzv"},
    {"user:$1$0u2Ul0cm$k4otNNJavWsZ6CFdaMFEK0", "MD5-crypt ($1$)",
        "0u2Ul0cm"},
    {"user:$5$sBhWPx47N1jsCsQL$zCv0Zv/a4P/Hhno6tz9UuuBdHGOVxDkxa/N5T8Zl3I7",
        "SHA-256-crypt ($5$)", "sBhWPx47"},
    {"user:$y$j9T$yza6pBffCAW4ShIGDGRk/0$/hIpJ6ecBzBS86uwDZQd8CatrjSrx0lwM09"
          "cP0DqUC3", "yescrypt ($y$)", "yza6pBff"},
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    gchar *contents = g_strconcat ("# camera users\n\n" ALICE "\n",
        cases[i].line, "\n", BOB "\n", NULL);
    gchar *path;
    GError *error = file_error (contents, &path);

    GST_INFO ("%s", error->message);
    fail_unless (g_error_matches (error, G_IO_ERROR,
            G_IO_ERROR_NOT_SUPPORTED), "%s", error->message);
    fail_unless_contains (error->message, path);
    fail_unless_contains (error->message, "line 4");
    fail_unless_contains (error->message, cases[i].scheme);
    fail_unless_contains (error->message, "htpasswd -B");
    fail_unless_contains (error->message, "mkpasswd -m sha-512");
    fail_if_contains (error->message, cases[i].secret);
    g_error_free (error);
    g_free (path);
    g_free (contents);
  }
}

GST_END_TEST;

GST_START_TEST (test_file_errors)
{
  GError *error;
  gchar *path;

  error = file_error (ALICE "\n" BOB "\n\n" "alice:$6$c6BQ35YzT82Cs1RP$TVyu3b3"
      "mmOqgI97qylbNuSFqdot3snkag0UfK9TBtHzpCBc42D20EuUIDFBGc1IxESuxFtJjHdZeC6"
      "mwMU3lc.\n", &path);
  GST_INFO ("%s", error->message);
  fail_unless_contains (error->message, path);
  fail_unless_contains (error->message, "line 4");
  fail_unless_contains (error->message, "line 1");
  fail_if_contains (error->message, "alice");
  g_error_free (error);
  g_free (path);

  error = file_error ("", &path);
  GST_INFO ("%s", error->message);
  fail_unless_contains (error->message, path);
  fail_unless_contains (error->message, "no users");
  g_error_free (error);
  g_free (path);

  error = file_error ("# nobody yet\n\n   \r\n", &path);
  fail_unless_contains (error->message, path);
  fail_unless_contains (error->message, "no users");
  g_error_free (error);
  g_free (path);

  error = file_error (ALICE "\nbob\n", &path);
  GST_INFO ("%s", error->message);
  fail_unless_contains (error->message, path);
  fail_unless_contains (error->message, "line 2");
  fail_unless_contains (error->message, "':'");
  g_error_free (error);
  g_free (path);

  error = file_error (":$2y$05$HRfqPp2pJ7lwCyUa4fxczOkypiIWsK1/5LLbGoKC42eiO/"
      "7.h59SK\n", &path);
  fail_unless_contains (error->message, "line 1");
  fail_unless_contains (error->message, "no user name");
  g_error_free (error);
  g_free (path);

  error = file_error ("alice:\n", &path);
  fail_unless_contains (error->message, "line 1");
  fail_unless_contains (error->message, "no hash");
  g_error_free (error);
  g_free (path);

  /* a truncated hash, a bcrypt cost out of range */
  error = file_error ("alice:$2y$05$HRfqPp2pJ7lwCyUa4fxczOkypiIWsK1\n", &path);
  GST_INFO ("%s", error->message);
  fail_unless_contains (error->message, path);
  fail_unless_contains (error->message, "line 1");
  fail_unless_contains (error->message, "malformed bcrypt");
  fail_if_contains (error->message, "HRfqPp2p");
  g_error_free (error);
  g_free (path);
  error = file_error ("alice:$2y$99$HRfqPp2pJ7lwCyUa4fxczOkypiIWsK1/5LLbGoKC42e"
      "iO/7.h59SK\n", &path);
  fail_unless_contains (error->message, "malformed bcrypt");
  g_error_free (error);
  g_free (path);
  error = file_error ("bob:$6$c6BQ35YzT82Cs1RP$TVyu3b3\n", &path);
  fail_unless_contains (error->message, "malformed SHA-512-crypt");
  g_error_free (error);
  g_free (path);

  /* not a text file */
  error = file_error_len (ALICE "\nbob:$6$\0x\n", strlen (ALICE) + 10, &path);
  GST_INFO ("%s", error->message);
  fail_unless_contains (error->message, path);
  fail_unless_contains (error->message, "NUL");
  g_error_free (error);
  g_free (path);

  /* a file that cannot be read: its name and the system's reason */
  error = NULL;
  fail_unless (gst_mjpeg_http_auth_new_file ("/nonexistent/mjpeghttp/users",
          &error) == NULL);
  GST_INFO ("%s", error->message);
  fail_unless (g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT));
  fail_unless_contains (error->message, "/nonexistent/mjpeghttp/users");
  fail_unless_contains (error->message, g_strerror (ENOENT));
  g_error_free (error);
}

GST_END_TEST;

static Suite *
mjpeghttpauth_suite (void)
{
  Suite *s = suite_create ("mjpeghttpauth");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_password_pair);
  tcase_add_test (tc, test_malformed_headers);
  tcase_add_test (tc, test_latin1_credentials);
  tcase_add_test (tc, test_slow_hashes_refused);
  tcase_add_test (tc, test_oversize_header);
  tcase_add_test (tc, test_file_schemes);
  tcase_add_test (tc, test_cache);
  tcase_add_test (tc, test_cache_is_bounded);
  tcase_add_test (tc, test_unknown_user_costs_a_hash);
  tcase_add_test (tc, test_concurrent_verify);
  tcase_add_test (tc, test_unsupported_schemes);
  tcase_add_test (tc, test_file_errors);
  return s;
}

GST_CHECK_MAIN (mjpeghttpauth);
