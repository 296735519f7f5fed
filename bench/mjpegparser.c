/* mjpegparser: the client's side of an MJPEG-over-HTTP stream (see
 * mjpegparser.h).  It is parsed in layers, each a small state machine fed
 * whatever a read() returned, so that a split anywhere (inside a header
 * line, a chunk size, a boundary, a body) is handled: the response head,
 * then an optional chunked transfer decoding, then the multipart parts. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mjpegparser.h"

void
mjpeg_parser_init (MjpegParser * p, void (*body_begin) (MjpegParser *),
    void (*part_end) (MjpegParser *), void *user)
{
  memset (p, 0, sizeof *p);
  p->content_length = -1;
  p->body_begin = body_begin;
  p->part_end = part_end;
  p->user = user;
}

static void
set_boundary (MjpegParser * p, const char *b, size_t len)
{
  while (len > 0 && (b[len - 1] == ' ' || b[len - 1] == '\t'))
    len--;
  if (len == 0 || len >= MJPEG_BOUNDARY_MAX)
    return;
  memcpy (p->boundary, b, len);
  p->boundary[len] = '\0';
  p->blen = len;
  p->dlen = snprintf (p->delim, sizeof p->delim, "\r\n--%s", p->boundary);
}

/* The boundary told on the command line: the response cannot change it. */
void
mjpeg_parser_set_boundary (MjpegParser * p, const char *b, size_t len)
{
  set_boundary (p, b, len);
  p->boundary_fixed = 1;
}

/* The connection is up; @raw: no HTTP head, the parts start at once. */
void
mjpeg_parser_start (MjpegParser * p, int raw)
{
  p->state = raw ? MJPEG_PREAMBLE : MJPEG_STATUS;
}

/* The owner ends the stream: what comes after is ignored. */
void
mjpeg_parser_stop (MjpegParser * p)
{
  p->state = MJPEG_DONE;
}

static void
parser_end (MjpegParser * p, MjpegEnd end, const char *why)
{
  p->end = end;
  p->why = why;
  p->state = MJPEG_DONE;
}

int
mjpeg_parser_part_is_jpeg (const MjpegParser * p)
{
  return p->body_len >= 4 && p->first2[0] == 0xff && p->first2[1] == 0xd8
      && p->last2[0] == 0xff && p->last2[1] == 0xd9;
}

/* 1 if @l is the header @name, with @value pointing past ": " */
int
http_header_value (const char *l, const char *name, const char **value)
{
  size_t n = strlen (name);

  if (strncasecmp (l, name, n) != 0 || l[n] != ':')
    return 0;
  l += n + 1;
  while (*l == ' ' || *l == '\t')
    l++;
  *value = l;
  return 1;
}

/* 1 for "--boundary", 2 for the close delimiter "--boundary--", else 0.
 * A boundary parameter that itself starts with "--" is a common server bug
 * (the body then carries it without the extra dashes): accept both. */
static int
is_boundary_line (MjpegParser * p, const char *l, size_t len)
{
  const char *b = p->boundary;
  size_t blen = p->blen;

  if (blen == 0)
    return 0;
  if (len >= blen + 2 && l[0] == '-' && l[1] == '-'
      && memcmp (l + 2, b, blen) == 0) {
    l += blen + 2;
    len -= blen + 2;
  } else if (blen > 2 && b[0] == '-' && b[1] == '-' && len >= blen
      && memcmp (l, b, blen) == 0) {
    l += blen;
    len -= blen;
  } else {
    return 0;
  }
  if (len >= 2 && l[0] == '-' && l[1] == '-')
    return 2;
  while (len > 0 && (*l == ' ' || *l == '\t')) {
    l++;
    len--;
  }
  return len == 0 ? 1 : 0;
}

static void
part_start (MjpegParser * p)
{
  p->content_length = -1;
  p->has_ts = p->has_num = 0;
  p->body_len = 0;
  p->state = MJPEG_PART_HEADERS;
}

static void
body_add (MjpegParser * p, const char *data, size_t n)
{
  const unsigned char *u = (const unsigned char *) data;
  size_t i;

  if (n == 0)
    return;
  if (p->body_len == 0 && p->body_begin)
    p->body_begin (p);
  for (i = 0; i < n && p->body_len + i < 2; i++)
    p->first2[p->body_len + i] = u[i];
  if (n >= 2) {
    p->last2[0] = u[n - 2];
    p->last2[1] = u[n - 1];
  } else {
    p->last2[0] = p->last2[1];
    p->last2[1] = u[0];
  }
  p->body_len += n;
}

