/* die: how a bench tool gives up (see die.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "die.h"

void
die (const char *fmt, ...)
{
  va_list ap;

  va_start (ap, fmt);
  fprintf (stderr, "%s: ", tool_name);
  vfprintf (stderr, fmt, ap);
  fprintf (stderr, "\n");
  va_end (ap);
  exit (1);
}
