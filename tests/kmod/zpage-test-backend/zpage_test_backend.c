// SPDX-License-Identifier: GPL-2.0
/*
 * zpage_test_backend: a minimal zpage backend for testing the kernel hooks
 *
 * Stores every page it is given uncompressed, as a copy in a freshly
 * allocated page, in xarrays: one for swap slots keyed by swp_entry_t,
 * one per file mapping keyed by index.  Each copy takes one page frame,
 * accounted with zpage_account() to the memcg of the original folio.
 * No compression, no writeback, no shrinking: when max_pages copies are
 * held, further pages are rejected and take the normal path.
 *
 * While it holds swap pages, which exist nowhere else, the module pins
 * itself (one module reference per swap page), so rmmod fails until they
 * are swapped in or swapped off.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/gfp.h>
#include <linux/highmem.h>
#include <linux/memcontrol.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/pagemap.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/swap.h>
#include <linux/swapops.h>
#include <linux/xarray.h>
#include <linux/zpage.h>

static unsigned long max_pages = 16384;
module_param(max_pages, ulong, 0644);
MODULE_PARM_DESC(max_pages, "most page copies held at once (default 16384)");

static bool tb_anon = true;
module_param_named(anon, tb_anon, bool, 0444);
MODULE_PARM_DESC(anon, "take swap pages (default on)");

static bool tb_file = true;
module_param_named(file, tb_file, bool, 0444);
MODULE_PARM_DESC(file, "take clean file pages (default on)");

/* Negative testing: a backend that breaks the contract must be caught. */
static bool break_invalidate;
module_param(break_invalidate, bool, 0644);
MODULE_PARM_DESC(break_invalidate,
		 "ignore file range invalidations (test the tests; unsafe)");

static atomic_long_t nr_held = ATOMIC_LONG_INIT(0);

/* Swap copies, keyed by swp_entry_t.val. */
static DEFINE_XARRAY(tb_swap);

/* File copies: one xarray of copies per mapping, found by its address. */
struct tb_mapping {
	struct xarray pages;
};

static DEFINE_XARRAY(tb_mappings);
/* Serializes the file side: mapping lookup, creation and teardown. */
static DEFINE_SPINLOCK(tb_file_lock);

/*
 * A copy is a page frame; ->private holds the memcg (with a reference)
 * it is accounted to, its node is the copy's node.
 */
static struct page *tb_copy(struct page *src, enum zpage_type type)
{
	struct mem_cgroup *memcg = folio_memcg(page_folio(src));
	struct page *page;

	if (atomic_long_inc_return(&nr_held) > READ_ONCE(max_pages))
		goto full;
	page = alloc_page(GFP_NOWAIT | __GFP_NORETRY | __GFP_NOWARN |
			  __GFP_NOMEMALLOC);
	if (!page)
		goto full;
	copy_highpage(page, src);
	if (memcg)
		css_get(&memcg->css);
	set_page_private(page, (unsigned long)memcg);
	zpage_account(memcg, page_to_nid(page), type, 1);
	return page;
full:
	atomic_long_dec(&nr_held);
	return NULL;
}

static void tb_free(struct page *page, enum zpage_type type)
{
	struct mem_cgroup *memcg = (struct mem_cgroup *)page_private(page);

	zpage_account(memcg, page_to_nid(page), type, -1);
	if (memcg)
		css_put(&memcg->css);
	set_page_private(page, 0);
	__free_page(page);
	atomic_long_dec(&nr_held);
}

static void tb_restore(struct page *dst, struct page *page)
{
	copy_highpage(dst, page);
}

/* swap side */

static unsigned long tb_key(unsigned int type, pgoff_t offset)
{
	return swp_entry(type, offset).val;
}

static void tb_swap_free(struct page *page)
{
	tb_free(page, ZPAGE_ANON);
	module_put(THIS_MODULE);
}

static void tb_swap_init(unsigned int type)
{
	pr_info("swap type %u in use\n", type);
}

static int tb_swap_store(unsigned int type, pgoff_t offset,
			 struct page *src)
{
	struct page *page, *old;

	if (!try_module_get(THIS_MODULE))
		return -ENODEV;
	page = tb_copy(src, ZPAGE_ANON);
	if (!page) {
		module_put(THIS_MODULE);
		return -ENOSPC;
	}
	old = xa_store(&tb_swap, tb_key(type, offset), page, GFP_NOWAIT);
	if (xa_is_err(old)) {
		tb_swap_free(page);
		return xa_err(old);
	}
	/* A swap-cache folio stored again to its slot replaces the copy. */
	if (old)
		tb_swap_free(old);
	return 0;
}

static int tb_swap_load(unsigned int type, pgoff_t offset,
			struct page *dst, bool exclusive)
{
	unsigned long key = tb_key(type, offset);
	struct page *page;

	if (exclusive) {
		page = xa_erase(&tb_swap, key);
		if (!page)
			return -ENOENT;
		tb_restore(dst, page);
		tb_swap_free(page);
		return 0;
	}

	/* Keep the copy; hold the lock so that it cannot be freed meanwhile. */
	xa_lock(&tb_swap);
	page = xa_load(&tb_swap, key);
	if (page)
		tb_restore(dst, page);
	xa_unlock(&tb_swap);
	return page ? 0 : -ENOENT;
}

static void tb_swap_invalidate(unsigned int type, pgoff_t offset)
{
	struct page *page = xa_erase(&tb_swap, tb_key(type, offset));

	if (page)
		tb_swap_free(page);
}

