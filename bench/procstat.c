/* procstat: what a process costs (see procstat.h).  Every reader answers
 * -1 once the process is gone, so that a report can still be printed. */
#define _GNU_SOURCE
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>

#include "procstat.h"

/* utime + stime of every thread of the process, in clock ticks */
double
procstat_ticks (long pid)
{
  char path[64], buf[1024], *p;
  unsigned long long ut, st;
  FILE *f;
  size_t n;
  int i;

  snprintf (path, sizeof path, "/proc/%ld/stat", pid);
  f = fopen (path, "r");
  if (!f)
    return -1;
  n = fread (buf, 1, sizeof buf - 1, f);
  fclose (f);
  buf[n] = '\0';
  /* the command name may hold spaces and parentheses: skip to its end */
  p = strrchr (buf, ')');
  if (!p)
    return -1;
  /* fields 3..13 (state .. cmajflt) precede utime (14) and stime (15) */
  for (i = 0; i < 11 && p; i++)
    p = strchr (p + 1, ' ');
  if (!p || sscanf (p, " %*s %llu %llu", &ut, &st) != 2)
    return -1;
  return (double) ut + st;
}

/* A "Vm...:" line of /proc/PID/status, in kB. */
long
procstat_status_kb (long pid, const char *key)
{
  char path[64], line[256];
  size_t klen = strlen (key);
  long kb = -1;
  FILE *f;

  snprintf (path, sizeof path, "/proc/%ld/status", pid);
  f = fopen (path, "r");
  if (!f)
    return -1;
  while (fgets (line, sizeof line, f))
    if (strncmp (line, key, klen) == 0 && line[klen] == ':') {
      kb = strtol (line + klen + 1, NULL, 10);
      break;
    }
  fclose (f);
  return kb;
}

long
procstat_fds (long pid)
{
  char path[64];
  struct dirent *e;
  long n = 0;
  DIR *d;

  snprintf (path, sizeof path, "/proc/%ld/fd", pid);
  d = opendir (path);
  if (!d)
    return -1;
  while ((e = readdir (d)))
    if (e->d_name[0] != '.')
      n++;
  closedir (d);
  return n;
}

/* user + system seconds of this process */
double
procstat_own_cpu (void)
{
  struct rusage ru;

  getrusage (RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6
      + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}
