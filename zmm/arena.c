// SPDX-License-Identifier: GPL-2.0
/*
 * zmm core, layer 2: arenas and the zpage LRU lists.
 *
 * An arena is the unit MM reasons about: the zpages of one type charged to
 * one memcg on one node, with the pageframes that hold them.  Its LRU runs
 * from cold (head of the list) to hot (tail): a store adds at the hot end,
 * a load removes the entry (loads are exclusive, see zmm_load()), and an
 * eviction takes from the cold end.
 *
 * Same-filled zpages take no storage, hence no pageframes, and stay off
 * the LRU: evicting them would give MM nothing back.
 *
 * An arena lives as long as it is in the arena table, or holds a zpage,
 * or someone holds a reference (struct zmm_arena @refs).  When its owner
 * goes away for good (a memcg going offline), zmm_arena_retire() takes it
 * out of the table: a new arena for a reused owner id starts empty, and
 * the old one is freed with its last zpage.
 *
 * This file only keeps the lists; what leaves them and why is evict.c's
 * and policy.c's business.
 */
#include "arena.h"
#include "block.h"
#include "htab.h"
#include "stats.h"

static u64 zmm_arena_hkey(u32 owner, int nid, enum zmm_type type)
{
	return ((u64)owner << 32) ^ ((u64)(u32)nid << 1) ^ (u64)type;
}

static u64 zmm_arena_node_hkey(struct hlist_node *n)
{
	struct zmm_arena *a = container_of(n, struct zmm_arena, hnode);

	return zmm_arena_hkey(a->owner, a->nid, a->type);
}

/* The arena of (@owner, @nid, @type) in the table; under arenas_lock. */
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

/*
 * Give @a back, already off its list: it must hold no zpage, hence no
 * block.
 */
static void zmm_arena_release(struct zmm_arena *a)
{
	struct zmm_pool *pool = a->pool;

	WARN_ON_ONCE(a->head || a->nr_zpages || a->pages_held ||
		     !list_empty(&a->lru));
	zmm_stat_add(pool, ZMM_STAT_NR_ARENAS, -1);
	if (a->retired)
		zmm_stat_add(pool, ZMM_STAT_NR_ARENAS_RETIRED, -1);
	kfree(a);
}

/* Free @a, retired and unreferenced. */
static void zmm_arena_free(struct zmm_arena *a)
{
	struct zmm_pool *pool = a->pool;

	write_lock(&pool->arenas_lock);
	hlist_del_init(&a->hnode);
	write_unlock(&pool->arenas_lock);
	zmm_arena_release(a);
}

/**
 * zmm_arena_get - another reference on an arena.
 * @a: the arena, which the table or the caller holds a reference on.
 */
void zmm_arena_get(struct zmm_arena *a)
{
	refcount_inc(&a->refs);
}

/**
 * zmm_arena_put - drop a reference on an arena.
 * @a: the arena.
 *
 * The last one (only possible once the arena was retired) frees it.  Call
 * it without any other zmm lock held.  Never sleeps.
 */
void zmm_arena_put(struct zmm_arena *a)
{
	if (refcount_dec_and_test(&a->refs))
		zmm_arena_free(a);
}

/**
 * zmm_arena_find - look up, and optionally create, an arena.
 * @pool: the pool.
 * @owner: memcg id.
 * @nid: node.
 * @type: zpage type.
 * @create: create it when missing.
 *
 * Only arenas in the table are found, never a retired one.
 *
 * Return: the arena, with a reference for the caller to zmm_arena_put(),
 * or NULL (missing and not created, or no memory).
 */
struct zmm_arena *zmm_arena_find(struct zmm_pool *pool, u32 owner, int nid,
				 enum zmm_type type, bool create)
{
	struct zmm_arena *a, *na;
	unsigned int i;

