/* SPDX-License-Identifier: GPL-2.0 */
/*
 * zmm core, layer 0: the pool's counters (stats.c).  One list of items,
 * <zmm/stat_items.h>; per-CPU, so the hot path touches no
 * shared cache line.
 */
#ifndef _ZMM_STATS_H
#define _ZMM_STATS_H

#include "types.h"

static inline void zmm_stat_add(struct zmm_pool *pool,
				enum zmm_stat_item item, long n)
{
	this_cpu_add(pool->stats->v[item], n);
}

static inline void zmm_stat_inc(struct zmm_pool *pool,
				enum zmm_stat_item item)
{
	zmm_stat_add(pool, item, 1);
}

/* ZMM_STAT_PAGES_HELD: an atomic of its own, see struct zmm_pool */
static inline void zmm_pages_held_add(struct zmm_pool *pool, long n)
{
	atomic_long_add(n, &pool->pages_held);
}

int zmm_stats_init(struct zmm_pool *pool);
void zmm_stats_destroy(struct zmm_pool *pool);

#endif /* _ZMM_STATS_H */
