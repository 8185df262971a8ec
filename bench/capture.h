/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Capture of a live process's anonymous memory into a corpus.
 */
#ifndef ZMM_BENCH_CAPTURE_H
#define ZMM_BENCH_CAPTURE_H

#include <sys/types.h>

struct zmm_corpus_writer;

/* RssAnon of @pid in KiB, or -1 if it cannot be read (it has exited). */
long capture_rss_anon_kib(pid_t pid);

/**
 * capture_process() - stop a process and copy its anonymous memory.
 * @w: the corpus.
 * @pid: the process; the caller kills and reaps it afterwards.
 * @cls: the corpus class of its pages.
 * @max_mib: at most this much is taken, an evenly spread sample.
 * @rng: xrand() state for the sample.
 * @t0: now_sec() when the process started, for the report on stderr.
 *
 * Only pages present in RAM or in swap are taken, and not the shared zero
 * page. Returns 0, -ENODATA if no page was taken, or another negative
 * errno.
 */
int capture_process(struct zmm_corpus_writer *w, pid_t pid, unsigned int cls,
		    unsigned int max_mib, unsigned long *rng, double t0);

#endif
