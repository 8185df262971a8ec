// SPDX-License-Identifier: GPL-2.0
/*
 * zmm.ko: zmm as the kernel's zpage backend.
 *
 * The zpage hooks (include/linux/zpage.h, from the kernel series in
 * kernel/patches/) hand over anonymous pages on their way to swap and clean
 * page-cache pages on their way out; this file turns them into calls of the
 * portable core (one pool for the whole system) and gives the core its
 * memory: blocks from the page allocator, without direct reclaim or
 * compaction, on the page's node, charged to the page's memcg, and counted
 * in NR_ANON_ZPAGES / NR_FILE_ZPAGES as they are taken and given back.
 *
 * Policy is the core's (zmm/policy.c): this file only runs the work the
 * core asks for (enum zmm_work) on the system workqueues, and turns
 * max_pool_percent into the pool's params.limit_pages.
 *
 * Memory management directs the pool: reclaim asks for the pageframes of
 * a memcg's zpages on a node through ->shrink, with the same priority and
 * anon/file balance as for its LRU lists, and zmm gives them back
 * (zmm_shrink_asked()).  A memcg's zpages are bounded by
 * memory.zpages.max: a store beyond it first makes room among that
 * memcg's own coldest zpages on the page's node, and is refused if that
 * is not enough.  memory.zpages.writeback=0 keeps a memcg's anon zpages
 * from being written back, by reclaim, at its memory.zpages.max or at
 * the pool limit (zmm_ops.may_writeback).  Only a memcg going offline
 * (until zpages move to the parent) and disabling zmm write them back.
 *
 * Unloading: the module holds a reference on itself while it is enabled
 * or holds zpages, so rmmod fails with -EBUSY until enabled is 0 and
 * every zpage is gone.  Disabling drops the file zpages at once (they are
 * clean), and the drain worker waits for stores that saw zmm enabled,
 * then empties the pool with zmm_drain(): every file zpage, same-filled
 * ones included, dropped; every anon zpage written back to its swap
 * slot, retrying those whose slot is busy once a second; the reference
 * goes with the last zpage.  Nothing is ever dropped that is not safe
 * elsewhere.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/gfp.h>
#include <linux/highmem.h>
#include <linux/memcontrol.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/sched/mm.h>
#include <linux/srcu.h>
#include <linux/workqueue.h>
#include <linux/zpage.h>

#include "module.h"

#define CREATE_TRACE_POINTS
#include "trace.h"

/*
 * The pool.  Set at module load; cleared at unload under the module's
 * parameter lock, so that parameter writes (which run under that lock)
 * and the workers (which read it once and are cancelled before the pool
 * is destroyed) never use a destroyed pool.  The hooks are unregistered
 * before it is cleared.
 */
struct zmm_pool *zmm_pool;

struct zmm_config zmm_config = {
	.enabled = true,
	.params = ZMM_PARAMS_DEFAULT,
	.max_pool_percent = 40,
};

/*
 * zmm_self_lock protects zmm_self_ref, the module's reference on itself
 * (see above).  Taken only from parameter writes and the drain worker.
 */
static DEFINE_MUTEX(zmm_self_lock);
static bool zmm_self_ref;
static void zmm_drain_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(zmm_drain_work, zmm_drain_fn);
/* Stores in flight; see zmm_store_page() */
DEFINE_STATIC_SRCU(zmm_store_srcu);

/* ZMM_WORK_LIMIT: zmm_limit_reclaim() */
static void zmm_limit_fn(struct work_struct *work);
static DECLARE_WORK(zmm_limit_work, zmm_limit_fn);

/* ZMM_WORK_COMPACT: zmm_compact_all(), a second after the core asked */
#define ZMM_COMPACT_DELAY	HZ
static void zmm_compact_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(zmm_compact_work, zmm_compact_fn);

static void zmm_compact_fn(struct work_struct *work)
{
	struct zmm_pool *pool = READ_ONCE(zmm_pool);

	if (pool)
		zmm_compact_all(pool);
}

/* ZMM_WORK_RECOMPRESS: zmm_recompress_all() */
static void zmm_recompress_fn(struct work_struct *work);
static DECLARE_WORK(zmm_recompress_work, zmm_recompress_fn);

static void zmm_recompress_fn(struct work_struct *work)
{
	struct zmm_pool *pool = READ_ONCE(zmm_pool);

	if (pool)
		zmm_recompress_all(pool);
}

static void zmm_limit_fn(struct work_struct *work)
{
	struct zmm_pool *pool = READ_ONCE(zmm_pool);

	if (pool)
		zmm_limit_reclaim(pool);
}