	read_lock(&pool->arenas_lock);
	a = zmm_arena_lookup(pool, owner, nid, type);
	if (a)
		zmm_arena_get(a);
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
	/* the table's and the caller's */
	refcount_set(&na->refs, 2);

	write_lock(&pool->arenas_lock);
	a = zmm_arena_lookup(pool, owner, nid, type);
	if (a) {
		zmm_arena_get(a);
	} else {
		hlist_add_head(&na->hnode,
			       &pool->arenas.heads[hash_64(zmm_arena_hkey(owner,
								nid, type),
						  pool->arenas.bits)]);
		pool->arenas.nr++;
		zmm_htab_maybe_grow(&pool->arenas, zmm_arena_node_hkey, NULL);
		zmm_stat_inc(pool, ZMM_STAT_NR_ARENAS);
		a = na;
		na = NULL;
	}
	write_unlock(&pool->arenas_lock);
	kfree(na);
	return a;
}

/**
 * zmm_arena_retire - take an owner's arenas out of the table, for good.
 * @pool: the pool.
 * @owner: memcg id, going away (the caller evicted its zpages first, and
 *	makes sure that no store for @owner starts any more).
 *
 * A later zmm_arena_find() for @owner, after the id was reused, creates
 * a new arena.  A retired arena that still holds zpages (their writeback
 * failed, or a store raced with the eviction) stays on pool->retired,
 * reachable by pool-wide reclaim, until the last of them goes; then it
 * is freed.  Never sleeps.
 *
 * Return: the zpages left in the retired arenas.
 */
unsigned long zmm_arena_retire(struct zmm_pool *pool, u32 owner)
{
	struct zmm_arena *a, *retired[ZMM_NR_TYPES];
	unsigned long left = 0;
	unsigned int t, n;
	int nid;

	if (owner == ZMM_OWNER_ANY)
		return 0;
	for (nid = 0; nid < nr_node_ids; nid++) {
		n = 0;
		write_lock(&pool->arenas_lock);
		for (t = 0; t < ZMM_NR_TYPES; t++) {
			a = zmm_arena_lookup(pool, owner, nid, t);
			if (!a)
				continue;
			hlist_del_init(&a->hnode);
			hlist_add_head(&a->hnode, &pool->retired);
			a->retired = true;
			pool->arenas.nr--;
			retired[n++] = a;
		}
		write_unlock(&pool->arenas_lock);
		for (t = 0; t < n; t++) {
			a = retired[t];
			left += READ_ONCE(a->nr_zpages);
			zmm_stat_inc(pool, ZMM_STAT_ARENAS_RETIRED);
			zmm_stat_inc(pool, ZMM_STAT_NR_ARENAS_RETIRED);
			/* the table's reference */
			zmm_arena_put(a);
		}
	}
	return left;
}

int zmm_arenas_init(struct zmm_pool *pool)
{
	rwlock_init(&pool->arenas_lock);
	INIT_HLIST_HEAD(&pool->retired);
	return zmm_htab_init(&pool->arenas, 4);
}

/* Free every arena; they must hold nothing by now, and nobody use them. */
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
			hlist_del_init(&a->hnode);
			zmm_arena_release(a);
		}
	}
	/* a retired arena is freed with its last zpage: none may be left */
	hlist_for_each_entry_safe(a, next, &pool->retired, hnode) {
		WARN_ON_ONCE(1);
		hlist_del_init(&a->hnode);
		zmm_arena_release(a);
	}
	zmm_htab_free(&pool->arenas);
}

static bool zmm_snapshot_wants(const struct zmm_arena *a, u32 owner,
			       enum zmm_type type)
{
	return (type == ZMM_NR_TYPES || a->type == type) &&
	       (owner == ZMM_OWNER_ANY || a->owner == owner);
}

