/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace shim for the zmm portable core.
 *
 * The core's .c files include zmm/kcompat.h, which pulls in the real
 * <linux/...> headers in the kernel and this file anywhere else, so the
 * core compiles unchanged against the few kernel facilities mapped here
 * (the approach of tools/testing/vma).  The userspace build also
 * force-includes it, for the tests' and benchmarks' own files.
 *
 * Besides mapping, the shim adds what a test needs and the kernel does not:
 * spinlocks that remember their owner (so lockdep_assert_held() really
 * asserts), allocation-failure injection for every kmalloc/kmem_cache
 * allocation, and a WARN counter that tests check is still zero.
 */
#ifndef ZMM_SHIM_H
#define ZMM_SHIM_H

#define _GNU_SOURCE
/* what Kbuild defines for a module's objects */
#define KBUILD_MODNAME "zmm"
#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <lz4.h>
#define ZSTD_STATIC_LINKING_ONLY
#include <zstd.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int64_t s64;
typedef unsigned int gfp_t;

#define __percpu
#define __must_check __attribute__((warn_unused_result))
#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif
#define __maybe_unused __attribute__((unused))
#define ____cacheline_aligned_in_smp __attribute__((aligned(64)))
#define fallthrough __attribute__((fallthrough))
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

#define PAGE_SHIFT 12
#define PAGE_SIZE (1UL << PAGE_SHIFT)
#define BITS_PER_LONG 64
#define MAX_ORDER 11
#define NUMA_NO_NODE (-1)
#define nr_node_ids 4
#define U64_MAX UINT64_MAX
#define U32_MAX UINT32_MAX

#define BIT(n) (1UL << (n))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define DIV_ROUND_UP(n, d) (((n) + (d) - 1) / (d))
static inline u64 div64_u64(u64 a, u64 b) { return a / b; }
#define ALIGN(x, a) (((x) + (a) - 1) & ~((typeof(x))(a) - 1))
#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))
#define min(a, b) ({ typeof(a) __a = (a); typeof(b) __b = (b); \
		     __a < __b ? __a : __b; })
#define max(a, b) ({ typeof(a) __a = (a); typeof(b) __b = (b); \
		     __a > __b ? __a : __b; })
#define min_t(t, a, b) min((t)(a), (t)(b))
#define swap(a, b) do { typeof(a) __swap_tmp = (a); (a) = (b); \
			 (b) = __swap_tmp; } while (0)
#define max_t(t, a, b) max((t)(a), (t)(b))
#define clamp(v, lo, hi) min(max(v, lo), hi)
#define READ_ONCE(x) (*(const volatile typeof(x) *)&(x))
#define WRITE_ONCE(x, v) (*(volatile typeof(x) *)&(x) = (v))
#define smp_store_release(p, v) __atomic_store_n(p, v, __ATOMIC_RELEASE)
#define smp_load_acquire(p) __atomic_load_n(p, __ATOMIC_ACQUIRE)
#define ilog2(n) (63 - __builtin_clzll((unsigned long long)(n)))
#define EXPORT_SYMBOL_GPL(sym)
#define BUILD_BUG_ON(c) _Static_assert(!(c), #c)

/* ---- diagnostics ---- */
extern unsigned long zmm_shim_warnings;
#define pr_fmt_shim(fmt) "zmm: " fmt
#define pr_err(fmt, ...) fprintf(stderr, pr_fmt_shim(fmt), ##__VA_ARGS__)
#define pr_warn(fmt, ...) fprintf(stderr, pr_fmt_shim(fmt), ##__VA_ARGS__)
#define pr_info(fmt, ...) fprintf(stderr, pr_fmt_shim(fmt), ##__VA_ARGS__)
#define pr_debug(fmt, ...) do { } while (0)
#define pr_warn_ratelimited pr_warn
#define WARN_ON_ONCE(c) ({						\
	bool __c = !!(c);						\
	if (unlikely(__c)) {						\
		__atomic_add_fetch(&zmm_shim_warnings, 1, __ATOMIC_RELAXED); \
		fprintf(stderr, "WARNING: %s:%d: %s\n", __FILE__,	\
			__LINE__, #c);					\
	}								\
	__c;								\
})
#define WARN_ON(c) WARN_ON_ONCE(c)

/* ---- lists (own implementation of the kernel's list API) ---- */
struct list_head {
	struct list_head *next, *prev;
};