/* zmm_ops.kick: run what the core asks for; any context */
static void zmm_kick(void *priv, enum zmm_work work)
{
	/* unloading: zmm_exit() cancels the work after clearing zmm_pool */
	if (!READ_ONCE(zmm_pool))
		return;
	switch (work) {
	case ZMM_WORK_COMPACT:
		schedule_delayed_work(&zmm_compact_work, ZMM_COMPACT_DELAY);
		break;
	case ZMM_WORK_LIMIT:
		queue_work(system_unbound_wq, &zmm_limit_work);
		break;
	case ZMM_WORK_RECOMPRESS:
		queue_work(system_unbound_wq, &zmm_recompress_work);
		break;
	case ZMM_NR_WORK:
		WARN_ON_ONCE(1);
		break;
	}
}

static enum zpage_type zmm_zpage_type(enum zmm_type type)
{
	return type == ZMM_ANON ? ZPAGE_ANON : ZPAGE_FILE;
}

static void zmm_account_block(struct page *page, int nid,
			      enum zmm_type type, long nr)
{
	rcu_read_lock();
	zpage_account(folio_memcg(page_folio(page)), nid, zmm_zpage_type(type),
		      nr);
	rcu_read_unlock();
}

/*
 * A block: on the page's node, never entering direct reclaim or direct
 * compaction (GFP_NOWAIT only wakes kswapd), never dipping into reserves,
 * and charged to @owner's memcg, explicitly: the same from a store, from
 * the compaction worker or from reclaim, whichever memcg that task is
 * in.  Owner 0 (no memcg, or the memcg is gone) charges no memcg.
 */
static void *zmm_alloc_block(void *priv, unsigned int order, u32 owner,
			     int nid, enum zmm_type type)
{
	gfp_t gfp = GFP_NOWAIT | __GFP_NORETRY | __GFP_NOWARN |
		    __GFP_NOMEMALLOC | __GFP_THISNODE;
	struct mem_cgroup *memcg, *old = NULL;
	struct page *page;

	memcg = zpage_memcg_get_id(owner);
	if (memcg) {
		gfp |= __GFP_ACCOUNT;
		old = set_active_memcg(memcg);
	}
	page = alloc_pages_node(nid, gfp, order);
	if (memcg) {
		set_active_memcg(old);
		mem_cgroup_put(memcg);
	}
	if (!page)
		return NULL;
	zmm_account_block(page, nid, type, 1L << order);
	return page_address(page);
}

static void zmm_free_block(void *priv, void *base, unsigned int order,
			   u32 owner, int nid, enum zmm_type type)
{
	struct page *page = virt_to_page(base);

	zmm_account_block(page, nid, type, -(1L << order));
	__free_pages(page, order);
}

/* max_pool_percent of RAM, in pageframes */
unsigned long zmm_pool_limit_pages(void)
{
	return totalram_pages() / 100 * READ_ONCE(zmm_config.max_pool_percent);
}

/* params.limit_pages changed: a lower limit takes effect now */
void zmm_limit_changed(void)
{
	if (READ_ONCE(zmm_pool))
		queue_work(system_unbound_wq, &zmm_limit_work);
}

/* zmm_ops.dropped: a file zpage of @owner was dropped to give memory back */
static void zmm_dropped(void *priv, u32 owner, int nid)
{
	zpage_count_events_id(owner, ZPAGE_DROP, 1);
}

/*
 * @memcg, or an ancestor, holds @over pageframes more than its
 * memory.zpages.max: make room among @memcg's own coldest zpages on @nid,
 * file first (dropped), then anon (written back, unless its
 * memory.zpages.writeback is 0), at most a block's worth.  True if that
 * freed more than @over.
 */
static bool zmm_memcg_make_room(struct mem_cgroup *memcg, u32 owner, int nid,
				unsigned long over)
{
	unsigned long want = over + 1, file, anon;

	if (want > 1UL << ZMM_BLOCK_ORDER_MAX)
		return false;
	if (!zmm_shrink(zmm_pool, owner, nid, ZMM_FILE, want, &file))
		return true;
	if (!zpage_memcg_writeback_enabled(memcg))
		return false;
	zmm_shrink(zmm_pool, owner, nid, ZMM_ANON, want - file, &anon);
	return file + anon >= want;
}

/*
 * The memcg a page's zpage belongs to: its own, or, once that is dying
 * (being removed: its pages stay charged to it until they are freed),
 * the nearest live ancestor, as the kernel reparents the charges.
 * Dying is set before ->memcg_offline runs, which waits for the stores
 * that may have missed it (zmm_memcg_offline()), so no zpage is stored
 * for a memcg once its arenas are retired.
 */
