/* now: the clocks the bench clients read, as seconds in a double.  Inline:
 * they are read for every frame, next to the server being measured. */
#ifndef BENCH_NOW_H
#define BENCH_NOW_H

#include <time.h>

/* intervals: never jumps */
static inline double
mono_now (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* to compare with a server's X-Timestamp, which is wall-clock time */
static inline double
real_now (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_REALTIME, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

#endif