/* A part without Content-Length ends at "\r\n--boundary".  '\r' occurs only
 * at the start of that delimiter, so on a mismatch the held-back prefix is
 * body and matching restarts at the current byte. */
static size_t
body_scan (MjpegParser * p, const char *data, size_t n)
{
  size_t i = 0;

  while (i < n) {
    if (p->delim_match == 0) {
      const char *cr = memchr (data + i, '\r', n - i);
      size_t upto = cr ? (size_t) (cr - data) : n;

      body_add (p, data + i, upto - i);
      i = upto;
      if (!cr)
        break;
      p->delim_match = 1;
      i++;
      continue;
    }
    if (data[i] == p->delim[p->delim_match]) {
      i++;
      if (++p->delim_match == p->dlen) {
        p->delim_match = 0;
        p->part_end (p);
        p->line_len = 0;
        p->state = MJPEG_BOUNDARY_TAIL;
        break;
      }
    } else {
      body_add (p, p->delim, p->delim_match);
      p->delim_match = 0;
    }
  }
  return i;
}

static void
parse_content_type (MjpegParser * p, const char *v)
{
  const char *b = strcasestr (v, "boundary=");
  size_t len;

  if (!b || p->boundary_fixed)
    return;
  b += strlen ("boundary=");
  if (*b == '"') {
    b++;
    len = strcspn (b, "\"");
  } else {
    len = strcspn (b, "; \t");
  }
  set_boundary (p, b, len);
}

/* One complete line (CR LF or LF stripped) in a line-oriented state. */
static void
handle_line (MjpegParser * p, char *l, size_t len)
{
  const char *v;
  int kind;

  switch (p->state) {
    case MJPEG_STATUS:
      if (strncmp (l, "HTTP/1.", 7) != 0 || len < 12) {
        p->proto_errors++;
        parser_end (p, MJPEG_END_NOT_HTTP, "not an HTTP response");
        return;
      }
      if (atoi (l + 9) != 200) {
        parser_end (p, MJPEG_END_STATUS, "status not 200");
        return;
      }
      p->state = MJPEG_HEADERS;
      return;
    case MJPEG_HEADERS:
      if (len == 0) {
        p->head_done = 1;
        p->state = MJPEG_PREAMBLE;
        return;
      }
      if (http_header_value (l, "Content-Type", &v))
        parse_content_type (p, v);
      else if (http_header_value (l, "Transfer-Encoding", &v)
          && strcasestr (v, "chunked"))
        p->chunked = 1;
      return;
    case MJPEG_PREAMBLE:
    case MJPEG_AFTER_BODY:
      if (len == 0)
        return;
      /* no boundary announced (raw TCP, or a server that sends
       * application/octet-stream): the first delimiter line defines it */
      if (p->blen == 0 && len > 2 && l[0] == '-' && l[1] == '-')
        set_boundary (p, l + 2, len - 2);
      kind = is_boundary_line (p, l, len);
      if (kind == 1) {
        part_start (p);
      } else if (kind == 2) {
        parser_end (p, MJPEG_END_CLOSE_DELIMITER, "close delimiter");
      } else if (p->state == MJPEG_AFTER_BODY) {
        /* junk between a body and the next boundary: resynchronise */
        p->proto_errors++;
        p->state = MJPEG_PREAMBLE;
      }
      return;
    case MJPEG_BOUNDARY_TAIL:
      if (len >= 2 && l[0] == '-' && l[1] == '-')
        parser_end (p, MJPEG_END_CLOSE_DELIMITER, "close delimiter");
      else
        part_start (p);
      return;
    case MJPEG_PART_HEADERS:
      if (len > 0) {
        if (http_header_value (l, "Content-Length", &v)) {
          p->content_length = strtoll (v, NULL, 10);
        } else if (http_header_value (l, "X-Timestamp", &v)) {
          p->part_ts = strtod (v, NULL);
          p->has_ts = 1;
        } else if (http_header_value (l, "X-Frame-Number", &v)) {
          p->part_num = strtoll (v, NULL, 10);
          p->has_num = 1;
        }
        return;
      }
      p->first2[0] = p->first2[1] = p->last2[0] = p->last2[1] = 0;
      if (p->content_length > 0) {
        p->body_left = p->content_length;
        p->state = MJPEG_BODY;
      } else if (p->content_length == 0) {
        p->part_end (p);
        p->state = MJPEG_AFTER_BODY;
      } else if (p->need_length) {
        parser_end (p, MJPEG_END_NO_LENGTH, "a part without Content-Length");
      } else {
        p->delim_match = 0;
        p->state = MJPEG_BODY_SCAN;
      }
      return;
    default:
      return;
  }
}

