/* SPDX-License-Identifier: GPL-2.0 */
/*
 * KUnit tests of the zmm core inside the kernel, included at the bottom of
 * pool.c (the top layer) when CONFIG_ZMM_KUNIT_TEST is set, as mm/damon's
 * are: the same code as zmm.ko, with blocks from the real page allocator,
 * the kernel's lib/lz4 and lib/zstd, and lockdep/KASAN when the kernel has
 * them.  tests/kunit/ builds them into zmm_kunit.ko, which holds its own
 * copy of the core, so the core exports nothing for its tests.  Each case
 * builds its own pool; zmm.ko's system pool is not touched.
 */
#ifdef CONFIG_ZMM_KUNIT_TEST

#ifndef _ZMM_POOL_TEST_H
#define _ZMM_POOL_TEST_H

#include <kunit/test.h>
#include <linux/gfp.h>
#include <linux/random.h>

#include "evict.h"

struct zk_env {
	atomic_long_t pages_out;
	int kicks[ZMM_NR_WORK];
	int writebacks;
	int dropped;
	unsigned long cached_from;	/* keys from here "in the swap cache" */
	u8 *disk;		/* written-back pages, by index */
};

static void *zk_alloc(void *priv, unsigned int order, u32 owner, int nid,
		      enum zmm_type type)
{
	struct zk_env *env = priv;
	struct page *page = alloc_pages(GFP_NOWAIT | __GFP_NOWARN, order);

	if (!page)
		return NULL;
	atomic_long_add(1L << order, &env->pages_out);
	return page_address(page);
}

static void zk_free(void *priv, void *base, unsigned int order, u32 owner,
		    int nid, enum zmm_type type)
{
	struct zk_env *env = priv;

	atomic_long_sub(1L << order, &env->pages_out);
	__free_pages(virt_to_page(base), order);
}

static int zk_writeback(void *priv, const struct zmm_key *key,
			struct zmm_writeback *wb)
{
	struct zk_env *env = priv;
	int ret;

	if (key->index >= 64)
		return -EINVAL;
	if (env->cached_from && key->index >= env->cached_from) {
		/* as zpage_swap_writeback() with the slot's folio cached */
		ret = zmm_writeback_drop(wb);
		if (!ret)
			env->dropped++;
		return ret;
	}
	ret = zmm_writeback_fill(wb, env->disk + key->index * PAGE_SIZE);
	if (!ret)
		env->writebacks++;
	return ret;
}

static void zk_kick(void *priv, enum zmm_work work)
{
	struct zk_env *env = priv;

	env->kicks[work]++;
}

/* text-like page content for @seed: compresses, not same-filled */
static void zk_page(u8 *p, unsigned long seed)
{
	static const char *const w[] = { "page ", "memory ", "zmm ",
					 "block ", "reclaim ", "swap " };
	unsigned int i = 0, k;

	while (i < PAGE_SIZE) {
		const char *s = w[(seed + i / 7) % ARRAY_SIZE(w)];

		for (k = 0; s[k] && i < PAGE_SIZE; k++)
			p[i++] = s[k];
		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
	}
}

struct zk_ctx {
	struct zk_env env;
	struct zmm_pool *pool;
	u8 *page, *out;
};

static int zk_init(struct kunit *test)
{
	struct zk_ctx *c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);
	struct zmm_params p;
	struct zmm_ops ops = {
		.alloc_block = zk_alloc,
		.free_block = zk_free,
		.writeback = zk_writeback,
		.kick = zk_kick,
	};

	KUNIT_ASSERT_NOT_NULL(test, c);
	c->env.disk = kunit_kzalloc(test, 64 * PAGE_SIZE, GFP_KERNEL);
	c->page = kunit_kzalloc(test, PAGE_SIZE, GFP_KERNEL);
	c->out = kunit_kzalloc(test, PAGE_SIZE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, c->env.disk);
	KUNIT_ASSERT_NOT_NULL(test, c->page);
	KUNIT_ASSERT_NOT_NULL(test, c->out);
	zmm_params_default(&p);
	ops.priv = &c->env;
	c->pool = zmm_pool_create(&p, &ops);
	KUNIT_ASSERT_NOT_NULL(test, c->pool);
	test->priv = c;
	return 0;
}

static void zk_exit(struct kunit *test)
{
	struct zk_ctx *c = test->priv;

	zmm_pool_destroy(c->pool);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&c->env.pages_out), 0);
}