struct hlist_node {
	struct hlist_node *next, **pprev;
};

struct hlist_head {
	struct hlist_node *first;
};

#define LIST_HEAD_INIT(name) { &(name), &(name) }

static inline void INIT_LIST_HEAD(struct list_head *l)
{
	l->next = l;
	l->prev = l;
}

static inline void __list_link(struct list_head *n, struct list_head *prev,
			       struct list_head *next)
{
	next->prev = n;
	n->next = next;
	n->prev = prev;
	prev->next = n;
}

static inline void list_add(struct list_head *n, struct list_head *h)
{
	__list_link(n, h, h->next);
}

static inline void list_add_tail(struct list_head *n, struct list_head *h)
{
	__list_link(n, h->prev, h);
}

static inline void list_del_init(struct list_head *e)
{
	e->next->prev = e->prev;
	e->prev->next = e->next;
	INIT_LIST_HEAD(e);
}

static inline void list_del(struct list_head *e)
{
	e->next->prev = e->prev;
	e->prev->next = e->next;
	e->next = (struct list_head *)0x100;
	e->prev = (struct list_head *)0x122;
}

static inline bool list_empty(const struct list_head *h)
{
	return READ_ONCE(h->next) == h;
}

static inline void list_move_tail(struct list_head *e, struct list_head *h)
{
	e->next->prev = e->prev;
	e->prev->next = e->next;
	list_add_tail(e, h);
}

static inline void list_move(struct list_head *e, struct list_head *h)
{
	e->next->prev = e->prev;
	e->prev->next = e->next;
	list_add(e, h);
}

#define list_entry(p, t, m) container_of(p, t, m)
#define list_first_entry(h, t, m) list_entry((h)->next, t, m)
#define list_last_entry(h, t, m) list_entry((h)->prev, t, m)
#define list_first_entry_or_null(h, t, m) \
	(list_empty(h) ? NULL : list_first_entry(h, t, m))
#define list_next_entry(p, m) list_entry((p)->m.next, typeof(*(p)), m)
#define list_prev_entry(p, m) list_entry((p)->m.prev, typeof(*(p)), m)
#define list_for_each_entry_reverse(p, h, m)				\
	for (p = list_last_entry(h, typeof(*p), m); &p->m != (h);	\
	     p = list_prev_entry(p, m))
#define list_for_each_entry(p, h, m)					\
	for (p = list_first_entry(h, typeof(*p), m); &p->m != (h);	\
	     p = list_next_entry(p, m))
#define list_for_each_entry_safe(p, n, h, m)				\
	for (p = list_first_entry(h, typeof(*p), m),			\
	     n = list_next_entry(p, m); &p->m != (h);			\
	     p = n, n = list_next_entry(n, m))

#define INIT_HLIST_HEAD(h) ((h)->first = NULL)
static inline void INIT_HLIST_NODE(struct hlist_node *n)
{
	n->next = NULL;
	n->pprev = NULL;
}

static inline bool hlist_unhashed(const struct hlist_node *n)
{
	return !n->pprev;
}

static inline void hlist_add_head(struct hlist_node *n, struct hlist_head *h)
{
	n->next = h->first;
	if (h->first)
		h->first->pprev = &n->next;
	h->first = n;
	n->pprev = &h->first;
}

static inline void hlist_del_init(struct hlist_node *n)
{
	if (hlist_unhashed(n))
		return;
	*n->pprev = n->next;
	if (n->next)
		n->next->pprev = n->pprev;
	INIT_HLIST_NODE(n);
}

#define hlist_entry_safe(p, t, m) ({ typeof(p) __p = (p); \
				     __p ? container_of(__p, t, m) : NULL; })
#define hlist_for_each_entry(p, h, m)					\
	for (p = hlist_entry_safe((h)->first, typeof(*p), m); p;	\
	     p = hlist_entry_safe(p->m.next, typeof(*p), m))
#define hlist_for_each_entry_safe(p, n, h, m)				\
	for (p = hlist_entry_safe((h)->first, typeof(*p), m);		\
	     p && ({ n = p->m.next; 1; });				\
	     p = hlist_entry_safe(n, typeof(*p), m))

/*
 * ---- atomic context ----
 * Spinlocks, rwlocks and local_locks count as atomic context, as in the
 * kernel; a sleeping call (GFP_KERNEL allocation, mutex, cond_resched) made
 * inside one is reported like a WARN, so tests fail on it.
 */
