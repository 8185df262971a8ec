// SPDX-License-Identifier: GPL-2.0
/*
 * zmm core, layer 3: zpages (entries) and their store, load and
 * invalidation.
 *
 * Semantics the callers (the kernel hooks, the tests) rely on:
 *
 * - A store of an existing key replaces it atomically: a concurrent load
 *   sees the old or the new data, never nothing.
 * - A store that fails leaves the key absent, never holding older data:
 *   the caller then writes the page elsewhere (swap) or drops it (clean
 *   file page), and a stale copy must not come back.  The error says why:
 *   -E2BIG compressed too poorly, -ENOMEM no storage, -EIO compressor
 *   error, -EINVAL bad arguments.
 * - Loads are exclusive by default: a load that succeeds removes the
 *   zpage.  The page goes back to the page cache or swap cache, where it
 *   is hot; keeping a second, compressed copy would spend memory on the
 *   pages least likely to be evicted again soon.  The kernel side marks
 *   an anon page dirty after such a load so that its next swap-out stores
 *   it again.  A load that keeps the zpage (the swap-cache bypass of
 *   synchronous swap devices, where the slot is freed just after) moves it
 *   to the hot end of the LRU instead.
 * - Same-filled pages (one repeated word, zero included) take no storage.
 * - Before a store takes anything, pool->policy->admit() may refuse it;
 *   after zpages go, pool->policy->released() hears of it.
 */
#include "arena.h"
#include "block.h"
#include "compress.h"
#include "ghost.h"
#include "index.h"
#include "stats.h"
#include "store.h"

/*
 * One slab of entries for every pool: accounted to the memcg that is
 * active when a store runs (the kernel side makes that the page's owner).
 * Named after the module, as zmm.ko and zmm_kunit.ko each hold a core.
 */
static struct kmem_cache *zmm_entry_cache;
static unsigned int zmm_entry_cache_users;
static DEFINE_MUTEX(zmm_entry_cache_lock);

int zmm_entry_cache_get(void)
{
	int ret = 0;

	mutex_lock(&zmm_entry_cache_lock);
	if (!zmm_entry_cache_users) {
		zmm_entry_cache = kmem_cache_create(KBUILD_MODNAME "_entry",
						    sizeof(struct zmm_entry),
						    0, SLAB_ACCOUNT, NULL);
		if (!zmm_entry_cache)
			ret = -ENOMEM;
	}
	if (!ret)
		zmm_entry_cache_users++;
	mutex_unlock(&zmm_entry_cache_lock);
	return ret;
}

void zmm_entry_cache_put(void)
{
	mutex_lock(&zmm_entry_cache_lock);
	if (!--zmm_entry_cache_users) {
		kmem_cache_destroy(zmm_entry_cache);
		zmm_entry_cache = NULL;
	}
	mutex_unlock(&zmm_entry_cache_lock);
}

/*
 * Free @e, whose last reference is gone; @loaded if a load took it, in
 * which case the policy hears of it first (@loaded op).
 * Return pageframes given back to the page allocator.
 */
static unsigned long zmm_entry_free(struct zmm_pool *pool,
				    struct zmm_entry *e, bool loaded)
{
	struct zmm_arena *a = e->arena;
	unsigned long freed = 0;

	if (a) {
		if (loaded)
			pool->policy->loaded(a, READ_ONCE(a->stores) - e->seq);
		freed = zmm_block_release(a, e);
		/* the zpage's reference */
		zmm_arena_put(a);
	}
	zmm_stat_add(pool, ZMM_STAT_NR_ZPAGES, -1);
	kmem_cache_free(zmm_entry_cache, e);
	return freed;
}

/**
 * zmm_entry_put - drop a reference; the last one frees the zpage.
 * @pool: the pool.
 * @e: the entry.
 *
 * Return: pageframes given back to the page allocator as a result.
 */
unsigned long zmm_entry_put(struct zmm_pool *pool, struct zmm_entry *e)
{
	if (!refcount_dec_and_test(&e->refs))
		return 0;
	return zmm_entry_free(pool, e, false);
}

static bool zmm_key_valid(const struct zmm_key *key)
{
	if (!key || (unsigned int)key->type >= ZMM_NR_TYPES)
		return false;
	return key->type != ZMM_ANON ||
	       (key->index <= ZMM_ANON_INDEX_MAX && key->id < ZMM_ANON_MAX_IDS);
}

