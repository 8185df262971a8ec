// SPDX-License-Identifier: GPL-2.0
/*
 * zmm demo (userspace): store real memory pages, let "MM" direct shrinks,
 * and show what happened, in the terms MM uses: pageframes.
 *
 * usage: zmm-demo CORPUS
 */
#include "zmm_core.c"
#include "user_env.h"
#include "corpus.h"

static struct zmm_corpus C;
static unsigned char buf[PAGE_SIZE];
static unsigned char *swap_disk;	/* anon pages written back */
static bool *on_disk;
static unsigned long wb_pages;

static int demo_writeback(void *priv, const struct zmm_key *key,
			  struct zmm_writeback *wb)
{
	int ret;

	if (key->index >= C.nr_pages)
		return -EINVAL;
	ret = zmm_writeback_fill(wb, swap_disk + key->index * PAGE_SIZE);
	if (ret)
		return ret;
	on_disk[key->index] = true;
	wb_pages++;
	return 0;
}

static const char *const tn[] = { "anon", "file" };

static void show(struct zmm_pool *pool, const char *when)
{
	struct zmm_arena_info in;
	unsigned int owner, t, o;

	printf("\n%s\n", when);
	printf("  %-8s %-5s %9s %12s %10s %7s  %s\n", "memcg", "type",
	       "zpages", "compressed", "pageframes", "density", "blocks");
	for (owner = 1; owner <= 2; owner++) {
		for (t = 0; t < ZMM_NR_TYPES; t++) {
			if (zmm_arena_info(pool, owner, 0, t, &in))
				continue;
			printf("  %-8u %-5s %9lu %9.1f MiB %10lu %7.3f  ",
			       owner, tn[t], in.nr_zpages,
			       in.bytes_used / 1048576.0, in.pages_held,
			       in.bytes_used ? in.pages_held * 4096.0 /
					       in.bytes_used : 0);
			for (o = ZMM_BLOCK_ORDER_MAX + 1; o-- > 0;)
				if (in.nr_blocks[o])
					printf("%lux%luK ", in.nr_blocks[o],
					       4UL << o);
			printf("\n");
		}
	}
}

/*
 * MM asks the @type zpages of memcg @owner for 1/@part of their pageframes;
 * say so, and how many zmm freed.  The caller says what went where.
 */
static void mm_shrink(struct zmm_pool *pool, u32 owner, enum zmm_type type,
		      unsigned int part)
{
	struct zmm_arena_info in;
	unsigned long want, freed;
	int ret;

	zmm_arena_info(pool, owner, 0, type, &in);
	want = in.pages_held / part;
	printf("\nMM: memcg %u %s zpages must give back %lu pageframes\n",
	       owner, tn[type], want);
	ret = zmm_shrink(pool, owner, 0, type, want, &freed);
	printf("zmm: freed %lu pageframes (%s), ", freed,
	       ret ? "short" : "target met");
}

int main(int argc, char **argv)
{
	unsigned long i, stored = 0, rejected = 0, same = 0, bad = 0;
	unsigned long from_zmm = 0, from_disk = 0, gone = 0;
	struct zmm_params p;
	struct zmm_ops ops;
	struct zmm_pool *pool;
	struct uenv u;
	int ret;

	if (argc < 2 || zmm_corpus_open(argv[1], &C)) {
		fprintf(stderr, "usage: %s CORPUS\n", argv[0]);
		return 2;
	}
	swap_disk = malloc((size_t)C.nr_pages * PAGE_SIZE);
	on_disk = calloc(C.nr_pages, sizeof(*on_disk));
	uenv_init(&u);
	u.writeback = demo_writeback;
	zmm_params_default(&p);
	ops = uenv_ops(&u);
	pool = zmm_pool_create(&p, &ops);
	if (!pool || !swap_disk || !on_disk)
		return 1;

	printf("zmm demo: %u real memory pages (%.0f MiB) from %s\n",
	       C.nr_pages, C.nr_pages / 256.0, argv[1]);
	printf("even pages are anon (swap-out), odd pages are clean file "
	       "pages (page-cache eviction);\nmemcg 1 owns the first half, "
	       "memcg 2 the second.\n");
	for (i = 0; i < C.nr_pages; i++) {
		struct zmm_key k = { i & 1 ? ZMM_FILE : ZMM_ANON, 7, i };

		ret = zmm_store(pool, &k, i < C.nr_pages / 2 ? 1 : 2, 0,
				zmm_corpus_page(&C, i), PAGE_SIZE);
		stored += !ret;
		rejected += ret == -E2BIG;
	}
	same = zmm_stat(pool, ZMM_STAT_SAME_FILLED);
	printf("\nstored %lu pages (%lu same-filled, no storage), rejected "
	       "%lu as incompressible (they go to swap)\n", stored, same,
	       rejected);
	printf("%.1f MiB of pages held in %lu pageframes (%.1f MiB): "
	       "%.2fx\n", (stored - same) / 256.0,
	       zmm_stat(pool, ZMM_STAT_PAGES_HELD),
	       zmm_stat(pool, ZMM_STAT_PAGES_HELD) / 256.0,
	       (double)(stored - same) /
	       zmm_stat(pool, ZMM_STAT_PAGES_HELD));
	show(pool, "after the stores:");

	mm_shrink(pool, 1, ZMM_ANON, 2);
	printf("%lu coldest pages written back to swap\n", wb_pages);
	mm_shrink(pool, 2, ZMM_FILE, 4);
	printf("%lu coldest clean pages dropped\n",
	       zmm_stat(pool, ZMM_STAT_EVICT_DROP));
	printf("\nblocks returned to the page allocator: %lu, of which 2 MiB: "
	       "%lu\n", zmm_stat(pool, ZMM_STAT_BLOCKS_FREED), u.frees[9]);
	show(pool, "after the shrinks:");

	/* every page comes back: from zmm, from swap, or was clean */
	for (i = 0; i < C.nr_pages; i++) {
		struct zmm_key k = { i & 1 ? ZMM_FILE : ZMM_ANON, 7, i };

		ret = zmm_load(pool, &k, buf, PAGE_SIZE, true);
		if (!ret) {
			from_zmm++;
			bad += !!memcmp(buf, zmm_corpus_page(&C, i), PAGE_SIZE);
		} else if (on_disk[i]) {
			from_disk++;
			bad += !!memcmp(swap_disk + i * PAGE_SIZE,
					zmm_corpus_page(&C, i), PAGE_SIZE);
		} else {
			gone++;	/* rejected or dropped clean: re-read */
		}
	}
	printf("\nread back: %lu from zmm, %lu from swap, %lu re-read from "
	       "their file or never stored; %lu corrupt\n", from_zmm,
	       from_disk, gone, bad);
	printf("pageframes held now: %lu (blocks out: %ld)\n",
	       zmm_stat(pool, ZMM_STAT_PAGES_HELD), u.blocks_out);
	zmm_pool_destroy(pool);
	uenv_fini(&u);
	zmm_corpus_close(&C);
	free(swap_disk);
	free(on_disk);
	return bad ? 1 : 0;
}