static void zk_roundtrip(struct kunit *test)
{
	struct zk_ctx *c = test->priv;
	struct zmm_key k = { .type = ZMM_ANON, .id = 1 };
	unsigned long i;

	for (i = 0; i < 512; i++) {
		k.index = i;
		zk_page(c->page, i);
		KUNIT_ASSERT_EQ(test, zmm_store(c->pool, &k, 0, 0, c->page,
						PAGE_SIZE), 0);
	}
	KUNIT_EXPECT_EQ(test, zmm_pool_check(c->pool, true), 0);
	for (i = 0; i < 512; i++) {
		k.index = i;
		zk_page(c->page, i);
		KUNIT_ASSERT_EQ(test, zmm_load(c->pool, &k, c->out, PAGE_SIZE,
					       i % 2), 0);
		KUNIT_EXPECT_EQ(test, memcmp(c->page, c->out, PAGE_SIZE), 0);
	}
	/* the kept half is still there, the exclusive half is gone */
	k.index = 0;
	KUNIT_EXPECT_EQ(test, zmm_load(c->pool, &k, c->out, PAGE_SIZE, true),
			0);
	k.index = 1;
	KUNIT_EXPECT_EQ(test, zmm_load(c->pool, &k, c->out, PAGE_SIZE, true),
			-ENOENT);
	KUNIT_EXPECT_EQ(test, zmm_pool_check(c->pool, true), 0);
}

static void zk_bad_inputs(struct kunit *test)
{
	struct zk_ctx *c = test->priv;
	struct zmm_key k = { .type = ZMM_FILE, .id = 9, .index = 3 };
	unsigned long freed;

	zk_page(c->page, 1);
	KUNIT_EXPECT_EQ(test, zmm_store(c->pool, &k, 0, 0, c->page, 0),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, zmm_store(c->pool, &k, 0, -1, c->page,
					PAGE_SIZE), -EINVAL);
	KUNIT_EXPECT_EQ(test, zmm_load(c->pool, &k, c->out, PAGE_SIZE, true),
			-ENOENT);
	KUNIT_EXPECT_EQ(test, zmm_invalidate(c->pool, &k), -ENOENT);
	KUNIT_EXPECT_EQ(test, zmm_shrink(c->pool, 5, 0, ZMM_FILE, 8, &freed),
			-ENOENT);
	get_random_bytes(c->page, PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, zmm_store(c->pool, &k, 0, 0, c->page,
					PAGE_SIZE), -E2BIG);
}

static void zk_shrink_writeback(struct kunit *test)
{
	struct zk_ctx *c = test->priv;
	struct zmm_key k = { .type = ZMM_ANON, .id = 2 };
	unsigned long i, freed;
	int ret;

	for (i = 0; i < 64; i++) {
		k.index = i;
		zk_page(c->page, 100 + i);
		KUNIT_ASSERT_EQ(test, zmm_store(c->pool, &k, 7, 0, c->page,
						PAGE_SIZE), 0);
	}
	ret = zmm_shrink(c->pool, 7, 0, ZMM_ANON, ULONG_MAX / 2, &freed);
	KUNIT_EXPECT_EQ(test, ret, -EAGAIN);
	KUNIT_EXPECT_EQ(test, c->env.writebacks, 64);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&c->env.pages_out), 0);
	for (i = 0; i < 64; i++) {
		zk_page(c->page, 100 + i);
		KUNIT_EXPECT_EQ(test, memcmp(c->page,
					     c->env.disk + i * PAGE_SIZE,
					     PAGE_SIZE), 0);
	}
	KUNIT_EXPECT_EQ(test, zmm_pool_check(c->pool, true), 0);
}

/*
 * With a second compressor, a shrink recompresses each cold zpage with
 * the kernel's lib/zstd, under the per-CPU context, before any goes to
 * swap; recompressed data loads and writes back right.
 */
