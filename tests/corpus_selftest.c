// SPDX-License-Identifier: GPL-2.0
/*
 * Self-test of the zmm page corpus writer and reader.
 *
 * Build:
 *   cc -O2 -Wall -Wextra -Werror -Iuser -o corpus_selftest \
 *	tests/corpus_selftest.c bench/corpus.c bench/synthetic.c \
 *	user/pagegen.c
 *
 * Writes a synthetic corpus to a temporary directory, reads it back,
 * checks its contents, and checks that damaged files are rejected. Prints
 * "ok N - name" / "not ok N - name" per check and "P passed, F failed".
 * The reader's complaints about the damaged files go to stderr.
 */
#define _GNU_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../bench/corpus.h"
#include "../bench/synthetic.h"

#define N_PAGES		64u
#define SEED		42ul
#define PSZ		ZMM_CORPUS_PAGE_SIZE
#define HDR		ZMM_CORPUS_HDR_SIZE

static unsigned int nr_pass, nr_fail;

static void check(int cond, const char *name)
{
	unsigned int nr = nr_pass + nr_fail + 1;

	if (cond) {
		nr_pass++;
		printf("ok %u - %s\n", nr, name);
	} else {
		nr_fail++;
		printf("not ok %u - %s\n", nr, name);
	}
	fflush(stdout);
}

static char tmpdir[4096];

static void tmp_path(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "%s/%s", tmpdir, name);
}

static unsigned char *slurp(const char *path, size_t *len)
{
	struct stat st;
	unsigned char *buf;
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0 || !st.st_size) {
		close(fd);
		return NULL;
	}
	buf = malloc((size_t)st.st_size);
	if (buf) {
		n = read(fd, buf, (size_t)st.st_size);
		if (n != st.st_size) {
			free(buf);
			buf = NULL;
		}
	}
	close(fd);
	*len = (size_t)st.st_size;
	return buf;
}

static int spit(const char *path, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	int ret = 0;

	if (fd < 0)
		return -1;
	if (len && write(fd, buf, len) != (ssize_t)len)
		ret = -1;
	if (close(fd) < 0)
		ret = -1;
	return ret;
}

/*
 * Write the first @len bytes of a copy of @img, with either the byte at @at
 * set to @byte (if >= 0) or the le32 at @at set to @le32 (if @use_le32),
 * and expect zmm_corpus_open() to reject it with -EINVAL.
 */
static void check_bad(const unsigned char *img, size_t img_len, size_t len,
		      size_t at, int byte, uint32_t le32, int use_le32,
		      const char *name)
{
	char path[4200];
	struct zmm_corpus c;
	unsigned char *buf = malloc(img_len + 1);
	int ret;

	if (!buf) {
		check(0, name);
		return;
	}
	memcpy(buf, img, img_len);
	buf[img_len] = 0;
	if (use_le32)
		zmm_corpus_put_le32(buf + at, le32);
	else if (byte >= 0)
		buf[at] = (unsigned char)byte;
	tmp_path(path, sizeof(path), "bad.corp");
	if (spit(path, buf, len)) {
		check(0, name);
		free(buf);
		return;
	}
	memset(&c, 0x5a, sizeof(c));
	ret = zmm_corpus_open(path, &c);
	check(ret == -EINVAL && !c.map && !c.nr_pages, name);
	if (!ret)
		zmm_corpus_close(&c);
	unlink(path);
	free(buf);
}

static int all_bytes(const unsigned char *p, size_t len, unsigned char v)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != v)
			return 0;
	return 1;
}

static int same_filled(const unsigned char *p)
{
	unsigned long v, w;
	size_t i;

	memcpy(&v, p, sizeof(v));
	for (i = sizeof(v); i < PSZ; i += sizeof(w)) {
		memcpy(&w, p + i, sizeof(w));
		if (w != v)
			return 0;
	}
	return v != 0;
}

static int distinct_bytes(const unsigned char *p)
{
	unsigned char seen[256] = { 0 };
	int n = 0;
	size_t i;

	for (i = 0; i < PSZ; i++) {
		if (!seen[p[i]])
			n++;
		seen[p[i]] = 1;
	}
	return n;
}

