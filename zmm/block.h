/* SPDX-License-Identifier: GPL-2.0 */
/*
 * zmm core, layer 1: blocks and the space in them (block.c).  Every call
 * takes the arena lock itself.
 */
#ifndef _ZMM_BLOCK_H
#define _ZMM_BLOCK_H

#include "types.h"

int zmm_block_store(struct zmm_arena *a, struct zmm_entry *e,
		    const void *data, unsigned int len, enum zmm_lru_end end);
unsigned long zmm_block_release(struct zmm_arena *a, struct zmm_entry *e);
unsigned long zmm_block_evacuate_one(struct zmm_arena *a, bool shrink);
unsigned long zmm_block_shrink_head(struct zmm_arena *a);
unsigned int zmm_arena_copy_out(struct zmm_arena *a, struct zmm_entry *e,
				void *buf, bool touch, unsigned int *comp);
bool zmm_block_rewrite(struct zmm_arena *a, struct zmm_entry *e,
		       unsigned int old_len, const void *data,
		       unsigned int len, unsigned int comp);

#endif /* _ZMM_BLOCK_H */
