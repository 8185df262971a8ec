// SPDX-License-Identifier: GPL-2.0
/*
 * zmm core, layer 1: the block pool, storage in physically contiguous
 * blocks, and the space inside them.  Pure mechanism: when to recycle,
 * evacuate or grow is asked of pool->policy (struct zmm_policy).
 *
 * Blocks are 2 MiB (order 9) when the page allocator has one at hand, and
 * smaller orders down to params.min_order when it has not; the allocation
 * itself (zmm_ops.alloc_block) never compacts or reclaims.  A block
 * belongs to one arena, that is one (memcg, node, type), and objects are
 * appended to the arena's head block one after the other with no padding
 * and no per-object header: an object may straddle pageframe boundaries
 * inside its block, never the end of a block.
 *
 * Freed objects leave garbage behind.  Garbage is reclaimed by moving live
 * objects, always within one arena and always by walking list heads, never
 * by scanning addresses:
 *
 * - in place: the live objects of a block slide down to its start and the
 *   block, now with a free tail, becomes the head.  This needs no memory,
 *   so a store can always make progress this way when blocks cannot be
 *   allocated (see zmm_block_store()).
 * - evacuation: every live object of the sparsest block moves to the head,
 *   and the emptied block goes back to the page allocator whole.  This is
 *   what returns memory (zmm_block_evacuate_one()).
 *
 * Because new objects are appended, position in the arena follows age:
 * the coldest zpages sit in the oldest blocks, so evicting from the cold
 * end of the LRU empties whole blocks with little or no copying.
 *
 * Blocks other than the head sit on one of ZMM_NR_BUCKETS
 * lists by live fraction, so the sparsest block is found in constant time.
 */
#include "block.h"
#include "stats.h"

static void zmm_block_file(struct zmm_arena *a, struct zmm_block *b)
{
	list_add_tail(&b->node, &a->buckets[zmm_bucket_of(b)]);
}

/*
 * @b, on the bucket lists, lost live bytes: move it to the list of its
 * live fraction if that is no longer @bucket, the one it is on.
 */
static void zmm_block_refile(struct zmm_arena *a, struct zmm_block *b,
			     unsigned int bucket)
{
	if (zmm_bucket_of(b) != bucket)
		list_move_tail(&b->node, &a->buckets[zmm_bucket_of(b)]);
}

/* The sparsest block on the bucket lists, or NULL. */
static struct zmm_block *zmm_sparsest(struct zmm_arena *a)
{
	unsigned int i;

	for (i = 0; i < ZMM_NR_BUCKETS; i++) {
		if (!list_empty(&a->buckets[i]))
			return list_first_entry(&a->buckets[i],
						struct zmm_block, node);
	}
	return NULL;
}

static void zmm_block_account(struct zmm_arena *a, struct zmm_block *b,
			      int sign)
{
	long pages = sign * (1L << b->order);

	/* read locklessly by zmm_shrink() */
	WRITE_ONCE(a->pages_held, a->pages_held + pages);
	a->nr_blocks[b->order] += sign;
	zmm_pages_held_add(a->pool, pages);
}

/*
 * Allocate a block of @order, else of smaller orders down to min_order.
 * No lock held.
 */
static struct zmm_block *zmm_block_alloc(struct zmm_arena *a,
					 unsigned int order)
{
	struct zmm_pool *pool = a->pool;
	struct zmm_block *b;
	void *base = NULL;

	/* under the per-CPU context: must not sleep */
	b = kmalloc(sizeof(*b), GFP_NOWAIT | __GFP_NOWARN);
	if (!b)
		return NULL;
	for (; order >= READ_ONCE(pool->params.min_order); order--) {
		base = pool->ops.alloc_block(pool->ops.priv, order, a->owner,
					     a->nid, a->type);
		if (base)
			break;
		zmm_stat_inc(pool, ZMM_STAT_BLOCK_ALLOC_FAIL);
	}
	if (!base) {
		kfree(b);
		return NULL;
	}
	INIT_LIST_HEAD(&b->node);
	INIT_LIST_HEAD(&b->objs);
	b->arena = a;
	b->base = base;
	b->order = order;
	b->busy = false;
	b->size = PAGE_SIZE << order;
	b->tail = 0;
	b->live = 0;
	b->nr = 0;
	zmm_stat_inc(pool, ZMM_STAT_BLOCKS_O4 + order - ZMM_BLOCK_ORDER_MIN);
	return b;
}

