/* mjpeghttp
 * Copyright (C) 2026 mjpeghttp developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

/* What the source gives: its rate over a window, the newest frame's
 * number, time and size.
 *
 * Frame numbers, not arrivals, are counted: the server thread may take
 * only the newest of a burst. Once the source stops, the rate falls to 0
 * as the window passes.
 *
 * Threads: the caller's (the server thread); no lock. Pure. */

#include "gstmjpeghttpsource.h"

#define N GST_MJPEG_HTTP_SOURCE_SAMPLES

/* @now_us: monotonic. */
void
gst_mjpeg_http_source_count (GstMjpegHttpSource * source,
    const GstMjpegHttpFrame * frame, gint64 now_us)
{
  source->samples[source->next].number = frame->number;
  source->samples[source->next].time_us = now_us;
  source->next = (source->next + 1) % N;
  source->n_samples = MIN (source->n_samples + 1, N);
  source->number = frame->number;
  source->real_time = frame->real_time;
  source->width = frame->width;
  source->height = frame->height;
}

static gdouble
rate (const GstMjpegHttpSource * source, gint64 now_us)
{
  guint newest = (source->next + N - 1) % N;
  guint oldest = newest, i;
  gint64 first, last, span;

  if (source->n_samples < 2)
    return 0;
  for (i = 1; i < source->n_samples; i++) {
    guint k = (newest + N - i) % N;

    if (source->samples[k].time_us < now_us - GST_MJPEG_HTTP_SOURCE_WINDOW_US)
      break;
    oldest = k;
  }
  if (oldest == newest)
    return 0;
  first = source->samples[oldest].time_us;
  last = source->samples[newest].time_us;
  /* up to now, less one interval, when the newest frame is late: a source
   * that stops shows at once, one that runs is not undercounted */
  span = MAX (last - first, now_us - first - (last - first) / (i - 1));
  if (span <= 0)
    return 0;
  return (source->samples[newest].number - source->samples[oldest].number) *
      (gdouble) G_USEC_PER_SEC / span;
}

/* Everything but @figures->idle, which is not the source's to know. */
void
gst_mjpeg_http_source_figures (const GstMjpegHttpSource * source,
    gint64 now_us, GstMjpegHttpSourceFigures * figures)
{
  figures->fps = rate (source, now_us);
  figures->width = source->width;
  figures->height = source->height;
  figures->frame_number = source->number;
  figures->frame_time_us = source->real_time;
}
