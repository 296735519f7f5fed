/* mjpeghttp
 * Copyright (C) 2026 mjpeghttp developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

/* One connection to an MJPEG stream, read part by part: the HTTP client
 * side of mjpeghttpsrc.
 *
 * It connects directly, never through a proxy. The request is HTTP/1.0,
 * so that the answer is never chunked: the response is the multipart body
 * up to the end of the connection. Each
 * part is taken by its Content-Length when it has one (no scan of the
 * JPEG for the boundary), else up to the next delimiter. Everything read
 * is bounded by max_frame_size, and every read by the socket's timeout.
 *
 * It is GIO's sockets and TLS rather than libsoup: libsoup 3.2 sets one
 * GError over another when a read of a response body fails or is
 * cancelled (a GLib warning at every lost origin and every stop, fatal
 * under GstCheck), and a relay loses and stops connections as a matter of
 * course.
 *
 * Threads: a reader is used by one thread at a time (mjpeghttpsrc's
 * streaming thread); the cancellable may be cancelled from any. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "gstmjpeghttpreader.h"
#include "gstmjpeghttpframeid.h"

#define HEAD_MAX 16384
#define READ_SIZE 65536

GQuark
gst_mjpeg_http_reader_error_quark (void)
{
  return g_quark_from_static_string ("gst-mjpeg-http-reader-error-quark");
}

struct _GstMjpegHttpReader
{
  GSocketConnection *connection;
  GInputStream *input;
  /* @input is ours, not the connection's */
  gboolean own_input;
  gsize max_frame_size;
  /* unread bytes are data[start..len) */
  GByteArray *buf;
  gsize start;
  /* "--" and the boundary; and the boundary alone when it begins with
   * "--" itself, as some cameras write it */
  gchar *delimiter;
  gchar *alt_delimiter;
  /* microseconds a part may take from its delimiter to its last byte (0:
   * no bound), and when the current one must be in */
  gint64 part_time;
  gint64 deadline;
};

/* TLS handshakes check the origin's certificate against @database. */
static void
on_client_event (GSocketClient * client, GSocketClientEvent event,
    GSocketConnectable * connectable, GIOStream * connection,
    GTlsDatabase * database)
{
  if (event == G_SOCKET_CLIENT_TLS_HANDSHAKING &&
      G_IS_TLS_CLIENT_CONNECTION (connection))
    g_tls_connection_set_database (G_TLS_CONNECTION (connection), database);
}

/* The socket's timeout bounds each read; this bounds a whole part, which
 * an origin could otherwise drip a byte at a time. */
static gboolean
check_deadline (GstMjpegHttpReader * reader, GError ** error)
{
  if (reader->deadline == 0 || g_get_monotonic_time () <= reader->deadline)
    return TRUE;
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "the origin took "
      "more than %" G_GINT64_FORMAT " s to send a frame",
      reader->part_time / G_USEC_PER_SEC);
  return FALSE;
}

/* Reads more into the buffer; 0 at the end of the connection. */
static gssize
fill (GstMjpegHttpReader * reader, GCancellable * cancellable, GError ** error)
{
  gsize old_len;
  gssize n;

  if (reader->start > 0 && reader->start == reader->buf->len) {
    g_byte_array_set_size (reader->buf, 0);
    reader->start = 0;
  } else if (reader->start > READ_SIZE) {
    g_byte_array_remove_range (reader->buf, 0, reader->start);
    reader->start = 0;
  }
  old_len = reader->buf->len;
  g_byte_array_set_size (reader->buf, old_len + READ_SIZE);
  n = g_input_stream_read (reader->input, reader->buf->data + old_len,
      READ_SIZE, cancellable, error);
  g_byte_array_set_size (reader->buf, old_len + MAX (n, 0));
  if (n > 0 && !check_deadline (reader, error))
    return -1;
  return n;
}

static gssize
fill_or_end (GstMjpegHttpReader * reader, GCancellable * cancellable,
    GError ** error)
{
  gssize n = fill (reader, cancellable, error);

  if (n == 0)
    g_set_error_literal (error, GST_MJPEG_HTTP_READER_ERROR,
        GST_MJPEG_HTTP_READER_ERROR_ENDED, "the origin closed the connection");
  return n;
}

