// SPDX-License-Identifier: GPL-2.0
/*
 * zmm-corpus: build a corpus of real and synthetic 4 KiB memory pages for
 * the zmm compression benchmarks. See corpus.h for the file format.
 *
 *   zmm-corpus -o FILE [-n PAGES_PER_SYNTH_CLASS] [-m MAX_ANON_MIB] [-s SEED]
 *   zmm-corpus --synthetic -o FILE [-n N] [-s SEED]
 *   zmm-corpus --info FILE
 *
 * Synthetic classes: zero, same-filled, text (cut from text files found on
 * the machine) and random. Real classes: the anonymous memory of a cc1
 * compiling a generated C file, and of a python3 process holding a few tens
 * of MiB of objects. Those are captured through /proc/PID/{maps,pagemap,mem}
 * while the process is stopped; only pages present in RAM or in swap are
 * taken.
 *
 * Build with -DZMM_CORPUS_NO_MAIN to reuse the writer in tests.
 */
#define _GNU_SOURCE
#define _FILE_OFFSET_BITS 64

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "corpus.h"
#include "pagegen.h"

#define PAGE_SZ			ZMM_CORPUS_PAGE_SIZE
#define HDR_SIZE		ZMM_CORPUS_HDR_SIZE
#define DEF_SYNTH_PAGES		1024u
#define MAX_SYNTH_PAGES		(1u << 20)
#define DEF_ANON_MIB		64u
#define MAX_ANON_MIB		4096u
#define TEXT_PAGES_PER_FILE	4u	/* at most this many pages per file */
#define TEXT_MAX_FILE		(4u << 20)

#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))

#define PM_PFN_MASK		((1ULL << 55) - 1)
#define PM_EXCLUSIVE		(1ULL << 56)
#define PM_SWAP			(1ULL << 62)
#define PM_PRESENT		(1ULL << 63)

/* ---- synthetic classes ---- */

/*
 * @n pages of corpus class @cls from the page generator of the tests
 * (user/pagegen.c), class @gen, seeded from @seed.
 */
static int add_generated(struct zmm_corpus_writer *w, unsigned int cls,
			 enum gen_class gen, unsigned int n,
			 unsigned long seed)
{
	unsigned long page[PAGE_SZ / sizeof(unsigned long)];
	unsigned long r = gen_stream(seed, cls);
	unsigned int i;
	int ret;

	for (i = 0; i < n; i++) {
		gen_page(page, gen, xrand(&r));
		ret = zmm_corpus_writer_add(w, cls, page);
		if (ret)
			return ret;
	}
	return 0;
}

/* ---- text class ---- */

static const char *const text_roots[] = {
	"/usr/share/common-licenses",
	"/usr/share/doc",
	"/usr/include",
};

static const char *const skip_suffixes[] = {
	".gz", ".xz", ".bz2", ".zst", ".lz", ".lzma", ".Z", ".zip",
	".png", ".jpg", ".jpeg", ".gif", ".ico", ".pdf", ".svgz",
	".so", ".a", ".o", ".mo", ".db", ".bin",
};

struct path_list {
	char **v;
	size_t nr, cap;
};

/* nftw() has no user pointer; the walk is single threaded. */
static struct path_list *walk_list;

static int walk_cb(const char *path, const struct stat *st, int type,
		   struct FTW *ftw)
{
	size_t len = strlen(path), i;

