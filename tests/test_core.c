// SPDX-License-Identifier: GPL-2.0
/*
 * Userspace tests of the zmm portable core.
 *
 * Built with ASan+UBSan, and run again under valgrind, by `make check`.
 * White-box: includes the core's internal header to recount every
 * counter from the data structures themselves.
 *
 * Output: one "ok N - name" / "not ok N - name" line per test and a last
 * line "N passed, M failed".  ZMM_TEST_OPS scales the randomized test.
 */
/* the core itself, in this translation unit, statics and all */
#include "zmm_core.c"
#include "user_env.h"
#include "pagegen.h"
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>

static int t_failed_checks;
static const char *t_name;

#define CHECK(cond, ...) do {						\
	if (!(cond)) {							\
		t_failed_checks++;					\
		fprintf(stderr, "  FAIL %s:%d (%s): %s: ", __FILE__,	\
			__LINE__, t_name, #cond);			\
		fprintf(stderr, __VA_ARGS__);				\
		fprintf(stderr, "\n");					\
	}								\
} while (0)

static unsigned char pg[PAGE_SIZE], out[PAGE_SIZE];

/* a pool whose cold zpages a shrink recompresses with @recomp */
static struct zmm_pool *mkpool_recomp(struct uenv *u, enum zmm_comp comp,
				      enum zmm_comp recomp,
				      unsigned int max_order)
{
	struct zmm_params p;
	struct zmm_ops ops;

	uenv_init(u);
	u->max_order = max_order;
	zmm_params_default(&p);
	p.comp = comp;
	p.recomp = recomp;
	ops = uenv_ops(u);
	return zmm_pool_create(&p, &ops);
}

static struct zmm_pool *mkpool(struct uenv *u, enum zmm_comp comp,
			       unsigned int max_order)
{
	return mkpool_recomp(u, comp, ZMM_COMP_NONE, max_order);
}

static struct zmm_key K(enum zmm_type t, u64 id, u64 idx)
{
	struct zmm_key k = { .type = t, .id = id, .index = idx };

	return k;
}

/* ------------------------------------------------------------------ */
/* Recount everything from scratch and compare with the counters.      */

static bool index_contains(struct zmm_pool *pool, const struct zmm_key *key)
{
	struct zmm_shard *s = zmm_shard_of(pool, key->type, key->id,
					   key->index);
	bool found;

	spin_lock(&s->lock);
	found = zmm_index_lookup(s, key) != NULL;
	spin_unlock(&s->lock);
	return found;
}

/* The core's own recount, plus what only the environment can see. */
static void check_pool(struct zmm_pool *pool, struct uenv *u)
{
	long bad = zmm_pool_check(pool, true);

	CHECK(!bad, "zmm_pool_check found %ld inconsistencies", bad);
	if (u) {
		CHECK((long)zmm_stat(pool, ZMM_STAT_PAGES_HELD) == u->pages_out,
		      "allocator has %ld pages out, pool holds %lu",
		      u->pages_out, zmm_stat(pool, ZMM_STAT_PAGES_HELD));
		CHECK(!u->bad_frees, "%lu frees of unknown blocks",
		      u->bad_frees);
	}
	/* every byte compaction moves is counted under exactly one path */
	CHECK(zmm_stat(pool, ZMM_STAT_COMPACT_BYTES) ==
	      zmm_stat(pool, ZMM_STAT_COMPACT_RECYCLE_BYTES) +
	      zmm_stat(pool, ZMM_STAT_COMPACT_EVAC_BYTES) +
	      zmm_stat(pool, ZMM_STAT_SHRINK_EVAC_BYTES),
	      "compact_bytes %lu, by path %lu + %lu + %lu",
	      zmm_stat(pool, ZMM_STAT_COMPACT_BYTES),
	      zmm_stat(pool, ZMM_STAT_COMPACT_RECYCLE_BYTES),
	      zmm_stat(pool, ZMM_STAT_COMPACT_EVAC_BYTES),
	      zmm_stat(pool, ZMM_STAT_SHRINK_EVAC_BYTES));
	CHECK(!zmm_shim_warnings, "%lu WARNs", zmm_shim_warnings);
}

/* ------------------------------------------------------------------ */

/* a same-filled page of a file: zmm refuses it (zmm_store()) */
static bool same_file(unsigned int cls, const struct zmm_key *k)
{
	return (cls == GEN_ZERO || cls == GEN_SAME) && k->type == ZMM_FILE;
}

static void test_roundtrip(enum zmm_comp comp)
{
	struct uenv u;
	struct zmm_pool *pool = mkpool(&u, comp, ZMM_BLOCK_ORDER_MAX);
	unsigned int cls, i;
	int ret;

	CHECK(pool, "pool");
	for (cls = 0; cls < GEN_NR; cls++) {
		for (i = 0; i < 50; i++) {
			struct zmm_key k = K(i & 1 ? ZMM_FILE : ZMM_ANON, cls,
					     i);

			gen_page(pg, cls, i * 7 + cls);
			ret = zmm_store(pool, &k, 1, 0, pg, PAGE_SIZE);
			if (cls == GEN_RANDOM) {
				CHECK(ret == -E2BIG, "random page: %d", ret);
				continue;
			}
			if (same_file(cls, &k)) {
				CHECK(ret == -EOPNOTSUPP,
				      "same-filled file page: %d", ret);
				continue;
			}
			CHECK(!ret, "store class %s: %d", gen_class_name(cls),
			      ret);
		}
	}
	check_pool(pool, &u);
	for (cls = 0; cls < GEN_NR; cls++) {
		for (i = 0; i < 50; i++) {
			struct zmm_key k = K(i & 1 ? ZMM_FILE : ZMM_ANON, cls,
					     i);

			memset(out, 0xee, PAGE_SIZE);
			ret = zmm_load(pool, &k, out, PAGE_SIZE, false);
			if (cls == GEN_RANDOM || same_file(cls, &k)) {
				CHECK(ret == -ENOENT, "rejected page loads");
				continue;
			}
			gen_page(pg, cls, i * 7 + cls);
			CHECK(!ret && !memcmp(pg, out, PAGE_SIZE),
			      "keeping load, class %s page %u: ret %d",
			      gen_class_name(cls), i, ret);
			memset(out, 0xee, PAGE_SIZE);
			ret = zmm_load(pool, &k, out, PAGE_SIZE, true);
			CHECK(!ret && !memcmp(pg, out, PAGE_SIZE),
			      "class %s page %u: ret %d", gen_class_name(cls),
			      i, ret);
			/* exclusive: gone after the load */
			CHECK(zmm_load(pool, &k, out, PAGE_SIZE, true) == -ENOENT,
			      "second load");
		}
	}
	/* the anon half of the zero and same-filled classes; not the file */
	CHECK(zmm_stat(pool, ZMM_STAT_SAME_FILLED) == 50 &&
	      zmm_stat(pool, ZMM_STAT_REJECT_SAME_FILE) == 50,
	      "same %lu, same file pages refused %lu",
	      zmm_stat(pool, ZMM_STAT_SAME_FILLED),
	      zmm_stat(pool, ZMM_STAT_REJECT_SAME_FILE));
	CHECK(zmm_stat(pool, ZMM_STAT_REJECT_POOR) == 50, "poor");
	check_pool(pool, &u);
	CHECK(u.blocks_out == 0, "blocks out %ld after all loaded",
	      u.blocks_out);
	zmm_pool_destroy(pool);
	CHECK(u.blocks_out == 0 && !u.bad_frees, "blocks back whole");
	uenv_fini(&u);
}

static void test_roundtrip_lz4(void)
{
	test_roundtrip(ZMM_COMP_LZ4);
}

static void test_roundtrip_zstd(void)
{
	test_roundtrip(ZMM_COMP_ZSTD);
}

static void test_bad_inputs(void)
{
	struct uenv u;
	struct zmm_pool *pool = mkpool(&u, ZMM_COMP_LZ4, ZMM_BLOCK_ORDER_MAX);
	struct zmm_key k = K(ZMM_ANON, 0, 1), bad = K(7, 0, 1);
	struct zmm_arena_info info;
	struct zmm_params p;
	struct zmm_ops ops = uenv_ops(&u);
	unsigned long freed = 1;

	gen_page(pg, GEN_TEXT, 1);
	CHECK(zmm_store(pool, &k, 1, 0, pg, 0) == -EINVAL, "zero length");
	CHECK(zmm_store(pool, &k, 1, 0, pg, PAGE_SIZE + 1) == -EINVAL,
	      "oversized");
	CHECK(zmm_store(pool, &k, 1, 0, NULL, PAGE_SIZE) == -EINVAL, "NULL");
	CHECK(zmm_store(pool, &bad, 1, 0, pg, PAGE_SIZE) == -EINVAL,
	      "bad type");
	CHECK(zmm_store(pool, NULL, 1, 0, pg, PAGE_SIZE) == -EINVAL,
	      "NULL key");
	k.index = ZMM_ANON_INDEX_MAX + 1;
	CHECK(zmm_store(pool, &k, 1, 0, pg, PAGE_SIZE) == -EINVAL,
	      "anon index too large");
	k.index = 1;
	k.id = ZMM_ANON_MAX_IDS;
	CHECK(zmm_store(pool, &k, 1, 0, pg, PAGE_SIZE) == -EINVAL,
	      "anon id is not a swap type");
	CHECK(zmm_invalidate_range(pool, ZMM_ANON, ZMM_ANON_MAX_IDS, 0, 1) ==
	      -EINVAL, "range of a bad swap type");
	k.id = 0;
	k.index = 1;
	CHECK(zmm_store(pool, &k, 1, -2, pg, PAGE_SIZE) == -EINVAL, "nid");
	CHECK(zmm_load(pool, &k, out, PAGE_SIZE, true) == -ENOENT, "unknown key");
	CHECK(zmm_load(pool, &k, out, 1, true) == -EINVAL, "load short");
	CHECK(zmm_invalidate(pool, &k) == -ENOENT, "invalidate unknown");
	CHECK(zmm_invalidate(pool, &bad) == -EINVAL, "invalidate bad");
	CHECK(zmm_invalidate_range(pool, ZMM_FILE, 1, 5, 4) == -EINVAL,
	      "range start > end");
	CHECK(zmm_invalidate_range(pool, 9, 1, 0, 4) == -EINVAL,
	      "range bad type");
	CHECK(zmm_shrink(pool, 1, 0, ZMM_ANON, 10, &freed) == -ENOENT &&
	      freed == 0, "shrink of nothing");
	CHECK(zmm_shrink(pool, 1, 0, ZMM_ANON, 0, &freed) == -EINVAL,
	      "shrink 0");
	CHECK(zmm_arena_info(pool, 1, 0, ZMM_ANON, &info) == -ENOENT,
	      "info of nothing");

	/* duplicate key: replaced, the new data wins */
	CHECK(!zmm_store(pool, &k, 1, 0, pg, PAGE_SIZE), "store");
	gen_page(pg, GEN_ANON, 2);
	CHECK(!zmm_store(pool, &k, 1, 0, pg, PAGE_SIZE), "store dup");
	CHECK(zmm_stat(pool, ZMM_STAT_REPLACED) == 1, "replaced");
	CHECK(!zmm_load(pool, &k, out, PAGE_SIZE, true) &&
	      !memcmp(out, pg, PAGE_SIZE), "dup: new data");
	/* a failed store drops the old data: stale must never come back */
	CHECK(!zmm_store(pool, &k, 1, 0, pg, PAGE_SIZE), "store");
	gen_page(pg, GEN_RANDOM, 3);
	CHECK(zmm_store(pool, &k, 1, 0, pg, PAGE_SIZE) == -E2BIG, "poor");
	CHECK(zmm_load(pool, &k, out, PAGE_SIZE, true) == -ENOENT,
	      "stale data after failed store");
	/* shrink of an arena that exists but is empty */
	CHECK(zmm_shrink(pool, 1, 0, ZMM_ANON, 10, &freed) == -ENOENT,
	      "shrink of emptied arena");

	zmm_params_default(&p);
	p.accept_pct = 5;
	CHECK(zmm_params_check(&p) == -EINVAL, "accept_pct");
	CHECK(!zmm_pool_create(&p, &ops), "create with bad params");
	zmm_params_default(&p);
	p.min_order = 3;
	CHECK(zmm_params_check(&p) == -EINVAL, "min_order");
	zmm_params_default(&p);
	p.comp = ZMM_NR_COMPS;
	CHECK(zmm_params_check(&p) == -EINVAL, "comp");
	zmm_params_default(&p);
	p.comp = ZMM_COMP_ZSTD;
	p.zstd_level = 30;
	CHECK(zmm_params_check(&p) == -EINVAL, "zstd level");
	zmm_params_default(&p);
	p.compact_slack_pct = 51;
	CHECK(zmm_params_check(&p) == -EINVAL, "slack");
	ops.alloc_block = NULL;
	zmm_params_default(&p);
	CHECK(!zmm_pool_create(&p, &ops), "create without alloc_block");
	check_pool(pool, &u);
	zmm_pool_destroy(pool);
	CHECK(u.blocks_out == 0, "blocks back");
	uenv_fini(&u);
}

/* ------------------------------------------------------------------ */
/* Randomized operations against a model.                              */

#define M_KEYS 384

struct model {
	bool present[M_KEYS];
	unsigned long seed[M_KEYS];
	bool swapped[M_KEYS];		/* anon: written back */
	unsigned long swap_seed[M_KEYS];
	unsigned long wb_bad;
};

static struct model M;

static enum gen_class m_class(unsigned long seed)
{
	static const enum gen_class mix[] = {
		GEN_TEXT, GEN_ANON, GEN_ANON, GEN_HALF, GEN_TEXT, GEN_ANON,
		GEN_ZERO, GEN_SAME, GEN_RANDOM, GEN_ANON,
	};

	return mix[seed % ARRAY_SIZE(mix)];
}

/* keys 0..M_KEYS/2-1 anon (id 3), the rest file (ids 10..13) */
static struct zmm_key m_key(unsigned int i)
{
	if (i < M_KEYS / 2)
		return K(ZMM_ANON, 3, i * 37);
	return K(ZMM_FILE, 10 + i % 4, i);
}

static unsigned int m_owner(unsigned int i)
{
	return 1 + i % 2;
}

static int m_writeback(void *priv, const struct zmm_key *key,
		       struct zmm_writeback *wb)
{
	static unsigned char page[PAGE_SIZE];
	unsigned int i = key->index / 37;
	int ret;

	if (key->type != ZMM_ANON || key->id != 3 || key->index % 37 ||
	    i >= M_KEYS / 2 || !M.present[i]) {
		M.wb_bad++;
		return -EINVAL;
	}
	ret = zmm_writeback_fill(wb, page);
	if (ret) {
		M.wb_bad++;
		return ret;
	}
	gen_page(pg, m_class(M.seed[i]), M.seed[i]);
	if (memcmp(pg, page, PAGE_SIZE))
		M.wb_bad++;
	M.swapped[i] = true;
	M.swap_seed[i] = M.seed[i];
	M.present[i] = false;
	return 0;
}

static void m_reconcile_drops(struct zmm_pool *pool)
{
	unsigned int i;

	for (i = M_KEYS / 2; i < M_KEYS; i++) {
		struct zmm_key k = m_key(i);

		if (M.present[i] && !index_contains(pool, &k))
			M.present[i] = false;
	}
}

