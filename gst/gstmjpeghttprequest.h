/* mjpeghttp
 * Copyright (C) 2026 mjpeghttp developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

#ifndef __GST_MJPEG_HTTP_REQUEST_H__
#define __GST_MJPEG_HTTP_REQUEST_H__

#include <glib.h>

G_BEGIN_DECLS

/* A longer request line gets 414; a longer head, or more header lines, 431. */
#define GST_MJPEG_HTTP_REQUEST_LINE_MAX 4096
#define GST_MJPEG_HTTP_REQUEST_HEAD_MAX 16384
#define GST_MJPEG_HTTP_REQUEST_HEADERS_MAX 64

#define GST_MJPEG_HTTP_ETAG_MAX 128
/* a DNS name's limit; a longer Host names nothing we could allow */
#define GST_MJPEG_HTTP_HOST_MAX 253
/* Basic credentials of up to 765 bytes; longer is refused (400) */
#define GST_MJPEG_HTTP_AUTHORIZATION_MAX 1024
/* the highest frame rate cap, ?fps= or the max-fps property */
#define GST_MJPEG_HTTP_FPS_MAX 1000.0
/* one frame in 100 s: a client that asks for less could hold its slot for
 * hours without reading before its socket's buffers fill and it is found
 * stalled */
#define GST_MJPEG_HTTP_FPS_MIN 0.01

typedef enum
{
  GST_MJPEG_HTTP_PARSE_COMPLETE,        /* a valid GET or HEAD request head */
  GST_MJPEG_HTTP_PARSE_INCOMPLETE,      /* nothing wrong so far: more bytes */
  GST_MJPEG_HTTP_PARSE_BAD_REQUEST,     /* 400 */
  GST_MJPEG_HTTP_PARSE_METHOD_NOT_ALLOWED,      /* 405 */
  GST_MJPEG_HTTP_PARSE_URI_TOO_LONG,    /* 414 */
  GST_MJPEG_HTTP_PARSE_EXPECTATION_FAILED,      /* 417 */
  GST_MJPEG_HTTP_PARSE_HEADERS_TOO_LARGE,       /* 431 */
  GST_MJPEG_HTTP_PARSE_NOT_IMPLEMENTED, /* 501: a request body */
  GST_MJPEG_HTTP_PARSE_VERSION_NOT_SUPPORTED,   /* 505 */
} GstMjpegHttpParseResult;

typedef enum
{
  GST_MJPEG_HTTP_METHOD_GET,
  GST_MJPEG_HTTP_METHOD_HEAD,
} GstMjpegHttpMethod;

typedef enum
{
  GST_MJPEG_HTTP_ROUTE_NOT_FOUND,
  GST_MJPEG_HTTP_ROUTE_VIEWER,
  GST_MJPEG_HTTP_ROUTE_STREAM,
  GST_MJPEG_HTTP_ROUTE_SNAPSHOT,
  GST_MJPEG_HTTP_ROUTE_STATS,
  GST_MJPEG_HTTP_ROUTE_METRICS,
  GST_MJPEG_HTTP_ROUTE_EVENTS,
} GstMjpegHttpRoute;

/* The path of each resource; a NULL path is not served. */
typedef struct
{
  const gchar *viewer;
  const gchar *stream;
  const gchar *snapshot;
  const gchar *stats;
  const gchar *metrics;
  const gchar *events;
} GstMjpegHttpPaths;

/* What a request asks for beyond its path, parsed once from the query. */
typedef struct
{
  gboolean advance_headers;
  GstMjpegHttpRoute action;     /* mjpg-streamer's ?action=, or NOT_FOUND */
  /* ?fps=: at most this many frames a second to this stream client, in
   * [GST_MJPEG_HTTP_FPS_MIN, GST_MJPEG_HTTP_FPS_MAX]; 0 when not asked for */
  gdouble fps;
} GstMjpegHttpOptions;

/* A request head, parsed and checked. Strings are NUL-terminated copies,
 * so the struct owns nothing and can be copied. */
typedef struct
{
  GstMjpegHttpMethod method;
  guint http_minor;             /* HTTP/1.0 or HTTP/1.1 */
  gsize head_len;               /* bytes of the head, final empty line included */
  gchar path[GST_MJPEG_HTTP_REQUEST_LINE_MAX];
  GstMjpegHttpOptions options;
  /* empty when absent or longer than GST_MJPEG_HTTP_ETAG_MAX */
  gchar if_none_match[GST_MJPEG_HTTP_ETAG_MAX + 1];
  /* the host the request is for, from an absolute target or else the Host
   * header: lower case, without port or IPv6 brackets; empty when absent
   * or longer than GST_MJPEG_HTTP_HOST_MAX */
  gchar host[GST_MJPEG_HTTP_HOST_MAX + 1];
  gboolean absolute_target;
  /* the Authorization header's value, empty when absent */
  gchar authorization[GST_MJPEG_HTTP_AUTHORIZATION_MAX + 1];
  /* on failure: a sentence for the answer's body */
  const gchar *error;
} GstMjpegHttpRequest;

GstMjpegHttpParseResult gst_mjpeg_http_request_parse (const gchar * data,
                                                      gsize len,
                                                      GstMjpegHttpRequest * req);

guint               gst_mjpeg_http_parse_result_status (GstMjpegHttpParseResult result);

void                gst_mjpeg_http_paths_copy (GstMjpegHttpPaths * dest,
                                               const GstMjpegHttpPaths * src);

void                gst_mjpeg_http_paths_clear (GstMjpegHttpPaths * paths);

GstMjpegHttpRoute   gst_mjpeg_http_request_route (const GstMjpegHttpRequest * req,
                                                  const GstMjpegHttpPaths * paths);

G_END_DECLS

#endif /* __GST_MJPEG_HTTP_REQUEST_H__ */
