/* SPDX-License-Identifier: GPL-2.0 */
/*
 * zmm core: the data model.  Every structure of the portable core, with
 * what protects each field; the functions live in one header per layer
 * (compress.h, stats.h, htab.h, block.h, arena.h, index.h, store.h,
 * evict.h, policy.h), and the layers, their order and the lock order are
 * drawn in one place: Documentation/mm/zmm.rst, "Layers" and "Locking".
 *
 *   zmm_pool ──┬── shards[]  ── zmm_object (type, id, chunk) ── zmm_entry
 *              │   (index: key → entry)
 *              └── arenas    ── zmm_arena (owner, nid, type)
 *                                 ├── lru: entries, coldest first
 *                                 ├── head: the block new data is appended to
 *                                 └── buckets[]: other blocks by live fraction
 *                                       zmm_block ── objs: entries, by offset
 *
 * An entry is reachable from the index (by key) and from its arena (LRU and
 * block lists).  Its lifetime is a reference count: the index holds one,
 * and a reader that found it on the LRU (the evictor) takes another.  The
 * last put releases its storage under the arena lock.
 */
#ifndef _ZMM_TYPES_H
#define _ZMM_TYPES_H

#ifndef pr_fmt
#define pr_fmt(fmt) "zmm: " fmt
#endif

#include "kcompat.h"
#include <zmm/zmm.h>

#define ZMM_NR_SHARDS_SHIFT	8
#define ZMM_NR_SHARDS		BIT(ZMM_NR_SHARDS_SHIFT)
/* anon keys are grouped in objects of 2^10 swap slots (4 MiB of swap) */
#define ZMM_ANON_CHUNK_SHIFT	10
/* largest anon index (swap offset) accepted: 2^40 slots, 4 PiB of swap */
#define ZMM_ANON_INDEX_MAX	((1ULL << 40) - 1)
/* anon ids are swap types: MAX_SWAPFILES is at most 32 */
#define ZMM_ANON_MAX_IDS	32
#define ZMM_NR_BUCKETS		16
/* hash tables stop doubling here: 512 KiB of chain heads */
#define ZMM_HTAB_MAX_BITS	16
/* objects moved per arena lock hold when evacuating a block */
#define ZMM_EVACUATE_BATCH	64
#define ZMM_NR_ORDERS		(ZMM_BLOCK_ORDER_MAX + 1)
/* compression output buffer: above any compressor's bound for a page */
#define ZMM_CTX_BUF_SIZE	(2 * PAGE_SIZE)

/**
 * struct zmm_htab - a chained hash table that grows by doubling.
 * @heads: 2^@bits chains.
 * @bits: log2 of the number of chains.
 * @nr: number of nodes hashed.
 *
 * No lock of its own: protected by whatever protects its container.
 */
struct zmm_ghost;

struct zmm_htab {
	struct hlist_head *heads;
	unsigned int bits;
	unsigned long nr;
};

/**
 * struct zmm_block - one physically contiguous block of 2^order pageframes.
 * @node: on the arena's bucket list for its live fraction; empty while
 *	the block is the arena's head.
 * @objs: entries stored in the block, in increasing offset order.  Appends
 *	go to the tail and compaction preserves the order.
 * @arena: the owner.
 * @base: address of the first byte.
 * @size: bytes, PAGE_SIZE << @order.
 * @tail: bytes below @tail have been handed out; above it is free.
 * @live: bytes of live objects; @tail - @live is garbage.
 * @nr: number of live objects.
 * @order: allocation order.
 * @busy: being evacuated (on @arena->evacuating): releases leave the
 *	block's list membership, and freeing it, to the evacuator.
 *
 * Every field but @arena, @base, @size and @order is protected by
 * @arena->lock.
 */
struct zmm_block {
	struct list_head node;
	struct list_head objs;
	struct zmm_arena *arena;
	u8 *base;
	u32 size;
	u32 tail;
	u32 live;
	u32 nr;
	u8 order;
	bool busy;
};

