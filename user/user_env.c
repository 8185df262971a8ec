// SPDX-License-Identifier: GPL-2.0
/*
 * The environment of a userspace zmm pool: its block allocator and the
 * writeback and drop ops (see user_env.h).  Built with user/shim/zmm_shim.h
 * force-included, like the core.
 */
#include "user_env.h"

#define UENV_PAGE 4096UL

struct uenv_block {
	void *base;
	unsigned int order;
};

static void *uenv_alloc(void *priv, unsigned int order, u32 owner, int nid,
			enum zmm_type type)
{
	struct uenv *u = priv;
	void *base = NULL;

	if (u->on_alloc)
		u->on_alloc(u->on_alloc_priv, order);
	pthread_mutex_lock(&u->lock);
	if (u->fail_after && !--u->fail_after)
		u->fail_all = true;
	if (u->fail_all || order > u->max_order) {
		u->alloc_fails++;
		goto unlock;
	}
	if (u->nr_live == u->cap_live) {
		size_t cap = u->cap_live ? 2 * u->cap_live : 64;
		struct uenv_block *n = realloc(u->live, cap * sizeof(*n));

		if (!n)
			goto unlock;
		u->live = n;
		u->cap_live = cap;
	}
	base = aligned_alloc(UENV_PAGE, UENV_PAGE << order);
	if (!base)
		goto unlock;
	/* poison: the pool must never read what it did not write */
	memset(base, 0x5a, UENV_PAGE << order);
	u->live[u->nr_live].base = base;
	u->live[u->nr_live].order = order;
	u->nr_live++;
	u->blocks_out++;
	u->pages_out += 1L << order;
	u->allocs[order]++;
unlock:
	pthread_mutex_unlock(&u->lock);
	return base;
}

static void uenv_free(void *priv, void *base, unsigned int order, u32 owner,
		      int nid, enum zmm_type type)
{
	struct uenv *u = priv;
	size_t i;

	pthread_mutex_lock(&u->lock);
	for (i = 0; i < u->nr_live; i++) {
		if (u->live[i].base == base && u->live[i].order == order)
			break;
	}
	if (i == u->nr_live) {
		u->bad_frees++;
	} else {
		u->live[i] = u->live[--u->nr_live];
		u->blocks_out--;
		u->pages_out -= 1L << order;
		u->frees[order]++;
		free(base);
	}
	pthread_mutex_unlock(&u->lock);
}

static int uenv_writeback(void *priv, const struct zmm_key *key,
			  struct zmm_writeback *wb)
{
	struct uenv *u = priv;

	return u->writeback ? u->writeback(u->wb_priv, key, wb) : -EIO;
}

void uenv_init(struct uenv *u)
{
	memset(u, 0, sizeof(*u));
	pthread_mutex_init(&u->lock, NULL);
	u->max_order = ZMM_BLOCK_ORDER_MAX;
}

void uenv_fini(struct uenv *u)
{
	size_t i;

	for (i = 0; i < u->nr_live; i++)
		free(u->live[i].base);
	free(u->live);
	pthread_mutex_destroy(&u->lock);
}

static void uenv_dropped(void *priv, u32 owner, int nid)
{
	struct uenv *u = priv;

	pthread_mutex_lock(&u->lock);
	u->dropped[owner < UENV_OWNERS ? owner : UENV_OWNERS - 1]++;
	pthread_mutex_unlock(&u->lock);
}

static bool uenv_may_writeback(void *priv, u32 owner)
{
	struct uenv *u = priv;

	return !READ_ONCE(u->no_writeback[owner < UENV_OWNERS ? owner :
					  UENV_OWNERS - 1]);
}

struct zmm_ops uenv_ops(struct uenv *u)
{
	struct zmm_ops ops = {
		.alloc_block = uenv_alloc,
		.free_block = uenv_free,
		.writeback = uenv_writeback,
		.may_writeback = uenv_may_writeback,
		.dropped = uenv_dropped,
		.priv = u,
	};

	return ops;
}