/* The unread bytes up to and including the next blank line, as a string
 * of their own; NULL with @error when it does not come within HEAD_MAX. */
static gchar *
read_head (GstMjpegHttpReader * reader, GCancellable * cancellable,
    GError ** error)
{
  for (;;) {
    const gchar *data = (const gchar *) reader->buf->data + reader->start;
    gsize avail = reader->buf->len - reader->start;
    const gchar *end;
    gsize len;

    if (avail == 0) {
      if (fill_or_end (reader, cancellable, error) <= 0)
        return NULL;
      continue;
    }

    /* a part without headers: its body follows the blank line at once */
    if (avail >= 2 && data[0] == '\r' && data[1] == '\n') {
      reader->start += 2;
      return g_strdup ("");
    }
    if (avail >= 1 && data[0] == '\n') {
      reader->start += 1;
      return g_strdup ("");
    }
    {
      const gchar *crlf = g_strstr_len (data, MIN (avail, HEAD_MAX),
          "\r\n\r\n");
      const gchar *lf = g_strstr_len (data, MIN (avail, HEAD_MAX), "\n\n");

      /* the first blank line, whichever way its lines end */
      end = crlf && (!lf || crlf < lf) ? crlf : lf;
    }
    if (end) {
      len = end - data + (end[0] == '\r' ? 4 : 2);
      reader->start += len;
      return g_strndup (data, len);
    }
    if (avail >= HEAD_MAX || memchr (data, '\0', avail)) {
      g_set_error_literal (error, GST_MJPEG_HTTP_READER_ERROR,
          GST_MJPEG_HTTP_READER_ERROR_MALFORMED,
          "the origin sent a header block that is not text or longer than "
          "16 KB");
      return NULL;
    }
    if (fill_or_end (reader, cancellable, error) <= 0)
      return NULL;
  }
}

/* The value of header @name in @head (lines after the first), stripped;
 * NULL when absent, and when it is there twice with different values: a
 * part with two lengths is then read up to its delimiter. */
static gchar *
header_value (const gchar * head, const gchar * name)
{
  gchar **lines = g_strsplit (head, "\n", -1);
  gsize name_len = strlen (name);
  gchar *value = NULL;
  guint i;

  for (i = 1; lines[i]; i++) {
    gchar *v;

    if (g_ascii_strncasecmp (lines[i], name, name_len) != 0 ||
        lines[i][name_len] != ':')
      continue;
    v = g_strstrip (g_strdup (lines[i] + name_len + 1));
    if (value && strcmp (value, v) != 0) {
      g_free (v);
      g_clear_pointer (&value, g_free);
      break;
    }
    g_free (value);
    value = v;
  }
  g_strfreev (lines);
  return value;
}

/* Text from the origin as it may go into a message: printable ASCII, at
 * most 200 bytes. */
static gchar *
printable (const gchar * text)
{
  gchar *copy = g_strndup (text ? text : "none", 200);
  gchar *p;

  for (p = copy; *p; p++)
    if (*p < 0x20 || *p > 0x7e)
      *p = '?';
  return copy;
}

/* "--" and the boundary parameter of a multipart Content-Type, or NULL. */
static gchar *
multipart_delimiter (const gchar * type, gchar ** alt)
{
  const gchar *p;
  gchar *boundary, *delimiter;
  gsize len;

  if (!type || g_ascii_strncasecmp (type, "multipart/", 10) != 0)
    return NULL;
  for (p = type; (p = strchr (p, ';'));) {
    p++;
    while (*p == ' ' || *p == '\t')
      p++;
    if (g_ascii_strncasecmp (p, "boundary=", 9) != 0)
      continue;
    p += 9;
    if (*p == '"') {
      p++;
      len = strcspn (p, "\"");
    } else {
      len = strcspn (p, "; \t");
    }
    if (len == 0 || len > 200)
      return NULL;
    boundary = g_strndup (p, len);
    delimiter = g_strconcat ("--", boundary, NULL);
    if (alt && g_str_has_prefix (boundary, "--"))
      *alt = g_strdup (boundary);
    g_free (boundary);
    return delimiter;
  }
  return NULL;
}

