/*
 * floor: the cheapest MJPEG-over-HTTP fan-out we know how to write, so that
 * bench/run-bench.sh has a lower bound to compare mjpeghttpsink against.
 * Linux only, libc only.
 *
 *   floor --port N --frames-dir DIR --fps F [--address 127.0.0.1]
 *
 * Every *.jpg of DIR is read into memory once, sorted by name, and the files
 * are published in a loop at F frames per second.  GET /snapshot... gets the
 * newest frame as one image/jpeg response; any other path gets a
 * multipart/x-mixed-replace stream (boundary "floorboundary") in which every
 * part carries an X-Timestamp (wall clock when the frame was published), so
 * that the load client can measure delays.  Only loopback addresses are
 * accepted: this is a benchmark tool, not a server.
 *
 * Threads: one.  It runs a single epoll loop over the listening socket, a
 * timerfd that paces the frames, a signalfd for SIGINT / SIGTERM and the
 * clients' non-blocking sockets (edge-triggered).  A frame is one sendmsg()
 * of three iovecs per client; a client still busy with an older frame skips
 * the frames it had no room for and gets the newest one once it drains.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "die.h"
#include "sockets.h"

#define BOUNDARY "floorboundary"
#define HEAD_MAX 8192
#define LISTEN_BACKLOG 1024
#define MAX_EVENTS 256
/* a slow client then holds at most this much of the past in its send queue,
 * so what it receives after a skip is close to the newest frame */
#define NOTSENT_LOWAT (16 * 1024)

const char tool_name[] = "floor";

static const char stream_head[] =
    "HTTP/1.1 200 OK\r\n"
    "Content-Type: multipart/x-mixed-replace;boundary=" BOUNDARY "\r\n"
    "Cache-Control: no-store\r\n"
    "Connection: close\r\n" "\r\n" "--" BOUNDARY "\r\n";
static const char part_tail[] = "\r\n--" BOUNDARY "\r\n";

typedef struct
{
  char *data;
  size_t len;
} Frame;

/* One published frame.  Its headers are built once and shared by every
 * client that sends it, so it must outlive the frame period while a slow
 * client is still writing it: ticks are refcounted (the newest holds one
 * reference for itself) and recycled through a free list, so that the steady
 * state allocates nothing. */
typedef struct _Tick Tick;
struct _Tick
{
  Tick *next_free;
  unsigned refs;
  uint64_t seq;
  const Frame *frame;
  size_t part_len;
  /* 0 until a snapshot client asks: most frames never need it */
  size_t snap_len;
  char part[128];
  char snap[192];
};

typedef enum
{
  CLIENT_REQUEST,
  CLIENT_STREAM,
  CLIENT_SNAPSHOT
} ClientKind;

typedef struct _Client Client;
struct _Client
{
  int fd;
  ClientKind kind;
  /* the list of stream clients, then the list of clients to free */
  Client *prev, *next;
  /* NULL while idle */
  Tick *sending;
  uint64_t sent_seq;
  int has_sent;
  /* bytes of the current message already written */
  size_t off;
  /* the stream's response head goes out with its first frame */
  int with_head;
  /* a snapshot client may half-close after its request: still answer it */
  int input_done;
  unsigned head_len;
  /* how many bytes of "\r\n\r\n" the head read so far ends with */
  unsigned term;
  /* the start of the request line: enough to see the path */
  unsigned line_len;
  char line[64];
};

/* epoll data of the sockets that are not clients */
static char tag_listen, tag_timer, tag_signal;

static Frame *frames;
static size_t n_frames;
static double fps;
static uint64_t start_ns;
static uint64_t frame_k;

static Tick *current;
static Tick *free_ticks;
static Client *streams;
/* closed during one batch of events and freed after it, since a later event
 * of the same batch may still point to them */
static Client *dead;

static int epfd = -1, listen_fd = -1, timer_fd = -1, signal_fd = -1;
/* given up when out of descriptors, so that a pending connection can be
 * accepted and closed instead of waking the loop forever */
static int spare_fd = -1;

static void
usage (void)
{
  fprintf (stderr,
      "usage: floor --port N --frames-dir DIR --fps F [--address 127.0.0.1]\n"
      "  --port 0 picks a free port; the port is printed on stdout as\n"
      "  LISTENING port=N once the server listens.  Only loopback addresses\n"
      "  (127.0.0.0/8, ::1) are accepted.\n");
  exit (2);
}

static uint64_t
mono_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (uint64_t) ts.tv_sec * 1000000000u + ts.tv_nsec;
}

/* ---- frames ------------------------------------------------------------ */

