// SPDX-License-Identifier: GPL-2.0
/*
 * zmm core, layer 6: a pool's life, and its parameters.
 *
 * zmm_pool_create() builds the layers bottom up (counters, entry slab,
 * per-CPU codec contexts, index, arenas, ghosts) and installs the default
 * policy;
 * zmm_pool_destroy() empties the pool and takes them down top down.
 */
#include "arena.h"
#include "compress.h"
#include "ghost.h"
#include "index.h"
#include "policy.h"
#include "stats.h"
#include "store.h"

void zmm_params_default(struct zmm_params *p)
{
	*p = (struct zmm_params)ZMM_PARAMS_DEFAULT;
}

/**
 * zmm_params_check - validate tunables.
 * @p: the tunables.
 *
 * Return: 0, or -EINVAL with a message naming the bad one.
 */
int zmm_params_check(const struct zmm_params *p)
{
	if (!zmm_compressor(p->comp)) {
		pr_err("unknown compressor %d\n", p->comp);
		return -EINVAL;
	}
	if (p->recomp != ZMM_COMP_NONE &&
	    (!zmm_compressor(p->recomp) || p->recomp == p->comp)) {
		pr_err("second compressor %d: none, or one other than the first\n",
		       p->recomp);
		return -EINVAL;
	}
	if (p->zstd_level < 1 || p->zstd_level > 19) {
		pr_err("zstd level %d not in 1..19\n", p->zstd_level);
		return -EINVAL;
	}
	if (p->accept_pct < 10 || p->accept_pct > 100) {
		pr_err("accept_pct %u not in 10..100\n", p->accept_pct);
		return -EINVAL;
	}
	if (p->min_order < ZMM_BLOCK_ORDER_MIN ||
	    p->min_order > ZMM_BLOCK_ORDER_MAX) {
		pr_err("min_order %u not in %d..%d\n", p->min_order,
		       ZMM_BLOCK_ORDER_MIN, ZMM_BLOCK_ORDER_MAX);
		return -EINVAL;
	}
	if (p->compact_slack_pct > 50) {
		pr_err("compact_slack_pct %u not in 0..50\n",
		       p->compact_slack_pct);
		return -EINVAL;
	}
	return 0;
}

/**
 * zmm_pool_set_params - change the tunables of a live pool.
 * @pool: the pool.
 * @p: the new tunables.
 *
 * accept_pct, min_order, compact_slack_pct and limit_pages take effect
 * for the next operations; the compressors and the zstd level cannot
 * change under stored zpages.
 *
 * Return: 0, -EINVAL (with a message) for a bad value, -EBUSY for a
 * compressor change.
 */
int zmm_pool_set_params(struct zmm_pool *pool, const struct zmm_params *p)
{
	int ret = zmm_params_check(p);

	if (ret)
		return ret;
	if (p->comp != pool->params.comp || p->recomp != pool->params.recomp ||
	    ((p->comp == ZMM_COMP_ZSTD || p->recomp == ZMM_COMP_ZSTD) &&
	     p->zstd_level != pool->params.zstd_level))
		return -EBUSY;
	WRITE_ONCE(pool->params.accept_pct, p->accept_pct);
	WRITE_ONCE(pool->accept_max, PAGE_SIZE * p->accept_pct / 100);
	WRITE_ONCE(pool->params.min_order, p->min_order);
	WRITE_ONCE(pool->params.compact_slack_pct, p->compact_slack_pct);
	WRITE_ONCE(pool->params.limit_pages, p->limit_pages);
	return 0;
}

/**
 * zmm_pool_create - create a pool.
 * @p: tunables (copied).
 * @ops: environment (copied); alloc_block and free_block are required.
 *
 * Return: the pool, or NULL (bad arguments, with a message, or no memory).
 */
struct zmm_pool *zmm_pool_create(const struct zmm_params *p,
				 const struct zmm_ops *ops)
{
	struct zmm_pool *pool;

	if (!p || !ops || !ops->alloc_block || !ops->free_block) {
		pr_err("pool needs params, alloc_block and free_block\n");
		return NULL;
	}
	if (zmm_params_check(p))
		return NULL;
	pool = kzalloc(sizeof(*pool), GFP_KERNEL);
	if (!pool)
		return NULL;
	pool->params = *p;
	pool->ops = *ops;
	pool->comp = zmm_compressor(p->comp);
	pool->recomp = zmm_compressor(p->recomp);
	pool->accept_max = PAGE_SIZE * p->accept_pct / 100;
	pool->policy = &zmm_default_policy;
	if (zmm_stats_init(pool))
		goto free_pool;
	if (zmm_entry_cache_get())
		goto destroy_stats;
	if (zmm_ctx_init(pool))
		goto destroy_cache;
	if (zmm_index_init(pool))
		goto destroy_ctx;
	if (zmm_arenas_init(pool))
		goto destroy_index;
	if (zmm_ghosts_init(pool))
		goto destroy_arenas;
	return pool;

destroy_arenas:
	zmm_arenas_destroy(pool);
destroy_index:
	zmm_index_destroy(pool);
destroy_ctx:
	zmm_ctx_destroy(pool);
destroy_cache:
	zmm_entry_cache_put();
destroy_stats:
	zmm_stats_destroy(pool);
free_pool:
	kfree(pool);
	return NULL;
}

/**
 * zmm_pool_destroy - drop every zpage and free the pool.
 * @pool: the pool; nothing else may use it any more.
 */
void zmm_pool_destroy(struct zmm_pool *pool)
{
	if (!pool)
		return;
	zmm_invalidate_type(pool, ZMM_ANON);
	zmm_invalidate_type(pool, ZMM_FILE);
	zmm_ghosts_destroy(pool);
	zmm_index_destroy(pool);
	zmm_arenas_destroy(pool);
	zmm_ctx_destroy(pool);
	zmm_entry_cache_put();
	zmm_stats_destroy(pool);
	kfree(pool);
}

#include "pool-test.h"