static void test_model(void)
{
	unsigned long nops = 100000, s = 42, op;
	struct uenv u;
	struct zmm_pool *pool;
	const char *env = getenv("ZMM_TEST_OPS");
	unsigned long drops_before;
	unsigned int i;

	if (env)
		nops = strtoul(env, NULL, 0);
	memset(&M, 0, sizeof(M));
	/* small blocks, so that a few hundred keys span many of them */
	pool = mkpool(&u, ZMM_COMP_LZ4, 4);
	u.writeback = m_writeback;
	CHECK(pool, "pool");
	for (op = 0; op < nops && !t_failed_checks; op++) {
		unsigned long r = xrand(&s);
		struct zmm_key k;
		int ret;

		i = r % M_KEYS;
		k = m_key(i);
		switch ((r >> 20) % 16) {
		case 0 ... 6: {
			unsigned long seed = xrand(&s);

			gen_page(pg, m_class(seed), seed);
			ret = zmm_store(pool, &k, m_owner(i), 0, pg,
					PAGE_SIZE);
			CHECK(!ret || (ret == -E2BIG &&
				       m_class(seed) == GEN_RANDOM) ||
			      (ret == -EOPNOTSUPP &&
			       same_file(m_class(seed), &k)),
			      "store %d", ret);
			M.present[i] = !ret;
			M.seed[i] = seed;
			break;
		}
		case 7 ... 10: {
			bool excl = (r >> 24) % 4;

			ret = zmm_load(pool, &k, out, PAGE_SIZE, excl);
			if (M.present[i]) {
				gen_page(pg, m_class(M.seed[i]), M.seed[i]);
				CHECK(!ret && !memcmp(pg, out, PAGE_SIZE),
				      "op %lu load key %u: %d", op, i, ret);
			} else {
				CHECK(ret == -ENOENT, "op %lu load absent %u",
				      op, i);
			}
			if (excl)
				M.present[i] = false;
			break;
		}
		case 11 ... 12:
			ret = zmm_invalidate(pool, &k);
			CHECK(ret == (M.present[i] ? 0 : -ENOENT),
			      "invalidate %d", ret);
			M.present[i] = false;
			break;
		case 13: {
			unsigned long want = 1 + (r >> 32) % 64, freed;
			enum zmm_type t = (r >> 40) & 1;

			drops_before = zmm_stat(pool, ZMM_STAT_EVICT_DROP);
			ret = zmm_shrink(pool, 1 + ((r >> 41) & 1), 0, t, want,
					 &freed);
			CHECK(ret == 0 || ret == -EAGAIN || ret == -ENOENT,
			      "shrink %d", ret);
			if (!ret)
				CHECK(freed >= want && freed < want + 32,
				      "shrink wanted %lu freed %lu", want,
				      freed);
			if (t == ZMM_FILE) {
				unsigned long before = 0, after = 0;

				for (i = M_KEYS / 2; i < M_KEYS; i++)
					before += M.present[i];
				m_reconcile_drops(pool);
				for (i = M_KEYS / 2; i < M_KEYS; i++)
					after += M.present[i];
				CHECK(before - after ==
				      zmm_stat(pool, ZMM_STAT_EVICT_DROP) -
				      drops_before, "drops");
			}
			break;
		}
		case 14:
			zmm_compact(pool, 1 + ((r >> 32) & 1), 0,
				    (r >> 33) & 1);
			break;
		default: {
			/* a file truncated from some index on */
			u64 id = 10 + (r >> 32) % 4, from = (r >> 36) % M_KEYS;
			long n = zmm_invalidate_range(pool, ZMM_FILE, id, from,
						      U64_MAX);
			long expect = 0;

			for (i = M_KEYS / 2; i < M_KEYS; i++) {
				struct zmm_key kk = m_key(i);

				if (kk.id == id && kk.index >= from &&
				    M.present[i]) {
					expect++;
					M.present[i] = false;
				}
			}
			CHECK(n == expect, "range dropped %ld expected %ld", n,
			      expect);
			break;
		}
		}
		check_pool(pool, &u);
	}
	CHECK(!M.wb_bad, "%lu bad writebacks", M.wb_bad);
	/* every key is where the model says, with the right data */
	for (i = 0; i < M_KEYS; i++) {
		struct zmm_key k = m_key(i);
		int ret = zmm_load(pool, &k, out, PAGE_SIZE, true);

		if (M.present[i]) {
			gen_page(pg, m_class(M.seed[i]), M.seed[i]);
			CHECK(!ret && !memcmp(pg, out, PAGE_SIZE), "final %u",
			      i);
		} else {
			CHECK(ret == -ENOENT, "final absent %u", i);
		}
	}
	check_pool(pool, &u);
	CHECK(u.blocks_out == 0, "blocks out %ld with an empty pool",
	      u.blocks_out);
	/* a short run (valgrind) may not get that far */
	CHECK(nops < 50000 || (zmm_stat(pool, ZMM_STAT_EVICT_WB) > 0 &&
			       zmm_stat(pool, ZMM_STAT_COMPACT_MOVES) > 0 &&
			       u.allocs[4] + u.allocs[5] > 0),
	      "the test did not exercise writeback/compaction/fallback");
	printf("# model: %lu ops, %lu stored, %lu written back, %lu dropped, "
	       "%lu moves, %lu blocks freed\n", op,
	       zmm_stat(pool, ZMM_STAT_STORED),
	       zmm_stat(pool, ZMM_STAT_EVICT_WB),
	       zmm_stat(pool, ZMM_STAT_EVICT_DROP),
	       zmm_stat(pool, ZMM_STAT_COMPACT_MOVES),
	       zmm_stat(pool, ZMM_STAT_BLOCKS_FREED));
	zmm_pool_destroy(pool);
	uenv_fini(&u);
}

/* ------------------------------------------------------------------ */

static void fill(struct zmm_pool *pool, enum zmm_type t, u32 owner,
		 unsigned int n, unsigned int base)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		struct zmm_key k = K(t, 1, base + i);

		gen_page(pg, i % 2 ? GEN_TEXT : GEN_ANON, base + i);
		CHECK(!zmm_store(pool, &k, owner, 0, pg, PAGE_SIZE), "fill %u",
		      i);
	}
}

static unsigned long wb_count, wb_fail_left;
static u64 wb_order[4096];

static int count_writeback(void *priv, const struct zmm_key *key,
			   struct zmm_writeback *wb)
{
	static unsigned char page[PAGE_SIZE];

	if (wb_fail_left) {
		wb_fail_left--;
		return -EIO;
	}
	if (zmm_writeback_fill(wb, page))
		return -EIO;
	gen_page(pg, key->index % 2 ? GEN_TEXT : GEN_ANON, key->index);
	CHECK(!memcmp(pg, page, PAGE_SIZE), "writeback data of %llu",
	      (unsigned long long)key->index);
	if (wb_count < ARRAY_SIZE(wb_order))
		wb_order[wb_count] = key->index;
	wb_count++;
	return 0;
}

static void test_shrink(void)
{
	struct uenv u;
	struct zmm_pool *pool = mkpool(&u, ZMM_COMP_LZ4, ZMM_BLOCK_ORDER_MAX);
	struct zmm_arena_info info;
	unsigned long freed, i;
	int ret;

	u.writeback = count_writeback;
	wb_count = 0;
	fill(pool, ZMM_ANON, 1, 3000, 0);
	zmm_arena_info(pool, 1, 0, ZMM_ANON, &info);
	CHECK(info.nr_blocks[9] >= 2, "2 MiB blocks: %lu", info.nr_blocks[9]);

	/* a load that keeps key 0 makes it the hottest */
	{
		struct zmm_key k0 = K(ZMM_ANON, 1, 0);

		CHECK(!zmm_load(pool, &k0, out, PAGE_SIZE, false), "keep 0");
	}
	/* coldest first: the first zpages stored are written back first */
	ret = zmm_shrink(pool, 1, 0, ZMM_ANON, 600, &freed);
	CHECK(!ret && freed >= 600 && freed < 600 + 512, "shrink: %d %lu",
	      ret, freed);
	CHECK(wb_count > 1 && wb_count < 3000, "wrote back %lu", wb_count);
	for (i = 0; i < wb_count && i < ARRAY_SIZE(wb_order); i++)
		CHECK(wb_order[i] == i + 1, "evicted %llu as #%lu",
		      (unsigned long long)wb_order[i], i);
	for (i = 1; i <= wb_count; i++) {
		struct zmm_key k = K(ZMM_ANON, 1, i);

		CHECK(zmm_load(pool, &k, out, PAGE_SIZE, true) == -ENOENT,
		      "written back key still loadable");
	}
	check_pool(pool, &u);

	/* writeback failures: kept, loadable, and the shrink says so */
	wb_fail_left = 1000;
	ret = zmm_shrink(pool, 1, 0, ZMM_ANON, 512, &freed);
	CHECK(ret == -EAGAIN, "shrink with failing writeback: %d", ret);
	CHECK(zmm_stat(pool, ZMM_STAT_WB_FAIL) >= 16, "wb fails");
	wb_fail_left = 0;
	check_pool(pool, &u);

	/* asking for more than held frees everything and says -EAGAIN */
	zmm_arena_info(pool, 1, 0, ZMM_ANON, &info);
	ret = zmm_shrink(pool, 1, 0, ZMM_ANON, info.pages_held + 100, &freed);
	CHECK(ret == -EAGAIN && freed == info.pages_held,
	      "over-shrink: %d freed %lu held %lu", ret, freed,
	      info.pages_held);
	CHECK(wb_count + zmm_stat(pool, ZMM_STAT_SAME_FILLED) == 3000 ||
	      wb_count == 3000 - zmm_stat(pool, ZMM_STAT_NR_ZPAGES),
	      "every zpage written back: %lu", wb_count);
	check_pool(pool, &u);
	CHECK(u.blocks_out == 0, "all blocks back");

	/* file zpages are dropped */
	fill(pool, ZMM_FILE, 2, 2000, 0);
	zmm_arena_info(pool, 2, 0, ZMM_FILE, &info);
	ret = zmm_shrink(pool, 2, 0, ZMM_FILE, info.pages_held / 2, &freed);
	CHECK(!ret && freed >= info.pages_held / 2 &&
	      freed < info.pages_held / 2 + 512, "file shrink %lu of %lu",
	      freed, info.pages_held);
	CHECK(zmm_stat(pool, ZMM_STAT_EVICT_DROP) > 0, "drops");
	check_pool(pool, &u);
	zmm_pool_destroy(pool);
	CHECK(u.blocks_out == 0, "blocks back");
	uenv_fini(&u);
}

/*
 * Writeback that checks the data against what fill() stored (indexes
 * below 10000) or a same-filled page (GEN_SAME, from 10000 on).
 */
static unsigned long dr_count, dr_bad;
/* keys whose index is a multiple of this have their page "in memory" */
static unsigned long dr_cached_mod, dr_dropped;
/* anon keys whose index is below this always fail their writeback */
static unsigned long dr_fail_below;
/* ... and those whose index is at least this, unless it is 0 */
static unsigned long dr_fail_from;
/* index of the last zpage written back */
static u64 dr_last;

static int drain_writeback(void *priv, const struct zmm_key *key,
			   struct zmm_writeback *wb)
{
	static unsigned char page[PAGE_SIZE], want[PAGE_SIZE];
	int ret;

	if (wb_fail_left) {
		wb_fail_left--;
		return -EBUSY;
	}
	if (key->index < dr_fail_below ||
	    (dr_fail_from && key->index >= dr_fail_from))
		return -EBUSY;
	if (dr_cached_mod && !(key->index % dr_cached_mod)) {
		/* the kernel found the slot's folio in the swap cache */
		ret = zmm_writeback_drop(wb);
		if (!ret)
			dr_dropped++;
		return ret;
	}
	ret = zmm_writeback_fill(wb, page);
	if (ret)
		return ret;
	if (key->index >= 10000)
		gen_page(want, GEN_SAME, key->index);
	else
		gen_page(want, key->index % 2 ? GEN_TEXT : GEN_ANON,
			 key->index);
	if (memcmp(want, page, PAGE_SIZE))
		dr_bad++;
	dr_count++;
	dr_last = key->index;
	return 0;
}

/* Make @u write back through drain_writeback(), every knob of it reset. */
static void drain_setup(struct uenv *u)
{
	u->writeback = drain_writeback;
	dr_count = 0;
	dr_bad = 0;
	dr_dropped = 0;
	dr_cached_mod = 0;
	dr_fail_below = 0;
	dr_fail_from = 0;
	wb_fail_left = 0;
}

static unsigned long held_of(struct zmm_pool *pool, u32 owner,
			     enum zmm_type type)
{
	struct zmm_arena_info info;

	zmm_arena_info(pool, owner, 0, type, &info);
	return info.pages_held;
}

/* The key index of the zpage at one end of @a's LRU. */
static u64 lru_end_index(struct zmm_arena *a, enum zmm_lru_end end)
{
	struct zmm_entry *e;
	u64 idx;

	spin_lock(&a->lock);
	e = end == ZMM_LRU_COLD ?
	    list_first_entry(&a->lru, struct zmm_entry, lru) :
	    list_last_entry(&a->lru, struct zmm_entry, lru);
	idx = e->index;
	spin_unlock(&a->lock);
	return idx;
}

/* Pool-wide reclaim: file first, then anon in proportion; then a drain. */
/* the compressor of the zpage @key holds, or -1 if it holds none */
static int key_comp(struct zmm_pool *pool, const struct zmm_key *key)
{
	struct zmm_shard *s = zmm_shard_of(pool, key->type, key->id,
					   key->index);
	struct zmm_entry *e;
	int comp = -1;

	spin_lock(&s->lock);
	e = zmm_index_lookup(s, key);
	if (e && e->arena) {
		spin_lock(&e->arena->lock);
		comp = e->comp;
		spin_unlock(&e->arena->lock);
	}
	spin_unlock(&s->lock);
	return comp;
}

/* every key of fill(@n) that the pool holds reads back right */
static unsigned long check_fill(struct zmm_pool *pool, u32 id,
				unsigned int n, bool exclusive)
{
	unsigned long found = 0;
	unsigned int i;
	int ret;

	for (i = 0; i < n; i++) {
		struct zmm_key k = K(ZMM_ANON, id, i);

		ret = zmm_load(pool, &k, out, PAGE_SIZE, exclusive);
		if (ret == -ENOENT)
			continue;
		gen_page(pg, i % 2 ? GEN_TEXT : GEN_ANON, i);
		CHECK(!ret && !memcmp(pg, out, PAGE_SIZE), "data of %u: %d",
		      i, ret);
		found++;
	}
	return found;
}

/*
 * A second compressor (zmm_params.recomp): a shrink recompresses cold
 * zpages in place before it writes any back, each zpage gets that chance
 * once, the data stays right through loads, moves to an heir and
 * writeback, and bad settings are refused.
 */
static void test_recompress(void)
{
	unsigned long freed, held, stored, recomp;
	struct zmm_arena_info info;
	struct zmm_key k0 = K(ZMM_ANON, 1, 0);
	struct zmm_params p;
	struct zmm_pool *pool;
	struct zmm_ops ops;
	struct uenv u;
	int ret;

	/* refused: the same compressor twice, or an unknown one */
	zmm_params_default(&p);
	p.recomp = p.comp;
	CHECK(zmm_params_check(&p) == -EINVAL, "recomp == comp accepted");
	p.recomp = ZMM_COMP_NONE + 1;
	CHECK(zmm_params_check(&p) == -EINVAL, "unknown recomp accepted");
	uenv_init(&u);
	ops = uenv_ops(&u);
	CHECK(!zmm_pool_create(&p, &ops), "pool with a bad recomp");
	uenv_fini(&u);

	pool = mkpool_recomp(&u, ZMM_COMP_LZ4, ZMM_COMP_ZSTD,
			     ZMM_BLOCK_ORDER_MAX);
	CHECK(pool, "pool");
	if (!pool)
		return;
	p = pool->params;
	p.recomp = ZMM_COMP_NONE;
	CHECK(zmm_pool_set_params(pool, &p) == -EBUSY,
	      "recomp changed under a live pool");
	u.writeback = count_writeback;
	wb_count = 0;
	fill(pool, ZMM_ANON, 1, 3000, 0);
	stored = 3000 - zmm_stat(pool, ZMM_STAT_SAME_FILLED);
	zmm_arena_info(pool, 1, 0, ZMM_ANON, &info);
	held = info.pages_held;

	/*
	 * A quarter of the pool, more than the small first blocks give by
	 * evacuation into the head's free tail: recompression pays for the
	 * rest, with no writeback.
	 */
	ret = zmm_shrink(pool, 1, 0, ZMM_ANON, held / 4, &freed);
	recomp = zmm_stat(pool, ZMM_STAT_RECOMP);
	CHECK(!ret && freed >= held / 4, "shrink: %d, %lu of %lu", ret, freed,
	      held / 4);
	CHECK(!wb_count, "wrote back %lu with zpages still to recompress",
	      wb_count);
	CHECK(recomp > 0 && recomp < stored, "recompressed %lu of %lu",
	      recomp, stored);
	CHECK(zmm_stat(pool, ZMM_STAT_RECOMP_SAVED) > 0, "bytes saved");
	/* coldest first: the first stored went first */
	CHECK(key_comp(pool, &k0) == ZMM_COMP_ZSTD, "key 0 in %d",
	      key_comp(pool, &k0));
	check_pool(pool, &u);

	/* every page reads back, in either compressor (kept: hot again) */
	CHECK(check_fill(pool, 1, 3000, false) == 3000, "all loadable");
	check_pool(pool, &u);

	/* moved to an heir, recompressed zpages keep their compressor */
	CHECK(!zmm_owner_gone(pool, 1, 2), "owner gone left zpages");
	CHECK(key_comp(pool, &k0) == ZMM_COMP_ZSTD, "moved key 0 in %d",
	      key_comp(pool, &k0));
	CHECK(check_fill(pool, 1, 3000, false) == 3000, "all loadable");
	check_pool(pool, &u);

	/* all of it: each zpage had its one chance, then all went */
	zmm_arena_info(pool, 2, 0, ZMM_ANON, &info);
	ret = zmm_shrink(pool, 2, 0, ZMM_ANON, info.pages_held + 100, &freed);
	CHECK(ret == -EAGAIN && freed == info.pages_held,
	      "over-shrink: %d, %lu of %lu", ret, freed, info.pages_held);
	CHECK(wb_count == stored, "wrote back %lu of %lu", wb_count, stored);
	CHECK(zmm_stat(pool, ZMM_STAT_RECOMP) +
	      zmm_stat(pool, ZMM_STAT_RECOMP_POOR) == stored,
	      "second chances %lu + %lu for %lu zpages",
	      zmm_stat(pool, ZMM_STAT_RECOMP),
	      zmm_stat(pool, ZMM_STAT_RECOMP_POOR), stored);
	check_pool(pool, &u);
	zmm_pool_destroy(pool);
	CHECK(u.blocks_out == 0, "blocks back");
	uenv_fini(&u);

	/*
	 * lz4 after zstd never saves an eighth: every try is poor, and the
	 * shrink writes back coldest first as with no second compressor.
	 */
	pool = mkpool_recomp(&u, ZMM_COMP_ZSTD, ZMM_COMP_LZ4,
			     ZMM_BLOCK_ORDER_MAX);
	CHECK(pool, "pool");
	if (!pool)
		return;
	u.writeback = count_writeback;
	wb_count = 0;
	fill(pool, ZMM_ANON, 1, 3000, 0);
	zmm_arena_info(pool, 1, 0, ZMM_ANON, &info);
	ret = zmm_shrink(pool, 1, 0, ZMM_ANON, info.pages_held / 4, &freed);
	CHECK(!ret && wb_count > 0, "shrink: %d, wrote back %lu", ret,
	      wb_count);
	CHECK(!zmm_stat(pool, ZMM_STAT_RECOMP) &&
	      zmm_stat(pool, ZMM_STAT_RECOMP_POOR) == wb_count,
	      "recompressed %lu, poor %lu, written %lu",
	      zmm_stat(pool, ZMM_STAT_RECOMP),
	      zmm_stat(pool, ZMM_STAT_RECOMP_POOR), wb_count);
	CHECK(wb_order[0] == 0 && wb_order[wb_count - 1] < 3000,
	      "first written back %llu", (unsigned long long)wb_order[0]);
	CHECK(check_fill(pool, 1, 3000, true) == 3000 - wb_count -
	      zmm_stat(pool, ZMM_STAT_SAME_FILLED) +
	      zmm_stat(pool, ZMM_STAT_SAME_FILLED), "the rest loadable");
	check_pool(pool, &u);
	zmm_pool_destroy(pool);
	CHECK(u.blocks_out == 0, "blocks back");
	uenv_fini(&u);
}

