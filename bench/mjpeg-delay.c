/*
 * mjpeg-delay: one viewer of one of our MJPEG streams, from any machine,
 * that reports how long each frame took from its capture (the part's
 * X-Timestamp) to the moment the whole part is here, as p50 / p99 / max /
 * min, and the frames the stream skipped (gaps in X-Frame-Number).
 * docs/delay.md says what the figures mean and which clocks they compare.
 *
 *   mjpeg-delay [--seconds N] [--frames N] [--per-frame] [--json]
 *               [--timeout S] [--user U --password P] [--tls-ca FILE]
 *               http[s]://HOST[:PORT]/PATH[?QUERY]
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#ifdef HAVE_GNUTLS
#include <gnutls/gnutls.h>
#endif

#include "die.h"
#include "mjpegparser.h"
#include "now.h"
#include "options.h"
#include "samples.h"
#include "sockets.h"

/* the sink's own bound on a request head; an answer's is no bigger */
#define HEAD_MAX (16 * 1024)
#define READ_CHUNK (64 * 1024)
/* enough of an error answer's body for the sentence the sink puts there */
#define SENTENCE_MAX 200

typedef enum
{
  READ_DATA,
  READ_CLOSED,
  READ_TIMEOUT,
  READ_INTERRUPTED,
  READ_ERROR
} ReadResult;

/* what the frames so far add up to */
typedef struct
{
  uint64_t frames;
  /* frames that carried an X-Frame-Number */
  uint64_t numbered;
  uint64_t skipped, duplicates, out_of_order;
  int64_t first_num, last_num;
  double first_delay;
  double first_mono, last_mono;
  uint64_t negative;
  /* ms, every frame but the first */
  Samples delay;
} Tally;

const char tool_name[] = "mjpeg-delay";

static const char *opt_url, *opt_user, *opt_password, *opt_tls_ca;
static double opt_seconds = -1, opt_timeout = 10;
static long opt_frames;
static int opt_per_frame, opt_json;

/* the URL taken apart; shown_url is the URL as reports print it */
static int use_tls;
static char host[256], port[8], host_header[300], target[2048];
static char shown_url[2400];

static int sock = -1;
#ifdef HAVE_GNUTLS
static gnutls_session_t tls;
static gnutls_certificate_credentials_t tls_cred;
#endif

static volatile sig_atomic_t interrupted;

/* when the read that completed the current part returned */
static double read_real, read_mono;
/* why the last read failed */
static const char *read_error = "";
/* --frames came; failure: a reason to stop early */
static int enough;
static char failure[1024];

static void
on_signal (int sig)
{
  (void) sig;
  interrupted = 1;
}

static void fail (const char *fmt, ...)
    __attribute__((format (printf, 1, 2)));

/* The first reason the run ends early; it still reports what it measured. */
static void
fail (const char *fmt, ...)
{
  va_list ap;

  if (failure[0])
    return;
  va_start (ap, fmt);
  vsnprintf (failure, sizeof failure, fmt, ap);
  va_end (ap);
}

/* ---- the URL ------------------------------------------------------------ */

static void
parse_url (const char *url)
{
  const char *auth, *end, *h, *hend, *p;
  size_t alen, hlen;

  if (strncasecmp (url, "http://", 7) == 0) {
    auth = url + 7;
  } else if (strncasecmp (url, "https://", 8) == 0) {
    auth = url + 8;
    use_tls = 1;
  } else {
    die ("the URL must start with http:// or https://: %s", url);
  }
  alen = strcspn (auth, "/?#");
  end = auth + alen;
  /* a password in the URL would be printed with every report */
  if (memchr (auth, '@', alen))
    die ("give the user name and password with --user and --password, "
        "not in the URL");
  if (alen == 0 || alen >= sizeof host_header)
    die ("no host in %s", url);
  memcpy (host_header, auth, alen);
  host_header[alen] = '\0';

  h = auth;
  if (*h == '[') {
    h++;
    hend = memchr (h, ']', end - h);
    if (!hend)
      die ("no ']' after the IPv6 address in %s", url);
    p = hend + 1;
  } else {
    hend = memchr (h, ':', end - h);
    if (!hend)
      hend = end;
    p = hend;
  }
  hlen = hend - h;
  if (hlen == 0 || hlen >= sizeof host)
    die ("no host in %s", url);
  memcpy (host, h, hlen);
  host[hlen] = '\0';

  if (p < end && *p == ':') {
    char *pend;
    long n = strtol (p + 1, &pend, 10);

    if (pend != end || n <= 0 || n > 65535)
      die ("bad port in %s", url);
    snprintf (port, sizeof port, "%ld", n);
  } else if (p == end) {
    snprintf (port, sizeof port, use_tls ? "443" : "80");
  } else {
    die ("bad host in %s", url);
  }

  /* "/stream?fps=2" as it is; "?action=stream" on the root path */
  alen = strcspn (end, "#");
  if (alen + 2 > sizeof target)
    die ("the URL is too long");
  snprintf (target, sizeof target, "%s%.*s", *end == '/' ? "" : "/",
      (int) alen, end);
  snprintf (shown_url, sizeof shown_url, "%s://%s%s",
      use_tls ? "https" : "http", host_header, target);
}

