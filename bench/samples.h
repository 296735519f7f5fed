/* samples: measurements kept one by one, and the order statistics that the
 * reports quote from them. */
#ifndef BENCH_SAMPLES_H
#define BENCH_SAMPLES_H

#include <stddef.h>

/* all zero is an empty list */
typedef struct
{
  double *v;
  size_t n, cap;
} Samples;

void samples_add (Samples * s, double v);
double samples_percentile (Samples * s, double p);
void samples_summary (Samples * s, double out[3]);

#endif
