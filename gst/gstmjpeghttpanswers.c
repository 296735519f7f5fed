/* mjpeghttp
 * Copyright (C) 2026 mjpeghttp developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

/* The short answers libsoup is writing (a snapshot, the viewer page, an
 * error), each cut off when its client takes no byte of it for the
 * element's timeout. libsoup 3.2's server has no timeout of its own: a
 * client that asks for a snapshot and never reads would hold a descriptor,
 * and a frame, for as long as it stays connected.
 *
 * Progress is libsoup's "wrote-headers" and "wrote-body-data"; the end is
 * "finished" or "disconnected". A stalled answer's socket is shut down:
 * libsoup's next write fails and it finishes the message itself (the
 * socket stays libsoup's to close).
 *
 * Threads: the server thread only; no lock.
 */

#include "gstmjpeghttpanswers.h"

#include <gst/gst.h>
#include <sys/socket.h>

GST_DEBUG_CATEGORY_EXTERN (gst_mjpeg_http_sink_debug);
#define GST_CAT_DEFAULT gst_mjpeg_http_sink_debug

struct _GstMjpegHttpAnswers
{
  GstMjpegHttpStats *stats;
  GQueue answers;
};

typedef struct
{
  GList link;
  GstMjpegHttpAnswers *answers;
  SoupServerMessage *msg;
  gint fd;
  gint64 last_progress_us;
  gboolean cut;
} Answer;

static void
answer_free (Answer * a)
{
  g_signal_handlers_disconnect_by_data (a->msg, a);
  g_object_unref (a->msg);
  g_free (a);
}

static void
answer_progress (SoupServerMessage * msg, Answer * a)
{
  a->last_progress_us = g_get_monotonic_time ();
}

static void
answer_body_progress (SoupServerMessage * msg, guint chunk_size, Answer * a)
{
  a->last_progress_us = g_get_monotonic_time ();
}

static void
answer_done (SoupServerMessage * msg, Answer * a)
{
  g_queue_unlink (&a->answers->answers, &a->link);
  answer_free (a);
}

/* Cuts off every answer whose client took no byte of it for @timeout_us. */
void
gst_mjpeg_http_answers_cut_stalled (GstMjpegHttpAnswers * answers,
    gint64 timeout_us)
{
  gint64 now = g_get_monotonic_time ();
  GList *l;

  for (l = answers->answers.head; l; l = l->next) {
    Answer *a = l->data;

    if (a->cut || now - a->last_progress_us < timeout_us)
      continue;
    GST_INFO ("a client took no byte of its answer for %" G_GINT64_FORMAT
        " ms: cutting it off", timeout_us / 1000);
    gst_mjpeg_http_stats_count_refusal (answers->stats,
        GST_MJPEG_HTTP_REFUSAL_SLOW_READER);
    a->cut = TRUE;
    shutdown (a->fd, SHUT_RDWR);
  }
}

GstMjpegHttpAnswers *
gst_mjpeg_http_answers_new (GstMjpegHttpStats * stats)
{
  GstMjpegHttpAnswers *answers = g_new0 (GstMjpegHttpAnswers, 1);

  answers->stats = stats;
  return answers;
}

/* Watches @msg, whose response is set, until it is finished; @fd is its
 * connection's socket, which lives as long as @msg's connection. */
void
gst_mjpeg_http_answers_watch (GstMjpegHttpAnswers * answers,
    SoupServerMessage * msg, gint fd)
{
  Answer *a = g_new0 (Answer, 1);

  a->link.data = a;
  a->answers = answers;
  a->msg = g_object_ref (msg);
  a->fd = fd;
  a->last_progress_us = g_get_monotonic_time ();
  g_signal_connect (msg, "wrote-headers", G_CALLBACK (answer_progress), a);
  g_signal_connect (msg, "wrote-body-data", G_CALLBACK (answer_body_progress),
      a);
  g_signal_connect (msg, "finished", G_CALLBACK (answer_done), a);
  g_signal_connect (msg, "disconnected", G_CALLBACK (answer_done), a);
  g_queue_push_tail_link (&answers->answers, &a->link);
}

void
gst_mjpeg_http_answers_free (GstMjpegHttpAnswers * answers)
{
  Answer *a;

  while ((a = g_queue_peek_head (&answers->answers))) {
    g_queue_unlink (&answers->answers, &a->link);
    answer_free (a);
  }
  g_free (answers);
}