/* Give back a block that @a does not account for (any lock or none). */
static void zmm_block_discard(struct zmm_arena *a, struct zmm_block *b)
{
	struct zmm_pool *pool = a->pool;

	pool->ops.free_block(pool->ops.priv, b->base, b->order, a->owner,
			     a->nid, a->type);
	kfree(b);
	zmm_stat_inc(pool, ZMM_STAT_BLOCKS_FREED);
}

/* Give an unlinked, empty block back; returns the pageframes freed. */
static unsigned long zmm_block_free(struct zmm_arena *a, struct zmm_block *b)
{
	unsigned long pages = 1UL << b->order;

	lockdep_assert_held(&a->lock);
	WARN_ON_ONCE(b->nr || !list_empty(&b->objs));
	zmm_block_account(a, b, -1);
	zmm_block_discard(a, b);
	return pages;
}

/* Make @b (unlinked from the buckets) the head; file or free the old. */
static void zmm_set_head(struct zmm_arena *a, struct zmm_block *b)
{
	struct zmm_block *old = a->head;

	lockdep_assert_held(&a->lock);
	a->head = b;
	if (!old)
		return;
	if (old->nr)
		zmm_block_file(a, old);
	else
		zmm_block_free(a, old);
}

/* @why: the ZMM_STAT_*_BYTES item that says which path copied */
static void zmm_move_stat(struct zmm_arena *a, unsigned int len,
			  enum zmm_stat_item why)
{
	zmm_stat_inc(a->pool, ZMM_STAT_COMPACT_MOVES);
	zmm_stat_add(a->pool, ZMM_STAT_COMPACT_BYTES, len);
	zmm_stat_add(a->pool, why, len);
}

/* Slide the live objects of @b down to its start: its garbage becomes tail. */
static void zmm_block_compact_in_place(struct zmm_arena *a,
				       struct zmm_block *b,
				       enum zmm_stat_item why)
{
	struct zmm_entry *e;
	u32 off = 0;

	lockdep_assert_held(&a->lock);
	list_for_each_entry(e, &b->objs, bnode) {
		if (e->off != off) {
			memmove(b->base + off, b->base + e->off, e->len);
			e->off = off;
			zmm_move_stat(a, e->len, why);
		}
		off += e->len;
	}
	WARN_ON_ONCE(off != b->live);
	b->tail = off;
}

/* Reuse the sparsest block as head, after compacting it in place. */
static void zmm_recycle_sparsest(struct zmm_arena *a, struct zmm_block *b,
				 enum zmm_stat_item why)
{
	list_del_init(&b->node);
	zmm_block_compact_in_place(a, b, why);
	zmm_set_head(a, b);
}

static void zmm_place(struct zmm_arena *a, struct zmm_block *b,
		      struct zmm_entry *e, unsigned int len)
{
	e->block = b;
	e->off = b->tail;
	e->len = len;
	b->tail += len;
	b->live += len;
	b->nr++;
	list_add_tail(&e->bnode, &b->objs);
}

/* Move @e from @from to the tail of @to, which has room for it. */
static void zmm_move_object(struct zmm_arena *a, struct zmm_block *from,
			    struct zmm_block *to, struct zmm_entry *e,
			    enum zmm_stat_item why)
{
	memcpy(to->base + to->tail, from->base + e->off, e->len);
	list_del(&e->bnode);
	from->live -= e->len;
	from->nr--;
	zmm_place(a, to, e, e->len);
	zmm_move_stat(a, e->len, why);
}