static void check_contents(const struct zmm_corpus *c)
{
	int zero_ok = 1, same_ok = 1, text_ok = 1, rand_ok = 1;
	int order_ok = 1, distinct_ok = 1;
	uint32_t i, j, first_rand = UINT32_MAX;

	for (i = 0; i < c->nr_pages; i++) {
		const unsigned char *p = zmm_corpus_page(c, i);

		/* classes are written in order, N_PAGES each */
		if (c->cls[i] != i / N_PAGES)
			order_ok = 0;
		switch (c->cls[i]) {
		case ZMM_CORPUS_ZERO:
			zero_ok &= all_bytes(p, PSZ, 0);
			break;
		case ZMM_CORPUS_SAME:
			same_ok &= same_filled(p);
			break;
		case ZMM_CORPUS_TEXT:
			text_ok &= !memchr(p, 0, PSZ);
			break;
		case ZMM_CORPUS_RANDOM:
			if (first_rand == UINT32_MAX)
				first_rand = i;
			rand_ok &= !same_filled(p) && distinct_bytes(p) > 200;
			for (j = first_rand; j < i; j++)
				if (!memcmp(p, zmm_corpus_page(c, j), PSZ))
					distinct_ok = 0;
			break;
		default:
			order_ok = 0;
			break;
		}
	}
	check(order_ok, "classes in order, N pages each");
	check(zero_ok, "zero pages are all zero");
	check(same_ok, "same pages are filled with one non-zero long");
	check(text_ok, "text pages contain no NUL bytes");
	check(rand_ok, "random pages look random");
	check(distinct_ok && first_rand != UINT32_MAX,
	      "random pages all differ");
}

