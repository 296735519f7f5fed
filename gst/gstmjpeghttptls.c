/* mjpeghttp
 * Copyright (C) 2026 mjpeghttp developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

/* The server's certificate: loaded from PEM files when the element goes to
 * READY and proven there, so that every mistake is an error that names the
 * file before any client connects, not a handshake that fails for every
 * viewer later.
 *
 * GIO loads a certificate with any private key without checking that they
 * belong together; a key of another certificate only shows when a client
 * checks the handshake's signature. So the pair is proven by one handshake
 * with ourselves over a socket pair, through the same TLS backend that will
 * serve the clients: it also proves that the backend (glib-networking) is
 * there and takes this key type.
 *
 * Threads: runs on the thread that sets the element's state; the proving
 * handshake's server side runs on a thread of its own for its duration.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstmjpeghttptls.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* A handshake with ourselves takes milliseconds; this only bounds a broken
 * backend. */
#define PROOF_TIMEOUT_S 10

typedef struct
{
  GIOStream *server;
  GIOStream *base;
  GError *error;
} ProofServer;

static gpointer
proof_server_thread (gpointer data)
{
  ProofServer *ps = data;

  if (!g_tls_connection_handshake (G_TLS_CONNECTION (ps->server), NULL,
          &ps->error))
    /* a failed server must not leave the client side waiting */
    g_io_stream_close (ps->base, NULL, NULL);
  return NULL;
}

static gboolean
accept_any (GTlsConnection * conn, GTlsCertificate * peer_cert,
    GTlsCertificateFlags errors, gpointer user_data)
{
  /* only the key is on trial here, not who signed the certificate */
  return TRUE;
}

static GIOStream *
socket_stream (gint fd, GError ** error)
{
  GSocket *socket = g_socket_new_from_fd (fd, error);
  GIOStream *stream;

  if (!socket) {
    close (fd);
    return NULL;
  }
  g_socket_set_timeout (socket, PROOF_TIMEOUT_S);
  stream = G_IO_STREAM (g_socket_connection_factory_create_connection (socket));
  g_object_unref (socket);
  return stream;
}

/* A handshake of a client with a server that uses @cert: fails when the key
 * cannot sign for the certificate. */
static gboolean
prove (GTlsCertificate * cert, GError ** error)
{
  ProofServer ps = { NULL, NULL, NULL };
  GIOStream *client_base = NULL, *server_base = NULL, *client = NULL;
  GThread *thread;
  GError *client_error = NULL;
  gint fds[2];
  gboolean ok = FALSE;

  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
        "cannot make a socket pair: %s", g_strerror (errno));
    return FALSE;
  }
  server_base = socket_stream (fds[0], error);
  if (!server_base) {
    close (fds[1]);
    goto out;
  }
  client_base = socket_stream (fds[1], error);
  if (!client_base)
    goto out;
  ps.base = server_base;

  ps.server = G_IO_STREAM (g_tls_server_connection_new (server_base, cert,
          error));
  if (!ps.server)
    goto out;
  client = G_IO_STREAM (g_tls_client_connection_new (client_base, NULL, error));
  if (!client)
    goto out;
  g_signal_connect (client, "accept-certificate", G_CALLBACK (accept_any),
      NULL);

  thread = g_thread_new ("mjpeghttp-tls-proof", proof_server_thread, &ps);
  ok = g_tls_connection_handshake (G_TLS_CONNECTION (client), NULL,
      &client_error);
  if (!ok)
    /* a failed client must not leave the server side waiting */
    g_io_stream_close (client_base, NULL, NULL);
  g_thread_join (thread);

  /* the server's reason names the key; the client only saw it hang up */
  if (ps.error) {
    ok = FALSE;
    g_propagate_error (error, g_steal_pointer (&ps.error));
  } else if (!ok) {
    g_propagate_error (error, g_steal_pointer (&client_error));
  }

out:
  g_clear_error (&ps.error);
  g_clear_error (&client_error);
  g_clear_object (&client);
  g_clear_object (&ps.server);
  g_clear_object (&client_base);
  g_clear_object (&server_base);
  return ok;
}

