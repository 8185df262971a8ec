// SPDX-License-Identifier: GPL-2.0
/*
 * zmm core, layer 0: a chained hash table that grows by doubling, for the
 * index's shards and objects and for the arena table.
 *
 * Tables start small and double when their load passes 2, up to
 * 2^ZMM_HTAB_MAX_BITS chains; growth allocates without waiting (callers
 * hold spinlocks) and is simply skipped when memory is short: chains get
 * longer, nothing fails.  No lock of its own.
 */
#include "htab.h"

int zmm_htab_init(struct zmm_htab *t, unsigned int bits)
{
	t->heads = kcalloc(1UL << bits, sizeof(*t->heads), GFP_KERNEL);
	if (!t->heads)
		return -ENOMEM;
	t->bits = bits;
	t->nr = 0;
	return 0;
}

void zmm_htab_free(struct zmm_htab *t)
{
	kfree(t->heads);
	t->heads = NULL;
}

/*
 * Double @t when it holds more than two nodes per chain.  @key gives the
 * hash key of a node.  Allocation failure leaves the table as it is.
 */
void zmm_htab_maybe_grow(struct zmm_htab *t,
			 u64 (*key)(struct hlist_node *n),
			 struct hlist_head *inline_heads)
{
	unsigned int bits = t->bits + 1;
	struct hlist_head *heads;
	struct hlist_node *n, *next;
	unsigned long i;

	if (t->nr <= (2UL << t->bits) || bits > ZMM_HTAB_MAX_BITS)
		return;
	heads = kcalloc(1UL << bits, sizeof(*heads),
			GFP_NOWAIT | __GFP_NOWARN);
	if (!heads)
		return;
	for (i = 0; i < (1UL << t->bits); i++) {
		for (n = t->heads[i].first; n; n = next) {
			next = n->next;
			hlist_add_head(n, &heads[hash_64(key(n), bits)]);
		}
	}
	if (t->heads != inline_heads)
		kfree(t->heads);
	t->heads = heads;
	t->bits = bits;
}
