/* SPDX-License-Identifier: GPL-2.0 */
/*
 * zmm core, layer 2: arenas, one per (owner, node, type), and their zpage
 * LRU lists (arena.c).
 */
#ifndef _ZMM_ARENA_H
#define _ZMM_ARENA_H

#include "types.h"

struct zmm_arena *zmm_arena_find(struct zmm_pool *pool, u32 owner, int nid,
				 enum zmm_type type, bool create);
void zmm_arena_get(struct zmm_arena *a);
void zmm_arena_put(struct zmm_arena *a);
unsigned long zmm_arena_retire(struct zmm_pool *pool, u32 owner);
struct zmm_arena **zmm_arenas_snapshot(struct zmm_pool *pool, u32 owner,
				       enum zmm_type type, unsigned long *n);
void zmm_arenas_put(struct zmm_arena **arenas, unsigned long n);
int zmm_arenas_init(struct zmm_pool *pool);
void zmm_arenas_destroy(struct zmm_pool *pool);
void zmm_lru_rotate(struct zmm_arena *a, struct zmm_entry *e,
		    enum zmm_lru_end end);
struct zmm_entry *zmm_lru_take_end(struct zmm_arena *a, enum zmm_lru_end end);
bool zmm_lru_take(struct zmm_arena *a, struct zmm_entry *e);

#endif /* _ZMM_ARENA_H */
