// SPDX-License-Identifier: GPL-2.0
/*
 * zmm userspace store benchmark.
 *
 * Every figure is measured in this run, on the same corpus pages, and the
 * speed figures are ratios against raw liblz4 / libzstd doing the same
 * compress + decompress of the same pages in the same process:
 *
 *   speed       zmm store+load time vs raw compress+decompress time
 *   density     pageframes held / ideal (compressed bytes / 4096), after
 *               a fill of >= 64 MiB compressed and again after churn
 *   straddle    share of objects that cross a pageframe boundary
 *   shrink      pageframes freed per ms by zmm_shrink()
 *   whole       share of the memory freed by fill-then-shrink-to-half
 *               that went back as whole 2 MiB blocks
 *
 * usage: zmm-bench CORPUS [JSON_OUT]
 */
#include "zmm_core.c"
#include "user_env.h"
#include "pagegen.h"
#include "corpus.h"
#include <time.h>

#define ROUNDS 5
#define FILL_BYTES (64UL << 20)

static struct zmm_corpus C;
static unsigned char outp[PAGE_SIZE];
static FILE *json;
static bool json_first = true;

static double now(void)
{
	struct timespec ts;

	/*
	 * CPU time of this thread: what the code costs, not what the rest of
	 * the machine (a kernel build, say) takes from it.
	 */
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void jnum(const char *key, double v)
{
	printf("  %-34s %12.4f\n", key, v);
	if (json) {
		fprintf(json, "%s\n  \"%s\": %.6g", json_first ? "" : ",", key,
			v);
		json_first = false;
	}
}

/* the pages the speed rounds run on: all, or one selection */
static uint32_t *sel;
static unsigned long nr_sel;

static const void *page(unsigned long i)
{
	return zmm_corpus_page(&C, i % C.nr_pages);
}

static const void *spage(unsigned long i)
{
	return zmm_corpus_page(&C, sel[i]);
}

/* ---- raw compressors ---- */

static double raw_lz4(void)
{
	void *state = malloc(LZ4_sizeofState());
	char *buf = malloc(LZ4_COMPRESSBOUND(PAGE_SIZE));
	double best = 1e9, t;
	unsigned long i, bad = 0;
	int r, c;

	for (r = 0; r < 1; r++) {
		t = now();
		for (i = 0; i < nr_sel; i++) {
			c = LZ4_compress_fast_extState(state, spage(i), buf,
						       PAGE_SIZE,
						       LZ4_COMPRESSBOUND(PAGE_SIZE),
						       1);
			if (LZ4_decompress_safe(buf, (char *)outp, c,
						PAGE_SIZE) != PAGE_SIZE)
				bad++;
		}
		best = min(best, now() - t);
	}
	if (bad)
		fprintf(stderr, "raw lz4: %lu bad round trips\n", bad);
	free(state);
	free(buf);
	return best;
}

static double raw_zstd(int level)
{
	ZSTD_CCtx *cc = ZSTD_createCCtx();
	ZSTD_DCtx *dc = ZSTD_createDCtx();
	size_t cap = ZSTD_compressBound(PAGE_SIZE), c;
	char *buf = malloc(cap);
	double best = 1e9, t;
	unsigned long i;
	int r;

	for (r = 0; r < 1; r++) {
		t = now();
		for (i = 0; i < nr_sel; i++) {
			c = ZSTD_compressCCtx(cc, buf, cap, spage(i), PAGE_SIZE,
					      level);
			ZSTD_decompressDCtx(dc, outp, PAGE_SIZE, buf, c);
		}
		best = min(best, now() - t);
	}
	ZSTD_freeCCtx(cc);
	ZSTD_freeDCtx(dc);
	free(buf);
	return best;
}

/* ---- zmm ---- */

/*
 * Blocks for the speed rounds come from a cache of memory that has been
 * touched before, as the page allocator's free memory is: fresh
 * aligned_alloc() memory would charge zmm for page faults and zeroing
 * that the kernel does not do.
 */
struct cached_block {
	struct cached_block *next;
};

static struct cached_block *block_cache[ZMM_BLOCK_ORDER_MAX + 1];

static void *cache_alloc(void *priv, unsigned int order, u32 owner, int nid,
			 enum zmm_type type)
{
	struct cached_block *b = block_cache[order];

	if (b) {
		block_cache[order] = b->next;
		return b;
	}
	b = aligned_alloc(PAGE_SIZE, PAGE_SIZE << order);
	if (b)
		memset(b, 0, PAGE_SIZE << order);
	return b;
}

static void cache_free(void *priv, void *base, unsigned int order, u32 owner,
		       int nid, enum zmm_type type)
{
	struct cached_block *b = base;

	b->next = block_cache[order];
	block_cache[order] = b;
}

static struct zmm_pool *mk_cached(enum zmm_comp comp)
{
	struct zmm_ops ops = {
		.alloc_block = cache_alloc,
		.free_block = cache_free,
	};
	struct zmm_params p;

	zmm_params_default(&p);
	p.comp = comp;
	return zmm_pool_create(&p, &ops);
}

static unsigned int slack = 3;

static struct zmm_pool *mk(struct uenv *u, enum zmm_comp comp)
{
	struct zmm_params p;
	struct zmm_ops ops;

	uenv_init(u);
	zmm_params_default(&p);
	p.comp = comp;
	p.compact_slack_pct = slack;
	ops = uenv_ops(u);
	return zmm_pool_create(&p, &ops);
}

/*
 * One round: store every page, then load every page back; returns the
 * time taken.  With @verify, each load is also compared with the page
 * (that round's time is not used: raw lz4/zstd compare nothing either).
 */
static double zmm_roundtrip(enum zmm_comp comp, unsigned long *stored,
			    bool verify)
{
	struct zmm_pool *pool = mk_cached(comp);
	unsigned long i, bad = 0;
	double t;

	*stored = 0;
	t = now();
	for (i = 0; i < nr_sel; i++) {
		struct zmm_key k = { ZMM_ANON, 0, i };

		*stored += !zmm_store(pool, &k, 1, 0, spage(i), PAGE_SIZE);
	}
	for (i = 0; i < nr_sel; i++) {
		struct zmm_key k = { ZMM_ANON, 0, i };

		if (!zmm_load(pool, &k, outp, PAGE_SIZE, true) && verify &&
		    memcmp(outp, spage(i), PAGE_SIZE))
			bad++;
	}
	t = now() - t;
	if (bad)
		fprintf(stderr, "zmm: %lu corrupt loads\n", bad);
	zmm_pool_destroy(pool);
	return bad ? 1e9 : t;
}

/* a writeback that decompresses the page and does no I/O */
static int null_writeback(void *priv, const struct zmm_key *key,
			  struct zmm_writeback *wb)
{
	static unsigned char page[PAGE_SIZE];

	return zmm_writeback_fill(wb, page);
}

struct shape {
	unsigned long held, used, objs, straddle, meta;
};

static void shape_block(struct shape *s, struct zmm_block *b)
{
	struct zmm_entry *e;

	s->meta += sizeof(*b);
	list_for_each_entry(e, &b->objs, bnode) {
		s->objs++;
		s->straddle += e->off / PAGE_SIZE !=
			       (e->off + e->len - 1) / PAGE_SIZE;
	}
}

static struct shape pool_shape(struct zmm_pool *pool)
{
	struct shape s = { 0 };
	struct zmm_arena *a;
	struct zmm_block *b;
	unsigned long i;
	unsigned int k;

	for (i = 0; i < (1UL << pool->arenas.bits); i++) {
		hlist_for_each_entry(a, &pool->arenas.heads[i], hnode) {
			s.held += a->pages_held;
			s.used += a->bytes_used;
			if (a->head)
				shape_block(&s, a->head);
			for (k = 0; k < ZMM_NR_BUCKETS; k++)
				list_for_each_entry(b, &a->buckets[k], node)
					shape_block(&s, b);
		}
	}
	s.meta += zmm_stat(pool, ZMM_STAT_NR_ZPAGES) *
		  sizeof(struct zmm_entry);
	return s;
}

static double density(const struct shape *s, bool meta)
{
	double ideal = (double)s->used / PAGE_SIZE;

	return (s->held + (meta ? (double)s->meta / PAGE_SIZE : 0)) / ideal;
}

/* fill >= 64 MiB compressed; returns the number of keys */
static unsigned long fill(struct zmm_pool *pool, enum zmm_type t)
{
	unsigned long i;

	for (i = 0; zmm_stat(pool, ZMM_STAT_BYTES_USED) < FILL_BYTES; i++) {
		struct zmm_key k = { t, 0, i };

		zmm_store(pool, &k, 1, 0, page(i), PAGE_SIZE);
	}
	return i;
}

static void bench_density(void)
{
	struct uenv u;
	struct zmm_pool *pool = mk(&u, ZMM_COMP_LZ4);
	double sum = 0, worst = 0, d = 0;
	unsigned long keys;
	unsigned int n = 0;
	struct shape sh;

	/*
	 * The head block is filling up: right after a new one is opened a
	 * pool holds up to a block more than it needs.  Sample every MiB from
	 * 64 to 96 MiB compressed: the mean is what a pool of a random size
	 * shows, the worst is the case just after opening a block.
	 */
	keys = 0;
	for (n = 0; n <= 32; n++) {
		for (; zmm_stat(pool, ZMM_STAT_BYTES_USED) <
		       FILL_BYTES + ((unsigned long)n << 20); keys++) {
			struct zmm_key k = { ZMM_ANON, 0, keys };

			zmm_store(pool, &k, 1, 0, page(keys), PAGE_SIZE);
		}
		sh = pool_shape(pool);
		d = density(&sh, false);
		sum += d;
		worst = max(worst, d);
	}
	printf("fill: %lu pages, %.1f MiB compressed in %lu pageframes\n",
	       keys, sh.used / 1048576.0, sh.held);
	jnum("density_fill_mean_64_96MiB", sum / n);
	jnum("density_fill_worst_64_96MiB", worst);
	jnum("density_fill_with_metadata", density(&sh, true));
	jnum("straddle_share", (double)sh.straddle / sh.objs);

	zmm_pool_destroy(pool);
	uenv_fini(&u);
}

/*
 * Churn at one compact_slack_pct: fill 64 MiB, then as many swap-ins of
 * random keys (exclusive loads) as there are keys, each followed by the
 * swap-out of a new page; then one background compaction.
 */
static void bench_churn(unsigned int s_pct)
{
	unsigned long keys, i, s = 1, moved, next, churn_bytes = 0;
	struct shape sh;
	struct uenv u;
	struct zmm_pool *pool;
	char key[64];

	slack = s_pct;
	pool = mk(&u, ZMM_COMP_LZ4);
	keys = fill(pool, ZMM_ANON);
	/* churn: swap-ins of random keys, swap-outs of new pages */
	moved = zmm_stat(pool, ZMM_STAT_COMPACT_BYTES);
	next = keys;
	for (i = 0; i < 2 * keys; i++) {
		struct zmm_key k = { ZMM_ANON, 0, xrand(&s) % next };
		struct zmm_key n = { ZMM_ANON, 0, next };

		unsigned long before;

		if (zmm_load(pool, &k, outp, PAGE_SIZE, true))
			continue;
		before = zmm_stat(pool, ZMM_STAT_BYTES_USED);
		zmm_store(pool, &n, 1, 0, page(next), PAGE_SIZE);
		churn_bytes += zmm_stat(pool, ZMM_STAT_BYTES_USED) - before;
		next++;
	}
	sh = pool_shape(pool);
	snprintf(key, sizeof(key), "churn_slack%u_density", s_pct);
	jnum(key, density(&sh, false));
	snprintf(key, sizeof(key), "churn_slack%u_moved_per_byte", s_pct);
	jnum(key, (double)(zmm_stat(pool, ZMM_STAT_COMPACT_BYTES) - moved) /
	     max(1UL, churn_bytes));
	/* what the kernel's background compaction does after a burst */
	moved = zmm_stat(pool, ZMM_STAT_COMPACT_BYTES);
	zmm_compact(pool, 1, 0, ZMM_ANON);
	sh = pool_shape(pool);
	snprintf(key, sizeof(key), "churn_slack%u_then_compact_density",
		 s_pct);
	jnum(key, density(&sh, false));
	snprintf(key, sizeof(key), "churn_slack%u_compact_moved_MiB", s_pct);
	jnum(key, (zmm_stat(pool, ZMM_STAT_COMPACT_BYTES) - moved) /
	     1048576.0);
	zmm_pool_destroy(pool);
	uenv_fini(&u);
}

static void bench_shrink(enum zmm_type t, const char *name)
{
	unsigned long freed, before9, pages_before;
	struct zmm_arena_info info;
	char key[64];
	struct uenv u;
	struct zmm_pool *pool = mk(&u, ZMM_COMP_LZ4);
	double t0, dt;

	u.writeback = null_writeback;
	fill(pool, t);
	zmm_arena_info(pool, 1, 0, t, &info);
	before9 = u.frees[9];
	pages_before = u.pages_out;
	t0 = now();
	zmm_shrink(pool, 1, 0, t, info.pages_held / 2, &freed);
	dt = now() - t0;
	snprintf(key, sizeof(key), "shrink_%s_pages_per_ms", name);
	jnum(key, freed / (dt * 1000));
	snprintf(key, sizeof(key), "shrink_%s_whole_2m_share", name);
	jnum(key, (double)((u.frees[9] - before9) << 9) /
	     max(1L, pages_before - u.pages_out));
	snprintf(key, sizeof(key), "shrink_%s_overshoot_pages", name);
	jnum(key, (double)freed - info.pages_held / 2);
	zmm_pool_destroy(pool);
	uenv_fini(&u);
}

/*
 * Raw compress+decompress against zmm store+load of the same pages, in
 * interleaved rounds so that drift hits both sides alike.  @anon: only
 * the pages captured from real processes.
 */
static void speed(const char *what, bool anon)
{
	double lz4 = 1e9, zl = 1e9, zstd = 1e9, zz = 1e9;
	unsigned long stored, i;
	char key[64];

	for (i = nr_sel = 0; i < C.nr_pages; i++) {
		if (!anon || C.cls[i] == ZMM_CORPUS_ANON_CC ||
		    C.cls[i] == ZMM_CORPUS_ANON_PY)
			sel[nr_sel++] = i;
	}
	printf("\nspeed on %s pages (%lu; best of %d interleaved rounds, "
	       "thread CPU time):\n", what, nr_sel, ROUNDS);
	zmm_roundtrip(ZMM_COMP_LZ4, &stored, true);
	zmm_roundtrip(ZMM_COMP_ZSTD, &stored, true);
	for (i = 0; i < ROUNDS; i++) {
		lz4 = min(lz4, raw_lz4());
		zl = min(zl, zmm_roundtrip(ZMM_COMP_LZ4, &stored, false));
		zstd = min(zstd, raw_zstd(3));
		zz = min(zz, zmm_roundtrip(ZMM_COMP_ZSTD, &stored, false));
	}
#define K(fmt) (snprintf(key, sizeof(key), fmt, what), key)
	jnum(K("%s_raw_lz4_MBps"), nr_sel * 4096.0 / lz4 / 1e6);
	jnum(K("%s_zmm_lz4_MBps"), nr_sel * 4096.0 / zl / 1e6);
	jnum(K("%s_zmm_lz4_vs_raw"), lz4 / zl);
	jnum(K("%s_zmm_stored_share"), (double)stored / nr_sel);
	jnum(K("%s_raw_zstd3_MBps"), nr_sel * 4096.0 / zstd / 1e6);
	jnum(K("%s_zmm_zstd3_MBps"), nr_sel * 4096.0 / zz / 1e6);
	jnum(K("%s_zmm_zstd_vs_raw"), zstd / zz);
#undef K
}

int main(int argc, char **argv)
{
	unsigned long cls[ZMM_CORPUS_NR_CLASSES] = { 0 }, i;

	if (argc < 2) {
		fprintf(stderr, "usage: %s CORPUS [JSON_OUT]\n", argv[0]);
		return 2;
	}
	if (zmm_corpus_open(argv[1], &C))
		return 1;
	if (argc > 2) {
		json = fopen(argv[2], "w");
		if (!json) {
			perror(argv[2]);
			return 1;
		}
		fprintf(json, "{");
	}
	for (i = 0; i < C.nr_pages; i++)
		cls[C.cls[i]]++;
	printf("corpus %s: %u pages (", argv[1], C.nr_pages);
	for (i = 0; i < ZMM_CORPUS_NR_CLASSES; i++)
		printf("%s%s %lu", i ? ", " : "", zmm_corpus_class_name(i),
		       cls[i]);
	printf(")\n");
	jnum("corpus_pages", C.nr_pages);
	sel = malloc(C.nr_pages * sizeof(*sel));
	speed("all", false);
	speed("anon", true);
	printf("\ndensity (lz4, >= 64 MiB compressed):\n");
	bench_density();
	printf("\nchurn (2 x keys swap-in + swap-out), by compact_slack_pct:\n");
	bench_churn(1);
	bench_churn(3);
	bench_churn(10);
	slack = 3;
	printf("\nshrink to half after a fill:\n");
	bench_shrink(ZMM_ANON, "anon");
	bench_shrink(ZMM_FILE, "file");
	if (json) {
		fprintf(json, "\n}\n");
		fclose(json);
	}
	zmm_corpus_close(&C);
	return 0;
}
