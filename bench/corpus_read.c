// SPDX-License-Identifier: GPL-2.0
/*
 * zmm page corpus reader: map a corpus file and validate it.
 */
#define _FILE_OFFSET_BITS 64
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "corpus.h"

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

static uint32_t get_le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 |
	       (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

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

	page_size = get_le32(m + 8);
	nr_pages = get_le32(m + 12);
	nr_present = get_le32(m + 16);
	if (page_size != ZMM_CORPUS_PAGE_SIZE)
		return bad_file(path, "page size %u, expected %u", page_size,
				ZMM_CORPUS_PAGE_SIZE);
	for (k = 0; k < 5; k++)
		if (get_le32(m + 20 + 4 * k))
			return bad_file(path, "reserved field %u not zero", k);

	/* 64-bit arithmetic: nr_pages < 2^32, so none of this overflows */
	data_off = (HDR_SIZE + (uint64_t)nr_pages + page_size - 1) /
		   page_size * page_size;
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