/* Remove @key, if present, after a failed store; counts nothing. */
static void zmm_drop_key(struct zmm_pool *pool, const struct zmm_key *key)
{
	struct zmm_shard *s = zmm_shard_of(pool, key->type, key->id,
					   key->index);
	struct zmm_entry *e;

	spin_lock(&s->lock);
	e = zmm_index_erase(s, key);
	spin_unlock(&s->lock);
	if (e)
		zmm_entry_put(pool, e);
}

/* A new entry for @key, with its index reference, holding nothing yet. */
static struct zmm_entry *zmm_entry_alloc(const struct zmm_key *key)
{
	struct zmm_entry *e;

	e = kmem_cache_alloc(zmm_entry_cache, GFP_KERNEL | __GFP_NOWARN);
	if (!e)
		return NULL;
	INIT_HLIST_NODE(&e->hnode);
	INIT_LIST_HEAD(&e->lru);
	INIT_LIST_HEAD(&e->bnode);
	e->id = key->id;
	e->index = key->index;
	e->type = key->type;
	e->published = false;
	e->arena = NULL;
	e->block = NULL;
	refcount_set(&e->refs, 1);
	return e;
}

/**
 * zmm_entry_move - move a zpage into another arena, under the same key.
 * @pool: the pool.
 * @e: the zpage, with storage, taken off its LRU by the caller
 *	(zmm_lru_take_end()), whose reference this consumes in every case.
 * @to: the arena to move it to, of the same type; the caller holds a
 *	reference on it.
 *
 * For an owner that goes away (zmm_owner_gone()): the compressed bytes
 * are copied into @to, as its coldest zpage, under a new entry, and the
 * key is switched to it if it still maps to @e; @e goes with its last
 * reference.  Nothing is decompressed or written.  A load meanwhile finds
 * the old entry or the new one, both holding the data.  Never sleeps.
 *
 * Return: 0 when moved; -ESTALE if the key was loaded, replaced or
 * invalidated meanwhile (nothing to move: @e is gone); -ENOMEM if @to had
 * no room, or no entry could be allocated: @e stays, put back at the cold
 * end of its LRU.
 */
int zmm_entry_move(struct zmm_pool *pool, struct zmm_entry *e,
		   struct zmm_arena *to)
{
	struct zmm_key key = { .type = e->type, .id = e->id,
			       .index = e->index };
	struct zmm_entry *ne, *old = NULL;
	unsigned int len, comp;
	struct zmm_cpu_ctx *ctx;
	struct zmm_shard *s;
	int ret;

	if (WARN_ON_ONCE(to->type != e->type)) {
		ret = -EINVAL;
		goto put_back;
	}
	ne = zmm_entry_alloc(&key);
	if (!ne) {
		ret = -ENOMEM;
		goto put_back;
	}
	/* the new zpage's reference on @to */
	zmm_arena_get(to);
	ctx = zmm_ctx_get(pool);
	len = zmm_arena_copy_out(e->arena, e, ctx->buf, false, &comp);
	ne->comp = comp;
	ret = zmm_block_store(to, ne, ctx->buf, len, ZMM_LRU_COLD);
	zmm_ctx_put(pool);
	if (ret) {
		zmm_arena_put(to);
		kmem_cache_free(zmm_entry_cache, ne);
		goto put_back;
	}
	zmm_stat_add(pool, ZMM_STAT_NR_ZPAGES, 1);

	s = zmm_shard_of(pool, key.type, key.id, key.index);
	spin_lock(&s->lock);
	ret = -ESTALE;
	/* replacing a present key allocates nothing and cannot fail */
	if (zmm_index_lookup(s, &key) == e && !zmm_index_insert(s, ne, &old))
		ret = 0;
	/* pairs with smp_load_acquire() in zmm_lru_take_locked() */
	smp_store_release(&ne->published, !ret);
	spin_unlock(&s->lock);
	WARN_ON_ONCE(old && old != e);
	if (ret)
		zmm_entry_put(pool, ne);
	else
		zmm_stat_inc(pool, ZMM_STAT_MOVED);
	/* the index reference @e had, whenever the key lost it */
	if (old)
		zmm_entry_put(pool, old);
	zmm_entry_put(pool, e);
	return ret;

put_back:
	/* taken from the hot end: the cold end is the other one */
	zmm_lru_rotate(e->arena, e, ZMM_LRU_HOT);
	zmm_entry_put(pool, e);
	return ret;
}

