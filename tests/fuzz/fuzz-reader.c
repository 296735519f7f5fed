/* mjpeghttp
 * Copyright (C) 2026 mjpeghttp developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

/* libFuzzer target over what an origin sends mjpeghttpsrc: the input is a
 * whole response, status line, head and multipart body, read by the reader
 * as from a connection (in pieces of the size the first byte says, so that
 * heads and delimiters are cut at every place). Built as fuzz-request is
 * (meson -Dfuzzing=true) and replayed from its corpus in every build.
 *
 * Besides crashes and sanitizer reports, it checks what mjpeghttpsrc relies
 * on: no frame is empty or larger than the bound, and the reader never
 * gives more frame bytes than the input had. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gio/gio.h>
#include <gst/gst.h>

#include "gstmjpeghttpframeid.h"
#include "gstmjpeghttpreader.h"

int LLVMFuzzerTestOneInput (const uint8_t * data, size_t size);

#define CHECK(cond) do { if (!(cond)) abort (); } while (0)
#define MAX_FRAME 4096

/* A GInputStream that gives at most @piece bytes a read. */
typedef struct
{
  GInputStream parent;
  const guint8 *data;
  gsize size;
  gsize pos;
  gsize piece;
} Pieces;

typedef GInputStreamClass PiecesClass;

static GType pieces_get_type (void);
G_DEFINE_TYPE (Pieces, pieces, G_TYPE_INPUT_STREAM);

static gssize
pieces_read (GInputStream * stream, void *buffer, gsize count,
    GCancellable * cancellable, GError ** error)
{
  Pieces *p = (Pieces *) stream;
  gsize n = MIN (MIN (count, p->piece), p->size - p->pos);

  memcpy (buffer, p->data + p->pos, n);
  p->pos += n;
  return n;
}

static void
pieces_class_init (PiecesClass * klass)
{
  klass->read_fn = pieces_read;
}

static void
pieces_init (Pieces * p)
{
}

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  static gboolean initialized;
  Pieces *input;
  GstMjpegHttpReader *reader;
  GstBuffer *frame;
  gsize total = 0;

  if (!initialized) {
    gst_init (NULL, NULL);
    gst_mjpeg_http_frame_id_register ();
    initialized = TRUE;
  }
  if (size < 1)
    return 0;

  input = g_object_new (pieces_get_type (), NULL);
  input->piece = 1 + data[0] * 7;
  input->data = data + 1;
  input->size = size - 1;

  reader = gst_mjpeg_http_reader_new_for_input (G_INPUT_STREAM (input),
      MAX_FRAME, NULL);
  if (reader) {
    while ((frame = gst_mjpeg_http_reader_next (reader, NULL, NULL))) {
      gsize len = gst_buffer_get_size (frame);

      CHECK (len > 0 && len <= MAX_FRAME);
      total += len;
      CHECK (total <= size);
      gst_buffer_unref (frame);
    }
    gst_mjpeg_http_reader_free (reader);
  }
  g_object_unref (input);
  return 0;
}
