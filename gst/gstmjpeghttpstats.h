/* mjpeghttp
 * Copyright (C) 2026 mjpeghttp developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

#ifndef __GST_MJPEG_HTTP_STATS_H__
#define __GST_MJPEG_HTTP_STATS_H__

#include "gstmjpeghttpsink.h"

G_BEGIN_DECLS

/* Why a connection was answered or closed before any handler saw it. */
typedef enum
{
  GST_MJPEG_HTTP_REFUSAL_BAD_REQUEST,   /* 400 */
  GST_MJPEG_HTTP_REFUSAL_METHOD_NOT_ALLOWED,    /* 405 */
  GST_MJPEG_HTTP_REFUSAL_HEADER_TIMEOUT,        /* 408: head not complete in time */
  GST_MJPEG_HTTP_REFUSAL_EVICTED,       /* 408: made room for a newer connection */
  GST_MJPEG_HTTP_REFUSAL_URI_TOO_LONG,  /* 414 */
  GST_MJPEG_HTTP_REFUSAL_HEADERS_TOO_LARGE,     /* 431 */
  GST_MJPEG_HTTP_REFUSAL_UNSUPPORTED,   /* 417, 501, 505 */
  GST_MJPEG_HTTP_REFUSAL_RATE_LIMITED,  /* 429 */
  GST_MJPEG_HTTP_REFUSAL_TOO_MANY_CLIENTS,      /* 503: max-clients */
  GST_MJPEG_HTTP_REFUSAL_TOO_MANY_FROM_ADDRESS, /* 503: max-clients-per-address */
  GST_MJPEG_HTTP_REFUSAL_SNAPSHOT_QUEUE_FULL,   /* 503: too many wait for a first frame */
  GST_MJPEG_HTTP_REFUSAL_SLOW_READER,   /* an answer cut off: no byte taken for timeout */
  GST_MJPEG_HTTP_REFUSAL_UNAUTHORIZED,  /* 401: no credentials */
  GST_MJPEG_HTTP_REFUSAL_WRONG_PASSWORD,        /* 401: wrong credentials */
  GST_MJPEG_HTTP_REFUSAL_LOCKED_OUT,    /* 429: too many wrong passwords */
  GST_MJPEG_HTTP_REFUSAL_CHECKS_BUSY,   /* 503: a password check is running */
  GST_MJPEG_HTTP_REFUSAL_HOST_NOT_ALLOWED,      /* 421: Host not in allowed-hosts */
  GST_MJPEG_HTTP_REFUSAL_NOT_TLS,       /* 400: plain http on the https port */
  GST_MJPEG_HTTP_REFUSAL_TLS_FAILED,    /* the TLS handshake failed */
  GST_MJPEG_HTTP_N_REFUSALS
} GstMjpegHttpRefusal;

/* Figures that outlive the server, updated on the server thread and read
 * from any: every field is accessed atomically. */
typedef struct
{
  gint clients;                 /* stream clients now */
  gint pending_connections;     /* connections whose request is not complete */
  guint64 refused[GST_MJPEG_HTTP_N_REFUSALS];
  guint64 removed[GST_MJPEG_HTTP_SINK_N_CLIENT_STATUS];
  /* to every stream client ever, as far as the kernel took it: bytes with
   * the multipart framing, and whole frames */
  guint64 bytes_served;
  guint64 frames_served;
} GstMjpegHttpStats;

void           gst_mjpeg_http_stats_count_refusal (GstMjpegHttpStats * stats,
                                                   GstMjpegHttpRefusal refusal);

void           gst_mjpeg_http_stats_count_removal (GstMjpegHttpStats * stats,
                                                   GstMjpegHttpSinkClientStatus status);

void           gst_mjpeg_http_stats_count_sent (GstMjpegHttpStats * stats,
                                                gsize bytes,
                                                guint frames);

guint64        gst_mjpeg_http_stats_get_bytes_served (GstMjpegHttpStats * stats);

guint64        gst_mjpeg_http_stats_get_frames_served (GstMjpegHttpStats * stats);

const gchar *  gst_mjpeg_http_refusal_nick (GstMjpegHttpRefusal refusal);

GstStructure * gst_mjpeg_http_stats_to_structure (GstMjpegHttpStats * stats);

G_END_DECLS

#endif /* __GST_MJPEG_HTTP_STATS_H__ */
