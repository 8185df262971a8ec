// SPDX-License-Identifier: GPL-2.0
/*
 * zmm arenas and the zpage LRU.
 *
 * An arena is the unit MM reasons about: the zpages of one type charged to
 * one memcg on one node, with the pageframes that hold them.  Its LRU runs
 * from cold (head of the list) to hot (tail): a store adds at the hot end,
 * a load removes the entry (loads are exclusive, see zmm_load()), and an
 * eviction takes from the cold end.
 *
 * Same-filled zpages take no storage, hence no pageframes, and stay off
 * the LRU: evicting them would give MM nothing back.
 */
#include "internal.h"

static u64 zmm_arena_hkey(u32 owner, int nid, enum zmm_type type)
{
	return ((u64)owner << 32) ^ ((u64)(u32)nid << 1) ^ (u64)type;
}

static u64 zmm_arena_node_hkey(struct hlist_node *n)
{
	struct zmm_arena *a = container_of(n, struct zmm_arena, hnode);

	return zmm_arena_hkey(a->owner, a->nid, a->type);
}

static struct zmm_arena *zmm_arena_lookup(struct zmm_pool *pool, u32 owner,
					  int nid, enum zmm_type type)
{
	u64 h = zmm_arena_hkey(owner, nid, type);
	struct hlist_head *head;
	struct zmm_arena *a;

	head = &pool->arenas.heads[hash_64(h, pool->arenas.bits)];
	hlist_for_each_entry(a, head, hnode) {
		if (a->owner == owner && a->nid == nid && a->type == type)
			return a;
	}
	return NULL;
}

/**
 * zmm_arena_find - look up, and optionally create, an arena.
 * @pool: the pool.
 * @owner: memcg id.
 * @nid: node.
 * @type: zpage type.
 * @create: create it when missing.
 *
 * Return: the arena, or NULL (missing and not created, or no memory).
 */
struct zmm_arena *zmm_arena_find(struct zmm_pool *pool, u32 owner, int nid,
				 enum zmm_type type, bool create)
{
	struct zmm_arena *a, *na;
	unsigned int i;

	read_lock(&pool->arenas_lock);
	a = zmm_arena_lookup(pool, owner, nid, type);
	read_unlock(&pool->arenas_lock);
	if (a || !create)
		return a;

	na = kzalloc(sizeof(*na), GFP_KERNEL | __GFP_NOWARN);
	if (!na)
		return NULL;
	spin_lock_init(&na->lock);
	INIT_LIST_HEAD(&na->lru);
	INIT_LIST_HEAD(&na->evacuating);
	for (i = 0; i < ZMM_NR_BUCKETS; i++)
		INIT_LIST_HEAD(&na->buckets[i]);
	na->pool = pool;
	na->owner = owner;
	na->nid = nid;
	na->type = type;

	write_lock(&pool->arenas_lock);
	a = zmm_arena_lookup(pool, owner, nid, type);
	if (!a) {
		hlist_add_head(&na->hnode,
			       &pool->arenas.heads[hash_64(zmm_arena_hkey(owner,
								nid, type),
						  pool->arenas.bits)]);
		pool->arenas.nr++;
		zmm_htab_maybe_grow(&pool->arenas, zmm_arena_node_hkey, NULL);
		a = na;
		na = NULL;
	}
	write_unlock(&pool->arenas_lock);
	kfree(na);
	return a;
}

int zmm_arenas_init(struct zmm_pool *pool)
{
	rwlock_init(&pool->arenas_lock);
	return zmm_htab_init(&pool->arenas, 4);
}

/* Free every arena; they must hold nothing by now. */
void zmm_arenas_destroy(struct zmm_pool *pool)
{
	struct hlist_node *next;
	struct zmm_arena *a;
	unsigned long i;

	if (!pool->arenas.heads)
		return;
	for (i = 0; i < (1UL << pool->arenas.bits); i++) {
		hlist_for_each_entry_safe(a, next, &pool->arenas.heads[i],
					  hnode) {
			zmm_block_drop_spare(a);
			WARN_ON_ONCE(a->head || a->nr_zpages || a->pages_held);
			hlist_del_init(&a->hnode);
			kfree(a);
		}
	}
	zmm_htab_free(&pool->arenas);
}

/* Put an entry whose eviction failed back on the hot end of the LRU. */
static void zmm_lru_putback(struct zmm_arena *a, struct zmm_entry *e)
{
	spin_lock(&a->lock);
	list_add_tail(&e->lru, &a->lru);
	spin_unlock(&a->lock);
}

