// SPDX-License-Identifier: GPL-2.0
/*
 * hotcold: a cold data set and a hot working set, every page verified.
 * Built static by scripts/initramfs.sh into /bin/hotcold; driven by
 * tests/vm/hotcold.sh and bench/vm-hotcold.sh.
 *
 *   hotcold [-c COLD_MIB] [-w HOT_MIB] [-t SECONDS | -p PASSES] [-S SEED]
 *           [-W FILE]
 *
 * Fills COLD_MIB MiB once (the cold set), then HOT_MIB MiB (the hot set),
 * and for SECONDS seconds picks hot pages at random: each is verified
 * against what was last written to it, then rewritten with a new
 * generation.  At the end every cold page is verified once.  Page contents
 * come from tests/vm/tools/pagetext.h: compressible, never zero, each
 * naming its page and generation, so a page read back from the wrong slot
 * or an older copy is caught.
 *
 * In a memcg whose memory.max is below COLD_MIB + HOT_MIB, the cold set
 * is what reclaim should push out (to zpages, then on to swap), and the
 * hot set what it should keep.
 *
 *   -p N  instead of random picks for SECONDS, N sequential sweeps over
 *         the hot set, each page verified and rewritten in turn: a cyclic
 *         access pattern, the worst case for LRU order once the hot set is
 *         larger than memory
 *   -W F  after the fill print "HOTCOLD: waiting F" and wait until file F
 *         exists (the shell samples counters meanwhile)
 *
 * Output, one line each, for the shell to parse:
 *   HOTCOLD: fill cold_pages=N hot_pages=M seed=S seconds=T
 *   HOTCOLD: done ops=N ms=T ops_per_s=R hot_bad=E cold_bad=F
 *   HOTCOLD: pswpout fill=A work=B verify=C  (pages written to swap, by
 *            phase: the fill, the hot accesses or sweeps, the last check)
 *   HOTCOLD: NAME fill=A work=B verify=C  (the same for zpage_scan_memcg,
 *            zpage_steal_memcg, zpage_refault, and zmm's evict_writeback
 *            and load_credit, ask_urgent, load_churn, evict_churn,
 *            churn_futile, recompressed, recompressed_background, and
 *            workingset_refault_anon,
 *            workingset_activate_anon and pgdeactivate)
 *   HOTCOLD-BAD: set=hot|cold page=IDX gen=G  (the first 10)
 * Exit status 0 when every page verified, 1 on bad pages, 2 on errors.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "pagetext.h"

/* a page's seed for generation GEN: the generations of one page differ */
#define GEN_SEED(seed, gen)	((seed) ^ ((unsigned long)(gen) << 40))
#define COLD_ID(i)		(i)
#define HOT_ID(i)		((1UL << 32) | (i))

static unsigned long nbad;

static int parse_ul(const char *s, unsigned long *v)
{
	char *end;

	errno = 0;
	*v = strtoul(s, &end, 0);
	return errno || end == s || *end ? -1 : 0;
}

static unsigned long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000UL + ts.tv_nsec / 1000000;
}

/* The value of counter NAME in FILE ("name value" lines), or 0 if none. */
static unsigned long counter(const char *file, const char *name)
{
	unsigned long v = 0;
	char n[64];
	FILE *f;

	f = fopen(file, "r");
	if (!f)
		return 0;
	while (fscanf(f, "%63s %lu", n, &v) == 2)
		if (!strcmp(n, name))
			break;
	if (strcmp(n, name))
		v = 0;
	fclose(f);
	return v;
}

/*
 * The counters reported by phase: pages written to swap first, then how
 * reclaim directed zmm (pageframes asked and freed of the zpage subclass
 * by memcg reclaim, pages loaded soon after reclaim made them zpages) and
 * what zmm did (zpages written back, pageframes of old zpages loaded,
 * counted against the asks).  Those not there (zswap,
 * a kernel without the hooks, no debugfs) read 0.
 */
#define ZMM_STATS	"/sys/kernel/debug/zmm/stats"
static const struct {
	const char *file, *name;
} counters[] = {
	{ "/proc/vmstat", "pswpout" },
	{ "/proc/vmstat", "zpage_scan_memcg" },
	{ "/proc/vmstat", "zpage_steal_memcg" },
	{ "/proc/vmstat", "zpage_refault" },
	{ ZMM_STATS, "evict_writeback" },
	{ ZMM_STATS, "load_credit" },
	{ ZMM_STATS, "ask_urgent" },
	{ ZMM_STATS, "load_churn" },
	{ ZMM_STATS, "evict_churn" },
	{ ZMM_STATS, "churn_futile" },
	{ ZMM_STATS, "recompressed" },
	{ ZMM_STATS, "recompressed_background" },
	{ "/proc/vmstat", "workingset_refault_anon" },
	{ "/proc/vmstat", "workingset_activate_anon" },
	{ "/proc/vmstat", "pgdeactivate" },
};
#define NR_COUNTERS	(sizeof(counters) / sizeof(counters[0]))

/*
 * Mark the start of phase NAME in the trace buffer, for the shell to split
 * the zpage tracepoint's asks by phase; nothing without tracefs.
 */
static void trace_phase(const char *name)
{
	FILE *f = fopen("/sys/kernel/tracing/trace_marker", "w");

	if (!f)
		return;
	fprintf(f, "phase %s\n", name);
	fclose(f);
}

