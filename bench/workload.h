/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The workloads of the corpus tool: processes started so that their
 * anonymous memory can be captured into a corpus.
 */
#ifndef ZMM_BENCH_WORKLOAD_H
#define ZMM_BENCH_WORKLOAD_H

struct zmm_corpus_writer;

/*
 * Run gcc -O2 -c on a generated C file and capture cc1 in the middle of
 * it as class anon-cc, at most @max_mib. Returns 0 or a negative errno;
 * -EINTR after a signal (see workload_catch_signals()).
 */
int workload_cc(struct zmm_corpus_writer *w, unsigned int max_mib,
		unsigned long seed);

/*
 * Run a python3 that builds objects until it holds a bit more than
 * @max_mib, and capture it as class anon-py. Returns as workload_cc().
 */
int workload_py(struct zmm_corpus_writer *w, unsigned int max_mib,
		unsigned long seed);

/*
 * From now on SIGINT, SIGTERM and SIGHUP kill the running workload's
 * process group and make the workloads return -EINTR; the tool becomes a
 * child subreaper, so that grandchildren (cc1) are reaped as well.
 */
void workload_catch_signals(void);
/* Back to the default actions; the signal that came meanwhile, or 0. */
int workload_release_signals(void);
/* The signal that came since workload_catch_signals(), or 0. */
int workload_signal(void);

#endif