/**
 * zmm_arenas_snapshot - the arenas of the pool, or of one owner.
 * @pool: the pool.
 * @owner: memcg id, or ZMM_OWNER_ANY for every arena, the retired ones
 *	included (their zpages are still the pool's to reclaim).
 * @type: a zpage type, or ZMM_NR_TYPES for both.
 * @n: set to the number of arenas.
 *
 * Return: an array of @n arenas, each referenced: give it to
 * zmm_arenas_put().  NULL (and *@n == 0) if there are none or no memory.
 */
struct zmm_arena **zmm_arenas_snapshot(struct zmm_pool *pool, u32 owner,
				       enum zmm_type type, unsigned long *n)
{
	struct zmm_arena **arenas, *a;
	unsigned long i, nr;

	*n = 0;
	read_lock(&pool->arenas_lock);
	nr = pool->arenas.nr;
	hlist_for_each_entry(a, &pool->retired, hnode)
		nr++;
	read_unlock(&pool->arenas_lock);
	if (!nr)
		return NULL;
	arenas = kcalloc(nr, sizeof(*arenas), GFP_KERNEL);
	if (!arenas)
		return NULL;
	read_lock(&pool->arenas_lock);
	for (i = 0; i < (1UL << pool->arenas.bits); i++) {
		hlist_for_each_entry(a, &pool->arenas.heads[i], hnode) {
			if (zmm_snapshot_wants(a, owner, type) && *n < nr) {
				zmm_arena_get(a);
				arenas[(*n)++] = a;
			}
		}
	}
	if (owner == ZMM_OWNER_ANY) {
		hlist_for_each_entry(a, &pool->retired, hnode) {
			/* the last put may be freeing it right now */
			if (zmm_snapshot_wants(a, owner, type) && *n < nr &&
			    refcount_inc_not_zero(&a->refs))
				arenas[(*n)++] = a;
		}
	}
	read_unlock(&pool->arenas_lock);
	if (!*n) {
		kfree(arenas);
		return NULL;
	}
	return arenas;
}

/**
 * zmm_arenas_put - put the arenas of a zmm_arenas_snapshot(), and free it.
 * @arenas: the snapshot (NULL is fine).
 * @n: its size.
 */
void zmm_arenas_put(struct zmm_arena **arenas, unsigned long n)
{
	unsigned long i;

	for (i = 0; i < n; i++)
		zmm_arena_put(arenas[i]);
	kfree(arenas);
}

/**
 * zmm_lru_rotate - put back a zpage its evictor keeps: its writeback
 * failed, or it was recompressed (evict.c).
 * @a: its arena.
 * @e: the zpage, off the LRU.
 * @end: the end of the LRU it was taken from, or ZMM_NR_LRU_ENDS (a
 *	drain, which walks the index, not the LRU).
 *
 * It goes to the other end, as vmscan rotates a folio it could not
 * reclaim: the next eviction from @end tries another.  Put back at @end,
 * a zpage that keeps failing would be tried first by every shrink and
 * stop it before it reached one it could write; that is a run of zpages
 * whose slots have a large folio in the swap cache at the cold end, or,
 * at the hot end, the zpages just stored, whose folios reclaim still
 * holds locked.  A drained zpage goes to the hot end.
 */
void zmm_lru_rotate(struct zmm_arena *a, struct zmm_entry *e,
		    enum zmm_lru_end end)
{
	spin_lock(&a->lock);
	if (end == ZMM_LRU_HOT)
		list_add(&e->lru, &a->lru);
	else
		list_add_tail(&e->lru, &a->lru);
	spin_unlock(&a->lock);
}

/* zmm_lru_take_end() of @e, under the arena lock: true if taken */
static bool zmm_lru_take_locked(struct zmm_entry *e)
{
	/* pairs with smp_store_release() in zmm_store() */
	if (!smp_load_acquire(&e->published) ||
	    !refcount_inc_not_zero(&e->refs))
		return false;
	list_del_init(&e->lru);
	return true;
}

