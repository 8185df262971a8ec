// SPDX-License-Identifier: GPL-2.0
/*
 * zmm core, layer 6: the consistency checker.  Recount everything from the data structures and
 * compare with the counters.  Used by the userspace tests after every
 * operation, by the KUnit suite, and by the debugfs "check" file.
 */
#include "index.h"

#define ZMM_BAD(cond, fmt, ...) ({					\
	bool __bad = !!(cond);						\
	if (__bad)							\
		pr_err("check: " fmt "\n", ##__VA_ARGS__);		\
	__bad;								\
})

struct zmm_count {
	unsigned long held;
	unsigned long used;
	unsigned long nr;
	unsigned long nr_blocks[ZMM_NR_ORDERS];
};

static long zmm_check_block(struct zmm_arena *a, struct zmm_block *b,
			    bool quiet, struct zmm_count *c)
{
	u32 end = 0, live = 0, n = 0;
	struct zmm_entry *e;
	long bad = 0;

	bad += ZMM_BAD(b->arena != a, "block of another arena");
	bad += ZMM_BAD(b->size != PAGE_SIZE << b->order,
		       "block size %u order %u", b->size, b->order);
	bad += ZMM_BAD(b->tail > b->size, "tail %u > size %u", b->tail,
		       b->size);
	list_for_each_entry(e, &b->objs, bnode) {
		bad += ZMM_BAD(e->block != b || e->arena != a,
			       "entry of another block");
		bad += ZMM_BAD(e->off < end, "object at %u overlaps %u",
			       e->off, end);
		bad += ZMM_BAD(!e->len || e->len > PAGE_SIZE,
			       "object length %u", e->len);
		/*
		 * The last reference is dropped before zmm_block_release()
		 * takes the arena lock to unlink: only a quiet pool is sure.
		 */
		bad += ZMM_BAD(quiet && !refcount_read(&e->refs),
			       "dead entry linked");
		end = e->off + e->len;
		live += e->len;
		n++;
	}
	bad += ZMM_BAD(end > b->tail, "object past tail: %u > %u", end,
		       b->tail);
	bad += ZMM_BAD(live != b->live, "block live %u, recount %u", b->live,
		       live);
	bad += ZMM_BAD(n != b->nr, "block nr %u, recount %u", b->nr, n);
	c->held += 1UL << b->order;
	c->used += live;
	c->nr += n;
	c->nr_blocks[b->order]++;
	return bad;
}

static long zmm_check_arena(struct zmm_arena *a, bool quiet, bool retired,
			    struct zmm_count *total)
{
	struct zmm_count c = { 0 };
	unsigned long lru = 0, refs, want;
	struct zmm_block *b;
	struct zmm_entry *e;
	unsigned int k;
	long bad = 0;

	spin_lock(&a->lock);
	if (a->head)
		bad += zmm_check_block(a, a->head, quiet, &c);
	list_for_each_entry(b, &a->evacuating, node) {
		bad += ZMM_BAD(!b->busy, "idle block on the evacuating list");
		bad += zmm_check_block(a, b, quiet, &c);
	}
	for (k = 0; k < ZMM_NR_BUCKETS; k++) {
		list_for_each_entry(b, &a->buckets[k], node) {
			bad += ZMM_BAD(b->busy, "busy block on a bucket");
			bad += ZMM_BAD(b == a->head, "head on a bucket");
			bad += ZMM_BAD(zmm_bucket_of(b) != k,
				       "block on bucket %u belongs on %u", k,
				       zmm_bucket_of(b));
			bad += ZMM_BAD(!b->nr, "empty block kept");
			bad += zmm_check_block(a, b, quiet, &c);
		}
	}
	list_for_each_entry(e, &a->lru, lru) {
		bad += ZMM_BAD(e->arena != a, "LRU entry of another arena");
		lru++;
	}
	bad += ZMM_BAD(c.held != a->pages_held, "held %lu, recount %lu",
		       a->pages_held, c.held);
	bad += ZMM_BAD(c.used != a->bytes_used, "used %lu, recount %lu",
		       a->bytes_used, c.used);
	bad += ZMM_BAD(c.nr != a->nr_zpages, "zpages %lu, recount %lu",
		       a->nr_zpages, c.nr);
	bad += ZMM_BAD(memcmp(c.nr_blocks, a->nr_blocks, sizeof(c.nr_blocks)),
		       "blocks by order differ");
	/* (not quiet) an evacuation between batches holds an empty block */
	bad += ZMM_BAD(quiet && !c.nr && c.held,
		       "empty arena holds %lu pages", c.held);
	/* one per zpage, the table's, and (not quiet) users' */
	refs = refcount_read(&a->refs);
	want = c.nr + !retired;
	bad += ZMM_BAD(quiet ? refs != want : refs < want,
		       "%lu references for %lu zpages%s", refs, c.nr,
		       retired ? " (retired)" : "");
	/* entries under eviction are off the LRU for a while */
	if (quiet)
		bad += ZMM_BAD(lru != c.nr, "LRU has %lu of %lu zpages", lru,
			       c.nr);
	spin_unlock(&a->lock);
	total->held += c.held;
	total->used += c.used;
	return bad;
}

