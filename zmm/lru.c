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

static void zmm_arenas_maybe_grow(struct zmm_pool *pool)
{
	struct zmm_htab *t = &pool->arenas;
	unsigned int bits = t->bits + 1;
	struct hlist_head *heads;
	struct zmm_arena *a;
	struct hlist_node *next;
	unsigned long i;

	if (t->nr <= (2UL << t->bits))
		return;
	heads = kcalloc(1UL << bits, sizeof(*heads),
			GFP_ATOMIC | __GFP_NOWARN);
	if (!heads)
		return;
	for (i = 0; i < (1UL << t->bits); i++) {
		hlist_for_each_entry_safe(a, next, &t->heads[i], hnode) {
			hlist_del_init(&a->hnode);
			hlist_add_head(&a->hnode,
				       &heads[hash_64(zmm_arena_node_hkey(&a->hnode),
						      bits)]);
		}
	}
	kvfree(t->heads);
	t->heads = heads;
	t->bits = bits;
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
		zmm_arenas_maybe_grow(pool);
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
	e->flags &= ~ZMM_E_WRITEBACK;
	list_add_tail(&e->lru, &a->lru);
	spin_unlock(&a->lock);
}

/**
 * zmm_lru_evict_one - evict the coldest zpage of an arena.
 * @a: the arena.
 * @page: PAGE_SIZE bytes of scratch for anon writeback, or NULL.
 *
 * A file zpage is dropped (it is clean).  An anon zpage is decompressed
 * and handed to zmm_ops.writeback; it stays in the index, loadable, until
 * the writeback has succeeded, so no load can miss data that is not yet
 * in its swap slot.  On failure it goes back to the hot end of the LRU so
 * that the next attempt tries another.
 *
 * Return: pageframes freed (>= 0), -ENOENT if the LRU is empty, -EAGAIN
 * if the zpage could not be evicted.
 */
long zmm_lru_evict_one(struct zmm_arena *a, void *page)
{
	struct zmm_pool *pool = a->pool;
	struct zmm_cpu_ctx *ctx = NULL;
	struct zmm_entry *e;
	struct zmm_shard *s;
	struct zmm_key key;
	unsigned long freed = 0;
	bool erased;
	int ret = 0;

	if (a->type == ZMM_ANON) {
		if (!pool->ops.writeback || !page)
			return -EAGAIN;
		ctx = zmm_ctx_get(pool);
	}
	spin_lock(&a->lock);
	list_for_each_entry(e, &a->lru, lru) {
		/* not yet in the index, or already on its way out */
		if (smp_load_acquire(&e->published) &&
		    refcount_inc_not_zero(&e->refs))
			goto found;
	}
	spin_unlock(&a->lock);
	if (ctx)
		zmm_ctx_put(pool);
	return -ENOENT;

found:
	list_del_init(&e->lru);
	e->flags |= ZMM_E_WRITEBACK;
	if (ctx)
		memcpy(ctx->buf, e->block->base + e->off, e->len);
	spin_unlock(&a->lock);

	key.type = e->type;
	key.id = e->id;
	key.index = e->index;
	if (ctx) {
		ret = pool->comp->decompress(ctx, ctx->buf, e->len, page);
		zmm_ctx_put(pool);
		if (WARN_ON_ONCE(ret))
			zmm_stat_inc(pool, ZMM_STAT_DECOMP_ERR);
		else
			ret = pool->ops.writeback(pool->ops.priv, &key, page);
		if (ret) {
			zmm_stat_inc(pool, ZMM_STAT_WB_FAIL);
			zmm_lru_putback(a, e);
			zmm_entry_put(pool, e);
			return -EAGAIN;
		}
	}

	s = zmm_shard_of(pool, key.type, key.id, key.index);
	spin_lock(&s->lock);
	erased = zmm_index_erase_entry(s, e);
	spin_unlock(&s->lock);
	if (erased)
		freed += zmm_entry_put(pool, e);
	freed += zmm_entry_put(pool, e);
	zmm_stat_inc(pool, a->type == ZMM_ANON ? ZMM_STAT_EVICT_WB :
						  ZMM_STAT_EVICT_DROP);
	return freed;
}
