/* options: the bench tools' command lines, "--name value" pairs and bare
 * flags, read into the variables that a table names. */
#ifndef BENCH_OPTIONS_H
#define BENCH_OPTIONS_H

typedef enum
{
  OPTION_FLAG,                  /* int, set to 1; takes no value */
  OPTION_STRING,                /* const char * */
  OPTION_INT,                   /* int */
  OPTION_LONG,                  /* long */
  OPTION_DOUBLE,                /* double */
  OPTION_ULLONG                 /* unsigned long long */
} OptionType;

/* a table ends with a NULL name */
typedef struct
{
  const char *name;
  OptionType type;
  void *value;
} Option;

int options_parse (const Option * options, int argc, char **argv);

#endif