/**
 * enum zmm_lru_end - an end of an arena's LRU.
 * @ZMM_LRU_COLD: the coldest zpage, the first on the list.
 * @ZMM_LRU_HOT: the most recently stored zpage, the last.
 * @ZMM_NR_LRU_ENDS: the number of ends.
 */
enum zmm_lru_end {
	ZMM_LRU_COLD,
	ZMM_LRU_HOT,
	ZMM_NR_LRU_ENDS,
};

/**
 * struct zmm_arena - storage and LRU of one (owner, node, type).
 * @lock: protects everything below but the identity fields, and the
 *	location (block, offset) and list links of the entries it holds.
 * @lru: entries with storage, coldest first.
 * @head: the block new objects are appended to, or NULL.
 * @buckets: non-head blocks, by live fraction (live * NR / size).
 * @evacuating: blocks being evacuated (zmm_block_evacuate_one()).
 * @pages_held: pageframes of all blocks, head included.
 * @bytes_used: compressed bytes of live objects.
 * @nr_zpages: live objects (entries with storage).
 * @nr_blocks: blocks held, by order.
 * @debt: pageframes MM's reclaim asked of the arena and did not get yet;
 *	negative when a shrink gave more (a whole block) than was asked,
 *	or when loads of old zpages gave memory back on their own, or the
 *	evictions that answered @churn freed more than was asked: a credit,
 *	at most ZMM_LOAD_CREDIT_MAX, that absorbs the next asks
 *	(zmm_shrink_asked()).  Atomic, not under @lock.
 * @surplus: of that credit, what the last shrink freed beyond the debt
 *	(a whole block for a small ask) and no ask has used yet, at most
 *	ZMM_URGENT_CREDIT_MAX: the only credit an urgent ask may use.
 *	Atomic, not under @lock; racing asks may misattribute a little.
 * @churn: loads of young zpages (a working set cycling through the
 *	pool) not yet answered by an eviction, less one per load of an old
 *	zpage and ZMM_CHURN_REFAULT per refault of an evicted zpage, within
 *	[-ZMM_CHURN_MAX, ZMM_CHURN_MAX]: below zero, what the next young
 *	loads must make up before one is answered (policy.c,
 *	zmm_policy_loaded()).  Atomic, not under @lock.
 * @evicted: zpages evicted recently, by the end of the LRU they were
 *	taken from (ghost.c; halved every few thousand).  Atomic.
 * @refaulted: of those, how many were loaded again after (a load that
 *	missed and found their ghost).  Atomic.
 * @evictions: evictions by the shrink so far, to pace the probes of the
 *	other end (policy.c).  Racy on purpose.
 * @churn_claims: batches of @churn claimed while the arena's evictions
 *	kept coming back, to pace the ones still answered as probes
 *	(policy.c, zmm_shrink_churn()).  Racy on purpose.
 * @recomp_due: reclaim asked the arena for pageframes since the
 *	background recompression last went through it (policy.c,
 *	zmm_recompress_all()).  Atomic, not under @lock.
 * @stores: zpages stored in the arena so far (arena lock; wraps): each
 *	zpage keeps the count at its store (struct zmm_entry @seq), so
 *	that a load knows how many were stored after it.
 * @refs: references.  The arena table holds one while the arena is in
 *	it; every zpage with storage in the arena holds one; so does every
 *	caller of zmm_arena_find() and zmm_arenas_snapshot() until it puts
 *	it.  The last put frees the arena, which can only happen once it
 *	was retired (zmm_arena_retire()): out of the table, with no zpage.
 * @retired: set (under pool->arenas_lock) when it moves to pool->retired.
 * @hnode: in pool->arenas, or once retired in pool->retired (under
 *	pool->arenas_lock).
 * @pool: the pool.
 * @owner: memcg id of the owner.
 * @nid: node.
 * @type: ZMM_ANON or ZMM_FILE.
 */