static void test_reclaim_and_drain(void)
{
	struct uenv u;
	struct zmm_pool *pool = mkpool(&u, ZMM_COMP_LZ4, ZMM_BLOCK_ORDER_MAX);
	unsigned long file, a3, a4, want, freed, left, cached, busy, i;
	long n;
	int ret;

	drain_setup(&u);
	/* arenas of several blocks: one block of overshoot is a fraction */
	fill(pool, ZMM_ANON, 3, 4000, 0);
	fill(pool, ZMM_ANON, 4, 4000, 5000);
	fill(pool, ZMM_FILE, 5, 1500, 0);
	for (i = 10000; i < 10100; i++) {
		struct zmm_key k = K(ZMM_ANON, 1, i);

		gen_page(pg, GEN_SAME, i);
		CHECK(!zmm_store(pool, &k, 3, 0, pg, PAGE_SIZE), "same %lu", i);
	}
	file = held_of(pool, 5, ZMM_FILE);
	a3 = held_of(pool, 3, ZMM_ANON);
	a4 = held_of(pool, 4, ZMM_ANON);
	CHECK(file > 64 && a3 > 64 && a4 > 64, "held %lu %lu %lu", file, a3,
	      a4);
	CHECK(zmm_reclaim(pool, ZMM_OWNER_ANY, 0, &freed) == -EINVAL, "nr 0");
	CHECK(zmm_reclaim(pool, ZMM_OWNER_ANY, 1, NULL) == -EINVAL, "no freed");

	/* file zpages go first: no writeback */
	ret = zmm_reclaim(pool, ZMM_OWNER_ANY, file / 2, &freed);
	CHECK(!ret && freed >= file / 2, "file half: %d %lu", ret, freed);
	CHECK(!dr_count, "wrote back %lu anon zpages for a file shrink",
	      dr_count);
	CHECK(u.dropped[5] > 0 &&
	      u.dropped[5] == zmm_stat(pool, ZMM_STAT_EVICT_DROP) &&
	      u.dropped[3] + u.dropped[4] == 0,
	      "dropped callback: owner 5 %lu, evict_drop %lu, others %lu",
	      u.dropped[5], zmm_stat(pool, ZMM_STAT_EVICT_DROP),
	      u.dropped[3] + u.dropped[4]);
	CHECK(held_of(pool, 3, ZMM_ANON) == a3 &&
	      held_of(pool, 4, ZMM_ANON) == a4, "anon arenas shrank");
	check_pool(pool, &u);

	/* one owner's reclaim takes from its own arenas only, file first */
	file = held_of(pool, 5, ZMM_FILE);
	want = a3 / 4;
	ret = zmm_reclaim(pool, 3, want, &freed);
	CHECK(!ret && freed >= want, "owner 3: %d %lu of %lu", ret, freed,
	      want);
	CHECK(a3 - held_of(pool, 3, ZMM_ANON) >= want, "owner 3 held %lu",
	      held_of(pool, 3, ZMM_ANON));
	CHECK(held_of(pool, 4, ZMM_ANON) == a4 &&
	      held_of(pool, 5, ZMM_FILE) == file, "other owners shrank");
	a3 = held_of(pool, 3, ZMM_ANON);
	ret = zmm_reclaim(pool, 77, 1, &freed);
	CHECK(ret == -EAGAIN && !freed, "no such owner: %d %lu", ret, freed);
	check_pool(pool, &u);

	/*
	 * Pool-wide, an owner whose writeback is off keeps its anon zpages
	 * (memory.zpages.writeback=0); its own reclaim still takes them.
	 */
	u.no_writeback[4] = true;
	zmm_reclaim(pool, 5, ULONG_MAX, &freed);
	CHECK(!held_of(pool, 5, ZMM_FILE), "file left: %lu",
	      held_of(pool, 5, ZMM_FILE));
	/* each arena comes first in one of two walks (reclaim_start) */
	for (i = 0; i < 2; i++) {
		ret = zmm_reclaim(pool, ZMM_OWNER_ANY, 1, &freed);
		CHECK(!ret && freed, "pool-wide %lu: %d %lu", i, ret, freed);
	}
	CHECK(held_of(pool, 4, ZMM_ANON) == a4 && held_of(pool, 3, ZMM_ANON) < a3,
	      "no writeback for owner 4: held %lu -> %lu, owner 3 %lu -> %lu",
	      a4, held_of(pool, 4, ZMM_ANON), a3, held_of(pool, 3, ZMM_ANON));
	ret = zmm_reclaim(pool, 4, 1, &freed);
	CHECK(!ret && held_of(pool, 4, ZMM_ANON) < a4,
	      "owner 4's own reclaim: %d, held %lu -> %lu", ret, a4,
	      held_of(pool, 4, ZMM_ANON));
	u.no_writeback[4] = false;
	a3 = held_of(pool, 3, ZMM_ANON);
	a4 = held_of(pool, 4, ZMM_ANON);
	check_pool(pool, &u);

	/* then anon, every arena in proportion to what it holds */
	want = held_of(pool, 5, ZMM_FILE) + (a3 + a4) / 2;
	ret = zmm_reclaim(pool, ZMM_OWNER_ANY, want, &freed);
	CHECK(!ret && freed >= want, "anon half: %d %lu of %lu", ret, freed,
	      want);
	CHECK(!held_of(pool, 5, ZMM_FILE), "file left");
	CHECK(a3 - held_of(pool, 3, ZMM_ANON) >= a3 / 4 &&
	      a4 - held_of(pool, 4, ZMM_ANON) >= a4 / 4,
	      "not proportional: %lu -> %lu, %lu -> %lu", a3,
	      held_of(pool, 3, ZMM_ANON), a4, held_of(pool, 4, ZMM_ANON));
	CHECK(dr_count > 0 && !dr_bad, "written back %lu, %lu bad", dr_count,
	      dr_bad);
	check_pool(pool, &u);

	/* a drain with writeback failing keeps everything, loadable */
	left = zmm_stat(pool, ZMM_STAT_NR_ZPAGES);
	wb_fail_left = ULONG_MAX;
	n = zmm_writeback_all(pool);
	CHECK(n == 0 && zmm_stat(pool, ZMM_STAT_NR_ZPAGES) == left,
	      "failing drain: %ld, %lu left of %lu", n,
	      zmm_stat(pool, ZMM_STAT_NR_ZPAGES), left);
	wb_fail_left = 0;
	check_pool(pool, &u);

	/*
	 * The drain writes back everything, same-filled zpages included;
	 * zpages whose page is in memory already are dropped unread.
	 */
	dr_count = 0;
	dr_dropped = 0;
	dr_cached_mod = 7;
	cached = zmm_stat(pool, ZMM_STAT_EVICT_CACHED);
	n = zmm_writeback_all(pool);
	dr_cached_mod = 0;
	CHECK(n == (long)left && dr_count + dr_dropped == left && !dr_bad,
	      "drain: %ld of %lu (%lu dropped), %lu bad", n, left, dr_dropped,
	      dr_bad);
	CHECK(dr_dropped > 0 &&
	      zmm_stat(pool, ZMM_STAT_EVICT_CACHED) - cached == dr_dropped,
	      "dropped %lu, evict_cached %lu", dr_dropped,
	      zmm_stat(pool, ZMM_STAT_EVICT_CACHED) - cached);
	CHECK(!zmm_stat(pool, ZMM_STAT_NR_ZPAGES), "%lu zpages left",
	      zmm_stat(pool, ZMM_STAT_NR_ZPAGES));
	for (i = 10000; i < 10100; i++) {
		struct zmm_key k = K(ZMM_ANON, 1, i);

		CHECK(zmm_load(pool, &k, out, PAGE_SIZE, true) == -ENOENT,
		      "drained key %lu loadable", i);
	}
	check_pool(pool, &u);

	/*
	 * A zpage whose writeback fails is rotated to the other end, as vmscan
	 * rotates a folio it could not reclaim: with more failing zpages at
	 * the cold end than one shrink passes over (a large folio of their
	 * slots in the swap cache), shrinks still get past them.  Kept at
	 * the cold end, they stopped every shrink before it wrote a page.
	 */
	fill(pool, ZMM_ANON, 9, 3000, 0);
	dr_fail_below = 4 * ZMM_SHRINK_MAX_FAILS;
	dr_count = 0;
	busy = zmm_stat(pool, ZMM_STAT_WB_BUSY);
	for (i = 0; i < 16 && !dr_count; i++)
		zmm_shrink(pool, 9, 0, ZMM_ANON, 4, &freed);
	CHECK(dr_count > 0, "shrinks past %lu failing zpages: %lu written",
	      dr_fail_below, dr_count);
	/* each was tried once: a failed one is not retried before the rest */
	CHECK(zmm_stat(pool, ZMM_STAT_WB_BUSY) - busy == dr_fail_below,
	      "writeback_busy %lu for %lu failing zpages",
	      zmm_stat(pool, ZMM_STAT_WB_BUSY) - busy, dr_fail_below);
	{
		struct zmm_arena *a = zmm_arena_find(pool, 9, 0, ZMM_ANON,
						     false);
		struct zmm_entry *cold = NULL, *hot = NULL;

		if (a) {
			spin_lock(&a->lock);
			cold = list_first_entry_or_null(&a->lru,
							struct zmm_entry, lru);
			hot = list_last_entry(&a->lru, struct zmm_entry, lru);
			spin_unlock(&a->lock);
		}
		CHECK(cold && cold->index >= dr_fail_below &&
		      hot->index < dr_fail_below,
		      "failed zpages at the hot end: coldest %lld, hottest %lld",
		      cold ? (long long)cold->index : -1LL,
		      cold ? (long long)hot->index : -1LL);
		if (a)
			zmm_arena_put(a);
	}
	dr_fail_below = 0;
	check_pool(pool, &u);

	/*
	 * Evicting from the hot end (a cyclic pattern, see
	 * evict_end_follows_refaults), the zpages just stored are the ones
	 * whose folios reclaim still holds locked: a failure goes to the
	 * cold end, or the next hot-end eviction would try it again, and
	 * again, until the shrink gave up.
	 */
	fill(pool, ZMM_ANON, 10, 1000, 20000);
	dr_fail_from = 21000 - ZMM_SHRINK_MAX_FAILS;
	dr_count = 0;
	{
		struct zmm_arena *a = zmm_arena_find(pool, 10, 0, ZMM_ANON,
						     false);
		unsigned long idx = 0;

		for (i = 0; a && i < 2 * ZMM_SHRINK_MAX_FAILS; i++)
			zmm_evict_one(a, ZMM_LRU_HOT, NULL);
		if (a) {
			idx = lru_end_index(a, ZMM_LRU_COLD);
			zmm_arena_put(a);
		}
		CHECK(dr_count == ZMM_SHRINK_MAX_FAILS && idx >= dr_fail_from,
		      "hot end: %lu written in %u evictions past %u failing, coldest now %lu",
		      dr_count, 2 * ZMM_SHRINK_MAX_FAILS, ZMM_SHRINK_MAX_FAILS,
		      idx);
	}
	dr_fail_from = 0;
	check_pool(pool, &u);

	/*
	 * zmm_drain() empties the pool: file zpages on an LRU, anon zpages
	 * of both kinds (same-filled ones on no LRU).  A same-filled file
	 * page is refused, and its key left empty.
	 */
	fill(pool, ZMM_FILE, 5, 300, 0);
	fill(pool, ZMM_ANON, 3, 300, 0);
	for (i = 0; i < 16; i++) {
		struct zmm_key kf = K(ZMM_FILE, 42, i);
		struct zmm_key ka = K(ZMM_ANON, 2, 20000 + i);

		gen_page(pg, GEN_SAME, 10000 + i);
		CHECK(zmm_store(pool, &kf, 5, 0, pg, PAGE_SIZE) == -EOPNOTSUPP &&
		      !index_contains(pool, &kf), "same file refused");
		CHECK(!zmm_store(pool, &ka, 3, 0, pg, PAGE_SIZE), "same anon");
	}
	left = zmm_drain(pool);
	CHECK(!left && !zmm_stat(pool, ZMM_STAT_NR_ZPAGES),
	      "drain left %lu zpages", zmm_stat(pool, ZMM_STAT_NR_ZPAGES));
	check_pool(pool, &u);
	zmm_pool_destroy(pool);
	CHECK(u.blocks_out == 0, "blocks back");
	uenv_fini(&u);
}

static void test_fallback_and_compaction(void)
{
	struct uenv u;
	struct zmm_pool *pool = mkpool(&u, ZMM_COMP_LZ4, 7);
	struct zmm_arena_info info;
	unsigned long held_before, i, freed;
	int ret;

	fill(pool, ZMM_FILE, 1, 4000, 0);
	CHECK(u.allocs[9] == 0 && u.allocs[8] == 0 && u.allocs[7] > 0,
	      "fell back to order 7");
	CHECK(zmm_stat(pool, ZMM_STAT_BLOCKS_O7) == u.allocs[7], "stat o7");
	/* free every other zpage: half of each block is garbage */
	for (i = 0; i < 4000; i += 2) {
		struct zmm_key k = K(ZMM_FILE, 1, i);

		zmm_invalidate(pool, &k);
	}
	zmm_arena_info(pool, 1, 0, ZMM_FILE, &info);
	held_before = info.pages_held;
	freed = zmm_compact(pool, 1, 0, ZMM_FILE);
	zmm_arena_info(pool, 1, 0, ZMM_FILE, &info);
	CHECK(freed > 0 && info.pages_held == held_before - freed,
	      "compaction freed %lu", freed);
	CHECK(zmm_stat(pool, ZMM_STAT_COMPACT_EVAC_BYTES) > 0 &&
	      !zmm_stat(pool, ZMM_STAT_SHRINK_EVAC_BYTES) &&
	      !zmm_stat(pool, ZMM_STAT_COMPACT_RECYCLE_BYTES),
	      "compaction's copies counted as its own");
	CHECK((info.pages_held << PAGE_SHIFT) <=
	      info.bytes_used * 103 / 100 + (PAGE_SIZE << 7) * 2,
	      "after compaction: held %lu pages for %lu bytes",
	      info.pages_held, info.bytes_used);
	check_pool(pool, &u);

	/* no memory at all: stores still succeed in recycled garbage */
	for (i = 1; i < 4000; i += 4) {
		struct zmm_key k = K(ZMM_FILE, 1, i);

		zmm_invalidate(pool, &k);
	}
	u.fail_all = true;
	for (i = 0, ret = 0; i < 500 && !ret; i++) {
		struct zmm_key k = K(ZMM_FILE, 2, i);

		gen_page(pg, GEN_TEXT, i);
		ret = zmm_store(pool, &k, 1, 0, pg, PAGE_SIZE);
	}
	CHECK(i > 100, "stores in recycled space: %lu", i);
	CHECK(zmm_stat(pool, ZMM_STAT_COMPACT_RECYCLE_BYTES) > 0,
	      "recycling counted");
	CHECK(ret == -ENOMEM || ret == 0, "then a clean reject: %d", ret);
	check_pool(pool, &u);
	for (i = 3; i < 4000; i += 4) {
		struct zmm_key k = K(ZMM_FILE, 1, i);

		gen_page(pg, i % 2 ? GEN_TEXT : GEN_ANON, i);
		CHECK(!zmm_load(pool, &k, out, PAGE_SIZE, true) &&
		      !memcmp(pg, out, PAGE_SIZE), "data kept %lu", i);
	}
	u.fail_all = false;
	zmm_pool_destroy(pool);
	CHECK(u.blocks_out == 0, "blocks back");
	uenv_fini(&u);
}