static struct mem_cgroup *zmm_online_memcg(struct mem_cgroup *memcg)
{
	while (memcg && (css_is_dying(&memcg->css) ||
			 !mem_cgroup_online(memcg)) && parent_mem_cgroup(memcg))
		memcg = parent_mem_cgroup(memcg);
	return memcg;
}

/*
 * Store @page under @key, charged to the memcg of its folio (locked by the
 * caller, so the memcg is stable), unless that memcg is at its
 * memory.zpages.max and no room can be made.
 * A page of a large folio is stored like any other: the hooks call us for
 * each page of the folio.
 */
static int __zmm_store_page(const struct zmm_key *key, struct page *page)
{
	struct mem_cgroup *memcg = zmm_online_memcg(folio_memcg(page_folio(page)));
	u32 owner = memcg ? mem_cgroup_id(memcg) : 0;
	int nid = page_to_nid(page);
	struct mem_cgroup *old;
	unsigned long over;
	void *src;
	int ret;

	if (!zpage_memcg_may_store(memcg, &over) &&
	    !zmm_memcg_make_room(memcg, owner, nid, over)) {
		zmm_count(zmm_pool, ZMM_STAT_REJECT_MEMCG_LIMIT);
		return -ENOMEM;
	}
	old = set_active_memcg(memcg);
	src = kmap_local_page(page);
	ret = zmm_store(zmm_pool, key, owner, nid, src, PAGE_SIZE);
	kunmap_local(src);
	set_active_memcg(old);
	return ret;
}

/*
 * A store that saw zmm enabled completes inside zmm_store_srcu, so that the
 * drain, once it has seen zmm disabled, can wait for such stores before it
 * counts what is left (zmm_drain_fn()).
 */
static int zmm_store_page(const struct zmm_key *key, struct page *page)
{
	int idx, ret = -ENODEV;

	idx = srcu_read_lock(&zmm_store_srcu);
	if (READ_ONCE(zmm_config.enabled))
		ret = __zmm_store_page(key, page);
	srcu_read_unlock(&zmm_store_srcu, idx);
	return ret;
}

/* The kernel counts ZPAGE_STORE, ZPAGE_REJECT and ZPAGE_LOAD for us. */
static int zmm_load_page(const struct zmm_key *key, struct page *page,
			 bool exclusive)
{
	void *dst = kmap_local_page(page);
	int ret;

	ret = zmm_load(zmm_pool, key, dst, PAGE_SIZE, exclusive);
	kunmap_local(dst);
	return ret;
}

/*
 * zpage_swap_writeback() hands us the new swap-cache folio of the slot, or
 * NULL when the slot's page is in the swap cache already, dirty: then our
 * copy is redundant and goes unread.
 */
static int zmm_writeback_fill_folio(struct folio *folio, void *wb)
{
	void *dst;
	int ret;

	if (!folio)
		return zmm_writeback_drop(wb);
	dst = kmap_local_folio(folio, 0);
	ret = zmm_writeback_fill(wb, dst);
	kunmap_local(dst);
	return ret;
}

static int zmm_writeback(void *priv, const struct zmm_key *key,
			 struct zmm_writeback *wb)
{
	return zpage_swap_writeback(key->id, key->index,
				    zmm_writeback_fill_folio, wb);
}

/* zmm_ops.may_writeback: owners are memcg ids (0: none) */
static bool zmm_may_writeback(void *priv, u32 owner)
{
	return zpage_memcg_id_writeback_enabled(owner);
}

static int zmm_swap_store(unsigned int type, pgoff_t offset,
			  struct page *page)
{
	struct zmm_key key = { .type = ZMM_ANON, .id = type, .index = offset };

	return zmm_store_page(&key, page);
}

static int zmm_swap_load(unsigned int type, pgoff_t offset,
			 struct page *page, bool exclusive)
{
	struct zmm_key key = { .type = ZMM_ANON, .id = type, .index = offset };

	return zmm_load_page(&key, page, exclusive);
}

static void zmm_swap_invalidate(unsigned int type, pgoff_t offset)
{
	struct zmm_key key = { .type = ZMM_ANON, .id = type, .index = offset };

	zmm_invalidate(zmm_pool, &key);
}

static void zmm_swap_invalidate_area(unsigned int type)
{
	zmm_invalidate_range(zmm_pool, ZMM_ANON, type, 0, U64_MAX);
}