/* ---- the connection ----------------------------------------------------- */

static void
connect_server (int timeout_ms)
{
  struct addrinfo hints, *res, *ai;
  struct timeval tv;
  int r, err = 0;

  memset (&hints, 0, sizeof hints);
  hints.ai_socktype = SOCK_STREAM;
  r = getaddrinfo (host, port, &hints, &res);
  if (r != 0)
    die ("cannot find the address of %s: %s", host, gai_strerror (r));

  for (ai = res; ai && sock < 0; ai = ai->ai_next) {
    struct pollfd pfd;

    sock = socket (ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK
        | SOCK_CLOEXEC, ai->ai_protocol);
    if (sock < 0) {
      err = errno;
      continue;
    }
    if (connect (sock, ai->ai_addr, ai->ai_addrlen) < 0 && errno != EINPROGRESS) {
      err = errno;
    } else {
      pfd.fd = sock;
      pfd.events = POLLOUT;
      r = poll (&pfd, 1, timeout_ms);
      if (r == 1)
        err = connect_result (sock);
      else
        err = r == 0 ? ETIMEDOUT : errno;
      if (err == 0)
        break;
    }
    close (sock);
    sock = -1;
  }
  freeaddrinfo (res);

  if (sock < 0) {
    if (err == ECONNREFUSED)
      die ("connection refused by %s port %s: nothing listens there (is "
          "the pipeline running, on that address and port?)", host, port);
    if (err == ETIMEDOUT)
      die ("no connection to %s port %s within %g s (a firewall, or the "
          "wrong address?)", host, port, opt_timeout);
    if (err == EINTR)
      die ("interrupted while connecting to %s port %s", host, port);
    die ("cannot connect to %s port %s: %s", host, port, strerror (err));
  }

  /* reads wait in poll(); this bounds a TLS record the server leaves
   * half-sent, which GnuTLS waits for inside one call */
  fcntl (sock, F_SETFL, fcntl (sock, F_GETFL) & ~O_NONBLOCK);
  tv.tv_sec = (time_t) opt_timeout;
  tv.tv_usec = (suseconds_t) ((opt_timeout - tv.tv_sec) * 1e6);
  setsockopt (sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt (sock, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

#ifdef HAVE_GNUTLS
static int
is_address (const char *h)
{
  unsigned char buf[sizeof (struct in6_addr)];

  return inet_pton (AF_INET, h, buf) == 1 || inet_pton (AF_INET6, h, buf) == 1;
}

static void
tls_handshake (int timeout_ms)
{
  gnutls_datum_t out = { NULL, 0 };
  int r;

  if (gnutls_certificate_allocate_credentials (&tls_cred) < 0)
    die ("out of memory");
  if (opt_tls_ca) {
    r = gnutls_certificate_set_x509_trust_file (tls_cred, opt_tls_ca,
        GNUTLS_X509_FMT_PEM);
    if (r <= 0)
      die ("--tls-ca %s: %s", opt_tls_ca,
          r < 0 ? gnutls_strerror (r) : "no certificate in it");
  } else if (gnutls_certificate_set_x509_system_trust (tls_cred) <= 0) {
    die ("this machine has no certificate authorities to check %s's "
        "certificate with: give --tls-ca FILE", host);
  }
  if (gnutls_init (&tls, GNUTLS_CLIENT) < 0
      || gnutls_set_default_priority (tls) < 0
      || gnutls_credentials_set (tls, GNUTLS_CRD_CERTIFICATE, tls_cred) < 0)
    die ("cannot set up TLS");
  /* SNI names hosts, never addresses */
  if (!is_address (host))
    gnutls_server_name_set (tls, GNUTLS_NAME_DNS, host, strlen (host));
  gnutls_session_set_verify_cert (tls, host, 0);
  gnutls_transport_set_int (tls, sock);
  gnutls_handshake_set_timeout (tls, timeout_ms);
  do {
    r = gnutls_handshake (tls);
  } while (r < 0 && !gnutls_error_is_fatal (r) && !interrupted);
  if (r == GNUTLS_E_SUCCESS)
    return;
  if (r == GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR
      && gnutls_certificate_verification_status_print
      (gnutls_session_get_verify_cert_status (tls), GNUTLS_CRT_X509, &out,
          0) == 0) {
    char *why = (char *) out.data;
    size_t n = strlen (why);

    /* GnuTLS ends its sentences with spaces */
    while (n > 0 && why[n - 1] == ' ')
      why[--n] = '\0';
    die ("the certificate of %s is not trusted: %s%s", host, why,
        opt_tls_ca ? "" : " (give the CA that signed it with --tls-ca)");
  }
  die ("TLS with %s port %s failed: %s (is it https?)", host, port,
      gnutls_strerror (r));
}
#endif

static void
send_all (const char *data, size_t len)
{
  while (len > 0) {
    ssize_t w;

#ifdef HAVE_GNUTLS
    if (tls)
      w = gnutls_record_send (tls, data, len);
    else
#endif
      w = send (sock, data, len, MSG_NOSIGNAL);
    if (w < 0) {
#ifdef HAVE_GNUTLS
      if (tls && w == GNUTLS_E_INTERRUPTED)
        continue;
      if (tls)
        die ("cannot send the request to %s port %s: %s", host, port,
            gnutls_strerror (w));
#endif
      if (errno == EINTR)
        continue;
      die ("cannot send the request to %s port %s: %s", host, port,
          strerror (errno));
    }
    data += w;
    len -= w;
  }
}

/* Up to @len bytes, waiting at most @timeout_ms for the first of them. */
static ReadResult
read_some (char *buf, size_t len, int timeout_ms, size_t *got)
{
  struct pollfd pfd = { sock, POLLIN, 0 };
  ssize_t r;
  int ready = 0;

#ifdef HAVE_GNUTLS
  /* decrypted bytes GnuTLS holds are not in the socket any more */
  ready = tls && gnutls_record_check_pending (tls) > 0;
#endif
  if (!ready) {
    r = poll (&pfd, 1, timeout_ms < 0 ? 0 : timeout_ms);
    if (r < 0 && errno == EINTR)
      return READ_INTERRUPTED;
    if (r < 0) {
      read_error = strerror (errno);
      return READ_ERROR;
    }
    if (r == 0)
      return READ_TIMEOUT;
  }
#ifdef HAVE_GNUTLS
  if (tls) {
    r = gnutls_record_recv (tls, buf, len);
    if (r == GNUTLS_E_PREMATURE_TERMINATION)
      return READ_CLOSED;
    if (r == GNUTLS_E_AGAIN)
      return READ_TIMEOUT;
    if (r == GNUTLS_E_INTERRUPTED)
      return READ_INTERRUPTED;
    if (r < 0) {
      read_error = gnutls_strerror (r);
      return READ_ERROR;
    }
  } else
#endif
  {
    r = read (sock, buf, len);
    if (r < 0 && errno == EINTR)
      return READ_INTERRUPTED;
    if (r < 0 && errno == EAGAIN)
      return READ_TIMEOUT;
    if (r < 0) {
      read_error = strerror (errno);
      return READ_ERROR;
    }
  }
  read_real = real_now ();
  read_mono = mono_now ();
  *got = r;
  return r == 0 ? READ_CLOSED : READ_DATA;
}

/* ---- the answer's head -------------------------------------------------- */

static const char *
find_head_end (const char *buf, size_t len)
{
  const char *e = memmem (buf, len, "\r\n\r\n", 4);

  if (e)
    return e + 4;
  e = memmem (buf, len, "\n\n", 2);
  return e ? e + 2 : NULL;
}

/* The value of header @name in the head @head (status line first), cut
 * at its line's end, or NULL. */
static const char *
head_value (const char *head, const char *name, char *out, size_t size)
{
  const char *l = strchr (head, '\n');

  while (l && *++l && *l != '\r' && *l != '\n') {
    const char *v;

    if (http_header_value (l, name, &v)) {
      size_t n = strcspn (v, "\r\n");

      snprintf (out, size, "%.*s", (int) n, v);
      return out;
    }
    l = strchr (l, '\n');
  }
  return NULL;
}

/* The first line of what the server said in the body of an error answer,
 * for the sink's sentences ("Not found."); empty when it said nothing
 * readable.  Waits a second at most for it. */
static void
error_sentence (const char *head, const char *body, size_t have,
    char *out, size_t size)
{
  char buf[SENTENCE_MAX + 1], value[64];
  size_t n = have < SENTENCE_MAX ? have : SENTENCE_MAX, got, i;
  long want = -1;

  out[0] = '\0';
  if (!head_value (head, "Content-Type", value, sizeof value)
      || strncasecmp (value, "text/plain", 10) != 0)
    return;
  if (head_value (head, "Content-Length", value, sizeof value))
    want = atol (value);
  memcpy (buf, body, n);
  while (n < SENTENCE_MAX && (want < 0 || (long) n < want)
      && !memchr (buf, '\n', n)
      && read_some (buf + n, SENTENCE_MAX - n, 1000, &got) == READ_DATA)
    n += got;
  if (want >= 0 && (long) n > want)
    n = want;
  for (i = 0; i < n && buf[i] != '\r' && buf[i] != '\n' && i + 1 < size; i++)
    out[i] = (unsigned char) buf[i] >= 0x20 && buf[i] != 0x7f ? buf[i] : '?';
  out[i] = '\0';
}

/* Dies with a sentence for an answer that is not a stream of ours. */
static void
refused (const char *head, int status, const char *body, size_t have)
{
  char sentence[SENTENCE_MAX + 1], said[SENTENCE_MAX + 8], code[128];
  char value[256], retry[96] = "";
  /* "HTTP/1.1 404 Not Found": the code and its reason phrase */
  const char *reason = head + strcspn (head, " ");
  int n;

  reason += strspn (reason, " ");
  n = (int) strcspn (reason, "\r\n");
  while (n > 0 && reason[n - 1] == ' ')
    n--;
  snprintf (code, sizeof code, "%.*s", n, reason);
  error_sentence (head, body, have, sentence, sizeof sentence);
  said[0] = '\0';
  if (sentence[0])
    snprintf (said, sizeof said, " (\"%s\")", sentence);
  if (head_value (head, "Retry-After", value, sizeof value))
    snprintf (retry, sizeof retry, "; it says to retry after %.40s s", value);

  switch (status) {
    case 401:
      if (head_value (head, "WWW-Authenticate", value, sizeof value)
          && strncasecmp (value, "Basic", 5) != 0)
        die ("%s answered %s%s; it asks for %s authentication, and "
            "mjpeg-delay only speaks Basic", shown_url, code, said, value);
      if (opt_user)
        die ("%s answered %s%s: it refused the user name and password",
            shown_url, code, said);
      die ("%s answered %s%s: it needs a user name and password (give "
          "--user and --password)", shown_url, code, said);
    case 404:
      die ("%s answered %s%s: there is no stream at %s (the sink serves it "
          "at /stream unless its stream-path says otherwise)", shown_url,
          code, said, target);
    case 421:
      die ("%s answered %s%s: the server does not serve the host name %s "
          "(the sink's allowed-hosts)", shown_url, code, said, host_header);
    case 429:
      die ("%s answered %s%s: too many requests from this address (the "
          "sink's request-rate)%s", shown_url, code, said, retry);
    case 503:
      die ("%s answered %s%s: the server takes no more viewers now (the "
          "sink's max-clients or max-clients-per-address)%s", shown_url,
          code, said, retry);
    case 502:
    case 504:
      die ("%s answered %s%s: the proxy could not reach the stream behind "
          "it (is the sink running?)", shown_url, code, said);
    default:
      break;
  }
  if (status >= 300 && status < 400
      && head_value (head, "Location", value, sizeof value))
    die ("%s answered %s: the stream is at %s; give mjpeg-delay that URL",
        shown_url, code, value);
  die ("%s answered %s%s, not a stream", shown_url, code, said);
}

/* Reads the answer's head into @buf (and what follows it, as it came),
 * dies unless it opens a multipart/x-mixed-replace stream, and returns
 * how many bytes @buf holds. */
static size_t
read_head (char *buf, size_t size)
{
  const char *end = NULL;
  char ctype[256];
  size_t len = 0, got;
  int status;

  while (!end) {
    ReadResult r;

    if (len == size - 1)
      die ("%s: the answer's head is over %zu bytes long: not a stream "
          "server", shown_url, size - 1);
    r = read_some (buf + len, size - 1 - len, (int) (opt_timeout * 1000), &got);
    if (r == READ_TIMEOUT)
      die ("%s: no answer within %g s", shown_url, opt_timeout);
    if (r == READ_INTERRUPTED)
      die ("interrupted before the answer came");
    if (r == READ_ERROR)
      die ("%s: cannot read the answer: %s", shown_url, read_error);
    if (r == READ_CLOSED) {
      if (len == 0)
        die ("%s closed the connection without answering%s", shown_url,
            use_tls ? "" : " (does it speak https only? then give https://)");
      break;
    }
    len += got;
    buf[len] = '\0';
    if (len >= 5 && strncmp (buf, "HTTP/", 5) != 0) {
      if ((unsigned char) buf[0] == 0x16 || (unsigned char) buf[0] == 0x15)
        die ("%s answered in TLS: give https://", shown_url);
      die ("%s does not speak HTTP: its answer began with \"%.*s\"",
          shown_url, (int) strcspn (buf, "\r\n"), buf);
    }
    end = find_head_end (buf, len);
  }
  if (!end)
    die ("%s closed the connection in the middle of its answer's head",
        shown_url);

  status = atoi (buf + strcspn (buf, " "));
  if (status != 200)
    refused (buf, status, end, buf + len - end);
  if (!head_value (buf, "Content-Type", ctype, sizeof ctype))
    die ("%s answered 200 without a Content-Type: not an MJPEG stream "
        "(multipart/x-mixed-replace)", shown_url);
  if (strncasecmp (ctype, "multipart/x-mixed-replace", 25) != 0) {
    const char *hint = "";

    if (strncasecmp (ctype, "text/html", 9) == 0)
      hint = " (a page: the sink's stream is at /stream)";
    else if (strncasecmp (ctype, "image/", 6) == 0)
      hint = " (one picture, a snapshot: the sink's stream is at /stream)";
    die ("%s answered 200 with Content-Type %s, not an MJPEG stream "
        "(multipart/x-mixed-replace)%s", shown_url, ctype, hint);
  }
  return len;
}

static void
base64 (const char *in, char *out, size_t size)
{
  static const char abc[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  size_t n = strlen (in), i, o = 0;

  if ((n + 2) / 3 * 4 >= size)
    die ("the user name and password are too long");
  for (i = 0; i < n; i += 3) {
    unsigned v = (unsigned char) in[i] << 16;

    if (i + 1 < n)
      v |= (unsigned char) in[i + 1] << 8;
    if (i + 2 < n)
      v |= (unsigned char) in[i + 2];
    out[o++] = abc[v >> 18 & 63];
    out[o++] = abc[v >> 12 & 63];
    out[o++] = i + 1 < n ? abc[v >> 6 & 63] : '=';
    out[o++] = i + 2 < n ? abc[v & 63] : '=';
  }
  out[o] = '\0';
}

static void
send_request (void)
{
  char request[4096], auth[1024] = "", cred[600], b64[820];
  int n;

  if (opt_user) {
    n = snprintf (cred, sizeof cred, "%s:%s", opt_user, opt_password);
    if (n < 0 || (size_t) n >= sizeof cred)
      die ("the user name and password are too long");
    base64 (cred, b64, sizeof b64);
    snprintf (auth, sizeof auth, "Authorization: Basic %s\r\n", b64);
  }
  n = snprintf (request, sizeof request,
      "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: mjpeg-delay\r\n"
      "Accept: multipart/x-mixed-replace, */*\r\n%sConnection: close\r\n\r\n",
      target, host_header, auth);
  if (n < 0 || (size_t) n >= sizeof request)
    die ("the URL is too long");
  send_all (request, n);
}

/* ---- the frames --------------------------------------------------------- */

static void
json_str (const char *s)
{
  putchar ('"');
  for (; *s; s++) {
    if (*s == '"' || *s == '\\')
      printf ("\\%c", *s);
    else if ((unsigned char) *s < 0x20)
      printf ("\\u%04x", *s);
    else
      putchar (*s);
  }
  putchar ('"');
}

static void
json_num (const char *key, double v, const char *fmt)
{
  printf ("\"%s\":", key);
  if (isnan (v))
    printf ("null");
  else
    printf (fmt, v);
}

static void
print_frame (const MjpegParser * p, double delay_ms, uint64_t gap)
{
  if (opt_json) {
    printf ("{\"frame\":");
    if (p->has_num)
      printf ("%" PRId64, p->part_num);
    else
      printf ("null");
    printf (",\"timestamp\":%.6f,\"arrival\":%.6f,\"delay_ms\":%.3f,"
        "\"skipped_before\":%" PRIu64 "}\n", p->part_ts, read_real, delay_ms,
        gap);
    return;
  }
  if (p->has_num)
    printf ("%" PRId64, p->part_num);
  else
    printf ("-");
  printf (" %.6f %.6f %.3f %" PRIu64 "\n", p->part_ts, read_real, delay_ms,
      gap);
}

/* A whole part is in: read_real is when its last byte came. */
static void
part_done (MjpegParser * p)
{
  Tally *t = p->user;
  double delay_ms;
  uint64_t gap = 0;

  /* the parser cannot be stopped from inside this call: the rest of what
   * was read comes here too */
  if (enough || failure[0])
    return;
  /* the sink ends a stream with an empty part before its close delimiter */
  if (p->body_len == 0)
    return;
  if (!p->has_ts || p->part_ts <= 0) {
    if (t->frames == 0)
      fail ("the parts of %s carry no X-Timestamp, so there is no capture "
          "time to measure from (parts of ?advance_headers=1 carry only "
          "Content-Type: ask for the stream without it)", shown_url);
    else
      fail ("a part after frame %" PRIu64 " of %s carries no X-Timestamp",
          t->frames, shown_url);
    return;
  }

  delay_ms = (read_real - p->part_ts) * 1000.0;
  if (p->has_num) {
    if (t->numbered == 0) {
      t->first_num = p->part_num;
    } else if (p->part_num == t->last_num) {
      t->duplicates++;
    } else if (p->part_num > t->last_num) {
      gap = p->part_num - t->last_num - 1;
      t->skipped += gap;
    } else {
      /* a source that started again counts on from its new numbers */
      t->out_of_order++;
    }
    t->last_num = p->part_num;
    t->numbered++;
  }
  if (delay_ms < 0)
    t->negative++;
  /* the first part goes out when we connect, not when it was made: its
   * delay includes however long it waited at the server for a viewer */
  if (t->frames == 0) {
    t->first_delay = delay_ms;
    t->first_mono = read_mono;
  } else {
    samples_add (&t->delay, delay_ms);
  }
  t->last_mono = read_mono;
  t->frames++;
  if (opt_per_frame)
    print_frame (p, delay_ms, gap);
  if (opt_frames > 0 && t->frames >= (uint64_t) opt_frames)
    enough = 1;
}

/* ---- the report --------------------------------------------------------- */

static double
fps_of (const Tally * t)
{
  double span = t->last_mono - t->first_mono;

  return t->frames >= 2 && span > 0 ? (t->frames - 1) / span : NAN;
}

static void
report_json (Tally * t, double seconds)
{
  printf ("{\"url\":");
  json_str (shown_url);
  printf (",\"seconds\":%.3f,\"frames\":%" PRIu64 ",", seconds, t->frames);
  json_num ("fps", fps_of (t), "%.2f");
  printf (",\"first_frame_number\":");
  if (t->frames && t->numbered)
    printf ("%" PRId64, t->first_num);
  else
    printf ("null");
  printf (",");
  json_num ("first_frame_delay_ms", t->frames ? t->first_delay : NAN, "%.3f");
  printf (",\"delay_frames\":%zu,", t->delay.n);
  json_num ("delay_ms_min", samples_percentile (&t->delay, 0), "%.3f");
  printf (",");
  json_num ("delay_ms_p50", samples_percentile (&t->delay, 50), "%.3f");
  printf (",");
  json_num ("delay_ms_p99", samples_percentile (&t->delay, 99), "%.3f");
  printf (",");
  json_num ("delay_ms_max", samples_percentile (&t->delay, 100), "%.3f");
  printf (",\"negative_delays\":%" PRIu64 ",\"clocks_disagree\":%s,",
      t->negative, t->negative ? "true" : "false");
  printf ("\"frame_numbers\":%s,", t->numbered ? "true" : "false");
  if (t->numbered)
    printf ("\"skipped\":%" PRIu64 ",\"duplicates\":%" PRIu64
        ",\"out_of_order\":%" PRIu64 ",", t->skipped, t->duplicates,
        t->out_of_order);
  else
    printf ("\"skipped\":null,\"duplicates\":null,\"out_of_order\":null,");
  printf ("\"error\":");
  if (failure[0])
    json_str (failure);
  else
    printf ("null");
  printf ("}\n");
}

static void
report_text (Tally * t, double seconds)
{
  double fps = fps_of (t), min;

  printf ("%s: %" PRIu64 " frames in %.2f s", shown_url, t->frames, seconds);
  if (!isnan (fps))
    printf (", %.2f fps", fps);
  printf ("\n");
  if (t->frames == 0)
    return;
  if (t->delay.n > 0)
    printf ("delay from X-Timestamp to arrival, %zu frames after the first: "
        "p50 %.2f ms, p99 %.2f ms, max %.2f ms, min %.2f ms\n", t->delay.n,
        samples_percentile (&t->delay, 50),
        samples_percentile (&t->delay, 99),
        samples_percentile (&t->delay, 100), samples_percentile (&t->delay, 0));
  printf ("first frame");
  if (t->numbered)
    printf (" %" PRId64, t->first_num);
  printf (": delay %.2f ms (sent when we connected, so it may have waited "
      "at the server: not in the figures above)\n", t->first_delay);
  if (t->numbered)
    printf ("frames skipped %" PRIu64 " (gaps in X-Frame-Number from %"
        PRId64 " to %" PRId64 "), duplicates %" PRIu64 ", out of order %"
        PRIu64 "\n", t->skipped, t->first_num, t->last_num, t->duplicates,
        t->out_of_order);
  else
    printf ("frames skipped: unknown, the parts carry no X-Frame-Number\n");
  if (t->negative) {
    min = samples_percentile (&t->delay, 0);
    if (isnan (min) || t->first_delay < min)
      min = t->first_delay;
    printf ("clocks disagree: %" PRIu64 " of %" PRIu64 " frames arrived "
        "before their X-Timestamp (min %.2f ms), so this machine's clock is "
        "behind the clock that stamped them by at least %.2f ms, and every "
        "delay here is off by that offset (or, on one machine, the stream "
        "stamps frames ahead of their time: docs/delay.md)\n", t->negative,
        t->frames, min, -min);
  }
}

/* ---- main --------------------------------------------------------------- */

static void
usage (void)
{
  fprintf (stderr,
      "usage: mjpeg-delay [--seconds N] [--frames N] [--per-frame] [--json]\n"
      "         [--timeout S] [--user U --password P] [--tls-ca FILE]\n"
      "         http[s]://HOST[:PORT]/PATH[?QUERY]\n"
      "  delay = arrival of a whole part (this machine's clock) minus its\n"
      "  X-Timestamp (the stamping machine's clock): see docs/delay.md\n"
      "  --seconds: measure for N seconds (default 10, or until --frames)\n"
      "  --frames: stop after N frames\n"
      "  --per-frame: one line per frame: number, X-Timestamp, arrival,\n"
      "         delay in ms, frames skipped just before it\n"
      "  --json: the report (and --per-frame's lines) as JSON, one object\n"
      "         a line, the report last\n"
      "  --timeout: give up after S seconds without data (default 10)\n"
      "  --user, --password: HTTP Basic authentication\n"
      "  --tls-ca: for https://, the CA (PEM) that signed the server's\n"
      "         certificate (default: the system's)\n");
  exit (2);
}

static void
parse_args (int argc, char **argv)
{
  const Option options[] = {
    {"--seconds", OPTION_DOUBLE, &opt_seconds},
    {"--frames", OPTION_LONG, &opt_frames},
    {"--per-frame", OPTION_FLAG, &opt_per_frame},
    {"--json", OPTION_FLAG, &opt_json},
    {"--timeout", OPTION_DOUBLE, &opt_timeout},
    {"--user", OPTION_STRING, &opt_user},
    {"--password", OPTION_STRING, &opt_password},
    {"--tls-ca", OPTION_STRING, &opt_tls_ca},
    {"--url", OPTION_STRING, &opt_url},
    {NULL, 0, NULL}
  };

  /* the URL comes last, as curl's does; the options are before it */
  if (argc > 1 && strncmp (argv[argc - 1], "--", 2) != 0) {
    opt_url = argv[argc - 1];
    argc--;
  }
  if (!options_parse (options, argc, argv) || !opt_url)
    usage ();
  if ((opt_seconds != -1 && !(opt_seconds > 0)) || opt_frames < 0
      || !(opt_timeout > 0) || opt_timeout > 86400)
    usage ();
  if (!!opt_user != !!opt_password)
    die ("--user and --password go together");
  if (opt_seconds == -1 && opt_frames == 0)
    opt_seconds = 10;
}

int
main (int argc, char **argv)
{
  static char buf[READ_CHUNK];
  struct sigaction sa;
  MjpegParser parser;
  Tally tally;
  double start, deadline, last_data, now, seconds;
  size_t len;

  parse_args (argc, argv);
  parse_url (opt_url);
#ifndef HAVE_GNUTLS
  if (use_tls)
    die ("https:// needs mjpeg-delay built with GnuTLS (bench/meson.build "
        "does when libgnutls28-dev is installed)");
#endif
  if (opt_tls_ca && !use_tls)
    die ("--tls-ca goes with an https:// URL");

  /* no SA_RESTART: Ctrl+C ends the wait in poll() and the report follows */
  memset (&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigaction (SIGINT, &sa, NULL);
  sigaction (SIGTERM, &sa, NULL);
  signal (SIGPIPE, SIG_IGN);
  if (opt_per_frame)
    setvbuf (stdout, NULL, _IOLBF, 0);

  connect_server ((int) (opt_timeout * 1000));
#ifdef HAVE_GNUTLS
  if (use_tls)
    tls_handshake ((int) (opt_timeout * 1000));
#endif
  send_request ();
  len = read_head (buf, HEAD_MAX + 1);

  memset (&tally, 0, sizeof tally);
  mjpeg_parser_init (&parser, NULL, part_done, &tally);
  mjpeg_parser_start (&parser, 0);
  if (opt_per_frame && !opt_json)
    printf ("# frame timestamp arrival delay_ms skipped_before\n");

  start = last_data = mono_now ();
  deadline = opt_seconds > 0 ? start + opt_seconds : INFINITY;
  /* the head again, for the parser's boundary, and the parts behind it */
  mjpeg_parser_feed (&parser, buf, len);
  while (parser.state != MJPEG_DONE && !enough && !failure[0]
      && !interrupted) {
    double until;
    size_t got;
    ReadResult r;

    now = mono_now ();
    if (now >= deadline)
      break;
    until = last_data + opt_timeout < deadline ? last_data + opt_timeout
        : deadline;
    r = read_some (buf, sizeof buf, (int) ((until - now) * 1000) + 1, &got);
    if (r == READ_DATA) {
      last_data = read_mono;
      mjpeg_parser_feed (&parser, buf, got);
      continue;
    }
    if (r == READ_INTERRUPTED)
      continue;
    if (r == READ_TIMEOUT) {
      if (mono_now () >= deadline)
        break;
      if (mono_now () - last_data < opt_timeout)
        continue;
      fail ("%s sent nothing for %g s", shown_url, opt_timeout);
    } else if (r == READ_CLOSED) {
      fail ("%s closed the connection", shown_url);
    } else {
      fail ("cannot read from %s: %s", shown_url, read_error);
    }
    break;
  }
  if (parser.state == MJPEG_DONE && !enough && !failure[0])
    fail ("%s ended the stream (%s): its pipeline stopped or reached its "
        "end", shown_url, parser.why ? parser.why : "done");
  if (tally.frames == 0 && !failure[0])
    fail ("no frame came from %s%s", shown_url,
        interrupted ? " before the interruption" : "");

  seconds = mono_now () - start;
  if (opt_json)
    report_json (&tally, seconds);
  else
    report_text (&tally, seconds);
  fflush (stdout);
  if (failure[0])
    fprintf (stderr, "%s: %s\n", tool_name, failure);
#ifdef HAVE_GNUTLS
  if (tls)
    gnutls_deinit (tls);
  if (tls_cred)
    gnutls_certificate_free_credentials (tls_cred);
#endif
  close (sock);
  free (tally.delay.v);
  return failure[0] ? 1 : 0;
}