struct zmm_arena {
	spinlock_t lock;		/* see above */
	struct list_head lru;
	struct zmm_block *head;
	struct list_head buckets[ZMM_NR_BUCKETS];
	struct list_head evacuating;
	unsigned long pages_held;
	unsigned long bytes_used;
	unsigned long nr_zpages;
	unsigned long nr_blocks[ZMM_NR_ORDERS];
	atomic_long_t debt;
	atomic_long_t surplus;
	atomic_long_t churn;
	atomic_t evicted[ZMM_NR_LRU_ENDS];
	atomic_t refaulted[ZMM_NR_LRU_ENDS];
	unsigned int evictions;
	unsigned int churn_claims;
	atomic_t recomp_due;
	u32 stores;
	refcount_t refs;
	bool retired;
	struct hlist_node hnode;
	struct zmm_pool *pool;
	u32 owner;
	int nid;
	enum zmm_type type;
};

/**
 * struct zmm_entry - one zpage.
 * @hnode: anon: in its object's table (shard lock); unused for file keys,
 *	whose object holds them in an XArray.
 * @lru: on the arena LRU, or empty (same-filled, or under eviction).
 * @bnode: on @block's objs list.
 * @arena: the arena holding the data; NULL for a same-filled page.  Fixed
 *	for the entry's life, so it is what to lock to reach @block.
 * @block: where the data is.  Changed by compaction: read it only under
 *	@arena->lock.
 * @id: key id.
 * @index: key index.
 * @off: offset of the data in @block (arena lock).
 * @len: compressed length.
 * @value: the repeated word of a same-filled page (@arena is NULL).
 * @refs: references: the index holds one while the key maps to the entry.
 * @type: key type.
 * @comp: the compressor of the data (enum zmm_comp): the pool's, or its
 *	second one once a shrink recompressed the zpage (evict.c).  Changes
 *	with @len, both under @arena->lock.
 * @seq: @arena's store count when it was stored (see zmm_arena @stores).
 * @published: set (release) once the key maps to the entry; until then
 *	the evictor leaves it alone, or it could evict data that the store
 *	is about to publish.  Never cleared.
 */
struct zmm_entry {
	struct hlist_node hnode;
	struct list_head lru;
	struct list_head bnode;
	struct zmm_arena *arena;
	struct zmm_block *block;
	u64 id;
	u64 index;
	union {
		struct {
			u32 off;
			u32 len;
		};
		unsigned long value;
	};
	refcount_t refs;
	u32 seq;
	u8 type;
	u8 comp;
	bool published;
};

/**
 * struct zmm_writeback - an eviction in flight, handed to zmm_ops.writeback.
 * @pool: the pool.
 * @e: the entry being written back, referenced.
 * @taken: zmm_writeback_fill() or zmm_writeback_drop() took it out of
 *	the index; its index reference now belongs to the evictor.
 * @dropped: it was zmm_writeback_drop(): nothing is written.
 */
struct zmm_writeback {
	struct zmm_pool *pool;
	struct zmm_entry *e;
	bool taken;
	bool dropped;
};

/**
 * struct zmm_evicted - what zmm_evict_one() did with the zpage it took.
 * @bytes: compressed bytes the arena no longer holds for it: its length
 *	if it left the pool, what a recompression saved if it was kept; 0
 *	if it stayed as it was (its writeback failed).
 * @kept: it was recompressed and kept (zmm_params.recomp).
 */
struct zmm_evicted {
	unsigned int bytes;
	bool kept;
};

/**
 * struct zmm_object - the zpages of one (type, id, chunk).
 * @hnode: in the shard's object table.
 * @id: key id.
 * @chunk: index >> ZMM_ANON_CHUNK_SHIFT for anon, 0 for file: a file's
 *	zpages share one object so that truncation finds them all.
 * @type: key type.
 * @xa_stale: file only: a failed store may have left empty nodes in @xa,
 *	so xa_empty() is no proof of holding entries (zmm_object_empty()).
 * @entries: anon: entries by index, in a hash table (entry->hnode).
 * @inline_heads: anon: the first, small, table of @entries.
 * @xa: file: entries by index, an XArray; its xa_lock nests inside the
 *	shard lock, which every change to it holds as well.
 *
 * Anon keeps the hash table: on the swap-out (store) and swap-in
 * (exclusive load, an erase) paths it measured 1.35-1.5x faster than an
 * XArray (bench/README.md, "The key index").  Files take the XArray,
 * which measured 4-60x faster on lookup, insert and truncation.
 */