/* file keys: the mapping pointer, see struct zmm_key */
static u64 zmm_mapping_id(struct address_space *mapping)
{
	return (u64)(unsigned long)mapping;
}

static int zmm_file_put(struct address_space *mapping, pgoff_t index,
			struct folio *folio)
{
	struct zmm_key key = { .type = ZMM_FILE,
			       .id = zmm_mapping_id(mapping), .index = index };

	return zmm_store_page(&key, folio_page(folio, 0));
}

static int zmm_file_get(struct address_space *mapping, pgoff_t index,
			struct folio *folio)
{
	struct zmm_key key = { .type = ZMM_FILE,
			       .id = zmm_mapping_id(mapping), .index = index };

	return zmm_load_page(&key, folio_page(folio, 0), true);
}

static void zmm_file_invalidate_page(struct address_space *mapping,
				     pgoff_t index)
{
	struct zmm_key key = { .type = ZMM_FILE,
			       .id = zmm_mapping_id(mapping), .index = index };

	zmm_invalidate(zmm_pool, &key);
}

static void zmm_file_invalidate_range(struct address_space *mapping,
				      pgoff_t start, pgoff_t end)
{
	zmm_invalidate_range(zmm_pool, ZMM_FILE, zmm_mapping_id(mapping),
			     start, end);
}

static void zmm_file_invalidate_inode(struct address_space *mapping)
{
	zmm_file_invalidate_range(mapping, 0, ULONG_MAX);
}

/*
 * ->shrink: reclaim asks for @zsc->nr_to_free page frames of its memcg's
 * own zpages of its type on its node (zmm_shrink_asked(): paced to whole
 * blocks; garbage first, then the coldest zpages; an @zsc->urgent ask,
 * the last pass of a reclaim attempt that has got nothing yet, is
 * answered now).  Anon zpages are written back, which is I/O: not without
 * __GFP_IO, nor when memory.zpages.writeback is 0.  The root memcg's
 * lruvec also counts the zpages charged to no memcg (owner 0), which give
 * the rest.
 */
static unsigned long zmm_reclaim_shrink(const struct zpage_shrink_control *zsc)
{
	enum zmm_type t = zsc->type == ZPAGE_ANON ? ZMM_ANON : ZMM_FILE;
	struct mem_cgroup *memcg = zsc->memcg;
	unsigned long nr = zsc->nr_to_free;
	unsigned long freed;

	if (t == ZMM_ANON && (!(zsc->gfp_mask & __GFP_IO) ||
			      !zpage_memcg_writeback_enabled(memcg)))
		return 0;
	freed = zmm_shrink_asked(zmm_pool, memcg ? mem_cgroup_id(memcg) : 0,
				 zsc->nid, t, nr, zsc->urgent);
	if (memcg && !parent_mem_cgroup(memcg) && freed < nr)
		freed += zmm_shrink_asked(zmm_pool, 0, zsc->nid, t, nr - freed,
					  zsc->urgent);
	return freed;
}

/*
 * ->memcg_offline: the memcg's zpages move to its parent (the nearest
 * live ancestor, as zmm_online_memcg() finds it) as the coldest there,
 * their compressed bytes copied into the parent's blocks and entries
 * (charged to the parent: its owner id for the blocks, the active memcg
 * for the entries); what finds no room is evicted; then the memcg's arenas
 * are retired, so that its id, once reused, reaches none of them
 * (zmm_owner_gone()).  The memcg is dying already, so new stores go to an
 * ancestor; waiting for the stores in flight makes sure that none adds a
 * zpage behind the move's back.
 */
static void zmm_memcg_offline(struct mem_cgroup *memcg)
{
	struct mem_cgroup *heir, *old;
	unsigned long left;

	synchronize_srcu(&zmm_store_srcu);
	heir = zmm_online_memcg(parent_mem_cgroup(memcg));
	old = set_active_memcg(heir);
	left = zmm_owner_gone(zmm_pool, mem_cgroup_id(memcg),
			      heir ? mem_cgroup_id(heir) : ZMM_OWNER_ANY);
	set_active_memcg(old);
	if (left)
		pr_debug("memcg %u offline: %lu zpages left behind\n",
			 mem_cgroup_id(memcg), left);
}

static const struct zpage_backend_ops zmm_backend = {
	.store = zmm_swap_store,
	.load = zmm_swap_load,
	.invalidate = zmm_swap_invalidate,
	.invalidate_area = zmm_swap_invalidate_area,
	.put = zmm_file_put,
	.get = zmm_file_get,
	.invalidate_page = zmm_file_invalidate_page,
	.invalidate_range = zmm_file_invalidate_range,
	.invalidate_inode = zmm_file_invalidate_inode,
	.shrink = zmm_reclaim_shrink,
	.memcg_offline = zmm_memcg_offline,
};

