/* mjpeghttp
 * Copyright (C) 2026 mjpeghttp developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

/* The idle countdown: while the element is PLAYING and nobody is connected
 * or waiting, a timer of the idle timeout runs; when it fires the server
 * is idle until someone comes (wake) or the element is set PLAYING anew
 * (reset).
 *
 * Threads: the server thread only; no lock.
 */

#include "gstmjpeghttpidle.h"

struct _GstMjpegHttpIdle
{
  GMainContext *context;
  GSourceFunc func;
  gpointer user_data;
  guint timeout_ms;
  GSource *source;
  gboolean idle;
};

static void
cancel (GstMjpegHttpIdle * idle)
{
  if (idle->source) {
    g_source_destroy (idle->source);
    g_clear_pointer (&idle->source, g_source_unref);
  }
}

static gboolean
fired (gpointer user_data)
{
  GstMjpegHttpIdle *idle = user_data;

  g_clear_pointer (&idle->source, g_source_unref);
  idle->idle = TRUE;
  idle->func (idle->user_data);
  return G_SOURCE_REMOVE;
}

/* @func is called on @context when the countdown ends. */
GstMjpegHttpIdle *
gst_mjpeg_http_idle_new (GMainContext * context, GSourceFunc func,
    gpointer user_data)
{
  GstMjpegHttpIdle *idle = g_new0 (GstMjpegHttpIdle, 1);

  idle->context = context;
  idle->func = func;
  idle->user_data = user_data;
  return idle;
}

void
gst_mjpeg_http_idle_free (GstMjpegHttpIdle * idle)
{
  cancel (idle);
  g_free (idle);
}

/* 0 never goes idle. A countdown of the old length starts over. */
void
gst_mjpeg_http_idle_set_timeout (GstMjpegHttpIdle * idle, guint timeout_ms)
{
  if (timeout_ms == idle->timeout_ms)
    return;
  idle->timeout_ms = timeout_ms;
  cancel (idle);
}

/* Starts or stops the countdown for what is the case now. */
void
gst_mjpeg_http_idle_update (GstMjpegHttpIdle * idle, gboolean playing,
    gboolean anybody)
{
  if (idle->timeout_ms == 0 || !playing || anybody) {
    cancel (idle);
  } else if (!idle->source && !idle->idle) {
    idle->source = g_timeout_source_new (idle->timeout_ms);
    g_source_set_callback (idle->source, fired, idle, NULL);
    g_source_attach (idle->source, idle->context);
  }
}

/* Someone came: the countdown stops. Returns TRUE when it had ended, so
 * that the caller wakes the pipeline. */
gboolean
gst_mjpeg_http_idle_wake (GstMjpegHttpIdle * idle)
{
  gboolean was_idle = idle->idle;

  cancel (idle);
  idle->idle = FALSE;
  return was_idle;
}

/* The element was set PLAYING by someone: count anew, and an idle that
 * fired while it was not playing is forgotten. */
void
gst_mjpeg_http_idle_reset (GstMjpegHttpIdle * idle)
{
  idle->idle = FALSE;
}

gboolean
gst_mjpeg_http_idle_is_idle (GstMjpegHttpIdle * idle)
{
  return idle->idle;
}
