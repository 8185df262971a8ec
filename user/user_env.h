/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The environment of a userspace zmm pool: a block allocator over
 * aligned_alloc() that checks every block comes back whole and can be made
 * to fail.  Pages to store come from pagegen.h.
 */
#ifndef ZMM_USER_ENV_H
#define ZMM_USER_ENV_H

#include <zmm/zmm.h>

struct uenv_block;

#define UENV_OWNERS	16

/**
 * struct uenv - block allocator state.
 * @max_order: orders above it fail (a fragmented machine).
 * @fail_all: every allocation fails (no memory at all).
 * @fail_after: the Nth allocation from now fails (0: off).
 * @alloc_fails: allocations refused.
 * @blocks_out: blocks handed out and not returned.
 * @pages_out: their pageframes.
 * @allocs: allocations by order.
 * @frees: frees by order.
 * @bad_frees: frees that matched no allocation (must stay 0).
 * @writeback: optional writeback op for the pool.
 * @wb_priv: its argument.
 * @dropped: file zpages dropped (zmm_ops.dropped), by owner; owners from
 *	UENV_OWNERS - 1 up share the last slot.
 * @no_writeback: owners whose writeback is off (zmm_ops.may_writeback
 *	says false), same slots.
 * @on_alloc: optional, called at the start of every block allocation,
 *	with no lock of the environment held: a test runs what another
 *	thread could run while the pool waits for memory.
 * @on_alloc_priv: its argument.
 */
struct uenv {
	pthread_mutex_t lock;
	unsigned int max_order;
	bool fail_all;
	unsigned long fail_after;
	unsigned long alloc_fails;
	long blocks_out;
	long pages_out;
	unsigned long allocs[ZMM_BLOCK_ORDER_MAX + 1];
	unsigned long frees[ZMM_BLOCK_ORDER_MAX + 1];
	unsigned long bad_frees;
	struct uenv_block *live;
	size_t nr_live, cap_live;
	int (*writeback)(void *priv, const struct zmm_key *key,
			 struct zmm_writeback *wb);
	void *wb_priv;
	unsigned long dropped[UENV_OWNERS];
	bool no_writeback[UENV_OWNERS];
	void (*on_alloc)(void *priv, unsigned int order);
	void *on_alloc_priv;
};

void uenv_init(struct uenv *u);
void uenv_fini(struct uenv *u);
struct zmm_ops uenv_ops(struct uenv *u);

#endif