/**
 * zmm_lru_take_end - take the zpage at one end of an arena's LRU off it.
 * @a: the arena.
 * @end: the coldest (ZMM_LRU_COLD) or the most recently stored.
 *
 * Only a published zpage that still has its index reference is taken:
 * one not yet in the index could be data a store is about to publish,
 * and one whose last reference is going is on its way out already.
 *
 * Return: the zpage, off the LRU (so no other evictor picks it) and with
 * a reference for the caller, or NULL if there is none.
 */
struct zmm_entry *zmm_lru_take_end(struct zmm_arena *a, enum zmm_lru_end end)
{
	struct zmm_entry *e;

	spin_lock(&a->lock);
	if (end == ZMM_LRU_COLD) {
		list_for_each_entry(e, &a->lru, lru)
			if (zmm_lru_take_locked(e))
				goto out;
	} else {
		list_for_each_entry_reverse(e, &a->lru, lru)
			if (zmm_lru_take_locked(e))
				goto out;
	}
	e = NULL;
out:
	spin_unlock(&a->lock);
	return e;
}

/**
 * zmm_lru_take - take a zpage the caller holds a reference on off its LRU.
 * @a: its arena.
 * @e: the zpage.
 *
 * Return: true if taken; false if it is off the LRU already (an evictor
 * has it).
 */
bool zmm_lru_take(struct zmm_arena *a, struct zmm_entry *e)
{
	bool taken;

	spin_lock(&a->lock);
	taken = !list_empty(&e->lru);
	list_del_init(&e->lru);
	spin_unlock(&a->lock);
	return taken;
}

/* Fill @info from @a, which the caller holds a reference on. */
static void zmm_arena_fill_info(struct zmm_arena *a,
				struct zmm_arena_info *info)
{
	memset(info, 0, sizeof(*info));
	info->owner = a->owner;
	info->nid = a->nid;
	info->type = a->type;
	spin_lock(&a->lock);
	info->retired = a->retired;
	info->pages_held = a->pages_held;
	info->bytes_used = a->bytes_used;
	info->nr_zpages = a->nr_zpages;
	memcpy(info->nr_blocks, a->nr_blocks, sizeof(info->nr_blocks));
	spin_unlock(&a->lock);
	/* not counting the caller's */
	info->refs = refcount_read(&a->refs) - 1;
}

/**
 * zmm_arena_info - snapshot of one (owner, node, type).
 * @pool: the pool.
 * @owner: memcg id.
 * @nid: node.
 * @type: zpage type.
 * @info: filled in; all zero if the arena does not exist.
 *
 * Return: 0, -ENOENT if the arena does not exist, -EINVAL.
 */
int zmm_arena_info(struct zmm_pool *pool, u32 owner, int nid,
		   enum zmm_type type, struct zmm_arena_info *info)
{
	struct zmm_arena *a;

	if (!info || (unsigned int)type >= ZMM_NR_TYPES)
		return -EINVAL;
	memset(info, 0, sizeof(*info));
	a = zmm_arena_find(pool, owner, nid, type, false);
	if (!a)
		return -ENOENT;
	zmm_arena_fill_info(a, info);
	zmm_arena_put(a);
	return 0;
}

/**
 * zmm_arenas_list - snapshots of every arena, the retired ones included.
 * @pool: the pool.
 * @infos: room for @max.
 * @max: how many fit.
 *
 * For debugfs and tests.  May sleep.
 *
 * Return: the number filled in.
 */
unsigned long zmm_arenas_list(struct zmm_pool *pool,
			      struct zmm_arena_info *infos, unsigned long max)
{
	struct zmm_arena **arenas;
	unsigned long i, n;

	arenas = zmm_arenas_snapshot(pool, ZMM_OWNER_ANY, ZMM_NR_TYPES, &n);
	for (i = 0; i < n && i < max; i++)
		zmm_arena_fill_info(arenas[i], &infos[i]);
	zmm_arenas_put(arenas, n);
	return min(n, max);
}
