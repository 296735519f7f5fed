/* mjpeghttp
 * Copyright (C) 2026 mjpeghttp developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

/* A hostile TLS 1.2 peer for test_tls_renegotiation.py: it completes a
 * handshake with 127.0.0.1:PORT, optionally opens the stream, then sends a
 * renegotiation ClientHello and stalls. It prints how the server took it:
 *
 *   renegotiate PORT [stream] [SECONDS]
 *
 * "closed after N ms" (exit 0) when the server ends the connection within
 * SECONDS (default 5), "still open" (exit 1) otherwise. The certificate is
 * not checked: this peer attacks, it does not care whom. */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <gnutls/gnutls.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static long
now_ms (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
main (int argc, char **argv)
{
  gnutls_certificate_credentials_t cred;
  gnutls_session_t session;
  struct sockaddr_in addr = { 0 };
  struct pollfd pfd;
  char buf[65536];
  int fd, r, stream, seconds;
  long start;

  if (argc < 2) {
    fprintf (stderr, "usage: %s PORT [stream] [SECONDS]\n", argv[0]);
    return 2;
  }
  stream = argc > 2 && !strcmp (argv[2], "stream");
  seconds = argc > 3 ? atoi (argv[3]) : 5;

  gnutls_global_init ();
  gnutls_certificate_allocate_credentials (&cred);
  gnutls_init (&session, GNUTLS_CLIENT);
  /* renegotiation exists up to TLS 1.2 only */
  gnutls_priority_set_direct (session, "NORMAL:-VERS-ALL:+VERS-TLS1.2", NULL);
  gnutls_credentials_set (session, GNUTLS_CRD_CERTIFICATE, cred);

  fd = socket (AF_INET, SOCK_STREAM, 0);
  addr.sin_family = AF_INET;
  addr.sin_port = htons (atoi (argv[1]));
  addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  if (connect (fd, (struct sockaddr *) &addr, sizeof (addr)) < 0) {
    perror ("connect");
    return 2;
  }
  gnutls_transport_set_int (session, fd);
  do
    r = gnutls_handshake (session);
  while (r < 0 && !gnutls_error_is_fatal (r));
  if (r < 0) {
    fprintf (stderr, "handshake: %s\n", gnutls_strerror (r));
    return 2;
  }
  if (stream) {
    const char *req = "GET /stream HTTP/1.1\r\nHost: localhost\r\n\r\n";

    gnutls_record_send (session, req, strlen (req));
    r = gnutls_record_recv (session, buf, sizeof (buf));
    if (r <= 0) {
      fprintf (stderr, "no answer to the stream request\n");
      return 2;
    }
  }

  /* one flight of the new handshake, then nothing; a server quick enough
   * ends the connection before this call returns */
  fcntl (fd, F_SETFL, O_NONBLOCK);
  start = now_ms ();
  r = gnutls_handshake (session);
  if (r == 0) {
    printf ("renegotiated\n");
    return 1;
  }
  if (r != GNUTLS_E_AGAIN && r != GNUTLS_E_INTERRUPTED) {
    printf ("closed after %ld ms (%s)\n", now_ms () - start,
        gnutls_strerror (r));
    return 0;
  }
  /* the server's end: EOF or a reset; frames of the stream are skipped */
  pfd.fd = fd;
  pfd.events = POLLIN;
  while (now_ms () - start < seconds * 1000L) {
    if (poll (&pfd, 1, 100) <= 0)
      continue;
    r = recv (fd, buf, sizeof (buf), 0);
    if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
      printf ("closed after %ld ms\n", now_ms () - start);
      return 0;
    }
  }
  printf ("still open\n");
  return 1;
}
