// SPDX-License-Identifier: GPL-2.0
/*
 * Userspace shim runtime: allocation with failure injection and leak
 * counting, per-thread "CPU" slots, and the WARN counter.
 */
#include "zmm_shim.h"
#include "pagegen.h"

unsigned long zmm_shim_warnings;
unsigned long zmm_shim_resched;
__thread int zmm_shim_atomic;

void zmm_shim_sleep_check(const char *what)
{
	if (!zmm_shim_atomic)
		return;
	__atomic_add_fetch(&zmm_shim_warnings, 1, __ATOMIC_RELAXED);
	fprintf(stderr, "BUG: sleeping function (%s) called from atomic "
		"context\n", what);
}
unsigned long zmm_shim_alloc_failures;

static unsigned long shim_fail_after;	/* the Nth allocation from now fails */
static unsigned int shim_fail_rate;	/* or 1 in rate fail at random */
static unsigned long shim_rng = 0x2545F4914F6CDD1DULL;
static long shim_outstanding;
static pthread_mutex_t shim_lock = PTHREAD_MUTEX_INITIALIZER;

void zmm_shim_inject(unsigned long fail_after, unsigned int fail_rate)
{
	pthread_mutex_lock(&shim_lock);
	shim_fail_after = fail_after;
	shim_fail_rate = fail_rate;
	pthread_mutex_unlock(&shim_lock);
}

static bool shim_should_fail(void)
{
	bool fail = false;

	if (!__atomic_load_n(&shim_fail_after, __ATOMIC_RELAXED) &&
	    !__atomic_load_n(&shim_fail_rate, __ATOMIC_RELAXED))
		return false;
	pthread_mutex_lock(&shim_lock);
	if (shim_fail_after && !--shim_fail_after)
		fail = true;
	if (shim_fail_rate && xrand(&shim_rng) % shim_fail_rate == 0)
		fail = true;
	pthread_mutex_unlock(&shim_lock);
	if (fail)
		__atomic_add_fetch(&zmm_shim_alloc_failures, 1,
				   __ATOMIC_RELAXED);
	return fail;
}

void *zmm_shim_malloc(size_t size, gfp_t gfp)
{
	void *p;

	if (gfp & GFP_KERNEL)
		zmm_shim_sleep_check("GFP_KERNEL allocation");
	if (!size || shim_should_fail())
		return NULL;
	p = (gfp & __GFP_ZERO) ? calloc(1, size) : malloc(size);
	if (p)
		__atomic_add_fetch(&shim_outstanding, 1, __ATOMIC_RELAXED);
	return p;
}

void zmm_shim_free(void *p)
{
	if (!p)
		return;
	__atomic_sub_fetch(&shim_outstanding, 1, __ATOMIC_RELAXED);
	free(p);
}

long zmm_shim_outstanding(void)
{
	return __atomic_load_n(&shim_outstanding, __ATOMIC_RELAXED);
}

int zmm_shim_cpu(void)
{
	static int next;
	static __thread int slot = -1;

	if (slot < 0)
		slot = __atomic_fetch_add(&next, 1, __ATOMIC_RELAXED) %
		       ZMM_SHIM_NR_CPUS;
	return slot;
}
