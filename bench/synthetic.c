// SPDX-License-Identifier: GPL-2.0
/*
 * The synthetic classes of a corpus: zero, same-filled and random pages
 * from the page generator (user/pagegen.c), and text pages cut from text
 * files found on the machine, topped up by generated text.
 */
#define _GNU_SOURCE
#define _FILE_OFFSET_BITS 64

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "corpus.h"
#include "pagegen.h"
#include "synthetic.h"
#include "util.h"

#define PAGE_SZ			ZMM_CORPUS_PAGE_SIZE
#define TEXT_PAGES_PER_FILE	4u	/* at most this many from a file */
#define TEXT_MAX_FILE		(4u << 20)

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
				ret = zmm_corpus_writer_add(w, ZMM_CORPUS_TEXT,
							    page);
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

int corpus_add_synthetic(struct zmm_corpus_writer *w, unsigned int n,
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

	if (!n || n > CORPUS_MAX_SYNTH_PAGES)
		return -EINVAL;
	ret = zmm_corpus_writer_init(&w);
	if (ret)
		return ret;
	ret = corpus_add_synthetic(&w, n, seed, 0);
	if (!ret)
		ret = zmm_corpus_writer_finish(&w, path);
	zmm_corpus_writer_free(&w);
	return ret;
}
