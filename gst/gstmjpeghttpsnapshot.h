/* mjpeghttp
 * Copyright (C) 2026 mjpeghttp developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

#ifndef __GST_MJPEG_HTTP_SNAPSHOT_H__
#define __GST_MJPEG_HTTP_SNAPSHOT_H__

#include <libsoup/soup.h>

#include "gstmjpeghttpframe.h"
#include "gstmjpeghttpstats.h"

G_BEGIN_DECLS

typedef struct _GstMjpegHttpSnapshots GstMjpegHttpSnapshots;

/* Called on the server thread. */
typedef struct
{
  /* sets the headers every answer has */
  void (*prepare) (SoupServerMessage * msg, gpointer user_data);
  /* libsoup writes @msg's answer from now on */
  void (*answering) (SoupServerMessage * msg, gpointer user_data);
  /* a snapshot started or stopped waiting (the idle countdown cares) */
  void (*waiting_changed) (gpointer user_data);
} GstMjpegHttpSnapshotCallbacks;

GstMjpegHttpSnapshots * gst_mjpeg_http_snapshots_new (GMainContext * context,
                                                      GstMjpegHttpStats * stats,
                                                      const GstMjpegHttpSnapshotCallbacks * callbacks,
                                                      gpointer user_data);

void                    gst_mjpeg_http_snapshots_free (GstMjpegHttpSnapshots * snapshots);

void                    gst_mjpeg_http_snapshots_set_timeout (GstMjpegHttpSnapshots * snapshots,
                                                              guint timeout_ms);

void                    gst_mjpeg_http_snapshots_handle (GstMjpegHttpSnapshots * snapshots,
                                                         SoupServerMessage * msg,
                                                         gboolean head,
                                                         gboolean fresh);

void                    gst_mjpeg_http_snapshots_set_frame (GstMjpegHttpSnapshots * snapshots,
                                                            GstMjpegHttpFrame * frame);

void                    gst_mjpeg_http_snapshots_end (GstMjpegHttpSnapshots * snapshots);

gboolean                gst_mjpeg_http_snapshots_is_waiting (GstMjpegHttpSnapshots * snapshots);

G_END_DECLS

#endif /* __GST_MJPEG_HTTP_SNAPSHOT_H__ */
