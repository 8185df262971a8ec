/* SPDX-License-Identifier: GPL-2.0 */
/*
 * zmm.ko: the kernel side of zmm, shared by main.c, params.c, debugfs.c.
 * Not part of the portable core: these files build only in the kernel.
 */
#ifndef _ZMM_MODULE_H
#define _ZMM_MODULE_H

#include <linux/atomic.h>
#include <zmm/zmm.h>

/**
 * struct zmm_config - the module parameters, as the pool sees them.
 * @enabled: take new pages; loads and invalidations always work.
 * @params: tunables of the pool; those a live pool cannot change
 *	(compressor, zstd level) are refused with -EBUSY while it is live.
 * @max_pool_percent: pageframes the pool may hold, in percent of RAM.
 * @memcg_max_percent: pageframes the zpages of a memcg may hold, in
 *	percent of its memory.max (the lowest of it and its ancestors').
 */
struct zmm_config {
	bool enabled;
	struct zmm_params params;
	unsigned int max_pool_percent;
	unsigned int memcg_max_percent;
};

/**
 * enum zmm_module_stat - what zmm.ko refuses on top of the core's rejects.
 * @ZMM_MOD_REJECT_POOL_LIMIT: stores refused at max_pool_percent.
 * @ZMM_MOD_REJECT_MEMCG_LIMIT: stores refused at memcg_max_percent.
 * @ZMM_MOD_MEMCG_SHRINKS: batches given back by a memcg over its share.
 * @ZMM_MOD_COMPACT_RUNS: runs of the background compaction.
 * @NR_ZMM_MOD_STATS: number of items.
 */
enum zmm_module_stat {
	ZMM_MOD_REJECT_POOL_LIMIT,
	ZMM_MOD_REJECT_MEMCG_LIMIT,
	ZMM_MOD_MEMCG_SHRINKS,
	ZMM_MOD_COMPACT_RUNS,
	NR_ZMM_MOD_STATS,
};

extern atomic_long_t zmm_mod_stats[NR_ZMM_MOD_STATS];
extern const char *const zmm_mod_stat_names[NR_ZMM_MOD_STATS];

extern struct zmm_config zmm_config;
/* the pool, set once at module load and never changed */
extern struct zmm_pool *zmm_pool;

int zmm_set_enabled(bool enabled);
unsigned long zmm_pool_limit_pages(void);
bool zmm_pool_over_limit(void);

int zmm_debugfs_init(void);
void zmm_debugfs_exit(void);

#endif /* _ZMM_MODULE_H */