static gboolean
check_status (const gchar * head, GError ** error)
{
  guint status = 0;
  gchar *reason;
  const gchar *line_end;

  /* "HTTP/1.x SSS", then the reason up to the end of the line */
  line_end = strpbrk (head, "\r\n");
  if (!g_str_has_prefix (head, "HTTP/1.") || !line_end || line_end - head < 12
      || head[8] != ' ' || !g_ascii_isdigit (head[9]) ||
      !g_ascii_isdigit (head[10]) || !g_ascii_isdigit (head[11])) {
    g_set_error_literal (error, GST_MJPEG_HTTP_READER_ERROR,
        GST_MJPEG_HTTP_READER_ERROR_MALFORMED,
        "the origin's answer is not HTTP");
    return FALSE;
  }
  status = (head[9] - '0') * 100 + (head[10] - '0') * 10 + (head[11] - '0');
  if (status >= 200 && status < 300)
    return TRUE;

  {
    gchar *raw = g_strstrip (g_strndup (head + 12, line_end - head - 12));

    reason = printable (raw);
    g_free (raw);
  }
  if (status >= 300 && status < 400) {
    gchar *raw = header_value (head, "Location");
    gchar *target = printable (raw);

    g_free (raw);
    g_set_error (error, GST_MJPEG_HTTP_READER_ERROR,
        GST_MJPEG_HTTP_READER_ERROR_REFUSED, "the origin answered %u %s, "
        "pointing to %s: set location to that", status, reason, target);
    g_free (target);
  } else if (status == 401 || status == 403)
    g_set_error (error, GST_MJPEG_HTTP_READER_ERROR,
        GST_MJPEG_HTTP_READER_ERROR_REFUSED, "the origin refused access "
        "(%u %s): set user-id and user-pw to an account the origin accepts",
        status, reason);
  else if (status >= 400 && status < 500 && status != 408 && status != 429)
    g_set_error (error, GST_MJPEG_HTTP_READER_ERROR,
        GST_MJPEG_HTTP_READER_ERROR_REFUSED, "the origin answered %u %s: "
        "check that location is a stream's URL", status, reason);
  else
    g_set_error (error, GST_MJPEG_HTTP_READER_ERROR,
        GST_MJPEG_HTTP_READER_ERROR_UNAVAILABLE, "the origin answered %u %s",
        status, reason);
  g_free (reason);
  return FALSE;
}

static gboolean
send_request (GstMjpegHttpReader * reader, GUri * uri,
    const GstMjpegHttpReaderConfig * config, GCancellable * cancellable,
    GError ** error)
{
  GOutputStream *output =
      g_io_stream_get_output_stream (G_IO_STREAM (reader->connection));
  /* sized so that it never grows: a grown string would leave a copy of
   * the credentials in freed memory */
  GString *request = g_string_sized_new (8192);
  const gchar *path = g_uri_get_path (uri);
  const gchar *host = g_uri_get_host (uri);
  gboolean ipv6 = strchr (host, ':') != NULL;
  gboolean ok;

  g_string_append_printf (request, "GET %s%s%s HTTP/1.0\r\n",
      *path ? path : "/", g_uri_get_query (uri) ? "?" : "",
      g_uri_get_query (uri) ? g_uri_get_query (uri) : "");
  g_string_append_printf (request, "Host: %s%s%s", ipv6 ? "[" : "", host,
      ipv6 ? "]" : "");
  if (g_uri_get_port (uri) > 0)
    g_string_append_printf (request, ":%d", g_uri_get_port (uri));
  g_string_append (request, "\r\n");
  g_string_append (request, "User-Agent: mjpeghttpsrc/" VERSION "\r\n");
  if (config->user && config->password) {
    gchar *pair = g_strconcat (config->user, ":", config->password, NULL);
    gchar *encoded = g_base64_encode ((const guchar *) pair, strlen (pair));

    g_string_append (request, "Authorization: Basic ");
    g_string_append (request, encoded);
    g_string_append (request, "\r\n");
    explicit_bzero (pair, strlen (pair));
    explicit_bzero (encoded, strlen (encoded));
    g_free (pair);
    g_free (encoded);
  }
  g_string_append (request, "\r\n");
  ok = g_output_stream_write_all (output, request->str, request->len, NULL,
      cancellable, error);
  explicit_bzero (request->str, request->len);
  g_string_free (request, TRUE);
  return ok;
}