/* Compress @src into @e's arena.  Return 0 or the store's errno. */
static int zmm_store_compressed(struct zmm_pool *pool, struct zmm_entry *e,
				u32 owner, int nid, const void *src)
{
	struct zmm_cpu_ctx *ctx;
	struct zmm_arena *a;
	int len, ret;

	a = zmm_arena_find(pool, owner, nid, e->type, true);
	if (!a) {
		zmm_stat_inc(pool, ZMM_STAT_REJECT_NOMEM);
		return -ENOMEM;
	}
	ctx = zmm_ctx_get(pool);
	/*
	 * Compress into the whole buffer and judge the ratio after: lz4's
	 * bounded-output path is slower on every page, to save work on the
	 * few that do not compress.
	 */
	len = pool->comp->compress(ctx, &pool->params, src, ctx->buf,
				   ZMM_CTX_BUF_SIZE);
	if (len <= 0 || len > READ_ONCE(pool->accept_max)) {
		zmm_ctx_put(pool);
		zmm_arena_put(a);
		zmm_stat_inc(pool, len <= 0 ? ZMM_STAT_REJECT_COMP :
					      ZMM_STAT_REJECT_POOR);
		return len <= 0 ? -EIO : -E2BIG;
	}
	e->comp = pool->params.comp;
	ret = zmm_block_store(a, e, ctx->buf, len, ZMM_LRU_HOT);
	zmm_ctx_put(pool);
	if (ret) {
		zmm_arena_put(a);
		zmm_stat_inc(pool, ZMM_STAT_REJECT_NOMEM);
	}
	/* else the zpage holds the arena with our reference */
	return ret;
}

/**
 * zmm_store - compress and store a page.
 * @pool: the pool.
 * @key: where to store it.
 * @owner: memcg id to charge (not ZMM_OWNER_ANY).
 * @nid: node whose memory holds it (a node id, not NUMA_NO_NODE: MM
 *	shrinks per node).
 * @src: the page.
 * @len: must be PAGE_SIZE.
 *
 * Return: 0, or -EINVAL, -E2BIG (poor ratio), -EOPNOTSUPP (a same-filled
 * file page, which zmm does not keep), -ENOMEM, -EIO; after a failure the
 * key holds nothing.
 */
int zmm_store(struct zmm_pool *pool, const struct zmm_key *key, u32 owner,
	      int nid, const void *src, size_t len)
{
	struct zmm_entry *e, *old;
	unsigned long value;
	struct zmm_shard *s;
	bool same;
	int ret;

	if (!zmm_key_valid(key) || !src || len != PAGE_SIZE || nid < 0 ||
	    nid >= nr_node_ids || owner == ZMM_OWNER_ANY) {
		zmm_stat_inc(pool, ZMM_STAT_REJECT_INVAL);
		if (zmm_key_valid(key))
			zmm_drop_key(pool, key);
		return -EINVAL;
	}
	same = zmm_same_filled(src, &value);
	/*
	 * A same-filled zpage holds no pageframe and is on no LRU, so
	 * reclaim, which asks in pageframes, never takes it back: a file's
	 * would pin its entry (charged to the memcg) for as long as the file
	 * lives, one per page of a sparse file read.  The page cache reads
	 * such a page again instead (a hole without I/O).  Refused before
	 * admission, which may shrink the pool to make room.  Anon ones are
	 * bounded by the swap slots they hold, and all-zero anon pages never
	 * get here (the swap core's zeromap takes them).
	 */
	if (same && key->type == ZMM_FILE) {
		zmm_stat_inc(pool, ZMM_STAT_REJECT_SAME_FILE);
		ret = -EOPNOTSUPP;
		goto drop_key;
	}
	ret = pool->policy->admit(pool, key, owner, nid);
	if (ret)
		goto drop_key;
	e = zmm_entry_alloc(key);
	if (!e) {
		zmm_stat_inc(pool, ZMM_STAT_REJECT_NOMEM);
		ret = -ENOMEM;
		goto drop_key;
	}
	if (same) {
		e->value = value;
		zmm_stat_inc(pool, ZMM_STAT_SAME_FILLED);
	} else {
		ret = zmm_store_compressed(pool, e, owner, nid, src);
		if (ret)
			goto free_entry;
	}
	zmm_stat_add(pool, ZMM_STAT_NR_ZPAGES, 1);

	s = zmm_shard_of(pool, key->type, key->id, key->index);
	spin_lock(&s->lock);
	ret = zmm_index_insert(s, e, &old);
	/* pairs with smp_load_acquire() in zmm_lru_evict_one() */
	smp_store_release(&e->published, !ret);
	spin_unlock(&s->lock);
	if (old) {
		zmm_stat_inc(pool, ZMM_STAT_REPLACED);
		zmm_entry_put(pool, old);
	}
	if (ret) {
		zmm_stat_inc(pool, ZMM_STAT_REJECT_NOMEM);
		zmm_entry_put(pool, e);
		return ret;
	}
	if (key->type == ZMM_ANON) {
		atomic_long_t *end = &pool->anon_end[key->id];
		long cur = atomic_long_read(end);

		while (cur <= (long)key->index &&
		       !atomic_long_try_cmpxchg(end, &cur, key->index + 1))
			;
	}
	zmm_stat_inc(pool, ZMM_STAT_STORED);
	return 0;

free_entry:
	kmem_cache_free(zmm_entry_cache, e);
drop_key:
	zmm_drop_key(pool, key);
	return ret;
}

