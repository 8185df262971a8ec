/* SPDX-License-Identifier: GPL-2.0 */
/*
 * zmm - compressed memory that memory management can see and balance.
 *
 * The interface of the portable core: a pool that stores compressed pages
 * ("zpages") in 2 MiB blocks owned per (memcg, node), keeps them on a
 * per-(owner, node, type) LRU, and gives pageframes back on direction.
 * See Documentation/mm/zmm.rst for the design.
 */
#ifndef _ZMM_ZMM_H
#define _ZMM_ZMM_H

/**
 * enum zmm_type - the two kinds of zpages.
 * @ZMM_ANON: an anonymous page on its way to swap; evicted by writing it
 *	back to its swap slot.
 * @ZMM_FILE: a clean page-cache page; evicted by dropping it.
 * @ZMM_NR_TYPES: the number of types.
 */
enum zmm_type {
	ZMM_ANON,
	ZMM_FILE,
	ZMM_NR_TYPES,
};

/**
 * struct zmm_key - what a zpage is stored under.
 * @type: ZMM_ANON or ZMM_FILE.
 * @id: for anon the swap type, for file an id of the mapping (the kernel
 *	uses the address_space pointer: inode eviction invalidates every zpage
 *	of the mapping, so a reused pointer never finds stale data).
 * @index: for anon the swap offset, for file the page index.
 */
struct zmm_key {
	enum zmm_type type;
	u64 id;
	u64 index;
};

/**
 * enum zmm_comp - compressors, chosen per pool.
 * @ZMM_COMP_LZ4: lz4, the kernel's lib/lz4 (default).
 * @ZMM_COMP_ZSTD: zstd, the kernel's lib/zstd, at zmm_params.zstd_level.
 * @ZMM_NR_COMPS: the number of compressors.
 */
enum zmm_comp {
	ZMM_COMP_LZ4,
	ZMM_COMP_ZSTD,
	ZMM_NR_COMPS,
};

/* zmm_params.recomp: no second compressor */
#define ZMM_COMP_NONE		ZMM_NR_COMPS

/* Block orders: 2 MiB first, then smaller orders down to a floor. */
#define ZMM_BLOCK_ORDER_MAX	9
#define ZMM_BLOCK_ORDER_MIN	4	/* see Documentation/mm/zmm.rst */

/*
 * Owners are memcg ids (0 when there is none); this one is never an owner:
 * zmm_reclaim() takes it for "every arena", zmm_store() refuses it.
 */
#define ZMM_OWNER_ANY		U32_MAX

/**
 * struct zmm_params - tunables of a pool, validated by zmm_params_check().
 * @comp: compressor.
 * @zstd_level: zstd level (1..19) when @comp or @recomp is ZMM_COMP_ZSTD.
 * @recomp: second compressor, for cold zpages, or ZMM_COMP_NONE (the
 *	default); any other must differ from @comp.  A shrink that reaches
 *	a zpage at the cold end of its LRU still in @comp recompresses it
 *	with @recomp, in place, and keeps it (at the hot end, so that the
 *	next ones get the same chance) if that saved at least an eighth of
 *	its bytes; it is evicted the next time a shrink reaches it.  The
 *	bytes saved become garbage that the shrink's compaction returns
 *	(evict.c, zmm_evict_one()).
 * @accept_pct: largest compressed size accepted, in percent of a page
 *	(10..100).  Larger results are rejected with -E2BIG.
 * @min_order: lowest block order tried when a 2 MiB block is not at hand
 *	(ZMM_BLOCK_ORDER_MIN..ZMM_BLOCK_ORDER_MAX).
 * @compact_slack_pct: garbage kept before a store prefers compacting an
 *	existing block to taking a new one, in percent of the pageframes
 *	held (0..50).  Lower is denser and costs more copying.
 * @limit_pages: pageframes the pool may hold, 0 for no limit.  A store
 *	at the limit is refused (a file store first drops cold zpages of
 *	its own arena) and the pool is brought back below it, less a
 *	sixteenth, by zmm_limit_reclaim().
 */
struct zmm_params {
	enum zmm_comp comp;
	int zstd_level;
	enum zmm_comp recomp;
	unsigned int accept_pct;
	unsigned int min_order;
	unsigned int compact_slack_pct;
	unsigned long limit_pages;
};