/* Reads the response head; FALSE with @error unless it opens a multipart
 * stream. */
static gboolean
read_response (GstMjpegHttpReader * reader, GCancellable * cancellable,
    GError ** error)
{
  gchar *head, *type = NULL;

  head = read_head (reader, cancellable, error);
  if (!head || !check_status (head, error))
    goto failed;
  type = header_value (head, "Content-Type");
  reader->delimiter = multipart_delimiter (type, &reader->alt_delimiter);
  if (!reader->delimiter)
    goto not_a_stream;
  g_free (type);
  g_free (head);
  return TRUE;

  /* ERRORS */
not_a_stream:
  {
    gchar *shown = printable (type);

    g_set_error (error, GST_MJPEG_HTTP_READER_ERROR,
        GST_MJPEG_HTTP_READER_ERROR_NOT_A_STREAM, "the origin's answer is "
        "not a stream of JPEGs (Content-Type %s): set location to a stream "
        "path, such as /stream, not the viewer page or a snapshot", shown);
    g_free (shown);
    goto failed;
  }
failed:
  {
    g_free (type);
    g_free (head);
    return FALSE;
  }
}

static GstMjpegHttpReader *
reader_new (gsize max_frame_size)
{
  GstMjpegHttpReader *reader = g_new0 (GstMjpegHttpReader, 1);

  /* allocated at once: its data is never NULL */
  reader->buf = g_byte_array_sized_new (READ_SIZE);
  reader->max_frame_size = max_frame_size;
  return reader;
}

GstMjpegHttpReader *
gst_mjpeg_http_reader_open (const GstMjpegHttpReaderConfig * config,
    GCancellable * cancellable, GError ** error)
{
  GstMjpegHttpReader *reader = reader_new (config->max_frame_size);
  GSocketClient *client = g_socket_client_new ();
  GUri *uri = NULL;
  gboolean tls;

  uri = g_uri_parse (config->uri, G_URI_FLAGS_ENCODED, error);
  if (!uri)
    goto failed;
  tls = g_ascii_strcasecmp (g_uri_get_scheme (uri), "https") == 0;
  g_socket_client_set_timeout (client, config->timeout);
  /* an origin is a machine the operator names, on a network of theirs;
   * asking the system for a proxy would also load libproxy, which throws
   * C++ exceptions through GLib's worker threads */
  g_socket_client_set_enable_proxy (client, FALSE);
  g_socket_client_set_tls (client, tls);
  if (tls && config->database)
    g_signal_connect (client, "event", G_CALLBACK (on_client_event),
        config->database);
  reader->part_time = (gint64) config->timeout * G_USEC_PER_SEC;
  reader->connection = g_socket_client_connect_to_uri (client, config->uri,
      tls ? 443 : 80, cancellable, error);
  if (!reader->connection)
    goto connect_failed;
  reader->input = g_io_stream_get_input_stream (G_IO_STREAM
      (reader->connection));

  if (!send_request (reader, uri, config, cancellable, error) ||
      !read_response (reader, cancellable, error))
    goto failed;

  g_uri_unref (uri);
  g_object_unref (client);
  return reader;

  /* ERRORS */
connect_failed:
  {
    /* another try would meet the same certificate */
    if (error && g_error_matches (*error, G_TLS_ERROR,
            G_TLS_ERROR_BAD_CERTIFICATE)) {
      GError *refused = g_error_new (GST_MJPEG_HTTP_READER_ERROR,
          GST_MJPEG_HTTP_READER_ERROR_REFUSED, "the origin's certificate is "
          "not trusted (%s): set tls-ca-file to the authority that signed it",
          (*error)->message);

      g_clear_error (error);
      g_propagate_error (error, refused);
    }
    goto failed;
  }
failed:
  {
    if (uri)
      g_uri_unref (uri);
    g_object_unref (client);
    gst_mjpeg_http_reader_free (reader);
    return NULL;
  }
}

