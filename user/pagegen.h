/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Synthetic memory pages: the one page generator of the userspace tests and
 * the benchmarks.  A page is a pure function of its class and seed, so a
 * test can regenerate what it stored to check what it loads.
 *
 * Plain C: builds with or without user/shim/zmm_shim.h.
 */
#ifndef ZMM_USER_PAGEGEN_H
#define ZMM_USER_PAGEGEN_H

#define GEN_PAGE_SIZE	4096UL

/* page classes of the generator */
enum gen_class {
	GEN_ZERO,
	GEN_SAME,	/* one non-zero unsigned long repeated */
	GEN_TEXT,	/* words, spaces and newlines; no NUL byte */
	GEN_RANDOM,	/* incompressible */
	GEN_ANON,	/* small integers, pointers, zero runs: heap-like */
	GEN_HALF,	/* half text, half zero */
	GEN_NR,
};

/**
 * gen_page() - fill a page of a class.
 * @page: GEN_PAGE_SIZE bytes.
 * @cls: what the page looks like.
 * @seed: which page of the class; the same seed gives the same page.
 */
void gen_page(void *page, enum gen_class cls, unsigned long seed);

/* "zero", "same", "text", "random", "anon", "half" or "?" */
const char *gen_class_name(enum gen_class cls);

/**
 * xrand() - next value of a xorshift generator.
 * @state: the generator; any value, 0 included, is a valid start.
 */
unsigned long xrand(unsigned long *state);

/**
 * gen_stream() - a start state for xrand().
 * @seed: the caller's seed.
 * @stream: which of the independent streams of that seed.
 *
 * gen_page() starts from gen_stream(@seed, 0).
 */
unsigned long gen_stream(unsigned long seed, unsigned int stream);

/* Next value of @state in [0, @n), @n > 0; uniform enough for test data. */
static inline unsigned long xrand_below(unsigned long *state, unsigned long n)
{
	return xrand(state) % n;
}

#endif
