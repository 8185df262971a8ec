/* SPDX-License-Identifier: GPL-2.0 */
/*
 * zmm core, layer 0: page codecs (compress.c): the compressors with their
 * per-CPU contexts, and same-filled pages, which need no compressor.
 */
#ifndef _ZMM_COMPRESS_H
#define _ZMM_COMPRESS_H

#include "types.h"

const struct zmm_compressor *zmm_compressor(enum zmm_comp comp);
int zmm_ctx_init(struct zmm_pool *pool);
void zmm_ctx_destroy(struct zmm_pool *pool);
int zmm_decompress(struct zmm_cpu_ctx *c, unsigned int comp, const void *src,
		   unsigned int len, void *dst);
struct zmm_cpu_ctx *zmm_ctx_get(struct zmm_pool *pool);
void zmm_ctx_put(struct zmm_pool *pool);
bool zmm_same_filled(const void *src, unsigned long *value);
void zmm_fill(void *dst, unsigned long value);

#endif /* _ZMM_COMPRESS_H */