static int
is_jpg (const struct dirent *d)
{
  size_t len = strlen (d->d_name);

  /* as the shell's *.jpg: no hidden files */
  return d->d_name[0] != '.' && len > 4
      && strcmp (d->d_name + len - 4, ".jpg") == 0;
}

/* plain byte order: alphasort would follow the locale */
static int
by_name (const struct dirent **a, const struct dirent **b)
{
  return strcmp ((*a)->d_name, (*b)->d_name);
}

static void
load_frames (const char *dir)
{
  struct dirent **names;
  size_t total = 0;
  int n, i;

  n = scandir (dir, &names, is_jpg, by_name);
  if (n < 0)
    die ("%s: %s", dir, strerror (errno));
  if (n == 0)
    die ("no *.jpg file in %s", dir);
  frames = calloc (n, sizeof *frames);
  if (!frames)
    die ("out of memory");
  for (i = 0; i < n; i++) {
    char path[4096];
    struct stat st;
    Frame *f = &frames[i];
    size_t got = 0;
    int fd;

    snprintf (path, sizeof path, "%s/%s", dir, names[i]->d_name);
    fd = open (path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fstat (fd, &st) < 0)
      die ("%s: %s", path, strerror (errno));
    if (!S_ISREG (st.st_mode) || st.st_size == 0)
      die ("%s: not a non-empty regular file", path);
    f->len = st.st_size;
    f->data = malloc (f->len);
    if (!f->data)
      die ("out of memory");
    while (got < f->len) {
      ssize_t r = read (fd, f->data + got, f->len - got);

      if (r < 0 && errno == EINTR)
        continue;
      if (r <= 0)
        die ("%s: %s", path, r < 0 ? strerror (errno) : "shorter than stat");
      got += r;
    }
    close (fd);
    total += f->len;
    free (names[i]);
  }
  free (names);
  n_frames = n;
  fprintf (stderr, "floor: %zu frames from %s, %zu bytes on average\n",
      n_frames, dir, total / n_frames);
}

/* ---- ticks ------------------------------------------------------------- */

static void
tick_unref (Tick * t)
{
  if (--t->refs == 0) {
    t->next_free = free_ticks;
    free_ticks = t;
  }
}

static void
tick_snapshot_head (Tick * t)
{
  if (t->snap_len == 0)
    t->snap_len = snprintf (t->snap, sizeof t->snap,
        "HTTP/1.1 200 OK\r\n"
        "Content-Type: image/jpeg\r\n"
        "Content-Length: %zu\r\n"
        "Cache-Control: no-store\r\n"
        "Connection: close\r\n" "\r\n", t->frame->len);
}

/* ---- clients ----------------------------------------------------------- */

static void
client_close (Client * c)
{
  if (c->fd < 0)
    return;
  /* the last reference to the socket: this also takes it out of epoll */
  close (c->fd);
  c->fd = -1;
  if (c->kind == CLIENT_STREAM) {
    if (c->prev)
      c->prev->next = c->next;
    else
      streams = c->next;
    if (c->next)
      c->next->prev = c->prev;
  }
  if (c->sending) {
    tick_unref (c->sending);
    c->sending = NULL;
  }
  c->prev = NULL;
  c->next = dead;
  dead = c;
}

/* After a read or write of @c's socket failed: 1 to try again at once,
 * else 0, the socket being closed unless it only had to wait. */
static int
client_io_failed (Client * c)
{
  if (errno == EINTR)
    return 1;
  if (errno != EAGAIN && errno != EWOULDBLOCK)
    client_close (c);
  return 0;
}

static void
client_start (Client * c, Tick * t)
{
  t->refs++;
  c->sending = t;
  c->off = 0;
  c->sent_seq = t->seq;
  c->has_sent = 1;
}

/* Writes until the kernel takes no more or there is nothing new to send.  A
 * stream client that finishes a frame goes on with the newest one if it has
 * not had it: that is where a busy client catches up. */
