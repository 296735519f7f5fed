/* mjpeghttp
 * Copyright (C) 2026 mjpeghttp developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

/* The request head, parsed and judged before any HTTP handler (and before
 * libsoup) sees it. Pure functions: no I/O, no allocation, no state; the
 * fuzzer in tests/fuzz drives them directly.
 *
 * The rules are stricter than RFC 9112 allows a server to be, on purpose:
 * this server takes only GET and HEAD, never a body, and libsoup 3.2 must
 * never meet a head it would fail on (one of its failure paths leaks the
 * request's path). Anything ambiguous is refused rather than guessed at:
 * duplicate Host or Content-Length, Content-Length with Transfer-Encoding,
 * whitespace before a colon, folded lines, control characters.
 *
 * What passes must also pass libsoup 3.2's own checks (its request-line
 * parser, its URI parser on "http://" Host path, its refusal of ".."
 * segments after decoding): the fuzzer asserts that libsoup accepts every
 * head this parser accepts.
 *
 * Lines may end in CRLF or in a bare LF (hand-typed requests); a CR anywhere
 * else is refused. A line is judged as soon as it is complete, so a bad
 * request is answered without waiting for the end of its head.
 *
 * Threads: none of its own; called on the server thread (and by the fuzzer).
 */

#include "gstmjpeghttprequest.h"

#include <string.h>

#define METHOD_MAX 16

static gboolean
is_tchar (guchar c)
{
  return g_ascii_isalnum (c) || (c != 0 && strchr ("!#$%&'*+-.^_`|~", c));
}

/* A header value may hold visible characters, spaces, tabs and bytes above
 * 0x7f; never other control characters. */
static gboolean
is_value_char (guchar c)
{
  return c == '\t' || (c >= 0x20 && c != 0x7f);
}

/* host [":" port], host a name, an IPv4 address or a bracketed IPv6
 * address, port 1-5 digits up to 65535: what GLib's URI parser takes. */
static gboolean
is_authority (const gchar * a, gsize len)
{
  const gchar *end = a + len, *host_end;
  gsize i;

  if (len == 0)
    return FALSE;
  if (a[0] == '[') {
    gchar literal[64];
    const gchar *close = memchr (a, ']', len);

    if (!close || (gsize) (close - a - 1) >= sizeof (literal))
      return FALSE;
    memcpy (literal, a + 1, close - a - 1);
    literal[close - a - 1] = '\0';
    /* no zone index: GLib takes "%anything" after an address */
    if (strspn (literal, "0123456789abcdefABCDEF:.") != strlen (literal)
        || !strchr (literal, ':') || !g_hostname_is_ip_address (literal))
      return FALSE;
    host_end = close + 1;
  } else {
    for (host_end = a; host_end < end && *host_end != ':'; host_end++) {
      if (!g_ascii_isalnum (*host_end) && !strchr (".-_~", *host_end))
        return FALSE;
    }
    if (host_end == a)
      return FALSE;
  }
  if (host_end == end)
    return TRUE;
  if (*host_end != ':' || end - host_end < 2 || end - host_end > 6)
    return FALSE;
  for (i = 1; host_end + i < end; i++) {
    if (!g_ascii_isdigit (host_end[i]))
      return FALSE;
  }
  return g_ascii_strtoull (host_end + 1, NULL, 10) <= 65535;
}

/* Percent escapes are two hex digits; in the path none may be %00, and once
 * decoded it may not climb with ".." (libsoup refuses both). */
static gboolean
is_escaped_well (const gchar * s, gsize len, gboolean path)
{
  gchar decoded[GST_MJPEG_HTTP_REQUEST_LINE_MAX + 1];
  gsize i, n = 0;

  for (i = 0; i < len; i++) {
    gchar c = s[i];

    if (c == '%') {
      if (i + 2 >= len || !g_ascii_isxdigit (s[i + 1])
          || !g_ascii_isxdigit (s[i + 2]))
        return FALSE;
      c = (g_ascii_xdigit_value (s[i + 1]) << 4)
          | g_ascii_xdigit_value (s[i + 2]);
      i += 2;
      if (c == '\0' && path)
        return FALSE;
    }
    decoded[n++] = c;
  }
  decoded[n] = '\0';
  if (!path)
    return TRUE;
  return !strstr (decoded, "/../") && !g_str_has_suffix (decoded, "/..");
}

