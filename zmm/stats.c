// SPDX-License-Identifier: GPL-2.0
/*
 * zmm core, layer 0: the pool's counters.
 *
 * Every counter is an item of enum zmm_stat_item, named beside it in
 * <zmm/stat_items.h>.  Each CPU adds to its own copy, so stores
 * and loads on different CPUs never share a counter's cache line; a read
 * sums the copies.  A gauge's per-CPU copies are deltas that may be
 * negative: only their sum means something, and a sum read while others
 * add may be off by what is in flight.  ZMM_STAT_PAGES_HELD is the one
 * item kept in a single atomic (struct zmm_pool).
 */
#include "stats.h"

#define ZMM_STAT(item, name)	\
	[ZMM_STAT_##item] = name,
static const char * const zmm_stat_names[NR_ZMM_STAT_ITEMS] = {
#include <zmm/stat_items.h>
};

#undef ZMM_STAT

const char *zmm_stat_name(enum zmm_stat_item item)
{
	if ((unsigned int)item >= NR_ZMM_STAT_ITEMS)
		return "?";
	return zmm_stat_names[item];
}

/**
 * zmm_stat - read a counter.
 * @pool: the pool.
 * @item: the counter.
 *
 * Return: its value (0 for an unknown item; a gauge whose in-flight
 * deltas sum below zero reads 0).
 */
unsigned long zmm_stat(struct zmm_pool *pool, enum zmm_stat_item item)
{
	long sum = 0;
	int cpu;

	if ((unsigned int)item >= NR_ZMM_STAT_ITEMS)
		return 0;
	if (item == ZMM_STAT_PAGES_HELD)
		return atomic_long_read(&pool->pages_held);
	for_each_possible_cpu(cpu)
		sum += READ_ONCE(per_cpu_ptr(pool->stats, cpu)->v[item]);
	return max(sum, 0L);
}

/**
 * zmm_count - count an event the environment decided on.
 * @pool: the pool.
 * @item: the counter, ZMM_STAT_REJECT_MEMCG_LIMIT (memory.zpages.max is
 *	the environment's to check); others are refused.
 */
void zmm_count(struct zmm_pool *pool, enum zmm_stat_item item)
{
	if (WARN_ON_ONCE(item != ZMM_STAT_REJECT_MEMCG_LIMIT))
		return;
	zmm_stat_inc(pool, item);
}

int zmm_stats_init(struct zmm_pool *pool)
{
	atomic_long_set(&pool->pages_held, 0);
	pool->stats = alloc_percpu(struct zmm_stats_cpu);
	return pool->stats ? 0 : -ENOMEM;
}

void zmm_stats_destroy(struct zmm_pool *pool)
{
	free_percpu(pool->stats);
	pool->stats = NULL;
}