static void
client_flush (Client * c)
{
  for (;;) {
    struct iovec iov[4];
    struct msghdr msg = { 0 };
    Tick *t = c->sending;
    size_t total = 0, skip;
    int n_iov = 0, i;
    ssize_t n;

    if (!t) {
      if (c->kind != CLIENT_STREAM || (c->has_sent
              && c->sent_seq == current->seq))
        return;
      client_start (c, current);
      t = current;
    }
    if (c->kind == CLIENT_SNAPSHOT) {
      iov[n_iov].iov_base = t->snap;
      iov[n_iov++].iov_len = t->snap_len;
    } else {
      if (c->with_head) {
        iov[n_iov].iov_base = (void *) stream_head;
        iov[n_iov++].iov_len = sizeof stream_head - 1;
      }
      iov[n_iov].iov_base = t->part;
      iov[n_iov++].iov_len = t->part_len;
    }
    iov[n_iov].iov_base = t->frame->data;
    iov[n_iov++].iov_len = t->frame->len;
    if (c->kind == CLIENT_STREAM) {
      iov[n_iov].iov_base = (void *) part_tail;
      iov[n_iov++].iov_len = sizeof part_tail - 1;
    }
    for (i = 0; i < n_iov; i++)
      total += iov[i].iov_len;

    /* resume a partial write where it stopped */
    skip = c->off;
    for (i = 0; skip >= iov[i].iov_len; i++)
      skip -= iov[i].iov_len;
    iov[i].iov_base = (char *) iov[i].iov_base + skip;
    iov[i].iov_len -= skip;
    msg.msg_iov = iov + i;
    msg.msg_iovlen = n_iov - i;

    n = sendmsg (c->fd, &msg, MSG_NOSIGNAL);
    if (n < 0) {
      if (client_io_failed (c))
        continue;
      return;
    }
    c->off += n;
    /* TCP only stops short when it found no room, and then it flags the
     * socket so that EPOLLOUT follows once there is room: trying again now
     * would only cost a syscall that returns EAGAIN */
    if (c->off < total)
      return;
    c->with_head = 0;
    c->sending = NULL;
    tick_unref (t);
    if (c->kind == CLIENT_SNAPSHOT) {
      client_close (c);
      return;
    }
  }
}

static void
client_request_done (Client * c)
{
  const char *line_end, *sp;
  size_t path_len = 0;

  line_end = memchr (c->line, '\n', c->line_len);
  if (!line_end)
    line_end = c->line + c->line_len;
  sp = memchr (c->line, ' ', line_end - c->line);
  if (sp)
    path_len = line_end - (sp + 1);
  if (path_len >= 9 && memcmp (sp + 1, "/snapshot", 9) == 0) {
    c->kind = CLIENT_SNAPSHOT;
    tick_snapshot_head (current);
  } else {
    c->kind = CLIENT_STREAM;
    c->with_head = 1;
    c->prev = NULL;
    c->next = streams;
    if (streams)
      streams->prev = c;
    streams = c;
  }
  client_start (c, current);
  client_flush (c);
}

/* The head is scanned as it arrives, never stored: only the start of the
 * request line matters, and whatever follows the head is ignored. */
static void
client_head_feed (Client * c, const char *p, size_t n)
{
  static const char term[] = "\r\n\r\n";
  size_t i;

  for (i = 0; i < n; i++) {
    char ch = p[i];

    if (c->line_len < sizeof c->line)
      c->line[c->line_len++] = ch;
    if (++c->head_len > HEAD_MAX) {
      client_close (c);
      return;
    }
    if (ch == term[c->term])
      c->term++;
    else
      c->term = ch == '\r';
    if (c->term == 4) {
      client_request_done (c);
      return;
    }
  }
}

static void
client_read (Client * c)
{
  /* shared by all clients: nothing read is kept */
  static char buf[16384];

  while (c->fd >= 0 && !c->input_done) {
    ssize_t n = read (c->fd, buf, sizeof buf);

    if (n < 0) {
      if (client_io_failed (c))
        continue;
      return;
    }
    if (n == 0) {
      if (c->kind == CLIENT_SNAPSHOT)
        c->input_done = 1;
      else
        client_close (c);
      return;
    }
    if (c->kind == CLIENT_REQUEST)
      client_head_feed (c, buf, n);
  }
}

static void
client_event (Client * c, uint32_t events)
{
  if (c->fd < 0)
    return;
  if (events & (EPOLLERR | EPOLLHUP)) {
    client_close (c);
    return;
  }
  if (events & EPOLLIN)
    client_read (c);
  if (c->fd >= 0 && (events & EPOLLOUT) && c->kind != CLIENT_REQUEST)
    client_flush (c);
}