/* The defaults, the one place they are written (zmm_params_default()). */
#define ZMM_PARAMS_DEFAULT {				\
	.comp = ZMM_COMP_LZ4,				\
	.zstd_level = 3,				\
	.recomp = ZMM_COMP_NONE,			\
	.accept_pct = 75,				\
	.min_order = ZMM_BLOCK_ORDER_MIN,		\
	.compact_slack_pct = 3,				\
	.limit_pages = 0,				\
}

/**
 * enum zmm_work - background work a pool asks its environment for.
 * @ZMM_WORK_COMPACT: call zmm_compact_all() in about a second.  Asked
 *	when zpages go (load, invalidation) and again after a run that
 *	freed something; an idle pool asks nothing.
 * @ZMM_WORK_LIMIT: call zmm_limit_reclaim() soon: a store found the pool
 *	at params.limit_pages.
 * @ZMM_WORK_RECOMPRESS: call zmm_recompress_all() soon: reclaim asked an
 *	arena of a pool with a second compressor (params.recomp) for
 *	pageframes that the loads' credit does not cover, the first such
 *	ask since the last run went through it.
 * @ZMM_NR_WORK: the number of kinds of work.
 */
enum zmm_work {
	ZMM_WORK_COMPACT,
	ZMM_WORK_LIMIT,
	ZMM_WORK_RECOMPRESS,
	ZMM_NR_WORK,
};

struct zmm_writeback;

/**
 * struct zmm_ops - what the environment provides to a pool.
 * @alloc_block: return the address of 2^order physically contiguous,
 *	mapped pageframes charged to (@owner, @nid), or NULL.  Called with
 *	preemption off: must not sleep, and must never enter direct
 *	compaction or direct reclaim.  A NULL makes the pool fall back to a
 *	lower order, then to compacting, then to a reject.
 * @free_block: return such a block, whole.  Called under a spinlock.
 * @writeback: write an anon zpage back to its swap slot.  First take
 *	the slot, so that until @writeback returns the owner of @key can
 *	neither store, load nor invalidate it (the kernel adds a new, locked
 *	folio to the swap cache for the slot, and gives up if there is one
 *	already); then take the data with zmm_writeback_fill(), which
 *	removes the zpage from the pool once the key is known to be current;
 *	then start the write.  Return 0 once the write is started.  If the
 *	slot's page is in memory already and will be written to the slot
 *	from there (in the kernel: an up-to-date swap-cache folio, which
 *	the kernel marks dirty), call zmm_writeback_drop() instead of
 *	filling, and return 0.  Return an errno on failure, passing on the
 *	one zmm_writeback_fill() or zmm_writeback_drop() returned; if the
 *	data was taken, the caller's page is the only copy and must be kept
 *	(in the kernel it is a dirty swap-cache folio).
 *	May sleep.  May be NULL: anon zpages are then never evicted.
 * @may_writeback: may a pool-wide reclaim (zmm_reclaim() of
 *	ZMM_OWNER_ANY: the pool limit) write back @owner's anon zpages?  In
 *	the kernel: memory.zpages.writeback of the memcg.  Not asked by an
 *	owner's own reclaim, nor by a drain: those zpages must go.  Called
 *	with no pool lock held; must not sleep.  May be NULL: always.
 * @dropped: a file zpage of (@owner, @nid) was dropped to give memory
 *	back (counted in evict_drop too), for the environment's per-owner
 *	accounting.  Called with no pool lock held; must not sleep.  May be
 *	NULL.
 * @kick: schedule @work (see enum zmm_work).  Called from any context,
 *	possibly with pool locks held: must not sleep and must not call
 *	back into the pool.  May be NULL: nothing runs in the background.
 * @priv: passed back to each op.
 */
struct zmm_ops {
	void *(*alloc_block)(void *priv, unsigned int order, u32 owner,
			     int nid, enum zmm_type type);
	void (*free_block)(void *priv, void *base, unsigned int order,
			   u32 owner, int nid, enum zmm_type type);
	int (*writeback)(void *priv, const struct zmm_key *key,
			 struct zmm_writeback *wb);
	bool (*may_writeback)(void *priv, u32 owner);
	void (*dropped)(void *priv, u32 owner, int nid);
	void (*kick)(void *priv, enum zmm_work work);
	void *priv;
};

