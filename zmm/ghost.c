// SPDX-License-Identifier: GPL-2.0
/*
 * zmm core, layer 2: ghosts, the keys of recently evicted zpages.
 *
 * When a zpage is evicted (written back, or dropped if it is a file
 * zpage), a fingerprint of its key goes into a table, with its arena's
 * owner and node and the end of the LRU it was taken from.  A later load
 * that misses the pool and finds the ghost of its key is a refault: the
 * pool gave up a page that was wanted again, and the page now comes from
 * the swap device or the file.  Each arena keeps the score per end (struct
 * zmm_arena @evicted, @refaulted); the policy reads it (policy.c).
 *
 * The table is direct mapped and lossy: a newer ghost overwrites the
 * older one in its slot, so a refault is seen only within about
 * ZMM_GHOST_SLOTS evictions of its eviction, and a fingerprint collision
 * may count one that was not.  It is a measurement, never a correctness
 * matter.  No lock: slots are read and written with READ_ONCE() and
 * WRITE_ONCE(); a slot torn by two writers only misattributes a count.
 * A slot names its arena by (owner, node), not by pointer, since arenas
 * go away (zmm_arena_retire()): a refault is counted in the arena found
 * for them then, if any; after an owner id was reused, that may be the
 * new owner's, which costs one misattributed count.
 */
#include "arena.h"
#include "ghost.h"
#include "stats.h"

/*
 * 2^16 slots of 12 bytes (768 KiB): a ghost outlives 2^16 later evictions
 * (256 MiB of pages) with a chance of 1/e
 */
#define ZMM_GHOST_BITS	16
#define ZMM_GHOST_SLOTS	BIT(ZMM_GHOST_BITS)
/* evictions per arena after which its score is halved (recent counts) */
#define ZMM_GHOST_DECAY	1024

/**
 * struct zmm_ghost - one slot.
 * @fp: fingerprint of the key (never 0); 0 for an empty slot.
 * @owner: its arena's owner.
 * @nid: its arena's node.
 * @end: the LRU end the zpage was evicted from.
 */
struct zmm_ghost {
	u32 fp;
	u32 owner;
	u16 nid;
	u16 end;
};

int zmm_ghosts_init(struct zmm_pool *pool)
{
	pool->ghosts = kvcalloc(ZMM_GHOST_SLOTS, sizeof(*pool->ghosts),
				GFP_KERNEL);
	return pool->ghosts ? 0 : -ENOMEM;
}

void zmm_ghosts_destroy(struct zmm_pool *pool)
{
	kvfree(pool->ghosts);
	pool->ghosts = NULL;
}

static u64 zmm_ghost_hash(const struct zmm_key *key)
{
	return ((key->id << 1 | key->type) * 0x9e3779b97f4a7c15ULL ^
		key->index) * 0xc2b2ae3d27d4eb4fULL;
}

static struct zmm_ghost *zmm_ghost_slot(struct zmm_pool *pool, u64 h)
{
	return &pool->ghosts[h >> (64 - ZMM_GHOST_BITS)];
}

static u32 zmm_ghost_fp(u64 h)
{
	return (u32)h | 1;
}

/* Halve an arena's score once it has counted ZMM_GHOST_DECAY evictions. */
static void zmm_ghost_decay(struct zmm_arena *a)
{
	unsigned int i;

	if (atomic_read(&a->evicted[ZMM_LRU_COLD]) +
	    atomic_read(&a->evicted[ZMM_LRU_HOT]) < ZMM_GHOST_DECAY)
		return;
	for (i = 0; i < ZMM_NR_LRU_ENDS; i++) {
		atomic_set(&a->evicted[i], atomic_read(&a->evicted[i]) / 2);
		atomic_set(&a->refaulted[i], atomic_read(&a->refaulted[i]) / 2);
	}
}

/**
 * zmm_ghost_add - remember the key of a zpage just evicted.
 * @pool: the pool.
 * @key: its key.
 * @a: its arena.
 * @end: the end of @a's LRU it was taken from.
 *
 * Counts the eviction in @a's score.  Any context.
 */
void zmm_ghost_add(struct zmm_pool *pool, const struct zmm_key *key,
		   struct zmm_arena *a, enum zmm_lru_end end)
{
	u64 h = zmm_ghost_hash(key);
	struct zmm_ghost *g = zmm_ghost_slot(pool, h);

	WRITE_ONCE(g->owner, a->owner);
	WRITE_ONCE(g->nid, a->nid);
	WRITE_ONCE(g->end, end);
	WRITE_ONCE(g->fp, zmm_ghost_fp(h));
	atomic_inc(&a->evicted[end]);
	zmm_ghost_decay(a);
}

/**
 * zmm_ghost_refault - a load of @key missed the pool: was it evicted?
 * @pool: the pool.
 * @key: the key.
 *
 * If @key has a ghost, it is consumed and the refault counted in its
 * arena's score and in evict_refault.  Any context.
 *
 * Return: true for a refault.
 */
bool zmm_ghost_refault(struct zmm_pool *pool, const struct zmm_key *key)
{
	u64 h = zmm_ghost_hash(key);
	struct zmm_ghost *g = zmm_ghost_slot(pool, h);
	struct zmm_arena *a;
	u32 end, owner;
	int nid;

	if (READ_ONCE(g->fp) != zmm_ghost_fp(h))
		return false;
	owner = READ_ONCE(g->owner);
	nid = READ_ONCE(g->nid);
	end = READ_ONCE(g->end);
	WRITE_ONCE(g->fp, 0);
	if (end >= ZMM_NR_LRU_ENDS || nid >= nr_node_ids)
		return false;
	zmm_stat_inc(pool, ZMM_STAT_EVICT_REFAULT);
	a = zmm_arena_find(pool, owner, nid, key->type, false);
	if (a) {
		atomic_inc(&a->refaulted[end]);
		/* evicted, so older than any zpage there */
		pool->policy->loaded(a, U32_MAX);
		zmm_arena_put(a);
	}
	return true;
}