/* Keeps the host part of an authority already checked by is_authority(). */
static void
copy_host (gchar * host, const gchar * a, gsize len)
{
  const gchar *end;
  gsize n, i;

  if (a[0] == '[') {
    a++;
    end = memchr (a, ']', len - 1);
  } else {
    end = memchr (a, ':', len);
    if (!end)
      end = a + len;
  }
  n = end - a;
  if (n > GST_MJPEG_HTTP_HOST_MAX)
    n = 0;
  for (i = 0; i < n; i++)
    host[i] = g_ascii_tolower (a[i]);
  host[n] = '\0';
}

static gboolean
span_equal (const gchar * s, gsize len, const gchar * word)
{
  return strlen (word) == len && !g_ascii_strncasecmp (s, word, len);
}

static GstMjpegHttpParseResult
fail (GstMjpegHttpRequest * req, GstMjpegHttpParseResult result,
    const gchar * error)
{
  req->error = error;
  return result;
}

/* A frame rate as people write it: digits with at most one decimal point
 * ("5", "0.5", "2."), in [GST_MJPEG_HTTP_FPS_MIN, GST_MJPEG_HTTP_FPS_MAX]. No sign, exponent,
 * "inf" or "nan", which strtod would take. */
static gboolean
parse_fps (const gchar * v, gsize len, gdouble * fps)
{
  gchar buf[32];
  gboolean point = FALSE, digit = FALSE;
  gdouble d;
  gsize i;

  if (len == 0 || len >= sizeof (buf))
    return FALSE;
  for (i = 0; i < len; i++) {
    if (g_ascii_isdigit (v[i]))
      digit = TRUE;
    else if (v[i] == '.' && !point)
      point = TRUE;
    else
      return FALSE;
  }
  if (!digit)
    return FALSE;
  memcpy (buf, v, len);
  buf[len] = '\0';
  d = g_ascii_strtod (buf, NULL);
  if (!(d >= GST_MJPEG_HTTP_FPS_MIN && d <= GST_MJPEG_HTTP_FPS_MAX))
    return FALSE;
  *fps = d;
  return TRUE;
}

/* ?advance_headers=1&action=stream&fps=5; other parameters (cache busters
 * like ?t=123) are ignored. */
static GstMjpegHttpParseResult
parse_query (GstMjpegHttpRequest * req, const gchar * q, gsize len)
{
  const gchar *end = q + len;

  while (q < end) {
    const gchar *amp = memchr (q, '&', end - q);
    const gchar *pend = amp ? amp : end;
    const gchar *eq = memchr (q, '=', pend - q);
    gsize klen = (eq ? eq : pend) - q;
    const gchar *v = eq ? eq + 1 : pend;
    gsize vlen = pend - v;

    if (span_equal (q, klen, "advance_headers")) {
      if (vlen == 0 || span_equal (v, vlen, "1") || span_equal (v, vlen, "true")
          || span_equal (v, vlen, "yes"))
        req->options.advance_headers = TRUE;
      else if (span_equal (v, vlen, "0") || span_equal (v, vlen, "false")
          || span_equal (v, vlen, "no"))
        req->options.advance_headers = FALSE;
      else
        return fail (req, GST_MJPEG_HTTP_PARSE_BAD_REQUEST,
            "advance_headers must be 1 or 0.");
    } else if (span_equal (q, klen, "fps")) {
      if (!parse_fps (v, vlen, &req->options.fps))
        return fail (req, GST_MJPEG_HTTP_PARSE_BAD_REQUEST,
            "fps must be a number of frames per second from 0.01 to 1000, "
            "such as fps=5 or fps=0.5.");
    } else if (span_equal (q, klen, "action")) {
      if (span_equal (v, vlen, "stream"))
        req->options.action = GST_MJPEG_HTTP_ROUTE_STREAM;
      else if (span_equal (v, vlen, "snapshot"))
        req->options.action = GST_MJPEG_HTTP_ROUTE_SNAPSHOT;
      else
        req->options.action = GST_MJPEG_HTTP_ROUTE_NOT_FOUND;
    }
    q = amp ? amp + 1 : end;
  }
  return GST_MJPEG_HTTP_PARSE_COMPLETE;
}

/* The request-target: origin-form (/path?query) or absolute-form
 * (http://host/path?query), split into the path and the options. */
