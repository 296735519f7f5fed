/* options: the bench tools' command lines (see options.h).  Values are
 * read as atoi() and friends read them; each tool checks their ranges. */
#include <stdlib.h>
#include <string.h>

#include "options.h"

/* 0 when an argument is in no entry of @options, or its value is missing:
 * the caller prints its usage. */
int
options_parse (const Option * options, int argc, char **argv)
{
  int i;

  for (i = 1; i < argc; i++) {
    const Option *o;
    const char *v;

    for (o = options; o->name && strcmp (o->name, argv[i]) != 0; o++);
    if (!o->name)
      return 0;
    if (o->type == OPTION_FLAG) {
      *(int *) o->value = 1;
      continue;
    }
    if (++i >= argc)
      return 0;
    v = argv[i];
    switch (o->type) {
      case OPTION_STRING:
        *(const char **) o->value = v;
        break;
      case OPTION_INT:
        *(int *) o->value = atoi (v);
        break;
      case OPTION_LONG:
        *(long *) o->value = atol (v);
        break;
      case OPTION_DOUBLE:
        *(double *) o->value = atof (v);
        break;
      case OPTION_ULLONG:
        *(unsigned long long *) o->value = strtoull (v, NULL, 10);
        break;
      default:
        break;
    }
  }
  return 1;
}