static void
client_new (int fd)
{
  struct epoll_event ev = { 0 };
  Client *c;
  int one = 1, lowat = NOTSENT_LOWAT;

  c = calloc (1, sizeof *c);
  if (!c) {
    close (fd);
    return;
  }
  c->fd = fd;
  c->kind = CLIENT_REQUEST;
  setsockopt (fd, IPPROTO_TCP, TCP_NOTSENT_LOWAT, &lowat, sizeof lowat);
  /* each frame is complete when written: Nagle could only hold its tail */
  setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  ev.events = EPOLLIN | EPOLLOUT | EPOLLET;
  ev.data.ptr = c;
  if (epoll_ctl (epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
    close (fd);
    free (c);
  }
  /* a request that came with the connection is reported by epoll at once */
}

static void
accept_all (void)
{
  for (;;) {
    int fd = accept4 (listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

    if (fd >= 0) {
      client_new (fd);
      continue;
    }
    switch (errno) {
      case EINTR:
      case ECONNABORTED:
        continue;
      case EMFILE:
      case ENFILE:
        if (spare_fd < 0)
          return;
        close (spare_fd);
        fd = accept (listen_fd, NULL, NULL);
        if (fd >= 0)
          close (fd);
        spare_fd = open ("/dev/null", O_RDONLY | O_CLOEXEC);
        if (fd < 0)
          return;
        continue;
      default:
        return;
    }
  }
}

static void
free_dead (void)
{
  while (dead) {
    Client *c = dead;

    dead = c->next;
    free (c);
  }
}

/* ---- pacing ------------------------------------------------------------ */

/* computed from the start every time, so that rounding never accumulates */
static uint64_t
frame_due (uint64_t k)
{
  return start_ns + (uint64_t) ((double) k * 1e9 / fps + 0.5);
}

static void
timer_arm (uint64_t k)
{
  struct itimerspec its = { {0, 0}, {0, 0} };
  uint64_t due = frame_due (k);

  its.it_value.tv_sec = due / 1000000000u;
  its.it_value.tv_nsec = due % 1000000000u;
  if (timerfd_settime (timer_fd, TFD_TIMER_ABSTIME, &its, NULL) < 0)
    die ("timerfd_settime: %s", strerror (errno));
}

static void
publish (uint64_t k)
{
  struct timespec wall;
  Tick *t = free_ticks;
  Client *c, *next;

  if (t)
    free_ticks = t->next_free;
  else if (!(t = malloc (sizeof *t)))
    die ("out of memory");
  clock_gettime (CLOCK_REALTIME, &wall);
  t->refs = 1;
  t->seq = k;
  t->frame = &frames[k % n_frames];
  t->snap_len = 0;
  t->part_len = snprintf (t->part, sizeof t->part,
      "Content-Type: image/jpeg\r\n"
      "Content-Length: %zu\r\n"
      "X-Timestamp: %lld.%06ld\r\n" "\r\n", t->frame->len,
      (long long) wall.tv_sec, wall.tv_nsec / 1000);
  if (current)
    tick_unref (current);
  current = t;

  /* busy clients are left alone: they get the newest frame on EPOLLOUT */
  for (c = streams; c; c = next) {
    next = c->next;
    if (!c->sending)
      client_flush (c);
  }
}

static void
on_timer (void)
{
  uint64_t expirations, now, k;

  if (read (timer_fd, &expirations, sizeof expirations) < 0 && errno != EAGAIN)
    die ("timerfd read: %s", strerror (errno));
  now = mono_ns ();
  /* late (a stopped process, an overloaded machine): jump to the frame due
   * now rather than send the missed ones in a burst */
  k = (uint64_t) ((double) (now - start_ns) * fps / 1e9);
  while (frame_due (k) > now)
    k--;
  while (frame_due (k + 1) <= now)
    k++;
  if (k <= frame_k) {
    /* woken early: only possible through rounding */
    timer_arm (frame_k + 1);
    return;
  }
  frame_k = k;
  publish (k);
  timer_arm (k + 1);
}

/* ---- setup ------------------------------------------------------------- */

/* Checked before the frames are loaded, so that a wrong address fails at
 * once. */
static socklen_t
parse_address (const char *address, int port, struct sockaddr_storage *ss)
{
  struct sockaddr_in *sin = (struct sockaddr_in *) ss;
  struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *) ss;

  memset (ss, 0, sizeof *ss);
  if (inet_pton (AF_INET, address, &sin->sin_addr) == 1) {
    if ((ntohl (sin->sin_addr.s_addr) >> 24) != 127)
      die ("refusing to listen on %s: only loopback addresses "
          "(127.0.0.0/8, ::1) are allowed", address);
    sin->sin_family = AF_INET;
    sin->sin_port = htons (port);
    return sizeof *sin;
  }
  if (inet_pton (AF_INET6, address, &sin6->sin6_addr) == 1) {
    if (!IN6_IS_ADDR_LOOPBACK (&sin6->sin6_addr))
      die ("refusing to listen on %s: only loopback addresses "
          "(127.0.0.0/8, ::1) are allowed", address);
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons (port);
    return sizeof *sin6;
  }
  die ("refusing to listen on %s: not a numeric loopback address "
      "(127.0.0.0/8, ::1)", address);
  return 0;
}

static void
listen_on (const char *address, struct sockaddr_storage *ss, socklen_t len)
{
  int one = 1;

  listen_fd = socket (ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK
      | SOCK_CLOEXEC, 0);
  if (listen_fd < 0)
    die ("socket: %s", strerror (errno));
  /* a run right after another must not wait for TIME_WAIT */
  setsockopt (listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (ss->ss_family == AF_INET6)
    setsockopt (listen_fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  if (bind (listen_fd, (struct sockaddr *) ss, len) < 0)
    die ("bind %s: %s", address, strerror (errno));
  if (listen (listen_fd, LISTEN_BACKLOG) < 0)
    die ("listen: %s", strerror (errno));
}

static int
bound_port (void)
{
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;

  if (getsockname (listen_fd, (struct sockaddr *) &ss, &len) < 0)
    die ("getsockname: %s", strerror (errno));
  if (ss.ss_family == AF_INET6)
    return ntohs (((struct sockaddr_in6 *) &ss)->sin6_port);
  return ntohs (((struct sockaddr_in *) &ss)->sin_port);
}

static void
watch (int fd, uint32_t events, void *tag)
{
  struct epoll_event ev = { 0 };

  ev.events = events;
  ev.data.ptr = tag;
  if (epoll_ctl (epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
    die ("epoll_ctl: %s", strerror (errno));
}

int
main (int argc, char **argv)
{
  static const struct option options[] = {
    {"port", required_argument, NULL, 'p'},
    {"frames-dir", required_argument, NULL, 'd'},
    {"fps", required_argument, NULL, 'f'},
    {"address", required_argument, NULL, 'a'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0}
  };
  struct epoll_event evs[MAX_EVENTS];
  struct sockaddr_storage ss;
  socklen_t ss_len;
  const char *address = "127.0.0.1", *dir = NULL;
  long port = -1;
  sigset_t sigs;
  int opt, running = 1;
  char *end;

  while ((opt = getopt_long (argc, argv, "", options, NULL)) != -1) {
    switch (opt) {
      case 'p':
        errno = 0;
        port = strtol (optarg, &end, 10);
        if (errno || *end || end == optarg || port < 0 || port > 65535)
          die ("--port: %s is not a port number", optarg);
        break;
      case 'd':
        dir = optarg;
        break;
      case 'f':
        fps = strtod (optarg, &end);
        if (*end || end == optarg || !isfinite (fps) || fps <= 0 || fps > 1000)
          die ("--fps: %s is not a rate between 0 and 1000", optarg);
        break;
      case 'a':
        address = optarg;
        break;
      default:
        usage ();
    }
  }
  if (optind != argc || port < 0 || !dir || fps <= 0)
    usage ();

  ss_len = parse_address (address, port, &ss);
  load_frames (dir);
  raise_nofile ();
  signal (SIGPIPE, SIG_IGN);
  sigemptyset (&sigs);
  sigaddset (&sigs, SIGINT);
  sigaddset (&sigs, SIGTERM);
  if (sigprocmask (SIG_BLOCK, &sigs, NULL) < 0)
    die ("sigprocmask: %s", strerror (errno));
  signal_fd = signalfd (-1, &sigs, SFD_NONBLOCK | SFD_CLOEXEC);
  timer_fd = timerfd_create (CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  epfd = epoll_create1 (EPOLL_CLOEXEC);
  spare_fd = open ("/dev/null", O_RDONLY | O_CLOEXEC);
  if (signal_fd < 0 || timer_fd < 0 || epfd < 0)
    die ("setup: %s", strerror (errno));
  listen_on (address, &ss, ss_len);

  /* level-triggered: accept_all() leaves nothing pending anyway */
  watch (listen_fd, EPOLLIN, &tag_listen);
  watch (timer_fd, EPOLLIN, &tag_timer);
  watch (signal_fd, EPOLLIN, &tag_signal);

  /* a frame exists before anyone can connect */
  start_ns = mono_ns ();
  frame_k = 0;
  publish (0);
  timer_arm (1);

  printf ("LISTENING port=%d\n", bound_port ());
  fflush (stdout);

  while (running) {
    int n, i;

    n = epoll_wait (epfd, evs, MAX_EVENTS, -1);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      die ("epoll_wait: %s", strerror (errno));
    }
    for (i = 0; i < n; i++) {
      void *p = evs[i].data.ptr;

      if (p == &tag_listen)
        accept_all ();
      else if (p == &tag_timer)
        on_timer ();
      else if (p == &tag_signal)
        running = 0;
      else
        client_event (p, evs[i].events);
    }
    free_dead ();
  }
  return 0;
}