static GstMjpegHttpParseResult
parse_target (GstMjpegHttpRequest * req, const gchar * t, gsize len)
{
  const gchar *q, *path = t;
  gsize i, plen;

  for (i = 0; i < len; i++) {
    /* no fragment, no control or non-ASCII byte */
    if ((guchar) t[i] <= 0x20 || (guchar) t[i] >= 0x7f || t[i] == '#')
      return fail (req, GST_MJPEG_HTTP_PARSE_BAD_REQUEST,
          "The request target has a character that is not allowed.");
  }

  if (len >= 7 && !g_ascii_strncasecmp (t, "http://", 7)) {
    const gchar *authority = t + 7;
    const gchar *slash = memchr (authority, '/', t + len - authority);
    gsize alen = (slash ? slash : t + len) - authority;

    if (!is_authority (authority, alen))
      return fail (req, GST_MJPEG_HTTP_PARSE_BAD_REQUEST,
          "The request target's host is malformed.");
    copy_host (req->host, authority, alen);
    req->absolute_target = TRUE;
    path = slash ? slash : "/";
    len = slash ? (gsize) (t + len - slash) : 1;
  } else if (t[0] != '/') {
    return fail (req, GST_MJPEG_HTTP_PARSE_BAD_REQUEST,
        "The request target must start with / (https:// is not served on "
        "this port).");
  }

  q = memchr (path, '?', len);
  plen = q ? (gsize) (q - path) : len;
  if (!is_escaped_well (path, plen, TRUE)
      || (q && !is_escaped_well (q + 1, len - plen - 1, FALSE)))
    return fail (req, GST_MJPEG_HTTP_PARSE_BAD_REQUEST,
        "The request target has a bad %-escape or a \"..\" segment.");
  memcpy (req->path, path, plen);
  req->path[plen] = '\0';
  if (q)
    return parse_query (req, q + 1, len - plen - 1);
  return GST_MJPEG_HTTP_PARSE_COMPLETE;
}

/* METHOD SP request-target SP HTTP/1.x */
static GstMjpegHttpParseResult
parse_request_line (GstMjpegHttpRequest * req, const gchar * line, gsize len)
{
  const gchar *sp1, *sp2, *version;
  gsize mlen, vlen, i;
  GstMjpegHttpParseResult res;

  sp1 = memchr (line, ' ', len);
  if (!sp1 || sp1 == line || sp1 - line > METHOD_MAX)
    return fail (req, GST_MJPEG_HTTP_PARSE_BAD_REQUEST,
        "The request line is malformed.");
  mlen = sp1 - line;
  for (i = 0; i < mlen; i++) {
    if (!is_tchar (line[i]))
      return fail (req, GST_MJPEG_HTTP_PARSE_BAD_REQUEST,
          "This is not an HTTP request.");
  }
  sp2 = memchr (sp1 + 1, ' ', line + len - (sp1 + 1));
  if (!sp2)
    return fail (req, GST_MJPEG_HTTP_PARSE_BAD_REQUEST,
        "The request line has no HTTP version (HTTP/0.9 is not supported).");
  if (sp2 == sp1 + 1)
    return fail (req, GST_MJPEG_HTTP_PARSE_BAD_REQUEST,
        "The request line is malformed.");

  version = sp2 + 1;
  vlen = line + len - version;
  if (vlen != 8 || memcmp (version, "HTTP/", 5) || !g_ascii_isdigit (version[5])
      || version[6] != '.' || !g_ascii_isdigit (version[7]))
    return fail (req, GST_MJPEG_HTTP_PARSE_BAD_REQUEST,
        "The request line's HTTP version is malformed.");
  /* RFC 9110 would take a later 1.x as 1.1; libsoup 3.2 refuses it */
  if (version[5] != '1' || version[7] > '1')
    return fail (req, GST_MJPEG_HTTP_PARSE_VERSION_NOT_SUPPORTED,
        "Only HTTP/1.0 and HTTP/1.1 are supported.");
  req->http_minor = version[7] - '0';

  res = parse_target (req, sp1 + 1, sp2 - (sp1 + 1));
  if (res != GST_MJPEG_HTTP_PARSE_COMPLETE)
    return res;

  /* methods are case-sensitive */
  if (mlen == 3 && !memcmp (line, "GET", 3))
    req->method = GST_MJPEG_HTTP_METHOD_GET;
  else if (mlen == 4 && !memcmp (line, "HEAD", 4))
    req->method = GST_MJPEG_HTTP_METHOD_HEAD;
  else
    return fail (req, GST_MJPEG_HTTP_PARSE_METHOD_NOT_ALLOWED,
        "Only GET and HEAD are allowed.");
  return GST_MJPEG_HTTP_PARSE_COMPLETE;
}