/*
 * Find room for @len bytes at the head, taking a new head if needed.
 * Called and returns with the arena locked; may drop the lock to allocate.
 * @why counts the bytes a recycled block slides (zmm_move_stat()).
 * Return: the head, with room, or NULL.
 */
static struct zmm_block *zmm_head_with_room(struct zmm_arena *a,
					    unsigned int len, bool may_alloc,
					    enum zmm_stat_item why)
{
	struct zmm_block *b, *victim;

	for (;;) {
		b = a->head;
		if (b && b->size - b->tail >= len)
			return b;
		victim = zmm_sparsest(a);
		if (victim && a->pool->policy->recycle(a, victim) &&
		    victim->size - victim->live >= len) {
			zmm_recycle_sparsest(a, victim, why);
			continue;
		}
		if (may_alloc) {
			unsigned int order;

			order = a->pool->policy->block_order(a, a->pages_held);

			spin_unlock(&a->lock);
			b = zmm_block_alloc(a, order);
			spin_lock(&a->lock);
			if (b) {
				zmm_block_account(a, b, 1);
				/*
				 * A racing store may have installed a head
				 * with room: give this block back rather than
				 * keep it for later, so that an arena holds at
				 * most one block beyond what it fills (which
				 * memory.zpages.max relies on).
				 */
				if (a->head &&
				    a->head->size - a->head->tail >= len)
					zmm_block_free(a, b);
				else
					zmm_set_head(a, b);
				continue;
			}
			may_alloc = false;
		}
		/* no new memory: any block with enough garbage will do */
		victim = zmm_sparsest(a);
		if (victim && victim->size - victim->live >= len) {
			zmm_recycle_sparsest(a, victim, why);
			continue;
		}
		return NULL;
	}
}

/**
 * zmm_block_store - copy compressed data into the arena and link @e.
 * @a: the arena.
 * @e: the new entry; gets its location and goes on the LRU.
 * @data: the compressed data.
 * @len: its length.
 * @end: ZMM_LRU_HOT for a zpage just stored; ZMM_LRU_COLD for one
 *	moved in from another arena (zmm_entry_move()), which goes in as
 *	the coldest and counts as stored before every zpage there (@seq).
 *
 * Return: 0 or -ENOMEM when no block could be had or made.
 */
int zmm_block_store(struct zmm_arena *a, struct zmm_entry *e,
		    const void *data, unsigned int len, enum zmm_lru_end end)
{
	struct zmm_block *b;

	spin_lock(&a->lock);
	b = zmm_head_with_room(a, len, true, ZMM_STAT_COMPACT_RECYCLE_BYTES);
	if (!b) {
		spin_unlock(&a->lock);
		return -ENOMEM;
	}
	memcpy(b->base + b->tail, data, len);
	e->arena = a;
	if (end == ZMM_LRU_COLD) {
		e->seq = a->stores - (u32)a->nr_zpages - 1;
		list_add(&e->lru, &a->lru);
	} else {
		e->seq = a->stores++;
		list_add_tail(&e->lru, &a->lru);
	}
	zmm_place(a, b, e, len);
	a->bytes_used += len;
	a->nr_zpages++;
	spin_unlock(&a->lock);
	zmm_stat_add(a->pool, ZMM_STAT_BYTES_USED, len);
	return 0;
}

/**
 * zmm_arena_copy_out - copy an entry's compressed data to @buf.
 * @a: the entry's arena.
 * @e: the entry, referenced by the caller.
 * @buf: at least PAGE_SIZE bytes.
 * @touch: move the entry to the hot end of the LRU (a load that keeps it).
 * @comp: set to the compressor of the data.
 *
 * Under the arena lock, so compaction cannot move the data meanwhile, and
 * a recompression (zmm_block_rewrite()) cannot change it between the copy
 * and the reading of its length and compressor.
 *
 * Return: the length copied.
 */
