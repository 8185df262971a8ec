/* SPDX-License-Identifier: GPL-2.0 */
/*
 * zmm core, layer 3: zpages and their store, load and invalidation
 * (store.c); the public calls are in <zmm/zmm.h>.
 */
#ifndef _ZMM_STORE_H
#define _ZMM_STORE_H

#include "types.h"

int zmm_entry_cache_get(void);
void zmm_entry_cache_put(void);
unsigned long zmm_entry_put(struct zmm_pool *pool, struct zmm_entry *e);
int zmm_entry_move(struct zmm_pool *pool, struct zmm_entry *e,
		   struct zmm_arena *to);

#endif /* _ZMM_STORE_H */
