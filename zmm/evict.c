// SPDX-License-Identifier: GPL-2.0
/*
 * zmm core, layer 4: eviction, a zpage out of the pool to give its
 * pageframes back.
 *
 * A file zpage is dropped: it is clean, and the page cache reads it from
 * the file again.  An anon zpage is written back to its swap slot through
 * zmm_ops.writeback, which takes the slot first and then the data
 * (zmm_writeback_fill()); the zpage stays in the index, loadable, until
 * the data is in the caller's page, so no load can miss data that is not
 * yet on its way to the slot.  Which zpages go, and how many, is decided
 * above (policy.c).
 */
#include "arena.h"
#include "block.h"
#include "compress.h"
#include "evict.h"
#include "ghost.h"
#include "index.h"
#include "stats.h"
#include "store.h"

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
	unsigned int len, comp;
	struct zmm_cpu_ctx *ctx;
	int ret = 0;

	if (WARN_ON_ONCE(wb->taken))
		return -EINVAL;
	if (e->arena) {
		ctx = zmm_ctx_get(pool);
		len = zmm_arena_copy_out(e->arena, e, ctx->buf, false, &comp);
		ret = zmm_decompress(ctx, comp, ctx->buf, len, dst);
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

/* Count a writeback that failed with @err and kept its zpage. */
static void zmm_writeback_failed(struct zmm_pool *pool, int err)
{
	zmm_stat_inc(pool, ZMM_STAT_WB_FAIL);
	if (err == -EBUSY)
		zmm_stat_inc(pool, ZMM_STAT_WB_BUSY);
	else if (err == -ENOMEM)
		zmm_stat_inc(pool, ZMM_STAT_WB_NOMEM);
}

/*
 * Count the eviction of @key from @end of @a's LRU, and leave its ghost
 * (ghost.c); @end is ZMM_NR_LRU_ENDS for a drain, which leaves none.
 */
static void zmm_evicted(struct zmm_pool *pool, const struct zmm_key *key,
			struct zmm_arena *a, enum zmm_lru_end end)
{
	if (!a || end >= ZMM_NR_LRU_ENDS)
		return;
	if (end == ZMM_LRU_HOT)
		zmm_stat_inc(pool, ZMM_STAT_EVICT_HOT);
	zmm_ghost_add(pool, key, a, end);
}

/*
 * Hand @e, referenced by the caller and off the LRU, to zmm_ops.writeback
 * and account for the outcome.  @a is its arena, NULL for a same-filled
 * zpage; @end the end of the LRU it was taken from (see zmm_evicted()).
 * Consumes the caller's reference.  Return pageframes freed, or the
 * writeback's errno if the zpage stayed (rotated to the other end of the
 * LRU, see zmm_lru_rotate()).
 */
static long zmm_writeback_entry(struct zmm_pool *pool, struct zmm_arena *a,
				struct zmm_entry *e, enum zmm_lru_end end)
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
		if (ret) {
			zmm_writeback_failed(pool, ret);
		} else if (wb.dropped) {
			zmm_stat_inc(pool, ZMM_STAT_EVICT_CACHED);
		} else {
			zmm_stat_inc(pool, ZMM_STAT_EVICT_WB);
			zmm_evicted(pool, &key, a, end);
		}
	} else if (ret != -ESTALE) {
		/* never taken: still the key's zpage */
		WARN_ON_ONCE(!ret);
		if (!ret)
			ret = -EIO;
		zmm_writeback_failed(pool, ret);
		if (a)
			zmm_lru_rotate(a, e, end);
	}
	freed += zmm_entry_put(pool, e);
	if (ret && ret != -ESTALE)
		return ret;
	return freed;
}

/*
 * Drop the file zpage @e, referenced by the caller and off the LRU, taken
 * from @end of it.
 */
static unsigned long zmm_drop_entry(struct zmm_pool *pool, struct zmm_arena *a,
				    struct zmm_entry *e, enum zmm_lru_end end)
{
	struct zmm_key key = { .type = e->type, .id = e->id,
			       .index = e->index };
	unsigned long freed = 0;
	struct zmm_shard *s;
	bool erased;

	s = zmm_shard_of(pool, e->type, e->id, e->index);
	spin_lock(&s->lock);
	erased = zmm_index_erase_entry(s, e);
	spin_unlock(&s->lock);
	if (erased) {
		freed += zmm_entry_put(pool, e);
		zmm_stat_inc(pool, ZMM_STAT_EVICT_DROP);
		zmm_evicted(pool, &key, a, end);
		if (pool->ops.dropped)
			pool->ops.dropped(pool->ops.priv, a->owner, a->nid);
	}
	return freed + zmm_entry_put(pool, e);
}

/*
 * Give @e, taken from the cold end of @a's LRU and referenced by the
 * caller, its second chance: recompress it with the pool's second
 * compressor, in place (zmm_block_rewrite()).  A cold zpage is seldom
 * loaded again, so the slower, denser compressor costs little where it
 * is used, and every byte it saves is memory kept without I/O.  It is
 * kept only if that saved at least an eighth of its bytes; then it goes
 * to the hot end of the LRU, so that the zpages behind it get the same
 * chance before any is evicted, and it is evicted the next time it
 * reaches the cold end.  Only a zpage still in the pool's first
 * compressor is tried (@e->comp changes only under its evictor, which
 * the caller is).  Return the bytes saved if it was kept, else 0.
 */