/**
 * zmm_writeback_fill - take the data of a zpage being written back.
 * @wb: what zmm_ops.writeback was given.
 * @dst: PAGE_SIZE bytes.
 *
 * Call only once the slot is the caller's (see zmm_ops.writeback).  If the
 * key still maps to this zpage, the key is removed from the pool and its
 * data decompressed into @dst, which is from then on the only copy: the
 * caller must write it or keep it.  Never sleeps.
 *
 * Return: 0; -ESTALE if the key was loaded, replaced or invalidated since
 * the zpage was chosen (there is nothing to write back); -EIO if the data
 * failed to decompress (it is lost: a bug or memory corruption, warned).
 */
int zmm_writeback_fill(struct zmm_writeback *wb, void *dst)
{
	struct zmm_pool *pool = wb->pool;
	struct zmm_entry *e = wb->e;
	struct zmm_cpu_ctx *ctx;
	struct zmm_shard *s;
	int ret;

	if (WARN_ON_ONCE(wb->taken))
		return -EINVAL;
	s = zmm_shard_of(pool, e->type, e->id, e->index);
	spin_lock(&s->lock);
	wb->taken = zmm_index_erase_entry(s, e);
	spin_unlock(&s->lock);
	if (!wb->taken)
		return -ESTALE;
	ctx = zmm_ctx_get(pool);
	zmm_arena_copy_out(e->arena, e, ctx->buf, false);
	ret = pool->comp->decompress(ctx, ctx->buf, e->len, dst);
	zmm_ctx_put(pool);
	if (WARN_ON_ONCE(ret)) {
		zmm_stat_inc(pool, ZMM_STAT_DECOMP_ERR);
		return -EIO;
	}
	return 0;
}
EXPORT_SYMBOL_GPL(zmm_writeback_fill);

/**
 * zmm_lru_evict_one - evict the coldest zpage of an arena.
 * @a: the arena.
 *
 * A file zpage is dropped (it is clean).  An anon zpage is handed to
 * zmm_ops.writeback, which takes its swap slot and then the data, through
 * zmm_writeback_fill(); the zpage stays in the index, loadable, until the
 * data is in the caller's page, so no load can miss data that is not yet
 * on its way to the slot.  If the writeback fails before taking the data,
 * the zpage goes back to the hot end of the LRU, so that the next attempt
 * tries another one.
 *
 * Return: pageframes freed (>= 0), -ENOENT if the LRU is empty, -EAGAIN
 * if the zpage could not be evicted.
 */
long zmm_lru_evict_one(struct zmm_arena *a)
{
	struct zmm_pool *pool = a->pool;
	struct zmm_writeback wb;
	unsigned long freed = 0;
	struct zmm_entry *e;
	struct zmm_shard *s;
	struct zmm_key key;
	bool erased;
	int ret;

	if (a->type == ZMM_ANON && !pool->ops.writeback)
		return -EAGAIN;
	spin_lock(&a->lock);
	list_for_each_entry(e, &a->lru, lru) {
		/* not yet in the index, or already on its way out */
		if (smp_load_acquire(&e->published) &&
		    refcount_inc_not_zero(&e->refs))
			goto found;
	}
	spin_unlock(&a->lock);
	return -ENOENT;

found:
	/* off the LRU: no other evictor picks it meanwhile */
	list_del_init(&e->lru);
	spin_unlock(&a->lock);

	key.type = e->type;
	key.id = e->id;
	key.index = e->index;
	if (a->type == ZMM_FILE) {
		s = zmm_shard_of(pool, key.type, key.id, key.index);
		spin_lock(&s->lock);
		erased = zmm_index_erase_entry(s, e);
		spin_unlock(&s->lock);
		if (erased) {
			freed += zmm_entry_put(pool, e);
			zmm_stat_inc(pool, ZMM_STAT_EVICT_DROP);
		}
		return freed + zmm_entry_put(pool, e);
	}

	wb.pool = pool;
	wb.e = e;
	wb.taken = false;
	ret = pool->ops.writeback(pool->ops.priv, &key, &wb);
	if (wb.taken) {
		/* the data left the pool: written, or kept by the caller */
		freed += zmm_entry_put(pool, e);
		zmm_stat_inc(pool, ret ? ZMM_STAT_WB_FAIL : ZMM_STAT_EVICT_WB);
	} else if (ret != -ESTALE) {
		/* never taken: still the key's zpage, try another next */
		WARN_ON_ONCE(!ret);
		zmm_stat_inc(pool, ZMM_STAT_WB_FAIL);
		zmm_lru_putback(a, e);
	}
	freed += zmm_entry_put(pool, e);
	if (ret && ret != -ESTALE)
		return -EAGAIN;
	return freed;
}
