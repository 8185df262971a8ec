/* SPDX-License-Identifier: GPL-2.0 */
/* zmm core, layer 4: eviction of zpages (evict.c). */
#ifndef _ZMM_EVICT_H
#define _ZMM_EVICT_H

#include "types.h"

long zmm_evict_one(struct zmm_arena *a, enum zmm_lru_end end,
		   struct zmm_evicted *ev);
unsigned int zmm_recompress_coldest(struct zmm_arena *a, u32 min_age);

#endif /* _ZMM_EVICT_H */