/*
 * A workload dies (an OOM kill, say) and leaves 10 zpages in each of its
 * arenas, scattered over 2 MiB blocks: right after, the blocks are held
 * as slack; one background compaction pass gives all but small blocks
 * back.
 */
static void test_after_exit(void)
{
	struct uenv u;
	struct zmm_pool *pool = mkpool(&u, ZMM_COMP_LZ4, ZMM_BLOCK_ORDER_MAX);
	unsigned long i, anon, file;
	enum zmm_type t;

	fill(pool, ZMM_ANON, 1, 3000, 0);
	fill(pool, ZMM_FILE, 1, 3000, 0);
	for (t = ZMM_ANON; t <= ZMM_FILE; t++)
		for (i = 0; i < 3000; i++) {
			struct zmm_key k = K(t, 1, i);

			if (i % 300)
				CHECK(!zmm_invalidate(pool, &k), "inval %lu", i);
		}
	anon = held_of(pool, 1, ZMM_ANON);
	file = held_of(pool, 1, ZMM_FILE);
	CHECK(zmm_stat(pool, ZMM_STAT_NR_ZPAGES) == 20, "20 zpages left");
	/* slack: the blocks the 20 zpages keep alive until compaction */
	CHECK(anon + file > 4UL << ZMM_BLOCK_ORDER_MIN,
	      "held %lu + %lu before compaction", anon, file);
	zmm_compact_all(pool);
	CHECK(held_of(pool, 1, ZMM_ANON) <= 2UL << ZMM_BLOCK_ORDER_MIN &&
	      held_of(pool, 1, ZMM_FILE) <= 2UL << ZMM_BLOCK_ORDER_MIN,
	      "20 zpages: held %lu + %lu before compaction, %lu + %lu after",
	      anon, file, held_of(pool, 1, ZMM_ANON),
	      held_of(pool, 1, ZMM_FILE));
	for (i = 0; i < 3000; i += 300) {
		struct zmm_key k = K(ZMM_ANON, 1, i);

		gen_page(pg, i % 2 ? GEN_TEXT : GEN_ANON, i);
		CHECK(!zmm_load(pool, &k, out, PAGE_SIZE, true) &&
		      !memcmp(pg, out, PAGE_SIZE), "data kept %lu", i);
	}
	check_pool(pool, &u);
	zmm_pool_destroy(pool);
	CHECK(u.blocks_out == 0, "blocks back");
	uenv_fini(&u);
}

/* The policy the core holds: admission at the pool limit, when to compact. */
static int t_kicks[ZMM_NR_WORK];

static void t_kick(void *priv, enum zmm_work work)
{
	t_kicks[work]++;
}

/*
 * Background recompression: reclaim's first ask of an arena kicks the
 * work once; a run recompresses the old zpages, coldest first, leaves
 * the young ones, writes nothing back and compacts what they saved.
 */
static void test_recompress_background(void)
{
	struct zmm_key k0 = K(ZMM_ANON, 1, 0), ky = K(ZMM_ANON, 1, 2999);
	struct zmm_arena_info info;
	unsigned long held, freed;
	struct zmm_params p;
	struct zmm_pool *pool;
	struct zmm_ops ops;
	struct uenv u;

	memset(t_kicks, 0, sizeof(t_kicks));
	uenv_init(&u);
	zmm_params_default(&p);
	p.recomp = ZMM_COMP_ZSTD;
	ops = uenv_ops(&u);
	ops.kick = t_kick;
	u.writeback = count_writeback;
	wb_count = 0;
	pool = zmm_pool_create(&p, &ops);
	CHECK(pool, "pool");
	if (!pool)
		return;
	fill(pool, ZMM_ANON, 1, 3000, 0);
	CHECK(!zmm_recompress_all(pool) && !zmm_stat(pool, ZMM_STAT_RECOMP),
	      "recompressed with no ask");
	/* a credit absorbs the asks: nothing is evicted by them */
	zmm_shrink_asked(pool, 1, 0, ZMM_ANON, 1, false);
	zmm_shrink_asked(pool, 1, 0, ZMM_ANON, 1, false);
	CHECK(t_kicks[ZMM_WORK_RECOMPRESS] == 1, "asks kicked %d times",
	      t_kicks[ZMM_WORK_RECOMPRESS]);
	zmm_arena_info(pool, 1, 0, ZMM_ANON, &info);
	held = info.pages_held;
	freed = zmm_recompress_all(pool);
	zmm_arena_info(pool, 1, 0, ZMM_ANON, &info);
	CHECK(zmm_stat(pool, ZMM_STAT_RECOMP_BG) >= 1024,
	      "recompressed %lu in the background",
	      zmm_stat(pool, ZMM_STAT_RECOMP_BG));
	CHECK(freed > 0 && info.pages_held <= held - freed,
	      "compacted %lu of %lu pageframes, %lu now", freed, held,
	      info.pages_held);
	CHECK(key_comp(pool, &k0) == ZMM_COMP_ZSTD, "the coldest in %d",
	      key_comp(pool, &k0));
	/* a batch of 1024 ran out before the old half: another run asked */
	CHECK(t_kicks[ZMM_WORK_RECOMPRESS] == 2, "kicks %d",
	      t_kicks[ZMM_WORK_RECOMPRESS]);
	zmm_recompress_all(pool);
	CHECK(zmm_stat(pool, ZMM_STAT_RECOMP_BG) <= 1501,
	      "recompressed %lu: young ones too",
	      zmm_stat(pool, ZMM_STAT_RECOMP_BG));
	CHECK(key_comp(pool, &ky) == ZMM_COMP_LZ4, "the youngest in %d",
	      key_comp(pool, &ky));
	CHECK(!wb_count, "wrote back %lu", wb_count);
	CHECK(check_fill(pool, 1, 3000, false) == 3000, "all loadable");
	/*
	 * A reader of old data earns credit for the asks: they need no
	 * shrink, and kick no recompression of what it reads next.
	 */
	for (held = 0; held < 200; held++) {
		struct zmm_key k = K(ZMM_ANON, 1, held);

		CHECK(!zmm_load(pool, &k, out, PAGE_SIZE, true), "load %lu",
		      held);
	}
	zmm_shrink_asked(pool, 1, 0, ZMM_ANON, 16, false);
	CHECK(t_kicks[ZMM_WORK_RECOMPRESS] == 2, "an ask within credit kicked");
	check_pool(pool, &u);
	zmm_pool_destroy(pool);
	CHECK(u.blocks_out == 0, "blocks back");
	uenv_fini(&u);
}

static void test_policy(void)
{
	struct uenv u;
	struct zmm_pool *pool;
	struct zmm_params p;
	struct zmm_ops ops;
	struct zmm_key k;
	unsigned long held, i;
	int ret;

	memset(t_kicks, 0, sizeof(t_kicks));
	uenv_init(&u);
	zmm_params_default(&p);
	ops = uenv_ops(&u);
	ops.kick = t_kick;
	pool = zmm_pool_create(&p, &ops);
	CHECK(pool, "pool");

	/* stores alone never ask for compaction: an idle pool stays idle */
	fill(pool, ZMM_ANON, 1, 2000, 0);
	fill(pool, ZMM_FILE, 2, 2000, 0);	/* owner 2, key id 1 */
	CHECK(!t_kicks[ZMM_WORK_COMPACT], "stores asked for compaction");
	k = K(ZMM_ANON, 1, 5);
	CHECK(!zmm_load(pool, &k, out, PAGE_SIZE, false), "shared load");
	CHECK(!t_kicks[ZMM_WORK_COMPACT], "a shared load asked");
	CHECK(!zmm_load(pool, &k, out, PAGE_SIZE, true), "exclusive load");
	CHECK(t_kicks[ZMM_WORK_COMPACT] == 1, "load: %d kicks",
	      t_kicks[ZMM_WORK_COMPACT]);
	/* one request until it has run */
	for (i = 10; i < 1000; i++) {
		k = K(ZMM_ANON, 1, i);
		zmm_invalidate(pool, &k);
	}
	CHECK(t_kicks[ZMM_WORK_COMPACT] == 1, "invalidations: %d kicks",
	      t_kicks[ZMM_WORK_COMPACT]);
	/* a run that frees asks again; one that frees nothing does not */
	CHECK(zmm_compact_all(pool) > 0, "garbage given back");
	CHECK(t_kicks[ZMM_WORK_COMPACT] == 2, "after a run that freed: %d",
	      t_kicks[ZMM_WORK_COMPACT]);
	while (zmm_compact_all(pool))
		;
	i = t_kicks[ZMM_WORK_COMPACT];
	CHECK(!zmm_compact_all(pool), "nothing left");
	CHECK(t_kicks[ZMM_WORK_COMPACT] == i, "an idle run asked again");
	CHECK(zmm_stat(pool, ZMM_STAT_COMPACT_RUNS) >= 3, "runs counted");

	/* at the limit an anon store is refused and the key left empty */
	held = zmm_stat(pool, ZMM_STAT_PAGES_HELD);
	p.limit_pages = held;
	CHECK(!zmm_pool_set_params(pool, &p), "set limit");
	k = K(ZMM_ANON, 1, 20);
	gen_page(pg, GEN_TEXT, 77);
	ret = zmm_store(pool, &k, 0, 0, pg, PAGE_SIZE);
	CHECK(ret == -ENOMEM, "store at the limit: %d", ret);
	CHECK(zmm_load(pool, &k, out, PAGE_SIZE, true) == -ENOENT,
	      "the refused key holds nothing");
	CHECK(zmm_stat(pool, ZMM_STAT_REJECT_POOL_LIMIT) == 1, "counted");
	CHECK(t_kicks[ZMM_WORK_LIMIT] == 1, "limit work asked");
	/* a file store makes room in its own arena first, and goes ahead */
	k = K(ZMM_FILE, 1, 5000);
	ret = zmm_store(pool, &k, 2, 0, pg, PAGE_SIZE);
	CHECK(!ret, "file store at the limit: %d", ret);
	CHECK(zmm_stat(pool, ZMM_STAT_EVICT_DROP) > 0, "cold file dropped");
	CHECK(zmm_stat(pool, ZMM_STAT_REJECT_POOL_LIMIT) == 1, "not refused");
	/* the limit work brings the pool a sixteenth below the limit */
	p.limit_pages = held / 2;
	CHECK(!zmm_pool_set_params(pool, &p), "lower limit");
	CHECK(zmm_limit_reclaim(pool) > 0, "limit reclaim freed");
	CHECK(zmm_stat(pool, ZMM_STAT_PAGES_HELD) <=
	      p.limit_pages - p.limit_pages / 16, "held %lu, limit %lu",
	      zmm_stat(pool, ZMM_STAT_PAGES_HELD), p.limit_pages);
	CHECK(zmm_stat(pool, ZMM_STAT_LIMIT_RECLAIMS) == 1, "counted");
	CHECK(!zmm_limit_reclaim(pool), "below the limit: nothing to do");
	check_pool(pool, &u);

	zmm_pool_destroy(pool);
	CHECK(u.blocks_out == 0, "blocks back");
	uenv_fini(&u);
}

/*
 * Reclaim's asks are paced to whole blocks: many small asks free, over
 * time, what they add up to, to within a block, not a block each.
 */
/* The key at @end of @a's LRU (every zpage of these tests is published). */

/*
 * Evictions that are wanted again (ghost.c) turn an arena's evictions
 * to the other end of its LRU: a cyclic access pattern, where the
 * coldest zpage is the next one wanted, ends up evicting the most
 * recently stored instead; a pattern whose evictions never come back
 * keeps LRU order and never tries the other end.
 */
static void test_evict_end(void)
{
	struct uenv u;
	struct zmm_pool *pool = mkpool(&u, ZMM_COMP_LZ4, ZMM_BLOCK_ORDER_MAX);
	unsigned long i, hot0 = 0, fresh = 100000;
	enum zmm_lru_end end;
	struct zmm_arena *a;
	struct zmm_key k;
	u64 idx;

	/* a key evicted and then missed is one refault, counted once */
	fill(pool, ZMM_FILE, 3, 1000, 0);
	a = zmm_arena_find(pool, 3, 0, ZMM_FILE, false);
	if (!a) {
		CHECK(a, "no arena");
		return;
	}
	CHECK(zmm_evict_one(a, ZMM_LRU_COLD, NULL) >= 0, "evict");
	k = K(ZMM_FILE, 1, 0);
	CHECK(zmm_load(pool, &k, out, PAGE_SIZE, true) == -ENOENT, "evicted");
	CHECK(zmm_load(pool, &k, out, PAGE_SIZE, true) == -ENOENT &&
	      zmm_stat(pool, ZMM_STAT_EVICT_REFAULT) == 1,
	      "one refault, counted once: %lu",
	      zmm_stat(pool, ZMM_STAT_EVICT_REFAULT));
	k = K(ZMM_FILE, 1, 1);
	CHECK(zmm_load(pool, &k, out, PAGE_SIZE, true) == 0 &&
	      zmm_stat(pool, ZMM_STAT_EVICT_REFAULT) == 1, "a hit is none");

	/* evictions that never come back: LRU order only */
	for (i = 0; i < 300; i++) {
		end = zmm_policy_evict_end(a);
		CHECK(end == ZMM_LRU_COLD, "eviction %lu from the hot end", i);
		CHECK(zmm_evict_one(a, end, NULL) >= 0, "evict %lu", i);
	}
	CHECK(!zmm_stat(pool, ZMM_STAT_EVICT_HOT), "evict_hot %lu",
	      zmm_stat(pool, ZMM_STAT_EVICT_HOT));

	/*
	 * Cyclic: the coldest zpage is wanted right after it goes (a miss,
	 * then stored again at the hot end); the most recently stored is
	 * not wanted for a long time.  A new page arrives for each one that
	 * leaves from the hot end.
	 */
	for (i = 0; i < 3000; i++) {
		if (i == 2000)
			hot0 = zmm_stat(pool, ZMM_STAT_EVICT_HOT);
		end = zmm_policy_evict_end(a);
		idx = lru_end_index(a, end);
		CHECK(zmm_evict_one(a, end, NULL) >= 0, "cyclic evict %lu", i);
		if (end == ZMM_LRU_COLD) {
			k = K(ZMM_FILE, 1, idx);
			CHECK(zmm_load(pool, &k, out, PAGE_SIZE, true) ==
			      -ENOENT, "evicted %llu loads",
			      (unsigned long long)idx);
		} else {
			idx = fresh++;
		}
		k = K(ZMM_FILE, 1, idx);
		gen_page(pg, GEN_TEXT, idx);
		CHECK(!zmm_store(pool, &k, 3, 0, pg, PAGE_SIZE), "store %llu",
		      (unsigned long long)idx);
	}
	CHECK(zmm_stat(pool, ZMM_STAT_EVICT_HOT) - hot0 > 600,
	      "of the last 1000 evictions %lu from the hot end",
	      zmm_stat(pool, ZMM_STAT_EVICT_HOT) - hot0);
	zmm_arena_put(a);
	check_pool(pool, &u);
	zmm_pool_destroy(pool);
	CHECK(u.blocks_out == 0, "blocks back");
	uenv_fini(&u);
}

/* zmm_reclaim() of @owner until it frees nothing more; the pageframes */
static unsigned long reclaim_until_dry(struct zmm_pool *pool, u32 owner)
{
	unsigned long freed, total = 0;
	unsigned int i;

	for (i = 0; i < 32; i++) {
		zmm_reclaim(pool, owner, ULONG_MAX, &freed);
		if (!freed)
			break;
		total += freed;
	}
	return total;
}

/*
 * A memcg going away (zmm_arena_retire()): its arenas leave the table, so
 * that its id, once reused, starts with new ones; one that still holds
 * zpages (writebacks that failed) stays reachable by loads and pool-wide
 * reclaim, never by the new owner's, and goes with its last zpage.
 */