unsigned int zmm_arena_copy_out(struct zmm_arena *a, struct zmm_entry *e,
				void *buf, bool touch, unsigned int *comp)
{
	unsigned int len;

	spin_lock(&a->lock);
	len = e->len;
	*comp = e->comp;
	memcpy(buf, e->block->base + e->off, len);
	/* an entry under eviction is off the LRU and stays off */
	if (touch && !list_empty(&e->lru))
		list_move_tail(&e->lru, &a->lru);
	spin_unlock(&a->lock);
	return len;
}

/**
 * zmm_block_rewrite - replace an entry's data, in place, with shorter data.
 * @a: the entry's arena.
 * @e: the entry, referenced and off the LRU (the caller is its evictor).
 * @old_len: the length the caller read (zmm_arena_copy_out()).
 * @data: the new data, the same page in compressor @comp.
 * @len: its length, shorter than @old_len.
 * @comp: its compressor.
 *
 * The new data takes the start of the old object's bytes; the rest of
 * them becomes garbage in its block, which compaction gives back like
 * any other.  Takes no memory.
 *
 * Return: true if rewritten; false if @e's length is no longer @old_len
 * (nothing is changed then).
 */
bool zmm_block_rewrite(struct zmm_arena *a, struct zmm_entry *e,
		       unsigned int old_len, const void *data,
		       unsigned int len, unsigned int comp)
{
	unsigned int bucket, saved = old_len - len;
	struct zmm_block *b;

	if (WARN_ON_ONCE(!len || len >= old_len))
		return false;
	spin_lock(&a->lock);
	b = e->block;
	if (e->len != old_len) {
		spin_unlock(&a->lock);
		return false;
	}
	bucket = zmm_bucket_of(b);
	memcpy(b->base + e->off, data, len);
	e->len = len;
	e->comp = comp;
	b->live -= saved;
	a->bytes_used -= saved;
	if (!b->busy && b != a->head)
		zmm_block_refile(a, b, bucket);
	spin_unlock(&a->lock);
	zmm_stat_add(a->pool, ZMM_STAT_BYTES_USED, -(long)saved);
	return true;
}

/**
 * zmm_block_release - free an entry's storage (its last reference is gone).
 * @a: the arena.
 * @e: the entry.
 *
 * A block left empty goes back to the page allocator at once, except the
 * head, which is reused unless the arena is now empty.
 *
 * Return: pageframes freed.
 */
unsigned long zmm_block_release(struct zmm_arena *a, struct zmm_entry *e)
{
	unsigned long freed = 0;
	struct zmm_block *b;
	unsigned int bucket;

	spin_lock(&a->lock);
	b = e->block;
	bucket = zmm_bucket_of(b);
	list_del_init(&e->lru);
	list_del_init(&e->bnode);
	b->live -= e->len;
	b->nr--;
	a->bytes_used -= e->len;
	a->nr_zpages--;
	if (b->busy) {
		/* being evacuated: the evacuator files or frees it */
	} else if (b->nr && b != a->head) {
		zmm_block_refile(a, b, bucket);
	} else if (!b->nr) {
		if (b != a->head) {
			list_del_init(&b->node);
			freed += zmm_block_free(a, b);
		} else {
			b->tail = 0;
		}
	}
	/* an arena with no zpages holds no memory */
	if (!a->nr_zpages && a->head) {
		freed += zmm_block_free(a, a->head);
		a->head = NULL;
	}
	spin_unlock(&a->lock);
	zmm_stat_add(a->pool, ZMM_STAT_BYTES_USED, -(long)e->len);
	return freed;
}

/**
 * zmm_block_shrink_head - move a lone, mostly empty head to a smaller block.
 * @a: the arena.
 *
 * When the head is the arena's only block and what it holds would fit a
 * block at least four times smaller, the objects move to a new block of
 * the size the arena would get today and the head goes back: an arena
 * that emptied out does not keep pinning 2 MiB for a few zpages.
 *
 * Return: pageframes freed (net of the new block).
 */
