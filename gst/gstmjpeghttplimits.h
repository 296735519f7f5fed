/* mjpeghttp
 * Copyright (C) 2026 mjpeghttp developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

#ifndef __GST_MJPEG_HTTP_LIMITS_H__
#define __GST_MJPEG_HTTP_LIMITS_H__

#include <glib.h>

G_BEGIN_DECLS

/* What one peer, or all of them, may take. Unlike the listening address and
 * the paths, these may change while the server runs (the element's
 * GST_PARAM_MUTABLE_PLAYING properties). 0 means no limit everywhere but
 * header_timeout_ms, which is never 0, and snapshot_timeout_ms (no wait). */
typedef struct
{
  guint max_clients;            /* stream clients in all */
  guint max_clients_per_address;        /* stream clients from one address */
  guint max_pending;            /* connections whose request is not complete */
  guint header_timeout_ms;      /* to send a complete request head */
  guint64 timeout_us;           /* a stream client that takes no byte */
  guint request_rate;           /* short requests a second per address */
  guint request_burst;
  guint idle_timeout_ms;        /* nobody watching before idle() */
  gdouble max_fps;              /* frames a second to each stream client */
  /* a snapshot of an idle sink waits this long for a new frame */
  guint snapshot_timeout_ms;
} GstMjpegHttpLimits;

G_END_DECLS

#endif /* __GST_MJPEG_HTTP_LIMITS_H__ */
