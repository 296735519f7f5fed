/* mjpeghttp
 * Copyright (C) 2026 mjpeghttp developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

/* The viewer page: gst/viewer/index.html from the plugin's GResource with
 * viewer.css and viewer.js inline and the server's paths filled in, its
 * ETag and its Content-Security-Policy.
 *
 * Threads: _new() and _free() run on the server thread at its start and
 * end, _answer() on the server thread; the page never changes after
 * _new(), so there is no lock. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstmjpeghttpviewer.h"
#include "gstmjpeghttpresources.h"

#include <string.h>

#define VIEWER_RESOURCE "/org/mjpeghttp/viewer/"

struct _GstMjpegHttpViewer
{
  GBytes *page;
  gchar *etag;
  gchar *csp;
};

static gchar *
resource_text (const gchar * name)
{
  GBytes *file = g_resource_lookup_data (mjpeghttp_get_resource (), name,
      G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
  gchar *text;

  g_assert (file);
  text = g_strndup (g_bytes_get_data (file, NULL), g_bytes_get_size (file));
  g_bytes_unref (file);
  return text;
}

/* For an HTML attribute; NULL (not served) is empty. */
static gchar *
escape_path (const gchar * path)
{
  return g_markup_escape_text (path ? path : "", -1);
}

/* @template with each @NAME@ of @names replaced by the same index of
 * @values, in one pass: nothing a value brings in is replaced again, so a
 * path that happens to contain "@VIEWER_JS@" stays as it is. */
static gchar *
fill_template (const gchar * template, const gchar * const *names,
    const gchar * const *values, guint n)
{
  GString *s = g_string_new (NULL);
  const gchar *p = template, *at;
  guint i;

  while ((at = strchr (p, '@'))) {
    g_string_append_len (s, p, at - p);
    for (i = 0; i < n; i++)
      if (g_str_has_prefix (at, names[i]))
        break;
    if (i < n) {
      g_string_append (s, values[i]);
      p = at + strlen (names[i]);
    } else {
      g_string_append_c (s, '@');
      p = at + 1;
    }
  }
  g_string_append (s, p);
  return g_string_free (s, FALSE);
}

/* 'sha256-<base64>' of what is between @open and the next @close in
 * @page: a CSP source that allows exactly that inline script or style. */
static gchar *
inline_hash (const gchar * page, const gchar * open, const gchar * close)
{
  const gchar *start = strstr (page, open), *end;
  GChecksum *sum;
  guint8 digest[32];
  gsize len = sizeof (digest);
  gchar *b64, *source;

  g_assert (start);
  start += strlen (open);
  end = strstr (start, close);
  g_assert (end);
  sum = g_checksum_new (G_CHECKSUM_SHA256);
  g_checksum_update (sum, (const guchar *) start, end - start);
  g_checksum_get_digest (sum, digest, &len);
  g_checksum_free (sum);
  b64 = g_base64_encode (digest, len);
  source = g_strdup_printf ("'sha256-%s'", b64);
  g_free (b64);
  return source;
}

/* The page may load images from this server (the stream), fetch from it
 * (the events, the snapshot it saves), run its own script and apply its
 * own style, and nothing else: no other origin, no plugin, no form, no
 * frame of another site around it. The saved snapshot is a blob: URL, but
 * only as a download link, which no directive governs. */
static gchar *
viewer_csp (const gchar * page)
{
  gchar *script = inline_hash (page, "<script>", "</script>");
  gchar *style = inline_hash (page, "<style>", "</style>");
  gchar *csp = g_strdup_printf ("default-src 'none'; img-src 'self'; "
      "connect-src 'self'; script-src %s; style-src %s; base-uri 'none'; "
      "form-action 'none'; frame-ancestors 'self'", script, style);

  g_free (script);
  g_free (style);
  return csp;
}

/* The page, as one document: index.html with viewer.css and viewer.js
 * inline (one request per page load, and a CSP that allows exactly what
 * is inline by its hash) and the paths HTML-escaped (the script reads them
 * from data- attributes, so no path is ever script text). A NULL path
 * (events, when stats are not served) becomes an empty attribute. */
GstMjpegHttpViewer *
gst_mjpeg_http_viewer_new (const GstMjpegHttpPaths * paths)
{
  static const gchar *const names[] = { "@VIEWER_CSS@", "@VIEWER_JS@",
    "@STREAM_PATH@", "@SNAPSHOT_PATH@", "@EVENTS_PATH@"
  };
  GstMjpegHttpViewer *viewer = g_new0 (GstMjpegHttpViewer, 1);
  gchar *values[G_N_ELEMENTS (names)];
  gchar *template, *page, *sum;
  guint i;

  template = resource_text (VIEWER_RESOURCE "index.html");
  values[0] = resource_text (VIEWER_RESOURCE "viewer.css");
  values[1] = resource_text (VIEWER_RESOURCE "viewer.js");
  /* inline, they end at the first closing tag of their element */
  g_assert (!strstr (values[0], "</style"));
  g_assert (!strstr (values[1], "</script"));
  values[2] = escape_path (paths->stream);
  values[3] = escape_path (paths->snapshot);
  values[4] = escape_path (paths->events);
  page = fill_template (template, names, (const gchar * const *) values,
      G_N_ELEMENTS (names));
  for (i = 0; i < G_N_ELEMENTS (values); i++)
    g_free (values[i]);
  g_free (template);

  sum = g_compute_checksum_for_string (G_CHECKSUM_SHA256, page, -1);
  viewer->etag = g_strdup_printf ("\"%.16s\"", sum);
  g_free (sum);
  viewer->csp = viewer_csp (page);
  viewer->page = g_bytes_new_take (page, strlen (page));
  return viewer;
}

void
gst_mjpeg_http_viewer_free (GstMjpegHttpViewer * viewer)
{
  g_bytes_unref (viewer->page);
  g_free (viewer->etag);
  g_free (viewer->csp);
  g_free (viewer);
}

/* If-None-Match: "*" or a list of entity tags, compared weakly (RFC 9110
 * 13.1.2): W/"x" matches "x". */
static gboolean
etag_matches (const gchar * if_none_match, const gchar * etag)
{
  gchar **tags = g_strsplit (if_none_match, ",", -1), **t;
  gboolean match = FALSE;

  for (t = tags; *t && !match; t++) {
    const gchar *tag = g_strstrip (*t);

    if (g_str_has_prefix (tag, "W/"))
      tag += 2;
    match = !strcmp (tag, "*") || !strcmp (tag, etag);
  }
  g_strfreev (tags);
  return match;
}

/* Static: its ETag is a hash of its content, so a browser that reloads
 * revalidates it and gets 304 without the page. */
void
gst_mjpeg_http_viewer_answer (GstMjpegHttpViewer * viewer,
    SoupServerMessage * msg, const GstMjpegHttpRequest * req)
{
  SoupMessageHeaders *hdrs = soup_server_message_get_response_headers (msg);

  soup_message_headers_replace (hdrs, "Cache-Control", "no-cache");
  soup_message_headers_remove (hdrs, "Pragma");
  soup_message_headers_replace (hdrs, "ETag", viewer->etag);
  soup_message_headers_replace (hdrs, "Content-Security-Policy", viewer->csp);
  if (etag_matches (req->if_none_match, viewer->etag)) {
    soup_server_message_set_status (msg, SOUP_STATUS_NOT_MODIFIED, NULL);
    return;
  }
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "text/html; charset=utf-8",
      SOUP_MEMORY_STATIC, g_bytes_get_data (viewer->page, NULL),
      g_bytes_get_size (viewer->page));
}
