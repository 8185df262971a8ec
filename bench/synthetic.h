/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The synthetic classes of a corpus: zero, same-filled, text and random.
 */
#ifndef ZMM_BENCH_SYNTHETIC_H
#define ZMM_BENCH_SYNTHETIC_H

#define CORPUS_MAX_SYNTH_PAGES	(1u << 20)

struct zmm_corpus_writer;

/*
 * Add @n pages of each synthetic class to @w, in class order, seeded from
 * @seed. With @verbose, say on stderr how many text pages came from files.
 * Returns 0 or a negative errno.
 */
int corpus_add_synthetic(struct zmm_corpus_writer *w, unsigned int n,
			 unsigned long seed, int verbose);

/*
 * Write a corpus holding only the synthetic classes, @n pages each
 * (1..CORPUS_MAX_SYNTH_PAGES). Deterministic for a given @seed on a given
 * machine (text pages come from files found on the machine). Returns 0
 * or a negative errno.
 */
int zmm_corpus_write_synthetic(const char *path, unsigned int n,
			       unsigned long seed);

#endif