typedef struct
{
  guint hosts;
  guint content_lengths;
  guint authorizations;
  gboolean transfer_encoding;
} SeenHeaders;

static GstMjpegHttpParseResult
parse_header_line (GstMjpegHttpRequest * req, SeenHeaders * seen,
    const gchar * line, gsize len)
{
  const gchar *colon, *v, *vend;
  gsize nlen, i;

  if (line[0] == ' ' || line[0] == '\t')
    return fail (req, GST_MJPEG_HTTP_PARSE_BAD_REQUEST,
        "Folded header lines are not accepted.");
  colon = memchr (line, ':', len);
  if (!colon || colon == line)
    return fail (req, GST_MJPEG_HTTP_PARSE_BAD_REQUEST,
        "A header line is malformed.");
  nlen = colon - line;
  for (i = 0; i < nlen; i++) {
    if (!is_tchar (line[i]))
      return fail (req, GST_MJPEG_HTTP_PARSE_BAD_REQUEST,
          "A header name is malformed.");
  }
  v = colon + 1;
  vend = line + len;
  for (i = 0; v + i < vend; i++) {
    if (!is_value_char (v[i]))
      return fail (req, GST_MJPEG_HTTP_PARSE_BAD_REQUEST,
          "A header value has a control character.");
  }
  while (v < vend && (*v == ' ' || *v == '\t'))
    v++;
  while (vend > v && (vend[-1] == ' ' || vend[-1] == '\t'))
    vend--;

  if (span_equal (line, nlen, "Host")) {
    if (++seen->hosts > 1)
      return fail (req, GST_MJPEG_HTTP_PARSE_BAD_REQUEST,
          "The request has more than one Host header.");
    if (!is_authority (v, vend - v))
      return fail (req, GST_MJPEG_HTTP_PARSE_BAD_REQUEST,
          "The Host header is empty or malformed.");
    /* an absolute target's host wins (RFC 9112, 3.2.2) */
    if (!req->absolute_target)
      copy_host (req->host, v, vend - v);
  } else if (span_equal (line, nlen, "Authorization")) {
    if (++seen->authorizations > 1)
      return fail (req, GST_MJPEG_HTTP_PARSE_BAD_REQUEST,
          "The request has more than one Authorization header.");
    if ((gsize) (vend - v) > GST_MJPEG_HTTP_AUTHORIZATION_MAX)
      return fail (req, GST_MJPEG_HTTP_PARSE_BAD_REQUEST,
          "The Authorization header is too long.");
    memcpy (req->authorization, v, vend - v);
    req->authorization[vend - v] = '\0';
  } else if (span_equal (line, nlen, "Content-Length")) {
    if (++seen->content_lengths > 1)
      return fail (req, GST_MJPEG_HTTP_PARSE_BAD_REQUEST,
          "The request has more than one Content-Length header.");
    if (v == vend)
      return fail (req, GST_MJPEG_HTTP_PARSE_BAD_REQUEST,
          "The Content-Length header is empty.");
    for (i = 0; v + i < vend; i++) {
      if (!g_ascii_isdigit (v[i]))
        return fail (req, GST_MJPEG_HTTP_PARSE_BAD_REQUEST,
            "The Content-Length header is not a number.");
      if (v[i] != '0')
        return fail (req, GST_MJPEG_HTTP_PARSE_BAD_REQUEST,
            "This server takes no request body.");
    }
  } else if (span_equal (line, nlen, "Transfer-Encoding")) {
    seen->transfer_encoding = TRUE;
  } else if (span_equal (line, nlen, "Expect")) {
    return fail (req, GST_MJPEG_HTTP_PARSE_EXPECTATION_FAILED,
        "This server takes no request body: nothing to expect.");
  } else if (span_equal (line, nlen, "If-None-Match")) {
    if ((gsize) (vend - v) <= GST_MJPEG_HTTP_ETAG_MAX) {
      memcpy (req->if_none_match, v, vend - v);
      req->if_none_match[vend - v] = '\0';
    }
  }
  return GST_MJPEG_HTTP_PARSE_COMPLETE;
}