/* A reader of a response already in @input, from its status line on: for
 * the fuzzer, which feeds it what an origin could send. */
GstMjpegHttpReader *
gst_mjpeg_http_reader_new_for_input (GInputStream * input,
    gsize max_frame_size, GError ** error)
{
  GstMjpegHttpReader *reader = reader_new (max_frame_size);

  reader->input = g_object_ref (input);
  reader->own_input = TRUE;
  if (!read_response (reader, NULL, error)) {
    gst_mjpeg_http_reader_free (reader);
    return NULL;
  }
  return reader;
}

/* Seconds as our sinks write them, digits with up to 6 decimals, in
 * microseconds; -1 for anything else (signs, hex, exponents, junk). */
static gint64
parse_time (const gchar * text)
{
  gint64 us = 0, scale = G_USEC_PER_SEC;
  const gchar *p = text;
  guint digits = 0;

  for (; g_ascii_isdigit (*p); p++) {
    /* up to the year 2255: the nanoseconds of the meta fit in 64 bits */
    if (++digits > 10)
      return -1;
    us = us * 10 + (*p - '0');
  }
  if (digits == 0)
    return -1;
  us *= G_USEC_PER_SEC;
  if (*p == '.') {
    for (p++; g_ascii_isdigit (*p) && scale > 1; p++) {
      scale /= 10;
      us += (*p - '0') * scale;
    }
  }
  if (*p != '\0' || us > 9 * G_GINT64_CONSTANT (1000000000000000))
    return -1;
  return us;
}

/* The origin's X-Frame-Number and X-Timestamp, when both are there and
 * are what our sinks write. */
static void
read_identity (const gchar * head, GstBuffer * buffer)
{
  gchar *number_text = header_value (head, "X-Frame-Number");
  gchar *time_text = header_value (head, "X-Timestamp");
  guint64 number;
  gint64 time_us;

  if (number_text && time_text && g_ascii_isdigit (number_text[0]) &&
      g_ascii_string_to_unsigned (number_text, 10, 0, G_MAXUINT64, &number,
          NULL) && (time_us = parse_time (time_text)) >= 0)
    gst_mjpeg_http_frame_id_set (buffer, number, time_us);
  g_free (number_text);
  g_free (time_text);
}

static gboolean
is_delimiter (const gchar * delimiter, const guint8 * line, gsize len,
    gboolean * closing)
{
  gsize dlen = delimiter ? strlen (delimiter) : 0;

  if (!delimiter || len < dlen || memcmp (line, delimiter, dlen) != 0)
    return FALSE;
  *closing = len == dlen + 2 && memcmp (line + dlen, "--", 2) == 0;
  return len == dlen || *closing;
}

/* Skips to the next delimiter line; FALSE with @error at the close
 * delimiter or when none comes within max_frame_size. Each byte is
 * scanned once, however the origin cuts its lines. */
