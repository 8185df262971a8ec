/* SPDX-License-Identifier: GPL-2.0 */
/* zmm core, layer 0: growing chained hash tables (htab.c). */
#ifndef _ZMM_HTAB_H
#define _ZMM_HTAB_H

#include "types.h"

int zmm_htab_init(struct zmm_htab *t, unsigned int bits);
void zmm_htab_free(struct zmm_htab *t);
void zmm_htab_maybe_grow(struct zmm_htab *t,
			 u64 (*key)(struct hlist_node *n),
			 struct hlist_head *inline_heads);

#endif /* _ZMM_HTAB_H */
