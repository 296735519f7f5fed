/* mjpegparser: the client's side of an MJPEG-over-HTTP stream
 * (multipart/x-mixed-replace), parsed from whatever each read() returned:
 * the response head, an optional chunked transfer coding, then the parts.
 * Bodies are counted, never stored. */
#ifndef BENCH_MJPEGPARSER_H
#define BENCH_MJPEGPARSER_H

#include <stddef.h>
#include <stdint.h>

#define MJPEG_LINE_MAX 1024
#define MJPEG_BOUNDARY_MAX 128

typedef enum
{
  /* not started: input is ignored (all zero is this state) */
  MJPEG_IDLE,
  MJPEG_STATUS,
  MJPEG_HEADERS,
  /* everything from here on is the response body */
  MJPEG_PREAMBLE,
  MJPEG_PART_HEADERS,
  MJPEG_BODY,
  MJPEG_BODY_SCAN,
  MJPEG_BOUNDARY_TAIL,
  MJPEG_AFTER_BODY,
  MJPEG_DONE
} MjpegState;

typedef enum
{
  MJPEG_END_NONE,
  /* the status line is kept in line[] */
  MJPEG_END_NOT_HTTP,
  MJPEG_END_STATUS,
  MJPEG_END_CLOSE_DELIMITER,
  MJPEG_END_LAST_CHUNK,
  MJPEG_END_NO_LENGTH
} MjpegEnd;

typedef enum
{
  MJPEG_CHUNK_SIZE,
  MJPEG_CHUNK_DATA,
  MJPEG_CHUNK_DATA_END,
  MJPEG_CHUNK_TRAILER
} MjpegChunkState;

typedef struct _MjpegParser MjpegParser;

struct _MjpegParser
{
  MjpegState state;
  /* how the stream ended, in a few words once state is MJPEG_DONE by the
   * parser's own doing */
  MjpegEnd end;
  const char *why;
  /* a 200 head came to its end */
  int head_done;
  /* set by the owner: a part without Content-Length ends the stream
   * instead of running to the next boundary */
  int need_length;
  /* lines that are neither HTTP nor a boundary where one belongs */
  uint64_t proto_errors;

  /* the part being received; only its first and last two body bytes are
   * kept, which is enough to check JPEG SOI / EOI */
  int64_t content_length;
  uint64_t body_len;
  int has_ts, has_num;
  double part_ts;
  int64_t part_num;
  unsigned char first2[2], last2[2];

  /* the first bytes of a part's body came (may be NULL), a part is whole */
  void (*body_begin) (MjpegParser * p);
  void (*part_end) (MjpegParser * p);
  void *user;

  /* the rest is the parser's own */
  char line[MJPEG_LINE_MAX];
  size_t line_len;

  int chunked;
  MjpegChunkState cstate;
  uint64_t chunk_left;
  char cline[64];
  size_t cline_len;

  /* the boundary without its leading "--"; delim is "\r\n--" + boundary,
   * used only to find the end of a part that has no Content-Length */
  int boundary_fixed;
  char boundary[MJPEG_BOUNDARY_MAX];
  size_t blen;
  char delim[MJPEG_BOUNDARY_MAX + 4];
  size_t dlen, delim_match;
  int64_t body_left;
};

void mjpeg_parser_init (MjpegParser * p, void (*body_begin) (MjpegParser *),
    void (*part_end) (MjpegParser *), void *user);
void mjpeg_parser_set_boundary (MjpegParser * p, const char *b, size_t len);
void mjpeg_parser_start (MjpegParser * p, int raw);
void mjpeg_parser_feed (MjpegParser * p, const char *data, size_t n);
void mjpeg_parser_stop (MjpegParser * p);
int mjpeg_parser_part_is_jpeg (const MjpegParser * p);

int http_header_value (const char *line, const char *name, const char **value);

#endif