static gboolean
skip_to_part (GstMjpegHttpReader * reader, GCancellable * cancellable,
    GError ** error)
{
  gsize skipped = 0, scanned = 0;
  gboolean closing = FALSE;

  for (;;) {
    const guint8 *data = reader->buf->data + reader->start;
    gsize avail = reader->buf->len - reader->start;
    const guint8 *nl = memchr (data + scanned, '\n', avail - scanned);

    if (nl) {
      gsize line = nl - data;
      gsize len = line;

      while (len > 0 && (data[len - 1] == '\r' || data[len - 1] == ' ' ||
              data[len - 1] == '\t'))
        len--;
      reader->start += line + 1;
      skipped += line + 1;
      scanned = 0;
      if (is_delimiter (reader->delimiter, data, len, &closing) ||
          is_delimiter (reader->alt_delimiter, data, len, &closing))
        break;
    } else {
      scanned = avail;
      if (skipped + avail > reader->max_frame_size)
        goto too_large;
      if (fill_or_end (reader, cancellable, error) <= 0)
        return FALSE;
    }
    if (skipped > reader->max_frame_size)
      goto too_large;
  }
  if (closing)
    goto closed;
  return TRUE;

closed:
  g_set_error_literal (error, GST_MJPEG_HTTP_READER_ERROR,
      GST_MJPEG_HTTP_READER_ERROR_ENDED, "the origin ended the stream");
  return FALSE;
too_large:
  g_set_error (error, GST_MJPEG_HTTP_READER_ERROR,
      GST_MJPEG_HTTP_READER_ERROR_TOO_LARGE, "no part delimiter within "
      "max-frame-size (%" G_GSIZE_FORMAT " bytes)", reader->max_frame_size);
  return FALSE;
}

/* Where a line that is a delimiter starts in @data, or NULL. */
static const guint8 *
find_delimiter_line (const gchar * delimiter, const guint8 * data,
    gsize from, gsize avail)
{
  gsize dlen, i;

  if (!delimiter)
    return NULL;
  dlen = strlen (delimiter);
  for (i = from; i + 1 + dlen <= avail; i++) {
    if (data[i] == '\n' && memcmp (data + i + 1, delimiter, dlen) == 0)
      return data + i + 1;
  }
  return NULL;
}

/* The body of a part without Content-Length: up to the line break before
 * the next delimiter, which is left for skip_to_part(). */
static GstBuffer *
read_until_delimiter (GstMjpegHttpReader * reader, GCancellable * cancellable,
    GError ** error)
{
  gsize scanned = 0;

  for (;;) {
    const guint8 *data = reader->buf->data + reader->start;
    gsize avail = reader->buf->len - reader->start;
    const guint8 *hit = find_delimiter_line (reader->delimiter, data,
        scanned, avail);
    const guint8 *alt = find_delimiter_line (reader->alt_delimiter, data,
        scanned, avail);
    gsize dlen = MAX (strlen (reader->delimiter),
        reader->alt_delimiter ? strlen (reader->alt_delimiter) : 0);
    gsize end;

    if (alt && (!hit || alt < hit))
      hit = alt;
    if (hit) {
      /* the body ends before the line break: LF or CRLF */
      end = hit - 1 - data;
      if (end > 0 && data[end - 1] == '\r')
        end--;
      reader->start += hit - data;
      return end > 0 ? gst_buffer_new_memdup (data, end) : gst_buffer_new ();
    }
    /* a delimiter may begin in the last bytes: scan them again */
    scanned = avail > dlen + 1 ? avail - dlen - 1 : 0;
    if (avail > reader->max_frame_size) {
      g_set_error (error, GST_MJPEG_HTTP_READER_ERROR,
          GST_MJPEG_HTTP_READER_ERROR_TOO_LARGE, "a frame of the origin is "
          "larger than max-frame-size (%" G_GSIZE_FORMAT " bytes)",
          reader->max_frame_size);
      return NULL;
    }
    if (fill_or_end (reader, cancellable, error) <= 0)
      return NULL;
  }
}

