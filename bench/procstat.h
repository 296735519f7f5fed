/* procstat: what a process costs, as the bench tools report it: the CPU
 * time, memory and open descriptors of a server under test, from /proc,
 * and the tool's own CPU time, which shares the cores with it. */
#ifndef BENCH_PROCSTAT_H
#define BENCH_PROCSTAT_H

double procstat_ticks (long pid);
long procstat_status_kb (long pid, const char *key);
long procstat_fds (long pid);
double procstat_own_cpu (void);

#endif
