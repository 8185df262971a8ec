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
/*
 * Put @e back at the cold end of its LRU after a failed writeback: it is
 * still the coldest, and is tried first once its slot is free again.  The
 * shrink loop skips it meanwhile (zmm_lru_evict_one()'s @skip).
 */
static void zmm_lru_putback(struct zmm_arena *a, struct zmm_entry *e)
{
	spin_lock(&a->lock);
	list_add(&e->lru, &a->lru);
	spin_unlock(&a->lock);
}

/* Take the zpage of @wb out of the index if the key still maps to it. */
static int zmm_writeback_take(struct zmm_writeback *wb)
{
	struct zmm_entry *e = wb->e;
	struct zmm_shard *s;

	s = zmm_shard_of(wb->pool, e->type, e->id, e->index);
	spin_lock(&s->lock);
	wb->taken = zmm_index_erase_entry(s, e);
	spin_unlock(&s->lock);
	return wb->taken ? 0 : -ESTALE;
}

/**
 * zmm_writeback_fill - take the data of a zpage being written back.
 * @wb: what zmm_ops.writeback was given.
 * @dst: PAGE_SIZE bytes.
 *
 * Call only once the slot is the caller's (see zmm_ops.writeback).  The
 * data is decompressed into @dst first; then, if the key still maps to
 * this zpage, the key is removed from the pool and @dst is from then on
 * the only copy: the caller must write it or keep it.  A zpage whose data
 * does not decompress stays in the pool, where loads report the loss.
 * Never sleeps.
 *
 * Return: 0; -ESTALE if the key was loaded, replaced or invalidated since
 * the zpage was chosen (there is nothing to write back); -EIO if the data
 * failed to decompress (a bug or memory corruption, warned; nothing was
 * taken).
 */
int zmm_writeback_fill(struct zmm_writeback *wb, void *dst)
{
	struct zmm_pool *pool = wb->pool;
	struct zmm_entry *e = wb->e;
	struct zmm_cpu_ctx *ctx;
	int ret = 0;

	if (WARN_ON_ONCE(wb->taken))
		return -EINVAL;
	if (e->arena) {
		ctx = zmm_ctx_get(pool);
		zmm_arena_copy_out(e->arena, e, ctx->buf, false);
		ret = pool->comp->decompress(ctx, ctx->buf, e->len, dst);
		zmm_ctx_put(pool);
	} else {
		zmm_fill(dst, e->value);
	}
	if (WARN_ON_ONCE(ret)) {
		zmm_stat_inc(pool, ZMM_STAT_DECOMP_ERR);
		return -EIO;
	}
	return zmm_writeback_take(wb);
}
EXPORT_SYMBOL_GPL(zmm_writeback_fill);

/**
 * zmm_writeback_drop - give up a zpage whose page is safe elsewhere.
 * @wb: what zmm_ops.writeback was given.
 *
 * For a writeback that found the page of the key in memory already, up
 * to date and bound to reach the slot from there (in the kernel: a dirty
 * swap-cache folio): the zpage is a redundant copy, so it leaves the pool
 * without being read.  Call only once the slot is the caller's, as for
 * zmm_writeback_fill().  Never sleeps.
 *
 * Return: 0; -ESTALE if the key was loaded, replaced or invalidated since
 * the zpage was chosen.
 */
int zmm_writeback_drop(struct zmm_writeback *wb)
{
	if (WARN_ON_ONCE(wb->taken))
		return -EINVAL;
	wb->dropped = true;
	return zmm_writeback_take(wb);
}
EXPORT_SYMBOL_GPL(zmm_writeback_drop);

/*
 * Hand @e, referenced by the caller and off the LRU, to zmm_ops.writeback
 * and account for the outcome.  @a is its arena, NULL for a same-filled
 * zpage.  Consumes the caller's reference.  Return pageframes freed, or
 * the writeback's errno if the zpage stayed (back at the cold end of the
 * LRU, where it was).
 */
static long zmm_writeback_entry(struct zmm_pool *pool, struct zmm_arena *a,
				struct zmm_entry *e)
{
	struct zmm_writeback wb = { .pool = pool, .e = e };
	struct zmm_key key = { .type = e->type, .id = e->id,
			       .index = e->index };
	unsigned long freed = 0;
	int ret;

	ret = pool->ops.writeback(pool->ops.priv, &key, &wb);
	if (wb.taken) {
		/* the data left the pool: written, or kept by the caller */
		freed += zmm_entry_put(pool, e);
		zmm_stat_inc(pool, ret ? ZMM_STAT_WB_FAIL :
				   wb.dropped ? ZMM_STAT_EVICT_CACHED :
				   ZMM_STAT_EVICT_WB);
	} else if (ret != -ESTALE) {
		/* never taken: still the key's zpage */
		WARN_ON_ONCE(!ret);
		if (!ret)
			ret = -EIO;
		zmm_stat_inc(pool, ZMM_STAT_WB_FAIL);
		if (a)
			zmm_lru_putback(a, e);
	}
	freed += zmm_entry_put(pool, e);
	if (ret && ret != -ESTALE)
		return ret;
	return freed;
}