static GstMjpegHttpParseResult
check_complete_head (GstMjpegHttpRequest * req, const SeenHeaders * seen)
{
  if (seen->transfer_encoding && seen->content_lengths > 0)
    return fail (req, GST_MJPEG_HTTP_PARSE_BAD_REQUEST,
        "The request has both Content-Length and Transfer-Encoding.");
  if (seen->transfer_encoding)
    return fail (req, GST_MJPEG_HTTP_PARSE_NOT_IMPLEMENTED,
        "This server takes no request body.");
  if (req->http_minor == 1 && seen->hosts == 0)
    return fail (req, GST_MJPEG_HTTP_PARSE_BAD_REQUEST,
        "An HTTP/1.1 request needs a Host header.");
  return GST_MJPEG_HTTP_PARSE_COMPLETE;
}

/* What can be told of a request line that has not ended yet: its method
 * must be a token, so random bytes and TLS handshakes are refused at once. */
static GstMjpegHttpParseResult
check_partial_request_line (GstMjpegHttpRequest * req, const gchar * line,
    gsize len)
{
  gsize i;

  /* its CR may be in, its LF not yet */
  if (len - (len > 0 && line[len - 1] == '\r') >
      GST_MJPEG_HTTP_REQUEST_LINE_MAX)
    return fail (req, GST_MJPEG_HTTP_PARSE_URI_TOO_LONG,
        "The request line is too long.");
  for (i = 0; i < len && line[i] != ' '; i++) {
    if (!is_tchar (line[i]) || i >= METHOD_MAX)
      return fail (req, GST_MJPEG_HTTP_PARSE_BAD_REQUEST,
          "This is not an HTTP request.");
  }
  if (i == 0 && len > 0)
    return fail (req, GST_MJPEG_HTTP_PARSE_BAD_REQUEST,
        "This is not an HTTP request.");
  return GST_MJPEG_HTTP_PARSE_INCOMPLETE;
}

/**
 * gst_mjpeg_http_request_parse:
 * @data: the bytes received so far (need not be NUL-terminated)
 * @len: their number
 * @req: (out caller-allocates): filled in
 *
 * Returns: COMPLETE with @req filled in and @req->head_len set, INCOMPLETE
 * if nothing is wrong yet but the head has not ended, or the failure, with
 * @req->error a sentence saying why.
 */
GstMjpegHttpParseResult
gst_mjpeg_http_request_parse (const gchar * data, gsize len,
    GstMjpegHttpRequest * req)
{
  SeenHeaders seen = { 0, };
  gsize pos = 0, n_lines = 0;
  GstMjpegHttpParseResult res;

  req->method = GST_MJPEG_HTTP_METHOD_GET;
  req->http_minor = 1;
  req->head_len = 0;
  req->path[0] = '\0';
  req->options.advance_headers = FALSE;
  req->options.fps = 0.0;
  req->options.action = GST_MJPEG_HTTP_ROUTE_NOT_FOUND;
  req->if_none_match[0] = '\0';
  req->host[0] = '\0';
  req->absolute_target = FALSE;
  req->authorization[0] = '\0';
  req->error = NULL;

  for (;;) {
    const gchar *nl = memchr (data + pos, '\n', len - pos);
    const gchar *line = data + pos;
    gsize line_len, end;

    if (!nl) {
      if (n_lines == 0)
        return check_partial_request_line (req, line, len - pos);
      if (len >= GST_MJPEG_HTTP_REQUEST_HEAD_MAX)
        return fail (req, GST_MJPEG_HTTP_PARSE_HEADERS_TOO_LARGE,
            "The request's headers are too large.");
      return GST_MJPEG_HTTP_PARSE_INCOMPLETE;
    }

    end = nl + 1 - data;
    line_len = nl - line;
    if (line_len > 0 && line[line_len - 1] == '\r')
      line_len--;
    if (memchr (line, '\r', line_len) || memchr (line, '\0', line_len))
      return fail (req, GST_MJPEG_HTTP_PARSE_BAD_REQUEST,
          "A line has a stray CR or NUL.");

    if (n_lines == 0) {
      if (line_len > GST_MJPEG_HTTP_REQUEST_LINE_MAX)
        return fail (req, GST_MJPEG_HTTP_PARSE_URI_TOO_LONG,
            "The request line is too long.");
      res = parse_request_line (req, line, line_len);
    } else if (end > GST_MJPEG_HTTP_REQUEST_HEAD_MAX
        || (line_len > 0 && n_lines > GST_MJPEG_HTTP_REQUEST_HEADERS_MAX)) {
      /* n_lines counts the request line: this is header line n_lines */
      return fail (req, GST_MJPEG_HTTP_PARSE_HEADERS_TOO_LARGE,
          "The request's headers are too large.");
    } else if (line_len == 0) {
      res = check_complete_head (req, &seen);
      if (res == GST_MJPEG_HTTP_PARSE_COMPLETE)
        req->head_len = end;
      return res;
    } else {
      res = parse_header_line (req, &seen, line, line_len);
    }
    if (res != GST_MJPEG_HTTP_PARSE_COMPLETE)
      return res;
    n_lines++;
    pos = end;
  }
}