#define ZMM_STAT(item, ...)	ZMM_STAT_##item,
/* enum zmm_stat_item - the counters of a pool, see <zmm/stat_items.h> */
enum zmm_stat_item {
#include <zmm/stat_items.h>
	NR_ZMM_STAT_ITEMS,
};

#undef ZMM_STAT

/**
 * struct zmm_arena_info - a snapshot of one (owner, node, type).
 * @owner: memcg id.
 * @nid: node.
 * @type: zpage type.
 * @retired: out of the arena table for good (its owner went offline),
 *	kept by the zpages still in it or by users.
 * @refs: references but the snapshot's own: one per zpage, the table's
 *	unless retired, and those of users at that moment.
 * @pages_held: pageframes in blocks (whole blocks).
 * @bytes_used: compressed bytes in live zpages.
 * @nr_zpages: zpages with storage (same-filled ones take none).
 * @nr_blocks: blocks held, by order.
 */
struct zmm_arena_info {
	u32 owner;
	int nid;
	enum zmm_type type;
	bool retired;
	unsigned int refs;
	unsigned long pages_held;
	unsigned long bytes_used;
	unsigned long nr_zpages;
	unsigned long nr_blocks[ZMM_BLOCK_ORDER_MAX + 1];
};

struct zmm_pool;

int zmm_params_check(const struct zmm_params *p);
void zmm_params_default(struct zmm_params *p);
struct zmm_pool *zmm_pool_create(const struct zmm_params *p,
				 const struct zmm_ops *ops);
void zmm_pool_destroy(struct zmm_pool *pool);
int zmm_pool_set_params(struct zmm_pool *pool, const struct zmm_params *p);

int zmm_store(struct zmm_pool *pool, const struct zmm_key *key, u32 owner,
	      int nid, const void *src, size_t len);
int zmm_load(struct zmm_pool *pool, const struct zmm_key *key, void *dst,
	     size_t len, bool exclusive);
int zmm_invalidate(struct zmm_pool *pool, const struct zmm_key *key);
long zmm_invalidate_range(struct zmm_pool *pool, enum zmm_type type, u64 id,
			  u64 start, u64 end);
long zmm_invalidate_type(struct zmm_pool *pool, enum zmm_type type);

int zmm_writeback_fill(struct zmm_writeback *wb, void *dst);
int zmm_writeback_drop(struct zmm_writeback *wb);
int zmm_shrink(struct zmm_pool *pool, u32 owner, int nid, enum zmm_type type,
	       unsigned long nr_pages, unsigned long *freed);
unsigned long zmm_shrink_asked(struct zmm_pool *pool, u32 owner, int nid,
			       enum zmm_type type, unsigned long nr_pages,
			       bool urgent);
unsigned long zmm_shrink_type(struct zmm_pool *pool, enum zmm_type type);
int zmm_reclaim(struct zmm_pool *pool, u32 owner, unsigned long nr_pages,
		unsigned long *freed);
unsigned long zmm_owner_gone(struct zmm_pool *pool, u32 owner, u32 heir);
long zmm_writeback_all(struct zmm_pool *pool);
unsigned long zmm_drain(struct zmm_pool *pool);
unsigned long zmm_compact(struct zmm_pool *pool, u32 owner, int nid,
			  enum zmm_type type);
unsigned long zmm_compact_all(struct zmm_pool *pool);
unsigned long zmm_recompress_all(struct zmm_pool *pool);
unsigned long zmm_limit_reclaim(struct zmm_pool *pool);
void zmm_count(struct zmm_pool *pool, enum zmm_stat_item item);

int zmm_arena_info(struct zmm_pool *pool, u32 owner, int nid,
		   enum zmm_type type, struct zmm_arena_info *info);
unsigned long zmm_arenas_list(struct zmm_pool *pool,
			      struct zmm_arena_info *infos,
			      unsigned long max);
unsigned long zmm_stat(struct zmm_pool *pool, enum zmm_stat_item item);
long zmm_pool_check(struct zmm_pool *pool, bool quiet);
const char *zmm_stat_name(enum zmm_stat_item item);
const char *zmm_comp_name(enum zmm_comp comp);

#endif /* _ZMM_ZMM_H */