unsigned long zmm_block_shrink_head(struct zmm_arena *a)
{
	struct zmm_block *old, *nb;
	struct zmm_entry *e, *next;
	unsigned int order, old_order;

	spin_lock(&a->lock);
	old = a->head;
	if (!old || !old->nr || a->pages_held != 1UL << old->order) {
		spin_unlock(&a->lock);
		return 0;
	}
	order = a->pool->policy->block_order(a, DIV_ROUND_UP(old->live,
							     PAGE_SIZE));
	old_order = old->order;
	spin_unlock(&a->lock);
	/* @old may be freed from here on until it is found again below */
	if (order + 2 > old_order)
		return 0;
	nb = zmm_block_alloc(a, order);
	if (!nb)
		return 0;
	spin_lock(&a->lock);
	/*
	 * The arena may have moved on meanwhile.  If @old was freed and
	 * its memory came back as a new head, every check below reads that
	 * live head under the lock, so moving its objects is still right.
	 */
	if (a->head != old || nb->size < old->live ||
	    a->pages_held != 1UL << old->order) {
		spin_unlock(&a->lock);
		zmm_block_discard(a, nb);
		return 0;
	}
	zmm_block_account(a, nb, 1);
	list_for_each_entry_safe(e, next, &old->objs, bnode)
		zmm_move_object(a, old, nb, e, ZMM_STAT_COMPACT_EVAC_BYTES);
	a->head = nb;
	old_order = old->order;
	order = nb->order;
	zmm_block_free(a, old);
	spin_unlock(&a->lock);
	return (1UL << old_order) - (1UL << order);
}

/**
 * zmm_block_evacuate_one - empty the sparsest block into the head and give
 * it back.
 * @a: the arena.
 * @shrink: for a shrink, not the background compaction (which counter
 *	the bytes moved go to: shrink_evacuate_bytes or
 *	compact_evacuate_bytes).
 *
 * Only runs when the policy agrees (there is room for the block's live
 * data elsewhere in the arena); takes no new memory.  Stops early, with
 * the block partly evacuated and refiled, if room runs out.  Drops the
 * arena lock every ZMM_EVACUATE_BATCH objects and may sleep.
 *
 * Return: pageframes freed.
 */
unsigned long zmm_block_evacuate_one(struct zmm_arena *a, bool shrink)
{
	enum zmm_stat_item why = shrink ? ZMM_STAT_SHRINK_EVAC_BYTES :
					  ZMM_STAT_COMPACT_EVAC_BYTES;
	struct zmm_block *v, *dst;
	unsigned long freed = 0;
	unsigned int moved = 0;
	struct zmm_entry *e;

	spin_lock(&a->lock);
	v = zmm_sparsest(a);
	if (!v || !a->pool->policy->evacuate(a, v))
		goto unlock;
	/*
	 * Off the buckets, so that it is neither a target of itself nor
	 * chosen again; busy, so that releases leave it to us.
	 */
	list_move(&v->node, &a->evacuating);
	v->busy = true;
	while ((e = list_first_entry_or_null(&v->objs, struct zmm_entry,
					     bnode))) {
		/* may not allocate, so keeps the lock: @e stays valid */
		dst = zmm_head_with_room(a, e->len, false, why);
		if (!dst)
			break;
		zmm_move_object(a, v, dst, e, why);
		/* bound the time the arena lock is held */
		if (!(++moved % ZMM_EVACUATE_BATCH)) {
			spin_unlock(&a->lock);
			cond_resched();
			spin_lock(&a->lock);
		}
	}
	v->busy = false;
	list_del_init(&v->node);
	if (v->nr)
		zmm_block_file(a, v);
	else
		freed = zmm_block_free(a, v);
unlock:
	spin_unlock(&a->lock);
	return freed;
}
