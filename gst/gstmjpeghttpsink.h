/* mjpeghttp
 * Copyright (C) 2026 mjpeghttp developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

#ifndef __GST_MJPEG_HTTP_SINK_H__
#define __GST_MJPEG_HTTP_SINK_H__

#include <gst/gst.h>
#include <gst/base/gstbasesink.h>

G_BEGIN_DECLS

/**
 * GstMjpegHttpSinkIdleState:
 * @GST_MJPEG_HTTP_SINK_IDLE_STATE_NONE: change nothing, only post the
 *   messages
 * @GST_MJPEG_HTTP_SINK_IDLE_STATE_PAUSED: pause the pipeline
 * @GST_MJPEG_HTTP_SINK_IDLE_STATE_READY: bring the pipeline to READY, which
 *   also stops capture in drivers that keep streaming while PAUSED
 *
 * What the sink does with its pipeline when nobody watches.
 */
typedef enum
{
  GST_MJPEG_HTTP_SINK_IDLE_STATE_NONE,
  GST_MJPEG_HTTP_SINK_IDLE_STATE_PAUSED,
  GST_MJPEG_HTTP_SINK_IDLE_STATE_READY,
} GstMjpegHttpSinkIdleState;

#define GST_TYPE_MJPEG_HTTP_SINK_IDLE_STATE (gst_mjpeg_http_sink_idle_state_get_type ())
GType gst_mjpeg_http_sink_idle_state_get_type (void);

/**
 * GstMjpegHttpSinkClientStatus:
 * @GST_MJPEG_HTTP_SINK_CLIENT_STATUS_CLOSED: the client closed the
 *   connection
 * @GST_MJPEG_HTTP_SINK_CLIENT_STATUS_EOS: the stream ended (end of stream);
 *   the client was sent the closing delimiter
 * @GST_MJPEG_HTTP_SINK_CLIENT_STATUS_SLOW: the client accepted no bytes for
 *   #GstMjpegHttpSink:timeout
 * @GST_MJPEG_HTTP_SINK_CLIENT_STATUS_ERROR: reading from or writing to the
 *   client failed
 * @GST_MJPEG_HTTP_SINK_CLIENT_STATUS_SENT_DATA: the client kept sending
 *   data after its request
 * @GST_MJPEG_HTTP_SINK_CLIENT_STATUS_STOPPED: the server stopped (the
 *   element went from READY to NULL)
 *
 * Why a stream client was removed, as #GstMjpegHttpSink::client-removed
 * says.
 */
typedef enum
{
  GST_MJPEG_HTTP_SINK_CLIENT_STATUS_CLOSED,
  GST_MJPEG_HTTP_SINK_CLIENT_STATUS_EOS,
  GST_MJPEG_HTTP_SINK_CLIENT_STATUS_SLOW,
  GST_MJPEG_HTTP_SINK_CLIENT_STATUS_ERROR,
  GST_MJPEG_HTTP_SINK_CLIENT_STATUS_SENT_DATA,
  GST_MJPEG_HTTP_SINK_CLIENT_STATUS_STOPPED,
} GstMjpegHttpSinkClientStatus;

#define GST_MJPEG_HTTP_SINK_N_CLIENT_STATUS (GST_MJPEG_HTTP_SINK_CLIENT_STATUS_STOPPED + 1)

#define GST_TYPE_MJPEG_HTTP_SINK_CLIENT_STATUS (gst_mjpeg_http_sink_client_status_get_type ())
GType gst_mjpeg_http_sink_client_status_get_type (void);

#define GST_TYPE_MJPEG_HTTP_SINK (gst_mjpeg_http_sink_get_type ())
G_DECLARE_FINAL_TYPE (GstMjpegHttpSink, gst_mjpeg_http_sink, GST,
    MJPEG_HTTP_SINK, GstBaseSink);

GST_ELEMENT_REGISTER_DECLARE (mjpeghttpsink);

G_END_DECLS

#endif /* __GST_MJPEG_HTTP_SINK_H__ */
