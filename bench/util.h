/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Small helpers of the corpus tool: messages, the clock, sleeping, and
 * reading small files such as those in /proc.
 */
#ifndef ZMM_BENCH_UTIL_H
#define ZMM_BENCH_UTIL_H

#include <sys/types.h>

#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))

/* "zmm-corpus: " and the message on stderr, with a newline */
void pr_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* CLOCK_MONOTONIC in seconds */
double now_sec(void);
void msleep(unsigned int ms);
/*
 * Read the file at @path (e.g. in /proc) into @buf, at most @size - 1
 * bytes, NUL terminated. Returns the length or a negative errno.
 */
ssize_t read_small(const char *path, char *buf, size_t size);

#endif