/* Recount one object's entries (its shard locked) into *@nr. */
static long zmm_check_object(struct zmm_object *o, unsigned long *nr)
{
	unsigned long b, idx, n = 0;
	struct zmm_entry *e;
	long bad = 0;

	if (o->type == ZMM_FILE) {
		bad += ZMM_BAD(o->chunk, "file object of chunk %llu",
			       (unsigned long long)o->chunk);
		xa_for_each(&o->xa, idx, e) {
			bad += ZMM_BAD(e->index != idx,
				       "entry of index %llu at %lu",
				       (unsigned long long)e->index, idx);
			bad += ZMM_BAD(e->type != o->type || e->id != o->id,
				       "entry in the wrong object");
			n++;
		}
		bad += ZMM_BAD(!n, "empty file object kept");
		*nr += n;
		return bad;
	}
	for (b = 0; b < (1UL << o->entries.bits); b++) {
		hlist_for_each_entry(e, &o->entries.heads[b], hnode) {
			bad += ZMM_BAD(hash_64(e->index, o->entries.bits) != b,
				       "entry in the wrong chain");
			bad += ZMM_BAD(e->type != o->type || e->id != o->id ||
				       zmm_chunk_of(e->type, e->index) !=
				       o->chunk,
				       "entry in the wrong object");
			n++;
		}
	}
	bad += ZMM_BAD(n != o->entries.nr || !n,
		       "object holds %lu, recount %lu", o->entries.nr, n);
	*nr += n;
	return bad;
}

static long zmm_check_shard(struct zmm_pool *pool, struct zmm_shard *s,
			    unsigned long *nr)
{
	unsigned long i, objs = 0;
	struct zmm_object *o;
	long bad = 0;
	u64 first;

	spin_lock(&s->lock);
	for (i = 0; i < (1UL << s->objs.bits); i++) {
		hlist_for_each_entry(o, &s->objs.heads[i], hnode) {
			first = o->type == ZMM_ANON ?
				o->chunk << ZMM_ANON_CHUNK_SHIFT : 0;
			objs++;
			bad += ZMM_BAD(zmm_shard_of(pool, o->type, o->id,
						    first) != s,
				       "object in the wrong shard");
			bad += zmm_check_object(o, nr);
		}
	}
	bad += ZMM_BAD(objs != s->objs.nr, "shard objects %lu, recount %lu",
		       s->objs.nr, objs);
	spin_unlock(&s->lock);
	return bad;
}

/**
 * zmm_pool_check - recount a pool and compare with its counters.
 * @pool: the pool.
 * @quiet: nothing else is running on the pool, so that entries taken off
 *	the LRU by an eviction in flight cannot explain a difference, and
 *	the pool-wide gauges must match the recount exactly.
 *
 * Each inconsistency is reported with pr_err().
 *
 * Return: the number of inconsistencies found; 0 for a sound pool.
 */
long zmm_pool_check(struct zmm_pool *pool, bool quiet)
{
	unsigned long i, nr = 0, nr_arenas = 0, nr_retired = 0;
	struct zmm_count total = { 0 };
	struct zmm_arena *a;
	long bad = 0;

	read_lock(&pool->arenas_lock);
	for (i = 0; i < (1UL << pool->arenas.bits); i++)
		hlist_for_each_entry(a, &pool->arenas.heads[i], hnode) {
			bad += zmm_check_arena(a, quiet, false, &total);
			nr_arenas++;
		}
	hlist_for_each_entry(a, &pool->retired, hnode) {
		bad += zmm_check_arena(a, quiet, true, &total);
		nr_arenas++;
		nr_retired++;
	}
	read_unlock(&pool->arenas_lock);
	for (i = 0; i < ZMM_NR_SHARDS; i++)
		bad += zmm_check_shard(pool, &pool->shards[i], &nr);
	if (!quiet)
		return bad;
	bad += ZMM_BAD(total.held != zmm_stat(pool, ZMM_STAT_PAGES_HELD),
		       "pages_held %lu, recount %lu",
		       zmm_stat(pool, ZMM_STAT_PAGES_HELD), total.held);
	bad += ZMM_BAD(total.used != zmm_stat(pool, ZMM_STAT_BYTES_USED),
		       "bytes_used %lu, recount %lu",
		       zmm_stat(pool, ZMM_STAT_BYTES_USED), total.used);
	bad += ZMM_BAD(nr_arenas != zmm_stat(pool, ZMM_STAT_NR_ARENAS),
		       "nr_arenas %lu, recount %lu",
		       zmm_stat(pool, ZMM_STAT_NR_ARENAS), nr_arenas);
	bad += ZMM_BAD(nr_retired != zmm_stat(pool, ZMM_STAT_NR_ARENAS_RETIRED),
		       "nr_arenas_retired %lu, recount %lu",
		       zmm_stat(pool, ZMM_STAT_NR_ARENAS_RETIRED), nr_retired);
	bad += ZMM_BAD(nr != zmm_stat(pool, ZMM_STAT_NR_ZPAGES),
		       "nr_zpages %lu, index holds %lu",
		       zmm_stat(pool, ZMM_STAT_NR_ZPAGES), nr);
	return bad;
}
