/* sockets: setting up the bench tools' TCP sockets, which only ever reach
 * 127.0.0.0/8: the server's address from a URL, non-blocking connects from
 * a chosen source address, and descriptors enough for a thousand of them. */
#ifndef BENCH_SOCKETS_H
#define BENCH_SOCKETS_H

#include <netinet/in.h>
#include <stddef.h>
#include <sys/resource.h>

/* the step of connect_from() that failed */
typedef enum
{
  CONNECT_SOCKET,
  CONNECT_BIND,
  CONNECT_CONNECT
} ConnectStep;

const char *loopback_server (const char *url, const char *hostport,
    struct sockaddr_in *sa, char *host, size_t host_size, long *port);
int connect_from (const struct sockaddr_in *server,
    const struct sockaddr_in *src, int rcvbuf, ConnectStep * failed);
int connect_result (int fd);
rlim_t raise_nofile (void);

#endif