/**
 * zmm_lru_evict_one - evict the coldest zpage of an arena.
 * @a: the arena.
 * @skip: how many of the coldest zpages to pass over: those whose
 *	writeback failed earlier in the caller's loop, which went back to
 *	the cold end.
 *
 * A file zpage is dropped (it is clean).  An anon zpage is handed to
 * zmm_ops.writeback, which takes its swap slot and then the data, through
 * zmm_writeback_fill(); the zpage stays in the index, loadable, until the
 * data is in the caller's page, so no load can miss data that is not yet
 * on its way to the slot.
 *
 * Return: pageframes freed (>= 0), -ENOENT if the LRU has no zpage past
 * @skip, -EAGAIN if the zpage could not be evicted.
 */
long zmm_lru_evict_one(struct zmm_arena *a, unsigned int skip)
{
	struct zmm_pool *pool = a->pool;
	unsigned long freed = 0;
	struct zmm_entry *e;
	struct zmm_shard *s;
	bool erased;
	long ret;

	if (a->type == ZMM_ANON && !pool->ops.writeback)
		return -EAGAIN;
	spin_lock(&a->lock);
	list_for_each_entry(e, &a->lru, lru) {
		/* not yet in the index, or already on its way out */
		if (!smp_load_acquire(&e->published) ||
		    !refcount_read(&e->refs))
			continue;
		if (skip) {
			skip--;
			continue;
		}
		if (refcount_inc_not_zero(&e->refs))
			goto found;
	}
	spin_unlock(&a->lock);
	return -ENOENT;

found:
	/* off the LRU: no other evictor picks it meanwhile */
	list_del_init(&e->lru);
	spin_unlock(&a->lock);

	if (a->type == ZMM_FILE) {
		s = zmm_shard_of(pool, e->type, e->id, e->index);
		spin_lock(&s->lock);
		erased = zmm_index_erase_entry(s, e);
		spin_unlock(&s->lock);
		if (erased) {
			freed += zmm_entry_put(pool, e);
			zmm_stat_inc(pool, ZMM_STAT_EVICT_DROP);
			if (pool->ops.dropped)
				pool->ops.dropped(pool->ops.priv, a->owner,
						  a->nid);
		}
		return freed + zmm_entry_put(pool, e);
	}
	ret = zmm_writeback_entry(pool, a, e);
	return ret < 0 ? -EAGAIN : ret;
}

/**
 * zmm_writeback_all - write every anon zpage back to its swap slot.
 * @pool: the pool.
 *
 * For draining the pool before it goes away: same-filled zpages, which
 * are never evicted for memory, are written back too.  A zpage whose
 * writeback fails (its slot is busy, or no memory) is skipped; call again
 * later.  May sleep.
 *
 * Return: zpages written back, or -EOPNOTSUPP without zmm_ops.writeback.
 */
long zmm_writeback_all(struct zmm_pool *pool)
{
	struct zmm_key key = { .type = ZMM_ANON };
	unsigned long done = 0;
	struct zmm_entry *e;
	struct zmm_shard *s;
	struct zmm_arena *a;
	u64 end;

	might_sleep();
	if (!pool->ops.writeback)
		return -EOPNOTSUPP;
	for (key.id = 0; key.id < ZMM_ANON_MAX_IDS; key.id++) {
		end = atomic_long_read(&pool->anon_end[key.id]);
		for (key.index = 0; key.index < end; key.index++) {
			if (!(key.index & 1023))
				cond_resched();
			s = zmm_shard_of(pool, key.type, key.id, key.index);
			spin_lock(&s->lock);
			e = zmm_index_lookup(s, &key);
			if (e && !refcount_inc_not_zero(&e->refs))
				e = NULL;
			spin_unlock(&s->lock);
			if (!e)
				continue;
			a = e->arena;
			if (a) {
				spin_lock(&a->lock);
				if (list_empty(&e->lru)) {
					/* an evictor has it */
					spin_unlock(&a->lock);
					zmm_entry_put(pool, e);
					continue;
				}
				list_del_init(&e->lru);
				spin_unlock(&a->lock);
			}
			if (zmm_writeback_entry(pool, a, e) >= 0)
				done++;
		}
	}
	return done;
}
EXPORT_SYMBOL_GPL(zmm_writeback_all);
