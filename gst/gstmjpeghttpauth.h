/* mjpeghttp
 * Copyright (C) 2026 mjpeghttp developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

#ifndef __GST_MJPEG_HTTP_AUTH_H__
#define __GST_MJPEG_HTTP_AUTH_H__

#include <glib.h>

G_BEGIN_DECLS

typedef struct _GstMjpegHttpAuth GstMjpegHttpAuth;

typedef enum
{
  GST_MJPEG_HTTP_AUTH_GRANTED,
  /* no Authorization header, or not Basic: answer with a challenge */
  GST_MJPEG_HTTP_AUTH_MISSING,
  /* malformed, unknown user or wrong password */
  GST_MJPEG_HTTP_AUTH_DENIED,
  /* only from _check(): call _verify() off the server thread */
  GST_MJPEG_HTTP_AUTH_NEEDS_HASH,
} GstMjpegHttpAuthResult;

/* One user and one password, of which only keyed digests are kept. The
 * user is not empty and has no ':' (RFC 7617). _check() decides at once:
 * never NEEDS_HASH. */
GstMjpegHttpAuth *  gst_mjpeg_http_auth_new_password (const gchar * user,
                                                      const gchar * password);

/* Reads an htpasswd-style file once: "user:hash" lines, bcrypt (htpasswd -B)
 * or SHA-512-crypt (mkpasswd -m sha-512). On failure NULL and @error names
 * the file and, for a bad line, its number and what is wrong with it. */
GstMjpegHttpAuth *  gst_mjpeg_http_auth_new_file (const gchar * path,
                                                  GError ** error);

/* Fast, never hashes; for the server thread. @authorization: the header's
 * value, or NULL when there is none. */
GstMjpegHttpAuthResult gst_mjpeg_http_auth_check (GstMjpegHttpAuth * auth,
                                                  const gchar * authorization);

/* Decides for good; may take milliseconds (crypt), so not on the server
 * thread. Safe from any thread, concurrently. Never NEEDS_HASH. */
GstMjpegHttpAuthResult gst_mjpeg_http_auth_verify (GstMjpegHttpAuth * auth,
                                                   const gchar * authorization);

void                gst_mjpeg_http_auth_free (GstMjpegHttpAuth * auth);

/* Frees a password (or any secret string, NULL too) without leaving it in
 * freed memory. */
void                gst_mjpeg_http_auth_free_secret (gchar * secret);

G_END_DECLS

#endif /* __GST_MJPEG_HTTP_AUTH_H__ */