extern __thread int zmm_shim_atomic;
void zmm_shim_sleep_check(const char *what);
#define zmm_shim_enter_atomic() (zmm_shim_atomic++)
#define zmm_shim_exit_atomic() (zmm_shim_atomic--)

/* ---- locks: owner-tracking so lockdep_assert_held() asserts ---- */
typedef struct {
	pthread_mutex_t m;
	pthread_t owner;
	int held;
} spinlock_t;

static inline void spin_lock_init(spinlock_t *l)
{
	pthread_mutex_init(&l->m, NULL);
	l->held = 0;
}

/*
 * Owner tracking costs a little; benchmarks build with NDEBUG and get
 * plain mutexes, tests get lockdep_assert_held() that really asserts.
 */
static inline void spin_lock(spinlock_t *l)
{
	zmm_shim_enter_atomic();
	pthread_mutex_lock(&l->m);
#ifndef NDEBUG
	l->owner = pthread_self();
	__atomic_store_n(&l->held, 1, __ATOMIC_RELAXED);
#endif
}

static inline void spin_unlock(spinlock_t *l)
{
#ifndef NDEBUG
	__atomic_store_n(&l->held, 0, __ATOMIC_RELAXED);
#endif
	pthread_mutex_unlock(&l->m);
	zmm_shim_exit_atomic();
}

#define lockdep_assert_held(l)						\
	assert(__atomic_load_n(&(l)->held, __ATOMIC_RELAXED) &&		\
	       pthread_equal((l)->owner, pthread_self()))

struct mutex {
	spinlock_t l;
};
#define mutex_init(x) spin_lock_init(&(x)->l)
#define mutex_lock(x) ({ zmm_shim_sleep_check("mutex_lock");		\
			 pthread_mutex_lock(&(x)->l.m); })
#define mutex_unlock(x) pthread_mutex_unlock(&(x)->l.m)
#define mutex_destroy(x) pthread_mutex_destroy(&(x)->l.m)
#define DEFINE_MUTEX(n) struct mutex n = { .l = { .m = PTHREAD_MUTEX_INITIALIZER } }
#define SLAB_ACCOUNT 0UL

typedef pthread_rwlock_t rwlock_t;
#define rwlock_init(l) pthread_rwlock_init(l, NULL)
#define read_lock(l) (zmm_shim_enter_atomic(), pthread_rwlock_rdlock(l))
#define read_unlock(l) (pthread_rwlock_unlock(l), zmm_shim_exit_atomic())
#define write_lock(l) (zmm_shim_enter_atomic(), pthread_rwlock_wrlock(l))
#define write_unlock(l) (pthread_rwlock_unlock(l), zmm_shim_exit_atomic())

/* counted, so that tests can check that long walks yield */
extern unsigned long zmm_shim_resched;
#define cond_resched() ({ __atomic_add_fetch(&zmm_shim_resched, 1,	\
					     __ATOMIC_RELAXED);		\
			  zmm_shim_sleep_check("cond_resched"); })
#define might_sleep() zmm_shim_sleep_check("might_sleep")

/* ---- atomics ---- */
typedef struct {
	long counter;
} atomic_long_t;

#define atomic_long_read(v) __atomic_load_n(&(v)->counter, __ATOMIC_RELAXED)
#define atomic_long_set(v, i) \
	__atomic_store_n(&(v)->counter, (i), __ATOMIC_RELAXED)
#define atomic_long_add(i, v) \
	((void)__atomic_add_fetch(&(v)->counter, (i), __ATOMIC_RELAXED))
#define atomic_long_add_return(i, v) \
	__atomic_add_fetch(&(v)->counter, (i), __ATOMIC_SEQ_CST)
#define atomic_long_sub(i, v) \
	((void)__atomic_sub_fetch(&(v)->counter, (i), __ATOMIC_RELAXED))
#define atomic_long_inc(v) atomic_long_add(1, v)
#define atomic_long_try_cmpxchg(v, old, new)				\
	__atomic_compare_exchange_n(&(v)->counter, (old), (new), false,	\
				    __ATOMIC_ACQ_REL, __ATOMIC_RELAXED)
#define atomic_long_dec(v) atomic_long_sub(1, v)

