// SPDX-License-Identifier: GPL-2.0
/*
 * Capture of a live process's anonymous memory into a corpus: stop it,
 * find its present and swapped anonymous pages in /proc/PID/maps and
 * /proc/PID/pagemap, and copy them from /proc/PID/mem.
 */
#define _GNU_SOURCE
#define _FILE_OFFSET_BITS 64

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "capture.h"
#include "corpus.h"
#include "pagegen.h"
#include "util.h"

#define PAGE_SZ			ZMM_CORPUS_PAGE_SIZE

#define PM_PFN_MASK		((1ULL << 55) - 1)
#define PM_EXCLUSIVE		(1ULL << 56)
#define PM_SWAP			(1ULL << 62)
#define PM_PRESENT		(1ULL << 63)

struct cap_stats {
	unsigned long vmas;		/* private writable anon mappings */
	unsigned long vma_pages;	/* their total size in pages */
	unsigned long present;		/* present in RAM or swapped */
	unsigned long swapped;
	unsigned long zero_pfn;		/* the shared zero page: skipped */
	unsigned long taken;		/* written to the corpus */
	unsigned long unreadable;
	unsigned long rss_anon_kib;	/* RssAnon when stopped */
};

/*
 * PFN of the shared zero page, or 0 if unknown (PFNs are hidden from
 * unprivileged readers of pagemap). Untouched anon memory that was only
 * read maps it: such pages are neither in RssAnon nor ever swapped, so
 * they are skipped like untouched pages.
 */
static uint64_t zero_page_pfn(void)
{
	volatile unsigned char *p;
	uint64_t e = 0, pfn = 0;
	int fd;

	p = mmap(NULL, PAGE_SZ, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return 0;
	(void)p[0];
	fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		off_t off = (off_t)((uintptr_t)p / PAGE_SZ * 8);

		if (pread(fd, &e, 8, off) == 8 && (e & PM_PRESENT) &&
		    !(e & PM_EXCLUSIVE))
			pfn = e & PM_PFN_MASK;
		close(fd);
	}
	munmap((void *)p, PAGE_SZ);
	return pfn;
}

long capture_rss_anon_kib(pid_t pid)
{
	char path[64], buf[4096], *s;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (read_small(path, buf, sizeof(buf)) <= 0)
		return -1;
	s = strstr(buf, "\nRssAnon:");
	if (!s)
		return -1;
	return strtol(s + 9, NULL, 10);
}

/* Scheduler state letter of a task ('R', 'S', 'T', 'Z', ...) or 0. */
static char task_state(const char *stat_path)
{
	char buf[1024], *p;

	if (read_small(stat_path, buf, sizeof(buf)) <= 0)
		return 0;
	p = strrchr(buf, ')');
	if (!p || p[1] != ' ')
		return 0;
	return p[2];
}

/* Wait until every thread of @pid is stopped. */
static int wait_stopped(pid_t pid, unsigned int timeout_ms)
{
	double end = now_sec() + timeout_ms / 1000.0;
	char path[300];

	for (;;) {
		struct dirent *de;
		int all = 1, any = 0;
		DIR *d;

		snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
		d = opendir(path);
		if (!d)
			return -ESRCH;
		while ((de = readdir(d))) {
			char st;

			if (de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "/proc/%d/task/%s/stat",
				 (int)pid, de->d_name);
			st = task_state(path);
			if (st == 'Z' || st == 'X') {
				closedir(d);
				return -ESRCH;
			}
			any = 1;
			if (st != 'T' && st != 't')
				all = 0;
		}
		closedir(d);
		if (any && all)
			return 0;
		if (now_sec() > end)
			return -ETIMEDOUT;
		msleep(1);
	}
}

static int anon_vma(const char *perms, const char *name)
{
	if (perms[0] != 'r' || perms[1] != 'w' || perms[3] != 'p')
		return 0;
	return !*name || !strcmp(name, "[heap]") ||
	       !strncmp(name, "[stack", 6) || !strncmp(name, "[anon:", 6);
}

struct addr_vec {
	uint64_t *v;
	size_t nr, cap;
};

