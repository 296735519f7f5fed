/* mjpeghttp
 * Copyright (C) 2026 mjpeghttp developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

#ifndef __GST_MJPEG_HTTP_ACCESS_H__
#define __GST_MJPEG_HTTP_ACCESS_H__

#include <gio/gio.h>

#include "gstmjpeghttpauth.h"

G_BEGIN_DECLS

/* The properties that decide who may watch, as the user set them. */
typedef struct
{
  const gchar *auth_user;
  const gchar *auth_password;
  const gchar *auth_file;
  const gchar *auth_realm;
  const gchar *tls_certificate;
  const gchar *tls_key;
  const gchar *allowed_hosts;
  const gchar *allow_origin;
} GstMjpegHttpAccessSettings;

/* Who may watch, checked and loaded: fixed while the server runs, read by
 * the server thread and (auth) by password-checking threads. */
typedef struct
{
  GTlsCertificate *certificate;         /* NULL: plain http */
  GstMjpegHttpAuth *auth;               /* NULL: no password */
  /* with its line end; NULL without auth */
  gchar *challenge;
  gchar **allowed_hosts;                /* NULL: any host */
  gchar *allow_origin;                  /* NULL: no CORS header */
} GstMjpegHttpAccess;

GstMjpegHttpAccess * gst_mjpeg_http_access_new (const GstMjpegHttpAccessSettings * settings,
                                                GPtrArray * warnings,
                                                GError ** error);

gboolean             gst_mjpeg_http_access_host_allowed (const GstMjpegHttpAccess * access,
                                                         const gchar * host);

void                 gst_mjpeg_http_access_free (GstMjpegHttpAccess * access);

G_END_DECLS

#endif /* __GST_MJPEG_HTTP_ACCESS_H__ */