/**
 * zmm_load - load a page.
 * @pool: the pool.
 * @key: the key.
 * @dst: PAGE_SIZE bytes.
 * @len: must be PAGE_SIZE.
 * @exclusive: drop the zpage (true), or keep it and mark it hot (false).
 *
 * Never sleeps.
 *
 * Return: 0, -ENOENT if the key holds nothing, -EINVAL, or -EIO if the
 * data failed to decompress (an exclusive load has dropped the zpage then
 * too; this is a bug or memory corruption and warns).
 */
int zmm_load(struct zmm_pool *pool, const struct zmm_key *key, void *dst,
	     size_t len, bool exclusive)
{
	unsigned int clen, comp;
	struct zmm_cpu_ctx *ctx;
	struct zmm_entry *e;
	struct zmm_shard *s;
	int ret = 0;

	if (!zmm_key_valid(key) || !dst || len != PAGE_SIZE)
		return -EINVAL;
	s = zmm_shard_of(pool, key->type, key->id, key->index);
	spin_lock(&s->lock);
	if (exclusive) {
		e = zmm_index_erase(s, key);
	} else {
		e = zmm_index_lookup(s, key);
		if (e)
			refcount_inc(&e->refs);
	}
	spin_unlock(&s->lock);
	if (!e) {
		zmm_stat_inc(pool, ZMM_STAT_LOAD_MISS);
		zmm_ghost_refault(pool, key);
		return -ENOENT;
	}
	if (!e->arena) {
		zmm_fill(dst, e->value);
	} else {
		ctx = zmm_ctx_get(pool);
		clen = zmm_arena_copy_out(e->arena, e, ctx->buf, !exclusive,
					  &comp);
		ret = zmm_decompress(ctx, comp, ctx->buf, clen, dst);
		zmm_ctx_put(pool);
	}
	if (refcount_dec_and_test(&e->refs))
		zmm_entry_free(pool, e, exclusive);
	if (exclusive)
		pool->policy->released(pool);
	if (WARN_ON_ONCE(ret)) {
		zmm_stat_inc(pool, ZMM_STAT_DECOMP_ERR);
		return -EIO;
	}
	zmm_stat_inc(pool, ZMM_STAT_LOADED);
	return 0;
}

/**
 * zmm_invalidate - drop a zpage.
 * @pool: the pool.
 * @key: the key.
 *
 * Return: 0, -ENOENT if the key held nothing, -EINVAL.
 */
int zmm_invalidate(struct zmm_pool *pool, const struct zmm_key *key)
{
	struct zmm_entry *e;
	struct zmm_shard *s;

	if (!zmm_key_valid(key))
		return -EINVAL;
	s = zmm_shard_of(pool, key->type, key->id, key->index);
	spin_lock(&s->lock);
	e = zmm_index_erase(s, key);
	spin_unlock(&s->lock);
	if (!e)
		return -ENOENT;
	zmm_entry_put(pool, e);
	zmm_stat_inc(pool, ZMM_STAT_INVALIDATED);
	pool->policy->released(pool);
	return 0;
}