static int addr_push(struct addr_vec *a, uint64_t addr)
{
	if (a->nr == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 4096;
		uint64_t *v = realloc(a->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		a->v = v;
		a->cap = cap;
	}
	a->v[a->nr++] = addr;
	return 0;
}

/*
 * Collect the addresses of present/swapped pages of the private writable
 * anonymous mappings of stopped process @pid.
 */
static int collect_pages(pid_t pid, struct addr_vec *a, struct cap_stats *st)
{
	static uint64_t ent[512];
	uint64_t zpfn = zero_page_pfn();
	char path[64], *line = NULL;
	size_t lsz = 0;
	FILE *maps;
	int pm, ret = 0;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	maps = fopen(path, "re");
	snprintf(path, sizeof(path), "/proc/%d/pagemap", (int)pid);
	pm = open(path, O_RDONLY | O_CLOEXEC);
	if (!maps || pm < 0) {
		ret = -errno;
		pr_warn("pid %d: cannot open maps/pagemap: %s", (int)pid,
			strerror(errno));
		goto out;
	}

	while (getline(&line, &lsz, maps) > 0) {
		unsigned long start, end, va;
		char perms[8], *name;
		int nlen = 0;
		size_t l;

		if (sscanf(line, "%lx-%lx %7s %*s %*s %*s%n", &start, &end,
			   perms, &nlen) < 3 || !nlen)
			continue;
		name = line + nlen;
		while (*name == ' ' || *name == '\t')
			name++;
		l = strlen(name);
		while (l && (name[l - 1] == '\n' || name[l - 1] == ' '))
			name[--l] = '\0';
		if (strlen(perms) < 4 || !anon_vma(perms, name))
			continue;

		st->vmas++;
		st->vma_pages += (end - start) / PAGE_SZ;
		for (va = start; va < end; ) {
			size_t want = (end - va) / PAGE_SZ, i;
			ssize_t got;

			if (want > ARRAY_SIZE(ent))
				want = ARRAY_SIZE(ent);
			got = pread(pm, ent, want * 8,
				    (off_t)(va / PAGE_SZ * 8));
			if (got <= 0)
				break;
			want = (size_t)got / 8;
			for (i = 0; i < want; i++, va += PAGE_SZ) {
				uint64_t e = ent[i];

				if (!(e & (PM_PRESENT | PM_SWAP)))
					continue;
				if ((e & PM_PRESENT) && zpfn &&
				    (e & PM_PFN_MASK) == zpfn) {
					st->zero_pfn++;
					continue;
				}
				st->present++;
				if (e & PM_SWAP)
					st->swapped++;
				ret = addr_push(a, va);
				if (ret)
					goto out;
			}
		}
	}
out:
	free(line);
	if (maps)
		fclose(maps);
	if (pm >= 0)
		close(pm);
	return ret;
}

/*
 * Copy the anonymous memory of @pid, which the caller has stopped, into
 * the corpus as class @cls. At most @max_pages are taken; if more are
 * present, an evenly spread random subset is taken (selection sampling,
 * keeping address order).
 */
static int capture_pid(struct zmm_corpus_writer *w, pid_t pid, unsigned int cls,
		       uint64_t max_pages, unsigned long *r,
		       struct cap_stats *st)
{
	struct addr_vec a = { NULL, 0, 0 };
	unsigned char page[PAGE_SZ];
	uint64_t need, left;
	char path[64];
	size_t i;
	long rss = capture_rss_anon_kib(pid);
	int fd, ret;

	st->rss_anon_kib = rss > 0 ? (unsigned long)rss : 0;
	ret = collect_pages(pid, &a, st);
	if (ret)
		goto out;
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		pr_warn("%s: %s", path, strerror(errno));
		goto out;
	}
	need = a.nr < max_pages ? a.nr : max_pages;
	left = a.nr;
	for (i = 0; i < a.nr && need; i++, left--) {
		if (xrand_below(r, left) >= need)
			continue;
		need--;
		if (pread(fd, page, PAGE_SZ, (off_t)a.v[i]) != PAGE_SZ) {
			st->unreadable++;
			continue;
		}
		ret = zmm_corpus_writer_add(w, cls, page);
		if (ret)
			break;
		st->taken++;
	}
	close(fd);
out:
	free(a.v);
	return ret;
}

int capture_process(struct zmm_corpus_writer *w, pid_t pid, unsigned int cls,
		    unsigned int max_mib, unsigned long *r, double t0)
{
	struct cap_stats st;
	int ret;

	memset(&st, 0, sizeof(st));
	if (kill(pid, SIGSTOP) < 0)
		return -errno;
	ret = wait_stopped(pid, 5000);
	if (ret)
		return ret;
	ret = capture_pid(w, pid, cls, (uint64_t)max_mib * (1024 * 1024 /
			  PAGE_SZ), r, &st);
	if (ret)
		return ret;
	fprintf(stderr, "zmm-corpus: %s: pid %d after %.1fs: RssAnon %lu "
		"KiB, %lu anon vmas (%lu MiB), %lu pages present (%lu "
		"swapped, %lu zero-page skipped), took %lu (%.1f MiB)%s\n",
		zmm_corpus_class_name(cls), (int)pid, now_sec() - t0,
		st.rss_anon_kib, st.vmas, st.vma_pages * PAGE_SZ >> 20,
		st.present, st.swapped, st.zero_pfn, st.taken,
		st.taken * (PAGE_SZ / 1024.0) / 1024.0,
		st.unreadable ? " (some unreadable)" : "");
	return st.taken ? 0 : -ENODATA;
}
