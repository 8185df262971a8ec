// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel's lib/xarray.c on the userspace shim (mk/xarray.mk,
 * user/shim/xarray/): the operations a key index needs, under ASan and
 * UBSan, with pthreads, allocation failure injection and the
 * atomic-context checks of user/shim/zmm_shim.h.  TAP output.
 */
#include <linux/xarray.h>

static int failed, tests;

#define CHECK(c, ...) do {						\
	tests++;							\
	if (!(c)) {							\
		failed++;						\
		printf("not ok %d - ", tests);				\
		printf(__VA_ARGS__);					\
		printf(" (%s:%d)\n", __FILE__, __LINE__);		\
	}								\
} while (0)

static void *val(unsigned long i)
{
	/* stand-in entry pointers: aligned, never dereferenced */
	return (void *)((i + 1) << 3);
}

static void test_basic(void)
{
	struct xarray xa;
	unsigned long i, n = 0, bad = 0, idx;
	void *e;

	xa_init(&xa);
	for (i = 0; i < 100000; i += 3)
		bad += xa_is_err(xa_store(&xa, i, val(i), GFP_KERNEL));
	CHECK(bad == 0, "%lu stores failed", bad);
	for (i = 0; i < 100000; i++)
		if (xa_load(&xa, i) != (i % 3 ? NULL : val(i)))
			break;
	CHECK(i == 100000, "load %lu", i);
	/* replace returns the old entry */
	e = xa_store(&xa, 3, val(7), GFP_KERNEL);
	CHECK(e == val(3), "replace returned %p", e);
	CHECK(xa_erase(&xa, 3) == val(7), "erase");
	CHECK(xa_load(&xa, 3) == NULL, "erased");
	/* range walk, as truncation does */
	xa_for_each_range(&xa, idx, e, 1000, 1999) {
		bad += e != val(idx) || idx % 3;
		n++;
	}
	CHECK(n == 333 && !bad, "range found %lu, %lu wrong", n, bad);
	/* take a range in batches under the lock */
	{
		XA_STATE(xas, &xa, 0);
		unsigned long taken = 0, k;

		do {
			k = 0;
			xas_lock(&xas);
			xas_for_each(&xas, e, 49999) {
				xas_store(&xas, NULL);
				taken++;
				if (++k == 32) {
					xas_pause(&xas);
					break;
				}
			}
			xas_unlock(&xas);
		} while (k == 32);
		CHECK(taken == 16666, "taken %lu", taken);
		CHECK(xa_find(&xa, &(unsigned long){0}, 49999, XA_PRESENT) ==
		      NULL, "range empty");
	}
	xa_destroy(&xa);
	CHECK(xa_empty(&xa), "destroyed");
}

/* failed GFP_NOWAIT inserts under the lock: the rest stays consistent */
static void test_nomem(void)
{
	struct xarray xa;
	static bool in[1 << 16];
	unsigned long i, fails = 0, bad = 0;
	void *e;

	xa_init(&xa);
	memset(in, 0, sizeof(in));
	zmm_shim_inject(0, 4);
	for (i = 0; i < ARRAY_SIZE(in); i++) {
		unsigned long k = (i * 40503UL) % ARRAY_SIZE(in);

		xa_lock(&xa);
		e = __xa_store(&xa, k * 7, val(k), GFP_NOWAIT | __GFP_NOWARN);
		xa_unlock(&xa);
		if (xa_err(e)) {
			bad += xa_err(e) != -ENOMEM;
			fails++;
		} else {
			in[k] = true;
		}
	}
	zmm_shim_inject(0, 0);
	for (i = 0; i < ARRAY_SIZE(in); i++)
		bad += xa_load(&xa, i * 7) != (in[i] ? val(i) : NULL);
	CHECK(fails > 0, "no injected failure");
	CHECK(bad == 0, "%lu keys wrong after %lu failed inserts", bad, fails);
	xa_destroy(&xa);
}

/* threads on one XArray, each on its own keys, everything under xa_lock */
struct thr {
	struct xarray *xa;
	unsigned long base;
	unsigned long bad;
};

#define THR_KEYS 50000

static void *thr_fn(void *arg)
{
	struct thr *t = arg;
	unsigned long i, k;
	void *e;
	int round;

	for (round = 0; round < 3; round++) {
		for (i = 0; i < THR_KEYS; i++) {
			k = t->base + i * 4;
			e = xa_store(t->xa, k, val(k), GFP_KERNEL);
			t->bad += xa_is_err(e);
		}
		for (i = 0; i < THR_KEYS; i++) {
			k = t->base + i * 4;
			xa_lock(t->xa);
			e = xa_load(t->xa, k);
			xa_unlock(t->xa);
			t->bad += e != val(k);
		}
		for (i = 0; i < THR_KEYS; i++) {
			k = t->base + i * 4;
			t->bad += xa_erase(t->xa, k) != val(k);
		}
	}
	return NULL;
}

static void test_threads(void)
{
	struct xarray xa;
	struct thr t[4];
	pthread_t tid[4];
	int i;

	xa_init(&xa);
	for (i = 0; i < 4; i++) {
		t[i] = (struct thr){ .xa = &xa, .base = i };
		pthread_create(&tid[i], NULL, thr_fn, &t[i]);
	}
	for (i = 0; i < 4; i++) {
		pthread_join(tid[i], NULL);
		CHECK(t[i].bad == 0, "thread %d: %lu bad", i, t[i].bad);
	}
	CHECK(xa_empty(&xa), "empty after the threads");
	xa_destroy(&xa);
}

/* the shim reports a sleeping allocation under a spinlock */
static void test_atomic_check(void)
{
	unsigned long before = zmm_shim_warnings;
	struct xarray xa;

	xa_init(&xa);
	xa_lock(&xa);
	__xa_store(&xa, 1000, val(1), GFP_NOWAIT);
	xa_unlock(&xa);
	CHECK(zmm_shim_warnings == before, "GFP_NOWAIT under xa_lock warned");
	/* __xa_store with GFP_KERNEL drops the lock to allocate: no warning */
	xa_lock(&xa);
	__xa_store(&xa, 1UL << 40, val(2), GFP_KERNEL);
	xa_unlock(&xa);
	CHECK(zmm_shim_warnings == before, "GFP_KERNEL in __xa_store warned");
	xa_destroy(&xa);
}

int main(void)
{
	test_basic();
	test_nomem();
	test_threads();
	test_atomic_check();
	CHECK(zmm_shim_outstanding() == 0, "%ld allocations leaked",
	      zmm_shim_outstanding());
	CHECK(zmm_shim_warnings == 0, "%lu warnings", zmm_shim_warnings);
	printf("1..%d\n# xarray shim: %d passed, %d failed\n", tests,
	       tests - failed, failed);
	return failed ? 1 : 0;
}