static void test_arena_retire(void)
{
	struct uenv u;
	struct zmm_pool *pool = mkpool(&u, ZMM_COMP_LZ4, ZMM_BLOCK_ORDER_MAX);
	unsigned long arenas0, left, refaults, i;
	struct zmm_arena_info info;
	struct zmm_key k;

	drain_setup(&u);
	arenas0 = zmm_stat(pool, ZMM_STAT_NR_ARENAS);
	fill(pool, ZMM_FILE, 7, 300, 0);
	fill(pool, ZMM_ANON, 7, 300, 0);
	fill(pool, ZMM_ANON, 8, 100, 1000);
	CHECK(zmm_stat(pool, ZMM_STAT_NR_ARENAS) == arenas0 + 3,
	      "nr_arenas %lu", zmm_stat(pool, ZMM_STAT_NR_ARENAS));

	/* the owner goes: its zpages are evicted, 50 writebacks fail */
	dr_fail_below = 50;
	reclaim_until_dry(pool, 7);
	left = zmm_arena_retire(pool, 7);
	CHECK(left == 50, "%lu zpages left in the retired arenas", left);
	CHECK(zmm_stat(pool, ZMM_STAT_NR_ARENAS) == arenas0 + 2 &&
	      zmm_stat(pool, ZMM_STAT_NR_ARENAS_RETIRED) == 1 &&
	      zmm_stat(pool, ZMM_STAT_ARENAS_RETIRED) == 2,
	      "the empty file arena freed, the anon one kept: %lu arenas, %lu retired, %lu ever",
	      zmm_stat(pool, ZMM_STAT_NR_ARENAS),
	      zmm_stat(pool, ZMM_STAT_NR_ARENAS_RETIRED),
	      zmm_stat(pool, ZMM_STAT_ARENAS_RETIRED));
	CHECK(zmm_arena_info(pool, 7, 0, ZMM_ANON, &info) == -ENOENT,
	      "a retired arena is found by its owner id");
	{
		struct zmm_arena_info list[8];
		unsigned long n = zmm_arenas_list(pool, list, 8), r = 0, j;

		for (j = 0; j < n; j++) {
			if (!list[j].retired)
				continue;
			r++;
			CHECK(list[j].owner == 7 && list[j].type == ZMM_ANON &&
			      list[j].nr_zpages == 50 && list[j].refs == 50,
			      "retired: owner %u, %lu zpages, %u references",
			      list[j].owner, list[j].nr_zpages, list[j].refs);
		}
		CHECK(n == 2 && r == 1, "%lu arenas listed, %lu retired", n,
		      r);
	}
	check_pool(pool, &u);

	/* the id reused: a new arena; the owner's reclaim misses the old */
	fill(pool, ZMM_ANON, 7, 20, 2000);
	CHECK(!zmm_arena_info(pool, 7, 0, ZMM_ANON, &info) &&
	      info.nr_zpages == 20, "new arena holds %lu zpages",
	      info.nr_zpages);
	dr_fail_below = 0;
	reclaim_until_dry(pool, 7);
	CHECK(!zmm_arena_info(pool, 7, 0, ZMM_ANON, &info) &&
	      !info.nr_zpages && !info.pages_held,
	      "new arena still holds %lu zpages", info.nr_zpages);
	CHECK(zmm_stat(pool, ZMM_STAT_NR_ZPAGES) == 150 &&
	      zmm_stat(pool, ZMM_STAT_NR_ARENAS_RETIRED) == 1,
	      "the new owner's reclaim reached the retired arena: %lu zpages",
	      zmm_stat(pool, ZMM_STAT_NR_ZPAGES));
	check_pool(pool, &u);

	/* loads still find the retired arena's zpages, intact */
	for (i = 0; i < 25; i++) {
		k = K(ZMM_ANON, 1, i);
		gen_page(pg, i % 2 ? GEN_TEXT : GEN_ANON, i);
		CHECK(!zmm_load(pool, &k, out, PAGE_SIZE, true) &&
		      !memcmp(pg, out, PAGE_SIZE), "load %lu", i);
	}
	/* pool-wide reclaim takes the rest; the last zpage frees it */
	reclaim_until_dry(pool, ZMM_OWNER_ANY);
	CHECK(!zmm_stat(pool, ZMM_STAT_NR_ARENAS_RETIRED) &&
	      zmm_stat(pool, ZMM_STAT_NR_ARENAS) == arenas0 + 2,
	      "%lu arenas, %lu retired after the pool-wide reclaim",
	      zmm_stat(pool, ZMM_STAT_NR_ARENAS),
	      zmm_stat(pool, ZMM_STAT_NR_ARENAS_RETIRED));
	CHECK(!dr_bad, "%lu written back wrong", dr_bad);

	/* a ghost of the freed arena: a miss counts its refault, no more */
	refaults = zmm_stat(pool, ZMM_STAT_EVICT_REFAULT);
	k = K(ZMM_ANON, 1, 40);
	CHECK(zmm_load(pool, &k, out, PAGE_SIZE, true) == -ENOENT &&
	      zmm_stat(pool, ZMM_STAT_EVICT_REFAULT) == refaults + 1,
	      "refaults %lu -> %lu", refaults,
	      zmm_stat(pool, ZMM_STAT_EVICT_REFAULT));
	/* retiring an owner with no arena, or every owner, does nothing */
	CHECK(!zmm_arena_retire(pool, 99) &&
	      !zmm_arena_retire(pool, ZMM_OWNER_ANY) &&
	      zmm_stat(pool, ZMM_STAT_NR_ARENAS) == arenas0 + 2,
	      "nr_arenas %lu", zmm_stat(pool, ZMM_STAT_NR_ARENAS));
	check_pool(pool, &u);
	zmm_pool_destroy(pool);
	CHECK(u.blocks_out == 0, "blocks back");
	uenv_fini(&u);
}

static void test_shrink_asked(void)
{
	struct uenv u;
	struct zmm_pool *pool = mkpool(&u, ZMM_COMP_LZ4, ZMM_BLOCK_ORDER_MAX);
	unsigned long i, asked = 0, freed = 0, f, held0;

	fill(pool, ZMM_FILE, 3, 6000, 0);
	held0 = held_of(pool, 3, ZMM_FILE);
	CHECK(zmm_shrink_asked(pool, 9, 0, ZMM_FILE, 4, false) == 0,
	      "no arena: nothing");
	for (i = 0; i < 400; i++) {
		f = zmm_shrink_asked(pool, 3, 0, ZMM_FILE, 4, false);
		asked += 4;
		freed += f;
		CHECK(freed <= asked + (1UL << ZMM_BLOCK_ORDER_MAX),
		      "ask %lu: freed %lu of %lu asked", i, freed, asked);
	}
	CHECK(freed + (1UL << ZMM_BLOCK_ORDER_MAX) >= asked,
	      "freed %lu for %lu asked", freed, asked);
	CHECK(held0 - held_of(pool, 3, ZMM_FILE) == freed,
	      "held went from %lu to %lu, freed %lu", held0,
	      held_of(pool, 3, ZMM_FILE), freed);
	/* an arena that runs out clears its debt: no backlog for later */
	f = zmm_shrink_asked(pool, 3, 0, ZMM_FILE, ULONG_MAX, false);
	CHECK(held_of(pool, 3, ZMM_FILE) == 0, "all given: %lu left",
	      held_of(pool, 3, ZMM_FILE));
	fill(pool, ZMM_FILE, 3, 100, 7000);
	held0 = held_of(pool, 3, ZMM_FILE);
	CHECK(zmm_shrink_asked(pool, 3, 0, ZMM_FILE, 1, false) <= held0,
	      "after running out, a small ask frees at most the arena");
	check_pool(pool, &u);
	zmm_pool_destroy(pool);
	CHECK(u.blocks_out == 0, "blocks back");
	uenv_fini(&u);
}

/*
 * Pageframes freed by loads count against reclaim's asks (the arena's
 * debt) when the zpages loaded were old, stored before most of the
 * arena: a reader of old data drains the pool by itself.  Loads of the
 * zpages stored last (a working set churning through the pool) earn
 * nothing, and the next ask evicts.
 */
static void test_load_credit(void)
{
	struct uenv u;
	struct zmm_pool *pool = mkpool(&u, ZMM_COMP_LZ4, ZMM_BLOCK_ORDER_MAX);
	unsigned long i, n, f, credit, drops, held;
	struct zmm_key k;

	/* old: the first half stored, read back in order */
	fill(pool, ZMM_FILE, 3, 6000, 0);
	for (i = 0; i < 3000; i++) {
		k = K(ZMM_FILE, 1, i);
		CHECK(!zmm_load(pool, &k, out, PAGE_SIZE, true), "load %lu", i);
	}
	credit = zmm_stat(pool, ZMM_STAT_LOAD_CREDIT);
	CHECK(credit >= 512, "old loads freed blocks: credit %lu", credit);
	drops = zmm_stat(pool, ZMM_STAT_EVICT_DROP);
	held = held_of(pool, 3, ZMM_FILE);
	CHECK(zmm_shrink_asked(pool, 3, 0, ZMM_FILE, 64, false) == 0 &&
	      zmm_stat(pool, ZMM_STAT_EVICT_DROP) == drops &&
	      held_of(pool, 3, ZMM_FILE) == held,
	      "an ask after old loads evicted %lu",
	      zmm_stat(pool, ZMM_STAT_EVICT_DROP) - drops);
	/*
	 * an urgent ask (reclaim at priority 0) is not covered by that
	 * credit: it evicts now; the next are covered by what that shrink
	 * freed beyond the ask (its surplus), and only by that
	 */
	n = zmm_shrink_asked(pool, 3, 0, ZMM_FILE, 64, true);
	CHECK(n >= 64 && held_of(pool, 3, ZMM_FILE) + n == held &&
	      zmm_stat(pool, ZMM_STAT_EVICT_DROP) > drops,
	      "an urgent ask of 64 after old loads freed %lu (held %lu -> %lu)",
	      n, held, held_of(pool, 3, ZMM_FILE));
	/* asks within the surplus (n - 64) free nothing, the next does */
	n = n >= 64 ? (n - 64) / 64 : 0;
	held = held_of(pool, 3, ZMM_FILE);
	f = 0;
	for (i = 0; i < n; i++)
		f += zmm_shrink_asked(pool, 3, 0, ZMM_FILE, 64, true);
	CHECK(f == 0 && held_of(pool, 3, ZMM_FILE) == held,
	      "%lu urgent asks within the surplus freed %lu", n, f);
	f = zmm_shrink_asked(pool, 3, 0, ZMM_FILE, 64, true);
	CHECK(f >= 64 && zmm_stat(pool, ZMM_STAT_ASK_URGENT) == 2 + n,
	      "the urgent ask past the surplus freed %lu; %lu urgent", f,
	      zmm_stat(pool, ZMM_STAT_ASK_URGENT));

	/* young: the last 2000 stored, read back newest first */
	fill(pool, ZMM_FILE, 4, 6000, 10000);
	for (i = 15999; i >= 14000; i--) {
		k = K(ZMM_FILE, 1, i);
		CHECK(!zmm_load(pool, &k, out, PAGE_SIZE, true), "load %lu", i);
	}
	CHECK(zmm_stat(pool, ZMM_STAT_LOAD_CREDIT) == credit,
	      "young loads earned credit: %lu -> %lu", credit,
	      zmm_stat(pool, ZMM_STAT_LOAD_CREDIT));
	/* the ask is met now: garbage first (compaction), then evictions */
	held = held_of(pool, 4, ZMM_FILE);
	CHECK(zmm_shrink_asked(pool, 4, 0, ZMM_FILE, 64, false) >= 64 &&
	      held_of(pool, 4, ZMM_FILE) + 64 <= held,
	      "an ask after young loads gave nothing: held %lu -> %lu", held,
	      held_of(pool, 4, ZMM_FILE));

	/* a miss of an evicted zpage (its ghost found) earns credit too */
	zmm_shrink(pool, 4, 0, ZMM_FILE, 256, &held);
	drops = zmm_stat(pool, ZMM_STAT_EVICT_DROP);
	credit = zmm_stat(pool, ZMM_STAT_LOAD_CREDIT);
	for (i = 10000, n = 0; i < 14000; i++) {
		k = K(ZMM_FILE, 1, i);
		/* kept, not taken: a hit earns nothing */
		if (zmm_load(pool, &k, out, PAGE_SIZE, false) == -ENOENT)
			n++;
	}
	CHECK(n >= 64 && zmm_stat(pool, ZMM_STAT_LOAD_CREDIT) == credit + n &&
	      zmm_stat(pool, ZMM_STAT_EVICT_DROP) == drops,
	      "%lu misses of evicted zpages earned %lu", n,
	      zmm_stat(pool, ZMM_STAT_LOAD_CREDIT) - credit);
	check_pool(pool, &u);
	zmm_pool_destroy(pool);
	CHECK(u.blocks_out == 0, "blocks back");
	uenv_fini(&u);
}

/*
 * Load, taking them, the file zpages of mapping 1 at @n indexes from
 * @first, stepping by @step; each must be there.
 */
static void load_run(struct zmm_pool *pool, unsigned long first, long step,
		     unsigned long n)
{
	unsigned long i, idx;
	struct zmm_key k;

	for (i = 0, idx = first; i < n; i++, idx += step) {
		k = K(ZMM_FILE, 1, idx);
		CHECK(!zmm_load(pool, &k, out, PAGE_SIZE, true), "load %lu",
		      idx);
	}
}

/*
 * Loads of young zpages are churn: a working set cycling through the
 * pool.  The next asks of reclaim answer it with evictions from the cold
 * end, a batch of ZMM_CHURN_BATCH (32) loads per ask while a batch is
 * left, each answered with zpages holding a pageframe of compressed
 * bytes; a refault of an evicted zpage takes some of the churn back.
 */
static void test_load_churn(void)
{
	struct uenv u;
	struct zmm_pool *pool = mkpool(&u, ZMM_COMP_LZ4, ZMM_BLOCK_ORDER_MAX);
	unsigned long i, churn, evicted, asks, batch, bytes;
	struct zmm_arena_info info;
	struct zmm_key k;

	fill(pool, ZMM_FILE, 5, 6000, 20000);
	/* the last 100 stored, taken back: young */
	load_run(pool, 25999, -1, 100);
	churn = zmm_stat(pool, ZMM_STAT_LOAD_CHURN);
	CHECK(churn == 100 && !zmm_stat(pool, ZMM_STAT_LOAD_CREDIT),
	      "100 young loads: churn %lu, credit %lu", churn,
	      zmm_stat(pool, ZMM_STAT_LOAD_CREDIT));
	/*
	 * One ask answers a batch of 32 young loads: as many zpages as
	 * hold 32 pageframes of compressed bytes, the coldest first.
	 */
	zmm_arena_info(pool, 5, 0, ZMM_FILE, &info);
	batch = info.nr_zpages * 32 * PAGE_SIZE / info.bytes_used;
	bytes = info.bytes_used;
	CHECK(batch > 32 && batch <= 4 * 32, "batch of %lu zpages", batch);
	zmm_shrink_asked(pool, 5, 0, ZMM_FILE, 1, false);
	evicted = zmm_stat(pool, ZMM_STAT_EVICT_CHURN);
	zmm_arena_info(pool, 5, 0, ZMM_FILE, &info);
	CHECK(evicted >= batch - batch / 8 && evicted <= batch + batch / 8 &&
	      bytes - info.bytes_used >= 32 * PAGE_SIZE &&
	      bytes - info.bytes_used < 33 * PAGE_SIZE,
	      "one ask evicted %lu for the churn (about %lu), %lu bytes",
	      evicted, batch, bytes - info.bytes_used);
	/* a refault, too: it takes back ZMM_CHURN_REFAULT (8) */
	k = K(ZMM_FILE, 1, 20000);
	CHECK(zmm_load(pool, &k, out, PAGE_SIZE, false) == -ENOENT,
	      "the coldest zpage stayed");
	k = K(ZMM_FILE, 1, 25899);
	CHECK(!zmm_load(pool, &k, out, PAGE_SIZE, false),
	      "the youngest zpage went");
	/* 60 left: one more batch, and 28 are not worth an answer */
	for (asks = 0; asks < 10; asks++)
		zmm_shrink_asked(pool, 5, 0, ZMM_FILE, 1, false);
	evicted = zmm_stat(pool, ZMM_STAT_EVICT_CHURN);
	CHECK(evicted >= 2 * batch - batch / 4 &&
	      evicted <= 2 * batch + batch / 4,
	      "100 young loads, one refault, %lu evicted (batch %lu)",
	      evicted, batch);

	/* 16 more young loads (44), then 2 refaults of evicted zpages */
	load_run(pool, 25899, -1, 16);
	for (i = 20001; i <= 20002; i++) {
		k = K(ZMM_FILE, 1, i);
		CHECK(zmm_load(pool, &k, out, PAGE_SIZE, true) == -ENOENT,
		      "evicted %lu", i);
	}
	CHECK(zmm_stat(pool, ZMM_STAT_EVICT_REFAULT) == 3,
	      "refaults counted: %lu",
	      zmm_stat(pool, ZMM_STAT_EVICT_REFAULT));
	zmm_shrink_asked(pool, 5, 0, ZMM_FILE, 1, false);
	CHECK(zmm_stat(pool, ZMM_STAT_EVICT_CHURN) == evicted,
	      "refaults took the churn back, yet %lu evicted for it",
	      zmm_stat(pool, ZMM_STAT_EVICT_CHURN) - evicted);
	check_pool(pool, &u);
	zmm_pool_destroy(pool);
	CHECK(u.blocks_out == 0, "blocks back");
	uenv_fini(&u);
}

/*
 * With a second compressor, the churn is answered by recompressing the
 * coldest zpages: as many as save the batch's 32 pageframes of bytes,
 * none written or dropped, and the arena compacted to give them back.
 */
