/* mjpeghttp
 * Copyright (C) 2026 mjpeghttp developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

/* Runs the fuzz target over every file of the corpus folders given, so
 * that the corpus is checked in every build, with any compiler, without
 * libFuzzer. */

#include <glib.h>
#include <stdint.h>
#include <stdio.h>

int LLVMFuzzerTestOneInput (const uint8_t * data, size_t size);

int
main (int argc, char **argv)
{
  guint n = 0;
  gint i;

  for (i = 1; i < argc; i++) {
    GDir *dir = g_dir_open (argv[i], 0, NULL);
    const gchar *name;

    if (!dir) {
      g_printerr ("cannot open the corpus folder %s\n", argv[i]);
      return 1;
    }
    while ((name = g_dir_read_name (dir))) {
      gchar *path = g_build_filename (argv[i], name, NULL);
      gchar *contents;
      gsize len;

      if (g_file_get_contents (path, &contents, &len, NULL)) {
        LLVMFuzzerTestOneInput ((const uint8_t *) contents, len);
        g_free (contents);
        n++;
      }
      g_free (path);
    }
    g_dir_close (dir);
  }
  printf ("%u inputs replayed\n", n);
  return n > 0 ? 0 : 1;
}