/* Feeds bytes to the current state; returns how many were used.  A line
 * longer than MJPEG_LINE_MAX is truncated (its end is still found), which
 * is what resynchronising inside binary data needs. */
static size_t
feed_step (MjpegParser * p, const char *data, size_t n)
{
  const char *nl;
  size_t take;

  switch (p->state) {
    case MJPEG_BODY:
      take = (uint64_t) p->body_left < n ? (size_t) p->body_left : n;
      body_add (p, data, take);
      p->body_left -= take;
      if (p->body_left == 0) {
        p->part_end (p);
        p->line_len = 0;
        p->state = MJPEG_AFTER_BODY;
      }
      return take;
    case MJPEG_BODY_SCAN:
      return body_scan (p, data, n);
    case MJPEG_DONE:
    case MJPEG_IDLE:
      return n;
    default:
      nl = memchr (data, '\n', n);
      take = nl ? (size_t) (nl - data) + 1 : n;
      if (p->line_len < sizeof p->line - 1) {
        size_t room = sizeof p->line - 1 - p->line_len;
        size_t copy = take < room ? take : room;

        memcpy (p->line + p->line_len, data, copy);
        p->line_len += copy;
      }
      if (nl) {
        size_t len = p->line_len;

        while (len > 0 && (p->line[len - 1] == '\n'
                || p->line[len - 1] == '\r'))
          len--;
        p->line[len] = '\0';
        p->line_len = 0;
        handle_line (p, p->line, len);
      }
      return take;
  }
}

static void
feed_all (MjpegParser * p, const char *data, size_t n)
{
  while (n > 0 && p->state != MJPEG_DONE) {
    size_t used = feed_step (p, data, n);

    data += used;
    n -= used;
  }
}

/* Chunked transfer decoding, between the response head and the parts. */
static size_t
dechunk_step (MjpegParser * p, const char *data, size_t n)
{
  const char *nl;
  size_t take;

  if (p->cstate == MJPEG_CHUNK_DATA) {
    take = p->chunk_left < n ? (size_t) p->chunk_left : n;
    feed_all (p, data, take);
    p->chunk_left -= take;
    if (p->chunk_left == 0)
      p->cstate = MJPEG_CHUNK_DATA_END;
    return take;
  }
  nl = memchr (data, '\n', n);
  take = nl ? (size_t) (nl - data) + 1 : n;
  if (p->cline_len + take < sizeof p->cline) {
    memcpy (p->cline + p->cline_len, data, take);
    p->cline_len += take;
  }
  if (!nl)
    return take;
  p->cline[p->cline_len] = '\0';
  p->cline_len = 0;
  switch (p->cstate) {
    case MJPEG_CHUNK_SIZE:
      p->chunk_left = strtoull (p->cline, NULL, 16);
      p->cstate = p->chunk_left ? MJPEG_CHUNK_DATA : MJPEG_CHUNK_TRAILER;
      break;
    case MJPEG_CHUNK_DATA_END:
      p->cstate = MJPEG_CHUNK_SIZE;
      break;
    case MJPEG_CHUNK_TRAILER:
      if (p->cline[0] == '\r' || p->cline[0] == '\n')
        parser_end (p, MJPEG_END_LAST_CHUNK, "end of chunked body");
      break;
    default:
      break;
  }
  return take;
}

void
mjpeg_parser_feed (MjpegParser * p, const char *data, size_t n)
{
  /* the response head is never chunk-encoded: run it through first */
  while (n > 0 && p->state < MJPEG_PREAMBLE) {
    size_t used = feed_step (p, data, n);

    data += used;
    n -= used;
  }
  if (!p->chunked) {
    feed_all (p, data, n);
    return;
  }
  while (n > 0 && p->state != MJPEG_DONE) {
    size_t used = dechunk_step (p, data, n);

    data += used;
    n -= used;
  }
}