static GstBuffer *
read_length (GstMjpegHttpReader * reader, gsize length,
    GCancellable * cancellable, GError ** error)
{
  gsize avail = reader->buf->len - reader->start;
  gsize have = MIN (avail, length), got = 0;
  GstBuffer *buffer;
  GstMapInfo map;
  gboolean ok = TRUE;

  if (length > reader->max_frame_size) {
    g_set_error (error, GST_MJPEG_HTTP_READER_ERROR,
        GST_MJPEG_HTTP_READER_ERROR_TOO_LARGE, "a frame of the origin is "
        "larger than max-frame-size (%" G_GSIZE_FORMAT " bytes)",
        reader->max_frame_size);
    return NULL;
  }
  /* an empty part, skipped by the caller */
  if (length == 0)
    return gst_buffer_new ();
  buffer = gst_buffer_new_allocate (NULL, length, NULL);
  gst_buffer_map (buffer, &map, GST_MAP_WRITE);
  memcpy (map.data, reader->buf->data + reader->start, have);
  reader->start += have;
  /* the rest straight into the frame, not through the buffer */
  while (ok && have + got < length) {
    gssize n = g_input_stream_read (reader->input, map.data + have + got,
        length - have - got, cancellable, error);

    if (n < 0 || !check_deadline (reader, error)) {
      ok = FALSE;
    } else if (n == 0) {
      g_set_error_literal (error, GST_MJPEG_HTTP_READER_ERROR,
          GST_MJPEG_HTTP_READER_ERROR_ENDED,
          "the origin closed the connection within a frame");
      ok = FALSE;
    }
    got += MAX (n, 0);
  }
  gst_buffer_unmap (buffer, &map);
  if (!ok)
    gst_clear_buffer (&buffer);
  return buffer;
}

static gboolean
starts_as_jpeg (GstBuffer * buffer)
{
  guint8 soi[2];

  return gst_buffer_extract (buffer, 0, soi, 2) == 2 && soi[0] == 0xff &&
      soi[1] == 0xd8;
}

/* The next JPEG part, with the origin's identity when it gives one;
 * parts of another type, empty ones and ones that do not begin as a JPEG
 * does are skipped. */
GstBuffer *
gst_mjpeg_http_reader_next (GstMjpegHttpReader * reader,
    GCancellable * cancellable, GError ** error)
{
  for (;;) {
    GstBuffer *buffer;
    gchar *head, *type, *length_text;
    guint64 length;
    gboolean jpeg;

    if (!skip_to_part (reader, cancellable, error))
      return NULL;
    if (reader->part_time > 0)
      reader->deadline = g_get_monotonic_time () + reader->part_time;
    /* the head of a part has no status line: a blank first line stands
     * in for it, so that header_value() reads every line of it */
    head = read_head (reader, cancellable, error);
    if (!head)
      return NULL;
    {
      gchar *with_first = g_strconcat ("\n", head, NULL);

      g_free (head);
      head = with_first;
    }
    type = header_value (head, "Content-Type");
    length_text = header_value (head, "Content-Length");
    jpeg = type && g_ascii_strncasecmp (type, "image/jpeg", 10) == 0 &&
        (type[10] == '\0' || type[10] == ';' || g_ascii_isspace (type[10]));

    if (length_text) {
      if (!g_ascii_string_to_unsigned (length_text, 10, 0, G_MAXSIZE, &length,
              NULL)) {
        g_set_error (error, GST_MJPEG_HTTP_READER_ERROR,
            GST_MJPEG_HTTP_READER_ERROR_MALFORMED,
            "the origin sent a part with Content-Length \"%s\"", length_text);
        buffer = NULL;
      } else {
        buffer = read_length (reader, length, cancellable, error);
      }
    } else {
      buffer = read_until_delimiter (reader, cancellable, error);
    }
    g_free (length_text);
    g_free (type);
    if (!buffer) {
      g_free (head);
      return NULL;
    }
    reader->deadline = 0;
    if (jpeg && starts_as_jpeg (buffer)) {
      read_identity (head, buffer);
      g_free (head);
      return buffer;
    }
    g_free (head);
    gst_buffer_unref (buffer);
  }
}

/* The socket is shut first: closing a TLS connection would otherwise
 * write its close notice, and could wait on an origin that reads nothing. */
void
gst_mjpeg_http_reader_free (GstMjpegHttpReader * reader)
{
  if (reader->connection)
    g_socket_shutdown (g_socket_connection_get_socket (reader->connection),
        TRUE, TRUE, NULL);
  if (reader->connection)
    g_io_stream_close (G_IO_STREAM (reader->connection), NULL, NULL);
  g_clear_object (&reader->connection);
  if (reader->own_input)
    g_object_unref (reader->input);
  g_byte_array_unref (reader->buf);
  g_free (reader->delimiter);
  g_free (reader->alt_delimiter);
  g_free (reader);
}