static gchar *
read_pem (const gchar * path, const gchar * what, GError ** error)
{
  gchar *contents = NULL;
  GError *err = NULL;

  if (!g_file_get_contents (path, &contents, NULL, &err)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
        "Cannot read the TLS %s file \"%s\": %s", what, path, err->message);
    g_error_free (err);
    return NULL;
  }
  return contents;
}

/**
 * gst_mjpeg_http_tls_load:
 * @certificate_file: a PEM file: the certificate, then any intermediates
 * @key_file: a PEM file with the certificate's private key
 * @warning: (out) (transfer full): set to a sentence when the pair works
 *   but clients will refuse it (expired, not valid yet)
 *
 * Returns: (transfer full): the certificate with its key, or NULL with
 * @error a sentence that names the file at fault.
 */
GTlsCertificate *
gst_mjpeg_http_tls_load (const gchar * certificate_file,
    const gchar * key_file, gchar ** warning, GError ** error)
{
  GTlsCertificate *cert = NULL, *alone;
  gchar *cert_pem = NULL, *key_pem = NULL, *both;
  GDateTime *not_before = NULL, *not_after = NULL, *now;
  GError *err = NULL;

  *warning = NULL;
  if (!g_tls_backend_supports_tls (g_tls_backend_get_default ()))
    goto no_backend;
  cert_pem = read_pem (certificate_file, "certificate", error);
  if (!cert_pem)
    goto out;
  key_pem = read_pem (key_file, "key", error);
  if (!key_pem)
    goto out;

  if (!strstr (key_pem, "PRIVATE KEY-----"))
    goto no_key;
  alone = g_tls_certificate_new_from_pem (cert_pem, -1, &err);
  if (!alone)
    goto bad_certificate;
  g_object_unref (alone);

  /* GIO takes the first certificate and the first key of one PEM text;
   * the key file comes first so that a key left in the certificate file
   * does not win over it */
  both = g_strconcat (key_pem, "\n", cert_pem, NULL);
  cert = g_tls_certificate_new_from_pem (both, -1, &err);
  g_free (both);
  if (!cert)
    goto bad_key;

  if (!prove (cert, &err))
    goto mismatch;

  g_object_get (cert, "not-valid-before", &not_before, "not-valid-after",
      &not_after, NULL);
  now = g_date_time_new_now_utc ();
  if (not_after && g_date_time_compare (now, not_after) > 0) {
    gchar *when = g_date_time_format_iso8601 (not_after);

    *warning = g_strdup_printf ("The TLS certificate \"%s\" expired on %s: "
        "clients will refuse it. Renew it.", certificate_file, when);
    g_free (when);
  } else if (not_before && g_date_time_compare (now, not_before) < 0) {
    gchar *when = g_date_time_format_iso8601 (not_before);

    *warning = g_strdup_printf ("The TLS certificate \"%s\" is not valid "
        "before %s: clients will refuse it until then (is the clock right?).",
        certificate_file, when);
    g_free (when);
  }
  g_date_time_unref (now);
  g_clear_pointer (&not_before, g_date_time_unref);
  g_clear_pointer (&not_after, g_date_time_unref);

out:
  if (key_pem) {
    /* the private key: not left in freed memory */
    memset (key_pem, 0, strlen (key_pem));
    g_free (key_pem);
  }
  g_free (cert_pem);
  return cert;

  /* ERRORS */
no_backend:
  {
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
        "GIO has no TLS support, so https cannot be served: install "
        "glib-networking.");
    goto out;
  }
bad_certificate:
  {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "The TLS certificate file \"%s\" holds no usable PEM certificate "
        "(%s).", certificate_file, err->message);
    g_clear_error (&err);
    goto out;
  }
bad_key:
  {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "The TLS key file \"%s\" holds no usable PEM private key (%s); it "
        "must not be encrypted with a passphrase.", key_file, err->message);
    g_clear_error (&err);
    goto out;
  }
no_key:
  {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "The TLS key file \"%s\" holds no PEM private key.", key_file);
    goto out;
  }
mismatch:
  {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "The TLS key file \"%s\" does not belong to the certificate in "
        "\"%s\": a handshake with them fails (%s).", key_file,
        certificate_file, err->message);
    g_clear_error (&err);
    g_clear_object (&cert);
    goto out;
  }
}
