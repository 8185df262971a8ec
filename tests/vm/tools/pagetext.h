/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Page contents for the VM tools (mthp, hotcold): every page different,
 * compressible like anonymous memory, and regenerated from its index and
 * a seed to verify it.  A header only: each tool is built static, alone,
 * by scripts/initramfs.sh.
 */
#ifndef ZMM_VM_PAGETEXT_H
#define ZMM_VM_PAGETEXT_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define PAGE 4096UL

static const char *const words[16] = {
	"alpha ", "bravo ", "charlie ", "delta ", "echo ", "foxtrot ",
	"golf ", "hotel ", "india ", "juliett ", "kilo ", "lima ",
	"mike ", "november ", "oscar ", "papa ",
};

static inline uint64_t mix(uint64_t x)
{
	/* splitmix64 finaliser */
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/*
 * The content of page IDX for SEED, into buf (PAGE bytes): a header naming
 * the page, then words picked by a generator seeded from both.  Never
 * zero (the swap zeromap would take it before any backend sees it),
 * never same-filled, and about 2-3:1 with lz4, as anon memory often is.
 */
static inline void pagetext(unsigned char *buf, unsigned long idx,
			    unsigned long seed)
{
	uint64_t st = mix(mix(seed) ^ idx);
	size_t n, len;

	n = (size_t)snprintf((char *)buf, PAGE, "zmm page %08lx seed %08lx: ",
			     idx, seed);
	while (n < PAGE) {
		const char *w;

		st = mix(st);
		w = words[st & 15];
		len = strlen(w);
		if (len > PAGE - n)
			len = PAGE - n;
		memcpy(buf + n, w, len);
		n += len;
		/* a number now and then: no two pages alike */
		if ((st >> 8 & 7) == 0 && n + 12 < PAGE)
			n += (size_t)snprintf((char *)buf + n, 12, "%u ",
					      (unsigned int)(st >> 32) % 100000);
	}
}

#endif /* ZMM_VM_PAGETEXT_H */