int main(void)
{
	const char *base = getenv("TMPDIR");
	char path[4200], path2[4200], path3[4200];
	unsigned char *img = NULL, *img2 = NULL, *img3 = NULL;
	size_t len = 0, len2 = 0, len3 = 0, data_off, rand_off;
	struct zmm_corpus c;
	int ret, names_ok;

	snprintf(tmpdir, sizeof(tmpdir), "%s/zmm-corpus-test.XXXXXX",
		 base && *base ? base : "/tmp");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	tmp_path(path, sizeof(path), "a.corp");
	tmp_path(path2, sizeof(path2), "b.corp");
	tmp_path(path3, sizeof(path3), "c.corp");

	ret = zmm_corpus_write_synthetic(path, N_PAGES, SEED);
	check(ret == 0, "write synthetic corpus");

	ret = zmm_corpus_open(path, &c);
	check(ret == 0, "open synthetic corpus");
	if (!ret) {
		img = slurp(path, &len);
		check(c.nr_pages == 4 * N_PAGES, "page count is 4 * n");
		check(c.nr_classes_present == 4, "4 classes present");
		check(c.class_pages[ZMM_CORPUS_ZERO] == N_PAGES &&
		      c.class_pages[ZMM_CORPUS_SAME] == N_PAGES &&
		      c.class_pages[ZMM_CORPUS_TEXT] == N_PAGES &&
		      c.class_pages[ZMM_CORPUS_RANDOM] == N_PAGES &&
		      !c.class_pages[ZMM_CORPUS_ANON_CC] &&
		      !c.class_pages[ZMM_CORPUS_ANON_PY],
		      "per-class page counts");
		data_off = (HDR + c.nr_pages + PSZ - 1) / PSZ * PSZ;
		check(img && c.map_len == len &&
		      len == data_off + (size_t)c.nr_pages * PSZ &&
		      c.pages == (unsigned char *)c.map + data_off &&
		      c.cls == (uint8_t *)c.map + HDR,
		      "layout: header, classes, padding, pages");
		check(img && !memcmp(img, "ZMMCORP1", 8) &&
		      img[8] == 0x00 && img[9] == 0x10 && !img[10] &&
		      !img[11] && img[12] == (4 * N_PAGES & 0xff) &&
		      img[13] == (4 * N_PAGES >> 8) && !img[14] &&
		      !img[15] && img[16] == 4 && HDR == 40 &&
		      img[40] == ZMM_CORPUS_ZERO &&
		      img[40 + 4 * N_PAGES - 1] == ZMM_CORPUS_RANDOM,
		      "header bytes as specified");
		check(zmm_corpus_page(&c, 0) == c.pages &&
		      zmm_corpus_page(&c, 1) == c.pages + PSZ &&
		      !zmm_corpus_page(&c, c.nr_pages) &&
		      !zmm_corpus_page(&c, UINT32_MAX),
		      "zmm_corpus_page bounds");
		check_contents(&c);
		zmm_corpus_close(&c);
		check(!c.map && !c.nr_pages, "close clears the handle");
	}

	names_ok = !strcmp(zmm_corpus_class_name(ZMM_CORPUS_ZERO), "zero") &&
		   !strcmp(zmm_corpus_class_name(ZMM_CORPUS_SAME), "same") &&
		   !strcmp(zmm_corpus_class_name(ZMM_CORPUS_TEXT), "text") &&
		   !strcmp(zmm_corpus_class_name(ZMM_CORPUS_RANDOM),
			   "random") &&
		   !strcmp(zmm_corpus_class_name(ZMM_CORPUS_ANON_CC),
			   "anon-cc") &&
		   !strcmp(zmm_corpus_class_name(ZMM_CORPUS_ANON_PY),
			   "anon-py") &&
		   !strcmp(zmm_corpus_class_name(ZMM_CORPUS_NR_CLASSES), "?");
	check(names_ok, "class names");

	/* determinism */
	ret = zmm_corpus_write_synthetic(path2, N_PAGES, SEED);
	img2 = ret ? NULL : slurp(path2, &len2);
	check(img && img2 && len == len2 && !memcmp(img, img2, len),
	      "same seed gives an identical file");
	ret = zmm_corpus_write_synthetic(path3, N_PAGES, SEED + 1);
	img3 = ret ? NULL : slurp(path3, &len3);
	rand_off = len - (size_t)N_PAGES * PSZ;	/* random class is last */
	check(img && img3 && len == len3 &&
	      memcmp(img + rand_off, img3 + rand_off, (size_t)N_PAGES * PSZ),
	      "different seed gives different random pages");
	check(zmm_corpus_write_synthetic(path3, 0, SEED) == -EINVAL,
	      "n = 0 is rejected");

	/* damaged files */
	if (img) {
		size_t cls0 = HDR, pad = HDR + 4 * N_PAGES;

		check_bad(img, len, len, 0, 'X', 0, 0, "bad magic rejected");
		check_bad(img, len, len - 1, 0, -1, 0, 0,
			  "truncated by one byte rejected");
		check_bad(img, len, len - PSZ, 0, -1, 0, 0,
			  "truncated by one page rejected");
		check_bad(img, len, 16, 0, -1, 0, 0,
			  "truncated header rejected");
		check_bad(img, len, 0, 0, -1, 0, 0, "empty file rejected");
		check_bad(img, len, len + 1, len, 0, 0, 0,
			  "trailing byte rejected");
		check_bad(img, len, len, cls0 + 5, ZMM_CORPUS_NR_CLASSES, 0,
			  0, "class id NR_CLASSES rejected");
		check_bad(img, len, len, cls0 + 4 * N_PAGES - 1, 0xff, 0, 0,
			  "class id 255 rejected");
		check_bad(img, len, len, 8, -1, 8192, 1,
			  "page size 8192 rejected");
		check_bad(img, len, len, 12, -1, 4 * N_PAGES + 1, 1,
			  "nr_pages too large rejected");
		check_bad(img, len, len, 12, -1, 0xffffffffu, 1,
			  "nr_pages 2^32-1 rejected");
		check_bad(img, len, len, 16, -1, 5, 1,
			  "wrong nr_classes_present rejected");
		check_bad(img, len, len, 20, -1, 1, 1,
			  "non-zero reserved[0] rejected");
		check_bad(img, len, len, 36, -1, 1u << 31, 1,
			  "non-zero reserved[4] rejected");
		check_bad(img, len, len, pad, 1, 0, 0,
			  "non-zero padding rejected");
	}

	ret = zmm_corpus_open(tmpdir, &c);
	check(ret == -EINVAL, "directory rejected");
	tmp_path(path2, sizeof(path2), "missing.corp");
	ret = zmm_corpus_open(path2, &c);
	check(ret == -ENOENT, "missing file gives -ENOENT");

	free(img);
	free(img2);
	free(img3);
	unlink(path);
	tmp_path(path2, sizeof(path2), "b.corp");
	unlink(path2);
	unlink(path3);
	if (rmdir(tmpdir) < 0)
		perror(tmpdir);

	printf("%u passed, %u failed\n", nr_pass, nr_fail);
	return nr_fail ? 1 : 0;
}
