// SPDX-License-Identifier: GPL-2.0
/*
 * mthp: swap large anonymous folios out and verify them when they come
 * back.  Built static by scripts/initramfs.sh into /bin/mthp; driven by
 * tests/vm/mthp.sh.
 *
 *   mthp [-s MIB] [-S SEED] [-o] [-H] [-W FILE] [-p PASSES] [-h]
 *
 * Maps MIB MiB of anonymous memory aligned to 2 MiB, so that with
 * /sys/kernel/mm/transparent_hugepage/hugepages-64kB/enabled = always
 * every 64 KiB of it faults in as one folio, and writes every page:
 * a header (page index, seed) and text made of words picked by a
 * pseudo-random generator seeded from both.  A page is never zero (the
 * swap zeromap of 6.12 would take it before any backend sees it) and
 * compresses about 2-3:1 with lz4 (a backend takes it).  Then:
 *
 *   -o   MADV_PAGEOUT on the whole region (reclaims it at once, large
 *        folios whole when swap can take them whole)
 *   -H   MADV_HUGEPAGE on the region before it is touched (for
 *        hugepages-64kB/enabled = madvise)
 *   -W F after the fill (and the pageout) print "MTHP: waiting F" and
 *        wait until file F exists (the shell reads counters meanwhile)
 *   -p N read the region back and verify every page N times (1)
 *
 * Run in a memory cgroup whose memory.max is below MIB, the fill itself
 * pushes folios out.  /proc/self/pagemap is read after the fill and after
 * the pageout: pages present, pages swapped, and the swapped 64 KiB
 * blocks whose 16 pages sit in 16 consecutive swap slots starting at a
 * multiple of 16 (how a folio swapped out whole is laid out).
 *
 * Output, one line each, for the shell to parse:
 *   MTHP: fill pages=N mib=M seed=S
 *   MTHP: pagemap when=fill|pageout present=P swapped=W whole64k=B blocks64k=T
 *   MTHP: waiting FILE
 *   MTHP: verify pass=I pages=N bad=E first_bad=IDX
 *   MTHP-BAD: page=IDX offset=OFF want=0x.. got=0x..  (the first 10)
 * Exit status 0 when every page verified, 1 on bad pages, 2 on errors.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pagetext.h"

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif
#ifndef MADV_HUGEPAGE
#define MADV_HUGEPAGE 14
#endif

#define BLOCK_PAGES 16UL	/* 64 KiB */
#define ALIGN (2UL << 20)

static int parse_ul(const char *s, unsigned long *v)
{
	char *end;

	errno = 0;
	*v = strtoul(s, &end, 0);
	return errno || end == s || *end ? -1 : 0;
}

/* Pages present and swapped, and 64 KiB blocks laid out as whole folios. */
static int pagemap_report(const char *when, unsigned char *base,
			  unsigned long pages)
{
	unsigned long i, present = 0, swapped = 0, whole = 0, blocks = 0;
	uint64_t *pm;
	ssize_t want = (ssize_t)(pages * sizeof(*pm));
	int fd;

	pm = malloc(pages * sizeof(*pm));
	fd = open("/proc/self/pagemap", O_RDONLY);
	if (!pm || fd < 0) {
		perror("pagemap");
		free(pm);
		return -1;
	}
	if (pread(fd, pm, want, (off_t)((uintptr_t)base / PAGE * sizeof(*pm))) != want) {
		perror("pagemap read");
		close(fd);
		free(pm);
		return -1;
	}
	close(fd);
	for (i = 0; i < pages; i++) {
		if (pm[i] >> 63 & 1)
			present++;
		else if (pm[i] >> 62 & 1)
			swapped++;
	}
	/* swap entry: type in bits 0-4, offset in bits 5-54 */
	for (i = 0; i + BLOCK_PAGES <= pages; i += BLOCK_PAGES) {
		uint64_t first = pm[i] >> 5 & ((1ULL << 50) - 1);
		unsigned long j;
		int ok = 1;

		blocks++;
		for (j = 0; j < BLOCK_PAGES && ok; j++) {
			uint64_t e = pm[i + j];

			ok = (e >> 62 & 3) == 1 &&
			     (e & 31) == (pm[i] & 31) &&
			     (e >> 5 & ((1ULL << 50) - 1)) == first + j;
		}
		if (ok && first % BLOCK_PAGES == 0)
			whole++;
	}
	printf("MTHP: pagemap when=%s present=%lu swapped=%lu whole64k=%lu blocks64k=%lu\n",
	       when, present, swapped, whole, blocks);
	fflush(stdout);
	free(pm);
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: mthp [-s MIB] [-S SEED] [-o] [-H] [-W FILE] [-p PASSES]\n");
}

