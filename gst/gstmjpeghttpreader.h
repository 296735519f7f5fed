/* mjpeghttp
 * Copyright (C) 2026 mjpeghttp developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

#ifndef __GST_MJPEG_HTTP_READER_H__
#define __GST_MJPEG_HTTP_READER_H__

#include <gio/gio.h>
#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_MJPEG_HTTP_READER_ERROR (gst_mjpeg_http_reader_error_quark ())
GQuark gst_mjpeg_http_reader_error_quark (void);

/* Why a stream could not be read. The first two stay as they are until
 * someone changes a setting; the others may mend on another try. */
typedef enum
{
  GST_MJPEG_HTTP_READER_ERROR_REFUSED,
  GST_MJPEG_HTTP_READER_ERROR_NOT_A_STREAM,
  GST_MJPEG_HTTP_READER_ERROR_UNAVAILABLE,
  GST_MJPEG_HTTP_READER_ERROR_ENDED,
  GST_MJPEG_HTTP_READER_ERROR_TOO_LARGE,
  GST_MJPEG_HTTP_READER_ERROR_MALFORMED,
} GstMjpegHttpReaderError;

typedef struct
{
  const gchar *uri;
  /* Basic credentials, sent with the request when both are set */
  const gchar *user;
  const gchar *password;
  /* the authorities to trust for https; NULL: the system's */
  GTlsDatabase *database;
  /* seconds without a byte before a read fails */
  guint timeout;
  /* the largest part or header block taken */
  gsize max_frame_size;
} GstMjpegHttpReaderConfig;

typedef struct _GstMjpegHttpReader GstMjpegHttpReader;

GstMjpegHttpReader * gst_mjpeg_http_reader_open  (const GstMjpegHttpReaderConfig * config,
                                                  GCancellable * cancellable,
                                                  GError ** error);

GstMjpegHttpReader * gst_mjpeg_http_reader_new_for_input (GInputStream * input,
                                                  gsize max_frame_size,
                                                  GError ** error);

GstBuffer *          gst_mjpeg_http_reader_next  (GstMjpegHttpReader * reader,
                                                  GCancellable * cancellable,
                                                  GError ** error);

void                 gst_mjpeg_http_reader_free  (GstMjpegHttpReader * reader);

G_END_DECLS

#endif /* __GST_MJPEG_HTTP_READER_H__ */
