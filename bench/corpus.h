/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The zmm page corpus file format: a file of real and synthetic 4 KiB memory
 * pages used by the compression benchmarks.  Its writer and its reader are
 * bench/corpus.c.
 *
 * File layout (all integers little endian):
 *
 *	struct zmm_corpus_hdr		40 bytes
 *	uint8_t class[nr_pages]		class id of every page
 *	zero padding			up to the next multiple of page_size
 *					(counted from the start of the file)
 *	nr_pages * page_size bytes	the pages, in the order of class[]
 *
 * Readers must treat the file as untrusted; zmm_corpus_open() validates
 * it completely before handing out pointers into the mapping.
 */
#ifndef ZMM_BENCH_CORPUS_H
#define ZMM_BENCH_CORPUS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define ZMM_CORPUS_MAGIC	"ZMMCORP1"
#define ZMM_CORPUS_MAGIC_LEN	8
#define ZMM_CORPUS_PAGE_SIZE	4096u
#define ZMM_CORPUS_HDR_SIZE	40u

enum zmm_corpus_class {
	ZMM_CORPUS_ZERO,	/* all-zero pages */
	ZMM_CORPUS_SAME,	/* one repeated non-zero unsigned long */
	ZMM_CORPUS_TEXT,	/* English / source text from the machine */
	ZMM_CORPUS_RANDOM,	/* incompressible PRNG output */
	ZMM_CORPUS_ANON_CC,	/* anonymous memory of a running cc1 */
	ZMM_CORPUS_ANON_PY,	/* anonymous memory of a python3 process */
	ZMM_CORPUS_NR_CLASSES
};

/* On-disk header, 40 bytes, little endian. */
struct zmm_corpus_hdr {
	char magic[ZMM_CORPUS_MAGIC_LEN];
	uint32_t page_size;
	uint32_t nr_pages;
	uint32_t nr_classes_present;
	uint32_t reserved[5];
};

_Static_assert(sizeof(struct zmm_corpus_hdr) == ZMM_CORPUS_HDR_SIZE,
	       "zmm corpus header layout");

/*
 * An open corpus. cls and pages point into a read-only mapping of the
 * file: do not write through them.
 */
struct zmm_corpus {
	uint32_t nr_pages;
	uint8_t *cls;			/* nr_pages class ids */
	unsigned char *pages;		/* nr_pages * ZMM_CORPUS_PAGE_SIZE */
	size_t map_len;
	void *map;			/* start of the mapping */
	uint32_t nr_classes_present;
	uint32_t class_pages[ZMM_CORPUS_NR_CLASSES];
};

/* Little-endian 32-bit fields of the header. */
static inline uint32_t zmm_corpus_get_le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 |
	       (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline void zmm_corpus_put_le32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

/*
 * Offset of the first page in a file of @nr_pages pages.  64-bit
 * arithmetic: nr_pages < 2^32, so this does not overflow.
 */
static inline uint64_t zmm_corpus_data_off(uint32_t nr_pages)
{
	return (ZMM_CORPUS_HDR_SIZE + (uint64_t)nr_pages +
		ZMM_CORPUS_PAGE_SIZE - 1) /
	       ZMM_CORPUS_PAGE_SIZE * ZMM_CORPUS_PAGE_SIZE;
}

/* ---- reader ---- */

/*
 * Map and validate @path. Returns 0 on success, -EINVAL (with a message on
 * stderr) for a malformed file, or another negative errno if the file
 * cannot be opened or mapped. On failure *c is left zeroed.
 */
int zmm_corpus_open(const char *path, struct zmm_corpus *c);
void zmm_corpus_close(struct zmm_corpus *c);
/* Page @i, or NULL if @i is out of range. */
const void *zmm_corpus_page(const struct zmm_corpus *c, uint32_t i);
/* "zero", "same", "text", "random", "anon-cc", "anon-py" or "?" */
const char *zmm_corpus_class_name(unsigned int cls);

/* ---- writer ---- */

/**
 * struct zmm_corpus_writer - a corpus being written.
 * @spool: the pages so far, in an unlinked temporary file: where they go
 *	in the corpus depends on the total page count.
 * @cls: their class ids.
 * @nr_pages: pages added.
 * @cls_cap: room in @cls.
 * @count: pages added, by class.
 */
struct zmm_corpus_writer {
	FILE *spool;
	uint8_t *cls;
	uint32_t nr_pages;
	uint32_t cls_cap;
	uint32_t count[ZMM_CORPUS_NR_CLASSES];
};

/* Start an empty corpus. Returns 0 or a negative errno. */
int zmm_corpus_writer_init(struct zmm_corpus_writer *w);
/* Append one ZMM_CORPUS_PAGE_SIZE @page of class @cls. 0 or -errno. */
int zmm_corpus_writer_add(struct zmm_corpus_writer *w, unsigned int cls,
			  const void *page);
/*
 * Write the corpus to a temporary file next to @path, then rename it to
 * @path. Returns 0 or a negative errno. @w stays valid: free it after.
 */
int zmm_corpus_writer_finish(struct zmm_corpus_writer *w, const char *path);
void zmm_corpus_writer_free(struct zmm_corpus_writer *w);

#endif /* ZMM_BENCH_CORPUS_H */