typedef struct {
	int counter;
} atomic_t;

#define atomic_read(v) __atomic_load_n(&(v)->counter, __ATOMIC_RELAXED)
#define atomic_set(v, i) \
	__atomic_store_n(&(v)->counter, (i), __ATOMIC_RELAXED)
#define atomic_xchg(v, i) \
	__atomic_exchange_n(&(v)->counter, (i), __ATOMIC_SEQ_CST)
#define atomic_inc(v) ((void)__atomic_add_fetch(&(v)->counter, 1, __ATOMIC_RELAXED))

typedef struct {
	int refs;
} refcount_t;

static inline void refcount_set(refcount_t *r, int n)
{
	__atomic_store_n(&r->refs, n, __ATOMIC_RELAXED);
}

static inline unsigned int refcount_read(const refcount_t *r)
{
	return __atomic_load_n(&r->refs, __ATOMIC_RELAXED);
}

static inline bool refcount_inc_not_zero(refcount_t *r)
{
	int old = __atomic_load_n(&r->refs, __ATOMIC_RELAXED);

	do {
		if (!old)
			return false;
	} while (!__atomic_compare_exchange_n(&r->refs, &old, old + 1, false,
					      __ATOMIC_ACQUIRE,
					      __ATOMIC_RELAXED));
	return true;
}

static inline void refcount_inc(refcount_t *r)
{
	int old __maybe_unused = __atomic_fetch_add(&r->refs, 1,
						    __ATOMIC_RELAXED);

	assert(old > 0);
}

static inline bool refcount_dec_and_test(refcount_t *r)
{
	int old __maybe_unused = __atomic_fetch_sub(&r->refs, 1,
						    __ATOMIC_ACQ_REL);

	assert(old > 0);
	return old == 1;
}

/* ---- memory allocation, with failure injection ---- */
#define GFP_KERNEL 0x1u
#define GFP_ATOMIC 0x2u
#define GFP_NOWAIT 0x4u
#define __GFP_NOWARN 0x8u
#define __GFP_NORETRY 0x10u
#define __GFP_ZERO 0x20u

/*
 * zmm_shim_fail_after: the N-th allocation from now fails (0 = never);
 * zmm_shim_fail_rate: every allocation fails with probability 1/rate.
 */
void *zmm_shim_malloc(size_t size, gfp_t gfp);
void zmm_shim_free(void *p);
void zmm_shim_inject(unsigned long fail_after, unsigned int fail_rate);
extern unsigned long zmm_shim_alloc_failures;
long zmm_shim_outstanding(void);

#define kmalloc(s, g) zmm_shim_malloc((s), (g))
#define kzalloc(s, g) zmm_shim_malloc((s), (g) | __GFP_ZERO)
#define kvmalloc(s, g) kmalloc(s, g)
#define kvzalloc(s, g) kzalloc(s, g)
#define kcalloc(n, s, g) \
	((n) && (s) > SIZE_MAX / (n) ? NULL : kzalloc((n) * (s), g))
#define kvcalloc(n, s, g) kcalloc(n, s, g)
#define kfree(p) zmm_shim_free(p)
#define kvfree(p) zmm_shim_free(p)

struct kmem_cache {
	size_t size;
	const char *name;
};

static inline struct kmem_cache *kmem_cache_create(const char *name,
						   unsigned int size,
						   unsigned int align,
						   unsigned long flags,
						   void (*ctor)(void *))
{
	struct kmem_cache *c = malloc(sizeof(*c));

	(void)align;
	(void)flags;
	(void)ctor;
	if (c) {
		c->size = size;
		c->name = name;
	}
	return c;
}

#define kmem_cache_alloc(c, g) zmm_shim_malloc((c)->size, (g))
#define kmem_cache_zalloc(c, g) zmm_shim_malloc((c)->size, (g) | __GFP_ZERO)
#define kmem_cache_free(c, p) ((void)(c), zmm_shim_free(p))
#define kmem_cache_destroy(c) free(c)

/*
 * ---- per-CPU data ----
 * Each "CPU" copy lives at a fixed stride from the first, as the kernel's
 * per-CPU offsets do, so this_cpu_ptr() works on a pointer to any member.
 * A thread is a CPU: threads take slots round robin, once.
 */
