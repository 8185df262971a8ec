// SPDX-License-Identifier: GPL-2.0
/*
 * The zmm page corpus file format: the writer, and the reader that maps a
 * corpus file and validates it.  The layout is in corpus.h.
 */
#define _GNU_SOURCE
#define _FILE_OFFSET_BITS 64

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "corpus.h"

#define PAGE_SZ		ZMM_CORPUS_PAGE_SIZE
#define HDR_SIZE	ZMM_CORPUS_HDR_SIZE

static const char *const class_names[ZMM_CORPUS_NR_CLASSES] = {
	[ZMM_CORPUS_ZERO]	= "zero",
	[ZMM_CORPUS_SAME]	= "same",
	[ZMM_CORPUS_TEXT]	= "text",
	[ZMM_CORPUS_RANDOM]	= "random",
	[ZMM_CORPUS_ANON_CC]	= "anon-cc",
	[ZMM_CORPUS_ANON_PY]	= "anon-py",
};

const char *zmm_corpus_class_name(unsigned int cls)
{
	if (cls >= ZMM_CORPUS_NR_CLASSES)
		return "?";
	return class_names[cls];
}

/* ---- reader ---- */

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static int bad_file(const char *path, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "zmm_corpus_open: %s: ", path);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return -EINVAL;
}

/* Validate the mapped file @m of @len bytes and fill in @c. */
static int corpus_check(const char *path, unsigned char *m, size_t len,
			struct zmm_corpus *c)
{
	uint32_t page_size, nr_pages, nr_present, seen = 0;
	uint64_t data_off, want_len, i;
	unsigned int k;

	if (len < HDR_SIZE)
		return bad_file(path, "too short for a header (%zu bytes)",
				len);
	if (memcmp(m, ZMM_CORPUS_MAGIC, ZMM_CORPUS_MAGIC_LEN))
		return bad_file(path, "bad magic");

	page_size = zmm_corpus_get_le32(m + 8);
	nr_pages = zmm_corpus_get_le32(m + 12);
	nr_present = zmm_corpus_get_le32(m + 16);
	if (page_size != ZMM_CORPUS_PAGE_SIZE)
		return bad_file(path, "page size %u, expected %u", page_size,
				ZMM_CORPUS_PAGE_SIZE);
	for (k = 0; k < 5; k++)
		if (zmm_corpus_get_le32(m + 20 + 4 * k))
			return bad_file(path, "reserved field %u not zero", k);

	data_off = zmm_corpus_data_off(nr_pages);
	want_len = data_off + (uint64_t)nr_pages * page_size;
	if ((uint64_t)len != want_len)
		return bad_file(path,
				"%u pages need %llu bytes, file has %zu",
				nr_pages, (unsigned long long)want_len, len);

	memset(c->class_pages, 0, sizeof(c->class_pages));
	for (i = 0; i < nr_pages; i++) {
		unsigned int cls = m[HDR_SIZE + i];

		if (cls >= ZMM_CORPUS_NR_CLASSES)
			return bad_file(path, "page %llu: bad class id %u",
					(unsigned long long)i, cls);
		c->class_pages[cls]++;
	}
	for (i = HDR_SIZE + nr_pages; i < data_off; i++)
		if (m[i])
			return bad_file(path, "non-zero padding at %llu",
					(unsigned long long)i);
	for (k = 0; k < ZMM_CORPUS_NR_CLASSES; k++)
		if (c->class_pages[k])
			seen++;
	if (nr_present != seen)
		return bad_file(path, "header says %u classes, found %u",
				nr_present, seen);

	c->nr_pages = nr_pages;
	c->nr_classes_present = nr_present;
	c->cls = m + HDR_SIZE;
	c->pages = m + data_off;
	return 0;
}

int zmm_corpus_open(const char *path, struct zmm_corpus *c)
{
	struct stat st;
	void *m;
	size_t len;
	int fd, ret;

	memset(c, 0, sizeof(*c));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		fprintf(stderr, "zmm_corpus_open: %s: %s\n", path,
			strerror(errno));
		return ret;
	}
	if (fstat(fd, &st) < 0) {
		ret = -errno;
		fprintf(stderr, "zmm_corpus_open: %s: fstat: %s\n", path,
			strerror(errno));
		close(fd);
		return ret;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return bad_file(path, "not a regular file");
	}
	if ((unsigned long long)st.st_size < HDR_SIZE) {
		close(fd);
		return bad_file(path, "too short for a header (%lld bytes)",
				(long long)st.st_size);
	}
	if ((unsigned long long)st.st_size > (size_t)-1) {
		close(fd);
		return bad_file(path, "too large to map");
	}
	len = (size_t)st.st_size;

	m = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
	if (m == MAP_FAILED) {
		ret = -errno;
		fprintf(stderr, "zmm_corpus_open: %s: mmap: %s\n", path,
			strerror(errno));
		close(fd);
		return ret;
	}
	close(fd);

	ret = corpus_check(path, m, len, c);
	if (ret) {
		munmap(m, len);
		memset(c, 0, sizeof(*c));
		return ret;
	}
	c->map = m;
	c->map_len = len;
	return 0;
}