static void zk_recompress(struct kunit *test)
{
	struct zk_ctx *c = test->priv;
	struct zmm_key k = { .type = ZMM_ANON, .id = 3 };
	struct zmm_ops ops = c->pool->ops;
	unsigned long i, freed;
	struct zmm_params p;
	struct zmm_arena *a;
	struct zmm_evicted ev;
	int ret;

	zmm_pool_destroy(c->pool);
	zmm_params_default(&p);
	p.recomp = ZMM_COMP_ZSTD;
	c->pool = zmm_pool_create(&p, &ops);
	KUNIT_ASSERT_NOT_NULL(test, c->pool);
	for (i = 0; i < 64; i++) {
		k.index = i;
		zk_page(c->page, 200 + i);
		KUNIT_ASSERT_EQ(test, zmm_store(c->pool, &k, 8, 0, c->page,
						PAGE_SIZE), 0);
	}
	/* the 8 coldest are recompressed and kept, not written */
	a = zmm_arena_find(c->pool, 8, 0, ZMM_ANON, false);
	KUNIT_ASSERT_NOT_NULL(test, a);
	for (i = 0; i < 8; i++) {
		KUNIT_EXPECT_GE(test, zmm_evict_one(a, ZMM_LRU_COLD, &ev),
				0);
		KUNIT_EXPECT_TRUE(test, ev.kept);
	}
	zmm_arena_put(a);
	KUNIT_EXPECT_EQ(test, zmm_stat(c->pool, ZMM_STAT_RECOMP), 8);
	KUNIT_EXPECT_EQ(test, c->env.writebacks, 0);
	KUNIT_EXPECT_EQ(test, zmm_pool_check(c->pool, true), 0);
	for (i = 0; i < 64; i++) {
		k.index = i;
		zk_page(c->page, 200 + i);
		KUNIT_ASSERT_EQ(test, zmm_load(c->pool, &k, c->out, PAGE_SIZE,
					       false), 0);
		KUNIT_EXPECT_EQ(test, memcmp(c->page, c->out, PAGE_SIZE), 0);
	}
	ret = zmm_shrink(c->pool, 8, 0, ZMM_ANON, ULONG_MAX / 2, &freed);
	KUNIT_EXPECT_EQ(test, ret, -EAGAIN);
	KUNIT_EXPECT_EQ(test, c->env.writebacks, 64);
	KUNIT_EXPECT_EQ(test, zmm_stat(c->pool, ZMM_STAT_RECOMP) +
			zmm_stat(c->pool, ZMM_STAT_RECOMP_POOR), 64);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&c->env.pages_out), 0);
	for (i = 0; i < 64; i++) {
		zk_page(c->page, 200 + i);
		KUNIT_EXPECT_EQ(test, memcmp(c->page,
					     c->env.disk + i * PAGE_SIZE,
					     PAGE_SIZE), 0);
	}
	KUNIT_EXPECT_EQ(test, zmm_pool_check(c->pool, true), 0);
}

/* Pool-wide reclaim takes file zpages first; a drain writes back all. */
static void zk_reclaim_drain(struct kunit *test)
{
	struct zk_ctx *c = test->priv;
	struct zmm_key k = { .type = ZMM_ANON, .id = 3 };
	struct zmm_arena_info before, after;
	unsigned long i, freed;
	long n;

	for (i = 0; i < 48; i++) {
		k.index = i;
		if (i < 32)
			zk_page(c->page, 200 + i);
		else
			memset(c->page, 0xa5, PAGE_SIZE);
		KUNIT_ASSERT_EQ(test, zmm_store(c->pool, &k, 7, 0, c->page,
						PAGE_SIZE), 0);
	}
	k.type = ZMM_FILE;
	for (i = 0; i < 32; i++) {
		k.index = i;
		zk_page(c->page, 300 + i);
		KUNIT_ASSERT_EQ(test, zmm_store(c->pool, &k, 8, 0, c->page,
						PAGE_SIZE), 0);
	}
	zmm_arena_info(c->pool, 8, 0, ZMM_FILE, &before);
	/* an owner with no arenas gives nothing */
	KUNIT_EXPECT_EQ(test, zmm_reclaim(c->pool, 9, 1, &freed), -EAGAIN);
	KUNIT_EXPECT_EQ(test, freed, 0);
	KUNIT_EXPECT_EQ(test, zmm_reclaim(c->pool, ZMM_OWNER_ANY, 1, &freed),
			0);
	zmm_arena_info(c->pool, 8, 0, ZMM_FILE, &after);
	KUNIT_EXPECT_EQ(test, c->env.writebacks, 0);
	KUNIT_EXPECT_EQ(test, before.pages_held - after.pages_held, freed);

	/* the last 4 have their page in the swap cache: dropped unread */
	c->env.cached_from = 44;
	n = zmm_writeback_all(c->pool);
	KUNIT_EXPECT_EQ(test, n, 48);
	KUNIT_EXPECT_EQ(test, c->env.writebacks, 44);
	KUNIT_EXPECT_EQ(test, c->env.dropped, 4);
	KUNIT_EXPECT_EQ(test, zmm_stat(c->pool, ZMM_STAT_EVICT_CACHED), 4);
	for (i = 0; i < 44; i++) {
		if (i < 32)
			zk_page(c->page, 200 + i);
		else
			memset(c->page, 0xa5, PAGE_SIZE);
		KUNIT_EXPECT_EQ(test, memcmp(c->page,
					     c->env.disk + i * PAGE_SIZE,
					     PAGE_SIZE), 0);
	}
	KUNIT_EXPECT_EQ(test, zmm_stat(c->pool, ZMM_STAT_NR_ZPAGES),
			after.nr_zpages);
	KUNIT_EXPECT_EQ(test, zmm_pool_check(c->pool, true), 0);
	zmm_shrink_type(c->pool, ZMM_FILE);
}