/* The HTTP status that answers a failed parse. */
guint
gst_mjpeg_http_parse_result_status (GstMjpegHttpParseResult result)
{
  switch (result) {
    case GST_MJPEG_HTTP_PARSE_COMPLETE:
    case GST_MJPEG_HTTP_PARSE_INCOMPLETE:
      return 200;
    case GST_MJPEG_HTTP_PARSE_BAD_REQUEST:
      return 400;
    case GST_MJPEG_HTTP_PARSE_METHOD_NOT_ALLOWED:
      return 405;
    case GST_MJPEG_HTTP_PARSE_URI_TOO_LONG:
      return 414;
    case GST_MJPEG_HTTP_PARSE_EXPECTATION_FAILED:
      return 417;
    case GST_MJPEG_HTTP_PARSE_HEADERS_TOO_LARGE:
      return 431;
    case GST_MJPEG_HTTP_PARSE_NOT_IMPLEMENTED:
      return 501;
    case GST_MJPEG_HTTP_PARSE_VERSION_NOT_SUPPORTED:
      return 505;
  }
  return 400;
}

void
gst_mjpeg_http_paths_copy (GstMjpegHttpPaths * dest,
    const GstMjpegHttpPaths * src)
{
  dest->viewer = g_strdup (src->viewer);
  dest->stream = g_strdup (src->stream);
  dest->snapshot = g_strdup (src->snapshot);
  dest->stats = g_strdup (src->stats);
  dest->metrics = g_strdup (src->metrics);
  dest->events = g_strdup (src->events);
}

/* Frees the strings of paths made by gst_mjpeg_http_paths_copy(). */
void
gst_mjpeg_http_paths_clear (GstMjpegHttpPaths * paths)
{
  g_free ((gchar *) paths->viewer);
  g_free ((gchar *) paths->stream);
  g_free ((gchar *) paths->snapshot);
  g_free ((gchar *) paths->stats);
  g_free ((gchar *) paths->metrics);
  g_free ((gchar *) paths->events);
  memset (paths, 0, sizeof (*paths));
}

/* Which resource a valid request names; mjpg-streamer's /?action=stream
 * and /?action=snapshot come first, as many apps are set up for them. */
GstMjpegHttpRoute
gst_mjpeg_http_request_route (const GstMjpegHttpRequest * req,
    const GstMjpegHttpPaths * paths)
{
  if (req->options.action != GST_MJPEG_HTTP_ROUTE_NOT_FOUND
      && !strcmp (req->path, "/"))
    return req->options.action;
  if (!g_strcmp0 (req->path, paths->stream))
    return GST_MJPEG_HTTP_ROUTE_STREAM;
  if (!g_strcmp0 (req->path, paths->snapshot))
    return GST_MJPEG_HTTP_ROUTE_SNAPSHOT;
  if (!g_strcmp0 (req->path, paths->viewer))
    return GST_MJPEG_HTTP_ROUTE_VIEWER;
  if (!g_strcmp0 (req->path, paths->stats))
    return GST_MJPEG_HTTP_ROUTE_STATS;
  if (!g_strcmp0 (req->path, paths->metrics))
    return GST_MJPEG_HTTP_ROUTE_METRICS;
  if (!g_strcmp0 (req->path, paths->events))
    return GST_MJPEG_HTTP_ROUTE_EVENTS;
  return GST_MJPEG_HTTP_ROUTE_NOT_FOUND;
}
