// SPDX-License-Identifier: GPL-2.0
/* built with user/shim/kcompat.h force-included, like the core */
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

struct zmm_ops uenv_ops(struct uenv *u)
{
	struct zmm_ops ops = {
		.alloc_block = uenv_alloc,
		.free_block = uenv_free,
		.writeback = uenv_writeback,
		.dropped = uenv_dropped,
		.priv = u,
	};

	return ops;
}

unsigned long xrand(unsigned long *s)
{
	unsigned long x = *s ? *s : 0x9E3779B97F4A7C15UL;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return x;
}

static const char *const gen_words[] = {
	"the", "memory", "page", "of", "and", "compressed", "reclaim", "to",
	"swap", "a", "in", "block", "is", "node", "for", "cgroup", "kernel",
	"zone", "with", "that", "lru", "free", "slab", "order", "struct",
	"int", "return", "if", "else", "unsigned", "long", "static",
};

static const char *const gen_names[GEN_NR] = {
	"zero", "same", "text", "random", "anon", "half",
};

const char *gen_class_name(enum gen_class cls)
{
	return cls < GEN_NR ? gen_names[cls] : "?";
}

static void gen_text(char *p, size_t n, unsigned long *s)
{
	size_t i = 0;

	while (i < n) {
		const char *w = gen_words[xrand(s) % 32];
		size_t l = strlen(w);

		if (i + l + 1 > n) {
			memset(p + i, ' ', n - i);
			break;
		}
		memcpy(p + i, w, l);
		i += l;
		p[i++] = (xrand(s) % 11) ? ' ' : '\n';
	}
}

void gen_page(void *page, enum gen_class cls, unsigned long seed)
{
	unsigned long s = seed * 0x2545F4914F6CDD1DUL + 1, *w = page;
	size_t i;

	switch (cls) {
	case GEN_ZERO:
		memset(page, 0, UENV_PAGE);
		break;
	case GEN_SAME:
		s = xrand(&s) | 1;
		for (i = 0; i < UENV_PAGE / sizeof(long); i++)
			w[i] = s;
		break;
	case GEN_TEXT:
		gen_text(page, UENV_PAGE, &s);
		break;
	case GEN_RANDOM:
		for (i = 0; i < UENV_PAGE / sizeof(long); i++)
			w[i] = xrand(&s);
		break;
	case GEN_ANON: {
		unsigned long ptr = 0x7f0000000000UL + (xrand(&s) & 0xfffff000);

		for (i = 0; i < UENV_PAGE / sizeof(long); i++) {
			switch (xrand(&s) % 6) {
			case 0:
			case 1:
				w[i] = 0;
				break;
			case 2:
				w[i] = xrand(&s) % 1000;
				break;
			case 3:
				w[i] = ptr + (xrand(&s) % 256) * 16;
				break;
			default:
				w[i] = i > 0 ? w[i - 1] + 1 : 1;
				break;
			}
		}
		break;
	}
	case GEN_HALF:
	default:
		memset(page, 0, UENV_PAGE);
		gen_text(page, UENV_PAGE / 2, &s);
		break;
	}
}