/*
 * The pool limit is the core's policy: at limit_pages a store is refused
 * and the environment asked for ZMM_WORK_LIMIT, whose zmm_limit_reclaim()
 * brings the pool a sixteenth below the limit.  Compaction is asked for
 * once zpages go, and not by an idle pool.
 */
static void zk_limit_and_kicks(struct kunit *test)
{
	struct zk_ctx *c = test->priv;
	struct zmm_key k = { .type = ZMM_ANON, .id = 4 };
	struct zmm_params p;
	unsigned long i, held;

	/* stores ask for no compaction; all 64 can be written back */
	for (i = 0; i < 64; i++) {
		k.index = i;
		zk_page(c->page, 400 + i);
		KUNIT_ASSERT_EQ(test, zmm_store(c->pool, &k, 7, 0, c->page,
						PAGE_SIZE), 0);
	}
	KUNIT_EXPECT_EQ(test, c->env.kicks[ZMM_WORK_COMPACT], 0);
	/* a zpage going asks, once */
	k.index = 63;
	KUNIT_EXPECT_EQ(test, zmm_load(c->pool, &k, c->out, PAGE_SIZE, true),
			0);
	KUNIT_EXPECT_EQ(test, zmm_invalidate(c->pool, &k), -ENOENT);
	k.index = 62;
	KUNIT_EXPECT_EQ(test, zmm_invalidate(c->pool, &k), 0);
	KUNIT_EXPECT_EQ(test, c->env.kicks[ZMM_WORK_COMPACT], 1);

	/* at the limit a store is refused, the key left empty */
	held = zmm_stat(c->pool, ZMM_STAT_PAGES_HELD);
	zmm_params_default(&p);
	p.limit_pages = held;
	KUNIT_ASSERT_EQ(test, zmm_pool_set_params(c->pool, &p), 0);
	k.index = 63;
	zk_page(c->page, 463);
	KUNIT_EXPECT_EQ(test, zmm_store(c->pool, &k, 7, 0, c->page, PAGE_SIZE),
			-ENOMEM);
	KUNIT_EXPECT_EQ(test, zmm_load(c->pool, &k, c->out, PAGE_SIZE, true),
			-ENOENT);
	KUNIT_EXPECT_EQ(test, zmm_stat(c->pool, ZMM_STAT_REJECT_POOL_LIMIT), 1);
	KUNIT_EXPECT_EQ(test, c->env.kicks[ZMM_WORK_LIMIT], 1);

	/* the limit work brings the pool a sixteenth below a lower limit */
	p.limit_pages = held / 2;
	KUNIT_ASSERT_EQ(test, zmm_pool_set_params(c->pool, &p), 0);
	KUNIT_EXPECT_GT(test, zmm_limit_reclaim(c->pool), 0);
	KUNIT_EXPECT_LE(test, zmm_stat(c->pool, ZMM_STAT_PAGES_HELD),
			p.limit_pages - p.limit_pages / 16);
	KUNIT_EXPECT_GT(test, c->env.writebacks, 0);
	KUNIT_EXPECT_EQ(test, zmm_pool_check(c->pool, true), 0);
	zmm_invalidate_type(c->pool, ZMM_ANON);
}

static struct kunit_case zmm_kunit_cases[] = {
	KUNIT_CASE(zk_roundtrip),
	KUNIT_CASE(zk_bad_inputs),
	KUNIT_CASE(zk_shrink_writeback),
	KUNIT_CASE(zk_recompress),
	KUNIT_CASE(zk_reclaim_drain),
	KUNIT_CASE(zk_limit_and_kicks),
	{}
};

static struct kunit_suite zmm_kunit_suite = {
	.name = "zmm",
	.init = zk_init,
	.exit = zk_exit,
	.test_cases = zmm_kunit_cases,
};

kunit_test_suite(zmm_kunit_suite);

#endif /* _ZMM_POOL_TEST_H */
#endif /* CONFIG_ZMM_KUNIT_TEST */