static void test_load_churn_recompress(void)
{
	struct uenv u;
	struct zmm_pool *pool = mkpool_recomp(&u, ZMM_COMP_LZ4, ZMM_COMP_ZSTD,
					      ZMM_BLOCK_ORDER_MAX);
	struct zmm_arena_info info;
	unsigned long bytes, held;

	fill(pool, ZMM_FILE, 5, 6000, 20000);
	load_run(pool, 25999, -1, 100);
	zmm_arena_info(pool, 5, 0, ZMM_FILE, &info);
	bytes = info.bytes_used;
	held = info.pages_held;
	zmm_shrink_asked(pool, 5, 0, ZMM_FILE, 1, false);
	zmm_arena_info(pool, 5, 0, ZMM_FILE, &info);
	CHECK(zmm_stat(pool, ZMM_STAT_RECOMP) > 32 &&
	      !zmm_stat(pool, ZMM_STAT_EVICT_CHURN) &&
	      !zmm_stat(pool, ZMM_STAT_EVICT_DROP),
	      "churn answered: %lu recompressed, %lu evicted",
	      zmm_stat(pool, ZMM_STAT_RECOMP),
	      zmm_stat(pool, ZMM_STAT_EVICT_CHURN));
	CHECK(bytes - info.bytes_used >= 32 * PAGE_SIZE,
	      "recompression saved %lu bytes", bytes - info.bytes_used);
	CHECK(info.pages_held < held, "compacted: %lu -> %lu pageframes",
	      held, info.pages_held);
	check_pool(pool, &u);
	zmm_pool_destroy(pool);
	CHECK(u.blocks_out == 0, "blocks back");
	uenv_fini(&u);
}

/*
 * A pool that cycles as a whole, its old zpages loaded as often as its
 * young ones, has no cold mass to give the working set: the old loads
 * take the churn back one for one, and the asks evict nothing for it.
 */
static void test_load_churn_whole_pool_cycles(void)
{
	struct uenv u;
	struct zmm_pool *pool = mkpool(&u, ZMM_COMP_LZ4, ZMM_BLOCK_ORDER_MAX);
	unsigned long i, asks;

	fill(pool, ZMM_FILE, 5, 6000, 20000);
	/* young (the last stored) and old (the first stored) in turn */
	for (i = 0; i < 200; i++) {
		load_run(pool, 25999 - i, -1, 1);
		load_run(pool, 20000 + i, 1, 1);
	}
	CHECK(zmm_stat(pool, ZMM_STAT_LOAD_CHURN) == 200 &&
	      zmm_stat(pool, ZMM_STAT_LOAD_CREDIT) == 200,
	      "200 young and 200 old loads: churn %lu, credit %lu",
	      zmm_stat(pool, ZMM_STAT_LOAD_CHURN),
	      zmm_stat(pool, ZMM_STAT_LOAD_CREDIT));
	for (asks = 0; asks < 10; asks++)
		zmm_shrink_asked(pool, 5, 0, ZMM_FILE, 1, false);
	CHECK(!zmm_stat(pool, ZMM_STAT_EVICT_CHURN),
	      "the whole pool cycles, yet %lu evicted for the churn",
	      zmm_stat(pool, ZMM_STAT_EVICT_CHURN));

	/* 100 young loads in a row are churn again; 100 old take it back */
	load_run(pool, 25999 - 200, -1, 100);
	load_run(pool, 20000 + 200, 1, 100);
	zmm_shrink_asked(pool, 5, 0, ZMM_FILE, 1, false);
	CHECK(!zmm_stat(pool, ZMM_STAT_EVICT_CHURN),
	      "old loads took the churn back, yet %lu evicted for it",
	      zmm_stat(pool, ZMM_STAT_EVICT_CHURN));
	load_run(pool, 25999 - 300, -1, 40);
	zmm_shrink_asked(pool, 5, 0, ZMM_FILE, 1, false);
	CHECK(zmm_stat(pool, ZMM_STAT_EVICT_CHURN) > 0,
	      "40 young loads after them: a batch is evicted");

	/* a burst of old loads is kept, against the young burst after it */
	asks = zmm_stat(pool, ZMM_STAT_EVICT_CHURN);
	load_run(pool, 21000, 1, 300);
	load_run(pool, 25999 - 340, -1, 280);
	zmm_shrink_asked(pool, 5, 0, ZMM_FILE, 1, false);
	CHECK(zmm_stat(pool, ZMM_STAT_EVICT_CHURN) == asks,
	      "300 old loads, then 280 young: %lu evicted for the churn",
	      zmm_stat(pool, ZMM_STAT_EVICT_CHURN) - asks);
	check_pool(pool, &u);
	zmm_pool_destroy(pool);
	CHECK(u.blocks_out == 0, "blocks back");
	uenv_fini(&u);
}

/*
 * Churn whose evictions come back (half of them or more refault) is a
 * round trip through swap: only one batch in ZMM_EVICT_PROBE (8) is
 * answered, the rest let go.  The probes' own evictions are not loaded
 * again here, yet do not dilute the score below half in two batches.
 */
static void test_load_churn_futile(void)
{
	struct uenv u;
	struct zmm_pool *pool = mkpool(&u, ZMM_COMP_LZ4, ZMM_BLOCK_ORDER_MAX);
	unsigned long i, evicted, batches;
	struct zmm_key k;

	fill(pool, ZMM_FILE, 5, 6000, 20000);
	load_run(pool, 25999, -1, 64);
	zmm_shrink_asked(pool, 5, 0, ZMM_FILE, 1, false);
	zmm_shrink_asked(pool, 5, 0, ZMM_FILE, 1, false);
	evicted = zmm_stat(pool, ZMM_STAT_EVICT_CHURN);
	CHECK(evicted >= 64 && !zmm_stat(pool, ZMM_STAT_CHURN_FUTILE),
	      "two batches answered: %lu evicted", evicted);
	/* the coldest were evicted, and all of them are wanted again */
	for (i = 0; i < evicted; i++) {
		k = K(ZMM_FILE, 1, 20000 + i);
		CHECK(zmm_load(pool, &k, out, PAGE_SIZE, true) == -ENOENT,
		      "evicted %lu", 20000 + i);
	}
	CHECK(zmm_stat(pool, ZMM_STAT_EVICT_REFAULT) == evicted,
	      "refaults: %lu", zmm_stat(pool, ZMM_STAT_EVICT_REFAULT));
	/*
	 * the refaults took back 8 each, down to ZMM_CHURN_MAX (512) below
	 * none: as many young loads make that up, and claim nothing
	 */
	load_run(pool, 25935, -1, 512);
	zmm_shrink_asked(pool, 5, 0, ZMM_FILE, 1, false);
	CHECK(zmm_stat(pool, ZMM_STAT_EVICT_CHURN) == evicted,
	      "the reserve answered: %lu",
	      zmm_stat(pool, ZMM_STAT_EVICT_CHURN) - evicted);
	/*
	 * ten more batches of young loads: two answered, eight let go (the
	 * probes may take the hot end, so the loads stay clear of it)
	 */
	for (batches = 0; batches < 10; batches++) {
		load_run(pool, 25000 - 32 * batches, -1, 32);
		zmm_shrink_asked(pool, 5, 0, ZMM_FILE, 1, false);
	}
	CHECK(zmm_stat(pool, ZMM_STAT_CHURN_FUTILE) == 8,
	      "batches let go: %lu", zmm_stat(pool, ZMM_STAT_CHURN_FUTILE));
	i = zmm_stat(pool, ZMM_STAT_EVICT_CHURN) - evicted;
	CHECK(i >= 2 * 32 && i <= 2 * 4 * 32,
	      "two probe batches evicted %lu", i);
	check_pool(pool, &u);
	zmm_pool_destroy(pool);
	CHECK(u.blocks_out == 0, "blocks back");
	uenv_fini(&u);
}

/*
 * A churn batch takes at most an eighth of its arena: in a pool of a few
 * hundred zpages, all stored a moment ago, every load is young, and
 * there is no cold mass to give the lists.
 */
static void test_load_churn_small_arena(void)
{
	struct uenv u;
	struct zmm_pool *pool = mkpool(&u, ZMM_COMP_LZ4, ZMM_BLOCK_ORDER_MAX);
	unsigned long asks;

	fill(pool, ZMM_FILE, 5, 300, 20000);
	load_run(pool, 20299, -1, 100);
	CHECK(zmm_stat(pool, ZMM_STAT_LOAD_CHURN) == 100,
	      "100 young loads: churn %lu",
	      zmm_stat(pool, ZMM_STAT_LOAD_CHURN));
	for (asks = 0; asks < 4; asks++)
		zmm_shrink_asked(pool, 5, 0, ZMM_FILE, 1, false);
	CHECK(!zmm_stat(pool, ZMM_STAT_EVICT_CHURN) &&
	      zmm_stat(pool, ZMM_STAT_CHURN_FUTILE) == 3,
	      "200 zpages left: %lu evicted for the churn, %lu batches let go",
	      zmm_stat(pool, ZMM_STAT_EVICT_CHURN),
	      zmm_stat(pool, ZMM_STAT_CHURN_FUTILE));
	check_pool(pool, &u);
	zmm_pool_destroy(pool);
	CHECK(u.blocks_out == 0, "blocks back");
	uenv_fini(&u);
}

/* Load (keeping it) the zpage of @t at @index and compare with fill()'s. */
static bool zpage_intact(struct zmm_pool *pool, enum zmm_type t,
			 unsigned int index, unsigned int base)
{
	struct zmm_key k = K(t, 1, index);

	gen_page(pg, (index - base) % 2 ? GEN_TEXT : GEN_ANON, index);
	return !zmm_load(pool, &k, out, PAGE_SIZE, false) &&
	       !memcmp(out, pg, PAGE_SIZE);
}

/*
 * An owner that goes hands its zpages to its heir, copied, not written:
 * all of them, in their order, below the heir's own, so that the heir's
 * reclaim takes them first.  What finds no room is evicted instead.
 */
static void test_owner_gone(void)
{
	struct uenv u;
	struct zmm_pool *pool = mkpool(&u, ZMM_COMP_LZ4, ZMM_BLOCK_ORDER_MAX);
	unsigned long arenas0, left, freed, bad = 0, i;
	struct zmm_arena_info info;
	struct zmm_arena *a;

	drain_setup(&u);
	arenas0 = zmm_stat(pool, ZMM_STAT_NR_ARENAS);
	fill(pool, ZMM_ANON, 11, 100, 0);
	fill(pool, ZMM_ANON, 10, 3000, 1000);
	fill(pool, ZMM_FILE, 10, 200, 5000);

	left = zmm_owner_gone(pool, 10, 11);
	CHECK(!left && zmm_stat(pool, ZMM_STAT_MOVED) == 3200 &&
	      !zmm_stat(pool, ZMM_STAT_EVICT_WB) &&
	      !zmm_stat(pool, ZMM_STAT_EVICT_DROP),
	      "%lu left, %lu moved, %lu written, %lu dropped", left,
	      zmm_stat(pool, ZMM_STAT_MOVED),
	      zmm_stat(pool, ZMM_STAT_EVICT_WB),
	      zmm_stat(pool, ZMM_STAT_EVICT_DROP));
	CHECK(zmm_stat(pool, ZMM_STAT_NR_ARENAS) == arenas0 + 2 &&
	      !zmm_stat(pool, ZMM_STAT_NR_ARENAS_RETIRED) &&
	      zmm_stat(pool, ZMM_STAT_ARENAS_RETIRED) == 2,
	      "the empty arenas freed: %lu arenas, %lu retired",
	      zmm_stat(pool, ZMM_STAT_NR_ARENAS),
	      zmm_stat(pool, ZMM_STAT_NR_ARENAS_RETIRED));
	CHECK(zmm_arena_info(pool, 10, 0, ZMM_ANON, &info) == -ENOENT,
	      "the owner's arena outlives it");
	CHECK(!zmm_arena_info(pool, 11, 0, ZMM_ANON, &info) &&
	      info.nr_zpages == 3100, "heir's anon arena: %lu zpages",
	      info.nr_zpages);
	CHECK(!zmm_arena_info(pool, 11, 0, ZMM_FILE, &info) &&
	      info.nr_zpages == 200, "heir's file arena: %lu zpages",
	      info.nr_zpages);
	a = zmm_arena_find(pool, 11, 0, ZMM_ANON, false);
	CHECK(a && lru_end_index(a, ZMM_LRU_COLD) == 1000 &&
	      lru_end_index(a, ZMM_LRU_HOT) == 99,
	      "heir's LRU runs from %llu to %llu",
	      a ? (unsigned long long)lru_end_index(a, ZMM_LRU_COLD) : 0ULL,
	      a ? (unsigned long long)lru_end_index(a, ZMM_LRU_HOT) : 0ULL);
	if (a)
		zmm_arena_put(a);
	check_pool(pool, &u);

	/* the heir's reclaim takes the moved zpages before its own */
	zmm_shrink(pool, 11, 0, ZMM_ANON, held_of(pool, 11, ZMM_ANON) / 4,
		   &freed);
	CHECK(freed && zmm_stat(pool, ZMM_STAT_EVICT_WB),
	      "shrink freed %lu, wrote %lu", freed,
	      zmm_stat(pool, ZMM_STAT_EVICT_WB));
	/* (a load that keeps a zpage makes it hot: check the order first) */
	for (i = 0; i < 100; i++)
		bad += !zpage_intact(pool, ZMM_ANON, i, 0);
	CHECK(!bad, "the shrink took %lu of the heir's own", bad);
	for (i = 1000, bad = 0; i < 4000; i++)
		bad += !zpage_intact(pool, ZMM_ANON, i, 1000);
	CHECK(bad == zmm_stat(pool, ZMM_STAT_EVICT_WB),
	      "%lu moved anon zpages missing or changed, %lu written back",
	      bad, zmm_stat(pool, ZMM_STAT_EVICT_WB));
	for (i = 5000, bad = 0; i < 5200; i++)
		bad += !zpage_intact(pool, ZMM_FILE, i, 5000);
	CHECK(!bad, "%lu file zpages lost or changed by the move", bad);
	CHECK(dr_count == zmm_stat(pool, ZMM_STAT_EVICT_WB) && !dr_bad,
	      "%lu written back, %lu with bad data", dr_count, dr_bad);

	/* no room at the heir: what cannot move is written back instead */
	fill(pool, ZMM_ANON, 12, 200, 6000);
	u.fail_all = true;
	left = zmm_owner_gone(pool, 12, 13);
	u.fail_all = false;
	CHECK(!left && !zmm_arena_info(pool, 13, 0, ZMM_ANON, &info) &&
	      !info.nr_zpages && zmm_stat(pool, ZMM_STAT_EVICT_WB) >= 200,
	      "no room: %lu left, heir holds %lu, %lu written", left,
	      info.nr_zpages, zmm_stat(pool, ZMM_STAT_EVICT_WB));
	check_pool(pool, &u);
	zmm_pool_destroy(pool);
	CHECK(u.blocks_out == 0, "blocks back");
	uenv_fini(&u);
}