int main(int argc, char **argv)
{
	unsigned long mib = 32, seed = 1, passes = 1, pages, i, p;
	unsigned char *map, *base, *want;
	const char *wait_file = NULL;
	int opt, pageout = 0, hugepage = 0, status = 0;

	while ((opt = getopt(argc, argv, "s:S:oHW:p:h")) != -1) {
		switch (opt) {
		case 's':
			if (parse_ul(optarg, &mib) || !mib) {
				usage();
				return 2;
			}
			break;
		case 'S':
			if (parse_ul(optarg, &seed)) {
				usage();
				return 2;
			}
			break;
		case 'o':
			pageout = 1;
			break;
		case 'H':
			hugepage = 1;
			break;
		case 'W':
			wait_file = optarg;
			break;
		case 'p':
			if (parse_ul(optarg, &passes)) {
				usage();
				return 2;
			}
			break;
		default:
			usage();
			return opt == 'h' ? 0 : 2;
		}
	}
	if (optind != argc) {
		usage();
		return 2;
	}
	pages = mib << 20 >> 12;

	map = mmap(NULL, (mib << 20) + ALIGN, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (map == MAP_FAILED) {
		perror("mmap");
		return 2;
	}
	base = (unsigned char *)(((uintptr_t)map + ALIGN - 1) & ~(ALIGN - 1));
	if (hugepage && madvise(base, mib << 20, MADV_HUGEPAGE)) {
		perror("madvise(MADV_HUGEPAGE)");
		return 2;
	}
	want = malloc(PAGE);
	if (!want) {
		perror("malloc");
		return 2;
	}

	for (i = 0; i < pages; i++)
		pagetext(base + i * PAGE, i, seed);
	printf("MTHP: fill pages=%lu mib=%lu seed=%lu\n", pages, mib, seed);
	fflush(stdout);
	if (pagemap_report("fill", base, pages))
		return 2;

	if (pageout) {
		if (madvise(base, mib << 20, MADV_PAGEOUT)) {
			perror("madvise(MADV_PAGEOUT)");
			return 2;
		}
		if (pagemap_report("pageout", base, pages))
			return 2;
	}
	if (wait_file) {
		printf("MTHP: waiting %s\n", wait_file);
		fflush(stdout);
		while (access(wait_file, F_OK))
			usleep(100000);
	}

	for (p = 1; p <= passes; p++) {
		unsigned long bad = 0, first = 0;

		for (i = 0; i < pages; i++) {
			unsigned char *pg = base + i * PAGE;
			size_t off;

			pagetext(want, i, seed);
			if (!memcmp(pg, want, PAGE))
				continue;
			if (!bad++)
				first = i;
			if (bad > 10)
				continue;
			for (off = 0; off < PAGE && pg[off] == want[off]; off++)
				;
			printf("MTHP-BAD: pass=%lu page=%lu offset=%zu want=0x%02x got=0x%02x%s\n",
			       p, i, off, want[off], pg[off],
			       memchr(pg, 0, PAGE) == pg &&
			       !memcmp(pg, pg + 1, PAGE - 1) ? " (zero page)" : "");
		}
		printf("MTHP: verify pass=%lu pages=%lu bad=%lu first_bad=%ld\n",
		       p, pages, bad, bad ? (long)first : -1L);
		fflush(stdout);
		if (bad)
			status = 1;
	}
	free(want);
	return status;
}
