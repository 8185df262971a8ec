// SPDX-License-Identifier: GPL-2.0
/*
 * Synthetic memory pages: the one page generator of the userspace tests and
 * the benchmarks (see pagegen.h).
 */
#include <string.h>

#include "pagegen.h"

unsigned long xrand(unsigned long *s)
{
	unsigned long x = *s ? *s : 0x9E3779B97F4A7C15UL;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return x;
}

unsigned long gen_stream(unsigned long seed, unsigned int stream)
{
	return (seed + stream * 0x9E3779B97F4A7C15UL) * 0x2545F4914F6CDD1DUL +
	       1;
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
	unsigned long s = gen_stream(seed, 0), *w = page;
	size_t i;

	switch (cls) {
	case GEN_ZERO:
		memset(page, 0, GEN_PAGE_SIZE);
		break;
	case GEN_SAME:
		s = xrand(&s) | 1;
		for (i = 0; i < GEN_PAGE_SIZE / sizeof(long); i++)
			w[i] = s;
		break;
	case GEN_TEXT:
		gen_text(page, GEN_PAGE_SIZE, &s);
		break;
	case GEN_RANDOM:
		for (i = 0; i < GEN_PAGE_SIZE / sizeof(long); i++)
			w[i] = xrand(&s);
		break;
	case GEN_ANON: {
		unsigned long ptr = 0x7f0000000000UL + (xrand(&s) & 0xfffff000);

		for (i = 0; i < GEN_PAGE_SIZE / sizeof(long); i++) {
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
		memset(page, 0, GEN_PAGE_SIZE);
		gen_text(page, GEN_PAGE_SIZE / 2, &s);
		break;
	}
}