/* Paths the other tests do not reach. */
static void test_edges(void)
{
	struct uenv u;
	struct zmm_pool *pool = mkpool(&u, ZMM_COMP_LZ4, ZMM_BLOCK_ORDER_MAX);
	struct zmm_arena_info info;
	struct zmm_key k = K(ZMM_ANON, 5, 0);
	struct zmm_entry *e;
	struct zmm_shard *s;
	unsigned long i;
	long n;
	int ret;

	/* a memcg with one zpage holds one small block, not 2 MiB */
	gen_page(pg, GEN_TEXT, 1);
	CHECK(!zmm_store(pool, &k, 77, 0, pg, PAGE_SIZE), "store");
	zmm_arena_info(pool, 77, 0, ZMM_ANON, &info);
	CHECK(info.pages_held == 1UL << ZMM_BLOCK_ORDER_MIN,
	      "one zpage holds %lu pages", info.pages_held);

	/* corrupt data: -EIO, counted, warned, and the zpage is gone */
	s = zmm_shard_of(pool, k.type, k.id, k.index);
	spin_lock(&s->lock);
	e = zmm_index_lookup(s, &k);
	spin_unlock(&s->lock);
	CHECK(e && e->arena, "entry");
	if (e && e->arena) {
		spin_lock(&e->arena->lock);
		memset(e->block->base + e->off, 0xff, e->len);
		spin_unlock(&e->arena->lock);
	}
	CHECK(zmm_load(pool, &k, out, PAGE_SIZE, true) == -EIO, "corrupt");
	CHECK(zmm_stat(pool, ZMM_STAT_DECOMP_ERR) == 1, "decomp err stat");
	CHECK(zmm_shim_warnings == 1, "warned once");
	zmm_shim_warnings = 0;

	/* anon range invalidation across objects (chunks of 1024 slots) */
	for (i = 0; i < 8; i++) {
		k = K(ZMM_ANON, 6, i * 700);
		gen_page(pg, GEN_ANON, i);
		CHECK(!zmm_store(pool, &k, 1, 0, pg, PAGE_SIZE), "store %lu", i);
	}
	n = zmm_invalidate_range(pool, ZMM_ANON, 6, 1400, 4200);
	CHECK(n == 5, "anon range dropped %ld", n);	/* 1400..4200 */
	for (i = 0; i < 8; i++) {
		k = K(ZMM_ANON, 6, i * 700);
		ret = zmm_load(pool, &k, out, PAGE_SIZE, true);
		CHECK(ret == (i >= 2 && i <= 6 ? -ENOENT : 0), "key %lu: %d",
		      i, ret);
	}
	CHECK(zmm_invalidate_range(pool, ZMM_ANON, 6, 0, U64_MAX) == 0,
	      "whole swap device, empty");

	/* many owners: the arena table grows */
	for (i = 0; i < 200; i++) {
		k = K(ZMM_FILE, 7, i);
		gen_page(pg, GEN_HALF, i);
		CHECK(!zmm_store(pool, &k, 1000 + i, i % 4, pg, PAGE_SIZE),
		      "owner %lu", i);
	}
	CHECK(pool->arenas.bits > 4, "arena table grew: %u",
	      pool->arenas.bits);
	check_pool(pool, &u);
	CHECK(zmm_invalidate_range(pool, ZMM_FILE, 7, 0, U64_MAX) == 200,
	      "file dropped");

	/* a long range invalidation yields between its batches */
	for (i = 0; i < 4096; i++) {
		k = K(ZMM_FILE, 11, i);
		gen_page(pg, GEN_HALF, i);
		CHECK(!zmm_store(pool, &k, 1, 0, pg, PAGE_SIZE), "file %lu", i);
	}
	{
		unsigned long yields = zmm_shim_resched;

		n = zmm_invalidate_range(pool, ZMM_FILE, 11, 0, U64_MAX);
		yields = zmm_shim_resched - yields;
		CHECK(n == 4096, "file of 4096 zpages dropped %ld", n);
		CHECK(yields >= 4096 / 32, "yielded %lu times for 4096", yields);
	}

	/* no memory at all and no garbage: a clean -ENOMEM */
	u.fail_all = true;
	k = K(ZMM_FILE, 8, 0);
	gen_page(pg, GEN_TEXT, 9);
	ret = zmm_store(pool, &k, 4242, 0, pg, PAGE_SIZE);
	CHECK(ret == -ENOMEM, "no memory: %d", ret);
	CHECK(zmm_stat(pool, ZMM_STAT_REJECT_NOMEM) == 1, "nomem stat");
	u.fail_all = false;

	/* the object of a new chunk cannot be allocated: clean -ENOMEM */
	for (i = 1; i < 12; i++) {
		unsigned long before = zmm_shim_alloc_failures;

		k = K(ZMM_ANON, 9, i << ZMM_ANON_CHUNK_SHIFT);
		gen_page(pg, GEN_TEXT, i);
		zmm_shim_inject(i, 0);
		ret = zmm_store(pool, &k, 1, 0, pg, PAGE_SIZE);
		zmm_shim_inject(0, 0);
		CHECK(ret == 0 || ret == -ENOMEM, "store: %d", ret);
		CHECK(!ret == (zmm_shim_alloc_failures == before),
		      "failed iff an allocation failed");
		CHECK(zmm_load(pool, &k, out, PAGE_SIZE, true) ==
		      (ret ? -ENOENT : 0), "after %d", ret);
	}
	check_pool(pool, &u);
	zmm_pool_destroy(pool);
	CHECK(u.blocks_out == 0, "blocks back");
	uenv_fini(&u);
}

/* The longest chain of objects in any shard's object table. */
static unsigned long longest_object_chain(struct zmm_pool *pool)
{
	unsigned long i, b, n, longest = 0;
	struct zmm_object *o;
	struct zmm_shard *s;

	for (i = 0; i < ZMM_NR_SHARDS; i++) {
		s = &pool->shards[i];
		spin_lock(&s->lock);
		for (b = 0; b < (1UL << s->objs.bits); b++) {
			n = 0;
			hlist_for_each_entry(o, &s->objs.heads[b], hnode)
				n++;
			longest = max(longest, n);
		}
		spin_unlock(&s->lock);
	}
	return longest;
}

/*
 * Many objects: 20000 small files (ids spread as address_space pointers
 * are) and 8192 anon chunks (a 32 GiB swap device).  The shard and the
 * chain within the shard must come from independent bits, or every
 * object of a shard lands in one chain and each lookup walks ~100 of them.
 */
static void test_index_many_objects(void)
{
	const unsigned long files = 20000, chunks = 8192;
	struct uenv u;
	struct zmm_pool *pool = mkpool(&u, ZMM_COMP_LZ4, ZMM_BLOCK_ORDER_MAX);
	unsigned long i, longest, missing = 0, failed = 0;
	struct zmm_key k;
	long n;

	CHECK(pool, "pool");
	/*
	 * Files: a compressible page each (zmm keeps no same-filled file
	 * page); anon: a same-filled page, no storage, only the index.
	 */
	gen_page(pg, GEN_TEXT, 5);
	for (i = 0; i < files; i++) {
		k = K(ZMM_FILE, 0xffff888000000000ULL + i * 0x6c0, i % 3);
		failed += !!zmm_store(pool, &k, 1, 0, pg, PAGE_SIZE);
	}
	gen_page(pg, GEN_SAME, 5);
	for (i = 0; i < chunks; i++) {
		k = K(ZMM_ANON, 2, i << ZMM_ANON_CHUNK_SHIFT | (i & 1023));
		failed += !!zmm_store(pool, &k, 1, 0, pg, PAGE_SIZE);
	}
	CHECK(!failed, "%lu stores failed", failed);
	longest = longest_object_chain(pool);
	/* ~110 objects per shard, 64 chains: a handful at most */
	CHECK(longest <= 16, "longest object chain %lu", longest);
	printf("# index: %lu objects, longest object chain %lu\n",
	       files + chunks, longest);
	for (i = 0; i < files; i++) {
		k = K(ZMM_FILE, 0xffff888000000000ULL + i * 0x6c0, i % 3);
		missing += !index_contains(pool, &k);
	}
	for (i = 0; i < chunks; i++) {
		k = K(ZMM_ANON, 2, i << ZMM_ANON_CHUNK_SHIFT | (i & 1023));
		missing += !index_contains(pool, &k);
	}
	CHECK(!missing, "%lu keys not found", missing);
	check_pool(pool, &u);
	n = zmm_invalidate_type(pool, ZMM_FILE);
	CHECK(n == (long)files, "files dropped %ld", n);
	n = zmm_invalidate_type(pool, ZMM_ANON);
	CHECK(n == (long)chunks, "anon dropped %ld", n);
	CHECK(zmm_stat(pool, ZMM_STAT_NR_ZPAGES) == 0, "empty");
	check_pool(pool, &u);
	zmm_pool_destroy(pool);
	uenv_fini(&u);
}

/* Index-level helpers for hand-made entries (never put: not the cache's). */
static int t_insert(struct zmm_pool *pool, struct zmm_entry *e,
		    struct zmm_entry **old)
{
	struct zmm_shard *s = zmm_shard_of(pool, e->type, e->id, e->index);
	int ret;

	spin_lock(&s->lock);
	ret = zmm_index_insert(s, e, old);
	spin_unlock(&s->lock);
	return ret;
}

static struct zmm_entry *t_lookup(struct zmm_pool *pool, enum zmm_type t,
				  u64 id, u64 index)
{
	struct zmm_key k = K(t, id, index);
	struct zmm_shard *s = zmm_shard_of(pool, t, id, index);
	struct zmm_entry *e;

	spin_lock(&s->lock);
	e = zmm_index_lookup(s, &k);
	spin_unlock(&s->lock);
	return e;
}

static bool t_erase_entry(struct zmm_pool *pool, struct zmm_entry *e)
{
	struct zmm_shard *s = zmm_shard_of(pool, e->type, e->id, e->index);
	bool ret;

	spin_lock(&s->lock);
	ret = zmm_index_erase_entry(s, e);
	spin_unlock(&s->lock);
	return ret;
}

/* Take every key of file @id in [@start, @end]; return how many. */
static unsigned long t_take_file(struct zmm_pool *pool, u64 id, u64 start,
				 u64 end)
{
	struct zmm_shard *s = zmm_shard_of(pool, ZMM_FILE, id, 0);
	struct zmm_range_pos pos = { 0 };
	struct zmm_entry *batch[32];
	unsigned long taken = 0;
	unsigned int n, i;

	do {
		spin_lock(&s->lock);
		n = zmm_index_take_range(s, ZMM_FILE, id, 0, start, end, batch,
					 ARRAY_SIZE(batch), &pos);
		spin_unlock(&s->lock);
		for (i = 0; i < n; i++)
			CHECK(batch[i]->index >= start && batch[i]->index <= end,
			      "took index %llu", (unsigned long long)batch[i]->index);
		taken += n;
	} while (n == ARRAY_SIZE(batch));
	return taken;
}

static unsigned long t_nr_objects(struct zmm_pool *pool)
{
	unsigned long i, nr = 0;

	for (i = 0; i < ZMM_NR_SHARDS; i++)
		nr += pool->shards[i].objs.nr;
	return nr;
}

/*
 * File keys live in an XArray per file.  A store of a new key that cannot
 * allocate a node fails and leaves the key absent (and no empty object);
 * a replacement allocates nothing and never fails; nodes a failed store
 * left behind go with the object; ranges are taken in index order.
 */
static void test_index_file_xarray(void)
{
	static struct zmm_entry ents[512], rep, fresh[64];
	const u64 id = 0xffff888012345000ULL;
	unsigned long i, ok = 0, fails = 0, bad = 0, objs;
	struct zmm_entry *old;
	struct uenv u;
	struct zmm_pool *pool = mkpool(&u, ZMM_COMP_LZ4, ZMM_BLOCK_ORDER_MAX);
	long base = zmm_shim_outstanding(), n;
	bool present[ARRAY_SIZE(ents)] = { false };
	struct zmm_key k;
	int ret;

	CHECK(pool, "pool");
	for (i = 0; i < ARRAY_SIZE(ents); i++) {
		ents[i] = (struct zmm_entry){ .type = ZMM_FILE, .id = id,
					      .index = i << 14 };
		refcount_set(&ents[i].refs, 1);
		INIT_HLIST_NODE(&ents[i].hnode);
	}
	CHECK(!t_insert(pool, &ents[0], &old) && !old, "first insert");
	present[0] = true;
	/* far-apart keys need new nodes: half of the allocations fail */
	zmm_shim_inject(0, 2);
	for (i = 1; i < ARRAY_SIZE(ents); i++) {
		ret = t_insert(pool, &ents[i], &old);
		bad += !!old;
		if (ret) {
			bad += ret != -ENOMEM ||
			       t_lookup(pool, ZMM_FILE, id, i << 14);
			fails++;
		} else {
			present[i] = true;
			ok++;
		}
	}
	/* a replacement allocates nothing: it succeeds with no memory */
	zmm_shim_inject(0, 1);
	rep = ents[0];
	INIT_HLIST_NODE(&rep.hnode);
	ret = t_insert(pool, &rep, &old);
	zmm_shim_inject(0, 0);
	CHECK(!bad, "%lu wrong results of failed or new inserts", bad);
	CHECK(fails && ok, "%lu inserts failed, %lu succeeded", fails, ok);
	CHECK(!ret && old == &ents[0], "replace with no memory: %d", ret);
	CHECK(t_lookup(pool, ZMM_FILE, id, 0) == &rep, "replaced");
	for (i = 1; i < ARRAY_SIZE(ents); i++)
		bad += t_lookup(pool, ZMM_FILE, id, i << 14) !=
		       (present[i] ? &ents[i] : NULL);
	CHECK(!bad, "%lu keys wrong after the failures", bad);
	/* erase of a given entry: only if the key still maps to it */
	CHECK(!t_erase_entry(pool, &ents[0]), "erased a replaced entry");
	CHECK(t_erase_entry(pool, &rep), "erase entry");
	CHECK(!t_erase_entry(pool, &rep), "erased twice");
	/* a range: exactly its keys, the others stay */
	n = t_take_file(pool, id, 100UL << 14, (200UL << 14) - 1);
	for (i = 100, ok = 0; i < 200; i++)
		ok += present[i];
	CHECK(n == (long)ok, "range took %ld of %lu", n, ok);
	CHECK(t_lookup(pool, ZMM_FILE, id, 200UL << 14) ==
	      (present[200] ? &ents[200] : NULL), "key past the range");
	/* the rest; the object goes, empty nodes of failed stores with it */
	n = t_take_file(pool, id, 0, U64_MAX);
	for (i = 1, ok = 0; i < ARRAY_SIZE(ents); i++)
		ok += present[i] && (i < 100 || i >= 200);
	CHECK(n == (long)ok, "took %ld of %lu", n, ok);
	CHECK(t_nr_objects(pool) == 0, "%lu objects left", t_nr_objects(pool));
	CHECK(zmm_shim_outstanding() == base, "%ld allocations left",
	      zmm_shim_outstanding() - base);

	/* new files under failing allocations: no object without a key */
	zmm_shim_inject(0, 2);
	for (i = 0, ok = 0; i < ARRAY_SIZE(fresh); i++) {
		fresh[i] = (struct zmm_entry){ .type = ZMM_FILE,
					       .id = id + (i + 1) * 0x6c0,
					       .index = 1UL << 20 };
		refcount_set(&fresh[i].refs, 1);
		INIT_HLIST_NODE(&fresh[i].hnode);
		ok += !t_insert(pool, &fresh[i], &old);
	}
	zmm_shim_inject(0, 0);
	objs = t_nr_objects(pool);
	CHECK(objs == ok, "%lu objects for %lu keys", objs, ok);
	for (i = 0; i < ARRAY_SIZE(fresh); i++)
		t_take_file(pool, fresh[i].id, 0, U64_MAX);
	CHECK(t_nr_objects(pool) == 0, "objects left");
	CHECK(zmm_shim_outstanding() == base, "%ld allocations left",
	      zmm_shim_outstanding() - base);

	/* through the store: a partial truncation of a file */
	for (i = 0; i < 3000; i++) {
		k = K(ZMM_FILE, id, i);
		gen_page(pg, GEN_HALF, i);
		CHECK(!zmm_store(pool, &k, 1, 0, pg, PAGE_SIZE), "store %lu", i);
	}
	check_pool(pool, &u);
	n = zmm_invalidate_range(pool, ZMM_FILE, id, 1000, 1999);
	CHECK(n == 1000, "truncation dropped %ld", n);
	for (i = 0, bad = 0; i < 3000; i += 7) {
		k = K(ZMM_FILE, id, i);
		ret = zmm_load(pool, &k, out, PAGE_SIZE, false);
		gen_page(pg, GEN_HALF, i);
		bad += i >= 1000 && i < 2000 ? ret != -ENOENT :
		       ret || memcmp(pg, out, PAGE_SIZE);
	}
	CHECK(!bad, "%lu keys wrong after the truncation", bad);
	check_pool(pool, &u);
	CHECK(zmm_invalidate_range(pool, ZMM_FILE, id, 0, U64_MAX) == 2000,
	      "eviction");
	check_pool(pool, &u);
	zmm_pool_destroy(pool);
	uenv_fini(&u);
}

/* Allocation failure at every point of a store: clean reject, no leak. */
static void test_alloc_failure(void)
{
	long base = zmm_shim_outstanding();
	unsigned long n, i;

	for (n = 1; n < 40; n++) {
		struct uenv u;
		struct zmm_pool *pool = mkpool(&u, ZMM_COMP_LZ4, 9);
		unsigned long ok = 0;

		CHECK(pool, "pool");
		/* the store of key 0 exists and must not come back stale */
		fill(pool, ZMM_ANON, 1, 8, 0);
		zmm_shim_inject(n, 0);
		u.fail_after = n;
		for (i = 0; i < 8; i++) {
			struct zmm_key k = K(ZMM_ANON, 1, i);
			int ret;

			gen_page(pg, GEN_HALF, 100 + i);
			ret = zmm_store(pool, &k, 1, 0, pg, PAGE_SIZE);
			CHECK(!ret || ret == -ENOMEM, "store: %d", ret);
			ret = zmm_load(pool, &k, out, PAGE_SIZE, true);
			if (ret == 0) {
				ok++;
				CHECK(!memcmp(pg, out, PAGE_SIZE),
				      "stale or corrupt data after failure");
			} else {
				CHECK(ret == -ENOENT, "load %d", ret);
			}
		}
		zmm_shim_inject(0, 0);
		u.fail_all = false;
		u.fail_after = 0;
		check_pool(pool, &u);
		zmm_pool_destroy(pool);
		CHECK(u.blocks_out == 0, "blocks back");
		uenv_fini(&u);
	}
	/* and pool creation under failure unwinds completely */
	for (n = 1; n < 64; n++) {
		struct uenv u;
		struct zmm_pool *pool;

		zmm_shim_inject(n, 0);
		pool = mkpool(&u, n % 2 ? ZMM_COMP_LZ4 : ZMM_COMP_ZSTD, 9);
		zmm_shim_inject(0, 0);
		zmm_pool_destroy(pool);
		uenv_fini(&u);
	}
	CHECK(zmm_shim_outstanding() == base, "leaked %ld allocations",
	      zmm_shim_outstanding() - base);
}