struct zmm_object {
	struct hlist_node hnode;
	u64 id;
	u64 chunk;
	enum zmm_type type;
	bool xa_stale;
	union {
		struct {
			struct zmm_htab entries;
			struct hlist_head inline_heads[4];
		};
		struct xarray xa;
	};
};

/**
 * struct zmm_shard - one stripe of the index.
 * @lock: protects @objs, every object in it and their entry tables; a
 *	file object's XArray is changed under this lock and its own xa_lock.
 * @objs: objects hashed by (type, id, chunk).
 */
struct zmm_shard {
	spinlock_t lock;		/* see above */
	struct zmm_htab objs;
} ____cacheline_aligned_in_smp;

/**
 * struct zmm_cpu_ctx - per-CPU compression context.
 * @lock: makes the context this CPU's own while held: a local_lock, so
 *	nothing may sleep under it (no sleeping allocation, no I/O).
 * @buf: compressed data: the compressor's output, or a copy taken out of
 *	a block under the arena lock before decompressing; a recompression
 *	decompresses into its second half and compresses back into the
 *	first.
 * @wrkmem: lz4 work memory.
 * @cctx: zstd compression context (in @cws).
 * @dctx: zstd decompression context (in @dws).
 * @cws: zstd compression workspace.
 * @dws: zstd decompression workspace.
 */
struct zmm_cpu_ctx {
	local_lock_t lock;		/* see above */
	u8 *buf;
	void *wrkmem;
	zstd_cctx *cctx;
	zstd_dctx *dctx;
	void *cws;
	void *dws;
};

/**
 * struct zmm_compressor - a compression algorithm.
 * @name: as shown to users.
 * @init: set up the algorithm's part of a per-CPU context.
 * @fini: undo @init (also on a partially initialised context).
 * @compress: compress PAGE_SIZE bytes at @src into at most @cap bytes at
 *	@dst.  Returns the length, 0 if it does not fit, negative on error.
 * @decompress: decompress @len bytes into PAGE_SIZE bytes; 0 or -EIO.
 */
struct zmm_compressor {
	const char *name;
	int (*init)(struct zmm_cpu_ctx *c, const struct zmm_params *p);
	void (*fini)(struct zmm_cpu_ctx *c);
	int (*compress)(struct zmm_cpu_ctx *c, const struct zmm_params *p,
			const void *src, void *dst, unsigned int cap);
	int (*decompress)(struct zmm_cpu_ctx *c, const void *src,
			  unsigned int len, void *dst);
};

/**
 * struct zmm_stats_cpu - one CPU's share of the pool's counters.
 * @v: per item of enum zmm_stat_item, a signed delta for gauges: the sum
 *	over CPUs is the value (zmm_stat()).
 */
struct zmm_stats_cpu {
	long v[NR_ZMM_STAT_ITEMS];
};

/**
 * struct zmm_policy - the decisions the mechanism leaves to policy.
 *
 * The mechanism (block.c, store.c) asks; policy.c gives the default
 * answers (zmm_default_policy), and a test may install its own in
 * pool->policy.  Each op only reads what it is given and the pool's
 * params: none may call back into the mechanism, except @admit, which
 * runs before the store takes any lock and may shrink.
 *
 * @admit: may a store of @key for (@owner, @nid) go ahead?  Returns 0 or
 *	the errno the store fails with (counted by the policy).  No lock
 *	held; may evict, must not sleep.
 * @released: zpages went (a load took one, or an invalidation dropped
 *	some), leaving garbage that compaction may want to give back.  Any
 *	context; must not sleep.
 * @loaded: a load took a zpage out of arena @a after @age later stores
 *	into it (called before the zpage's storage and its reference on @a
 *	go), or, with @age U32_MAX, missed a zpage that @a evicted (its
 *	ghost was found).  Any context; must not sleep.
 * @recycle: the head is full: compact @victim, the sparsest block, in
 *	place and make it the head, rather than take a new block?  Arena
 *	lock held.
 * @evacuate: empty @victim, the sparsest block, into the rest of the
 *	arena and give it back?  Arena lock held.
 * @block_order: the order of the next block for an arena that holds
 *	@pages pageframes.
 */