void zmm_corpus_close(struct zmm_corpus *c)
{
	if (c->map)
		munmap(c->map, c->map_len);
	memset(c, 0, sizeof(*c));
}

const void *zmm_corpus_page(const struct zmm_corpus *c, uint32_t i)
{
	if (i >= c->nr_pages)
		return NULL;
	return c->pages + (size_t)i * ZMM_CORPUS_PAGE_SIZE;
}

/* ---- writer ---- */

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int zmm_corpus_writer_init(struct zmm_corpus_writer *w)
{
	memset(w, 0, sizeof(*w));
	w->spool = tmpfile();
	if (!w->spool) {
		int ret = -errno;

		fprintf(stderr, "zmm-corpus: cannot create spool file: %s\n",
			strerror(errno));
		return ret;
	}
	/* keep it out of the gcc and python3 children */
	fcntl(fileno(w->spool), F_SETFD, FD_CLOEXEC);
	return 0;
}

void zmm_corpus_writer_free(struct zmm_corpus_writer *w)
{
	if (w->spool)
		fclose(w->spool);
	free(w->cls);
	memset(w, 0, sizeof(*w));
}

int zmm_corpus_writer_add(struct zmm_corpus_writer *w, unsigned int cls,
			  const void *page)
{
	if (cls >= ZMM_CORPUS_NR_CLASSES)
		return -EINVAL;
	if (w->nr_pages == UINT32_MAX)
		return -E2BIG;
	if (w->nr_pages == w->cls_cap) {
		uint32_t cap = w->cls_cap ? w->cls_cap : 4096;
		uint8_t *p;

		cap = cap > UINT32_MAX / 2 ? UINT32_MAX : cap * 2;
		p = realloc(w->cls, cap);
		if (!p)
			return -ENOMEM;
		w->cls = p;
		w->cls_cap = cap;
	}
	if (fwrite(page, PAGE_SZ, 1, w->spool) != 1)
		return -EIO;
	w->cls[w->nr_pages++] = (uint8_t)cls;
	w->count[cls]++;
	return 0;
}

int zmm_corpus_writer_finish(struct zmm_corpus_writer *w, const char *path)
{
	unsigned char hdr[HDR_SIZE];
	uint64_t data_off, copied = 0, want;
	uint32_t present = 0;
	unsigned int k;
	size_t tlen = strlen(path) + sizeof(".XXXXXX");
	char *tmp, *buf;
	int fd, ret;

	for (k = 0; k < ZMM_CORPUS_NR_CLASSES; k++)
		if (w->count[k])
			present++;
	memset(hdr, 0, sizeof(hdr));
	memcpy(hdr, ZMM_CORPUS_MAGIC, ZMM_CORPUS_MAGIC_LEN);
	zmm_corpus_put_le32(hdr + 8, PAGE_SZ);
	zmm_corpus_put_le32(hdr + 12, w->nr_pages);
	zmm_corpus_put_le32(hdr + 16, present);
	data_off = zmm_corpus_data_off(w->nr_pages);
	want = (uint64_t)w->nr_pages * PAGE_SZ;

	if (fflush(w->spool) || fseeko(w->spool, 0, SEEK_SET))
		return -EIO;

	tmp = malloc(tlen);
	buf = calloc(1, 1 << 20);
	if (!tmp || !buf) {
		free(tmp);
		free(buf);
		return -ENOMEM;
	}
	snprintf(tmp, tlen, "%s.XXXXXX", path);
	fd = mkstemp(tmp);
	if (fd < 0) {
		ret = -errno;
		fprintf(stderr, "zmm-corpus: %s: %s\n", tmp, strerror(errno));
		goto out;
	}
	if (fchmod(fd, 0644) < 0) {
		ret = -errno;
		goto fail;
	}
	ret = write_all(fd, hdr, sizeof(hdr));
	if (!ret && w->nr_pages)
		ret = write_all(fd, w->cls, w->nr_pages);
	/* zero padding up to data_off; buf is still all zero here */
	if (!ret)
		ret = write_all(fd, buf,
				(size_t)(data_off - HDR_SIZE - w->nr_pages));
	while (!ret && copied < want) {
		size_t chunk = want - copied > (1 << 20) ?
			       (1 << 20) : (size_t)(want - copied);

		if (fread(buf, 1, chunk, w->spool) != chunk) {
			ret = -EIO;
			break;
		}
		ret = write_all(fd, buf, chunk);
		copied += chunk;
	}
	if (ret)
		goto fail;
	if (close(fd) < 0) {
		ret = -errno;
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) < 0) {
		ret = -errno;
		goto fail;
	}
	ret = 0;
	goto out;
fail:
	fprintf(stderr, "zmm-corpus: writing %s: %s\n", path,
		strerror(-ret));
	if (fd >= 0)
		close(fd);
	unlink(tmp);
out:
	free(tmp);
	free(buf);
	return ret;
}