/* ------------------------------------------------------------------ */
/* Threads: disjoint keys (exact model) and shared keys (self-checking) */

#define T_THREADS 4
#define T_SHARED 64

struct tctx {
	struct zmm_pool *pool;
	unsigned int id;
	unsigned long ops;
	unsigned long errors;
};

/* a page that names its key and version and carries a checksum */
static void tpage(unsigned char *p, u64 key, unsigned long ver)
{
	unsigned long *w = (unsigned long *)p, sum = 0;
	unsigned int i;

	gen_page(p, ver % 3 ? GEN_ANON : GEN_TEXT, key * 1000003 + ver);
	w[0] = key;
	w[1] = ver;
	for (i = 3; i < PAGE_SIZE / sizeof(long); i++)
		sum += w[i] * (i | 1);
	w[2] = sum;
}

static bool tpage_ok(const unsigned char *p, u64 key)
{
	const unsigned long *w = (const unsigned long *)p;
	unsigned long sum = 0;
	unsigned int i;

	for (i = 3; i < PAGE_SIZE / sizeof(long); i++)
		sum += w[i] * (i | 1);
	return w[0] == key && w[2] == sum;
}

/*
 * Shared anon keys: any thread may work on any key, holding the key's
 * lock as the kernel holds the folio lock; the shrinker's writeback takes
 * the same lock, as the kernel's takes the swap-cache folio.  The model
 * knows, per key, the version zmm should hold and the version on "disk",
 * so a stale writeback or a lost page is caught.
 */
struct tkey {
	pthread_mutex_t lock;
	unsigned long ver;	/* version of the data, 0: none */
	bool in_zmm;		/* zmm holds @ver */
	unsigned long disk;	/* version in the swap slot, 0: none */
};

static struct tkey tk[T_SHARED];
static unsigned long t_wb_errors;

static int t_writeback(void *priv, const struct zmm_key *key,
		       struct zmm_writeback *wb)
{
	unsigned char *p;
	struct tkey *k;
	int ret;

	if (key->type != ZMM_ANON || key->id != 9 || key->index >= T_SHARED)
		return -EINVAL;
	k = &tk[key->index];
	p = malloc(PAGE_SIZE);
	pthread_mutex_lock(&k->lock);
	ret = zmm_writeback_fill(wb, p);
	if (!ret) {
		unsigned long ver = ((unsigned long *)p)[1];

		/* only the current data may reach the slot */
		if (!tpage_ok(p, key->index) || !k->in_zmm || ver != k->ver)
			__atomic_add_fetch(&t_wb_errors, 1, __ATOMIC_RELAXED);
		k->disk = ver;
		k->in_zmm = false;
	}
	pthread_mutex_unlock(&k->lock);
	free(p);
	return ret;
}

static void *t_disjoint(void *arg)
{
	struct tctx *t = arg;
	unsigned char *p = malloc(PAGE_SIZE), *o = malloc(PAGE_SIZE);
	unsigned long vers[256] = { 0 }, s = t->id + 1, n;
	bool present[256] = { false };

	for (n = 0; n < t->ops; n++) {
		unsigned int i = xrand(&s) % 256;
		struct zmm_key k = K(ZMM_FILE, 100 + t->id, i);
		int ret;

		switch (xrand(&s) % 3) {
		case 0:
			vers[i]++;
			tpage(p, i + 1, vers[i]);
			ret = zmm_store(t->pool, &k, 1 + t->id % 2, 0, p,
					PAGE_SIZE);
			present[i] = !ret;
			break;
		case 1:
			ret = zmm_load(t->pool, &k, o, PAGE_SIZE, true);
			if (ret == 0) {
				tpage(p, i + 1, vers[i]);
				if (!present[i] || memcmp(p, o, PAGE_SIZE))
					t->errors++;
			} else if (ret != -ENOENT) {
				t->errors++;
			}
			/* -ENOENT is fine: the shrinker may have dropped it */
			present[i] = false;
			break;
		default:
			ret = zmm_invalidate(t->pool, &k);
			if (ret && ret != -ENOENT)
				t->errors++;
			present[i] = false;
			break;
		}
	}
	free(p);
	free(o);
	return NULL;
}

static void *t_shared(void *arg)
{
	struct tctx *t = arg;
	unsigned char *p = malloc(PAGE_SIZE), *o = malloc(PAGE_SIZE);
	unsigned long s = t->id * 7919 + 3, n;

	for (n = 0; n < t->ops; n++) {
		unsigned int i = xrand(&s) % T_SHARED;
		struct zmm_key key = K(ZMM_ANON, 9, i);
		struct tkey *k = &tk[i];
		unsigned long op = xrand(&s) % 8;
		int ret;

		pthread_mutex_lock(&k->lock);
		if (op < 3) {
			/* swap-out of a new version */
			unsigned long ver = (t->id + 1) * 1000000000UL + n + 1;

			tpage(p, i, ver);
			ret = zmm_store(t->pool, &key, 3, 0, p, PAGE_SIZE);
			if (ret && ret != -ENOMEM)
				t->errors++;
			k->ver = ver;
			k->in_zmm = !ret;
			if (ret)
				k->disk = ver;	/* written to the slot */
		} else if (op < 6) {
			/* swap-in: from zmm, else from the slot */
			bool excl = op != 5;

			ret = zmm_load(t->pool, &key, o, PAGE_SIZE, excl);
			if (ret == 0) {
				if (!k->in_zmm || !tpage_ok(o, i) ||
				    ((unsigned long *)o)[1] != k->ver)
					t->errors++;
				if (excl) {
					/* dirty in memory: slot is stale */
					k->in_zmm = false;
					k->disk = 0;
					k->ver = 0;
				}
			} else if (ret == -ENOENT) {
				if (k->in_zmm || (k->ver && k->disk != k->ver))
					t->errors++;
			} else {
				t->errors++;
			}
		} else {
			/* the slot is freed */
			ret = zmm_invalidate(t->pool, &key);
			if (ret != (k->in_zmm ? 0 : -ENOENT))
				t->errors++;
			k->in_zmm = false;
			k->disk = 0;
			k->ver = 0;
		}
		pthread_mutex_unlock(&k->lock);
		/*
		 * Now and then a reclaim from the worker itself, holding no
		 * key (writeback takes one), so that writebacks race with
		 * the other workers however the threads are scheduled.
		 */
		if (n % 256 == 255) {
			unsigned long freed;

			zmm_shrink(t->pool, 3, 0, ZMM_ANON, 16, &freed);
		}
	}
	free(p);
	free(o);
	return NULL;
}

static volatile bool t_stop;

static void *t_shrinker(void *arg)
{
	struct tctx *t = arg;
	unsigned long s = 77, freed;

	while (!__atomic_load_n(&t_stop, __ATOMIC_RELAXED)) {
		/* xorshift's low bits are weak: take the owner from high ones */
		unsigned int owner = 1 + (xrand(&s) >> 40) % 3;
		enum zmm_type type = owner == 3 ? ZMM_ANON : ZMM_FILE;

		/*
		 * Shrink and compaction in turn; with a second compressor,
		 * every fourth turn an ask of reclaim and the background
		 * recompression it asks for.
		 */
		if (t->pool->recomp && t->ops % 4 == 2) {
			zmm_shrink_asked(t->pool, owner, 0, type, 1024, false);
			zmm_recompress_all(t->pool);
		} else if (t->ops % 2) {
			zmm_shrink(t->pool, owner, 0, type, 16, &freed);
		} else {
			zmm_compact(t->pool, owner, 0, type);
		}
		t->ops++;
		/* let the workers run (valgrind runs one thread at a time) */
		sched_yield();
	}
	return NULL;
}

static void run_threads(enum zmm_comp recomp)
{
	pthread_t th[2 * T_THREADS + 1];
	struct tctx c[2 * T_THREADS + 1];
	unsigned long ops = 20000, errors = 0;
	const char *env = getenv("ZMM_TEST_OPS");
	struct uenv u;
	struct zmm_pool *pool = mkpool_recomp(&u, ZMM_COMP_LZ4, recomp, 5);
	unsigned int i;

	if (env)
		ops = strtoul(env, NULL, 0) / 5;
	u.writeback = t_writeback;
	t_stop = false;
	t_wb_errors = 0;
	memset(tk, 0, sizeof(tk));
	for (i = 0; i < T_SHARED; i++)
		pthread_mutex_init(&tk[i].lock, NULL);
	for (i = 0; i < 2 * T_THREADS + 1; i++) {
		c[i].pool = pool;
		c[i].id = i;
		/* the shrinker counts its rounds in ops */
		c[i].ops = i == 2 * T_THREADS ? 0 : ops;
		c[i].errors = 0;
		pthread_create(&th[i], NULL,
			       i == 2 * T_THREADS ? t_shrinker :
			       i < T_THREADS ? t_disjoint : t_shared, &c[i]);
	}
	for (i = 0; i < 2 * T_THREADS; i++)
		pthread_join(th[i], NULL);
	t_stop = true;
	pthread_join(th[2 * T_THREADS], NULL);
	for (i = 0; i < 2 * T_THREADS; i++)
		errors += c[i].errors;
	CHECK(!errors, "%lu errors", errors);
	CHECK(!t_wb_errors, "%lu stale or corrupt writebacks", t_wb_errors);
	CHECK(c[2 * T_THREADS].ops > 0, "shrinker ran");
	CHECK(zmm_stat(pool, ZMM_STAT_EVICT_WB) > 0, "anon written back");
	/*
	 * How many of them the background work did depends on the asks
	 * that found no credit: none in some short runs under valgrind.
	 */
	if (recomp != ZMM_COMP_NONE)
		CHECK(zmm_stat(pool, ZMM_STAT_RECOMP) > 0,
		      "recompressed %lu, %lu in the background",
		      zmm_stat(pool, ZMM_STAT_RECOMP),
		      zmm_stat(pool, ZMM_STAT_RECOMP_BG));
	check_pool(pool, &u);
	printf("# threads: %u x %lu ops, %lu shrinks/compactions, "
	       "%lu written back, %lu dropped, %lu moves, %lu recompressed "
	       "(%lu in the background)\n",
	       2 * T_THREADS, ops, c[2 * T_THREADS].ops,
	       zmm_stat(pool, ZMM_STAT_EVICT_WB),
	       zmm_stat(pool, ZMM_STAT_EVICT_DROP),
	       zmm_stat(pool, ZMM_STAT_COMPACT_MOVES),
	       zmm_stat(pool, ZMM_STAT_RECOMP),
	       zmm_stat(pool, ZMM_STAT_RECOMP_BG));
	zmm_pool_destroy(pool);
	CHECK(u.blocks_out == 0, "blocks back");
	uenv_fini(&u);
}

static void test_threads(void)
{
	run_threads(ZMM_COMP_NONE);
}

/* the same, with cold zpages recompressed under the loads */
static void test_threads_recompress(void)
{
	run_threads(ZMM_COMP_ZSTD);
}

/*
 * zmm_block_shrink_head() drops the arena lock to allocate the smaller
 * block.  Here the arena's last zpage goes while that allocation runs
 * (zmm_block_release() frees the head): the arena must come out sound,
 * with the new block given back and counted.
 */
struct sh_race {
	struct zmm_pool *pool;
	struct zmm_key key;
	unsigned int calls;
};

static void sh_on_alloc(void *priv, unsigned int order)
{
	struct sh_race *r = priv;

	/* the first allocation only: one race, as asserted below */
	if (r->calls++)
		return;
	CHECK(!zmm_invalidate(r->pool, &r->key), "last zpage invalidated");
}

static unsigned long blocks_allocated(struct zmm_pool *pool)
{
	unsigned long n = 0;
	unsigned int o;

	for (o = ZMM_BLOCK_ORDER_MIN; o <= ZMM_BLOCK_ORDER_MAX; o++)
		n += zmm_stat(pool, ZMM_STAT_BLOCKS_O4 + o -
			      ZMM_BLOCK_ORDER_MIN);
	return n;
}

static void test_shrink_head_race(void)
{
	struct uenv u;
	struct zmm_pool *pool = mkpool(&u, ZMM_COMP_LZ4, ZMM_BLOCK_ORDER_MAX);
	struct zmm_arena_info info;
	struct sh_race r = { .pool = pool };
	unsigned int i, n;
	unsigned long freed;

	/* store until the arena's head is a 2 MiB block */
	for (n = 0; n < 8192 && !u.allocs[ZMM_BLOCK_ORDER_MAX]; n++)
		fill(pool, ZMM_ANON, 5, 1, n);
	CHECK(u.allocs[ZMM_BLOCK_ORDER_MAX], "a 2 MiB head after %u stores",
	      n);
	/* all but the last zpage, which is in the head, go */
	for (i = 0; i + 1 < n; i++) {
		struct zmm_key k = K(ZMM_ANON, 1, i);

		CHECK(!zmm_invalidate(pool, &k), "invalidate %u", i);
	}
	CHECK(!zmm_arena_info(pool, 5, 0, ZMM_ANON, &info) &&
	      info.nr_zpages == 1 &&
	      info.pages_held == BIT(ZMM_BLOCK_ORDER_MAX),
	      "a lone head: %lu zpages in %lu pageframes", info.nr_zpages,
	      info.pages_held);

	/* compaction moves it to a smaller block; the zpage goes meanwhile */
	r.key = K(ZMM_ANON, 1, n - 1);
	u.on_alloc = sh_on_alloc;
	u.on_alloc_priv = &r;
	freed = zmm_compact(pool, 5, 0, ZMM_ANON);
	u.on_alloc = NULL;
	CHECK(r.calls == 1, "allocated %u times with the lock dropped",
	      r.calls);
	CHECK(!freed, "%lu pageframes freed by the compaction", freed);
	CHECK(!zmm_arena_info(pool, 5, 0, ZMM_ANON, &info) &&
	      !info.nr_zpages && !info.pages_held,
	      "the arena holds %lu zpages in %lu pageframes", info.nr_zpages,
	      info.pages_held);
	CHECK(u.blocks_out == 0, "%ld blocks out", u.blocks_out);
	CHECK(zmm_stat(pool, ZMM_STAT_BLOCKS_FREED) == blocks_allocated(pool),
	      "%lu blocks freed of %lu allocated",
	      zmm_stat(pool, ZMM_STAT_BLOCKS_FREED), blocks_allocated(pool));
	check_pool(pool, &u);
	zmm_pool_destroy(pool);
	uenv_fini(&u);
}

/* ------------------------------------------------------------------ */

static const struct {
	const char *name;
	void (*fn)(void);
} tests[] = {
	{ "roundtrip_lz4_every_class", test_roundtrip_lz4 },
	{ "roundtrip_zstd_every_class", test_roundtrip_zstd },
	{ "bad_inputs_defined_errors", test_bad_inputs },
	{ "model_100k_ops_recount_every_op", test_model },
	{ "shrink_coldest_first_and_targets", test_shrink },
	{ "reclaim_file_first_proportional_drain", test_reclaim_and_drain },
	{ "order_fallback_and_compaction", test_fallback_and_compaction },
	{ "edges_corrupt_range_owners_nomem", test_edges },
	{ "index_many_objects_short_chains", test_index_many_objects },
	{ "index_file_xarray_nomem_replace_ranges", test_index_file_xarray },
	{ "after_exit_compaction", test_after_exit },
	{ "policy_limit_admission_compaction_kicks", test_policy },
	{ "shrink_asked_paced_to_blocks", test_shrink_asked },
	{ "load_credit_old_not_young", test_load_credit },
	{ "load_churn_young_evicts_cold", test_load_churn },
	{ "load_churn_answered_by_recompression", test_load_churn_recompress },
	{ "load_churn_taken_back_when_pool_cycles",
	  test_load_churn_whole_pool_cycles },
	{ "load_churn_let_go_when_evictions_return", test_load_churn_futile },
	{ "load_churn_let_go_in_small_arena", test_load_churn_small_arena },
	{ "evict_end_follows_refaults", test_evict_end },
	{ "arena_retire_reused_id_starts_afresh", test_arena_retire },
	{ "owner_gone_moves_zpages_to_heir", test_owner_gone },
	{ "recompress_cold_before_writeback", test_recompress },
	{ "recompress_old_in_background", test_recompress_background },
	{ "alloc_failure_clean_reject_no_leak", test_alloc_failure },
	{ "shrink_head_races_last_release", test_shrink_head_race },
	{ "threads_disjoint_and_shared_keys", test_threads },
	{ "threads_with_recompression", test_threads_recompress },
};

int main(int argc, char **argv)
{
	unsigned int i, passed = 0, failed = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 0; i < ARRAY_SIZE(tests); i++) {
		if (argc > 1 && !strstr(tests[i].name, argv[1]))
			continue;
		t_name = tests[i].name;
		t_failed_checks = 0;
		tests[i].fn();
		if (t_failed_checks) {
			printf("not ok %u - %s\n", i + 1, t_name);
			failed++;
		} else {
			printf("ok %u - %s\n", i + 1, t_name);
			passed++;
		}
	}
	printf("%u passed, %u failed\n", passed, failed);
	return failed ? 1 : 0;
}
