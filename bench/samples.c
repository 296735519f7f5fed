/* samples: measurements kept one by one, and their order statistics (see
 * samples.h).  No libm: the scripts build mjpeg-load with a bare cc. */
#include <math.h>
#include <stdlib.h>

#include "die.h"
#include "samples.h"

void
samples_add (Samples * s, double v)
{
  if (s->n == s->cap) {
    s->cap = s->cap ? s->cap * 2 : 1024;
    s->v = realloc (s->v, s->cap * sizeof *s->v);
    if (!s->v)
      die ("out of memory");
  }
  s->v[s->n++] = v;
}

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

/* Nearest-rank percentile; NAN when empty.  Sorts in place. */
double
samples_percentile (Samples * s, double p)
{
  double rank;
  size_t i;

  if (s->n == 0)
    return NAN;
  qsort (s->v, s->n, sizeof *s->v, cmp_double);
  rank = p / 100.0 * s->n;
  i = (size_t) rank;
  /* round up without libm: the smallest rank covering p percent */
  if (i < rank)
    i++;
  if (i > 0)
    i--;
  return s->v[i < s->n ? i : s->n - 1];
}

/* min, median, max; NAN when empty.  Sorts in place. */
void
samples_summary (Samples * s, double out[3])
{
  if (s->n == 0) {
    out[0] = out[1] = out[2] = NAN;
    return;
  }
  qsort (s->v, s->n, sizeof *s->v, cmp_double);
  out[0] = s->v[0];
  out[1] = s->v[s->n / 2];
  out[2] = s->v[s->n - 1];
}
