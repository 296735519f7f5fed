/* mjpeghttp
 * Copyright (C) 2026 mjpeghttp developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

/* Who may watch: the access properties turned, when the element goes to
 * READY, into what the gate applies to every request (a certificate, a
 * password check, a list of hosts, a CORS origin). Every mistake in them is
 * an error here, naming the property or file, rather than a server that
 * runs open or refuses everyone.
 *
 * Threads: made and freed on the thread that changes the element's state;
 * read-only in between, from the server thread and (auth) the threads that
 * check passwords.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstmjpeghttpaccess.h"
#include "gstmjpeghttptls.h"

#include <string.h>

static gboolean
is_blank (const gchar * s)
{
  return !s || !*s;
}

/* Text that goes into a header as it is: no line end may be smuggled in. */
static gboolean
is_header_safe (const gchar * s)
{
  for (; *s; s++) {
    if ((guchar) * s < 0x20 || *s == 0x7f)
      return FALSE;
  }
  return TRUE;
}

/* A host name or an IP address, without port: what a Host header names. */
static gboolean
is_host_name (const gchar * h)
{
  const gchar *c;

  if (!*h || strlen (h) > 253)
    return FALSE;
  if (strchr (h, ':'))
    return g_hostname_is_ip_address (h);
  for (c = h; *c; c++) {
    if (!g_ascii_isalnum (*c) && *c != '.' && *c != '-' && *c != '_')
      return FALSE;
  }
  return TRUE;
}

/* "a, b,[::1]" into { "a", "b", "::1" }; NULL for an empty list. */
static gchar **
parse_hosts (const gchar * list, GError ** error)
{
  gchar **items = g_strsplit (list, ",", -1);
  GPtrArray *hosts = g_ptr_array_new_with_free_func (g_free);
  guint i;

  for (i = 0; items[i]; i++) {
    gchar *h = g_strstrip (items[i]);
    gsize len = strlen (h);

    if (len >= 2 && h[0] == '[' && h[len - 1] == ']') {
      h[len - 1] = '\0';
      h++;
    }
    if (len == 0)
      continue;
    if (!is_host_name (h))
      goto bad_host;
    g_ptr_array_add (hosts, g_ascii_strdown (h, -1));
  }
  g_strfreev (items);
  if (hosts->len == 0) {
    g_ptr_array_unref (hosts);
    return NULL;
  }
  g_ptr_array_add (hosts, NULL);
  return (gchar **) g_ptr_array_free (hosts, FALSE);

  /* ERRORS */
bad_host:
  {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "allowed-hosts: \"%s\" is not a host name or IP address (give "
        "names without port, separated by commas, e.g. "
        "\"camera.local,192.168.1.20\").", items[i]);
    g_strfreev (items);
    g_ptr_array_unref (hosts);
    return NULL;
  }
}

/**
 * gst_mjpeg_http_access_new:
 * @warnings: (element-type utf8): sentences are added to it for what works
 *   but is unsafe or about to fail
 *
 * Returns: (transfer full): the access rules, or NULL with @error set to a
 * sentence naming the property or file at fault.
 */
GstMjpegHttpAccess *
gst_mjpeg_http_access_new (const GstMjpegHttpAccessSettings * settings,
    GPtrArray * warnings, GError ** error)
{
  GstMjpegHttpAccess *access = g_new0 (GstMjpegHttpAccess, 1);
  const gchar *realm = settings->auth_realm;
  gchar *warning = NULL;

  if (!is_blank (settings->auth_user) && !is_blank (settings->auth_file))
    goto two_sources;
  if (is_blank (settings->auth_user) != is_blank (settings->auth_password))
    goto half_pair;
  if (is_blank (settings->tls_certificate) != is_blank (settings->tls_key))
    goto half_tls;
  if (is_blank (realm) || !is_header_safe (realm) || strchr (realm, '"')
      || strchr (realm, '\\'))
    goto bad_realm;
  if (!is_blank (settings->allow_origin)
      && !is_header_safe (settings->allow_origin))
    goto bad_origin;

  if (!is_blank (settings->tls_certificate)) {
    access->certificate = gst_mjpeg_http_tls_load (settings->tls_certificate,
        settings->tls_key, &warning, error);
    if (!access->certificate)
      goto failed;
    if (warning)
      g_ptr_array_add (warnings, warning);
  }

  if (!is_blank (settings->auth_file)) {
    access->auth = gst_mjpeg_http_auth_new_file (settings->auth_file, error);
    if (!access->auth)
      goto failed;
  } else if (!is_blank (settings->auth_user)) {
    if (strchr (settings->auth_user, ':'))
      goto colon_in_user;
    access->auth = gst_mjpeg_http_auth_new_password (settings->auth_user,
        settings->auth_password);
  }
  if (access->auth) {
    /* ffmpeg and OpenCV send no credentials to a challenge without realm */
    access->challenge = g_strdup_printf ("WWW-Authenticate: Basic "
        "realm=\"%s\", charset=\"UTF-8\"\r\n", realm);
    if (!access->certificate)
      g_ptr_array_add (warnings, g_strdup ("Basic auth is on without TLS: "
              "passwords cross the network in clear text. Set tls-certificate "
              "and tls-key, or serve through a proxy that does TLS."));
  }

  if (!is_blank (settings->allowed_hosts)) {
    GError *err = NULL;

    access->allowed_hosts = parse_hosts (settings->allowed_hosts, &err);
    if (err) {
      g_propagate_error (error, err);
      goto failed;
    }
  }
  if (!is_blank (settings->allow_origin))
    access->allow_origin = g_strdup (settings->allow_origin);
  return access;

  /* ERRORS */
two_sources:
  {
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "Set either auth-user and auth-password, or auth-file, not both.");
    goto failed;
  }
half_pair:
  {
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "auth-user and auth-password go together: set both, or neither.");
    goto failed;
  }
half_tls:
  {
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "tls-certificate and tls-key go together: set both, or neither.");
    goto failed;
  }
bad_realm:
  {
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "auth-realm must be a non-empty text without quotes, backslashes or "
        "control characters.");
    goto failed;
  }
bad_origin:
  {
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "allow-origin must not contain control characters or line ends.");
    goto failed;
  }
colon_in_user:
  {
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "auth-user must not contain a colon: Basic auth could not tell the "
        "user from the password.");
    goto failed;
  }
failed:
  {
    gst_mjpeg_http_access_free (access);
    return NULL;
  }
}

/* @host as the request parser keeps it: lower case, no port, no brackets. */
gboolean
gst_mjpeg_http_access_host_allowed (const GstMjpegHttpAccess * access,
    const gchar * host)
{
  return !access->allowed_hosts
      || g_strv_contains ((const gchar * const *) access->allowed_hosts, host);
}

void
gst_mjpeg_http_access_free (GstMjpegHttpAccess * access)
{
  g_clear_object (&access->certificate);
  g_clear_pointer (&access->auth, gst_mjpeg_http_auth_free);
  g_free (access->challenge);
  g_strfreev (access->allowed_hosts);
  g_free (access->allow_origin);
  g_free (access);
}