struct zmm_policy {
	int (*admit)(struct zmm_pool *pool, const struct zmm_key *key,
		     u32 owner, int nid);
	void (*released)(struct zmm_pool *pool);
	void (*loaded)(struct zmm_arena *a, u32 age);
	bool (*recycle)(const struct zmm_arena *a,
			const struct zmm_block *victim);
	bool (*evacuate)(const struct zmm_arena *a,
			 const struct zmm_block *victim);
	unsigned int (*block_order)(const struct zmm_arena *a,
				    unsigned long pages);
};

/**
 * struct zmm_pool - a zmm instance.
 * @params: tunables; changed only through zmm_pool_set_params(), read
 *	with READ_ONCE() where a live pool may see them change.
 * @ops: environment callbacks.
 * @policy: the policy the mechanism consults (policy.h); zmm_pool_create()
 *	installs the default one, tests may install their own.
 * @comp: compressor for @params.comp.
 * @recomp: compressor for @params.recomp, or NULL.
 * @accept_max: largest compressed length stored, from @params.accept_pct.
 * @ctx: per-CPU compression contexts.
 * @shards: the index.
 * @arenas_lock: protects @arenas and @retired (readers on every store;
 *	writers create, retire and free).
 * @arenas: arenas by (owner, nid, type), each with a reference (struct
 *	zmm_arena @refs).
 * @retired: arenas taken out of @arenas by zmm_arena_retire() that still
 *	hold zpages or references; the last put frees them.  Pool-wide
 *	walks (zmm_arenas_snapshot() for ZMM_OWNER_ANY, zmm_pool_check())
 *	see them too, so that their zpages stay reclaimable and counted.
 * @stats: per-CPU counters, every item but ZMM_STAT_PAGES_HELD.
 * @pages_held: pageframes of all blocks (ZMM_STAT_PAGES_HELD): changes
 *	per block, read by admission on every store, so one atomic rather
 *	than a per-CPU sum.
 * @compact_due: a ZMM_WORK_COMPACT kick is outstanding; cleared when the
 *	compaction runs.
 * @anon_end: per swap type, one past the highest offset ever stored: a
 *	whole-device invalidation walks only that far.
 * @reclaim_start: per type, where zmm_reclaim() starts its walk over the
 *	arenas, so that the block an arena gives beyond its share is not
 *	always taken from the same one.  Per type, because one walk of the
 *	file arenas would otherwise set where the next anon walk starts.
 *	Racy on purpose: only fairness depends on it.
 * @ghosts: the keys of recently evicted zpages (ghost.c).
 */
struct zmm_pool {
	struct zmm_params params;
	struct zmm_ops ops;
	const struct zmm_policy *policy;
	const struct zmm_compressor *comp;
	const struct zmm_compressor *recomp;
	unsigned int accept_max;
	struct zmm_cpu_ctx __percpu *ctx;
	struct zmm_shard *shards;
	rwlock_t arenas_lock;
	struct zmm_htab arenas;
	struct hlist_head retired;
	struct zmm_stats_cpu __percpu *stats;
	atomic_long_t pages_held;
	atomic_t compact_due;
	atomic_long_t anon_end[ZMM_ANON_MAX_IDS];
	unsigned long reclaim_start[ZMM_NR_TYPES];
	struct zmm_ghost *ghosts;
};

/* The bucket list a non-head block belongs on: its live fraction. */
static inline unsigned int zmm_bucket_of(const struct zmm_block *b)
{
	return min_t(u64, (u64)b->live * ZMM_NR_BUCKETS / b->size,
		     ZMM_NR_BUCKETS - 1);
}

/**
 * struct zmm_range_pos - where a zmm_index_take_range() walk stopped.
 * @bucket: anon: the chain to continue from.
 * @bits: anon: the table size it refers to.
 * @next: file: the index to continue from (the walk is in index order).
 */
struct zmm_range_pos {
	unsigned long bucket;
	unsigned int bits;
	u64 next;
};

#endif /* _ZMM_TYPES_H */