static unsigned int zmm_recompress_entry(struct zmm_pool *pool,
					 struct zmm_arena *a,
					 struct zmm_entry *e)
{
	unsigned int len, comp, cap, saved = 0;
	struct zmm_cpu_ctx *ctx;
	u8 *page;
	int nlen;

	if (!pool->recomp || e->comp != pool->params.comp)
		return 0;
	ctx = zmm_ctx_get(pool);
	/* the compressed copy in the first half, the page in the second */
	page = ctx->buf + PAGE_SIZE;
	len = zmm_arena_copy_out(a, e, ctx->buf, false, &comp);
	if (WARN_ON_ONCE(zmm_decompress(ctx, comp, ctx->buf, len, page))) {
		/* its eviction finds the same and keeps it */
		zmm_stat_inc(pool, ZMM_STAT_DECOMP_ERR);
		goto put_ctx;
	}
	cap = len - len / 8;
	nlen = pool->recomp->compress(ctx, &pool->params, page, ctx->buf, cap);
	if (nlen <= 0 || nlen > cap) {
		zmm_stat_inc(pool, ZMM_STAT_RECOMP_POOR);
		goto put_ctx;
	}
	if (zmm_block_rewrite(a, e, len, ctx->buf, nlen, pool->params.recomp)) {
		saved = len - nlen;
		zmm_stat_inc(pool, ZMM_STAT_RECOMP);
		zmm_stat_add(pool, ZMM_STAT_RECOMP_SAVED, saved);
	}
put_ctx:
	zmm_ctx_put(pool);
	return saved;
}

/**
 * zmm_evict_one - evict the zpage at one end of an arena's LRU.
 * @a: the arena.
 * @end: the coldest zpage, or the most recently stored (the policy's
 *	choice, see zmm_policy_evict_end()).
 * @ev: if not NULL, set to what became of the zpage (struct zmm_evicted).
 *
 * In a pool with a second compressor (zmm_params.recomp), a zpage taken
 * from the cold end that is still in the first is recompressed instead,
 * and kept if that saved enough (zmm_recompress_entry()); the bytes saved
 * are garbage in its block, for the caller's compaction to give back.
 *
 * Return: pageframes freed (>= 0), -ENOENT if the LRU has no zpage,
 * -EAGAIN if the zpage could not be evicted (an anon zpage whose
 * writeback failed is rotated to the other end).
 */
long zmm_evict_one(struct zmm_arena *a, enum zmm_lru_end end,
		   struct zmm_evicted *ev)
{
	struct zmm_evicted none;
	struct zmm_pool *pool = a->pool;
	struct zmm_entry *e;
	unsigned int len;
	long ret;

	if (!ev)
		ev = &none;
	ev->bytes = 0;
	ev->kept = false;
	if (a->type == ZMM_ANON && !pool->ops.writeback)
		return -EAGAIN;
	e = zmm_lru_take_end(a, end);
	if (!e)
		return -ENOENT;
	/* @e->len changes only under its evictor: us */
	len = e->len;
	if (end == ZMM_LRU_COLD) {
		ev->bytes = zmm_recompress_entry(pool, a, e);
		if (ev->bytes) {
			ev->kept = true;
			zmm_lru_rotate(a, e, end);
			return zmm_entry_put(pool, e);
		}
	}
	if (a->type == ZMM_FILE) {
		ev->bytes = len;
		return zmm_drop_entry(pool, a, e, end);
	}
	ret = zmm_writeback_entry(pool, a, e, end);
	if (ret < 0)
		return -EAGAIN;
	ev->bytes = len;
	return ret;
}

/**
 * zmm_recompress_coldest - recompress an arena's coldest zpage ahead of need.
 * @a: the arena.
 * @min_age: leave the zpage if fewer zpages were stored into @a after it.
 *
 * For background work, in a pool with a second compressor: the zpage is
 * recompressed and kept, at the hot end, as zmm_evict_one() would, but
 * it is never evicted.  One that is young, recompressed already, or
 * would save too little goes back to the cold end as it was.
 *
 * Return: the bytes saved; 0 if the zpage was left as it was, or there
 * was none.
 */
unsigned int zmm_recompress_coldest(struct zmm_arena *a, u32 min_age)
{
	struct zmm_pool *pool = a->pool;
	unsigned int saved = 0;
	struct zmm_entry *e;

	if (!pool->recomp)
		return 0;
	e = zmm_lru_take_end(a, ZMM_LRU_COLD);
	if (!e)
		return 0;
	if (READ_ONCE(a->stores) - e->seq >= min_age)
		saved = zmm_recompress_entry(pool, a, e);
	if (saved)
		zmm_stat_inc(pool, ZMM_STAT_RECOMP_BG);
	/* kept: to the hot end; else back to the cold end it came from */
	zmm_lru_rotate(a, e, saved ? ZMM_LRU_COLD : ZMM_LRU_HOT);
	zmm_entry_put(pool, e);
	return saved;
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
			if (a && !zmm_lru_take(a, e)) {
				/* an evictor has it */
				zmm_entry_put(pool, e);
				continue;
			}
			if (zmm_writeback_entry(pool, a, e,
						ZMM_NR_LRU_ENDS) >= 0)
				done++;
		}
	}
	return done;
}