static void read_counters(unsigned long *v)
{
	unsigned int i;

	for (i = 0; i < NR_COUNTERS; i++)
		v[i] = counter(counters[i].file, counters[i].name);
}

/* Verify page P (ID, generation GEN); report the first few bad ones. */
static int verify(const unsigned char *p, unsigned char *want,
		  const char *set, unsigned long id, unsigned long seed,
		  unsigned int gen)
{
	pagetext(want, id, GEN_SEED(seed, gen));
	if (!memcmp(p, want, PAGE))
		return 0;
	if (nbad++ < 10)
		printf("HOTCOLD-BAD: set=%s page=%lu gen=%u\n", set,
		       id & 0xffffffffUL, gen);
	return 1;
}

static unsigned char *map(unsigned long pages)
{
	void *p = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: hotcold [-c COLD_MIB] [-w HOT_MIB] [-t SECONDS | -p PASSES] [-S SEED] [-W FILE]\n");
}

int main(int argc, char **argv)
{
	unsigned long cold_mib = 64, hot_mib = 16, secs = 30, seed = 1;
	unsigned long ncold, nhot, i, ops = 0, t0, ms, cold_bad = 0;
	unsigned long c0[NR_COUNTERS], c1[NR_COUNTERS], c2[NR_COUNTERS];
	unsigned long c3[NR_COUNTERS];
	unsigned long hot_bad = 0, st, passes = 0;
	unsigned char *cold, *hot, *want;
	const char *wait_file = NULL;
	unsigned int *gen;
	int c;

	while ((c = getopt(argc, argv, "c:w:t:p:S:W:h")) != -1) {
		switch (c) {
		case 'c':
			if (parse_ul(optarg, &cold_mib))
				goto bad_arg;
			break;
		case 'w':
			if (parse_ul(optarg, &hot_mib) || !hot_mib)
				goto bad_arg;
			break;
		case 't':
			if (parse_ul(optarg, &secs))
				goto bad_arg;
			break;
		case 'p':
			if (parse_ul(optarg, &passes) || !passes)
				goto bad_arg;
			break;
		case 'S':
			if (parse_ul(optarg, &seed))
				goto bad_arg;
			break;
		case 'W':
			wait_file = optarg;
			break;
		case 'h':
			usage();
			return 0;
		default:
			goto bad_arg;
		}
	}
	ncold = cold_mib << 20 >> 12;
	nhot = hot_mib << 20 >> 12;
	cold = ncold ? map(ncold) : NULL;
	hot = map(nhot);
	want = malloc(PAGE);
	gen = calloc(nhot, sizeof(*gen));
	if ((ncold && !cold) || !hot || !want || !gen) {
		perror("hotcold: memory");
		return 2;
	}
	read_counters(c0);
	trace_phase("fill");
	for (i = 0; i < ncold; i++)
		pagetext(cold + i * PAGE, COLD_ID(i), GEN_SEED(seed, 0));
	for (i = 0; i < nhot; i++)
		pagetext(hot + i * PAGE, HOT_ID(i), GEN_SEED(seed, 0));
	printf("HOTCOLD: fill cold_pages=%lu hot_pages=%lu seed=%lu seconds=%lu passes=%lu\n",
	       ncold, nhot, seed, passes ? 0 : secs, passes);
	fflush(stdout);
	if (wait_file) {
		printf("HOTCOLD: waiting %s\n", wait_file);
		fflush(stdout);
		while (access(wait_file, F_OK))
			usleep(100000);
	}

	st = seed * 0x9e3779b97f4a7c15ULL + 1;
	read_counters(c1);
	trace_phase("work");
	t0 = now_ms();
	for (i = 0; i < passes * nhot; i++, ops++) {
		unsigned long j = i % nhot;

		hot_bad += verify(hot + j * PAGE, want, "hot", HOT_ID(j),
				  seed, gen[j]);
		pagetext(hot + j * PAGE, HOT_ID(j), GEN_SEED(seed, ++gen[j]));
	}
	ms = now_ms() - t0;
	while (!passes) {
		/* a batch between clock reads */
		for (c = 0; c < 64; c++) {
			st = mix(st);
			i = st % nhot;
			hot_bad += verify(hot + i * PAGE, want, "hot", HOT_ID(i),
					  seed, gen[i]);
			pagetext(hot + i * PAGE, HOT_ID(i),
				 GEN_SEED(seed, ++gen[i]));
			ops++;
		}
		ms = now_ms() - t0;
		if (ms >= secs * 1000)
			break;
	}

	read_counters(c2);
	trace_phase("verify");
	for (i = 0; i < ncold; i++)
		cold_bad += verify(cold + i * PAGE, want, "cold", COLD_ID(i),
				   seed, 0);
	for (i = 0; i < nhot; i++)
		hot_bad += verify(hot + i * PAGE, want, "hot", HOT_ID(i), seed,
				  gen[i]);
	printf("HOTCOLD: done ops=%lu ms=%lu ops_per_s=%lu hot_bad=%lu cold_bad=%lu\n",
	       ops, ms, ms ? ops * 1000 / ms : 0, hot_bad, cold_bad);
	read_counters(c3);
	for (c = 0; c < (int)NR_COUNTERS; c++)
		printf("HOTCOLD: %s fill=%lu work=%lu verify=%lu\n",
		       counters[c].name, c1[c] - c0[c], c2[c] - c1[c],
		       c3[c] - c2[c]);
	return hot_bad || cold_bad ? 1 : 0;

bad_arg:
	usage();
	return 2;
}