static void tb_swap_invalidate_area(unsigned int type)
{
	unsigned long first = tb_key(type, 0);
	unsigned long last = tb_key(type, swp_offset(swp_entry(type, ~0UL)));
	unsigned long key;
	struct page *page;
	long n = 0;

	xa_for_each_range(&tb_swap, key, page, first, last) {
		if (xa_erase(&tb_swap, key) == page) {
			tb_swap_free(page);
			n++;
		}
		cond_resched();
	}
	pr_info("swap type %u off, dropped %ld pages\n", type, n);
}

/* file side */

static struct tb_mapping *tb_mapping_find(struct address_space *mapping,
					  bool create)
{
	unsigned long key = (unsigned long)mapping;
	struct tb_mapping *m;

	lockdep_assert_held(&tb_file_lock);
	m = xa_load(&tb_mappings, key);
	if (m || !create)
		return m;
	m = kzalloc(sizeof(*m), GFP_NOWAIT | __GFP_NOWARN);
	if (!m)
		return NULL;
	xa_init(&m->pages);
	if (xa_err(xa_store(&tb_mappings, key, m, GFP_NOWAIT))) {
		kfree(m);
		return NULL;
	}
	return m;
}

/* Drop a mapping's copies in [start, end]; free it if it is empty. */
static long tb_mapping_drop(struct address_space *mapping, pgoff_t start,
			    pgoff_t end)
{
	struct tb_mapping *m;
	unsigned long index;
	struct page *page;
	long n = 0;

	lockdep_assert_held(&tb_file_lock);
	m = tb_mapping_find(mapping, false);
	if (!m)
		return 0;
	xa_for_each_range(&m->pages, index, page, start, end) {
		xa_erase(&m->pages, index);
		tb_free(page, ZPAGE_FILE);
		n++;
	}
	if (xa_empty(&m->pages)) {
		xa_erase(&tb_mappings, (unsigned long)mapping);
		xa_destroy(&m->pages);
		kfree(m);
	}
	return n;
}

static int tb_file_put(struct address_space *mapping, pgoff_t index,
		       struct folio *folio)
{
	struct tb_mapping *m;
	struct page *page, *old;
	int ret = 0;

	page = tb_copy(folio_page(folio, 0), ZPAGE_FILE);
	if (!page)
		return -ENOSPC;
	spin_lock(&tb_file_lock);
	m = tb_mapping_find(mapping, true);
	if (!m) {
		ret = -ENOMEM;
		goto out;
	}
	old = xa_store(&m->pages, index, page, GFP_NOWAIT);
	if (xa_is_err(old)) {
		ret = xa_err(old);
		goto out;
	}
	/* The hooks guarantee that an index in the page cache is not held. */
	if (WARN_ON_ONCE(old))
		tb_free(old, ZPAGE_FILE);
	page = NULL;
out:
	spin_unlock(&tb_file_lock);
	if (page)
		tb_free(page, ZPAGE_FILE);
	return ret;
}

static int tb_file_get(struct address_space *mapping, pgoff_t index,
		       struct folio *folio)
{
	struct tb_mapping *m;
	struct page *page = NULL;

	spin_lock(&tb_file_lock);
	m = tb_mapping_find(mapping, false);
	if (m)
		page = xa_erase(&m->pages, index);
	spin_unlock(&tb_file_lock);
	if (!page)
		return -ENOENT;
	tb_restore(folio_page(folio, 0), page);
	tb_free(page, ZPAGE_FILE);
	return 0;
}

static void tb_file_invalidate_page(struct address_space *mapping,
				    pgoff_t index)
{
	spin_lock(&tb_file_lock);
	tb_mapping_drop(mapping, index, index);
	spin_unlock(&tb_file_lock);
}

static void tb_file_invalidate_range(struct address_space *mapping,
				     pgoff_t start, pgoff_t end)
{
	if (READ_ONCE(break_invalidate))
		return;
	spin_lock(&tb_file_lock);
	tb_mapping_drop(mapping, start, end);
	spin_unlock(&tb_file_lock);
}

static void tb_file_invalidate_inode(struct address_space *mapping)
{
	spin_lock(&tb_file_lock);
	tb_mapping_drop(mapping, 0, ULONG_MAX);
	spin_unlock(&tb_file_lock);
}

static struct zpage_backend_ops tb_ops;

static int __init tb_init(void)
{
	int ret;

	if (tb_anon) {
		tb_ops.init = tb_swap_init;
		tb_ops.store = tb_swap_store;
		tb_ops.load = tb_swap_load;
		tb_ops.invalidate = tb_swap_invalidate;
		tb_ops.invalidate_area = tb_swap_invalidate_area;
	}
	if (tb_file) {
		tb_ops.put = tb_file_put;
		tb_ops.get = tb_file_get;
		tb_ops.invalidate_page = tb_file_invalidate_page;
		tb_ops.invalidate_range = tb_file_invalidate_range;
		tb_ops.invalidate_inode = tb_file_invalidate_inode;
	}
	ret = zpage_register_backend(&tb_ops);
	if (ret)
		return ret;
	pr_info("registered (anon=%d file=%d max_pages=%lu)\n", tb_anon,
		tb_file, max_pages);
	return 0;
}

static void __exit tb_exit(void)
{
	struct tb_mapping *m;
	unsigned long key, index;
	struct page *page;

	/* Swap pages pin the module: there are none left here. */
	WARN_ON(!xa_empty(&tb_swap));
	zpage_unregister_backend(&tb_ops);

	/* Nothing calls us any more: forget the clean file copies. */
	xa_for_each(&tb_mappings, key, m) {
		xa_for_each(&m->pages, index, page)
			tb_free(page, ZPAGE_FILE);
		xa_destroy(&m->pages);
		kfree(m);
	}
	xa_destroy(&tb_mappings);
	pr_info("unregistered\n");
}

module_init(tb_init);
module_exit(tb_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Uncompressed zpage backend for testing the zpage hooks");