/*
 * While disabled, write the anon zpages back (again and again: a slot may
 * be busy being swapped in) and give up the self reference once the pool
 * is empty.
 */
static void zmm_drain_fn(struct work_struct *work)
{
	struct zmm_pool *pool = READ_ONCE(zmm_pool);
	unsigned long left = 0;

	if (!pool)
		return;
	if (!READ_ONCE(zmm_config.enabled)) {
		/* stores that saw zmm enabled are done after this */
		synchronize_srcu(&zmm_store_srcu);
		left = zmm_drain(pool);
	}
	mutex_lock(&zmm_self_lock);
	if (zmm_self_ref && !READ_ONCE(zmm_config.enabled)) {
		if (!left) {
			zmm_self_ref = false;
			module_put(THIS_MODULE);
			pr_info("empty and disabled: can be unloaded\n");
		} else {
			schedule_delayed_work(&zmm_drain_work, HZ);
		}
	}
	mutex_unlock(&zmm_self_lock);
}

/**
 * zmm_set_enabled - start or stop taking pages.
 * @enabled: the new state.
 *
 * Stopping drops every file zpage (clean: the page cache reads them again),
 * writes the anon zpages back to swap in the background, and lets the
 * module be unloaded once they are all gone.
 *
 * Return: 0.
 */
int zmm_set_enabled(bool enabled)
{
	mutex_lock(&zmm_self_lock);
	WRITE_ONCE(zmm_config.enabled, enabled);
	if (!zmm_pool) {
		/* module load: init takes the reference */
		mutex_unlock(&zmm_self_lock);
		return 0;
	}
	if (enabled && !zmm_self_ref) {
		__module_get(THIS_MODULE);
		zmm_self_ref = true;
	}
	mutex_unlock(&zmm_self_lock);
	if (!enabled) {
		zmm_shrink_type(zmm_pool, ZMM_FILE);
		mod_delayed_work(system_wq, &zmm_drain_work, 0);
	}
	return 0;
}

static int __init zmm_init(void)
{
	struct zmm_ops ops = {
		.alloc_block = zmm_alloc_block,
		.free_block = zmm_free_block,
		.writeback = zmm_writeback,
		.may_writeback = zmm_may_writeback,
		.dropped = zmm_dropped,
		.kick = zmm_kick,
	};
	int ret;

	zmm_config.params.limit_pages = zmm_pool_limit_pages();
	zmm_pool = zmm_pool_create(&zmm_config.params, &ops);
	if (!zmm_pool)
		return -ENOMEM;
	ret = zpage_register_backend(&zmm_backend);
	if (ret) {
		pr_err("cannot register as zpage backend: %d\n", ret);
		goto destroy_pool;
	}
	zmm_debugfs_init();
	mutex_lock(&zmm_self_lock);
	if (zmm_config.enabled) {
		__module_get(THIS_MODULE);
		zmm_self_ref = true;
	}
	mutex_unlock(&zmm_self_lock);
	pr_info("compressor %s, recompress %s, %u%% of RAM at most, %s\n",
		zmm_comp_name(zmm_config.params.comp),
		zmm_config.params.recomp == ZMM_COMP_NONE ? "none" :
		zmm_comp_name(zmm_config.params.recomp),
		zmm_config.max_pool_percent,
		zmm_config.enabled ? "enabled" : "disabled");
	return 0;

destroy_pool:
	zmm_pool_destroy(zmm_pool);
	zmm_pool = NULL;
	return ret;
}

static void __exit zmm_exit(void)
{
	struct zmm_pool *pool = zmm_pool;

	zmm_debugfs_exit();
	zpage_unregister_backend(&zmm_backend);
	/* from here on parameter writes see no pool and queue no work */
	kernel_param_lock(THIS_MODULE);
	WRITE_ONCE(zmm_pool, NULL);
	kernel_param_unlock(THIS_MODULE);
	cancel_delayed_work_sync(&zmm_drain_work);
	cancel_work_sync(&zmm_limit_work);
	cancel_work_sync(&zmm_recompress_work);
	cancel_delayed_work_sync(&zmm_compact_work);
	/* the self reference kept us loaded while zpages were stored */
	WARN_ON_ONCE(zmm_stat(pool, ZMM_STAT_NR_ZPAGES));
	zmm_pool_destroy(pool);
}

module_init(zmm_init);
module_exit(zmm_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("zmm: compressed memory that memory management can balance");