#define ZMM_SHIM_NR_CPUS 16
#define ZMM_SHIM_PCPU_STRIDE 512
#define nr_cpu_ids ZMM_SHIM_NR_CPUS
int zmm_shim_cpu(void);
#define alloc_percpu(t) ({						\
	_Static_assert(sizeof(t) <= ZMM_SHIM_PCPU_STRIDE, "stride");	\
	(t *)zmm_shim_malloc(ZMM_SHIM_NR_CPUS * ZMM_SHIM_PCPU_STRIDE,	\
			     __GFP_ZERO);				\
})
#define free_percpu(p) zmm_shim_free(p)
#define per_cpu_ptr(p, cpu) \
	((typeof(p))((char *)(p) + (size_t)(cpu) * ZMM_SHIM_PCPU_STRIDE))
#define this_cpu_ptr(p) per_cpu_ptr(p, zmm_shim_cpu())
#define raw_cpu_ptr(p) this_cpu_ptr(p)
/* threads may share a slot: the add itself must be atomic */
#define this_cpu_add(var, n) \
	((void)__atomic_add_fetch(this_cpu_ptr(&(var)), (n), __ATOMIC_RELAXED))
#define for_each_possible_cpu(cpu) \
	for ((cpu) = 0; (cpu) < ZMM_SHIM_NR_CPUS; (cpu)++)

/* a local_lock makes a CPU's data its own: here, a mutex per slot */
typedef struct {
	pthread_mutex_t m;
} local_lock_t;
#define local_lock_init(l) pthread_mutex_init(&(l)->m, NULL)
#define local_lock(l) (zmm_shim_enter_atomic(),				\
		       pthread_mutex_lock(&this_cpu_ptr(l)->m))
#define local_unlock(l) (pthread_mutex_unlock(&this_cpu_ptr(l)->m),	\
			 zmm_shim_exit_atomic())

/* ---- hashing: multiplicative (Fibonacci) hashing ---- */
#define GOLDEN_RATIO_64 0x61C8864680B583EBull
#define ZMM_SHIM_GOLDEN_64 GOLDEN_RATIO_64
static inline u32 hash_64(u64 val, unsigned int bits)
{
	return (u32)((val * ZMM_SHIM_GOLDEN_64) >> (64 - bits));
}

/* ---- lib/lz4 and lib/zstd kernel APIs over liblz4 / libzstd ---- */
#define LZ4_MEM_COMPRESS ((size_t)LZ4_sizeofState())
static inline int LZ4_compress_fast_k(const char *src, char *dst, int n,
				      int cap, int accel, void *wrkmem)
{
	return LZ4_compress_fast_extState(wrkmem, src, dst, n, cap, accel);
}
/* the kernel's LZ4_compress_fast() takes the work memory as a 6th arg */
#define LZ4_compress_fast LZ4_compress_fast_k

typedef ZSTD_parameters zstd_parameters;
typedef ZSTD_compressionParameters zstd_compression_parameters;
typedef ZSTD_CCtx zstd_cctx;
typedef ZSTD_DCtx zstd_dctx;

static inline zstd_parameters zstd_get_params(int level, unsigned long long n)
{
	return ZSTD_getParams(level, n, 0);
}

static inline size_t
zstd_cctx_workspace_bound(const zstd_compression_parameters *p)
{
	return ZSTD_estimateCCtxSize_usingCParams(*p);
}

static inline zstd_cctx *zstd_init_cctx(void *ws, size_t size)
{
	return ZSTD_initStaticCCtx(ws, size);
}

static inline size_t zstd_compress_cctx(zstd_cctx *c, void *dst, size_t cap,
					const void *src, size_t n,
					const zstd_parameters *p)
{
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
	return ZSTD_compress_advanced(c, dst, cap, src, n, NULL, 0, *p);
#pragma GCC diagnostic pop
}

static inline size_t zstd_dctx_workspace_bound(void)
{
	return ZSTD_estimateDCtxSize();
}

static inline zstd_dctx *zstd_init_dctx(void *ws, size_t size)
{
	return ZSTD_initStaticDCtx(ws, size);
}

static inline size_t zstd_decompress_dctx(zstd_dctx *d, void *dst, size_t cap,
					  const void *src, size_t n)
{
	return ZSTD_decompressDCtx(d, dst, cap, src, n);
}

static inline unsigned int zstd_is_error(size_t code)
{
	return ZSTD_isError(code);
}

#endif /* ZMM_SHIM_H */