	(void)ftw;
	if (type != FTW_F || !S_ISREG(st->st_mode))
		return 0;
	if (st->st_size < 256 || st->st_size > TEXT_MAX_FILE)
		return 0;
	for (i = 0; i < ARRAY_SIZE(skip_suffixes);
	     i++) {
		size_t sl = strlen(skip_suffixes[i]);

		if (len > sl && !strcmp(path + len - sl, skip_suffixes[i]))
			return 0;
	}
	if (walk_list->nr == walk_list->cap) {
		size_t cap = walk_list->cap ? walk_list->cap * 2 : 1024;
		char **v = realloc(walk_list->v, cap * sizeof(*v));

		if (!v)
			return -1;
		walk_list->v = v;
		walk_list->cap = cap;
	}
	walk_list->v[walk_list->nr] = strdup(path);
	if (!walk_list->v[walk_list->nr])
		return -1;
	walk_list->nr++;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Plain text: no NUL bytes and hardly any control characters. */
static int looks_like_text(const unsigned char *p, size_t len)
{
	size_t i, bad = 0;

	for (i = 0; i < len; i++) {
		unsigned char ch = p[i];

		if (!ch)
			return 0;
		if (ch < 0x20 && ch != '\n' && ch != '\t' && ch != '\r' &&
		    ch != '\f')
			bad++;
		else if (ch == 0x7f)
			bad++;
	}
	return bad * 100 <= len;
}

/*
 * Text pages: real text files from the machine, shuffled with the seed,
 * concatenated and cut into pages (at most TEXT_PAGES_PER_FILE pages from
 * each file so that the class mixes many files). Generated text fills up
 * whatever the machine does not provide.
 */
static int add_text(struct zmm_corpus_writer *w, unsigned int n,
		    unsigned long seed, unsigned int *from_files)
{
	struct path_list list = { NULL, 0, 0 };
	unsigned long gen[PAGE_SZ / sizeof(unsigned long)];
	unsigned char page[PAGE_SZ];
	size_t fill = 0, i, bufsz = TEXT_PAGES_PER_FILE * PAGE_SZ;
	unsigned char *buf = malloc(bufsz);
	unsigned int done = 0;
	unsigned long r;
	int ret = 0;

	*from_files = 0;
	if (!buf)
		return -ENOMEM;
	r = gen_stream(seed, ZMM_CORPUS_TEXT);

	walk_list = &list;
	for (i = 0; i < ARRAY_SIZE(text_roots); i++)
		nftw(text_roots[i], walk_cb, 32, FTW_PHYS);
	walk_list = NULL;
	if (list.nr)
		qsort(list.v, list.nr, sizeof(list.v[0]), cmp_str);
	for (i = list.nr; i > 1; i--) {
		size_t j = (size_t)xrand_below(&r, i);
		char *t = list.v[i - 1];

		list.v[i - 1] = list.v[j];
		list.v[j] = t;
	}

	for (i = 0; i < list.nr && done < n; i++) {
		ssize_t len = 0, m;
		size_t off;
		int fd = open(list.v[i], O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

		if (fd < 0)
			continue;
		while ((size_t)len < bufsz) {
			m = read(fd, buf + len, bufsz - (size_t)len);
			if (m < 0 && errno == EINTR)
				continue;
			if (m <= 0)
				break;
			len += m;
		}
		close(fd);
		if (len <= 0 || !looks_like_text(buf, (size_t)len))
			continue;
		for (off = 0; off < (size_t)len && done < n; ) {
			size_t c = PAGE_SZ - fill;

			if (c > (size_t)len - off)
				c = (size_t)len - off;
			memcpy(page + fill, buf + off, c);
			fill += c;
			off += c;
			if (fill == PAGE_SZ) {
				ret = zmm_corpus_writer_add(w,
					ZMM_CORPUS_TEXT, page);
				if (ret)
					goto out;
				fill = 0;
				done++;
			}
		}
	}
	*from_files = done;
	while (done < n) {
		/* a page of generated text, or the rest of the last one */
		gen_page(gen, GEN_TEXT, xrand(&r));
		memcpy(page + fill, (unsigned char *)gen + fill,
		       PAGE_SZ - fill);
		fill = 0;
		ret = zmm_corpus_writer_add(w, ZMM_CORPUS_TEXT, page);
		if (ret)
			goto out;
		done++;
	}
out:
	for (i = 0; i < list.nr; i++)
		free(list.v[i]);
	free(list.v);
	free(buf);
	return ret;
}

static int add_synthetic(struct zmm_corpus_writer *w, unsigned int n,
			 unsigned long seed, int verbose)
{
	unsigned int text_files;
	int ret;

	ret = add_generated(w, ZMM_CORPUS_ZERO, GEN_ZERO, n, seed);
	if (!ret)
		ret = add_generated(w, ZMM_CORPUS_SAME, GEN_SAME, n, seed);
	if (!ret)
		ret = add_text(w, n, seed, &text_files);
	if (!ret)
		ret = add_generated(w, ZMM_CORPUS_RANDOM, GEN_RANDOM, n, seed);
	if (!ret && verbose)
		fprintf(stderr, "zmm-corpus: synthetic: %u pages per class, "
			"%u of %u text pages from files\n", n, text_files, n);
	return ret;
}

int zmm_corpus_write_synthetic(const char *path, unsigned int n,
			       unsigned long seed)
{
	struct zmm_corpus_writer w;
	int ret;

	if (!n || n > MAX_SYNTH_PAGES)
		return -EINVAL;
	ret = zmm_corpus_writer_init(&w);
	if (ret)
		return ret;
	ret = add_synthetic(&w, n, seed, 0);
	if (!ret)
		ret = zmm_corpus_writer_finish(&w, path);
	zmm_corpus_writer_free(&w);
	return ret;
}

#ifndef ZMM_CORPUS_NO_MAIN

static void pr_warn(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static void pr_warn(const char *fmt, ...)
{
	va_list ap;

	fputs("zmm-corpus: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static double now_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void msleep(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Read a small file (e.g. in /proc) into buf, NUL terminated. */
static ssize_t read_small(const char *path, char *buf, size_t size)
{
	ssize_t n, len = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	while ((size_t)len < size - 1) {
		n = read(fd, buf + len, size - 1 - (size_t)len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			n = -errno;
			close(fd);
			return n;
		}
		if (!n)
			break;
		len += n;
	}
	close(fd);
	buf[len] = '\0';
	return len;
}

/* ---- capture of a live process's anonymous memory ---- */

struct cap_stats {
	unsigned long vmas;		/* private writable anon mappings */
	unsigned long vma_pages;	/* their total size in pages */
	unsigned long present;		/* present in RAM or swapped */
	unsigned long swapped;
	unsigned long zero_pfn;		/* shared zero page, not counted */
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

static long rss_anon_kib(pid_t pid)
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
	long rss = rss_anon_kib(pid);
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

/* ---- child process management ---- */

/* Process group of the child being captured, for the signal handler. */
static volatile sig_atomic_t child_pgid;
/* SIGINT/SIGTERM/SIGHUP seen: the capture loops give up and clean up. */
static volatile sig_atomic_t stop_sig;

static void on_stop_signal(int sig)
{
	stop_sig = sig;
	if (child_pgid > 0)
		kill(-(pid_t)child_pgid, SIGKILL);
}

/* Kill the whole process group we started and reap all of it. */
static void kill_and_reap(pid_t pgid)
{
	int status;

	kill(-pgid, SIGKILL);
	kill(-pgid, SIGCONT);
	/*
	 * We are a child subreaper, so grandchildren (cc1) come back to us
	 * when the gcc driver dies and are reaped here as well.
	 */
	while (waitpid(-pgid, &status, 0) > 0 || errno == EINTR)
		;
	child_pgid = 0;
}

/* In the child: own process group, die with the parent, quiet stdio. */
static void child_setup(int out_fd)
{
	int null = open("/dev/null", O_RDWR);

	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (null >= 0) {
		dup2(null, STDIN_FILENO);
		if (out_fd < 0)
			dup2(null, STDOUT_FILENO);
	}
	if (out_fd >= 0)
		dup2(out_fd, STDOUT_FILENO);
	if (null > STDERR_FILENO)
		close(null);
}

static pid_t spawn(char *const argv[], int out_fd, int quiet_stderr,
		   const char *const env[])
{
	pid_t pid = fork();

	if (pid < 0) {
		pr_warn("fork: %s", strerror(errno));
		return -1;
	}
	if (!pid) {
		size_t i;

		child_setup(out_fd);
		if (quiet_stderr) {
			int null = open("/dev/null", O_WRONLY);

			if (null >= 0)
				dup2(null, STDERR_FILENO);
		}
		for (i = 0; env && env[i]; i += 2)
			setenv(env[i], env[i + 1], 1);
		execvp(argv[0], argv);
		_exit(127);
	}
	setpgid(pid, pid);	/* also in the parent: no race */
	child_pgid = pid;
	return pid;
}

/* Has our child @pid exited? Reaps it if so; *status gets its status. */
static int child_exited(pid_t pid, int *status)
{
	pid_t r = waitpid(pid, status, WNOHANG);

	return r == pid || (r < 0 && errno == ECHILD);
}

/* Wait up to @ms for our child @pid to exit; 1 if it did. */
static int wait_exit(pid_t pid, int *status, unsigned int ms)
{
	double end = now_sec() + ms / 1000.0;

	while (!child_exited(pid, status)) {
		if (now_sec() > end)
			return 0;
		msleep(5);
	}
	return 1;
}

static int comm_is(pid_t pid, const char *name)
{
	char path[64], buf[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	n = read_small(path, buf, sizeof(buf));
	if (n <= 0)
		return 0;
	if (buf[n - 1] == '\n')
		buf[n - 1] = '\0';
	return !strcmp(buf, name);
}

/* A child of @parent whose comm is @name, or 0. */
static pid_t find_child(pid_t parent, const char *name)
{
	char path[300], buf[4096], *s, *e;
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)parent);
	d = opendir(path);
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/children",
			 (int)parent, de->d_name);
		if (read_small(path, buf, sizeof(buf)) < 0)
			goto scan;	/* no CONFIG_PROC_CHILDREN */
		for (s = buf; *s; s = e) {
			long pid = strtol(s, &e, 10);

			if (e == s)
				break;
			if (pid > 0 && comm_is((pid_t)pid, name)) {
				closedir(d);
				return (pid_t)pid;
			}
		}
	}
	closedir(d);
	return 0;

scan:
	/* slow path: look for a process whose parent is @parent */
	closedir(d);
	d = opendir("/proc");
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		long pid = strtol(de->d_name, &e, 10);
		int ppid;

		if (*e || pid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
		if (read_small(path, buf, sizeof(buf)) <= 0)
			continue;
		s = strrchr(buf, ')');
		if (!s || sscanf(s + 1, " %*c %d", &ppid) != 1)
			continue;
		if (ppid == parent && comm_is((pid_t)pid, name)) {
			closedir(d);
			return (pid_t)pid;
		}
	}
	closedir(d);
	return 0;
}

/* Stop @pid, capture it, report. The caller kills and reaps it. */
static int stop_and_capture(struct zmm_corpus_writer *w, pid_t pid,
			    unsigned int cls, unsigned int max_mib,
			    unsigned long *r, double t0)
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

/* ---- anon-cc: cc1 compiling a generated C file ---- */

/*
 * A C file of @units independent modules: macros, an enum, a struct, a
 * constant table, an inline helper and two functions each, with calls
 * between modules so the inliner and IPA passes have work to do.
 */
static int gen_c_source(const char *path, unsigned int units,
			unsigned long seed)
{
	FILE *f = fopen(path, "we");
	unsigned long r;
	unsigned int i, k;

	if (!f)
		return -errno;
	r = gen_stream(seed, 100);
	fprintf(f, "/* generated by zmm-corpus */\n");
	for (i = 0; i < units; i++) {
		unsigned int ns = 2 + (unsigned int)xrand_below(&r, 7);
		unsigned int nl = 8u << xrand_below(&r, 3);

		fprintf(f, "#define M_%u(a, b) ((((a) << %u) ^ ((b) + %u)) & "
			"0x7fffffffL)\n", i,
			1 + (unsigned int)xrand_below(&r, 7),
			1 + (unsigned int)xrand_below(&r, 9999));
		fprintf(f, "enum e_%u { E%u_A, E%u_B = %u, E%u_C, E%u_D };\n",
			i, i, i, 2 + (unsigned int)xrand_below(&r, 50), i, i);
		fprintf(f, "struct rec_%u {\n\tint id;\n\tunsigned int flags;\n"
			"\tlong weight;\n\tdouble score[%u];\n\tchar name[%u];\n"
			"\tstruct rec_%u *next;\n};\n", i, ns, nl, i);
		fprintf(f, "static const int tab_%u[32] = {", i);
		for (k = 0; k < 32; k++)
			fprintf(f, "%s%d", k ? ", " : " ",
				(int)xrand_below(&r, 1999) - 999);
		fprintf(f, " };\n");
		fprintf(f, "static inline long helper_%u(const struct rec_%u *r, "
			"int x)\n{\n\tlong v = r->weight + tab_%u[x & 31];\n"
			"\tint k;\n\n\tfor (k = 0; k < %u; k++)\n"
			"\t\tv += (long)(r->score[k] * (k + %u));\n"
			"\treturn M_%u(v, x);\n}\n", i, i, i, ns,
			1 + (unsigned int)xrand_below(&r, 5), i);
		if (!i)
			fprintf(f, "long calc_0(long a, long b)\n{\n"
				"\treturn a * 3 + b;\n}\n");
		else
			fprintf(f, "long calc_%u(long a, long b)\n{\n"
				"\treturn calc_%u(a ^ b, b + %u) + (a >> %u);\n"
				"}\n", i, (unsigned int)xrand_below(&r, i),
				1 + (unsigned int)xrand_below(&r, 99),
				1 + (unsigned int)xrand_below(&r, 9));
		fprintf(f, "long work_%u(struct rec_%u *r, int n, const int *in)\n"
			"{\n\tlong acc = %u;\n\tint k;\n\n"
			"\tfor (k = 0; k < n; k++) {\n"
			"\t\tswitch ((in[k] + k) & 7) {\n"
			"\t\tcase 0: acc += helper_%u(r, in[k]); break;\n"
			"\t\tcase 1: acc ^= M_%u(acc, in[k]); break;\n"
			"\t\tcase 2: r->flags |= 1u << (k & 31); break;\n"
			"\t\tcase 3: acc -= tab_%u[(k * %u) & 31]; break;\n"
			"\t\tcase 4: if (acc > %u) acc /= 3; else acc *= 5; "
			"break;\n"
			"\t\tcase 5: r->score[k %% %u] += acc * 0.5; break;\n"
			"\t\tcase 6: acc += calc_%u(acc, k); break;\n"
			"\t\tdefault: acc = ~acc; if (r->next) "
			"acc += r->next->id; break;\n"
			"\t\t}\n\t}\n"
			"\tfor (k = 0; k < %u - 1 && r->name[k]; k++)\n"
			"\t\tacc += r->name[k] * E%u_C;\n"
			"\treturn acc + r->id;\n}\n",
			i, i, (unsigned int)xrand_below(&r, 1u << 20), i, i, i,
			3 + (unsigned int)xrand_below(&r, 15),
			100 + (unsigned int)xrand_below(&r, 100000), ns,
			(unsigned int)xrand_below(&r, i + 1), nl, i);
	}
	if (ferror(f) | fclose(f))
		return -EIO;
	return 0;
}

/* Remove the (flat) temporary directory and everything in it. */
static void remove_dir(const char *dir)
{
	struct dirent *de;
	DIR *d = opendir(dir);

	if (d) {
		while ((de = readdir(d))) {
			if (!strcmp(de->d_name, ".") ||
			    !strcmp(de->d_name, ".."))
				continue;
			unlinkat(dirfd(d), de->d_name, 0);
		}
		closedir(d);
	}
	rmdir(dir);
}

/*
 * Run gcc -O2 -c on a generated file and capture cc1 once it is in the
 * middle end (some seconds in) and has at least 1.25x the cap of anonymous
 * memory. The file is sized so that parsing alone gets cc1 there.
 */
static int capture_cc(struct zmm_corpus_writer *w, unsigned int max_mib,
		      unsigned long seed)
{
	const char *tmpdir = getenv("TMPDIR");
	char dir[PATH_MAX], src[PATH_MAX + 8], obj[PATH_MAX + 8];
	unsigned long units = (unsigned long)max_mib * 14;
	long target_kib = ((long)max_mib + max_mib / 4) * 1024;
	double min_wait = 2.5, max_wait = 60;
	unsigned long r;
	int attempt, ret = -ENODATA;

	if (units < 200)
		units = 200;
	if (units > 8000)
		units = 8000;
	r = gen_stream(seed, ZMM_CORPUS_ANON_CC);
	snprintf(dir, sizeof(dir), "%s/zmm-corpus.XXXXXX",
		 tmpdir && *tmpdir ? tmpdir : "/tmp");
	if (!mkdtemp(dir)) {
		ret = -errno;
		pr_warn("anon-cc: mkdtemp %s: %s", dir, strerror(errno));
		return ret;
	}
	snprintf(src, sizeof(src), "%s/gen.c", dir);
	snprintf(obj, sizeof(obj), "%s/gen.o", dir);
	ret = gen_c_source(src, (unsigned int)units, seed);
	if (ret) {
		pr_warn("anon-cc: writing %s: %s", src, strerror(-ret));
		goto out;
	}

	for (attempt = 0; attempt < 2; attempt++) {
		char *argv[] = { "gcc", "-O2", "-c", "-o", obj, src, NULL };
		const char *env[] = { "TMPDIR", dir, "LC_ALL", "C", NULL };
		long rss, max_rss = 0;
		double t0 = now_sec(), t;
		pid_t drv, cc1 = 0;
		int status;

		drv = spawn(argv, -1, 1, env);
		if (drv < 0) {
			ret = -EAGAIN;
			break;
		}
		ret = -ENODATA;
		for (;;) {
			if (stop_sig) {
				ret = -EINTR;
				break;
			}
			t = now_sec() - t0;
			if (!cc1)
				cc1 = find_child(drv, "cc1");
			if (cc1) {
				rss = rss_anon_kib(cc1);
				if (rss < 0) {
					pr_warn("anon-cc: cc1 exited after "
						"%.1fs before capture", t);
					break;
				}
				if (rss > max_rss)
					max_rss = rss;
				if ((rss >= target_kib && t >= min_wait) ||
				    t >= max_wait) {
					ret = stop_and_capture(w, cc1,
						ZMM_CORPUS_ANON_CC, max_mib,
						&r, t0);
					break;
				}
			} else if (t > 10) {
				pr_warn("anon-cc: no cc1 under gcc pid %d",
					(int)drv);
				break;
			}
			if (child_exited(drv, &status)) {
				if (WIFEXITED(status) &&
				    WEXITSTATUS(status) == 127) {
					pr_warn("anon-cc: cannot run gcc");
					ret = -ENOENT;
				} else if (!cc1) {
					pr_warn("anon-cc: gcc exited early");
				}
				break;
			}
			msleep(10);
		}
		kill_and_reap(drv);
		if (ret != -ENODATA || !max_rss || stop_sig)
			break;
		/* cc1 was quicker than expected: retry with a lower bar */
		target_kib = max_rss / 2;
		min_wait = 0;
	}
out:
	remove_dir(dir);
	return ret;
}

/* ---- anon-py: a python3 process full of objects ---- */

static const char py_script[] =
	"import os, sys, time, random\n"
	"mib, seed = int(sys.argv[1]), int(sys.argv[2])\n"
	"rnd = random.Random(seed)\n"
	"def anon_kib():\n"
	"    with open('/proc/self/status') as f:\n"
	"        for l in f:\n"
	"            if l.startswith('RssAnon:'):\n"
	"                return int(l.split()[1])\n"
	"    return 1 << 40\n"
	"syl = ['ka', 'lo', 'mi', 'ne', 'ru', 'ta', 'shi', 'vo', 'en', 'ar',\n"
	"       'be', 'dor', 'ix', 'um', 'pel', 'qua', 'st', 'ri', 'o', 'y']\n"
	"class Rec:\n"
	"    def __init__(self, i, name, score, tags):\n"
	"        self.id = i\n"
	"        self.name = name\n"
	"        self.score = score\n"
	"        self.tags = tags\n"
	"        self.children = []\n"
	"        self.parent = None\n"
	"names, index = {}, {}\n"
	"recs, ints, floats, blobs, table = [], [], [], [], []\n"
	"i = 0\n"
	"while anon_kib() < mib * 1024:\n"
	"    for _ in range(4000):\n"
	"        n = rnd.randint(2, 5)\n"
	"        w = ''.join(rnd.choice(syl) for _ in range(n))\n"
	"        key = '%s_%d' % (w, i)\n"
	"        v = rnd.randint(0, 10**6)\n"
	"        names[key] = '%s %d' % (w.capitalize(), v)\n"
	"        r = Rec(i, key, rnd.random() * 100,\n"
	"                [rnd.choice(syl) for _ in range(rnd.randint(0, 4))])\n"
	"        if recs and rnd.random() < 0.3:\n"
	"            p = recs[rnd.randrange(len(recs))]\n"
	"            r.parent = p\n"
	"            p.children.append(r)\n"
	"        recs.append(r)\n"
	"        ints.append(rnd.randint(-2**31, 2**31))\n"
	"        ints.append(i * 7)\n"
	"        floats.append(rnd.gauss(0.0, 1e3))\n"
	"        index.setdefault(w, []).append(i)\n"
	"        if i % 16 == 0:\n"
	"            table.append({'id': i, 'name': key, 'ok': i % 3 == 0,\n"
	"                          'vals': (i, i / 3.0, str(i), [i] * 3)})\n"
	"        if i % 64 == 0:\n"
	"            b = rnd.getrandbits(256).to_bytes(32, 'little')\n"
	"            blobs.append(b)\n"
	"        i += 1\n"
	"sys.stdout.write('ready %d\\n' % os.getpid())\n"
	"sys.stdout.flush()\n"
	"time.sleep(600)\n";

/* Read one line from @fd within @timeout_ms. */
static int read_line(int fd, char *buf, size_t size, unsigned int timeout_ms)
{
	double end = now_sec() + timeout_ms / 1000.0;
	size_t len = 0;

	while (len < size - 1) {
		struct pollfd p = { fd, POLLIN, 0 };
		int left = (int)((end - now_sec()) * 1000);
		ssize_t n;

		if (stop_sig)
			return -EINTR;
		if (left <= 0)
			return -ETIMEDOUT;
		n = poll(&p, 1, left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n ? -errno : -ETIMEDOUT;
		n = read(fd, buf + len, 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -EPIPE;
		if (buf[len] == '\n')
			break;
		len++;
	}
	buf[len] = '\0';
	return 0;
}

static int capture_py(struct zmm_corpus_writer *w, unsigned int max_mib,
		      unsigned long seed)
{
	char mib[16], sd[32], hs[16], line[128];
	char *argv[] = { "python3", "-c", (char *)py_script, mib, sd, NULL };
	const char *env[] = { "PYTHONHASHSEED", hs, NULL };
	double t0 = now_sec();
	int fds[2], status, ret;
	unsigned long r;
	pid_t child, pid;
	long p;

	r = gen_stream(seed, ZMM_CORPUS_ANON_PY);
	snprintf(mib, sizeof(mib), "%u", max_mib + max_mib / 4 + 4);
	snprintf(sd, sizeof(sd), "%lu", seed);
	snprintf(hs, sizeof(hs), "%lu", seed % 4294967295UL);
	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	child = spawn(argv, fds[1], 0, env);
	close(fds[1]);
	if (child < 0) {
		close(fds[0]);
		return -EAGAIN;
	}
	ret = read_line(fds[0], line, sizeof(line), 90000);
	close(fds[0]);
	if (ret) {
		if (ret == -EPIPE && wait_exit(child, &status, 2000) &&
		    WIFEXITED(status) && WEXITSTATUS(status) == 127) {
			pr_warn("anon-py: cannot run python3");
			ret = -ENOENT;
		} else if (ret != -EINTR) {
			pr_warn("anon-py: no ready line from python3: %s",
				strerror(-ret));
		}
		goto out;
	}
	/* normally @child itself (wrappers exec), else one of its group */
	if (sscanf(line, "ready %ld", &p) != 1 || p <= 0 ||
	    getpgid((pid_t)p) != child) {
		pr_warn("anon-py: unexpected line from python3: '%s'", line);
		ret = -EPROTO;
		goto out;
	}
	pid = (pid_t)p;
	ret = stop_and_capture(w, pid, ZMM_CORPUS_ANON_PY, max_mib, &r, t0);
out:
	kill_and_reap(child);
	return ret;
}

/* ---- --info ---- */

static int show_info(const char *path)
{
	struct zmm_corpus c;
	unsigned int k;
	int ret = zmm_corpus_open(path, &c);

	if (ret)
		return ret;
	printf("%s: %u pages, %u classes, %.1f MiB of pages\n", path,
	       c.nr_pages, c.nr_classes_present,
	       c.nr_pages * (PAGE_SZ / 1024.0) / 1024.0);
	printf("  %-8s %10s %9s\n", "class", "pages", "MiB");
	for (k = 0; k < ZMM_CORPUS_NR_CLASSES; k++)
		printf("  %-8s %10u %9.1f\n", zmm_corpus_class_name(k),
		       c.class_pages[k],
		       c.class_pages[k] * (PAGE_SZ / 1024.0) / 1024.0);
	printf("  %-8s %10u %9.1f\n", "total", c.nr_pages,
	       c.nr_pages * (PAGE_SZ / 1024.0) / 1024.0);
	zmm_corpus_close(&c);
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: zmm-corpus -o FILE [-n PAGES] [-m MAX_ANON_MIB] [-s SEED]\n"
		"       zmm-corpus --synthetic -o FILE [-n PAGES] [-s SEED]\n"
		"       zmm-corpus --info FILE\n"
		"  -n  pages per synthetic class (default %u)\n"
		"  -m  cap on captured anonymous memory per process, MiB "
		"(default %u)\n"
		"  -s  seed (default 1)\n",
		DEF_SYNTH_PAGES, DEF_ANON_MIB);
}

static int parse_ulong(const char *s, unsigned long min, unsigned long max,
		       unsigned long *out)
{
	char *e;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &e, 0);
	if (errno || e == s || *e || *s == '-' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "synthetic", no_argument, NULL, 'S' },
		{ "info", required_argument, NULL, 'I' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long n = DEF_SYNTH_PAGES, mib = DEF_ANON_MIB, seed = 1;
	const char *out = NULL, *info = NULL;
	int synthetic = 0, opt, ret, ret_cc, ret_py;
	double t0 = now_sec();
	struct sigaction sa;
	struct zmm_corpus_writer w;

	while ((opt = getopt_long(argc, argv, "o:n:m:s:h", lopts,
				  NULL)) != -1) {
		switch (opt) {
		case 'o':
			out = optarg;
			break;
		case 'n':
			if (parse_ulong(optarg, 1, MAX_SYNTH_PAGES, &n)) {
				pr_warn("-n: expected 1..%u", MAX_SYNTH_PAGES);
				return 2;
			}
			break;
		case 'm':
			if (parse_ulong(optarg, 1, MAX_ANON_MIB, &mib)) {
				pr_warn("-m: expected 1..%u", MAX_ANON_MIB);
				return 2;
			}
			break;
		case 's':
			if (parse_ulong(optarg, 0, ULONG_MAX, &seed)) {
				pr_warn("-s: expected an unsigned integer");
				return 2;
			}
			break;
		case 'S':
			synthetic = 1;
			break;
		case 'I':
			info = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc || (info && (out || synthetic)) ||
	    (!info && !out)) {
		usage(stderr);
		return 2;
	}
	if (info)
		return show_info(info) ? 1 : 0;

	ret = zmm_corpus_writer_init(&w);
	if (ret)
		return 1;
	ret = add_synthetic(&w, (unsigned int)n, seed, 1);
	if (ret) {
		pr_warn("synthetic pages: %s", strerror(-ret));
		goto fail;
	}
	if (!synthetic) {
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_stop_signal;
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGHUP, &sa, NULL);
		prctl(PR_SET_CHILD_SUBREAPER, 1);

		ret_cc = capture_cc(&w, (unsigned int)mib, seed);
		if (ret_cc && !stop_sig)
			pr_warn("anon-cc: capture failed (%s), continuing",
				strerror(-ret_cc));
		ret_py = stop_sig ? -EINTR :
			 capture_py(&w, (unsigned int)mib, seed);
		if (ret_py && !stop_sig)
			pr_warn("anon-py: capture failed (%s), continuing",
				strerror(-ret_py));

		sa.sa_handler = SIG_DFL;
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGHUP, &sa, NULL);
		if (stop_sig) {
			/* children are reaped and temp files gone: die */
			zmm_corpus_writer_free(&w);
			raise(stop_sig);
			return 1;
		}
		if (!w.count[ZMM_CORPUS_ANON_CC] &&
		    !w.count[ZMM_CORPUS_ANON_PY]) {
			pr_warn("no anonymous memory captured, not writing %s",
				out);
			goto fail;
		}
	}
	ret = zmm_corpus_writer_finish(&w, out);
	if (ret)
		goto fail;
	zmm_corpus_writer_free(&w);
	fprintf(stderr, "zmm-corpus: wrote %s in %.1fs\n", out,
		now_sec() - t0);
	return show_info(out) ? 1 : 0;
fail:
	zmm_corpus_writer_free(&w);
	return 1;
}

#endif /* ZMM_CORPUS_NO_MAIN */
