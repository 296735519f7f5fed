/* sockets: setting up the bench tools' TCP sockets (see sockets.h). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "die.h"
#include "sockets.h"

/* HOST[:PORT] at @hostport, the part of @url after its scheme: fills @sa,
 * @host (HOST alone) and @port (80 by default) and returns what follows the
 * port.  Dies unless HOST is localhost or a numeric 127.x.x.x: a load or
 * attack tool must never be pointed at someone else's server. */
const char *
loopback_server (const char *url, const char *hostport,
    struct sockaddr_in *sa, char *host, size_t host_size, long *port)
{
  size_t hlen = strcspn (hostport, ":/");
  const char *rest = hostport + hlen;
  char *end;

  if (hlen == 0 || hlen >= host_size)
    die ("bad host in %s", url);
  memcpy (host, hostport, hlen);
  host[hlen] = '\0';
  *port = 80;
  if (*rest == ':') {
    *port = strtol (rest + 1, &end, 10);
    rest = end;
  }
  if (*port <= 0 || *port > 65535)
    die ("bad port in %s", url);

  memset (sa, 0, sizeof *sa);
  sa->sin_family = AF_INET;
  sa->sin_port = htons (*port);
  if (strcmp (host, "localhost") == 0)
    sa->sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  else if (inet_pton (AF_INET, host, &sa->sin_addr) != 1)
    die ("host must be a numeric 127.x.x.x address: %s", host);
  if ((ntohl (sa->sin_addr.s_addr) >> 24) != 127)
    die ("refusing non-loopback host %s", host);
  return rest;
}

/* A non-blocking connect to @server, under way: from @src's address if
 * not NULL, with a receive buffer of @rcvbuf bytes if not 0.  Returns the
 * socket, or -1 with errno set and @failed naming the step. */
int
connect_from (const struct sockaddr_in *server,
    const struct sockaddr_in *src, int rcvbuf, ConnectStep * failed)
{
  int fd, one = 1, err;

  fd = socket (AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *failed = CONNECT_SOCKET;
    return -1;
  }
  /* before connect(): the receive window is announced in the handshake */
  if (rcvbuf > 0)
    setsockopt (fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  if (src) {
    /* the port is picked by connect(), per destination: thousands of
     * connections from one address do not run bind() out of ports */
    setsockopt (fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    if (bind (fd, (const struct sockaddr *) src, sizeof *src) < 0) {
      *failed = CONNECT_BIND;
      goto fail;
    }
  }
  if (connect (fd, (const struct sockaddr *) server, sizeof *server) < 0
      && errno != EINPROGRESS) {
    *failed = CONNECT_CONNECT;
    goto fail;
  }
  return fd;

fail:
  /* the caller reports why: close() must not change it */
  err = errno;
  close (fd);
  errno = err;
  return -1;
}

/* Once a connect under way is writable or in error: 0 if it succeeded,
 * else its errno. */
int
connect_result (int fd)
{
  int err = 0;
  socklen_t len = sizeof err;

  if (getsockopt (fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
    return errno;
  return err;
}

/* Raises the soft limit on descriptors to the hard one, since a thousand
 * clients need more than the usual 1024.  Returns the soft limit then in
 * force, RLIM_INFINITY when it cannot be told. */
rlim_t
raise_nofile (void)
{
  struct rlimit rl;

  if (getrlimit (RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit (RLIMIT_NOFILE, &rl);
  }
  if (getrlimit (RLIMIT_NOFILE, &rl) != 0)
    return RLIM_INFINITY;
  return rl.rlim_cur;
}
