/* SPDX-License-Identifier: GPL-2.0 */
/*
 * zmm core, layer 2: ghosts, the keys of recently evicted zpages, to
 * count the evictions that were wanted again (ghost.c).
 */
#ifndef _ZMM_GHOST_H
#define _ZMM_GHOST_H

#include "types.h"

int zmm_ghosts_init(struct zmm_pool *pool);
void zmm_ghosts_destroy(struct zmm_pool *pool);
void zmm_ghost_add(struct zmm_pool *pool, const struct zmm_key *key,
		   struct zmm_arena *a, enum zmm_lru_end end);
bool zmm_ghost_refault(struct zmm_pool *pool, const struct zmm_key *key);

#endif /* _ZMM_GHOST_H */
