/* die: how a bench tool gives up, with its own name in front, so that a
 * message still says which tool it came from when a script runs several. */
#ifndef BENCH_DIE_H
#define BENCH_DIE_H

/* Each tool defines it ("mjpeg-load", "soak", "floor"): the link fails
 * rather than a message going out unnamed. */
extern const char tool_name[];

void die (const char *fmt, ...)
    __attribute__((format (printf, 1, 2), noreturn));

#endif