/*
 * Drop the zpages of object (@type, @id, @chunk) with an index in
 * @start..@end, in batches, yielding between them.  Return how many.
 */
static long zmm_drop_object_range(struct zmm_pool *pool, struct zmm_shard *s,
				  enum zmm_type type, u64 id, u64 chunk,
				  u64 start, u64 end)
{
	struct zmm_range_pos pos = { 0 };
	struct zmm_entry *batch[32];
	unsigned int i, n;
	long dropped = 0;

	do {
		spin_lock(&s->lock);
		n = zmm_index_take_range(s, type, id, chunk, start, end, batch,
					 ARRAY_SIZE(batch), &pos);
		spin_unlock(&s->lock);
		for (i = 0; i < n; i++)
			zmm_entry_put(pool, batch[i]);
		dropped += n;
		cond_resched();
	} while (n == ARRAY_SIZE(batch));
	return dropped;
}

/**
 * zmm_invalidate_range - drop the zpages of one id in an index range.
 * @pool: the pool.
 * @type: key type.
 * @id: key id (swap type, or mapping).
 * @start: first index.
 * @end: last index, inclusive; U64_MAX for "to the end".
 *
 * For file keys this costs the number of zpages of the file; for anon
 * keys one lookup per 2^ZMM_ANON_CHUNK_SHIFT slots of the range, which
 * is clamped to the highest offset ever stored for the swap type.  Runs
 * in batches, so it never holds a lock for long, and yields between
 * them: a file with millions of zpages, or a whole swap device, is no
 * long non-preemptible stretch.  May sleep.
 *
 * Return: the number of zpages dropped, or -EINVAL.
 */
long zmm_invalidate_range(struct zmm_pool *pool, enum zmm_type type, u64 id,
			  u64 start, u64 end)
{
	struct zmm_shard *s;
	u64 chunk, last;
	long dropped = 0;

	might_sleep();
	if ((unsigned int)type >= ZMM_NR_TYPES || start > end)
		return -EINVAL;
	if (type == ZMM_ANON) {
		if (id >= ZMM_ANON_MAX_IDS)
			return -EINVAL;
		u64 stored_end = atomic_long_read(&pool->anon_end[id]);

		/* nothing was ever stored from stored_end on */
		if (start >= stored_end)
			return 0;
		end = min_t(u64, end, stored_end - 1);
	}
	chunk = zmm_chunk_of(type, start);
	last = zmm_chunk_of(type, end);
	for (; chunk <= last; chunk++) {
		s = zmm_shard_of(pool, type, id,
				 type == ZMM_ANON ?
				 chunk << ZMM_ANON_CHUNK_SHIFT : 0);
		dropped += zmm_drop_object_range(pool, s, type, id, chunk,
						 start, end);
	}
	zmm_stat_add(pool, ZMM_STAT_INVALIDATED, dropped);
	if (dropped)
		pool->policy->released(pool);
	return dropped;
}

/**
 * zmm_invalidate_type - drop every zpage of one type.
 * @pool: the pool.
 * @type: key type.
 *
 * Object by object and in batches, yielding between them, as
 * zmm_invalidate_range(); same-filled zpages, which are on no LRU,
 * included.  May sleep.
 *
 * Return: the number of zpages dropped, or -EINVAL.
 */
long zmm_invalidate_type(struct zmm_pool *pool, enum zmm_type type)
{
	struct zmm_shard *s;
	long dropped = 0;
	unsigned int sh;
	u64 id, chunk;
	bool found;

	might_sleep();
	if ((unsigned int)type >= ZMM_NR_TYPES)
		return -EINVAL;
	for (sh = 0; sh < ZMM_NR_SHARDS; sh++) {
		s = &pool->shards[sh];
		for (;;) {
			spin_lock(&s->lock);
			found = zmm_index_any_object(s, type, &id, &chunk);
			spin_unlock(&s->lock);
			if (!found)
				break;
			dropped += zmm_drop_object_range(pool, s, type, id,
							 chunk, 0, U64_MAX);
		}
	}
	zmm_stat_add(pool, ZMM_STAT_INVALIDATED, dropped);
	if (dropped)
		pool->policy->released(pool);
	return dropped;
}
